"""Per-covariance-type maths of Gaussian mixtures, kept in one registry.

Every covariance type supplies the same small set of pure functions:

``prepare(means, prec_chol)``
    coefficients for the E-step, computed once per iteration;
``block_features(ZT)``
    per-row features of a transposed block ``ZT`` (``D x B``) that both steps use: the
    products ``z_i z_j`` (full), the squares (diag), the squared norm (spherical);
``maha_t(ZT, Q, prep)``
    squared Mahalanobis distances of a block, shape ``(K, B)``, from the block and its
    features ``Q``: one matrix product for all components;
``second_moment(ZT, Q, RT)``
    the block's second-moment statistic given weighted responsibilities ``RT`` (``K x B``);
``covariances(s2, nk, means, reg)``
    covariances from summed statistics (the M-step);
``prec_chol(cov)``, ``log_det(prec_chol, d)``, ``n_cov_params(k, d)``, ``sample_factor(cov)``.

Shapes follow scikit-learn: full ``(K, D, D)``, tied ``(D, D)``, diag ``(K, D)``,
spherical ``(K,)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._linalg import precision_cholesky_full, sym_from_upper, upper_indices

__all__ = ["COVARIANCE_TYPES", "CovarianceType"]


@dataclass(frozen=True)
class CovarianceType:
    name: str
    block_features: Callable[[np.ndarray], Any]
    prepare: Callable[..., Any]
    maha_t: Callable[..., np.ndarray]
    second_moment: Callable[..., np.ndarray]
    covariances: Callable[..., np.ndarray]
    prec_chol: Callable[[np.ndarray], np.ndarray | None]
    log_det: Callable[[np.ndarray, int], np.ndarray]
    n_cov_params: Callable[[int, int], int]
    sample_factor: Callable[[np.ndarray, int, int], np.ndarray]
    features: Callable[[int], int]  # floats per row in the E-step's matrix product

    def width(self, d: int, k: int) -> int:
        """Floats per row of a block's temporaries (features and responsibilities)."""
        return self.features(d) + 2 * k + d

    def n_params(self, k: int, d: int) -> int:
        """Free parameters of a mixture of ``k`` components in ``d`` dimensions: weights,
        means and covariances."""
        return k - 1 + k * d + self.n_cov_params(k, d)


def _quadratic_features_t(ZT: np.ndarray) -> np.ndarray:
    """Rows ``z_i * z_j`` for ``i <= j`` of a transposed block, then the block's rows and a
    row of ones: ``(D(D+1)/2 + D + 1, B)``, so that the full E-step is one matrix product."""
    d, b = ZT.shape
    f = d * (d + 1) // 2
    out = np.empty((f + d + 1, b), dtype=ZT.dtype)
    off = 0
    for i in range(d):
        np.multiply(ZT[i], ZT[i:], out=out[off : off + d - i])
        off += d - i
    out[f : f + d] = ZT
    out[-1] = 1.0
    return out


# --- full -------------------------------------------------------------------------------
def _full_prepare(means: np.ndarray, prec_chol: np.ndarray) -> tuple:
    """``(A,)`` with ``A = [quad | -2 P mu | mu' P mu]`` ``(K, F + D + 1)``: the squared
    distances are ``A`` times the features of :func:`_quadratic_features_t`."""
    d = means.shape[1]
    prec = prec_chol @ np.swapaxes(prec_chol, -1, -2)
    iu, ju = upper_indices(d)
    quad = prec[:, iu, ju] * np.where(iu == ju, 1.0, 2.0)  # (K, F)
    lin = np.einsum("kij,kj->ki", prec, means)  # (K, D) = P mu
    const = np.einsum("ki,ki->k", means, lin)
    return (np.hstack([quad, -2.0 * lin, const[:, None]]),)


def _full_maha_t(ZT: np.ndarray, Q: np.ndarray, prep: tuple) -> np.ndarray:
    m = prep[0] @ Q
    return np.maximum(m, 0.0, out=m)


