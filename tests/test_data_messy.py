"""Reading messy tables: thousands separators, blank column names, percentages."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from densitykit.data import CleaningReport, read_raw, read_table, write_table
from densitykit.exceptions import DataError, ParameterError

# --- thousands separators -----------------------------------------------------------

ENGLISH = ('town,pop,temp\nA,"40,080",-1.8\nB,"1,234,567",2.5\nC,999,0.5\n'
           'D,"12,000.5",3.25\n')


@pytest.mark.parametrize("decimal", [None, "."])
def test_english_thousands_beside_decimal_points(decimal):
    t = read_table(io.StringIO(ENGLISH), decimal=decimal)
    np.testing.assert_allclose(t.data["pop"], [40080, 1234567, 999, 12000.5])
    np.testing.assert_allclose(t.data["temp"], [-1.8, 2.5, 0.5, 3.25])
    assert "pop" not in t.report.dropped_columns
    assert "',' groups thousands" in t.report.to_text()
    assert "'40,080'" in t.report.to_text()


def test_english_thousands_in_mixed_kinds_are_numbers():
    t = read_table(io.StringIO(ENGLISH), kinds="mixed")
    assert t.report.column_kinds["pop"] == "numeric"
    assert t.report.column_kinds["town"] == "categorical"


def test_unambiguous_english_grouping_alone():
    t = read_table(io.StringIO('a,b\n"1,234,567",1\n"2,000,000",2\n'))
    np.testing.assert_allclose(t.data["a"], [1234567, 2000000])


def test_european_thousands_with_decimal_commas():
    text = "a;b\n1.234,5;2\n12.345.678,25;-0,5\n3;4,75\n"
    t = read_table(io.StringIO(text))
    np.testing.assert_allclose(t.to_numpy(), [[1234.5, 2], [12345678.25, -0.5], [3, 4.75]])
    assert "'.' groups thousands and ',' is the decimal mark" in t.report.to_text()
    np.testing.assert_allclose(read_table(io.StringIO(text), decimal=",").to_numpy(),
                               t.to_numpy())


def test_dates_with_points_beside_grouped_numbers_stay_dates():
    """A German export: '05.01.2024' beside '1.234,5' is a date, not the number 5012024."""
    text = "when;flow\n05.01.2024;1.234,5\n06.01.2024;21,5\n"
    t = read_table(io.StringIO(text), kinds="mixed", index=None)
    assert t.data["when"].tolist() == [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-01-06")]
    np.testing.assert_allclose(t.data["flow"], [1234.5, 21.5])
    assert read_table(io.StringIO(text)).report.index_column == "when"


@pytest.mark.parametrize(("text", "expected"), [
    ("a;b\n0,5;1\nn.b.;2\n0,7;3\n1.234,5;4\n", [0.5, np.nan, 0.7, 1234.5]),
    ('a,b\n"1,234.5",1\nerr,2\n"2,000.5",3\n7,4\n', [1234.5, np.nan, 2000.5, 7]),
])
def test_numbers_in_the_tables_marks_beside_a_bad_cell_are_numbers(text, expected):
    """pandas reads a column of '0,5' with one 'n.b.' as text: it is numbers with a bad
    cell, as it would be with decimal points."""
    for kinds in ("numeric", "mixed"):
        t = read_table(io.StringIO(text), kinds=kinds, policy="keep")
        np.testing.assert_allclose(t.data["a"], expected)
        assert t.report.issues[0].column == "a" and t.report.issues[0].n_text == 1


def test_labels_that_look_like_numbers_keep_their_text():
    t = read_table(io.StringIO("g;x\n1,5;1\nA;2\nB;3\nC;4\n"), kinds="mixed")
    assert t.data["g"].tolist() == ["1,5", "A", "B", "C"]


def test_a_frames_own_attributes_are_not_taken_for_marks():
    df = pd.DataFrame({"a": [1.5, 2.5]})
    df.attrs["text_marks"] = {"sep": ";"}
    assert read_table(df).report.text_marks == {}


def test_ambiguous_marks_are_still_refused():
    with pytest.raises(DataError, match="both with a decimal comma"):
        read_table(io.StringIO('a,b\n"1,5",2.5\n"2,25",3.5\n'))
    # '40,080' alone may be a decimal comma: read as one, as before
    np.testing.assert_allclose(read_table(io.StringIO('a,b\n"40,080",2\n"1,5",3\n'))
                               .data["a"], [40.08, 1.5])


def test_plain_tables_have_no_notes():
    t = read_table(io.StringIO("a,b\n1.5,2\n3,4\n,x\n"), policy="keep")
    assert t.report.notes == []
    assert "notes" not in t.report.to_dict()
    assert "kind" not in t.report.to_dict()["issues"][0]  # as model files always held it
    old = t.report.to_dict()
    assert CleaningReport.from_dict(old).notes == []


# --- a text table written as it was read --------------------------------------------------

@pytest.mark.parametrize(("text", "marks"), [
    ("a,b\n1.5,2\n3,4\n", {}),
    ("a\tb\n1.5\t2\n3\t4\n", {}),
    ("a;b\n1.5;2\n3;4\n", {"sep": ";"}),
    ("a;b\n1,5;2\n3;4,25\n", {"sep": ";", "decimal": ","}),
    ("a\tb\n1,5\t2\n3\t4,25\n", {"sep": "\t", "decimal": ","}),
    ('a,b\n"1,5",2\n3,"4,25"\n', {"sep": ",", "decimal": ","}),
    ('a,b\n"1,234.5",2\n3,4\n', {"thousands": ","}),
    ("a;b\n1.234,5;2\n3;4,25\n", {"sep": ";", "decimal": ",", "thousands": "."}),
    ("a|b\n1,5|2\n3|4,25\n", {"sep": "|", "decimal": ","}),
])
def test_the_report_keeps_the_marks_a_csv_would_not_have(text, marks):
    report = read_table(io.StringIO(text)).report
    assert report.text_marks == marks
    assert report.to_dict().get("text_marks", {}) == marks
    assert CleaningReport.from_dict(report.to_dict()) == report


@pytest.mark.parametrize("ext", ["csv", "tsv"])
def test_a_european_table_is_written_back_with_its_marks(tmp_path, ext):
    text = "when;temp;grade\n05.01.2024;21,50;A\n06.01.2024;;B\n07.01.2024;1.022,25;A\n"
    src = tmp_path / "plant.csv"
    src.write_text(text)
    t = read_table(src, kinds="mixed", policy="keep", index=None)
    out = tmp_path / f"out.{ext}"
    write_table(t.data, out, like=t.report)
    sep = ";" if ext == "csv" else "\t"
    assert out.read_text().splitlines() == [
        line.replace(";", sep) for line in
        ["when;temp;grade", "05.01.2024;21,5;A", "06.01.2024;;B", "07.01.2024;1022,25;A"]]
    back = read_table(out, kinds="mixed", policy="keep", index=None)
    pd.testing.assert_frame_equal(back.data, t.data)


def test_a_csv_written_like_a_tsv_with_decimal_commas_is_separated_by_semicolons(tmp_path):
    src, out = tmp_path / "lab.tsv", tmp_path / "out.csv"
    src.write_text("a\tb\n1,5\t2\n3\t4,25\n")
    t = read_table(src)
    write_table(t.data, out, like=t.report)
    assert out.read_text().splitlines() == ["a;b", "1,5;2,0", "3,0;4,25"]


def test_decimal_commas_in_a_csv_are_separated_by_semicolons(tmp_path):
    df = pd.DataFrame({"a": [1.5, 2.25], "b": ["x,y", "z"]})
    out = tmp_path / "out.csv"
    write_table(df, out, decimal=",")
    assert out.read_text().splitlines() == ["a;b", "1,5;x,y", "2,25;z"]
    write_table(df, out, decimal=",", sep="|")
    assert out.read_text().splitlines() == ["a|b", "1,5|x,y", "2,25|z"]
    write_table(df, out, sep=",", decimal=",")  # as a CSV with quoted decimal commas
    assert out.read_text().splitlines() == ["a,b", '"1,5","x,y"', '"2,25",z']
    np.testing.assert_allclose(read_table(out).data["a"], [1.5, 2.25])
    with pytest.raises(ParameterError, match="decimal must be"):
        write_table(df, out, decimal=";")


# --- blank column names ---------------------------------------------------------------

BLANK = "a,,c\n1.5,2.0,x\n2.5,,y\n3.5,4.0,x\n4.5,5.0,y\n"


def test_one_blank_column_name_stays_blank():
    t = read_table(io.StringIO(BLANK), kinds="mixed", policy="keep")
    assert t.columns == ["a", "", "c"]
    assert "Column 2 has no name in the header" in t.report.to_text()
    assert list(read_raw(io.StringIO(BLANK)).columns) == ["a", "", "c"]


def test_several_blank_column_names_are_named_by_position(tmp_path):
    t = read_table(io.StringIO("a,,c,\n1,2,3,4\n5,6,7,8\n"))
    assert t.columns == ["a", "column 2", "c", "column 4"]
    assert "'column 2' and 'column 4'" in t.report.to_text()
    pytest.importorskip("openpyxl")
    path = tmp_path / "t.xlsx"
    t.data.set_axis(["a", None, "c", None], axis=1).to_excel(path, index=False)
    xl = read_table(path)
    assert xl.columns == ["a", "column 2", "c", "column 4"]
    assert "have no name in the header" in xl.report.to_text()


def test_a_header_that_names_every_column_has_no_note():
    t = read_table(io.StringIO("a,Unnamed: 1\n1,2\n"))
    assert t.columns == ["a", "Unnamed: 1"] and t.report.notes == []


# --- percentages ----------------------------------------------------------------------


def _percent_table(n: int = 300) -> str:
    rows = [f"{i},{i * 0.1:.1f}%,{i % 7}" for i in range(n)]
    return "id,rate,k\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize("kinds", ["numeric", "mixed"])
def test_percentages_are_read_as_the_numbers_they_write(kinds):
    t = read_table(io.StringIO(_percent_table()), kinds=kinds)
    np.testing.assert_allclose(t.data["rate"], np.arange(300) * 0.1)
    assert "rate" not in t.report.dropped_columns
    assert t.report.number_forms == {"rate": "0.0%"}  # every one has one decimal
    assert "Percentages ('6.3%') read as the numbers they write (6.3): 'rate'." in str(t.report)
    assert CleaningReport.from_dict(t.report.to_dict()) == t.report


def test_a_column_mostly_of_percentages_has_bad_cells_and_decimal_commas():
    text = "rate;x\n6,5 %;1\n7%;2\nerror;3\n8,25%;4\n;5\n9;6\n"
    t = read_table(io.StringIO(text), kinds="mixed", policy="keep")
    np.testing.assert_allclose(t.data["rate"], [6.5, 7, np.nan, 8.25, np.nan, 9])
    assert t.report.text_marks == {"sep": ";", "decimal": ","}
    assert t.report.issues[0].examples == ["error"]
    out = io.StringIO()
    write_table(t.data, out, format="csv", like=t.report)
    assert out.getvalue().splitlines() == ["rate;x", "6,5%;1", "7%;2", ";3", "8,25%;4", ";5",
                                           "9%;6"]
    plain = read_table(io.StringIO("a,b\n1,x%\n2,y\n"), kinds="mixed")
    assert plain.report.number_forms == {}  # text with a percent sign is no percentage


def test_percentages_written_with_a_fixed_count_of_decimals_keep_it():
    """'40.0%' comes back '40.0%', not '40%'; columns that write each number in its
    shortest form ('6.3%', '85%') stay so."""
    text = "fixed,short,x\n40.0%,6.3%,1\n52.5%,85%,2\n61.0%,7.25%,3\n,,4\n"
    t = read_table(io.StringIO(text), kinds="mixed", policy="keep")
    assert t.report.number_forms == {"fixed": "0.0%", "short": "%"}
    out = io.StringIO()
    write_table(t.data, out, format="csv", like=t.report)
    assert out.getvalue() == text
    back = read_table(io.StringIO(out.getvalue()), kinds="mixed", policy="keep")
    assert back.report.number_forms == t.report.number_forms
    written = io.StringIO()
    write_table(pd.DataFrame({"fixed": [40.04, 2.0]}), written, format="csv",
                number_forms={"fixed": "0.00%"}, decimal=",")
    assert written.getvalue().splitlines() == ["fixed", "40,04%", "2,00%"]


def test_a_text_column_with_a_percent_sign_somewhere_is_still_text():
    rows = [f"{i},note {i}{'%' if i % 2 else ''}" for i in range(300)]
    t = read_table(io.StringIO("x,note\n" + "\n".join(rows) + "\n"), kinds="mixed")
    assert "identifier or free text" in t.report.dropped_columns["note"]
