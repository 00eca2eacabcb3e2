"""The machinery of the "check yourself" exercises: run a learner's function, compare, name the mistake.

Every check takes the learner's function, runs it on a few small, seeded float64 inputs (a batch
among them where the signature allows it, large scores where a softmax is involved) and prints
plain-text feedback:

    ✔ Correct! …             on success, or
    ✘ Not yet. …             on failure, followed by
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

import inspect
import math
import warnings
from typing import Any, Callable, NamedTuple

import numpy as np

__all__ = [
    "ATOL",
    "Case",
    "Mistake",
    "RTOL",
    "accepts_positional",
    "article",
    "as_float",
    "call_learner",
    "first_difference",
    "fmt",
    "run_check",
    "same_array",
    "seeded_rng",
    "shape_of",
    "softmax_any",
    "split_heads_no_transpose",
    "swap_last_two",
]

RTOL = 1e-5  # float64 inputs; float32 arithmetic in the learner's code still passes
ATOL = 1e-8


# ====================================================================== the machinery


class Case(NamedTuple):
    """One test input: `args` go to the learner's function, `expected` is the reference's answer."""

    label: str  # shown in the failure line: what the input is, with its shapes
    short: str  # shown in the success line
    args: tuple
    expected: Any
    info: dict = {}  # facts the mistake variants and messages need (d_model, n_heads, …)
    batch: bool = False  # True for the input with a leading batch axis


class Mistake(NamedTuple):
    """A classic mistake: `func` computes what that mistake returns; `what`/`hint` are its feedback."""

    func: Callable
    what: str  # may use {placeholders} from the case's info
    hint: str


def _copy(a):
    return a.copy() if isinstance(a, np.ndarray) else a


def call_learner(fn, args, kwargs=None):
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


def same_array(got, want):
    """True when got is an ndarray of want's shape with the same values (same dtype kind for booleans)."""
    if not isinstance(got, np.ndarray) or not isinstance(want, np.ndarray) or got.shape != want.shape:
        return False
    if got.dtype == bool or want.dtype == bool:
        return got.dtype == want.dtype and bool(np.array_equal(got, want))
    try:
        with np.errstate(all="ignore"):
            return bool(np.allclose(got, want, rtol=RTOL, atol=ATOL, equal_nan=True))
    except (TypeError, ValueError):
        return False


def fmt(x):
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


def shape_of(a):
    return str(tuple(int(n) for n in a.shape))


def as_float(a):
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
            if isinstance(item, np.ndarray) and same_array(item, expected):
                return (
                    f"you returned {article(type(got).__name__)} of {len(got)} items; item {k} is the right answer, "
                    "but the check wants that array alone",
                    "return just that array (e.g. `return Z` rather than `return Z, A`).",
                )
    arr = None
    if isinstance(got, (list, tuple, int, float)):
        try:
            arr = np.asarray(got)
        except (TypeError, ValueError):
            arr = None
    if arr is not None and arr.dtype != object and same_array(arr, expected):
        return (
            f"the numbers are right, but you returned {article(type(got).__name__)}, not a numpy array",
            "convert it before returning: `return np.array(result)`.",
        )
    return (
        f"you returned {article(type(got).__name__)}, not a numpy array",
        f"return an np.ndarray of shape {shape_of(expected)}, built with numpy operations.",
    )


def first_difference(got, want):
    """(index, expected value, got value, largest |difference|) for two same-shape numeric arrays."""
    g, w = as_float(got), as_float(want)
    with np.errstate(all="ignore"):
        diff = np.abs(g - w)
    diff = np.where(np.isnan(diff), np.inf, diff)
    idx = np.unravel_index(int(np.argmax(diff)), diff.shape)
    return tuple(int(i) for i in idx), w[idx], g[idx], diff[idx]


def accepts_positional(fn, n):
    """Whether fn can be called with n positional arguments (True when its signature is unknown)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return True
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= n


def run_check(subject, fn, cases, mistakes=(), *, detectors=(), structure=_structure_array,
               same=same_array, error_hint="", values_hint="", batch_hint="", nonfinite_hint="",
               success_note="", probes=(), batch_values_hint=None):
    """Run `fn` on every case; print the feedback for the first failure (or the success line).

    `probes` (argument tuples) separate mistakes that raise the same error as the learner's code.
    `batch_hint` is shown when only the batch case raises; `batch_values_hint` (default: batch_hint)
    when the batch case runs but gives a wrong shape or wrong values.
    """
    if not callable(fn):
        print(f"✘ Not yet. The check needs your function itself, but it got {article(type(fn).__name__)}.")
        print("What is wrong: the argument is not something that can be called.")
        print("Hint: pass the function's name without brackets, e.g. check(my_function), not check(my_function()).")
        return False
    for i, case in enumerate(cases, start=1):
        ok, got = call_learner(fn, case.args)
        if ok and same(got, case.expected):
            continue
        # A mistake can explain this failure only if it, too, gets the earlier (passed) cases right.
        consistent = [m for m in mistakes if all(_passes(m, c, same) for c in cases[:i - 1])]
        what, hint = _diagnose(ok, got, case, i > 1, consistent, detectors, structure, same,
                               error_hint, values_hint, batch_hint, nonfinite_hint, fn=fn, probes=probes,
                               batch_values_hint=batch_values_hint)
        print(f"✘ Not yet. {subject} fails test {i} of {len(cases)} ({case.label}).")
        print(f"What is wrong: {_sentence(what)}")
        print(f"Hint: {_sentence(hint)}")
        return False
    shorts = ", ".join(c.short for c in cases)
    count = "both tests" if len(cases) == 2 else f"all {len(cases)} tests"
    print(f"✔ Correct! {subject} passes {count}: {shorts}.{success_note}")
    return True


def _passes(mistake, case, same):
    ok, v = call_learner(mistake.func, case.args, _facts_for(mistake.func, case.info))
    return ok and same(v, case.expected)


def _raises_like(mistake, case, exc):
    """Whether the mistake variant raises the same exception (type and message) as the learner's code."""
    ok, v = call_learner(mistake.func, case.args, _facts_for(mistake.func, case.info))
    return not ok and _same_exc(v, exc)


