"""What every Gaussian model shares: scoring, sampling and information criteria."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import exceptions
from .._adapters import adapter
from .._estimator import BaseEstimator, DensityMixin
from .._parallel import blas_single_threaded
from .._state import (  # noqa: F401 (the mixtures' checks, used by the estimators)
    check_covariance_state,
    check_mixture_state,
)
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
from ..density import aic as density_aic
from ..density import bic as density_bic
from ..density import draw_categories, total_and_count
from ..exceptions import (
    DataError,
    FitError,
    ParameterError,
    RegularizationWarning,
    UnderdeterminedWarning,
    user_stacklevel,
)
from ._covariance import COVARIANCE_TYPES, CovarianceType
from ._engine import Params, Workspace, block_rows, has_nan, iter_blocks, log_prob_blocks
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
        """Number of free parameters of the fitted model, as :meth:`bic` and :meth:`aic` count.

        Returns
        -------
        n_parameters : int
            The covariance parameters (by ``covariance_type``), ``n_components *
            n_features`` means and ``n_components - 1`` mixing weights (one component for
            :class:`Normal`).

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import GaussianMixture, Normal
        >>> X = np.random.default_rng(0).normal(size=(200, 2))
        >>> Normal().fit(X).n_parameters()  # 3 covariance entries + 2 means
        5
        >>> GaussianMixture(2, covariance_type="diag", random_state=0).fit(X).n_parameters()
        9
        """
        check_is_fitted(self)
        p = self._user_params()
        k, d = p.means.shape
        return self._ctype().n_params(k, d)

    # --- shared checks ---------------------------------------------------------------------
    def _ctype(self) -> CovarianceType:
        check_in(self.covariance_type, "covariance_type", self._covariance_types)
        return COVARIANCE_TYPES[self.covariance_type]

    def _check_fit_input(self, X, sample_weight):
        X, w, _ = self._check_fit_data(X, sample_weight)
        return X, w

    def _check_fit_data(self, X, sample_weight):
        """Checked ``X``, weights (None when all are one) and each column's (weighted)
        variance; warns of constant columns, a large ``reg_covar`` and too few rows."""
        ctype = self._ctype()
        check_reg_covar(self.reg_covar, auto=self._reg_auto)
        X = check_data(self, X, reset=True, allow_nan=True)
        check_n_samples(X, self._min_samples(), f"to fit {type(self).__name__} (provide more "
                        "rows or use fewer components)")
        w = check_sample_weight(sample_weight, X.shape[0])
        _check_observed_columns(X, w)
        rows = int(np.count_nonzero(w > 0))
        if rows < 2:
            raise DataError(f"{type(self).__name__} needs at least 2 rows with a positive "
                            f"weight to estimate a covariance; got {rows}. Provide more rows.")
        if self._maximum_likelihood:
            check_determined(self._describe(), ctype.name, self._n_components(), rows,
                             X.shape[1])
        with np.errstate(invalid="ignore"):
            spread = np.fmax.reduce(X, 0) - np.fmin.reduce(X, 0)
        _check_spread(spread)
        const = np.flatnonzero(spread == 0)
        if const.size and X.shape[0] > 1:
            warnings.warn(
                f"Column(s) {const.tolist()[:10]} of X are constant; their variance comes from "
                f"reg_covar={self.reg_covar!r} alone. Drop them if they carry no information.",
                UserWarning, stacklevel=user_stacklevel())
        weights = None if np.all(w == 1.0) else w
        var = column_variances(X, weights)
        warn_large_reg(self.reg_covar, var, spread > 0, auto=self._reg_auto)
        return X, weights, var

    # subclasses that fit by maximum likelihood (no prior) and take reg_covar='auto'
    _maximum_likelihood = False
    _reg_auto = False

    def _n_components(self) -> int:
        return int(getattr(self, "n_components", 1))

    def _warm(self, n_features: int) -> bool:
        """Whether this fit continues the previous one (``warm_start``); a previous fit of
        another number of features, components or covariance type is refused, with the fix."""
        if not (self.warm_start and hasattr(self, "converged_")):
            return False
        k, d = np.shape(self.means_)
        shapes = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}
        changed = []
        if n_features != d:
            changed.append(f"the data have {n_features} features, the previous fit {d}")
        if self._n_components() != k:
            changed.append(f"n_components is {self._n_components()}, the previous fit has {k}")
        if np.shape(self.covariances_) != shapes[self.covariance_type]:
            changed.append(f"covariance_type is {self.covariance_type!r}, the previous fit's "
                           "covariances are of another type")
        if changed:
            raise ParameterError(f"warm_start=True continues the previous fit, but "
                                 f"{'; '.join(changed)}. Set warm_start=False to start afresh.")
        return True

    def _min_samples(self) -> int:
        """The fewest rows a fit takes: one per component, and 2 for a covariance (read
        after the options are checked)."""
        return max(2, self._n_components())

    def _describe(self) -> str:
        k = self._n_components()
        head = f"n_components={k}, " if hasattr(self, "n_components") else ""
        return f"{type(self).__name__}({head}covariance_type={self.covariance_type!r})"

    def _work_reg(self, ws: Workspace, col_var: np.ndarray | None):
        """``reg_covar`` in the work space's units (per column for ``'auto'``)."""
        return work_regulariser(self.reg_covar, ws, col_var, self.covariance_type)

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

    def impute(self, X: ArrayLike, method: str = "mean",
               random_state: Any = None) -> np.ndarray:
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
            :class:`BayesianGaussianMixture` fills from the mixture of its point estimates
            (``weights_``, ``means_``, ``covariances_``), though its :meth:`score_samples`
            refuses empty cells.
        random_state : int, Generator, RandomState or None, default=None
            Seed for ``method='sample'``.

        Returns
        -------
        X_filled : ndarray of shape (n_samples, n_features)
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
    def score_samples(self, X: ArrayLike) -> np.ndarray:
        """Log-density of each row of ``X`` under the model, in nats.

        An empty cell (NaN) is integrated out: a row's value is the log-density of its
        observed cells under the model's marginal for those columns, and a row with no
        observed cell gets 0 (the log of the total probability, 1).
        :class:`BayesianGaussianMixture` refuses empty cells with a
        :class:`~densitykit.exceptions.DataError`, and gives scikit-learn's variational
        expected log-probabilities (see its Notes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score; NaN marks an empty cell. A Dask array or data frame gives a lazy
            Dask array, computed chunk by chunk.

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
            ``log p(x)`` of each row, in nats; higher means more likely.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import Normal
        >>> X = np.random.default_rng(0).normal(size=(500, 2))
        >>> nd = Normal().fit(X)
        >>> nd.score_samples(X[:3]).shape
        (3,)
        >>> one = Normal().fit(X[:, :1])  # the marginal of the first column
        >>> bool(np.isclose(nd.score_samples([[0.5, np.nan]])[0],
        ...                 one.score_samples([[0.5]])[0]))
        True
        >>> nd.score_samples([[np.nan, np.nan]])
        array([0.])
        """
        dask = adapter(X)
        if dask is not None:
            return dask.score_samples_dask(self, X)
        return self._log_prob(X)[0]

    def score(self, X: ArrayLike, y: Any = None,
              sample_weight: ArrayLike | None = None) -> float:
        """Mean (weighted) log-likelihood per row of ``X``, in nats.

        The (weighted) mean of :meth:`score_samples`, as scikit-learn's
        ``GaussianMixture.score``: a row with empty cells (NaN) counts with the log-density
        of its observed cells.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score; NaN marks an empty cell.
        y : None
            Ignored; there for scikit-learn's pipelines.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows (equal by default).

        Returns
        -------
        score : float
            ``sum_n w_n log p(x_n) / sum_n w_n``, in nats per row; higher is better.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import Normal
        >>> X = np.random.default_rng(0).normal(size=(500, 1))
        >>> nd = Normal().fit(X)
        >>> bool(np.isclose(nd.score(X), nd.score_samples(X).mean()))
        True
        >>> round(nd.score(X), 1)  # -log(2 pi e) / 2 = -1.42 for a standard normal
        -1.4
        """
        ll = self.score_samples(X)
        if adapter(ll) is not None:  # lazy Dask scores, perhaps of unknown length
            if sample_weight is None:
                total, n = total_and_count(ll)
                return total / n
            ll = np.asarray(ll)
        w = check_sample_weight(sample_weight, ll.shape[0])
        return float(ll @ w / w.sum())

    def bic(self, X: ArrayLike) -> float:
        """Bayesian information criterion on ``X``: ``-2 log L + p log n`` (lower is better).

        ``log L`` is the total log-likelihood of the ``n`` rows of ``X`` (the sum of
        :meth:`score_samples`, in nats; a row with empty cells counts with its observed
        cells) and ``p`` is :meth:`n_parameters`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to evaluate, usually the rows the model was fitted to.

        Returns
        -------
        bic : float
            The criterion; among models fitted to the same rows, the lowest is preferred.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import GaussianMixture
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(-3, 1, (200, 1)), rng.normal(3, 1, (200, 1))])
        >>> bics = [GaussianMixture(k, random_state=0).fit(X).bic(X) for k in (1, 2, 3)]
        >>> int(np.argmin(bics)) + 1  # the number of components BIC prefers
        2
        """
        return density_bic(self, X)

    def aic(self, X: ArrayLike) -> float:
        """Akaike information criterion on ``X``: ``-2 log L + 2 p`` (lower is better).

        ``log L`` is the total log-likelihood of the rows of ``X`` (the sum of
        :meth:`score_samples`, in nats; a row with empty cells counts with its observed
        cells) and ``p`` is :meth:`n_parameters`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to evaluate, usually the rows the model was fitted to.

        Returns
        -------
        aic : float
            The criterion; among models fitted to the same rows, the lowest is preferred.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import Normal
        >>> X = np.random.default_rng(0).normal(size=(300, 2))
        >>> nd = Normal().fit(X)
        >>> bool(np.isclose(nd.aic(X), -2 * nd.score_samples(X).sum() + 2 * nd.n_parameters()))
        True
        """
        return density_aic(self, X)

    def _draw(self, n_samples, random_state):
        check_is_fitted(self)
        n = check_int(n_samples, "n_samples", 1)
        rng = check_random_state(random_state)
        p = self._user_params()
        k, d = p.means.shape
        labels = draw_categories(rng, p.weights, n)
        z = rng.standard_normal((n, d))
        factor = self._ctype().sample_factor(p.covariances, k, d)
        X = np.empty((n, d))
        for j in range(k):
            idx = np.flatnonzero(labels == j)
            if idx.size:
                X[idx] = p.means[j] + z[idx] @ factor[j].T
        return X, labels


