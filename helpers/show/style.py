"""The classroom look shared by every figure and table: palette, font sizes, number formats, ink.

Fonts are large enough to read from the back of a room; the palette is Okabe & Ito's
colour-blind-safe one; numbers are written with one fixed format ("-0.00" never appears).
"""

import math

import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib import colors as mcolors

from .._validate import as_numeric, check_decimals

__all__ = [
    "CLASSROOM_RC",
    "DIVERGING_CMAPS",
    "FONT_SIZE",
    "LABEL_SIZE",
    "OKABE_ITO",
    "SUPTITLE_SIZE",
    "TICK_SIZE",
    "TITLE_SIZE",
    "MAX_FIGURE_WIDTH",
    "MAX_HEATMAP_HEIGHT",
    "fit_figsize",
    "format_number",
    "format_vector",
    "ink_for",
    "symmetric_limit",
    "text_colour",
    "use_classroom_style",
]

# Okabe & Ito (2008), the colour-blind-safe palette, in the order the series cycles through it.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000")

FONT_SIZE = 14
TITLE_SIZE = 18
LABEL_SIZE = 15
TICK_SIZE = 13
SUPTITLE_SIZE = 20

CLASSROOM_RC = {
    "font.size": FONT_SIZE,
    "axes.titlesize": TITLE_SIZE,
    "axes.titlepad": 10.0,
    "axes.labelsize": LABEL_SIZE,
    "xtick.labelsize": TICK_SIZE,
    "ytick.labelsize": TICK_SIZE,
    "legend.fontsize": TICK_SIZE,
    "figure.titlesize": SUPTITLE_SIZE,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.figsize": (8.0, 5.0),
    "image.cmap": "viridis",
    "lines.linewidth": 2.5,
    "lines.markersize": 8.0,
    "axes.prop_cycle": cycler(color=list(OKABE_ITO)),
}

# The classroom screen: 1366×768, JupyterLab's default layout (file browser open) leaves a 934 px
# notebook column; at the 125 % zoom TEACHING.md recommends, with the file browser closed, 913 px.
# A figure wider than 913 / 0.8 ≈ 1141 px is shown below 0.8 of its size (13 pt tick labels under
# 14 px), so at dpi 100 no figure is wider than MAX_FIGURE_WIDTH inches (plus the saved margins);
# a heatmap at most MAX_HEATMAP_HEIGHT inches (600 px) tall fits one 768 px screen with the
# controls of a widget.
MAX_FIGURE_WIDTH = 11.0
MAX_HEATMAP_HEIGHT = 6.0


def fit_figsize(width, height, *, max_width=MAX_FIGURE_WIDTH, max_height=None, keep_aspect=False):
    """(width, height) in inches that fits the classroom screen.

    Wider than max_width: the width is cut to max_width (keep_aspect=True: the height shrinks by the
    same factor, for diagrams and heatmaps whose shapes must not stretch). Taller than max_height
    (when given): both shrink by the same factor.
    """
    w, h = float(width), float(height)
    if w <= 0 or h <= 0:
        raise ValueError(f"a figure size must be positive, got ({width!r}, {height!r})")
    if w > max_width:
        if keep_aspect:
            h *= max_width / w
        w = max_width
    if max_height is not None and h > max_height:
        w *= max_height / h
        h = max_height
    return (w, h)


DIVERGING_CMAPS = frozenset(
    name + suffix
    for name in ("RdBu", "PuOr", "BrBG", "PiYG", "PRGn", "RdYlBu", "RdGy", "coolwarm", "bwr", "seismic", "berlin",
                 "managua", "vanimo")
    for suffix in ("", "_r")
)


def use_classroom_style():
    """Large fonts, dpi 100, Okabe–Ito colour cycle, viridis images, for every figure of a notebook (notebook 00).

    Idempotent: calling it twice leaves the same settings.
    """
    plt.rcParams.update(CLASSROOM_RC)


def symmetric_limit(M):
    """max |M| over the finite entries, or 1 when it is 0."""
    finite = np.abs(M[np.isfinite(M)])
    lim = float(finite.max()) if finite.size else 1.0
    return lim if lim > 0 else 1.0


def _luminance(rgba):
    """Relative luminance (WCAG) of an RGB(A) colour."""
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in mcolors.to_rgb(rgba)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def ink_for(colour):
    """Black or white, whichever contrasts more with `colour`."""
    lum = _luminance(colour)
    return "black" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "white"


def text_colour(im, value):
    """The ink for a number written on an image cell of `value`."""
    if not np.isfinite(value):
        return "black"
    return ink_for(im.cmap(im.norm(value)))


# ---------------------------------------------------------------- numbers and vectors


def format_number(x, decimals=2):
    """One number in a fixed format, e.g. 0.12, -0.30, 0.00 (never -0.00), -inf, nan (notebook 02)."""
    decimals = check_decimals(decimals)
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = f"{x:.{decimals}f}"
    if text.startswith("-") and float(text) == 0.0:
        text = text[1:]  # -0.004 rounds to "-0.00": print 0.00
    return text


def format_vector(v, decimals=2, max_items=4):
    """A vector as "[0.12, -0.30, 1.00, 0.50]", or "[0.12, -0.30, …, 0.50] (64 values)" when long (notebook 02).

    `max_items` is the number of slots shown; a longer vector keeps its first and last values
    around an ellipsis. `max_items=None` shows every value. A vector of whole numbers (the
    worked example's q, k, v) is written without decimals: "[0, 1, 1, 2]".
    """
    v = as_numeric(v, "v")
    if v.ndim != 1:
        raise ValueError(f"format_vector expects a 1-D vector, got shape {v.shape}")
    decimals = check_decimals(decimals)
    finite = v[np.isfinite(v)]
    if finite.size and np.all(finite == np.round(finite)) and np.all(np.abs(finite) < 1e6):
        decimals = 0
    n = v.shape[0]
    if max_items is not None:
        if isinstance(max_items, bool) or not isinstance(max_items, (int, np.integer)) or max_items < 2:
            raise ValueError(f"max_items must be an integer ≥ 2 or None, got {max_items!r}")
        max_items = int(max_items)
    if max_items is None or n <= max_items:
        return "[" + ", ".join(format_number(x, decimals) for x in v) + "]"
    head = max_items // 2  # max_items slots: head values, "…", tail values
    tail = max_items - 1 - head
    parts = [format_number(x, decimals) for x in v[:head]] + ["…"]
    parts += [format_number(x, decimals) for x in v[n - tail:]] if tail else []
    return "[" + ", ".join(parts) + f"] ({n} values)"
