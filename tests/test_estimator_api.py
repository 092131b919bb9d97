"""The estimator interface of ``densitykit._estimator`` against scikit-learn's tools.

The estimators do not derive from ``sklearn.base.BaseEstimator`` (so that importing them does
not import scikit-learn); these tests check that scikit-learn's tools treat them as its own.
"""

import json
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
from sklearn.exceptions import NotFittedError as SkNotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags

from densitykit import GaussianMixture, GenerativeClassifier, KernelDensity, TableModel
from densitykit.exceptions import ConvergenceWarning, DensityKitError, NotFittedError


def test_get_params_lists_the_constructor_and_nested_estimators():
    tm = TableModel(density=GaussianMixture(3))
    params = tm.get_params()
    assert params["density"] is tm.density
    assert params["density__n_components"] == 3
    assert set(tm.get_params(deep=False)) == set(TableModel._get_param_names())
    assert TableModel._get_param_names() == sorted(TableModel._get_param_names())


def test_set_params_sets_nested_parameters_and_names_a_bad_one():
    tm = TableModel(density=GaussianMixture(3))
    assert tm.set_params(density__n_components=5, clip=False) is tm
    assert tm.density.n_components == 5 and tm.clip is False
    with pytest.raises(ValueError, match="Invalid parameter 'n_component' for estimator"):
        GaussianMixture().set_params(n_component=2)


def test_repr_shows_the_parameters_that_differ_from_their_defaults():
    assert repr(GaussianMixture()) == "GaussianMixture()"
    assert repr(GaussianMixture(3, covariance_type="diag")) == (
        "GaussianMixture(covariance_type='diag', n_components=3)")
    assert repr(KernelDensity(bandwidth=0.5)) == "KernelDensity(bandwidth=0.5)"
    nested = repr(TableModel(density=KernelDensity(kernel="tophat")))
    assert nested == "TableModel(density=KernelDensity(kernel='tophat'))"
    assert len(repr(GaussianMixture(means_init=np.zeros((300, 40))))) < 720


def test_clone_pipeline_and_grid_search_work_as_with_scikit_learn_estimators():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    kd = KernelDensity(bandwidth=0.3)
    twin = clone(kd)
    assert twin is not kd and twin.get_params() == kd.get_params()
    grid = GridSearchCV(KernelDensity(), {"bandwidth": [0.05, 0.3, 3.0]}, cv=3).fit(X)
    assert grid.best_params_ == {"bandwidth": 0.3}
    pipe = make_pipeline(StandardScaler(), GaussianMixture(2, random_state=0)).fit(X)
    assert np.isfinite(pipe.score(X))


def test_tags_and_type_checks_come_from_scikit_learn():
    assert get_tags(GaussianMixture()).estimator_type == "DensityEstimator"
    assert get_tags(GaussianMixture()).input_tags.allow_nan
    assert is_classifier(GenerativeClassifier(GaussianMixture(1)))
    assert get_tags(GenerativeClassifier(GaussianMixture(1))).target_tags.required


def test_classifier_score_is_the_accuracy():
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(-3, 1, (100, 2)), rng.normal(3, 1, (100, 2))])
    y = np.repeat([0, 1], 100)
    clf = GenerativeClassifier(GaussianMixture(1)).fit(X, y)
    y_wrong = y.copy()
    y_wrong[:20] = 1 - y_wrong[:20]
    assert clf.score(X, y_wrong) == pytest.approx(np.mean(clf.predict(X) == y_wrong))
    assert clf.score(X, y_wrong) < clf.score(X, y)


def test_notebook_representation_is_scikit_learns_diagram():
    html = GaussianMixture(2)._repr_html_()
    assert "GaussianMixture" in html and "<div" in html
    bundle = KernelDensity()._repr_mimebundle_()
    assert bundle["text/plain"] == "KernelDensity()" and "KernelDensity" in bundle["text/html"]


def test_pickled_estimators_round_trip():
    X = np.random.default_rng(2).normal(size=(200, 3))
    gm = GaussianMixture(2, random_state=0).fit(X)
    back = pickle.loads(pickle.dumps(gm))
    np.testing.assert_array_equal(back.score_samples(X), gm.score_samples(X))


def test_not_fitted_and_convergence_are_scikit_learns_classes():
    assert issubclass(NotFittedError, SkNotFittedError)
    assert issubclass(NotFittedError, DensityKitError)
    assert ConvergenceWarning is SkConvergenceWarning
    with pytest.raises(SkNotFittedError, match="This KernelDensity instance is not fitted"):
        KernelDensity().score_samples(np.zeros((1, 1)))
    err = pickle.loads(pickle.dumps(NotFittedError("x")))
    assert type(err) is NotFittedError


def test_fitting_and_scoring_import_no_scikit_learn():
    code = textwrap.dedent("""
        import json, sys
        import numpy as np
        from densitykit import DensityMixture, GaussianMixture, KernelDensity, TableModel
        X = np.random.default_rng(0).normal(size=(500, 3))
        GaussianMixture(2, random_state=0).fit(X).score_samples(X)
        KernelDensity().fit(X).score_samples(X)
        TableModel().fit(X).sample(5, random_state=0)  # clones its density
        DensityMixture([GaussianMixture(1), KernelDensity()]).fit(X).score_samples(X)
        fitted = "sklearn" in sys.modules
        try:
            KernelDensity().score_samples(X)
        except Exception as exc:
            unfitted = type(exc).__name__
        print(json.dumps({"fit": fitted, "error": "sklearn" in sys.modules,
                          "unfitted": unfitted}))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    # the fits never import scikit-learn; raising NotFittedError does (it is its subclass)
    assert json.loads(out.stdout.splitlines()[-1]) == {"fit": False, "error": True,
                                                       "unfitted": "NotFittedError"}


def test_clone_of_densitykit_estimators_needs_no_scikit_learn_and_matches_it():
    from densitykit._estimator import clone as dk_clone

    tm = TableModel(density=GaussianMixture(3, means_init=np.zeros((3, 2))), clip=False)
    for twin in (dk_clone(tm), clone(tm)):
        assert type(twin) is TableModel and twin.clip is False
        assert twin.density is not tm.density and twin.density.n_components == 3
        assert twin.density.means_init is not tm.density.means_init
        np.testing.assert_array_equal(twin.density.means_init, tm.density.means_init)
    nested = dk_clone([GaussianMixture(2), {"a": KernelDensity(bandwidth=0.5)}])
    assert nested[0].n_components == 2 and nested[1]["a"].bandwidth == 0.5
    fitted = GaussianMixture(1).fit(np.zeros((10, 1)) + np.arange(10)[:, None])
    assert not hasattr(dk_clone(fitted), "means_")
    with pytest.raises(TypeError, match="Cannot clone object"):
        dk_clone(object())
    assert dk_clone(3, safe=False) == 3
