"""Notebook 12's figures and its explorer widget: one head's map and arcs, the map of head roles.

No pyplot: every figure is a matplotlib Figure drawn with the Agg canvas, safe inside widgets.
"""

import numpy as np

from .evaluation import KEY_ROLES

__all__ = [
    "ARC_THRESHOLD",
    "HeadFigure",
    "draw_head",
    "draw_head_roles",
    "pretrained_explorer",
]


# ---------------------------------------------------------------- figures (no pyplot: safe in widgets)
ARC_THRESHOLD = 0.3  # an arc joins a query to each key it gives at least this weight


def draw_head(fig, result, layer, head=None, query=None):
    """Draw one head's attention map and its arcs on `fig` (a matplotlib Figure), or the layer's 12 heads.

    With head=None, the 12 heads of the layer are drawn as a 3 × 4 grid. With query (a token index), only
    that token's arcs. Clears fig first. Returns fig. Tested without a browser; the explorer widget
    redraws the same HeadFigure in place.
    """
    fig.clear()
    HeadFigure(fig, grid=(3, 4)).show(result, layer, head, query)
    return fig


class HeadFigure:
    """One head's map and arcs, or a layer's heads as a grid, on a matplotlib Figure: built once, redrawn in place.

    show(result, layer, head=None, query=None) puts the new weights on the images, titles and arcs; the
    axes, ticks and token labels are rebuilt only when the tokens change, and each of the two views
    (one head, all heads) is built the first time it is shown. With live= (a helpers.LiveFigure), only
    the images, titles and arcs are redrawn on a move (LiveFigure.animate). grid: (rows, columns) of the
    all-heads view.
    """

    def __init__(self, fig, grid=(3, 4), live=None):
        self.fig = fig
        self.grid = grid
        self.live = live
        self.one = None  # the one-head view: dict of its axes and artists, built on first use
        self.all = None  # the all-heads view
        self.tokens = {}  # view name -> the tokens its ticks and labels were built for

    def show(self, result, layer, head=None, query=None):
        n_layers, n_heads, T, _ = result.A.shape
        if not (isinstance(layer, (int, np.integer)) and 0 <= layer < n_layers):
            raise ValueError(f"layer must be an integer in 0..{n_layers - 1}, got {layer!r}")
        if head is not None and not (isinstance(head, (int, np.integer)) and 0 <= head < n_heads):
            raise ValueError(f"head must be None or an integer in 0..{n_heads - 1}, got {head!r}")
        if query is not None and not (isinstance(query, (int, np.integer)) and 0 <= query < T):
            raise ValueError(f"query must be None or a token index in 0..{T - 1}, got {query!r}")
        if head is None:
            self._show_all(result, int(layer))
        else:
            self._show_one(result, int(layer), int(head), None if query is None else int(query))
        for name, view in (("one", self.one), ("all", self.all)):  # only the view shown is visible
            if view is not None:
                visible = (name == "all") == (head is None)
                for artist in view["hide"]:
                    if artist.get_visible() != visible:
                        artist.set_visible(visible)
        return self

    # ---------------------------------------------------------------- one head: its map and its arcs

    def _build_one(self):
        from matplotlib.collections import LineCollection

        fig = self.fig
        ax_map = fig.add_axes((0.09, 0.22, 0.33, 0.70))
        cax = fig.add_axes((0.43, 0.22, 0.012, 0.70))
        ax_arc = fig.add_axes((0.49, 0.03, 0.50, 0.89))
        im = ax_map.imshow(np.zeros((1, 1)), cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
        fig.colorbar(im, cax=cax)
        cax.tick_params(labelsize=8)
        ax_map.title.set_fontsize(10)
        arcs = ax_arc.add_collection(LineCollection([], capstyle="round"))
        ax_arc.axis("off")
        ax_arc.set_ylim(-0.45, 1.0)  # arcs from 0 up to at most 0.95; the tokens hang below 0
        ax_arc.title.set_fontsize(10)
        self.one = {"map": ax_map, "im": im, "arc": ax_arc, "arcs": arcs, "labels": [],
                    "hide": [ax_map, cax, ax_arc]}
        if self.live is not None:
            self.live.animate(im, ax_map.title, arcs, ax_arc.title)

    def _show_one(self, result, layer, head, query):
        if self.one is None:
            self._build_one()
        v = self.one
        toks = list(result.tokens)
        T = len(toks)
        M = result.A[layer, head]  # (T, T): row i = the weights of query token i over the keys
        v["im"].set_data(M)
        if self.tokens.get("one") != toks:  # another sentence: new extent, ticks and token labels
            size = 8 if T <= 20 else 6
            ax_map, ax_arc = v["map"], v["arc"]
            v["im"].set_extent((-0.5, T - 0.5, T - 0.5, -0.5))
            ax_map.set_xlim(-0.5, T - 0.5)
            ax_map.set_ylim(T - 0.5, -0.5)
            ax_map.set_xticks(range(T), toks, rotation=90, fontsize=size)
            ax_map.set_yticks(range(T), toks, fontsize=size)
            for label in v["labels"]:
                label.remove()
            v["labels"] = [ax_arc.text(j, -0.03, t, rotation=90, ha="center", va="top", fontsize=size)
                           for j, t in enumerate(toks)]
            ax_arc.set_xlim(-0.5, T - 0.5)
            self.tokens["one"] = toks
        v["map"].title.set_text(f"layer {layer}, head {head}")
        segments, colours, widths = _arc_segments(M, query, ARC_THRESHOLD)
        v["arcs"].set_segments(segments)
        v["arcs"].set_color(colours)
        v["arcs"].set_linewidth(widths)
        where = "" if query is None else f" from '{toks[query]}'"
        v["arc"].title.set_text(f"links with weight ≥ {ARC_THRESHOLD}{where}")

    # ---------------------------------------------------------------- all heads of a layer

    def _build_all(self, n_heads):
        rows, cols = self.grid
        if rows * cols < n_heads:
            raise ValueError(f"a grid of {rows} × {cols} cannot show {n_heads} heads")
        fig = self.fig
        spec = fig.add_gridspec(rows, cols, left=0.01, right=0.99, bottom=0.01, top=0.88 if rows < 3 else 0.9,
                                wspace=0.08, hspace=0.22)
        axes, images = [], []
        for h in range(n_heads):
            ax = fig.add_subplot(spec[h // cols, h % cols])
            images.append(ax.imshow(np.zeros((1, 1)), cmap="viridis", vmin=0, vmax=1, interpolation="nearest"))
            ax.set_title(f"head {h}", fontsize=9, pad=3)
            ax.set_xticks([])
            ax.set_yticks([])
            axes.append(ax)
        title = fig.suptitle("", fontsize=10)
        self.all = {"axes": axes, "images": images, "title": title, "hide": [*axes, title]}
        if self.live is not None:
            self.live.animate(*images, title)

    def _show_all(self, result, layer):
        n_heads, T = result.A.shape[1], result.A.shape[2]
        if self.all is None:
            self._build_all(n_heads)
        v = self.all
        new_tokens = self.tokens.get("all") != list(result.tokens)
        for h, (ax, im) in enumerate(zip(v["axes"], v["images"])):
            im.set_data(result.A[layer, h])  # (T, T)
            if new_tokens:
                im.set_extent((-0.5, T - 0.5, T - 0.5, -0.5))
                ax.set_xlim(-0.5, T - 0.5)
                ax.set_ylim(T - 0.5, -0.5)
        self.tokens["all"] = list(result.tokens)
        v["title"].set_text(f"all {n_heads} heads of layer {layer} (rows: query token, columns: key token)")


def _arc_segments(M, query, threshold):
    """The arcs of a (T, T) map: one half-ellipse per (query i, key j ≠ i) with M[i, j] ≥ threshold.

    Returns (segments, colours, widths) for a LineCollection: an arc's height is proportional to how far
    apart the two tokens are (the longest possible arc is 0.95 high), its opacity and width grow with
    the weight. Only token `query`'s arcs when query is not None.
    """
    T = M.shape[0]
    rows = range(T) if query is None else [query]
    t = np.linspace(0, np.pi, 31)  # odd: the top of each arc is a point
    segments, colours, widths = [], [], []
    rgb = (1.0, 0.498, 0.055) if query is None else (0.839, 0.153, 0.157)  # tab:orange, tab:red
    for i in rows:
        for j in range(T):
            w = float(M[i, j])
            if i == j or w < threshold:
                continue
            span = abs(i - j)
            x = min(i, j) + span * (1 - np.cos(t)) / 2
            y = 0.95 * span / max(T - 1, 1) * np.sin(t)
            segments.append(np.column_stack([x, y]))
            colours.append((*rgb, min(1.0, w)))
            widths.append(1 + 2 * w)
    return segments, colours, widths


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


def pretrained_explorer(model, text="The kids were scared of the lions, so they left right away.", layer=3, head=1,
                        width=900, height=420):
    """A text box, a layer and a head chooser ("all" = the layer's 12 heads) redrawing a HeadFigure in place.

    The figure is a helpers.LiveFigure (width × height px, drawn off-screen, no pyplot): each move puts the
    chosen head's weights on the images and arcs that are already there, quick moves are merged into one
    picture, and each text is run through the model once (model.run remembers it). A text the model
    refuses (empty, too long) shows the error under the figure and keeps the last picture.
    Returns an ipywidgets.VBox (children: text box, HBox of the two choosers, the LiveFigure).
    """
    import ipywidgets as widgets

    from ...show.live import LiveFigure

    model.run(text)  # a bad first text raises ValueError here, not inside the widget
    if not (0 <= layer < model.n_layers) or not (head is None or 0 <= head < model.n_heads):
        raise ValueError(f"layer must be in 0..{model.n_layers - 1} and head None or in 0..{model.n_heads - 1}, "
                         f"got layer={layer!r}, head={head!r}")
    box = widgets.Text(value=text, description="sentence", continuous_update=True,
                       layout=widgets.Layout(width="640px"))
    layer_menu = widgets.Dropdown(options=list(range(model.n_layers)), value=layer, description="layer",
                                  layout=widgets.Layout(width="160px"))
    head_menu = widgets.Dropdown(options=[("all", -1)] + [(str(h), h) for h in range(model.n_heads)],
                                 value=-1 if head is None else head, description="head",
                                 layout=widgets.Layout(width="160px"))
    live = LiveFigure(width=width, height=height, text_lines=1)
    view = HeadFigure(live.figure, grid=(2, 6), live=live)

    def update(text, layer, head):
        result = model.run(text)
        live.layout((head < 0, tuple(result.tokens)))  # what is drawn once depends on these only
        view.show(result, int(layer), None if head < 0 else int(head))

    live.connect(update, text=box, layer=layer_menu, head=head_menu)
    return widgets.VBox([box, widgets.HBox([layer_menu, head_menu]), live])
