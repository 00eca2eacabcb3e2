"""The classroom screen: every notebook in a real JupyterLab at 1366×768, as a learner opens it.

Headless Chromium with a 1366×768 viewport and JupyterLab's default layout (file browser open,
which leaves a notebook output column of about 934 px). For every notebook of the series (found
by glob, so notebook 12 is included once it exists) the test
1. opens it and finds it not modified: no ● (`context.model.dirty` stays false after the kernel
   has connected and JupyterLab has written the kernel's language_info) and the file on disk
   unchanged;
2. runs all cells (Run All, as README and TEACHING.md tell everyone to start) and finds no error,
   stderr or failed widget;
3. finds nothing that gives an answer away without a click: no visible pass mark or "Correct"
   (✔ Correct, ✅, "Correct!"), no open <details>, no visible "Answer:" paragraph outside a
   <details>, and no collapsed cell that Run All re-opened (a closed <details> does not count as
   visible: its content is not rendered);
4. finds no table wider than the output (or markdown) area that holds it;
5. finds no figure shown below 0.8 of its natural size (the PNG's size, or the width JupyterLab
   was told to use), and records every figure's shown height;
6. keeps screenshots in test-artifacts/classroom/ (or ATTENTION_SERIES_CLASSROOM_ARTIFACTS): the
   notebook as opened, every exercise (a cell calling a check_… function) after Run All, and the
   first tables, plus summary.json with what was measured.

The server, the browser and the skip/fail rules are those of tests/test_browser.py: without
playwright or Chromium the tests skip with the reason, and with ATTENTION_SERIES_REQUIRE_BROWSER=1
(set by .ci/run) they fail instead. Each notebook is bounded to 150 s; the series takes about
2–4 minutes on a 2-core machine.
"""

import os
import pathlib
import time

import pytest

from test_browser import (  # noqa: F401 - lab, browser and clock are fixtures used by name
    _JS_IDLE,
    _JS_NOTEBOOK_READY,
    _JS_PROBLEMS,
    _JS_RUN,
    STEP_TIMEOUT,
    _left,
    _shutdown_kernel,
    browser,
    clock,
    lab,
    merged_summary,
)

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = pathlib.Path(os.environ.get("ATTENTION_SERIES_CLASSROOM_ARTIFACTS",
                                        ROOT / "test-artifacts" / "classroom"))
VIEWPORT = {"width": 1366, "height": 768}
NOTEBOOK_TIMEOUT = 150  # s for one notebook: open, run all, inspect, screenshots
MIN_SCALE = 0.8  # a figure may be shown at no less than 0.8 of its size
MAX_TABLE_SHOTS = 3


def classroom_notebooks():
    return [p.name for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))]


# The notebook's state right after opening: dirty flag, and which cells are collapsed in the model.
_JS_OPEN_STATE = """() => {
    const w = window.jupyterapp.shell.currentWidget;
    const cells = w.content.model.cells;
    const hidden = [];
    for (let i = 0; i < cells.length; i++) {
        const j = cells.get(i).getMetadata('jupyter') || {};
        if (j.source_hidden || j.outputs_hidden) hidden.push({cell: i, source: !!j.source_hidden, outputs: !!j.outputs_hidden});
    }
    const out = document.querySelector('.jp-Notebook .jp-Cell .jp-OutputArea-output, .jp-Notebook .jp-Cell .jp-RenderedMarkdown');
    return {dirty: w.context.model.dirty, hidden, left_open: !window.jupyterapp.shell.leftCollapsed,
            column_px: out ? Math.round(out.getBoundingClientRect().width) : null,
            language_info: w.context.model.getMetadata('language_info') || null};
}"""

