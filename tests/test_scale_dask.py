"""Gaussian models on Dask collections: equal to the in-memory fit, on threads and a cluster."""

from __future__ import annotations

import os
import signal
import time
import warnings

import numpy as np
import pandas as pd
import pytest

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")

from densitykit import GaussianMixture, Normal  # noqa: E402
from densitykit.exceptions import DataError, DataTypeError, MissingDependencyError  # noqa: E402
from densitykit.scale import is_dask  # noqa: E402
from densitykit.scale.dask import (  # noqa: E402
    fit_dask,
    predict_dask,
    predict_proba_dask,
    sample_dask,
    score_samples_dask,
)

CTYPES = ["full", "tied", "diag", "spherical"]
FITTED = ["weights_", "means_", "covariances_", "precisions_cholesky_", "precisions_"]


def blobs(n=3000, d=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.array([[-4.0] * d, [0.0] * d, [4.0] * d])
    centers[1, 0] = 3.0
    labels = rng.integers(3, size=n)
    scales = np.array([0.7, 1.0, 1.5])[labels, None]
    return (centers[labels] + scales * rng.standard_normal((n, d))) * 10.0 + 100.0


def init_params(X, ctype, k=3):
    """Deliberately rough starting parameters, so that EM has work to do."""
    ref = GaussianMixture(k, covariance_type=ctype, max_iter=1, random_state=3).fit(X)
    return dict(weights_init=np.full(k, 1.0 / k), means_init=ref.means_ * 1.05,
                precisions_init=ref.precisions_)


def assert_same_fit(a, b, rtol=1e-8):
    for name in FITTED:
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=rtol, atol=1e-12,
                                   err_msg=name)
    assert b.n_iter_ == a.n_iter_
    assert b.converged_ == a.converged_
    assert b.lower_bound_ == pytest.approx(a.lower_bound_, rel=rtol)
    assert b.n_features_in_ == a.n_features_in_
    fitted_a = {k for k in vars(a) if k.endswith("_")}
    fitted_b = {k for k in vars(b) if k.endswith("_")}
    assert fitted_a == fitted_b


@pytest.mark.parametrize("ctype", CTYPES)
def test_mixture_equals_in_memory_from_same_initial_parameters(ctype):
    X = blobs()
    kw = dict(covariance_type=ctype, tol=0.0, max_iter=25, **init_params(X, ctype))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = GaussianMixture(3, **kw).fit(X)
        b = fit_dask(GaussianMixture(3, **kw), da.from_array(X, chunks=(701, 2)))
    assert_same_fit(a, b)


def test_mixture_with_seeded_initialisation_equals_in_memory():
    X = blobs(seed=1)
    a = GaussianMixture(3, random_state=5, n_init=2).fit(X)
    b = fit_dask(GaussianMixture(3, random_state=5, n_init=2), da.from_array(X, chunks=500))
    assert_same_fit(a, b)


def test_weighted_mixture_and_float32_equal_in_memory():
    X = blobs(seed=2).astype(np.float32)
    w = np.random.default_rng(0).uniform(0.1, 3.0, X.shape[0])
    kw = dict(random_state=0, tol=1e-6, max_iter=500)
    # Dask chunks are fitted in float64 (the in-memory fit of a float32 array runs its
    # E-step in float32), so the reference is the in-memory fit of the same values in float64
    a = GaussianMixture(3, **kw).fit(X.astype(np.float64), sample_weight=w)
    b = fit_dask(GaussianMixture(3, **kw), da.from_array(X, chunks=900),
                 da.from_array(w, chunks=400))
    assert_same_fit(a, b)
    c = fit_dask(GaussianMixture(3, **kw), da.from_array(X, chunks=900), w)
    assert_same_fit(a, c)


@pytest.mark.parametrize("ctype", ["full", "diag", "spherical"])
def test_normal_equals_in_memory(ctype):
    X = blobs(seed=3)
    w = np.random.default_rng(1).integers(0, 4, X.shape[0]).astype(float)
    a = Normal(ctype).fit(X, sample_weight=w)
    b = fit_dask(Normal(ctype), da.from_array(X, chunks=333), w)
    for name in ["mean_", "covariance_", "precision_cholesky_"]:
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=1e-10)
    assert b.n_features_in_ == 3


