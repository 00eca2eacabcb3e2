"""Check yourself, notebooks 05, 06: scaled dot-product attention, with and without a mask."""

import inspect
import math

import numpy as np

from ..core import causal_mask, scaled_dot_product_attention, softmax
from ._runner import (
    accepts_positional,
    Case,
    Mistake,
    run_check,
    seeded_rng,
    shape_of,
    softmax_any,
    swap_last_two,
)

__all__ = ["check_attention"]

# ====================================================================== notebooks 05-06: attention


def _sdpa(Q, K, V, mask=None, divisor=None, axis=-1, normalise=softmax):
    """Reference-like attention with knobs for the variants below."""
    divisor = math.sqrt(Q.shape[-1]) if divisor is None else divisor
    S = Q @ swap_last_two(K) / divisor  # (..., T_q, T_k)
    if mask is not None:
        S = np.where(mask, S, -np.inf)
    A = softmax_any(S, axis=axis) if normalise is softmax else normalise(S)
    return A @ V  # (..., T_q, T_k) @ (..., T_k, d_v) -> (..., T_q, d_v)


def _attention_returns_weights(Q, K, V, mask=None, **_):
    S = Q @ swap_last_two(K) / math.sqrt(Q.shape[-1])
    if mask is not None:
        S = np.where(mask, S, -np.inf)
    return softmax_any(S)  # A, not Z = A V


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
    A = softmax_any(Q @ K / math.sqrt(Q.shape[-1]))  # (T_q, d_k) @ (T_k, d_k): does not fit
    return A @ V


def _attention_no_max(Q, K, V, mask=None, **_):
    S = Q @ swap_last_two(K) / math.sqrt(Q.shape[-1])
    if mask is not None:
        S = np.where(mask, S, -np.inf)
    e = np.exp(S)  # overflows for large scores
    return e / e.sum(axis=-1, keepdims=True) @ V


def _attention_mask_ignored(Q, K, V, mask=None, **_):
    return _sdpa(Q, K, V, None)


def _attention_mask_inverted(Q, K, V, mask=None, **_):
    return _sdpa(Q, K, V, None if mask is None else ~np.asarray(mask))


def _attention_mask_after_softmax(Q, K, V, mask=None, **_):
    A = softmax_any(Q @ swap_last_two(K) / math.sqrt(Q.shape[-1]))
    if mask is not None:
        A = A * mask  # blocked weights zeroed after the softmax: rows no longer sum to 1
    return A @ V


def _attention_mask_after_softmax_renormalised(Q, K, V, mask=None, **_):
    A = softmax_any(Q @ swap_last_two(K) / math.sqrt(Q.shape[-1]))
    if mask is not None:
        A = A * mask
        A = A / A.sum(axis=-1, keepdims=True)  # 0 / 0 when every allowed weight underflowed
    return A @ V


def _attention_max_before_mask(Q, K, V, mask=None, **_):
    S = Q @ swap_last_two(K) / math.sqrt(Q.shape[-1])  # (..., T_q, T_k)
    S = S - S.max(axis=-1, keepdims=True)  # the max includes the blocked keys
    if mask is not None:
        S = np.where(mask, S, -np.inf)
    e = np.exp(S)  # every allowed term underflows to 0 when a blocked key is far larger
    return e / e.sum(axis=-1, keepdims=True) @ V


def _attention_mask_times_minus_inf(Q, K, V, mask=None, **_):
    S = Q @ swap_last_two(K) / math.sqrt(Q.shape[-1])
    if mask is not None:
        S = S + (~np.asarray(mask)) * -np.inf  # 0 × -inf = nan on every allowed key
    return softmax_any(S) @ V


def _attention_mask_softmax_twice(Q, K, V, mask=None, **_):
    A = softmax_any(Q @ swap_last_two(K) / math.sqrt(Q.shape[-1]))
    if mask is not None:
        A = softmax_any(np.where(mask, A, -np.inf))  # mask on the weights, then a second softmax
    return A @ V


