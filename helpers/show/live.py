"""Widget figures that answer at once and never go blank, in any JupyterLab (issue #12).

A `LiveFigure` is a matplotlib Figure drawn off-screen (Agg, no pyplot) and shown on the page as
one `ipywidgets.Image` of fixed size, with an optional line of text (or a table) under it. The
figure is built ONCE; when a control moves, an update function puts new data on its artists and
the whole picture is sent again as one PNG that replaces the old one. Nothing is cleared first, so
the output area never collapses and the page does not jump while a teacher drags a slider.

    live = helpers.LiveFigure(width=600, height=400)   # 1. a fixed-size figure, in pixels
    ax = live.figure.add_subplot()                     # 2. build the artists once
    line, = ax.plot(x, np.exp(-x))

    def update(tau):                                   # 3. new data on the artists
        line.set_ydata(np.exp(-x / tau))               #    (never plt.*: no pyplot state)
        return f"τ = {tau:.2f}"                        #    optional text (or an object with
                                                       #    _repr_html_, e.g. a Table) shown under it
    live.connect(update, tau=tau_slider)               # 4. draws now, then on every move
    widgets.VBox([tau_slider, live])                   # 5. the cell shows controls + figure

Why it cannot go blank or lag behind a burst of moves, whichever thread runs the widget
callbacks (JupyterLab 4.6 runs them on a second kernel thread by default, "comms over subshells"):

- the callback only records that a redraw is wanted and returns at once; one drawing thread per
  figure draws, reading the controls' CURRENT values, so when several moves arrive while it draws,
  only the latest values are drawn (a burst of moves costs one or two draws, not one per move);
- the figure is touched only under one lock, and never through pyplot's global figure list, so
  no other code (the inline backend, another widget) can draw into it or close it half-drawn;
- the PNG is complete before it is sent (one `Image.value` assignment), so the page receives a
  whole picture or keeps the previous one.

Only what moves is drawn again: `live.animate(artist, ...)` declares the artists an update changes;
the rest is drawn once and kept as a background (drawn again when it changes, e.g. new tick labels).
A view whose fixed part depends on one choice only (the sentence of a heatmap) calls
`live.layout(sentence)` in its update, and the background of each sentence is kept, so coming back
to a sentence draws only the moving artists. Axes that never change once built (a colour bar) are
declared with `live.keep(ax)`: drawn once, their pixels are put back on every full draw.

If the update function raises, the previous picture stays and the error is shown as text under
it. An update may also clear and redraw its axes (`ax.clear()`), which is slower but still safe.
Speed: keep figures small (≤ 900 × 600 px), avoid many text artists (each costs about a
millisecond to draw), and change only what moved.
"""

import html
import io
import threading
import time
import traceback

import matplotlib
import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.spines import Spine

__all__ = ["LiveBars", "LiveFigure", "LiveHeatmap", "live_fonts"]

_IDLE_EXIT_S = 30.0  # the drawing thread ends after this long without work (a new one starts on demand)
_LAYOUTS_KEPT = 12  # backgrounds kept per LiveFigure, one per layout key (a 600 × 480 one is 1.2 MB)

try:  # ipywidgets is imported at class creation: a LiveFigure is a widget (a VBox: image, text)
    import ipywidgets as _widgets
except ImportError as err:  # pragma: no cover - ipywidgets is in requirements.txt
    raise ImportError("helpers.LiveFigure needs ipywidgets (pip install ipywidgets)") from err


