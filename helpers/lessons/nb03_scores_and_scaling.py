"""Why scores are divided by √d_k, and what the softmax does with them: experiments and figures (notebooks 03, 04).

The math is in small pure functions (tests/lessons/test_nb03_scores_and_scaling.py checks each against loops or a closed
form); the plot_* functions only draw what those functions return, for the static figures and
the widgets of notebooks 03 (the d_k slider) and 04 (the temperature slider).

Random experiments draw q and k with independent standard-normal entries (mean 0, variance 1:
the assumption of the paper's footnote 4), seeded with np.random.default_rng(seed). They are
drawn coordinate by coordinate, so a larger d_k keeps the first coordinates of a smaller one:
moving the d_k slider lengthens the same vectors instead of drawing new ones.
"""

import functools
import math
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np

from .._validate import as_float_array, as_float_dtype, as_size_list, check_positive_int, check_softmax_input
from ..core import softmax
from ..show.figures import plot_heatmap, plot_weights_bar
from ..show.style import fit_figsize, LABEL_SIZE, OKABE_ITO, SUPTITLE_SIZE, TICK_SIZE, TITLE_SIZE, format_number

__all__ = [
    "key_labels",
    "live_scaling_view",
    "live_temperature_view",
    "NAIVE_TITLE",
    "plot_jacobians",
    "plot_naive_vs_stable",
    "plot_saturation",
    "plot_scaling_view",
    "plot_score_variance",
    "plot_softmax_rows",
    "plot_temperature",
    "plot_temperatures",
    "random_query_keys",
    "RAW_COLOUR",
    "SATURATED",
    "Saturation",
    "saturation_curve",
    "SCALED_COLOUR",
    "scaling_demo",
    "ScalingDemo",
    "score_samples",
    "score_variance",
    "ScoreVariance",
    "softmax_jacobian",
    "STABLE_TITLE",
    "temperature_softmax",
]

_DTYPES = (np.float32, np.float64)
RAW_COLOUR = OKABE_ITO[3]  # vermillion: unscaled scores
SCALED_COLOUR = OKABE_ITO[0]  # blue: scores / √d_k


# ---------------------------------------------------------------- notebook 03: the variance of q · k


def score_samples(d_k, n_pairs=2000, seed=0, dtype=np.float64):
    """q · k for n_pairs random pairs of d_k-vectors with standard-normal entries, shape (n_pairs,) (notebook 03)."""
    d_k = check_positive_int(d_k, "d_k")
    n_pairs = check_positive_int(n_pairs, "n_pairs")
    rng = _rng(seed)
    # (d_k, 2, n_pairs): coordinate c of q and of k, for every pair
    draws = rng.standard_normal((d_k, 2, n_pairs), dtype=as_float_dtype(dtype))
    return (draws[:, 0, :] * draws[:, 1, :]).sum(axis=0)  # (d_k, n_pairs) -> (n_pairs,): Σ_c q[c] k[c]


class ScoreVariance(NamedTuple):
    """The measured variance of q · k and of q · k / √d_k for each d_k (notebook 03)."""

    d_k: np.ndarray  # (n,) int
    raw: np.ndarray  # (n,) Var(q · k), grows like d_k
    scaled: np.ndarray  # (n,) Var(q · k / √d_k), stays near 1


def score_variance(d_ks, n_pairs=4000, seed=0):
    """Measure Var(q · k) and Var(q · k / √d_k) over n_pairs random pairs for each d_k in d_ks (notebook 03)."""
    d_ks = as_size_list(d_ks)
    n_pairs = check_positive_int(n_pairs, "n_pairs")
    if n_pairs < 2:
        raise ValueError(f"n_pairs must be at least 2 to measure a variance, got {n_pairs}")
    raw, scaled = [], []
    for d_k in d_ks:
        s = score_samples(d_k, n_pairs, seed)  # (n_pairs,), float64
        raw.append(float(np.var(s)))
        scaled.append(float(np.var(s / math.sqrt(d_k))))
    return ScoreVariance(np.array(d_ks), np.array(raw), np.array(scaled))


# ---------------------------------------------------------------- notebook 03: one row of scores, saturation


