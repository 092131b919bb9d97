"""Preprocessing inside the model: per-column transforms around any densitykit density.

:class:`TableModel` standardises (or maps each column to a normal shape) before fitting a
density, and maps back on the way out: samples come in the table's own units and column
names, integer-valued columns are rounded, the others come back with the decimals the table
gave them, and values can be clipped to the observed range.
``score_samples`` adds the log-Jacobian of the transform, so it is a true log-density in the
original units and compares honestly with a density fitted on raw data.

Every transform acts on each column alone (a diagonal Jacobian), which keeps the Jacobian
cheap and lets a mixture be conditioned on given columns after transforming their values.

Each transform is a small set of pure functions in :data:`TRANSFORMS`: ``fit(x) -> params``,
``forward(x, params) -> (z, log|dz/dx|)`` and ``inverse(z, params) -> x``, all per column.

Examples
--------
>>> import numpy as np
>>> import pandas as pd
>>> from sklearn.mixture import GaussianMixture
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"flow": rng.normal(2000, 50, 300), "dp": rng.normal(10, 0.5, 300)})
>>> model = TableModel(GaussianMixture(2, random_state=0)).fit(df)
>>> model.sample(3, random_state=1).columns.tolist()
['flow', 'dp']
>>> bool(np.isfinite(model.score_samples(df)).all())
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike
from scipy import special, stats

from . import _state
from ._columns import check_labels, decimals_of, label_index, own_labels
from ._estimator import BaseEstimator, DensityMixin, clone
from ._validation import (
    check_data,
    check_int,
    check_is_fitted,
    check_n_samples,
)
from .density import aic as density_aic
from .density import allows_nan, draw_rows
from .density import bic as density_bic
from .density import n_parameters as count_parameters
from .exceptions import DataError, ParameterError, user_stacklevel

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TRANSFORMS", "TableModel", "Transform"]



@dataclass(frozen=True)
class Transform:
    """A per-column transform: three pure functions over one column and its parameters."""

    fit: Callable[[np.ndarray], dict[str, float | np.ndarray]]
    forward: Callable[[np.ndarray, dict], tuple[np.ndarray, np.ndarray]]
    inverse: Callable[[np.ndarray, dict], np.ndarray]
    n_parameters: Callable[[dict], int]


# --- standardise ---------------------------------------------------------------------


def _std_fit(x: np.ndarray) -> dict:
    scale = float(np.std(x))
    return {"loc": float(np.mean(x)), "scale": scale if scale > 0 else 1.0}


def _std_forward(x: np.ndarray, p: dict) -> tuple[np.ndarray, np.ndarray]:
    return (x - p["loc"]) / p["scale"], np.full(x.shape, -np.log(p["scale"]))


def _std_inverse(z: np.ndarray, p: dict) -> np.ndarray:
    return z * p["scale"] + p["loc"]


# --- Yeo-Johnson, between two standardisations ----------------------------------------


def yeo_johnson(u: np.ndarray, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the Yeo-Johnson transform of ``u`` and ``log dpsi/du``.

    Examples
    --------
    >>> psi, logd = yeo_johnson(np.array([-1.0, 0.0, 3.0]), 1.0)
    >>> psi.tolist(), logd.tolist()
    ([-1.0, 0.0, 3.0], [0.0, 0.0, 0.0])
    """
    out, logd = np.empty_like(u), np.empty_like(u)
    pos = u >= 0
    up, un = u[pos], u[~pos]
    l1p, l1n = np.log1p(up), np.log1p(-un)
    out[pos] = l1p if abs(lam) < 1e-12 else np.expm1(lam * l1p) / lam
    out[~pos] = -l1n if abs(lam - 2) < 1e-12 else -np.expm1((2 - lam) * l1n) / (2 - lam)
    logd[pos] = (lam - 1) * l1p
    logd[~pos] = (1 - lam) * l1n
    return out, logd


def yeo_johnson_inverse(psi: np.ndarray, lam: float) -> np.ndarray:
    """Inverse of :func:`yeo_johnson`; values beyond the transform's range are clipped.

    Examples
    --------
    >>> u = np.array([-2.5, -0.1, 0.0, 4.0])
    >>> bool(np.allclose(yeo_johnson_inverse(yeo_johnson(u, 0.3)[0], 0.3), u))
    True
    """
    u = np.empty_like(psi)
    pos = psi >= 0
    pp, pn = psi[pos], psi[~pos]
    if abs(lam) < 1e-12:
        u[pos] = np.expm1(pp)
    else:
        arg = np.maximum(lam * pp, -1 + 1e-12)  # for lam < 0 the range ends at -1/lam
        u[pos] = np.expm1(np.log1p(arg) / lam)
    if abs(lam - 2) < 1e-12:
        u[~pos] = -np.expm1(-pn)
    else:
        arg = np.maximum(-(2 - lam) * pn, -1 + 1e-12)
        u[~pos] = -np.expm1(np.log1p(arg) / (2 - lam))
    return u


