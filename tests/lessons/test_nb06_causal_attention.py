"""helpers/lessons/nb06_causal_attention.py against loops written straight from the formulas, plus dtypes, properties and errors.

The references below use only Python floats, math.exp and `for` loops over the indices
(batch entry, query i, key j, feature d): no vectorised numpy, no calls into helpers.

    masked score      s'_ij = s_ij if mask_ij else -inf
    before (right)    a_ij = exp(s'_ij - m_i) / Σ_k exp(s'_ik - m_i),  m_i = max over allowed j;  a_i = 0 if none allowed
    after (wrong)     a_ij = [exp(s_ij - M_i) / Σ_k exp(s_ik - M_i)] · mask_ij,  M_i = max over all j
    output            z_id = Σ_j a_ij v_jd
"""

import math
import re

import numpy as np
import pytest

from helpers import causal_mask, scaled_dot_product_attention
from helpers import (
    CONVENTIONS,
    mask_as,
    mask_from,
    mask_scores,
    masked_attention,
    mask_view,
    masked_softmax,
    softmax_then_mask,
)

TOL = dict(rtol=1e-12, atol=1e-12)  # float64 helpers vs float64 loops
TOL32 = dict(rtol=2e-5, atol=2e-6)  # float32 helpers vs float64 loops
SEEDS = [0, 1, 2]
# (batch shape, T_q, T_k, shape of the mask): masks of the full shape and masks broadcast over the batch
SHAPES = [((), 3, 3, (3, 3)), ((), 4, 6, (4, 6)), ((2,), 5, 5, (5, 5)), ((2, 3), 4, 5, (2, 3, 4, 5)),
          ((2,), 1, 4, (2, 1, 4))]


# ---------------------------------------------------------------- the references (loops)


def rand(seed, *shape, scale=1.0, dtype=np.float64):
    """Seeded standard-normal array times `scale`."""
    return (scale * np.random.default_rng(seed).standard_normal(shape)).astype(dtype)


def rand_mask(seed, shape, empty_row=False):
    """Seeded boolean mask; with `empty_row`, query row 0 of every batch entry allows no key."""
    m = np.random.default_rng(100 + seed).random(shape) < 0.6
    if empty_row:
        m[..., 0, :] = False
    return m


def rows(S, mask):
    """(index prefix, list of scores, list of allowed flags) for every query row, mask broadcast to S."""
    mask = np.broadcast_to(mask, S.shape)
    for idx in np.ndindex(*S.shape[:-1]):
        yield idx, [float(s) for s in S[idx]], [bool(b) for b in mask[idx]]


def ref_mask_scores(S, mask):
    out = np.empty(S.shape, dtype=np.float64)
    for idx, s, allowed in rows(S, mask):
        for j in range(len(s)):
            out[idx + (j,)] = s[j] if allowed[j] else -math.inf
    return out


def ref_before(S, mask):
    out = np.empty(S.shape, dtype=np.float64)
    for idx, s, allowed in rows(S, mask):
        kept = [s[j] for j in range(len(s)) if allowed[j]]
        if not kept:
            for j in range(len(s)):
                out[idx + (j,)] = 0.0
            continue
        m = max(kept)
        e = [math.exp(s[j] - m) if allowed[j] else 0.0 for j in range(len(s))]
        total = 0.0
        for e_j in e:
            total += e_j
        for j in range(len(s)):
            out[idx + (j,)] = e[j] / total
    return out


def ref_after(S, mask):
    out = np.empty(S.shape, dtype=np.float64)
    for idx, s, allowed in rows(S, mask):
        m = max(s)
        e = [math.exp(s_j - m) for s_j in s]
        total = 0.0
        for e_j in e:
            total += e_j
        for j in range(len(s)):
            out[idx + (j,)] = e[j] / total if allowed[j] else 0.0
    return out


