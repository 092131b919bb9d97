"""Empty (NaN) cells in queries: the marginal density of the observed cells.

A query row with empty cells is scored by the density of its observed cells alone, the
estimate integrated over the empty ones. Rows are grouped by their pattern of empty cells;
each pattern is one sub-problem on the observed columns, with the bandwidth's block for them
and the kernel's marginal, and runs through the same evaluators as complete rows.

For a kernel ``K`` that is radial in bandwidth units, ``x = x_j + L u`` with ``H = L L^T``,
the observed cells are ``x_o = x_jo + L_o u``; since ``u`` is spherically symmetric, ``L_o u``
has the law of ``C v`` with ``C C^T = H_oo`` and ``v`` the kernel's ``q``-dimensional
marginal. So the marginal estimate is a KDE on ``X[:, o]`` with bandwidth ``H_oo`` (the
per-feature scales of the observed cells for a diagonal bandwidth) and the marginal kernel of
:func:`densitykit.kde._kernels.marginal_kernel`, exactly, for every bandwidth kind.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._validation import check_data, nullable_as_floats
from ..exceptions import DataError
from ._kernels import marginal_kernel

__all__ = ["check_fit_data", "check_queries", "marginal_log_density"]


def _nan_mask(X: Any) -> np.ndarray | None:
    """Mask of the empty cells of a 2-D numeric array-like, ``None`` if none (or not one)."""
    if X is None or isinstance(X, (str, bytes, Mapping)) or hasattr(X, "tocsr"):
        return None
    if type(X).__module__.startswith("scipy.sparse"):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = np.asarray(nullable_as_floats(X), dtype=np.float64)  # pd.NA: NaN
    except (TypeError, ValueError):
        return None
    if arr.ndim != 2:
        return None
    mask = np.isnan(arr)
    return mask if mask.any() else None


def check_fit_data(est: Any, X: Any) -> np.ndarray:
    """``check_data`` for ``fit``, with an error for empty cells that names the fixes."""
    mask = _nan_mask(X)
    if mask is not None:
        rows = int(mask.any(axis=1).sum())
        raise DataError(
            f"X passed to KernelDensity.fit has {int(mask.sum())} empty (NaN) cell(s) in "
            f"{rows} row(s); the estimate is built from complete rows. Drop those rows "
            "(densitykit.data.read_table(..., policy='drop-rows') does it for tables) or "
            "impute the cells first; rows with empty cells can be scored after fitting."
        )
    return check_data(est, X, reset=True, dtype=np.float64)


def check_queries(est: Any, X: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """Checked float64 queries with NaN kept in the empty cells, and their mask (or ``None``).

    Every other check (shape, feature names, infinities, non-numbers) is ``check_data``'s,
    run on a copy with the empty cells filled.
    """
    mask = _nan_mask(X)
    if mask is None:
        return check_data(est, X, reset=False, dtype=np.float64), None
    if hasattr(X, "fillna") and hasattr(X, "columns"):
        filled = X.fillna(0.0)
    else:
        filled = np.where(mask, 0.0, np.asarray(X, dtype=np.float64))
    out = np.array(check_data(est, filled, reset=False, dtype=np.float64), dtype=np.float64)
    out[mask] = np.nan
    return out, mask


def marginal_model(est: Any, observed: np.ndarray) -> Any:
    """A fitted KernelDensity on the columns ``observed``: the marginal of ``est``."""
    d, q = est._X.shape[1], observed.size
    kernel = marginal_kernel(est._kernel(), d, q)
    if est._kind == "diag":
        kind, scale = "diag", est._scale[observed]
        log_det = float(np.sum(np.log(scale)))
    else:
        H = est._scale @ est._scale.T
        kind, scale = "full", np.linalg.cholesky(H[np.ix_(observed, observed)])
        log_det = float(np.sum(np.log(np.diag(scale))))
    algorithm = est.algorithm
    if algorithm == "binned" and not kernel.compiled:
        algorithm = "exact"  # the grid's error bound holds for registry kernels only
    sub = type(est)(**{**est.get_params(), "algorithm": algorithm})
    sub.n_features_in_ = q
    sub._kind, sub._scale, sub._marginal_kernel = kind, scale, kernel
    sub._X = np.ascontiguousarray(est._X[:, observed])
    sub._p, sub._center = est._p, est._center[observed]
    sub._log_const = -kernel.log_norm(q) - log_det
    sub._shrink = None
    return sub


def marginal_log_density(est: Any, X: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Log-density of each row's observed cells (0 for a row with none), by pattern."""
    patterns, inverse = np.unique(mask, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    d = X.shape[1]
    models = {}
    for k, pattern in enumerate(patterns):  # every marginal first: errors before any work
        observed = np.flatnonzero(~pattern)
        if 0 < observed.size < d:
            models[k] = marginal_model(est, observed)
    out = np.zeros(X.shape[0])
    for k, pattern in enumerate(patterns):
        rows = np.flatnonzero(inverse == k)
        observed = np.flatnonzero(~pattern)
        if observed.size == d:
            out[rows] = est._score_complete(np.ascontiguousarray(X[rows]))
        elif observed.size:
            out[rows] = models[k]._score_complete(np.ascontiguousarray(X[np.ix_(rows, observed)]))
    return out
