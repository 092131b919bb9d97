"""Compiled inner loops (numba, optional). Each has a pure-NumPy twin in the callers.

Importing this module never fails: ``AVAILABLE`` says whether numba could be loaded.
"""

from __future__ import annotations

import numpy as np

try:  # pragma: no cover - exercised when numba is installed
    import numba

    AVAILABLE = True
except ImportError:  # pragma: no cover
    numba = None
    AVAILABLE = False

__all__ = ["AVAILABLE", "CUTOFF", "accumulate_block", "linear_bin_1d", "linear_bin_2d"]

#: terms below exp(CUTOFF) times a block's largest term are dropped: with fewer than 1e9
#: data rows they change a log-density by less than 1e-12
CUTOFF = -50.0

if AVAILABLE:
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

    @numba.njit(parallel=True, cache=True)
    def accumulate_block(gram, qsq, xsq, logw, inv_s2, code, loo, shift, run_max, run_sum):
        """Fold one (queries x data) block into the running log-sum-exp of every query.

        ``u2 = (qsq_i + xsq_j - 2 gram_ij) * inv_s2``; the term is ``logw_j + log k(u2)``.
        With ``loo`` the pair ``j == i + shift`` is left out (leave-one-out). Terms smaller
        than ``exp(CUTOFF)`` times the block's largest are skipped (no ``exp`` spent on them).
        """
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

    @numba.njit(cache=True)
    def linear_bin_1d(x, w, lo, delta, n):
        """Linear binning of weighted points onto ``lo + delta * arange(n)``."""
        out = np.zeros(n)
        for i in range(x.shape[0]):
            t = (x[i] - lo) / delta
            k = int(np.floor(t))
            if k < 0:
                k = 0
            elif k > n - 2:
                k = n - 2
            f = t - k
            out[k] += w[i] * (1.0 - f)
            out[k + 1] += w[i] * f
        return out

    @numba.njit(cache=True)
    def linear_bin_2d(x, w, lo0, lo1, d0, d1, n0, n1):
        """Bilinear binning of weighted 2-D points onto a regular ``n0 x n1`` grid."""
        out = np.zeros((n0, n1))
        for i in range(x.shape[0]):
            t0 = (x[i, 0] - lo0) / d0
            t1 = (x[i, 1] - lo1) / d1
            k0 = min(max(int(np.floor(t0)), 0), n0 - 2)
            k1 = min(max(int(np.floor(t1)), 0), n1 - 2)
            f0 = t0 - k0
            f1 = t1 - k1
            out[k0, k1] += w[i] * (1.0 - f0) * (1.0 - f1)
            out[k0 + 1, k1] += w[i] * f0 * (1.0 - f1)
            out[k0, k1 + 1] += w[i] * (1.0 - f0) * f1
            out[k0 + 1, k1 + 1] += w[i] * f0 * f1
        return out

else:  # pragma: no cover
    accumulate_block = linear_bin_1d = linear_bin_2d = None
