"""The slides' tables: step_values against loops from the formula, exact cells, reprs, bad input."""


import numpy as np
import pytest

from common import K4, Q4, V4
from helpers import (
    STEPS,
    Table,
    format_number,
    format_vector,
    matrix_table,
    qkv_table,
    scaled_header,
    step_table,
)
from oracle import loop_step



TOKENS = ["Action", "gets", "results"]


# ---------------------------------------------------------------- step_table


def test_step_table_cells_for_the_first_word():
    # by hand: scores 1, 0, 1; / √4 = 0.5, 0, 0.5; softmax e^0.5 / (2 e^0.5 + 1) = 0.383650, 1 / … = 0.232700
    t = step_table(TOKENS, Q4, K4, V4, 0)
    assert t.headers == (
        "word", "q vector", "k vector", "v vector", "score", "score / 2", "softmax", "softmax · v", "sum",
    )
    assert t.rows == (
        ("Action", "[1, 0, 1, 0]", "[1, 0, 0, 0]", "[1, 0]",
         "1.00", "0.50", "0.38", "[0.38, 0.00]", "[0.77, 0.62]"),
        ("gets", "", "[0, 1, 0, 0]", "[0, 1]", "0.00", "0.00", "0.23", "[0.00, 0.23]", ""),
        ("results", "", "[0, 0, 1, 1]", "[1, 1]", "1.00", "0.50", "0.38", "[0.38, 0.38]", ""),
    )
    assert t.highlight_row == 0
    assert t.title == 'query word "Action" (the slides\' word 1, index 0 in Python), d_k = 4'


def test_step_table_q_and_sum_only_in_the_query_row():
    for i in range(3):
        t = step_table(TOKENS, Q4, K4, V4, i)
        assert t.highlight_row == i
        for name in ("q vector", "sum"):
            col = t.column(name)
            assert [c != "" for c in col] == [j == i for j in range(3)], (name, i, col)
        assert all(c != "" for c in t.column("k vector") + t.column("softmax · v"))
    z1 = loop_step(Q4, K4, V4, 1)["z"]
    assert step_table(TOKENS, Q4, K4, V4, 1).column("sum")[1] == format_vector(z1)


def test_step_table_label_is_the_actual_sqrt_dk():
    rng = np.random.default_rng(6)
    Q64, K64, V64 = (rng.normal(size=(3, 64)) for _ in range(3))
    t = step_table(TOKENS, Q64, K64, V64, 2, upto="scaled")
    assert t.headers[-1] == "score / 8"
    ref = loop_step(Q64, K64, V64, 2)
    assert t.column("score / 8") == [format_number(s) for s in ref["scaled"]]
    assert t.column("score") == [format_number(s) for s in ref["score"]]
    assert t.column("q vector (64 values)")[2].count(",") == 2  # fitted: first and last value only
    full = step_table(TOKENS, Q64, K64, V64, 2, upto="scaled", max_width=None)
    assert full.column("q vector")[2].endswith("(64 values)")
    assert step_table(TOKENS, Q4, K4, V4, 0, upto="scaled").headers[-1] == "score / 2"
    assert scaled_header(1) == "score / 1"
    assert scaled_header(3) == "score / √d_k (√3 ≈ 1.73)"
    assert scaled_header(8, decimals=3) == "score / √d_k (√8 ≈ 2.828)"
    with pytest.raises(ValueError, match="d_k"):
        scaled_header(0)


@pytest.mark.parametrize(
    "upto, last",
    [("qkv", "v vector"), ("score", "score"), ("scaled", "score / 2"), ("softmax", "softmax"),
     ("weighted", "softmax · v"), ("sum", "sum")],
)
def test_step_table_upto_cuts_after_that_column(upto, last):
    t = step_table(TOKENS, Q4, K4, V4, 1, upto=upto)
    full = step_table(TOKENS, Q4, K4, V4, 1)
    n = 4 + STEPS.index(upto)
    assert t.headers[-1] == last and len(t.headers) == n
    assert t.headers == full.headers[:n]
    assert t.rows == tuple(row[:n] for row in full.rows)


def test_step_table_bad_input():
    with pytest.raises(ValueError, match="upto"):
        step_table(TOKENS, Q4, K4, V4, 0, upto="z")
    with pytest.raises(ValueError, match=r"tokens has 2 entries.*needs 3"):
        step_table(TOKENS[:2], Q4, K4, V4, 0)
    with pytest.raises(ValueError, match=r"split"):
        step_table("Action gets results", Q4, K4, V4, 0)
    with pytest.raises(ValueError, match=r"T = 3"):
        step_table(TOKENS, Q4, K4, V4, 3)


def test_step_table_with_a_mask_shows_minus_inf():
    t = step_table(TOKENS, Q4, K4, V4, 0, mask=np.tril(np.ones((3, 3), dtype=bool)))
    assert t.column("score / 2 (masked)") == ["0.50", "-inf", "-inf"]
    assert t.column("softmax") == ["1.00", "0.00", "0.00"]
    assert t.column("sum")[0] == "[1, 0]"


# ---------------------------------------------------------------- qkv_table, matrix_table


