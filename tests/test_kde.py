"""KernelDensity: chapter figures, peers, reference, invariants, sampling, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
from sklearn.datasets import load_digits
from sklearn.neighbors import KernelDensity as SkKernelDensity

from densitykit import KernelDensity
from densitykit.exceptions import DataError, DataTypeError, FitError, NotFittedError
from densitykit.kde import KERNELS
from reference_kde import log_density

SK_KERNELS = ["gaussian", "tophat", "epanechnikov", "exponential", "linear", "cosine"]
ALL_KERNELS = list(KERNELS)


@pytest.fixture(scope="module")
def digits():
    return load_digits(return_X_y=True)


def test_chapter_figures(digits):
    X, y = digits
    model = KernelDensity(bandwidth=10, kernel="gaussian").fit(X[y == 0])
    np.testing.assert_allclose(
        model.score_samples(X[:3]), [-208.48758285, -220.39043884, -218.35226166],
        rtol=0, atol=5e-9,
    )


@pytest.mark.parametrize("kernel", SK_KERNELS)
@pytest.mark.parametrize("bandwidth", [0.3, 1.7])
def test_matches_sklearn(kernel, bandwidth):
    rng = np.random.default_rng(1)
    X, Q = rng.normal(size=(400, 3)), rng.normal(size=(60, 3)) * 1.2
    w = rng.random(400)
    ours = KernelDensity(bandwidth=bandwidth, kernel=kernel).fit(X, sample_weight=w)
    peer = SkKernelDensity(bandwidth=bandwidth, kernel=kernel).fit(X, sample_weight=w)
    a, b = ours.score_samples(Q), peer.score_samples(Q)
    # scikit-learn's tree sums leave a rounding floor near log(1e-15) where the density is 0
    zero = ~np.isfinite(a)
    assert np.all(b[zero] < -30)
    fin = ~zero & (b > -25)
    assert fin.sum() > 10
    # scikit-learn sums densities in linear space, so in the far tail its log-densities drift
    # by ~1e-11 relative (ours match the loop reference to 1e-13 there, tested below)
    core = fin & (b > -10)
    np.testing.assert_allclose(a[core], b[core], rtol=0, atol=1e-10)
    np.testing.assert_allclose(a[fin], b[fin], rtol=1e-10, atol=0)


def test_matches_sklearn_digits(digits):
    X, _ = digits
    ours = KernelDensity(bandwidth=10).fit(X[:900])
    peer = SkKernelDensity(bandwidth=10).fit(X[:900])
    np.testing.assert_allclose(ours.score_samples(X[900:]), peer.score_samples(X[900:]),
                               rtol=0, atol=1e-10)


@pytest.mark.parametrize("rule", ["scott", "silverman"])
def test_matches_scipy_1d_rules(rule):
    x = np.random.default_rng(2).gamma(2.0, size=700)
    q = np.linspace(-1, 12, 50)
    peer = scipy.stats.gaussian_kde(x, bw_method=rule)
    ours = KernelDensity(bandwidth=rule).fit(x[:, None])
    np.testing.assert_allclose(ours.bandwidth_, np.sqrt(peer.covariance[0, 0]), rtol=1e-12)
    np.testing.assert_allclose(ours.score_samples(q[:, None]), peer.logpdf(q), rtol=0, atol=1e-10)


def test_matches_scipy_full_matrix_weighted():
    rng = np.random.default_rng(3)
    X = rng.multivariate_normal([0, 1], [[1, 0.8], [0.8, 2]], size=500)
    w = rng.random(500)
    peer = scipy.stats.gaussian_kde(X.T, weights=w)
    ours = KernelDensity(bandwidth=peer.covariance).fit(X, sample_weight=w)
    Q = rng.normal(size=(40, 2)) * 2
    np.testing.assert_allclose(ours.score_samples(Q), peer.logpdf(Q.T), rtol=0, atol=1e-10)


COMPACT_KERNELS = [k for k in ALL_KERNELS if np.isfinite(KERNELS[k].support)]
KERNEL_EVALUATORS = [(k, a) for k in ALL_KERNELS for a in ("exact", "binned")] + [
    (k, "neighbors") for k in COMPACT_KERNELS]


@pytest.mark.parametrize(("kernel", "algorithm"), KERNEL_EVALUATORS)
@pytest.mark.parametrize("bandwidth", [0.6, "vector", "matrix"])
def test_matches_reference(kernel, bandwidth, algorithm):
    rng = np.random.default_rng(4)
    X, Q = rng.normal(size=(40, 2)), rng.normal(size=(15, 2)) * 1.3
    w = rng.random(40) + 0.1
    bw = {"vector": np.array([0.5, 0.9]), "matrix": np.array([[0.5, 0.2], [0.2, 0.4]])}.get(
        bandwidth, bandwidth) if isinstance(bandwidth, str) else bandwidth
    model = KernelDensity(bandwidth=bw, kernel=kernel, algorithm=algorithm)
    model.fit(X, sample_weight=w)
    ref = log_density(X, Q, kernel, bw, w)
    got = model.score_samples(Q)
    assert np.array_equal(np.isfinite(got), np.isfinite(ref)) or algorithm == "binned"
    fin = np.isfinite(ref)
    if algorithm in ("exact", "neighbors"):
        np.testing.assert_allclose(got[fin], ref[fin], rtol=0, atol=1e-10)
    else:
        from densitykit.kde._binned import _fitted_grid

        bound = _fitted_grid(model._kernel_sums())[0].bound
        assert np.all(np.abs(np.exp(got) - np.exp(ref)) <= bound)


def test_integer_weights_equal_repeated_rows():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(50, 2))
    counts = rng.integers(0, 4, size=50)
    counts[0] = 1
    Q = rng.normal(size=(20, 2))
    repeated = np.repeat(X, counts, axis=0)
    # weights are relative (rules use the effective sample size), so compare the densities
    # for the same bandwidth: the one a rule picks on the repeated rows, or a number
    for rule in ["scott", "silverman-covariance", None]:
        bw = 0.4 if rule is None else KernelDensity(bandwidth=rule).fit(repeated).bandwidth_
        a = KernelDensity(bandwidth=bw).fit(X, sample_weight=counts)
        b = KernelDensity(bandwidth=bw).fit(repeated)
        np.testing.assert_allclose(a.score_samples(Q), b.score_samples(Q), rtol=0, atol=1e-11)


def test_score_is_sum_of_score_samples():
    X = np.random.default_rng(6).normal(size=(100, 2))
    kde = KernelDensity(bandwidth=0.5).fit(X)
    assert kde.score(X[:10]) == pytest.approx(kde.score_samples(X[:10]).sum(), rel=1e-14)


def test_bandwidth_attribute_forms():
    X = np.random.default_rng(7).normal(size=(100, 2))
    assert KernelDensity(bandwidth=0.5).fit(X).bandwidth_ == 0.5
    assert KernelDensity(bandwidth="scott").fit(X).bandwidth_.shape == (2,)
    assert KernelDensity(bandwidth="scott").fit(X[:, :1]).bandwidth_ > 0
    m = np.array([[1.0, 0.2], [0.2, 1.0]])
    np.testing.assert_array_equal(KernelDensity(bandwidth=m).fit(X).bandwidth_, m)


@pytest.mark.parametrize("kernel", ALL_KERNELS)
def test_sample_shape_and_reproducible(kernel):
    X = np.random.default_rng(8).normal(size=(30, 3))
    kde = KernelDensity(bandwidth=0.3, kernel=kernel).fit(X)
    a = kde.sample(50, random_state=1)
    assert a.shape == (50, 3)
    np.testing.assert_array_equal(a, kde.sample(50, random_state=1))
    assert kde.sample().shape == (1, 3)


def test_sample_never_picks_zero_weight_rows():
    X = np.array([[0.0], [100.0]])
    kde = KernelDensity(bandwidth=1.0, kernel="tophat").fit(X, sample_weight=[1.0, 0.0])
    assert np.all(np.abs(kde.sample(500, random_state=0)) < 1)


def test_zero_weights_equal_dropped_rows():
    rng = np.random.default_rng(9)
    X, w = rng.normal(size=(60, 2)), rng.random(60) * 3
    w[::3] = 0
    Q = rng.normal(size=(10, 2))
    a = KernelDensity().fit(X, sample_weight=w)
    b = KernelDensity().fit(X[w > 0], sample_weight=w[w > 0])
    np.testing.assert_allclose(a.score_samples(Q), b.score_samples(Q), atol=1e-12, rtol=0)


def test_far_queries_give_minus_inf_for_compact_and_finite_for_gaussian():
    X = np.zeros((5, 1))
    assert KernelDensity(bandwidth=1.0, kernel="tophat").fit(X).score_samples([[3.0]])[0] \
        == -np.inf
    far = KernelDensity(bandwidth=1.0).fit(X).score_samples([[100.0]])[0]
    assert far == pytest.approx(-5000 - 0.5 * np.log(2 * np.pi), rel=1e-14)


# ---- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize("bandwidth", [0, -1.0, np.nan, np.inf, [0.1, -0.2], [1.0, 2.0, 3.0],
                                       [[1.0, 2.0], [2.0, 1.0]], [[1.0, 0.0], [0.5, 1.0]],
                                       np.ones((2, 2, 2)), "wide", object()])
def test_bad_bandwidth(bandwidth):
    X = np.random.default_rng(10).normal(size=(20, 2))
    with pytest.raises(DataError, match="bandwidth"):
        KernelDensity(bandwidth=bandwidth).fit(X)


def test_unknown_rule_lists_valid_ones():
    with pytest.raises(DataError, match=r"'scott'.*'silverman'.*'isj'.*'cv'"):
        KernelDensity(bandwidth="nrd0").fit(np.ones((5, 1)))


def test_unknown_kernel_and_algorithm_list_valid_ones():
    X = np.random.default_rng(11).normal(size=(20, 1))
    with pytest.raises(DataError, match=r"'gaussian'.*'cosine'"):
        KernelDensity(kernel="box").fit(X)
    with pytest.raises(DataError, match=r"'exact'.*'binned'.*'neighbors'"):
        KernelDensity(algorithm="cover_tree").fit(X)


@pytest.mark.parametrize("rule", ["scott", "silverman", "cv", "isj"])
def test_zero_variance_with_rule_is_clear_error(rule):
    X = np.column_stack([np.ones(30)]) if rule == "isj" else np.column_stack(
        [np.random.default_rng(0).normal(size=30), np.full(30, 2.0)])
    with pytest.raises(FitError, match="constant"):
        KernelDensity(bandwidth=rule).fit(X)


def test_zero_variance_with_number_is_fine():
    kde = KernelDensity(bandwidth=1.0).fit(np.ones((10, 2)))
    assert np.isfinite(kde.score_samples(np.ones((1, 2)))).all()


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_rows(bad):
    X = np.random.default_rng(12).normal(size=(20, 2))
    X[3, 1] = bad
    with pytest.raises(DataError, match=r"NaN|inf"):
        KernelDensity().fit(X)
    kde = KernelDensity().fit(np.nan_to_num(X, posinf=0.0, nan=0.0))
    if np.isnan(bad):  # an empty cell in a query is integrated out (tests/test_kde_missing.py)
        assert np.isfinite(kde.score_samples(X)).all()
        return
    with pytest.raises(DataError, match=r"NaN|inf"):
        kde.score_samples(X)


def test_wrong_number_of_features_in_queries():
    kde = KernelDensity().fit(np.random.default_rng(13).normal(size=(20, 2)))
    with pytest.raises(ValueError, match="features"):
        kde.score_samples(np.zeros((3, 3)))


def test_empty_and_text_data():
    with pytest.raises(DataError):
        KernelDensity().fit(np.zeros((0, 2)))
    with pytest.raises((DataError, DataTypeError)):
        KernelDensity().fit([["a", "b"]])


def test_one_row_with_rule_and_unfitted_use():
    with pytest.raises(DataError, match=r"1 sample|more than one"):
        KernelDensity().fit(np.zeros((1, 2)))
    with pytest.raises(NotFittedError):
        KernelDensity().score_samples(np.zeros((1, 2)))
    with pytest.raises(NotFittedError):
        KernelDensity().sample()


@pytest.mark.parametrize("n", [0, -2, 1.5, True])
def test_bad_n_samples(n):
    kde = KernelDensity(bandwidth=1.0).fit(np.zeros((3, 1)))
    with pytest.raises(DataError, match="n_samples"):
        kde.sample(n)


def test_bad_sample_weight():
    X = np.zeros((3, 1))
    with pytest.raises(DataError, match="sample_weight"):
        KernelDensity(bandwidth=1.0).fit(X, sample_weight=[1.0, -1.0, 1.0])
    with pytest.raises(DataError, match="sample_weight"):
        KernelDensity(bandwidth=1.0).fit(X, sample_weight=[1.0, 1.0])


def test_grid_needs_low_dimension():
    kde = KernelDensity(bandwidth=1.0).fit(np.zeros((3, 3)))
    with pytest.raises(DataError, match="1-D and 2-D"):
        kde.grid()
    with pytest.raises(DataError, match="1-D and 2-D"):
        KernelDensity(bandwidth=1.0, algorithm="binned").fit(np.zeros((3, 3))).score_samples(
            np.zeros((1, 3)))


@pytest.mark.parametrize("bandwidth", [np.array([0.5, 2.0]), np.array([[1.0, 0.6], [0.6, 0.5]])])
def test_sample_follows_vector_and_matrix_bandwidths(bandwidth):
    kde = KernelDensity(bandwidth=bandwidth).fit(np.array([[1.0, -2.0]]))
    draws = kde.sample(20000, random_state=3)
    H = np.diag(bandwidth**2) if bandwidth.ndim == 1 else bandwidth
    np.testing.assert_allclose(draws.mean(0), [1.0, -2.0], atol=0.05)
    np.testing.assert_allclose(np.cov(draws.T), H, rtol=0.05, atol=0.02)


@pytest.mark.parametrize("kernel", ["linear", "exponential"])
@pytest.mark.parametrize("compiled", [True, False])
def test_exact_is_exact_at_queries_on_data_rows(kernel, compiled, monkeypatch):
    """Kernels with a kink at r = 0 read r = sqrt(u2): near pairs must not lose digits."""
    from densitykit.kde import _compiled

    if compiled and not _compiled.AVAILABLE:
        pytest.skip("numba is not installed")
    monkeypatch.setattr(_compiled, "AVAILABLE", compiled and _compiled.AVAILABLE)
    rng = np.random.default_rng(11)
    X = rng.normal(size=(600, 3)) * [1.0, 5.0, 0.2] + 40.0
    kde = KernelDensity(kernel=kernel, bandwidth=0.7, algorithm="exact").fit(X)
    on_rows = X[::7]
    np.testing.assert_allclose(kde.score_samples(on_rows),
                               log_density(X, on_rows, kernel, 0.7), rtol=0, atol=1e-10)


@pytest.mark.parametrize(
    ("kernel", "bandwidth", "weighted"),
    [("gaussian", 0.6, False), ("epanechnikov", np.array([0.5, 1.5, 0.3]), True),
     ("gaussian", "matrix", False)],
)
def test_preserve_covariance_keeps_the_datas_covariance(kernel, bandwidth, weighted):
    rng = np.random.default_rng(5)
    X = rng.multivariate_normal([1.0, -2.0, 0.5], [[2.0, 0.9, 0.3], [0.9, 1.0, -0.2],
                                                  [0.3, -0.2, 0.5]], size=400)
    w = rng.random(400) + 0.5 if weighted else None
    mean = np.average(X, axis=0, weights=w)
    S = np.cov(X.T, aweights=w, bias=True)
    if isinstance(bandwidth, str):
        bandwidth = 0.4 * S  # the kernel shaped like the data: a plain shrink
    draws = {}
    for preserve in (False, True):
        kde = KernelDensity(kernel=kernel, bandwidth=bandwidth, preserve_covariance=preserve)
        kde.fit(X, sample_weight=w)
        draws[preserve] = kde.sample(200_000, random_state=2)
        # the density is the same either way
        np.testing.assert_array_equal(kde.score_samples(X[:5]),
                                      KernelDensity(kernel=kernel, bandwidth=bandwidth)
                                      .fit(X, sample_weight=w).score_samples(X[:5]))
    np.testing.assert_allclose(np.cov(draws[True].T), S, atol=0.03)
    np.testing.assert_allclose(draws[True].mean(0), mean, atol=0.02)
    # without it the kernel's spread is added
    assert np.trace(np.cov(draws[False].T)) > np.trace(S) + 0.1
    if isinstance(bandwidth, np.ndarray) and bandwidth.ndim == 2:
        # a kernel shaped like the data is undone by 1 / sqrt(1 + 0.4) on every axis
        kde = KernelDensity(bandwidth=bandwidth, preserve_covariance=True).fit(X)
        np.testing.assert_allclose(kde._shrink, np.eye(3) / np.sqrt(1.4), atol=1e-12)


def test_one_by_one_bandwidth_matrix_is_a_matrix():
    X = np.random.default_rng(0).normal(size=(50, 1))
    kde = KernelDensity(bandwidth=np.array([[0.09]])).fit(X)
    np.testing.assert_array_equal(kde.bandwidth_, [[0.09]])
    np.testing.assert_allclose(kde.score_samples(X[:5]),
                               KernelDensity(bandwidth=0.3).fit(X).score_samples(X[:5]))


def test_preserve_covariance_must_be_a_bool():
    with pytest.raises(DataError, match="preserve_covariance must be True or False"):
        KernelDensity(preserve_covariance="false").fit(np.zeros((5, 1)) + np.arange(5)[:, None])
