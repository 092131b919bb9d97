"""ModelSelector's sweeps over n_components: same table, honest figures, shared seeding,
the general path for other grids, and a chosen model at least as good as a plain loop's."""

import math

import numpy as np
import pytest

from densitykit import selection
from densitykit.gaussian import GaussianMixture, Normal
from densitykit.gaussian import _sweep as sw
from densitykit.gaussian._covariance import COVARIANCE_TYPES
from densitykit.gaussian._engine import InMemoryData, Workspace
from densitykit.gaussian._init import Seeding, kmeans_plusplus
from densitykit.selection import ModelSelector


def _blobs(seed=0, n=120, d=3, k=5):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 5.0, (k, d))
    X = np.vstack([rng.normal(c, 1.0, (n, d)) for c in centres])
    return X[rng.permutation(len(X))]


def _general(monkeypatch):
    """Make ModelSelector take its general path (one fit per candidate)."""
    monkeypatch.setattr(selection, "_sweep_groups", lambda *a, **k: None)


def _count_sweeps(monkeypatch):
    calls = []
    original = sw.sweep

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(sw, "sweep", counted)
    return calls


@pytest.mark.parametrize("criterion", ["bic", "aic", "cv"])
def test_sweep_table_has_the_general_paths_columns(monkeypatch, criterion):
    X = _blobs()
    grid = {"n_components": [1, 2, 3, 5, 6], "covariance_type": ["full", "diag"]}
    calls = _count_sweeps(monkeypatch)
    fast = ModelSelector(GaussianMixture(random_state=0), grid, criterion=criterion,
                         cv=3).fit(X)
    assert calls, "the grid over n_components should be fitted as a sweep"
    _general(monkeypatch)
    plain = ModelSelector(GaussianMixture(random_state=0), grid, criterion=criterion,
                          cv=3).fit(X)
    assert list(fast.results_.columns) == list(plain.results_.columns)
    assert len(fast.results_) == len(plain.results_)
    cols = ["n_components", "covariance_type"]
    assert fast.results_[cols].equals(plain.results_[cols])
    assert fast.results_["error"].isna().all()
    assert fast.results_["selected"].sum() == 1
    assert fast.results_[["bic", "aic", "heldout_loglik", "train_loglik"]].notna().all().all()
    assert fast.results_["fit_time"].gt(0).all() and fast.results_["cv_time"].gt(0).all()
    assert fast.results_.loc[fast.best_index_, "rank"] == 1
    # the best estimator is the selected candidate, fitted on all the data
    best = fast.best_estimator_
    assert type(best) is GaussianMixture
    assert best.get_params() == GaussianMixture(random_state=0).set_params(
        **fast.best_params_).get_params()
    assert fast.bic(X) == pytest.approx(fast.results_.loc[fast.best_index_, "bic"], rel=1e-12)


@pytest.mark.parametrize("n_jobs", [None, 1, -1])
def test_every_recorded_bic_is_its_own_models(n_jobs):
    X = _blobs(1)
    seen = []
    sel = ModelSelector(GaussianMixture(random_state=3), {"n_components": [2, 4, 5, 7, 9]},
                        criterion="bic", n_jobs=n_jobs)
    sel.fit(X, callback=lambda params, row: seen.append((params, dict(row))))
    assert len(seen) == 5
    for params, row in seen:
        model = row["model"]
        assert model.n_components == params["n_components"]
        assert model.weights_.shape == (params["n_components"],)
        assert row["bic"] == pytest.approx(model.bic(X), rel=1e-12)
        assert row["aic"] == pytest.approx(model.aic(X), rel=1e-12)
        assert row["train_loglik"] == pytest.approx(model.score(X), rel=1e-12)
        assert row["n_iter"] == model.n_iter_ and row["converged"] == model.converged_
    table = sel.results_.set_index("n_components")["bic"]
    assert table.to_dict() == {p["n_components"]: r["bic"] for p, r in seen}


def test_parallel_sweep_gives_the_serial_sweeps_table():
    X = _blobs(2)
    grid = {"n_components": list(range(1, 9))}
    one = ModelSelector(GaussianMixture(random_state=0), grid, criterion="bic", n_jobs=1).fit(X)
    par = ModelSelector(GaussianMixture(random_state=0), grid, criterion="bic", n_jobs=-1).fit(X)
    # the same starts and fits whatever the order of the tasks (to round-off)
    np.testing.assert_allclose(one.results_["bic"], par.results_["bic"], rtol=1e-12)
    np.testing.assert_allclose(one.results_["heldout_loglik"], par.results_["heldout_loglik"],
                               rtol=1e-12)
    assert one.best_params_ == par.best_params_


def _data(X):
    return InMemoryData(X, None, Workspace.from_data(X))


