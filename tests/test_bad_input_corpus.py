"""The bad-input corpus (tests/bad_inputs/): every case gives its exit code and one line.

Each case runs ``densitykit.cli.main`` in-process in a copy of the corpus and checks the exit
code, that stderr is one line naming the problem, that no input changed and that a failed
command leaves no file behind.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from densitykit.cli import main
from densitykit.data import OutsideRangeWarning, read_raw, read_table
from densitykit.exceptions import DataError
from densitykit.persist import load
from hostile_models import CASES, write_cases, write_oversized

CORPUS = Path(__file__).parent / "bad_inputs"


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The corpus, plus what is made from it: a model of good.csv and an Excel file."""
    d = tmp_path_factory.mktemp("bad_inputs")
    for p in CORPUS.iterdir():
        shutil.copy(p, d / p.name)
    assert main(["fit", str(d / "good.csv"), "--components", "2", "--seed", "0", "-q",
                 "-o", str(d / "good.dkm")]) == 0
    pd.DataFrame([[1, 2, 3], [4, 5, 6], [7, 8, 9]]).to_excel(
        d / "duplicate_header.xlsx", index=False, header=["a", "b", "a"])
    # hostile model files made from good.dkm (tests/hostile_models.py)
    written = write_cases(d / "good.dkm", d)
    assert [f for f, _, _ in written] == [c.file for c in CASES]
    HOSTILE_PATTERNS.update({f: p for f, _, p in written})
    HOSTILE_PATTERNS["oversized.dkm"] = write_oversized(d / "good.dkm", d / "oversized.dkm")
    return d


@pytest.fixture()
def corpus(built, tmp_path, monkeypatch) -> Path:
    d = tmp_path / "corpus"
    shutil.copytree(built, d)
    if hasattr(os, "mkfifo"):
        os.mkfifo(d / "pipe.dkm")  # a named pipe: loading it must not wait for a writer
    monkeypatch.chdir(d)
    return d


#: hostile model file -> the pattern its error must match (filled in by ``built``)
HOSTILE_PATTERNS: dict[str, str] = {}


FAILING = [
    # (id, argv, exit code, pattern the one line must match)
    ("empty file", ["fit", "empty.csv"], 1, r"the file is empty"),
    ("header only", ["fit", "header_only.csv"], 1, r"header \(3 columns\) but no data rows"),
    ("blank lines", ["fit", "blank_lines.csv"], 1, r"holds no table"),
    ("no numbers", ["fit", "no_numbers.csv"], 1, r"no numeric column"),
    ("duplicate header", ["fit", "duplicate_header.csv"], 1,
     r"repeats column names: 'a' at columns 1, 3"),
    ("duplicate header, excel", ["fit", "duplicate_header.xlsx"], 1,
     r"first row repeats column names: 'a' at columns 1, 3"),
    ("ragged row", ["fit", "ragged_rows.csv"], 1,
     r"line 4 has 4 fields but the header has 3"),
    ("extra field in every row", ["fit", "extra_field_every_row.csv"], 1,
     r"line 2 has 3 fields but the header has 2"),
    ("both decimal marks", ["fit", "mixed_decimal_marks.csv"], 1,
     r"decimal comma \('1,5'\) and a decimal point \('2.5'\).*--decimal"),
    ("wrong --sep", ["fit", "semicolon_decimal_comma.csv", "--sep", ","], 1,
     r"line 2 has 3 fields but the header has 1.*--sep"),
    ("duplicate header, score", ["score", "good.dkm", "duplicate_header.csv"], 1,
     r"repeats column names"),
    ("--sep too long", ["fit", "good.csv", "--sep", ";;"], 2, r"argument --sep: expected one"),
    ("--decimal unknown", ["fit", "good.csv", "--decimal", "'"], 2, r"argument --decimal"),
    ("negative --seed", ["fit", "good.csv", "--seed", "-1"], 2,
     r"argument --seed: must be between 0 and"),
    ("--seed not a number", ["sample", "good.dkm", "--seed", "x"], 2,
     r"argument --seed: expected a whole number"),
    ("--n-jobs 0", ["select", "good.csv", "--n-jobs", "0", "--no-plot"], 2,
     r"argument --n-jobs: must not be 0"),
    ("--latent-dims not whole", ["fit", "good.csv", "--model", "latent", "--latent-dims",
                                 "2.5"], 2,
     r"argument --latent-dims: expected a whole count >= 1 or a fraction in \(0, 1\); "
     r"got '2.5'"),
    ("--latent-dims infinite", ["fit", "good.csv", "--model", "latent", "--latent-dims",
                                "inf"], 2,
     r"argument --latent-dims: expected a whole count >= 1 or a fraction in \(0, 1\); "
     r"got 'inf'"),
    ("--reg-covar negative", ["fit", "good.csv", "--reg-covar", "-1"], 2,
     r"argument --reg-covar: expected a number >= 0 or 'auto', got '-1'"),
    ("--chunksize 0", ["fit", "good.csv", "--chunksize", "0"], 2,
     r"argument --chunksize: the number of rows must be at least 1, got 0"),
    ("--holdout too large", ["synth", "good.csv", "--holdout", "0.6"], 2,
     r"argument --holdout: must be between 0.05 and 0.5, got 0.6"),
    ("--plot and -o the same file", ["select", "good.csv", "--plot", "a.png", "-o", "a.png"], 2,
     r"--plot and --output both name a.png"),
    ("--plot and --results the same file",
     ["select", "good.csv", "--plot", "x.csv", "--results", "./x.csv"], 2,
     r"--plot and --results both name"),
    ("--components above the rows", ["fit", "good.csv", "--components", "30-40", "-o", "c.dkm"],
     2,
     r"--components 30-40: every size is above 20, half of the 40 rows"),
    ("--components not a range", ["fit", "good.csv", "--components", "5-1"], 2,
     r"argument --components"),
    ("-n 0", ["sample", "good.dkm", "-n", "0"], 2, r"argument -n/--n-samples: .*at least 1"),
    ("--given not a number", ["sample", "good.dkm", "--given", "a=high"], 2, r"--given"),
    ("unknown --given column", ["sample", "good.dkm", "--given", "zz=1"], 1,
     r"Unknown column 'zz'"),
]


