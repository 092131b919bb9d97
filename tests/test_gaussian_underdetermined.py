"""Too few rows for the covariance asked for: a warning naming the fixes, and a refusal (before
any memory is used) for tables far too wide for a full covariance, in the library and the
command line."""

from __future__ import annotations

import re
import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest

import densitykit.gaussian._base as base
from densitykit import GaussianMixture, LatentDensity, Normal, TableModel
from densitykit.cli import main
from densitykit.exceptions import DataError, FitError, UnderdeterminedWarning

RNG = np.random.default_rng(0)


def _rows(n: int, d: int) -> np.ndarray:
    return RNG.normal(size=(n, d))


@pytest.mark.parametrize(("est", "n", "d", "pattern"), [
    (Normal(), 15, 20, r"Normal\(covariance_type='full'\) is under-determined: a full "
     r"covariance needs more rows than columns \(20\) for each component, at least 21 rows "
     r"here, and X has 15 rows x 20 columns.*covariance_type='diag' or 'spherical', or fewer "
     r"dimensions \(LatentDensity"),
    (Normal(), 20, 20, r"at least 21 rows here, and X has 20 rows"),
    (GaussianMixture(3, random_state=0), 40, 15, r"GaussianMixture\(n_components=3, "
     r"covariance_type='full'\) is under-determined.*at least 48 rows.*fewer components "
     r"\(at most 2\)"),
    (GaussianMixture(3, covariance_type="tied", random_state=0), 12, 10,
     r"a tied covariance needs more rows than columns \(10\) plus components \(3\), at least "
     r"13 rows"),
    (GaussianMixture(5, covariance_type="diag", random_state=0), 8, 2,
     r"a diagonal covariance needs at least 2 rows per component, at least 10 rows.*Use fewer "
     r"components \(at most 4\)"),
    (GaussianMixture(4, covariance_type="spherical", random_state=0), 6, 2,
     r"a spherical covariance needs at least 2 rows per component"),
], ids=["normal-n<d", "normal-n=d", "full", "tied", "diag", "spherical"])
def test_too_few_rows_warn(est, n, d, pattern):
    with pytest.warns(UnderdeterminedWarning, match=pattern):
        est.fit(_rows(n, d))


@pytest.mark.parametrize(("est", "n", "d"), [
    (Normal(), 21, 20), (GaussianMixture(3, random_state=0), 48, 15),
    (Normal("diag"), 5, 20), (GaussianMixture(3, covariance_type="diag", random_state=0), 6, 40),
    (GaussianMixture(3, covariance_type="tied", random_state=0), 13, 10),
], ids=["normal", "full", "normal-diag", "diag", "tied"])
def test_enough_rows_are_quiet(est, n, d):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnderdeterminedWarning)
        est.fit(_rows(n, d))


def test_zero_weight_rows_do_not_count():
    X = _rows(30, 10)
    w = np.r_[np.ones(5), np.zeros(25)]
    with pytest.warns(UnderdeterminedWarning, match="X has 5 rows x 10 columns"):
        Normal().fit(X, sample_weight=w)


def test_fewer_than_two_weighted_rows_is_an_error():
    X = _rows(10, 2)
    w = np.r_[1.0, np.zeros(9)]
    with pytest.raises(DataError, match=r"needs at least 2 rows with a positive weight.*got 1"):
        Normal().fit(X, sample_weight=w)
    with pytest.raises(DataError, match="Need at least 2 samples"):
        GaussianMixture().fit(X[:1])


@pytest.mark.parametrize("ctype", ["full", "tied"])
def test_wide_table_refused_before_memory_grows(ctype):
    X = _rows(50, 2000)
    tracemalloc.start()
    try:
        with pytest.raises(FitError, match=r"cannot be fitted to 50 rows x 2,000 columns: its "
                           r"covariance has 2,001,000 parameters, 20 times the 100,000 values"
                           r".*covariance_type='diag' or 'spherical'.*LatentDensity.*fewer "
                           r"columns"):
            GaussianMixture(covariance_type=ctype).fit(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20  # the fit would need the better part of a gigabyte


def test_wide_table_fits_with_the_fixes():
    X = _rows(50, 2000)
    for est in (GaussianMixture(covariance_type="diag"), Normal("spherical"),
                LatentDensity(n_components=5)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnderdeterminedWarning)
            assert np.all(np.isfinite(est.fit(X).score_samples(X[:3])))


def test_working_memory_cap(monkeypatch):
    monkeypatch.setattr(base, "MAX_WORK_BYTES", 1 << 20)
    X = _rows(500, 40)  # determined, but its blocks need more than the cap
    with pytest.raises(FitError, match=r"needs about .* GiB of working memory"):
        GaussianMixture().fit(X)
    GaussianMixture(covariance_type="diag").fit(X)  # diagonal covariances are cheap


def test_table_model_passes_the_warning_through():
    frame = pd.DataFrame(_rows(10, 12), columns=[f"c{j}" for j in range(12)])
    with pytest.warns(UnderdeterminedWarning, match="X has 10 rows x 12 columns"):
        TableModel().fit(frame)
    with pytest.raises(FitError, match="cannot be fitted to"):
        TableModel(GaussianMixture()).fit(pd.DataFrame(_rows(20, 500)))


def test_latent_density_passes_the_warning_through():
    with pytest.warns(UnderdeterminedWarning, match=r"GaussianMixture\(n_components=2, "
                      r"covariance_type='full'\).*X has 8 rows x 6 columns"):
        LatentDensity(density=GaussianMixture(2, random_state=0), n_components=6).fit(
            _rows(8, 20))


# --- the command line -------------------------------------------------------------------
@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    path = tmp_path_factory.mktemp("wide") / "wide.csv"
    pd.DataFrame(_rows(50, 2000), columns=[f"c{j}" for j in range(2000)]).to_csv(path,
                                                                                 index=False)
    return path


@pytest.mark.parametrize(("argv", "pattern"), [
    (["fit"], r"densitykit fit: error: 50 rows x 2,000 columns is too wide for 1 component "
     r"with a full covariance: .*--covariance-type diag or spherical, --model latent"),
    (["fit", "--model", "normal"], r"too wide for a normal with a full covariance"),
    (["select", "--no-plot"], r"densitykit select: error: 50 rows x 2,000 columns is too "
     "wide"),
    (["synth", "--no-report"], r"densitykit synth: error: The table is too wide for a "
     r"synthesizer: .*2,000 columns, fitted on 32 rows.*Select fewer columns"),
], ids=["fit", "fit-normal", "select", "synth"])
def test_cli_refuses_a_wide_table(wide, tmp_path, monkeypatch, capsys, argv, pattern):
    monkeypatch.chdir(tmp_path)
    assert main([argv[0], str(wide), *argv[1:], "-q"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert re.search(pattern, err[0]), err
    assert list(tmp_path.iterdir()) == []  # nothing written
