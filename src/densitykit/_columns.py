"""Per-column maps between a table's values and standard-normal scores.

A synthetic-data model lives in a space of *normal scores*: every column is mapped through
its own empirical distribution function to a standard normal, the density is fitted there,
and draws are mapped back. A column's map is a small dict (a *codec*) of plain values and
arrays, so model files can hold it:

``kind``
    ``'continuous'`` (interpolated between observed values on the way back) or
    ``'discrete'`` (few distinct values, or integer counts: only observed values come back,
    with their observed shares);
``values``, ``levels``
    the knots of the distribution function: for a continuous column, order statistics at
    levels ``(i + 1/2) / n`` (at most 2,001 of them; a repeated value keeps a flat stretch,
    so it comes back with its frequency); for a discrete one, each distinct value and its
    upper cumulative level;
``dtype``, ``decimals``, ``significant``
    the column's dtype, and the decimals and significant digits its values were given with
    (-1: full precision), restored on the way back.

Examples
--------
>>> import numpy as np
>>> x = np.array([1.5, 2.0, 2.0, 2.0, 3.25, 4.0])
>>> codec = fit_codec(x)
>>> codec["kind"], codec["decimals"]
('discrete', 2)
>>> z = encode_fit(codec, x, np.random.default_rng(0))
>>> decode(codec, z).tolist()
[1.5, 2.0, 2.0, 2.0, 3.25, 4.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

__all__ = ["decimals_of", "decode", "encode", "encode_fit", "fit_codec", "round_significant",
           "significant_of"]

#: at most this many distinct values make a column discrete (any values)
MAX_DISCRETE = 50
#: integer-valued columns with at most this many distinct values are discrete too
MAX_DISCRETE_INTEGERS = 1000
#: knots kept for a continuous column
MAX_KNOTS = 2001


def decimals_of(x: np.ndarray, most: int = 10) -> int:
    """The fewest decimals that write every value of ``x`` exactly (-1 if more than ``most``).

    Examples
    --------
    >>> decimals_of(np.array([1.0, 2.5, 3.25])), decimals_of(np.array([np.pi]))
    (2, -1)
    """
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return -1
    tol = 1e-12 * np.maximum(1.0, np.abs(x))
    for k in range(most + 1):
        if np.all(np.abs(np.round(x, k) - x) <= tol):
            return k
    return -1


def round_significant(x: np.ndarray, digits: int, decimals: int = -1) -> np.ndarray:
    """``x`` rounded to ``digits`` significant digits, and to ``decimals`` when >= 0.

    Each value is rounded once, with :func:`numpy.round` at its own number of decimals, so
    it prints as the short decimal it stands for.

    Examples
    --------
    >>> round_significant(np.array([123456.0, 0.0123456, 0.0]), 3).tolist()
    [123000.0, 0.0123, 0.0]
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore"):
        exp = np.floor(np.log10(np.abs(x)))
    places = np.where(np.isfinite(exp), digits - 1 - exp, 0).astype(np.int64)
    if decimals >= 0:
        places = np.minimum(places, decimals)
    out = x.copy()
    for k in np.unique(places):
        sel = places == k
        out[sel] = np.round(x[sel], int(k))
    return out


def significant_of(x: np.ndarray, most: int = 15) -> int:
    """The fewest significant digits that write every value of ``x`` exactly (-1: more).

    Examples
    --------
    >>> significant_of(np.array([395.515, 0.015869, 1904.88]))
    6
    """
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x) & (x != 0)]
    if x.size == 0:
        return -1
    tol = 1e-12 * np.abs(x)
    for k in range(1, most + 1):
        if np.all(np.abs(round_significant(x, k) - x) <= tol):
            return k
    return -1


def _is_discrete(values: np.ndarray, integer: bool) -> bool:
    return values.size <= MAX_DISCRETE or (integer and values.size <= MAX_DISCRETE_INTEGERS)


