"""``densitykit fit TABLE``: read and clean a table, fit a density, save a model file."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import (
    MODEL_SUFFIX,
    add_output,
    add_seed,
    add_table_options,
    check_input,
    check_output,
    derived_path,
    info,
    progress,
    read_input_table,
    recover_table_argument,
    resolve_seed,
)
from ._models import (
    add_model_options,
    build_density,
    candidate_columns,
    describe,
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


def fit_table_model(args: argparse.Namespace, table: object, seed: int) -> tuple[object, object]:
    """Fit a TableModel from the model options; return (model, selection table or None)."""
    from ..preprocess import TableModel

    density, is_selection = build_density(args, seed)
    model = TableModel(density, transform=transform_arg(args), clip=args.clip,
                       round_integers=not args.no_round)
    label = "Comparing candidates" if is_selection else f"Fitting {args.model}"
    with progress(args, label):
        model.fit(table.data)
    return model, selection_table(model)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..persist import save

    recover_table_argument(args, "densitykit fit TABLE [options]")
    source = check_input(args.table, "table")
    output = check_output(args.output or derived_path(source, MODEL_SUFFIX),
                          inputs=[source], force=args.force)
    seed = resolve_seed(args)
    table = read_input_table(args, source)
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
