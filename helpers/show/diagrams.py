"""Diagrams for the classroom: matrix products, the concat of heads, the road map, sentence links, the block.

Every function returns its Figure or Axes and never calls plt.show(): the notebooks do.
"""

import math
import re

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import colors as mcolors
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

from .._validate import as_matrix, as_optional_labels, check_positive_int
from .style import (
    FONT_SIZE,
    MAX_FIGURE_WIDTH,
    OKABE_ITO,
    SUPTITLE_SIZE,
    TICK_SIZE,
    TITLE_SIZE,
    fit_figsize,
    format_number,
    ink_for,
    symmetric_limit,
    text_colour,
)

__all__ = [
    "ROADMAP",
    "plot_concat_shapes",
    "plot_matrix_product",
    "plot_roadmap",
    "plot_sentence_links",
    "plot_transformer_block",
]

# ---------------------------------------------------------------- shapes: products, concat, road map


def plot_matrix_product(terms, ops=None, title=None, row_labels=None, annotate=None, decimals=2, cmap="RdBu"):
    """Matrices side by side with operators between, e.g. X · W_Q = Q, each named with its shape (notebook 02).

    terms: list of (name, matrix); ops: the symbols between them (default "·" … "=").
    "·" checks the inner dimensions, "=" and "+" check equal shapes. row_labels (tokens) go on
    the rows of the first and last matrix. Colours: `cmap` with symmetric limits per matrix.
    Sides longer than 16 are drawn shortened (as 16·√(n/16)); the shapes are written below.
    """
    names, mats = _terms(terms)
    n = len(mats)
    if ops is None:
        ops = ["·"] * (n - 2) + ["="] if n >= 2 else []
    if isinstance(ops, str) or len(ops) != n - 1:
        raise ValueError(f"ops must list {n - 1} operator symbol(s) for {n} terms, got {ops!r}")
    ops = [str(op) for op in ops]
    _check_chain(names, mats, ops)
    if row_labels is not None:
        for k in {0, n - 1}:
            as_optional_labels(row_labels, mats[k].shape[0], "row_labels", f"{names[k]} of shape {mats[k].shape}",
                               required=True)
        row_labels = [str(t) for t in row_labels]
    if annotate is None:
        annotate = all(max(M.shape) <= 6 for M in mats)

    gap_in = 0.9  # room for an operator, in inches
    widths = [_display(M.shape[1]) for M in mats]
    heights = [_display(M.shape[0]) for M in mats]
    # inches per cell; the figure stays under MAX_FIGURE_WIDTH
    scale = min((9.6 - gap_in * (n - 1)) / sum(widths), 5.5 / max(heights), 0.85)
    gap = gap_in / scale
    total_w = sum(widths) + gap * (n - 1)
    total_h = max(heights)
    label_w = 0.0 if row_labels is None else 0.12 * max(len(t) for t in row_labels) + 0.25
    left, right, top, bottom = 0.3 + label_w, 0.3 + label_w, 1.2, 0.75
    fig = plt.figure(figsize=(total_w * scale + left + right, total_h * scale + top + bottom))
    W, H = fig.get_size_inches()
    ax = fig.add_axes((left / W, bottom / H, total_w * scale / W, total_h * scale / H))
    ax.set_xlim(0, total_w)
    ax.set_ylim(-total_h / 2, total_h / 2)
    ax.set_axis_off()
    cell_pt = scale * 72  # one displayed cell, in points

    x = 0.0
    for k, (name, M, w, h) in enumerate(zip(names, mats, widths, heights)):
        x0, x1, y0, y1 = x, x + w, -h / 2, h / 2
        cmap_obj = plt.get_cmap(cmap)
        lim = symmetric_limit(M)
        im = ax.imshow(M, cmap=cmap_obj, vmin=-lim, vmax=lim, extent=(x0, x1, y0, y1), interpolation="nearest")
        r, c = M.shape
        if r <= 16 and c <= 16:  # thin cell borders
            for i in range(1, r):
                ax.plot([x0, x1], [y1 - i * h / r] * 2, color="white", lw=0.8)
            for j in range(1, c):
                ax.plot([x0 + j * w / c] * 2, [y0, y1], color="white", lw=0.8)
        ax.add_patch(Rectangle((x0, y0), w, h, fill=False, edgecolor="black", lw=1.8))
        if annotate:
            size = max(7.0, min(14.0, 0.3 * cell_pt * min(w / c, h / r)))
            for i in range(r):
                for j in range(c):
                    ax.text(x0 + (j + 0.5) * w / c, y1 - (i + 0.5) * h / r, format_number(M[i, j], decimals),
                            ha="center", va="center", fontsize=size, color=text_colour(im, M[i, j]))
        ax.annotate(_pretty(name), (x0 + w / 2, y1), xytext=(0, 8), textcoords="offset points", ha="center",
                    va="bottom", fontsize=18, annotation_clip=False)
        ax.annotate(f"({r} × {c})", (x0 + w / 2, y0), xytext=(0, -8), textcoords="offset points",
                    ha="center", va="top", fontsize=15, color="#333333", annotation_clip=False)
        if row_labels is not None and k in (0, n - 1):
            row_pt = cell_pt * h / r
            if row_pt >= 7:
                on_left = k == 0
                for i, label in enumerate(row_labels):
                    ax.annotate(label, (x0 if on_left else x1, y1 - (i + 0.5) * h / r),
                                xytext=(-6 if on_left else 6, 0), textcoords="offset points",
                                ha="right" if on_left else "left", va="center",
                                fontsize=min(14.0, 0.8 * row_pt), annotation_clip=False)
        x = x1
        if k < n - 1:
            _operator(ax, x + gap / 2, 0, ops[k])
            x += gap
    if title is None:
        title = " ".join([f"{_pretty(name)} {op}" for name, op in zip(names, ops)] + [_pretty(names[-1])])
    fig.suptitle(title, fontsize=SUPTITLE_SIZE, y=1 - 0.15 / H, va="top")
    return fig


