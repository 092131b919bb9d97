"""Bundled data sets: the Dow distillation-column table and the 8x8 digits.

The Dow table ships inside the package as ``data/dow_impurity_validation.csv.gz``, a
lossless CSV conversion of the ``dow_impurity_validation.xlsx`` workbook (5,959 rows x 46
columns: a date, 40 process inputs ``x1`` ... ``x40``, then three outputs and two ratios).

Examples
--------
>>> dow = load_dow()
>>> dow.data.shape
(5668, 40)
>>> dow.report.n_rows_in
5959
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["DOW_TARGET", "dow_path", "load_digits", "load_dow"]

_DATA = Path(__file__).resolve().parent / "data"

#: the column the chapter predicts
DOW_TARGET = "y:Impurity"


def dow_path() -> Path:
    """Path of the bundled Dow table (gzip-compressed CSV)."""
    return _DATA / "dow_impurity_validation.csv.gz"


def load_dow(*, policy: str = "drop-rows", raw: bool = False) -> Any:
    """Load the Dow process table, cleaned by the chapter's rule.

    The chapter keeps the rows whose every non-date cell is a real, finite number and uses
    all but the last five columns as inputs: 5,959 rows in, 5,668 x 40 inputs out.

    Parameters
    ----------
    policy : {'drop-rows', 'drop-columns', 'error'}, default='drop-rows'
        Passed to :func:`densitykit.read_table`.
    raw : bool, default=False
        Return the table exactly as stored (text cells and all) instead of the bunch.

    Returns
    -------
    sklearn.utils.Bunch or pandas.DataFrame
        ``data`` (inputs, float frame indexed by date), ``target`` (``y:Impurity`` for the
        same rows), ``outputs`` (the five non-input columns), ``report`` (the cleaning
        report), ``feature_names``, ``target_name`` and ``path``.
    """
    import pandas as pd
    from sklearn.utils import Bunch

    from ..data import read_table

    path = dow_path()
    if raw:
        return pd.read_csv(path)
    table = read_table(path, exclude="-5:", policy=policy, check="all")
    outputs = read_table(path, columns="-5:", policy=policy, check="all").data
    return Bunch(
        data=table.data,
        target=outputs[DOW_TARGET] if DOW_TARGET in outputs else None,
        outputs=outputs,
        report=table.report,
        feature_names=list(table.data.columns),
        target_name=DOW_TARGET,
        path=path,
    )


def load_digits(**kwargs: Any) -> Any:
    """Load the 8x8 digits (1,797 images, 64 pixel features) from scikit-learn.

    Keyword arguments are passed to :func:`sklearn.datasets.load_digits`.

    Examples
    --------
    >>> load_digits().data.shape
    (1797, 64)
    """
    from sklearn.datasets import load_digits as _load

    return _load(**kwargs)
