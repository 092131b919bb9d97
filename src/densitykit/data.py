"""Reading and cleaning tables: CSV/TSV, Excel, Parquet in, a clean numeric frame out.

Real tables hold dates, empty cells, infinities and stray text (the Dow process table has a
``!`` in one column). :func:`read_table` finds every such cell, applies one policy
(``'drop-rows'``, ``'drop-columns'`` or ``'error'``), keeps a date/time column aside as the
index, selects columns by names, glob patterns or position ranges, and returns the clean
frame together with a :class:`CleaningReport` that says what was dropped and why.

Notes
-----
*Text tables.* Unless ``sep`` and ``decimal`` are given, the first lines decide. The
separator is the one of ``,`` ``;`` tab and ``|`` that splits them into the most consistent
rows. The decimal mark is a comma when their numbers are written like ``1,5`` (a ``;``- or
tab-separated table from a locale that writes decimal commas), else a point; a table that
writes numbers both ways is refused. Thousands are grouped by the other mark when every number
that holds it is written so: ``1.234,5`` beside decimal commas, ``"40,080"`` or
``"1,234,567"`` beside decimal points (or with ``decimal`` given); the cleaning report's
notes say so. A column with no name in the header (text or Excel) keeps an empty name, so
that tables written from it have the same header; several such columns are called
``'column 2'``, ``'column 4'`` (by position); the notes say which. A file is read as UTF-8,
as UTF-16 after its byte-order mark (Excel's "Unicode text"), or, when it is not valid
UTF-8, as Windows-1252 (Excel's CSV on Western European systems), which the notes say.

*Title rows.* A table exported from a plant or lab system may have a title, notes or blank
rows above its header. Unless ``header`` (the header's 0-based row; ``--header-row``) is
given, the first row is the header, but for this case: the rows above a later one (among the
first eleven) each have at most half their fields filled (a title, a note, a blank row) or
start with ``#`` (a comment line), and
that row holds distinct names in every field (none a number or a date), followed by rows of
as many fields, one column of which holds numbers or dates throughout. That row is then the
header, the rows above it are skipped, and the notes say so. Less clear evidence (a header
with blank names, a table of text only) keeps the first row. Streamed fits
(:mod:`densitykit.scale.stream`) find the same header. A header on two rows, groups over
merged cells and names under them (``Reactor,,Column,`` over ``T,P,T,P``), names each
column by both (``'Reactor T'``); streamed fits read only its first row.

*Kinds of columns.* By default (``kinds='numeric'``) the result is a float64 frame of the
numeric columns (columns the file stores as integers stay int64): text columns are
dropped and a date/time column becomes the index. ``kinds='mixed'`` keeps every column as
what it is: numbers (float64); integers (int64, or pandas' nullable ``Int64`` when a cell
is empty); booleans (pandas' nullable ``boolean``, so empty cells stay empty); categories
(text with at most :data:`MAX_CATEGORIES` distinct values, or at most one per ten rows,
kept as strings); dates and times (datetime64, kept as columns). A text column with more
distinct values, or with more than 20 that mostly occur once (more than half as many as
its filled cells: the IDs of a short table), is an identifier or free text, which no
density models: it is left out, and ``report.dropped_columns`` says so. So is a column of
numbered IDs: whole numbers, all distinct, counting the rows (up or down by one, nine steps
in ten), under a name that calls it an ID (``SampleID``, ``Batch no``, ``Run``); the same
numbers under another name (a setpoint stepped 1, 2, 3) are data. A column of numbers
written as text in a form (at least half its filled cells) holds the numbers they write,
with the form in ``report.number_forms`` so that a table written back shows them so:
percentages (``6.3%`` is 6.3) and times of day (``08:30`` is 8.5 hours). Durations
(timedelta, or hours beyond a day: ``125:30``) are left out with that reason. Dates written
``dd.mm.yyyy`` or ``mm/dd/yyyy`` are read in one order for the whole column (day first when
a day above 12 shows it, or when they are written with points). ``report.column_kinds``
says what each kept column became.

Examples
--------
>>> import io
>>> text = "when,a,b,c\\n2020-01-01,1,2,x\\n2020-01-02,3,,y\\n2020-01-03,5,6,z\\n"
>>> table = read_table(io.StringIO(text), format="csv")
>>> table.data.to_numpy()
array([[1., 2.],
       [5., 6.]])
>>> table.report.index_column, table.report.dropped_columns, table.report.n_rows_dropped
('when', {'c': 'not numeric'}, 1)
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import fnmatch
import io
import itertools
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._columns import (
    PERCENT_SIGN,
    TIME_OF_DAY,
    date_format,
    format_dates,
    parse_dates,
    percent_and_time_columns,
    percent_form,
    plain_numbers,
    read_numbers,
    time_form,
    to_datetimes,
    write_numbers,
)
from ._validation import check_in, require
from .exceptions import (
    DataError,
    DensityKitError,
    MissingDependencyError,
    OutsideRangeWarning,
    ParameterError,
)

__all__ = [
    "FORMATS",
    "POLICIES",
    "TEXT_SEPARATORS",
    "CleaningReport",
    "ColumnIssue",
    "MissingDependencyError",
    "OutsideRangeWarning",
    "Table",
    "format_of",
    "infer_format",
    "read_cells",
    "read_raw",
    "read_table",
    "select_columns",
    "text_encoding",
    "text_header",
    "text_marks",
    "text_separator",
    "write_table",
]


# ---------------------------------------------------------------------------------------
# file formats: a registry of readers and writers
# ---------------------------------------------------------------------------------------


#: what a reader returns: the frame, its notes (what it decided) and, for a text table, the
#: marks it was read with (``sep``, ``decimal``, ``thousands``)
Read = tuple[pd.DataFrame, list[str], dict[str, Any]]


def _read_csv(source: Any, *, sep: str | None = None, decimal: str | None = None,
              sheet: Any = None, header: int | None = None) -> Read:
    return _read_text(source, sep=sep, decimal=decimal, header=header,
                      prefer=TEXT_SEPARATORS["csv"])


def _read_tsv(source: Any, *, sep: str | None = None, decimal: str | None = None,
              sheet: Any = None, header: int | None = None) -> Read:
    return _read_text(source, sep=sep, decimal=decimal, header=header,
                      prefer=TEXT_SEPARATORS["tsv"])


def _read_excel(source: Any, *, sep: str | None = None, decimal: str | None = None,
                sheet: Any = None, header: int | None = None) -> Read:
    """Read a sheet whose header is row ``header`` (0-based; by default the first row, or
    the one under a title and notes that :func:`_header_index` finds)."""
    require("openpyxl", "excel", "Reading Excel files")
    with pd.ExcelFile(source, engine="openpyxl") as book:
        names = book.sheet_names
        notes = [] if sheet is not None or len(names) == 1 else [
            f"The workbook has {len(names)} sheets ({_and([repr(n) for n in names])}); the "
            "first was read. Pass sheet= (--sheet) to read another."]
        sheet = 0 if sheet is None else sheet
        if sheet not in names and not (isinstance(sheet, int) and 0 <= sheet < len(names)):
            raise DataError(f"it has no sheet {sheet!r}; its sheets are "
                            f"{_and([repr(n) for n in names])} (give a name or a 0-based "
                            "number)")
        first = pd.read_excel(book, sheet_name=sheet, header=None,
                              nrows=(header or 0) + _SNIFF_LINES)
        rows = [["" if pd.isna(v) else str(v) for v in row]
                for row in first.itertuples(index=False)]
        grouped = None
        if header is None:
            header = _header_index(rows) or 0
            notes += _skipped_note(rows[:header], header, "row", "of the sheet")
            grouped = _grouped_names(rows[header:])
        kept = _kept_cells(first.iloc[header + (1 if grouped is None else 2):])
        if grouped is not None:  # merged group cells over the names: one name per column
            df = pd.read_excel(book, sheet_name=sheet, skiprows=header + 2, header=None,
                               dtype=kept or None)
            if df.shape[1] == len(grouped):
                df.columns = grouped
                return df, [*notes, _grouped_note(grouped, header, "row")], {}
        names = rows[header] if header < len(rows) else []
        _check_header(names, "the first row" if header == 0 else f"row {header + 1}")
        df = pd.read_excel(book, sheet_name=sheet, skiprows=header or None, dtype=kept or None)
        formats = _cell_formats(book.book, sheet, header + 1)
    return df, notes + _name_blank_columns(df, names), {"cell_formats": formats}


def _cell_formats(workbook: Any, sheet: Any, first_row: int) -> dict[int, str]:
    """Position -> the number format ('0.0%', 'yyyy-mm-dd') of a sheet's columns whose
    filled cells, in the rows under the header (``first_row`` rows above them) that the
    sniffer reads, all share one other than 'General'."""
    ws = workbook[sheet] if isinstance(sheet, str) else workbook.worksheets[sheet]
    seen: dict[int, set[str]] = {}
    for row in ws.iter_rows(min_row=first_row + 1, max_row=first_row + _SNIFF_LINES):
        for j, cell in enumerate(row):
            if getattr(cell, "value", None) is not None:
                seen.setdefault(j, set()).add(str(cell.number_format))
    return {j: next(iter(f)) for j, f in seen.items() if len(f) == 1 and f != {"General"}}


def _kept_cells(cells: pd.DataFrame) -> dict[int, Any]:
    """Position -> dtype for the sheet's columns whose cells pandas would change: text codes
    written with leading zeros ('007', which it reads as 7) as text, and booleans with
    empty cells (which it reads as 1.0 and 0.0) as pandas' ``boolean``."""
    out: dict[int, Any] = {}
    for j in range(cells.shape[1]):
        seen = [v for v in cells.iloc[:, j] if not pd.isna(v)]
        if seen and len(seen) < len(cells) and all(isinstance(v, bool) for v in seen):
            out[j] = "boolean"
        elif seen and all(isinstance(v, str) for v in seen) and _are_codes(seen):
            out[j] = str
    return out


def _read_parquet(source: Any, *, sep: str | None = None, decimal: str | None = None,
                  sheet: Any = None, header: int | None = None) -> Read:
    require("pyarrow", "parquet", "Reading Parquet files")
    return pd.read_parquet(source), [], {}


# --- text tables: separator, decimal mark, header and row checks -----------------------

#: separators tried when a text table does not say which it uses, in this order
SEPARATORS = (",", ";", "\t", "|")
_SNIFF_LINES = 50
_COMMA_NUMBER = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d*),\d+([eE][+-]?\d+)?$")
_POINT_NUMBER = re.compile(r"^[+-]?\d*\.\d+([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")
_EN_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
#: decimal mark -> a number whose thousands are grouped by the other mark
_GROUPED_BY = {",": _GROUPED, ".": _EN_GROUPED}
_NUMBER_LIKE = re.compile(r"^[+-]?\d[\d.,]*$")
#: a whole number, and one written with leading zeros ('007', '0420': a code, not a quantity)
_WHOLE = re.compile(r"[+-]?\d+")
_ZERO_PADDED = re.compile(r"[+-]?0\d+")
_SEP_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}


