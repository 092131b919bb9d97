"""Helpers shared by every command: options, safe outputs, errors, progress.

Only the standard library is imported here, so that ``densitykit --help`` starts fast;
commands import NumPy, pandas and the models inside their ``run``.

Rules every command follows:

* outputs are written atomically (a temporary file beside the target, then ``os.replace``);
* an existing output is replaced only with ``--force``; an input is never written;
* default output names derive from the input's name (``plant.csv`` -> ``plant.dkm``);
* data and model errors give one line on stderr and exit code 1, usage errors exit code 2;
  ``--debug`` shows the traceback;
* progress goes to stderr, results to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path
from typing import Any

from .._files import publish

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2

TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".parquet")
MODEL_SUFFIX = ".dkm"


class UsageError(Exception):
    """A bad combination of command-line arguments: exit code 2."""


class CommandError(Exception):
    """A problem with the user's files or data found by the command itself: exit code 1."""


# --- options ------------------------------------------------------------------------


def common_options() -> argparse.ArgumentParser:
    """Options every (sub-)command accepts: pass as ``parents=[common_options()]``."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback on errors")
    parent.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                        help="print no progress or summary on stderr")
    return parent


def number(kind: type = int, *, low: float | None = None, high: float | None = None,
           exclusive: bool = False, words: Collection[str] = (), what: str | None = None,
           refuse: str = "must be {bounds}, got {value}") -> Callable[[str], Any]:
    """An argparse type: a ``kind`` number (int or float) from ``low`` to ``high``, or one of
    ``words``, returned as given.

    A bound left None is no bound; ``exclusive`` leaves out the bounds themselves; a float
    must also be finite. Text that is no ``kind`` number is refused with "expected {what},
    got 'text'" (``what`` defaults to 'a whole number' for int, 'a number' for float); a
    number outside the bounds with ``refuse``, a template of ``{bounds}`` ('between 0 and 1',
    'at least 1', ...), ``{value}`` (the number), ``{text}`` (as given) and ``{what}``.
    """
    what = what or ("a whole number" if kind is int else "a number")
    bounds = _bounds(low, high, exclusive)

    def parse(text: str) -> Any:
        if text in words:
            return text
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        inside = (value == value and abs(value) != math.inf
                  and (low is None or (low < value if exclusive else low <= value))
                  and (high is None or (value < high if exclusive else value <= high)))
        if not inside:
            raise argparse.ArgumentTypeError(refuse.format(bounds=bounds, value=value,
                                                           text=text, what=what))
        return value

    return parse


def _bounds(low: float | None, high: float | None, exclusive: bool) -> str:
    """'between 0 and 1 (exclusive)', 'at least 1', 'at most 5' ...: the words of a range."""
    def show(bound: float) -> str:
        return f"{bound:g}" if isinstance(bound, float) else str(bound)

    if low is not None and high is not None:
        return f"between {show(low)} and {show(high)}" + (" (exclusive)" if exclusive else "")
    if low is not None:
        return f"{'above' if exclusive else 'at least'} {show(low)}"
    if high is not None:
        return f"{'below' if exclusive else 'at most'} {show(high)}"
    return "finite"


#: the largest seed numpy and scikit-learn accept
MAX_SEED = 2**32 - 1
#: argparse type for --seed: a whole number from 0 to 2**32 - 1
seed_value = number(int, low=0, high=MAX_SEED)
#: argparse type: a whole number >= 1
positive_int = number(int, low=1)
_ROWS = "the number of rows must be {bounds}, got {value}"
#: argparse type for a number of rows: a whole number >= 1
row_count = number(int, low=1, what="a whole number of rows", refuse=_ROWS)
#: argparse type: a number of rows, or 'auto'
rows_or_auto = number(int, low=1, words={"auto"}, what="a whole number of rows", refuse=_ROWS)
_whole_number = number(int)


def share(low: float = 0.0, high: float = 1.0) -> Callable[[str], float]:
    """argparse type: a share of rows in ``[low, high]`` (the open interval when 0 and 1)."""
    return number(float, low=low, high=high, exclusive=(low, high) == (0.0, 1.0),
                  what="a share like 0.2")


def n_jobs_value(text: str) -> int:
    """argparse type for --n-jobs: 1 or more jobs, or -1 for every core (-2: all but one)."""
    value = _whole_number(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must not be 0: give 1 or more jobs, or -1 for every "
                                         "core")
    return value


def separator(text: str) -> str:
    """argparse type for --sep: one character; 'tab' or '\\t' for a tab."""
    value = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}.get(
        text.lower(), text)
    if len(value) != 1 or value in "\r\n\"":
        raise argparse.ArgumentTypeError(f"expected one character such as ',' ';' '|' or "
                                         f"'tab', got {text!r}")
    return value


def add_seed(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seed", type=seed_value, default=None,
        help="random seed; the same seed gives the same result (default: a fresh seed, "
        "printed so the run can be repeated)",
    )


def add_force(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--force", action="store_true",
                        help="replace an existing output file")


def add_table_options(parser: argparse.ArgumentParser, *, columns: bool = True,
                      policy: str | None = "drop-rows") -> None:
    """Options for reading a table: format, sheet, header row, columns, bad-cell policy
    (None: the model's, see :func:`model_policy`)."""
    group = parser.add_argument_group("reading the table")
    group.add_argument("--format", choices=["csv", "tsv", "excel", "parquet"],
                       help="table format (default: from the file extension)")
    group.add_argument("--sheet", help="Excel sheet name or 0-based number (default: first)")
    group.add_argument("--header-row", type=number(int, low=0), default=None, metavar="N",
                       help="0-based row number of the header line of a CSV/TSV or Excel "
                       "table; the rows above it are skipped (default: the first row, or the "
                       "header found under a title or notes)")
    group.add_argument("--sep", type=separator, default=None, metavar="CHAR",
                       help="field separator of a CSV/TSV file: ',' ';' '|' or 'tab' "
                       "(default: found from the first lines)")
    group.add_argument("--decimal", choices=[".", ","], default=None,
                       help="decimal mark of a CSV/TSV file (default: found from the first "
                       "lines; a comma when numbers look like 1,5)")
    group.add_argument(
        "--policy", choices=["keep", "drop-rows", "drop-columns", "error"], default=policy,
        help="what to do with empty, infinite or non-numeric cells: keep the row (the cell is "
        f"empty; for the models that handle empty cells), drop rows, drop columns, or stop "
        f"(default: {policy or _MODEL_POLICY})",
    )
    group.add_argument(
        "--check-all", action="store_true",
        help="drop rows with a bad cell in any column of the file, not only the selected ones",
    )
    if columns:
        group.add_argument(
            "--columns", nargs="+", metavar="SPEC",
            help="columns to use: names, globs ('x*'), 0-based positions or ranges "
            "('1:41', '3-7'; '-5:' is the last five)",
        )
        group.add_argument("--exclude", nargs="+", metavar="SPEC",
                           help="columns to leave out (same forms as --columns)")


#: the default --policy of a command that reads a table for a model (see model_policy)
_MODEL_POLICY = "keep for a model from 'densitykit synth', which models empty cells; else drop-rows"


def model_policy(args: argparse.Namespace, model: Any) -> str:
    """--policy, or by default the one the model reads its tables with: 'keep' for a
    synthesizer (empty cells are part of its rows), 'drop-rows' for the others."""
    from ..synth import Synthesizer

    if args.policy is not None:
        return args.policy
    return "keep" if isinstance(model, Synthesizer) else "drop-rows"


def add_output(parser: argparse.ArgumentParser, what: str, default_hint: str) -> None:
    parser.add_argument("-o", "--output", type=Path,
                        help=f"{what} (default: {default_hint}); existing files need --force")
    add_force(parser)


def recover_table_argument(args: argparse.Namespace, usage: str) -> None:
    """Find TABLE when a greedy list option (--columns/--exclude/--given) swallowed it.

    ``densitykit fit --exclude -5: plant.csv`` parses 'plant.csv' as a column spec; the one
    spec naming an existing file is taken back as the table (from --given, the one value
    without '=').
    """
    if getattr(args, "table", None) is not None:
        return
    for attr in ("columns", "exclude"):
        items = getattr(args, attr, None) or []
        files = [i for i in items if Path(i).is_file()]
        if len(files) == 1 and (len(items) > 1 or attr != "columns"):
            items.remove(files[0])
            setattr(args, attr, items or None)
            args.table = Path(files[0])
            return
    args.table = _take_back_from_given(args, existing=True)
    if args.table is None:
        raise UsageError(f"the table file is missing: {usage}")


def recover_model_argument(args: argparse.Namespace, usage: str) -> None:
    """Find MODEL when --given swallowed it: ``densitykit sample --given a=1 plant.dkm``.

    The one value without '=' is taken back as the model file.
    """
    if args.model is not None:
        return
    args.model = _take_back_from_given(args)
    if args.model is None:
        raise UsageError(f"the model file is missing: {usage}")


def _take_back_from_given(args: argparse.Namespace, existing: bool = False) -> Path | None:
    """Remove from --given and return its one value without '=' (with ``existing``, its
    one such value naming an existing file); None, leaving --given as it is, unless there
    is exactly one."""
    bare = [g for g in getattr(args, "given", None) or []
            if "=" not in g and (not existing or Path(g).is_file())]
    if len(bare) != 1:
        return None
    args.given.remove(bare[0])
    args.given = args.given or None
    return Path(bare[0])


def parse_int_list(text: str) -> list[int]:
    """'3' -> [3]; '1-10' -> [1..10]; '1,2,5' or '1-3,8' -> the union, sorted."""
    out: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        try:
            a = int(lo)
            b = int(hi) if sep else a
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a number, a range like 1-10 or a list like 1,2,4; got {text!r}"
            ) from None
        if a < 1 or b < a:
            raise argparse.ArgumentTypeError(f"expected numbers >= 1 in increasing ranges; "
                                             f"got {text!r}")
        out.update(range(a, b + 1))
    if not out:
        raise argparse.ArgumentTypeError(f"no number in {text!r}")
    return sorted(out)


