"""The series in a real JupyterLab, in headless Chromium: widgets render and respond.

nbval has no widget front end, so it cannot see "Error displaying widget" or a slider that no
longer redraws. These tests start `jupyter lab` on 127.0.0.1 with a token and throw-away config,
data, settings and workspace folders, serving a copy of notebooks/ in a temporary folder outside
the repository (so the repository's notebooks are never saved over, and the series is shown to
work from any folder: `helpers` and its data must come from the installed package). For every
notebook that has a widget they clear all outputs, run all cells, check that no output is an
error, stderr or "Error displaying widget", then move every control of every widget (sliders,
dropdowns, toggle buttons, checkboxes, radio buttons), check that what it drives (its figure,
table or text) changes and that every figure arrives whole, and save a screenshot of each widget
after a control moved, plus summary.json (seconds, controls moved), to test-artifacts/browser/
(or ATTENTION_SERIES_BROWSER_ARTIFACTS). The server, its kernels and the browser are stopped
even when a test fails.

They need the `playwright` package (PyPI) and a Chromium (Debian's /usr/bin/chromium, or
ATTENTION_SERIES_CHROMIUM); `playwright install` is never needed. Without them the tests are
skipped with the reason; with ATTENTION_SERIES_REQUIRE_BROWSER=1 (set by .ci/run) they fail
instead. Time is bounded per step (90 s), per notebook (300 s) and for the whole module
(ATTENTION_SERIES_BROWSER_TIMEOUT, default 1800 s).
"""

import base64
import io
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
    """User settings for the throw-away JupyterLab.

    No news or update pop-up over the page; every cell laid out (windowing "none"), so that a cell
    scrolled into view for a screenshot is painted at once and cells above it do not change height.
    Widget callbacks on the kernel's main thread ("Kernel Comms over subshells": disabled), the
    setting README.md, TEACHING.md and Binder's postBuild give learners: with JupyterLab 4.6's
    default, ipykernel 7 runs callbacks on a second thread, and a figure redrawn there sometimes
    reaches the page blank or cut off (seen here about once in 6–10 moves in notebook 09).
    """
    settings = {
        ("apputils-extension", "notification"): {"fetchNews": "false", "checkForUpdates": False},
        ("apputils-extension", "kernels-settings"): {"commsOverSubshells": "disabled"},
        ("notebook-extension", "tracker"): {"windowingMode": "none"},
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


@pytest.fixture(scope="module")
def report():
    """Per-notebook results, merged into test-artifacts/browser/summary.json at the end."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    results = {}
    yield results
    if results:
        summary = ARTIFACTS / "summary.json"
        try:
            merged = json.loads(summary.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            merged = {}
        merged.update(results)
        summary.write_text(json.dumps(dict(sorted(merged.items())), indent=2, ensure_ascii=False) + "\n",
                           encoding="utf-8")


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

# What a widget cell's outputs show: text, and a hash of every image, table and svg (not the controls).
_JS_SIGNATURE = """(i) => {
    const hash = (s) => { let h = 2166136261; for (let k = 0; k < s.length; k++) { h ^= s.charCodeAt(k); h = Math.imul(h, 16777619); } return (h >>> 0).toString(16) + ':' + s.length; };
    const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[i];
    if (!cell) return null;
    let outs = [...cell.querySelectorAll('.jp-OutputArea .widget-output')];
    if (!outs.length) outs = [...cell.querySelectorAll('.jp-OutputArea .jupyter-widgets')];
    return outs.map(o => o.innerText.trim() + '|' + [...o.querySelectorAll('img')].map(x => 'img ' + hash(x.src)).join(',')
        + '|' + [...o.querySelectorAll('table, svg')].map(x => x.tagName + ' ' + hash(x.outerHTML)).join(',')).join('\\n');
}"""


_JS_IMAGES = """(i) => [...document.querySelectorAll('.jp-Notebook .jp-Cell')[i].querySelectorAll('.jp-OutputArea img')]
    .map(img => img.src)"""


def _broken_images(page, cell):
    """Output images of the cell that are not a whole figure, as text.

    matplotlib's figures are opaque, so transparent pixels in an output PNG mean the kernel sent a figure
    that was only partly drawn: what the learner sees is a blank area where the figure should be.
    """
    import matplotlib.image

    problems = []
    for src in page.evaluate(_JS_IMAGES, cell):
        head, _, data = src.partition(",")
        if head != "data:image/png;base64":
            continue
        try:
            rgba = matplotlib.image.imread(io.BytesIO(base64.b64decode(data)), format="png")
        except (ValueError, OSError) as err:
            problems.append(f"cell {cell}: an output image that does not decode ({err})")
            continue
        if rgba.ndim == 3 and rgba.shape[2] == 4:
            blank = float((rgba[..., 3] == 0).mean())
            if blank > 0.01:
                h, w = rgba.shape[:2]
                problems.append(f"cell {cell}: a figure not fully drawn ({blank:.0%} of its {w} × {h} pixels "
                                "transparent, shown blank)")
    return problems


def _left(deadline, cap):
    """Milliseconds to wait: at most cap seconds, never past the deadline."""
    return max(1000, int(1000 * min(cap, deadline - time.monotonic())))


def _signature(page, cell):
    return page.evaluate(_JS_SIGNATURE, cell)


_JS_KERNEL_IDLE = """() => {
    const w = window.jupyterapp.shell.currentWidget;
    const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
    return !!kernel && kernel.status === 'idle';
}"""


def _wait_for_change(page, cell, before, deadline):
    """The cell's output signature once it differs from `before`, is not empty, and holds still; None if not.

    "Holds still" means the same signature over three polls (~0.75 s) with the kernel idle, so a redraw
    still queued in the kernel cannot be mistaken for the final picture.
    """
    end = min(time.monotonic() + CONTROL_TIMEOUT, deadline)
    last, steady = None, 0
    while time.monotonic() < end:
        now = _signature(page, cell)
        changed = now and now != before and now.replace("|", "").strip()
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
