"""A weighted mixture of whole density models: ``p(x) = sum_k w_k p_k(x)``.

:class:`DensityMixture` fits each of its densities to the same rows and mixes them with fixed
weights. A typical use is a *defensive* mixture: a kernel density estimate that follows the
data closely, plus a small weight on a smooth model (a Gaussian mixture) so that rows away
from every fitted row still get a sensible density. The log-density is then never below
``log w_k + log p_k(x)`` for either part, so one unusual held-out row cannot sink the
average held-out log-likelihood.

Examples
--------
>>> import numpy as np
>>> from densitykit import DensityMixture, GaussianMixture, KernelDensity
>>> X = np.random.default_rng(0).normal(size=(300, 2))
>>> model = DensityMixture([KernelDensity(bandwidth=0.2), GaussianMixture(2)],
...                        weights=[0.95, 0.05]).fit(X)
>>> bool(model.score_samples([[8.0, 8.0]])[0] > KernelDensity(bandwidth=0.2).fit(X)
...      .score_samples([[8.0, 8.0]])[0])
True
>>> draws, labels = model.sample(1000, random_state=0)
>>> draws.shape, np.bincount(labels, minlength=2).tolist()
((1000, 2), [949, 51])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import logsumexp

from . import _state
from ._estimator import BaseEstimator, DensityMixin, clone
from ._validation import check_data, check_int, check_is_fitted, check_random_state
from .density import draw_rows
from .exceptions import ParameterError

__all__ = ["DensityMixture"]


class DensityMixture(DensityMixin, BaseEstimator):
    """Fixed-weight mixture of density estimators, each fitted to all the rows.

    Parameters
    ----------
    densities : list of estimators
        Each needs ``fit``, ``score_samples`` and ``sample`` (densitykit's densities, or any
        with the same methods). They are cloned before fitting.
    weights : array-like of shape (n_densities,), optional
        Non-negative mixing weights, normalised to sum to 1; equal weights by default.

    Attributes
    ----------
    densities_ : list of fitted estimators
    weights_ : ndarray of shape (n_densities,)
    n_features_in_ : int
    """

    def __init__(self, densities: Sequence[Any] = (), weights: Any = None) -> None:
        self.densities = densities
        self.weights = weights

    def _check_weights(self) -> np.ndarray:
        if not isinstance(self.densities, (list, tuple)) or not self.densities:
            raise ParameterError("DensityMixture needs a list of at least one density; pass "
                                 "densities=[KernelDensity(...), GaussianMixture(...)].")
        for d in self.densities:
            if not all(hasattr(d, m) for m in ("fit", "score_samples", "sample")):
                raise ParameterError(f"Every density needs fit, score_samples and sample methods; "
                                     f"{d!r} does not have them.")
        k = len(self.densities)
        if self.weights is None:
            return np.full(k, 1.0 / k)
        try:
            w = np.asarray(self.weights, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            w = np.full(k + 1, np.nan)  # reported below
        if w.shape != (k,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ParameterError(f"weights must be {k} finite non-negative numbers, not all zero "
                            f"(one per density); got {self.weights!r}.")
        return w / w.sum()

    def fit(self, X: ArrayLike, y: Any = None,
            sample_weight: ArrayLike | None = None) -> DensityMixture:
        """Fit a clone of every density to ``X`` (with ``sample_weight`` when given).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Complete rows: an empty (NaN) cell raises a
            :class:`~densitykit.exceptions.DataError` (rows with empty cells can be scored
            once fitted, when every density marginalises them).
        y : None
            Ignored; there for scikit-learn's pipelines.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, passed to every density's ``fit``.

        Returns
        -------
        self : DensityMixture
            The fitted mixture (``densities_``, ``weights_`` normalised to sum to 1).

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import DensityMixture, GaussianMixture, KernelDensity
        >>> X = np.random.default_rng(0).normal(size=(300, 2))
        >>> dm = DensityMixture([KernelDensity(bandwidth=0.3), GaussianMixture(1)],
        ...                     weights=[3, 1]).fit(X)
        >>> dm.weights_.tolist(), len(dm.densities_)
        ([0.75, 0.25], 2)
        """
        weights = self._check_weights()
        X = check_data(self, X, reset=True, dtype=np.float64)
        kw = {} if sample_weight is None else {"sample_weight": sample_weight}
        self.densities_ = [clone(d).fit(X, **kw) for d in self.densities]
        self.weights_ = weights
        return self

    def _check_fitted_state(self) -> None:
        """Check a fitted state read from a model file (see :mod:`densitykit._state`)."""
        d = _state.need_int(self, "n_features_in_", minimum=1)
        parts = _state.need_list(self, "densities_", minimum=1)
        for i, part in enumerate(parts):
            _state.need_density(self, f"densities_[{i}]", value=part, n_features=d,
                                methods=("score_samples", "sample"))
        w = _state.need_array(self, "weights_", shape=(len(parts),))
        _state.check_weights("weights_", w)

    def _log_parts(self, X: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            logw = np.log(self.weights_)
        return np.column_stack([lw + d.score_samples(X)
                                for lw, d in zip(logw, self.densities_, strict=True)])

    def score_samples(self, X: ArrayLike) -> np.ndarray:
        """Log-density of each row under the mixture: ``logsumexp_k(log w_k + log p_k(x))``.

        A row with empty cells (NaN) gets the log-density of its observed cells, when every
        part marginalises empty cells (densitykit's :class:`GaussianMixture`,
        :class:`Normal` and :class:`KernelDensity` do; a part that refuses them raises its
        error); a row with no observed cell then gets 0.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score; NaN marks an empty cell.

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
            ``log p(x)`` of each row, in nats; higher means more likely.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import DensityMixture, GaussianMixture, KernelDensity
        >>> X = np.random.default_rng(0).normal(size=(300, 2))
        >>> dm = DensityMixture([KernelDensity(bandwidth=0.3), GaussianMixture(1)],
        ...                     weights=[3, 1]).fit(X)
        >>> log_p = dm.score_samples([[0.0, 0.0], [0.3, np.nan], [np.nan, np.nan]])
        >>> log_p.shape, bool(np.isclose(log_p[2], 0.0))
        ((3,), True)
        """
        check_is_fitted(self)
        X = check_data(self, X, reset=False, dtype=np.float64, allow_nan=True)
        return logsumexp(self._log_parts(X), axis=1)

    def score(self, X: ArrayLike, y: Any = None) -> float:
        """Total log-likelihood of ``X`` under the mixture, in nats.

        The sum of :meth:`score_samples` over the rows, as :meth:`KernelDensity.score` (the
        Gaussian models' ``score`` is a mean per row); a row with empty cells (NaN) counts
        with the log-density of its observed cells.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score; NaN marks an empty cell.
        y : None
            Ignored; there for scikit-learn's pipelines.

        Returns
        -------
        score : float
            ``sum_n log p(x_n)``, in nats; higher is better.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import DensityMixture, GaussianMixture, KernelDensity
        >>> X = np.random.default_rng(0).normal(size=(300, 2))
        >>> dm = DensityMixture([KernelDensity(bandwidth=0.3), GaussianMixture(1)]).fit(X)
        >>> bool(np.isclose(dm.score(X[:50]), dm.score_samples(X[:50]).sum()))
        True
        """
        return float(np.sum(self.score_samples(X)))

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Posterior probability that each row came from each density.

        ``w_k p_k(x) / p(x)``; a row with empty cells (NaN) uses the densities of its
        observed cells (when every part marginalises them), and a row that no density can
        produce (log-density -inf under all of them) gets the weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to assign; NaN marks an empty cell.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_densities)
            Each row sums to 1.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import DensityMixture, GaussianMixture, KernelDensity
        >>> X = np.random.default_rng(0).normal(size=(300, 2))
        >>> dm = DensityMixture([KernelDensity(bandwidth=0.3), GaussianMixture(1)],
        ...                     weights=[3, 1]).fit(X)
        >>> P = dm.predict_proba([[0.0, 0.0], [8.0, 8.0]])
        >>> P.shape, P.sum(1).round(6).tolist(), P[1].round(3).tolist()  # far: the smooth part
        ((2, 2), [1.0, 1.0], [0.0, 1.0])
        """
        check_is_fitted(self)
        X = check_data(self, X, reset=False, dtype=np.float64, allow_nan=True)
        parts = self._log_parts(X)
        lse = logsumexp(parts, axis=1, keepdims=True)
        with np.errstate(invalid="ignore"):
            post = np.exp(parts - lse)
        # a row no density can produce: fall back on the weights
        post[~np.isfinite(lse[:, 0])] = self.weights_
        return post

    def sample(self, n_samples: int = 1, random_state: Any = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """Draw rows: how many from each density is multinomial in the weights.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw (at least 1).
        random_state : int, Generator, RandomState or None, default=None
            Seed of the draws (the counts and every density's rows): with a seed each call
            gives the same rows, ``None`` fresh ones.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            Rows in random order.
        labels : ndarray of shape (n_samples,)
            Which density drew each row.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import DensityMixture, GaussianMixture, KernelDensity
        >>> X = np.random.default_rng(0).normal(size=(300, 2))
        >>> dm = DensityMixture([KernelDensity(bandwidth=0.3), GaussianMixture(1)],
        ...                     weights=[9, 1]).fit(X)
        >>> draws, labels = dm.sample(1000, random_state=0)
        >>> draws.shape, round(float(np.mean(labels == 0)), 1)  # 9 in 10 from the first
        ((1000, 2), 0.9)
        """
        check_is_fitted(self)
        n_samples = check_int(n_samples, "n_samples", minimum=1)
        rng = check_random_state(random_state)
        counts = rng.multinomial(n_samples, self.weights_)
        parts, labels = [], []
        for k, (m, density) in enumerate(zip(counts, self.densities_, strict=True)):
            if m:
                parts.append(draw_rows(density, int(m), rng))
                labels.append(np.full(m, k))
        order = rng.permutation(n_samples)
        return np.concatenate(parts)[order], np.concatenate(labels)[order]
