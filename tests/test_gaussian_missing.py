"""Empty cells (NaN) in Normal and GaussianMixture: marginal scores, EM, imputation."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy import stats

from densitykit import GaussianMixture, Normal
from densitykit.exceptions import DataError
from densitykit.gaussian._covariance import COVARIANCE_TYPES
from densitykit.gaussian._engine import (
    InMemoryData,
    Params,
    Stats,
    Workspace,
    block_stats,
    in_memory_stats,
    m_step,
)
from densitykit.gaussian._missing import missing_rows, missing_stats
from densitykit.gaussian.conditional import condition_batch, full_covariances

pytestmark = pytest.mark.filterwarnings("ignore::densitykit.exceptions.ConvergenceWarning")

CTYPES = ["full", "tied", "diag", "spherical"]
COV = np.array([[2.0, 0.6, 0.3, 0.1], [0.6, 1.0, 0.2, 0.3], [0.3, 0.2, 1.5, 0.4],
                [0.1, 0.3, 0.4, 1.0]])


def _data(n=400, seed=0, frac=0.2):
    rng = np.random.default_rng(seed)
    X = rng.multivariate_normal([0, 1, 2, 3], COV, n)
    X = np.vstack([X, X[: n // 2] @ np.diag([1, -1, 1, 1]) + [6, 0, -3, 2]])
    Xm = X.copy()
    Xm[rng.random(X.shape) < frac] = np.nan
    return X, Xm


def _reference_loglik(model, Xm):
    """Brute force: log sum_k w_k N(x_o; mu_ko, S_k,oo) with scipy, row by row."""
    if isinstance(model, Normal):
        w, means = np.ones(1), model.mean_[None]
        cov = {"full": lambda c: c[None], "diag": lambda c: np.diag(c)[None],
               "spherical": lambda c: (c * np.eye(Xm.shape[1]))[None]}[
            model.covariance_type](np.asarray(model.covariance_))
    else:
        w, means, cov = model.weights_, model.means_, full_covariances(model)
    out = []
    for x in Xm:
        o = ~np.isnan(x)
        if not o.any():
            out.append(0.0)
            continue
        dens = [stats.multivariate_normal(means[k][o], cov[k][np.ix_(o, o)]).logpdf(x[o])
                for k in range(len(w))]
        out.append(float(np.logaddexp.reduce(np.log(w) + np.asarray(dens))))
    return np.asarray(out)


@pytest.fixture(scope="module")
def data():
    return _data()


@pytest.fixture(scope="module")
def mixtures(data):
    return {ct: GaussianMixture(3, covariance_type=ct, random_state=0).fit(data[1])
            for ct in CTYPES}


# --- scores ------------------------------------------------------------------------------------
@pytest.mark.parametrize("ctype", CTYPES)
def test_mixture_scores_are_observed_marginals(mixtures, data, ctype):
    gm = mixtures[ctype]
    Xm = data[1].copy()
    Xm[1] = np.nan  # a row with nothing observed
    np.testing.assert_allclose(gm.score_samples(Xm), _reference_loglik(gm, Xm), rtol=1e-10,
                               atol=1e-10)
    assert gm.score(Xm) == pytest.approx(gm.score_samples(Xm).mean())


@pytest.mark.parametrize("ctype", ["full", "diag", "spherical"])
def test_normal_scores_are_observed_marginals(data, ctype):
    nd = Normal(ctype).fit(data[1])
    np.testing.assert_allclose(nd.score_samples(data[1]), _reference_loglik(nd, data[1]),
                               rtol=1e-10, atol=1e-10)


def test_scores_do_not_depend_on_units(data):
    # a scaled copy scores by the same densities less the observed cells' Jacobian
    X = data[1]
    gm = GaussianMixture(2, random_state=0).fit(X)
    gm8 = GaussianMixture(2, random_state=0, reg_covar=64e-6).fit(X * 8.0)
    jac = np.sum(~np.isnan(X), axis=1) * np.log(8.0)
    np.testing.assert_allclose(gm8.score_samples(X * 8.0), gm.score_samples(X) - jac,
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("ctype", CTYPES)
def test_posteriors_use_observed_cells(mixtures, data, ctype):
    gm = mixtures[ctype]
    x = data[1][:30]
    cov = full_covariances(gm)
    R = gm.predict_proba(x)
    for i, row in enumerate(x):
        o = ~np.isnan(row)
        if not o.any():
            continue
        lp = np.log(gm.weights_) + [stats.multivariate_normal(gm.means_[k][o],
                                    cov[k][np.ix_(o, o)]).logpdf(row[o]) for k in range(3)]
        np.testing.assert_allclose(R[i], np.exp(lp - np.logaddexp.reduce(lp)), atol=1e-10)
    np.testing.assert_array_equal(gm.predict(x), R.argmax(1))


def test_row_with_nothing_observed(mixtures):
    gm = mixtures["full"]
    empty = np.full((2, 4), np.nan)
    np.testing.assert_array_equal(gm.score_samples(empty), [0.0, 0.0])
    np.testing.assert_allclose(gm.predict_proba(empty), [gm.weights_, gm.weights_])
    np.testing.assert_allclose(gm.impute(empty)[0], gm.weights_ @ gm.means_)


# --- the EM fit ------------------------------------------------------------------------------
# fits of this data made before empty cells were supported (the same numbers must come out)
_BEFORE = {
    "full": (-3.5266472962994646, 41.57642861069834, 94.67570031841556),
    "tied": (-3.884460392201073, 41.576428610698294, 51.91261910293251),
    "diag": (-3.5468058749948552, 41.57642861072721, 96.11582777584358),
    "spherical": (-8.711652036742716, 41.576428616992374, 32.038609306305894),
}


@pytest.mark.parametrize("ctype", CTYPES)
def test_complete_data_fit_unchanged(ctype):
    rng = np.random.default_rng(7)
    X = np.vstack([rng.normal(0, 1, (120, 3)), rng.normal(4, 0.5, (80, 3))]) * [1, 10, 0.1]
    w = rng.integers(0, 4, X.shape[0]).astype(float)
    gm = GaussianMixture(2, covariance_type=ctype, n_init=2, random_state=0,
                         max_iter=50).fit(X, sample_weight=w)
    got = (gm.lower_bound_, gm.means_.sum(), np.sum(gm.covariances_))
    np.testing.assert_allclose(got, _BEFORE[ctype], rtol=1e-13)
    nd = Normal().fit(X, sample_weight=w)
    np.testing.assert_allclose([nd.mean_.sum(), nd.covariance_.sum()],
                               [17.739114767653064, 565.5723105934433], rtol=1e-13)


@pytest.mark.parametrize("ctype", CTYPES)
def test_missing_statistics_of_complete_rows_match_fast_path(data, ctype):
    # rows without empty cells sent through the pattern code give the fast path's statistics
    X = data[0][:100]
    c = COVARIANCE_TYPES[ctype]
    ws = Workspace.from_data(X)
    gm = GaussianMixture(3, covariance_type=ctype, random_state=0).fit(X)
    p = ws.from_user(gm._user_params())
    zt = ws.block(X)
    fast = block_stats(zt, c.block_features(zt), None, p, c,
                       c.prepare(p.means, p.precisions_cholesky))
    rows = missing_rows(X, None, ws.shift, ws.scale)
    slow = missing_stats(rows, p, c, Stats)
    for a, b in [(fast.nk, slow.nk), (fast.s1, slow.s1), (fast.s2, slow.s2)]:
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
    assert fast.loglik == pytest.approx(slow.loglik, rel=1e-12)


@pytest.mark.parametrize("ctype", CTYPES)
def test_observed_loglik_never_decreases(data, ctype, capsys):
    GaussianMixture(3, covariance_type=ctype, random_state=1, tol=0, max_iter=25, verbose=1,
                    acceleration=None,
                    verbose_interval=1).fit(data[1])
    lb = [float(v) for v in re.findall(r"log-likelihood (\S+)", capsys.readouterr().out)]
    assert len(lb) == 25
    assert np.all(np.diff(lb) >= -1e-9 * np.abs(lb[1:]))
    assert lb[-1] > lb[0] + 0.01  # EM did move


def test_one_em_step_matches_closed_form_expected_statistics(data):
    # one M-step from the E-step statistics, written out for a single Gaussian
    X = data[1]
    ws = Workspace.from_data(X)
    c = COVARIANCE_TYPES["full"]
    d = X.shape[1]
    mu, S = np.nanmean(X, 0), np.diag(np.nanvar(X, 0)) + 0.3
    pc = np.linalg.cholesky(np.linalg.inv(S))
    p = ws.from_user(Params(np.ones(1), mu[None], S[None], pc[None]))
    data_ = InMemoryData(X, None, ws)
    new = ws.to_user(m_step(in_memory_stats(data_, c)(p), c, 0.0))
    s1, s2 = np.zeros(d), np.zeros((d, d))
    for x in X:
        m, o = np.isnan(x), ~np.isnan(x)
        xh, C = x.copy(), np.zeros((d, d))
        if m.any():
            gain = S[np.ix_(m, o)] @ np.linalg.inv(S[np.ix_(o, o)])
            xh[m] = mu[m] + gain @ (x[o] - mu[o])
            C[np.ix_(m, m)] = S[np.ix_(m, m)] - gain @ S[np.ix_(o, m)]
        s1 += xh
        s2 += np.outer(xh, xh) + C
    mean = s1 / len(X)
    np.testing.assert_allclose(new.means[0], mean, rtol=1e-10)
    np.testing.assert_allclose(new.covariances[0], s2 / len(X) - np.outer(mean, mean),
                               rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("ctype", CTYPES)
def test_integer_weights_equal_repeated_rows_with_empty_cells(data, ctype):
    Xm = data[1][:300]
    reps = np.random.default_rng(3).integers(0, 3, Xm.shape[0])
    reps[:5] = 1  # keep a few rows for sure
    # five passes: over thirty, EM here amplifies the rounding of the two sums' orders to
    # 1e-8 in the means, whichever way the passes are computed
    kw = dict(covariance_type=ctype, init_params="random_from_data", tol=1e-12, max_iter=5,
              acceleration=None)
    init = GaussianMixture(2, random_state=0, **kw).fit(Xm)
    start = dict(weights_init=init.weights_, means_init=init.means_,
                 precisions_init=init.precisions_)
    a = GaussianMixture(2, **kw, **start).fit(Xm, sample_weight=reps.astype(float))
    b = GaussianMixture(2, **kw, **start).fit(np.repeat(Xm, reps, axis=0))
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(a.covariances_, b.covariances_, rtol=1e-11, atol=1e-11)
    assert a.lower_bound_ == pytest.approx(b.lower_bound_, rel=1e-12)


def test_em_recovers_the_parameters_under_missing_at_random():
    rng = np.random.default_rng(5)
    X = rng.multivariate_normal([0, 1, 2, 3], COV, 20_000)
    Xm = X.copy()
    Xm[rng.random(X.shape) < 0.3] = np.nan
    nd = Normal().fit(Xm)
    np.testing.assert_allclose(nd.mean_, [0, 1, 2, 3], atol=0.05)
    np.testing.assert_allclose(nd.covariance_, COV, atol=0.06)
    # a single-component mixture is the same model
    gm = GaussianMixture(1, tol=1e-10, max_iter=1000).fit(Xm)
    np.testing.assert_allclose(gm.means_[0], nd.mean_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gm.covariances_[0], nd.covariance_, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("init", ["kmeans", "k-means++", "random", "random_from_data"])
def test_every_initialisation_and_n_init_and_warm_start(data, init):
    Xm = data[1]
    gm = GaussianMixture(2, init_params=init, n_init=2, random_state=0).fit(Xm)
    assert np.all(np.isfinite(gm.means_)) and gm.converged_
    assert np.sort(gm.means_[:, 0]) == pytest.approx([0.0, 6.0], abs=0.5)
    lb = gm.lower_bound_
    gm.set_params(warm_start=True, max_iter=5).fit(Xm)
    assert gm.lower_bound_ >= lb - 1e-9


# --- imputation -------------------------------------------------------------------------------
@pytest.mark.parametrize("ctype", ["full", "diag", "spherical"])
def test_normal_impute_is_the_conditional_mean(data, ctype):
    Xm = data[1]
    nd = Normal(ctype).fit(Xm)
    filled = nd.impute(Xm)
    cov = {"full": lambda c: c, "diag": np.diag,
           "spherical": lambda c: c * np.eye(4)}[ctype](np.asarray(nd.covariance_))
    for x, f in zip(Xm[:60], filled[:60]):
        m, o = np.isnan(x), ~np.isnan(x)
        if m.any() and o.any():
            want = nd.mean_[m] + cov[np.ix_(m, o)] @ np.linalg.solve(
                cov[np.ix_(o, o)], x[o] - nd.mean_[o])
            np.testing.assert_allclose(f[m], want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("ctype", CTYPES)
def test_mixture_impute_matches_condition_batch(mixtures, data, ctype):
    gm = mixtures[ctype]
    Xm = data[1]
    filled = gm.impute(Xm)
    pattern = np.isnan(Xm[:, 0]) & ~np.isnan(Xm[:, 1:]).any(1)  # only column 0 empty
    rows = Xm[pattern]
    want = condition_batch(gm, [1, 2, 3], rows[:, 1:], mode="mean")[:, 0]
    np.testing.assert_allclose(filled[pattern, 0], want, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("ctype", CTYPES)
def test_impute_keeps_observed_cells_and_input(mixtures, data, ctype):
    Xm = data[1]
    before = Xm.copy()
    for method in ("mean", "sample"):
        out = mixtures[ctype].impute(Xm, method=method, random_state=0)
        assert out is not Xm and not np.isnan(out).any()
        seen = ~np.isnan(Xm)
        np.testing.assert_array_equal(out[seen], Xm[seen])
    np.testing.assert_array_equal(np.isnan(Xm), np.isnan(before))
    np.testing.assert_array_equal(Xm[~np.isnan(Xm)], before[~np.isnan(before)])


def test_nullable_frame_columns_are_numbers_with_empty_cells(data):
    """pandas' nullable columns (Int64, Float64, boolean: pd.NA in an empty cell), as
    read_table(kinds='mixed') gives them, beside other dtypes: the same fit, scores and fills
    as the float array with NaN."""
    import pandas as pd

    Xm = data[1][:, :3].copy()
    Xm[:, 0] = np.round(Xm[:, 0] * 10)
    Xm[:, 2] = np.where(np.isnan(Xm[:, 2]), np.nan, Xm[:, 2] > 2)
    frame = pd.DataFrame({"count": pd.array(Xm[:, 0], dtype="Int64"),
                          "level": pd.array(Xm[:, 1], dtype="Float64"),
                          "on": pd.array(Xm[:, 2], dtype="boolean")})
    assert frame.isna().to_numpy().sum() == np.isnan(Xm).sum() > 0
    for est in (Normal(), GaussianMixture(2, random_state=0)):
        ref = type(est)(**est.get_params()).fit(Xm)
        fitted = est.fit(frame)
        assert list(fitted.feature_names_in_) == ["count", "level", "on"]
        np.testing.assert_allclose(fitted.score_samples(frame), ref.score_samples(Xm),
                                   rtol=1e-12)
        np.testing.assert_allclose(fitted.impute(frame), ref.impute(Xm), rtol=1e-12)


def test_impute_sample_has_the_conditional_distribution():
    # x1 | x0 for a mixture: mixture of two conditional Gaussians with posterior weights
    gm = GaussianMixture(2).fit(_data(200, seed=1)[0][:, :2])
    x0 = 0.5
    rows = np.column_stack([np.full(40_000, x0), np.full(40_000, np.nan)])
    draws = gm.impute(rows, method="sample", random_state=0)[:, 1]
    cond = gm.condition([0], [x0])
    mean = cond.weights_ @ cond.means_[:, 0]
    var = cond.weights_ @ (cond.covariances_[:, 0, 0] + cond.means_[:, 0] ** 2) - mean**2
    se = np.sqrt(var / draws.size)
    assert abs(draws.mean() - mean) < 4 * se
    assert abs(draws.var() / var - 1) < 0.03
    # the same seed gives the same draws; another seed different ones
    again = gm.impute(rows[:10], method="sample", random_state=0)
    np.testing.assert_array_equal(again, gm.impute(rows[:10], method="sample", random_state=0))
    assert not np.array_equal(again, gm.impute(rows[:10], method="sample", random_state=1))


def test_impute_sample_of_a_normal_matches_closed_form():
    nd = Normal().fit(_data(2000, seed=2, frac=0.0)[0][:2000])
    rows = np.array([[1.0, np.nan, np.nan, 2.0]] * 30_000)
    draws = nd.impute(rows, method="sample", random_state=4)[:, 1:3]
    S, mu = nd.covariance_, nd.mean_
    m, o = [1, 2], [0, 3]
    gain = S[np.ix_(m, o)] @ np.linalg.inv(S[np.ix_(o, o)])
    want_mean = mu[m] + gain @ (rows[0, o] - mu[o])
    want_cov = S[np.ix_(m, m)] - gain @ S[np.ix_(o, m)]
    np.testing.assert_allclose(draws.mean(0), want_mean, atol=4 * np.sqrt(want_cov.max() / 3e4))
    np.testing.assert_allclose(np.cov(draws.T), want_cov, rtol=0.05, atol=0.01)


def test_impute_of_complete_rows_is_a_copy(mixtures, data):
    X = data[0][:5]
    out = mixtures["full"].impute(X)
    np.testing.assert_array_equal(out, X)
    assert out is not X


# --- bad inputs -------------------------------------------------------------------------------
@pytest.mark.parametrize("est", [GaussianMixture(2), Normal()], ids=["mixture", "normal"])
def test_column_never_observed(est, data):
    Xm = data[1].copy()
    Xm[:, 2] = np.nan
    with pytest.raises(DataError, match=r"Column\(s\) \[2\].*no observed value.*Drop"):
        est.fit(Xm)
    # observed only in rows of zero weight counts as never observed
    Xm = data[1].copy()
    w = np.ones(len(Xm))
    w[~np.isnan(Xm[:, 1])] = 0.0
    w[0] = 1.0
    Xm[0, 1] = np.nan
    with pytest.raises(DataError, match=r"Column\(s\) \[1\]"):
        est.fit(Xm, sample_weight=w)


def test_inf_still_refused_and_others_keep_refusing_nan(data):
    Xm = data[1].copy()
    Xm[0, 0] = np.inf
    with pytest.raises(DataError, match="infinity"):
        GaussianMixture(2).fit(Xm)
    from densitykit import KernelDensity

    with pytest.raises(DataError, match="NaN"):
        KernelDensity().fit(data[1])


def test_bad_impute_method_and_unfitted(mixtures, data):
    with pytest.raises(DataError, match=r"method.*'mean', 'sample'"):
        mixtures["full"].impute(data[1], method="median")
    from densitykit.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        Normal().impute(data[1])
    with pytest.raises(DataError):
        mixtures["full"].impute(data[1][:, :3])


def test_chunked_fit_refuses_empty_cells_clearly(data):
    da = pytest.importorskip("dask.array")
    X = da.from_array(data[1], chunks=(200, 4))
    with pytest.raises(DataError, match=r"does not take empty cells.*in\s+memory"):
        GaussianMixture(2).fit(X)


def test_compiled_pattern_blocks_match_numpy():
    from densitykit.gaussian import _compiled

    if not _compiled.AVAILABLE:
        pytest.skip("numba is not installed")
    rng = np.random.default_rng(0)
    A = rng.normal(size=(9, 9))
    prec = A @ A.T + 0.5 * np.eye(9)
    for q in (1, 2, 5, 9):
        pmiss = np.array([np.sort(rng.choice(9, q, replace=False)) for _ in range(6)])
        cov, logdet = _compiled.pattern_blocks(prec, pmiss)
        sub = prec[pmiss[:, :, None], pmiss[:, None, :]]
        np.testing.assert_allclose(cov, np.linalg.inv(sub), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(logdet, np.linalg.slogdet(sub)[1], rtol=1e-12)
    bad = -np.eye(3)
    assert np.isnan(_compiled.pattern_blocks(bad, np.array([[0, 1]]))[1]).all()


@pytest.mark.parametrize("ctype", CTYPES)
def test_numpy_twin_gives_the_same_fit(data, monkeypatch, ctype):
    from densitykit.gaussian import _compiled

    Xm = data[1]
    a = GaussianMixture(2, covariance_type=ctype, random_state=0).fit(Xm)
    monkeypatch.setattr(_compiled, "AVAILABLE", False)
    b = GaussianMixture(2, covariance_type=ctype, random_state=0).fit(Xm)
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(a.score_samples(Xm), b.score_samples(Xm), rtol=1e-10)


def _engine_inputs(X: np.ndarray, w: np.ndarray, ctype: str):
    """The covariance type, the engine's data and the parameters (in its work space) of a
    short fit to ``X`` with its empty cells at 5."""
    gm = GaussianMixture(3, covariance_type=ctype, random_state=0, max_iter=5).fit(
        np.nan_to_num(X, nan=5.0))
    ws = Workspace.from_data(X, w)
    return COVARIANCE_TYPES[ctype], InMemoryData(X, w, ws), ws.from_user(gm._user_params())


@pytest.mark.parametrize("ctype", CTYPES)
def test_corrected_complete_pass_matches_the_pattern_path(ctype):
    # the E-step run on zero-filled rows and corrected row by row gives the pattern path's
    # statistics: random cells, a repeated pattern, rows with one observed cell and none
    from densitykit.gaussian._engine import sum_stats

    rng = np.random.default_rng(3)
    X = rng.normal(size=(700, 7)) @ rng.normal(size=(7, 7)) + 5.0
    X[rng.random(X.shape) < 0.2] = np.nan
    X[:40, 1:5] = np.nan  # one pattern shared by many rows
    X[40:45, 1:] = np.nan
    X[45:48] = np.nan
    w = rng.random(700) + 0.5
    c, data, p = _engine_inputs(X, w, ctype)
    got = in_memory_stats(data, c)(p)
    full = data.complete
    parts = [block_stats(*full.block(slice(0, full.n), c), full.weights(slice(0, full.n)), p,
                         c, c.prepare(p.means, p.precisions_cholesky))]
    want = sum_stats(parts + [missing_stats(m, p, c, Stats) for m in data.missing])
    for a, b in [(got.nk, want.nk), (got.s1, want.s1), (got.s2, want.s2)]:
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-11 * np.abs(b).max())
    assert got.loglik == pytest.approx(want.loglik, rel=1e-12)
    assert got.worst()[0] == pytest.approx(want.worst()[0], rel=1e-12)
    np.testing.assert_allclose(got.worst()[1], want.worst()[1], rtol=1e-10)


@pytest.mark.parametrize("ctype", CTYPES)
def test_few_complete_rows_go_with_the_rows_with_empty_cells(ctype):
    # when nearly every row has an empty cell, the few complete ones are corrected with
    # them (no correction, but their responsibilities and moments): the same statistics
    # as the complete rows' own pass beside the pattern path of the others
    from densitykit.gaussian._engine import sum_stats

    rng = np.random.default_rng(4)
    X = rng.normal(size=(900, 7)) @ rng.normal(size=(7, 7)) + 5.0
    X[rng.random(X.shape) < 0.4] = np.nan
    w = rng.random(900) + 0.5
    c, data, p = _engine_inputs(X, w, ctype)
    full = ~np.isnan(X).any(1)
    assert 0 < full.sum() and data.complete.n == 0  # folded in
    got = in_memory_stats(data, c)(p)
    ws = data.ws
    zt = ws.block(X[full])
    want = sum_stats([block_stats(zt, c.block_features(zt), w[full], p, c,
                                  c.prepare(p.means, p.precisions_cholesky)),
                      missing_stats(missing_rows(X[~full], w[~full], ws.shift, ws.scale),
                                    p, c, Stats)])
    for a, b in [(got.nk, want.nk), (got.s1, want.s1), (got.s2, want.s2)]:
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-11 * np.abs(b).max())
    assert got.loglik == pytest.approx(want.loglik, rel=1e-12)
    assert got.worst()[0] == pytest.approx(want.worst()[0], rel=1e-12)
    np.testing.assert_allclose(got.worst()[1], want.worst()[1], rtol=1e-10)


def test_compiled_correction_refuses_a_block_that_is_not_definite():
    from densitykit.gaussian import _compiled

    if not _compiled.AVAILABLE:
        pytest.skip("numba is not installed")
    z0 = np.zeros((2, 3))
    ptr, cols, pat = np.array([0, 2, 3]), np.array([0, 1, 2]), np.array([0, 1])
    means = np.zeros((1, 3))
    good = _compiled.correct_rows(z0, ptr, cols, pat, np.zeros((1, 2)), prec=np.eye(3)[None],
                                  means=means)
    assert good is not None
    bad = np.diag([1.0, -1.0, 1.0])[None]  # its block on columns 0, 1 is indefinite
    assert _compiled.correct_rows(z0, ptr, cols, pat, np.zeros((1, 2)), prec=bad,
                                  means=means) is None
    # the component-wise loop (one precision per component) refuses it too
    two = np.stack([np.eye(3), bad[0]])
    assert _compiled.correct_rows(z0, ptr, cols, pat, np.zeros((2, 2)), prec=two,
                                  means=np.zeros((2, 3))) is None
    assert _compiled.correct_rows(z0, ptr, cols, pat, np.zeros((2, 2)),
                                  prec=np.stack([np.eye(3)] * 2),
                                  means=np.zeros((2, 3))) is not None


def test_dask_scores_rows_with_empty_cells(mixtures, data):
    da = pytest.importorskip("dask.array")
    gm = mixtures["full"]
    d = da.from_array(data[1], chunks=(150, 4))
    np.testing.assert_allclose(gm.score_samples(d).compute(), gm.score_samples(data[1]))
    np.testing.assert_allclose(gm.predict_proba(d).compute(), gm.predict_proba(data[1]))


def test_normal_warns_when_em_stops_early(data, monkeypatch):
    from densitykit.exceptions import ConvergenceWarning
    from densitykit.gaussian import normal

    monkeypatch.setattr(normal, "_EM_MAX_ITER", 2)
    with pytest.warns(ConvergenceWarning, match="did not converge in 2 iterations"):
        Normal().fit(data[1])


def test_parts_with_empty_cells_keep_features_within_one_budget(monkeypatch):
    """The parts of rows with empty cells share one budget of cached features: past it, a
    part computes its features every pass. Memory stays bounded and the fit is the same."""
    import densitykit.gaussian._engine as eng

    rng = np.random.default_rng(6)
    X = rng.normal(size=(1200, 6)) @ rng.normal(size=(6, 6))
    X[rng.random(X.shape) < 0.2] = np.nan
    monkeypatch.setattr(eng, "_MISSING_ROWS", 200)
    fits = {}
    for budget in (1 << 30, 2 * 200 * 21 * 8 + 100):  # all parts, or two parts' features
        monkeypatch.setattr(eng, "_MISSING_CACHE_BYTES", budget)
        c, data, p = _engine_inputs(X, None, "full")
        assert len(data.missing) >= 5
        fn = in_memory_stats(data, c)
        stats = [fn(p), fn(p)]
        kept = [rows._cache.get("full") is not None for rows in data.missing]
        assert sum(rows._cache["full"].nbytes for rows, k in zip(data.missing, kept) if k
                   ) <= budget
        assert all(kept) == (budget > 1 << 20) and any(kept)
        fits[budget] = GaussianMixture(3, covariance_type="full", random_state=0).fit(X)
        assert stats[0].loglik == stats[1].loglik
    small, large = fits.values()
    np.testing.assert_array_equal(small.means_, large.means_)
    np.testing.assert_array_equal(small.covariances_, large.covariances_)


@pytest.mark.parametrize("ctype", ["tied", "full"])
def test_a_collapsed_component_moves_to_the_worst_row_with_empty_cells(ctype):
    # a shared precision finds its worst row only when a component collapses: it is the
    # outlier, whose empty cell is filled from the components
    rng = np.random.default_rng(5)
    X = rng.normal(size=(400, 4))
    X[rng.random(X.shape) < 0.1] = np.nan
    X[7] = [30.0, np.nan, 30.0, 30.0]
    means = np.array([[0.0] * 4, [0.5] * 4, [1e4] * 4])  # the last is far from every row
    with pytest.warns(Warning, match="re-seeded"):
        gm = GaussianMixture(3, covariance_type=ctype, means_init=means, max_iter=1,
                             random_state=0).fit(X)
    np.testing.assert_allclose(gm.means_[2][[0, 2, 3]], 30.0, rtol=1e-4)
