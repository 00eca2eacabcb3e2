"""The environment check of notebook 00."""

import pytest

from helpers import (
    check_environment,
    environment_ok,
    version_at_least,
)


@pytest.mark.parametrize(
    "installed, minimum, expected",
    [
        ("2.4.6", "2.0", True),
        ("2.0", "2.0", True),
        ("1.26.4", "2.0", False),
        ("3.10.0", "3.8", True),
        ("3.7.9", "3.8", False),
        ("8.1.0rc1", "8.1", True),
        ("0.11.0", "0.11", True),
        ("0.10.0", "0.11", False),
        ("10.0", "9.2", True),
    ],
)
def test_version_at_least(installed, minimum, expected):
    assert version_at_least(installed, minimum) is expected


def test_this_environment_is_complete():
    rows = check_environment()
    names = [name for name, *_ in rows]
    assert names == ["python", "numpy", "matplotlib", "ipywidgets", "safetensors", "tokenizers",
                     "jupyterlab", "nbval", "pytest"]
    missing = [row for row in rows if not row[3]]
    assert not missing, f"requirements missing or too old: {missing}"
    assert environment_ok() is True


def test_the_check_asks_for_what_requirements_txt_installs():
    """Every package of requirements.txt is checked in notebook 00, with the same lower bound."""
    import pathlib
    import re

    import helpers.environment as env

    text = (pathlib.Path(__file__).resolve().parent.parent / "requirements.txt").read_text(encoding="utf-8")
    wanted = {}
    for line in text.splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", line.strip())
        if match:
            wanted[match[1].lower()] = match[2]
    checked = {dist.lower(): minimum for _, dist, minimum in env.REQUIREMENTS}
    assert wanted and checked == wanted


def test_a_missing_package_is_reported(monkeypatch):
    import helpers.environment as env

    monkeypatch.setattr(env, "REQUIREMENTS", env.REQUIREMENTS + (("no_such_module_xyz", "no-such-dist", "1.0"),))
    rows = env.check_environment()
    assert rows[-1] == ("no-such-dist", None, "1.0", False)
    assert env.environment_ok() is False


def test_the_series_needs_no_jupyterlab_setting():
    """Widgets work with JupyterLab's defaults (issue #12): no configure script, no overrides to require."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parent.parent
    assert not (root / "tools" / "configure_jupyterlab.py").exists()
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "configure_jupyterlab" not in readme and "commsOverSubshells" not in readme
