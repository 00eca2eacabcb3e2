"""The "check yourself" exercises: run a learner's function, compare it with helpers, name the mistake.

Every check takes the learner's function, runs it on a few small, seeded float64 inputs (a batch
among them where the signature allows it, large scores where a softmax is involved) and prints
plain-text feedback:

    ✅ …                      on success, or
    ❌ …                      on failure, followed by
    What is wrong: …         one line naming the mistake, and
    Hint: …                  one line naming the fix in the slides' terms.

It returns True when the function is right, False otherwise, and never raises: an exception in
the learner's code is shown as its type and message (no traceback); returning None, a non-array
or the wrong shape is reported as such.

How a mistake is recognised: each classic mistake is written below as a tiny private function
(`_softmax_wrong_axis`, `_attention_mask_after_softmax`, …). On the input that failed, the learner's
output is compared with the output of each of these (or, if the learner's code raised, with the
error each of them raises); the first one that agrees names the mistake. When several variants raise
the same error, the learner's function and theirs are run once more on an extra "probe" input (e.g. a
square matrix, where they all run) to tell them apart. Inputs are chosen so that the variants differ
from each other and from the right answer (T_q ≠ T_k, d_k ≠ d_model, …).
Feedback is deterministic: rounded numbers, shapes, no addresses, warnings silenced.
"""

import functools
import inspect
import math
import warnings
from typing import Any, Callable, NamedTuple

import numpy as np

from .attention import (
    attention_scores,
    causal_mask,
    multi_head_attention,
    scaled_dot_product_attention,
    softmax,
    split_heads,
)

__all__ = [
    "check_attention",
    "check_causal_mask",
    "check_layer_norm",
    "check_multi_head_attention",
    "check_online_softmax",
    "check_qkv",
    "check_scaled_scores",
    "check_softmax",
    "check_split_heads",
]

_RTOL = 1e-5  # float64 inputs; float32 arithmetic in the learner's code still passes
_ATOL = 1e-8


# ====================================================================== the machinery


class _Case(NamedTuple):
    """One test input: `args` go to the learner's function, `expected` is the reference's answer."""

    label: str  # shown in the failure line: what the input is, with its shapes
    short: str  # shown in the success line
    args: tuple
    expected: Any
    info: dict = {}  # facts the mistake variants and messages need (d_model, n_heads, …)
    batch: bool = False  # True for the input with a leading batch axis


class _Mistake(NamedTuple):
    """A classic mistake: `func` computes what that mistake returns; `what`/`hint` are its feedback."""

    func: Callable
    what: str  # may use {placeholders} from the case's info
    hint: str


def _copy(a):
    return a.copy() if isinstance(a, np.ndarray) else a


def _call(fn, args, kwargs=None):
    """Run fn on copies of args with warnings silenced; return (True, result) or (False, exception)."""
    args = tuple(_copy(a) for a in args)  # the learner's code may change its inputs in place
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a RuntimeWarning would print a machine-dependent path
        with np.errstate(all="ignore"):
            try:
                return True, fn(*args, **(kwargs or {}))
            except Exception as exc:  # noqa: BLE001 — the learner's code may raise anything
                return False, exc


def _exc_text(exc):
    """'ValueError: message', first line only, cut to a readable length."""
    msg = str(exc).strip().splitlines()[0].rstrip(".") if str(exc).strip() else ""
    if len(msg) > 160:
        msg = msg[:157] + "…"
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def _same_exc(a, b):
    return type(a) is type(b) and str(a) == str(b)


def _same_array(got, want):
    """True when got is an ndarray of want's shape with the same values (same dtype kind for booleans)."""
    if not isinstance(got, np.ndarray) or not isinstance(want, np.ndarray) or got.shape != want.shape:
        return False
    if got.dtype == bool or want.dtype == bool:
        return got.dtype == want.dtype and bool(np.array_equal(got, want))
    try:
        with np.errstate(all="ignore"):
            return bool(np.allclose(got, want, rtol=_RTOL, atol=_ATOL, equal_nan=True))
    except (TypeError, ValueError):
        return False


def _fmt(x):
    """A number rounded for printing (4 significant digits), never full precision."""
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        return str(x)
    out = f"{x:.4g}"
    return "0" if out == "-0" else out


def _fmt_pair(expected, got):
    """Two numbers rounded for printing, with more digits (6, then 10) when 4 would print them equal."""
    for digits in (4, 6, 10):
        e, g = (f"{float(x):.{digits}g}" for x in (expected, got))
        e, g = ("0" if t == "-0" else t for t in (e, g))
        if e != g or not all(math.isfinite(float(x)) for x in (expected, got)):
            return e, g
    return e, g


def _shape(a):
    return str(tuple(int(n) for n in a.shape))


def _as_float(a):
    try:
        return np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _structure_array(got, expected):
    """(what, hint) when `got` is not an ndarray at all, else None."""
    if isinstance(got, np.ndarray):
        return None
    if isinstance(got, (tuple, list)) and got:
        for k, item in enumerate(got):
            if isinstance(item, np.ndarray) and _same_array(item, expected):
                return (
                    f"you returned {_a(type(got).__name__)} of {len(got)} items; item {k} is the right answer, "
                    "but the check wants that array alone",
                    "return just that array (e.g. `return Z` rather than `return Z, A`).",
                )
    arr = None
    if isinstance(got, (list, tuple, int, float)):
        try:
            arr = np.asarray(got)
        except (TypeError, ValueError):
            arr = None
    if arr is not None and arr.dtype != object and _same_array(arr, expected):
        return (
            f"the numbers are right, but you returned {_a(type(got).__name__)}, not a numpy array",
            "convert it before returning: `return np.array(result)`.",
        )
    return (
        f"you returned {_a(type(got).__name__)}, not a numpy array",
        f"return an np.ndarray of shape {_shape(expected)}, built with numpy operations.",
    )


def _first_difference(got, want):
    """(index, expected value, got value, largest |difference|) for two same-shape numeric arrays."""
    g, w = _as_float(got), _as_float(want)
    with np.errstate(all="ignore"):
        diff = np.abs(g - w)
    diff = np.where(np.isnan(diff), np.inf, diff)
    idx = np.unravel_index(int(np.argmax(diff)), diff.shape)
    return tuple(int(i) for i in idx), w[idx], g[idx], diff[idx]


def _accepts_positional(fn, n):
    """Whether fn can be called with n positional arguments (True when its signature is unknown)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return True
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= n


def _run_check(subject, fn, cases, mistakes=(), *, detectors=(), structure=_structure_array,
               same=_same_array, error_hint="", values_hint="", batch_hint="", nonfinite_hint="",
               success_note="", probes=(), batch_values_hint=None):
    """Run `fn` on every case; print the feedback for the first failure (or the success line).

    `probes` (argument tuples) separate mistakes that raise the same error as the learner's code.
    `batch_hint` is shown when only the batch case raises; `batch_values_hint` (default: batch_hint)
    when the batch case runs but gives a wrong shape or wrong values.
    """
    if not callable(fn):
        print(f"❌ The check needs your function itself, but it got {_a(type(fn).__name__)}.")
        print("What is wrong: the argument is not something that can be called.")
        print("Hint: pass the function's name without brackets, e.g. check(my_function), not check(my_function()).")
        return False
    for i, case in enumerate(cases, start=1):
        ok, got = _call(fn, case.args)
        if ok and same(got, case.expected):
            continue
        # A mistake can explain this failure only if it, too, gets the earlier (passed) cases right.
        consistent = [m for m in mistakes if all(_passes(m, c, same) for c in cases[:i - 1])]
        what, hint = _diagnose(ok, got, case, i > 1, consistent, detectors, structure, same,
                               error_hint, values_hint, batch_hint, nonfinite_hint, fn=fn, probes=probes,
                               batch_values_hint=batch_values_hint)
        print(f"❌ {subject} fails test {i} of {len(cases)} ({case.label}).")
        print(f"What is wrong: {_sentence(what)}")
        print(f"Hint: {_sentence(hint)}")
        return False
    shorts = ", ".join(c.short for c in cases)
    count = "both tests" if len(cases) == 2 else f"all {len(cases)} tests"
    print(f"✅ Correct! {subject} passes {count}: {shorts}.{success_note}")
    return True


def _passes(mistake, case, same):
    ok, v = _call(mistake.func, case.args, _facts_for(mistake.func, case.info))
    return ok and same(v, case.expected)


def _raises_like(mistake, case, exc):
    """Whether the mistake variant raises the same exception (type and message) as the learner's code."""
    ok, v = _call(mistake.func, case.args, _facts_for(mistake.func, case.info))
    return not ok and _same_exc(v, exc)


def _narrow_by_probes(fn, mistakes, probes, info, same):
    """Of several mistakes that raised like fn, those that also agree with fn on the first telling probe."""
    if fn is None or len(mistakes) < 2:
        return mistakes
    for args in probes:
        ok, got = _call(fn, args)
        if not ok:
            continue
        agree = []
        for m in mistakes:
            v_ok, v = _call(m.func, args, _facts_for(m.func, info))
            if v_ok and same(got, v):
                agree.append(m)
        if agree:
            return agree
    return mistakes


def _facts_for(func, info):
    """The case facts a mistake variant asks for by keyword-only parameter (e.g. d_model)."""
    params = inspect.signature(func).parameters
    return {k: v for k, v in info.items() if k in params and params[k].kind is inspect.Parameter.KEYWORD_ONLY}


def _sentence(text):
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _a(word):
    """'a list', 'an int'."""
    return ("an " if word[:1].lower() in "aeiou" or word.startswith("nd") else "a ") + word


