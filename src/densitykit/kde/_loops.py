"""The compiled inner loops (numba). Each has a NumPy twin in its caller.

Importing this module imports numba (a few tenths of a second, plus the loading of each
cached loop on its first call), so nothing imports it directly: the callers reach the loops
through :mod:`densitykit.kde._compiled`, which loads this module when a problem is large
enough for the loops to pay for it.
"""

from __future__ import annotations

import numba
import numpy as np

from .._fastmath import exp_nonpositive
from ._compiled import CUTOFF, THREADED_MIN

__all__ = [
    "accumulate_block",
    "cell_kernel_sums",
    "gaussian_block_fused",
    "linear_bin_1d",
    "linear_bin_2d",
    "prefix_log_sums_1d",
]

_HALF_PI = 0.5 * np.pi


@numba.njit(inline="always", fastmath=False)
def _logk(u2: float, code: int) -> float:
    if code == 0:
        return -0.5 * u2
    if u2 >= 1.0 and code != 3:
        return -np.inf
    if code == 1:
        return 0.0
    if code == 2:
        return np.log1p(-u2)
    if code == 3:
        return -np.sqrt(u2)
    if code == 4:
        return np.log1p(-np.sqrt(u2))
    if code == 5:
        return np.log(np.cos(_HALF_PI * np.sqrt(u2)))
    if code == 6:
        return 2.0 * np.log1p(-u2)
    return 3.0 * np.log1p(-u2)


@numba.njit(fastmath={"reassoc", "contract"}, cache=True)
def _sum_exp_shifted(buf, mx):
    """``Σ_j exp(buf_j - mx)`` over the terms above ``exp(CUTOFF)``."""
    acc = 0.0
    for j in range(buf.shape[0]):
        t = buf[j] - mx
        e = exp_nonpositive(max(t, CUTOFF))
        acc += e if t > CUTOFF else 0.0
    return acc


@numba.njit(inline="always")
def _fold_gaussian_row(row, b, a, logw, inv_s2, skip, buf, i, run_max, run_sum):
    """Fold one query's gaussian terms ``min(a_j + s g_j + b, logw_j)`` (column ``skip``
    left out) into its running log-sum-exp."""
    mx = -np.inf
    for j in range(row.shape[0]):
        v = min(a[j] + inv_s2 * row[j] + b, logw[j])
        if j == skip:
            v = -np.inf
        buf[j] = v
        mx = max(mx, v)
    if mx == -np.inf:
        return
    acc = _sum_exp_shifted(buf, mx)
    m_old = run_max[i]
    if mx > m_old:
        run_sum[i] = run_sum[i] * np.exp(m_old - mx) + acc
        run_max[i] = mx
    else:
        run_sum[i] += acc * np.exp(mx - m_old)


def _accumulate_gaussian(gram, qsq, xsq, logw, inv_s2, loo, shift, run_max, run_sum):
    """Gaussian special case of :func:`accumulate_block` (same numbers, fewer steps):
    ``v_ij = logw_j - s/2 (qsq_i + xsq_j - 2 g_ij)`` with ``u2 >= 0`` enforced as
    ``v_ij <= logw_j``; the row constant ``-s/2 qsq_i`` is added to the maximum only."""
    nq, nx = gram.shape
    a = logw - 0.5 * inv_s2 * xsq
    for i in numba.prange(nq):
        skip = i + shift if loo else -1
        _fold_gaussian_row(gram[i], -0.5 * inv_s2 * qsq[i], a, logw, inv_s2, skip,
                           np.empty(nx), i, run_max, run_sum)


# one body, two builds: threads pay off only on large blocks (starting them can cost a
# scheduler time slice on a busy machine)
_gaussian_threads = numba.njit(parallel=True, cache=True)(_accumulate_gaussian)
_gaussian_serial = numba.njit(cache=True)(_accumulate_gaussian)


@numba.njit(parallel=True, cache=True)
def gaussian_block_fused(Q, qsq, Xb, xsq, logw, inv_s2, loo, shift, run_max, run_sum):
    """Gaussian block with its matrix product done per thread, in chunks of 256 queries:
    each chunk's products stay in cache for the log-sum-exp pass. Call it with BLAS
    limited to one thread (the threads here are the parallelism)."""
    nq, nx = Q.shape[0], Xb.shape[0]
    chunk = 256
    n_chunks = (nq + chunk - 1) // chunk
    XT = Xb.T
    a = logw - 0.5 * inv_s2 * xsq
    for c in numba.prange(n_chunks):
        r0 = c * chunk
        r1 = min(nq, r0 + chunk)
        gram = Q[r0:r1] @ XT
        buf = np.empty(nx)
        for ii in range(r1 - r0):
            i = r0 + ii
            skip = i + shift if loo else -1
            _fold_gaussian_row(gram[ii], -0.5 * inv_s2 * qsq[i], a, logw, inv_s2, skip,
                               buf, i, run_max, run_sum)


def accumulate_block(gram, qsq, xsq, logw, inv_s2, code, loo, shift, run_max, run_sum):
    """Fold one (queries x data) block into the running log-sum-exp of every query.

    ``u2 = (qsq_i + xsq_j - 2 gram_ij) * inv_s2``; the term is ``logw_j + log k(u2)``.
    With ``loo`` the pair ``j == i + shift`` is left out (leave-one-out). Terms smaller
    than ``exp(CUTOFF)`` times the block's largest are skipped (no ``exp`` spent on them).
    """
    if code == 0:
        run = _gaussian_threads if gram.size >= THREADED_MIN else _gaussian_serial
        run(gram, qsq, xsq, logw, inv_s2, loo, shift, run_max, run_sum)
    else:
        _accumulate_any(gram, qsq, xsq, logw, inv_s2, code, loo, shift, run_max, run_sum)


