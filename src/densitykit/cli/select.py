"""``densitykit select TABLE``: compare candidate models, print the table, plot the curve."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import (
    UsageError,
    add_force,
    add_seed,
    add_table_options,
    atomic_write,
    check_output,
    derived_path,
    info,
    open_table,
    progress,
    read_input_table,
    resolve_seed,
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

HELP = "compare candidate models on a table; print the table and plot the criterion"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("table", type=Path, nargs="?", help="CSV, TSV, Excel or Parquet file")
    parser.add_argument("--plot", type=Path, default=None,
                        help="criterion plot (default: TABLE's name with -selection.png)")
    parser.add_argument("--no-plot", action="store_true", help="do not draw the plot")
    parser.add_argument("--results", type=Path, default=None,
                        help="also write the candidate table to this CSV file")
    parser.add_argument("-o", "--output", type=Path, default=None,
                        help="also save the chosen model to this model file")
    add_force(parser)
    add_table_options(parser)
    add_model_options(parser)
    add_seed(parser)


def _save_plot(args: argparse.Namespace, selector: object, path: Path) -> None:
    from .._validation import require

    require("matplotlib", "plot", "Drawing the criterion plot")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, _ = selector.plot()
    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=120, bbox_inches="tight",
                                                   format=path.suffix.lstrip(".") or "png"))
    finally:
        plt.close(fig)


def _check_outputs(args: argparse.Namespace, source: Path) -> Path | None:
    """Check --plot, --results and --output, which must name different files; return the
    plot's path (None with --no-plot)."""
    plot = None if args.no_plot else (args.plot or derived_path(source, ".png", "-selection"))
    named = {"--plot": plot, "--results": args.results, "--output": args.output}
    outputs = {k: p for k, p in named.items() if p is not None}
    seen: dict[Path, str] = {}
    for option, path in outputs.items():
        key = path.resolve()
        if key in seen:
            raise UsageError(f"{seen[key]} and {option} both name {path}; give each output its "
                             "own file")
        seen[key] = option
    for path in outputs.values():
        check_output(path, inputs=[source], force=args.force)
    return plot


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..persist import save
    from ..preprocess import TableModel

    source = open_table(args, "densitykit select TABLE [options]")
    plot = _check_outputs(args, source)
    seed = resolve_seed(args)
    table = read_input_table(args, source)
    density, _ = build_density(args, seed, force_selection=True, n_rows=len(table.data),
                               n_cols=table.data.shape[1])
    refuse_empty_cells(args, table.data)
    model = TableModel(density, column_transform=transform_arg(args), clip=args.clip,
                       round_integers=not args.no_round,
                       round_decimals=not args.no_round)
    with progress(args, "Comparing candidates"):
        model.fit(table.data)
    selector = model.density_
    if plot is not None:
        _save_plot(args, selector, plot)
    results = selection_table(model)
    extra = ("aic", "train_loglik", "heldout_loglik_se", "converged")
    if "error" in results.columns and results["error"].notna().any():
        extra = (*extra, "error")
    show = candidate_columns(results, extra)
    print(results[show].to_string(index=False))
    info(args, "(criteria are computed on the transformed columns; log-likelihoods per row)")
    if args.results is not None:
        atomic_write(args.results, lambda tmp: results.to_csv(tmp, index=False))
    chosen = describe(model)
    if args.output is not None:
        loglik = model.score_samples(table.data)
        save(model, args.output, metadata={
            "command": "select", "source": source.name, "columns": list(model.columns_),
            "index_column": table.report.index_column, "n_rows": len(table.data),
            "seed": seed, "cleaning": table.report.to_dict(), "train_loglik": np.sort(loglik),
            "selection": results,
        })
    print(f"chosen by {args.criterion}: {chosen}"
          + (f"; plot {plot}" if plot is not None else "")
          + (f"; model {args.output}" if args.output is not None else ""))
    return 0