def ref_scores(Q, K):
    """s_ij = q_i · k_j / √d_k over broadcast batch axes."""
    batch = np.broadcast_shapes(Q.shape[:-2], K.shape[:-2])
    Qb, Kb = np.broadcast_to(Q, batch + Q.shape[-2:]), np.broadcast_to(K, batch + K.shape[-2:])
    T_q, d_k = Q.shape[-2:]
    T_k = K.shape[-2]
    out = np.empty(batch + (T_q, T_k), dtype=np.float64)
    for b in np.ndindex(*batch):
        for i in range(T_q):
            for j in range(T_k):
                total = 0.0
                for d in range(d_k):
                    total += float(Qb[b + (i, d)]) * float(Kb[b + (j, d)])
                out[b + (i, j)] = total / math.sqrt(d_k)
    return out


def ref_weighted_sum(A, V):
    """z_id = Σ_j a_ij v_jd."""
    batch = A.shape[:-2]
    Vb = np.broadcast_to(V, batch + V.shape[-2:])
    T_q, T_k = A.shape[-2:]
    d_v = V.shape[-1]
    out = np.empty(batch + (T_q, d_v), dtype=np.float64)
    for b in np.ndindex(*batch):
        for i in range(T_q):
            for d in range(d_v):
                total = 0.0
                for j in range(T_k):
                    total += float(A[b + (i, j)]) * float(Vb[b + (j, d)])
                out[b + (i, d)] = total
    return out


# ---------------------------------------------------------------- against the loops (float64, 1e-12)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("batch, T_q, T_k, mshape", SHAPES)
def test_mask_scores_matches_loops(batch, T_q, T_k, mshape, seed):
    S, mask = rand(seed, *batch, T_q, T_k, scale=3.0), rand_mask(seed, mshape)
    got = mask_scores(S, mask)
    assert got.dtype == np.float64 and got.shape == S.shape
    np.testing.assert_array_equal(got, ref_mask_scores(S, mask))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("batch, T_q, T_k, mshape", SHAPES)
@pytest.mark.parametrize("empty_row", [False, True])
def test_masked_softmax_matches_loops(batch, T_q, T_k, mshape, seed, empty_row):
    S, mask = rand(seed, *batch, T_q, T_k, scale=3.0), rand_mask(seed, mshape, empty_row)
    got = masked_softmax(S, mask)
    assert got.dtype == np.float64 and got.shape == S.shape
    np.testing.assert_allclose(got, ref_before(S, mask), **TOL)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("batch, T_q, T_k, mshape", SHAPES)
def test_masked_softmax_without_mask_is_the_softmax(batch, T_q, T_k, mshape, seed):
    S = rand(seed, *batch, T_q, T_k, scale=3.0)
    all_allowed = np.ones(S.shape, dtype=bool)
    np.testing.assert_allclose(masked_softmax(S), ref_before(S, all_allowed), **TOL)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("batch, T_q, T_k, mshape", SHAPES)
@pytest.mark.parametrize("empty_row", [False, True])
def test_softmax_then_mask_matches_loops(batch, T_q, T_k, mshape, seed, empty_row):
    S, mask = rand(seed, *batch, T_q, T_k, scale=3.0), rand_mask(seed, mshape, empty_row)
    got = softmax_then_mask(S, mask)
    assert got.dtype == np.float64 and got.shape == S.shape
    np.testing.assert_allclose(got, ref_after(S, mask), **TOL)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("order", ["before", "after"])
@pytest.mark.parametrize("batch, T_q, T_k, mshape", SHAPES)
def test_masked_attention_matches_loops(batch, T_q, T_k, mshape, order, seed):
    Q, K = rand(seed, *batch, T_q, 4), rand(seed + 10, *batch, T_k, 4)
    V = rand(seed + 20, *batch, T_k, 3)
    mask = rand_mask(seed, mshape, empty_row=True)
    Z, A = masked_attention(Q, K, V, mask=mask, order=order)
    S = ref_scores(Q, K)
    A_ref = ref_before(S, mask) if order == "before" else ref_after(S, mask)
    assert Z.shape == batch + (T_q, 3) and A.shape == batch + (T_q, T_k)
    assert Z.dtype == A.dtype == np.float64
    np.testing.assert_allclose(A, A_ref, **TOL)
    np.testing.assert_allclose(Z, ref_weighted_sum(A_ref, V), **TOL)


