"""Input checks shared by every estimator: one place for the wording of errors.

Each message names the parameter, what was expected, what was got, and how to fix it.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import exceptions
from .exceptions import DataError, DataTypeError, MissingDependencyError, ParameterError

__all__ = [
    "check_data",
    "check_in",
    "check_int",
    "check_is_fitted",
    "check_n_samples",
    "check_nonneg_float",
    "check_random_state",
    "check_sample_weight",
    "missing_dependency",
    "require",
]

# Squares of values beyond this overflow float64; we refuse them with a clear message.
_MAX_ABS = 1e150


def _describe_bad_cell(X: Any) -> str:
    """Return a short description of the first cell that does not convert to a number."""
    arr = np.asarray(X, dtype=object)
    if arr.ndim != 2:
        arr = arr.reshape(len(arr) if arr.ndim else 1, -1)
    for (i, j), value in np.ndenumerate(arr):
        try:
            float(value)
        except (TypeError, ValueError):
            return f"{value!r} at row {i}, column {j}"
    return "a value that is not a number"


def check_data(
    estimator: Any,
    X: Any,
    *,
    reset: bool = True,
    name: str = "X",
    min_samples: int = 1,
    dtype: Any = (np.float64, np.float32),
    allow_nan: bool = False,
) -> np.ndarray:
    """Validate a 2-D numeric array for ``estimator`` and return it as floats.

    ``reset=True`` (in ``fit``) records ``n_features_in_`` (and ``feature_names_in_`` for
    data frames); ``reset=False`` checks the number of features against them.
    ``allow_nan=True`` lets NaN through as an empty cell (for the estimators that
    marginalise them); infinite values are refused either way.
    """
    fast = _fast_path(estimator, X, reset, min_samples, dtype, allow_nan)
    if fast is not None:
        return fast
    X = nullable_as_floats(X)
    _check_numeric_table(X, name)
    out = _sklearn_checked(estimator, X, reset, min_samples, dtype, allow_nan)
    biggest = _biggest(out)
    if biggest > _MAX_ABS:
        raise DataError(
            f"{name} holds values as large as {biggest:.3g}; their squares overflow "
            "double precision. Rescale the data (for example divide by a power of ten)."
        )
    return out


def nullable_as_floats(X: Any) -> Any:
    """A data frame with its nullable numeric columns (pandas' ``Int64``, ``Float64``,
    ``boolean``, whose empty cells hold ``pd.NA``) as float64, an empty cell as NaN; anything
    else as it is."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(X, "select_dtypes"):
        return X
    nullable = {c: "float64" for c, t in dtypes.items()
                if type(t).__module__.startswith("pandas") and getattr(t, "kind", "O") in "iufb"}
    return X.astype(nullable) if nullable else X


