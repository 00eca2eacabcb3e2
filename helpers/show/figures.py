"""Figures of arrays for the classroom: heatmaps, attention maps, a grid of heads, a bar of weights.

Every function returns its Figure or Axes and never calls plt.show(): the notebooks do.
Fonts are large enough to read from the back of a room whether or not
use_classroom_style() was called; colour maps are colour-blind-safe (viridis, cividis;
"RdBu" / "PuOr" with symmetric limits for signed values); every figure has a title.
"""

import math

import matplotlib.pyplot as plt
import numpy as np

from .._validate import as_matrix, as_optional_labels, as_weights
from .style import (
    MAX_HEATMAP_HEIGHT,
    fit_figsize,
    DIVERGING_CMAPS,
    LABEL_SIZE,
    OKABE_ITO,
    SUPTITLE_SIZE,
    TICK_SIZE,
    TITLE_SIZE,
    format_number,
    symmetric_limit,
    text_colour,
)

__all__ = ["plot_attention", "plot_heads", "plot_heatmap", "plot_weights_bar"]

_BAD_COLOUR = "#d9d9d9"  # cells holding -inf or NaN (a masked score, notebook 06)


# ---------------------------------------------------------------- heatmaps


def plot_heatmap(M, row_labels=None, col_labels=None, title=None, ax=None, annotate=None, decimals=2,
                 cmap="viridis", vmin=None, vmax=None, xlabel=None, ylabel=None, colorbar=True,
                 colorbar_label=None):
    """A matrix as a heatmap with labelled rows and columns, values written in when small (notebook 01).

    annotate defaults to True up to 12 × 12; a diverging cmap ("RdBu", "PuOr", …) gets symmetric
    limits around 0 unless vmin / vmax are given; -inf and NaN cells are grey and written "−∞" / "nan".
    """
    M = as_matrix(M, "M", finite=False)
    n_rows, n_cols = M.shape
    row_labels = as_optional_labels(row_labels, n_rows, "row_labels", f"M of shape {M.shape} (its rows)")
    col_labels = as_optional_labels(col_labels, n_cols, "col_labels", f"M of shape {M.shape} (its columns)")
    if annotate is None:
        annotate = n_rows <= 12 and n_cols <= 12
    own_figure = ax is None
    if own_figure:  # sized so that the cells come out about square
        _, ax = plt.subplots(figsize=_heatmap_size(n_rows, n_cols, annotate, colorbar), layout="constrained")
    cmap_obj = plt.get_cmap(cmap).with_extremes(bad=_BAD_COLOUR)
    vmin, vmax = _limits(M, vmin, vmax, diverging=cmap_obj.name in DIVERGING_CMAPS)
    ratio = n_cols / n_rows
    im = ax.imshow(np.ma.masked_invalid(M), cmap=cmap_obj, vmin=vmin, vmax=vmax, interpolation="nearest",
                   aspect="equal" if not own_figure and 1 / 3 <= ratio <= 3 else "auto")
    _set_ticks(ax, row_labels, col_labels, n_rows, n_cols)
    if annotate:
        size = _annotation_size(n_rows, n_cols)
        for i in range(n_rows):
            for j in range(n_cols):
                ax.text(j, i, _cell_text(M[i, j], decimals), ha="center", va="center", fontsize=size,
                        color=text_colour(im, M[i, j]))
    ax.set_title(f"matrix ({n_rows} × {n_cols})" if title is None else title, fontsize=TITLE_SIZE)
    if xlabel is not None:
        ax.set_xlabel(xlabel, fontsize=LABEL_SIZE)
    if ylabel is not None:
        ax.set_ylabel(ylabel, fontsize=LABEL_SIZE)
    if colorbar:
        cb = ax.figure.colorbar(im, ax=ax, pad=0.03)
        cb.ax.tick_params(labelsize=TICK_SIZE)
        if colorbar_label is not None:
            cb.set_label(colorbar_label, fontsize=LABEL_SIZE)
    return ax


