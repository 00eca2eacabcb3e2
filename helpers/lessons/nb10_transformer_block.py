"""What surrounds multi-head attention in Figure 1 of the paper: one transformer block in numpy.

    input embedding + positional encoding
    -> [ multi-head attention -> Add & Norm -> feed forward -> Add & Norm ] x N

Shapes use the series' vocabulary: X (..., T, d_model); the feed-forward hidden size is d_ff
(4 · d_model in the paper: 2048 for 512). A block maps (..., T, d_model) to (..., T, d_model),
so blocks stack. Weights are untrained (seeded random draws); there is no dropout (inference).
"""

import math
from typing import NamedTuple

import numpy as np

from .._validate import as_float_array, as_vector_or_none, check_positive_int
from ..core import causal_mask, init_mha_weights, multi_head_attention

__all__ = [
    "add_and_norm",
    "BlockWeights",
    "decoder_block",
    "encoder_block",
    "feed_forward",
    "init_block_weights",
    "layer_norm",
    "live_swap_view",
    "permutation_gap",
    "positional_encoding",
    "relu",
    "swap_gaps",
]


def positional_encoding(T, d_model, dtype=np.float32):
    """Sinusoidal positions, PE(pos, 2i) = sin(pos / 10000^(2i/d_model)), PE(pos, 2i+1) = cos(…) (notebook 10).

    Returns (T, d_model): row `pos` is added to the embedding x_pos of the token at that position.
    d_model must be even, since dimensions come in (sin, cos) pairs.
    """
    T = check_positive_int(T, "T")
    d_model = check_positive_int(d_model, "d_model")
    if d_model % 2:
        raise ValueError(
            f"d_model = {d_model} is odd: the sinusoidal encoding pairs dimensions (2i, 2i+1) as "
            f"(sin, cos), so it needs an even d_model to give a (T, d_model) = ({T}, {d_model}) matrix"
        )
    pos = np.arange(T, dtype=np.float64)[:, None]  # (T, 1)
    two_i = np.arange(0, d_model, 2, dtype=np.float64)  # (d_model/2,): 0, 2, 4, …
    angle = pos / np.power(10000.0, two_i / d_model)  # (T, 1) / (d_model/2,) -> (T, d_model/2)
    PE = np.empty((T, d_model), dtype=np.float64)
    PE[:, 0::2] = np.sin(angle)  # even dimensions 2i
    PE[:, 1::2] = np.cos(angle)  # odd dimensions 2i+1
    return PE.astype(dtype)  # computed in float64, returned as `dtype`


def layer_norm(x, gamma=None, beta=None, eps=1e-5):
    """(x - mean) / sqrt(var + eps) · gamma + beta over the last axis, for each token on its own (notebook 10).

    x (..., d_model); gamma, beta (d_model,) or None (then 1 and 0). var is the biased variance
    (divide by d_model), as torch.nn.LayerNorm computes it.
    """
    x = as_float_array(x, "x", min_ndim=1)
    d_model = x.shape[-1]
    gamma = as_vector_or_none(gamma, "gamma", d_model, x.shape)
    beta = as_vector_or_none(beta, "beta", d_model, x.shape)
    eps = float(eps)  # a Python float keeps float32 float32
    if not eps > 0.0:
        raise ValueError(f"eps must be positive, got {eps}")
    return _layer_norm(x, gamma, beta, eps)


def _layer_norm(x, gamma, beta, eps):
    """layer_norm without input checks."""
    mean = x.mean(axis=-1, keepdims=True)  # (..., 1)
    centred = x - mean  # (..., d_model)
    var = (centred * centred).mean(axis=-1, keepdims=True)  # (..., 1), biased
    y = centred / np.sqrt(var + eps)  # (..., d_model): mean 0, variance 1 per token
    if gamma is not None:
        y = y * gamma  # (..., d_model) * (d_model,)
    if beta is not None:
        y = y + beta  # (..., d_model) + (d_model,)
    return y