def random_query_keys(d_k, T=8, seed=0, dtype=np.float64):
    """One random query q (d_k,) and T random keys K (T, d_k), standard-normal entries (notebook 03)."""
    d_k = check_positive_int(d_k, "d_k")
    T = check_positive_int(T, "T")
    draws = _rng(seed).standard_normal((d_k, T + 1), dtype=as_float_dtype(dtype))  # column 0: q, columns 1 … T: keys
    q = draws[:, 0].copy()  # (d_k,)
    K = np.ascontiguousarray(draws[:, 1:].T)  # (d_k, T) -> (T, d_k)
    return q, K


class ScalingDemo(NamedTuple):
    """One query's scores against T keys, unscaled and divided by √d_k, and the softmax of each (notebook 03)."""

    d_k: int
    raw: np.ndarray  # (T,) q · k_j
    scaled: np.ndarray  # (T,) q · k_j / √d_k
    weights_raw: np.ndarray  # (T,) softmax(raw)
    weights_scaled: np.ndarray  # (T,) softmax(scaled)


def scaling_demo(d_k, T=8, seed=0):
    """Scores q · k_j of one random query against T random keys, with and without / √d_k, softmaxed (notebook 03)."""
    q, K = random_query_keys(d_k, T, seed)
    raw = K @ q  # (T, d_k) @ (d_k,) -> (T,)
    scaled = raw / math.sqrt(d_k)  # (T,)
    return ScalingDemo(int(d_k), raw, scaled, softmax(raw), softmax(scaled))


def softmax_jacobian(weights):
    """J = diag(a) − a aᵀ, the derivative ∂a_i/∂s_j of a = softmax(s), shape (..., T, T) (notebook 03)."""
    a = as_float_array(weights, "weights", min_ndim=1)
    tol = 1e-4 if a.dtype == np.float32 else 1e-8
    if a.min() < -tol or a.max() > 1 + tol:
        raise ValueError(
            f"weights of shape {a.shape} must be softmax weights in [0, 1], got values from "
            f"{a.min():.3g} to {a.max():.3g}; pass softmax(scores), not the scores"
        )
    sums = a.sum(axis=-1)  # (...,)
    if not np.allclose(sums, 1.0, rtol=0.0, atol=max(tol, 1e-6) * a.shape[-1]):
        raise ValueError(
            f"weights of shape {a.shape} must sum to 1 along the last axis (a softmax row), "
            f"got sums from {sums.min():.4g} to {sums.max():.4g}"
        )
    T = a.shape[-1]
    eye = np.eye(T, dtype=a.dtype)  # (T, T)
    # (..., T, 1) * ((T, T) - (..., 1, T)) -> (..., T, T): J_ij = a_i (δ_ij − a_j)
    return a[..., :, None] * (eye - a[..., None, :])


class Saturation(NamedTuple):
    """For each d_k, averaged over random queries: the largest weight and the largest |∂a_i/∂s_j| (notebook 03)."""

    d_k: np.ndarray  # (n,) int
    max_weight_raw: np.ndarray  # (n,) mean of max_j softmax(q · k_j)
    max_weight_scaled: np.ndarray  # (n,) mean of max_j softmax(q · k_j / √d_k)
    max_grad_raw: np.ndarray  # (n,) mean of max_ij |J_ij| for the unscaled row
    max_grad_scaled: np.ndarray  # (n,) mean of max_ij |J_ij| for the scaled row
    saturated_raw: np.ndarray  # (n,) share of unscaled rows with one weight above SATURATED (0.99)
    saturated_scaled: np.ndarray  # (n,) share of scaled rows with one weight above SATURATED


SATURATED = 0.99  # a row whose largest weight is above this is called saturated


def saturation_curve(d_ks, T=8, n_queries=500, seed=0):
    """How the softmax saturates as d_k grows, with and without / √d_k, over n_queries random queries (notebook 03).

    A row is counted as saturated when its largest weight is above SATURATED = 0.99.
    """
    d_ks = as_size_list(d_ks)
    T = check_positive_int(T, "T")
    n_queries = check_positive_int(n_queries, "n_queries")
    keys = ("wr", "ws", "gr", "gs", "sr", "ss")
    out = {k: [] for k in keys}
    for d_k in d_ks:
        draws = _rng(seed).standard_normal((d_k, n_queries, T + 1))  # coordinate c of every q and key
        q = draws[:, :, 0]  # (d_k, n_queries)
        K = draws[:, :, 1:]  # (d_k, n_queries, T)
        raw = np.einsum("cn,cnt->nt", q, K)  # Σ_c q[c] k_j[c] -> (n_queries, T)
        for name_w, name_g, name_s, s in (("wr", "gr", "sr", raw), ("ws", "gs", "ss", raw / math.sqrt(d_k))):
            a = softmax(s)  # (n_queries, T)
            J = softmax_jacobian(a)  # (n_queries, T, T)
            largest = a.max(axis=-1)  # (n_queries,)
            out[name_w].append(float(largest.mean()))
            out[name_g].append(float(np.abs(J).max(axis=(-2, -1)).mean()))
            out[name_s].append(float((largest > SATURATED).mean()))
    return Saturation(np.array(d_ks), *(np.array(out[k]) for k in keys))


