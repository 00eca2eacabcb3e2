"""Check yourself, notebook 11: the online softmax."""

import numpy as np

from ..core import softmax
from ._runner import (
    Case,
    Mistake,
    run_check,
    seeded_rng,
)

__all__ = ["check_online_softmax"]

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


def _online_softmax_old_max(row, block_size, **_):
    m, l = -np.inf, 0.0
    for block in _blocks(row, block_size):
        m_new = max(m, block.max())
        l = l * np.exp(m - m_new) + np.exp(block - m).sum()  # the block against the OLD max
        m = m_new
    return np.exp(row - m) / l


def _online_softmax_old_max_from_first(row, block_size, **_):
    blocks = _blocks(row, block_size)
    m = blocks[0].max()
    l = np.exp(blocks[0] - m).sum()
    for block in blocks[1:]:
        m_new = max(m, block.max())
        l = l * np.exp(m - m_new) + np.exp(block - m).sum()  # the block against the OLD max
        m = m_new
    return np.exp(row - m) / l


def _online_softmax_max_not_kept(row, block_size, **_):
    m, l = -np.inf, 0.0
    for block in _blocks(row, block_size):
        m_new = max(m, block.max())
        l = l * np.exp(m - m_new) + np.exp(block - m_new).sum()
        # m = m_new forgotten: m stays -inf
    return np.exp(row - m) / l


def _online_softmax_mistakes():
    update = ("when the running max grows from m to m_new, rescale the running sum first: "
              "l = l · exp(m - m_new) + Σ exp(block - m_new).")
    old_max = ("each block's terms were taken against the old max, exp(block - m), instead of the new one, "
               "exp(block - m_new): the running sum is rescaled to m_new but the new terms are not, so they are "
               "too large by exp(m_new - m){first}.")
    return [
        Mistake(
            _online_softmax_old_max,
            old_max.format(first="; on the first block m = -inf, so exp(block - m) = inf and every weight is 0"),
            "add the block against the new max: l = l · exp(m - m_new) + Σ exp(block - m_new), then m = m_new.",
        ),
        Mistake(
            _online_softmax_old_max_from_first,
            old_max.format(first=""),
            "add the block against the new max: l = l · exp(m - m_new) + Σ exp(block - m_new), then m = m_new.",
        ),
        Mistake(
            _online_softmax_max_not_kept,
            "m = m_new is missing: the running max is never updated and stays -inf, so each block's rescale "
            "exp(m - m_new) = 0 wipes the sum built so far, and the final exp(s - m) = exp(+inf) is inf.",
            "after adding a block, keep its max: m = m_new (the last line of the loop).",
        ),
        Mistake(
            _online_softmax_no_rescale,
            "the running sum is not rescaled when the max changes: the blocks before a larger max keep "
            "terms exp(s - m_old), which are too large, so the weights come out too small.",
            update,
        ),
        Mistake(
            _online_softmax_rescale_inverted,
            "the rescaling factor is upside down: exp(m_new - m) instead of exp(m - m_new).",
            update,
        ),
        Mistake(
            _online_softmax_rescale_inverted_nan,
            "the rescaling factor is upside down: exp(m_new - m) instead of exp(m - m_new); with m = -inf "
            "at the start it is exp(+inf) = inf, and 0 · inf gives nan.",
            update,
        ),
        Mistake(
            _online_softmax_sum_overwritten,
            "the running sum is overwritten by each block (l = … instead of l = l · … + …): "
            "only the last block counts.",
            "accumulate: " + update,
        ),
        Mistake(
            _online_softmax_stale_max,
            "the weights of early blocks were computed with the max known at that time and never rescaled "
            "when a later block had a larger max.",
            "finish the pass over the blocks first (final max m and sum l), then weights = exp(s - m) / l.",
        ),
        Mistake(
            _online_softmax_first_max,
            "you used the first block's max for every block instead of a running max: here a later block is "
            "about 800 above it, so exp(s - m) = exp(+800) overflows to inf.",
            "keep a running max, m_new = max(m, block.max()), and " + update,
        ),
        Mistake(
            _online_softmax_block_max,
            "you used each block's own max (m_new = block.max()) instead of the running max "
            "max(m, block.max()): here an earlier block is about 1600 above a later one, so exp(m - m_new) "
            "= exp(+1600) overflows to inf.",
            "the running max never goes down: m_new = max(m, block.max()); then " + update,
        ),
        Mistake(
            _online_softmax_no_max,
            "no running max: small scores work, but exp(1000) overflows to inf and the weights become nan.",
            "keep a running max m and sum exp(s - m): " + update,
        ),
        Mistake(
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
    rng = seeded_rng(11)
    first_max = np.concatenate([[3.0], rng.normal(size=9)])  # the max sits in the first block
    growing = np.sort(rng.normal(scale=2.0, size=10))  # each block's max is larger than the last
    growing = growing + 0.3 * rng.normal(size=10)
    large = 1000.0 + rng.normal(scale=3.0, size=9)
    short = rng.normal(size=5)
    jump_up = np.concatenate([rng.normal(size=4), 800.0 + rng.normal(size=4)])  # a later block ~800 above
    jump_down = np.concatenate([1600.0 + rng.normal(size=3), rng.normal(size=3)])  # an earlier block ~1600 above
    cases = [
        Case("a row of 10 scores, block_size = 3, the max in the first block", "max in the first block",
              (first_max, 3), softmax(first_max)),
        Case("a row of 10 scores, block_size = 3, each block's max larger than the last", "growing max",
              (growing, 3), softmax(growing)),
        Case("a row of 9 scores near 1000, block_size = 4", "scores near 1000", (large, 4), softmax(large)),
        Case("a row of 5 scores, block_size = 8 (one block)", "one block", (short, 8), softmax(short)),
        Case("a row of 8 scores, block_size = 4, the second block about 800 above the first",
              "a later block 800 higher", (jump_up, 4), softmax(jump_up),
              dict(overflow_why="here the second block is about 800 above the first, so any exp taken "
                                "relative to the first block's max (or of m alone) overflows")),
        Case("a row of 6 scores, block_size = 3, the first block about 1600 above the second",
              "an earlier block 1600 higher", (jump_down, 3), softmax(jump_down),
              dict(overflow_why="here the first block is about 1600 above the second, so exp(m - m_new) "
                                "overflows unless m_new = max(m, block.max()) never goes down")),
    ]
    return run_check(
        "Your online softmax", fn, cases, _online_softmax_mistakes(),
        error_hint="loop over row[start:start + block_size] for start in range(0, len(row), block_size); "
                   "keep a running max m and a running sum l.",
        values_hint="after all blocks, weights = exp(s - m) / l, where " + _online_softmax_mistakes()[0].hint,
        nonfinite_hint="keep a running max m_new = max(m, block.max()) and take only exponents that are ≤ 0: "
                       "exp(block - m_new) and exp(m - m_new), never exp(m) or exp(s) alone.",
        success_note=" (Note: the check compares numbers only; "
                     "it cannot see whether you really worked block by block.)",
    )
