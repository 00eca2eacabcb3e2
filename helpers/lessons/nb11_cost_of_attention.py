"""Attention computed block by block with an online softmax, and the tools that measure its cost.

Notebook 11 builds these ideas. The full computation (helpers.scaled_dot_product_attention)
holds the whole (T_q, T_k) matrix of scores S and weights A; the blocked one walks over the
keys in blocks of `block_size` and keeps, for every query row i, only three running things:

    m_i   the largest score seen so far                          (running max)
    ℓ_i   Σ_j exp(s_ij − m_i) over the keys seen so far          (running sum)
    o_i   Σ_j exp(s_ij − m_i) v_j over the keys seen so far      (running, unnormalised output)

When a block brings a larger max, m_old → m_new, everything summed so far was measured against
the old max, so ℓ_i and o_i are rescaled by exp(m_old − m_new) before the block is added.
At the end z_i = o_i / ℓ_i: the same numbers as softmax(Q Kᵀ / √d_k) V, without the T × T matrix
(memory O(T · block_size) instead of O(T²)). FlashAttention does exactly this, tiled in fast
on-chip memory.
"""

import gc
import math
import time
import tracemalloc

import numpy as np

from .._validate import as_bool_mask, as_float_array, check_positive_int

__all__ = [
    "attention_memory_bytes",
    "blocked_attention",
    "live_memory_view",
    "online_softmax",
    "peak_memory",
    "running_max_and_sum",
    "time_it",
    "timed",
]


def running_max_and_sum(scores, block_size):
    """Running max m and running sum ℓ of one row of scores after each block (notebook 11).

    For blocks b = 0, 1, …:  m_new = max(m_old, max_{j in b} s_j),
                             ℓ_new = ℓ_old · exp(m_old − m_new) + Σ_{j in b} exp(s_j − m_new),
    starting from m = −inf, ℓ = 0. Returns two arrays (n_blocks,): m and ℓ after each block.
    A block of only −inf entries adds nothing; a row with no finite entry raises ValueError.
    """
    s = as_float_array(scores, "scores", ndim=1, allow_neg_inf=True)
    block_size = check_positive_int(block_size, "block_size")
    if np.isneginf(s).all():
        raise ValueError(
            f"scores of shape {s.shape} are all -inf: softmax needs at least one finite entry"
        )
    m = s.dtype.type(-np.inf)
    ell = s.dtype.type(0.0)
    ms, ells = [], []
    for start in range(0, s.shape[0], block_size):
        block = s[start : start + block_size]  # (≤ block_size,)
        m_new = max(m, block.max())
        if m_new != -np.inf:  # nothing finite seen yet: m stays −inf, ℓ stays 0
            ell = ell * np.exp(m - m_new) + np.exp(block - m_new).sum()  # rescale, then add
            m = m_new
        ms.append(m)
        ells.append(ell)
    return np.array(ms, dtype=s.dtype), np.array(ells, dtype=s.dtype)


def online_softmax(scores, block_size):
    """Softmax of one row, computed block by block with a running max and running sum (notebook 11).

    Pass 1 walks the blocks keeping m (running max) and ℓ (running sum), rescaling
    ℓ ← ℓ · exp(m_old − m_new) + Σ_{j in block} exp(s_j − m_new) whenever the max grows;
    pass 2 returns exp(s_j − m) / ℓ. Equal to softmax(scores); −inf entries get weight 0.
    """
    s = as_float_array(scores, "scores", ndim=1, allow_neg_inf=True)
    ms, ells = running_max_and_sum(s, block_size)
    m, ell = ms[-1], ells[-1]  # the max and the sum over the whole row
    return np.exp(s - m) / ell  # (T,)


