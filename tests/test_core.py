"""helpers/core.py against the loop reference in tests/oracle.py, plus its properties and errors."""

import math
import re
import warnings

import numpy as np
import pytest

import helpers
import oracle
from common import K4, Q4, V4
from oracle import loop_step
from helpers import (
    attention_scores,
    causal_mask,
    count_parameters,
    head_weights,
    init_mha_weights,
    merge_heads,
    multi_head_attention,
    naive_softmax,
    output_weights_per_head,
    scaled_dot_product_attention,
    softmax,
    split_heads,
)

from helpers import (
    step_values,
)

TOL = dict(rtol=1e-12, atol=1e-12)  # float64 helpers vs float64 loops
TOL32 = dict(rtol=2e-5, atol=2e-6)  # float32 helpers vs float64 loops
BATCHES = [(), (2,), (2, 3)]
SEEDS = [0, 1, 2]


def rand(seed, *shape, dtype=np.float64):
    """Seeded standard-normal array."""
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def weights(seed, d_model, dtype=np.float64):
    """Four seeded (d_model, d_model) matrices W_q, W_k, W_v, W_o, scaled like an initialised layer."""
    rng = np.random.default_rng(1000 + seed)
    return [(rng.standard_normal((d_model, d_model)) / math.sqrt(d_model)).astype(dtype) for _ in range(4)]


def random_mask(seed, shape, empty_row=True):
    """Seeded boolean mask; with `empty_row`, query row 0 of every batch entry allows no key at all."""
    m = np.random.default_rng(500 + seed).random(shape) < 0.6
    if empty_row:
        m[..., 0, :] = False
    return m


# ======================================================================= against the oracle (float64, 1e-12)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(1,), (7,), (3, 5), (2, 3, 4)])
def test_softmax_matches_oracle(shape, seed):
    x = rand(seed, *shape) * 3
    expected = np.array(oracle.softmax(x.reshape(-1, shape[-1]).tolist())).reshape(shape)
    got = softmax(x)
    assert got.shape == shape and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, **TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_softmax_along_axis_0_matches_oracle(seed):
    x = rand(seed, 4, 6)
    expected = np.array(oracle.softmax(x.T.tolist())).T  # softmax of each column
    np.testing.assert_allclose(softmax(x, axis=0), expected, **TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_naive_softmax_matches_oracle_for_moderate_logits(seed):
    x = rand(seed, 3, 5)
    expected = np.array(oracle.softmax(x.tolist()))
    np.testing.assert_allclose(naive_softmax(x), expected, **TOL)


@pytest.mark.parametrize("T", [1, 2, 5])
def test_causal_mask_matches_oracle(T):
    got = causal_mask(T)
    assert got.shape == (T, T) and got.dtype == np.bool_
    np.testing.assert_array_equal(got, np.array(oracle.causal_mask(T), dtype=bool))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("T_q, T_k, d_k", [(1, 1, 1), (3, 4, 2), (5, 5, 8)])
def test_attention_scores_matches_oracle(T_q, T_k, d_k, batch, seed):
    Q, K = rand(seed, *batch, T_q, d_k), rand(seed + 10, *batch, T_k, d_k)
    got = attention_scores(Q, K)
    assert got.shape == (*batch, T_q, T_k)
    np.testing.assert_allclose(got, oracle.batched_scores(Q, K), **TOL)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("T_q, T_k, d_k, d_v", [(1, 1, 1, 1), (3, 4, 2, 5), (5, 5, 8, 3)])
@pytest.mark.parametrize("mask_kind", [None, "causal", "random"])
def test_scaled_dot_product_attention_matches_oracle(T_q, T_k, d_k, d_v, batch, seed, mask_kind):
    Q = rand(seed, *batch, T_q, d_k)
    K = rand(seed + 10, *batch, T_k, d_k)
    V = rand(seed + 20, *batch, T_k, d_v)
    if mask_kind is None:
        mask = None
    elif mask_kind == "causal":
        mask = np.tril(np.ones((T_q, T_k), dtype=bool))  # shared by the whole batch
    else:
        mask = random_mask(seed, (*batch, T_q, T_k))  # one per batch entry, row 0 fully masked
    Z, A = scaled_dot_product_attention(Q, K, V, mask=mask)
    Z_ref, A_ref = oracle.batched_attention(Q, K, V, mask)
    assert Z.shape == (*batch, T_q, d_v) and A.shape == (*batch, T_q, T_k)
    np.testing.assert_allclose(A, A_ref, **TOL)
    np.testing.assert_allclose(Z, Z_ref, **TOL)


def test_scaled_dot_product_attention_broadcasts_shared_keys_over_the_batch():
    Q = rand(0, 2, 3, 4, 5)  # (2, 3, T_q=4, d_k=5)
    K, V = rand(1, 6, 5), rand(2, 6, 7)  # one K, V for every batch entry
    Z, A = scaled_dot_product_attention(Q, K, V)
    Z_ref, A_ref = oracle.batched_attention(Q, K, V)
    assert Z.shape == (2, 3, 4, 7) and A.shape == (2, 3, 4, 6)
    np.testing.assert_allclose(A, A_ref, **TOL)
    np.testing.assert_allclose(Z, Z_ref, **TOL)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("T, d_model, n_heads", [(3, 4, 2), (5, 8, 4), (2, 6, 1), (4, 6, 6)])
def test_split_and_merge_heads_match_oracle(T, d_model, n_heads, batch, seed):
    X = rand(seed, *batch, T, d_model)
    Xh = split_heads(X, n_heads)
    d_head = d_model // n_heads
    assert Xh.shape == (*batch, n_heads, T, d_head)
    expected = np.zeros((*batch, n_heads, T, d_head))
    for b in np.ndindex(*batch):
        expected[b] = oracle.split_heads(X[b].tolist(), n_heads)
    np.testing.assert_array_equal(Xh, expected)  # pure data movement: exact
    merged = np.zeros((*batch, T, d_model))
    for b in np.ndindex(*batch):
        merged[b] = oracle.merge_heads(expected[b].tolist())
    np.testing.assert_array_equal(merge_heads(expected), merged)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("T, d_model, n_heads", [(1, 2, 1), (3, 4, 2), (4, 8, 4), (5, 6, 3)])
@pytest.mark.parametrize("masked", [False, True])
def test_multi_head_attention_matches_oracle(T, d_model, n_heads, batch, seed, masked):
    X = rand(seed, *batch, T, d_model)
    W_q, W_k, W_v, W_o = weights(seed, d_model)
    mask = causal_mask(T) if masked else None
    Z, A = multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, mask=mask)
    Z_ref, A_ref = oracle.multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, mask)
    assert Z.shape == (*batch, T, d_model) and A.shape == (*batch, n_heads, T, T)
    np.testing.assert_allclose(A, A_ref, **TOL)
    np.testing.assert_allclose(Z, Z_ref, **TOL)


