"""Check yourself, notebook 04: a stable softmax over the last axis."""

import numpy as np

from ..core import softmax
from ._runner import (
    as_float,
    Case,
    Mistake,
    run_check,
    seeded_rng,
    shape_of,
    softmax_any,
)

__all__ = ["check_softmax"]

# ====================================================================== notebook 04: softmax


def _softmax_wrong_axis(x, **_):
    return softmax_any(x, axis=-2)  # each column of each matrix sums to 1


def _softmax_first_axis(x, **_):
    return softmax_any(x, axis=0)  # normalised across the batch (or down the columns)


def _softmax_axis_one(x, **_):
    return softmax_any(x, axis=1)  # the rows of a matrix, but not of a batch (B, T_q, T_k)


def _softmax_whole_array(x, **_):
    e = np.exp(x - x.max())
    return e / e.sum()  # the whole array sums to 1


def _softmax_global_max(x, **_):
    e = np.exp(x - x.max())  # the largest score of the whole array, not each row's
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_no_max(x, **_):
    e = np.exp(x)  # overflows for scores near 1000
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_no_exp(x, **_):
    return x / x.sum(axis=-1, keepdims=True)


def _softmax_exp_only(x, **_):
    return np.exp(x)


def _softmax_not_normalised(x, **_):
    return np.exp(x - x.max(axis=-1, keepdims=True))


def _softmax_no_keepdims(x, **_):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1)  # (T_q, T_k) / (T_q,): broadcasts along the wrong axis


def _softmax_no_keepdims_max(x, **_):
    e = np.exp(x - x.max(axis=-1))  # (T_q, T_k) - (T_q,): the maxima line up with the columns
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_no_keepdims_both(x, **_):
    e = np.exp(x - x.max(axis=-1))  # (T_q, T_k) - (T_q,)
    return e / e.sum(axis=-1)  # (T_q, T_k) / (T_q,)


_WRONG_AXIS_WHAT = ("you normalised over the wrong axis: your {which} sum to 1, not each row "
                    "(a row = one query's scores over all keys, the last axis).")
_WRONG_AXIS_HINT = "use axis=-1 (the last axis) in both the max and the sum, with keepdims=True."


def _softmax_mistakes():
    return [
        Mistake(
            _softmax_global_max,
            "you subtracted the global maximum (scores.max(), the largest score of the whole array) instead of "
            "each row's own maximum: a row far below it (here scores near -1000 while the largest is 1002) "
            "becomes exp(-2000) = 0 in every entry, and 0 / 0 gives nan.",
            "subtract each row's maximum: scores.max(axis=-1, keepdims=True), shape (T_q, 1); then the "
            "largest entry of every row is exp(0) = 1.",
        ),
        Mistake(_softmax_wrong_axis, _WRONG_AXIS_WHAT.format(which="columns"), _WRONG_AXIS_HINT),
        Mistake(_softmax_first_axis, _WRONG_AXIS_WHAT.format(which="slices along axis 0"), _WRONG_AXIS_HINT),
        Mistake(
            _softmax_axis_one,
            "you used axis=1: that is the rows of a single matrix, but for a batch (B, T_q, T_k) axis 1 "
            "runs down the columns.",
            "use axis=-1, the last axis, which is the rows whatever the batch axes.",
        ),
        Mistake(
            _softmax_whole_array,
            "you divided by the sum over the whole array: all weights together sum to 1, not each row.",
            "sum along the last axis only: e.sum(axis=-1, keepdims=True).",
        ),
        Mistake(
            _softmax_no_max,
            "no max subtraction: small scores work, but exp(1000) overflows to inf and inf / inf gives nan.",
            "subtract each row's maximum before exp (stable softmax): exp(s - max(s)) / Σ exp(s - max(s)) "
            "gives the same weights and never overflows.",
        ),
        Mistake(
            _softmax_no_exp,
            "you normalised the scores without exp: s / Σ s is not a softmax (negative scores give negative weights).",
            "take exp first: weights = exp(s - max(s)) / Σ exp(s - max(s)).",
        ),
        Mistake(
            _softmax_exp_only,
            "you took exp but did not normalise: the rows do not sum to 1.",
            "divide each row by its sum: e / e.sum(axis=-1, keepdims=True).",
        ),
        Mistake(
            _softmax_not_normalised,
            "you took exp(s - max(s)) but did not normalise: the rows do not sum to 1.",
            "divide each row by its sum: e / e.sum(axis=-1, keepdims=True).",
        ),
        # These three raise the same broadcasting error on a (T_q, T_k) input with T_q ≠ T_k;
        # the square probe of check_softmax tells them apart.
        Mistake(
            _softmax_no_keepdims,
            "the row sums lost their axis (no keepdims=True in the sum), so they do not line up with the rows.",
            "keep the summed axis: e.sum(axis=-1, keepdims=True) has shape (T_q, 1) and divides each row.",
        ),
        Mistake(
            _softmax_no_keepdims_max,
            "the row maxima lost their axis (no keepdims=True in the max): shape (T_q,) instead of (T_q, 1), "
            "so they do not line up with the rows.",
            "keep the axis in the max: scores.max(axis=-1, keepdims=True) has shape (T_q, 1) and is "
            "subtracted from each row.",
        ),
        Mistake(
            _softmax_no_keepdims_both,
            "neither the max nor the sum kept its axis (no keepdims=True): both have shape (T_q,) instead of "
            "(T_q, 1), so they do not line up with the rows.",
            "keep the axis in both: scores.max(axis=-1, keepdims=True) and e.sum(axis=-1, keepdims=True), "
            "each of shape (T_q, 1).",
        ),
    ]


