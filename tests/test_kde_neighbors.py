"""Neighbour-search evaluator: same numbers as the exact one, clear errors, 'auto' choice."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import KernelDensity as SkKernelDensity

from densitykit import KernelDensity
from densitykit.exceptions import DataError
from densitykit.kde import ALGORITHMS, KERNELS
from densitykit.kde._exact import log_kernel_sums
from densitykit.kde._neighbors import expected_pair_fraction, neighbor_log_kernel_sums
from reference_kde import log_density

COMPACT = [k for k in KERNELS if np.isfinite(KERNELS[k].support)]


def _clustered(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[: n // 3] = X[: n // 3] * 0.2 + 2.5
    return X


@pytest.mark.parametrize("kernel", COMPACT)
@pytest.mark.parametrize("d", [1, 2, 3])
def test_same_numbers_as_exact(kernel, d):
    X = _clustered(3000, d, seed=d)
    rng = np.random.default_rng(10 + d)
    Q = rng.normal(size=(700, d)) * 1.5
    w = rng.random(3000) + 0.05
    bw = {1: 0.15, 2: np.array([0.3, 0.2]), 3: np.array([[0.5, 0.1, 0.0], [0.1, 0.4, 0.05],
                                                           [0.0, 0.05, 0.3]])}[d]
    exact = KernelDensity(bandwidth=bw, kernel=kernel, algorithm="exact").fit(X, sample_weight=w)
    near = KernelDensity(bandwidth=bw, kernel=kernel, algorithm="neighbors").fit(
        X, sample_weight=w)
    a, b = near.score_samples(Q), exact.score_samples(Q)
    assert np.array_equal(np.isfinite(a), np.isfinite(b))
    fin = np.isfinite(b)
    assert fin.sum() > 300 and (~fin).sum() > 0
    np.testing.assert_allclose(a[fin], b[fin], rtol=0, atol=1e-10)
    # queries on data rows: distances from differences are exact there, while the exact
    # evaluator's |q|^2 + |x|^2 - 2 q.x leaves ~1e-16 that the linear kernel's square root
    # lifts to ~1e-8; the slow reference decides
    on_rows = X[::150]
    np.testing.assert_allclose(near.score_samples(on_rows),
                               log_density(X, on_rows, kernel, bw, w), rtol=0, atol=1e-10)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_cell_search_tree_and_small_budget_agree(d):
    X = _clustered(2000, d, seed=3)
    Q = np.r_[np.random.default_rng(4).normal(size=(900, d)) * 2.0, X[:50] + 1e-3]
    logw = np.log(np.random.default_rng(5).random(2000) + 0.1)
    Xw, Qw = X / 0.3, Q / 0.3
    kernel = KERNELS["epanechnikov"]
    full = neighbor_log_kernel_sums(Qw, Xw, logw, kernel)  # compiled cells when numba is there
    small = neighbor_log_kernel_sums(Qw, Xw, logw, kernel, budget=500, compiled=False)
    np.testing.assert_array_equal(np.isfinite(full), np.isfinite(small))
    fin = np.isfinite(full)
    np.testing.assert_allclose(small[fin], full[fin], rtol=0, atol=1e-13)
    ref = log_kernel_sums(Qw, Xw, logw, kernel)
    np.testing.assert_allclose(full[fin], ref[fin], rtol=0, atol=1e-10)


@pytest.mark.parametrize("kernel", ["tophat", "epanechnikov", "cosine"])
@pytest.mark.parametrize("compiled", [None, False])
def test_leave_one_out_matches_exact(kernel, compiled):
    X = _clustered(1500, 2, seed=5) / 0.25
    logw = np.log(np.random.default_rng(6).random(1500) + 0.1)
    a = neighbor_log_kernel_sums(X, X, logw, KERNELS[kernel], loo=True, budget=3000,
                                 compiled=compiled)
    b = log_kernel_sums(X, X, logw, KERNELS[kernel], loo=True)
    assert np.array_equal(np.isfinite(a), np.isfinite(b))
    assert (~np.isfinite(a)).any()  # isolated rows have no neighbour but themselves
    fin = np.isfinite(b)
    np.testing.assert_allclose(a[fin], b[fin], rtol=0, atol=1e-10)


def test_tiny_weights_do_not_underflow():
    X = np.array([[0.0], [0.3], [5.0]])
    w = np.array([1e-300, 1e-300, 1.0])
    near = KernelDensity(bandwidth=1.0, kernel="epanechnikov", algorithm="neighbors").fit(
        X, sample_weight=w)
    exact = KernelDensity(bandwidth=1.0, kernel="epanechnikov", algorithm="exact").fit(
        X, sample_weight=w)
    q = np.array([[0.1], [5.2], [2.5]])
    a, b = near.score_samples(q), exact.score_samples(q)
    assert np.isfinite(a[0]) and a[2] == -np.inf
    np.testing.assert_allclose(a[:2], b[:2], rtol=0, atol=1e-10)


def test_matches_sklearn_epanechnikov():
    rng = np.random.default_rng(7)
    X, Q = rng.normal(size=(5000, 2)), rng.normal(size=(300, 2))
    ours = KernelDensity(bandwidth=0.2, kernel="epanechnikov", algorithm="neighbors").fit(X)
    peer = SkKernelDensity(bandwidth=0.2, kernel="epanechnikov").fit(X)
    a, b = ours.score_samples(Q), peer.score_samples(Q)
    core = np.isfinite(a) & (b > -10)
    assert core.sum() > 250
    np.testing.assert_allclose(a[core], b[core], rtol=0, atol=1e-10)


@pytest.mark.parametrize("kernel", ["gaussian", "exponential"])
def test_unbounded_kernel_is_clear_error(kernel):
    with pytest.raises(DataError, match=r"compact support.*algorithm='exact'"):
        KernelDensity(kernel=kernel, algorithm="neighbors").fit(np.zeros((5, 2)) + np.eye(5, 2))


def test_high_dimension_is_clear_error():
    X = np.random.default_rng(8).normal(size=(20, 4))
    with pytest.raises(DataError, match=r"at most 3 features; X has 4"):
        KernelDensity(kernel="tophat", algorithm="neighbors").fit(X)


def test_registry_lists_neighbors():
    assert "neighbors" in ALGORITHMS
    with pytest.raises(DataError, match=r"'neighbors'"):
        KernelDensity(algorithm="octree").fit(np.random.default_rng(9).normal(size=(10, 1)))


def test_auto_picks_neighbors_where_it_pays():
    X = np.random.default_rng(10).normal(size=(50_000, 2))
    small_h = KernelDensity(bandwidth=0.1, kernel="epanechnikov").fit(X)
    assert small_h._pick_algorithm(2_000) == "neighbors"
    assert small_h._pick_algorithm(50) == "exact"  # the tree costs more than a few sums
    wide = KernelDensity(bandwidth=2.0, kernel="epanechnikov").fit(X)
    assert wide._pick_algorithm(2_000) == "exact"  # most pairs inside the support
    assert KernelDensity(bandwidth=0.1).fit(X)._pick_algorithm(2_000) == "binned"
    assert KernelDensity(bandwidth=0.1, kernel="exponential").fit(X)._pick_algorithm(
        2_000) == "exact"
    X4 = np.random.default_rng(11).normal(size=(50_000, 4))
    assert KernelDensity(bandwidth=0.1, kernel="tophat").fit(X4)._pick_algorithm(
        2_000) == "exact"
    # and what 'auto' answers is what the exact evaluator answers
    Q = X[:2_000] + 0.01
    a = small_h.score_samples(Q)
    b = KernelDensity(bandwidth=0.1, kernel="epanechnikov", algorithm="exact").fit(
        X).score_samples(Q)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


def test_expected_pair_fraction_tracks_the_count():
    rng = np.random.default_rng(12)
    for d, scale in ((1, 5.0), (2, 3.0), (3, 2.0)):
        Xw = rng.normal(size=(1500, d)) * scale
        est = expected_pair_fraction(Xw)
        diff = Xw[:300, None, :] - Xw[None, :, :]
        true = float(np.mean(np.einsum("ijk,ijk->ij", diff, diff) < 1.0))
        assert 0.5 * true < est < 2.0 * true


def test_huge_cell_grid_falls_back_to_the_tree():
    from densitykit.kde import _neighbors

    rng = np.random.default_rng(13)
    X = np.r_[rng.normal(size=(300, 2)), rng.normal(size=(300, 2)) + 1e5]
    logw = np.full(600, -np.log(600))
    assert _neighbors._cell_sums(X, X, np.ones(600), KERNELS["tophat"], False) is None
    got = neighbor_log_kernel_sums(X[:40], X, logw, KERNELS["tophat"])
    ref = log_kernel_sums(X[:40], X, logw, KERNELS["tophat"])
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)


def test_auto_share_threshold_follows_the_search_available(monkeypatch):
    from densitykit.kde import _compiled

    X = np.random.default_rng(14).normal(size=(50_000, 2))
    kde = KernelDensity(bandwidth=0.85, kernel="tophat").fit(X)
    assert 0.1 < kde._pair_share() < 0.25
    monkeypatch.setattr(_compiled, "AVAILABLE", True)
    assert kde._pick_algorithm(2_000) == "neighbors"
    monkeypatch.setattr(_compiled, "AVAILABLE", False)
    assert kde._pick_algorithm(2_000) == "exact"
