"""Initialisation of Gaussian mixtures: k-means++, k-means, random and random-from-data.

All methods work block by block in the engine's work space and return summed statistics,
from which the first parameters come by one M-step.

Every random choice is made on the *weighted empirical measure* of the rows (:func:`measure`):
the distinct rows in lexicographic order, each with its summed weight. So a
row of weight 2 and two copies of the row, or the same rows in another order, give the same
draws from the same seed and the same initialisation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..density import draw_categories
from ._covariance import CovarianceType
from ._engine import InMemoryData, Stats, block_rows, hard_stats, map_blocks, sum_stats

__all__ = ["INIT_METHODS", "Measure", "Seeding", "init_stats", "kmeans_plusplus", "lloyd",
           "measure", "nearest"]

# k-means on more rows than this runs on a random subsample (the final labels use all rows)
_KMEANS_SUBSAMPLE = 200_000


def _sqdist(data: InMemoryData, sl: slice, centers: np.ndarray, cc: np.ndarray) -> np.ndarray:
    """Squared distances ``(B, k)`` between the rows ``sl`` and the centres."""
    dist = data.zt(sl).T @ centers.T
    dist *= -2.0
    dist += cc
    dist += data.sqnorms(sl)[:, None]
    return np.maximum(dist, 0.0, out=dist)


def nearest(data: InMemoryData, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest centre and squared distance to it, for every row."""
    labels = np.empty(data.n, dtype=np.intp)
    d2 = np.empty(data.n)
    cc = np.einsum("kd,kd->k", centers, centers)

    def one(sl: slice) -> None:
        dist = _sqdist(data, sl, centers, cc)
        labels[sl] = np.argmin(dist, axis=1)
        d2[sl] = np.take_along_axis(dist, labels[sl, None], axis=1)[:, 0]

    map_blocks(one, data.n, block_rows(data.d + 2 * centers.shape[0]))
    return labels, d2


def _distances(data: InMemoryData, centers: np.ndarray) -> np.ndarray:
    """All squared distances ``(k, N)`` to a few centres."""
    cc = np.einsum("kd,kd->k", centers, centers)
    out = np.empty((centers.shape[0], data.n))

    def one(sl: slice) -> None:
        out[:, sl] = _sqdist(data, sl, centers, cc).T

    map_blocks(one, data.n, block_rows(data.d + 2 * centers.shape[0]))
    return out


def _rows(data: InMemoryData, idx) -> np.ndarray:
    return data.ws.block(data.X[np.atleast_1d(idx)]).T


def kmeans_plusplus(data: InMemoryData, k: int, rng: np.random.Generator) -> np.ndarray:
    """Greedy k-means++ seeding (Arthur and Vassilvitskii, 2007), in work space."""
    weight = np.ones(data.n) if data.w is None else data.w
    centers = np.empty((k, data.d))
    centers[0] = _rows(data, draw_categories(rng, weight, 1))[0]
    closest = _distances(data, centers[:1])[0]
    trials = 2 + int(math.log(k))
    for c in range(1, k):
        cand = _rows(data, draw_categories(rng, weight * closest, trials))
        dist = np.minimum(_distances(data, cand), closest)
        best = int(np.argmin(dist @ weight))
        centers[c] = cand[best]
        closest = dist[best]
    return centers


