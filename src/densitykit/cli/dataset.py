"""``densitykit dataset NAME -o FILE``: write a bundled example table to a file.

``dow`` is the Dow process table as shipped (5,959 hourly rows: a date, 40 inputs, 5
outputs, some cells empty or text); ``digits`` is scikit-learn's 8x8 digits as a table of 64
pixel columns and a ``digit`` label column. Both are on disk: nothing is downloaded.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import add_output, output_path, write_frame

HELP = "write a bundled example table (the Dow process data or the digits) to a file"

DATASETS = {
    "dow": "the Dow process table as shipped: date, 40 inputs, 5 outputs, messy cells",
    "digits": "scikit-learn's 8x8 digits: 64 pixel columns and the 'digit' label",
}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=list(DATASETS),
                        help="; ".join(f"{k}: {v}" for k, v in DATASETS.items()))
    add_output(parser, "CSV, TSV, Excel or Parquet file", "NAME.csv in the current folder")
    parser.add_argument("--out-format", choices=["csv", "tsv", "excel", "parquet"],
                        help="output format (default: from the output's extension)")


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..datasets import load_digits, load_dow

    output = output_path(args, Path(f"{args.name}.csv"), table=True)
    if args.name == "dow":
        frame = load_dow(raw=True)
    else:
        digits = load_digits()
        frame = pd.DataFrame(digits.data.astype(int),
                             columns=[f"pixel{j}" for j in range(digits.data.shape[1])])
        frame["digit"] = digits.target
    write_frame(args, frame, output)
    print(f"{output}: {len(frame):,} rows x {frame.shape[1]} columns ({DATASETS[args.name]})")
    return 0
