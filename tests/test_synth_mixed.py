"""Real tables in the Synthesizer: categories, integers, dates and empty cells, jointly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from densitykit import Synthesizer, load, save
from densitykit._columns import read_numbers
from densitykit.data import read_table
from densitykit.exceptions import DataError

FIXTURES = Path(__file__).parent / "data"


def _plant(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    """A plant-like table: a grade that depends on a flow, a shift from the timestamp, an
    integer count, an ID, and a sensor that is mostly offline in grade B."""
    rng = np.random.default_rng(seed)
    flow = rng.normal(100, 10, n)
    grade = np.where(flow + rng.normal(0, 4, n) > 100, "A", "B")
    temp = 50 + 0.5 * (flow - 100) + np.where(grade == "A", 2.0, -2.0) + rng.normal(0, 1, n)
    when = pd.Timestamp("2024-03-01") + pd.to_timedelta(np.sort(rng.integers(0, 24 * 90, n)),
                                                      unit="h")
    shift = np.where((when.hour >= 6) & (when.hour < 18), "day", "night")
    count = rng.poisson(np.where(grade == "A", 3, 8))
    df = pd.DataFrame({"when": when, "flow": flow.round(2), "temp": temp.round(3),
                       "grade": grade, "shift": shift, "count": count,
                       "batch": [f"B{i:05d}" for i in range(n)]})
    offline = rng.random(n) < np.where(grade == "B", 0.15, 0.01)
    df.loc[offline, "temp"] = np.nan
    df.loc[rng.random(n) < 0.03, "flow"] = np.nan
    df.loc[rng.random(n) < 0.03, "grade"] = None
    return df


@pytest.fixture(scope="module")
def plant():
    return _plant()


@pytest.fixture(scope="module")
def fitted(plant):
    return Synthesizer(criterion="loglik", n_components=[1, 2, 4, 8], bandwidths=[0.3],
                       random_state=0).fit(plant)


def test_every_column_is_kept_in_its_kind(plant, fitted):
    # the ID is left out, with its reason; every other column is modelled
    assert fitted.columns_ == ["when", "flow", "temp", "grade", "shift", "count"]
    assert "batch" in fitted.cleaning_["dropped_columns"]
    assert "identifier or free text" in fitted.cleaning_["dropped_columns"]["batch"]
    assert fitted.cleaning_["column_kinds"] == {
        "when": "datetime", "flow": "numeric", "temp": "numeric", "grade": "categorical",
        "shift": "categorical", "count": "integer"}
    S = fitted.sample(4000, random_state=1)
    assert list(S.columns) == fitted.columns_
    assert pd.api.types.is_datetime64_any_dtype(S["when"])
    assert S["grade"].dropna().isin(["A", "B"]).all() and S["shift"].isin(["day", "night"]).all()
    assert pd.api.types.is_integer_dtype(S["count"]) and set(S["count"]) <= set(plant["count"])
    # dates in range, on the input's hourly grid; values with the input's decimals
    assert plant["when"].min() <= S["when"].min() and S["when"].max() <= plant["when"].max()
    assert (S["when"].dt.minute == 0).all()
    assert np.allclose(S["flow"].dropna(), S["flow"].dropna().round(2))


def test_shares_dependence_and_empty_cells_follow_the_table(plant, fitted):
    S = fitted.sample(6000, random_state=2)
    train = fitted.split_rows()[0]
    for col in ("grade", "shift"):
        real = train[col].value_counts(normalize=True, dropna=False)
        synth = S[col].value_counts(normalize=True, dropna=False)
        tvd = 0.5 * real.sub(synth, fill_value=0).abs().sum()
        assert tvd < 0.05, (col, tvd)
    # empty cells at each column's rate (within 2 points)
    np.testing.assert_allclose(S.isna().mean(), train.isna().mean(), atol=0.02)
    # the grade still depends on the flow
    hi = S["flow"] > 105
    assert (S.loc[hi, "grade"] == "A").mean() > 0.8 and (S.loc[~hi, "grade"] == "A").mean() < 0.6
    # ... and the sensor is offline mostly in grade B, as in the table
    off = S["temp"].isna()
    assert off[S["grade"] == "B"].mean() > 4 * off[S["grade"] == "A"].mean()
    # the shift follows the hour of the timestamp only loosely here: both shifts stay common
    assert 0.3 < (S["shift"] == "day").mean() < 0.7


def test_scores_of_rows_with_empty_cells_are_marginal(fitted, plant):
    rows = plant.head(50)
    ll = fitted.score_samples(rows)
    assert np.isfinite(ll).all()
    # emptying a cell integrates it out: the density of fewer cells is larger (in scores)
    full = plant.dropna().head(20)
    partial = full.copy()
    partial["temp"] = np.nan
    assert np.all(fitted.score_samples(partial) >= fitted.score_samples(full) - 5)


def test_sampling_given_a_category(plant):
    s = Synthesizer("gmm", criterion="loglik", n_components=[1, 2, 4],
                    random_state=0).fit(plant)
    S = s.sample(2000, random_state=0, given={"grade": "B"})
    assert (S["grade"] == "B").all()
    assert S["flow"].mean() < plant.loc[plant["grade"] == "A", "flow"].mean()
    with pytest.raises(DataError, match="'C' is not a value column 'grade' had"):
        s.sample(5, given={"grade": "C"})
    with pytest.raises(DataError, match="'abc' is not a number; column 'flow' holds numbers"):
        s.sample(5, given={"flow": "abc"})


def test_read_table_keeps_every_row_and_kind(tmp_path, plant):
    path = tmp_path / "plant.csv"
    plant.to_csv(path, index=False)
    table = read_table(path, policy="keep", kinds="mixed")
    assert len(table.data) == len(plant)
    assert table.report.column_kinds["grade"] == "categorical"
    assert table.report.column_kinds["count"] == "integer"
    assert table.data["temp"].isna().sum() == plant["temp"].isna().sum()
    assert "Kept as:" in table.report.to_text()
    # the chapter's rule still drops rows with an empty cell
    dropped = read_table(path, policy="drop-rows", kinds="mixed")
    assert len(dropped.data) == len(plant.drop(columns="batch").dropna())


def test_booleans_and_time_zone_aware_dates_come_back_in_their_dtypes():
    rng = np.random.default_rng(0)
    n = 300
    df = pd.DataFrame({
        "flag": rng.random(n) < 0.3,
        "when": pd.date_range("2024-03-01 08:00", periods=n, freq="h", tz="Europe/Berlin"),
        "x": rng.normal(size=n).round(2)})
    s = Synthesizer("gmm", criterion="loglik", n_components=[1], random_state=0).fit(df)
    S = s.sample(500, random_state=0)
    assert pd.api.types.is_bool_dtype(S["flag"]) and 0.15 < S["flag"].mean() < 0.45
    assert S["when"].dtype == df["when"].dtype
    assert df["when"].min() <= S["when"].min() and S["when"].max() <= df["when"].max()
    assert (S["when"].dt.minute == 0).all()


def test_dates_given_as_text_are_drawn_and_read_back_in_the_frames_form():
    """A frame's text dates ('13/01/2024 08:00', day first) come back as text in that form,
    and rows in that form are read in it: '06/03/2024' is 6 March, not 3 June."""
    rng = np.random.default_rng(1)
    n = 200
    when = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90 * 24, n), unit="h")
    df = pd.DataFrame({"when": when.strftime("%d/%m/%Y %H:%M"),
                       "x": rng.normal(size=n).round(2)})
    s = Synthesizer("gmm", criterion="loglik", n_components=[1], random_state=0).fit(df)
    S = s.sample(50, random_state=0)
    assert S["when"].str.fullmatch(r"\d\d/\d\d/2024 \d\d:\d\d").all(), S["when"].head()
    as_dates = S.assign(when=pd.to_datetime(S["when"], format="%d/%m/%Y %H:%M"))
    np.testing.assert_allclose(s.score_samples(S), s.score_samples(as_dates), rtol=1e-12)
    rows = pd.DataFrame({"when": ["06/03/2024 15:00"], "x": [0.0]})
    march = rows.assign(when=[pd.Timestamp("2024-03-06 15:00")])
    np.testing.assert_allclose(s.score_samples(rows), s.score_samples(march), rtol=1e-12)


def test_dates_given_without_leading_zeros_are_drawn_without_them():
    """'1/5/2024 8:30' (month, day and hour unpadded) comes back in that form, and rows in
    it score as the same dates do."""
    rng = np.random.default_rng(2)
    n = 200
    when = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300 * 24, n), unit="h")
    df = pd.DataFrame({"when": [f"{t.month}/{t.day}/{t.year} {t.hour}:{t:%M}" for t in when],
                       "x": rng.normal(size=n).round(2)})
    s = Synthesizer("gmm", criterion="loglik", n_components=[1], random_state=0).fit(df)
    assert s.cleaning_["date_formats"] == {"when": "%-m/%-d/%Y %-H:%M"}
    S = s.sample(200, random_state=0)
    assert S["when"].str.fullmatch(r"[1-9]\d?/[1-9]\d?/2024 [1-9]?\d:\d\d").all()
    assert S["when"].str.match(r"\d/").any()  # some single-digit months
    as_dates = S.assign(when=pd.to_datetime(S["when"], format="%m/%d/%Y %H:%M"))
    np.testing.assert_allclose(s.score_samples(S), s.score_samples(as_dates), rtol=1e-12)


@pytest.mark.parametrize(("write", "form", "drawn"), [
    (lambda v: f"{80 + v:.1f}%", "0.0%", r"\d\d\.\d%"),
    (lambda v: f"{int(v + 6)}:{int(60 * (v % 1)):02d} PM", "%-I:%M %p", r"\d{1,2}:[0-5]\d [AP]M"),
])
def test_numbers_given_as_text_are_modelled_as_numbers_and_drawn_as_text(write, form, drawn):
    """Percentages ('81.5%') and times of day ('7:30 PM') given as text: modelled as the
    numbers they write (not 200 labels), drawn as text in their form with their dependence
    on the other columns, and rows so written score as their numbers do."""
    rng = np.random.default_rng(3)
    x = rng.uniform(-3, 3, 200)
    df = pd.DataFrame({"v": [write(v) for v in x], "t": (x + rng.normal(0, 0.3, 200)).round(2)})
    s = Synthesizer("gmm", criterion="loglik", n_components=[1], random_state=0).fit(df)
    assert s.cleaning_["number_forms"] == {"v": form}
    assert s.codecs_[0]["kind"] == "continuous"
    S = s.sample(100, random_state=0)
    assert S["v"].str.fullmatch(drawn).all(), S["v"].head()
    as_numbers = S.assign(v=read_numbers(S["v"], form))
    assert np.corrcoef(as_numbers["v"], S["t"])[0, 1] > 0.8
    np.testing.assert_allclose(s.score_samples(S), s.score_samples(as_numbers), rtol=1e-12)


def _typed_frame(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """A frame whose every column has a dtype the reading converts to another one."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    some = np.arange(n) % 9 == 0
    return pd.DataFrame({
        "flag": x > 0,
        "maybe": pd.array(np.where(some, None, x > 0.5).tolist(), dtype="boolean"),
        "grade": pd.Categorical(np.where(x > 0, "hi", "lo"), categories=["lo", "hi", "none"]),
        "size": pd.Categorical(rng.choice([1, 2, 3], n), categories=[3, 2, 1], ordered=True),
        "temp": (20 + 3 * x).round(1).astype(np.float32),
        "count": pd.array(rng.integers(0, 100, n), dtype="Int64"),
        "gaps": pd.array(np.where(some, None, rng.integers(0, 9, n)).tolist(), dtype="Int64"),
        "step": rng.integers(-5, 5, n).astype(np.int32),
        "level": rng.integers(0, 200, n).astype(np.uint8),
        "name": pd.array(rng.choice(["ann", "bob"], n), dtype="string"),
        "when": pd.date_range("2024-03-01", periods=n, freq="h", tz="Europe/Berlin"),
        "whole": np.where(some, np.nan, rng.integers(0, 5, n).astype(float)),
    })


