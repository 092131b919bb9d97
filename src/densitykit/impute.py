"""Filling empty cells of a table from a kernel density or a Gaussian mixture of its numeric
columns.

:func:`impute_table` standardises the numeric columns (on their observed cells) and fills each
empty cell from a model of the rows, given the row's observed cells:

- ``method='kde'``: the conditional of a Gaussian kernel density estimate whose centres are
  the other rows, with a covariance-shaped bandwidth ``H = h^2 S`` (``S`` the covariance of a
  Gaussian fitted by EM to the observed cells, shrunk towards its diagonal scale). The
  conditional mean is a soft, covariance-aware nearest-neighbour regression with a local
  linear correction, ``sum_i w_i (c_im + S_mo S_oo^-1 (x_o - c_io))``,
  ``w_i ~ N(x_o; c_io, h^2 S_oo)``. The centres' own empty cells are filled first by the
  Gaussian's conditional mean, then twice by the kernel density's.
- ``method='mixture'``: the conditional of a full-covariance Gaussian mixture fitted by EM
  under missing at random (1, 2, 4 or 8 components).
- ``method='auto'`` (default): the candidates (the kernel's shrinkage and bandwidth over a
  grid, and the mixture sizes) are scored by how well each fills cells it was not shown:
  another tenth of the observed cells is hidden; nothing the user emptied is used.

For multiple imputation the cells are draws from that conditional instead of its mean.
Observed cells, and columns that are not numeric, are returned untouched.

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

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._validation import check_in, check_int, check_random_state
from .density import draw_categories
from .exceptions import DataError

__all__ = ["choose_components_by_cells", "choose_kernel_by_cells", "impute_table",
           "kde_conditional_mean", "kde_conditional_sample", "kde_impute"]

METHODS = ("auto", "kde", "mixture")

_CANDIDATES = (1, 2, 4, 8)


def _mixture(k: int, seed: int) -> Any:
    from .gaussian import GaussianMixture

    return GaussianMixture(k, covariance_type="full", max_iter=200, random_state=seed)


def _fit(k: int, X: np.ndarray, seed: int) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _mixture(k, seed).fit(X)


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
# so every row costs one small factorisation of P_mm and products with the centres.

_SHRINK = (0.1, 0.5, 0.9)
_BANDWIDTHS = (0.025, 0.05, 0.1, 0.2, 0.4, 0.8)
_SCORED_ROWS = 1000


def _shape(cov: np.ndarray, shrink: float) -> np.ndarray:
    """The bandwidth's shape ``S``: the covariance shrunk towards its own diagonal scale."""
    d = cov.shape[0]
    return (1 - shrink) * cov + shrink * np.trace(cov) / d * np.eye(d)


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
    """What every block of rows needs of the centres: ``(C, P, L, C L, C P, (C P)', norms)``."""
    L = np.linalg.cholesky(P)
    Yc, PC = C @ L, C @ P
    PCt = np.ascontiguousarray(PC.T)
    return C, P, L, Yc, PC, PCt, np.einsum("ij,ij->i", Yc, Yc), PCt**2


def _blocks(rows: np.ndarray, n: int) -> list[np.ndarray]:
    step = _block_size(n)
    return [rows[s:s + step] for s in range(0, rows.size, step)]


def _factors(P: np.ndarray, Mr: np.ndarray) -> tuple[list, np.ndarray]:
    """Per row, its empty columns ``m``, the inverse Cholesky factor ``K`` of ``P_mm`` and
    the smallest eigenvalue of ``P_mm`` (batched over rows with as many empty cells)."""
    counts = Mr.sum(axis=1)
    factors: list = [(np.empty(0, dtype=np.intp), None)] * Mr.shape[0]
    lam = np.ones(Mr.shape[0])
    for k in np.unique(counts[counts > 0]):
        sel = np.flatnonzero(counts == k)
        mi = np.nonzero(Mr[sel])[1].reshape(sel.size, k)
        Pmm = P[mi[:, :, None], mi[:, None, :]]
        Ks = np.linalg.inv(np.linalg.cholesky(Pmm))
        lam[sel] = np.linalg.eigvalsh(Pmm)[:, 0]
        for t, a in enumerate(sel):
            factors[a] = (mi[t], Ks[t])
    return factors, lam


