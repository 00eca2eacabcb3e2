"""The "check yourself" checks accept right answers written in any style and name each classic mistake.

Every mistake below is written the way a learner would write it (not by calling the private
variants in helpers.checks), and each test asserts on a phrase that only that mistake's
feedback contains.
"""

import math

import numpy as np
import pytest

import helpers
from helpers import checks
from helpers.checks import (
    check_attention,
    check_causal_mask,
    check_layer_norm,
    check_multi_head_attention,
    check_online_softmax,
    check_qkv,
    check_scaled_scores,
    check_softmax,
    check_split_heads,
)

import oracle  # tests/oracle.py: loops straight from the formulas


def run(check, fn, capsys):
    """Call a check; return (its result, what it printed)."""
    result = check(fn)
    out = capsys.readouterr().out
    return result, out


def assert_passes(check, fn, capsys):
    result, out = run(check, fn, capsys)
    assert result is True, out
    assert out.startswith("✅"), out
    assert len(out.strip().splitlines()) == 1, out


def assert_fails(check, fn, capsys, phrase):
    result, out = run(check, fn, capsys)
    assert result is False, out
    lines = out.strip().splitlines()
    assert lines[0].startswith("❌"), out
    assert len(lines) == 3, out
    assert lines[1].startswith("What is wrong: "), out
    assert lines[2].startswith("Hint: "), out
    assert phrase in out, f"expected {phrase!r} in:\n{out}"
    assert "Traceback" not in out and "0x" not in out, out
    return out


def swap(M):
    return np.swapaxes(M, -1, -2)


def stable_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ====================================================================== shared behaviour

ALL_CHECKS = [check_qkv, check_scaled_scores, check_softmax, check_attention, check_split_heads,
              check_multi_head_attention, check_causal_mask, check_layer_norm, check_online_softmax]


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_a_function_that_raises_is_reported_with_type_and_message(check, capsys):
    def broken(*args, **kwargs):
        raise ValueError("something broke in my code")

    out = assert_fails(check, broken, capsys, "ValueError: something broke in my code")
    assert "raise" in out  # "it raised ValueError: …"


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_the_starter_not_implemented_is_reported(check, capsys):
    def starter(*args, **kwargs):
        raise NotImplementedError

    assert_fails(check, starter, capsys, "replace the `raise NotImplementedError` line")


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_returning_none_is_reported(check, capsys):
    def forgot_return(*args, **kwargs):
        pass

    assert_fails(check, forgot_return, capsys, "you returned None — did you forget `return`?")


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_a_non_array_is_reported(check, capsys):
    assert_fails(check, lambda *args, **kwargs: "hello", capsys, "you returned a str")


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_a_non_callable_is_reported(check, capsys):
    result, out = run(check, np.zeros(3), capsys)
    assert result is False
    assert out.startswith("❌") and "not check(my_function())" in out


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_feedback_is_identical_on_two_runs(check, capsys):
    def noisy(*args, **kwargs):  # overflow warnings must not leak, values must print rounded
        with np.errstate(all="warn"):
            first = args[0] if np.ndim(args[0]) else np.ones((args[0], args[0]))
            return np.exp(np.asarray(first, dtype=float) * 1000.0) * 1.2345678901234

    outs = []
    for _ in range(2):
        check(noisy)
        outs.append(capsys.readouterr())
    assert outs[0].out == outs[1].out
    assert outs[0].err == outs[1].err == ""
    assert "1.2345678901234" not in outs[0].out


