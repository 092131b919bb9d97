"""``densitykit report REAL SYNTH [--model FILE]``: the fidelity report of a synthetic table.

Compares the synthetic rows with the real table and writes one self-contained HTML file
(``<SYNTH's name>-report.html`` by default). With the model file written by
``densitykit synth``, the report also shows the model choice, the fitted densities and the
mixture components, and judges the synthetic rows against the same held-out real rows.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import (
    UsageError,
    add_table_options,
    atomic_write,
    check_input,
    check_output,
    derived_path,
    info,
    load_model,
    model_columns,
    progress,
    read_input_table,
)

HELP = "write the HTML fidelity and privacy report of a synthetic table"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("real", type=Path, nargs="?", help="the real table")
    parser.add_argument("synthetic", type=Path, nargs="?", help="the synthetic table")
    parser.add_argument("--model", type=Path, dest="model_file",
                        help="model file of the synthetic rows (from 'densitykit synth' or "
                        "'densitykit fit')")
    parser.add_argument("-o", "--output", type=Path,
                        help="HTML report (default: SYNTH's name with -report.html)")
    parser.add_argument("-f", "--force", action="store_true",
                        help="replace an existing report")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the subsampling and of the detection test (default: 0)")
    add_table_options(parser)


def _split(args: argparse.Namespace, data: object, meta: dict) -> tuple[object, object | None]:
    """The fit/held-out split that 'densitykit synth' used, when it can be rebuilt."""
    import numpy as np

    share, seed = meta.get("holdout"), meta.get("seed")
    if meta.get("command") != "synth" or share is None or seed is None:
        return data, None
    n_hold = max(2, round(float(share) * len(data)))
    if len(data) - n_hold != int(meta.get("n_rows", -1)):
        info(args, "The real table differs from the one the model was fitted on: comparing "
             "with all of its rows.")
        return data, None
    perm = np.random.default_rng(int(seed)).permutation(len(data))
    return data.iloc[np.sort(perm[n_hold:])], data.iloc[np.sort(perm[:n_hold])]


def run(args: argparse.Namespace) -> int:
    from ..data import CleaningReport, read_table
    from ..report import write_report

    if args.real is None or args.synthetic is None:
        raise UsageError("densitykit report REAL SYNTH [--model FILE]: both tables are needed")
    real_path = check_input(args.real, "real table")
    synth_path = check_input(args.synthetic, "synthetic table")
    inputs = [real_path, synth_path] + ([args.model_file] if args.model_file else [])
    output = check_output(args.output or derived_path(synth_path, ".html", "-report"),
                          inputs=inputs, force=args.force)
    model, meta = None, {}
    if args.model_file is not None:
        model, meta = load_model(args.model_file)
        meta = meta or {}
    columns = meta.get("columns") or (model_columns(model) if model is not None else None)
    real_table = read_input_table(args, real_path, columns=columns or None)
    real = real_table.data
    with progress(args, f"Reading {synth_path.name}"):
        synth = read_table(synth_path, columns=list(real.columns), index=False).data
    cleaning = real_table.report
    if isinstance(meta.get("cleaning"), dict):
        cleaning = CleaningReport.from_dict(meta["cleaning"])
    train, hold = _split(args, real, meta)
    if model is not None and isinstance(meta.get("synth"), dict):
        from ..synth import SynthModel

        model = SynthModel.from_metadata(model, meta["synth"])
    with progress(args, "Evaluating and drawing the report"):
        atomic_write(output, lambda tmp: write_report(
            tmp, train, synth, holdout=hold, model=model, cleaning=cleaning,
            title=f"Synthetic {synth_path.name} vs {real_path.name}", random_state=args.seed))
    print(f"{output}: report on {len(synth):,} synthetic rows x {synth.shape[1]} columns")
    return 0
