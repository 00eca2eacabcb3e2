"""The exercise checker and the widget of notebook 12 (no browser needed)."""

import numpy as np

import helpers


def _right(X, W_q, W_k, W_v, W_o, n_heads, *, b_q, b_k, b_v, b_o):
    """Multi-head attention with biases written out per head (independent of helpers' vectorised code)."""
    T, d_model = X.shape
    d_head = d_model // n_heads
    Q, K, V = X @ W_q + b_q, X @ W_k + b_k, X @ W_v + b_v
    A = np.zeros((n_heads, T, T), dtype=X.dtype)
    Z = np.zeros((T, d_model), dtype=X.dtype)
    for h in range(n_heads):
        s = slice(h * d_head, (h + 1) * d_head)
        S = Q[:, s] @ K[:, s].T / np.sqrt(d_head)
        E = np.exp(S - S.max(axis=1, keepdims=True))
        A[h] = E / E.sum(axis=1, keepdims=True)
        Z[:, s] = A[h] @ V[:, s]
    return Z @ W_o + b_o, A


def test_a_right_answer_passes(capsys):
    assert helpers.check_plug_in(_right) is True
    assert capsys.readouterr().out.startswith("✔ Correct")


def test_mistakes_are_named(capsys):
    def no_bias(X, W_q, W_k, W_v, W_o, n_heads, *, b_q, b_k, b_v, b_o):
        return _right(X, W_q, W_k, W_v, W_o, n_heads, b_q=0 * b_q, b_k=0 * b_k, b_v=0 * b_v, b_o=0 * b_o)

    def no_out_bias(X, W_q, W_k, W_v, W_o, n_heads, *, b_q, b_k, b_v, b_o):
        return _right(X, W_q, W_k, W_v, W_o, n_heads, b_q=b_q, b_k=b_k, b_v=b_v, b_o=0 * b_o)

    def unscaled(X, W_q, W_k, W_v, W_o, n_heads, *, b_q, b_k, b_v, b_o):
        c = np.sqrt(X.shape[1] // n_heads)
        return _right(X, W_q * c, W_k, W_v, W_o, n_heads, b_q=b_q * c, b_k=b_k, b_v=b_v, b_o=b_o)

    for fn, words in ((no_bias, "WITHOUT the biases"), (no_out_bias, "output bias"), (unscaled, "√d_head"),
                      (lambda *a, **k: (None, None), "returned None"), (lambda *a, **k: 1 / 0, "ZeroDivisionError")):
        assert helpers.check_plug_in(fn) is False
        out = capsys.readouterr().out
        assert out.startswith("✘ Not yet") and words in out
