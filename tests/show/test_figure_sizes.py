"""Figures fit the classroom screen (issue #14): 1366×768, JupyterLab's default layout, a 934 px column.

A figure is shown at ≥ 0.8 of its size when its PNG (dpi 100, cropped to its content as the inline
backend does) is at most 934 / 0.8 ≈ 1167 px wide; a heatmap at most ~600 px tall fits one screen
with a widget's controls. tests/test_classroom.py checks the same in Chromium for every notebook.
"""

import io

import matplotlib.image
import matplotlib.pyplot as plt
import numpy as np
import pytest

import helpers
from helpers.lessons import nb03_scores_and_scaling as nb03
from helpers.show import diagrams, figures
from helpers.show.style import MAX_FIGURE_WIDTH, MAX_HEATMAP_HEIGHT, fit_figsize

MAX_PX = 934 / 0.8
TOKENS3 = ["Action", "gets", "results"]
TOKENS12 = ["The", "kids", "watched", "the", "lions", "because", "they", "were", "curious", "about", "the", "zoo"]


def _png_size(fig):
    fig = getattr(fig, "figure", fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")  # what the inline backend sends
    buf.seek(0)
    h, w = matplotlib.image.imread(buf, format="png").shape[:2]
    plt.close(fig)
    return w, h


@pytest.fixture(autouse=True)
def classroom_style():
    helpers.use_classroom_style()


def test_fit_figsize():
    assert fit_figsize(8, 5) == (8.0, 5.0)
    assert fit_figsize(17, 5.2) == (MAX_FIGURE_WIDTH, 5.2)
    w, h = fit_figsize(14, 10.5, keep_aspect=True)
    assert w == MAX_FIGURE_WIDTH and h == pytest.approx(10.5 * MAX_FIGURE_WIDTH / 14)
    w, h = fit_figsize(8, 9, max_height=MAX_HEATMAP_HEIGHT)
    assert h == MAX_HEATMAP_HEIGHT and w == pytest.approx(8 * 6 / 9)
    with pytest.raises(ValueError, match="positive"):
        fit_figsize(0, 5)


WIDE = {
    "roadmap": lambda: diagrams.plot_roadmap(0),
    "scaling_view": lambda: nb03.plot_scaling_view(64),
    "softmax_rows": lambda: nb03.plot_softmax_rows(nb03.scaling_demo(64, 8, 0)),
    "jacobians": lambda: nb03.plot_jacobians(nb03.scaling_demo(64, 8, 0)),
    "temperatures": lambda: nb03.plot_temperatures(np.array([2.0, 1.0, 0.1, -1.0]), [0.25, 0.5, 1, 2, 4]),
    "naive_vs_stable": lambda: nb03.plot_naive_vs_stable(np.array([1000.0, 1001.0, 999.0])),
    "concat_shapes": lambda: diagrams.plot_concat_shapes(3, 8, 64, 512, tokens=TOKENS3),
    "weights_bar_12": lambda: figures.plot_weights_bar(np.full(12, 1 / 12), TOKENS12),
}


@pytest.mark.parametrize("name", sorted(WIDE))
def test_figure_is_shown_at_least_at_0_8(name):
    w, _ = _png_size(WIDE[name]())
    assert w <= MAX_PX, f"{name}: {w} px wide, shown at {934 / w:.2f} of its size in a 934 px column"


HEATMAPS = {
    "attention_12": lambda: figures.plot_attention(np.full((12, 12), 1 / 12), TOKENS12),
    "heatmap_7x16": lambda: figures.plot_heatmap(np.zeros((7, 16)), annotate=False),
    "heads_8x3": lambda: figures.plot_heads(np.full((8, 3, 3), 1 / 3), TOKENS3),
    "heads_8x12": lambda: figures.plot_heads(np.full((8, 12, 12), 1 / 12), TOKENS12),
}


@pytest.mark.parametrize("name", sorted(HEATMAPS))
def test_heatmap_fits_one_screen(name):
    w, h = _png_size(HEATMAPS[name]())
    assert w <= MAX_PX and h <= 100 * MAX_HEATMAP_HEIGHT + 40, f"{name}: {w} × {h} px"
