"""GaussianMixture and Normal: agreement with scikit-learn, invariants, sampling."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.base import clone
from sklearn.mixture import GaussianMixture as SkGMM
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from densitykit import GaussianMixture, Normal

COV_TYPES = ["full", "tied", "diag", "spherical"]
# runs stopped after a fixed number of iterations (tol=0) warn that they did not converge
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _blobs(n=600, d=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.array([[-4.0] * d, [0.0] * d, [5.0] * d])
    scales = np.array([0.7, 1.5, 1.0])
    lab = rng.integers(3, size=n)
    A = rng.normal(size=(d, d)) * 0.3 + np.eye(d)
    return centers[lab] + scales[lab, None] * rng.standard_normal((n, d)) @ A + 100.0


def _start(X, ctype, k=3):
    """Initial parameters both libraries start from (scikit-learn's one k-means step)."""
    sk = SkGMM(k, covariance_type=ctype, random_state=1, max_iter=1, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk.fit(X)
    return dict(weights_init=sk.weights_, means_init=sk.means_, precisions_init=sk.precisions_)


def _rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12)))


@pytest.mark.parametrize("ctype", COV_TYPES)
@pytest.mark.parametrize("n_iter", [1, 5, 50])
def test_matches_sklearn_from_same_start(ctype, n_iter):
    X = _blobs()
    init = _start(X, ctype)
    kw = dict(covariance_type=ctype, max_iter=n_iter, tol=0, **init)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = SkGMM(3, **kw).fit(X)
        ours = GaussianMixture(3, acceleration=None, **kw).fit(X)
    assert ours.n_iter_ == sk.n_iter_ == n_iter
    assert _rel(ours.lower_bound_, sk.lower_bound_) < 1e-8
    for attr in ("weights_", "means_", "covariances_", "precisions_cholesky_", "precisions_"):
        assert _rel(getattr(ours, attr), getattr(sk, attr)) < 1e-8, attr
    assert _rel(ours.bic(X), sk.bic(X)) < 1e-8
    assert _rel(ours.aic(X), sk.aic(X)) < 1e-8
    assert ours.n_parameters() == sk._n_parameters()
    np.testing.assert_allclose(ours.score_samples(X), sk.score_samples(X), rtol=1e-8)
    np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X), atol=1e-8)


@pytest.mark.parametrize("ctype", COV_TYPES)
def test_integer_weights_equal_repeated_rows(ctype):
    X = _blobs(300)
    rng = np.random.default_rng(3)
    w = rng.integers(0, 4, size=X.shape[0])
    init = _start(X, ctype)
    kw = dict(covariance_type=ctype, max_iter=20, tol=0, **init)
    weighted = GaussianMixture(3, **kw).fit(X, sample_weight=w)
    repeated = GaussianMixture(3, **kw).fit(np.repeat(X, w, axis=0))
    for attr in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(getattr(weighted, attr), getattr(repeated, attr), rtol=1e-9)
    assert weighted.lower_bound_ == pytest.approx(repeated.lower_bound_, rel=1e-10)


def test_one_component_1d_same_bic_for_every_type():
    x = np.random.default_rng(0).gamma(2.0, 3.0, size=(500, 1))
    bics = [GaussianMixture(1, covariance_type=c).fit(x).bic(x) for c in COV_TYPES]
    np.testing.assert_allclose(bics, bics[0], rtol=1e-12)


@pytest.mark.parametrize("ctype", ["full", "diag", "spherical"])
def test_normal_equals_one_component_mixture(ctype):
    X = _blobs(400, d=4)
    w = np.random.default_rng(1).random(X.shape[0])
    nd = Normal(ctype).fit(X, sample_weight=w)
    gm = GaussianMixture(1, covariance_type=ctype).fit(X, sample_weight=w)
    np.testing.assert_allclose(nd.mean_, gm.means_[0], rtol=1e-12)
    np.testing.assert_allclose(nd.covariance_, gm.covariances_[0], rtol=1e-10)
    np.testing.assert_allclose(nd.score_samples(X), gm.score_samples(X), rtol=1e-10)
    assert nd.n_parameters() == gm.n_parameters()
    assert nd.bic(X) == pytest.approx(gm.bic(X), rel=1e-10)