def add_and_norm(X, S, gamma=None, beta=None, eps=1e-5):
    """The paper's "Add & Norm": LayerNorm(x + Sublayer(x)), with S = Sublayer(X) (notebook 10)."""
    X = as_float_array(X, "X", min_ndim=1)
    S = as_float_array(S, "S (the sublayer's output)", min_ndim=1)
    if X.shape != S.shape:
        raise ValueError(
            f"the residual connection X + S needs equal shapes: X has shape {X.shape}, S has shape {S.shape}"
        )
    return layer_norm(X + S, gamma, beta, eps)  # (..., d_model)


def relu(x):
    """max(0, x) elementwise, the nonlinearity of the feed-forward network (notebook 10)."""
    return _relu(as_float_array(x, "x"))


def _relu(x):
    """relu without input checks."""
    return np.maximum(x, np.zeros((), dtype=x.dtype))  # a 0-d zero of x's dtype keeps float32


def feed_forward(X, W_1, b_1, W_2, b_2):
    """Position-wise feed-forward network FFN(x) = max(0, x W_1 + b_1) W_2 + b_2 (notebook 10).

    X (..., d_model), W_1 (d_model, d_ff), b_1 (d_ff,), W_2 (d_ff, d_model), b_2 (d_model,)
    -> (..., d_model). The same two layers act on every token on its own.
    """
    X = as_float_array(X, "X", min_ndim=1)
    W_1, b_1, W_2, b_2 = _check_ffn(X.shape, W_1, b_1, W_2, b_2)
    return _feed_forward(X, W_1, b_1, W_2, b_2)


def _feed_forward(X, W_1, b_1, W_2, b_2):
    """feed_forward without input checks."""
    H = X @ W_1 + b_1  # (..., T, d_model) @ (d_model, d_ff) -> (..., T, d_ff)
    H = _relu(H)  # (..., T, d_ff)
    return H @ W_2 + b_2  # (..., T, d_ff) @ (d_ff, d_model) -> (..., T, d_model)


class BlockWeights(NamedTuple):
    """Every parameter of one transformer block: attention, two Add & Norms, the feed-forward network."""

    W_q: np.ndarray  # (d_model, d_model)
    W_k: np.ndarray  # (d_model, d_model)
    W_v: np.ndarray  # (d_model, d_model)
    W_o: np.ndarray  # (d_model, d_model)
    gamma_1: np.ndarray  # (d_model,) first layer norm, after attention
    beta_1: np.ndarray  # (d_model,)
    W_1: np.ndarray  # (d_model, d_ff)
    b_1: np.ndarray  # (d_ff,)
    W_2: np.ndarray  # (d_ff, d_model)
    b_2: np.ndarray  # (d_model,)
    gamma_2: np.ndarray  # (d_model,) second layer norm, after the feed-forward network
    beta_2: np.ndarray  # (d_model,)


def init_block_weights(d_model, n_heads, d_ff=None, seed=0, dtype=np.float32):
    """Seeded, untrained weights of one block; d_ff defaults to 4 · d_model, as in the paper (notebook 10).

    Attention: init_mha_weights(d_model, n_heads, seed). Feed-forward: uniform(±1/√fan_in) for
    weights and biases (torch.nn.Linear's default). Layer norms: gamma = 1, beta = 0 (torch's default).
    """
    d_model = check_positive_int(d_model, "d_model")
    n_heads = check_positive_int(n_heads, "n_heads")
    d_ff = 4 * d_model if d_ff is None else check_positive_int(d_ff, "d_ff")
    mha = init_mha_weights(d_model, n_heads, seed=seed, dtype=dtype)
    rng = np.random.default_rng([seed, 10])  # its own stream, independent of the attention weights'

    def uniform(fan_in, shape):
        limit = 1.0 / math.sqrt(fan_in)
        return rng.uniform(-limit, limit, size=shape).astype(dtype)

    W_1 = uniform(d_model, (d_model, d_ff))
    b_1 = uniform(d_model, (d_ff,))
    W_2 = uniform(d_ff, (d_ff, d_model))
    b_2 = uniform(d_ff, (d_model,))
    ones, zeros = np.ones(d_model, dtype=dtype), np.zeros(d_model, dtype=dtype)
    return BlockWeights(*mha, ones, zeros, W_1, b_1, W_2, b_2, ones.copy(), zeros.copy())