def _detect_not_normalised(got, case):
    """Positive output proportional to the right weights row by row, rows not summing to 1."""
    g, w = as_float(got), case.expected
    if g is None or g.shape != w.shape or not np.isfinite(g).all() or (g <= 0).any():
        return None
    ratio = g / w
    if np.allclose(ratio, ratio[..., :1], rtol=1e-6) and not np.allclose(g.sum(axis=-1), 1.0):
        return (
            "your weights are in the right proportions but the rows do not sum to 1: not normalised.",
            "divide each row by its sum: e / e.sum(axis=-1, keepdims=True).",
        )
    return None


def check_softmax(fn):
    """Check fn(scores) -> softmax over the last axis, stable for large scores (notebook 04)."""
    rng = seeded_rng(4)
    S1 = rng.normal(scale=2.0, size=(3, 4))
    S2 = rng.normal(scale=2.0, size=(2, 3, 4))
    S3 = np.array([[1000.0, 1001.0, 999.0, 1002.0],
                   [-1000.0, -998.5, -1001.0, -999.0],
                   [1000.0, 0.0, -1000.0, 990.0]])
    S4 = rng.normal(scale=2.0, size=(5,))
    square = seeded_rng(40).normal(scale=2.0, size=(4, 4))  # probe: a missing keepdims runs here, differently
    cases = [
        Case(f"a {shape_of(S1)} matrix of scores", f"a {shape_of(S1)} matrix", (S1,), softmax(S1)),
        Case(f"a batch of scores, shape {shape_of(S2)}", f"a batch {shape_of(S2)}", (S2,), softmax(S2), batch=True),
        Case(f"large scores near ±1000, shape {shape_of(S3)}", "scores near ±1000", (S3,), softmax(S3)),
        Case(f"one row of scores, shape {shape_of(S4)}", f"one row {shape_of(S4)}", (S4,), softmax(S4)),
    ]
    return run_check(
        "Your softmax", fn, cases, _softmax_mistakes(),
        detectors=[_detect_not_normalised],
        error_hint="work along the last axis: x.max(axis=-1, keepdims=True) and e.sum(axis=-1, keepdims=True).",
        values_hint="weights = exp(s - max(s)) / Σ exp(s - max(s)) along the last axis; each row sums to 1.",
        batch_hint="use axis=-1 rather than axis=1, so the rows are the last axis whatever the batch axes.",
        nonfinite_hint="subtract each row's maximum before exp, so that nothing overflows.",
        probes=[(square,)],
    )
