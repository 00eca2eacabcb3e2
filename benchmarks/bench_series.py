"""How long the whole series takes to execute, notebook by notebook, each in a fresh kernel.

    python benchmarks/bench_series.py            # every notebook, nothing is written
    python benchmarks/bench_series.py --repeat 3 # best of three per notebook

Target (issue 3): the whole series in under 60 s on a 2-core machine. The time includes each
kernel's start-up, as nbval and "Restart Kernel and Run All Cells" pay it too.
"""

import argparse
import importlib.util
import os
import pathlib
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("execute_notebooks", ROOT / "tools" / "execute_notebooks.py")
execute_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(execute_notebooks)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per notebook; the best is kept")
    args = parser.parse_args()
    paths = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    print(f"{len(paths)} notebooks, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    wall = time.perf_counter()
    total = 0.0
    for path in paths:
        best = min(execute_notebooks.execute(path, write=False) for _ in range(args.repeat))
        total += best
        print(f"{best:6.1f} s  {path.name}")
    print(f"{total:6.1f} s  total of the best runs (target: under 60 s)")
    print(f"{time.perf_counter() - wall:6.1f} s  wall time of this script")


if __name__ == "__main__":
    main()
