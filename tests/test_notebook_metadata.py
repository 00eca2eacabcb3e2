"""Notebooks open clean in JupyterLab: their stored metadata is what a live kernel reports.

JupyterLab writes the kernel's `language_info` (from its kernel_info reply) and the kernelspec into
the notebook as soon as the kernel connects. When the stored copy differs, the notebook opens as
modified (●), asks "Save changes?" on close and is rewritten by autosave (classroom walkthrough
§1.4). `tools/execute_notebooks.py` stores the kernel's full reply; these tests check that it is
complete and agrees with what this environment's ipykernel reports. Only `version` (the Python
version) may differ between machines, and is checked for its form only.
"""

import json
import pathlib
import re
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
sys.path.insert(0, str(ROOT / "tools"))

from execute_notebooks import KERNELSPEC, LANGUAGE_INFO_KEYS  # noqa: E402

# What ipykernel (6 and 7) reports for Python 3, apart from the version.
IPYKERNEL_LANGUAGE_INFO = {
    "name": "python",
    "mimetype": "text/x-python",
    "file_extension": ".py",
    "codemirror_mode": {"name": "ipython", "version": 3},
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_language_info_is_complete(path):
    meta = json.loads(path.read_text(encoding="utf-8"))["metadata"]
    assert meta.get("kernelspec") == KERNELSPEC, f"{path.name}: kernelspec {meta.get('kernelspec')}"
    info = meta.get("language_info", {})
    missing = [k for k in LANGUAGE_INFO_KEYS if k not in info]
    assert not missing, (
        f"{path.name}: language_info lacks {missing}, so JupyterLab marks the notebook modified on open: "
        "run `python tools/execute_notebooks.py --metadata-only` (or re-execute the notebook)")
    for key, value in IPYKERNEL_LANGUAGE_INFO.items():
        assert info[key] == value, f"{path.name}: language_info[{key!r}] is {info[key]!r}, a kernel reports {value!r}"
    assert re.fullmatch(r"3\.\d+\.\d+", info["version"]), f"{path.name}: language_info version {info['version']!r}"
    unexpected = set(info) - set(LANGUAGE_INFO_KEYS)
    assert set(info) == set(LANGUAGE_INFO_KEYS), f"{path.name}: unexpected language_info keys {unexpected}"


def test_the_kernel_reports_what_the_notebooks_store():
    """A live kernel of this environment reports the same language_info as the notebooks (version aside)."""
    pytest.importorskip("jupyter_client")
    from execute_notebooks import kernel_language_info

    info = kernel_language_info()
    assert {k: v for k, v in info.items() if k != "version"} == IPYKERNEL_LANGUAGE_INFO
    assert info["version"] == ".".join(map(str, sys.version_info[:3]))
