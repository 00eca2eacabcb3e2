"""helpers/lessons/nb07_eight_heads.py against explicit loops and closed forms written here, plus dtypes and errors."""

import math

import numpy as np
import pytest

from common import TOL, rand, weights
from helpers import Table, multi_head_attention
from helpers import (
    HeadsConfig,
    head_attention,
    head_contributions,
    head_counts,
    heads_config,
    head_explorer,
    heads_table,
    shape_walk,
    shape_walk_table,
    top_attended,
    top_attended_table,
)

SEEDS = [0, 1, 2]




# ---------------------------------------------------------------- loop references, straight from the formulas


def loop_head(X, W_q, W_k, W_v, n_heads, h):
    """Head h of one sequence X (T, d_model) with Python loops: q_i = x_i W_Q^h, a_ij, z_i."""
    X, W_q, W_k, W_v = (np.asarray(M, dtype=np.float64).tolist() for M in (X, W_q, W_k, W_v))
    T, d_model = len(X), len(X[0])
    d_head = d_model // n_heads
    cols = range(h * d_head, (h + 1) * d_head)

    def project(W):
        return [[sum(X[t][r] * W[r][c] for r in range(d_model)) for c in cols] for t in range(T)]

    Q, K, V = project(W_q), project(W_k), project(W_v)
    A, Z = [], []
    for i in range(T):
        s = [sum(Q[i][d] * K[j][d] for d in range(d_head)) / math.sqrt(d_head) for j in range(T)]
        m = max(s)
        e = [math.exp(s_j - m) for s_j in s]
        a = [e_j / sum(e) for e_j in e]
        A.append(a)
        Z.append([sum(a[j] * V[j][d] for j in range(T)) for d in range(d_head)])
    return [np.array(M) for M in (Q, K, V, A, Z)]


def loop_top(A, k):
    """Indices of the k largest entries of each row, largest first, ties by the earlier index."""
    A = np.asarray(A, dtype=np.float64).tolist()
    idx = [sorted(range(len(row)), key=lambda j: (-row[j], j))[:k] for row in A]
    return idx, [[A[i][j] for j in row] for i, row in enumerate(idx)]


def loop_contributions(Zh, W_o):
    """out[h][t][c] = Σ_d Zh[h][t][d] · W_o[h·d_head + d][c], for one sequence Zh (n_heads, T, d_head)."""
    Zh, W_o = np.asarray(Zh, dtype=np.float64).tolist(), np.asarray(W_o, dtype=np.float64).tolist()
    n_heads, T, d_head = len(Zh), len(Zh[0]), len(Zh[0][0])
    d_model = len(W_o[0])
    return np.array([[[sum(Zh[h][t][d] * W_o[h * d_head + d][c] for d in range(d_head)) for c in range(d_model)]
                      for t in range(T)] for h in range(n_heads)])


