"""Beyond memory: the Dask path and the file stream against the in-memory engine.

1. Time per EM iteration (one E-step pass plus M-step) over 1,000,000 x 20 rows, 10 full
   components, from the same parameters: the in-memory engine vs the Dask map-reduce on the
   local threaded scheduler (same machine, same data, same numbers).
2. A streamed fit of a Parquet (and a CSV) file written here, in a subprocess that reports its
   peak resident memory; per-row costs are projected to 20,000,000 x 20 rows.
3. Per-block costs (rows per second per core, Dask overhead per task, size of the statistics)
   for a paper projection of one iteration over 1e9 rows on a 32-node cluster.

Run: ``.venv/bin/python benchmarks/bench_scale.py [--rows N] [--stream-rows N] [--quick]``
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings

import numpy as np

warnings.simplefilter("ignore")


def median_time(fn, reps: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def interleaved(fns, reps: int) -> list[float]:
    for fn in fns:
        fn()  # warm up
    times = [[] for _ in fns]
    for _ in range(reps):
        for fn, out in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times]


def make_data(n: int, d: int, k: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 4, (k, d))
    out = np.empty((n, d))
    step = 200_000
    for s in range(0, n, step):
        m = min(step, n - s)
        out[s:s + m] = centers[rng.integers(k, size=m)] + rng.standard_normal((m, d))
    return out


def start_params(X: np.ndarray, k: int):
    from densitykit import GaussianMixture
    from densitykit.gaussian._engine import Workspace

    ws = Workspace.from_data(X, np.ones(X.shape[0]))
    gm = GaussianMixture(k, max_iter=2, random_state=0).fit(X[:50_000])
    return ws, ws.from_user(gm._user_params())


def bench_iteration(n: int, d: int, k: int, reps: int) -> dict:
    import dask.array as da

    from densitykit.gaussian._covariance import COVARIANCE_TYPES
    from densitykit.gaussian._driver import chunk_em_stats
    from densitykit.gaussian._engine import InMemoryData, in_memory_stats, m_step
    from densitykit.scale.dask import DaskSource

    X = make_data(n, d, k)
    ws, params = start_params(X, k)
    ctype = COVARIANCE_TYPES["full"]
    mem_fn = in_memory_stats(InMemoryData(X, None, ws), ctype)
    chunk = max(n // 16, 1000)
    src = DaskSource(da.from_array(X, chunks=(chunk, d)))

    def dask_fn(p):
        return src.reduce(chunk_em_stats, ws, p, "full", False)

    a, b = mem_fn(params), dask_fn(params)
    agree = abs(a.loglik - b.loglik) / abs(a.loglik)
    # interleaved, so that a change in the machine's load hits both paths alike
    t_mem, t_dask = interleaved([lambda: m_step(mem_fn(params), ctype, 1e-6),
                                 lambda: m_step(dask_fn(params), ctype, 1e-6)], reps)
    # single-core cost of one block: the unit of the cluster projection
    from threadpoolctl import threadpool_limits

    block = X[:chunk]
    with threadpool_limits(limits=1, user_api="blas"):
        t_block = median_time(lambda: chunk_em_stats(block, None, ws, params, "full"), reps)
    # scheduler overhead per task: many tiny chunks
    tiny = DaskSource(da.from_array(X[:64_000], chunks=(250, d)))
    t_tiny = median_time(lambda: tiny.reduce(chunk_em_stats, ws, params, "full", False), reps)
    with threadpool_limits(limits=1, user_api="blas"):
        t_tiny_block = median_time(
            lambda: chunk_em_stats(X[:250], None, ws, params, "full"), reps)
    per_task = max(t_tiny / tiny._x.__len__() - t_tiny_block / max(os.cpu_count() or 1, 1),
                   0.0)
    stats_bytes = len(pickle.dumps(a))
    params_bytes = len(pickle.dumps(params))
    return dict(n=n, d=d, k=k, chunk=chunk, t_mem=t_mem, t_dask=t_dask, agree=agree,
                block_rows=chunk, t_block=t_block, per_task=per_task, stats_bytes=stats_bytes,
                params_bytes=params_bytes)


_STREAM = textwrap.dedent("""
    import json, sys, time, warnings
    warnings.simplefilter("ignore")
    from densitykit import GaussianMixture
    from densitykit.scale.stream import FileSource, fit_stream
    path, chunksize, k, iters = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    def status(key):
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) * 1024 for l in f if l.startswith(key))
    rss_start = status("VmRSS:")
    src = FileSource(path, chunksize=chunksize)
    t0 = time.perf_counter()
    n = sum(len(x) for x, _ in src.chunks())
    t_read = time.perf_counter() - t0
    times = []
    last = [time.perf_counter()]
    def tick(it, lb):
        now = time.perf_counter(); times.append(now - last[0]); last[0] = now
    t0 = time.perf_counter()
    gm = fit_stream(GaussianMixture(k, random_state=0, max_iter=iters, tol=0.0), path,
                    chunksize=chunksize, callback=tick)
    total = time.perf_counter() - t0
    print(json.dumps(dict(n=n, read_pass=t_read, total=total, iters=times[1:] or times,
                          peak=status("VmHWM:"), rss_start=rss_start)))
