"""One head at a time, and what the number of heads changes: the functions behind notebooks 07 and 08.

The math functions are pure; the widgets of notebooks 07 (a head chooser, `head_explorer`) and
08 (a heads-count chooser) only call them and redraw. Head h (an index, 0 … n_heads - 1) owns the
columns h·d_head … (h+1)·d_head - 1 of W_q, W_k, W_v and the rows h·d_head … (h+1)·d_head - 1 of
W_o, as in attention.head_weights and attention.output_weights_per_head.
"""

import functools
import math
from typing import NamedTuple

import numpy as np

from .._validate import (
    as_float_array,
    as_square_weights,
    as_tokens,
    check_head_index,
    check_heads_divide,
    check_positive_int,
    check_projections,
    check_top_k,
)
from ..core import count_parameters, scaled_dot_product_attention
from ..show.style import format_number
from ..show.tables import Table

__all__ = [
    "head_attention",
    "head_contributions",
    "head_counts",
    "head_explorer",
    "heads_config",
    "heads_count_explorer",
    "heads_table",
    "HeadsConfig",
    "HeadView",
    "shape_walk",
    "shape_walk_table",
    "show_head",
    "Step",
    "top_attended",
    "top_attended_table",
]

# ---------------------------------------------------------------- one head (notebook 07)


class HeadView(NamedTuple):
    """What one head computes: Q_h, K_h, V_h (..., T, d_head), A_h (..., T, T), Z_h (..., T, d_head)."""

    Q: np.ndarray
    K: np.ndarray
    V: np.ndarray
    A: np.ndarray
    Z: np.ndarray


def head_attention(X, W_q, W_k, W_v, n_heads, head):
    """Head h alone: Q_h = X W_Q^h, …, A_h = softmax(Q_h K_hᵀ / √d_head), Z_h = A_h V_h (notebook 07).

    X (..., T, d_model); W_q, W_k, W_v (d_model, d_model); head in 0 … n_heads - 1.
    W_Q^h is the block of columns h·d_head … (h+1)·d_head - 1 of W_q, d_head = d_model // n_heads.
    """
    X = as_float_array(X, "X", min_ndim=2)
    d_model = X.shape[-1]
    Ws = check_projections(X, {"W_q": W_q, "W_k": W_k, "W_v": W_v})
    d_head = check_heads_divide(d_model, n_heads, f"X of shape {X.shape}")
    head = check_head_index(head, n_heads)
    cols = slice(head * d_head, (head + 1) * d_head)
    # (..., T, d_model) @ (d_model, d_head) -> (..., T, d_head), for each of W_Q^h, W_K^h, W_V^h
    Q, K, V = (X @ W[:, cols] for W in Ws)
    Z, A = scaled_dot_product_attention(Q, K, V)  # (..., T, d_head), (..., T, T); divides by √d_head
    return HeadView(Q, K, V, A, Z)


def top_attended(A, k=2):
    """For each query word i, the k key words j with the largest weights A[i, j], largest first (notebook 07).

    A (T, T) attention weights; returns (indices (T, k) int, weights (T, k)). Equal weights keep
    the earlier word first.
    """
    A = as_square_weights(A)
    T = A.shape[0]
    k = check_top_k(k, T)
    order = np.argsort(-A, axis=-1, kind="stable")[:, :k]  # (T, k): stable, so ties keep word order
    return order, np.take_along_axis(A, order, axis=-1)  # (T, k) int, (T, k)


def top_attended_table(A, tokens, k=2, title=None, decimals=2):
    """The words each query word looks at most, as a Table: query word | 1st | 2nd | … (notebook 07)."""
    A = as_square_weights(A)
    T = A.shape[0]
    tokens = as_tokens(tokens, T, f"A of shape {A.shape}")
    order, weights = top_attended(A, k)
    k = order.shape[1]
    headers = ["query word i"] + [f"{_ordinal(r + 1)} most attended" for r in range(k)]
    rows = []
    for i in range(T):
        cells = [f"{tokens[int(j)]} ({format_number(w, decimals)})" for j, w in zip(order[i], weights[i])]
        rows.append([tokens[i]] + cells)
    if title is None:
        title = "where each word looks: key word j (weight A[i, j])"
    return Table(headers, rows, title=title)


