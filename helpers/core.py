"""Scaled dot-product attention and multi-head attention, vectorised in numpy.

Shapes use one vocabulary throughout the series:
    X (..., T, d_model)   Q, K (..., T, d_k)   V (..., T, d_v)   A (..., T_q, T_k)
    heads: (..., n_heads, T, d_head) with d_head = d_model // n_heads
Weights follow the slides: a row of embeddings times a matrix, q_i = x_i W_Q, so Q = X @ W_q.
"""

import math
from typing import NamedTuple

import numpy as np

from ._validate import (
    as_bool_mask,
    as_boolean,
    as_float_array,
    as_scores,
    check_batch,
    check_heads_divide,
    check_positive_int,
    check_projections,
    check_qk,
    check_query,
    check_sentence_qkv,
    mask_row,
)

__all__ = [
    "MHAWeights",
    "attention_scores",
    "causal_mask",
    "count_parameters",
    "head_weights",
    "init_mha_weights",
    "mask_scores",
    "masked_softmax",
    "merge_heads",
    "multi_head_attention",
    "naive_softmax",
    "output_weights_per_head",
    "scaled_dot_product_attention",
    "softmax",
    "split_heads",
    "step_values",
]


def softmax(x, axis=-1):
    """Numerically stable softmax along `axis` (notebook 04).

    softmax(x)_j = exp(x_j - max(x)) / sum_k exp(x_k - max(x)).
    Entries of -inf get weight exactly 0 as long as one entry of their slice is finite;
    a slice with no finite entry raises ValueError (there is nothing to normalise).
    """
    x = as_float_array(x, "softmax input", allow_neg_inf=True)
    m = np.max(x, axis=axis, keepdims=True)  # same shape as x, size 1 along axis
    if np.isneginf(m).any():
        if x.ndim == 1:
            raise ValueError(
                f"softmax input of shape {x.shape} is all -inf: at least one entry must be finite"
            )
        first = tuple(int(i) for i in np.argwhere(np.isneginf(m))[0])
        raise ValueError(
            f"softmax input of shape {x.shape} has {int(np.isneginf(m).sum())} slice(s) along axis {axis} "
            f"that are all -inf (the first at index {first}); every row needs at least one finite entry"
        )
    e = np.exp(x - m)  # largest entry becomes exp(0) = 1, so nothing overflows
    return e / e.sum(axis=axis, keepdims=True)


def naive_softmax(x, axis=-1):
    """Softmax straight from the definition, exp(x) / sum exp(x): overflows for large x (notebook 04)."""
    x = np.asarray(x, dtype=np.result_type(np.asarray(x).dtype, np.float32))
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(x)
        return e / e.sum(axis=axis, keepdims=True)


def causal_mask(T):
    """(T, T) boolean mask, True on and below the diagonal: token i may look at tokens 0..i (notebook 06)."""
    T = check_positive_int(T, "T")
    return np.tril(np.ones((T, T), dtype=bool))


def attention_scores(Q, K):
    """Scaled scores S = Q Kᵀ / √d_k, shape (..., T_q, T_k) (notebook 03)."""
    Q = as_float_array(Q, "Q", min_ndim=2)
    K = as_float_array(K, "K", min_ndim=2)
    check_qk(Q, K)
    return _scores(Q, K)


def scaled_dot_product_attention(Q, K, V, mask=None):
    """Z = softmax(Q Kᵀ / √d_k) V, returned with the weights A (notebook 05; mask: notebook 06).

    Q (..., T_q, d_k), K (..., T_k, d_k), V (..., T_k, d_v) -> Z (..., T_q, d_v), A (..., T_q, T_k).
    `mask` is boolean, broadcastable to (..., T_q, T_k), True where attention is allowed
    (torch's convention). A query row the mask leaves with no key gets A = 0 and Z = 0:
    it attends to nothing, rather than to everything or to NaN.
    """
    Q = as_float_array(Q, "Q", min_ndim=2)
    K = as_float_array(K, "K", min_ndim=2)
    V = as_float_array(V, "V", min_ndim=2)
    check_qk(Q, K)
    if V.shape[-2] != K.shape[-2]:
        raise ValueError(
            f"K and V must have the same number of tokens T_k: K has shape {K.shape}, V has shape {V.shape}"
        )
    check_batch(Q.shape, V.shape, "Q", "V")
    check_batch(K.shape, V.shape, "K", "V")
    if mask is not None:
        scores_shape = np.broadcast_shapes(Q.shape[:-2], K.shape[:-2]) + (Q.shape[-2], K.shape[-2])
        mask = as_bool_mask(mask, scores_shape)
    return _attend(Q, K, V, mask)


