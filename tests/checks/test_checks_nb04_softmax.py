import numpy as np
import pytest

import helpers
from helpers import (
    check_softmax,
)

import oracle  # tests/oracle.py: loops straight from the formulas
from common import assert_fails, assert_passes, stable_softmax


# ====================================================================== notebook 04: softmax


def softmax_loops(x):
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    for idx in np.ndindex(*x.shape[:-1]):
        out[idx] = oracle.softmax_row(x[idx].tolist())
    return out


def softmax_logsumexp(x):
    m = x.max(axis=-1, keepdims=True)
    return np.exp(x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True)))


@pytest.mark.parametrize("fn", [helpers.softmax, softmax_loops, softmax_logsumexp])
def test_softmax_accepts_right_answers(fn, capsys):
    assert_passes(check_softmax, fn, capsys)


def _softmax_axis(axis):
    def fn(x):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)
    return fn


def _softmax_no_keepdims(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1)


SOFTMAX_MISTAKES = {
    "wrong axis": (_softmax_axis(0), "your columns sum to 1"),
    "axis=1": (_softmax_axis(1), "you used axis=1"),
    "whole array": (lambda x: np.exp(x - x.max()) / np.exp(x - x.max()).sum(), "sum over the whole array"),
    "no max": (lambda x: np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True), "no max subtraction"),
    "no exp": (lambda x: x / x.sum(axis=-1, keepdims=True), "without exp"),
    "exp only": (lambda x: np.exp(x), "you took exp but did not normalise"),
    "shifted exp only": (lambda x: np.exp(x - x.max(axis=-1, keepdims=True)),
                         "you took exp(s - max(s)) but did not normalise"),
    "no keepdims": (_softmax_no_keepdims, "no keepdims=True"),
    "scaled wrongly": (lambda x: 2 * stable_softmax(x), "right proportions but the rows do not sum to 1"),
}


@pytest.mark.parametrize("name", SOFTMAX_MISTAKES)
def test_softmax_names_each_mistake(name, capsys):
    fn, phrase = SOFTMAX_MISTAKES[name]
    assert_fails(check_softmax, fn, capsys, phrase)


def _softmax_no_keepdims_on_max(x):
    e = np.exp(x - x.max(axis=-1))                # (T_q, T_k) - (T_q,): the max lost its axis
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_no_keepdims_at_all(x):
    e = np.exp(x - np.max(x, axis=-1))
    return e / np.sum(e, axis=-1)


@pytest.mark.parametrize("fn, phrase, hint, not_in", [
    (_softmax_no_keepdims, "the row sums lost their axis", "e.sum(axis=-1, keepdims=True)", "the row maxima"),
    (_softmax_no_keepdims_on_max, "the row maxima lost their axis", "max(axis=-1, keepdims=True)", "e.sum"),
    (_softmax_no_keepdims_at_all, "neither the max nor the sum", "max(axis=-1, keepdims=True)", "the row sums lost"),
], ids=["on the sum", "on the max", "on both"])
def test_softmax_names_which_keepdims_is_missing(fn, phrase, hint, not_in, capsys):
    # all three raise the same broadcasting ValueError on test 1; the check tells them apart
    out = assert_fails(check_softmax, fn, capsys, phrase)
    hint_line = out.strip().splitlines()[2]
    assert hint in hint_line, out
    assert not_in not in out, out


def test_softmax_no_max_fails_only_on_the_large_scores(capsys):
    out = assert_fails(check_softmax, SOFTMAX_MISTAKES["no max"][0], capsys, "near ±1000")
    assert "test 3 of 4" in out
