"""scikit-learn's estimator interface, without importing scikit-learn.

Importing scikit-learn costs about 0.7 s (``sklearn.base`` pulls in SciPy's statistics and
pandas), which a command-line run or a notebook's first kernel density call would pay before
any work. The estimators here therefore derive from :class:`BaseEstimator` and the three
mixins below, which give what scikit-learn's tools rely on:

- ``get_params`` / ``set_params`` (nested ``component__parameter`` names), so that
  :func:`sklearn.base.clone`, ``Pipeline``, ``GridSearchCV`` and ``check_estimator`` work;
- ``__sklearn_tags__``, built on first use with scikit-learn's own ``Tags``;
- the text and HTML (notebook) representations.

scikit-learn is imported only where it is needed: the tags, the HTML representation, a
classifier's accuracy, and :func:`clone` of an estimator that is not densitykit's. What
differs from deriving from ``sklearn.base.BaseEstimator`` is in ``docs/scikit-learn.md``:
``isinstance(est, sklearn.base.BaseEstimator)`` is false, and the metadata-routing requests
(``set_fit_request``) are not offered.

Examples
--------
>>> from densitykit import GaussianMixture
>>> gm = GaussianMixture(3, covariance_type="diag")
>>> gm
GaussianMixture(covariance_type='diag', n_components=3)
>>> gm.set_params(n_components=2).get_params()["n_components"]
2
"""

from __future__ import annotations

import copy
import inspect
import math
from collections import defaultdict
from typing import Any

__all__ = ["BaseEstimator", "ClassifierMixin", "DensityMixin", "TransformerMixin", "clone"]

_REPR_MAX = 700  # characters of a representation before its middle is elided


class BaseEstimator:
    """Parameters, tags and representations of a scikit-learn-style estimator.

    A subclass lists every parameter in its ``__init__`` signature (no ``*args``) and
    stores each unchanged under its own name, as scikit-learn requires.
    """

    @classmethod
    def _get_param_names(cls) -> list[str]:
        """The constructor's parameter names, sorted."""
        if cls.__init__ is object.__init__:
            return []
        params = [p for p in inspect.signature(cls.__init__).parameters.values()
                  if p.name != "self" and p.kind != p.VAR_KEYWORD]
        if any(p.kind == p.VAR_POSITIONAL for p in params):
            raise RuntimeError(
                f"{cls.__name__} must name its parameters in the signature of __init__ "
                "(no *args), as scikit-learn's estimators do.")
        return sorted(p.name for p in params)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The estimator's parameters.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of contained estimators, as
            ``component__parameter``.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.

        Examples
        --------
        >>> from densitykit import GaussianMixture, TableModel
        >>> TableModel(density=GaussianMixture(3)).get_params()["density__n_components"]
        3
        """
        out: dict[str, Any] = {}
        for key in self._get_param_names():
            value = getattr(self, key)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{key}__{k}", v) for k, v in value.get_params().items())
            out[key] = value
        return out

    def set_params(self, **params: Any) -> BaseEstimator:
        """Set parameters, including those of contained estimators.

        Parameters
        ----------
        **params : dict
            New values by parameter name; ``component__parameter`` sets a parameter of a
            contained estimator.

        Returns
        -------
        self : estimator
            The estimator itself, changed.

        Examples
        --------
        >>> from densitykit import GaussianMixture, TableModel
        >>> tm = TableModel(density=GaussianMixture(3)).set_params(density__n_components=5)
        >>> tm.density.n_components
        5
        """
        if not params:
            return self
        valid = self.get_params(deep=True)
        nested: dict[str, dict[str, Any]] = defaultdict(dict)
        for name, value in params.items():
            key, delim, sub = name.partition("__")
            if key not in valid:
                raise ValueError(
                    f"Invalid parameter {key!r} for estimator {self}. Valid parameters "
                    f"are: {self._get_param_names()!r}.")
            if delim:
                nested[key][sub] = value
            else:
                setattr(self, key, value)
                valid[key] = value
        for key, sub_params in nested.items():
            valid[key].set_params(**sub_params)
        return self

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import Tags, TargetTags

        return Tags(estimator_type=None, target_tags=TargetTags(required=False),
                    transformer_tags=None, regressor_tags=None, classifier_tags=None)

    def __repr__(self) -> str:
        """The class name and the parameters that differ from their defaults."""
        defaults = {name: p.default
                    for name, p in inspect.signature(type(self).__init__).parameters.items()}
        shown = [f"{k}={v!r}" for k, v in self.get_params(deep=False).items()
                 if _changed(v, defaults.get(k, inspect.Parameter.empty))]
        text = f"{type(self).__name__}({', '.join(shown)})"
        if len(text) > _REPR_MAX:
            half = _REPR_MAX // 2
            text = f"{text[:half]}...{text[-half:]}"
        return text

    def _repr_html_(self) -> str:
        """The notebook diagram of scikit-learn's estimators."""
        from sklearn.utils import estimator_html_repr

        return estimator_html_repr(self)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, str]:
        return {"text/plain": repr(self), "text/html": self._repr_html_()}