""")


def write_parquet(path: str, n: int, d: int, k: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    step = 100_000
    rng = np.random.default_rng(1)
    centers = rng.normal(0, 4, (k, d))
    names = [f"s{j}" for j in range(d)]
    writer = None
    for s in range(0, n, step):
        m = min(step, n - s)
        block = centers[rng.integers(k, size=m)] + rng.standard_normal((m, d))
        table = pa.table({c: block[:, j] for j, c in enumerate(names)})
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()


def bench_stream(path: str, chunksize: int, k: int, iters: int) -> dict:
    out = subprocess.run([sys.executable, "-c", _STREAM, path, str(chunksize), str(k),
                          str(iters)], capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["size"] = os.path.getsize(path)
    res["t_iter"] = statistics.median(res["iters"])
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--stream-rows", type=int, default=2_000_000)
    ap.add_argument("--csv-rows", type=int, default=400_000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = ap.parse_args()
    if args.quick:
        args.rows, args.stream_rows, args.csv_rows, args.reps = 100_000, 200_000, 50_000, 1
    d, k = 20, 10
    print(f"# densitykit scale benchmark: {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")

    it = bench_iteration(args.rows, d, k, args.reps)
    print(f"\n## EM iteration, {it['n']:,} x {d}, {k} full components "
          f"(Dask: {it['n'] // it['chunk']} chunks of {it['chunk']:,} rows, threaded)")
    print("| path | median s/iteration | ratio to in-memory |")
    print("|---|---|---|")
    print(f"| in-memory engine | {it['t_mem']:.3f} | 1.00 |")
    print(f"| Dask map-reduce | {it['t_dask']:.3f} | {it['t_dask'] / it['t_mem']:.2f} |")
    print(f"(log-likelihoods agree to {it['agree']:.1e} relative)")

    tmp = tempfile.mkdtemp()
    chunk = 100_000
    small_path = os.path.join(tmp, "quarter.parquet")
    write_parquet(small_path, args.stream_rows // 4, d, k)
    q = bench_stream(small_path, chunk, k, 4)
    os.remove(small_path)
    pq_path = os.path.join(tmp, "rows.parquet")
    write_parquet(pq_path, args.stream_rows, d, k)
    s = bench_stream(pq_path, chunk, k, 4)
    csv_path = os.path.join(tmp, "rows.csv")
    import pandas as pd

    pd.read_parquet(pq_path).iloc[:args.csv_rows].to_csv(csv_path, index=False,
                                                         float_format="%.7f")
    c = bench_stream(csv_path, chunk, k, 3)
    print(f"\n## Streamed fit, chunks of {chunk:,} rows, {k} full components")
    print("| file | rows | size MB | read pass s | s/iteration | peak RSS MB | "
          "projected s/iteration at 20M rows |")
    print("|---|---|---|---|---|---|---|")
    for name, r in (("Parquet", q), ("Parquet", s), ("CSV", c)):
        proj = r["t_iter"] * 20_000_000 / r["n"]
        print(f"| {name} | {r['n']:,} | {r['size'] / 1e6:.0f} | {r['read_pass']:.2f} | "
              f"{r['t_iter']:.2f} | {r['peak'] / 2**20:.0f} | {proj:.0f} |")
    print("(peak RSS includes the interpreter and libraries: "
          f"{s['rss_start'] / 2**20:.0f} MB at start, and the 200,000-row initialisation "
          "sample; it follows the chunk, not the rows: compare the two Parquet files)")
    shutil.rmtree(tmp, ignore_errors=True)

    per_row = it["t_block"] / it["block_rows"]
    print("\n## Per-block costs for the cluster projection")
    print(f"- E-step + statistics, one core: {per_row * 1e9:.0f} ns/row "
          f"({1 / per_row / 1e6:.2f} M rows/s/core)")
    print(f"- Dask overhead per chunk task (threaded scheduler): {it['per_task'] * 1e3:.2f} ms")
    print(f"- statistics per chunk: {it['stats_bytes'] / 1e3:.1f} kB; parameters sent per "
          f"iteration: {it['params_bytes'] / 1e3:.1f} kB")
    rows, nodes, cores = 1e9, 32, 16
    chunk_rows = 1_000_000
    tasks = rows / chunk_rows
    compute = rows * per_row / (nodes * cores)
    sched = tasks * 1e-3 / 4  # ~1 ms scheduler time per distributed task, 4-way overlap
    reduce = np.ceil(np.log(tasks) / np.log(8)) * 5e-3  # 8-way tree, ~5 ms per level
    print(f"- projection, 1e9 rows, {nodes} nodes x {cores} cores, chunks of "
          f"{chunk_rows:,} rows, data persisted in cluster memory: compute "
          f"{compute:.2f} s + scheduling {sched:.2f} s + reduction {reduce:.2f} s = "
          f"{compute + sched + reduce:.2f} s per iteration")


if __name__ == "__main__":
    main()
