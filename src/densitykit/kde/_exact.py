"""Exact kernel sums by blocks: one matrix product per block, a running log-sum-exp.

Memory is bounded by the block (``budget`` entries of the query x data block), never the
full kernel matrix. Distances come from ``|q|^2 + |x|^2 - 2 q.x`` on centred, whitened
coordinates, accumulated in float64.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence

import numpy as np

from .._parallel import available_cores, blas_single_threaded, limited, thread_pool
from .._validation import missing_dependency
from . import _compiled
from ._kernels import Kernel

__all__ = ["BLOCK_ENTRIES", "log_kernel_sums", "numpy_extra_seconds", "use_compiled"]

#: entries of one query x data block (2**22 doubles = 32 MiB)
BLOCK_ENTRIES = 2**22
#: gaussian problems with this many pairs run the fused loop (products inside the threads)
_FUSED_MIN = 2**22
#: smaller blocks go to the NumPy loop: starting the compiled loop's threads costs more
_PARALLEL_MIN = 2**12  # compiled loop beats NumPy from a few thousand entries
#: the NumPy loop's blocks: fewer query rows and entries than the compiled loop's, so that
#: a block's passes stay in cache (1.4-2x faster than 2048-row, 32 MiB blocks); the data
#: rows of a block (``_NUMPY_BLOCK // _NUMPY_ROWS``) do not depend on the number of cores
_NUMPY_ROWS = 256
_NUMPY_MIN_ROWS = 32
_NUMPY_BLOCK = 2**20
#: the NumPy loop shares its blocks among threads from this many (query, row) pairs
_THREADS_MIN = 2**18
#: nanoseconds per (query, row) term on one core, NumPy loop and compiled loop (2-64
#: features, rule bandwidths, 2-core EPYC VM; both spread over the cores): the gaussian,
#: compact kernels (the compiled loop skips a term beyond the support), the exponential
_NS_PER_TERM = {"gaussian": (4.5, 2.5), "compact": (10.0, 4.5), "exponential": (9.5, 14.5)}
#: the NumPy gaussian loop's floor of ``t`` in ``exp(t)``: the result stays a normal number
_EXP_FLOOR = -700.0


def use_compiled(flag: bool | None, extra_seconds: float = math.inf) -> bool:
    """Resolve the compiled-loop switch: ``None`` means "numba if installed, and worth
    loading for a call the NumPy loop would run ``extra_seconds`` slower" (see
    :func:`densitykit.kde._compiled.worth_loading`; by default, whenever installed). A
    true answer has loaded the compiled loops."""
    if flag is None:
        return _compiled.AVAILABLE and _compiled.worth_loading(extra_seconds)
    if flag and not (_compiled.AVAILABLE and _compiled.load()):
        raise missing_dependency("numba", "fast", "compiled=True (False uses the NumPy loops)")
    return bool(flag)


def numpy_extra_seconds(kernel: Kernel, terms: float, compiled_terms: float | None = None
                        ) -> float:
    """Estimated seconds the NumPy loop takes over the compiled one when it sums ``terms``
    (query, row, scale) kernel terms and the compiled loop ``compiled_terms`` (default the
    same): what :func:`use_compiled` weighs against loading numba. Zero where NumPy is
    the faster (the exponential kernel)."""
    if not kernel.compiled:
        return 0.0  # the compiled loops do not know this kernel: NumPy either way
    kind = ("gaussian" if kernel.code == 0 else
            "compact" if np.isfinite(kernel.support) else "exponential")
    numpy_ns, compiled_ns = _NS_PER_TERM[kind]
    if compiled_terms is None:
        compiled_terms = terms
    ns = terms * numpy_ns - compiled_terms * compiled_ns
    return max(0.0, 1e-9 * ns / available_cores())


def _block_sizes(n_queries: int, n_data: int, budget: int) -> tuple[int, int]:
    mb = max(1, min(n_queries, 2048))
    nb = max(1, min(n_data, budget // mb))
    return mb, nb


def _drop_self(v: np.ndarray, shift: int) -> None:
    """Leave-one-out: the term of query ``i`` and data row ``i + shift`` becomes -inf."""
    rows = np.arange(v.shape[0])
    cols = rows + shift
    ok = (cols >= 0) & (cols < v.shape[1])
    v[rows[ok], cols[ok]] = -np.inf


def _merge_running(live, mx, acc, run_max, run_sum) -> None:
    """Merge a block's sums ``acc`` (relative to its maxima ``mx``) of the rows ``live``
    into the running log-sum-exp ``(run_max, run_sum)``."""
    m_old, s_old = run_max[live], run_sum[live]
    new = np.maximum(m_old, mx)
    with np.errstate(invalid="ignore"):
        s_new = np.where(m_old > -np.inf, s_old * np.exp(m_old - new), 0.0)
    run_sum[live] = s_new + acc * np.exp(mx - new)
    run_max[live] = new


def _accumulate_numpy(gram, qsq, xsq, logw, inv_s2, kernel, loo, shift, run_max, run_sum):
    """NumPy twin of :func:`densitykit.kde._compiled.accumulate_block`."""
    u2 = qsq[:, None] + xsq[None, :] - 2.0 * gram
    np.maximum(u2, 0.0, out=u2)
    u2 *= inv_s2
    v = kernel.log_profile(u2)
    v += logw
    if loo:
        _drop_self(v, shift)
    mx = v.max(axis=1)
    live = mx > -np.inf
    if not live.any():
        return
    mx, v = mx[live], v[live]
    v -= mx[:, None]
    acc = np.exp(v, where=v > _compiled.CUTOFF, out=np.zeros_like(v)).sum(axis=1)
    _merge_running(live, mx, acc, run_max, run_sum)


def _accumulate_numpy_gaussian(gram, qsq, xsq, logw, inv_s2, loo, shift, run_max, run_sum):
    """NumPy twin of the compiled gaussian loops: the terms ``min(a_j + s g_ij + b_i, logw_j)``
    with ``a = logw - s/2 xsq`` and ``b = -s/2 qsq`` (``u2 >= 0`` enforced as a term at
    most ``logw_j``), the compiled loops' formula."""
    v = np.multiply(gram, inv_s2)
    v += logw - 0.5 * inv_s2 * xsq
    v += (-0.5 * inv_s2 * qsq)[:, None]
    _fold_gaussian_terms(v, logw, loo, shift, run_max, run_sum)


