"""Bandwidth rules and the parsing of a user's bandwidth.

Every rule follows the data's (weighted) scale, so ``rule(c * X) == c * rule(X)``. Weights
are relative, as in ``scipy.stats.gaussian_kde``: any positive multiple of them gives the same
bandwidth; the sample size in the rules is the effective one, ``n_eff = (Σw)^2 / Σw^2``, and
spreads use the unbiased weighted variance ``Σ p_i (x_i - m)^2 / (1 - Σ p_i^2)`` with
``p = w / Σw`` (``n - 1`` divisor for equal weights). Integer weights therefore give the
same density as repeated rows for the same bandwidth, not the same rule bandwidth.

The per-feature rules ('scott', 'silverman', 'isj', 'cv') return one bandwidth per feature;
the covariance rules ('scott-covariance', 'silverman-covariance') a matrix, the factor
squared times the weighted covariance, as ``gaussian_kde`` does. Rules return the bandwidth
of the *chosen* kernel: the gaussian value is divided by the kernel's per-coordinate
standard deviation (variance, for a matrix), so every kernel spreads each point equally.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..exceptions import DataError, FitError
from ._exact import log_kernel_sums
from ._kernels import Kernel

__all__ = ["RULES", "effective_size", "improved_sheather_jones", "weighted_covariance",
           "weighted_scale"]


def effective_size(w: np.ndarray, rule: str) -> tuple[np.ndarray, float]:
    """Normalised weights ``p`` and the effective sample size ``(Σw)^2 / Σw^2``.

    Examples
    --------
    >>> p, n_eff = effective_size(np.array([0.2, 0.2, 0.2, 0.2]), "scott")
    >>> float(n_eff)
    4.0
    """
    p = w / w.sum()
    n_eff = 1.0 / float(p @ p)
    if not n_eff > 1.0 + 1e-9:
        raise DataError(
            f"Need more than one sample (an effective sample size (Σw)^2/Σw^2 above 1) to "
            f"estimate a bandwidth with rule {rule!r}; got {n_eff:.3g}. Pass a number as "
            "bandwidth, or more rows with positive weight."
        )
    return p, n_eff


def weighted_scale(X: np.ndarray, w: np.ndarray, rule: str) -> tuple[np.ndarray, float]:
    """Per-feature weighted standard deviation (unbiased for relative weights) and ``n_eff``."""
    p, n = effective_size(w, rule)
    mean = p @ X
    var = p @ (X - mean) ** 2 / (1.0 - 1.0 / n)
    sd = np.sqrt(var)
    flat = np.flatnonzero(~(sd > 1e-12 * np.maximum(np.abs(mean), 1e-300)))
    if flat.size:
        raise FitError(
            f"Feature(s) {flat[:5].tolist()} of X are constant, so rule {rule!r} cannot set a "
            "bandwidth from their spread. Drop constant columns, or pass bandwidth as a "
            "number or a per-feature array."
        )
    return sd, n


def _kernel_sd(kernel: Kernel, d: int) -> float:
    return float(np.sqrt(kernel.variance(d)))


def scott(X: np.ndarray, w: np.ndarray, kernel: Kernel) -> np.ndarray:
    """Scott's rule: ``sd_j * n^{-1/(d+4)}`` per feature."""
    sd, n = weighted_scale(X, w, "scott")
    d = X.shape[1]
    return sd * n ** (-1.0 / (d + 4)) / _kernel_sd(kernel, d)


def silverman(X: np.ndarray, w: np.ndarray, kernel: Kernel) -> np.ndarray:
    """Silverman's rule: ``sd_j * (n (d + 2) / 4)^{-1/(d+4)}`` per feature."""
    sd, n = weighted_scale(X, w, "silverman")
    d = X.shape[1]
    return sd * (n * (d + 2) / 4.0) ** (-1.0 / (d + 4)) / _kernel_sd(kernel, d)