def _yj_fit(x: np.ndarray) -> dict:
    first = _std_fit(x)
    u = (x - first["loc"]) / first["scale"]
    lam = float(stats.yeojohnson_normmax(u))
    psi = yeo_johnson(u, lam)[0]
    second = _std_fit(psi)
    return {"loc0": first["loc"], "scale0": first["scale"], "lambda": lam,
            "loc1": second["loc"], "scale1": second["scale"]}


def _yj_forward(x: np.ndarray, p: dict) -> tuple[np.ndarray, np.ndarray]:
    u = (x - p["loc0"]) / p["scale0"]
    psi, logd = yeo_johnson(u, p["lambda"])
    z = (psi - p["loc1"]) / p["scale1"]
    return z, logd - np.log(p["scale0"]) - np.log(p["scale1"])


def _yj_inverse(z: np.ndarray, p: dict) -> np.ndarray:
    u = yeo_johnson_inverse(z * p["scale1"] + p["loc1"], p["lambda"])
    return u * p["scale0"] + p["loc0"]


# --- quantile map to a standard normal, with linear tails -------------------------------


def _q_fit(x: np.ndarray, n_quantiles: int = 1000) -> dict:
    levels = np.linspace(0.0, 1.0, min(n_quantiles, x.size))
    q = np.quantile(x, levels)
    knots, inv = np.unique(q, return_inverse=True)
    cdf = np.bincount(inv, weights=levels) / np.bincount(inv)  # ties share their mean level
    m = levels.size  # plotting positions (i + 1/2) / m keep the end knots off +-infinity
    return {"knots": knots, "cdf": (cdf * (m - 1) + 0.5) / m}


def _q_edges(p: dict) -> tuple[np.ndarray, np.ndarray]:
    """z at the two end knots and dz/dx just inside them (the slopes of the linear tails)."""
    k, c = p["knots"], p["cdf"]
    z_end = special.ndtri(c[[0, -1]])
    dens = (np.diff(c) / np.diff(k))[[0, -1]]
    return z_end, dens / stats.norm.pdf(z_end)


def _q_forward(x: np.ndarray, p: dict) -> tuple[np.ndarray, np.ndarray]:
    k, c = p["knots"], p["cdf"]
    if k.size < 2:  # a constant column: a plain shift
        return x - k[0], np.zeros_like(x)
    z_end, slope = _q_edges(p)
    z = np.empty_like(x)
    logd = np.empty_like(x)
    lo, hi = x < k[0], x > k[-1]
    mid = ~(lo | hi)
    z[mid] = special.ndtri(np.interp(x[mid], k, c))
    b = np.clip(np.searchsorted(k, x[mid], side="right") - 1, 0, k.size - 2)
    dens = (c[b + 1] - c[b]) / (k[b + 1] - k[b])
    logd[mid] = np.log(dens) - stats.norm.logpdf(z[mid])
    z[lo] = z_end[0] + slope[0] * (x[lo] - k[0])
    z[hi] = z_end[1] + slope[1] * (x[hi] - k[-1])
    logd[lo], logd[hi] = np.log(slope[0]), np.log(slope[1])
    return z, logd


def _q_inverse(z: np.ndarray, p: dict) -> np.ndarray:
    k, c = p["knots"], p["cdf"]
    if k.size < 2:
        return z + k[0]
    z_end, slope = _q_edges(p)
    x = np.interp(special.ndtr(z), c, k)
    lo, hi = z < z_end[0], z > z_end[1]
    x[lo] = k[0] + (z[lo] - z_end[0]) / slope[0]
    x[hi] = k[-1] + (z[hi] - z_end[1]) / slope[1]
    return x


def _identity_forward(x: np.ndarray, p: dict) -> tuple[np.ndarray, np.ndarray]:
    return x.copy(), np.zeros_like(x)


#: transform name -> per-column functions
TRANSFORMS: dict[str | None, Transform] = {
    "standardize": Transform(_std_fit, _std_forward, _std_inverse, lambda p: 2),
    "yeo-johnson": Transform(_yj_fit, _yj_forward, _yj_inverse, lambda p: 5),
    "quantile": Transform(_q_fit, _q_forward, _q_inverse, lambda p: int(p["knots"].size) * 2),
    None: Transform(lambda x: {}, _identity_forward, lambda z, p: z.copy(), lambda p: 0),
}


