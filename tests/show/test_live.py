"""helpers.show.live.LiveFigure without a browser: one whole picture per draw, bursts merged, no pyplot.

The browser side (the picture replacing the old one on the page, under JupyterLab's defaults) is
tested in tests/test_browser.py and measured by benchmarks/bench_widgets.py.
"""

import io
import subprocess
import sys
import textwrap
import threading
import time

import ipywidgets as widgets
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.image import imread

from helpers.show.live import LiveFigure


def _png(data):
    return imread(io.BytesIO(data), format="png")


def _line_figure(delay=0.0, **kwargs):
    """A LiveFigure with one line whose slope is the slider's value; update sleeps `delay` s."""
    live = LiveFigure(width=300, height=200, **kwargs)
    ax = live.figure.add_subplot()
    x = np.linspace(0, 1, 50)
    (line,) = ax.plot(x, 0 * x)
    ax.set_ylim(0, 100)
    seen = []

    def update(slope):
        seen.append(slope)
        if delay:
            time.sleep(delay)
        line.set_ydata(slope * x)
        return f"slope = {slope}"

    slider = widgets.IntSlider(value=1, min=0, max=100)
    live.connect(update, slope=slider)
    return live, slider, seen


def test_connect_draws_one_whole_picture_of_the_given_size():
    live, slider, seen = _line_figure()
    assert seen == [1] and live.draws == 1 and live.last_values == {"slope": 1}
    rgba = _png(live.image.value)
    assert rgba.shape[:2] == (200, 300)  # height × width in pixels, as asked
    assert rgba.shape[2] == 3 or (rgba[..., 3] > 0).all()  # opaque: nothing left undrawn
    assert live.image.layout.width == "300px" and live.image.layout.height == "200px"  # the page keeps the box
    assert "slope = 1" in live.text.value


def test_a_move_redraws_with_the_new_value_and_a_new_picture():
    live, slider, seen = _line_figure()
    first = live.image.value
    slider.value = 60
    assert live.wait(10)
    assert seen[-1] == 60 and live.last_values == {"slope": 60}
    assert live.image.value != first
    assert "slope = 60" in live.text.value


def test_a_burst_of_moves_is_drawn_once_or_twice_with_the_last_value():
    live, slider, seen = _line_figure(delay=0.2)
    for v in range(2, 22):  # 20 moves while the first redraw is still drawing
        slider.value = v
    assert live.wait(20)
    assert seen[-1] == 21 and live.last_values == {"slope": 21}
    assert len(seen) - 1 <= 3, f"{len(seen) - 1} draws for 20 quick moves: the burst was not merged ({seen})"


