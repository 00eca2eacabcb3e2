import math

import numpy as np
import pytest

from helpers.checks import _runner
from helpers.checks import nb10_transformer_block as checks_nb10
from helpers import (
    check_layer_norm,
)

from common import assert_fails, assert_passes


# ====================================================================== notebook 10: layer norm


def layer_norm_loops(x, eps=1e-5):
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    for idx in np.ndindex(*x.shape[:-1]):
        row = x[idx].tolist()
        mean = sum(row) / len(row)
        var = sum((v - mean) ** 2 for v in row) / len(row)
        out[idx] = [(v - mean) / math.sqrt(var + eps) for v in row]
    return out


def layer_norm_numpy(x, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=-1, keepdims=True) + eps)


@pytest.mark.parametrize("fn", [layer_norm_loops, layer_norm_numpy])
def test_layer_norm_accepts_right_answers(fn, capsys):
    assert_passes(check_layer_norm, fn, capsys)


def test_the_layer_norm_reference_agrees_with_the_loops():
    x = np.random.default_rng(0).normal(size=(2, 3, 5))
    assert np.allclose(checks_nb10._layer_norm_reference(x), layer_norm_loops(x))


def ln(axis=-1, ddof=0, eps_where="inside", divide="std", centre=True, keepdims=True):
    def fn(x, eps=1e-5):
        mean = x.mean(axis=axis, keepdims=keepdims)
        var = x.var(axis=axis, ddof=ddof, keepdims=keepdims)
        top = x - mean if centre else x
        if divide == "var":
            return top / (var + eps)
        if eps_where == "none":
            return top / np.sqrt(var)
        if eps_where == "outside":
            return top / (np.sqrt(var) + eps)
        return top / np.sqrt(var + eps)
    return fn


LAYER_NORM_MISTAKES = {
    "wrong axis": (ln(axis=0), "each feature across the tokens"),
    "whole array": (ln(axis=None), "the whole array at once"),
    "ddof=1": (ln(ddof=1), "ddof=1"),
    "std ddof=1": (lambda x, eps=1e-5: (x - x.mean(-1, keepdims=True)) / (x.std(-1, ddof=1, keepdims=True) + eps),
                   "ddof=1"),
    "no eps": (ln(eps_where="none"), "eps is forgotten"),
    "eps outside sqrt": (ln(eps_where="outside"), "outside the square root"),
    "divides by variance": (ln(divide="var"), "instead of its square root"),
    "no mean": (ln(centre=False), "the mean is not subtracted"),
    "no keepdims": (ln(keepdims=False), "no keepdims=True"),
}


@pytest.mark.parametrize("name", LAYER_NORM_MISTAKES)
def test_layer_norm_names_each_mistake(name, capsys):
    fn, phrase = LAYER_NORM_MISTAKES[name]
    assert_fails(check_layer_norm, fn, capsys, phrase)


# ====================================================================== the other helpers modules pass too


def test_helpers_layer_norm_passes_its_check(capsys):
    block = pytest.importorskip("helpers.lessons.nb10_transformer_block")
    assert_passes(check_layer_norm, block.layer_norm, capsys)


def test_layer_norm_number_format_widens_when_rounded_values_agree():
    assert _runner._fmt_pair(1.3612345, 1.3612445) == ("1.36123", "1.36124")
    assert _runner._fmt_pair(1.5, 2.5) == ("1.5", "2.5")


def test_layer_norm_names_eps_added_to_the_result(capsys):
    def eps_added_to_result(x, eps=1e-5):
        mean = x.mean(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(x.var(axis=-1, keepdims=True)) + eps

    assert_fails(check_layer_norm, eps_added_to_result, capsys, "eps is added to the result")


def test_layer_norm_values_message_shows_different_numbers(capsys):
    def off_by_a_little(x, eps=1e-5):
        return layer_norm_numpy(x, eps) * (1 + 3e-5)

    out = assert_fails(check_layer_norm, off_by_a_little, capsys, "the values differ")
    import re
    m = re.search(r"expected (\S+), got (\S+)\)", out)
    assert m and m.group(1) != m.group(2), out
