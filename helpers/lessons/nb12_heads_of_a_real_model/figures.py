"""Notebook 12's figures and its explorer widget: one head's map and arcs, the map of head roles.

No pyplot: every figure is a matplotlib Figure drawn with the Agg canvas, safe inside widgets.
"""

import numpy as np

from .evaluation import KEY_ROLES

__all__ = [
    "draw_head",
    "draw_head_roles",
    "figure_png",
    "pretrained_explorer",
]


# ---------------------------------------------------------------- figures (no pyplot: safe in widgets)
def draw_head(fig, result, layer, head=None, query=None):
    """Draw one head's attention map and its arcs on `fig` (a matplotlib Figure), or the layer's 12 heads.

    With head=None, the 12 heads of the layer are drawn as a grid. Returns fig. Tested without a browser;
    the widget only calls it.
    """
    n_layers, n_heads, T, _ = result.A.shape
    if not (isinstance(layer, (int, np.integer)) and 0 <= layer < n_layers):
        raise ValueError(f"layer must be an integer in 0..{n_layers - 1}, got {layer!r}")
    if head is not None and not (isinstance(head, (int, np.integer)) and 0 <= head < n_heads):
        raise ValueError(f"head must be None or an integer in 0..{n_heads - 1}, got {head!r}")
    fig.clear()
    toks = result.tokens
    if head is None:
        axes = fig.subplots(3, 4)
        for h, ax in enumerate(axes.flat):
            ax.imshow(result.A[layer, h], cmap="viridis", vmin=0, vmax=1)
            ax.set_title(f"layer {layer}, head {h}", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
        fig.suptitle(f"all {n_heads} heads of layer {layer} (rows: query token, columns: key token)", fontsize=10)
        return fig
    ax_map, ax_arc = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.4]})
    M = result.A[layer, head]
    im = ax_map.imshow(M, cmap="viridis", vmin=0, vmax=1)
    ax_map.set_xticks(range(T))
    ax_map.set_yticks(range(T))
    size = 8 if T <= 20 else 6
    ax_map.set_xticklabels(toks, rotation=90, fontsize=size)
    ax_map.set_yticklabels(toks, fontsize=size)
    ax_map.set_title(f"layer {layer}, head {head}", fontsize=10)
    fig.colorbar(im, ax=ax_map, fraction=0.046, pad=0.04)
    _draw_arcs(ax_arc, M, toks, query)
    return fig


ROLE_COLOURS = ("#0072B2", "#56B4E9", "#999999", "#E69F00", "#D55E00", "#CC79A7", "#009E73")  # one per KEY_ROLES