@pytest.mark.parametrize("order", ["before", "after"])
def test_masked_attention_without_mask_is_plain_attention(order):
    Q, K, V = rand(0, 2, 4, 5), rand(1, 2, 6, 5), rand(2, 2, 6, 3)
    Z, A = masked_attention(Q, K, V, order=order)
    A_ref = ref_before(ref_scores(Q, K), np.ones((2, 4, 6), dtype=bool))
    np.testing.assert_allclose(A, A_ref, **TOL)
    np.testing.assert_allclose(Z, ref_weighted_sum(A_ref, V), **TOL)


def test_masked_attention_before_is_scaled_dot_product_attention():
    Q, K, V = rand(3, 2, 5, 4), rand(4, 2, 5, 4), rand(5, 2, 5, 6)
    mask = causal_mask(5)
    Z, A = masked_attention(Q, K, V, mask=mask)
    Z_ref, A_ref = scaled_dot_product_attention(Q, K, V, mask=mask)
    np.testing.assert_array_equal(Z, Z_ref)
    np.testing.assert_array_equal(A, A_ref)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(1,), (3, 3), (2, 4, 4), (2, 3, 1, 5)])
def test_mask_as_and_mask_from_match_loops(shape, seed):
    mask = np.random.default_rng(seed).random(shape) < 0.5
    blocked = np.empty(shape, dtype=bool)
    additive = np.empty(shape, dtype=np.float64)
    for idx in np.ndindex(*shape):
        blocked[idx] = not mask[idx]
        additive[idx] = 0.0 if mask[idx] else -math.inf
    np.testing.assert_array_equal(mask_as(mask, "allowed"), mask)
    np.testing.assert_array_equal(mask_as(mask, "blocked"), blocked)
    np.testing.assert_array_equal(mask_as(mask, "additive", dtype=np.float64), additive)
    np.testing.assert_array_equal(mask_from(blocked, "blocked"), mask)
    np.testing.assert_array_equal(mask_from(additive, "additive"), mask)
    np.testing.assert_array_equal(mask_from(mask, "allowed"), mask)


# ---------------------------------------------------------------- dtypes kept


def test_float32_stays_float32():
    S = rand(0, 2, 4, 4, scale=3.0, dtype=np.float32)
    mask = causal_mask(4)
    S64 = S.astype(np.float64)
    for fn, ref in ((mask_scores, ref_mask_scores), (masked_softmax, ref_before), (softmax_then_mask, ref_after)):
        got = fn(S, mask)
        assert got.dtype == np.float32, fn.__name__
        np.testing.assert_allclose(got, ref(S64, mask), **TOL32)
    Q, K, V = (rand(s, 2, 4, 8, dtype=np.float32) for s in (1, 2, 3))
    for order in ("before", "after"):
        Z, A = masked_attention(Q, K, V, mask=mask, order=order)
        assert Z.dtype == A.dtype == np.float32, order
        A_ref = (ref_before if order == "before" else ref_after)(ref_scores(Q, K), mask)
        np.testing.assert_allclose(A, A_ref, **TOL32)
        np.testing.assert_allclose(Z, ref_weighted_sum(A_ref, V), **TOL32)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_additive_mask_has_the_requested_dtype(dtype):
    got = mask_as(causal_mask(3), "additive", dtype=dtype)
    assert got.dtype == dtype
    assert got[0, 1] == -np.inf and got[1, 0] == 0.0


def test_boolean_conventions_stay_boolean():
    mask = causal_mask(4)
    for convention in ("allowed", "blocked"):
        assert mask_as(mask, convention).dtype == bool
        assert mask_from(mask, convention).dtype == bool
    assert mask_from(mask_as(mask, "additive"), "additive").dtype == bool


def test_mask_as_returns_a_copy():
    mask = causal_mask(3)
    out = mask_as(mask, "allowed")
    out[0, 2] = True
    assert not mask[0, 2]


# ---------------------------------------------------------------- the properties notebook 06 shows


def test_before_rows_sum_to_one_and_blocked_weights_are_exactly_zero():
    S = rand(7, 3, 6, 6, scale=5.0)
    mask = causal_mask(6)
    A = masked_softmax(S, mask)
    np.testing.assert_allclose(A.sum(axis=-1), 1.0, **TOL)
    assert (A[..., ~mask] == 0.0).all()
    assert (A[..., mask] > 0.0).all()


