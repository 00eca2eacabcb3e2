"""The slides' tables: step_values against loops from the formula, exact cells, reprs, bad input."""

import math

import numpy as np
import pytest

from helpers.tables import (
    STEPS,
    Table,
    format_number,
    format_vector,
    matrix_table,
    qkv_table,
    scaled_header,
    step_table,
    step_values,
)

TOKENS = ["Action", "gets", "results"]

# A hand-checkable example with d_k = 4 (so √d_k = 2) and d_v = 2.
Q4 = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 2.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
K4 = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
V4 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])


def loop_step(Q, K, V, i, allowed=None):
    """Reference: score_j = Σ_d q_i[d] k_j[d]; /√d_k; softmax with math.exp; weighted_j = a_j v_j; z = Σ_j."""
    Q, K, V = (np.asarray(M, dtype=np.float64).tolist() for M in (Q, K, V))
    T, d_k, d_v = len(K), len(K[0]), len(V[0])
    score = []
    for j in range(T):
        total = 0.0
        for d in range(d_k):
            total += Q[i][d] * K[j][d]
        score.append(total)
    scaled = [s / math.sqrt(d_k) for s in score]
    if allowed is not None:
        scaled = [s if allowed[j] else -math.inf for j, s in enumerate(scaled)]
    finite = [s for s in scaled if s != -math.inf]
    if finite:
        m = max(finite)
        e = [math.exp(s - m) if s != -math.inf else 0.0 for s in scaled]
        total = sum(e)
        weights = [x / total for x in e]
    else:
        weights = [0.0] * T
    weighted = [[weights[j] * V[j][c] for c in range(d_v)] for j in range(T)]
    z = [0.0] * d_v
    for j in range(T):
        for c in range(d_v):
            z[c] += weighted[j][c]
    return {"score": score, "scaled": scaled, "weights": weights, "weighted": weighted, "z": z}


# ---------------------------------------------------------------- format_number / format_vector


@pytest.mark.parametrize(
    "x, decimals, expected",
    [
        (0.123, 2, "0.12"),
        (-0.3, 2, "-0.30"),
        (1, 2, "1.00"),
        (-0.004, 2, "0.00"),
        (-0.0, 2, "0.00"),
        (-0.0004, 3, "0.000"),
        (-0.0005001, 3, "-0.001"),
        (2.5, 0, "2"),
        (-0.4, 0, "0"),
        (float("-inf"), 2, "-inf"),
        (float("inf"), 2, "inf"),
        (float("nan"), 2, "nan"),
        (np.float32(0.125), 3, "0.125"),
    ],
)
def test_format_number(x, decimals, expected):
    assert format_number(x, decimals) == expected


def test_format_vector_short():
    assert format_vector([0.12, -0.3, 1.0, 0.5]) == "[0.12, -0.30, 1.00, 0.50]"
    assert format_vector(np.array([0.123456, -1.0], dtype=np.float32), decimals=3) == "[0.123, -1.000]"
    assert format_vector([3]) == "[3]"  # whole numbers: no decimals
    assert format_vector([3.5]) == "[3.50]"
    assert format_vector([1.0, 2.0, 0.5]) == "[1.00, 2.00, 0.50]"


def test_format_vector_never_prints_minus_zero():
    assert format_vector([-0.001, -0.0, 0.004, -0.005001]) == "[0.00, 0.00, 0.00, -0.01]"


def test_format_vector_long_keeps_first_and_last():
    v = np.linspace(-1.0, 1.0, 64)
    v[0], v[1], v[-1] = 0.12, -0.3, 0.5
    assert format_vector(v) == "[0.12, -0.30, …, 0.50] (64 values)"
    assert format_vector(v, max_items=5) == "[0.12, -0.30, …, " + format_number(v[-2]) + ", 0.50] (64 values)"
    assert format_vector(v, max_items=2) == "[0.12, …] (64 values)"
    assert format_vector(v[:5], max_items=None).count(",") == 4
    assert format_vector(v[:4]) == "[0.12, -0.30, " + format_number(v[2]) + ", " + format_number(v[3]) + "]"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"v": [[1.0, 2.0]]}, r"1-D.*\(1, 2\)"),
        ({"v": 3.0}, r"1-D.*\(\)"),
        ({"v": []}, "empty"),
        ({"v": ["a", "b"]}, "numeric"),
        ({"v": [1.0], "decimals": -1}, "decimals"),
        ({"v": [1.0], "decimals": 1.5}, "decimals"),
        ({"v": [1.0], "max_items": 1}, "max_items"),
    ],
)
def test_format_vector_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        format_vector(**kwargs)


