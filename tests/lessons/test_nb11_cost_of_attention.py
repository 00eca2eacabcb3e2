"""helpers/lessons/nb11_cost_of_attention.py: blocked attention and the online softmax against loop references,
the full computation, and a measured memory property."""

import math
import time

import numpy as np
import pytest

import oracle
from helpers import causal_mask, scaled_dot_product_attention, softmax
from helpers import (
    attention_memory_bytes,
    blocked_attention,
    online_softmax,
    peak_memory,
    running_max_and_sum,
    time_it,
    timed,
)

TOL = dict(rtol=1e-12, atol=1e-12)  # float64 blocked vs float64 loops / full computation
TOL32 = dict(rtol=1e-4, atol=2e-6)  # float32 blocked vs float64 references


def rand(seed, *shape, dtype=np.float64):
    """Seeded standard-normal array."""
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def qkv(seed, T_q, T_k, d_k=4, d_v=3, batch=(), dtype=np.float64):
    """Seeded Q (batch, T_q, d_k), K (batch, T_k, d_k), V (batch, T_k, d_v)."""
    return (
        rand(seed, *batch, T_q, d_k, dtype=dtype),
        rand(seed + 100, *batch, T_k, d_k, dtype=dtype),
        rand(seed + 200, *batch, T_k, d_v, dtype=dtype),
    )


def loop_logsumexp(Q, K, mask=None):
    """log Σ_j exp(q_i · k_j / √d_k) for each query i, from oracle.scores with Python loops; −inf when no key is allowed."""
    S = oracle.scores(Q.tolist(), K.tolist())
    out = []
    for i, row in enumerate(S):
        allowed = [s for j, s in enumerate(row) if mask is None or mask[i][j]]
        if not allowed:
            out.append(-math.inf)
            continue
        m = max(allowed)
        out.append(m + math.log(sum(math.exp(s - m) for s in allowed)))
    return np.array(out)


# ---------------------------------------------------------------- blocked attention: equality


@pytest.mark.parametrize("T", [1, 2, 5, 8, 13])
@pytest.mark.parametrize("block_size", [1, 3, 4, 8, 64])
def test_blocked_attention_equals_loop_oracle(T, block_size):
    Q, K, V = qkv(T, T, T)
    Z_ref, _ = oracle.batched_attention(Q, K, V)
    Z = blocked_attention(Q, K, V, block_size=block_size)
    assert Z.shape == (T, 3)
    np.testing.assert_allclose(Z, Z_ref, **TOL)


@pytest.mark.parametrize("T_q, T_k", [(1, 7), (6, 3), (4, 11)])
def test_blocked_attention_with_different_query_and_key_counts(T_q, T_k):
    Q, K, V = qkv(3, T_q, T_k, d_k=5, d_v=2)
    Z_ref, _ = oracle.batched_attention(Q, K, V)
    np.testing.assert_allclose(blocked_attention(Q, K, V, block_size=4), Z_ref, **TOL)


@pytest.mark.parametrize("T", [16, 100, 257])
@pytest.mark.parametrize("block_size", [7, 16, 32, 100, 128, 1000])
def test_blocked_attention_equals_full_computation(T, block_size):
    Q, K, V = qkv(T, T, T, d_k=8, d_v=6)
    Z_full, _ = scaled_dot_product_attention(Q, K, V)
    np.testing.assert_allclose(blocked_attention(Q, K, V, block_size=block_size), Z_full, **TOL)


@pytest.mark.parametrize("batch", [(2,), (2, 3)])
def test_blocked_attention_with_batch_axes(batch):
    Q, K, V = qkv(5, 9, 9, batch=batch)
    Z_ref, _ = oracle.batched_attention(Q, K, V)
    Z = blocked_attention(Q, K, V, block_size=4)
    assert Z.shape == batch + (9, 3)
    np.testing.assert_allclose(Z, Z_ref, **TOL)


