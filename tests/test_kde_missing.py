"""KernelDensity on queries with empty (NaN) cells: the marginal density of observed cells."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from scipy import integrate
from scipy.special import logsumexp

from densitykit import KernelDensity
from densitykit.exceptions import DataError
from densitykit.kde import KERNELS
from densitykit.kde._kernels import MARGINAL_KERNELS, marginal_kernel
from reference_kde import PROFILES, normaliser

H3 = np.array([[0.5, 0.2, 0.1], [0.2, 0.6, 0.15], [0.1, 0.15, 0.4]])
BANDWIDTHS = {"scalar": 0.7, "per-feature": np.array([0.5, 0.9, 0.7]), "matrix": H3}
COMPACT = ["tophat", "epanechnikov", "biweight", "triweight"]


def _chol(bandwidth, d):
    bw = np.asarray(bandwidth, float)
    return np.linalg.cholesky(bw) if bw.ndim == 2 else np.diag(np.broadcast_to(bw, (d,)))


def gaussian_marginal(X, w, bandwidth, queries):
    """log Σ_j p_j N(x_o; x_jo, H_oo) row by row, straight from scipy's normal density."""
    L = _chol(bandwidth, X.shape[1])
    H = L @ L.T
    p = np.ones(len(X)) if w is None else np.asarray(w, float)
    p = p / p.sum()
    out = []
    for q in queries:
        o = np.flatnonzero(~np.isnan(q))
        if o.size == 0:
            out.append(0.0)
            continue
        mvn = scipy.stats.multivariate_normal(np.zeros(o.size), H[np.ix_(o, o)])
        out.append(logsumexp(mvn.logpdf(q[o] - X[:, o]), b=p))
    return np.array(out)


def quad_marginal(X, w, kernel, bandwidth, query):
    """Log-density of a query with one empty cell: the d-dimensional estimate integrated
    over that cell by quadrature, one data row at a time (split where the row's kernel
    starts, ends, or peaks on the line)."""
    n, d = X.shape
    j = int(np.flatnonzero(np.isnan(query))[0])
    L = _chol(bandwidth, d)
    Linv = np.linalg.inv(L)
    k, support = PROFILES[kernel]
    x0 = np.where(np.isnan(query), 0.0, query)
    c = Linv[:, j]
    p = np.ones(n) if w is None else np.asarray(w, float)
    total = 0.0
    for r in range(n):
        a = Linv @ (x0 - X[r])
        A, B, C = c @ c, 2 * (a @ c), a @ a  # |u(t)|^2 = A t^2 + B t + C
        t_mid = -B / (2 * A)

        def f(t, A=A, B=B, C=C):
            return k(math.sqrt(max(A * t * t + B * t + C, 0.0)))

        if math.isfinite(support):
            disc = B * B - 4 * A * (C - 1.0)
            if disc <= 0:
                continue
            lo, hi = (-B - math.sqrt(disc)) / (2 * A), (-B + math.sqrt(disc)) / (2 * A)
            parts = [(lo, t_mid), (t_mid, hi)]
        else:
            parts = [(-math.inf, t_mid), (t_mid, math.inf)]
        val = sum(integrate.quad(f, a_, b_, epsabs=0, epsrel=1e-13, limit=200)[0]
                  for a_, b_ in parts)
        total += p[r] * val
    z = normaliser(kernel, d) * abs(np.linalg.det(L)) * p.sum()
    return math.log(total / z)


@pytest.fixture(scope="module")
def data3():
    rng = np.random.default_rng(7)
    X = rng.multivariate_normal([0, 1, -1], [[1, 0.5, 0.2], [0.5, 2, 0.3], [0.2, 0.3, 1.5]],
                                size=250)
    return X, rng.random(250) + 0.2


def _queries(rng, d, n=12):
    Q = rng.normal(size=(n, d)) * 1.3
    return Q


# ---- gaussian: exact for every bandwidth kind ---------------------------------------------
@pytest.mark.parametrize("kind", list(BANDWIDTHS))
@pytest.mark.parametrize("weighted", [False, True])
def test_gaussian_marginal_matches_explicit_sum(data3, kind, weighted):
    X, w = data3
    w = w if weighted else None
    Q = _queries(np.random.default_rng(1), 3, 16)
    Q[0:4, 1] = np.nan
    Q[4:8, [0, 2]] = np.nan
    Q[8:10, 2] = np.nan
    Q[10, :] = np.nan
    kde = KernelDensity(bandwidth=BANDWIDTHS[kind], algorithm="exact").fit(X, sample_weight=w)
    np.testing.assert_allclose(kde.score_samples(Q), gaussian_marginal(X, w, BANDWIDTHS[kind], Q),
                               rtol=0, atol=1e-11)


