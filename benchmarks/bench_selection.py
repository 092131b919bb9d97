"""Model selection: densitykit's ModelSelector against the chapter's scikit-learn BIC loops.

The chapter chooses the number of mixture components with four hand-written loops (fit,
``bic``, append). Each is run here side by side with one ``ModelSelector`` call on the same
data and grid (``criterion='bic'``, all cores), and, for reference, the same plain loop with
densitykit's GaussianMixture. Reported: median seconds, the speed-up of the selector over the
chapter's loop, each side's best BIC (lower is better) and chosen number of components. With
``--seeds N`` every workload runs with random_state 0 .. N-1 (the best BIC of a sweep depends
on the k-means starts): times and BICs are then medians over the seeds, and the last column
counts the seeds where the selector's best BIC is at least as good as the loop's.

    .venv/bin/python benchmarks/bench_selection.py [--repeat 1] [--seeds 1] [--only digits_full]
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


def chapter_loop(cls, X, ctype, grid, seed):
    """The chapter's loop: fit each size, keep the BICs."""
    bics = [cls(n, covariance_type=ctype, random_state=seed).fit(X).bic(X) for n in grid]
    i = int(np.argmin(bics))
    return float(bics[i]), grid[i]


def selector(X, ctype, grid, seed, n_jobs):
    sel = ModelSelector(
        GaussianMixture(covariance_type=ctype),
        {"n_components": grid},
        criterion="bic",
        n_jobs=n_jobs,
        random_state=seed,
    ).fit(X)
    return float(sel.results_["bic"].min()), sel.best_params_["n_components"]


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument(
        "--sk-threads",
        type=int,
        default=None,
        help="limit scikit-learn's BLAS/OpenMP threads (its OpenMP k-means spins badly on a "
        "loaded machine)",
    )
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}"
    )
    print(
        "| workload | sklearn loop s | densitykit loop s | selector s | speed-up | "
        "best BIC sklearn | best BIC selector | n sklearn | n selector | selector BIC <= |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, (X, ctype, grid) in workloads().items():
        if args.only and name not in args.only:
            continue
        t_sk, t_dk, t_sel, sk_best, sel_best = [], [], [], [], []
        for seed in range(args.seeds):
            for _ in range(args.repeat):
                with threadpool_limits(args.sk_threads):
                    t, sk_out = timed(chapter_loop, SkGaussianMixture, X, ctype, grid, seed)
                t_sk.append(t)
                t, _ = timed(chapter_loop, GaussianMixture, X, ctype, grid, seed)
                t_dk.append(t)
                t, sel_out = timed(selector, X, ctype, grid, seed, args.n_jobs)
                t_sel.append(t)
            sk_best.append(sk_out)
            sel_best.append(sel_out)
        sk, dk, se = median(t_sk), median(t_dk), median(t_sel)
        wins = sum(b_sel <= b_sk for (b_sk, _), (b_sel, _) in zip(sk_best, sel_best))
        print(
            f"| {name} | {sk:.2f} | {dk:.2f} | {se:.2f} | {sk / se:.1f}x | "
            f"{median(b for b, _ in sk_best):.1f} | {median(b for b, _ in sel_best):.1f} | "
            f"{'/'.join(str(n) for _, n in sk_best)} | {'/'.join(str(n) for _, n in sel_best)} | "
            f"{wins}/{args.seeds} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
