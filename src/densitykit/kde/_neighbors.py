"""Neighbour-search evaluator for compact kernels in low dimension.

A compact kernel vanishes beyond radius 1 in whitened coordinates (offsets divided by the
bandwidth), so each query needs only the data rows within that radius. With numba, the
rows are sorted into unit cells and each query visits the 3^d cells around its own (a
compiled, threaded loop); without it, or when the cell grid would be huge (a bandwidth tiny
against the spread), a k-d tree of the whitened data (scipy's ``cKDTree``) lists the pairs,
a block of queries at a time. Each query's kernel terms are summed directly. The sums are
exact (the distances come from the coordinate differences themselves, not from a matrix
product), so the log-densities agree with the blocked exact evaluator to rounding; the cost
follows the number of pairs near the support instead of every pair.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._parallel import limited
from ..exceptions import DataError, ParameterError
from . import _compiled
from ._exact import use_compiled
from ._kernels import Kernel

__all__ = ["MAX_DIM", "PAIR_BUDGET", "check_neighbors", "expected_pair_fraction",
           "neighbor_log_kernel_sums"]

#: the neighbour search is offered up to this many features (trees lose their edge beyond)
MAX_DIM = 3
#: pairs listed at once (about 24 bytes each): bounds the extra memory
PAIR_BUDGET = 2**21
#: the compiled cell search is used while the cell grid has at most this many cells per row
#: (beyond, with a bandwidth tiny against the spread, the k-d tree takes over)
CELLS_PER_ROW = 4


def check_neighbors(kernel: Kernel, d: int) -> None:
    """Raise a clear error unless the neighbour search applies (compact kernel, ``d <= 3``).

    Examples
    --------
    >>> from densitykit.kde._kernels import KERNELS
    >>> check_neighbors(KERNELS["epanechnikov"], 2)
    >>> check_neighbors(KERNELS["gaussian"], 2)
    Traceback (most recent call last):
    ...
    densitykit.exceptions.ParameterError: algorithm='neighbors' needs a kernel with compact ...
    """
    if not np.isfinite(kernel.support):
        raise ParameterError(
            f"algorithm='neighbors' needs a kernel with compact support (tophat, "
            f"epanechnikov, linear, cosine, biweight, triweight); got kernel="
            f"{kernel.name!r}. Use algorithm='exact' or 'auto' for it."
        )
    if d > MAX_DIM:
        raise DataError(
            f"algorithm='neighbors' works with at most {MAX_DIM} features; X has {d}. Use "
            "algorithm='exact' or 'auto'."
        )


def expected_pair_fraction(Xw: np.ndarray) -> float:
    """Rough share of (query, row) pairs within the unit support, for queries like the data.

    Treats the whitened data as gaussian with its per-axis spread: the difference of two
    rows then has density ``Π_j 1 / (2 sqrt(π) sd_j)`` near zero, times the volume of the
    unit ball. Used only to decide whether the search pays.

    Examples
    --------
    >>> import numpy as np
    >>> Xw = np.random.default_rng(0).normal(size=(1000, 2)) * 20.0
    >>> bool(expected_pair_fraction(Xw) < 1e-3)
    True
    """
    d = Xw.shape[1]
    sd = np.maximum(Xw.std(axis=0), 1e-300)
    log_ball = 0.5 * d * np.log(np.pi) - math.lgamma(0.5 * d + 1.0)
    return float(min(1.0, np.exp(log_ball - np.sum(np.log(2.0 * np.sqrt(np.pi) * sd)))))


def neighbor_log_kernel_sums(Q: np.ndarray, X: np.ndarray, logw: np.ndarray, kernel: Kernel,
                             *, loo: bool = False, budget: int = PAIR_BUDGET, tree: Any = None,
                             compiled: bool | None = None) -> np.ndarray:
    """``log Σ_j w_j k(|q_i - x_j|^2)`` over the rows within the kernel's support.

    Parameters
    ----------
    Q, X : (m, d) and (n, d) float arrays in whitened coordinates (support radius 1).
    logw : (n,) log-weights of the data rows.
    kernel : a compact kernel (see :func:`check_neighbors`).
    loo : leave each row out of its own sum (``Q`` must then be ``X``).
    budget : pairs listed at once by the k-d tree; query blocks adapt to keep near it.
    tree : a ``cKDTree`` of ``X`` already built (optional).
    compiled : ``None`` uses the compiled cell search (unit cells, the 3^d cells around
        each query) when numba is installed and the cell grid is small enough, else the
        k-d tree; ``False`` always the tree.

    Returns
    -------
    (m,) array; ``-inf`` where no row lies within the support.

    Examples
    --------
    >>> import numpy as np
    >>> from densitykit.kde._kernels import KERNELS
    >>> X = np.array([[0.0], [0.5], [3.0]])
    >>> out = neighbor_log_kernel_sums(X[:1], X, np.log(np.full(3, 1 / 3)),
    ...                                KERNELS["epanechnikov"])
    >>> bool(np.allclose(out, np.log((1.0 + 0.75) / 3)))
    True
    """
    check_neighbors(kernel, X.shape[1])
    m, n = Q.shape[0], X.shape[0]
    if m == 0 or n == 0:
        return np.full(m, -np.inf)
    top = float(np.max(logw))
    w = np.exp(logw - top)  # largest weight 1: no underflow of the linear-space sums
    sums = None
    if tree is None and use_compiled(compiled) and kernel.compiled:
        sums = _cell_sums(Q, X, w, kernel, loo)
    if sums is None:
        sums = _tree_sums(Q, X, w, kernel, loo, budget, tree)
    with np.errstate(divide="ignore"):
        return np.log(sums) + top


def _tree_sums(Q: np.ndarray, X: np.ndarray, w: np.ndarray, kernel: Kernel, loo: bool,
               budget: int, tree: Any) -> np.ndarray:
    """``Σ_j w_j k(|q_i - x_j|^2)`` per query over the pairs within the support that a k-d
    tree of ``X`` lists, in query blocks sized to list about ``budget`` pairs at once."""
    from scipy.spatial import cKDTree  # on first use, like the neighbour sums

    if tree is None:
        tree = cKDTree(X)
    m, radius = Q.shape[0], float(kernel.support)
    out = np.empty(m)
    start, block = 0, min(m, 256)
    while start < m:
        stop = min(m, start + block)
        sub = cKDTree(Q[start:stop])
        pairs = sub.sparse_distance_matrix(tree, radius, output_type="ndarray")
        i, j, r = pairs["i"], pairs["j"], pairs["v"]
        if loo:
            keep = j != i + start
            i, j, r = i[keep], j[keep], r[keep]
        with np.errstate(divide="ignore"):
            terms = np.exp(kernel.log_profile(r * r)) * w[j]
        out[start:stop] = np.bincount(i, weights=terms, minlength=stop - start)
        per_query = max(pairs.size / (stop - start), 1.0)
        block = int(min(max(budget / per_query, 16), 65536))
        start = stop
    return out


def _cell_sums(Q: np.ndarray, X: np.ndarray, w: np.ndarray, kernel: Kernel,
               loo: bool) -> np.ndarray | None:
    """Linear-space kernel sums by the compiled cell search; ``None`` if the grid is too big."""
    n = X.shape[0]
    lo = X.min(axis=0)
    dims = np.floor(X.max(axis=0) - lo).astype(np.int64) + 1
    if float(np.prod(dims.astype(np.float64))) > max(CELLS_PER_ROW * n, 2**12):
        return None
    cells = np.minimum(np.floor(X - lo).astype(np.int64), dims - 1)
    ids = np.ravel_multi_index(tuple(cells.T), tuple(dims))
    order = np.argsort(ids, kind="stable")
    starts = np.zeros(int(np.prod(dims)) + 1, dtype=np.int64)
    np.cumsum(np.bincount(ids, minlength=starts.size - 1), out=starts[1:])
    qcell = np.clip(np.floor(Q - lo), -2, dims + 1).astype(np.int64)
    self_index = order if loo else np.empty(0, dtype=np.int64)
    with limited():
        return _compiled.cell_kernel_sums(
            np.ascontiguousarray(Q), np.ascontiguousarray(X[order]), w[order], qcell, starts,
            dims, kernel.code, self_index)