def test_blocked_attention_broadcasts_batch_axes_like_the_full_computation():
    Q = rand(1, 2, 1, 10, 4)  # (2, 1, T, d_k)
    K = rand(2, 3, 10, 4)  # (3, T, d_k)
    V = rand(3, 1, 3, 10, 5)  # (1, 3, T, d_v)
    Z_full, _ = scaled_dot_product_attention(Q, K, V)
    Z = blocked_attention(Q, K, V, block_size=3)
    assert Z.shape == (2, 3, 10, 5)
    np.testing.assert_allclose(Z, Z_full, **TOL)


def test_blocked_attention_large_scores_do_not_overflow():
    Q, K, V = qkv(4, 12, 12)
    Q = Q * 300.0  # scores in the hundreds: exp would overflow without the running max
    Z_ref, _ = oracle.batched_attention(Q, K, V)
    Z = blocked_attention(Q, K, V, block_size=5)
    assert np.isfinite(Z).all()
    np.testing.assert_allclose(Z, Z_ref, **TOL)


# ---------------------------------------------------------------- masks


@pytest.mark.parametrize("T", [1, 6, 13, 64])
@pytest.mark.parametrize("block_size", [1, 4, 5, 16])
def test_causal_variant_equals_full_computation_with_causal_mask(T, block_size):
    Q, K, V = qkv(T + 7, T, T)
    Z_full, _ = scaled_dot_product_attention(Q, K, V, mask=causal_mask(T))
    np.testing.assert_allclose(blocked_attention(Q, K, V, block_size=block_size, causal=True), Z_full, **TOL)


def test_causal_variant_equals_loop_oracle_with_batch_axes():
    Q, K, V = qkv(8, 7, 7, batch=(2,))
    Z_ref, _ = oracle.batched_attention(Q, K, V, mask=oracle.causal_mask(7))
    np.testing.assert_allclose(blocked_attention(Q, K, V, block_size=3, causal=True), Z_ref, **TOL)


def test_causal_first_query_sees_only_the_first_value():
    Q, K, V = qkv(9, 10, 10)
    Z = blocked_attention(Q, K, V, block_size=4, causal=True)
    np.testing.assert_allclose(Z[0], V[0], **TOL)  # z_0 = v_0: the only key it may see


def test_boolean_mask_with_a_fully_masked_row_gives_zero_like_the_full_computation():
    Q, K, V = qkv(10, 6, 9)
    mask = np.random.default_rng(11).random((6, 9)) < 0.5
    mask[2] = False  # query 2 may look at nothing
    mask[4, :5] = False  # query 4: the first block is fully masked, a later one is not
    mask[4, 7] = True
    Z_ref, _ = oracle.batched_attention(Q, K, V, mask=mask)
    Z_full, _ = scaled_dot_product_attention(Q, K, V, mask=mask)
    Z = blocked_attention(Q, K, V, block_size=3, mask=mask)
    np.testing.assert_allclose(Z, Z_ref, **TOL)
    np.testing.assert_allclose(Z, Z_full, **TOL)
    assert np.all(Z[2] == 0.0)


def test_padding_mask_broadcasts_over_queries_and_batch():
    Q, K, V = qkv(12, 5, 8, batch=(3,))
    mask = np.ones((1, 8), dtype=bool)  # (1, T_k): the same keys hidden from every query
    mask[0, 6:] = False
    Z_full, _ = scaled_dot_product_attention(Q, K, V, mask=mask)
    np.testing.assert_allclose(blocked_attention(Q, K, V, block_size=3, mask=mask), Z_full, **TOL)


# ---------------------------------------------------------------- log-sum-exp


@pytest.mark.parametrize("block_size", [1, 3, 8])
def test_return_lse_equals_loop_logsumexp(block_size):
    Q, K, V = qkv(13, 7, 8)
    Z, lse = blocked_attention(Q, K, V, block_size=block_size, return_lse=True)
    assert lse.shape == (7,)
    np.testing.assert_allclose(lse, loop_logsumexp(Q, K), **TOL)
    np.testing.assert_allclose(Z, oracle.batched_attention(Q, K, V)[0], **TOL)


