import math

import numpy as np
import pytest

from helpers import (
    check_online_softmax,
)

from common import assert_fails, assert_passes, run


# ====================================================================== notebook 11: online softmax


def online_softmax_two_passes(row, block_size):
    m, l = -math.inf, 0.0
    for start in range(0, len(row), block_size):
        block = row[start:start + block_size]
        m_new = max(m, float(block.max()))
        l = l * math.exp(m - m_new) + float(np.exp(block - m_new).sum())
        m = m_new
    return np.exp(row - m) / l


def online_softmax_rescaled_outputs(row, block_size):
    """Writes the outputs as it goes, and rescales the earlier ones whenever the max grows."""
    out = np.zeros_like(row)
    m, l = -math.inf, 0.0
    for start in range(0, len(row), block_size):
        block = row[start:start + block_size]
        m_new = max(m, float(block.max()))
        factor = math.exp(m - m_new)
        out[:start] *= factor
        l = l * factor + float(np.exp(block - m_new).sum())
        out[start:start + block_size] = np.exp(block - m_new)
        m = m_new
    return out / l


@pytest.mark.parametrize("fn", [online_softmax_two_passes, online_softmax_rescaled_outputs])
def test_online_softmax_accepts_right_answers(fn, capsys):
    assert_passes(check_online_softmax, fn, capsys)


def online(rescale="right", accumulate=True, use_max=True, stale=False, normalise=True):
    def fn(row, block_size):
        m, l, outs = -math.inf, 0.0, []
        for start in range(0, len(row), block_size):
            block = row[start:start + block_size]
            m_new = max(m, float(block.max())) if use_max else 0.0
            factor = {"right": math.exp(m - m_new) if use_max else 1.0,
                      "none": 1.0,
                      "inverted": math.exp(m_new - m) if m > -math.inf else 0.0,
                      "inverted from -inf": np.exp(m_new - m)}[rescale]
            part = float(np.exp(block - m_new).sum())
            l = l * factor + part if accumulate else part
            m = m_new
            outs.append(np.exp(block - m))
        if stale:
            return np.concatenate(outs) / l
        e = np.exp(row - m)
        return e / l if normalise else e
    return fn


ONLINE_MISTAKES = {
    "no rescale": (online(rescale="none"), "the running sum is not rescaled when the max changes"),
    "rescale inverted": (online(rescale="inverted"), "upside down"),
    "rescale inverted from -inf": (online(rescale="inverted from -inf"), "0 · inf gives nan"),
    "sum overwritten": (online(accumulate=False), "overwritten by each block"),
    "stale max": (online(stale=True), "the max known at that time"),
    "no max": (online(use_max=False), "no running max"),
    "not normalised": (online(normalise=False), "without the division by the running sum"),
}


@pytest.mark.parametrize("name", ONLINE_MISTAKES)
def test_online_softmax_names_each_mistake(name, capsys):
    fn, phrase = ONLINE_MISTAKES[name]
    assert_fails(check_online_softmax, fn, capsys, phrase)


def test_forgetting_the_rescale_passes_when_the_max_is_in_the_first_block(capsys):
    out = assert_fails(check_online_softmax, ONLINE_MISTAKES["no rescale"][0], capsys, "larger max")
    assert "test 2 of 6" in out


def test_helpers_online_softmax_passes_its_check(capsys):
    blocked = pytest.importorskip("helpers.lessons.nb11_cost_of_attention")
    assert_passes(check_online_softmax, blocked.online_softmax, capsys)


def online_first_max(row, block_size):
    """The max of the first block used as the reference for every block."""
    m, l = None, 0.0
    for start in range(0, len(row), block_size):
        block = row[start:start + block_size]
        if m is None:
            m = float(block.max())
        l = l + float(np.exp(block - m).sum())
    return np.exp(row - m) / l


def online_block_max(row, block_size):
    """Each block's own max instead of the running max."""
    m, l = -math.inf, 0.0
    for start in range(0, len(row), block_size):
        block = row[start:start + block_size]
        m_new = float(block.max())
        l = l * np.exp(m - m_new) + float(np.exp(block - m_new).sum())
        m = m_new
    return np.exp(row - m) / l


def online_math_exp_of_m(row, block_size):
    m, l = -math.inf, 0.0
    for start in range(0, len(row), block_size):
        block = row[start:start + block_size]
        m_new = max(m, float(block.max()))
        l = l * math.exp(m) / math.exp(m_new) + float(np.exp(block - m_new).sum())  # exp(m) alone
        m = m_new
    return np.exp(row - m) / l


def test_online_softmax_names_the_first_blocks_max_used_for_everything(capsys):
    out = assert_fails(check_online_softmax, online_first_max, capsys, "the first block's max")
    assert "test 5 of 6" in out


def test_online_softmax_names_each_blocks_own_max(capsys):
    out = assert_fails(check_online_softmax, online_block_max, capsys, "each block's own max")
    assert "test 6 of 6" in out


def test_online_softmax_overflow_error_gets_its_own_message(capsys):
    out = assert_fails(check_online_softmax, online_math_exp_of_m, capsys, "OverflowError")
    assert "exp(m - m_new)" in out and "about 709" in out


def test_online_softmax_success_says_it_compares_numbers(capsys):
    result, out = run(check_online_softmax, online_softmax_two_passes, capsys)
    assert result is True and "the check compares numbers" in out, out