def parse_given(items: Sequence[str] | None, text: Collection[str] = (),
                like: Any = None) -> dict[str, float | str]:
    """['col=1.5', 'grade=B'] -> {'col': 1.5, 'grade': 'B'}; the last '=' splits.

    A value that is not a number stays text: a category, a boolean or a date of a
    synthesizer's table (other models refuse it, :func:`numeric_given`). The values of the
    ``text`` columns (categories) stay text as typed, numbers or not: 'grade=007'. A number
    may be written in the marks of the table ``like`` describes (see :func:`write_frame`):
    'temp=70,5' beside decimal commas."""
    form = like.to_dict() if hasattr(like, "to_dict") else dict(like or {})
    marks = form.get("text_marks") or {}
    given: dict[str, float | str] = {}
    for item in items or []:
        name, sep, value = item.rpartition("=")
        if not sep or not name:
            raise UsageError(f"--given expects COLUMN=VALUE, got {item!r} (put --given after "
                             "the file arguments)")
        given[name] = value.strip()
        if name not in text:
            given[name] = _number(given[name], marks.get("decimal", "."),
                                  marks.get("thousands"))
    return given


def _number(value: str, decimal: str, thousands: str | None) -> float | str:
    """``value`` as a number written with these marks ('1.234,5') or plainly ('70.5'), or
    as it is. A thousands mark counts only before groups of three digits: '70.5' beside
    '1.234,5' is 70.5, not 705."""
    whole = value.split(decimal)[0]
    grouped = bool(thousands) and re.fullmatch(
        rf"[+-]?\d{{1,3}}({re.escape(thousands)}\d{{3}})+", whole.strip()) is not None
    plain = value.replace(thousands, "") if grouped else value
    marked = plain if decimal == "." else plain.replace(".", "#").replace(decimal, ".")
    for form in (marked, value):
        with contextlib.suppress(ValueError):
            return float(form)
    return value