def test_qkv_table_cells():
    X = np.array([[1.0, -0.004], [0.5, 2.0], [-1.0, 0.25]])
    t = qkv_table(TOKENS, Q4, K4, V4, X=X)
    assert t.headers == ("word", "x vector", "q vector", "k vector", "v vector")
    assert t.rows[0] == ("Action", "[1.00, 0.00]", "[1, 0, 1, 0]", "[1, 0, 0, 0]",
                         "[1, 0]")  # x holds -0.004, so it is not a whole-number vector
    assert t.column("word") == TOKENS
    assert t.column("v vector")[2] == "[1, 1]"
    assert t.highlight_row is None
    t2 = qkv_table(TOKENS, Q4, K4, V4)
    assert t2.headers == ("word", "q vector", "k vector", "v vector")
    assert t2.rows == tuple(row[:1] + row[2:] for row in t.rows)
    with pytest.raises(ValueError, match=r"X of shape \(2, 2\).*T = 3"):
        qkv_table(TOKENS, Q4, K4, V4, X=X[:2])


def test_matrix_table_labels_and_cuts():
    A = np.arange(12.0).reshape(3, 4) / 10
    t = matrix_table(A, TOKENS, ["a", "b", "c", "d"], title="A", corner="query")
    assert t.headers == ("query", "a", "b", "c", "d")
    assert t.rows[1] == ("gets", "0.40", "0.50", "0.60", "0.70")
    assert t.title == "A"
    big = matrix_table(np.zeros((20, 64)), max_rows=6, max_cols=4)
    assert big.headers == ("", "0", "1", "…", "63")
    assert [row[0] for row in big.rows] == ["0", "1", "2", "…", "18", "19"]
    assert big.title == "matrix (20 × 64)"
    assert matrix_table(A, TOKENS, highlight_row=2).highlight_row == 2
    with pytest.raises(ValueError, match=r"row_labels has 2 entries.*\(3, 4\)"):
        matrix_table(A, TOKENS[:2])
    with pytest.raises(ValueError, match=r"2-D.*\(4,\)"):
        matrix_table(np.zeros(4))


# ---------------------------------------------------------------- Table reprs


def test_text_repr_is_aligned_and_marks_the_query_row():
    t = step_table(TOKENS, Q4, K4, V4, 1)
    text = repr(t)
    lines = text.split("\n")
    assert lines[0] == t.title
    assert lines[1].startswith("  word")
    assert lines[3].startswith("  Action") and lines[4].startswith("> gets") and lines[5].startswith("  results")
    # right-aligned number columns end at the same place on every line
    score_end = lines[1].index("score") + len("score")
    assert all(line[score_end - 4:score_end].strip() for line in lines[3:6])
    for cell in ("[0, 2, 0, 0]", "score / 2", "softmax · v"):
        assert cell in text
    assert str(t) == text
    assert repr(step_table(TOKENS, Q4, K4, V4, 1)) == text  # deterministic


def test_html_repr_contains_values_inline_styles_only_and_is_deterministic():
    t = step_table(TOKENS, Q4, K4, V4, 0)
    out = t._repr_html_()
    assert out == step_table(TOKENS, Q4, K4, V4, 0)._repr_html_()
    assert out.startswith("<table style=") and out.endswith("</table>")
    for snippet in ("[0.77, 0.62]", "score / 2", "softmax · v", "&quot;Action&quot;", "<caption"):
        assert snippet in out
    for forbidden in ("<script", "<link", "<style", "class=", "id=", "http"):
        assert forbidden not in out
    assert out.count("<tr>") == 4  # header + 3 words
    body = out.split("<tbody>")[1].split("</tr>")
    assert "font-weight: bold" in body[0] and "font-weight: bold" not in body[1]


def test_html_escapes_cells():
    t = Table(["a<b", "c"], [["<script>", "x & y"]], title="1 < 2")
    out = t._repr_html_()
    assert "&lt;script&gt;" in out and "x &amp; y" in out and "a&lt;b" in out and "1 &lt; 2" in out
    assert "<script>" not in out


def test_to_markdown():
    t = Table(["word", "value"], [["a|b", "1"], ["c", ""]], title="T", highlight_row=0)
    assert t.to_markdown() == "\n".join(
        ["**T**", "", "| word | value |", "| :--- | ---: |", "| **a\\|b** | **1** |", "| c |  |"]
    )


def test_table_holds_strings_and_validates():
    t = Table(["a", "b"], [[1, None], (2.5, "x")])
    assert t.rows == (("1", ""), ("2.5", "x")) and t.shape == (2, 2) and len(t) == 2
    assert t == Table(("a", "b"), [["1", ""], ["2.5", "x"]])
    with pytest.raises(ValueError, match=r"row 1 has 1 cells.*2 columns"):
        Table(["a", "b"], [[1, 2], [3]])
    with pytest.raises(ValueError, match="highlight_row = 2"):
        Table(["a"], [[1], [2]], highlight_row=2)
    with pytest.raises(ValueError, match="highlight_row"):
        Table(["a"], [[1]], highlight_row=True)
    with pytest.raises(ValueError, match="string"):
        Table("ab", [[1, 2]])
    with pytest.raises(ValueError, match="no column"):
        t.column("c")
