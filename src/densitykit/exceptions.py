"""Exceptions raised by densitykit.

Every error densitykit raises on purpose derives from :class:`DensityKitError`, so a caller
(or the command-line tool) can tell a problem with the user's data or model apart from a bug.
The concrete classes also derive from the matching built-in (``ValueError``, ``TypeError``)
so that code written for scikit-learn keeps working.
"""

from __future__ import annotations

__all__ = [
    "ConvergenceWarning",
    "DataError",
    "DensityKitError",
    "DensityKitWarning",
    "FitError",
    "ModelFileError",
    "NotFittedError",
    "RegularizationWarning",
    "UnderdeterminedWarning",
]

from sklearn.exceptions import ConvergenceWarning
from sklearn.exceptions import NotFittedError as _SkNotFitted


class DensityKitError(Exception):
    """Base class of the errors densitykit raises on purpose."""


class DataError(DensityKitError, ValueError):
    """The input data cannot be used as given (wrong shape, NaN, text, empty, ...)."""


class DataTypeError(DensityKitError, TypeError):
    """The input data has a type densitykit cannot convert to numbers."""


class FitError(DensityKitError, ValueError):
    """A model could not be fitted to the data; the message names the cause and a fix."""


class ModelFileError(DensityKitError, ValueError):
    """A model file is missing, corrupt, truncated, of another format or version."""


class NotFittedError(DensityKitError, _SkNotFitted):
    """A method that needs a fitted model was called before ``fit``."""


class DensityKitWarning(UserWarning):
    """Base class of the warnings that say a fit may not be what was asked for."""


class RegularizationWarning(DensityKitWarning):
    """A fixed ``reg_covar`` is large against a column's variance, so it distorts the fit;
    ``reg_covar='auto'`` (relative to each column's variance) or standardising fixes it."""


class UnderdeterminedWarning(DensityKitWarning):
    """Too few rows for the covariance asked for (e.g. a full covariance from no more rows
    than columns): the estimate is singular but for the regularisation."""