# ---------------------------------------------------------------- head_attention


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("T, d_model, n_heads", [(3, 8, 2), (4, 12, 3), (5, 8, 8), (2, 6, 1)])
def test_head_attention_matches_loops(T, d_model, n_heads, seed):
    X = rand(seed, T, d_model)
    W_q, W_k, W_v, _ = weights(seed, d_model)
    for h in range(n_heads):
        got = head_attention(X, W_q, W_k, W_v, n_heads, h)
        for name, g, want in zip("QKVAZ", got, loop_head(X, W_q, W_k, W_v, n_heads, h)):
            np.testing.assert_allclose(g, want, err_msg=f"{name} of head {h}", **TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_head_attention_is_one_slice_of_multi_head_attention(seed):
    X = rand(seed, 2, 4, 12)  # a batch of 2 sequences
    W_q, W_k, W_v, W_o = weights(seed, 12)
    _, A = multi_head_attention(X, W_q, W_k, W_v, W_o, 3)  # (2, 3, 4, 4)
    for h in range(3):
        view = head_attention(X, W_q, W_k, W_v, 3, h)
        assert view.A.shape == (2, 4, 4) and view.Z.shape == (2, 4, 4)
        np.testing.assert_allclose(view.A, A[:, h], **TOL)
        for b in range(2):
            np.testing.assert_allclose(view.Z[b], loop_head(X[b], W_q, W_k, W_v, 3, h)[4], **TOL)


def test_head_attention_rows_sum_to_one():
    X = rand(3, 6, 16)
    W_q, W_k, W_v, _ = weights(3, 16)
    A = head_attention(X, W_q, W_k, W_v, 4, 2).A
    np.testing.assert_allclose(A.sum(axis=-1), np.ones(6), **TOL)


def test_head_attention_keeps_float32():
    X = rand(4, 3, 8, dtype=np.float32)
    W_q, W_k, W_v, _ = weights(4, 8, dtype=np.float32)
    view = head_attention(X, W_q, W_k, W_v, 2, 1)
    assert all(M.dtype == np.float32 for M in view)
    want = loop_head(X, W_q, W_k, W_v, 2, 1)
    np.testing.assert_allclose(view.Z, want[4], rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("head", [-1, 2, 1.0, True, "0"])
def test_head_attention_rejects_a_head_that_does_not_exist(head):
    X = rand(0, 3, 8)
    W_q, W_k, W_v, _ = weights(0, 8)
    with pytest.raises(ValueError, match="head"):
        head_attention(X, W_q, W_k, W_v, 2, head)


def test_head_attention_names_the_shapes():
    X = rand(0, 3, 8)
    W_q, W_k, W_v, _ = weights(0, 8)
    with pytest.raises(ValueError, match=r"W_k must have shape .*\(8, 8\).*\(3, 8\).*\(8, 6\)"):
        head_attention(X, W_q, W_k[:, :6], W_v, 2, 0)
    with pytest.raises(ValueError, match=r"d_model = 8 .*\(3, 8\).* not divisible by n_heads = 3"):
        head_attention(X, W_q, W_k, W_v, 3, 0)
    with pytest.raises(ValueError, match=r"X must have at least 2 dimensions, got shape \(8,\)"):
        head_attention(X[0], W_q, W_k, W_v, 2, 0)
    with pytest.raises(ValueError, match="n_heads must be a positive integer"):
        head_attention(X, W_q, W_k, W_v, 0, 0)
    bad = X.copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        head_attention(bad, W_q, W_k, W_v, 2, 0)


# ---------------------------------------------------------------- top_attended


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("T, k", [(3, 1), (3, 3), (7, 2), (12, 4)])
def test_top_attended_matches_sorting_by_hand(T, k, seed):
    A = np.random.default_rng(seed).dirichlet(np.ones(T), size=T)  # (T, T) rows that sum to 1
    idx, w = top_attended(A, k)
    want_idx, want_w = loop_top(A, k)
    assert idx.shape == (T, k) and np.issubdtype(idx.dtype, np.integer)
    assert idx.tolist() == want_idx
    np.testing.assert_allclose(w, want_w, **TOL)


def test_top_attended_breaks_ties_by_word_order():
    A = np.array([[0.25, 0.25, 0.25, 0.25], [0.1, 0.4, 0.1, 0.4], [0.5, 0.0, 0.5, 0.0], [0.0, 0.0, 0.0, 1.0]])
    idx, w = top_attended(A, 3)
    assert idx.tolist() == loop_top(A, 3)[0] == [[0, 1, 2], [1, 3, 0], [0, 2, 1], [3, 0, 1]]
    assert w.dtype == np.float64


def test_top_attended_keeps_float32():
    A = np.full((3, 3), 1 / 3, dtype=np.float32)
    assert top_attended(A, 2)[1].dtype == np.float32


@pytest.mark.parametrize("A, k, pattern", [
    (np.ones((2, 3)) / 3, 1, r"square \(T, T\).*\(2, 3\)"),
    (np.ones(3) / 3, 1, r"2 dimensions, got shape \(3,\)"),
    (np.eye(3), 0, "k must be an integer from 1 to T = 3"),
    (np.eye(3), 4, "k must be an integer from 1 to T = 3"),
    (np.eye(3), 1.0, "k must be an integer"),
])
def test_top_attended_rejects_bad_input(A, k, pattern):
    with pytest.raises(ValueError, match=pattern):
        top_attended(A, k)


def test_top_attended_table_rows_and_cells():
    A = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.05, 0.15, 0.8]])
    table = top_attended_table(A, ["Action", "gets", "results"], k=2)
    assert isinstance(table, Table)
    assert table.headers == ("query word i", "1st most attended", "2nd most attended")
    assert table.rows == (("Action", "gets (0.70)", "results (0.20)"),
                          ("gets", "Action (0.50)", "gets (0.30)"),
                          ("results", "results (0.80)", "gets (0.15)"))