def test_dataframe_keeps_feature_names_and_scores_by_partition():
    X = blobs(seed=4)
    pdf = pd.DataFrame(X, columns=["t", "p", "q"])
    ddf = dd.from_pandas(pdf, npartitions=4)
    a = GaussianMixture(3, random_state=0).fit(pdf)
    b = fit_dask(GaussianMixture(3, random_state=0), ddf)
    assert_same_fit(a, b)
    assert list(b.feature_names_in_) == ["t", "p", "q"]
    np.testing.assert_allclose(score_samples_dask(b, ddf).compute(), a.score_samples(pdf),
                               rtol=1e-10)
    np.testing.assert_array_equal(predict_dask(b, ddf).compute(), a.predict(pdf))


@pytest.mark.parametrize("make", [Normal, lambda: GaussianMixture(3, random_state=0)],
                         ids=["normal", "mixture"])
def test_scores_and_criteria_of_a_data_frame_equal_in_memory(make):
    """A Dask data frame's scores have no known length: score (weighted or not), bic and aic
    count the rows as they sum them, as for the rows in memory (they were NaN or failed)."""
    pdf = pd.DataFrame(blobs(seed=4), columns=["t", "p", "q"])
    pdf["n"] = np.random.default_rng(1).integers(0, 9, len(pdf))  # an integer column
    ddf = dd.from_pandas(pdf, npartitions=4)
    w = np.random.default_rng(2).uniform(0.5, 2.0, len(pdf))
    model = make().fit(pdf)
    for X in (ddf, da.from_array(pdf.to_numpy(), chunks=700)):
        assert model.score(X) == pytest.approx(model.score(pdf), rel=1e-12)
        assert model.score(X, sample_weight=w) == pytest.approx(
            model.score(pdf, sample_weight=w), rel=1e-12)
        assert model.bic(X) == pytest.approx(model.bic(pdf), rel=1e-12)
        assert model.aic(X) == pytest.approx(model.aic(pdf), rel=1e-12)


def test_scoring_maps_over_query_chunks():
    X = blobs(seed=5)
    gm = GaussianMixture(3, random_state=0).fit(X)
    dX = da.from_array(X, chunks=(450, 1))  # columns split too: rechunked to whole rows
    ll = score_samples_dask(gm, dX)
    assert isinstance(ll, da.Array) and ll.chunks[0] == dX.chunks[0]
    np.testing.assert_allclose(ll.compute(), gm.score_samples(X), rtol=1e-12)
    np.testing.assert_array_equal(predict_dask(gm, dX).compute(), gm.predict(X))
    np.testing.assert_allclose(predict_proba_dask(gm, dX).compute(), gm.predict_proba(X),
                               rtol=1e-10, atol=1e-300)


def test_kde_scores_on_dask_chunks():
    from densitykit import KernelDensity

    X = np.random.default_rng(0).normal(size=(400, 2))
    kde = KernelDensity().fit(X)
    Q = np.random.default_rng(1).normal(size=(250, 2))
    np.testing.assert_allclose(score_samples_dask(kde, da.from_array(Q, chunks=60)).compute(),
                               kde.score_samples(Q), rtol=1e-10)


def test_sample_into_dask_array_is_reproducible_and_matches_model():
    X = blobs(seed=6)
    gm = GaussianMixture(3, random_state=0).fit(X)
    Xs, labels = sample_dask(gm, 20_000, chunksize=3000, random_state=7)
    Xs2, labels2 = sample_dask(gm, 20_000, chunksize=3000, random_state=7)
    assert Xs.chunks[0] == (3000,) * 6 + (2000,)
    a, b = Xs.compute(), Xs2.compute()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(labels.compute(), labels2.compute())
    assert not np.array_equal(a, sample_dask(gm, 20_000, chunksize=3000,
                                             random_state=8)[0].compute())
    # label frequencies follow the weights; refitting recovers the means
    freq = np.bincount(labels.compute(), minlength=3) / 20_000
    np.testing.assert_allclose(freq, gm.weights_, atol=0.02)
    nd = Normal().fit(X)
    assert sample_dask(nd, 10, chunksize=4, random_state=0).compute().shape == (10, 3)


def test_initialisation_from_a_sample_of_rows():
    X = blobs(n=6000, seed=7)
    kw = dict(random_state=0, tol=1e-10, max_iter=1000)
    gm = fit_dask(GaussianMixture(3, **kw), da.from_array(X, chunks=1000), init_sample=600)
    ref = GaussianMixture(3, **kw).fit(X)
    order_a, order_b = np.argsort(gm.means_[:, 0]), np.argsort(ref.means_[:, 0])
    np.testing.assert_allclose(gm.means_[order_a], ref.means_[order_b], rtol=1e-6)
    assert gm.lower_bound_ == pytest.approx(ref.lower_bound_, rel=1e-9)


