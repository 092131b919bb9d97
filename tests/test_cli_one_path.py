"""One model file, one answer: the commands give what Python gives from the same file."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import densitykit
from densitykit import Synthesizer
from densitykit.cli import main
from densitykit.data import read_table


def run(capsys, *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _mixed_frame(n: int = 150) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(50, 5, n).round(2)
    df = pd.DataFrame({
        "temp": x,
        "flow": (2 * x + rng.normal(0, 1, n)).round(1),
        "grade": rng.choice(["A", "B", "C"], n),
        "when": pd.date_range("2024-01-01", periods=n, freq="h"),
    })
    df.loc[::9, "flow"] = np.nan
    df.loc[::13, "grade"] = None
    return df


@pytest.fixture(scope="module")
def mixed_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("one_path")
    df = _mixed_frame()
    synth = Synthesizer(model="gmm", n_components=[1], criterion="loglik").fit(df)
    path = folder / "mixed.dkm"
    densitykit.save(synth, path)
    return df, path


@pytest.mark.parametrize("ext", ["csv", "xlsx", "parquet"])
def test_score_of_a_synthesizer_reads_every_kind_of_column(capsys, tmp_path, mixed_model, ext):
    df, path = mixed_model
    table = tmp_path / f"mixed.{ext}"
    densitykit.write_table(df, table)
    out = tmp_path / "scores.csv"
    code, _, err = run(capsys, "score", path, table, "-o", out)
    assert code == 0, err
    scores = pd.read_csv(out)
    assert len(scores) == len(df)  # rows with empty cells are scored too, as in Python
    expected = densitykit.load(path).score_samples(df)
    np.testing.assert_allclose(scores["log_likelihood"], expected, rtol=1e-12)


def test_impute_of_a_parquet_file_keeps_its_dtypes(capsys, tmp_path):
    pytest.importorskip("pyarrow")
    rng = np.random.default_rng(4)
    n = 120
    x = rng.normal(50, 5, n)
    df = pd.DataFrame({
        "x": x.round(2),
        "y": (2 * x + rng.normal(0, 1, n)).round(1).astype("float32"),
        "i16": rng.integers(0, 100, n).astype("int16"),
        "cat": pd.Categorical(rng.choice(["lo", "hi"], n)),
        "s": pd.array(rng.choice(["u", "v"], n), dtype="string"),
        "ok": rng.random(n) > 0.5,
    })
    df.loc[::10, "x"] = np.nan
    df.loc[::7, "y"] = np.nan
    src, out = tmp_path / "typed.parquet", tmp_path / "done.parquet"
    df.to_parquet(src)
    code, _, err = run(capsys, "impute", src, "-o", out, "--seed", "0")
    assert code == 0, err
    done = pd.read_parquet(out)
    assert done.dtypes.astype(str).to_dict() == df.dtypes.astype(str).to_dict()
    assert done.notna().all().all()
    observed = df.notna()
    for c in df:
        assert done[c][observed[c]].equals(df[c][observed[c]]), c
    filled = done["y"][df["y"].isna()].astype(str).astype(float)
    assert (filled == filled.round(1)).all()  # the decimals float32 prints, not 99.80000305


def _dated_csv(path) -> pd.DataFrame:
    """A CSV whose dates are written day first with points, as European exports write them."""
    rng = np.random.default_rng(5)
    n = 90
    when = pd.date_range("2024-01-01 06:00", periods=n, freq="8h")
    df = pd.DataFrame({"when": when.strftime("%d.%m.%Y %H:%M"),
                       "temp": rng.normal(80, 5, n).round(1),
                       "flow": rng.normal(2, 0.1, n).round(3)})
    df.loc[::6, "temp"] = np.nan
    df.to_csv(path, index=False)
    return df


def test_impute_writes_the_observed_dates_as_they_were_written(capsys, tmp_path):
    src, out = tmp_path / "dated.csv", tmp_path / "done.csv"
    df = _dated_csv(src)
    code, _, err = run(capsys, "impute", src, "-o", out, "--seed", "0")
    assert code == 0, err
    done = pd.read_csv(out, dtype={"when": str})
    assert done["when"].tolist() == df["when"].tolist()  # not '2024-01-01 06:00:00'
    assert done["flow"].tolist() == df["flow"].tolist()
    assert done["temp"].notna().all()


def _synth_and_sample(capsys, src, n: int = 20) -> tuple:
    """The rows ``densitykit synth`` writes of ``src`` (one Gaussian), and ``n`` rows
    ``sample`` draws from its model file."""
    rows, drawn = src.with_name("rows.csv"), src.with_name("drawn.csv")
    code, _, err = run(capsys, "synth", src, "-o", rows, "--seed", "0", "--no-report",
                       "--model", "gmm", "--components", "1")
    assert code == 0, err
    code, _, err = run(capsys, "sample", src.with_name("rows.dkm"), "-n", n, "-o", drawn,
                       "--seed", "1")
    assert code == 0, err
    return rows, drawn


def test_synth_and_sample_write_dates_in_the_tables_form(capsys, tmp_path):
    src = tmp_path / "dated.csv"
    _dated_csv(src)
    for path in _synth_and_sample(capsys, src):
        when = pd.read_csv(path, dtype={"when": str})["when"].dropna()
        assert when.str.fullmatch(r"\d\d\.\d\d\.2024 \d\d:\d\d").all(), when.head()


def test_impute_writes_a_european_csv_back_with_its_marks(capsys, tmp_path):
    src, out = tmp_path / "anlage.csv", tmp_path / "done.csv"
    src.write_text("Datum;Temperatur;Druck;Sorte\n" + "".join(
        f"{d + 1:02d}.01.2024;{'' if d % 7 == 0 else f'{80 + d % 5},{d % 10}0'};"
        f"1,{500 + d};{'AB'[d % 2]}\n" for d in range(28)))
    code, _, err = run(capsys, "impute", src, "-o", out, "--seed", "0")
    assert code == 0, err
    before, after = src.read_text().splitlines(), out.read_text().splitlines()
    assert len(after) == len(before)
    for old, new in zip(before, after):
        cells, done = old.split(";"), new.split(";")
        assert [c for c in cells if c] == [c for c, o in zip(done, cells) if o]  # as written
        if not cells[1]:  # a filled temperature, in the column's style: '81,37'
            assert re.fullmatch(r"\d+,\d\d", done[1]), new


def test_synth_and_sample_write_a_european_csv_with_its_marks(capsys, tmp_path):
    src = tmp_path / "anlage.csv"
    src.write_text("Datum;Temperatur;Sorte\n" + "".join(
        f"{d % 28 + 1:02d}.01.2024;{80 + d % 5},{d % 10}0;{'AB'[d % 2]}\n" for d in range(90)))
    for path in _synth_and_sample(capsys, src):
        lines = path.read_text().splitlines()
        assert lines[0] == "Datum;Temperatur;Sorte"
        assert all(re.fullmatch(r"\d\d\.01\.2024;\d+,\d+;[AB]", line) for line in lines[1:])


def test_fit_then_sample_writes_a_european_csv_with_its_marks(capsys, tmp_path):
    """A model from `fit` keeps its table's marks in its file, as `synth` does: the
    separator, the decimal comma and the percent sign come back."""
    src, model, out = tmp_path / "anlage.csv", tmp_path / "anlage.dkm", tmp_path / "rows.csv"
    src.write_text("Temperatur;Ausbeute\n" + "".join(
        f"{80 + d % 5},{d % 10}0;{60 + d % 30},{d % 7}%\n" for d in range(90)))
    code, _, err = run(capsys, "fit", src, "-o", model, "--components", "1", "--seed", "0")
    assert code == 0, err
    code, _, err = run(capsys, "sample", model, "-n", "20", "--seed", "0", "-o", out)
    assert code == 0, err
    lines = out.read_text().splitlines()
    assert lines[0] == "Temperatur;Ausbeute"
    assert all(re.fullmatch(r"\d+,\d+;\d+,\d%", line) for line in lines[1:]), lines[:3]


def test_impute_fills_labels_and_names_the_empty_cells_it_leaves(capsys, tmp_path):
    src, out = tmp_path / "mixed.csv", tmp_path / "done.csv"
    df = _mixed_frame()
    df.loc[[3, 4], "when"] = pd.NaT
    df.to_csv(src, index=False)
    code, _, err = run(capsys, "impute", src, "-o", out, "--seed", "0")
    assert code == 0, err
    assert "Left empty: 2 cells of columns impute does not model" in err and "'when' 2" in err
    done = pd.read_csv(out)
    assert done[["temp", "flow", "grade"]].notna().all().all()
    assert done["when"].isna().sum() == 2


def _day_first_table(tmp_path):
    """A table whose dates are written day first with slashes ('13/01/2024 08:00', as
    British exports write them), and a synthesizer's model file of it."""
    rng = np.random.default_rng(6)
    n = 120
    when = pd.Timestamp("2024-01-01 06:00") + pd.to_timedelta(rng.integers(0, 90 * 24, n),
                                                              unit="h")
    src = tmp_path / "uk.csv"
    pd.DataFrame({"when": when.strftime("%d/%m/%Y %H:%M"),
                  "temp": rng.normal(80, 5, n).round(1)}).to_csv(src, index=False)
    synth = Synthesizer(model="gmm", n_components=[1], criterion="loglik").fit(src)
    assert synth.cleaning_["date_formats"] == {"when": "%d/%m/%Y %H:%M"}
    path = tmp_path / "uk.dkm"
    densitykit.save(synth, path)
    return src, path