def _scores(Q, K):
    """Q Kᵀ / √d_k without input checks."""
    d_k = Q.shape[-1]
    # (..., T_q, d_k) @ (..., d_k, T_k) -> (..., T_q, T_k)
    return (Q @ np.swapaxes(K, -1, -2)) / math.sqrt(d_k)  # a Python float keeps float32


def _attend(Q, K, V, mask, prescaled=False):
    """softmax(Q Kᵀ / √d_k) V without input checks; `mask` is None or boolean (..., T_q, T_k).

    `prescaled=True` says Q already carries the 1/√d_k (multi_head_attention folds it into W_q).
    """
    if prescaled:
        S = Q @ np.swapaxes(K, -1, -2)  # (..., T_q, d_k) @ (..., d_k, T_k) -> (..., T_q, T_k)
    else:
        S = _scores(Q, K)  # (..., T_q, T_k)
    empty = None
    if mask is not None:
        empty = ~mask.any(axis=-1, keepdims=True)  # (..., T_q, 1): rows with no key allowed
        S = np.where(mask | empty, S, -np.inf)  # mask BEFORE the softmax
    row_max = S.max(axis=-1, keepdims=True)  # (..., T_q, 1)
    if not np.isfinite(row_max).all():  # finite inputs whose products overflow the dtype
        raise ValueError(
            f"the scores Q Kᵀ / √d_k overflow {S.dtype} for Q of shape {Q.shape} and K of shape "
            f"{K.shape} (largest |Q| = {float(np.abs(Q).max()):.3g}, |K| = {float(np.abs(K).max()):.3g}); "
            "scale the inputs down or use float64"
        )
    np.subtract(S, row_max, out=S)  # stable softmax, as in softmax(); S is our own buffer
    A = np.exp(S, out=S)  # reuse the buffer: (..., T_q, T_k)
    A /= A.sum(axis=-1, keepdims=True)
    if empty is not None and empty.any():
        A = np.where(empty, np.zeros((), dtype=A.dtype), A)
    Z = A @ V  # (..., T_q, T_k) @ (..., T_k, d_v) -> (..., T_q, d_v)
    return Z, A


def split_heads(X, n_heads):
    """(..., T, d_model) -> (..., n_heads, T, d_head): cut the last axis into heads (notebook 07)."""
    X = as_float_array(X, "X", min_ndim=2)
    n_heads = check_positive_int(n_heads, "n_heads")
    check_heads_divide(X.shape[-1], n_heads, f"X of shape {X.shape}")
    return _split(X, n_heads)