def plot_concat_shapes(T, n_heads, d_head, d_model, tokens=None):
    """The shapes of the last step: concat(Z_0 … Z_{h-1}) (T × h·d_head) · W_O (h·d_head × d_model) = Z_f (notebook 08).

    Head h has its own colour, in its block Z_h and in the rows of W_O that multiply it.
    Block sizes are schematic; the shapes are written on them.
    """
    T = check_positive_int(T, "T")
    n_heads = check_positive_int(n_heads, "n_heads")
    d_head = check_positive_int(d_head, "d_head")
    d_model = check_positive_int(d_model, "d_model")
    if tokens is not None:
        tokens = as_optional_labels(tokens, T, "tokens", f"T = {T}", required=True)
    colours = _head_colours(n_heads)
    h = n_heads
    gap = max(1.6, 0.16 * h)
    wo_w = h * min(max(d_model / (h * d_head), 0.5), 2.0)  # W_O and Z_f width, in head-block units
    wo_w = max(wo_w, 2.4)  # with few heads, still room for the row labels "rows 0–511: head 0"
    total_w = h + gap + wo_w + gap + wo_w
    label_w = 0.0 if tokens is None else 0.12 * max(len(t) for t in tokens) + 0.3
    scale = min((10.0 - 2 * label_w) / total_w, 1.1)  # inches per unit; with the labels ≤ MAX_FIGURE_WIDTH
    unit_pt = 72 * scale
    block_h = min(max(T / d_head, 1.0, 85 / unit_pt), max(2.5, 85 / unit_pt))  # room for "Z_h" and its shape
    if unit_pt < 75:  # narrow head blocks: the shape is written vertically and needs height
        block_h = max(block_h, (30 + 8.5 * len(f"{T} × {d_head}")) / unit_pt)
    if tokens is not None:
        block_h = max(block_h, T * 15 / (72 * scale))  # room for one token per row
    total_h = max(h, block_h)
    left, right, top, bottom = 0.3 + label_w, 0.3 + label_w, 1.5, 0.4
    fig = plt.figure(figsize=(total_w * scale + left + right, total_h * scale + top + bottom))
    W, H = fig.get_size_inches()
    ax = fig.add_axes((left / W, bottom / H, total_w * scale / W, total_h * scale / H))
    ax.set_xlim(0, total_w)
    ax.set_ylim(-total_h, 0)
    ax.set_axis_off()

    # concat(Z_0 … Z_{h-1}): one coloured block per head
    inside_size = max(8.0, min(15.0, 0.42 * unit_pt))
    for k in range(h):
        ax.add_patch(Rectangle((k, -block_h), 1, block_h, facecolor=colours[k], edgecolor="black", lw=1.2))
        ink = ink_for(colours[k])
        ax.text(k + 0.5, -0.06 * block_h, f"$Z_{{{k}}}$", ha="center", va="top", fontsize=inside_size, color=ink)
        ax.text(k + 0.5, -0.58 * block_h, f"{T} × {d_head}", ha="center", va="center", color=ink,
                fontsize=12.0 if unit_pt < 75 else max(8.0, min(13.0, 0.3 * unit_pt)),
                rotation=90 if unit_pt < 75 else 0)
    ax.add_patch(Rectangle((0, -block_h), h, block_h, fill=False, edgecolor="black", lw=2.2))
    blocks = "$Z_0$" if h == 1 else "$Z_0$, $Z_1$" if h == 2 else f"$Z_0$ … $Z_{{{h - 1}}}$"
    _name_and_shape(ax, h / 2, 0, -block_h, f"concat({blocks})",
                    f"({T} × {h}·{d_head}) = ({T} × {h * d_head})")
    if tokens is not None:
        for i, t in enumerate(tokens):
            ax.annotate(t, (0, -(i + 0.5) * block_h / T), xytext=(-6, 0), textcoords="offset points", ha="right",
                        va="center", fontsize=min(13.0, 0.75 * block_h * unit_pt / T), annotation_clip=False)
    _operator(ax, h + gap / 2, -block_h / 2, "·")

    # W_O: rows h·d_head … (h+1)·d_head - 1 belong to head h
    x0 = h + gap
    for k in range(h):
        ax.add_patch(Rectangle((x0, -(k + 1)), wo_w, 1, facecolor=_lighter(colours[k]), edgecolor="#555555", lw=0.8))
        ax.text(x0 + 0.15, -(k + 0.5), f"rows {k * d_head}–{(k + 1) * d_head - 1}: head {k}", ha="left",
                va="center", fontsize=max(8.0, min(13.0, 0.42 * unit_pt)), color="black")
    ax.add_patch(Rectangle((x0, -h), wo_w, h, fill=False, edgecolor="black", lw=2.2))
    _name_and_shape(ax, x0 + wo_w / 2, 0, -h, "$W_O$", f"({h * d_head} × {d_model})")
    _operator(ax, x0 + wo_w + gap / 2, -block_h / 2, "=")

    # Z_f: every row mixes all the heads
    x1 = x0 + wo_w + gap
    ax.add_patch(Rectangle((x1, -block_h), wo_w, block_h, facecolor="#bdbdbd", edgecolor="black", lw=2.2))
    ax.text(x1 + wo_w / 2, -block_h / 2, f"{T} × {d_model}", ha="center", va="center", fontsize=14)
    _name_and_shape(ax, x1 + wo_w / 2, 0, -block_h, "$Z_f$", f"({T} × {d_model})")
    if tokens is not None:
        for i, t in enumerate(tokens):
            ax.annotate(t, (x1 + wo_w, -(i + 0.5) * block_h / T), xytext=(6, 0), textcoords="offset points",
                        ha="left", va="center", fontsize=min(13.0, 0.75 * block_h * unit_pt / T),
                        annotation_clip=False)
    heads = "1 head" if h == 1 else f"{h} heads side by side"
    fig.suptitle(heads + ", then $W_O$: concat · $W_O$ = $Z_f$", fontsize=SUPTITLE_SIZE, y=1 - 0.15 / H, va="top")
    return fig