def test_score_reads_dates_in_the_form_they_were_written(capsys, tmp_path):
    """Rows written in the table's form whose days are all 12 or less ('06/03/2024': 6
    March) are read in that form, not month first, and score as they do in Python."""
    _, path = _day_first_table(tmp_path)
    rows = pd.DataFrame({"when": pd.to_datetime(["2024-03-06 15:00", "2024-02-01 00:00"]),
                         "temp": [79.5, 81.0]})
    table = tmp_path / "drawn.csv"
    densitykit.write_table(rows, table, date_formats={"when": "%d/%m/%Y %H:%M"})
    assert table.read_text().splitlines()[1].startswith("06/03/2024 15:00")
    out = tmp_path / "scores.csv"
    code, _, err = run(capsys, "score", path, table, "-o", out)
    assert code == 0, err
    expected = densitykit.load(path).score_samples(rows)
    np.testing.assert_allclose(pd.read_csv(out)["log_likelihood"], expected, rtol=1e-12)


def test_report_reads_synthetic_dates_in_the_form_they_were_written(capsys, tmp_path,
                                                                    monkeypatch):
    src, path = _day_first_table(tmp_path)
    rows = pd.DataFrame({"when": pd.to_datetime(["2024-03-06 15:00", "2024-02-01 00:00"]),
                         "temp": [79.5, 81.0]})
    table = tmp_path / "drawn.csv"
    densitykit.write_table(rows, table, date_formats={"when": "%d/%m/%Y %H:%M"})
    seen = {}
    monkeypatch.setattr(Synthesizer, "report",
                        lambda self, out, *, synthetic, **kw: seen.update(rows=synthetic))
    code, _, err = run(capsys, "report", src, table, "--model", path, "-o",
                       tmp_path / "r.html")
    assert code == 0, err
    assert seen["rows"]["when"].tolist() == rows["when"].tolist()


