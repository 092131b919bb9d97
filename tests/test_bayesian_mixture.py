"""BayesianGaussianMixture against scikit-learn's as the oracle (same initial
responsibilities, then every iteration), errors, warm start, n_init, convergence warnings,
pruning of unused components, weights, and its place in model files, the selector and the
command line. scikit-learn's estimator checks run in tests/test_check_estimator.py."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.mixture import BayesianGaussianMixture as SkBGM

from densitykit import BayesianGaussianMixture, GaussianMixture, ModelSelector, load, save
from densitykit.exceptions import ConvergenceWarning, DataError, FitError, ParameterError
from densitykit.gaussian import _init
from densitykit.gaussian._engine import Stats

CTYPES = ["full", "tied", "diag", "spherical"]
PRIORS = ["dirichlet_process", "dirichlet_distribution"]
K = 5


@pytest.fixture(scope="module")
def X():
    """Three clusters, far from the origin and in large units (the work space is tested)."""
    rng = np.random.default_rng(0)
    Z = np.vstack([rng.normal(-2, 1, (80, 3)), rng.normal(2, 0.7, (70, 3)),
                   rng.normal([0, 4, 0], 0.5, (50, 3))])
    return Z * [30.0, 10.0, 5.0] + [1000.0, -200.0, 7.0]


def _soft(n, k, seed):
    R = np.random.default_rng(seed).random((n, k))
    return R / R.sum(1, keepdims=True)


def _stats_from(R):
    """A densitykit initialisation that returns the statistics of responsibilities ``R``."""

    def init(data, k, rng, ctype):
        zt = data.zt(slice(0, data.n))
        RT = np.ascontiguousarray(R.T)
        w = data.weights(slice(0, data.n))
        if w is not None:
            RT = RT * w
        q = ctype.block_features(zt)
        return Stats(RT.sum(1), RT @ zt.T, ctype.second_moment(zt, q, RT), 0.0,
                     float(RT.sum()), np.inf, zt[:, 0].copy())

    return init


@pytest.fixture
def same_start(monkeypatch):
    """``start(*Rs)``: both libraries' 'random' init gives ``Rs[0]``, then ``Rs[1]``, ..."""

    def start(*Rs):
        sk_queue, dk_queue = list(Rs), list(Rs)

        def sk_init(self, X, random_state, xp=None):
            self._initialize(X, sk_queue.pop(0))

        def dk_init(data, k, rng, ctype):
            return _stats_from(dk_queue.pop(0))(data, k, rng, ctype)

        monkeypatch.setattr(SkBGM, "_initialize_parameters", sk_init)
        monkeypatch.setitem(_init.INIT_METHODS, "random", dk_init)

    return start


def _fit(est, X, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, **kw)
    conv = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    return est, conv


def _close(a, b, rtol=1e-8, what=""):
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    assert a.shape == b.shape, what
    scale = np.maximum(np.abs(b), 1e-12 * max(np.abs(b).max(initial=0.0), 1.0))
    err = float(np.max(np.abs(a - b) / scale, initial=0.0))
    assert err <= rtol, f"{what}: relative difference {err:.3g}"


FITTED = ["weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_",
          "mean_precision_", "degrees_of_freedom_", "mean_prior_", "covariance_prior_",
          "mean_precision_prior_", "degrees_of_freedom_prior_", "weight_concentration_prior_"]


def _same_fit(dk, sk, X):
    assert dk.n_iter_ == sk.n_iter_ and dk.converged_ == sk.converged_
    for name in FITTED:
        _close(getattr(dk, name), getattr(sk, name), what=name)
    for a, b in zip(np.atleast_2d(dk.weight_concentration_),
                    np.atleast_2d(sk.weight_concentration_)):
        _close(a, b, what="weight_concentration_")
    _close(dk.lower_bound_, sk.lower_bound_, what="lower_bound_")
    assert isinstance(dk.lower_bound_, float) and isinstance(dk.lower_bounds_, list)
    _close(dk.lower_bounds_, np.ravel(sk.lower_bounds_), what="lower_bounds_")
    _close(dk.score_samples(X), sk.score_samples(X), what="score_samples")
    np.testing.assert_allclose(dk.predict_proba(X), sk.predict_proba(X), atol=1e-9)
    np.testing.assert_array_equal(dk.predict(X), sk.predict(X))