def plot_attention(A, tokens, title=None, ax=None, annotate=None):
    """Attention weights A (T, T): row i is query word i, column j is key word j, colours from 0 to 1 (notebook 04)."""
    A = as_weights(A, "A", ndim=2)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square (T, T), one row per query word and one column per key word, got {A.shape}")
    tokens = as_optional_labels(tokens, A.shape[0], "tokens", f"A of shape {A.shape}", required=True)
    return plot_heatmap(A, tokens, tokens, title="attention weights A" if title is None else title, ax=ax,
                        annotate=annotate, cmap="viridis", vmin=0.0, vmax=1.0, xlabel="key word j",
                        ylabel="query word i", colorbar_label="weight")


def plot_heads(A, tokens, titles=None, ncols=4, suptitle=None, annotate=None):
    """One attention map per head, A (n_heads, T, T), in a grid with one shared colour bar (notebook 07)."""
    A = as_weights(A, "A", ndim=3)
    n_heads, T, T_k = A.shape
    if T != T_k:
        raise ValueError(f"A must have shape (n_heads, T, T), got {A.shape}")
    tokens = as_optional_labels(tokens, T, "tokens", f"A of shape {A.shape}", required=True)
    if titles is None:
        titles = [f"head {h}" for h in range(n_heads)]
    else:
        titles = as_optional_labels(titles, n_heads, "titles", f"A of shape {A.shape} (one per head)", required=True)
    if isinstance(ncols, bool) or not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise ValueError(f"ncols must be a positive integer, got {ncols!r}")
    ncols = min(int(ncols), n_heads)
    nrows = math.ceil(n_heads / ncols)
    if annotate is None:
        annotate = T <= 4
    panel = 3.4 if T > 6 else 2.9
    label_room = 0.11 * max(len(t) for t in tokens) + 0.5
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, layout="constrained",
                             figsize=fit_figsize(ncols * panel + label_room + 1.3, nrows * panel + label_room + 0.9,
                                                 max_height=MAX_HEATMAP_HEIGHT, keep_aspect=True))
    used = []
    for h in range(nrows * ncols):
        ax = axes[h // ncols, h % ncols]
        if h >= n_heads:
            ax.set_visible(False)
            continue
        used.append(ax)
        im = ax.imshow(A[h], cmap="viridis", vmin=0.0, vmax=1.0, interpolation="nearest")
        first_col = h % ncols == 0
        bottom = h + ncols >= n_heads
        ax.set_xticks(range(T), tokens if bottom else [""] * T, rotation=90 if T > 3 else 0)
        ax.set_yticks(range(T), tokens if first_col else [""] * T)
        ax.tick_params(labelsize=TICK_SIZE if T <= 8 else TICK_SIZE - 1, length=3)
        if bottom:
            ax.set_xlabel("key word j", fontsize=LABEL_SIZE)
        if first_col:
            ax.set_ylabel("query word i", fontsize=LABEL_SIZE)
        ax.set_title(titles[h], fontsize=TITLE_SIZE)
        if annotate:
            for i in range(T):
                for j in range(T):
                    ax.text(j, i, format_number(A[h, i, j]), ha="center", va="center", fontsize=13,
                            color=text_colour(im, A[h, i, j]))
    cb = fig.colorbar(im, ax=used, shrink=0.8 if nrows > 1 else 1.0, pad=0.02)
    cb.ax.tick_params(labelsize=TICK_SIZE)
    cb.set_label("weight", fontsize=LABEL_SIZE)
    default = f"attention weights of {n_heads} head{'s' if n_heads != 1 else ''}"
    fig.suptitle(default if suptitle is None else suptitle, fontsize=SUPTITLE_SIZE)
    return fig


def plot_weights_bar(weights, tokens, title=None, ax=None, query=None):
    """One row of softmax weights as bars from 0 to 1, each value written on its bar (notebook 04).

    `query` (optional) is the index of the query word, whose label is drawn in bold.
    """
    w = as_weights(weights, "weights", ndim=1)
    T = w.shape[0]
    tokens = as_optional_labels(tokens, T, "tokens", f"weights of shape {w.shape}", required=True)
    if query is not None and (isinstance(query, bool) or not isinstance(query, (int, np.integer))
                              or not 0 <= query < T):
        raise ValueError(f"query must be a word index in 0 … T-1 = {T - 1} (T = {T}), got {query!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=fit_figsize(min(max(0.85 * T + 2.5, 6.0), 13.0), 5.0), layout="constrained")
    bars = ax.bar(range(T), w, color=OKABE_ITO[0], width=0.7)
    for bar, value in zip(bars, w):
        x = bar.get_x() + bar.get_width() / 2
        inside = value > 0.85  # near the top: write it inside the bar, in white
        ax.text(x, value - 0.02 if inside else value + 0.02, format_number(value), ha="center",
                va="top" if inside else "bottom", fontsize=13 if T <= 10 else 12,
                color="white" if inside else "black")
    ax.set_ylim(0.0, 1.0)
    ax.set_xlim(-0.6, T - 0.4)
    rotate = T > 6 or max(len(t) for t in tokens) * T > 48
    ax.set_xticks(range(T), tokens, rotation=45 if rotate else 0, ha="right" if rotate else "center",
                  rotation_mode="anchor")
    if query is not None:
        ax.get_xticklabels()[int(query)].set_fontweight("bold")
    ax.tick_params(labelsize=TICK_SIZE)
    ax.set_xlabel("key word j", fontsize=LABEL_SIZE)
    ax.set_ylabel("softmax weight", fontsize=LABEL_SIZE)
    if title is None:
        title = "softmax weights" if query is None else f'softmax weights of query word "{tokens[int(query)]}"'
    ax.set_title(title, fontsize=TITLE_SIZE)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def _limits(M, vmin, vmax, diverging):
    """Colour limits: the given ones, symmetric around 0 for a diverging map, else the finite min and max."""
    finite = M[np.isfinite(M)]
    if diverging and vmin is None and vmax is None:
        lim = symmetric_limit(M)
        return -lim, lim
    lo = float(finite.min()) if vmin is None and finite.size else (0.0 if vmin is None else float(vmin))
    hi = float(finite.max()) if vmax is None and finite.size else (1.0 if vmax is None else float(vmax))
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5  # a constant matrix still gets a colour scale
    if lo > hi:
        raise ValueError(f"vmin = {lo} is larger than vmax = {hi}")
    return lo, hi


def _heatmap_size(n_rows, n_cols, annotate, colorbar):
    """A figure size (inches) in which the cells, labels and numbers stay readable."""
    if annotate:
        cell = max(0.6, min(1.0, 7.0 / max(n_rows, n_cols)))
        w, h = n_cols * cell + 2.4, n_rows * cell + 2.0
    elif 1 / 3 <= n_cols / n_rows <= 3:
        side = 7.0 / max(n_rows, n_cols)
        w, h = n_cols * side + 2.4, n_rows * side + 2.0
    else:
        w, h = 12.0, min(max(0.35 * n_rows + 2.2, 2.6), 9.0)
    w, h = min(max(w, 5.5) + (1.0 if colorbar else 0.0), 14.0), min(max(h, 2.6 if n_rows <= 2 else 3.6), 10.5)
    return fit_figsize(w, h, max_height=MAX_HEATMAP_HEIGHT, keep_aspect=True)  # the classroom screen


def _annotation_size(n_rows, n_cols):
    """Font size of the numbers inside heatmap cells."""
    n = max(n_rows, n_cols)
    return 16 if n <= 4 else 14 if n <= 7 else 12 if n <= 10 else 11


def _set_ticks(ax, row_labels, col_labels, n_rows, n_cols):
    """Word labels on the rows and columns (columns rotated when long), else indices."""
    if row_labels is not None:
        ax.set_yticks(range(n_rows), row_labels)
    elif n_rows <= 16:
        ax.set_yticks(range(n_rows))
    if col_labels is not None:
        rotate = n_cols > 3 and max(len(t) for t in col_labels) > 2
        ax.set_xticks(range(n_cols), col_labels, rotation=45 if rotate else 0, ha="right" if rotate else "center",
                      rotation_mode="anchor")
    elif n_cols <= 16:
        ax.set_xticks(range(n_cols))
    ax.tick_params(labelsize=TICK_SIZE)


def _cell_text(x, decimals):
    """The number written in a heatmap cell: −∞ for a masked score."""
    if x == -np.inf:
        return "−∞"
    if x == np.inf:
        return "∞"
    return format_number(x, decimals)
