"""``densitykit score MODEL TABLE``: log-likelihood of every row, and outlier flags.

Each line of the output names its row of TABLE (``row``, from 1) and the row's cells of the
columns the model's fit left out as identifiers (``SampleID``), as the table writes them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import (
    add_output,
    add_table_options,
    info,
    model_columns,
    model_policy,
    open_model,
    progress,
    read_model_columns,
    relay_warnings,
    share,
    with_identifiers,
    write_frame,
)

HELP = "score the rows of a table under a model; flag outliers"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, help="model file written by 'densitykit fit'")
    parser.add_argument("table", type=Path, help="table holding the model's columns")
    parser.add_argument(
        "--outlier-quantile", type=share(), default=0.01, metavar="Q",
        help="flag rows whose log-likelihood is below this quantile of the training rows' "
        "log-likelihoods (default: 0.01)",
    )
    add_output(parser, "table of scores", "TABLE's name with -scores.csv")
    parser.add_argument("--out-format", choices=["csv", "tsv", "excel", "parquet"],
                        help="output format (default: from the output's extension)")
    add_table_options(parser, columns=False, policy=None)


def run(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    from .._columns import date_formats_of
    from ..exceptions import OutsideRangeWarning
    from ..synth import Synthesizer

    model, meta, output = open_model(args, "-scores", args.table)
    columns = model_columns(model)
    advice = "; score a table with the columns the model was fitted on"
    args.policy = model_policy(args, model)
    # a synthesizer's rows hold every kind of column, as its fit read them (dates in the
    # forms its table wrote them in, as synth and sample write them)
    kinds = {"kinds": "mixed", "index": False, "date_formats": date_formats_of(model)
             } if isinstance(model, Synthesizer) else {}
    table, _ = read_model_columns(args, args.table, columns, advice, **kinds)
    with relay_warnings(args, OutsideRangeWarning), progress(
            args, f"Scoring {len(table.data)} rows"):
        loglik = model.score_samples(table.data[columns])
    train = meta.get("train_loglik")
    reference = "training rows"
    if train is None or len(np.atleast_1d(train)) == 0:
        train, reference = loglik, "scored rows"
    threshold = float(np.quantile(np.asarray(train, dtype=float), args.outlier_quantile))
    out = pd.DataFrame({"row": table.rows + 1 if table.rows is not None else
                        np.arange(1, len(loglik) + 1),
                        "log_likelihood": loglik, "outlier": loglik < threshold},
                       index=table.data.index)
    out = with_identifiers(args, args.table, model, meta, out, table.rows)
    write_frame(args, out, output, like=table.report)
    info(args, f"threshold: log-likelihood {threshold:.4g} (the {args.outlier_quantile:g} "
               f"quantile of the {reference})")
    print(f"{output}: {len(out)} rows scored, mean log-likelihood {np.mean(loglik):.4g}, "
          f"{int(out['outlier'].sum())} outlier(s)")
    return 0
