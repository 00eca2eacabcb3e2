"""Check yourself, notebook 09: the backward pass of the softmax, dS = A ⊙ (dA − Σ_j A ⊙ dA)."""

import inspect
import warnings

import numpy as np

from ..core import softmax
from ..lessons.nb09_heads_that_learn import softmax_backward

__all__ = ["check_softmax_backward"]


def check_softmax_backward(fn):
    """Check a learner's fn(A, dA) -> dS for A = softmax(S) along the last axis (notebook 09).

    Prints ✔ Correct, or ✘ Not yet with what is wrong and a hint; returns True or False.

    Same feedback format as helpers.checks: a ✘ Not yet line, "What is wrong: …", "Hint: …"; never raises.
    """
    if not callable(fn):
        print(f"✘ Not yet. The check needs your function itself, but it got {type(fn).__name__}.")
        print("What is wrong: the argument is not something that can be called.")
        print("Hint: pass the function's name without brackets, e.g. check_softmax_backward(my_softmax_backward).")
        return False
    rng = np.random.default_rng(9)
    cases = []
    for label, shape in (("A of shape (3, 4)", (3, 4)), ("a batch, A of shape (2, 3, 5)", (2, 3, 5))):
        S = rng.standard_normal(shape)
        A = softmax(S)  # (..., T): rows of attention weights
        cases.append((label, A, rng.standard_normal(shape)))
    for i, (label, A, dA) in enumerate(cases, start=1):
        expected = softmax_backward(A, dA)
        what = hint = None
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                got = fn(A.copy(), dA.copy())  # copies: the learner's code may work in place
            except NotImplementedError:
                what = "the function is not written yet (it raises NotImplementedError)."
                hint = "replace `raise NotImplementedError` with the formula dS = A ⊙ (dA − Σ_j dA ⊙ A)."
            except Exception as err:  # noqa: BLE001 — the learner's bug becomes feedback, not a traceback
                first_line = str(err).splitlines()[0] if str(err) else ""
                what = f"your function raised {type(err).__name__}: {first_line}".rstrip(": ")
                if _uses_a_jacobian(fn) and (i > 1 or _right_for_one_row(fn, A, dA)):
                    works_for = "one row (a 1-D A)" if i == 1 else f"A of shape {cases[0][1].shape}"
                    what += (f". Your Jacobian route works for {works_for}, but here A is {A.shape}: np.diag and "
                             "np.outer build the Jacobian of one row only (np.diag of a matrix takes its diagonal, "
                             "np.outer flattens), so the shapes no longer fit.")
                    hint = ("either apply your one-row version to every row of A.reshape(-1, T) in a loop, or use the "
                            "row formula A ⊙ (dA − Σ_j dA ⊙ A) with .sum(axis=-1, keepdims=True), "
                            "which works for any leading axes.")
                elif "broadcast" in str(err):
                    hint = ("the sum Σ_j dA ⊙ A has one number per row; keep it as a column with keepdims=True "
                            "so that it is subtracted from every entry of its own row.")
                else:
                    hint = "dS = A ⊙ (dA − Σ_j dA ⊙ A): two products, one subtraction and one sum along axis=-1."
            else:
                what, hint = _diagnose_softmax_backward(got, A, dA, expected)
        if what is None:
            continue
        print(f"✘ Not yet. Your softmax backward fails test {i} of {len(cases)} ({label}).")
        print(f"What is wrong: {what}")
        print(f"Hint: {hint}")
        return False
    print("✔ Correct! Your softmax backward passes both tests: A (3, 4), a batch A (2, 3, 5). "
          "dS = A ⊙ (dA − Σ_j dA ⊙ A).")
    return True


def _right_for_one_row(fn, A, dA):
    """True when fn(a, da) gives the right dS for every single row of A as a 1-D array."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            for a, da in zip(A.reshape(-1, A.shape[-1]), dA.reshape(-1, A.shape[-1])):
                got = np.asarray(fn(a.copy(), da.copy()), dtype=np.float64)
                if got.shape != a.shape or not np.allclose(got, softmax_backward(a, da), rtol=1e-5, atol=1e-8):
                    return False
    except Exception:  # noqa: BLE001 — any failure means "not right for one row"
        return False
    return True


def _uses_a_jacobian(fn):
    """True when fn's source builds a Jacobian matrix (np.diag, np.outer, or the word jacobian)."""
    try:
        source = inspect.getsource(fn).lower()
    except (OSError, TypeError):
        return False
    return any(word in source for word in ("diag", "outer", "jacobian"))


def _diagnose_softmax_backward(got, A, dA, expected):
    """(None, None) when got is right, else (what is wrong, hint) naming the usual mistake."""
    if got is None:
        return "your function returned None.", "end it with `return dS`."
    if isinstance(got, tuple):
        return (f"your function returned a tuple of {len(got)} things, not one array.",
                "return dS alone (`return dS`, not `return dS, A`).")
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return f"your function returned {type(got).__name__}, not an array of numbers.", "return the array dS."
    if got.shape != expected.shape:
        return (f"dS has shape {got.shape}, but it needs one entry per score: the shape of A and dA, {A.shape}.",
                "sum along axis=-1 with keepdims=True, then the result keeps A's shape.")

    def close(x):
        return x.shape == got.shape and bool(np.allclose(got, x, rtol=1e-5, atol=1e-8))

    if close(expected):
        return None, None
    weighted = (dA * A).sum(axis=-1, keepdims=True)  # (..., 1)
    if close(A * (1 - A) * dA):
        return ("you used only the diagonal of the Jacobian, a_j (1 − a_j); every a_j also depends on the other "
                "scores (∂a_j/∂s_k = −a_j a_k).",
                "subtract the weighted sum Σ_j dA ⊙ A inside the bracket: A ⊙ (dA − Σ_j dA ⊙ A).")
    if close(A * dA):
        return ("you forgot to subtract Σ_j dA ⊙ A: the weights sum to 1, so raising one score lowers the "
                "other weights.", "dS = A ⊙ (dA − Σ_j dA ⊙ A).")
    if close(dA - weighted):
        return "you forgot the outer A ⊙ (…).", "multiply the bracket by A, entry by entry."
    if close(-expected):
        return "the sign is flipped.", "it is dA minus the weighted sum: A ⊙ (dA − Σ_j dA ⊙ A)."
    if close(A * (dA - (dA * A).sum(axis=-2, keepdims=True))) or close(A * (dA - (dA * A).sum(axis=0, keepdims=True))):
        return ("you summed over the wrong axis: the sum runs over the keys j of the same row.",
                "sum along axis=-1 (the last axis), with keepdims=True.")
    if close(A * (dA - dA.sum(axis=-1, keepdims=True))):
        return "the sum must weight dA by A: Σ_j dA_j a_j, not Σ_j dA_j.", "sum (dA * A), not dA."
    if close(A * (dA - (dA * A).sum())):
        return ("you summed over the whole array, not one sum per row.",
                "sum along axis=-1 only, with keepdims=True.")
    i = tuple(int(k) for k in np.unravel_index(np.argmax(np.abs(got - expected)), got.shape))
    return (f"dS differs from the right values, most at index {i}: expected {expected[i]:.4f}, got {got[i]:.4f}.",
            "write dS = A ⊙ (dA − Σ_j dA ⊙ A) with *, - and .sum(axis=-1, keepdims=True).")
