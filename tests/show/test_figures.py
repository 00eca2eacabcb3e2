"""The classroom figures: right objects, titles, labels, panel counts, and clear errors (Agg backend)."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from drawn import SMALL, TOKENS, tick_labels  # tests/show/drawn.py
from helpers.show.style import MAX_FIGURE_WIDTH
from helpers import (
    init_mha_weights,
    multi_head_attention,
    plot_attention,
    plot_heads,
    plot_heatmap,
    plot_weights_bar,
)


@pytest.fixture(scope="module")
def heads():
    """Attention weights of 8 untrained heads on the 12-word sentence: A (8, 12, 12)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(len(TOKENS), 16)).astype(np.float32)
    _, A = multi_head_attention(X, *init_mha_weights(16, 8, seed=0), 8)
    return A


# ---------------------------------------------------------------- plot_heatmap


def test_heatmap_labels_title_annotations_and_colorbar():
    M = np.arange(12.0).reshape(3, 4) / 11
    ax = plot_heatmap(M, SMALL, list("abcd"), title="M", xlabel="feature", ylabel="word")
    assert isinstance(ax, Axes)
    assert ax.get_title() == "M" and ax.get_xlabel() == "feature" and ax.get_ylabel() == "word"
    assert tick_labels(ax, "y") == SMALL and tick_labels(ax, "x") == list("abcd")
    assert sorted(t.get_text() for t in ax.texts) == sorted(f"{v:.2f}" for v in M.ravel())
    assert len(ax.figure.axes) == 2  # the heatmap and its colour bar
    assert ax.images[0].get_cmap().name == "viridis"
    assert ax.images[0].get_clim() == (0.0, 1.0)


def test_heatmap_annotation_ink_contrasts_with_the_cell():
    ax = plot_heatmap(np.array([[0.0, 1.0]]))
    dark, light = ax.texts  # viridis: 0 is dark purple, 1 is light yellow
    assert matplotlib.colors.to_hex(dark.get_color()) == "#ffffff"
    assert matplotlib.colors.to_hex(light.get_color()) == "#000000"


def test_heatmap_defaults():
    ax = plot_heatmap(np.ones((2, 2)))
    assert ax.get_title() == "matrix (2 × 2)"
    assert len(ax.texts) == 4
    big = plot_heatmap(np.zeros((13, 13)), colorbar=False)
    assert len(big.texts) == 0 and len(big.figure.axes) == 1
    assert len(plot_heatmap(np.zeros((12, 12))).texts) == 144
    assert len(plot_heatmap(np.zeros((2, 2)), annotate=False).texts) == 0


def test_heatmap_diverging_cmap_gets_symmetric_limits():
    M = np.array([[-0.5, 2.0], [1.0, 0.0]])
    for cmap in ("RdBu", "PuOr"):
        ax = plot_heatmap(M, cmap=cmap)
        assert ax.images[0].get_clim() == (-2.0, 2.0)
    assert plot_heatmap(M, cmap="RdBu", vmin=-3, vmax=3).images[0].get_clim() == (-3.0, 3.0)


def test_heatmap_shows_masked_scores_as_minus_infinity():
    S = np.array([[0.5, -np.inf], [0.25, 1.0]])
    ax = plot_heatmap(S, SMALL[:2], SMALL[:2])
    assert [t.get_text() for t in ax.texts] == ["0.50", "−∞", "0.25", "1.00"]
    assert ax.images[0].get_clim() == (0.25, 1.0)


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((np.zeros(3),), {}, r"2-D.*\(3,\)"),
        ((np.zeros((2, 2, 2)),), {}, r"2-D.*\(2, 2, 2\)"),
        ((np.zeros((0, 3)),), {}, "empty"),
        ((np.zeros((3, 4)), SMALL[:2]), {}, r"row_labels has 2 entries.*\(3, 4\).*3"),
        ((np.zeros((3, 4)), SMALL, ["a"]), {}, r"col_labels has 1 entries.*\(3, 4\).*4"),
        ((np.zeros((1, 3)), None, "abc"), {}, "single string"),
        (([["a", "b"]],), {}, "numeric"),
    ],
)
def test_heatmap_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_heatmap(*args, **kwargs)


# ---------------------------------------------------------------- plot_attention


def test_attention_axes(heads):
    ax = plot_attention(heads[3], TOKENS)
    assert isinstance(ax, Axes)
    assert ax.get_title() == "attention weights A"
    assert ax.get_ylabel() == "query word i" and ax.get_xlabel() == "key word j"
    assert tick_labels(ax, "y") == TOKENS and tick_labels(ax, "x") == TOKENS
    assert ax.images[0].get_clim() == (0.0, 1.0)
    assert len(ax.texts) == 144  # 12 × 12: still annotated
    assert plot_attention(heads[3], TOKENS, annotate=False, title="head 3").get_title() == "head 3"


