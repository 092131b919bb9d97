"""Fitting from CSV or Parquet files larger than memory, chunk by chunk.

Every pass (moments, then one per EM iteration) re-reads the file one chunk of rows at a
time and adds up the chunk's block statistics, so the memory in use is a few chunks, not the
file. The next chunk is read while the current one is being processed. Parquet files are
read by row batches (a row group larger than the chunk is still read whole by the Parquet
reader, so write such files with modest row groups).

Examples
--------
>>> import numpy as np, pandas as pd, tempfile, os
>>> from densitykit import GaussianMixture
>>> from densitykit.scale.stream import fit_stream
>>> rng = np.random.default_rng(0)
>>> X = np.vstack([rng.normal(-3, 1, (500, 2)), rng.normal(3, 1, (500, 2))])
>>> path = os.path.join(tempfile.mkdtemp(), "rows.csv")
>>> pd.DataFrame(X, columns=["a", "b"]).to_csv(path, index=False)
>>> gm = fit_stream(GaussianMixture(2, random_state=0), path, chunksize=300)
>>> np.round(np.sort(gm.means_[:, 0])), list(gm.feature_names_in_)
(array([-3.,  3.]), ['a', 'b'])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import check_int, require
from ..data import (
    FORMATS,
    TEXT_SEPARATORS,
    counting_reason,
    format_of,
    inexact_reason,
    names_an_identifier,
    text_encoding,
    text_header,
    text_marks,
    text_misgrouped,
    text_separator,
)
from ..exceptions import DataError, ParameterError
from ..gaussian import INIT_SAMPLE, Moments, chunk_moments, fit_chunked
from ._sampling import chunk_seeds, chunk_sizes, draw_chunk

__all__ = [
    "STREAMED_FORMATS",
    "FileSource",
    "default_chunksize",
    "fit_stream",
    "fit_table_stream",
    "iter_chunks",
    "sample_to_file",
    "score_file",
]

#: the formats of :data:`densitykit.data.FORMATS` read (and written) chunk by chunk, under
#: every suffix they have there (a ``.csv.zip`` is read, not written)
STREAMED_FORMATS = ("csv", "tsv", "parquet")
_CHUNK_BYTES = 32 << 20  # default chunk: about 32 MB of float64 rows


def default_chunksize(n_columns: int) -> int:
    """Rows per chunk for ``n_columns`` float64 columns: about 32 MB a chunk.

    Examples
    --------
    >>> from densitykit.scale.stream import default_chunksize
    >>> default_chunksize(20)
    209715
    """
    return max(1024, _CHUNK_BYTES // (8 * max(1, n_columns)))


def _format(path: Path, sep: str | None, *, read: bool = True) -> tuple[str, str | None]:
    """``('parquet', None)`` or ``('csv', separator)`` for ``path``, whose format
    :func:`~densitykit.data.format_of` tells; any file is delimited text with ``sep``. A text
    file to ``read`` has the separator :func:`~densitykit.data.read_table` finds in it, one
    to write its format's."""
    fmt = format_of(path)
    if fmt == "parquet":
        return "parquet", None
    if sep is None and fmt is not None and fmt not in TEXT_SEPARATORS:
        fix = ("fit it in memory (read_table; leave out --chunksize on the command line), or "
               "save it as CSV or Parquet to stream it" if read else
               "write CSV or Parquet, or draw the rows in memory and use write_table")
        raise DataError(f"{path.name!r} is in the {fmt} format, which is read and written "
                        f"whole, not in chunks: {fix}.")
    if sep is None and fmt not in TEXT_SEPARATORS:
        known = sorted(e for f in STREAMED_FORMATS for e in FORMATS[f][2])
        raise DataError(
            f"Cannot tell the format of {path.name!r} from its suffix {path.suffix.lower()!r}; "
            f"expected one of {known}. Rename the file or pass sep=',' for a delimited text "
            "file.")
    if sep is None and read:
        return "csv", text_separator(path, fmt)
    return "csv", sep or TEXT_SEPARATORS[fmt]


def _header_line(path: Path, kind: str, sep: str, header: int | None) -> int:
    """The 0-based line of a text file's header: ``header``, or the one read_table finds
    (under a title or notes); 0 for Parquet, which takes no ``header``."""
    if kind == "parquet":
        if header:
            raise ParameterError(f"header={header} applies to text files; a Parquet file "
                                 "names its columns itself. Leave header out.")
        return 0
    if header is None:
        return text_header(path, sep)[0]
    return check_int(header, "header", 0)


