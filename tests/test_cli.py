"""The densitykit command line: every command in-process, and once as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from densitykit.cli import COMMANDS, build_parser, main
from densitykit.datasets import dow_path
from densitykit.persist import load, read_info


@pytest.fixture
def table(tmp_path) -> Path:
    rng = np.random.default_rng(0)
    n = 240
    z = rng.normal(size=n)
    df = pd.DataFrame(
        {
            "when": pd.date_range("2021-03-01", periods=n, freq="h").astype(str),
            "flow": 2000 + 50 * z + rng.normal(0, 5, n),
            "dp": 10 + 0.5 * z + rng.normal(0, 0.1, n),
            "temp": rng.normal(80, 2, n),
            "count": rng.poisson(4, n),
        }
    )
    df.loc[7, "flow"] = np.nan
    df["dp"] = df["dp"].astype(object)
    df.loc[11, "dp"] = "!"
    path = tmp_path / "plant.csv"
    df.to_csv(path, index=False)
    return path


@pytest.fixture
def labelled(tmp_path) -> Path:
    rng = np.random.default_rng(1)
    a = rng.normal([0, 0], 1, size=(120, 2))
    b = rng.normal([3, 3], 1, size=(120, 2))
    df = pd.DataFrame(np.vstack([a, b]), columns=["u", "v"])
    df["kind"] = ["alpha"] * 120 + ["beta"] * 120
    path = tmp_path / "labelled.csv"
    df.sample(frac=1, random_state=0).to_csv(path, index=False)
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- parser ------------------------------------------------------------------------


def test_registry_lists_every_command():
    assert {"fit", "sample", "score", "select", "info", "classify", "synth", "report"} <= set(
        COMMANDS
    )
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in ("fit", "sample", "score", "select", "info", "classify"):
        assert name in sub.choices


def test_missing_command_module_is_left_out(monkeypatch):
    monkeypatch.setitem(COMMANDS, "nothing", "densitykit.cli.does_not_exist")
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert "nothing" not in sub.choices


def test_broken_command_module_does_not_break_the_others(capsys, monkeypatch, tmp_path):
    (tmp_path / "dk_broken_cmd.py").write_text("import not_a_real_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(COMMANDS, "broken", "dk_broken_cmd")
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "broken" in out and "unavailable" in out
    code, _, err = run(capsys, "broken")
    assert code == 1 and "not_a_real_dependency_xyz" in err
    code, _, _ = run(capsys, "info", "--help")
    assert code == 0


@pytest.mark.parametrize("command", ["fit", "sample", "score", "select", "info", "classify"])
def test_help_for_every_command(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0 and "usage: densitykit " + command in out


def test_no_command_is_a_usage_error(capsys):
    code, _, err = run(capsys)
    assert code == 2 and "usage" in err


def test_help_does_not_import_heavy_modules():
    code = (
        "import sys, contextlib, io\n"
        "from densitykit.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    rc = main(['--help'])\n"
        "heavy = [m for m in ('numpy', 'pandas', 'sklearn', 'scipy') if m in sys.modules]\n"
        "print(rc, heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "0 []"


def test_number_type_bounds_words_and_messages():
    import argparse

    from densitykit.cli._common import number

    def refusal(parse, text):
        with pytest.raises(argparse.ArgumentTypeError) as info:
            parse(text)
        return str(info.value)

    count = number(int, low=1, high=5)
    assert count("1") == 1 and count("5") == 5
    assert refusal(count, "6") == "must be between 1 and 5, got 6"
    assert refusal(count, "1.5") == "expected a whole number, got '1.5'"
    share = number(float, low=0, high=1, exclusive=True, what="a share")
    assert share("0.5") == 0.5
    assert refusal(share, "1") == "must be between 0 and 1 (exclusive), got 1.0"
    assert refusal(share, "nan") == "must be between 0 and 1 (exclusive), got nan"
    assert refusal(share, "x") == "expected a share, got 'x'"
    positive = number(float, low=0.0, words={"auto"}, refuse="{text!r} is not {bounds}")
    assert positive("auto") == "auto" and positive("0") == 0.0
    assert refusal(positive, "inf") == "'inf' is not at least 0"  # floats must be finite
    assert refusal(positive, "-1e-9") == "'-1e-9' is not at least 0"


# --- fit ---------------------------------------------------------------------------


def test_fit_writes_model_beside_table(capsys, table):
    code, out, err = run(capsys, "fit", table, "--components", "2", "--seed", "0")
    assert code == 0, err
    model_path = table.with_suffix(".dkm")
    assert model_path.exists() and str(model_path) in out
    assert "Kept 238 rows x 4 columns" in err and "'!'" in err
    model, meta = load(model_path, return_metadata=True)
    assert model.columns_ == ["flow", "dp", "temp", "count"]
    assert meta["cleaning"]["n_rows_in"] == 240 and meta["n_rows"] == 238
    assert meta["index_column"] == "when" and meta["seed"] == 0
    assert meta["argv"] == ["fit", str(table), "--components", "2", "--seed", "0"]
    assert model.density_.n_components == 2
    assert list(tmp for tmp in table.parent.iterdir() if tmp.name.startswith(".")) == []


def test_fit_range_uses_selection(capsys, table):
    out_path = table.parent / "sel.dkm"
    code, _, err = run(capsys, "fit", table, "--components", "1-3", "--covariance-type",
                       "full,diag", "--criterion", "bic", "--seed", "0", "-o", out_path)
    assert code == 0, err
    model, meta = load(out_path, return_metadata=True)
    sel = meta["selection"]
    assert len(sel) == 6 and sel["selected"].sum() == 1
    best = sel[sel["selected"]].iloc[0]
    assert model.density_.n_components == best["n_components"]
    assert model.density_.covariance_type == best["covariance_type"]
    assert best["bic"] == sel["bic"].min()


@pytest.mark.parametrize(("kind", "extra"), [
    ("kde", []),
    ("normal", []),
    ("gmm", ["--transform", "quantile", "--clip"]),
    ("latent", ["--components", "1-2", "--latent-dims", "2", "--transform", "yeo-johnson"]),
])
def test_fit_other_kinds(capsys, table, kind, extra):
    out_path = table.parent / f"{kind}.dkm"
    code, _, err = run(capsys, "fit", table, "--model", kind, *extra, "--seed", "1",
                       "-o", out_path, "-q")
    assert code == 0, err
    assert err == ""  # --quiet
    model = load(out_path)
    assert np.isfinite(model.score_samples(pd.DataFrame(
        [[2000.0, 10.0, 80.0, 4.0]], columns=model.columns_))).all()
    assert type(model.density_).__name__ == {"gmm": "GaussianMixture", "kde": "KernelDensity",
                                             "normal": "Normal",
                                             "latent": "LatentDensity"}[kind]


def test_fit_table_after_list_options(capsys, table, monkeypatch):
    monkeypatch.chdir(table.parent)
    code, _, err = run(capsys, "fit", "--exclude", "-1:", "plant.csv", "--components", "1",
                       "--seed", "0", "-o", "last.dkm")
    assert code == 0, err
    assert load(table.parent / "last.dkm").columns_ == ["flow", "dp", "temp"]
    code, _, err = run(capsys, "fit", "--columns", "flow", "dp", "plant.csv",
                       "--components", "1", "--seed", "0", "-o", "two.dkm")
    assert code == 0, err
    assert load(table.parent / "two.dkm").columns_ == ["flow", "dp"]


def test_fit_column_selection(capsys, table):
    out_path = table.parent / "cols.dkm"
    code, _, err = run(capsys, "fit", table, "--columns", "f*", "temp", "--components", "1",
                       "--seed", "0", "-o", out_path)
    assert code == 0, err
    assert load(out_path).columns_ == ["flow", "temp"]


def test_fit_dow_reports_chapter_cleaning(capsys, tmp_path):
    out_path = tmp_path / "dow.dkm"
    code, _, err = run(capsys, "fit", dow_path(), "--exclude", "-5:", "--check-all",
                       "--components", "2", "--seed", "0", "-o", out_path)
    assert code == 0, err
    assert "5959 rows x 46 columns" in err and "Kept 5668 rows x 40 columns" in err
    assert "x37: Feed Column Tails Flow to Primary Column" in err and "'!'" in err
    meta = read_info(out_path)["metadata"]
    assert meta["cleaning"]["n_rows_out"] == 5668 and len(meta["columns"]) == 40
    assert "291 row(s) with empty or bad cells left out: --policy keep fits them" in err


def test_fit_names_what_keeps_a_text_column(capsys, tmp_path):
    path = tmp_path / "graded.csv"
    rng = np.random.default_rng(0)
    pd.DataFrame({"grade": rng.choice(["A", "B"], 80), "x": rng.normal(size=80),
                  "y": rng.normal(size=80)}).to_csv(path, index=False)
    code, _, err = run(capsys, "fit", path, "--components", "1", "--seed", "0")
    assert code == 0, err
    assert "Text column(s) 'grade' left out: 'densitykit synth' models categories" in err
    assert "--policy keep" not in err  # no row was left out


# --- sample ------------------------------------------------------------------------


@pytest.fixture
def model_file(capsys, table) -> Path:
    code, _, err = run(capsys, "fit", table, "--components", "2", "--seed", "0")
    assert code == 0, err
    return table.with_suffix(".dkm")


def test_sample_is_reproducible(capsys, model_file):
    code, out, err = run(capsys, "sample", model_file, "-n", "50", "--seed", "3")
    assert code == 0, err
    assert "50 rows x 4 columns" in out
    out_path = model_file.parent / "plant-samples.csv"
    first = pd.read_csv(out_path)
    assert first.shape == (50, 4) and list(first.columns) == ["flow", "dp", "temp", "count"]
    assert np.all(first["count"] == np.round(first["count"]))
    code, _, _ = run(capsys, "sample", model_file, "-n", "50", "--seed", "3", "--force")
    assert code == 0
    pd.testing.assert_frame_equal(pd.read_csv(out_path), first)
    code, _, _ = run(capsys, "sample", model_file, "-n", "50", "--seed", "4", "--force")
    assert not pd.read_csv(out_path).equals(first)


def test_sample_default_count_and_formats(capsys, model_file):
    for name in ("s.parquet", "s.xlsx", "s.tsv"):
        out_path = model_file.parent / name
        code, _, err = run(capsys, "sample", model_file, "--seed", "0", "-o", out_path)
        assert code == 0, err
        from densitykit.data import read_table

        assert read_table(out_path).data.shape == (238, 4)  # as many rows as were fitted


@pytest.fixture
def readings(tmp_path) -> Path:
    """Two-decimal temperatures, whole counts from 0 and one-decimal flows, some empty."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"temp": rng.normal(50, 5, 400).round(2), "count": rng.poisson(5, 400),
                       "flow": rng.normal(20, 4, 400).round(1)})
    df.loc[::17, "flow"] = np.nan
    df.to_csv(tmp_path / "t.csv", index=False)
    return tmp_path / "t.csv"


