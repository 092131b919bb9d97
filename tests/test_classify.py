"""GenerativeClassifier: Bayes' rule in log space over any density."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import logsumexp
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.mixture import GaussianMixture as SkGaussianMixture
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KernelDensity as SkKernelDensity

from densitykit.classify import GenerativeClassifier
from densitykit.exceptions import DataError, FitError, NotFittedError
from reference_classify import DiagNormalRef, chapter_not_so_naive

# pixels constant within a class are expected on the digits
pytestmark = pytest.mark.filterwarnings("ignore:Column")


def _diag_normals():
    """Diagonal-normal factories: the reference, and densitykit's Normal when present."""
    out = [("reference", lambda eps: DiagNormalRef(reg_covar=eps))]
    try:
        from densitykit.gaussian import Normal
    except ImportError:
        return out
    out.append(("densitykit", lambda eps: Normal(covariance_type="diag", reg_covar=eps)))
    return out


def _kde(bandwidth):
    try:
        from densitykit.kde import KernelDensity
    except ImportError:
        return SkKernelDensity(bandwidth=bandwidth)
    return KernelDensity(bandwidth=bandwidth)


@pytest.fixture(scope="module")
def digits_split():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=1)


def _blobs(seed=0, n=60):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(0, 1, (n, 2)), rng.normal(4, 1, (n, 2)), rng.normal(-4, 1, (n, 2))])
    y = np.repeat(["ant", "bee", "cat"], n)
    return X, y


@pytest.mark.parametrize(("name", "make"), _diag_normals())
def test_gaussian_naive_bayes_equals_sklearn(digits_split, name, make):
    X_train, X_test, y_train, y_test = digits_split
    var_smoothing = 1e-9
    eps = var_smoothing * X_train.var(axis=0).max()
    ours = GenerativeClassifier(make(eps)).fit(X_train, y_train)
    nb = GaussianNB(var_smoothing=var_smoothing).fit(X_train, y_train)
    np.testing.assert_allclose(ours.class_prior_, nb.class_prior_)
    np.testing.assert_array_equal(ours.predict(X_test), nb.predict(X_test))
    np.testing.assert_allclose(
        ours.predict_joint_log_proba(X_test), nb.predict_joint_log_proba(X_test), rtol=1e-9
    )
    np.testing.assert_allclose(
        ours.predict_log_proba(X_test), nb.predict_log_proba(X_test), rtol=1e-6, atol=1e-6
    )
    assert ours.score(X_test, y_test) == 0.8314814814814815


def test_kde_classifier_reproduces_chapter_accuracy(digits_split):
    X_train, X_test, y_train, y_test = digits_split
    clf = GenerativeClassifier(_kde(10.0)).fit(X_train, y_train)
    assert clf.score(X_test, y_test) == 0.9907407407407407


def test_right_where_every_likelihood_underflows():
    rng = np.random.default_rng(0)
    d = 400
    X = np.vstack([rng.normal(0.0, 1.0, (100, d)), rng.normal(1.0, 1.0, (100, d))])
    y = np.repeat([0, 1], 100)
    # far from both classes, nearer to class 1 (and slightly off-centre so ties cannot occur)
    X_test = np.vstack([np.full(d, 10.0), np.full(d, -9.0)])
    X_test[:, 0] += 0.5
    density = DiagNormalRef(reg_covar=1e-9)
    clf = GenerativeClassifier(density).fit(X, y)
    per_class = np.column_stack([est.score_samples(X_test) for est in clf.estimators_])
    assert np.all(np.exp(per_class) == 0.0)  # every likelihood underflows
    assert clf.predict(X_test).tolist() == [1, 0]
    proba = clf.predict_proba(X_test)
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # the chapter's exp-based version loses the answer for the first row
    chapter = chapter_not_so_naive(X, X_test, y, clone(density))
    assert chapter.tolist() != [1, 0]


