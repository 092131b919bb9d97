"""The sufficient-statistics EM engine for Gaussian mixtures.

One pass over the data is a sum of per-block statistics (:class:`Stats`), so blocks can come
from memory, a file stream or Dask chunks; :func:`m_step` turns summed statistics into new
parameters and :func:`run_em` is the one EM loop. The engine works in a *work space*
``z = (x - shift) / scale`` (a centring and a power-of-two scale, see :class:`Workspace`) so
that the one-pass moment formulas stay accurate whatever the units of the data.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from .. import exceptions
from .._linalg import logsumexp_columns, upper_indices
from .._parallel import available_cores, each, thread_pool
from ..exceptions import FitError
from ._covariance import CovarianceType
from ._missing import (
    CacheBudget,
    MissingRows,
    correct,
    missing_log_prob,
    missing_rows,
    missing_stats,
    worst_row,
)

__all__ = [
    "EMResult",
    "InMemoryData",
    "Params",
    "Stats",
    "Workspace",
    "block_rows",
    "block_stats",
    "hard_stats",
    "in_memory_stats",
    "iter_blocks",
    "log_prob_blocks",
    "m_step",
    "map_blocks",
    "run_em",
    "sum_stats",
]

_LOG_2PI = math.log(2.0 * math.pi)
_EPS10 = 10.0 * np.finfo(np.float64).eps
_BLOCK_BYTES = 1 << 22  # aim for ~4 MB of per-block temporaries (cache friendly)
_MISSING_ROWS = 4096  # rows with empty cells per part (parts run on the thread pool)
#: features the parts of rows with empty cells keep between EM iterations, all together
_MISSING_CACHE_BYTES = 1 << 28
#: complete rows fewer than 1/_FEW_COMPLETE of those with empty cells go with them
_FEW_COMPLETE = 16


@dataclass
class Params:
    """Mixture parameters (in work space while fitting, in user units on the estimator).

    ``log_weights``, when given, replaces ``log(weights)`` in the E-step: a variational
    mixture's expected log weights plus its per-component constants, which need not be the
    logarithms of proportions that sum to one.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    precisions_cholesky: np.ndarray
    log_weights: np.ndarray | None = None


@dataclass
class Stats:
    """Additive sufficient statistics of a set of rows under given parameters.

    ``nk`` are the summed (weighted) responsibilities, ``s1`` the responsibility-weighted sums
    of rows, ``s2`` the second moments in the covariance type's shape, ``loglik`` the weighted
    log-likelihood and ``weight`` the total row weight. ``worst_ll``/``worst_z`` keep the worst
    fitted row, used to re-seed a component that collapses; parts that find theirs only
    then (it costs a pass over their rows) put a function returning ``(ll, z)`` in
    ``worst_later`` instead (``worst_ll`` is then ``inf``). :meth:`worst` finds the row.
    """

    nk: np.ndarray
    s1: np.ndarray
    s2: np.ndarray
    loglik: float
    weight: float
    worst_ll: float
    worst_z: np.ndarray | None
    worst_later: tuple[Callable[[], tuple[float, np.ndarray]], ...] = ()

    def __add__(self, other: Stats) -> Stats:
        worst = self if self.worst_ll <= other.worst_ll else other
        return Stats(
            self.nk + other.nk,
            self.s1 + other.s1,
            self.s2 + other.s2,
            self.loglik + other.loglik,
            self.weight + other.weight,
            worst.worst_ll,
            worst.worst_z,
            self.worst_later + other.worst_later,
        )

    def worst(self) -> tuple[float, np.ndarray]:
        """The worst-fitted row's log-likelihood and the row (work space)."""
        found = [(self.worst_ll, self.worst_z)] + [find() for find in self.worst_later]
        return min((c for c in found if c[1] is not None), key=lambda c: c[0],
                   default=found[0])