def _full_second_moment(ZT: np.ndarray, Q: np.ndarray, RT: np.ndarray) -> np.ndarray:
    d = ZT.shape[0]
    return Q[: d * (d + 1) // 2] @ RT.T  # (F, K)


def _full_covariances(s2, nk, means, reg):
    d = means.shape[1]
    cov = sym_from_upper(s2, d) / nk[:, None, None]
    cov -= means[:, :, None] * means[:, None, :]
    cov[:, np.arange(d), np.arange(d)] += reg
    return cov


def _full_log_det(prec_chol: np.ndarray, d: int) -> np.ndarray:
    return np.log(np.diagonal(prec_chol, axis1=-2, axis2=-1)).sum(-1)


def _full_factor(cov: np.ndarray, k: int, d: int) -> np.ndarray:
    return np.linalg.cholesky(cov)


# --- tied -------------------------------------------------------------------------------
def _tied_prepare(means: np.ndarray, prec_chol: np.ndarray) -> tuple:
    m = means @ prec_chol  # (K, D)
    return prec_chol, -2.0 * m, np.einsum("ki,ki->k", m, m)


def _tied_maha_t(ZT: np.ndarray, Q: None, prep: tuple) -> np.ndarray:
    u, m2, const = prep
    YT = u.T @ ZT
    m = m2 @ YT
    m += np.einsum("ib,ib->b", YT, YT)[None, :]
    m += const[:, None]
    return np.maximum(m, 0.0, out=m)


def _tied_second_moment(ZT: np.ndarray, Q: None, RT: np.ndarray) -> np.ndarray:
    w = RT.sum(0)
    return (ZT * w) @ ZT.T  # (D, D), responsibilities sum to the row weight


def _tied_covariances(s2, nk, means, reg):
    d = means.shape[1]
    cov = s2 - (means.T * nk) @ means
    cov /= nk.sum()
    cov[np.arange(d), np.arange(d)] += reg
    return cov


def _tied_prec_chol(cov: np.ndarray) -> np.ndarray | None:
    out = precision_cholesky_full(cov[None])
    return None if out is None else out[0]


def _tied_log_det(prec_chol: np.ndarray, d: int) -> np.ndarray:
    return np.log(np.diagonal(prec_chol)).sum()


def _tied_factor(cov: np.ndarray, k: int, d: int) -> np.ndarray:
    return np.broadcast_to(np.linalg.cholesky(cov), (k, d, d))


# --- diag -------------------------------------------------------------------------------
def _diag_prepare(means: np.ndarray, prec_chol: np.ndarray) -> tuple:
    p = prec_chol**2
    return p, -2.0 * p * means, np.einsum("kd,kd->k", p, means**2)


def _diag_maha_t(ZT: np.ndarray, Q: np.ndarray, prep: tuple) -> np.ndarray:
    p, pm2, const = prep
    m = p @ Q
    m += pm2 @ ZT
    m += const[:, None]
    return np.maximum(m, 0.0, out=m)


def _diag_second_moment(ZT: np.ndarray, Q: np.ndarray, RT: np.ndarray) -> np.ndarray:
    return RT @ Q.T  # (K, D)


def _diag_covariances(s2, nk, means, reg):
    var = s2 / nk[:, None] - means**2
    return np.maximum(var, 0.0) + reg


def _diag_prec_chol(cov: np.ndarray) -> np.ndarray | None:
    if np.any(cov <= 0) or not np.all(np.isfinite(cov)):
        return None
    return 1.0 / np.sqrt(cov)


def _diag_log_det(prec_chol: np.ndarray, d: int) -> np.ndarray:
    return np.log(prec_chol).sum(-1)


def _diag_factor(cov: np.ndarray, k: int, d: int) -> np.ndarray:
    return np.sqrt(cov)[:, None, :] * np.eye(d)


# --- spherical --------------------------------------------------------------------------
def _sph_prepare(means: np.ndarray, prec_chol: np.ndarray) -> tuple:
    p = prec_chol**2
    return p, means, np.einsum("kd,kd->k", means, means)


def _sph_maha_t(ZT: np.ndarray, Q: np.ndarray, prep: tuple) -> np.ndarray:
    p, means, mm = prep
    m = means @ ZT
    m *= -2.0
    m += Q[None, :]
    m += mm[:, None]
    m *= p[:, None]
    return np.maximum(m, 0.0, out=m)


def _sph_second_moment(ZT: np.ndarray, Q: np.ndarray, RT: np.ndarray) -> np.ndarray:
    return RT @ Q  # (K,)


def _sph_covariances(s2, nk, means, reg):
    var = (s2 / nk - np.einsum("kd,kd->k", means, means)) / means.shape[1]
    return np.maximum(var, 0.0) + reg


def _sph_log_det(prec_chol: np.ndarray, d: int) -> np.ndarray:
    return d * np.log(prec_chol)


def _sph_factor(cov: np.ndarray, k: int, d: int) -> np.ndarray:
    return np.sqrt(cov)[:, None, None] * np.eye(d)


def _spec(name, features, prepare, maha_t, second_moment, covariances, prec_chol, log_det,
          n_cov_params, sample_factor, n_features) -> CovarianceType:
    return CovarianceType(name, features, prepare, maha_t, second_moment, covariances,
                          prec_chol, log_det, n_cov_params, sample_factor, n_features)


COVARIANCE_TYPES: dict[str, CovarianceType] = {
    "full": _spec(
        "full", _quadratic_features_t, _full_prepare, _full_maha_t, _full_second_moment,
        _full_covariances, precision_cholesky_full, _full_log_det,
        lambda k, d: k * d * (d + 1) // 2, _full_factor, lambda d: d * (d + 1) // 2),
    "tied": _spec(
        "tied", lambda zt: None, _tied_prepare, _tied_maha_t, _tied_second_moment,
        _tied_covariances, _tied_prec_chol, _tied_log_det,
        lambda k, d: d * (d + 1) // 2, _tied_factor, lambda d: d),
    "diag": _spec(
        "diag", lambda zt: zt * zt, _diag_prepare, _diag_maha_t, _diag_second_moment,
        _diag_covariances, _diag_prec_chol, _diag_log_det,
        lambda k, d: k * d, _diag_factor, lambda d: 2 * d),
    "spherical": _spec(
        "spherical", lambda zt: np.einsum("ib,ib->b", zt, zt), _sph_prepare, _sph_maha_t,
        _sph_second_moment, _sph_covariances, _diag_prec_chol, _sph_log_det,
        lambda k, d: k, _sph_factor, lambda d: d),
}
