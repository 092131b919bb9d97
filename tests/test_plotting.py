"""Plotting helpers on the Agg backend: what is drawn matches the model."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.metrics import confusion_matrix

from densitykit import plotting
from densitykit.exceptions import DataError
from densitykit.gaussian import GaussianMixture, Normal
from densitykit.gaussian.conditional import full_covariances
from densitykit.selection import ModelSelector

pytestmark = pytest.mark.filterwarnings("ignore:Column")


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _data(seed=0):
    rng = np.random.default_rng(seed)
    return np.vstack(
        [
            rng.multivariate_normal([0, 0], [[2, 1.2], [1.2, 1]], 200),
            rng.multivariate_normal([5, 3], [[1, -0.3], [-0.3, 0.5]], 200),
        ]
    )


def test_ellipse_geometry_matches_eigendecomposition():
    cov = np.array([[3.0, 1.0], [1.0, 2.0]])
    w, h, angle = plotting.ellipse_geometry(cov, 2.0)
    evals, evecs = np.linalg.eigh(cov)
    np.testing.assert_allclose([w, h], 4.0 * np.sqrt(evals[::-1]))
    major = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
    np.testing.assert_allclose(abs(major @ evecs[:, 1]), 1.0)
    with pytest.raises(DataError, match="2x2"):
        plotting.ellipse_geometry(np.eye(3))


@pytest.mark.parametrize("ctype", ["full", "tied", "diag", "spherical"])
def test_mixture_ellipses_for_every_covariance_type(ctype):
    X = _data()
    gm = GaussianMixture(3, covariance_type=ctype, random_state=0).fit(X)
    fig, ax, ellipses = plotting.plot_mixture_2d(gm, X)
    assert len(ellipses) == 3 * 3
    covs = full_covariances(gm)
    for k in range(3):
        for j, ns in enumerate((1, 2, 3)):
            e = ellipses[3 * k + j]
            np.testing.assert_allclose(e.center, gm.means_[k])
            w, h, _ = plotting.ellipse_geometry(covs[k], ns)
            np.testing.assert_allclose([e.width, e.height], [w, h])
    assert len(ax.collections) == 1 and fig is ax.figure


def test_mixture_ellipses_of_a_marginal_in_more_dimensions():
    X = np.hstack([_data(), np.random.default_rng(1).normal(size=(400, 1))])
    gm = GaussianMixture(2, random_state=0).fit(X)
    _, _, ellipses = plotting.plot_mixture_2d(gm, X, columns=(0, 2), sigmas=(1,))
    assert len(ellipses) == 2
    np.testing.assert_allclose(ellipses[0].center, gm.means_[0, [0, 2]])


def test_density_1d_plots_exp_score_samples():
    x = np.random.default_rng(0).normal(size=500)
    model = Normal().fit(x[:, None])
    _fig, ax = plotting.plot_density_1d(x, model)
    line = ax.lines[0]
    np.testing.assert_allclose(
        line.get_ydata(), np.exp(model.score_samples(line.get_xdata()[:, None]))
    )
    assert len(ax.patches) == 50  # the histogram bars


def test_criterion_curve_follows_the_table():
    X = _data()
    grid = {"n_components": [1, 2, 3], "covariance_type": ["full", "diag"]}
    sel = ModelSelector(GaussianMixture(random_state=0), grid, criterion="bic").fit(X)
    _fig, ax = sel.plot()
    t = sel.results_
    full = t[t["covariance_type"] == "full"].sort_values("n_components")
    np.testing.assert_allclose(ax.lines[0].get_ydata(), full["bic"])
    labels = [h.get_label() for h in ax.get_legend().legend_handles]
    assert "covariance_type=full" in labels and "selected" in labels
    # one grid parameter: one line, legend holds only the selected marker
    single = ModelSelector(GaussianMixture(random_state=0), {"n_components": [1, 2, 3]}).fit(X)
    _, ax1 = single.plot(criterion="bic")
    assert len(ax1.lines) == 2
    assert [h.get_label() for h in ax1.get_legend().legend_handles] == ["selected"]
    _fig2, ax2 = plotting.plot_criterion(t, y="heldout_loglik")
    assert ax2.get_ylabel() == "heldout_loglik"
    with pytest.raises(DataError, match="no column"):
        plotting.plot_criterion(t, y="bicc")


def test_data_vs_synthetic_and_image_grid():
    X = _data()
    _, axes = plotting.plot_data_vs_synthetic(X, X[::-1] + 1)
    assert [a.get_title() for a in axes] == ["Original data", "Synthetic data"]
    _, axes = plotting.plot_data_vs_synthetic(X[:, 0], X[:, 1])
    assert len(axes[0].patches) == 50
    imgs = np.random.default_rng(0).random((13, 64))
    _fig, axes = plotting.plot_image_grid(imgs, n_cols=5)
    assert axes.shape == (3, 5)
    assert sum(len(a.images) for a in axes.flat) == 13
    assert not axes.flat[-1].get_visible()
    with pytest.raises(DataError, match="64 values"):
        plotting.plot_image_grid(np.ones((2, 10)))


def test_confusion_matrix_counts():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 200)
    pred = np.where(rng.random(200) < 0.8, y, rng.integers(0, 4, 200))
    _fig, ax, cm = plotting.plot_confusion_matrix(y, pred)
    np.testing.assert_array_equal(cm, confusion_matrix(y, pred))
    assert [t.get_text() for t in ax.texts] == [str(v) for v in cm.ravel()]
    _, _, cm_s = plotting.plot_confusion_matrix(["a", "b", "a"], ["a", "a", "a"])
    np.testing.assert_array_equal(cm_s, [[2, 0], [1, 0]])