# ---------------------------------------------------------------- the number of heads (notebooks 07, 08)


class HeadsConfig(NamedTuple):
    """Sizes of one multi-head attention layer with d_model fixed (notebooks 07, 08).

    qkv_per_head = 3 · d_model · d_head (W_Q^h, W_K^h, W_V^h), qkv = n_heads · qkv_per_head,
    w_o = (n_heads · d_head) · d_model, total = qkv + w_o.
    """

    d_model: int
    n_heads: int
    d_head: int
    qkv_per_head: int
    qkv: int
    w_o: int
    total: int


def heads_config(d_model, n_heads):
    """Head size and weight counts of n_heads heads with d_model fixed: d_head = d_model / n_heads (notebook 08)."""
    d_model = check_positive_int(d_model, "d_model")
    d_head = check_heads_divide(d_model, n_heads, f"d_model = {d_model}")
    n_heads = int(n_heads)
    qkv_per_head = 3 * d_model * d_head  # W_Q^h, W_K^h, W_V^h, each (d_model, d_head)
    qkv = n_heads * qkv_per_head
    w_o = (n_heads * d_head) * d_model  # W_O: (n_heads · d_head, d_model)
    return HeadsConfig(d_model, n_heads, d_head, qkv_per_head, qkv, w_o, count_parameters(d_model, n_heads))