# ---------------------------------------------------------------- notebook 04: temperature


def temperature_softmax(scores, tau, axis=-1):
    """softmax(scores / τ) along axis: τ < 1 sharpens toward the argmax, τ > 1 flattens toward uniform (notebook 04)."""
    x = as_float_array(scores, "scores", allow_neg_inf=True)
    if isinstance(tau, (bool, np.bool_)) or not isinstance(tau, (int, float, np.integer, np.floating)):
        raise ValueError(f"the temperature tau must be a positive number, got {tau!r}")
    tau = float(tau)  # a Python float keeps float32 scores float32
    if not (math.isfinite(tau) and tau > 0):
        raise ValueError(f"the temperature tau must be a positive, finite number, got {tau}")
    m = np.max(x, axis=axis, keepdims=True)  # (..., 1, ...): each slice's largest score
    check_softmax_input(x, m, axis)  # a slice of -inf only has nothing to normalise
    return softmax((x - m) / tau, axis=axis)  # shift first: (s − m) / τ ≤ 0 never overflows, even for tiny τ


# ---------------------------------------------------------------- figures


def key_labels(T):
    """Labels k₁ … k_T for T keys, counted from 1 as in the slides (notebook 03)."""
    T = check_positive_int(T, "T")
    sub = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
    return [f"k{str(j).translate(sub)}" for j in range(1, T + 1)]


def plot_score_variance(result, ax=None):
    """Var(q · k) against d_k on log–log axes, beside the line d_k and Var(q · k / √d_k) ≈ 1 (notebook 03)."""
    if not isinstance(result, ScoreVariance):
        raise ValueError(f"result must be the ScoreVariance that score_variance() returns, got {type(result).__name__}")
    if ax is None:
        _, ax = plt.subplots(figsize=(9.0, 6.0), layout="constrained")
    d = result.d_k.astype(float)
    ax.plot(d, d, "--", color="#555555", lw=2, label="the line Var = d_k")
    ax.plot(d, result.raw, "o", color=RAW_COLOUR, ms=10, label="Var(q · k), measured")
    ax.plot(d, result.scaled, "s-", color=SCALED_COLOUR, ms=9, label="Var(q · k / √d_k), measured")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    ax.set_xticks(d, [str(int(v)) for v in d])
    ax.set_xlabel("d_k (number of entries of q and of k)", fontsize=LABEL_SIZE)
    ax.set_ylabel("variance of the score", fontsize=LABEL_SIZE)
    ax.set_title("The variance of q · k grows like d_k; divided by √d_k it stays ≈ 1", fontsize=TITLE_SIZE)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left", fontsize=TICK_SIZE)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def plot_softmax_rows(demo, axes=None):
    """The softmax of one row of scores, unscaled and divided by √d_k, as two bar charts side by side (notebook 03)."""
    demo = _demo(demo)
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=fit_figsize(13.0, 5.0), layout="constrained")
    labels = key_labels(len(demo.raw))
    plot_weights_bar(demo.weights_raw, labels, ax=axes[0], title="unscaled: softmax(q · k_j)")
    plot_weights_bar(demo.weights_scaled, labels, ax=axes[1], title="scaled: softmax(q · k_j / √d_k)")
    for ax, colour in ((axes[0], RAW_COLOUR), (axes[1], SCALED_COLOUR)):
        _colour_bars(ax, colour)
        ax.set_xticks(range(len(labels)), labels, rotation=0, ha="center")
    axes[0].figure.suptitle(f"One query, {len(demo.raw)} keys, d_k = {demo.d_k}: the same scores, "
                            f"without and with / √{demo.d_k}", fontsize=SUPTITLE_SIZE)
    return axes[0].figure