def test_posterior_matches_bayes_rule_brute_force():
    X, y = _blobs()
    clf = GenerativeClassifier(DiagNormalRef(1e-9), priors=[0.2, 0.3, 0.5]).fit(X, y)
    pts = np.random.default_rng(1).normal(0, 3, (30, 2))
    lik = np.column_stack([np.exp(e.score_samples(pts)) for e in clf.estimators_])
    post = lik * [0.2, 0.3, 0.5]
    post /= post.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(clf.predict_proba(pts), post, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(
        clf.score_samples(pts), np.log((lik * [0.2, 0.3, 0.5]).sum(axis=1)), rtol=1e-10
    )
    np.testing.assert_allclose(logsumexp(clf.predict_log_proba(pts), axis=1), 0.0, atol=1e-12)


def test_string_labels_and_cross_val_score():
    X, y = _blobs()
    clf = GenerativeClassifier(SkGaussianMixture(n_components=1, random_state=0))
    scores = cross_val_score(clf, X, y, cv=3)
    assert scores.shape == (3,)
    assert scores.mean() > 0.95
    fitted = clone(clf).fit(X, y)
    assert fitted.classes_.tolist() == ["ant", "bee", "cat"]
    assert set(fitted.predict(X)) <= {"ant", "bee", "cat"}


def test_priors_options():
    X, y = _blobs()
    uni = GenerativeClassifier(DiagNormalRef(), priors="uniform").fit(X, y)
    np.testing.assert_allclose(uni.class_prior_, 1 / 3)
    mapped = GenerativeClassifier(DiagNormalRef(), priors={"ant": 0.5, "bee": 0.25, "cat": 0.25})
    np.testing.assert_allclose(mapped.fit(X, y).class_prior_, [0.5, 0.25, 0.25])
    with pytest.raises(DataError, match="sum to 1"):
        GenerativeClassifier(DiagNormalRef(), priors=[0.5, 0.5, 0.5]).fit(X, y)
    with pytest.raises(DataError, match="one value per class"):
        GenerativeClassifier(DiagNormalRef(), priors=[0.5, 0.5]).fit(X, y)
    with pytest.raises(DataError, match="no value for class"):
        GenerativeClassifier(DiagNormalRef(), priors={"ant": 1.0}).fit(X, y)


def test_sample_class_conditional():
    X, y = _blobs()
    clf = GenerativeClassifier(DiagNormalRef()).fit(X, y)
    Xs, ys = clf.sample(3000, random_state=0)
    assert Xs.shape == (3000, 2)
    for c, est in zip(clf.classes_, clf.estimators_):
        np.testing.assert_allclose(Xs[ys == c].mean(axis=0), est.mean_, atol=0.1)
        assert abs((ys == c).mean() - 1 / 3) < 0.05
    _xb, yb = clf.sample(10, y="bee", random_state=1)
    assert yb.tolist() == ["bee"] * 10
    Xl, yl = clf.sample(y=["cat", "ant", "cat"], random_state=1)
    assert Xl.shape == (3, 2) and yl.tolist() == ["cat", "ant", "cat"]
    a, _ = clf.sample(5, random_state=7)
    b, _ = clf.sample(5, random_state=7)
    np.testing.assert_array_equal(a, b)


def test_sample_with_sklearn_mixture_reads_random_state():
    X, y = _blobs()
    clf = GenerativeClassifier(SkGaussianMixture(2, random_state=0)).fit(X, y)
    a, _ = clf.sample(20, random_state=3)
    b, _ = clf.sample(20, random_state=3)
    np.testing.assert_array_equal(a, b)


def test_unknown_label_at_predict_time_is_refused():
    X, y = _blobs()
    clf = GenerativeClassifier(DiagNormalRef()).fit(X, y)
    with pytest.raises(DataError, match="Unknown class label"):
        clf.sample(5, y="dog")
    with pytest.raises(DataError, match="Unknown class label"):
        clf.sample(y=["ant", "emu"])
    with pytest.raises(DataError, match="features"):
        clf.predict(np.ones((2, 3)))


def test_class_with_one_sample():
    X, y = _blobs(n=20)
    X = np.vstack([X, [[10.0, 10.0]]])
    y = np.append(y, "dog")
    with pytest.raises(FitError, match="class 'dog' \\(1 sample\\)"):
        GenerativeClassifier(SkGaussianMixture(n_components=2)).fit(X, y)
    # a density that can be fitted to one row works
    clf = GenerativeClassifier(SkKernelDensity(bandwidth=1.0)).fit(X, y)
    assert clf.predict([[10.0, 10.0]]).tolist() == ["dog"]


def test_bad_input():
    X, y = _blobs()
    with pytest.raises(NotFittedError):
        GenerativeClassifier(DiagNormalRef()).predict(X)
    with pytest.raises(DataError, match="needs at least 2 classes"):
        GenerativeClassifier(DiagNormalRef()).fit(X, np.zeros(len(X)))
    with pytest.raises(DataError, match="one label per row"):
        GenerativeClassifier(DiagNormalRef()).fit(X, y[:-1])
    with pytest.raises(DataError, match="fit and score_samples"):
        GenerativeClassifier(object()).fit(X, y)
    with pytest.raises(ValueError, match="continuous"):
        GenerativeClassifier(DiagNormalRef()).fit(X, np.linspace(0, 1, len(X)))


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (np.array(["a", "b", None, "a", "b", "a"], dtype=object), r"1 empty label.*\[2\]"),
        (np.array([1.0, 2.0, np.nan, 1.0, 2.0, 1.0]), r"1 empty label.*\[2\]"),
        (pd.Series(["a", "b", "a", None, "b", "a"]).astype("category"), r"empty label.*\[3\]"),
        (np.array([1, "a", 2, "a", 1, 2], dtype=object), "mixes text labels with labels of "
                                                          r"type\(s\) int.*astype\(str\)"),
    ],
    ids=["None", "NaN", "category", "mixed"],
)
def test_labels_that_cannot_be_classes_are_named(y, message):
    """Empty labels and text mixed with numbers get a DataError with the fix, not numpy's
    TypeError from sorting the classes (or scikit-learn's 'Unknown label type')."""
    from densitykit import Normal

    X = np.random.default_rng(0).normal(size=(6, 2))
    with pytest.raises(DataError, match=message):
        GenerativeClassifier(Normal()).fit(X, y)


def test_whole_number_labels_held_as_objects_are_classes():
    """pd.Series([1, 2, ...], dtype=object), as a merge leaves it, fits like the int labels
    (scikit-learn's check says 'Unknown label type: unknown')."""
    from densitykit import Normal

    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (50, 2)), rng.normal(3, 1, (50, 2))])
    y = np.repeat([1, 2], 50)
    as_objects = GenerativeClassifier(Normal()).fit(X, pd.Series(y, dtype=object))
    plain = GenerativeClassifier(Normal()).fit(X, y)
    assert as_objects.classes_.tolist() == [1, 2]
    np.testing.assert_array_equal(as_objects.predict_proba(X), plain.predict_proba(X))