def _distances(cen: tuple, Xt: np.ndarray, M: np.ndarray, r: np.ndarray,
               margin: float) -> tuple:
    """``(d2, PX, factors)`` for the rows ``r``: squared Mahalanobis distances of each
    row's observed cells to every centre's (under ``S_oo``; a row is not its own centre;
    centres farther than ``margin`` beyond the nearest are set to infinity)."""
    _, P, L, Yc, _, PCt, yc2, pc2 = cen
    Yq, PX, Mr = Xt[r] @ L, Xt[r] @ P, M[r].astype(np.float64)
    d2 = np.einsum("ij,ij->i", Yq, Yq)[:, None] - 2 * (Yq @ Yc.T) + yc2
    d2[np.arange(r.size), r] = np.inf
    np.maximum(d2, 0.0, out=d2)
    # ||u_m||^2 for every centre: u_m' P_mm^-1 u_m <= ||u_m||^2 / lambda_min(P_mm)
    u2 = (Mr * PX**2).sum(axis=1)[:, None] - 2 * ((Mr * PX) @ PCt) + Mr @ pc2
    factors, lam = _factors(P, M[r])
    for a, (m, K) in enumerate(factors):
        if m.size:
            low = d2[a] - np.maximum(u2[a], 0.0) / lam[a]
            _row_distances(d2[a], low, m, PX[a, m], PCt, K, margin)
    np.maximum(d2, 0.0, out=d2)
    return d2, PX, factors


def _weighted_centres(d2: np.ndarray, PC: np.ndarray, bandwidths: Sequence[float]):
    """``sum_i w_i PC_i`` per bandwidth and row: shape ``(len(bandwidths), rows, d)``.

    Centres beyond ``_margin(h)`` of a row's nearest are left out (they weigh under
    ``1e-17`` of it); when few remain the product is sparse, else dense.
    """
    from scipy.sparse import csr_matrix

    excess = d2 - d2.min(axis=1, keepdims=True)
    out = np.empty((len(bandwidths), d2.shape[0], PC.shape[1]))
    for t, h in enumerate(bandwidths):
        near = excess <= _margin(h)
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


def _margin(h: float) -> float:
    """Centres this much farther (squared) than the nearest weigh under ``1e-17`` of it."""
    return 2 * h * h * 40.0


def _weights(d2: np.ndarray, h: float) -> np.ndarray:
    """Normalised kernel weights per row, log-sum-exp style (the nearest centre weighs 1)."""
    W = np.exp(-(d2 - d2.min(axis=1, keepdims=True)) / (2 * h * h))
    return W / W.sum(axis=1, keepdims=True)


def kde_conditional_mean(Xt: np.ndarray, M: np.ndarray, C: np.ndarray, S: np.ndarray,
                         bandwidths: Sequence[float], rows: np.ndarray) -> np.ndarray:
    """``E[x_m | x_o]`` under the kernel density of the centres ``C`` with bandwidth
    ``h^2 S``, for each ``h`` in ``bandwidths``: shape ``(len(bandwidths), len(rows), d)``.

    ``Xt`` holds the rows with their empty cells (``M``) completed in any way (the result
    does not depend on it); a row ``i`` in ``rows`` is left out of the centres as centre ``i``.
    """
    cen = _centres(C, np.linalg.inv(S))
    out = np.repeat(Xt[rows][None], len(bandwidths), axis=0)
    pos = 0
    for r in _blocks(rows, C.shape[0]):
        d2, PX, factors = _distances(cen, Xt, M, r, _margin(max(bandwidths)))
        G = PX - _weighted_centres(d2, cen[4], bandwidths)  # P (x~ - cbar), per bandwidth
        for a, (m, K) in enumerate(factors):
            if m.size:
                out[:, pos + a, m] -= (K.T @ (K @ G[:, a, m].T)).T
        pos += r.size
    return out