def test_warm_start_continues_from_the_fitted_model():
    X = blobs(seed=8)
    kw = dict(random_state=0, warm_start=True, max_iter=3, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = GaussianMixture(3, **kw).fit(X)
        a.fit(X)
        b = fit_dask(GaussianMixture(3, **kw), da.from_array(X, chunks=800))
        fit_dask(b, da.from_array(X, chunks=800))
    assert_same_fit(a, b)


def test_callback_sees_every_iteration():
    X = blobs(seed=9)
    seen = []
    gm = fit_dask(GaussianMixture(3, random_state=0, max_iter=200), da.from_array(X, 1000),
                  callback=lambda it, lb: seen.append((it, lb)))
    assert [s[0] for s in seen] == list(range(1, gm.n_iter_ + 1))
    assert np.all(np.diff([s[1] for s in seen]) > -1e-9)  # EM never goes down


def test_is_dask():
    X = np.zeros((4, 2))
    assert not is_dask(X) and not is_dask(pd.DataFrame(X)) and not is_dask(None)
    assert is_dask(da.from_array(X)) and is_dask(dd.from_pandas(pd.DataFrame(X), 1))


@pytest.mark.parametrize("make, match", [
    (lambda X: da.from_array(np.where(np.arange(X.shape[0])[:, None] == 1234, np.nan, X),
                             chunks=500), "NaN"),
    (lambda X: da.from_array(X[:, 0], chunks=500), "2D"),
    (lambda X: dd.from_pandas(pd.DataFrame({"a": X[:, 0], "s": ["x"] * len(X)}), 2),
     "non-numeric"),
    (lambda X: da.from_array(X[:2], chunks=1), "at least 3 samples"),
    (lambda X: da.from_array(X * 1e200, chunks=500), "huge"),
])
def test_bad_input_is_named(make, match):
    X = blobs(n=2000, seed=10)
    with pytest.raises(DataError, match=match):
        fit_dask(GaussianMixture(3), make(X))


def test_bad_weights_and_estimators():
    X = da.from_array(blobs(n=1000, seed=11), chunks=300)
    w = np.ones(1000)
    w[5] = -1.0
    with pytest.raises(DataError, match="negative"):
        fit_dask(GaussianMixture(2), X, w)
    with pytest.raises(DataError, match=r"shape \(1000,\)"):
        fit_dask(GaussianMixture(2), X, np.ones(999))
    with pytest.raises(DataError, match="sums to zero"):
        fit_dask(Normal(), X, np.zeros(1000))
    from densitykit import KernelDensity

    with pytest.raises(DataTypeError, match="GaussianMixture and Normal"):
        fit_dask(KernelDensity(), X)
    with pytest.raises(DataTypeError, match="Dask array"):
        fit_dask(Normal(), np.zeros((5, 2)))


def test_without_dask_array_the_fix_is_named(hide_module):
    """Every part of Dask that is used is checked: a missing one says what to install."""
    X = da.from_array(blobs(n=200), chunks=100)
    hide_module("dask.array")
    with pytest.raises(MissingDependencyError, match=r"pip install 'densitykit\[dask\]'"):
        fit_dask(Normal(), X)


def test_constant_column_warns_like_in_memory():
    X = blobs(n=1000, seed=12)
    X[:, 1] = 2.5
    with pytest.warns(UserWarning, match=r"Column\(s\) \[1\]"):
        fit_dask(Normal(), da.from_array(X, chunks=300))


# --- on a cluster of two worker processes --------------------------------------------------
@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as c:
        yield c


@pytest.mark.slow
def test_cluster_fit_equals_in_memory(client):
    X = blobs(n=8000, seed=13)
    kw = dict(covariance_type="full", tol=0.0, max_iter=15, acceleration=None,
              **init_params(X, "full"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = GaussianMixture(3, **kw).fit(X)
        b = fit_dask(GaussianMixture(3, **kw), da.from_array(X, chunks=1000), persist=True)
    assert_same_fit(a, b)
    # the persisted chunks are released once the fit is done (asynchronously)
    deadline = time.monotonic() + 20
    while any(client.has_what().values()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(client.has_what().values())
    # the chunks really ran on both worker processes
    assert len(client.scheduler_info()["workers"]) == 2


@pytest.mark.slow
def test_cluster_fit_survives_a_killed_worker(client):
    client.wait_for_workers(2, timeout=60)
    X = blobs(n=8000, seed=14)
    kw = dict(covariance_type="diag", tol=0.0, max_iter=8, **init_params(X, "diag"))
    dX = client.persist(da.from_array(X, chunks=500))
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    killed = []

    def kill_after_two(it, lb):
        if it == 2:
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = GaussianMixture(3, **kw).fit(X)
        b = fit_dask(GaussianMixture(3, **kw), dX, callback=kill_after_two)
    assert killed == [victim]
    assert victim not in client.run(os.getpid).values()
    assert_same_fit(a, b)


@pytest.mark.slow
def test_selector_candidates_run_on_the_cluster(client, monkeypatch):
    from densitykit import selection
    from densitykit.scale.dask import fit_selector_dask
    from densitykit.selection import ModelSelector

    client.wait_for_workers(2, timeout=60)
    X = blobs(n=600, seed=15)
    grid = {"n_components": [1, 2, 3], "covariance_type": ["full", "diag"]}
    # the cluster fits one candidate per task: compare with the local one-fit-per-candidate
    # path (a local grid over n_components is otherwise fitted as a sweep)
    with monkeypatch.context() as m:
        m.setattr(selection, "_sweep_groups", lambda *a, **k: None)
        local = ModelSelector(GaussianMixture(random_state=0), grid, criterion="bic").fit(X)
    from distributed import get_task_stream

    with get_task_stream(client) as ts:
        remote = fit_selector_dask(
            ModelSelector(GaussianMixture(random_state=0), grid, criterion="bic"),
            da.from_array(X, chunks=200))
    # the candidates ran as tasks on the cluster's workers
    assert len(ts.data) >= 6
    assert {t["worker"] for t in ts.data} <= set(client.scheduler_info()["workers"])
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(remote.results_["bic"], local.results_["bic"], rtol=1e-10)


def test_one_computation_per_pass_on_any_local_scheduler():
    import dask
    from dask.callbacks import Callback

    class Count(Callback):
        def __init__(self):
            super().__init__()
            self.n = 0

        def _start(self, dsk):
            self.n += 1

    X = blobs(seed=16)
    kw = dict(random_state=0, max_iter=6, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = GaussianMixture(3, **kw).fit(X)
        for scheduler in ("synchronous", "threads"):
            with dask.config.set(scheduler=scheduler), Count() as count:
                gm = fit_dask(GaussianMixture(3, **kw), da.from_array(X, chunks=700))
            # moments, the initialisation sample, then one map-reduce per EM iteration
            assert count.n == 2 + gm.n_iter_ == 8
            assert_same_fit(ref, gm)


def test_a_synthesizer_fits_a_dask_data_frame_as_its_pandas_frame():
    """A synthesizer works in memory: a Dask data frame gives the model, the rows and the
    scores of the pandas frame it computes to, with its column names and kinds (they were
    x0, x1, ... and floats)."""
    from densitykit import Synthesizer

    rng = np.random.default_rng(0)
    pdf = pd.DataFrame({"flow": rng.normal(50, 5, 200).round(2),
                        "valves": rng.integers(0, 6, 200),
                        "site": rng.choice(["north", "south"], 200),
                        "day": pd.date_range("2024-01-01", periods=200, freq="D")})
    pdf.loc[[3, 70], "flow"] = np.nan
    ddf = dd.from_pandas(pdf, npartitions=3)
    computed = ddf.compute()  # Dask may give text columns another string dtype
    make = lambda: Synthesizer(model="gmm", n_components=[1])  # noqa: E731
    a, b = make().fit(computed), make().fit(ddf)
    assert b.columns_ == list(pdf.columns)
    rows = b.sample(50, random_state=1)
    pd.testing.assert_frame_equal(rows, a.sample(50, random_state=1))
    assert rows["valves"].dtype.kind == "i" and rows["site"].isin(["north", "south"]).all()
    assert rows["day"].dtype.kind == "M"
    np.testing.assert_array_equal(b.score_samples(ddf), a.score_samples(computed))
    np.testing.assert_allclose(a.score_samples(pdf), a.score_samples(computed))