def test_multi_head_attention_with_a_per_batch_mask_matches_oracle():
    X = rand(3, 2, 3, 5, 8)  # batch (2, 3), T = 5, d_model = 8
    Ws = weights(3, 8)
    mask = random_mask(3, (2, 1, 5, 5))  # broadcast over the second batch axis; row 0 fully masked
    Z, A = multi_head_attention(X, *Ws, 2, mask=mask)
    Z_ref, A_ref = oracle.multi_head_attention(X, *Ws, 2, mask)
    np.testing.assert_allclose(A, A_ref, **TOL)
    np.testing.assert_allclose(Z, Z_ref, **TOL)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("d_in, d_model, n_heads", [(4, 4, 2), (8, 8, 4), (5, 6, 3), (3, 6, 1)])
def test_head_weights_matches_oracle(d_in, d_model, n_heads, seed):
    W = rand(seed, d_in, d_model)
    d_head = d_model // n_heads
    got = head_weights(W, n_heads)
    assert got.shape == (n_heads, d_in, d_head)
    expected = np.array([oracle.head_columns(W.tolist(), h, d_head) for h in range(n_heads)])
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("rows, d_model, n_heads", [(4, 4, 2), (8, 8, 4), (6, 5, 3), (6, 3, 6)])
def test_output_weights_per_head_matches_oracle(rows, d_model, n_heads, seed):
    W_o = rand(seed, rows, d_model)
    d_head = rows // n_heads
    got = output_weights_per_head(W_o, n_heads)
    assert got.shape == (n_heads, d_head, d_model)
    expected = np.array([oracle.head_rows(W_o.tolist(), h, d_head) for h in range(n_heads)])
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("d_model, n_heads", [(1, 1), (4, 2), (8, 8), (512, 8), (768, 12)])
def test_count_parameters_equals_the_sum_of_the_weight_sizes(d_model, n_heads):
    d_head = d_model // n_heads
    # per head: W_Q^h, W_K^h, W_V^h, each (d_model, d_head); then W_O (n_heads · d_head, d_model)
    by_hand = 0
    for _ in range(n_heads):
        by_hand += 3 * d_model * d_head
    by_hand += n_heads * d_head * d_model
    assert count_parameters(d_model, n_heads) == by_hand
    if d_model <= 512:
        assert count_parameters(d_model, n_heads) == sum(W.size for W in init_mha_weights(d_model, n_heads))