def test_normal_matches_numpy_and_scipy():
    X = _blobs(500, d=3)
    nd = Normal().fit(X)
    np.testing.assert_allclose(nd.mean_, X.mean(0), rtol=1e-12)
    np.testing.assert_allclose(nd.covariance_, np.cov(X.T, bias=True) + 1e-6 * np.eye(3),
                               rtol=1e-10)
    ref = stats.multivariate_normal(nd.mean_, nd.covariance_).logpdf(X)
    np.testing.assert_allclose(nd.score_samples(X), ref, rtol=1e-10)
    diag = Normal("diag").fit(X)
    np.testing.assert_allclose(diag.covariance_, X.var(0) + 1e-6, rtol=1e-10)
    sph = Normal("spherical").fit(X)
    assert sph.covariance_ == pytest.approx(X.var(0).mean() + 1e-6, rel=1e-10)


@pytest.mark.parametrize("ctype", COV_TYPES)
def test_sample_then_refit_recovers_parameters(ctype):
    rng = np.random.default_rng(5)
    truth = GaussianMixture(2, covariance_type=ctype, random_state=0).fit(
        np.vstack([rng.normal(-5, 1, (300, 2)), rng.normal(5, 2, (300, 2)) @ [[1, 0.5], [0, 1]]]))
    Xs, _ = truth.sample(40_000, random_state=1)
    refit = GaussianMixture(2, covariance_type=ctype, random_state=0).fit(Xs)
    order_t, order_r = np.argsort(truth.means_[:, 0]), np.argsort(refit.means_[:, 0])
    np.testing.assert_allclose(refit.means_[order_r], truth.means_[order_t], atol=0.08)
    np.testing.assert_allclose(refit.weights_[order_r], truth.weights_[order_t], atol=0.015)
    cov_r = refit.covariances_ if ctype == "tied" else refit.covariances_[order_r]
    cov_t = truth.covariances_ if ctype == "tied" else truth.covariances_[order_t]
    np.testing.assert_allclose(cov_r, cov_t, rtol=0.06, atol=0.05)


@pytest.mark.parametrize("ctype", COV_TYPES)
def test_samples_fit_the_density(ctype):
    """Goodness of fit: the samples' projections follow the projected mixture (KS test)."""
    X = _blobs(600, d=3)
    gm = GaussianMixture(3, covariance_type=ctype, random_state=0).fit(X)
    Xs, labels = gm.sample(4000, random_state=2)
    u = np.array([0.3, -0.5, 0.8])
    cov = {"full": gm.covariances_, "tied": np.broadcast_to(gm.covariances_, (3, 3, 3)),
           "diag": np.array([np.diag(c) for c in np.atleast_2d(gm.covariances_)]),
           "spherical": np.array([c * np.eye(3) for c in np.atleast_1d(gm.covariances_)])}[ctype]
    mu, sd = gm.means_ @ u, np.sqrt(np.einsum("i,kij,j->k", u, cov, u))

    def cdf(t):
        return stats.norm.cdf((np.asarray(t)[:, None] - mu) / sd) @ gm.weights_

    assert stats.kstest(Xs @ u, cdf).pvalue > 1e-3
    # labels are in random order, not grouped by component
    assert np.any(np.diff(labels) < 0)


def test_density_integrates_to_one_2d():
    X = _blobs(500, d=2) - 100
    gm = GaussianMixture(3, random_state=0).fit(X)
    g = np.linspace(-15, 15, 301)
    xx, yy = np.meshgrid(g, g)
    dens = np.exp(gm.score_samples(np.c_[xx.ravel(), yy.ravel()]))
    assert dens.sum() * (g[1] - g[0]) ** 2 == pytest.approx(1.0, abs=2e-3)


def test_sample_reproducible_per_call():
    gm = GaussianMixture(2, random_state=0).fit(_blobs(200))
    a, la = gm.sample(50, random_state=7)
    b, lb = gm.sample(50, random_state=7)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(la, lb)
    c, _ = gm.sample(50)
    d, _ = gm.sample(50)
    assert not np.array_equal(c, d)