def _check_numeric_table(X: Any, name: str) -> None:
    """Refuse, in words, what is not a dense 2-D table of real numbers: sparse matrices,
    text, mappings, ``None``, frames with text columns, cells that are no numbers, 1-D and
    complex arrays."""
    if hasattr(X, "tocsr") or type(X).__module__.startswith("scipy.sparse"):
        raise DataTypeError(
            f"Sparse data was passed for {name}, but dense data is required. Use '.toarray()' "
            "to convert to a dense numpy array."
        )
    if isinstance(X, (str, bytes, Mapping)) or X is None:
        raise DataTypeError(
            f"{name} must be a 2-D array-like of numbers (rows x features); got "
            f"{type(X).__name__}. Pass a NumPy array or a pandas DataFrame."
        )
    if hasattr(X, "dtypes") and hasattr(X, "select_dtypes"):
        bad = [c for c, t in X.dtypes.items() if t.kind == "O" or str(t) in ("string", "str")]
        if bad:
            raise DataError(
                f"{name} has non-numeric column(s) {bad[:5]}; densitykit models numbers only. "
                "Drop or encode those columns (densitykit.read_table cleans tables for you)."
            )
    arr = np.asarray(X) if not hasattr(X, "__array_namespace__") else X
    if getattr(arr, "dtype", None) is not None and arr.dtype.kind in "OUS":
        try:
            np.asarray(arr, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            cell = _describe_bad_cell(arr)
            cls = DataTypeError if isinstance(exc, TypeError) else DataError
            raise cls(
                f"{name} contains non-numeric data ({cell}); every argument must be a number "
                "or a string that reads as a number. Drop or encode non-numeric columns."
            ) from None
    if getattr(arr, "ndim", 2) == 1:
        raise DataError(
            f"Expected 2D array, got 1D array instead: {name} has shape {arr.shape}. "
            "Reshape your data either using array.reshape(-1, 1) if it has a single feature "
            "or array.reshape(1, -1) if it contains a single sample."
        )
    if getattr(arr, "dtype", None) is not None and arr.dtype.kind == "c":
        raise DataError(f"Complex data not supported: {name} has dtype {arr.dtype}.")


def _sklearn_checked(estimator: Any, X: Any, reset: bool, min_samples: int, dtype: Any,
                     allow_nan: bool) -> np.ndarray:
    """scikit-learn's ``validate_data`` (the features it records or checks, the dtype, the
    number of rows, finiteness), its errors as :class:`DataError` with a fix for NaN/inf."""
    from sklearn.utils.validation import validate_data

    try:
        out = validate_data(
            estimator,
            X,
            reset=reset,
            dtype=list(dtype) if isinstance(dtype, tuple) else dtype,
            ensure_min_samples=min_samples,
            ensure_all_finite="allow-nan" if allow_nan else True,
            order="C",
        )
    except ValueError as exc:
        msg = str(exc)
        if "NaN" in msg or "infinity" in msg:
            msg += (
                " Drop or impute those rows first (densitykit.read_table(..., "
                "policy='drop-rows') does it for tables)."
            )
        raise DataError(msg) from None
    return out


def _biggest(X: np.ndarray) -> float:
    """Largest absolute value, ignoring NaN (no ``|X|`` copy); 0 for an empty array."""
    if not X.size:
        return 0.0
    flat = X.reshape(-1)
    return float(max(np.fmax.reduce(flat, initial=0.0), -np.fmin.reduce(flat, initial=0.0)))


def _fast_path(estimator: Any, X: Any, reset: bool, min_samples: int,
               dtype: Any, allow_nan: bool = False) -> np.ndarray | None:
    """The common case without scikit-learn's general machinery (it costs ~0.1 ms a call,
    which dominates small problems): a float NumPy array (copied to C order), finite, not huge,
    with the expected number of columns. ``None`` sends anything else the long way."""
    kinds = dtype if isinstance(dtype, tuple) else (dtype,)
    if (type(X) is not np.ndarray or X.ndim != 2 or X.dtype not in kinds
            or X.shape[0] < max(min_samples, 1) or X.shape[1] < 1
            or (not reset and hasattr(estimator, "feature_names_in_"))):
        return None
    X = np.ascontiguousarray(X)
    if reset:
        estimator.n_features_in_ = X.shape[1]
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
    elif getattr(estimator, "n_features_in_", X.shape[1]) != X.shape[1]:
        return None  # the long way words the error
    with np.errstate(invalid="ignore", over="ignore"):
        hi, lo = float(X.max()), float(X.min())
    if allow_nan and np.isnan(hi) and not np.isinf(X).any():
        hi = lo = _biggest(X)
    if not (np.isfinite(hi) and np.isfinite(lo)) or max(hi, -lo) > _MAX_ABS:
        return None
    return X


def check_n_samples(X: np.ndarray, minimum: int, reason: str) -> None:
    """Raise a clear error when ``X`` has fewer than ``minimum`` rows."""
    if X.shape[0] < minimum:
        got = "1 sample" if X.shape[0] == 1 else f"n_samples={X.shape[0]}"
        raise DataError(f"Need at least {minimum} samples {reason}; got {got}.")


def check_sample_weight(sample_weight: Any, n_samples: int) -> np.ndarray:
    """Return sample weights as float64, checking shape, sign and finiteness."""
    if sample_weight is None:
        return np.ones(n_samples)
    if isinstance(sample_weight, numbers.Number):
        sample_weight = np.full(n_samples, float(sample_weight))
    try:
        w = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError("sample_weight must be numbers, one per row.") from None
    if w.ndim != 1 or w.shape[0] != n_samples:
        raise DataError(
            f"sample_weight must have shape ({n_samples},), one weight per row of X; "
            f"got shape {w.shape}."
        )
    if not np.all(np.isfinite(w)):
        raise DataError("sample_weight contains NaN or inf; use finite weights.")
    if np.any(w < 0):
        raise DataError("sample_weight contains negative values; weights must be >= 0.")
    if w.sum() <= 0:
        raise DataError("sample_weight sums to zero; at least one row needs a positive weight.")
    return w


def check_random_state(random_state: Any) -> np.random.Generator:
    """Turn ``None``, an int, a ``Generator`` or a ``RandomState`` into a ``Generator``."""
    if random_state is None or isinstance(random_state, (numbers.Integral, np.integer)):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    raise DataTypeError(
        f"random_state must be None, an int, a numpy Generator or RandomState; "
        f"got {type(random_state).__name__}."
    )


def check_int(value: Any, name: str, minimum: int = 1) -> int:
    """Check that ``value`` is an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise ParameterError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    if value < minimum:
        raise ParameterError(f"{name} must be an integer >= {minimum}; got {value}.")
    return int(value)


def check_nonneg_float(value: Any, name: str, *, positive: bool = False) -> float:
    """Check that ``value`` is a finite real number ``>= 0`` (``> 0`` if ``positive``)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    if not ok or value < 0 or (positive and value == 0):
        bound = "> 0" if positive else ">= 0"
        raise ParameterError(f"{name} must be a finite number {bound}; got {value!r}.")
    return float(value)


def check_in(value: Any, name: str, valid: Any) -> Any:
    """Check that ``value`` is one of ``valid`` (a registry); the error lists the choices."""
    if not isinstance(value, str) or value not in valid:
        choices = ", ".join(repr(k) for k in valid)
        raise ParameterError(f"Unknown {name} {value!r}; valid options are {choices}.")
    return value


def check_is_fitted(estimator: Any, attributes: Any = None) -> None:
    """Raise :class:`NotFittedError` naming the estimator when it is not fitted yet.

    Fitted means, as in scikit-learn: ``__sklearn_is_fitted__()`` if the estimator has it,
    else all of ``attributes`` if given, else any attribute whose name ends in ``_``.
    """
    if hasattr(estimator, "__sklearn_is_fitted__"):
        fitted = estimator.__sklearn_is_fitted__()
    elif attributes is not None:
        names = [attributes] if isinstance(attributes, str) else attributes
        fitted = all(hasattr(estimator, a) for a in names)
    else:
        fitted = any(v.endswith("_") and not v.startswith("__") for v in vars(estimator))
    if not fitted:
        raise exceptions.NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet. Call 'fit' with "
            "appropriate arguments before using this estimator.")


def require(module: str, extra: str, what: str) -> Any:
    """Import the optional ``module`` that ``what`` needs, or raise
    :class:`~densitykit.exceptions.MissingDependencyError` saying how to install it: the
    one way densitykit reports a missing optional dependency."""
    import sys

    try:
        __import__(module)  # the import statement's hook, as ``import module`` would use
    except ImportError:
        raise missing_dependency(module, extra, what) from None
    return sys.modules[module]


def missing_dependency(module: str, extra: str, what: str) -> MissingDependencyError:
    """The error :func:`require` raises when ``module`` (from the densitykit extra
    ``extra``) is missing, for code that finds that out without importing it."""
    return MissingDependencyError(
        f"{what}: {module} is not installed. Install it with: pip install 'densitykit[{extra}]'")