def _split(X, n_heads):
    """split_heads without input checks."""
    *batch, T, d_model = X.shape
    Xh = X.reshape(*batch, T, n_heads, d_model // n_heads)  # (..., T, n_heads, d_head)
    return np.swapaxes(Xh, -3, -2)  # (..., n_heads, T, d_head)


def merge_heads(Z):
    """(..., n_heads, T, d_head) -> (..., T, n_heads * d_head): concatenate the heads (notebook 08)."""
    Z = as_float_array(Z, "Z", min_ndim=3)
    return _merge(Z)


def _merge(Z):
    """merge_heads without input checks."""
    *batch, n_heads, T, d_head = Z.shape
    Zt = np.swapaxes(Z, -3, -2)  # (..., T, n_heads, d_head)
    return Zt.reshape(*batch, T, n_heads * d_head)  # (..., T, n_heads * d_head)


def multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, mask=None, *, b_q=None, b_k=None, b_v=None, b_o=None):
    """Multi-head self-attention: Z_f = concat(Z_0 … Z_{h-1}) W_O, with the weights A (notebook 08).

    X (..., T, d_model); each W of shape (d_model, d_model), used as X @ W;
    `mask` boolean, broadcastable to (..., T, T) over X's batch axes, shared by every head;
    optional biases b_q, b_k, b_v, b_o of shape (d_model,), as torch's layer has (Q = X W_q + b_q, …);
    returns Z (..., T, d_model) and A (..., n_heads, T, T).
    """
    X = as_float_array(X, "X", min_ndim=2)
    n_heads = check_positive_int(n_heads, "n_heads")
    *batch, T, d_model = X.shape
    W_q, W_k, W_v, W_o = check_projections(X, {"W_q": W_q, "W_k": W_k, "W_v": W_v, "W_o": W_o})
    b_q, b_k, b_v, b_o = (_bias(b, name, d_model, X.dtype)
                          for b, name in ((b_q, "b_q"), (b_k, "b_k"), (b_v, "b_v"), (b_o, "b_o")))
    check_heads_divide(d_model, n_heads, f"X of shape {X.shape}")
    if mask is not None:
        mask = as_bool_mask(mask, (*batch, T, T))  # (..., T, T)
        mask = np.expand_dims(mask, -3)  # (..., 1, T, T): the same mask for every head
    # The 1/√d_head of every head is folded into W_q: (Q / √d_head) Kᵀ costs a pass over
    # (d_model, d_model) instead of one over (..., n_heads, T, T).
    scale = 1.0 / math.sqrt(d_model // n_heads)  # a Python float keeps float32
    X2 = X.reshape(-1, d_model)  # (batch·T, d_model): large 2-D products are the fastest
    Q = X2 @ (W_q * scale)  # (batch·T, d_model) @ (d_model, d_model): Q / √d_head
    K = X2 @ W_k  # (batch·T, d_model)
    V = X2 @ W_v  # (batch·T, d_model)
    if b_q is not None:
        Q += b_q * scale  # (batch·T, d_model) + (d_model,): (X W_q + b_q) / √d_head
    if b_k is not None:
        K += b_k
    if b_v is not None:
        V += b_v
    Qh, Kh, Vh = (_split(M.reshape(*batch, T, d_model), n_heads) for M in (Q, K, V))  # (..., n_heads, T, d_head)
    Zh, A = _attend(Qh, Kh, Vh, mask, prescaled=True)  # (..., n_heads, T, d_head), (..., n_heads, T, T)
    Z2 = _merge(Zh).reshape(-1, d_model) @ W_o  # (batch·T, d_model)
    if b_o is not None:
        Z2 += b_o
    Z = Z2.reshape(*batch, T, d_model)  # (..., T, d_model)
    return Z, A


def _bias(b, name, d_model, dtype):
    """None, or b as a (d_model,) array of X's dtype; ValueError naming the bias otherwise."""
    if b is None:
        return None
    b = as_float_array(b, name, min_ndim=1)
    if b.shape != (d_model,):
        raise ValueError(f"{name} must have shape (d_model,) = ({d_model},), got shape {b.shape}")
    return b.astype(dtype, copy=False)


class MHAWeights(NamedTuple):
    """The four projection matrices of one multi-head attention layer, each (d_model, d_model)."""

    W_q: np.ndarray
    W_k: np.ndarray
    W_v: np.ndarray
    W_o: np.ndarray


def init_mha_weights(d_model, n_heads, seed=0, dtype=np.float32):
    """Seeded, untrained W_q, W_k, W_v, W_o, each Glorot-uniform in ±√(6 / (2·d_model)) (notebook 07).

    (torch draws W_q, W_k, W_v as one stacked (3·d_model, d_model) matrix, so its bound is smaller.)"""
    d_model = check_positive_int(d_model, "d_model")
    n_heads = check_positive_int(n_heads, "n_heads")
    check_heads_divide(d_model, n_heads)
    rng = np.random.default_rng(seed)
    limit = math.sqrt(6.0 / (d_model + d_model))
    mats = [rng.uniform(-limit, limit, size=(d_model, d_model)).astype(dtype) for _ in range(4)]
    return MHAWeights(*mats)


def head_weights(W, n_heads):
    """Split a (d_model, d_model) projection into per-head matrices (n_heads, d_model, d_head) (notebook 07).

    Head h owns columns h*d_head … (h+1)*d_head - 1, so X @ head_weights(W)[h] is head h of split_heads(X @ W).
    """
    W = as_float_array(W, "W", ndim=2)
    n_heads = check_positive_int(n_heads, "n_heads")
    d_in, d_model = W.shape
    if d_model % n_heads:
        raise ValueError(f"W of shape {W.shape}: {d_model} columns are not divisible by n_heads = {n_heads}")
    # (d_in, n_heads, d_head) -> (n_heads, d_in, d_head)
    return np.transpose(W.reshape(d_in, n_heads, d_model // n_heads), (1, 0, 2))


def output_weights_per_head(W_o, n_heads):
    """Split W_O (n_heads*d_head, d_model) by rows into (n_heads, d_head, d_model), one block per head (notebook 08)."""
    W_o = as_float_array(W_o, "W_o", ndim=2)
    n_heads = check_positive_int(n_heads, "n_heads")
    rows, d_model = W_o.shape
    if rows % n_heads:
        raise ValueError(f"W_o of shape {W_o.shape}: {rows} rows are not divisible by n_heads = {n_heads}")
    return W_o.reshape(n_heads, rows // n_heads, d_model)  # (n_heads, d_head, d_model)


def count_parameters(d_model, n_heads):
    """Number of weights in one multi-head attention layer without biases: 4 · d_model² (notebook 08)."""
    d_model = check_positive_int(d_model, "d_model")
    n_heads = check_positive_int(n_heads, "n_heads")
    check_heads_divide(d_model, n_heads)
    d_head = d_model // n_heads
    per_head = 3 * d_model * d_head  # W_Q^h, W_K^h, W_V^h
    return n_heads * per_head + (n_heads * d_head) * d_model  # + W_O


def step_values(Q, K, V, query, mask=None):
    """Every number of the slides' table for query word i, as arrays (notebooks 03–05).

    Returns {"score": q_i · k_j (T,), "scaled": score / √d_k (T,), "weights": softmax (T,),
    "weighted": weight_j · v_j (T, d_v), "z": Σ_j weighted (d_v,)}.
    `mask` (optional, notebook 06): boolean (T,) or (T, T), True = word j may be looked at;
    masked scaled scores are -inf, their weights 0; a query with no word allowed gets z_i = 0.
    """
    Q, K, V = check_sentence_qkv(Q, K, V)
    T, d_k = K.shape
    i = check_query(query, T)
    allowed = None if mask is None else mask_row(mask, T, i)
    q = Q[i]  # (d_k,)
    score = K @ q  # (T, d_k) @ (d_k,) -> (T,): score_j = q_i · k_j
    scaled = score / math.sqrt(d_k)  # (T,); a Python float keeps float32
    if allowed is not None:
        scaled = np.where(allowed, scaled, -np.inf).astype(score.dtype)  # mask BEFORE the softmax
    if allowed is not None and not allowed.any():
        weights = np.zeros_like(score)  # attends to nothing
    else:
        weights = softmax(scaled)  # (T,), sums to 1
    weighted = weights[:, None] * V  # (T, 1) * (T, d_v) -> (T, d_v): weight_j · v_j
    z = weighted.sum(axis=0)  # (d_v,): z_i = Σ_j weight_j v_j
    return {"score": score, "scaled": scaled, "weights": weights, "weighted": weighted, "z": z}


def mask_scores(S, mask):
    """Scores with every blocked entry set to -inf: np.where(mask, S, -inf), mask True = allowed (notebook 06).

    S (..., T_q, T_k) float; mask boolean, broadcastable to S's shape; returns S's shape and dtype.
    """
    S = as_scores(S)
    mask = as_bool_mask(as_boolean(mask), S.shape)
    return np.where(mask, S, -np.inf)  # a Python -inf keeps float32 float32


def masked_softmax(S, mask=None):
    """Weights A = softmax of the masked scores, masked BEFORE the softmax, over the last axis (notebook 06).

    Blocked keys get weight exactly 0 and each row sums to 1; a row whose mask allows no key
    at all gets weights 0 everywhere (it attends to nothing), as in scaled_dot_product_attention.
    """
    S = as_scores(S)
    if mask is None:
        return softmax(S, axis=-1)
    mask = as_bool_mask(as_boolean(mask), S.shape)
    empty = ~mask.any(axis=-1, keepdims=True)  # (..., T_q, 1): rows with no allowed key
    S = np.where(mask | empty, S, -np.inf)  # (..., T_q, T_k); an empty row keeps its finite scores for now
    A = softmax(S, axis=-1)  # every row has a finite entry, so nothing is 0 / 0
    return np.where(empty, np.zeros((), dtype=A.dtype), A)  # (..., T_q, T_k)
