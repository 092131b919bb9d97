"""``densitykit fit TABLE``: read and clean a table, fit a density, save a model file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._common import (
    MODEL_SUFFIX,
    UsageError,
    add_output,
    add_seed,
    add_table_options,
    derived_path,
    info,
    open_table,
    output_path,
    progress,
    read_input_table,
    relay_warnings,
    resolve_seed,
    rows_or_auto,
)
from ._models import (
    add_model_options,
    build_density,
    candidate_columns,
    describe,
    refuse_empty_cells,
    selection_table,
    transform_arg,
)

HELP = "fit a density to a table and save it as a model file"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("table", type=Path, nargs="?", help="CSV, TSV, Excel or Parquet file")
    add_output(parser, "model file", "TABLE's name with .dkm")
    add_table_options(parser)
    add_model_options(parser)
    add_seed(parser)
    parser.add_argument(
        "--chunksize", type=rows_or_auto, default=None, metavar="ROWS|auto",
        help="stream the file in chunks of ROWS rows ('auto': about 32 MB each), re-read at "
        "every EM iteration, for files larger than memory: peak memory follows ROWS, not the "
        "file (clean numbers in .csv, .csv.gz, .csv.bz2, .csv.xz, .csv.zip, .tsv, .tab, "
        ".tsv.gz, .txt, .parquet or .pq; gmm or normal with one candidate; --transform "
        "standardize or none)",
    )


def fit_table_model(args: argparse.Namespace, table: object, seed: int) -> tuple[object, object]:
    """Fit a TableModel from the model options; return (model, selection table or None)."""
    from ..exceptions import ConvergenceWarning, DensityKitWarning
    from ..preprocess import TableModel

    refuse_empty_cells(args, table.data)
    density, is_selection = build_density(args, seed, n_rows=len(table.data),
                                          n_cols=table.data.shape[1])
    model = TableModel(density, column_transform=transform_arg(args), clip=args.clip,
                       round_integers=not args.no_round,
                       round_decimals=not args.no_round)
    label = "Comparing candidates" if is_selection else f"Fitting {args.model}"
    with relay_warnings(args, DensityKitWarning, ConvergenceWarning), progress(args, label):
        model.fit(table.data)
    return model, selection_table(model)


def _hints(args: argparse.Namespace, report: Any) -> None:
    """What else keeps the text columns and the rows with empty cells the read left out."""
    text = [c for c, why in report.dropped_columns.items() if why.startswith("not numeric")]
    if text:
        info(args, f"Text column(s) {', '.join(map(repr, text[:3]))}"
             f"{' ...' if len(text) > 3 else ''} left out: 'densitykit synth' models "
             "categories with the numbers.")
    if report.n_rows_dropped and args.model in ("gmm", "normal"):
        info(args, f"{report.n_rows_dropped:,} row(s) with empty or bad cells left out: "
             f"--policy keep fits them too, the {args.model} model integrating those cells "
             "out.")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..persist import save

    source = open_table(args, "densitykit fit TABLE [options]")
    output = output_path(args, derived_path(source, MODEL_SUFFIX), [source])
    seed = resolve_seed(args)
    if args.chunksize is not None:
        return run_streamed(args, source, output, seed)
    table = read_input_table(args, source)
    _hints(args, table.report)
    model, selection = fit_table_model(args, table, seed)
    loglik = model.score_samples(table.data)
    if selection is not None:
        info(args, selection[candidate_columns(selection)].to_string(index=False))
        info(args, "(candidates compared on the transformed columns; log-likelihoods per row)")
    metadata = {
        "command": "fit",
        "source": source.name,
        "columns": list(model.columns_),
        "index_column": table.report.index_column,
        "n_rows": len(table.data),
        "seed": seed,
        "cleaning": table.report.to_dict(),
        "train_loglik": np.sort(loglik),
        "argv": list(getattr(args, "argv", [])),
    }
    if selection is not None:
        metadata["selection"] = selection
    save(model, output, metadata=metadata)
    print(
        f"{output}: {describe(model)} on {len(model.columns_)} columns x {len(table.data)} rows, "
        f"transform {args.transform}; mean log-likelihood per row {np.mean(loglik):.4g}"
    )
    return 0


def _streamed_density(args: argparse.Namespace, source: Path, seed: int) -> tuple[Any, str]:
    """The density ``fit --chunksize`` fits, and the file's format; the options that need
    the whole table in memory are refused."""
    from ..data import format_of
    from ..scale.stream import STREAMED_FORMATS

    if args.model not in ("gmm", "normal"):
        raise UsageError(f"--chunksize fits --model gmm or normal, not {args.model}")
    if args.transform not in ("standardize", "none"):
        raise UsageError(f"--chunksize needs --transform standardize or none (--transform "
                         f"{args.transform} needs whole columns in memory)")
    fmt = args.format or format_of(source)
    if fmt not in STREAMED_FORMATS:
        shown = args.format or source.suffix.lower().lstrip(".")
        raise UsageError(f"--chunksize streams CSV, TSV or Parquet files, not {shown!r}; "
                         "convert the file or leave out --chunksize")
    density, is_selection = build_density(args, seed)
    if is_selection:
        raise UsageError("--chunksize fits one candidate: give a single --components and "
                         "--covariance-type (compare candidates on a sample of the rows)")
    return density, fmt


def run_streamed(args: argparse.Namespace, source: Path, output: Path, seed: int) -> int:
    """``fit --chunksize``: fit chunk by chunk, never holding the whole table."""
    from ..data import TEXT_SEPARATORS, CleaningReport, text_header, text_separator
    from ..persist import save
    from ..scale.stream import FileSource, fit_table_stream, score_file

    density, fmt = _streamed_density(args, source, seed)
    chunksize = None if args.chunksize == "auto" else args.chunksize
    sep = args.sep or (text_separator(source, fmt) if fmt in TEXT_SEPARATORS else None)
    header = args.header_row
    if header is None and sep is not None:  # found once, said once, as read_table says it
        header, notes = text_header(source, sep)
        for note in notes:
            info(args, f"{source.name}: {note}")

    def step(it: int, loglik: float) -> None:
        info(args, f"  EM iteration {it}: mean log-likelihood {loglik:.6g} (transformed units)")

    with progress(args, f"Fitting {args.model} in chunks of {args.chunksize} rows"):
        model = fit_table_stream(density, source, columns=args.columns, exclude=args.exclude,
                                 transform=transform_arg(args), chunksize=chunksize, sep=sep,
                                 decimal=args.decimal, header=header, callback=step)
        model.set_params(clip=args.clip, round_integers=not args.no_round,
                         round_decimals=not args.no_round)  # how it samples, as in memory
        mean_ll, n_rows, loglik = score_file(model, source, columns=model.columns_,
                                             chunksize=chunksize, sep=sep,
                                             decimal=args.decimal, header=header,
                                             random_state=seed)
    dropped = model.dropped_columns_
    for name, why in dropped.items():
        info(args, f"{source.name}: left out {name!r}: {why}")
    columns = list(model.columns_)
    width = len(FileSource(source, sep=sep, decimal=args.decimal, header=header,
                           chunksize=1).columns)
    cleaning = CleaningReport(source.name, n_rows, width, "drop-rows",
                              dropped_columns=dict(dropped), n_rows_out=n_rows,
                              columns_out=columns)
    metadata = {
        "command": "fit",
        "source": source.name,
        "columns": columns,
        "index_column": None,
        "n_rows": n_rows,
        "seed": seed,
        "chunksize": args.chunksize,
        "cleaning": cleaning.to_dict(),
        "train_loglik": loglik,
        "argv": list(getattr(args, "argv", [])),
    }
    save(model, output, metadata=metadata)
    print(
        f"{output}: {describe(model)} on {len(model.columns_)} columns x {n_rows} rows "
        f"(streamed), transform {args.transform}; mean log-likelihood per row {mean_ll:.4g}"
    )
    return 0