@pytest.mark.parametrize("given", ["12/02/2024 10:00", "12/02/2024"])
def test_sample_reads_a_given_date_in_the_tables_form(capsys, tmp_path, given):
    """A date given in the table's form, or with its order of day and month but no time,
    is read in that order."""
    _, path = _day_first_table(tmp_path)
    out = tmp_path / "drawn.csv"
    code, _, err = run(capsys, "sample", path, "-n", "3", "--given", f"when={given}",
                       "-o", out, "--seed", "0")
    assert code == 0, err
    assert "extrapolate" not in err  # 12 February, inside the table's dates; not 2 December
    when = pd.read_csv(out, dtype={"when": str})["when"]
    assert when.str.startswith("12/02/2024 ").all()


def test_impute_keeps_the_text_of_dates_it_cannot_read_and_forms_strftime_lacks(
        capsys, tmp_path):
    """impute passes dates through: they are written as the file wrote them, a date that
    does not parse ('31.02.2024') and days without a leading zero ('5.1.2024') included."""
    rng = np.random.default_rng(7)
    n = 60
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D")
    df = pd.DataFrame({"day": [f"{d.day}.{d.month}.{d.year}" for d in days],
                       "stamp": days.strftime("%d.%m.%Y"),
                       "x": rng.normal(5, 1, n).round(2), "y": rng.normal(0, 1, n).round(3)})
    df.loc[7, "stamp"] = "31.02.2024"
    df.loc[[2, 5], "x"] = np.nan
    src, out = tmp_path / "days.csv", tmp_path / "done.csv"
    df.to_csv(src, index=False)
    code, _, err = run(capsys, "impute", src, "-o", out, "--seed", "0")
    assert code == 0, err
    done = pd.read_csv(out, dtype=str)
    assert done["stamp"].tolist() == df["stamp"].tolist()
    assert done["day"].tolist() == df["day"].tolist()  # not '2024-01-05'
    assert done["x"].notna().all()
    assert "Left empty" not in err  # the unreadable date is kept, not emptied