def test_attention_draws_into_a_given_axes():
    fig, (a, b) = plt.subplots(1, 2)
    out = plot_attention(np.full((3, 3), 1 / 3), SMALL, ax=b)
    assert out is b and out.figure is fig


@pytest.mark.parametrize(
    "A, tokens, match",
    [
        (np.full((3, 4), 0.25), SMALL, r"square.*\(3, 4\)"),
        (np.full((2, 3, 3), 0.25), SMALL, r"\(T, T\).*\(2, 3, 3\)"),
        (np.full((3, 3), 1 / 3), SMALL[:2], r"tokens has 2 entries.*\(3, 3\)"),
        (np.full((3, 3), 2.0), SMALL, r"\[0, 1\].*plot_heatmap"),
        (np.full((3, 3), np.nan), SMALL, "NaN"),
        (np.full((3, 3), 1 / 3), None, "tokens is required"),
    ],
)
def test_attention_bad_input(A, tokens, match):
    with pytest.raises(ValueError, match=match):
        plot_attention(A, tokens)


# ---------------------------------------------------------------- plot_heads


def test_heads_grid_of_eight(heads):
    fig = plot_heads(heads, TOKENS)
    assert isinstance(fig, Figure)
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.images]
    assert [ax.get_title() for ax in panels] == [f"head {h}" for h in range(8)]
    assert len(fig.axes) == 9  # 8 panels and one shared colour bar
    assert fig.get_suptitle() == "attention weights of 8 heads"
    assert all(ax.images[0].get_clim() == (0.0, 1.0) for ax in panels)
    assert tick_labels(panels[0], "y") == TOKENS and set(tick_labels(panels[1], "y")) == {""}
    assert tick_labels(panels[4], "x") == TOKENS and set(tick_labels(panels[0], "x")) == {""}
    assert panels[4].get_xlabel() == "key word j" and panels[0].get_ylabel() == "query word i"
    assert 10 <= fig.get_size_inches()[0] <= MAX_FIGURE_WIDTH  # big for a projector, shown ≥ 0.8 on the screen


def test_heads_uneven_grid_titles_and_annotations():
    A = np.full((6, 3, 3), 1 / 3)
    fig = plot_heads(A, SMALL, titles=[f"h{h}" for h in range(6)], ncols=4, suptitle="six heads")
    visible = [ax for ax in fig.axes if ax.get_visible() and ax.images]
    hidden = [ax for ax in fig.axes if not ax.get_visible()]
    assert [ax.get_title() for ax in visible] == [f"h{h}" for h in range(6)]
    assert len(hidden) == 2
    assert fig.get_suptitle() == "six heads"
    assert all(len(ax.texts) == 9 for ax in visible)  # T = 3: values written in
    one = plot_heads(A[:1], SMALL)
    assert one.get_suptitle() == "attention weights of 1 head"


@pytest.mark.parametrize(
    "A, kwargs, match",
    [
        (np.full((3, 3), 1 / 3), {}, r"\(n_heads, T, T\).*\(3, 3\)"),
        (np.full((2, 3, 4), 0.25), {}, r"\(n_heads, T, T\).*\(2, 3, 4\)"),
        (np.full((2, 3, 3), 1 / 3), {"titles": ["a"]}, r"titles has 1 entries.*2"),
        (np.full((2, 3, 3), 1 / 3), {"ncols": 0}, "ncols"),
        (np.full((2, 3, 3), -0.5), {}, r"\[0, 1\]"),
    ],
)
def test_heads_bad_input(A, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_heads(A, SMALL, **kwargs)


# ---------------------------------------------------------------- plot_weights_bar


def test_weights_bar():
    w = np.array([0.1, 0.9, 0.0])
    ax = plot_weights_bar(w, SMALL, query=1)
    assert isinstance(ax, Axes)
    assert ax.get_ylim() == (0.0, 1.0)
    assert len(ax.patches) == 3
    assert [p.get_height() for p in ax.patches] == pytest.approx(w.tolist())
    assert [t.get_text() for t in ax.texts] == ["0.10", "0.90", "0.00"]
    assert tick_labels(ax, "x") == SMALL
    assert ax.get_xticklabels()[1].get_fontweight() == "bold"
    assert ax.get_title() == 'softmax weights of query word "gets"'
    assert ax.get_xlabel() == "key word j" and ax.get_ylabel() == "softmax weight"
    assert plot_weights_bar(w, SMALL, title="row 1").get_title() == "row 1"


@pytest.mark.parametrize(
    "w, tokens, kwargs, match",
    [
        (np.full((3, 3), 1 / 3), SMALL, {}, r"\(T,\).*\(3, 3\)"),
        (np.full(2, 0.5), SMALL, {}, r"tokens has 3 entries.*\(2,\)"),
        (np.array([1.5, -0.5, 0.0]), SMALL, {}, r"\[0, 1\]"),
        (np.full(3, 1 / 3), SMALL, {"query": 3}, r"T = 3"),
    ],
)
def test_weights_bar_bad_input(w, tokens, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_weights_bar(w, tokens, **kwargs)

