"""The widgets' live views (helpers.show.live) of notebooks 03-11: what each figure shows after a move.

The math behind each view is tested in its notebook's test file against loops; here the views are
checked to show exactly those results (bar heights, heatmap values, ticks, texts) after a control
moves, without a browser. tests/test_browser.py moves them in a real JupyterLab.
"""

import html

import ipywidgets as widgets
import numpy as np
import pytest

import helpers


def moved(live, control, value):
    control.value = value
    assert live.wait(30), "the live figure did not finish drawing"
    assert live.last_error is None, live.last_error


def heights(ax):
    """The bars' heights (not the light column behind a highlighted bar)."""
    return np.array([p.get_height() for p in ax.patches if p.get_gid() != "highlight"])


def test_scaling_view_shows_both_softmax_rows_of_scaling_demo():
    slider = widgets.SelectionSlider(options=[1, 4, 64, 512], value=512)
    live = helpers.live_scaling_view(slider, T=8, seed=0, n_pairs=300)
    hist_ax, raw_ax, scaled_ax = live.figure.axes
    for d_k in (4, 64):
        moved(live, slider, d_k)
        demo = helpers.scaling_demo(d_k, 8, 0)
        np.testing.assert_allclose(heights(raw_ax), demo.weights_raw)
        np.testing.assert_allclose(heights(scaled_ax), demo.weights_scaled)
        samples = helpers.score_samples(d_k, 300, 0)
        assert f"std {helpers.format_number(np.std(samples))}" in hist_ax.get_legend().get_texts()[0].get_text()
        assert hist_ax.title.get_text().startswith(f"scores of random pairs, d_k = {d_k} ")


def test_temperature_view_shows_temperature_softmax():
    scores = np.array([2.0, 1.0, 0.1])
    slider = widgets.FloatLogSlider(value=1.0, base=10, min=-1.5, max=1.5)
    live = helpers.live_temperature_view(scores, slider, ["a", "b", "c"])
    ax = live.figure.axes[0]
    for tau in (0.1, 10.0):
        moved(live, slider, tau)
        w = helpers.temperature_softmax(scores, tau)
        np.testing.assert_allclose(heights(ax), w)
        assert [t.get_text() for t in ax.texts] == [f"{x:.2f}" for x in w]


def test_query_view_shows_the_query_words_weights_and_table():
    rng = np.random.default_rng(0)
    Q, K, V = (rng.standard_normal((3, 4)) for _ in range(3))
    Q5, K5, V5 = (rng.standard_normal((5, 4)) for _ in range(3))
    examples = {"three": (["a", "b", "c"], Q, K, V), "five": (list("vwxyz"), Q5, K5, V5)}
    menu = widgets.Dropdown(options=[(f"{n} {i}", (n, i)) for n, (w, *_) in examples.items()
                                     for i in range(len(w))], value=("three", 1))
    live = helpers.live_query_view(examples, menu)
    ax = live.figure.axes[0]
    np.testing.assert_allclose(heights(ax), helpers.step_values(Q, K, V, query=1)["weights"])
    moved(live, menu, ("five", 4))
    np.testing.assert_allclose(heights(ax), helpers.step_values(Q5, K5, V5, query=4)["weights"])
    assert [t.get_text() for t in ax.get_xticklabels()] == list("vwxyz")
    assert 'z_5 of "z"' in live.text.value and "<table" in live.text.value


def test_mask_view_shows_mask_view_and_row_sums():
    rng = np.random.default_rng(1)
    Q, K, V = (rng.standard_normal((4, 3)) for _ in range(3))
    examples = {"x": (list("abcd"), Q, K, V)}
    example = widgets.Dropdown(options=["x"])
    causal = widgets.Checkbox(value=True)
    order = widgets.ToggleButtons(options=["before", "after"])
    live = helpers.live_mask_view(examples, example, causal, order)
    ax = live.figure.axes[0]
    for c, o in ((True, "after"), (False, "after"), (True, "before")):
        causal.value, order.value = c, o
        assert live.wait(30)
        A, title = helpers.mask_view(Q, K, V, causal=c, order=o)
        np.testing.assert_allclose(ax.images[0].get_array(), A)
        assert ax.title.get_text() == (title if c else f"no mask, so “{o} the softmax” changes nothing")
        assert str(np.round(A.sum(axis=-1), 2)) in live.text.value


def test_example_view_shows_example_attention_and_the_answers():
    data = helpers.make_task(6, seed=5)
    model = helpers.load_weights()
    n_heads = 2
    seq = widgets.IntSlider(value=0, min=0, max=5)
    head = widgets.ToggleButtons(options=[0, 1])
    live = helpers.live_example_view(model.params, data, n_heads, seq, head)
    ax = live.figure.axes[0]
    moved(live, seq, 4)
    moved(live, head, 1)
    words, A, predicted = helpers.example_attention(model.params, data, 4, n_heads)
    np.testing.assert_allclose(ax.images[0].get_array(), A[1])
    assert [t.get_text() for t in ax.get_xticklabels()] == list(words)
    assert ax.title.get_text() == "head 1, sequence 4"
    assert html.escape(str([helpers.COLOURS[c] for c in data.targets[4]])) in live.text.value


