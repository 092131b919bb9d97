"""read_table on what real files hold: times without dates, durations, Windows encodings."""

from __future__ import annotations

import importlib.util
import io

import numpy as np
import pandas as pd
import pytest

from densitykit import read_table, write_table
from densitykit.data import CleaningReport


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
    hours = [i % 24 + (i % 60) / 60 + 10 / 3600 for i in range(n)]
    np.testing.assert_allclose(table.data["clock"], hours)  # times of day, as hours
    assert table.report.number_forms == {"clock": "%H:%M:%S"}
    mixed = read_table(path, kinds="mixed", policy="keep")
    assert mixed.report.column_kinds["clock"] == "numeric"
    assert mixed.report.column_kinds["day"] == "datetime"
    assert "clock" not in mixed.data.select_dtypes("datetime").columns


def test_times_of_day_are_hours_written_back_as_times(tmp_path):
    path, out = tmp_path / "shift.csv", tmp_path / "back.csv"
    written = pd.DataFrame({"Uhrzeit": ["6:05", "14:30", "", "22:45", "x"],
                            "us": ["8:30 AM", "5:15 PM", "12:00 PM", "12:30 AM", "1:00 AM"],
                            "long": ["125:30", "2:15", "3:00", "4:45", "5:10"],
                            "spent": ["30:15", "45:00", "12:30", "99:59", "26:00"]})
    written.to_csv(path, index=False)
    t = read_table(path, kinds="mixed", policy="keep")
    assert t.report.number_forms == {"Uhrzeit": "%-H:%M", "us": "%-I:%M %p", "long": "%-H:%M"}
    assert t.report.column_kinds["spent"] == "categorical"  # durations, not times of day
    np.testing.assert_allclose(t.data["us"], [8.5, 17.25, 12, 0.5, 1])
    assert t.data["Uhrzeit"].isna().tolist() == [False, False, True, False, True]
    assert t.data["long"].isna().sum() == 1  # 125:30 is no time of day: a bad cell
    write_table(t.data, out, like=t.report)
    back = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert back["Uhrzeit"].tolist() == ["6:05", "14:30", "", "22:45", ""]
    assert back["us"].tolist() == written["us"].tolist()


def test_a_timedelta_column_is_left_out_with_its_reason():
    df = pd.DataFrame({"x": np.arange(40.0),
                       "took": pd.to_timedelta(np.arange(40) * 7, unit="s")})
    for kinds in ("numeric", "mixed"):
        table = read_table(df, kinds=kinds, policy="keep")
        assert list(table.data.columns) == ["x"]
        assert "durations" in table.report.dropped_columns["took"]


def _write_encoded(path, encoding: str, sep: str = ",") -> None:
    grades = ("bas", "\u00e9lev\u00e9")
    lines = [f"Temp \u00b0C{sep}Flow{sep}Grade"]
    lines += [f"{20 + i / 8:.3f}{sep}{i % 7}{sep}{grades[i % 2]}" for i in range(40)]
    path.write_text("\n".join(lines) + "\n", encoding=encoding)


def test_excel_text_exports_in_windows_and_utf16_encodings_are_read(tmp_path):
    from densitykit.data import text_encoding

    for name, encoding, sep in [("win.csv", "cp1252", ";"), ("unicode.txt", "utf-16", "\t"),
                                ("plain.csv", "utf-8", ",")]:
        path = tmp_path / name
        _write_encoded(path, encoding, sep)
        assert text_encoding(path) == encoding
        table = read_table(path, kinds="mixed")
        assert list(table.data.columns) == ["Temp \u00b0C", "Flow", "Grade"]
        assert set(table.data["Grade"]) == {"\u00e9lev\u00e9", "bas"}
        assert table.data["Temp \u00b0C"].iloc[1] == 20.125
        assert any("Windows-1252" in n for n in table.report.notes) == (encoding == "cp1252")


