"""Initialisation of Gaussian mixtures: k-means++, k-means, random and random-from-data.

All methods work block by block in the engine's work space and return summed statistics,
from which the first parameters come by one M-step.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ._covariance import CovarianceType
from ._engine import Stats, Workspace, block_rows, hard_stats, map_blocks

__all__ = ["INIT_METHODS", "init_stats", "kmeans_plusplus", "lloyd", "nearest"]

# k-means on more rows than this runs on a random subsample (the final labels use all rows)
_KMEANS_SUBSAMPLE = 200_000


def _sum(parts: list[Stats]) -> Stats:
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


def nearest(X: np.ndarray, ws: Workspace, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest centre and squared distance to it, for every row of ``X``."""
    n, d = X.shape
    labels = np.empty(n, dtype=np.intp)
    d2 = np.empty(n)
    cc = np.einsum("kd,kd->k", centers, centers)

    def one(sl: slice) -> None:
        zt = ws.block(X[sl])
        dist = centers @ zt
        dist *= -2.0
        dist += cc[:, None]
        dist += np.einsum("db,db->b", zt, zt)[None, :]
        labels[sl] = np.argmin(dist, axis=0)
        d2[sl] = np.maximum(dist[labels[sl], np.arange(zt.shape[1])], 0.0)

    map_blocks(one, n, block_rows(d, centers.shape[0]))
    return labels, d2


def _draw(rng: np.random.Generator, p: np.ndarray, size: int) -> np.ndarray:
    c = np.cumsum(p)
    if not np.isfinite(c[-1]) or c[-1] <= 0:
        return rng.integers(p.shape[0], size=size)
    return np.minimum(np.searchsorted(c, rng.random(size) * c[-1], side="right"), p.shape[0] - 1)


def kmeans_plusplus(X: np.ndarray, ws: Workspace, k: int, rng: np.random.Generator,
                    w: np.ndarray | None = None) -> np.ndarray:
    """Greedy k-means++ seeding (Arthur and Vassilvitskii, 2007), in work space."""
    n = X.shape[0]
    weight = np.ones(n) if w is None else w
    centers = np.empty((k, X.shape[1]))
    centers[0] = ws.block(X[_draw(rng, weight, 1)])[:, 0]
    _, closest = nearest(X, ws, centers[:1])
    trials = 2 + int(math.log(k))
    for c in range(1, k):
        cand = _draw(rng, weight * closest, trials)
        zc = ws.block(X[cand]).T
        best, best_pot, best_d = 0, np.inf, closest
        for t in range(trials):
            _, dt = nearest(X, ws, zc[t : t + 1])
            dt = np.minimum(closest, dt)
            pot = float(dt @ weight)
            if pot < best_pot:
                best, best_pot, best_d = t, pot, dt
        centers[c] = zc[best]
        closest = best_d
    return centers


def lloyd(X: np.ndarray, ws: Workspace, centers: np.ndarray, w: np.ndarray | None = None,
          *, max_iter: int = 100, tol: float = 1e-4) -> np.ndarray:
    """Lloyd iterations from ``centers``; stops when centres move less than ``tol`` (squared,
    relative to the data's variance, which is about 1 in work space)."""
    k = centers.shape[0]
    weight = np.ones(X.shape[0]) if w is None else w
    for _ in range(max_iter):
        labels, _ = nearest(X, ws, centers)
        nk = np.bincount(labels, weights=weight, minlength=k)
        sums = np.zeros_like(centers)
        for j in range(centers.shape[1]):
            sums[:, j] = np.bincount(labels, weights=weight * X[:, j], minlength=k)
        new = centers.copy()
        full = nk > 0
        new[full] = (sums[full] / nk[full, None] - ws.shift) / ws.scale
        shift = float(((new - centers) ** 2).sum())
        centers = new
        if shift <= tol:
            break
    return centers


def _labels_stats(X, w, ws, labels, d2, k, ctype) -> Stats:
    n, d = X.shape

    def one(sl: slice) -> Stats:
        s = hard_stats(ws.block(X[sl]), None if w is None else w[sl], labels[sl], k, ctype)
        i = int(np.argmax(d2[sl]))
        s.worst_ll, s.worst_z = -float(d2[sl][i]), ws.block(X[sl][i : i + 1])[:, 0]
        return s

    return _sum(map_blocks(one, n, block_rows(d, k)))


def _from_centers(X, w, ws, centers, ctype) -> Stats:
    labels, d2 = nearest(X, ws, centers)
    return _labels_stats(X, w, ws, labels, d2, centers.shape[0], ctype)


def _init_kmeans(X, w, ws, k, rng, ctype) -> Stats:
    sub, wsub = X, w
    if X.shape[0] > _KMEANS_SUBSAMPLE:
        idx = np.sort(rng.choice(X.shape[0], _KMEANS_SUBSAMPLE, replace=False))
        sub, wsub = X[idx], None if w is None else w[idx]
    centers = lloyd(sub, ws, kmeans_plusplus(sub, ws, k, rng, wsub), wsub)
    return _from_centers(X, w, ws, centers, ctype)


def _init_kmeans_pp(X, w, ws, k, rng, ctype) -> Stats:
    return _from_centers(X, w, ws, kmeans_plusplus(X, ws, k, rng, w), ctype)


def _init_random_from_data(X, w, ws, k, rng, ctype) -> Stats:
    idx = rng.choice(X.shape[0], size=k, replace=False)
    return _from_centers(X, w, ws, ws.block(X[idx]).T.copy(), ctype)


def _init_random(X, w, ws, k, rng, ctype) -> Stats:
    n = X.shape[0]
    parts = []
    for sl in (slice(s, min(s + 8192, n)) for s in range(0, n, 8192)):
        zt = ws.block(X[sl])
        RT = rng.random((k, zt.shape[1]))
        RT /= RT.sum(0)
        if w is not None:
            RT *= w[sl]
        parts.append(Stats(RT.sum(1), RT @ zt.T, ctype.second_moment(zt, RT), 0.0,
                           float(RT.sum()), np.inf, zt[:, 0].copy()))
    return _sum(parts)


INIT_METHODS: dict[str, Callable[..., Stats]] = {
    "kmeans": _init_kmeans,
    "k-means++": _init_kmeans_pp,
    "random": _init_random,
    "random_from_data": _init_random_from_data,
}


def init_stats(method: str, X: np.ndarray, w: np.ndarray | None, ws: Workspace, k: int,
               rng: np.random.Generator, ctype: CovarianceType) -> Stats:
    """Statistics of the initial partition of ``X`` into ``k`` components."""
    return INIT_METHODS[method](X, w, ws, k, rng, ctype)
