"""Compiled inner loops for rows with empty cells (numba, optional).

:func:`correct_rows` is the EM path for full and tied covariances: it takes the
complete-data log-densities of the rows with zeros in their empty cells and, row by row and
for every component at once (the component is the innermost, vectorised axis), turns them
into the observed cells' marginal, then adds the empty cells' share of the statistics (see
``_missing.correct``). :func:`pattern_blocks` serves the NumPy pattern path that runs when
numba is missing or a block is numerically not definite. Importing this module never fails:
``AVAILABLE`` says whether numba could be loaded.
"""

from __future__ import annotations

import numpy as np

try:  # pragma: no cover - exercised when numba is installed
    import numba

    AVAILABLE = True
except ImportError:  # pragma: no cover
    numba = None
    AVAILABLE = False

__all__ = ["AVAILABLE", "correct_rows", "pattern_blocks"]

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

if AVAILABLE:

    # Vectorised sums; comparisons with NaN keep their meaning (no "nnan"/"ninf").
    _FAST = {"reassoc", "contract", "nsz", "arcp"}

    @numba.njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy", inline="always")
    def _factor(pmm, q, lanes, low, rd, logdet, acc, prod):  # pragma: no cover - compiled
        """Lower Cholesky factors ``low (q, q, K)`` of the blocks ``pmm`` of the first
        ``lanes`` components at once (the component is the innermost, vectorised axis),
        the factors' reciprocal diagonals ``rd`` and ``logdet = log |P_mm|``. A block that is
        not positive definite gets an infinite factor (its rows' log-density becomes -inf
        or NaN, which the caller checks); there is no early exit, so the loops stay
        branch-free."""
        for j in range(lanes):
            logdet[j] = 0.0
            prod[j] = 1.0
        for i in range(q):
            for t in range(i + 1):
                for j in range(lanes):
                    acc[j] = pmm[i, t, j]
                for r in range(t):
                    for j in range(lanes):
                        acc[j] -= low[i, r, j] * low[t, r, j]
                if i == t:
                    for j in range(lanes):
                        s = acc[j] if acc[j] > 0.0 else np.inf
                        low[i, i, j] = np.sqrt(s)
                        rd[i, j] = 1.0 / low[i, i, j]
                        prod[j] *= s
                    if i % 8 == 7 or i == q - 1:  # a log per 8 factors: no overflow
                        for j in range(lanes):
                            logdet[j] += np.log(prod[j])
                            prod[j] = 1.0
                else:
                    for j in range(lanes):
                        low[i, t, j] = acc[j] * rd[t, j]

    @numba.njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy", inline="always")
    def _inverse(low, rd, q, k, tmp, inv, acc):  # pragma: no cover - compiled
        """``inv = (L L')^{-1} = L^{-T} L^{-1}`` for every component (innermost axis)."""
        for t in range(q):  # tmp[t, i] = (L^{-1})[i, t], i >= t
            for j in range(k):
                tmp[t, t, j] = rd[t, j]
            for i in range(t + 1, q):
                for j in range(k):
                    acc[j] = 0.0
                for r in range(t, i):
                    for j in range(k):
                        acc[j] -= low[i, r, j] * tmp[t, r, j]
                for j in range(k):
                    tmp[t, i, j] = acc[j] * rd[i, j]
        for i in range(q):
            for t in range(i + 1):
                for j in range(k):
                    acc[j] = 0.0
                for r in range(i, q):
                    for j in range(k):
                        acc[j] += tmp[i, r, j] * tmp[t, r, j]
                for j in range(k):
                    inv[i, t, j] = acc[j]
                    inv[t, i, j] = acc[j]

    @numba.njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy", inline="always")
    def _inverse1(low, rd, q, tmp, inv):  # pragma: no cover - compiled
        """:func:`_inverse` of lane 0 alone (a shared precision), without lane loops."""
        for t in range(q):
            tmp[t, t, 0] = rd[t, 0]
            for i in range(t + 1, q):
                s = 0.0
                for r in range(t, i):
                    s -= low[i, r, 0] * tmp[t, r, 0]
                tmp[t, i, 0] = s * rd[i, 0]
        for i in range(q):
            for t in range(i + 1):
                s = 0.0
                for r in range(i, q):
                    s += tmp[i, r, 0] * tmp[t, r, 0]
                inv[i, t, 0] = s
                inv[t, i, 0] = s

    @numba.njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy")
    def _rows(z0, ptr, cols, pat, precT, meansT, pmuT, lp, w, fused, rt, lse, s1T, sxT):
        """Corrects the complete-data log-densities ``lp`` (``(K, B)``, computed with zeros in
        the empty cells) to the observed cells' marginal, row by row, every component at
        once; with ``fused`` also the responsibilities ``rt`` (times ``w``), ``lse`` and the
        empty cells' share of the statistics, ``s1T (D, K)`` and ``sxT`` (``(D, D, K)``, or
        ``(D, D, 1)`` for a shared precision; to be added as ``sx + sx'``).

        ``precT`` is ``(D, D, K)``, or ``(D, D, 1)`` for one precision shared by all
        components (tied), ``meansT`` and ``pmuT = (P_k mu_k)`` are ``(D, K)``.

        One long loop on purpose: split into inlined helpers (new pattern, ``(P z)_m``, the
        solves, responsibilities, scatter) it measured 20-50 % slower per row."""
        k, b = lp.shape
        d = z0.shape[1]
        tied = precT.shape[2] == 1
        lanes = 1 if tied else k
        qmax = 1
        for n in range(b):
            qmax = max(qmax, ptr[n + 1] - ptr[n])
        pmm = np.empty((qmax, qmax, k))
        low = np.empty((qmax, qmax, k))
        rd = np.empty((qmax, k))
        logdet = np.empty(k)
        tmp = np.empty((qmax, qmax, k))
        inv = np.empty((qmax, qmax, k))
        pz = np.empty((qmax, k))
        mu = np.empty((qmax, k))
        h = np.empty((qmax, k))
        v = np.empty((qmax, k))
        f = np.empty((qmax, k))
        dm = np.empty(k)
        g = np.empty(k)
        r = np.empty(k)
        r2 = np.empty(k)
        acc = np.empty(k)
        half_log_2pi = 0.5 * np.log(2.0 * np.pi)
        for n in range(b):
            a = ptr[n]
            q = ptr[n + 1] - a
            if q == 0:
                continue
            if n == 0 or pat[n] != pat[n - 1]:  # a new pattern: factor P_mm
                for i in range(q):
                    for t in range(q):
                        for j in range(lanes):
                            pmm[i, t, j] = precT[cols[a + i], cols[a + t], j]
                _factor(pmm, q, lanes, low, rd, logdet, acc, r2)
                if tied:  # one factor, copied into every component's lane
                    for i in range(q):
                        for j in range(1, k):
                            rd[i, j] = rd[i, 0]
                        for t in range(q):
                            for j in range(1, k):
                                pmm[i, t, j] = pmm[i, t, 0]
                                low[i, t, j] = low[i, t, 0]
                    for j in range(1, k):
                        logdet[j] = logdet[0]
            for i in range(q):  # pz = (P z0)_m
                row = precT[cols[a + i]]
                if tied:
                    acc0 = 0.0
                    for t in range(d):
                        acc0 += row[t, 0] * z0[n, t]
                    for j in range(k):
                        pz[i, j] = acc0
                    continue
                for j in range(k):
                    pz[i, j] = 0.0
                for t in range(d):
                    zt = z0[n, t]
                    for j in range(k):
                        pz[i, j] += row[t, j] * zt
            # h = (P (z0 - mu))_m, G = h + P_mm mu_m, dm = mu_m (h + G) - G' P_mm^-1 G
            for i in range(q):
                ci = cols[a + i]
                for j in range(k):
                    mu[i, j] = meansT[ci, j]
                    h[i, j] = pz[i, j] - pmuT[ci, j]
            for j in range(k):
                dm[j] = 0.0
            for i in range(q):  # v = L^{-1} G, accumulated into dm as -|v|^2
                for j in range(k):
                    g[j] = h[i, j]
                for t in range(q):
                    for j in range(k):
                        g[j] += pmm[i, t, j] * mu[t, j]
                for j in range(k):
                    dm[j] += mu[i, j] * (h[i, j] + g[j])
                for t in range(i):
                    for j in range(k):
                        g[j] -= low[i, t, j] * v[t, j]
                for j in range(k):
                    v[i, j] = g[j] * rd[i, j]
                    dm[j] -= v[i, j] * v[i, j]
            for i in range(q - 1, -1, -1):  # f = mu_m - L^{-T} v: the filled cells
                for j in range(k):
                    g[j] = v[i, j]
                for t in range(i + 1, q):
                    for j in range(k):
                        g[j] -= low[t, i, j] * (mu[t, j] - f[t, j])
                for j in range(k):
                    f[i, j] = mu[i, j] - g[j] * rd[i, j]
            for j in range(k):
                lp[j, n] += q * half_log_2pi - 0.5 * logdet[j] - 0.5 * dm[j]
            if not fused:
                continue
            mx = lp[0, n]
            for j in range(1, k):
                mx = max(mx, lp[j, n])
            if not np.isfinite(mx):
                mx = 0.0
            tot = 0.0
            for j in range(k):
                r[j] = np.exp(lp[j, n] - mx)
                tot += r[j]
            lse[n] = np.log(tot) + mx
            for j in range(k):
                r[j] *= w[n] / tot
                rt[j, n] = r[j]
            if tied:
                _inverse1(low, rd, q, tmp, inv)
            else:
                _inverse(low, rd, q, k, tmp, inv, r2)
            for i in range(q):
                ci = cols[a + i]
                for j in range(k):
                    s1T[ci, j] += r[j] * f[i, j]
            if tied:  # a shared second moment: sum over components first
                for i in range(q):
                    X = sxT[cols[a + i]]
                    fs = 0.0
                    for j in range(k):
                        fs += r[j] * f[i, j]
                    for t in range(d):
                        X[t, 0] += fs * z0[n, t]
                    for t in range(q):
                        ff = 0.0
                        for j in range(k):
                            ff += r[j] * f[i, j] * f[t, j]
                        X[cols[a + t], 0] += 0.5 * (ff + w[n] * inv[i, t, 0])
                continue
            for i in range(q):
                X = sxT[cols[a + i]]
                for j in range(k):
                    h[i, j] = r[j] * f[i, j]
                for t in range(d):
                    zt = z0[n, t]
                    for j in range(k):
                        X[t, j] += h[i, j] * zt
                for t in range(q):
                    ct = cols[a + t]
                    for j in range(k):
                        X[ct, j] += 0.5 * (h[i, j] * f[t, j] + r[j] * inv[i, t, j])