@pytest.mark.parametrize("ext", ["csv", "xlsx", "parquet"])
def test_impute_keeps_codes_with_leading_zeros_and_booleans_as_written(capsys, tmp_path, ext):
    """Codes written with leading zeros ('007', batch '000117') stay text, not 7 and 117,
    and an Excel column of booleans with empty cells stays booleans, not 1.0 and 0.0."""
    if ext != "csv":
        pytest.importorskip("openpyxl" if ext == "xlsx" else "pyarrow")
    rng = np.random.default_rng(8)
    n = 80
    x = rng.normal(50, 5, n).round(1)
    df = pd.DataFrame({"batch": [f"{100 + i:06d}" for i in range(n)],
                       "code": pd.array(np.where(x > 50, "007", "010"), dtype="string"),
                       "ok": pd.array(x > 48, dtype="boolean"),
                       "x": x, "y": (x / 10 + rng.normal(0, 0.1, n)).round(2)})
    df.loc[::7, "code"] = pd.NA
    df.loc[::9, "ok"] = pd.NA
    df.loc[::5, "y"] = np.nan
    src, out = tmp_path / f"codes.{ext}", tmp_path / f"done.{ext}"
    densitykit.write_table(df, src)
    code, _, err = run(capsys, "impute", src, "-o", out, "--seed", "0")
    assert code == 0, err
    if ext == "csv":  # every observed cell byte for byte
        before = src.read_text().splitlines()
        after = out.read_text().splitlines()
        for a, b in zip(before, after, strict=True):
            assert [c for c in a.split(",")] == [
                d if c else c for c, d in zip(a.split(","), b.split(","), strict=True)], (a, b)
        done = pd.read_csv(out, dtype=str)
    else:
        done = (pd.read_excel(out, dtype=object) if ext == "xlsx" else pd.read_parquet(out))
    assert done["batch"].tolist() == df["batch"].tolist()
    assert set(done["code"]) == {"007", "010"}
    seen = df["ok"].notna()
    if ext != "csv":
        assert done["ok"][seen].tolist() == df["ok"][seen].tolist()
        assert all(isinstance(v, (bool, np.bool_)) for v in done["ok"])


def test_impute_writes_every_observed_cell_of_a_csv_as_the_file_wrote_it(capsys, tmp_path):
    """Trailing zeros, exponents, TRUE/FALSE, spaces and the text of a cell left empty stay
    as written; the filled cells take the column's decimals and spelling."""
    src, out = tmp_path / "lab.csv", tmp_path / "done.csv"
    rng = np.random.default_rng(9)
    n = 40
    x = rng.normal(12, 1, n)
    lines = ["ok,x,z,when,note"] + [
        f"{'TRUE' if v > 12 else 'FALSE'},{v:.2f},{v / 1e4:.1e}, {i + 1}.1.2024,"
        f"{' A' if v > 12 else 'B '}" for i, v in enumerate(x)]
    lines[3] = lines[3].replace(lines[3].split(",")[1], "", 1)  # an empty x
    lines[5] = "," + lines[5].split(",", 1)[1]  # an empty ok
    lines[7] = lines[7].rsplit(",", 2)[0] + ",n/a," + lines[7].rsplit(",", 1)[1]  # no date
    src.write_text("\n".join(lines) + "\n")
    code, _, err = run(capsys, "impute", src, "-o", out, "--seed", "0")
    assert code == 0, err
    before = [line.split(",") for line in src.read_text().splitlines()]
    after = [line.split(",") for line in out.read_text().splitlines()]
    assert len(before) == len(after)
    for a, b in zip(before, after):
        assert [c for c in a if c] == [d for c, d in zip(a, b) if c], (a, b)
    assert after[3][1].count(".") == 1 and len(after[3][1].split(".")[1]) == 2  # '12.34'
    assert after[5][0] in ("TRUE", "FALSE")


