"""``densitykit impute TABLE``: fill the empty cells of a table's numeric and label columns.

Keeps every row and column of the table (dates and identifiers pass through), models the
numeric columns and the columns of a few labels (categories, booleans) with the empty cells
left out (a kernel density of the rows or a Gaussian mixture, ``--method``, chosen by held-out
observed cells) and writes the table with each empty number filled by its conditional mean
given the row's other cells, each empty label by the likeliest one
(``<name>-completed.csv``), or, with ``--multiple K``, K tables of draws from that conditional
(``<name>-completed-1.csv`` ... for multiple imputation). Observed cells are never changed;
a cell that states a bound ('<0.01', under a detection limit) is kept as written, though the
models take it as empty.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._common import (
    add_output,
    add_seed,
    add_table_options,
    check_output,
    info,
    open_table,
    parse_int_list,
    positive_int,
    progress,
    publish_all,
    raw_options,
    read_input_table,
    resolve_seed,
    strip_suffixes,
    write_frame,
)

HELP = ("fill the empty cells of a table from a kernel density or Gaussian mixture (or draw K "
        "completed tables)")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("table", type=Path, nargs="?", help="CSV, TSV, Excel or Parquet file")
    add_output(parser, "the completed table (with --multiple, the number goes before the "
               "extension)", "TABLE's name with -completed.csv, in the current folder")
    parser.add_argument("--out-format", choices=["csv", "tsv", "excel", "parquet"],
                        help="output format (default: from the output's extension)")
    parser.add_argument("--multiple", type=positive_int, default=1, metavar="K",
                        help="write K tables of draws from the conditional distribution "
                        "(multiple imputation) instead of one of conditional means")
    parser.add_argument("--components", type=parse_int_list, default=None,
                        metavar="N|A-B|A,B,...",
                        help="mixture sizes to choose from by held-out cells "
                        "(default: 1,2,4,8 with --method mixture; with auto, 1 unless given)")
    parser.add_argument("--method", choices=["auto", "kde", "mixture"], default="auto",
                        help="kde: the conditional of a kernel density of the rows (a soft, "
                        "covariance-aware nearest-neighbour fill); mixture: a Gaussian "
                        "mixture's conditional; auto (default): whichever fills held-out "
                        "observed cells best")
    add_table_options(parser, policy="keep")
    add_seed(parser)


def _outputs(args: argparse.Namespace, source: Path) -> list[Path]:
    first = args.output or Path(f"{strip_suffixes(source)}-completed.csv")
    if args.multiple == 1:
        paths = [first]
    else:
        stem = strip_suffixes(first)
        tail = first.name[len(stem):]
        paths = [first.with_name(f"{stem}-{i}{tail}") for i in range(1, args.multiple + 1)]
    for path in paths:
        check_output(path, inputs=[source], force=args.force, table_format=args.out_format)
    return paths


def _left_out(table: Any) -> list[str]:
    """The columns no model takes (identifiers, free text, empty columns)."""
    return [c for c, why in table.report.dropped_columns.items() if why != "bad cells"]


def _raw_rows(args: argparse.Namespace, source: Path, table: Any, dates: list[str]) -> Any:
    """The table's rows as the file holds them, read once for every completed table, when
    columns are to be put back as they are (:func:`_as_read`), cells that hold text may
    state bounds (:func:`_bounds`) or numbers are to be written as text in their forms
    (:func:`_in_forms`); else None."""
    from ..data import read_raw

    if not (_left_out(table) or dates or _text_cells(table) or table.report.number_forms):
        return None
    return read_raw(source, **raw_options(args)).iloc[table.rows].reset_index(drop=True)


def _text_cells(table: Any) -> list[str]:
    """The modelled columns with cells that hold text, not a number."""
    return [i.column for i in table.report.issues
            if i.n_text and table.report.column_kinds.get(i.column) in ("numeric", "integer")]


#: a cell that states a bound instead of a value: '<0.01' (under a detection limit), '> 1000'
_BOUND = re.compile(r"\s*(<=?|>=?|\u2264|\u2265)\s*[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?\s*")


def _bounds(raw: Any, table: Any) -> dict[str, Any]:
    """Column -> the cells (a mask) that state a bound ('<0.01') in the columns impute
    models: impute keeps their text, and the models take them as empty cells."""
    if raw is None:
        return {}
    out = {}
    for c in _text_cells(table):
        text = raw[c].astype(object).where(raw[c].notna(), "").astype(str)
        if (mask := text.str.fullmatch(_BOUND).to_numpy(bool)).any():
            out[c] = mask
    return out


def _in_forms(done: Any, raw: Any, data: Any, forms: dict[str, str]) -> Any:
    """``done`` with its columns of numbers written as text (percentages, times of day) as
    text: the cells the model saw as the file holds them ('61.0%', '08:30'), the filled
    ones in the column's form ('57.25%', '12:05')."""
    import numpy as np

    from .._columns import write_numbers

    for c, form in forms.items():
        seen = data[c].notna().to_numpy()
        done[c] = np.where(seen, raw[c].to_numpy(object), write_numbers(done[c], form))
    return done