# --- the oracle ------------------------------------------------------------------------------
@pytest.mark.parametrize("prior", PRIORS)
@pytest.mark.parametrize("ctype", CTYPES)
@pytest.mark.parametrize("max_iter", [1, 6, 300])
def test_same_numbers_as_sklearn_from_the_same_start(X, same_start, prior, ctype, max_iter):
    R = _soft(len(X), K, 1)
    same_start(R, R)
    kw = dict(n_components=K, covariance_type=ctype, weight_concentration_prior_type=prior,
              init_params="random", max_iter=max_iter, tol=1e-7, random_state=0)
    sk, sk_warn = _fit(SkBGM(**kw), X)
    dk, dk_warn = _fit(BayesianGaussianMixture(**kw), X)
    assert len(sk.lower_bounds_) == max_iter or sk.converged_
    assert len(sk_warn) == len(dk_warn) == (0 if sk.converged_ else 1)
    _same_fit(dk, sk, X)


@pytest.mark.parametrize("ctype", CTYPES)
def test_same_numbers_with_given_priors(X, same_start, ctype):
    d = X.shape[1]
    cov = {"full": np.diag([400.0, 50.0, 9.0]) + 5.0, "tied": np.diag([100.0, 80.0, 3.0]),
           "diag": np.array([300.0, 40.0, 2.0]), "spherical": 25.0}[ctype]
    R = _soft(len(X), K, 2)
    same_start(R, R)
    kw = dict(n_components=K, covariance_type=ctype, init_params="random", max_iter=200,
              tol=1e-7, weight_concentration_prior=0.05, mean_precision_prior=0.3,
              mean_prior=X.mean(0) + np.array([5.0, -3.0, 1.0]), degrees_of_freedom_prior=d + 1.5,
              covariance_prior=cov, reg_covar=1e-3)
    sk, _ = _fit(SkBGM(**kw), X)
    dk, _ = _fit(BayesianGaussianMixture(**kw), X)
    _same_fit(dk, sk, X)


def test_same_numbers_from_a_hard_partition(X, same_start):
    labels = np.random.default_rng(3).integers(0, 4, len(X))
    R = np.eye(6)[labels]  # two components start empty
    same_start(R, R)
    kw = dict(n_components=6, init_params="random", max_iter=300, tol=1e-8)
    sk, _ = _fit(SkBGM(**kw), X)
    dk, _ = _fit(BayesianGaussianMixture(**kw), X)
    _same_fit(dk, sk, X)


def test_n_init_keeps_the_best_start_like_sklearn(X, same_start):
    Rs = [_soft(len(X), K, s) for s in (10, 11, 12)]
    kw = dict(n_components=K, init_params="random", n_init=3, max_iter=300, tol=1e-6)
    same_start(*Rs)
    sk, _ = _fit(SkBGM(**kw), X)
    dk, _ = _fit(BayesianGaussianMixture(**kw), X)
    _same_fit(dk, sk, X)
    # the best start is not simply the last one: it beats a fit from the last start alone
    same_start(Rs[-1], Rs[-1])
    last, _ = _fit(BayesianGaussianMixture(**{**kw, "n_init": 1}), X)
    assert dk.lower_bound_ >= last.lower_bound_