def synthesizer_given(items: Sequence[str] | None, synth: Any,
                      like: Any = None) -> dict[str, float | str]:
    """:func:`parse_given` for a Synthesizer: its categories' labels as typed ('007'),
    numbers in the marks of its table (``like``, by default the one it was fitted on)."""
    categories = [c for c, codec in zip(synth.columns_, synth.codecs_)
                  if codec["kind"] == "categorical"]
    return parse_given(items, text=categories,
                       like=like if like is not None else getattr(synth, "cleaning_", None))


def numeric_given(given: dict[str, float | str]) -> dict[str, float]:
    """``given`` for a model of numbers only: a text value is refused."""
    for name, value in given.items():
        if isinstance(value, str):
            raise UsageError(f"--given '{name}={value}': {value!r} is not a number (text "
                             "values need a model file from 'densitykit synth')")
    return given  # type: ignore[return-value]


# --- paths and atomic writes --------------------------------------------------------


def strip_suffixes(path: Path) -> str:
    """'plant.csv.gz' -> 'plant'; 'model.dkm' -> 'model'."""
    name = path.name
    for ext in (".gz", ".bz2", ".xz", ".zip"):
        if name.lower().endswith(ext):
            name = name[: -len(ext)]
    stem, dot, _ = name.rpartition(".")
    return stem if dot and stem else name


