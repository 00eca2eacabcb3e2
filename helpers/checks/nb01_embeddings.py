"""Check yourself, notebook 01: feedback on a predicted shape of X, never an exception.

Prints one of
    ✏️ …                       no prediction yet (None),
    ✔ Correct! …               right, or
    ✘ Not yet. …               wrong, followed by
    What is wrong: …          one line naming the mistake, and
    Hint: …                   one line naming the fix,
and returns True only when the prediction is right.
"""

import numpy as np

from .._validate import check_positive_int
from ..data import tokenize

__all__ = ["check_x_shape"]


def check_x_shape(predicted, text, d_model=512):
    """Feedback on a predicted X.shape for `text`: one row per token, d_model columns (notebook 01)."""
    if not isinstance(text, str):
        raise ValueError(f"text must be the sentence as a string, got {type(text).__name__}")
    d_model = check_positive_int(d_model, "d_model")
    tokens = tokenize(text)
    if not tokens:
        raise ValueError(f"text {text!r} has no words, so X would have no rows")
    T = len(tokens)
    expected = (T, d_model)

    if predicted is None:
        print("✏️ No prediction yet: replace None with your prediction, a pair (rows, columns), "
              "then run the check again.")
        return False
    shape = _as_shape(predicted)
    if shape is None:
        _fail(f"{_describe(predicted)} is not a shape.",
              "a shape is a pair of whole numbers (rows, columns), for example (3, 8).")
        return False
    if len(shape) != 2:
        _fail(f"{shape} has {len(shape)} number{'s' if len(shape) != 1 else ''}, but X is a matrix: "
              "its shape has two, (rows, columns).",
              "write it as (number of rows, number of columns).")
        return False
    if shape == expected:
        print(f"✔ Correct! X.shape == {expected}: {T} tokens, one row each, and d_model = {d_model} "
              "numbers in every row.")
        return True
    if shape == (d_model, T) and T != d_model:
        _fail(f"{shape} is the shape of X transposed: X has one row per token, not one column.",
              f"rows first: (T, d_model) = (number of tokens, {d_model}).")
        return False
    rows, cols = shape
    problems, hints = [], []
    if rows != T:
        listed = ", ".join(repr(t) for t in tokens)
        problems.append(f"X has one row per token, and tokenize gives {T} tokens ({listed}), not {rows}")
        hints.append(_count_hint(rows, T, tokens, text))
    if cols != d_model:
        problems.append(f"every row is one token's vector of d_model = {d_model} numbers, not {cols}")
        hints.append(f"the number of columns is d_model = {d_model}, whatever the sentence")
    _fail("; and ".join(problems) + ".", "; ".join(hints) + ".")
    return False


def _count_hint(rows, T, tokens, text):
    """The hint for a wrong number of rows: an over-count and an under-count differ (notebook 01)."""
    if rows < T:
        short = list(dict.fromkeys(t for t in tokens if len(t) <= 3))
        if short:
            listed = ", ".join(repr(t) for t in short)
            return f"count every word, the short ones ({listed}) included: each word is one token"
        return "count every word: each one is a token, however short"
    dropped = [c for c in text if not (c.isalnum() or c.isspace() or c == "'")]
    if dropped:
        return "punctuation such as " + repr(dropped[0]) + " is dropped by tokenize, it is not a token"
    return "count the words: each one is a token"


def _as_shape(predicted):
    """`predicted` as a tuple of ints when it is a tuple or list of whole numbers, else None."""
    if not isinstance(predicted, (tuple, list)):
        return None
    out = []
    for n in predicted:
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
            return None
        out.append(int(n))
    return tuple(out)


def _describe(value):
    """A short, address-free description of the learner's value for the feedback."""
    if isinstance(value, (int, float, str, tuple, list)) and len(repr(value)) <= 40:
        return repr(value)
    return f"a value of type {type(value).__name__}"


def _fail(what, hint):
    print("✘ Not yet.")
    print(f"What is wrong: {what}")
    print(f"Hint: {hint[0].upper() + hint[1:]}")
