"""Binned evaluation in 1-D and 2-D: linear binning, FFT convolution, interpolation.

The data are linearly binned onto a regular grid (the weights and first moments of each
point are kept), convolved with the kernel tabulated on the same grid by FFT, and the grid
values are linearly interpolated to the queries. On a grid with spacing ``δ_i`` (in the
coordinates ``z_i = (x_i - c_i) / s_i``, ``s_i`` the kernel's scale along axis ``i``) and
``P = M^T M`` the kernel's precision in those coordinates, the density error at any query
inside the grid is at most (:func:`binned_error_bound`)

* smooth kernel (gaussian): ``K0 * (Σ_i δ_i^2 P_ii / 4 + exp(-τ^2 / 2))``, since linear
  binning and linear interpolation each err by at most ``Σ_i δ_i^2 sup|∂_ii K| / 8`` and
  ``sup|∂_ii K| <= K0 P_ii``; the kernel is cut at radius ``τ = 9``;
* Lipschitz kernel with profile slope ``λ = sup|k'|``: ``K0 * λ * Σ_i δ_i sqrt(P_ii)``
  (plus ``K0 exp(-τ)``, ``τ = 30``, for the exponential kernel);
* tophat: no pointwise bound (``inf``); 'auto' never bins it;

plus ``1e-12 K0`` for the FFT's rounding, with ``K0`` the kernel's peak density. The grid
spacing aims at a bound of ``1e-4 K0`` (``1e-3 K0`` for Lipschitz kernels) within a grid of
at most 2**18 points in 1-D and 1024 x 1024 in 2-D.

For log-densities an absolute bound is not enough where the density is small, so
``score_samples`` also convolves the data with the kernel's local curvature (gaussian) to
estimate the error near each query, and answers from the grid only where the binned density
is at least 1000 times that estimate (relative error below about 1e-3); for other kernels,
where it exceeds the global bound. Every other query, and every query outside the grid, is
summed exactly, so no log-density is ``-inf`` or NaN by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..exceptions import DataError, ParameterError
from . import _compiled
from ._exact import numpy_extra_seconds, use_compiled
from ._kernels import Kernel

__all__ = ["BinnedDensity", "KernelSums", "bin_linear", "binned_density", "binned_error_bound"]

#: largest grid per axis (data and kernel reach) in 1-D and 2-D
MAX_GRID = {1: 2**18, 2: 1024}
#: target error bound relative to the kernel peak (ten times that for Lipschitz kernels)
TARGET_REL = 1e-4
_FFT_REL = 1e-12
#: grid answers need a density this many times the local error estimate (gaussian)
LOCAL_FACTOR = 1000.0
#: queries summed together beyond the data's ends (each group over the rows it reaches)
_TAIL_GROUP = 512
#: seconds per point the NumPy binning takes over the compiled one, 1-D and 2-D (measured
#: 15 and 60 ns): weighed against loading numba
_BIN_EXTRA = {1: 1.5e-8, 2: 6e-8}


def _cut_radius(kernel: Kernel) -> float:
    if np.isfinite(kernel.support):
        return kernel.support
    return 9.0 if kernel.name == "gaussian" else 30.0


def binned_error_bound(kernel: Kernel, p_diag: np.ndarray, delta: np.ndarray, k0: float) -> float:
    """Bound on ``|binned density - exact density|`` at a query inside the grid.

    Parameters
    ----------
    kernel : the kernel.
    p_diag : diagonal of the kernel precision ``P`` in binning coordinates.
    delta : grid spacing per axis in binning coordinates.
    k0 : peak density of one kernel (``exp(log_const)``).

    Examples
    --------
    >>> import numpy as np
    >>> from densitykit.kde import KERNELS
    >>> b = binned_error_bound(KERNELS["gaussian"], np.ones(1), np.array([0.02]), 1.0)
    >>> print(f"{b:.6g}")
    0.0001
    """
    tau = _cut_radius(kernel)
    if kernel.name == "gaussian":
        return float(k0 * (np.sum(delta**2 * p_diag) / 4.0 + np.exp(-0.5 * tau**2) + _FFT_REL))
    if not np.isfinite(kernel.slope):
        return float("inf")
    tail = np.exp(-tau) if not np.isfinite(kernel.support) else 0.0
    return float(k0 * (kernel.slope * np.sum(delta * np.sqrt(p_diag)) + tail + _FFT_REL))


def bin_linear(Z: np.ndarray, w: np.ndarray, lo: np.ndarray, delta: np.ndarray,
               shape: tuple[int, ...], compiled: bool | None = None) -> np.ndarray:
    """Linear (bilinear in 2-D) binning of weighted points onto a regular grid.

    Examples
    --------
    >>> import numpy as np
    >>> bin_linear(np.array([[0.25]]), np.ones(1), np.zeros(1), np.ones(1), (3,))
    array([0.75, 0.25, 0.  ])
    """
    if use_compiled(compiled, Z.shape[0] * _BIN_EXTRA[Z.shape[1]]):
        if Z.shape[1] == 1:
            return _compiled.linear_bin_1d(Z[:, 0], w, lo[0], delta[0], shape[0])
        return _compiled.linear_bin_2d(Z, w, lo[0], lo[1], delta[0], delta[1], *shape)
    t = (Z - lo) / delta
    k = np.clip(np.floor(t).astype(np.int64), 0, np.array(shape) - 2)
    f = t - k
    size = int(np.prod(shape))
    out = np.zeros(size)
    if Z.shape[1] == 1:
        out += np.bincount(k[:, 0], w * (1 - f[:, 0]), size)
        out += np.bincount(k[:, 0] + 1, w * f[:, 0], size)
        return out
    for a in (0, 1):
        for b in (0, 1):
            fa = f[:, 0] if a else 1 - f[:, 0]
            fb = f[:, 1] if b else 1 - f[:, 1]
            out += np.bincount((k[:, 0] + a) * shape[1] + k[:, 1] + b, w * fa * fb, size)
    return out.reshape(shape)


@dataclass
class BinnedDensity:
    """Density on a regular grid: ``values[i, j] ≈ f(lo + (i, j) * delta)``; error <= bound.

    ``zmin`` and ``zmax`` are the corners of the data's bounding box (binning coordinates).
    """

    lo: np.ndarray
    delta: np.ndarray
    values: np.ndarray
    bound: float
    zmin: np.ndarray
    zmax: np.ndarray
    local: np.ndarray | None = None

    def local_at(self, Z: np.ndarray) -> np.ndarray:
        """Largest local error estimate over the grid cell of each point."""
        shape = np.array(self.local.shape)
        k = np.clip(np.floor((Z - self.lo) / self.delta).astype(np.int64), 0, shape - 2)
        v = self.local
        if Z.shape[1] == 1:
            return np.maximum(v[k[:, 0]], v[k[:, 0] + 1])
        return np.maximum.reduce([v[k[:, 0] + a, k[:, 1] + b] for a in (0, 1) for b in (0, 1)])

    def interpolate(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Linear interpolation at points ``Z``; returns (values, inside-grid mask)."""
        shape = np.array(self.values.shape)
        t = (Z - self.lo) / self.delta
        inside = np.all((t >= 0) & (t <= shape - 1), axis=1)
        k = np.clip(t.astype(np.int64), 0, shape - 2)
        f = np.clip(t - k, 0.0, 1.0)
        v = self.values
        if Z.shape[1] == 1:
            k, f = k[:, 0], f[:, 0]
            return v[k] + f * (v[k + 1] - v[k]), inside
        out = ((1 - f[:, 0]) * (1 - f[:, 1]) * v[k[:, 0], k[:, 1]]
               + f[:, 0] * (1 - f[:, 1]) * v[k[:, 0] + 1, k[:, 1]]
               + (1 - f[:, 0]) * f[:, 1] * v[k[:, 0], k[:, 1] + 1]
               + f[:, 0] * f[:, 1] * v[k[:, 0] + 1, k[:, 1] + 1])
        return out, inside


