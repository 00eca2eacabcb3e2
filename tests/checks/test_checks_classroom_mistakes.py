"""The wrong answers of the classroom walkthrough (§2) that got generic feedback are now named (issue #14).

Each test types the learner's wrong answer as it was written in the walkthrough and asserts that the
check names that mistake, that the verdict is a mark every font has ("✘ Not yet"), and that no raw
numpy error text comes before the diagnosis.
"""

import math

import numpy as np

from helpers import check_online_softmax, check_qkv, check_softmax, check_split_heads

from common import assert_fails, assert_passes

RAW_NUMPY = ("operands could not be broadcast", "gufunc signature", "mismatch in its core dimension")


def assert_named_first(out, phrase):
    """The diagnosis names the mistake, and no raw numpy message is printed (before it or at all)."""
    what = out.splitlines()[1]
    assert phrase in what, out
    assert not any(raw in out for raw in RAW_NUMPY), out


# ---------------------------------------------------------------- 02: Q = X * W_q, Q = W_q @ X


def qkv_star(X, W_q, W_k, W_v):
    return X * W_q, X * W_k, X * W_v


def qkv_w_left(X, W_q, W_k, W_v):
    return W_q @ X, W_k @ X, W_v @ X


def test_02_elementwise_star_is_named(capsys):
    out = assert_fails(check_qkv, qkv_star, capsys, "you used *, which multiplies entry by entry")
    assert_named_first(out, "element-wise")
    assert "Q = X @ W_q" in out.splitlines()[2]


def test_02_weights_on_the_left_has_no_raw_numpy_text(capsys):
    out = assert_fails(check_qkv, qkv_w_left, capsys, "wrong side")
    assert_named_first(out, "W_q @ X does not fit")


# ---------------------------------------------------------------- 04: the global max


def softmax_global_max(scores):
    e = np.exp(scores - scores.max())
    return e / e.sum(axis=-1, keepdims=True)


def test_04_global_max_is_named(capsys):
    out = assert_fails(check_softmax, softmax_global_max, capsys, "global maximum")
    assert_named_first(out, "instead of each row's own maximum")
    assert "keepdims=True" in out.splitlines()[2]


# ---------------------------------------------------------------- 07: reshape to (..., d_head, n_heads)


def split_heads_d_head_first_T(X, n_heads):
    d_head = X.shape[-1] // n_heads
    return X.reshape(*X.shape[:-1], d_head, n_heads).T


def split_heads_d_head_first_swap(X, n_heads):
    d_head = X.shape[-1] // n_heads
    return np.swapaxes(X.reshape(*X.shape[:-1], d_head, n_heads), -3, -1)


def test_07_reshape_to_d_head_n_heads_is_named(capsys):
    for fn in (split_heads_d_head_first_T, split_heads_d_head_first_swap):
        out = assert_fails(check_split_heads, fn, capsys, "you reshaped to (…, T, d_head, n_heads)")
        assert "wrong shape" not in out, out


def test_07_the_right_split_still_passes(capsys):
    def split_heads(X, n_heads):
        Xh = X.reshape(*X.shape[:-1], n_heads, X.shape[-1] // n_heads)
        return np.swapaxes(Xh, -3, -2)

    assert_passes(check_split_heads, split_heads, capsys)


# ---------------------------------------------------------------- 11: the old max, a forgotten m = m_new


def online_softmax_old_max(scores, block_size):
    scores = np.asarray(scores, dtype=float)
    m, l = -math.inf, 0.0
    for start in range(0, len(scores), block_size):
        block = scores[start:start + block_size]
        m_new = max(m, block.max())
        l = l * math.exp(m - m_new) + np.exp(block - m).sum()  # against the old max
        m = m_new
    return np.exp(scores - m) / l


def online_softmax_old_max_first_block_apart(scores, block_size):
    scores = np.asarray(scores, dtype=float)
    m = scores[:block_size].max()
    l = np.exp(scores[:block_size] - m).sum()
    for start in range(block_size, len(scores), block_size):
        block = scores[start:start + block_size]
        m_new = max(m, block.max())
        l = l * math.exp(m - m_new) + np.exp(block - m).sum()  # against the old max
        m = m_new
    return np.exp(scores - m) / l


def online_softmax_m_not_kept(scores, block_size):
    scores = np.asarray(scores, dtype=float)
    m, l = -math.inf, 0.0
    for start in range(0, len(scores), block_size):
        block = scores[start:start + block_size]
        m_new = max(m, block.max())
        l = l * math.exp(m - m_new) + np.exp(block - m_new).sum()
    return np.exp(scores - m) / l


def test_11_block_against_the_old_max_is_named(capsys):
    for fn in (online_softmax_old_max, online_softmax_old_max_first_block_apart):
        out = assert_fails(check_online_softmax, fn, capsys, "against the old max")
        assert "the values differ from the reference" not in out, out


def test_11_forgotten_m_equals_m_new_is_named(capsys):
    out = assert_fails(check_online_softmax, online_softmax_m_not_kept, capsys, "m = m_new is missing")
    assert "your output contains nan or inf" not in out, out
