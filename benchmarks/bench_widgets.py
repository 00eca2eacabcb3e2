"""How fast the widgets redraw in a real JupyterLab with its DEFAULT settings, and whether they go blank.

    python benchmarks/bench_widgets.py                    # every widget notebook
    python benchmarks/bench_widgets.py 03 09              # notebooks whose names start with 03, 09
    python benchmarks/bench_widgets.py --singles 12 --bursts 3 --json out.json

Starts `jupyter lab` on 127.0.0.1 with a token and throw-away config, data, runtime, settings
and workspace folders, and NO user settings at all (so "Kernel Comms over subshells" keeps
JupyterLab's default, as in a JupyterLab or JupyterHub someone else set up). The only server
options are the ones every run needs offline: no news feed, no update check. Before starting it
refuses to run if this environment's JupyterLab has an overrides.json (written by an old
`tools/configure_jupyterlab.py`), because that would change the defaults being measured.

Headless Chromium (/usr/bin/chromium, or ATTENTION_SERIES_CHROMIUM), driven by playwright, at a
1366 × 768 viewport (a classroom projector), opens a copy of each widget notebook, runs all cells,
then, for each notebook:

- singles: moves its controls one step at a time (at least --singles moves, spread over every
  control of every widget, each waits until the output has settled);
- bursts: moves the first control of each widget four steps in quick succession (60 ms apart, a
  teacher dragging a slider), --bursts times.

For every move it records, in the page, the time from the input event (key, click or change) to
the last change of what the widget shows (image decoded on the page, text, table) before the output
holds still for 0.8 s, and then checks every image of the widget's output: a figure with
transparent pixels, a uniform (empty) image or an image that does not decode is a BLANK figure;
a move after which the output is the same as before or has no figure where it had one is a move
that DREW NOTHING. "Collapsed" counts moves during which the output area shrank below half its
height (the page jumps under the teacher's pointer).

Prints, per notebook: median and p90 (ms) of singles and of bursts (measured from the burst's last
step), blank figures, moves that drew nothing, collapses; and the load average (`uptime`) before and
after, because the machine may be shared and times taken under load are longer.
"""

import argparse
import json
import os
import pathlib
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CHROMIUM = os.environ.get("ATTENTION_SERIES_CHROMIUM", "/usr/bin/chromium")
VIEWPORT = {"width": 1366, "height": 768}
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
SETTLE_S = 0.8  # the output must hold still this long (and the kernel be idle) to count as settled
MOVE_TIMEOUT_S = 20  # a move that changes nothing within this time drew nothing
BURST_GAP_MS = 60


def uptime():
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "load average: %.2f, %.2f, %.2f" % os.getloadavg()


def widget_notebooks(prefixes):
    found = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        if prefixes and not any(path.name.startswith(p) for p in prefixes):
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb.get("cells", []):
            if cell.get("cell_type") != "code":
                continue
            if any(WIDGET_MIME in o.get("data", {}) for o in cell.get("outputs", [])) or re.search(
                    r"^\s*(import ipywidgets|from ipywidgets import)", "".join(cell.get("source", [])), re.M):
                found.append(path.name)
                break
    return found


