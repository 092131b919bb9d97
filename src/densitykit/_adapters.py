"""Arrays of other libraries, and the module that handles each kind.

The estimators take NumPy-like data; a Dask array or data frame is handed to the module that
fits and scores chunk by chunk (:mod:`densitykit.scale.dask`). That module sits above the
estimators, so they do not import it: :data:`ADAPTERS` names it, and :func:`adapter` imports
it on first use. Telling a Dask collection apart looks only at the type's module, so nothing
here imports Dask.

Examples
--------
>>> import numpy as np
>>> is_dask(np.zeros((3, 2))), adapter(np.zeros((3, 2)), None) is None
(False, True)
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

__all__ = ["ADAPTERS", "adapter", "is_dask"]

#: package of an array type -> the module that fits and scores such arrays (by name: it is
#: imported on first use). The Dask module offers ``fit_dask``, ``score_samples_dask``,
#: ``predict_dask``, ``predict_proba_dask`` and ``total_and_count``.
ADAPTERS = {"dask": "densitykit.scale.dask"}


def is_dask(obj: Any) -> bool:
    """True when ``obj`` is a Dask array, data frame or series (never imports Dask).

    Parameters
    ----------
    obj : object

    Returns
    -------
    bool

    Examples
    --------
    >>> is_dask([[1.0, 2.0]])
    False
    """
    if obj is None or "dask" not in sys.modules:
        return False
    mod = type(obj).__module__ or ""
    return mod.startswith(("dask.", "dask_expr")) and hasattr(obj, "__dask_graph__")


def adapter(*objs: Any) -> ModuleType | None:
    """The module of :data:`ADAPTERS` that handles the first of ``objs`` that needs one
    (imported now), or ``None`` when all are in-memory data."""
    for obj in objs:
        if is_dask(obj):
            return importlib.import_module(ADAPTERS["dask"])
    return None
