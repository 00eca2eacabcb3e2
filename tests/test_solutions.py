"""Every exercise's model solution passes its own checker, and no solution runs under the exercise.

The notebooks keep each exercise solution in a markdown cell that Run All never opens (issue #14):

    <details><summary>Show a solution</summary>

    ```python
    def compute_qkv(X, W_q, W_k, W_v):
        ...
    helpers.check_qkv(compute_qkv)
    ```

    </details>

These tests find every such block in every notebook, run its code as a learner would paste it
under the exercise, and assert that the checker it ends with reports a pass: it returns True (the
value of the last expression, or of the name its last line assigns, e.g. `passed = check_…(…)`),
or prints "✔ Correct", and prints no "✘". The namespace is fresh: numpy as `np`, `math` and
`helpers` imported, then the notebook's own import statements and the exercise's starter cells
(the code cells just above the block, e.g. `keys_text = …`) are run, working directory
notebooks/ as in JupyterLab; nothing else of the notebook runs. They also fail when a notebook still
has an exercise (a code cell calling a `check_…` function) whose checker no solution block calls, or
when a solution is still an executed code cell (a code cell calling a checker whose stored output says "Correct", or one
hidden by collapsing its source): Run All would run it and show its verdict right under the
learner's own attempt, and redefine the learner's function.
"""

import ast
import contextlib
import io
import json
import os
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

SUMMARY = "<summary>Show a solution</summary>"
_DETAILS = re.compile(r"<details>\s*<summary>Show a solution</summary>(.*?)</details>", re.DOTALL)
_PYTHON_BLOCK = re.compile(r"```python[ \t]*\n(.*?)\n[ \t]*```", re.DOTALL)
# A call of an exercise checker: check_qkv(…), helpers.check_qkv(…), training.check_softmax_backward(…).
# helpers.check_environment() is the overview's installation check, not an exercise.
_CHECK_CALL = re.compile(r"(?<![\w])(?:[A-Za-z_][\w.]*\.)?(check_(?!environment\b)\w+)\s*\(")
PASS_MARKS = ("✔ Correct",)
FAIL_MARKS = ("✘ Not yet", "✘")
OLD_PASS = re.compile(r"(✅|✔)\s*Correct")