def _sep_name(sep: str) -> str:
    return _SEP_NAMES.get(sep, repr(sep))


def _utf16(path: Path) -> bool:
    """Whether the (uncompressed) text file ``path`` starts with a UTF-16 byte-order mark
    (Excel's "Unicode text" export)."""
    if path.name.lower().endswith(_COMPRESSED) or not path.is_file():
        return False
    with open(path, "rb") as f:
        return f.read(2) in (b"\xff\xfe", b"\xfe\xff")


_COMPRESSED = (".gz", ".bz2", ".xz", ".zip")


def text_encoding(path: str | os.PathLike[str]) -> str:
    """The encoding :func:`read_table` reads the text file ``path`` in (and
    :func:`write_table` writes a table like it in): ``'utf-16'`` after its byte-order mark,
    ``'utf-8'`` when every byte reads as UTF-8 (``'utf-8-sig'`` after a UTF-8 byte-order
    mark, as Excel's "CSV UTF-8" writes), else ``'cp1252'`` (Windows-1252, the encoding of
    Excel's CSV files on Western European systems). A compressed file is read as UTF-8.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "rows.csv")
    >>> with open(path, "w", encoding="cp1252") as f:
    ...     _ = f.write("Temp \\u00b0C,Flow\\n20.5,3\\n")
    >>> text_encoding(path)
    'cp1252'
    """
    path = Path(path)
    if _utf16(path):
        return "utf-16"
    if path.name.lower().endswith(_COMPRESSED):
        return "utf-8"
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as f:
        marked = f.read(3) == codecs.BOM_UTF8
        f.seek(0)
        try:
            for block in iter(lambda: f.read(1 << 20), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig" if marked else "utf-8"


@contextlib.contextmanager
def _open_text(path: Path) -> Iterator[Any]:
    """``path`` as text lines (decompressed as pandas would, by the extension)."""
    name = path.name.lower()
    opts = {"encoding": "utf-16" if _utf16(path) else "utf-8-sig", "errors": "replace",
            "newline": ""}
    if name.endswith(".gz"):
        import gzip

        f = gzip.open(path, "rt", **opts)
    elif name.endswith(".bz2"):
        import bz2

        f = bz2.open(path, "rt", **opts)
    elif name.endswith(".xz"):
        import lzma

        f = lzma.open(path, "rt", **opts)
    elif name.endswith(".zip"):
        import zipfile

        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.namelist() if not m.endswith("/")]
            with io.TextIOWrapper(zf.open(members[0]), **opts) as f:
                yield f
        return
    else:
        f = open(path, **opts)
    with f:
        yield f


def _text_source(source: Any) -> tuple[Any, list[str]]:
    """(what pandas reads, the first lines); a stream is read once, into memory."""
    if isinstance(source, (str, os.PathLike)):
        return source, _head(source, _SNIFF_LINES)
    text = source.read()
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig", errors="replace")
    return io.StringIO(text), text.splitlines(keepends=True)[:_SNIFF_LINES]


def _head(source: Any, n: int) -> list[str]:
    """The first ``n`` lines of a path or of a stream :func:`_text_source` read."""
    if isinstance(source, io.StringIO):
        return source.getvalue().splitlines(keepends=True)[:n]
    with _open_text(Path(source)) as f:
        return list(itertools.islice(f, n))


def _records(lines: list[str], sep: str) -> list[list[str]]:
    """The non-blank records of ``lines`` split on ``sep`` (quotes respected)."""
    rows = [r for r in csv.reader(lines, delimiter=sep) if r]
    if len(lines) == _SNIFF_LINES and len(rows) > 2:
        rows = rows[:-1]  # the last record may continue past the lines read
    return rows


def _sniff_sep(lines: list[str], prefer: str) -> str:
    """The separator whose records all have as many fields as the header (at least two)."""
    order = (prefer, *(c for c in SEPARATORS if c != prefer))
    split = [(sep, _records(lines, sep)) for sep in order]
    for sep, rows in split:
        if rows and len(rows[0]) > 1 and all(len(r) == len(rows[0]) for r in rows[1:]):
            return sep
    for sep, rows in split:
        if rows and len(rows[0]) > 1:
            return sep
    return prefer


def text_separator(path: str | os.PathLike[str], fmt: str) -> str:
    """The field separator :func:`read_table` finds in the text file ``path`` (compressed
    or not) of format ``fmt``: the format's own (:data:`TEXT_SEPARATORS`) when it splits the
    first lines (from the header on, see :func:`text_header`) into even rows of two fields
    or more, else the first of :data:`SEPARATORS` that does.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "rows.txt")
    >>> with open(path, "w") as f:
    ...     _ = f.write("a,b\\n1,2\\n3,4\\n")
    >>> format_of(path), text_separator(path, "tsv")
    ('tsv', ',')
    """
    prefer = TEXT_SEPARATORS[fmt]
    lines = _head(path, 2 * _SNIFF_LINES)  # the header is within the first lines
    header = _text_header(lines[:_SNIFF_LINES], None, prefer)[0]
    return _sniff_sep(lines[header:header + _SNIFF_LINES], prefer)


def text_header(path: str | os.PathLike[str], sep: str) -> tuple[int, list[str]]:
    """The 0-based line of the header :func:`read_table` finds in the text file ``path``
    with separator ``sep`` (0 unless a title, notes or blank lines sit above it), and the
    note saying so (none for 0).

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "rows.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("Plant 3 log,,\\n,,\\ntime,a,b\\n2020-01-01,1,2\\n2020-01-02,3,4\\n")
    >>> text_header(path, ",")[0]
    2
    """
    return _text_header(_text_source(path)[1], sep, sep)


def text_marks(path: str | os.PathLike[str], sep: str,
               decimal: str | None = None, header: int = 0) -> tuple[str, str | None]:
    """The decimal and thousands marks :func:`read_table` finds in the first lines of the
    text file ``path`` with separator ``sep`` and its header at line ``header`` (the
    thousands mark is None when numbers are not grouped; with ``decimal`` given, only the
    thousands mark is looked for); a file that writes numbers with both decimal marks is
    refused.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "rows.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write('a;b\\n1,5;"1.234,5"\\n2,5;7,25\\n')
    >>> text_marks(path, ";")
    (',', '.')
    """
    rows = _records(_head(path, header + _SNIFF_LINES)[header:], sep)
    cells = _number_cells(rows[1:])
    if decimal is not None:
        return decimal, _thousands_mark(cells, decimal)
    return _sniff_decimal(cells, sep)


def _number_cells(rows: list[list[str]]) -> list[str]:
    """The cells of ``rows`` as the marks are read from them: stripped, and a percentage
    ('6,3 %') as its number."""
    return [re.sub(PERCENT_SIGN, "", c.strip()) for r in rows for c in r]


def _sniff_decimal(cells: list[str], sep: str) -> tuple[str, str | None]:
    """(decimal mark, thousands mark) from the number-looking cells of the data rows.

    Commas are English thousands ('40,080') when every number holding one is so grouped
    and a number has a decimal point or is grouped so that the comma cannot be decimal
    ('1,234,567', '12,000.5')."""
    comma = [c for c in cells if _COMMA_NUMBER.match(c)]
    point = [c for c in cells if _POINT_NUMBER.match(c) and not _GROUPED.match(c)]
    english = [c for c in cells if _EN_GROUPED.match(c)]
    if _thousands_mark(cells, ".") and (point or any(c not in comma for c in english)):
        return ".", ","
    if not comma:
        return ".", None
    if point:
        raise DataError(
            f"numbers are written both with a decimal comma ({comma[0]!r}) and a decimal "
            f"point ({point[0]!r}) in a table separated by {_sep_name(sep)}; pass decimal= "
            "(--decimal) ',' or '.' to say which, and sep= (--sep) if the separator is wrong."
        )
    grouped = any(_GROUPED.match(c) for c in cells)
    return ",", ("." if grouped else None)


def _thousands_mark(cells: list[str], decimal: str) -> str | None:
    """The mark other than ``decimal`` when every number holding it groups thousands with
    it (and one does), else None."""
    other = "," if decimal == "." else "."
    marked = [c for c in cells if other in c and _NUMBER_LIKE.match(c)]
    if marked and all(_GROUPED_BY[decimal].match(c) for c in marked):
        return other
    return None


def _thousands_note(cells: list[str], decimal: str, thousands: str) -> str:
    example = next(c for c in cells if thousands in c and _GROUPED_BY[decimal].match(c))
    return (f"Numbers are written like {example!r}: {thousands!r} groups thousands and "
            f"{decimal!r} is the decimal mark.")


def _check_header(names: list[str], where: str) -> None:
    """Refuse repeated column names (pandas would rename the second 'a' to 'a.1')."""
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        if name.strip():
            seen.setdefault(name, []).append(i)
    dup = {n: pos for n, pos in seen.items() if len(pos) > 1}
    if dup:
        shown = "; ".join(f"{n!r} at columns {', '.join(str(p + 1) for p in pos)}"
                          for n, pos in list(dup.items())[:5])
        raise DataError(f"{where} repeats column names: {shown}. Rename them so that each "
                        "column has its own name.")


def _name_blank_columns(df: pd.DataFrame, header: list[str]) -> list[str]:
    """Rename the columns whose header cell is empty (pandas calls them 'Unnamed: 1'): one
    such column keeps an empty name, so that tables written from it have the same header;
    several are called 'column 2', 'column 4' (1-based). Returns the note saying so."""
    blank = [j for j, name in enumerate(header[:df.shape[1]])
             if not name and df.columns[j] == f"Unnamed: {j}"]
    if not blank:
        return []
    names = [""] if len(blank) == 1 else [f"column {j + 1}" for j in blank]
    new = dict(zip(blank, names))
    df.columns = [new.get(j, name) for j, name in enumerate(df.columns)]
    if len(blank) == 1:
        return [f"Column {blank[0] + 1} has no name in the header; it keeps an empty name."]
    return [f"Columns {_and([str(j + 1) for j in blank])} have no name in the header; "
            f"they are called {_and([repr(n) for n in names])}."]


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


# --- a header under a title, notes or blank rows ----------------------------------------

#: the most rows (a title, notes, blank rows) looked through for a header under them
_MOST_TITLE_ROWS = 10
#: a cell that reads as a number or a date/time, not as a column name
_VALUE = re.compile(r"^[+-]?(\d[\d.,]*|[.,]\d+)([eE][+-]?\d+)?$"
                    r"|^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|^\d{1,2}:\d\d"
                    r"|^\d{1,2}[-/ ][A-Za-z]{3}[-/ ]\d{2,4}")