def _diagnose(ok, got, case, earlier_passed, mistakes, detectors, structure, same,
              error_hint, values_hint, batch_hint, nonfinite_hint, fn=None, probes=(), batch_values_hint=None):
    """(what is wrong, hint) for one failing case."""
    info = case.info
    after_batch_only = case.batch and earlier_passed
    batch_values_hint = batch_hint if batch_values_hint is None else batch_values_hint

    if not ok:  # the learner's function raised
        if isinstance(got, NotImplementedError):
            return (
                f"your function raised {_exc_text(got)}: the exercise is not written yet.",
                "replace the `raise NotImplementedError` line with your code, then run the check again.",
            )
        raised_alike = [m for m in mistakes if _raises_like(m, case, got)]
        if raised_alike:
            m = _narrow_by_probes(fn, raised_alike, probes, info, same)[0]
            return f"it raised {_exc_text(got)} — {m.what.format(**info)}", m.hint.format(**info)
        if isinstance(got, OverflowError):
            return (
                f"it raised {_exc_text(got)}: math.exp (or float arithmetic) got a number too large for a float — "
                "math.exp(x) raises for x above about 709, where np.exp would give inf"
                + (f"; {info['overflow_why']}" if "overflow_why" in info else ""),
                nonfinite_hint.format(**info) or "subtract the row's maximum inside every exp, so no exponent is positive.",
            )
        if after_batch_only:
            return (
                f"it works for a single sequence, but on a batch it raised {_exc_text(got)}",
                batch_hint.format(**info) or "use the last axes (-1, -2) so any leading batch axes pass through.",
            )
        if "truth value of an array" in str(got):
            return (
                f"it raised {_exc_text(got)}: an array was used where Python needs a single True/False.",
                "test for a missing argument with `if mask is not None:` rather than `if mask:`.",
            )
        return (
            f"it raised {_exc_text(got)}.",
            error_hint.format(**info) or "read the message above: it names the line's problem; print the shapes.",
        )

    if got is None:
        return (
            "you returned None — did you forget `return`?",
            "end your function with a `return` statement that gives back the result.",
        )
    problem = structure(got, case.expected)
    if problem:
        return problem

    matched = []
    for m in mistakes:
        v_ok, v = _call(m.func, case.args, _facts_for(m.func, info))
        if v_ok and not same(v, case.expected) and same(got, v):
            matched.append(m)
    if len(matched) > 1 and _has_new_nan(got, case.expected):
        # Two mistakes agreeing only because both give nan in the same places: do not pick one.
        whats = [m.what.format(**info).rstrip(".") for m in matched]
        return (
            "your output has nan where the reference has numbers, and " + str(len(matched))
            + " different mistakes give nan in exactly these places, so the check cannot tell which you made: "
            + "; or ".join(f"({chr(97 + k)}) {w}" for k, w in enumerate(whats)),
            matched[0].hint.format(**info),
        )
    if matched:
        return matched[0].what.format(**info), matched[0].hint.format(**info)
    for detect in detectors:
        found = detect(got, case)
        if found:
            return found

    expected = case.expected
    if isinstance(got, np.ndarray) and got.shape != expected.shape:
        if after_batch_only:
            return (
                f"it works for one sequence, but on a batch the shape is wrong: expected {_shape(expected)}, "
                f"got {_shape(got)}.",
                batch_values_hint.format(**info) or "count the axes from the end (-1, -2, …) so that any leading "
                                                     "batch axes pass through.",
            )
        return (
            f"wrong shape: expected {_shape(expected)}, got {_shape(got)}.",
            values_hint.format(**info) or "write the shape of every intermediate result next to its line.",
        )
    if isinstance(got, np.ndarray):
        g = _as_float(got)
        if g is None:
            return (f"your array has dtype {got.dtype}, not numbers.", "return a float array.")
        if not np.isfinite(g).all() and np.isfinite(_as_float(expected)).all():
            bad = tuple(int(k) for k in np.argwhere(~np.isfinite(g))[0])
            return (
                f"your output contains nan or inf (first at index {bad}), the reference has none.",
                nonfinite_hint.format(**info) or "look for a division by zero or an overflowing exp.",
            )
        idx, e, v, d = _first_difference(got, expected)
        prefix = "it works for a single sequence, but on a batch " if after_batch_only else ""
        e_text, v_text = _fmt_pair(e, v)
        return (
            f"{prefix}the values differ from the reference: the largest difference is {_fmt(d)} "
            f"at index {idx} (expected {e_text}, got {v_text}), input shape {_input_shape(case)}.",
            (batch_values_hint if after_batch_only and batch_values_hint else values_hint).format(**info)
            or "compare your lines one by one with the formula above the exercise.",
        )
    return ("your result does not match the reference.", values_hint.format(**info) or "compare with the formula.")


def _has_new_nan(got, expected):
    """Whether got (an array) holds nan or inf where expected holds finite numbers."""
    g, w = _as_float(got), _as_float(expected)
    if g is None or w is None or g.shape != w.shape:
        return False
    return bool((~np.isfinite(g) & np.isfinite(w)).any())


def _input_shape(case):
    first = case.args[0]
    return _shape(first) if isinstance(first, np.ndarray) else repr(first)


# ---------------------------------------------------------------- shared small pieces


def _swap(M):
    return np.swapaxes(M, -1, -2)  # (..., a, b) -> (..., b, a)


def _softmax_any(x, axis=-1):
    """Stable softmax that, like most learners' code, gives nan for an all -inf slice."""
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - m)
    return e / e.sum(axis=axis, keepdims=True)


def _rng(seed):
    return np.random.default_rng(seed)


# ====================================================================== notebook 02: Q, K, V


def _qkv_w_times_x(X, W_q, W_k, W_v, **_):
    return W_q @ X, W_k @ X, W_v @ X  # the matrix on the wrong side


_QKV_NAMES = ("Q", "K", "V")


def _structure_qkv(got, expected):
    if isinstance(got, np.ndarray):
        return (
            f"you returned one array of shape {_shape(got)}, but the check wants three: Q, K and V.",
            "end with `return Q, K, V`.",
        )
    if not isinstance(got, (tuple, list)):
        return (f"you returned {_a(type(got).__name__)}; the check wants a tuple (Q, K, V).", "end with `return Q, K, V`.")
    if len(got) != 3:
        return (f"you returned {len(got)} items; the check wants three: (Q, K, V).", "end with `return Q, K, V`.")
    for name, item, want in zip(_QKV_NAMES, got, expected):
        if item is None:
            return (f"your {name} is None: it was never computed.", f"compute {name} = X @ W_{name.lower()} and return it.")
        if not isinstance(item, np.ndarray):
            return (f"your {name} is {_a(type(item).__name__)}, not a numpy array.", f"compute {name} = X @ W_{name.lower()}.")
    return None


def _same_qkv(got, want):
    return isinstance(got, (tuple, list)) and len(got) == 3 and all(_same_array(g, w) for g, w in zip(got, want))


def _detect_qkv_roles(got, case):
    """Which of Q, K, V (or their transposes) each returned array is."""
    roles = []
    for item in got:
        role = None
        for name, want in zip(_QKV_NAMES, case.expected):
            if _same_array(item, want):
                role = name
                break
            if item.ndim >= 2 and _same_array(item, _swap(want)):
                role = name + "ᵀ"
                break
        roles.append(role)
    if None in roles:
        return None
    if all(r.endswith("ᵀ") for r in roles):
        return (
            f"your Q, K, V are transposed: shape {_shape(got[0])} instead of {_shape(case.expected[0])} "
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
                f"your {name} has shape {_shape(item)}, expected {_shape(want)}.",
                f"{name} = X @ W_{name.lower()}: (T, d_model) @ (d_model, d_k) -> (T, d_k).",
            )
        if not _same_array(item, want):
            g = _as_float(item)
            if g is None:
                return (f"your {name} has dtype {item.dtype}, not numbers.", f"{name} = X @ W_{name.lower()}.")
            idx, e, v, d = _first_difference(item, want)
            return (
                f"your {name} differs from X @ W_{name.lower()}: the largest difference is {_fmt(d)} at index "
                f"{idx} (expected {_fmt(e)}, got {_fmt(v)}), X of shape {_shape(case.args[0])}.",
                f"{name} = X @ W_{name.lower()}, one row per word: q_i = x_i W_Q.",
            )
    return None


def check_qkv(fn):
    """Check fn(X, W_q, W_k, W_v) -> (Q, K, V) with Q = X W_q, K = X W_k, V = X W_v (notebook 02)."""
    rng = _rng(2)
    cases = []
    for batch in ((), (2,)):
        T, d_model, d_k = 3, 5, 4
        X = rng.normal(size=batch + (T, d_model))
        Ws = [rng.normal(size=(d_model, d_k)) for _ in range(3)]
        expected = tuple(X @ W for W in Ws)  # (..., T, d_model) @ (d_model, d_k) -> (..., T, d_k)
        label = (f"a batch X {_shape(X)}, each W {(d_model, d_k)}" if batch
                 else f"X {_shape(X)} with T = {T}, d_model = {d_model}; each W {(d_model, d_k)}")
        cases.append(_Case(label, f"X {_shape(X)}", (X, *Ws), expected,
                           dict(T=T, d_model=d_model, d_k=d_k), batch=bool(batch)))
    mistakes = [
        _Mistake(
            _qkv_w_times_x,
            "The weight matrix is on the wrong side: W_q @ X does not fit (d_model, d_k) @ (T, d_model).",
            "the slides write q_i = x_i W_Q (a row times a matrix), so Q = X @ W_q: "
            "(T, d_model) @ (d_model, d_k) -> (T, d_k).",
        ),
    ]
    return _run_check(
        "Your Q, K, V function", fn, cases, mistakes,
        detectors=[_detect_qkv_roles, _detect_qkv_elementwise], structure=_structure_qkv, same=_same_qkv,
        error_hint="Q = X @ W_q: X (T, d_model) on the left, W_q (d_model, d_k) on the right.",
        values_hint="Q = X @ W_q, K = X @ W_k, V = X @ W_v, each of shape (T, d_k); return Q, K, V.",
        batch_hint="X @ W_q also works on a batch X (B, T, d_model); avoid .T and reshapes that assume 2 axes.",
    )