def test_gaussian_marginal_matches_scipy_gaussian_kde(data3):
    X, _ = data3
    full = scipy.stats.gaussian_kde(X.T, bw_method=0.45)
    kde = KernelDensity(bandwidth=full.covariance).fit(X)
    Q = _queries(np.random.default_rng(2), 3, 20)
    for o in ([0], [1, 2], [0, 2]):
        sub = scipy.stats.gaussian_kde(X[:, o].T, bw_method=0.45)  # covariance (0.45^2 S)_oo
        Qm = Q.copy()
        Qm[:, [j for j in range(3) if j not in o]] = np.nan
        np.testing.assert_allclose(kde.score_samples(Qm), sub.logpdf(Q[:, o].T),
                                   rtol=0, atol=1e-11)


@pytest.mark.parametrize("rule", ["scott", "silverman"])
def test_rule_bandwidth_marginal_is_the_sub_bandwidth(data3, rule):
    X, w = data3
    kde = KernelDensity(bandwidth=rule).fit(X, sample_weight=w)
    sub = KernelDensity(bandwidth=kde.bandwidth_[[0, 2]]).fit(X[:, [0, 2]], sample_weight=w)
    Q = _queries(np.random.default_rng(3), 3)
    Qm = Q.copy()
    Qm[:, 1] = np.nan
    np.testing.assert_allclose(kde.score_samples(Qm), sub.score_samples(Q[:, [0, 2]]),
                               rtol=0, atol=1e-12)


# ---- other kernels: exact closed forms against quadrature of the full estimate ---------------
@pytest.mark.parametrize("kernel", [*COMPACT, "exponential"])
@pytest.mark.parametrize("kind", list(BANDWIDTHS))
def test_marginal_matches_quadrature_3d(kernel, kind):
    rng = np.random.default_rng(4)
    X, w = rng.normal(size=(30, 3)), rng.random(30) + 0.5
    Q = rng.normal(size=(4, 3)) * 0.7
    Q[[0, 1], 1] = np.nan
    Q[[2, 3], 0] = np.nan
    kde = KernelDensity(bandwidth=BANDWIDTHS[kind], kernel=kernel).fit(X, sample_weight=w)
    ref = [quad_marginal(X, w, kernel, BANDWIDTHS[kind], q) for q in Q]
    np.testing.assert_allclose(kde.score_samples(Q), ref, rtol=0, atol=1e-9)


@pytest.mark.parametrize("kernel", [*COMPACT, "exponential"])
def test_marginal_matches_quadrature_2d(kernel):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(25, 2))
    H = np.array([[0.8, -0.3], [-0.3, 0.5]])
    Q = rng.normal(size=(4, 2)) * 0.6
    Q[:2, 0] = np.nan
    Q[2:, 1] = np.nan
    kde = KernelDensity(bandwidth=H, kernel=kernel).fit(X)
    ref = [quad_marginal(X, None, kernel, H, q) for q in Q]
    np.testing.assert_allclose(kde.score_samples(Q), ref, rtol=0, atol=1e-9)


@pytest.mark.parametrize("kernel", ["epanechnikov", "tophat", "exponential"])
def test_two_empty_cells_is_the_marginal_of_the_marginal(kernel):
    """Integrating a second cell out of the one-cell marginal (by quadrature) gives the
    two-cell marginal."""
    rng = np.random.default_rng(6)
    X = rng.normal(size=(40, 3))
    kde = KernelDensity(bandwidth=H3, kernel=kernel).fit(X)
    x0 = 0.3

    def one_empty(t):
        return math.exp(kde.score_samples([[x0, t, np.nan]])[0])

    reach = 8.0 if kernel == "exponential" else 2.0
    pts = np.sort(X[:, 1])
    edges = np.concatenate([[pts[0] - 8 * reach], pts[::4], [pts[-1] + 8 * reach]])
    total = sum(integrate.quad(one_empty, a, b, epsabs=1e-14, epsrel=1e-11, limit=200)[0]
                for a, b in itertools.pairwise(edges))
    got = kde.score_samples([[x0, np.nan, np.nan]])[0]
    # the tophat's one-cell marginal has square-root edges, which quadrature resolves less well
    tol = 1e-6 if kernel == "tophat" else 1e-7
    np.testing.assert_allclose(got, math.log(total), rtol=0, atol=tol)


