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
    assert names == ["python", "numpy", "matplotlib", "ipywidgets", "jupyterlab", "nbval", "pytest"]
    missing = [row for row in rows if not row[3]]
    assert not missing, f"requirements missing or too old: {missing}"
    assert environment_ok() is True


def test_a_missing_package_is_reported(monkeypatch):
    import helpers.environment as env

    monkeypatch.setattr(env, "REQUIREMENTS", env.REQUIREMENTS + (("no_such_module_xyz", "no-such-dist", "1.0"),))
    rows = env.check_environment()
    assert rows[-1] == ("no-such-dist", None, "1.0", False)
    assert env.environment_ok() is False


def test_jupyterlab_is_configured_for_the_series():
    """The README's install command runs tools/configure_jupyterlab.py; widgets need its setting."""
    import json
    import pathlib

    from jupyterlab.commands import get_app_dir

    overrides = pathlib.Path(get_app_dir()) / "settings" / "overrides.json"
    assert overrides.exists(), (
        f"{overrides} is missing: run `python tools/configure_jupyterlab.py` (the README's install command does)"
    )
    settings = json.loads(overrides.read_text(encoding="utf-8"))
    comms = settings.get("@jupyterlab/apputils-extension:kernels-settings", {}).get("commsOverSubshells")
    assert comms == "disabled", (
        f"{overrides}: commsOverSubshells is {comms!r}, so widget callbacks run on a second thread and "
        "figures they redraw can come out blank; run `python tools/configure_jupyterlab.py`"
    )