def test_warm_start_follows_sklearn(X, same_start):
    R = _soft(len(X), K, 4)
    same_start(R, R)
    kw = dict(n_components=K, init_params="random", max_iter=3, tol=1e-4, warm_start=True)
    sk, dk = SkBGM(**kw), BayesianGaussianMixture(**kw)
    for _ in range(60):
        _, sk_warn = _fit(sk, X)
        _, dk_warn = _fit(dk, X)
        assert len(sk_warn) == len(dk_warn)
        _same_fit(dk, sk, X)
        if sk.converged_:
            break
    assert dk.converged_ and sk.converged_


def test_max_iter_zero_keeps_the_start(X, same_start):
    R = _soft(len(X), K, 5)
    same_start(R, R)
    kw = dict(n_components=K, init_params="random", max_iter=0)
    sk, sk_warn = _fit(SkBGM(**kw), X)
    dk, dk_warn = _fit(BayesianGaussianMixture(**kw), X)
    assert not sk_warn and not dk_warn
    assert dk.lower_bound_ == -np.inf and dk.n_iter_ == 0 and dk.lower_bounds_ == []
    assert dk.converged_ is False
    for name in FITTED:
        _close(getattr(dk, name), getattr(sk, name), what=name)


def test_convergence_warning_like_sklearn(X):
    with pytest.warns(ConvergenceWarning, match=r"did not converge within max_iter=2"):
        est = BayesianGaussianMixture(n_components=4, max_iter=2, tol=0, random_state=0).fit(X)
    assert not est.converged_ and est.n_iter_ == 2 and len(est.lower_bounds_) == 2
    with pytest.warns(ConvergenceWarning):
        SkBGM(n_components=4, max_iter=2, tol=0, random_state=0).fit(X)
    _, warned = _fit(BayesianGaussianMixture(n_components=4, tol=1e-2, random_state=0), X)
    assert not warned


# --- what the prior does -------------------------------------------------------------------
@pytest.mark.parametrize("prior", PRIORS)
@pytest.mark.parametrize("ctype", CTYPES)
def test_small_concentration_empties_the_components_not_needed(prior, ctype):
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(-5, 1, (300, 2)), rng.normal(5, 1, (300, 2))])
    kw = dict(n_components=6, covariance_type=ctype, weight_concentration_prior_type=prior,
              max_iter=500, random_state=0)
    small = BayesianGaussianMixture(weight_concentration_prior=1e-3, **kw).fit(X)
    used = small.weights_ > 0.01
    assert used.sum() == 2
    assert small.weights_[~used].sum() < 0.01  # a stick's mean keeps ~1/(n+1) after the last
    np.testing.assert_allclose(np.sort(small.means_[used, 0]), [-5, 5], atol=0.3)
    # without the prior, EM from the same kind of start uses every component
    ml = GaussianMixture(6, covariance_type=ctype, random_state=0).fit(X)
    assert (ml.weights_ > 0.01).sum() == 6


def test_unused_components_sit_at_the_prior():
    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal(-5, 1, (300, 2)), rng.normal(5, 1, (300, 2))])
    est = BayesianGaussianMixture(n_components=6, weight_concentration_prior=1e-3,
                                  max_iter=500, random_state=0).fit(X)
    idle = est.weights_ < 1e-3
    assert idle.any()
    np.testing.assert_allclose(est.means_[idle], np.tile(est.mean_prior_, (idle.sum(), 1)),
                               atol=1e-3)
    np.testing.assert_allclose(est.degrees_of_freedom_[idle], est.degrees_of_freedom_prior_,
                               atol=1e-2)


# --- weights -----------------------------------------------------------------------------------
@pytest.mark.parametrize("init", ["kmeans", "k-means++", "random", "random_from_data"])
@pytest.mark.parametrize("ctype", ["full", "diag"])
def test_integer_weights_equal_repeated_rows(X, init, ctype):
    counts = np.random.default_rng(6).integers(0, 4, len(X))
    kw = dict(n_components=4, covariance_type=ctype, init_params=init, random_state=3,
              max_iter=300)
    weighted, _ = _fit(BayesianGaussianMixture(**kw), X, sample_weight=counts)
    repeated, _ = _fit(BayesianGaussianMixture(**kw), np.repeat(X, counts, axis=0))
    for name in ("weights_", "means_", "covariances_", "mean_prior_", "covariance_prior_"):
        _close(getattr(weighted, name), getattr(repeated, name), rtol=1e-7, what=name)
    _close(weighted.lower_bound_, repeated.lower_bound_, rtol=1e-9, what="lower_bound_")
    assert weighted.n_iter_ == repeated.n_iter_