def _filled(row: list[str]) -> list[str]:
    return [c.strip() for c in row if c.strip()]


def _is_names(row: list[str]) -> bool:
    """Two or more distinct column names, every field filled, none a number or a date."""
    names = [c.strip() for c in row]
    return (len(names) > 1 and all(names) and len(set(names)) == len(names)
            and not any(_VALUE.match(c) or c.lower() in _NA_TOKENS for c in names))


def _is_data(rows: list[list[str]], width: int) -> bool:
    """Two or more rows (blank ones aside) of ``width`` fields, a column of which holds
    a number or a date in every row."""
    rows = [r for r in rows if _filled(r)]
    return (len(rows) > 1 and all(len(r) == width for r in rows)
            and any(all(_VALUE.match(r[j].strip()) for r in rows) for j in range(width)))


def _header_index(rows: list[list[str]]) -> int | None:
    """The position in ``rows`` of a header under a title, notes or blank rows, or None.

    Row ``k`` is that header when it holds distinct column names in every field (no number
    or date among them), every row above it has at most half as many filled cells as it has
    fields (a title, a note, a blank row) or starts with ``#`` (a comment), and the rows
    below it have as many fields, with a column of numbers or dates throughout. Less clear
    evidence keeps the first row.
    """
    for k in range(1, min(len(rows) - 2, _MOST_TITLE_ROWS + 1)):
        width = len(rows[k])
        if (all(2 * len(_filled(r)) <= width or _is_comment(r) for r in rows[:k])
                and _is_names(rows[k]) and _is_data(rows[k + 1:], width)):
            return k
    return None


def _is_comment(row: list[str]) -> bool:
    """A line of notes that starts with '#' ('# units: degC, kg/h'), however many fields
    its commas make."""
    return bool(row) and row[0].lstrip().startswith("#")


def _grouped_names(rows: list[list[str]]) -> list[str] | None:
    """The names of a header on two rows: groups in the first, each over two or more
    merged (blank) cells, and the names under them in the second ('Reactor' over 'T' and
    'P' gives 'Reactor T' and 'Reactor P'); a name alone in either row (merged down, or
    under no group) stands as it is. None unless ``rows`` start with such a header,
    distinct once joined, above rows of data (see :func:`_is_data`)."""
    if len(rows) < 4 or len(rows[0]) != len(rows[1]):
        return None
    top, sub = [c.strip() for c in rows[0]], [c.strip() for c in rows[1]]
    if all(top) or not any(top) or any(_VALUE.match(c) or c.lower() in _NA_TOKENS
                                       for c in [*_filled(top), *_filled(sub)]):
        return None
    starts = [j for j, c in enumerate(top) if c] + [len(top)]
    names = sub[:starts[0]]  # columns before the first group
    for a, b in itertools.pairwise(starts):
        if b - a == 1 and not sub[a]:  # merged down over both rows
            names.append(top[a])
        elif b - a > 1 and all(sub[a:b]):
            names += [f"{top[a]} {name}" for name in sub[a:b]]
        else:  # a group over one name, or over a blank: no header of groups
            return None
    if not all(names) or len(set(names)) < len(names) or not _is_data(rows[2:], len(top)):
        return None
    return names


def _grouped_note(names: list[str], header: int, unit: str) -> str:
    """The note saying that the header on ``unit``s ``header`` and ``header + 1`` was read
    as groups over names."""
    shown = ", ".join(repr(n) for n in names[:3]) + (", ..." if len(names) > 3 else "")
    return (f"The header is on two {unit}s ({header + 1} and {header + 2}): groups over "
            f"merged cells, names under them; the columns are called {shown}. Pass header= "
            f"(--header-row) to read one {unit} as the header.")


def _skipped_note(above: list[list[str]], header: int, unit: str, where: str) -> list[str]:
    """The note saying that the ``header`` rows (lines) above the header, whose records
    are ``above``, were skipped."""
    if not header:
        return []
    title = next((c for r in above for c in _filled(r)), "")
    shown = f", starting {title[:40] + '...' if len(title) > 40 else title!r}" if title else ""
    skipped = f"the {unit} above it is" if header == 1 else f"the {header} {unit}s above it are"
    return [f"The header is {unit} {header + 1} {where} (header={header}); {skipped} "
            f"skipped (a title, notes or blank {unit}s{shown}). Pass header= (--header-row, "
            f"0-based) to choose another {unit}."]


def _text_header(lines: list[str], sep: str | None, prefer: str) -> tuple[int, list[str]]:
    """(lines above the header, the note saying so) of a text table: 0 unless a header
    under a title or notes is found (with the separator given, or the first that shows
    one: the one :func:`_sniff_sep` finds first)."""
    first = _sniff_sep(lines, prefer) if sep is None else sep
    for s in [first] if sep is not None else [first, *(c for c in SEPARATORS if c != first)]:
        rows = _records(lines, s)
        k = _header_index(rows)
        if k is not None:
            skip = _line_of(lines, s, k)
            return skip, _skipped_note(rows[:k], skip, "line", "of the file")
    return 0, []


def _line_of(lines: list[str], sep: str, k: int) -> int:
    """The 0-based line of ``lines`` where their ``k``-th non-blank record starts."""
    reader = csv.reader(lines, delimiter=sep)
    start = 0
    for row in reader:
        if row:
            if k == 0:
                return start
            k -= 1
        start = reader.line_num
    raise ValueError("fewer records than asked for")


def _first_long_row(source: Any, sep: str, skip: int = 0) -> tuple[int, int, int] | None:
    """(line number, fields, header fields) of the first row longer than the header, the
    header being the first row after ``skip`` lines."""
    if isinstance(source, io.StringIO):
        source.seek(0)
        ctx: Any = contextlib.nullcontext(source)
    else:
        ctx = _open_text(Path(source))
    with ctx as f:
        reader = csv.reader(itertools.islice(f, skip, None), delimiter=sep)
        header = None
        for row in reader:
            if not row:
                continue
            if header is None:
                header = len(row)
            elif len(row) > header:
                return skip + reader.line_num, len(row), header
    return None


def _ragged(source: Any, sep: str, skip: int = 0) -> DataError:
    found = _first_long_row(source, sep, skip)
    if found is None:
        return DataError("some rows have more fields than the header. Check the separator "
                         f"({_sep_name(sep)}; pass sep= or --sep to change it).")
    line, n, header = found
    return DataError(
        f"line {line} has {n} fields but the header has {header} (separator "
        f"{_sep_name(sep)}). Fix the row, add the missing column name, or pass sep= (--sep) "
        "if the separator is another."
    )


def _read_text(source: Any, *, sep: str | None, decimal: str | None, header: int | None,
               prefer: str, as_text: bool = False) -> Read:
    """Read a CSV/TSV table: find the header line (under a title or notes), the separator,
    the decimal and thousands marks when not given, refuse repeated column names and rows
    longer than the header. Returns the frame (``as_text``: of the cells' text), notes on
    what was decided and the marks."""
    source, lines = _text_source(source)
    skipped: list[str] = []
    auto = header is None
    if auto:
        header, skipped = _text_header(lines, sep, prefer)
    if header:
        lines = _head(source, header + _SNIFF_LINES)[header:]
    sep = _sniff_sep(lines, prefer) if sep is None else sep
    rows = _records(lines, sep)
    cells = _number_cells(rows[1:])
    if decimal is None:
        decimal, thousands = _sniff_decimal(cells, sep)
    else:
        thousands = _thousands_mark(cells, decimal)
    notes = [] if thousands is None else [_thousands_note(cells, decimal, thousands)]
    grouped = _grouped_names(rows) if auto else None
    if grouped is not None:  # a header on two lines: the data start under the second
        skipped.append(_grouped_note(grouped, header, "line"))
        start = {"skiprows": header + _line_of(lines, sep, 2), "header": None,
                 "names": grouped}
    elif rows:
        _check_header(rows[0], "the header")
    kept = ({"dtype": str, "keep_default_na": False} if as_text else {"dtype": text}
            if (text := _text_columns(rows[2 if grouped else 1:], decimal, thousands))
            else {})
    try:
        skip = start if grouped else {"skiprows": header or None}
        df, encoded, encoding = _parse_text(source, sep=sep, decimal=decimal,
                                            thousands=thousands, **skip, **kept)
    except pd.errors.ParserError as exc:
        if "Expected" in str(exc) and "fields" in str(exc):
            raise _ragged(source, sep, header) from None
        raise
    notes += encoded
    if df.index.name is not None or not df.index.equals(pd.RangeIndex(len(df))):
        # pandas took the fields past the header as an index
        raise _ragged(source, sep, header)
    return df, skipped + _name_blank_columns(df, [] if grouped else rows[0] if rows else []
                                             ) + notes, {"sep": sep, "decimal": decimal,
                                                         "thousands": thousands,
                                                         "encoding": encoding}


def _own_marks(marks: dict[str, Any]) -> dict[str, str]:
    """The marks of a text table (``sep``, ``decimal``, ``thousands``, ``encoding``) that a
    table written as CSV or TSV would not have by default, for
    :attr:`CleaningReport.text_marks`: a separator other than ',' and the tab, or any
    beside a decimal comma; a decimal comma; a thousands mark; an encoding other than
    UTF-8."""
    decimal, sep = marks.get("decimal", "."), marks.get("sep")
    encoding = marks.get("encoding")
    return {**({"sep": sep} if sep and (decimal == "," or sep not in TEXT_SEPARATORS.values())
               else {}),
            **({"decimal": decimal} if decimal == "," else {}),
            **({"thousands": t} if (t := marks.get("thousands")) else {}),
            **({"encoding": encoding} if encoding and encoding != "utf-8" else {})}


def _text_columns(rows: list[list[str]], decimal: str, thousands: str | None
                  ) -> dict[int, type]:
    """Position -> ``str`` for the columns whose cells in ``rows`` (records under the
    header) pandas would misread as numbers: whole numbers, some written with leading zeros
    ('007', '0420': codes, which pandas would read as 7 and 420; a table written back keeps
    its zeros), and, where ``thousands`` groups thousands, cells holding that mark but not
    as a grouped number (pandas would read the date '05.01.2024' beside '1.234,5' as
    5012024). Both are read as their text."""
    return {j: str for j, cells in enumerate(_column_cells(rows))
            if _are_codes(cells) or _misgrouped(cells, decimal, thousands)}


def _column_cells(rows: list[list[str]]) -> list[list[str]]:
    """The cells of ``rows`` (records) column by column, as far as each row reaches."""
    return [[r[j] for r in rows if j < len(r)] for j in range(max(map(len, rows), default=0))]


def _misgrouped(cells: list[str], decimal: str, thousands: str | None) -> bool:
    """Whether a cell holds the thousands mark other than in a grouped number."""
    return thousands is not None and any(
        thousands in c and not _GROUPED_BY[decimal].match(c.strip()) for c in cells)


