"""The slides' pipeline, vectorised in numpy: softmax, scores, masks, attention, heads, W_O (notebooks 02–08).

Shapes use one vocabulary throughout the series:
    X (..., T, d_model)   Q, K (..., T, d_k)   V (..., T, d_v)   S, A (..., T_q, T_k)
    heads: (..., n_heads, T, d_head) with d_head = d_model // n_heads
Weights follow the slides: a row of embeddings times a matrix, q_i = x_i W_Q, so Q = X @ W_q.

Every public function first checks its inputs (helpers/_validate.py), then computes the formula
in its docstring. Multi-head attention comes twice, side by side: `multi_head_attention_literal`
is the slides' formula step by step; `multi_head_attention` computes the same numbers faster
(tests/test_core.py holds the two equal). Imports: numpy and _validate only.
"""

import math
from typing import NamedTuple

import numpy as np

from ._validate import (
    as_bool_mask,
    as_boolean,
    as_float_array,
    as_mha_inputs,
    as_qkv,
    as_scores,
    check_heads_cut,
    check_heads_divide,
    check_positive_int,
    check_query,
    check_rows_to_normalise,
    check_sentence_qkv,
    check_softmax_input,
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
    "multi_head_attention_literal",
    "naive_softmax",
    "output_weights_per_head",
    "scaled_dot_product_attention",
    "softmax",
    "split_heads",
    "step_values",
]


# ---------------------------------------------------------------- notebook 03: scores


def attention_scores(Q, K):
    """S = Q Kᵀ / √d_k, shape (..., T_q, T_k) (notebook 03)."""
    Q, K = as_qkv(Q, K)
    return _scores(Q, K)


def _scores(Q, K):
    """S = Q Kᵀ / √d_k, no checks."""
    d_k = Q.shape[-1]
    # (..., T_q, d_k) @ (..., d_k, T_k) -> (..., T_q, T_k); a Python float keeps float32
    return (Q @ np.swapaxes(K, -1, -2)) / math.sqrt(d_k)


# ---------------------------------------------------------------- notebook 04: softmax


def softmax(x, axis=-1):
    """Numerically stable softmax along `axis`: exp(x_j - max x) / Σ_k exp(x_k - max x) (notebook 04).

    Entries of -inf get weight exactly 0 as long as one entry of their slice is finite;
    a slice with no finite entry raises ValueError (there is nothing to normalise).
    """
    x = as_float_array(x, "softmax input", allow_neg_inf=True)
    m = np.max(x, axis=axis, keepdims=True)  # same shape as x, size 1 along axis
    check_softmax_input(x, m, axis)
    e = np.exp(x - m)  # the largest entry becomes exp(0) = 1, so nothing overflows
    return e / e.sum(axis=axis, keepdims=True)


def naive_softmax(x, axis=-1):
    """Softmax straight from the definition, exp(x) / Σ exp(x): overflows for large x (notebook 04)."""
    x = np.asarray(x, dtype=np.result_type(np.asarray(x).dtype, np.float32))
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(x)
        return e / e.sum(axis=axis, keepdims=True)


# ---------------------------------------------------------------- notebook 06: the causal mask


def causal_mask(T):
    """(T, T) boolean mask, True on and below the diagonal: token i may look at tokens 0..i (notebook 06)."""
    T = check_positive_int(T, "T")
    return np.tril(np.ones((T, T), dtype=bool))


def mask_scores(S, mask):
    """S with every blocked entry set to -inf: np.where(mask, S, -inf), mask True = allowed (notebook 06)."""
    S = as_scores(S)
    mask = as_bool_mask(as_boolean(mask), S.shape)
    return np.where(mask, S, -np.inf)  # (..., T_q, T_k); a Python -inf keeps float32


def masked_softmax(S, mask=None):
    """A = softmax of the scores masked BEFORE the softmax, over the last axis (notebook 06).

    Blocked keys get weight exactly 0 and each row sums to 1; a row whose mask allows no key
    at all gets weights 0 everywhere (it attends to nothing), as in scaled_dot_product_attention.
    """
    S = as_scores(S)
    if mask is None:
        return softmax(S, axis=-1)
    mask = as_bool_mask(as_boolean(mask), S.shape)
    return _masked_softmax(S, mask, lambda: f"S of shape {S.shape}")