def _changed(value: Any, default: Any) -> bool:
    """Whether a parameter differs from its default (NaN equals NaN; arrays by identity)."""
    if value is default:
        return False
    if isinstance(value, float) and isinstance(default, float):
        return not (value == default or (math.isnan(value) and math.isnan(default)))
    if hasattr(value, "__array__") or hasattr(default, "__array__"):
        return True
    try:
        return bool(value != default) or type(value) is not type(default)
    except Exception:  # a comparison that does not give a truth value
        return repr(value) != repr(default)


class DensityMixin:
    """A density estimator: scikit-learn's ``estimator_type`` ``'DensityEstimator'``."""

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.estimator_type = "DensityEstimator"
        return tags


class ClassifierMixin:
    """A classifier: its tags and, as ``score``, the accuracy."""

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import ClassifierTags

        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags()
        tags.target_tags.required = True
        return tags

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """The accuracy: the share of rows whose predicted class is the true one.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.
        y : array-like of shape (n_samples,)
            Their true classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows (equal by default).

        Returns
        -------
        accuracy : float
            The (weighted) share of rows classified correctly, between 0 and 1.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import GaussianMixture, GenerativeClassifier
        >>> X = np.r_[np.zeros((20, 1)), np.ones((20, 1))] + np.linspace(0, 0.1, 40)[:, None]
        >>> y = np.repeat([0, 1], 20)
        >>> GenerativeClassifier(GaussianMixture(1)).fit(X, y).score(X, y)
        1.0
        """
        from sklearn.metrics import accuracy_score

        return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))


class TransformerMixin:
    """A transformer: its tags and ``fit_transform``."""

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import TransformerTags

        tags = super().__sklearn_tags__()
        tags.transformer_tags = TransformerTags()
        return tags

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Fit to ``X``, then transform it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows to fit and transform.
        y : None
            Ignored; there for scikit-learn's pipelines.
        **fit_params : dict
            Passed on to ``fit``.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            ``transform(X)`` of the fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import LatentDensity
        >>> X = np.random.default_rng(0).normal(size=(100, 5))
        >>> LatentDensity(n_components=2).fit_transform(X).shape
        (100, 2)
        """
        fitted = self.fit(X, **fit_params) if y is None else self.fit(X, y, **fit_params)
        return fitted.transform(X)


def clone(estimator: Any, *, safe: bool = True) -> Any:
    """A new, unfitted estimator with the same parameters, as :func:`sklearn.base.clone`.

    densitykit's own estimators, their parameters and containers of them are cloned here,
    without importing scikit-learn; any other estimator by scikit-learn's ``clone``.

    Parameters
    ----------
    estimator : estimator, or a list, tuple, set or dict of them
        What to clone.
    safe : bool, default=True
        Refuse an object that is not an estimator (else it is deep-copied).

    Returns
    -------
    clone : object
        The copy: parameters cloned one by one, no fitted attribute.

    Examples
    --------
    >>> from densitykit import GaussianMixture, TableModel
    >>> tm = TableModel(density=GaussianMixture(3))
    >>> twin = clone(tm)
    >>> twin.density is tm.density, twin.density.n_components
    (False, 3)
    """
    kind = type(estimator)
    if kind is dict:
        return {k: clone(v, safe=safe) for k, v in estimator.items()}
    if kind in (list, tuple, set, frozenset):
        return kind(clone(e, safe=safe) for e in estimator)
    if isinstance(estimator, BaseEstimator):
        params = estimator.get_params(deep=False)
        return kind(**{k: clone(v, safe=False) for k, v in params.items()})
    if not safe and (not hasattr(estimator, "get_params") or isinstance(estimator, type)):
        return copy.deepcopy(estimator)
    from sklearn.base import clone as sk_clone

    return sk_clone(estimator, safe=safe)