def test_a_table_is_written_back_in_the_encoding_it_was_read_in(tmp_path):
    # Excel reads a CSV in the system's code page unless it starts with a byte-order mark:
    # a table written back in another encoding would show 'Temp Â°C'
    for name, encoding, sep in [("win.csv", "cp1252", ";"), ("unicode.txt", "utf-16", "\t"),
                                ("excel.csv", "utf-8-sig", ","), ("plain.csv", "utf-8", ",")]:
        path = tmp_path / name
        _write_encoded(path, encoding, sep)
        table = read_table(path, kinds="mixed")
        assert table.report.text_marks.get("encoding") == (
            None if encoding == "utf-8" else encoding)
        out = tmp_path / f"out-{name}"
        write_table(table.data, out, like=table.report)
        text = out.read_bytes().decode(encoding)  # strict: every byte in that encoding
        assert text.splitlines()[0] == path.read_text(encoding=encoding).splitlines()[0]
        assert out.read_bytes()[:3] == path.read_bytes()[:3]  # a byte-order mark, if any
        again = read_table(out, kinds="mixed")
        pd.testing.assert_frame_equal(again.data, table.data)
        assert again.report.text_marks == table.report.text_marks
        kept = CleaningReport.from_dict(table.report.to_dict())  # as a model file keeps it
        assert kept.text_marks == table.report.text_marks
    # a name the table's encoding cannot hold: UTF-8 with the mark, which Excel reads
    table = read_table(tmp_path / "win.csv", kinds="mixed")
    out = tmp_path / "sigma.csv"
    write_table(table.data.rename(columns={"Flow": "\u03c3 flow"}), out, like=table.report)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_table(out, kinds="mixed").data.columns[1] == "\u03c3 flow"


def test_a_file_in_no_encoding_read_is_refused_with_the_fix(tmp_path):
    from densitykit.exceptions import DataError

    path = tmp_path / "bad.csv"
    path.write_bytes(b"a,b\n1,\x81\x8d\n2,3\n")  # not UTF-8, and undefined in cp1252
    with pytest.raises(DataError, match="save it as UTF-8"):
        read_table(path)


def test_streamed_fits_read_the_same_encodings(tmp_path):
    from densitykit.scale.stream import FileSource

    path = tmp_path / "win.csv"
    _write_encoded(path, "cp1252", ";")
    source = FileSource(path, columns=["Temp \u00b0C", "Flow"], chunksize=16)
    rows = np.vstack([x for x, _ in source.chunks()])
    np.testing.assert_array_equal(rows, read_table(path).data.to_numpy())


def test_the_identifiers_of_a_short_table_are_left_out():
    n = 150  # fewer rows than MAX_CATEGORIES: every ID would have been a category
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"sample": [f"LAB-{i:04d}" for i in range(n)],
                       "remark": [f"looked fine, batch {i}" if i % 3 else None for i in range(n)],
                       "grade": rng.choice(list("ABCDEFGHIJKLMNOPQRSTUVWXY"), n),
                       "x": rng.normal(size=n)})
    table = read_table(df, kinds="mixed", policy="keep")
    assert list(table.data.columns) == ["grade", "x"]  # 25 grades, each seen ~6 times
    for name in ("sample", "remark"):
        assert "identifier or free text" in table.report.dropped_columns[name]


@pytest.mark.parametrize("kinds", ["mixed", "numeric"])
def test_numbered_ids_are_left_out_and_numbered_setpoints_kept(tmp_path, kinds):
    # whole numbers counting the rows under an ID's name are an identifier; the same
    # numbers under a measurement's name (a setpoint stepped by one), or IDs that repeat,
    # are data
    n = 60
    rng = np.random.default_rng(0)
    ids = pd.array(np.arange(10001, 10001 + n), dtype="Int64")
    ids[[3, 7]] = pd.NA
    frame = pd.DataFrame({"SampleID": ids, "Batch no": np.repeat(np.arange(1, 31), 2),
                          "Run": np.arange(n, 0, -1), "setpoint": np.arange(n),
                          "sample_id": np.arange(7, 7 + 10 * n, 10),
                          "y": rng.normal(size=n).round(3)})
    path = tmp_path / "lab.csv"
    frame.to_csv(path, index=False)
    table = read_table(path, kinds=kinds, policy="keep")
    assert list(table.data.columns) == ["Batch no", "setpoint", "y"]
    assert table.report.dropped_columns["SampleID"] == (
        "distinct whole numbers counting the rows (10001 to 10060): an identifier")
    assert "(60 to 1)" in table.report.dropped_columns["Run"]
    assert "counting the rows in steps of 10 (7 to 597)" in \
        table.report.dropped_columns["sample_id"]
    assert "'SampleID'" in table.report.to_text()
    np.testing.assert_array_equal(table.data["setpoint"], np.arange(n))
    chosen = read_table(path, kinds=kinds, policy="keep", columns=["setpoint", "y"])
    assert "SampleID" not in chosen.report.dropped_columns  # not chosen, not named