def test_after_rows_sum_to_less_than_one():
    S = rand(8, 6, 6, scale=2.0)
    mask = causal_mask(6)
    sums = softmax_then_mask(S, mask).sum(axis=-1)
    assert (sums[:-1] < 1.0 - 1e-6).all()  # every row that blocks something has lost weight
    assert abs(sums[-1] - 1.0) < 1e-12  # the last word blocks nothing


def test_additive_mask_added_to_scores_equals_mask_scores():
    S = rand(9, 2, 5, 5)
    mask = causal_mask(5)
    np.testing.assert_array_equal(S + mask_as(mask, "additive", dtype=np.float64), mask_scores(S, mask))


def test_a_row_with_no_allowed_key_gets_zeros_not_nan():
    S = rand(10, 3, 4)
    mask = causal_mask(4)[1:]  # (3, 4): rows 1, 2, 3 of the causal mask
    mask[1] = False  # query 1 may look at nothing
    A = masked_softmax(S, mask)
    assert np.isfinite(A).all()
    assert (A[1] == 0.0).all()
    np.testing.assert_allclose(A[[0, 2]].sum(axis=-1), 1.0, **TOL)
    Q, K, V = rand(11, 3, 2), rand(12, 4, 2), rand(13, 4, 5)
    for order in ("before", "after"):
        Z, A2 = masked_attention(Q, K, V, mask=mask, order=order)
        assert (Z[1] == 0.0).all() and (A2[1] == 0.0).all(), order


def test_after_underflows_where_before_does_not():
    S = np.array([[1.0, 2.0, 110.0]], dtype=np.float32)  # the blocked key has a huge score
    mask = np.array([[True, True, False]])
    np.testing.assert_allclose(masked_softmax(S, mask), [[0.26894142, 0.73105858, 0.0]], rtol=1e-6)
    A = softmax_then_mask(S, mask)
    assert (A == 0.0).all()  # exp(1 - 110) underflows in float32: renormalising would be 0 / 0


# ---------------------------------------------------------------- bad input: ValueError naming the shapes


def test_mask_of_the_wrong_shape():
    with pytest.raises(ValueError, match=re.escape("mask of shape (3, 4) does not broadcast to the scores' shape (3, 3)")):
        mask_scores(np.zeros((3, 3)), np.ones((3, 4), dtype=bool))
    with pytest.raises(ValueError, match=re.escape("mask of shape (2, 2, 3) does not broadcast") + r".*\(2, 3\)"):
        masked_softmax(np.zeros((2, 3)), np.ones((2, 2, 3), dtype=bool))
    with pytest.raises(ValueError, match=re.escape("(4, 4)") + ".*" + re.escape("(3, 3)")):
        softmax_then_mask(np.zeros((3, 3)), causal_mask(4))


@pytest.mark.parametrize("fn", [mask_scores, masked_softmax, softmax_then_mask])
def test_mask_that_is_not_boolean(fn):
    with pytest.raises(ValueError, match=re.escape("mask of shape (3, 3) must be boolean") + ".*float64"):
        fn(np.zeros((3, 3)), np.tril(np.ones((3, 3))))


@pytest.mark.parametrize("fn", [mask_scores, masked_softmax, softmax_then_mask])
def test_scores_that_are_not_a_matrix(fn):
    with pytest.raises(ValueError, match=re.escape("S must have at least 2 dimensions, got shape (3,)")):
        fn(np.zeros(3), np.ones(3, dtype=bool))


@pytest.mark.parametrize("fn", [mask_scores, masked_softmax, softmax_then_mask])
def test_scores_with_nan(fn):
    S = np.zeros((2, 3))
    S[1, 2] = np.nan
    with pytest.raises(ValueError, match=re.escape("S of shape (2, 3) contains NaN or +inf") + r".*\(1, 2\)"):
        fn(S, np.ones((2, 3), dtype=bool))


def test_softmax_then_mask_refuses_scores_that_are_already_masked():
    with pytest.raises(ValueError, match=re.escape("S of shape (2, 2) already holds -inf")):
        softmax_then_mask(np.array([[0.0, -np.inf], [1.0, 2.0]]), np.ones((2, 2), dtype=bool))


