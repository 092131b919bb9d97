"""Rows with empty cells (NaN) in the Gaussian engine: marginal densities and EM statistics.

Under missing-at-random, a row's likelihood is the density of its observed cells ``o``, and
EM fills the empty cells ``m`` of each row, for each component, with the conditional mean
and adds the conditional covariance to the second moment. Both are computed here in the
*precision* form: with ``P = S^{-1}`` and ``d = x - mu`` set to zero in the empty cells,

* conditional mean   ``x_m = mu_m - P_mm^{-1} (P d)_m``,
* conditional cov.   ``S_mm - S_mo S_oo^{-1} S_om = P_mm^{-1}``,
* Mahalanobis        ``d_o' S_oo^{-1} d_o = d' P d - (P d)_m' P_mm^{-1} (P d)_m``,
* log-determinant    ``log|S_oo| = log|P_mm| - log|P|``,

so each missing pattern needs one factorisation of the small ``|m| x |m|`` block ``P_mm``
rather than of ``S_oo`` (``|o| x |o|``): with a tenth of the cells empty the extra work per
row is a few tiny matrices, batched over every pattern of the same size. Diagonal and
spherical components have independent features, so the conditional mean is ``mu_m``, the
conditional variance ``S_mm`` and everything is three matrix products over the observed
mask, with no patterns at all.

Rows are grouped once (:func:`missing_rows`) by number of empty cells and by pattern. Two
paths compute the same numbers:

* :func:`correct` (the default): the engine's complete-data E-step runs on the rows with
  zeros in their empty cells (the same matrix products, features cached across iterations),
  and the result is corrected row by row -- ``log|P_mm|``, the Mahalanobis terms above and,
  for the statistics, each row's fill, its cross products with the observed cells and the
  conditional covariance. For full and tied covariances that is one compiled loop
  (``_compiled.correct_rows``); for diag and spherical it is two products with the
  empty-cell indicator.
* :func:`missing_log_prob` / :func:`missing_stats`: the same algebra batched over
  patterns in NumPy, used without numba (and for :func:`conditional_fill`).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import numpy as np

from .._linalg import logsumexp_columns, upper_indices
from . import _compiled

__all__ = ["CacheBudget", "MissingRows", "conditional_fill", "missing_log_prob", "missing_rows",
           "missing_stats", "worst_row"]

_LOG_2PI = math.log(2.0 * math.pi)
_DIAGONAL = ("diag", "spherical")
_CACHE_BYTES = 1 << 25  # features of a part kept between EM iterations up to this size


class CacheBudget:
    """The bytes of features that the parts of one data set may still keep between EM
    iterations, all parts together (a part beyond it computes its features every pass:
    the same numbers, more time, bounded memory)."""

    def __init__(self, nbytes: int) -> None:
        self.left = nbytes
        self._lock = threading.Lock()  # parts run on the thread pool

    def take(self, nbytes: int) -> bool:
        """Whether ``nbytes`` more may be kept (then counted)."""
        with self._lock:
            if nbytes > self.left:
                return False
            self.left -= nbytes
            return True


@dataclass
class Group:
    """Rows ``rows`` (a slice of the sorted rows) that all have ``q`` empty cells.

    ``pmiss`` holds the empty columns of each distinct pattern ``(P, q)``, ``pat`` the
    pattern of each row and ``miss`` its empty columns ``(n, q)``."""

    rows: slice
    q: int
    pmiss: np.ndarray
    pat: np.ndarray
    miss: np.ndarray


@dataclass
class MissingRows:
    """Rows with empty cells, in work space, sorted by number of empty cells and pattern.

    ``z0`` holds the work-space rows with zeros in the empty cells, ``obs`` the observed
    mask (1.0 observed), ``w`` the row weights (or ``None``), ``order`` the original index
    of each sorted row, ``offset`` the per-row change of units that makes a work-space
    log-density of ``|o|`` cells look like one of ``D`` cells (the engine then adds the
    ``D``-dimensional Jacobian to every row alike), and ``groups`` the pattern grouping.
    """

    z0: np.ndarray
    obs: np.ndarray
    w: np.ndarray | None
    order: np.ndarray
    offset: np.ndarray
    groups: list[Group]
    flat: np.ndarray  # flat index (row * D + column) of every empty cell, group by group
    cuts: np.ndarray  # where each group's cells start in ``flat``
    ptr: np.ndarray  # row ``i``'s empty cells are ``flat[ptr[i]:ptr[i + 1]]``
    pat: np.ndarray  # pattern number of each row (equal for equal patterns, rows adjacent)
    budget: CacheBudget | None = field(default=None, repr=False)  # shared with other parts
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return self.z0.shape[0]

    def block(self, ctype) -> tuple[np.ndarray, object]:
        """The rows as a transposed block ``(D, N)`` with zeros in the empty cells, and its
        features for ``ctype`` (the complete-data E-step runs on them, :func:`correct`
        then accounts for the empty cells); the features are kept while they are small and
        within the ``budget`` this part shares with the others."""
        if "zt" not in self._cache:
            self._cache["zt"] = np.ascontiguousarray(self.z0.T)
        zt = self._cache["zt"]
        if ctype.name in self._cache:
            return zt, self._cache[ctype.name]
        q = ctype.block_features(zt)
        if q is None or (q.nbytes <= _CACHE_BYTES
                         and (self.budget is None or self.budget.take(q.nbytes))):
            self._cache[ctype.name] = q
        return zt, q

    def second_moment(self, ctype, Q, RT: np.ndarray) -> np.ndarray:
        """``ctype.second_moment`` of the zero-filled rows (features ``Q``, weighted
        responsibilities ``RT``). A tied one, ``sum_n w_n z0_n z0_n'``, sees the
        responsibilities only through their sum over components, the row weights: it is
        computed once."""
        if ctype.name != "tied":
            return ctype.second_moment(self.block(ctype)[0], Q, RT)
        return self.gram()

    def gram(self) -> np.ndarray:
        """``sum_n w_n z0_n z0_n'``, ``(D, D)``, computed once."""
        if "gram" not in self._cache:
            self._cache["gram"] = (self.z0.T * (1.0 if self.w is None else self.w)) @ self.z0
        return self._cache["gram"]

    def quad(self, prec: np.ndarray) -> np.ndarray:
        """Every row's ``z0' P z0``."""
        return np.einsum("nd,nd->n", self.z0 @ prec, self.z0)