def test_impute_says_why_it_leaves_a_label_column_of_few_labels_empty(capsys, tmp_path):
    """Five labels in ten rows are too many to model, though fewer than 20: the line says
    what the column holds, not that it has more than 20 labels."""
    src = tmp_path / "few.csv"
    labels = ["a", "b", "c", "d", "e", "a", "", "b", "c", "d"]
    src.write_text("x,y,lab\n" + "".join(
        f"{i}.0,{'' if i == 2 else 2 * i + 0.5},{lab}\n" for i, lab in enumerate(labels, 1)))
    code, _, err = run(capsys, "impute", src, "-o", tmp_path / "done.csv", "--seed", "0")
    assert code == 0, err
    assert "'lab' 1 (5 labels in 10 rows)" in err and "more than 20 kinds" not in err


def test_score_writes_a_date_index_in_the_tables_form(capsys, tmp_path):
    src = tmp_path / "dated.csv"
    df = _dated_csv(src)
    code, _, err = run(capsys, "fit", src, "-o", tmp_path / "m.dkm", "--components", "1")
    assert code == 0, err
    out = tmp_path / "scores.csv"
    code, _, err = run(capsys, "score", tmp_path / "m.dkm", src, "-o", out)
    assert code == 0, err
    scores = pd.read_csv(out, dtype={"when": str})
    assert scores["when"].tolist() == df["when"][df["temp"].notna()].tolist()


def test_classify_writes_a_date_index_in_the_tables_form(capsys, tmp_path):
    src = tmp_path / "dated.csv"
    df = _dated_csv(src).dropna()
    df["kind"] = np.where(df["flow"] > 2, "hi", "lo")
    df.to_csv(src, index=False)
    code, _, err = run(capsys, "classify", "fit", src, "--target", "kind", "--model", "gmm",
                       "--components", "1", "--seed", "0", "-o", tmp_path / "c.dkm")
    assert code == 0, err
    out = tmp_path / "pred.csv"
    code, _, err = run(capsys, "classify", "predict", tmp_path / "c.dkm", src, "-o", out)
    assert code == 0, err
    assert pd.read_csv(out, dtype={"when": str})["when"].tolist() == df["when"].tolist()


def test_impute_reads_the_file_once_for_every_completed_table(capsys, tmp_path, monkeypatch):
    import densitykit.data as data

    src = tmp_path / "ids.csv"
    df = _mixed_frame(60)
    df.insert(0, "id", [f"S{i:04d}" for i in range(len(df))])  # left out, put back as read
    df.to_csv(src, index=False)
    calls = []
    real = data.read_raw
    monkeypatch.setattr(data, "read_raw", lambda *a, **k: calls.append(a) or real(*a, **k))
    code, _, err = run(capsys, "impute", src, "-o", tmp_path / "k.csv", "--multiple", "3",
                       "--seed", "0")
    assert code == 0, err
    n_multiple = len(calls)
    calls.clear()
    code, _, err = run(capsys, "impute", src, "-o", tmp_path / "one.csv", "--seed", "0")
    assert code == 0, err
    assert n_multiple == len(calls)  # not once more for each of the 3 tables
    for i in (1, 2, 3):
        done = pd.read_csv(tmp_path / f"k-{i}.csv")
        assert done["id"].tolist() == df["id"].tolist()


@pytest.mark.parametrize("ext", ["csv", "xlsx", "parquet"])
def test_impute_keeps_cells_that_state_a_bound(capsys, tmp_path, ext):
    """A lab export's '<0.01' (under the detection limit) is no empty cell: impute keeps it
    as written (a Parquet column of numbers, which holds no text, leaves it empty), fills
    'n/a' and the empty cells, and says which cells it kept."""
    if ext == "parquet":
        pytest.importorskip("pyarrow")
    rng = np.random.default_rng(8)
    n = 60
    x = rng.normal(1, 0.2, n)
    conv = [f"{v:.3f}" for v in 0.5 * x + rng.normal(0, 0.05, n)]
    conv[4], conv[9], conv[20] = "<0.01", "> 2.5", "n/a"
    src = tmp_path / "lab.csv"
    pd.DataFrame({"x": x.round(3), "conv": conv}).to_csv(src, index=False)
    out = tmp_path / f"done.{ext}"
    code, stdout, err = run(capsys, "impute", src, "-o", out, "--seed", "0")
    assert code == 0, err
    assert "1 empty cells filled" in stdout  # 'n/a' only
    assert "2 cells that state a bound" in err and "'conv' 2 (e.g. '<0.01')" in err
    done = (pd.read_csv(out, dtype=str) if ext == "csv" else pd.read_excel(out, dtype=str)
            if ext == "xlsx" else pd.read_parquet(out))
    if ext == "parquet":
        assert done["conv"].isna().tolist()[4:10:5] == [True, True]
        assert done["conv"].notna().sum() == n - 2
    else:
        assert done["conv"][[4, 9]].tolist() == ["<0.01", "> 2.5"]
        assert float(done["conv"][20]) == pytest.approx(0.5, abs=0.3)