@pytest.fixture(scope="module")
def typed():
    df = _typed_frame()
    return df, Synthesizer("gmm", criterion="loglik", n_components=[1], random_state=0).fit(df)


def test_drawn_rows_have_the_dtypes_of_the_frame(typed):
    df, s = typed
    S = s.sample(300, random_state=0)
    pd.testing.assert_series_equal(S.dtypes, df.dtypes)
    assert S["size"].cat.ordered and list(S["size"].cat.categories) == [3, 2, 1]
    assert S["maybe"].isna().any() and S["gaps"].isna().any() and S["whole"].isna().any()
    assert S["flag"].notna().all() and S["count"].notna().all()
    # float32 values are the input's decimals, not float32 noise written in full
    assert (S["temp"].astype(str).str.len() <= 5).all()
    assert np.allclose(S["temp"], S["temp"].astype(np.float64).round(1), atol=1e-5)
    given = s.sample(20, random_state=0, given={"count": 50})
    pd.testing.assert_series_equal(given.dtypes, df.dtypes)
    assert (given["count"] == 50).all()
    assert np.isfinite(s.evaluate(n_samples=200).detection_auc)


def test_a_saved_model_draws_the_same_rows_in_the_same_dtypes(typed, tmp_path):
    df, s = typed
    save(s, tmp_path / "typed.dkm")
    again = load(tmp_path / "typed.dkm")
    S = again.sample(300, random_state=0)
    pd.testing.assert_frame_equal(S, s.sample(300, random_state=0))
    pd.testing.assert_series_equal(S.dtypes, df.dtypes)
    assert np.isfinite(again.evaluate(df, n_samples=200).detection_auc)


