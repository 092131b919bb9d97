"""Filling empty cells of a table from a kernel density or a Gaussian mixture of its numeric
and label columns.

:func:`impute_table` standardises the numeric columns (on their observed cells), and the 0/1
indicators of each label column of at most 20 labels (text, categories, booleans: one
indicator per label but the commonest), and fills each empty cell from a model of the rows,
given the row's observed cells:

- ``method='kde'``: the conditional of a Gaussian kernel density estimate whose centres are
  the other rows, with a covariance-shaped bandwidth ``H = h^2 S`` (``S`` the covariance of a
  Gaussian fitted by EM to the observed cells, shrunk towards its diagonal scale). The
  conditional mean is a soft, covariance-aware nearest-neighbour regression with a local
  linear correction, ``sum_i w_i (c_im + S_mo S_oo^-1 (x_o - c_io))``,
  ``w_i ~ N(x_o; c_io, h^2 S_oo)``. The centres' own empty cells are filled first by the
  Gaussian's conditional mean, then twice by the kernel density's. The centres that weigh
  under ``1e-4 / n`` of a row's nearest (``n`` rows) are left out: a fill is within
  ``1e-4`` of the centres' spread of the exact conditional mean.
- ``method='mixture'``: the conditional of a full-covariance Gaussian mixture fitted by EM
  under missing at random (1, 2, 4 or 8 components).
- ``method='auto'`` (default): the candidates (the kernel's shrinkage and bandwidth over a
  grid, and the mixture sizes) are scored by how well each fills cells it was not shown:
  another tenth of the observed cells is hidden; nothing the user emptied is used. The
  Gaussian fitted to the cells the choice was shown then starts the EM of the fills' own.

For multiple imputation the cells are draws from that conditional instead of its mean. An
empty label cell gets the label whose filled indicator is largest (the commonest label's being
one minus the others'): the likeliest label, or with draws, a label drawn near the row's
neighbours'. Observed cells, dates and other columns are returned untouched.

The kernel's rows go in blocks, side by side on the cores this process may use
(:func:`densitykit._parallel.available_cores`); the fills are the same, bit for bit, on one
core or many.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=500)
>>> df = pd.DataFrame({"a": x, "b": 2 * x + rng.normal(0, 0.1, 500), "tag": "t"})
>>> df.loc[:49, "b"] = np.nan
>>> filled = impute_table(df, random_state=0)[0]
>>> bool(filled["b"].notna().all()), bool((filled["a"] == df["a"]).all())
(True, True)
>>> float(np.abs(filled.loc[:49, "b"] - 2 * x[:50]).mean()) < 0.2
True
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._parallel import blas_single_threaded, each
from ._validation import check_in, check_int, check_random_state
from .density import draw_categories
from .exceptions import DataError, DataTypeError

__all__ = ["choose_components_by_cells", "choose_kernel_by_cells", "impute_table",
           "kde_conditional_mean", "kde_conditional_sample", "kde_impute"]

METHODS = ("auto", "kde", "mixture")

_CANDIDATES = (1, 2, 4, 8)


def _mixture(k: int, seed: int) -> Any:
    from .gaussian import GaussianMixture

    return GaussianMixture(k, covariance_type="full", max_iter=200, random_state=seed)


def _fit(k: int, X: np.ndarray, seed: int, start: Any = None) -> Any:
    """A mixture of ``k`` fitted to ``X``; from the parameters of the fitted mixture
    ``start`` (of ``k`` components) if given."""
    model = _mixture(k, seed)
    if start is not None:
        model.set_params(weights_init=start.weights_, means_init=start.means_,
                         precisions_init=start.precisions_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X)


def choose_components_by_cells(X: np.ndarray, candidates: Sequence[int] = _CANDIDATES,
                               random_state: Any = 0, share: float = 0.1) -> int:
    """The number of components whose mixture best fills observed cells it was not shown.

    ``share`` of the observed cells are hidden; each candidate is fitted on the rest and
    scored by the squared error of its conditional means on the hidden cells. Sizes that need
    more rows than there are (about ``2 (d + 1)`` per component) are skipped.
    """
    rng = check_random_state(random_state)
    seed = int(rng.integers(2**31 - 1))
    n, d = X.shape
    sizes = [k for k in candidates if k * 2 * (d + 1) <= n] or [1]
    if len(sizes) == 1:
        return sizes[0]
    hide = ~np.isnan(X) & (rng.random(X.shape) < share)
    shown = np.where(hide, np.nan, X)
    errors = {k: float(np.mean((_fit(k, shown, seed).impute(shown)[hide] - X[hide]) ** 2))
              for k in sizes}
    return min(errors, key=errors.get)


# ---- the conditional of a Gaussian kernel density estimate ---------------------------------
#
# The kernel density of the rows, with a bandwidth shaped like a covariance, H = h^2 S, has a
# closed-form conditional: given a row's observed cells x_o, the kernel of centre c_i has
# weight w_i ~ N(x_o; c_io, h^2 S_oo) and conditional N(c_im + B (x_o - c_io), h^2 S_m|o),
# B = S_mo S_oo^-1 (h cancels). In the precision form P = S^-1, with x~ any completion of x:
#   (x_o - c_io)' S_oo^-1 (x_o - c_io) = (x~ - c_i)' P (x~ - c_i) - u_m' P_mm^-1 u_m,
#   u = P (x~ - c_i);  c_im + B (x_o - c_io) = x~_m - P_mm^-1 u_m;  S_m|o = P_mm^-1,
# so every row costs one small factorisation of P_mm and products with the centres. The
# exact distance is needed only for the centres whose lower bound, q_i - sum_j w_j u_j^2,
# is within reach of the nearest (the others weigh under exp(-_CUTOFF) of it; the
# imputation's own fills use the looser _fill_cutoff). The weights
# scale the diagonal of A = P_mm^-1: w = diag(A) / lambda_min(D^1/2 P_mm D^1/2), D = diag(A),
# so that u' A u <= sum_j w_j u_j^2 (where the cells' conditional variances differ, as at
# s = 0.1, it keeps a quarter fewer centres than |u_m|^2 / lambda_min(P_mm)). Per row,
# that and the weighted sums run in compiled loops (_impute_loops, with numba) or in their
# NumPy twin (_numpy_means, _numpy_draws), which give the same numbers.

_SHRINK = (0.1, 0.5, 0.9)
_BANDWIDTHS = (0.025, 0.05, 0.1, 0.2, 0.4, 0.8)
_SCORED_ROWS = 1000
#: centres whose kernel weighs under exp(-_CUTOFF) of the nearest one's are left out
_CUTOFF = 30.0
#: the share of the kernels' weight the fills may leave out (see _fill_cutoff)
_LEFT_OUT = 1e-4


def _fill_cutoff(n: int) -> float:
    """The cut-off of the imputation's fills with ``n`` centres (see :func:`kde_impute`);
    the public conditionals keep ``_CUTOFF``."""
    return float(np.log(max(n, 1) / _LEFT_OUT))


def _shape(cov: np.ndarray, shrink: float) -> np.ndarray:
    """The bandwidth's shape ``S``: the covariance shrunk towards its own diagonal scale."""
    d = cov.shape[0]
    return (1 - shrink) * cov + shrink * np.trace(cov) / d * np.eye(d)