class LiveFigure(_widgets.VBox):
    """A figure of fixed size (pixels), drawn off-screen and shown as one image; redrawn in place.

    width, height: the picture's size in CSS pixels (the page reserves exactly this box);
    dpi: matplotlib's dots per inch for the figure (font sizes in points scale with it);
    text_lines: lines of height reserved under the figure for the text an update returns
    (0: none reserved; text then takes the space it needs);
    layout: matplotlib layout engine for the figure ("constrained", "tight" or None: fixed margins,
    the fastest, set with `live.figure.subplots_adjust`).

    Attributes: `figure` (matplotlib.figure.Figure with an Agg canvas; build on it once),
    `image` (the ipywidgets.Image on the page), `text` (the ipywidgets.HTML under it),
    `draws` (pictures sent so far), `last_values` (the control values of the last picture),
    `last_error` (the last update's error text, or None).
    """

    def __init__(self, width=600, height=400, dpi=100, text_lines=0, layout=None, **kwargs):
        width, height, dpi = _positive_int(width, "width"), _positive_int(height, "height"), _positive_int(dpi, "dpi")
        if not isinstance(text_lines, int) or text_lines < 0:
            raise ValueError(f"text_lines must be a whole number >= 0, got {text_lines!r}")
        self.figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, layout=layout)
        self.canvas = FigureCanvasAgg(self.figure)
        self.image = _widgets.Image(format="png", layout=_widgets.Layout(
            width=f"{width}px", height=f"{height}px", min_width=f"{width}px", min_height=f"{height}px",
            object_fit="contain"))
        self.text = _widgets.HTML(layout=_widgets.Layout(
            min_height=f"{1.5 * text_lines:.1f}em" if text_lines else None))
        self.size = (width, height)
        self.draws = 0
        self.last_values = None
        self.last_error = None
        self._update = None
        self._controls = {}
        self._lock = threading.RLock()  # guards the figure: one draw at a time
        self._animated = []  # artists redrawn on every picture (the rest is a cached background)
        self._background = None
        self._backgrounds = {}  # layout key -> cached background (see layout), the most recent last
        self._layout = None
        self._background_layout = None  # the layout key the current background was drawn for
        self._kept = {}  # axes drawn once and kept as pixels (see keep) -> their pixels, or None until drawn
        self._state = threading.Condition()  # guards _wanted, _busy, _thread
        self._wanted = False
        self._busy = False
        self._thread = None
        super().__init__([self.image, self.text], **kwargs)

    # ------------------------------------------------------------ wiring

    def connect(self, update, **controls):
        """Call update(**values of controls) and redraw whenever one of the controls changes; draw now.

        update: a function of the controls' values (keyword arguments named as given here) that puts
        new data on the figure's artists; it may return text (str) or an object with `_repr_html_`
        (shown under the figure), or None. controls: ipywidgets with a `value` (sliders, dropdowns,
        toggle buttons, check boxes, text boxes). Returns the LiveFigure, so a cell can end with it.
        """
        if self._update is not None:
            raise ValueError("this LiveFigure is already connected; make a new one for another update function")
        if not callable(update):
            raise ValueError(f"update must be a function of the controls' values, got {type(update).__name__}")
        for name, control in controls.items():
            if not hasattr(control, "observe") or not hasattr(control, "value"):
                raise ValueError(f"control {name!r} must be an ipywidgets control with a value, "
                                 f"got {type(control).__name__}")
        self._update = update
        self._controls = dict(controls)
        for control in self._controls.values():
            control.observe(self._changed, names="value")
        self.redraw()  # the first picture, drawn here, before the cell's output is shown
        return self

    def values(self):
        """The controls' current values, as update receives them."""
        return {name: control.value for name, control in self._controls.items()}

    def _changed(self, _change=None):
        """A control moved (any thread): ask for a redraw and return at once."""
        self.request()

    # ------------------------------------------------------------ drawing

    def request(self):
        """Ask for a redraw with the controls' values at drawing time; returns at once.

        Requests that arrive while a picture is being drawn are merged into one more draw.
        """
        with self._state:
            self._wanted = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="LiveFigure", daemon=True)
                self._thread.start()
            self._state.notify()

    def _run(self):
        while True:
            with self._state:
                deadline = time.monotonic() + _IDLE_EXIT_S
                while not self._wanted:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        self._thread = None
                        self._state.notify_all()
                        return
                    self._state.wait(left)
                self._wanted = False
                self._busy = True
            try:
                self.redraw()
            finally:
                with self._state:
                    self._busy = False
                    self._state.notify_all()

    def redraw(self):
        """Draw now, in this thread, with the controls' current values.

        Returns the PNG bytes sent (or None on error).
        """
        with self._lock:
            values = self.values()
            try:
                shown = self._update(**values) if self._update is not None else None
                png = self.render()
            except Exception as err:  # noqa: BLE001 - shown to the learner; the previous picture stays
                self.last_error = "".join(traceback.format_exception_only(type(err), err)).strip()
                self.text.value = (f'<pre style="color:#b00020;white-space:pre-wrap">{html.escape(self.last_error)}'
                                   "</pre>")
                return None
            self.last_error = None
            self.image.value = png  # one message: the whole picture replaces the old one
            self.text.value = _as_html(shown)
            self.draws += 1
            self.last_values = values
            return png

    def animate(self, *artists, new=False):
        """Declare artists that change on every update (lines, bars, texts, an image): only they are redrawn.

        Everything else (axes, ticks, labels, colour bars) is drawn once and kept as a background; it is
        drawn again whenever one of its artists changes (matplotlib marks the figure stale), so changing
        ticks or labels in an update is still shown, at the cost of a full draw. new=True: the artists were
        just created (never drawn), so the backgrounds kept stay valid. Returns the artists.
        """
        with self._lock:
            stale = not new
            for artist in artists:
                ax = artist.axes
                if ax is not None and not any(sp.get_animated() for sp in ax.spines.values()):
                    for spine in ax.spines.values():  # the frame lies over images and bars: drawn with them, in
                        spine.set_animated(True)      # zorder, so the picture equals a full draw
                        self._animated.append(spine)
                    stale = True  # the spines were in the background
                if not artist.get_animated():
                    artist.set_animated(True)
                    self._animated.append(artist)
                if isinstance(artist, Legend):  # its texts are drawn by the legend; a new text must not
                    for text in artist.get_texts():  # mark the whole figure stale
                        text.set_animated(True)
            if stale:
                self._background = None
                self._backgrounds.clear()
        return artists

    def layout(self, key):
        """Declare, in an update, that everything not animated now depends only on `key` (a hashable).

        A view whose fixed part (ticks, tick labels, limits) changes with one choice, e.g. the sentence of a
        heatmap, calls live.layout(sentence) in its update: the background drawn for each key is kept
        (the last _LAYOUTS_KEPT keys), so coming back to a sentence redraws only the animated artists.
        Only for views whose every non-animated change is determined by the key.
        """
        with self._lock:
            self._layout = key

    def keep(self, *axes):
        """Declare axes that never change once built (a colour bar): drawn once, then kept as pixels.

        A full draw (new tick labels, say) then skips them and puts their pixels back, which saves their
        ticks and labels. They must not overlap anything else in the figure. Returns the axes.
        """
        with self._lock:
            for ax in axes:
                ax.set_animated(True)  # a full draw (canvas.draw) leaves it out
                self._kept[ax] = None
            self._background = None
            self._backgrounds.clear()
        return axes

    def render(self):
        """The figure as PNG bytes, drawn off-screen: the animated artists over the cached background."""
        with self._lock:
            fig = self.figure
            self._animated = [a for a in self._animated if getattr(a, "figure", None) is not None]  # not removed
            if not self._animated:
                buffer = io.BytesIO()
                self.canvas.print_png(buffer, pil_kwargs={"compress_level": 1})
                return buffer.getvalue()
            if fig.stale or self._background is None:
                self._background = self._background_for(self._layout)
            else:
                self.canvas.restore_region(self._background)
            renderer = self.canvas.get_renderer()
            for artist in sorted(self._animated, key=lambda a: a.get_zorder()):
                if _shown(artist):
                    artist.draw(renderer)
            fig.stale = False  # drawing marks nothing new; what the next update changes decides
            width, height = self.canvas.get_width_height()
            picture = PIL.Image.frombuffer("RGBA", (width, height), bytes(self.canvas.buffer_rgba()),
                                           "raw", "RGBA", 0, 1)
            buffer = io.BytesIO()
            picture.convert("RGB").save(buffer, format="png", compress_level=1)
            return buffer.getvalue()

    def _background_for(self, key):
        """Everything not animated, on the canvas: kept from an earlier draw of this layout, or drawn now."""
        background = None
        if key is not None and key != self._background_layout:
            background = self._backgrounds.get(key)
        if background is not None:
            self.canvas.restore_region(background)  # drawn before for this layout: no full draw
        else:
            self.canvas.draw()  # everything but the animated artists and the kept axes
            self._draw_kept()
            background = self.canvas.copy_from_bbox(self.figure.bbox)
        self._background_layout = key
        if key is not None:
            self._backgrounds.pop(key, None)
            self._backgrounds[key] = background  # the most recent last
            while len(self._backgrounds) > _LAYOUTS_KEPT:
                self._backgrounds.pop(next(iter(self._backgrounds)))  # forget the oldest
        return background

    def _draw_kept(self):
        """Put the kept axes on the canvas: drawn the first time, their pixels restored after that."""
        renderer = self.canvas.get_renderer()
        for ax, pixels in self._kept.items():
            if pixels is None:
                ax.draw(renderer)  # an Axes draws itself even when marked animated
                box = ax.get_tightbbox(renderer).expanded(1.0, 1.0).padded(2)  # its labels, anti-aliasing
                self._kept[ax] = self.canvas.copy_from_bbox(box)
            else:
                self.canvas.restore_region(pixels)

    def wait(self, timeout=10.0):
        """Block until no redraw is wanted or running (for tests and scripts); True if idle in time."""
        end = time.monotonic() + timeout
        with self._state:
            while self._wanted or self._busy:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._state.wait(left)
        return True


