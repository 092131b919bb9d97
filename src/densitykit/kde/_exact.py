"""Exact kernel sums by blocks: one matrix product per block, a running log-sum-exp.

Memory is bounded by the block (``budget`` entries of the query x data block), never the
full kernel matrix. Distances come from ``|q|^2 + |x|^2 - 2 q.x`` on centred, whitened
coordinates, accumulated in float64.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .._parallel import blas_single_threaded, limited
from . import _compiled
from ._kernels import Kernel

__all__ = ["BLOCK_ENTRIES", "log_kernel_sums", "use_compiled"]

#: entries of one query x data block (2**22 doubles = 32 MiB)
BLOCK_ENTRIES = 2**22
#: gaussian problems with this many pairs run the fused loop (products inside the threads)
_FUSED_MIN = 2**22
#: smaller blocks go to the NumPy loop: starting the compiled loop's threads costs more
_PARALLEL_MIN = 2**12  # compiled loop beats NumPy from a few thousand entries


def use_compiled(flag: bool | None) -> bool:
    """Resolve the compiled-loop switch: ``None`` means "numba if installed"."""
    if flag is None:
        return _compiled.AVAILABLE
    if flag and not _compiled.AVAILABLE:
        raise ImportError("numba is not installed; install densitykit[fast] or pass False.")
    return bool(flag)


def _block_sizes(n_queries: int, n_data: int, budget: int) -> tuple[int, int]:
    mb = max(1, min(n_queries, 2048))
    nb = max(1, min(n_data, budget // mb))
    return mb, nb


def _accumulate_numpy(gram, qsq, xsq, logw, inv_s2, kernel, loo, shift, run_max, run_sum):
    """NumPy twin of :func:`densitykit.kde._compiled.accumulate_block`."""
    u2 = qsq[:, None] + xsq[None, :] - 2.0 * gram
    np.maximum(u2, 0.0, out=u2)
    u2 *= inv_s2
    v = kernel.log_profile(u2)
    v += logw
    if loo:
        rows = np.arange(v.shape[0])
        cols = rows + shift
        ok = (cols >= 0) & (cols < v.shape[1])
        v[rows[ok], cols[ok]] = -np.inf
    mx = v.max(axis=1)
    live = mx > -np.inf
    if not live.any():
        return
    mx, v = mx[live], v[live]
    v -= mx[:, None]
    acc = np.exp(v, where=v > _compiled.CUTOFF, out=np.zeros_like(v)).sum(axis=1)
    m_old, s_old = run_max[live], run_sum[live]
    new = np.maximum(m_old, mx)
    with np.errstate(invalid="ignore"):
        s_new = np.where(m_old > -np.inf, s_old * np.exp(m_old - new), 0.0)
    run_sum[live] = s_new + acc * np.exp(mx - new)
    run_max[live] = new


def _fused_gaussian(Q, qsq_all, X, xsq, logw, s, loo, prep, mb, nb, run_max, run_sum):
    """Gaussian sums with the matrix products inside the compiled, threaded loop."""
    m, n = Q.shape[0], X.shape[0]
    for q0 in range(0, m, mb):
        q1 = min(m, q0 + mb)
        for x0 in range(0, n, nb):
            x1 = min(n, x0 + nb)
            Xb = X[x0:x1] if prep is None else prep(X[x0:x1])
            xsq_b = xsq[x0:x1] if xsq is not None and prep is None else np.einsum(
                "ij,ij->i", Xb, Xb)
            block_loo = loo and x0 < q1 and q0 < x1
            _compiled.gaussian_block_fused(
                Q[q0:q1], qsq_all[q0:q1], np.ascontiguousarray(Xb), xsq_b, logw[x0:x1], s,
                block_loo, q0 - x0, run_max[q0:q1], run_sum[q0:q1])


# exponential and linear profiles have a kink at r = 0 (they need r = sqrt(u2)), which
# magnifies the cancellation of the expanded |q|^2 + |x|^2 - 2 q.x for near pairs
_KINKED = frozenset({3, 4})


def _exact_near(Qb, Xb, qsq, xsq_b, gram):
    """``-u2 / 2`` for a block, with the squared distances of near pairs (below 1e-4 of
    ``|q|^2 + |x|^2``, where the expansion loses digits) recomputed from differences.

    Passed as the Gram block with zero norms, it gives the accumulators ``u2`` exactly.
    """
    norms = qsq[:, None] + xsq_b[None, :]
    u2 = norms - 2.0 * gram
    i, j = np.nonzero(u2 < 1e-4 * norms)
    if i.size:
        diff = Qb[i] - Xb[j]
        u2[i, j] = np.einsum("ij,ij->i", diff, diff)
    np.maximum(u2, 0.0, out=u2)
    u2 *= -0.5
    return u2


def _blocked(Q, qsq_all, X, xsq, logw, kernel, scales, loo, prep, mb, nb, fast, force,
             run_max, run_sum):
    """The general loop: one matrix product per block, then each scale's log-sum-exp."""
    m, n = Q.shape[0], X.shape[0]
    for q0 in range(0, m, mb):
        q1 = min(m, q0 + mb)
        Qb, qsq = Q[q0:q1], qsq_all[q0:q1]
        for x0 in range(0, n, nb):
            x1 = min(n, x0 + nb)
            block_loo = loo and x0 < q1 and q0 < x1
            if prep is None:
                Xb, xsq_b = X[x0:x1], xsq[x0:x1]
            else:
                Xb = prep(X[x0:x1])
                xsq_b = np.einsum("ij,ij->i", Xb, Xb)
            gram = Qb @ Xb.T
            qn, xn = qsq, xsq_b
            if kernel.code in _KINKED:
                gram = _exact_near(Qb, Xb, qsq, xsq_b, gram)
                qn, xn = np.zeros_like(qsq), np.zeros_like(xsq_b)
            for k, s in enumerate(scales):
                args = (gram, qn, xn, logw[x0:x1], float(s))
                rm, rs = run_max[k, q0:q1], run_sum[k, q0:q1]
                if fast and (force or gram.size >= _PARALLEL_MIN):
                    _compiled.accumulate_block(*args, kernel.code, block_loo, q0 - x0, rm, rs)
                else:
                    _accumulate_numpy(*args, kernel, block_loo, q0 - x0, rm, rs)


