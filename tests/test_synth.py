"""Synthetic tables: the Synthesizer workflow, sampling, and the synth/sample/report commands."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from densitykit import Synthesizer
from densitykit import _columns as columns
from densitykit.cli import main
from densitykit.evaluate import evaluate
from densitykit.exceptions import DataError, FitError, ParameterError
from densitykit.persist import load, save

DOW = Path(__file__).resolve().parents[1] / "src/densitykit/datasets/data"
DOW = DOW / "dow_impurity_validation.csv.gz"
FIXTURES = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def two_blobs():
    rng = np.random.default_rng(0)
    a = rng.multivariate_normal([0, 0], [[1, 0.8], [0.8, 1]], size=300)
    b = rng.multivariate_normal([6, -3], [[1, -0.5], [-0.5, 1]], size=300)
    X = np.vstack([a, b])
    # a column with a heavy repeated value (a valve at its set point) and an integer column
    stuck = np.where(rng.random(600) < 0.6, 45.0085, rng.normal(44, 1, 600).round(4))
    counts = rng.poisson(3, 600)
    return pd.DataFrame({"u": X[:, 0], "v": X[:, 1], "stuck": stuck, "count": counts})


@pytest.fixture(scope="module")
def blob_model(two_blobs):
    return Synthesizer(n_components=[1, 2, 3, 4], bandwidths=[0.3],
                       random_state=0).fit(two_blobs)


def test_column_maps_round_trip_and_keep_values():
    rng = np.random.default_rng(1)
    x = np.where(rng.random(5000) < 0.3, 2.5, rng.normal(0, 1, 5000).round(3))
    codec = columns.fit_codec(x)
    assert codec["kind"] == "continuous" and codec["decimals"] == 3
    z = columns.encode_fit(codec, x, rng)
    # scores of the fitted rows are standard normal, ties spread over their levels
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05
    back = columns.decode(codec, z)
    assert np.mean(back == 2.5) == pytest.approx(0.3, abs=0.02)  # the atom keeps its share
    assert np.all(back == np.round(back, 3))  # written with the input's decimals
    # new draws come back inside the observed range, atoms with their frequency
    draws = columns.decode(codec, rng.normal(size=20000))
    assert draws.min() >= x.min() and draws.max() <= x.max()
    assert np.mean(draws == 2.5) == pytest.approx(0.3, abs=0.02)
    # scoring maps are monotone, with linear tails beyond the data
    grid = np.linspace(x.min() - 1, x.max() + 1, 101)
    assert np.all(np.diff(columns.encode(codec, grid)) >= 0)


def test_discrete_columns_draw_only_observed_values_with_their_shares():
    rng = np.random.default_rng(2)
    x = rng.choice([10.0, 12.5, 20.0, 40.0], p=[0.1, 0.2, 0.3, 0.4], size=4000)
    codec = columns.fit_codec(x, np.float64)
    assert codec["kind"] == "discrete"
    draws = columns.decode(codec, rng.normal(size=40000))
    assert set(np.unique(draws)) == {10.0, 12.5, 20.0, 40.0}
    shares = [np.mean(draws == v) for v in (10.0, 12.5, 20.0, 40.0)]
    np.testing.assert_allclose(shares, [0.1, 0.2, 0.3, 0.4], atol=0.01)
    counts = pd.Series(rng.poisson(30, 3000))
    c = columns.column_codec(counts)
    out = columns.to_values(c, columns.decode(c, rng.normal(size=5000)))
    assert out.dtype == counts.dtype and set(out) <= set(counts)


def test_precision_of_the_input_is_kept():
    x = np.array([395.515, 0.015869, 1904.88, 12.5])
    assert columns.significant_of(x) == 6
    assert columns.decimals_of(x) == 6
    np.testing.assert_array_equal(columns.round_significant(np.array([1.23456789]), 6),
                                  [1.23457])


def test_three_disjoint_sets_of_rows(blob_model, two_blobs):
    s = blob_model
    train, test = s.split_rows()
    assert s.n_rows_in_ == len(two_blobs) == len(train) + len(test)
    assert len(test) == s.n_test_ == 120
    assert set(train.index).isdisjoint(test.index)
    np.testing.assert_array_equal(np.sort(test.index), s.test_positions_)
    # candidates were fitted and validated inside the training rows only
    assert s.n_fit_rows_ + s.n_validation_rows_ == s.n_train_ == 480


def test_choice_by_detection_takes_the_least_detectable_non_copier(blob_model):
    cands = blob_model.results_
    assert set(cands["family"]) == {"gmm", "kde"}
    assert cands["selected"].sum() == 1
    fair = cands[cands["share_closer"] <= 0.10]
    assert cands.loc[cands["selected"], "detection_auc"].iloc[0] == fair["detection_auc"].min()
    # mixtures are tried in increasing size and the search stops once the median held-out
    # log-likelihood stops improving
    gmm = cands[cands["family"] == "gmm"]
    assert list(gmm["n_components"]) == sorted(gmm["n_components"])
    ll = gmm["heldout_loglik_median"].to_numpy()
    assert np.all(np.diff(ll[:-1]) > 0) and (len(ll) == 4 or ll[-1] <= ll[:-1].max())


def test_choice_by_loglik(two_blobs):
    s = Synthesizer(criterion="loglik", n_components=[1, 2, 3], bandwidths=[0.3],
                    random_state=0).fit(two_blobs)
    cands = s.results_
    assert cands["detection_auc"].isna().all()
    best = cands.loc[cands["heldout_loglik"].idxmax()]
    assert bool(best["selected"])
    # the two blobs need two components: one Gaussian is clearly worse on held-out rows
    gmm = cands[cands["family"] == "gmm"].set_index("n_components")["heldout_loglik"]
    assert gmm[2] > gmm[1] + 0.3


def test_a_copying_candidate_is_never_chosen(two_blobs):
    s = Synthesizer("kde", bandwidths=[0.01, 0.3], random_state=0).fit(two_blobs)
    cands = s.results_.set_index("candidate")
    assert cands.loc["kde-0.01", "share_closer"] > 0.10
    assert s.size_ == 0.3


def test_samples_keep_marginals_atoms_and_integers(two_blobs, blob_model):
    S = blob_model.sample(6000, random_state=0)
    assert list(S.columns) == list(two_blobs.columns)
    assert S.dtypes.to_dict() == two_blobs.dtypes.to_dict()
    # the repeated value comes back with its frequency; counts stay observed integers
    assert np.mean(S["stuck"] == 45.0085) == pytest.approx(0.6, abs=0.04)
    assert set(S["count"]) <= set(two_blobs["count"])
    assert np.all(S["stuck"] == S["stuck"].round(4))
    ev = evaluate(two_blobs, S, detection=False, privacy=False)
    assert ev.column_similarity > 0.95
    assert ev.correlation_similarity > 0.97
    # same seed, same rows; another seed, other rows
    pd.testing.assert_frame_equal(blob_model.sample(50, random_state=3),
                                  blob_model.sample(50, random_state=3))
    assert not blob_model.sample(50, random_state=4).equals(blob_model.sample(50, random_state=3))


def test_sampling_given_values(two_blobs):
    s = Synthesizer("gmm", n_components=[1, 2, 3], random_state=0).fit(two_blobs)
    S = s.sample(500, random_state=0, given={"u": 6.0})
    assert (S["u"] == 6.0).all() and list(S.columns) == list(two_blobs.columns)
    # the conditional puts v in the second blob (mean -3), far from the first (mean 0)
    assert -3.8 < S["v"].mean() < -2.0
    with pytest.raises(ParameterError, match="unknown column"):
        s.sample(5, given={"zz": 1.0})


@pytest.mark.parametrize("bandwidths", [[-1.0], [0], [0.3, float("nan")], ["0.3"]])
def test_bandwidths_that_are_no_positive_number_are_refused_before_the_search(
        two_blobs, bandwidths):
    """-1 would act as 1 (h squared) and 0 as copies of the rows."""
    with pytest.raises(ParameterError, match="each of bandwidths must be a finite number > 0"):
        Synthesizer("kde", bandwidths=bandwidths, random_state=0).fit(two_blobs)


def test_kde_candidates_keep_correlations_and_a_smooth_tail(two_blobs):
    model = Synthesizer("kde", n_components=[1, 2, 3], bandwidths=[0.6],
                        random_state=0).fit(two_blobs)
    cands = model.results_
    # the mixtures are searched for the tail but only a KDE can be chosen
    assert cands[cands["selected"]].iloc[0]["family"] == "kde"
    gmm = cands[cands["family"] == "gmm"]
    density = model.density_
    kde, tail = density.densities_
    best = gmm.loc[gmm["heldout_loglik_median"].idxmax(), "n_components"]
    assert tail.n_components == int(best)
    np.testing.assert_allclose(density.weights_, [0.95, 0.05])
    # a wide kernel shaped like the scores keeps the correlation (a round one would dilute
    # it by 1 / (1 + 0.6**2)), and draws shrunk back keep each column's spread
    rng = np.random.default_rng(3)
    normal = pd.DataFrame(rng.multivariate_normal([0, 0], [[1, 0.8], [0.8, 1]], 600),
                          columns=["a", "b"])
    wide = Synthesizer("kde", n_components=[1], bandwidths=[0.6], random_state=0).fit(normal)
    S = wide.sample(20000, random_state=0)
    train = wide.split_rows()[0]
    assert S.corr().iloc[0, 1] == pytest.approx(train.corr().iloc[0, 1], abs=0.02)
    np.testing.assert_allclose(S.std(), train.std(), rtol=0.03)
    # the kernel's covariance is h**2 times the covariance of the scores it holds
    kernel = wide.density_.densities_[0]
    np.testing.assert_allclose(kernel.bandwidth_,
                               0.36 * np.cov(kernel._X.T, bias=True) + 1e-6 * np.eye(2))
    # a row far from every fitted row scores at least 5% of the mixture's density
    far = pd.DataFrame({"u": [3.0], "v": [-9.0], "stuck": [45.0085], "count": [3]})
    z = columns.encode_table(model.space_, far[model.columns_])  # the row's normal scores
    both = density.score_samples(z)[0]
    assert both >= np.log(0.05) + tail.score_samples(z)[0] - 1e-9
    assert both >= np.log(0.95) + kde.score_samples(z)[0] - 1e-9


def test_the_chosen_family_is_the_one_asked_for(two_blobs, monkeypatch):
    from densitykit import synth

    make = synth.make_score_density

    def no_kde(family, *args):
        if family == "kde":
            raise FitError("kde refused")
        return make(family, *args)

    monkeypatch.setattr(synth, "make_score_density", no_kde)
    # the mixtures still fit (they are the KDE's tail) but are not a KDE: a clear error
    with pytest.raises(FitError, match="No kde candidate could be fitted"):
        Synthesizer("kde", n_components=[1, 2], bandwidths=[0.3]).fit(two_blobs)
    assert Synthesizer(n_components=[1, 2], bandwidths=[0.3]).fit(two_blobs).family_ == "gmm"



def test_no_family_fits_is_a_clear_error(two_blobs, monkeypatch):
    from densitykit import synth

    def refuse(family, *args):
        raise FitError(f"{family} refused")

    monkeypatch.setattr(synth, "make_score_density", refuse)
    with pytest.raises(FitError, match="No gmm or kde candidate could be fitted"):
        Synthesizer(n_components=[1, 2], bandwidths=[0.3]).fit(two_blobs)

@pytest.mark.parametrize("model", ["kde", "auto"])
def test_one_column_table(model):
    df = pd.DataFrame({"x": np.random.default_rng(0).gamma(2.0, size=300)})
    chosen = Synthesizer(model, n_components=[1, 2], bandwidths=[0.3],
                         random_state=0).fit(df)
    S = chosen.sample(2000, random_state=1)
    train = chosen.split_rows()[0]
    assert list(S.columns) == ["x"] and (S["x"] >= train["x"].min()).all()
    assert np.isfinite(chosen.score_samples(df)).all()


def test_given_needs_a_mixture(two_blobs):
    kde = Synthesizer("kde", bandwidths=[0.3], random_state=0).fit(two_blobs)
    with pytest.raises(DataError, match="Gaussian mixture"):
        kde.sample(5, given={"u": 1.0})
    assert kde.marginal_pdf("u", np.linspace(-3, 9, 50)) is None
    assert kde.component_outlines("u", "v") is None


def test_marginal_density_integrates_to_one(two_blobs):
    s = Synthesizer("gmm", n_components=[1, 2, 3], random_state=0).fit(two_blobs)
    grid = np.linspace(-8, 14, 200001)  # fine: the map is piecewise linear
    pdf = s.marginal_pdf("u", grid)
    assert np.trapezoid(pdf, grid) == pytest.approx(1.0, abs=0.02)
    assert s.marginal_pdf("count", np.linspace(0, 9, 10)) is None  # discrete: no density
    outlines = s.component_outlines("u", "v")
    assert len(outlines) == int(s.size_)
    assert sum(w for _, w in outlines) == pytest.approx(1.0)
    assert all(xy.shape == (65, 2) for xy, _ in outlines)


def test_model_file_round_trip_holds_no_rows(blob_model, two_blobs, tmp_path):
    path = tmp_path / "m.dkm"
    save(blob_model, path)
    again = load(path)
    assert isinstance(again, Synthesizer)
    pd.testing.assert_frame_equal(again.sample(100, random_state=7),
                                  blob_model.sample(100, random_state=7))
    np.testing.assert_allclose(again.score_samples(two_blobs), blob_model.score_samples(two_blobs))
    assert again.describe() == blob_model.describe()
    # no table rows in the file: judging needs the table again, and the right one
    with pytest.raises(DataError, match="holds no rows"):
        again.evaluate()
    ev = again.evaluate(two_blobs, random_state=0)
    assert ev.reference == "holdout" and ev.n_reference == blob_model.n_test_
    ref = blob_model.evaluate(random_state=0)
    assert ev.detection_auc == ref.detection_auc
    with pytest.raises(DataError, match="not the one the model was fitted on"):
        again.evaluate(two_blobs.iloc[:-1])


def test_evaluation_is_on_test_rows_with_named_units(blob_model):
    ev = blob_model.evaluate(random_state=0)
    assert ev.reference == "holdout" and ev.n_reference == blob_model.n_test_
    assert ev.loglik_units == "nats per row of the normal scores"
    # the baseline is one Gaussian of the same scores, so the gain is finite and positive
    assert np.isfinite(ev.baseline_loglik) and ev.heldout_loglik > ev.baseline_loglik
    texts = " ".join(v.text for v in ev.verdicts())
    assert "normal scores" in texts and "inf" not in texts.replace("info", "")


def test_efficacy_with_a_target(two_blobs):
    s = Synthesizer("gmm", n_components=[1, 2, 3], target="v", random_state=0).fit(two_blobs)
    ev = s.evaluate(random_state=0)
    e = ev.efficacy
    assert e["metric"] == "R²" and e["n_test"] == s.n_test_
    # v is mostly explained by the blob u sits in: both models predict it well
    assert e["real"] > 0.8 and e["synthetic"] > 0.6
    assert any(v.metric.startswith("Efficacy (v)") for v in ev.verdicts())
    with pytest.raises(ParameterError, match="target 'nope' is not a column"):
        Synthesizer(target="nope").fit(two_blobs)


def test_bad_arguments(two_blobs):
    with pytest.raises(DataError, match="Unknown model 'vae'"):
        Synthesizer("vae").fit(two_blobs)
    with pytest.raises(DataError, match="at least 10 rows"):
        Synthesizer().fit(two_blobs.iloc[:9])
    with pytest.raises(DataError, match="Unknown criterion 'aic'"):
        Synthesizer(criterion="aic").fit(two_blobs)
    with pytest.raises(DataError, match="test_size"):
        Synthesizer(test_size=0.9).fit(two_blobs)
    with pytest.raises(DataError, match="2-D table"):
        Synthesizer().fit(np.zeros(30))



def test_arrays_are_checked_like_every_estimator_input():
    """An array is a table of numbers x0, x1, ...: NaN is an empty cell, integers stay
    integers; infinities, text and a wrong number of columns are refused with
    scikit-learn's messages (text tables go in as frames)."""
    rng = np.random.default_rng(3)
    counts = rng.poisson(4, (60, 2))
    assert Synthesizer("gmm", n_components=[1]).fit(counts).sample(5)["x1"].dtype.kind == "i"
    X = np.column_stack([rng.normal(size=60), counts[:, 0]]).astype(object)
    X[5, 0] = np.nan
    s = Synthesizer("gmm", n_components=[1, 2], random_state=0).fit(X)
    assert s.columns_ == ["x0", "x1"] and s.n_features_in_ == 2
    assert set(s.sample(50, random_state=0)["x1"]) <= set(counts[:, 0])
    assert np.isfinite(s.score_samples(X[:5].astype(float))).all()
    with pytest.raises(ValueError, match="X has 1 features, but Synthesizer is expecting 2"):
        s.score_samples(X[:5, :1].astype(float))
    bad = X.astype(float)
    bad[0, 0] = np.inf
    with pytest.raises(DataError, match="infinity"):
        Synthesizer().fit(bad)
    with pytest.raises(DataError, match="DataFrame"):
        Synthesizer().fit(np.array([["a", "1"]] * 30))
    with pytest.raises(DataError, match="no observed value"):
        Synthesizer().fit(np.column_stack([X[:, 0], np.full(60, np.nan)]))