def blocked_attention(Q, K, V, block_size=128, mask=None, causal=False, return_lse=False):
    """Z = softmax(Q Kᵀ / √d_k) V over blocks of keys, never holding (T_q, T_k) (notebook 11).

    Q (..., T_q, d_k), K (..., T_k, d_k), V (..., T_k, d_v) -> Z (..., T_q, d_v), and with
    `return_lse` also the log-sum-exp of each query's scores, log Σ_j exp(s_ij), (..., T_q).
    `mask` is boolean, broadcastable to (..., T_q, T_k), True = allowed (as in
    scaled_dot_product_attention); `causal=True` lets query i see keys 0 … i (as causal_mask(T))
    and builds each block's mask from indices, so no T × T array exists at all. A query row
    with no allowed key gets Z = 0 (and lse = −inf). Memory: O(T_q · block_size).
    """
    Q = as_float_array(Q, "Q", min_ndim=2)
    K = as_float_array(K, "K", min_ndim=2)
    V = as_float_array(V, "V", min_ndim=2)
    block_size = check_positive_int(block_size, "block_size")
    if Q.shape[-1] != K.shape[-1]:
        raise ValueError(
            f"Q and K must share d_k (their last axis): Q has shape {Q.shape}, K has shape {K.shape}"
        )
    if V.shape[-2] != K.shape[-2]:
        raise ValueError(
            f"K and V must have the same number of tokens T_k: K has shape {K.shape}, V has shape {V.shape}"
        )
    try:
        batch = np.broadcast_shapes(Q.shape[:-2], K.shape[:-2], V.shape[:-2])
    except ValueError:
        raise ValueError(
            f"the batch axes of Q {Q.shape}, K {K.shape} and V {V.shape} do not broadcast"
        ) from None
    T_q, T_k = Q.shape[-2], K.shape[-2]
    if mask is not None and causal:
        raise ValueError("give either mask or causal=True, not both (combine them into one boolean mask)")
    if causal and T_q != T_k:
        raise ValueError(
            f"causal=True needs as many queries as keys: Q has shape {Q.shape}, K has shape {K.shape}"
        )
    if mask is not None:
        mask = as_bool_mask(mask, batch + (T_q, T_k))  # a broadcast view, no copy
    dtype = np.result_type(Q, K, V)
    scale = 1.0 / math.sqrt(Q.shape[-1])  # a Python float keeps float32 float32

    m = np.full(batch + (T_q, 1), -np.inf, dtype=dtype)  # running max of each query row
    ell = np.zeros(batch + (T_q, 1), dtype=dtype)  # running sum of exp(s_ij − m_i)
    acc = np.zeros(batch + (T_q, V.shape[-1]), dtype=dtype)  # running Σ_j exp(s_ij − m_i) v_j
    rows = np.arange(T_q)[:, None]  # (T_q, 1): query index i, for the causal mask
    for start in range(0, T_k, block_size):
        stop = min(start + block_size, T_k)
        K_b = K[..., start:stop, :]  # (..., B, d_k)
        V_b = V[..., start:stop, :]  # (..., B, d_v)
        S_b = Q @ np.swapaxes(K_b, -1, -2)  # (..., T_q, d_k) @ (..., d_k, B) -> (..., T_q, B)
        if S_b.dtype != dtype or S_b.shape[:-2] != batch:  # V brings a wider dtype or more batch axes
            S_b = np.broadcast_to(S_b, batch + S_b.shape[-2:]).astype(dtype)  # (..., T_q, B)
        S_b *= scale  # S_b = Q K_bᵀ / √d_k, in place
        if causal:
            blocked = np.arange(start, stop)[None, :] > rows  # (T_q, B): key j after query i
        elif mask is not None:
            blocked = ~mask[..., start:stop]  # (..., T_q, B)
        else:
            blocked = None
        if blocked is not None:
            S_b[np.broadcast_to(blocked, S_b.shape)] = -np.inf  # masked BEFORE the softmax: weight 0
        m_new = np.maximum(m, S_b.max(axis=-1, keepdims=True))  # (..., T_q, 1)
        m_safe = np.where(np.isneginf(m_new), 0.0, m_new).astype(dtype)  # rows with no key yet
        alpha = np.exp(m - m_safe)  # exp(m_old − m_new): rescales what was summed so far
        S_b -= m_safe
        P_b = np.exp(S_b, out=S_b)  # (..., T_q, B): exp(s_ij − m_new), in place
        ell *= alpha
        ell += P_b.sum(axis=-1, keepdims=True)
        acc *= alpha
        acc += P_b @ V_b  # (..., T_q, B) @ (..., B, d_v) -> (..., T_q, d_v)
        m = m_new
        del S_b, P_b, blocked
    empty = ell == 0  # (..., T_q, 1): rows that attended to nothing
    Z = acc / np.where(empty, 1.0, ell).astype(dtype)  # z_i = o_i / ℓ_i; o_i = 0 when empty
    if not return_lse:
        return Z
    with np.errstate(divide="ignore"):
        lse = (m + np.log(ell))[..., 0]  # (..., T_q): log Σ_j exp(s_ij) = m_i + log ℓ_i
    return Z, lse