def test_sample_writes_each_column_in_the_precision_and_type_of_the_table(capsys, readings):
    tmp = readings.parent
    code, _, err = run(capsys, "fit", readings, "-o", tmp / "t.dkm")
    assert code == 0, err
    expected = load(tmp / "t.dkm").sample(300, random_state=0)
    for name in ("s.csv", "s.tsv", "s.parquet", "s.xlsx"):
        code, _, err = run(capsys, "sample", tmp / "t.dkm", "-n", "300", "--seed", "0",
                           "-o", tmp / name)
        assert code == 0, err
        from densitykit.data import read_table

        got = read_table(tmp / name).data if name != "s.csv" else pd.read_csv(tmp / name)
        assert got["count"].dtype == np.int64, name  # no '.0'
        np.testing.assert_array_equal(got.to_numpy(dtype=float), expected.to_numpy(), name)
    lines = (tmp / "s.csv").read_text().splitlines()
    assert lines[0] == "temp,count,flow"
    for line in lines[1:]:
        temp, count, flow = line.split(",")
        assert len(temp.partition(".")[2]) <= 2 and len(flow.partition(".")[2]) <= 1, line
        assert count.lstrip("-").isdigit() and count != "-0", line
    assert "0" in [line.split(",")[1] for line in lines[1:]]  # never '-0.0'