def text_misgrouped(path: str | os.PathLike[str], sep: str, decimal: str,
                    thousands: str | None, header: int = 0) -> list[int]:
    """The 0-based positions of the columns of the text file ``path`` whose first cells
    hold ``thousands`` other than in a grouped number (the date '05.01.2024' beside
    '1.234,5'), which pandas would read as numbers with the mark removed (5012024): a
    reader takes them as text."""
    rows = _records(_head(path, header + _SNIFF_LINES)[header:], sep)[1:]
    return [j for j, cells in enumerate(_column_cells(rows))
            if _misgrouped(cells, decimal, thousands)]


def _are_codes(cells: list[str]) -> bool:
    """True when the filled ``cells`` are whole numbers, some written with leading zeros
    ('007', '0420'): codes, not quantities."""
    cells = [c.strip() for c in cells]
    cells = [c for c in cells if c.lower() not in _NA_TOKENS]
    return any(_ZERO_PADDED.fullmatch(c) for c in cells) and all(
        _WHOLE.fullmatch(c) for c in cells)


def _parse_text(source: Any, **options: Any) -> tuple[pd.DataFrame, list[str], str]:
    """pandas' reading of a text table in the encoding :func:`text_encoding` finds (UTF-8
    for a stream); returns the frame, the note saying when it is not UTF-8, and that
    encoding."""
    path = isinstance(source, (str, os.PathLike))
    encoding = text_encoding(source) if path else "utf-8"
    try:
        df = pd.read_csv(source, encoding=encoding, low_memory=False, skipinitialspace=False,
                         **options)
    except UnicodeDecodeError:
        if encoding != "cp1252":
            raise
        raise DataError("it is neither UTF-8 nor Windows-1252 text; save it as UTF-8 "
                        "(in Excel: CSV UTF-8)") from None
    return df, [_CP1252_NOTE] if encoding == "cp1252" else [], encoding


#: the encodings other than plain UTF-8 that a text table is read in and written back in,
#: with their names for people
WRITTEN_ENCODINGS = {"cp1252": "Windows-1252 (cp1252)", "utf-16": "UTF-16",
                     "utf-8-sig": "UTF-8 with a byte-order mark"}

_CP1252_NOTE = ("The file is not UTF-8 text: it was read as Windows-1252 (cp1252), the "
                "encoding of Excel's CSV files on Western European systems; save it as UTF-8 "
                "(in Excel: CSV UTF-8) if names or labels look wrong.")


# numbers are written in the shortest form that reads back to the same float (Python's repr),
# so a value rounded to the input's precision is written with the input's digits
def _write_text(df: pd.DataFrame, path: Any, sep: str, decimal: str = ".",
                encoding: str | None = None) -> None:
    """A CSV or TSV file (in ``encoding``; UTF-8 by default, and with a byte-order mark,
    which Excel reads, when a cell or name has no place in ``encoding``)."""
    index = df.index.name is not None
    try:
        df.to_csv(path, sep=sep, decimal=decimal, index=index, encoding=encoding)
    except UnicodeEncodeError:
        df.to_csv(path, sep=sep, decimal=decimal, index=index, encoding="utf-8-sig")


def _write_csv(df: pd.DataFrame, path: Any) -> None:
    _write_text(df, path, ",")


def _write_tsv(df: pd.DataFrame, path: Any) -> None:
    _write_text(df, path, "\t")


def _write_excel(df: pd.DataFrame, path: Any, formats: dict[str, str] | None = None) -> None:
    """Excel has no time zones: aware dates and times go in as their zone's wall-clock time.
    The cells of the columns ``formats`` names get that number format ('0.0%')."""
    require("openpyxl", "excel", "Writing Excel files")
    aware = [j for j, t in enumerate(df.dtypes) if isinstance(t, pd.DatetimeTZDtype)]
    if aware or getattr(df.index, "tz", None) is not None:
        df = df.copy()
        for j in aware:
            df.isetitem(j, df.iloc[:, j].dt.tz_localize(None))
        if getattr(df.index, "tz", None) is not None:
            df.index = df.index.tz_localize(None)
    index = df.index.name is not None
    formats = {int(index) + j: formats[name] for j, name in enumerate(df.columns)
               if name in (formats or {})}
    if not formats:
        df.to_excel(path, index=index, engine="openpyxl")
        return
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        df.to_excel(writer, index=index)
        for column in writer.sheets["Sheet1"].iter_cols(min_row=2):
            if (form := formats.get(column[0].column - 1)) is not None:
                for cell in column:
                    cell.number_format = form


def _write_parquet(df: pd.DataFrame, path: Any) -> None:
    require("pyarrow", "parquet", "Writing Parquet files")
    df.to_parquet(path, index=df.index.name is not None)


#: format name -> (reader, writer, file extensions); a reader returns the frame, notes on
#: how it was read and the marks of a text table (:data:`Read`), for the cleaning report
FORMATS: dict[str, tuple[Callable[..., Read], Callable[..., None],
                         tuple[str, ...]]] = {
    "csv": (_read_csv, _write_csv, (".csv", ".csv.gz", ".csv.bz2", ".csv.zip", ".csv.xz")),
    "tsv": (_read_tsv, _write_tsv, (".tsv", ".tab", ".tsv.gz", ".txt")),
    "excel": (_read_excel, _write_excel, (".xlsx", ".xlsm")),
    "parquet": (_read_parquet, _write_parquet, (".parquet", ".pq")),
}
#: the field separator of each text format: what read_table tries first, and what a streamed
#: read (:mod:`densitykit.scale.stream`) takes when it is not given
TEXT_SEPARATORS = {"csv": ",", "tsv": "\t"}

#: what to do with bad cells (empty, +-inf, text in a numeric column)
POLICIES = {
    "keep": "keep every row: a bad cell becomes an empty cell, for the models that handle them",
    "drop-rows": "drop every row holding a bad cell (the chapter's rule)",
    "drop-columns": "drop every column holding a bad cell",
    "error": "raise an error naming the first bad cells",
}

_SCOPES = ("selected", "all")

#: which columns a table keeps
KINDS = {
    "numeric": "numeric columns only; text columns are dropped, a date/time column is the index",
    "mixed": "every column as what it is: numbers, integers, booleans, categories (text with "
    "few distinct values) and dates/times; identifiers and free text are left out, named",
}
#: a text column with more distinct values than this (and than a tenth of its rows) is an
#: identifier or free text, not a category
MAX_CATEGORIES = 200
#: a text column with more distinct values than this, and more than half as many as its
#: filled cells (most values occur once), is an identifier or free text, not categories
_MOST_SINGLE_LABELS = 20

# cells that mean "no value" (as pandas' readers treat them), counted as empty, not as text
_NA_TOKENS = frozenset({"", "nan", "na", "n/a", "#n/a", "null", "none", "<na>", "-nan"})


def format_of(path: str | os.PathLike[str]) -> str | None:
    """The format whose extensions in :data:`FORMATS` end the name of ``path`` (in any case),
    or ``None``: the one place a file's format is told from its name.

    Examples
    --------
    >>> format_of("rows.CSV.gz"), format_of("plant.tab"), format_of("notes.dat")
    ('csv', 'tsv', None)
    """
    name = str(path).lower()
    for fmt, (_, _, exts) in FORMATS.items():
        if name.endswith(exts):
            return fmt
    return None


def infer_format(path: str | os.PathLike[str], format: str | None = None) -> str:
    """Return the table format of ``path`` from ``format`` or the file's extension.

    Examples
    --------
    >>> infer_format("plant.xlsx"), infer_format("rows.csv.gz"), infer_format("x.dat", "tsv")
    ('excel', 'csv', 'tsv')
    """
    if format is not None:
        if format not in FORMATS:
            raise ParameterError(
                f"Unknown format {format!r}; valid options are "
                f"{', '.join(repr(k) for k in FORMATS)}."
            )
        return format
    fmt = format_of(path)
    if fmt is not None:
        return fmt
    known = ", ".join(e for _, _, exts in FORMATS.values() for e in exts)
    raise DataError(
        f"Cannot tell the format of {str(path)!r} from its extension; expected one of {known}. "
        "Pass format= (or --format) to say which it is."
    )


# ---------------------------------------------------------------------------------------
# the report
# ---------------------------------------------------------------------------------------


@dataclass
class ColumnIssue:
    """Bad cells found in one column.

    ``first_rows`` are 0-based data-row positions in the file (the header is not counted);
    ``n_text`` counts the cells that are not the column's ``kind`` of value (a number, or a
    date).
    """

    column: str
    n_empty: int = 0
    n_inf: int = 0
    n_text: int = 0
    examples: list[str] = field(default_factory=list)
    first_rows: list[int] = field(default_factory=list)
    kind: str = "number"

    @property
    def n_bad(self) -> int:
        return self.n_empty + self.n_inf + self.n_text

    def describe(self) -> str:
        parts = []
        if self.n_empty:
            parts.append(f"{self.n_empty} empty")
        if self.n_inf:
            parts.append(f"{self.n_inf} infinite")
        if self.n_text:
            ex = ", ".join(repr(e) for e in self.examples)
            parts.append(f"{self.n_text} not a {self.kind} (e.g. {ex})")
        return ", ".join(parts)


