"""Time helpers.multi_head_attention against the loop oracle, torch, and this machine's matmul rate.

    python benchmarks/bench_mha.py            # the paper's layer: batch 8, T 128, d_model 512, 8 heads, float32
    python benchmarks/bench_mha.py --quick    # a tiny smoke run (a few seconds)

See benchmarks/README.md for what is measured and the targets printed against.
"""

import argparse
import ctypes
import glob
import math
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))  # the loop oracle lives beside the tests
sys.path.insert(0, os.path.join(HERE, ".."))  # `helpers`, even without the editable install

import oracle  # noqa: E402
from helpers import init_mha_weights, multi_head_attention  # noqa: E402

FULL = dict(batch=8, T=128, d_model=512, n_heads=8, repeats=20, matmul_n=2048)
QUICK = dict(batch=2, T=16, d_model=64, n_heads=4, repeats=3, matmul_n=256)
ORACLE_BUDGET_S = 180.0  # time the oracle on the whole batch only if that stays under ~3 minutes
TARGET_VS_TORCH = 1.0  # helpers time / torch time: no slower than torch
TARGET_OF_MATMUL = 0.80  # achieved GFLOP/s / matmul GFLOP/s


def best_times(groups, repeats, rounds=3, warmup=2):
    """Best wall-clock time (time.perf_counter) of every fn in `groups`, a list of {name: fn} dicts.

    Within a group the calls are interleaved, one of each per repeat, so that a burst of load
    from other processes hurts them alike. The groups take turns, `rounds` times, each turn
    starting with `warmup` untimed calls: numpy's OpenBLAS and torch's OpenMP threads keep
    spinning for a moment after their work and would slow each other down if interleaved call
    by call. Every fn is timed rounds · ceil(repeats / rounds) times in all.
    """
    best = {name: math.inf for group in groups for name in group}
    per_round = max(1, math.ceil(repeats / rounds))
    for _ in range(rounds):
        for group in groups:
            for fn in group.values():
                for _ in range(warmup):
                    fn()
            for _ in range(per_round):
                for name, fn in group.items():
                    t0 = time.perf_counter()
                    fn()
                    best[name] = min(best[name], time.perf_counter() - t0)
    return best


def numpy_blas_threads():
    """Number of threads numpy's OpenBLAS uses (asked through ctypes), else the environment's setting."""
    libs_dir = os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs")
    for path in glob.glob(os.path.join(libs_dir, "*openblas*")):
        lib = ctypes.CDLL(path)  # already loaded by numpy: this returns the same library
        for name in ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads", "openblas_get_num_threads"):
            if hasattr(lib, name):
                return int(getattr(lib, name)()), f"OpenBLAS ({name})"
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var]), f"${var}"
    return os.cpu_count() or 1, "os.cpu_count() (BLAS library not found; assumed)"


def mha_flops(batch, T, d_model, n_heads):
    """FLOPs of one forward pass, 2·m·n·k per (m, k) @ (k, n) product: four projections + QKᵀ + AV."""
    d_head = d_model // n_heads
    projections = 4 * 2 * (batch * T) * d_model * d_model  # X W_q, X W_k, X W_v, concat W_o
    attention = 2 * 2 * (batch * n_heads) * T * T * d_head  # Q Kᵀ and A V, per head
    return projections, attention


def time_oracle(X, Ws, n_heads, budget_s):
    """Time the loop oracle one batch entry at a time; stop early and extrapolate past budget_s seconds."""
    batch = X.shape[0]
    Ws64 = [W.astype(np.float64) for W in Ws]
    done, elapsed, Z_done = 0, 0.0, []
    while done < batch:
        t0 = time.perf_counter()
        Z_b, _ = oracle.multi_head_attention(X[done : done + 1], *Ws64, n_heads)
        elapsed += time.perf_counter() - t0
        Z_done.append(Z_b[0])
        done += 1
        if done < batch and elapsed / done * batch > budget_s:
            break
    estimate = elapsed / done * batch  # the oracle's cost is linear in the number of batch entries
    return estimate, elapsed, done, np.array(Z_done)


