"""Generative classification with one density per class.

A :class:`GenerativeClassifier` fits a copy of any density estimator to the rows of each
class and classifies by Bayes' rule, ``argmax_c log p(c) + log p(x | c)``. Everything is done
in log space with log-sum-exp, so the posterior stays exact where every class likelihood
underflows to zero in floating point (64-D digits easily reach ``p(x | c) < 1e-300``).

With a diagonal :class:`~densitykit.Normal` this is Gaussian naive Bayes; with a kernel
density it is the "not-so-naive" Bayes classifier of a per-class KDE.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import logsumexp
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.multiclass import check_classification_targets

from . import _state
from ._estimator import BaseEstimator, ClassifierMixin, clone
from ._validation import check_data, check_int, check_is_fitted, check_random_state
from .density import draw_categories, draw_rows
from .exceptions import DataError, FitError, ParameterError, user_stacklevel

__all__ = ["GenerativeClassifier"]


def _class_priors(priors: Any, classes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Return validated prior probabilities, one per class, in the order of ``classes``."""
    if priors is None:
        return counts / counts.sum()
    if isinstance(priors, str):
        if priors == "uniform":
            return np.full(len(classes), 1.0 / len(classes))
        raise ParameterError(
            f"priors must be None (class frequencies), 'uniform', a mapping label -> "
            f"probability or an array with one value per class; got {priors!r}."
        )
    if isinstance(priors, Mapping):
        missing = [c for c in classes if c not in priors]
        if missing:
            raise ParameterError(
                f"priors has no value for class(es) {missing[:5]}; give one prior per class "
                f"(classes are {list(classes)[:10]})."
            )
        p = np.array([priors[c] for c in classes], dtype=np.float64)
    else:
        p = np.asarray(priors, dtype=np.float64).ravel()
        if p.shape[0] != len(classes):
            raise ParameterError(
                f"priors must have one value per class ({len(classes)} classes: "
                f"{list(classes)[:10]}); got {p.shape[0]} values."
            )
    if not np.all(np.isfinite(p)) or np.any(p < 0) or p.sum() <= 0:
        raise ParameterError(f"priors must be finite, non-negative and not all zero; got {p}.")
    if not np.isclose(p.sum(), 1.0, rtol=1e-6):
        raise ParameterError(
            f"priors must sum to 1; they sum to {p.sum():.6g}. Divide them by their sum."
        )
    return p / p.sum()


def _check_labels(y: np.ndarray) -> None:
    """Every label present (no None or NaN), and text labels not mixed with numbers (their
    classes could not be sorted)."""
    import pandas as pd

    empty = np.flatnonzero(np.asarray(pd.isna(y), dtype=bool))
    if empty.size:
        raise DataError(
            f"y has {empty.size} empty label(s) (None or NaN; row(s) {empty[:5].tolist()}); "
            "every row needs a class. Drop those rows, or give them a class of their own "
            "(e.g. 'unknown').")
    if y.dtype.kind == "O":
        types = sorted({type(v).__name__ for v in y.tolist()})
        if len(types) > 1 and "str" in types:
            raise DataError(
                f"y mixes text labels with labels of type(s) "
                f"{', '.join(t for t in types if t != 'str')}; give labels of one kind, e.g. "
                "y.astype(str).")