@dataclass(repr=False)
class CleaningReport:
    """What :func:`read_table` found and did: rows and columns dropped, and why.

    ``str(report)`` (or :meth:`to_text`) gives a readable summary; :meth:`to_dict` a
    JSON-ready one that model files keep. ``notes`` say how the file was read where a
    reader had to decide (thousands separators, for example). ``date_formats`` holds the
    ``strftime`` form of each date column whose text cells are all written in one form, so
    that :func:`write_table` writes those dates back as they were read. ``text_marks``
    holds the marks of a text table that are not a CSV's (``{'sep': ';', 'decimal': ',',
    'thousands': '.'}``; the separator too beside decimal commas), and
    ``number_forms`` the form of each column of numbers written as text (``'%'`` for
    percentages, '6.3%' read as 6.3; ``'0.0%'`` for percentages that all show one
    decimal, '40.0%'; a time form such as ``'%H:%M'`` for times of day,
    '08:30' read as 8.5 hours): ``write_table(df, path, like=report)`` writes a table with
    that separator, those decimal marks and those forms, and in the table's encoding
    (``'encoding'``: ``'cp1252'``, ``'utf-16'``, or ``'utf-8-sig'`` for UTF-8 after a
    byte-order mark; absent for plain UTF-8). ``cell_formats`` holds the number format of
    each column of a spreadsheet whose cells share one other than General (``'0.0%'``,
    ``'yyyy-mm-dd'``), which an Excel file written like it gives its cells.
    """

    source: str
    n_rows_in: int
    n_columns_in: int
    policy: str
    index_column: str | None = None
    dropped_columns: dict[str, str] = field(default_factory=dict)
    issues: list[ColumnIssue] = field(default_factory=list)
    n_rows_dropped: int = 0
    n_rows_out: int = 0
    columns_out: list[str] = field(default_factory=list)
    column_kinds: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    date_formats: dict[str, str] = field(default_factory=dict)
    text_marks: dict[str, str] = field(default_factory=dict)
    number_forms: dict[str, str] = field(default_factory=dict)
    cell_formats: dict[str, str] = field(default_factory=dict)

    @property
    def n_columns_out(self) -> int:
        return len(self.columns_out)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON-ready Python objects."""
        out = asdict(self)
        out["n_columns_out"] = self.n_columns_out
        for name in ("notes", "date_formats", "text_marks", "number_forms", "cell_formats"):
            if not out[name]:
                del out[name]
        for issue in out["issues"]:  # a model file older versions read: 'number' is theirs
            if issue["kind"] == "number":
                del issue["kind"]
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CleaningReport:
        """Rebuild a report from :meth:`to_dict` output."""
        d = dict(d)
        d.pop("n_columns_out", None)
        d["issues"] = [ColumnIssue(**i) for i in d.get("issues", [])]
        return cls(**d)

    def to_text(self, max_columns: int = 20) -> str:
        """Return a readable multi-line summary."""
        lines = [
            f"Read {self.source}: {self.n_rows_in} rows x {self.n_columns_in} columns.",
        ]
        lines.extend(f"  {note}" for note in self.notes)
        if self.index_column is not None:
            lines.append(f"  Date/time column {self.index_column!r} kept as the index.")
        percent, times = percent_and_time_columns(self.number_forms)
        for what, cols in (("Percentages ('6.3%') read as the numbers they write (6.3)",
                            percent), ("Times of day ('08:30') read as hours (8.5)", times)):
            if cols:
                lines.append(f"  {what}: {', '.join(repr(c) for c in cols[:max_columns])}"
                             f"{', ...' if len(cols) > max_columns else ''}.")
        reasons: dict[str, list[str]] = {}
        for col, why in self.dropped_columns.items():
            reasons.setdefault(why, []).append(col)
        for why, cols in reasons.items():
            shown = ", ".join(repr(c) for c in cols[:max_columns])
            more = f" and {len(cols) - max_columns} more" if len(cols) > max_columns else ""
            lines.append(f"  Dropped {len(cols)} column(s) ({why}): {shown}{more}.")
        if self.issues:
            lines.append(f"  Bad cells in {len(self.issues)} column(s):")
            ordered = sorted(self.issues, key=lambda i: -i.n_bad)
            for issue in ordered[:max_columns]:
                lines.append(f"    {issue.column!r}: {issue.describe()}")
            if len(ordered) > max_columns:
                lines.append(f"    ... and {len(ordered) - max_columns} more column(s)")
        if self.policy == "drop-rows":
            lines.append(
                f"  Policy 'drop-rows': dropped {self.n_rows_dropped} row(s) with a bad cell."
            )
        elif self.policy == "keep" and self.issues:
            lines.append("  Policy 'keep': every row kept; bad cells are empty cells.")
        kinds: dict[str, list[str]] = {}
        for col, kind in self.column_kinds.items():
            kinds.setdefault(kind, []).append(col)
        if len(kinds) > 1 or "numeric" not in kinds:
            lines.append("  Kept as: " + "; ".join(
                f"{kind} {len(cols)} ({', '.join(map(repr, cols[:3]))}"
                f"{', ...' if len(cols) > 3 else ''})" for kind, cols in kinds.items()) + ".")
        lines.append(f"Kept {self.n_rows_out} rows x {self.n_columns_out} columns.")
        return "\n".join(lines)

    __str__ = __repr__ = to_text  # a notebook shows the summary, not every field


@dataclass(repr=False)
class Table:
    """The result of :func:`read_table`: the clean frame and its :class:`CleaningReport`.

    Unpacks as ``data, report = read_table(...)``. ``rows`` holds the 0-based positions of
    the kept rows in the file, to align other columns (a class label, say) with ``data``.
    """

    data: pd.DataFrame
    report: CleaningReport
    rows: np.ndarray | None = None

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.data.columns]

    def to_numpy(self) -> np.ndarray:
        return self.data.to_numpy(dtype=np.float64)

    def __iter__(self) -> Iterator[Any]:
        return iter((self.data, self.report))

    def __repr__(self) -> str:
        rows, cols = self.data.shape
        return f"Table: {rows} rows x {cols} columns (.data, .report)\n{self.report.to_text()}"


# ---------------------------------------------------------------------------------------
# column selection
# ---------------------------------------------------------------------------------------

_RANGE = re.compile(r"^\s*(-?\d+)?\s*([:\-])\s*(-?\d+)?\s*$")


def _as_specs(spec: Any) -> list[Any]:
    if spec is None:
        return []
    if isinstance(spec, (str, int, slice, np.integer)):
        return [spec]
    return list(spec)


def _resolve_one(spec: Any, names: list[str]) -> list[str]:
    """Columns matched by one spec: a name, a glob, a position, a range or a slice."""
    n = len(names)
    if isinstance(spec, slice):
        return names[spec]
    if isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
        if not -n <= spec < n:
            raise ParameterError(
                f"Column position {spec} is out of range; the table has {n} columns.")
        return [names[spec]]
    if not isinstance(spec, str):
        raise ParameterError(
            f"A column spec must be a name, pattern, position or range; got {spec!r}.")
    if spec in names:
        return [spec]
    stripped = spec.strip()
    if re.fullmatch(r"-?\d+", stripped):
        return _resolve_one(int(stripped), names)
    m = _RANGE.match(stripped)
    if m and (m.group(1) or m.group(3)):
        lo = int(m.group(1)) if m.group(1) else None
        hi = int(m.group(3)) if m.group(3) else None
        if m.group(2) == "-":  # '3-7' is inclusive, as people write ranges
            if lo is not None and lo < 0:
                raise ParameterError(f"Use 'a:b' for ranges with negative positions; got {spec!r}.")
            hi = None if hi is None else hi + 1
        return names[slice(lo, hi)]
    if any(ch in spec for ch in "*?["):
        return [c for c in names if fnmatch.fnmatchcase(c, spec)]
    import difflib

    close = difflib.get_close_matches(spec, names, n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ParameterError(
        f"Unknown column {spec!r}; the table has {n} columns "
        f"({', '.join(repr(c) for c in names[:5])}{', ...' if n > 5 else ''}).{hint}"
    )


def select_columns(names: Sequence[str], columns: Any = None, exclude: Any = None) -> list[str]:
    """Resolve column specs against ``names``, keeping the table's order.

    A spec is an exact name, a glob pattern (``'x*'``), a 0-based position (``3``, ``-1``),
    a Python-style range ``'a:b'`` (``'-5:'`` is the last five), an inclusive range
    ``'a-b'``, or a ``slice``. ``columns=None`` selects every column.

    Examples
    --------
    >>> cols = ["date", "x1", "x2", "x3", "y1", "y2"]
    >>> select_columns(cols, ["x*"])
    ['x1', 'x2', 'x3']
    >>> select_columns(cols, "1:", exclude=["-2:"])
    ['x1', 'x2', 'x3']
    """
    names = [str(c) for c in names]
    if columns is None:
        chosen = set(names)
    else:
        chosen = set()
        for spec in _as_specs(columns):
            matched = _resolve_one(spec, names)
            if not matched:
                raise ParameterError(f"Column spec {spec!r} matches no column.")
            chosen.update(matched)
    for spec in _as_specs(exclude):
        chosen.difference_update(_resolve_one(spec, names))
    return [c for c in names if c in chosen]


# ---------------------------------------------------------------------------------------
# cell checks
# ---------------------------------------------------------------------------------------


def _looks_like_dates(col: pd.Series) -> bool:
    """True for a datetime column, or a text column whose cells parse as dates/times."""
    if pd.api.types.is_datetime64_any_dtype(col):
        return True
    if (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)
            or pd.api.types.is_timedelta64_dtype(col)):
        return False
    values = col.dropna()
    if values.empty:
        return False
    head = values.iloc[:200].astype(str)
    # a few cells may be no date ('tbd', '31.02.2024'): they are bad cells of the column
    dated = head.str.contains(r"\d[-/.:]\d|\d[-/]\w{3}[-/]\d", regex=True).to_numpy()
    if dated.mean() < 0.9:
        return False
    if head[dated].str.strip().str.fullmatch(_TIME_ONLY).all():  # no date: pandas adds today's
        return False
    if not pd.to_numeric(head, errors="coerce").isna().all():
        return False
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = to_datetimes(head, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.9)


#: a time of day or a duration without a date ('08:30', '8:30:15 PM', '1 days 02:00:00')
_TIME_ONLY = re.compile(r"[+-]?(\d+ days?,? )?\d{1,3}:\d\d(:\d\d(\.\d+)?)?(\s?[AaPp]\.?[Mm]\.?)?")
#: why a column of durations (pandas' timedelta) is left out
_DURATION_REASON = ("durations (timedelta): convert them to numbers first, e.g. seconds "
                    "(.dt.total_seconds())")
#: why a column of times without a date ('08:30:00') is left out
_TIME_REASON = ("durations written in hours and minutes ('125:30', '1 day, 02:00'): convert "
                "them to numbers (e.g. hours) first")


#: a number written as a percentage ('6.3%', '6,3 %')
_PERCENT = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)\s?%")


def _text_numbers(raw: pd.DataFrame, names: list[str], report: CleaningReport
                  ) -> pd.DataFrame:
    """``raw`` with each text column of the columns ``names`` half or more of whose filled
    cells are percentages ('6.3%') or times of day ('08:30') holding the numbers they write
    (6.3; 8.5 hours), its form in ``report.number_forms``; its other cells are read as in
    any column."""
    out = raw.copy(deep=False)
    for name, col, text, pattern, hit in _mostly(raw, names, _PERCENT, TIME_OF_DAY):
        if pattern is TIME_OF_DAY:
            hours = pd.to_numeric(text.str.extract(TIME_OF_DAY)[0], errors="coerce")
            if (hit & (hours <= 23)).sum() < 0.9 * hit.sum():  # durations: '30:15'
                continue
            hit &= (hours <= 23).to_numpy()
        form = percent_form(text[hit]) if pattern is _PERCENT else time_form(text[hit])
        out[name] = col.astype(object).where(~hit, read_numbers(text, form))
        report.number_forms[name] = form
    return out


def _plain_numbers(raw: pd.DataFrame, names: list[str], marks: dict[str, str]
                   ) -> pd.DataFrame:
    """``raw`` with the numbers of its text columns ``names`` written in the table's own
    marks ('1.234,5' beside decimal commas, '1,234.5' grouped by commas) written plainly
    ('1234.5'), where that makes a column hold numbers in half or more of its filled cells
    (pandas reads a column with a bad cell, 'n/a', as text); other columns keep their
    text, labels such as '1,5' included."""
    decimal, thousands = marks.get("decimal", "."), marks.get("thousands")
    if decimal == "." and thousands is None:
        return raw
    group = rf"|\d{{1,3}}({re.escape(thousands)}\d{{3}})+" if thousands else ""
    number = re.compile(rf"[+-]?(\d+{group}|(?=[.,]\d))({re.escape(decimal)}\d+)?"
                        r"([eE][+-]?\d+)?")
    out = raw.copy(deep=False)
    for name, col, text, _, hit in _mostly(raw, names, number):
        out[name] = col.astype(object).where(~hit, plain_numbers(text, decimal, thousands))
    return out


def _mostly(raw: pd.DataFrame, names: list[str], *patterns: re.Pattern[str]
            ) -> Iterator[tuple]:
    """``(name, column, its cells' text, the pattern, the cells that match)`` for each text
    column of ``names`` half or more of whose filled cells match one of ``patterns`` (the
    first that does)."""
    for name in names:
        col = raw[name]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            continue
        text = col.astype(object).where(col.notna(), "").astype(str).str.strip()
        filled = (~text.str.lower().isin(_NA_TOKENS) & (text != "")).to_numpy()
        for pattern in patterns:
            hit = text.str.fullmatch(pattern).to_numpy(bool) & filled
            if hit.any() and hit.sum() >= 0.5 * filled.sum():
                yield name, col, text, pattern, hit
                break


def _text_reason(col: pd.Series) -> str | None:
    """Why a text column that is no number is left out when it holds durations
    (timedelta) or times without a date ('08:30:00') in every filled cell; None for any
    other column."""
    if pd.api.types.is_timedelta64_dtype(col):
        return _DURATION_REASON
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        return None
    text = col.dropna().astype(str).str.strip()
    text = text[~text.str.lower().isin(_NA_TOKENS)]
    if not len(text):
        return None
    return _TIME_REASON if text.str.fullmatch(_TIME_ONLY).all() else None


#: a column of at least this many whole numbers counting the rows is an identifier
_MIN_COUNTED_ROWS = 20
#: words of a column's name that call it an identifier (``SampleID``, ``batch_no``, ``Run``)
_ID_WORDS = frozenset({"id", "ids", "key", "idx", "index", "no", "nr", "num", "number", "row",
                       "seq", "serial", "record", "sample", "batch", "lot", "run", "nummer"})


def names_an_identifier(name: Any) -> bool:
    """Whether a column's name calls it an identifier: one of its words (``Sample``,
    ``ID`` in ``SampleID``; ``no`` in ``batch_no``) is in :data:`_ID_WORDS`."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+", str(name))
    return bool(_ID_WORDS.intersection(w.lower() for w in words))