def missing_rows(X: np.ndarray, w: np.ndarray | None, shift: np.ndarray,
                 scale: float) -> MissingRows:
    """Group the rows of ``X`` (user units, NaN for empty cells) by their empty cells."""
    n = X.shape[0]
    empty = np.isnan(X)
    q = empty.sum(1)
    _, pattern = np.unique(np.packbits(empty, axis=1), axis=0, return_inverse=True)
    order = np.lexsort((pattern.ravel(), q))
    empty, q, pattern = empty[order], q[order], pattern.ravel()[order]
    z0 = (X[order] - shift) / scale
    z0[empty] = 0.0
    groups = []
    starts = np.flatnonzero(np.r_[True, q[1:] != q[:-1]])
    for a, b in zip(starts, np.r_[starts[1:], n]):
        first = np.flatnonzero(np.r_[True, pattern[a + 1 : b] != pattern[a : b - 1]])
        pat = np.cumsum(np.r_[0, pattern[a + 1 : b] != pattern[a : b - 1]])
        qq = int(q[a])
        pmiss = np.nonzero(empty[a + first])[1].reshape(first.size, qq)
        groups.append(Group(slice(int(a), int(b)), qq, pmiss, pat, pmiss[pat]))
    offset = q * math.log(scale)
    d = X.shape[1]
    flat = np.concatenate([(np.arange(g.rows.start, g.rows.stop)[:, None] * d + g.miss).ravel()
                           for g in groups]) if groups else np.zeros(0, np.intp)
    cuts = np.cumsum([0] + [g.miss.size for g in groups])
    ptr = np.r_[0, np.cumsum(q)]
    first = np.cumsum([0] + [g.pmiss.shape[0] for g in groups])
    pat = (np.concatenate([g.pat + f for g, f in zip(groups, first)]) if groups
           else np.zeros(0, np.intp))
    return MissingRows(np.ascontiguousarray(z0), (~empty).astype(np.float64),
                       None if w is None else w[order], order, offset, groups, flat, cuts,
                       ptr.astype(np.int64), pat.astype(np.int64))