def test_percentages_are_numbers_written_back_with_their_sign(capsys, tmp_path):
    """A yield written '85.5%' is modelled as 85.5: impute keeps each observed cell as
    written and fills in the column's style, synth and sample write the sign back."""
    rng = np.random.default_rng(9)
    n = 90
    temp = rng.normal(80, 3, n)
    yields = [f"{v:.1f}%" for v in 0.5 * temp + 45 + rng.normal(0, 0.5, n)]
    yields[3] = yields[17] = ""
    src = tmp_path / "batches.csv"
    pd.DataFrame({"temp": temp.round(1), "yield": yields}).to_csv(src, index=False)
    done = tmp_path / "done.csv"
    code, _, err = run(capsys, "impute", src, "-o", done, "--seed", "0")
    assert code == 0, err
    back = pd.read_csv(done, dtype=str)["yield"]
    assert back.drop([3, 17]).tolist() == [y for y in yields if y]
    assert back[[3, 17]].str.fullmatch(r"\d\d\.\d%").all(), back[[3, 17]]
    for path in _synth_and_sample(capsys, src, 30):
        drawn = pd.read_csv(path, dtype=str)["yield"].dropna()
        assert len(drawn) and drawn.str.fullmatch(r"\d\d\.\d%").all(), drawn.head()
        assert drawn.str.rstrip("%").astype(float).between(75, 95).all()
    code, _, err = run(capsys, "sample", tmp_path / "rows.dkm", "-n", "5", "-o",
                       tmp_path / "given.csv", "--seed", "1", "--given", "yield=86.5%")
    assert code == 0, err
    given = pd.read_csv(tmp_path / "given.csv", dtype=str)
    assert (given["yield"] == "86.5%").all()
    assert given["temp"].astype(float).between(76, 88).all()  # the temperatures of 86.5 %


def test_impute_keeps_grouped_numbers_and_writes_whole_numbers_as_the_column_does(
        capsys, tmp_path):
    src, out = tmp_path / "grouped.csv", tmp_path / "done.csv"
    rows = [f'"{1000 + 37 * i:,}.5",{i % 5 + 1}.0' for i in range(30)]
    rows[7] = '"1,259.5",'  # b empty
    src.write_text("a,b\n" + "\n".join(rows) + "\n")
    code, _, err = run(capsys, "impute", src, "-o", out, "--seed", "0")
    assert code == 0, err
    before, after = src.read_text().splitlines(), out.read_text().splitlines()
    assert [r for i, r in enumerate(after) if i != 8] == [r for i, r in enumerate(before)
                                                          if i != 8]
    assert re.fullmatch(r'"1,259\.5",\d\.0', after[8]), after[8]


@pytest.mark.parametrize("ext", ["parquet", "xlsx"])
def test_impute_keeps_the_percentages_a_parquet_or_excel_file_holds_as_text(
        capsys, tmp_path, ext):
    if ext == "parquet":
        pytest.importorskip("pyarrow")
    rng = np.random.default_rng(10)
    x = rng.normal(size=40)
    df = pd.DataFrame({"share": [f"{50 + 10 * v:.1f}%" for v in x],
                       "x": (x + rng.normal(0, 0.3, 40)).round(2)})
    df.loc[[3, 7], "share"] = None
    src = tmp_path / f"shares.{ext}"
    df.to_parquet(src) if ext == "parquet" else df.to_excel(src, index=False)
    for out in (tmp_path / f"done.{ext}", tmp_path / "done.csv"):
        code, _, err = run(capsys, "impute", src, "-o", out, "--seed", "0")
        assert code == 0, err
        done = (pd.read_csv(out, dtype=str) if out.suffix == ".csv" else
                pd.read_parquet(out) if ext == "parquet" else pd.read_excel(out, dtype=str))
        seen = df["share"].notna()
        assert done["share"][seen].tolist() == df["share"][seen].tolist()
        assert done["share"][~seen].str.fullmatch(r"\d\d(\.\d+)?%").all(), done["share"][:8]



