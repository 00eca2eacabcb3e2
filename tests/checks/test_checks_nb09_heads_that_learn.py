import numpy as np
import pytest

from common import small_model
from helpers import (
    attention_by_distance,
    check_softmax_backward,
    example_attention,
    forward,
    make_task,
    token_labels,
)


# ---------------------------------------------------------------- the exercise check


def test_check_softmax_backward_accepts_the_formula(capsys):
    assert check_softmax_backward(lambda A, dA: A * (dA - (dA * A).sum(axis=-1, keepdims=True))) is True
    assert "✔ Correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "fn, words",
    [
        (lambda A, dA: (_ for _ in ()).throw(NotImplementedError()), "not written yet"),
        (lambda A, dA: None, "returned None"),
        (lambda A, dA: A * (1 - A) * dA, "diagonal of the Jacobian"),
        (lambda A, dA: A * dA, "forgot to subtract"),
        (lambda A, dA: dA - (dA * A).sum(axis=-1, keepdims=True), "outer A"),
        (lambda A, dA: -A * (dA - (dA * A).sum(axis=-1, keepdims=True)), "sign is flipped"),
        (lambda A, dA: A * (dA - (dA * A).sum(axis=0, keepdims=True)), "wrong axis"),
        (lambda A, dA: A * (dA - (dA * A).sum(axis=-1)), "keepdims=True"),
        (lambda A, dA: A * (dA - dA.sum(axis=-1, keepdims=True)), "weight dA by A"),
        (lambda A, dA: A * (dA - (dA * A).sum()), "whole array"),
        (lambda A, dA: A.sum(axis=-1), "shape"),
        (lambda A, dA: 1 / 0, "ZeroDivisionError"),
        (lambda A, dA: A * (dA - (dA * A).sum(axis=-1, keepdims=True)) + 0.01, "differs"),
    ],
)
def test_check_softmax_backward_names_the_mistake(capsys, fn, words):
    assert check_softmax_backward(fn) is False
    out = capsys.readouterr().out
    assert out.startswith("✘ Not yet") and words in out, out


def jacobian_one_row(A, dA):
    return dA @ (np.diag(A) - np.outer(A, A))  # the notebook's one-row route, applied to a whole matrix


def jacobian_rows_of_a_matrix(A, dA):
    return np.array([dA[r] @ (np.diag(A[r]) - np.outer(A[r], A[r])) for r in range(A.shape[0])])


def test_check_softmax_backward_names_the_jacobian_route(capsys):
    assert check_softmax_backward(jacobian_one_row) is False
    out = capsys.readouterr().out
    assert "test 1 of 2" in out and "Jacobian route works for one row (a 1-D A), but here A is (3, 4)" in out, out
    assert "keepdims=True so that" not in out  # not the hint for a missing keepdims
    assert check_softmax_backward(jacobian_rows_of_a_matrix) is False  # right for a matrix, not a batch
    out = capsys.readouterr().out
    assert "test 2 of 2" in out and "works for A of shape (3, 4), but here A is (2, 3, 5)" in out, out


def test_check_softmax_backward_keeps_the_keepdims_hint_for_a_missing_keepdims(capsys):
    assert check_softmax_backward(lambda A, dA: A * (dA - (dA * A).sum(axis=-1))) is False
    out = capsys.readouterr().out
    assert "keepdims=True" in out and "Jacobian" not in out, out


def test_check_softmax_backward_names_a_returned_tuple(capsys):
    assert check_softmax_backward(lambda A, dA: (A * (dA - (dA * A).sum(axis=-1, keepdims=True)), A)) is False
    out = capsys.readouterr().out
    assert "returned a tuple of 2 things" in out and "shape (2, 3, 4)" not in out, out


def test_check_softmax_backward_does_not_let_the_learner_change_its_inputs(capsys):
    def sloppy(A, dA):
        dA -= (dA * A).sum(axis=-1, keepdims=True)  # in place: changes the caller's array
        A *= dA
        return A

    assert check_softmax_backward(sloppy) is True  # correct values; the check passes copies
    capsys.readouterr()


def test_attention_by_distance_against_loops():
    params = small_model()
    data = make_task(6, seed=9)
    got = attention_by_distance(params, data, 2)
    _, cache = forward(params, data.tokens, data.lengths, 2)
    assert got.shape == (6, 2, 7)
    for b in range(6):
        q = int(data.lengths[b]) - 1
        for h in range(2):
            for k in range(1, 8):
                if q - k >= 0:
                    assert got[b, h, k - 1] == cache["A"][b, h, q, q - k]
                else:
                    assert np.isnan(got[b, h, k - 1])  # the sequence has no token that far back


def test_example_attention():
    params = small_model()
    data = make_task(6, seed=9)
    words, A, predicted = example_attention(params, data, 2, 2)
    L = int(data.lengths[2])
    _, cache = forward(params, data.tokens, data.lengths, 2)
    logits, _ = forward(params, data.tokens, data.lengths, 2)
    assert words == token_labels(data.tokens[2], L)
    np.testing.assert_allclose(A, cache["A"][2, :, :L, :L], rtol=1e-12, atol=1e-15)
    assert np.array_equal(predicted, logits[2].argmax(axis=-1))
    with pytest.raises(ValueError, match="example index"):
        example_attention(params, data, 6, 2)


def test_forward_rejects_bad_input_with_clear_messages():
    params = small_model()
    data = make_task(3, seed=0)
    with pytest.raises(ValueError, match="token ids must lie in 0 … 16"):
        forward(params, data.tokens + 20, data.lengths, 2)
    with pytest.raises(ValueError, match="2-D array of integer ids"):
        forward(params, data.tokens.astype(float), data.lengths, 2)
    with pytest.raises(ValueError, match="lengths must be 3 integers"):
        forward(params, data.tokens, data.lengths[:2], 2)
    with pytest.raises(ValueError, match="lengths must lie in 1 … T = 8"):
        forward(params, data.tokens, data.lengths + 5, 2)
    with pytest.raises(ValueError, match="not divisible by n_heads = 3"):
        forward(params, data.tokens, data.lengths, 3)
    with pytest.raises(ValueError, match=r"head_mask must hold one number per head, shape \(2,\)"):
        forward(params, data.tokens, data.lengths, 2, head_mask=[1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="longer than the 8 positions"):
        forward(params, np.zeros((3, 9), dtype=int), data.lengths, 2)
    with pytest.raises(ValueError, match="missing the weight 'W_o'"):
        forward({k: v for k, v in params.items() if k != "W_o"}, data.tokens, data.lengths, 2)
