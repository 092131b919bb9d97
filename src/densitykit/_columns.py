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

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import special

__all__ = ["column_codec", "decimals_of", "decode", "decode_table", "encode", "encode_fit",
           "encode_table", "fit_codec", "fit_space", "kind_of", "missing_patterns",
           "round_significant", "significant_of", "to_numbers", "to_values"]

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
    seen = ~np.isnan(x)
    z = np.full(x.size, np.nan)
    if not seen.any():
        return z
    obs = x[seen]
    s = np.sort(obs)
    lo = np.searchsorted(s, obs, side="left")
    count = np.searchsorted(s, obs, side="right") - lo
    u = (lo + rng.random(obs.size) * count) / obs.size
    z[seen] = special.ndtri(np.clip(u, 0.5 / obs.size, 1 - 0.5 / obs.size))
    return z


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
    """Numbers of the column for normal scores ``z`` (NaN stays NaN), in its precision.

    For categories these are codes, for dates nanoseconds: :func:`to_values` turns them into
    the column's own values.
    """
    z = np.asarray(z, dtype=np.float64)
    u = special.ndtr(z)
    k = np.asarray(codec["values"])
    if codec["kind"] in ("discrete", "categorical"):
        idx = np.searchsorted(np.asarray(codec["levels"]), u, side="right")
        x = k[np.clip(idx, 0, k.size - 1)].astype(np.float64)
    else:
        x = np.interp(u, np.asarray(codec["levels"], dtype=np.float64), k.astype(np.float64))
        if codec.get("significant", -1) >= 1:
            x = round_significant(x, codec["significant"], codec["decimals"])
        elif codec["decimals"] >= 0:
            x = np.round(x, codec["decimals"])
        if codec.get("time_unit"):
            x = np.round(x / codec["time_unit"]) * codec["time_unit"]
    x[np.isnan(z)] = np.nan
    return x


# ---------------------------------------------------------------- columns of any kind
#: time resolutions a date column may be given in, in nanoseconds (coarsest first)
_TIME_UNITS = (86_400 * 10**9, 3_600 * 10**9, 60 * 10**9, 10**9, 10**6, 10**3, 1)


def kind_of(col: Any) -> str:
    """``'categorical'`` (text, booleans, pandas categories), ``'datetime'`` or ``'numeric'``.

    Examples
    --------
    >>> import pandas as pd
    >>> kind_of(pd.Series(["a", None])), kind_of(pd.Series([1.5])), kind_of(pd.Series([True]))
    ('categorical', 'numeric', 'categorical')
    """
    import pandas as pd

    dtype = getattr(col, "dtype", np.asarray(col).dtype)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        return "categorical"
    return "numeric"


def _empty(col: Any) -> np.ndarray:
    import pandas as pd

    return np.asarray(pd.isna(col), dtype=bool)


def to_numbers(codec: dict[str, Any], col: Any) -> np.ndarray:
    """The column as floats for its map: values, category codes or nanoseconds (NaN: empty).

    A category the column did not have when the map was fitted is NaN too.
    """
    import pandas as pd

    empty = _empty(col)
    if codec["kind"] == "categorical":
        lookup = {c: i for i, c in enumerate(codec["categories"])}
        out = np.array([np.nan if e else lookup.get(_label(v, codec), np.nan)
                        for v, e in zip(np.asarray(col, dtype=object), empty)])
        return out.astype(np.float64)
    if codec.get("time_unit"):
        ns = pd.to_datetime(pd.Series(col)).to_numpy(dtype="datetime64[ns]").astype(np.int64)
        return np.where(empty, np.nan, ns.astype(np.float64))
    return np.where(empty, np.nan, pd.to_numeric(pd.Series(col), errors="coerce")
                    .to_numpy(dtype=np.float64, na_value=np.nan))


def _label(value: Any, codec: dict[str, Any]) -> Any:
    return bool(value) if codec["dtype"] in ("bool", "boolean") else str(value)


