"""The one fit driver of the Gaussian models, over any source of rows.

A fit of a :class:`~densitykit.GaussianMixture` or a :class:`~densitykit.Normal` takes the
same steps wherever its rows are:

1. the options are checked;
2. the source checks its rows and gives their *work space* (a centring and a power-of-two
   scale, :class:`~densitykit.gaussian._engine.Workspace`) and each column's variance;
3. it gives the rows the initialisations draw from (all of them, or a random sample);
4. it gives the E-step over all rows, ``stats_fn(params) -> Stats``;
5. :func:`fit_mixture` runs the starts through the engine's ``run_em``
   (``GaussianMixture._fit_from``) and converts the best back to user units;
   :func:`fit_normal` takes one pass of statistics and one M-step.

Two sources give steps 2 to 4:

- :class:`InMemory`, rows in memory (empty cells allowed), the fast path: its blocks are
  transformed once and cached, and every E-step passes over the cache;
- :class:`Chunked`, rows seen chunk by chunk through a :class:`ChunkSource`: the file stream
  of :mod:`densitykit.scale.stream` or the Dask chunks of :mod:`densitykit.scale.dask`. A
  chunk source supplies the one-pass :class:`Moments` of its rows, the rows with given
  indices (the sample for the initialisation), and the sum of a per-chunk function over all
  chunks. :func:`fit_chunked` is its entry point.

Both paths set the same fitted attributes and, from the same initial parameters, reach the
same result.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

import numpy as np

from .._parallel import blas_single_threaded
from .._validation import check_int, check_random_state
from ..exceptions import DataError, DataTypeError, user_stacklevel
from ._base import check_determined, check_reg_covar, warn_large_reg
from ._covariance import COVARIANCE_TYPES, CovarianceType
from ._engine import (
    InMemoryData,
    Params,
    Stats,
    Workspace,
    block_rows,
    block_stats,
    hard_stats,
    has_nan,
    in_memory_stats,
    iter_blocks,
    m_step,
    map_blocks,
    sum_stats,
)

__all__ = [
    "INIT_SAMPLE",
    "ChunkSource",
    "Chunked",
    "InMemory",
    "Moments",
    "chunk_em_stats",
    "chunk_hard_stats",
    "chunk_moments",
    "fit_chunked",
    "fit_mixture",
    "fit_normal",
    "sum_parts",
]

#: rows pulled to one place for the initialisation (the in-memory k-means subsample size)
INIT_SAMPLE = 200_000

# values beyond this square to overflow (the in-memory check's limit)
_MAX_ABS = 1e150


# --- one-pass moments ----------------------------------------------------------------------
@dataclass
class Moments:
    """Mergeable weighted moments of a set of rows (Chan et al.'s pairwise update).

    ``weight`` is the total row weight, ``mean`` and ``m2`` the weighted mean and the summed
    weighted squared deviations per column; ``lo``/``hi`` the column ranges; ``bad`` counts
    non-finite or huge cells, ``bad_weight`` negative or non-finite weights, ``unit`` whether
    every weight is exactly one.
    """

    n: int
    weight: float
    mean: np.ndarray
    m2: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    bad: int
    bad_weight: int
    unit: bool
    integer: np.ndarray | None = None  # per column: every value a whole number

    def __add__(self, other: Moments) -> Moments:
        a = self if other.weight == 0 else other if self.weight == 0 else None
        if a is not None:
            weight, mean, m2 = a.weight, a.mean, a.m2
        else:
            weight = self.weight + other.weight
            delta = other.mean - self.mean
            mean = self.mean + delta * (other.weight / weight)
            m2 = self.m2 + other.m2 + delta**2 * (self.weight * other.weight / weight)
        integer = (None if self.integer is None or other.integer is None
                   else self.integer & other.integer)
        return Moments(self.n + other.n, weight, mean, m2, np.minimum(self.lo, other.lo),
                       np.maximum(self.hi, other.hi), self.bad + other.bad,
                       self.bad_weight + other.bad_weight, self.unit and other.unit, integer)

    def workspace(self) -> Workspace:
        """The engine's work space (weighted centre, power-of-two scale) from the moments."""
        var = float((self.m2 / self.weight).mean())
        scale = 2.0 ** round(math.log2(math.sqrt(var))) if var > 0 else 1.0
        return Workspace(self.mean.astype(np.float64), float(scale))


def chunk_moments(X: np.ndarray, w: np.ndarray | None) -> Moments:
    """:class:`Moments` of one chunk ``X`` (rows) with optional weights ``w``."""
    X = np.asarray(X)
    n, d = X.shape
    ok = np.isfinite(X)
    if X.dtype.kind == "f" and X.dtype.itemsize > 4:  # smaller types cannot reach the limit
        with np.errstate(invalid="ignore"):
            ok &= np.abs(X) <= _MAX_ABS
    bad = int(n * d - np.count_nonzero(ok))
    if bad:  # the fit is refused; keep the arithmetic below quiet
        X = np.where(ok, X, 0.0)
    if w is None:
        unit, bad_w, wv = True, 0, None
    else:
        w = np.asarray(w, dtype=np.float64)
        ok = np.isfinite(w) & (w >= 0)
        bad_w = int(w.size - np.count_nonzero(ok))
        wv = np.where(ok, w, 0.0)
        unit = bool(np.all(w == 1.0))
    if n == 0:
        z = np.zeros(d)
        return Moments(0, 0.0, z, z.copy(), np.full(d, np.inf), np.full(d, -np.inf), bad,
                       bad_w, unit, np.ones(d, dtype=bool))
    tot = float(n if wv is None else wv.sum())
    if tot > 0:
        mean = np.average(X, axis=0, weights=wv).astype(np.float64)
        dev = np.subtract(X, mean, dtype=np.float64)
        m2 = (dev**2).sum(0) if wv is None else wv @ dev**2
    else:
        mean, m2 = np.zeros(d), np.zeros(d)
    integer = np.all(X == np.round(X), axis=0) if X.dtype.kind == "f" else np.ones(d, bool)
    return Moments(n, tot, mean, m2, X.min(0).astype(np.float64), X.max(0).astype(np.float64),
                   bad, bad_w, unit, integer)


# --- per-chunk statistics (run where the chunk lives) ----------------------------------------
def chunk_em_stats(X: np.ndarray, w: np.ndarray | None, ws: Workspace, params: Params,
                   ctype_name: str, threads: bool = False) -> Stats | None:
    """E-step statistics of one chunk, summed over cache-sized blocks of it.

    ``threads`` lets the engine share the blocks among threads (for a chunk that is the
    only work at hand, as in a file stream); a Dask worker already runs chunks in parallel.
    """
    n, d = X.shape
    if n == 0:
        return None
    ctype = COVARIANCE_TYPES[ctype_name]
    prep = ctype.prepare(params.means, params.precisions_cholesky)

    def one(sl: slice) -> Stats:
        zt = ws.block(X[sl])
        return block_stats(zt, ctype.block_features(zt), None if w is None else w[sl], params,
                           ctype, prep)

    rows = block_rows(ctype.width(d, params.weights.shape[0]))
    parts = map_blocks(one, n, rows) if threads else [one(sl) for sl in iter_blocks(n, rows)]
    return sum_stats(parts)


def chunk_hard_stats(X: np.ndarray, w: np.ndarray | None, ws: Workspace, ctype_name: str,
                     threads: bool = False) -> Stats | None:
    """One-component statistics of a chunk (the pass that fits a :class:`Normal`);
    ``threads`` as in :func:`chunk_em_stats`."""
    n, d = X.shape
    if n == 0:
        return None
    ctype = COVARIANCE_TYPES[ctype_name]
    zeros = np.zeros(n, dtype=np.intp)

    def one(sl: slice) -> Stats:
        return hard_stats(ws.block(X[sl]), None if w is None else w[sl], zeros[sl], 1, ctype)

    rows = block_rows(ctype.width(d, 1))
    parts = map_blocks(one, n, rows) if threads else [one(sl) for sl in iter_blocks(n, rows)]
    return sum_stats(parts)


def sum_parts(parts: list) -> Any:
    """Sum of the parts that are not ``None`` (``None`` if all are)."""
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


# --- the sources: rows in memory, rows in chunks ---------------------------------------------
class InMemory:
    """Rows in memory, checked for a fit of ``est`` (steps 2 to 4 of the module docstring).

    Empty cells (NaN) are allowed; a float32 ``X`` runs the E-step's products in float32.
    """

    def __init__(self, est: Any, X: Any, sample_weight: Any):
        single = getattr(X, "dtype", None) == np.float32
        self.dtype = np.float32 if single else np.float64
        self.X, self.w, self.col_var = est._check_fit_data(X, sample_weight)
        self.ws = Workspace.from_data(self.X, self.w)

    @cached_property
    def has_empty(self) -> bool:
        return has_nan(self.X)

    @cached_property
    def data(self) -> InMemoryData:
        """All rows as cached work-space blocks: the initialisations' rows and the E-step's."""
        return InMemoryData(self.X, self.w, self.ws, dtype=self.dtype)

    def init_rows(self, est: Any) -> InMemoryData:
        return self.data

    def em_stats(self, ctype: CovarianceType) -> Callable[[Params], Stats]:
        return in_memory_stats(self.data, ctype)

    def hard_stats(self, ctype: CovarianceType) -> Stats:
        return chunk_hard_stats(self.X, self.w, self.ws, ctype.name, threads=True)

    def set_features(self, est: Any) -> None:
        """Nothing to do: the checks of ``X`` set ``n_features_in_`` and its names."""


class ChunkSource(Protocol):
    """What a source of rows in chunks supplies (a file stream, Dask chunks)."""

    n_features: int
    feature_names: np.ndarray | None
    weighted: bool  # whether chunks carry weights (set False when every weight is one)
    threads: bool  # whether a chunk's blocks may be shared among threads

    def moments(self) -> Moments: ...

    def rows(self, idx: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]: ...

    def reduce(self, fn: Callable[..., Any], *args: Any) -> Any: ...


class Chunked:
    """A :class:`ChunkSource`, checked for a fit of ``est`` from one pass of its moments
    (steps 2 to 4 of the module docstring); ``where`` names the rows in errors."""

    def __init__(self, est: Any, chunks: ChunkSource, where: str,
                 init_sample: int | None = None):
        est._ctype()
        check_reg_covar(est.reg_covar, auto=est._reg_auto)
        if init_sample is not None:
            init_sample = check_int(init_sample, "init_sample", 1)
        m = chunks.moments()
        _check_moments(est, m, where)
        chunks.weighted = chunks.weighted and not m.unit
        self.chunks, self.moments, self.init_sample = chunks, m, init_sample
        self.has_empty = False  # refused by the checks
        self.ws = m.workspace()
        self.col_var = m.m2 / m.weight

    def init_rows(self, est: Any) -> InMemoryData:
        """None needed for a warm start or given parameters; else every row when they are
        few (then the initialisation is the in-memory one exactly), or a uniform random
        sample of ``init_sample`` rows, pulled to this process."""
        warm = est.warm_start and hasattr(est, "converged_")
        given = all(g is not None for g in (est.weights_init, est.means_init,
                                            est.precisions_init))
        if warm or given:
            return InMemoryData(np.empty((0, self.chunks.n_features)), None, self.ws)
        n = self.moments.n
        rng = check_random_state(est.random_state)
        idx = (None if n <= self.init_sample
               else np.sort(rng.choice(n, self.init_sample, replace=False)))
        X, w = self.chunks.rows(idx)
        return InMemoryData(np.asarray(X), w, self.ws)

    def em_stats(self, ctype: CovarianceType) -> Callable[[Params], Stats]:
        chunks, ws = self.chunks, self.ws

        def stats_fn(params: Params) -> Stats:
            return chunks.reduce(chunk_em_stats, ws, params, ctype.name, chunks.threads)

        return stats_fn

    def hard_stats(self, ctype: CovarianceType) -> Stats:
        return self.chunks.reduce(chunk_hard_stats, self.ws, ctype.name)

    def set_features(self, est: Any) -> None:
        est.n_features_in_ = self.chunks.n_features
        if self.chunks.feature_names is not None:
            est.feature_names_in_ = self.chunks.feature_names
        elif hasattr(est, "feature_names_in_"):
            del est.feature_names_in_


def _check_moments(est: Any, m: Moments | None, where: str) -> None:
    name, min_samples = type(est).__name__, est._min_samples()
    if m is None or m.n < min_samples:
        if m is None:
            raise DataError(f"{where} has no rows; {name} needs at least {min_samples}.")
        got = "1 sample" if m.n == 1 else f"n_samples={m.n}"
        raise DataError(
            f"{name} needs at least {min_samples} samples to fit; got {got}. Provide more "
            "rows or use fewer components.")
    if m.bad:
        raise DataError(
            f"{where} contains {m.bad} NaN, infinite or huge (beyond 1e150) value(s). A "
            "chunked (Dask or streamed) fit does not take empty cells: fit on the rows in "
            "memory (GaussianMixture and Normal fit NumPy data with NaN cells), drop or impute "
            "those rows first, or rescale huge values.")
    if m.bad_weight:
        raise DataError(
            f"sample_weight has {m.bad_weight} negative or non-finite value(s); weights must be "
            "finite and >= 0. Fix or drop those rows.")
    if not m.weight > 0:
        raise DataError("sample_weight sums to zero; at least one row needs a positive weight.")
    const = np.flatnonzero(m.hi - m.lo == 0)
    if const.size and m.n > 1:
        warnings.warn(
            f"Column(s) {const.tolist()[:10]} of X are constant; their variance comes from "
            f"reg_covar={est.reg_covar!r} alone. Drop them if they carry no information.",
            UserWarning, stacklevel=user_stacklevel())
    if est._maximum_likelihood:
        check_determined(est._describe(), est.covariance_type, est._n_components(), m.n,
                         m.mean.shape[0])
    warn_large_reg(est.reg_covar, m.m2 / m.weight, m.hi - m.lo > 0, auto=est._reg_auto)


# --- the driver --------------------------------------------------------------------------------
def fit_mixture(est: Any, source: InMemory | Chunked,
                callback: Callable[[int, float], None] | None = None) -> Any:
    """Fit the mixture ``est`` (options checked) from a checked source: its starts, EM and
    fitted attributes (steps 3 to 5 of the module docstring)."""
    ctype = est._ctype()
    # the products are small (one block); threads share blocks instead, and BLAS's own
    # threads would only fight them (many times slower on a busy machine)
    with blas_single_threaded():
        init = source.init_rows(est)
        stats_fn = source.em_stats(ctype)
        source.set_features(est)
        return est._fit_from(stats_fn, init, source.ws, callback, col_var=source.col_var)


def fit_normal(est: Any, source: InMemory | Chunked) -> Any:
    """Fit the normal distribution ``est`` from a checked source: one pass of statistics
    and one M-step (EM over the empty cells when rows in memory have some)."""
    ctype = est._ctype()
    ws = source.ws
    reg = est._work_reg(ws, source.col_var)
    with blas_single_threaded():
        if source.has_empty:  # rows in memory only: a chunked fit refuses empty cells
            p = est._fit_missing(source.X, source.w, ws, reg)
        else:
            p = m_step(source.hard_stats(ctype), ctype, reg, reseed=False)
    p = ws.to_user(p)
    source.set_features(est)
    est.mean_ = p.means[0]
    est.covariance_ = p.covariances[0]
    est.precision_cholesky_ = p.precisions_cholesky[0]
    return est


def fit_chunked(est: Any, chunks: ChunkSource, *, where: str = "X",
                callback: Callable[[int, float], None] | None = None,
                init_sample: int = INIT_SAMPLE) -> Any:
    """Fit a :class:`~densitykit.GaussianMixture` or :class:`~densitykit.Normal` from a
    chunk source; sets the same attributes as ``est.fit`` on the rows in memory.

    The estimator's ``_fit_chunks`` (the twin of its ``fit``) makes the :class:`Chunked`
    source and calls :func:`fit_mixture` or :func:`fit_normal`; ``where`` names the rows in
    errors, ``init_sample`` caps the rows the initialisation draws from."""
    fit = getattr(est, "_fit_chunks", None)
    if fit is None:
        raise DataTypeError(
            f"Chunked fitting supports GaussianMixture and Normal; got {type(est).__name__}. "
            "Fit other estimators on a sample pulled into memory.")
    with blas_single_threaded():  # the moments' pass too (see fit_mixture)
        return fit(chunks, where, callback, init_sample)
