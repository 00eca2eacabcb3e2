"""check_x_shape (notebook 01): right answers pass, each kind of wrong answer gets its own feedback."""

import numpy as np
import pytest

import helpers
from helpers import (
    check_x_shape,
)

KEYS = "Keys on the table belong to Sarah."


def reference_shape(text, d_model):
    """Independent reference: the shape of X as helpers.embed builds it from the stored table."""
    words = [w.strip(".,") for w in text.split()]
    return helpers.embed(words, d_model=d_model).shape


def run(capsys, predicted, text=KEYS, d_model=512):
    ok = check_x_shape(predicted, text, d_model=d_model)
    return ok, capsys.readouterr().out


@pytest.mark.parametrize("d_model", [8, 512])
@pytest.mark.parametrize("text", [KEYS, "Action gets results", "Love Apple phones"])
def test_the_right_shape_passes(capsys, text, d_model):
    expected = reference_shape(text, d_model)
    ok, out = run(capsys, expected, text, d_model)
    assert ok is True
    assert out.startswith("✔ Correct") and str(expected) in out


@pytest.mark.parametrize("predicted", [[7, 512], (np.int64(7), np.int64(512)), np.zeros((7, 512)).shape])
def test_a_list_or_numpy_integers_also_pass(capsys, predicted):
    ok, out = run(capsys, predicted)
    assert ok is True and out.startswith("✔ Correct")


def test_no_prediction_yet_is_a_gentle_reminder(capsys):
    ok, out = run(capsys, None)
    assert ok is False
    assert out.startswith("✏️") and "None" in out and "✘" not in out


def test_transposed_shape_is_named(capsys):
    ok, out = run(capsys, (512, 7))
    assert ok is False
    assert "transposed" in out and "Hint: Rows first" in out


def test_counting_the_full_stop_is_named(capsys):
    ok, out = run(capsys, (8, 512))
    assert ok is False
    assert "7 tokens" in out and "not 8" in out and "'.'" in out
    assert "d_model" not in out.split("What is wrong:")[1].split("Hint:")[0]


def test_an_undercount_names_the_short_words_not_punctuation(capsys):
    ok, out = run(capsys, (6, 512))
    assert ok is False
    assert "7 tokens" in out and "not 6" in out
    hint = out.split("Hint:")[1]
    assert "'on'" in hint and "'to'" in hint and "'the'" in hint
    assert "unctuation" not in out


def test_an_undercount_without_short_words_says_count_every_word(capsys):
    ok, out = run(capsys, (2, 512), text="Action gets results")
    assert ok is False
    assert "3 tokens" in out and "not 2" in out
    assert "Count every word" in out and "unctuation" not in out


def test_without_punctuation_the_hint_says_count_the_words(capsys):
    ok, out = run(capsys, (4, 512), text="Action gets results")
    assert ok is False
    assert "3 tokens" in out and "Count the words" in out


def test_wrong_number_of_columns_is_named(capsys):
    ok, out = run(capsys, (7, 8))
    assert ok is False
    assert "d_model = 512" in out and "not 8" in out and "tokens (" not in out


def test_both_wrong_names_both(capsys):
    ok, out = run(capsys, (6, 64))
    assert ok is False
    assert "not 6" in out and "not 64" in out
    assert "Count every word" in out and "unctuation" not in out


@pytest.mark.parametrize("predicted", ["(7, 512)", 7, 3.5, (7.0, 512), (True, 512), object()])
def test_not_a_shape_is_reported_without_raising(capsys, predicted):
    ok, out = run(capsys, predicted)
    assert ok is False
    assert "not a shape" in out and " at 0x" not in out


@pytest.mark.parametrize("predicted", [(7,), (1, 7, 512)])
def test_wrong_number_of_axes(capsys, predicted):
    ok, out = run(capsys, predicted)
    assert ok is False
    assert "two, (rows, columns)" in out


@pytest.mark.parametrize("text, d_model", [(["Keys"], 512), ("...", 512), (KEYS, 0), (KEYS, 8.0)])
def test_bad_arguments_from_the_notebook_raise_value_error(text, d_model):
    with pytest.raises(ValueError):
        check_x_shape((7, 512), text, d_model=d_model)