def column_codec(col: Any, order_by: np.ndarray | None = None) -> dict[str, Any]:
    """The map of a column of any kind (its empty cells left out).

    Categories are ordered by the mean of ``order_by`` (a score per row, e.g. the rows'
    first principal component) within each category, so that neighbouring categories have
    similar rows; without it, by frequency. Dates keep their resolution (days, hours, ...).
    """
    import pandas as pd

    kind = kind_of(col)
    empty = _empty(col)
    dtype = str(getattr(col, "dtype", np.asarray(col).dtype))
    if kind == "categorical":
        labels = pd.Series(np.asarray(col, dtype=object)[~empty])
        labels = labels.map(bool) if dtype in ("bool", "boolean") else labels.map(str)
        counts = labels.value_counts(sort=True)
        if order_by is not None and len(counts) > 1:
            means = pd.Series(np.asarray(order_by)[~empty]).groupby(labels.to_numpy()).mean()
            cats = list(means.sort_values(kind="stable").index)
        else:
            cats = list(counts.index)
        codes = labels.map({c: i for i, c in enumerate(cats)}).to_numpy(np.float64)
        codec = fit_codec(codes)
        codec.update(kind="categorical", categories=np.array(cats, dtype=object),
                     dtype=dtype, values=np.arange(len(cats), dtype=np.float64),
                     levels=np.cumsum(counts[cats].to_numpy()) / max(len(labels), 1))
        return codec
    shell = {"kind": kind, "categories": None, "dtype": dtype, "time_unit": 0}
    if kind == "datetime":
        shell["time_unit"] = 1
    numbers = to_numbers(shell, col)
    observed = numbers[~np.isnan(numbers)]
    if observed.size == 0:
        raise ValueError("the column has no observed value")
    codec = fit_codec(observed, np.float64)
    codec["dtype"] = dtype
    if kind == "datetime":
        ns = observed.astype(np.int64)
        codec["time_unit"] = next(u for u in _TIME_UNITS if np.all(ns % u == 0))
        codec["decimals"], codec["significant"] = -1, -1
    return codec


