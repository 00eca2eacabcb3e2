"""Check yourself, notebook 03: the scaled scores S = Q Kᵀ / √d_k."""

import functools
import math

import numpy as np

from ..core import attention_scores
from ._runner import (
    as_float,
    ATOL,
    call_learner,
    Case,
    fmt,
    Mistake,
    RTOL,
    run_check,
    seeded_rng,
    shape_of,
    softmax_any,
    swap_last_two,
)

__all__ = ["check_scaled_scores"]

# ====================================================================== notebook 03: scaled scores


def _scores_k_not_transposed(Q, K, **_):
    return Q @ K / math.sqrt(Q.shape[-1])  # (T_q, d_k) @ (T_k, d_k): does not fit


def _scores_k_q(Q, K, **_):
    return K @ swap_last_two(Q) / math.sqrt(Q.shape[-1])  # (T_k, T_q): keys as rows


def _scores_softmax_applied(Q, K, **_):
    return softmax_any(Q @ swap_last_two(K) / math.sqrt(Q.shape[-1]))


def _scale_feedback(c, d_k, d_model):
    """(what, hint) for scores equal to Q Kᵀ / c, where c is not √d_k."""
    root = fmt(math.sqrt(d_k))
    take_dk = f"read d_k from the input: d_k = Q.shape[-1] (here {d_k}), and divide by math.sqrt(d_k) = {root}."
    if math.isclose(c, 1.0, rel_tol=1e-6):
        return (
            "the scores are not scaled: you returned Q Kᵀ without dividing by √d_k.",
            f"divide by √d_k (the slides' score / 8, since √64 = 8): {take_dk}",
        )
    if math.isclose(c, d_k, rel_tol=1e-6):
        return (
            f"you divided by d_k = {d_k} instead of √d_k = {root}.",
            "take the square root: the slides divide by 8 = √64, not by 64; use / math.sqrt(d_k).",
        )
    if math.isclose(c, math.sqrt(d_model), rel_tol=1e-6):
        return (
            f"you divided by √d_model = √{d_model} instead of √d_k = √{d_k}: these Q, K are one head "
            f"(d_k = {d_k}) of a model with d_model = {d_model}.",
            f"scale by the size of one query/key vector, d_k = d_model / n_heads, not d_model: {take_dk}",
        )
    if math.isclose(c, d_model, rel_tol=1e-6):
        return (
            f"you divided by d_model = {d_model} instead of √d_k = √{d_k}.",
            f"the divisor is √d_k, the square root of one head's query/key size: {take_dk}",
        )
    if math.isclose(c, 1.0 / math.sqrt(d_k), rel_tol=1e-6):
        return (
            f"you multiplied by √d_k = {root} instead of dividing by it.",
            "divide: S = Q Kᵀ / √d_k.",
        )
    if math.isclose(c, 8.0, rel_tol=1e-6):
        return (
            f"you divided by a fixed 8, the slides' √64: that is right only when d_k = 64, but here d_k = {d_k}.",
            take_dk,
        )
    n_sq = round(c * c)
    if n_sq > 0 and math.isclose(c * c, n_sq, rel_tol=1e-6):
        return (
            f"you divided by {fmt(c)} = √{n_sq}, but √d_k = {root} for these inputs (d_k = {d_k}).",
            f"do not hard-code the size: {take_dk}",
        )
    if c > 0 and math.isclose(c, round(c), rel_tol=1e-6):
        return (
            f"you divided by {round(c)}, but the divisor is √d_k = {root} for these inputs (d_k = {d_k}).",
            f"do not hard-code the size: {take_dk}",
        )
    return (
        f"your scores are Q Kᵀ times {fmt(1.0 / c)}; the factor should be 1/√d_k = {fmt(1 / math.sqrt(d_k))}.",
        f"S = Q Kᵀ / √d_k: {take_dk}",
    )


def _score_divisor(got, Q, K):
    """c when got = Q Kᵀ / c for one constant c, else None."""
    raw = Q @ swap_last_two(K)  # (..., T_q, d_k) @ (..., d_k, T_k) -> (..., T_q, T_k)
    g = as_float(got)
    if g is None or g.shape != raw.shape or not np.isfinite(g).all():
        return None
    r = float(np.sum(g * raw) / np.sum(raw * raw))
    if r == 0.0 or not np.allclose(g, r * raw, rtol=RTOL, atol=ATOL):
        return None
    return 1.0 / r


def _axis_role(name, axis, ndim):
    """What axis `axis` of Q or K (ndim axes) counts, in words."""
    if axis == ndim - 2:
        return "T_q, the number of query words" if name == "Q" else "T_k, the number of key words"
    return "the batch size"


