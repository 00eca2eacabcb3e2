"""Check yourself, notebook 10: layer norm."""

import numpy as np

from ._runner import (
    Case,
    Mistake,
    run_check,
    seeded_rng,
    shape_of,
)

__all__ = ["check_layer_norm"]

# ====================================================================== notebook 10: layer norm


def _layer_norm_reference(x, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)  # (..., T, 1)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)  # (..., T, 1), population variance
    return (x - mean) / np.sqrt(var + eps)


def _layer_norm_wrong_axis(x, eps=1e-5, **_):
    mean, var = x.mean(axis=-2, keepdims=True), x.var(axis=-2, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)  # each feature normalised across the tokens


def _layer_norm_first_axis(x, eps=1e-5, **_):
    mean, var = x.mean(axis=0, keepdims=True), x.var(axis=0, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def _layer_norm_whole_array(x, eps=1e-5, **_):
    return (x - x.mean()) / np.sqrt(x.var() + eps)


def _layer_norm_ddof1(x, eps=1e-5, **_):
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, ddof=1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def _layer_norm_no_eps(x, eps=1e-5, **_):
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var)


def _layer_norm_eps_outside_sqrt(x, eps=1e-5, **_):
    mean, std = x.mean(axis=-1, keepdims=True), x.std(axis=-1, keepdims=True)
    return (x - mean) / (std + eps)


def _layer_norm_eps_added_to_result(x, eps=1e-5, **_):
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var) + eps  # brackets: eps added to every output


def _layer_norm_divides_by_variance(x, eps=1e-5, **_):
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    return (x - mean) / (var + eps)


def _layer_norm_no_mean(x, eps=1e-5, **_):
    return x / np.sqrt(x.var(axis=-1, keepdims=True) + eps)


def _layer_norm_no_keepdims(x, eps=1e-5, **_):
    return (x - x.mean(axis=-1)) / np.sqrt(x.var(axis=-1) + eps)  # (T, d) - (T,): does not line up


def _layer_norm_mistakes():
    formula = "(x - mean) / √(var + eps), mean and var over the last axis (one token's features)"
    return [
        Mistake(
            _layer_norm_wrong_axis,
            "you normalised over the wrong axis: each feature across the tokens, not each token across its features.",
            "use axis=-1 (the features of one token) with keepdims=True: " + formula + ".",
        ),
        Mistake(
            _layer_norm_first_axis,
            "you normalised over the wrong axis (axis 0), not over each token's features.",
            "use axis=-1 with keepdims=True: " + formula + ".",
        ),
        Mistake(
            _layer_norm_whole_array,
            "you normalised the whole array at once (one mean and variance for everything), not each token.",
            "take the mean and variance per token: axis=-1, keepdims=True.",
        ),
        Mistake(
            _layer_norm_ddof1,
            "you used the sample variance (ddof=1, dividing by d_model - 1); layer norm divides by d_model.",
            "use np.var(x, axis=-1, keepdims=True) or np.std with the default ddof=0.",
        ),
        Mistake(
            _layer_norm_no_eps,
            "eps is forgotten: fine for most tokens, but a token whose features are almost equal "
            "(variance near 0) gets blown up — and exactly equal features would give 0 / 0 = nan.",
            "add eps inside the square root: " + formula + ".",
        ),
        Mistake(
            _layer_norm_eps_outside_sqrt,
            "eps is added outside the square root, (x - mean) / (std + eps): different when the variance is tiny.",
            "put eps inside: " + formula + ".",
        ),
        Mistake(
            _layer_norm_eps_added_to_result,
            "eps is added to the result, (x - mean) / √var + eps: every output is shifted by eps, and a "
            "variance of 0 still divides by 0.",
            "eps belongs inside the square root, in the denominator: " + formula + ".",
        ),
        Mistake(
            _layer_norm_divides_by_variance,
            "you divided by the variance instead of its square root (the standard deviation).",
            "divide by √(var + eps): " + formula + ".",
        ),
        Mistake(
            _layer_norm_no_mean,
            "the mean is not subtracted: the result has variance 1 but not mean 0.",
            "centre first: " + formula + ".",
        ),
        Mistake(
            _layer_norm_no_keepdims,
            "the mean and variance lost their axis (no keepdims=True), so they do not line up with the tokens.",
            "x.mean(axis=-1, keepdims=True) has shape (..., T, 1) and broadcasts over each token's features.",
        ),
    ]


def check_layer_norm(fn):
    """Check fn(x, eps=1e-5) -> (x - mean) / √(var + eps) over the last axis, no gain or bias (notebook 10)."""
    rng = seeded_rng(10)
    x1 = rng.normal(loc=2.0, scale=3.0, size=(3, 6))
    x2 = rng.normal(loc=-1.0, scale=2.0, size=(2, 3, 6))
    x3 = rng.normal(loc=1.0, scale=2.0, size=(3, 6))
    x3[1] = 0.5 + 1e-3 * rng.normal(size=6)  # a token whose features are almost equal: variance ≈ 1e-6
    cases = [
        Case(f"x {shape_of(x1)}: 3 tokens, d_model = 6", f"x {shape_of(x1)}", (x1,), _layer_norm_reference(x1)),
        Case(f"a batch, x {shape_of(x2)}", f"a batch {shape_of(x2)}", (x2,), _layer_norm_reference(x2), batch=True),
        Case(f"x {shape_of(x3)} where token 1's features are almost equal (variance ≈ 1e-6)",
              "a token with variance ≈ 1e-6", (x3,), _layer_norm_reference(x3)),
    ]
    return run_check(
        "Your layer norm", fn, cases, _layer_norm_mistakes(),
        error_hint="mean = x.mean(axis=-1, keepdims=True), var = x.var(axis=-1, keepdims=True), "
                   "then (x - mean) / np.sqrt(var + eps).",
        values_hint="(x - mean) / √(var + eps) with mean and var over the last axis; no gain or bias here.",
        batch_hint="work along axis=-1 with keepdims=True, so any leading axes pass through.",
        nonfinite_hint="add eps inside the square root: √(var + eps) is never 0.",
    )
