import numpy as np
import pytest

import helpers
from helpers import (
    check_split_heads,
)

import oracle  # tests/oracle.py: loops straight from the formulas
from common import assert_fails, assert_passes


# ====================================================================== notebook 07: split heads


def split_loops(X, n_heads):
    *batch, T, d_model = X.shape
    d_head = d_model // n_heads
    out = np.zeros((*batch, n_heads, T, d_head))
    for b in np.ndindex(*batch):
        heads = oracle.split_heads(X[b].tolist(), n_heads)
        out[b] = heads
    return out


def split_stack(X, n_heads):
    d_head = X.shape[-1] // n_heads
    return np.stack([X[..., h * d_head:(h + 1) * d_head] for h in range(n_heads)], axis=-3)


@pytest.mark.parametrize("fn", [helpers.split_heads, split_loops, split_stack])
def test_split_heads_accepts_right_answers(fn, capsys):
    assert_passes(check_split_heads, fn, capsys)


def split_2d_only(X, n_heads):
    T, d_model = X.shape
    return X.reshape(T, n_heads, d_model // n_heads).transpose(1, 0, 2)


SPLIT_MISTAKES = {
    "no transpose": (lambda X, n: X.reshape(*X.shape[:-2], n, X.shape[-2], X.shape[-1] // n),
                     "the values are scrambled"),
    "interleaved": (lambda X, n: np.moveaxis(X.reshape(*X.shape[:-1], X.shape[-1] // n, n), -1, -3),
                    "interleaved"),
    "forgot transpose": (lambda X, n: X.reshape(*X.shape[:-1], n, X.shape[-1] // n),
                         "the transpose is missing"),
    ".T": (lambda X, n: X.reshape(*X.shape[:-1], n, X.shape[-1] // n).T, "reverses every axis"),
    "2-D only": (split_2d_only, "works for a single sequence"),
}


@pytest.mark.parametrize("name", SPLIT_MISTAKES)
def test_split_heads_names_each_mistake(name, capsys):
    fn, phrase = SPLIT_MISTAKES[name]
    assert_fails(check_split_heads, fn, capsys, phrase)


def test_split_heads_explains_why_the_transpose_is_needed(capsys):
    out = assert_fails(check_split_heads, SPLIT_MISTAKES["no transpose"][0], capsys, "reading order")
    assert "then swap the two axes" in out


def test_split_heads_swapaxes_0_1_is_named_on_the_batch(capsys):
    out = assert_fails(check_split_heads,
                       lambda X, n: np.swapaxes(X.reshape(*X.shape[:-1], n, X.shape[-1] // n), 0, 1),
                       capsys, "works for one sequence, but on a batch")
    assert "swap axes -3 and -2 (count from the end)" in out


@pytest.mark.parametrize("fn", [
    lambda X, n: np.stack(np.split(X, n, axis=-1), axis=0),
    lambda X, n: np.moveaxis(X.reshape(*X.shape[:-1], n, X.shape[-1] // n), -2, 0),
])
def test_split_heads_heads_in_front_of_the_batch_are_named(fn, capsys):
    assert_fails(check_split_heads, fn, capsys, "in front of the batch axis")


def test_split_heads_swapping_the_last_two_axes_is_named(capsys):
    assert_fails(check_split_heads,
                 lambda X, n: np.swapaxes(X.reshape(*X.shape[:-1], n, X.shape[-1] // n), -2, -1),
                 capsys, "the last two axes")
