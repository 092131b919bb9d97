"""Fitting from files chunk by chunk: equal to the in-memory fit, memory bounded by a chunk."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from densitykit import GaussianMixture, Normal
from densitykit.exceptions import DataError, MissingDependencyError
from densitykit.scale.stream import fit_stream, iter_chunks, sample_to_file

FITTED = ["weights_", "means_", "covariances_", "precisions_cholesky_", "precisions_"]


def blobs(n=3000, d=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.array([[-6.0] * d, [0.0] * d, [6.0] * d])
    centers[1, 0] = 3.0
    labels = rng.integers(3, size=n)
    return (centers[labels] + rng.standard_normal((n, d))) * 3.0 - 50.0


def write(tmp_path, X, name, weights=None):
    df = pd.DataFrame(X, columns=[f"c{j}" for j in range(X.shape[1])])
    if weights is not None:
        df["w"] = weights
    path = tmp_path / name
    if path.suffix == ".parquet":
        df.to_parquet(path, row_group_size=500)
    else:
        df.to_csv(path, index=False, sep="\t" if path.suffix == ".tsv" else ",")
    return path


def assert_same_fit(a, b, rtol=1e-8):
    for name in FITTED:
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=rtol, atol=1e-12,
                                   err_msg=name)
    assert (b.n_iter_, b.converged_) == (a.n_iter_, a.converged_)
    assert b.lower_bound_ == pytest.approx(a.lower_bound_, rel=rtol)


@pytest.mark.parametrize("name", ["rows.csv", "rows.tsv", "rows.parquet"])
@pytest.mark.parametrize("ctype", ["full", "diag"])
def test_streamed_fit_equals_in_memory(tmp_path, name, ctype):
    X = blobs()
    w = np.random.default_rng(1).uniform(0.2, 2.0, X.shape[0])
    path = write(tmp_path, X, name, weights=w)
    back = pd.read_csv(path, sep=None, engine="python") if path.suffix != ".parquet" \
        else pd.read_parquet(path)
    kw = dict(covariance_type=ctype, random_state=0, tol=0.0, max_iter=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = GaussianMixture(3, **kw).fit(back[["c0", "c1", "c2"]], sample_weight=back["w"])
        b = fit_stream(GaussianMixture(3, **kw), path, weight_column="w", chunksize=700)
    assert_same_fit(a, b)
    assert list(b.feature_names_in_) == ["c0", "c1", "c2"]


def test_streamed_normal_on_chosen_columns(tmp_path):
    X = blobs(seed=2)
    path = write(tmp_path, X, "rows.parquet")
    nd = fit_stream(Normal(), path, columns=["c2", "c0"], chunksize=256)
    ref = Normal().fit(X[:, [2, 0]])
    np.testing.assert_allclose(nd.mean_, ref.mean_, rtol=1e-12)
    np.testing.assert_allclose(nd.covariance_, ref.covariance_, rtol=1e-10)
    assert list(nd.feature_names_in_) == ["c2", "c0"]


def test_initialisation_from_a_sample_and_progress(tmp_path):
    X = blobs(n=5000, seed=3)
    path = write(tmp_path, X, "rows.csv")
    seen = []
    kw = dict(random_state=0, tol=1e-10, max_iter=500)
    gm = fit_stream(GaussianMixture(3, **kw), path, chunksize=1000, init_sample=400,
                    callback=lambda it, lb: seen.append(it))
    assert seen == list(range(1, gm.n_iter_ + 1))
    back = pd.read_csv(path).to_numpy()
    ref = GaussianMixture(3, **kw).fit(back)
    assert gm.lower_bound_ == pytest.approx(ref.lower_bound_, rel=1e-9)


def test_sampling_into_files_matches_dask(tmp_path):
    X = blobs(seed=4)
    gm = GaussianMixture(3, random_state=0).fit(X)
    csv = sample_to_file(gm, 2500, tmp_path / "s.csv", chunksize=1000, random_state=3,
                         labels=True)
    pq = sample_to_file(gm, 2500, tmp_path / "s.parquet", chunksize=1000, random_state=3)
    a, b = pd.read_csv(csv), pd.read_parquet(pq)
    assert list(a.columns) == ["x0", "x1", "x2", "component"] and len(b) == 2500
    np.testing.assert_allclose(a[["x0", "x1", "x2"]].to_numpy(), b.to_numpy(), rtol=1e-14)
    chunks = list(iter_chunks(pq, chunksize=1000))
    assert [len(c) for c in chunks] == [1000, 1000, 500]
    dask = pytest.importorskip("dask")
    from densitykit.scale.dask import sample_dask

    Xs, labels = sample_dask(gm, 2500, chunksize=1000, random_state=3)
    Xs, labels = dask.compute(Xs, labels)
    np.testing.assert_array_equal(b.to_numpy(), Xs)
    np.testing.assert_array_equal(a["component"].to_numpy(), labels)
    # and the draws follow the model: refit recovers the weights
    big = sample_to_file(gm, 60_000, tmp_path / "big.parquet", chunksize=20_000,
                         random_state=5)
    refit = fit_stream(GaussianMixture(3, random_state=0), big)
    np.testing.assert_allclose(np.sort(refit.weights_), np.sort(gm.weights_), atol=0.01)


def test_bad_files_are_named(tmp_path):
    X = blobs(n=500, seed=5)
    path = write(tmp_path, X, "rows.csv")
    with pytest.raises(DataError, match=r"\['nope'\] are not in 'rows.csv'"):
        fit_stream(Normal(), path, columns=["c0", "nope"])
    with pytest.raises(DataError, match="No such file"):
        fit_stream(Normal(), tmp_path / "missing.csv")
    odd = tmp_path / "rows.dat"
    odd.write_text("a,b\n1,2\n3,4\n5,7\n")
    with pytest.raises(DataError, match="Cannot tell the format"):
        fit_stream(Normal(), odd)
    assert fit_stream(Normal(), odd, sep=",").mean_.shape == (2,)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df.loc[300, "b"] = np.nan
    df.to_csv(tmp_path / "nan.csv", index=False)
    with pytest.raises(DataError, match="1 NaN"):
        fit_stream(GaussianMixture(2), tmp_path / "nan.csv", chunksize=100)
    df["b"] = df["b"].astype(object)
    df.loc[300, "b"] = "n/a?"
    df.to_csv(tmp_path / "text.csv", index=False)
    # the first cell that is not a number, where it is, and what to do instead
    with pytest.raises(DataError, match=r"\['b'\] of 'text\.csv' hold text or dates \(e\.g\. "
                                        r"'n/a\?' in row 300 of 'b'\).*Leave those columns "
                                        r"out.*or fit the table in memory"):
        fit_stream(GaussianMixture(2), tmp_path / "text.csv", chunksize=100)
    (tmp_path / "empty.csv").write_text("a,b\n")
    with pytest.raises(DataError, match=r"'empty\.csv' has no rows"):
        fit_stream(Normal(), tmp_path / "empty.csv")
    with pytest.raises(DataError, match="chunksize"):
        fit_stream(Normal(), path, chunksize=0)


# --- every suffix of the streamed formats ---------------------------------------------------
@pytest.mark.parametrize("name", ["rows.csv.gz", "rows.csv.bz2", "rows.csv.xz", "rows.csv.zip",
                                  "rows.tsv.gz", "rows.tab", "ROWS.PQ"])
def test_compressed_and_other_suffixes_stream_as_in_memory(tmp_path, name):
    X = blobs(n=1500, seed=7)
    df = pd.DataFrame(X, columns=["c0", "c1", "c2"])
    path = tmp_path / name
    if name.lower().endswith(".pq"):
        df.to_parquet(path, row_group_size=400)
    else:  # pandas compresses by the suffix
        df.to_csv(path, index=False, sep="," if ".csv" in name else "\t")
    kw = dict(covariance_type="full", random_state=0, tol=0.0, max_iter=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = GaussianMixture(3, **kw).fit(df)
        b = fit_stream(GaussianMixture(3, **kw), path, chunksize=400)
    assert_same_fit(a, b)
    assert list(b.feature_names_in_) == ["c0", "c1", "c2"]


@pytest.mark.parametrize("sep", ["\t", ",", ";"])
def test_text_files_are_split_as_read_table_splits_them(tmp_path, sep):
    """A ``.txt`` is tab-separated first and a ``.csv`` comma-separated first, but, as in
    read_table, another separator that splits the rows evenly is found."""
    from densitykit import read_table
    from densitykit.scale.stream import fit_table_stream

    X = blobs(n=600, seed=8)
    for name in ("rows.txt", "rows.csv"):
        path = tmp_path / name
        pd.DataFrame(X, columns=["a", "b", "c"]).to_csv(path, index=False, sep=sep)
        table = read_table(path)
        assert list(table.data.columns) == ["a", "b", "c"]
        nd = fit_stream(Normal(), path, chunksize=250)
        np.testing.assert_allclose(nd.mean_, table.data.to_numpy().mean(axis=0), rtol=1e-12)
        tm = fit_table_stream(Normal(), path, chunksize=250)
        assert tm.columns_ == ["a", "b", "c"]
    odd = tmp_path / "rows.dat"
    pd.DataFrame(X, columns=["a", "b", "c"]).to_csv(odd, index=False, sep=sep)
    assert fit_stream(Normal(), odd, sep=sep).mean_.shape == (3,)  # a given sep is kept


def test_drawn_rows_into_compressed_text_read_back_whole(tmp_path):
    """Each chunk is appended as its own compressed stream: pandas reads every one of them."""
    from densitykit import read_table

    gm = GaussianMixture(3, random_state=0).fit(blobs(n=1500, seed=9))
    kw = dict(chunksize=1000, random_state=3)
    plain = pd.read_csv(sample_to_file(gm, 2500, tmp_path / "s.csv", **kw))
    assert len(plain) == 2500
    for name in ("s.csv.gz", "s.csv.bz2", "s.csv.xz", "s.tsv.gz"):
        back = pd.read_csv(sample_to_file(gm, 2500, tmp_path / name, **kw),
                           sep="\t" if ".tsv" in name else ",")
        pd.testing.assert_frame_equal(back, plain, check_exact=True)
    assert (tmp_path / "s.csv.gz").read_bytes().count(b"\x1f\x8b\x08") >= 3  # 3 members
    txt = sample_to_file(gm, 2500, tmp_path / "s.txt", **kw)
    assert txt.read_text().splitlines()[0] == "x0\tx1\tx2"  # a .txt is tab-separated
    np.testing.assert_array_equal(read_table(txt).data.to_numpy(), plain.to_numpy())
    with pytest.raises(DataError, match=r"'s\.csv\.zip': rows drawn chunk by chunk cannot "
                                        r"be added to a zip archive\. Write a \.csv"):
        sample_to_file(gm, 2500, tmp_path / "s.csv.zip", **kw)
    assert not (tmp_path / "s.csv.zip").exists()


def test_the_streamed_suffixes_are_documented():
    import argparse
    import inspect
    import re

    from densitykit.cli import fit as cli_fit
    from densitykit.data import FORMATS
    from densitykit.scale.stream import STREAMED_FORMATS

    parser = argparse.ArgumentParser()
    cli_fit.configure(parser)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Data larger than memory"):]
    texts = {"fit_stream": inspect.getdoc(fit_stream),
             "sample_to_file": inspect.getdoc(sample_to_file),
             "--chunksize": next(a.help for a in parser._actions if a.dest == "chunksize"),
             "README": section[:section.index("\n## ", 1)]}
    for where, text in texts.items():
        missing = [e for f in STREAMED_FORMATS for e in FORMATS[f][2]
                   if not re.search(re.escape(e) + r"(?![\w.])", text, re.I)]
        assert missing == [], where
    assert re.search(r"\.csv\.zip``\s+is\s+refused", texts["sample_to_file"])


def test_without_pyarrow_parquet_files_name_the_fix(tmp_path, hide_module):
    """A streamed Parquet read or write without pyarrow says what to install, as read_table
    does, before any row is drawn or file written."""
    path = write(tmp_path, blobs(n=300, seed=6), "rows.parquet")
    nd = Normal().fit(blobs(n=300, seed=6))
    hide_module("pyarrow")
    fix = r"pip install 'densitykit\[parquet\]'"
    with pytest.raises(MissingDependencyError, match="Reading Parquet files.*" + fix):
        fit_stream(Normal(), path)
    with pytest.raises(MissingDependencyError, match="Writing Parquet files.*" + fix):
        sample_to_file(nd, 10, tmp_path / "s.parquet")
    assert not (tmp_path / "s.parquet").exists()


# --- memory: a file several times larger than the memory the fit may use --------------------
_MEASURE = textwrap.dedent("""
    import json, sys, tracemalloc, warnings
    import numpy as np
    from densitykit import GaussianMixture
    from densitykit.scale.stream import fit_stream
    path, chunksize = sys.argv[1], int(sys.argv[2])
    warnings.simplefilter("ignore")
    kw = dict(random_state=0, max_iter=3, tol=0.0)
    # warm up every code path on a small prefix, then measure the real fit
    import pandas as pd
    pd.read_csv(path, nrows=20_000).to_csv(path + ".head.csv", index=False)
    tracemalloc.start()
    fit_stream(GaussianMixture(4, **kw), path + ".head.csv", chunksize=chunksize,
               init_sample=10_000)
    small_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    def status(key):
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) * 1024 for l in f if l.startswith(key))
    with open("/proc/self/clear_refs", "w") as f:  # restart the peak-RSS counter
        f.write("5")
    rss0 = status("VmRSS:")
    tracemalloc.start()
    gm = fit_stream(GaussianMixture(4, **kw), path, chunksize=chunksize, init_sample=10_000)
    peak = tracemalloc.get_traced_memory()[1]
    rss1 = status("VmHWM:")
    print(json.dumps({"traced_peak": peak, "small_peak": small_peak, "rss_growth": rss1 - rss0,
                      "n_iter": gm.n_iter_, "weights": gm.weights_.tolist()}))