def encoder_block(X, params, n_heads, mask=None, norm_first=False):
    """One transformer block: attention, Add & Norm, feed forward, Add & Norm; returns (Y, A) (notebook 10).

    Post-norm, as in the paper (norm_first=False):
        H = LayerNorm(X + MultiHead(X)),   Y = LayerNorm(H + FFN(H))
    Pre-norm, as most modern models (norm_first=True):
        H = X + MultiHead(LayerNorm(X)),   Y = H + FFN(LayerNorm(H))
    X (..., T, d_model) -> Y (..., T, d_model), A (..., n_heads, T, T). `mask` as in multi_head_attention.
    """
    X = as_float_array(X, "X", min_ndim=2)
    n_heads = check_positive_int(n_heads, "n_heads")
    p = _check_params(params, X.shape)
    if norm_first:
        # 1. attention sublayer on the normalised input, added back to X
        X_n = _layer_norm(X, p.gamma_1, p.beta_1, 1e-5)  # (..., T, d_model)
        Z, A = multi_head_attention(X_n, p.W_q, p.W_k, p.W_v, p.W_o, n_heads, mask)  # (..., T, d_model)
        H = X + Z  # residual, (..., T, d_model)
        # 2. feed-forward sublayer on the normalised H, added back to H
        H_n = _layer_norm(H, p.gamma_2, p.beta_2, 1e-5)  # (..., T, d_model)
        Y = H + _feed_forward(H_n, p.W_1, p.b_1, p.W_2, p.b_2)  # (..., T, d_model)
        return Y, A
    # 1. multi-head attention, then Add & Norm
    Z, A = multi_head_attention(X, p.W_q, p.W_k, p.W_v, p.W_o, n_heads, mask)  # (..., T, d_model)
    H = _layer_norm(X + Z, p.gamma_1, p.beta_1, 1e-5)  # (..., T, d_model)
    # 2. position-wise feed forward, then Add & Norm
    F = _feed_forward(H, p.W_1, p.b_1, p.W_2, p.b_2)  # (..., T, d_model)
    Y = _layer_norm(H + F, p.gamma_2, p.beta_2, 1e-5)  # (..., T, d_model)
    return Y, A


def decoder_block(X, params, n_heads, norm_first=False):
    """encoder_block with the causal mask: token i sees tokens 0 … i only (notebook 10).

    This is the block of a decoder-only model (GPT-style). The paper's decoder block has a third
    sublayer, cross-attention over the encoder's output, which this series does not build.
    """
    X = as_float_array(X, "X", min_ndim=2)
    return encoder_block(X, params, n_heads, mask=causal_mask(X.shape[-2]), norm_first=norm_first)


def permutation_gap(X, params, n_heads, perm, add_position=False):
    """How far the block is from permutation-equivariant, per token: (T,) max |difference| (notebook 10).

    Runs the block on X and on the shuffled X[perm], un-shuffles the second output and returns, for
    each original token t, max over d_model of |Y_shuffled[t] - Y[t]|. Without positions every entry
    is 0 up to rounding (attention, layer norm and the FFN do not see order); with
    `add_position=True` the positional encoding is added after shuffling, and the gaps are large.
    A shuffle that only exchanges equal rows (e.g. "The" and "the") leaves the sentence as it was:
    equal words cannot be told apart, so each is matched with itself and every gap is 0.
    """
    X = as_float_array(X, "X", ndim=2)
    T = X.shape[0]
    perm = np.asarray(perm)
    is_permutation = np.issubdtype(perm.dtype, np.integer) and np.array_equal(np.sort(perm), np.arange(T))
    if perm.shape != (T,) or not is_permutation:
        raise ValueError(
            f"perm must be a permutation of 0 … {T - 1} (shape ({T},)) for X of shape {X.shape}, "
            f"got {perm.tolist()} of shape {perm.shape}"
        )
    return _gaps(X, params, n_heads, perm[None], add_position)[0]


