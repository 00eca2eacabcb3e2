"""The "check yourself" checks accept right answers written in any style and name each classic mistake.

Every mistake below is written the way a learner would write it (not by calling the private
variants in helpers.checks), and each test asserts on a phrase that only that mistake's
feedback contains.
"""


import numpy as np
import pytest

from helpers import (
    check_attention,
    check_causal_mask,
    check_layer_norm,
    check_multi_head_attention,
    check_online_softmax,
    check_qkv,
    check_scaled_scores,
    check_softmax,
    check_split_heads,
)

from common import assert_fails, assert_passes, run, stable_softmax, swap



# ====================================================================== shared behaviour

ALL_CHECKS = [check_qkv, check_scaled_scores, check_softmax, check_attention, check_split_heads,
              check_multi_head_attention, check_causal_mask, check_layer_norm, check_online_softmax]


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_a_function_that_raises_is_reported_with_type_and_message(check, capsys):
    def broken(*args, **kwargs):
        raise ValueError("something broke in my code")

    out = assert_fails(check, broken, capsys, "ValueError: something broke in my code")
    assert "raise" in out  # "it raised ValueError: …"


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_the_starter_not_implemented_is_reported(check, capsys):
    def starter(*args, **kwargs):
        raise NotImplementedError

    assert_fails(check, starter, capsys, "replace the `raise NotImplementedError` line")


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_returning_none_is_reported(check, capsys):
    def forgot_return(*args, **kwargs):
        pass

    assert_fails(check, forgot_return, capsys, "you returned None — did you forget `return`?")


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_a_non_array_is_reported(check, capsys):
    assert_fails(check, lambda *args, **kwargs: "hello", capsys, "you returned a str")


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_a_non_callable_is_reported(check, capsys):
    result, out = run(check, np.zeros(3), capsys)
    assert result is False
    assert out.startswith("✘ Not yet") and "not check(my_function())" in out


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_feedback_is_identical_on_two_runs(check, capsys):
    def noisy(*args, **kwargs):  # overflow warnings must not leak, values must print rounded
        with np.errstate(all="warn"):
            first = args[0] if np.ndim(args[0]) else np.ones((args[0], args[0]))
            return np.exp(np.asarray(first, dtype=float) * 1000.0) * 1.2345678901234

    outs = []
    for _ in range(2):
        check(noisy)
        outs.append(capsys.readouterr())
    assert outs[0].out == outs[1].out
    assert outs[0].err == outs[1].err == ""
    assert "1.2345678901234" not in outs[0].out


def test_wrong_shapes_are_reported_with_expected_and_got(capsys):
    assert_fails(check_softmax, lambda x: np.exp(x).sum(axis=-1), capsys, "expected (3, 4), got (3,)")
    assert_fails(check_scaled_scores, lambda Q, K: (Q @ swap(K))[..., :2], capsys, "expected (3, 4), got (3, 2)")
    assert_fails(check_attention, lambda Q, K, V: np.zeros((2, 2)), capsys, "expected (3, 2), got (2, 2)")
    assert_fails(check_split_heads, lambda X, n: X[None], capsys, "expected (2, 3, 4), got (1, 3, 8)")
    assert_fails(check_multi_head_attention, lambda X, *W: X[:2], capsys, "expected (4, 6), got (2, 6)")
    assert_fails(check_causal_mask, lambda T: np.ones((T, T + 1), dtype=bool), capsys,
                 "expected (4, 4), got (4, 5)")
    assert_fails(check_layer_norm, lambda x, eps=1e-5: x.T, capsys, "expected (3, 6), got (6, 3)")
    assert_fails(check_online_softmax, lambda row, b: stable_softmax(row)[:-1], capsys,
                 "expected (10,), got (9,)")
    assert_fails(check_qkv, lambda X, Wq, Wk, Wv: (X @ Wq, (X @ Wk)[:, :2], X @ Wv), capsys,
                 "your K has shape (3, 2), expected (3, 4)")


def test_other_wrong_values_get_the_generic_message_with_the_largest_difference(capsys):
    out = assert_fails(check_softmax, lambda x: stable_softmax(x) + 0.01 * (x > 0), capsys,
                       "the largest difference is")
    assert "input shape (3, 4)" in out


def test_right_numbers_in_a_list_are_accepted_as_numbers_but_named(capsys):
    assert_fails(check_online_softmax, lambda row, b: stable_softmax(row).tolist(), capsys,
                 "the numbers are right, but you returned a list")


def test_learner_code_that_changes_its_input_in_place_does_not_corrupt_the_check(capsys):
    def in_place(x):
        x -= x.max(axis=-1, keepdims=True)
        np.exp(x, out=x)
        x /= x.sum(axis=-1, keepdims=True)
        return x

    assert_passes(check_softmax, in_place, capsys)


