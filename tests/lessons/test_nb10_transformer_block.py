"""helpers.lessons.nb10_transformer_block (notebook 10) against loops written straight from the paper's formulas.

The references below share no code with helpers.lessons.nb10_transformer_block: positional encodings entry by entry with
math.sin / math.cos, layer norm and the feed-forward network with Python loops over tokens and
features, and multi-head attention from tests/oracle.py. They are composed step by step into the
block of Figure 1 (post-norm, as in the paper, and pre-norm) and compared in float64 to 1e-12.
"""

import math
import re

import numpy as np
import pytest

import oracle
from helpers import (
    causal_mask,
    init_mha_weights,
)
from helpers import (
    BlockWeights,
    add_and_norm,
    decoder_block,
    encoder_block,
    feed_forward,
    init_block_weights,
    layer_norm,
    permutation_gap,
    positional_encoding,
    relu,
    swap_gaps,
)

TOL = 1e-12
EPS = 1e-5


# ---------------------------------------------------------------- references, one token at a time


def ref_positional_encoding(T, d_model):
    """PE[pos][2i] = sin(pos / 10000^(2i/d_model)), PE[pos][2i+1] = cos(pos / 10000^(2i/d_model))."""
    PE = [[0.0] * d_model for _ in range(T)]
    for pos in range(T):
        for i in range(d_model // 2):
            angle = pos / 10000 ** (2 * i / d_model)
            PE[pos][2 * i] = math.sin(angle)
            PE[pos][2 * i + 1] = math.cos(angle)
    return PE


def ref_layer_norm_row(x, gamma=None, beta=None, eps=EPS):
    """y_d = (x_d - μ) / √(σ² + eps) · γ_d + β_d with μ, σ² the mean and (biased) variance of the row."""
    n = len(x)
    mu = 0.0
    for x_d in x:
        mu += x_d
    mu /= n
    var = 0.0
    for x_d in x:
        var += (x_d - mu) ** 2
    var /= n
    out = []
    for d in range(n):
        y = (x[d] - mu) / math.sqrt(var + eps)
        if gamma is not None:
            y *= gamma[d]
        if beta is not None:
            y += beta[d]
        out.append(y)
    return out


def ref_ffn_row(x, W_1, b_1, W_2, b_2):
    """FFN(x) = max(0, x W_1 + b_1) W_2 + b_2 for one token x, unit by unit."""
    d_model, d_ff = len(W_1), len(W_1[0])
    hidden = []
    for f in range(d_ff):
        h = b_1[f]
        for d in range(d_model):
            h += x[d] * W_1[d][f]
        hidden.append(h if h > 0.0 else 0.0)  # ReLU
    out = []
    for c in range(d_model):
        y = b_2[c]
        for f in range(d_ff):
            y += hidden[f] * W_2[f][c]
        out.append(y)
    return out


def ref_block_one(X, p, n_heads, mask=None, norm_first=False):
    """One sequence X (T, d_model) through the block of Figure 1, step by step, as nested lists."""
    P = {name: np.asarray(getattr(p, name), dtype=np.float64).tolist() for name in BlockWeights._fields}
    T = len(X)

    def add(U, W):
        return [[U[t][d] + W[t][d] for d in range(len(U[t]))] for t in range(T)]

    def norm(U, which):
        return [ref_layer_norm_row(U[t], P["gamma_" + which], P["beta_" + which]) for t in range(T)]

    def ffn(U):
        return [ref_ffn_row(U[t], P["W_1"], P["b_1"], P["W_2"], P["b_2"]) for t in range(T)]

    def mha(U):
        return oracle.multi_head_attention_one(U, P["W_q"], P["W_k"], P["W_v"], P["W_o"], n_heads, mask)

    if norm_first:
        Z, A = mha(norm(X, "1"))
        H = add(X, Z)  # H = X + MultiHead(LN(X))
        Y = add(H, ffn(norm(H, "2")))  # Y = H + FFN(LN(H))
    else:
        Z, A = mha(X)
        H = norm(add(X, Z), "1")  # H = LN(X + MultiHead(X))
        Y = norm(add(H, ffn(H)), "2")  # Y = LN(H + FFN(H))
    return Y, A


def ref_block(X, p, n_heads, mask=None, norm_first=False):
    """ref_block_one over the batch axes of X; float64 arrays Y (..., T, d_model), A (..., n_heads, T, T)."""
    X = np.asarray(X, dtype=np.float64)
    batch, T = X.shape[:-2], X.shape[-2]
    m = None if mask is None else np.asarray(mask).tolist()
    Y = np.zeros(X.shape)
    A = np.zeros(batch + (n_heads, T, T))
    for b in np.ndindex(*batch):
        Y[b], A[b] = ref_block_one(X[b].tolist(), p, n_heads, m, norm_first)
    return Y, A


def random_params(d_model, n_heads, d_ff, seed, dtype=np.float64):
    """Block weights with every parameter random (gamma and beta too), so no term can hide."""
    rng = np.random.default_rng(seed + 1000)
    p = init_block_weights(d_model, n_heads, d_ff, seed=seed, dtype=dtype)
    return p._replace(
        gamma_1=rng.uniform(0.5, 1.5, d_model).astype(dtype),
        beta_1=rng.normal(0.0, 0.3, d_model).astype(dtype),
        gamma_2=rng.uniform(0.5, 1.5, d_model).astype(dtype),
        beta_2=rng.normal(0.0, 0.3, d_model).astype(dtype),
    )


# ---------------------------------------------------------------- positional encoding


@pytest.mark.parametrize("T, d_model", [(1, 2), (7, 8), (50, 16), (4, 6), (3, 512)])
def test_positional_encoding_matches_the_formula_entry_by_entry(T, d_model):
    PE = positional_encoding(T, d_model, dtype=np.float64)
    ref = ref_positional_encoding(T, d_model)
    assert PE.shape == (T, d_model)
    worst = max(abs(PE[pos, d] - ref[pos][d]) for pos in range(T) for d in range(d_model))
    assert worst <= TOL, f"largest difference {worst:.3g}"


def test_positional_encoding_known_rows_and_dtype():
    PE = positional_encoding(20, 8)
    assert PE.dtype == np.float32
    assert positional_encoding(3, 4, dtype=np.float64).dtype == np.float64
    # position 0: every sin is 0, every cos is 1
    assert np.array_equal(PE[0], np.array([0, 1, 0, 1, 0, 1, 0, 1], dtype=np.float32))
    # dimension pair 0 has wavelength 2π: PE(pos, 0) = sin(pos), PE(pos, 1) = cos(pos)
    assert np.allclose(PE[:, 0], np.sin(np.arange(20)), atol=1e-6)
    assert np.allclose(PE[:, 1], np.cos(np.arange(20)), atol=1e-6)
    assert np.all(np.abs(PE) <= 1.0)


def test_positional_encoding_dot_product_depends_only_on_the_offset():
    """PE(p) · PE(q) = Σ_i cos((p - q) ω_i): the same for every pair at the same distance."""
    PE = positional_encoding(30, 16, dtype=np.float64)
    for k in (1, 3, 7):
        dots = [sum(PE[p, d] * PE[p + k, d] for d in range(16)) for p in range(30 - k)]
        assert max(dots) - min(dots) <= 1e-9, (k, dots)


@pytest.mark.parametrize(
    "T, d_model, pattern",
    [(5, 7, "d_model = 7 is odd"), (0, 8, "T must be a positive integer"), (5, 0, "d_model must be"),
     (2.5, 8, "T must be"), (5, 8.0, "d_model must be")],
)
def test_positional_encoding_rejects_bad_sizes(T, d_model, pattern):
    with pytest.raises(ValueError, match=re.escape(pattern)):
        positional_encoding(T, d_model)


def test_odd_d_model_message_names_the_shape():
    with pytest.raises(ValueError, match=re.escape("(5, 7)")):
        positional_encoding(5, 7)


# ---------------------------------------------------------------- layer norm, add & norm


@pytest.mark.parametrize("shape", [(8,), (4, 6), (2, 3, 5)])
@pytest.mark.parametrize("affine", [False, True])
def test_layer_norm_matches_a_loop(shape, affine):
    rng = np.random.default_rng(len(shape))
    x = rng.normal(2.0, 3.0, size=shape)
    d = shape[-1]
    gamma = rng.uniform(0.5, 2.0, d) if affine else None
    beta = rng.normal(0.0, 1.0, d) if affine else None
    y = layer_norm(x, gamma, beta)
    assert y.shape == x.shape
    g, b = (None, None) if not affine else (gamma.tolist(), beta.tolist())
    for idx in np.ndindex(*shape[:-1]):
        ref = ref_layer_norm_row(x[idx].tolist(), g, b)
        assert max(abs(y[idx][k] - ref[k]) for k in range(d)) <= TOL


def test_layer_norm_gives_each_token_mean_0_and_variance_1():
    x = np.random.default_rng(3).normal(5.0, 10.0, size=(6, 32))
    y = layer_norm(x)
    assert np.allclose(y.mean(axis=-1), 0.0, atol=1e-12)
    # variance is var / (var + eps), a hair under 1
    assert np.allclose(y.var(axis=-1), 1.0, atol=1e-6)
    assert not np.allclose(x.mean(axis=-1), 0.0)  # the input was not already normalised


def test_layer_norm_of_a_constant_token_is_beta_not_nan():
    x = np.full((2, 4), 3.0, dtype=np.float32)
    beta = np.array([0.1, 0.2, 0.3, 0.4], dtype=np.float32)
    y = layer_norm(x, beta=beta)
    assert np.isfinite(y).all()
    assert np.allclose(y, np.broadcast_to(beta, (2, 4)))


def test_add_and_norm_is_layer_norm_of_the_sum():
    rng = np.random.default_rng(4)
    X, S = rng.normal(size=(2, 5, 6)), rng.normal(size=(2, 5, 6))
    gamma, beta = rng.uniform(0.5, 1.5, 6), rng.normal(size=6)
    got = add_and_norm(X, S, gamma, beta)
    for idx in np.ndindex(2, 5):
        ref = ref_layer_norm_row((X[idx] + S[idx]).tolist(), gamma.tolist(), beta.tolist())
        assert max(abs(got[idx][k] - ref[k]) for k in range(6)) <= TOL


def test_layer_norm_errors_name_the_shapes():
    x = np.zeros((3, 5))
    with pytest.raises(ValueError, match=re.escape("gamma must have shape (d_model,) = (5,) for x of shape (3, 5), "
                                                   "got (4,)")):
        layer_norm(x, gamma=np.ones(4))
    with pytest.raises(ValueError, match=re.escape("beta must have shape (d_model,) = (5,)")):
        layer_norm(x, beta=np.ones((3, 5)))
    with pytest.raises(ValueError, match="eps must be positive"):
        layer_norm(x, eps=0.0)
    with pytest.raises(ValueError, match=re.escape("NaN or inf")):
        layer_norm(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match=re.escape("X has shape (3, 5), S has shape (3, 4)")):
        add_and_norm(x, np.zeros((3, 4)))


# ---------------------------------------------------------------- feed-forward network


@pytest.mark.parametrize("shape, d_ff", [((5, 4), 16), ((2, 3, 6), 7), ((8,), 3)])
def test_feed_forward_matches_a_loop(shape, d_ff):
    rng = np.random.default_rng(d_ff)
    d_model = shape[-1]
    X = rng.normal(size=shape)
    W_1, b_1 = rng.normal(size=(d_model, d_ff)), rng.normal(size=d_ff)
    W_2, b_2 = rng.normal(size=(d_ff, d_model)), rng.normal(size=d_model)
    Y = feed_forward(X, W_1, b_1, W_2, b_2)
    assert Y.shape == shape
    args = (W_1.tolist(), b_1.tolist(), W_2.tolist(), b_2.tolist())
    for idx in np.ndindex(*shape[:-1]):
        ref = ref_ffn_row(X[idx].tolist(), *args)
        assert max(abs(Y[idx][c] - ref[c]) for c in range(d_model)) <= TOL
    # the ReLU matters here: without it the answer would differ
    linear = (X @ W_1 + b_1) @ W_2 + b_2
    assert not np.allclose(Y, linear)


def test_relu():
    x = np.array([-2.0, -0.0, 0.5, 3.0], dtype=np.float32)
    y = relu(x)
    assert y.dtype == np.float32
    assert y.tolist() == [0.0, 0.0, 0.5, 3.0]


def test_feed_forward_errors_name_the_shapes():
    X = np.zeros((3, 4))
    W_1, b_1, W_2, b_2 = np.zeros((4, 16)), np.zeros(16), np.zeros((16, 4)), np.zeros(4)
    with pytest.raises(ValueError, match=re.escape("W_1 must have shape (d_model, d_ff) with d_model = 4 for X of "
                                                   "shape (3, 4), got (5, 16)")):
        feed_forward(X, np.zeros((5, 16)), b_1, W_2, b_2)
    with pytest.raises(ValueError, match=re.escape("b_1 must have shape (16,)")):
        feed_forward(X, W_1, np.zeros(4), W_2, b_2)
    with pytest.raises(ValueError, match=re.escape("W_2 must have shape (16, 4) for X of shape (3, 4) and W_1 of "
                                                   "shape (4, 16)")):
        feed_forward(X, W_1, b_1, np.zeros((4, 16)), b_2)
    with pytest.raises(ValueError, match=re.escape("b_2 must have shape (4,)")):
        feed_forward(X, W_1, b_1, W_2, np.zeros(16))


# ---------------------------------------------------------------- weights


def test_init_block_weights_shapes_defaults_and_seeding():
    p = init_block_weights(16, 4, seed=3)
    shapes = {name: getattr(p, name).shape for name in BlockWeights._fields}
    assert shapes == {
        "W_q": (16, 16), "W_k": (16, 16), "W_v": (16, 16), "W_o": (16, 16),
        "gamma_1": (16,), "beta_1": (16,), "W_1": (16, 64), "b_1": (64,),
        "W_2": (64, 16), "b_2": (16,), "gamma_2": (16,), "beta_2": (16,),
    }  # d_ff defaults to 4 · d_model
    assert all(getattr(p, name).dtype == np.float32 for name in BlockWeights._fields)
    assert init_block_weights(8, 2, 12, dtype=np.float64).W_1.dtype == np.float64
    assert init_block_weights(8, 2, 12).W_1.shape == (8, 12)
    mha = init_mha_weights(16, 4, seed=3)
    assert all(np.array_equal(getattr(p, n), getattr(mha, n)) for n in ("W_q", "W_k", "W_v", "W_o"))
    assert np.array_equal(p.gamma_1, np.ones(16)) and np.array_equal(p.beta_2, np.zeros(16))
    again, other = init_block_weights(16, 4, seed=3), init_block_weights(16, 4, seed=4)
    assert all(np.array_equal(a, b) for a, b in zip(p, again))
    assert not np.array_equal(p.W_1, other.W_1)
    # the feed-forward draws are uniform(±1/√fan_in) and not a rescaled copy of the attention draws
    assert np.abs(p.W_1).max() <= 1 / math.sqrt(16) and np.abs(p.W_2).max() <= 1 / math.sqrt(64)
    assert abs(np.corrcoef(p.W_1[:, :16].ravel(), p.W_q.ravel())[0, 1]) < 0.3


def test_init_block_weights_rejects_bad_sizes():
    with pytest.raises(ValueError, match="d_model = 10 is not divisible by n_heads = 4"):
        init_block_weights(10, 4)
    with pytest.raises(ValueError, match="d_ff must be a positive integer"):
        init_block_weights(8, 2, d_ff=0)


# ---------------------------------------------------------------- the block


CASES = [  # (batch shape, T, d_model, n_heads, d_ff, seed)
    ((), 4, 8, 2, 12, 0),
    ((), 5, 12, 3, 48, 1),
    ((2,), 3, 8, 4, 8, 2),
    ((2, 2), 3, 6, 1, 5, 3),
]


@pytest.mark.parametrize("batch, T, d_model, n_heads, d_ff, seed", CASES)
@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_block_matches_a_step_by_step_reference(batch, T, d_model, n_heads, d_ff, seed, norm_first):
    p = random_params(d_model, n_heads, d_ff, seed)
    X = np.random.default_rng(seed).normal(size=batch + (T, d_model))
    Y, A = encoder_block(X, p, n_heads, norm_first=norm_first)
    Y_ref, A_ref = ref_block(X, p, n_heads, norm_first=norm_first)
    assert Y.shape == X.shape and A.shape == batch + (n_heads, T, T)
    assert np.max(np.abs(Y - Y_ref)) <= TOL
    assert np.max(np.abs(A - A_ref)) <= TOL


def test_post_norm_and_pre_norm_differ():
    p = random_params(8, 2, 16, 0)
    X = np.random.default_rng(0).normal(size=(4, 8))
    Y_post, _ = encoder_block(X, p, 2)
    Y_pre, _ = encoder_block(X, p, 2, norm_first=True)
    assert not np.allclose(Y_post, Y_pre)
    # post-norm ends with a layer norm (each token mean 0 before gamma, beta); pre-norm does not
    assert np.allclose(encoder_block(X, p._replace(gamma_2=np.ones(8), beta_2=np.zeros(8)), 2)[0].mean(-1), 0.0)


@pytest.mark.parametrize("batch, T, d_model, n_heads, d_ff, seed", CASES)
def test_decoder_block_matches_the_reference_with_a_causal_mask(batch, T, d_model, n_heads, d_ff, seed):
    p = random_params(d_model, n_heads, d_ff, seed)
    X = np.random.default_rng(seed).normal(size=batch + (T, d_model))
    Y, A = decoder_block(X, p, n_heads)
    mask = [[j <= i for j in range(T)] for i in range(T)]
    Y_ref, A_ref = ref_block(X, p, n_heads, mask=mask)
    assert np.max(np.abs(Y - Y_ref)) <= TOL
    assert np.max(np.abs(A - A_ref)) <= TOL
    assert np.all(A[..., np.triu_indices(T, 1)[0], np.triu_indices(T, 1)[1]] == 0.0)
    Y_mask, _ = encoder_block(X, p, n_heads, mask=causal_mask(T))
    assert np.array_equal(Y, Y_mask)


@pytest.mark.parametrize("t", [1, 3, 5])
@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_outputs_before_a_changed_token_do_not_change(t, norm_first):
    """Changing tokens t … T-1 leaves y_0 … y_{t-1} as they were, and does change y_t …

    The encoder block, with no mask, is run on the same inputs: there the earlier outputs do
    change, so this test would catch a decoder that forgot its mask.
    """
    T, d_model, n_heads = 6, 8, 2
    p = random_params(d_model, n_heads, 16, seed=t)
    rng = np.random.default_rng(t)
    X = rng.normal(size=(T, d_model))
    X_changed = X.copy()
    X_changed[t:] = rng.normal(size=(T - t, d_model))
    Y, _ = decoder_block(X, p, n_heads, norm_first=norm_first)
    Y2, _ = decoder_block(X_changed, p, n_heads, norm_first=norm_first)
    assert np.max(np.abs(Y2[:t] - Y[:t])) <= TOL
    assert np.all(np.abs(Y2[t:] - Y[t:]).max(axis=-1) > 1e-3)
    E, _ = encoder_block(X, p, n_heads, norm_first=norm_first)
    E2, _ = encoder_block(X_changed, p, n_heads, norm_first=norm_first)
    assert np.all(np.abs(E2[:t] - E[:t]).max(axis=-1) > 1e-3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_in_is_dtype_out(dtype):
    p = init_block_weights(8, 2, seed=0, dtype=dtype)
    X = np.random.default_rng(0).normal(size=(2, 5, 8)).astype(dtype)
    assert positional_encoding(5, 8, dtype=dtype).dtype == dtype
    assert layer_norm(X).dtype == dtype
    assert layer_norm(X, p.gamma_1, p.beta_1).dtype == dtype
    assert add_and_norm(X, X).dtype == dtype
    assert feed_forward(X, p.W_1, p.b_1, p.W_2, p.b_2).dtype == dtype
    for norm_first in (False, True):
        Y, A = encoder_block(X, p, 2, norm_first=norm_first)
        assert Y.dtype == dtype and A.dtype == dtype
        Y, A = decoder_block(X, p, 2, norm_first=norm_first)
        assert Y.dtype == dtype and A.dtype == dtype
    assert permutation_gap(X[0], p, 2, [1, 0, 2, 3, 4]).dtype == dtype


def test_float32_block_is_close_to_the_float64_reference():
    p = init_block_weights(16, 4, seed=5)
    X = np.random.default_rng(5).normal(size=(6, 16)).astype(np.float32)
    Y, _ = encoder_block(X, p, 4)
    Y_ref, _ = ref_block(X, p, 4)
    assert np.max(np.abs(Y - Y_ref)) <= 1e-4


def test_encoder_block_errors_name_the_shapes():
    p = init_block_weights(8, 2, seed=0)
    with pytest.raises(ValueError, match=re.escape("params.W_q must have shape (d_model, d_model) = (6, 6) for X of "
                                                   "shape (3, 6), got (8, 8)")):
        encoder_block(np.zeros((3, 6)), p, 2)
    with pytest.raises(ValueError, match=re.escape("params.gamma_2 must have shape (d_model,) = (8,) for X of shape "
                                                   "(3, 8), got (7,)")):
        encoder_block(np.zeros((3, 8)), p._replace(gamma_2=np.ones(7)), 2)
    with pytest.raises(ValueError, match=re.escape("b_1 must have shape (32,) for X of shape (3, 8)")):
        encoder_block(np.zeros((3, 8)), p._replace(b_1=np.zeros(8)), 2)
    with pytest.raises(ValueError, match=re.escape("X must have at least 2 dimensions, got shape (8,)")):
        encoder_block(np.zeros(8), p, 2)
    with pytest.raises(ValueError, match="params must be a BlockWeights"):
        encoder_block(np.zeros((3, 8)), {"W_q": p.W_q}, 2)
    with pytest.raises(ValueError, match="not divisible by n_heads = 3"):
        encoder_block(np.zeros((3, 8)), p, 3)
    with pytest.raises(ValueError, match=re.escape("mask of shape (4, 4) does not broadcast")):
        encoder_block(np.zeros((3, 8)), p, 2, mask=causal_mask(4))
    with pytest.raises(ValueError, match=re.escape("contains NaN or inf")):
        decoder_block(np.full((3, 8), np.nan), p, 2)


# ---------------------------------------------------------------- permutation (the widget's function)


def test_attention_block_is_permutation_equivariant_without_positions():
    """The reference block itself: shuffling the tokens shuffles the outputs the same way."""
    p = random_params(8, 2, 16, seed=7)
    rng = np.random.default_rng(7)
    X = rng.normal(size=(5, 8))
    perm = [3, 0, 4, 1, 2]
    Y, _ = ref_block(X, p, 2)
    Y_perm, _ = ref_block(X[perm], p, 2)
    for s in range(5):
        assert max(abs(Y_perm[s][d] - Y[perm[s]][d]) for d in range(8)) <= 1e-12


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_permutation_gap_is_zero_without_positions_and_large_with_them(dtype, tol):
    p = init_block_weights(16, 4, seed=1, dtype=dtype)
    X = np.random.default_rng(1).normal(size=(6, 16)).astype(dtype)
    perm = np.array([2, 0, 1, 5, 3, 4])
    gap = permutation_gap(X, p, 4, perm)
    assert gap.shape == (6,)
    assert gap.max() <= tol
    gap_pe = permutation_gap(X, p, 4, perm, add_position=True)
    assert np.all(gap_pe > 1e-2)
    assert np.array_equal(permutation_gap(X, p, 4, np.arange(6), add_position=True), np.zeros(6))


def test_permutation_gap_matches_a_loop():
    p = random_params(8, 2, 16, seed=2)
    X = np.random.default_rng(2).normal(size=(5, 8))
    perm = [1, 0, 2, 4, 3]
    PE = np.array(ref_positional_encoding(5, 8))
    Y, _ = ref_block(X + PE, p, 2)
    Y_perm, _ = ref_block(X[perm] + PE, p, 2)
    expected = [0.0] * 5
    for s in range(5):  # output row s belongs to the token that came from position perm[s]
        expected[perm[s]] = max(abs(Y_perm[s][d] - Y[perm[s]][d]) for d in range(8))
    got = permutation_gap(X, p, 2, perm, add_position=True)
    assert max(abs(got[t] - expected[t]) for t in range(5)) <= 1e-10


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_swapping_two_equal_words_leaves_every_gap_zero(dtype):
    # "The" and "the": rows 0 and 3 are equal, so swapping them gives back the same sentence
    p = init_block_weights(8, 2, seed=3, dtype=dtype)
    X = np.random.default_rng(3).normal(size=(5, 8)).astype(dtype)
    X[3] = X[0]
    gap = permutation_gap(X, p, 2, [3, 1, 2, 0, 4], add_position=True)
    assert gap.dtype == dtype
    assert np.array_equal(gap, np.zeros(5, dtype=dtype))
    # swapping a word with a different one still moves it: its gap is not 0 with positions
    gap_other = permutation_gap(X, p, 2, [1, 0, 2, 3, 4], add_position=True)
    assert gap_other[0] > 1e-3 and gap_other[1] > 1e-3


@pytest.mark.parametrize("add_position", [False, True])
def test_swap_gaps_are_the_loop_gaps_of_every_swap(add_position):
    p = random_params(8, 2, 16, seed=4)
    X = np.random.default_rng(4).normal(size=(4, 8))
    X[3] = X[1]  # two equal words: swapping them gives the same sentence, every gap 0
    got = swap_gaps(X, p, 2, add_position)
    assert got.shape == (4, 4, 4) and got.dtype == X.dtype
    PE = np.array(ref_positional_encoding(4, 8)) if add_position else np.zeros((4, 8))
    Y, _ = ref_block(X + PE, p, 2)
    for i in range(4):
        for j in range(4):
            perm = list(range(4))
            perm[i], perm[j] = perm[j], perm[i]
            expected = [0.0] * 4
            if not np.array_equal(X[perm], X):
                Y_perm, _ = ref_block(X[perm] + PE, p, 2)
                for s in range(4):  # output row s belongs to the token that came from position perm[s]
                    expected[perm[s]] = max(abs(Y_perm[s][d] - Y[perm[s]][d]) for d in range(8))
            assert max(abs(got[i, j, t] - expected[t]) for t in range(4)) <= 1e-10, (i, j)
    assert np.array_equal(got[1, 3], np.zeros(4)) and np.array_equal(got[2, 2], np.zeros(4))
    assert (got[0, 1].max() > 1e-3) == add_position  # without positions the block cannot see a swap


def test_permutation_gap_rejects_a_bad_permutation():
    p = init_block_weights(8, 2, seed=0)
    X = np.zeros((4, 8))
    for perm in ([0, 1, 2], [0, 1, 1, 2], [0.0, 1.0, 2.0, 3.0]):
        with pytest.raises(ValueError, match=re.escape("perm must be a permutation of 0 … 3 (shape (4,)) for X of "
                                                       "shape (4, 8)")):
            permutation_gap(X, p, 2, perm)