ROADMAP = (
    # number, name, what it computes
    (0, "overview", "the road map"),
    (1, "embeddings", "tokens → X  (T × d_model)"),
    (2, "queries, keys, values", r"$q_i = x_i\,W_Q$, $k_i$, $v_i$"),
    (3, "scores and scaling", r"$q_i \cdot k_j \; / \, \sqrt{d_k}$"),
    (4, "softmax", "weights that sum to 1"),
    (5, "weighted sum", r"$z_i = \Sigma_j\, a_{ij}\, v_j$"),
    (6, "causal attention", "mask inside each head"),
    (7, "eight heads", r"$Z^0$ … $Z^7$"),
    (8, "concat and $W_O$", r"concat · $W_O$ = $Z_f$"),
    (9, "heads that learn", "train, then ablate"),
    (10, "transformer block", "residual, norm, FFN"),
    (11, "cost of attention", "time, memory ∝ T²"),
)


def plot_roadmap(highlight=None):
    """The road map: the slides' pipeline 01 → 08 (06 a decoder-only branch), then 09 … 11 (notebook 00).

    `highlight` is a notebook number (0 … 11) to emphasise, e.g. the notebook it is shown in.
    """
    numbers = [n for n, *_ in ROADMAP]
    if highlight is not None and (isinstance(highlight, bool) or not isinstance(highlight, (int, np.integer))
                                  or highlight not in numbers):
        raise ValueError(f"highlight must be a notebook number from 0 to {numbers[-1]}, got {highlight!r}")
    info = {n: (name, what) for n, name, what in ROADMAP}
    box_w, box_h, col_gap, row_gap = 2.7, 1.45, 0.4, 0.95  # 12.6 in, drawn at MAX_FIGURE_WIDTH
    ncols = 4
    fig_w = ncols * box_w + (ncols - 1) * col_gap + 0.6
    rows_y = [-1.25, -1.25 - box_h - row_gap, -1.25 - 2 * (box_h + row_gap) - 0.45]  # top of each row
    fig_h = -rows_y[2] + box_h + 0.35
    fig = plt.figure(figsize=fit_figsize(fig_w, fig_h, keep_aspect=True))  # drawn in fig_w units
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, fig_w)
    ax.set_ylim(-fig_h, 0)
    ax.set_axis_off()

    def pos(k):  # column k → left edge
        return 0.3 + k * (box_w + col_gap)

    def box(n, x, y_top, core):
        name, what = info[n]
        hot = n == highlight
        face = "#E69F00" if hot else ("#d5e8f6" if core else "#ececec")
        ax.add_patch(FancyBboxPatch((x, y_top - box_h), box_w, box_h, boxstyle="round,pad=0,rounding_size=0.12",
                                    facecolor=face, edgecolor="black" if hot else "#4d4d4d", lw=3.5 if hot else 1.5))
        ax.text(x + 0.14, y_top - 0.1, f"{n:02d}", ha="left", va="top", fontsize=22, fontweight="bold")
        if hot:
            ax.text(x + box_w - 0.14, y_top - 0.14, "you are here", ha="right", va="top", fontsize=13,
                    fontweight="bold")
        ax.text(x + box_w / 2, y_top - 0.78, name, ha="center", va="center", fontsize=15,
                fontweight="bold" if hot else "normal")
        ax.text(x + box_w / 2, y_top - box_h + 0.28, what, ha="center", va="center", fontsize=14)

    def arrow(xy_from, xy_to, style="-|>", **kw):
        ax.add_patch(FancyArrowPatch(xy_from, xy_to, arrowstyle=style, mutation_scale=22, lw=2.2, color="#333333",
                                     shrinkA=0, shrinkB=0, **kw))

    # the slides' pipeline, 01 … 05, 07, 08, read left to right; 06 (a decoder's causal mask) is a side branch
    # at the end of the second row: encoder layers do not mask
    places = {n: divmod(idx, ncols) for idx, n in enumerate((1, 2, 3, 4, 5, 7, 8, 6))}
    for n in range(1, 9):
        r, k = places[n]
        box(n, pos(k), rows_y[r], core=n != 6)
    for a, b in ((1, 2), (2, 3), (3, 4), (5, 7), (7, 8)):
        (r, k), y = places[a], rows_y[places[a][0]] - box_h / 2
        arrow((pos(k) + box_w + 0.06, y), (pos(places[b][1]) - 0.06, y))
    # 05 → 06: a dashed branch under 07 and 08, "decoder only"
    y_low = rows_y[1] - box_h - 0.32
    x05, x06 = pos(0) + box_w * 0.7, pos(3) + box_w / 2
    ax.plot([x05, x05, x06], [rows_y[1] - box_h - 0.04, y_low, y_low], color="#333333", lw=2.2, ls=(0, (4, 3)))
    arrow((x06, y_low), (x06, rows_y[1] - box_h - 0.06))
    ax.text((x05 + x06) / 2, y_low + 0.05, "decoder only: each head masks its scores", ha="center", va="bottom",
            fontsize=13, style="italic", color="#333333")
    # from 04 (end of row 1) down and back to 05 (start of row 2)
    y_mid = rows_y[0] - box_h - row_gap / 2
    x_from, x_to = pos(3) + box_w / 2, pos(0) + box_w / 2
    ax.plot([x_from, x_from, x_to], [rows_y[0] - box_h - 0.04, y_mid, y_mid], color="#333333", lw=2.2,
            solid_capstyle="butt")
    arrow((x_to, y_mid), (x_to, rows_y[1] + 0.06))
    # beyond the slides
    ax.text(0.3, rows_y[2] + 0.2, "beyond the slides: where they point next", ha="left", va="bottom", fontsize=16,
            style="italic", color="#333333")
    for k, n in enumerate((9, 10, 11)):
        box(n, pos(k), rows_y[2], core=False)
    ax.plot([0.3, fig_w - 0.3], [rows_y[2] + 0.75] * 2, color="#999999", lw=1.2, ls="--")
    # the title, with 00 (this overview) as the starting point
    hot0 = highlight == 0
    fig.suptitle("Road map of the series: the slides' pipeline, one notebook per step", x=0.3 / fig_w,
                 y=1 - 0.2 / fig_h, ha="left", va="top", fontsize=SUPTITLE_SIZE, fontweight="bold")
    ax.text(0.3, -0.72, "00 overview" + ("  ← you are here" if hot0 else "") + "  →  01 … 08 follow the slides",
            ha="left", va="top", fontsize=15, color="#8a5a00" if hot0 else "#333333",
            fontweight="bold" if hot0 else "normal")
    return fig


