"""Ship the repository's top-level data/ folder inside the installed package, as helpers/_data/.

Everything else about the package is in pyproject.toml; this file adds one build step. A regular
install (`pip install .`, which Binder's repo2docker runs), a wheel and an sdist-built wheel all
get a copy of data/ at helpers/_data/, where helpers.data finds it through importlib.resources.
An editable install (`pip install -e .`, the README's install step) copies nothing: helpers.data
then reads the repository's own data/ folder, so an edit there shows at once.

Copied: every file under data/, subfolders included (the .json, .npy, .npz, .safetensors files,
the READMEs and licence notices). Left out on purpose: the scripts that make the data
(data/make_*.py: they rewrite the files beside them, which in an installed package would be
site-packages; they belong to the repository), Python caches, and hidden files such as
.ipynb_checkpoints/. tests/test_install.py checks that the installed copy holds exactly the
repository's data files, byte for byte, minus these.
"""

import shutil
from fnmatch import fnmatch
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SOURCE = Path(__file__).resolve().parent / "data"
TARGET = ("helpers", "_data")  # inside the built package
EXCLUDE = ("make_*.py", "*.pyc", "*.pyo")  # file-name patterns left out, besides hidden and cache folders


def shipped_data_files(root=SOURCE):
    """The files of data/ that go into the package, as paths relative to data/, sorted."""
    files = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        if any(fnmatch(rel.name, pattern) for pattern in EXCLUDE):
            continue
        files.append(rel)
    return files


class BuildPyWithData(build_py):
    """setuptools' build_py, plus a fresh copy of data/ at build/lib/helpers/_data/ (not for editable installs)."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # editable: helpers.data reads the repository's data/ folder itself
        if not SOURCE.is_dir():
            raise RuntimeError(f"{SOURCE}: the data folder is missing; it must be shipped with the package")
        target = Path(self.build_lib, *TARGET)
        shutil.rmtree(target, ignore_errors=True)  # no stale files from an earlier in-tree build
        for rel in shipped_data_files():
            self.mkpath(str((target / rel).parent))
            self.copy_file(str(SOURCE / rel), str(target / rel), preserve_mode=False)

    def get_outputs(self, include_bytecode=True):
        outputs = super().get_outputs(include_bytecode)
        if getattr(self, "editable_mode", False):
            return outputs
        target = Path(self.build_lib, *TARGET)
        return outputs + [str(target / rel) for rel in shipped_data_files()]


setup(cmdclass={"build_py": BuildPyWithData})
