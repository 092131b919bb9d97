"""Exceptions raised by densitykit.

Every error densitykit raises on purpose derives from :class:`DensityKitError`, so a caller
(or the command-line tool) can tell a problem with the user's data or model apart from a bug.
The concrete classes also derive from the matching built-in (``ValueError``, ``TypeError``)
so that code written for scikit-learn keeps working.
"""

from __future__ import annotations

__all__ = [
    "ConvergenceWarning",  # noqa: F822 (made on first use, below)
    "DataError",
    "DataTypeError",
    "DensityKitError",
    "DensityKitWarning",
    "FitError",
    "MissingDependencyError",
    "ModelFileError",
    "NotFittedError",  # noqa: F822
    "OutsideRangeWarning",
    "ParameterError",
    "RegularizationWarning",
    "UnderdeterminedWarning",
]

import os
import sys
import threading
from typing import Any

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes :func:`warnings.warn`, called in the function that
    calls this, name the first line outside densitykit: the user's line, however deep in the
    library the warning is raised (in a fit inside a TableModel, a classifier, a selector).

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("here", UserWarning, stacklevel=user_stacklevel())
    >>> caught[0].filename == __file__ or caught[0].filename.startswith("<doctest")
    True
    """
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    return level


class DensityKitError(Exception):
    """Base class of the errors densitykit raises on purpose."""


class DataError(DensityKitError, ValueError):
    """The input data cannot be used as given (wrong shape, NaN, text, empty, ...)."""


class DataTypeError(DensityKitError, TypeError):
    """The input data has a type densitykit cannot convert to numbers."""


class ParameterError(DataError):
    """An argument or hyperparameter has a value densitykit cannot use: a number out of
    range, an option it does not know, the wrong kind of value. The message names the
    parameter and what it accepts. (A :class:`DataError` too, so ``except DataError`` keeps
    catching it, and so a :class:`ValueError`, as scikit-learn's checks expect.)"""


class FitError(DensityKitError, ValueError):
    """A model could not be fitted to the data; the message names the cause and a fix."""


class MissingDependencyError(DensityKitError, ImportError):
    """An optional dependency is not installed; the message gives the command that installs
    it (raised by :func:`densitykit._validation.require`)."""


class ModelFileError(DensityKitError, ValueError):
    """A model file is missing, corrupt, truncated, of another format or version."""


class DensityKitWarning(UserWarning):
    """Base class of the warnings that say a fit may not be what was asked for."""


class RegularizationWarning(DensityKitWarning):
    """A fixed ``reg_covar`` is large against a column's variance, so it distorts the fit;
    ``reg_covar='auto'`` (relative to each column's variance) or standardising fixes it."""


class UnderdeterminedWarning(DensityKitWarning):
    """Too few rows for the covariance asked for (e.g. a full covariance from no more rows
    than columns): the estimate is singular but for the regularisation."""


class OutsideRangeWarning(UserWarning):
    """A given value lies outside the range of values the model was fitted on."""


def warn_outside_range(name: str, value: float, low: float, high: float,
                       scale: float | None, dates: bool = False) -> None:
    """Warn when ``value`` of column ``name`` is outside ``[low, high]``, saying how far in
    the column's standard deviations (``scale``), or in its units when that is unknown.
    With ``dates``, the numbers are nanoseconds since 1970 and are shown as dates."""
    import math
    import warnings

    value = float(value)
    if not math.isfinite(value) or low <= value <= high:
        return
    show = _as_date if dates else "{:.6g}".format
    if low == high:  # a constant column: no spread to measure by
        message = (f"given {name}={show(value)}, but the column held only {show(low)} in the "
                   "table the model was fitted on: the drawn rows extrapolate")
    else:
        edge = low if value < low else high
        side = ("before the earliest" if dates else "below the smallest") if value < low \
            else ("after the latest" if dates else "above the largest")
        gap = abs(value - edge)
        far = _as_gap(gap) if dates else f"{gap:.6g}"
        if scale and math.isfinite(scale) and scale > 0:
            sds = f"{gap / scale:.3g}"
            far = f"{sds} standard deviation{'' if sds == '1' else 's'}" + \
                (f" ({far})" if dates else "")
        message = (f"given {name}={show(value)} is {far} {side} value the model was fitted "
                   f"on ({show(edge)}; observed {show(low)} to {show(high)}): the drawn rows "
                   "extrapolate")
    warnings.warn(message, OutsideRangeWarning, stacklevel=user_stacklevel())


def _as_date(ns: float) -> str:
    import pandas as pd

    return str(pd.Timestamp(round(ns)))


def _as_gap(ns: float) -> str:
    import pandas as pd

    return str(pd.Timedelta(round(ns)).round("s"))


def __getattr__(name: str) -> Any:
    """``NotFittedError`` and ``ConvergenceWarning`` are scikit-learn's classes (the first
    also a :class:`DensityKitError`), so ``except``/``pytest.warns`` written for
    scikit-learn catch ours; they are made on first use, so that importing densitykit does
    not import scikit-learn. Made once, under a lock: threads that ask together get the one
    class."""
    if name not in ("ConvergenceWarning", "NotFittedError"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _MAKE_LOCK:
        if name not in globals():
            globals()[name] = _make(name)
    return globals()[name]


_MAKE_LOCK = threading.Lock()


def _make(name: str) -> type:
    if name == "ConvergenceWarning":
        from sklearn.exceptions import ConvergenceWarning

        return ConvergenceWarning
    from sklearn.exceptions import NotFittedError as sk_not_fitted

    return type("NotFittedError", (DensityKitError, sk_not_fitted), {
        "__doc__": "A method that needs a fitted model was called before ``fit``.",
        "__module__": __name__})