# ---------------------------------------------------------------- step_values


@pytest.mark.parametrize("seed, T, d_k, d_v", [(0, 3, 4, 4), (1, 5, 64, 8), (2, 12, 3, 5), (3, 1, 2, 2)])
def test_step_values_match_loops(seed, T, d_k, d_v):
    rng = np.random.default_rng(seed)
    Q, K, V = rng.normal(size=(T, d_k)), rng.normal(size=(T, d_k)), rng.normal(size=(T, d_v))
    for i in range(T):
        got = step_values(Q, K, V, i)
        ref = loop_step(Q, K, V, i)
        assert set(got) == {"score", "scaled", "weights", "weighted", "z"}
        assert got["score"].shape == (T,) and got["weighted"].shape == (T, d_v) and got["z"].shape == (d_v,)
        for key in ref:
            assert got[key].dtype == np.float64
            np.testing.assert_allclose(got[key], np.array(ref[key]), rtol=0, atol=1e-12)


def test_step_values_keep_float32():
    rng = np.random.default_rng(4)
    Q, K, V = (rng.normal(size=(4, 8)).astype(np.float32) for _ in range(3))
    got = step_values(Q, K, V, 2)
    ref = loop_step(Q, K, V, 2)
    for key in ref:
        assert got[key].dtype == np.float32, key
        np.testing.assert_allclose(got[key], np.array(ref[key]), rtol=1e-5, atol=1e-6)


def test_step_values_with_a_causal_mask():
    rng = np.random.default_rng(5)
    T = 4
    Q, K, V = rng.normal(size=(T, 4)), rng.normal(size=(T, 4)), rng.normal(size=(T, 3))
    mask = np.tril(np.ones((T, T), dtype=bool))
    for i in range(T):
        got = step_values(Q, K, V, i, mask=mask)
        ref = loop_step(Q, K, V, i, allowed=[j <= i for j in range(T)])
        assert np.all(np.isneginf(got["scaled"][i + 1:]))
        assert np.all(got["weights"][i + 1:] == 0.0)
        np.testing.assert_allclose(got["weights"], ref["weights"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(got["z"], ref["z"], rtol=0, atol=1e-12)
    nothing = step_values(Q, K, V, 1, mask=np.zeros(T, dtype=bool))
    assert np.all(nothing["weights"] == 0.0) and np.all(nothing["z"] == 0.0)
    with pytest.raises(ValueError, match="boolean"):
        step_values(Q, K, V, 0, mask=np.ones(T))
    with pytest.raises(ValueError, match=r"\(4,\).*\(3, 3\)"):
        step_values(Q, K, V, 0, mask=np.ones((3, 3), dtype=bool))


@pytest.mark.parametrize("query", [3, -1, 10])
def test_step_values_query_out_of_range_names_T(query):
    with pytest.raises(ValueError, match=r"T = 3"):
        step_values(Q4, K4, V4, query)


@pytest.mark.parametrize("query", [1.0, "1", None, True])
def test_step_values_query_must_be_an_integer(query):
    with pytest.raises(ValueError, match="query"):
        step_values(Q4, K4, V4, query)


def test_step_values_accepts_numpy_integers():
    np.testing.assert_array_equal(step_values(Q4, K4, V4, np.int64(1))["z"], step_values(Q4, K4, V4, 1)["z"])


@pytest.mark.parametrize(
    "Q, K, V, match",
    [
        (Q4[:, :3], K4, V4, r"d_k.*\(3, 3\).*\(3, 4\)"),
        (Q4, K4, V4[:2], r"same T.*\(2, 2\)"),
        (Q4[0], K4, V4, r"Q must have 2 dimensions.*\(4,\)"),
        (Q4, K4[None], V4, r"K must have 2 dimensions"),
        (np.full((3, 4), np.nan), K4, V4, "NaN"),
    ],
)
def test_step_values_bad_shapes(Q, K, V, match):
    with pytest.raises(ValueError, match=match):
        step_values(Q, K, V, 0)


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
    assert t.column("q vector")[2].endswith("(64 values)")
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
    assert t.column("score / 2") == ["0.50", "-inf", "-inf"]
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