def test_synth_and_sample_write_an_excel_files_text_percentages_as_text(capsys, tmp_path):
    # read from text as 50.3, written back as '50.3%': a number 50.3 in the cell would lose
    # the sign, and 0.503 formatted as a percentage would be read back 100 times smaller
    rng = np.random.default_rng(12)
    x = rng.normal(size=60)
    src = tmp_path / "shares.xlsx"
    pd.DataFrame({"share": [f"{50 + 5 * v:.1f}%" for v in x],
                  "x": (x + rng.normal(0, 0.3, 60)).round(2)}).to_excel(src, index=False)
    code, _, err = run(capsys, "synth", src, "-o", tmp_path / "rows.xlsx", "--seed", "0",
                       "--no-report", "--model", "gmm", "--components", "1")
    assert code == 0, err
    code, _, err = run(capsys, "sample", tmp_path / "rows.dkm", "-n", 20, "-o",
                       tmp_path / "drawn.xlsx", "--seed", "1")
    assert code == 0, err
    for name in ("rows.xlsx", "drawn.xlsx"):
        share = pd.read_excel(tmp_path / name, dtype=str)["share"]
        assert share.str.fullmatch(r"\d\d\.\d%").all(), share.head()
        back = read_table(tmp_path / name, kinds="mixed")
        assert back.report.number_forms == {"share": "0.0%"}
        assert back.data["share"].between(30, 70).all()


def test_impute_synth_and_sample_keep_an_excel_files_cell_formats(capsys, tmp_path):
    """Cells formatted as percentages ('0.0%') and as dates without a time ('yyyy-mm-dd')
    are written back so: 0.859 shows as 85.9%, not 0.859; a day not as 00:00:00."""
    import datetime as dt

    openpyxl = pytest.importorskip("openpyxl")
    rng = np.random.default_rng(0)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["day", "yield", "temp"])
    for i in range(60):
        ws.append([dt.date(2024, 1, 1) + dt.timedelta(days=i),
                   round(float(rng.uniform(0.7, 0.95)), 3),
                   None if i % 9 == 0 else round(float(rng.normal(80, 3)), 1)])
    for row in ws.iter_rows(min_row=2):
        row[0].number_format, row[1].number_format = "yyyy-mm-dd", "0.0%"
    src = tmp_path / "plant.xlsx"
    wb.save(src)
    assert read_table(src, kinds="mixed").report.cell_formats == {"day": "yyyy-mm-dd",
                                                                  "yield": "0.0%"}
    steps = [("impute", src, "-o", tmp_path / "done.xlsx"),
             ("synth", src, "-o", tmp_path / "rows.xlsx", "--no-report", "--model", "gmm",
              "--components", "1"),
             ("sample", tmp_path / "rows.dkm", "-n", 10, "-o", tmp_path / "drawn.xlsx")]
    for step in steps:
        code, _, err = run(capsys, *step, "--seed", "0")
        assert code == 0, err
        out = step[step.index("-o") + 1]
        cells = list(openpyxl.load_workbook(out).active.iter_rows(min_row=2))
        assert {(r[0].number_format, r[1].number_format, r[2].number_format)
                for r in cells} == {("yyyy-mm-dd", "0.0%", "General")}, step[0]


@pytest.mark.parametrize(("text", "empty", "filled"), [
    ('a;b\n"1.234,50";2,0\n"2.345,50";\n;4,0\n"4.567,25";5,0\n"5.000,00";6,0\n', [2, 3],
     [r"2\.345,50;\d,0", r"\d\.\d{3},\d\d;4,0"]),
    ('a,b\n"1,5",2\n"2,5",\n"3,5",4\n"4,0",5\n', [2], [r'"2,5",\d']),
])
def test_impute_fills_in_the_marks_and_grouping_the_file_writes(capsys, tmp_path, text,
                                                                empty, filled):
    """'1.234,50' beside decimal commas and thousands points; decimal commas in a CSV
    separated by commas (quoted): observed cells as written, filled ones so."""
    src, out = tmp_path / "marks.csv", tmp_path / "done.csv"
    src.write_text(text)
    code, _, err = run(capsys, "impute", src, "-o", out, "--seed", "0")
    assert code == 0, err
    before, after = text.splitlines(), out.read_text().splitlines()
    assert len(after) == len(before) and after[0] == before[0]
    for i in range(1, len(before)):
        if i in empty:
            assert re.fullmatch(filled[empty.index(i)], after[i]), after[i]
        else:
            assert after[i].replace('"', "") == before[i].replace('"', "")