# --- full and tied: the precision form -------------------------------------------------------
def _precisions(params, ctype_name: str) -> np.ndarray:
    pc = params.precisions_cholesky
    if ctype_name == "tied":
        return (pc @ pc.T)[None]
    return pc @ np.swapaxes(pc, -1, -2)


def _pattern_blocks(prec: np.ndarray, g: Group) -> tuple[np.ndarray, np.ndarray]:
    """Per pattern: ``P_mm^{-1}`` (the conditional covariance) and ``log |P_mm|``."""
    if _compiled.AVAILABLE:
        cov, logdet = _compiled.pattern_blocks(prec, g.pmiss)
        if np.all(np.isfinite(logdet)):
            return cov, logdet
    sub = prec[g.pmiss[:, :, None], g.pmiss[:, None, :]]
    low = np.linalg.cholesky(sub)
    logdet = 2.0 * np.log(np.diagonal(low, axis1=-2, axis2=-1)).sum(-1)
    return np.linalg.inv(sub), logdet


def _full_estep(rows: MissingRows, params, ctype_name: str, log_det: np.ndarray):
    """Log-densities ``(K, N)`` and, per component, the fill ``u = x_m - mu_m`` of every
    empty cell (in ``rows.flat`` order) and, per group, each pattern's conditional
    covariance and ``log |P_mm|``."""
    prec = _precisions(params, ctype_name)
    means = params.means
    k, d = means.shape
    lp = np.empty((k, rows.n))
    fills: list = []
    n_obs = d - np.repeat([g.q for g in rows.groups],
                          [g.rows.stop - g.rows.start for g in rows.groups])
    shared = None
    for j in range(k):
        pj = prec[0 if prec.shape[0] == 1 else j]
        dt = rows.z0 - rows.obs * means[j]
        G = dt @ pj
        maha = np.einsum("nd,nd->n", dt, G)
        gm_all = G.ravel()[rows.flat]
        u_all = np.empty_like(gm_all)
        half_mm = np.zeros(rows.n)
        covs = shared if shared is not None else [
            None if g.q == 0 else _pattern_blocks(pj, g) for g in rows.groups]
        for gi, g in enumerate(rows.groups):
            if g.q == 0:
                continue
            cov, logdet = covs[gi]
            gm = gm_all[rows.cuts[gi] : rows.cuts[gi + 1]].reshape(-1, g.q)
            unique = cov.shape[0] == gm.shape[0]  # every row its own pattern
            u = -np.einsum("nij,nj->ni", cov if unique else cov[g.pat], gm)
            u_all[rows.cuts[gi] : rows.cuts[gi + 1]] = u.ravel()
            maha[g.rows] += np.einsum("ni,ni->n", gm, u)
            half_mm[g.rows] = 0.5 * (logdet if unique else logdet[g.pat])
        if prec.shape[0] == 1:
            shared = covs
        fills.append((u_all, covs))
        lp[j] = log_det[j] - half_mm - 0.5 * maha - 0.5 * n_obs * _LOG_2PI
    return lp, fills