# ------------------------------------------------------------------ server


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(base, token, method, path, timeout=10):
    req = urllib.request.Request(f"{base}{path}", method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        body = r.read()
    return json.loads(body) if body else None


def _overrides_file():
    from jupyterlab.commands import get_app_dir

    path = pathlib.Path(get_app_dir()) / "settings" / "overrides.json"
    return path if path.exists() else None


class Lab:
    """`jupyter lab` on 127.0.0.1 with a token, throw-away folders, default settings; a copy of notebooks/."""

    def __init__(self, source=NOTEBOOKS, pythonpath=None):
        self.home = pathlib.Path(tempfile.mkdtemp(prefix="bench_widgets_"))
        self.work = self.home / "series"
        shutil.copytree(source, self.work, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "JUPYTER_PATH", "ATTENTION_SERIES_DATA", "JUPYTER_CONFIG_PATH")}
        if pythonpath:  # another checkout's helpers (kernels inherit the server's environment)
            env["PYTHONPATH"] = str(pythonpath)
        for var, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                         ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
                         ("JUPYTERLAB_SETTINGS_DIR", "settings"), ("IPYTHONDIR", "ipython"), ("MPLCONFIGDIR", "mpl")):
            (self.home / sub).mkdir()
            env[var] = str(self.home / sub)  # empty settings folder: JupyterLab's defaults
        self.token = secrets.token_hex(16)
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}"
        cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
               f"--ServerApp.root_dir={self.work}", "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--ContentsManager.checkpoints_kwargs={'root_dir': '" + str(self.home / "checkpoints") + "'}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self.log = open(self.home / "server.log", "wb")
        self.proc = subprocess.Popen(cmd, cwd=self.home, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError((self.home / "server.log").read_text()[-3000:])
            try:
                if _api(self.base, self.token, "GET", "/api/status", timeout=3) is not None:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("jupyter lab did not answer within 120 s")
            time.sleep(0.5)

    def shutdown_kernels(self, path=None):
        try:
            for s in _api(self.base, self.token, "GET", "/api/sessions") or []:
                if path is None or s.get("path") == path:
                    _api(self.base, self.token, "DELETE", f"/api/sessions/{s['id']}", timeout=20)
        except (OSError, ValueError):
            pass

    def stop(self):
        try:
            import psutil
            leftovers = psutil.Process(self.proc.pid).children(recursive=True)
        except Exception:  # noqa: BLE001
            leftovers = []
        self.shutdown_kernels()
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout=wait)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        for child in leftovers:
            try:
                if child.is_running():
                    child.kill()
            except Exception:  # noqa: BLE001
                pass
        self.log.close()
        shutil.rmtree(self.home, ignore_errors=True)


# ------------------------------------------------------------------ page scripts

JS_READY = """(name) => {
    const app = window.jupyterapp;
    if (!app || !app.shell) return false;
    const w = app.shell.currentWidget;
    if (!w || !w.context || w.context.path !== name || !w.context.isReady || !w.content) return false;
    const k = w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
    return !!k && k.status === 'idle' && k.connectionStatus === 'connected' && w.content.widgets.length > 0;
}"""

JS_RUN = """async ([command, ms]) => {
    const timer = new Promise(resolve => setTimeout(() => resolve('timeout'), ms));
    return await Promise.race([window.jupyterapp.commands.execute(command), timer]);
}"""

JS_IDLE = ("""() => {
    const w = window.jupyterapp.shell.currentWidget;
    const k = w.sessionContext.session && w.sessionContext.session.kernel;
    const busy = [...document.querySelectorAll('.jp-Notebook .jp-InputArea-prompt')]"""
    """.some(p => p.textContent.includes('*'));
    return !!k && k.status === 'idle' && !busy;
}""")

JS_KERNEL_IDLE = """() => {
    const w = window.jupyterapp.shell.currentWidget;
    const k = w.sessionContext.session && w.sessionContext.session.kernel;
    return !!k && k.status === 'idle';
}"""

CONTROL_SELECTOR = ('.widget-slider, .widget-dropdown, .widget-toggle-buttons, .widget-toggle-button, '
                    '.widget-checkbox, .widget-radio, .widget-radio-box, .widget-button, .widget-readout, '
                    '.widget-text, .widget-textarea, .widget-label')