def plot_scaling_view(d_k, T=8, seed=0, n_pairs=2000, score_range=70.0):
    """The d_k slider's view: histogram of q · k with and without / √d_k, one row's softmax both ways (notebook 03)."""
    samples = score_samples(d_k, n_pairs, seed)  # (n_pairs,)
    demo = scaling_demo(d_k, T, seed)
    fig, axes = plt.subplots(1, 3, figsize=fit_figsize(17.0, 5.2), layout="constrained",
                             gridspec_kw={"width_ratios": [1.25, 1, 1]})
    ax = axes[0]
    bins = np.linspace(-score_range, score_range, 71)
    scaled = samples / math.sqrt(d_k)  # (n_pairs,)
    ax.hist(np.clip(samples, -score_range, score_range), bins=bins, histtype="stepfilled", color=RAW_COLOUR,
            alpha=0.75, label=f"q · k   (std {format_number(np.std(samples))})")
    ax.hist(scaled, bins=bins, histtype="stepfilled", color=SCALED_COLOUR, alpha=0.75,
            label=f"q · k / √d_k   (std {format_number(np.std(scaled))})")
    ax.set_xlim(-score_range, score_range)
    ax.set_xlabel("score", fontsize=LABEL_SIZE)
    ax.set_ylabel(f"count (of {n_pairs} random pairs)", fontsize=LABEL_SIZE)
    ax.set_title("q · k of random pairs", fontsize=TITLE_SIZE)
    ax.legend(loc="upper left", fontsize=TICK_SIZE - 1)
    ax.spines[["top", "right"]].set_visible(False)
    plot_softmax_rows(demo, axes=axes[1:])
    for a, w, name in ((axes[1], demo.weights_raw, "unscaled"), (axes[2], demo.weights_scaled, "scaled")):
        a.set_title(f"{name}: max {format_number(w.max())}", fontsize=TITLE_SIZE)
    fig.suptitle(f"d_k = {d_k}: raw scores spread like √d_k = {format_number(math.sqrt(d_k))};\n"
                 f"divided by √d_k they keep a spread of about 1", fontsize=SUPTITLE_SIZE)
    return fig


def plot_jacobians(demo):
    """The softmax Jacobian diag(a) − a aᵀ of one row, unscaled and scaled, as two heatmaps (notebook 03)."""
    demo = _demo(demo)
    T = len(demo.raw)
    rows = [k.replace("k", "a", 1) for k in key_labels(T)]  # a₁ … a_T
    cols = [k.replace("k", "s", 1) for k in key_labels(T)]  # s₁ … s_T
    fig, axes = plt.subplots(1, 2, figsize=fit_figsize(16.0, 6.6), layout="constrained")
    for ax, w, name in ((axes[0], demo.weights_raw, "unscaled"), (axes[1], demo.weights_scaled, "scaled")):
        J = softmax_jacobian(w)  # (T, T)
        plot_heatmap(J, rows, cols, ax=ax, cmap="RdBu", vmin=-0.25, vmax=0.25, decimals=2,
                     title=f"{name}: largest |entry| = {_size_text(np.abs(J).max())}",
                     xlabel="score s_j that moves", ylabel="weight a_i that responds",
                     colorbar_label="∂a_i / ∂s_j")  # a colour bar on each: the all-0 panel has a scale too
    fig.suptitle(f"How much each weight can still move: ∂a_i/∂s_j = a_i(δ_ij − a_j), d_k = {demo.d_k}",
                 fontsize=SUPTITLE_SIZE)
    return fig