@pytest.mark.parametrize("k", [1, 2, 5, 8, 20])
def test_a_longer_seeding_extends_the_shorter(k):
    data = _data(_blobs(4))
    trials = 2 + int(math.log(30))
    short = Seeding(data, np.random.default_rng(7), trials).seeds(k)
    longer = Seeding(data, np.random.default_rng(7), trials).seeds(k + 1)
    assert longer.shape == (k + 1, data.d)
    np.testing.assert_array_equal(longer[:k], short)
    # drawn one at a time, the same seeds as drawn at once
    grown = Seeding(data, np.random.default_rng(7), trials)
    for j in range(1, k + 2):
        grown.seeds(j)
    np.testing.assert_array_equal(grown.seeds(k + 1), longer)
    # with k-means++'s own number of trials, the seeding is k-means++'s
    own = Seeding(data, np.random.default_rng(7), 2 + int(math.log(k))).seeds(k)
    np.testing.assert_array_equal(own, kmeans_plusplus(data, k, np.random.default_rng(7)))


def test_split_start_adds_components_and_keeps_the_others():
    X = _blobs(5)
    data = _data(X)
    gm = GaussianMixture(3, random_state=0).fit(X)
    p = data.ws.from_user(gm._user_params())
    new = sw.split_start(data, p, COVARIANCE_TYPES["full"], 2)
    assert new.weights.shape == (5,) and new.means.shape == (5, 3)
    assert new.weights.sum() == pytest.approx(1.0) and np.all(new.weights > 0)
    kept = [j for j in range(3) if any(np.allclose(new.means[i], p.means[j]) for i in range(5))]
    assert len(kept) >= 1  # at most two components were split
    assert np.all(np.isfinite(new.precisions_cholesky))


@pytest.mark.parametrize("case", ["no_sizes", "one_size_each", "duplicate_sizes", "normal",
                                  "means_init", "warm_start", "empty_cells", "scorer",
                                  "stop_after"])
def test_other_grids_take_the_general_path(monkeypatch, case):
    X = _blobs(6)
    est = GaussianMixture(random_state=0)
    grid = {"n_components": [1, 2, 3]}
    kw = {"criterion": "bic"}
    if case == "no_sizes":
        grid = {"covariance_type": ["full", "diag"]}
    elif case == "one_size_each":
        grid = [{"n_components": [2], "covariance_type": ["full"]},
                {"n_components": [3], "covariance_type": ["diag"]}]
    elif case == "duplicate_sizes":
        grid = {"n_components": [2, 2, 3]}
    elif case == "normal":
        est, grid = Normal(), {"covariance_type": ["full", "diag"]}
    elif case == "means_init":
        grid = {"n_components": [2, 3], "means_init": [None, X[:2]]}
    elif case == "warm_start":
        est = GaussianMixture(random_state=0, warm_start=True)
    elif case == "empty_cells":
        X = X.copy()
        X[3, 1] = np.nan
    elif case == "scorer":
        kw["scoring"] = lambda m, a, b, random_state=0: {"extra": 1.0}
    elif case == "stop_after":
        kw = {"criterion": "cv", "stop_after": 2}

    def refuse(*args, **kwargs):
        raise AssertionError("a sweep for a grid that is not one")

    monkeypatch.setattr(sw, "sweep", refuse)
    sel = ModelSelector(est, grid, **kw).fit(X)
    assert sel.results_["selected"].sum() == 1
    if case not in ("means_init",):
        assert sel.results_["error"].isna().all()


def test_failing_sizes_are_recorded_like_the_general_path(monkeypatch):
    X = _blobs(7, n=4, k=2)  # 8 rows: 12 components cannot be fitted
    grid = {"n_components": [1, 2, 12]}
    fast = ModelSelector(GaussianMixture(random_state=0), grid, criterion="bic", cv=2).fit(X)
    _general(monkeypatch)
    plain = ModelSelector(GaussianMixture(random_state=0), grid, criterion="bic", cv=2).fit(X)
    np.testing.assert_array_equal(fast.results_["error"].isna(), plain.results_["error"].isna())
    assert fast.results_["error"].notna().iloc[2]
    assert fast.best_params_["n_components"] in (1, 2)


def test_chosen_bic_is_no_worse_than_a_plain_loop():
    X = _blobs(8, n=150, d=4, k=6)
    grid = list(range(1, 11))
    ours, loop = [], []
    for seed in range(5):
        sel = ModelSelector(GaussianMixture(random_state=seed), {"n_components": grid},
                            criterion="bic").fit(X)
        ours.append(sel.results_["bic"].min())
        loop.append(min(GaussianMixture(k, random_state=seed).fit(X).bic(X) for k in grid))
    assert np.median(ours) <= np.median(loop) + 1e-6 * abs(np.median(loop))


def _chain(X, sizes, **params):
    est = GaussianMixture(random_state=0, **params)
    data = _data(X)
    chain = sw.new_chain(est, data, np.var(X, axis=0), sizes, serial=True)
    chain.prepare()
    return chain


def test_a_short_run_continued_is_one_converged_fit(monkeypatch):
    monkeypatch.setattr(sw, "PROBE_PASSES", 2)
    chain = _chain(_blobs(9), [6])
    short = chain.fresh(6, 0)
    assert short.n_iter == 2 and not short.converged
    done = chain.finish(short)
    assert done.converged and done.n_iter > short.n_iter
    assert done.n_iter == len(done.lower_bounds)
    assert done.lower_bounds[: short.n_iter] == short.lower_bounds
    assert np.all(np.diff(done.lower_bounds) > -1e-9)  # EM never loses likelihood
    assert chain.finish(done) is done  # a converged run is not run again