def _attention_mask_zero_scores(Q, K, V, mask=None, **_):
    S = Q @ swap_last_two(K) / math.sqrt(Q.shape[-1])
    if mask is not None:
        S = S * mask  # blocked scores become 0, and exp(0) = 1 still gives them weight
    return softmax_any(S) @ V


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
        Mistake(
            _attention_returns_weights,
            "you returned the attention weights A (shape (T_q, T_k)) instead of the outputs Z = A V.",
            "finish the last step of the slide table, softmax · v summed: return A @ V, shape (T_q, d_v).",
        ),
        Mistake(_attention_not_scaled, _SCALE_MISTAKES_WHAT["none"], _SCALE_HINT),
        Mistake(_attention_scaled_by_d_k, _SCALE_MISTAKES_WHAT["d_k"], "take the square root: " + _SCALE_HINT),
        Mistake(_attention_scaled_by_sqrt_d_model, _SCALE_MISTAKES_WHAT["sqrt_d_model"], _SCALE_HINT),
        Mistake(_attention_scaled_by_d_model, _SCALE_MISTAKES_WHAT["d_model"], _SCALE_HINT),
        Mistake(_attention_scaled_by_8, _SCALE_MISTAKES_WHAT["8"], _SCALE_HINT),
        Mistake(
            _attention_scaled_by_sqrt_shape_1,
            "you divided the scores by √Q.shape[1]: for one sequence that is d_k, but on a batch Q.shape[1] "
            "is T_q = {T_q}, the number of queries, not d_k = {d_k}.",
            "count the axes from the end: d_k = Q.shape[-1] (and len(Q[0]) has the same problem).",
        ),
        Mistake(
            _attention_scaled_by_sqrt_d_v,
            "you divided the scores by √d_v = √{d_v} (V.shape[-1], the size of a value vector) instead of "
            "√d_k = √{d_k}: the scale belongs to the dot products of queries and keys.",
            _SCALE_HINT,
        ),
        Mistake(
            _attention_scaled_by_sqrt_t_q,
            "you divided the scores by √T_q = √{T_q}, the number of queries (Q.shape[-2]), instead of "
            "√d_k = √{d_k}.",
            _SCALE_HINT,
        ),
        Mistake(
            _attention_scaled_by_sqrt_t_k,
            "you divided the scores by √T_k = √{T_k}, the number of keys (K.shape[-2]), instead of "
            "√d_k = √{d_k}.",
            _SCALE_HINT,
        ),
        Mistake(
            _attention_softmax_wrong_axis,
            "the softmax runs over the wrong axis: the columns of A sum to 1, not the rows (one row per query).",
            "softmax over the keys, the last axis: axis=-1.",
        ),
        Mistake(
            _attention_k_v_swapped,
            "K and V are swapped: the scores use V and the weighted sum uses K.",
            "scores compare queries with keys, q_i · k_j; the weighted sum adds up the values: Z = softmax(Q Kᵀ / √d_k) V.",
        ),
        Mistake(
            _attention_k_not_transposed,
            "K is not transposed: Q @ K multiplies (T_q, d_k) by (T_k, d_k), which does not fit.",
            "use Kᵀ: Q @ np.swapaxes(K, -1, -2) (Q @ K.T for a single sequence).",
        ),
        Mistake(
            _attention_no_max,
            "no max subtraction in your softmax: small scores work, but large scores overflow exp and give nan.",
            "subtract each row's maximum before exp: exp(s - max(s)) / Σ exp(s - max(s)).",
        ),
        Mistake(
            _attention_mask_ignored,
            "the mask is ignored: the output is the same as without a mask.",
            mask_before,
        ),
        Mistake(
            _attention_mask_inverted,
            "your mask is inverted: you treated True as blocked, but in this series True means 'may attend'.",
            "keep the scores where mask is True: np.where(mask, S, -np.inf).",
        ),
        Mistake(
            _attention_mask_after_softmax,
            "you masked after the softmax: the blocked weights are zeroed, so each row of A no longer sums to 1.",
            mask_before,
        ),
        Mistake(
            _attention_max_before_mask,
            "you subtracted the row max before masking: the max included a blocked key with a far larger "
            "score, so exp underflowed to 0 for every allowed key and 0 / 0 gave nan.",
            "take the max over the allowed scores only — mask first, then subtract the max: "
            "S = np.where(mask, S, -np.inf), then S - S.max(axis=-1, keepdims=True), then exp "
            "(mask the scores before the max and the softmax).",
        ),
        Mistake(
            _attention_mask_times_minus_inf,
            "you masked with S + (~mask) * -np.inf, but 0 × -inf is nan, not 0: every allowed score became nan too.",
            "pick the score or -inf without multiplying: S = np.where(mask, S, -np.inf).",
        ),
        Mistake(
            _attention_mask_after_softmax_renormalised,
            "you masked after the softmax and renormalised: on paper that is the same, but here a blocked key "
            "has a far larger score, so exp underflowed to 0 for every allowed key and 0 / 0 gave nan.",
            mask_before,
        ),
        Mistake(
            _attention_mask_softmax_twice,
            "you masked the weights after the softmax and then took a second softmax: "
            "the weights are those of softmax(softmax(S)), not softmax(S).",
            mask_before,
        ),
        Mistake(
            _attention_mask_zero_scores,
            "blocked scores were set to 0 (e.g. S * mask), but exp(0) = 1: blocked keys still get weight.",
            "blocked scores must be -inf, so that exp gives exactly 0: np.where(mask, S, -np.inf).",
        ),
    ]


def _attention_cases(with_mask):
    rng = seeded_rng(5)
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
        Case(f"Q {shape_of(Q1)}, K {shape_of(K1)}, V {shape_of(V1)}: one head (d_k = 5, d_v = 2) of a model with "
              "d_model = 15, n_heads = 3", "T_q ≠ T_k", (Q1, K1, V1), z(Q1, K1, V1), info),
        Case(f"large scores (beyond ±1000), Q {shape_of(Q2)}, K {shape_of(K2)}", "large scores",
              (Q2, K2, V2), z(Q2, K2, V2), info2),
        Case(f"a batch, Q {shape_of(Q3)}, K {shape_of(K3)}, V {shape_of(V3)}", "a batch",
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
            Case(f"with a mask (True = may attend), Q {shape_of(Q1)}, K {shape_of(K1)}", "a mask",
                  (Q1, K1, V1, M4), z(Q1, K1, V1, M4), info),
            Case(f"a batch with a causal mask {shape_of(M5)}, where a blocked future key has a very large score",
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
        return run_check("Your attention", fn, [])
    with_mask = accepts_positional(fn, 4)
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
    return run_check(
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