def plot_saturation(result):
    """Largest weight and largest |∂a_i/∂s_j| against d_k, unscaled and scaled (notebook 03)."""
    if not isinstance(result, Saturation):
        raise ValueError(f"result must be the Saturation that saturation_curve() returns, got {type(result).__name__}")
    d = result.d_k.astype(float)
    fig, axes = plt.subplots(1, 2, figsize=fit_figsize(15.0, 5.6), layout="constrained")
    panels = ((axes[0], result.max_weight_raw, result.max_weight_scaled, "largest weight  max_j a_j",
               "one weight takes everything"),
              (axes[1], result.max_grad_raw, result.max_grad_scaled, "largest |∂a_i / ∂s_j|",
               "the gradient shrinks"))
    for ax, raw, scaled, ylabel, title in panels:
        ax.plot(d, raw, "o-", color=RAW_COLOUR, ms=8, label="unscaled: softmax(q · k)")
        ax.plot(d, scaled, "s-", color=SCALED_COLOUR, ms=8, label="scaled: softmax(q · k / √d_k)")
        ax.set_xscale("log", base=2)
        ax.set_xticks(d, [str(int(v)) for v in d])
        ax.set_xlabel("d_k", fontsize=LABEL_SIZE)
        ax.set_ylabel(ylabel, fontsize=LABEL_SIZE)
        ax.set_title(title, fontsize=TITLE_SIZE)
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].set_ylim(0, 1.05)
    axes[1].set_ylim(0, 0.27)
    axes[1].axhline(0.25, color="#555555", ls=":", lw=1.5)
    axes[1].text(d[0], 0.255, "largest possible: 1/4", fontsize=TICK_SIZE, color="#555555", va="bottom")
    axes[0].legend(loc="lower right", fontsize=TICK_SIZE)
    fig.suptitle("Without / √d_k the softmax saturates as d_k grows\n(mean over random queries, 8 keys)",
                 fontsize=SUPTITLE_SIZE)
    return fig


# The sum runs over l (k is the slides' key k_j; m is the row's maximum); mathtext, so l is an italic l.
NAIVE_TITLE = r"naive: $e^{s_j} \;/\; \Sigma_l\, e^{s_l}$"
STABLE_TITLE = r"stable: $e^{s_j - m} \;/\; \Sigma_l\, e^{s_l - m}$"


def plot_naive_vs_stable(scores, labels=None):
    """exp(s) / Σ exp(s) straight from the definition beside the stable softmax, for one row of scores (notebook 04)."""
    s = as_float_array(scores, "scores", ndim=1)
    labels = _key_names(labels, s.shape[0])
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(s)  # (T,): the figure writes exp(s) and its sum, so it computes them itself
        naive = e / e.sum()  # (T,): naive_softmax, inf / inf = NaN once exp overflows
    stable = softmax(s)
    fig, axes = plt.subplots(1, 2, figsize=fit_figsize(13.0, 5.4), layout="constrained")
    ax = axes[0]
    finite = np.where(np.isfinite(naive), naive, 0.0)
    ax.bar(range(len(s)), finite, color=RAW_COLOUR, width=0.7)
    for j, w in enumerate(naive):
        text = format_number(w)
        ax.text(j, (w if np.isfinite(w) else 0.0) + 0.02, text, ha="center", va="bottom", fontsize=16,
                color=RAW_COLOUR if not np.isfinite(w) else "black", fontweight="bold" if not np.isfinite(w) else None)
    ax.set_ylim(0, 1)
    ax.set_xlim(-0.6, len(s) - 0.4)
    ax.set_xticks(range(len(s)), labels)
    ax.set_xlabel("key word j", fontsize=LABEL_SIZE)
    ax.set_ylabel("softmax weight", fontsize=LABEL_SIZE)
    ax.set_title(NAIVE_TITLE, fontsize=TITLE_SIZE)
    ax.spines[["top", "right"]].set_visible(False)
    if not np.isfinite(naive).all():
        ax.text(0.5, 0.55, f"exp({format_number(s.max(), 0)}) = {format_number(e.max())}\n"
                f"{format_number(e.max())} / {format_number(e.sum())} = nan",
                transform=ax.transAxes, ha="center", va="center", fontsize=17, color=RAW_COLOUR)
    plot_weights_bar(stable, labels, ax=axes[1], title=STABLE_TITLE)
    _colour_bars(axes[1], SCALED_COLOUR)
    shown = ", ".join(format_number(v, 0) for v in s)
    fig.suptitle(f"scores s = [{shown}]:\nthe same formula, with and without subtracting m = max(s)",
                 fontsize=SUPTITLE_SIZE)
    return fig


def plot_temperature(scores, tau, labels=None, ax=None):
    """The bar chart of softmax(scores / τ) for one row, with the uniform level 1/T dashed (notebook 04)."""
    s = as_float_array(scores, "scores", ndim=1, allow_neg_inf=True)
    labels = _key_names(labels, s.shape[0])
    w = temperature_softmax(s, tau)  # (T,)
    ax = plot_weights_bar(w, labels, ax=ax, title=f"τ = {_tau_text(tau)}")
    T = s.shape[0]
    level = 1.0 / T
    line = ax.axhline(level, color="#555555", ls="--", lw=1.5)
    ax.legend([line], [f"uniform: 1/{T}"], loc="upper left", fontsize=TICK_SIZE, frameon=False)
    for text, value in zip(ax.texts, w):  # plot_weights_bar wrote each value just above its bar
        if level - 0.08 < value < level - 0.005:  # … where it would sit on the dashed line: move it
            if value > 0.1:
                text.set(y=value - 0.02, va="top", color="white")  # inside the bar
            else:
                text.set(y=level + 0.015)  # a short bar: just above the line
    return ax