def test_memory_view_keeps_a_fixed_axis_and_shows_the_counted_bytes():
    T_slider = widgets.SelectionSlider(options=[64, 1024, 65536], value=1024)
    block = widgets.SelectionSlider(options=[16, 256], value=256)
    live = helpers.live_memory_view(T_slider, block)
    ax = live.figure.axes[0]
    limits = ax.get_ylim()
    assert ax.get_yscale() == "log" and limits[1] >= helpers.attention_memory_bytes(65536, 1)[0]
    for T in (64, 65536):
        moved(live, T_slider, T)
        full, blocked = helpers.attention_memory_bytes(T, block_size=256, d_v=64, itemsize=4)
        bottom = ax.patches[0].get_y()
        np.testing.assert_allclose(heights(ax) + bottom, [full, blocked])
        assert ax.get_ylim() == limits  # the axis never rescales: the bars grow
        assert ax.title.get_text().endswith(f"full / blocked = {full / blocked:.1f}×")


def test_heads_count_explorer_swaps_whole_pictures_and_texts():
    box = helpers.heads_count_explorer(4, 16, [1, 2, 4], 2, tokens=list("abcd"))
    slider, image, text = box.children
    first = image.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n" and "d_head = 16 / 2 = 8" in text.value
    slider.value = 4
    assert image.value != first and "d_head = 16 / 4 = 4" in text.value
    assert f"{helpers.heads_config(16, 4).total:,}" in text.value
    with pytest.raises(ValueError, match="must be one of counts"):
        helpers.heads_count_explorer(4, 16, [1, 2], 4)


def test_swap_view_shows_permutation_gap_on_an_axis_that_only_grows():
    rng = np.random.default_rng(3)
    T, d_model, n_heads = 5, 8, 2
    X = rng.standard_normal((T, d_model)).astype(np.float32)
    X[2] = X[0]  # the word "a" twice
    params = helpers.init_block_weights(d_model, n_heads, seed=0)
    tokens = ["a", "b", "a", "c", "d"]
    i, j = widgets.Dropdown(options=list(range(T)), value=0), widgets.Dropdown(options=list(range(T)), value=1)
    pe = widgets.Checkbox(value=True)
    live = helpers.live_swap_view(X, params, n_heads, tokens, i, j, pe)
    ax = live.figure.axes[0]
    top = ax.get_ylim()[1]
    for a, b, with_pe in ((0, 3, True), (0, 3, False), (0, 2, True)):
        i.value, j.value, pe.value = a, b, with_pe
        assert live.wait(30) and live.last_error is None
        perm = np.arange(T)
        perm[[a, b]] = perm[[b, a]]
        expected = helpers.permutation_gap(X, params, n_heads, perm, with_pe)  # one swap, computed alone
        np.testing.assert_allclose(heights(ax), expected, rtol=1e-5, atol=1e-6)
        assert ax.get_ylim()[1] >= top
        top = ax.get_ylim()[1]
    assert "the same sentence" in ax.texts[0].get_text()  # "a" swapped with "a"


def test_mask_and_example_views_coming_back_give_the_picture_of_a_fresh_view():
    """06 and 09 keep each sentence's background (LiveFigure.layout): a return shows the same pixels as a new view."""
    rng = np.random.default_rng(2)
    examples = {name: (list(name), *(rng.standard_normal((len(name), 3)) for _ in range(3)))
                for name in ("abc", "wxyz")}

    def mask_view(example, causal):
        controls = (widgets.Dropdown(options=list(examples), value=example), widgets.Checkbox(value=causal),
                    widgets.ToggleButtons(options=["before", "after"]))
        return controls, helpers.live_mask_view(examples, *controls)

    (example, causal, _), live = mask_view("abc", True)
    for name, c in (("wxyz", True), ("abc", False), ("wxyz", False), ("abc", True)):
        example.value, causal.value = name, c
        assert live.wait(30) and live.last_error is None
        assert live.image.value == mask_view(name, c)[1].image.value

    data, model = helpers.make_task(6, seed=5), helpers.load_weights()

    def example_view(i, h):
        seq, head = widgets.IntSlider(value=i, min=0, max=5), widgets.ToggleButtons(options=[0, 1], value=h)
        return seq, head, helpers.live_example_view(model.params, data, 2, seq, head)

    seq, head, live = example_view(0, 0)
    for i, h in ((1, 1), (0, 1), (1, 0), (0, 0)):
        seq.value, head.value = i, h
        assert live.wait(30) and live.last_error is None
        assert live.image.value == example_view(i, h)[2].image.value