def plot_sentence_links(sentence, title=None, highlight_kind=None):
    """A sentence as a row of tokens with an arc for each relationship the slides point out (notebook 00).

    `sentence` is a helpers.data.Sentence (tokens and relationships); arcs go from the source token
    (the one that needs context, e.g. "they") to its target ("kids"), labelled with the kind. Words are
    numbered from 1 under the boxes, as the text of the series counts them.
    """
    tokens = list(sentence.tokens)
    rels = list(sentence.relationships)
    if not tokens:
        raise ValueError("the sentence has no tokens")
    T = len(tokens)
    for rel in rels:
        if not (0 <= rel.source < T and 0 <= rel.target < T):
            raise ValueError(f"relationship {rel} points outside the {T} tokens")
    widths = [max(len(t), 3) * 0.19 + 0.45 for t in tokens]  # box width per token, in data units
    gap = 0.25
    xs, x = [], 0.0
    for w in widths:
        xs.append(x + w / 2)
        x += w + gap
    total = x - gap
    kinds = sorted({rel.kind for rel in rels})
    colour = {k: OKABE_ITO[i % len(OKABE_ITO)] for i, k in enumerate(kinds)}
    fig_w = min(max(total * 0.9 + 0.6, 7.0), MAX_FIGURE_WIDTH)
    fig, ax = plt.subplots(figsize=(fig_w, 3.6))
    ax.set_xlim(-0.3, total + 0.3)
    ax.set_ylim(-0.7, 2.6)
    ax.set_axis_off()
    involved = {i for rel in rels for i in (rel.source, rel.target)}
    for i, (cx, w, tok) in enumerate(zip(xs, widths, tokens)):
        ax.add_patch(FancyBboxPatch((cx - w / 2, -0.3), w, 0.6, boxstyle="round,pad=0,rounding_size=0.08",
                                    facecolor="#fff3d6" if i in involved else "#f2f2f2", edgecolor="#4d4d4d", lw=1.2))
        ax.text(cx, 0.0, tok, ha="center", va="center", fontsize=FONT_SIZE + 1,
                fontweight="bold" if i in involved else "normal")
        ax.text(cx, -0.5, str(i + 1), ha="center", va="center", fontsize=TICK_SIZE - 2, color="#666666")  # words from 1
    top = 0.6
    for rel in rels:
        x0, x1 = xs[rel.source], xs[rel.target]
        rad = -0.5 if x1 > x0 else 0.5  # always bend upwards
        apex = 0.32 + 0.5 * abs(rad) * abs(x1 - x0)  # a quadratic arc rises to half its control point
        top = max(top, apex + 0.45)
        faded = highlight_kind is not None and rel.kind != highlight_kind
        alpha = 0.3 if faded else 1.0
        ax.add_patch(FancyArrowPatch((x0, 0.32), (x1, 0.32), connectionstyle=f"arc3,rad={rad}",
                                     arrowstyle="-|>", mutation_scale=20, lw=2.5, color=colour[rel.kind],
                                     alpha=alpha))
        ax.text((x0 + x1) / 2, apex, rel.kind, ha="center", va="center", fontsize=TICK_SIZE,
                color=colour[rel.kind], alpha=alpha, bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0})
    ax.set_ylim(-0.7, top)
    fig.set_size_inches(fig_w, 1.2 + 0.55 * (top + 0.7))
    ax.set_title(title if title is not None else f"\u201c{sentence.text}\u201d", fontsize=TITLE_SIZE)
    return fig


