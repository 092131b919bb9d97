"""Small linear-algebra helpers: batched Cholesky factors, precisions and log-determinants.

All functions work on stacks of matrices (``(..., D, D)``) without Python loops.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "cholesky_or_none",
    "inverse_upper_transpose",
    "logsumexp_columns",
    "precision_cholesky_full",
    "sym_from_upper",
    "upper_indices",
]

_UPPER_CACHE: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def upper_indices(d: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the upper triangle (diagonal included), row by row."""
    if d not in _UPPER_CACHE:
        _UPPER_CACHE[d] = np.triu_indices(d)
    return _UPPER_CACHE[d]


def sym_from_upper(packed: np.ndarray, d: int) -> np.ndarray:
    """Unpack ``(F, K)`` upper-triangle columns into ``(K, d, d)`` symmetric matrices."""
    iu, ju = upper_indices(d)
    out = np.empty((packed.shape[1], d, d))
    out[:, iu, ju] = packed.T
    out[:, ju, iu] = packed.T
    return out


def logsumexp_columns(lp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column-wise log-sum-exp of ``(K, B)``; returns it and ``exp(lp - lse)``, computed in
    place of ``lp``."""
    mx = lp.max(0)
    mx[~np.isfinite(mx)] = 0.0
    lp -= mx
    np.exp(lp, out=lp)
    tot = lp.sum(0)
    lp /= tot
    return np.log(tot) + mx, lp


def cholesky_or_none(a: np.ndarray) -> np.ndarray | None:
    """Lower Cholesky factors of a stack of matrices, or ``None`` if one is not definite."""
    try:
        return np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        return None


def inverse_upper_transpose(chol: np.ndarray) -> np.ndarray:
    """``U = L^{-T}`` (upper) from lower Cholesky factors ``L`` of ``C``: ``C^{-1} = U U^T``."""
    d = chol.shape[-1]
    eye = np.broadcast_to(np.eye(d), chol.shape)
    inv_l = np.linalg.solve(chol, eye)  # L^{-1}, lower triangular up to round-off
    out = np.swapaxes(inv_l, -1, -2).copy()
    iu = np.tril_indices(d, -1)
    out[..., iu[0], iu[1]] = 0.0  # exact zeros below the diagonal of the upper factor
    return out


def precision_cholesky_full(cov: np.ndarray) -> np.ndarray | None:
    """Upper-triangular ``U`` with ``inv(cov) = U @ U.T`` for a stack, or ``None`` if singular."""
    chol = cholesky_or_none(cov)
    if chol is None or not np.all(np.isfinite(chol)):
        return None
    if np.any(np.diagonal(chol, axis1=-2, axis2=-1) <= 0):
        return None
    return inverse_upper_transpose(chol)