def _filled(rows: MissingRows, means_j: np.ndarray, fills, j: int) -> np.ndarray:
    """Rows with every empty cell set to component ``j``'s conditional mean."""
    x = rows.z0 + (1.0 - rows.obs) * means_j
    x.ravel()[rows.flat] += fills[j][0]
    return x


def _full_moments(rows: MissingRows, params, RT: np.ndarray, fills, ctype_name: str):
    """``s1`` and per-component second moments ``(K, D, D)`` with the conditional
    covariance of each row added in its missing block."""
    k, d = params.means.shape
    s1 = np.empty((k, d))
    s2 = np.empty((k, d, d))
    parts = [(g, gi) for gi, g in enumerate(rows.groups) if g.q]
    idx = np.concatenate([(g.pmiss[:, :, None] * d + g.pmiss[:, None, :]).ravel()
                          for g, _ in parts]) if parts else np.zeros(0, np.intp)
    for j in range(k):
        x = _filled(rows, params.means[j], fills, j)
        s1[j] = RT[j] @ x
        s2[j] = (x.T * RT[j]) @ x
        if not parts:
            continue
        covs = fills[j][1]
        vals = np.concatenate([
            (np.bincount(g.pat, weights=RT[j, g.rows], minlength=covs[gi][0].shape[0])
             [:, None, None] * covs[gi][0]).ravel() for g, gi in parts])
        s2[j].reshape(-1)[:] += np.bincount(idx, weights=vals, minlength=d * d)
    return s1, s2


# --- tied: one precision, so the per-component work folds into shared products -------------
def _tied_estep(rows: MissingRows, params, log_det: float):
    """:func:`_full_estep` for a shared precision ``P``: ``z0 P`` is computed once and every
    component's products follow from it and from per-pattern blocks of ``P``, so the cost is
    one ``D x D`` product per pass instead of one per component."""
    pc = params.precisions_cholesky
    P = pc @ pc.T
    means = params.means
    k = means.shape[0]
    miss = 1.0 - rows.obs
    H = rows.z0 @ P
    Pmu = means @ P  # (K, D)
    # (z - mu_k)' P (z - mu_k) over observed cells, with z - mu_k set to 0 in the empty ones
    maha = (np.einsum("nd,nd->n", rows.z0, H)[None]
            - 2.0 * ((H * rows.obs) @ means.T).T
            + np.einsum("kd,kd->k", means, Pmu)[:, None]
            - 2.0 * (miss @ (means * Pmu).T).T)
    half_mm = np.zeros(rows.n)
    h_cells = H.ravel()[rows.flat]
    covs = [None if g.q == 0 else _pattern_blocks(P, g) for g in rows.groups]
    u_all = np.empty((k, rows.flat.size))
    for gi, g in enumerate(rows.groups):
        if g.q == 0:
            continue
        cov, logdet = covs[gi]
        pmm = P[g.pmiss[:, :, None], g.pmiss[:, None, :]]  # (P, q, q)
        mu_m = means[:, g.pmiss]  # (K, P, q)
        pm_mu = np.einsum("pij,kpj->kpi", pmm, mu_m)  # P_mm mu_k,m per pattern
        maha[:, g.rows] += np.einsum("kpi,kpi->kp", mu_m, pm_mu)[:, g.pat]
        sl = slice(rows.cuts[gi], rows.cuts[gi + 1])
        gm = (h_cells[sl].reshape(-1, g.q)[None] - Pmu[:, g.miss] + pm_mu[:, g.pat])
        u = -np.matmul(cov[g.pat], np.ascontiguousarray(gm.transpose(1, 2, 0)))  # (n, q, K)
        u = u.transpose(2, 0, 1)
        u_all[:, sl] = u.reshape(k, -1)
        maha[:, g.rows] += np.einsum("kni,kni->kn", gm, u)
        half_mm[g.rows] = 0.5 * logdet[g.pat]
    n_obs = rows.obs.sum(1)
    lp = log_det - half_mm - 0.5 * maha - 0.5 * n_obs * _LOG_2PI
    return lp, [(u_all[j], covs) for j in range(k)]