def test_count_parameters_of_the_paper_layer():
    assert count_parameters(512, 8) == 4 * 512 * 512 == 1_048_576


# ======================================================================= init_mha_weights


@pytest.mark.parametrize("d_model, n_heads", [(4, 2), (64, 8), (512, 8)])
def test_init_mha_weights_glorot_uniform(d_model, n_heads):
    Ws = init_mha_weights(d_model, n_heads, seed=3)
    assert isinstance(Ws, helpers.MHAWeights) and Ws._fields == ("W_q", "W_k", "W_v", "W_o")
    limit = math.sqrt(6.0 / (2 * d_model))
    for W in Ws:
        assert W.shape == (d_model, d_model) and W.dtype == np.float32
        assert np.abs(W).max() <= limit
    if d_model >= 64:
        everything = np.concatenate([W.ravel() for W in Ws]).astype(np.float64)
        # U(-limit, limit): mean 0, variance limit² / 3 (4 · d_model² samples)
        assert abs(everything.mean()) < 0.02 * limit
        assert everything.var() == pytest.approx(limit**2 / 3, rel=0.03)
        assert np.abs(everything).max() > 0.95 * limit


def test_init_mha_weights_is_seeded_and_the_four_matrices_differ():
    a, b, c = init_mha_weights(8, 2, seed=7), init_mha_weights(8, 2, seed=7), init_mha_weights(8, 2, seed=8)
    for W_a, W_b, W_c in zip(a, b, c):
        np.testing.assert_array_equal(W_a, W_b)
        assert not np.array_equal(W_a, W_c)
    for i in range(4):
        for j in range(i + 1, 4):
            assert not np.array_equal(a[i], a[j])


# ======================================================================= properties


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("batch", BATCHES)
def test_rows_of_A_sum_to_one(batch, seed):
    Q, K, V = rand(seed, *batch, 4, 3), rand(seed + 1, *batch, 6, 3), rand(seed + 2, *batch, 6, 2)
    _, A = scaled_dot_product_attention(Q, K, V)
    np.testing.assert_allclose(A.sum(axis=-1), 1.0, rtol=0, atol=1e-14)
    assert (A >= 0).all()
    X = rand(seed, *batch, 5, 8)
    _, A = multi_head_attention(X, *weights(seed, 8), 4, mask=causal_mask(5))
    np.testing.assert_allclose(A.sum(axis=-1), 1.0, rtol=0, atol=1e-14)


@pytest.mark.parametrize("seed", SEEDS)
def test_masked_weights_are_exactly_zero(seed):
    Q, K, V = rand(seed, 2, 5, 4), rand(seed + 1, 2, 6, 4), rand(seed + 2, 2, 6, 3)
    mask = random_mask(seed, (2, 5, 6), empty_row=False)
    mask[..., 0] = True  # every row has at least one key
    _, A = scaled_dot_product_attention(Q, K, V, mask=mask)
    assert (A[~mask] == 0.0).all()
    assert (A[mask] > 0.0).all()
    X = rand(seed, 2, 5, 8)
    _, A = multi_head_attention(X, *weights(seed, 8), 2, mask=causal_mask(5))
    upper = ~causal_mask(5)  # j > i: the future
    assert (A[..., upper] == 0.0).all()
    assert (A[..., ~upper] > 0.0).all()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("batch", BATCHES)