# ---- Botev's improved Sheather-Jones ------------------------------------------------------
def _isj_fixed_point(t: float, n: float, i2: np.ndarray, a2: np.ndarray) -> float:
    """``t - ξγ^[7](t)`` of Botev, Grotowski & Kroese (2010), eq. (29)."""
    ell = 7
    f = 2.0 * np.pi ** (2 * ell) * np.sum(i2**ell * a2 * np.exp(-i2 * np.pi**2 * t))
    for s in range(ell - 1, 1, -1):
        k0 = np.prod(np.arange(1.0, 2 * s, 2)) / np.sqrt(2 * np.pi)
        const = (1 + 0.5 ** (s + 0.5)) / 3.0
        if not f > 0:
            return t
        time = (2 * const * k0 / (n * f)) ** (2.0 / (3 + 2 * s))
        f = 2.0 * np.pi ** (2 * s) * np.sum(i2**s * a2 * np.exp(-i2 * np.pi**2 * time))
    if not f > 0:
        return t
    return t - (2 * n * np.sqrt(np.pi) * f) ** (-0.4)


def improved_sheather_jones(x: np.ndarray, w: np.ndarray, grid_size: int = 2**12) -> float:
    """Botev's improved Sheather-Jones bandwidth of a 1-D weighted sample (gaussian kernel).

    The sample is linearly binned on ``grid_size`` points over its range widened by a tenth
    on each side, the fixed-point equation ``t = ξγ^[7](t)`` is solved for ``t = h^2 / R^2``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=2000)
    >>> h = improved_sheather_jones(x, np.ones_like(x))
    >>> bool(0.15 < h < 0.35)
    True
    """
    n = float(w.sum()) ** 2 / float(w @ w)  # effective sample size
    lo, hi = float(x.min()), float(x.max())
    span = hi - lo
    if not span > 0:
        raise FitError(
            "X is constant, so rule 'isj' cannot set a bandwidth from its spread. Pass "
            "bandwidth as a number."
        )
    lo, hi = lo - span / 10.0, hi + span / 10.0
    big_r = hi - lo
    t = (x - lo) / big_r * (grid_size - 1)
    k = np.clip(np.floor(t).astype(np.int64), 0, grid_size - 2)
    f = t - k
    hist = np.bincount(k, w * (1 - f), grid_size) + np.bincount(k + 1, w * f, grid_size)
    hist /= hist.sum()
    from scipy import fft, optimize  # on first use: together 0.25 s to import

    a = fft.dct(hist, type=2)
    i2 = np.arange(1, grid_size, dtype=np.float64) ** 2
    a2 = (a[1:] / 2.0) ** 2
    upper = 0.1
    for _ in range(12):
        try:
            t_star = optimize.brentq(
                _isj_fixed_point, 1e-14, upper, args=(n, i2, a2), xtol=1e-22, rtol=1e-15
            )
            break
        except ValueError:
            upper *= 2.0
    else:
        raise FitError(
            "Rule 'isj' found no bandwidth (its fixed-point equation has no root for this "
            "sample, usually too few distinct values). Use 'scott', 'silverman' or 'cv'."
        )
    return float(np.sqrt(t_star) * big_r)


def isj(X: np.ndarray, w: np.ndarray, kernel: Kernel) -> np.ndarray:
    """Improved Sheather-Jones (1-D data only)."""
    if X.shape[1] != 1:
        raise DataError(
            f"Rule 'isj' works on 1-D data only; X has {X.shape[1]} features. Use 'scott', "
            "'silverman' or 'cv' in several dimensions."
        )
    weighted_scale(X, w, "isj")
    keep = w > 0
    return np.array([improved_sheather_jones(X[keep, 0], w[keep])]) / _kernel_sd(kernel, 1)


# ---- maximum leave-one-out likelihood -----------------------------------------------------
def loo_log_likelihood(
    Xw: np.ndarray, w: np.ndarray, kernel: Kernel, log_factors: np.ndarray,
    compiled: bool | None = None,
) -> np.ndarray:
    """Mean weighted leave-one-out log-density at bandwidth ``exp(log_factors)`` (whitened)."""
    p = w / w.sum()
    d = Xw.shape[1]
    lse = log_kernel_sums(
        Xw, Xw, np.log(p), kernel, inv_s2=np.exp(-2.0 * log_factors), loo=True,
        compiled=compiled,
    )
    lse = lse - np.log1p(-p)[None, :] - kernel.log_norm(d) - d * log_factors[:, None]
    with np.errstate(invalid="ignore"):
        out = np.where(np.isfinite(lse).all(axis=1), np.nan_to_num(lse, neginf=0.0) @ p, -np.inf)
    return out