# ====================================================================== notebook 03: scaled scores


def _scores_k_not_transposed(Q, K, **_):
    return Q @ K / math.sqrt(Q.shape[-1])  # (T_q, d_k) @ (T_k, d_k): does not fit


def _scores_k_q(Q, K, **_):
    return K @ _swap(Q) / math.sqrt(Q.shape[-1])  # (T_k, T_q): keys as rows


def _scores_softmax_applied(Q, K, **_):
    return _softmax_any(Q @ _swap(K) / math.sqrt(Q.shape[-1]))


def _scale_feedback(c, d_k, d_model):
    """(what, hint) for scores equal to Q Kᵀ / c, where c is not √d_k."""
    root = _fmt(math.sqrt(d_k))
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
            f"you divided by {_fmt(c)} = √{n_sq}, but √d_k = {root} for these inputs (d_k = {d_k}).",
            f"do not hard-code the size: {take_dk}",
        )
    if c > 0 and math.isclose(c, round(c), rel_tol=1e-6):
        return (
            f"you divided by {round(c)}, but the divisor is √d_k = {root} for these inputs (d_k = {d_k}).",
            f"do not hard-code the size: {take_dk}",
        )
    return (
        f"your scores are Q Kᵀ times {_fmt(1.0 / c)}; the factor should be 1/√d_k = {_fmt(1 / math.sqrt(d_k))}.",
        f"S = Q Kᵀ / √d_k: {take_dk}",
    )


def _score_divisor(got, Q, K):
    """c when got = Q Kᵀ / c for one constant c, else None."""
    raw = Q @ _swap(K)  # (..., T_q, d_k) @ (..., d_k, T_k) -> (..., T_q, T_k)
    g = _as_float(got)
    if g is None or g.shape != raw.shape or not np.isfinite(g).all():
        return None
    r = float(np.sum(g * raw) / np.sum(raw * raw))
    if r == 0.0 or not np.allclose(g, r * raw, rtol=_RTOL, atol=_ATOL):
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
    ok, got_p = _call(fn, probe)
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
    divided = f"√{n} = {_fmt(c)}" if root else f"{n}"
    return (
        f"you divided by {divided}, and {n} is {role} ({where}): that axis counts "
        f"{'sequences' if role == 'the batch size' else 'words'}, not the entries of one query or key.",
        f"d_k is the last axis of Q and K, whatever comes before it: d_k = Q.shape[-1] (here {d_k}), "
        f"then divide by math.sqrt(d_k) = {_fmt(math.sqrt(d_k))}.",
    )


def _detect_scores_scale(got, case, fn=None):
    """Scores that are Q Kᵀ divided by the wrong number: a shape entry read from the wrong axis, or a constant."""
    Q, K = case.args
    c = _score_divisor(got, Q, K)
    if c is None:
        return None
    return _wrong_axis_feedback(c, case, fn) or _scale_feedback(c, Q.shape[-1], case.info["d_model"])


def _detect_rows_sum_to_one(got, case):
    g = _as_float(got)
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
    rng = _rng(3)
    probe_rng = _rng(30)  # a separate generator: the test inputs stay what they were
    cases = []
    for batch, T_q, T_k, d_k, n_heads, probe_shape in (((), 3, 4, 5, 3, ((), 7, 9, 11)),
                                                       ((2,), 4, 3, 6, 2, ((5,), 7, 9, 11))):
        Q = rng.normal(size=batch + (T_q, d_k))
        K = rng.normal(size=batch + (T_k, d_k))
        d_model = n_heads * d_k
        expected = attention_scores(Q, K)  # (..., T_q, T_k)
        label = (f"Q {_shape(Q)} and K {_shape(K)}: one head (d_k = {d_k}) of a model with "
                 f"d_model = {d_model}, n_heads = {n_heads}")
        if batch:
            label = "a batch, " + label
        # probe: the same layout with all sizes different, to see which axis a divisor follows
        p_batch, p_T_q, p_T_k, p_d_k = probe_shape
        probe = (probe_rng.normal(size=p_batch + (p_T_q, p_d_k)), probe_rng.normal(size=p_batch + (p_T_k, p_d_k)))
        cases.append(_Case(label, f"Q {_shape(Q)}, K {_shape(K)}", (Q, K), expected,
                           dict(d_k=d_k, d_model=d_model, n_heads=n_heads, probe=probe), batch=bool(batch)))
    mistakes = [
        _Mistake(
            _scores_k_not_transposed,
            "K is not transposed: Q @ K multiplies (T_q, d_k) by (T_k, d_k), which does not fit.",
            "score_ij = q_i · k_j needs Kᵀ: Q @ K.T for one sequence, Q @ np.swapaxes(K, -1, -2) for a batch.",
        ),
        _Mistake(
            _scores_k_q,
            "your table is K Qᵀ: one row per key instead of one row per query (shape (T_k, T_q)).",
            "put the queries first: S = Q Kᵀ / √d_k, shape (T_q, T_k); row i holds q_i · k_j for every key j.",
        ),
        _Mistake(
            _scores_softmax_applied,
            "every row of your result sums to 1: you applied the softmax already.",
            "this step stops at the scaled scores S = Q Kᵀ / √d_k; the softmax comes next (notebook 04).",
        ),
    ]
    return _run_check(
        "Your scores function", fn, cases, mistakes,
        detectors=[functools.partial(_detect_scores_scale, fn=fn), _detect_rows_sum_to_one],
        error_hint="S = Q Kᵀ / √d_k: Q (T_q, d_k) @ Kᵀ (d_k, T_k) -> (T_q, T_k), with d_k = Q.shape[-1].",
        values_hint="S = Q Kᵀ / √d_k, shape (T_q, T_k), with d_k = Q.shape[-1].",
        batch_hint="K.T reverses every axis, the batch axis too: use np.swapaxes(K, -1, -2) "
                   "(or K.transpose(0, 2, 1)) and d_k = Q.shape[-1].",
    )


# ====================================================================== notebook 04: softmax


def _softmax_wrong_axis(x, **_):
    return _softmax_any(x, axis=-2)  # each column of each matrix sums to 1


def _softmax_first_axis(x, **_):
    return _softmax_any(x, axis=0)  # normalised across the batch (or down the columns)


def _softmax_axis_one(x, **_):
    return _softmax_any(x, axis=1)  # the rows of a matrix, but not of a batch (B, T_q, T_k)


def _softmax_whole_array(x, **_):
    e = np.exp(x - x.max())
    return e / e.sum()  # the whole array sums to 1


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
        _Mistake(_softmax_wrong_axis, _WRONG_AXIS_WHAT.format(which="columns"), _WRONG_AXIS_HINT),
        _Mistake(_softmax_first_axis, _WRONG_AXIS_WHAT.format(which="slices along axis 0"), _WRONG_AXIS_HINT),
        _Mistake(
            _softmax_axis_one,
            "you used axis=1: that is the rows of a single matrix, but for a batch (B, T_q, T_k) axis 1 "
            "runs down the columns.",
            "use axis=-1, the last axis, which is the rows whatever the batch axes.",
        ),
        _Mistake(
            _softmax_whole_array,
            "you divided by the sum over the whole array: all weights together sum to 1, not each row.",
            "sum along the last axis only: e.sum(axis=-1, keepdims=True).",
        ),
        _Mistake(
            _softmax_no_max,
            "no max subtraction: small scores work, but exp(1000) overflows to inf and inf / inf gives nan.",
            "subtract each row's maximum before exp (stable softmax): exp(s - max(s)) / Σ exp(s - max(s)) "
            "gives the same weights and never overflows.",
        ),
        _Mistake(
            _softmax_no_exp,
            "you normalised the scores without exp: s / Σ s is not a softmax (negative scores give negative weights).",
            "take exp first: weights = exp(s - max(s)) / Σ exp(s - max(s)).",
        ),
        _Mistake(
            _softmax_exp_only,
            "you took exp but did not normalise: the rows do not sum to 1.",
            "divide each row by its sum: e / e.sum(axis=-1, keepdims=True).",
        ),
        _Mistake(
            _softmax_not_normalised,
            "you took exp(s - max(s)) but did not normalise: the rows do not sum to 1.",
            "divide each row by its sum: e / e.sum(axis=-1, keepdims=True).",
        ),
        # These three raise the same broadcasting error on a (T_q, T_k) input with T_q ≠ T_k;
        # the square probe of check_softmax tells them apart.
        _Mistake(
            _softmax_no_keepdims,
            "the row sums lost their axis (no keepdims=True in the sum), so they do not line up with the rows.",
            "keep the summed axis: e.sum(axis=-1, keepdims=True) has shape (T_q, 1) and divides each row.",
        ),
        _Mistake(
            _softmax_no_keepdims_max,
            "the row maxima lost their axis (no keepdims=True in the max): shape (T_q,) instead of (T_q, 1), "
            "so they do not line up with the rows.",
            "keep the axis in the max: scores.max(axis=-1, keepdims=True) has shape (T_q, 1) and is "
            "subtracted from each row.",
        ),
        _Mistake(
            _softmax_no_keepdims_both,
            "neither the max nor the sum kept its axis (no keepdims=True): both have shape (T_q,) instead of "
            "(T_q, 1), so they do not line up with the rows.",
            "keep the axis in both: scores.max(axis=-1, keepdims=True) and e.sum(axis=-1, keepdims=True), "
            "each of shape (T_q, 1).",
        ),
    ]