def test_masked_softmax_of_a_row_whose_allowed_scores_are_all_minus_inf():
    S = np.array([[-np.inf, 1.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match=re.escape("shape (2, 2)") + ".*all -inf"):
        masked_softmax(S, np.array([[True, False], [True, True]]))


def test_masked_attention_bad_order_and_shapes():
    Q, K, V = np.zeros((3, 4)), np.zeros((3, 4)), np.zeros((3, 2))
    with pytest.raises(ValueError, match=re.escape("order must be one of ('before', 'after')") + ".*'middle'"):
        masked_attention(Q, K, V, causal_mask(3), order="middle")
    with pytest.raises(ValueError, match=re.escape("K has shape (3, 4), V has shape (5, 2)")):
        masked_attention(Q, K, np.zeros((5, 2)), causal_mask(3), order="after")
    with pytest.raises(ValueError, match=re.escape("Q has shape (3, 4), K has shape (3, 5)")):
        masked_attention(Q, np.zeros((3, 5)), V, order="after")
    with pytest.raises(ValueError, match=re.escape("mask of shape (4, 4) does not broadcast") + r".*\(3, 3\)"):
        masked_attention(Q, K, V, causal_mask(4), order="after")


def test_bad_conventions_and_masks():
    with pytest.raises(ValueError, match=re.escape(f"convention must be one of {CONVENTIONS}, got 'inverted'")):
        mask_as(causal_mask(2), "inverted")
    with pytest.raises(ValueError, match=re.escape(f"convention must be one of {CONVENTIONS}, got 'upper'")):
        mask_from(causal_mask(2), "upper")
    with pytest.raises(ValueError, match=re.escape("mask of shape (2, 2) must be boolean") + ".*int64"):
        mask_as(np.ones((2, 2), dtype=np.int64), "blocked")
    with pytest.raises(ValueError, match=re.escape("mask of shape (2, 2) must be boolean") + ".*float64"):
        mask_from(np.zeros((2, 2)), "blocked")
    with pytest.raises(ValueError, match=re.escape("non-empty array, got shape (0,)")):
        mask_as(np.zeros(0, dtype=bool), "allowed")
    with pytest.raises(ValueError, match="float dtype.*int32"):
        mask_as(causal_mask(2), "additive", dtype=np.int32)
    with pytest.raises(ValueError, match=re.escape("shape (2, 2) holds other values (1 entries, first at index (0, 1))")):
        mask_from(np.array([[0.0, 1.0], [0.0, 0.0]]), "additive")
    with pytest.raises(ValueError, match=re.escape("additive mask of shape (2, 2) contains NaN or +inf")):
        mask_from(np.array([[0.0, np.inf], [0.0, 0.0]]), "additive")


# ---------------------------------------------------------------- the widget function of notebook 06


@pytest.mark.parametrize("order", ["before", "after"])
@pytest.mark.parametrize("causal", [True, False])
def test_mask_view_matches_loops(causal, order):
    Q, K, V = rand(7, 5, 4), rand(8, 5, 4), rand(9, 5, 3)
    mask = np.array([[j <= i for j in range(5)] for i in range(5)]) if causal else np.ones((5, 5), bool)
    S = ref_scores(Q, K)
    A_ref = ref_after(S, mask) if causal and order == "after" else ref_before(S, mask)
    A, title = mask_view(Q, K, V, causal=causal, order=order)
    np.testing.assert_allclose(A, A_ref, **TOL)
    if not causal:
        assert title == "no mask"
    else:
        assert title.startswith("causal mask") and (("AFTER" in title) == (order == "after"))


def test_mask_view_rejects_bad_input():
    Q = rand(0, 3, 4)
    with pytest.raises(ValueError, match="order"):
        mask_view(Q, Q, Q, order="later")
    with pytest.raises(ValueError, match="causal"):
        mask_view(Q, Q, Q, causal="yes")
    with pytest.raises(ValueError, match="one sentence"):
        mask_view(rand(0, 2, 3, 4), rand(1, 2, 3, 4), rand(2, 2, 3, 4))
