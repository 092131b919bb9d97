"""Compiled inner loops for rows with empty cells (numba, optional).

:func:`correct_rows` is the EM path for full and tied covariances (``_rows`` and
``_tied_rows``): it takes the complete-data log-densities of the rows with zeros in their
empty cells and, row by row, turns them into the observed cells' marginal, then adds the
empty cells' share of the statistics (see ``_missing.correct``). The rows go in blocks with
the same number of empty cells, one row per vector lane, responsibilities included
(``_exp_neg``, an exponential that vectorises); for full covariances, component by
component.
:func:`pattern_blocks` serves the NumPy pattern path that runs when numba is missing or a
block is numerically not definite. Importing this module never fails: ``AVAILABLE`` says
whether numba could be loaded.
"""

from __future__ import annotations

import math

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
        """Lower Cholesky factors ``low (q, q, lanes)`` of the blocks ``pmm`` of the first
        ``lanes`` rows of a block at once (the innermost, vectorised axis), the factors'
        reciprocal diagonals ``rd`` and ``logdet = log |P_mm|``. A block that is
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
        """``inv = (L L')^{-1} = L^{-T} L^{-1}`` for every lane (the innermost axis)."""
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

    _ROWS = 256  # rows of one block, corrected side by side (one row per vector lane)
    _HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)
    _INV_FACT = tuple(1.0 / math.factorial(j) for j in range(13))

    @numba.njit(cache=True, nogil=True, fastmath={"contract"}, error_model="numpy")
    def _exp_neg(x, n, scale, bits):  # pragma: no cover - compiled
        """``x[:n] = exp(x[:n])`` for ``x <= 0`` in two vectorised loops (numba's ``exp`` is
        a call per number): ``exp(x) = 2^t exp(r)``, ``t = round(x / log 2)``, ``exp(r)``
        by its Taylor series to the 13th power (``|r| <= log(2) / 2``: truncation under
        1e-17; measured within one unit in the last place of NumPy's) and ``2^t`` from its
        exponent bits, written as integers to ``bits``, the memory of ``scale``. Below -708
        (1e-307) the result is 0. No reassociation: the series is summed in its order."""
        for i in range(n):
            v = x[i]
            keep = v >= -708.0
            v = max(v, -708.0)
            t = np.floor(v * 1.4426950408889634 + 0.5)
            r = (v - t * 0.6931471803691238) - t * 1.9082149292705877e-10  # log 2, split
            s = 1.0 / 6227020800.0  # 1 / 13!
            for j in range(12, 0, -1):
                s = s * r + _INV_FACT[j]
            x[i] = s * r + 1.0 if keep else 0.0
            bits[i] = (np.int64(t) + 1023) << 52
        for i in range(n):
            x[i] *= scale[i]

    @numba.njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy", inline="always")
    def _tied_factor(prec, ptr, cols, n0, nb, q, cidx, pmm, low, rd, inv, logdet, acc,
                     prod):  # pragma: no cover - compiled
        """The empty columns ``cidx (q, nb)`` of rows ``n0 .. n0 + nb - 1`` (``q`` empty
        cells each), their blocks ``P_mm`` side by side, the blocks' inverses ``inv`` and
        ``logdet = log |P_mm|`` (``pmm`` is overwritten)."""
        a = ptr[n0]
        for l in range(nb):
            for i in range(q):
                cidx[i, l] = cols[a + l * q + i]
        for i in range(q):
            for t in range(i + 1):
                for l in range(nb):
                    pmm[i, t, l] = prec[cidx[i, l], cidx[t, l]]
        _factor(pmm, q, nb, low, rd, logdet, acc, prod)
        _inverse(low, rd, q, nb, pmm, inv, acc)

    @numba.njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy", inline="always")
    def _tied_fills(z0, prec, pmu, lp, n0, nb, q, cidx, inv, logdet, g, h, f,
                    dm):  # pragma: no cover - compiled
        """With ``g = (P z0)_m`` (the empty rows of ``P`` times the row, ``q x D`` products
        where ``z0 P`` would take ``D x D``) and ``h_k = g - (P mu_k)_m``: the fills ``f_k =
        -P_mm^{-1} h_k`` ``(q, K, nb)`` of the block's rows, and their log-densities ``lp``
        corrected to the observed cells (the Mahalanobis distance drops by ``h_k' P_mm^{-1}
        h_k``); the term ``-z0' P z0 / 2`` stays left out. Returns how many corrected
        log-densities are not finite."""
        k, d = lp.shape[0], z0.shape[1]
        for l in range(nb):
            zn = z0[n0 + l]
            for i in range(q):
                pr = prec[cidx[i, l]]
                s = 0.0
                for t in range(d):
                    s += pr[t] * zn[t]
                g[i, l] = s
        bad = 0.0
        for j in range(k):
            pj = pmu[j]
            for i in range(q):
                for l in range(nb):
                    h[i, j, l] = g[i, l] - pj[cidx[i, l]]
            for l in range(nb):
                dm[l] = 0.0
            for i in range(q):
                for l in range(nb):
                    f[i, j, l] = 0.0
                for t in range(q):
                    for l in range(nb):
                        f[i, j, l] -= inv[i, t, l] * h[t, j, l]
                for l in range(nb):
                    dm[l] += h[i, j, l] * f[i, j, l]
            lj = lp[j, n0 : n0 + nb]
            for l in range(nb):
                lj[l] += q * _HALF_LOG_2PI - 0.5 * (logdet[l] + dm[l])
                bad += 0.0 if abs(lj[l]) < np.inf else 1.0  # kept: no "nnan"/"ninf"
        return bad

    @numba.njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy", inline="always")
    def _tied_resp(lp, w, n0, nb, mx, tot, c, scale, bits):  # pragma: no cover - compiled
        """The block's log-densities ``lp[:, n0:n0 + nb]`` become responsibilities times the
        row weights; their maximum and sum of exponentials go to ``mx`` and ``tot`` (the
        rows' log-likelihood is ``log(tot) + mx``)."""
        k = lp.shape[0]
        m = mx[n0 : n0 + nb]
        s = tot[n0 : n0 + nb]
        for l in range(nb):
            m[l] = lp[0, n0 + l]
            s[l] = 0.0
        for j in range(1, k):
            for l in range(nb):
                m[l] = max(m[l], lp[j, n0 + l])
        for j in range(k):
            lj = lp[j, n0 : n0 + nb]
            for l in range(nb):
                lj[l] -= m[l]
            _exp_neg(lj, nb, scale, bits)
            for l in range(nb):
                s[l] += lj[l]
        for l in range(nb):
            c[l] = w[n0 + l] / s[l]
        for j in range(k):
            for l in range(nb):
                lp[j, n0 + l] *= c[l]

    @numba.njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy", inline="always")
    def _tied_moments(z0, rt, w, n0, nb, q, cidx, inv, h, f, fsum, c, s1p,
                      sx):  # pragma: no cover - compiled
        """Add the block's empty cells' share of the statistics, given the weighted
        responsibilities ``rt``: ``s1p (K, D, 8)``, ``s1`` in eight copies that take the
        rows in turn (consecutive rows often share an empty column: the copies keep their
        additions independent), and the shared second moment ``sx (D, D)``, to be added as
        ``sx + sx'`` (the fills' cross products with the observed cells and, in the lower
        triangle, with each other and the conditional covariances ``w P_mm^{-1}``, summed
        over the components). ``h`` becomes ``r_k f_k``."""
        k = rt.shape[0]
        d = z0.shape[1]
        for i in range(q):
            for l in range(nb):
                fsum[i, l] = 0.0
            for j in range(k):
                rj = rt[j, n0 : n0 + nb]
                for l in range(nb):
                    h[i, j, l] = rj[l] * f[i, j, l]
                    fsum[i, l] += h[i, j, l]
                sj = s1p[j]
                for l in range(nb):
                    sj[cidx[i, l], l & 7] += h[i, j, l]
        for l in range(nb):
            zn = z0[n0 + l]
            for i in range(q):
                X = sx[cidx[i, l]]
                v = fsum[i, l]
                for t in range(d):
                    X[t] += v * zn[t]
        for i in range(q):
            for t in range(i + 1):
                for l in range(nb):
                    c[l] = w[n0 + l] * inv[i, t, l]
                for j in range(k):
                    for l in range(nb):
                        c[l] += h[i, j, l] * f[t, j, l]
                half = 1.0 if t < i else 0.5
                for l in range(nb):
                    sx[cidx[i, l], cidx[t, l]] += half * c[l]

    @numba.njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy", inline="always")
    def _most_empty(ptr):  # pragma: no cover - compiled
        """The largest number of empty cells in a row (at least 1)."""
        qmax = 1
        for n in range(ptr.size - 1):
            qmax = max(qmax, ptr[n + 1] - ptr[n])
        return qmax

    @numba.njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy")
    def _tied_rows(z0, ptr, cols, prec, pmu, lp, w, fused, s1p, sx, mx,
                   tot):  # pragma: no cover - compiled
        """The correction for one precision ``prec (D, D)`` shared by all components (tied,
        and any one-component model); ``pmu = (P mu_k)``, and ``lp`` holds the complete-data
        log-densities but for their term ``-z0' P z0 / 2``, left out here too. The rows, sorted
        by their number of empty cells, go in blocks of up to ``_ROWS`` rows with the same
        number ``q``, one row per vector lane: the blocks ``P_mm`` are factored side by side
        (chains of dependent divisions and square roots, run for many rows at once), and
        every step after is a loop over the block's rows. With ``fused``, ``lp`` becomes
        the responsibilities times ``w`` (``mx``, ``tot``: :func:`_tied_resp`) and the empty
        cells' share of the statistics is added to ``s1p`` and ``sx`` (:func:`_tied_moments`).
        False if a corrected log-density is not finite (a block not positive definite)."""
        k, b = lp.shape
        qmax = _most_empty(ptr)
        L = _ROWS
        cidx = np.empty((qmax, L), np.uint64)  # unsigned: indexing without wraparound
        pmm, low, inv = np.empty((qmax, qmax, L)), np.empty((qmax, qmax, L)), np.empty(
            (qmax, qmax, L))
        rd, g, fsum = np.empty((qmax, L)), np.empty((qmax, L)), np.empty((qmax, L))
        h, f = np.empty((qmax, k, L)), np.empty((qmax, k, L))
        logdet, acc, prod, dm, scale = (np.empty(L), np.empty(L), np.empty(L), np.empty(L),
                                        np.empty(L))
        bits = scale.view(np.int64)
        bad = 0.0
        n0 = 0
        while n0 < b:
            q = ptr[n0 + 1] - ptr[n0]
            nb = 1
            while nb < L and n0 + nb < b and ptr[n0 + nb + 1] - ptr[n0 + nb] == q:
                nb += 1
            _tied_factor(prec, ptr, cols, n0, nb, q, cidx, pmm, low, rd, inv, logdet, acc,
                         prod)
            bad += _tied_fills(z0, prec, pmu, lp, n0, nb, q, cidx, inv, logdet, g, h, f, dm)
            if fused:
                _tied_resp(lp, w, n0, nb, mx, tot, acc, scale, bits)
                _tied_moments(z0, lp, w, n0, nb, q, cidx, inv, h, f, fsum, dm, s1p, sx)
            n0 += nb
        return bad == 0.0

    _RUN = 16  # rows of one pattern that make a block of their own, factored once (4 measured
    # 1.5x slower where patterns repeat a few times each, 8 as 16)

    @numba.njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy", inline="always")
    def _run_at(pat, n):  # pragma: no cover - compiled
        """Whether ``_RUN`` rows or more from row ``n`` on have its pattern (the rows are
        sorted by pattern)."""
        return n + _RUN - 1 < pat.size and pat[n + _RUN - 1] == pat[n]

    @numba.njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy")
    def _rows(z0, ptr, cols, pat, prec, pmu, lp, w, fused, s1p, sx, mx,
              tot):  # pragma: no cover - compiled
        """:func:`_tied_rows` for one precision per component, ``prec (K, D, D)`` and
        ``pmu = (P_k mu_k) (K, D)``: the rows in blocks with the same number ``q`` of empty
        cells, one row per vector lane, and per component the blocks ``P_mm`` factored
        side by side, the fills ``f = -P_mm^{-1} (P (z0 - mu))_m`` and the log-densities
        ``lp`` corrected (the Mahalanobis distance drops by ``h' P_mm^{-1} h``). A run of
        ``_RUN`` rows or more with one pattern makes a block of its own, factored once.
        With ``fused``, ``lp`` becomes the responsibilities times ``w`` (``mx``, ``tot``:
        :func:`_tied_resp`) and the empty cells' share of the statistics is added to
        ``s1p (K, D, 8)`` and ``sx (K, D, D)``, to be added as ``sx + sx'``. False if a
        corrected log-density is not finite (a block not positive definite). Against one
        row at a time with the components in the vector lanes: 0.5-0.9x the time on 40
        columns, 0.7-1.1x on 10 (K = 8; cells emptied at random or in blocks of columns)."""
        k, b = lp.shape
        d = z0.shape[1]
        qmax = _most_empty(ptr)
        L = max(8, min(_ROWS, (1 << 18) // (k * qmax * qmax)))  # INV within 2 MiB
        cidx = np.empty((qmax, L), np.uint64)
        pmm, low = np.empty((qmax, qmax, L)), np.empty((qmax, qmax, L))
        INV, F = np.empty((k, qmax, qmax, L)), np.empty((k, qmax, L))
        rd, h = np.empty((qmax, L)), np.empty((qmax, L))
        logdet, acc, prod, dm, scale = (np.empty(L), np.empty(L), np.empty(L), np.empty(L),
                                        np.empty(L))
        bits = scale.view(np.int64)
        bad = 0.0
        n0 = 0
        while n0 < b:
            q = ptr[n0 + 1] - ptr[n0]
            shared = _run_at(pat, n0)
            nb = 1
            while nb < L and n0 + nb < b and ptr[n0 + nb + 1] - ptr[n0 + nb] == q:
                if pat[n0 + nb] != pat[n0] if shared else _run_at(pat, n0 + nb):
                    break  # a long run of one pattern ends or starts
                nb += 1
            nf = 1 if shared else nb  # lanes to factor
            a = ptr[n0]
            for l in range(nb):
                for i in range(q):
                    cidx[i, l] = cols[a + l * q + i]
            for j in range(k):
                pj, mu, inv, f = prec[j], pmu[j], INV[j], F[j]
                for i in range(q):
                    for t in range(i + 1):
                        for l in range(nf):
                            pmm[i, t, l] = pj[cidx[i, l], cidx[t, l]]
                _factor(pmm, q, nf, low, rd, logdet, acc, prod)
                _inverse(low, rd, q, nf, pmm, inv, acc)
                for l in range(nf, nb):
                    logdet[l] = logdet[0]
                for l in range(nb):  # h: the empty rows of P_k times the row, less P_k mu_k
                    zn = z0[n0 + l]
                    for i in range(q):
                        pr = pj[cidx[i, l]]
                        s = 0.0
                        for t in range(d):
                            s += pr[t] * zn[t]
                        h[i, l] = s - mu[cidx[i, l]]
                for l in range(nb):
                    dm[l] = 0.0
                for i in range(q):
                    for l in range(nb):
                        f[i, l] = 0.0
                    for t in range(q):
                        if shared:  # one inverse for the block, in lane 0
                            c = inv[i, t, 0]
                            for l in range(nb):
                                f[i, l] -= c * h[t, l]
                        else:
                            for l in range(nb):
                                f[i, l] -= inv[i, t, l] * h[t, l]
                    for l in range(nb):
                        dm[l] += h[i, l] * f[i, l]
                lj = lp[j, n0 : n0 + nb]
                for l in range(nb):
                    lj[l] += q * _HALF_LOG_2PI - 0.5 * (logdet[l] + dm[l])
                    bad += 0.0 if abs(lj[l]) < np.inf else 1.0  # kept: no "nnan"/"ninf"
            if fused:
                _tied_resp(lp, w, n0, nb, mx, tot, acc, scale, bits)
                for j in range(k):
                    rj, f, inv, sj, xj = lp[j, n0 : n0 + nb], F[j], INV[j], s1p[j], sx[j]
                    for i in range(q):  # h becomes r f; s1 in eight copies (_tied_moments)
                        for l in range(nb):
                            h[i, l] = rj[l] * f[i, l]
                            sj[cidx[i, l], l & 7] += h[i, l]
                    for l in range(nb):  # the fills' cross products with the row
                        zn = z0[n0 + l]
                        for i in range(q):
                            X = xj[cidx[i, l]]
                            v = h[i, l]
                            for t in range(d):
                                X[t] += v * zn[t]
                    rs = 0.0
                    for l in range(nb):
                        rs += rj[l]
                    for i in range(q):  # with each other, and the conditional covariance
                        for t in range(i + 1):
                            half = 1.0 if t < i else 0.5
                            if shared:  # the same cells in every lane: one sum
                                c = rs * inv[i, t, 0]
                                for l in range(nb):
                                    c += h[i, l] * f[t, l]
                                xj[cidx[i, 0], cidx[t, 0]] += half * c
                            else:
                                for l in range(nb):
                                    xj[cidx[i, l], cidx[t, l]] += half * (
                                        rj[l] * inv[i, t, l] + h[i, l] * f[t, l])
            n0 += nb
        return bad == 0.0

def correct_rows(z0, ptr, cols, pat, lp, *, prec, means, w=None, fused: bool = True):
    """Correct ``lp`` in place to the observed cells' marginal (see ``_missing.correct``);
    ``prec`` is ``(K, D, D)``, or ``(1, D, D)`` for a shared precision (tied, and any
    one-component model: both go through :func:`_tied_rows`, and there ``lp`` leaves out
    the term ``-z0' P z0 / 2`` of every row, before and after, and so does ``lse``). With
    ``fused`` return ``(RT, lse, s1, s2)``: the weighted responsibilities (in the memory of
    ``lp``), the rows' log-likelihoods and the empty cells' share of the statistics (dense
    ``(K|1, D, D)`` second moments, to be added as ``s2 + s2'``), else ``lp``. ``None`` if a
    block was not positive definite."""
    k, b = lp.shape
    d = means.shape[1]
    w = np.ones(b) if w is None else np.ascontiguousarray(w, dtype=np.float64)
    s1p = np.zeros((k, d, 8) if fused else (1, 1, 1))
    sx = np.zeros((prec.shape[0], d, d) if fused else (1, 1, 1))
    mx, tot = np.empty(b), np.empty(b)
    pmu = np.ascontiguousarray(  # rows P_k mu_k
        np.einsum("kij,kj->ki", np.broadcast_to(prec, (k, d, d)), means))
    ok = (_tied_rows(z0, ptr, cols, np.ascontiguousarray(prec[0]), pmu, lp, w, fused, s1p,
                     sx[0], mx, tot) if prec.shape[0] == 1
          else _rows(z0, ptr, cols, pat, prec, pmu, lp, w, fused, s1p, sx, mx, tot))
    if not ok:
        return None
    return (lp, np.log(tot) + mx, s1p.sum(-1), sx) if fused else lp