def _tied_moments(rows: MissingRows, params, RT: np.ndarray, fills):
    """``s1`` and the shared second moment: with ``x_nk = z0_n + f_nk`` (``f`` only in the
    empty cells), ``sum_k r x x' = w z0 z0' + z0 F' + F z0' + sum_k r f f'`` where
    ``F = sum_k r_k f_k``, plus each row's conditional covariance."""
    k, d = params.means.shape
    w = RT.sum(0)
    cells_row = rows.flat // d
    cells_col = rows.flat % d
    v = np.stack([params.means[j][cells_col] + fills[j][0] for j in range(k)])  # (K, cells)
    rv = RT[:, cells_row] * v
    s1 = RT @ rows.z0
    for j in range(k):
        s1[j] += np.bincount(cells_col, weights=rv[j], minlength=d)
    F = np.zeros(rows.n * d)
    F[rows.flat] = rv.sum(0)
    F = F.reshape(rows.n, d)
    cross = rows.z0.T @ F
    s2 = (rows.z0.T * w) @ rows.z0 + cross + cross.T
    covs = fills[0][1]
    flat = s2.reshape(-1)
    for gi, g in enumerate(rows.groups):
        if g.q == 0:
            continue
        sl = slice(rows.cuts[gi], rows.cuts[gi + 1])
        vg = v[:, sl].reshape(k, -1, g.q)
        outer = np.einsum("kn,kni,knj->nij", RT[:, g.rows], vg, vg, optimize=True)
        outer += w[g.rows, None, None] * covs[gi][0][g.pat]
        idx = g.miss[:, :, None] * d + g.miss[:, None, :]
        flat += np.bincount(idx.ravel(), weights=outer.ravel(), minlength=d * d)
    return s1, s2


# --- diag and spherical: independent features -------------------------------------------------
def _diag_var(params, d: int) -> np.ndarray:
    cov = params.covariances
    return cov if cov.ndim == 2 else np.repeat(cov[:, None], d, axis=1)


def _diag_estep(rows: MissingRows, params):
    means = params.means
    d = means.shape[1]
    p = 1.0 / _diag_var(params, d)
    maha = (rows.z0**2) @ p.T - 2.0 * rows.z0 @ (p * means).T + rows.obs @ (p * means**2).T
    lp = 0.5 * rows.obs @ np.log(p).T - 0.5 * maha - 0.5 * _LOG_2PI * rows.obs.sum(1)[:, None]
    return lp.T, None


def _diag_moments(rows: MissingRows, params, RT: np.ndarray):
    means = params.means
    var = _diag_var(params, means.shape[1])
    miss = RT @ (1.0 - rows.obs)
    s1 = RT @ rows.z0 + miss * means
    s2 = RT @ rows.z0**2 + miss * (means**2 + var)
    return s1, s2


