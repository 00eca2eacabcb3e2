"""Time and peak memory of full vs blocked attention as T grows (the measurements of notebook 11).

    python benchmarks/bench_scaling.py                      # T = 256 … 4096, d_k = 64, float32
    python benchmarks/bench_scaling.py --T 1024 2048 --block-size 64 --repeats 5

Full: helpers.scaled_dot_product_attention, which holds the (T, T) weights A.
Blocked: helpers.blocked_attention, keys in blocks with an online softmax.
Time is the best of --repeats runs (wall clock); peak memory is measured with tracemalloc
(numpy reports its buffers to it) and counts only what the call allocates, not Q, K, V.
Timings depend on the machine and its load; the memory columns do not.
"""

import argparse
import sys

import numpy as np

from helpers import blocked_attention, peak_memory, scaled_dot_product_attention, time_it

MB = 2**20


def measure(T, d_k=64, block_size=256, repeats=3, seed=0, dtype=np.float32):
    """One row of the table: T, full s, blocked s, full MB, blocked MB, memory ratio, max |difference|."""
    rng = np.random.default_rng(seed)
    Q, K, V = (rng.standard_normal((T, d_k)).astype(dtype) for _ in range(3))  # each (T, d_k)
    Z_full, _ = scaled_dot_product_attention(Q, K, V)
    Z_blocked = blocked_attention(Q, K, V, block_size=block_size)
    diff = float(np.abs(Z_full - Z_blocked).max())
    del Z_full, Z_blocked
    t_full = time_it(scaled_dot_product_attention, Q, K, V, repeats=repeats)
    t_blocked = time_it(blocked_attention, Q, K, V, block_size=block_size, repeats=repeats)
    m_full = peak_memory(scaled_dot_product_attention, Q, K, V)
    m_blocked = peak_memory(blocked_attention, Q, K, V, block_size=block_size)
    return T, t_full, t_blocked, m_full / MB, m_blocked / MB, m_full / m_blocked, diff


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--T", type=int, nargs="+", default=[256, 512, 1024, 2048, 4096])
    parser.add_argument("--d-k", type=int, default=64)
    parser.add_argument("--block-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    print(f"d_k = d_v = {args.d_k}, block_size = {args.block_size}, float32, best of {args.repeats}")
    header = f"{'T':>6} {'full s':>9} {'blocked s':>10} {'full MB':>9} {'blocked MB':>11} {'ratio':>7} {'max |ΔZ|':>9}"
    print(header)
    print("-" * len(header))
    for T in args.T:
        T, t_f, t_b, m_f, m_b, ratio, diff = measure(T, args.d_k, args.block_size, args.repeats)
        print(f"{T:>6} {t_f:>9.4f} {t_b:>10.4f} {m_f:>9.2f} {m_b:>11.2f} {ratio:>6.1f}× {diff:>9.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