def _gaps(X, params, n_heads, perms, add_position):
    """permutation_gap of X (T, d_model) for each row of perms (P, T): (P, T), every sentence in one batch.

    A perm that only exchanges equal rows (e.g. "The" and "the") leaves the sentence as it was: its gaps are 0.
    """
    T, d_model = X.shape
    X_perm = X[perms]  # (P, T, d_model): row s of copy k is the token that was at position perms[k, s]
    same = [np.array_equal(x, X) for x in X_perm]  # only equal words exchanged: the same sentence
    if all(same):
        return np.zeros(perms.shape, dtype=X.dtype)
    if add_position:
        PE = positional_encoding(T, d_model, dtype=X.dtype)  # (T, d_model), by position, not by token
        X, X_perm = X + PE, X_perm + PE
    Ys, _ = encoder_block(np.concatenate([X[None], X_perm]), params, n_heads)  # (1 + P, T, d_model)
    Y, Y_perm = Ys[0], Ys[1:]
    gaps = np.zeros(perms.shape, dtype=Y.dtype)  # (P, T)
    for k, perm in enumerate(perms):
        if not same[k]:
            gaps[k, perm] = np.abs(Y_perm[k] - Y[perm]).max(axis=-1)  # back in the original token order
    return gaps


def swap_gaps(X, params, n_heads, add_position=False):
    """permutation_gap for every swap of two words, computed in one batch: (T, T, T) (notebook 10's widget).

    gaps[i, j] (= gaps[j, i]) is permutation_gap(X, params, n_heads, perm, add_position) for the perm that
    swaps words i and j; gaps[i, i] (no swap) is 0. The sentence and its T·(T−1)/2 swapped copies go
    through the block together, so every choice in the widget is ready before it is made.
    """
    X = as_float_array(X, "X", ndim=2)
    T = X.shape[0]
    pairs = [(i, j) for i in range(T) for j in range(i + 1, T)]
    perms = np.tile(np.arange(T), (len(pairs), 1))  # (P, T), one swap per row
    for k, (i, j) in enumerate(pairs):
        perms[k, [i, j]] = [j, i]
    per_pair = _gaps(X, params, n_heads, perms, add_position)  # (P, T)
    gaps = np.zeros((T, T, T), dtype=per_pair.dtype)
    for k, (i, j) in enumerate(pairs):
        gaps[i, j] = gaps[j, i] = per_pair[k]
    return gaps


def _check_ffn(x_shape, W_1, b_1, W_2, b_2):
    """Return the four feed-forward arrays when their shapes fit X's d_model, else ValueError."""
    d_model = x_shape[-1]
    W_1 = as_float_array(W_1, "W_1", ndim=2)
    if W_1.shape[0] != d_model:
        raise ValueError(
            f"W_1 must have shape (d_model, d_ff) with d_model = {d_model} for X of shape {x_shape}, got {W_1.shape}"
        )
    d_ff = W_1.shape[1]
    expected = {"b_1": (d_ff,), "W_2": (d_ff, d_model), "b_2": (d_model,)}
    out = [W_1]
    for name, arr in (("b_1", b_1), ("W_2", W_2), ("b_2", b_2)):
        arr = as_float_array(arr, name)
        if arr.shape != expected[name]:
            raise ValueError(
                f"{name} must have shape {expected[name]} for X of shape {x_shape} and W_1 of shape "
                f"{W_1.shape} (d_model = {d_model}, d_ff = {d_ff}), got {arr.shape}"
            )
        out.append(arr)
    return out


