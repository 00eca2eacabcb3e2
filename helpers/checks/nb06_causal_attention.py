"""Check yourself, notebook 06: the causal mask."""

import numpy as np

from ..core import causal_mask
from ._runner import (
    Case,
    Mistake,
    run_check,
)

__all__ = ["check_causal_mask"]

# ====================================================================== notebook 06: the causal mask


def _causal_mask_upper(T, **_):
    return np.triu(np.ones((T, T), dtype=bool))


def _causal_mask_inverted(T, **_):
    return ~np.tril(np.ones((T, T), dtype=bool))  # True where blocked


def _causal_mask_no_diagonal(T, **_):
    return np.tril(np.ones((T, T), dtype=bool), k=-1)


def _causal_mask_additive(T, **_):
    return np.where(np.tril(np.ones((T, T), dtype=bool)), 0.0, -np.inf)


def _causal_mask_ones(T, **_):
    return np.tril(np.ones((T, T)))


def _detect_mask_dtype(got, case):
    if not isinstance(got, np.ndarray) or got.shape != case.expected.shape or got.dtype == bool:
        return None
    return (
        f"your mask has dtype {got.dtype}, not booleans: this series uses True = may attend, False = blocked.",
        "build it as booleans, e.g. np.tril(np.ones((T, T), dtype=bool)).",
    )


def check_causal_mask(fn):
    """Check fn(T) -> (T, T) boolean mask, True on and below the diagonal (= allowed) (notebook 06)."""
    cases = [
        Case(f"T = {T}", f"T = {T}", (T,), causal_mask(T), dict(T=T)) for T in (4, 1, 6)
    ]
    tril = "True on and below the diagonal: np.tril(np.ones((T, T), dtype=bool))."
    mistakes = [
        Mistake(
            _causal_mask_upper,
            "your mask is the upper triangle: token i may look at tokens i … T-1, the future, instead of 0 … i.",
            "a decoder looks back, not ahead: the allowed entries are " + tril,
        ),
        Mistake(
            _causal_mask_inverted,
            "your mask is inverted: True marks the blocked future, but in this series True means 'may attend'.",
            "flip it (~mask) or build it directly: " + tril,
        ),
        Mistake(
            _causal_mask_no_diagonal,
            "the diagonal is excluded: token i may not look at itself.",
            "each token attends to itself too, so keep the diagonal: np.tril(..., k=0), the default.",
        ),
        Mistake(
            _causal_mask_additive,
            "you returned the additive float mask (0 where allowed, -inf where blocked), not booleans.",
            "this check wants the boolean form (True = may attend); convert with mask == 0, or build " + tril,
        ),
        Mistake(
            _causal_mask_ones,
            "the pattern is right, but it holds numbers (1 and 0) instead of True / False.",
            "ask for booleans: " + tril,
        ),
    ]
    return run_check(
        "Your causal mask", fn, cases, mistakes,
        detectors=[_detect_mask_dtype],
        error_hint=tril, values_hint="token i may look at tokens 0 … i: " + tril,
    )
