"""The density protocol: what every density offers, in one place.

A density here is anything with ``fit``, ``score_samples`` and ``sample``. Its ``sample``
may return the rows alone or ``(rows, labels)``, and may or may not take ``random_state``
(scikit-learn's mixtures read the seed from the estimator); :func:`draw_rows` hides those
differences, so every caller that draws rows from a density goes through it.

The same holds for the other questions asked of any density: :func:`n_parameters` counts
its free parameters (densitykit's ``n_parameters()``, scikit-learn's ``_n_parameters()``),
:func:`bic` and :func:`aic` apply the one :func:`information_criterion` formula, and
:func:`allows_nan` says whether it fits rows with empty cells. :func:`draw_categories` is
the one weighted draw of category indices (mixture components, classes, kernel centres).
:data:`INIT_PARAMETERS` names the parameters that start a mixture at given values, alike
in densitykit's and scikit-learn's mixtures.

Examples
--------
>>> import numpy as np
>>> from densitykit.gaussian import GaussianMixture
>>> gm = GaussianMixture(2, random_state=0).fit(np.random.default_rng(0).normal(size=(200, 2)))
>>> draw_rows(gm, 3, random_state=1).shape
(3, 2)
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np

from ._adapters import adapter
from ._validation import check_random_state
from .exceptions import DataError

__all__ = [
    "INIT_PARAMETERS",
    "aic",
    "allows_nan",
    "bic",
    "draw_categories",
    "draw_rows",
    "information_criterion",
    "n_parameters",
]

_RAISE = object()  # n_parameters' default: a density that reports no count is an error

#: the parameters that start a Gaussian mixture's EM at given values (densitykit's and
#: scikit-learn's mixtures name them alike); None leaves the start to ``init_params``
INIT_PARAMETERS = ("weights_init", "means_init", "precisions_init")


def draw_rows(density: Any, n: int, random_state: Any = None) -> np.ndarray:
    """Draw ``n`` rows ``(n, d)`` as float64 from any density (see the module docstring)."""
    if type(density).__module__.startswith("densitykit"):
        out = density.sample(n, random_state=random_state)
    else:  # scikit-learn takes int seeds; its mixtures take the seed from the estimator
        seed = random_state
        if seed is not None and not isinstance(seed, (int, np.integer)):
            seed = int(check_random_state(seed).integers(2**31 - 1))
        if "random_state" in inspect.signature(density.sample).parameters:
            out = density.sample(n, random_state=seed)
        else:
            saved = getattr(density, "random_state", None)
            density.random_state = seed
            try:
                out = density.sample(n)
            finally:
                density.random_state = saved
    X = out[0] if isinstance(out, tuple) else out
    return np.asarray(X, dtype=np.float64).reshape(n, -1)


def allows_nan(density: Any) -> bool:
    """Whether ``density`` fits rows with empty (NaN) cells, by its scikit-learn tags;
    ``None`` stands for densitykit's ``GaussianMixture``, which does."""
    if density is None:
        return True
    try:
        from sklearn.utils import get_tags

        return bool(get_tags(density).input_tags.allow_nan)
    except (AttributeError, TypeError):  # not a scikit-learn estimator
        return False


def n_parameters(density: Any, default: Any = _RAISE) -> Any:
    """Number of free parameters of a fitted density.

    Asks the density itself: ``n_parameters()`` (densitykit's estimators) or
    ``_n_parameters()`` (scikit-learn's mixtures). A density that reports no count (a
    kernel density) gives ``default``, or raises :class:`~densitykit.exceptions.DataError`
    when no default is given, since BIC and AIC are undefined for it.
    """
    for name in ("n_parameters", "_n_parameters"):
        count = getattr(density, name, None)
        if count is not None:
            return int(count() if callable(count) else count)
    if default is not _RAISE:
        return default
    raise DataError(
        f"{type(density).__name__} does not report its number of parameters, so BIC/AIC are "
        "not defined for it; compare models by held-out likelihood instead."
    )


def information_criterion(log_likelihood: Any, n_parameters: int, n_rows: int,
                          kind: str = "bic") -> float:
    """``-2 log L + p log n`` (``kind='bic'``) or ``-2 log L + 2 p`` (``'aic'``), where
    ``log L`` is the total log-likelihood of ``n_rows`` rows; lower is better.

    >>> information_criterion(-100.0, 3, 50, "aic")
    206.0
    """
    penalty = math.log(n_rows) if kind == "bic" else 2.0
    return float(-2.0 * log_likelihood + n_parameters * penalty)


def total_and_count(log_likelihoods: Any) -> tuple[float, int]:
    """The sum of per-row log-likelihoods and their number: of an array, or of a lazy Dask
    array in one pass (the scores of a Dask data frame have no length until computed).

    >>> total_and_count(np.array([-1.0, -2.5]))
    (-3.5, 2)
    """
    lazy = adapter(log_likelihoods)
    if lazy is not None:
        return lazy.total_and_count(log_likelihoods)
    ll = np.asarray(log_likelihoods)
    return float(ll.sum()), int(ll.shape[0])


def _criterion(density: Any, X: Any, kind: str) -> float:
    total, n = total_and_count(density.score_samples(X))
    return information_criterion(total, n_parameters(density), n, kind)


def bic(density: Any, X: Any) -> float:
    """Bayesian information criterion of a fitted density on rows ``X`` (lower is better)."""
    return _criterion(density, X, "bic")


def aic(density: Any, X: Any) -> float:
    """Akaike information criterion of a fitted density on rows ``X`` (lower is better)."""
    return _criterion(density, X, "aic")


def draw_categories(rng: np.random.Generator, weights: Any, size: Any = None) -> np.ndarray:
    """Category indices drawn with probabilities proportional to ``weights``.

    ``weights`` of shape ``(k,)`` gives ``size`` draws; of shape ``(n, k)``, one draw per
    row (``size`` unused). Either way each draw inverts the cumulative weights at one
    uniform number of ``rng``, as ``Generator.choice(k, size, p=weights)`` does, so the two
    use the same stream. Weights (or a row of them) that sum to zero or are not finite
    draw uniformly.

    >>> draw_categories(np.random.default_rng(0), [0.0, 1.0, 0.0], 4)
    array([1, 1, 1, 1])
    """
    w = np.asarray(weights, dtype=np.float64)
    k = w.shape[-1]
    cum = np.cumsum(w, axis=-1)
    if w.ndim == 2:
        u = rng.random((w.shape[0], 1))
        tot = cum[:, -1]
        with np.errstate(invalid="ignore"):
            idx = (cum <= u * cum[:, -1:]).sum(axis=1)
        bad = ~(np.isfinite(tot) & (tot > 0))
        idx[bad] = (u[bad, 0] * k).astype(idx.dtype)  # uniform, from the same number
        return np.minimum(idx, k - 1)
    if not np.isfinite(cum[-1]) or cum[-1] <= 0:
        return rng.integers(k, size=size)
    return np.minimum(np.searchsorted(cum, rng.random(size) * cum[-1], side="right"), k - 1)