def derived_path(source: Path, suffix: str, tag: str = "") -> Path:
    """Output path beside ``source``: ``plant.csv`` + ('.dkm') -> ``plant.dkm``."""
    return source.with_name(f"{strip_suffixes(source)}{tag}{suffix}")


def check_input(path: Path, what: str = "input file") -> Path:
    if not path.exists():
        raise CommandError(f"{what} {path} does not exist")
    if path.is_dir():
        raise CommandError(f"{what} {path} is a directory, not a file")
    return path


def check_output(path: Path, *, inputs: Sequence[Path] = (), force: bool = False,
                 table_format: str | bool | None = False) -> Path:
    """Refuse outputs that are directories, inputs, or existing files without ``force``.

    ``table_format`` (for table outputs): the --out-format given, or None to require an
    extension densitykit can write; False skips the check.
    """
    if path.is_dir():
        raise UsageError(f"output {path} is a directory; give a file name")
    for src in inputs:
        if _same_file(path, src):
            raise UsageError(f"output {path} is also an input; choose another output name")
    if path.exists() and not force:
        raise UsageError(f"output {path} exists; use --force to replace it or -o to choose "
                         "another name")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"cannot write {path}: folder {parent} does not exist")
    if table_format is not False and table_format is None:
        from ..data import infer_format
        from ..exceptions import DataError

        try:
            infer_format(path)
        except DataError:
            raise UsageError(f"cannot tell the table format of output {path} from its "
                             "extension; use .csv, .tsv, .xlsx or .parquet, or --out-format"
                             ) from None
    return path


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def atomic_write(path: Path, write: Callable[[Path], Any]) -> None:
    """Call ``write(tmp)`` on a temporary path beside ``path``, then rename it into place.

    The temporary name keeps ``path``'s extension, so writers that pick a format from the
    extension work. Nothing is left behind on failure.
    """
    parent = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + "".join(path.suffixes),
                               dir=parent)
    os.close(fd)
    try:
        write(Path(tmp))
        publish(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# --- messages and progress ----------------------------------------------------------


# a running clock may be on the terminal's last line: every other message clears it first
_SCREEN = {"clock": False, "lock": threading.Lock()}
_CLEAR = "\r\033[K"  # back to the start of the line, erase it
#: seconds before the clock appears, and between its frames
CLOCK_DELAY, CLOCK_FRAME = 1.0, 0.2


def info(args: argparse.Namespace, message: str) -> None:
    """A progress or summary line on stderr (silenced by --quiet)."""
    if getattr(args, "quiet", False):
        return
    with _SCREEN["lock"]:
        if _SCREEN["clock"]:  # erase the clock; its next frame draws it again
            sys.stderr.write(_CLEAR)
            _SCREEN["clock"] = False
        print(message, file=sys.stderr, flush=True)


def resolve_seed(args: argparse.Namespace) -> int:
    """The seed to use: --seed, or a fresh one that is printed so the run can be repeated."""
    if args.seed is not None:
        return int(args.seed)
    seed = int.from_bytes(os.urandom(4), "little") % (2**31 - 1)
    info(args, f"seed: {seed} (pass --seed {seed} to repeat this run)")
    args.seed = seed
    return seed


@contextlib.contextmanager
def progress(args: argparse.Namespace, label: str) -> Iterator[None]:
    """On a terminal, a running clock for work that takes over a second, then one line
    saying how long it took; elsewhere (a pipe, a log file) or with --quiet, nothing."""
    stream = sys.stderr
    if getattr(args, "quiet", False) or not (hasattr(stream, "isatty") and stream.isatty()):
        yield
        return
    done = threading.Event()
    start = time.perf_counter()

    def tick() -> None:
        frames = "|/-\\"
        i = 0
        if done.wait(CLOCK_DELAY):
            return
        while not done.is_set():
            with _SCREEN["lock"]:
                if done.is_set():
                    break
                stream.write(f"{_CLEAR}{frames[i % 4]} {label} ... "
                             f"{time.perf_counter() - start:5.1f}s")
                stream.flush()
                _SCREEN["clock"] = True
            i += 1
            done.wait(CLOCK_FRAME)

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        elapsed = time.perf_counter() - start
        with _SCREEN["lock"]:
            if _SCREEN["clock"]:
                stream.write(_CLEAR)
                _SCREEN["clock"] = False
            if elapsed >= CLOCK_DELAY:
                stream.write(f"{label}: done in {elapsed:.1f}s\n")
            stream.flush()


# --- library calls used by several commands ------------------------------------------


def table_options(args: argparse.Namespace, *, columns: Any = None,
                  exclude: Any = None) -> dict[str, Any]:
    """The keyword arguments of :func:`densitykit.data.read_table` that ``args`` gives."""
    return {
        **raw_options(args),
        "columns": columns if columns is not None else getattr(args, "columns", None),
        "exclude": exclude if exclude is not None else getattr(args, "exclude", None),
        "policy": args.policy,
        "check": "all" if args.check_all else "selected",
    }


def raw_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of :func:`densitykit.data.read_raw` that ``args`` gives."""
    sheet = getattr(args, "sheet", None)
    if sheet is not None and str(sheet).isdigit():
        sheet = int(sheet)
    return {"format": getattr(args, "format", None), "sheet": sheet,
            "sep": getattr(args, "sep", None), "decimal": getattr(args, "decimal", None),
            "header": getattr(args, "header_row", None)}


@contextlib.contextmanager
def relay_warnings(args: argparse.Namespace,
                   *categories: type[Warning]) -> Iterator[None]:
    """Print the library's warnings of ``categories`` as one line each on stderr (even with
    --quiet: they say the result may not be what was asked for); others pass through."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        for category in categories:
            warnings.simplefilter("always", category)
        yield
    for w in caught:
        if issubclass(w.category, categories):
            prog = f"densitykit {getattr(args, '_command', '')}".rstrip()
            print(f"{prog}: warning: {w.message}", file=sys.stderr, flush=True)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def require_plotting(what: str) -> None:
    """Stop before any work when matplotlib, needed for ``what``, is not installed."""
    from .._validation import require
    from ..exceptions import MissingDependencyError

    try:
        require("matplotlib", "plot", what)
    except MissingDependencyError as exc:
        raise CommandError(f"{exc}, or pass --no-report") from None


