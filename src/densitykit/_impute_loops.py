"""Compiled per-row loops of the kernel density's conditional (numba), for
:mod:`densitykit.impute`.

Importing this module imports numba and loads the cached loops, so :mod:`densitykit.impute`
imports it on first use; without numba it runs its NumPy twin (``impute._numpy_means``,
``impute._numpy_draws``), which gives the same numbers.

For one block of rows the caller hands over ``G = Y_rows Y_centres'`` (the whitened rows
against the whitened centres, one matrix product) and each row's empty columns ``m`` with
the inverse Cholesky factor ``K`` of ``P_mm`` and the bound's weights ``w_m`` (see the notes
in :mod:`densitykit.impute`). Per row, the loops then

1. take the full-space distances ``q_i`` and the lower bounds ``q_i - sum_j w_j u_ij^2``
   of the observed cells' distances ``d_i = q_i - ||K u_im||^2`` (``u_i = P (x~ - c_i)``);
   after a row with nine in ten centres within reach (the choice's widest bandwidth) the
   next takes every centre without bounds, reading the centres' columns as slices;
2. compute ``d_i`` exactly for the centres whose bound is within ``margin`` of an exact
   distance (the nearest of two), tile by tile, vectorised over the centres of a tile;
   the others weigh under ``exp(-cut)`` of the nearest (``impute._CUTOFF``);
3. add up the weights ``exp(-(d_i - d_min) / 2h^2)`` and the weighted ``K u_im`` in one
   pass, rescaling the sums when a tile holds a nearer centre (log-sum-exp style), for
   every bandwidth at once, over the last ``tail`` empty cells only when the caller wants
   only those (their conditional mean needs only that part of ``K u``).
"""

from __future__ import annotations

import numba
import numpy as np

from ._fastmath import exp_nonpositive

__all__ = ["conditional_draws", "conditional_means"]

# the fastmath flags of the Gaussian loops: sums may be reordered and vectorised;
# comparisons with NaN and infinity keep their meaning
_FAST = {"reassoc", "contract", "nsz", "arcp"}
#: centres per tile of the exact distances
_TILE = 256
_OPTS = {"cache": True, "nogil": True, "fastmath": _FAST, "error_model": "numpy"}


@numba.njit(**_OPTS)
def _bounds(g, yq2, yc2, px, PCt, mi, wm, skip, q, low):  # pragma: no cover - compiled
    """Full-space distances ``q`` of one row to every centre and the lower bounds ``low``
    of its observed cells' distances (``wm``: the bound's weights of the empty columns
    ``mi``; its own centre ``skip``, if any, gets infinity); returns the centres with the
    smallest of each."""
    n, mk = yc2.size, mi.size
    for i in range(n):
        q[i] = max(yq2 - 2.0 * g[i] + yc2[i], 0.0)
        low[i] = 0.0
    k = 0
    while k + 4 <= mk:  # sum_j (s_j u_j)^2, s = sqrt(w), four columns a pass
        s0, s1, s2, s3 = np.sqrt(wm[k]), np.sqrt(wm[k + 1]), np.sqrt(wm[k + 2]), np.sqrt(wm[k + 3])
        c0, c1 = s0 * px[mi[k]], s1 * px[mi[k + 1]]
        c2, c3 = s2 * px[mi[k + 2]], s3 * px[mi[k + 3]]
        r0, r1, r2, r3 = PCt[mi[k]], PCt[mi[k + 1]], PCt[mi[k + 2]], PCt[mi[k + 3]]
        for i in range(n):
            e0, e1 = c0 - s0 * r0[i], c1 - s1 * r1[i]
            e2, e3 = c2 - s2 * r2[i], c3 - s3 * r3[i]
            low[i] += e0 * e0 + e1 * e1 + e2 * e2 + e3 * e3
        k += 4
    for j in range(k, mk):
        s0 = np.sqrt(wm[j])
        c0, r0 = s0 * px[mi[j]], PCt[mi[j]]
        for i in range(n):
            e0 = c0 - s0 * r0[i]
            low[i] += e0 * e0
    if skip >= 0:
        q[skip] = np.inf
    bq, bl = np.inf, np.inf
    for i in range(n):
        low[i] = q[i] - low[i]
        bq = min(bq, q[i])
        bl = min(bl, low[i])
    return _first(q, bq), _first(low, bl)