def test_sample_given(capsys, model_file):
    out_path = model_file.parent / "given.csv"
    code, out, err = run(capsys, "sample", model_file, "-n", "400", "--given", "dp=11",
                         "--seed", "0", "-o", out_path)
    assert code == 0, err
    assert "given dp=11" in out
    rows = pd.read_csv(out_path)
    assert list(rows.columns) == ["flow", "dp", "temp", "count"]
    assert np.all(rows["dp"] == 11.0)
    # flow follows dp closely in the table: given a high dp, flows are high
    assert rows["flow"].mean() > 2050
    # the options may come first too
    again = model_file.parent / "given2.csv"
    code, _, err = run(capsys, "sample", "--given", "dp=11", model_file, "-n", "400",
                       "--seed", "0", "-o", again)
    assert code == 0, err
    pd.testing.assert_frame_equal(pd.read_csv(again), rows)


def test_sample_given_a_category_of_a_synthesizer(capsys, tmp_path):
    from densitykit import Synthesizer
    from densitykit.persist import save

    rng = np.random.default_rng(0)
    n = 200
    df = pd.DataFrame({"grade": rng.choice(["A", "B"], n), "flag": rng.random(n) < 0.5,
                       "count": rng.poisson(4, n), "x": rng.normal(size=n).round(2)})
    path = tmp_path / "synth.dkm"
    save(Synthesizer("gmm", criterion="loglik", n_components=[1], random_state=0).fit(df),
         path)
    out_path = tmp_path / "given.csv"
    code, out, err = run(capsys, "sample", path, "-n", "20", "--given", "grade=B",
                         "flag=false", "count=3", "--seed", "0", "-o", out_path)
    assert code == 0, err
    assert "given grade=B, flag=false, count=3" in out
    # the same rows as Python's, the given columns in their own dtypes
    rows = load(path).sample(20, random_state=0, given={"grade": "B", "flag": False,
                                                         "count": 3})
    assert out_path.read_text() == rows.to_csv(index=False)