def _side_by_side(fn: Any) -> Any:
    """Run ``fn`` with BLAS on one thread: it takes the rows in parts, side by side on the
    cores (:func:`densitykit._parallel.each`). A row's result depends on its own part only,
    and a product's rounding can depend on its threads, so the numbers are the same on any
    machine."""
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        with blas_single_threaded():
            return fn(*args, **kwargs)

    return run


def _block_size(n: int) -> int:
    return int(max(1, min(256, 2**21 // max(n, 1))))


def _row_distances(q: np.ndarray, bound: np.ndarray, m: np.ndarray, px: np.ndarray,
                   PCt: np.ndarray, K: np.ndarray, margin: float) -> None:
    """Turn one row's full-space distances ``q`` into the distances of its observed cells.

    ``q - u_m' P_mm^-1 u_m`` is evaluated only for centres whose lower bound ``bound`` is
    within ``margin`` of the nearest centre (the nearer of the centres with the smallest
    ``q``, an upper bound, and the smallest bound); the others would weigh less than
    ``exp(-margin / 2h^2)`` of the nearest, and are set to infinity.
    """
    def exact(idx):
        V = K @ (px[:, None] - PCt[m].take(idx, axis=1))
        return q[idx] - np.einsum("ij,ij->j", V, V)

    few = np.array([np.argmin(q), np.argmin(bound)])
    idx = np.flatnonzero(bound <= exact(few).min() + margin)
    near = exact(idx)
    q[:] = np.inf
    q[idx] = near


def _centres(C: np.ndarray, P: np.ndarray) -> tuple:
    """What every block of rows needs of the centres: ``(C, P, L, C L, C P, (C P)', |C L|^2,
    (C P)'^2)``."""
    L = np.linalg.cholesky(P)
    Yc, PC = C @ L, C @ P
    PCt = np.ascontiguousarray(PC.T)
    return C, P, L, Yc, PC, PCt, np.einsum("ij,ij->i", Yc, Yc), PCt**2


def _blocks(rows: np.ndarray, n: int) -> list[slice]:
    """The blocks of ``rows`` (slices) that go through the centres together."""
    step = _block_size(n)
    return [slice(s, s + step) for s in range(0, rows.size, step)]


@dataclass
class _Factors:
    """Per row ``a``: its empty columns ``miss[start[a]:start[a] + counts[a]]`` (the wanted
    ones last, ``tails[a]`` of them), the inverse Cholesky factor of ``P_mm`` for them (the
    ``counts[a]^2`` entries of ``K`` from ``kstart[a]``, row by row) and the bound's weights
    of those columns (``weights``, beside ``miss``). ``miss``, ``weights`` and ``K`` are
    flat, for every row."""

    counts: np.ndarray
    start: np.ndarray
    miss: np.ndarray
    kstart: np.ndarray
    K: np.ndarray
    weights: np.ndarray
    tails: np.ndarray

    def block(self, part: slice) -> _Factors:
        """The rows ``part`` (the flat arrays are shared)."""
        return _Factors(self.counts[part], self.start[part], self.miss, self.kstart[part],
                        self.K, self.weights, self.tails[part])

    def row(self, a: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row ``a``'s empty columns, factor and bound weights."""
        k, s, t = self.counts[a], self.start[a], self.kstart[a]
        return self.miss[s:s + k], self.K[t:t + k * k].reshape(k, k), self.weights[s:s + k]


@_side_by_side
def _factors(P: np.ndarray, Mr: np.ndarray, want: np.ndarray | None = None) -> _Factors:
    """The :class:`_Factors` of the rows with empty cells ``Mr``, batched over rows with as
    many; with ``want`` (a mask of the cells whose fill is needed) a row's wanted columns
    come last, else ``tails`` counts all its empty columns."""
    d = Mr.shape[1]
    counts = Mr.sum(axis=1).astype(np.int64)
    start = np.concatenate([[0], np.cumsum(counts)])
    kstart = np.concatenate([[0], np.cumsum(counts**2)])
    fac = _Factors(counts, start[:-1], np.empty(start[-1], dtype=np.int64), kstart[:-1],
                   np.empty(kstart[-1]), np.empty(start[-1]),
                   counts if want is None else (want & Mr).sum(axis=1).astype(np.int64))

    def batch(k: int) -> None:  # the rows with k empty cells
        sel = np.flatnonzero(counts == k)
        mi = np.nonzero(Mr[sel])[1].reshape(sel.size, k)
        if want is not None:  # the wanted columns last, each part in column order
            mi = np.take_along_axis(mi, np.argsort(want[sel[:, None], mi] * d + mi), axis=1)
        Pmm = P[mi[:, :, None], mi[:, None, :]]
        K = np.linalg.inv(np.linalg.cholesky(Pmm))
        cells = fac.start[sel][:, None] + np.arange(k)
        fac.miss[cells] = mi
        fac.K[fac.kstart[sel][:, None] + np.arange(k * k)] = K.reshape(sel.size, k * k)
        fac.weights[cells] = _bound_weights(Pmm, np.einsum("srj,srj->sj", K, K))

    # the largest batches first, so that the cores finish together
    sizes = np.bincount(counts)[1:] * np.arange(1, counts.max(initial=0) + 1) ** 3
    each(batch, [int(k) + 1 for k in np.argsort(-sizes, kind="stable") if sizes[k]])
    return fac


def _bound_weights(Pmm: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Per row, weights ``w`` with ``u' P_mm^-1 u <= sum_j w_j u_j^2`` for every ``u``, from
    the diagonal ``a`` of ``P_mm^-1``: ``a / lambda_min(D^1/2 P_mm D^1/2)``, ``D = diag(a)``."""
    root = np.sqrt(a)
    return a / np.linalg.eigvalsh(Pmm * root[:, :, None] * root[:, None, :])[:, :1]


def _distances(cen: tuple, Xt: np.ndarray, r: np.ndarray, fac: _Factors,
               margin: float) -> tuple[np.ndarray, np.ndarray]:
    """``(d2, PX)`` for the rows ``r`` (their factors ``fac``): squared Mahalanobis
    distances of each row's observed cells to every centre's (under ``S_oo``; a row is not
    its own centre; centres farther than ``margin`` beyond the nearest are set to
    infinity)."""
    _, P, L, Yc, _, PCt, yc2, pc2 = cen
    Yq, PX, Wr = Xt[r] @ L, Xt[r] @ P, np.zeros(Xt[r].shape)
    d2 = np.einsum("ij,ij->i", Yq, Yq)[:, None] - 2 * (Yq @ Yc.T) + yc2
    d2[np.arange(r.size), r] = np.inf
    np.maximum(d2, 0.0, out=d2)
    # sum_j w_j u_j^2 over the empty cells, for every centre: at least u_m' P_mm^-1 u_m
    for a in np.flatnonzero(fac.counts):
        m, _, w = fac.row(a)
        Wr[a, m] = w
    u2 = (Wr * PX**2).sum(axis=1)[:, None] - 2 * ((Wr * PX) @ PCt) + Wr @ pc2
    for a in np.flatnonzero(fac.counts):
        m, K, _ = fac.row(a)
        low = d2[a] - np.maximum(u2[a], 0.0)
        _row_distances(d2[a], low, m, PX[a, m], PCt, K, margin)
    np.maximum(d2, 0.0, out=d2)
    return d2, PX


def _weighted_centres(d2: np.ndarray, PC: np.ndarray, bandwidths: Sequence[float],
                      cut: float):
    """``sum_i w_i PC_i`` per bandwidth and row: shape ``(len(bandwidths), rows, d)``.

    Centres beyond ``_margin(h, cut)`` of a row's nearest are left out (they weigh under
    ``exp(-cut)`` of it); when few remain the product is sparse, else dense.
    """
    from scipy.sparse import csr_matrix

    excess = d2 - d2.min(axis=1, keepdims=True)
    out = np.empty((len(bandwidths), d2.shape[0], PC.shape[1]))
    for t, h in enumerate(bandwidths):
        near = excess <= _margin(h, cut)
        if near.mean() > 0.1:
            W = _weights(d2, h)
            out[t] = W @ PC
            continue
        rr, cc = np.nonzero(near)
        w = np.exp(-excess[rr, cc] / (2 * h * h))
        indptr = np.concatenate([[0], np.cumsum(near.sum(axis=1))])
        W = csr_matrix((w, cc, indptr), shape=d2.shape)
        out[t] = (W @ PC) / np.bincount(rr, w, minlength=d2.shape[0])[:, None]
    return out


def _margin(h: float, cut: float) -> float:
    """Centres this much farther (squared) than the nearest weigh under ``exp(-cut)`` of
    it."""
    return 2 * h * h * cut


def _weights(d2: np.ndarray, h: float) -> np.ndarray:
    """Normalised kernel weights per row, log-sum-exp style (the nearest centre weighs 1)."""
    W = np.exp(-(d2 - d2.min(axis=1, keepdims=True)) / (2 * h * h))
    return W / W.sum(axis=1, keepdims=True)


def _loops() -> Any:
    """The compiled loops (:mod:`densitykit._impute_loops`), or ``None`` without numba."""
    try:
        from . import _impute_loops
    except ImportError:
        return None
    return _impute_loops


def _numpy_means(cen: tuple, Xt: np.ndarray, r: np.ndarray, fac: _Factors,
                 bandwidths: Sequence[float], cut: float, out: np.ndarray) -> None:
    """The compiled loops' twin: the conditional means of the rows ``r`` into ``out``."""
    d2, PX = _distances(cen, Xt, r, fac, _margin(max(bandwidths), cut))
    G = PX - _weighted_centres(d2, cen[4], bandwidths, cut)  # P (x~ - cbar), per bandwidth
    for a in np.flatnonzero(fac.counts):
        m, K, _ = fac.row(a)
        out[:, a, m] -= (K.T @ (K @ G[:, a, m].T)).T


def _compiled_args(cen: tuple, Xt: np.ndarray, r: np.ndarray, fac: _Factors) -> tuple:
    """What the compiled loops take for the rows ``r`` (see :mod:`densitykit._impute_loops`):
    the whitened rows against the whitened centres, the norms, ``(C P)'``, ``X P``, ``X``,
    the factors and each row's own centre."""
    _, P, L, Yc, _, PCt, yc2, _ = cen
    Xr = Xt[r]
    Yq = Xr @ L
    return (Yq @ Yc.T, np.einsum("ij,ij->i", Yq, Yq), yc2, PCt, Xr @ P, Xr, fac.counts,
            fac.start, fac.miss, fac.kstart, fac.K, fac.weights, r.astype(np.int64))


@_side_by_side
def _conditional_means(Xt: np.ndarray, M: np.ndarray, C: np.ndarray, S: np.ndarray,
                       bandwidths: Sequence[float], rows: np.ndarray,
                       want: np.ndarray | None = None,
                       fac: _Factors | None = None, cut: float = _CUTOFF) -> np.ndarray:
    """:func:`kde_conditional_mean`; with ``want`` (a mask of the rows' cells), only those
    cells are sure to be filled (the compiled loops then skip the others). ``fac``: the
    rows' factors, if already at hand; ``cut``: centres weighing under ``exp(-cut)`` of the
    nearest are left out."""
    loops = _loops()
    cen = _centres(C, np.linalg.inv(S))
    fac = _factors(cen[1], M[rows], want) if fac is None else fac
    out = np.repeat(Xt[rows][None], len(bandwidths), axis=0)
    betas = 0.5 / np.asarray(bandwidths, dtype=np.float64) ** 2

    def one(part: slice) -> None:
        block = fac.block(part)
        if loops is None:
            _numpy_means(cen, Xt, rows[part], block, bandwidths, cut, out[:, part])
        else:  # into a contiguous block, so that the loops are compiled for one layout
            res = np.ascontiguousarray(out[:, part])
            loops.conditional_means(*_compiled_args(cen, Xt, rows[part], block),
                                    block.tails, betas, cut, res)
            out[:, part] = res

    each(one, _blocks(rows, C.shape[0]))
    return out


def kde_conditional_mean(Xt: np.ndarray, M: np.ndarray, C: np.ndarray, S: np.ndarray,
                         bandwidths: Sequence[float], rows: np.ndarray) -> np.ndarray:
    """``E[x_m | x_o]`` under the kernel density of the centres ``C`` with bandwidth
    ``h^2 S``, for each ``h`` in ``bandwidths``: shape ``(len(bandwidths), len(rows), d)``.

    ``Xt`` holds the rows with their empty cells (``M``) completed in any way (the result
    does not depend on it); a row ``i`` in ``rows`` is left out of the centres as centre ``i``.
    """
    return _conditional_means(Xt, M, C, S, bandwidths, rows)


def _numpy_draws(cen: tuple, Xt: np.ndarray, r: np.ndarray, fac: _Factors,
                 h: float, cut: float, rng: np.random.Generator, out: np.ndarray) -> None:
    """The compiled loops' twin: one conditional draw per row of ``r`` into ``out``."""
    d2, PX = _distances(cen, Xt, r, fac, _margin(h, cut))
    pick = draw_categories(rng, _weights(d2, h))
    for a in np.flatnonzero(fac.counts):
        m, K, _ = fac.row(a)
        u = PX[a, m] - cen[4][pick[a], m]
        out[a, m] -= K.T @ (K @ u - h * rng.standard_normal(m.size))


def kde_conditional_sample(Xt: np.ndarray, M: np.ndarray, C: np.ndarray, S: np.ndarray,
                           h: float, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw of ``x_m`` from the kernel density's conditional: a centre by its weight,
    then that kernel's conditional Gaussian ``N(x~_m - P_mm^-1 u_m, h^2 P_mm^-1)``."""
    return _conditional_draws(Xt, M, C, S, h, rows, rng)


@_side_by_side
def _conditional_draws(Xt: np.ndarray, M: np.ndarray, C: np.ndarray, S: np.ndarray,
                       h: float, rows: np.ndarray, rng: np.random.Generator,
                       fac: _Factors | None = None, cut: float = _CUTOFF) -> np.ndarray:
    """:func:`kde_conditional_sample`, with the rows' factors ``fac`` if at hand and the
    cut-off ``cut`` (as :func:`_conditional_means`)."""
    loops = _loops()
    cen = _centres(C, np.linalg.inv(S))
    fac = _factors(cen[1], M[rows]) if fac is None else fac
    out = Xt[rows].copy()
    parts = _blocks(rows, C.shape[0])
    if loops is None:
        for part in parts:
            _numpy_draws(cen, Xt, rows[part], fac.block(part), h, cut, rng, out[part])
        return out
    # the same random numbers, in the same order, as the twin: drawn before the blocks run
    noise = {}
    for part in parts:
        counts = fac.counts[part]
        noise[part.start] = rng.random(counts.size), rng.standard_normal(int(counts.sum()))

    def one(part: slice) -> None:
        loops.conditional_draws(*_compiled_args(cen, Xt, rows[part], fac.block(part)),
                                float(h), cut, *noise[part.start], out[part])

    each(one, parts)
    return out


def _gaussian(Z: np.ndarray, seed: int, start: Any = None) -> tuple[Any, np.ndarray]:
    """A Gaussian fitted by EM to the observed cells (from ``start``'s parameters if
    given), and its fill."""
    g = _fit(1, Z, seed, start)
    return g, g.impute(Z)


def _hide(Z: np.ndarray, rng: np.random.Generator, share: float = 0.1):
    """Hide ``share`` of the observed cells (none of a column that would be left empty)."""
    seen = ~np.isnan(Z)
    hide = seen & (rng.random(Z.shape) < share)
    hide &= (seen & ~hide).any(axis=0)
    return hide, np.where(hide, np.nan, Z)


def choose_kernel_by_cells(Z: np.ndarray, random_state: Any = 0, *,
                           shrinks: Sequence[float] = _SHRINK,
                           bandwidths: Sequence[float] = _BANDWIDTHS,
                           sizes: Sequence[int] = (1,)) -> tuple[Any, float]:
    """The kernel (shape shrinkage, bandwidth) or mixture size that best fills observed cells
    it was not shown.

    A tenth of the observed cells are hidden; the kernel centres are the rows with their
    empty cells filled by a Gaussian's conditional mean, and each candidate fills the hidden
    cells of up to 1,000 rows (leaving out centres as the fills do, see
    :func:`kde_impute`). Returns ``(shrink, h)`` for the kernel density, or
    ``("mixture", k)`` when a mixture of ``k`` (one of ``sizes``) fills them better. With no
    cell to hide, the first size, or else the middle of the grid.
    """
    return _choose_kernel(Z, random_state, shrinks, bandwidths, sizes)[0]


def _choose_kernel(Z: np.ndarray, random_state: Any, shrinks: Sequence[float],
                   bandwidths: Sequence[float], sizes: Sequence[int]) -> tuple[Any, Any]:
    """:func:`choose_kernel_by_cells`'s choice and the Gaussian it fitted to the cells it
    was shown (``None`` if none)."""
    rng = check_random_state(random_state)
    seed = int(rng.integers(2**31 - 1))
    hide, shown = _hide(Z, rng)
    rows = np.flatnonzero(hide.any(axis=1))
    if rows.size > _SCORED_ROWS:
        rows = np.sort(rng.choice(rows, _SCORED_ROWS, replace=False))
    if not rows.size:  # nothing to score on: the middle of the grid
        return (("mixture", sizes[0]) if sizes else (shrinks[len(shrinks) // 2],
                                                     bandwidths[len(bandwidths) // 2])), None
    held = hide[rows]
    truth = Z[rows][held]
    gauss, filled = _gaussian(shown, seed)
    errors: dict[Any, float] = {}
    for k in sizes:
        fill = filled if k == 1 else _fit(k, shown, seed).impute(shown)
        errors["mixture", k] = float(np.mean((fill[rows][held] - truth) ** 2))
    if Z.shape[0] >= 3:
        M, cov, cut = np.isnan(shown), gauss.covariances_[0], _fill_cutoff(Z.shape[0])
        for a in shrinks:
            fills = _conditional_means(filled, M, filled, _shape(cov, a), bandwidths, rows,
                                       held, cut=cut)
            for h, f in zip(bandwidths, fills):
                errors[a, h] = float(np.mean((f[held] - truth) ** 2))
    return min(errors, key=errors.get), gauss


def kde_impute(Z: np.ndarray, shrink: float, h: float, *, n_imputations: int = 1,
               passes: int = 2, random_state: Any = 0, start: Any = None) -> list[np.ndarray]:
    """Fill ``Z``'s empty cells from the kernel density's conditional (see above).

    The centres' own empty cells are first filled by a Gaussian's conditional mean, then by
    the kernel density's conditional mean, ``passes`` times; the rows are then filled with
    conditional means, or with ``n_imputations`` sets of draws when more than one. The
    Gaussian's EM starts from the parameters of ``start``, a fitted one-component
    :class:`~densitykit.GaussianMixture`, if given (the one :func:`impute_table` fitted to
    the cells its choice was shown: fewer passes to the same fixed point).

    A fill leaves out the centres that weigh under ``1e-4 / n`` of a row's nearest (``n``
    centres): together they weigh under ``1e-4`` of all, so each fill is within ``1e-4`` of
    the centres' spread of the exact conditional mean.
    """
    rng = check_random_state(random_state)
    gauss, C = _gaussian(Z, int(rng.integers(2**31 - 1)), start)
    M = np.isnan(Z)
    rows = np.flatnonzero(M.any(axis=1))
    S = _shape(gauss.covariances_[0], shrink)
    fac = _factors(np.linalg.inv(S), M[rows])  # the same for every pass and draw
    cut = _fill_cutoff(Z.shape[0])
    for _ in range(passes):
        C[rows] = _conditional_means(C, M, C.copy(), S, [h], rows, fac=fac, cut=cut)[0]
    if n_imputations == 1:
        return [C]
    out = []
    for _ in range(n_imputations):
        draw = C.copy()
        draw[rows] = _conditional_draws(C, M, C, S, h, rows, rng, fac, cut)
        out.append(draw)
    return out


def impute_table(frame: pd.DataFrame, *, n_imputations: int = 1,
                 n_components: int | Sequence[int] | None = None,
                 method: str = "auto", random_state: Any = 0) -> list[pd.DataFrame]:
    """Tables with the empty cells of ``frame``'s numeric columns filled (see the module).

    Parameters
    ----------
    frame : DataFrame
        Any table. Its numeric columns and its columns of at most 20 labels (text,
        categories, booleans) are modelled together, a label column as 0/1 indicators; an
        empty label cell gets the label whose indicator the fill makes largest. Other
        columns (dates, identifiers) come back as they are.
    n_imputations : int, default=1
        ``1``: one table filled with conditional means (the best single guess per cell).
        More: that many tables whose cells are independent draws from the conditional
        distribution (multiple imputation: analyse each and pool the results).
    n_components : int or list of int, optional
        Mixture size, or sizes to choose from by held-out cells. Default: 1, 2, 4, 8 for
        ``method='mixture'``; for ``'auto'``, the single Gaussian only (each mixture size
        costs a fit) unless sizes are given here.
    method : {'auto', 'kde', 'mixture'}, default='auto'
        The model whose conditional fills the cells (see the module); ``'auto'`` takes the
        kernel density or the mixture, whichever fills held-out observed cells best. A
        table of fewer than 3 rows always uses the mixture.
    random_state : int, Generator or None

    Returns
    -------
    list of DataFrame
    """
    n_imputations = check_int(n_imputations, "n_imputations", minimum=1)
    if not isinstance(frame, pd.DataFrame):
        raise DataTypeError(f"impute_table takes a pandas DataFrame; got {type(frame).__name__}"
                            ". Wrap an array in pd.DataFrame(X), or fill it with "
                            "GaussianMixture().fit(X).impute(X).")
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])]
    levels = _category_levels(frame, numeric)
    if not numeric and not levels:
        raise DataError("the table has no numeric or category column to impute.")
    X = np.column_stack([_values(frame[c]) for c in numeric] + [
        _indicators(frame[c], labels) for c, labels in levels.items()])
    if np.isinf(X).any():
        raise DataError("the table holds infinite values; read it with policy='keep', which "
                        "turns them into empty cells.")
    empty_cols = [c for c, e in zip(numeric, np.isnan(X).all(axis=0)) if e]
    if empty_cols:
        raise DataError(f"column(s) {empty_cols[:5]} have no observed value to learn from; "
                        "leave them out (--exclude).")
    if not np.isnan(X).any():  # nothing to fill, whatever the number of rows
        return [frame.copy() for _ in range(n_imputations)]
    loc, scale = np.nanmean(X, axis=0), np.nanstd(X, axis=0)
    scale[scale == 0] = 1.0
    Z = (X - loc) / scale
    check_in(method, "method", METHODS)
    rng = check_random_state(random_state)
    choice, start = _choose(Z, method, n_components, rng)
    return [_filled_table(frame, numeric, levels, X, filled * scale + loc)
            for filled in _fills(Z, choice, n_imputations, rng, start)]


def _filled_table(frame: pd.DataFrame, numeric: list[str], levels: dict[str, list[Any]],
                  X: np.ndarray, filled: np.ndarray) -> pd.DataFrame:
    """``frame`` with the empty cells of its modelled columns taken from ``filled`` (the
    columns of ``X``: the numeric ones, then each label column's indicators)."""
    table = frame.copy()
    for j, c in enumerate(numeric):
        empty = np.isnan(X[:, j])
        if empty.any():
            table[c] = _column(frame[c], X[:, j], filled[:, j], empty)
    j = len(numeric)
    for c, labels in levels.items():
        table[c] = _labelled(frame[c], labels, filled[:, j:j + len(labels) - 1])
        j += len(labels) - 1
    return table


#: a category column of at most this many labels is imputed (one indicator per label but
#: the commonest); one of more passes through as it is
_MOST_LEVELS = 20


def _category_levels(frame: pd.DataFrame, numeric: list[str]) -> dict[str, list[Any]]:
    """Column -> its labels, commonest first, for the columns of a few labels (text,
    categories, booleans) that have both observed and empty cells or inform the others."""
    from ._columns import kind_of

    out = {}
    for c in frame.columns:
        if c in numeric or kind_of(frame[c]) != "categorical":
            continue
        counts = frame[c].value_counts(dropna=True)
        counts = counts[counts > 0]  # a pandas category's unused labels are counted as 0
        if 1 <= len(counts) <= _MOST_LEVELS and len(counts) < max(len(frame) / 2, 2):
            out[c] = list(counts.index)
    return out


def _indicators(col: pd.Series, labels: list[Any]) -> np.ndarray:
    """``(n, len(labels) - 1)`` 0/1 indicators of every label but the commonest (the first);
    NaN in the empty cells."""
    values = col.astype(object).where(col.notna(), None)
    codes = pd.Index(labels, dtype=object).get_indexer(values)
    out = (codes[:, None] == np.arange(1, len(labels))).astype(np.float64)
    out[codes < 0] = np.nan
    return out


def _labelled(col: pd.Series, labels: list[Any], block: np.ndarray) -> pd.Series:
    """``col`` with each empty cell given the label whose filled indicator is largest (the
    commonest label's is one minus the others' sum), in the column's dtype."""
    empty = col.isna().to_numpy()
    if not empty.any():
        return col
    scores = np.column_stack([1.0 - block.sum(axis=1), block])
    out = col.copy()
    picks = np.argmax(scores[empty], axis=1)
    out[empty] = pd.Series([labels[i] for i in picks], index=col.index[empty],
                           dtype=col.dtype if col.dtype != object else object)
    return out


def _choose(Z: np.ndarray, method: str, n_components: Any, rng: np.random.Generator):
    """``(shrink, h)`` of the kernel or ``("mixture", k)``, by held-out observed cells, and
    the Gaussian fitted to the cells the choice was shown (``None`` if none)."""
    sizes = [n_components] if isinstance(n_components, (int, np.integer)) else (
        n_components or _CANDIDATES)
    if method == "mixture" or Z.shape[0] < 3:
        return ("mixture", choose_components_by_cells(Z, sizes, rng)), None
    mix = (sizes if n_components is not None else (1,)) if method == "auto" else ()
    return _choose_kernel(Z, rng, _SHRINK, _BANDWIDTHS, mix)


def _fills(Z: np.ndarray, choice: tuple, n: int, rng: np.random.Generator, start: Any):
    """The filled (standardised) arrays for the chosen kernel or mixture (a Gaussian's EM
    from ``start``'s parameters)."""
    if choice[0] == "mixture":
        model = _fit(choice[1], Z, int(rng.integers(2**31 - 1)),
                     start if choice[1] == 1 else None)
        return [model.impute(Z, method="mean" if n == 1 else "sample", random_state=rng)
                for _ in range(n)]
    return kde_impute(Z, *choice, n_imputations=n, random_state=rng, start=start)


def _narrow(col: pd.Series) -> bool:
    """Whether ``col`` holds floats narrower than float64 (numpy's or pandas' nullable)."""
    from ._columns import NARROW_FLOATS

    return str(col.dtype).lower() in NARROW_FLOATS


def _values(col: pd.Series) -> np.ndarray:
    """A numeric column as float64, NaN for empty cells; a float32 value as the decimal it
    prints, so fills get the decimals the column shows."""
    from ._columns import as_printed

    return as_printed(col.to_numpy(dtype=np.float64, na_value=np.nan), col.dtype)


def _column(original: pd.Series, observed: np.ndarray, filled: np.ndarray,
            empty: np.ndarray) -> Any:
    """The column with its empty cells filled, in its dtype and its values' precision."""
    from ._columns import decimals_of, round_significant, significant_of

    values = observed.copy()
    seen = observed[~empty]
    digits, decimals = significant_of(seen), decimals_of(seen)
    guess = filled[empty]
    if digits >= 1:
        guess = round_significant(guess, digits, decimals)
    elif decimals >= 0:
        guess = np.round(guess, decimals)
    if pd.api.types.is_integer_dtype(original):  # whole numbers the dtype can hold
        info = np.iinfo(getattr(original.dtype, "numpy_dtype", original.dtype))
        values[empty] = np.clip(np.round(guess), info.min, info.max)
        return pd.array(values.astype(np.int64), dtype=original.dtype)
    values[empty] = guess
    if _narrow(original) or isinstance(original.dtype, pd.api.extensions.ExtensionDtype):
        return pd.array(values, dtype=original.dtype)  # float32, pandas' Float64
    return values