def test_model_files_from_before_the_synthesizer_still_work(tmp_path):
    """A 'densitykit synth' file of the previous format: a TableModel with its settings in
    the metadata. It loads as a Synthesizer that draws exactly the rows it drew then."""
    model = load(FIXTURES / "synth_gmm_before_synthesizer.dkm")
    assert isinstance(model, Synthesizer)
    expected = pd.read_csv(FIXTURES / "synth_gmm_before_synthesizer_seed3.csv")
    got = model.sample(50, random_state=3)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-12)
    # its split is rebuilt from the seed, so it can still be judged on its held-out rows
    table = pd.read_csv(FIXTURES / "synth_gmm_before_synthesizer_table.csv")
    train, test = model.split_rows(table)
    assert len(train) == model.n_train_ == 240 and len(test) == 60
    assert np.isfinite(model.evaluate(table).detection_auc)


def test_model_files_from_before_the_shaped_kde_still_sample():
    """A synth KDE file written when SynthModel stored the variance correction itself."""
    model = load(FIXTURES / "synth_kde_before_preserve_covariance.dkm")
    assert model.describe().startswith("Gaussian KDE, bandwidth 0.3 x the scores' covariance")
    # the rows it was fitted on (choose_model(df, model='kde', bandwidths=[0.3]))
    rng = np.random.default_rng(0)
    rng.normal(size=(200, 2))
    df = pd.DataFrame(rng.multivariate_normal([0, 0], [[1, 0.8], [0.8, 1]], 300),
                      columns=["a", "b"])
    S = model.sample(20000, random_state=0)
    # the stored correction still applies: spreads match (the kernel alone adds 4.4%)
    np.testing.assert_allclose(S.std(), df.std(), rtol=0.02)


