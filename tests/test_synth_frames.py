"""Synthesizer on the frames a notebook makes: labels that are not text, odd dtypes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import densitykit
from densitykit import Synthesizer
from densitykit.cli import main


def _frame(n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(10, 2, n).round(3)
    return pd.DataFrame({"a": x, "b": (x + rng.normal(0, 1, n)).round(2),
                         "k": rng.integers(0, 5, n)})


def _fit(df: pd.DataFrame) -> Synthesizer:
    return Synthesizer(model="gmm", n_components=[1], criterion="loglik").fit(df)


def test_a_frame_with_number_labels_keeps_them(tmp_path, capsys):
    df = _frame()
    df.columns = [0, 1, 2]  # pd.DataFrame(X)
    synth = _fit(df)
    rows = synth.sample(50, random_state=0)
    assert list(rows.columns) == [0, 1, 2]
    assert rows[2].dtype == np.int64
    assert np.isfinite(synth.score_samples(df)).all()  # the frame it was fitted on
    assert (synth.sample(5, random_state=0, given={0: 10.0})[0] == 10.0).all()
    assert synth.evaluate(synthetic=rows).n_synthetic == 50
    path = tmp_path / "ints.dkm"
    densitykit.save(synth, path)
    again = densitykit.load(path)
    assert again.sample(50, random_state=0).equals(rows)
    out = tmp_path / "rows.csv"
    assert main(["sample", str(path), "-n", "50", "--seed", "0", "-o", str(out)]) == 0
    capsys.readouterr()
    assert out.read_text().splitlines()[0] == "0,1,2"
    np.testing.assert_array_equal(pd.read_csv(out).to_numpy(), rows.to_numpy())


def test_text_labels_stay_as_they_were():
    synth = _fit(_frame())
    assert synth.column_labels_ is None
    assert list(synth.sample(3, random_state=0).columns) == ["a", "b", "k"]


def test_a_category_the_model_never_saw_has_no_probability():

    from densitykit.exceptions import OutsideRangeWarning

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=200).round(3), "g": rng.choice(["a", "b"], 200)})
    df.loc[::7, "g"] = None  # empty cells are modelled: an unseen label is no empty cell
    synth = _fit(df)
    rows = pd.DataFrame({"x": [0.0, 0.0, 0.0], "g": ["a", "typo", None]})
    with pytest.warns(OutsideRangeWarning, match="'g' the model was not fitted on \\('typo'\\)"):
        scores = synth.score_samples(rows)
    assert np.isfinite(scores[[0, 2]]).all() and scores[1] == -np.inf  # was the likeliest
    assert synth.baseline_score_samples(rows)[1] == -np.inf


def test_a_given_date_is_read_as_the_reader_reads_dates():
    """'05.01.2024' (points: day first, as tables from European exports are read) is
    5 January in ``given=`` and in scored rows, as in read_table, not 1 May."""
    rng = np.random.default_rng(0)
    when = pd.date_range("2024-01-01", periods=200, freq="D")
    df = pd.DataFrame({"when": when, "x": rng.normal(size=200) + np.arange(200) * 0.01})
    synth = _fit(df)
    dotted = synth.sample(3, given={"when": "05.01.2024"}, random_state=0)
    iso = synth.sample(3, given={"when": "2024-01-05"}, random_state=0)
    assert dotted.equals(iso) and (dotted["when"] == pd.Timestamp("2024-01-05")).all()
    rows = pd.DataFrame({"when": ["05.01.2024", "13.01.2024"], "x": [0.1, 0.2]})
    np.testing.assert_array_equal(
        synth.score_samples(rows),
        synth.score_samples(rows.assign(when=pd.to_datetime(["2024-01-05", "2024-01-13"]))))


def test_a_column_of_python_dates_comes_back_as_dates(tmp_path):
    """``datetime.date`` cells (pandas holds them as objects) are drawn as dates in the
    column's range, not as their text, also given one and from the model file."""
    import datetime as dt

    rng = np.random.default_rng(0)
    days = [dt.date(2023, 6, 1) + dt.timedelta(days=int(i)) for i in rng.integers(0, 60, 200)]
    days[3] = None
    df = pd.DataFrame({"x": rng.normal(size=200), "day": days})
    synth = _fit(df)
    rows = synth.sample(40, random_state=0)
    drawn = rows["day"].dropna()
    assert rows["day"].dtype == object and len(drawn) > 30
    assert all(type(v) is dt.date for v in drawn)
    assert (drawn >= min(d for d in days if d)).all() and (drawn <= max(d for d in days if d)).all()
    given = synth.sample(3, random_state=0, given={"day": dt.date(2023, 6, 10)})["day"]
    assert given.tolist() == [dt.date(2023, 6, 10)] * 3
    path = tmp_path / "days.dkm"
    densitykit.save(synth, path)
    assert densitykit.load(path).sample(40, random_state=0).equals(rows)


