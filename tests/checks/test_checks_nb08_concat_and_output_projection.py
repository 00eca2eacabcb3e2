import math

import numpy as np
import pytest

import helpers
from helpers import (
    check_multi_head_attention,
)

import oracle  # tests/oracle.py: loops straight from the formulas
from common import assert_fails, assert_passes, stable_softmax, swap


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