def test_weights_that_sum_to_one_need_a_covariance_prior(X):
    w = np.full(len(X), 1.0 / len(X))
    with pytest.raises(DataError, match=r"sums to 1.*covariance_prior"):
        BayesianGaussianMixture(n_components=2).fit(X, sample_weight=w)
    est = BayesianGaussianMixture(n_components=2, covariance_prior=np.diag(X.var(0)))
    assert np.isfinite(est.fit(X, sample_weight=w).lower_bound_)


# --- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize("params, match", [
    ({"n_components": 0}, "n_components must be an integer >= 1"),
    ({"covariance_type": "round"}, "Unknown covariance_type 'round'.*'full'"),
    ({"weight_concentration_prior_type": "dp"},
     "Unknown weight_concentration_prior_type 'dp'.*'dirichlet_process'"),
    ({"init_params": "kmedoids"}, "Unknown init_params 'kmedoids'.*'k-means\\+\\+'"),
    ({"tol": -1.0}, "tol must be a finite number >= 0"),
    ({"reg_covar": -1e-6}, "reg_covar must be a finite number >= 0"),
    ({"max_iter": -1}, "max_iter must be an integer >= 0"),
    ({"n_init": 0}, "n_init must be an integer >= 1"),
    ({"verbose_interval": 0}, "verbose_interval must be an integer >= 1"),
    ({"weight_concentration_prior": 0.0}, "weight_concentration_prior must be None or a "
                                          "finite number > 0"),
    ({"mean_precision_prior": -1.0}, "mean_precision_prior must be None or a finite number"),
    ({"degrees_of_freedom_prior": 1.5}, "greater than n_features - 1 = 2; got 1.5"),
    ({"mean_prior": [0.0, 1.0]}, r"mean_prior must have shape \(3,\)"),
    ({"mean_prior": [0.0, np.nan, 1.0]}, "mean_prior contains NaN"),
    ({"covariance_prior": np.eye(2)}, r"covariance_prior must have shape \(3, 3\)"),
    ({"covariance_prior": -np.eye(3)}, "positive-definite; its smallest eigenvalue is -1"),
    ({"covariance_prior": np.triu(np.ones((3, 3)))}, "it is not symmetric"),
    ({"covariance_type": "diag", "covariance_prior": [1.0, 0.0, 1.0]}, "should be positive"),
    ({"covariance_type": "spherical", "covariance_prior": -2.0},
     "covariance_prior must be None or a finite number > 0"),
])
def test_bad_parameters(params, match):
    X = np.random.default_rng(0).normal(size=(50, 3))
    with pytest.raises(ParameterError, match=match):
        BayesianGaussianMixture(**{"n_components": 2, **params}).fit(X)


def test_empty_cells_are_refused_naming_gaussian_mixture():
    X = np.random.default_rng(0).normal(size=(50, 3))
    bad = X.copy()
    bad[4, 1] = np.nan
    with pytest.raises(DataError, match=r"NaN.*GaussianMixture"):
        BayesianGaussianMixture(n_components=2).fit(bad)
    est = BayesianGaussianMixture(n_components=2, random_state=0).fit(X)
    for method in (est.score_samples, est.predict, est.predict_proba):
        with pytest.raises(DataError, match=r"NaN.*GaussianMixture"):
            method(bad)
    assert np.isfinite(GaussianMixture(2, random_state=0).fit(bad).score(bad))


