import math

import numpy as np
import pytest

import helpers
from helpers import (
    check_scaled_scores,
)

import oracle  # tests/oracle.py: loops straight from the formulas
from common import assert_fails, assert_passes, stable_softmax, swap


# ====================================================================== notebook 03: scaled scores


def scores_loops(Q, K):
    return oracle.batched_scores(Q, K)


def scores_einsum(Q, K):
    return np.einsum("...id,...jd->...ij", Q, K) / np.sqrt(Q.shape[-1])


@pytest.mark.parametrize("fn", [helpers.attention_scores, scores_loops, scores_einsum])
def test_scores_accept_right_answers(fn, capsys):
    assert_passes(check_scaled_scores, fn, capsys)


SCORES_MISTAKES = {
    "not scaled": (lambda Q, K: Q @ swap(K), "the scores are not scaled"),
    "by d_k": (lambda Q, K: Q @ swap(K) / Q.shape[-1], "you divided by d_k = 5 instead of √d_k"),
    # the check's Q, K are one head of a model with d_model = n_heads · d_k = 3 · 5 = 15
    "by sqrt d_model": (lambda Q, K: Q @ swap(K) / math.sqrt(15), "you divided by √d_model = √15"),
    "by d_model": (lambda Q, K: Q @ swap(K) / 15, "you divided by d_model = 15"),
    "fixed 8": (lambda Q, K: Q @ swap(K) / 8, "a fixed 8, the slides' √64"),
    "fixed sqrt 512": (lambda Q, K: Q @ swap(K) / math.sqrt(512), "= √512"),
    "multiplied": (lambda Q, K: Q @ swap(K) * math.sqrt(Q.shape[-1]), "multiplied by √d_k"),
    "K not transposed": (lambda Q, K: Q @ K / math.sqrt(Q.shape[-1]), "K is not transposed"),
    "K Q^T": (lambda Q, K: K @ Q.T / math.sqrt(Q.shape[-1]), "one row per key instead of one row per query"),
    "softmax applied": (lambda Q, K: stable_softmax(Q @ swap(K) / math.sqrt(Q.shape[-1])),
                        "you applied the softmax already"),
    "unscaled softmax": (lambda Q, K: stable_softmax(Q @ swap(K)), "you applied the softmax already"),
    "K.T on a batch": (lambda Q, K: Q @ K.T / math.sqrt(Q.shape[-1]), "works for a single sequence"),
}


@pytest.mark.parametrize("name", SCORES_MISTAKES)
def test_scores_name_each_mistake(name, capsys):
    fn, phrase = SCORES_MISTAKES[name]
    assert_fails(check_scaled_scores, fn, capsys, phrase)


def test_scores_batch_hint_names_swapaxes(capsys):
    out = assert_fails(check_scaled_scores, SCORES_MISTAKES["K.T on a batch"][0], capsys, "np.swapaxes(K, -1, -2)")
    assert "test 2 of 2" in out


# d_k read from the wrong axis of a shape: the divisor follows T (or the batch size), not d_k. The check's
# inputs are Q (3, 5), K (4, 5), then a batch Q (2, 4, 6), K (2, 3, 6).
SCORES_WRONG_AXIS = {
    "K.shape[0]": (lambda Q, K: Q @ swap(K) / math.sqrt(K.shape[0]), "test 1 of 2",
                   ["you divided by √4 = 2", "T_k, the number of key words", "K.shape[0]"]),
    "len(Q)": (lambda Q, K: Q @ swap(K) / math.sqrt(len(Q)), "test 1 of 2",
               ["√3", "T_q, the number of query words", "Q.shape[0]"]),
    "Q.shape[1] on a batch": (lambda Q, K: Q @ swap(K) / math.sqrt(Q.shape[1]), "test 2 of 2",
                              ["you divided by √4 = 2", "T_q, the number of query words", "Q.shape[1]"]),
    "K.shape[1] on a batch": (lambda Q, K: Q @ swap(K) / math.sqrt(K.shape[1]), "test 2 of 2",
                              ["√3", "T_k, the number of key words", "K.shape[1]"]),
    "K.shape[-2] without the root": (lambda Q, K: Q @ swap(K) / K.shape[-2], "test 1 of 2",
                                     ["you divided by 4", "T_k, the number of key words"]),
    "batch size": (lambda Q, K: Q @ swap(K) / math.sqrt(Q.shape[0] if Q.ndim == 3 else Q.shape[-1]), "test 2 of 2",
                   ["√2", "the batch size"]),
}


@pytest.mark.parametrize("name", SCORES_WRONG_AXIS)
def test_scores_name_d_k_read_from_the_wrong_axis(name, capsys):
    fn, test, phrases = SCORES_WRONG_AXIS[name]
    out = assert_fails(check_scaled_scores, fn, capsys, "Q.shape[-1]")
    assert test in out, out
    for phrase in phrases:
        assert phrase in out, f"expected {phrase!r} in:\n{out}"
    assert "last axis" in out, out
    assert "hard-code" not in out, out  # the learner read a shape; nothing was hard-coded


def test_scores_a_hard_coded_constant_equal_to_a_shape_entry_is_still_called_hard_coded(capsys):
    # 2 = √4 and 4 = T_k in test 1: the check tells the two apart by trying a second input
    out = assert_fails(check_scaled_scores, lambda Q, K: Q @ swap(K) / 2, capsys, "do not hard-code the size")
    assert "number of key words" not in out, out
