"""Generative classifiers on the digits: densitykit against the chapter's scikit-learn code.

Side by side in one run, fit + predict on the chapter's split (test_size=0.3,
random_state=1): the chapter's not-so-naive Bayes loop over scikit-learn's KernelDensity
(bandwidth 10) against ``GenerativeClassifier(densitykit KernelDensity(bandwidth=10))``, and
scikit-learn's GaussianNB against ``GenerativeClassifier(Normal('diag'))``. Median seconds
over ``--repeat`` runs, the speed-up, and both accuracies.

    .venv/bin/python benchmarks/bench_classify.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from statistics import median

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KernelDensity as SkKernelDensity

from densitykit.classify import GenerativeClassifier
from densitykit.datasets import load_digits
from densitykit.gaussian import Normal
from densitykit.kde import KernelDensity


def not_so_naive(X_train, X_test, y_train, model):
    """The chapter's classifier, as written there."""
    for y in range(10):
        X = X_train[y_train == y]
        model.fit(X)
        proba_y = X.shape[0] / X_train.shape[0]
        likelihood = np.exp(model.score_samples(X_test))
        post_proba = proba_y * likelihood
        if y == 0:
            prediction = post_proba.reshape(-1, 1)
        else:
            prediction = np.append(prediction, post_proba.reshape(-1, 1), axis=1)
    return np.argmax(prediction, axis=1)


def run(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return median(times), out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    digits = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        digits.data, digits.target, test_size=0.3, random_state=1
    )
    eps = 1e-9 * X_train.var(axis=0).max()
    cases = {
        "KDE bandwidth 10": (
            lambda: not_so_naive(X_train, X_test, y_train, SkKernelDensity(bandwidth=10)),
            lambda: (
                GenerativeClassifier(KernelDensity(bandwidth=10))
                .fit(X_train, y_train)
                .predict(X_test)
            ),
        ),
        "Gaussian naive Bayes": (
            lambda: GaussianNB().fit(X_train, y_train).predict(X_test),
            lambda: (
                GenerativeClassifier(Normal(covariance_type="diag", reg_covar=eps))
                .fit(X_train, y_train)
                .predict(X_test)
            ),
        ),
    }
    # warm-up (compiled kernels, imports)
    for _, ours in cases.values():
        ours()
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}, "
        f"median of {args.repeat}"
    )
    print(
        "| fit + predict | scikit-learn s | densitykit s | speed-up | accuracy sklearn | "
        "accuracy densitykit |"
    )
    print("|---|---|---|---|---|---|")
    for name, (peer, ours) in cases.items():
        t_peer, p_peer = run(peer, args.repeat)
        t_ours, p_ours = run(ours, args.repeat)
        print(
            f"| {name} | {t_peer:.4f} | {t_ours:.4f} | {t_peer / t_ours:.1f}x | "
            f"{np.mean(p_peer == y_test)} | {np.mean(p_ours == y_test)} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
