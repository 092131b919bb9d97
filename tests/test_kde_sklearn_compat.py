"""KernelDensity against scikit-learn's and scipy's: every argument, relative weights,
covariance-scaled rules."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KernelDensity as SkKernelDensity

from densitykit import KernelDensity
from densitykit.exceptions import DataError, FitError


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(21)
    X = rng.multivariate_normal([0, 2, -1], [[1, 0.6, 0.2], [0.6, 2, -0.4], [0.2, -0.4, 0.8]],
                                size=300)
    return X, rng.random(300) + 0.1, rng.normal(size=(40, 3)) * 1.3


# ---- every scikit-learn argument --------------------------------------------------------------
def test_every_sklearn_argument_is_accepted_and_scores_match(data):
    X, w, Q = data
    params = SkKernelDensity(bandwidth=0.8, kernel="epanechnikov").get_params()
    ours = KernelDensity(**params).fit(X, sample_weight=w)
    peer = SkKernelDensity(**params).fit(X, sample_weight=w)
    assert set(params) <= set(ours.get_params())
    a, b = ours.score_samples(Q), peer.score_samples(Q)
    fin = np.isfinite(a) & (b > -25)
    assert fin.sum() > 20 and np.all(b[~np.isfinite(a)] < -30)
    np.testing.assert_allclose(a[fin], b[fin], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("algorithm", ["kd_tree", "ball_tree", "auto"])
@pytest.mark.parametrize("kernel", ["gaussian", "tophat"])
def test_tree_algorithms_are_aliases(data, algorithm, kernel):
    X, _, Q = data
    ours = KernelDensity(bandwidth=1.1, kernel=kernel, algorithm=algorithm).fit(X)
    peer = SkKernelDensity(bandwidth=1.1, kernel=kernel, algorithm=algorithm).fit(X)
    exact = KernelDensity(bandwidth=1.1, kernel=kernel, algorithm="exact").fit(X)
    a = ours.score_samples(Q)
    np.testing.assert_array_equal(a, exact.score_samples(Q))
    b = peer.score_samples(Q)
    fin = np.isfinite(a) & (b > -25)
    assert fin.sum() > 20
    np.testing.assert_allclose(a[fin], b[fin], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kernel", ["gaussian", "exponential"])
def test_tolerances_are_met_by_exact_sums(data, kernel):
    """scikit-learn's own answers with rtol are within rtol; ours are exact for any."""
    X, _, Q = data
    rtol = 1e-4
    ours = KernelDensity(bandwidth=0.7, kernel=kernel, rtol=rtol, atol=1e-300).fit(X)
    loose = SkKernelDensity(bandwidth=0.7, kernel=kernel, rtol=rtol).fit(X)
    tight = SkKernelDensity(bandwidth=0.7, kernel=kernel).fit(X)
    a, ref = ours.score_samples(Q), tight.score_samples(Q)
    np.testing.assert_allclose(a, ref, rtol=0, atol=1e-10)
    assert np.all(np.abs(np.exp(loose.score_samples(Q) - ref) - 1) <= 1.01 * rtol)


def test_tolerances_decide_whether_auto_bins(monkeypatch):
    from densitykit.kde import _binned

    calls = []
    real = _binned.binned_log_density
    monkeypatch.setattr(_binned, "binned_log_density",
                        lambda est, X, *a, **k: calls.append(1) or real(est, X))
    rng = np.random.default_rng(22)
    X, Q = rng.normal(size=(6000, 1)), rng.normal(size=(4000, 1))
    base = KernelDensity(bandwidth=0.2).fit(X).score_samples(Q)
    assert calls == [1]
    exact = KernelDensity(bandwidth=0.2, algorithm="exact").fit(X).score_samples(Q)
    for kwargs in ({"rtol": 0.0}, {"atol": 0.0}, {"rtol": 1e-6, "atol": 1e-9}):
        np.testing.assert_array_equal(
            KernelDensity(bandwidth=0.2, **kwargs).fit(X).score_samples(Q), exact)
    assert calls == [1]
    KernelDensity(bandwidth=0.2, rtol=1e-2).fit(X).score_samples(Q)
    assert calls == [1, 1]
    np.testing.assert_allclose(base, exact, rtol=2e-3)