def publish_all(outputs: dict[Path, Callable[[Path], Any]]) -> None:
    """Write every output to a temporary beside it, then rename them all into place.

    Nothing is published unless every writer succeeds; temporaries never outlive the call.
    """
    temps: dict[Path, str] = {}
    try:
        for path, write in outputs.items():
            parent = path.parent if str(path.parent) else Path(".")
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.",
                                       suffix=".tmp" + "".join(path.suffixes), dir=parent)
            os.close(fd)
            temps[path] = tmp
            write(Path(tmp))
        for path, tmp in temps.items():
            publish(tmp, path)
    finally:
        for tmp in temps.values():
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def read_input_table(args: argparse.Namespace, path: Path, *, columns: Any = None,
                     exclude: Any = None, show_report: bool = True, **options: Any) -> Any:
    """Read and clean ``path`` with the table options of ``args`` (and ``options`` of
    :func:`densitykit.data.read_table`); print the report."""
    from ..data import read_table

    check_input(path, "table")
    with progress(args, f"Reading {path.name}"):
        table = read_table(path, **table_options(args, columns=columns, exclude=exclude),
                           **options)
    if show_report:
        info(args, table.report.to_text())
    return table


def load_model(path: Path) -> tuple[Any, dict[str, Any]]:
    """Load a model file and its metadata."""
    from ..persist import load

    check_input(path, "model file")
    return load(path, return_metadata=True)


# --- the prologue of a command: its inputs, its output, its model -------------------


def open_table(args: argparse.Namespace, usage: str) -> Path:
    """TABLE, taken back from a greedy --columns or --exclude if need be; it must exist."""
    recover_table_argument(args, usage)
    return check_input(args.table, "table")


