"""Gaussian mixtures: densitykit against scikit-learn, side by side in one run.

1. EM time per iteration on 1,000,000 x 20 with 10 full components, both started from the
   same parameters: densitykit in float64 and, for float32 input, in float32, with plain EM
   so that every pass is scikit-learn's step. Per-iteration time = (t(max_iter=3) -
   t(max_iter=1)) / 2, so the initialisation that scikit-learn runs anyway is not counted;
   with the log-likelihood reached and densitykit's peak extra memory.
2. The chapter's four BIC sweeps end to end (initialisation included), best BIC of each.

Run: ``.venv/bin/python benchmarks/bench_gmm.py [--quick] [--repeat R]``
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import tracemalloc
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture as SkGMM
from threadpoolctl import threadpool_limits

from densitykit import GaussianMixture
from densitykit.datasets import load_dow

warnings.filterwarnings("ignore")


def _timed(fn, repeat: int = 1) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _sk_limited(fn, threads: int | None):
    """Run scikit-learn's side with ``threads`` BLAS/OpenMP threads (None: its default)."""
    if threads is None:
        return fn()
    with threadpool_limits(threads):
        return fn()


def em_per_iteration(n: int, repeat: int, sk_threads: int | None) -> dict:
    rng = np.random.default_rng(0)
    d, k = 20, 10
    centers = rng.normal(0, 4, (k, d))
    X = centers[rng.integers(k, size=n)] + rng.standard_normal((n, d))
    start = GaussianMixture(k, random_state=0, max_iter=2).fit(X[:20_000])
    init = dict(weights_init=start.weights_, means_init=start.means_,
                precisions_init=start.precisions_)
    out = {}
    X32 = X.astype(np.float32)
    runs = (("densitykit", GaussianMixture, X, {"acceleration": None}),
            ("densitykit float32", GaussianMixture, X32, {"acceleration": None}),
            ("scikit-learn", SkGMM, X, {}))
    for name, cls, data, kw in runs:
        r, th = (1, sk_threads) if name == "scikit-learn" else (repeat, None)

        def fit(iters, c=cls, th=th, data=data, kw=kw):
            return _sk_limited(lambda: c(k, tol=0, max_iter=iters, **init, **kw).fit(data), th)

        t1, _ = _timed(lambda: fit(1), r)
        t3, m = _timed(lambda: fit(3), r)
        out[name] = ((t3 - t1) / 2, m.lower_bound_)
    tracemalloc.start()
    GaussianMixture(k, tol=0, max_iter=3, **init).fit(X)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    out["peak_mb"] = peak / 2**20
    out["input_mb"] = X.nbytes / 2**20
    return out


def sweeps() -> dict:
    dow = np.asarray(load_dow().data)[:, [6, 4]]
    digits = load_digits().data
    pca = PCA(30).fit_transform(digits)
    return {
        "Dow x6,x4 full 2..49:3": (dow, range(2, 50, 3), "full"),
        "digits full 2..19": (digits, range(2, 20), "full"),
        "digits spherical 2..99:3": (digits, range(2, 100, 3), "spherical"),
        "PCA(30) digits full 2..29": (pca, range(2, 30), "full"),
    }


def run_sweep(cls, X, ks, ctype) -> float:
    return min(cls(k, covariance_type=ctype, random_state=0).fit(X).bic(X) for k in ks)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="100,000 rows instead of 1,000,000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sk-threads", type=int, default=None,
                    help="limit scikit-learn's threads (its threads spin on a busy machine)")
    ap.add_argument("--skip-em", action="store_true", help="only the BIC sweeps")
    args = ap.parse_args()
    host = platform.processor() or platform.machine()
    print(f"# {host}, {time.strftime('%Y-%m-%d %H:%M')}, scikit-learn threads: "
          f"{args.sk_threads or 'default'}", flush=True)
    n = 100_000 if args.quick else 1_000_000
    if not args.skip_em:
        em = em_per_iteration(n, args.repeat, args.sk_threads)
        (ours, lb_ours), (theirs, lb_theirs) = em["densitykit"], em["scikit-learn"]
        single, lb_single = em["densitykit float32"]
        print(f"EM per iteration, {n:,} x 20, K=10 full: densitykit {ours:.3f} s, "
              f"scikit-learn {theirs:.3f} s, ratio {theirs / ours:.1f}x; lower bound "
              f"{lb_ours:.10f} vs {lb_theirs:.10f}; peak extra memory {em['peak_mb']:.0f} MB "
              f"(input {em['input_mb']:.0f} MB)", flush=True)
        print(f"  float32 input: densitykit {single:.3f} s, ratio {theirs / single:.1f}x; "
              f"lower bound {lb_single:.10f} (relative difference "
              f"{abs(lb_single - lb_ours) / abs(lb_ours):.1e})", flush=True)
    for name, (X, ks, ctype) in sweeps().items():
        args_ = (X, ks, ctype)
        t_ours, b_ours = _timed(lambda a=args_: run_sweep(GaussianMixture, *a), args.repeat)
        t_sk, b_sk = _timed(lambda a=args_: _sk_limited(lambda: run_sweep(SkGMM, *a),
                                                        args.sk_threads), 1)
        print(f"{name}: densitykit {t_ours:.2f} s, scikit-learn {t_sk:.2f} s, "
              f"ratio {t_sk / t_ours:.1f}x; best BIC {b_ours:.1f} vs {b_sk:.1f}", flush=True)


if __name__ == "__main__":
    main()
