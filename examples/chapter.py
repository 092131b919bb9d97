"""The generative-models chapter, end to end, with densitykit.

Every step of the chapter (normal distribution, Gaussian mixtures on two Dow features, BIC
curves, mixtures on the 8x8 digits in full and spherical form, a mixture after PCA, the
digit-6 model, kernel density estimates in 1-D and 64-D, the not-so-naive Bayes classifier
and Gaussian naive Bayes) as one call each. Figures are written as PNG files into ``--out``
and the chapter's numbers are printed.

Run it with::

    python examples/chapter.py --out out/chapter

The Dow data here is the validation split shipped with densitykit (5,668 clean rows), not
the chapter's training split, so the Dow numbers differ from the chapter's; the digits
numbers are the chapter's exactly.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from densitykit import plotting
from densitykit.classify import GenerativeClassifier
from densitykit.datasets import load_digits, load_dow
from densitykit.gaussian import GaussianMixture, Normal
from densitykit.gaussian.conditional import condition, conditional_mean
from densitykit.kde import KernelDensity
from densitykit.latent import LatentDensity
from densitykit.selection import ModelSelector

FEATURE_A, FEATURE_B = 6, 4


class Chapter:
    """Runs the sections in order, saving figures and collecting the printed numbers."""

    def __init__(self, out: Path, *, n_jobs: int, quick: bool, seed: int = 0) -> None:
        self.out = out
        self.n_jobs = n_jobs
        self.quick = quick
        self.seed = seed
        self.results: dict[str, Any] = {}
        self.figures: list[Path] = []
        out.mkdir(parents=True, exist_ok=True)

    # --- helpers -----------------------------------------------------------------------------
    def save(self, fig: Any, name: str) -> None:
        path = self.out / f"{name}.png"
        fig.savefig(path, dpi=80, bbox_inches="tight")
        plt.close(fig)
        self.figures.append(path)

    def report(self, key: str, value: Any) -> None:
        self.results[key] = value
        print(f"{key}: {value}")

    def grid(self, full: range) -> list[int]:
        """The chapter's grid, or a thinned one in quick mode."""
        values = list(full)
        return [values[0], values[len(values) // 3]] if self.quick else values

    def sweep(self, X: np.ndarray, ctype: str, n_values: list[int], name: str) -> ModelSelector:
        sel = ModelSelector(
            GaussianMixture(covariance_type=ctype),
            {"n_components": n_values},
            criterion="bic",
            n_jobs=self.n_jobs,
            random_state=self.seed,
        ).fit(X)
        fig, ax = sel.plot()
        ax.set_title(f"{name}: covariance_type = {ctype}")
        self.save(fig, f"bic_{name}_{ctype}")
        table = sel.results_
        self.report(f"{name} {ctype}: BIC-best n_components", sel.best_params_["n_components"])
        self.report(f"{name} {ctype}: best BIC", round(float(table["bic"].min()), 1))
        best = table.loc[sel.best_index_]
        self.report(
            f"{name} {ctype}: held-out log-lik/row of the BIC choice (best held-out)",
            f"{best['heldout_loglik']:.3f} ({table['heldout_loglik'].max():.3f})",
        )
        return sel

    # --- 7.6.2 the normal distribution ----------------------------------------------------------
    def normal(self, x_1d: np.ndarray) -> None:
        std = Normal().fit(np.random.default_rng(self.seed).normal(size=(100000, 1)))
        fig, _ = plotting.plot_density_1d(
            std.sample(100000, random_state=1)[:, 0], std, labels=("New samples", "Normal")
        )
        self.save(fig, "normal_distribution")
        model = Normal().fit(x_1d[:, None])
        self.report(
            "Dow feature 6: mean, std",
            (round(float(model.mean_[0]), 4), round(float(np.sqrt(model.covariance_[0, 0])), 4)),
        )
        synthetic = model.sample(1000, random_state=self.seed)
        fig, ax = plt.subplots()
        ax.hist(x_1d, density=True, alpha=0.5, label="Actual data")
        ax.hist(synthetic[:, 0], density=True, alpha=0.5, label="Synthetic data")
        ax.set_title("Simple generative model")
        ax.legend()
        self.save(fig, "normal_dow_feature6")

    # --- 7.6.3 Gaussian mixtures on two Dow features -------------------------------------------
    def mixtures_2d(self, X_2d: np.ndarray) -> None:
        for k in (2, 9):
            gmm = GaussianMixture(k, covariance_type="full", random_state=0).fit(X_2d)
            fig, ax, _ = plotting.plot_mixture_2d(gmm, X_2d)
            ax.set_title(f"GMM with {k} components")
            self.save(fig, f"gmm_dow_{k}_components")
            self.report(f"Dow 2-D GMM({k}) BIC", round(gmm.bic(X_2d), 1))
        X_new, _ = gmm.sample(2000, random_state=self.seed)
        fig, _ = plotting.plot_data_vs_synthetic(X_2d, X_new)
        self.save(fig, "gmm_dow_synthetic")
        # beyond the chapter: the distribution of feature 4 given feature 6
        given = np.quantile(X_2d[:, 0], [0.1, 0.5, 0.9])
        means = conditional_mean(gmm, [0], given[:, None])[:, 0]
        self.report(
            "E[feature 4 | feature 6 at its 10/50/90% quantiles]",
            [round(float(m), 3) for m in means],
        )
        fig, ax = plt.subplots()
        lo, hi = X_2d[:, 1].min(), X_2d[:, 1].max()
        grid = np.linspace(lo, hi, 400)
        for q, v in zip((10, 50, 90), given):
            cond = condition(gmm, [0], [v])
            ax.plot(
                grid, np.exp(cond.score_samples(grid[:, None])), label=f"feature 6 = {v:.3g} (q{q})"
            )
        ax.set_xlabel("feature 4")
        ax.set_ylabel("p(feature 4 | feature 6)")
        ax.legend()
        self.save(fig, "gmm_dow_conditional")

    # --- 7.6.4 high dimensions -------------------------------------------------------------------
    def digits_mixtures(self, X: np.ndarray, y: np.ndarray) -> None:
        full = self.sweep(X, "full", self.grid(range(2, 20)), "digits")
        imgs, _ = full.sample(20, random_state=self.seed)
        fig, _ = plotting.plot_image_grid(imgs)
        self.save(fig, "digits_samples_full")
        sph = self.sweep(X, "spherical", self.grid(range(2, 100, 3)), "digits")
        imgs, _ = sph.sample(20, random_state=self.seed)
        fig, _ = plotting.plot_image_grid(imgs)
        self.save(fig, "digits_samples_spherical")

        # GMM after PCA(30): the chapter's BIC in the 30-D space, then sampled back
        X_k = PCA(30).fit_transform(X)
        pca_sel = self.sweep(X_k, "full", self.grid(range(2, 30)), "digits_pca30")
        k_best = pca_sel.best_params_["n_components"]
        # the same model as a true density in 64-D, so its BIC compares with the direct GMMs
        latent = LatentDensity(PCA(30), GaussianMixture(k_best, random_state=self.seed)).fit(X)
        self.report("PCA(30)+GMM BIC in the 64-D space", round(latent.bic(X), 1))
        self.report(
            "direct full GMM best BIC in the 64-D space",
            round(float(full.results_["bic"].min()), 1),
        )
        fig, _ = plotting.plot_image_grid(latent.sample(20, random_state=self.seed))
        self.save(fig, "digits_samples_pca_gmm")

        # 7.6.4.1 a model of the digit 6
        gmm6 = GaussianMixture(5, covariance_type="spherical", random_state=0).fit(X[y == 6])
        imgs, _ = gmm6.sample(20, random_state=self.seed)
        fig, _ = plotting.plot_image_grid(imgs)
        self.save(fig, "digit6_samples")

    # --- 7.6.5 kernel density estimation ---------------------------------------------------------
    def kde(self, x_1d: np.ndarray, X_digits: np.ndarray) -> None:
        kde = KernelDensity(bandwidth=0.15, kernel="gaussian").fit(x_1d[:, None])
        grid = np.linspace(x_1d.min(), x_1d.max(), 1000)
        fig, ax = plotting.plot_density_1d(
            x_1d, kde, bins=100, grid=grid, labels=("Histogram", "KDE")
        )
        ax.set_title("Histogram vs. KDE")
        self.save(fig, "kde_vs_histogram")
        synthetic = kde.sample(10000, random_state=self.seed)
        kde_syn = KernelDensity(bandwidth=0.15).fit(synthetic)
        fig, ax = plt.subplots()
        ax.plot(grid, np.exp(kde_syn.score_samples(grid[:, None])), lw=3, label="Synthetic data")
        ax.plot(grid, np.exp(kde.score_samples(grid[:, None])), label="Original data")
        ax.legend()
        self.save(fig, "kde_synthetic_vs_original")
        kde_images = KernelDensity(bandwidth=0.25).fit(X_digits)
        fig, _ = plotting.plot_image_grid(kde_images.sample(20, random_state=self.seed))
        self.save(fig, "kde_digits_samples")

    # --- 7.6.6 not-so-naive Bayes ----------------------------------------------------------------
    def bayes(self, X: np.ndarray, y: np.ndarray) -> None:
        model0 = KernelDensity(bandwidth=10, kernel="gaussian").fit(X[y == 0])
        self.report(
            "log p(x | 0) for the first 3 digits", np.round(model0.score_samples(X[:3]), 8).tolist()
        )
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=1)
        clf = GenerativeClassifier(KernelDensity(bandwidth=10)).fit(X_train, y_train)
        pred = clf.predict(X_test)
        self.report(
            "not-so-naive Bayes (KDE, bandwidth 10) accuracy", float(np.mean(pred == y_test))
        )
        fig, ax, _ = plotting.plot_confusion_matrix(y_test, pred)
        ax.set_title("Not-so-naive Bayes")
        self.save(fig, "confusion_kde_bayes")
        eps = 1e-9 * X_train.var(axis=0).max()  # GaussianNB's var_smoothing
        nb = GenerativeClassifier(Normal(covariance_type="diag", reg_covar=eps))
        yhat = nb.fit(X_train, y_train).predict(X_test)
        self.report("Gaussian naive Bayes accuracy", float(np.mean(yhat == y_test)))
        fig, ax, _ = plotting.plot_confusion_matrix(y_test, yhat)
        ax.set_title("Gaussian naive Bayes")
        self.save(fig, "confusion_gaussian_nb")

    def run(self) -> dict[str, Any]:
        t0 = time.perf_counter()
        X_dow = load_dow().data.to_numpy()
        self.report("Dow inputs (rows, columns)", X_dow.shape)
        x_1d = X_dow[:, FEATURE_A]
        X_2d = X_dow[:, [FEATURE_A, FEATURE_B]]
        digits = load_digits()
        X_digits, y_digits = np.asarray(digits.data), np.asarray(digits.target)
        self.normal(x_1d)
        self.mixtures_2d(X_2d)
        self.sweep(X_2d, "full", self.grid(range(2, 50, 3)), "dow_2d")
        self.digits_mixtures(X_digits, y_digits)
        self.kde(x_1d, X_digits)
        self.bayes(X_digits, y_digits)
        self.report("figures written", len(self.figures))
        self.report("seconds", round(time.perf_counter() - t0, 1))
        return self.results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/chapter", help="folder for the PNG figures")
    parser.add_argument("--n-jobs", type=int, default=-1, help="parallel candidates (-1: all)")
    parser.add_argument("--quick", action="store_true", help="thinned BIC grids (for tests)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with warnings.catch_warnings():
        # digits have pixels that are constant within a class or a fold: expected here
        warnings.filterwarnings("ignore", message="Column")
        chapter = Chapter(Path(args.out), n_jobs=args.n_jobs, quick=args.quick, seed=args.seed)
        return chapter.run()


if __name__ == "__main__":
    main(sys.argv[1:])