@numba.njit(parallel=True, cache=True)
def _accumulate_any(gram, qsq, xsq, logw, inv_s2, code, loo, shift, run_max, run_sum):
    """Any kernel: see :func:`accumulate_block`."""
    nq, nx = gram.shape
    for i in numba.prange(nq):
        row = gram[i]
        skip = i + shift if loo else -1
        mx = -np.inf
        for j in range(nx):
            u2 = max(qsq[i] + xsq[j] - 2.0 * row[j], 0.0) * inv_s2
            v = logw[j] + _logk(u2, code)
            if v > mx and j != skip:
                mx = v
        if mx == -np.inf:
            continue
        acc = 0.0
        for j in range(nx):
            u2 = max(qsq[i] + xsq[j] - 2.0 * row[j], 0.0) * inv_s2
            v = logw[j] + _logk(u2, code)
            t = v - mx
            if j != skip and t > CUTOFF:
                acc += np.exp(t)
        m_old = run_max[i]
        if mx > m_old:
            run_sum[i] = run_sum[i] * np.exp(m_old - mx) + acc
            run_max[i] = mx
        else:
            run_sum[i] += acc * np.exp(mx - m_old)


@numba.njit(parallel=True, cache=True)
def cell_kernel_sums(Q, X, w, qcell, starts, dims, code, loo):
    """``Σ_j w_j k(|q_i - x_j|^2)`` over the rows in the 3^d cells around each query.

    ``X`` (rows sorted by cell) and ``Q`` are in whitened coordinates with unit cells,
    ``qcell`` the (m, d) integer cell of each query (may lie outside ``[0, dims)``),
    ``starts`` the first row of each cell (C order, length ``prod(dims) + 1``). With
    ``loo`` row ``i`` of the original order is skipped: ``loo`` then holds each sorted
    row's original index and ``Q`` is the data in its original order; else it is empty.
    """
    m, d = Q.shape
    out = np.zeros(m)
    skip_self = loo.shape[0] > 0
    n_near = 3**d
    for i in numba.prange(m):
        acc = 0.0
        for t in range(n_near):
            r = t
            cell = 0
            ok = True
            for a in range(d):
                c = qcell[i, a] + (r % 3) - 1
                r //= 3
                if c < 0 or c >= dims[a]:
                    ok = False
                    break
                cell = cell * dims[a] + c
            if not ok:
                continue
            for j in range(starts[cell], starts[cell + 1]):
                u2 = 0.0
                for a in range(d):
                    diff = Q[i, a] - X[j, a]
                    u2 += diff * diff
                if u2 < 1.0 and not (skip_self and loo[j] == i):
                    acc += w[j] * np.exp(_logk(u2, code))
        out[i] = acc
    return out


@numba.njit(parallel=True, cache=True)
def prefix_log_sums_1d(q, rows, logw, counts, inv_h, code):
    """``log Σ_{j < counts_i} w_j k(((q_i - rows_j) inv_h)^2)`` for every query ``i``:
    each query sums its own prefix of the rows, in one pass with a running maximum
    (rows sorted nearest first rarely raise it)."""
    m = q.shape[0]
    out = np.empty(m)
    for i in numba.prange(m):
        mx = -np.inf
        acc = 0.0
        for j in range(counts[i]):
            u = (q[i] - rows[j]) * inv_h
            v = logw[j] + _logk(u * u, code)
            if v > mx:
                acc = acc * np.exp(mx - v) + 1.0 if mx > -np.inf else 1.0
                mx = v
            elif v - mx > CUTOFF:
                acc += np.exp(v - mx)
        out[i] = mx + np.log(acc) if mx > -np.inf else -np.inf
    return out


@numba.njit(cache=True)
def linear_bin_1d(x, w, lo, delta, n):
    """Linear binning of weighted points onto ``lo + delta * arange(n)``.

    A weight array of length 1 gives every point that weight. One thread: a scatter-add
    is memory-bound, and a single pass is immune to stalls of a busy machine.
    """
    inv = 1.0 / delta
    out = np.zeros(n)
    same = w.shape[0] == 1
    for i in range(x.shape[0]):
        u = min(max((x[i] - lo) * inv, 0.0), n - 1.0)
        k = min(int(u), n - 2)
        f = u - k
        wi = 1.0 if same else w[i]
        out[k] += wi * (1.0 - f)
        out[k + 1] += wi * f
    if same:
        out *= w[0]
    return out


@numba.njit(cache=True)
def linear_bin_2d(x, w, lo0, lo1, d0, d1, n0, n1):
    """Bilinear binning of weighted 2-D points onto a regular ``n0 x n1`` grid."""
    out = np.zeros((n0, n1))
    same = w.shape[0] == 1
    for i in range(x.shape[0]):
        t0 = min(max((x[i, 0] - lo0) / d0, 0.0), n0 - 1.0)
        t1 = min(max((x[i, 1] - lo1) / d1, 0.0), n1 - 1.0)
        k0 = min(int(t0), n0 - 2)
        k1 = min(int(t1), n1 - 2)
        f0 = t0 - k0
        f1 = t1 - k1
        wi = 1.0 if same else w[i]
        out[k0, k1] += wi * (1.0 - f0) * (1.0 - f1)
        out[k0 + 1, k1] += wi * f0 * (1.0 - f1)
        out[k0, k1 + 1] += wi * (1.0 - f0) * f1
        out[k0 + 1, k1 + 1] += wi * f0 * f1
    if same:
        out *= w[0]
    return out