def binned_density(X: np.ndarray, p: np.ndarray | None, kernel: Kernel, M: np.ndarray,
                   log_const: float, center: np.ndarray, s: np.ndarray, *,
                   max_grid: int | None = None, compiled: bool | None = None,
                   local: bool = True) -> BinnedDensity:
    """Bin the rows of ``X`` (weights ``p`` summing to 1, ``None`` for equal weights) and
    convolve with the kernel, on a grid in the coordinates ``z = (x - center) / s``.

    ``M`` maps binning coordinates to kernel units (``u = M z``); ``log_const`` is the log
    of the kernel's peak density.
    """
    d = X.shape[1]
    P = M.T @ M
    p_diag = np.diag(P)
    cov_diag = np.diag(np.linalg.inv(P))
    tau = _cut_radius(kernel)
    zmin, zmax = (X.min(axis=0) - center) / s, (X.max(axis=0) - center) / s
    span = np.maximum(zmax - zmin, 1e-12 * np.maximum(np.abs(zmax), 1.0))
    if kernel.name == "gaussian":
        delta = np.sqrt(4.0 * TARGET_REL / (d * p_diag))
    else:
        delta = 10.0 * TARGET_REL / (d * kernel.slope * np.sqrt(p_diag))
    cap = max_grid or MAX_GRID[d]
    reach = tau * np.sqrt(cov_diag)
    delta = np.maximum(delta, (span + 2.0 * reach) / (cap - 1))
    shape = tuple(int(v) for v in np.ceil(span / delta).astype(np.int64) + 2)
    w = np.array([1.0 / X.shape[0]]) if p is None else p
    counts = bin_linear(X, w, center + s * zmin, s * delta, shape, compiled)
    half = np.ceil(tau * np.sqrt(cov_diag) / delta).astype(np.int64)
    axes = [np.arange(-h, h + 1) * dl for h, dl in zip(half, delta)]
    offsets = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
    u2 = np.einsum("...i,ij,...j->...", offsets, P, offsets)
    table = np.exp(kernel.log_profile(u2))
    if d == 1:
        counts = counts.reshape(-1)
    from scipy.signal import fftconvolve  # scipy.signal takes ~0.1 s to import: on first use

    values = fftconvolve(counts, table, mode="full") * np.exp(log_const)
    lo = zmin - half * delta
    k0 = float(np.exp(log_const))
    bound = binned_error_bound(kernel, p_diag, delta, k0)
    estimate = None
    if local and kernel.name == "gaussian":
        estimate = _local_error(counts, table, offsets, P, delta, values, k0, tau)
    return BinnedDensity(lo, delta, values, bound, zmin, zmax, estimate)


