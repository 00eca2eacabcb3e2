"""Install the series the ways people do, then use it from a folder outside the repository.

Two tests are fast and always run: DATA_DIR in both layouts (installed, checkout), and every
library of requirements.txt declared as a dependency of the package. The other three are slow
(fresh virtual environments: a few minutes), so they run only when
ATTENTION_SERIES_INSTALL_TESTS=1 (.ci/run sets it); otherwise they are skipped and say why.
The two installs run side by side (they mostly wait for the package index), the notebooks one
after the other. They live in pytest, not as separate steps of .ci/run, so that a developer
runs them with the same command, a failure names the step and shows its output, and CI counts
them. pip runs with its cache and without compiling .pyc files (PIP_NO_COMPILE), to save time.

- test_installed_as_binder_builds_it: Binder's order (build_sequence(), from repo2docker's
  Dockerfile) in a fresh venv on a copy of the repository: `pip install -r requirements.txt`
  (editable `-e .`), then `pip install .` (replaces it with a regular copy), then `./postBuild`
  when the repository has one.
  The copy is then deleted, and from another folder every data file is loaded and notebooks
  00, 09 and 12 (when it exists) run under nbval, strict, from a copy of notebooks/.
- test_installed_from_a_wheel: `python -m build` (an sdist, then a wheel from it) on a copy of the
  repository, or `pip wheel --no-deps` where the `build` package is missing; then a fresh
  venv that never saw the repository installs that wheel (and JupyterLab, nbval and pytest to
  run the notebooks); the same checks.
- test_repo2docker_writes_the_tested_build_sequence: runs `jupyter-repo2docker --no-build
  --debug` (no Docker needed) on a copy of the repository, keeps the Dockerfile in
  test-artifacts/repo2docker/, and fails if the steps that touch the repository differ from
  build_sequence(), the sequence the first test replays.

Each command and its duration is logged to test-artifacts/install/<test>.log.
"""

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from fnmatch import fnmatch
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
ENABLE_VAR = "ATTENTION_SERIES_INSTALL_TESTS"
REPO2DOCKER = "jupyter-repo2docker==2026.4.0"  # the version Binder's builder ran when this was written
NOTEBOOKS = ("00_*.ipynb", "09_*.ipynb", "12_*.ipynb")  # 00 and 09 must exist; 12 runs once it exists
REQUIRED_NOTEBOOKS = ("00_*.ipynb", "09_*.ipynb")
NOT_SHIPPED = ("make_*.py", "*.pyc", "*.pyo")  # data/ files deliberately left out of the package (setup.py)

# The steps of repo2docker's Dockerfile that run after the repository is copied into the image
# (`COPY src/ ${REPO_DIR}/`), in order, each with what test_installed_as_binder_builds_it runs
# for it. Our only change: no --no-cache-dir, so that pip may use its cache.
PIP_STEPS = (
    ('${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir -r "requirements.txt"',
     ("{python}", "-m", "pip", "install", "-r", "requirements.txt")),
    ("${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir .",  # because pyproject.toml has [project]
     ("{python}", "-m", "pip", "install", ".")),
)
POSTBUILD_STEPS = (
    ("chmod +x postBuild", ("chmod", "+x", "postBuild")),
    ("./postBuild", ("./postBuild",)),
)


def build_sequence(repo=REPO):
    """repo2docker's steps for this repository: the two pip installs, then postBuild when the repository has one."""
    return PIP_STEPS + (POSTBUILD_STEPS if (repo / "postBuild").is_file() else ())


slow = pytest.mark.skipif(
    os.environ.get(ENABLE_VAR) != "1",
    reason=f"slow install tests (fresh venvs, a few minutes): set {ENABLE_VAR}=1 to run them (.ci/run does)",
)


# ------------------------------------------------------------------------------------ helpers


