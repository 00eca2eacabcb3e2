def run(check, fn, capsys):
    """Call a check; return (its result, what it printed)."""
    result = check(fn)
    out = capsys.readouterr().out
    return result, out


def assert_passes(check, fn, capsys):
    result, out = run(check, fn, capsys)
    assert result is True, out
    assert out.startswith("✅"), out
    assert len(out.strip().splitlines()) == 1, out


def assert_fails(check, fn, capsys, phrase):
    result, out = run(check, fn, capsys)
    assert result is False, out
    lines = out.strip().splitlines()
    assert lines[0].startswith("❌"), out
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
