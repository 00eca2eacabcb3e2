"""How fast the real model of notebook 12 answers: load_pretrained() and run() on a 16-token sentence.

    python benchmarks/bench_pretrained.py               # 5 loads, 50 runs
    python benchmarks/bench_pretrained.py --runs 200

Targets (issue 10): run() on a 16-token sentence ≤ 20 ms median on 2 cores, so the widget
answers as the learner types; load_pretrained() ≤ 2 s. Each load is timed in a fresh Python
process (so the import of helpers, safetensors and tokenizers counts, as in a fresh kernel) and
in-process (the file read, the float16 -> float32 conversion, the checks). The load average is
printed at the start and the end: figures taken on a busy machine say little. On a machine busier
than its cores, OpenBLAS's threads wait for each other and small products slow down by 10x or more;
`OPENBLAS_NUM_THREADS=1 python benchmarks/bench_pretrained.py` shows how much of the time that is.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

SENTENCE = "The kids were scared of the lions, so they left right away."  # 16 tokens with [CLS], [SEP]
FRESH = ("import time; t = time.perf_counter(); import helpers; m = helpers.load_pretrained(); "
         "print(time.perf_counter() - t)")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--loads", type=int, default=5)
    args = p.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    import helpers

    loads = []
    for _ in range(args.loads):
        t = time.perf_counter()
        model = helpers.load_pretrained()
        loads.append(time.perf_counter() - t)
    fresh = [float(subprocess.run([sys.executable, "-c", FRESH], capture_output=True, text=True, check=True).stdout)
             for _ in range(args.loads)]
    T = len(model.run(SENTENCE, remember=False).tokens)
    runs = []
    for _ in range(args.runs):
        t = time.perf_counter()
        model.run(SENTENCE, remember=False)  # computed afresh every time (run() remembers texts otherwise)
        runs.append(time.perf_counter() - t)
    print(f"run({T} tokens):            median {1e3 * statistics.median(runs):6.1f} ms, "
          f"best {1e3 * min(runs):6.1f} ms over {args.runs} runs   (target ≤ 20 ms median)")
    print(f"load_pretrained() in-process: median {statistics.median(loads):6.2f} s, best {min(loads):.2f} s "
          f"over {args.loads}   (target ≤ 2 s)")
    print(f"import helpers + load, fresh process: median {statistics.median(fresh):6.2f} s, best {min(fresh):.2f} s")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