def _keep_bounds(done: Any, raw: Any, bounds: dict[str, Any], text: bool) -> Any:
    """``done`` with the cells that state bounds as the file holds them (``text``), or
    empty (a Parquet column of numbers holds no text)."""
    import numpy as np

    for c, mask in bounds.items():
        kept = raw[c].to_numpy(object) if text else np.nan
        done[c] = done[c].astype(object if text else done[c].dtype).where(~mask, kept)
    return done


def _as_read(raw: Any, table: Any, filled: Any, dates: list[str]) -> Any:
    """``filled`` with the columns no model takes back in their places, and the date
    columns ``dates`` (which impute passes through), as the file holds them (``raw``, from
    :func:`_raw_rows`): only empty cells change, and a date that does not parse
    ('31.02.2024') keeps its text."""
    import pandas as pd

    if raw is None:
        return filled
    left_out = _left_out(table)
    filled = filled.reset_index(drop=True)
    for c in dates:
        filled[c] = raw[c]
    order = [c for c in raw.columns if c in left_out or c in filled.columns]
    return pd.concat([filled, raw[left_out]], axis=1)[order]


def _dates_as_read(out_format: str, table: Any, dtypes: dict[str, Any]) -> list[str]:
    """The date columns to write as the file holds them: all in a CSV or TSV output, and
    those a Parquet file stores as text (their text is their form); an Excel or Parquet
    output otherwise keeps them as dates."""
    import pandas as pd

    text = out_format in ("csv", "tsv")
    return [c for c, kind in table.report.column_kinds.items() if kind == "datetime" and (
        text or (c in dtypes and not pd.api.types.is_datetime64_any_dtype(dtypes[c])))]


def _stored_dtypes(args: argparse.Namespace, source: Path) -> dict[str, Any]:
    """Column -> the dtype a Parquet file stores it in, which the completed table keeps
    (text and Excel tables store none: their columns are written as they were read)."""
    from ..data import infer_format, read_raw

    if infer_format(source, args.format) != "parquet":
        return {}
    return dict(read_raw(source, format="parquet").dtypes.items())


def _file_cells(args: argparse.Namespace, source: Path, table: Any, out_format: str) -> Any:
    """The text of the cells of ``table``'s rows as the file writes them, when it and the
    output are CSV or TSV tables; else None."""
    from ..data import read_cells

    if out_format not in ("csv", "tsv"):
        return None
    cells = read_cells(source, **raw_options(args))
    return None if cells is None else cells.iloc[table.rows].reset_index(drop=True)