def test_lse_with_causal_and_empty_rows():
    Q, K, V = qkv(14, 6, 6)
    _, lse = blocked_attention(Q, K, V, block_size=4, causal=True, return_lse=True)
    np.testing.assert_allclose(lse, loop_logsumexp(Q, K, oracle.causal_mask(6)), **TOL)
    mask = np.ones((6, 6), dtype=bool)
    mask[3] = False
    _, lse = blocked_attention(Q, K, V, block_size=4, mask=mask, return_lse=True)
    assert lse[3] == -np.inf
    np.testing.assert_allclose(np.delete(lse, 3), np.delete(loop_logsumexp(Q, K, mask.tolist()), 3), **TOL)


# ---------------------------------------------------------------- online softmax of one row


def loop_running_state(row, block_size):
    """m and ℓ after each block, straight from their definitions: max and Σ exp(s − max) of the prefix."""
    ms, ells = [], []
    for end in range(block_size, len(row) + block_size, block_size):
        prefix = [s for s in row[: min(end, len(row))]]
        finite = [s for s in prefix if s != -math.inf]
        m = max(finite) if finite else -math.inf
        ell = sum(math.exp(s - m) for s in prefix) if finite else 0.0
        ms.append(m)
        ells.append(ell)
    return ms, ells


ROWS = {
    "random": rand(0, 11).tolist(),
    "max in the last block": [0.5, -1.0, 2.0, 1.0, 0.0, 3.0, -2.0, 9.0],
    "increasing": [float(j) for j in range(10)],
    "large": [1000.0, 998.0, 1003.0, 1001.0, 1010.0],
    "with -inf": [-math.inf, 1.0, -math.inf, 0.5, 4.0, -math.inf],
    "first block all -inf": [-math.inf, -math.inf, -math.inf, 2.0, 1.0, -1.0, 0.0],
    "one entry": [3.0],
}


@pytest.mark.parametrize("name", list(ROWS))
@pytest.mark.parametrize("block_size", [1, 2, 3, 4, 100])
def test_online_softmax_equals_loop_softmax(name, block_size):
    row = ROWS[name]
    p = online_softmax(np.array(row), block_size)
    np.testing.assert_allclose(p, oracle.softmax_row(row), **TOL)
    np.testing.assert_allclose(p, softmax(np.array(row)), **TOL)
    assert np.all(p[np.isneginf(np.array(row))] == 0.0)


@pytest.mark.parametrize("name", list(ROWS))
@pytest.mark.parametrize("block_size", [1, 3, 4])
def test_running_max_and_sum_equal_their_definitions(name, block_size):
    row = ROWS[name]
    ms, ells = running_max_and_sum(np.array(row), block_size)
    m_ref, ell_ref = loop_running_state(row, block_size)
    assert ms.shape == ells.shape == (math.ceil(len(row) / block_size),)
    np.testing.assert_array_equal(ms, m_ref)
    np.testing.assert_allclose(ells, ell_ref, **TOL)


def test_running_max_grows_so_the_sum_is_rescaled():
    row = ROWS["max in the last block"]  # blocks of 4: max 2.0, then 9.0
    ms, ells = running_max_and_sum(np.array(row), 4)
    np.testing.assert_array_equal(ms, [2.0, 9.0])
    first = sum(math.exp(s - 2.0) for s in row[:4])
    assert ells[0] == pytest.approx(first, rel=1e-12)
    # ℓ after block 2 = ℓ after block 1 rescaled by exp(2 − 9), plus block 2 measured against 9
    expected = first * math.exp(2.0 - 9.0) + sum(math.exp(s - 9.0) for s in row[4:])
    assert ells[1] == pytest.approx(expected, rel=1e-12)


def test_online_softmax_all_minus_inf_raises():
    with pytest.raises(ValueError, match="all -inf"):
        online_softmax(np.full(5, -np.inf), 2)


