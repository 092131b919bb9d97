"""Filling empty cells: impute_table and 'densitykit impute'."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from densitykit.cli import main
from densitykit.exceptions import DataError
from densitykit.impute import choose_components_by_cells, impute_table


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    n = 800
    blob = rng.integers(0, 2, n)
    a = rng.normal(np.where(blob, 5.0, -5.0), 1.0)
    b = np.where(blob, 1.0, -1.0) * (a - np.where(blob, 5.0, -5.0)) + rng.normal(0, 0.3, n)
    df = pd.DataFrame({"a": a.round(3), "b": b.round(3), "count": rng.poisson(4, n),
                       "tag": np.where(blob, "x", "y")})
    truth = df.copy()
    df.loc[rng.random(n) < 0.15, "b"] = np.nan
    df["count"] = df["count"].astype("Int64")
    df.loc[rng.random(n) < 0.1, "count"] = pd.NA
    return df, truth


def test_fills_only_empty_cells_with_the_conditional(table):
    df, truth = table
    before = df.copy()
    filled = impute_table(df, random_state=0)[0]
    pd.testing.assert_frame_equal(df, before)  # the input is not modified
    seen = df["b"].notna()
    assert (filled.loc[seen, "b"] == df.loc[seen, "b"]).all()
    assert filled["b"].notna().all() and filled["count"].notna().all()
    assert filled["tag"].equals(df["tag"]) and filled["count"].dtype == df["count"].dtype
    # two blobs with opposite slopes of b on a: a mixture fills b far better than the mean
    err = np.abs(filled.loc[~seen, "b"] - truth.loc[~seen, "b"]).mean()
    assert err < 0.5 * np.abs(df["b"].mean() - truth.loc[~seen, "b"]).mean()
    assert np.allclose(filled["b"], filled["b"].round(3))  # the column's decimals


def test_multiple_imputation_draws_differ_and_keep_the_spread(table):
    df, _ = table
    one, two = impute_table(df, n_imputations=2, random_state=0)
    empty = df["b"].isna()
    assert not np.allclose(one.loc[empty, "b"], two.loc[empty, "b"])
    assert (one.loc[~empty, "b"] == two.loc[~empty, "b"]).all()


def test_components_are_chosen_from_observed_cells_only(table):
    df, _ = table
    X = df[["a", "b"]].to_numpy(dtype=float)
    assert choose_components_by_cells(X, (1, 2, 4), random_state=0) >= 2


def test_bad_tables():
    with pytest.raises(DataError, match="no numeric column"):
        impute_table(pd.DataFrame({"t": ["a", "b"]}))
    with pytest.raises(DataError, match="no observed value"):
        impute_table(pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [np.nan] * 3}))


def test_impute_command(tmp_path, table, capsys):
    df, _ = table
    src = tmp_path / "t.csv"
    df.to_csv(src, index=False)
    before = src.read_bytes()
    assert main(["impute", str(src), "-o", str(tmp_path / "done.csv"), "--seed", "0",
                 "-q"]) == 0
    done = pd.read_csv(tmp_path / "done.csv")
    assert done.shape == df.shape and not done[["b", "count"]].isna().any().any()
    assert src.read_bytes() == before
    assert main(["impute", str(src), "-o", str(tmp_path / "k.csv"), "--multiple", "3",
                 "--seed", "0", "-q"]) == 0
    assert sorted(p.name for p in tmp_path.glob("k-*.csv")) == ["k-1.csv", "k-2.csv",
                                                                 "k-3.csv"]
    assert main(["impute", str(src), "-o", str(tmp_path / "done.csv")]) == 2  # exists
    assert "exists" in capsys.readouterr().err