def _as_written(cells: Any, done: Any, marks: dict[str, str], forms: dict[str, str]) -> Any:
    """``done`` with each cell the file holds the same value in written as the file writes
    it ('12.50', '1e-3', 'TRUE', ' A', '1.234,50' in the file's ``marks``, '6.3%' or
    '08:30' in the columns ``forms`` names), and each cell left empty with the file's text
    ('n/a'); the cells impute filled are written as the column writes its values (3.5 as
    '3.50' where every number has two decimals, True as 'TRUE', 6.25 as '6.25%', 12.1 as
    '12:06', with the file's decimal mark, grouped where the column groups thousands)."""
    import numpy as np
    import pandas as pd

    from .._columns import is_percent, read_numbers, write_numbers

    decimal, thousands = marks.get("decimal", "."), marks.get("thousands")
    times = {c: form for c, form in forms.items() if not is_percent(form)}
    out = done.copy()
    for c in done.columns:
        col, text = done[c], cells[c]
        written = text.str.strip()
        percent = is_percent(forms.get(c, ""))
        if pd.api.types.is_bool_dtype(col):
            same = written.str.lower() == col.astype(str).str.lower()
        elif c in times:
            same = read_numbers(written, times[c]) == col.astype(np.float64)
        elif pd.api.types.is_numeric_dtype(col):
            written = _plain(written, decimal, thousands, percent)
            same = pd.to_numeric(written, errors="coerce") == col.astype(np.float64)
        else:
            same = written == col.astype(str).str.strip()
        same = same.fillna(False).to_numpy(bool) & (written != "").to_numpy()
        keep = same | (col.isna().to_numpy() & (written != "").to_numpy())
        values = col.to_numpy(object)
        new = ~keep & col.notna().to_numpy()
        if new.any() and c in times:
            values[new] = write_numbers(col[new], times[c]).to_numpy(object)
        elif new.any():
            grouped = bool(thousands) and text[same].str.contains(thousands, regex=False).any()
            style = _Style(decimal, percent, thousands if grouped else None)
            values[new] = _spelled(col[same], written[same], col[new], style)
        if keep.any() or new.any():
            out[c] = pd.Series(np.where(keep, text.to_numpy(object), values),
                               index=done.index, dtype=object)
    return out


def _plain(written: Any, decimal: str, thousands: str | None, percent: bool) -> Any:
    """Numbers as the file writes them ('1.234,5', '6,3 %') written plainly ('1234.5')."""
    from .._columns import percent_numbers, plain_numbers

    written = plain_numbers(written, decimal, thousands)
    return percent_numbers(written) if percent else written


@dataclass(frozen=True)
class _Style:
    """How a column writes its numbers: its decimal mark, a percent sign, and the mark
    that groups its thousands (None: not grouped)."""

    decimal: str
    percent: bool
    thousands: str | None


#: a number written in plain decimals ('12.50'), the digits after its point in group 1
_PLAIN = re.compile(r"[+-]?\d*\.?(\d*)")