@pytest.mark.parametrize("kinds", ["mixed", "numeric"])
def test_whole_numbers_beyond_double_precision_are_left_out_not_merged(tmp_path, kinds):
    """1234567890123456789 and ...791 were read as one float, and 2**63 - 1 as -2**63;
    a column mostly of such numbers (codes) is left out with its reason, as one of long
    digit strings is. One such number among small ones is a typo: a bad cell, the column
    kept. Large measurements written as floats, and whole numbers up to 2**53, are kept
    exactly."""
    path = tmp_path / "codes.csv"
    path.write_text("code,text code,typo,text typo,big,v\n"
                    "1234567890123456789,012345678901234567891,12345678901234567890,"
                    "12345678901234567890123,9007199254740992,1.5e20\n"
                    "1234567890123456791,012345678901234567893,7,7.5,1,2.5e20\n"
                    "9223372036854775807,a,8,8.5,2,3e20\n")
    table = read_table(path, kinds=kinds, policy="keep")
    assert list(table.data.columns) == ["typo", "text typo", "big", "v"]
    for name in ("code", "text code"):
        assert table.report.dropped_columns[name].startswith("whole numbers beyond 2**53")
    for name in ("typo", "text typo"):
        assert table.data[name].isna().tolist() == [True, False, False]
        issue = next(i for i in table.report.issues if i.column == name)
        assert issue.n_text == 1 and issue.first_rows == [0]
    assert table.data["typo"].iloc[1:].tolist() == [7, 8]
    assert table.data["big"].tolist() == [2**53, 1, 2]
    np.testing.assert_array_equal(table.data["v"], [1.5e20, 2.5e20, 3e20])


def test_a_numeric_read_names_text_ids_as_a_mixed_read_does():
    """A text column of distinct values is 'not numeric' and, as a mixed read says, an
    identifier or free text; a text column of a few labels is just 'not numeric'."""
    n = 60
    text = "tag,grade,y\n" + "".join(f"T-{i:03d},{'AB'[i % 2]},{i * 0.5}\n" for i in range(n))
    numeric = read_table(io.StringIO(text)).report.dropped_columns
    mixed = read_table(io.StringIO(text), kinds="mixed").report.dropped_columns
    assert numeric == {"tag": f"not numeric: {mixed['tag']}", "grade": "not numeric"}
    assert mixed == {"tag": "text with 60 distinct values (an identifier or free text)"}


def test_comment_lines_above_the_header_are_skipped(tmp_path):
    path = tmp_path / "lims.csv"
    rows = [f"{20 + i / 4},{i % 5}" for i in range(30)]
    path.write_text("# exported by LIMS 3.2\n# units: degC, kg/h\nT,F\n" + "\n".join(rows) + "\n")
    table = read_table(path)
    assert list(table.data.columns) == ["T", "F"] and len(table.data) == 30
    assert "header=2" in table.report.notes[0]


def test_a_workbook_whose_first_sheet_holds_no_table_names_its_sheets(tmp_path):
    from densitykit.exceptions import DataError

    pytest.importorskip("openpyxl")
    path = tmp_path / "plant.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"Plant data export": ["see the sheet Data"]}).to_excel(
            book, sheet_name="Readme", index=False)
        pd.DataFrame({"T": np.arange(20.0), "P": np.arange(20.0) / 3}).to_excel(
            book, sheet_name="Data", index=False)
    with pytest.raises(DataError, match=r"2 sheets \('Readme' and 'Data'\).*--sheet"):
        read_table(path)
    assert list(read_table(path, sheet="Data").data.columns) == ["T", "P"]