# Widget cells with their controls (tagged data-bw-control for locators).
JS_CONTROLS = ("""() => {
    const clean = (t) => (t || '').replace(/[\\s\\u200b]+/g, ' ').trim();
    const result = [];
    document.querySelectorAll('.jp-Notebook .jp-Cell').forEach((cell, i) => {
        const area = cell.querySelector('.jp-OutputArea');
        if (!area || !area.querySelector('.jupyter-widgets')) return;
        const controls = [];
        const add = (el, kind, label) => {
            const id = `${i}-${controls.length}`;
            el.setAttribute('data-bw-control', id);
            controls.push({id, kind, label: clean(label)});
        };
        const lab = (el) => { const box = el.closest('.widget-inline-hbox, .widget-toggle-buttons');
                              const l = box && box.querySelector(':scope > .widget-label');"""
    """ return l ? l.textContent : ''; };
        area.querySelectorAll('.noUi-handle').forEach(h => add(h, 'slider', lab(h)));
        area.querySelectorAll('.widget-dropdown select').forEach(s => add(s, 'dropdown', lab(s)));
        area.querySelectorAll('.widget-toggle-buttons').forEach(g => add(g, 'toggle buttons', lab(g)));
        area.querySelectorAll('button.widget-toggle-button').forEach(b => {
            if (!b.closest('.widget-toggle-buttons')) add(b, 'toggle button', b.textContent); });
        area.querySelectorAll('.widget-checkbox input[type=checkbox]').forEach(c => add(c, 'checkbox',
            c.closest('.widget-checkbox').textContent));
        area.querySelectorAll('.widget-radio-box').forEach(g => add(g, 'radio buttons', lab(g)));
        if (controls.length) result.push({cell: i, controls});
    });
    return result;
}""")

# Watch one cell's output (not its controls): every change, the time its images are decoded, its height.
JS_ARM = """([i, controlSel]) => {
    const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[i];
    const area = cell.querySelector('.jp-OutputArea');
    if (window.__bw && window.__bw.observer) window.__bw.observer.disconnect();
    const shown = () => [...area.querySelectorAll('img')].filter(im => !im.closest(controlSel));
    const st = {inputs: [], changes: [], h0: area.getBoundingClientRect().height, minH: Infinity,
                imgs0: shown().length, minImgs: Infinity};
    const onInput = () => st.inputs.push(performance.now());
    for (const ev of ['keydown', 'change', 'click']) area.addEventListener(ev, onInput, true);
    st.off = () => { for (const ev of ['keydown', 'change', 'click']) area.removeEventListener(ev, onInput, true); };
    const observer = new MutationObserver((muts) => {
        const relevant = muts.some(m => {
            const t = m.target.nodeType === 1 ? m.target : m.target.parentElement;
            return t && !t.closest(controlSel);
        });
        if (!relevant) return;
        const t = performance.now();
        st.changes.push(t);
        st.minH = Math.min(st.minH, area.getBoundingClientRect().height);
        const imgs = shown();
        st.minImgs = Math.min(st.minImgs, imgs.length);
        Promise.all(imgs.map(im => im.decode().catch(() => null))).then(() => {
            st.changes.push(performance.now());
            st.minH = Math.min(st.minH, area.getBoundingClientRect().height);
        });
    });
    observer.observe(area, {subtree: true, childList: true, attributes: true, characterData: true,
                            attributeFilter: ['src', 'style', 'class']});
    window.__bw = {observer, st};
    return true;
}"""

JS_RESULT = """() => {
    const st = window.__bw.st; st.off();
    window.__bw.observer.disconnect();
    return {inputs: st.inputs, changes: st.changes, h0: st.h0, minH: st.minH === Infinity ? null : st.minH,
            imgs0: st.imgs0, minImgs: st.minImgs === Infinity ? null : st.minImgs, now: performance.now()};
}"""

JS_LAST_CHANGE = ("() => { const c = window.__bw.st.changes; "
                  "return [c.length, c.length ? c[c.length-1] : null, performance.now()]; }")

