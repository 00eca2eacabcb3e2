"""Check yourself, notebook 08: multi-head attention with the output projection."""

import math

import numpy as np

from ..core import multi_head_attention
from ._runner import (
    Case,
    Mistake,
    run_check,
    seeded_rng,
    shape_of,
    softmax_any,
    split_heads_no_transpose,
    swap_last_two,
)

__all__ = ["check_multi_head_attention"]

# ====================================================================== notebook 08: multi-head attention


def _mha_core(X, W_q, W_k, W_v, n_heads, *, split="right", divisor=None, k_transpose=swap_last_two):
    """Per-head outputs (..., n_heads, T, d_head) and weights, with a choice of (wrong) split and scale."""
    d_head = X.shape[-1] // n_heads
    parts = []
    for W in (W_q, W_k, W_v):
        if split == "rows":  # head h from rows h·d_head … of W, transposed, instead of columns
            W_h = np.stack([W[h * d_head:(h + 1) * d_head, :].T for h in range(n_heads)])  # (n_heads, d_model, d_head)
            parts.append(X[..., None, :, :] @ W_h)  # (..., n_heads, T, d_head)
            continue
        M = X @ W  # (..., T, d_model)
        if split == "right":
            Mh = _split_heads_reference(M, n_heads)
        else:
            Mh = split_heads_no_transpose(M, n_heads)
        parts.append(Mh)  # (..., n_heads, T, d_head)
    Qh, Kh, Vh = parts
    S = Qh @ k_transpose(Kh) / (math.sqrt(d_head) if divisor is None else divisor)  # (..., n_heads, T, T)
    A = softmax_any(S)
    return A @ Vh, A  # (..., n_heads, T, d_head)