class Runner:
    """Runs commands with a clean environment, logging each one and its duration."""

    def __init__(self, name):
        self.log = ARTIFACTS / "install" / f"{name}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.log.write_text("", encoding="utf-8")
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "ATTENTION_SERIES_DATA", "PYTHONSTARTUP",
                                 "JUPYTER_PATH", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_CONFIG_PATH",
                                 "IPYTHONDIR", "PIP_NO_CACHE_DIR")}
        self.env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        self.env["PIP_NO_COMPILE"] = "1"  # no .pyc at install time: saves CPU, Python compiles on import

    def use_venv(self, venv, scratch):
        """Put the venv first on PATH (as KERNEL_PYTHON_PREFIX is in the image); empty Jupyter/IPython settings."""
        self.env["PATH"] = f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
        self.env["VIRTUAL_ENV"] = str(venv)
        for var, sub in (("JUPYTER_CONFIG_DIR", "jupyter-config"), ("IPYTHONDIR", "ipython")):
            (scratch / sub).mkdir(parents=True, exist_ok=True)
            self.env[var] = str(scratch / sub)

    def __call__(self, cmd, cwd, timeout=900):
        cmd = [str(c) for c in cmd]
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=timeout, check=False)
        seconds = time.perf_counter() - start
        with self.log.open("a", encoding="utf-8") as log:
            log.write(f"$ (cd {cwd} && {' '.join(cmd)})   # exit {proc.returncode}, {seconds:.1f} s\n")
            log.write(proc.stdout[-20000:] + "\n")
        if proc.returncode != 0:
            pytest.fail(f"`{' '.join(cmd)}` in {cwd} exited {proc.returncode} after {seconds:.0f} s:\n"
                        f"{proc.stdout[-6000:]}\n(full log: {self.log})", pytrace=False)
        return proc.stdout