# What the output shows (not the controls): text and a hash of each image's pixels; blank images.
JS_LOOK = ("""async ([i, controlSel]) => {
    const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[i];
    const area = cell.querySelector('.jp-OutputArea');
    const hash = (arr) => { let h = 2166136261;"""
    """ for (let k = 0; k < arr.length; k += 3) { h ^= arr[k]; h = Math.imul(h, 16777619); }"""
    """ return (h >>> 0).toString(16); };
    const imgs = [...area.querySelectorAll('img')].filter(im => !im.closest(controlSel));
    const parts = [], blank = [];
    for (const im of imgs) {
        try { await im.decode(); } catch (e) { blank.push('does not decode'); parts.push('broken'); continue; }
        const w = im.naturalWidth, h = im.naturalHeight;
        if (!w || !h) { blank.push('0 x 0 image'); parts.push('empty'); continue; }
        const c = document.createElement('canvas'); c.width = w; c.height = h;
        const g = c.getContext('2d'); g.drawImage(im, 0, 0);
        const d = g.getImageData(0, 0, w, h).data;
        let transparent = 0, same = true;
        for (let k = 0; k < d.length; k += 4) {
            if (d[k + 3] === 0) transparent++;
            if (same && (d[k] !== d[0] || d[k + 1] !== d[1] || d[k + 2] !== d[2])) same = false;
        }
        if (transparent / (w * h) > 0.01) blank.push(`${Math.round(100 * transparent / (w * h))}% transparent`);
        else if (same) blank.push('one colour');
        parts.push(`${w}x${h}:${hash(d)}`);
    }
    const clone = area.cloneNode(true);
    clone.querySelectorAll(controlSel).forEach(e => e.remove());
    const text = clone.textContent.replace(/\\s+/g, ' ').trim();
    return {sig: text + '|' + parts.join(','), images: imgs.length, blank};
}""")


# ------------------------------------------------------------------ moving controls


def _locator(page, id_):
    page.evaluate(JS_CONTROLS)
    return page.locator(f'[data-bw-control="{id_}"]')


def _step(page, id_, kind, direction):
    """One step of a control; returns the direction for the next step (+1/-1), flipped at an end."""
    loc = _locator(page, id_)
    if kind == "slider":
        vertical = loc.evaluate("h => !!h.closest('.widget-vslider')")
        now, lo, hi = loc.evaluate("h => ['aria-valuenow','aria-valuemin','aria-valuemax']"
                                   ".map(a => Number(h.getAttribute(a)))")
        if (direction > 0 and now >= hi) or (direction < 0 and now <= lo):
            direction = -direction
        key = ("ArrowUp" if vertical else "ArrowRight") if direction > 0 else ("ArrowDown" if vertical else "ArrowLeft")
        loc.focus()
        loc.press(key)
    elif kind == "dropdown":
        index, count = loc.evaluate("s => [s.selectedIndex, s.options.length]")
        if (direction > 0 and index >= count - 1) or (direction < 0 and index <= 0):
            direction = -direction
        loc.select_option(index=index + direction)
    elif kind in ("toggle buttons", "radio buttons"):
        item = "button" if kind == "toggle buttons" else "input[type=radio]"
        states = loc.evaluate(f"g => [...g.querySelectorAll('{item}')]"
                              ".map(b => b.classList.contains('mod-active') || b.checked === true)")
        index = states.index(True) if True in states else 0
        if (direction > 0 and index >= len(states) - 1) or (direction < 0 and index <= 0):
            direction = -direction
        loc.locator(item).nth(index + direction).click()
    else:
        loc.click()
    return direction


def _settle(page, t_input_ms):
    """Wait until the output holds still SETTLE_S with the kernel idle; False if nothing changed in time."""
    end = time.monotonic() + MOVE_TIMEOUT_S
    while time.monotonic() < end:
        n, last, now = page.evaluate(JS_LAST_CHANGE)
        if n and last >= t_input_ms and now - last >= SETTLE_S * 1000 and page.evaluate(JS_KERNEL_IDLE):
            return True
        page.wait_for_timeout(100)
    return False


def _measure(page, cell, steps, burst=False):
    """Arm the observer, run steps() (which moves controls), wait to settle; a dict describing the move.

    A single move that leaves the output as it was drew nothing; a burst may end where it began (a
    tick box clicked four times), so for a burst only a missing figure or no change at all counts.
    """
    before = page.evaluate(JS_LOOK, [cell, CONTROL_SELECTOR])
    page.evaluate(JS_ARM, [cell, CONTROL_SELECTOR])
    steps()
    page.wait_for_timeout(50)
    first_inputs = page.evaluate("() => window.__bw.st.inputs.slice()")
    t_last_input = first_inputs[-1] if first_inputs else None
    settled = _settle(page, t_last_input or 0)
    res = page.evaluate(JS_RESULT)
    after = page.evaluate(JS_LOOK, [cell, CONTROL_SELECTOR])
    inputs = res["inputs"]
    t_in = inputs[-1] if inputs else None
    changes = [c for c in res["changes"] if t_in is not None and c >= t_in]
    latency = (changes[-1] - t_in) if (settled and changes) else None
    missing = before["images"] > 0 and after["images"] < before["images"]
    return {
        "ms": None if latency is None else round(latency, 1),
        "blank": after["blank"],
        "drew_nothing": (not settled) or missing or (not burst and after["sig"] == before["sig"]),
        "collapsed": bool(res["minH"] is not None and res["h0"] > 0 and res["minH"] < 0.5 * res["h0"]),
        "figure_gone_meanwhile": bool(res["minImgs"] is not None and res["imgs0"] > 0 and res["minImgs"] == 0),
        "inputs": len(inputs),
    }


