"""The commands on messy tables: blank column names, tiny tables, text-like categories."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from densitykit.cli import main


def run(capsys, *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _blank_named(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 120
    x = rng.normal(size=n).round(2)
    y = (x + rng.normal(size=n)).round(2)
    y[::10] = np.nan
    path = tmp_path / "blank.csv"
    pd.DataFrame({"a": x, "": y, "c": rng.choice(["u", "v"], n)}).to_csv(path, index=False)
    assert path.read_text().startswith("a,,c\n")
    return path


def test_impute_and_synth_keep_a_blank_column_name(capsys, tmp_path):
    path = _blank_named(tmp_path)
    done = tmp_path / "done.csv"
    code, _, err = run(capsys, "impute", path, "-o", done, "--seed", "0")
    assert code == 0, err
    assert "Column 2 has no name in the header" in err
    assert done.read_text().startswith("a,,c\n")
    assert "Unnamed" not in done.read_text()
    synthetic = tmp_path / "syn.csv"
    code, _, err = run(capsys, "synth", path, "-o", synthetic, "--no-report", "--seed", "0",
                       "--model", "gmm", "--components", "1")
    assert code == 0, err
    assert synthetic.read_text().startswith("a,,c\n")


def test_a_table_too_small_for_the_folds_names_options_that_exist(capsys, tmp_path):
    path = tmp_path / "small.csv"
    path.write_text("a,b\n1,2\n2,3\n3,5\n4,4\n5,6\n")
    for criterion in ("cv", "bic"):  # every criterion holds out the folds' rows
        code, _, err = run(capsys, "fit", path, "--seed", "0", "--criterion", criterion, "-f")
        assert code == 1, err
        assert "fewer folds" not in err and "give a single --components" in err
    code, _, err = run(capsys, "select", path, "--seed", "0", "--no-plot")
    assert code == 1 and "use 'densitykit fit' with a single --components" in err
    code, _, err = run(capsys, "fit", path, "--seed", "0", "--components", "2", "-f")
    assert code == 0, err


def test_sample_given_a_category_that_looks_like_a_number(capsys, tmp_path):
    from densitykit import Synthesizer
    from densitykit.persist import load, save

    rng = np.random.default_rng(0)
    n = 200
    df = pd.DataFrame({"grade": rng.choice(["A", "B", "007"], n),
                       "x": rng.normal(size=n).round(2)})
    path = tmp_path / "synth.dkm"
    save(Synthesizer("gmm", criterion="loglik", n_components=[1], random_state=0).fit(df),
         path)
    out_path = tmp_path / "given.csv"
    code, out, err = run(capsys, "sample", path, "-n", "20", "--given", "grade=007",
                         "--seed", "0", "-o", out_path)
    assert code == 0, err
    assert "given grade=007" in out
    rows = load(path).sample(20, random_state=0, given={"grade": "007"})
    assert out_path.read_text() == rows.to_csv(index=False)
    assert (pd.read_csv(out_path, dtype=str)["grade"] == "007").all()
    code, out, err = run(capsys, "sample", path, "-n", "5", "--given", "x=0.5", "--seed", "0",
                         "-o", out_path, "-f")
    assert code == 0, err
    assert "given x=0.5" in out


def test_report_without_a_model_compares_every_column_of_a_mixed_table(tmp_path, capsys):
    rng = np.random.default_rng(0)
    n = 200
    real = pd.DataFrame({"when": pd.date_range("2024-01-01", periods=n, freq="h"),
                         "temp": rng.normal(80, 2, n).round(2),
                         "grade": rng.choice(["A", "B", "C"], n), "count": rng.poisson(4, n)})
    real.loc[::10, "temp"] = np.nan
    synth = real.sample(frac=1, random_state=1).reset_index(drop=True)
    synth["temp"] = synth["temp"] + 0.1
    real.to_csv(tmp_path / "real.csv", index=False)
    synth.to_csv(tmp_path / "synth.csv", index=False)
    argv = ["report", str(tmp_path / "real.csv"), str(tmp_path / "synth.csv"), "-q",
            "-o", str(tmp_path / "r.html")]
    assert main(argv) == 0  # the tables as they are, as synth reads them
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "4 columns, 200 real rows" in page and "categorical" in page
    assert main([*argv, "-f", "--policy", "drop-rows"]) == 1  # real empty cells dropped
    assert "use --policy keep" in capsys.readouterr().err


def test_kinds_that_need_complete_rows_name_the_options_with_policy_keep(tmp_path, capsys):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(120, 3)), columns=["a", "b", "c"])
    df.loc[::7, "a"] = np.nan
    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)
    for argv in (["fit", "--model", "kde"], ["fit", "--model", "latent"],
                 ["select", "--model", "bayesian-gmm", "--components", "1-2"]):
        code = main([argv[0], str(path), *argv[1:], "--policy", "keep", "--seed", "0", "-q",
                     "-o", str(tmp_path / "m.dkm")])
        err = capsys.readouterr().err
        assert code == 1 and "18 empty cell(s)" in err and "--model gmm or normal" in err
    assert main(["fit", str(path), "--policy", "keep", "--components", "1", "--seed", "0",
                 "-q", "-o", str(tmp_path / "m.dkm")]) == 0


def test_synth_says_what_it_read_and_left_out_before_choosing(capsys, tmp_path):
    # the reading log (a free-text column left out, bad cells) comes on stderr first, as
    # every other command gives it, not only in the report
    rng = np.random.default_rng(1)
    n = 150
    x = rng.normal(size=n).round(2)
    frame = pd.DataFrame({"x": x, "y": (x + rng.normal(size=n)).round(2),
                          "note": [f"checked by tech {i}" for i in range(n)]})
    frame.loc[::15, "y"] = np.nan
    path = tmp_path / "lab.csv"
    frame.to_csv(path, index=False)
    code, _, err = run(capsys, "synth", path, "-o", tmp_path / "syn.csv", "--no-report",
                         "--seed", "0", "--model", "gmm", "--components", "1,2")
    assert code == 0, err
    lines = err.splitlines()
    read = next(i for i, line in enumerate(lines) if line.startswith("Read ")
                and line.split(":")[0].endswith("lab.csv"))
    first = next(i for i, line in enumerate(lines) if line.startswith("  gmm 1:"))
    assert read < first
    assert any("'note'" in line and "free text" in line for line in lines[read:first])
    assert "'y': 10 empty" in err
    assert sum(line.startswith("Read ") for line in lines) == 1


def test_given_numbers_in_a_decimal_comma_tables_marks(capsys, tmp_path):
    """A number given as the table writes it ('70,5' beside decimal commas), or plainly,
    is read: by sample from a synthesizer's or a fitted model's file, and by synth."""
    rng = np.random.default_rng(0)
    n = 200
    temp = rng.normal(50, 5, n).round(1)
    df = pd.DataFrame({"temp": temp, "press": (2 * temp + rng.normal(0, 3, n)).round(1),
                       "grade": np.where(temp > 50, "A", "B")})
    src = tmp_path / "eu.csv"
    df.to_csv(src, sep=";", decimal=",", index=False)
    model, rows = tmp_path / "eu.dkm", tmp_path / "rows.csv"
    code, _, err = run(capsys, "synth", src, "-o", rows, "--model-file", model, "--no-report",
                       "--seed", "0", "--model", "gmm", "--components", "1", "-n", "5",
                       "--given", "temp=51,5")
    assert code == 0, err
    assert pd.read_csv(rows, sep=";", decimal=",")["temp"].tolist() == [51.5] * 5
    fitted = tmp_path / "fit.dkm"
    assert run(capsys, "fit", src, "-o", fitted, "--seed", "0", "--components", "1",
               "--columns", "temp", "press")[0] == 0
    for path in (model, fitted):
        for value in ("48,5", "48.5"):
            code, out, err = run(capsys, "sample", path, "-n", "4", "--given", f"temp={value}",
                                 "--seed", "0", "-o", rows, "-f")
            assert code == 0, err
            assert "given temp=48.5" in out
            assert pd.read_csv(rows, sep=";", decimal=",")["temp"].tolist() == [48.5] * 4
    code, _, err = run(capsys, "sample", model, "--given", "temp=abc", "-o", rows, "-f")
    assert code == 1 and "'abc' is not a number; column 'temp' holds numbers" in err


def test_given_numbers_with_a_thousands_mark_are_read_only_where_it_groups():
    """Beside '1.234,5', '70.5' is 70.5 (not 705: a thousands mark needs three digits
    after it), '1.202,7' is 1202.7 and '70,25' is 70.25."""
    from densitykit.cli._common import parse_given

    eu = {"text_marks": {"sep": ";", "decimal": ",", "thousands": "."}}
    assert parse_given(["a=70.5", "b=1.202,7", "c=70,25", "d=1.234", "e=x.5"], like=eu) == \
        {"a": 70.5, "b": 1202.7, "c": 70.25, "d": 1234.0, "e": "x.5"}
    us = {"text_marks": {"decimal": ".", "thousands": ","}}
    assert parse_given(["a=1,234.5", "b=70.5", "c=70,5"], like=us) == \
        {"a": 1234.5, "b": 70.5, "c": "70,5"}
