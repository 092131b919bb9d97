"""Kernel density estimation: densitykit side by side with scikit-learn, scipy and KDEpy.

Run: ``.venv/bin/python benchmarks/bench_kde.py`` (add ``--quick`` for smaller sizes).

Where a peer would take minutes (scikit-learn's exact sums over 200,000 rows), it scores a
subset of the queries and its time is scaled linearly to all of them (its cost per query is
independent of the other queries); the table says so. Medians of repeated runs are printed
with the ratio peer / densitykit (above 1 means densitykit is faster).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable

import numpy as np


def median_time(fn: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """Median and best wall time of ``repeat`` runs, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times), out


def peak_extra_mb(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - base) / 2**20


ROWS: list[tuple[str, str, float, float, str]] = []
HEADER = "\n| case | peer | densitykit (s) | peer (s) | ratio | note |\n|---|---|---|---|---|---|"


def report(case: str, peer: str, ours: tuple[float, float], theirs: tuple[float, float],
           note: str = "") -> None:
    """Print and keep one row: medians, their ratio, and the ratio of the best runs."""
    note = f"{note} [best runs: {ours[1]:.4f} s vs {theirs[1]:.4f} s, {theirs[1] / ours[1]:.1f}x]"
    ROWS.append((case, peer, ours[0], theirs[0], note))
    print(f"{case:<44} densitykit {ours[0]:9.4f} s   {peer} {theirs[0]:9.4f} s   "
          f"ratio {theirs[0] / ours[0]:7.1f}x  {note}", flush=True)


def bench_exact_64d(n: int, m: int, sk_queries: int, repeat: int) -> None:
    from sklearn.neighbors import KernelDensity as SkKDE

    from densitykit import KernelDensity

    rng = np.random.default_rng(0)
    X, Q = rng.normal(size=(n, 64)), rng.normal(size=(m, 64))
    ours = KernelDensity(bandwidth=1.0, algorithm="exact").fit(X)
    ours.score_samples(Q[:10])  # compile
    t_ours, b_ours, dens = median_time(lambda: ours.score_samples(Q), repeat)
    mem = peak_extra_mb(lambda: ours.score_samples(Q))

    def gemm_only() -> None:  # the cost floor: the same blocked matrix products, nothing else
        for x0 in range(0, n, 2097):
            Q @ X[x0:x0 + 2097].T

    t_floor, b_floor, _ = median_time(gemm_only, repeat)
    peer = SkKDE(bandwidth=1.0).fit(X)
    t_sk, b_sk, sk = median_time(lambda: peer.score_samples(Q[:sk_queries]), 1)
    # brute-force reference on the same queries (direct distances, scipy's logsumexp)
    from scipy.special import logsumexp

    d2 = ((Q[:sk_queries, None, :] - X[None, :, :]) ** 2).sum(-1)
    ref = logsumexp(-0.5 * d2, axis=1) - np.log(n) - 32 * np.log(2 * np.pi)
    err = float(np.max(np.abs(dens[:sk_queries] - ref)))
    err_sk = float(np.max(np.abs(sk - ref)))
    scale = m / sk_queries
    report(f"exact gaussian 64-D, {n} x {m} queries", "sklearn", (t_ours, b_ours),
           (t_sk * scale, b_sk * scale),
           f"(sklearn timed on {sk_queries} queries, scaled x{m / sk_queries:g}; max |error| vs "
           f"brute force: densitykit {err:.1e}, sklearn {err_sk:.1e}; peak extra memory of "
           f"score_samples {mem:.0f} MB; the bare blocked GEMM alone takes {t_floor:.2f} s, "
           f"best {b_floor:.2f} s)")


