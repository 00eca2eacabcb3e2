"""Every notebook is stored as a fresh top-to-bottom run, so nbval's comparison means something."""

import json
import pathlib

import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_executed_in_order_without_errors(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    kernel = nb["metadata"].get("kernelspec", {}).get("name")
    assert kernel == "python3", f"{path.name}: kernelspec is {kernel!r}, expected 'python3'"
    cells = code_cells(nb)
    assert cells, f"{path.name} has no code cells"
    counts = [c["execution_count"] for c in cells]
    unexecuted = [i for i, n in enumerate(counts) if n is None]
    assert None not in counts, f"{path.name}: unexecuted code cells at positions {unexecuted}"
    assert counts == list(range(1, len(cells) + 1)), (
        f"{path.name}: execution counts {counts} are not 1, 2, 3, …: re-run it with "
        "`python tools/execute_notebooks.py " + f"notebooks/{path.name}`"
    )
    errors = [i for i, c in enumerate(cells) for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, f"{path.name}: error outputs stored in code cells {errors}"
    assert any(c["outputs"] for c in cells), f"{path.name}: no outputs stored, so nbval would check nothing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_names_are_numbered(path):
    assert path.name[:2].isdigit() and path.name[2] == "_", f"{path.name} is not named NN_topic.ipynb"
