"""Filling empty cells of a table from a Gaussian mixture of its numeric columns.

:func:`impute_table` standardises the numeric columns (on their observed cells), chooses the
number of mixture components by how well each candidate fills cells it was not shown (another
tenth of the observed cells is hidden; nothing the user emptied is used), refits the chosen
mixture on every observed cell (EM under missing at random) and fills each empty cell with its
conditional mean given the row's observed cells, or, for multiple imputation, with draws from
that conditional. Observed cells, and columns that are not numeric, are returned untouched.

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

from ._validation import check_int, check_random_state
from .exceptions import DataError

__all__ = ["choose_components_by_cells", "impute_table"]

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


def impute_table(frame: pd.DataFrame, *, n_imputations: int = 1,
                 n_components: int | Sequence[int] | None = None,
                 random_state: Any = 0) -> list[pd.DataFrame]:
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
        Mixture size, or sizes to choose from (default 1, 2, 4, 8, by held-out cells).
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
    rng = check_random_state(random_state)
    sizes = [n_components] if isinstance(n_components, (int, np.integer)) else (
        n_components or _CANDIDATES)
    k = choose_components_by_cells(Z, sizes, rng)
    model = _fit(k, Z, int(rng.integers(2**31 - 1)))
    out = []
    for _ in range(n_imputations):
        filled = model.impute(Z, method="mean" if n_imputations == 1 else "sample",
                              random_state=rng) * scale + loc
        table = frame.copy()
        for j, c in enumerate(numeric):
            empty = np.isnan(X[:, j])
            if empty.any():
                table[c] = _column(frame[c], X[:, j], filled[:, j], empty)
        out.append(table)
    return out


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
