"""``densitykit synth TABLE``: synthetic rows, their model file and a report, in one step.

Reads and cleans the table, holds out a share of the rows, chooses the model automatically
(family and size by held-out log-likelihood on the rest), samples rows, and writes beside
the input: ``<name>-synthetic.csv`` (the rows), ``<name>-synthetic.dkm`` (the model) and
``<name>-synthetic.html`` (the report, whose metrics use the held-out rows).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import (
    MODEL_SUFFIX,
    UsageError,
    add_seed,
    add_table_options,
    check_input,
    check_output,
    derived_path,
    info,
    parse_given,
    parse_int_list,
    progress,
    read_input_table,
    recover_table_argument,
    resolve_seed,
    row_count,
    write_frame,
)

HELP = "choose a model automatically, draw synthetic rows and write a fidelity report"


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share like 0.2, got {text!r}") from None
    if not 0.05 <= value <= 0.5:
        raise argparse.ArgumentTypeError(f"must be between 0.05 and 0.5, got {value}")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("table", type=Path, nargs="?", help="CSV, TSV, Excel or Parquet file")
    parser.add_argument("-n", "--n-samples", type=row_count, default=None,
                        help="synthetic rows to draw (default: as many as the clean table has)")
    parser.add_argument("-o", "--output", type=Path,
                        help="synthetic rows (default: TABLE's name with -synthetic.csv)")
    parser.add_argument("--out-format", choices=["csv", "tsv", "excel", "parquet"],
                        help="format of the rows (default: from the output's extension)")
    parser.add_argument("--model-file", type=Path,
                        help="model file (default: TABLE's name with -synthetic.dkm)")
    parser.add_argument("--report", type=Path,
                        help="HTML report (default: TABLE's name with -synthetic.html)")
    parser.add_argument("--no-report", action="store_true", help="write no report")
    parser.add_argument("-f", "--force", action="store_true",
                        help="replace existing output files")
    add_table_options(parser)
    group = parser.add_argument_group("the model")
    group.add_argument("--model", choices=["auto", "gmm", "kde"], default="auto",
                       help="family: gmm (Gaussian mixture), kde (kernel density) or auto "
                       "(both, the better on held-out rows wins; default)")
    group.add_argument("--components", type=parse_int_list, default=None,
                       metavar="N|A-B|A,B,...",
                       help="mixture sizes to try (default: 1,2,4,8,12,16,24)")
    group.add_argument("--criterion", choices=["detection", "loglik"], default="detection",
                       help="how candidates are compared on validation rows: detection (a "
                       "classifier's AUC telling their draws from real rows, lowest wins, "
                       "copiers excluded; default) or loglik (held-out log-likelihood)")
    group.add_argument("--holdout", type=_share, default=0.2,
                       help="share of rows held out from the fit and used to judge the "
                       "synthetic rows (default: 0.2)")
    group.add_argument(
        "--given", nargs="+", metavar="COLUMN=VALUE",
        help="fix these columns and draw the others from the mixture's conditional "
        "distribution (implies --model gmm)",
    )
    add_seed(parser)


def _outputs(args: argparse.Namespace, source: Path) -> tuple[Path, Path, Path | None]:
    rows = args.output or derived_path(source, ".csv", "-synthetic")
    model = args.model_file or derived_path(source, MODEL_SUFFIX, "-synthetic")
    report = None if args.no_report else (args.report or
                                          derived_path(source, ".html", "-synthetic"))
    outs = [p for p in (rows, model, report) if p is not None]
    if len({p.resolve() for p in outs}) != len(outs):
        raise UsageError("the rows, model file and report must go to different files")
    check_output(rows, inputs=[source], force=args.force,
                 table_format=args.out_format if args.out_format else None)
    check_output(model, inputs=[source], force=args.force)
    if report is not None:
        check_output(report, inputs=[source], force=args.force)
    return rows, model, report


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..persist import save
    from ..synth import choose_model

    recover_table_argument(args, "densitykit synth TABLE [options]")
    source = check_input(args.table, "table")
    given = parse_given(args.given)
    family = args.model
    if given:
        if family == "kde":
            raise UsageError("--given needs a Gaussian mixture; use --model gmm or auto")
        family = "gmm"
    rows_path, model_path, report_path = _outputs(args, source)
    seed = resolve_seed(args)
    table = read_input_table(args, source)
    data = table.data
    unknown = [c for c in given if c not in data.columns]
    if unknown:
        from ..exceptions import DataError

        raise DataError(f"unknown column(s) {unknown} in --given; the table's columns are "
                        f"{list(map(str, data.columns[:6]))}{' ...' if data.shape[1] > 6 else ''}")
    if len(data) < 20:
        raise UsageError(f"synth needs at least 20 clean rows to hold some out; the table has "
                         f"{len(data)}")
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(data))
    n_hold = max(2, round(args.holdout * len(data)))
    train, hold = data.iloc[np.sort(perm[n_hold:])], data.iloc[np.sort(perm[:n_hold])]
    info(args, f"Fitting on {len(train):,} rows; {len(hold):,} rows held out to judge the "
         "synthetic ones.")
    with progress(args, "Choosing the model"):
        model = choose_model(train, model=family, n_components=args.components,
                             criterion=args.criterion, random_state=seed,
                             progress=lambda m: info(args, "  " + m))
    info(args, f"Chosen: {model.describe()}.")
    n = args.n_samples or len(data)
    with progress(args, f"Sampling {n:,} rows"):
        synthetic = model.sample(n, random_state=seed, given=given or None)
    write_frame(args, synthetic, rows_path)
    metadata = {
        "command": "synth",
        "source": source.name,
        "columns": list(model.columns_),
        "index_column": table.report.index_column,
        "n_rows": len(train),
        "seed": seed,
        "holdout": float(args.holdout),
        "cleaning": table.report.to_dict(),
        "synth": model.to_metadata(),
        "argv": list(getattr(args, "argv", [])),
    }
    save(model.table_model_, model_path, metadata=metadata)
    print(f"{rows_path}: {n:,} synthetic rows x {len(model.columns_)} columns")
    print(f"{model_path}: {model.describe()}")
    if report_path is not None:
        from ..evaluate import evaluate
        from ..report import write_report
        from ._common import atomic_write

        with progress(args, "Evaluating the synthetic rows"):
            ev = evaluate(train, synthetic[list(model.columns_)] if not given else synthetic,
                          holdout=hold, model=model, random_state=seed)
        with progress(args, "Writing the report"):
            atomic_write(report_path, lambda tmp: write_report(
                tmp, train, synthetic, evaluation=ev, holdout=hold, model=model,
                cleaning=table.report, title=f"Synthetic {source.name}", random_state=seed))
        for v in ev.verdicts():
            info(args, f"  {v.level:>4}  {v.metric}: {v.value}")
        print(f"{report_path}: report")
    return 0