def missing_patterns(empty: np.ndarray, most: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """The patterns of empty cells that rows show, and each row's pattern.

    ``empty`` is ``(n, d)`` booleans. The ``most`` most frequent patterns seen at least
    twice are kept (the complete pattern always); a row with a rarer pattern is given the
    kept pattern closest to it (fewest cells different), so no single row's pattern is
    ever reproduced. Returns ``patterns`` ``(P, d)`` and ``ids`` ``(n,)``.

    Examples
    --------
    >>> e = np.array([[0, 0], [0, 1], [0, 1], [1, 1]], dtype=bool)
    >>> patterns, ids = missing_patterns(e)
    >>> patterns.astype(int).tolist(), ids.tolist()
    ([[0, 1], [0, 0]], [1, 0, 0, 0])
    """
    found, inverse, counts = np.unique(empty, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    order = np.argsort(-counts, kind="stable")
    complete = ~found.any(axis=1)
    keep = [i for i in order if counts[i] >= 2 or complete[i]][:most] or [int(order[0])]
    if complete.any() and not complete[keep].any():
        keep.append(int(np.flatnonzero(complete)[0]))
    kept = found[keep]
    distance = (found[:, None, :] != kept[None, :, :]).sum(axis=2)
    nearest = np.argmin(distance, axis=1)
    return kept, nearest[inverse]


def to_values(codec: dict[str, Any], numbers: np.ndarray) -> Any:
    """The column's own values for numbers from :func:`decode`, in its dtype."""
    import pandas as pd

    numbers = np.asarray(numbers, dtype=np.float64)
    empty = np.isnan(numbers)
    dtype = codec["dtype"]
    if codec["kind"] == "categorical":
        cats = np.asarray(codec["categories"], dtype=object)
        out = np.where(empty, None, cats[np.where(empty, 0, numbers).astype(np.intp)])
        if dtype == "bool" and not empty.any():
            return out.astype(bool)
        return pd.array(out, dtype="boolean") if dtype in ("bool", "boolean") else out
    if codec.get("time_unit"):
        ns = np.where(empty, 0, numbers).astype(np.int64).astype("datetime64[ns]")
        out = pd.Series(ns).where(~empty)
        return out.to_numpy().astype(dtype) if dtype.startswith("datetime64") else out
    if np.dtype(dtype if dtype != "Int64" else "int64").kind in "iu":
        if empty.any() or dtype == "Int64":
            return pd.array(np.where(empty, None, numbers).tolist(), dtype="Int64")
        return numbers.astype(dtype)
    return numbers


# ---------------------------------------------------------------- a whole table
def fit_space(df: Any) -> dict[str, Any]:
    """The maps of every column of a table, and its patterns of empty cells.

    Categories are ordered along the first principal component of the numeric columns'
    scores (see :func:`column_codec`). Returns a plain dict (model files hold it):
    ``columns``, ``codecs``, and, when some cell is empty, ``patterns`` (see
    :func:`missing_patterns`) with the ``pattern_codec`` of the row's pattern, an extra
    categorical column of the score space, so that which cells are empty is modelled jointly
    with the values.
    """
    columns = [str(c) for c in df.columns]
    kinds = [kind_of(df[c]) for c in columns]
    codecs: list[Any] = [None] * len(columns)
    for j, c in enumerate(columns):
        if kinds[j] != "categorical":
            codecs[j] = column_codec(df[c])
    order_by = _first_component(df, columns, codecs)
    for j, c in enumerate(columns):
        if codecs[j] is None:
            codecs[j] = column_codec(df[c], order_by)
    space: dict[str, Any] = {"columns": columns, "codecs": codecs, "patterns": None,
                             "pattern_codec": None}
    empty = np.column_stack([_empty(df[c]) for c in columns])
    if empty.any():
        patterns, ids = missing_patterns(empty)
        space["patterns"] = patterns
        space["pattern_codec"] = {**fit_codec(ids.astype(np.float64)), "kind": "discrete",
                                  "values": np.arange(len(patterns), dtype=np.float64),
                                  "levels": np.cumsum(np.bincount(ids, minlength=len(patterns)))
                                  / len(ids)}
    return space


def _first_component(df: Any, columns: list[str], codecs: list) -> np.ndarray | None:
    """Each row's score on the first principal component of the numeric columns' scores."""
    numeric = [j for j, c in enumerate(codecs) if c is not None]
    if not numeric:
        return None
    Z = np.column_stack([encode(codecs[j], to_numbers(codecs[j], df[columns[j]]))
                         for j in numeric])
    Z = np.nan_to_num(Z - np.nanmean(Z, axis=0))
    if Z.shape[1] == 1:
        return Z[:, 0]
    _, _, vt = np.linalg.svd(Z[:: max(1, len(Z) // 5000)], full_matrices=False)
    return Z @ vt[0]


def _pattern_ids(space: dict[str, Any], df: Any) -> np.ndarray:
    empty = np.column_stack([_empty(df[c]) for c in space["columns"]])
    kept = np.asarray(space["patterns"], dtype=bool)
    return np.argmin((empty[:, None, :] != kept[None, :, :]).sum(axis=2), axis=1)


def encode_table(space: dict[str, Any], df: Any, rng: np.random.Generator | None = None
                 ) -> np.ndarray:
    """Scores ``(n, d [+ 1])`` of a table's rows; empty cells stay NaN.

    With ``rng`` the rows are those the maps were fitted on and ties are spread over their
    levels (:func:`encode_fit`); without it every value gets its mid-level (for scoring).
    The last column is the row's pattern of empty cells when the table has some.
    """
    cols = []
    for codec, c in zip(space["codecs"], space["columns"]):
        x = to_numbers(codec, df[c])
        cols.append(encode_fit(codec, x, rng) if rng is not None else encode(codec, x))
    if space.get("patterns") is not None:
        ids = _pattern_ids(space, df).astype(np.float64)
        pc = space["pattern_codec"]
        cols.append(encode_fit(pc, ids, rng) if rng is not None else encode(pc, ids))
    return np.column_stack(cols)


def decode_table(space: dict[str, Any], Z: np.ndarray, columns: Sequence[int] | None = None
                 ) -> Any:
    """A table (DataFrame) from scores: each column in its own kind, dtype and precision.

    ``columns`` (positions) decodes only those columns of ``Z``, which then has just them
    (no pattern column: the cells are all filled).
    """
    import pandas as pd

    idx = range(len(space["columns"])) if columns is None else list(columns)
    numbers = np.column_stack([decode(space["codecs"][j], Z[:, i]) for i, j in enumerate(idx)])
    if columns is None and space.get("patterns") is not None:
        ids = decode(space["pattern_codec"], Z[:, -1]).astype(np.intp)
        numbers[np.asarray(space["patterns"], dtype=bool)[ids]] = np.nan
    return pd.DataFrame({space["columns"][j]: to_values(space["codecs"][j], numbers[:, i])
                         for i, j in enumerate(idx)})