def log_kernel_sums(
    Q: np.ndarray,
    X: np.ndarray,
    logw: np.ndarray,
    kernel: Kernel,
    *,
    inv_s2: float | Sequence[float] = 1.0,
    loo: bool = False,
    compiled: bool | None = None,
    budget: int = BLOCK_ENTRIES,
    xsq: np.ndarray | None = None,
    prep: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """``log Σ_j w_j k(|q_i - x_j|^2 · s)`` for every query row, for each scale ``s``.

    Parameters
    ----------
    Q, X : (m, d) and (n, d) float arrays in whitened coordinates.
    logw : (n,) log-weights of the data rows.
    kernel : the kernel (its log-profile of the squared radius is used).
    inv_s2 : one scale or several; distances are multiplied by it before the profile.
    loo : leave each row out of its own sum (``Q`` must then be ``X``).
    compiled : ``True`` always uses the numba loop, ``False`` the NumPy one; ``None`` uses
        numba when installed and the block is large enough to pay for its threads. Kernels
        the numba loop does not know (``kernel.compiled`` false) always use NumPy.
    budget : entries of one query x data block; bounds the extra memory.
    xsq : precomputed ``|x_j|^2`` (optional).
    prep : map applied to each block of ``X`` (to whiten it on the fly); then ``X`` is in
        the caller's coordinates and only one block of it is ever whitened at a time.

    Returns
    -------
    (m,) array for a single scale, (n_scales, m) for a sequence.

    Examples
    --------
    >>> import numpy as np
    >>> from densitykit.kde._kernels import KERNELS
    >>> X = np.array([[0.0], [1.0]])
    >>> out = log_kernel_sums(X, X, np.log([0.5, 0.5]), KERNELS["gaussian"])
    >>> bool(np.allclose(out, np.log(0.5 + 0.5 * np.exp(-0.5))))
    True
    """
    scales = np.atleast_1d(np.asarray(inv_s2, dtype=np.float64))
    fast = use_compiled(compiled) and kernel.compiled  # marginal kernels: NumPy loop
    m, n = Q.shape[0], X.shape[0]
    if xsq is None and prep is None:
        xsq = np.einsum("ij,ij->i", X, X)
    qsq_all = np.einsum("ij,ij->i", Q, Q)
    run_max = np.full((scales.size, m), -np.inf)
    run_sum = np.zeros((scales.size, m))
    mb, nb = _block_sizes(m, n, budget)
    fused = fast and compiled is None and kernel.code == 0 and scales.size == 1
    with limited():
        if fused and m * n >= _FUSED_MIN:
            with blas_single_threaded():
                _fused_gaussian(Q, qsq_all, X, xsq, logw, float(scales[0]), loo, prep, mb, nb,
                                run_max[0], run_sum[0])
        elif m * n < _FUSED_MIN:  # small products: BLAS threads only spin
            with blas_single_threaded():
                _blocked(Q, qsq_all, X, xsq, logw, kernel, scales, loo, prep, mb, nb, fast,
                         compiled is True, run_max, run_sum)
        else:
            _blocked(Q, qsq_all, X, xsq, logw, kernel, scales, loo, prep, mb, nb, fast,
                     compiled is True, run_max, run_sum)
    with np.errstate(divide="ignore"):
        out = np.where(run_sum > 0, np.log(np.where(run_sum > 0, run_sum, 1.0)) + run_max, -np.inf)
    return out if np.ndim(inv_s2) else out[0]
