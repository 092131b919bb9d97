"""What every Gaussian model shares: scoring, sampling and information criteria."""

from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin

from .._parallel import blas_single_threaded
from .._validation import (
    check_data,
    check_in,
    check_int,
    check_is_fitted,
    check_n_samples,
    check_nonneg_float,
    check_random_state,
    check_sample_weight,
)
from ..scale import is_dask
from ._covariance import COVARIANCE_TYPES, CovarianceType
from ._engine import Params, Workspace, log_prob_blocks

__all__ = ["GaussianModel"]


class GaussianModel(DensityMixin, BaseEstimator):
    """Base class of :class:`Normal` and :class:`GaussianMixture` (not for direct use)."""

    _covariance_types: tuple[str, ...] = tuple(COVARIANCE_TYPES)

    # --- hooks for subclasses --------------------------------------------------------------
    def _user_params(self) -> Params:  # pragma: no cover - abstract
        raise NotImplementedError

    def n_parameters(self) -> int:
        """Number of free parameters of the fitted model (used by :meth:`bic`, :meth:`aic`)."""
        check_is_fitted(self)
        p = self._user_params()
        k, d = p.means.shape
        return self._ctype().n_cov_params(k, d) + k * d + k - 1

    # --- shared checks ---------------------------------------------------------------------
    def _ctype(self) -> CovarianceType:
        check_in(self.covariance_type, "covariance_type", self._covariance_types)
        return COVARIANCE_TYPES[self.covariance_type]

    def _check_fit_input(self, X, sample_weight, min_samples: int):
        self._ctype()
        check_nonneg_float(self.reg_covar, "reg_covar")
        X = check_data(self, X, reset=True)
        check_n_samples(X, min_samples, f"to fit {type(self).__name__} (provide more rows or "
                        "use fewer components)")
        w = check_sample_weight(sample_weight, X.shape[0])
        const = np.flatnonzero(np.ptp(X, axis=0) == 0)
        if const.size and X.shape[0] > 1:
            warnings.warn(
                f"Column(s) {const.tolist()[:10]} of X are constant; their variance comes from "
                f"reg_covar={self.reg_covar:g} alone. Drop them if they carry no information.",
                UserWarning, stacklevel=3)
        return X, (None if np.all(w == 1.0) else w)

    def _scoring_space(self, p: Params) -> Workspace:
        """A centring and power-of-two scale for accurate scoring, from the parameters."""
        shift = p.weights @ p.means
        spread = np.average(((p.means - shift) ** 2).sum(1), weights=p.weights)
        cov = p.covariances
        full = self.covariance_type in ("full", "tied")
        typical = float(np.mean(np.diagonal(cov, axis1=-2, axis2=-1) if full else cov))
        var = typical + spread / p.means.shape[1]
        scale = 2.0 ** round(math.log2(math.sqrt(var))) if var > 0 else 1.0
        return Workspace(shift, float(scale))

    def _log_prob(self, X, *, resp: bool = False):
        check_is_fitted(self)
        X = check_data(self, X, reset=False)
        p = self._user_params()
        ws = self._scoring_space(p)
        with blas_single_threaded():
            return log_prob_blocks(X, ws, ws.from_user(p), self._ctype(), resp=resp)

    # --- public API ------------------------------------------------------------------------
    def score_samples(self, X) -> np.ndarray:
        """Log-density of each row of ``X`` under the model, shape ``(n_samples,)``.

        A Dask array or data frame gives a lazy Dask array, computed chunk by chunk."""
        if is_dask(X):
            from ..scale.dask import score_samples_dask

            return score_samples_dask(self, X)
        return self._log_prob(X)[0]

    def score(self, X, y=None, sample_weight=None) -> float:
        """Mean (weighted) log-likelihood per row of ``X``."""
        ll = self.score_samples(X)
        w = check_sample_weight(sample_weight, ll.shape[0])
        return float(ll @ w / w.sum())

    def bic(self, X) -> float:
        """Bayesian information criterion on ``X``: ``-2 log L + p log n`` (lower is better)."""
        ll = self.score_samples(X)
        return float(-2.0 * ll.sum() + self.n_parameters() * math.log(ll.shape[0]))

    def aic(self, X) -> float:
        """Akaike information criterion on ``X``: ``-2 log L + 2 p`` (lower is better)."""
        ll = self.score_samples(X)
        return float(-2.0 * ll.sum() + 2 * self.n_parameters())

    def _draw(self, n_samples, random_state):
        check_is_fitted(self)
        n = check_int(n_samples, "n_samples", 1)
        rng = check_random_state(random_state)
        p = self._user_params()
        k, d = p.means.shape
        labels = _choose(rng, p.weights, n)
        z = rng.standard_normal((n, d))
        factor = self._ctype().sample_factor(p.covariances, k, d)
        X = np.empty((n, d))
        for j in range(k):
            idx = np.flatnonzero(labels == j)
            if idx.size:
                X[idx] = p.means[j] + z[idx] @ factor[j].T
        return X, labels


def _choose(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """Component labels drawn with probabilities ``weights`` (in random order)."""
    c = np.cumsum(weights)
    return np.minimum(np.searchsorted(c, rng.random(n) * c[-1], side="right"), len(weights) - 1)
