import math

import numpy as np
import pytest

import helpers
from helpers import (
    check_attention,
)

import oracle  # tests/oracle.py: loops straight from the formulas
from common import assert_fails, run, stable_softmax, swap


# ====================================================================== notebooks 05-06: attention


def attention_reference(Q, K, V, mask=None):
    return helpers.scaled_dot_product_attention(Q, K, V, mask)[0]


def attention_loops(Q, K, V, mask=None):
    return oracle.batched_attention(Q, K, V, mask)[0]


def attention_einsum_large_negative(Q, K, V, mask=None):
    S = np.einsum("...id,...jd->...ij", Q, K) / math.sqrt(Q.shape[-1])
    if mask is not None:
        S = np.where(mask, S, -1e9)  # a large negative number works as well as -inf
    return np.einsum("...ij,...jd->...id", stable_softmax(S), V)


def attention_no_mask(Q, K, V):
    return stable_softmax(Q @ swap(K) / math.sqrt(Q.shape[-1])) @ V


def attention_keyword_only_mask(Q, K, V, *, mask=None):
    return attention_reference(Q, K, V, mask)


@pytest.mark.parametrize("fn", [attention_reference, attention_loops, attention_einsum_large_negative,
                                attention_keyword_only_mask])
def test_attention_accepts_right_answers(fn, capsys):
    result, out = run(check_attention, fn, capsys)
    assert result is True and out.startswith("✔ Correct") and "all 5 tests" in out, out


def test_attention_without_a_mask_argument_skips_the_mask_tests(capsys):
    result, out = run(check_attention, attention_no_mask, capsys)
    assert result is True and out.startswith("✔ Correct") and "all 3 tests" in out and "No mask tested" in out, out


def _scaled(Q, K):
    return Q @ swap(K) / math.sqrt(Q.shape[-1])


def att_returns_weights(Q, K, V, mask=None):
    return stable_softmax(_scaled(Q, K))


def att_divisor(divisor):
    def fn(Q, K, V, mask=None):
        return stable_softmax(Q @ swap(K) / divisor(Q)) @ V
    return fn


def att_wrong_axis(Q, K, V, mask=None):
    return stable_softmax(_scaled(Q, K), axis=-2) @ V


def att_k_v_swapped(Q, K, V, mask=None):
    return stable_softmax(Q @ swap(V) / math.sqrt(Q.shape[-1])) @ K


def att_k_not_transposed(Q, K, V, mask=None):
    return stable_softmax(Q @ K / math.sqrt(Q.shape[-1])) @ V


def att_no_max(Q, K, V, mask=None):
    S = _scaled(Q, K)
    if mask is not None:
        S = np.where(mask, S, -np.inf)
    e = np.exp(S)
    return e / e.sum(axis=-1, keepdims=True) @ V


def att_mask_ignored(Q, K, V, mask=None):
    return stable_softmax(_scaled(Q, K)) @ V


def att_mask_inverted(Q, K, V, mask=None):
    S = _scaled(Q, K)
    if mask is not None:
        S = np.where(mask, -np.inf, S)  # True treated as blocked
    return stable_softmax(S) @ V


def att_mask_after_softmax(Q, K, V, mask=None):
    A = stable_softmax(_scaled(Q, K))
    if mask is not None:
        A = np.where(mask, A, 0.0)
    return A @ V


def att_mask_after_softmax_renormalised(Q, K, V, mask=None):
    A = stable_softmax(_scaled(Q, K))
    if mask is not None:
        A = np.where(mask, A, 0.0)
        A = A / A.sum(axis=-1, keepdims=True)
    return A @ V


def att_mask_softmax_twice(Q, K, V, mask=None):
    A = stable_softmax(_scaled(Q, K))
    if mask is not None:
        A = stable_softmax(np.where(mask, A, -np.inf))
    return A @ V


def att_mask_zero_scores(Q, K, V, mask=None):
    S = _scaled(Q, K)
    if mask is not None:
        S = S * mask
    return stable_softmax(S) @ V


def att_k_dot_T(Q, K, V, mask=None):
    S = Q @ K.T / math.sqrt(Q.shape[-1])
    if mask is not None:
        S = np.where(mask, S, -np.inf)
    return stable_softmax(S) @ V


