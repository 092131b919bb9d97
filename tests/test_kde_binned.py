"""Binned evaluator: the stated error bound holds, grids integrate to one, fallbacks are exact."""

from __future__ import annotations

import numpy as np
import pytest

from densitykit import KernelDensity
from densitykit.kde import KERNELS
from densitykit.kde._binned import (
    _binning_frame,
    _fitted_grid,
    binned_density,
    binned_error_bound,
)

SMOOTHISH = [k for k in KERNELS if k != "tophat"]
BANDWIDTHS = {1: [0.3, "scott"], 2: [0.4, np.array([0.3, 0.8]),
                                     np.array([[0.3, 0.15], [0.15, 0.2]])]}


def _data(d, n=3000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[: n // 4] = X[: n // 4] * 0.3 + 3
    return X


def _exact_density(model, Q):
    return np.exp(model._exact_log_density(Q))


@pytest.mark.parametrize("kernel", SMOOTHISH)
@pytest.mark.parametrize("d,bw", [(1, b) for b in BANDWIDTHS[1]] + [(2, b) for b in BANDWIDTHS[2]])
@pytest.mark.parametrize("max_grid", [40, None])
def test_bound_holds_on_coarse_and_default_grids(kernel, d, bw, max_grid):
    X = _data(d)
    w = np.random.default_rng(1).random(X.shape[0])
    model = KernelDensity(bandwidth=bw, kernel=kernel, algorithm="exact").fit(X, sample_weight=w)
    s, M = _binning_frame(model._kernel_sums())
    grid = binned_density(model._X, model._p, KERNELS[kernel], M, model._log_const,
                          model._center, s, max_grid=max_grid)
    rng = np.random.default_rng(2)
    Q = np.vstack([X[:300] + 0.05 * rng.normal(size=(300, d)), rng.uniform(-5, 6, (300, d))])
    vals, inside = grid.interpolate((Q - model._center) / s)
    err = np.abs(vals - _exact_density(model, Q))[inside]
    assert inside.sum() > 300
    assert np.all(err <= grid.bound)
    if max_grid:  # on a coarse grid the bound is not vacuous: errors reach a fair share of it
        assert err.max() > 1e-3 * grid.bound


def test_gaussian_bound_formula():
    k0 = 1 / np.sqrt(2 * np.pi)
    b = binned_error_bound(KERNELS["gaussian"], np.array([4.0]), np.array([0.01]), k0)
    assert b == pytest.approx(k0 * (0.01**2 * 4 / 4 + np.exp(-40.5) + 1e-12), rel=1e-12)
    assert binned_error_bound(KERNELS["tophat"], np.ones(1), np.ones(1), 1.0) == np.inf


@pytest.mark.parametrize("d", [1, 2])
def test_score_samples_binned_close_to_exact(d):
    X = _data(d, n=5000)
    exact = KernelDensity(algorithm="exact").fit(X)
    binned = KernelDensity(algorithm="binned").fit(X)
    Q = np.random.default_rng(3).normal(size=(2000, d)) * 1.5
    a, b = exact.score_samples(Q), binned.score_samples(Q)
    bound = _fitted_grid(binned._kernel_sums())[0].bound
    assert bound < 1e-2 * np.exp(a).max()
    np.testing.assert_allclose(np.exp(b), np.exp(a), rtol=0, atol=bound)
    assert np.all(np.isfinite(b))


def test_queries_off_grid_are_exact():
    X = _data(1, n=3000)
    exact = KernelDensity(bandwidth=0.2, algorithm="exact").fit(X)
    binned = KernelDensity(bandwidth=0.2, algorithm="binned").fit(X)
    far = np.array([[-40.0], [55.0], [200.0]])
    np.testing.assert_allclose(binned.score_samples(far), exact.score_samples(far), rtol=1e-13)
    compact = KernelDensity(bandwidth=0.2, kernel="epanechnikov", algorithm="binned").fit(X)
    assert np.all(compact.score_samples(far) == -np.inf)


def test_auto_picks_binned_for_large_1d_problems():
    X = _data(1, n=30000)
    kde = KernelDensity().fit(X)
    assert kde._pick_algorithm(5000) == "binned"
    assert kde._pick_algorithm(10) == "exact"
    # tophat has no pointwise grid bound: never binned (its exact sums go to the neighbours)
    assert KernelDensity(kernel="tophat").fit(X)._pick_algorithm(5000) in ("exact", "neighbors")
    assert KernelDensity().fit(_data(3, n=30000))._pick_algorithm(5000) == "exact"


def test_grid_1d_integrates_to_one_in_data_units():
    X = _data(1) * 1000.0 + 5e4
    grid, dens = KernelDensity(bandwidth="scott").fit(X).grid(2048)
    assert grid.shape == dens.shape == (2048,)
    assert grid[0] < X.min() and grid[-1] > X.max()
    assert np.trapezoid(dens, grid) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("bw", [0.3, np.array([[0.3, 0.15], [0.15, 0.2]])])
def test_grid_2d_integrates_to_one(bw):
    X = _data(2)
    pts, dens = KernelDensity(bandwidth=bw).fit(X).grid((200, 150))
    assert pts.shape == (30000, 2) and dens.shape == (30000,)
    gx, gy = np.unique(pts[:, 0]), np.unique(pts[:, 1])
    D = dens.reshape(200, 150)
    assert np.trapezoid(np.trapezoid(D, gy, axis=1), gx) == pytest.approx(1.0, abs=2e-3)


def test_grid_matches_score_samples():
    X = _data(1)
    kde = KernelDensity(bandwidth=0.25).fit(X)
    grid, dens = kde.grid(500)
    exact = np.exp(KernelDensity(bandwidth=0.25, algorithm="exact").fit(X).score_samples(
        grid[:, None]))
    np.testing.assert_allclose(dens, exact, rtol=0, atol=1e-4 * exact.max())


def test_bad_grid_size():
    from densitykit.exceptions import DataError

    with pytest.raises(DataError, match="n_points"):
        KernelDensity().fit(_data(1)).grid(1)


@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov"])
def test_binned_log_density_relative_accuracy_everywhere(kernel):
    # grid answers pass the local check (gaussian: density error below 1e-3 relative);
    # tails and far queries are summed exactly over the rows that matter
    rng = np.random.default_rng(5)
    x = np.r_[rng.normal(size=20000), rng.normal(3, 0.5, size=20000)][:, None]
    q = rng.uniform(x.min() - 1.5, x.max() + 1.5, size=(3000, 1))
    binned = KernelDensity(kernel=kernel, algorithm="binned").fit(x).score_samples(q)
    exact = KernelDensity(kernel=kernel, algorithm="exact").fit(x).score_samples(q)
    assert np.array_equal(np.isfinite(binned), np.isfinite(exact))
    fin = np.isfinite(exact)
    tol = 2e-3 if kernel == "gaussian" else 5e-2
    np.testing.assert_allclose(binned[fin], exact[fin], rtol=0, atol=tol)


@pytest.mark.parametrize("kernel", ["gaussian", "exponential", "epanechnikov", "linear"])
@pytest.mark.parametrize("compiled", [None, False])
def test_tail_sums_beyond_the_data_are_exact(kernel, compiled):
    from densitykit.kde._binned import _tails_1d

    rng = np.random.default_rng(6)
    x = np.r_[rng.normal(size=8000), rng.normal(3, 0.5, size=8000)][:, None]
    w = rng.random(16000) + 0.2
    model = KernelDensity(bandwidth=0.15, kernel=kernel, algorithm="binned").fit(
        x, sample_weight=w)
    lo, hi = float(x.min()), float(x.max())
    q = np.r_[rng.uniform(lo - 2.0, lo, 700), rng.uniform(hi, hi + 2.0, 700),
              rng.uniform(lo, lo + 0.3, 50), rng.uniform(hi - 0.3, hi, 50)]
    out = np.full(q.size, np.nan)
    bad = np.ones(q.size, dtype=bool)
    _tails_1d(model._kernel_sums(), q, bad, out, lo, hi, compiled)
    assert not bad.any()
    exact = KernelDensity(bandwidth=0.15, kernel=kernel, algorithm="exact").fit(
        x, sample_weight=w).score_samples(q[:, None])
    assert np.array_equal(np.isfinite(out), np.isfinite(exact))
    fin = np.isfinite(exact)
    assert fin.sum() > 200
    np.testing.assert_allclose(out[fin], exact[fin], rtol=0, atol=1e-10)