def _check_params(params, x_shape):
    """Return `params` as BlockWeights of float arrays whose shapes fit X's d_model, else ValueError."""
    missing = [f for f in BlockWeights._fields if not hasattr(params, f)]
    if missing:
        raise ValueError(
            f"params must be a BlockWeights (see init_block_weights); {type(params).__name__} has no {missing}"
        )
    d_model = x_shape[-1]
    arrays = {f: as_float_array(getattr(params, f), f) for f in BlockWeights._fields}
    for f in ("W_q", "W_k", "W_v", "W_o"):
        if arrays[f].shape != (d_model, d_model):
            raise ValueError(
                f"params.{f} must have shape (d_model, d_model) = ({d_model}, {d_model}) "
                f"for X of shape {x_shape}, got {arrays[f].shape}"
            )
    for f in ("gamma_1", "beta_1", "gamma_2", "beta_2"):
        if arrays[f].shape != (d_model,):
            raise ValueError(
                f"params.{f} must have shape (d_model,) = ({d_model},) for X of shape {x_shape}, "
                f"got {arrays[f].shape}"
            )
    _check_ffn(x_shape, arrays["W_1"], arrays["b_1"], arrays["W_2"], arrays["b_2"])
    return BlockWeights(**arrays)


def live_swap_view(X, params, n_heads, tokens, i_control, j_control, position_control, width=840, height=400):
    """The swap widget of notebook 10, redrawn in place.

    permutation_gap per token after swapping words i and j, with or without the positional encoding, as
    bars (the swapped words orange).

    The controls' values are i, j (word indices) and add_position (bool). Every swap's gaps are computed
    when the view is built (swap_gaps, one batch), so a move only draws. The y-axis starts at 0 … 2 and
    only ever grows, so bars can be compared from one swap to the next. Returns the helpers.LiveFigure,
    connected.
    """
    from ..show.live import LiveFigure, live_fonts

    X = as_float_array(X, "X", ndim=2)
    T = X.shape[0]
    tokens = [str(t) for t in tokens]
    if len(tokens) != T:
        raise ValueError(f"tokens has {len(tokens)} entries but X of shape {X.shape} has T = {T} rows")
    live = LiveFigure(width=width, height=height)
    ax = live.figure.add_subplot()
    live.figure.subplots_adjust(left=0.09, right=0.98, bottom=0.22, top=0.9)
    bars = ax.bar(range(T), np.zeros(T), color="#0072B2")
    ax.set_xticks(range(T), tokens, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_ylim(0, 2.0)
    ax.set_ylabel("max |Y_swapped − Y|")
    ax.spines[["top", "right"]].set_visible(False)
    note = ax.text(T / 2 - 0.5, 1.0, "", ha="center", fontsize=14)
    live_fonts(ax, 11)
    live.animate(*bars, note, ax.title)

    table = {pe: swap_gaps(X, params, n_heads, pe) for pe in (False, True)}  # each (T, T, T), computed now

    def update(i, j, add_position):
        gap = table[bool(add_position)][int(i), int(j)]  # (T,)
        top = 1.1 * float(gap.max())
        if top > ax.get_ylim()[1]:  # the axis only grows (a full draw, once)
            ax.set_ylim(0, top)
        for t, (bar, g) in enumerate(zip(bars, gap)):
            bar.set_height(g)
            bar.set_color("#D55E00" if t in (i, j) else "#0072B2")  # the swapped words: orange
        pe = "with" if add_position else "no"
        ax.title.set_text(f'swap "{tokens[i]}" ↔ "{tokens[j]}", {pe} positional encoding')
        if gap.max() < 1e-4:
            why = "the same sentence" if tokens[i] == tokens[j] else "the outputs moved with the words"
            note.set(text=f"every gap < 1e-4:\n{why}", y=0.5 * ax.get_ylim()[1])
        else:
            note.set_text("")

    return live.connect(update, i=i_control, j=j_control, add_position=position_control)