def _masked_softmax(S, mask, what):
    """Softmax over the last axis of S, mask False -> weight 0, no key allowed -> a row of 0; no checks.

    The one body of every attention in the series: attention, multi-head attention, step_values.
    S must be a new array of scores: it becomes A in place (no second (..., T_q, T_k) buffer).
    """
    empty = None
    if mask is not None:
        empty = ~mask.any(axis=-1, keepdims=True)  # (..., T_q, 1): rows with no key allowed
        S = np.where(mask | empty, S, -np.inf)  # (..., T_q, T_k): mask BEFORE the softmax
    row_max = S.max(axis=-1, keepdims=True)  # (..., T_q, 1)
    check_rows_to_normalise(row_max, what)  # a row of -inf, or scores that overflowed
    A = np.subtract(S, row_max, out=S)  # (..., T_q, T_k): a row's largest score becomes 0, so exp cannot overflow
    np.exp(A, out=A)
    A /= A.sum(axis=-1, keepdims=True)  # (..., T_q, T_k) / (..., T_q, 1): each row sums to 1
    if empty is not None and empty.any():
        A = np.where(empty, np.zeros((), dtype=A.dtype), A)  # a row with no key attends to nothing
    return A


# ---------------------------------------------------------------- notebooks 05 and 06: attention


def scaled_dot_product_attention(Q, K, V, mask=None):
    """Z = softmax(Q Kᵀ / √d_k) V, returned with the weights A (notebook 05; mask: notebook 06).

    Q (..., T_q, d_k), K (..., T_k, d_k), V (..., T_k, d_v) -> Z (..., T_q, d_v), A (..., T_q, T_k).
    `mask` is boolean, broadcastable to (..., T_q, T_k), True where attention is allowed
    (torch's convention). A query row the mask leaves with no key gets A = 0 and Z = 0:
    it attends to nothing, rather than to everything or to NaN.
    """
    Q, K, V, mask = as_qkv(Q, K, V, mask=mask)
    S = _scores(Q, K)  # (..., T_q, T_k)
    A = _masked_softmax(S, mask, lambda: _scores_name(Q, K))  # (..., T_q, T_k)
    Z = A @ V  # (..., T_q, T_k) @ (..., T_k, d_v) -> (..., T_q, d_v)
    return Z, A


def _scores_name(Q, K):
    """How an error names the scores of Q and K."""
    return (f"the scores Q Kᵀ / √d_k of Q {Q.shape} and K {K.shape} (largest |Q| = "
            f"{float(np.abs(Q).max()):.3g}, |K| = {float(np.abs(K).max()):.3g})")


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
    allowed = None if mask is None else mask_row(mask, T, i)  # (T,) or None
    score = K @ Q[i]  # (T, d_k) @ (d_k,) -> (T,): score_j = q_i · k_j
    scaled = score / math.sqrt(d_k)  # (T,); a Python float keeps float32
    weights = _masked_softmax(scaled.copy(), allowed, lambda: f"the scores of query {i}")  # (T,)
    if allowed is not None:
        scaled = np.where(allowed, scaled, -np.inf).astype(score.dtype)  # as the table shows it
    weighted = weights[:, None] * V  # (T, 1) * (T, d_v) -> (T, d_v): weight_j · v_j
    z = weighted.sum(axis=0)  # (d_v,): z_i = Σ_j weight_j v_j
    return {"score": score, "scaled": scaled, "weights": weights, "weighted": weighted, "z": z}


# ---------------------------------------------------------------- notebook 07: heads


def split_heads(X, n_heads):
    """(..., T, d_model) -> (..., n_heads, T, d_head): cut the last axis into heads (notebook 07)."""
    X = as_float_array(X, "X", min_ndim=2)
    check_heads_divide(X.shape[-1], n_heads, f"X of shape {X.shape}")
    return _split(X, n_heads)