def test_fewer_rows_than_components():
    with pytest.raises(DataError, match="at least 5 samples"):
        BayesianGaussianMixture(n_components=5).fit(np.random.default_rng(0).normal(size=(4, 2)))


def test_a_singular_covariance_prior_fails_clearly():
    # an empty component has only the prior's covariance: a singular one cannot be fitted
    from densitykit.gaussian._covariance import COVARIANCE_TYPES
    from densitykit.gaussian.bayesian import WEIGHT_PRIORS, Priors, variational_update

    ctype = COVARIANCE_TYPES["full"]
    z = np.random.default_rng(0).normal(size=(2, 40))
    R = np.vstack([np.ones(40), np.zeros(40)])
    stats = Stats(R.sum(1), R @ z.T, ctype.second_moment(z, ctype.block_features(z), R),
                  0.0, 40.0, 0.0, z[:, 0])
    priors = Priors(0.5, 1.0, np.zeros(2), 2.0, np.diag([1.0, 0.0]))
    with pytest.raises(FitError, match="positive-definite covariance_prior"):
        variational_update(stats, ctype, 0.0, priors, WEIGHT_PRIORS["dirichlet_process"])
    ok = Priors(0.5, 1.0, np.zeros(2), 2.0, np.eye(2))
    post = variational_update(stats, ctype, 0.0, ok, WEIGHT_PRIORS["dirichlet_process"])
    np.testing.assert_allclose(post.covariances[1], np.eye(2) / 2.0, rtol=1e-12)


# --- the fitted model --------------------------------------------------------------------------
def test_fit_predict_predict_and_sample(X):
    est = BayesianGaussianMixture(n_components=4, random_state=0)
    labels = est.fit_predict(X)
    np.testing.assert_array_equal(labels, est.predict(X))
    np.testing.assert_allclose(est.predict_proba(X).sum(1), 1.0)
    assert est.score(X) == pytest.approx(est.score_samples(X).mean())
    Xs, comp = est.sample(20_000, random_state=1)
    again, _ = est.sample(20_000, random_state=1)
    np.testing.assert_array_equal(Xs, again)
    np.testing.assert_allclose(np.bincount(comp, minlength=4) / 20_000, est.weights_,
                               atol=0.015)
    assert np.all(np.abs(Xs.mean(0) - est.weights_ @ est.means_) < X.std(0) / 20)


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_dataframe_columns_are_kept(X):
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    est = BayesianGaussianMixture(n_components=3, random_state=0).fit(df)
    assert list(est.feature_names_in_) == ["a", "b", "c"] and est.n_features_in_ == 3
    np.testing.assert_allclose(est.score_samples(df), est.score_samples(X))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_verbose_prints_the_lower_bound(X, capsys):
    BayesianGaussianMixture(n_components=3, verbose=1, verbose_interval=2, random_state=0,
                            max_iter=4, tol=0).fit(X)
    out = capsys.readouterr().out
    assert "iteration 1, lower bound" in out and "iteration 4, lower bound" in out
    assert "iteration 3," not in out


# --- integration -------------------------------------------------------------------------------
@pytest.mark.parametrize("prior", PRIORS)
@pytest.mark.parametrize("ctype", CTYPES)
def test_model_file_round_trip(X, tmp_path, prior, ctype):
    est = BayesianGaussianMixture(n_components=3, covariance_type=ctype,
                                  weight_concentration_prior_type=prior, random_state=0).fit(X)
    save(est, tmp_path / "b.dkm")
    again = load(tmp_path / "b.dkm")
    assert type(again) is BayesianGaussianMixture and again.get_params() == est.get_params()
    np.testing.assert_array_equal(again.score_samples(X), est.score_samples(X))
    np.testing.assert_array_equal(again.predict_proba(X), est.predict_proba(X))
    assert type(again.weight_concentration_) is type(est.weight_concentration_)
    np.testing.assert_array_equal(again.sample(5, random_state=2)[0],
                                  est.sample(5, random_state=2)[0])


