"""The series in a real JupyterLab, in headless Chromium: widgets render and respond.

nbval has no widget front end, so it cannot see "Error displaying widget" or a slider that no
longer redraws. These tests start `jupyter lab` on 127.0.0.1 with a token and throw-away config,
data, settings and workspace folders, serving a copy of notebooks/ in a temporary folder outside
the repository (so the repository's notebooks are never saved over, and the series is shown to
work from any folder: `helpers` and its data must come from the installed package). For every
notebook that has a widget they clear all outputs, run all cells, check that no output is an
error, stderr or "Error displaying widget", then move every control of every widget (sliders,
dropdowns, toggle buttons, checkboxes, radio buttons), check that what it drives (its figure,
table or text) changes and that every figure arrives whole, then move the first control of each
widget four steps in quick succession (a teacher dragging a slider), twice, and check that the output
settles on a whole figure (none blank, none missing). JupyterLab runs with its default settings
(only its news pop-up is off), so widget callbacks run on a second kernel thread as they do for
most teachers; and save a screenshot of each widget
after a control moved, plus summary.json (seconds, controls moved), to test-artifacts/browser/
(or ATTENTION_SERIES_BROWSER_ARTIFACTS). The server, its kernels and the browser are stopped
even when a test fails.

They need the `playwright` package (PyPI) and a Chromium (Debian's /usr/bin/chromium, or
ATTENTION_SERIES_CHROMIUM); `playwright install` is never needed. Without them the tests are
skipped with the reason; with ATTENTION_SERIES_REQUIRE_BROWSER=1 (set by .ci/run) they fail
instead. Time is bounded per step (90 s), per notebook (300 s) and for the whole module
(ATTENTION_SERIES_BROWSER_TIMEOUT, default 1800 s).
"""

import json
import os
import pathlib
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = pathlib.Path(os.environ.get("ATTENTION_SERIES_BROWSER_ARTIFACTS", ROOT / "test-artifacts" / "browser"))
CHROMIUM = os.environ.get("ATTENTION_SERIES_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("ATTENTION_SERIES_REQUIRE_BROWSER") == "1"

SERVER_START_TIMEOUT = 120  # s for `jupyter lab` to answer
NOTEBOOK_TIMEOUT = 300  # s for one notebook: open, run all, move every control, screenshots
MODULE_TIMEOUT = float(os.environ.get("ATTENTION_SERIES_BROWSER_TIMEOUT", "1800"))  # s for the whole module
CONTROL_TIMEOUT = 30  # s for a widget's output to change after a control moved
STEP_TIMEOUT = 90  # s for any single page action (open, kernel start, clicks)
VIEWPORT = {"width": 1400, "height": 1100}

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


# ------------------------------------------------------------------ is a browser here?


def _browser_missing_reason():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright)"
    if not os.path.exists(CHROMIUM):
        return (f"Chromium is not installed at {CHROMIUM} (apt-get install chromium, or set "
                "ATTENTION_SERIES_CHROMIUM to a Chromium executable)")
    return None


_MISSING = _browser_missing_reason()


def _require_browser():
    """Skip (or, with ATTENTION_SERIES_REQUIRE_BROWSER=1, fail) when playwright or Chromium is missing."""
    if _MISSING is None:
        return
    if REQUIRED:
        pytest.fail(f"browser tests are required (ATTENTION_SERIES_REQUIRE_BROWSER=1) but {_MISSING}",
                    pytrace=False)
    pytest.skip(f"browser tests skipped: {_MISSING}; set ATTENTION_SERIES_REQUIRE_BROWSER=1 to make this a failure")


# ------------------------------------------------------------------ which notebooks


def _notebook_has_widget(path):
    """True when a stored output holds a widget view or a code cell imports ipywidgets."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        if any(WIDGET_MIME in out.get("data", {}) for out in cell.get("outputs", [])):
            return True
        source = "".join(cell.get("source", []))
        if re.search(r"^\s*(import ipywidgets|from ipywidgets import)", source, re.MULTILINE):
            return True
    return False


def widget_notebooks():
    """The notebooks of the series that have a widget, found from their stored outputs and sources."""
    return [p.name for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) if _notebook_has_widget(p)]


def test_widget_notebooks_are_found():
    """The discovery the browser tests rely on finds the overview's d_k slider (runs without a browser)."""
    found = widget_notebooks()
    assert "00_overview.ipynb" in found, f"no widget found in 00_overview.ipynb; widget notebooks: {found}"


