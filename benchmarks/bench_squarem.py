"""Accelerated EM (SQUAREM) against plain EM: passes over the data and time to converge.

Both fits start from the same initialisation (same seed); plain EM is
``acceleration=None``, which takes scikit-learn's steps. Reported per workload and
covariance type: the median over seeds of the passes (E-steps), of the CPU seconds, and of
the difference in the final mean log-likelihood (accelerated minus plain).

    python benchmarks/bench_squarem.py [--seeds 5] [--tol 1e-6]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from densitykit import GaussianMixture


def workloads() -> dict:
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA

    from densitykit.datasets import load_dow

    rng = np.random.default_rng(0)
    dow = load_dow().data.to_numpy(dtype=np.float64)
    sep = np.vstack([rng.normal(m, 1.0, (500, 2)) for m in [(-10, 0), (0, 10), (10, 0)]])
    return {
        "PCA(30) digits, K=10": (PCA(30, random_state=0).fit_transform(load_digits().data), 10),
        "Dow inputs (40 columns), K=6": (dow, 6),
        "three separated blobs, K=3": (sep, 3),
    }


def fit(X, k, ctype, acceleration, seed, tol):
    t = time.process_time()
    gm = GaussianMixture(k, covariance_type=ctype, tol=tol, max_iter=5000,
                         init_params="k-means++", random_state=seed,
                         acceleration=acceleration).fit(X)
    return gm.n_iter_, time.process_time() - t, gm.lower_bound_


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--tol", type=float, default=1e-6)
    args = ap.parse_args(argv)
    print(f"# {platform.machine()} {os.cpu_count()} cores, numpy {np.__version__}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, tol {args.tol:g}, "
          f"k-means++ starts, seeds 0-{args.seeds - 1}, one BLAS thread")
    print("\n| workload | covariance | passes plain / SQUAREM (ratio) | CPU s plain / SQUAREM "
          "(ratio) | log-lik. SQUAREM - plain |")
    print("|---|---|---|---|---|")
    warnings.simplefilter("ignore")
    with threadpool_limits(1):
        for name, (X, k) in workloads().items():
            for ctype in ("full", "tied", "diag", "spherical"):
                rows = [(fit(X, k, ctype, None, s, args.tol), fit(X, k, ctype, "squarem", s,
                                                                      args.tol))
                        for s in range(args.seeds)]
                it = np.median([[a[0], b[0]] for a, b in rows], axis=0)
                cpu = np.median([[a[1], b[1]] for a, b in rows], axis=0)
                ratio_it = np.median([b[0] / a[0] for a, b in rows])
                ratio_t = np.median([b[1] / a[1] for a, b in rows])
                gap = np.median([b[2] - a[2] for a, b in rows])
                print(f"| {name} | {ctype} | {it[0]:.0f} / {it[1]:.0f} ({ratio_it:.2f}) | "
                      f"{cpu[0]:.3f} / {cpu[1]:.3f} ({ratio_t:.2f}) | {gap:+.1e} |")


if __name__ == "__main__":
    main()