def _wrong_axis_feedback(c, case, fn):
    """(what, hint) when the divisor is √n or n for a shape entry n of Q or K other than d_k, else None.

    A hard-coded constant can equal a shape entry by chance (2 = √4 with T_k = 4), so the learner's
    function is run once more on the case's probe, whose sizes all differ: the divisor must follow
    the same axis there too.
    """
    probe = case.info.get("probe")
    if fn is None or probe is None:
        return None
    ok, got_p = call_learner(fn, probe)
    c_p = _score_divisor(got_p, *probe) if ok else None
    if c_p is None:
        return None
    Q, K = case.args
    found = []  # (n, root?, "Q.shape[1]", role)
    for name, M, M_p in (("Q", Q, probe[0]), ("K", K, probe[1])):
        for axis in range(M.ndim - 1):  # every axis but the last, which is d_k
            n, n_p = M.shape[axis], M_p.shape[axis]
            for root in (True, False):
                want, want_p = (math.sqrt(n), math.sqrt(n_p)) if root else (n, n_p)
                if math.isclose(c, want, rel_tol=1e-6) and math.isclose(c_p, want_p, rel_tol=1e-6):
                    found.append((n, root, f"{name}.shape[{axis}]", _axis_role(name, axis, M.ndim)))
    if not found:
        return None
    n, root, _, role = found[0]
    where = " or ".join(expr for m, r, expr, _ in found if (m, r) == (n, root))
    d_k = Q.shape[-1]
    divided = f"√{n} = {fmt(c)}" if root else f"{n}"
    return (
        f"you divided by {divided}, and {n} is {role} ({where}): that axis counts "
        f"{'sequences' if role == 'the batch size' else 'words'}, not the entries of one query or key.",
        f"d_k is the last axis of Q and K, whatever comes before it: d_k = Q.shape[-1] (here {d_k}), "
        f"then divide by math.sqrt(d_k) = {fmt(math.sqrt(d_k))}.",
    )


def _detect_scores_scale(got, case, fn=None):
    """Scores that are Q Kᵀ divided by the wrong number: a shape entry read from the wrong axis, or a constant."""
    Q, K = case.args
    c = _score_divisor(got, Q, K)
    if c is None:
        return None
    return _wrong_axis_feedback(c, case, fn) or _scale_feedback(c, Q.shape[-1], case.info["d_model"])


def _detect_rows_sum_to_one(got, case):
    g = as_float(got)
    if g is None or g.shape != case.expected.shape or not np.isfinite(g).all():
        return None
    if (g >= 0).all() and np.allclose(g.sum(axis=-1), 1.0):
        return (
            "every row of your result sums to 1: you applied the softmax already.",
            "this step stops at the scaled scores S = Q Kᵀ / √d_k; the softmax comes next (notebook 04).",
        )
    return None


def check_scaled_scores(fn):
    """Check fn(Q, K) -> S = Q Kᵀ / √d_k; Q, K are one head of a larger model, so d_k ≠ d_model (notebook 03).

    The test Q, K come from a model with d_model = n_heads · d_k (e.g. d_k = 5, n_heads = 3,
    d_model = 15), so dividing by √d_model, d_model, d_k or nothing gives a recognisably
    different result: the check measures the factor between your output and Q Kᵀ and names it.
    A divisor that is √T_q, √T_k or √(batch size) (d_k read from the wrong axis, e.g. K.shape[0])
    is told apart from a hard-coded constant by running the function once more on a probe input
    whose sizes all differ.
    """
    rng = seeded_rng(3)
    probe_rng = seeded_rng(30)  # a separate generator: the test inputs stay what they were
    cases = []
    for batch, T_q, T_k, d_k, n_heads, probe_shape in (((), 3, 4, 5, 3, ((), 7, 9, 11)),
                                                       ((2,), 4, 3, 6, 2, ((5,), 7, 9, 11))):
        Q = rng.normal(size=batch + (T_q, d_k))
        K = rng.normal(size=batch + (T_k, d_k))
        d_model = n_heads * d_k
        expected = attention_scores(Q, K)  # (..., T_q, T_k)
        label = (f"Q {shape_of(Q)} and K {shape_of(K)}: one head (d_k = {d_k}) of a model with "
                 f"d_model = {d_model}, n_heads = {n_heads}")
        if batch:
            label = "a batch, " + label
        # probe: the same layout with all sizes different, to see which axis a divisor follows
        p_batch, p_T_q, p_T_k, p_d_k = probe_shape
        probe = (probe_rng.normal(size=p_batch + (p_T_q, p_d_k)), probe_rng.normal(size=p_batch + (p_T_k, p_d_k)))
        cases.append(Case(label, f"Q {shape_of(Q)}, K {shape_of(K)}", (Q, K), expected,
                           dict(d_k=d_k, d_model=d_model, n_heads=n_heads, probe=probe), batch=bool(batch)))
    mistakes = [
        Mistake(
            _scores_k_not_transposed,
            "K is not transposed: Q @ K multiplies (T_q, d_k) by (T_k, d_k), which does not fit.",
            "score_ij = q_i · k_j needs Kᵀ: Q @ K.T for one sequence, Q @ np.swapaxes(K, -1, -2) for a batch.",
        ),
        Mistake(
            _scores_k_q,
            "your table is K Qᵀ: one row per key instead of one row per query (shape (T_k, T_q)).",
            "put the queries first: S = Q Kᵀ / √d_k, shape (T_q, T_k); row i holds q_i · k_j for every key j.",
        ),
        Mistake(
            _scores_softmax_applied,
            "every row of your result sums to 1: you applied the softmax already.",
            "this step stops at the scaled scores S = Q Kᵀ / √d_k; the softmax comes next (notebook 04).",
        ),
    ]
    return run_check(
        "Your scores function", fn, cases, mistakes,
        detectors=[functools.partial(_detect_scores_scale, fn=fn), _detect_rows_sum_to_one],
        error_hint="S = Q Kᵀ / √d_k: Q (T_q, d_k) @ Kᵀ (d_k, T_k) -> (T_q, T_k), with d_k = Q.shape[-1].",
        values_hint="S = Q Kᵀ / √d_k, shape (T_q, T_k), with d_k = Q.shape[-1].",
        batch_hint="K.T reverses every axis, the batch axis too: use np.swapaxes(K, -1, -2) "
                   "(or K.transpose(0, 2, 1)) and d_k = Q.shape[-1].",
    )