def counting_reason(name: Any, values: np.ndarray) -> str | None:
    """Why a numeric column is left out when its name calls it an identifier (``SampleID``,
    ``Batch no``) and its filled cells are distinct whole numbers that go up (or down) by
    one step from row to row (1, or 10 for 10, 20, 30), nine steps in ten at least: sample
    or batch IDs, row numbers, which no density should model (drawn again, they would
    repeat the table's own IDs). None for any other column: a setpoint stepped 1, 2, 3 is
    a measurement."""
    if not names_an_identifier(name):
        return None
    seen = values[np.isfinite(values)]
    if seen.size < _MIN_COUNTED_ROWS or not np.all(seen == np.round(seen)):
        return None
    steps = np.diff(seen)
    kinds, counts = np.unique(steps[steps != 0], return_counts=True)
    if not kinds.size or 10 * counts.max() < 9 * steps.size or \
            np.unique(seen).size < seen.size:
        return None
    step = abs(kinds[counts.argmax()])
    by = "" if step == 1 else f" in steps of {step:.0f}"
    return (f"distinct whole numbers counting the rows{by} ({seen[0]:.0f} to "
            f"{seen[-1]:.0f}): an identifier")


#: whole numbers up to this size are held exactly by a float64
_EXACT = 2**53
_LONG_DIGITS = re.compile(r"\s*[+-]?\d{16,}\s*")


def inexact_reason(col: pd.Series) -> str | None:
    """Why an integer column (or one of digit strings) is left out when most of its values
    are whole numbers beyond 2**53: float64, in which every model computes, would merge
    neighbouring values; such numbers are identifiers or codes. None for any other (where
    a few such values are typos: bad cells, :func:`_as_numbers`)."""
    if pd.api.types.is_integer_dtype(col):
        seen = col.dropna().to_numpy(dtype=object)  # Python ints: exact beyond 2**63 too
        big = bool(len(seen)) and np.mean([abs(int(v)) > _EXACT for v in seen]) > 0.5
    elif pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        return None
    else:
        text = col.dropna().astype(str)  # most cells long digits: one is a typo (a bad cell)
        big = bool(len(text)) and text.str.fullmatch(_LONG_DIGITS).mean() > 0.5
    if not big:
        return None
    return ("whole numbers beyond 2**53 (identifiers or codes?), which double precision "
            "does not hold exactly: neighbouring values would merge")


def _as_numbers(col: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (values as float, empty mask, text mask) for one column."""
    if pd.api.types.is_bool_dtype(col):
        values = col.astype("float64").to_numpy()
        empty = np.isnan(values)
        return values, empty, np.zeros(len(col), bool)
    if pd.api.types.is_integer_dtype(col) and inexact_reason(col) is None:
        values = col.astype("float64").to_numpy(na_value=np.nan)
        bad = col.notna().to_numpy().copy()  # the few whole numbers beyond 2**53: typos, bad cells
        bad[bad] = [abs(int(v)) > _EXACT for v in col.dropna()]
        return np.where(bad, np.nan, values), np.isnan(values), bad
    if pd.api.types.is_numeric_dtype(col):
        values = col.astype("float64").to_numpy(na_value=np.nan)
        return values, np.isnan(values), np.zeros(len(col), bool)
    obj = col.astype(object)
    missing = obj.isna().to_numpy()
    text = obj.where(~missing, "").astype(str).str.strip()
    empty = missing | text.str.lower().isin(_NA_TOKENS).to_numpy()
    values = pd.to_numeric(text.where(~empty, None), errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    bad_text = np.isnan(values) & ~empty
    inexact = (np.abs(values) > _EXACT) & text.str.fullmatch(_LONG_DIGITS).to_numpy()
    if inexact.any() and inexact_reason(col) is None:  # a typo among measurements
        values, bad_text = np.where(inexact, np.nan, values), bad_text | inexact
    return values, empty, bad_text


def _column_issue(name: str, raw: pd.Series, empty: np.ndarray, text: np.ndarray,
                  values: np.ndarray) -> ColumnIssue | None:
    inf = np.isinf(values)
    bad = empty | text | inf
    if not bad.any():
        return None
    examples = list(dict.fromkeys(raw[text].astype(str).str.strip()))[:3] if text.any() else []
    return ColumnIssue(
        column=name,
        n_empty=int(empty.sum()),
        n_inf=int(inf.sum()),
        n_text=int(text.sum()),
        examples=examples,
        first_rows=[int(i) for i in np.flatnonzero(bad)[:5]],
    )


# ---------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------


def _check_marks(sep: str | None, decimal: str | None, writing: bool = False) -> None:
    """Refuse a ``sep`` or ``decimal`` that is no separator or decimal mark, or (reading)
    both the same; a table written with both ',' quotes its numbers ('"1,5"')."""
    if sep is not None and (not isinstance(sep, str) or len(sep) != 1 or sep in "\r\n\"."):
        raise ParameterError(
            f"sep must be one character such as ',', ';', '|' or a tab; got {sep!r}.")
    if decimal is not None and decimal not in (".", ","):
        raise ParameterError(f"decimal must be '.' or ','; got {decimal!r}.")
    if sep is not None and sep == decimal and not writing:
        raise ParameterError(f"sep and decimal are both {sep!r}; they must differ.")


def _check_header_row(header: Any, source: Any, format: str | None) -> None:
    """Refuse a ``header`` that is no row number, or one given for a frame or Parquet."""
    if header is None:
        return
    if isinstance(header, bool) or not isinstance(header, (int, np.integer)) or header < 0:
        raise ParameterError(
            f"header must be the 0-based row number of the header line (0 or more), or None "
            f"to find it; got {header!r}.")
    if isinstance(source, pd.DataFrame):
        what = "a data frame"
    elif (format or (None if hasattr(source, "read") else format_of(source))) == "parquet":
        what = "a Parquet file"
    else:
        return
    if header:
        raise ParameterError(f"header={header} applies to CSV, TSV and Excel tables; "
                             f"{what} names its columns itself. Leave header out.")


def _load(source: Any, format: str | None, sheet: Any, sep: str | None,
          decimal: str | None = None, header: int | None = None
          ) -> tuple[pd.DataFrame, str, list[str], dict[str, Any]]:
    """Read ``source`` into a raw frame, turning reader failures into :class:`DataError`;
    returns the frame, its label, the reader's notes and its marks (see :data:`Read`)."""
    _check_marks(sep, decimal)
    _check_header_row(header, source, format)
    if isinstance(source, pd.DataFrame):
        return _tidy_columns(source.copy(), "data frame"), "data frame", [], {}
    if isinstance(source, (io.IOBase, io.StringIO, io.BytesIO)) or hasattr(source, "read"):
        fmt = format or "csv"
        label = "stream"
    else:
        path = Path(source)
        label = str(path)
        if not path.exists():
            raise DataError(f"Cannot read {label}: no such file. Check the path.")
        if path.is_dir():
            raise DataError(f"Cannot read {label}: it is a directory, not a table file.")
        if path.stat().st_size == 0:
            raise DataError(f"Cannot read {label}: the file is empty (0 bytes).")
        fmt = infer_format(path, format)
    reader = FORMATS[infer_format("", fmt)][0]
    try:
        df, notes, marks = reader(source, sheet=sheet, sep=sep, decimal=decimal,
                                  header=None if header is None else int(header))
    except DataError as exc:
        raise DataError(f"Cannot read {label}: {exc}") from None
    except DensityKitError:
        raise
    except pd.errors.EmptyDataError:
        raise DataError(f"Cannot read {label}: it holds no table (no header, no rows).") from None
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"Cannot read {label} as {fmt}: {first}. Check that the file is a valid {fmt} "
            "table, or pass the right format."
        ) from None
    except Exception as exc:  # third-party readers raise many exception types on bad files
        raise DataError(
            f"Cannot read {label} as {fmt}: {type(exc).__name__}: {exc}. The file may be "
            "corrupt or of another format."
        ) from None
    return _tidy_columns(df, label), label, notes, marks


