"""Synthetic tables: the automatic model choice, sampling, and the synth/report commands."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from densitykit.cli import main
from densitykit.evaluate import evaluate
from densitykit.exceptions import DataError
from densitykit.persist import load
from densitykit.synth import SynthModel, choose_model, empirical_quantile, step_quantile

DOW = Path(__file__).resolve().parents[1] / "src/densitykit/datasets/data"
DOW = DOW / "dow_impurity_validation.csv.gz"


@pytest.fixture(scope="module")
def two_blobs():
    rng = np.random.default_rng(0)
    a = rng.multivariate_normal([0, 0], [[1, 0.8], [0.8, 1]], size=300)
    b = rng.multivariate_normal([6, -3], [[1, -0.5], [-0.5, 1]], size=300)
    X = np.vstack([a, b])
    # a column with a heavy repeated value (a valve at its set point) and an integer column
    stuck = np.where(rng.random(600) < 0.6, 45.0085, rng.normal(44, 1, 600))
    counts = rng.poisson(3, 600).astype(float)
    return pd.DataFrame({"u": X[:, 0], "v": X[:, 1], "stuck": stuck, "count": counts})


@pytest.fixture(scope="module")
def blob_model(two_blobs):
    return choose_model(two_blobs, n_components=[1, 2, 3, 4], bandwidths=[0.3], random_state=0)


def test_quantile_functions():
    s = np.array([1.0, 2.0, 2.0, 2.0, 5.0])
    np.testing.assert_allclose(empirical_quantile(s, np.array([0.0, 0.25, 0.5, 1.0])),
                               [1.0, 2.0, 2.0, 5.0])
    # the linear quantile function is np.quantile's default
    rng = np.random.default_rng(1)
    x = np.sort(rng.normal(size=101))
    u = rng.random(50)
    np.testing.assert_allclose(empirical_quantile(x, u), np.quantile(x, u))
    # the step version only returns observed values, each with its frequency
    draws = step_quantile(s, rng.random(20000))
    assert set(draws) <= set(s)
    assert np.mean(draws == 2.0) == pytest.approx(0.6, abs=0.02)


def test_choice_by_detection_takes_the_least_detectable_non_copier(blob_model):
    cands = blob_model.candidates_
    assert set(cands["family"]) == {"gmm", "kde"}
    assert cands["chosen"].sum() == 1
    fair = cands[cands["share_closer"] <= 0.10]
    row = cands[cands["chosen"]].iloc[0]
    assert row["detection_auc"] == fair["detection_auc"].min()
    assert blob_model.family_ == row["family"]
    assert blob_model.n_rows_ == 600  # refitted on every row given
    # within a family the search stops at the first size that does not improve
    gmm = cands[cands["family"] == "gmm"]["heldout_loglik"].to_numpy()
    assert np.all(np.diff(gmm)[:-1] > 0)


def test_choice_by_loglik(two_blobs):
    model = choose_model(two_blobs, criterion="loglik", n_components=[1, 2, 3],
                         bandwidths=[0.3], random_state=0)
    cands = model.candidates_
    assert cands[cands["chosen"]].iloc[0]["heldout_loglik"] == cands["heldout_loglik"].max()
    assert cands["detection_auc"].isna().all()


def test_a_copying_candidate_is_never_chosen(two_blobs):
    model = choose_model(two_blobs, model="kde", bandwidths=[0.01, 0.3], random_state=0)
    cands = model.candidates_.set_index("bandwidth")
    # the tiny bandwidth all but replays the fitted rows: its draws sit on them
    assert cands.loc[0.01, "share_closer"] > 0.5
    assert model.size_ == 0.3


def test_samples_keep_marginals_atoms_and_integers(two_blobs, blob_model):
    S = blob_model.sample(6000, random_state=0)
    assert list(S.columns) == list(two_blobs.columns)
    # the repeated value comes back with its frequency; counts stay observed integers
    assert np.mean(S["stuck"] == 45.0085) == pytest.approx(0.6, abs=0.04)
    assert set(S["count"]) <= set(two_blobs["count"])
    ev = evaluate(two_blobs, S, detection=False, privacy=False)
    assert ev.column_similarity > 0.95
    assert ev.correlation_similarity > 0.97
    # same seed, same rows; another seed, other rows
    pd.testing.assert_frame_equal(blob_model.sample(50, random_state=3),
                                  blob_model.sample(50, random_state=3))
    assert not blob_model.sample(50, random_state=4).equals(blob_model.sample(50, random_state=3))


def test_sampling_given_values(blob_model):
    S = blob_model.sample(500, random_state=0, given={"u": 6.0})
    assert (S["u"] == 6.0).all()
    # the conditional puts v in the second blob (mean -3), far from the first (mean 0)
    assert -3.8 < S["v"].mean() < -2.0


def test_kde_candidates_keep_correlations_and_a_smooth_tail(two_blobs):
    model = choose_model(two_blobs, model="kde", n_components=[1, 2, 3], bandwidths=[0.6],
                         random_state=0)
    cands = model.candidates_
    # the mixtures are searched for the tail but only a KDE can be chosen
    assert cands[cands["chosen"]].iloc[0]["family"] == "kde"
    gmm = cands[cands["family"] == "gmm"]
    density = model.table_model_.density_
    kde, tail = density.densities_
    assert tail.n_components == int(gmm.loc[gmm["heldout_loglik"].idxmax(), "n_components"])
    np.testing.assert_allclose(density.weights_, [0.95, 0.05])
    # a wide kernel shaped like the scores keeps the correlation (a round one would dilute
    # it by 1 / (1 + 0.6**2)), and draws shrunk back keep each column's spread
    rng = np.random.default_rng(3)
    normal = pd.DataFrame(rng.multivariate_normal([0, 0], [[1, 0.8], [0.8, 1]], 600),
                          columns=["a", "b"])
    wide = choose_model(normal, model="kde", n_components=[1], bandwidths=[0.6],
                        random_state=0)
    S = wide.sample(20000, random_state=0)
    assert S.corr().iloc[0, 1] == pytest.approx(normal.corr().iloc[0, 1], abs=0.02)
    np.testing.assert_allclose(S.std(), normal.std(), rtol=0.03)
    # the kernel's covariance is h**2 times the covariance of the scores it holds
    kernel = wide.table_model_.density_.densities_[0]
    np.testing.assert_allclose(kernel.bandwidth_,
                               0.36 * np.cov(kernel._X.T, bias=True) + 1e-6 * np.eye(2))
    # a row far from every fitted row scores near the mixture, not at the KDE's ~nothing
    far = pd.DataFrame({"u": [3.0], "v": [-9.0], "stuck": [45.0085], "count": [3.0]})
    z = model.table_model_.transform_rows(far)
    assert density.score_samples(z)[0] > np.log(0.05) + tail.score_samples(z)[0] - 1e-9
    assert density.score_samples(z)[0] > kde.score_samples(z)[0] + 5


def test_the_chosen_family_is_the_one_asked_for(two_blobs, monkeypatch):
    from densitykit import synth
    from densitykit.exceptions import FitError

    make = synth._make_density

    def no_kde(family, *args):
        if family == "kde":
            raise FitError("kde refused")
        return make(family, *args)

    monkeypatch.setattr(synth, "_make_density", no_kde)
    # the mixtures still fit (they are the KDE's tail) but are not a KDE: a clear error
    with pytest.raises(FitError, match="No kde candidate could be fitted"):
        choose_model(two_blobs, model="kde", n_components=[1, 2], bandwidths=[0.3])
    assert choose_model(two_blobs, n_components=[1, 2], bandwidths=[0.3]).family_ == "gmm"


@pytest.mark.parametrize("model", ["kde", "auto"])
def test_one_column_table(model):
    df = pd.DataFrame({"x": np.random.default_rng(0).gamma(2.0, size=300)})
    chosen = choose_model(df, model=model, n_components=[1, 2], bandwidths=[0.3],
                          random_state=0)
    S = chosen.sample(2000, random_state=1)
    assert list(S.columns) == ["x"] and (S["x"] >= df["x"].min()).all()
    assert np.isfinite(chosen.score_samples(df)).all()


def test_given_needs_a_mixture(two_blobs):
    kde = choose_model(two_blobs, model="kde", bandwidths=[0.3], random_state=0)
    with pytest.raises(DataError, match="Gaussian mixture"):
        kde.sample(5, given={"u": 1.0})
    assert kde.marginal_pdf("u", np.linspace(-3, 9, 50)).shape == (50,)
    assert kde.component_outlines("u", "v") is None


def test_marginal_density_integrates_to_one(blob_model, two_blobs):
    grid = np.linspace(-8, 14, 200001)  # fine: the quantile map is piecewise linear
    pdf = blob_model.marginal_pdf("u", grid)
    assert np.trapezoid(pdf, grid) == pytest.approx(1.0, abs=0.02)
    outlines = blob_model.component_outlines("u", "v")
    assert len(outlines) == int(blob_model.size_)
    assert sum(w for _, w in outlines) == pytest.approx(1.0)
    assert all(xy.shape == (65, 2) for xy, _ in outlines)


def test_metadata_round_trip_through_a_model_file(blob_model, tmp_path):
    from densitykit.persist import load, save

    path = tmp_path / "m.dkm"
    save(blob_model.table_model_, path, metadata={"synth": blob_model.to_metadata()})
    tm, meta = load(path, return_metadata=True)
    again = SynthModel.from_metadata(tm, meta["synth"])
    pd.testing.assert_frame_equal(again.sample(100, random_state=7),
                                  blob_model.sample(100, random_state=7))
    assert again.describe() == blob_model.describe()


def test_bad_arguments(two_blobs):
    with pytest.raises(DataError, match="model must be one of"):
        choose_model(two_blobs, model="vae")
    with pytest.raises(DataError, match="at least 10 rows"):
        choose_model(two_blobs.iloc[:5])
    with pytest.raises(DataError, match="criterion must be one of"):
        choose_model(two_blobs, criterion="aic")
    with pytest.raises(DataError, match="validation"):
        choose_model(two_blobs, validation=0.9)
    bad = two_blobs.copy()
    bad.iloc[0, 0] = np.nan
    with pytest.raises(DataError, match="NaN"):
        choose_model(bad)


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
                 "--model", "gmm", "--components", "4,8", "--quiet"])
    return folder, src, before, code


@pytest.mark.slow
def test_synth_end_to_end_on_dow(dow_run):
    folder, src, before, code = dow_run
    assert code == 0
    assert _digest(src) == before  # the input is never written
    rows = pd.read_csv(folder / "dow-synthetic.csv")
    assert rows.shape == (5668, 40)
    assert (folder / "dow-synthetic.dkm").exists()
    page = (folder / "dow-synthetic.html").read_text(encoding="utf-8")
    for sid in ("cleaning", "model", "metrics", "columns", "correlations", "pairs", "privacy"):
        assert f'<section id="{sid}">' in page
    assert "5668 kept" in page
    # judged against the held-out rows: faithful marginals, no copied rows
    real = pd.read_csv(DOW).drop(columns=["Date"]).iloc[:, :-5]
    real = real.apply(pd.to_numeric, errors="coerce").dropna()
    ev = evaluate(real, rows, detection=False)
    assert ev.column_similarity > 0.93
    assert ev.privacy.n_copies == 0


@pytest.mark.slow
def test_synth_refuses_to_overwrite_and_report_command(dow_run, capsys):
    folder, src, _, _ = dow_run
    before = _digest(folder / "dow-synthetic.csv")
    code = main(["synth", str(src), "--exclude", "-5:", "--seed", "1", "--components", "2"])
    assert code == 2
    assert "exists; use --force" in capsys.readouterr().err
    assert _digest(folder / "dow-synthetic.csv") == before
    out = folder / "again.html"
    code = main(["report", str(src), str(folder / "dow-synthetic.csv"), "--model",
                 str(folder / "dow-synthetic.dkm"), "--exclude", "-5:", "--check-all", "-o",
                 str(out), "--quiet"])
    assert code == 0
    page = out.read_text(encoding="utf-8")
    assert "real rows held out from the fit" in page  # the synth split was rebuilt
    assert "Gaussian mixture" in page


@pytest.mark.slow
def test_info_summarises_the_synth_choice(dow_run, capsys):
    folder, _, _, _ = dow_run
    capsys.readouterr()
    assert main(["info", str(folder / "dow-synthetic.dkm")]) == 0
    out = capsys.readouterr().out
    assert "synthetic-data model: gmm, components 8, fitted on 4534 rows" in out
    table = out[out.index("candidates:"):].splitlines()
    assert table[1].split() == ["candidate", "heldout_loglik", "detection_auc", "share_closer",
                                "chosen"]
    assert [line.split()[0] for line in table[2:4]] == ["gmm-4", "gmm-8"]
    assert table[3].split()[-1] == "True"


def test_synth_usage_errors(tmp_path, capsys):
    assert main(["synth", str(tmp_path / "missing.csv")]) == 1
    assert "does not exist" in capsys.readouterr().err
    table = tmp_path / "t.csv"
    pd.DataFrame({"a": np.arange(30.0), "b": np.arange(30.0) ** 0.5}).to_csv(table, index=False)
    assert main(["synth", str(table), "--model", "kde", "--given", "a=1"]) == 2
    assert "--given needs a Gaussian mixture" in capsys.readouterr().err
    assert main(["synth", str(table), "--given", "zz=1", "--no-report"]) == 1
    assert "unknown column(s) ['zz']" in capsys.readouterr().err
    assert not (tmp_path / "t-synthetic.csv").exists()
    assert main(["synth", str(table), "-n", "0"]) == 2
    assert main(["report", str(table)]) == 2


def test_synth_on_digits_as_a_subprocess(tmp_path):
    from sklearn.datasets import load_digits

    X = load_digits().data
    table = tmp_path / "digits.csv"
    pd.DataFrame(X, columns=[f"p{j}" for j in range(64)]).to_csv(table, index=False)
    cmd = [sys.executable, "-m", "densitykit", "synth", str(table), "--seed", "0",
           "--components", "2,4", "--model", "gmm", "-n", "500", "--no-report"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
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
def test_sample_command_draws_like_synth(dow_run, capsys):
    """'densitykit sample' on a synth model file draws through the same model (exact
    empirical quantiles), so repeated values come back as the values the table holds."""
    folder, _, _, _ = dow_run
    model_file = folder / "dow-synthetic.dkm"
    out = folder / "more.csv"
    assert main(["sample", str(model_file), "-n", "500", "--seed", "3", "-o", str(out),
                 "--quiet"]) == 0
    rows = pd.read_csv(out)
    model, meta = load(model_file, return_metadata=True)
    expected = SynthModel.from_metadata(model, meta["synth"]).sample(500, random_state=3)
    np.testing.assert_allclose(rows.to_numpy(), expected.to_numpy(), rtol=1e-12)
    real = pd.read_csv(folder / "dow-synthetic.csv")
    # x37 holds one value in most rows; drawn rows repeat it exactly
    x37 = next(c for c in real.columns if c.startswith("x37"))
    top = real[x37].round(6).mode()[0]
    assert (rows[x37].round(6) == top).mean() > 0.3


def test_model_files_from_before_the_shaped_kde_still_sample():
    """A synth KDE file written when SynthModel stored the variance correction itself."""
    path = Path(__file__).parent / "data" / "synth_kde_before_preserve_covariance.dkm"
    tm, meta = load(path, return_metadata=True)
    model = SynthModel.from_metadata(tm, meta["synth"])
    assert model.describe().startswith("Gaussian KDE, bandwidth 0.3, on per-column")
    # the rows it was fitted on (choose_model(df, model='kde', bandwidths=[0.3]))
    rng = np.random.default_rng(0)
    rng.normal(size=(200, 2))
    df = pd.DataFrame(rng.multivariate_normal([0, 0], [[1, 0.8], [0.8, 1]], 300),
                      columns=["a", "b"])
    S = model.sample(20000, random_state=0)
    # the stored correction still applies: spreads match (the kernel alone adds 4.4%)
    np.testing.assert_allclose(S.std(), df.std(), rtol=0.02)