@dataclass(frozen=True)
class Workspace:
    """Affine map ``z = (x - shift) / scale`` with ``scale`` a power of two (exact)."""

    shift: np.ndarray
    scale: float

    @classmethod
    def from_data(cls, X: np.ndarray, w: np.ndarray | None = None) -> Workspace:
        """Centre at the (weighted) mean; scale by a power of two near the RMS spread.

        Two passes block by block, so no temporary the size of ``X`` is made. Empty cells
        (NaN) are left out: each column's mean and variance come from its observed cells."""
        if has_nan(X):
            return cls._from_observed(X, w)
        n, d = X.shape
        rows = block_rows(d)
        total = float(n if w is None else w.sum())
        shift = np.zeros(d)
        for sl in iter_blocks(n, rows):
            shift += X[sl].sum(0) if w is None else w[sl] @ X[sl]
        shift /= total
        var = 0.0
        for sl in iter_blocks(n, rows):
            sq = np.subtract(X[sl], shift, dtype=np.float64) ** 2
            var += float(sq.sum() if w is None else (w[sl] @ sq).sum())
        var /= total * d
        scale = 2.0 ** round(math.log2(math.sqrt(var))) if var > 0 else 1.0
        return cls(shift, float(scale))

    @classmethod
    def _from_observed(cls, X: np.ndarray, w: np.ndarray | None) -> Workspace:
        obs = ~np.isnan(X)
        wt = np.ones(X.shape[0]) if w is None else w
        count = wt @ obs
        shift = (wt @ np.where(obs, X, 0.0)) / count
        sq = np.where(obs, X - shift, 0.0) ** 2
        var = float(np.mean((wt @ sq) / count))
        scale = 2.0 ** round(math.log2(math.sqrt(var))) if var > 0 else 1.0
        return cls(shift, float(scale))

    def missing(self, X: np.ndarray, w: np.ndarray | None = None) -> MissingRows:
        """Rows of ``X`` with empty cells, grouped by pattern, in work space."""
        return missing_rows(X, w, self.shift, self.scale)

    def block(self, Xb: np.ndarray, dtype: type = np.float64) -> np.ndarray:
        """Transposed work-space block ``(D, B)``, centred in float64, then in ``dtype``."""
        zt = np.subtract(Xb.T, self.shift[:, None], dtype=np.float64, order="C")
        if self.scale != 1.0:
            zt *= 1.0 / self.scale
        return zt if dtype == np.float64 else zt.astype(dtype)

    def to_user(self, p: Params) -> Params:
        s = self.scale
        return Params(p.weights, p.means * s + self.shift, p.covariances * s**2,
                      p.precisions_cholesky / s)

    def from_user(self, p: Params) -> Params:
        s = self.scale
        return Params(p.weights, (p.means - self.shift) / s, p.covariances / s**2,
                      p.precisions_cholesky * s)

    def log_jacobian(self, d: int) -> float:
        """``log |dz/dx|``: add to a work-space log-density to get it in user units."""
        return -d * math.log(self.scale)