# Everything the learner can see after Run All that the test judges.
_JS_INSPECT = """() => {
    const shown = (el) => !!el && el.getClientRects().length > 0
        && (!el.checkVisibility || el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}));
    const inClosedDetails = (el) => {
        for (let d = el.closest('details'); d; d = d.parentElement && d.parentElement.closest('details')) {
            if (!d.open && !el.closest('summary')) return true;
        }
        return false;
    };
    const w = window.jupyterapp.shell.currentWidget;
    const model = w.content.model.cells;
    const res = {giveaways: [], open_details: [], tables: [], figures: [], overflow: [], hidden_now: [], exercises: []};
    const cells = [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
    cells.forEach((cell, i) => {
        const m = model.get(i);
        const j = (m && m.getMetadata('jupyter')) || {};
        res.hidden_now.push({cell: i, source: !!j.source_hidden, outputs: !!j.outputs_hidden});
        if (m && m.type === 'code' && /(^|[^\\w])check_(?!environment\\b)\\w+\\s*\\(/.test(m.sharedModel.getSource()))
            res.exercises.push(i);
        cell.querySelectorAll('details').forEach(d => { if (d.open) res.open_details.push(i); });
        // text that gives a verdict or an answer away
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            const text = n.textContent;
            const el = n.parentElement;
            if (!el || el.closest('.jp-InputArea-editor, summary')) continue;  // code the learner reads is not a verdict
            const verdict = /✔|✅|Correct!/.test(text);
            const answer = /^\\s*\\*?Answer:/.test(text) || (el.tagName === 'EM' && /^Answer:$/.test(text.trim()));
            if ((verdict || answer) && shown(el) && !inClosedDetails(el))
                res.giveaways.push({cell: i, what: verdict ? 'verdict' : 'answer', text: text.trim().slice(0, 120)});
        }
        // tables: wider than the area that holds them?
        cell.querySelectorAll('.jp-OutputArea-output table, .jp-RenderedMarkdown table').forEach(t => {
            if (!shown(t) || inClosedDetails(t)) return;
            const box = t.closest('.jp-OutputArea-output, .jp-RenderedMarkdown');
            const style = getComputedStyle(box);
            const avail = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            const width = t.getBoundingClientRect().width;
            const cap = t.querySelector('caption');
            res.tables.push({cell: i, width: Math.round(width), avail: Math.round(avail),
                             title: cap ? cap.textContent.trim().slice(0, 80) : '',
                             headers: [...t.querySelectorAll('th')].slice(0, 12).map(h => h.textContent.trim())});
        });
        cell.querySelectorAll('.jp-OutputArea-output').forEach(o => {
            if (shown(o) && o.scrollWidth > o.clientWidth + 2)
                res.overflow.push({cell: i, scroll: o.scrollWidth, client: o.clientWidth});
        });
        // figures: shown size against natural size
        cell.querySelectorAll('.jp-OutputArea-output img').forEach(img => {
            if (!shown(img) || inClosedDetails(img)) return;
            const natural = Number(img.getAttribute('width')) || img.naturalWidth;
            const naturalH = Number(img.getAttribute('height')) || img.naturalHeight;
            const r = img.getBoundingClientRect();
            res.figures.push({cell: i, natural: [natural, naturalH], shown: [Math.round(r.width), Math.round(r.height)],
                              scale: natural ? Math.round(1000 * r.width / natural) / 1000 : null,
                              widget: !!img.closest('.jupyter-widgets, .widget-output')});
        });
    });
    return res;
}"""


def _scroll_to(page, cell, outputs=False):
    page.evaluate("""async ([i, outputs]) => {
        const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[i];
        const target = outputs ? (cell.querySelector('.jp-OutputArea') || cell) : cell;
        target.scrollIntoView({block: 'start'});
        await Promise.all([...cell.querySelectorAll('img')].map(img => img.decode().catch(() => null)));
    }""", [cell, outputs])
    page.wait_for_timeout(300)


def _shot(page, path, shots):
    page.screenshot(path=str(path), full_page=False)
    shots.append(path.name)


@pytest.fixture(scope="module")
def summary():
    """Per-notebook results, merged into test-artifacts/classroom/summary.json at the end."""
    yield from merged_summary(ARTIFACTS, indent=1)


def test_notebooks_are_found():
    """The glob finds the series (runs without a browser)."""
    names = classroom_notebooks()
    assert "00_overview.ipynb" in names and len(names) >= 12, names


_JS_APP_READY = """() => !!(window.jupyterapp && window.jupyterapp.shell && window.jupyterapp.commands
    && document.querySelector('.jp-FileBrowser .jp-DirListing-item'))"""


@pytest.fixture(scope="module")
def lab_page(lab, browser, clock):
    """One JupyterLab page at 1366×768 in its default layout (reset workspace: file browser open).

    It is kept open for the whole module: each test opens its notebook in it, as a learner opens one
    after the other.
    """
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(STEP_TIMEOUT * 1000)
    page.on("dialog", lambda d: d.dismiss())
    page.goto(f"{lab['base']}/lab?token={lab['token']}&reset", timeout=_left(clock["deadline"], STEP_TIMEOUT))
    page.wait_for_function(_JS_APP_READY, timeout=_left(clock["deadline"], STEP_TIMEOUT), polling=250)
    page.evaluate("() => { if (window.jupyterapp.shell.leftCollapsed) window.jupyterapp.shell.expandLeft(); }")
    try:
        yield page
    finally:
        page.close()


_JS_CLOSE = """() => {  // close the notebook without saving (its run made it modified)
    const w = window.jupyterapp.shell.currentWidget;
    if (w && w.context) { w.context.model.dirty = false; w.dispose(); }
}"""


