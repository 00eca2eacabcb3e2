"""The slides' tables fit the classroom screen: 1366×768, JupyterLab's default layout (issue #14).

The notebook output column is 934 px there (914 px inside its padding), measured by
tests/test_classroom.py in Chromium. These tests need no browser: the tables' width is estimated
from the widths of DejaVu Sans glyphs (the tables' font), and that estimate is checked against an
independent measurement, matplotlib laying out the same text in the same font. In Chromium the
estimate was within 3 % of the drawn width of every table of the series (e.g. notebook 05's paper-size
step table: 1907 px drawn, 1907 px estimated before this change).
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.font_manager import FontProperties, findfont  # noqa: E402
from matplotlib.textpath import TextToPath  # noqa: E402

import helpers  # noqa: E402
from helpers.show.tables import FIT_WIDTH_PX, table_min_width_px, text_width_px  # noqa: E402

COLUMN_PX = 914  # the output area's content width at 1366×768 with the file browser open
TOKENS = ["Action", "gets", "results"]
SAMPLES = ["[0.57, …, 0.42]", "[-0.02, 0.50, …, 0.30] (64 values)", "-2.58", "softmax · v", "score / √d_k",
           "(√3 ≈ 1.73)", "Action", "results", "1,048,576", "W_Q^h, W_K^h, W_V^h", "q/k/v weights per head",
           "[0.123, 0.456, 0.789, 0.111]", "green ▲ blue ▲ green ★ red ●"]


def _mpl_width_px(text, bold=False):
    """Width of text in DejaVu Sans at 16 px, laid out by matplotlib (an independent measurement)."""
    prop = FontProperties(family="DejaVu Sans", size=16, weight="bold" if bold else "normal")
    if "DejaVu" not in findfont(prop):
        pytest.skip("DejaVu Sans not found by matplotlib")
    width, _, _ = TextToPath().get_text_width_height_descent(text, prop, ismath=False)
    return width


@pytest.mark.parametrize("text", SAMPLES)
@pytest.mark.parametrize("bold", [False, True])
def test_text_width_estimate_matches_the_font(text, bold):
    got, ref = text_width_px(text, bold=bold), _mpl_width_px(text, bold=bold)
    assert 0.95 * ref <= got <= 1.12 * ref, f"{text!r}: estimated {got:.0f} px, DejaVu Sans lays it out at {ref:.0f} px"


def _reference_min_width(t):
    """Independent: per column the widest cell (bold in the highlighted row) or the header's longest word, + 18 px."""
    total = 0.0
    for j, h in enumerate(t.headers):
        cells = [_mpl_width_px(row[j], bold=(r == t.highlight_row)) for r, row in enumerate(t.rows) if row[j]]
        words = [_mpl_width_px(w, bold=True) for w in h.split(" ")]
        total += max(cells + words) + 18
    return total


def _worked():
    ex = helpers.load_worked_example()
    return ex.tokens, ex.X @ ex.W_Q, ex.X @ ex.W_K, ex.X @ ex.W_V


def _paper(T=3, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(scale=0.5, size=(T, 64)) for _ in range(3)]


TALKED_ABOUT = {"score": "score", "scaled": "score /", "softmax": "softmax", "weighted": "softmax · v", "sum": "sum"}

# the step tables of notebooks 02–06 (worked example, decimals 0–3) and at the paper's size (d_k = 64, 3 and 12 words)
CASES = [("worked", dict(query=q, upto=u, decimals=d)) for q in (0, 1, 2) for u in helpers.STEPS for d in (0, 2, 3)]
CASES += [("paper", dict(query=q, upto=u)) for q in (0, 1) for u in helpers.STEPS]
CASES += [("paper12", dict(query=q)) for q in (0, 5, 11)]


@pytest.mark.parametrize("which, kw", CASES, ids=[f"{w}-{k['query']}-{k.get('upto', 'sum')}-{k.get('decimals', 2)}"
                                                   for w, k in CASES])
def test_step_table_fits_the_column_and_keeps_the_steps(which, kw):
    if which == "worked":
        tokens, Q, K, V = _worked()
    else:
        T = 12 if which == "paper12" else 3
        tokens = [f"word{k}" for k in range(T)] if T == 12 else TOKENS
        Q, K, V = _paper(T)
    t = helpers.step_table(tokens, Q, K, V, **kw)
    assert t.min_width_px() <= FIT_WIDTH_PX < COLUMN_PX, (t.headers, t.min_width_px())
    upto = kw.get("upto", "sum")
    for step in helpers.STEPS[1:helpers.STEPS.index(upto) + 1]:  # every step column the text is at stays
        assert any(h.startswith(TALKED_ABOUT[step]) for h in t.headers), (step, t.headers)


def test_the_estimate_agrees_with_an_independent_layout():
    tokens, Q, K, V = _worked()
    for t in (helpers.step_table(tokens, Q, K, V, 0, decimals=3), helpers.step_table(TOKENS, *_paper(), 1),
              helpers.qkv_table(TOKENS, *_paper())):
        ref = _reference_min_width(t)
        assert 0.95 * ref <= t.min_width_px() <= 1.1 * ref, (t.headers, t.min_width_px(), ref)


def test_fitting_drops_taught_columns_first_and_says_so():
    Q, K, V = _paper()
    full = helpers.step_table(TOKENS, Q, K, V, 1, max_width=None)
    assert full.headers[1:4] == ("q vector", "k vector", "v vector") and full.min_width_px() > COLUMN_PX
    fitted = helpers.step_table(TOKENS, Q, K, V, 1)
    assert "q vector" not in " ".join(fitted.headers) and "k vector" not in " ".join(fitted.headers)
    assert "left out to fit the screen" in fitted.title
    assert fitted.column("score") == full.column("score")  # the numbers are the same ones
    assert fitted.column("sum (64 values)")[1] == "[" + full.column("sum")[1].split(", ")[0][1:] + ", …, " \
        + full.column("sum")[1].split(", ")[-1].split("]")[0] + "]"
    small = helpers.step_table(TOKENS, Q[:, :2], K[:, :2], V[:, :2], 0, upto="scaled")
    assert small.headers[1:4] == ("q vector", "k vector", "v vector")  # a table that fits is left alone


def test_columns_picks_what_the_text_is_about():
    tokens, Q, K, V = _worked()
    t = helpers.step_table(tokens, Q, K, V, 0, columns=("score", "scaled", "softmax"))
    assert t.headers == ("word", "score", "score / 2", "softmax")
    with pytest.raises(ValueError, match="columns"):
        helpers.step_table(tokens, Q, K, V, 0, columns=("scores",))
    with pytest.raises(ValueError, match="max_width"):
        helpers.step_table(tokens, Q, K, V, 0, max_width=0)


def test_paper_size_qkv_table_fits():
    X = np.random.default_rng(1).normal(size=(3, 512))
    t = helpers.qkv_table(TOKENS, *_paper(), X=X)
    assert t.min_width_px() <= FIT_WIDTH_PX, t.headers
    assert t.headers == ("word", "x vector (512 values)", "q vector (64 values)", "k vector (64 values)",
                         "v vector (64 values)")


def test_headers_wrap_and_cells_do_not():
    html = helpers.step_table(TOKENS, *_paper(), 0)._repr_html_()
    th = html[html.index("<th "):html.index(">", html.index("<th "))]
    td = html[html.index("<td"):html.index(">", html.index("<td"))]
    assert "white-space: normal" in th and "white-space: nowrap" in td
    assert table_min_width_px(["a b"], [["x"]]) < table_min_width_px(["ab"], [["x"]]) + text_width_px("ab")