def test_top_attended_table_ordinals_and_errors():
    A = np.eye(12)
    table = top_attended_table(A, [f"w{i}" for i in range(12)], k=12)
    assert table.headers[1:4] == ("1st most attended", "2nd most attended", "3rd most attended")
    assert table.headers[11:13] == ("11th most attended", "12th most attended")
    with pytest.raises(ValueError, match=r"tokens has 2 words but A of shape \(3, 3\) needs T = 3"):
        top_attended_table(np.eye(3), ["a", "b"])
    with pytest.raises(ValueError, match="single string"):
        top_attended_table(np.eye(3), "a b c")


# ---------------------------------------------------------------- heads_config, head_counts, heads_table


@pytest.mark.parametrize("d_model", [8, 12, 64, 512])
def test_heads_config_closed_forms(d_model):
    for n_heads in range(1, d_model + 1):
        if d_model % n_heads:
            continue
        c = heads_config(d_model, n_heads)
        assert isinstance(c, HeadsConfig)
        assert c.n_heads * c.d_head == d_model
        assert c.qkv_per_head == 3 * d_model * (d_model // n_heads)
        assert c.qkv == 3 * d_model ** 2  # the same for every number of heads
        assert c.w_o == d_model ** 2
        assert c.total == 4 * d_model ** 2


def test_heads_config_counts_the_weights_of_real_matrices():
    from helpers import head_weights, init_mha_weights, output_weights_per_head

    W_q, W_k, W_v, W_o = init_mha_weights(48, 6, seed=1)
    per_head = sum(head_weights(W, 6)[0].size for W in (W_q, W_k, W_v))
    c = heads_config(48, 6)
    assert c.d_head == head_weights(W_q, 6).shape[-1] == 8
    assert c.qkv_per_head == per_head
    assert c.w_o == output_weights_per_head(W_o, 6).size
    assert c.total == sum(W.size for W in (W_q, W_k, W_v, W_o))
    assert heads_config(512, 8).total == 1_048_576


@pytest.mark.parametrize("d_model, n_heads, pattern", [
    (512, 3, "d_model = 512 .* not divisible by n_heads = 3"),
    (512, 0, "n_heads must be a positive integer"),
    (0, 1, "d_model must be a positive integer"),
    (512, 8.0, "n_heads must be a positive integer"),
])
def test_heads_config_rejects_bad_input(d_model, n_heads, pattern):
    with pytest.raises(ValueError, match=pattern):
        heads_config(d_model, n_heads)


@pytest.mark.parametrize("d_model", [1, 7, 12, 36, 64, 512, 1000])
def test_head_counts_are_the_divisors(d_model):
    want = [h for h in range(1, d_model + 1) if d_model % h == 0]
    assert head_counts(d_model) == want
    assert head_counts(d_model, max_heads=10) == [h for h in want if h <= 10]


def test_head_counts_rejects_bad_input():
    with pytest.raises(ValueError, match="max_heads"):
        head_counts(512, max_heads=0)
    with pytest.raises(ValueError, match="d_model"):
        head_counts(-4)


def test_heads_table_rows_and_highlight():
    table = heads_table(512, [1, 8, 16], highlight=8)
    assert isinstance(table, Table) and table.shape == (3, 8)
    assert table.highlight_row == 1
    assert table.column("d_head") == ["512", "64", "32"]
    assert table.column("W_Q^h, W_K^h, W_V^h") == ["1 × (512, 512)", "8 × (512, 64)", "16 × (512, 32)"]
    assert table.column("q/k/v weights per head") == ["786,432", "98,304", "49,152"]
    assert set(table.column("q/k/v weights, all heads")) == {"786,432"}
    assert set(table.column("W_O")) == {"(512, 512)"}
    assert set(table.column("total weights")) == {"1,048,576"}
    assert heads_table(512, [8]).highlight_row is None


def test_heads_table_rejects_bad_input():
    with pytest.raises(ValueError, match="not divisible by n_heads = 3"):
        heads_table(512, [1, 3])
    with pytest.raises(ValueError, match="highlight = 4 is not one of the head counts"):
        heads_table(512, [1, 8], highlight=4)
    with pytest.raises(ValueError, match="empty"):
        heads_table(512, [])
    with pytest.raises(ValueError, match="list of head counts"):
        heads_table(512, 8)


# ---------------------------------------------------------------- shape_walk


@pytest.mark.parametrize("T, d_model, n_heads", [(3, 512, 8), (7, 512, 1), (5, 12, 3), (2, 8, 8)])
def test_shape_walk_matches_the_arrays_of_a_real_run(T, d_model, n_heads):
    from helpers import merge_heads, split_heads

    X = rand(T, T, d_model)
    W_q, W_k, W_v, W_o = weights(T, d_model)
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    Qh, Kh, Vh = (split_heads(M, n_heads) for M in (Q, K, V))
    S = Qh @ np.swapaxes(Kh, -1, -2) / math.sqrt(d_model // n_heads)
    A = np.exp(S - S.max(axis=-1, keepdims=True))
    A = A / A.sum(axis=-1, keepdims=True)
    Zh = A @ Vh
    concat = merge_heads(Zh)
    Z_f = concat @ W_o
    np.testing.assert_allclose(Z_f, multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads)[0], **TOL)
    steps = shape_walk(T, d_model, n_heads)
    assert [s.shape for s in steps] == [M.shape for M in (X, Q, Qh, S, A, Zh, concat, Z_f)]
    assert [s.notebook for s in steps] == ["01", "02", "07", "03", "04", "05", "08", "08"]


def test_shape_walk_paper_size_and_symbols():
    steps = shape_walk(3, 512, 8)
    assert [s.shape for s in steps] == [(3, 512), (3, 512), (8, 3, 64), (8, 3, 3), (8, 3, 3), (8, 3, 64),
                                        (3, 512), (3, 512)]
    # heads as superscripts counted from 0 (issue #11); W_Q, not the code name W_q, in a formula
    assert steps[6].symbol == "(Z⁰ … Z⁷)"
    assert shape_walk(3, 8, 1)[6].symbol == "(Z⁰)" and shape_walk(3, 8, 2)[6].symbol == "(Z⁰ Z¹)"
    assert shape_walk(3, 32, 16)[6].symbol == "(Z⁰ … Z¹⁵)"
    assert [s.symbol for s in steps[1:6]] == ["Q = X W_Q", "Qʰ, Kʰ, Vʰ", "Sʰ = Qʰ (Kʰ)ᵀ / √d_k",
                                              "Aʰ = softmax(Sʰ)", "Zʰ = Aʰ Vʰ"]


def test_shape_walk_table():
    table = shape_walk_table(3, 512, 8)
    assert isinstance(table, Table) and table.shape == (8, 4)
    assert table.column("shape") == ["(3, 512)", "(3, 512)", "(8, 3, 64)", "(8, 3, 3)", "(8, 3, 3)",
                                     "(8, 3, 64)", "(3, 512)", "(3, 512)"]
    assert "d_head = 64" in table.title


@pytest.mark.parametrize("T, d_model, n_heads, pattern", [
    (0, 512, 8, "T must be a positive integer"),
    (3, 512, 5, "not divisible by n_heads = 5"),
    (3, 512.0, 8, "d_model must be a positive integer"),
])
def test_shape_walk_rejects_bad_input(T, d_model, n_heads, pattern):
    with pytest.raises(ValueError, match=pattern):
        shape_walk(T, d_model, n_heads)


# ---------------------------------------------------------------- head_contributions


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n_heads, T, d_head, d_model", [(2, 3, 4, 8), (3, 4, 2, 5), (1, 2, 6, 6)])
def test_head_contributions_match_loops(n_heads, T, d_head, d_model, seed):
    Zh = rand(seed, n_heads, T, d_head)
    W_o = rand(seed + 10, n_heads * d_head, d_model)
    got = head_contributions(Zh, W_o)
    assert got.shape == (n_heads, T, d_model)
    np.testing.assert_allclose(got, loop_contributions(Zh, W_o), **TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_head_contributions_sum_to_concat_times_w_o(seed):
    Zh = rand(seed, 2, 4, 3, 5)  # a batch of 2: (2, n_heads=4, T=3, d_head=5)
    W_o = rand(seed + 10, 20, 20)
    got = head_contributions(Zh, W_o).sum(axis=-3)  # Σ_h Z_h W_O^h: (2, 3, 20)
    for b in range(2):
        concat = np.concatenate(list(Zh[b]), axis=1)  # (T, n_heads · d_head)
        want = [[sum(concat[t, r] * W_o[r, c] for r in range(20)) for c in range(20)] for t in range(3)]
        np.testing.assert_allclose(got[b], want, **TOL)


def test_head_contributions_keep_float32():
    Zh = rand(1, 2, 3, 4, dtype=np.float32)
    W_o = rand(2, 8, 8, dtype=np.float32)
    got = head_contributions(Zh, W_o)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, loop_contributions(Zh, W_o), rtol=2e-5, atol=2e-6)


def test_head_contributions_reject_bad_shapes():
    with pytest.raises(ValueError, match=r"W_o of shape \(6, 8\) must have n_heads · d_head = 2 · 4 = 8 rows .*\(2, 3, "
                                         r"4\)"):
        head_contributions(rand(0, 2, 3, 4), rand(0, 6, 8))
    with pytest.raises(ValueError, match=r"Zh must have at least 3 dimensions, got shape \(3, 4\)"):
        head_contributions(rand(0, 3, 4), rand(0, 8, 8))
    with pytest.raises(ValueError, match=r"W_o must have 2 dimensions"):
        head_contributions(rand(0, 2, 3, 4), rand(0, 2, 4, 8))


# ---------------------------------------------------------------- the head chooser of notebook 07 (no browser)


def test_show_head_draws_and_returns_the_head(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import helpers.lessons.nb07_eight_heads as heads_module

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    X = rand(3, 4, 8)
    W_q, W_k, W_v, _ = weights(3, 8)
    before = len(plt.get_fignums())
    view = heads_module.show_head(X, ["a", "b", "c", "d"], W_q, W_k, W_v, 2, 1)
    assert len(plt.get_fignums()) == before + 1  # one figure drawn
    plt.close("all")
    np.testing.assert_allclose(view.A, loop_head(X, W_q, W_k, W_v, 2, 1)[3], **TOL)
    assert len(shown) == 1 and isinstance(shown[0], Table)
    assert shown[0].column("query word i") == ["a", "b", "c", "d"]


def test_head_explorer_redraws_the_chosen_sentence_and_head():
    """The live figure shows head_attention's A for the chosen sentence and head, with its words as ticks."""
    import helpers

    W_q, W_k, W_v, _ = weights(0, 8)
    ids = {"first": "action_gets_results", "second": "keys_sarah"}
    box = head_explorer(ids, W_q, W_k, W_v, 4, sentence="second", head=3)
    menu, buttons, live = box.children
    assert list(menu.options) == ["first", "second"] and menu.value == "second"
    assert list(buttons.options) == [0, 1, 2, 3] and buttons.value == 3
    sarah = list(helpers.get_sentence("keys_sarah").tokens)
    action = list(helpers.get_sentence("action_gets_results").tokens)
    ax = live.figure.axes[0]

    def shown(words, head):
        A = helpers.head_attention(helpers.embed(words, 8), W_q, W_k, W_v, 4, head).A
        np.testing.assert_allclose(ax.images[0].get_array(), A)
        assert [t.get_text() for t in ax.get_yticklabels()] == words
        assert ax.title.get_text() == f"head {head}: A_{head} (untrained)"

    assert live.draws == 1
    shown(sarah, 3)  # drawn once on creation
    buttons.value = 1
    assert live.wait(20)
    shown(sarah, 1)
    menu.value = "first"
    assert live.wait(20)
    shown(action, 1)
    assert "<table" in live.text.value  # the words each word looks at most, under the map


def test_head_explorer_coming_back_to_a_sentence_gives_the_picture_of_a_fresh_explorer():
    """Each sentence's background is kept (LiveFigure.layout): a return draws only the map, and the same pixels."""
    W_q, W_k, W_v, _ = weights(0, 8)
    ids = {"first": "action_gets_results", "second": "keys_sarah"}
    menu, buttons, live = head_explorer(ids, W_q, W_k, W_v, 4, sentence="first", head=0).children
    for sentence, head in (("second", 1), ("first", 2), ("second", 0), ("first", 3), ("second", 2)):
        menu.value, buttons.value = sentence, head
        assert live.wait(20) and live.last_error is None
        fresh = head_explorer(ids, W_q, W_k, W_v, 4, sentence=sentence, head=head).children[2]
        assert live.image.value == fresh.image.value  # the same PNG bytes, so the same picture


def test_head_explorer_rejects_bad_input():
    W_q, W_k, W_v, _ = weights(0, 8)
    ids = {"first": "action_gets_results"}
    with pytest.raises(ValueError, match=r"sentence = 'other' is not one of the menu labels \['first'\]"):
        head_explorer(ids, W_q, W_k, W_v, 4, sentence="other")
    with pytest.raises(ValueError, match=r"head = 4 does not exist: with n_heads = 4"):
        head_explorer(ids, W_q, W_k, W_v, 4, head=4)
    with pytest.raises(ValueError, match=r"sentence_ids must be a non-empty dict"):
        head_explorer({}, W_q, W_k, W_v, 4)
    with pytest.raises(ValueError, match=r"W_k must have shape \(d_model, d_model\) = \(8, 8\)"):
        head_explorer(ids, W_q, W_k[:, :4], W_v, 4)