def test_a_parquet_table_comes_back_in_its_dtypes(tmp_path):
    pytest.importorskip("pyarrow")
    df = _typed_frame()
    df.to_parquet(tmp_path / "typed.parquet")
    s = Synthesizer("gmm", criterion="loglik", n_components=[1], random_state=0)
    S = s.fit(tmp_path / "typed.parquet").sample(100, random_state=0)
    pd.testing.assert_series_equal(S.dtypes, pd.read_parquet(tmp_path / "typed.parquet").dtypes)


def test_a_model_file_from_before_the_dtypes_draws_as_it_did():
    """A Synthesizer file written before the frame's dtypes were kept (fitted on a frame of
    bool, ordered category, float32, Int64 and uint8 columns) draws the rows it drew then,
    in the kinds the table was read as."""
    model = load(FIXTURES / "synth_before_dtypes.dkm")
    assert getattr(model, "dtypes_", None) is None
    got = model.sample(20, random_state=3)
    assert got.dtypes.astype(str).tolist() == ["boolean", "str", "float64", "int64", "int64"]
    expected = (FIXTURES / "synth_before_dtypes_seed3.csv").read_text()
    assert got.to_csv(index=False) == expected


def test_dtypes_are_recorded_only_where_they_can_be_restored():
    from densitykit import _columns

    intervals = pd.Series(pd.interval_range(0, 3))
    assert _columns.dtype_record(intervals.dtype) is None
    for dtype in (np.dtype("uint16"), pd.Int32Dtype(), pd.StringDtype("python"),
                  pd.PeriodDtype("Q"),
                  pd.CategoricalDtype([2.5, 1.0], ordered=True), pd.DatetimeTZDtype("s", "UTC")):
        assert _columns.dtype_of(_columns.dtype_record(dtype)) == dtype
    # a value a dtype cannot hold leaves the column as it is
    frame = pd.DataFrame({"a": [1.0, 300.0], "b": ["x", "y"], "c": [1.5, 2.0]})
    out = _columns.as_dtypes(frame, {"a": np.dtype("uint8"), "b": pd.CategoricalDtype(["x"]),
                                     "c": pd.Int64Dtype()})
    pd.testing.assert_frame_equal(out, frame)
    with pytest.raises(ValueError):
        _columns.dtype_of("interval[int64, right]")


@pytest.mark.parametrize("dtypes", [{"temp": "interval[int64, right]"}, {"nope": "float32"},
                                    {"grade": {"categories": ["a", "a"], "ordered": False}}])
def test_a_model_file_with_a_bad_dtype_is_refused(typed, tmp_path, dtypes):
    import copy

    from densitykit.exceptions import ModelFileError

    bad = copy.copy(typed[1])
    bad.dtypes_ = dtypes
    save(bad, tmp_path / "bad.dkm")
    with pytest.raises(ModelFileError, match="dtypes_"):
        load(tmp_path / "bad.dkm")
