"""``densitykit sample MODEL``: draw synthetic rows, optionally given some column values."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._common import (
    UsageError,
    add_output,
    add_seed,
    info,
    model_columns,
    numeric_given,
    open_model,
    parse_given,
    progress,
    recover_model_argument,
    relay_warnings,
    resolve_seed,
    row_count,
    synthesizer_given,
    write_frame,
)

HELP = "draw synthetic rows from a model file"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, nargs="?",
                        help="model file written by 'densitykit fit'")
    parser.add_argument("-n", "--n-samples", type=row_count, default=None,
                        help="rows to draw (default: as many as the model was fitted on, "
                        "or 1000)")
    parser.add_argument(
        "--given", nargs="+", metavar="COLUMN=VALUE",
        help="fix these columns and draw the others from the conditional distribution "
        "(Gaussian mixtures); a synthesizer's model also takes a category, boolean or date "
        "(grade=B)",
    )
    add_output(parser, "CSV, TSV, Excel or Parquet file for the rows",
               "MODEL's name with -samples.csv")
    parser.add_argument("--out-format", choices=["csv", "tsv", "excel", "parquet"],
                        help="output format (default: from the output's extension)")
    add_seed(parser)


def _conditional(model: object, given: dict[str, float]) -> object:
    """A model of the other columns given ``given`` (table names, table units)."""
    from ..exceptions import DataError, ParameterError

    if hasattr(model, "condition") and hasattr(model, "columns_"):
        return model.condition(given)
    if not hasattr(model, "condition"):
        raise DataError(f"--given needs a Gaussian mixture; this model is a "
                        f"{type(model).__name__}")
    cols = model_columns(model)
    missing = [c for c in given if c not in cols]
    if missing:
        raise ParameterError(f"unknown column(s) {missing} in --given; the model's columns are "
                             f"{cols[:6]}")
    return model.condition([cols.index(c) for c in given], list(given.values()))


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..synth import Synthesizer

    recover_model_argument(args, "densitykit sample MODEL [options]")
    model, meta, output = open_model(args, "-samples")
    like = getattr(model, "cleaning_", None) or meta.get("cleaning")  # the table's marks
    given = parse_given(args.given, like=like)
    n = args.n_samples or int(meta.get("n_rows") or 1000)
    seed = resolve_seed(args)
    columns = model_columns(model)
    if given and len(given) >= len(columns):
        raise UsageError("--given fixes every column; leave at least one to draw")
    if isinstance(model, Synthesizer):
        n = args.n_samples or model.n_rows_in_
        given = synthesizer_given(args.given, model, like)
    rows = _whole_numbers(model, _draw(args, model, columns, given, n, seed))
    write_frame(args, rows, output, like=like)
    what = " given " + ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                                 for k, v in given.items()) if given else ""
    numbers = rows.select_dtypes("number")
    info(args, f"mean of drawn rows: {np.round(numbers.mean().to_numpy()[:6], 4).tolist()}"
               f"{' ...' if numbers.shape[1] > 6 else ''}")
    print(f"{output}: {n} rows x {rows.shape[1]} columns{what}")
    return 0


def _draw(args: argparse.Namespace, model: object, columns: list[str],
          given: dict[str, float | str], n: int, seed: int) -> Any:
    """``n`` rows from the model (given ``given``), as a frame of its ``columns``."""
    import pandas as pd

    from ..density import draw_rows
    from ..exceptions import OutsideRangeWarning
    from ..synth import Synthesizer

    synth = isinstance(model, Synthesizer)
    with relay_warnings(args, OutsideRangeWarning):
        target = model if synth or not given else _conditional(model, numeric_given(given))
        with progress(args, f"Drawing {n} rows"):
            if synth:  # exactly the rows Synthesizer.sample(n, random_state=seed) gives
                rows = model.sample(n, random_state=seed, given=given or None)
            elif hasattr(target, "columns_"):
                rows = target.sample(n, random_state=seed)
            else:
                rows = pd.DataFrame(draw_rows(target, n, seed),
                                    columns=[c for c in columns if c not in given])
    if synth:  # every column in order (its labels), the given ones in their dtypes
        return rows
    for name, value in given.items():
        rows[name] = value
    return rows[[c for c in columns if c in rows.columns]]


def _whole_numbers(model: object, rows: Any) -> Any:
    """``rows`` with a TableModel's rounded integer columns as integers (written without
    ``.0``): the values of ``TableModel.sample``, which keeps them in float64."""
    import numpy as np

    from ..preprocess import TableModel

    if not isinstance(model, TableModel) or not model.round_integers:
        return rows
    for name, whole in zip(model.columns_, model.integer_columns_):
        x = rows[name].to_numpy(dtype=np.float64) if whole and name in rows else None
        if x is not None and np.all(np.abs(x) <= 2.0**53) and np.all(x == np.round(x)):
            rows[name] = x.astype(np.int64)  # NaN fails the tests above: no empty cell
    return rows
