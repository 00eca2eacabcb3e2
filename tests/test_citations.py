"""Learner-facing files cite the lectures by name and link only inside the repository (issue #11).

The five lectures the series follows are cited by short names ("the Analytics Vidhya slides",
"Raschka, *DL Fundamentals* 8.5", …; full citations in the README's *Sources* section). A
learner's copy of the repository has no transcripts and nothing beside it, so no notebook or
document may name a transcript file ("seed 001", `000_c2c68e0c0781f614.txt`, `seeds/`) or point
to a path outside the repository (`../shared/…`, `/work/…`).
"""

import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCUMENTS = ["README.md", "TEACHING.md", "data/README.md", "helpers/README.md"]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

FORBIDDEN = [
    (re.compile(r"\bseeds?\s+0\d\d\b", re.IGNORECASE), 'a transcript id ("seed 001")'),
    (re.compile(r"\bseeds?\s*/", re.IGNORECASE), "the transcripts' folder (seeds/)"),
    (re.compile(r"\b00\d_[0-9a-f]{16}\.txt\b"), "a transcript file name"),
    (re.compile(r"\.\./shared\b"), "a path outside the repository (../shared)"),
    (re.compile(r"(?<![\w.~-])/(?:work|home|Users)/"), "an absolute path of the authors' machine"),
]
# [text](target): markdown links; the target of a relative link must resolve inside the repository
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def texts_of(path):
    """(where, text) pairs: a document's lines, or a notebook's cell sources and text outputs."""
    if path.suffix != ".ipynb":
        return [(f"line {n}", line) for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)]
    nb = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for i, cell in enumerate(nb["cells"]):
        found.append((f"cell {i} ({cell['cell_type']})", "".join(cell["source"])))
        for out in cell.get("outputs", []):
            text = out.get("text") or out.get("data", {}).get("text/plain") or out.get("data", {}).get("text/markdown")
            if text:
                found.append((f"cell {i} (output)", "".join(text)))
    return found


def problems_in(path):
    problems = []
    for where, text in texts_of(path):
        for pattern, what in FORBIDDEN:
            for m in pattern.finditer(text):
                problems.append(f"{where}: {what}: {m.group(0)!r}")
        if path.suffix == ".ipynb" and "(output)" in where:
            continue
        for m in LINK.finditer(text):
            target = m.group(1).split("#")[0]
            if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
                continue  # an anchor in the same file, or a URL (https:, mailto:, …)
            resolved = (path.parent / target).resolve()
            if resolved != ROOT and ROOT not in resolved.parents:
                problems.append(f"{where}: a link outside the repository: {m.group(1)!r}")
    return problems


def learner_files():
    docs = [ROOT / d for d in DOCUMENTS if (ROOT / d).exists()]
    return docs + NOTEBOOKS


@pytest.mark.parametrize("path", learner_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_transcript_ids_or_outside_paths(path):
    problems = problems_in(path)
    where = path.relative_to(ROOT)
    assert not problems, f"{where} names a transcript or a path outside the repository:\n" + "\n".join(problems)


def test_the_checks_catch_what_they_should(tmp_path):
    """The patterns themselves: each bad line is caught, each good one passes."""
    bad = ["Slides: seed 001 (the table)", "(seeds 002, 003)", "see `../shared/seeds/` beside it",
           "[CURRICULUM.md](../shared/CURRICULUM.md)", "open /work/main/notes.md", "Seed 004 writes",
           "transcript 003_ca91c5e72abd8361.txt", "[up](../../x.md)"]
    good = ["Slides: the Analytics Vidhya slides", "rng = np.random.default_rng(seed=0)", "seed 0 and seed 1",
            "[next](notebooks/01_embeddings.ipynb)", "[site](https://mybinder.org)", "[top](#sources)",
            "seeded random numbers (seed 2017)"]
    for i, text in enumerate(bad + good):
        doc = tmp_path / f"doc{i}.md"
        doc.write_text(text + "\n", encoding="utf-8")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        for i, text in enumerate(bad):
            assert problems_in(tmp_path / f"doc{i}.md"), f"not caught: {text!r}"
        for i, text in enumerate(good, len(bad)):
            assert not problems_in(tmp_path / f"doc{i}.md"), f"caught by mistake: {text!r}"
    finally:
        ROOT = saved