def _split_heads_reference(M, n_heads):
    *batch, T, d_model = M.shape
    return np.swapaxes(M.reshape(*batch, T, n_heads, d_model // n_heads), -3, -2)


def _merge_right(Zh):
    *batch, n_heads, T, d_head = Zh.shape
    return np.swapaxes(Zh, -3, -2).reshape(*batch, T, n_heads * d_head)  # (..., T, d_model)


def _mha_no_transpose(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads, split="reshape")
    return Zh.reshape(X.shape) @ W_o  # heads merged back by a plain reshape too


def _mha_split_no_transpose(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads, split="reshape")
    return _merge_right(Zh) @ W_o  # heads cut by a plain reshape, merged back correctly


def _mha_merge_no_transpose(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads)
    return Zh.reshape(X.shape) @ W_o  # (..., n_heads, T, d_head) read as (..., T, d_model)


def _mha_heads_reversed(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads)
    return _merge_right(Zh[..., ::-1, :, :]) @ W_o  # concat(Z_{h-1} … Z_0)


def _mha_no_output_projection(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads)
    return _merge_right(Zh)  # the concatenation, W_O forgotten


def _mha_output_per_head_not_summed(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads)
    d_head = X.shape[-1] // n_heads
    W_o_h = W_o.reshape(n_heads, d_head, W_o.shape[-1])  # (n_heads, d_head, d_model)
    return Zh @ W_o_h  # (..., n_heads, T, d_model): Z_h W_O^h, never summed


def _mha_output_projection_left(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads)
    return W_o @ _merge_right(Zh)  # W_O on the wrong side


def _mha_output_projection_transposed(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads)
    return _merge_right(Zh) @ W_o.T


def _mha_scaled_by_sqrt_d_model(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads, divisor=math.sqrt(X.shape[-1]))
    return _merge_right(Zh) @ W_o


def _mha_not_scaled(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads, divisor=1.0)
    return _merge_right(Zh) @ W_o


def _mha_k_dot_T(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads, k_transpose=lambda K: K.T)  # .T reverses every axis
    return _merge_right(Zh) @ W_o


def _mha_scaled_by_sqrt_n_heads(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads, divisor=math.sqrt(n_heads))
    return _merge_right(Zh) @ W_o


def _mha_scaled_by_sqrt_t(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads, divisor=math.sqrt(X.shape[-2]))
    return _merge_right(Zh) @ W_o


def _mha_heads_summed(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads)
    d_head = X.shape[-1] // n_heads
    return Zh.sum(axis=-3) @ W_o[:d_head]  # (..., T, d_head) @ (d_head, d_model): Z_0 + … + Z_{h-1}


def _mha_heads_averaged(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads)
    return _merge_right(Zh) @ W_o / n_heads  # = mean over h of Z_h W_O^h


def _mha_weight_rows_per_head(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads, split="rows")
    return _merge_right(Zh) @ W_o


def _mha_returns_weights(X, W_q, W_k, W_v, W_o, n_heads, **_):
    return _mha_core(X, W_q, W_k, W_v, n_heads)[1]  # A (..., n_heads, T, T)


def _mha_single_head(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, 1, divisor=math.sqrt(X.shape[-1]))
    return Zh[..., 0, :, :] @ W_o  # one big head: n_heads ignored


def _mha_mistakes():
    split_right = ("split with a reshape to (..., T, n_heads, d_head) and then a transpose to "
                   "(..., n_heads, T, d_head); merge back with the inverse: transpose, then reshape.")
    return [
        Mistake(
            _mha_no_transpose,
            "you split into heads with a plain reshape to (n_heads, T, d_head), without the transpose: "
            "each 'head' mixes the features of different tokens.",
            split_right,
        ),
        Mistake(
            _mha_split_no_transpose,
            "you split into heads with a plain reshape to (n_heads, T, d_head), without the transpose: "
            "each 'head' mixes the features of different tokens.",
            split_right,
        ),
        Mistake(
            _mha_merge_no_transpose,
            "the heads are split right, but merged back with a plain reshape (no transpose first): "
            "the rows of the concatenation mix tokens.",
            "concat(Z_0 … Z_{{h-1}}): np.swapaxes(Zh, -3, -2) -> (..., T, n_heads, d_head), then reshape to "
            "(..., T, d_model).",
        ),
        Mistake(
            _mha_heads_reversed,
            "the heads are concatenated in the wrong order (Z_{{h-1}} … Z_0): W_O's rows for head 0 meet head h-1.",
            "concatenate in order, Z_0 first: (Z_0 Z_1 … Z_{{h-1}}) W_O.",
        ),
        Mistake(
            _mha_no_output_projection,
            "W_O is forgotten: you returned the concatenation of the heads.",
            "multiply by W_O at the end: Z_f = concat(Z_0 … Z_{{h-1}}) W_O.",
        ),
        Mistake(
            _mha_output_per_head_not_summed,
            "you applied W_O per head (Z_h W_O^h) but did not sum over the heads: shape (n_heads, T, d_model).",
            "add the heads' contributions, Z_f = Σ_h Z_h W_O^h (a .sum over the heads axis), "
            "or multiply the concatenation by W_O.",
        ),
        Mistake(
            _mha_output_projection_left,
            "W_O is on the wrong side: W_o @ concat does not fit (d_model, d_model) @ (T, d_model).",
            "the concatenation comes first: Z_f = concat(Z_0 … Z_{{h-1}}) @ W_o, (T, d_model) @ (d_model, d_model).",
        ),
        Mistake(
            _mha_output_projection_transposed,
            "you multiplied by W_Oᵀ instead of W_O.",
            "Z_f = concat(Z_0 … Z_{{h-1}}) @ W_o, without .T, as Q = X @ W_q.",
        ),
        Mistake(
            _mha_scaled_by_sqrt_d_model,
            "you scaled the scores by √d_model instead of √d_head: each head's queries and keys have d_k = d_head.",
            "inside each head divide by √d_head, d_head = d_model // n_heads.",
        ),
        Mistake(
            _mha_not_scaled,
            "the scores are not scaled: no division by √d_head.",
            "inside each head, S = Q_h K_hᵀ / √d_head with d_head = d_model // n_heads.",
        ),
        Mistake(
            _mha_k_dot_T,
            "you used K.T inside the heads: on (n_heads, T, d_head) it reverses every axis, giving "
            "(d_head, T, n_heads), so Q_h @ K.T does not fit.",
            "transpose only the last two axes: np.swapaxes(K_h, -1, -2) -> (..., n_heads, d_head, T).",
        ),
        Mistake(
            _mha_scaled_by_sqrt_n_heads,
            "you scaled the scores by √n_heads = √{n_heads} instead of √d_head = √{d_head}.",
            "inside each head divide by √d_head, d_head = d_model // n_heads (the size of one head's q and k).",
        ),
        Mistake(
            _mha_scaled_by_sqrt_t,
            "you scaled the scores by √T = √{T} (the number of tokens) instead of √d_head = √{d_head}.",
            "inside each head divide by √d_head, d_head = d_model // n_heads (the size of one head's q and k).",
        ),
        Mistake(
            _mha_heads_summed,
            "you summed the heads (Z_0 + … + Z_{{h-1}}, shape (T, d_head)) instead of concatenating them: "
            "each head's d_head columns must keep their own place, side by side.",
            "concatenate along the features: concat(Z_0 … Z_{{h-1}}) has shape (T, d_model), then @ W_o.",
        ),
        Mistake(
            _mha_heads_averaged,
            "you averaged the heads' contributions (a mean over h of Z_h W_O^h): the result is exactly "
            "Z_f / n_heads.",
            "sum over the heads, Z_f = Σ_h Z_h W_O^h — or simply concat(Z_0 … Z_{{h-1}}) @ W_o.",
        ),
        Mistake(
            _mha_weight_rows_per_head,
            "head h's weights were taken from rows h·d_head … of W (transposed) instead of its columns: "
            "Q = X W_q, so head h owns the columns W_q[:, h·d_head:(h+1)·d_head] (X @ W_q.T does the same).",
            "compute Q = X @ W_q first, then split Q's columns into heads (reshape + swap axes -3 and -2).",
        ),
        Mistake(
            _mha_returns_weights,
            "you returned the attention weights A (n_heads, T, T) instead of the output Z_f.",
            "return Z_f = concat(Z_0 … Z_{{h-1}}) W_O, shape (T, d_model).",
        ),
        Mistake(
            _mha_single_head,
            "you computed one big head (d_k = d_model) instead of n_heads heads: the input was never split.",
            "cut Q, K, V into n_heads heads of d_head = d_model // n_heads columns, attend in each head, "
            "then concatenate and multiply by W_O.",
        ),
    ]


def check_multi_head_attention(fn):
    """Check fn(X, W_q, W_k, W_v, W_o, n_heads) -> Z_f = concat(Z_0 … Z_{h-1}) W_O (notebook 08)."""
    rng = seeded_rng(8)
    cases = []
    for batch, T, n_heads, d_head in (((), 4, 2, 3), ((2,), 4, 3, 2)):
        d_model = n_heads * d_head
        X = rng.normal(size=batch + (T, d_model))
        Ws = [rng.normal(size=(d_model, d_model)) for _ in range(4)]
        expected = multi_head_attention(X, *Ws, n_heads)[0]
        label = f"X {shape_of(X)}, n_heads = {n_heads} (d_head = {d_head}), each W ({d_model}, {d_model})"
        cases.append(Case(("a batch, " if batch else "") + label, f"X {shape_of(X)} with {n_heads} heads",
                           (X, *Ws, n_heads), expected,
                           dict(T=T, n_heads=n_heads, d_head=d_head, d_model=d_model), batch=bool(batch)))
    return run_check(
        "Your multi-head attention", fn, cases, _mha_mistakes(),
        error_hint="follow the shapes: X @ W_q (T, d_model) -> heads (n_heads, T, d_head) -> attention per head "
                   "-> concat (T, d_model) -> @ W_o (T, d_model).",
        values_hint="Q = X W_q, split into heads, Z_h = softmax(Q_h K_hᵀ / √d_head) V_h, "
                    "Z_f = concat(Z_0 … Z_{{h-1}}) W_O, shape (T, d_model).",
        batch_hint="keep the batch axes: reshape with X.shape[:-1], swap axes -3 and -2, "
                   "transpose keys with np.swapaxes(K, -1, -2).",
        nonfinite_hint="subtract each row's maximum before exp in the softmax.",
    )