def fit_codec(x: np.ndarray, dtype: Any = None) -> dict[str, Any]:
    """The map of one column's observed (finite) values; see the module docstring."""
    x = np.sort(np.asarray(x, dtype=np.float64))
    n = x.size
    values, counts = np.unique(x, return_counts=True)
    decimals = decimals_of(values)
    kind = "discrete" if _is_discrete(values, decimals == 0) else "continuous"
    if kind == "discrete":
        levels = np.cumsum(counts) / n
    else:  # order statistics at (i + 1/2) / n: a repeated value keeps its flat stretch
        idx = np.unique(np.round(np.linspace(0, n - 1, min(n, MAX_KNOTS))).astype(np.intp))
        values, levels = x[idx], (idx + 0.5) / n
    return {"kind": kind, "values": values, "levels": levels, "n": int(n),
            "decimals": int(decimals), "significant": significant_of(values),
            "dtype": str(np.dtype(dtype or np.float64))}


def encode_fit(codec: dict[str, Any], x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Normal scores of the rows the codec was fitted on, ties spread over their levels.

    A value seen ``c`` times after ``lo`` smaller ones gets a level drawn uniformly in
    ``[lo, lo + c] / n`` (the randomised probability integral transform), so the scores are
    exactly standard normal even for a column with repeated values.
    """
    x = np.asarray(x, dtype=np.float64)
    s = np.sort(x)
    lo = np.searchsorted(s, x, side="left")
    count = np.searchsorted(s, x, side="right") - lo
    u = (lo + rng.random(x.size) * count) / x.size
    return special.ndtri(np.clip(u, 0.5 / x.size, 1 - 0.5 / x.size))


def _knots(codec: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values and the middle of each one's levels (for scoring values)."""
    values = np.asarray(codec["values"], dtype=np.float64)
    levels = np.asarray(codec["levels"], dtype=np.float64)
    if codec["kind"] == "discrete":
        return values, levels - 0.5 * np.diff(levels, prepend=0.0)
    distinct, inv = np.unique(values, return_inverse=True)
    return distinct, np.bincount(inv, weights=levels) / np.bincount(inv)


def encode(codec: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """Normal scores of any values (a tie gets its mid-level; beyond the ends, linear tails)."""
    x = np.asarray(x, dtype=np.float64)
    k, c = _knots(codec)
    if k.size < 2:
        return np.where(np.isnan(x), np.nan, x - k[0])
    n = max(int(codec["n"]), 2)
    z_knots = special.ndtri(np.clip(c, 0.5 / n, 1 - 0.5 / n))
    z = np.interp(x, k, z_knots)
    # tails: the slope over the outer 5% of the levels (at least one knot), steady even
    # when the two most extreme values sit close together
    i = max(1, int(np.searchsorted(c, 0.05)))
    j = min(k.size - 2, int(np.searchsorted(c, 0.95)) - 1)
    lo_slope = (z_knots[i] - z_knots[0]) / (k[i] - k[0])
    hi_slope = (z_knots[-1] - z_knots[j]) / (k[-1] - k[j])
    z = np.where(x < k[0], z_knots[0] + lo_slope * (x - k[0]), z)
    z = np.where(x > k[-1], z_knots[-1] + hi_slope * (x - k[-1]), z)
    return np.where(np.isnan(x), np.nan, z)


def decode(codec: dict[str, Any], z: np.ndarray) -> np.ndarray:
    """Values of the column for normal scores ``z``, in its dtype and precision."""
    u = special.ndtr(np.asarray(z, dtype=np.float64))
    k = np.asarray(codec["values"])
    if codec["kind"] == "discrete":
        idx = np.searchsorted(np.asarray(codec["levels"]), u, side="right")
        x = k[np.clip(idx, 0, k.size - 1)]
    else:
        x = np.interp(u, np.asarray(codec["levels"], dtype=np.float64), k.astype(np.float64))
        if codec.get("significant", -1) >= 1:
            x = round_significant(x, codec["significant"], codec["decimals"])
        elif codec["decimals"] >= 0:
            x = np.round(x, codec["decimals"])
    return x.astype(codec["dtype"]) if np.dtype(codec["dtype"]).kind in "iub" else x