class GenerativeClassifier(ClassifierMixin, BaseEstimator):
    """Bayes classifier with one fitted density per class.

    Parameters
    ----------
    density : estimator
        Any unfitted density estimator with ``fit`` and ``score_samples`` (log-density),
        for example ``Normal``, ``GaussianMixture`` or ``KernelDensity``. One clone is fitted
        per class. ``sample`` on the classifier needs ``density.sample``.
    priors : None, 'uniform', mapping or array-like, default=None
        Prior class probabilities. ``None`` uses the class frequencies of the training data;
        a mapping gives one probability per label; an array follows ``classes_``.

    Attributes
    ----------
    classes_ : ndarray
        The class labels (any sortable labels, strings included).
    estimators_ : list
        The fitted density of each class, in the order of ``classes_``.
    class_count_ : ndarray
        Training rows per class.
    class_prior_ : ndarray
        Prior probability of each class.
    n_features_in_ : int
        Number of features seen in ``fit``.

    Notes
    -----
    The posterior is computed as ``log p(c) + log p(x | c) - logsumexp_c(...)``; no density
    is ever exponentiated. Gaussian naive Bayes as in scikit-learn's ``GaussianNB`` is
    ``GenerativeClassifier(Normal(covariance_type='diag', reg_covar=eps))`` with
    ``eps = var_smoothing * X.var(axis=0).max()``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neighbors import KernelDensity
    >>> from densitykit.classify import GenerativeClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (50, 2)), rng.normal(5, 1, (50, 2))])
    >>> y = np.array(["low"] * 50 + ["high"] * 50)
    >>> clf = GenerativeClassifier(KernelDensity(bandwidth=0.5)).fit(X, y)
    >>> clf.predict([[0.0, 0.0], [5.0, 5.0]]).tolist()
    ['low', 'high']
    >>> clf.predict_proba([[2.5, 2.5]]).round(1).sum()
    np.float64(1.0)
    """

    def __init__(self, density: Any, priors: Any = None) -> None:
        self.density = density
        self.priors = priors

    def fit(self, X: ArrayLike, y: ArrayLike) -> GenerativeClassifier:
        """Fit one clone of ``density`` to the rows of each class.

        Sets ``classes_`` (the sorted labels), ``class_count_``, ``class_prior_`` (from
        ``priors``, or the class frequencies) and ``estimators_``, one fitted density per
        class. A column-vector ``y`` is used as ``y.ravel()`` with scikit-learn's
        ``DataConversionWarning``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows. They must be complete: an empty (NaN) cell is refused with a
            :class:`~densitykit.exceptions.DataError`.
        y : array-like of shape (n_samples,)
            Class labels (numbers or strings), at least two distinct ones.

        Returns
        -------
        self : GenerativeClassifier
            The classifier itself, fitted.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import GenerativeClassifier, Normal
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(4, 1, (100, 2))])
        >>> y = np.repeat(["a", "b"], 100)
        >>> clf = GenerativeClassifier(Normal()).fit(X, y)
        >>> clf.classes_.tolist(), clf.class_prior_.tolist()
        (['a', 'b'], [0.5, 0.5])
        >>> [type(est).__name__ for est in clf.estimators_]
        ['Normal', 'Normal']
        """
        if not hasattr(self.density, "fit") or not hasattr(self.density, "score_samples"):
            raise ParameterError(
                "density must be an estimator with fit and score_samples (for example "
                f"GaussianMixture or KernelDensity); got {type(self.density).__name__}."
            )
        X = check_data(self, X, reset=True)
        y = self._check_y(y, X.shape[0])
        classes, y_idx, counts = np.unique(y, return_inverse=True, return_counts=True)
        if len(classes) < 2:
            raise DataError(
                f"y holds only 1 class ({classes.tolist()}); a classifier needs at least 2 "
                "classes to classify."
            )
        self.classes_ = classes
        self.class_count_ = counts.astype(np.float64)
        self.class_prior_ = _class_priors(self.priors, classes, counts)
        with np.errstate(divide="ignore"):
            self._log_prior = np.log(self.class_prior_)
        self.estimators_ = [self._fit_one(X[y_idx == k], c) for k, c in enumerate(classes)]
        return self

    def _check_y(self, y: Any, n_samples: int) -> np.ndarray:
        if y is None:
            raise DataError(
                "GenerativeClassifier requires y to be passed, but the target y is None; give "
                "one label per row."
            )
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected; it is used as "
                "y.ravel().",
                DataConversionWarning,
                stacklevel=user_stacklevel(),
            )
            y = y.ravel()
        if y.ndim != 1 or y.shape[0] != n_samples:
            raise DataError(
                f"y must be 1-D with one label per row of X ({n_samples} rows); got shape "
                f"{y.shape}."
            )
        _check_labels(y)
        if y.dtype == object and all(isinstance(v, (int, np.integer)) and not isinstance(
                v, (bool, np.bool_)) for v in y):  # a frame's column of numbers as objects
            y = y.astype(np.int64)
        check_classification_targets(y)
        return y

    def _fit_one(self, X_c: np.ndarray, label: Any) -> Any:
        est = clone(self.density)
        label = label.item() if isinstance(label, np.generic) else label
        try:
            return est.fit(X_c)
        except Exception as exc:
            raise FitError(
                f"Could not fit the density of class {label!r} ({X_c.shape[0]} sample"
                f"{'s' if X_c.shape[0] != 1 else ''}): {exc} Give that class more rows, "
                "merge or drop it, or use a density that can be fitted to so few rows (for "
                "example a KernelDensity with a fixed bandwidth)."
            ) from exc

    def _check_fitted_state(self) -> None:
        """Check a fitted state read from a model file (see :mod:`densitykit._state`)."""
        d = _state.need_int(self, "n_features_in_", minimum=1)
        classes = _state.need_array(self, "classes_", kinds="fiubUO", ndim=1)
        c = classes.shape[0]
        if c < 2:
            raise _state.StateError("classes_", f"should hold at least 2 classes; it holds {c}")
        _state.need_array(self, "class_count_", shape=(c,), nonneg=True)
        prior = _state.need_array(self, "class_prior_", shape=(c,))
        _state.check_weights("class_prior_", prior)
        log_prior = _state.need_array(self, "_log_prior", shape=(c,), finite=False)
        with np.errstate(divide="ignore"):
            expected = np.log(prior)
        if np.any(np.isnan(log_prior)) or not np.allclose(log_prior, expected, rtol=1e-8,
                                                          atol=1e-12, equal_nan=False):
            raise _state.StateError("_log_prior", "is inconsistent with class_prior_")
        estimators = _state.need_list(self, "estimators_", length=c)
        for i, est in enumerate(estimators):
            _state.need_density(self, f"estimators_[{i}]", value=est, n_features=d)

    def _joint_log_likelihood(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "estimators_")
        X = check_data(self, X, reset=False)
        jll = np.empty((X.shape[0], len(self.classes_)))
        for k, est in enumerate(self.estimators_):
            jll[:, k] = est.score_samples(X)
        jll += self._log_prior
        return jll

    def predict_joint_log_proba(self, X: ArrayLike) -> np.ndarray:
        """Return ``log p(c) + log p(x | c)`` for each row and class.

        The log prior of the class plus the log-density of the row under that class's
        density, in nats, not normalised over the classes (scikit-learn's naive Bayes
        name). Its log-sum-exp over the classes is :meth:`score_samples`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify, with the features seen in ``fit``. Empty (NaN) cells are
            refused with a :class:`~densitykit.exceptions.DataError`.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Joint log-likelihood of each row and class, columns in the order of
            ``classes_``.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import GenerativeClassifier, Normal
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(4, 1, (100, 2))])
        >>> clf = GenerativeClassifier(Normal()).fit(X, np.repeat(["a", "b"], 100))
        >>> jll = clf.predict_joint_log_proba([[0.0, 0.0], [2.0, 2.0]])
        >>> jll.shape, jll.argmax(axis=1).tolist()
        ((2, 2), [0, 1])
        >>> bool(np.allclose(np.logaddexp(jll[:, 0], jll[:, 1]),
        ...                  clf.score_samples([[0.0, 0.0], [2.0, 2.0]])))
        True
        """
        return self._joint_log_likelihood(X)

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """Return the log posterior ``log p(c | x)`` of each class, shape (n, n_classes).

        Computed in log space with log-sum-exp, so it stays exact where every class
        density underflows to zero. A row that is impossible under every class (each joint
        log-likelihood ``-inf``) gets the log priors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify, with the features seen in ``fit``. Empty (NaN) cells are
            refused with a :class:`~densitykit.exceptions.DataError`.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Log posterior probability (in nats) of each class, columns in the order of
            ``classes_``; each row's exponentials sum to 1.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import GenerativeClassifier, Normal
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(4, 1, (100, 2))])
        >>> clf = GenerativeClassifier(Normal()).fit(X, np.repeat(["a", "b"], 100))
        >>> log_post = clf.predict_log_proba([[2.0, 2.0]])
        >>> log_post.shape, bool(np.isclose(np.exp(log_post).sum(), 1.0))
        ((1, 2), True)
        """
        jll = self._joint_log_likelihood(X)
        norm = logsumexp(jll, axis=1, keepdims=True)
        with np.errstate(invalid="ignore"):
            out = jll - norm
        # A row impossible under every class: fall back to the priors.
        bad = ~np.isfinite(norm[:, 0])
        if bad.any():
            out[bad] = self._log_prior
        return out

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Return the posterior probability of each class, shape (n, n_classes).

        The exponential of :meth:`predict_log_proba`: Bayes' rule with the class priors
        and the class densities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify, with the features seen in ``fit``. Empty (NaN) cells are
            refused with a :class:`~densitykit.exceptions.DataError`.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Posterior probability of each class, columns in the order of ``classes_``;
            every row sums to 1.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import GenerativeClassifier, Normal
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(4, 1, (100, 2))])
        >>> clf = GenerativeClassifier(Normal()).fit(X, np.repeat(["a", "b"], 100))
        >>> clf.predict_proba([[0.0, 0.0], [4.0, 4.0], [2.0, 2.0]]).round(1)
        array([[1. , 0. ],
               [0. , 1. ],
               [0.5, 0.5]])
        """
        return np.exp(self.predict_log_proba(X))

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Return the most probable class of each row.

        The class of largest posterior (:meth:`predict_log_proba`); a tie goes to the
        first of ``classes_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify, with the features seen in ``fit``. Empty (NaN) cells are
            refused with a :class:`~densitykit.exceptions.DataError`.

        Returns
        -------
        ndarray of shape (n_samples,)
            Predicted labels, of the kind of ``classes_``.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import GenerativeClassifier, Normal
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(4, 1, (100, 2))])
        >>> clf = GenerativeClassifier(Normal()).fit(X, np.repeat(["a", "b"], 100))
        >>> clf.predict([[0.0, 0.0], [4.0, 4.0]]).tolist()
        ['a', 'b']
        """
        log_proba = self.predict_log_proba(X)
        return self.classes_[np.argmax(log_proba, axis=1)]

    def score_samples(self, X: ArrayLike) -> np.ndarray:
        """Return the log-density ``log sum_c p(c) p(x | c)`` of each row (all classes).

        The density of the rows under the mixture of the class densities, weighted by the
        class priors: a density over the feature space, whatever the class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify, with the features seen in ``fit``. Empty (NaN) cells are
            refused with a :class:`~densitykit.exceptions.DataError`.

        Returns
        -------
        ndarray of shape (n_samples,)
            Log-density of each row, in nats.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import GenerativeClassifier, Normal
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(4, 1, (100, 2))])
        >>> clf = GenerativeClassifier(Normal()).fit(X, np.repeat(["a", "b"], 100))
        >>> clf.score_samples([[0.0, 0.0], [2.0, 2.0]]).round(1)
        array([-2.4, -5.5])
        """
        return logsumexp(self._joint_log_likelihood(X), axis=1)

    def _class_index(self, y: Any) -> np.ndarray:
        y = np.asarray(y)
        idx = np.searchsorted(self.classes_, y)
        idx = np.clip(idx, 0, len(self.classes_) - 1)
        unknown = self.classes_[idx] != y
        if np.any(unknown):
            bad = np.unique(y[unknown]).tolist()[:5]
            raise DataError(
                f"Unknown class label(s) {bad}; this classifier was fitted on classes "
                f"{self.classes_.tolist()[:20]}. Use one of those labels."
            )
        return idx

    def sample(
        self, n_samples: int = 1, y: Any = None, random_state: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw class-conditional rows.

        Each row is drawn from the density of its class; needs ``density.sample``.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows when ``y`` is ``None`` or a single label.
        y : None, label or array-like of labels, default=None
            ``None`` draws classes from ``class_prior_``; a single label draws every row from
            that class; an array draws one row per label (``n_samples`` is then ignored).
            A label not in ``classes_`` raises a :class:`~densitykit.exceptions.DataError`.
        random_state : None, int, Generator or RandomState, default=None
            Seed of the draws: the same seed gives the same rows; ``None`` fresh ones.

        Returns
        -------
        X : ndarray of shape (n, n_features)
            The drawn rows.
        y : ndarray of shape (n,)
            The class of each row.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import GenerativeClassifier, Normal
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(4, 1, (100, 2))])
        >>> clf = GenerativeClassifier(Normal()).fit(X, np.repeat(["a", "b"], 100))
        >>> X_new, y_new = clf.sample(4, random_state=0)
        >>> X_new.shape, y_new.shape
        ((4, 2), (4,))
        >>> clf.sample(y=["b", "b", "a"], random_state=0)[1].tolist()
        ['b', 'b', 'a']
        """
        check_is_fitted(self, "estimators_")
        rng = check_random_state(random_state)
        if y is None:
            n = check_int(n_samples, "n_samples", minimum=1)
            idx = draw_categories(rng, self.class_prior_, n)
        elif np.ndim(y) == 0 or isinstance(y, (str, numbers.Number)):
            n = check_int(n_samples, "n_samples", minimum=1)
            idx = np.full(n, self._class_index(np.array([y]))[0])
        else:
            idx = self._class_index(np.asarray(y).ravel())
            if idx.size == 0:
                raise DataError("y is empty; give at least one label to sample.")
        X = np.empty((idx.size, self.n_features_in_))
        for k in np.unique(idx):
            rows = np.flatnonzero(idx == k)
            seed = int(rng.integers(np.iinfo(np.int32).max))
            X[rows] = draw_rows(self.estimators_[k], rows.size, seed)
        return X, self.classes_[idx]