def test_float32_input_accumulates_in_float64():
    X = _blobs(500)
    init = _start(X, "full")
    a = GaussianMixture(3, max_iter=20, tol=0, **init).fit(X)
    b = GaussianMixture(3, max_iter=20, tol=0, **init).fit(X.astype(np.float32))
    assert b.means_.dtype == np.float64
    np.testing.assert_allclose(b.means_, a.means_, rtol=1e-5)
    assert b.lower_bound_ == pytest.approx(a.lower_bound_, rel=1e-5)


@pytest.mark.parametrize("init", ["kmeans", "k-means++", "random_from_data"])
def test_every_seeding_init_method_finds_the_blobs(init):
    X = _blobs(900)
    gm = GaussianMixture(3, init_params=init, random_state=0, n_init=3, max_iter=300).fit(X)
    assert gm.converged_
    assert np.sort(gm.means_[:, 0]).round() == pytest.approx([96.0, 100.0, 105.0], abs=1.5)


def test_random_responsibilities_init_fits():
    X = _blobs(300)
    gm = GaussianMixture(3, init_params="random", random_state=0, max_iter=500).fit(X)
    assert gm.converged_ and np.all(np.isfinite(gm.covariances_))
    assert gm.weights_.sum() == pytest.approx(1.0)


def test_n_init_keeps_the_best_and_warm_start_continues():
    X = _blobs(400)
    one = GaussianMixture(3, n_init=1, random_state=3, init_params="random").fit(X)
    five = GaussianMixture(3, n_init=5, random_state=3, init_params="random").fit(X)
    assert five.lower_bound_ >= one.lower_bound_ - 1e-12
    ws = GaussianMixture(3, warm_start=True, max_iter=2, tol=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws.fit(X)
        first = ws.lower_bound_
        ws.fit(X)
    assert ws.lower_bound_ >= first - 1e-12


@pytest.mark.parametrize("change, words", [
    ({"width": 2}, "the data have 2 features, the previous fit 3"),
    ({"covariance_type": "diag"}, "covariance_type is 'diag', the previous fit's"),
    ({"n_components": 3}, "n_components is 3, the previous fit has 2")])
def test_a_warm_start_that_no_longer_matches_the_previous_fit_is_refused(change, words):
    """It failed deep in the engine (width, covariance type) or kept 2 components while
    n_components said 3."""
    from densitykit import BayesianGaussianMixture
    from densitykit.exceptions import ParameterError

    X = np.random.default_rng(0).normal(size=(200, 3))
    for est in (GaussianMixture(n_components=2, warm_start=True, random_state=0),
                BayesianGaussianMixture(n_components=2, warm_start=True, random_state=0)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X)
        width = change.get("width", 3)
        est.set_params(**{k: v for k, v in change.items() if k != "width"})
        with pytest.raises(ParameterError, match=f"warm_start=True .* but {words}.*afresh"):
            est.fit(X[:, :width])
        est.set_params(warm_start=False).fit(X[:, :width])  # the fix
        assert est.means_.shape[1] == width


def test_sklearn_tools_clone_pipeline_gridsearch():
    X = _blobs(300)
    gm = GaussianMixture(2, covariance_type="diag", random_state=0)
    assert clone(gm).get_params() == gm.get_params()
    pipe = make_pipeline(StandardScaler(), GaussianMixture(2, random_state=0)).fit(X)
    assert np.isfinite(pipe.score(X))
    grid = GridSearchCV(GaussianMixture(random_state=0),
                        {"n_components": [1, 3], "covariance_type": ["full", "diag"]}, cv=3)
    grid.fit(X)
    assert grid.best_params_["n_components"] == 3


def test_collapsed_component_is_reseeded_with_a_warning():
    X = _blobs(300)
    means = np.vstack([X[:2], [[1e4, 1e4, 1e4]]])  # a component far from every row
    with pytest.warns(Warning, match="re-seeded"):
        gm = GaussianMixture(3, means_init=means, max_iter=30, random_state=0).fit(X)
    assert np.all(np.isfinite(gm.means_)) and np.all(np.isfinite(gm.covariances_))
    assert np.all(np.abs(gm.means_) < 1e3)