def _is_integer_column(x: np.ndarray) -> bool:
    return bool(np.all(np.isfinite(x)) and np.all(x == np.round(x)))


def _former_names(init: Callable[..., None]) -> Callable[..., None]:
    """Let ``__init__`` take the former names of its parameters (``cls._renamed_params``),
    with a ``FutureWarning``; its signature, which scikit-learn reads, shows only the current
    names."""
    import functools
    import warnings

    @functools.wraps(init)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
        for old, new in type(self)._renamed_params.items():
            if old in kwargs:
                if new in kwargs:
                    raise TypeError(f"{type(self).__name__} got both {old!r} and its new name "
                                    f"{new!r}; give only {new!r}.")
                warnings.warn(f"{type(self).__name__}({old}=...) is now "
                              f"{type(self).__name__}({new}=...); the old name will be removed "
                              "in a future version.", FutureWarning,
                              stacklevel=user_stacklevel())
                kwargs[new] = kwargs.pop(old)
        init(self, *args, **kwargs)

    return wrapper


class TableModel(DensityMixin, BaseEstimator):
    """A density for a table, fitted in a transformed space and used in the table's units.

    Parameters
    ----------
    density : estimator, optional
        Any densitykit (or scikit-learn) density with ``fit``, ``score_samples`` and
        ``sample``; it is cloned. Default: a one-component densitykit ``GaussianMixture``
        (with ``reg_covar='auto'`` when ``column_transform`` is None: the columns are then
        in their own units).
    column_transform : {'standardize', 'quantile', 'yeo-johnson', None}, \
default='standardize'
        Per-column map applied before the density: ``'standardize'`` (zero mean, unit
        variance), ``'quantile'`` (each column's empirical CDF, at plotting positions
        ``(i + 1/2) / m``, pushed to a standard normal, with linear tails beyond the observed
        range so the map is a bijection of the real line), ``'yeo-johnson'`` (power transform to
        normality, scale-invariant) or ``None``. Its former name ``transform=`` still works,
        with a ``FutureWarning`` (a parameter called ``transform`` made scikit-learn take the
        model for a transformer); model files that store the old name load as before.
    clip : bool, default=False
        Clip sampled values to each column's observed ``[min, max]``.
    round_integers : bool, default=True
        Round sampled values of columns that held only integers (a rounded zero is ``0.0``,
        never ``-0.0``).
    round_decimals : bool, default=True
        Round sampled values of the other columns to the decimals the table gave them
        (``decimals_``): a column written with two decimals is drawn with two. ``False``
        keeps every digit of the draws. Models fitted before ``decimals_`` was recorded
        keep every digit either way.

    Attributes
    ----------
    density_ : estimator
        The fitted density, in the transformed space.
    columns_ : list of str
        Column names (``x0``, ``x1``, ... for arrays).
    transform_params_ : list of dict
        One dict of fitted parameters per column.
    column_labels_ : list or None
        A frame's own column labels where some are numbers (``0``, ``1``), which drawn rows
        carry; None when they are all text (``columns_``) or for an array.
    integer_columns_ : ndarray of bool
    decimals_ : ndarray of int
        The fewest decimals that write each column's observed values exactly, as the
        :class:`~densitykit.Synthesizer` records them (-1: more than 10, every digit kept).
    data_min_, data_max_ : ndarray
    n_features_in_ : int
    """

    #: former parameter names -> current ones (the constructor and model files accept them)
    _renamed_params: ClassVar[dict[str, str]] = {"transform": "column_transform"}

    @_former_names
    def __init__(self, density: Any = None, *, column_transform: str | None = "standardize",
                 clip: bool = False, round_integers: bool = True,
                 round_decimals: bool = True) -> None:
        self.density = density
        self.column_transform = column_transform
        self.clip = clip
        self.round_integers = round_integers
        self.round_decimals = round_decimals

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # empty cells pass through the per-column maps; fit accepts them when the density does
        tags.input_tags.allow_nan = allows_nan(self.density)
        return tags

    # -- fitting ----------------------------------------------------------------------

    def _transform_spec(self) -> Transform:
        if self.column_transform not in TRANSFORMS:  # None is one of them: no check_in
            choices = ", ".join(repr(k) for k in TRANSFORMS)
            raise ParameterError(f"Unknown column_transform {self.column_transform!r}; valid "
                                 f"options are {choices}.")
        return TRANSFORMS[self.column_transform]

    def fit(self, X: ArrayLike | pd.DataFrame, y: Any = None, **fit_params: Any) -> TableModel:
        """Fit the per-column transform, then the density on the transformed rows.

        Each column's transform is fitted to its observed values, then a clone of
        ``density`` to the transformed rows. ``columns_`` keeps a frame's column names (an
        array's columns are ``x0``, ``x1``, ...).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            The table, at least 2 rows, in its own units. NaN marks an empty cell; it stays
            empty through the transform, so it is accepted when the density fits rows with
            empty cells (the default ``GaussianMixture`` does, ``KernelDensity`` does not).
            A column with no observed value raises a :class:`~densitykit.exceptions.DataError`.
        y : None
            Ignored; there for scikit-learn's pipelines.
        **fit_params : dict
            Passed on to the density's ``fit`` (for example ``sample_weight``).

        Returns
        -------
        self : TableModel
            The model itself, fitted.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from densitykit import TableModel
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"temp": rng.normal(20, 2, 300), "count": rng.poisson(5, 300)})
        >>> model = TableModel().fit(df)
        >>> model.columns_, model.integer_columns_.tolist(), model.decimals_.tolist()
        (['temp', 'count'], [False, True], [-1, 0])
        >>> type(model.density_).__name__
        'GaussianMixture'
        """
        spec = self._transform_spec()
        names = list(getattr(X, "columns", []))
        Xa = check_data(self, X, reset=True, allow_nan=True, dtype=np.float64)
        check_n_samples(Xa, 2, "to fit a density to a table")
        self.columns_ = [str(c) for c in names] or [f"x{j}" for j in range(Xa.shape[1])]
        self.column_labels_ = own_labels(X, self.columns_)  # a frame's 0, 1: drawn as such
        seen = [col[~np.isnan(col)] for col in Xa.T]
        bare = [c for c, v in zip(self.columns_, seen) if v.size == 0]
        if bare:
            raise DataError(f"column(s) {bare[:5]} have no observed value; leave them out.")
        self.integer_columns_ = np.array([_is_integer_column(v) for v in seen], dtype=bool)
        self.decimals_ = np.array([decimals_of(v) for v in seen], dtype=np.int64)
        self.data_min_, self.data_max_ = np.array([[v.min(), v.max()] for v in seen]).T
        self.transform_params_ = [spec.fit(v) for v in seen]
        Z, _ = self._forward(Xa)
        if (density := self.density) is None:
            from .gaussian import GaussianMixture

            # without a transform the columns keep their units: a regulariser relative to
            # each column's variance keeps the fit independent of them
            reg = "auto" if self.column_transform is None else 1e-6
            density = GaussianMixture(n_components=1, reg_covar=reg)
        self.density_ = clone(density).fit(Z, **fit_params)
        return self

    @classmethod
    def from_parts(cls, density: Any, density_: Any, columns: Sequence[str], *,
                   transform_params: list[dict], integer_columns: Any, data_min: Any,
                   data_max: Any, decimals: Any = None, **params: Any) -> TableModel:
        """A fitted model from its parts, for a table that is not seen whole.

        The model is ``TableModel(density, **params)`` with the attributes ``fit`` sets:
        ``density_`` (fitted on the transformed rows), the names of the ``columns``, each
        column's ``transform_params`` (as ``column_transform`` would fit them), whether the
        column holds only integers, its range and its decimals. The streamed fit
        (:func:`densitykit.scale.stream.fit_table_stream`) builds its model this way from one
        pass of moments over a file.

        Parameters
        ----------
        density : estimator
            The unfitted density, the model's ``density`` parameter.
        density_ : estimator
            The same density fitted on the transformed rows.
        columns : sequence of str
            The table's column names, in order.
        transform_params : list of dict
            Each column's fitted map parameters.
        integer_columns : array-like of bool
            Whether each column holds whole numbers only (drawn rows are rounded there).
        data_min, data_max : array-like of float
            Each column's observed range (drawn rows are clipped to it with ``clip=True``).
        decimals : array-like of int, optional
            Each column's decimals, as ``fit`` records them in ``decimals_`` (drawn rows are
            rounded to them with ``round_decimals=True``); without them, every digit is kept.
        **params : dict
            The model's other parameters (``column_transform``, ``clip``, ...).

        Returns
        -------
        model : TableModel
            A fitted model, as ``fit`` would leave it.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import Normal, TableModel
        >>> z = Normal().fit(np.random.default_rng(0).normal(size=(500, 1)))
        >>> tm = TableModel.from_parts(Normal(), z, ["t"], transform_params=[
        ...     {"loc": 20.0, "scale": 2.0}], integer_columns=[False], data_min=[14.0],
        ...     data_max=[26.0])
        >>> round(float(tm.sample(2000, random_state=0)["t"].std()), 1)
        2.0
        """
        model = cls(density, **params)
        model.columns_ = [str(c) for c in columns]
        model.integer_columns_ = np.asarray(integer_columns, dtype=bool)
        model.data_min_ = np.asarray(data_min, dtype=np.float64)
        model.data_max_ = np.asarray(data_max, dtype=np.float64)
        if decimals is not None:
            model.decimals_ = np.asarray(decimals, dtype=np.int64)
        model.n_features_in_ = len(model.columns_)
        model.feature_names_in_ = np.asarray(model.columns_, dtype=object)
        model.transform_params_ = list(transform_params)
        model.density_ = density_
        return model

    # -- maps -------------------------------------------------------------------------

    def _forward(self, X: np.ndarray, columns: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Transform columns of ``X``; return ``z`` and the summed log-Jacobian per row."""
        spec = TRANSFORMS[self.column_transform]
        idx = range(X.shape[1]) if columns is None else columns
        Z = np.empty_like(X, dtype=np.float64)
        logdet = np.zeros(X.shape[0])
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            for out_j, j in enumerate(idx):
                x = X[:, out_j]
                z, ld = spec.forward(np.nan_to_num(x), self.transform_params_[j])
                empty = np.isnan(x)  # an empty cell stays empty and adds no Jacobian
                Z[:, out_j] = np.where(empty, np.nan, z)
                logdet += np.where(empty, 0.0, ld)
        return Z, logdet

    def _inverse(self, Z: np.ndarray, columns: Any = None) -> np.ndarray:
        spec = TRANSFORMS[self.column_transform]
        idx = list(range(Z.shape[1])) if columns is None else list(columns)
        X = np.empty_like(Z, dtype=np.float64)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            for out_j, j in enumerate(idx):
                X[:, out_j] = spec.inverse(Z[:, out_j], self.transform_params_[j])
        if self.clip:
            X = np.clip(X, self.data_min_[idx], self.data_max_[idx])
        return self._round(X, idx)

    def _round(self, X: np.ndarray, idx: list[int]) -> np.ndarray:
        """Columns ``idx`` of the table, in ``X``, rounded: integer columns to whole numbers
        (``round_integers``), the others to their ``decimals_`` (``round_decimals``; a model
        without them keeps every digit). A value rounded to zero is ``0.0``, never ``-0.0``."""
        ints = self.integer_columns_[idx]
        if self.round_integers:
            X[:, ints] = np.round(X[:, ints]) + 0.0
        decimals = getattr(self, "decimals_", None)
        if self.round_decimals and decimals is not None:
            for out_j, j in enumerate(idx):
                if decimals[j] >= 0 and not ints[out_j]:
                    X[:, out_j] = np.round(X[:, out_j], int(decimals[j])) + 0.0
        return X

    def transform_rows(self, X: ArrayLike | pd.DataFrame) -> np.ndarray:
        """Map rows of the table into the space where the density lives (NaN stays NaN).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows with the table's columns, in its units. An empty (NaN) cell stays empty.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_features)
            The rows after each column's ``column_transform`` (for ``'standardize'``: zero
            mean and unit variance on the training rows).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from densitykit import TableModel
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"temp": rng.normal(20, 2, 300), "count": rng.poisson(5, 300)})
        >>> model = TableModel().fit(df)
        >>> z = model.transform_rows(pd.DataFrame({"temp": [20.0], "count": [np.nan]}))
        >>> z.shape, bool(np.isclose(z[0, 0], (20 - df["temp"].mean()) / df["temp"].std(ddof=0)))
        ((1, 2), True)
        >>> bool(np.isnan(z[0, 1]))  # the empty cell stays empty
        True
        """
        check_is_fitted(self)
        return self._forward(check_data(self, X, reset=False, allow_nan=True))[0]

    def inverse_transform_rows(self, Z: ArrayLike) -> np.ndarray:
        """Map rows from the density's space back to the table's units (with clip/round).

        The inverse of :meth:`transform_rows`, then, as for :meth:`sample`, values are
        clipped to each column's observed range when ``clip`` is set, the columns that
        held only integers are rounded when ``round_integers`` is set, and the others to
        their ``decimals_`` when ``round_decimals`` is set.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_features)
            Rows in the density's space.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The rows in the table's units, columns in the order of ``columns_``.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from densitykit import TableModel
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"temp": rng.normal(20, 2, 300), "count": rng.poisson(5, 300)})
        >>> model = TableModel().fit(df)
        >>> Z = model.transform_rows(df.head(3))
        >>> X = model.inverse_transform_rows(Z)
        >>> bool(np.allclose(X, df.head(3)))
        True
        """
        check_is_fitted(self)
        return self._inverse(np.asarray(Z, dtype=np.float64))

    # -- density API ------------------------------------------------------------------

    def score_samples(self, X: ArrayLike | pd.DataFrame) -> np.ndarray:
        """Log-density of each row in the table's own units (log-Jacobian included).

        A row with empty cells (NaN) gets the density of its observed cells, when the inner
        density integrates empty cells out (densitykit's Gaussian models and KDE do).

        The density's log-density of the transformed row plus the log-Jacobian of the
        transform, so the value is a log-density in the table's own units, comparable with
        that of a density fitted to the raw columns.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows with the table's columns, in its units. NaN marks an empty cell (see
            :meth:`score_samples`).

        Returns
        -------
        ndarray of shape (n_samples,)
            Log-density of each row, in nats (per row, in the table's units).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from densitykit import TableModel
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"temp": rng.normal(20, 2, 300), "count": rng.poisson(5, 300)})
        >>> model = TableModel().fit(df)
        >>> s = model.score_samples(pd.DataFrame({"temp": [20.0, 30.0], "count": [5, 5]}))
        >>> s.shape, bool(s[0] > s[1])  # 30 degrees is five standard deviations out
        ((2,), True)
        >>> row = pd.DataFrame({"temp": [20.0], "count": [np.nan]})
        >>> temp_only = TableModel().fit(df[["temp"]])
        >>> bool(np.isclose(model.score_samples(row)[0],
        ...                 temp_only.score_samples(row[["temp"]])[0]))
        True
        """
        check_is_fitted(self)
        Z, logdet = self._forward(check_data(self, X, reset=False, allow_nan=True))
        return self.density_.score_samples(Z) + logdet

    def score(self, X: ArrayLike | pd.DataFrame, y: Any = None) -> float:
        """Mean log-density per row.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows with the table's columns, in its units. NaN marks an empty cell (see
            :meth:`score_samples`).
        y : None
            Ignored; there for scikit-learn's pipelines.

        Returns
        -------
        float
            Mean of :meth:`score_samples`: the log-likelihood per row, in nats, in the
            table's units.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from densitykit import TableModel
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"temp": rng.normal(20, 2, 300), "count": rng.poisson(5, 300)})
        >>> model = TableModel().fit(df)
        >>> bool(model.score(df) > model.score(df.assign(temp=df["temp"] + 6)))
        True
        """
        return float(np.mean(self.score_samples(X)))

    def sample(self, n_samples: int = 1, random_state: Any = None) -> pd.DataFrame:
        """Draw rows in the table's units: a DataFrame with the table's column names.

        Rows drawn from the density are mapped back by :meth:`inverse_transform_rows`:
        clipped to each column's observed range with ``clip`` (so a count, say, never comes
        back below the smallest count seen), rounded to whole numbers in the columns that
        held only integers with ``round_integers``, and to the decimals the table gave each
        other column with ``round_decimals``: the rows come back in the precision of the
        table, as float64.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw.
        random_state : None, int, Generator or RandomState, default=None
            Seed of the draws: the same seed gives the same rows; ``None`` fresh ones.

        Returns
        -------
        DataFrame of shape (n_samples, n_features)
            The drawn rows, with the columns of ``columns_`` (float64, also the rounded
            ones: ``densitykit sample`` writes an integer column without ``.0``).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from densitykit import TableModel
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"temp": rng.normal(20, 2, 300), "count": rng.poisson(5, 300)})
        >>> model = TableModel().fit(df)
        >>> rows = model.sample(5, random_state=0)
        >>> rows.shape, rows.columns.tolist()
        ((5, 2), ['temp', 'count'])
        >>> bool((rows["count"] == rows["count"].round()).all())
        True
        >>> tenths = TableModel().fit(df.round({"temp": 1}))
        >>> tenths.sample(3, random_state=0)["temp"].tolist()  # one decimal, as given
        [20.1, 20.7, 21.9]
        """
        import pandas as pd

        check_is_fitted(self)
        n_samples = check_int(n_samples, "n_samples", minimum=1)
        Z = draw_rows(self.density_, n_samples, random_state)
        labels = getattr(self, "column_labels_", None)  # a frame's 0, 1: drawn as such
        return pd.DataFrame(self._inverse(Z),
                            columns=label_index(labels) if labels else self.columns_)

    def n_parameters(self) -> int:
        """Free parameters: the density's plus the transform's.

        The transform counts 2 per column for ``'standardize'``, 5 for ``'yeo-johnson'``,
        2 per distinct quantile knot for ``'quantile'`` and none for ``None``.

        Returns
        -------
        int
            The number of free parameters, as :meth:`bic` and :meth:`aic` count them.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from densitykit import TableModel
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"temp": rng.normal(20, 2, 300), "count": rng.poisson(5, 300)})
        >>> model = TableModel().fit(df)
        >>> model.n_parameters()  # 5 of the 2-D Gaussian, 2 per column of the transform
        9
        """
        check_is_fitted(self)
        spec = TRANSFORMS[self.column_transform]
        own = sum(spec.n_parameters(p) for p in self.transform_params_)
        return count_parameters(self.density_) + own

    def bic(self, X: ArrayLike | pd.DataFrame) -> float:
        """Bayesian information criterion in the table's units (lower is better).

        ``-2 log L + p log n``, with ``log L`` the total log-likelihood of the ``n`` rows
        (:meth:`score_samples`) and ``p`` :meth:`n_parameters`.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows with the table's columns, in its units. NaN marks an empty cell (see
            :meth:`score_samples`).

        Returns
        -------
        float
            The criterion, in units of ``-2`` nats.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from densitykit import TableModel
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"temp": rng.normal(20, 2, 300), "count": rng.poisson(5, 300)})
        >>> model = TableModel().fit(df)
        >>> bool(np.isclose(model.bic(df), -2 * model.score_samples(df).sum()
        ...                 + model.n_parameters() * np.log(len(df))))
        True
        """
        return density_bic(self, X)

    def aic(self, X: ArrayLike | pd.DataFrame) -> float:
        """Akaike information criterion in the table's units (lower is better).

        ``-2 log L + 2 p``, with ``log L`` the total log-likelihood of the rows
        (:meth:`score_samples`) and ``p`` :meth:`n_parameters`.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows with the table's columns, in its units. NaN marks an empty cell (see
            :meth:`score_samples`).

        Returns
        -------
        float
            The criterion, in units of ``-2`` nats.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from densitykit import TableModel
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"temp": rng.normal(20, 2, 300), "count": rng.poisson(5, 300)})
        >>> model = TableModel().fit(df)
        >>> bool(np.isclose(model.aic(df), -2 * model.score_samples(df).sum()
        ...                 + 2 * model.n_parameters()))
        True
        """
        return density_aic(self, X)

    def _check_fitted_state(self) -> None:
        """Check a fitted state read from a model file (see :mod:`densitykit._state`): the
        columns, their ranges, each column's transform parameters and the inner density."""
        if self.column_transform not in TRANSFORMS:
            raise _state.StateError("column_transform", f"should be one of "
                                    f"{', '.join(map(repr, TRANSFORMS))}; got "
                                    f"{self.column_transform!r}")
        d = _state.need_int(self, "n_features_in_", minimum=1)
        _state.need_str_list(self, "columns_", length=d)
        _state.need_array(self, "integer_columns_", kinds="b", shape=(d,))
        if _state.optional(self, "decimals_"):  # files written before it lack it
            digits = _state.need_array(self, "decimals_", kinds="i", shape=(d,))
            if np.any(digits < -1):
                raise _state.StateError("decimals_", "should be -1 (every digit) or more")
        lo = _state.need_array(self, "data_min_", shape=(d,))
        hi = _state.need_array(self, "data_max_", shape=(d,))
        if np.any(lo > hi):
            j = int(np.flatnonzero(lo > hi)[0])
            raise _state.StateError("data_min_", f"should not exceed data_max_; column {j} "
                                    f"has {lo[j]:.6g} > {hi[j]:.6g}")
        params = _state.need_list(self, "transform_params_", length=d)
        for j, p in enumerate(params):
            _check_transform_params(f"transform_params_[{j}]", self.column_transform, p)
        _state.need_density(self, "density_", n_features=d,
                            methods=("score_samples", "sample"))
        if _state.optional(self, "feature_names_in_"):
            _state.need_array(self, "feature_names_in_", kinds="OU", shape=(d,))
        check_labels(self)

    def condition(self, given: dict[str, float]) -> TableModel:
        """Return the model of the other columns given values of some columns.

        Parameters
        ----------
        given : dict of str to float
            Column name -> value, in the table's units (needs a Gaussian mixture density).

        Returns
        -------
        TableModel
            The fitted model of the other columns, sampling and scoring in their units.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from densitykit import TableModel
        >>> df = pd.DataFrame({"a": np.arange(50.0), "b": np.arange(50.0) % 7})
        >>> TableModel().fit(df).condition({"a": 3.0}).columns_
        ['b']
        """
        check_is_fitted(self)
        if hasattr(given, "items"):  # a frame's label 0 as its text '0'
            given = {str(k): v for k, v in given.items()}
        idx = [_column_index(self.columns_, name) for name in given]
        conditioner = _conditioner(self.density_)
        if len(set(idx)) == len(self.columns_):
            raise ParameterError("Cannot condition on every column: leave at least one free.")
        values = _given_numbers(given, self.integer_columns_[idx] & self.round_integers)
        from .exceptions import warn_outside_range

        for j, k in zip(idx, given):
            p = self.transform_params_[j]
            scale = p.get("scale", p.get("scale0"))
            if scale is None and "knots" in p:
                scale = float(np.std(p["knots"]))
            warn_outside_range(str(k), given[k], self.data_min_[j], self.data_max_[j], scale)
        z_given, _ = self._forward(values, columns=idx)
        inner = conditioner(idx, z_given[0])
        rest = [j for j in range(len(self.columns_)) if j not in idx]
        out = clone(self).set_params(density=inner)  # the same options, this density
        out.density_ = inner
        out.columns_ = [self.columns_[j] for j in rest]
        if labels := getattr(self, "column_labels_", None):
            out.column_labels_ = [labels[j] for j in rest]
        out.n_features_in_ = len(rest)
        out.transform_params_ = [self.transform_params_[j] for j in rest]
        out.integer_columns_ = self.integer_columns_[rest]
        if _state.optional(self, "decimals_"):
            out.decimals_ = self.decimals_[rest]
        out.data_min_, out.data_max_ = self.data_min_[rest], self.data_max_[rest]
        return out