def head_counts(d_model, max_heads=None):
    """The numbers of heads that split d_model evenly (its divisors), up to max_heads, ascending (notebook 08)."""
    d_model = check_positive_int(d_model, "d_model")
    limit = d_model if max_heads is None else check_positive_int(max_heads, "max_heads")
    small = [h for h in range(1, math.isqrt(d_model) + 1) if d_model % h == 0]
    divisors = sorted(set(small + [d_model // h for h in small]))
    return [h for h in divisors if h <= limit]


def heads_table(d_model, n_heads_list, highlight=None, title=None):
    """One row per number of heads, d_model fixed: d_head, weight shapes and counts (notebooks 07, 08).

    `highlight` (optional) is the number of heads whose row is highlighted.
    """
    d_model = check_positive_int(d_model, "d_model")
    if isinstance(n_heads_list, (str, bytes)) or not hasattr(n_heads_list, "__iter__"):
        raise ValueError(f"n_heads_list must be a list of head counts, got {n_heads_list!r}")
    configs = [heads_config(d_model, h) for h in n_heads_list]
    if not configs:
        raise ValueError("n_heads_list is empty: give at least one number of heads")
    headers = ["n_heads", "d_head", "W_Q^h, W_K^h, W_V^h", "q/k/v weights per head", "q/k/v weights, all heads",
               "W_O", "W_O weights", "total weights"]
    rows, highlight_row = [], None
    for r, c in enumerate(configs):
        if highlight is not None and c.n_heads == highlight:
            highlight_row = r
        rows.append([str(c.n_heads), str(c.d_head), f"{c.n_heads} × ({c.d_model}, {c.d_head})",
                     f"{c.qkv_per_head:,}", f"{c.qkv:,}", f"({c.n_heads * c.d_head}, {c.d_model})",
                     f"{c.w_o:,}", f"{c.total:,}"])
    if highlight is not None and highlight_row is None:
        raise ValueError(f"highlight = {highlight!r} is not one of the head counts {[c.n_heads for c in configs]}")
    if title is None:
        title = f"d_model = {d_model} fixed: more heads, each narrower, the same number of weights"
    return Table(headers, rows, title=title, highlight_row=highlight_row)


class Step(NamedTuple):
    """One step of multi-head attention: its name, the slides' symbol, the array's shape, the notebook (notebook 08)."""

    name: str
    symbol: str
    shape: tuple
    notebook: str


_SUPERSCRIPT_DIGITS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def shape_walk(T, d_model, n_heads):
    """The shapes of multi-head attention end to end, X (T, d_model) → … → Z_f (T, d_model) (notebook 08)."""
    T = check_positive_int(T, "T")
    d_model = check_positive_int(d_model, "d_model")
    d_head = check_heads_divide(d_model, n_heads, f"d_model = {d_model}")
    h = int(n_heads)
    # heads as superscripts, counted from 0, as in the notebooks' text (issue #11): Zʰ, Z⁰ … Z⁷
    last = str(h - 1).translate(_SUPERSCRIPT_DIGITS)
    concat = "(Z⁰)" if h == 1 else "(Z⁰ Z¹)" if h == 2 else f"(Z⁰ … Z{last})"
    return (
        Step("embeddings", "X", (T, d_model), "01"),
        Step("queries (keys, values alike)", "Q = X W_Q", (T, d_model), "02"),
        Step("split into heads", "Qʰ, Kʰ, Vʰ", (h, T, d_head), "07"),
        Step("scaled scores", "Sʰ = Qʰ (Kʰ)ᵀ / √d_k", (h, T, T), "03"),
        Step("softmax", "Aʰ = softmax(Sʰ)", (h, T, T), "04"),
        Step("weighted sum", "Zʰ = Aʰ Vʰ", (h, T, d_head), "05"),
        Step("concat", concat, (T, h * d_head), "08"),
        Step("output projection", "Z_f = concat · W_O", (T, d_model), "08"),
    )


def shape_walk_table(T, d_model, n_heads, title=None):
    """shape_walk as a Table: step | symbol | shape | built in notebook (notebook 08)."""
    steps = shape_walk(T, d_model, n_heads)
    rows = [[s.name, s.symbol, "(" + ", ".join(str(n) for n in s.shape) + ")", s.notebook] for s in steps]
    if title is None:
        d_head = steps[2].shape[-1]
        title = f"shapes end to end: T = {T}, d_model = {d_model}, n_heads = {n_heads}, d_head = {d_head}"
    return Table(["step", "symbol", "shape", "notebook"], rows, title=title)


# ---------------------------------------------------------------- W_O, head by head (notebook 08)


def head_contributions(Zh, W_o):
    """Each head's share Z_h W_O^h of Z_f, (..., n_heads, T, d_model); summed over heads: concat · W_O (notebook 08).

    Zh (..., n_heads, T, d_head); W_o (n_heads · d_head, d_model), whose rows h·d_head … (h+1)·d_head - 1
    are W_O^h (h = the head's index).
    """
    Zh = as_float_array(Zh, "Zh", min_ndim=3)
    W_o = as_float_array(W_o, "W_o", ndim=2)
    *batch, n_heads, T, d_head = Zh.shape
    if W_o.shape[0] != n_heads * d_head:
        raise ValueError(
            f"W_o of shape {W_o.shape} must have n_heads · d_head = {n_heads} · {d_head} = {n_heads * d_head} rows "
            f"for Zh of shape {Zh.shape} (..., n_heads, T, d_head)"
        )
    W_o_h = W_o.reshape(n_heads, d_head, W_o.shape[1])  # (n_heads, d_head, d_model): the row blocks W_O^h
    return Zh @ W_o_h  # (..., n_heads, T, d_head) @ (n_heads, d_head, d_model) -> (..., n_heads, T, d_model)


# ---------------------------------------------------------------- the head chooser (notebook 07)


def show_head(X, tokens, W_q, W_k, W_v, n_heads, head, k=2):
    """Draw head h's weights A_h and show the k words each word looks at most; return its HeadView (notebook 07)."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    from ..show.figures import plot_attention

    view = head_attention(X, W_q, W_k, W_v, n_heads, head)  # Q, K, V, A, Z of head h
    plot_attention(view.A, tokens, title=f"head {head}: A_{head} (untrained)")
    plt.show()
    display(top_attended_table(view.A, tokens, k=k))
    return view


def head_explorer(sentence_ids, W_q, W_k, W_v, n_heads, sentence=None, head=0):
    """A sentence menu and head buttons that redraw head h's weights in place (notebook 07).

    sentence_ids maps a menu label to a helpers.get_sentence id; `sentence` is the label shown
    first (default: the first one). Under the map, the words each word looks at most. The figure is
    a helpers.LiveFigure (600 × 480 px, redrawn in place). Returns an ipywidgets.VBox.
    """
    import ipywidgets as widgets

    from ..data import embed, get_sentence

    if not isinstance(sentence_ids, dict) or not sentence_ids:
        raise ValueError(f"sentence_ids must be a non-empty dict {{menu label: sentence id}}, got {sentence_ids!r}")
    if sentence is None:
        sentence = next(iter(sentence_ids))
    if sentence not in sentence_ids:
        raise ValueError(f"sentence = {sentence!r} is not one of the menu labels {list(sentence_ids)}")
    d_model = as_float_array(W_q, "W_q", ndim=2).shape[0]
    words = {label: list(get_sentence(sid).tokens) for label, sid in sentence_ids.items()}
    X_of = {label: embed(words[label], d_model) for label in words}  # (T, d_model): embedded once, not per redraw
    # bad shapes or head: ValueError now, not in the widget
    head_attention(X_of[sentence], W_q, W_k, W_v, n_heads, head)

    from ..show.live import LiveFigure, LiveHeatmap

    menu = widgets.Dropdown(options=list(sentence_ids), value=sentence, description="sentence",
                            layout=widgets.Layout(width="420px"))
    buttons = widgets.ToggleButtons(options=list(range(int(n_heads))), value=int(head), description="head",
                                    style={"button_width": "42px"})
    live = LiveFigure(width=600, height=480)
    live.figure.subplots_adjust(left=0.17, right=0.87, bottom=0.17, top=0.93)
    heat = LiveHeatmap(live.figure.add_subplot(), xlabel="key word j", ylabel="query word i",
                       colorbar_label="weight", live=live)

    @functools.lru_cache(maxsize=None)
    def computed(sentence, head):  # head h's weights A_h (T, T) and the words each word looks at most
        A = head_attention(X_of[sentence], W_q, W_k, W_v, n_heads, head).A
        return A, top_attended_table(A, words[sentence], k=2)

    for label in sentence_ids:  # every sentence and head now (a few ms): a move then only draws
        for h in range(int(n_heads)):
            computed(label, h)

    def update(sentence, head):  # head h's weights A_h in place, the words each word looks at most under them
        A, table = computed(sentence, head)
        live.layout(sentence)  # ticks and labels depend on the sentence only: its background is kept
        heat.show(A, words[sentence], words[sentence], title=f"head {head}: A_{head} (untrained)")
        return table

    live.connect(update, sentence=menu, head=buttons)
    return widgets.VBox([menu, buttons, live])


def heads_count_explorer(T, d_model, counts, n_heads, tokens=None, width=880):
    """The n_heads slider of notebook 08: the concat diagram, d_head, the weight count and the shape walk.

    Every diagram (helpers.plot_concat_shapes, one per entry of counts) is drawn once, here, when the
    cell runs; moving the slider only swaps the picture and the text, so a move costs no drawing at
    all. Returns an ipywidgets.VBox: the slider, the picture (width px wide), the text and table.
    """
    import io

    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from ..show.diagrams import plot_concat_shapes

    counts = [check_positive_int(c, "n_heads") for c in counts]
    if n_heads not in counts:
        raise ValueError(f"n_heads = {n_heads!r} must be one of counts {counts}")
    pictures, sizes = {}, []
    for h in counts:
        c = heads_config(d_model, h)
        fig = plot_concat_shapes(T, c.n_heads, c.d_head, d_model, tokens=tokens)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=72)
        sizes.append(fig.get_size_inches())
        plt.close(fig)  # drawn once at build time, never shown by pyplot
        pictures[h] = buffer.getvalue()
    aspect = max(h / w for w, h in sizes)
    slider = widgets.SelectionSlider(options=counts, value=n_heads, description="n_heads",
                                     layout=widgets.Layout(width="420px"))
    image = widgets.Image(format="png", layout=widgets.Layout(
        width=f"{width}px", height=f"{round(width * aspect)}px", object_fit="contain"))
    text = widgets.HTML()

    def show(_change=None):  # any thread: two assignments, each a whole picture or a whole text
        h = slider.value
        c = heads_config(d_model, h)
        image.value = pictures[h]
        text.value = (f'<pre style="margin:0">d_head = {d_model} / {h} = {c.d_head};  weights: {c.total:,}</pre>'
                      + shape_walk_table(T, d_model, h)._repr_html_())

    show()
    slider.observe(show, names="value")
    return widgets.VBox([slider, image, text])


def _ordinal(n):
    """1st, 2nd, 3rd, 4th, … 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