def test_wrong_shapes_are_reported_with_expected_and_got(capsys):
    assert_fails(check_softmax, lambda x: np.exp(x).sum(axis=-1), capsys, "expected (3, 4), got (3,)")
    assert_fails(check_scaled_scores, lambda Q, K: (Q @ swap(K))[..., :2], capsys, "expected (3, 4), got (3, 2)")
    assert_fails(check_attention, lambda Q, K, V: np.zeros((2, 2)), capsys, "expected (3, 2), got (2, 2)")
    assert_fails(check_split_heads, lambda X, n: X[None], capsys, "expected (2, 3, 4), got (1, 3, 8)")
    assert_fails(check_multi_head_attention, lambda X, *W: X[:2], capsys, "expected (4, 6), got (2, 6)")
    assert_fails(check_causal_mask, lambda T: np.ones((T, T + 1), dtype=bool), capsys,
                 "expected (4, 4), got (4, 5)")
    assert_fails(check_layer_norm, lambda x, eps=1e-5: x.T, capsys, "expected (3, 6), got (6, 3)")
    assert_fails(check_online_softmax, lambda row, b: stable_softmax(row)[:-1], capsys,
                 "expected (10,), got (9,)")
    assert_fails(check_qkv, lambda X, Wq, Wk, Wv: (X @ Wq, (X @ Wk)[:, :2], X @ Wv), capsys,
                 "your K has shape (3, 2), expected (3, 4)")


def test_other_wrong_values_get_the_generic_message_with_the_largest_difference(capsys):
    out = assert_fails(check_softmax, lambda x: stable_softmax(x) + 0.01 * (x > 0), capsys,
                       "the largest difference is")
    assert "input shape (3, 4)" in out


def test_right_numbers_in_a_list_are_accepted_as_numbers_but_named(capsys):
    assert_fails(check_online_softmax, lambda row, b: stable_softmax(row).tolist(), capsys,
                 "the numbers are right, but you returned a list")


def test_learner_code_that_changes_its_input_in_place_does_not_corrupt_the_check(capsys):
    def in_place(x):
        x -= x.max(axis=-1, keepdims=True)
        np.exp(x, out=x)
        x /= x.sum(axis=-1, keepdims=True)
        return x

    assert_passes(check_softmax, in_place, capsys)


# ====================================================================== notebook 02: Q, K, V


def qkv_reference(X, W_q, W_k, W_v):
    return X @ W_q, X @ W_k, X @ W_v


def qkv_loops(X, W_q, W_k, W_v):
    """q_i = x_i W_Q, one word (row) at a time."""
    out = []
    for W in (W_q, W_k, W_v):
        M = np.zeros(X.shape[:-1] + (W.shape[1],))
        for idx in np.ndindex(*X.shape[:-1]):
            M[idx] = oracle.matmul([X[idx].tolist()], W)[0]
        out.append(M)
    return tuple(out)


@pytest.mark.parametrize("fn", [qkv_reference, qkv_loops])
def test_qkv_accepts_right_answers(fn, capsys):
    assert_passes(check_qkv, fn, capsys)


QKV_MISTAKES = {
    "W @ X": (lambda X, Wq, Wk, Wv: (Wq @ X, Wk @ X, Wv @ X), "weight matrix is on the wrong side"),
    "transposed": (lambda X, Wq, Wk, Wv: (Wq.T @ X.T, Wk.T @ X.T, Wv.T @ X.T), "your Q, K, V are transposed"),
    "order": (lambda X, Wq, Wk, Wv: (X @ Wk, X @ Wq, X @ Wv), "wrong order: (K, Q, V) instead of (Q, K, V)"),
    "order VKQ": (lambda X, Wq, Wk, Wv: (X @ Wv, X @ Wk, X @ Wq), "wrong order: (V, K, Q)"),
    "same matrix": (lambda X, Wq, Wk, Wv: (X @ Wq, X @ Wq, X @ Wq), "the same weight matrix was used for Q, K and V"),
    "copy-paste": (lambda X, Wq, Wk, Wv: (X @ Wq, X @ Wq, X @ Wv), "computed with W_q instead of W_k"),
    "one array": (lambda X, Wq, Wk, Wv: X @ Wq, "the check wants three: Q, K and V"),
    "einsum 2-D only": (lambda X, Wq, Wk, Wv: tuple(np.einsum("td,dk->tk", X, W) for W in (Wq, Wk, Wv)),
                        "works for a single sequence"),
}


@pytest.mark.parametrize("name", QKV_MISTAKES)
def test_qkv_names_each_mistake(name, capsys):
    fn, phrase = QKV_MISTAKES[name]
    assert_fails(check_qkv, fn, capsys, phrase)


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
    assert result is True and out.startswith("✅") and "all 5 tests" in out, out