def _fold_gaussian_terms(v, logw, loo, shift, run_max, run_sum):
    """Fold the gaussian terms ``v`` (overwritten) into the running log-sum-exp, each term
    at most its row's ``logw``. Terms below ``exp(-700)`` of the largest count as that (a
    subnormal result slows ``exp`` down 10-40x); they and those the compiled loops drop
    (below ``exp(CUTOFF)``) change a sum by less than round-off."""
    np.minimum(v, logw, out=v)
    if loo:
        _drop_self(v, shift)
    mx = v.max(axis=1)
    live = mx > -np.inf
    if not live.all():
        if not live.any():
            return
        mx, v = mx[live], v[live]
    v -= mx[:, None]
    np.maximum(v, _EXP_FLOOR, out=v)
    np.exp(v, out=v)
    acc = v.sum(axis=1)
    _merge_running(live, mx, acc, run_max, run_sum)


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
             run_max, run_sum, starts=None):
    """The general loop: one matrix product per block, then each scale's log-sum-exp;
    ``starts`` (default: all) are the first rows of the query blocks to do."""
    m, n = Q.shape[0], X.shape[0]
    # NumPy, gaussian, one scale: the terms straight from one matrix product of augmented
    # blocks, [s q, b, 1, -s/2] . [x, 1, logw, xsq] = s q.x + b + logw - s/2 xsq
    augmented = not fast and kernel.code == 0 and scales.size == 1
    for q0 in range(0, m, mb) if starts is None else starts:
        q1 = min(m, q0 + mb)
        Qb, qsq = Q[q0:q1], qsq_all[q0:q1]
        if augmented:
            s0 = float(scales[0])
            Qa = np.empty((q1 - q0, Q.shape[1] + 3))
            np.multiply(Qb, s0, out=Qa[:, :-3])
            Qa[:, -3] = -0.5 * s0 * qsq
            Qa[:, -2:] = (1.0, -0.5 * s0)
        for x0 in range(0, n, nb):
            x1 = min(n, x0 + nb)
            block_loo = loo and x0 < q1 and q0 < x1
            if prep is None:
                Xb, xsq_b = X[x0:x1], xsq[x0:x1]
            else:
                Xb = prep(X[x0:x1])
                xsq_b = np.einsum("ij,ij->i", Xb, Xb)
            if augmented:
                Xa = np.empty((x1 - x0, Xb.shape[1] + 3))
                Xa[:, :-3] = Xb
                Xa[:, -3] = 1.0
                Xa[:, -2] = logw[x0:x1]
                Xa[:, -1] = xsq_b
                _fold_gaussian_terms(Qa @ Xa.T, logw[x0:x1], block_loo, q0 - x0,
                                     run_max[0, q0:q1], run_sum[0, q0:q1])
                continue
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
                elif kernel.code == 0:
                    _accumulate_numpy_gaussian(*args, block_loo, q0 - x0, rm, rs)
                else:
                    _accumulate_numpy(*args, kernel, block_loo, q0 - x0, rm, rs)