# ---------------------------------------------------------------- dtypes


def test_float32_in_float32_out():
    Q, K, V = qkv(20, 33, 33, d_k=8, d_v=8, dtype=np.float32)
    Z, lse = blocked_attention(Q, K, V, block_size=10, return_lse=True)
    assert Z.dtype == np.float32 and lse.dtype == np.float32
    assert blocked_attention(Q, K, V, block_size=10, causal=True).dtype == np.float32
    Z_ref, _ = oracle.batched_attention(Q, K, V)
    np.testing.assert_allclose(Z, Z_ref, **TOL32)
    p = online_softmax(np.array([1.0, 2.0, 3.0], dtype=np.float32), 2)
    assert p.dtype == np.float32
    ms, ells = running_max_and_sum(np.array([1.0, 2.0, 3.0], dtype=np.float32), 2)
    assert ms.dtype == ells.dtype == np.float32


def test_float64_and_int_inputs_give_float64():
    Q, K, V = qkv(21, 5, 5)
    assert blocked_attention(Q, K, V, block_size=2).dtype == np.float64
    Qi = np.arange(10).reshape(5, 2)
    assert blocked_attention(Qi, Qi, Qi, block_size=2).dtype == np.float64


def test_mixed_dtypes_follow_numpy_promotion():
    Q, K, V = qkv(22, 5, 5, dtype=np.float32)
    Z = blocked_attention(Q, K, V.astype(np.float64), block_size=2)
    assert Z.dtype == np.float64
    np.testing.assert_allclose(Z, scaled_dot_product_attention(Q, K, V.astype(np.float64))[0], rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("block_size", [0, -3, 2.5, True, "8", None])
def test_bad_block_size_raises(block_size):
    Q, K, V = qkv(0, 4, 4)
    with pytest.raises(ValueError, match="block_size must be a positive integer"):
        blocked_attention(Q, K, V, block_size=block_size)
    with pytest.raises(ValueError, match="block_size must be a positive integer"):
        online_softmax(np.ones(4), block_size)


def test_numpy_integer_block_size_is_accepted():
    Q, K, V = qkv(0, 4, 4)
    np.testing.assert_allclose(blocked_attention(Q, K, V, block_size=np.int64(3)), blocked_attention(Q, K, V, block_size=3))


def test_shape_mismatches_raise_with_shapes():
    Q, K, V = qkv(0, 4, 4)
    with pytest.raises(ValueError, match=r"share d_k.*\(4, 4\).*\(4, 5\)"):
        blocked_attention(Q, np.ones((4, 5)), V)
    with pytest.raises(ValueError, match=r"same number of tokens T_k.*\(4, 4\).*\(6, 3\)"):
        blocked_attention(Q, K, np.ones((6, 3)))
    with pytest.raises(ValueError, match=r"batch axes.*\(2, 4, 4\).*\(3, 4, 4\)"):
        blocked_attention(np.ones((2, 4, 4)), np.ones((3, 4, 4)), np.ones((3, 4, 3)))
    with pytest.raises(ValueError, match=r"at least 2 dimensions, got shape \(4,\)"):
        blocked_attention(np.ones(4), K, V)


def test_bad_masks_raise():
    Q, K, V = qkv(0, 4, 6)
    with pytest.raises(ValueError, match=r"does not broadcast.*\(4, 6\)"):
        blocked_attention(Q, K, V, mask=np.ones((4, 5), dtype=bool))
    with pytest.raises(ValueError, match="must be boolean"):
        blocked_attention(Q, K, V, mask=np.zeros((4, 6)))
    with pytest.raises(ValueError, match=r"as many queries as keys.*\(4, 4\).*\(6, 4\)"):
        blocked_attention(Q, K, V, causal=True)
    Q, K, V = qkv(0, 4, 4)
    with pytest.raises(ValueError, match="either mask or causal"):
        blocked_attention(Q, K, V, mask=causal_mask(4), causal=True)


def test_nan_and_bad_rows_raise():
    Q, K, V = qkv(0, 4, 4)
    Q[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"Q of shape \(4, 4\) contains NaN"):
        blocked_attention(Q, K, V)
    with pytest.raises(ValueError, match=r"scores must have 1 dimensions, got shape \(2, 3\)"):
        online_softmax(np.ones((2, 3)), 2)
    with pytest.raises(ValueError, match="NaN"):
        online_softmax(np.array([1.0, np.nan]), 1)


# ---------------------------------------------------------------- memory: formula and measurement


def test_attention_memory_bytes_by_hand():
    # full: 4 · (4096² + 4096·64); blocked: 4 · (4096·128 + 4096·64 + 2·4096)
    assert attention_memory_bytes(4096, block_size=128, d_v=64, itemsize=4) == (68_157_440, 3_178_496)
    assert attention_memory_bytes(4, block_size=2, d_v=3, itemsize=8) == (8 * (16 + 12), 8 * (8 + 12 + 8))
    full, blocked = attention_memory_bytes(10, block_size=1000, d_v=2, itemsize=4)  # a block never exceeds T
    assert blocked == 4 * (10 * 10 + 10 * 2 + 2 * 10)
    assert full < blocked  # with one block holding every key, blocking saves nothing


def test_attention_memory_bytes_ratio_grows_like_T():
    ratios = [f / b for f, b in (attention_memory_bytes(T) for T in (512, 1024, 2048, 4096))]
    assert all(r2 > r1 for r1, r2 in zip(ratios, ratios[1:]))
    assert ratios[-1] > 20


@pytest.mark.parametrize("args", [(0,), (-1,), (2.0,), (8, 0), (8, 4, 0), (8, 4, 4, 0)])
def test_attention_memory_bytes_bad_input(args):
    with pytest.raises(ValueError, match="must be a positive integer"):
        attention_memory_bytes(*args)


def test_peak_memory_sees_numpy_allocations():
    n = 1_000_000
    peak = peak_memory(np.ones, n)  # one float64 buffer of 8 MB
    assert 8 * n <= peak < 8 * n + 100_000

    def three_buffers():
        a = np.ones(n)
        b = np.ones(n)
        return a + b  # a, b and the sum alive at once

    assert 3 * 8 * n <= peak_memory(three_buffers) < 3 * 8 * n + 100_000


def test_blocked_attention_peak_memory_stays_far_below_T_by_T():
    T, d, block_size = 1024, 32, 64
    Q, K, V = qkv(30, T, T, d_k=d, d_v=d)  # float64
    full = peak_memory(scaled_dot_product_attention, Q, K, V)
    blocked = peak_memory(blocked_attention, Q, K, V, block_size=block_size)
    assert full >= T * T * 8  # the full computation holds at least one (T, T) float64 matrix
    assert blocked < T * T * 8 / 4  # the blocked one never does
    _, estimate = attention_memory_bytes(T, block_size=block_size, d_v=d, itemsize=8)
    assert blocked < 4 * estimate  # and stays within a small factor of its shape count
    assert full / blocked > 4


def test_time_it_calls_fn_repeats_times_and_returns_seconds():
    calls = []
    seconds = time_it(calls.append, 1, repeats=4)
    assert calls == [1, 1, 1, 1]
    assert isinstance(seconds, float) and 0.0 <= seconds < 1.0
    with pytest.raises(ValueError, match="repeats must be a positive integer"):
        time_it(calls.append, 1, repeats=0)


def test_timed_runs_fn_once_and_returns_its_result_and_seconds():
    calls = []

    def fn(x, scale=1):
        calls.append(x)
        time.sleep(0.01)
        return x * scale

    result, seconds = timed(fn, 3, scale=2)
    assert calls == [3]  # exactly one call
    assert result == 6  # the result is passed back, with the keyword argument applied
    assert isinstance(seconds, float) and 0.01 <= seconds < 1.0