# --- score, info, select, classify --------------------------------------------------


def test_score_flags_outliers(capsys, model_file, tmp_path):
    df = pd.read_csv(model_file.parent / "plant.csv")
    df.loc[0, "flow"] = 9000.0  # far outside
    new = tmp_path / "new.csv"
    df.to_csv(new, index=False)
    code, out, err = run(capsys, "score", model_file, new, "--outlier-quantile", "0.05")
    assert code == 0, err
    assert "238 rows scored" in out
    scores = pd.read_csv(tmp_path / "new-scores.csv")
    assert len(scores) == 238 and {"row", "log_likelihood", "outlier"} <= set(scores.columns)
    assert scores.loc[scores["row"] == 1, "outlier"].item()
    assert scores["log_likelihood"].idxmin() == 0
    assert 0 < scores["outlier"].sum() < 40
    model = load(model_file)
    clean = pd.read_csv(model_file.parent / "plant.csv").drop(index=[7, 11])
    clean["dp"] = clean["dp"].astype(float)
    expected = model.score_samples(clean[model.columns_].iloc[1:])
    np.testing.assert_allclose(scores["log_likelihood"].to_numpy()[1:], expected)


@pytest.mark.parametrize("command", [["score"], ["classify", "predict"]])
def test_table_before_the_model_says_so(capsys, model_file, command):
    table = model_file.parent / "plant.csv"
    code, _, err = run(capsys, *command, table, model_file)
    assert code != 0
    assert f"the model file comes first, then the table: give {model_file} {table}" in err