@numba.njit(**_OPTS)
def _full_distances(g, yq2, yc2, skip, q):  # pragma: no cover - compiled
    """Only the full-space distances ``q`` of :func:`_bounds` (upper bounds of the observed
    cells' distances); returns the nearest centre."""
    for i in range(yc2.size):
        q[i] = max(yq2 - 2.0 * g[i] + yc2[i], 0.0)
    if skip >= 0:
        q[skip] = np.inf
    best = np.inf
    for i in range(yc2.size):
        best = min(best, q[i])
    return _first(q, best)


@numba.njit(inline="always", **_OPTS)
def _first(x, value):  # pragma: no cover - compiled
    """The first index of ``value`` in ``x`` (0 if none)."""
    for i in range(x.size):
        if x[i] == value:
            return i
    return 0


@numba.njit(**_OPTS)
def _exact_one(i, q, px, PCt, mi, K, u):  # pragma: no cover - compiled
    """The observed cells' distance to centre ``i`` (``u`` is scratch)."""
    mk = mi.size
    for k in range(mk):
        u[k] = px[mi[k]] - PCt[mi[k], i]
    s = 0.0
    for r in range(mk):
        a = 0.0
        for t in range(r + 1):
            a += K[r, t] * u[t]
        s += a * a
    return max(q[i] - s, 0.0)


@numba.njit(inline="always", **_OPTS)
def _row_pair(U, K, r, w, V, W):  # pragma: no cover - compiled
    """``V = (K U)_r`` and ``W = (K U)_{r+1}`` over the first ``w`` columns of ``U``."""
    U0 = U[0]
    k0, k1 = K[r, 0], K[r + 1, 0]
    for t in range(w):
        V[t] = k0 * U0[t]
        W[t] = k1 * U0[t]
    for s in range(1, r + 1):
        k0, k1 = K[r, s], K[r + 1, s]
        Us = U[s]
        for t in range(w):
            V[t] += k0 * Us[t]
            W[t] += k1 * Us[t]
    k1 = K[r + 1, r + 1]
    Us = U[r + 1]
    for t in range(w):
        W[t] += k1 * Us[t]


@numba.njit(inline="always", **_OPTS)
def _row_one(U, K, r, w, V):  # pragma: no cover - compiled
    """``V = (K U)_r`` over the first ``w`` columns of ``U``."""
    for t in range(w):
        V[t] = 0.0
    for s in range(r + 1):
        k0 = K[r, s]
        Us = U[s]
        for t in range(w):
            V[t] += k0 * Us[t]


@numba.njit(**_OPTS)
def _tile(cand, w, q, px, PCt, mi, K, tail, U, V, W, dd, vt):  # pragma: no cover
    """Exact distances ``dd[:w]`` of the centres ``cand[:w]`` (increasing) and the last
    ``tail`` entries of their ``K u`` (``vt[:tail, :w]``); two rows of ``K`` at a time, each
    a loop over the tile. Centres in one run (``lo, ..., lo + w - 1``) are read as slices."""
    mk, lo = mi.size, cand[0]
    run = cand[w - 1] - lo == w - 1
    for k in range(mk):
        c = px[mi[k]]
        Uk = U[k]
        if run:
            seg = PCt[mi[k], lo:lo + w]
            for t in range(w):
                Uk[t] = c - seg[t]
        else:
            row = PCt[mi[k]]
            for t in range(w):
                Uk[t] = c - row[cand[t]]
    for t in range(w):
        dd[t] = 0.0
    off = mk - tail
    r = 0
    while r < mk:
        A = vt[r - off] if r >= off else V
        if r + 1 < mk:
            B = vt[r + 1 - off] if r + 1 >= off else W
            _row_pair(U, K, r, w, A, B)
            for t in range(w):
                dd[t] += A[t] * A[t] + B[t] * B[t]
        else:
            _row_one(U, K, r, w, A)
            for t in range(w):
                dd[t] += A[t] * A[t]
        r += 2
    if run:
        seg = q[lo:lo + w]
        for t in range(w):
            dd[t] = max(seg[t] - dd[t], 0.0)
    else:
        for t in range(w):
            dd[t] = max(q[cand[t]] - dd[t], 0.0)