# ------------------------------------------------------------------ the server


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(settings_dir):
    """User settings for the throw-away JupyterLab: none that changes how kernels or widgets run.

    Only the news and update pop-ups are switched off (they would cover controls in screenshots).
    Everything else is JupyterLab's default, including "Kernel Comms over subshells" (widget callbacks
    on a second kernel thread since JupyterLab 4.6) and the notebook's windowing mode: the series'
    widgets must work in a JupyterLab someone else set up.
    """
    settings = {
        ("apputils-extension", "notification"): {"fetchNews": "false", "checkForUpdates": False},
    }
    for (package, plugin), values in settings.items():
        path = settings_dir / "@jupyterlab" / package / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


def _descendants(pid):
    """The processes started by pid (kernels run in their own session, so a process-group kill misses them)."""
    try:
        import psutil
    except ImportError:  # ipykernel depends on psutil; without it we rely on the REST shutdown
        return []
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def _api(base, token, method, path, timeout=10):
    req = urllib.request.Request(f"{base}{path}", method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        body = r.read()
    return json.loads(body) if body else None


def _stop_server(proc, base, token):
    """Shut down every kernel, then the server's process group, then anything it left behind."""
    leftovers = _descendants(proc.pid)
    try:
        for kernel in _api(base, token, "GET", "/api/kernels") or []:
            _api(base, token, "DELETE", f"/api/kernels/{kernel['id']}", timeout=20)
    except (OSError, ValueError):
        pass
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    for child in leftovers:
        try:
            if child.is_running():
                child.kill()
        except Exception:  # noqa: BLE001 - already gone
            pass


@pytest.fixture(scope="module")
def clock():
    """The module's time bound: every step waits at most until this deadline."""
    return {"deadline": time.monotonic() + MODULE_TIMEOUT}


@pytest.fixture(scope="module")
def lab(tmp_path_factory, clock):
    """A JupyterLab server on 127.0.0.1 with a token, serving a copy of notebooks/ outside the repo."""
    _require_browser()
    home = tmp_path_factory.mktemp("lab")
    work = home / "series"  # the notebooks, outside the repository: no data/ or helpers/ beside them
    shutil.copytree(NOTEBOOKS, work, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    assert ROOT not in work.resolve().parents, f"the copy {work} must lie outside the repository {ROOT}"
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "JUPYTER_PATH", "ATTENTION_SERIES_DATA", "JUPYTER_CONFIG_PATH")}
    for var, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                     ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                     ("IPYTHONDIR", "ipython"), ("MPLCONFIGDIR", "mpl")):
        (home / sub).mkdir()
        env[var] = str(home / sub)
    _write_settings(home / "settings")
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={work}", "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--ContentsManager.checkpoints_kwargs={'root_dir': '" + str(home / "checkpoints") + "'}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI containers run as root; a learner's machine does not
    log = open(home / "server.log", "wb")
    proc = subprocess.Popen(cmd, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + min(SERVER_START_TIMEOUT, clock["deadline"] - time.monotonic())
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited early:\n{(home / 'server.log').read_text()[-3000:]}")
            try:
                if _api(base, token, "GET", "/api/status", timeout=3) is not None:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"jupyter lab did not answer within {SERVER_START_TIMEOUT} s:\n"
                                   f"{(home / 'server.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield {"base": base, "token": token, "work": work, "log": home / "server.log"}
    finally:
        _stop_server(proc, base, token)
        log.close()


@pytest.fixture(scope="module")
def browser(lab):
    """Headless Chromium driven by playwright; closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, timeout=STEP_TIMEOUT * 1000,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-crash-reporter",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"],
        )
        try:
            yield b
        finally:
            b.close()


def merged_summary(folder, indent):
    """A fixture's body: yields a dict of per-notebook results, merged into folder/summary.json at the end."""
    folder.mkdir(parents=True, exist_ok=True)
    results = {}
    yield results
    if results:
        summary = folder / "summary.json"
        try:
            merged = json.loads(summary.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            merged = {}
        merged.update(results)
        summary.write_text(json.dumps(dict(sorted(merged.items())), indent=indent, ensure_ascii=False) + "\n",
                           encoding="utf-8")


@pytest.fixture(scope="module")
def report():
    """Per-notebook results, merged into test-artifacts/browser/summary.json at the end."""
    yield from merged_summary(ARTIFACTS, indent=2)


# ------------------------------------------------------------------ in the page

_JS_NOTEBOOK_READY = """(name) => {
    const app = window.jupyterapp;
    if (!app || !app.shell) return false;
    const w = app.shell.currentWidget;
    if (!w || !w.context || w.context.path !== name || !w.context.isReady || !w.content) return false;
    const kernel = w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
    return !!kernel && kernel.status === 'idle' && kernel.connectionStatus === 'connected'
        && w.content.widgets.length > 0;
}"""

_JS_RUN = """async ([command, ms]) => {
    const timer = new Promise(resolve => setTimeout(() => resolve('timeout'), ms));
    return await Promise.race([window.jupyterapp.commands.execute(command), timer]);
}"""

_JS_IDLE = """() => {
    const w = window.jupyterapp.shell.currentWidget;
    const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
    const busy = [...document.querySelectorAll('.jp-Notebook .jp-InputArea-prompt')]
        .some(p => p.textContent.includes('*'));
    return !!kernel && kernel.status === 'idle' && !busy;
}"""

# Problems a teacher would see: cells not run, errors, stderr, widgets that failed or never loaded.
_JS_PROBLEMS = """() => {
    const out = [];
    const w = window.jupyterapp.shell.currentWidget;
    const cells = w.content.model.cells;
    for (let i = 0; i < cells.length; i++) {
        const c = cells.get(i);
        if (c.type !== 'code' || !c.sharedModel.getSource().trim()) continue;
        if (c.executionCount === null) out.push(`cell ${i}: not executed`);
        for (let j = 0; j < c.outputs.length; j++) {
            const o = c.outputs.get(j).toJSON();
            if (o.output_type === 'error') out.push(`cell ${i}: ${o.ename}: ${o.evalue}`.slice(0, 400));
        }
    }
    document.querySelectorAll('.jp-Notebook .jp-Cell').forEach((cell, i) => {
        cell.querySelectorAll('.jp-OutputArea-output').forEach(e => {
            const mime = e.getAttribute('data-mime-type') || '';
            const text = e.textContent.trim();
            if (mime === 'application/vnd.jupyter.stderr')
                out.push(`cell ${i}: stderr: ${text.slice(0, 300)}`);
            if (mime === 'application/vnd.jupyter.error' || e.querySelector('[data-mime-type="application/vnd.jupyter.error"]'))
                out.push(`cell ${i}: error shown: ${text.slice(0, 300)}`);
        });
        const text = [...cell.querySelectorAll('.jp-OutputArea')].map(a => a.textContent).join(' ');
        const failed = text.match(/Error displaying widget[^.]{0,80}/);
        if (failed) out.push(`cell ${i}: ${failed[0]}`);
        if (cell.querySelector('.jp-OutputArea .jupyter-widgets-error-widget'))
            out.push(`cell ${i}: Error displaying widget (its view failed: "Click to show javascript error.")`);
        if (text.includes('Loading widget...')) out.push(`cell ${i}: widget still loading`);
    });
    return [...new Set(out)];
}"""

# Cells (by notebook index) whose outputs hold a rendered widget, with their controls, tagged for locators.
_JS_CONTROLS = """() => {
    const clean = (t) => (t || '').replace(/[\\s\\u200b]+/g, ' ').trim();
    const label = (el) => {  // the control's description as the learner reads it
        const tick = el.closest('.widget-checkbox');
        if (tick) return clean(tick.textContent);
        if (el.matches('button')) return clean(el.textContent);  // a ToggleButton's description is its text
        const box = el.closest('.widget-inline-hbox, .widget-toggle-buttons, .widget-radio');
        const lab = box && box.querySelector(':scope > .widget-label');
        const text = clean(lab && lab.textContent);
        if (text) return text;
        if (el.matches('.widget-toggle-buttons, .widget-radio-box'))  // no description: name it by its options
            return [...el.querySelectorAll('button, label')].map(b => clean(b.textContent)).filter(t => t).join(' / ');
        const title = clean(el.getAttribute('title'));
        return title === 'null' ? '' : title;
    };
    const result = [];
    document.querySelectorAll('.jp-Notebook .jp-Cell').forEach((cell, i) => {
        const area = cell.querySelector('.jp-OutputArea');
        if (!area || !area.querySelector('.jupyter-widgets')) return;
        const controls = [];
        const add = (el, kind, state) => {
            const id = `${i}-${controls.length}`;
            el.setAttribute('data-bt-control', id);
            controls.push({id, kind, label: label(el), state: clean(state)});
        };
        area.querySelectorAll('.noUi-handle').forEach(h => add(h, 'slider',
            (h.closest('.widget-slider') || h).querySelector('.widget-readout')?.textContent
            ?? h.getAttribute('aria-valuetext')));
        area.querySelectorAll('.widget-dropdown select').forEach(s => add(s, 'dropdown',
            s.options[s.selectedIndex] ? s.options[s.selectedIndex].textContent : ''));
        area.querySelectorAll('.widget-toggle-buttons').forEach(g => add(g, 'toggle buttons',
            [...g.querySelectorAll('button.mod-active')].map(b => b.textContent).join(',')));
        area.querySelectorAll('button.widget-toggle-button').forEach(b => {
            if (!b.closest('.widget-toggle-buttons')) add(b, 'toggle button', b.classList.contains('mod-active') ? 'on' : 'off');
        });
        area.querySelectorAll('.widget-checkbox input[type=checkbox]').forEach(c => add(c, 'checkbox', c.checked ? 'on' : 'off'));
        area.querySelectorAll('.widget-radio-box').forEach(g => add(g, 'radio buttons',
            [...g.querySelectorAll('input[type=radio]')].filter(r => r.checked).map(r => r.parentElement.textContent).join(',')));
        result.push({cell: i, controls});
    });
    return result;
}"""

# The controls of a widget (their readouts change with every move: not part of what the widget shows).
_CONTROLS = ('.widget-slider, .widget-dropdown, .widget-toggle-buttons, .widget-toggle-button, .widget-checkbox, '
             '.widget-radio, .widget-radio-box, .widget-button, .widget-readout, .widget-text, .widget-textarea')

# What a widget cell's outputs show, not counting its controls: text, and a hash of every image's pixels
# (so a new picture is seen whether it arrives as a data: or a blob: URL), tables and svgs.
_JS_SIGNATURE = """async ([i, controls]) => {
    const hash = (s) => { let h = 2166136261; for (let k = 0; k < s.length; k++) { h ^= s.charCodeAt(k); h = Math.imul(h, 16777619); } return (h >>> 0).toString(16) + ':' + s.length; };
    const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[i];
    if (!cell) return null;
    const area = cell.querySelector('.jp-OutputArea');
    if (!area) return null;
    const parts = [];
    for (const img of [...area.querySelectorAll('img')].filter(im => !im.closest(controls))) {
        try { await img.decode(); } catch (e) { parts.push('img broken'); continue; }
        const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
        if (!c.width || !c.height) { parts.push('img empty'); continue; }
        const g = c.getContext('2d'); g.drawImage(img, 0, 0);
        const d = g.getImageData(0, 0, c.width, c.height).data;
        let h = 2166136261; for (let k = 0; k < d.length; k += 7) { h ^= d[k]; h = Math.imul(h, 16777619); }
        parts.push(`img ${c.width}x${c.height}:${(h >>> 0).toString(16)}`);
    }
    const clone = area.cloneNode(true);
    clone.querySelectorAll(controls).forEach(e => e.remove());
    return clone.innerText.trim() + '|' + parts.join(',') + '|'
        + [...clone.querySelectorAll('table, svg')].map(x => x.tagName + ' ' + hash(x.outerHTML)).join(',');
}"""

# The cell's output images (not the controls') that are not a whole figure: transparent pixels (a figure
# only partly drawn), one colour everywhere, or an image that does not decode.
_JS_BROKEN = """async ([i, controls]) => {
    const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[i];
    const out = [];
    for (const img of [...cell.querySelectorAll('.jp-OutputArea img')].filter(im => !im.closest(controls))) {
        try { await img.decode(); } catch (e) { out.push('an output image that does not decode'); continue; }
        const w = img.naturalWidth, h = img.naturalHeight;
        if (!w || !h) { out.push('an output image of 0 × 0 pixels'); continue; }
        const c = document.createElement('canvas'); c.width = w; c.height = h;
        const g = c.getContext('2d'); g.drawImage(img, 0, 0);
        const d = g.getImageData(0, 0, w, h).data;
        let transparent = 0, same = true;
        for (let k = 0; k < d.length; k += 4) {
            if (d[k + 3] === 0) transparent++;
            if (same && (d[k] !== d[0] || d[k + 1] !== d[1] || d[k + 2] !== d[2])) same = false;
        }
        if (transparent / (w * h) > 0.01)
            out.push(`a figure not fully drawn (${Math.round(100 * transparent / (w * h))}% of its ${w} × ${h} pixels transparent, shown blank)`);
        else if (same) out.push(`a blank figure (all ${w} × ${h} pixels one colour)`);
    }
    return out;
}"""

_JS_IMAGE_COUNT = """([i, controls]) => [...document.querySelectorAll('.jp-Notebook .jp-Cell')[i]
    .querySelectorAll('.jp-OutputArea img')].filter(im => !im.closest(controls)).length"""


def _broken_images(page, cell):
    """Output images of the cell that are not a whole figure, as text (checked in the page, any image URL).

    matplotlib's figures are opaque, so transparent pixels in an output image mean the kernel sent a figure
    that was only partly drawn: what the learner sees is a blank area where the figure should be.
    """
    return [f"cell {cell}: {p}" for p in page.evaluate(_JS_BROKEN, [cell, _CONTROLS])]


def _left(deadline, cap):
    """Milliseconds to wait: at most cap seconds, never past the deadline."""
    return max(1000, int(1000 * min(cap, deadline - time.monotonic())))


def _signature(page, cell):
    return page.evaluate(_JS_SIGNATURE, [cell, _CONTROLS])


_JS_KERNEL_IDLE = """() => {
    const w = window.jupyterapp.shell.currentWidget;
    const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
    return !!kernel && kernel.status === 'idle';
}"""


def _wait_for_change(page, cell, before, deadline, require_change=True):
    """The cell's output signature once it differs from `before`, is not empty, and holds still; None if not.

    "Holds still" means the same signature over three polls (~0.75 s) with the kernel idle, so a redraw
    still queued in the kernel cannot be mistaken for the final picture. With require_change=False, any
    signature that holds still will do (a control moved back to where it was).
    """
    end = min(time.monotonic() + CONTROL_TIMEOUT, deadline)
    last, steady = None, 0
    while time.monotonic() < end:
        now = _signature(page, cell)
        changed = not require_change or (now and now != before and now.replace("|", "").strip())
        if changed and now == last and page.evaluate(_JS_KERNEL_IDLE):
            steady += 1
            if steady >= 3:
                return now
        else:
            steady = 0
        last = now
        time.sleep(0.25)
    return None


def _control(page, cell, id_):
    """The control tagged id_ (re-tagged first: a redraw may have replaced the element)."""
    page.evaluate(_JS_CONTROLS)
    return page.locator(f'[data-bt-control="{id_}"]')


def _state(page, id_):
    """What the control tagged id_ shows now: its readout, option, active button or tick."""
    for entry in page.evaluate(_JS_CONTROLS):
        for ctl in entry["controls"]:
            if ctl["id"] == id_:
                return ctl["state"]
    return None


def _move(page, control, kind, back_to=None):
    """Move a control one step; with back_to (what _move returned), move it back.

    Returns how to undo the move: the slider's key and count, the option index, the button index.
    """
    control.scroll_into_view_if_needed()
    if kind == "slider":
        if back_to is not None:
            key, n = back_to
            undo = {"ArrowRight": "ArrowLeft", "ArrowLeft": "ArrowRight", "ArrowUp": "ArrowDown",
                    "ArrowDown": "ArrowUp"}[key]
        else:
            vertical = control.evaluate("h => !!h.closest('.widget-vslider')")
            now, top = control.evaluate("h => [Number(h.getAttribute('aria-valuenow')), Number(h.getAttribute('aria-valuemax'))]")
            undo = ("ArrowUp" if vertical else "ArrowRight") if now < top else ("ArrowDown" if vertical else "ArrowLeft")
            n = 1  # one step: each step is a separate redraw in the kernel
        control.focus()
        for _ in range(n):
            control.press(undo)
        return (undo, n)
    if kind == "dropdown":
        index, count = control.evaluate("s => [s.selectedIndex, s.options.length]")
        target = back_to if back_to is not None else (index + 1) % count
        control.select_option(index=target)
        return index
    if kind in ("toggle buttons", "radio buttons"):
        item = "button" if kind == "toggle buttons" else "input[type=radio]"
        buttons = control.locator(item)
        states = control.evaluate(
            f"g => [...g.querySelectorAll('{item}')].map(b => b.classList.contains('mod-active') || b.checked === true)")
        index = states.index(True) if True in states else -1
        target = back_to if back_to is not None else (index + 1) % len(states)
        buttons.nth(target).click()
        return index
    control.click()  # a toggle button or a checkbox flips back on a second click
    return None


BURST_STEPS = 4
BURST_GAP_MS = 60  # a teacher dragging a slider: four steps in a quarter of a second


def _burst(page, cell, id_, kind):
    """Move a control BURST_STEPS steps in quick succession; returns its state before and after."""
    start = _state(page, id_)
    control = _control(page, cell, id_)
    control.scroll_into_view_if_needed()
    for step in range(BURST_STEPS):
        control = _control(page, cell, id_)
        if kind == "slider":
            if step == 0:
                vertical = control.evaluate("h => !!h.closest('.widget-vslider')")
                now, top = control.evaluate(
                    "h => [Number(h.getAttribute('aria-valuenow')), Number(h.getAttribute('aria-valuemax'))]")
                key = ("ArrowUp" if vertical else "ArrowRight") if now < top else ("ArrowDown" if vertical else "ArrowLeft")
                control.focus()
            control.press(key)
        else:
            _move(page, control, kind)  # one step forward (a dropdown's next option, the next button, a click)
        page.wait_for_timeout(BURST_GAP_MS)
    return start, _state(page, id_)


def _screenshot(page, cell, path):
    """The viewport with the cell's outputs (the widget and what it drives) at the top, as a PNG at path."""
    if cell is not None:
        page.evaluate("""async (i) => {
            const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[i];
            (cell.querySelector('.jp-OutputArea') || cell).scrollIntoView({block: 'start'});
            await Promise.all([...cell.querySelectorAll('img')].map(img => img.decode().catch(() => null)));
        }""", cell)
        page.wait_for_timeout(600)
    page.screenshot(path=str(path), full_page=False)


def _shutdown_kernel(lab, name):
    try:
        for session in _api(lab["base"], lab["token"], "GET", "/api/sessions") or []:
            if session.get("path") == name:
                _api(lab["base"], lab["token"], "DELETE", f"/api/sessions/{session['id']}", timeout=20)
    except (OSError, ValueError):
        pass


@pytest.mark.parametrize("name", widget_notebooks())
def test_widgets_render_and_respond(lab, browser, report, clock, name):
    if time.monotonic() > clock["deadline"] - 30:
        pytest.fail(f"{name}: not run, the browser tests' time bound ({MODULE_TIMEOUT:.0f} s, "
                    "ATTENTION_SERIES_BROWSER_TIMEOUT) is used up", pytrace=False)
    start = time.monotonic()
    deadline = min(start + NOTEBOOK_TIMEOUT, clock["deadline"])
    stem = name.removesuffix(".ipynb")
    for old in ARTIFACTS.glob(f"{stem}__*.png"):  # this notebook's screenshots from an earlier run
        old.unlink()
    result = report.setdefault(name, {"seconds": None, "passed": False, "moved": [], "screenshots": []})
    page_errors = []
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(_left(deadline, STEP_TIMEOUT))
    page.on("pageerror", lambda e: page_errors.append(str(e)[:300]))
    page.on("console", lambda m: m.type == "error" and len(page_errors) < 10 and page_errors.append(m.text[:300]))
    problem_cell = None
    try:
        # 1. open the notebook; wait for its kernel; hide the file browser so the notebook is wide
        page.goto(f"{lab['base']}/lab/tree/{name}?token={lab['token']}&reset",
                  timeout=_left(deadline, STEP_TIMEOUT))
        page.wait_for_function(_JS_NOTEBOOK_READY, arg=name, timeout=_left(deadline, STEP_TIMEOUT), polling=250)
        page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
        result["opened_s"] = round(time.monotonic() - start, 1)

        # 2. clear the stored outputs, run all cells, wait until the kernel is idle and no cell shows [*]
        page.evaluate(_JS_RUN, ["notebook:clear-all-cell-outputs", _left(deadline, STEP_TIMEOUT)])
        t_run = time.monotonic()
        ran = page.evaluate(_JS_RUN, ["notebook:run-all-cells", _left(deadline, NOTEBOOK_TIMEOUT)])
        assert ran != "timeout", f"{name}: Run All Cells did not finish within the time bound"
        page.wait_for_function(_JS_IDLE, timeout=_left(deadline, STEP_TIMEOUT), polling=250)
        result["run_all_s"] = round(time.monotonic() - t_run, 1)
        page.wait_for_function(  # widget views render after the kernel answers
            "() => ![...document.querySelectorAll('.jp-Notebook .jp-OutputArea')]"
            ".some(a => a.textContent.includes('Loading widget...'))",
            timeout=_left(deadline, STEP_TIMEOUT), polling=250)
        page.wait_for_timeout(500)
        problems = page.evaluate(_JS_PROBLEMS)
        assert ran is True and not problems, (
            f"{name}: Run All Cells {'stopped at an error' if ran is False else 'finished'}; "
            f"problems on the page: {problems}; page errors: {page_errors}")

        # 3. move every control of every widget; what it drives must change (and change back)
        widget_cells = page.evaluate(_JS_CONTROLS)
        assert widget_cells, f"{name}: no widget rendered after Run All (the notebook has ipywidgets)"
        broken = [b for entry in widget_cells for b in _broken_images(page, entry["cell"])]
        assert not broken, f"{name}: after Run All: {broken}"
        for entry in widget_cells:
            cell, controls = entry["cell"], entry["controls"]
            problem_cell = cell
            last_moved = None
            for k, ctl in enumerate(controls):
                what = f"cell {cell}: {ctl['kind']} '{ctl['label']}' (was {ctl['state']!r})"
                before = _signature(page, cell)
                undo = _move(page, _control(page, cell, ctl["id"]), ctl["kind"])
                after = _wait_for_change(page, cell, before, deadline)
                now = _state(page, ctl["id"])
                assert after is not None, (
                    f"{name}: moving the {what} to {now!r} changed nothing it drives within "
                    f"{CONTROL_TIMEOUT} s; controls already moved: {result['moved']}")
                broken = _broken_images(page, cell)
                assert not broken, f"{name}: after moving the {what} to {now!r}: {broken}"
                moved = {"cell": cell, "kind": ctl["kind"], "label": ctl["label"], "from": ctl["state"], "to": now}
                if k < len(controls) - 1:  # move it back, so the next control starts from the notebook's state
                    _move(page, _control(page, cell, ctl["id"]), ctl["kind"], back_to=undo)
                    back = _wait_for_change(page, cell, after, deadline)
                    assert back is not None, f"{name}: moving the {what} back changed nothing it drives"
                    broken = _broken_images(page, cell)
                    assert not broken, f"{name}: after moving the {what} back: {broken}"
                    moved["back"] = True
                result["moved"].append(moved)
                last_moved = moved
            # bursts: the first control of the widget, BURST_STEPS quick steps, twice; the last value must be
            # drawn, whole, and the figure must still be there
            if controls:
                ctl = controls[0]
                for _ in range(2):
                    before = _signature(page, cell)
                    images = page.evaluate(_JS_IMAGE_COUNT, [cell, _CONTROLS])
                    was, now = _burst(page, cell, ctl["id"], ctl["kind"])
                    what = f"cell {cell}: {ctl['kind']} '{ctl['label']}' moved {BURST_STEPS} steps quickly ({was!r} to {now!r})"
                    after = _wait_for_change(page, cell, before, deadline, require_change=now != was)
                    assert after is not None, f"{name}: after the {what}: the output did not settle on a new picture"
                    broken = _broken_images(page, cell)
                    assert not broken, f"{name}: after the {what}: {broken}"
                    left = page.evaluate(_JS_IMAGE_COUNT, [cell, _CONTROLS])
                    assert left >= images, f"{name}: after the {what}: {images - left} figure(s) missing"
                    result.setdefault("bursts", []).append({"cell": cell, "label": ctl["label"], "from": was, "to": now})
            problems = page.evaluate(_JS_PROBLEMS)
            assert not problems, f"{name}: after moving the controls of cell {cell}: {problems}; page errors: {page_errors}"
            if last_moved is not None:  # the widget as it looks after its last control moved
                shot = ARTIFACTS / f"{stem}__cell{cell:02d}.png"
                _screenshot(page, cell, shot)
                result["screenshots"].append({"file": shot.name, "after": last_moved})
        assert result["moved"], (f"{name}: widgets rendered (cells {[e['cell'] for e in widget_cells]}) but none has "
                                 "a slider, dropdown, toggle, checkbox or radio button to move")
        result["passed"] = True
    except Exception:
        try:
            _screenshot(page, problem_cell, ARTIFACTS / f"{stem}__FAILED.png")
        except Exception:  # noqa: BLE001 - the page may be gone; the assertion says what failed
            pass
        raise
    finally:
        result["seconds"] = round(time.monotonic() - start, 1)
        result["page_errors"] = page_errors
        page.close()
        _shutdown_kernel(lab, name)


# ------------------------------------------------------------------ notebook 12: typing a sentence

NB12 = "12_heads_of_a_real_model.ipynb"


@pytest.mark.skipif(not (NOTEBOOKS / NB12).exists(), reason=f"{NB12} is not in notebooks/")
def test_nb12_typing_a_sentence_redraws_the_figure(lab, browser, clock):
    """Notebook 12's explorer: type a sentence into its text box, and the attention figure is redrawn."""
    if time.monotonic() > clock["deadline"] - 30:
        pytest.fail(f"{NB12}: not run, the browser tests' time bound is used up", pytrace=False)
    deadline = min(time.monotonic() + NOTEBOOK_TIMEOUT, clock["deadline"])
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(_left(deadline, STEP_TIMEOUT))
    page_errors = []
    page.on("pageerror", lambda e: page_errors.append(str(e)[:300]))
    try:
        page.goto(f"{lab['base']}/lab/tree/{NB12}?token={lab['token']}&reset", timeout=_left(deadline, STEP_TIMEOUT))
        page.wait_for_function(_JS_NOTEBOOK_READY, arg=NB12, timeout=_left(deadline, STEP_TIMEOUT), polling=250)
        page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
        page.evaluate(_JS_RUN, ["notebook:clear-all-cell-outputs", _left(deadline, STEP_TIMEOUT)])
        ran = page.evaluate(_JS_RUN, ["notebook:run-all-cells", _left(deadline, NOTEBOOK_TIMEOUT)])
        assert ran is True, f"{NB12}: Run All Cells did not finish cleanly ({ran!r})"
        page.wait_for_function(_JS_IDLE, timeout=_left(deadline, STEP_TIMEOUT), polling=250)
        boxes = page.locator(".jp-Notebook .jp-OutputArea .widget-text input[type=text]")
        boxes.first.wait_for(timeout=_left(deadline, STEP_TIMEOUT))
        assert boxes.count() == 1, f"{NB12}: expected one text box, found {boxes.count()}"
        cell = page.evaluate("""() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')]
            .findIndex(c => c.querySelector('.jp-OutputArea .widget-text input[type=text]'))""")
        page.wait_for_function(  # the first figure has arrived
            "(i) => document.querySelectorAll('.jp-Notebook .jp-Cell')[i].querySelector('.jp-OutputArea img')",
            arg=cell, timeout=_left(deadline, STEP_TIMEOUT), polling=250)
        before = _signature(page, cell)
        boxes.first.fill("The trophy doesn't fit in the suitcase because it is too small.")
        after = _wait_for_change(page, cell, before, deadline)
        assert after is not None, f"{NB12}: typing a sentence did not redraw the figure within {CONTROL_TIMEOUT} s"
        assert "img" in after, f"{NB12}: after typing, the widget shows no figure: {after[:200]!r}"
        boxes.first.fill("   ")  # a blank text: the error is shown in the widget, the figure stays
        blank = _wait_for_change(page, cell, after, deadline)
        assert blank is not None and "empty or blank" in blank, f"{NB12}: a blank text showed {blank!r}"
        assert not page.evaluate(_JS_PROBLEMS), f"{NB12}: problems on the page: {page.evaluate(_JS_PROBLEMS)}"
        assert not page_errors, f"{NB12}: page errors: {page_errors}"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        _screenshot(page, cell, ARTIFACTS / "12_heads_of_a_real_model__typed.png")
    finally:
        page.close()
        _shutdown_kernel(lab, NB12)