""")


@pytest.mark.slow
def test_streamed_fit_memory_is_bounded_by_the_chunk(tmp_path):
    rng = np.random.default_rng(6)
    path = tmp_path / "big.csv"
    n, d, step = 250_000, 20, 50_000
    for start in range(0, n, step):
        centers = rng.integers(4, size=step)[:, None] * 5.0
        block = pd.DataFrame(centers + rng.standard_normal((step, d)),
                             columns=[f"s{j}" for j in range(d)])
        block.to_csv(path, index=False, header=start == 0, mode="w" if start == 0 else "a",
                     float_format="%.7f")
    size = path.stat().st_size
    assert size > 50e6
    if not sys.platform.startswith("linux"):
        pytest.skip("peak memory is read from /proc")
    chunksize = 10_000  # 1.6 MB of float64 rows
    out = subprocess.run([sys.executable, "-c", _MEASURE, str(path), str(chunksize)],
                         capture_output=True, text=True, timeout=300, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    # the file holds 40 MB as float64; the fit may use a few chunks and the 10,000-row
    # initialisation sample with its k-means work: the same as a fit of a 2-chunk prefix
    # (memory does not grow with the file), and well below the file's size. The resident
    # size also counts the allocator's per-thread arenas, so it gets a looser bound.
    assert got["traced_peak"] < 1.25 * got["small_peak"] + 2e6, got
    assert got["traced_peak"] < size / 2, got
    assert got["rss_growth"] < size, got
    assert got["n_iter"] == 3
    assert np.all(np.abs(np.asarray(got["weights"]) - 0.25) < 0.05)  # four equal blobs


# --- tables and the command line ---------------------------------------------------------------
def table_file(tmp_path, name="plant.csv"):
    rng = np.random.default_rng(9)
    X = blobs(n=4000, seed=9)
    df = pd.DataFrame(X, columns=["temp", "flow", "level"])
    df["valves"] = rng.integers(0, 6, len(df))
    path = tmp_path / name
    if path.suffix == ".parquet":
        df.to_parquet(path)
    else:
        df.to_csv(path, index=False)
    return path, df


@pytest.mark.parametrize("transform", ["standardize", None])
def test_table_model_from_a_stream_equals_in_memory(tmp_path, transform):
    from densitykit.preprocess import TableModel
    from densitykit.scale.stream import fit_table_stream, score_file

    path, _ = table_file(tmp_path)
    back = pd.read_csv(path)
    gm = GaussianMixture(3, random_state=2)
    a = TableModel(gm, column_transform=transform).fit(back)
    b = fit_table_stream(gm, path, transform=transform, chunksize=900)
    assert b.columns_ == a.columns_ and list(b.integer_columns_) == list(a.integer_columns_)
    np.testing.assert_allclose(b.data_min_, a.data_min_)
    for pa_, pb in zip(a.transform_params_, b.transform_params_):
        assert pa_.keys() == pb.keys()
        for key in pa_:
            assert pb[key] == pytest.approx(pa_[key], rel=1e-12)
    np.testing.assert_allclose(b.density_.means_, a.density_.means_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(b.score_samples(back), a.score_samples(back), rtol=1e-8)
    mean, n, sample = score_file(b, path, chunksize=700, keep=500)
    assert n == 4000 and sample.size == 500 and np.all(np.diff(sample) >= 0)
    assert mean == pytest.approx(a.score_samples(back).mean(), rel=1e-10)
    # the kept log-likelihoods are a uniform sample: their median is close to the full one
    assert np.median(sample) == pytest.approx(np.median(a.score_samples(back)), abs=0.2)
    with pytest.raises(DataError, match="'standardize' or None"):
        fit_table_stream(gm, path, transform="quantile")


def test_a_real_table_streams_its_numbers_or_names_what_to_use(tmp_path):
    """A table with a text, a date and an integer column: the numbers stream and score as
    in memory (score_file reads the model's columns, not the table's text); the text and
    the empty cells are refused with the first bad cell and the in-memory alternative."""
    from densitykit.preprocess import TableModel
    from densitykit.scale.stream import fit_table_stream, score_file

    path, df = table_file(tmp_path)
    df["site"] = np.where(df["valves"] > 2, "north", "south")
    df["day"] = pd.date_range("2024-01-01", periods=len(df), freq="h").astype(str)
    df.to_csv(path, index=False)
    gm = GaussianMixture(2, random_state=0)
    with pytest.raises(DataError, match=r"\['site', 'day'\] .*'south' in row 0 of 'site'.*"
                                        r"fit the table in memory"):
        fit_table_stream(gm, path, chunksize=700)
    numbers = ["temp", "flow", "level", "valves"]
    tm = fit_table_stream(gm, path, exclude=["site", "day"], chunksize=700)
    assert tm.columns_ == numbers and tm.integer_columns_.tolist() == [0, 0, 0, 1]
    mem = TableModel(gm).fit(df[numbers])
    np.testing.assert_allclose(tm.density_.means_, mem.density_.means_, rtol=1e-8)
    mean, n, _ = score_file(tm, path, chunksize=700)
    assert n == len(df) and mean == pytest.approx(mem.score(df[numbers]), rel=1e-10)
    df.loc[[10, 2000], "flow"] = np.nan
    df.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"holds 2 empty.*fit the table in memory, where "
                                        r"densitykit\.read_table reads .*empty cells"):
        fit_table_stream(gm, path, exclude=["site", "day"], chunksize=700)
    mean, n, _ = score_file(tm, path, chunksize=700)  # scores marginalise empty cells
    assert n == len(df) and mean == pytest.approx(mem.score(df[numbers]), rel=1e-10)


def test_cli_fit_with_chunksize_equals_the_in_memory_fit(tmp_path):
    from densitykit.cli import main
    from densitykit.persist import load

    path, df = table_file(tmp_path, "plant.parquet")
    common = ["fit", str(path), "--components", "3", "--seed", "4", "--force", "-q"]
    assert main([*common, "-o", str(tmp_path / "mem.dkm")]) == 0
    assert main([*common, "-o", str(tmp_path / "str.dkm"), "--chunksize", "1500"]) == 0
    assert main([*common, "-o", str(tmp_path / "auto.dkm"), "--chunksize", "auto",
                 "--columns", "temp", "flow"]) == 0
    a, b = load(tmp_path / "mem.dkm"), load(tmp_path / "str.dkm")
    np.testing.assert_allclose(b.score_samples(df), a.score_samples(df), rtol=1e-8)
    _, meta = load(tmp_path / "str.dkm", return_metadata=True)
    assert meta["n_rows"] == 4000 and meta["chunksize"] == 1500
    assert load(tmp_path / "auto.dkm").columns_ == ["temp", "flow"]
    # the sampling options reach the streamed model as they reach the in-memory one
    for flags in ([], ["--clip", "--no-round"]):
        for name, extra in (("m.dkm", []), ("s.dkm", ["--chunksize", "1500"])):
            assert main([*common, "-o", str(tmp_path / name), *flags, *extra]) == 0
        m, s = load(tmp_path / "m.dkm"), load(tmp_path / "s.dkm")
        got = [(t.clip, t.round_integers, t.round_decimals) for t in (m, s)]
        assert got[0] == got[1] == (bool(flags), not flags, not flags)
    # what streaming cannot do is refused with the reason
    for extra in (["--model", "kde"], ["--transform", "quantile"], ["--components", "2-3"]):
        assert main([*common, "-o", str(tmp_path / "x.dkm"), "--chunksize", "100",
                     *extra]) != 0


@pytest.mark.parametrize(("name", "sep"), [("plant.csv.gz", ","), ("plant.txt", ";")])
def test_cli_streams_text_as_it_reads_it_in_memory(tmp_path, name, sep):
    """``fit --chunksize`` decompresses by the suffix and finds the separator as read_table."""
    from densitykit.cli import main
    from densitykit.persist import load

    _, df = table_file(tmp_path)
    path = tmp_path / name
    df.to_csv(path, index=False, sep=sep)
    common = ["fit", str(path), "--components", "2", "--seed", "4", "--force", "-q"]
    assert main([*common, "-o", str(tmp_path / "mem.dkm")]) == 0
    assert main([*common, "-o", str(tmp_path / "str.dkm"), "--chunksize", "1500"]) == 0
    a, b = load(tmp_path / "mem.dkm"), load(tmp_path / "str.dkm")
    assert b.columns_ == a.columns_ == ["temp", "flow", "level", "valves"]
    np.testing.assert_allclose(b.score_samples(df), a.score_samples(df), rtol=1e-8)


def test_a_format_read_whole_is_named_when_streamed(tmp_path):
    from densitykit.exceptions import DataError
    from densitykit.scale.stream import _format

    with pytest.raises(DataError, match=r"'plant\.xlsx' is in the excel format, which is "
                                        r"read and written whole.*leave out --chunksize"):
        _format(tmp_path / "plant.xlsx", None)
    with pytest.raises(DataError, match=r"write CSV or Parquet, or draw the rows in memory"):
        _format(tmp_path / "rows.xlsx", None, read=False)
    with pytest.raises(DataError, match=r"Cannot tell the format of 'notes\.dat'"):
        _format(tmp_path / "notes.dat", None)


@pytest.mark.parametrize("style", ["decimal comma", "thousands"])
def test_streamed_text_is_read_with_the_marks_read_table_finds(tmp_path, style):
    from densitykit import GaussianMixture
    from densitykit.data import read_table
    from densitykit.preprocess import TableModel
    from densitykit.scale.stream import fit_table_stream

    rng = np.random.default_rng(2)
    df = pd.DataFrame({"a": rng.normal(5, 1, 600).round(2),
                       "b": rng.normal(1000, 300, 600).round(1)})
    path = tmp_path / "plant.csv"
    if style == "decimal comma":
        df.to_csv(path, sep=";", decimal=",", index=False)
    else:
        df.assign(b=df["b"].map(lambda v: f"{v:,.1f}")).to_csv(path, index=False)
    gm = GaussianMixture(1, random_state=0)
    streamed = fit_table_stream(gm, path, chunksize=150)
    whole = TableModel(gm).fit(read_table(path).data)
    np.testing.assert_allclose(streamed.score_samples(df), whole.score_samples(df), rtol=1e-8)


def test_a_streamed_fit_does_not_take_dates_beside_grouped_numbers_for_numbers(tmp_path):
    """pandas reads '05.01.2024' as 5012024 where '.' groups thousands ('1.234,5')."""
    path = tmp_path / "plant.csv"
    days = pd.date_range("2024-01-01", periods=40).strftime("%d.%m.%Y")
    flow = [f"1.{200 + i},5" for i in range(40)]
    pd.DataFrame({"when": days, "flow": flow}).to_csv(path, sep=";", index=False)
    with pytest.raises(DataError, match=r"\['when'\] of 'plant.csv' hold text or dates"):
        fit_stream(GaussianMixture(1), path)
    gm = fit_stream(GaussianMixture(1), path, columns=["flow"])
    np.testing.assert_allclose(gm.means_, [[1220.0]])


def test_cli_streams_with_the_decimal_mark_given(tmp_path):
    # three-decimal numbers with a decimal comma read as thousands unless --decimal says so
    from densitykit.cli import main
    from densitykit.persist import load

    rng = np.random.default_rng(3)
    df = pd.DataFrame({"a": rng.normal(5, 1, 400).round(3), "b": rng.normal(2, 0.5, 400).round(3)})
    path = tmp_path / "lab.csv"
    df.to_csv(path, sep=";", decimal=",", index=False)
    common = ["fit", str(path), "--components", "1", "--seed", "0", "--force", "-q",
              "--decimal", ","]
    assert main([*common, "-o", str(tmp_path / "m.dkm")]) == 0
    assert main([*common, "-o", str(tmp_path / "s.dkm"), "--chunksize", "100"]) == 0
    m, s = load(tmp_path / "m.dkm"), load(tmp_path / "s.dkm")
    np.testing.assert_allclose(s.score_samples(df), m.score_samples(df), rtol=1e-8)


def test_streamed_fits_leave_out_numbered_ids_as_read_table_does(tmp_path, capsys):
    """A SampleID counting the rows is no measurement, streamed or not; batch numbers that
    repeat (across chunks) and a setpoint stepped by one are data. The scores of a streamed
    model carry the IDs, as those of a model fitted in memory do."""
    from densitykit import read_table
    from densitykit.cli import main
    from densitykit.preprocess import TableModel
    from densitykit.scale.stream import fit_table_stream

    rng = np.random.default_rng(3)
    n = 120
    path = tmp_path / "lab.csv"
    pd.DataFrame({"SampleID": np.arange(10001, 10001 + n),
                  "Batch no": np.tile(np.arange(1, 61), 2), "setpoint": np.arange(n),
                  "y": rng.normal(size=n).round(3)}).to_csv(path, index=False)
    table = read_table(path)
    tm = fit_table_stream(Normal(), path, chunksize=25)
    assert tm.columns_ == list(table.data.columns) == ["Batch no", "setpoint", "y"]
    assert tm.dropped_columns_ == {"SampleID": table.report.dropped_columns["SampleID"]}
    memory = TableModel(Normal()).fit(table.data)
    np.testing.assert_allclose(tm.score_samples(table.data), memory.score_samples(table.data),
                               rtol=1e-9)
    model, scores = tmp_path / "lab.dkm", tmp_path / "scores.csv"
    assert main(["fit", str(path), "--chunksize", "25", "--components", "1",
                 "--covariance-type", "full", "-o", str(model)]) == 0
    assert "left out 'SampleID': distinct whole numbers" in capsys.readouterr().err
    assert main(["score", str(model), str(path), "-o", str(scores)]) == 0
    got = pd.read_csv(scores)
    assert list(got.columns[:2]) == ["row", "SampleID"]
    assert got["SampleID"].tolist() == list(range(10001, 10001 + n))


def test_streamed_fits_leave_out_codes_beyond_double_precision_as_read_table_does(tmp_path):
    """Codes of 19 digits (float64 would merge neighbours) are left out of a streamed fit
    with read_table's reason, whichever chunk first holds one; the rest are fitted."""
    from densitykit import read_table
    from densitykit.scale.stream import fit_table_stream

    rng = np.random.default_rng(0)
    n = 60
    codes = [str(2**60 + 2 * i) for i in range(n)]
    frame = pd.DataFrame({"x": rng.normal(size=n).round(3), "y": rng.normal(size=n).round(3)})
    frame.insert(1, "lot", codes)
    path = tmp_path / "lots.csv"
    frame.to_csv(path, index=False)
    table = read_table(path)
    for chunksize in (7, 1000):
        tm = fit_table_stream(Normal(), path, chunksize=chunksize)
        assert tm.columns_ == list(table.data.columns) == ["x", "y"]
        assert tm.dropped_columns_ == {"lot": table.report.dropped_columns["lot"]}
