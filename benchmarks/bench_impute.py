"""Imputing empty cells: densitykit's kernel-density and mixture fills against scikit-learn's
imputers.

On the standardised Dow inputs (complete rows only, each column scaled to mean 0 and
variance 1), cells are emptied completely at random (5 %, 20 %, 40 %) and not at random
(high values of every column emptied more often); each imputer fills them and is scored by
the RMSE on the emptied cells (in standard deviations) and its wall time. The mixture's
number of components is chosen from the observed cells only, never from the hidden values:
by default by cross-validation on observed cells (``--select cells``: empty 10 % more, pick
the K that fills them best), or by the held-out rows' log-likelihood of their observed cells
(``--select likelihood``). Both then refit the chosen K on every observed cell. Side by side,
``impute_table``'s default (``method='auto'``): the conditional of a Gaussian kernel density
with a covariance-shaped bandwidth, its shrinkage and bandwidth (or the single Gaussian)
chosen by held-out observed cells, the centres' empty cells refilled twice.

The second part times one EM pass (E-step statistics and M-step) at 10 % empty cells
against the same pass on the complete data, from the same parameters.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_impute.py [--repeat 3]``: one
thread for everyone. ``--default-threads`` (without ``OMP_NUM_THREADS``) runs each library
as a user would: densitykit's blocks of rows on every core it may use, scikit-learn's BLAS
with its own threads.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from densitykit import GaussianMixture
from densitykit import impute as dk_impute
from densitykit.datasets import load_dow
from densitykit.gaussian._covariance import COVARIANCE_TYPES
from densitykit.gaussian._engine import InMemoryData, Workspace, in_memory_stats, m_step

CANDIDATE_K = (1, 2, 4, 8)


def dow() -> np.ndarray:
    X = load_dow().data.dropna().to_numpy(dtype=np.float64)
    return (X - X.mean(0)) / X.std(0)


def empty_at_random(X: np.ndarray, frac: float, seed: int) -> np.ndarray:
    Xm = X.copy()
    Xm[np.random.default_rng(seed).random(X.shape) < frac] = np.nan
    return Xm


def empty_high_values(X: np.ndarray, seed: int) -> np.ndarray:
    """Not at random: a cell above its column's 70th percentile is emptied with probability
    0.4, any other with probability 0.05 (about 15 % of the cells in all)."""
    rng = np.random.default_rng(seed)
    high = X > np.quantile(X, 0.7, axis=0)
    Xm = X.copy()
    Xm[rng.random(X.shape) < np.where(high, 0.4, 0.05)] = np.nan
    return Xm


def _fit(k: int, X: np.ndarray, seed: int) -> GaussianMixture:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GaussianMixture(k, random_state=seed, max_iter=200).fit(X)


def choose_k_by_cells(Xm: np.ndarray, seed: int) -> int:
    """Cross-validation on observed cells: empty another 10 % of them, fit each K on what
    is left, keep the K that fills those cells with the lowest squared error."""
    check = ~np.isnan(Xm) & (np.random.default_rng(seed + 1000).random(Xm.shape) < 0.1)
    Xc = np.where(check, np.nan, Xm)
    err = {k: float(np.mean((_fit(k, Xc, seed).impute(Xc)[check] - Xm[check]) ** 2))
           for k in CANDIDATE_K}
    return min(err, key=err.get)


def choose_k_by_likelihood(Xm: np.ndarray, seed: int) -> int:
    """Held-out rows: fit each K on 80 % of the rows, keep the K whose mean log-density of
    the other rows' observed cells is highest."""
    perm = np.random.default_rng(seed).permutation(Xm.shape[0])
    held, train = perm[: Xm.shape[0] // 5], perm[Xm.shape[0] // 5 :]
    score = {k: _fit(k, Xm[train], seed).score(Xm[held]) for k in CANDIDATE_K}
    return max(score, key=score.get)


SELECT = {"cells": choose_k_by_cells, "likelihood": choose_k_by_likelihood}


def densitykit_impute(Xm: np.ndarray, seed: int, select: str) -> tuple[np.ndarray, int]:
    """Choose K from the observed cells only, refit on all of them, fill the empty cells
    with the conditional mean."""
    k = SELECT[select](Xm, seed)
    return _fit(k, Xm, seed).impute(Xm), k


def densitykit_auto(Xm: np.ndarray, seed: int) -> tuple[np.ndarray, str]:
    """``impute_table``'s default on the array: kernel or Gaussian by held-out cells, the
    second Gaussian's EM started from the first's."""
    rng = np.random.default_rng(seed)
    choice, start = dk_impute._choose(Xm, "auto", None, rng)
    filled = dk_impute._fills(Xm, choice, 1, rng, start)[0]
    return filled, (f"K={choice[1]}" if choice[0] == "mixture" else
                    f"s={choice[0]:g},h={choice[1]:g}")


def sklearn_imputers(seed: int, forest: bool = True) -> dict:
    """scikit-learn's imputers. ``IterativeImputer`` twice: with its default BayesianRidge
    chain, and with the random forest of scikit-learn's own imputation example (4 trees of
    depth 10 on half the rows each), which fills far better and takes a minute or more."""
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer

    out = {"SimpleImputer(mean)": SimpleImputer(strategy="mean"),
           "KNNImputer": KNNImputer(),
           "IterativeImputer": IterativeImputer(random_state=seed, max_iter=10)}
    if forest:
        out["IterativeImputer(random forest)"] = IterativeImputer(
            RandomForestRegressor(n_estimators=4, max_depth=10, bootstrap=True,
                                  max_samples=0.5, random_state=seed),
            random_state=seed, max_iter=10)
    return out


def rmse(X: np.ndarray, Xm: np.ndarray, filled: np.ndarray) -> float:
    hole = np.isnan(Xm)
    return float(np.sqrt(np.mean((filled[hole] - X[hole]) ** 2)))


def timed(fn):
    """``fn()``, its wall and CPU seconds (CPU of this process)."""
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, (time.perf_counter() - t, time.process_time() - c)


CASES = ("5", "20", "40", "mnar")


def impute_table(X: np.ndarray, repeat: int, select: str, forest: bool = True,
                 only: tuple = CASES, mixture: bool = True) -> None:
    cases = [(f"MCAR {int(f * 100)}%", lambda s, f=f: empty_at_random(X, f, s))
             for f in (0.05, 0.20, 0.40) if str(int(f * 100)) in only]
    if "mnar" in only:
        cases.append(("high values (MNAR)", lambda s: empty_high_values(X, s)))
    print("| case | imputer | RMSE (median) | wall / CPU s (medians) | choice |")
    print("|---|---|---|---|---|")
    for name, make in cases:
        rows: dict[str, list] = {}
        ks, picks = [], []
        for seed in range(repeat):
            Xm = make(seed)
            if mixture:
                (filled, k), t = timed(lambda Xm=Xm, seed=seed: densitykit_impute(Xm, seed,
                                                                                  select))
                rows.setdefault(f"densitykit GaussianMixture (K by {select})", []).append(
                    (rmse(X, Xm, filled), t))
                ks.append(k)
            (filled, what), t = timed(lambda Xm=Xm, seed=seed: densitykit_auto(Xm, seed))
            rows.setdefault("densitykit impute_table (auto: kernel density)", []).append(
                (rmse(X, Xm, filled), t))
            picks.append(what)
            for label, imp in sklearn_imputers(seed, forest).items():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    filled, t = timed(lambda imp=imp, Xm=Xm: imp.fit_transform(Xm))
                rows.setdefault(label, []).append((rmse(X, Xm, filled), t))
        best_sk = min(np.median([r[0] for r in v]) for k_, v in rows.items()
                      if not k_.startswith("densitykit"))
        for label, vals in rows.items():
            err = np.median([v[0] for v in vals])
            wall = np.median([v[1][0] for v in vals])
            cpu = np.median([v[1][1] for v in vals])
            kcol = ("/".join(map(str, ks)) if "Mixture" in label else
                    " ".join(picks) if label.startswith("densitykit") else "")
            note = f" ({err / best_sk - 1:+.1%} vs best sklearn)" if kcol else ""
            print(f"| {name} | {label} | {err:.3f}{note} | {wall:.2f} / {cpu:.2f} | {kcol} |")


def em_cost(X: np.ndarray, repeat: int, k: int = 8) -> None:
    """One EM pass at 10 % empty cells against the complete data, same parameters: wall and
    CPU seconds (all threads), medians. The two passes alternate, so that a change in the
    machine's speed during the run touches both alike."""
    Xm = empty_at_random(X, 0.10, 0)
    print(f"\n| covariance | complete pass (wall / CPU) | 10% empty pass (wall / CPU) | "
          f"ratio wall / CPU |  (K={k}, {X.shape[0]} x {X.shape[1]}, "
          f"{np.isnan(Xm).any(1).mean():.1%} rows incomplete)")
    print("|---|---|---|---|")
    for ct in ("full", "tied", "diag", "spherical"):
        ctype = COVARIANCE_TYPES[ct]
        gm = GaussianMixture(k, covariance_type=ct, random_state=0, max_iter=20)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gm.fit(X)
        passes = []
        for data_ in (X, Xm):
            ws = Workspace.from_data(data_)
            fn = in_memory_stats(InMemoryData(data_, None, ws), ctype)
            p, reg = ws.from_user(gm._user_params()), gm.reg_covar / ws.scale**2
            m_step(fn(p), ctype, reg)  # compile and cache before timing
            passes.append(lambda fn=fn, p=p, reg=reg, ct=ctype: m_step(fn(p), ct, reg))
        times = [[], []]
        for _ in range(max(repeat, 5)):
            for i, one in enumerate(passes):
                t, c = time.perf_counter(), time.process_time()
                one()
                times[i].append((time.perf_counter() - t, time.process_time() - c))
        (w0, c0), (w1, c1) = (np.median(np.asarray(t), axis=0) for t in times)
        print(f"| {ct} | {w0 * 1e3:.1f} / {c0 * 1e3:.1f} ms | {w1 * 1e3:.1f} / {c1 * 1e3:.1f} ms "
              f"| {w1 / w0:.2f}x / {c1 / c0:.2f}x |")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="seeds per case (medians)")
    ap.add_argument("--select", choices=sorted(SELECT), default="cells",
                    help="how K is chosen from the observed cells")
    ap.add_argument("--skip-impute", action="store_true")
    ap.add_argument("--skip-em", action="store_true", help="skip the EM-cost tables")
    ap.add_argument("--no-forest", action="store_true",
                    help="skip IterativeImputer with a random forest (about a minute a fill)")
    ap.add_argument("--cases", nargs="+", choices=CASES, default=CASES,
                    help="which emptied tables: 5, 20, 40 %% at random, mnar (high values)")
    ap.add_argument("--no-mixture", action="store_true",
                    help="skip densitykit's mixture with K by held-out cells (15 s at 40 %%)")
    ap.add_argument("--default-threads", action="store_true",
                    help="leave BLAS its own threads (else one), as a user's session does")
    args = ap.parse_args(argv)
    print(f"# {platform.machine()} {os.cpu_count()} cores, numpy {np.__version__}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    X = dow()
    with contextlib.nullcontext() if args.default_threads else threadpool_limits(1):
        if not args.skip_impute:
            impute_table(X, args.repeat, args.select, forest=not args.no_forest,
                         only=tuple(args.cases), mixture=not args.no_mixture)
        if not args.skip_em:
            em_cost(X, args.repeat)
            em_cost(X[:, :10], args.repeat)  # fewer columns: a third of the rows stay complete


if __name__ == "__main__":
    main()