def _terms(terms):
    """Names and 2-D finite matrices from a list of (name, matrix) pairs, or ValueError."""
    if isinstance(terms, (str, np.ndarray)) or not hasattr(terms, "__len__") or len(terms) == 0:
        raise ValueError("terms must be a non-empty list of (name, matrix) pairs")
    names, mats = [], []
    for k, term in enumerate(terms):
        if isinstance(term, (str, np.ndarray)) or not hasattr(term, "__len__") or len(term) != 2:
            raise ValueError(f"term {k} must be a (name, matrix) pair, got {type(term).__name__}")
        name, M = term
        names.append(str(name))
        mats.append(as_matrix(M, f"{name} (term {k})"))
    return names, mats


def _check_chain(names, mats, ops):
    """ValueError when a "·" joins matrices whose inner dimensions differ, or "=" / "+" joins different shapes."""
    shape, label = mats[0].shape, names[0]
    for op, name, M in zip(ops, names[1:], mats[1:]):
        if op in ("·", "@", "×", "*"):
            if shape[1] != M.shape[0]:
                raise ValueError(
                    f"cannot multiply {label} of shape {shape} by {name} of shape {M.shape}: "
                    f"inner dimensions {shape[1]} and {M.shape[0]} differ"
                )
            shape, label = (shape[0], M.shape[1]), f"{label} {op} {name}"
        elif op in ("=", "+", "-", "−"):
            if shape != M.shape:
                raise ValueError(f"{label} has shape {shape} but {name} has shape {M.shape}: '{op}' needs equal shapes")
            shape, label = M.shape, name
        else:
            shape, label = M.shape, name  # another symbol: nothing to check