def _local_error(counts, table, offsets, P, delta, values, k0, tau):
    """Local error estimate of the gaussian grid: the global bound with ``sup |∂_ii K|``
    replaced by the data's own second derivatives, ``(counts ⊛ E) / 4`` with ``E`` the
    largest ``Σ_i δ_i^2 |∂_ii k|`` within three cells, plus the FFT's rounding."""
    from scipy.ndimage import maximum_filter
    from scipy.signal import fftconvolve

    po = offsets @ P
    curv = table * np.sum(delta**2 * np.abs(po**2 - np.diag(P)), axis=-1)
    envelope = maximum_filter(curv, size=7, mode="constant")
    local = fftconvolve(counts, envelope, mode="full") * (k0 / 4.0)
    floor = 1e-13 * float(values.max()) + k0 * np.exp(-0.5 * tau**2)
    return np.maximum(local, 0.0) + floor


@dataclass(frozen=True)
class KernelSums:
    """A fitted :class:`~densitykit.KernelDensity` as the binned evaluator sees it (the
    estimator hands it over): the data rows and their probabilities, the bandwidth, the
    kernel, and the exact evaluator for the queries the grid cannot answer."""

    rows: np.ndarray  # (n, d), the rows of positive weight
    probs: np.ndarray | None  # their probabilities (None: all equal)
    kind: str  # the bandwidth's shape: 'diag' or 'full'
    factor: np.ndarray  # per-axis bandwidths ('diag') or the lower Cholesky factor ('full')
    center: np.ndarray
    log_const: float  # log of the kernel's peak density in the data's units
    kernel: Kernel
    exact: Callable[..., np.ndarray]  # (queries, rows=None) -> exact log-density


def _binning_frame(kd: KernelSums) -> tuple[np.ndarray, np.ndarray]:
    """Axis scales ``s`` and the map ``M`` (binning coordinates -> kernel units)."""
    if kd.kind == "diag":
        return kd.factor, np.eye(kd.factor.size)
    L = kd.factor
    s = np.sqrt(np.sum(L**2, axis=1))
    return s, np.linalg.solve(L, np.diag(s))


def _fitted_grid(kd: KernelSums, compiled: bool | None = None,
                 local: bool = True) -> tuple[BinnedDensity, np.ndarray]:
    d = kd.rows.shape[1]
    if d > 2:
        raise DataError(
            f"The binned evaluator and grid() work in 1-D and 2-D; the model has {d} "
            "features. Use algorithm='exact' (or 'auto') for score_samples."
        )
    s, M = _binning_frame(kd)
    grid = binned_density(kd.rows, kd.probs, kd.kernel, M, kd.log_const, kd.center, s,
                          compiled=compiled, local=local)
    return grid, s


