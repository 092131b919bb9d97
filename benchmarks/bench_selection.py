"""Model selection: densitykit's ModelSelector against the chapter's scikit-learn BIC loops.

The chapter chooses the number of mixture components with four hand-written loops (fit,
``bic``, append). Each is run here side by side with one ``ModelSelector`` call on the same
data and grid (``criterion='bic'``), BLAS and OpenMP limited to one thread on both sides
(threadpoolctl). The selector runs with ``n_jobs=1`` (every fit on the calling thread: one
thread in all) and, unless ``--no-parallel``, with ``n_jobs=-1`` (fits side by side on the
cores). Reported per workload: median wall and CPU seconds over the seeds, the speed-up of
the selector over the loop (wall), the median best BIC of each side (lower is better), the
chosen sizes seed by seed and how many seeds the selector's best BIC is at least as good as
the loop's. ``--seeds N`` runs random_state 0 .. N-1; ``--per-seed`` prints each seed's best
BICs. The selector holds out the last of 5 contiguous folds for its held-out column;
``--no-holdout`` runs it with ``cv=None`` (BIC only, one fit per size, as the loop).

    .venv/bin/python benchmarks/bench_selection.py [--seeds 5] [--only digits_full] [--per-seed]
        [--no-holdout]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from statistics import median

import numpy as np
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture as SkGaussianMixture
from threadpoolctl import threadpool_limits

from densitykit.datasets import load_digits, load_dow
from densitykit.gaussian import GaussianMixture
from densitykit.selection import ModelSelector


def workloads() -> dict[str, tuple[np.ndarray, str, list[int]]]:
    X_dow = load_dow().data.to_numpy()[:, [6, 4]]
    X_digits = np.asarray(load_digits().data)
    X_pca = PCA(30).fit_transform(X_digits)
    return {
        "dow_2d_full": (X_dow, "full", list(range(2, 50, 3))),
        "digits_full": (X_digits, "full", list(range(2, 20))),
        "digits_spherical": (X_digits, "spherical", list(range(2, 100, 3))),
        "digits_pca30_full": (X_pca, "full", list(range(2, 30))),
    }


def chapter_loop(X, ctype, grid, seed):
    """The chapter's loop with scikit-learn: fit each size, keep the BICs."""
    bics = [SkGaussianMixture(n, covariance_type=ctype, random_state=seed).fit(X).bic(X)
            for n in grid]
    i = int(np.argmin(bics))
    return float(bics[i]), grid[i]


def selector(X, ctype, grid, seed, n_jobs, cv=5):
    sel = ModelSelector(
        GaussianMixture(covariance_type=ctype),
        {"n_components": grid},
        criterion="bic",
        cv=cv,
        n_jobs=n_jobs,
        random_state=seed,
    ).fit(X)
    return float(sel.results_["bic"].min()), sel.best_params_["n_components"]


def timed(fn, *args):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args)
    return (time.perf_counter() - w0, time.process_time() - c0), out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--no-parallel", action="store_true")
    parser.add_argument("--per-seed", action="store_true")
    parser.add_argument("--no-holdout", action="store_true",
                        help="the selector with cv=None: BIC only, no held-out column, "
                             "like the loop (default: the last of 5 contiguous folds held out)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    cv = None if args.no_holdout else 5
    print(f"# cv={cv}; {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}, "
          f"load {os.getloadavg()[0]:.1f}")
    head = ("| workload | sklearn wall s | sklearn CPU s | selector 1 thread wall s | CPU s | "
            "speed-up |")
    if not args.no_parallel:
        head += " selector n_jobs=-1 wall s | CPU s | speed-up |"
    head += " best BIC sklearn | best BIC selector | n sklearn | n selector | selector BIC <= |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for name, (X, ctype, grid) in workloads().items():
        if args.only and name not in args.only:
            continue
        t_sk, t_one, t_par, sk_best, sel_best = [], [], [], [], []
        with threadpool_limits(1):
            for seed in range(args.seeds):
                t, sk_out = timed(chapter_loop, X, ctype, grid, seed)
                t_sk.append(t)
                t, sel_out = timed(selector, X, ctype, grid, seed, 1, cv)
                t_one.append(t)
                if not args.no_parallel:
                    t, _ = timed(selector, X, ctype, grid, seed, -1, cv)
                    t_par.append(t)
                sk_best.append(sk_out)
                sel_best.append(sel_out)
                if args.per_seed:
                    print(f"#   {name} seed {seed}: sklearn {sk_out[0]:.1f} (n={sk_out[1]}), "
                          f"selector {sel_out[0]:.1f} (n={sel_out[1]}); wall "
                          f"{t_sk[-1][0]:.2f} / {t_one[-1][0]:.2f} s", flush=True)

        def med(ts, j):
            return median(t[j] for t in ts)

        wins = sum(b_sel <= b_sk for (b_sk, _), (b_sel, _) in zip(sk_best, sel_best))
        line = (f"| {name} | {med(t_sk, 0):.2f} | {med(t_sk, 1):.2f} | {med(t_one, 0):.2f} | "
                f"{med(t_one, 1):.2f} | **{med(t_sk, 0) / med(t_one, 0):.1f}x** |")
        if t_par:
            line += (f" {med(t_par, 0):.2f} | {med(t_par, 1):.2f} | "
                     f"{med(t_sk, 0) / med(t_par, 0):.1f}x |")
        line += (f" {median(b for b, _ in sk_best):.1f} | {median(b for b, _ in sel_best):.1f} | "
                 f"{'/'.join(str(n) for _, n in sk_best)} | "
                 f"{'/'.join(str(n) for _, n in sel_best)} | {wins}/{args.seeds} |")
        print(line, flush=True)


if __name__ == "__main__":
    main()
