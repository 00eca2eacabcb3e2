"""Notebook 12's exercise checker: your multi-head attention, plugged into every layer of the real model.

check_plug_in(fn) first runs fn on a small seeded input with biases and compares it with
helpers' multi_head_attention (naming the usual mistakes), then runs all-MiniLM-L6-v2 with fn in
all six layers and compares the attention weights and hidden states with the model's own run.
It prints "✔ Correct" or "✘ Not yet" with one line saying what is wrong, returns True or False,
and never raises.
"""

import math
import warnings

import numpy as np

from ..core import multi_head_attention
from ..lessons.nb12_heads_of_a_real_model import load_pretrained

__all__ = ["check_plug_in"]

_MODEL = []
_TEXT = "The kids were scared of the lions, so they left right away."


def _model():
    if not _MODEL:
        _MODEL.append(load_pretrained())
    return _MODEL[0]


def _small_case():
    rng = np.random.default_rng(1212)
    T, d_model, n_heads = 5, 8, 2
    X = rng.standard_normal((T, d_model))
    W = [rng.standard_normal((d_model, d_model)) / math.sqrt(d_model) for _ in range(4)]
    b = [rng.standard_normal(d_model) for _ in range(4)]
    return X, W, b, n_heads


def _call(fn, X, W, b, n_heads):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(X, *W, n_heads, b_q=b[0], b_k=b[1], b_v=b[2], b_o=b[3])
    if not (isinstance(out, tuple) and len(out) == 2):
        raise TypeError(f"return (Z, A): two arrays; got {type(out).__name__}")
    Z, A = out
    if Z is None or A is None:
        raise TypeError("returned None: fill in the function and return Z and A")
    return np.asarray(Z, dtype=np.float64), np.asarray(A, dtype=np.float64)


def _diagnose(fn, X, W, b, n_heads, Z, A):
    """One line naming the mistake, by comparing with helpers run on altered inputs."""
    zeros = [np.zeros_like(v) for v in b]
    _, A_nobias = multi_head_attention(X, *W, n_heads)
    Z_no_o, _ = multi_head_attention(X, *W, n_heads, b_q=b[0], b_k=b[1], b_v=b[2])
    Z_ok, A_ok = multi_head_attention(X, *W, n_heads, b_q=b[0], b_k=b[1], b_v=b[2], b_o=b[3])
    _, A_noscale = multi_head_attention(X, W[0] * math.sqrt(X.shape[1] // n_heads), *W[1:], n_heads,
                                        b_q=b[0] * math.sqrt(X.shape[1] // n_heads), b_k=b[1], b_v=b[2], b_o=b[3])
    del zeros
    if A.shape != A_ok.shape:
        return f"A has shape {A.shape}, expected (n_heads, T, T) = {A_ok.shape}"
    if Z.shape != Z_ok.shape:
        return f"Z has shape {Z.shape}, expected (T, d_model) = {Z_ok.shape}"
    if np.allclose(A, A_nobias, atol=1e-6):
        return "your A is what attention gives WITHOUT the biases: Q = X W_q + b_q and K = X W_k + b_k"
    if np.allclose(A, A_noscale, atol=1e-6):
        return "the scores are not divided by √d_head (d_head = d_model / n_heads, not d_model)"
    if np.allclose(A.sum(-2), 1.0, atol=1e-6) and not np.allclose(A.sum(-1), 1.0, atol=1e-6):
        return "the softmax runs down the columns: each ROW (one query) must sum to 1 (axis=-1)"
    if np.allclose(A, A_ok, atol=1e-6) and np.allclose(Z, Z_no_o, atol=1e-6):
        return "A is right; Z lacks the output bias: Z_f = concat(Z_0 … Z_h) W_O + b_o"
    if np.allclose(A, A_ok, atol=1e-6):
        return "A is right, Z is not: z_i = Σ_j a_ij v_j with v_j = x_j W_v + b_v, then concat · W_O + b_o"
    return "A differs from softmax((X W_q + b_q)(X W_k + b_k)ᵀ / √d_head) in each head"


def check_plug_in(fn):
    """✔ when fn(X, W_q, W_k, W_v, W_o, n_heads, *, b_q, b_k, b_v, b_o) -> (Z, A) runs the real model unchanged."""
    X, W, b, n_heads = _small_case()
    try:
        Z, A = _call(fn, X, W, b, n_heads)
    except Exception as e:  # noqa: BLE001 — the learner's code may raise anything: show it, never raise
        print(f"✘ Not yet: on X (5, 8) with 2 heads your function raised {type(e).__name__}: {e}")
        return False
    Z_ok, A_ok = multi_head_attention(X, *W, n_heads, b_q=b[0], b_k=b[1], b_v=b[2], b_o=b[3])
    if Z.shape != Z_ok.shape or A.shape != A_ok.shape or not (np.allclose(A, A_ok, atol=1e-6)
                                                              and np.allclose(Z, Z_ok, atol=1e-6)):
        print("✘ Not yet: on a small input, X (5, 8) with 2 heads and biases, the result differs.")
        print("What is wrong: " + _diagnose(fn, X, W, b, n_heads, Z, A))
        return False
    model = _model()
    ref = model.run(_TEXT)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mine = model.run(_TEXT, mha=fn)
    except Exception as e:  # noqa: BLE001 — the learner's code may raise anything: show it, never raise
        print(f"✘ Not yet: inside the real model your function raised {type(e).__name__}: {e}")
        return False
    dA = float(np.abs(mine.A - ref.A).max())
    a, r = mine.H[-1].astype(np.float64), ref.H[-1].astype(np.float64)
    cos = float(((a * r).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(r, axis=-1))).min())
    if dA < 1e-4 and cos > 0.99999:
        print(f"✔ Correct: your multi-head attention ran in all {model.n_layers} layers of the real model: "
              "its attention weights are within 1e-4 of the model's own and its last hidden states "
              "point the same way (cosine > 0.99999)")
        return True
    print(f"✘ Not yet: right on the small input, but in the real model the attention differs by up to {dA:.2g}")
    print("What is wrong: check float32 inputs and that A has shape (n_heads, T, T) for every T")
    return False