def bench_notebook(browser, lab, name, n_singles, n_bursts):
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(90_000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)[:200]))
    out = {"notebook": name, "singles": [], "bursts": [], "page_errors": errors}
    try:
        page.goto(f"{lab.base}/lab/tree/{name}?token={lab.token}&reset")
        page.wait_for_function(JS_READY, arg=name, polling=250)
        page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
        page.evaluate(JS_RUN, ["notebook:clear-all-cell-outputs", 60_000])
        page.evaluate(JS_RUN, ["notebook:run-all-cells", 300_000])
        page.wait_for_function(JS_IDLE, polling=250, timeout=300_000)
        page.wait_for_function("() => ![...document.querySelectorAll('.jp-Notebook .jp-OutputArea')]"
                               ".some(a => a.textContent.includes('Loading widget...'))", polling=250)
        page.wait_for_timeout(1000)
        cells = page.evaluate(JS_CONTROLS)
        if not cells:
            out["error"] = "no widget rendered"
            return out
        plan = [(e["cell"], c) for e in cells for c in e["controls"]]
        directions = {c["id"]: 1 for _, c in plan}
        k = 0
        while len(out["singles"]) < max(n_singles, len(plan)):
            cell, ctl = plan[k % len(plan)]
            k += 1
            loc = _locator(page, ctl["id"])
            loc.scroll_into_view_if_needed()

            def one(ctl=ctl):
                directions[ctl["id"]] = _step(page, ctl["id"], ctl["kind"], directions[ctl["id"]])
            r = _measure(page, cell, one)
            r.update(cell=cell, control=f"{ctl['kind']} {ctl['label']}".strip())
            out["singles"].append(r)
        for b in range(n_bursts):
            for e in cells:
                ctl = e["controls"][0]
                _locator(page, ctl["id"]).scroll_into_view_if_needed()

                def burst(ctl=ctl):
                    for s in range(4):
                        directions[ctl["id"]] = _step(page, ctl["id"], ctl["kind"], directions[ctl["id"]])
                        if s < 3:
                            page.wait_for_timeout(BURST_GAP_MS)
                r = _measure(page, e["cell"], burst, burst=True)
                r.update(cell=e["cell"], control=f"{ctl['kind']} {ctl['label']}".strip())
                out["bursts"].append(r)
    except Exception as err:  # noqa: BLE001 - reported, the next notebook still runs
        out["error"] = f"{type(err).__name__}: {str(err)[:300]}"
    finally:
        page.close()
        lab.shutdown_kernels(name)
    return out