def live_fonts(ax, size=10):
    """Font sizes for a live figure's axes, set once on its artists (never through rcParams, which are global).

    Ticks `size`, axis labels and title `size + 1`. Call after the axes and their labels exist.
    """
    ax.tick_params(labelsize=size)
    ax.xaxis.label.set_fontsize(size + 1)
    ax.yaxis.label.set_fontsize(size + 1)
    ax.title.set_fontsize(size + 1)
    return ax


def _shown(artist):
    """Whether a full draw would draw this artist: visible, in a visible axes, and not a spine of an axes turned off."""
    if not artist.get_visible():
        return False
    ax = artist.axes
    if ax is None:
        return True
    if not ax.get_visible():
        return False
    return ax.axison or not isinstance(artist, Spine)


def _as_html(shown):
    if shown is None:
        return ""
    if hasattr(shown, "_repr_html_"):
        return shown._repr_html_()
    return f'<pre style="margin:0;white-space:pre-wrap">{html.escape(str(shown))}</pre>'


def _positive_int(x, name):
    if isinstance(x, bool) or not isinstance(x, (int, float)) or x <= 0 or int(x) != x:
        raise ValueError(f"{name} must be a positive whole number of pixels, got {x!r}")
    return int(x)


class LiveHeatmap:
    """A heatmap on an axes of a LiveFigure, updated in place: `show(M, row_labels, col_labels, title)`.

    Built once (one image, one colour bar); each `show` puts new values on the image and, when the
    matrix is at most `annotate_max` × `annotate_max` (default 5: each text costs about a millisecond
    per picture, so a 7 × 7 map with its 49 values drawn would miss the 50 ms goal), writes each
    value in its cell (the text artists are reused while the shape stays the same). A new shape
    (another sentence) moves the ticks and makes new texts. -inf and NaN cells are grey. With live=
    (the LiveFigure), only the image, its texts and the title are redrawn on a move (LiveFigure.animate).
    """

    def __init__(self, ax, vmin=0.0, vmax=1.0, cmap="viridis", colorbar_label=None, xlabel=None, ylabel=None,
                 annotate_max=5, decimals=2, fontsize=None, live=None):
        self.ax = ax
        self.live = live
        self.cmap = matplotlib.colormaps[cmap].with_extremes(bad="#BBBBBB")
        self.im = ax.imshow(np.zeros((1, 1)), cmap=self.cmap, vmin=vmin, vmax=vmax, interpolation="nearest",
                            aspect="auto")
        self.colorbar = ax.figure.colorbar(self.im, ax=ax, pad=0.02, fraction=0.05)
        if colorbar_label:
            self.colorbar.set_label(colorbar_label)
        live_fonts(self.colorbar.ax, 9)
        if xlabel:
            ax.set_xlabel(xlabel)
        if ylabel:
            ax.set_ylabel(ylabel)
        live_fonts(ax)
        if live is not None:  # the image and the title change on every update: redraw only them
            live.animate(self.im, ax.title)
            live.keep(self.colorbar.ax)  # the colour bar never changes: drawn once
        self.annotate_max = annotate_max
        self.decimals = decimals
        self.fontsize = fontsize
        self.texts = []
        self.shape = None
        self.labels = None

    def show(self, M, row_labels=None, col_labels=None, title=None):
        M = np.asarray(M, dtype=float)
        if M.ndim != 2 or 0 in M.shape:
            raise ValueError(f"LiveHeatmap.show needs a non-empty 2-D matrix, got shape {M.shape}")
        n_rows, n_cols = M.shape
        self.im.set_data(np.ma.masked_invalid(M))
        if M.shape != self.shape:
            self.im.set_extent((-0.5, n_cols - 0.5, n_rows - 0.5, -0.5))
            self.ax.set_xlim(-0.5, n_cols - 0.5)
            self.ax.set_ylim(n_rows - 0.5, -0.5)
            for t in self.texts:
                t.remove()
            self.texts = []
            if max(n_rows, n_cols) <= self.annotate_max:
                size = self.fontsize or (12 if max(n_rows, n_cols) <= 5 else 9)
                self.texts = [self.ax.text(j, i, "", ha="center", va="center", fontsize=size)
                              for i in range(n_rows) for j in range(n_cols)]
                if self.live is not None:
                    self.live.animate(*self.texts, new=True)
            self.shape = M.shape
            self.labels = None
        labels = (tuple(range(n_rows)) if row_labels is None else tuple(row_labels),
                  tuple(range(n_cols)) if col_labels is None else tuple(col_labels))
        if (len(labels[0]), len(labels[1])) != M.shape:
            raise ValueError(f"LiveHeatmap.show: {len(labels[0])} row labels and {len(labels[1])} column labels "
                             f"for a matrix of shape {M.shape}")
        if labels != self.labels:
            self.ax.set_yticks(range(n_rows), [str(x) for x in labels[0]])
            self.ax.set_xticks(range(n_cols), [str(x) for x in labels[1]], rotation=45 if n_cols > 5 else 0,
                               ha="right" if n_cols > 5 else "center", rotation_mode="anchor")
            self.labels = labels
        if self.texts:
            norm = self.im.norm
            for t, x in zip(self.texts, M.ravel()):
                if np.isfinite(x):
                    r, g, b, _ = self.cmap(norm(x))
                    t.set_text(f"{x:.{self.decimals}f}")
                    t.set_color("black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white")
                else:
                    t.set_text("−∞" if x == -np.inf else "nan")
                    t.set_color("black")
        if title is not None:
            self.ax.title.set_text(title)  # keeps the title's font size (set_title would reapply rcParams)
        return self


