"""Draw docs/example.png, the README's picture (run: .venv/bin/python docs/make_example.py)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from densitykit import GaussianMixture, ModelSelector
from densitykit.datasets import load_dow
from densitykit.plotting import plot_criterion, plot_mixture_2d

X = load_dow().data.iloc[:, [6, 4]].to_numpy()
sel = ModelSelector(GaussianMixture(random_state=0), {"n_components": range(1, 16)},
                    criterion="bic").fit(X)
gm = sel.best_estimator_
X_new, _ = gm.sample(len(X), random_state=0)

fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
plot_criterion(sel.results_, "bic", ax=axes[0])
axes[0].set_title("BIC by number of components")
plot_mixture_2d(gm, X, ax=axes[1])
axes[1].set_title(f"Data and the {gm.n_components}-component mixture")
axes[2].scatter(X_new[:, 0], X_new[:, 1], s=4, alpha=0.3)
axes[2].set_title("Synthetic rows")
for ax in axes[1:]:
    ax.set_xlabel("x7 (feature 6)")
    ax.set_ylabel("x5 (feature 4)")
fig.tight_layout()
fig.savefig(Path(__file__).with_name("example.png"), dpi=80)
