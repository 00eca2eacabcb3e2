"""Set the JupyterLab defaults the series needs, in this environment only.

    .venv/bin/python tools/configure_jupyterlab.py

Writes JupyterLab's overrides.json in the environment's application folder
(<sys.prefix>/share/jupyter/lab/settings/), so it changes nothing outside the virtual
environment and a user's own settings still win:
- "Kernel Comms over subshells": disabled. With JupyterLab 4.6's default, ipykernel 7 runs
  ipywidgets callbacks on a second thread, and a figure redrawn there sometimes reaches the
  page blank or cut off (seen in tests/test_browser.py, notebooks 05 and 09).
- no "official Jupyter news?" pop-up over the first notebook.
Running it twice gives the same file; other settings already in overrides.json are kept.
"""

import json
import pathlib

from jupyterlab.commands import get_app_dir

SETTINGS = {
    "@jupyterlab/apputils-extension:kernels-settings": {"commsOverSubshells": "disabled"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


def main():
    overrides = pathlib.Path(get_app_dir()) / "settings" / "overrides.json"
    current = json.loads(overrides.read_text(encoding="utf-8")) if overrides.exists() else {}
    for plugin, values in SETTINGS.items():
        current.setdefault(plugin, {}).update(values)
    overrides.parent.mkdir(parents=True, exist_ok=True)
    overrides.write_text(json.dumps(current, indent=2) + "\n", encoding="utf-8")
    print(f"JupyterLab settings for the series written to {overrides}")


if __name__ == "__main__":
    main()