def bench_1d(n: int, grid: int, n_queries: int, repeat: int) -> None:
    from KDEpy import FFTKDE

    from densitykit import KernelDensity

    rng = np.random.default_rng(1)
    x = np.r_[rng.normal(size=n // 2), rng.normal(3, 0.5, size=n - n // 2)]
    X = x[:, None]
    h = KernelDensity(bandwidth="scott").fit(X).bandwidth_
    KernelDensity(bandwidth=h).fit(X[:1000]).grid(grid)  # compile
    t_ours, b_ours, _ = median_time(lambda: KernelDensity(bandwidth=h).fit(X).grid(grid),
                                    repeat)
    t_kdepy, b_kdepy, _ = median_time(lambda: FFTKDE(bw=h).fit(x).evaluate(grid), repeat)
    report(f"1-D {n} points on a {grid}-point grid", "KDEpy FFTKDE", (t_ours, b_ours),
           (t_kdepy, b_kdepy),
           "(fit + grid, same bandwidth)")
    exact_model = KernelDensity(bandwidth=h, algorithm="exact").fit(X)
    for label, pad in (("uniform over the data range", 0.0),
                       ("uniform over the range +-1 (11% beyond the data)", 1.0)):
        q = rng.uniform(x.min() - pad, x.max() + pad, size=(n_queries, 1))
        t_q, b_q, logd = median_time(
            lambda q=q: KernelDensity(bandwidth=h).fit(X).score_samples(q), repeat)
        exact = exact_model.score_samples(q[:300])
        err = float(np.max(np.abs(logd[:300] - exact)))
        report(f"1-D {n} points, {n_queries} queries {label}", "KDEpy FFTKDE grid",
               (t_q, b_q), (t_kdepy, b_kdepy),
               f"(fit + score_samples; target: ratio >= 0.5; max |log-density error| on 300 "
               f"queries {err:.1e})")


def bench_neighbors(n: int, m: int, sk_queries: int, repeat: int) -> None:
    """Compact kernel in 2-D: neighbour search vs the exact evaluator and scikit-learn's tree."""
    from sklearn.neighbors import KernelDensity as SkKDE

    from densitykit import KernelDensity

    rng = np.random.default_rng(2)
    X, Q = rng.normal(size=(n, 2)), rng.normal(size=(m, 2))
    h = 0.1
    near = KernelDensity(bandwidth=h, kernel="epanechnikov", algorithm="neighbors")
    t_ours, b_ours, dens = median_time(lambda: near.fit(X).score_samples(Q), repeat)
    auto = KernelDensity(bandwidth=h, kernel="epanechnikov").fit(X)._pick_algorithm(m)
    exact = KernelDensity(bandwidth=h, kernel="epanechnikov", algorithm="exact").fit(X)
    exact.score_samples(Q[:10])  # compile
    t_ex, b_ex, ref = median_time(lambda: exact.fit(X).score_samples(Q[:sk_queries]), 1)
    fin = np.isfinite(ref)
    err = float(np.max(np.abs(dens[:sk_queries][fin] - ref[fin])))
    scale = m / sk_queries
    report(f"epanechnikov 2-D, {n} x {m} queries, h {h}", "densitykit exact", (t_ours, b_ours),
           (t_ex * scale, b_ex * scale),
           f"(fit + score; exact timed on {sk_queries} queries, scaled x{scale:g}; max |diff| "
           f"{err:.1e}; 'auto' picks {auto!r})")
    peer = SkKDE(bandwidth=h, kernel="epanechnikov")
    t_sk, b_sk, sk = median_time(lambda: peer.fit(X).score_samples(Q), repeat)
    core = np.isfinite(dens) & (sk > -10)
    report(f"epanechnikov 2-D, {n} x {m} queries, h {h}", "sklearn (kd-tree)", (t_ours, b_ours),
           (t_sk, b_sk), f"(fit + score; max |diff| {np.max(np.abs(dens[core] - sk[core])):.1e})")


def bench_digits(repeat: int) -> None:
    from sklearn.datasets import load_digits
    from sklearn.neighbors import KernelDensity as SkKDE

    from densitykit import KernelDensity

    X, _ = load_digits(return_X_y=True)
    ours = KernelDensity(bandwidth=10.0).fit(X)
    ours.score_samples(X)  # compile and warm up
    t_ours, b_ours, a = median_time(
        lambda: KernelDensity(bandwidth=10.0).fit(X).score_samples(X), repeat)
    t_sk, b_sk, b = median_time(lambda: SkKDE(bandwidth=10.0).fit(X).score_samples(X), repeat)
    report("digits, all 1797 rows scored (fit + score)", "sklearn", (t_ours, b_ours),
           (t_sk, b_sk),
           f"(max |diff| {np.max(np.abs(a - b)):.1e})")


def bench_cv(repeat: int) -> None:
    import pandas as pd

    from densitykit import KernelDensity

    path = os.path.join(os.path.dirname(__file__), "..", "src", "densitykit", "datasets",
                        "data", "dow_impurity_validation.csv.gz")
    df = pd.read_csv(path).drop(columns=["Date"]).iloc[:, :-5]
    X = df.apply(pd.to_numeric, errors="coerce").dropna().to_numpy(float)
    X = (X - X.mean(0)) / X.std(0)
    KernelDensity(bandwidth="cv").fit(X[:200])
    t, best, model = median_time(lambda: KernelDensity(bandwidth="cv").fit(X), repeat)
    h = float(np.asarray(model.bandwidth_).ravel()[0])
    print(f"{'bandwidth=cv on Dow ' + str(X.shape):<44} densitykit {t:9.4f} s   "
          f"(target < 5 s; h = {h:.4f}; best run {best:.4f} s)", flush=True)
    ROWS.append((f"bandwidth='cv', Dow inputs {X.shape[0]} x {X.shape[1]}", "target 5 s",
                 t, 5.0, f"(h = {h:.4f} per standardised feature)"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    ap.add_argument("--only", choices=["exact", "1d", "neighbors", "digits", "cv"],
                    default=None)
    args = ap.parse_args()
    q = args.quick
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    runs = {
        "exact": lambda: bench_exact_64d(20_000 if q else 200_000, 2_000, 20 if q else 100,
                                         1 if q else 3),
        "1d": lambda: bench_1d(100_000 if q else 1_000_000, 2048, 100_000, 5 if q else 7),
        "neighbors": lambda: bench_neighbors(20_000 if q else 200_000, 2_000 if q else 20_000,
                                             200 if q else 2_000, 3 if q else 5),
        "digits": lambda: bench_digits(7),
        "cv": lambda: bench_cv(1 if q else 3),
    }
    if args.only is None:  # each case in a fresh process, so none inherits another's heap
        table = []
        for name in runs:
            cmd = [sys.executable, __file__, "--only", name] + (["--quick"] if q else [])
            res = subprocess.run(cmd, capture_output=True, text=True, check=True)
            lines = res.stdout.splitlines()
            print("\n".join(line for line in lines[1:] if not line.startswith("|")), flush=True)
            table += [line for line in lines if line.startswith("| ") and "---" not in line
                      and not line.startswith("| case")]
        print(HEADER)
        print("\n".join(table))
        return
    runs[args.only]()
    print(HEADER)
    for case, peer, ours, theirs, note in ROWS:
        print(f"| {case} | {peer} | {ours:.4f} | {theirs:.4f} | {theirs / ours:.1f}x | {note} |")


if __name__ == "__main__":
    main()