def torch_runner(X, Ws, n_heads, threads):
    """A no-argument function running torch.nn.MultiheadAttention on the same weights, or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    d_model = X.shape[-1]
    W_q, W_k, W_v, W_o = Ws
    mha = torch.nn.MultiheadAttention(d_model, n_heads, bias=False, batch_first=True, dtype=torch.float32)
    with torch.no_grad():
        # torch computes x @ weight.T and stacks q, k, v in in_proj_weight
        mha.in_proj_weight.copy_(torch.from_numpy(np.concatenate([W_q.T, W_k.T, W_v.T], axis=0)))
        mha.out_proj.weight.copy_(torch.from_numpy(np.ascontiguousarray(W_o.T)))
    mha.eval()
    x = torch.from_numpy(X)

    def run():
        with torch.no_grad():
            return mha(x, x, x, need_weights=True, average_attn_weights=False)  # per-head A, like the helpers

    run.description = f"torch {torch.__version__} nn.MultiheadAttention ({torch.get_num_threads()} threads)"
    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run: batch 2, T 16, d_model 64, 4 heads")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats per measurement (best is kept)")
    parser.add_argument("--no-oracle", action="store_true", help="skip the (slow) loop oracle")
    parser.add_argument(
        "--oracle-budget", type=float, default=ORACLE_BUDGET_S,
        help=f"seconds the loop oracle may run before it is extrapolated (default {ORACLE_BUDGET_S:.0f})",
    )
    args = parser.parse_args(argv)
    cfg = dict(QUICK if args.quick else FULL)
    if args.repeats:
        cfg["repeats"] = args.repeats
    batch, T, d_model, n_heads, repeats = (cfg[k] for k in ("batch", "T", "d_model", "n_heads", "repeats"))
    threads, threads_from = numpy_blas_threads()

    print(f"multi-head attention benchmark{' (--quick smoke run)' if args.quick else ''}")
    print(f"  problem: batch {batch}, T {T}, d_model {d_model}, n_heads {n_heads} "
          f"(d_head {d_model // n_heads}), float32")
    print(f"  numpy {np.__version__}, BLAS threads {threads} [{threads_from}], "
          f"best of {3 * math.ceil(repeats / 3)} timed calls in 3 alternating rounds")
    print(f"  load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} cores")

    X = np.random.default_rng(0).standard_normal((batch, T, d_model)).astype(np.float32)
    Ws = init_mha_weights(d_model, n_heads, seed=0)  # float32
    n = cfg["matmul_n"]
    M = np.random.default_rng(1).standard_normal((n, n)).astype(np.float32)
    groups = [{"helpers": lambda: multi_head_attention(X, *Ws, n_heads), "matmul": lambda: M @ M}]
    run_torch = torch_runner(X, Ws, n_heads, threads)
    if run_torch is not None:
        groups.append({"torch": run_torch})
    best = best_times(groups, repeats)  # 1.-3. timed in alternating turns
    Z, A = multi_head_attention(X, *Ws, n_heads)

    # 1. the helpers
    t_helpers = best["helpers"]
    print(f"\nhelpers.multi_head_attention: {t_helpers * 1e3:.2f} ms")

    # 2. this machine's matmul rate and the helpers' achieved rate
    rate_mm = 2 * n**3 / best["matmul"] / 1e9
    proj, attn = mha_flops(batch, T, d_model, n_heads)
    rate = (proj + attn) / t_helpers / 1e9
    print(f"\nFLOP count (2·m·n·k per product): projections 4 × 2·{batch * T}·{d_model}·{d_model} "
          f"= {proj / 1e9:.4f} GFLOP,")
    print(f"  attention QKᵀ and AV 2 × 2·{batch * n_heads}·{T}·{T}·{d_model // n_heads} = {attn / 1e9:.4f} GFLOP;"
          f" total {(proj + attn) / 1e9:.4f} GFLOP (softmax and copies not counted)")
    print(f"numpy {n} × {n} float32 matmul: {best['matmul'] * 1e3:.2f} ms = {rate_mm:.1f} GFLOP/s")
    ok = rate >= TARGET_OF_MATMUL * rate_mm
    print(f"helpers achieved: {rate:.1f} GFLOP/s = {100 * rate / rate_mm:.0f} % of the matmul rate "
          f"(target ≥ {100 * TARGET_OF_MATMUL:.0f} %: {'met' if ok else 'MISSED'})")

    # 3. torch
    if run_torch is None:
        print("\ntorch: not installed, comparison skipped")
    else:
        t_torch = best["torch"]
        Z_t, A_t = (r.numpy() for r in run_torch())
        ratio = t_helpers / t_torch
        print(f"\n{run_torch.description}, need_weights=True, average_attn_weights=False, no_grad: "
              f"{t_torch * 1e3:.2f} ms")
        rate_t = (proj + attn) / t_torch / 1e9
        print(f"  torch achieved: {rate_t:.1f} GFLOP/s = {100 * rate_t / rate_mm:.0f} % of the matmul rate")
        print(f"  helpers / torch time = {ratio:.2f} (target ≤ {TARGET_VS_TORCH:.2f}: "
              f"{'met' if ratio <= TARGET_VS_TORCH else 'MISSED'})")
        print(f"  agreement: max |Z - Z_torch| = {np.abs(Z - Z_t).max():.2e}, "
              f"max |A - A_torch| = {np.abs(A - A_t).max():.2e}")

    # 4. the loop oracle (pure Python, float64)
    if args.no_oracle:
        print("\nloop oracle: skipped (--no-oracle)")
    else:
        estimate, elapsed, done, Z_ref = time_oracle(X, Ws, n_heads, args.oracle_budget)
        if done == batch:
            print(f"\nloop oracle (tests/oracle.py, pure Python, float64), timed once on the full batch: "
                  f"{elapsed:.3g} s")
        else:
            print(f"\nloop oracle (tests/oracle.py, pure Python, float64): the full batch would exceed "
                  f"{args.oracle_budget:.0f} s, so it was timed once on {done} of {batch} batch entries "
                  f"(all {n_heads} heads, full T and d_model): {elapsed:.3g} s,")
            print(f"  extrapolated linearly in the batch size (× {batch / done:g}) to {estimate:.3g} s")
        print(f"  helpers are {estimate / t_helpers:,.0f}× faster than the loops")
        print(f"  agreement on the entries timed: max |Z - Z_oracle| = {np.abs(Z[:done] - Z_ref).max():.2e}")
    print(f"\nload average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