def clean_copy(dest):
    """The repository as a fresh clone has it: tracked (and new, not ignored) files only, in `dest`."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=REPO, stdout=subprocess.PIPE, check=True).stdout.decode().split("\0")
        files = [f for f in listed if f and (REPO / f).is_file()]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: everything but local clutter
        skip = {".git", ".venv", "test-artifacts", "build", "dist", "__pycache__", ".ipynb_checkpoints"}
        files = [str(p.relative_to(REPO)) for p in REPO.rglob("*")
                 if p.is_file() and not skip & set(p.relative_to(REPO).parts) and ".egg-info" not in str(p)]
    for rel in files:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, dest / rel)
    return dest


def expected_data_files():
    """relative path -> sha256 of every file of the repository's data/ that must be installed."""
    root = REPO / "data"
    copy = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if (path.is_file() and not any(p.startswith(".") or p == "__pycache__" for p in rel.parts)
                and not any(fnmatch(rel.name, pat) for pat in NOT_SHIPPED)):
            copy[rel.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return copy


# Run by the installed Python, from a folder outside the repository: where helpers and its data
# are, that the installed data are the repository's files byte for byte, then every file loaded,
# first generically by its format, then through the loaders the notebooks use.
CHECK_DATA = r'''
import hashlib, json, sys
from pathlib import Path
import numpy as np
import helpers
from helpers import data

expected = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
prefix = Path(sys.prefix).resolve()
package = Path(helpers.__file__).resolve().parent
root = Path(data.DATA_DIR)
print("helpers:", package)
print("DATA_DIR:", root)
assert prefix in package.parents, f"helpers imported from {package}, not from the environment {prefix}"
assert root == package / "_data", f"DATA_DIR is {root}, not the copy installed with the package"

found = {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
         for p in sorted(root.rglob("*")) if p.is_file()}
missing = sorted(set(expected) - set(found))
extra = sorted(set(found) - set(expected))
changed = sorted(k for k in set(expected) & set(found) if expected[k] != found[k])
assert not (missing or extra or changed), f"installed data differ: missing {missing}, extra {extra}, changed {changed}"

for rel in found:  # every file, read by its format
    path = root / rel
    if rel.endswith(".json"):
        json.loads(path.read_text(encoding="utf-8"))
    elif rel.endswith(".npy"):
        np.load(path, allow_pickle=False)
    elif rel.endswith(".npz"):
        with np.load(path, allow_pickle=False) as archive:
            for key in archive.files:
                archive[key]
    elif rel.endswith(".safetensors"):
        from safetensors.numpy import load_file
        load_file(path)
    print("read", rel)

def api(name, module):
    """helpers.name in the flat public API, else the module that defines it in the old layout."""
    try:
        return getattr(helpers, name)
    except AttributeError:
        import importlib
        return getattr(importlib.import_module(module), name)

sentences = data.load_sentences()
for s in sentences:
    assert data.get_sentence(s.id) == s
    data.embed(s.tokens, d_model=8)
vocab = data.load_vocab()
for d_model in data.embedding_sizes():
    assert data.load_embeddings(d_model).shape == (len(vocab), d_model)
data.load_worked_example()
api("load_weights", "helpers.training")()
api("load_variants", "helpers.training")()
loaded = ["sentences", "vocab", "embeddings", "worked example", "trained heads", "variants"]
if hasattr(helpers, "load_pretrained"):  # notebook 12's real model, once it is in data/
    model = helpers.load_pretrained()
    model.run("The kids were scared of the lions, so they left right away.")
    loaded.append("pretrained model")
if hasattr(helpers, "load_pronoun_eval"):  # notebook 12's evaluation set
    helpers.load_pronoun_eval()
    loaded.append("pronoun evaluation set")
print("loaded through helpers:", ", ".join(loaded))
'''


def check_installed(run, python, scratch):
    """From a folder outside the repository: the data checks, then the notebooks under nbval."""
    outside = scratch / "elsewhere"
    notebooks = outside / "notebooks"
    notebooks.mkdir(parents=True)
    chosen = []
    for pattern in NOTEBOOKS:
        matches = sorted((REPO / "notebooks").glob(pattern))
        if pattern in REQUIRED_NOTEBOOKS:
            assert matches, f"no notebook notebooks/{pattern}"
        chosen += matches
    for nb in chosen:
        shutil.copy2(nb, notebooks / nb.name)
    shutil.copy2(REPO / "tests" / "nbval-sanitize.cfg", outside / "nbval-sanitize.cfg")
    (outside / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")  # no stray configuration above
    expected = outside / "expected_data.json"
    expected.write_text(json.dumps(expected_data_files()), encoding="utf-8")
    script = outside / "check_data.py"
    script.write_text(CHECK_DATA, encoding="utf-8")

    out = run([python, script, expected], cwd=outside)
    assert "loaded through helpers:" in out
    out = run([python, "-m", "pytest", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
               "--nbval-sanitize-with", "nbval-sanitize.cfg", "--nbval-cell-timeout=600", "-q",
               *(f"notebooks/{nb.name}" for nb in chosen)], cwd=outside)
    print(out.strip().splitlines()[-1])
    return [nb.name for nb in chosen]


def new_venv(run, path):
    run([sys.executable, "-m", "venv", path], cwd=path.parent)
    return path / "bin" / "python"


def requirement_lines(*names):
    """The lines of requirements.txt for these distributions (their lower bounds)."""
    lines = [line.split("#")[0].strip() for line in (REPO / "requirements.txt").read_text().splitlines()]
    chosen = [line for line in lines if line and any(line.lower().startswith(n) for n in names)]
    assert len(chosen) == len(names), f"requirements.txt lacks one of {names}: {chosen}"
    return chosen


# -------------------------------------------------------------------------------------- tests


def data_dir_seen(site, env=None):
    """helpers.data.DATA_DIR as a Python that imports helpers from `site` sees it, run from another folder."""
    env = {**{k: v for k, v in os.environ.items() if k != "ATTENTION_SERIES_DATA"}, "PYTHONPATH": str(site),
           **(env or {})}
    code = "import helpers, helpers.data; print(helpers.__file__); print(helpers.data.DATA_DIR)"
    out = subprocess.run([sys.executable, "-c", code], cwd=site.parent, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    assert out.returncode == 0, out.stdout
    where, data_dir = out.stdout.strip().splitlines()[-2:]
    assert Path(where).resolve() == (site / "helpers" / "__init__.py").resolve(), out.stdout
    return Path(data_dir)


def requirement_name(line):
    return re.split(r"[<>=!~;\[ ]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_every_library_in_requirements_is_a_dependency_of_the_package():
    """Fast, always run: a wheel or `pip install .` alone must bring every library the notebooks import."""
    tools = {"jupyterlab", "nbval", "pytest"}  # to open and test the notebooks, not imported by them
    lines = [line.split("#")[0].strip() for line in (REPO / "requirements.txt").read_text().splitlines()]
    libraries = {requirement_name(line): line for line in lines if line and not line.startswith("-")}
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    declared = {requirement_name(d): d for d in declared}
    missing = [line for name, line in libraries.items() if name not in tools and name not in declared]
    assert not missing, (f"requirements.txt lists {missing}, which pyproject.toml's [project] dependencies lack: "
                         f"a wheel or `pip install .` would not install them; add them there too")


def test_data_dir_is_found_through_the_package_in_both_layouts(tmp_path):
    """Fast, always run: an installed layout (helpers/_data/) and a checkout layout (data/ beside helpers/)."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "helpers", site / "helpers", ignore=shutil.ignore_patterns("__pycache__", "_data"))
    shutil.copytree(REPO / "data", site / "data")  # the checkout layout: the repository's data/ beside helpers/
    assert data_dir_seen(site) == (site / "data").resolve()
    shutil.move(site / "data", site / "helpers" / "_data")  # what `pip install .` and the wheel hold
    assert data_dir_seen(site) == (site / "helpers" / "_data").resolve()
    override = tmp_path / "elsewhere"
    override.mkdir()
    assert data_dir_seen(site, {"ATTENTION_SERIES_DATA": str(override)}) == override.resolve()


def install_as_binder_builds_it(tmp_path):
    """build_sequence() in a fresh venv on a copy of the repository, which is then deleted."""
    run = Runner("binder_order")
    repo = clean_copy(tmp_path / "repo")
    python = new_venv(run, tmp_path / "venv")
    run.use_venv(tmp_path / "venv", tmp_path)
    probe = tmp_path / "probe"
    probe.mkdir()
    where = [python, "-c", "import helpers.data; print(helpers.data.DATA_DIR)"]
    for i, (dockerfile_step, cmd) in enumerate(build_sequence()):
        run([part.format(python=python) for part in cmd], cwd=repo)
        if i == 0:  # the editable install of requirements.txt reads the repository's own data/
            data_dir = run(where, cwd=probe).strip().splitlines()[-1]
            assert Path(data_dir) == (repo / "data").resolve(), f"editable install: DATA_DIR is {data_dir}"
    shutil.rmtree(repo)  # nothing may depend on the source folder any more
    return run, python


def install_from_a_wheel(tmp_path):
    """An sdist and a wheel built from a copy of the repository; the wheel installed in a fresh venv."""
    run = Runner("wheel")
    repo = clean_copy(tmp_path / "repo")
    wheels = tmp_path / "wheels"
    if importlib.util.find_spec("build"):  # .ci/run installs it: an sdist, then the wheel built from that sdist
        run([sys.executable, "-m", "build", "--outdir", wheels, repo], cwd=tmp_path)
        (sdist,) = wheels.glob("*.tar.gz")
        with tarfile.open(sdist) as archive:
            assert any("/data/sentences.json" in name for name in archive.getnames()), f"{sdist} lacks data/"
    else:
        run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", wheels, repo], cwd=tmp_path)
    shutil.rmtree(repo)
    (wheel,) = wheels.glob("*.whl")
    python = new_venv(run, tmp_path / "venv")  # this venv never sees the repository
    run.use_venv(tmp_path / "venv", tmp_path)
    run([python, "-m", "pip", "install", wheel], cwd=tmp_path)
    run([python, "-m", "pip", "install", *requirement_lines("jupyterlab", "nbval", "pytest")], cwd=tmp_path)
    return run, python


@pytest.fixture(scope="module")
def installs(tmp_path_factory):
    """Both installs, side by side: they mostly wait for the package index. name -> Future of (run, python)."""
    jobs = {"binder_order": install_as_binder_builds_it, "wheel": install_from_a_wheel}
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(job, tmp_path_factory.mktemp(name)) for name, job in jobs.items()}
    return futures  # the pool has waited for both


@slow
def test_installed_as_binder_builds_it(installs):
    run, python = installs["binder_order"].result()  # re-raises the install's failure, if any
    print("ran", check_installed(run, python, Path(python).parent.parent.parent))


@slow
def test_installed_from_a_wheel(installs):
    run, python = installs["wheel"].result()
    print("ran", check_installed(run, python, Path(python).parent.parent.parent))


def dockerfile_instructions(text):
    """The Dockerfile's instructions, one string each, continuation lines joined, comments dropped."""
    instructions, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        instructions.append(" ".join((current + line).split()))
        current = ""
    return instructions


@slow
def test_repo2docker_writes_the_tested_build_sequence(tmp_path):
    run = Runner("repo2docker")
    python = new_venv(run, tmp_path / "r2d-venv")
    run([python, "-m", "pip", "install", "-q", REPO2DOCKER], cwd=tmp_path)
    repo = clean_copy(tmp_path / "repo")
    # Binder runs it as user jovyan, uid 1000; without these flags the image's user is whoever runs the test.
    out = run([tmp_path / "r2d-venv" / "bin" / "jupyter-repo2docker", "--no-build", "--debug",
               "--user-id", "1000", "--user-name", "jovyan", repo], cwd=repo)
    lines = out.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("FROM ")), None)
    assert start is not None, f"no Dockerfile in repo2docker's output:\n{out[-3000:]}"
    dockerfile = "\n".join(lines[start:]) + "\n"
    saved = ARTIFACTS / "repo2docker" / "Dockerfile"
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_text(dockerfile, encoding="utf-8")

    instructions = dockerfile_instructions(dockerfile)
    copy_repo = [i for i, ins in enumerate(instructions)
                 if ins.startswith("COPY ") and ins.split()[-2:-1] == ["src/"]]
    assert len(copy_repo) == 1, f"expected one `COPY src/ ${{REPO_DIR}}/` in {saved}, found {len(copy_repo)}"
    first_src = next(i for i, ins in enumerate(instructions) if ins.startswith("COPY ") and " src/" in ins)
    runs_before = [ins for ins in instructions[first_src:copy_repo[0]] if ins.startswith("RUN ")]
    runs_after = [ins[len("RUN "):] for ins in instructions[copy_repo[0]:] if ins.startswith("RUN ")]
    sequence = "\n".join(runs_after)
    (saved.parent / "build_sequence.txt").write_text(sequence + "\n", encoding="utf-8")
    print("repo2docker's build sequence after copying the repository:\n" + sequence)
    assert not runs_before, (
        f"repo2docker now runs steps on part of the repository before copying all of it: {runs_before}; "
        f"tests/test_install.py does not replay them (see {saved})")
    replayed = [step for step, _ in build_sequence()]
    assert runs_after == replayed, (
        f"repo2docker's build sequence changed (see {saved}):\n{sequence}\n"
        f"tests/test_install.py replays:\n" + "\n".join(replayed) +
        "\nUpdate build_sequence() (and what it runs) so that the install test replays the new order.")
