"""ipympl against an ipywidgets.Image fed by an off-screen figure (helpers.LiveFigure), same figure, same page.

    pip install ipympl            # in a throw-away environment: the series does not need it
    python benchmarks/compare_widget_backends.py [--moves 12] [--bursts 4]

Both notebooks draw the same 600 × 400 px figure: an 8 × 8 heatmap (imshow, a colour bar, a
title) whose data change with a slider. "ipympl": `%matplotlib ipympl`, the figure built once,
the callback sets new data and calls `fig.canvas.draw_idle()`; the page shows ipympl's canvas.
"Image": helpers.LiveFigure (Agg off-screen, one PNG per picture, one drawing thread merging
bursts). JupyterLab runs with its default settings (benchmarks/bench_widgets.py's server), in
headless Chromium. The page is watched every animation frame: the time from the key press to the
last change of the picture (ipympl: the canvas pixels; Image: the decoded <img>) before it holds
still for 0.8 s. Prints median and p90 for single moves and for bursts of 4 quick steps.
"""

import argparse
import json
import pathlib
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bench_widgets as bw  # noqa: E402

COMMON = """import numpy as np
import ipywidgets as widgets
rng = np.random.default_rng(0)
frames = rng.random((101, 8, 8))
slider = widgets.IntSlider(value=50, min=0, max=100, description="frame")
"""

IPYMPL = """%matplotlib ipympl
import matplotlib.pyplot as plt
plt.ioff()
fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
fig.canvas.header_visible = False
fig.canvas.toolbar_visible = False
im = ax.imshow(frames[50], vmin=0, vmax=1)
fig.colorbar(im)
title = ax.set_title("frame 50")

def update(change):
    im.set_data(frames[change["new"]])
    title.set_text(f"frame {change['new']}")
    fig.canvas.draw_idle()

slider.observe(update, names="value")
widgets.VBox([slider, fig.canvas])
"""

IMAGE = """from helpers.show.live import LiveFigure
live = LiveFigure(width=600, height=400)
ax = live.figure.add_subplot()
im = ax.imshow(frames[50], vmin=0, vmax=1)
live.figure.colorbar(im)
title = ax.set_title("frame 50")

def update(frame):
    im.set_data(frames[frame])
    title.set_text(f"frame {frame}")

live.connect(update, frame=slider)
widgets.VBox([slider, live])
"""

# Every animation frame: the picture's fingerprint (canvas pixels, or the <img>'s decoded source).
JS_WATCH = """(i) => {
    const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[i];
    const area = cell.querySelector('.jp-OutputArea');
    const st = {inputs: [], changes: [], last: null, stop: false};
    area.addEventListener('keydown', () => st.inputs.push(performance.now()), true);
    const print = () => {
        const canvases = [...area.querySelectorAll('canvas')].sort((a, b) => b.width * b.height - a.width * a.height);
        if (canvases.length) {
            const c = canvases[0];
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let h = 2166136261; for (let k = 0; k < d.length; k += 97) { h ^= d[k]; h = Math.imul(h, 16777619); }
            return 'c' + h;
        }
        const img = [...area.querySelectorAll('img')][0];
        return img && img.complete && img.naturalWidth ? 'i' + img.src : null;
    };
    const tick = () => {
        const p = print();
        if (p !== st.last) { st.changes.push(performance.now()); st.last = p; }
        if (!st.stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    window.__cmp = st;
    return true;
}"""


def measure(page, cell, steps):
    page.evaluate("() => { window.__cmp.inputs = []; window.__cmp.changes = []; }")
    steps()
    end = time.monotonic() + 20
    while time.monotonic() < end:
        inputs, changes, now = page.evaluate("() => [window.__cmp.inputs, window.__cmp.changes, performance.now()]")
        if (inputs and changes and changes[-1] >= inputs[-1] and now - changes[-1] > 800
                and page.evaluate(bw.JS_KERNEL_IDLE)):
            return changes[-1] - inputs[-1]
        page.wait_for_timeout(100)
    return None


def run(browser, lab, name, moves, bursts):
    page = browser.new_page(viewport=bw.VIEWPORT)
    page.set_default_timeout(90_000)
    try:
        page.goto(f"{lab.base}/lab/tree/{name}?token={lab.token}&reset")
        page.wait_for_function(bw.JS_READY, arg=name, polling=250)
        page.evaluate(bw.JS_RUN, ["notebook:run-all-cells", 120_000])
        page.wait_for_function(bw.JS_IDLE, polling=250)
        page.wait_for_timeout(1500)
        cell = 1
        errors = page.evaluate("(i) => document.querySelectorAll('.jp-Notebook .jp-Cell')[i].innerText", cell)
        if "Error" in errors:
            return {"error": errors[:300]}
        handle = page.locator(".jp-Notebook .jp-Cell >> nth=1").locator(".noUi-handle")
        handle.scroll_into_view_if_needed()
        page.evaluate(JS_WATCH, cell)
        page.wait_for_timeout(500)
        singles, burst_times = [], []
        for k in range(moves):
            key = "ArrowRight" if k % 2 == 0 else "ArrowLeft"
            singles.append(measure(page, cell, lambda key=key: (handle.focus(), handle.press(key))))
        for k in range(bursts):
            key = "ArrowRight" if k % 2 == 0 else "ArrowLeft"

            def burst(key=key):
                handle.focus()
                for s in range(4):
                    handle.press(key)
                    page.wait_for_timeout(bw.BURST_GAP_MS)
            burst_times.append(measure(page, cell, burst))
        return {"singles": singles, "bursts": burst_times}
    finally:
        page.close()
        lab.shutdown_kernels(name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=12)
    parser.add_argument("--bursts", type=int, default=4)
    args = parser.parse_args()
    import nbformat
    src = pathlib.Path(tempfile.mkdtemp(prefix="cmp_backends_"))
    for name, code in (("image.ipynb", IMAGE), ("ipympl.ipynb", IPYMPL)):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(COMMON), nbformat.v4.new_code_cell(code)])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, src / name)
    print(f"load at start: {bw.uptime()}")
    from playwright.sync_api import sync_playwright
    lab = bw.Lab(source=src)
    results = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=bw.CHROMIUM, headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            try:
                for name in ("image.ipynb", "ipympl.ipynb"):
                    results[name] = run(browser, lab, name, args.moves, args.bursts)
            finally:
                browser.close()
    finally:
        lab.stop()
    print(f"load at end: {bw.uptime()}")
    for name, r in results.items():
        if "error" in r:
            print(f"{name}: {r['error']}")
            continue
        s = [x for x in r["singles"] if x is not None]
        b = [x for x in r["bursts"] if x is not None]
        print(f"{name:<14} singles median {statistics.median(s):6.0f} ms  p90 {bw._pct(s, 0.9):6.0f} ms  "
              f"({len(r['singles']) - len(s)} drew nothing)   bursts median {statistics.median(b):6.0f} ms  "
              f"({len(r['bursts']) - len(b)} drew nothing)")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
