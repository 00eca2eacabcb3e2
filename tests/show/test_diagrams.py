"""The classroom diagrams: matrix products, the concat of heads, the road map, sentence links, the block."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from drawn import SMALL, TOKENS, texts  # tests/show/drawn.py
from helpers import (
    OKABE_ITO,
    init_mha_weights,
    plot_concat_shapes,
    plot_matrix_product,
    plot_roadmap,
)


# ---------------------------------------------------------------- plot_matrix_product


def test_matrix_product_x_times_wq():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3, 4))
    W_q = init_mha_weights(4, 1, dtype=np.float64).W_q
    fig = plot_matrix_product([("X", X), ("W_Q", W_q), ("Q", X @ W_q)], row_labels=SMALL)
    assert isinstance(fig, Figure)
    assert fig.get_suptitle() == "$X$ · $W_Q$ = $Q$"
    drawn = texts(fig)
    for s in ("$X$", "$W_Q$", "$Q$", "(3 × 4)", "(4 × 4)", "="):
        assert s in drawn
    assert drawn.count("(3 × 4)") == 2
    assert all(drawn.count(t) == 2 for t in SMALL)  # on the rows of X and of Q
    assert f"{X[0, 0]:.2f}" in drawn  # small matrices are annotated
    assert len(fig.axes[0].images) == 3


def test_matrix_product_custom_ops_and_title():
    fig = plot_matrix_product([("A", np.ones((2, 3))), ("B", np.ones((2, 3)))], ops=["+"], title="sum")
    assert fig.get_suptitle() == "sum"
    assert "+" in texts(fig)
    assert plot_matrix_product([("concat", np.ones((2, 2)))]).get_suptitle() == "concat"


@pytest.mark.parametrize(
    "terms, kwargs, match",
    [
        ([("X", np.ones((3, 4))), ("W", np.ones((5, 2)))], {"ops": ["·"]}, r"\(3, 4\).*\(5, 2\).*4 and 5"),
        ([("X", np.ones((3, 4))), ("W", np.ones((4, 2))), ("Q", np.ones((3, 3)))], {}, r"\(3, 2\).*\(3, 3\)"),
        ([("X", np.ones((3, 4))), ("W", np.ones((4, 2)))], {"ops": ["·", "="]}, "1 operator"),
        ([("X", np.ones(4))], {}, r"2-D.*\(4,\)"),
        ([], {}, "non-empty"),
        ([np.ones((2, 2))], {}, "pair"),
        ([("X", np.ones((3, 4))), ("Q", np.ones((3, 4)))], {"row_labels": SMALL[:2]}, r"row_labels has 2"),
    ],
)
def test_matrix_product_bad_input(terms, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_matrix_product(terms, **kwargs)


# ---------------------------------------------------------------- plot_concat_shapes


def test_concat_shapes_paper_size():
    fig = plot_concat_shapes(12, 8, 64, 512, tokens=TOKENS)
    assert isinstance(fig, Figure)
    drawn = texts(fig)
    assert "W_O" in fig.get_suptitle() and "Z_f" in fig.get_suptitle()
    for s in ("(12 × 8·64) = (12 × 512)", "(512 × 512)", "$W_O$", "$Z_f$", "concat($Z_0$ … $Z_{7}$)"):
        assert s in drawn
    assert [f"$Z_{{{h}}}$" in drawn for h in range(8)] == [True] * 8
    assert drawn.count("12 × 64") == 8
    assert all(drawn.count(t) >= 2 for t in ("kids", "lions", "away"))
    blocks = [p for p in fig.axes[0].patches if p.get_facecolor()[3] == 1.0 and p.get_fill()]
    head_colours = {matplotlib.colors.to_hex(p.get_facecolor()) for p in blocks}
    assert {c.lower() for c in OKABE_ITO} <= head_colours  # one distinct colour per head


def test_concat_shapes_small_and_unequal():
    drawn = texts(plot_concat_shapes(3, 2, 2, 4, tokens=SMALL))
    assert "(3 × 2·2) = (3 × 4)" in drawn and "(4 × 4)" in drawn and "concat($Z_0$, $Z_1$)" in drawn
    assert "rows 2–3: head 1" in drawn
    drawn = texts(plot_concat_shapes(5, 3, 4, 10))
    assert "(12 × 10)" in drawn and "(5 × 10)" in drawn


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((0, 8, 64, 512), {}, "T must be a positive integer"),
        ((12, 8.0, 64, 512), {}, "n_heads"),
        ((12, 8, -1, 512), {}, "d_head"),
        ((3, 2, 2, 4), {"tokens": SMALL[:2]}, r"tokens has 2 entries.*T = 3"),
    ],
)
def test_concat_shapes_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_concat_shapes(*args, **kwargs)


# ---------------------------------------------------------------- plot_roadmap


def test_roadmap_boxes_and_numbering():
    fig = plot_roadmap()
    assert isinstance(fig, Figure)
    assert fig.get_suptitle().startswith("Road map of the series")
    drawn = texts(fig)
    numbers = [t for t in drawn if len(t) == 2 and t.isdigit()]
    assert numbers == [f"{n:02d}" for n in range(1, 12)]
    for name in ("embeddings", "queries, keys, values", "scores and scaling", "softmax", "weighted sum",
                 "causal attention", "eight heads", "concat and $W_O$", "heads that learn",
                 "transformer block", "cost of attention"):
        assert name in drawn
    assert not any("you are here" in t for t in drawn)
    assert len(fig.axes[0].patches) >= 11 + 7  # boxes and arrows


def test_roadmap_highlight():
    fig = plot_roadmap(highlight=5)
    drawn = texts(fig)
    assert drawn.count("you are here") == 1
    boxes = [p for p in fig.axes[0].patches if isinstance(p, matplotlib.patches.FancyBboxPatch)]
    thick = [p for p in boxes if p.get_linewidth() > 3]
    assert len(boxes) == 11 and len(thick) == 1
    number = next(t for t in fig.axes[0].texts if t.get_text() == "05")
    x, y = number.get_position()
    assert thick[0].contains_point(fig.axes[0].transData.transform((x + 0.1, y - 0.1)))
    assert any("you are here" in t for t in texts(plot_roadmap(highlight=0)))


@pytest.mark.parametrize("highlight", [12, -1, "05", 5.0, True])
def test_roadmap_bad_highlight(highlight):
    with pytest.raises(ValueError, match="notebook number"):
        plot_roadmap(highlight=highlight)


def test_plot_sentence_links_draws_one_arc_per_relationship():
    from matplotlib.patches import FancyArrowPatch

    from helpers import get_sentence
    from helpers.show.diagrams import plot_sentence_links

    sentence = get_sentence("keys_sarah")
    fig = plot_sentence_links(sentence)
    ax = fig.axes[0]
    arcs = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arcs) == len(sentence.relationships) == 4
    texts = [t.get_text() for t in ax.texts]
    for token in sentence.tokens:
        assert token in texts
    assert {"spatial", "possession", "subject-verb-object"} <= set(texts)
    assert ax.get_title() == "\u201cKeys on the table belong to Sarah.\u201d"
    plt.close(fig)


def test_plot_sentence_links_rejects_a_relationship_outside_the_sentence():
    from helpers.data import Relationship, Sentence
    from helpers.show.diagrams import plot_sentence_links

    bad = Sentence(id="x", text="a b", seed="001", tokens=("a", "b"),
                   relationships=(Relationship(source=0, target=5, kind="k", description="d"),))
    with pytest.raises(ValueError, match="outside the 2 tokens"):
        plot_sentence_links(bad)


# ---------------------------------------------------------------- the figure


@pytest.mark.parametrize("norm_first, expected", [(False, "Add & Norm"), (True, "layer norm")])
def test_plot_transformer_block_draws_the_boxes(norm_first, expected):
    import matplotlib.pyplot as plt

    from helpers.show.diagrams import plot_transformer_block

    ax = plot_transformer_block(norm_first=norm_first)
    texts = [t.get_text() for t in ax.texts]
    assert texts.count(expected) == 2
    assert "multi-head attention" in texts and "feed forward" in texts
    assert any("positional" in t for t in texts)
    assert ax.get_title() == "One transformer block (Figure 1, encoder side)"
    plt.close(ax.figure)