def test_self_attention_is_permutation_equivariant(batch, seed):
    T, d_model, n_heads = 6, 8, 2
    X = rand(seed, *batch, T, d_model)
    Ws = weights(seed, d_model)
    perm = np.random.default_rng(seed).permutation(T)
    Z, A = multi_head_attention(X, *Ws, n_heads)
    Zp, Ap = multi_head_attention(X[..., perm, :], *Ws, n_heads)
    # token i of the permuted sentence is token perm[i] of the original one
    np.testing.assert_allclose(Zp, Z[..., perm, :], rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(Ap, A[..., perm, :][..., perm], rtol=1e-12, atol=1e-13)
    Z1, A1 = scaled_dot_product_attention(X, X, X)
    Z1p, A1p = scaled_dot_product_attention(X[..., perm, :], X[..., perm, :], X[..., perm, :])
    np.testing.assert_allclose(Z1p, Z1[..., perm, :], rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(A1p, A1[..., perm, :][..., perm], rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("batch", BATCHES)
def test_separate_per_head_projections_equal_one_projection_split(batch, seed):
    T, d_model, n_heads = 5, 12, 3
    X, (W_q, _, _, _) = rand(seed, *batch, T, d_model), weights(seed, d_model)
    W_heads = head_weights(W_q, n_heads)  # (n_heads, d_model, d_head)
    one_big = split_heads(X @ W_q, n_heads)  # (..., n_heads, T, d_head)
    for h in range(n_heads):
        np.testing.assert_allclose(X @ W_heads[h], one_big[..., h, :, :], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("batch", BATCHES)
def test_concat_times_W_o_equals_sum_of_per_head_products(batch, seed):
    T, d_model, n_heads = 5, 12, 4
    Zh = rand(seed, *batch, n_heads, T, d_model // n_heads)  # Z_0 … Z_3
    W_o = weights(seed, d_model)[3]
    concat_then_W_o = merge_heads(Zh) @ W_o  # (..., T, d_model)
    blocks = output_weights_per_head(W_o, n_heads)  # (n_heads, d_head, d_model)
    summed = sum(Zh[..., h, :, :] @ blocks[h] for h in range(n_heads))
    np.testing.assert_allclose(concat_then_W_o, summed, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_split_merge_round_trip_is_exact(batch, dtype):
    X = rand(4, *batch, 5, 12, dtype=dtype)
    for n_heads in (1, 2, 3, 4, 6, 12):
        back = merge_heads(split_heads(X, n_heads))
        assert back.dtype == dtype
        np.testing.assert_array_equal(back, X)
    Zh = rand(5, *batch, 3, 5, 4, dtype=dtype)
    np.testing.assert_array_equal(split_heads(merge_heads(Zh), 3), Zh)


def test_causal_mask_content():
    np.testing.assert_array_equal(
        causal_mask(3),
        np.array([[True, False, False], [True, True, False], [True, True, True]]),
    )
    m = causal_mask(6)
    assert m.sum() == 6 * 7 // 2
    for i in range(6):
        for j in range(6):
            assert m[i, j] == (j <= i)


def test_causal_attention_ignores_the_future():
    X = rand(0, 6, 8)
    Ws = weights(0, 8)
    Z, A = multi_head_attention(X, *Ws, 2, mask=causal_mask(6))
    X2 = X.copy()
    X2[4:] = rand(99, 2, 8)  # change tokens 4 and 5 only
    Z2, A2 = multi_head_attention(X2, *Ws, 2, mask=causal_mask(6))
    np.testing.assert_array_equal(Z2[:4], Z[:4])  # tokens 0 … 3 cannot see them
    np.testing.assert_array_equal(A2[:, :4], A[:, :4])
    assert not np.allclose(Z2[4:], Z[4:])


# ======================================================================= softmax numerics


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_of_huge_logits_neither_overflows_nor_warns(dtype):
    x = np.array([[1e4, -1e4, 0.0], [1e4, 1e4 - 1.0, -1e4], [-1e4, -1e4, -1e4]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any RuntimeWarning (overflow, invalid) fails the test
        with np.errstate(over="warn", invalid="warn", divide="warn"):  # numpy's defaults; underflow to 0 is fine
            p = softmax(x)
    assert p.dtype == dtype
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(p[0], np.array([1.0, 0.0, 0.0], dtype=dtype))
    e = math.exp(-1.0)
    np.testing.assert_allclose(p[1], [1 / (1 + e), e / (1 + e), 0.0], rtol=1e-6)
    np.testing.assert_allclose(p[2], [1 / 3] * 3, rtol=1e-6)


def test_naive_softmax_overflows_where_softmax_does_not():
    x = np.array([1e4, 0.0, -1e4])
    assert np.isnan(naive_softmax(x)).any()  # exp(1e4) = inf, inf / inf = NaN
    np.testing.assert_array_equal(softmax(x), [1.0, 0.0, 0.0])
    x32 = np.array([100.0, 99.0], dtype=np.float32)  # exp(100) overflows float32 already
    assert np.isnan(naive_softmax(x32)).all()
    assert np.isfinite(softmax(x32)).all()


def test_minus_inf_gets_weight_exactly_zero():
    x = np.array([[0.5, -np.inf, 2.0, -np.inf], [-np.inf, 3.0, -np.inf, -np.inf]])
    p = softmax(x)
    assert p[0, 1] == 0.0 and p[0, 3] == 0.0
    np.testing.assert_array_equal(p[1], [0.0, 1.0, 0.0, 0.0])
    np.testing.assert_allclose(p, np.array(oracle.softmax(x.tolist())), **TOL)


def test_softmax_of_a_row_of_all_minus_inf_raises():
    x = np.array([[0.0, 1.0], [-np.inf, -np.inf]])
    with pytest.raises(ValueError, match=re.escape("shape (2, 2)") + ".*all -inf"):
        softmax(x)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_softmax_rejects_nan_and_plus_inf(bad):
    with pytest.raises(ValueError, match=re.escape("softmax input of shape (2, 3) contains NaN or +inf")):
        softmax(np.array([[0.0, 1.0, 2.0], [0.0, bad, 1.0]]))


# ======================================================================= dtypes


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_by_every_function(dtype):
    T, d_model, n_heads = 5, 8, 2
    X = rand(0, 2, T, d_model, dtype=dtype)
    Q, K, V = rand(1, 2, T, 4, dtype=dtype), rand(2, 2, T, 4, dtype=dtype), rand(3, 2, T, 3, dtype=dtype)
    assert softmax(X).dtype == dtype
    assert naive_softmax(X).dtype == dtype
    assert attention_scores(Q, K).dtype == dtype
    for mask in (None, causal_mask(T)):
        Z, A = scaled_dot_product_attention(Q, K, V, mask=mask)
        assert Z.dtype == dtype and A.dtype == dtype
    assert split_heads(X, n_heads).dtype == dtype
    assert merge_heads(split_heads(X, n_heads)).dtype == dtype
    Ws = init_mha_weights(d_model, n_heads, seed=0, dtype=dtype)
    assert all(W.dtype == dtype for W in Ws)
    for mask in (None, causal_mask(T)):
        Z, A = multi_head_attention(X, *Ws, n_heads, mask=mask)
        assert Z.dtype == dtype and A.dtype == dtype
    assert head_weights(Ws.W_q, n_heads).dtype == dtype
    assert output_weights_per_head(Ws.W_o, n_heads).dtype == dtype


def test_init_mha_weights_default_dtype_is_float32():
    assert all(W.dtype == np.float32 for W in init_mha_weights(8, 2))


@pytest.mark.parametrize("batch", BATCHES)
def test_float32_results_agree_with_the_oracle(batch):
    T, d_model, n_heads = 5, 8, 2
    X = rand(7, *batch, T, d_model, dtype=np.float32)
    Ws = init_mha_weights(d_model, n_heads, seed=7)
    Z, A = multi_head_attention(X, *Ws, n_heads, mask=causal_mask(T))
    Z_ref, A_ref = oracle.multi_head_attention(X, *Ws, n_heads, causal_mask(T))
    np.testing.assert_allclose(A, A_ref, **TOL32)
    np.testing.assert_allclose(Z, Z_ref, **TOL32)


def test_integer_input_becomes_float64():
    Z, A = scaled_dot_product_attention([[1, 0], [0, 1]], [[1, 0], [0, 1]], [[1, 2], [3, 4]])
    assert Z.dtype == np.float64 and A.dtype == np.float64
    Z_ref, A_ref = oracle.attention([[1, 0], [0, 1]], [[1, 0], [0, 1]], [[1, 2], [3, 4]])
    np.testing.assert_allclose(Z, Z_ref, **TOL)


# ======================================================================= the fully masked query row


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fully_masked_query_row_gives_zero_weights_and_zero_output(dtype):
    Q, K, V = rand(0, 3, 4, dtype=dtype), rand(1, 5, 4, dtype=dtype), rand(2, 5, 2, dtype=dtype)
    mask = np.ones((3, 5), dtype=bool)
    mask[1] = False  # query 1 may look at nothing
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Z, A = scaled_dot_product_attention(Q, K, V, mask=mask)
    assert np.isfinite(Z).all() and np.isfinite(A).all()
    np.testing.assert_array_equal(A[1], 0.0)
    np.testing.assert_array_equal(Z[1], 0.0)
    np.testing.assert_allclose(A[[0, 2]].sum(axis=-1), 1.0, rtol=1e-6)

    X = rand(3, 4, 8, dtype=dtype)
    m = causal_mask(4)
    m[2] = False  # token 2 may look at nothing
    Z, A = multi_head_attention(X, *init_mha_weights(8, 2, dtype=dtype), 2, mask=m)
    assert np.isfinite(Z).all() and np.isfinite(A).all()
    np.testing.assert_array_equal(A[:, 2], 0.0)
    np.testing.assert_array_equal(Z[2], 0.0)


# ======================================================================= bad input: ValueError naming the shapes


def test_error_d_model_not_divisible_by_n_heads():
    X = rand(0, 4, 10)
    with pytest.raises(ValueError, match=re.escape("d_model = 10 (X of shape (4, 10)) is not divisible by n_heads = 3")):
        split_heads(X, 3)
    with pytest.raises(ValueError, match=re.escape("d_model = 10 (X of shape (4, 10)) is not divisible by n_heads = 3")):
        multi_head_attention(X, *weights(0, 10), 3)
    with pytest.raises(ValueError, match="d_model = 10 is not divisible by n_heads = 3"):
        init_mha_weights(10, 3)
    with pytest.raises(ValueError, match="d_model = 10 is not divisible by n_heads = 3"):
        count_parameters(10, 3)
    with pytest.raises(ValueError, match=re.escape("W of shape (10, 10): 10 columns are not divisible by n_heads = 3")):
        head_weights(rand(0, 10, 10), 3)
    with pytest.raises(ValueError, match=re.escape("W_o of shape (10, 4): 10 rows are not divisible by n_heads = 3")):
        output_weights_per_head(rand(0, 10, 4), 3)


def test_error_mismatched_d_k():
    Q, K, V = rand(0, 3, 4), rand(1, 5, 6), rand(2, 5, 2)
    msg = re.escape("Q and K must share d_k (their last axis): Q has shape (3, 4), K has shape (5, 6)")
    with pytest.raises(ValueError, match=msg):
        scaled_dot_product_attention(Q, K, V)
    with pytest.raises(ValueError, match=msg):
        attention_scores(Q, K)


def test_error_K_and_V_token_mismatch():
    with pytest.raises(ValueError, match=re.escape("K has shape (5, 4), V has shape (6, 2)")):
        scaled_dot_product_attention(rand(0, 3, 4), rand(1, 5, 4), rand(2, 6, 2))


def test_error_batch_axes_that_do_not_broadcast():
    with pytest.raises(ValueError, match=re.escape("batch axes of Q (2, 3, 4) and K (3, 5, 4) do not broadcast")):
        scaled_dot_product_attention(rand(0, 2, 3, 4), rand(1, 3, 5, 4), rand(2, 3, 5, 2))


def test_error_mask_that_does_not_broadcast():
    Q, K, V = rand(0, 3, 4), rand(1, 5, 4), rand(2, 5, 2)
    with pytest.raises(ValueError, match=re.escape("mask of shape (5, 3) does not broadcast to the scores' shape (3, 5)")):
        scaled_dot_product_attention(Q, K, V, mask=np.ones((5, 3), dtype=bool))
    X = rand(0, 2, 4, 8)
    with pytest.raises(ValueError, match=re.escape("mask of shape (3, 4, 4) does not broadcast to the scores' shape (2, 4, 4)")):
        multi_head_attention(X, *weights(0, 8), 2, mask=np.ones((3, 4, 4), dtype=bool))


def test_error_non_boolean_mask():
    Q, K, V = rand(0, 3, 4), rand(1, 5, 4), rand(2, 5, 2)
    additive = np.where(np.ones((3, 5), dtype=bool), 0.0, -np.inf)
    with pytest.raises(ValueError, match="mask must be boolean .* got dtype float64"):
        scaled_dot_product_attention(Q, K, V, mask=additive)
    with pytest.raises(ValueError, match="mask must be boolean .* got dtype int64"):
        multi_head_attention(rand(0, 4, 8), *weights(0, 8), 2, mask=np.tril(np.ones((4, 4), dtype=np.int64)))


def test_error_empty_sequence():
    with pytest.raises(ValueError, match=re.escape("Q is empty: shape (0, 4)")):
        scaled_dot_product_attention(np.zeros((0, 4)), rand(1, 5, 4), rand(2, 5, 2))
    with pytest.raises(ValueError, match=re.escape("K is empty: shape (2, 0, 4)")):
        attention_scores(rand(0, 2, 3, 4), np.zeros((2, 0, 4)))
    with pytest.raises(ValueError, match=re.escape("X is empty: shape (2, 0, 8)")):
        multi_head_attention(np.zeros((2, 0, 8)), *weights(0, 8), 2)
    with pytest.raises(ValueError, match=re.escape("X is empty: shape (0, 8)")):
        split_heads(np.zeros((0, 8)), 2)
    with pytest.raises(ValueError, match="T must be a positive integer, got 0"):
        causal_mask(0)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_error_nan_or_inf_input(bad):
    Q = rand(0, 3, 4)
    Q[1, 2] = bad
    with pytest.raises(ValueError, match=re.escape("Q of shape (3, 4) contains NaN or inf (1 entries, first at index (1, 2))")):
        scaled_dot_product_attention(Q, rand(1, 5, 4), rand(2, 5, 2))
    X = rand(0, 2, 4, 8)
    X[1, 3, 0] = bad
    with pytest.raises(ValueError, match=re.escape("X of shape (2, 4, 8) contains NaN or inf")):
        multi_head_attention(X, *weights(0, 8), 2)
    W_v = weights(0, 8)[2]
    W_v[0, 0] = bad
    with pytest.raises(ValueError, match=re.escape("W_v of shape (8, 8) contains NaN or inf")):
        multi_head_attention(rand(0, 4, 8), *weights(0, 8)[:2], W_v, weights(0, 8)[3], 2)


def test_error_wrong_number_of_dimensions():
    with pytest.raises(ValueError, match=re.escape("Q must have at least 2 dimensions, got shape (4,)")):
        scaled_dot_product_attention(rand(0, 4), rand(1, 5, 4), rand(2, 5, 2))
    with pytest.raises(ValueError, match=re.escape("X must have at least 2 dimensions, got shape (8,)")):
        multi_head_attention(rand(0, 8), *weights(0, 8), 2)
    with pytest.raises(ValueError, match=re.escape("Z must have at least 3 dimensions, got shape (4, 8)")):
        merge_heads(rand(0, 4, 8))
    with pytest.raises(ValueError, match=re.escape("W must have 2 dimensions, got shape (2, 8, 8)")):
        head_weights(rand(0, 2, 8, 8), 2)
    with pytest.raises(ValueError, match=re.escape("W_o must have 2 dimensions, got shape (8,)")):
        output_weights_per_head(rand(0, 8), 2)


@pytest.mark.parametrize("which", range(4))
@pytest.mark.parametrize("shape", [(8, 6), (6, 8), (8,), (2, 8, 8)])
def test_error_wrong_W_shape(which, shape):
    Ws = weights(0, 8)
    name = ("W_q", "W_k", "W_v", "W_o")[which]
    Ws[which] = rand(1, *shape)
    msg = f"{name} must have shape (d_model, d_model) = (8, 8) for X of shape (3, 8), got {shape}"
    with pytest.raises(ValueError, match=re.escape(msg)):
        multi_head_attention(rand(0, 3, 8), *Ws, 2)


@pytest.mark.parametrize("n_heads", [0, -2, 2.0, True, "2"])
def test_error_n_heads_not_a_positive_integer(n_heads):
    with pytest.raises(ValueError, match="n_heads must be a positive integer"):
        split_heads(rand(0, 3, 8), n_heads)
    with pytest.raises(ValueError, match="n_heads must be a positive integer"):
        multi_head_attention(rand(0, 3, 8), *weights(0, 8), n_heads)


# ======================================================================= gaps found by these tests, now fixed


def test_error_non_boolean_mask_names_its_shape():
    with pytest.raises(ValueError, match=re.escape("(3, 5)")):
        scaled_dot_product_attention(rand(0, 3, 4), rand(1, 5, 4), rand(2, 5, 2), mask=np.ones((3, 5)))


def test_scores_that_overflow_raise_instead_of_giving_nan():
    Q = np.full((2, 4), 1e20, dtype=np.float32)  # finite, but q_i · k_j = 4e40 > float32 max 3.4e38
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match=re.escape("(2, 4)")):
            scaled_dot_product_attention(Q, Q, Q)


# ---------------------------------------------------------------- step_values


@pytest.mark.parametrize("seed, T, d_k, d_v", [(0, 3, 4, 4), (1, 5, 64, 8), (2, 12, 3, 5), (3, 1, 2, 2)])
def test_step_values_match_loops(seed, T, d_k, d_v):
    rng = np.random.default_rng(seed)
    Q, K, V = rng.normal(size=(T, d_k)), rng.normal(size=(T, d_k)), rng.normal(size=(T, d_v))
    for i in range(T):
        got = step_values(Q, K, V, i)
        ref = loop_step(Q, K, V, i)
        assert set(got) == {"score", "scaled", "weights", "weighted", "z"}
        assert got["score"].shape == (T,) and got["weighted"].shape == (T, d_v) and got["z"].shape == (d_v,)
        for key in ref:
            assert got[key].dtype == np.float64
            np.testing.assert_allclose(got[key], np.array(ref[key]), rtol=0, atol=1e-12)


def test_step_values_keep_float32():
    rng = np.random.default_rng(4)
    Q, K, V = (rng.normal(size=(4, 8)).astype(np.float32) for _ in range(3))
    got = step_values(Q, K, V, 2)
    ref = loop_step(Q, K, V, 2)
    for key in ref:
        assert got[key].dtype == np.float32, key
        np.testing.assert_allclose(got[key], np.array(ref[key]), rtol=1e-5, atol=1e-6)


def test_step_values_with_a_causal_mask():
    rng = np.random.default_rng(5)
    T = 4
    Q, K, V = rng.normal(size=(T, 4)), rng.normal(size=(T, 4)), rng.normal(size=(T, 3))
    mask = np.tril(np.ones((T, T), dtype=bool))
    for i in range(T):
        got = step_values(Q, K, V, i, mask=mask)
        ref = loop_step(Q, K, V, i, allowed=[j <= i for j in range(T)])
        assert np.all(np.isneginf(got["scaled"][i + 1:]))
        assert np.all(got["weights"][i + 1:] == 0.0)
        np.testing.assert_allclose(got["weights"], ref["weights"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(got["z"], ref["z"], rtol=0, atol=1e-12)
    nothing = step_values(Q, K, V, 1, mask=np.zeros(T, dtype=bool))
    assert np.all(nothing["weights"] == 0.0) and np.all(nothing["z"] == 0.0)
    with pytest.raises(ValueError, match="boolean"):
        step_values(Q, K, V, 0, mask=np.ones(T))
    with pytest.raises(ValueError, match=r"\(4,\).*\(3, 3\)"):
        step_values(Q, K, V, 0, mask=np.ones((3, 3), dtype=bool))


@pytest.mark.parametrize("query", [3, -1, 10])
def test_step_values_query_out_of_range_names_T(query):
    with pytest.raises(ValueError, match=r"T = 3"):
        step_values(Q4, K4, V4, query)


@pytest.mark.parametrize("query", [1.0, "1", None, True])
def test_step_values_query_must_be_an_integer(query):
    with pytest.raises(ValueError, match="query"):
        step_values(Q4, K4, V4, query)


def test_step_values_accepts_numpy_integers():
    np.testing.assert_array_equal(step_values(Q4, K4, V4, np.int64(1))["z"], step_values(Q4, K4, V4, 1)["z"])


@pytest.mark.parametrize(
    "Q, K, V, match",
    [
        (Q4[:, :3], K4, V4, r"d_k.*\(3, 3\).*\(3, 4\)"),
        (Q4, K4, V4[:2], r"same T.*\(2, 2\)"),
        (Q4[0], K4, V4, r"Q must have 2 dimensions.*\(4,\)"),
        (Q4, K4[None], V4, r"K must have 2 dimensions"),
        (np.full((3, 4), np.nan), K4, V4, "NaN"),
    ],
)
def test_step_values_bad_shapes(Q, K, V, match):
    with pytest.raises(ValueError, match=match):
        step_values(Q, K, V, 0)
