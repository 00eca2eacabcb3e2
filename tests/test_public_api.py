"""The flat public API: `import helpers` needs numpy alone, every name has one home, notebooks use helpers.X only."""

import ast
import importlib
import json
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

import helpers

ROOT = pathlib.Path(__file__).resolve().parent.parent
MODULES = sorted(
    p.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".")
    for p in (ROOT / "helpers").rglob("*.py")
)


def module_all(name):
    """The literal __all__ of a helpers module (a file, or a package's __init__.py), read without importing it."""
    path = ROOT / (name.replace(".", "/") + ".py")
    if not path.is_file():
        path = ROOT / name.replace(".", "/") / "__init__.py"
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            try:
                return ast.literal_eval(node.value)
            except ValueError:  # helpers/__init__.py builds its __all__ from the lazy table
                return [n.value for n in node.value.elts if isinstance(n, ast.Constant)]
    return None


def test_every_module_declares_all():
    missing = [m for m in MODULES if module_all(m) is None]
    assert missing == []


def test_every_flat_name_has_exactly_one_home():
    """A public name of core, data, environment, show/, lessons/ or checks/ is helpers.X, and from one module only."""
    homes = {}
    for m in MODULES:
        if m.endswith("__init__") or m.split(".")[-1].startswith("_"):
            continue
        for name in module_all(m):
            homes.setdefault(name, []).append(m)
    collisions = {n: ms for n, ms in homes.items() if len(ms) > 1}
    assert collisions == {}, "two modules export the same name; rename one deliberately"
    assert sorted(helpers.__all__) == sorted(homes)
    for module, names in helpers._LAZY_MODULES.items():
        assert names.split() == module_all(f"helpers.{module}"), module
    for name, (m,) in homes.items():
        assert getattr(helpers, name) is getattr(importlib.import_module(m), name), name


def test_no_module_imports_a_private_name_of_another():
    bad = []
    for m in MODULES:
        tree = ast.parse((ROOT / (m.replace(".", "/") + ".py")).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] != "__future__":
                bad += [f"{m}: {a.name}" for a in node.names if a.name.startswith("_")]
    assert bad == []


LAYERS = {"_validate": 0, "core": 1, "show": 2, "lessons": 3, "checks": 4}


def layer(module):
    """The layer of a helpers module: _validate < core < show < lessons < checks; data, environment: leaves."""
    parts = module.split(".")[1:]
    return LAYERS.get(parts[0]) if parts else None


def test_imports_go_one_way():
    """_validate <- core <- show <- lessons <- checks: no module imports from a later layer."""
    wrong = []
    for m in MODULES:
        tree = ast.parse((ROOT / (m.replace(".", "/") + ".py")).read_text())
        package = m.rsplit(".", 1)[0] if not m.endswith("__init__") else m.rsplit(".", 1)[0]
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or not node.level:
                continue
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
            here, there = layer(m), layer(target)
            if here is not None and there is not None and there > here:
                wrong.append(f"{m} imports {target}")
    assert wrong == []


def test_core_imports_numpy_and_validate_only():
    tree = ast.parse((ROOT / "helpers" / "core.py").read_text())
    imported = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
    assert imported <= {"math", "typing", "numpy", "._validate"}, imported


NUMPY_ONLY = textwrap.dedent(
    """
    import importlib.abc, sys

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"matplotlib", "ipywidgets", "IPython", "cycler"}:
                raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)", name=name)
            return None

    sys.meta_path.insert(0, Block())
    import numpy as np
    import helpers

    X = np.random.default_rng(0).standard_normal((2, 5, 8))
    W = helpers.init_mha_weights(8, 2, seed=0)
    Z, A = helpers.multi_head_attention(X, *W, n_heads=2, mask=helpers.causal_mask(5))
    print(np.allclose(helpers.softmax(np.array([0.0, 0.0])), 0.5), Z.shape, A.shape)
    print(sorted(m for m in sys.modules if m.split(".")[0] in {"matplotlib", "ipywidgets", "IPython"}))
    try:
        helpers.plot_heatmap
    except ModuleNotFoundError as exc:
        print("figures need", exc.name)
    """
)


def test_import_helpers_works_with_numpy_alone():
    """matplotlib, ipywidgets and IPython blocked: the core still imports and runs; a figure name says what it needs."""
    run = subprocess.run([sys.executable, "-c", NUMPY_ONLY], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "True (2, 5, 8) (2, 2, 5, 5)"
    assert lines[1] == "[]"
    assert lines[2] == "figures need matplotlib"


def test_figure_code_loads_when_used():
    """helpers.plot_heatmap and helpers.check_qkv are found on first use, and cached as attributes."""
    pytest.importorskip("matplotlib")
    fn = helpers.plot_heatmap
    assert fn.__module__ == "helpers.show.figures"
    assert helpers.__dict__["plot_heatmap"] is fn
    assert helpers.check_qkv.__module__ == "helpers.checks.nb02_queries_keys_values"
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        helpers.not_a_name  # noqa: B018


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_use_one_import_style(path):
    """Code cells write `import helpers`, then helpers.X with X in helpers.__all__ (no from-imports, no submodules)."""
    cells = json.loads(path.read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert not re.findall(r"^\s*from helpers\b.*$", code, re.M)
    assert not re.findall(r"^\s*import helpers\.\S+", code, re.M)
    used = set(re.findall(r"(?<![\w.])helpers\.(\w+)", code))
    assert used <= set(helpers.__all__), sorted(used - set(helpers.__all__))