class Seeding:
    """Greedy k-means++ seeds drawn one at a time, for a sweep over the number of seeds.

    Every seed takes ``trials`` candidates, fixed in advance (:func:`kmeans_plusplus` takes
    ``2 + log k`` for ``k`` seeds), so the first ``k`` seeds of a longer seeding are the
    seeding of ``k`` from the same generator: ``seeds(k + 1)[:k] == seeds(k)``. With
    ``trials = 2 + int(log k)`` the first ``k`` seeds are ``kmeans_plusplus(data, k, rng)``.
    """

    def __init__(self, data: InMemoryData, rng: np.random.Generator, trials: int) -> None:
        self.data, self.rng, self.trials = data, rng, max(1, int(trials))
        self.weight = np.ones(data.n) if data.w is None else data.w
        self.centers = np.empty((0, data.d))
        self.closest: np.ndarray | None = None

    def seeds(self, k: int) -> np.ndarray:
        """The first ``k`` seeds (drawing the ones not drawn yet), ``(k, d)`` in work space."""
        while self.centers.shape[0] < k:
            self._add()
        return self.centers[:k].copy()

    def _add(self) -> None:
        if self.closest is None:
            center = _rows(self.data, draw_categories(self.rng, self.weight, 1))[0]
            self.closest = _distances(self.data, center[None])[0]
        else:
            pick = draw_categories(self.rng, self.weight * self.closest, self.trials)
            cand = _rows(self.data, pick)
            dist = np.minimum(_distances(self.data, cand), self.closest)
            best = int(np.argmin(dist @ self.weight))
            center, self.closest = cand[best], dist[best]
        self.centers = np.vstack([self.centers, center[None]])


def lloyd(data: InMemoryData, centers: np.ndarray, *, max_iter: int = 100,
          tol: float = 1e-4) -> np.ndarray:
    """Lloyd iterations from ``centers``; stops when the centres move less than ``tol``
    (summed squared shift, in work space where the data's variance is about 1)."""
    k = centers.shape[0]
    for _ in range(max_iter):
        labels, _ = nearest(data, centers)

        def sums(sl: slice, labels=labels) -> tuple[np.ndarray, np.ndarray]:
            onehot = np.zeros((k, sl.stop - sl.start))
            w = data.weights(sl)
            onehot[labels[sl], np.arange(onehot.shape[1])] = 1.0 if w is None else w
            return onehot.sum(1), onehot @ data.zt(sl).T

        parts = map_blocks(sums, data.n, block_rows(data.d + k))
        nk = sum(p[0] for p in parts)
        s1 = sum(p[1] for p in parts)
        new = centers.copy()
        full = nk > 0
        new[full] = s1[full] / nk[full, None]
        moved = float(((new - centers) ** 2).sum())
        centers = new
        if moved <= tol:
            break
    return centers


def _from_centers(data: InMemoryData, centers: np.ndarray, ctype: CovarianceType) -> Stats:
    labels, d2 = nearest(data, centers)
    k = centers.shape[0]

    def one(sl: slice) -> Stats:
        s = hard_stats(data.zt(sl), data.weights(sl), labels[sl], k, ctype)
        i = int(np.argmax(d2[sl]))
        s.worst_ll, s.worst_z = -float(d2[sl][i]), data.zt(sl)[:, i].copy()
        return s

    return sum_stats(map_blocks(one, data.n, block_rows(ctype.width(data.d, k))))


# --- the weighted empirical measure -------------------------------------------------------
@dataclass
class Measure:
    """Distinct rows of positive weight, in an order that depends on their values alone.

    ``rows`` indexes one copy of each distinct row in ``X``, ``weight`` is its summed weight
    and ``of_row`` maps every row of ``X`` to its distinct row (-1 for a row of weight 0).
    """

    rows: np.ndarray
    weight: np.ndarray
    of_row: np.ndarray


