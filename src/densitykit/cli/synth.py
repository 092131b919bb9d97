"""``densitykit synth TABLE``: synthetic rows, their model file and a report, in one step.

Parses the options and calls :class:`densitykit.Synthesizer`: it reads and cleans the table,
sets test rows aside, chooses the model on a validation split of the rest and samples rows.
Writes ``<name>-synthetic.csv`` (the rows; ``-o`` names it, default in the current folder),
and beside it ``.dkm`` (the model) and ``.html`` (the report, whose figures are measured on
the test rows). All three appear together at the end, or none does.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._common import (
    MODEL_SUFFIX,
    UsageError,
    add_seed,
    add_table_options,
    check_output,
    derived_path,
    info,
    open_table,
    parse_given,
    parse_int_list,
    progress,
    publish_all,
    relay_warnings,
    require_plotting,
    resolve_seed,
    row_count,
    share,
    strip_suffixes,
    synthesizer_given,
    table_options,
    write_frame,
)

HELP = "choose a model automatically, draw synthetic rows and write a fidelity report"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("table", type=Path, nargs="?", help="CSV, TSV, Excel or Parquet file")
    parser.add_argument("-n", "--n-samples", type=row_count, default=None,
                        help="synthetic rows to draw (default: as many as the clean table has)")
    parser.add_argument("-o", "--output", type=Path,
                        help="synthetic rows (default: TABLE's name with -synthetic.csv, in "
                        "the current folder); the model file and report go beside them")
    parser.add_argument("--out-format", choices=["csv", "tsv", "excel", "parquet"],
                        help="format of the rows (default: from the output's extension)")
    parser.add_argument("--model-file", type=Path,
                        help="model file (default: the rows' name with .dkm)")
    parser.add_argument("--report", type=Path,
                        help="HTML report (default: the rows' name with .html)")
    parser.add_argument("--no-report", action="store_true", help="write no report")
    parser.add_argument("-f", "--force", action="store_true",
                        help="replace existing output files")
    add_table_options(parser, policy="keep")
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
    group.add_argument("--holdout", type=share(0.05, 0.5), default=0.2,
                       help="share of rows set aside as test rows: they take no part in "
                       "fitting or choosing the model, and the report's figures are measured "
                       "on them (default: 0.2)")
    group.add_argument("--target", metavar="COLUMN",
                       help="a column to predict: the report adds train-on-synthetic, "
                       "test-on-real efficacy (R² or accuracy)")
    group.add_argument(
        "--given", nargs="+", metavar="COLUMN=VALUE",
        help="fix these columns and draw the others from the mixture's conditional "
        "distribution (implies --model gmm)",
    )
    add_seed(parser)


def _outputs(args: argparse.Namespace, source: Path) -> tuple[Path, Path, Path | None]:
    """Rows from -o (default: the current folder); the model and report beside the rows."""
    rows = args.output or Path(f"{strip_suffixes(source)}-synthetic.csv")
    model = args.model_file or derived_path(rows, MODEL_SUFFIX)
    report = None if args.no_report else (args.report or derived_path(rows, ".html"))
    outs = [p for p in (rows, model, report) if p is not None]
    if len({p.resolve() for p in outs}) != len(outs):
        raise UsageError("the rows, model file and report must go to different files")
    check_output(rows, inputs=[source], force=args.force, table_format=args.out_format)
    check_output(model, inputs=[source], force=args.force)
    if report is not None:
        check_output(report, inputs=[source], force=args.force)
    return rows, model, report


def run(args: argparse.Namespace) -> int:
    from ..persist import save

    source = open_table(args, "densitykit synth TABLE [options]")
    given = parse_given(args.given)
    family = _family(args.model, given)
    rows_path, model_path, report_path = _outputs(args, source)
    if report_path is not None:
        require_plotting("the report")
    seed = resolve_seed(args)
    synth, synthetic = _fit_and_sample(args, source, family, seed)
    meta = _metadata(args, source, synth, seed)
    outputs = {rows_path: lambda tmp: write_frame(args, synthetic, tmp, atomic=False,
                                                  like=synth.cleaning_),
               model_path: lambda tmp: save(synth, tmp, metadata=meta)}
    if report_path is not None:
        outputs[report_path] = _report_writer(args, synth, synthetic, seed)
    with progress(args, "Writing the outputs"):
        publish_all(outputs)
    print(f"{rows_path}: {len(synthetic):,} synthetic rows x {len(synth.columns_)} columns")
    print(f"{model_path}: {synth.describe()}")
    if report_path is not None:
        print(f"{report_path}: report (figures measured on {synth.n_test_:,} test rows)")
    return 0


def _family(model: str, given: dict[str, float | str]) -> str:
    """The --model family; --given needs a Gaussian mixture."""
    if not given:
        return model
    if model == "kde":
        raise UsageError("--given needs a Gaussian mixture; use --model gmm or auto")
    return "gmm"


def _fit_and_sample(args: argparse.Namespace, source: Path, family: str,
                    seed: int) -> tuple[Any, Any]:
    """Fit the Synthesizer on the table and draw the rows: (synthesizer, rows)."""
    from ..data import CleaningReport
    from ..exceptions import OutsideRangeWarning
    from ..synth import Synthesizer

    synth = Synthesizer(family, n_components=args.components, criterion=args.criterion,
                        test_size=args.holdout, target=args.target, random_state=seed)
    read: list[bool] = []

    def say(message: str | None = None) -> None:  # what was read, before the first candidate
        if not read:
            read.append(True)
            info(args, CleaningReport.from_dict(synth.cleaning_).to_text())
        if message is not None:
            info(args, "  " + message)

    with progress(args, "Choosing the model"):
        synth.fit(source, progress=say, **table_options(args))
    say()
    info(args, f"Fitted on {synth.n_train_:,} rows; {synth.n_test_:,} test rows set aside "
         f"to judge the synthetic ones. Chosen: {synth.describe()}.")
    n = args.n_samples or synth.n_rows_in_
    with relay_warnings(args, OutsideRangeWarning), progress(args, f"Sampling {n:,} rows"):
        given = synthesizer_given(args.given, synth)  # in the table's marks: 'temp=70,5'
        synthetic = synth.sample(n, random_state=seed, given=given or None)
    return synth, synthetic


def _report_writer(args: argparse.Namespace, synth: Any, synthetic: Any,
                   seed: int) -> Callable[[Path], Any]:
    """Evaluate the synthetic rows (one line per verdict) and return the report's writer."""
    from ..exceptions import OutsideRangeWarning

    with relay_warnings(args, OutsideRangeWarning), progress(args, "Evaluating the synthetic rows"):
        ev = synth.evaluate(synthetic=synthetic, random_state=seed)
    for v in ev.verdicts():
        info(args, f"  {v.level:>4}  {v.metric}: {v.value}")
    return lambda tmp: synth.report(tmp, synthetic=synthetic, evaluation=ev, random_state=seed)


def _metadata(args: argparse.Namespace, source: Path, synth: object, seed: int) -> dict:
    """What 'info' and 'score' read: the source, the seed, the training rows' scores."""
    train = synth.split_rows()[0]
    return {"command": "synth", "source": source.name, "seed": seed,
            "train_loglik": synth.score_samples(train), "argv": list(getattr(args, "argv", []))}