def test_model_selector_searches_the_prior():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(-4, 1, (300, 2)), rng.normal(4, 1, (300, 2))])
    X = X[rng.permutation(600)]
    grid = {"weight_concentration_prior": [1e-3, 1e3], "covariance_type": ["full", "tied"]}
    sel = ModelSelector(BayesianGaussianMixture(n_components=5), grid, rule="best",
                        random_state=0).fit(X)
    assert len(sel.results_) == 4 and sel.results_["error"].isna().all()
    assert isinstance(sel.best_estimator_, BayesianGaussianMixture)
    assert sel.best_estimator_.random_state == 0
    assert sel.results_.loc[sel.best_index_, "heldout_loglik"] == sel.results_[
        "heldout_loglik"].max()


def test_cli_fits_and_selects_bayesian_mixtures(tmp_path, capsys):
    from densitykit.cli import main

    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(-4, 1, (150, 2)), rng.normal(4, 1, (150, 2))])
    path = tmp_path / "t.csv"
    pd.DataFrame(X, columns=["u", "v"]).to_csv(path, index=False)
    assert main(["fit", str(path), "--model", "bayesian-gmm", "-o", str(tmp_path / "t.dkm"),
                 "--seed", "0"]) == 0
    out = capsys.readouterr().out
    assert "BayesianGaussianMixture (10 components, 2 above 1% weight, full covariance)" in out
    model = load(tmp_path / "t.dkm")
    assert isinstance(model.density_, BayesianGaussianMixture)
    assert main(["select", str(path), "--model", "bayesian-gmm", "--components", "4",
                 "--covariance-type", "full,diag", "--seed", "0"]) == 0
    out = capsys.readouterr().out
    assert "chosen by cv: BayesianGaussianMixture (4 components" in out


@pytest.mark.parametrize("attribute, value, match", [
    ("weights_", lambda e: e.weights_[::-1].copy(), "weights_ is inconsistent with "
                                                     "weight_concentration_"),
    ("weight_concentration_", lambda e: e.weight_concentration_[0], "should be a pair"),
    ("mean_precision_", lambda e: -e.mean_precision_, "mean_precision_ should be positive"),
    ("degrees_of_freedom_", lambda e: e.degrees_of_freedom_ * 0 + 1.0, "above n_features - 1"),
    ("covariance_prior_", lambda e: -e.covariance_prior_, "covariance_prior_ should be positive "
                                                          "definite"),
])
def test_a_modified_model_file_is_refused(X, tmp_path, attribute, value, match):
    from densitykit.exceptions import ModelFileError

    est = BayesianGaussianMixture(n_components=3, random_state=0).fit(X)
    setattr(est, attribute, value(est))
    save(est, tmp_path / "bad.dkm")
    with pytest.raises(ModelFileError, match=match):
        load(tmp_path / "bad.dkm")


def test_impute_fills_from_the_point_estimates_mixture():
    # the fill is the plug-in mixture's (weights_, means_, covariances_) conditional
    rng = np.random.default_rng(5)
    X = np.vstack([rng.multivariate_normal(m, [[1, .6], [.6, 1]], 300) for m in ([0, 0], [4, 3])])
    bgm = BayesianGaussianMixture(n_components=3, random_state=0, max_iter=300).fit(X)
    gm = GaussianMixture(3, weights_init=bgm.weights_, means_init=bgm.means_,
                         precisions_init=bgm.precisions_, max_iter=0).fit(X)
    Xm = X[:50].copy()
    Xm[::2, 0] = np.nan
    Xm[1::2, 1] = np.nan
    got = bgm.impute(Xm)
    np.testing.assert_array_equal(got[~np.isnan(Xm)], Xm[~np.isnan(Xm)])
    np.testing.assert_allclose(got, gm.impute(Xm), rtol=1e-10)
    with pytest.raises(DataError, match="empty cells"):
        bgm.score_samples(Xm)
