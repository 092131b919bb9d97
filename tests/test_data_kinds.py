"""read_table on columns that are not what they look like: times without dates, durations."""

from __future__ import annotations

import numpy as np
import pandas as pd

from densitykit import read_table


def test_times_without_a_date_are_not_read_as_todays_dates(tmp_path):
    n = 60
    path = tmp_path / "log.csv"
    pd.DataFrame({
        "day": pd.date_range("2024-03-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "clock": [f"{i % 24:02d}:{i % 60:02d}:10" for i in range(n)],
        "x": np.arange(n) / 4,
    }).to_csv(path, index=False)
    table = read_table(path)
    assert table.report.index_column == "day"
    assert "times of day" in table.report.dropped_columns["clock"]
    mixed = read_table(path, kinds="mixed", policy="keep")
    assert mixed.report.column_kinds.get("clock") != "datetime"
    assert mixed.report.column_kinds["day"] == "datetime"
    assert "clock" not in mixed.data.select_dtypes("datetime").columns


def test_a_timedelta_column_is_left_out_with_its_reason():
    df = pd.DataFrame({"x": np.arange(40.0),
                       "took": pd.to_timedelta(np.arange(40) * 7, unit="s")})
    for kinds in ("numeric", "mixed"):
        table = read_table(df, kinds=kinds, policy="keep")
        assert list(table.data.columns) == ["x"]
        assert "durations" in table.report.dropped_columns["took"]