@numba.njit(**_OPTS)
def _candidates(q, low, near, px, PCt, mi, K, margin, u, cand):  # pragma: no cover
    """The centres whose bound is within ``margin`` of the nearer of two exact distances
    (of the centres ``near``), in index order, into ``cand``; returns their number and
    that exact distance."""
    top = min(_exact_one(near[0], q, px, PCt, mi, K, u),
              _exact_one(near[1], q, px, PCt, mi, K, u))
    thr = top + margin
    nc = 0
    for i in range(q.size):  # branch-free: about half the centres are kept
        cand[nc] = i
        nc += low[i] <= thr
    return nc, top


@numba.njit(**_OPTS)
def _rescale(dd, w, ref, betas, sw, sv, tail):  # pragma: no cover - compiled
    """The tile's smallest distance and the new reference distance (the smallest so far),
    the sums rescaled to it."""
    low = np.inf
    for t in range(w):
        low = min(low, dd[t])
    if low < ref:
        for hh in range(betas.size):
            f = np.exp(-(ref - low) * betas[hh])
            sw[hh] *= f
            for p in range(tail):
                sv[hh, p] *= f
    return low, min(low, ref)


@numba.njit(**_OPTS)
def _accumulate(dd, w, nearest, ref, betas, cut, vt, tail, wt, sw, sv):  # pragma: no cover
    """Add a tile's weights ``exp(-(d - ref) / 2h^2)`` and weighted ``(K u)_tail`` to the
    sums of every bandwidth; weights under ``exp(-cut)`` are left out (all of them for a
    bandwidth under which the tile's nearest, at ``nearest``, is that light)."""
    for hh in range(betas.size):
        b = betas[hh]
        if (nearest - ref) * b > cut:
            continue
        tot = 0.0
        for t in range(w):
            x = (dd[t] - ref) * b
            e = exp_nonpositive(-min(x, cut))
            e = e if x <= cut else 0.0
            wt[t] = e
            tot += e
        sw[hh] += tot
        for p in range(tail):
            vp = vt[p]
            acc = 0.0
            for t in range(w):
                acc += wt[t] * vp[t]
            sv[hh, p] += acc


@numba.njit(inline="always", **_OPTS)
def _row(a, start, cells, mk):  # pragma: no cover - compiled
    """Row ``a``'s part of a flat array of the empty cells (their columns or weights)."""
    return cells[start[a]:start[a] + mk]


@numba.njit(inline="always", **_OPTS)
def _factor(a, kstart, Kf, mk):  # pragma: no cover - compiled
    """Row ``a``'s factor ``K`` (``mk x mk``)."""
    return Kf[kstart[a]:kstart[a] + mk * mk].reshape((mk, mk))


@numba.njit(**_OPTS)
def _write(out, a, x, mi, K, tail, sv, sw):  # pragma: no cover - compiled
    """``out[h, a, m] = x_m - (K' sum_i w_i K u_i / sum_i w_i)_m`` for the last ``tail``
    empty cells ``m`` (that part of ``K'`` needs only the same part of the sums)."""
    off = mi.size - tail
    for hh in range(sw.size):
        for p in range(tail):
            s = 0.0
            for r in range(p, tail):
                s += K[off + r, off + p] * sv[hh, r]
            out[hh, a, mi[off + p]] = x[mi[off + p]] - s / sw[hh]