def _source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def solution_blocks(nb):
    """[(cell index, python code)] for every "Show a solution" block of the notebook's markdown cells."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        for details in _DETAILS.findall(_source(cell)):
            for code in _PYTHON_BLOCK.findall(details):
                found.append((i, code))
    return found


def _checkers_called(code):
    return {m.group(1) for m in _CHECK_CALL.finditer(code)}


def _outputs_text(cell):
    parts = []
    for out in cell.get("outputs", []):
        if "text" in out:
            parts.append("".join(out["text"]) if isinstance(out["text"], list) else out["text"])
        for mime, value in out.get("data", {}).items():
            if mime.startswith("text/"):
                parts.append("".join(value) if isinstance(value, list) else value)
    return "\n".join(parts)


def exercise_cells(nb):
    """[(cell index, {checker names})] for the executed code cells that call an exercise checker."""
    return [(i, names) for i, cell in enumerate(nb["cells"])
            if cell["cell_type"] == "code" and (names := _checkers_called(_source(cell)))]


def executed_solutions(nb):
    """Code cells that look like a solution run by Run All: a checker call that passes, or a hidden source."""
    bad = []
    for i, names in exercise_cells(nb):
        cell = nb["cells"][i]
        hidden = cell.get("metadata", {}).get("jupyter", {})
        if OLD_PASS.search(_outputs_text(cell)):
            bad.append(f"cell {i} ({', '.join(sorted(names))}): a code cell whose stored output reports a pass")
        elif hidden.get("source_hidden") or hidden.get("outputs_hidden"):
            bad.append(f"cell {i} ({', '.join(sorted(names))}): a collapsed code cell calling the checker")
    return bad


def _all_blocks():
    params = []
    for path in NOTEBOOKS:
        for k, (cell, code) in enumerate(solution_blocks(_load(path))):
            params.append(pytest.param(path, cell, code, id=f"{path.stem}-cell{cell}-{k}"))
    return params


def notebook_imports(nb):
    """The top-level import statements of the notebook's code cells, as one block of code."""
    lines = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        try:
            tree = ast.parse(_source(cell))
        except SyntaxError:
            continue
        lines += [ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    # each import on its own, optional ones (e.g. torch) may be missing
    return "\n".join(f"try:\n    {line}\nexcept ImportError:\n    pass" for line in dict.fromkeys(lines))


def starter_code(nb, block_cell):
    """The code cells just above a solution block (its exercise: the starter and the learner's check)."""
    cells, k = [], block_cell - 1
    while k >= 0 and nb["cells"][k]["cell_type"] == "markdown":
        k -= 1
    while k >= 0 and nb["cells"][k]["cell_type"] == "code":
        cells.insert(0, _source(nb["cells"][k]))
        k -= 1
    return cells


def run_solution(code, cwd, setup=()):
    """Run setup code (silently), then the solution's code; return (its result, the text the solution printed).

    The result is the value of the last line when it is an expression, or of the name it assigns.
    """
    import math

    import numpy as np

    import helpers

    tree = ast.parse(code)
    last = tree.body[-1] if tree.body else None
    result_name = None
    if isinstance(last, ast.Expr):
        tree.body[-1] = ast.Assign(targets=[ast.Name("_solution_result", ast.Store())], value=last.value)
        ast.fix_missing_locations(tree)
        result_name = "_solution_result"
    elif isinstance(last, ast.Assign) and len(last.targets) == 1 and isinstance(last.targets[0], ast.Name):
        result_name = last.targets[0].id
    namespace = {"__name__": "__main__", "np": np, "math": math, "helpers": helpers}
    out = io.StringIO()
    old = os.getcwd()
    try:
        os.chdir(cwd)
        with contextlib.redirect_stdout(io.StringIO()):
            for k, piece in enumerate(setup):
                exec(compile(piece, f"<setup {k}>", "exec"), namespace)  # noqa: S102 - the repository's own cells
        namespace.pop(result_name, None)
        with contextlib.redirect_stdout(out):
            exec(compile(tree, "<solution>", "exec"), namespace)  # noqa: S102 - the repository's own solutions
    finally:
        os.chdir(old)
    return namespace.get(result_name), out.getvalue()


def test_solution_blocks_are_found():
    """The extraction works on a block written exactly as the briefing's convention (no notebook needed)."""
    md = ("Try it first.\n\n<details><summary>Show a solution</summary>\n\n```python\n"
          "def f(x):\n    return x\n\nhelpers.check_f(f)\n```\n\n</details>\n")
    blocks = solution_blocks({"cells": [{"cell_type": "markdown", "source": md}]})
    assert blocks == [(0, "def f(x):\n    return x\n\nhelpers.check_f(f)")]
    assert _checkers_called(blocks[0][1]) == {"check_f"}
    assert _checkers_called("print(helpers.check_environment())") == set()


@pytest.mark.parametrize("path, cell, code", _all_blocks())
def test_solution_passes_its_checker(path, cell, code):
    called = _checkers_called(code)
    assert called, f"{path.name} cell {cell}: the solution block calls no check_… function:\n{code}"
    lines = [ln for ln in code.strip().splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert lines and _checkers_called(lines[-1]), (
        f"{path.name} cell {cell}: the solution block must end with its checker call; it ends with {lines[-1:]}")
    import matplotlib.pyplot as plt

    nb = _load(path)
    try:
        value, printed = run_solution(code, path.parent, [notebook_imports(nb), *starter_code(nb, cell)])
    finally:
        plt.close("all")
    failed = [m for m in FAIL_MARKS if m in printed]
    passed = value is True or any(m in printed for m in PASS_MARKS)
    assert passed and not failed and value is not False, (
        f"{path.name} cell {cell}: the solution does not pass {sorted(called)}: "
        f"returned {value!r}, printed:\n{printed}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_exercise_has_a_hidden_solution(path):
    nb = _load(path)
    solved = set().union(*(_checkers_called(code) for _, code in solution_blocks(nb)))
    missing = [f"cell {i}: {', '.join(sorted(names - solved))}" for i, names in exercise_cells(nb)
               if names - solved]
    assert not missing, (
        f"{path.name}: exercises without a '{SUMMARY}' block calling their checker: {missing}. "
        "Put the solution in a markdown cell: <details><summary>Show a solution</summary> + a ```python block "
        "ending with the checker call + </details>")
    executed = executed_solutions(nb)
    assert not executed, (f"{path.name}: solutions still executed as code (Run All shows their verdict under the "
                          f"learner's attempt and redefines the learner's function): {executed}")