def _narrow_by_probes(fn, mistakes, probes, info, same):
    """Of several mistakes that raised like fn, those that also agree with fn on the first telling probe."""
    if fn is None or len(mistakes) < 2:
        return mistakes
    for args in probes:
        ok, got = call_learner(fn, args)
        if not ok:
            continue
        agree = []
        for m in mistakes:
            v_ok, v = call_learner(m.func, args, _facts_for(m.func, info))
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


def article(word):
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
            # The mistake is named: its own words, then only the kind of error Python stopped with
            # (the raw numpy message, e.g. "operands could not be broadcast …", says less and comes first).
            what = m.what.format(**info).rstrip(".")
            return f"{what} (your code stopped with a {type(got).__name__})", m.hint.format(**info)
        if isinstance(got, OverflowError):
            return (
                f"it raised {_exc_text(got)}: math.exp (or float arithmetic) got a number too large for a float — "
                "math.exp(x) raises for x above about 709, where np.exp would give inf"
                + (f"; {info['overflow_why']}" if "overflow_why" in info else ""),
                nonfinite_hint.format(**info)
                or "subtract the row's maximum inside every exp, so no exponent is positive.",
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
        v_ok, v = call_learner(m.func, case.args, _facts_for(m.func, info))
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
                f"it works for one sequence, but on a batch the shape is wrong: expected {shape_of(expected)}, "
                f"got {shape_of(got)}.",
                batch_values_hint.format(**info) or "count the axes from the end (-1, -2, …) so that any leading "
                                                     "batch axes pass through.",
            )
        return (
            f"wrong shape: expected {shape_of(expected)}, got {shape_of(got)}.",
            values_hint.format(**info) or "write the shape of every intermediate result next to its line.",
        )
    if isinstance(got, np.ndarray):
        g = as_float(got)
        if g is None:
            return (f"your array has dtype {got.dtype}, not numbers.", "return a float array.")
        if not np.isfinite(g).all() and np.isfinite(as_float(expected)).all():
            bad = tuple(int(k) for k in np.argwhere(~np.isfinite(g))[0])
            return (
                f"your output contains nan or inf (first at index {bad}), the reference has none.",
                nonfinite_hint.format(**info) or "look for a division by zero or an overflowing exp.",
            )
        idx, e, v, d = first_difference(got, expected)
        prefix = "it works for a single sequence, but on a batch " if after_batch_only else ""
        e_text, v_text = _fmt_pair(e, v)
        return (
            f"{prefix}the values differ from the reference: the largest difference is {fmt(d)} "
            f"at index {idx} (expected {e_text}, got {v_text}), input shape {_input_shape(case)}.",
            (batch_values_hint if after_batch_only and batch_values_hint else values_hint).format(**info)
            or "compare your lines one by one with the formula above the exercise.",
        )
    return ("your result does not match the reference.", values_hint.format(**info) or "compare with the formula.")


def _has_new_nan(got, expected):
    """Whether got (an array) holds nan or inf where expected holds finite numbers."""
    g, w = as_float(got), as_float(expected)
    if g is None or w is None or g.shape != w.shape:
        return False
    return bool((~np.isfinite(g) & np.isfinite(w)).any())


def _input_shape(case):
    first = case.args[0]
    return shape_of(first) if isinstance(first, np.ndarray) else repr(first)


# ---------------------------------------------------------------- shared small pieces


def swap_last_two(M):
    return np.swapaxes(M, -1, -2)  # (..., a, b) -> (..., b, a)


def softmax_any(x, axis=-1):
    """Stable softmax that, like most learners' code, gives nan for an all -inf slice."""
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - m)
    return e / e.sum(axis=axis, keepdims=True)


def seeded_rng(seed):
    return np.random.default_rng(seed)




# ====================================================================== notebook 07: split heads


def split_heads_no_transpose(X, n_heads, **_):
    *batch, T, d_model = X.shape
    return X.reshape(*batch, n_heads, T, d_model // n_heads)  # right shape, scrambled values
