"""Kernels: normalisation in 1-D and 2-D, sampling goodness of fit, compiled vs NumPy loops."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from densitykit import KernelDensity
from densitykit.kde import KERNELS, _compiled
from densitykit.kde._binned import bin_linear
from densitykit.kde._exact import log_kernel_sums
from reference_kde import normaliser, radial_cdf

ALL = list(KERNELS)
needs_numba = pytest.mark.skipif(not _compiled.AVAILABLE, reason="numba not installed")


def _reach(kernel: str, h: float) -> float:
    return h * (KERNELS[kernel].support if np.isfinite(KERNELS[kernel].support) else 45.0)


@pytest.mark.parametrize("kernel", ALL)
@pytest.mark.parametrize("d", [1, 2, 3, 5, 64])
def test_normaliser_matches_quadrature(kernel, d):
    assert KERNELS[kernel].log_norm(d) == pytest.approx(np.log(normaliser(kernel, d)), abs=1e-9)


@pytest.mark.parametrize("kernel", ALL)
def test_integrates_to_one_1d(kernel):
    h = 0.7
    kde = KernelDensity(bandwidth=h, kernel=kernel).fit([[0.3], [1.0]], sample_weight=[1, 3])
    f = lambda x: float(np.exp(kde.score_samples([[x]])[0]))  # noqa: E731
    r = _reach(kernel, h)
    pts = [0.3 - h, 0.3, 0.3 + h, 1.0 - h, 1.0, 1.0 + h]
    total, _ = integrate.quad(f, 0.3 - r, 1.0 + r, points=pts, limit=500, epsabs=1e-12)
    assert total == pytest.approx(1.0, abs=1e-8)


@pytest.mark.parametrize("kernel", ALL)
def test_integrates_to_one_2d(kernel):
    # one point, radial kernel: Gauss-Legendre in the radius (the profile is smooth inside
    # its support), trapezoid in the angle
    h = 0.7
    kde = KernelDensity(bandwidth=h, kernel=kernel).fit([[0.5, -0.2]])
    nodes, weights = np.polynomial.legendre.leggauss(200)
    top = _reach(kernel, h) * (1 - 1e-12)
    r = 0.5 * top * (nodes + 1)
    wr = 0.5 * top * weights
    theta = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    R, T = np.meshgrid(r, theta, indexing="ij")
    pts = np.column_stack([0.5 + (R * np.cos(T)).ravel(), -0.2 + (R * np.sin(T)).ravel()])
    f = np.exp(kde.score_samples(pts)).reshape(R.shape)
    total = np.sum(wr[:, None] * r[:, None] * f) * (2 * np.pi / theta.size)
    tol = 1e-6 if kernel == "exponential" else 1e-9  # the cusp at 0 limits the quadrature
    assert total == pytest.approx(1.0, abs=tol)


def test_integrates_to_one_2d_full_matrix():
    H = np.array([[0.5, 0.3], [0.3, 0.4]])
    kde = KernelDensity(bandwidth=H).fit([[0.0, 0.0], [1.0, 0.5]])
    g = np.linspace(-6, 7, 801)
    X, Y = np.meshgrid(g, g, indexing="ij")
    f = np.exp(kde.score_samples(np.column_stack([X.ravel(), Y.ravel()]))).reshape(X.shape)
    total = np.trapezoid(np.trapezoid(f, g, axis=1), g)
    assert total == pytest.approx(1.0, abs=1e-9)


def _radial_cdf_table(kernel: str, d: int) -> tuple[np.ndarray, np.ndarray]:
    top = KERNELS[kernel].support if np.isfinite(KERNELS[kernel].support) else 60.0
    r = np.linspace(0, top, 4001)
    cdf = np.array([radial_cdf(kernel, d, x) for x in r[::40]])
    return r[::40], cdf


@pytest.mark.parametrize("kernel", ALL)
@pytest.mark.parametrize("d", [1, 2, 3])
def test_samples_radius_goodness_of_fit(kernel, d):
    kde = KernelDensity(bandwidth=1.0, kernel=kernel).fit(np.zeros((1, d)))
    u = kde.sample(3000, random_state=100 + d)
    grid, cdf = _radial_cdf_table(kernel, d)
    if d == 1:
        # signed: F(u) = 1/2 + sign(u) G(|u|) / 2
        fine = np.linspace(0, grid[-1], 20001)
        g = np.interp(fine, grid, cdf) if kernel != "gaussian" else stats.chi.cdf(fine, 1)
        def signed_cdf(x):
            return 0.5 + 0.5 * np.sign(x) * np.interp(np.abs(x), fine, g)
        p = stats.kstest(u[:, 0], signed_cdf).pvalue
    else:
        radius = np.linalg.norm(u, axis=1)
        if kernel == "gaussian":
            p = stats.kstest(radius, stats.chi(d).cdf).pvalue
        else:
            exact = np.vectorize(lambda x: radial_cdf(kernel, d, x))
            fine = np.linspace(0, grid[-1], 2001)
            table = exact(fine)
            p = stats.kstest(radius, lambda x: np.interp(x, fine, table)).pvalue
        angle = np.arctan2(u[:, 1], u[:, 0])
        assert stats.kstest(angle, stats.uniform(-np.pi, 2 * np.pi).cdf).pvalue > 1e-3
    assert p > 1e-3


@pytest.mark.parametrize("kernel", ALL)
def test_samples_agree_with_score_samples_1d(kernel):
    X = np.array([[-1.0], [0.0], [0.4], [2.0]])
    w = np.array([1.0, 2.0, 0.5, 1.5])
    kde = KernelDensity(bandwidth=0.6, kernel=kernel).fit(X, sample_weight=w)
    grid = np.linspace(-1 - _reach(kernel, 0.6), 2 + _reach(kernel, 0.6), 200001)
    dens = np.exp(kde.score_samples(grid[:, None]))
    cdf = integrate.cumulative_trapezoid(dens, grid, initial=0.0)
    cdf /= cdf[-1]
    draws = kde.sample(4000, random_state=7)[:, 0]
    assert stats.kstest(draws, lambda x: np.interp(x, grid, cdf)).pvalue > 1e-3


@needs_numba
@pytest.mark.parametrize("kernel", ALL)
def test_compiled_and_numpy_loops_agree(kernel):
    rng = np.random.default_rng(0)
    X, Q = rng.normal(size=(700, 4)), rng.normal(size=(90, 4))
    lw = np.log(rng.dirichlet(np.ones(700)))
    for s in (0.2, 1.5):
        a = log_kernel_sums(Q, X, lw, KERNELS[kernel], inv_s2=s, compiled=True, budget=20000)
        b = log_kernel_sums(Q, X, lw, KERNELS[kernel], inv_s2=s, compiled=False, budget=20000)
        assert np.array_equal(np.isfinite(a), np.isfinite(b))
        np.testing.assert_allclose(a[np.isfinite(a)], b[np.isfinite(b)], rtol=1e-12, atol=1e-12)
    a = log_kernel_sums(X, X, lw, KERNELS[kernel], inv_s2=[0.5, 2.0], loo=True, compiled=True,
                        budget=30000)
    b = log_kernel_sums(X, X, lw, KERNELS[kernel], inv_s2=[0.5, 2.0], loo=True, compiled=False,
                        budget=30000)
    np.testing.assert_allclose(a[np.isfinite(a)], b[np.isfinite(b)], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("compiled", [False, pytest.param(True, marks=needs_numba)])
def test_blocking_does_not_change_results(compiled):
    rng = np.random.default_rng(1)
    X, Q = rng.normal(size=(500, 3)), rng.normal(size=(70, 3))
    lw = np.full(500, -np.log(500))
    whole = log_kernel_sums(Q, X, lw, KERNELS["gaussian"], compiled=compiled, budget=10**8)
    tiny = log_kernel_sums(Q, X, lw, KERNELS["gaussian"], compiled=compiled, budget=97)
    np.testing.assert_allclose(whole, tiny, rtol=0, atol=1e-13)
    loo = log_kernel_sums(X, X, lw, KERNELS["gaussian"], loo=True, compiled=compiled, budget=333)
    d2 = ((X[:, None] - X[None]) ** 2).sum(-1)
    np.fill_diagonal(d2, np.inf)
    ref = np.log(np.exp(-0.5 * d2).sum(1)) + lw[0]
    np.testing.assert_allclose(loo, ref, rtol=0, atol=1e-12)


@needs_numba
@pytest.mark.parametrize("d", [1, 2])
def test_compiled_and_numpy_binning_agree(d):
    rng = np.random.default_rng(2)
    Z, w = rng.normal(size=(1000, d)), rng.random(1000)
    shape = (50,) if d == 1 else (40, 30)
    lo, delta = Z.min(0), (Z.max(0) - Z.min(0)) / (np.array(shape) - 1)
    a = bin_linear(Z, w, lo, delta, shape, compiled=True)
    b = bin_linear(Z, w, lo, delta, shape, compiled=False)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
    assert a.sum() == pytest.approx(w.sum(), rel=1e-12)
    grids = np.meshgrid(*[lo[i] + delta[i] * np.arange(shape[i]) for i in range(d)],
                        indexing="ij")
    for i in range(d):  # linear binning keeps the first moments
        assert np.sum(a * grids[i]) == pytest.approx(w @ Z[:, i], rel=1e-10)


@needs_numba
def test_estimator_same_numbers_without_numba(monkeypatch):
    rng = np.random.default_rng(3)
    X, Q = rng.normal(size=(3000, 1)), rng.normal(size=(3000, 1))
    models = {}
    for flag in (True, False):
        monkeypatch.setattr(_compiled, "AVAILABLE", flag)
        exact = KernelDensity(bandwidth="cv", algorithm="exact").fit(X[:400])
        binned = KernelDensity(algorithm="binned").fit(X)
        models[flag] = (exact.bandwidth_, exact.score_samples(Q), binned.score_samples(Q))
    for a, b in zip(models[True], models[False]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@needs_numba
@pytest.mark.parametrize("loo", [False, True])
def test_threaded_and_serial_gaussian_builds_agree(loo):
    rng = np.random.default_rng(4)
    Q, X = rng.normal(size=(300, 5)), rng.normal(size=(400, 5))
    gram = Q @ X.T
    args = (gram, np.einsum("ij,ij->i", Q, Q), np.einsum("ij,ij->i", X, X),
            np.log(rng.dirichlet(np.ones(400))), 0.7, loo, 0)
    outs = []
    for build in (_compiled._gaussian_threads, _compiled._gaussian_serial):
        run_max, run_sum = np.full(300, -np.inf), np.zeros(300)
        build(*args, run_max, run_sum)
        outs.append(np.log(run_sum) + run_max)
    ref = np.full(300, -np.inf), np.zeros(300)
    from densitykit.kde._exact import _accumulate_numpy

    _accumulate_numpy(gram, *args[1:5], KERNELS["gaussian"], loo, 0, *ref)
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_allclose(outs[0], np.log(ref[1]) + ref[0], rtol=0, atol=1e-12)


@needs_numba
@pytest.mark.parametrize("loo", [False, True])
def test_fused_gaussian_path_agrees(monkeypatch, loo):
    from densitykit.kde import _exact

    monkeypatch.setattr(_exact, "_FUSED_MIN", 1)
    rng = np.random.default_rng(6)
    X = rng.normal(size=(900, 7))
    Q = X if loo else rng.normal(size=(600, 7))
    lw = np.log(rng.dirichlet(np.ones(900)))
    g = KERNELS["gaussian"]
    fused = log_kernel_sums(Q, X, lw, g, loo=loo, budget=50000)
    plain = log_kernel_sums(Q, X, lw, g, loo=loo, budget=50000, compiled=False)
    np.testing.assert_allclose(fused, plain, rtol=0, atol=1e-12)
    half = log_kernel_sums(Q, X * 2.0, lw, g, loo=loo, budget=50000, prep=lambda b: b / 2.0)
    np.testing.assert_allclose(half, plain, rtol=0, atol=1e-12)