ATTENTION_MISTAKES = {
    "returns A": (att_returns_weights, "you returned the attention weights A"),
    "not scaled": (att_divisor(lambda Q: 1.0), "the scores are not scaled"),
    "by d_k": (att_divisor(lambda Q: Q.shape[-1]), "divided the scores by d_k = 5"),
    # the check's Q, K are one head of a model with d_model = 3 · 5 = 15
    "by sqrt d_model": (att_divisor(lambda Q: math.sqrt(15)), "by √d_model = √15 instead of √d_k"),
    "by d_model": (att_divisor(lambda Q: 15), "by d_model = 15"),
    "fixed 8": (att_divisor(lambda Q: 8), "a fixed 8, the slides' √64"),
    "wrong axis": (att_wrong_axis, "the softmax runs over the wrong axis"),
    "K and V swapped": (att_k_v_swapped, "K and V are swapped"),
    "K not transposed": (att_k_not_transposed, "K is not transposed"),
    "no max": (att_no_max, "no max subtraction"),
    "mask ignored": (att_mask_ignored, "the mask is ignored"),
    "mask inverted": (att_mask_inverted, "your mask is inverted"),
    "mask after softmax": (att_mask_after_softmax, "no longer sums to 1"),
    "mask after softmax, renormalised": (att_mask_after_softmax_renormalised, "0 / 0 gave nan"),
    "mask then softmax again": (att_mask_softmax_twice, "a second softmax"),
    "blocked scores set to 0": (att_mask_zero_scores, "exp(0) = 1"),
    "K.T on a batch": (att_k_dot_T, "works for a single sequence"),
    "wrong shape": (lambda Q, K, V, mask=None: attention_reference(Q, K, V, mask)[..., :1], "wrong shape"),
}


@pytest.mark.parametrize("name", ATTENTION_MISTAKES)
def test_attention_names_each_mistake(name, capsys):
    fn, phrase = ATTENTION_MISTAKES[name]
    assert_fails(check_attention, fn, capsys, phrase)


def test_if_mask_on_an_array_gets_a_hint(capsys):
    def if_mask(Q, K, V, mask=None):
        S = _scaled(Q, K)
        if mask:
            S = np.where(mask, S, -np.inf)
        return stable_softmax(S) @ V

    assert_fails(check_attention, if_mask, capsys, "`if mask is not None:`")


def test_masking_after_the_softmax_with_renormalisation_is_caught_on_the_large_scores_only(capsys):
    out = assert_fails(check_attention, att_mask_after_softmax_renormalised, capsys, "mask the scores before")
    assert "test 5 of 5" in out


# ====================================================================== review 05-08 and 09-11 fixes


def att_max_before_mask(Q, K, V, mask=None):
    """The likely repair of the 06 starter: the mask moved up before exp, but after the max."""
    S = _scaled(Q, K)
    S = S - S.max(axis=-1, keepdims=True)  # the max includes the blocked keys
    if mask is not None:
        S = np.where(mask, S, -np.inf)
    e = np.exp(S)
    return e / e.sum(axis=-1, keepdims=True) @ V


def att_mask_times_inf(Q, K, V, mask=None):
    S = _scaled(Q, K)
    if mask is not None:
        S = S + (~mask) * -np.inf  # 0 × -inf = nan on every allowed key
    return stable_softmax(S) @ V


def test_attention_names_the_max_taken_before_masking(capsys):
    out = assert_fails(check_attention, att_max_before_mask, capsys, "before masking")
    assert "test 5 of 5" in out
    assert "max over the allowed scores only" in out


def test_attention_does_not_name_a_mistake_only_because_the_nan_agree(capsys):
    # after + renormalise gives nan in exactly the same places: the check says it cannot tell them apart
    out = assert_fails(check_attention, att_mask_after_softmax_renormalised, capsys, "cannot tell which")
    assert "before masking" in out and "renormalised" in out


def test_attention_names_zero_times_minus_inf(capsys):
    out = assert_fails(check_attention, att_mask_times_inf, capsys, "0 × -inf")
    assert "np.where(mask, S, -np.inf)" in out


@pytest.mark.parametrize("divisor, phrase", [
    (lambda Q, K, V: math.sqrt(Q.shape[1]), "Q.shape[1]"),
    (lambda Q, K, V: math.sqrt(len(Q[0])), "Q.shape[1]"),
    (lambda Q, K, V: math.sqrt(V.shape[-1]), "√d_v"),
    (lambda Q, K, V: math.sqrt(K.shape[0]), "the number of keys"),
    (lambda Q, K, V: math.sqrt(Q.shape[0]), "the number of queries"),
])
def test_attention_names_d_k_read_from_the_wrong_place(divisor, phrase, capsys):
    def fn(Q, K, V, mask=None):
        S = Q @ swap(K) / divisor(Q, K, V)
        if mask is not None:
            S = np.where(mask, S, -np.inf)
        return stable_softmax(S) @ V

    out = assert_fails(check_attention, fn, capsys, phrase)
    assert "K.T" not in out, out


def test_attention_batch_values_hint_does_not_blame_k_dot_t(capsys):
    def reads_axis_1(Q, K, V, mask=None):  # softmax along axis 1: rows of a 2-D S, queries of a batch
        return stable_softmax(_scaled(Q, K), axis=1) @ V

    out = assert_fails(check_attention, reads_axis_1, capsys, "works for a single sequence")
    assert "K.T reverses" not in out and "count the axes from the end" in out