def _split(X, n_heads):
    """split_heads, no checks."""
    *batch, T, d_model = X.shape
    Xh = X.reshape(*batch, T, n_heads, d_model // n_heads)  # (..., T, n_heads, d_head)
    return np.swapaxes(Xh, -3, -2)  # (..., n_heads, T, d_head)


def merge_heads(Z):
    """(..., n_heads, T, d_head) -> (..., T, n_heads · d_head): concatenate the heads (notebook 08)."""
    Z = as_float_array(Z, "Z", min_ndim=3)
    return _merge(Z)


def _merge(Z):
    """merge_heads, no checks."""
    *batch, n_heads, T, d_head = Z.shape
    Zt = np.swapaxes(Z, -3, -2)  # (..., T, n_heads, d_head)
    return Zt.reshape(*batch, T, n_heads * d_head)  # (..., T, n_heads · d_head)


class MHAWeights(NamedTuple):
    """The four projection matrices of one multi-head attention layer, each (d_model, d_model)."""

    W_q: np.ndarray
    W_k: np.ndarray
    W_v: np.ndarray
    W_o: np.ndarray


def init_mha_weights(d_model, n_heads, seed=0, dtype=np.float32):
    """Seeded, untrained W_q, W_k, W_v, W_o, each Glorot-uniform in ±√(6 / (2·d_model)) (notebook 07).

    (torch draws W_q, W_k, W_v as one stacked (3·d_model, d_model) matrix, so its bound is smaller.)
    """
    d_model = check_positive_int(d_model, "d_model")
    check_heads_divide(d_model, n_heads)
    rng = np.random.default_rng(seed)
    limit = math.sqrt(6.0 / (d_model + d_model))
    mats = [rng.uniform(-limit, limit, size=(d_model, d_model)).astype(dtype) for _ in range(4)]
    return MHAWeights(*mats)


def head_weights(W, n_heads):
    """W (d_model, d_model) as per-head matrices (n_heads, d_model, d_head): W^h = columns of head h (notebook 07).

    Head h owns columns h·d_head … (h+1)·d_head - 1, so X @ head_weights(W)[h] is head h of split_heads(X @ W).
    """
    W = as_float_array(W, "W", ndim=2)
    d_in, d_model = W.shape
    d_head = check_heads_cut(d_model, n_heads, f"W of shape {W.shape}", "columns")
    # (d_in, n_heads, d_head) -> (n_heads, d_in, d_head)
    return np.transpose(W.reshape(d_in, n_heads, d_head), (1, 0, 2))


# ---------------------------------------------------------------- notebook 08: multi-head attention


def output_weights_per_head(W_o, n_heads):
    """W_O (n_heads·d_head, d_model) cut by rows into (n_heads, d_head, d_model), one block per head (notebook 08)."""
    W_o = as_float_array(W_o, "W_o", ndim=2)
    rows, d_model = W_o.shape
    d_head = check_heads_cut(rows, n_heads, f"W_o of shape {W_o.shape}", "rows")
    return W_o.reshape(n_heads, d_head, d_model)  # (n_heads, d_head, d_model)


def multi_head_attention_literal(X, W_q, W_k, W_v, W_o, n_heads, mask=None, *, b_q=None, b_k=None, b_v=None,
                                 b_o=None):
    """Z = concat(Z_0 … Z_{h-1}) W_O + b_O with Z_h = softmax(Q_h K_hᵀ / √d_head) V_h, step by step (notebook 08).

    The slides' formula as written; multi_head_attention gives the same numbers faster.
    Arguments and results as multi_head_attention.
    """
    X, (W_q, W_k, W_v, W_o), (b_q, b_k, b_v, b_o), mask = as_mha_inputs(
        X, (W_q, W_k, W_v, W_o), (b_q, b_k, b_v, b_o), n_heads, mask)
    # 1. Q = X W_Q + b_Q, K = X W_K + b_K, V = X W_V + b_V: (..., T, d_model) @ (d_model, d_model)
    Q, K, V = (X @ W if b is None else X @ W + b for W, b in ((W_q, b_q), (W_k, b_k), (W_v, b_v)))
    # 2. cut each into heads: (..., T, d_model) -> (..., n_heads, T, d_head)
    Qh, Kh, Vh = _split(Q, n_heads), _split(K, n_heads), _split(V, n_heads)
    # 3. every head at once: Z_h = softmax(Q_h K_hᵀ / √d_head) V_h, A (..., n_heads, T, T)
    S = _scores(Qh, Kh)  # (..., n_heads, T, d_head) @ (..., n_heads, d_head, T) -> (..., n_heads, T, T)
    A = _masked_softmax(S, mask, lambda: _scores_name(Qh, Kh))  # (..., n_heads, T, T)
    Zh = A @ Vh  # (..., n_heads, T, T) @ (..., n_heads, T, d_head) -> (..., n_heads, T, d_head)
    # 4. concat(Z_0 … Z_{h-1}) W_O + b_O: (..., T, d_model) @ (d_model, d_model)
    Z = _merge(Zh) @ W_o
    return (Z if b_o is None else Z + b_o), A


def multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, mask=None, *, b_q=None, b_k=None, b_v=None, b_o=None):
    """Multi-head self-attention Z = concat(Z_0 … Z_{h-1}) W_O + b_O, with the weights A (notebook 08).

    X (..., T, d_model); each W (d_model, d_model), used as X @ W; each optional bias b (d_model,),
    as in torch.nn.MultiheadAttention; `mask` boolean, broadcastable to (..., T, T) over X's batch
    axes, shared by every head. Returns Z (..., T, d_model) and A (..., n_heads, T, T).
    The same numbers as multi_head_attention_literal (up to rounding), computed faster: the
    1/√d_head of every head is moved into W_Q and b_Q (a pass over (d_model, d_model) instead of
    one over (..., n_heads, T, T)), and each projection is one 2-D product over all batch·T rows.
    """
    X, (W_q, W_k, W_v, W_o), (b_q, b_k, b_v, b_o), mask = as_mha_inputs(
        X, (W_q, W_k, W_v, W_o), (b_q, b_k, b_v, b_o), n_heads, mask)
    *batch, T, d_model = X.shape
    scale = 1.0 / math.sqrt(d_model // n_heads)  # 1/√d_head; a Python float keeps float32
    X2 = X.reshape(-1, d_model)  # (batch·T, d_model): one large 2-D product per projection
    Q = X2 @ (W_q * scale)  # (batch·T, d_model) @ (d_model, d_model) = Q / √d_head
    K = X2 @ W_k  # (batch·T, d_model)
    V = X2 @ W_v  # (batch·T, d_model)
    if b_q is not None:
        Q = Q + b_q * scale  # (batch·T, d_model) + (d_model,); dtypes promote as in the literal path
    if b_k is not None:
        K = K + b_k
    if b_v is not None:
        V = V + b_v
    # (batch·T, d_model) -> (..., T, d_model) -> (..., n_heads, T, d_head)
    Qh, Kh, Vh = (_split(M.reshape(*batch, T, d_model), n_heads) for M in (Q, K, V))
    S = Qh @ np.swapaxes(Kh, -1, -2)  # (..., n_heads, T, d_head) @ (..., n_heads, d_head, T): Q_h K_hᵀ / √d_head
    A = _masked_softmax(S, mask, lambda: _scores_name(Qh, Kh))  # (..., n_heads, T, T)
    Zh = A @ Vh  # (..., n_heads, T, T) @ (..., n_heads, T, d_head) -> (..., n_heads, T, d_head)
    Z = _merge(Zh).reshape(-1, d_model) @ W_o  # (batch·T, d_model) @ (d_model, d_model)
    if b_o is not None:
        Z = Z + b_o
    return Z.reshape(*batch, T, d_model), A  # (..., T, d_model), (..., n_heads, T, T)


def count_parameters(d_model, n_heads, bias=False):
    """Weights of one multi-head attention layer: 4 · d_model², + 4 · d_model with biases (notebook 08)."""
    d_model = check_positive_int(d_model, "d_model")
    d_head = check_heads_divide(d_model, n_heads)
    per_head = 3 * d_model * d_head  # W_Q^h, W_K^h, W_V^h
    weights = n_heads * per_head + (n_heads * d_head) * d_model  # + W_O
    return weights + (4 * d_model if bias else 0)  # b_Q, b_K, b_V, b_O
