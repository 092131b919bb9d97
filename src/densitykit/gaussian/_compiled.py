"""Compiled inner loop for rows with empty cells (numba, optional).

:func:`pattern_blocks` has a pure-NumPy twin in ``_missing`` (batched LAPACK calls, about
ten times slower on the many tiny matrices one pattern per row gives). Importing this
module never fails: ``AVAILABLE`` says whether numba could be loaded.
"""

from __future__ import annotations

import numpy as np

try:  # pragma: no cover - exercised when numba is installed
    import numba

    AVAILABLE = True
except ImportError:  # pragma: no cover
    numba = None
    AVAILABLE = False

__all__ = ["AVAILABLE", "pattern_blocks"]

if AVAILABLE:

    @numba.njit(cache=True, nogil=True)
    def _pattern_blocks(prec, pmiss, cov, logdet):  # pragma: no cover - compiled
        n, q = pmiss.shape
        low = np.empty((q, q))
        inv = np.empty((q, q))
        for p in range(n):
            ok = True
            for i in range(q):  # Cholesky of prec[m, m]
                for j in range(i + 1):
                    s = prec[pmiss[p, i], pmiss[p, j]]
                    for t in range(j):
                        s -= low[i, t] * low[j, t]
                    if i == j:
                        if s <= 0.0:
                            ok = False
                            s = 1.0
                        low[i, i] = np.sqrt(s)
                    else:
                        low[i, j] = s / low[j, j]
            ld = 0.0
            for i in range(q):
                ld += np.log(low[i, i])
            logdet[p] = 2.0 * ld if ok else np.nan
            for j in range(q):  # inv = L^{-1}, column by column
                for i in range(q):
                    if i < j:
                        inv[i, j] = 0.0
                        continue
                    s = 1.0 if i == j else 0.0
                    for t in range(j, i):
                        s -= low[i, t] * inv[t, j]
                    inv[i, j] = s / low[i, i]
            for i in range(q):  # cov = L^{-T} L^{-1}
                for j in range(i + 1):
                    s = 0.0
                    for t in range(i, q):
                        s += inv[t, i] * inv[t, j]
                    cov[p, i, j] = s
                    cov[p, j, i] = s


def pattern_blocks(prec: np.ndarray, pmiss: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(P_mm^{-1}, log |P_mm|)`` for every pattern (rows of ``pmiss``); a block that is
    not positive definite gets a NaN log-determinant."""
    n, q = pmiss.shape
    cov = np.empty((n, q, q))
    logdet = np.empty(n)
    _pattern_blocks(np.ascontiguousarray(prec), np.ascontiguousarray(pmiss, dtype=np.int64),
                    cov, logdet)
    return cov, logdet
