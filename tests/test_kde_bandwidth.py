"""Bandwidth rules: scale equivariance, weights, peers and theory, cross-validation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from densitykit import KernelDensity
from densitykit.exceptions import DataError, FitError
from densitykit.kde import KERNELS, improved_sheather_jones
from densitykit.kde._bandwidth import loo_log_likelihood


def _data(d: int, n: int = 300, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * np.arange(1, d + 1) + np.arange(d)
    X[: n // 3] += 4.0
    return X


@pytest.mark.parametrize("rule,d", [("scott", 1), ("scott", 3), ("silverman", 1),
                                    ("silverman", 3), ("isj", 1), ("cv", 1), ("cv", 3)])
@pytest.mark.parametrize("c", [1e-3, 7.0, 2e4])
def test_rule_is_scale_equivariant(rule, d, c):
    X = _data(d)
    w = np.random.default_rng(1).integers(1, 4, size=X.shape[0]).astype(float)
    a = KernelDensity(bandwidth=rule).fit(X, sample_weight=w).bandwidth_
    b = KernelDensity(bandwidth=rule).fit(c * X, sample_weight=w).bandwidth_
    np.testing.assert_allclose(b, c * np.asarray(a), rtol=1e-9)


@pytest.mark.parametrize("rule", ["scott", "silverman"])
def test_rule_follows_each_feature(rule):
    X = _data(2)
    scale = np.array([1.0, 100.0])
    a = np.asarray(KernelDensity(bandwidth=rule).fit(X).bandwidth_)
    b = np.asarray(KernelDensity(bandwidth=rule).fit(X * scale).bandwidth_)
    np.testing.assert_allclose(b, a * scale, rtol=1e-12)


def test_scott_and_silverman_formulas():
    X = _data(3, n=500)
    sd = X.std(axis=0, ddof=1)
    scott = KernelDensity(bandwidth="scott").fit(X).bandwidth_
    silverman = KernelDensity(bandwidth="silverman").fit(X).bandwidth_
    np.testing.assert_allclose(scott, sd * 500 ** (-1 / 7), rtol=1e-12)
    np.testing.assert_allclose(silverman, sd * (500 * 5 / 4) ** (-1 / 7), rtol=1e-12)


def test_rules_rescale_for_other_kernels():
    # every kernel gets the bandwidth that gives it the gaussian's per-axis spread
    X = _data(2)
    g = np.asarray(KernelDensity(bandwidth="scott").fit(X).bandwidth_)
    for name, kernel in KERNELS.items():
        h = np.asarray(KernelDensity(bandwidth="scott", kernel=name).fit(X).bandwidth_)
        np.testing.assert_allclose(h * np.sqrt(kernel.variance(2)), g, rtol=1e-12)


def test_kernel_variance_matches_samples():
    rng = np.random.default_rng(2)
    for name in KERNELS:
        kde = KernelDensity(bandwidth=1.0, kernel=name).fit(np.zeros((1, 3)))
        draws = kde.sample(40000, random_state=rng)
        assert draws.var(axis=0).mean() == pytest.approx(KERNELS[name].variance(3), rel=0.03)


def test_isj_near_gaussian_optimum():
    # for normal data the ISJ bandwidth approaches the AMISE optimum (4/3)^{1/5} n^{-1/5}
    x = np.random.default_rng(3).normal(size=20000)
    h = improved_sheather_jones(x, np.ones_like(x))
    assert h == pytest.approx((4 / 3) ** 0.2 * 20000 ** -0.2, rel=0.05)


def test_isj_resolves_bimodal_better_than_silverman():
    rng = np.random.default_rng(4)
    x = np.r_[rng.normal(0, 1, 3000), rng.normal(8, 0.2, 3000)][:, None]
    isj = KernelDensity(bandwidth="isj").fit(x).bandwidth_
    silverman = KernelDensity(bandwidth="silverman").fit(x).bandwidth_
    assert isj < 0.5 * silverman


def test_isj_only_1d():
    with pytest.raises(DataError, match="1-D"):
        KernelDensity(bandwidth="isj").fit(_data(2))


def test_cv_maximises_loo_likelihood():
    X = _data(2, n=250)
    h = np.asarray(KernelDensity(bandwidth="cv").fit(X).bandwidth_)
    sd = X.std(axis=0, ddof=1)
    Xw = (X - X.mean(0)) / sd
    c = h[0] / sd[0]
    np.testing.assert_allclose(h / sd, c, rtol=1e-12)
    grid = np.log(c) + np.linspace(-0.5, 0.5, 101)
    scores = loo_log_likelihood(Xw, np.ones(250), KERNELS["gaussian"], grid)
    assert abs(grid[np.argmax(scores)] - np.log(c)) <= 0.011
    # direct leave-one-out check of the objective at one factor
    d2 = ((Xw[:, None] - Xw[None]) ** 2).sum(-1)
    np.fill_diagonal(d2, np.inf)
    f = np.exp(-0.5 * d2 / c**2).sum(1) / 249 / (2 * np.pi * c**2)
    got = loo_log_likelihood(Xw, np.ones(250), KERNELS["gaussian"], np.array([np.log(c)]))
    assert got[0] == pytest.approx(np.mean(np.log(f)), rel=1e-12)


@pytest.mark.parametrize("kernel", ["epanechnikov", "exponential"])
def test_cv_other_kernels(kernel):
    X = _data(1, n=400)
    h = KernelDensity(bandwidth="cv", kernel=kernel).fit(X).bandwidth_
    assert 0.05 < h < 3


def test_rule_needs_two_samples():
    with pytest.raises(DataError, match="more than one"):
        KernelDensity(bandwidth="scott").fit(np.ones((1, 1)))
    with pytest.raises(DataError, match="effective sample size"):
        KernelDensity(bandwidth="scott").fit(np.arange(4.0)[:, None],
                                             sample_weight=[0.0, 3.0, 0.0, 0.0])


def test_scipy_gaussian_kde_1d_rule_unweighted():
    x = np.random.default_rng(5).normal(size=123)
    peer = stats.gaussian_kde(x, bw_method="silverman")
    ours = KernelDensity(bandwidth="silverman").fit(x[:, None])
    assert ours.bandwidth_ == pytest.approx(np.sqrt(peer.covariance[0, 0]), rel=1e-12)


def test_constant_column_error_names_fix():
    X = np.column_stack([np.arange(10.0), np.zeros(10)])
    with pytest.raises(FitError, match=r"\[1\].*pass bandwidth"):
        KernelDensity().fit(X)