def test_info_text_and_json(capsys, model_file):
    code, out, _ = run(capsys, "info", model_file)
    assert code == 0
    assert "densitykit.TableModel" in out and "flow, dp, temp, count" in out
    assert "Kept 238 rows" in out and "n_components: 2" in out
    code, out, _ = run(capsys, "info", model_file, "--json")
    desc = json.loads(out)
    assert desc["class"] == "densitykit.TableModel"
    assert desc["metadata"]["columns"] == ["flow", "dp", "temp", "count"]


def test_select_prints_table_and_plots(capsys, table):
    results = table.parent / "cands.csv"
    code, out, err = run(capsys, "select", table, "--components", "1-3", "--seed", "0",
                         "--results", results, "-o", table.parent / "best.dkm")
    assert code == 0, err
    assert "heldout_loglik" in out and "chosen by cv" in out
    png = table.parent / "plant-selection.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(pd.read_csv(results)) == 3
    assert load(table.parent / "best.dkm").density_.n_components in (1, 2, 3)


def test_classify_fit_and_predict(capsys, labelled):
    code, out, err = run(capsys, "classify", "fit", labelled, "--target", "kind",
                         "--model", "gmm", "--components", "1", "--seed", "0")
    assert code == 0, err
    model_path = labelled.parent / "labelled-classifier.dkm"
    assert "2 classes" in out
    code, out, err = run(capsys, "classify", "predict", model_path, labelled, "--proba")
    assert code == 0, err
    pred = pd.read_csv(labelled.parent / "labelled-predictions.csv")
    truth = pd.read_csv(labelled)["kind"]
    assert (pred["predicted"] == truth).mean() > 0.9
    np.testing.assert_allclose(pred["p(alpha)"] + pred["p(beta)"], 1.0)
    assert "accuracy against 'kind'" in out
    assert "not fitted on" not in out
    df = pd.read_csv(labelled)
    df.loc[:2, "kind"] = "gamma"  # a class the model has never seen
    df.to_csv(labelled.parent / "new.csv", index=False)
    code, out, err = run(capsys, "classify", "predict", model_path, labelled.parent / "new.csv")
    assert code == 0, err
    assert "(3 row(s) of class(es) the model was not fitted on, counted as wrong: 'gamma')" in out


def test_classify_accuracy_leaves_out_rows_without_a_label(capsys, tmp_path):
    """Rows with an empty label are no class 'nan': predict leaves them out of the accuracy,
    as fit leaves them out of the fit; and integer labels read as floats (a column with an
    empty cell) are the same classes as whole integers, in the model and in the accuracy."""
    rng = np.random.default_rng(2)
    kind = rng.integers(0, 2, 200)
    df = pd.DataFrame({"u": rng.normal(size=200) + 3 * kind, "v": rng.normal(size=200),
                       "kind": kind})
    df.to_csv(tmp_path / "full.csv", index=False)
    df.loc[[4, 9], "kind"] = np.nan
    df.to_csv(tmp_path / "gaps.csv", index=False)
    model = tmp_path / "m.dkm"
    code, _, err = run(capsys, "classify", "fit", tmp_path / "gaps.csv", "--target", "kind",
                       "--seed", "0", "-o", model)
    assert code == 0, err
    classes = load(model).classes_
    assert classes.tolist() == [0, 1] and classes.dtype.kind == "i"
    said = {}
    for name in ("gaps", "full"):
        code, said[name], err = run(capsys, "classify", "predict", model,
                                    tmp_path / f"{name}.csv", "-o", tmp_path / f"{name}-p.csv")
        assert code == 0, err
        assert "not fitted on" not in said[name]
    pred = pd.read_csv(tmp_path / "full-p.csv")["predicted"].to_numpy()
    assert pred.dtype.kind == "i"
    has = ~np.isin(np.arange(200), [4, 9])
    gaps = f"accuracy against 'kind': {np.mean(pred[has] == kind[has]):.4f} on the 198 row(s)"
    assert f"{gaps} with a label (2 without)" in said["gaps"]
    assert f"accuracy against 'kind': {np.mean(pred == kind):.4f}\n" in said["full"]