def plot_temperatures(scores, taus, labels=None, titles=None):
    """softmax(scores / τ) for several temperatures τ, one bar chart each, side by side (notebook 04).

    `titles` (optional) replaces the panel titles "τ = …", one string per temperature.
    """
    taus = list(taus)
    if not taus:
        raise ValueError("taus must list at least one temperature")
    if titles is not None:
        if isinstance(titles, str) or len(titles) != len(taus):
            raise ValueError(f"titles must list one title per temperature ({len(taus)}), got {titles!r}")
    fig, axes = plt.subplots(1, len(taus), figsize=fit_figsize(4.2 * len(taus) + 0.6, 5.0), layout="constrained",
                             sharey=True, squeeze=False)
    for k, (ax, tau) in enumerate(zip(axes[0], taus)):
        plot_temperature(scores, tau, labels, ax=ax)
        ax.set_xlabel("")
        if titles is not None:
            ax.set_title(str(titles[k]), fontsize=TITLE_SIZE)
    for ax in axes[0][1:]:
        ax.set_ylabel("")
    shown = ", ".join(format_number(v, 2).rstrip("0").rstrip(".") for v in np.asarray(scores, dtype=float))
    fig.suptitle(f"softmax(s / τ) for the scores s = [{shown}]: low τ sharpens, high τ flattens",
                 fontsize=SUPTITLE_SIZE)
    return fig


# ---------------------------------------------------------------- small pieces


