"""Synthetic Dow rows: densitykit's Synthesizer against scikit-learn baselines.

Every model is fitted on 80% of the cleaned Dow table (5,668 rows x 40 inputs) and judged on
the 20% held out from every fit (an *independent* split: the Synthesizer never sees it, and
sets its own test rows aside inside the 80%): per-column similarity (KS complement),
correlation similarity, pairwise trend similarity, detection AUC, held-out log-likelihood
(nats per row: table units for the baselines, normal-score units for the Synthesizer) and
copied rows. Over ``--seeds`` independent splits it also compares the detection AUC the
Synthesizer reports (on its own test rows) with the one on the independent rows. Then
``densitykit synth`` runs end to end on the whole table.

Run: .venv/bin/python benchmarks/bench_synth.py [--quick] [--seeds 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from densitykit import Synthesizer
from densitykit.data import read_table
from densitykit.evaluate import evaluate

DATA = Path(__file__).resolve().parents[1] / "src/densitykit/datasets/data"
DOW = DATA / "dow_impurity_validation.csv.gz"


def load() -> pd.DataFrame:
    """The chapter's table: complete rows of the 40 inputs (no date), as every model here
    takes them."""
    return read_table(DOW, exclude="-5:", check="all").data.reset_index(drop=True)


class _Scaled:
    """A scikit-learn density fitted on standardised rows, scoring in table units."""

    def __init__(self, est, X):
        self.mu, self.sd = X.mean(axis=0), X.std(axis=0)
        self.est = est.fit((X - self.mu) / self.sd)

    def score_samples(self, X):
        X = np.asarray(X, dtype=np.float64)
        return self.est.score_samples((X - self.mu) / self.sd) - np.log(self.sd).sum()

    def sample(self, n, random_state=0):
        if hasattr(self.est, "weights_"):  # scikit-learn mixtures take the estimator's seed
            self.est.random_state = random_state
            out = self.est.sample(n)[0]
        else:
            out = self.est.sample(n, random_state=random_state)
        return out * self.sd + self.mu


class _Raw:
    def __init__(self, est):
        self.est = est

    def score_samples(self, X):
        return self.est.score_samples(np.asarray(X, dtype=np.float64))

    def sample(self, n, random_state=0):
        self.est.random_state = random_state
        return self.est.sample(n)[0]


def sklearn_bic_gmm(train: np.ndarray, ks) -> tuple[_Raw, int]:
    from sklearn.mixture import GaussianMixture

    best, best_bic, best_k = None, np.inf, 0
    for k in ks:
        gm = GaussianMixture(k, covariance_type="full", random_state=0).fit(train)
        bic = gm.bic(train)
        if bic < best_bic:
            best, best_bic, best_k = gm, bic, k
    return _Raw(best), best_k


def independent_normals(train: np.ndarray) -> _Scaled:
    from sklearn.mixture import GaussianMixture

    return _Scaled(GaussianMixture(1, covariance_type="diag", random_state=0), train)


def one_normal(train: np.ndarray) -> _Raw:
    from sklearn.mixture import GaussianMixture

    return _Raw(GaussianMixture(1, covariance_type="full", random_state=0).fit(train))


def sklearn_kde(train: np.ndarray) -> _Scaled:
    from sklearn.neighbors import KernelDensity

    return _Scaled(KernelDensity(bandwidth="scott"), train)


def row(name, model, train, hold, n, seconds):
    synth = model.sample(n, random_state=1)
    synth = (synth[train.columns] if isinstance(synth, pd.DataFrame)
             else pd.DataFrame(np.asarray(synth, dtype=np.float64), columns=train.columns))
    ev = evaluate(train, synth, holdout=hold, model=model, random_state=0)
    return {
        "model": name,
        "column sim": ev.column_similarity,
        "corr sim": ev.correlation_similarity,
        "trend sim": ev.trend_similarity,
        "detection AUC": ev.detection_auc,
        "held-out ll": ev.heldout_loglik,
        "copies": ev.privacy.n_copies,
        "closer than 5% held-out": ev.privacy.share_closer,
        "fit s": seconds,
    }


def honesty(df: pd.DataFrame, seeds: int) -> None:
    """The Synthesizer's own (test-row) detection AUC against an independent split's."""
    out = []
    for seed in range(seeds):
        perm = np.random.default_rng(100 + seed).permutation(len(df))
        n_train = int(0.8 * len(df))
        train, hold = df.iloc[perm[:n_train]], df.iloc[perm[n_train:]]
        t = time.perf_counter()
        synth = Synthesizer(random_state=seed).fit(train)
        seconds = time.perf_counter() - t
        rows = synth.sample(synth.n_train_, random_state=seed)
        own = synth.evaluate(synthetic=rows, random_state=seed)
        indep = evaluate(train, rows, holdout=hold, random_state=seed)
        out.append({"seed": seed, "chosen": f"{synth.family_} {synth.size_:g}",
                    "reported AUC (own test rows)": own.detection_auc,
                    "independent AUC": indep.detection_auc,
                    "difference": own.detection_auc - indep.detection_auc,
                    "closer than 5% (independent)": indep.privacy.share_closer,
                    "fit s": seconds})
    table = pd.DataFrame(out).set_index("seed")
    with pd.option_context("display.width", 200, "display.float_format", "{:.3f}".format):
        print(table.to_string())
        print("median:", table.drop(columns="chosen").median().round(3).to_dict(), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer baseline sizes, no CLI run")
    ap.add_argument("--seeds", type=int, default=3,
                    help="independent splits for the reported-vs-independent AUC check")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    df = load()
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(df))
    n_train = int(0.8 * len(df))
    train, hold = df.iloc[perm[:n_train]], df.iloc[perm[n_train:]]
    n = len(df)
    print(f"Dow table {df.shape[0]} x {df.shape[1]}; fit on {len(train)}, judge on {len(hold)}; "
          f"{n} synthetic rows per model", flush=True)
    rows = []
    for criterion in ("detection", "loglik"):
        t = time.perf_counter()
        ours = Synthesizer(criterion=criterion, random_state=0).fit(train)
        rows.append(row(f"densitykit Synthesizer, {criterion} ({ours.family_} {ours.size_:g})",
                        ours, train, hold, n, time.perf_counter() - t))
        with pd.option_context("display.width", 200):
            print(ours.results_.to_string(index=False), flush=True)
    X = train.to_numpy()
    ks = [1, 2, 4, 8, 12, 16] if args.quick else [1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 24, 32]
    t = time.perf_counter()
    gm, k = sklearn_bic_gmm(X, ks)
    rows.append(row(f"sklearn GMM, BIC k={k}", gm, train, hold, n, time.perf_counter() - t))
    for name, make in [("sklearn KDE (scott, standardised)", sklearn_kde),
                       ("one full normal", one_normal),
                       ("independent normals", independent_normals)]:
        t = time.perf_counter()
        model = make(X)
        rows.append(row(name, model, train, hold, n, time.perf_counter() - t))
    table = pd.DataFrame(rows).set_index("model")
    with pd.option_context("display.width", 200, "display.float_format", "{:.4g}".format):
        print(table.to_string())
    if not args.quick:
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "dow.csv.gz"
            src.write_bytes(DOW.read_bytes())
            cmd = [sys.executable, "-m", "densitykit", "synth", str(src), "--exclude", "-5:",
                   "--seed", "0", "--quiet", "-o", str(Path(tmp) / "dow-synthetic.csv")]
            times = []
            for _ in range(3):
                t = time.perf_counter()
                out = subprocess.run([*cmd, "--force"], capture_output=True, text=True,
                                     env={**os.environ, "PYTHONWARNINGS": "ignore"})
                times.append(time.perf_counter() - t)
                if out.returncode:
                    print(out.stderr)
                    break
            print(f"densitykit synth end to end (read, choose, sample {n} rows, report): "
                  f"median {np.median(times):.1f} s over {len(times)} runs", flush=True)
    honesty(df, args.seeds)


if __name__ == "__main__":
    main()