def _numpy_blocked(Q, qsq_all, X, xsq, logw, kernel, scales, loo, prep, mb, nb, run_max,
                   run_sum):
    """The NumPy loop, its query blocks shared among the cores' threads (the pool's; its
    matrix products and ufuncs release the GIL). Each query's sums are the same whichever
    thread does its block."""
    args = (Q, qsq_all, X, xsq, logw, kernel, scales, loo, prep, mb, nb, False, False,
            run_max, run_sum)
    starts = range(0, Q.shape[0], mb)
    tasks = min(available_cores(), len(starts))
    pool = thread_pool() if tasks >= 2 and Q.shape[0] * X.shape[0] >= _THREADS_MIN else None
    # a thread of the pool does the work itself: it would wait on the pool otherwise
    if pool is None or threading.current_thread() in getattr(pool, "_threads", ()):
        _blocked(*args)
        return
    list(pool.map(lambda k: _blocked(*args, starts=starts[k::tasks]), range(tasks)))


def log_kernel_sums(Q: np.ndarray, X: np.ndarray, logw: np.ndarray, kernel: Kernel, *,
                    inv_s2: float | Sequence[float] = 1.0, loo: bool = False,
                    compiled: bool | None = None, budget: int = BLOCK_ENTRIES,
                    xsq: np.ndarray | None = None,
                    prep: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """``log Σ_j w_j k(|q_i - x_j|^2 · s)`` for every query row, for each scale ``s``.

    Parameters
    ----------
    Q, X : (m, d) and (n, d) float arrays in whitened coordinates.
    logw : (n,) log-weights of the data rows.
    kernel : the kernel (its log-profile of the squared radius is used).
    inv_s2 : one scale or several; distances are multiplied by it before the profile.
    loo : leave each row out of its own sum (``Q`` must then be ``X``).
    compiled : ``True`` always uses the numba loop, ``False`` the NumPy one; ``None`` uses
        numba when installed, worth loading (:func:`use_compiled`: in a process that has
        not loaded it, only once the NumPy loop's extra time would exceed the loading's)
        and the block is large enough to pay for its threads. Kernels the numba loop does
        not know (``kernel.compiled`` false) always use NumPy.
    budget : entries of one query x data block; bounds the extra memory (the NumPy loop
        holds one block of at most ``min(budget, 2**20)`` entries per thread).
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
    m, n = Q.shape[0], X.shape[0]
    # numba only where it pays for its loading; marginal kernels: NumPy loop
    fast = (use_compiled(compiled, numpy_extra_seconds(kernel, m * n * scales.size))
            and kernel.compiled)
    if xsq is None and prep is None:
        xsq = np.einsum("ij,ij->i", X, X)
    run_max = np.full((scales.size, m), -np.inf)
    run_sum = np.zeros((scales.size, m))
    _sum_blocks(Q, X, xsq, logw, kernel, scales, loo, prep, budget, fast, compiled,
                run_max, run_sum)
    with np.errstate(divide="ignore"):
        out = np.where(run_sum > 0, np.log(np.where(run_sum > 0, run_sum, 1.0)) + run_max, -np.inf)
    return out if np.ndim(inv_s2) else out[0]


def _sum_blocks(Q: np.ndarray, X: np.ndarray, xsq: np.ndarray | None, logw: np.ndarray,
                kernel: Kernel, scales: np.ndarray, loo: bool, prep: Callable | None, budget: int,
                fast: bool, compiled: bool | None, run_max: np.ndarray,
                run_sum: np.ndarray) -> None:
    """Merge every query x data block into the running log-sum-exp ``run_max``/``run_sum``
    (see :func:`log_kernel_sums`): the block sizes and the loop for the kernel and the
    problem's size, the fused Gaussian one, the NumPy one or the compiled blocked one,
    with BLAS threads only where the products are large enough to use them."""
    m, n = Q.shape[0], X.shape[0]
    qsq_all = np.einsum("ij,ij->i", Q, Q)
    if fast:
        mb, nb = _block_sizes(m, n, budget)
    else:  # blocks for the cache, at least one per core when there are enough queries
        rows = max(_NUMPY_MIN_ROWS, -(-m // available_cores()))
        mb = max(1, min(m, _NUMPY_ROWS, rows))
        nb = max(1, min(n, min(budget, _NUMPY_BLOCK) // _NUMPY_ROWS))
    fused = fast and compiled is None and kernel.code == 0 and scales.size == 1
    with limited():
        if fused and m * n >= _FUSED_MIN:
            with blas_single_threaded():
                _fused_gaussian(Q, qsq_all, X, xsq, logw, float(scales[0]), loo, prep, mb, nb,
                                run_max[0], run_sum[0])
        elif not fast:  # small products, threads over the blocks: BLAS threads only spin
            with blas_single_threaded():
                _numpy_blocked(Q, qsq_all, X, xsq, logw, kernel, scales, loo, prep, mb, nb,
                               run_max, run_sum)
        elif m * n < _FUSED_MIN:  # small products: BLAS threads only spin
            with blas_single_threaded():
                _blocked(Q, qsq_all, X, xsq, logw, kernel, scales, loo, prep, mb, nb, fast,
                         compiled is True, run_max, run_sum)
        else:
            _blocked(Q, qsq_all, X, xsq, logw, kernel, scales, loo, prep, mb, nb, fast,
                     compiled is True, run_max, run_sum)