def test_attention_without_a_mask_argument_skips_the_mask_tests(capsys):
    result, out = run(check_attention, attention_no_mask, capsys)
    assert result is True and out.startswith("✅") and "all 3 tests" in out and "No mask tested" in out, out


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


# ====================================================================== notebook 08: multi-head attention


def mha_reference(X, W_q, W_k, W_v, W_o, n_heads):
    return helpers.multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads)[0]


def mha_loops(X, W_q, W_k, W_v, W_o, n_heads):
    return oracle.multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads)[0]


def mha_sum_over_heads(X, W_q, W_k, W_v, W_o, n_heads):
    """Z_f = Σ_h Z_h W_O^h with per-head matrices, einsum throughout."""
    Wq_h, Wk_h, Wv_h = (helpers.head_weights(W, n_heads) for W in (W_q, W_k, W_v))  # (h, d_model, d_head)
    Q = np.einsum("...td,hde->...hte", X, Wq_h)
    K = np.einsum("...td,hde->...hte", X, Wk_h)
    V = np.einsum("...td,hde->...hte", X, Wv_h)
    A = stable_softmax(np.einsum("...hie,...hje->...hij", Q, K) / math.sqrt(Q.shape[-1]))
    Zh = np.einsum("...hij,...hje->...hie", A, V)
    return np.einsum("...hte,hem->...tm", Zh, helpers.output_weights_per_head(W_o, n_heads))


@pytest.mark.parametrize("fn", [mha_reference, mha_loops, mha_sum_over_heads])
def test_mha_accepts_right_answers(fn, capsys):
    assert_passes(check_multi_head_attention, fn, capsys)


def mha_learner(split="right", merge="right", divisor="d_head", output="right", heads_order=1, ret="Z"):
    """Multi-head attention as a learner writes it, with one slip switched on."""
    def fn(X, W_q, W_k, W_v, W_o, n_heads):
        *batch, T, d_model = X.shape
        d_head = d_model // n_heads
        Q, K, V = X @ W_q, X @ W_k, X @ W_v
        if split == "none":
            n_heads, d_head = 1, d_model

        def to_heads(M):
            if split == "reshape":
                return M.reshape(*batch, n_heads, T, d_head)
            return M.reshape(*batch, T, n_heads, d_head).swapaxes(-3, -2)

        Qh, Kh, Vh = to_heads(Q), to_heads(K), to_heads(V)
        scale = {"d_head": math.sqrt(d_head), "d_model": math.sqrt(d_model), "none": 1.0}[divisor]
        A = stable_softmax(Qh @ Kh.swapaxes(-1, -2) / scale)
        if ret == "A":
            return A
        Zh = (A @ Vh)[..., ::heads_order, :, :]
        if merge == "reshape":
            concat = Zh.reshape(*batch, T, d_model)
        else:
            concat = Zh.swapaxes(-3, -2).reshape(*batch, T, d_model)
        if output == "none":
            return concat
        if output == "left":
            return W_o @ concat
        if output == "transposed":
            return concat @ W_o.T
        if output == "per head":
            return Zh @ W_o.reshape(n_heads, d_head, d_model)
        return concat @ W_o
    return fn


MHA_MISTAKES = {
    "no transpose": (mha_learner(split="reshape", merge="reshape"), "without the transpose"),
    "split without transpose": (mha_learner(split="reshape"), "without the transpose"),
    "merge without transpose": (mha_learner(merge="reshape"), "merged back with a plain reshape"),
    "heads reversed": (mha_learner(heads_order=-1), "concatenated in the wrong order"),
    "W_O forgotten": (mha_learner(output="none"), "W_O is forgotten"),
    "W_O per head, not summed": (mha_learner(output="per head"), "did not sum over the heads"),
    "W_O on the left": (mha_learner(output="left"), "W_O is on the wrong side"),
    "W_O transposed": (mha_learner(output="transposed"), "W_Oᵀ instead of W_O"),
    "scaled by sqrt d_model": (mha_learner(divisor="d_model"), "√d_model instead of √d_head"),
    "not scaled": (mha_learner(divisor="none"), "the scores are not scaled"),
    "returns A": (mha_learner(ret="A"), "you returned the attention weights A"),
    "one big head": (mha_learner(split="none", divisor="d_head"), "one big head"),
    "wrong shape": (lambda X, *rest: mha_reference(X, *rest)[..., :-1], "wrong shape"),
}