def kde_conditional_sample(Xt: np.ndarray, M: np.ndarray, C: np.ndarray, S: np.ndarray,
                           h: float, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw of ``x_m`` from the kernel density's conditional: a centre by its weight,
    then that kernel's conditional Gaussian ``N(x~_m - P_mm^-1 u_m, h^2 P_mm^-1)``."""
    cen = _centres(C, np.linalg.inv(S))
    out = Xt[rows].copy()
    pos = 0
    for r in _blocks(rows, C.shape[0]):
        d2, PX, factors = _distances(cen, Xt, M, r, _margin(h))
        W = _weights(d2, h)
        pick = draw_categories(rng, W)
        for a, (m, K) in enumerate(factors):
            if m.size:
                u = PX[a, m] - cen[4][pick[a], m]
                out[pos + a, m] -= K.T @ (K @ u - h * rng.standard_normal(m.size))
        pos += r.size
    return out


def _gaussian(Z: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The covariance of a Gaussian fitted by EM to the observed cells, and its fill."""
    g = _fit(1, Z, seed)
    return g.covariances_[0], g.impute(Z)


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
    cells of up to 1,000 rows. Returns ``(shrink, h)`` for the kernel density, or
    ``("mixture", k)`` when a mixture of ``k`` (one of ``sizes``) fills them better. With no
    cell to hide, the first size, or else the middle of the grid.
    """
    rng = check_random_state(random_state)
    seed = int(rng.integers(2**31 - 1))
    hide, shown = _hide(Z, rng)
    rows = np.flatnonzero(hide.any(axis=1))
    if rows.size > _SCORED_ROWS:
        rows = np.sort(rng.choice(rows, _SCORED_ROWS, replace=False))
    if not rows.size:  # nothing to score on: the middle of the grid
        return ("mixture", sizes[0]) if sizes else (shrinks[len(shrinks) // 2],
                                                    bandwidths[len(bandwidths) // 2])
    held = hide[rows]
    truth = Z[rows][held]
    cov, filled = _gaussian(shown, seed)
    errors: dict[Any, float] = {}
    for k in sizes:
        fill = filled if k == 1 else _fit(k, shown, seed).impute(shown)
        errors["mixture", k] = float(np.mean((fill[rows][held] - truth) ** 2))
    if Z.shape[0] >= 3:
        M = np.isnan(shown)
        for a in shrinks:
            fills = kde_conditional_mean(filled, M, filled, _shape(cov, a), bandwidths, rows)
            for h, f in zip(bandwidths, fills):
                errors[a, h] = float(np.mean((f[held] - truth) ** 2))
    return min(errors, key=errors.get)


def kde_impute(Z: np.ndarray, shrink: float, h: float, *, n_imputations: int = 1,
               passes: int = 2, random_state: Any = 0) -> list[np.ndarray]:
    """Fill ``Z``'s empty cells from the kernel density's conditional (see above).

    The centres' own empty cells are first filled by a Gaussian's conditional mean, then by
    the kernel density's conditional mean, ``passes`` times; the rows are then filled with
    conditional means, or with ``n_imputations`` sets of draws when more than one.
    """
    rng = check_random_state(random_state)
    cov, C = _gaussian(Z, int(rng.integers(2**31 - 1)))
    M = np.isnan(Z)
    rows = np.flatnonzero(M.any(axis=1))
    S = _shape(cov, shrink)
    for _ in range(passes):
        C[rows] = kde_conditional_mean(C, M, C.copy(), S, [h], rows)[0]
    if n_imputations == 1:
        return [C]
    out = []
    for _ in range(n_imputations):
        draw = C.copy()
        draw[rows] = kde_conditional_sample(C, M, C, S, h, rows, rng)
        out.append(draw)
    return out


def impute_table(frame: pd.DataFrame, *, n_imputations: int = 1,
                 n_components: int | Sequence[int] | None = None,
                 method: str = "auto", random_state: Any = 0) -> list[pd.DataFrame]:
    """Tables with the empty cells of ``frame``'s numeric columns filled (see the module).

    Parameters
    ----------
    frame : DataFrame
        Any table; its numeric columns are modelled, the others come back as they are.
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
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])]
    if not numeric:
        raise DataError("the table has no numeric column to impute.")
    X = frame[numeric].to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(X).any():
        raise DataError("the table holds infinite values; read it with policy='keep', which "
                        "turns them into empty cells.")
    empty_cols = [c for c, e in zip(numeric, np.isnan(X).all(axis=0)) if e]
    if empty_cols:
        raise DataError(f"column(s) {empty_cols[:5]} have no observed value to learn from; "
                        "leave them out (--exclude).")
    loc, scale = np.nanmean(X, axis=0), np.nanstd(X, axis=0)
    scale[scale == 0] = 1.0
    Z = (X - loc) / scale
    check_in(method, "method", METHODS)
    rng = check_random_state(random_state)
    choice = _choose(Z, method, n_components, rng)
    out = []
    for filled in _fills(Z, choice, n_imputations, rng):
        filled = filled * scale + loc
        table = frame.copy()
        for j, c in enumerate(numeric):
            empty = np.isnan(X[:, j])
            if empty.any():
                table[c] = _column(frame[c], X[:, j], filled[:, j], empty)
        out.append(table)
    return out


def _choose(Z: np.ndarray, method: str, n_components: Any, rng: np.random.Generator):
    """``(shrink, h)`` of the kernel or ``("mixture", k)``, by held-out observed cells."""
    sizes = [n_components] if isinstance(n_components, (int, np.integer)) else (
        n_components or _CANDIDATES)
    if method == "mixture" or Z.shape[0] < 3:
        return "mixture", choose_components_by_cells(Z, sizes, rng)
    mix = (sizes if n_components is not None else (1,)) if method == "auto" else ()
    return choose_kernel_by_cells(Z, rng, sizes=mix)


def _fills(Z: np.ndarray, choice: tuple, n: int, rng: np.random.Generator):
    """The filled (standardised) arrays for the chosen kernel or mixture."""
    if choice[0] == "mixture":
        model = _fit(choice[1], Z, int(rng.integers(2**31 - 1)))
        return [model.impute(Z, method="mean" if n == 1 else "sample", random_state=rng)
                for _ in range(n)]
    return kde_impute(Z, *choice, n_imputations=n, random_state=rng)


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
    values[empty] = guess
    if pd.api.types.is_integer_dtype(original):
        return pd.array(np.round(values).astype(np.int64), dtype=original.dtype)
    return values
