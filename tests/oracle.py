"""Reference attention written straight from the formulas, with explicit Python loops.

This file is the yardstick the tests hold `helpers` against, so it shares no code with it:
no vectorised numpy products, no calls into `helpers`, only Python floats, `for` loops over
the indices i (query token), j (key token), d (feature), and math.exp. It is slow on purpose;
read it beside the slides:

    q_i = x_i W_Q^h,  k_j = x_j W_K^h,  v_j = x_j W_V^h            (one set per head h)
    s_ij = q_i · k_j / √d_k                                          (score, scaled)
    a_ij = exp(s_ij - max_j s_ij) / Σ_j exp(s_ij - max_j s_ij)      (softmax over the keys j)
    z_i = Σ_j a_ij v_j                                               (weighted sum)
    Z_f = concat(Z_0 … Z_{h-1}) W_O                                  (heads side by side, then W_O)

numpy appears only at the edges: turning arrays into nested lists (`.tolist()`), looping over
batch entries (`np.ndindex`), and packing the results back into arrays.
"""

import math

import numpy as np


# ---------------------------------------------------------------- small building blocks


def softmax_row(row):
    """Softmax of one list of numbers; -inf entries get weight 0; a row with no finite entry raises."""
    finite = [s for s in row if s != -math.inf]
    if not finite:
        raise ValueError("softmax of a row with no finite entry is undefined")
    m = max(finite)  # subtract the largest score so that exp never overflows
    e = [math.exp(s - m) for s in row]  # exp(-inf) = 0.0
    total = 0.0
    for e_j in e:
        total += e_j
    return [e_j / total for e_j in e]


def softmax(x):
    """Softmax over the last axis of a 1-D list (one row) or a 2-D list (each row on its own)."""
    x = _as_list(x)
    if x and isinstance(x[0], list):
        return [softmax_row(row) for row in x]
    return softmax_row(x)


def matmul(P, R):
    """(n, m) times (m, p) as nested lists: out[i][c] = Σ_d P[i][d] R[d][c]."""
    P, R = _as_list(P), _as_list(R)
    n, m, p = len(P), len(R), len(R[0])
    out = [[0.0] * p for _ in range(n)]
    for i in range(n):
        for c in range(p):
            total = 0.0
            for d in range(m):
                total += P[i][d] * R[d][c]
            out[i][c] = total
    return out


def dot(u, w):
    """u · w = Σ_d u[d] w[d]."""
    total = 0.0
    for d in range(len(u)):
        total += u[d] * w[d]
    return total


def causal_mask(T):
    """mask[i][j] is True when j ≤ i: token i may look at tokens 0 … i."""
    return [[j <= i for j in range(T)] for i in range(T)]


# ---------------------------------------------------------------- one attention problem


def scores(Q, K):
    """S[i][j] = q_i · k_j / √d_k for Q (T_q, d_k) and K (T_k, d_k), as nested lists."""
    Q, K = _as_list(Q), _as_list(K)
    d_k = len(Q[0])
    return [[dot(Q[i], K[j]) / math.sqrt(d_k) for j in range(len(K))] for i in range(len(Q))]


def attention(Q, K, V, mask=None):
    """Z, A for one problem: Q (T_q, d_k), K (T_k, d_k), V (T_k, d_v); mask[i][j] True = allowed.

    A query row that the mask leaves with no key gets a_ij = 0 for every j, hence z_i = 0.
    """
    Q, K, V = _as_list(Q), _as_list(K), _as_list(V)
    T_q, T_k, d_v = len(Q), len(K), len(V[0])
    S = scores(Q, K)
    A, Z = [], []
    for i in range(T_q):
        allowed = [True] * T_k if mask is None else [bool(mask[i][j]) for j in range(T_k)]
        if not any(allowed):
            a_i = [0.0] * T_k  # attends to nothing
        else:
            # masked scores become -inf BEFORE the softmax, so their weight is exactly 0
            a_i = softmax_row([S[i][j] if allowed[j] else -math.inf for j in range(T_k)])
        z_i = [0.0] * d_v
        for j in range(T_k):
            for d in range(d_v):
                z_i[d] += a_i[j] * V[j][d]  # z_i = Σ_j a_ij v_j
        A.append(a_i)
        Z.append(z_i)
    return Z, A


# ---------------------------------------------------------------- heads


def head_columns(W, h, d_head):
    """W^h: the columns h·d_head … (h+1)·d_head - 1 of W, as its own (rows, d_head) matrix."""
    W = _as_list(W)
    return [[W[r][h * d_head + c] for c in range(d_head)] for r in range(len(W))]


def head_rows(W_o, h, d_head):
    """W_O^(h): the rows h·d_head … (h+1)·d_head - 1 of W_O, the block that head h multiplies."""
    W_o = _as_list(W_o)
    return [list(W_o[h * d_head + c]) for c in range(d_head)]


def split_heads(X, n_heads):
    """X (T, d_model) -> out[h][t][c] = X[t][h·d_head + c]."""
    X = _as_list(X)
    d_head = len(X[0]) // n_heads
    return [[[X[t][h * d_head + c] for c in range(d_head)] for t in range(len(X))] for h in range(n_heads)]


def merge_heads(Zh):
    """Zh (n_heads, T, d_head) -> concat(Z_0 … Z_{h-1}): row t is Z_0[t] followed by Z_1[t], …"""
    Zh = _as_list(Zh)
    T = len(Zh[0])
    out = []
    for t in range(T):
        row = []
        for Z_h in Zh:
            row.extend(Z_h[t])
        out.append(row)
    return out