def _detect_not_normalised(got, case):
    """Positive output proportional to the right weights row by row, rows not summing to 1."""
    g, w = _as_float(got), case.expected
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
    rng = _rng(4)
    S1 = rng.normal(scale=2.0, size=(3, 4))
    S2 = rng.normal(scale=2.0, size=(2, 3, 4))
    S3 = np.array([[1000.0, 1001.0, 999.0, 1002.0],
                   [-1000.0, -998.5, -1001.0, -999.0],
                   [1000.0, 0.0, -1000.0, 990.0]])
    S4 = rng.normal(scale=2.0, size=(5,))
    square = _rng(40).normal(scale=2.0, size=(4, 4))  # probe: a missing keepdims runs here, differently
    cases = [
        _Case(f"a {_shape(S1)} matrix of scores", f"a {_shape(S1)} matrix", (S1,), softmax(S1)),
        _Case(f"a batch of scores, shape {_shape(S2)}", f"a batch {_shape(S2)}", (S2,), softmax(S2), batch=True),
        _Case(f"large scores near ±1000, shape {_shape(S3)}", "scores near ±1000", (S3,), softmax(S3)),
        _Case(f"one row of scores, shape {_shape(S4)}", f"one row {_shape(S4)}", (S4,), softmax(S4)),
    ]
    return _run_check(
        "Your softmax", fn, cases, _softmax_mistakes(),
        detectors=[_detect_not_normalised],
        error_hint="work along the last axis: x.max(axis=-1, keepdims=True) and e.sum(axis=-1, keepdims=True).",
        values_hint="weights = exp(s - max(s)) / Σ exp(s - max(s)) along the last axis; each row sums to 1.",
        batch_hint="use axis=-1 rather than axis=1, so the rows are the last axis whatever the batch axes.",
        nonfinite_hint="subtract each row's maximum before exp, so that nothing overflows.",
        probes=[(square,)],
    )


# ====================================================================== notebooks 05-06: attention


def _sdpa(Q, K, V, mask=None, divisor=None, axis=-1, normalise=softmax):
    """Reference-like attention with knobs for the variants below."""
    divisor = math.sqrt(Q.shape[-1]) if divisor is None else divisor
    S = Q @ _swap(K) / divisor  # (..., T_q, T_k)
    if mask is not None:
        S = np.where(mask, S, -np.inf)
    A = _softmax_any(S, axis=axis) if normalise is softmax else normalise(S)
    return A @ V  # (..., T_q, T_k) @ (..., T_k, d_v) -> (..., T_q, d_v)


def _attention_returns_weights(Q, K, V, mask=None, **_):
    S = Q @ _swap(K) / math.sqrt(Q.shape[-1])
    if mask is not None:
        S = np.where(mask, S, -np.inf)
    return _softmax_any(S)  # A, not Z = A V


def _attention_not_scaled(Q, K, V, mask=None, **_):
    return _sdpa(Q, K, V, mask, divisor=1.0)


def _attention_scaled_by_d_k(Q, K, V, mask=None, **_):
    return _sdpa(Q, K, V, mask, divisor=Q.shape[-1])


def _attention_scaled_by_sqrt_d_model(Q, K, V, mask=None, *, d_model, **_):
    return _sdpa(Q, K, V, mask, divisor=math.sqrt(d_model))


def _attention_scaled_by_d_model(Q, K, V, mask=None, *, d_model, **_):
    return _sdpa(Q, K, V, mask, divisor=d_model)


def _attention_scaled_by_8(Q, K, V, mask=None, **_):
    return _sdpa(Q, K, V, mask, divisor=8.0)


def _attention_scaled_by_sqrt_shape_1(Q, K, V, mask=None, **_):
    return _sdpa(Q, K, V, mask, divisor=math.sqrt(Q.shape[1]))  # d_k for one sequence, T_q on a batch


def _attention_scaled_by_sqrt_d_v(Q, K, V, mask=None, **_):
    return _sdpa(Q, K, V, mask, divisor=math.sqrt(V.shape[-1]))


def _attention_scaled_by_sqrt_t_q(Q, K, V, mask=None, **_):
    return _sdpa(Q, K, V, mask, divisor=math.sqrt(Q.shape[-2]))


def _attention_scaled_by_sqrt_t_k(Q, K, V, mask=None, **_):
    return _sdpa(Q, K, V, mask, divisor=math.sqrt(K.shape[-2]))


def _attention_softmax_wrong_axis(Q, K, V, mask=None, **_):
    return _sdpa(Q, K, V, mask, axis=-2)


def _attention_k_v_swapped(Q, K, V, mask=None, **_):
    return _sdpa(Q, V, K, mask)


def _attention_k_not_transposed(Q, K, V, mask=None, **_):
    A = _softmax_any(Q @ K / math.sqrt(Q.shape[-1]))  # (T_q, d_k) @ (T_k, d_k): does not fit
    return A @ V


def _attention_no_max(Q, K, V, mask=None, **_):
    S = Q @ _swap(K) / math.sqrt(Q.shape[-1])
    if mask is not None:
        S = np.where(mask, S, -np.inf)
    e = np.exp(S)  # overflows for large scores
    return e / e.sum(axis=-1, keepdims=True) @ V


def _attention_mask_ignored(Q, K, V, mask=None, **_):
    return _sdpa(Q, K, V, None)


def _attention_mask_inverted(Q, K, V, mask=None, **_):
    return _sdpa(Q, K, V, None if mask is None else ~np.asarray(mask))


def _attention_mask_after_softmax(Q, K, V, mask=None, **_):
    A = _softmax_any(Q @ _swap(K) / math.sqrt(Q.shape[-1]))
    if mask is not None:
        A = A * mask  # blocked weights zeroed after the softmax: rows no longer sum to 1
    return A @ V


def _attention_mask_after_softmax_renormalised(Q, K, V, mask=None, **_):
    A = _softmax_any(Q @ _swap(K) / math.sqrt(Q.shape[-1]))
    if mask is not None:
        A = A * mask
        A = A / A.sum(axis=-1, keepdims=True)  # 0 / 0 when every allowed weight underflowed
    return A @ V


def _attention_max_before_mask(Q, K, V, mask=None, **_):
    S = Q @ _swap(K) / math.sqrt(Q.shape[-1])  # (..., T_q, T_k)
    S = S - S.max(axis=-1, keepdims=True)  # the max includes the blocked keys
    if mask is not None:
        S = np.where(mask, S, -np.inf)
    e = np.exp(S)  # every allowed term underflows to 0 when a blocked key is far larger
    return e / e.sum(axis=-1, keepdims=True) @ V


def _attention_mask_times_minus_inf(Q, K, V, mask=None, **_):
    S = Q @ _swap(K) / math.sqrt(Q.shape[-1])
    if mask is not None:
        S = S + (~np.asarray(mask)) * -np.inf  # 0 × -inf = nan on every allowed key
    return _softmax_any(S) @ V


def _attention_mask_softmax_twice(Q, K, V, mask=None, **_):
    A = _softmax_any(Q @ _swap(K) / math.sqrt(Q.shape[-1]))
    if mask is not None:
        A = _softmax_any(np.where(mask, A, -np.inf))  # mask on the weights, then a second softmax
    return A @ V


def _attention_mask_zero_scores(Q, K, V, mask=None, **_):
    S = Q @ _swap(K) / math.sqrt(Q.shape[-1])
    if mask is not None:
        S = S * mask  # blocked scores become 0, and exp(0) = 1 still gives them weight
    return _softmax_any(S) @ V


_SCALE_MISTAKES_WHAT = {
    "none": "the scores are not scaled: you took the softmax of Q Kᵀ without dividing by √d_k.",
    "d_k": "you divided the scores by d_k = {d_k} instead of √d_k.",
    "sqrt_d_model": "you divided the scores by √d_model = √{d_model} instead of √d_k = √{d_k}: "
                    "these Q, K are one head (d_k = {d_k}) of a model with d_model = {d_model}.",
    "d_model": "you divided the scores by d_model = {d_model} instead of √d_k = √{d_k}.",
    "8": "you divided the scores by a fixed 8, the slides' √64: right only when d_k = 64, but here d_k = {d_k}.",
}
_SCALE_HINT = "S = Q Kᵀ / √d_k with d_k = Q.shape[-1] (the size of one query/key vector, here {d_k})."