# --- the compiled path: the complete-data E-step on zero-filled rows, corrected row by row ---
def correct(rows: MissingRows, params, ctype, log_prob, *, fused: bool):
    """Turn ``log_prob()`` -- the complete-data ``log w_k + log N(z0 | k)`` of the
    zero-filled rows, ``(K, N)`` -- into the observed cells' marginal. For a shared precision
    ``P`` (tied, one component) that pass is :func:`_shared_zero_filled` instead. With
    ``fused``, return the weighted responsibilities ``(K, N)``, the rows' log-likelihoods,
    the empty cells' share of ``s1`` and ``s2`` (in the covariance type's shape), to be added
    to the complete-data statistics of the zero-filled rows, and ``P``, or ``None`` for
    component-wise precisions: with a shared ``P`` the log-likelihoods leave out every row's
    ``-z0' P z0 / 2`` (:meth:`MissingRows.quad`; their sum is ``-tr(P G) / 2`` with the Gram
    matrix ``G``). Otherwise return ``lp``, complete. ``None`` for full and tied covariances
    when the compiled loop is not available or a block ``P_mm`` is numerically not definite
    (the caller then takes the pattern path)."""
    if ctype.name in _DIAGONAL:
        return _diag_correct(rows, params, log_prob(), fused, ctype.name == "spherical")
    if not _compiled.AVAILABLE:
        return None
    if "cols" not in rows._cache:
        rows._cache["cols"] = (rows.flat % rows.z0.shape[1]).astype(np.int64)
    prec = np.ascontiguousarray(_precisions(params, ctype.name))
    shared = prec[0] if prec.shape[0] == 1 else None
    lp = log_prob() if shared is None else _shared_zero_filled(rows, params, ctype, shared)
    out = _compiled.correct_rows(rows.z0, rows.ptr, rows._cache["cols"], rows.pat, lp,
                                 prec=prec, means=params.means, w=rows.w, fused=fused)
    if out is None:
        return None
    if not fused:
        if shared is not None:
            out -= 0.5 * rows.quad(shared)
        return out
    rt, lse, s1, s2 = out
    if ctype.name == "tied":
        return rt, lse, s1, s2[0] + s2[0].T, shared
    iu, ju = upper_indices(s2.shape[1])
    return rt, lse, s1, (s2 + np.swapaxes(s2, 1, 2))[:, iu, ju].T, shared


def _shared_zero_filled(rows: MissingRows, params, ctype, prec: np.ndarray):
    """The complete-data ``log w_k + log N(z0 | k)`` of the zero-filled rows under one
    precision ``P`` but for its term ``-z0' P z0 / 2``: one ``K x D`` product."""
    zt = rows.block(ctype)[0]
    pmu = params.means @ prec
    k, d = pmu.shape
    log_w = np.log(params.weights) if params.log_weights is None else params.log_weights
    offset = (np.broadcast_to(ctype.log_det(params.precisions_cholesky, d), (k,))
              - 0.5 * d * _LOG_2PI + log_w - 0.5 * np.einsum("kd,kd->k", pmu, params.means))
    lp = pmu @ zt
    lp += offset[:, None]
    return lp


def _diag_correct(rows: MissingRows, params, lp: np.ndarray, fused: bool, spherical: bool):
    """:func:`correct` for independent features: an empty cell ``i`` of component ``k`` just
    leaves out its factor, ``N(0 | mu_ki, v_ki)``, of the complete-data density, and fills
    with ``mu_ki`` (second moment ``mu_ki^2 + v_ki``): two products with the empty-cell
    indicator ``M``."""
    if "miss_t" not in rows._cache:
        rows._cache["miss_t"] = np.ascontiguousarray(1.0 - rows.obs.T)
    MT = rows._cache["miss_t"]
    means = params.means
    var = _diag_var(params, means.shape[1])
    lp += (0.5 * (np.log(2.0 * np.pi * var) + means**2 / var)) @ MT
    if not fused:
        return lp
    lse, RT = logsumexp_columns(lp)
    if rows.w is not None:
        RT *= rows.w
    counts = RT @ MT.T  # (K, D) responsibility-weighted empty cells
    s2 = counts * (means**2 + var)
    return RT, lse, counts * means, s2.sum(1) if spherical else s2, None


# --- the engine's entry points ----------------------------------------------------------------
def missing_log_prob(rows: MissingRows, params, ctype) -> tuple[np.ndarray, object]:
    """``log w_k + log N(x_o | k)`` of every row, ``(K, N)`` in work space, and what the
    statistics need again (the fills)."""
    if ctype.name in _DIAGONAL:
        lp, fills = _diag_estep(rows, params)
    else:
        d = params.means.shape[1]
        log_det = np.broadcast_to(ctype.log_det(params.precisions_cholesky, d),
                                  params.weights.shape)
        if ctype.name == "tied":
            lp, fills = _tied_estep(rows, params, float(log_det[0]))
        else:
            lp, fills = _full_estep(rows, params, ctype.name, log_det)
    lp += np.log(params.weights)[:, None]
    return lp, fills


