"""Bad inputs through the command line: exit code, one clear message, inputs untouched."""

from __future__ import annotations

import hashlib
import io
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from densitykit.cli import main


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """A folder of good and bad inputs, built once."""
    d = tmp_path_factory.mktemp("corpus")
    rng = np.random.default_rng(0)
    good = pd.DataFrame(rng.normal(size=(120, 3)) * [1, 10, 100], columns=["a", "b", "c"])
    good.to_csv(d / "good.csv", index=False)
    (d / "empty.csv").write_bytes(b"")
    (d / "header.csv").write_text("a,b,c\n")
    (d / "words.csv").write_text("name,city\nann,paris\nbob,rome\n")
    (d / "one_row.csv").write_text("a,b\n1.5,2.5\n")
    (d / "text.csv").write_text("a,b\nx,y\nz,w\nq,r\n")
    (d / "other_cols.csv").write_text("p,q\n1,2\n3,4\n")
    assert main(["fit", str(d / "good.csv"), "--components", "2", "--seed", "0", "-q"]) == 0
    model = (d / "good.dkm").read_bytes()
    (d / "truncated.dkm").write_bytes(model[: len(model) // 2])
    with zipfile.ZipFile(io.BytesIO(model)) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    name = next(n for n in members if n.endswith(".npy"))
    arr = np.load(io.BytesIO(members[name]))
    buf = io.BytesIO()
    np.save(buf, arr + 1.0)
    members[name] = buf.getvalue()
    with zipfile.ZipFile(d / "tampered.dkm", "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    from sklearn.mixture import GaussianMixture

    (d / "sklearn.dkm").write_bytes(pickle.dumps(GaussianMixture(1).fit(good.to_numpy())))
    with zipfile.ZipFile(d / "other_tool.zip", "w") as zf:
        zf.writestr("saved_model.pb", b"\x08\x01")
    (d / "taken.csv").write_text("already here\n")
    (d / "outdir").mkdir()
    return d


CASES = [
    # (id, argv, exit code, message pattern)
    ("missing file", ["fit", "missing.csv"], 1, "does not exist"),
    ("empty file", ["fit", "empty.csv", "-o", "o.dkm"], 1, "empty"),
    ("header only", ["fit", "header.csv", "-o", "o.dkm"], 1, "no data rows"),
    ("no numeric column", ["fit", "words.csv", "-o", "o.dkm"], 1, "no numeric column"),
    ("one row", ["fit", "one_row.csv", "-o", "o.dkm"], 1,
     "at least 2 samples to fit a density to a table; got 1 sample"),
    ("text in every cell", ["fit", "text.csv", "-o", "o.dkm"], 1, "no numeric column"),
    ("truncated model", ["sample", "truncated.dkm", "-o", "o.csv"], 1,
     "truncated|not a readable"),
    ("tampered model", ["sample", "tampered.dkm", "-o", "o.csv"], 1,
     "checksum|corrupt or was modified"),
    ("pickled model", ["sample", "sklearn.dkm", "-o", "o.csv"], 1, "pickle"),
    ("zip of another tool", ["info", "other_tool.zip"], 1, "not a densitykit model file"),
    ("table as model", ["sample", "good.csv", "-o", "o.csv"], 1,
     "not a densitykit model file: a text file"),
    ("-n 0", ["sample", "good.dkm", "-n", "0", "-o", "o.csv"], 2, "at least 1"),
    ("-n negative", ["sample", "good.dkm", "-n", "-5", "-o", "o.csv"], 2, "at least 1"),
    ("-n not a number", ["sample", "good.dkm", "-n", "many", "-o", "o.csv"], 2, "whole number"),
    ("unknown --given column", ["sample", "good.dkm", "--given", "zz=1", "-o", "o.csv"], 1,
     "Unknown column 'zz'"),
    ("--given not a number", ["sample", "good.dkm", "--given", "a=high", "-o", "o.csv"], 2,
     "not a number"),
    ("--given every column", ["sample", "good.dkm", "--given", "a=1", "b=2", "c=3",
                              "-o", "o.csv"], 2, "every column"),
    ("no model file", ["sample", "-n", "3"], 2, "model file is missing"),
    ("no table", ["fit", "--components", "2"], 2, "table file is missing"),
    ("existing output", ["sample", "good.dkm", "-o", "taken.csv"], 2, "exists; use --force"),
    ("directory as output", ["sample", "good.dkm", "-o", "outdir", "--force"], 2, "directory"),
    ("output is the input", ["fit", "good.csv", "-o", "good.csv", "--force"], 2, "also an input"),
    ("output folder missing", ["fit", "good.csv", "-o", "nowhere/m.dkm"], 2, "does not exist"),
    ("directory as input", ["fit", "outdir", "-o", "o.dkm"], 1, "directory"),
    ("bad components", ["fit", "good.csv", "--components", "0-3"], 2, "numbers >= 1"),
    ("components for kde", ["fit", "good.csv", "--model", "kde", "--components", "2",
                            "-o", "o.dkm"], 2, "applies to --model gmm"),
    ("unknown model", ["fit", "good.csv", "--model", "forest"], 2, "invalid choice"),
    ("unknown column", ["fit", "good.csv", "--columns", "d", "-o", "o.dkm"], 1,
     "Unknown column 'd'"),
    ("score missing columns", ["score", "good.dkm", "other_cols.csv", "-o", "o.csv"], 1,
     "lacks 3 of the model's columns"),
    ("predict with a density", ["classify", "predict", "good.dkm", "good.csv", "-o", "o.csv"],
     1, "not a classifier"),
    ("unknown target", ["classify", "fit", "good.csv", "--target", "label", "-o", "o.dkm"], 1,
     "not a column"),
    ("bad quantile", ["score", "good.dkm", "good.csv", "--outlier-quantile", "2"], 2,
     "between 0 and 1"),
    ("unknown format", ["fit", "good.csv", "--format", "json"], 2, "invalid choice"),
    ("unknown output extension", ["sample", "good.dkm", "-o", "rows.json"], 2,
     "cannot tell the table format"),
]


@pytest.mark.parametrize(("argv", "code", "message"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_input(corpus, capsys, monkeypatch, argv, code, message):
    import re

    monkeypatch.chdir(corpus)
    before = _hashes(corpus)
    got = main([*argv, "-q"] if argv[0] != "classify" else [*argv[:2], "-q", *argv[2:]])
    out, err = capsys.readouterr()
    assert out == ""  # nothing on stdout when a command fails
    assert got == code, err
    assert re.search(message, err), err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1].startswith("densitykit"), err
    assert "Traceback" not in err
    if code == 1:
        assert len(lines) == 1, err  # one clear line
    after = _hashes(corpus)
    assert {k: after[k] for k in before} == before  # no input changed
    assert set(after) == set(before)  # and nothing was written
    assert not any(p.name.startswith(".") for p in corpus.iterdir())


def test_force_replaces_atomically(corpus, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "rows.csv"
    target.write_text("old\n")
    code = main(["sample", str(corpus / "good.dkm"), "-n", "5", "-o", str(target),
                 "--force", "--seed", "0", "-q"])
    assert code == 0
    assert len(pd.read_csv(target)) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.csv"]