#: transform -> the numbers each column's parameters hold (and which must be positive)
_TRANSFORM_KEYS: dict[str | None, dict[str, bool]] = {
    "standardize": {"loc": False, "scale": True},
    "yeo-johnson": {"loc0": False, "scale0": True, "lambda": False, "loc1": False,
                    "scale1": True},
    None: {},
}


def _check_transform_params(name: str, transform: str | None, p: Any) -> None:
    """One column's transform parameters, as :data:`TRANSFORMS` fitted them."""
    if not isinstance(p, dict):
        raise _state.StateError(name, f"should be a dict of transform parameters; got "
                                f"{type(p).__name__}")
    if transform == "quantile":
        knots = _state.need_array(None, f"{name}['knots']", value=p.get("knots"), ndim=1)
        cdf = _state.need_array(None, f"{name}['cdf']", value=p.get("cdf"),
                                shape=knots.shape)
        if knots.size < 1 or np.any(np.diff(knots) <= 0):
            raise _state.StateError(f"{name}['knots']", "should be increasing; it is not")
        if np.any(np.diff(cdf) <= 0) or np.any(cdf <= 0) or np.any(cdf >= 1):
            raise _state.StateError(f"{name}['cdf']", "should increase within (0, 1); it "
                                    "does not")
        return
    for key, positive in _TRANSFORM_KEYS[transform].items():
        v = p.get(key)
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)) \
                or not np.isfinite(v) or (positive and not v > 0):
            need = "a positive" if positive else "a finite"
            raise _state.StateError(f"{name}[{key!r}]", f"should be {need} number; got "
                                    f"{v!r}")