HOSTILE = [(f"model file: {c.what}", ["sample", c.file], 1, None) for c in CASES] + [
    ("model file: a 2 GiB zero-filled member", ["sample", "oversized.dkm"], 1, None),
    ("model file: a named pipe", ["sample", "pipe.dkm"], 1,
     r"pipe\.dkm: it is a named pipe \(FIFO\), not a model file"),
    ("model file: a directory", ["score", ".", "good.csv"], 1,
     r"model file \. is a directory"),
]
FAILING += HOSTILE


@pytest.mark.parametrize(("argv", "code", "pattern"), [c[1:] for c in FAILING],
                         ids=[c[0] for c in FAILING])
def test_failing_case(corpus, capsys, argv, code, pattern):
    if argv[1] == "pipe.dkm" and not hasattr(os, "mkfifo"):
        pytest.skip("named pipes need POSIX")
    pattern = pattern or HOSTILE_PATTERNS[argv[1]]
    before = _hashes(corpus)
    assert main([*argv, "-q"]) == code  # -q: no progress lines, errors still shown
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"densitykit {argv[0]}: error: "), err
    assert re.search(pattern, lines[0]), err
    assert "Traceback" not in err and "bug" not in err
    after = _hashes(corpus)
    assert after == before  # inputs unchanged, nothing written, no temporary left