def _rng(seed):
    """np.random.default_rng(seed) for a non-negative integer seed, or ValueError."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer (so the experiment repeats), got {seed!r}")
    return np.random.default_rng(int(seed))


def _demo(demo):
    """demo, checked to be a ScalingDemo."""
    if not isinstance(demo, ScalingDemo):
        raise ValueError(f"demo must be the ScalingDemo that scaling_demo() returns, got {type(demo).__name__}")
    return demo


def _key_names(labels, T):
    """labels as T strings (default k₁ … k_T), or ValueError naming the counts."""
    if labels is None:
        return key_labels(T)
    if isinstance(labels, str):
        raise ValueError(f"labels must be a list of {T} strings, got the single string {labels!r}")
    labels = [str(t) for t in labels]
    if len(labels) != T:
        raise ValueError(f"labels has {len(labels)} entries but the row of scores has T = {T}")
    return labels


def _colour_bars(ax, colour):
    """Recolour the bars plot_weights_bar drew."""
    for patch in ax.patches:
        patch.set_facecolor(colour)


def _size_text(x):
    """A non-negative size printed readably: 0.244, or 3.8e-04 when below 0.01."""
    x = float(x)
    return f"{x:.1e}" if 0 < x < 0.01 else format_number(x, 3)


def _tau_text(tau):
    """τ printed short: 0.25, 1, 2, 10."""
    text = f"{float(tau):.2f}".rstrip("0").rstrip(".")
    return text if text else "0"


# ---------------------------------------------------------------- the widgets' live views (helpers.show.live)


def live_scaling_view(d_k_control, T=8, seed=0, n_pairs=2000, score_range=70.0, width=880, height=380):
    """The d_k slider's view, redrawn in place (notebook 03): what plot_scaling_view draws, in 880 × 380 px.

    Left, the scores of n_pairs random pairs q · k, raw and divided by √d_k (histograms on fixed
    bins); then the softmax of one query's row of T scores, unscaled and scaled. d_k_control is an
    ipywidgets control whose value is d_k. Each d_k's samples and histograms are computed once (for
    a control with options, all of them when the view is built).
    Returns the helpers.LiveFigure, connected: show it under the control.
    """
    from ..show.live import LiveBars, LiveFigure, live_fonts

    live = LiveFigure(width=width, height=height)
    fig = live.figure
    hist_ax, raw_ax, scaled_ax = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.3, 1, 1]})
    fig.subplots_adjust(left=0.09, right=0.99, bottom=0.13, top=0.80, wspace=0.32)
    bins = np.linspace(-score_range, score_range, 71)
    zeros = np.zeros(len(bins) - 1)
    raw_hist = hist_ax.stairs(zeros, bins, fill=True, color=RAW_COLOUR, alpha=0.75, label="q · k")
    scaled_hist = hist_ax.stairs(zeros, bins, fill=True, color=SCALED_COLOUR, alpha=0.75, label="q · k / √d_k")
    legend = hist_ax.legend(loc="upper left", fontsize=9, frameon=False)
    hist_ax.set_xlim(-score_range, score_range)
    # divided by √d_k the scores keep a spread of about 1 at every d_k: that peak fixes the y-axis once
    hist_ax.set_ylim(0, 1.35 * np.histogram(score_samples(1, n_pairs, seed), bins=bins)[0].max())
    hist_ax.set_xlabel("score")
    hist_ax.set_ylabel(f"count (of {n_pairs} pairs)")
    hist_ax.spines[["top", "right"]].set_visible(False)
    live_fonts(hist_ax)
    labels = key_labels(T)
    raw_bars = LiveBars(raw_ax, colour=RAW_COLOUR, write_values=False, live=live)
    scaled_bars = LiveBars(scaled_ax, colour=SCALED_COLOUR, ylabel=None, write_values=False, live=live)
    fig.suptitle("raw scores spread like √d_k; divided by √d_k they keep a spread of about 1", fontsize=12)
    live.animate(raw_hist, scaled_hist, legend, hist_ax.title)  # the rest is drawn once

    @functools.lru_cache(maxsize=64)
    def computed(d_k):  # the histograms (70 bins each) and their spreads, and one row of T scores
        samples = score_samples(d_k, n_pairs, seed)  # (n_pairs,) scores of random pairs
        scaled = samples / math.sqrt(d_k)  # (n_pairs,)
        counts = (np.histogram(np.clip(samples, -score_range, score_range), bins=bins)[0],
                  np.histogram(scaled, bins=bins)[0])
        return counts, (np.std(samples), np.std(scaled)), scaling_demo(d_k, T, seed)

    for d_k in getattr(d_k_control, "options", ()):  # a slider's every d_k, now: a move then only draws
        computed(d_k[1] if isinstance(d_k, tuple) else d_k)

    def update(d_k):
        (raw_counts, scaled_counts), (raw_std, scaled_std), demo = computed(d_k)
        raw_hist.set_data(raw_counts)
        scaled_hist.set_data(scaled_counts)
        legend.get_texts()[0].set_text(f"q · k   (std {format_number(raw_std)})")
        legend.get_texts()[1].set_text(f"q · k / √d_k   (std {format_number(scaled_std)})")
        hist_ax.title.set_text(f"scores of random pairs, d_k = {d_k} (√d_k = {format_number(math.sqrt(d_k))})")
        raw_bars.show(demo.weights_raw, labels, title=f"unscaled: largest {format_number(demo.weights_raw.max())}")
        scaled_bars.show(demo.weights_scaled, labels,
                         title=f"scaled: largest {format_number(demo.weights_scaled.max())}")

    return live.connect(update, d_k=d_k_control)


def live_temperature_view(scores, tau_control, labels=None, width=640, height=360):
    """The τ slider's view, redrawn in place (notebook 04): softmax(scores / τ) as bars, 1/T dashed.

    scores: one row (T,); tau_control: an ipywidgets control whose value is τ > 0. Returns the
    helpers.LiveFigure, connected: show it under the control.
    """
    from ..show.live import LiveBars, LiveFigure

    s = as_float_array(scores, "scores", ndim=1, allow_neg_inf=True)
    labels = _key_names(labels, s.shape[0])
    T = s.shape[0]
    live = LiveFigure(width=width, height=height)
    ax = live.figure.add_subplot()
    live.figure.subplots_adjust(left=0.11, right=0.98, bottom=0.17, top=0.9)
    bars = LiveBars(ax, xlabel="key word j", live=live)
    line = ax.axhline(1.0 / T, color="#555555", ls="--", lw=1.5)
    ax.legend([line], [f"uniform: 1/{T}"], loc="upper left", frameon=False, fontsize=10)

    def update(tau):
        bars.show(temperature_softmax(s, tau), labels, title=f"τ = {_tau_text(tau)}")

    return live.connect(update, tau=tau_control)