def _tidy_columns(df: pd.DataFrame, label: str) -> pd.DataFrame:
    df = _named_index_as_column(df)
    df.columns = [str(c) for c in df.columns]
    if len(set(df.columns)) != len(df.columns):
        dup = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
        raise DataError(f"{label} has duplicate column names {dup[:5]}; rename them first.")
    return df


def _named_index_as_column(df: pd.DataFrame) -> pd.DataFrame:
    """Turn a named index (Parquet keeps one), or each named level of a MultiIndex, back
    into ordinary first columns."""
    names = [n for n in df.index.names if n is not None and str(n) not in map(str, df.columns)]
    return df.reset_index(level=names) if names else df


def read_table(source: str | os.PathLike[str] | pd.DataFrame | Any, *, format: str | None = None,
               columns: Any = None, exclude: Any = None, policy: str = "drop-rows",
               check: str = "selected", index: str | bool | None = "auto", sheet: Any = None,
               sep: str | None = None, decimal: str | None = None, kinds: str = "numeric",
               header: int | None = None, date_formats: dict[str, str] | None = None) -> Table:
    """Read a table and return its clean part (numeric, or every kind) with a cleaning report.

    Parameters
    ----------
    source : path, file-like or DataFrame
        A ``.csv``/``.tsv`` (maybe compressed), ``.xlsx`` or ``.parquet`` file, a stream or a frame.
    format : {'csv', 'tsv', 'excel', 'parquet'}, optional
        Overrides the format inferred from the extension.
    columns, exclude : spec or list of specs, optional
        Columns to keep and to leave out: names, glob patterns (``'x*'``), 0-based positions
        in the file, ranges ``'a:b'`` (``'-5:'`` is the last five) or inclusive ``'a-b'``.
    policy : {'keep', 'drop-rows', 'drop-columns', 'error'}, default='drop-rows'
        What to do with a bad cell (empty, ``+-inf``, text in a numeric column, a date that
        does not parse; see :data:`POLICIES`). ``'keep'`` makes it an empty cell (NaN, NaT
        or None), for the models that handle them (Gaussian models, KDE, Synthesizer).
    check : {'selected', 'all'}, default='selected'
        Which columns' bad cells count for ``'drop-rows'``: the selected ones, or every
        numeric column of the file (the chapter's rule: such rows go, then columns are chosen).
    index : 'auto', str, None or False, default='auto'
        ``'auto'`` keeps the first date/time column aside as the index; a name uses that
        column; ``None``/``False`` keeps no index.
    sheet : str or int, optional
        Excel sheet (default: the first).
    sep, decimal : str, optional
        Field separator and decimal mark of a text table; by default the first lines decide,
        a decimal comma included (see *Text tables* in the module's Notes).
    header : int, optional
        0-based row of the header of a text or Excel table; the rows above it are skipped
        (default: the first, or a clear header under a title or notes: *Title rows* in Notes).
    kinds : {'numeric', 'mixed'}, default='numeric'
        ``'numeric'``: the numeric columns, as a float64 frame (integer columns as int64).
        ``'mixed'``: every column as what it is (numbers, integers, booleans, categories,
        dates); identifiers and free text are left out, with the reason in
        ``report.dropped_columns`` (see *Kinds of columns* in the module's Notes).
    date_formats : dict, optional
        Column -> the ``strftime`` form its dates are written in (``kinds='mixed'``, as
        ``report.date_formats``): '01/02/2024' in ``'%d/%m/%Y'`` is read as 1 February.

    Returns
    -------
    Table
        ``.data`` (the cleaned frame, float64 by default) and ``.report`` (:class:`CleaningReport`).

    Raises
    ------
    DataError
        Missing, empty or unreadable file; repeated column names; a row longer than the header;
        both decimal marks; no numeric column; no row left; a bad cell under ``policy='error'``;
        (:class:`ParameterError`) an unknown option or column.
    MissingDependencyError
        ``openpyxl`` or ``pyarrow`` is needed for the format but not installed.
    """
    _check_options(policy, check, kinds)
    raw, label, report = _open_table(source, format, sheet, sep, decimal, header, policy)
    return _clean(raw, label, report, kinds, index, columns, exclude, policy, check, date_formats)


def _clean(raw: pd.DataFrame, label: str, report: CleaningReport, kinds: str, index: Any,
           columns: Any, exclude: Any, policy: str, check: str,
           forms: dict[str, str] | None) -> Table:
    """:func:`read_table` once the file is read: its index and selected columns, cleaned as
    numbers or as every kind."""
    index_col = _pick_index(raw, None if kinds == "mixed" and index == "auto" else index)
    selected = [c for c in select_columns(raw.columns, columns, exclude) if c != index_col]
    checked = list(raw.columns) if check == "all" else selected
    raw = _plain_numbers(_text_numbers(raw, checked, report), checked, report.text_marks)
    if kinds == "mixed":
        return _read_mixed(raw, label, selected, policy, report, index_col, forms or {})
    return _read_numeric(raw, label, selected, index_col, policy, check, report)


def _check_options(policy: str, check: str, kinds: str) -> None:
    """Refuse an unknown ``policy``, ``check`` or ``kinds`` of :func:`read_table`."""
    check_in(policy, "policy", POLICIES)
    check_in(check, "check", _SCOPES)
    check_in(kinds, "kinds", KINDS)


def _open_table(source: Any, format: str | None, sheet: Any, sep: str | None,
                decimal: str | None, header: int | None, policy: str
                ) -> tuple[pd.DataFrame, str, CleaningReport]:
    """Read ``source`` (see :func:`_load`), refuse a table without columns or rows, and
    start its cleaning report."""
    raw, label, notes, marks = _load(source, format, sheet, sep, decimal, header)
    if raw.shape[1] == 0:
        raise DataError(f"{label} has no columns.")
    if raw.shape[0] == 0:
        raise DataError(f"{label} has a header ({raw.shape[1]} columns) but no data rows.")
    formats = {str(raw.columns[j]): f for j, f in marks.get("cell_formats", {}).items()
               if j < raw.shape[1]}
    return raw, label, CleaningReport(source=label, n_rows_in=raw.shape[0],
                                      n_columns_in=raw.shape[1], policy=policy, notes=notes,
                                      text_marks=_own_marks(marks), cell_formats=formats)