def _display(n):
    """Drawn length of a side of n cells: n up to 16, then shortened as 16·√(n/16)."""
    return float(n) if n <= 16 else 16.0 * math.sqrt(n / 16.0)


def _head_colours(n_heads):
    """One colour per head: Okabe–Ito up to 8 heads, then samples of viridis."""
    if n_heads <= len(OKABE_ITO):
        return list(OKABE_ITO[:n_heads])
    return [mcolors.to_hex(c) for c in plt.get_cmap("viridis")(np.linspace(0, 1, n_heads))]


def _lighter(colour, amount=0.55):
    """`colour` mixed with white."""
    r, g, b = mcolors.to_rgb(colour)
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount)


def _pretty(name):
    """A symbol such as W_Q, W_O^h or Z_f typeset as mathtext ($W_Q$); any other name unchanged."""
    if re.fullmatch(r"[A-Za-z](_\{?[A-Za-z0-9]+\}?)?(\^\{?[A-Za-z0-9()]+\}?)?", name):
        return f"${name}$"
    return name


def _operator(ax, x, y, op):
    """An operator between two blocks; "·" is drawn as a round dot."""
    if op == "·":
        ax.plot([x], [y], "o", color="black", markersize=7, clip_on=False)
    else:
        ax.text(x, y, op, ha="center", va="center", fontsize=30, fontweight="bold")


