"""The environment check of notebook 00: is everything the series needs installed?"""

import importlib
import importlib.metadata
import sys

__all__ = [
    "check_environment",
    "environment_ok",
    "MIN_PYTHON",
    "REQUIREMENTS",
    "version_at_least",
]

# (import name or None, distribution name, lowest version the series was tried with).
# The notebooks import the first three, so the check imports them too; the tools
# (JupyterLab, nbval, pytest) are only looked up, which is much faster than importing them.
REQUIREMENTS = (
    ("numpy", "numpy", "2.0"),
    ("matplotlib", "matplotlib", "3.8.4"),
    ("ipywidgets", "ipywidgets", "8.1"),
    (None, "jupyterlab", "4.2.7"),
    (None, "nbval", "0.11"),
    (None, "pytest", "8.0"),
)
MIN_PYTHON = (3, 11)


def _version_tuple(text):
    """'2.4.6' -> (2, 4, 6); stops at the first part that is not a number ('1.0rc1' -> (1, 0))."""
    parts = []
    for piece in text.split("."):
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
        if digits != piece:
            break
    return tuple(parts)


def version_at_least(installed, minimum):
    """True when version string `installed` is at least `minimum` (notebook 00)."""
    a, b = _version_tuple(installed), _version_tuple(minimum)
    width = max(len(a), len(b))
    return a + (0,) * (width - len(a)) >= b + (0,) * (width - len(b))


def check_environment():
    """One row per requirement: (name, installed version or None, minimum, ok) (notebook 00)."""
    rows = [("python", ".".join(map(str, sys.version_info[:3])), ".".join(map(str, MIN_PYTHON)),
             sys.version_info[:2] >= MIN_PYTHON)]
    for module, dist, minimum in REQUIREMENTS:
        try:
            if module is not None:
                importlib.import_module(module)
            version = importlib.metadata.version(dist)
        except (ImportError, importlib.metadata.PackageNotFoundError):
            rows.append((dist, None, minimum, False))
            continue
        rows.append((dist, version, minimum, version_at_least(version, minimum)))
    return rows


def environment_ok():
    """True when every requirement of the series is installed at a recent enough version (notebook 00)."""
    return all(ok for *_, ok in check_environment())