def output_path(args: argparse.Namespace, default: Path, inputs: Sequence[Path] = (), *,
                table: bool = False) -> Path:
    """-o, or ``default``, refused as :func:`check_output` says; with ``table``, a table
    whose format --out-format or the extension gives."""
    return check_output(args.output or default, inputs=inputs, force=args.force,
                        table_format=getattr(args, "out_format", None) if table else False)


def open_model(args: argparse.Namespace, tag: str,
               table: Path | None = None) -> tuple[Any, dict[str, Any], Path]:
    """The prologue of the commands that read MODEL (and a ``table``) and write a table.

    The output is -o, or the name of ``table`` (else of MODEL) with ``tag`` and .csv. With
    a ``table``, both inputs must exist before the output is checked; the model file is
    read last. Returns (model, metadata, output).
    """
    inputs = [args.model]
    if table is not None:
        if Path(table).suffix.lower() == ".dkm" and Path(args.model).suffix.lower() != ".dkm":
            raise CommandError(f"the model file comes first, then the table: give "
                               f"{table} {args.model}")
        inputs = [check_input(args.model, "model file"), check_input(table, "table")]
    output = output_path(args, derived_path(inputs[-1], ".csv", tag), inputs, table=True)
    model, meta = load_model(args.model)
    return model, meta, output


def read_model_columns(args: argparse.Namespace, path: Path, columns: Sequence[str] | None,
                       advice: str = "", **options: Any) -> tuple[Any, list[Any]]:
    """Read and clean the model's ``columns`` of the table at ``path`` (None: every column;
    ``options`` of :func:`densitykit.data.read_table` besides those of ``args``).

    A table that lacks some of them is refused first, in one line naming them and then
    ``advice``. Returns the table and the names of every column in the file.
    """
    from ..data import read_raw

    available = list(read_raw(path, **raw_options(args)).columns)
    missing = [c for c in columns or () if c not in available]
    if missing:
        raise CommandError(f"{path} lacks {len(missing)} of the model's columns, e.g. "
                           f"{missing[:3]}{advice}")
    return read_input_table(args, path, columns=columns, **options), available


def with_identifiers(args: argparse.Namespace, path: Path, model: Any, meta: dict[str, Any],
                     out: Any, rows: Any) -> Any:
    """``out`` (one line per row of the table at ``path``: its ``rows``, None for all) with
    the columns that the model's fit left out as identifiers (``SampleID``, ``Batch``; its
    cleaning record says so) put after its first column, as the file writes them, so that
    scores and predictions join back on the table's own IDs; ``out`` itself when the table
    has none of them."""
    from ..data import read_cells, read_raw

    record = meta.get("cleaning") or getattr(model, "cleaning_", None) or {}
    dropped = record.get("dropped_columns") or {}
    names = [c for c, why in dropped.items()
             if "identifier" in str(why) and c not in out.columns]
    if not names:
        return out
    cells = read_cells(path, **raw_options(args))
    if cells is None:
        cells = read_raw(path, **raw_options(args))
    names = [c for c in names if c in cells.columns]
    if rows is not None:
        cells = cells.iloc[rows]
    out = out.copy()
    for j, c in enumerate(names, start=1):
        out.insert(j, c, cells[c].to_numpy())
    return out


def model_columns(model: Any) -> list[str]:
    """Column names a model was fitted on (``x0``, ``x1``, ... when it has none)."""
    cols = getattr(model, "columns_", None)
    if cols is None:
        names = getattr(model, "feature_names_in_", None)
        n = getattr(model, "n_features_in_", 0)
        cols = [str(c) for c in names] if names is not None else [f"x{j}" for j in range(n)]
    return list(cols)


def write_frame(args: argparse.Namespace, frame: Any, path: Path, *, atomic: bool = True,
                like: Any = None) -> None:
    """Write a table in the format of ``path`` (or --out-format), atomically by default; a
    text table as the one ``like`` describes was written (a :class:`CleaningReport`, or
    the dict a model file keeps of it): its dates' forms, its separator and decimal mark,
    its numbers written as text (see :func:`densitykit.data.write_table`)."""
    from ..data import write_table

    def write(target: Path) -> None:
        write_table(frame, target, format=getattr(args, "out_format", None), like=like)

    if atomic:
        atomic_write(path, write)
    else:
        write(path)