def _attention_mistakes():
    mask_before = ("mask the scores before the softmax: S = np.where(mask, S, -np.inf), then the softmax "
                   "gives the blocked keys weight exactly 0 and the allowed ones sum to 1.")
    return [
        _Mistake(
            _attention_returns_weights,
            "you returned the attention weights A (shape (T_q, T_k)) instead of the outputs Z = A V.",
            "finish the last step of the slide table, softmax · v summed: return A @ V, shape (T_q, d_v).",
        ),
        _Mistake(_attention_not_scaled, _SCALE_MISTAKES_WHAT["none"], _SCALE_HINT),
        _Mistake(_attention_scaled_by_d_k, _SCALE_MISTAKES_WHAT["d_k"], "take the square root: " + _SCALE_HINT),
        _Mistake(_attention_scaled_by_sqrt_d_model, _SCALE_MISTAKES_WHAT["sqrt_d_model"], _SCALE_HINT),
        _Mistake(_attention_scaled_by_d_model, _SCALE_MISTAKES_WHAT["d_model"], _SCALE_HINT),
        _Mistake(_attention_scaled_by_8, _SCALE_MISTAKES_WHAT["8"], _SCALE_HINT),
        _Mistake(
            _attention_scaled_by_sqrt_shape_1,
            "you divided the scores by √Q.shape[1]: for one sequence that is d_k, but on a batch Q.shape[1] "
            "is T_q = {T_q}, the number of queries, not d_k = {d_k}.",
            "count the axes from the end: d_k = Q.shape[-1] (and len(Q[0]) has the same problem).",
        ),
        _Mistake(
            _attention_scaled_by_sqrt_d_v,
            "you divided the scores by √d_v = √{d_v} (V.shape[-1], the size of a value vector) instead of "
            "√d_k = √{d_k}: the scale belongs to the dot products of queries and keys.",
            _SCALE_HINT,
        ),
        _Mistake(
            _attention_scaled_by_sqrt_t_q,
            "you divided the scores by √T_q = √{T_q}, the number of queries (Q.shape[-2]), instead of "
            "√d_k = √{d_k}.",
            _SCALE_HINT,
        ),
        _Mistake(
            _attention_scaled_by_sqrt_t_k,
            "you divided the scores by √T_k = √{T_k}, the number of keys (K.shape[-2]), instead of "
            "√d_k = √{d_k}.",
            _SCALE_HINT,
        ),
        _Mistake(
            _attention_softmax_wrong_axis,
            "the softmax runs over the wrong axis: the columns of A sum to 1, not the rows (one row per query).",
            "softmax over the keys, the last axis: axis=-1.",
        ),
        _Mistake(
            _attention_k_v_swapped,
            "K and V are swapped: the scores use V and the weighted sum uses K.",
            "scores compare queries with keys, q_i · k_j; the weighted sum adds up the values: Z = softmax(Q Kᵀ / √d_k) V.",
        ),
        _Mistake(
            _attention_k_not_transposed,
            "K is not transposed: Q @ K multiplies (T_q, d_k) by (T_k, d_k), which does not fit.",
            "use Kᵀ: Q @ np.swapaxes(K, -1, -2) (Q @ K.T for a single sequence).",
        ),
        _Mistake(
            _attention_no_max,
            "no max subtraction in your softmax: small scores work, but large scores overflow exp and give nan.",
            "subtract each row's maximum before exp: exp(s - max(s)) / Σ exp(s - max(s)).",
        ),
        _Mistake(
            _attention_mask_ignored,
            "the mask is ignored: the output is the same as without a mask.",
            mask_before,
        ),
        _Mistake(
            _attention_mask_inverted,
            "your mask is inverted: you treated True as blocked, but in this series True means 'may attend'.",
            "keep the scores where mask is True: np.where(mask, S, -np.inf).",
        ),
        _Mistake(
            _attention_mask_after_softmax,
            "you masked after the softmax: the blocked weights are zeroed, so each row of A no longer sums to 1.",
            mask_before,
        ),
        _Mistake(
            _attention_max_before_mask,
            "you subtracted the row max before masking: the max included a blocked key with a far larger "
            "score, so exp underflowed to 0 for every allowed key and 0 / 0 gave nan.",
            "take the max over the allowed scores only — mask first, then subtract the max: "
            "S = np.where(mask, S, -np.inf), then S - S.max(axis=-1, keepdims=True), then exp "
            "(mask the scores before the max and the softmax).",
        ),
        _Mistake(
            _attention_mask_times_minus_inf,
            "you masked with S + (~mask) * -np.inf, but 0 × -inf is nan, not 0: every allowed score became nan too.",
            "pick the score or -inf without multiplying: S = np.where(mask, S, -np.inf).",
        ),
        _Mistake(
            _attention_mask_after_softmax_renormalised,
            "you masked after the softmax and renormalised: on paper that is the same, but here a blocked key "
            "has a far larger score, so exp underflowed to 0 for every allowed key and 0 / 0 gave nan.",
            mask_before,
        ),
        _Mistake(
            _attention_mask_softmax_twice,
            "you masked the weights after the softmax and then took a second softmax: "
            "the weights are those of softmax(softmax(S)), not softmax(S).",
            mask_before,
        ),
        _Mistake(
            _attention_mask_zero_scores,
            "blocked scores were set to 0 (e.g. S * mask), but exp(0) = 1: blocked keys still get weight.",
            "blocked scores must be -inf, so that exp gives exactly 0: np.where(mask, S, -np.inf).",
        ),
    ]


def _attention_cases(with_mask):
    rng = _rng(5)
    info = dict(d_k=5, d_model=15, n_heads=3, T_q=3, T_k=4, d_v=2)  # one head of a model with d_model = 15
    Q1 = rng.normal(size=(3, 5))
    K1 = rng.normal(size=(4, 5))
    V1 = rng.normal(size=(4, 5))[:, :2]  # d_v = 2 ≠ d_k = 5, so √d_v and √Q.shape[-1] differ from the start
    Q2, K2 = 40.0 * rng.normal(size=(3, 5)), 40.0 * rng.normal(size=(4, 5))  # scores beyond ±1000
    V2 = rng.normal(size=(4, 5))
    info2 = dict(info, d_v=5)
    Q3 = rng.normal(size=(2, 3, 4))
    K3 = rng.normal(size=(2, 5, 4))
    V3 = rng.normal(size=(2, 5, 2))
    info3 = dict(d_k=4, d_model=8, n_heads=2, T_q=3, T_k=5, d_v=2)

    def z(Q, K, V, mask=None):
        return scaled_dot_product_attention(Q, K, V, mask)[0]

    cases = [
        _Case(f"Q {_shape(Q1)}, K {_shape(K1)}, V {_shape(V1)}: one head (d_k = 5, d_v = 2) of a model with "
              "d_model = 15, n_heads = 3", "T_q ≠ T_k", (Q1, K1, V1), z(Q1, K1, V1), info),
        _Case(f"large scores (beyond ±1000), Q {_shape(Q2)}, K {_shape(K2)}", "large scores",
              (Q2, K2, V2), z(Q2, K2, V2), info2),
        _Case(f"a batch, Q {_shape(Q3)}, K {_shape(K3)}, V {_shape(V3)}", "a batch",
              (Q3, K3, V3), z(Q3, K3, V3), info3, batch=True),
    ]
    if with_mask:
        M4 = np.array([[True, True, False, False],
                       [True, False, True, False],
                       [False, True, True, True]])  # no row fully blocked, not even when inverted
        Q5 = rng.normal(size=(2, 4, 4)) + np.array([3.0, 0, 0, 0])
        K5 = rng.normal(size=(2, 4, 4))
        K5[:, -1] = [600.0, 0.0, 0.0, 0.0]  # the last (future) key scores ~900 with every query
        V5 = rng.normal(size=(2, 4, 3))
        M5 = causal_mask(4)
        cases += [
            _Case(f"with a mask (True = may attend), Q {_shape(Q1)}, K {_shape(K1)}", "a mask",
                  (Q1, K1, V1, M4), z(Q1, K1, V1, M4), info),
            _Case(f"a batch with a causal mask {_shape(M5)}, where a blocked future key has a very large score",
                  "a causal mask with large scores", (Q5, K5, V5, M5), z(Q5, K5, V5, M5),
                  dict(d_k=4, d_model=8, n_heads=2, T_q=4, T_k=4, d_v=3), batch=True),
        ]
    return cases


def check_attention(fn):
    """Check fn(Q, K, V, mask=None) -> Z = softmax(Q Kᵀ / √d_k) V, mask True = allowed (notebooks 05, 06).

    The mask tests run only when fn accepts a fourth argument (or a keyword `mask`), so the same
    check serves notebook 05 (no mask yet) and notebook 06.
    """
    if not callable(fn):
        return _run_check("Your attention", fn, [])
    with_mask = _accepts_positional(fn, 4)
    try:
        params = inspect.signature(fn).parameters
        mask_keyword_only = (not with_mask and "mask" in params
                             and params["mask"].kind is inspect.Parameter.KEYWORD_ONLY)
    except (TypeError, ValueError):
        mask_keyword_only = False
    with_mask = with_mask or mask_keyword_only

    def learner(Q, K, V, *mask):
        if not mask:
            return fn(Q, K, V)
        return fn(Q, K, V, mask=mask[0]) if mask_keyword_only else fn(Q, K, V, mask[0])

    note = "" if with_mask else " (No mask tested: your function takes only Q, K, V; notebook 06 adds the mask.)"
    return _run_check(
        "Your attention", learner, _attention_cases(with_mask), _attention_mistakes(),
        error_hint="Z = softmax(Q Kᵀ / √d_k) V: Q (T_q, d_k) @ Kᵀ (d_k, T_k) -> (T_q, T_k), "
                   "softmax over the last axis, then @ V (T_k, d_v) -> (T_q, d_v).",
        values_hint="Z = softmax(Q Kᵀ / √d_k) V, softmax over the last axis (the keys), output (T_q, d_v).",
        batch_hint="if you transposed K with K.T (or swapped axes 0 and 1): on a batch that moves the batch "
                   "axis too; use np.swapaxes(K, -1, -2) and work along axis=-1.",
        batch_values_hint="count the axes from the end, so a batch axis in front changes nothing: "
                          "d_k = Q.shape[-1], Kᵀ = np.swapaxes(K, -1, -2), softmax along axis=-1.",
        nonfinite_hint="subtract each row's maximum before exp, and mask the scores (not the weights) with -inf.",
        success_note=note,
    )


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
        _Case(f"T = {T}", f"T = {T}", (T,), causal_mask(T), dict(T=T)) for T in (4, 1, 6)
    ]
    tril = "True on and below the diagonal: np.tril(np.ones((T, T), dtype=bool))."
    mistakes = [
        _Mistake(
            _causal_mask_upper,
            "your mask is the upper triangle: token i may look at tokens i … T-1, the future, instead of 0 … i.",
            "a decoder looks back, not ahead: the allowed entries are " + tril,
        ),
        _Mistake(
            _causal_mask_inverted,
            "your mask is inverted: True marks the blocked future, but in this series True means 'may attend'.",
            "flip it (~mask) or build it directly: " + tril,
        ),
        _Mistake(
            _causal_mask_no_diagonal,
            "the diagonal is excluded: token i may not look at itself.",
            "each token attends to itself too, so keep the diagonal: np.tril(..., k=0), the default.",
        ),
        _Mistake(
            _causal_mask_additive,
            "you returned the additive float mask (0 where allowed, -inf where blocked), not booleans.",
            "this check wants the boolean form (True = may attend); convert with mask == 0, or build " + tril,
        ),
        _Mistake(
            _causal_mask_ones,
            "the pattern is right, but it holds numbers (1 and 0) instead of True / False.",
            "ask for booleans: " + tril,
        ),
    ]
    return _run_check(
        "Your causal mask", fn, cases, mistakes,
        detectors=[_detect_mask_dtype],
        error_hint=tril, values_hint="token i may look at tokens 0 … i: " + tril,
    )


