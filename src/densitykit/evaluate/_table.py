"""Tables the metrics accept, the kind of each column, and their numeric form.

A column's *kind* is read from its dtype (see :data:`KINDS`):

``numeric``
    integer and float columns (NaN is an empty cell); timedeltas count as seconds;
``datetime``
    ``datetime64`` columns, time-zone aware or not (NaT is an empty cell), as seconds since
    1970-01-01 UTC;
``boolean``
    ``bool`` and pandas' nullable ``"boolean"`` columns, and object columns holding only
    ``True``/``False`` and empty cells; 0 and 1;
``categorical``
    ``object``, ``string`` and ``category`` columns (None, NaN and NA are empty cells); as
    integer codes in the order of the *reference* table's categories (its declared
    categories for a ``category`` column, else its observed values sorted as text), a
    category the reference lacks getting a new code after them.

:func:`metric_matrix` applies these maps; every numeric metric of this package goes through
it, so a real and a synthetic table are always coded alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataError

__all__ = ["KINDS", "column_kind", "column_kinds", "empty_shares", "metric_matrix"]

_EPOCH = np.datetime64(0, "s")


def _is_boolean_object(s: pd.Series) -> bool:
    if s.dtype != object:
        return False
    seen = s.dropna()
    return len(seen) > 0 and all(isinstance(v, (bool, np.bool_)) for v in seen)


#: kind name -> test on a column; the first that accepts a column names its kind
KINDS: dict[str, Callable[[pd.Series], bool]] = {
    "boolean": lambda s: pd.api.types.is_bool_dtype(s.dtype) or _is_boolean_object(s),
    "datetime": lambda s: pd.api.types.is_datetime64_any_dtype(s.dtype),
    "numeric": lambda s: ((pd.api.types.is_numeric_dtype(s.dtype)
                           and not pd.api.types.is_complex_dtype(s.dtype))
                          or pd.api.types.is_timedelta64_dtype(s.dtype)),
    "categorical": lambda s: (isinstance(s.dtype, pd.CategoricalDtype)
                              or pd.api.types.is_object_dtype(s.dtype)
                              or pd.api.types.is_string_dtype(s.dtype)),
}

#: kinds whose numeric form is ordered (they enter correlations and distances as numbers)
ORDERED = ("numeric", "datetime", "boolean")


def column_kind(s: pd.Series) -> str:
    """The kind of one column: ``'numeric'``, ``'datetime'``, ``'boolean'`` or ``'categorical'``.

    Examples
    --------
    >>> column_kind(pd.Series([1, 2])), column_kind(pd.Series(["a", None]))
    ('numeric', 'categorical')
    >>> column_kind(pd.Series([True, None])), column_kind(pd.Series(pd.to_datetime(["2020"])))
    ('boolean', 'datetime')
    """
    for kind, test in KINDS.items():
        if test(s):
            return kind
    raise DataError(
        f"column {s.name!r} has dtype {s.dtype}, which the metrics cannot compare; valid "
        f"kinds are {list(KINDS)} (numbers, dates, booleans, text or categories). Convert "
        "or drop that column."
    )


def column_kinds(frame: pd.DataFrame) -> dict[str, str]:
    """Column name -> kind (see :func:`column_kind`) of every column of ``frame``."""
    return {c: column_kind(frame[c]) for c in frame.columns}


def _seconds(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_timedelta64_dtype(s.dtype):
        return s.dt.total_seconds().to_numpy(dtype=np.float64, na_value=np.nan)
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_convert(None)
    return (s.to_numpy() - _EPOCH) / np.timedelta64(1, "s")


def _numbers(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_timedelta64_dtype(s.dtype):
        return _seconds(s)
    return s.to_numpy(dtype=np.float64, na_value=np.nan)


def _booleans(s: pd.Series) -> np.ndarray:
    if s.dtype == object:
        return np.array([np.nan if pd.isna(v) else float(bool(v)) for v in s], dtype=np.float64)
    return s.astype("boolean").to_numpy(dtype=np.float64, na_value=np.nan)


def levels(reference: pd.Series) -> list[Any]:
    """Categories of a reference column, in code order (declared, else sorted as text).

    Examples
    --------
    >>> levels(pd.Series(["b", "a", None, "b"]))
    ['a', 'b']
    """
    if isinstance(reference.dtype, pd.CategoricalDtype):
        return list(reference.cat.categories)
    return sorted(pd.unique(reference.dropna()).tolist(), key=lambda v: (str(v), repr(v)))


def category_codes(s: pd.Series, reference: list[Any]) -> tuple[np.ndarray, list[Any]]:
    """Codes of ``s`` against the ``reference`` levels, and the levels with unseen ones added.

    Empty cells get NaN; a value missing from ``reference`` gets a code after them.

    Examples
    --------
    >>> codes, names = category_codes(pd.Series(["b", None, "z"]), ["a", "b"])
    >>> codes.tolist(), names
    ([1.0, nan, 2.0], ['a', 'b', 'z'])
    """
    values = s.astype(object)
    empty = values.isna().to_numpy()
    seen = pd.unique(values[~empty])
    known = set(reference)
    extra = sorted((v for v in seen if v not in known), key=lambda v: (str(v), repr(v)))
    names = list(reference) + extra
    codes = np.full(len(values), np.nan)
    codes[~empty] = pd.Categorical(values[~empty], categories=names).codes
    return codes, names


def _compatible(kind: str, other: str) -> bool:
    return kind == other or {kind, other} <= {"numeric", "boolean"}


def _to_float(s: pd.Series, kind: str, reference: pd.Series) -> np.ndarray:
    if kind == "categorical":
        return category_codes(s, levels(reference))[0]
    if kind == "datetime":
        return _seconds(s)
    if kind == "boolean" and column_kind(s) == "boolean":
        return _booleans(s)
    return _numbers(s)


def metric_matrix(frame: pd.DataFrame, reference: pd.DataFrame | None = None) -> np.ndarray:
    """The float matrix ``(n, d)`` the numeric metrics use; empty cells are NaN.

    Numbers stay as they are, dates become seconds since 1970-01-01 UTC, booleans 0/1 and
    categories integer codes in the order of ``reference``'s categories (``frame`` itself
    when ``reference`` is None); a category the reference lacks gets a new code after them.
    Both tables must hold the same columns (names and kinds).

    Examples
    --------
    >>> real = pd.DataFrame({"x": [1.5, np.nan], "c": ["b", "a"], "ok": [True, False]})
    >>> synth = pd.DataFrame({"x": [2.0, 3.0], "c": ["z", None], "ok": [False, False]})
    >>> metric_matrix(synth, real).tolist()
    [[2.0, 2.0, 0.0], [3.0, nan, 0.0]]
    """
    reference = frame if reference is None else reference
    out = np.empty((len(frame), frame.shape[1]), dtype=np.float64, order="F")
    for j, c in enumerate(reference.columns):
        out[:, j] = _to_float(frame[c], column_kind(reference[c]), reference[c])
    return out


def empty_shares(frame: pd.DataFrame) -> np.ndarray:
    """Share of empty cells (NaN, NaT, None, NA) of each column, in [0, 1].

    Examples
    --------
    >>> empty_shares(pd.DataFrame({"a": [1.0, np.nan], "b": ["x", "y"]})).tolist()
    [0.5, 0.0]
    """
    return frame.isna().to_numpy().mean(axis=0) if len(frame) else np.zeros(frame.shape[1])


# ----------------------------------------------------------------------------- inputs
def as_table(X: Any, name: str) -> pd.DataFrame:
    """Return ``X`` as a DataFrame with string column names and comparable columns.

    Arrays become float frames with columns ``x0, x1, ...`` (object arrays keep their
    values). Columns may be numbers, dates, booleans or categories, with empty cells; an
    infinite number is refused, as is anything that is not a table of at least two rows.
    """
    if isinstance(X, pd.DataFrame):
        df = X.copy(deep=False)
    else:
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise DataError(
                f"{name} must be a 2-D table (rows x columns); got an array of shape "
                f"{arr.shape}. Pass a pandas DataFrame or a 2-D NumPy array."
            )
        if arr.dtype.kind in "biuf":
            arr = arr.astype(np.float64)
        elif arr.dtype.kind not in "OUSMm":
            raise DataError(f"{name} has dtype {arr.dtype}; pass numbers, dates or text.")
        df = pd.DataFrame(arr, columns=[f"x{j}" for j in range(arr.shape[1])])
    df.columns = [str(c) for c in df.columns]
    for c in df.columns:
        kind = column_kind(df[c])
        if kind == "numeric" and np.isinf(_numbers(df[c])).any():
            raise DataError(
                f"{name} column {c!r} contains inf; the metrics need finite numbers. Drop "
                "those rows, or mark the cells empty (NaN) if they stand for missing values."
            )
    if len(df) < 2:
        raise DataError(f"{name} needs at least 2 rows to compare distributions; got {len(df)}.")
    return df


def aligned(real: pd.DataFrame, other: pd.DataFrame, name: str) -> pd.DataFrame:
    """Return ``other`` with ``real``'s columns in ``real``'s order, checking their kinds."""
    if list(other.columns) != list(real.columns):
        missing = [c for c in real.columns if c not in other.columns]
        if not missing:
            other = other[list(real.columns)]
        elif other.shape[1] == real.shape[1] and all(c.startswith("x") for c in other.columns):
            other = other.set_axis(real.columns, axis=1)
        else:
            raise DataError(
                f"{name} lacks column(s) {missing[:5]} of the real table; both tables must "
                f"hold the same columns. Got {list(other.columns)[:5]}..."
            )
    for c in real.columns:
        want, got = column_kind(real[c]), column_kind(other[c])
        if not _compatible(want, got):
            raise DataError(
                f"{name} column {c!r} is {got} but the real column is {want}"
                f"{' (non-numeric)' if want == 'categorical' else ''}; both tables must hold "
                "each column as the same kind (numbers, dates, booleans or categories). "
                "Convert one of them, e.g. with DataFrame.astype."
            )
    return other


def _subsample_index(n: int, max_rows: int, rng: np.random.Generator) -> np.ndarray | None:
    if n <= max_rows:
        return None
    return np.sort(rng.choice(n, max_rows, replace=False))


def _subsample(X: np.ndarray, max_rows: int, rng: np.random.Generator) -> np.ndarray:
    idx = _subsample_index(X.shape[0], max_rows, rng)
    return X if idx is None else X[idx]


def subsample_frame(df: pd.DataFrame, max_rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """``df`` itself when it has at most ``max_rows`` rows, else ``max_rows`` of its rows
    drawn without replacement by ``rng``, kept in their original order."""
    idx = _subsample_index(len(df), max_rows, rng)
    return df if idx is None else df.iloc[idx]


def _nanmean(values: Any) -> float:
    """Mean of the finite values (NaN when there are none), without a warning."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else float("nan")
