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
    (-1: full precision), restored on the way back; a float32 column's values are the
    decimals they print.

A synthesizer reads its table into these kinds (booleans as ``boolean``, categories as
text, ...); :func:`as_dtypes` puts drawn columns back in the dtypes a frame or a Parquet
file gave them, which :func:`dtype_record` keeps in a form model files hold.

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

import itertools
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import special

__all__ = [
    "LABEL_TYPES",
    "as_dtypes",
    "as_printed",
    "check_labels",
    "column_codec",
    "decimals_of",
    "decode",
    "decode_table",
    "dtype_of",
    "dtype_record",
    "empty_groups",
    "encode",
    "encode_fit",
    "encode_table",
    "fit_codec",
    "fit_space",
    "kind_of",
    "label_index",
    "own_labels",
    "parse_dates",
    "round_significant",
    "significant_of",
    "to_datetimes",
    "to_numbers",
    "to_values",
]

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
    scale = float(np.std(x))
    return {"kind": kind, "values": values, "levels": levels, "n": int(n),
            "decimals": int(decimals), "significant": significant_of(values),
            "dtype": str(np.dtype(dtype or np.float64)), "scale": scale if scale > 0 else 1.0}


def encode_fit(codec: dict[str, Any], x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Normal scores of the rows the codec was fitted on, ties spread over their levels.

    A value seen ``c`` times after ``lo`` smaller ones gets a level drawn uniformly in
    ``[lo, lo + c] / n`` (the randomised probability integral transform), so the scores are
    exactly standard normal even for a column with repeated values.
    """
    lo, hi = level_bounds(x)
    n = max(int(np.sum(~np.isnan(lo))), 1)
    u = lo + rng.random(lo.size) * (hi - lo)
    return special.ndtri(np.clip(u, 0.5 / n, 1 - 0.5 / n))  # empty cells stay NaN


def level_bounds(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each observed value's share of the levels in its own column: ``[lo, hi] / n``.

    A value seen ``c`` times after ``lo`` smaller ones owns ``[lo, lo + c] / n``; empty
    cells get NaN bounds.
    """
    x = np.asarray(x, dtype=np.float64)
    seen = ~np.isnan(x)
    lo, hi = np.full(x.size, np.nan), np.full(x.size, np.nan)
    obs = x[seen]
    s = np.sort(obs)
    left = np.searchsorted(s, obs, side="left")
    lo[seen] = left / obs.size
    hi[seen] = np.searchsorted(s, obs, side="right") / obs.size
    return lo, hi


def copula_scores(Z: np.ndarray, bounds: list[tuple[np.ndarray, np.ndarray] | None],
                  rng: np.random.Generator, sweeps: int = 10) -> np.ndarray:
    """Scores of repeated values and empty cells drawn given the rest of their row.

    Spreading a repeated value uniformly over its levels (:func:`encode_fit`) makes its
    score independent of the row's other columns within that stretch, which weakens every
    dependence a discrete or categorical column has. Instead, as in the semiparametric
    Gaussian copula (Hoff, 2007), each such score is drawn from its conditional normal given
    the row's other scores, truncated to the value's stretch of levels, and each empty cell
    from its conditional unrestricted; ``sweeps`` rounds of this Gibbs sampler alternate
    with re-estimating the correlation of the scores. ``bounds[j]`` are column ``j``'s level
    bounds (:func:`level_bounds`), or None for a column without repeated values.
    """
    Z = np.array(Z, dtype=np.float64)
    empty = np.isnan(Z)
    Z[empty] = rng.standard_normal(int(empty.sum()))
    d = Z.shape[1]
    tied = [j for j in range(d) if bounds[j] is not None]
    active = [j for j in range(d) if j in tied or empty[:, j].any()]
    if not active or d < 2:
        return Z
    zb = {}
    for j in tied:
        lo, hi = bounds[j]
        zb[j] = (special.ndtri(np.clip(lo, 0, 1)), special.ndtri(np.clip(hi, 0, 1)))
    for _ in range(sweeps):
        C = np.corrcoef(Z, rowvar=False)
        P = np.linalg.pinv(0.98 * C + 0.02 * np.eye(d))  # a little shrinkage: P exists
        for j in active:
            sigma = 1.0 / np.sqrt(P[j, j])
            mu = -(Z @ P[:, j] - P[j, j] * Z[:, j]) / P[j, j]
            lo_u = np.zeros(len(Z))
            hi_u = np.ones(len(Z))
            if j in zb:
                a, b = zb[j]
                ok = ~empty[:, j]
                lo_u[ok] = special.ndtr((a[ok] - mu[ok]) / sigma)
                hi_u[ok] = special.ndtr((b[ok] - mu[ok]) / sigma)
            else:
                ok = ~empty[:, j]
                lo_u[ok] = hi_u[ok] = np.nan  # observed and untied: keep
            u = lo_u + rng.random(len(Z)) * (hi_u - lo_u)
            draw = mu + sigma * special.ndtri(np.clip(u, 1e-12, 1 - 1e-12))
            if j in zb:  # far in a tail the normal CDF saturates: stay in the stretch
                draw = np.where(empty[:, j], draw, np.clip(draw, zb[j][0], zb[j][1]))
            keep = np.isnan(draw)
            Z[:, j] = np.where(keep, Z[:, j], draw)
    return Z


def _knots(codec: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values and the middle of each one's levels (for scoring values)."""
    values = np.asarray(codec["values"], dtype=np.float64)
    levels = np.asarray(codec["levels"], dtype=np.float64)
    if codec["kind"] in ("discrete", "categorical"):
        return values, levels - 0.5 * np.diff(levels, prepend=0.0)
    distinct, inv = np.unique(values, return_inverse=True)
    return distinct, np.bincount(inv, weights=levels) / np.bincount(inv)


def encode(codec: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """Normal scores of any values (a tie gets its mid-level; beyond the ends, log tails)."""
    x = np.asarray(x, dtype=np.float64)
    k, c = _knots(codec)
    if k.size < 2:
        return np.where(np.isnan(x), np.nan, x - k[0])
    n = max(int(codec["n"]), 2)
    z_knots = special.ndtri(np.clip(c, 0.5 / n, 1 - 0.5 / n))
    z = np.interp(x, k, z_knots)
    # beyond the observed range the score grows with the log of the distance in standard
    # deviations of the column: a value past the ends is rarer the farther it is, but one
    # faulty reading (a sensor at 0) does not swamp every other cell of its row
    scale = codec.get("scale") or (k[-1] - k[0]) / max(z_knots[-1] - z_knots[0], 1e-12)
    with np.errstate(invalid="ignore"):
        z = np.where(x < k[0], z_knots[0] - np.log1p((k[0] - x) / scale), z)
        z = np.where(x > k[-1], z_knots[-1] + np.log1p((x - k[-1]) / scale), z)
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
#: float dtypes narrower than float64: their values are the decimals they print
NARROW_FLOATS = ("float32", "float16")
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

    A category the column did not have when the map was fitted is NaN too; a filled cell
    of a numeric or date column that is no number or date is refused (DataError).
    """
    import pandas as pd

    empty = _empty(col)
    if codec["kind"] == "categorical":
        lookup = {c: i for i, c in enumerate(codec["categories"])}
        out = np.array([np.nan if e else lookup.get(_label(v, codec), np.nan)
                        for v, e in zip(np.asarray(col, dtype=object), empty)])
        return out.astype(np.float64)
    if codec.get("time_unit"):
        dates = parse_dates(pd.Series(col))
        _refuse_unread(col, empty, dates.isna().to_numpy(), "date")
        ns = dates.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        return np.where(empty, np.nan, ns.astype(np.float64))
    x = pd.to_numeric(pd.Series(col), errors="coerce").to_numpy(dtype=np.float64,
                                                                  na_value=np.nan)
    _refuse_unread(col, empty, np.isnan(x), "number")
    return as_printed(np.where(empty, np.nan, x), codec["dtype"])


def _refuse_unread(col: Any, empty: np.ndarray, unread: np.ndarray, kind: str) -> None:
    """A clear error for the filled cells of ``col`` that were not read as a ``kind``."""
    from .exceptions import DataError

    bad = unread & ~empty
    if bad.any():
        shown = ", ".join(repr(v) for v in dict.fromkeys(np.asarray(col, dtype=object)[bad][:3]))
        name = getattr(col, "name", None)
        raise DataError(f"{int(bad.sum())} cell(s) of column {name!r} hold no {kind} ({shown}); "
                        "correct them or leave them empty (densitykit.read_table empties "
                        "them, and its report counts them).")


def as_printed(x: np.ndarray, dtype: Any) -> np.ndarray:
    """Floats ``x`` held in ``dtype``: for a float narrower than float64 (:data:`NARROW_FLOATS`,
    numpy's or pandas' nullable), each value as the decimal it prints (a float32 100.9 is
    100.9, not 100.90000152587891); others as they are."""
    name = str(dtype).lower()
    return x.astype(name).astype(str).astype(np.float64) if name in NARROW_FLOATS else x


def _label(value: Any, codec: dict[str, Any]) -> Any:
    if codec["dtype"] not in ("bool", "boolean"):
        return str(value)
    if isinstance(value, str):  # a boolean typed as text: 'True', 'false'
        return {"true": True, "false": False}.get(value.strip().lower(), value)
    return bool(value)


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
                     levels=np.cumsum(counts.reindex(cats).to_numpy()) / max(len(labels), 1))
        return codec
    shell = {"kind": kind, "categories": None, "dtype": dtype, "time_unit": 0}
    if kind == "datetime":
        shell["time_unit"] = 1
    numbers = to_numbers(shell, col)
    observed = numbers[~np.isnan(numbers)]
    if observed.size == 0:  # a fold of the rows without a column's few filled cells: its
        observed = np.zeros(1)  # cells are all empty there, and are drawn so (a placeholder)
    codec = fit_codec(observed, np.float64)
    codec["dtype"] = dtype
    if kind == "datetime":
        ns = observed.astype(np.int64)
        codec["time_unit"] = next(u for u in _TIME_UNITS if np.all(ns % u == 0))
        codec["decimals"], codec["significant"] = -1, -1
    return codec


def empty_groups(empty: np.ndarray, most: int = 12) -> list[list[int]]:
    """Columns that are empty in the same rows, grouped: each group gets one indicator.

    ``empty`` is ``(n, d)`` booleans. Columns with identical empty cells form a group (a
    sensor block that goes offline together); while there are more than ``most`` groups, the
    smallest is merged into the one whose rows overlap it most (Jaccard), so a row's
    indicator is "some cell of the group is empty".

    Examples
    --------
    >>> e = np.array([[1, 1, 0], [0, 0, 1], [0, 0, 0], [1, 1, 0]], dtype=bool)
    >>> empty_groups(e)
    [[0, 1], [2]]
    """
    masks: dict[bytes, list[int]] = {}
    for j in np.flatnonzero(empty.any(axis=0)):
        masks.setdefault(empty[:, j].tobytes(), []).append(int(j))
    groups = sorted(masks.values(), key=lambda g: -int(empty[:, g[0]].sum()))
    while len(groups) > most:
        small = groups.pop()
        rows = empty[:, small].any(axis=1)
        overlap = [np.sum(rows & empty[:, g].any(axis=1)) /
                   max(np.sum(rows | empty[:, g].any(axis=1)), 1) for g in groups]
        groups[int(np.argmax(overlap))].extend(small)
    return [sorted(g) for g in groups]


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
        if not dtype.startswith("datetime64"):
            return out
        if ", " in dtype:  # time-zone aware: the numbers are UTC nanoseconds
            return out.dt.tz_localize("UTC").astype(pd.api.types.pandas_dtype(dtype))
        return out.to_numpy().astype(dtype)
    if np.dtype(dtype if dtype != "Int64" else "int64").kind in "iu":
        if empty.any() or dtype == "Int64":
            return pd.array(np.where(empty, None, numbers).tolist(), dtype="Int64")
        return numbers.astype(dtype)
    return numbers.astype(dtype) if dtype in NARROW_FLOATS else numbers


#: a date written day or month first, then the year: '05.01.2024', '1/13/2024 08:00'
_DAY_MONTH = re.compile(r"^\s*(\d{1,2})([./-])(\d{1,2})[./-]\d{2,4}(?!\d)")


def parse_dates(col: Any, form: str | None = None) -> Any:
    """A column of dates as datetimes (NaT where a cell does not parse).

    Dates written ``dd.mm.yyyy`` or ``mm/dd/yyyy`` are read in one order for the whole
    column: day first when some cell's first number is above 12, or when they are written
    with points and none's second number is (as German and other European exports write
    them); else month first. Other forms (ISO, '5 Jan 2024') are read as they stand.
    ``form`` (a ``strftime`` format, as :func:`date_format` finds it) reads the cells
    written in it in that form, whatever their numbers ('01/02/2024' in ``'%d/%m/%Y'`` is
    1 February), and the others as above, in its order of day and month.
    """
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(col):
        return col
    if isinstance(col.dtype, pd.PeriodDtype):  # each period as its start
        return col.dt.to_timestamp()
    if form is None:
        return _loose_dates(col)
    form = form.replace("%-", "%")  # strptime reads '1/5/2024' in '%m/%d/%Y'
    out = to_datetimes(col, format=form, errors="coerce")
    missed = (out.isna() & col.notna()).to_numpy()
    if missed.any():
        day, month = form.find("%d"), form.find("%m")
        out[missed] = _loose_dates(col[missed], None if min(day, month) < 0 else day < month)
    return out


def to_datetimes(values: Any, **options: Any) -> Any:
    """``pandas.to_datetime``, with cells at different UTC offsets (a plant clock that
    changes for summer time: '+0100', then '+0200') read as UTC times, not refused with
    pandas' 'Mixed timezones detected'."""
    import pandas as pd

    try:
        return pd.to_datetime(values, **options)
    except ValueError as exc:
        if "mixed timezones" not in str(exc).lower():
            raise
        return pd.to_datetime(values, utc=True, **options)


def _loose_dates(col: Any, day_first: bool | None = None) -> Any:
    """:func:`parse_dates` without a form: day or month first as the cells show (or as
    ``day_first`` says)."""
    import warnings

    import pandas as pd

    text = col.astype(object).where(col.notna(), None).reset_index(drop=True)
    ordered = (text.astype(str).str.match(_DAY_MONTH) & text.notna()).to_numpy(dtype=bool)
    if day_first is None:
        parts = text[ordered].astype(str).str.extract(_DAY_MONTH)
        first, second = parts[0].astype(int), parts[2].astype(int)
        day_first = bool(((first > 12).any() or (parts[1] == ".").all())
                         and not (second > 12).any())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' "could not infer format" and the like
        if not ordered.any():
            return to_datetimes(col, errors="coerce", format="mixed")
        parsed = _day_month_dates(text[ordered], day_first)
        if not ordered.all():
            rest = to_datetimes(text[~ordered], errors="coerce", format="mixed")
            parsed = pd.concat([parsed, rest]).sort_index()
    return parsed.set_axis(col.index)


def _day_month_dates(text: Any, dayfirst: bool) -> Any:
    """Dates written day (or month) first, in the one format pandas finds from the first
    cell (fast), then each cell it does not read as it stands (``format='mixed'``, one by
    one); naive ones at the resolution ``format='mixed'`` gives."""

    out = to_datetimes(text, errors="coerce", dayfirst=dayfirst)
    missed = (out.isna() & text.notna()).to_numpy()
    if missed.any():
        out[missed] = to_datetimes(text[missed], errors="coerce", format="mixed",
                                     dayfirst=dayfirst)
    unit = to_datetimes(text.iloc[:1], errors="coerce", format="mixed").dtype
    naive = getattr(out.dtype, "tz", None) is None and getattr(unit, "tz", None) is None
    return out.astype(unit) if naive else out


def date_format(col: Any, parsed: Any) -> str | None:
    """The ``strftime`` format in which every date of the text column ``col`` is written
    (``parsed``: its dates from :func:`parse_dates`), so that a table written back shows its
    dates as they were read (:func:`format_dates`); None when the cells are not all in one
    such form. A day, month or hour written without its leading zero ('1/5/2024 8:30') is
    ``%-d``, ``%-m``, ``%-H`` or ``%-I``.

    Examples
    --------
    >>> import pandas as pd
    >>> col = pd.Series(["05.01.2024 08:30", None, "13.01.2024 17:00"])
    >>> date_format(col, parse_dates(col))
    '%d.%m.%Y %H:%M'
    >>> col = pd.Series(["1/5/2024 8:30 AM", "12/13/2024 6:05 PM"])
    >>> date_format(col, parse_dates(col))
    '%-m/%-d/%Y %-I:%M %p'
    """
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(col) or isinstance(col.dtype, pd.PeriodDtype) \
            or getattr(parsed.dtype, "tz", None):
        return None
    read = parsed.notna().to_numpy()
    if not read.any():
        return None
    text = col[read].astype(str).str.strip()
    for fmt in _guessed_forms(text):
        for form in _unpadded_variants(fmt):  # the first cells, then all
            if all((format_dates(parsed[read][:k], form) == text[:k]).all()
                   for k in (8, None)):
                return form
    return None


def _guessed_forms(text: Any) -> list[str]:
    """The forms pandas guesses from the first few distinct cells of ``text``, day first
    and month first (it guesses none from some cells: '1/5/2024 5:30 PM'). pandas guesses
    no form for a year of two digits ('05.01.24'): the form of the date with the century
    written, its year then written in two digits."""
    import warnings

    try:
        from pandas.tseries.api import guess_datetime_format
    except ImportError:  # pandas before 2.2: dates are written in ISO form
        return []
    forms: list[str] = []
    for cell in list(dict.fromkeys(text.iloc[:50]))[:5]:
        short = _SHORT_YEAR.match(cell)
        for dayfirst in (True, False):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "Parsing dates in %m/%d/%Y format when ..."
                fmt = guess_datetime_format(cell, dayfirst=dayfirst)
                if fmt is None and short:
                    fmt = guess_datetime_format(f"{short[1]}20{short[2]}{short[3]}",
                                                dayfirst=dayfirst)
                    fmt = fmt and fmt.replace("%Y", "%y")
            if fmt and fmt not in forms:
                forms.append(fmt)
    return forms


def _unpadded_variants(fmt: str) -> list[str]:
    """``fmt``, then each form of it with some of its day, month and hour fields written
    without leading zeros (``%-d``)."""
    fields = [f for f in _UNPADDED if f in fmt]
    out = []
    for picked in itertools.product((False, True), repeat=len(fields)):
        form = fmt
        for f, unpadded in zip(fields, picked):
            form = form.replace(f, f"%-{f[1]}") if unpadded else form
        out.append(form)
    return out


def format_dates(values: Any, form: str) -> Any:
    """``values`` (a datetime Series or index) as text in the ``strftime`` format ``form``,
    where ``%-d``, ``%-m``, ``%-H`` and ``%-I`` write the day, month or hour without a
    leading zero on every platform.

    Examples
    --------
    >>> import pandas as pd
    >>> when = pd.Series(pd.to_datetime(["2024-01-05 08:30", "2024-11-25 18:00"]))
    >>> format_dates(when, "%-m/%-d/%Y %-H:%M").tolist()
    ['1/5/2024 8:30', '11/25/2024 18:00']
    """
    if "%-" not in form:
        return values.strftime(form) if hasattr(values, "strftime") else values.dt.strftime(
            form)
    out = None
    for part in re.split(r"(%-[dmHI])", form):
        if not part:
            continue
        text = format_dates(values, part.replace("%-", "%"))
        if part.startswith("%-"):
            text = text.str.replace(r"^0(?=\d)", "", regex=True)
        out = text if out is None else out + text
    return out


#: the fields a form may write without leading zeros
_UNPADDED = ("%d", "%m", "%H", "%I")


#: the sign that ends a percentage ('6.3%', '6.3 %')
PERCENT_SIGN = r"\s?%$"
#: a time of day ('08:30', '8:30:15', '8:30 PM'): hour, minute, seconds, AM/PM
TIME_OF_DAY = re.compile(r"(\d{1,2}):([0-5]\d)(:[0-5]\d)?(\s?[AaPp][Mm])?")


def plain_numbers(text: Any, decimal: str = ".", thousands: str | None = None) -> Any:
    """Numbers written as text with the marks ``decimal`` and ``thousands`` ('1.234,5'; a
    Series of strings) written plainly ('1234.5'), which a reader takes as numbers."""
    if thousands:
        text = text.str.replace(thousands, "", regex=False)
    return text.str.replace(",", ".", regex=False) if decimal == "," else text


def percent_numbers(text: Any) -> Any:
    """Percentages written as text ('6.3%', '6,3 %'; a Series of strings) as the text of
    their numbers ('6.3'), which a reader takes as numbers."""
    return text.str.replace(PERCENT_SIGN, "", regex=True).str.replace(",", ".")


def is_percent(form: str) -> bool:
    """Whether a column's form of numbers written as text (see :func:`read_numbers`) is a
    percentage (``'%'``, ``'0.0%'``) rather than a time of day."""
    return form.endswith("%")


def percent_and_time_columns(forms: dict[str, str]) -> tuple[list[str], list[str]]:
    """The columns of ``forms`` (a cleaning report's ``number_forms``) that hold
    percentages, and those that hold times of day."""
    percent = [c for c, f in forms.items() if is_percent(f)]
    return percent, [c for c in forms if c not in percent]


def percent_form(text: Any) -> str:
    """The form of the percentages ``text`` (strings that hold one each): ``'0.0%'``,
    ``'0.00%'``, ... when every one is written with that many decimals ('40.0%'), so that
    whole numbers keep theirs; ``'%'`` (the shortest form of each number) otherwise.

    Examples
    --------
    >>> import pandas as pd
    >>> percent_form(pd.Series(["40.0%", "6,5 %"])), percent_form(pd.Series(["6.3%", "85%"]))
    ('0.0%', '%')
    """
    places = text.str.extract(r"[.,](\d*)\s?%$")[0].str.len()
    if places.notna().all() and places.nunique() == 1 and places.iloc[0] > 0:
        return "0." + "0" * int(places.iloc[0]) + "%"
    return "%"


def time_form(text: Any) -> str:
    """The ``strftime`` form of the times of day ``text`` (strings that
    :data:`TIME_OF_DAY` matches): ``'%H:%M'``, ``'%-I:%M:%S %p'`` and the like, hours
    unpadded when one is written so ('8:30'); ``'%H:%M'`` or ``'%H:%M:%S'`` when the cells
    are written in several forms."""
    parts = text.str.extract(TIME_OF_DAY)
    seconds = ":%S" if parts[2].notna().all() else ""
    if parts[3].notna().all():
        hour, ampm = "%I", (" %p" if parts[3].str.startswith(" ").all() else "%p")
    else:
        hour, ampm = "%H", ""
    padded = f"{hour}:%M{seconds}{ampm}"
    for form in (padded, padded.replace("%", "%-", 1)):
        if (write_numbers(read_numbers(text, form), form) == text).all():
            return form
    return "%H:%M:%S" if parts[2].notna().any() else "%H:%M"


def read_numbers(text: Any, form: str) -> Any:
    """Numbers written as text in ``form`` (a Series): percentages (``'%'``: '6,3 %' is
    6.3) or times of day (a ``strftime`` time form: '08:30' is 8.5 hours); NaN where a cell
    is not so written."""
    import pandas as pd

    text = text.astype(object).where(text.notna(), None).astype(str).str.strip()
    if is_percent(form):
        return pd.to_numeric(percent_numbers(text), errors="coerce")
    when = to_datetimes(text, format=form.replace("%-", "%"), errors="coerce")
    return when.dt.hour + when.dt.minute / 60 + when.dt.second / 3600


def write_numbers(values: Any, form: str, decimal: str = ".") -> Any:
    """Numbers (a Series) as text in ``form`` (see :func:`read_numbers`): percentages in
    their shortest form (a float32's as it prints) or, for a form ``'0.0%'``, with its
    count of decimals, with the decimal mark ``decimal``; times
    of day to the form's minute or second (within the day); empty cells stay empty.

    Examples
    --------
    >>> import pandas as pd
    >>> write_numbers(pd.Series([6.3, 85.0, None]), "%", ",").tolist()
    ['6,3%', '85%', nan]
    >>> write_numbers(pd.Series([6.3, 85.0]), "0.0%").tolist()
    ['6.3%', '85.0%']
    >>> write_numbers(pd.Series([8.5, 17.25]), "%-I:%M %p").tolist()
    ['8:30 AM', '5:15 PM']
    """
    import pandas as pd

    x = pd.Series(as_printed(np.asarray(pd.to_numeric(values, errors="coerce"), np.float64),
                             getattr(values, "dtype", None)), index=values.index)
    if is_percent(form):
        places = len(form) - 3  # '0.00%': 2

        def text(v: float) -> str:
            t = repr(float(v)) if places < 1 else f"{v:.{places}f}"
            return (t[:-2] if t.endswith(".0") and places < 1 else t).replace(".", decimal) + "%"

        return x.astype(object).map(text, na_action="ignore")
    step = 1 if "%S" in form else 60
    seconds = (x * 3600 / step).round().clip(0, 86400 // step - 1) * step
    when = pd.Timestamp("1900-01-01") + pd.to_timedelta(seconds, unit="s")
    return format_dates(when, form).where(x.notna())


#: a date written day or month first with a year of two digits, and what follows it
_SHORT_YEAR = re.compile(r"^(\d{1,2}[./-]\d{1,2}[./-])(\d{2})(?!\d)(.*)$")


def date_formats_of(model: Any) -> dict[str, str]:
    """Column -> the ``strftime`` form in which the table a model was fitted on wrote its
    dates (its cleaning report's ``date_formats``; none for models fitted on arrays, or in
    model files written before the forms were kept)."""
    return _kept_forms(model, "date_formats")


def number_forms_of(model: Any) -> dict[str, str]:
    """Column -> the form in which the table a model was fitted on wrote its numbers as
    text (its cleaning report's ``number_forms``: ``'%'`` for percentages, a time form for
    times of day; see :func:`read_numbers`)."""
    return _kept_forms(model, "number_forms")


def _kept_forms(model: Any, key: str) -> dict[str, str]:
    """The forms ``key`` of the cleaning report a model keeps (none without one)."""
    return dict((getattr(model, "cleaning_", None) or {}).get(key, {}))


# ---------------------------------------------------------------- the dtypes a table was given
#: pandas' nullable dtypes that :func:`as_dtypes` restores (besides numpy's and dates')
_NULLABLE = ("boolean", "Float32", "Float64",
             *(f"{sign}Int{bits}" for sign in ("", "U") for bits in (8, 16, 32, 64)))


def _restorable(dtype: Any) -> bool:
    import pandas as pd

    if isinstance(dtype, np.dtype):
        return dtype.kind in "biufOM"
    return isinstance(dtype, (pd.DatetimeTZDtype, pd.StringDtype, pd.PeriodDtype)) or str(
        dtype) in _NULLABLE


#: the :func:`dtype_record` of a column of Python dates (``datetime.date``, which pandas holds
#: as objects): drawn dates come back as such
PYTHON_DATES = "python dates"


def holds_python_dates(col: Any) -> bool:
    """Whether the object column ``col`` holds Python dates (``datetime.date``, not
    datetimes) in all its filled cells, and some."""
    import datetime as dt

    if getattr(col, "dtype", None) != np.dtype(object):
        return False
    seen = col.dropna()
    return len(seen) > 0 and all(isinstance(v, dt.date) and not isinstance(v, dt.datetime)
                                 for v in seen)


def dtype_record(dtype: Any) -> Any:
    """How a model file keeps a column's dtype: its name, or a ``category``'s categories and
    order; None for a dtype :func:`as_dtypes` does not restore (intervals, ...).

    Examples
    --------
    >>> import pandas as pd
    >>> dtype_record(np.dtype("float32")), dtype_record(pd.CategoricalDtype(["b", "a"]))
    ('float32', {'categories': array(['b', 'a'], dtype=object), 'ordered': False})
    """
    import pandas as pd

    if isinstance(dtype, str) and dtype == PYTHON_DATES:
        return dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories.to_numpy()
        plain = cats.dtype.kind in "biufM" or all(type(c) in (str, int, float) for c in cats)
        return {"categories": cats, "ordered": bool(dtype.ordered)} if plain else None
    if isinstance(dtype, pd.StringDtype):  # its storage (python, pyarrow) and its empty cell
        if dtype.na_value is pd.NA:
            return f"string[{dtype.storage}]"
        return "str" if dtype == pd.api.types.pandas_dtype("str") else None
    return str(dtype) if _restorable(dtype) else None


def dtype_of(record: Any) -> Any:
    """The dtype a :func:`dtype_record` stands for (TypeError or ValueError: none)."""
    import pandas as pd

    if isinstance(record, dict):
        if not isinstance(record.get("ordered"), bool):
            raise TypeError("a category dtype's 'ordered' should be True or False")
        cats = pd.Index(np.asarray(record["categories"]))
        return pd.CategoricalDtype(cats, ordered=record["ordered"])
    if not isinstance(record, str):
        raise TypeError(f"a dtype should be named by a string; got {record!r}")
    if record == PYTHON_DATES:  # objects, turned into dates by their reader
        return np.dtype(object)
    try:
        dtype = pd.api.types.pandas_dtype(record)
    except ImportError:  # 'string[pyarrow]' saved where pyarrow was: the same text, kept
        if not record.startswith("string["):  # in pandas' own string storage
            raise
        dtype = pd.StringDtype("python")
    if record == "str" and isinstance(dtype, np.dtype):  # pandas 2 reads 'str' as numpy's
        dtype = np.dtype(object)  # text dtype; its text columns are objects
    if not _restorable(dtype):
        raise ValueError(f"{record!r} is not a dtype a synthetic table is given in")
    return dtype


def as_dtypes(df: Any, dtypes: dict[str, Any]) -> Any:
    """``df`` with each column named in ``dtypes`` in that dtype, where its values allow.

    A column is left as it is when they do not: a label that is not one of the categories,
    a fraction, an empty cell or a value out of range for a numpy integer dtype.
    """
    out = df.copy(deep=False)
    for name, dtype in dtypes.items():
        if name in out.columns and out[name].dtype != dtype:
            cast = _as_dtype(out[name], dtype)
            if cast is not None:
                out[name] = cast
    return out


def _as_dtype(col: Any, dtype: Any) -> Any:
    """One column in ``dtype`` (see :func:`as_dtypes`), or None."""
    import pandas as pd

    if isinstance(dtype, pd.CategoricalDtype):
        return _as_categories(col, dtype)
    if isinstance(dtype, pd.PeriodDtype):  # drawn as dates: the periods they fall in
        return col.dt.to_period(dtype.freq) if pd.api.types.is_datetime64_any_dtype(col) \
            else None
    empty = np.asarray(col.isna(), dtype=bool)
    if pd.api.types.is_bool_dtype(dtype):  # bool cannot hold an empty cell; 'boolean' can
        return col.astype("boolean" if empty.any() else dtype)
    try:
        if pd.api.types.is_integer_dtype(dtype):
            seen = col.to_numpy(dtype=np.float64, na_value=np.nan)[~empty]
            info = np.iinfo(getattr(dtype, "numpy_dtype", dtype))
            if (empty.any() and isinstance(dtype, np.dtype)) or np.any(seen != np.round(seen)) \
                    or (seen.size and (seen.min() < info.min or seen.max() > info.max)):
                return None
        return col.astype(dtype)
    except (TypeError, ValueError):
        return None


def _as_categories(col: Any, dtype: Any) -> Any:
    """Labels as :func:`densitykit.data.read_table` reads a category column (its text, or
    its numbers or dates) as that ``category`` dtype; None for a label it lacks."""
    import pandas as pd

    lookup = {str(c).strip(): c for c in dtype.categories}
    text = col.astype(object).map(lambda v: None if pd.isna(v) else str(v).strip())
    if not text.dropna().isin(list(lookup)).all():
        return None
    return pd.Series(pd.Categorical(text.map(lookup), dtype=dtype), index=col.index,
                     name=col.name)


# ---------------------------------------------------------------- a whole table
def fit_space(df: Any) -> dict[str, Any]:
    """The maps of every column of a table, and of which of its cells are empty.

    Categories are ordered along the first principal component of the numeric columns'
    scores (see :func:`column_codec`). Returns a plain dict (model files hold it):
    ``columns``, ``codecs``, and the ``empty_groups`` of columns that are empty together
    (:func:`empty_groups`) with the maps of their 0/1 indicators (``empty_codecs``): one more
    score column each, so that which cells are empty is modelled jointly with the values.
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
    space: dict[str, Any] = {"columns": columns, "codecs": codecs, "empty_groups": []}
    empty = np.column_stack([_empty(df[c]) for c in columns])
    space["empty_groups"] = empty_groups(empty)
    space["empty_codecs"] = []
    space["empty_shares"] = []  # per group: P(column empty | some cell of the group empty)
    for g in space["empty_groups"]:
        some = empty[:, g].any(axis=1)
        space["empty_codecs"].append(fit_codec(some.astype(np.float64)))
        space["empty_shares"].append(empty[some][:, g].mean(axis=0))
    return space


def _first_component(df: Any, columns: list[str], codecs: list) -> np.ndarray | None:
    """Each row's score on the first principal component of the numeric columns' scores."""
    numeric = [j for j, c in enumerate(codecs) if c is not None]
    if not numeric:
        return None
    Z = np.column_stack([encode(codecs[j], to_numbers(codecs[j], df[columns[j]]))
                         for j in numeric])
    filled = np.maximum(np.isfinite(Z).sum(axis=0), 1)  # a column empty in a fold: mean 0
    Z = np.nan_to_num(Z - np.nansum(Z, axis=0) / filled)
    if Z.shape[1] == 1:
        return Z[:, 0]
    _, _, vt = np.linalg.svd(Z[:: max(1, len(Z) // 5000)], full_matrices=False)
    return Z @ vt[0]


def _indicators(space: dict[str, Any], df: Any) -> list[np.ndarray]:
    """Each empty group's 0/1 indicator for the rows of ``df``."""
    return [np.column_stack([_empty(df[space["columns"][j]]) for j in g]).any(axis=1)
            .astype(np.float64) for g in space.get("empty_groups", [])]


def table_bounds(space: dict[str, Any], df: Any) -> list:
    """:func:`level_bounds` of each score column of a table with repeated values (else None)."""
    numbers = [to_numbers(c, df[name]) for c, name in zip(space["codecs"], space["columns"])]
    numbers += _indicators(space, df)
    out = []
    for x in numbers:
        seen = x[~np.isnan(x)]
        ties = seen.size and np.unique(seen).size < seen.size
        out.append(level_bounds(x) if ties else None)
    return out


def encode_table(space: dict[str, Any], df: Any, rng: np.random.Generator | None = None
                 ) -> np.ndarray:
    """Scores ``(n, d [+ 1])`` of a table's rows; empty cells stay NaN.

    With ``rng`` the rows are those the maps were fitted on and ties are spread over their
    levels (:func:`encode_fit`); without it every value gets its mid-level (for scoring).
    The last columns are the empty groups' indicators.
    """
    codecs = list(space["codecs"]) + list(space.get("empty_codecs", []))
    numbers = [to_numbers(c, df[name]) for c, name in zip(space["codecs"], space["columns"])]
    numbers += _indicators(space, df)
    return np.column_stack([encode_fit(c, x, rng) if rng is not None else encode(c, x)
                            for c, x in zip(codecs, numbers)])


def decode_table(space: dict[str, Any], Z: np.ndarray, rng: np.random.Generator,
                 columns: Sequence[int] | None = None) -> Any:
    """A table (DataFrame) from scores: each column in its own kind, dtype and precision.

    Where a group's indicator says "empty", each of its columns is emptied with its share
    among the group's empty rows (drawn with ``rng``; a group of columns that are always
    empty together empties them all). ``columns`` (positions) decodes only those columns of
    ``Z``, which then has just them (no indicator columns: the cells are all filled).
    """
    import pandas as pd

    d = len(space["columns"])
    idx = range(d) if columns is None else list(columns)
    numbers = np.column_stack([decode(space["codecs"][j], Z[:, i]) for i, j in enumerate(idx)])
    if columns is None:
        groups = zip(space.get("empty_groups", []), space.get("empty_codecs", []),
                     space.get("empty_shares", []))
        for k, (group, codec, shares) in enumerate(groups):
            rows = np.flatnonzero(decode(codec, Z[:, d + k]) == 1)
            drop = rng.random((rows.size, len(group))) < np.asarray(shares)[None, :]
            block = numbers[np.ix_(rows, group)]
            block[drop] = np.nan
            numbers[np.ix_(rows, group)] = block
    return pd.DataFrame({space["columns"][j]: to_values(space["codecs"][j], numbers[:, i])
                         for i, j in enumerate(idx)})


#: the column labels a model file keeps as they are (others are kept as their text)
LABEL_TYPES = (str, int, float, bool)


def own_labels(data: Any, columns: list[str]) -> list[Any] | None:
    """A frame's own labels of ``columns`` (their text) when some are numbers, else None:
    the labels a model's drawn rows restore (``column_labels_``)."""
    if getattr(data, "columns", None) is None or not hasattr(data, "iloc"):
        return None
    own = {str(c): _plain(c) for c in data.columns}
    labels = [own.get(c, c) for c in columns]  # a named index read as a column is its text
    if all(isinstance(c, str) for c in labels) or not all(map(_is_label, labels)):
        return None
    return labels


def label_index(labels: list[Any]) -> Any:
    """The columns of drawn rows with these :func:`own_labels`: a MultiIndex for tuples of
    one length, else an Index."""
    import pandas as pd

    if all(isinstance(c, tuple) for c in labels) and len({len(c) for c in labels}) == 1:
        return pd.MultiIndex.from_tuples(labels)
    return pd.Index(labels, tupleize_cols=False)


def _plain(label: Any) -> Any:
    """A label with numpy's scalars as Python's, in a tuple (MultiIndex columns) too."""
    if isinstance(label, tuple):
        return tuple(map(_plain, label))
    return label.item() if isinstance(label, np.generic) else label


def _is_label(label: Any) -> bool:
    """A number or text, or a tuple of them (a MultiIndex column's label)."""
    if isinstance(label, tuple):
        return bool(label) and all(type(c) in LABEL_TYPES for c in label)
    return type(label) in LABEL_TYPES


def check_labels(est: Any) -> None:
    """Check a model file's ``column_labels_`` (absent from older files): None, or labels
    whose text is ``columns_``."""
    from . import _state

    labels = getattr(est, "column_labels_", None)
    if labels is not None and (not isinstance(labels, list) or [
            str(c) for c in labels] != list(est.columns_) or not all(map(_is_label, labels))):
        raise _state.StateError("column_labels_", "should be None or the labels (numbers or "
                                "text) whose text is columns_")