def test_the_named_levels_of_a_multiindex_are_columns_as_a_named_index_is(tmp_path):
    pytest.importorskip("pyarrow")
    n = 40
    df = pd.DataFrame({"plant": np.repeat(["A", "B"], n // 2),
                       "time": pd.date_range("2024-01-01", periods=n, freq="h"),
                       "x": np.arange(n) / 3})
    path = tmp_path / "indexed.parquet"
    df.set_index(["plant", "time"]).to_parquet(path)  # pandas keeps the levels as the index
    mixed = read_table(path, kinds="mixed")
    assert list(mixed.data.columns) == ["plant", "time", "x"]  # they were dropped unsaid
    assert mixed.report.n_columns_in == 3
    assert read_table(path).report.index_column == "time"


@pytest.mark.parametrize("fmt", ["%d.%m.%Y", "%d/%m/%Y %H:%M", "%m/%d/%Y", "%Y-%m-%d"])
def test_dates_written_day_first_are_read_in_one_order(tmp_path, fmt):
    days = pd.date_range("2024-01-01", periods=40, freq="D")
    path = tmp_path / "days.csv"
    pd.DataFrame({"when": days.strftime(fmt), "x": np.arange(40.0)}).to_csv(path, index=False)
    # '02.01.2024' was February 1 beside '13.01.2024' as January 13
    assert (read_table(path, kinds="mixed").data["when"].to_numpy() == days.to_numpy()).all()
    assert (read_table(path).data.index == days).all()


def test_dates_with_points_and_no_day_above_12_are_day_first():
    days = pd.date_range("2024-03-01", periods=10, freq="D")  # 01.03. to 10.03.
    df = pd.DataFrame({"when": days.strftime("%d.%m.%Y"), "x": np.arange(10.0)})
    assert (read_table(df, kinds="mixed").data["when"].to_numpy() == days.to_numpy()).all()


def _grouped_rows(n: int = 40) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.normal(300, 5, n).round(1)
    values = np.column_stack([x, (x / 100).round(3), (x - 20).round(1), rng.normal(2, 0.1, n)
                              .round(3)])
    return ["Reactor", "", "Column", ""], values


def test_a_header_of_groups_over_names_gives_one_name_per_column(tmp_path):
    top, values = _grouped_rows()
    names = ["Reactor T", "Reactor P", "Column T", "Column P"]
    text = tmp_path / "grouped.csv"
    lines = [",".join(top), "T,P,T,P"] + [",".join(map(str, row)) for row in values]
    text.write_text("\n".join(lines) + "\n")
    tables = [read_table(text, kinds="mixed", policy="keep")]
    if importlib.util.find_spec("openpyxl"):
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        for row in [top, ["T", "P", "T", "P"], *values.tolist()]:
            sheet.append([v if v != "" else None for v in row])
        sheet.merge_cells("A1:B1")
        sheet.merge_cells("C1:D1")
        book.save(tmp_path / "grouped.xlsx")
        tables.append(read_table(tmp_path / "grouped.xlsx", kinds="mixed", policy="keep"))
    for table in tables:  # the 'T, P' row was a row of empty cells, filled in by impute
        assert list(table.data.columns) == names
        np.testing.assert_array_equal(table.data.to_numpy(), values)
        assert "on two" in table.report.notes[0] and not table.report.issues


def test_a_name_merged_down_beside_groups_keeps_its_name(tmp_path):
    _, values = _grouped_rows()
    path = tmp_path / "dated.csv"
    lines = ["Date,Reactor,,Column,", ",T,P,T,P"]
    lines += [f"2024-01-{i % 28 + 1:02d}," + ",".join(map(str, row))
              for i, row in enumerate(values)]
    path.write_text("\n".join(lines) + "\n")
    table = read_table(path, kinds="mixed")
    assert list(table.data.columns) == ["Date", "Reactor T", "Reactor P", "Column T",
                                        "Column P"]


def test_date_formats_record_the_form_every_cell_is_written_in(tmp_path):
    path = tmp_path / "forms.csv"
    pd.DataFrame({"dmy": ["05.01.2024", "13.01.2024", ""],
                  "iso": ["2024-01-05 08:30:00", "2024-01-13 17:00:00", "2024-01-14 00:00:00"],
                  "loose": ["1.1.2024", "2024-01-10", "11.01.2024"],
                  "x": [1.0, 2.0, 3.0]}).to_csv(path, index=False)
    table = read_table(path, kinds="mixed", policy="keep", index=False)
    assert table.report.date_formats == {"dmy": "%d.%m.%Y", "iso": "%Y-%m-%d %H:%M:%S"}
    assert table.data["dmy"].iloc[0] == pd.Timestamp("2024-01-05")
    out = tmp_path / "back.csv"
    write_table(table.data, out, date_formats=table.report.date_formats)
    back = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert back["dmy"].tolist() == ["05.01.2024", "13.01.2024", ""]
    assert back["loose"].tolist() == ["2024-01-01", "2024-01-10", "2024-01-11"]  # no one form
    again = CleaningReport.from_dict(table.report.to_dict())
    assert again.date_formats == table.report.date_formats


def test_date_formats_read_a_table_back_in_the_form_it_was_written_in(tmp_path):
    """Days of 12 or less written day first ('06/03/2024') read back as written, though
    the cells alone would be read month first."""
    when = pd.to_datetime(["2024-03-06 15:00", "2024-02-01 00:00", None])
    out = tmp_path / "drawn.csv"
    write_table(pd.DataFrame({"when": when, "x": [1.0, 2.0, 3.0]}), out,
                date_formats={"when": "%d/%m/%Y %H:%M"})
    back = read_table(out, kinds="mixed", policy="keep", index=False,
                      date_formats={"when": "%d/%m/%Y %H:%M"})
    assert back.data["when"].tolist()[:2] == when.tolist()[:2]
    assert back.data["when"].isna().tolist() == [False, False, True]
    assert back.report.date_formats == {"when": "%d/%m/%Y %H:%M"}


def test_codes_with_leading_zeros_are_labels_and_still_numbers_when_numbers_are_asked(
        tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("code,x\n007,1.5\n010,2.5\n,3.5\n007,4.5\n")
    mixed = read_table(path, kinds="mixed", policy="keep")
    assert mixed.report.column_kinds["code"] == "categorical"
    assert mixed.data["code"].tolist()[:2] == ["007", "010"]
    numbers = read_table(path, policy="keep")
    assert numbers.data["code"].tolist()[:2] == [7.0, 10.0]


def test_date_formats_of_years_written_in_two_digits(tmp_path):
    path = tmp_path / "short.csv"
    pd.DataFrame({"dmy": ["05.01.24", "13.01.24", "20.02.24"],
                  "mdy": ["01/05/24 08:30", "01/13/24 17:00", "02/20/24 09:15"],
                  "x": [1.0, 2.0, 3.0]}).to_csv(path, index=False)
    table = read_table(path, kinds="mixed", index=False)
    assert table.report.date_formats == {"dmy": "%d.%m.%y", "mdy": "%m/%d/%y %H:%M"}
    assert table.data["dmy"].iloc[1] == pd.Timestamp("2024-01-13")
    out = tmp_path / "back.csv"
    write_table(table.data, out, date_formats=table.report.date_formats)
    pd.testing.assert_frame_equal(pd.read_csv(out, dtype=str), pd.read_csv(path, dtype=str))


def test_dates_without_leading_zeros_are_written_back_without_them(tmp_path):
    """US exports write '1/5/2024 8:30 AM', European ones '5.1.2024': read in that form
    (days of 12 or less too) and written back so, not as '2024-01-05 08:30:00'."""
    path = tmp_path / "unpadded.csv"
    written = pd.DataFrame({
        "us": ["1/5/2024 8:30 AM", "12/13/2024 6:05 PM", "2/1/2024 12:00 PM", ""],
        "eu": ["5.1.2024", "13.1.2024", "2.11.2024", "1.2.2024"],
        "x": ["1.5", "2.5", "3.5", "4.5"]})
    written.to_csv(path, index=False)
    table = read_table(path, kinds="mixed", policy="keep", index=False)
    assert table.report.date_formats == {"us": "%-m/%-d/%Y %-I:%M %p", "eu": "%-d.%-m.%Y"}
    assert table.data["eu"].iloc[3] == pd.Timestamp("2024-02-01")
    out = tmp_path / "back.csv"
    write_table(table.data, out, date_formats=table.report.date_formats)
    pd.testing.assert_frame_equal(pd.read_csv(out, dtype=str, keep_default_na=False), written)
    again = read_table(out, kinds="mixed", policy="keep", index=False,
                       date_formats=table.report.date_formats)
    pd.testing.assert_frame_equal(again.data, table.data)


@pytest.mark.parametrize("first", ["1/5/2024 5:30 PM", "3/3/2024 3:15 PM", "05.01.24"])
def test_the_form_of_dates_is_found_when_the_first_cell_alone_gives_none(first):
    """pandas guesses no form from some cells ('1/5/2024 5:30 PM'): the next ones give it."""
    from densitykit._columns import date_format, parse_dates

    more = (["1/6/2024 8:30 AM", "2/13/2024 11:05 AM"] if "/" in first
            else ["13.01.24", "20.02.24"])
    col = pd.Series([first, *more])
    form = date_format(col, parse_dates(col))
    assert form in ("%-m/%-d/%Y %-I:%M %p", "%d.%m.%y"), form


def test_a_date_column_with_a_few_cells_that_are_no_dates_is_still_dates(tmp_path):
    """'tbd' among 60 dates is a bad cell of a date column, not a reason to take the column
    for free text; times of day with one such cell are still times, not today's dates."""
    n = 60
    days = pd.date_range("2024-01-01", periods=n, freq="D").strftime("%d.%m.%Y").tolist()
    clock = [f"{i % 24:02d}:{i % 60:02d}" for i in range(n)]
    days[3], days[9], clock[5] = "tbd", "31.02.2024", "tbd"
    path = tmp_path / "log.csv"
    pd.DataFrame({"day": days, "clock": clock, "x": np.arange(n) / 4}).to_csv(path, index=False)
    table = read_table(path, kinds="mixed", policy="keep", index=False)
    assert table.report.column_kinds["day"] == "datetime"
    assert table.data["day"].isna().sum() == 2
    assert "'day': 2 not a date (e.g. 'tbd', '31.02.2024')" in str(table.report)
    assert table.report.date_formats["day"] == "%d.%m.%Y"
    assert table.report.column_kinds.get("clock") != "datetime"


def test_booleans_with_empty_cells_in_a_text_table_are_booleans(tmp_path):
    path = tmp_path / "flags.csv"
    path.write_text("ok,x\nTRUE,1\nFALSE,2\n,3\nTRUE,4\n")
    table = read_table(path, kinds="mixed", policy="keep")
    assert table.report.column_kinds["ok"] == "boolean"
    assert str(table.data["ok"].dtype) == "boolean"
    assert table.data["ok"].tolist()[:2] == [True, False] and table.data["ok"].isna()[2]


def test_stamps_whose_utc_offset_changes_for_summer_time_are_read_as_utc(tmp_path):
    """'+0100' before the switch, '+0200' after: pandas refuses to mix them ('Mixed
    timezones detected'); they are read as the UTC times they are."""
    path = tmp_path / "dst.csv"
    stamps = [f"2024-03-{d} 09:00:00{'+0100' if d < 31 else '+0200'}" for d in range(20, 32)]
    pd.DataFrame({"time": stamps, "v": np.arange(12) % 5 + 0.5}).to_csv(path, index=False)
    table = read_table(path, kinds="mixed", policy="keep")
    when = table.data["time"]
    assert str(when.dt.tz) == "UTC"
    assert when.iloc[0] == pd.Timestamp("2024-03-20 08:00", tz="UTC")
    assert when.iloc[-1] == pd.Timestamp("2024-03-31 07:00", tz="UTC")