def test_moves_from_several_threads_end_with_the_last_value():
    live, slider, seen = _line_figure(delay=0.05)
    barrier = threading.Barrier(4)

    def mover(k):
        barrier.wait()
        for v in range(10):
            slider.value = 10 * k + v
            live.request()

    threads = [threading.Thread(target=mover, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    slider.value = 99  # the final position
    assert live.wait(20)
    assert live.last_values == {"slope": 99} and seen[-1] == 99
    assert len(seen) - 1 < 41
    rgba = _png(live.image.value)
    assert rgba.shape[2] == 3 or (rgba[..., 3] > 0).all()


def test_an_error_in_update_keeps_the_picture_and_shows_the_error():
    live = LiveFigure(width=120, height=80)
    ax = live.figure.add_subplot()
    (line,) = ax.plot([0, 1], [0, 1])

    def update(k):
        if k == 3:
            raise ValueError("k must not be 3")
        line.set_ydata([0, k])

    slider = widgets.IntSlider(value=1)
    live.connect(update, k=slider)
    good = live.image.value
    slider.value = 3
    assert live.wait(10)
    assert live.image.value == good and live.draws == 1
    assert "k must not be 3" in live.text.value and "ValueError" in live.last_error
    slider.value = 4
    assert live.wait(10)
    assert live.last_error is None and live.draws == 2 and "k must not be 3" not in live.text.value


def test_update_may_return_an_object_with_repr_html():
    class Shown:
        def _repr_html_(self):
            return "<table><tr><td>42</td></tr></table>"

    live = LiveFigure(width=100, height=100, text_lines=2)
    live.figure.add_subplot()
    live.connect(lambda choice: Shown(), choice=widgets.Dropdown(options=["a", "b"]))
    assert live.text.value == "<table><tr><td>42</td></tr></table>"
    assert live.text.layout.min_height == "3.0em"


def test_text_is_escaped():
    live = LiveFigure(width=100, height=100)
    live.connect(lambda word: f"<b>{word}</b>", word=widgets.Text(value="x<y"))
    assert "&lt;b&gt;x&lt;y&lt;/b&gt;" in live.text.value


@pytest.mark.parametrize("kwargs, message", [
    ({"width": 0}, "width"), ({"height": -5}, "height"), ({"width": 10.5}, "width"), ({"dpi": "high"}, "dpi"),
    ({"text_lines": -1}, "text_lines"),
])
def test_bad_sizes_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LiveFigure(**kwargs)


def test_bad_connections_are_refused():
    live = LiveFigure(width=100, height=100)
    with pytest.raises(ValueError, match="update must be a function"):
        live.connect("not a function", k=widgets.IntSlider())
    with pytest.raises(ValueError, match="control 'k'"):
        live.connect(lambda k: None, k=3)
    live.connect(lambda k: None, k=widgets.IntSlider())
    with pytest.raises(ValueError, match="already connected"):
        live.connect(lambda k: None, k=widgets.IntSlider())


def test_no_pyplot_anywhere():
    """Building, connecting and redrawing a LiveFigure never uses pyplot (no global figure state).

    pyplot is made unimportable once helpers.show.live is loaded: any use of it would raise.
    """
    code = textwrap.dedent("""
        import sys
        import ipywidgets as widgets
        from helpers.show.live import LiveFigure
        sys.modules["matplotlib.pyplot"] = None  # from here on, `import matplotlib.pyplot` fails
        live = LiveFigure(width=200, height=100)
        ax = live.figure.add_subplot()
        im = ax.imshow([[0.0, 1.0]])
        s = widgets.FloatSlider(value=0.5)
        live.connect(lambda v: im.set_data([[v, 1 - v]]), v=s)
        s.value = 0.25
        assert live.wait(10) and live.last_values == {"v": 0.25}
        print("ok")
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]


def test_live_heatmap_updates_in_place_and_follows_a_new_shape():
    from helpers.show.live import LiveHeatmap

    live = LiveFigure(width=400, height=300)
    heat = LiveHeatmap(live.figure.add_subplot(), annotate_max=4)
    A = np.array([[0.5, 0.5], [0.0, 1.0]])
    heat.show(A, ["a", "b"], ["a", "b"], title="two")
    first_texts = list(heat.texts)
    assert [t.get_text() for t in heat.texts] == ["0.50", "0.50", "0.00", "1.00"]
    assert heat.texts[2].get_color() == "white" and heat.texts[3].get_color() == "black"  # dark 0, light 1 in viridis
    heat.show(A[::-1], ["a", "b"], ["a", "b"])
    assert heat.texts == first_texts  # same shape: the same text artists, new strings
    assert [t.get_text() for t in heat.texts] == ["0.00", "1.00", "0.50", "0.50"]
    B = np.full((5, 5), 0.2)
    B[0, 1] = -np.inf
    heat.show(B, list("abcde"), list("abcde"), title="five")
    assert heat.texts == [] and heat.ax.get_xlim() == (-0.5, 4.5)  # larger than annotate_max: no texts
    assert [t.get_text() for t in heat.ax.get_xticklabels()] == list("abcde")
    rgba = _png(live.render())
    assert rgba.shape[:2] == (300, 400)
    with pytest.raises(ValueError, match="row labels"):
        heat.show(B, ["a"], list("abcde"))
    with pytest.raises(ValueError, match="2-D"):
        heat.show(np.zeros(3))


def test_live_bars_update_in_place_and_follow_a_new_length():
    from helpers.show.live import LiveBars

    live = LiveFigure(width=400, height=300)
    bars = LiveBars(live.figure.add_subplot())
    bars.show([0.1, 0.9], ["a", "b"], title="two", highlight=1)
    first = list(bars.bars)
    assert [b.get_height() for b in bars.bars] == [0.1, 0.9]
    assert [t.get_text() for t in bars.texts] == ["0.10", "0.90"]
    assert bars.texts[1].get_color() == "white"  # 0.9: written inside its bar
    colour, orange = to_rgba(bars.colour), to_rgba(bars.highlight_colour)
    assert [b.get_facecolor() for b in bars.bars] == [colour, orange]
    assert bars.column.get_visible() and bars.column.get_x() == 0.5  # the column behind bar 1
    bars.show([0.5, 0.5], ["a", "b"], highlight=0)
    assert [b.get_facecolor() for b in bars.bars] == [orange, colour]  # only the new one
    assert bars.column.get_x() == -0.5
    assert bars.bars == first and [b.get_height() for b in bars.bars] == [0.5, 0.5]
    bars.show([0.5, 0.5], ["a", "b"])
    assert [b.get_facecolor() for b in bars.bars] == [colour, colour] and not bars.column.get_visible()
    with pytest.raises(ValueError, match=r"highlight must be None or a bar index in 0..1, got 2"):
        bars.show([0.5, 0.5], ["a", "b"], highlight=2)
    bars.show([0.2, 0.3, 0.5], ["x", "y", "z"])
    assert len(bars.bars) == 3 and len(bars.ax.patches) == 3 + 1 and len(bars.ax.texts) == 3  # + the column
    assert _png(live.render()).shape[:2] == (300, 400)
    with pytest.raises(ValueError, match="one label each"):
        bars.show([0.2, 0.8], ["x"])


def test_animated_artists_over_a_cached_background_give_the_same_picture_as_a_full_draw():
    """Blitting: the picture after an update equals a full draw of the same state, pixel for pixel."""
    from helpers.show.live import LiveBars, LiveHeatmap

    def build(animated):
        live = LiveFigure(width=420, height=260)
        left, right = live.figure.subplots(1, 2)
        bars = LiveBars(left, live=live if animated else None)
        heat = LiveHeatmap(right, live=live if animated else None)
        return live, bars, heat

    fast, bars_f, heat_f = build(True)
    slow, bars_s, heat_s = build(False)
    A = np.array([[1.0, 0.0], [0.3, 0.7]])
    for live, bars, heat in ((fast, bars_f, heat_f), (slow, bars_s, heat_s)):
        bars.show([0.2, 0.8], ["a", "b"], title="first")
        heat.show(A, ["a", "b"], ["a", "b"], title="A")
        live.render()  # the background is cached here (fast)
        bars.show([0.6, 0.4], ["a", "b"], title="second", highlight=1)  # same layout: only animated artists change
        heat.show(A[::-1], ["a", "b"], ["a", "b"], title="A reversed")
    assert fast._animated and not slow._animated
    np.testing.assert_array_equal(_png(fast.render())[..., :3], _png(slow.render())[..., :3])
    for live, bars in ((fast, bars_f), (slow, bars_s)):  # new labels: a full draw, still identical
        bars.show([0.6, 0.4], ["c", "d"], title="third")
    np.testing.assert_array_equal(_png(fast.render())[..., :3], _png(slow.render())[..., :3])


def test_a_layout_seen_before_is_restored_without_a_full_draw_and_gives_the_same_picture(monkeypatch):
    """live.layout(key): the background of each sentence is kept; coming back to one draws only what moves."""
    from helpers.show.live import LiveHeatmap

    sentences = {"ab": (["a", "b"], np.array([[0.9, 0.1], [0.4, 0.6]])),
                 "cde": (["c", "d", "e"], np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.2, 0.3, 0.5]]))}

    def build(animated):
        live = LiveFigure(width=360, height=300)
        heat = LiveHeatmap(live.figure.add_subplot(), live=live if animated else None)
        return live, heat

    def show(live, heat, name, scale=1.0):
        live.layout(name)
        words, A = sentences[name]
        heat.show(scale * A, words, words, title=f"{name} × {scale}")

    live, heat = build(True)
    full_draws = []
    draw = live.canvas.draw
    monkeypatch.setattr(live.canvas, "draw", lambda: (full_draws.append(1), draw())[1])
    for name, scale in (("ab", 1.0), ("cde", 1.0), ("ab", 0.5), ("cde", 0.5), ("ab", 0.25)):
        show(live, heat, name, scale)
        picture = live.render()
        slow, slow_heat = build(False)  # a fresh figure in the same state, drawn whole
        show(slow, slow_heat, name, scale)
        np.testing.assert_array_equal(_png(picture)[..., :3], _png(slow.render())[..., :3])
    assert len(full_draws) == 2  # one per sentence; the three returns used the kept backgrounds


def test_at_most_a_dozen_layouts_are_kept():
    from helpers.show.live import _LAYOUTS_KEPT

    live = LiveFigure(width=200, height=150)
    ax = live.figure.add_subplot()
    (line,) = ax.plot([0, 1], [0, 1])
    live.animate(line)
    for k in range(_LAYOUTS_KEPT + 5):
        live.layout(k)
        ax.set_xticks([0, 1], [f"{k}", "x"])  # the layout changes with k
        live.render()
    assert len(live._backgrounds) == _LAYOUTS_KEPT and 4 not in live._backgrounds and 16 in live._backgrounds


def test_a_kept_colour_bar_is_drawn_once_and_its_pixels_put_back_on_every_full_draw(monkeypatch):
    from helpers.show.live import LiveHeatmap

    def build(animated):
        live = LiveFigure(width=360, height=300)
        heat = LiveHeatmap(live.figure.add_subplot(), live=live if animated else None, colorbar_label="weight")
        return live, heat

    fast, heat = build(True)
    cbar = heat.colorbar.ax
    draws = []
    draw = cbar.draw
    monkeypatch.setattr(cbar, "draw", lambda renderer: (draws.append(1), draw(renderer))[1])
    A = np.array([[0.2, 0.8, 0.0], [0.5, 0.25, 0.25], [0.1, 0.1, 0.8]])
    for labels in (list("abc"), list("xyz"), list("pqr")):  # new tick labels: a full draw each time
        heat.show(A, labels, labels, title="".join(labels))
        picture = fast.render()
        slow, slow_heat = build(False)
        slow_heat.show(A, labels, labels, title="".join(labels))
        np.testing.assert_array_equal(_png(picture)[..., :3], _png(slow.render())[..., :3])
    assert len(draws) == 1 and cbar.get_animated()  # drawn the first time only
