"""What several test files share: seeded random inputs, tolerances, and the checkers' test helpers."""

import math

import numpy as np

from helpers import Config, init_params

TOL = dict(rtol=1e-12, atol=1e-12)  # float64 helpers vs float64 loops
TOL32 = dict(rtol=2e-5, atol=2e-6)  # float32 helpers vs float64 loops


def rand(seed, *shape, scale=1.0, dtype=np.float64):
    """Seeded standard-normal array times `scale`."""
    return (scale * np.random.default_rng(seed).standard_normal(shape)).astype(dtype)


def weights(seed, d_model, dtype=np.float64):
    """Four seeded (d_model, d_model) matrices W_q, W_k, W_v, W_o, scaled like an initialised layer."""
    rng = np.random.default_rng(1000 + seed)
    return [(rng.standard_normal((d_model, d_model)) / math.sqrt(d_model)).astype(dtype) for _ in range(4)]


def rand_qkv(seed, batch, T_q, T_k, d_k, d_v, dtype=np.float64):
    """Seeded Q (..., T_q, d_k), K (..., T_k, d_k), V (..., T_k, d_v) for the batch shape `batch`."""
    return (rand(seed, *batch, T_q, d_k, dtype=dtype), rand(seed + 10, *batch, T_k, d_k, dtype=dtype),
            rand(seed + 20, *batch, T_k, d_v, dtype=dtype))


def rand_mask(seed, shape, empty_row=False):
    """Seeded boolean mask (True = allowed); with `empty_row`, query row 0 of every batch entry allows no key."""
    m = np.random.default_rng(100 + seed).random(shape) < 0.6
    if empty_row:
        m[..., 0, :] = False
    return m

def run(check, fn, capsys):
    """Call a check; return (its result, what it printed)."""
    result = check(fn)
    out = capsys.readouterr().out
    return result, out


def assert_passes(check, fn, capsys):
    result, out = run(check, fn, capsys)
    assert result is True, out
    assert out.startswith("✔ Correct"), out
    assert len(out.strip().splitlines()) == 1, out


def assert_fails(check, fn, capsys, phrase):
    result, out = run(check, fn, capsys)
    assert result is False, out
    lines = out.strip().splitlines()
    assert lines[0].startswith("✘ Not yet"), out
    assert len(lines) == 3, out
    assert lines[1].startswith("What is wrong: "), out
    assert lines[2].startswith("Hint: "), out
    assert phrase in out, f"expected {phrase!r} in:\n{out}"
    assert "Traceback" not in out and "0x" not in out, out
    return out


def swap(M):
    return np.swapaxes(M, -1, -2)


def stable_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ---------------------------------------------------------------- forward, against loops


def small_model(d_model=8, n_heads=2, seed=0):
    """Untrained float64 weights with a non-zero readout bias, so every gradient is non-trivial."""
    params = init_params(Config(d_model=d_model, n_heads=n_heads, seed=seed))
    params["b_r"] = np.random.default_rng(seed + 50).standard_normal(params["b_r"].shape)
    return params


# A hand-checkable example with d_k = 4 (so √d_k = 2) and d_v = 2.
Q4 = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 2.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
K4 = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
V4 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