def test_classify_names_its_own_options(capsys, labelled, tmp_path):
    df = pd.read_csv(labelled)
    df.loc[:5, "kind"] = "gamma"  # a class of 6 rows: too few for 5 folds
    df.loc[10, "u"] = np.nan
    path = tmp_path / "small.csv"
    df.to_csv(path, index=False)
    code, _, err = run(capsys, "classify", "fit", path, "--target", "kind", "--model", "gmm",
                       "--components", "1-3", "--seed", "0", "-q")
    assert code == 1 and "class 'gamma' has 6" in err and "single --components" in err
    assert "fewer folds" not in err
    code, _, err = run(capsys, "classify", "fit", path, "--target", "kind", "--policy", "keep",
                       "--seed", "0", "-q")
    assert code == 1 and "1 empty cell(s)" in err and "--policy drop-rows" in err
    helptext = build_parser()._subparsers._group_actions[0].choices["classify"]
    fit_help = helptext._subparsers._group_actions[0].choices["fit"].format_help()
    assert "--criterion" not in fit_help and "held-out log-likelihood" in fit_help


def test_debug_shows_traceback(capsys, tmp_path):
    code, _, err = run(capsys, "fit", tmp_path / "nope.csv", "--debug")
    assert code == 1 and "Traceback" in err
    code, _, err = run(capsys, "fit", tmp_path / "nope.csv")
    assert code == 1 and "Traceback" not in err


# --- once as a real subprocess ------------------------------------------------------