def _spelled(seen: Any, written: Any, filled: Any, style: _Style) -> Any:
    """The filled values ``filled`` written as the column writes the values ``seen``
    (``written``, plainly): booleans in its spelling, numbers with the one count of
    decimals every number is written with, in the column's ``style``; other values as
    they are."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(seen):
        spelling = dict(zip(seen.astype(bool), written))
        return [spelling.get(bool(v), v) for v in filled]
    if not pd.api.types.is_numeric_dtype(filled):
        return filled.to_numpy(object)
    digits = {len(m[1]) if (m := _PLAIN.fullmatch(t)) else -1 for t in written}
    d = digits.pop() if len(digits) == 1 and min(digits) > 0 else None
    group = "," if style.thousands else ""
    text = [format(v, f"{group}.{d}f" if d else group) for v in filled]
    if style.decimal == "," or style.thousands not in (None, ","):
        text = [t.translate({ord(","): style.thousands or ".", ord("."): style.decimal})
                for t in text]
    return [t + "%" if style.percent else t for t in text]


def run(args: argparse.Namespace) -> int:
    from .._columns import NARROW_FLOATS, as_dtypes
    from ..data import infer_format
    from ..impute import impute_table

    source = open_table(args, "densitykit impute TABLE [-o completed.csv] [options]")
    paths = _outputs(args, source)
    out_format = infer_format(paths[0], args.out_format)
    seed = resolve_seed(args)
    table = read_input_table(args, source, kinds="mixed", index=None)
    dtypes = _stored_dtypes(args, source)
    # float32 columns as float32: impute_table fills them with the decimals they print
    data = as_dtypes(table.data, {c: t for c, t in dtypes.items() if str(t) in NARROW_FLOATS})
    n_empty = int(data.isna().sum().sum())
    with progress(args, f"Filling {n_empty:,} empty cells"):
        tables = impute_table(data, n_imputations=args.multiple, n_components=args.components,
                              method=args.method, random_state=seed)
    n_empty -= int(tables[0].isna().sum().sum())
    dates = _dates_as_read(out_format, table, dtypes)
    raw = _raw_rows(args, source, table, dates)
    tables = [_as_read(raw, table, as_dtypes(t, dtypes), dates) for t in tables]
    left = {c: int(k) for c, k in tables[0][list(data.columns)].isna().sum().items() if k}
    if (cells := _file_cells(args, source, table, out_format)) is not None:
        tables = [_as_written(cells, t, table.report.text_marks, table.report.number_forms)
                  for t in tables]
    elif table.report.number_forms:
        tables = [_in_forms(t, raw, data, table.report.number_forms) for t in tables]
    bounds, text = _bounds(raw, table), out_format != "parquet"
    tables = [_keep_bounds(t, raw, bounds, text) for t in tables]
    n_empty -= sum(int(m.sum()) for m in bounds.values())
    publish_all({path: (lambda tmp, t=t: write_frame(args, t, tmp, atomic=False,
                                                     like=table.report))
                 for path, t in zip(paths, tables)})
    what = "conditional means" if args.multiple == 1 else "draws from the conditional"
    for path in paths:
        print(f"{path}: {len(data):,} rows x {tables[0].shape[1]} columns, {n_empty:,} empty "
              f"cells filled with {what}")
    if left:
        _say_left(args, data, left)
    _say_bounds(args, raw, bounds, text)
    return 0


def _say_bounds(args: argparse.Namespace, raw: Any, bounds: dict[str, Any], text: bool
                ) -> None:
    """One line on the cells that state bounds, which impute keeps as written (``text``)
    or leaves empty."""
    if not bounds:
        return
    shown = ", ".join(f"{c!r} {int(m.sum()):,} (e.g. {raw[c][m].iloc[0]!r})"
                      for c, m in list(bounds.items())[:5])
    what = ("Kept as written" if text else
            "Left empty (a Parquet column of numbers holds no text)")
    info(args, f"{what}: {sum(int(m.sum()) for m in bounds.values()):,} cells that state a "
         f"bound, not a value (the models took them as empty cells): {shown}.")


def _say_left(args: argparse.Namespace, data: Any, left: dict[str, int]) -> None:
    """One line on the empty cells impute leaves, with what each column holds: dates, or
    labels too many to model (more than 20, or few rows for each)."""
    import pandas as pd

    def what(c: str) -> str:
        if pd.api.types.is_datetime64_any_dtype(data[c]):
            return "dates"
        return f"{data[c].nunique():,} labels in {len(data):,} rows"

    shown = ", ".join(f"{c!r} {k:,} ({what(c)})" for c, k in list(left.items())[:5])
    info(args, f"Left empty: {sum(left.values()):,} cells of columns impute does not model "
         f"(dates, and labels too many for the rows or more than 20): {shown}"
         f"{', ...' if len(left) > 5 else ''}.")
