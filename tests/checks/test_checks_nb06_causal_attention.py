import numpy as np
import pytest

import helpers
from helpers import (
    check_causal_mask,
)

import oracle  # tests/oracle.py: loops straight from the formulas
from common import assert_fails, assert_passes


# ====================================================================== notebook 06: causal mask


def mask_loops(T):
    return np.array(oracle.causal_mask(T), dtype=bool)


def mask_compare(T):
    i = np.arange(T)
    return i[:, None] >= i[None, :]  # key j allowed for query i when j <= i


@pytest.mark.parametrize("fn", [helpers.causal_mask, mask_loops, mask_compare])
def test_causal_mask_accepts_right_answers(fn, capsys):
    assert_passes(check_causal_mask, fn, capsys)


MASK_MISTAKES = {
    "upper": (lambda T: np.triu(np.ones((T, T), dtype=bool)), "upper triangle"),
    "inverted": (lambda T: np.triu(np.ones((T, T), dtype=bool), k=1), "your mask is inverted"),
    "no diagonal": (lambda T: np.tril(np.ones((T, T), dtype=bool), k=-1), "the diagonal is excluded"),
    "additive": (lambda T: np.where(np.tril(np.ones((T, T))) == 1, 0.0, -np.inf), "the additive float mask"),
    "ones": (lambda T: np.tril(np.ones((T, T))), "numbers (1 and 0) instead of True / False"),
    "other float": (lambda T: np.triu(np.ones((T, T))), "dtype float64, not booleans"),
}


@pytest.mark.parametrize("name", MASK_MISTAKES)
def test_causal_mask_names_each_mistake(name, capsys):
    fn, phrase = MASK_MISTAKES[name]
    assert_fails(check_causal_mask, fn, capsys, phrase)
