"""Check yourself, notebook 02: Q, K, V from X and the three projections."""

import numpy as np

from ._runner import (
    article,
    as_float,
    Case,
    first_difference,
    fmt,
    Mistake,
    run_check,
    same_array,
    seeded_rng,
    shape_of,
    swap_last_two,
)

__all__ = ["check_qkv"]

# ====================================================================== notebook 02: Q, K, V


def _qkv_w_times_x(X, W_q, W_k, W_v, **_):
    return W_q @ X, W_k @ X, W_v @ X  # the matrix on the wrong side


_QKV_NAMES = ("Q", "K", "V")


def _qkv_elementwise_star(X, W_q, W_k, W_v, **_):
    return X * W_q, X * W_k, X * W_v  # * multiplies entry by entry: (T, d_model) * (d_model, d_k) does not broadcast


def _structure_qkv(got, expected):
    if isinstance(got, np.ndarray):
        return (
            f"you returned one array of shape {shape_of(got)}, but the check wants three: Q, K and V.",
            "end with `return Q, K, V`.",
        )
    if not isinstance(got, (tuple, list)):
        return (f"you returned {article(type(got).__name__)}; the check wants a tuple (Q, K, V).",
                "end with `return Q, K, V`.")
    if len(got) != 3:
        return (f"you returned {len(got)} items; the check wants three: (Q, K, V).", "end with `return Q, K, V`.")
    for name, item, want in zip(_QKV_NAMES, got, expected):
        if item is None:
            return (f"your {name} is None: it was never computed.",
                    f"compute {name} = X @ W_{name.lower()} and return it.")
        if not isinstance(item, np.ndarray):
            return (f"your {name} is {article(type(item).__name__)}, not a numpy array.",
                    f"compute {name} = X @ W_{name.lower()}.")
    return None


def _same_qkv(got, want):
    return isinstance(got, (tuple, list)) and len(got) == 3 and all(same_array(g, w) for g, w in zip(got, want))


def _detect_qkv_roles(got, case):
    """Which of Q, K, V (or their transposes) each returned array is."""
    roles = []
    for item in got:
        role = None
        for name, want in zip(_QKV_NAMES, case.expected):
            if same_array(item, want):
                role = name
                break
            if item.ndim >= 2 and same_array(item, swap_last_two(want)):
                role = name + "ᵀ"
                break
        roles.append(role)
    if None in roles:
        return None
    if all(r.endswith("ᵀ") for r in roles):
        return (
            f"your Q, K, V are transposed: shape {shape_of(got[0])} instead of {shape_of(case.expected[0])} "
            "(that is W_qᵀ Xᵀ, or (X @ W_q).T).",
            "put X on the left, one row per word: q_i = x_i W_Q, so Q = X @ W_q, shape (T, d_k).",
        )
    if sorted(roles) == sorted(_QKV_NAMES):
        return (
            f"the outputs are returned in the wrong order: ({', '.join(roles)}) instead of (Q, K, V).",
            "return them as `return Q, K, V` — queries first, then keys, then values.",
        )
    if len(set(roles)) == 1:
        return (
            f"all three outputs are the same matrix ({roles[0]}): the same weight matrix was used for Q, K and V.",
            "each role has its own matrix: Q = X @ W_q, K = X @ W_k, V = X @ W_v.",
        )
    wrong = [(n, r) for n, r in zip(_QKV_NAMES, roles) if n != r]
    n, r = wrong[0]
    return (
        f"your {n} equals {r}: it was computed with W_{r[0].lower()} instead of W_{n.lower()} (a copy-paste slip).",
        f"use each role's own matrix: {n} = X @ W_{n.lower()}.",
    )


def _detect_qkv_elementwise(got, case):
    """Name the first of Q, K, V with a wrong shape or wrong values."""
    for name, item, want in zip(_QKV_NAMES, got, case.expected):
        if item.shape != want.shape:
            return (
                f"your {name} has shape {shape_of(item)}, expected {shape_of(want)}.",
                f"{name} = X @ W_{name.lower()}: (T, d_model) @ (d_model, d_k) -> (T, d_k).",
            )
        if not same_array(item, want):
            g = as_float(item)
            if g is None:
                return (f"your {name} has dtype {item.dtype}, not numbers.", f"{name} = X @ W_{name.lower()}.")
            idx, e, v, d = first_difference(item, want)
            return (
                f"your {name} differs from X @ W_{name.lower()}: the largest difference is {fmt(d)} at index "
                f"{idx} (expected {fmt(e)}, got {fmt(v)}), X of shape {shape_of(case.args[0])}.",
                f"{name} = X @ W_{name.lower()}, one row per word: q_i = x_i W_Q.",
            )
    return None


def check_qkv(fn):
    """Check fn(X, W_q, W_k, W_v) -> (Q, K, V) with Q = X W_q, K = X W_k, V = X W_v (notebook 02)."""
    rng = seeded_rng(2)
    cases = []
    for batch in ((), (2,)):
        T, d_model, d_k = 3, 5, 4
        X = rng.normal(size=batch + (T, d_model))
        Ws = [rng.normal(size=(d_model, d_k)) for _ in range(3)]
        expected = tuple(X @ W for W in Ws)  # (..., T, d_model) @ (d_model, d_k) -> (..., T, d_k)
        label = (f"a batch X {shape_of(X)}, each W {(d_model, d_k)}" if batch
                 else f"X {shape_of(X)} with T = {T}, d_model = {d_model}; each W {(d_model, d_k)}")
        cases.append(Case(label, f"X {shape_of(X)}", (X, *Ws), expected,
                           dict(T=T, d_model=d_model, d_k=d_k), batch=bool(batch)))
    mistakes = [
        Mistake(
            _qkv_elementwise_star,
            "you used *, which multiplies entry by entry (element-wise), not the matrix product: X * W_q needs "
            "X (T, d_model) and W_q (d_model, d_k) to have matching shapes, so numpy cannot even line them up.",
            "the matrix product is @: Q = X @ W_q, (T, d_model) @ (d_model, d_k) -> (T, d_k); "
            "each q_i = x_i W_Q sums x_i's entries times a column of W_Q.",
        ),
        Mistake(
            _qkv_w_times_x,
            "The weight matrix is on the wrong side: W_q @ X does not fit (d_model, d_k) @ (T, d_model).",
            "the slides write q_i = x_i W_Q (a row times a matrix), so Q = X @ W_q: "
            "(T, d_model) @ (d_model, d_k) -> (T, d_k).",
        ),
    ]
    return run_check(
        "Your Q, K, V function", fn, cases, mistakes,
        detectors=[_detect_qkv_roles, _detect_qkv_elementwise], structure=_structure_qkv, same=_same_qkv,
        error_hint="Q = X @ W_q: X (T, d_model) on the left, W_q (d_model, d_k) on the right.",
        values_hint="Q = X @ W_q, K = X @ W_k, V = X @ W_v, each of shape (T, d_k); return Q, K, V.",
        batch_hint="X @ W_q also works on a batch X (B, T, d_model); avoid .T and reshapes that assume 2 axes.",
    )