def cv(X: np.ndarray, w: np.ndarray, kernel: Kernel, compiled: bool | None = None) -> np.ndarray:
    """Maximum leave-one-out likelihood: ``h_j = c * sd_j``, ``c`` by a search on ``log c``.

    Three passes over the pairs, each scoring several factors at once from one matrix
    product: 8 factors over ``[-3, 1.5]`` around Scott's (in ``log c``), then 6 factors in the
    bracket of the best, then 6 in the next bracket; a parabola through the best three points
    of the last pass gives ``log c`` to about 1e-3.
    """
    sd, n = weighted_scale(X, w, "cv")
    keep = w > 0
    Xw = (X[keep] - (w @ X) / w.sum()) / sd
    wk = w[keep]
    if Xw.shape[0] < 2:
        raise DataError("Rule 'cv' needs at least 2 rows with positive weight; got 1 sample.")
    d = X.shape[1]
    base = np.log(n ** (-1.0 / (d + 4)) / _kernel_sd(kernel, d))
    grid = base + np.linspace(-3.0, 1.5, 8)
    for _ in range(3):
        scores = loo_log_likelihood(Xw, wk, kernel, grid, compiled)
        if not np.isfinite(scores).any():
            raise FitError(
                f"Rule 'cv' found no bandwidth for kernel {kernel.name!r}: every "
                "leave-one-out likelihood on the search range is zero. Use a gaussian "
                "kernel or pass a number."
            )
        k = int(np.argmax(scores))
        step = grid[1] - grid[0]
        if 0 < k < grid.size - 1 and _ < 2:
            grid = np.linspace(grid[k] - step, grid[k] + step, 6)
        elif _ < 2:  # the maximum is at an edge: move the window that way
            grid = grid[k] + step * np.linspace(-2.5, 2.5, 6) + (step * 2.5 if k else -step * 2.5)
    best = grid[k]
    if 0 < k < grid.size - 1 and np.all(np.isfinite(scores[k - 1:k + 2])):
        y0, y1, y2 = scores[k - 1:k + 2]
        curv = y0 - 2.0 * y1 + y2
        if curv < 0:
            best = grid[k] + 0.5 * step * (y0 - y2) / curv
    return np.exp(best) * sd


# ---- covariance-scaled rules (scipy.stats.gaussian_kde's) ----------------------------------
def weighted_covariance(X: np.ndarray, w: np.ndarray, rule: str) -> tuple[np.ndarray, float]:
    """Unbiased weighted covariance (``np.cov(..., aweights=w)``) and ``n_eff``; it must be
    positive definite."""
    p, n = effective_size(w, rule)
    Xc = X - p @ X
    S = (Xc.T * p) @ Xc / (1.0 - 1.0 / n)
    try:
        np.linalg.cholesky(S)
    except np.linalg.LinAlgError:
        raise FitError(
            f"The weighted covariance of X is singular (a constant column, or columns that are "
            f"linear combinations of others), so rule {rule!r} cannot shape a bandwidth "
            "matrix from it. Drop the redundant columns, or use a per-feature rule "
            "('scott', 'silverman') or a number."
        ) from None
    return S, n


def scott_covariance(X: np.ndarray, w: np.ndarray, kernel: Kernel) -> np.ndarray:
    """``n_eff^{-2/(d+4)}`` times the weighted covariance (gaussian_kde's 'scott')."""
    S, n = weighted_covariance(X, w, "scott-covariance")
    d = X.shape[1]
    return S * n ** (-2.0 / (d + 4)) / kernel.variance(d)


def silverman_covariance(X: np.ndarray, w: np.ndarray, kernel: Kernel) -> np.ndarray:
    """``(n_eff (d + 2) / 4)^{-2/(d+4)}`` times the weighted covariance (gaussian_kde's
    'silverman')."""
    S, n = weighted_covariance(X, w, "silverman-covariance")
    d = X.shape[1]
    return S * (n * (d + 2) / 4.0) ** (-2.0 / (d + 4)) / kernel.variance(d)


RULES: dict[str, Callable[..., np.ndarray]] = {
    "scott": scott,
    "silverman": silverman,
    "isj": isj,
    "cv": cv,
    "scott-covariance": scott_covariance,
    "silverman-covariance": silverman_covariance,
}