@pytest.mark.parametrize("name", MHA_MISTAKES)
def test_mha_names_each_mistake(name, capsys):
    fn, phrase = MHA_MISTAKES[name]
    assert_fails(check_multi_head_attention, fn, capsys, phrase)


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
    assert np.allclose(checks._layer_norm_reference(x), layer_norm_loops(x))


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


# ====================================================================== notebook 11: online softmax


def online_softmax_two_passes(row, block_size):
    m, l = -math.inf, 0.0
    for start in range(0, len(row), block_size):
        block = row[start:start + block_size]
        m_new = max(m, float(block.max()))
        l = l * math.exp(m - m_new) + float(np.exp(block - m_new).sum())
        m = m_new
    return np.exp(row - m) / l


def online_softmax_rescaled_outputs(row, block_size):
    """Writes the outputs as it goes, and rescales the earlier ones whenever the max grows."""
    out = np.zeros_like(row)
    m, l = -math.inf, 0.0
    for start in range(0, len(row), block_size):
        block = row[start:start + block_size]
        m_new = max(m, float(block.max()))
        factor = math.exp(m - m_new)
        out[:start] *= factor
        l = l * factor + float(np.exp(block - m_new).sum())
        out[start:start + block_size] = np.exp(block - m_new)
        m = m_new
    return out / l


@pytest.mark.parametrize("fn", [online_softmax_two_passes, online_softmax_rescaled_outputs])
def test_online_softmax_accepts_right_answers(fn, capsys):
    assert_passes(check_online_softmax, fn, capsys)


def online(rescale="right", accumulate=True, use_max=True, stale=False, normalise=True):
    def fn(row, block_size):
        m, l, outs = -math.inf, 0.0, []
        for start in range(0, len(row), block_size):
            block = row[start:start + block_size]
            m_new = max(m, float(block.max())) if use_max else 0.0
            factor = {"right": math.exp(m - m_new) if use_max else 1.0,
                      "none": 1.0,
                      "inverted": math.exp(m_new - m) if m > -math.inf else 0.0,
                      "inverted from -inf": np.exp(m_new - m)}[rescale]
            part = float(np.exp(block - m_new).sum())
            l = l * factor + part if accumulate else part
            m = m_new
            outs.append(np.exp(block - m))
        if stale:
            return np.concatenate(outs) / l
        e = np.exp(row - m)
        return e / l if normalise else e
    return fn


ONLINE_MISTAKES = {
    "no rescale": (online(rescale="none"), "the running sum is not rescaled when the max changes"),
    "rescale inverted": (online(rescale="inverted"), "upside down"),
    "rescale inverted from -inf": (online(rescale="inverted from -inf"), "0 · inf gives nan"),
    "sum overwritten": (online(accumulate=False), "overwritten by each block"),
    "stale max": (online(stale=True), "the max known at that time"),
    "no max": (online(use_max=False), "no running max"),
    "not normalised": (online(normalise=False), "without the division by the running sum"),
}


@pytest.mark.parametrize("name", ONLINE_MISTAKES)
def test_online_softmax_names_each_mistake(name, capsys):
    fn, phrase = ONLINE_MISTAKES[name]
    assert_fails(check_online_softmax, fn, capsys, phrase)


def test_forgetting_the_rescale_passes_when_the_max_is_in_the_first_block(capsys):
    out = assert_fails(check_online_softmax, ONLINE_MISTAKES["no rescale"][0], capsys, "larger max")
    assert "test 2 of 6" in out


# ====================================================================== the other helpers modules pass too


def test_helpers_layer_norm_passes_its_check(capsys):
    block = pytest.importorskip("helpers.block")
    assert_passes(check_layer_norm, block.layer_norm, capsys)


def test_helpers_online_softmax_passes_its_check(capsys):
    blocked = pytest.importorskip("helpers.blocked")
    assert_passes(check_online_softmax, blocked.online_softmax, capsys)


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