def draw_head_roles(ax, roles):
    """The one-figure map of the model: each head coloured by its largest key role, with that share.

    ax: a matplotlib Axes; roles (n_layers, n_heads, 7) from key_role_shares, in the order of KEY_ROLES.
    Returns main_role (n_layers, n_heads), the index into KEY_ROLES drawn in each cell.
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    roles = np.asarray(roles, dtype=np.float64)
    if roles.ndim != 3 or roles.shape[-1] != len(KEY_ROLES):
        raise ValueError(f"roles must have shape (n_layers, n_heads, {len(KEY_ROLES)}), got {roles.shape}")
    main_role = roles.argmax(axis=-1)  # (n_layers, n_heads)
    n_layers, n_heads = main_role.shape
    ax.imshow(main_role, cmap=ListedColormap(ROLE_COLOURS), vmin=-0.5, vmax=len(ROLE_COLOURS) - 0.5)
    for l in range(n_layers):
        for h in range(n_heads):
            ax.text(h, l, f"{roles[l, h, main_role[l, h]]:.2f}", ha="center", va="center", fontsize=9, color="black")
    ax.set_xticks(range(n_heads))
    ax.set_yticks(range(n_layers))
    ax.set_xlabel("head")
    ax.set_ylabel("layer")
    ax.set_title("what each head mostly looks at (number: that share of its weight)")
    ax.legend(handles=[Patch(color=c, label=n) for c, n in zip(ROLE_COLOURS, KEY_ROLES)],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    return main_role


def _draw_arcs(ax, M, toks, query=None, threshold=0.3):
    """Tokens on a line; an arc from each query to every key it gives ≥ threshold (alpha = weight)."""
    T = len(toks)
    rows = range(T) if query is None else [query]
    spans = [abs(i - j) for i in rows for j in range(T) if i != j and M[i, j] >= threshold]
    ax.set_xlim(-0.5, T - 0.5)
    ax.set_ylim(-0.3 * max(T, 4) / 4, 0.3 * max(spans, default=1) + 0.3)
    for j, t in enumerate(toks):
        ax.text(j, -0.1, t, rotation=90, ha="center", va="top", fontsize=8 if T <= 20 else 6)
    for i in rows:
        for j in range(T):
            w = float(M[i, j])
            if i == j or w < threshold:
                continue
            span = abs(i - j)
            xs = np.linspace(0, np.pi, 30)
            x = min(i, j) + span * (1 - np.cos(xs)) / 2
            y = 0.3 * span * np.sin(xs)
            ax.plot(x, y, color="tab:orange" if query is None else "tab:red", alpha=min(1.0, w), lw=1 + 2 * w)
    ax.axis("off")
    ax.set_title(f"links with weight ≥ {threshold}" + ("" if query is None else f" from '{toks[query]}'"),
                 fontsize=10)


def figure_png(fig, dpi=100):
    """PNG bytes of a matplotlib Figure (for an ipywidgets.Image), drawn with the Agg canvas, no pyplot."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def pretrained_explorer(model, text="The kids were scared of the lions, so they left right away.", layer=3, head=1,
                        width=9.0, height=4.2):
    """A text box, a layer and a head chooser ("all" = the layer's 12 heads) redrawing draw_head in place.

    Thin layer over model.run and draw_head (both tested without a browser): the figure is a matplotlib
    Figure built without pyplot, shown as PNG in an ipywidgets.Image whose value is replaced on every change.
    A text the model refuses (empty, too long) shows the error message and keeps the last figure.
    Returns an ipywidgets.VBox (children: text box, choosers, message, image).
    """
    import html

    import ipywidgets as widgets
    from matplotlib.figure import Figure

    model.run(text)  # a bad first text raises ValueError here, not inside the widget
    if not (0 <= layer < model.n_layers) or not (head is None or 0 <= head < model.n_heads):
        raise ValueError(f"layer must be in 0..{model.n_layers - 1} and head None or in 0..{model.n_heads - 1}, "
                         f"got layer={layer!r}, head={head!r}")
    fig = Figure(figsize=(width, height))
    box = widgets.Text(value=text, description="sentence", continuous_update=True,
                       layout=widgets.Layout(width="640px"))
    layer_menu = widgets.Dropdown(options=list(range(model.n_layers)), value=layer, description="layer",
                                  layout=widgets.Layout(width="160px"))
    head_menu = widgets.Dropdown(options=[("all", -1)] + [(str(h), h) for h in range(model.n_heads)],
                                 value=-1 if head is None else head, description="head",
                                 layout=widgets.Layout(width="160px"))
    message = widgets.HTML(value="")
    image = widgets.Image(format="png", layout=widgets.Layout(max_width=f"{int(width * 100)}px"))

    def redraw(_change=None):
        try:
            result = model.run(box.value)
        except ValueError as e:
            message.value = f"<span style='color:#b00'>{html.escape(str(e))}</span>"
            return
        message.value = ""
        draw_head(fig, result, int(layer_menu.value), None if head_menu.value < 0 else int(head_menu.value))
        image.value = figure_png(fig)

    for w in (box, layer_menu, head_menu):
        w.observe(redraw, names="value")
    redraw()
    return widgets.VBox([box, widgets.HBox([layer_menu, head_menu]), message, image])
