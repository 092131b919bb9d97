"""Gaussian models on Dask arrays and data frames: one map-reduce per EM iteration.

Each pass over the data (moments, E-step statistics) runs a small function on every chunk
and adds the results up in a tree; only the summed statistics (a few kilobytes) travel back.
The pass runs on whatever Dask scheduler is active: the local threaded scheduler by default,
or a ``distributed.Client`` when one exists, so the same code fits on a laptop or a cluster.
The parameters travel to the workers once per iteration as one graph key.

The initialisation runs on a random sample of rows (all rows when they are few) pulled to
this process; EM then runs over all chunks. A worker lost during a fit only costs a
recomputation of its chunks: the scheduler re-runs them elsewhere.

With ``persist=True`` the chunks stay in the workers' memory during the fit (for data that
fits in the cluster's memory); otherwise every iteration recomputes the chunks from their
source (reading files, for instance), which is how data larger than the cluster's memory is
handled.

Examples
--------
>>> import numpy as np, pytest
>>> da = pytest.importorskip("dask.array")  # Dask is an optional extra
>>> from densitykit import GaussianMixture
>>> from densitykit.scale.dask import fit_dask, predict_dask
>>> rng = np.random.default_rng(0)
>>> X = np.vstack([rng.normal(-3, 1, (500, 2)), rng.normal(3, 1, (500, 2))])
>>> dX = da.from_array(X, chunks=250)
>>> gm = fit_dask(GaussianMixture(2, random_state=0), dX)
>>> np.round(np.sort(gm.means_[:, 0]))
array([-3.,  3.])
>>> predict_dask(gm, dX).compute().shape
(1000,)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import numpy as np

from .._adapters import is_dask
from .._validation import require
from ..exceptions import DataError, DataTypeError
from ..gaussian import INIT_SAMPLE, Moments, chunk_moments, fit_chunked, sum_parts
from ._sampling import chunk_seeds, chunk_sizes, draw_chunk

__all__ = [
    "DaskSource",
    "fit_dask",
    "fit_selector_dask",
    "is_dask",
    "predict_dask",
    "predict_proba_dask",
    "sample_dask",
    "score_samples_dask",
    "total_and_count",
]

_FAN_IN = 8  # partial sums added per reduction task


def _dask():
    dask = require("dask", "dask", "Dask arrays and data frames")
    da = require("dask.array", "dask", "Dask arrays and data frames")
    return dask, da


def _is_frame(X: Any) -> bool:
    return hasattr(X, "columns") and hasattr(X, "map_partitions")


def _check_frame(X: Any, name: str) -> None:
    bad = [c for c, t in X.dtypes.items() if t.kind not in "fiub"]
    if bad:
        raise DataError(
            f"{name} has non-numeric column(s) {bad[:5]}; densitykit models numbers only. "
            "Drop or encode those columns first.")


def _check_array(X: Any, name: str) -> None:
    if X.ndim != 2:
        raise DataError(
            f"Expected 2D array, got {X.ndim}D array instead: {name} has shape {X.shape}. "
            "Reshape it with X.reshape(-1, 1) for a single feature.")
    if X.dtype.kind not in "fiub":
        raise DataError(
            f"{name} has dtype {X.dtype}; densitykit models real numbers only. Convert it with "
            "X.astype(float) or drop the non-numeric columns.")


def _as_array(X: Any, name: str = "X", *, lengths: bool = True):
    """A 2-D Dask array with all columns in one chunk, and the feature names (or None)."""
    _, da = _dask()
    names = None
    if not is_dask(X):
        raise DataTypeError(f"{name} must be a Dask array or data frame; got {type(X).__name__}.")
    if _is_frame(X):
        _check_frame(X, name)
        cols = list(X.columns)
        if cols and all(isinstance(c, str) for c in cols):
            names = np.asarray(cols, dtype=object)
        X = X.to_dask_array(lengths=lengths)
    elif not isinstance(X, da.Array):
        raise DataError(
            f"Expected 2D data, got a Dask series for {name}. Use series.to_frame() for a "
            "single feature.")
    _check_array(X, name)
    if X.numblocks[1] != 1:
        X = X.rechunk({1: -1})
    if lengths and any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    return X, names


def _weights(sample_weight: Any, X) -> Any:
    """Row weights as a Dask array chunked like the rows of ``X`` (None when absent)."""
    if sample_weight is None:
        return None
    _, da = _dask()
    n = X.shape[0]
    if is_dask(sample_weight):
        w = sample_weight.to_dask_array(lengths=True) if not isinstance(
            sample_weight, da.Array) else sample_weight
    else:
        w = np.asarray(sample_weight, dtype=np.float64)
        if w.ndim == 0:
            w = np.full(n, float(w))
    if w.ndim != 1 or w.shape[0] != n:
        raise DataError(
            f"sample_weight must have one weight per row: shape ({n},); got shape {w.shape}.")
    if not isinstance(w, da.Array):
        return da.from_array(w, chunks=(X.chunks[0],))
    return w.astype(np.float64).rechunk((X.chunks[0],))


@contextlib.contextmanager
def _one_blas_thread_if_local(collection: Any):
    """On the local threaded scheduler chunks already run in parallel: keep BLAS at one
    thread so that they do not fight over the cores (workers of a cluster do this already)."""
    import dask
    import dask.threaded

    if dask.base.get_scheduler(collections=[collection]) is dask.threaded.get:
        from .._parallel import blas_single_threaded

        with blas_single_threaded():
            yield
    else:
        yield


class DaskSource:
    """Chunks of a Dask array (with optional weights) as a source for the chunked fit."""

    threads = False

    def __init__(self, X: Any, sample_weight: Any = None, *, persist: bool = False):
        X, self.feature_names = _as_array(X)
        w = _weights(sample_weight, X)
        if persist:  # held in the workers' memory for the life of this source
            X = X.persist()
            w = None if w is None else w.persist()
        self.X = X
        self.w = w
        self.n_features = int(X.shape[1])
        self.weighted = self.w is not None
        self._x = list(X.to_delayed().ravel())
        self._w = list(self.w.to_delayed().ravel()) if self.w is not None else None

    def reduce(self, fn: Callable[..., Any], *args: Any, weights: bool | None = None) -> Any:
        """``sum(fn(chunk, weights, *args))`` over all chunks, as one Dask computation."""
        dask, _ = _dask()
        use_w = self.weighted if weights is None else weights
        wd = self._w if (use_w and self._w is not None) else [None] * len(self._x)
        # arrays travel as one graph key each, fetched once per worker
        dargs = [a if isinstance(a, (str, bool, int, float)) else
                 dask.delayed(a, traverse=False) for a in args]
        task = dask.delayed(fn, pure=True)
        parts = [task(x, w, *dargs) for x, w in zip(self._x, wd)]
        add = dask.delayed(sum_parts, pure=True)
        while len(parts) > 1:
            parts = [add(parts[i:i + _FAN_IN]) for i in range(0, len(parts), _FAN_IN)]
        with _one_blas_thread_if_local(parts[0]):
            (total,) = dask.compute(parts[0])
        return total

    def moments(self) -> Moments:
        return self.reduce(chunk_moments, weights=self.w is not None)

    def rows(self, idx: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        dask, _ = _dask()
        X = self.X if idx is None else self.X[idx]
        w = None if not self.weighted else (self.w if idx is None else self.w[idx])
        X, w = dask.compute(X, w)
        return np.asarray(X), (None if w is None else np.asarray(w, dtype=np.float64))


def fit_dask(estimator: Any, X: Any, sample_weight: Any = None, *,
             callback: Callable[[int, float], None] | None = None,
             init_sample: int = INIT_SAMPLE, persist: bool = False) -> Any:
    """Fit a ``GaussianMixture`` or ``Normal`` to a Dask array or data frame.

    Sets exactly the attributes of the in-memory ``fit``. Each EM iteration is one
    map-reduce of block statistics over the chunks on the active Dask scheduler.

    Parameters
    ----------
    estimator : GaussianMixture or Normal
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n_samples, n_features)
    sample_weight : array-like or Dask array of shape (n_samples,), optional
    callback : callable ``(iteration, mean_loglik)``, optional
        Called after every EM iteration (a progress hook).
    init_sample : int, default=200000
        Rows pulled to this process for the initialisation; with no more rows than this the
        initialisation is exactly the in-memory one.
    persist : bool, default=False
        Keep the chunks in the workers' memory during the fit (released afterwards), so that
        EM iterations do not recompute them from their source. Use it when the data fits in
        the cluster's memory; leave it off for data larger than that.

    Returns
    -------
    estimator
        Fitted in place.

    Examples
    --------
    >>> import numpy as np, pytest
    >>> da = pytest.importorskip("dask.array")  # Dask is an optional extra
    >>> from densitykit import Normal
    >>> from densitykit.scale.dask import fit_dask
    >>> X = da.from_array(np.random.default_rng(0).normal(5, 2, (4000, 1)), chunks=1000)
    >>> round(float(fit_dask(Normal(), X).mean_[0]), 1)
    5.0
    """
    return fit_chunked(estimator, DaskSource(X, sample_weight, persist=persist),
                       callback=callback, init_sample=init_sample)


# --- using a fitted model on Dask data ----------------------------------------------------------
def _map_rows(est: Any, X: Any, method: str, width: int | None, dtype) -> Any:
    """Apply ``est.<method>`` to every chunk of rows; a Dask array of its outputs."""
    _dask()
    if _is_frame(X):
        import pandas as pd

        _check_frame(X, "X")

        def on_frame(df):
            out = getattr(est, method)(df)
            if width is None:
                return pd.Series(out, index=df.index)
            return pd.DataFrame(out, index=df.index)

        meta = (pd.Series([], dtype=dtype) if width is None else
                pd.DataFrame({j: pd.Series([], dtype=dtype) for j in range(width)}))
        return X.map_partitions(on_frame, meta=meta).to_dask_array()
    X, _ = _as_array(X, lengths=False)

    def on_block(b):
        return np.asarray(getattr(est, method)(b), dtype=dtype)

    if width is None:
        return X.map_blocks(on_block, drop_axis=1, dtype=dtype)
    return X.map_blocks(on_block, chunks=(X.chunks[0], (width,)), dtype=dtype)


def score_samples_dask(estimator: Any, X: Any) -> Any:
    """Log-density of every row of a Dask array or data frame, as a lazy Dask array.

    Works for any fitted density with ``score_samples`` (Gaussian models, KDE, selectors).

    Examples
    --------
    >>> import numpy as np, pytest
    >>> da = pytest.importorskip("dask.array")  # Dask is an optional extra
    >>> from densitykit import Normal
    >>> from densitykit.scale.dask import score_samples_dask
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> nd = Normal().fit(X)
    >>> bool(np.allclose(score_samples_dask(nd, da.from_array(X, 30)).compute(),
    ...                  nd.score_samples(X)))
    True
    """
    return _map_rows(estimator, X, "score_samples", None, np.float64)


def total_and_count(values: Any) -> tuple[float, int]:
    """The sum of a lazy 1-D Dask array and its length, computed in one pass (the chunk
    sizes of a data frame's scores are unknown until then)."""
    dask, _ = _dask()

    def count(b):
        return np.array([b.shape[0]], dtype=np.int64)

    counts = values.map_blocks(count, chunks=((1,) * values.numblocks[0],), dtype=np.int64)
    total, n = dask.compute(values.sum(), counts.sum())
    return float(total), int(n)


def predict_dask(estimator: Any, X: Any) -> Any:
    """Most likely component of every row, as a lazy Dask array."""
    return _map_rows(estimator, X, "predict", None, np.intp)


def predict_proba_dask(estimator: Any, X: Any) -> Any:
    """Component probabilities of every row, a lazy Dask array ``(n, n_components)``."""
    return _map_rows(estimator, X, "predict_proba", len(estimator.weights_), np.float64)


def sample_dask(estimator: Any, n_samples: int, *, chunksize: int = 100_000,
                random_state: Any = None) -> Any:
    """Draw ``n_samples`` rows into a lazy Dask array, one chunk per ``chunksize`` rows.

    Each chunk has its own seed spawned from ``random_state``, so a seed gives the same rows
    on any scheduler (and the same as :func:`densitykit.scale.stream.sample_to_file`). For
    a mixture the result is ``(X, labels)``, as from ``sample``.

    Examples
    --------
    >>> import numpy as np, pytest
    >>> _ = pytest.importorskip("dask.array")  # Dask is an optional extra
    >>> from densitykit import GaussianMixture
    >>> from densitykit.scale.dask import sample_dask
    >>> gm = GaussianMixture(2, random_state=0).fit(np.random.default_rng(0).normal(size=(200, 2)))
    >>> X, labels = sample_dask(gm, 1000, chunksize=300, random_state=1)
    >>> X.chunks[0], X.compute().shape
    ((300, 300, 300, 100), (1000, 2))
    """
    dask, da = _dask()
    sizes = chunk_sizes(n_samples, chunksize)
    seeds = chunk_seeds(random_state, len(sizes))
    probe = draw_chunk(estimator, 1, np.random.SeedSequence(0))
    pair = isinstance(probe, tuple)
    rows = probe[0] if pair else probe
    d = np.asarray(rows).shape[1]
    draws = [dask.delayed(draw_chunk, pure=True)(estimator, m, s) for m, s in zip(sizes, seeds)]
    if not pair:
        return da.concatenate([da.from_delayed(x, (m, d), dtype=np.float64)
                               for x, m in zip(draws, sizes)])
    X = da.concatenate([da.from_delayed(x[0], (m, d), dtype=np.float64)
                        for x, m in zip(draws, sizes)])
    labels = da.concatenate([da.from_delayed(x[1], (m,), dtype=np.asarray(probe[1]).dtype)
                             for x, m in zip(draws, sizes)])
    return X, labels


# --- model selection on a cluster ------------------------------------------------------------
def _active_client():
    try:
        from distributed import default_client
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    try:
        return default_client()
    except ValueError:
        return None


def fit_selector_dask(selector: Any, X: Any, y: Any = None) -> Any:
    """Fit a :class:`~densitykit.selection.ModelSelector` with its candidates spread over the
    active ``distributed.Client`` (joblib's Dask backend); without a client, fit as usual.

    ``X`` may be a Dask collection small enough to gather (candidate fits need all rows);
    the selector's ``n_jobs`` (default: every worker thread) limits concurrent candidates.
    """
    if is_dask(X):
        X = X.compute()
    client = _active_client()
    if client is None:
        return selector.fit(X, y)
    from joblib import parallel_config

    n_jobs = selector.n_jobs if selector.n_jobs is not None else -1
    with parallel_config(backend="dask", n_jobs=n_jobs):
        return selector.fit(X, y)