def test_times_of_day_are_hours_written_back_as_times(capsys, tmp_path):
    """A plant log's 'Uhrzeit' beside its 'Datum' ('06:15'): modelled as hours, the
    observed cells written as they were, the filled and drawn ones in the column's form."""
    rng = np.random.default_rng(11)
    n = 90
    hours = rng.uniform(6, 22, n)
    clock = [f"{int(h):02d}:{int(60 * (h % 1)):02d}" for h in hours]
    clock[4] = clock[30] = ""
    src = tmp_path / "log.csv"
    pd.DataFrame({"Datum": pd.date_range("2024-01-01", periods=n).strftime("%d.%m.%Y"),
                  "Uhrzeit": clock, "T": (50 + 2 * hours + rng.normal(0, 1, n)).round(1)}
                 ).to_csv(src, index=False, sep=";")
    done = tmp_path / "done.csv"
    code, _, err = run(capsys, "impute", src, "-o", done, "--seed", "0")
    assert code == 0, err
    back = pd.read_csv(done, sep=";", dtype=str)["Uhrzeit"]
    assert back.drop([4, 30]).tolist() == [c for c in clock if c]
    assert back[[4, 30]].str.fullmatch(r"(0[6-9]|1\d|2[0-2]):[0-5]\d").all(), back[[4, 30]]
    for path in _synth_and_sample(capsys, src, 30):
        drawn = pd.read_csv(path, sep=";", dtype=str)["Uhrzeit"].dropna()
        assert len(drawn) and drawn.str.fullmatch(r"[0-2]\d:[0-5]\d").all(), drawn.head()
    code, _, err = run(capsys, "sample", src.with_name("rows.dkm"), "-n", "5", "-o",
                       tmp_path / "given.csv", "--seed", "1", "--given", "Uhrzeit=20:00")
    assert code == 0, err
    given = pd.read_csv(tmp_path / "given.csv", sep=";", dtype=str)
    assert (given["Uhrzeit"] == "20:00").all()
    assert given["T"].astype(float).between(80, 100).all()  # the temperatures of 20:00


def test_scores_and_predictions_carry_the_tables_identifiers(capsys, tmp_path):
    """Columns a fit left out as identifiers come back, as written, on each line of the
    scores and predictions, beside the row they name, also when rows were dropped."""
    rng = np.random.default_rng(5)
    n = 80
    x = rng.normal(size=(n, 2)).round(3)
    src = tmp_path / "lab.csv"
    pd.DataFrame({"SampleID": [f"{10001 + i:06d}" for i in range(n)],
                  "Batch": [f"B-{i:03d}" for i in range(n)], "a": x[:, 0], "b": x[:, 1],
                  "cls": np.where(x[:, 0] > 0, "hi", "lo")}).to_csv(src, index=False)
    lines = src.read_text().splitlines()
    lines[5] = lines[5].replace(lines[5].split(",")[2], "n/a")  # row 5: 'a' bad, dropped
    src.write_text("\n".join(lines) + "\n")
    kept = [i for i in range(n) if i != 4]
    for argv, cmd in ((["fit", src, "--exclude", "cls", "--components", "1"],
                       ["score"]),
                      (["classify", "fit", src, "--target", "cls"], ["classify", "predict"])):
        model = tmp_path / f"{argv[0]}.dkm"
        out = tmp_path / f"{argv[0]}-out.csv"
        code, _, err = run(capsys, *argv, "-o", model, "--seed", "0")
        assert code == 0, err
        code, _, err = run(capsys, *cmd, model, src, "-o", out)
        assert code == 0, err
        got = pd.read_csv(out, dtype=str)
        assert list(got.columns[:3]) == ["row", "SampleID", "Batch"]
        assert got["row"].astype(int).tolist() == [i + 1 for i in kept]
        assert got["SampleID"].tolist() == [f"{10001 + i:06d}" for i in kept]  # as written
        assert got["Batch"].tolist() == [f"B-{i:03d}" for i in kept]
    synth = Synthesizer(model="gmm", n_components=[1], criterion="loglik").fit(src)
    assert "Batch" in synth.cleaning_["dropped_columns"]
    densitykit.save(synth, tmp_path / "synth.dkm")
    code, _, err = run(capsys, "score", tmp_path / "synth.dkm", src, "-o", tmp_path / "s.csv")
    assert code == 0, err
    got = pd.read_csv(tmp_path / "s.csv", dtype=str)
    assert list(got.columns[:3]) == ["row", "SampleID", "Batch"]
    assert got["Batch"].tolist() == [f"B-{i:03d}" for i in range(n)]