def _cli(*argv: object, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    return subprocess.run([sys.executable, "-m", "densitykit", *map(str, argv)], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=300)


def test_every_command_as_subprocess(table, labelled):
    d = table.parent
    steps = [
        ("fit", "plant.csv", "--components", "2", "--seed", "0"),
        ("sample", "plant.dkm", "-n", "20", "--seed", "0"),
        ("score", "plant.dkm", "plant.csv"),
        ("info", "plant.dkm"),
        ("select", "plant.csv", "--components", "1-2", "--seed", "0", "--no-plot"),
        ("classify", "fit", "labelled.csv", "--target", "kind", "--seed", "0"),
        ("classify", "predict", "labelled-classifier.dkm", "labelled.csv"),
    ]
    for argv in steps:
        proc = _cli(*argv, cwd=d)
        assert proc.returncode == 0, (argv, proc.stderr)
    assert len(pd.read_csv(d / "plant-samples.csv")) == 20
    assert (d / "plant-scores.csv").exists() and (d / "labelled-predictions.csv").exists()
    proc = _cli("sample", "plant.dkm", "-n", "0", cwd=d)
    assert proc.returncode == 2
    proc = _cli("--version", cwd=d)
    assert proc.returncode == 0 and "densitykit" in proc.stdout


def test_outputs_get_ordinary_permissions(tmp_path):
    """Files are written to a private temporary name, then published with the umask's mode."""
    from densitykit._files import publish

    tmp = tmp_path / ".out.tmp"
    tmp.write_text("x")
    tmp.chmod(0o600)
    mask = os.umask(0o022)
    try:
        publish(tmp, tmp_path / "out.csv")
    finally:
        os.umask(mask)
    assert (tmp_path / "out.csv").stat().st_mode & 0o777 == 0o644
    assert not tmp.exists()


def test_a_greedy_option_gives_the_table_back(tmp_path):
    import argparse

    from densitykit.cli._common import UsageError, recover_table_argument

    table = tmp_path / "plant.csv"
    table.write_text("a,b\n1,2\n")
    for attr, items, left in [("exclude", ["-5:", str(table)], ["-5:"]),
                              ("exclude", [str(table)], None),
                              ("columns", ["a", str(table)], ["a"]),
                              ("given", ["a=1", str(table)], ["a=1"])]:
        args = argparse.Namespace(table=None, columns=None, exclude=None, given=None)
        setattr(args, attr, list(items))
        recover_table_argument(args, "usage")
        assert args.table == table and getattr(args, attr) == left, attr
    # a lone --columns value is a column that happens to share a file's name, not the table
    args = argparse.Namespace(table=None, columns=[str(table)], exclude=None, given=None)
    with pytest.raises(UsageError, match="the table file is missing"):
        recover_table_argument(args, "usage")


def test_given_gives_the_model_back():
    import argparse

    from densitykit.cli._common import UsageError, recover_model_argument

    args = argparse.Namespace(model=None, given=["a=1", "plant.dkm", "b=2"])
    recover_model_argument(args, "usage")
    assert str(args.model) == "plant.dkm" and args.given == ["a=1", "b=2"]
    for given in (None, ["a=1"], ["x.dkm", "y.dkm"]):
        args = argparse.Namespace(model=None, given=given)
        with pytest.raises(UsageError, match="the model file is missing"):
            recover_model_argument(args, "usage")


def test_synth_and_sample_write_a_parquet_table_in_its_dtypes(capsys, tmp_path):
    pytest.importorskip("pyarrow")
    rng = np.random.default_rng(0)
    x = rng.normal(size=120)
    df = pd.DataFrame({"flag": x > 0, "grade": pd.Categorical(np.where(x > 0.5, "b", "a")),
                       "temp": (20 + x).round(1).astype(np.float32),
                       "count": pd.array(rng.integers(0, 9, 120), dtype="Int64"),
                       "level": rng.integers(0, 9, 120).astype(np.uint8)})
    df.to_parquet(tmp_path / "t.parquet")
    code, _, err = run(capsys, "synth", tmp_path / "t.parquet", "--model", "gmm", "--components",
                       "1", "--criterion", "loglik", "--no-report", "-o", tmp_path / "s.parquet")
    assert code == 0, err
    pd.testing.assert_series_equal(pd.read_parquet(tmp_path / "s.parquet").dtypes, df.dtypes)
    code, _, err = run(capsys, "sample", tmp_path / "s.dkm", "-n", "30", "--seed", "1",
                       "-o", tmp_path / "more.parquet")
    assert code == 0, err
    pd.testing.assert_series_equal(pd.read_parquet(tmp_path / "more.parquet").dtypes, df.dtypes)


def test_summaries_count_one_component_in_the_singular(capsys, tmp_path):
    rng = np.random.default_rng(1)
    pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)}).to_csv(
        tmp_path / "t.csv", index=False)
    code, out, err = run(capsys, "fit", tmp_path / "t.csv", "--components", "1", "--seed",
                         "0", "-o", tmp_path / "t.dkm")
    assert code == 0, err
    assert "(1 component," in out + err and "1 components" not in out + err


def test_relayed_warnings_are_one_line_each_and_others_pass_through(capsys):
    import argparse
    import warnings

    from densitykit.cli._common import relay_warnings
    from densitykit.exceptions import ConvergenceWarning, DensityKitWarning

    args = argparse.Namespace(_command="fit")
    with warnings.catch_warnings(record=True) as passed:
        warnings.simplefilter("always")
        with relay_warnings(args, DensityKitWarning, ConvergenceWarning):
            warnings.warn("EM stopped early", ConvergenceWarning, stacklevel=1)
            warnings.warn("something else", RuntimeWarning, stacklevel=1)
    err = capsys.readouterr().err
    assert err == "densitykit fit: warning: EM stopped early\n"
    assert [str(w.message) for w in passed] == ["something else"]
