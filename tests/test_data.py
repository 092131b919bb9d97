"""Reading and cleaning tables, and the bundled data sets."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from densitykit.data import (
    CleaningReport,
    infer_format,
    read_table,
    select_columns,
    write_table,
)
from densitykit.datasets import dow_path, load_digits, load_dow
from densitykit.exceptions import DataError, ParameterError

XLSX = Path("/work/shared/data/dow_impurity_validation.xlsx")


def _messy() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stamp": pd.date_range("2021-01-01", periods=6, freq="h").astype(str),
            "a": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0],
            "b": ["1", "2", "3", "!", "5", "6"],
            "c": [1.0, np.inf, 3.0, 4.0, 5.0, 6.0],
            "d": [0.5, 1.5, 2.5, 3.5, 4.5, 5.5],
            "name": list("uvwxyz"),
        }
    )


def _csv(df: pd.DataFrame, tmp_path: Path, name: str = "t.csv") -> Path:
    path = tmp_path / name
    df.to_csv(path, index=False)
    return path


# --- the real Dow table --------------------------------------------------------------


def test_dow_chapter_rule_counts():
    dow = load_dow()
    assert dow.report.n_rows_in == 5959
    assert dow.report.n_columns_in == 46
    assert dow.data.shape == (5668, 40)
    assert dow.report.n_rows_dropped == 5959 - 5668
    assert dow.report.index_column == "Date"
    assert dow.data.columns[0].startswith("x1:") and dow.data.columns[-1].startswith("x40:")
    assert dow.target.shape == (5668,)
    assert np.isfinite(dow.data.to_numpy()).all()
    assert dow.data.dtypes.eq(np.float64).all()


def test_dow_report_finds_the_bang():
    report = load_dow().report
    by_col = {i.column: i for i in report.issues}
    x37 = by_col["x37: Feed Column Tails Flow to Primary Column"]
    assert x37.n_text > 0 and x37.examples == ["!"]
    assert x37.n_empty > 0
    assert all(i.n_text == 0 for c, i in by_col.items() if not c.startswith("x37"))
    text = report.to_text(max_columns=100)
    assert "5959 rows" in text and "Kept 5668 rows x 40 columns" in text
    assert "'!'" in text and "dropped 291 row(s)" in text


def test_dow_selected_scope_keeps_more_rows():
    # bad cells only in the excluded output columns no longer drop a row
    table = read_table(dow_path(), exclude="-5:")
    assert table.data.shape == (5735, 40)


@pytest.mark.skipif(not XLSX.exists(), reason="the Excel original is not on this machine")
def test_shipped_csv_is_lossless_conversion_of_excel():
    pytest.importorskip("openpyxl")
    xl = pd.read_excel(XLSX, engine="openpyxl")
    csv = pd.read_csv(dow_path())
    assert list(xl.columns) == list(csv.columns)
    assert xl.shape == csv.shape == (5959, 46)
    for col in xl.columns[1:]:
        a = pd.to_numeric(xl[col], errors="coerce").to_numpy(dtype=float)
        b = pd.to_numeric(csv[col], errors="coerce").to_numpy(dtype=float)
        np.testing.assert_array_equal(a, b)  # bit-exact, NaN where text or empty
        assert (xl[col].astype(str) == "!").sum() == (csv[col].astype(str) == "!").sum()
    # and reading the Excel original gives the same clean table
    t_xl = read_table(XLSX, exclude="-5:", check="all")
    t_csv = read_table(dow_path(), exclude="-5:", check="all")
    pd.testing.assert_frame_equal(t_xl.data, t_csv.data, check_index_type=False)


def test_load_digits():
    d = load_digits()
    assert d.data.shape == (1797, 64)


# --- policies and the report -------------------------------------------------------


def test_drop_rows_policy(tmp_path):
    t = read_table(_csv(_messy(), tmp_path))
    assert t.report.index_column == "stamp"
    assert list(t.data.columns) == ["a", "b", "c", "d"]
    assert t.report.dropped_columns == {"name": "not numeric"}
    assert len(t.data) == 3  # rows 1 (inf), 2 (empty), 3 ('!') go
    np.testing.assert_array_equal(t.data["a"], [1.0, 5.0, 6.0])
    issues = {i.column: i for i in t.report.issues}
    assert issues["a"].n_empty == 1 and issues["a"].first_rows == [2]
    assert issues["b"].n_text == 1 and issues["b"].examples == ["!"]
    assert issues["c"].n_inf == 1
    assert "d" not in issues
    assert isinstance(t.data.index, pd.DatetimeIndex)


def test_drop_columns_policy(tmp_path):
    t = read_table(_csv(_messy(), tmp_path), policy="drop-columns")
    assert list(t.data.columns) == ["d"] and len(t.data) == 6
    assert t.report.dropped_columns["b"] == "bad cells"


def test_error_policy_names_the_cell(tmp_path):
    with pytest.raises(DataError, match=r"bad cells.*'a'.*1 empty"):
        read_table(_csv(_messy(), tmp_path), policy="error")
    clean = _messy()[["d"]]
    assert read_table(clean, policy="error").data.shape == (6, 1)


def test_unknown_policy_lists_options(tmp_path):
    with pytest.raises(DataError, match="'drop-rows', 'drop-columns', 'error'"):
        read_table(_messy(), policy="impute")


def test_infinity_text_and_whitespace_are_bad(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\ninf,3\n-Infinity,4\n  ,5\n6,7\n")
    t = read_table(path)
    np.testing.assert_array_equal(t.data["a"], [1.0, 6.0])
    issue = t.report.issues[0]
    assert issue.n_inf == 2 and issue.n_empty == 1


def test_missing_value_words_count_as_empty():
    df = pd.DataFrame({"a": ["1", "NaN", "null", "N/A", "5", "?"]}, dtype=object)
    issue = read_table(df).report.issues[0]
    assert (issue.n_empty, issue.n_text, issue.examples) == (3, 1, ["?"])


def test_report_round_trip_and_text(tmp_path):
    t = read_table(_csv(_messy(), tmp_path))
    again = CleaningReport.from_dict(t.report.to_dict())
    assert again == t.report
    assert str(again) == t.report.to_text()
    import json

    json.dumps(t.report.to_dict())  # JSON-ready


def test_reprs_are_the_summary_not_every_field(tmp_path):
    """In a notebook a table and its report show the readable summary (the dataclass repr
    printed every field: thousands of characters for a wide table)."""
    t = read_table(_csv(_messy(), tmp_path))
    assert repr(t.report) == t.report.to_text()
    rows, cols = t.data.shape
    assert repr(t).splitlines()[0] == f"Table: {rows} rows x {cols} columns (.data, .report)"
    assert repr(t).endswith(t.report.to_text())


def test_unpacks_as_pair():
    data, report = read_table(pd.DataFrame({"a": [1.0, 2.0]}))
    assert data.shape == (2, 1) and report.n_rows_out == 2


# --- column selection --------------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "exclude", "expected"),
    [
        (None, None, ["d", "x1", "x2", "x10", "y"]),
        (["x*"], None, ["x1", "x2", "x10"]),
        ("1:4", None, ["x1", "x2", "x10"]),
        ("1-3", None, ["x1", "x2", "x10"]),
        (None, "-2:", ["d", "x1", "x2"]),
        (None, ["d", "y"], ["x1", "x2", "x10"]),
        ([4, "x1"], None, ["x1", "y"]),
        ("x?", "x2", ["x1"]),
        (slice(0, 2), None, ["d", "x1"]),
    ],
)
def test_select_columns(columns, exclude, expected):
    names = ["d", "x1", "x2", "x10", "y"]
    assert select_columns(names, columns, exclude) == expected


def test_select_columns_errors():
    names = ["alpha", "beta"]
    with pytest.raises(ParameterError, match="Did you mean 'alpha'"):
        select_columns(names, ["alpah"])
    with pytest.raises(ParameterError, match="out of range"):
        select_columns(names, [5])
    with pytest.raises(ParameterError, match="matches no column"):
        select_columns(names, ["z*"])


def test_read_table_selection_keeps_index(tmp_path):
    t = read_table(_csv(_messy(), tmp_path), columns=["d", "a"])
    assert list(t.data.columns) == ["a", "d"]  # table order
    assert t.report.index_column == "stamp" and len(t.data) == 5


def test_check_all_drops_rows_for_unselected_columns(tmp_path):
    path = _csv(_messy(), tmp_path)
    assert len(read_table(path, columns="d").data) == 6
    assert len(read_table(path, columns="d", check="all").data) == 3


def test_explicit_and_no_index(tmp_path):
    df = pd.DataFrame({"k": [3.0, 4.0], "v": [1.0, 2.0]})
    t = read_table(df, index="k")
    assert list(t.data.columns) == ["v"] and t.data.index.name == "k"
    t = read_table(_csv(_messy(), tmp_path), index=None)
    assert "stamp" in t.report.dropped_columns
    assert t.report.dropped_columns["stamp"] == "date/time"


# --- formats ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["t.csv", "t.tsv", "t.xlsx", "t.parquet", "t.csv.gz"])
def test_formats_round_trip(tmp_path, name):
    if name.endswith("xlsx"):
        pytest.importorskip("openpyxl")
    if name.endswith("parquet"):
        pytest.importorskip("pyarrow")
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(7, 3)) * 1e3, columns=["p", "q", "r"])
    df.index = pd.Index(pd.date_range("2022-01-01", periods=7, freq="D"), name="day")
    write_table(df, tmp_path / name)
    t = read_table(tmp_path / name)
    if name.endswith("xlsx"):  # Excel keeps 15 significant digits
        np.testing.assert_allclose(t.data.to_numpy(), df.to_numpy(), rtol=1e-14)
    else:
        np.testing.assert_array_equal(t.data.to_numpy(), df.to_numpy())
    assert list(t.data.columns) == ["p", "q", "r"]
    assert t.report.index_column == "day"


def test_format_override_and_unknown(tmp_path):
    path = tmp_path / "t.dat"
    path.write_text("a;b\n1;2\n3;4\n")
    with pytest.raises(DataError, match="Cannot tell the format"):
        read_table(path)
    t = read_table(path, format="csv", sep=";")
    assert t.data.shape == (2, 2)
    assert infer_format("x.TSV") == "tsv"
    with pytest.raises(ParameterError, match="valid options are 'csv'"):
        infer_format("x.csv", "json")


def test_bad_separator_or_decimal_mark_is_a_parameter_error():
    data = io.StringIO("a,b\n1,2\n")
    for kwargs in ({"sep": ".."}, {"decimal": ";"}, {"sep": ",", "decimal": ","}):
        with pytest.raises(ParameterError, match=r"sep|decimal"):
            read_table(data, **kwargs)


def test_stream_input():
    t = read_table(io.StringIO("a,b\n1,2\n3,4\n"))
    assert t.data.shape == (2, 2)


# --- bad files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("a,b,c\n", "no data rows"),
        ("a,b\nx,y\nz,w\n", "no numeric column"),
        ("a,b\n1,\n,2\n", "no row is left"),
        ("\n\n\n", "no table"),
    ],
)
def test_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        read_table(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="directory"):
        read_table(tmp_path)


def test_corrupt_excel_and_parquet(tmp_path):
    for name in ("bad.xlsx", "bad.parquet"):
        path = tmp_path / name
        path.write_bytes(b"this is not that format at all" * 10)
        with pytest.raises(DataError, match="Cannot read"):
            read_table(path)


def test_duplicate_columns_rejected(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("a,b\n1,2\n")
    df = pd.DataFrame([[1.0, 2.0]], columns=["a", "a"])
    with pytest.raises(DataError, match="duplicate column"):
        read_table(df)


def test_single_row_is_read():
    t = read_table(pd.DataFrame({"a": [1.0], "b": [2.0]}))
    assert t.data.shape == (1, 2)


# --- properties ----------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_CELL = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "!", "n/a", "NaN", "inf", "-inf", "  ", "1e3", "abc"]),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(_CELL, min_size=3, max_size=3), min_size=1, max_size=12),
       st.sampled_from(["drop-rows", "drop-columns"]))
def test_cleaning_matches_brute_force(rows, policy):
    df = pd.DataFrame(rows, columns=["a", "b", "c"], dtype=object)

    def ok(v):
        try:
            return np.isfinite(float(str(v).strip()))
        except ValueError:
            return False

    def number(v):
        try:
            float(str(v).strip())
            return True
        except ValueError:
            return False

    good = df.map(ok).to_numpy()
    na = {"", "nan", "n/a"}
    filled = (~df.astype(str).apply(lambda c: c.str.strip().str.lower()).isin(na)).to_numpy()
    text = (filled & ~df.map(number).to_numpy()).sum(axis=0)
    numeric_cols = [c for j, c in enumerate(df.columns)
                    if filled[:, j].any() and text[j] <= 0.5 * filled[:, j].sum()]
    try:
        t = read_table(df, policy=policy)
    except DataError:
        return  # nothing usable is left: an error, never a silent empty table
    assert np.isfinite(t.to_numpy()).all()
    assert set(t.columns) <= set(numeric_cols)
    if policy == "drop-rows":
        assert list(t.columns) == numeric_cols
    if policy == "drop-rows":
        keep = good[:, [list(df.columns).index(c) for c in t.columns]].all(axis=1)
        assert len(t.data) == keep.sum() == t.report.n_rows_out
        assert t.report.n_rows_dropped == len(df) - keep.sum()
        np.testing.assert_array_equal(t.rows, np.flatnonzero(keep))
    else:
        assert len(t.data) == len(df)
        assert all(good[:, list(df.columns).index(c)].all() for c in t.columns)


def test_excel_gets_time_zone_aware_dates_as_wall_clock_times(tmp_path):
    pytest.importorskip("openpyxl")
    when = pd.date_range("2024-03-30 22:00", periods=4, freq="h", tz="Europe/Berlin")
    df = pd.DataFrame({"when": when, "x": [1.5, 2.5, 3.5, 4.5]})
    write_table(df, tmp_path / "t.xlsx")
    back = pd.read_excel(tmp_path / "t.xlsx", engine="openpyxl")
    assert back["when"].tolist() == when.tz_localize(None).tolist()
    assert str(df["when"].dt.tz) == "Europe/Berlin"  # the caller's frame is unchanged
    indexed = df.set_index("when")
    write_table(indexed, tmp_path / "i.xlsx")
    assert read_table(tmp_path / "i.xlsx").report.index_column == "when"


def test_keep_policy_on_columns_with_empty_infinite_and_text_cells(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1.5,2\n,3\ninf,4\n6.5,7\n")
    frame = pd.DataFrame({"a": [1.5, np.nan, np.inf, 6.5], "b": [2.0, 3.0, 4.0, 7.0]})
    text = pd.DataFrame({"a": ["1.5", "", "!", "6.5"], "b": [2.0, 3.0, 4.0, 7.0]})
    for source in (path, frame, text, text.astype({"a": "string"})):
        t = read_table(source, policy="keep")
        np.testing.assert_array_equal(t.data["a"], [1.5, np.nan, np.nan, 6.5])
    assert np.isinf(frame["a"][2])  # the caller's frame is left as it was


def test_excel_sheets_by_name_and_number_and_a_missing_one(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"a": [1.0, 2.0, 3.0]}).to_excel(book, sheet_name="plant", index=False)
        pd.DataFrame({"b": [4.0, 5.0, 6.0]}).to_excel(book, sheet_name="lab", index=False)
    assert list(read_table(path).data.columns) == ["a"]
    assert list(read_table(path, sheet="lab").data.columns) == ["b"]
    assert list(read_table(path, sheet=1).data.columns) == ["b"]
    for sheet in ("nope", 2):
        with pytest.raises(DataError, match="sheets are 'plant' and 'lab'"):
            read_table(path, sheet=sheet)