# ------------------------------------------------------------------------------- CLI
def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def dow_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dow")
    src = folder / "dow.csv.gz"
    src.write_bytes(DOW.read_bytes())
    before = _digest(src)
    code = main(["synth", str(src), "--exclude", "-5:", "--check-all", "--seed", "0",
                 "--model", "gmm", "--components", "4,8", "--quiet",
                 "-o", str(folder / "dow-synthetic.csv")])
    return folder, src, before, code


@pytest.mark.slow
def test_synth_end_to_end_on_dow(dow_run):
    folder, src, before, code = dow_run
    assert code == 0
    assert _digest(src) == before  # the input is never written
    rows = pd.read_csv(folder / "dow-synthetic.csv")
    # every row and column is used: the date, and the rows with empty or text cells
    assert rows.shape == (5959, 41) and rows.columns[0] == "Date"
    assert (folder / "dow-synthetic.dkm").exists()
    page = (folder / "dow-synthetic.html").read_text(encoding="utf-8")
    for sid in ("summary", "cleaning", "model", "metrics", "columns", "correlations", "pairs",
                "privacy"):
        assert f'<section id="{sid}">' in page
    assert "5959 kept" in page
    assert "Measured on 1,192 test rows that took no part in fitting or choosing" in page
    # values are written with the input's digits (the file has six significant digits)
    text = (folder / "dow-synthetic.csv").read_text().splitlines()[1]
    assert max(len(v.replace(".", "").replace("-", "").lstrip("0")) for v in
               text.split(",")[1:]) <= 6
    assert text.split(",")[0].endswith(":00:00")  # the dates keep their hourly grid
    # judged against the real rows: faithful marginals, empty cells at their rate, no copies
    real = pd.read_csv(DOW).iloc[:, :-5]
    for c in real.columns[1:]:
        real[c] = pd.to_numeric(real[c], errors="coerce")
    real["Date"] = pd.to_datetime(real["Date"])
    rows["Date"] = pd.to_datetime(rows["Date"])
    ev = evaluate(real, rows, detection=False)
    assert ev.column_similarity > 0.93
    assert ev.privacy.n_copies == 0
    assert ev.empty_share_difference <= 2.0