def _pct(values, q):
    values = sorted(values)
    if not values:
        return None
    pos = (len(values) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def summarise(r):
    def stats(moves):
        ms = [m["ms"] for m in moves if m["ms"] is not None]
        return (statistics.median(ms) if ms else None, _pct(ms, 0.9) if ms else None)
    s_med, s_p90 = stats(r["singles"])
    b_med, b_p90 = stats(r["bursts"])
    everything = r["singles"] + r["bursts"]
    return {
        "notebook": r["notebook"], "singles": len(r["singles"]), "bursts": len(r["bursts"]),
        "median_ms": s_med, "p90_ms": s_p90, "burst_median_ms": b_med, "burst_p90_ms": b_p90,
        "blank": sum(1 for m in everything if m["blank"]),
        "drew_nothing": sum(1 for m in everything if m["drew_nothing"]),
        "collapsed": sum(1 for m in everything if m["collapsed"]),
        "figure_gone_meanwhile": sum(1 for m in everything if m["figure_gone_meanwhile"]),
        "error": r.get("error"),
    }


def _fmt(x):
    return "—" if x is None else f"{x:.0f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="name prefixes (e.g. 03 09); default: every widget notebook")
    parser.add_argument("--singles", type=int, default=12, help="single moves per notebook (default 12)")
    parser.add_argument("--bursts", type=int, default=3, help="bursts of 4 quick steps per widget (default 3)")
    parser.add_argument("--json", help="also write every move's record to this file")
    parser.add_argument("--checkout", help="another checkout of the repository (e.g. a `git worktree` of an older "
                        "commit): its notebooks and its helpers (PYTHONPATH) are measured, with this environment")
    args = parser.parse_args()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sys.exit("needs the playwright package: pip install playwright (no `playwright install`: Chromium is used)")
    if not os.path.exists(CHROMIUM):
        sys.exit(f"no Chromium at {CHROMIUM} (set ATTENTION_SERIES_CHROMIUM)")
    overrides = _overrides_file()
    if overrides:
        sys.exit(f"{overrides} exists: it changes JupyterLab's defaults; move it away to measure the defaults")
    global NOTEBOOKS
    if args.checkout:
        NOTEBOOKS = pathlib.Path(args.checkout).resolve() / "notebooks"
    names = widget_notebooks(args.notebooks)
    import jupyterlab
    import ipykernel
    import ipywidgets
    print(f"JupyterLab {jupyterlab.__version__}, ipykernel {ipykernel.__version__}, ipywidgets "
          f"{ipywidgets.__version__}; default settings; viewport {VIEWPORT['width']}x{VIEWPORT['height']}")
    where = pathlib.Path(args.checkout).resolve() if args.checkout else ROOT
    git_head = subprocess.run(['git', 'log', '-1', '--format=%h %s'], cwd=where, capture_output=True, text=True)
    print(f"git: {git_head.stdout.strip()}")
    print(f"load at start: {uptime()}")
    lab = Lab(source=NOTEBOOKS, pythonpath=pathlib.Path(args.checkout).resolve() if args.checkout else None)
    results = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                                              "--disable-background-networking", "--disable-dev-shm-usage"])
            try:
                for name in names:
                    t = time.monotonic()
                    r = bench_notebook(browser, lab, name, args.singles, args.bursts)
                    r["seconds"] = round(time.monotonic() - t, 1)
                    results.append(r)
                    s = summarise(r)
                    print(f"  {name}: {s['singles']} singles, {s['bursts']} bursts, {r['seconds']} s"
                          + (f"  ERROR {s['error']}" if s["error"] else ""), flush=True)
            finally:
                browser.close()
    finally:
        lab.stop()
    print(f"load at end: {uptime()}")
    head = (f"{'notebook':<38}{'moves':>6}{'median':>8}{'p90':>7}{'burst med':>10}{'burst p90':>10}"
            f"{'blank':>7}{'nothing':>8}{'collapsed':>10}{'gone':>6}")
    print("\ntimes in ms from the move (burst: its last step) to the new figure on the page")
    print(head)
    for r in results:
        s = summarise(r)
        print(f"{s['notebook']:<38}{s['singles']:>3}+{s['bursts']:<2}{_fmt(s['median_ms']):>8}{_fmt(s['p90_ms']):>7}"
              f"{_fmt(s['burst_median_ms']):>10}{_fmt(s['burst_p90_ms']):>10}{s['blank']:>7}{s['drew_nothing']:>8}"
              f"{s['collapsed']:>10}{s['figure_gone_meanwhile']:>6}" + (f"  {s['error']}" if s["error"] else ""))
    print("blank: moves after which a figure was blank (transparent, one colour, not decodable); nothing: moves "
          "that changed nothing or lost the figure; collapsed: the output shrank below half its height meanwhile; "
          "gone: the figure left the page for a moment")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps({"load_end": uptime(), "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