# ====================================================================== notebook 07: split heads


def _split_heads_no_transpose(X, n_heads, **_):
    *batch, T, d_model = X.shape
    return X.reshape(*batch, n_heads, T, d_model // n_heads)  # right shape, scrambled values


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


def _split_heads_mistakes():
    right = ("reshape to (..., T, n_heads, d_head) — each token's features cut into heads — then swap the "
             "two axes: np.swapaxes(Xh, -3, -2) -> (..., n_heads, T, d_head).")
    return [
        _Mistake(
            _split_heads_no_transpose,
            "you reshaped straight to (n_heads, T, d_head): the shape is right but the values are scrambled — "
            "reshape fills the new shape in reading order, so head 0 gets the first rows' features, mixing tokens.",
            right,
        ),
        _Mistake(
            _split_heads_interleaved,
            "the heads are split along the wrong axis: reshaping to (T, d_head, n_heads) deals the columns out "
            "in turn (interleaved), so head 0 gets columns 0, n_heads, 2·n_heads, … instead of a block.",
            "head h owns the block of columns h·d_head … (h+1)·d_head - 1: " + right,
        ),
        _Mistake(
            _split_heads_forgot_transpose,
            "you returned (T, n_heads, d_head): the reshape is right but the transpose is missing.",
            "move the heads axis in front of the tokens: np.swapaxes(Xh, -3, -2) -> (..., n_heads, T, d_head).",
        ),
        _Mistake(
            _split_heads_dot_T,
            "you used .T, which reverses every axis: (T, n_heads, d_head) became (d_head, n_heads, T).",
            "swap only the two axes you mean: np.swapaxes(Xh, -3, -2) -> (..., n_heads, T, d_head).",
        ),
        _Mistake(
            _split_heads_swap_0_1,
            "it works for one sequence, but on a batch swapaxes(Xh, 0, 1) swaps the batch axis with the tokens: "
            "(batch, T, n_heads, d_head) became (T, batch, n_heads, d_head).",
            "swap axes -3 and -2 (count from the end), not 0 and 1: np.swapaxes(Xh, -3, -2) -> "
            "(..., n_heads, T, d_head).",
        ),
        _Mistake(
            _split_heads_to_front,
            "it works for one sequence, but on a batch the heads axis went to axis 0, in front of the batch axis: "
            "(n_heads, batch, T, d_head) instead of (batch, n_heads, T, d_head).",
            "put the heads axis third from the end, not first: np.stack(..., axis=-3), np.moveaxis(Xh, -2, -3) "
            "or np.swapaxes(Xh, -3, -2).",
        ),
        _Mistake(
            _split_heads_last_two_swapped,
            "you swapped the last two axes (-2, -1): (T, n_heads, d_head) became (T, d_head, n_heads).",
            "swap the heads axis with the tokens axis instead: np.swapaxes(Xh, -3, -2) -> (..., n_heads, T, d_head).",
        ),
    ]


def check_split_heads(fn):
    """Check fn(X, n_heads) -> (..., n_heads, T, d_head), head h = columns h·d_head … of X (notebook 07)."""
    rng = _rng(7)
    cases = []
    for batch, T, n_heads, d_head in (((), 3, 2, 4), ((), 3, 4, 2), ((2,), 5, 3, 2)):
        X = rng.normal(size=batch + (T, n_heads * d_head))
        label = f"X {_shape(X)}, n_heads = {n_heads} (d_head = {d_head})"
        cases.append(_Case(("a batch, " if batch else "") + label, f"{_shape(X)} in {n_heads} heads",
                           (X, n_heads), split_heads(X, n_heads),
                           dict(T=T, n_heads=n_heads, d_head=d_head), batch=bool(batch)))
    return _run_check(
        "Your split_heads", fn, cases, _split_heads_mistakes(),
        error_hint="d_head = d_model // n_heads; X.reshape(*X.shape[:-1], n_heads, d_head) then "
                   "np.swapaxes(..., -3, -2).",
        values_hint="head h of token t holds X[..., t, h·d_head:(h+1)·d_head]; output (..., n_heads, T, d_head).",
        batch_hint="keep the batch axes: T, d_model = X.shape[-2:], reshape to (*X.shape[:-1], n_heads, d_head) "
                   "and swap axes -3 and -2 (count from the end).",
    )


# ====================================================================== notebook 08: multi-head attention


def _mha_core(X, W_q, W_k, W_v, n_heads, *, split="right", divisor=None, k_transpose=_swap):
    """Per-head outputs (..., n_heads, T, d_head) and weights, with a choice of (wrong) split and scale."""
    d_head = X.shape[-1] // n_heads
    parts = []
    for W in (W_q, W_k, W_v):
        if split == "rows":  # head h from rows h·d_head … of W, transposed, instead of columns
            W_h = np.stack([W[h * d_head:(h + 1) * d_head, :].T for h in range(n_heads)])  # (n_heads, d_model, d_head)
            parts.append(X[..., None, :, :] @ W_h)  # (..., n_heads, T, d_head)
            continue
        M = X @ W  # (..., T, d_model)
        if split == "right":
            Mh = _split_heads_reference(M, n_heads)
        else:
            Mh = _split_heads_no_transpose(M, n_heads)
        parts.append(Mh)  # (..., n_heads, T, d_head)
    Qh, Kh, Vh = parts
    S = Qh @ k_transpose(Kh) / (math.sqrt(d_head) if divisor is None else divisor)  # (..., n_heads, T, T)
    A = _softmax_any(S)
    return A @ Vh, A  # (..., n_heads, T, d_head)


def _split_heads_reference(M, n_heads):
    *batch, T, d_model = M.shape
    return np.swapaxes(M.reshape(*batch, T, n_heads, d_model // n_heads), -3, -2)


def _merge_right(Zh):
    *batch, n_heads, T, d_head = Zh.shape
    return np.swapaxes(Zh, -3, -2).reshape(*batch, T, n_heads * d_head)  # (..., T, d_model)


def _mha_no_transpose(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads, split="reshape")
    return Zh.reshape(X.shape) @ W_o  # heads merged back by a plain reshape too


def _mha_split_no_transpose(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads, split="reshape")
    return _merge_right(Zh) @ W_o  # heads cut by a plain reshape, merged back correctly


def _mha_merge_no_transpose(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads)
    return Zh.reshape(X.shape) @ W_o  # (..., n_heads, T, d_head) read as (..., T, d_model)


def _mha_heads_reversed(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads)
    return _merge_right(Zh[..., ::-1, :, :]) @ W_o  # concat(Z_{h-1} … Z_0)


def _mha_no_output_projection(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads)
    return _merge_right(Zh)  # the concatenation, W_O forgotten


def _mha_output_per_head_not_summed(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads)
    d_head = X.shape[-1] // n_heads
    W_o_h = W_o.reshape(n_heads, d_head, W_o.shape[-1])  # (n_heads, d_head, d_model)
    return Zh @ W_o_h  # (..., n_heads, T, d_model): Z_h W_O^h, never summed


def _mha_output_projection_left(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads)
    return W_o @ _merge_right(Zh)  # W_O on the wrong side


def _mha_output_projection_transposed(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads)
    return _merge_right(Zh) @ W_o.T


def _mha_scaled_by_sqrt_d_model(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads, divisor=math.sqrt(X.shape[-1]))
    return _merge_right(Zh) @ W_o


def _mha_not_scaled(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads, divisor=1.0)
    return _merge_right(Zh) @ W_o


def _mha_k_dot_T(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads, k_transpose=lambda K: K.T)  # .T reverses every axis
    return _merge_right(Zh) @ W_o


def _mha_scaled_by_sqrt_n_heads(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads, divisor=math.sqrt(n_heads))
    return _merge_right(Zh) @ W_o


def _mha_scaled_by_sqrt_t(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads, divisor=math.sqrt(X.shape[-2]))
    return _merge_right(Zh) @ W_o


def _mha_heads_summed(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads)
    d_head = X.shape[-1] // n_heads
    return Zh.sum(axis=-3) @ W_o[:d_head]  # (..., T, d_head) @ (d_head, d_model): Z_0 + … + Z_{h-1}


def _mha_heads_averaged(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads)
    return _merge_right(Zh) @ W_o / n_heads  # = mean over h of Z_h W_O^h


def _mha_weight_rows_per_head(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, n_heads, split="rows")
    return _merge_right(Zh) @ W_o


def _mha_returns_weights(X, W_q, W_k, W_v, W_o, n_heads, **_):
    return _mha_core(X, W_q, W_k, W_v, n_heads)[1]  # A (..., n_heads, T, T)


def _mha_single_head(X, W_q, W_k, W_v, W_o, n_heads, **_):
    Zh, _A = _mha_core(X, W_q, W_k, W_v, 1, divisor=math.sqrt(X.shape[-1]))
    return Zh[..., 0, :, :] @ W_o  # one big head: n_heads ignored


def _mha_mistakes():
    split_right = ("split with a reshape to (..., T, n_heads, d_head) and then a transpose to "
                   "(..., n_heads, T, d_head); merge back with the inverse: transpose, then reshape.")
    return [
        _Mistake(
            _mha_no_transpose,
            "you split into heads with a plain reshape to (n_heads, T, d_head), without the transpose: "
            "each 'head' mixes the features of different tokens.",
            split_right,
        ),
        _Mistake(
            _mha_split_no_transpose,
            "you split into heads with a plain reshape to (n_heads, T, d_head), without the transpose: "
            "each 'head' mixes the features of different tokens.",
            split_right,
        ),
        _Mistake(
            _mha_merge_no_transpose,
            "the heads are split right, but merged back with a plain reshape (no transpose first): "
            "the rows of the concatenation mix tokens.",
            "concat(Z_0 … Z_{{h-1}}): np.swapaxes(Zh, -3, -2) -> (..., T, n_heads, d_head), then reshape to "
            "(..., T, d_model).",
        ),
        _Mistake(
            _mha_heads_reversed,
            "the heads are concatenated in the wrong order (Z_{{h-1}} … Z_0): W_O's rows for head 0 meet head h-1.",
            "concatenate in order, Z_0 first: (Z_0 Z_1 … Z_{{h-1}}) W_O.",
        ),
        _Mistake(
            _mha_no_output_projection,
            "W_O is forgotten: you returned the concatenation of the heads.",
            "multiply by W_O at the end: Z_f = concat(Z_0 … Z_{{h-1}}) W_O.",
        ),
        _Mistake(
            _mha_output_per_head_not_summed,
            "you applied W_O per head (Z_h W_O^h) but did not sum over the heads: shape (n_heads, T, d_model).",
            "add the heads' contributions, Z_f = Σ_h Z_h W_O^h (a .sum over the heads axis), "
            "or multiply the concatenation by W_O.",
        ),
        _Mistake(
            _mha_output_projection_left,
            "W_O is on the wrong side: W_o @ concat does not fit (d_model, d_model) @ (T, d_model).",
            "the concatenation comes first: Z_f = concat(Z_0 … Z_{{h-1}}) @ W_o, (T, d_model) @ (d_model, d_model).",
        ),
        _Mistake(
            _mha_output_projection_transposed,
            "you multiplied by W_Oᵀ instead of W_O.",
            "Z_f = concat(Z_0 … Z_{{h-1}}) @ W_o, without .T, as Q = X @ W_q.",
        ),
        _Mistake(
            _mha_scaled_by_sqrt_d_model,
            "you scaled the scores by √d_model instead of √d_head: each head's queries and keys have d_k = d_head.",
            "inside each head divide by √d_head, d_head = d_model // n_heads.",
        ),
        _Mistake(
            _mha_not_scaled,
            "the scores are not scaled: no division by √d_head.",
            "inside each head, S = Q_h K_hᵀ / √d_head with d_head = d_model // n_heads.",
        ),
        _Mistake(
            _mha_k_dot_T,
            "you used K.T inside the heads: on (n_heads, T, d_head) it reverses every axis, giving "
            "(d_head, T, n_heads), so Q_h @ K.T does not fit.",
            "transpose only the last two axes: np.swapaxes(K_h, -1, -2) -> (..., n_heads, d_head, T).",
        ),
        _Mistake(
            _mha_scaled_by_sqrt_n_heads,
            "you scaled the scores by √n_heads = √{n_heads} instead of √d_head = √{d_head}.",
            "inside each head divide by √d_head, d_head = d_model // n_heads (the size of one head's q and k).",
        ),
        _Mistake(
            _mha_scaled_by_sqrt_t,
            "you scaled the scores by √T = √{T} (the number of tokens) instead of √d_head = √{d_head}.",
            "inside each head divide by √d_head, d_head = d_model // n_heads (the size of one head's q and k).",
        ),
        _Mistake(
            _mha_heads_summed,
            "you summed the heads (Z_0 + … + Z_{{h-1}}, shape (T, d_head)) instead of concatenating them: "
            "each head's d_head columns must keep their own place, side by side.",
            "concatenate along the features: concat(Z_0 … Z_{{h-1}}) has shape (T, d_model), then @ W_o.",
        ),
        _Mistake(
            _mha_heads_averaged,
            "you averaged the heads' contributions (a mean over h of Z_h W_O^h): the result is exactly "
            "Z_f / n_heads.",
            "sum over the heads, Z_f = Σ_h Z_h W_O^h — or simply concat(Z_0 … Z_{{h-1}}) @ W_o.",
        ),
        _Mistake(
            _mha_weight_rows_per_head,
            "head h's weights were taken from rows h·d_head … of W (transposed) instead of its columns: "
            "Q = X W_q, so head h owns the columns W_q[:, h·d_head:(h+1)·d_head] (X @ W_q.T does the same).",
            "compute Q = X @ W_q first, then split Q's columns into heads (reshape + swap axes -3 and -2).",
        ),
        _Mistake(
            _mha_returns_weights,
            "you returned the attention weights A (n_heads, T, T) instead of the output Z_f.",
            "return Z_f = concat(Z_0 … Z_{{h-1}}) W_O, shape (T, d_model).",
        ),
        _Mistake(
            _mha_single_head,
            "you computed one big head (d_k = d_model) instead of n_heads heads: the input was never split.",
            "cut Q, K, V into n_heads heads of d_head = d_model // n_heads columns, attend in each head, "
            "then concatenate and multiply by W_O.",
        ),
    ]


def check_multi_head_attention(fn):
    """Check fn(X, W_q, W_k, W_v, W_o, n_heads) -> Z_f = concat(Z_0 … Z_{h-1}) W_O (notebook 08)."""
    rng = _rng(8)
    cases = []
    for batch, T, n_heads, d_head in (((), 4, 2, 3), ((2,), 4, 3, 2)):
        d_model = n_heads * d_head
        X = rng.normal(size=batch + (T, d_model))
        Ws = [rng.normal(size=(d_model, d_model)) for _ in range(4)]
        expected = multi_head_attention(X, *Ws, n_heads)[0]
        label = f"X {_shape(X)}, n_heads = {n_heads} (d_head = {d_head}), each W ({d_model}, {d_model})"
        cases.append(_Case(("a batch, " if batch else "") + label, f"X {_shape(X)} with {n_heads} heads",
                           (X, *Ws, n_heads), expected,
                           dict(T=T, n_heads=n_heads, d_head=d_head, d_model=d_model), batch=bool(batch)))
    return _run_check(
        "Your multi-head attention", fn, cases, _mha_mistakes(),
        error_hint="follow the shapes: X @ W_q (T, d_model) -> heads (n_heads, T, d_head) -> attention per head "
                   "-> concat (T, d_model) -> @ W_o (T, d_model).",
        values_hint="Q = X W_q, split into heads, Z_h = softmax(Q_h K_hᵀ / √d_head) V_h, "
                    "Z_f = concat(Z_0 … Z_{{h-1}}) W_O, shape (T, d_model).",
        batch_hint="keep the batch axes: reshape with X.shape[:-1], swap axes -3 and -2, "
                   "transpose keys with np.swapaxes(K, -1, -2).",
        nonfinite_hint="subtract each row's maximum before exp in the softmax.",
    )


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
        _Mistake(
            _layer_norm_wrong_axis,
            "you normalised over the wrong axis: each feature across the tokens, not each token across its features.",
            "use axis=-1 (the features of one token) with keepdims=True: " + formula + ".",
        ),
        _Mistake(
            _layer_norm_first_axis,
            "you normalised over the wrong axis (axis 0), not over each token's features.",
            "use axis=-1 with keepdims=True: " + formula + ".",
        ),
        _Mistake(
            _layer_norm_whole_array,
            "you normalised the whole array at once (one mean and variance for everything), not each token.",
            "take the mean and variance per token: axis=-1, keepdims=True.",
        ),
        _Mistake(
            _layer_norm_ddof1,
            "you used the sample variance (ddof=1, dividing by d_model - 1); layer norm divides by d_model.",
            "use np.var(x, axis=-1, keepdims=True) or np.std with the default ddof=0.",
        ),
        _Mistake(
            _layer_norm_no_eps,
            "eps is forgotten: fine for most tokens, but a token whose features are almost equal "
            "(variance near 0) gets blown up — and exactly equal features would give 0 / 0 = nan.",
            "add eps inside the square root: " + formula + ".",
        ),
        _Mistake(
            _layer_norm_eps_outside_sqrt,
            "eps is added outside the square root, (x - mean) / (std + eps): different when the variance is tiny.",
            "put eps inside: " + formula + ".",
        ),
        _Mistake(
            _layer_norm_eps_added_to_result,
            "eps is added to the result, (x - mean) / √var + eps: every output is shifted by eps, and a "
            "variance of 0 still divides by 0.",
            "eps belongs inside the square root, in the denominator: " + formula + ".",
        ),
        _Mistake(
            _layer_norm_divides_by_variance,
            "you divided by the variance instead of its square root (the standard deviation).",
            "divide by √(var + eps): " + formula + ".",
        ),
        _Mistake(
            _layer_norm_no_mean,
            "the mean is not subtracted: the result has variance 1 but not mean 0.",
            "centre first: " + formula + ".",
        ),
        _Mistake(
            _layer_norm_no_keepdims,
            "the mean and variance lost their axis (no keepdims=True), so they do not line up with the tokens.",
            "x.mean(axis=-1, keepdims=True) has shape (..., T, 1) and broadcasts over each token's features.",
        ),
    ]


def check_layer_norm(fn):
    """Check fn(x, eps=1e-5) -> (x - mean) / √(var + eps) over the last axis, no gain or bias (notebook 10)."""
    rng = _rng(10)
    x1 = rng.normal(loc=2.0, scale=3.0, size=(3, 6))
    x2 = rng.normal(loc=-1.0, scale=2.0, size=(2, 3, 6))
    x3 = rng.normal(loc=1.0, scale=2.0, size=(3, 6))
    x3[1] = 0.5 + 1e-3 * rng.normal(size=6)  # a token whose features are almost equal: variance ≈ 1e-6
    cases = [
        _Case(f"x {_shape(x1)}: 3 tokens, d_model = 6", f"x {_shape(x1)}", (x1,), _layer_norm_reference(x1)),
        _Case(f"a batch, x {_shape(x2)}", f"a batch {_shape(x2)}", (x2,), _layer_norm_reference(x2), batch=True),
        _Case(f"x {_shape(x3)} where token 1's features are almost equal (variance ≈ 1e-6)",
              "a token with variance ≈ 1e-6", (x3,), _layer_norm_reference(x3)),
    ]
    return _run_check(
        "Your layer norm", fn, cases, _layer_norm_mistakes(),
        error_hint="mean = x.mean(axis=-1, keepdims=True), var = x.var(axis=-1, keepdims=True), "
                   "then (x - mean) / np.sqrt(var + eps).",
        values_hint="(x - mean) / √(var + eps) with mean and var over the last axis; no gain or bias here.",
        batch_hint="work along axis=-1 with keepdims=True, so any leading axes pass through.",
        nonfinite_hint="add eps inside the square root: √(var + eps) is never 0.",
    )


# ====================================================================== notebook 11: online softmax


def _blocks(row, block_size):
    return [row[s:s + block_size] for s in range(0, len(row), block_size)]


def _online_softmax_no_rescale(row, block_size, **_):
    m, l = -np.inf, 0.0
    for block in _blocks(row, block_size):
        m_new = max(m, block.max())
        l = l + np.exp(block - m_new).sum()  # forgot l * exp(m - m_new)
        m = m_new
    return np.exp(row - m) / l


def _online_softmax_rescale_inverted(row, block_size, **_):
    m, l = -np.inf, 0.0
    for block in _blocks(row, block_size):
        m_new = max(m, block.max())
        rescaled = l * np.exp(m_new - m) if l else 0.0  # factor upside down (first block skipped)
        l = rescaled + np.exp(block - m_new).sum()
        m = m_new
    return np.exp(row - m) / l


def _online_softmax_rescale_inverted_nan(row, block_size, **_):
    m, l = -np.inf, 0.0
    for block in _blocks(row, block_size):
        m_new = max(m, block.max())
        l = l * np.exp(m_new - m) + np.exp(block - m_new).sum()  # 0 * exp(+inf) = nan at the start
        m = m_new
    return np.exp(row - m) / l


def _online_softmax_sum_overwritten(row, block_size, **_):
    m, l = -np.inf, 0.0
    for block in _blocks(row, block_size):
        m = max(m, block.max())
        l = np.exp(block - m).sum()  # = instead of +=: only the last block counts
    return np.exp(row - m) / l


def _online_softmax_stale_max(row, block_size, **_):
    m, l, out = -np.inf, 0.0, []
    for block in _blocks(row, block_size):
        m_new = max(m, block.max())
        l = l * np.exp(m - m_new) + np.exp(block - m_new).sum()
        m = m_new
        out.append(np.exp(block - m))  # earlier blocks keep the max of their time
    return np.concatenate(out) / l


def _online_softmax_no_max(row, block_size, **_):
    l = 0.0
    for block in _blocks(row, block_size):
        l = l + np.exp(block).sum()  # overflows for large scores
    return np.exp(row) / l


def _online_softmax_not_normalised(row, block_size, **_):
    m = -np.inf
    for block in _blocks(row, block_size):
        m = max(m, block.max())
    return np.exp(row - m)


def _online_softmax_first_max(row, block_size, **_):
    blocks = _blocks(row, block_size)
    m = blocks[0].max()  # fixed to the first block's max: a later, larger block overflows exp
    l = sum(np.exp(block - m).sum() for block in blocks)
    return np.exp(row - m) / l


def _online_softmax_block_max(row, block_size, **_):
    m, l = -np.inf, 0.0
    for block in _blocks(row, block_size):
        m_new = block.max()  # the block's own max, not max(m, block.max())
        l = l * np.exp(m - m_new) + np.exp(block - m_new).sum()  # exp(+…) when an earlier block was larger
        m = m_new
    return np.exp(row - m) / l


def _online_softmax_mistakes():
    update = ("when the running max grows from m to m_new, rescale the running sum first: "
              "l = l · exp(m - m_new) + Σ exp(block - m_new).")
    return [
        _Mistake(
            _online_softmax_no_rescale,
            "the running sum is not rescaled when the max changes: the blocks before a larger max keep "
            "terms exp(s - m_old), which are too large, so the weights come out too small.",
            update,
        ),
        _Mistake(
            _online_softmax_rescale_inverted,
            "the rescaling factor is upside down: exp(m_new - m) instead of exp(m - m_new).",
            update,
        ),
        _Mistake(
            _online_softmax_rescale_inverted_nan,
            "the rescaling factor is upside down: exp(m_new - m) instead of exp(m - m_new); with m = -inf "
            "at the start it is exp(+inf) = inf, and 0 · inf gives nan.",
            update,
        ),
        _Mistake(
            _online_softmax_sum_overwritten,
            "the running sum is overwritten by each block (l = … instead of l = l · … + …): only the last block counts.",
            "accumulate: " + update,
        ),
        _Mistake(
            _online_softmax_stale_max,
            "the weights of early blocks were computed with the max known at that time and never rescaled "
            "when a later block had a larger max.",
            "finish the pass over the blocks first (final max m and sum l), then weights = exp(s - m) / l.",
        ),
        _Mistake(
            _online_softmax_first_max,
            "you used the first block's max for every block instead of a running max: here a later block is "
            "about 800 above it, so exp(s - m) = exp(+800) overflows to inf.",
            "keep a running max, m_new = max(m, block.max()), and " + update,
        ),
        _Mistake(
            _online_softmax_block_max,
            "you used each block's own max (m_new = block.max()) instead of the running max "
            "max(m, block.max()): here an earlier block is about 1600 above a later one, so exp(m - m_new) "
            "= exp(+1600) overflows to inf.",
            "the running max never goes down: m_new = max(m, block.max()); then " + update,
        ),
        _Mistake(
            _online_softmax_no_max,
            "no running max: small scores work, but exp(1000) overflows to inf and the weights become nan.",
            "keep a running max m and sum exp(s - m): " + update,
        ),
        _Mistake(
            _online_softmax_not_normalised,
            "the weights are exp(s - max) without the division by the running sum: they do not sum to 1.",
            "divide by the running sum at the end: weights = exp(s - m) / l.",
        ),
    ]


def check_online_softmax(fn):
    """Check fn(scores_row, block_size) -> softmax of a 1-D row computed block by block (notebook 11).

    The reference is helpers.softmax on the whole row; the check compares numbers only and cannot see how
    the blocks were processed (a plain softmax passes too). The rows are chosen so that the usual slips
    give different numbers: a later block with a larger max, scores near 1000, a later block ~800 above
    the first (the first block's max kept), an earlier block ~1600 above a later one (each block's own max).
    """
    rng = _rng(11)
    first_max = np.concatenate([[3.0], rng.normal(size=9)])  # the max sits in the first block
    growing = np.sort(rng.normal(scale=2.0, size=10))  # each block's max is larger than the last
    growing = growing + 0.3 * rng.normal(size=10)
    large = 1000.0 + rng.normal(scale=3.0, size=9)
    short = rng.normal(size=5)
    jump_up = np.concatenate([rng.normal(size=4), 800.0 + rng.normal(size=4)])  # a later block ~800 above
    jump_down = np.concatenate([1600.0 + rng.normal(size=3), rng.normal(size=3)])  # an earlier block ~1600 above
    cases = [
        _Case("a row of 10 scores, block_size = 3, the max in the first block", "max in the first block",
              (first_max, 3), softmax(first_max)),
        _Case("a row of 10 scores, block_size = 3, each block's max larger than the last", "growing max",
              (growing, 3), softmax(growing)),
        _Case("a row of 9 scores near 1000, block_size = 4", "scores near 1000", (large, 4), softmax(large)),
        _Case("a row of 5 scores, block_size = 8 (one block)", "one block", (short, 8), softmax(short)),
        _Case("a row of 8 scores, block_size = 4, the second block about 800 above the first",
              "a later block 800 higher", (jump_up, 4), softmax(jump_up),
              dict(overflow_why="here the second block is about 800 above the first, so any exp taken "
                                "relative to the first block's max (or of m alone) overflows")),
        _Case("a row of 6 scores, block_size = 3, the first block about 1600 above the second",
              "an earlier block 1600 higher", (jump_down, 3), softmax(jump_down),
              dict(overflow_why="here the first block is about 1600 above the second, so exp(m - m_new) "
                                "overflows unless m_new = max(m, block.max()) never goes down")),
    ]
    return _run_check(
        "Your online softmax", fn, cases, _online_softmax_mistakes(),
        error_hint="loop over row[start:start + block_size] for start in range(0, len(row), block_size); "
                   "keep a running max m and a running sum l.",
        values_hint="after all blocks, weights = exp(s - m) / l, where " + _online_softmax_mistakes()[0].hint,
        nonfinite_hint="keep a running max m_new = max(m, block.max()) and take only exponents that are ≤ 0: "
                       "exp(block - m_new) and exp(m - m_new), never exp(m) or exp(s) alone.",
        success_note=" (Note: the check compares numbers only; it cannot see whether you really worked block by block.)",
    )
