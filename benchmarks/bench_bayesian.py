"""Variational Bayesian Gaussian mixtures: densitykit against scikit-learn, side by side.

Both start from the same initial responsibilities (one k-means partition per workload,
made once) and iterate to the same tolerance (scikit-learn's default, 1e-3 on the lower
bound); the iterations each needs and the lower bounds reached are printed beside the
times. scikit-learn runs with one BLAS/OpenMP thread (its best case on a shared 2-core
machine, see the Gaussian-mixture section of RESULTS.md); densitykit's BLAS is on one
thread too, and it spreads blocks of rows over its own threads when there are several
blocks, so CPU seconds are printed beside wall seconds. Medians over ``--repeat`` runs.

Run: ``.venv/bin/python benchmarks/bench_bayesian.py [--repeat R] [--quick]``
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings

import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.mixture import BayesianGaussianMixture as SkBGM
from threadpoolctl import threadpool_limits

from densitykit import BayesianGaussianMixture
from densitykit.datasets import load_dow
from densitykit.gaussian import _init
from densitykit.gaussian._engine import hard_stats

warnings.filterwarnings("ignore")
_GIVEN = "bench-given-labels"  # an init registered for this run: the shared partition


class _SkFromLabels(SkBGM):
    """scikit-learn's estimator started from the shared partition ``labels``."""

    labels: np.ndarray

    def _initialize_parameters(self, X, random_state, xp=None):
        resp = np.zeros((X.shape[0], self.n_components))
        resp[np.arange(X.shape[0]), self.labels] = 1.0
        self._initialize(X, resp)


def _register(labels: np.ndarray) -> None:
    """densitykit's side of the same start: the statistics of the shared partition."""

    def init(data, k, rng, ctype):
        return hard_stats(data.zt(slice(0, data.n)), data.w, labels, k, ctype)

    _init.INIT_METHODS[_GIVEN] = init


def workloads(quick: bool) -> dict:
    dow = np.asarray(load_dow().data, dtype=np.float64)[:, [6, 4]]
    pca = PCA(30, random_state=0).fit_transform(load_digits().data)
    rng = np.random.default_rng(0)
    n = 20_000 if quick else 100_000
    centers = rng.normal(0, 1.5, (8, 10))  # overlapping: tens of iterations to tol
    big = centers[rng.integers(8, size=n)] + rng.standard_normal((n, 10))
    return {
        "Dow x6, x4 (5,668 x 2), K=6 full": (dow, 6, "full"),
        "PCA(30) digits (1,797 x 30), K=10 full": (pca, 10, "full"),
        "PCA(30) digits (1,797 x 30), K=10 diag": (pca, 10, "diag"),
        f"synthetic {n:,} x 10, K=8 full": (big, 8, "full"),
    }


def _timed(fit, repeat: int) -> tuple[float, float, object]:
    walls, cpus, est = [], [], None
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        est = fit()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), est


def run(X: np.ndarray, k: int, ctype: str, repeat: int) -> dict:
    labels = KMeans(k, n_init=1, random_state=0).fit(X).labels_
    _register(labels)
    kw = dict(n_components=k, covariance_type=ctype, max_iter=1000, random_state=0)

    def ours():
        return BayesianGaussianMixture(init_params=_GIVEN, **kw).fit(X)

    def theirs():
        est = _SkFromLabels(**kw)
        est.labels = labels
        return est.fit(X)

    out = {}
    with threadpool_limits(1):
        for name, fit in (("densitykit", ours), ("scikit-learn", theirs)):
            fit()  # warm-up (imports, caches)
            out[name] = _timed(fit, repeat)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="20,000 rows instead of 100,000")
    args = ap.parse_args()
    host = platform.processor() or platform.machine()
    print(f"# {host}, {os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d %H:%M')} UTC, "
          f"median of {args.repeat}; load average {os.getloadavg()[0]:.1f}", flush=True)
    print("| workload | iterations dk / sk | densitykit wall s (CPU s) | scikit-learn wall s "
          "(CPU s) | ratio wall | ratio CPU | lower bound, relative difference |")
    print("|---|---|---|---|---|---|---|")
    for name, (X, k, ctype) in workloads(args.quick).items():
        r = run(X, k, ctype, args.repeat)
        (tw, tc, dk), (sw, sc, sk) = r["densitykit"], r["scikit-learn"]
        lb_sk = float(np.ravel(sk.lower_bound_)[0])
        rel = abs(dk.lower_bound_ - lb_sk) / abs(lb_sk)
        print(f"| {name} | {dk.n_iter_} / {sk.n_iter_} | {tw:.3f} ({tc:.3f}) | {sw:.3f} "
              f"({sc:.3f}) | **{sw / tw:.1f}x** | {sc / tc:.1f}x | {rel:.1e} |", flush=True)


if __name__ == "__main__":
    main()