def _name_and_shape(ax, x, y_top, y_bottom, name, shape):
    """A block's name above it and its shape below it."""
    ax.annotate(name, (x, y_top), xytext=(0, 8), textcoords="offset points", ha="center", va="bottom",
                fontsize=18, annotation_clip=False)
    ax.annotate(shape, (x, y_bottom), xytext=(0, -8), textcoords="offset points", ha="center", va="top",
                fontsize=15, color="#333333", annotation_clip=False)


# ---------------------------------------------------------------- figure


def plot_transformer_block(norm_first=False, ax=None, title=None):
    """Figure 1 of the paper as boxes: embedding + PE, then [attention, Add & Norm, FFN, Add & Norm] × N (notebook 10).

    The multi-head attention box (notebooks 02–08) is highlighted; norm_first=True draws the pre-norm
    variant (a layer norm before each sublayer, the residual added after it). Returns the Axes.
    """
    import matplotlib.pyplot as plt  # only this figure needs matplotlib
    from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 10.5), layout="constrained")
    ax.set_xlim(-5.6, 5.0)
    ax.set_ylim(-0.7, 13.3)  # room for the final layer norm of the pre-norm stack (same scale side by side)
    ax.set_aspect("equal")
    ax.set_axis_off()
    w, h, r = 4.4, 0.85, 0.24  # box width, box height, radius of a "+" circle
    ink, skip = "#333333", "#D55E00"

    def box(x, y, text, face, width=w, bold=False, edge=ink, lw=1.6, size=15):
        ax.add_patch(FancyBboxPatch((x - width / 2, y - h / 2), width, h, boxstyle="round,pad=0,rounding_size=0.15",
                                    facecolor=face, edgecolor=edge, lw=lw))
        ax.text(x, y, text, ha="center", va="center", fontsize=size, fontweight="bold" if bold else "normal")

    def plus(y, colour):
        ax.add_patch(Circle((0, y), r, facecolor="white", edgecolor=colour, lw=2.0))
        ax.text(0, y, "+", ha="center", va="center", fontsize=17, color=colour)

    def arrow(p, q, colour=ink):
        ax.add_patch(FancyArrowPatch(p, q, arrowstyle="-|>", mutation_scale=20, lw=2.0, color=colour,
                                     shrinkA=0, shrinkB=0))

    # below the block: tokens -> embedding X, + positional encoding
    ax.text(0, -0.35, "tokens: “The kids were scared …”", ha="center", va="center", fontsize=14)
    arrow((0, -0.05), (0, 1.0 - h / 2))
    box(0, 1.0, "input embedding X", "#dddddd")
    arrow((0, 1.0 + h / 2), (0, 2.35 - r))
    plus(2.35, ink)
    box(-3.95, 2.35, "positional\nencoding", "#e3bfd6", width=2.9, size=13)
    arrow((-2.5, 2.35), (-r, 2.35))
    ax.text(0.2, 3.0, "(T, d_model)", ha="left", va="center", fontsize=12, color=ink)
    # the block, repeated N times
    ax.add_patch(Rectangle((-3.55, 3.45), 7.1, 7.2, facecolor="#f4f4f4", edgecolor="#666666", lw=1.5, ls="--",
                           zorder=-1))
    n_label = "× N" if norm_first else "× N\n(N = 6\nin the\npaper)"  # the paper's stack is post-norm
    ax.text(3.7, 7.0, n_label, ha="left", va="center", fontsize=14)
    mha = ("box", "multi-head attention", "#E69F00")
    ffn = ("box", "feed forward", "#56B4E9")
    if norm_first:
        stages = [("box", "layer norm", "#F0E442"), mha, ("plus",), ("box", "layer norm", "#F0E442"), ffn, ("plus",)]
        ys = [4.3, 5.55, 6.55, 7.75, 9.0, 10.0]
        skips = [(0, 2), (2, 5)]  # residual from below stage a to stage b
        label = "pre-norm (most modern models)"
    else:
        stages = [mha, ("box", "Add & Norm", "#F0E442"), ffn, ("box", "Add & Norm", "#F0E442")]
        ys = [4.65, 6.0, 7.75, 9.1]
        skips = [(0, 1), (1, 3)]
        label = "post-norm (the paper)"

    def bottom(k):
        return ys[k] - (r if stages[k][0] == "plus" else h / 2)

    def top(k):
        return ys[k] + (r if stages[k][0] == "plus" else h / 2)

    arrow((0, 2.35 + r), (0, bottom(0)))
    for k, stage in enumerate(stages):
        if stage[0] == "plus":
            plus(ys[k], skip)
        else:
            hot = stage is mha
            if hot:  # the part notebooks 02–08 built
                box(0, ys[k], "", stage[2], edge="black", lw=3.0)
                ax.text(0, ys[k] + 0.14, stage[1], ha="center", va="center", fontsize=15, fontweight="bold")
                ax.text(0, ys[k] - 0.22, "notebooks 02–08", ha="center", va="center", fontsize=11, style="italic")
            else:
                box(0, ys[k], stage[1], stage[2])
        if k + 1 < len(stages):
            arrow((0, top(k)), (0, bottom(k + 1)))
    x_skip = -w / 2 - 0.6
    for a, b in skips:
        y_from = bottom(a) - 0.3 if a == 0 else top(a) + 0.3
        x_end = -r if stages[b][0] == "plus" else -w / 2
        ax.plot([0, x_skip, x_skip], [y_from, y_from, ys[b]], color=skip, lw=2.4)
        ax.add_patch(Circle((0, y_from), 0.08, color=skip))  # where the stream branches
        arrow((x_skip, ys[b]), (x_end, ys[b]), colour=skip)
    ax.text(x_skip - 0.1, (ys[0] + ys[1]) / 2, "residual", ha="right", va="center", fontsize=12, color=skip,
            rotation=90)
    arrow((0, top(len(stages) - 1)), (0, 11.2))
    ax.text(0, 11.5, "Y (T, d_model): input of the next block", ha="center", va="center", fontsize=14)
    if norm_first:  # pre-norm stacks end with one more layer norm, after the last block only
        arrow((0, 11.75), (0, 12.6 - h / 2))
        box(0, 12.6, "final layer norm", "#F0E442")
        ax.text(w / 2 + 0.15, 12.6, "once, after\nblock N", ha="left", va="center", fontsize=12, color=ink)
    ax.text(-3.45, 10.4, label, ha="left", va="center", fontsize=12, color=ink)
    ax.set_title("One transformer block (Figure 1, encoder side)" if title is None else title)
    return ax