class InMemoryData:
    """Rows held in memory, seen block by block in work space.

    Data up to ``cache_bytes`` is transformed once and kept (EM and k-means pass over it
    many times); larger data is transformed one block at a time, so the extra memory stays
    at a few blocks whatever the size of ``X``.

    Rows with empty cells (NaN) are kept apart, grouped by pattern (``missing``, in parts
    that keep at most ``_MISSING_CACHE_BYTES`` of features between them); the rows
    with none are ``complete``, which EM passes over exactly as when nothing is empty
    (unless they are too few to be worth a pass of their own: they then go with the others,
    as rows with no empty cell).
    ``X`` itself is then a copy with every empty cell set to its column's mean (zero in
    work space): the initialisations run on it.

    ``dtype=np.float32`` holds the complete rows' blocks and features in single precision:
    the E-step's matrix products then run in float32 (twice the rate, half the memory
    traffic) while every block's statistics are summed in float64 (:func:`block_stats`).
    The rows are centred in float64 first, so no digit of the data's offset is lost.
    """

    def __init__(self, X: np.ndarray, w: np.ndarray | None, ws: Workspace,
                 cache_bytes: int = 1 << 26, dtype: type = np.float64):
        self.dtype = np.dtype(dtype).type
        self.missing: list[MissingRows] | None = None
        self.complete: InMemoryData = self
        empty = np.isnan(X).any(1) if has_nan(X) else None
        if empty is not None:
            if (~empty).sum() * _FEW_COMPLETE < empty.sum():
                empty[:] = True
            idx = np.flatnonzero(empty)
            self.missing = [ws.missing(X[part], None if w is None else w[part])
                            for part in np.array_split(idx, -(-idx.size // _MISSING_ROWS))]
            budget = CacheBudget(_MISSING_CACHE_BYTES)
            for rows in self.missing:
                rows.budget = budget
            full = ~empty
            self.complete = InMemoryData(X[full], None if w is None else w[full], ws,
                                         cache_bytes, dtype)
            X = np.where(np.isnan(X), ws.shift, X)
        self.X, self.w, self.ws = X, w, ws
        self.n, self.d = X.shape
        self._budget = cache_bytes
        size = np.dtype(dtype).itemsize
        self._zt = ws.block(X, dtype) if self.n * self.d * size <= cache_bytes // 2 else None
        self._features: dict[str, object] = {}

    def zt(self, sl: slice) -> np.ndarray:
        """Transposed work-space block ``(D, B)`` of the rows ``sl``."""
        return (self._zt[:, sl] if self._zt is not None
                else self.ws.block(self.X[sl], self.dtype))

    def block(self, sl: slice, ctype: CovarianceType) -> tuple[np.ndarray, object]:
        """A block and its features for ``ctype`` (cached with the block when small)."""
        zt = self.zt(sl)
        size = np.dtype(self.dtype).itemsize
        if self._zt is None or self.n * ctype.features(self.d) * size > self._budget // 2:
            return zt, ctype.block_features(zt)
        if ctype.name not in self._features:
            self._features[ctype.name] = ctype.block_features(self._zt)
        q = self._features[ctype.name]
        return zt, (None if q is None else q[..., sl])

    def weights(self, sl: slice) -> np.ndarray | None:
        return None if self.w is None else self.w[sl]

    def fixed_moment(self, sl: slice, ctype: CovarianceType) -> np.ndarray | None:
        """The second moment of the rows ``sl`` where the parameters do not change it, kept
        with the cached block: tied, ``sum_n w_n z_n z_n'`` (the responsibilities enter it
        only through their sum over components, the row weights); ``None`` otherwise, and
        where the ``D x D`` result would not be small beside the block."""
        rows = sl.stop - sl.start
        if ctype.name != "tied" or self._zt is None or 8 * self.d > rows:
            return None
        key = ("_moment", sl.start, sl.stop)
        if key not in self._features:
            w = np.ones(rows) if self.w is None else self.w[sl]
            self._features[key] = np.asarray(ctype.second_moment(self.zt(sl), None, w[None]),
                                             dtype=np.float64)
        return self._features[key]

    def sqnorms(self, sl: slice) -> np.ndarray:
        """Squared norms of the work-space rows ``sl`` (cached with the data when small)."""
        if self._zt is None:
            zt = self.zt(sl)
            return np.einsum("db,db->b", zt, zt)
        if "_sqnorms" not in self._features:
            self._features["_sqnorms"] = np.einsum("db,db->b", self._zt, self._zt)
        return self._features["_sqnorms"][sl]


def has_nan(X: np.ndarray) -> bool:
    """Whether ``X`` has an empty cell, in one pass with no temporary (NaN propagates
    through ``min``)."""
    return bool(X.size) and bool(np.isnan(X.min()))


def block_rows(width: int) -> int:
    """Rows per block so that a block's temporaries (``width`` floats a row) stay near a few
    megabytes: small enough for the cache, large enough for efficient matrix products."""
    rows = _BLOCK_BYTES // (8 * max(width, 1))
    return int(min(max(256, 1 << max(rows.bit_length() - 1, 0)), 16384))


def iter_blocks(n: int, rows: int) -> Iterator[slice]:
    if n <= 2 * rows:  # a couple of blocks cost more in overhead than they save in cache
        rows = max(n, 1)
    for start in range(0, n, rows):
        yield slice(start, min(start + rows, n))


def map_blocks(fn: Callable[[slice], object], n: int, rows: int) -> list:
    """Apply ``fn`` to every block slice; threads share the blocks when there are several.

    Call it inside ``blas_single_threaded()`` (``densitykit._parallel``): the cores then work
    on different blocks instead of spinning over one small matrix product (multi-threaded
    BLAS on small blocks is several times slower on a busy machine).
    """
    slices = list(iter_blocks(n, rows))
    if len(slices) < 4 or available_cores() < 2:
        return [fn(s) for s in slices]
    return list(thread_pool().map(fn, slices))


def log_prob_t(ZT: np.ndarray, Q, params: Params, ctype: CovarianceType, prep) -> np.ndarray:
    """Weighted log-densities ``log w_k + log N(z | k)`` of a transposed block: ``(K, B)``."""
    d = ZT.shape[0]
    lp = ctype.maha_t(ZT, Q, prep)
    lp *= -0.5
    log_w = np.log(params.weights) if params.log_weights is None else params.log_weights
    offset = ctype.log_det(params.precisions_cholesky, d) - 0.5 * d * _LOG_2PI + log_w
    lp += offset[:, None]
    return lp


def block_stats(ZT: np.ndarray, Q, w: np.ndarray | None, params: Params,
                ctype: CovarianceType, prep, s2: np.ndarray | None = None) -> Stats:
    """E-step of one block: statistics of the rows ``ZT`` (``D x B``, features ``Q``) with
    row weights ``w``; ``s2``, when given, is the block's second moment, known beforehand
    (``InMemoryData.fixed_moment``). A float32 block (with ``prep`` in float32) is computed
    in single precision and its statistics returned in float64, so the sums over blocks are
    float64."""
    lse, RT = logsumexp_columns(log_prob_t(ZT, Q, params, ctype, prep))
    if w is not None:
        RT *= w
        loglik = float(lse @ w)
    else:
        loglik = float(lse.sum(dtype=np.float64))
    i = int(np.argmin(lse))
    f64 = np.float64
    return Stats(
        RT.sum(1, dtype=f64), (RT @ ZT.T).astype(f64, copy=False),
        np.asarray(ctype.second_moment(ZT, Q, RT) if s2 is None else s2, dtype=f64), loglik,
        float(ZT.shape[1] if w is None else w.sum()), float(lse[i]), ZT[:, i].astype(f64),
    )


def hard_stats(ZT: np.ndarray, w: np.ndarray | None, labels: np.ndarray, k: int,
               ctype: CovarianceType) -> Stats:
    """Statistics of a block for given hard labels (used to initialise from a clustering)."""
    RT = np.zeros((k, ZT.shape[1]))
    RT[labels, np.arange(ZT.shape[1])] = 1.0 if w is None else w
    return Stats(RT.sum(1), RT @ ZT.T, ctype.second_moment(ZT, ctype.block_features(ZT), RT), 0.0,
                 float(RT.sum()), np.inf, ZT[:, 0].copy())


def log_prob_blocks(X: np.ndarray, ws: Workspace, params: Params, ctype: CovarianceType,
                    *, resp: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-row log-likelihood (user units) and, if asked, responsibilities ``(N, K)``."""
    n, d = X.shape
    k = params.weights.shape[0]
    if has_nan(X):
        return _log_prob_with_empty(X, np.isnan(X).any(1), ws, params, ctype, resp=resp)
    prep = ctype.prepare(params.means, params.precisions_cholesky)
    out = np.empty(n)
    R = np.empty((n, k)) if resp else None

    def one(sl: slice) -> None:
        zt = ws.block(X[sl])
        lse, RT = logsumexp_columns(log_prob_t(zt, ctype.block_features(zt), params, ctype, prep))
        out[sl] = lse
        if R is not None:
            R[sl] = RT.T

    map_blocks(one, n, block_rows(ctype.width(d, k)))
    out += ws.log_jacobian(d)
    return out, R


def _log_prob_with_empty(X, empty, ws, params, ctype, *, resp):
    """:func:`log_prob_blocks` of rows some of which have empty cells: those rows score by
    the density of their observed cells (a row with none scores 0, the log of the integral
    of a density, and its responsibilities are the weights)."""
    n, k = X.shape[0], params.weights.shape[0]
    out = np.empty(n)
    R = np.empty((n, k)) if resp else None
    full = np.flatnonzero(~empty)
    if full.size:
        out[full], rf = log_prob_blocks(X[full], ws, params, ctype, resp=resp)
        if R is not None:
            R[full] = rf
    idx = np.flatnonzero(empty)
    for start in range(0, idx.size, 8192):  # bounded temporaries: (K, rows) per part
        part = idx[start : start + 8192]
        rows = ws.missing(X[part])
        lse, RT = logsumexp_columns(missing_lp(rows, params, ctype))
        dest = part[rows.order]
        out[dest] = lse + rows.offset + ws.log_jacobian(X.shape[1])
        out[dest[rows.obs.sum(1) == 0]] = 0.0  # the integral of a density, not round-off
        if R is not None:
            R[dest] = RT.T
    return out, R


# --- M-step ------------------------------------------------------------------------------
def _reseed(stats: Stats, empty: np.ndarray, ctype: CovarianceType) -> Stats:
    """Move empty components onto the worst-fitted row with a tiny weight."""
    nk, s1, s2 = stats.nk.copy(), stats.s1.copy(), stats.s2.copy()
    tiny = max(stats.weight * 1e-6, _EPS10)
    z = stats.worst()[1]
    nk[empty] = tiny
    s1[empty] = tiny * z
    # the second moment of a point mass: the regulariser then gives it a small round shape
    if ctype.name == "full":
        iu, ju = upper_indices(z.shape[0])
        s2[:, empty] = (tiny * z[iu] * z[ju])[:, None]
    elif ctype.name == "diag":
        s2[empty] = tiny * z**2
    elif ctype.name == "spherical":
        s2[empty] = tiny * float(z @ z)
    return replace(stats, nk=nk, s1=s1, s2=s2)


def m_step(stats: Stats, ctype: CovarianceType, reg: float, *, reseed: bool = True) -> Params:
    """New parameters from summed statistics, with regularisation ``reg`` (work units; a
    number, or one per column) added to the covariances' diagonals.

    A component with no weight left is re-seeded at the worst-fitted row; a covariance that is
    not positive definite gets more regularisation. Both warn with what happened.
    """
    empty = stats.nk < max(stats.weight * 1e-12, _EPS10)
    if reseed and empty.any() and not empty.all():
        warnings.warn(
            f"Gaussian mixture component(s) {np.flatnonzero(empty).tolist()} lost all their "
            "points and were re-seeded at the worst-fitted row. Consider fewer components.",
            exceptions.ConvergenceWarning, stacklevel=exceptions.user_stacklevel())
        stats = _reseed(stats, empty, ctype)
    nk = stats.nk + _EPS10
    means = stats.s1 / nk[:, None]
    weights = nk / nk.sum()
    for attempt in range(8):
        cov = ctype.covariances(stats.s2, nk, means, reg)
        pc = ctype.prec_chol(cov) if np.all(np.isfinite(cov)) else None
        if pc is not None and np.all(np.isfinite(pc)):
            if attempt:
                warnings.warn(
                    f"A covariance was singular (collapsed or duplicated data); regularisation "
                    f"was raised to {np.max(reg):.3g} (in units of the data's scale squared) "
                    "to fit it. "
                    "Consider fewer components, a larger reg_covar, or removing duplicated "
                    "columns.", exceptions.ConvergenceWarning,
                    stacklevel=exceptions.user_stacklevel())
            return Params(weights, means, cov, pc)
        reg = np.maximum(reg * 100.0, 1e-10)  # a number, or one per column
    raise FitError(
        "Fitting the mixture failed: some components have an ill-defined covariance (singleton "
        "or collapsed samples) even after raising the regularisation. Decrease the number of "
        "components, increase reg_covar, or scale the input data.")


# --- the EM loop ---------------------------------------------------------------------------
@dataclass
class EMResult:
    params: Params
    lower_bound: float
    n_iter: int
    converged: bool
    lower_bounds: list[float] = field(default_factory=list)


def better_start(res: EMResult, best: EMResult | None) -> bool:
    """Whether the run ``res`` of another start replaces ``best``: a higher lower bound, by
    more than round-off (1e-12 relative), so that two starts reaching one optimum (its
    components in another order) keep the first whatever the blocks' rounding."""
    if best is None:
        return True
    return res.lower_bound > best.lower_bound + 1e-12 * max(1.0, abs(best.lower_bound))


def run_em(stats_fn: Callable[[Params], Stats], params: Params, ctype: CovarianceType, *,
           reg: float, tol: float, max_iter: int, lower_bound: float = -np.inf,
           callback: Callable[[int, float], None] | None = None,
           update: Callable[[Stats, Params], tuple[Params, float]] | None = None,
           accelerate: bool = False) -> EMResult:
    """The EM loop, written once: ``stats_fn(params)`` sums block statistics over the data.

    The lower bound is the mean log-likelihood of the parameters before each M-step (the
    same convention as scikit-learn); iteration stops when it changes by less than ``tol``
    from the previous one, the first time from ``lower_bound`` (a warm start passes the
    previous fit's). ``max_iter=0`` returns ``params`` unchanged with a lower bound of -inf.

    ``update(stats, params) -> (new_params, lower_bound)`` replaces the M-step and the lower
    bound (variational mixtures pass their own; ``params`` is then whatever state it and
    ``stats_fn`` share).

    ``accelerate`` runs :func:`_squarem` instead (maximum likelihood only): the same fixed
    point in fewer passes over the data.
    """
    if accelerate and update is None and max_iter > 0:
        return _squarem(stats_fn, params, ctype, reg=reg, tol=tol, max_iter=max_iter,
                        lower_bound=lower_bound, callback=callback)
    lower_bounds: list[float] = []
    converged = False
    n_iter = 0
    if max_iter == 0:
        lower_bound = -np.inf
    for n_iter in range(1, max_iter + 1):
        prev = lower_bound
        stats = stats_fn(params)
        if update is None:
            params = m_step(stats, ctype, reg)
            lower_bound = stats.loglik / stats.weight
        else:
            params, lower_bound = update(stats, params)
        del stats  # its worst row's finder holds the pass's responsibilities
        lower_bounds.append(lower_bound)
        if callback is not None:
            callback(n_iter, lower_bound)
        if not np.isfinite(lower_bound):
            raise FitError(
                "The log-likelihood became infinite or NaN during EM; the data may hold extreme "
                "values or exact duplicates. Scale the data or increase reg_covar.")
        if abs(lower_bound - prev) < tol:
            converged = True
            break
    return EMResult(params, lower_bound, n_iter, converged, lower_bounds)


class _Passes:
    """E-steps counted against ``max_iter``, each lower bound recorded and checked."""

    def __init__(self, stats_fn, max_iter: int, callback) -> None:
        self.stats_fn, self.max_iter, self.callback = stats_fn, max_iter, callback
        self.lower_bounds: list[float] = []
        self.last: Stats | None = None

    @property
    def left(self) -> int:
        return self.max_iter - len(self.lower_bounds)

    def __call__(self, params: Params) -> tuple[Stats, float]:
        if self.last is not None:  # the last pass's worst-row finder holds its responsibilities
            self.last.worst_later = ()
        stats = self.last = self.stats_fn(params)
        lb = stats.loglik / stats.weight
        self.lower_bounds.append(lb)
        if self.callback is not None:
            self.callback(len(self.lower_bounds), lb)
        if not np.isfinite(lb):
            raise FitError(
                "The log-likelihood became infinite or NaN during EM; the data may hold extreme "
                "values or exact duplicates. Scale the data or increase reg_covar.")
        return stats, lb


def _squarem(stats_fn, params: Params, ctype: CovarianceType, *, reg: float, tol: float,
             max_iter: int, lower_bound: float, callback) -> EMResult:
    """EM accelerated by SQUAREM (Varadhan and Roland 2008, the S3 step length).

    A cycle takes two EM steps ``p1 = F(p0)``, ``p2 = F(p1)``, then jumps along
    ``r = p1 - p0``, ``v = p2 - 2 p1 + p0`` to ``p0 - 2 a r + a^2 v`` with
    ``a = -|r| / |v|`` (``a = -1`` is ``p2``, plain EM), at most ``longest`` long (1 at
    first, 4 times more each time it is reached, 4 times less after a rejection). The jump
    stays on valid parameters (see :func:`_extrapolate`) and is kept only if its
    log-likelihood is at least that of ``p1``; else the cycle goes on from ``p2``, so the
    likelihood of the points EM continues from never decreases. Convergence is
    tested as in plain EM, on the change over one plain step, so the fixed point is the same;
    ``max_iter`` counts E-steps (passes over the data), each one's lower bound is recorded.
    """
    step = _Passes(stats_fn, max_iter, callback)
    prev, plain = lower_bound, True
    longest = 1.0  # the longest step allowed: grows 4x when reached, shrinks on a rejection

    def result(p: Params, lb: float, converged: bool) -> EMResult:
        return EMResult(p, lb, len(step.lower_bounds), converged, step.lower_bounds)

    while True:
        stats, lb0 = step(params)
        p1 = m_step(stats, ctype, reg)
        if plain and abs(lb0 - prev) < tol:
            return result(p1, lb0, True)
        if step.left <= 0:
            return result(p1, lb0, False)
        stats, lb1 = step(p1)
        p2 = m_step(stats, ctype, reg)
        if abs(lb1 - lb0) < tol:
            return result(p2, lb1, True)
        jump, length = (_extrapolate(params, p1, p2, ctype, longest) if step.left > 0
                        else (None, 1.0))
        if length >= longest:
            longest *= 4.0
        if jump is None:
            params, prev, plain = p2, lb1, True
            if step.left <= 0:
                return result(p2, lb1, False)
            continue
        stats, lbx = step(jump)
        if lbx < lb1:  # the safeguard: back to plain EM from p2
            params, prev, plain = p2, lb1, True
            longest = max(1.0, longest / 4.0)
            if step.left <= 0:
                return result(p2, lb1, False)
            continue
        params, prev, plain = m_step(stats, ctype, reg), lbx, True
        if step.left <= 0:
            return result(params, lbx, False)


def _extrapolate(p0: Params, p1: Params, p2: Params, ctype: CovarianceType,
                 longest: float) -> tuple[Params | None, float]:
    """The SQUAREM jump from ``p0`` through ``p1``, ``p2`` with a step length of at most
    ``longest``, and the length asked for (``None``: take ``p2``).

    The jump is taken in coordinates where every point is valid: log weights (renormalised),
    means, and the covariances' Cholesky factors (square roots for diag and spherical), so
    a jump fails only if a factor becomes singular; it is then halved towards plain EM."""
    square = ctype.name in ("diag", "spherical")
    # lengths in units of p0's spread, so that the jump does not depend on the data's units
    unit = math.sqrt(float(np.mean(p0.covariances if square else
                                   np.diagonal(p0.covariances, axis1=-2, axis2=-1))))
    parts = [(np.log(p.weights), p.means / unit,
              (np.sqrt(p.covariances) if square else np.linalg.cholesky(p.covariances)) / unit)
             for p in (p0, p1, p2)]
    r = [b - a for a, b in zip(parts[0], parts[1])]
    v = [c - 2.0 * b + a for a, b, c in zip(*parts)]
    rr = sum(float(np.vdot(x, x)) for x in r)
    vv = sum(float(np.vdot(x, x)) for x in v)
    if not (vv > 0.0 and rr > 0.0):
        return None, 1.0
    length = math.sqrt(rr / vv)
    alpha = -min(length, longest)
    while alpha < -1.0 - 1e-3:
        logw, mu, factor = (x0 - 2.0 * alpha * dr + alpha**2 * dv
                            for x0, dr, dv in zip(parts[0], r, v))
        mu = mu * unit
        factor = factor * unit
        cov = factor**2 if square else factor @ np.swapaxes(factor, -1, -2)
        pc = ctype.prec_chol(cov) if np.all(np.isfinite(cov)) else None
        if pc is not None and np.all(np.isfinite(pc)) and np.all(np.isfinite(logw)):
            w = np.exp(logw - logw.max())
            return Params(w / w.sum(), mu, cov, pc), length
        alpha = 0.5 * (alpha - 1.0)
    return None, length


def in_memory_stats(data: InMemoryData, ctype: CovarianceType) -> Callable[[Params], Stats]:
    """``stats_fn`` for :func:`run_em` over in-memory data, block by block."""

    full, missing = data.complete, data.missing

    def stats_fn(params: Params) -> Stats:
        parts = []
        if full.n:
            prep = ctype.prepare(params.means, params.precisions_cholesky)
            width = ctype.width(full.d, params.weights.shape[0])
            if full.dtype != np.float64:
                prep = tuple(np.asarray(a, dtype=full.dtype) for a in prep)
                # longer blocks: float32 rows take half the bytes, and the single-precision
                # products reach their rate only on longer blocks (8,192 rows measured 1.4x
                # faster per pass than 2,048 on 1,000,000 x 20, K=10; float64 gains nothing)
                width //= 4
            rows = block_rows(width)
            parts = map_blocks(
                lambda sl: block_stats(*full.block(sl, ctype), full.weights(sl), params, ctype,
                                       prep, full.fixed_moment(sl, ctype)),
                full.n, rows)
        if missing is not None:
            prep = ctype.prepare(params.means, params.precisions_cholesky)
            parts += each(lambda m: _missing_block_stats(m, params, ctype, prep), missing)
        return sum_stats(parts)

    return stats_fn


def _missing_block_stats(rows: MissingRows, params: Params, ctype: CovarianceType,
                         prep) -> Stats:
    """E-step statistics of rows with empty cells: the complete-data pass over the rows with
    zeros in their empty cells, corrected row by row for what the zeros stand for (the
    compiled path); the NumPy pattern path where that is not available. Under a shared
    precision the rows' log-likelihoods come without their ``-z0' P z0 / 2``
    (:func:`correct`): the total takes it from the Gram matrix, and the worst row is found
    only if a component collapses."""
    ZT, Q = rows.block(ctype)
    out = correct(rows, params, ctype, lambda: log_prob_t(ZT, Q, params, ctype, prep),
                  fused=True)
    if out is None:
        return missing_stats(rows, params, ctype, Stats)
    RT, lse, s1, s2, shared = out
    lse += rows.offset
    loglik = float(lse.sum() if rows.w is None else lse @ rows.w)
    stats = Stats(RT.sum(1), RT @ ZT.T + s1, rows.second_moment(ctype, Q, RT) + s2, loglik,
                  float(rows.n if rows.w is None else rows.w.sum()), math.inf, None)
    if shared is None:
        stats.worst_ll, stats.worst_z = worst_row(rows, lse, RT, params.means)
        return stats
    stats.loglik -= 0.5 * float(np.vdot(shared, rows.gram()))
    stats.worst_later = (
        lambda: worst_row(rows, lse - 0.5 * rows.quad(shared), RT, params.means),)
    return stats


def missing_lp(rows: MissingRows, params: Params, ctype: CovarianceType) -> np.ndarray:
    """``log w_k + log N(x_o | k)`` of rows with empty cells, ``(K, N)`` in work space."""
    ZT, Q = rows.block(ctype)
    prep = ctype.prepare(params.means, params.precisions_cholesky)
    lp = correct(rows, params, ctype, lambda: log_prob_t(ZT, Q, params, ctype, prep),
                 fused=False)
    return missing_log_prob(rows, params, ctype)[0] if lp is None else lp


def sum_stats(parts: list[Stats]) -> Stats:
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total