def test_binned_with_a_tight_tolerance_is_refused():
    X = np.random.default_rng(23).normal(size=(50, 1))
    with pytest.raises(DataError, match=r"algorithm='binned'.*rtol=0\.0.*'exact'"):
        KernelDensity(algorithm="binned", rtol=0.0).fit(X)
    KernelDensity(algorithm="binned", rtol=1e-3).fit(X)


@pytest.mark.parametrize("metric,params", [("euclidean", None), ("l2", None),
                                           ("minkowski", None), ("minkowski", {"p": 2})])
def test_euclidean_metrics_match_sklearn(data, metric, params):
    X, _, Q = data
    ours = KernelDensity(bandwidth=0.9, metric=metric, metric_params=params).fit(X)
    peer = SkKernelDensity(bandwidth=0.9, metric=metric, metric_params=params).fit(X)
    np.testing.assert_allclose(ours.score_samples(Q), peer.score_samples(Q), rtol=0, atol=1e-10)


@pytest.mark.parametrize("metric,params", [("manhattan", None), ("chebyshev", None),
                                           ("minkowski", {"p": 1}), ("haversine", None)])
def test_other_metrics_raise_no_normalised_density(data, metric, params):
    X, _, _ = data
    SkKernelDensity(metric=metric, metric_params=params,
                    algorithm="ball_tree").fit(X[:, :2])  # scikit-learn accepts them
    with pytest.raises(DataError, match=r"no normalised density is implemented.*'euclidean'"):
        KernelDensity(metric=metric, metric_params=params).fit(X[:, :2])


def test_bad_sklearn_options_are_refused(data):
    X, _, _ = data
    for kwargs, pattern in [({"atol": -1.0}, "atol"), ({"rtol": "x"}, "rtol"),
                            ({"leaf_size": 0}, "leaf_size"), ({"breadth_first": "yes"},
                                                              "breadth_first"),
                            ({"metric_params": {"w": 1}}, "metric_params"),
                            ({"metric_params": [2]}, "metric_params")]:
        with pytest.raises(DataError, match=pattern):
            KernelDensity(**kwargs).fit(X)


def test_breadth_first_and_leaf_size_do_not_change_scores(data):
    X, _, Q = data
    a = KernelDensity(bandwidth=0.5, kernel="biweight").fit(X).score_samples(Q)
    b = KernelDensity(bandwidth=0.5, kernel="biweight", breadth_first=False,
                      leaf_size=3).fit(X).score_samples(Q)
    np.testing.assert_array_equal(a, b)


def test_clone_and_grid_search_over_sklearn_arguments(data):
    X, _, _ = data
    est = KernelDensity(kernel="gaussian", algorithm="kd_tree", rtol=1e-8, leaf_size=20)
    assert clone(est).get_params() == est.get_params()
    search = GridSearchCV(est, {"bandwidth": [0.3, 0.8]}, cv=3).fit(X)
    peer = GridSearchCV(SkKernelDensity(), {"bandwidth": [0.3, 0.8]}, cv=3).fit(X)
    assert search.best_params_ == peer.best_params_
    np.testing.assert_allclose(search.cv_results_["mean_test_score"],
                               peer.cv_results_["mean_test_score"], rtol=1e-10)


# ---- relative weights ---------------------------------------------------------------------------
@pytest.mark.parametrize("rule", ["scott", "silverman", "cv", "scott-covariance", 0.6])
def test_any_positive_scale_of_weights_gives_the_same_density(data, rule):
    X, w, Q = data
    ref = KernelDensity(bandwidth=rule).fit(X, sample_weight=w)
    for c in (1.0 / w.sum(), 1e-3, 1e4):
        other = KernelDensity(bandwidth=rule).fit(X, sample_weight=c * w)
        np.testing.assert_allclose(other.bandwidth_, ref.bandwidth_, rtol=1e-10)
        np.testing.assert_allclose(other.score_samples(Q), ref.score_samples(Q),
                                   rtol=0, atol=1e-10)


def test_weights_summing_to_one_fit_in_1d():
    x = np.random.default_rng(24).normal(size=(40, 1))
    kde = KernelDensity(bandwidth="isj").fit(x, sample_weight=np.full(40, 1 / 40))
    same = KernelDensity(bandwidth="isj").fit(x)
    assert kde.bandwidth_ == pytest.approx(same.bandwidth_, rel=1e-12)