def attention_memory_bytes(T, block_size=128, d_v=64, itemsize=4):
    """Bytes of working memory, full vs blocked attention, counted from the shapes (notebook 11).

    full:    the (T, T) weights A plus the output Z (T, d_v)           = itemsize · (T² + T·d_v)
    blocked: one block of scores (T, B), the running output (T, d_v),
             the running max m and running sum ℓ (T each)              = itemsize · (T·B + T·d_v + 2T)
    with B = min(block_size, T). Returns (full, blocked) as ints. Inputs Q, K, V are not counted.
    """
    T = check_positive_int(T, "T")
    block_size = check_positive_int(block_size, "block_size")
    d_v = check_positive_int(d_v, "d_v")
    itemsize = check_positive_int(itemsize, "itemsize")
    B = min(block_size, T)
    full = itemsize * (T * T + T * d_v)
    blocked = itemsize * (T * B + T * d_v + 2 * T)
    return full, blocked


def peak_memory(fn, *args, **kwargs):
    """Peak bytes newly allocated while fn(*args, **kwargs) runs, measured with tracemalloc (notebook 11).

    numpy reports its array buffers to tracemalloc, so this counts the arrays fn creates
    (temporaries and the result), not the inputs that existed before the call.
    """
    gc.collect(0)  # young garbage only: a full collection costs ~0.1 s once matplotlib is loaded
    started_here = not tracemalloc.is_tracing()
    if started_here:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        result = fn(*args, **kwargs)
        _, peak = tracemalloc.get_traced_memory()
        del result
    finally:
        if started_here:
            tracemalloc.stop()
    return int(peak - before)


def timed(fn, *args, **kwargs):
    """One wall-clock run of fn(*args, **kwargs): returns (its result, seconds) (notebook 11)."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def time_it(fn, *args, repeats=3, **kwargs):
    """Best-of-`repeats` wall-clock seconds of fn(*args, **kwargs) (notebook 11)."""
    repeats = check_positive_int(repeats, "repeats")
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best


def live_memory_view(T_control, block_control, d_v=64, width=600, height=400):
    """The memory widget of notebook 11, redrawn in place.

    attention_memory_bytes, full vs blocked, as two bars on a FIXED logarithmic axis (from 1 KB to the
    largest T's full memory), so that doubling T visibly raises the full bar by a factor 4 and the
    blocked one by about 2. The controls' values are T and the block size; T_control.options gives the
    largest T. Returns the helpers.LiveFigure, connected.
    """
    from ..show.live import LiveFigure, live_fonts

    live = LiveFigure(width=width, height=height)
    ax = live.figure.add_subplot()
    live.figure.subplots_adjust(left=0.15, right=0.97, bottom=0.08, top=0.9)
    floor = 2**10
    top = max(attention_memory_bytes(T, 1, d_v, 4)[0] for T in T_control.options)
    ax.set_yscale("log")
    ax.set_ylim(floor, 8 * top)
    ticks = [2**k for k in range(10, int(math.log2(8 * top)) + 1, 10)]  # 1 KB, 1 MB, 1 GB, …
    ax.set_yticks(ticks, [_byte_text(t) for t in ticks])
    ax.minorticks_off()
    ax.set_ylabel("memory, counted (log scale)")
    bars = ax.bar(["full", "blocked"], [1, 1], bottom=floor, color=["#D55E00", "#0072B2"], width=0.6)
    texts = [ax.text(k, floor, "", ha="center", va="bottom", fontsize=13) for k in range(2)]
    ax.spines[["top", "right"]].set_visible(False)
    live_fonts(ax, 12)
    live.animate(*bars, *texts, ax.title)

    def update(T, block_size):
        full, blocked = attention_memory_bytes(T, block_size=block_size, d_v=d_v, itemsize=4)
        for bar, text, size in zip(bars, texts, (full, blocked)):
            bar.set_height(size - floor)
            text.set(text=_byte_text(size), y=size * 1.2)
        ax.title.set_text(f"T = {T}, block = {min(block_size, T)}: full / blocked = {full / blocked:.1f}×")

    return live.connect(update, T=T_control, block_size=block_control)


def _byte_text(n):
    """1024 -> '1 KB', 3 * 2**20 -> '3 MB' (binary units, 3 significant digits)."""
    for unit, size in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} B"
