"""``densitykit report REAL SYNTH [--model FILE]``: the fidelity report of a synthetic table.

Compares the synthetic rows with the real table and writes one self-contained HTML file
(``<SYNTH's name>-report.html`` by default). With the model file written by
``densitykit synth`` it is :meth:`densitykit.Synthesizer.report`: the model choice, the fitted
densities, and every figure measured on the test rows the model set aside (the real table's
rows are matched to the model's, so pass the table it was fitted on).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._common import (
    CommandError,
    UsageError,
    add_table_options,
    atomic_write,
    check_input,
    derived_path,
    info,
    load_model,
    output_path,
    progress,
    read_input_table,
    relay_warnings,
    require_plotting,
    seed_value,
)

HELP = "write the HTML fidelity and privacy report of a synthetic table"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("real", type=Path, nargs="?", help="the real table")
    parser.add_argument("synthetic", type=Path, nargs="?", help="the synthetic table")
    parser.add_argument("--model", type=Path, dest="model_file",
                        help="model file of the synthetic rows (from 'densitykit synth')")
    parser.add_argument("-o", "--output", type=Path,
                        help="HTML report (default: SYNTH's name with -report.html)")
    parser.add_argument("-f", "--force", action="store_true",
                        help="replace an existing report")
    parser.add_argument("--seed", type=seed_value, default=0,
                        help="seed of the subsampling and of the detection test (default: 0)")
    add_table_options(parser, policy="keep")  # the tables as they are, as synth reads them


def run(args: argparse.Namespace) -> int:
    from .._columns import date_formats_of
    from ..data import read_table
    from ..report import write_report

    if args.real is None or args.synthetic is None:
        raise UsageError("densitykit report REAL SYNTH [--model FILE]: both tables are needed")
    real_path = check_input(args.real, "real table")
    synth_path = check_input(args.synthetic, "synthetic table")
    inputs = [real_path, synth_path] + ([args.model_file] if args.model_file else [])
    output = output_path(args, derived_path(synth_path, ".html", "-report"), inputs)
    require_plotting("the report")
    model = None if args.model_file is None else _synthesizer(args.model_file)
    columns = model.columns_ if model is not None else None
    # the synthetic dates as they were written: in the forms of the model's table
    forms = date_formats_of(model)
    with progress(args, f"Reading {synth_path.name}"):
        synth = read_table(synth_path, columns=columns, index=False, policy="keep",
                           kinds="mixed", date_formats=forms).data
    if model is not None:
        from ..exceptions import OutsideRangeWarning

        with relay_warnings(args, OutsideRangeWarning), progress(
                args, "Evaluating and drawing the report"):
            atomic_write(output, lambda tmp: model.report(
                tmp, real=real_path, synthetic=synth, random_state=args.seed,
                title=f"Synthetic {synth_path.name} vs {real_path.name}"))
        info(args, f"Measured on the {model.n_test_:,} test rows the model set aside.")
    else:
        real_table = read_input_table(args, real_path, columns=list(synth.columns),
                                      index=False, kinds="mixed")  # as the synthetic rows
        if real_table.report.date_formats:  # synthetic dates in the real table's forms
            synth = read_table(synth_path, index=False, policy="keep", kinds="mixed",
                               date_formats=real_table.report.date_formats).data
        _refuse_dropped_empty_cells(args, real_table, synth)
        info(args, "No --model: the synthetic rows are compared with every real row, and no "
             "rows were kept out of the fit, so the figures may be optimistic.")
        with progress(args, "Evaluating and drawing the report"):
            atomic_write(output, lambda tmp: write_report(
                tmp, real_table.data, synth, cleaning=real_table.report,
                title=f"Synthetic {synth_path.name} vs {real_path.name}",
                random_state=args.seed))
    print(f"{output}: report on {len(synth):,} synthetic rows x {synth.shape[1]} columns")
    return 0


def _refuse_dropped_empty_cells(args: argparse.Namespace, real: Any, synth: Any) -> None:
    """Stop when the synthetic rows have empty cells in columns whose empty real cells
    --policy took away: the comparison would take the synthetic ones for failed draws."""
    if args.policy == "keep":
        return
    emptied = {issue.column for issue in real.report.issues if issue.n_empty}
    hit = [c for c in synth.columns if c in emptied and synth[c].isna().any()]
    if hit:
        raise CommandError(
            f"the synthetic table has empty cells in {len(hit)} column(s) "
            f"({', '.join(map(repr, hit[:3]))}{', ...' if len(hit) > 3 else ''}) "
            f"whose empty real cells --policy {args.policy} took away; use --policy keep to "
            "compare the tables as they are")


def _synthesizer(path: Path) -> Any:
    """The synthetic-data model in the file at ``path`` (from 'densitykit synth')."""
    from ..synth import Synthesizer

    model = load_model(path)[0]
    if not isinstance(model, Synthesizer):
        raise CommandError(
            f"{path} holds a {type(model).__name__}, not a synthetic-data model; "
            "give the .dkm that 'densitykit synth' wrote, or leave out --model to compare "
            "the two tables alone")
    return model