@pytest.mark.parametrize("name", MARGINAL_KERNELS)
@pytest.mark.parametrize("d,q", [(2, 1), (3, 1), (3, 2), (4, 1), (5, 3)])
def test_marginal_kernel_integrates_to_one(name, d, q):
    kernel = marginal_kernel(KERNELS[name], d, q)
    area = 2.0 * math.pi ** (q / 2) / math.gamma(q / 2)
    top = 1.0 if math.isfinite(kernel.support) else 90.0

    def f(r):
        return r ** (q - 1) * math.exp(float(kernel.log_profile(np.array([r * r]))[0]))

    radial, _ = integrate.quad(f, 0.0, top, epsabs=0, epsrel=1e-12, limit=400)
    assert math.isclose(math.log(area * radial), kernel.log_norm(q), abs_tol=1e-9)
    assert kernel.log_profile(np.array([0.0]))[0] == 0.0


def test_marginal_kernel_names_registry_kernels_where_they_are_one():
    assert marginal_kernel(KERNELS["tophat"], 3, 1) is KERNELS["epanechnikov"]
    assert marginal_kernel(KERNELS["epanechnikov"], 3, 1) is KERNELS["biweight"]
    assert marginal_kernel(KERNELS["gaussian"], 5, 2) is KERNELS["gaussian"]
    k = marginal_kernel(KERNELS["epanechnikov"], 2, 1)
    assert not k.compiled and math.isclose(k.log_norm(1), math.log(normaliser("epanechnikov", 2)
                                                               / normaliser("epanechnikov", 1)))


# ---- every evaluator path -------------------------------------------------------------------
@pytest.mark.parametrize("kernel", ["epanechnikov", "tophat", "biweight"])
@pytest.mark.parametrize("kind", list(BANDWIDTHS))
def test_neighbors_evaluator_matches_exact(data3, kernel, kind):
    X, w = data3
    Q = _queries(np.random.default_rng(8), 3, 300)
    Q[:100, 0] = np.nan
    Q[100:200, [1, 2]] = np.nan
    bw = BANDWIDTHS[kind]
    near = KernelDensity(bandwidth=bw, kernel=kernel, algorithm="neighbors").fit(X, sample_weight=w)
    exact = KernelDensity(bandwidth=bw, kernel=kernel, algorithm="exact").fit(X, sample_weight=w)
    a, b = near.score_samples(Q), exact.score_samples(Q)
    assert np.array_equal(np.isfinite(a), np.isfinite(b)) and np.isfinite(a).sum() > 200
    fin = np.isfinite(a)
    np.testing.assert_allclose(a[fin], b[fin], rtol=0, atol=1e-11)


@pytest.mark.parametrize("bandwidth", [0.3, np.array([0.3, 0.5]), np.array([[0.2, 0.05],
                                                                           [0.05, 0.3]])])
def test_binned_evaluator_on_marginals(bandwidth):
    """A 2-D model scored with a cell empty runs the (1-D) binned sub-problem."""
    rng = np.random.default_rng(9)
    X = rng.normal(size=(3000, 2))
    Q = rng.normal(size=(400, 2))
    Q[:200, 0] = np.nan
    Q[200:300, 1] = np.nan
    binned = KernelDensity(bandwidth=bandwidth, algorithm="binned").fit(X)
    ref = gaussian_marginal(X, None, bandwidth, Q)
    got = binned.score_samples(Q)
    np.testing.assert_allclose(got, ref, rtol=2e-3, atol=0)
    exact = KernelDensity(bandwidth=bandwidth, algorithm="exact").fit(X).score_samples(Q)
    assert not np.allclose(got[:300], exact[:300], rtol=0, atol=1e-14)  # the grid answered


def test_auto_picks_binned_for_a_large_marginal_and_stays_accurate(monkeypatch):
    from densitykit.kde import _binned

    calls = []
    real = _binned.binned_log_density
    monkeypatch.setattr(_binned, "binned_log_density",
                        lambda kd, X, *a, **k: calls.append(kd.rows.shape) or real(kd, X))
    rng = np.random.default_rng(10)
    X = rng.normal(size=(6000, 3))
    Q = rng.normal(size=(4000, 3))
    Q[:, [1, 2]] = np.nan
    kde = KernelDensity(bandwidth=0.25).fit(X)
    got = kde.score_samples(Q)
    assert calls == [(6000, 1)]
    ref = KernelDensity(bandwidth=0.25, algorithm="exact").fit(X[:, :1]).score_samples(Q[:, :1])
    np.testing.assert_allclose(got, ref, rtol=2e-3, atol=0)


@pytest.mark.parametrize("kernel", ["epanechnikov", "tophat"])
def test_binned_request_with_a_non_registry_marginal_runs_exactly(kernel):
    rng = np.random.default_rng(11)
    X = rng.normal(size=(500, 2))
    Q = rng.normal(size=(50, 2))
    Q[:, 1] = np.nan
    a = KernelDensity(bandwidth=0.4, kernel=kernel, algorithm="binned").fit(X).score_samples(Q)
    b = KernelDensity(bandwidth=0.4, kernel=kernel, algorithm="exact").fit(X).score_samples(Q)
    np.testing.assert_array_equal(a, b)


