"""Fitting and scoring beyond one machine's memory: Dask collections and streamed files.

Each EM iteration is one pass of additive block statistics over the chunks of the data,
wherever those chunks live: :mod:`densitykit.scale.dask` maps the passes over the chunks of a
Dask array or data frame on the active Dask scheduler (threads by default, a
``distributed.Client`` when one exists), and :mod:`densitykit.scale.stream` re-reads a CSV
or Parquet file chunk by chunk, so that memory is bounded by the chunk size, not the file.

Dask is optional: this package imports it only when a Dask function is used. The estimators
hand Dask input to :mod:`densitykit.scale.dask` through :mod:`densitykit._adapters`.

Examples
--------
>>> import numpy as np
>>> from densitykit.scale import is_dask
>>> is_dask(np.zeros((3, 2)))
False
"""

from __future__ import annotations

from .._adapters import is_dask

__all__ = ["is_dask"]