def test_cells_that_are_no_number_or_date_are_refused_when_scoring():
    """A scored row's text in a date or number column is named, not read as 1677 or as
    an empty cell."""

    from densitykit.exceptions import DataError

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=200),
                       "t": pd.Timestamp("2024-01-01") + pd.to_timedelta(
                           rng.integers(0, 500, 200), unit="h")})
    synth = _fit(df)
    rows = df.head(2).astype(object)
    with pytest.raises(DataError, match=r"2 cell\(s\) of column 't' hold no date \('hello'\)"):
        synth.score_samples(rows.assign(t="hello"))
    with pytest.raises(DataError, match=r"column 'x' hold no number \('abc'\)"):
        synth.score_samples(rows.assign(x=["abc", 0.5]))
    np.testing.assert_array_equal(synth.score_samples(rows.assign(x=["0.25", None])),
                                  synth.score_samples(df.head(2).assign(x=[0.25, np.nan])))


def test_given_values_an_integer_column_cannot_hold_are_refused():

    from densitykit.exceptions import ParameterError

    df = _frame().assign(u=lambda f: (f["k"] * 50).astype("uint8"),
                         n=lambda f: pd.array(f["k"], dtype="Int64"))
    synth = _fit(df)
    for given, words in (({"k": 2.5}, "'k' holds whole numbers"),
                         ({"n": 1.5}, "'n' holds whole numbers"),
                         ({"u": 300}, "300 does not fit column 'u', whose dtype uint8 holds "
                                      "0 to 255"),
                         ([("k", 2)], "given must map column names to values")):
        with pytest.raises(ParameterError, match=words):
            synth.sample(3, random_state=0, given=given)
    rows = synth.sample(3, random_state=0, given={"u": 200, "n": 3})
    assert rows["u"].dtype == np.uint8 and (rows["u"] == 200).all()
    assert str(rows["n"].dtype) == "Int64" and (rows["n"] == 3).all()


def test_a_column_of_periods_is_modelled_as_dates_and_drawn_as_periods(tmp_path):
    """Months and quarters (pandas' periods) were read as no date at all; each period is
    now its start, drawn rows hold periods of the column's frequency, in its range."""
    rng = np.random.default_rng(0)
    n = 150
    df = pd.DataFrame({"month": pd.period_range("2020-01", periods=n, freq="M"),
                       "quarter": pd.period_range("2001Q1", periods=n, freq="Q")})
    df["x"] = np.arange(n) * 0.05 + rng.normal(0, 0.3, n)
    df.loc[3, "month"] = pd.NaT
    synth = _fit(df)
    rows = synth.sample(60, random_state=0)
    assert rows.dtypes.to_dict() == df.dtypes.to_dict()
    months = rows["month"].dropna()
    assert len(months) > 50 and months.min() >= df["month"].min() \
        and months.max() <= df["month"].max()
    # modelled jointly: late months go with large x
    dated = rows[rows["month"].notna()]
    assert np.corrcoef(dated["month"].dt.year, dated["x"])[0, 1] > 0.8
    assert np.isfinite(synth.score_samples(df.head(5).drop(index=3))).all()
    path = tmp_path / "periods.dkm"
    densitykit.save(synth, path)
    assert densitykit.load(path).sample(60, random_state=0).equals(rows)


def test_a_given_value_outside_the_table_is_told_in_its_own_terms():
    """A date outside the fitted dates is shown as a date and its distance as a span; a
    value given for a constant column is not measured in a spread the column lacks."""
    from densitykit.exceptions import OutsideRangeWarning

    rng = np.random.default_rng(0)
    n = 200
    df = pd.DataFrame({"t": pd.date_range("2024-01-01", periods=n, freq="h"),
                       "x": rng.normal(size=n), "c": 3.0})
    s = Synthesizer("gmm", n_components=1, random_state=0).fit(df)
    with pytest.warns(OutsideRangeWarning) as seen:
        s.sample(2, random_state=0, given={"t": "2024-01-10 06:00"})
    message = str(seen[0].message)
    assert message.startswith("given t=2024-01-10 06:00:00 is ")
    assert "(1 days 00:00:00) after the latest value" in message and "e+18" not in message
    with pytest.warns(OutsideRangeWarning, match=r"given c=5, but the column held only 3 "):
        s.sample(2, random_state=0, given={"c": 5})


def test_multiindex_columns_come_back_as_a_multiindex(tmp_path):
    """A frame with two header levels gives drawn rows with those levels (not the text
    "('g', 'a')"), from the model and from its file, in the Synthesizer and TableModel."""
    from densitykit import TableModel, load, save

    df = _frame()
    df.columns = pd.MultiIndex.from_tuples([("g", "a"), ("g", "b"), ("h", "k")])
    for model in (Synthesizer("gmm", n_components=1, random_state=0).fit(df),
                  TableModel().fit(df)):
        save(model, tmp_path / "m.dkm")
        for m in (model, load(tmp_path / "m.dkm")):
            rows = m.sample(4, random_state=0)
            assert isinstance(rows.columns, pd.MultiIndex)
            assert rows.columns.equals(df.columns)
            assert pd.concat([df.head(2), rows]).shape == (6, 3)