# ---- unchanged behaviour, edge cases ---------------------------------------------------------
@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov", "linear"])
def test_complete_rows_score_as_before(data3, kernel):
    X, w = data3
    Q = _queries(np.random.default_rng(12), 3, 30)
    kde = KernelDensity(bandwidth=0.8, kernel=kernel).fit(X, sample_weight=w)
    before = kde.score_samples(Q)
    mixed = np.vstack([Q, np.full((3, 3), np.nan)])
    if kernel != "linear":
        mixed[-2, 0] = 0.1
    after = kde.score_samples(mixed)
    np.testing.assert_array_equal(after[:30], before)
    np.testing.assert_array_equal(after[-1], 0.0)


def test_rows_with_no_observed_cell_score_zero(data3):
    X, _ = data3
    kde = KernelDensity(kernel="cosine").fit(X)
    out = kde.score_samples(np.full((4, 3), np.nan))
    np.testing.assert_array_equal(out, np.zeros(4))
    assert kde.score(np.full((2, 3), np.nan)) == 0.0


@pytest.mark.parametrize("kernel", ["linear", "cosine"])
def test_kernels_without_a_marginal_raise_clearly(data3, kernel):
    X, _ = data3
    kde = KernelDensity(kernel=kernel).fit(X)
    with pytest.raises(DataError, match=r"no closed-form marginal.*'gaussian'.*fill"):
        kde.score_samples([[0.0, np.nan, 1.0], [0.0, 0.0, 0.0]])


def test_score_sums_the_marginal_log_densities(data3):
    X, _ = data3
    kde = KernelDensity().fit(X)
    Q = np.array([[0.0, np.nan, 1.0], [0.2, 0.1, np.nan], [1.0, 1.0, 1.0]])
    assert math.isclose(kde.score(Q), float(np.sum(kde.score_samples(Q))), rel_tol=1e-14)
    assert np.all(np.isfinite(kde.score_samples(Q)))


def test_data_frames_and_lists_with_empty_cells(data3):
    X, _ = data3
    cols = ["a", "b", "c"]
    kde = KernelDensity(bandwidth=0.6).fit(pd.DataFrame(X, columns=cols))
    Q = np.array([[0.0, np.nan, 1.0], [np.nan, 0.5, np.nan]])
    expected = gaussian_marginal(X, None, 0.6, Q)
    np.testing.assert_allclose(kde.score_samples(pd.DataFrame(Q, columns=cols)), expected,
                               rtol=0, atol=1e-12)
    with pytest.warns(UserWarning, match="feature names"):
        kde.score_samples(Q)
    plain = KernelDensity(bandwidth=0.6).fit(X)
    np.testing.assert_allclose(plain.score_samples([[0.0, None, 1.0], [None, 0.5, None]]),
                               expected, rtol=0, atol=1e-12)
    nullable = pd.DataFrame(Q, columns=cols).astype("Float64")  # pd.NA: an empty cell
    np.testing.assert_allclose(kde.score_samples(nullable), expected, rtol=0, atol=1e-12)
    with pytest.raises(DataError, match=r"empty .* the estimate is built from complete rows"):
        KernelDensity().fit(nullable)


def test_infinite_cells_and_wrong_widths_are_still_refused(data3):
    X, _ = data3
    kde = KernelDensity().fit(X)
    with pytest.raises(DataError, match="infinity"):
        kde.score_samples([[np.inf, np.nan, 0.0]])
    with pytest.raises(DataError, match="features"):
        kde.score_samples([[0.0, np.nan]])


def test_fit_refuses_empty_cells_naming_the_fix(data3):
    X, _ = data3
    Xn = X.copy()
    Xn[[3, 5], 1] = np.nan
    Xn[5, 2] = np.nan
    with pytest.raises(DataError, match=r"3 empty \(NaN\) cell\(s\) in 2 row\(s\).*"
                                        r"read_table\(\.\.\., policy='drop-rows'\).*impute"):
        KernelDensity().fit(Xn)


@pytest.mark.parametrize("preserve", [False, True])
def test_preserve_covariance_and_sampling_with_empty_cell_queries(data3, preserve):
    X, w = data3
    kde = KernelDensity(bandwidth=H3, preserve_covariance=preserve).fit(X, sample_weight=w)
    Q = np.array([[0.0, np.nan, -1.0], [np.nan, np.nan, 0.5]])
    np.testing.assert_allclose(kde.score_samples(Q), gaussian_marginal(X, w, H3, Q),
                               rtol=0, atol=1e-11)
    draws = kde.sample(500, random_state=0)
    assert draws.shape == (500, 3) and np.all(np.isfinite(draws))