def _conditioner(density: Any) -> Callable[[list[int], np.ndarray], Any]:
    """``f(given_columns, values) -> conditional density`` for a mixture, or a clear error."""
    if hasattr(density, "condition"):
        return density.condition
    if all(hasattr(density, a) for a in ("weights_", "means_", "covariance_type")):
        from .gaussian.conditional import condition

        return lambda idx, values: condition(density, idx, values)
    raise DataError(
        f"Conditioning needs a Gaussian mixture density; this model uses "
        f"{type(density).__name__}. Fit a Gaussian mixture ('--model gmm')."
    )


def _column_index(columns: list[str], name: Any) -> int:
    """The position of a given value's column ``name``, or an error naming close ones."""
    if name not in columns:
        import difflib

        close = difflib.get_close_matches(str(name), columns, n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ParameterError(
            f"Unknown column {name!r} in the given values; the model's columns are "
            f"{', '.join(map(repr, columns[:6]))}{', ...' if len(columns) > 6 else ''}.{hint}")
    return columns.index(name)


def _given_numbers(given: dict, whole: np.ndarray) -> np.ndarray:
    """The values of ``given`` as one row of finite floats, whole where ``whole`` (a flag per
    value: a column of integers the model draws as integers), or a clear error."""
    try:
        values = np.array([[float(given[k]) for k in given]])
    except (TypeError, ValueError):
        raise ParameterError(f"the given values must be numbers; got {dict(given)!r}.") from None
    if not np.isfinite(values).all():
        raise ParameterError(f"the given values must be finite numbers; got {dict(given)!r}.")
    for k, v, w in zip(given, values[0], whole):
        if w and v != np.round(v):
            raise ParameterError(f"column {k!r} holds whole numbers; give a whole number, "
                                 f"not {given[k]!r}.")
    return values