def _lex_groups(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lexicographic order of the rows of ``X`` and the label of each run of equal rows.

    The rows are sorted by the first column, then only the runs of ties by the next column,
    and so on; continuous data costs one sort. The order depends on the values alone and is
    kept by any increasing map of the columns (units, a shift).
    """
    order = np.argsort(X[:, 0], kind="stable")
    label = _runs(X[order, 0], np.zeros(X.shape[0], dtype=np.intp))
    for j in range(1, X.shape[1]):
        tied = _tied(label)
        if not tied.size:
            break
        sub = order[tied]
        o = np.lexsort((X[sub, j], label[tied]))
        order[tied] = sub[o]
        label = _runs(X[order, j], label)
    return order, label


def _runs(values: np.ndarray, label: np.ndarray) -> np.ndarray:
    """Labels of the runs where both ``label`` and ``values`` stay the same."""
    new = np.empty(values.shape[0], dtype=bool)
    new[:1] = True
    new[1:] = (values[1:] != values[:-1]) | (label[1:] != label[:-1])
    return np.cumsum(new) - 1


def _tied(label: np.ndarray) -> np.ndarray:
    """Positions in runs of more than one row."""
    size = np.bincount(label)
    return np.flatnonzero(size[label] > 1)


def measure(data: InMemoryData) -> Measure:
    """The weighted empirical measure of the rows of ``data`` (see :class:`Measure`); made
    once per data and kept with it for the next initialisations."""
    if "_measure" not in data._features:
        data._features["_measure"] = _measure(data)
    return data._features["_measure"]


def _measure(data: InMemoryData) -> Measure:
    w = np.ones(data.n) if data.w is None else data.w
    pos = np.flatnonzero(w > 0)
    order, label = _lex_groups(data.X[pos])
    starts = np.flatnonzero(np.r_[True, label[1:] != label[:-1]])
    of_row = np.full(data.n, -1, dtype=np.intp)
    of_row[pos[order]] = label
    weight = np.bincount(label, weights=w[pos[order]])
    return Measure(pos[order[starts]], weight, of_row)


def _measure_data(data: InMemoryData, m: Measure, cap: int | None = None,
                  rng: np.random.Generator | None = None) -> InMemoryData:
    """The distinct rows with their weights as data; over ``cap`` of them, a weighted draw
    of ``cap`` rows (with repeats, kept as counts)."""
    rows, weight = m.rows, m.weight
    if cap is not None and rows.size > cap:
        counts = rng.multinomial(cap, weight / weight.sum())
        keep = counts > 0
        rows, weight = rows[keep], counts[keep].astype(np.float64)
    return InMemoryData(data.X[rows], weight, data.ws)


# --- the methods ---------------------------------------------------------------------------
def _init_kmeans(data, k, rng, ctype) -> Stats:
    sub = _measure_data(data, measure(data), _KMEANS_SUBSAMPLE, rng)
    centers = lloyd(sub, kmeans_plusplus(sub, k, rng))
    return _from_centers(data, centers, ctype)


def _init_kmeans_pp(data, k, rng, ctype) -> Stats:
    sub = _measure_data(data, measure(data))
    return _from_centers(data, kmeans_plusplus(sub, k, rng), ctype)


def _init_random_from_data(data, k, rng, ctype) -> Stats:
    """``k`` distinct rows drawn without replacement, each with probability proportional to
    its weight (uniformly for unweighted rows)."""
    m = measure(data)
    p = m.weight / m.weight.sum()
    pick = rng.choice(m.rows.size, size=k, replace=m.rows.size < k, p=p)
    return _from_centers(data, _rows(data, m.rows[pick]), ctype)


def _init_random(data, k, rng, ctype) -> Stats:
    """Random responsibilities, drawn once per distinct row (copies of a row share them)."""
    m = measure(data)
    R = rng.random((k, m.rows.size))
    R /= R.sum(0)
    of_row = np.maximum(m.of_row, 0)
    parts = []
    for sl in (slice(s, min(s + 8192, data.n)) for s in range(0, data.n, 8192)):
        zt = data.zt(sl)
        RT = R[:, of_row[sl]]
        w = data.weights(sl)
        if w is not None:
            RT *= w
        q = ctype.block_features(zt)
        parts.append(Stats(RT.sum(1), RT @ zt.T, ctype.second_moment(zt, q, RT), 0.0,
                           float(RT.sum()), np.inf, zt[:, 0].copy()))
    return sum_stats(parts)


INIT_METHODS: dict[str, Callable[..., Stats]] = {
    "kmeans": _init_kmeans,
    "k-means++": _init_kmeans_pp,
    "random": _init_random,
    "random_from_data": _init_random_from_data,
}


def init_stats(method: str, data: InMemoryData, k: int, rng: np.random.Generator,
               ctype: CovarianceType) -> Stats:
    """Statistics of the initial partition of the data into ``k`` components."""
    return INIT_METHODS[method](data, k, rng, ctype)