@numba.njit(**_OPTS)
def conditional_means(G, yq2, yc2, PCt, PX, Xr, counts, start, miss, kstart, Kf, wf, skip,
                      tails, betas, cut, out):  # pragma: no cover - compiled
    """The kernel density's conditional means of a block of rows for every bandwidth
    (``betas = 1 / 2h^2``): ``out[h, a, m]`` for the last ``tails[a]`` of row ``a``'s
    empty columns (the factors as ``impute._Factors`` holds them; see the module);
    ``skip[a]`` is the row's own centre (``-1``: none); centres whose weight is under
    ``exp(-cut)`` of the nearest's are left out."""
    n, mmax, nh = yc2.size, max(counts.max(), 1), betas.size
    q, low, cand = np.empty(n), np.empty(n), np.empty(n, dtype=np.int64)
    U, vt = np.empty((mmax, _TILE)), np.empty((mmax, _TILE))
    V, W, dd, wt = np.empty(_TILE), np.empty(_TILE), np.empty(_TILE), np.empty(_TILE)
    sv, sw, u = np.empty((nh, mmax)), np.empty(nh), np.empty(mmax)
    margin, every, dense = cut / betas.min(), np.arange(n), False
    for a in range(counts.size):
        mk, tail = counts[a], tails[a]
        if mk == 0 or tail == 0:
            continue
        mi, K, px = _row(a, start, miss, mk), _factor(a, kstart, Kf, mk), PX[a]
        if dense:  # the previous row had nearly every centre within reach: no bounds
            near = _full_distances(G[a], yq2[a], yc2, skip[a], q)
            nc, ref, pick = n, _exact_one(near, q, px, PCt, mi, K, u), every
        else:
            near = _bounds(G[a], yq2[a], yc2, px, PCt, mi, _row(a, start, wf, mk), skip[a],
                           q, low)
            nc, ref = _candidates(q, low, near, px, PCt, mi, K, margin, u, cand)
            pick = cand
        sw[:] = 0.0
        sv[:] = 0.0
        reach = 0
        for c0 in range(0, nc, _TILE):
            w = min(_TILE, nc - c0)
            _tile(pick[c0:], w, q, px, PCt, mi, K, tail, U, V, W, dd, vt)
            nearest, ref = _rescale(dd, w, ref, betas, sw, sv, tail)
            _accumulate(dd, w, nearest, ref, betas, cut, vt, tail, wt, sw, sv)
            for t in range(w if dense else 0):
                reach += dd[t] <= ref + margin
        _write(out, a, Xr[a], mi, K, tail, sv, sw)
        dense = 10 * (reach if dense else nc) >= 9 * n


@numba.njit(**_OPTS)
def _pick(dd, nc, beta, cut, unif):  # pragma: no cover - compiled
    """The candidate drawn by inverting the cumulative weights at ``unif`` (as
    ``density.draw_categories``); weights under ``exp(-cut)`` of the nearest are 0."""
    best = np.inf
    for c in range(nc):
        best = min(best, dd[c])
    tot = 0.0
    for c in range(nc):
        x = (dd[c] - best) * beta
        tot += exp_nonpositive(-min(x, cut)) if x <= cut else 0.0
    target, cum, idx = unif * tot, 0.0, 0
    for c in range(nc):
        x = (dd[c] - best) * beta
        cum += exp_nonpositive(-min(x, cut)) if x <= cut else 0.0
        idx += cum <= target
    return min(idx, nc - 1)


@numba.njit(**_OPTS)
def conditional_draws(G, yq2, yc2, PCt, PX, Xr, counts, start, miss, kstart, Kf, wf, skip,
                      h, cut, unif, z, out):  # pragma: no cover - compiled
    """One draw per row from the kernel density's conditional: a centre by its weight (at
    the uniform number ``unif[a]``), then that kernel's conditional Gaussian, from the
    row's standard normal numbers (the next ``counts[a]`` of ``z``), into ``out[a, m]``."""
    n, mmax = yc2.size, max(counts.max(), 1)
    q, low, cand = np.empty(n), np.empty(n), np.empty(n, dtype=np.int64)
    U, vt = np.empty((mmax, _TILE)), np.empty((1, _TILE))
    V, W, dd = np.empty(_TILE), np.empty(_TILE), np.empty(n)
    u, v = np.empty(mmax), np.empty(mmax)
    beta = 0.5 / (h * h)
    pos = 0
    for a in range(counts.size):
        mk = counts[a]
        if mk == 0:
            continue
        mi, K, px = _row(a, start, miss, mk), _factor(a, kstart, Kf, mk), PX[a]
        near = _bounds(G[a], yq2[a], yc2, px, PCt, mi, _row(a, start, wf, mk), skip[a], q, low)
        nc = _candidates(q, low, near, px, PCt, mi, K, cut / beta, u, cand)[0]
        for c0 in range(0, nc, _TILE):
            _tile(cand[c0:], min(_TILE, nc - c0), q, px, PCt, mi, K, 0, U, V, W, dd[c0:],
                  vt)
        i = cand[_pick(dd, nc, beta, cut, unif[a])]
        for k in range(mk):
            u[k] = px[mi[k]] - PCt[mi[k], i]
        for r in range(mk):  # v = K u - h z, then out_m = x_m - K' v
            s = 0.0
            for t in range(r + 1):
                s += K[r, t] * u[t]
            v[r] = s - h * z[pos + r]
        for j in range(mk):
            s = 0.0
            for r in range(j, mk):
                s += K[r, j] * v[r]
            out[a, mi[j]] = Xr[a, mi[j]] - s
        pos += mk