class LiveBars:
    """A bar chart of weights in 0 … 1 on an axes of a LiveFigure, updated in place: `show(values, labels, title)`.

    Each value is written on its bar (inside, in white, near the top), unless write_values=False or
    there are more than values_max bars (each text costs about a millisecond per picture).
    With live= (the LiveFigure), only the bars, their values and the title are redrawn on a move. The
    bars and texts are reused while the number of bars stays the same; another number of bars re-lays the chart out.
    `highlight` in show() is the index of a bar drawn in `highlight_colour` (the query word itself), on a
    light column of that colour: colours, not a bold tick label, so that moving it redraws only the bars.
    """

    def __init__(self, ax, colour="#0072B2", ymax=1.0, fontsize=11, ylabel="softmax weight", xlabel=None,
                 write_values=True, live=None, values_max=8, highlight_colour="#D55E00"):
        self.ax = ax
        self.live = live
        self.write_values = write_values
        self.values_max = values_max
        self.colour = colour
        self.highlight_colour = highlight_colour
        self.ymax = float(ymax)
        self.fontsize = fontsize
        self.bars = []
        self.texts = []
        self.labels = None
        self.column = None  # a light column behind the highlighted bar (visible even when its bar is tiny)
        ax.set_ylim(0.0, self.ymax)
        ax.spines[["top", "right"]].set_visible(False)
        if ylabel:
            ax.set_ylabel(ylabel)
        if xlabel:
            ax.set_xlabel(xlabel)
        live_fonts(ax)
        if live is not None:  # the title changes on every update (the bars, made in show, too)
            live.animate(ax.title)

    def show(self, values, labels, title=None, highlight=None):
        values = np.asarray(values, dtype=float)
        if values.ndim != 1 or values.size == 0 or len(labels) != values.size:
            raise ValueError(f"LiveBars.show needs a 1-D row of values and one label each, got shape "
                             f"{values.shape} and {len(labels)} labels")
        n = values.size
        if len(self.bars) != n:
            for artist in [*self.bars, *self.texts]:
                artist.remove()
            self.bars = list(self.ax.bar(range(n), np.zeros(n), color=self.colour, width=0.7))
            self.texts = ([self.ax.text(k, 0.0, "", ha="center", fontsize=self.fontsize) for k in range(n)]
                          if self.write_values and n <= self.values_max else [])
            self.ax.set_xlim(-0.6, n - 0.4)
            self.labels = None
            if self.live is not None:  # the bars and their values change on every update
                self.live.animate(*self.bars, *self.texts, new=True)
        labels = tuple(str(x) for x in labels)
        if labels != self.labels:
            rotate = n > 6 or max(len(t) for t in labels) * n > 48
            self.ax.set_xticks(range(n), labels, rotation=45 if rotate else 0, ha="right" if rotate else "center",
                               rotation_mode="anchor")
            self.labels = labels
        if highlight is not None and not (isinstance(highlight, (int, np.integer)) and 0 <= highlight < n):
            raise ValueError(f"LiveBars.show: highlight must be None or a bar index in 0..{n - 1}, got {highlight!r}")
        if highlight is not None and self.column is None:
            self.column = self.ax.axvspan(-0.5, 0.5, color=self.highlight_colour, alpha=0.15, lw=0, zorder=0.5,
                                          gid="highlight")
            if self.live is not None:
                self.live.animate(self.column, new=True)
        if self.column is not None:
            self.column.set_visible(highlight is not None)
            self.column.set_x(-0.5 if highlight is None else highlight - 0.5)
        pad = 0.02 * self.ymax
        for k, (bar, v) in enumerate(zip(self.bars, values)):
            bar.set_height(v)
            bar.set_color(self.highlight_colour if k == highlight else self.colour)
        for text, v in zip(self.texts, values):
            inside = v > 0.85 * self.ymax
            text.set(text=f"{v:.2f}", y=v - pad if inside else v + pad, va="top" if inside else "bottom",
                     color="white" if inside else "black")
        if title is not None:
            self.ax.title.set_text(title)  # keeps the title's font size (set_title would reapply rcParams)
        return self
