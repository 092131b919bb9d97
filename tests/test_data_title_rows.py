"""Tables with a title, notes or blank rows above the header (plant and lab exports)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from densitykit.cli import main
from densitykit.data import read_raw, read_table, text_header, text_marks, text_separator
from densitykit.exceptions import ParameterError
from densitykit.scale.stream import FileSource, iter_chunks

BODY = ("time,temp,flow,grade\n2026-01-01 00:00,20.5,3.1,A\n2026-01-01 01:00,20.7,3.2,B\n"
        "2026-01-01 02:00,20.9,3.3,A\n2026-01-01 03:00,21.1,3.4,B\n")
TITLES = {
    1: "Plant 3 hourly log,,,\n",
    2: "Plant 3 hourly log,,,\nexported 2026-11-30,,,\n",
    3: "Plant 3 hourly log,,,\nexported 2026-11-30,,,\n,,,\n",
}


def _check(table, skipped: int) -> None:
    assert table.report.index_column == "time"
    assert list(table.data.columns) == ["temp", "flow"]
    np.testing.assert_allclose(table.data["temp"], [20.5, 20.7, 20.9, 21.1])
    assert table.report.dropped_columns == {"grade": "not numeric"}
    assert table.report.issues == []
    note = table.report.notes[0]
    assert f"header={skipped}" in note and "'Plant 3 hourly log'" in note
    assert note in table.report.to_text()


@pytest.mark.parametrize("n", [1, 2, 3])
def test_csv_title_rows_are_skipped_with_a_note(n):
    _check(read_table(io.StringIO(TITLES[n] + BODY)), n)


def test_title_lines_without_separators_and_blank_lines():
    text = "Plant 3 hourly log\n\n# exported 2026-11-30\n" + BODY.replace(",", ";").replace(
        "20.", "20,").replace("21.", "21,").replace("3.", "3,")
    table = read_table(io.StringIO(text))
    _check(table, 3)
    assert "line 4 of the file" in table.report.notes[0]


@pytest.mark.parametrize("n", [1, 2, 3])
def test_excel_title_rows_are_skipped_with_a_note(tmp_path, n):
    rows = [r.split(",") for r in (TITLES[n] + BODY).splitlines()]
    cells = [[v or None for v in r] for r in rows]
    for r in cells[n + 1:]:
        r[1], r[2] = float(r[1]), float(r[2])
    path = tmp_path / "log.xlsx"
    pd.DataFrame(cells).to_excel(path, header=False, index=False)
    table = read_table(path)
    _check(table, n)
    assert f"row {n + 1} of the sheet" in table.report.notes[0]
    assert list(read_raw(path, header=n).columns) == ["time", "temp", "flow", "grade"]


def test_header_given_explicitly():
    text = TITLES[2] + BODY
    assert list(read_raw(io.StringIO(text), header=2).columns) == ["time", "temp", "flow",
                                                                    "grade"]
    table = read_table(io.StringIO(text), header=2)
    assert list(table.data.columns) == ["temp", "flow"] and table.report.notes == []
    # header=0 reads the first row as the header, as before
    first = read_raw(io.StringIO(text), header=0)
    assert first.columns[0] == "Plant 3 hourly log"
    with pytest.raises(ParameterError, match="header must be"):
        read_raw(io.StringIO(text), header=-1)
    with pytest.raises(ParameterError, match="applies to CSV, TSV and Excel"):
        read_table(pd.DataFrame({"a": [1.0, 2.0]}), header=1)


@pytest.mark.parametrize("text", [
    ",a,b\n0,1,2\n1,3,4\n2,5,6\n",  # a header with a blank name (an index written unnamed)
    "id,,c\nx,y,z\n1,2,3\n4,5,6\n",  # a blank name, then a text row: a header still
    ",city,country\nalice,paris,france\nbob,rome,italy\ncarl,oslo,norway\n",
    "Title,,\ntime,temp,flow\ndate,degC,m3/h\n1,2,3\n4,5,6\n",  # a units row under the header
    "a,b,c\n1,2,3\n4,5,6\n",
])
def test_suspicious_first_rows_without_a_clear_header_are_read_as_before(text):
    before = pd.read_csv(io.StringIO(text))
    raw = read_raw(io.StringIO(text))
    assert len(raw) == len(before)
    assert [c if not c.startswith("column ") else "" for c in raw.columns] == [
        "" if c.startswith("Unnamed") else c for c in before.columns]
    assert not any("header=" in n for n in read_table(io.StringIO(text), policy="keep",
                                                       kinds="mixed").report.notes)


def test_cli_reads_title_rows_and_takes_header_row(tmp_path, capsys):
    path = tmp_path / "log.csv"
    rng = np.random.default_rng(0)
    rows = "".join(f"2026-01-{1 + i // 24:02d} {i % 24:02d}:00,{t:.2f},{f:.2f}\n"
                   for i, (t, f) in enumerate(rng.normal([20, 3], [1, 0.2], (60, 2))))
    path.write_text("Plant 3 hourly log,,\nexported 2026-11-30,,\ntime,temp,flow\n" + rows)
    assert main(["fit", str(path), "--components", "1", "--seed", "0",
                 "-o", str(tmp_path / "a.dkm")]) == 0
    out = capsys.readouterr()
    assert "The header is line 3 of the file (header=2)" in out.out + out.err
    assert "'temp'" not in out.err
    assert main(["fit", str(path), "--components", "1", "--seed", "0", "--header-row", "2",
                 "-o", str(tmp_path / "b.dkm")]) == 0
    capsys.readouterr()
    assert main(["fit", str(path), "--components", "1", "--seed", "0", "--chunksize", "20",
                 "--columns", "temp", "flow", "-o", str(tmp_path / "c.dkm")]) == 0
    out = capsys.readouterr()
    assert "header=2" in out.out + out.err
    from densitykit import load

    for name in ("a.dkm", "b.dkm", "c.dkm"):
        assert list(load(tmp_path / name).columns_) == ["temp", "flow"]


def test_streamed_reading_finds_the_same_header(tmp_path):
    path = tmp_path / "log.csv"
    text = "Plant 3 hourly log;;\n\ntime;temp;flow\n" + "".join(
        f"2026-01-01 {h:02d}:00;{20 + h / 10:.1f}".replace(".", ",") + f";{h}\n"
        for h in range(10))
    path.write_text(text)
    assert text_separator(path, "csv") == ";"
    assert text_header(path, ";")[0] == 2
    assert text_marks(path, ";", header=2) == (",", None)
    source = FileSource(path, columns=["temp", "flow"])
    assert source.header == 2
    X = np.vstack(list(iter_chunks(path, columns=["temp", "flow"], chunksize=4)))
    np.testing.assert_allclose(X, read_table(path).to_numpy())
    assert FileSource(path, columns=["temp"], header=2).header == 2