def test_fresh_starts_stop_once_the_training_bic_has_turned_up(monkeypatch):
    X = _blobs(10, n=200, d=2, k=2)  # two blobs: the BIC turns up after two components
    sizes = list(range(1, 11))
    chain = _chain(X, sizes)
    ran = []
    original = sw.Chain.fresh
    monkeypatch.setattr(sw.Chain, "fresh",
                        lambda self, k, i: ran.append(k) or original(self, k, i))
    sw.sweep([chain], 1, sw._WarningLog())
    bics = [chain.training_bic(k) for k in sizes]
    assert int(np.argmin(bics)) == 1
    late = [k for k in sizes if not chain.wants_fresh(k)]
    assert late and late == sizes[sizes.index(late[0]):]  # from some size on, never again
    assert set(ran) == set(sizes) - set(late)
    assert all(chain.fits[k].starts == ["split"] for k in late)
    assert all(chain.fits[k].result.converged for k in sizes)
    # a chain whose BIC keeps falling keeps its fresh starts
    many = _chain(_blobs(11, n=60, d=2, k=12), sizes)
    sw.sweep([many], 1, sw._WarningLog())
    assert all(many.wants_fresh(k) for k in sizes)


@pytest.mark.parametrize("sweep", [True, False])
def test_no_held_out_rows_fits_each_candidate_once_on_all_rows(monkeypatch, sweep):
    """``cv=None``: the textbook BIC loop, one fit per candidate on every row; each table row
    is its own model's, and the held-out columns are empty."""
    X = _blobs(4)
    if not sweep:
        _general(monkeypatch)
    calls = _count_sweeps(monkeypatch)
    seen = []
    sel = ModelSelector(GaussianMixture(random_state=0), {"n_components": [1, 3, 5, 7]},
                        criterion="bic", cv=None)
    sel.fit(X, callback=lambda params, row: seen.append((params, dict(row))))
    assert bool(calls) == sweep
    t = sel.results_
    assert t[["heldout_loglik", "heldout_loglik_se", "heldout_loglik_median"]].isna().all().all()
    assert t["cv_time"].eq(0).all() and t["fit_time"].gt(0).all()
    for params, row in seen:
        model = row["model"] if row["model"] is not None else sel.best_estimator_
        if row["model"] is None:
            assert params == sel.best_params_
        assert model.n_components == params["n_components"]
        assert row["bic"] == pytest.approx(model.bic(X), rel=1e-12)
        assert row["train_loglik"] == pytest.approx(model.score(X), rel=1e-12)
    assert sel.best_params_ == {"n_components": 5}
    assert sel.best_index_ == int(t["bic"].idxmin()) and t.loc[sel.best_index_, "rank"] == 1
    assert sel.bic(X) == pytest.approx(t["bic"].min(), rel=1e-12)


def test_no_held_out_rows_needs_an_information_criterion():
    X = _blobs(4)
    for kw in ({"criterion": "cv"}, {"criterion": "detection"},
               {"criterion": "bic", "refit": False}, {"criterion": "bic", "stop_after": 2},
               {"criterion": "aic", "scoring": "detection"}):
        with pytest.raises(ValueError, match=r"cv=None .*held-out rows.*cv=5"):
            ModelSelector(GaussianMixture(), {"n_components": [1, 2]}, cv=None, **kw).fit(X)
    sel = ModelSelector(Normal(), {"covariance_type": ["full", "diag"]}, criterion="aic",
                        cv=None).fit(X)
    assert sel.results_["aic"].tolist() == [Normal(covariance_type=c).fit(X).aic(X)
                                            for c in ("full", "diag")]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_means_is_lloyd_from_the_principal_axis(seed):
    """The split's labels and gain equal a plain 2-means (explicit distances) started from
    the sides of the principal axis (power iterations from the row farthest out)."""
    rng = np.random.default_rng(seed)
    Z = np.vstack([rng.normal(0, 1, (60, 4)), rng.normal(1.5, 1, (40, 4))]) * [1, 2, 1, 0.5]
    gain, side = sw._two_means(Z)
    c = Z - Z.mean(0)
    axis = c[np.argmax((c ** 2).sum(1))]
    for _ in range(8):  # power iterations from the row farthest from the mean
        axis = c.T @ (c @ axis)
        axis /= np.linalg.norm(axis)
    ref = (c @ axis) > 0
    for _ in range(10):
        a, b = Z[ref].mean(0), Z[~ref].mean(0)
        new = ((Z - a) ** 2).sum(1) < ((Z - b) ** 2).sum(1)
        if np.array_equal(new, ref):
            break
        ref = new
    assert np.array_equal(side, ref)
    a, b = Z[side].mean(0), Z[~side].mean(0)
    after = ((Z[side] - a) ** 2).sum() + ((Z[~side] - b) ** 2).sum()
    assert gain == pytest.approx(0.5 * Z.size * math.log((c ** 2).sum() / after), rel=1e-10)