def _numeric_columns(raw: pd.DataFrame, selected: list[str], index_col: str | None,
                     policy: str, check: str, report: CleaningReport
                     ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The selected numeric columns as floats, and the rows with a bad cell (the checked
    columns': the selected ones, or every column with ``check='all'``)."""
    numeric: dict[str, np.ndarray] = {}
    bad_rows = np.zeros(len(raw), bool)
    for name in list(raw.columns) if check == "all" else selected:
        if name == index_col:
            continue
        values, empty, text = _as_numbers(raw[name])
        n_filled = int((~empty).sum())
        if (n_filled and text.sum() > 0.5 * n_filled) or n_filled == 0:
            if name in selected:
                why = "empty" if n_filled == 0 else "not numeric"
                if why == "not numeric" and _looks_like_dates(raw[name]):
                    why = "date/time"
                elif why == "not numeric":  # the reason a mixed read gives, if any
                    many = _many_labels_reason(_labels(raw[name], empty), n_filled)
                    why = _text_reason(raw[name]) or (f"not numeric: {many}" if many else why)
                report.dropped_columns[name] = why
            continue
        if name in selected and (why := inexact_reason(raw[name]) or counting_reason(
                name, np.where(text, np.nan, values))):
            report.dropped_columns[name] = why
            continue
        issue = _column_issue(name, raw[name], empty, text, values)
        if issue is not None:
            report.issues.append(issue)
        if issue is not None and policy == "drop-rows":
            bad_rows |= ~np.isfinite(values)
        if policy == "keep":  # a new array: pandas may hand out read-only views
            values = np.where(np.isfinite(values), values, np.nan)
        if name in selected:
            numeric[name] = values
    return numeric, bad_rows


def _read_numeric(raw: pd.DataFrame, label: str, selected: list[str], index_col: str | None,
                  policy: str, check: str, report: CleaningReport) -> Table:
    """:func:`read_table` with ``kinds='numeric'``: the numeric columns, cleaned."""
    report.index_column = index_col
    numeric, bad_rows = _numeric_columns(raw, selected, index_col, policy, check, report)
    if not numeric:
        raise DataError(
            f"{label} has no numeric column to model among the {len(selected)} selected "
            f"({', '.join(repr(c) for c in selected[:5])}{', ...' if len(selected) > 5 else ''})."
            " Check the file and the column selection." + "".join(f" {n}" for n in report.notes)
        )
    if policy == "error" and report.issues:
        first = report.issues[0]
        raise DataError(
            f"{label}: {len(report.issues)} column(s) hold bad cells, e.g. {first.column!r}: "
            f"{first.describe()} (first at data row {first.first_rows[0] + 1}). Use "
            "policy 'drop-rows' or 'drop-columns' to drop them."
        )
    if policy == "drop-columns":
        for issue in report.issues:
            if issue.column in numeric:
                report.dropped_columns[issue.column] = "bad cells"
                numeric.pop(issue.column)
        if not numeric:
            raise DataError(
                f"{label}: every selected column holds a bad cell, so policy 'drop-columns' "
                "leaves nothing. Use policy 'drop-rows' instead."
            )

    keep = ~bad_rows
    data = pd.DataFrame({c: _restore_integers(raw[c], v[keep]) for c, v in numeric.items()})
    if index_col is not None:
        idx = parse_dates(raw[index_col][keep])
        data.index = pd.Index(idx.to_numpy(), name=index_col)
        if fmt := date_format(raw[index_col][keep], idx):
            report.date_formats[index_col] = fmt
    report.n_rows_dropped = int(bad_rows.sum())
    report.n_rows_out = len(data)
    report.columns_out = list(data.columns)
    report.column_kinds = {c: "integer" if data[c].dtype.kind == "i" else "numeric"
                           for c in data.columns}
    if len(data) == 0:
        raise DataError(
            f"{label}: no row is left after dropping rows with bad cells "
            f"({len(report.issues)} column(s) affected). Try policy 'drop-columns' or select "
            "fewer columns.\n" + report.to_text()
        )
    return Table(data=data, report=report, rows=np.flatnonzero(keep))


def _mixed_column(col: pd.Series, form: str | None = None
                  ) -> tuple[str, pd.Series | None, np.ndarray, np.ndarray]:
    """One column as what it is: (kind or the reason to leave it out, values, empty, bad).

    ``empty`` marks cells with no value, ``bad`` cells whose value could not be read (text in
    a numeric column, infinities, dates that do not parse); both become empty cells. ``form``:
    the ``strftime`` form its dates are written in, if known. A column of periods
    (months, quarters) is read as dates, each period as its start.
    """
    n = len(col)
    none = np.zeros(n, bool)
    if isinstance(col.dtype, pd.PeriodDtype):
        col = col.dt.to_timestamp()
    if pd.api.types.is_timedelta64_dtype(col):
        return _DURATION_REASON, None, col.isna().to_numpy(), none
    if pd.api.types.is_bool_dtype(col) or _booleans_with_gaps(col):
        return "boolean", col.astype("boolean"), col.isna().to_numpy(), none
    if _looks_like_dates(col):
        parsed = parse_dates(col, form)
        empty = col.isna().to_numpy() | col.astype(str).str.strip().str.lower().isin(
            _NA_TOKENS).to_numpy()
        return "datetime", parsed, empty, parsed.isna().to_numpy() & ~empty
    values, empty, text = _as_numbers(col)
    filled = int((~empty).sum())
    if filled == 0:
        return "empty", None, empty, none
    if text.sum() <= 0.5 * filled and not _codes(col, empty):
        bad = text | np.isinf(values)
        values = np.where(bad, np.nan, values)
        if why := inexact_reason(col) or counting_reason(col.name, values):
            return why, None, empty, none
        observed = values[~np.isnan(values)]
        if observed.size and np.all(observed == np.round(observed)) and (
                pd.api.types.is_integer_dtype(col) or not pd.api.types.is_float_dtype(col)
                or np.isnan(values).any()):
            ints = pd.Series(values).astype("Int64" if np.isnan(values).any() else np.int64)
            return "integer", ints, empty, bad
        return "numeric", pd.Series(values), empty, bad
    labels = _labels(col, empty)
    if many := _many_labels_reason(labels, filled):
        return _text_reason(col) or many, None, empty, none
    return "categorical", labels, empty, none


def _labels(col: pd.Series, empty: np.ndarray) -> pd.Series:
    """A text column's filled cells as stripped strings (None where empty)."""
    labels = col.astype(object).where(~empty, None)
    return labels.map(lambda v: v if v is None else str(v).strip())


def _many_labels_reason(labels: pd.Series, filled: int) -> str | None:
    """Why a column of ``labels`` (None where empty; ``filled`` cells) is an identifier or
    free text rather than categories: too many labels, or (in a short table) labels most of
    which occur once; None for categories."""
    k = labels.dropna().nunique()
    if (k > MAX_CATEGORIES and k > 0.1 * len(labels)) or (
            k > _MOST_SINGLE_LABELS and 2 * k > filled):
        return f"text with {k:,} distinct values (an identifier or free text)"
    return None


def _booleans_with_gaps(col: pd.Series) -> bool:
    """True for booleans with empty cells, which pandas reads from a text table as objects
    (True, False and NaN), not as one of its boolean dtypes."""
    seen = col.dropna()
    return col.dtype == object and len(seen) > 0 and all(
        isinstance(v, (bool, np.bool_)) for v in seen)


def _codes(col: pd.Series, empty: np.ndarray) -> bool:
    """True for text whose cells are whole numbers, some written with leading zeros ('007',
    '0420'): codes, kept as their text (read as numbers, 007 would come back as 7)."""
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        return False
    return _are_codes(col[~empty].astype(str).tolist())


def _read_mixed(raw: pd.DataFrame, label: str, selected: list[str], policy: str,
                report: CleaningReport, index_col: str | None, forms: dict[str, str]) -> Table:
    """:func:`read_table` with ``kinds='mixed'``: every column kept as what it is (the dates
    of the columns ``forms`` names read in that form)."""
    kept: dict[str, pd.Series] = {}
    bad_rows = np.zeros(len(raw), bool)
    for name in selected:
        kind, values, empty, bad = _mixed_column(raw[name], forms.get(name))
        if values is None:
            report.dropped_columns[name] = kind
            continue
        if empty.any() or bad.any():
            examples = list(dict.fromkeys(raw[name][bad].astype(str).str.strip()))[:3]
            report.issues.append(ColumnIssue(name, int(empty.sum()), 0, int(bad.sum()),
                                             examples, [int(i) for i in
                                                        np.flatnonzero(empty | bad)[:5]],
                                             "date" if kind == "datetime" else "number"))
            if policy == "drop-columns":
                report.dropped_columns[name] = "bad cells"
                continue
            bad_rows |= empty | bad
        kept[name] = values.reset_index(drop=True)
        report.column_kinds[name] = kind
        if kind == "datetime" and (fmt := date_format(raw[name], values)):
            report.date_formats[name] = fmt
    if not kept:
        raise DataError(f"{label}: none of the {len(selected)} selected columns can be "
                        "modelled (see the reasons in the cleaning report).\n" + report.to_text())
    if policy == "error" and report.issues:
        first = report.issues[0]
        raise DataError(
            f"{label}: {len(report.issues)} column(s) hold empty or bad cells, e.g. "
            f"{first.column!r}: {first.describe()}. Use policy 'keep' (the models handle "
            "empty cells), 'drop-rows' or 'drop-columns'.")
    keep = ~bad_rows if policy == "drop-rows" else np.ones(len(raw), bool)
    data = pd.DataFrame(kept)[keep].reset_index(drop=True)
    if index_col is not None:
        data.index = pd.Index(raw[index_col][keep].to_numpy(), name=index_col)
        report.index_column = index_col
    report.n_rows_dropped = int((~keep).sum())
    report.n_rows_out = len(data)
    report.columns_out = list(data.columns)
    if len(data) == 0:
        raise DataError(f"{label}: no row is left after dropping rows with bad cells. Use "
                        "policy 'keep'.\n" + report.to_text())
    return Table(data=data, report=report, rows=np.flatnonzero(keep))


def _restore_integers(raw: pd.Series, values: np.ndarray) -> np.ndarray:
    """Kept values of a column the file stored as integers go back to its integer dtype."""
    if pd.api.types.is_integer_dtype(raw.dtype) and np.all(np.isfinite(values)):
        return values.astype(np.int64)
    return values


def read_raw(source: Any, *, format: str | None = None, sheet: Any = None,
             sep: str | None = None, decimal: str | None = None,
             header: int | None = None) -> pd.DataFrame:
    """Read a table as stored, without cleaning (same readers, header row and errors as
    read_table)."""
    return _load(source, format, sheet, sep, decimal, header)[0]


def read_cells(source: str | os.PathLike[str], *, format: str | None = None,
               sep: str | None = None, decimal: str | None = None, header: int | None = None,
               sheet: Any = None) -> pd.DataFrame | None:
    """A CSV or TSV table's cells as the text the file holds ('' where empty), in the rows
    and columns :func:`read_raw` gives, so that a table written back can keep them as they
    were written ('12.50', 'TRUE'); None for the other formats, which store values."""
    fmt = infer_format(source, format)
    if fmt not in TEXT_SEPARATORS:
        return None
    df = _read_text(source, sep=sep, decimal=decimal, header=header,
                    prefer=TEXT_SEPARATORS[fmt], as_text=True)[0]
    return _tidy_columns(df, str(source))


def _pick_index(raw: pd.DataFrame, index: Any) -> str | None:
    names = list(raw.columns)
    if index is None or index is False:
        return None
    if index == "auto":
        for name in names:
            if _looks_like_dates(raw[name]):
                return name
        return None
    if index not in names:
        raise ParameterError(
            f"index column {index!r} is not in the table; columns are {names[:5]}.")
    return str(index)


def write_table(df: pd.DataFrame, path: str | os.PathLike[str], *,
                format: str | None = None, like: CleaningReport | dict | None = None,
                date_formats: dict[str, str] | None = None, sep: str | None = None,
                decimal: str | None = None, number_forms: dict[str, str] | None = None
                ) -> None:
    """Write ``df`` to ``path`` in the format of its extension (or ``format``).

    The index is written only when it has a name (a date/time index, for example). The
    other options write a CSV or TSV file as another was written: ``like`` (its
    :class:`CleaningReport`, or the dict a model file keeps of it) gives them all, and
    each one given overrides it. ``date_formats`` (column -> ``strftime`` format) writes
    those date columns, and a date index of that name, in that form, not ISO; ``sep`` (a
    CSV file's separator; a TSV file's is the tab) and ``decimal`` (``','`` for decimal
    commas; a CSV file with decimal commas is then separated by ``;`` unless ``sep`` says
    otherwise); the numbers of the columns ``number_forms`` names in their form (see
    :attr:`CleaningReport.number_forms`: 6.3 as ``6.3%``, 8.5 as ``08:30``), in an Excel
    file too, as text cells (those numbers were read from text: a cell ``0.063`` formatted
    as a percentage would be read back 100 times smaller).
    """
    fmt = infer_format(path, format)
    form = like.to_dict() if isinstance(like, CleaningReport) else dict(like or {})
    number_forms = form.get("number_forms", {}) if number_forms is None else number_forms
    if fmt not in TEXT_SEPARATORS:
        if fmt == "excel" and number_forms:  # a spreadsheet's text cells, as it was given
            mark = decimal or form.get("text_marks", {}).get("decimal") or "."
            df = df.copy()
            for j, name in enumerate(df.columns):
                if name in number_forms and pd.api.types.is_numeric_dtype(df.iloc[:, j]):
                    df.isetitem(j, write_numbers(df.iloc[:, j], number_forms[name], mark))
        if fmt == "excel":
            _write_excel(df, path, form.get("cell_formats"))
        else:
            FORMATS[fmt][1](df, path)
        return
    marks = form.get("text_marks", {})
    date_formats = form.get("date_formats") if date_formats is None else date_formats
    if sep is None and marks.get("sep") != TEXT_SEPARATORS["tsv"]:  # a TSV's tab is its own
        sep = marks.get("sep")
    decimal = decimal or marks.get("decimal")
    _check_marks(sep, decimal, writing=True)
    decimal = decimal or "."
    forms = date_formats or {}
    if forms or number_forms:
        df = df.copy()
        for j, name in enumerate(df.columns):
            col = df.iloc[:, j]
            if name in forms and pd.api.types.is_datetime64_any_dtype(col):
                df.isetitem(j, format_dates(col, forms[name]))
            elif name in number_forms and pd.api.types.is_numeric_dtype(col):
                df.isetitem(j, write_numbers(col, number_forms[name], decimal))
        if df.index.name in forms and pd.api.types.is_datetime64_any_dtype(df.index):
            df.index = pd.Index(format_dates(df.index, forms[df.index.name]),
                                name=df.index.name)
    if fmt == "tsv":
        sep = "\t"
    elif sep is None:
        sep = ";" if decimal == "," else ","
    encoding = marks.get("encoding")  # one a reader gives (a model file could say any)
    _write_text(df, path, sep, decimal, encoding if encoding in WRITTEN_ENCODINGS else None)


def iter_formats() -> Iterable[str]:
    """Names of the supported table formats."""
    return iter(FORMATS)