def test_semicolon_decimal_comma_is_read_as_numbers(corpus, capsys):
    assert main(["fit", "semicolon_decimal_comma.csv", "--components", "1", "--seed", "0",
                 "-q"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "on 2 columns x 30 rows" in out
    model = load("semicolon_decimal_comma.dkm")
    assert list(model.columns_) == ["temperature", "pressure"]
    assert 4 < model.data_min_[0] and model.data_max_[0] < 16
    assert 20 < model.data_min_[1] and model.data_max_[1] < 180


def test_explicit_sep_and_decimal(corpus, capsys):
    assert main(["fit", "semicolon_decimal_comma.csv", "--sep", ";", "--decimal", ",",
                 "--components", "1", "--seed", "0", "-q"]) == 0
    assert "on 2 columns x 30 rows" in capsys.readouterr().out


def test_components_grid_capped_by_rows(corpus, capsys):
    assert main(["fit", "good.csv", "--components", "1-100000", "--criterion", "bic",
                 "--seed", "0", "-o", "m.dkm"]) == 0
    err = capsys.readouterr().err
    notes = [line for line in err.splitlines() if line.startswith("--components")]
    assert notes == ["--components 1-100000: trying 1-20 (20 candidates): at most 20 "
                     "components (half of the 40 rows)"]
    _, meta = load("m.dkm", return_metadata=True)
    assert list(meta["selection"]["n_components"]) == list(range(1, 21))


def test_long_grid_thinned(capsys):
    import argparse

    from densitykit.cli._models import MAX_CANDIDATES, cap_components

    args = argparse.Namespace(quiet=False)
    ks = cap_components(args, list(range(1, 5001)), 100_000)
    assert len(ks) <= MAX_CANDIDATES and ks[0] == 1 and ks[-1] == 5000
    assert ks == sorted(set(ks))
    assert f"at most {MAX_CANDIDATES} candidates" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["sample", "synth"])
def test_given_outside_range_warns(corpus, capsys, command):
    before = _hashes(corpus)
    source = "good.dkm" if command == "sample" else "good.csv"
    argv = [command, source, "--given", "a=25", "-q", "--seed", "0"]
    if command == "synth":
        argv += ["--no-report", "--components", "1"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert re.fullmatch(rf"densitykit {command}: warning: given a=25 is [\d.]+ standard "
                        r"deviations above the largest value the model was fitted on .*",
                        lines[0]), err
    sd = float(re.search(r"is ([\d.]+) standard", lines[0]).group(1))
    a = pd.read_csv(corpus / "good.csv")["a"]
    if command == "sample":  # synth fits on its training rows only
        assert sd == pytest.approx((25 - a.max()) / a.std(ddof=0), rel=0.01)
    assert 15 < sd < 30
    assert {k: v for k, v in _hashes(corpus).items() if k in before} == before


def test_given_inside_range_is_quiet(corpus, capsys):
    assert main(["sample", "good.dkm", "--given", "a=0.1", "-q", "--seed", "0"]) == 0
    assert capsys.readouterr().err == ""


def test_condition_warns_in_the_library(corpus):
    model = load("good.dkm")
    with pytest.warns(OutsideRangeWarning, match="below the smallest"):
        model.condition({"a": -40.0})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.condition({"a": 0.0})


def test_usage_error_is_one_line(capsys):
    assert main(["fit", "--no-such-option"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "unrecognized arguments: --no-such-option" in lines[0]


# --- the reader itself ---------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("a;b\n1,5;2,25\n3;4\n", [[1.5, 2.25], [3.0, 4.0]]),
    ("a\tb\n1,5\t-2,25\n3\t4e2\n", [[1.5, -2.25], [3.0, 400.0]]),
    ("a|b\n1.5|2\n3|4\n", [[1.5, 2.0], [3.0, 4.0]]),
    ("a;b\n1.234,5;2\n3;4\n", [[1234.5, 2.0], [3.0, 4.0]]),
    ('a,b\n"1,5","2"\n"3,0","4"\n', [[1.5, 2.0], [3.0, 4.0]]),
    ("a,b\n1.5,2\n3,4\n", [[1.5, 2.0], [3.0, 4.0]]),
])
def test_separator_and_decimal_found(text, expected):
    t = read_table(io.StringIO(text))
    np.testing.assert_allclose(t.to_numpy(), expected)


def test_compressed_and_explicit(tmp_path):
    path = tmp_path / "t.csv.gz"
    with gzip.open(path, "wt") as f:
        f.write("a;b\n1,5;2\n3;4,5\n")
    np.testing.assert_allclose(read_table(path).to_numpy(), [[1.5, 2.0], [3.0, 4.5]])
    mixed = tmp_path / "m.csv"
    mixed.write_text("a;b\n1,5;2.5\n")
    with pytest.raises(DataError, match="decimal="):
        read_table(mixed)
    np.testing.assert_allclose(read_table(mixed, decimal=".").data["b"], [2.5])
    assert list(read_raw(mixed, sep=";", decimal=",").columns) == ["a", "b"]
    with pytest.raises(DataError, match="sep must be one character"):
        read_table(mixed, sep=";;")
    with pytest.raises(DataError, match="decimal must be"):
        read_table(mixed, decimal="x")


def test_header_names_that_look_mangled_are_kept(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,a.1\n1,2\n3,4\n")
    assert read_table(path).columns == ["a", "a.1"]