def test_relative_weights_match_sklearn_for_a_fixed_bandwidth(data):
    X, w, Q = data
    ours = KernelDensity(bandwidth=0.7).fit(X, sample_weight=w / w.sum())
    peer = SkKernelDensity(bandwidth=0.7).fit(X, sample_weight=w)
    np.testing.assert_allclose(ours.score_samples(Q), peer.score_samples(Q), rtol=0, atol=1e-10)


@pytest.mark.parametrize("rule", ["scott", "silverman"])
def test_per_feature_rules_use_the_effective_sample_size_like_scipy(data, rule):
    X, w, _ = data
    peer = scipy.stats.gaussian_kde(X.T, bw_method=rule, weights=w)
    ours = KernelDensity(bandwidth=rule).fit(X, sample_weight=w)
    np.testing.assert_allclose(ours.bandwidth_, np.sqrt(np.diag(peer.covariance)), rtol=1e-12)
    x = X[:, 1]
    peer1 = scipy.stats.gaussian_kde(x, bw_method=rule, weights=w)
    ours1 = KernelDensity(bandwidth=rule).fit(x[:, None], sample_weight=w)
    assert ours1.bandwidth_ == pytest.approx(np.sqrt(peer1.covariance[0, 0]), rel=1e-12)


def test_one_row_of_positive_weight_is_too_few_for_a_rule(data):
    X, _, _ = data
    w = np.zeros(len(X))
    w[4] = 0.3
    with pytest.raises(DataError, match="effective sample size"):
        KernelDensity(bandwidth="scott").fit(X, sample_weight=w)


# ---- covariance-scaled rules ------------------------------------------------------------------
@pytest.mark.parametrize("rule", ["scott", "silverman"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_covariance_rules_match_scipy_gaussian_kde(data, rule, weighted, d):
    X, w, Q = data
    X, Q = X[:, :d], Q[:, :d]
    w = w if weighted else None
    peer = scipy.stats.gaussian_kde(X.T, bw_method=rule, weights=w)
    ours = KernelDensity(bandwidth=f"{rule}-covariance").fit(X, sample_weight=w)
    assert ours.bandwidth_.shape == (d, d)
    np.testing.assert_allclose(ours.bandwidth_, peer.covariance, rtol=1e-12, atol=0)
    np.testing.assert_allclose(ours.score_samples(Q), peer.logpdf(Q.T), rtol=1e-12, atol=1e-12)


def test_covariance_rule_follows_scale_and_other_kernels(data):
    X, _, _ = data
    a = KernelDensity(bandwidth="scott-covariance").fit(X).bandwidth_
    b = KernelDensity(bandwidth="scott-covariance").fit(3.0 * X).bandwidth_
    np.testing.assert_allclose(b, 9.0 * a, rtol=1e-12)
    epa = KernelDensity(bandwidth="scott-covariance", kernel="epanechnikov").fit(X).bandwidth_
    # the epanechnikov kernel's per-coordinate variance in 3-D is 1/7: the same spread
    np.testing.assert_allclose(epa, 7.0 * a, rtol=1e-12)
    draws = KernelDensity(bandwidth="silverman-covariance").fit(X).sample(200, random_state=0)
    assert draws.shape == (200, 3) and np.all(np.isfinite(draws))


def test_covariance_rule_refuses_a_singular_covariance(data):
    X, _, _ = data
    Xs = np.column_stack([X, X[:, 0] + 2 * X[:, 1]])
    with pytest.raises(FitError, match=r"singular.*per-feature rule"):
        KernelDensity(bandwidth="silverman-covariance").fit(Xs)


def test_covariance_rule_scores_empty_cells(data):
    X, _, Q = data
    kde = KernelDensity(bandwidth="scott-covariance").fit(X)
    Qm = Q.copy()
    Qm[:, 2] = np.nan
    H = kde.bandwidth_[:2, :2]
    ref = KernelDensity(bandwidth=H).fit(X[:, :2]).score_samples(Q[:, :2])
    np.testing.assert_allclose(kde.score_samples(Qm), ref, rtol=0, atol=1e-12)