def multi_head_attention_one(X, W_q, W_k, W_v, W_o, n_heads, mask=None):
    """Multi-head self-attention for one sequence X (T, d_model), the way the slides draw it.

    Returns Z_f (T, d_model) and A (n_heads, T, T) as nested lists.
    """
    X = _as_list(X)
    d_model = len(X[0])
    d_head = d_model // n_heads
    Zs, As = [], []
    for h in range(n_heads):
        # each head has its own, separate matrices W_Q^h, W_K^h, W_V^h (d_model, d_head)
        W_Q_h = head_columns(W_q, h, d_head)
        W_K_h = head_columns(W_k, h, d_head)
        W_V_h = head_columns(W_v, h, d_head)
        Q_h = matmul(X, W_Q_h)  # row i is q_i = x_i W_Q^h
        K_h = matmul(X, W_K_h)  # row j is k_j = x_j W_K^h
        V_h = matmul(X, W_V_h)  # row j is v_j = x_j W_V^h
        Z_h, A_h = attention(Q_h, K_h, V_h, mask)  # d_k = d_head
        Zs.append(Z_h)
        As.append(A_h)
    concat = merge_heads(Zs)  # (T, n_heads · d_head): Z_0 … Z_{h-1} side by side
    Z_f = matmul(concat, W_o)  # (T, d_model)
    return Z_f, As


# ---------------------------------------------------------------- batched wrappers (arrays in, arrays out)


def batched_attention(Q, K, V, mask=None):
    """Loop `attention` over the batch axes of Q, K, V (and mask); returns float64 arrays Z, A."""
    Q, K, V = (np.asarray(M, dtype=np.float64) for M in (Q, K, V))
    batch = np.broadcast_shapes(Q.shape[:-2], K.shape[:-2], V.shape[:-2])
    T_q, T_k = Q.shape[-2], K.shape[-2]
    Q = np.broadcast_to(Q, batch + Q.shape[-2:])
    K = np.broadcast_to(K, batch + K.shape[-2:])
    V = np.broadcast_to(V, batch + V.shape[-2:])
    if mask is not None:
        mask = np.broadcast_to(np.asarray(mask), batch + (T_q, T_k))
    Z = np.zeros(batch + (T_q, V.shape[-1]))
    A = np.zeros(batch + (T_q, T_k))
    for b in np.ndindex(*batch):  # b = () when there is no batch axis
        m = None if mask is None else mask[b].tolist()
        Z_b, A_b = attention(Q[b].tolist(), K[b].tolist(), V[b].tolist(), m)
        Z[b] = Z_b
        A[b] = A_b
    return Z, A


def batched_scores(Q, K):
    """Loop `scores` over the batch axes of Q and K; returns a float64 array S (..., T_q, T_k)."""
    Q, K = (np.asarray(M, dtype=np.float64) for M in (Q, K))
    batch = np.broadcast_shapes(Q.shape[:-2], K.shape[:-2])
    Q = np.broadcast_to(Q, batch + Q.shape[-2:])
    K = np.broadcast_to(K, batch + K.shape[-2:])
    S = np.zeros(batch + (Q.shape[-2], K.shape[-2]))
    for b in np.ndindex(*batch):
        S[b] = scores(Q[b].tolist(), K[b].tolist())
    return S


def multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, mask=None):
    """Loop `multi_head_attention_one` over the batch axes of X; returns Z (..., T, d_model), A (..., n_heads, T, T)."""
    X = np.asarray(X, dtype=np.float64)
    batch, (T, d_model) = X.shape[:-2], X.shape[-2:]
    Ws = [np.asarray(W, dtype=np.float64).tolist() for W in (W_q, W_k, W_v, W_o)]
    if mask is not None:
        mask = np.broadcast_to(np.asarray(mask), batch + (T, T))
    Z = np.zeros(batch + (T, d_model))
    A = np.zeros(batch + (n_heads, T, T))
    for b in np.ndindex(*batch):
        m = None if mask is None else mask[b].tolist()
        Z_b, A_b = multi_head_attention_one(X[b].tolist(), *Ws, n_heads, m)
        Z[b] = Z_b
        A[b] = A_b
    return Z, A


def _as_list(x):
    """Nested Python lists of floats, whatever came in (list or numpy array)."""
    return x.tolist() if isinstance(x, np.ndarray) else x


def loop_step(Q, K, V, i, allowed=None):
    """Reference: score_j = Σ_d q_i[d] k_j[d]; /√d_k; softmax with math.exp; weighted_j = a_j v_j; z = Σ_j."""
    Q, K, V = (np.asarray(M, dtype=np.float64).tolist() for M in (Q, K, V))
    T, d_k, d_v = len(K), len(K[0]), len(V[0])
    score = []
    for j in range(T):
        total = 0.0
        for d in range(d_k):
            total += Q[i][d] * K[j][d]
        score.append(total)
    scaled = [s / math.sqrt(d_k) for s in score]
    if allowed is not None:
        scaled = [s if allowed[j] else -math.inf for j, s in enumerate(scaled)]
    finite = [s for s in scaled if s != -math.inf]
    if finite:
        m = max(finite)
        e = [math.exp(s - m) if s != -math.inf else 0.0 for s in scaled]
        total = sum(e)
        weights = [x / total for x in e]
    else:
        weights = [0.0] * T
    weighted = [[weights[j] * V[j][c] for c in range(d_v)] for j in range(T)]
    z = [0.0] * d_v
    for j in range(T):
        for c in range(d_v):
            z[c] += weighted[j][c]
    return {"score": score, "scaled": scaled, "weights": weights, "weighted": weighted, "z": z}
