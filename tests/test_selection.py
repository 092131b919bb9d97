"""ModelSelector: grids of candidates, BIC/AIC/held-out choice, failures recorded."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import KFold
from sklearn.neighbors import KernelDensity as SkKernelDensity

from densitykit.exceptions import DataError, FitError, NotFittedError
from densitykit.gaussian import GaussianMixture, Normal
from densitykit.selection import ModelSelector, expand_grid, select_model

pytestmark = pytest.mark.filterwarnings("ignore:Column")


def _blobs(n=150, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[-6.0, 0.0], [0.0, 6.0], [6.0, 0.0]])
    X = np.vstack([rng.normal(c, 1.0, (n, 2)) for c in centres])
    return X[rng.permutation(len(X))]


@pytest.mark.parametrize("criterion", ["bic", "aic", "cv"])
def test_finds_the_true_number_of_components(criterion):
    X = _blobs()
    sel = ModelSelector(
        GaussianMixture(random_state=0),
        {"n_components": [1, 2, 3, 4, 5]},
        criterion=criterion,
        cv=KFold(4, shuffle=True, random_state=0),
        rule="best",
    ).fit(X)
    assert sel.best_params_ == {"n_components": 3}
    assert sel.results_.loc[sel.best_index_, "selected"]
    assert sel.results_["selected"].sum() == 1


def test_table_is_exact_for_a_deterministic_density():
    X = _blobs()
    grid = {"covariance_type": ["full", "diag", "spherical"]}
    sel = ModelSelector(Normal(), grid, criterion="cv", cv=3, rule="best").fit(X)
    for i, ctype in enumerate(grid["covariance_type"]):
        full = Normal(covariance_type=ctype).fit(X)
        row = sel.results_.iloc[i]
        assert row["covariance_type"] == ctype
        np.testing.assert_allclose(row["bic"], full.bic(X), rtol=1e-12)
        np.testing.assert_allclose(row["aic"], full.aic(X), rtol=1e-12)
        np.testing.assert_allclose(row["train_loglik"], full.score(X), rtol=1e-12)
        assert row["n_parameters"] == full.n_parameters()
        held = []
        for train, test in KFold(3).split(X):
            held.append(Normal(covariance_type=ctype).fit(X[train]).score_samples(X[test]))
        np.testing.assert_allclose(row["heldout_loglik"], np.concatenate(held).mean(), rtol=1e-12)
        folds = [h.mean() for h in held]
        np.testing.assert_allclose(row["heldout_loglik_se"], np.std(folds, ddof=1) / np.sqrt(3))
    best = sel.results_["heldout_loglik"].idxmax()
    assert sel.best_index_ == best


def test_bic_choice_is_the_minimum_of_the_table():
    X = _blobs()
    sel = select_model(X, {"n_components": [1, 2, 3, 4]}, criterion="bic", random_state=0)
    t = sel.results_
    assert sel.best_index_ == int(t["bic"].idxmin())
    np.testing.assert_allclose(sel.bic(X), t["bic"].min(), rtol=1e-12)
    np.testing.assert_allclose(sel.score(X), t.loc[sel.best_index_, "train_loglik"], rtol=1e-12)
    assert t["rank"].tolist() == (t["bic"].rank()).tolist()
    assert {"fit_time", "converged", "error", "n_parameters"} <= set(t.columns)
    assert t["heldout_loglik"].notna().all()  # held-out shown whatever the criterion


def test_one_standard_error_rule_prefers_the_simpler_model():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4)) * [1.0, 2.0, 0.5, 1.5]
    grid = {"covariance_type": ["full", "diag"]}
    best = ModelSelector(Normal(), grid, rule="best").fit(X)
    one_se = ModelSelector(Normal(), grid, rule="one-se").fit(X)
    t = one_se.results_
    chosen = t.loc[one_se.best_index_]
    top = t["heldout_loglik"].max()
    se = t.loc[t["heldout_loglik"].idxmax(), "heldout_loglik_se"]
    assert chosen["heldout_loglik"] >= top - se
    assert chosen["covariance_type"] == "diag"
    within = t[t["heldout_loglik"] >= top - se]
    assert chosen["n_parameters"] == within["n_parameters"].min()
    assert best.best_index_ == int(t["heldout_loglik"].idxmax())


def test_failing_candidate_is_recorded_and_the_others_go_on():
    X = _blobs(n=30)
    sel = ModelSelector(
        GaussianMixture(random_state=0), {"n_components": [1, 500, 3]}, criterion="bic"
    ).fit(X)
    t = sel.results_
    assert t["error"].isna().tolist() == [True, False, True]
    assert "500" in t.loc[1, "error"] and "DataError" in t.loc[1, "error"]
    assert np.isnan(t.loc[1, "bic"]) and not t.loc[1, "converged"]
    assert sel.best_params_ == {"n_components": 3}


def test_every_candidate_failing_is_a_clear_error():
    X = _blobs(n=10)
    with pytest.raises(FitError, match="Every candidate failed"):
        ModelSelector(GaussianMixture(), {"n_components": [400, 500]}, criterion="bic").fit(X)


@pytest.mark.parametrize(
    ("grid", "match"),
    [
        ({}, "empty"),
        ([], "empty"),
        ({"n_components": []}, "empty"),
        ({"n_componentz": [1, 2]}, "unknown parameter"),
        ({"n_components": 3}, "list of values"),
        ("n_components", "must be a dict"),
    ],
)
def test_bad_grids(grid, match):
    with pytest.raises(DataError, match=match):
        ModelSelector(GaussianMixture(), grid).fit(_blobs())


def test_bad_options():
    X = _blobs()
    with pytest.raises(DataError, match="valid options"):
        ModelSelector(Normal(), {"covariance_type": ["full"]}, criterion="aicc").fit(X)
    with pytest.raises(DataError, match="valid options"):
        ModelSelector(Normal(), {"covariance_type": ["full"]}, rule="two-se").fit(X)
    with pytest.raises(DataError, match="folds need"):
        ModelSelector(Normal(), {"covariance_type": ["full"]}, cv=400).fit(X[:20])
    with pytest.raises(NotFittedError):
        ModelSelector().sample(3)


def test_parallel_equals_serial():
    X = _blobs()
    grid = {"n_components": [1, 2, 3], "covariance_type": ["full", "spherical"]}
    a = ModelSelector(GaussianMixture(), grid, criterion="bic", random_state=0, n_jobs=1).fit(X)
    b = ModelSelector(GaussianMixture(), grid, criterion="bic", random_state=0, n_jobs=2).fit(X)
    cols = ["n_components", "covariance_type", "bic", "heldout_loglik"]
    np.testing.assert_array_equal(a.results_[cols].to_numpy(), b.results_[cols].to_numpy())
    assert len(a.results_) == 6


def test_density_without_bic_uses_cv_and_refuses_bic():
    X = _blobs()
    grid = {"bandwidth": [0.05, 0.5, 5.0]}
    sel = ModelSelector(SkKernelDensity(), grid, cv=KFold(3, shuffle=True, random_state=0))
    sel.fit(X)
    assert sel.best_params_ == {"bandwidth": 0.5}
    assert sel.results_["bic"].isna().all()
    with pytest.raises(DataError, match="criterion='cv'"):
        ModelSelector(SkKernelDensity(), grid, criterion="bic").fit(X)


def test_delegates_to_the_selected_model_and_clones():
    X = _blobs()
    sel = ModelSelector(GaussianMixture(random_state=0), {"n_components": [2, 3]}, criterion="bic")
    assert clone(sel).get_params()["criterion"] == "bic"
    sel.fit(X)
    Xs, labels = sel.sample(10, random_state=0)
    assert Xs.shape == (10, 2) and labels.shape == (10,)
    np.testing.assert_allclose(sel.score_samples(X), sel.best_estimator_.score_samples(X))
    assert sel.predict(X).shape == (len(X),)


def test_expand_grid_lists_candidates():
    cands = expand_grid(GaussianMixture(), {"n_components": range(1, 4), "tol": [1e-3]})
    assert cands == [{"n_components": k, "tol": 1e-3} for k in (1, 2, 3)]


def test_the_selected_model_checks_a_frames_column_names(tmp_path):
    """Fitted on a frame, the selector and its best model refuse the columns in another
    order (scored silently wrong before), in a saved and loaded model too."""
    import pandas as pd

    from densitykit import load, save

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"u": rng.normal(0, 1, 300), "v": rng.normal(0, 100, 300)})
    sel = ModelSelector(GaussianMixture(random_state=0), {"n_components": [1, 2]},
                        criterion="bic", cv=None).fit(df)
    save(sel, tmp_path / "sel.dkm")
    for model in (sel, sel.best_estimator_, load(tmp_path / "sel.dkm")):
        np.testing.assert_allclose(model.score_samples(df), sel.score_samples(df))
        with pytest.raises(DataError, match="feature names should match"):
            model.score_samples(df[["v", "u"]])