def mha_heads(X, W_q, W_k, W_v, W_o, n_heads, *, kt=swap, divisor=None, combine="concat"):
    T, d_model = X.shape[-2:]
    d_head = d_model // n_heads

    def to_heads(M):
        return np.swapaxes(M.reshape(*M.shape[:-1], n_heads, d_head), -3, -2)  # (..., n_heads, T, d_head)

    Qh, Kh, Vh = to_heads(X @ W_q), to_heads(X @ W_k), to_heads(X @ W_v)
    scale = math.sqrt(d_head) if divisor is None else math.sqrt(divisor(n_heads, T))
    Zh = stable_softmax(Qh @ kt(Kh) / scale) @ Vh  # (..., n_heads, T, d_head)
    if combine == "sum":
        return Zh.sum(axis=-3) @ W_o[:d_head]  # (..., T, d_head) @ (d_head, d_model)
    if combine == "mean":
        return (Zh @ W_o.reshape(n_heads, d_head, d_model)).mean(axis=-3)
    return np.swapaxes(Zh, -3, -2).reshape(*X.shape[:-1], d_model) @ W_o


MHA_MORE_MISTAKES = {
    "K.T in the heads": (lambda *a: mha_heads(*a, kt=lambda K: K.T), "K.T inside the heads"),
    "sqrt n_heads": (lambda *a: mha_heads(*a, divisor=lambda h, T: h), "√n_heads"),
    "sqrt T": (lambda *a: mha_heads(*a, divisor=lambda h, T: T), "√T"),
    "sum of heads": (lambda *a: mha_heads(*a, combine="sum"), "summed the heads"),
    "mean of heads": (lambda *a: mha_heads(*a, combine="mean"), "averaged"),
}


@pytest.mark.parametrize("name", MHA_MORE_MISTAKES)
def test_mha_names_more_mistakes(name, capsys):
    fn, phrase = MHA_MORE_MISTAKES[name]
    assert_fails(check_multi_head_attention, fn, capsys, phrase)


def online_first_max(row, block_size):
    """The max of the first block used as the reference for every block."""
    m, l = None, 0.0
    for start in range(0, len(row), block_size):
        block = row[start:start + block_size]
        if m is None:
            m = float(block.max())
        l = l + float(np.exp(block - m).sum())
    return np.exp(row - m) / l


def online_block_max(row, block_size):
    """Each block's own max instead of the running max."""
    m, l = -math.inf, 0.0
    for start in range(0, len(row), block_size):
        block = row[start:start + block_size]
        m_new = float(block.max())
        l = l * np.exp(m - m_new) + float(np.exp(block - m_new).sum())
        m = m_new
    return np.exp(row - m) / l


def online_math_exp_of_m(row, block_size):
    m, l = -math.inf, 0.0
    for start in range(0, len(row), block_size):
        block = row[start:start + block_size]
        m_new = max(m, float(block.max()))
        l = l * math.exp(m) / math.exp(m_new) + float(np.exp(block - m_new).sum())  # exp(m) alone
        m = m_new
    return np.exp(row - m) / l


def test_online_softmax_names_the_first_blocks_max_used_for_everything(capsys):
    out = assert_fails(check_online_softmax, online_first_max, capsys, "the first block's max")
    assert "test 5 of 6" in out


def test_online_softmax_names_each_blocks_own_max(capsys):
    out = assert_fails(check_online_softmax, online_block_max, capsys, "each block's own max")
    assert "test 6 of 6" in out


def test_online_softmax_overflow_error_gets_its_own_message(capsys):
    out = assert_fails(check_online_softmax, online_math_exp_of_m, capsys, "OverflowError")
    assert "exp(m - m_new)" in out and "about 709" in out


def test_online_softmax_success_says_it_compares_numbers(capsys):
    result, out = run(check_online_softmax, online_softmax_two_passes, capsys)
    assert result is True and "the check compares numbers" in out, out


def test_layer_norm_number_format_widens_when_rounded_values_agree():
    assert checks._fmt_pair(1.3612345, 1.3612445) == ("1.36123", "1.36124")
    assert checks._fmt_pair(1.5, 2.5) == ("1.5", "2.5")


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