def binned_log_density(kd: KernelSums, X: np.ndarray, compiled: bool | None = None
                       ) -> np.ndarray:
    """Log-density of ``X`` by the binned evaluator, exact where the grid cannot vouch.

    A query is answered from the grid when its binned density exceeds ``LOCAL_FACTOR`` times
    the local error estimate (gaussian: relative error below 1e-3) or, for other kernels,
    the global bound; otherwise exactly. In 1-D, a query beyond the data
    needs only the rows within 10 bandwidths of the data's end (farther rows weigh less than
    ``exp(-50)`` times the nearest one; 50 bandwidths for the exponential kernel), which
    keeps far queries cheap.
    """
    grid, s = _fitted_grid(kd, compiled)
    Z = (X - kd.center) / s
    vals, inside = grid.interpolate(Z)
    limit = grid.bound if grid.local is None else LOCAL_FACTOR * grid.local_at(Z)
    good = inside & (vals > limit)
    out = np.empty(X.shape[0])
    out[good] = np.log(vals[good])
    bad = ~good
    if not bad.any():
        return out
    if X.shape[1] == 1 and kd.kind == "diag":
        _tails_1d(kd, X[:, 0], bad, out, grid.zmin[0] * s[0] + kd.center[0],
                  grid.zmax[0] * s[0] + kd.center[0], compiled)
    if bad.any():
        out[bad] = kd.exact(X[bad])
    return out


def _reach_1d(kernel: Kernel, h: float, a: np.ndarray) -> np.ndarray:
    """Distance from a query beyond which rows weigh < exp(-50) x the nearest row, given
    that some row lies within ``a`` of the query."""
    if np.isfinite(kernel.support):
        return np.full_like(a, h * kernel.support)
    if kernel.name == "gaussian":
        return np.sqrt(a**2 + 100.0 * h**2)
    return a + 50.0 * h


def _tails_1d(kd: KernelSums, x: np.ndarray, bad: np.ndarray, out: np.ndarray, lo_x: float,
              hi_x: float, compiled: bool | None = None) -> None:
    """Exact log-densities of the ``bad`` queries nearer an end of the data, summing only
    the rows that can matter (those within :func:`_reach_1d` of a query).

    Per end, the rows within reach of any query are sorted by their depth from the end and
    each query sums the shallowest rows it needs (the compiled loop: exactly those; NumPy:
    groups of queries over the deepest need in the group). Far queries reach few rows, so
    they cost little.
    """
    kernel, h = kd.kernel, float(kd.factor[0])
    data = kd.rows[:, 0]
    mid = 0.5 * (lo_x + hi_x)
    for left in (True, False):
        idx = np.flatnonzero(bad & (x <= mid) if left else bad & (x > mid))
        if idx.size == 0:
            continue
        q = x[idx]
        end = lo_x if left else hi_x
        reach = _reach_1d(kernel, h, np.abs(q - end))
        need = (q + reach - lo_x) if left else (hi_x - (q - reach))  # depth from the end
        depth = float(np.max(need))
        near = np.flatnonzero(data <= lo_x + depth if left else data >= hi_x - depth)
        t = np.abs(data[near] - end)
        order = np.argsort(t, kind="stable")
        near, t = near[order], t[order]
        counts = np.searchsorted(t, need, side="right")
        by_need = np.argsort(counts, kind="stable")
        groups = np.array_split(by_need, -(-idx.size // _TAIL_GROUP))
        # NumPy: each group sums the deepest need in it; the compiled loop: each its own
        numpy_terms = sum(g.size * int(counts[g].max()) for g in groups)
        extra = numpy_extra_seconds(kernel, numpy_terms, float(counts.sum()))
        if use_compiled(compiled, extra) and kernel.compiled:
            logw = (np.full(near.size, -np.log(data.size)) if kd.probs is None
                    else np.log(kd.probs[near]))
            out[idx] = _compiled.prefix_log_sums_1d(
                q, np.ascontiguousarray(data[near]), logw, counts, 1.0 / h,
                kernel.code) + kd.log_const
        else:
            for group in groups:
                rows = near[: int(counts[group].max())]
                out[idx[group]] = kd.exact(q[group][:, None], rows)
        bad[idx] = False


def density_grid(kd: KernelSums, n_points: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Regular plotting grid over the data and the density on it (see ``KernelDensity.grid``)."""
    d = kd.rows.shape[1]
    grid, s = _fitted_grid(kd, local=False)
    kernel = kd.kernel
    n = n_points if n_points is not None else (1024 if d == 1 else 128)
    sizes = np.broadcast_to(np.asarray(n), (d,)).astype(np.int64)
    if np.any(sizes < 2):
        raise ParameterError(f"n_points must be at least 2 per axis; got {n!r}.")
    reach = min(_cut_radius(kernel), 3.0 if kernel.name == "gaussian" else 6.0)
    _, M = _binning_frame(kd)
    half = reach * np.sqrt(np.diag(np.linalg.inv(M.T @ M)))
    lo, hi = grid.zmin - half, grid.zmax + half
    axes = [np.linspace(a, b, int(m)) for a, b, m in zip(lo, hi, sizes)]
    pts = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, d)
    dens, _ = grid.interpolate(pts)
    X = pts * s + kd.center
    return (X[:, 0] if d == 1 else X), np.maximum(dens, 0.0)