# --- regularisation -----------------------------------------------------------------------
#: reg_covar='auto' adds this share of each column's (weighted) variance to its diagonal
AUTO_REG = 1e-6
#: a fixed reg_covar above this share of a column's variance warns (it distorts the column)
REG_WARN_SHARE = 0.01
# columns that vary by less than this have squared deviations below double precision's range
_MIN_SPREAD = 1e-140


def check_reg_covar(value, *, auto: bool = True) -> None:
    """``reg_covar``: a finite number >= 0, or ``'auto'`` where the estimator takes it."""
    if isinstance(value, str):
        if value == "auto" and auto:
            return
        also = " or 'auto'" if auto else ""
        raise ParameterError(f"reg_covar must be a finite number >= 0{also}; got {value!r}.")
    check_nonneg_float(value, "reg_covar")


def column_variances(X: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """Each column's weighted variance over its observed cells, block by block (no
    temporary the size of ``X``)."""
    n, d = X.shape
    nan = has_nan(X)
    rows = block_rows(d)
    count, total = np.zeros(d), np.zeros(d)
    for sl in iter_blocks(n, rows):
        B, wb = X[sl], (np.ones(sl.stop - sl.start) if w is None else w[sl])
        if nan:
            obs = ~np.isnan(B)
            B = np.where(obs, B, 0.0)
            count += wb @ obs
        else:
            count += wb.sum()
        total += wb @ B
    mean = total / count
    m2 = np.zeros(d)
    for sl in iter_blocks(n, rows):
        dev = np.subtract(X[sl], mean, dtype=np.float64)
        if nan:
            dev = np.where(np.isnan(dev), 0.0, dev)
        m2 += (dev**2).sum(0) if w is None else w[sl] @ dev**2
    return m2 / count


def auto_variances(col_var: np.ndarray) -> np.ndarray:
    """The variances ``'auto'`` scales: a constant column takes the mean variance of the
    others (1 when every column is constant), so it still gets a regulariser in the units
    of the data."""
    v = np.asarray(col_var, dtype=np.float64).copy()
    live = v > 0
    v[~live] = v[live].mean() if live.any() else 1.0
    return v


def work_regulariser(reg_covar, ws: Workspace, col_var: np.ndarray | None,
                     covariance_type: str):
    """``reg_covar`` divided by the work space's scale squared: a number, or for ``'auto'``
    :data:`AUTO_REG` times each column's variance (their mean for 'spherical', which has one
    variance per component)."""
    if isinstance(reg_covar, str):
        if col_var is None:
            raise ValueError("reg_covar='auto' needs the columns' variances")
        reg = AUTO_REG * auto_variances(col_var) / ws.scale / ws.scale
        return float(reg.mean()) if covariance_type == "spherical" else reg
    return float(reg_covar) / ws.scale / ws.scale


def warn_large_reg(reg_covar, col_var: np.ndarray, varying: np.ndarray, *,
                   auto: bool) -> None:
    """A fixed ``reg_covar`` above :data:`REG_WARN_SHARE` of a (non-constant) column's
    variance dominates that column's fitted variance: say so, and how to fix it."""
    if isinstance(reg_covar, str) or reg_covar == 0:
        return
    bad = np.flatnonzero(varying & (reg_covar > REG_WARN_SHARE * col_var))
    if not bad.size:
        return
    fix = ("pass reg_covar='auto' (a regulariser relative to each column's variance; "
           "--reg-covar auto on the command line) or " if auto else
           "pass a smaller reg_covar or ")
    warnings.warn(
        f"reg_covar={reg_covar:g} is more than {REG_WARN_SHARE:.0%} of the variance of "
        f"column(s) {bad.tolist()[:10]} of X (the smallest is {col_var[bad].min():.3g}), so "
        f"it inflates their fitted variance and the density depends on their units. To fix "
        f"it, {fix}standardise the columns first (TableModel does).",
        RegularizationWarning, stacklevel=user_stacklevel())


def _check_spread(spread: np.ndarray) -> None:
    tiny = np.flatnonzero((spread > 0) & (spread < _MIN_SPREAD))
    if tiny.size:
        raise DataError(
            f"Column(s) {tiny.tolist()[:10]} of X vary by only {spread[tiny].min():.3g}; the "
            "squares of such deviations underflow double precision. Rescale the data (for "
            "example multiply by a power of ten).")


# --- too few rows for the covariance ---------------------------------------------------------
#: a full or tied covariance with more than this many parameters per value of X is refused
MAX_PARAMS_PER_VALUE = 10
#: a fit whose per-block temporaries would exceed this is refused before it starts
MAX_WORK_BYTES = 2 * 2**30


def rows_needed(covariance_type: str, k: int, d: int) -> int:
    """Rows (with positive weight) for ``k`` components of ``covariance_type`` in ``d``
    dimensions to have non-singular covariances from the data alone."""
    return {"full": k * (d + 1), "tied": d + k, "diag": 2 * k, "spherical": 2 * k}[
        covariance_type]


_NEED = {
    "full": "a full covariance needs more rows than columns ({d}) for each component",
    "tied": "a tied covariance needs more rows than columns ({d}) plus components ({k})",
    "diag": "a diagonal covariance needs at least 2 rows per component",
    "spherical": "a spherical covariance needs at least 2 rows per component",
}


def _fixes(covariance_type: str, k: int, n: int, d: int) -> str:
    most = max(1, _most_k(covariance_type, n, d))
    fewer = "" if k == 1 else f", fewer components (at most {most})"
    return (f"Use covariance_type='diag' or 'spherical'{fewer}, or fewer dimensions "
            "(LatentDensity fits on principal components; the command line's --model latent)")


def hopeless(covariance_type: str, k: int, n: int, d: int) -> str | None:
    """Why a fit of ``k`` components of ``covariance_type`` to ``n`` rows x ``d`` columns is
    refused (None when it is not): a full or tied covariance with more than
    :data:`MAX_PARAMS_PER_VALUE` parameters per value of ``X`` and too few rows, or whose
    per-block temporaries would pass :data:`MAX_WORK_BYTES`."""
    if covariance_type not in ("full", "tied"):
        return None
    ctype = COVARIANCE_TYPES[covariance_type]
    width = ctype.width(d, k)
    work = 8 * width * min(n, block_rows(width))
    n_params = ctype.n_cov_params(k, d)
    wide = n < rows_needed(covariance_type, k, d) and n_params > MAX_PARAMS_PER_VALUE * n * d
    if not (wide or work > MAX_WORK_BYTES):
        return None
    return (f"its covariance has {n_params:,} parameters, {n_params / (n * d):.3g} times the "
            f"{n * d:,} values in X, and needs about {work / 2**30:.2g} GiB of working memory")


def refuse_hopeless(what: str, covariance_type: str, k: int, n: int, d: int) -> None:
    """Raise a FitError naming the problem and the fixes when :func:`hopeless` says so."""
    why = hopeless(covariance_type, k, n, d)
    if why is not None:
        raise FitError(f"{what} cannot be fitted to {n:,} rows x {d:,} columns: {why}. "
                       f"{_fixes(covariance_type, k, n, d)}, or select fewer columns.")


def check_determined(what: str, covariance_type: str, k: int, n: int, d: int) -> None:
    """Warn when ``n`` rows are too few for ``k`` components of ``covariance_type`` in ``d``
    dimensions, and refuse the fits :func:`hopeless` names."""
    refuse_hopeless(what, covariance_type, k, n, d)
    need = rows_needed(covariance_type, k, d)
    fixes = _fixes(covariance_type, k, n, d)
    if n < need:
        if covariance_type in ("diag", "spherical"):
            fixes = f"Use fewer components (at most {max(1, n // 2)})"
        warnings.warn(
            f"{what} is under-determined: {_NEED[covariance_type].format(d=d, k=k)}, at "
            f"least {need:,} rows here, and X has {n:,} rows x {d:,} columns. The fitted "
            "covariances are singular but for reg_covar, so the density is sharp along the "
            f"rows and says little elsewhere. {fixes}.",
            UnderdeterminedWarning, stacklevel=user_stacklevel())


def _most_k(covariance_type: str, n: int, d: int) -> int:
    if covariance_type == "full":
        return n // (d + 1)
    if covariance_type == "tied":
        return n - d
    return n // 2


def _check_observed_columns(X: np.ndarray, w: np.ndarray) -> None:
    """Every column needs an observed cell (with positive weight) to be estimated."""
    seen = w @ ~np.isnan(X) if has_nan(X) else None
    if seen is not None and np.any(seen <= 0):
        cols = np.flatnonzero(seen <= 0).tolist()
        raise DataError(
            f"Column(s) {cols[:10]} of X have no observed value (every cell is NaN, or only "
            "rows of zero weight observe them), so nothing can be learnt about them. Drop "
            "those columns before fitting.")


def check_given_array(value, shape: tuple, name: str, what: str) -> np.ndarray:
    """A user-given array (initial or prior parameters): finite numbers of ``shape``."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be numbers of shape {shape} ({what}).") from None
    if arr.shape != shape:
        raise ParameterError(f"{name} must have shape {shape} ({what}); got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ParameterError(f"{name} contains NaN or inf; give finite numbers ({what}).")
    return arr


def warn_not_converged(est, converged: bool) -> None:
    """scikit-learn's ConvergenceWarning when the kept start did not converge (never with
    ``max_iter=0``), at the user's line."""
    if not converged and est.max_iter > 0:
        warnings.warn(
            f"Best performing initialization did not converge within max_iter={est.max_iter} "
            f"iterations (tol={est.tol:g}). Try different init parameters, or increase "
            "max_iter, tol, or check for degenerate data.",
            exceptions.ConvergenceWarning, stacklevel=user_stacklevel())
