"""Masks for causal attention: the three mask conventions, masking before the softmax, and the wrong order.

In this series a mask is boolean and True means "query i may look at key j" (as in
torch.nn.functional.scaled_dot_product_attention). Blocked scores become -inf BEFORE the
softmax, so their weights are exactly 0 and every row still sums to 1. `softmax_then_mask`
computes the wrong order on purpose, so notebook 06 can show what goes wrong.
"""

import numpy as np

from .._validate import as_bool_mask, as_boolean, as_float_array, as_scores
from ..core import attention_scores, causal_mask, scaled_dot_product_attention, softmax

__all__ = [
    "CONVENTIONS",
    "live_mask_view",
    "mask_as",
    "mask_from",
    "mask_view",
    "masked_attention",
    "ORDERS",
    "softmax_then_mask",
]

CONVENTIONS = ("allowed", "blocked", "additive")
ORDERS = ("before", "after")


def softmax_then_mask(S, mask):
    """The WRONG order, for display: A = softmax(S), then the blocked weights set to 0 (notebook 06).

    The blocked keys have already taken their share of each row, so a row sums to less than 1
    (to 0 when nothing is allowed). Returns S's shape and dtype.
    """
    S = as_scores(S)
    if np.isneginf(S).any():
        raise ValueError(
            f"S of shape {S.shape} already holds -inf entries: pass the raw scores, "
            "this function shows what happens when the mask comes only after the softmax"
        )
    mask = as_bool_mask(as_boolean(mask), S.shape)
    A = softmax(S, axis=-1)  # (..., T_q, T_k): every key, the blocked ones too, gets a share
    return np.where(mask, A, np.zeros((), dtype=A.dtype))  # zeroed afterwards: rows no longer sum to 1


def masked_attention(Q, K, V, mask=None, order="before"):
    """Z and A for the mask toggle of notebook 06: order "before" (right) or "after" (softmax, then mask: wrong).

    Q (..., T_q, d_k), K (..., T_k, d_k), V (..., T_k, d_v), mask boolean (True = allowed) or None;
    returns Z (..., T_q, d_v) and A (..., T_q, T_k). "before" is scaled_dot_product_attention itself.
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS} (mask before or after the softmax), got {order!r}")
    Z, A = scaled_dot_product_attention(Q, K, V, mask=mask)  # checks every shape, and the right answer
    if order == "before" or mask is None:
        return Z, A
    S = attention_scores(Q, K)  # (..., T_q, T_k)
    A = softmax_then_mask(S, mask)  # (..., T_q, T_k), rows sum to less than 1
    V = as_float_array(V, "V", min_ndim=2)
    return A @ V, A  # (..., T_q, T_k) @ (..., T_k, d_v) -> (..., T_q, d_v)


def mask_view(Q, K, V, causal=True, order="before"):
    """Weights A (T, T) and a plot title for the mask toggle widget of notebook 06.

    Q (T, d_k), K (T, d_k), V (T, d_v) of one sentence; `causal` switches the causal mask on or off,
    `order` ("before" or "after") says where it is applied. Returns (A, title).
    """
    if not isinstance(causal, (bool, np.bool_)):
        raise ValueError(f"causal must be True or False (mask on or off), got {causal!r}")
    K = as_float_array(K, "K", min_ndim=2)
    if K.ndim != 2:
        raise ValueError(f"mask_view draws one sentence: K must be (T, d_k), got shape {K.shape}")
    mask = causal_mask(K.shape[0]) if causal else None  # (T, T), True = allowed
    _, A = masked_attention(Q, K, V, mask=mask, order=order)  # (T, T); checks order and the shapes
    if not causal:
        return A, "no mask"
    if order == "before":
        return A, "causal mask, before softmax"
    return A, "causal mask, AFTER softmax (wrong)"


def mask_as(mask, convention, dtype=np.float32):
    """Our boolean mask (True = allowed) in another convention (notebook 06).

    "allowed": a copy, True = may attend (this series, torch's F.scaled_dot_product_attention);
    "blocked": True = may NOT attend (torch's nn.MultiheadAttention boolean attn_mask);
    "additive": 0.0 where allowed, -inf where blocked, of `dtype`, to be added to the scores.
    """
    _check_convention(convention)
    mask = as_boolean(mask)
    if convention == "allowed":
        return mask.copy()
    if convention == "blocked":
        return ~mask
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        raise ValueError(f"an additive mask needs a float dtype (it holds -inf), got {dtype}")
    return np.where(mask, dtype.type(0.0), dtype.type(-np.inf))  # same shape as mask


def mask_from(mask, convention):
    """Any of the three conventions back to our boolean mask, True = allowed (notebook 06)."""
    _check_convention(convention)
    if convention == "additive":
        m = as_float_array(mask, "additive mask", allow_neg_inf=True)
        bad = (m != 0) & ~np.isneginf(m)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"an additive mask holds only 0 (allowed) and -inf (blocked); this one of shape {m.shape} "
                f"holds other values ({int(bad.sum())} entries, first at index {first})"
            )
        return m == 0
    mask = as_boolean(mask)
    return mask.copy() if convention == "allowed" else ~mask


def _check_convention(convention):
    """ValueError unless `convention` is one of CONVENTIONS."""
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")


def live_mask_view(examples, example_control, causal_control, order_control, width=560, height=480):
    """The mask widget's view, redrawn in place (notebook 06).

    The weights A from mask_view as a heatmap, causal mask on or off, before or after the softmax, and
    the row sums under it. With the mask off, the title says that before / after changes nothing.

    examples maps a menu name to (words, Q, K, V); the controls' values are a name of examples, the
    mask on (bool) and "before" / "after". Returns the helpers.LiveFigure, connected.
    """
    from ..show.live import LiveFigure, LiveHeatmap

    live = LiveFigure(width=width, height=height, text_lines=1)
    live.figure.subplots_adjust(left=0.18, right=0.86, bottom=0.17, top=0.93)
    heat = LiveHeatmap(live.figure.add_subplot(), xlabel="key word j", ylabel="query word i",
                       colorbar_label="weight", live=live)

    def update(example, causal, order):
        words, Q, K, V = examples[example]
        A, title = mask_view(Q, K, V, causal=causal, order=order)  # (T, T)
        if not causal:  # the before/after buttons still answer: they say why the map stays the same
            title = f"{title}, so “{order} the softmax” changes nothing"
        live.layout(example)  # ticks and labels depend on the sentence only: its background is kept
        heat.show(A, words, words, title=title)
        return "row sums: " + str(np.round(A.sum(axis=-1), 2))

    return live.connect(update, example=example_control, causal=causal_control, order=order_control)