@pytest.mark.parametrize("name", classroom_notebooks())
def test_classroom_screen(lab, lab_page, clock, summary, name):
    if time.monotonic() > clock["deadline"] - 30:
        pytest.fail(f"{name}: not run, the browser tests' time bound is used up", pytrace=False)
    start = time.monotonic()
    deadline = min(start + NOTEBOOK_TIMEOUT, clock["deadline"])
    stem = name.removesuffix(".ipynb")
    for old in ARTIFACTS.glob(f"{stem}__*.png"):
        old.unlink()
    result = summary.setdefault(name, {})
    result.update(passed=False, screenshots=[])
    shots = result["screenshots"]
    on_disk = (lab["work"] / name).read_bytes()
    page = lab_page
    page.set_default_timeout(_left(deadline, STEP_TIMEOUT))
    page_errors = []
    on_error = lambda e: page_errors.append(str(e)[:300])  # noqa: E731
    page.on("pageerror", on_error)
    failures = []
    try:
        # 1. open it (File Browser → double-click does the same command); wait for its kernel
        page.evaluate("(name) => { window.jupyterapp.commands.execute('docmanager:open', {path: name}); }", name)
        page.wait_for_function(_JS_NOTEBOOK_READY, arg=name, timeout=_left(deadline, STEP_TIMEOUT), polling=250)
        page.wait_for_timeout(1500)  # JupyterLab writes kernelspec and language_info once the kernel info arrives
        opened = page.evaluate(_JS_OPEN_STATE)
        result.update(opened_s=round(time.monotonic() - start, 1), column_px=opened["column_px"],
                      dirty_on_open=opened["dirty"], left_open=opened["left_open"])
        _shot(page, ARTIFACTS / f"{stem}__a_opened.png", shots)
        if opened["dirty"]:
            failures.append(f"opens as modified (●); the kernel's language_info is {opened['language_info']}")
        if (lab["work"] / name).read_bytes() != on_disk:
            failures.append("the file on disk changed when the notebook was opened")
        hidden_before = {h["cell"]: h for h in opened["hidden"]}

        # 2. Run All in the fresh kernel
        t_run = time.monotonic()
        ran = page.evaluate(_JS_RUN, ["notebook:run-all-cells", _left(deadline, NOTEBOOK_TIMEOUT)])
        assert ran != "timeout", f"{name}: Run All Cells did not finish within the time bound"
        page.wait_for_function(_JS_IDLE, timeout=_left(deadline, STEP_TIMEOUT), polling=250)
        page.wait_for_function(
            "() => ![...document.querySelectorAll('.jp-Notebook .jp-OutputArea')]"
            ".some(a => a.textContent.includes('Loading widget...'))",
            timeout=_left(deadline, STEP_TIMEOUT), polling=250)
        page.wait_for_timeout(800)
        result["run_all_s"] = round(time.monotonic() - t_run, 1)
        problems = page.evaluate(_JS_PROBLEMS)
        if ran is not True or problems:
            failures.append(f"Run All {'stopped at an error' if ran is False else 'finished'}; problems: {problems}")

        # 3.–5. what is on screen now
        seen = page.evaluate(_JS_INSPECT)
        reopened = [i for i, h in hidden_before.items()
                    if (h["outputs"] and not seen["hidden_now"][i]["outputs"])
                    or (h["source"] and not seen["hidden_now"][i]["source"])]
        if seen["giveaways"]:
            failures.append(f"answers or verdicts visible without a click: {seen['giveaways']}")
        if seen["open_details"]:
            failures.append(f"<details> open after Run All in cells {sorted(set(seen['open_details']))}")
        if reopened:
            failures.append(f"collapsed cells re-opened by Run All: {reopened}")
        wide = [t for t in seen["tables"] if t["width"] > t["avail"] + 1]
        if wide:
            failures.append("tables wider than their output area: "
                            + "; ".join(f"cell {t['cell']}: {t['width']} px in {t['avail']} px ({t['title'] or t['headers']})"
                                        for t in wide))
        small = [f for f in seen["figures"] if f["scale"] is not None and f["scale"] < MIN_SCALE]
        if small:
            failures.append("figures shown below 0.8 of their size: "
                            + "; ".join(f"cell {f['cell']}: {f['natural'][0]} px shown at {f['shown'][0]} px "
                                        f"(scale {f['scale']})" for f in small))
        result.update(tables=seen["tables"], figures=seen["figures"], giveaways=seen["giveaways"],
                      overflow=seen["overflow"], exercises=seen["exercises"],
                      still_collapsed=[h for h in seen["hidden_now"] if h["source"] or h["outputs"]],
                      tallest_figure_px=max((f["shown"][1] for f in seen["figures"]), default=0))

        # 6. screenshots: every exercise after Run All, the first tables
        for i in seen["exercises"]:
            _scroll_to(page, i)
            _shot(page, ARTIFACTS / f"{stem}__exercise_cell{i:02d}.png", shots)
        for i in sorted({t["cell"] for t in seen["tables"]})[:MAX_TABLE_SHOTS]:
            _scroll_to(page, i, outputs=True)
            _shot(page, ARTIFACTS / f"{stem}__table_cell{i:02d}.png", shots)
        result["page_errors"] = page_errors
        assert not failures, f"{name} at 1366×768:\n- " + "\n- ".join(failures)
        result["passed"] = True
    except Exception:
        try:
            _shot(page, ARTIFACTS / f"{stem}__FAILED.png", shots)
        except Exception:  # noqa: BLE001 - the page may be gone; the assertion says what failed
            pass
        raise
    finally:
        result["seconds"] = round(time.monotonic() - start, 1)
        result["failures"] = failures
        page.remove_listener("pageerror", on_error)
        try:
            page.evaluate(_JS_CLOSE)
        except Exception:  # noqa: BLE001 - the page may be gone; the assertion says what failed
            pass
        _shutdown_kernel(lab, name)
