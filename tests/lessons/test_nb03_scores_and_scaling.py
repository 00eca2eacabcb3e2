"""helpers/lessons/nb03_scores_and_scaling.py against loops written from the formulas, closed forms and finite differences."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers import softmax
from helpers import (
    Saturation,
    ScalingDemo,
    ScoreVariance,
    key_labels,
    plot_jacobians,
    plot_naive_vs_stable,
    plot_saturation,
    plot_scaling_view,
    plot_score_variance,
    plot_softmax_rows,
    plot_temperature,
    plot_temperatures,
    random_query_keys,
    saturation_curve,
    scaling_demo,
    score_samples,
    score_variance,
    softmax_jacobian,
    temperature_softmax,
)

TOL = dict(rtol=1e-12, atol=1e-12)  # float64 vs float64 loops
TOL32 = dict(rtol=2e-5, atol=2e-6)  # float32 vs float64 loops
SEEDS = [0, 1, 7]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------- loop references, straight from the formulas


def loop_softmax(row):
    """a_j = exp(s_j - m) / Σ_k exp(s_k - m), one Python float at a time (exp(-inf) = 0)."""
    m = max(row)
    e = [0.0 if s == -math.inf else math.exp(s - m) for s in row]
    total = sum(e)
    return [x / total for x in e]


def loop_jacobian(a):
    """J_ij = ∂a_i/∂s_j = a_i (δ_ij − a_j), entry by entry."""
    T = len(a)
    return [[a[i] * ((1.0 if i == j else 0.0) - a[j]) for j in range(T)] for i in range(T)]


def loop_variance(xs):
    """The population variance Σ (x − mean)² / n."""
    n = len(xs)
    mean = sum(xs) / n
    return sum((x - mean) ** 2 for x in xs) / n


def draws_of(seed, shape, dtype=np.float64):
    """The raw standard-normal draws the experiments are documented to use."""
    return np.random.default_rng(seed).standard_normal(shape, dtype=dtype)


# ---------------------------------------------------------------- score_samples, score_variance


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("d_k", [1, 3, 16])
def test_score_samples_are_dot_products_of_the_draws(seed, d_k):
    n = 25
    draws = draws_of(seed, (d_k, 2, n))  # coordinate m: q_m and k_m of every pair
    want = [sum(float(draws[m, 0, p]) * float(draws[m, 1, p]) for m in range(d_k)) for p in range(n)]
    got = score_samples(d_k, n, seed)
    assert got.shape == (n,)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, want, **TOL)


def test_score_samples_reuse_the_first_coordinates_when_d_k_grows():
    n = 30
    draws = draws_of(5, (9, 2, n))  # the larger experiment's draws
    small = score_samples(4, n, seed=5)
    want = [sum(float(draws[m, 0, p]) * float(draws[m, 1, p]) for m in range(4)) for p in range(n)]
    np.testing.assert_allclose(small, want, **TOL)


def test_score_samples_are_reproducible_and_depend_on_the_seed():
    a, b, c = score_samples(8, 50, seed=3), score_samples(8, 50, seed=3), score_samples(8, 50, seed=4)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)


def test_score_samples_keep_float32():
    draws = draws_of(2, (6, 2, 40), dtype=np.float32)
    got = score_samples(6, 40, seed=2, dtype=np.float32)
    assert got.dtype == np.float32
    want = [sum(float(draws[m, 0, p]) * float(draws[m, 1, p]) for m in range(6)) for p in range(40)]
    np.testing.assert_allclose(got, want, **TOL32)


@pytest.mark.parametrize("d_k", [1, 64, 512])
def test_score_samples_have_mean_0_and_variance_d_k(d_k):
    s = score_samples(d_k, 20000, seed=11)
    # closed form: q · k = Σ_m q_m k_m, d_k independent terms of mean 0 and variance 1 -> mean 0, variance d_k
    assert abs(float(s.mean())) < 5 * math.sqrt(d_k / 20000)
    assert float(s.var()) == pytest.approx(d_k, rel=0.06)


@pytest.mark.parametrize("seed", SEEDS)
def test_score_variance_matches_loops(seed):
    d_ks, n = [1, 2, 5], 40
    res = score_variance(d_ks, n_pairs=n, seed=seed)
    assert isinstance(res, ScoreVariance)
    assert res.d_k.tolist() == d_ks
    for idx, d_k in enumerate(d_ks):
        draws = draws_of(seed, (d_k, 2, n))
        scores = [sum(float(draws[m, 0, p]) * float(draws[m, 1, p]) for m in range(d_k)) for p in range(n)]
        assert res.raw[idx] == pytest.approx(loop_variance(scores), rel=1e-12)
        scaled = [s / math.sqrt(d_k) for s in scores]
        assert res.scaled[idx] == pytest.approx(loop_variance(scaled), rel=1e-12)


def test_score_variance_grows_like_d_k_and_the_scaled_one_stays_near_1():
    d_ks = [2 ** i for i in range(10)]
    res = score_variance(d_ks, seed=0)
    np.testing.assert_allclose(res.raw / np.array(d_ks), 1.0, rtol=0.12)
    np.testing.assert_allclose(res.scaled, 1.0, rtol=0.12)
    np.testing.assert_allclose(res.scaled, res.raw / np.array(d_ks), rtol=1e-12)  # Var(s / c) = Var(s) / c²


def test_score_variance_is_reproducible():
    a, b = score_variance([1, 8, 64], 500, seed=9), score_variance([1, 8, 64], 500, seed=9)
    assert np.array_equal(a.raw, b.raw) and np.array_equal(a.scaled, b.scaled)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(d_k=0), ["d_k", "positive integer"]),
        (dict(d_k=2.5), ["d_k", "2.5"]),
        (dict(d_k=4, n_pairs=0), ["n_pairs"]),
        (dict(d_k=4, seed=-1), ["seed", "-1"]),
        (dict(d_k=4, seed=None), ["seed", "None"]),
        (dict(d_k=4, dtype=np.int64), ["dtype", "int64"]),
    ],
)
def test_score_samples_reject_bad_input(kwargs, words):
    with pytest.raises(ValueError) as err:
        score_samples(**kwargs)
    for word in words:
        assert word in str(err.value)


@pytest.mark.parametrize(
    "args, words",
    [
        (([],), ["empty"]),
        ((64,), ["list", "64"]),
        (([1, 0, 4],), ["d_ks[1]", "0"]),
        (([1, "8"],), ["d_ks[1]", "'8'"]),
        (([1, 2], 1), ["n_pairs", "at least 2"]),
    ],
)
def test_score_variance_rejects_bad_input(args, words):
    with pytest.raises(ValueError) as err:
        score_variance(*args)
    for word in words:
        assert word in str(err.value)


# ---------------------------------------------------------------- random_query_keys, scaling_demo


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_random_query_keys_come_from_the_draws(dtype):
    d_k, T = 5, 4
    draws = draws_of(3, (d_k, T + 1), dtype=dtype)
    q, K = random_query_keys(d_k, T, seed=3, dtype=dtype)
    assert q.shape == (d_k,) and K.shape == (T, d_k)
    assert q.dtype == dtype and K.dtype == dtype
    for m in range(d_k):
        assert q[m] == draws[m, 0]
        for j in range(T):
            assert K[j, m] == draws[m, 1 + j]


def test_random_query_keys_grow_by_adding_coordinates():
    q_small, K_small = random_query_keys(3, 6, seed=1)
    q_big, K_big = random_query_keys(10, 6, seed=1)
    assert np.array_equal(q_small, q_big[:3])
    assert np.array_equal(K_small, K_big[:, :3])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("d_k", [1, 4, 64])
def test_scaling_demo_matches_loops(seed, d_k):
    T = 6
    q, K = random_query_keys(d_k, T, seed)
    demo = scaling_demo(d_k, T, seed)
    assert isinstance(demo, ScalingDemo) and demo.d_k == d_k
    raw = [sum(float(q[m]) * float(K[j, m]) for m in range(d_k)) for j in range(T)]
    scaled = [s / math.sqrt(d_k) for s in raw]
    np.testing.assert_allclose(demo.raw, raw, **TOL)
    np.testing.assert_allclose(demo.scaled, scaled, **TOL)
    np.testing.assert_allclose(demo.weights_raw, loop_softmax(raw), **TOL)
    np.testing.assert_allclose(demo.weights_scaled, loop_softmax(scaled), **TOL)


def test_unscaled_rows_saturate_more_than_scaled_ones_at_large_d_k():
    demos = [scaling_demo(512, 8, seed) for seed in range(20)]
    raw = np.mean([d.weights_raw.max() for d in demos])
    scaled = np.mean([d.weights_scaled.max() for d in demos])
    assert raw > 0.85 and scaled < 0.6


def test_scaling_demo_rejects_bad_input():
    with pytest.raises(ValueError, match="T must be a positive integer"):
        scaling_demo(8, T=0)
    with pytest.raises(ValueError, match="d_k"):
        random_query_keys(-3)


# ---------------------------------------------------------------- softmax_jacobian


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("T", [1, 2, 5])
def test_softmax_jacobian_entry_by_entry(seed, T):
    s = np.random.default_rng(seed).normal(scale=2.0, size=T)
    a = softmax(s)
    J = softmax_jacobian(a)
    assert J.shape == (T, T)
    np.testing.assert_allclose(J, loop_jacobian([float(x) for x in a]), **TOL)


def test_softmax_jacobian_on_a_batch():
    S = np.random.default_rng(4).normal(size=(2, 3, 4))
    A = softmax(S)
    J = softmax_jacobian(A)
    assert J.shape == (2, 3, 4, 4)
    for b in range(2):
        for r in range(3):
            np.testing.assert_allclose(J[b, r], loop_jacobian([float(x) for x in A[b, r]]), **TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_softmax_jacobian_is_the_derivative_of_softmax(seed):
    s = np.random.default_rng(seed).normal(scale=1.5, size=5)
    J = softmax_jacobian(softmax(s))
    h = 1e-6
    for j in range(5):
        e = np.zeros(5)
        e[j] = h
        column = (softmax(s + e) - softmax(s - e)) / (2 * h)  # ∂a/∂s_j by central differences
        np.testing.assert_allclose(J[:, j], column, rtol=1e-6, atol=1e-9)


def test_softmax_jacobian_closed_forms():
    J = softmax_jacobian(np.full(4, 0.25))  # uniform: diagonal 1/4 · 3/4, off-diagonal −1/16
    np.testing.assert_allclose(np.diag(J), 3 / 16, **TOL)
    np.testing.assert_allclose(J[0, 1:], -1 / 16, **TOL)
    assert np.array_equal(softmax_jacobian(np.array([0.0, 1.0, 0.0])), np.zeros((3, 3)))  # saturated: no gradient
    a = softmax(np.random.default_rng(0).normal(size=(6, 7)))
    J = softmax_jacobian(a)
    np.testing.assert_allclose(J, np.swapaxes(J, -1, -2), **TOL)  # symmetric
    np.testing.assert_allclose(J.sum(axis=-2), 0.0, atol=1e-15)  # the weights still sum to 1
    assert np.abs(J).max() <= 0.25


def test_softmax_jacobian_keeps_float32():
    a = softmax(np.array([0.5, -1.0, 2.0], dtype=np.float32))
    J = softmax_jacobian(a)
    assert J.dtype == np.float32
    np.testing.assert_allclose(J, loop_jacobian([float(x) for x in a]), **TOL32)


@pytest.mark.parametrize(
    "weights, words",
    [
        ([2.0, -1.0, 0.5], ["softmax weights", "(3,)", "not the scores"]),
        ([0.2, 0.2, 0.2], ["sum to 1", "(3,)"]),
        ([[0.5, 0.5], [0.9, 0.3]], ["sum to 1", "(2, 2)"]),
        ([0.5, np.nan], ["NaN", "(2,)"]),
        ([], ["empty"]),
        (0.5, ["at least 1 dimensions", "()"]),
    ],
)
def test_softmax_jacobian_rejects_what_is_not_a_softmax_row(weights, words):
    with pytest.raises(ValueError) as err:
        softmax_jacobian(weights)
    for word in words:
        assert word in str(err.value)


# ---------------------------------------------------------------- saturation_curve


def test_saturation_curve_matches_loops():
    d_ks, T, n, seed = [1, 4, 9], 3, 5, 2
    res = saturation_curve(d_ks, T=T, n_queries=n, seed=seed)
    assert isinstance(res, Saturation)
    for idx, d_k in enumerate(d_ks):
        draws = draws_of(seed, (d_k, n, T + 1))
        stats = {"wr": [], "ws": [], "gr": [], "gs": [], "sr": [], "ss": []}
        for p in range(n):
            raw = [sum(float(draws[m, p, 0]) * float(draws[m, p, 1 + t]) for m in range(d_k)) for t in range(T)]
            for w_key, g_key, s_key, row in (("wr", "gr", "sr", raw),
                                             ("ws", "gs", "ss", [s / math.sqrt(d_k) for s in raw])):
                a = loop_softmax(row)
                stats[w_key].append(max(a))
                stats[s_key].append(1.0 if max(a) > 0.99 else 0.0)  # saturated: one weight above 0.99
                stats[g_key].append(max(abs(x) for r in loop_jacobian(a) for x in r))
        assert res.max_weight_raw[idx] == pytest.approx(sum(stats["wr"]) / n, rel=1e-12)
        assert res.max_weight_scaled[idx] == pytest.approx(sum(stats["ws"]) / n, rel=1e-12)
        assert res.max_grad_raw[idx] == pytest.approx(sum(stats["gr"]) / n, rel=1e-12)
        assert res.max_grad_scaled[idx] == pytest.approx(sum(stats["gs"]) / n, rel=1e-12)
        assert res.saturated_raw[idx] == pytest.approx(sum(stats["sr"]) / n, rel=1e-12)
        assert res.saturated_scaled[idx] == pytest.approx(sum(stats["ss"]) / n, rel=1e-12)


def test_saturation_curve_counts_saturated_rows():
    # d_k = 1: no row is saturated either way; d_k = 512: most unscaled rows are, no scaled one is
    res = saturation_curve([1, 512], T=8, n_queries=200, seed=0)
    assert res.saturated_raw[0] == res.saturated_scaled[0] == 0.0
    assert res.saturated_raw[1] > 0.5 and res.saturated_scaled[1] == 0.0


def test_saturation_curve_shows_the_vanishing_gradient():
    res = saturation_curve([1, 64, 512], seed=0)
    assert res.max_weight_raw[0] == res.max_weight_scaled[0]  # √1 = 1: nothing to scale
    assert res.max_weight_raw[2] > 0.9 > 0.5 > res.max_weight_scaled[2]
    assert res.max_grad_raw[2] < 0.25 * res.max_grad_scaled[2]
    np.testing.assert_allclose(res.max_grad_scaled, res.max_grad_scaled[1], rtol=0.2)  # scaled: about constant


def test_saturation_curve_is_reproducible():
    a, b = saturation_curve([2, 32], n_queries=50, seed=4), saturation_curve([2, 32], n_queries=50, seed=4)
    for x, y in zip(a, b):
        assert np.array_equal(x, y)


def test_saturation_curve_rejects_bad_input():
    with pytest.raises(ValueError, match="n_queries"):
        saturation_curve([1, 2], n_queries=0)
    with pytest.raises(ValueError, match="empty"):
        saturation_curve([])


# ---------------------------------------------------------------- temperature_softmax


@pytest.mark.parametrize("tau", [0.1, 0.5, 1.0, 2.0, 8.0, 100.0])
def test_temperature_softmax_matches_loops(tau):
    S = np.random.default_rng(1).normal(scale=3.0, size=(3, 5))
    got = temperature_softmax(S, tau)
    want = [loop_softmax([float(s) / tau for s in row]) for row in S]
    np.testing.assert_allclose(got, want, **TOL)


def test_temperature_softmax_along_another_axis():
    S = np.random.default_rng(2).normal(size=(4, 3))
    got = temperature_softmax(S, 0.7, axis=0)
    for j in range(3):
        np.testing.assert_allclose(got[:, j], loop_softmax([float(s) / 0.7 for s in S[:, j]]), **TOL)


def test_temperature_1_is_softmax_and_sqrt_d_k_is_the_scaling_of_notebook_03():
    S = np.random.default_rng(3).normal(scale=8.0, size=(2, 3, 4))
    np.testing.assert_allclose(temperature_softmax(S, 1), softmax(S), **TOL)
    np.testing.assert_allclose(temperature_softmax(S, math.sqrt(64)), softmax(S / 8.0), **TOL)


def test_temperature_limits_argmax_and_uniform():
    s = np.array([0.0, 2.0, 6.0, 1.0])
    np.testing.assert_allclose(temperature_softmax(s, 1e-3), [0.0, 0.0, 1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(temperature_softmax(s, 1e6), 0.25, atol=1e-5)
    sharp = [temperature_softmax(s, t).max() for t in (0.5, 1.0, 2.0, 5.0)]
    assert sharp == sorted(sharp, reverse=True)  # a higher temperature never sharpens


def test_temperature_softmax_is_stable_for_large_scores_and_tiny_tau():
    got = temperature_softmax(np.array([1000.0, 999.0, -1000.0]), 1e-3)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, [1.0, 0.0, 0.0], atol=1e-12)


@pytest.mark.parametrize("tau", [0.1, 1.0, 50.0])
def test_temperature_softmax_gives_minus_inf_weight_exactly_0(tau):
    got = temperature_softmax(np.array([2.0, -np.inf, 1.0]), tau)
    assert got[1] == 0.0
    np.testing.assert_allclose(got, loop_softmax([2.0 / tau, -math.inf, 1.0 / tau]), **TOL)


@pytest.mark.parametrize("dtype, expected", [(np.float32, np.float32), (np.float64, np.float64), (np.int64, np.float64)])
def test_temperature_softmax_dtype(dtype, expected):
    s = np.array([1, 3, 2], dtype=dtype)
    got = temperature_softmax(s, 2)
    assert got.dtype == expected
    np.testing.assert_allclose(got, loop_softmax([0.5, 1.5, 1.0]), **(TOL32 if expected == np.float32 else TOL))


@pytest.mark.parametrize("tau", [0, -1.0, math.inf, math.nan, True, "2", None, np.array([1.0, 2.0])])
def test_temperature_softmax_rejects_bad_tau(tau):
    with pytest.raises(ValueError, match="temperature tau"):
        temperature_softmax([1.0, 2.0], tau)


def test_temperature_softmax_rejects_bad_scores():
    with pytest.raises(ValueError, match=r"all -inf.*|.*\(2, 2\)"):
        temperature_softmax(np.array([[1.0, 2.0], [-np.inf, -np.inf]]), 1.0)
    with pytest.raises(ValueError, match=r"scores of shape \(2,\) contains NaN"):
        temperature_softmax([1.0, np.nan], 1.0)
    with pytest.raises(ValueError, match="empty"):
        temperature_softmax([], 1.0)


# ---------------------------------------------------------------- labels and figures


def test_key_labels_count_from_1():
    assert key_labels(3) == ["k₁", "k₂", "k₃"]
    assert key_labels(12)[-1] == "k₁₂"
    with pytest.raises(ValueError, match="T"):
        key_labels(0)


def bar_heights(ax):
    return [p.get_height() for p in ax.patches]


def test_plot_softmax_rows_draws_both_rows():
    demo = scaling_demo(64, 8, seed=0)
    fig = plot_softmax_rows(demo)
    ax_raw, ax_scaled = fig.axes
    np.testing.assert_allclose(bar_heights(ax_raw), demo.weights_raw)
    np.testing.assert_allclose(bar_heights(ax_scaled), demo.weights_scaled)
    assert "unscaled" in ax_raw.get_title() and "scaled" in ax_scaled.get_title()
    assert [t.get_text() for t in ax_raw.get_xticklabels()] == key_labels(8)
    assert "d_k = 64" in fig._suptitle.get_text()


@pytest.mark.parametrize("d_k", [1, 64, 512])
def test_plot_scaling_view_draws_what_the_functions_compute(d_k):
    fig = plot_scaling_view(d_k, T=8, seed=0, n_pairs=300)
    hist, ax_raw, ax_scaled = fig.axes
    demo = scaling_demo(d_k, 8, 0)
    np.testing.assert_allclose(bar_heights(ax_raw), demo.weights_raw)
    np.testing.assert_allclose(bar_heights(ax_scaled), demo.weights_scaled)
    samples = score_samples(d_k, 300, 0)
    bins = np.linspace(-70.0, 70.0, 71)
    raw_counts, _ = np.histogram(np.clip(samples, -70.0, 70.0), bins)
    scaled_counts, _ = np.histogram(samples / math.sqrt(d_k), bins)
    raw_poly, scaled_poly = hist.patches  # the two step-filled histograms
    assert raw_poly.get_xy()[:, 1].max() == raw_counts.max()
    assert scaled_poly.get_xy()[:, 1].max() == scaled_counts.max()
    assert raw_counts.sum() == scaled_counts.sum() == 300  # every sample is drawn (the raw ones clipped to the range)
    legend = [t.get_text() for t in hist.get_legend().get_texts()]
    assert legend[0].endswith(f"(std {np.std(samples):.2f})")
    assert f"d_k = {d_k}" in fig._suptitle.get_text()
    assert all("\n" not in ax.get_title() for ax in fig.axes)  # one-line titles: the figure is dense enough


def test_plot_score_variance_draws_the_measurements():
    res = score_variance([1, 4, 16], 200, seed=0)
    ax = plot_score_variance(res)
    line_d_k, raw, scaled = ax.get_lines()
    np.testing.assert_allclose(line_d_k.get_ydata(), [1, 4, 16])
    np.testing.assert_allclose(raw.get_ydata(), res.raw)
    np.testing.assert_allclose(scaled.get_ydata(), res.scaled)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log" and ax.get_title()
    assert "number of entries" in ax.get_xlabel() and "length" not in ax.get_xlabel()  # not the norm ‖q‖
    with pytest.raises(ValueError, match="ScoreVariance"):
        plot_score_variance([1, 2, 3])


def test_plot_jacobians_shows_both_jacobians():
    demo = scaling_demo(64, 5, seed=2)
    fig = plot_jacobians(demo)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 2
    assert len(fig.axes) == 4  # each heatmap has its own colour bar, so the all-zero panel has a scale too
    np.testing.assert_allclose(images[0].get_array(), softmax_jacobian(demo.weights_raw))
    np.testing.assert_allclose(images[1].get_array(), softmax_jacobian(demo.weights_scaled))
    tiny = np.abs(softmax_jacobian(scaling_demo(64, 8, seed=0).weights_raw)).max()
    assert 0 < tiny < 0.01
    title = plot_jacobians(scaling_demo(64, 8, seed=0)).axes[0].get_title()
    assert title.endswith(f"{tiny:.1e}")  # a tiny gradient is written out, not rounded to 0.000
    with pytest.raises(ValueError, match="ScalingDemo"):
        plot_jacobians((1, 2))


def test_plot_saturation_draws_the_four_curves():
    res = saturation_curve([1, 8, 64], n_queries=40, seed=0)
    fig = plot_saturation(res)
    left, right = fig.axes
    assert "vanish" not in right.get_title()  # on average it shrinks, it does not reach 0
    np.testing.assert_allclose(left.get_lines()[0].get_ydata(), res.max_weight_raw)
    np.testing.assert_allclose(left.get_lines()[1].get_ydata(), res.max_weight_scaled)
    np.testing.assert_allclose(right.get_lines()[0].get_ydata(), res.max_grad_raw)
    np.testing.assert_allclose(right.get_lines()[1].get_ydata(), res.max_grad_scaled)
    with pytest.raises(ValueError, match="Saturation"):
        plot_saturation(None)


def test_plot_naive_vs_stable_shows_nan_beside_the_stable_weights():
    fig = plot_naive_vs_stable([1000.0, 999.0, 998.0], ["Action", "gets", "results"])
    naive, stable = fig.axes
    assert [t.get_text() for t in naive.texts].count("nan") == 3
    np.testing.assert_allclose(bar_heights(stable), softmax(np.array([1000.0, 999.0, 998.0])))
    fig = plot_naive_vs_stable([1.0, 2.0])  # small scores: both sides agree
    naive, stable = fig.axes
    np.testing.assert_allclose(bar_heights(naive), bar_heights(stable))
    with pytest.raises(ValueError, match="labels has 2 entries"):
        plot_naive_vs_stable([1.0, 2.0, 3.0], ["a", "b"])


def test_plot_naive_vs_stable_sums_over_l_not_k():
    # k is the key k_j of the slides; the sum index is l, and m is the row's maximum
    fig = plot_naive_vs_stable([1.0, 2.0])
    naive, stable = (ax.get_title() for ax in fig.axes)
    assert r"\Sigma_l\, e^{s_l}" in naive and r"\Sigma_l\, e^{s_l - m}" in stable
    assert "_k" not in naive + stable


@pytest.mark.parametrize("tau", [0.25, 1, 2.0, 10])
def test_plot_temperature_draws_the_weights(tau):
    s = [0.0, 2.0, 6.0]
    ax = plot_temperature(s, tau, ["Action", "gets", "results"])
    np.testing.assert_allclose(bar_heights(ax), temperature_softmax(np.array(s), tau))
    assert ax.get_title().startswith("τ = ")
    with pytest.raises(ValueError, match="temperature tau"):
        plot_temperature(s, 0.0)


def label_spans(ax):
    """(bottom, top) in data units of every value written on a bar."""
    spans = []
    for text in ax.texts:
        box = text.get_window_extent(ax.figure.canvas.get_renderer())
        (_, y0), (_, y1) = ax.transData.inverted().transform([[box.x0, box.y0], [box.x1, box.y1]])
        spans.append((y0, y1))
    return spans


@pytest.mark.parametrize("tau", [0.25, 1, 2, 3, 4, 5, 7, 10, 30])
def test_plot_temperature_keeps_the_values_off_the_uniform_line(tau):
    ax = plot_temperature([0.0, 2.0, 6.0], tau, ["Action", "gets", "results"])
    level = 1.0 / 3.0
    for y0, y1 in label_spans(ax):
        assert not (y0 - 0.005 <= level <= y1 + 0.005), (tau, y0, y1)


def test_plot_temperatures_one_panel_per_tau():
    fig = plot_temperatures([0.0, 2.0, 6.0], [0.25, 1, 2, 10])
    assert [ax.get_title() for ax in fig.axes] == ["τ = 0.25", "τ = 1", "τ = 2", "τ = 10"]
    with pytest.raises(ValueError, match="at least one"):
        plot_temperatures([0.0, 1.0], [])
    fig = plot_temperatures([0.0, 2.0, 6.0], [1, 2], titles=["raw", "τ = 2 = √d_k"])
    assert [ax.get_title() for ax in fig.axes] == ["raw", "τ = 2 = √d_k"]
    with pytest.raises(ValueError, match="one title per temperature"):
        plot_temperatures([0.0, 1.0], [1, 2], titles=["only one"])