def correct_rows(z0, ptr, cols, pat, lp, *, prec, means, w=None, fused: bool = True):
    """Correct ``lp`` in place to the observed cells' marginal (see ``_missing.correct``);
    ``prec`` is ``(K, D, D)``, or ``(1, D, D)`` for a shared precision. With ``fused``
    return ``(RT, lse, s1, s2)``: the weighted responsibilities, the rows' log-likelihoods
    and the empty cells' share of the statistics (dense ``(K|1, D, D)`` second moments, to
    be added as ``s2 + s2'``), else ``lp``. ``None`` if a block was not positive definite."""
    k, b = lp.shape
    d = means.shape[1]
    kp = prec.shape[0]
    rt = np.empty((k, b) if fused else (1, 1))
    lse = np.empty(b if fused else 1)
    s1T = np.zeros((d, k) if fused else (1, 1))
    sxT = np.zeros((d, d, kp) if fused else (1, 1, 1))
    w = np.ones(b) if w is None else np.ascontiguousarray(w, dtype=np.float64)
    pmuT = np.ascontiguousarray(np.einsum("kij,kj->ik", np.broadcast_to(prec, (k, d, d)),
                                          means))
    precT = np.ascontiguousarray(np.moveaxis(prec, 0, -1))
    _rows(z0, ptr, cols, pat, precT, np.ascontiguousarray(means.T), pmuT, lp, w, fused, rt,
          lse, s1T, sxT)
    if not np.all(np.isfinite(lp)):
        return None
    return (rt, lse, s1T.T, np.moveaxis(sxT, -1, 0)) if fused else lp
