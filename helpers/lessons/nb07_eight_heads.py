"""One head at a time, and what the number of heads changes: the functions behind notebooks 07 and 08.

The math functions are pure; the widgets of notebooks 07 (a head chooser, `head_explorer`) and
08 (a heads-count chooser) only call them and redraw. Head h (an index, 0 … n_heads - 1) owns the
columns h·d_head … (h+1)·d_head - 1 of W_q, W_k, W_v and the rows h·d_head … (h+1)·d_head - 1 of
W_o, as in attention.head_weights and attention.output_weights_per_head.
"""

import math
from typing import NamedTuple

import numpy as np

from .._validate import as_float_array, check_heads_divide, check_positive_int, check_projections
from ..core import scaled_dot_product_attention
from ..show.style import format_number
from ..show.tables import Table

__all__ = [
    "head_attention",
    "head_contributions",
    "head_counts",
    "head_explorer",
    "heads_config",
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
    head = _head_index(head, n_heads)
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
    A = _attention_matrix(A)
    T = A.shape[0]
    k = _top_k(k, T)
    order = np.argsort(-A, axis=-1, kind="stable")[:, :k]  # (T, k): stable, so ties keep word order
    return order, np.take_along_axis(A, order, axis=-1)  # (T, k) int, (T, k)


def top_attended_table(A, tokens, k=2, title=None, decimals=2):
    """The words each query word looks at most, as a Table: query word | 1st | 2nd | … (notebook 07)."""
    A = _attention_matrix(A)
    T = A.shape[0]
    tokens = _tokens(tokens, T, f"A of shape {A.shape}")
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
    """Head size and weight counts of a layer with n_heads heads and d_model fixed, d_head = d_model / n_heads (notebook 08)."""
    d_model = check_positive_int(d_model, "d_model")
    d_head = check_heads_divide(d_model, n_heads, f"d_model = {d_model}")
    n_heads = int(n_heads)
    qkv_per_head = 3 * d_model * d_head  # W_Q^h, W_K^h, W_V^h, each (d_model, d_head)
    qkv = n_heads * qkv_per_head
    w_o = (n_heads * d_head) * d_model  # W_O: (n_heads · d_head, d_model)
    return HeadsConfig(d_model, n_heads, d_head, qkv_per_head, qkv, w_o, qkv + w_o)


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
    """Each head's share of Z_f: Z_h W_O^h, shape (..., n_heads, T, d_model); summed over heads, concat · W_O (notebook 08).

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
    """A sentence menu and head buttons that redraw show_head in place (notebook 07).

    sentence_ids maps a menu label to a helpers.get_sentence id; `sentence` is the label shown
    first (default: the first one). Returns an ipywidgets.VBox.
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
    head_attention(X_of[sentence], W_q, W_k, W_v, n_heads, head)  # bad shapes or head: ValueError now, not in the widget

    def draw(sentence, head):
        show_head(X_of[sentence], words[sentence], W_q, W_k, W_v, n_heads, head)

    menu = widgets.Dropdown(options=list(sentence_ids), value=sentence, description="sentence",
                            layout=widgets.Layout(width="420px"))
    buttons = widgets.ToggleButtons(options=list(range(int(n_heads))), value=int(head), description="head",
                                    style={"button_width": "42px"})
    return widgets.VBox([menu, buttons, widgets.interactive_output(draw, {"sentence": menu, "head": buttons})])


# ---------------------------------------------------------------- input checks


def _head_index(head, n_heads):
    """head as an int in 0 … n_heads - 1, or ValueError."""
    if isinstance(head, (bool, np.bool_)) or not isinstance(head, (int, np.integer)):
        raise ValueError(f"head must be an integer from 0 to n_heads - 1 = {n_heads - 1}, got {head!r}")
    if not 0 <= head < n_heads:
        raise ValueError(f"head = {head} does not exist: with n_heads = {n_heads} the heads are 0 … {n_heads - 1}")
    return int(head)


def _attention_matrix(A):
    """A as a square 2-D float array of weights, or ValueError naming its shape."""
    A = as_float_array(A, "A", ndim=2)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square (T, T), one row per query word and one column per key word, got {A.shape}")
    return A


def _top_k(k, T):
    """k as an int in 1 … T, or ValueError."""
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or not 1 <= k <= T:
        raise ValueError(f"k must be an integer from 1 to T = {T} (the number of words), got {k!r}")
    return int(k)


def _tokens(tokens, T, what):
    """tokens as a list of T strings, or ValueError."""
    if isinstance(tokens, str):
        raise ValueError(f"tokens must be a list of {T} words, got the single string {tokens!r}")
    try:
        tokens = [str(t) for t in tokens]
    except TypeError:
        raise ValueError(f"tokens must be a list of {T} words, got {type(tokens).__name__}") from None
    if len(tokens) != T:
        raise ValueError(f"tokens has {len(tokens)} words but {what} needs T = {T}")
    return tokens


def _ordinal(n):
    """1st, 2nd, 3rd, 4th, … 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
