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
from .. import _state
from .._linalg import inverse_upper_transpose
from ..exceptions import DataError
from ..scale import is_dask
from ._covariance import COVARIANCE_TYPES, CovarianceType
from ._engine import Params, Workspace, has_nan, log_prob_blocks
from ._missing import conditional_fill

#: ways to fill empty cells (:meth:`GaussianModel.impute`)
IMPUTE_METHODS = ("mean", "sample")

__all__ = ["GaussianModel"]


class GaussianModel(DensityMixin, BaseEstimator):
    """Base class of :class:`Normal` and :class:`GaussianMixture` (not for direct use)."""

    _covariance_types: tuple[str, ...] = tuple(COVARIANCE_TYPES)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # empty cells are marginalised
        return tags

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
        X = check_data(self, X, reset=True, allow_nan=True)
        check_n_samples(X, min_samples, f"to fit {type(self).__name__} (provide more rows or "
                        "use fewer components)")
        w = check_sample_weight(sample_weight, X.shape[0])
        _check_observed_columns(X, w)
        with np.errstate(invalid="ignore"):
            const = np.flatnonzero(np.fmax.reduce(X, 0) - np.fmin.reduce(X, 0) == 0)
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
        X = check_data(self, X, reset=False, allow_nan=True)
        p = self._user_params()
        ws = self._scoring_space(p)
        with blas_single_threaded():
            return log_prob_blocks(X, ws, ws.from_user(p), self._ctype(), resp=resp)

    def impute(self, X, method: str = "mean", random_state=None) -> np.ndarray:
        """Fill the empty cells (NaN) of ``X`` from the model; observed cells are kept.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with empty cells marked NaN; the input is not modified.
        method : {'mean', 'sample'}, default='mean'
            ``'mean'`` fills each row with the conditional mean ``E[x_m | x_o]`` of its
            empty cells given its observed ones (for a mixture, the components' conditional
            means weighted by their posterior given ``x_o``). ``'sample'`` draws the empty
            cells from ``p(x_m | x_o)``: a component from that posterior, then its
            conditional Gaussian; call it with different seeds for multiple imputation.
        random_state : int, Generator or None
            Seed for ``method='sample'``.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            A new array. A row with no observed cell is filled with the model's mean
            (``'mean'``) or a draw from the model (``'sample'``).

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import Normal
        >>> rng = np.random.default_rng(0)
        >>> X = rng.multivariate_normal([0, 0], [[1, .8], [.8, 1]], 2000)
        >>> nd = Normal().fit(X)
        >>> filled = nd.impute(np.array([[1.0, np.nan], [np.nan, np.nan]]))
        >>> filled.round(1).tolist()
        [[1.0, 0.8], [0.0, 0.0]]
        """
        check_is_fitted(self)
        check_in(method, "method", IMPUTE_METHODS)
        X = check_data(self, X, reset=False, allow_nan=True)
        out = np.array(X, dtype=np.float64, copy=True)
        empty = np.flatnonzero(np.isnan(out).any(1))
        if not empty.size:
            return out
        rng = check_random_state(random_state) if method == "sample" else None
        p = self._user_params()
        ws = self._scoring_space(p)
        with blas_single_threaded():
            for start in range(0, empty.size, 8192):
                part = empty[start : start + 8192]
                rows = ws.missing(out[part])
                z = conditional_fill(rows, ws.from_user(p), self._ctype(), method, rng)
                dest = part[rows.order]
                block = out[dest]
                hole = np.isnan(block)
                block[hole] = (z * ws.scale + ws.shift)[hole]
                out[dest] = block
        return out

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


def _check_observed_columns(X: np.ndarray, w: np.ndarray) -> None:
    """Every column needs an observed cell (with positive weight) to be estimated."""
    seen = w @ ~np.isnan(X) if has_nan(X) else None
    if seen is not None and np.any(seen <= 0):
        cols = np.flatnonzero(seen <= 0).tolist()
        raise DataError(
            f"Column(s) {cols[:10]} of X have no observed value (every cell is NaN, or only "
            "rows of zero weight observe them), so nothing can be learnt about them. Drop "
            "those columns before fitting.")


def _choose(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """Component labels drawn with probabilities ``weights`` (in random order)."""
    c = np.cumsum(weights)
    return np.minimum(np.searchsorted(c, rng.random(n) * c[-1], side="right"), len(weights) - 1)


# --- the fitted state a model file must hold ---------------------------------------------
def _stored_shapes(ctype: str, k: int, d: int) -> tuple[int, ...]:
    """Shape of ``covariances_`` (and of the precisions) for ``ctype``, as scikit-learn's."""
    return {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[ctype]


def check_covariance_state(ctype: str, cov: np.ndarray, pc: np.ndarray,
                           names: tuple[str, str]) -> None:
    """Covariances symmetric positive definite (positive for 'diag', 'spherical') and the
    precision factors ``U`` (``inv(cov) = U U^T``) the ones they give."""
    cname, pname = names
    if ctype in ("diag", "spherical"):
        _state.need_array(None, cname, value=cov, positive=True)
        _state.need_array(None, pname, value=pc, positive=True)
        _state.check_consistent(pname, pc, 1.0 / np.sqrt(cov), cname)
        return
    chol = _state.check_spd(cname, cov)
    _state.check_consistent(pname, pc, inverse_upper_transpose(chol), cname)


def check_mixture_state(est, ctype: str) -> None:
    """The fitted state of a Gaussian mixture (densitykit's or scikit-learn's)."""
    if ctype not in COVARIANCE_TYPES:
        raise _state.StateError("covariance_type", f"should be one of "
                                f"{', '.join(map(repr, COVARIANCE_TYPES))}; got {ctype!r}")
    weights = _state.need_array(est, "weights_", ndim=1)
    k = weights.shape[0]
    if k < 1:
        raise _state.StateError("weights_", "should hold at least one weight; it is empty")
    _state.check_weights("weights_", weights)
    means = _state.need_array(est, "means_", shape=(k, None))
    d = means.shape[1]
    if d < 1:
        raise _state.StateError("means_", f"should have shape ({k}, n_features); it has "
                                f"shape {means.shape}")
    n = _state.need_int(est, "n_features_in_", minimum=1)
    if n != d:
        raise _state.StateError("n_features_in_", f"is {n}, but means_ has {d} features")
    shape = _stored_shapes(ctype, k, d)
    cov = _state.need_array(est, "covariances_", shape=shape)
    pc = _state.need_array(est, "precisions_cholesky_", shape=shape)
    check_covariance_state(ctype, cov, pc, ("covariances_", "precisions_cholesky_"))
    if _state.optional(est, "precisions_"):
        prec = _state.need_array(est, "precisions_", shape=shape)
        if ctype in ("diag", "spherical"):
            expected = pc**2
        else:
            expected = pc @ np.swapaxes(pc, -1, -2)
        _state.check_consistent("precisions_", prec, expected, "precisions_cholesky_")
    if _state.optional(est, "converged_"):
        _state.need_bool(est, "converged_")
    if _state.optional(est, "n_iter_"):
        _state.need_int(est, "n_iter_", minimum=0)
    if _state.optional(est, "lower_bound_"):
        _state.need_float(est, "lower_bound_", allow_neg_inf=True)
