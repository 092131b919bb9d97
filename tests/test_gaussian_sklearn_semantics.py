"""GaussianMixture against scikit-learn's as the oracle where a porting user would notice:
max_iter=0, lower_bounds_, warm-start convergence, ConvergenceWarning, checks of the given
initial parameters, and integer sample weights equal to repeated rows for every init."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture as SkGMM
from sklearn.utils.estimator_checks import (
    check_estimator,
    check_sample_weight_equivalence_on_dense_data,
)

from densitykit import GaussianMixture
from densitykit.exceptions import ConvergenceWarning, DataError

CTYPES = ["full", "tied", "diag", "spherical"]
INITS = ["kmeans", "k-means++", "random", "random_from_data"]


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal(-2, 1, (80, 3)), rng.normal(2, 0.7, (70, 3)),
                      rng.normal([0, 4, 0], 0.5, (50, 3))])


def _start(X, ctype, k=3):
    """A common start: the parameters of a short scikit-learn fit."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = SkGMM(k, covariance_type=ctype, random_state=0, max_iter=1).fit(X)
    return {"weights_init": sk.weights_, "means_init": sk.means_,
            "precisions_init": sk.precisions_}


def _fit(est, X, **kw):
    """Fit, returning the estimator and the convergence warnings raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, **kw)
    conv = [w for w in caught if issubclass(w.category, ConvergenceWarning)
            or w.category.__name__ == "ConvergenceWarning"]
    return est, conv


# --- max_iter=0 ------------------------------------------------------------------------------
@pytest.mark.parametrize("ctype", CTYPES)
def test_max_iter_zero_returns_the_start_like_sklearn(X, ctype):
    start = _start(X, ctype)
    given = {"weights_init": start["weights_init"], "means_init": start["means_init"]}
    sk, sk_warn = _fit(SkGMM(3, covariance_type=ctype, max_iter=0, random_state=0, **given), X)
    dk, dk_warn = _fit(GaussianMixture(3, covariance_type=ctype, max_iter=0, random_state=0,
                                       **given), X)
    assert len(sk_warn) == len(dk_warn) == 0
    for est in (sk, dk):
        assert est.converged_ is False
        assert est.n_iter_ == 0
        assert est.lower_bound_ == -np.inf
        assert list(est.lower_bounds_) == []
        np.testing.assert_array_equal(est.weights_, given["weights_init"])
        np.testing.assert_allclose(est.means_, given["means_init"], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(dk.predict(X), dk.fit_predict(X))


@pytest.mark.parametrize("ctype", CTYPES)
def test_max_iter_zero_keeps_given_precisions(X, ctype):
    # (scikit-learn 1.9 itself fails here with an AttributeError on covariances_)
    start = _start(X, ctype)
    dk, warned = _fit(GaussianMixture(3, covariance_type=ctype, max_iter=0, **start), X)
    assert not warned and dk.n_iter_ == 0 and dk.lower_bound_ == -np.inf
    np.testing.assert_allclose(dk.precisions_, start["precisions_init"], rtol=1e-10)
    np.testing.assert_allclose(dk.means_, start["means_init"], rtol=1e-12, atol=1e-12)
    assert np.isfinite(dk.score(X))


def test_max_iter_zero_with_n_init_keeps_the_last_start(X):
    # every start has a lower bound of -inf, so (like scikit-learn) the last one is kept
    many = GaussianMixture(3, max_iter=0, n_init=3, random_state=5).fit(X)
    rng = np.random.default_rng(5)
    last = GaussianMixture(3, max_iter=0, random_state=rng)
    for _ in range(3):
        last.fit(X)  # each fit draws the next start from the same generator
    np.testing.assert_allclose(many.means_, last.means_, rtol=1e-12)
    assert many.lower_bound_ == -np.inf and many.n_iter_ == 0


def test_max_iter_zero_warm_start_leaves_the_fit(X):
    start = _start(X, "full")
    out = []
    for Est in (SkGMM, GaussianMixture):
        est = Est(3, warm_start=True, **start).fit(X)
        means = est.means_.copy()
        est.set_params(max_iter=0)
        est, warned = _fit(est, X)
        assert not warned and est.n_iter_ == 0 and est.lower_bound_ == -np.inf
        np.testing.assert_allclose(est.means_, means, rtol=1e-12)
        out.append(means)
    np.testing.assert_allclose(out[0], out[1], rtol=1e-8, atol=1e-8)


def test_negative_max_iter_is_refused():
    for Est in (SkGMM, GaussianMixture):
        with pytest.raises(ValueError, match="max_iter"):
            Est(2, max_iter=-1).fit(np.random.default_rng(0).normal(size=(20, 2)))


# --- lower_bounds_ -----------------------------------------------------------------------------
@pytest.mark.parametrize("ctype", CTYPES)
@pytest.mark.parametrize("max_iter", [1, 7, 100])
def test_lower_bounds_match_sklearn(X, ctype, max_iter):
    start = _start(X, ctype)
    sk, _ = _fit(SkGMM(3, covariance_type=ctype, max_iter=max_iter, tol=1e-6, **start), X)
    dk, _ = _fit(GaussianMixture(3, covariance_type=ctype, max_iter=max_iter, tol=1e-6,
                                 acceleration=None, **start), X)
    assert isinstance(dk.lower_bounds_, list)
    assert dk.n_iter_ == sk.n_iter_ == len(dk.lower_bounds_) == len(sk.lower_bounds_)
    np.testing.assert_allclose(dk.lower_bounds_, sk.lower_bounds_, rtol=1e-10, atol=1e-8)
    assert dk.lower_bounds_[-1] == dk.lower_bound_
    assert dk.converged_ == sk.converged_


def test_lower_bounds_belong_to_the_best_start(X):
    dk, _ = _fit(GaussianMixture(3, n_init=4, init_params="random", max_iter=200,
                                 random_state=1, acceleration=None), X)
    assert len(dk.lower_bounds_) == dk.n_iter_
    assert dk.lower_bounds_[-1] == dk.lower_bound_
    assert np.all(np.diff(dk.lower_bounds_) > -1e-9)  # EM never decreases the likelihood


# --- warm start --------------------------------------------------------------------------------
@pytest.mark.parametrize("ctype", CTYPES)
def test_warm_start_loop_stops_like_sklearn(X, ctype):
    start = _start(X, ctype)
    start["means_init"] = start["means_init"] + 0.5  # a start some iterations away
    runs = []
    for Est in (SkGMM, GaussianMixture):
        est = Est(3, covariance_type=ctype, max_iter=1, tol=1e-5, warm_start=True, **start)
        bounds = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(500):
                est.fit(X)
                bounds.append(est.lower_bound_)
                if est.converged_:
                    break
        assert est.converged_ and est.n_iter_ == 1
        runs.append(np.array(bounds))
    assert len(runs[0]) > 3  # the loop took several fits
    assert len(runs[1]) == len(runs[0])
    np.testing.assert_allclose(runs[1], runs[0], rtol=1e-10, atol=1e-8)


def test_warm_start_continues_a_converged_fit(X):
    # a converged model refitted warm on the same data converges in one iteration
    for Est in (SkGMM, GaussianMixture):
        est = Est(3, warm_start=True, tol=1e-3, random_state=0).fit(X)
        assert est.converged_
        est.fit(X)
        assert est.converged_ and est.n_iter_ == 1


# --- ConvergenceWarning ------------------------------------------------------------------------
@pytest.mark.parametrize("max_iter,tol", [(1, 1e-3), (2, 1e-3), (3, 0.0), (5, 1e-2),
                                          (100, 1e-3), (100, 0.0)])
def test_convergence_warning_exactly_when_sklearn_warns(X, max_iter, tol):
    start = _start(X, "full")
    sk, sk_warn = _fit(SkGMM(3, max_iter=max_iter, tol=tol, **start), X)
    dk, dk_warn = _fit(GaussianMixture(3, max_iter=max_iter, tol=tol, **start), X)
    assert dk.converged_ == sk.converged_
    assert len(dk_warn) == len(sk_warn) == (0 if sk.converged_ else 1)
    if dk_warn:
        msg = str(dk_warn[0].message)
        assert "did not converge" in msg
        assert f"max_iter={max_iter}" in msg and f"tol={tol:g}" in msg


def test_max_iter_one_warns():
    X1 = np.random.default_rng(3).normal(size=(100, 2))
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        GaussianMixture(2, max_iter=1, random_state=0).fit(X1)


# --- checks of the given initial parameters ------------------------------------------------------
def _bad_cases():
    k, d = 3, 3
    eye = np.eye(d)
    asym = np.tile(eye, (k, 1, 1))
    asym[1, 0, 2] = 0.5
    indef = np.tile(eye, (k, 1, 1))
    indef[2] = np.diag([1.0, -0.5, 1.0])
    return [
        ("full", {"weights_init": [0.5, 0.5]}, "weights_init.*shape"),
        ("full", {"weights_init": [0.6, 0.6, -0.2]}, r"weights_init.*range \[0, 1\]"),
        ("full", {"weights_init": [0.3, 0.3, 0.3]}, "weights_init.*sum"),
        ("full", {"weights_init": [0.3, 0.3, 0.4 + 2e-8]}, "weights_init.*sum"),
        ("full", {"means_init": np.zeros((k, d + 1))}, "means_init.*shape"),
        ("full", {"means_init": np.zeros(k)}, "means_init.*shape"),
        ("full", {"precisions_init": np.tile(eye, (k - 1, 1, 1))}, "precisions_init.*shape"),
        ("full", {"precisions_init": asym}, "precisions_init.*symmetric, positive-definite"),
        ("full", {"precisions_init": indef}, "precisions_init.*symmetric, positive-definite"),
        ("tied", {"precisions_init": np.tile(eye, (k, 1, 1))}, "precisions_init.*shape"),
        ("tied", {"precisions_init": -eye}, "precisions_init.*symmetric, positive-definite"),
        ("tied", {"precisions_init": eye + np.triu(eye[::-1], 1)},
         "precisions_init.*symmetric, positive-definite"),
        ("diag", {"precisions_init": np.ones(k)}, "precisions_init.*shape"),
        ("diag", {"precisions_init": np.r_[np.ones((k - 1, d)), np.zeros((1, d))]},
         "precisions_init.*positive"),
        ("spherical", {"precisions_init": np.ones((k, d))}, "precisions_init.*shape"),
        ("spherical", {"precisions_init": np.array([1.0, -1.0, 2.0])},
         "precisions_init.*positive"),
    ]


@pytest.mark.parametrize("ctype,given,match", _bad_cases())
def test_bad_initial_parameters_are_refused_like_sklearn(X, ctype, given, match):
    with pytest.raises(ValueError):
        SkGMM(3, covariance_type=ctype, **given).fit(X)
    with pytest.raises(DataError, match=match):
        GaussianMixture(3, covariance_type=ctype, **given).fit(X)


@pytest.mark.parametrize("given", [
    {"weights_init": [0.3, 0.3, 0.4 + 5e-9]},
    {"weights_init": [0.0, 0.5, 0.5], "means_init": [[-2, -2, -2], [2, 2, 2], [0, 4, 0]]},
    {"precisions_init": np.tile(np.eye(3) + 1e-10 * np.triu(np.ones((3, 3)), 1), (3, 1, 1))},
])
def test_edge_initial_parameters_are_accepted_like_sklearn(X, given):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        SkGMM(3, **given).fit(X)
        gm = GaussianMixture(3, **given).fit(X)
    assert np.isfinite(gm.score(X))


def test_initial_parameters_are_checked_on_a_warm_fit(X):
    gm = GaussianMixture(3, warm_start=True, random_state=0).fit(X)
    gm.set_params(weights_init=[0.5, 0.6, -0.1])
    with pytest.raises(DataError, match="weights_init"):
        gm.fit(X)


# --- integer weights equal repeated rows ---------------------------------------------------------
@pytest.mark.parametrize("init", INITS)
@pytest.mark.parametrize("ctype", CTYPES)
def test_integer_weights_equal_repeated_rows(X, init, ctype):
    rng = np.random.default_rng(7)
    w = rng.integers(0, 4, X.shape[0])
    Xr = np.repeat(X, w, axis=0)
    perm = rng.permutation(X.shape[0])  # the weighted rows in another order
    kw = {"covariance_type": ctype, "init_params": init, "random_state": 3, "max_iter": 8}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = GaussianMixture(3, **kw).fit(Xr)
        wtd = GaussianMixture(3, **kw).fit(X[perm], sample_weight=w[perm])
    np.testing.assert_allclose(wtd.weights_, rep.weights_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(wtd.means_, rep.means_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(wtd.covariances_, rep.covariances_, rtol=1e-8, atol=1e-10)
    assert wtd.n_iter_ == rep.n_iter_
    np.testing.assert_allclose(wtd.lower_bounds_, rep.lower_bounds_, rtol=1e-10)


@pytest.mark.parametrize("init", INITS)
def test_row_order_does_not_change_the_fit(X, init):
    perm = np.random.default_rng(2).permutation(X.shape[0])
    a = GaussianMixture(3, init_params=init, random_state=0).fit(X)
    b = GaussianMixture(3, init_params=init, random_state=0).fit(X[perm])
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("init", INITS)
@pytest.mark.parametrize("ctype", ["full", "diag"])
def test_sklearn_sample_weight_equivalence_check(init, ctype):
    est = GaussianMixture(3, covariance_type=ctype, init_params=init, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_sample_weight_equivalence_on_dense_data("GaussianMixture", est)


def test_check_estimator_sample_weight_checks_with_several_components():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(GaussianMixture(3, init_params="k-means++"), on_fail=None)
    weight = [r for r in results if "sample_weight" in r["check_name"]]
    assert any("equivalence" in r["check_name"] for r in weight)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in weight
              if r["status"] != "passed"]
    assert not failed


def test_measure_is_the_distinct_rows_with_summed_weights():
    from densitykit.gaussian._engine import InMemoryData, Workspace
    from densitykit.gaussian._init import measure

    rng = np.random.default_rng(4)
    X = rng.integers(0, 3, (300, 3)).astype(float)
    X[:100, 2] = rng.normal(size=100)  # some continuous rows, some ties on every column
    w = rng.integers(0, 3, 300).astype(float)
    m = measure(InMemoryData(X, w, Workspace.from_data(X, w)))
    keep = w > 0
    uniq, inv = np.unique(X[keep], axis=0, return_inverse=True)
    np.testing.assert_array_equal(X[m.rows], uniq)  # lexicographic order
    np.testing.assert_array_equal(m.weight, np.bincount(inv.ravel(), weights=w[keep]))
    np.testing.assert_array_equal(m.of_row[~keep], -1)
    np.testing.assert_array_equal(X[m.rows[m.of_row[keep]]], X[keep])
    # units and a shift keep the order
    Y = X * 8.0 - 3.0
    m8 = measure(InMemoryData(Y, w, Workspace.from_data(Y, w)))
    np.testing.assert_array_equal(m8.rows, m.rows)


# --- accelerated EM (the default) ----------------------------------------------------------------
def _digits30():
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA

    return PCA(30, random_state=0).fit_transform(load_digits().data)


@pytest.mark.parametrize("ctype", CTYPES)
def test_squarem_reaches_plain_ems_fixed_point_in_fewer_passes(ctype):
    # starts on a workload where EM is slow: in the median no more passes, and a likelihood
    # no worse (where the two stop apart, both are in a flat region, the accelerated one
    # usually further up it)
    X = _digits30()
    ratios, gaps = [], []
    for seed in range(3):
        kw = dict(covariance_type=ctype, tol=1e-6, max_iter=2000, init_params="k-means++",
                  random_state=seed)
        plain, _ = _fit(GaussianMixture(10, acceleration=None, **kw), X)
        fast, _ = _fit(GaussianMixture(10, **kw), X)
        assert fast.converged_ and plain.converged_
        ratios.append(fast.n_iter_ / plain.n_iter_)
        gaps.append(fast.lower_bound_ - plain.lower_bound_)
    assert np.median(ratios) <= (1.0 if ctype == "full" else 0.8), ratios
    assert np.median(gaps) > -1e-3, gaps


def test_squarem_keeps_only_jumps_that_do_not_lower_the_likelihood():
    X = _digits30()
    fast, _ = _fit(GaussianMixture(10, covariance_type="diag", tol=1e-8, max_iter=400,
                                   random_state=0), X)
    lb = np.asarray(fast.lower_bounds_)
    assert len(lb) == fast.n_iter_
    assert lb[-1] >= lb.max() - 1e-8  # a dip is a rejected jump, never where EM goes on
    assert lb[1] >= lb[0] - 1e-12  # the first two passes are plain EM
    with pytest.raises(DataError, match="acceleration"):
        GaussianMixture(acceleration="anderson").fit(X)


@pytest.mark.parametrize("max_iter", [1, 2])
def test_first_two_passes_are_plain_em(X, max_iter):
    start = _start(X, "full")
    sk, _ = _fit(SkGMM(3, max_iter=max_iter, tol=0, **start), X)
    dk, _ = _fit(GaussianMixture(3, max_iter=max_iter, tol=0, **start), X)
    np.testing.assert_allclose(dk.means_, sk.means_, rtol=1e-10)
    np.testing.assert_allclose(dk.lower_bounds_, sk.lower_bounds_, rtol=1e-10)


@pytest.mark.parametrize("ctype", CTYPES)
@pytest.mark.parametrize("c", [3.0, 1e-120, 1e120])
def test_squarem_jumps_do_not_depend_on_the_units(ctype, c):
    # the jump's length is measured in the parameters' own spread: with reg_covar='auto'
    # a fit to c X is the fit to X in other units, pass for pass
    X = np.random.default_rng(0).normal(size=(300, 3))
    a = GaussianMixture(2, covariance_type=ctype, reg_covar="auto", random_state=0).fit(X)
    b = GaussianMixture(2, covariance_type=ctype, reg_covar="auto", random_state=0).fit(c * X)
    assert a.n_iter_ == b.n_iter_
    assert b.score(c * X) == pytest.approx(a.score(X) - 3 * np.log(c), rel=1e-12, abs=1e-10)


# --- float32 input --------------------------------------------------------------------------------
@pytest.mark.parametrize("ctype", CTYPES)
def test_float32_input_runs_in_single_precision_with_float64_sums(ctype):
    from densitykit.gaussian._covariance import COVARIANCE_TYPES
    from densitykit.gaussian._engine import InMemoryData, Workspace, block_stats

    rng = np.random.default_rng(5)
    X = np.vstack([rng.normal(m, 1.0, (4000, 6)) for m in (-3.0, 0.0, 4.0)]) + 100.0
    start = _start(X, ctype)
    a = GaussianMixture(3, covariance_type=ctype, tol=0, max_iter=20, acceleration=None,
                        **start).fit(X)
    b = GaussianMixture(3, covariance_type=ctype, tol=0, max_iter=20, acceleration=None,
                        **start).fit(X.astype(np.float32))
    assert b.lower_bound_ == pytest.approx(a.lower_bound_, rel=1e-5)
    assert b.lower_bound_ != a.lower_bound_  # it did run in single precision
    np.testing.assert_allclose(b.means_, a.means_, rtol=1e-4, atol=1e-4)
    assert b.means_.dtype == b.covariances_.dtype == np.float64
    # a block's statistics come back in float64 whatever the block's precision
    ws = Workspace.from_data(X)
    data = InMemoryData(X, None, ws, dtype=np.float32)
    c = COVARIANCE_TYPES[ctype]
    zt, q = data.block(slice(0, 500), c)
    assert zt.dtype == np.float32
    p = ws.from_user(a._user_params())
    prep = tuple(np.asarray(v, dtype=np.float32) for v in c.prepare(p.means,
                                                                     p.precisions_cholesky))
    st = block_stats(zt, q, None, p, c, prep)
    assert st.nk.dtype == st.s1.dtype == np.asarray(st.s2).dtype == np.float64


def test_tied_second_moment_kept_with_the_data_matches_each_pass():
    # the tied second moment depends on the rows and their weights only: kept with the
    # cached blocks, it equals the one computed from each pass's responsibilities
    from densitykit.gaussian._covariance import COVARIANCE_TYPES
    from densitykit.gaussian._engine import (
        InMemoryData,
        Workspace,
        block_stats,
        in_memory_stats,
        iter_blocks,
    )

    rng = np.random.default_rng(8)
    X = rng.normal(size=(3000, 5)) @ rng.normal(size=(5, 5)) + 3.0
    w = rng.random(3000) + 0.5
    c = COVARIANCE_TYPES["tied"]
    ws = Workspace.from_data(X, w)
    data = InMemoryData(X, w, ws)
    fn = in_memory_stats(data, c)
    for seed in (0, 1):
        gm = GaussianMixture(3, covariance_type="tied", random_state=seed, max_iter=2).fit(X)
        p = ws.from_user(gm._user_params())
        prep = c.prepare(p.means, p.precisions_cholesky)
        want = sum(block_stats(*data.block(sl, c), data.weights(sl), p, c, prep).s2
                   for sl in iter_blocks(data.n, 1024))
        np.testing.assert_allclose(fn(p).s2, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())
    assert any(isinstance(key, tuple) for key in data._features)  # it was kept


def test_float32_input_with_empty_cells():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(2000, 4)).astype(np.float32)
    X[rng.random(X.shape) < 0.1] = np.nan
    gm = GaussianMixture(2, random_state=0).fit(X)
    ref = GaussianMixture(2, random_state=0).fit(X.astype(np.float64))
    assert gm.lower_bound_ == pytest.approx(ref.lower_bound_, rel=1e-5)


def test_verbose_ends_every_start_with_its_outcome(X, capsys):
    """Like scikit-learn, each start's last line says whether it converged."""
    gm = GaussianMixture(3, n_init=2, verbose=1, verbose_interval=100, random_state=0).fit(X)
    ends = [line for line in capsys.readouterr().out.splitlines() if "lower bound" in line]
    assert [line.split(":")[0] for line in ends] == ["Initialization 0", "Initialization 1"]
    assert all(" converged after " in line for line in ends)
    best = max(float(line.rsplit(" ", 1)[1]) for line in ends)
    assert best == pytest.approx(gm.lower_bound_, abs=1e-6)
    # every printed figure is in the data's units, as lower_bounds_
    gm = GaussianMixture(3, verbose=1, verbose_interval=1, random_state=0).fit(X * 100.0)
    printed = [float(v) for v in re.findall(r"log-likelihood (\S+)", capsys.readouterr().out)]
    np.testing.assert_allclose(printed, gm.lower_bounds_, atol=1e-6)
