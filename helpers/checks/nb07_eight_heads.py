"""Check yourself, notebook 07: split_heads."""

import itertools

import numpy as np

from ..core import split_heads
from ._runner import (
    Case,
    Mistake,
    run_check,
    seeded_rng,
    shape_of,
    split_heads_no_transpose,
)

__all__ = ["check_split_heads"]

def _split_heads_interleaved(X, n_heads, **_):
    *batch, T, d_model = X.shape
    Xh = X.reshape(*batch, T, d_model // n_heads, n_heads)  # (..., T, d_head, n_heads): columns dealt out
    return np.moveaxis(Xh, -1, -3)  # (..., n_heads, T, d_head)


def _split_heads_forgot_transpose(X, n_heads, **_):
    *batch, T, d_model = X.shape
    return X.reshape(*batch, T, n_heads, d_model // n_heads)  # (..., T, n_heads, d_head)


def _split_heads_dot_T(X, n_heads, **_):
    *batch, T, d_model = X.shape
    return X.reshape(*batch, T, n_heads, d_model // n_heads).T  # .T reverses every axis


def _split_heads_swap_0_1(X, n_heads, **_):
    *batch, T, d_model = X.shape
    Xh = X.reshape(*batch, T, n_heads, d_model // n_heads)  # (..., T, n_heads, d_head)
    return np.swapaxes(Xh, 0, 1)  # right for one sequence; on a batch it swaps the batch and token axes


def _split_heads_to_front(X, n_heads, **_):
    *batch, T, d_model = X.shape
    Xh = X.reshape(*batch, T, n_heads, d_model // n_heads)  # (..., T, n_heads, d_head)
    return np.moveaxis(Xh, -2, 0)  # (n_heads, ..., T, d_head): also np.stack(np.split(X, n_heads, -1), 0)


def _split_heads_last_two_swapped(X, n_heads, **_):
    *batch, T, d_model = X.shape
    Xh = X.reshape(*batch, T, n_heads, d_model // n_heads)  # (..., T, n_heads, d_head)
    return np.swapaxes(Xh, -2, -1)  # (..., T, d_head, n_heads)


def _detect_split_heads_d_head_first(got, case):
    """A reshape to (..., T, d_head, n_heads), followed by any order of the last three axes."""
    X, n_heads = case.args
    if not isinstance(got, np.ndarray) or got.ndim != X.ndim + 1:
        return None
    *batch, T, d_model = X.shape
    d_head = d_model // n_heads
    if d_head == n_heads:
        return None
    Xr = X.reshape(*batch, T, d_head, n_heads)
    lead = tuple(range(len(batch)))
    for perm in itertools.permutations(range(len(batch), len(batch) + 3)):
        candidate = np.transpose(Xr, lead + perm)
        if candidate.shape == got.shape and np.allclose(got, candidate):
            return (
                f"you reshaped to (…, T, d_head, n_heads) = (…, {T}, {d_head}, {n_heads}): the last two numbers "
                f"are the wrong way round, so the features are dealt out to the heads in turn instead of cut into "
                f"blocks (you returned shape {shape_of(got)}, expected {shape_of(case.expected)}).",
                "a token's d_model features are n_heads blocks of d_head: reshape to (..., T, n_heads, d_head), "
                "then np.swapaxes(Xh, -3, -2) -> (..., n_heads, T, d_head).",
            )
    return None


def _split_heads_mistakes():
    right = ("reshape to (..., T, n_heads, d_head) — each token's features cut into heads — then swap the "
             "two axes: np.swapaxes(Xh, -3, -2) -> (..., n_heads, T, d_head).")
    return [
        Mistake(
            split_heads_no_transpose,
            "you reshaped straight to (n_heads, T, d_head): the shape is right but the values are scrambled — "
            "reshape fills the new shape in reading order, so head 0 gets the first rows' features, mixing tokens.",
            right,
        ),
        Mistake(
            _split_heads_interleaved,
            "the heads are split along the wrong axis: reshaping to (T, d_head, n_heads) deals the columns out "
            "in turn (interleaved), so head 0 gets columns 0, n_heads, 2·n_heads, … instead of a block.",
            "head h owns the block of columns h·d_head … (h+1)·d_head - 1: " + right,
        ),
        Mistake(
            _split_heads_forgot_transpose,
            "you returned (T, n_heads, d_head): the reshape is right but the transpose is missing.",
            "move the heads axis in front of the tokens: np.swapaxes(Xh, -3, -2) -> (..., n_heads, T, d_head).",
        ),
        Mistake(
            _split_heads_dot_T,
            "you used .T, which reverses every axis: (T, n_heads, d_head) became (d_head, n_heads, T).",
            "swap only the two axes you mean: np.swapaxes(Xh, -3, -2) -> (..., n_heads, T, d_head).",
        ),
        Mistake(
            _split_heads_swap_0_1,
            "it works for one sequence, but on a batch swapaxes(Xh, 0, 1) swaps the batch axis with the tokens: "
            "(batch, T, n_heads, d_head) became (T, batch, n_heads, d_head).",
            "swap axes -3 and -2 (count from the end), not 0 and 1: np.swapaxes(Xh, -3, -2) -> "
            "(..., n_heads, T, d_head).",
        ),
        Mistake(
            _split_heads_to_front,
            "it works for one sequence, but on a batch the heads axis went to axis 0, in front of the batch axis: "
            "(n_heads, batch, T, d_head) instead of (batch, n_heads, T, d_head).",
            "put the heads axis third from the end, not first: np.stack(..., axis=-3), np.moveaxis(Xh, -2, -3) "
            "or np.swapaxes(Xh, -3, -2).",
        ),
        Mistake(
            _split_heads_last_two_swapped,
            "you swapped the last two axes (-2, -1): (T, n_heads, d_head) became (T, d_head, n_heads).",
            "swap the heads axis with the tokens axis instead: np.swapaxes(Xh, -3, -2) -> (..., n_heads, T, d_head).",
        ),
    ]


def check_split_heads(fn):
    """Check fn(X, n_heads) -> (..., n_heads, T, d_head), head h = columns h·d_head … of X (notebook 07)."""
    rng = seeded_rng(7)
    cases = []
    for batch, T, n_heads, d_head in (((), 3, 2, 4), ((), 3, 4, 2), ((2,), 5, 3, 2)):
        X = rng.normal(size=batch + (T, n_heads * d_head))
        label = f"X {shape_of(X)}, n_heads = {n_heads} (d_head = {d_head})"
        cases.append(Case(("a batch, " if batch else "") + label, f"{shape_of(X)} in {n_heads} heads",
                           (X, n_heads), split_heads(X, n_heads),
                           dict(T=T, n_heads=n_heads, d_head=d_head), batch=bool(batch)))
    return run_check(
        "Your split_heads", fn, cases, _split_heads_mistakes(),
        detectors=[_detect_split_heads_d_head_first],
        error_hint="d_head = d_model // n_heads; X.reshape(*X.shape[:-1], n_heads, d_head) then "
                   "np.swapaxes(..., -3, -2).",
        values_hint="head h of token t holds X[..., t, h·d_head:(h+1)·d_head]; output (..., n_heads, T, d_head).",
        batch_hint="keep the batch axes: T, d_model = X.shape[-2:], reshape to (*X.shape[:-1], n_heads, d_head) "
                   "and swap axes -3 and -2 (count from the end).",
    )