#: what reads what a streamed fit refuses (text, dates, empty cells)
_IN_MEMORY = ("fit the table in memory, where densitykit.read_table reads text, dates and "
              "empty cells (leave out --chunksize on the command line)")


def _first_text(df: Any, column: str, start: int) -> str:
    """The first cell of ``column`` in a chunk that is not a number, and its row in the file
    (``start`` is the chunk's first row)."""
    import pandas as pd

    values = df[column]
    text = (values.notna() & pd.to_numeric(values, errors="coerce").isna()).to_numpy()
    i = int(np.argmax(text)) if text.any() else 0
    return f"{str(values.iloc[i])!r} in row {start + i} of {column!r}"


def _prefetch(it: Iterator) -> Iterator:
    """Yield the items of ``it`` while the next one is produced in a background thread."""
    with ThreadPoolExecutor(1) as ex:
        nxt = ex.submit(next, it, None)
        while True:
            item = nxt.result()
            if item is None:
                return
            nxt = ex.submit(next, it, None)
            yield item


class FileSource:
    """A CSV or Parquet file read in chunks of rows, as a source for the chunked fit."""

    threads = True

    def __init__(self, path: str | Path, *, columns: list[str] | None = None,
                 weight_column: str | None = None, chunksize: int | None = None,
                 sep: str | None = None, decimal: str | None = None,
                 header: int | None = None):
        self.path = Path(path)
        if not self.path.is_file():
            raise DataError(f"No such file: {str(self.path)!r}. Check the path.")
        self.kind, self.sep = _format(self.path, sep)
        # the header line and the marks read_table finds: '1,5' or '1.234,5' beside ';',
        # '"40,080"' beside ','
        self.header = _header_line(self.path, self.kind, self.sep, header)
        self.marks = ({} if self.kind == "parquet" else
                      {"encoding": text_encoding(self.path),
                       **dict(zip(("decimal", "thousands"),
                                  text_marks(self.path, self.sep, decimal, self.header)))})
        header = self._header()
        if self.marks.get("thousands"):  # '05.01.2024' beside '1.234,5' is no number
            self.marks["dtype"] = {header[j]: str for j in text_misgrouped(
                self.path, self.sep, self.marks["decimal"], self.marks["thousands"],
                self.header) if j < len(header)}
        if columns is None:
            columns = [c for c in header if c != weight_column]
        columns = list(columns)
        missing = [c for c in [*columns, *([weight_column] if weight_column else [])]
                   if c not in header]
        if missing:
            raise DataError(
                f"Column(s) {missing[:5]} are not in {self.path.name!r}; its columns are "
                f"{header[:20]}. Check the column names.")
        if not columns:
            raise DataError(f"No columns to fit in {self.path.name!r}; pass columns=[...].")
        self.columns = columns
        self.weight_column = weight_column
        self.chunksize = (default_chunksize(len(columns)) if chunksize is None
                          else check_int(chunksize, "chunksize", 1))
        self.n_features = len(columns)
        self.feature_names = np.asarray([str(c) for c in columns], dtype=object)
        self.weighted = weight_column is not None
        self.affine: tuple[np.ndarray, np.ndarray] | None = None  # rows -> (rows - loc) / scale
        #: the integer columns with whole numbers beyond 2**53 seen so far, with the reason
        #: (:func:`densitykit.data.inexact_reason`): float64 rounds them
        self.inexact: dict[str, str] = {}

    def _header(self) -> list[str]:
        if self.kind == "parquet":
            pq = require("pyarrow.parquet", "parquet", "Reading Parquet files")
            return list(pq.ParquetFile(self.path).schema_arrow.names)
        import pandas as pd

        return [str(c) for c in pd.read_csv(self.path, sep=self.sep, nrows=0,
                                            skiprows=self.header or None,
                                            **self.marks).columns]

    def _frames(self) -> Iterator:
        wanted = [*self.columns, *([self.weight_column] if self.weight_column else [])]
        if self.kind == "parquet":
            pq = require("pyarrow.parquet", "parquet", "Reading Parquet files")
            # no read-ahead: by default the reader buffers far ahead (most of the file)
            pf = pq.ParquetFile(self.path, pre_buffer=False)
            for batch in pf.iter_batches(batch_size=self.chunksize, columns=wanted,
                                         use_threads=False):
                yield batch.to_pandas()
        else:
            import pandas as pd

            with pd.read_csv(self.path, sep=self.sep, usecols=wanted,
                             skiprows=self.header or None, chunksize=self.chunksize,
                             **self.marks) as reader:
                yield from reader

    def chunks(self, weights: bool | None = None) -> Iterator[tuple[np.ndarray, Any]]:
        """``(rows, weights or None)`` for each chunk of the file, in order."""
        use_w = self.weighted if weights is None else weights
        start = 0
        for df in self._frames():
            if len(df) == 0:
                continue
            bad = [c for c, t in df.dtypes.items() if t.kind not in "fiub"]
            if bad:
                raise DataError(
                    f"Column(s) {bad[:5]} of {self.path.name!r} hold text or dates (e.g. "
                    f"{_first_text(df, bad[0], start)}); a streamed fit takes numbers only. "
                    "Leave those columns out (columns=[...]; --columns or --exclude), clean "
                    f"the file, or {_IN_MEMORY}.")
            for c in [c for c in self.columns if df[c].dtype.kind in "iu"]:
                if c not in self.inexact and (why := inexact_reason(df[c])):
                    self.inexact[c] = why
            X = np.ascontiguousarray(df[self.columns].to_numpy(dtype=np.float64))
            if self.affine is not None:
                X -= self.affine[0]
                X /= self.affine[1]
            w = (df[self.weight_column].to_numpy(dtype=np.float64)
                 if use_w and self.weight_column else None)
            start += len(df)
            del df
            yield X, w

    def reduce(self, fn: Callable[..., Any], *args: Any, weights: bool | None = None) -> Any:
        total = None
        for X, w in _prefetch(self.chunks(weights)):
            part = fn(X, w, *args)
            if part is not None:
                total = part if total is None else total + part
        return total

    def moments(self) -> Moments:
        return self.reduce(chunk_moments, weights=self.weight_column is not None)

    def rows(self, idx: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        xs, ws = [], []
        start = 0
        for X, w in self.chunks():
            stop = start + X.shape[0]
            if idx is None:
                take = slice(None)
            else:
                lo, hi = np.searchsorted(idx, [start, stop])
                take = idx[lo:hi] - start
            xs.append(X[take].copy())
            if w is not None:
                ws.append(w[take].copy())
            start = stop
        X = np.vstack(xs) if xs else np.empty((0, self.n_features))
        return X, (np.concatenate(ws) if ws else None)


def fit_stream(estimator: Any, path: str | Path, *, columns: list[str] | None = None,
               weight_column: str | None = None, chunksize: int | None = None,
               sep: str | None = None, decimal: str | None = None,
               header: int | None = None,
               callback: Callable[[int, float], None] | None = None,
               init_sample: int = INIT_SAMPLE) -> Any:
    """Fit a ``GaussianMixture`` or ``Normal`` to a CSV/Parquet file, chunk by chunk.

    Peak memory is a few chunks (``chunksize`` rows) plus the initialisation sample, whatever
    the size of the file. Sets the same attributes as ``fit`` on the rows in memory, with
    ``feature_names_in_`` the column names.

    Parameters
    ----------
    estimator : GaussianMixture or Normal
    path : str or Path
        Delimited text: comma-separated first ``.csv``, ``.csv.gz``, ``.csv.bz2``,
        ``.csv.xz``, ``.csv.zip``; tab-separated first ``.tsv``, ``.tab``, ``.tsv.gz``,
        ``.txt``; any other name with ``sep``. Or Parquet: ``.parquet``, ``.pq``. Suffixes
        in any case; compressed files are decompressed as they are read.
    columns : list of str, optional
        Columns to fit (default: all but ``weight_column``); all must be numeric.
    weight_column : str, optional
        Column of non-negative row weights.
    chunksize : int, optional
        Rows per chunk (default: about 32 MB of rows, see :func:`default_chunksize`).
    sep : str, optional
        Field separator of a text file (default: the one :func:`densitykit.read_table` finds
        in its first lines, the suffix's first).
    decimal : {'.', ','}, optional
        Decimal mark of a text file (default: the one :func:`densitykit.read_table` finds in
        its first lines; thousands grouped by the other mark are read either way).
    header : int, optional
        0-based line of the header of a text file; the lines above it are skipped (default:
        the first line, or the one :func:`densitykit.read_table` finds under a title or
        notes, see :func:`densitykit.data.text_header`).
    callback : callable ``(iteration, mean_loglik)``, optional
        Called after every EM iteration, e.g. to show progress.
    init_sample : int, default=200000
        Rows kept in memory for the initialisation (all rows when there are no more).

    Returns
    -------
    estimator
        Fitted in place.
    """
    source = FileSource(path, columns=columns, weight_column=weight_column,
                        chunksize=chunksize, sep=sep, decimal=decimal, header=header)
    return fit_chunked(estimator, source, where=f"{source.path.name!r}", callback=callback,
                       init_sample=init_sample)


def fit_table_stream(density: Any, path: str | Path, *, columns: Any = None,
                     exclude: Any = None, transform: str | None = "standardize",
                     chunksize: int | None = None, sep: str | None = None,
                     decimal: str | None = None, header: int | None = None,
                     callback: Callable[[int, float], None] | None = None) -> Any:
    """A fitted :class:`~densitykit.preprocess.TableModel` from a file streamed in chunks.

    The same model as ``TableModel(density, column_transform=transform).fit(table)`` on the whole
    (clean, numeric) table: the per-column standardisation, ranges and decimals come from a
    first pass of moments, then the density is fitted chunk by chunk on the standardised
    rows. Numbered IDs (``SampleID`` = 10001, 10002, ...) are left out as in
    :func:`densitykit.read_table`, named with the reason in the model's ``dropped_columns_``.

    Parameters
    ----------
    density : GaussianMixture or Normal
    path : str or Path
        A text or Parquet file, as in :func:`fit_stream`.
    columns, exclude : column specs, optional
        As in :func:`densitykit.read_table` (names, globs, positions, ranges).
    transform : {'standardize', None}, default='standardize'
        The per-column transforms that need the whole column at once (quantile, Yeo-Johnson)
        are not available here.
    chunksize, sep, decimal, header, callback
        As in :func:`fit_stream`.

    Examples
    --------
    >>> import numpy as np, pandas as pd, tempfile, os
    >>> from densitykit import Normal
    >>> from densitykit.scale.stream import fit_table_stream
    >>> path = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> rng = np.random.default_rng(0)
    >>> pd.DataFrame({"a": rng.normal(10, 2, 500), "n": rng.integers(0, 9, 500)}).to_csv(
    ...     path, index=False)
    >>> tm = fit_table_stream(Normal(), path, chunksize=100)
    >>> tm.columns_, tm.integer_columns_.tolist(), tm.sample(2, random_state=0).shape
    (['a', 'n'], [False, True], (2, 2))
    >>> tm.decimals_.tolist()  # as TableModel.fit records them
    [-1, 0]
    """
    from .._estimator import clone
    from ..preprocess import TableModel

    if transform not in ("standardize", None):
        raise DataError(
            f"A streamed fit supports transform 'standardize' or None; got {transform!r}, "
            "which needs each whole column in memory. Use 'standardize' or None.")
    source, m, decimals, dropped = _table_source(path, columns, exclude, chunksize, sep,
                                                 decimal, header)
    params = (_standardize(source, m) if transform == "standardize"
              else [{} for _ in source.columns])
    fitted = clone(density)
    source.feature_names = None  # the density sees anonymous transformed columns
    fit_chunked(fitted, source, where=f"{source.path.name!r}", callback=callback)
    model = TableModel.from_parts(density, fitted, source.columns, column_transform=transform,
                                  transform_params=params, integer_columns=m.integer,
                                  data_min=m.lo, data_max=m.hi, decimals=decimals)
    model.dropped_columns_ = dropped
    return model


def _table_source(path: str | Path, columns: Any, exclude: Any, chunksize: int | None,
                  sep: str | None, decimal: str | None, header: int | None
                  ) -> tuple[FileSource, Moments, np.ndarray, dict[str, str]]:
    """The chosen columns of a file and one pass of their moments and decimals: clean
    numbers, at least two rows. Columns that number the rows under an identifier's name
    (``SampleID``) are left out, as :func:`densitykit.read_table` leaves them out; they
    come back with their reasons."""
    from ..data import select_columns

    first = FileSource(path, sep=sep, decimal=decimal, header=header, chunksize=1)
    names = select_columns(first.columns, columns, exclude)
    source = FileSource(path, columns=names, chunksize=chunksize, sep=sep, decimal=decimal,
                        header=first.header)
    m, decimals, dropped = _moments_and_decimals(source)
    if dropped:
        keep = np.array([c not in dropped for c in source.columns])
        source = FileSource(path, columns=[c for c, k in zip(source.columns, keep) if k],
                            chunksize=chunksize, sep=sep, decimal=decimal, header=first.header)
        m = dataclasses.replace(m, mean=m.mean[keep], m2=m.m2[keep], lo=m.lo[keep],
                                hi=m.hi[keep], integer=None if m.integer is None
                                else m.integer[keep])
        decimals = decimals[keep]
    if m.bad:
        raise DataError(
            f"{source.path.name!r} holds {m.bad} empty, infinite or huge cell(s) in the chosen "
            f"columns; a streamed fit needs clean numbers. Clean the file first, or "
            f"{_IN_MEMORY}.")
    if m.n < 2:
        raise DataError(f"{source.path.name!r} has {m.n} row(s); a fit needs at least 2.")
    return source, m, decimals, dropped


def _moments_and_decimals(source: FileSource) -> tuple[Moments, np.ndarray, dict[str, str]]:
    """The columns' moments and, from the same pass, their decimals as
    :meth:`TableModel.fit <densitykit.preprocess.TableModel.fit>` records them (the most any
    chunk needs, or -1 (every digit) once one needs more than ten) and the columns that
    number the rows (:func:`densitykit.data.counting_reason`, with its reason; the values of
    a column whose name calls it an identifier are kept while they are whole numbers)."""
    from .._columns import decimals_of

    total, decimals = None, np.zeros(source.n_features, dtype=np.int64)
    ids = {j: [] for j, name in enumerate(source.columns) if names_an_identifier(name)}
    for X, w in _prefetch(source.chunks()):
        part = chunk_moments(X, w)
        total = part if total is None else total + part
        for j in np.flatnonzero(decimals >= 0):
            k = decimals_of(X[:, j])
            decimals[j] = -1 if k < 0 else max(int(decimals[j]), k)
        for j in [j for j in ids if decimals[j] != 0]:
            del ids[j]  # not whole numbers: no identifier
        for j, values in ids.items():
            values.append(np.array(X[:, j], dtype=np.float64))
    dropped = dict(source.inexact)
    for j, values in ids.items():
        why = counting_reason(source.columns[j], np.concatenate(values))
        if why:
            dropped[source.columns[j]] = why
    return total, decimals, dropped


def _standardize(source: FileSource, m: Moments) -> list[dict]:
    """Each column's 'standardize' parameters from the moments; the source's chunks are
    standardised from now on."""
    std = np.sqrt(m.m2 / m.weight)
    std = np.where(std > 0, std, 1.0)
    source.affine = (m.mean, std)
    return [{"loc": float(a), "scale": float(b)} for a, b in zip(m.mean, std)]


def score_file(model: Any, path: str | Path, *, columns: list[str] | None = None,
               chunksize: int | None = None, sep: str | None = None,
               decimal: str | None = None, header: int | None = None, keep: int = 100_000,
               random_state: Any = 0) -> tuple[float, int, np.ndarray]:
    """Score a file chunk by chunk: mean log-likelihood per row, row count, and a sorted
    random sample of at most about ``keep`` per-row log-likelihoods (for quantiles). The
    file is read as :func:`fit_stream` reads it; ``columns`` default to the model's
    (``columns_`` or ``feature_names_in_``), so the other columns of the table it was fitted
    from are left out, and to every column of the file for a model fitted without names."""
    import pandas as pd

    rng = np.random.default_rng(random_state)
    if columns is None:
        names = getattr(model, "columns_", getattr(model, "feature_names_in_", None))
        columns = None if names is None else [str(c) for c in names]
    source = FileSource(path, columns=columns, chunksize=chunksize, sep=sep, decimal=decimal,
                        header=header)
    total, n = 0.0, 0
    vals, keys = np.empty(0), np.empty(0)  # a uniform sample: the rows with the smallest keys
    for X, _ in _prefetch(source.chunks()):
        ll = model.score_samples(pd.DataFrame(X, columns=source.columns))
        total += float(ll.sum())
        n += ll.shape[0]
        vals, keys = np.concatenate([vals, ll]), np.concatenate([keys, rng.random(ll.shape[0])])
        if keys.size > keep:
            top = np.argpartition(keys, keep - 1)[:keep]
            vals, keys = vals[top], keys[top]
    return total / max(n, 1), n, np.sort(vals)


def iter_chunks(path: str | Path, *, columns: list[str] | None = None,
                chunksize: int | None = None, sep: str | None = None,
                decimal: str | None = None, header: int | None = None
                ) -> Iterator[np.ndarray]:
    """The rows of a file as float64 arrays of ``chunksize`` rows (e.g. to score a file),
    read as :func:`fit_stream` reads it."""
    for X, _ in FileSource(path, columns=columns, chunksize=chunksize, sep=sep,
                           decimal=decimal, header=header).chunks():
        yield X


def sample_to_file(estimator: Any, n_samples: int, path: str | Path, *,
                   chunksize: int = 100_000, random_state: Any = None,
                   columns: list[str] | None = None, labels: bool = False) -> Path:
    """Draw ``n_samples`` rows from a fitted model into a CSV or Parquet file, chunk by chunk.

    The rows equal those of :func:`densitykit.scale.dask.sample_dask` with the same
    ``chunksize`` and ``random_state``. Memory in use is one chunk.

    Parameters
    ----------
    estimator : fitted density with ``sample``
    n_samples : int
    path : str or Path
        Overwritten. Comma-separated text: ``.csv``, ``.csv.gz``, ``.csv.bz2``, ``.csv.xz``;
        tab-separated: ``.tsv``, ``.tab``, ``.tsv.gz``, ``.txt``; Parquet: ``.parquet``,
        ``.pq`` (one row group per chunk). A compressed file holds one compressed stream per
        chunk, which pandas and the decompressors read as one file. A ``.csv.zip`` is
        refused: rows cannot be added to a zip archive.
    chunksize : int, default=100000
    random_state : int, Generator or None
    columns : list of str, optional
        Column names (default: the model's ``feature_names_in_`` or ``x0, x1, ...``).
    labels : bool, default=False
        Add a ``component`` column (mixtures only).

    Returns
    -------
    Path

    Examples
    --------
    >>> import numpy as np, pandas as pd, tempfile, os
    >>> from densitykit import Normal
    >>> from densitykit.scale.stream import sample_to_file
    >>> nd = Normal().fit(np.random.default_rng(0).normal(size=(100, 2)))
    >>> out = sample_to_file(nd, 250, os.path.join(tempfile.mkdtemp(), "s.csv"), chunksize=100)
    >>> pd.read_csv(out).shape
    (250, 2)
    """
    path = Path(path)
    kind, sep = _format(path, None, read=False)
    sizes = chunk_sizes(n_samples, chunksize)
    frames = _sample_frames(estimator, sizes, chunk_seeds(random_state, len(sizes)), columns,
                            labels)
    if kind == "parquet":
        _write_parquet(frames, path)
    else:
        _write_text(frames, path, sep)
    return path


def _sample_frames(estimator: Any, sizes: list[int], seeds: list, columns: list[str] | None,
                   labels: bool) -> Iterator[Any]:
    """The drawn rows as one data frame per chunk (with a ``component`` column if asked)."""
    import pandas as pd

    for m, seed in zip(sizes, seeds):
        out = draw_chunk(estimator, m, seed)
        X, lab = (out if isinstance(out, tuple) else (out, None))
        if columns is None:
            names = getattr(estimator, "feature_names_in_", None)
            columns = ([str(c) for c in names] if names is not None
                       else [f"x{j}" for j in range(X.shape[1])])
        df = pd.DataFrame(X, columns=columns)
        if labels:
            if lab is None:
                raise DataError("labels=True needs a mixture model; this model has no "
                                "components. Use labels=False.")
            df["component"] = lab
        yield df


def _write_text(frames: Iterator[Any], path: Path, sep: str) -> None:
    """Delimited text, one chunk appended at a time (a compressed file gets one compressed
    stream per chunk, which its readers join; a zip archive cannot be added to)."""
    if path.name.lower().endswith(".zip"):
        raise DataError(f"{path.name!r}: rows drawn chunk by chunk cannot be added to a zip "
                        "archive. Write a .csv (or .csv.gz) file and zip it afterwards.")
    for i, df in enumerate(frames):
        df.to_csv(path, sep=sep, index=False, header=i == 0, mode="w" if i == 0 else "a")


def _write_parquet(frames: Iterator[Any], path: Path) -> None:
    """A Parquet file with one row group per chunk."""
    pq = require("pyarrow.parquet", "parquet", "Writing Parquet files")
    import pyarrow as pa

    writer = None
    try:
        for df in frames:
            table = pa.Table.from_pandas(df, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
