"""Metrics and the report on mixed tables: numbers, dates, booleans, categories, empty cells."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from densitykit import evaluate as ev
from densitykit.exceptions import DataError
from densitykit.report import SECTION_IDS, build_report, write_report
from test_report import _check_in_browser, _parse, needs_chromium


def mixed_frame(n, rng, *, shares=(0.5, 0.3, 0.2), empty=0.1):
    """A table of every kind; ``shares`` of the categories a/b/c of column ``colour``."""
    x = rng.normal(size=n)
    colour = rng.choice(["a", "b", "c"], n, p=list(shares)).astype(object)
    colour[rng.random(n) < empty] = None
    flag = pd.array(np.where(rng.random(n) < empty, None, x + rng.normal(size=n) > 0),
                    dtype="boolean")
    when = pd.Timestamp("2021-01-01") + pd.to_timedelta(
        np.round(30 * x + rng.normal(size=n) * 5), unit="D")
    when = pd.Series(when).where(rng.random(n) >= empty)
    return pd.DataFrame({
        "x": np.where(rng.random(n) < empty, np.nan, x),
        "count": rng.poisson(3, n).astype(np.int64),
        "ok": rng.random(n) < 0.3,
        "flag": flag,
        "colour": colour,
        "size": pd.Categorical(rng.choice(["S", "M", "L"], n), categories=["S", "M", "L"]),
        "when": when,
    })


# ------------------------------------------------------------------ conversion
def test_metric_matrix_codes_every_kind_against_the_reference():
    real = pd.DataFrame({
        "n": [1, 2, 3],
        "c": ["b", "a", None],
        "k": pd.Categorical(["lo", "hi", "lo"], categories=["lo", "hi"]),
        "t": pd.to_datetime(["1970-01-01", "1970-01-02", None]),
        "b": pd.array([True, None, False], dtype="boolean"),
    })
    synth = pd.DataFrame({
        "n": [4.5, np.nan, 0.0],
        "c": ["z", "b", "a"],
        "k": pd.Categorical(["hi", "hi", None], categories=["lo", "hi"]),
        "t": pd.to_datetime(["1970-01-01 00:01", None, "1970-01-03 00:00"]),
        "b": [False, False, True],
    })
    assert ev.column_kinds(real) == {"n": "numeric", "c": "categorical", "k": "categorical",
                                     "t": "datetime", "b": "boolean"}
    np.testing.assert_array_equal(ev.metric_matrix(real), [
        [1, 1, 0, 0, 1], [2, 0, 1, 86400, np.nan], [3, np.nan, 0, np.nan, 0]])
    # 'z' is unseen in the real table: it gets the code after the real categories a, b
    np.testing.assert_array_equal(ev.metric_matrix(synth, real), [
        [4.5, 2, 1, 60, 0], [np.nan, 1, 1, np.nan, 0], [0, 0, np.nan, 172800, 1]])


def test_bad_tables_are_refused_with_the_fix():
    good = pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": ["a", "b", None]})
    with pytest.raises(DataError, match="column 'x' contains inf"):
        ev.column_similarity(good, good.assign(x=[1.0, np.inf, 2.0]))
    with pytest.raises(DataError, match="2-D"):
        ev.evaluate(np.arange(4.0), np.arange(4.0))
    with pytest.raises(DataError, match="column 'c' is numeric but the real column is "
                                        "categorical"):
        ev.column_similarity(good, good.assign(c=[1.0, 2.0, 3.0]))
    with pytest.raises(DataError, match="dtype complex128"):
        ev.column_similarity(good.assign(z=[1j, 2j, 3j]), good.assign(z=[1j, 2j, 3j]))
    # empty cells where no real row has one are failed draws ...
    with pytest.raises(DataError, match=r"\['c'\] hold empty cells"):
        ev.evaluate(good.assign(c=list("abc")), good, detection=False, privacy=False)
    # ... but not where the real rows have some
    res = ev.evaluate(good, good.assign(c=[None, None, "a"]), detection=False, privacy=False)
    assert res.empty_share_difference == pytest.approx(100 / 3)


# ------------------------------------------------------------------ per column
def test_category_column_scores_one_minus_total_variation():
    real = pd.DataFrame({"c": ["a"] * 50 + ["b"] * 50, "x": np.arange(100.0)})
    synth = pd.DataFrame({"c": ["a"] * 80 + ["b"] * 20, "x": np.arange(100.0)})
    cols = ev.column_similarity(real, synth)
    assert cols.loc["c", "kind"] == "categorical"
    assert cols.loc["c", "similarity"] == pytest.approx(0.7)  # TVD = |0.5 - 0.8| = 0.3
    assert cols.loc["c", "tv_complement"] == pytest.approx(0.7)
    assert np.isnan(cols.loc["c", "wasserstein"]) and np.isnan(cols.loc["c", "ks_complement"])
    assert cols.loc["x", "similarity"] == 1.0 and np.isnan(cols.loc["x", "tv_complement"])
    # a category only the synthetic rows have counts as mass in the wrong place
    other = synth.assign(c=["a"] * 50 + ["new"] * 50)
    assert ev.column_similarity(real, other).loc["c", "similarity"] == pytest.approx(0.5)


def test_similarity_uses_observed_cells_and_empty_shares_are_reported():
    real = pd.DataFrame({"x": [1.0, 2.0, 3.0, np.nan] * 25,
                         "c": ["a", "b", None, None] * 25})
    synth = pd.DataFrame({"x": [1.0, 2.0, 3.0, 1.0] * 25,
                          "c": ["a", "b", "a", "b"] * 25})
    cols = ev.column_similarity(real, synth)
    assert cols.loc["x", "empty_real"] == 0.25 and cols.loc["x", "empty_synthetic"] == 0.0
    assert cols.loc["c", "empty_real"] == 0.5
    assert cols.loc["c", "similarity"] == 1.0  # a and b in equal shares, empties aside
    assert cols.loc["x", "similarity"] == pytest.approx(1 - 1 / 6)
    res = ev.evaluate(real, synth, detection=False, privacy=False)
    assert res.empty_share_difference == pytest.approx(50.0)
    verdict = {v.metric: v for v in res.verdicts()}["Empty cells"]
    assert verdict.level == "poor" and "largest in c" in verdict.text
    same = ev.evaluate(real, real.copy(), detection=False, privacy=False)
    assert same.empty_share_difference == 0.0
    assert {v.metric: v.level for v in same.verdicts()}["Empty cells"] == "good"



def test_empty_cells_verdict_says_what_chance_alone_moves():
    # 5 % empty in 160 real rows against 8 % in 800 synthetic ones: 3 points apart, within
    # the ±4.6 points two samples of one 7.5 % share differ by at these sizes
    def table(n, empty):
        return pd.DataFrame({"x": np.where(np.arange(n) < empty, np.nan, np.arange(n) % 7)})

    res = ev.evaluate(table(160, 8), table(800, 64), detection=False, privacy=False)
    text = {v.metric: v for v in res.verdicts()}["Empty cells"].text
    assert res.empty_share_difference == pytest.approx(3.0)
    spread = 200 * np.sqrt(0.075 * 0.925 * (1 / 160 + 1 / 800))
    assert "With 160 real rows and 800 synthetic ones compared" in text
    assert f"about ±{spread:.1f} points, so this one is within chance" in text
    # 30 points apart is beyond it; and on long tables chance is not worth a word
    far = ev.evaluate(table(160, 8), table(800, 280), detection=False, privacy=False)
    assert "points: this one is beyond it." in {
        v.metric: v for v in far.verdicts()}["Empty cells"].text
    long = ev.evaluate(table(40000, 2000), table(40000, 3200), detection=False,
                       privacy=False, max_rows=40000)
    assert "chance" not in {v.metric: v for v in long.verdicts()}["Empty cells"].text
    # a subsample of long tables is what the shares were measured on, and the spread's
    sub = ev.evaluate(table(40000, 2000), table(40000, 3200), detection=False,
                      privacy=False, max_rows=800)
    assert sub.n_compared == (800, 800)
    assert "With 800 real rows and 800 synthetic ones compared" in {
        v.metric: v for v in sub.verdicts()}["Empty cells"].text


# -------------------------------------------------------------------- pairwise
def test_correlations_use_ordered_columns_pairwise_complete():
    rng = np.random.default_rng(0)
    df = mixed_frame(400, rng)
    other = mixed_frame(400, np.random.default_rng(1))
    score, Cr, Cs = ev.correlation_similarity(df, other)
    cols = ["x", "count", "ok", "flag", "when"]
    assert ev.correlation_columns(df) == cols
    expected = pd.DataFrame(ev.metric_matrix(df)[:, [0, 1, 2, 3, 6]]).corr().to_numpy()
    np.testing.assert_allclose(Cr, expected, atol=1e-12)
    iu = np.triu_indices(5, 1)
    assert score == pytest.approx(1 - np.mean(np.abs(Cr[iu] - Cs[iu])) / 2)
    # fewer than two such columns: undefined, said so, no crash
    only = df[["x", "colour", "size"]]
    assert np.isnan(ev.correlation_similarity(only, only)[0])
    res = ev.evaluate(only, only, detection=False, privacy=False)
    assert any("Correlation similarity is undefined" in n for n in res.notes)
    assert {v.metric: v.value for v in res.verdicts()}["Correlation similarity"] == "undefined"


def test_contingency_of_dependent_against_independent_categories():
    real = pd.DataFrame({"a": ["x", "y"] * 50, "b": ["x", "y"] * 50})  # b copies a
    indep = pd.DataFrame({"a": ["x", "y"] * 50, "b": ["x", "x", "y", "y"] * 25})
    # joint shares: real (x,x)=(y,y)=1/2; independent all four 1/4 -> TVD 1/2
    score, table, sub = ev.contingency_similarity(real, indep)
    assert score == pytest.approx(0.5) and len(table) == 1 and not sub
    assert ev.contingency_similarity(real, real)[0] == 1.0
    # the marginals agree, so each column alone looks perfect
    assert (ev.column_similarity(real, indep)["similarity"] == 1.0).all()
    # an empty cell is a level of its own in the joint table
    holes = real.assign(b=["x", None] * 50)
    filled = real.copy()
    assert ev.contingency_similarity(holes, filled)[0] == pytest.approx(0.5)
    # fewer than two categorical columns: None in the evaluation
    res = ev.evaluate(real.assign(n=np.arange(100.0))[["a", "n"]],
                      real.assign(n=np.arange(100.0))[["a", "n"]], detection=False,
                      privacy=False)
    assert res.contingency_similarity is None
    res = ev.evaluate(real, indep, detection=False, privacy=False)
    assert res.contingency_similarity == pytest.approx(0.5)
    assert {v.metric: v.level for v in res.verdicts()}["Contingency similarity"] == "poor"


def test_trend_bins_empty_cells_and_categories():
    c = np.array(["a", "b"] * 100, dtype=object)
    x = np.tile(np.arange(10.0), 20)
    real = pd.DataFrame({"c": c, "x": np.where(c == "a", np.nan, x)})
    moved = pd.DataFrame({"c": c, "x": np.where(c == "b", np.nan, x)})
    assert ev.trend_similarity(real, real)[0] == 1.0
    # same shares of empty cells, but empty with the other category: the joint bins differ
    score = ev.trend_similarity(real, moved)[0]
    assert score == 0.0  # the two joint tables share no cell
    half = real.assign(x=np.where(np.arange(200) < 100, real["x"], moved["x"]))
    assert ev.trend_similarity(real, half)[0] == pytest.approx(0.5)
    assert ev.column_similarity(real, moved).loc["c", "similarity"] == 1.0


# ------------------------------------------------------------------- detection
def test_detection_on_mixed_tables():
    a = mixed_frame(1500, np.random.default_rng(2))
    b = mixed_frame(1500, np.random.default_rng(3))
    assert 0.4 < ev.detection_auc(a, b) < 0.6
    shifted = mixed_frame(1500, np.random.default_rng(4), shares=(0.02, 0.02, 0.96))
    assert ev.detection_auc(a, shifted) > 0.85



def test_a_column_with_no_observed_cell_takes_no_part():
    # a sensor offline in every row of both tables (or of a fold) tells nothing
    a = mixed_frame(600, np.random.default_rng(2)).assign(off=np.nan)
    b = mixed_frame(600, np.random.default_rng(3)).assign(off=np.nan)
    assert 0.4 < ev.detection_auc(a, b) < 0.6
    a["label"] = np.where(a["x"].fillna(0) > 0, "hi", "lo")
    b["label"] = np.where(b["x"].fillna(0) > 0, "hi", "lo")
    assert ev.efficacy(a[:300], b, a[300:], "label")["synthetic"] > 0.8

# --------------------------------------------------------------------- privacy
def test_privacy_distances_of_categories_and_empty_cells():
    train = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "c": ["a", "a", "b", "b"]})
    sd = np.std([0.0, 1.0, 2.0, 3.0])
    synth = pd.DataFrame({"x": [0.0, np.nan, 0.0], "c": ["b", "a", "a"]})
    res = ev.privacy_check(train, synth)
    # a differing category is one unit; an empty x sits at the training median 1.5
    np.testing.assert_allclose(res.dcr_synthetic, [1.0, 0.5 / sd, 0.0])
    assert res.n_copies == 1
    # copied rows with empty cells are still copies
    holes = train.assign(x=[0.0, np.nan, 2.0, 3.0], c=["a", None, "b", "b"])
    assert ev.privacy_check(holes, holes.iloc[[1, 2]]).n_copies == 2


# -------------------------------------------------------------------- efficacy
def test_efficacy_classifies_a_categorical_target_and_drops_empty_targets():
    rng = np.random.default_rng(5)
    df = mixed_frame(1200, rng)
    df["label"] = np.where(df["x"].fillna(0) + 0.1 * rng.normal(size=1200) > 0, "hi", "lo")
    df.loc[df.index[::10], "label"] = None
    train, synth, test = df.iloc[:500], df.iloc[500:900], df.iloc[900:]
    out = ev.efficacy(train, synth, test, "label")
    assert out["metric"] == "accuracy"
    assert out["n_test"] == test["label"].notna().sum() == 270
    assert out["real"] > 0.8 and out["synthetic"] > 0.8
    noise = synth.assign(label=rng.permutation(synth["label"].to_numpy()))
    assert ev.efficacy(train, noise, test, "label")["synthetic"] < 0.65
    assert ev.efficacy(train, synth, test, "ok")["metric"] == "accuracy"  # boolean target


def test_model_receives_the_holdout_frame_as_it_is():
    seen = {}

    class Model:
        columns_ = None

        def score_samples(self, X):
            seen["X"] = X
            return np.zeros(len(X))

    rng = np.random.default_rng(6)
    train, hold = mixed_frame(300, rng), mixed_frame(200, rng)
    res = ev.evaluate(train, mixed_frame(300, rng), holdout=hold, model=Model(),
                      detection=False, privacy=False)
    pd.testing.assert_frame_equal(seen["X"], hold)
    assert res.heldout_loglik == 0.0 and res.baseline_loglik is None
    assert any("No Gaussian baseline" in n for n in res.notes)


# -------------------------------------------------------------- numeric tables
def test_all_numeric_tables_keep_their_metrics():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(500, 3))
    ints = pd.DataFrame(np.round(X * 10).astype(np.int64), columns=list("abc"))
    floats = ints.astype(np.float64)
    a = ev.evaluate(ints, ints.iloc[::-1] + 1, privacy=False)
    b = ev.evaluate(floats, floats.iloc[::-1] + 1, privacy=False)
    assert a.summary() == b.summary()
    assert (a.columns["similarity"] == a.columns["ks_complement"]).all()
    assert a.contingency_similarity is None and a.empty_share_difference == 0.0
    assert [v.metric for v in a.verdicts()][:4] == [
        "Per-column similarity (KS complement)", "Scaled Wasserstein distance",
        "Correlation similarity", "Pairwise trend similarity"]
    assert "Empty cells" not in {v.metric for v in a.verdicts()}


# ---------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def mixed_report(tmp_path_factory):
    rng = np.random.default_rng(8)
    train, hold = mixed_frame(700, rng), mixed_frame(300, rng)
    synth = mixed_frame(700, rng, shares=(0.4, 0.4, 0.2), empty=0.15)
    synth["colour"] = synth["colour"].where(synth["colour"] != "c", None)  # a subset
    cleaning = {"source": "mixed.csv", "n_rows_in": 1000, "n_rows_out": 1000,
                "dropped_columns": {"id": "an identifier (every value distinct)"},
                "column_kinds": {"x": "numeric", "count": "integer", "ok": "boolean",
                                 "flag": "boolean", "colour": "categorical",
                                 "size": "categorical", "when": "datetime"}}
    evaluation = ev.evaluate(train, synth, holdout=hold)
    path = tmp_path_factory.mktemp("mixed") / "mixed.html"
    write_report(path, train, synth, holdout=hold, evaluation=evaluation, cleaning=cleaning)
    return path, evaluation


def test_evaluate_end_to_end_on_a_mixed_table(mixed_report):
    _, res = mixed_report
    names = {v.metric for v in res.verdicts()}
    assert {"Per-column similarity (KS and TV complements)", "Contingency similarity",
            "Empty cells", "Detection AUC", "Privacy (closest real row)"} <= names
    assert 0 < res.contingency_similarity <= 1 and res.empty_share_difference > 2
    assert res.kinds["when"] == "datetime" and res.corr_columns == [
        "x", "count", "ok", "flag", "when"]
    assert np.isfinite(res.column_similarity) and np.isfinite(res.wasserstein)


def test_mixed_report_shows_every_kind(mixed_report):
    path, _ = mixed_report
    page = path.read_text(encoding="utf-8")
    p = _parse(page)
    assert list(SECTION_IDS) == [i for i in p.ids if i in SECTION_IDS]
    for name in ("colour", "size", "ok", "flag"):  # category shares as bars
        assert re.search(rf"{name}: TV complement \d\.\d{{3}}", page)
    for name in ("x", "count", "when"):
        assert re.search(rf"{name}: KS complement \d\.\d{{3}}", page)
    assert "Contingency similarity" in page and "empty, synthetic" in page
    assert "Columns kept, by kind" in page and "an identifier" in page
    assert not re.search(r">\s*-?(nan|inf|NaN)\s*<", page)
    assert "nan%" not in page and "nan " not in page
    heat = page.index('id="correlations"')
    assert page.count("<img", heat, page.index('id="pairs"')) == 1


def test_category_bars_group_the_rest_as_other():
    from densitykit.report import category_shares

    real = pd.Series([f"v{i:02d}" for i in range(30)] * 2 + ["v00"] * 10)
    labels, r, s = category_shares(real, real.iloc[:5])
    assert len(labels) == 21 and labels[0] == "v00" and labels[-1] == "other"
    assert r.sum() == pytest.approx(1.0) and s.sum() == pytest.approx(1.0)
    assert r[-1] == pytest.approx(10 * 2 / 70)


def test_report_on_categories_only_keeps_every_section():
    rng = np.random.default_rng(9)
    df = pd.DataFrame({"a": rng.choice(list("xyz"), 200), "b": rng.choice(list("uv"), 200)})
    page = build_report(df, df.sample(frac=1.0, random_state=0))
    assert all(f'<section id="{s}">' in page for s in SECTION_IDS)
    assert "Fewer than two numeric, date or boolean columns" in page
    assert not re.search(r">\s*-?(nan|inf)\s*<", page)


@needs_chromium
@pytest.mark.parametrize("width", [1280, 390])
def test_mixed_report_renders_in_headless_chromium(mixed_report, tmp_path, width):
    _check_in_browser(mixed_report[0], tmp_path, width)


def test_a_notebook_shows_the_verdicts_as_a_table():
    from html.parser import HTMLParser

    real = pd.DataFrame({"x<y": [1.0, 2.0, 3.0, np.nan] * 25, "c": ["a", "b"] * 50})
    synth = real.fillna(2.0)
    res = ev.evaluate(real, synth, detection=False, privacy=False)
    page = res._repr_html_()
    cells = []

    class Cells(HTMLParser):
        def handle_data(self, data):
            cells.append(data)

    Cells().feed(page)
    verdicts = res.verdicts()
    assert page.count("<tr>") == len(verdicts) + 1
    for v in verdicts:
        assert v.metric in cells and v.text in cells and v.level in cells
    assert "largest in x<y" in next(v.text for v in verdicts if v.metric == "Empty cells")
    assert "x<y" not in page and "largest in x&lt;y" in page  # escaped