@pytest.mark.slow
def test_synth_refuses_to_overwrite_and_report_command(dow_run, capsys):
    folder, src, _, _ = dow_run
    before = _digest(folder / "dow-synthetic.csv")
    code = main(["synth", str(src), "--exclude", "-5:", "--seed", "1", "--components", "2",
                 "-o", str(folder / "dow-synthetic.csv")])
    assert code == 2
    assert "exists; use --force" in capsys.readouterr().err
    assert _digest(folder / "dow-synthetic.csv") == before
    out = folder / "again.html"
    code = main(["report", str(src), str(folder / "dow-synthetic.csv"), "--model",
                 str(folder / "dow-synthetic.dkm"), "-o", str(out), "--quiet"])
    assert code == 0
    page = out.read_text(encoding="utf-8")
    assert "1,192 test rows" in page  # the model's own test rows, found again
    assert "Gaussian mixture" in page
    # the same rows get the same verdicts from synth's report and from 'report'
    first = (folder / "dow-synthetic.html").read_text(encoding="utf-8")
    def metrics(p: str) -> str:
        return p[p.index('<section id="metrics">'):p.index('<section id="columns">')]

    assert metrics(page) == metrics(first)
    # a model file that is not a synthesizer: one line, nothing written
    gm = folder / "gm.dkm"
    assert main(["fit", str(src), "--exclude", "-5:", "-o", str(gm), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["report", str(src), str(folder / "dow-synthetic.csv"), "--model", str(gm),
                 "-o", str(folder / "no.html")]) == 1
    assert "not a synthetic-data model" in capsys.readouterr().err
    assert not (folder / "no.html").exists()


@pytest.mark.slow
def test_info_summarises_the_synth_choice(dow_run, capsys):
    folder, _, _, _ = dow_run
    capsys.readouterr()
    assert main(["info", str(folder / "dow-synthetic.dkm")]) == 0
    out = capsys.readouterr().out
    assert ("synthetic-data model: Gaussian mixture, 8 full-covariance components, on "
            "per-column normal scores, fitted on 4,767 rows") in out
    assert "1,192 set aside as test rows" in out
    table = out[out.index("candidates:"):].splitlines()
    assert table[1].split() == ["candidate", "heldout_loglik", "detection_auc", "share_closer",
                                "selected"]
    assert [line.split()[0] for line in table[2:4]] == ["gmm-4", "gmm-8"]
    assert table[3].split()[-1] == "True"


def test_synth_usage_errors(tmp_path, capsys):
    assert main(["synth", str(tmp_path / "missing.csv")]) == 1
    assert "does not exist" in capsys.readouterr().err
    table = tmp_path / "t.csv"
    pd.DataFrame({"a": np.arange(30.0), "b": np.arange(30.0) ** 0.5}).to_csv(table, index=False)
    assert main(["synth", str(table), "--model", "kde", "--given", "a=1"]) == 2
    assert "--given needs a Gaussian mixture" in capsys.readouterr().err
    out = str(tmp_path / "t-synthetic.csv")
    assert main(["synth", str(table), "--given", "zz=1", "--no-report", "-o", out]) == 1
    assert "unknown column(s) ['zz']" in capsys.readouterr().err
    assert not (tmp_path / "t-synthetic.csv").exists()
    assert main(["synth", str(table), "--target", "zz", "-o", out]) == 1
    assert "target 'zz' is not a column" in capsys.readouterr().err
    assert main(["synth", str(table), "-o", str(tmp_path / "nowhere" / "x.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [table]
    assert main(["synth", str(table), "-n", "0"]) == 2
    assert main(["report", str(table)]) == 2


def test_synth_on_digits_as_a_subprocess(tmp_path):
    from sklearn.datasets import load_digits

    X = load_digits().data
    table = tmp_path / "digits.csv"
    pd.DataFrame(X, columns=[f"p{j}" for j in range(64)]).to_csv(table, index=False)
    cmd = [sys.executable, "-m", "densitykit", "synth", str(table), "--seed", "0",
           "--components", "2,4", "--model", "gmm", "-n", "500", "--no-report"]
    # no -o: the outputs go to the current folder, never beside the input
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False,
                         cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    rows = pd.read_csv(tmp_path / "digits-synthetic.csv")
    assert rows.shape == (500, 64)
    # pixels are integers 0..16 and the always-blank pixels stay blank
    values = rows.to_numpy()
    assert np.all(values == np.round(values)) and values.min() >= 0 and values.max() <= 16
    blank = X.max(axis=0) == 0
    assert np.all(values[:, blank] == 0)
    assert not (tmp_path / "digits-synthetic.html").exists()


@pytest.mark.slow
def test_sample_command_draws_like_python(dow_run, capsys):
    """'densitykit sample' on a synth model file gives, byte for byte, the CSV that
    Synthesizer.sample with the same seed gives, and repeated values stay the table's."""
    folder, _, _, _ = dow_run
    model_file = folder / "dow-synthetic.dkm"
    out = folder / "more.csv"
    assert main(["sample", str(model_file), "-n", "500", "--seed", "3", "-o", str(out),
                 "--quiet"]) == 0
    rows = pd.read_csv(out)
    mine = folder / "mine.csv"
    load(model_file).sample(500, random_state=3).to_csv(mine, index=False)
    assert mine.read_bytes() == out.read_bytes()
    real = pd.read_csv(folder / "dow-synthetic.csv")
    rows = rows.drop(columns="Date")
    # x37 holds one value in most rows; drawn rows repeat it exactly
    x37 = next(c for c in real.columns if c.startswith("x37"))
    top = real[x37].round(6).mode()[0]
    assert (rows[x37].round(6) == top).mean() > 0.3


def test_without_matplotlib_synth_stops_before_fitting(tmp_path, capsys, monkeypatch,
                                                        hide_module):
    """A base install (no 'plot' extra): one line naming the fix, before any work."""
    from densitykit import synth

    def never(*args, **kwargs):  # the fit must not even start
        raise AssertionError("fitted without matplotlib")

    hide_module("matplotlib")
    monkeypatch.setattr(synth.Synthesizer, "fit", never)
    table = tmp_path / "t.csv"
    pd.DataFrame({"a": np.arange(40.0), "b": np.arange(40.0) ** 0.5}).to_csv(table, index=False)
    assert main(["synth", str(table), "-o", str(tmp_path / "out.csv")]) == 1
    err = capsys.readouterr().err
    assert "pip install 'densitykit[plot]'" in err and "--no-report" in err
    assert len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


@pytest.mark.parametrize("seed", [1, 7])
def test_a_column_with_one_filled_cell_is_fitted_whatever_the_split(seed):
    """One lab check in 100 rows: the split keeps it among the training rows (it fell in
    the test rows for seeds 1 and 7), the folds of the search may lack it, and the drawn
    rows hold that value or nothing."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"temp": rng.normal(70, 2, 100).round(2),
                       "press": rng.normal(1200, 30, 100).round(1), "lab": np.nan})
    df.loc[40, "lab"] = 7.25
    s = Synthesizer("gmm", n_components=[1, 2], random_state=seed).fit(df)
    train, _ = s.split_rows()
    assert train["lab"].notna().sum() == 1
    drawn = s.sample(2000, random_state=0)["lab"]
    assert set(drawn.dropna()) == {7.25} and drawn.isna().mean() > 0.9