def missing_stats(rows: MissingRows, params, ctype, stats_cls):
    """E-step statistics of the rows with empty cells, in the covariance type's shape."""
    lp, fills = missing_log_prob(rows, params, ctype)
    lse, RT = logsumexp_columns(lp)
    lse += rows.offset
    if rows.w is not None:
        RT *= rows.w
    loglik = float(lse.sum() if rows.w is None else lse @ rows.w)
    if ctype.name in _DIAGONAL:
        s1, s2 = _diag_moments(rows, params, RT)
        if ctype.name == "spherical":
            s2 = s2.sum(1)
    elif ctype.name == "tied":
        s1, s2 = _tied_moments(rows, params, RT, fills)
    else:
        s1, S2 = _full_moments(rows, params, RT, fills, ctype.name)
        iu, ju = upper_indices(S2.shape[1])
        s2 = S2[:, iu, ju].T.copy()
    weight = float(rows.n if rows.w is None else rows.w.sum())
    return stats_cls(RT.sum(1), s1, s2, loglik, weight, *worst_row(rows, lse, RT, params.means))


def worst_row(rows: MissingRows, lse: np.ndarray, RT: np.ndarray,
              means: np.ndarray) -> tuple[float, np.ndarray]:
    """The row with the lowest log-likelihood ``lse``, its empty cells filled with the
    responsibility-weighted means ``RT``: ``(ll, z)``."""
    i = int(np.argmin(lse))
    r = RT[:, i]
    return float(lse[i]), rows.z0[i] + (1.0 - rows.obs[i]) * (r @ means / max(r.sum(), 1e-300))


def conditional_fill(rows: MissingRows, params, ctype, method: str,
                     rng: np.random.Generator | None) -> np.ndarray:
    """The sorted rows with their empty cells filled (work space): the mixture's conditional
    mean ``E[x_m | x_o]`` (``method='mean'``) or one draw from ``p(x_m | x_o)``
    (``'sample'``: a component from the posterior given ``x_o``, then its conditional
    Gaussian)."""
    lp, fills = missing_log_prob(rows, params, ctype)
    mx = lp.max(0)
    R = np.exp(lp - mx)
    R /= R.sum(0)
    k, d = params.means.shape
    if method == "mean":
        out = np.zeros((rows.n, d))
        for j in range(k):
            x = (_filled(rows, params.means[j], fills, j) if fills is not None
                 else rows.z0 + (1.0 - rows.obs) * params.means[j])
            out += R[j][:, None] * x
        return out
    c = np.cumsum(R, axis=0)
    label = np.minimum((c < rng.random(rows.n) * c[-1]).sum(0), k - 1)
    noise = rng.standard_normal((rows.n, d))
    out = rows.z0.copy()
    for j in range(k):
        sel = label == j
        if fills is None:
            sd = np.sqrt(_diag_var(params, d)[j])
            fill = params.means[j] + noise * sd
            out[sel] = np.where(rows.obs[sel] > 0, out[sel], fill[sel])
            continue
        x = _filled(rows, params.means[j], fills, j)
        covs = fills[j][1]
        for gi, g in enumerate(rows.groups):
            if g.q == 0:
                continue
            sub = np.flatnonzero(sel[g.rows])
            low = np.linalg.cholesky(covs[gi][0])[g.pat[sub]]
            cells = rows.flat[rows.cuts[gi] : rows.cuts[gi + 1]].reshape(-1, g.q)[sub]
            eps = noise.ravel()[cells]
            out.ravel()[cells] = x.ravel()[cells] + np.einsum("nij,nj->ni", low, eps)
    return out
