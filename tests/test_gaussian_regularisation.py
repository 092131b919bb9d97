"""Scale-aware regularisation: reg_covar='auto' follows the data's units, a fixed reg_covar
that is large against a column's variance warns."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from densitykit import GaussianMixture, Normal
from densitykit.exceptions import DataError, RegularizationWarning

RNG = np.random.default_rng(0)
# two well separated clusters, columns of different spreads
X = np.vstack([RNG.normal(-3, 1, (150, 3)), RNG.normal(3, 1, (150, 3))]) * [1.0, 2.0, 0.5]
D = X.shape[1]
CTYPES = ["full", "tied", "diag", "spherical"]
SCALES = st.floats(-140, 140).map(lambda e: 10.0**e)


def _mixture(ctype: str, Xs: np.ndarray, reg="auto") -> GaussianMixture:
    return GaussianMixture(2, covariance_type=ctype, reg_covar=reg, random_state=0).fit(Xs)


@pytest.fixture(scope="module")
def reference() -> dict:
    return {ct: _mixture(ct, X) for ct in CTYPES}


@pytest.mark.parametrize("ctype", CTYPES)
@settings(max_examples=20, deadline=None)
@given(c=SCALES)
def test_auto_mixture_follows_the_units(reference, ctype, c):
    ref = reference[ctype]
    model = _mixture(ctype, c * X)
    shift = D * np.log(c)
    np.testing.assert_allclose(model.score_samples(c * X), ref.score_samples(X) - shift,
                               rtol=1e-9, atol=1e-9)
    assert model.score(c * X) == pytest.approx(ref.score(X) - shift, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("ctype", ["full", "diag", "spherical"])
@settings(max_examples=20, deadline=None)
@given(c=SCALES)
def test_auto_normal_follows_the_units(ctype, c):
    ref = Normal(ctype, reg_covar="auto").fit(X)
    model = Normal(ctype, reg_covar="auto").fit(c * X)
    np.testing.assert_allclose(model.score_samples(c * X),
                               ref.score_samples(X) - D * np.log(c), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("c", [1e-300, 1e300])
def test_scales_beyond_double_precision_are_refused(c):
    with pytest.raises(DataError, match=r"double precision.*Rescale the data"):
        _mixture("full", c * X)


def test_fixed_reg_covar_depends_on_the_units():
    """Without 'auto' the identity fails for small units, and the fit says so."""
    c = 1e-4
    ref = _mixture("full", X, reg=1e-6)
    with pytest.warns(RegularizationWarning, match=r"reg_covar=1e-06 is more than 1% of the "
                      r"variance of column\(s\) \[0, 1, 2\].*reg_covar='auto'.*standardise"):
        small = _mixture("full", c * X, reg=1e-6)
    gap = small.score(c * X) - (ref.score(X) - D * np.log(c))
    assert abs(gap) > 0.1


def test_warning_names_only_the_small_columns():
    Xs = X * [1.0, 1e-3, 1.0]
    small = f"{Xs[:, 1].var():.3g}"
    with pytest.warns(RegularizationWarning, match=rf"column\(s\) \[1\] of X \(the smallest "
                      rf"is {small}\)"):
        Normal().fit(Xs)


@pytest.mark.parametrize(("est", "scales"), [
    (Normal(), [1.0]), (GaussianMixture(2, random_state=0), [1.0]),
    (Normal(reg_covar="auto"), [1.0, 1e-4, 1e-100]),
    (GaussianMixture(2, reg_covar="auto", random_state=0), [1.0, 1e-4, 1e-100]),
], ids=["normal", "mixture", "normal-auto", "mixture-auto"])
def test_no_warning_on_data_in_sensible_units(est, scales):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for c in scales:  # 'auto' never warns, whatever the units
            est.fit(c * X)


def test_weighted_variance_decides():
    """The warning follows the weighted variance: rows of zero weight do not count."""
    Xw = np.vstack([X * 1e-3, RNG.normal(0, 100, (10, 3))])
    w = np.r_[np.ones(len(X)), np.zeros(10)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RegularizationWarning)
        Normal().fit(Xw)  # the wide rows make the variance large
    with pytest.warns(RegularizationWarning):
        Normal().fit(Xw, sample_weight=w)


def test_constant_column_with_auto():
    Xc = np.column_stack([X, np.full(len(X), 7.0)])
    with pytest.warns(UserWarning, match="constant"):
        model = GaussianMixture(2, reg_covar="auto", random_state=0).fit(Xc)
    assert np.all(np.isfinite(model.score_samples(Xc)))
    # the constant column's regulariser is 1e-6 times the mean variance of the others
    expected = 1e-6 * X.var(axis=0).mean()
    assert model.covariances_[0, 3, 3] == pytest.approx(expected, rel=1e-6)


def test_auto_on_empty_cells():
    Xn = X.copy()
    Xn[::7, 1] = np.nan
    c = 1e-30
    a = GaussianMixture(2, reg_covar="auto", random_state=0).fit(Xn)
    b = GaussianMixture(2, reg_covar="auto", random_state=0).fit(c * Xn)
    np.testing.assert_allclose(b.score_samples(c * Xn), a.score_samples(Xn)
                               - np.where(np.isnan(Xn), 0, 1).sum(1) * np.log(c),
                               rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("bad", ["automatic", -1.0, np.nan, None])
def test_invalid_reg_covar(bad):
    with pytest.raises(DataError, match=r"reg_covar must be a finite number >= 0( or 'auto')?"):
        GaussianMixture(reg_covar=bad).fit(X)


def test_chunked_fit_takes_auto(tmp_path):
    pytest.importorskip("dask.array")
    import dask.array as da

    ref = GaussianMixture(2, reg_covar="auto", random_state=0).fit(X * 1e-5)
    lazy = GaussianMixture(2, reg_covar="auto", random_state=0).fit(
        da.from_array(X * 1e-5, chunks=(100, 3)))
    np.testing.assert_allclose(lazy.covariances_, ref.covariances_, rtol=1e-7)
    with pytest.warns(RegularizationWarning):
        Normal().fit(da.from_array(X * 1e-5, chunks=(100, 3)))


# --- the paths that fit on data in their own units use 'auto' ------------------------------
def test_table_model_without_transform_uses_auto():
    import pandas as pd

    from densitykit import TableModel

    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    assert TableModel(column_transform=None).fit(frame).density_.reg_covar == "auto"
    assert TableModel().fit(frame).density_.reg_covar == 1e-6  # standardised first
    c = 1e-5
    ref = TableModel(column_transform=None).fit(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RegularizationWarning)
        small = TableModel(column_transform=None).fit(frame * c)
    np.testing.assert_allclose(small.score_samples(frame * c),
                               ref.score_samples(frame) - D * np.log(c), rtol=1e-9, atol=1e-9)


def test_latent_and_selector_defaults_use_auto():
    from densitykit import LatentDensity, ModelSelector

    assert LatentDensity().fit(X).density_.reg_covar == "auto"
    sel = ModelSelector(param_grid={"n_components": [1, 2]}, random_state=0).fit(X)
    assert sel.best_estimator_.reg_covar == "auto"


@pytest.mark.parametrize(("options", "expected"), [
    (["--transform", "none"], "auto"),
    (["--transform", "none", "--model", "normal"], "auto"),
    (["--transform", "none", "--reg-covar", "0.001"], 0.001),
    (["--reg-covar", "auto"], "auto"),
    ([], 1e-6),
], ids=["none", "none-normal", "none-given", "auto-given", "standardize"])
def test_cli_transform_none_uses_auto(tmp_path, monkeypatch, options, expected):
    import pandas as pd

    from densitykit.cli import main
    from densitykit.persist import load

    monkeypatch.chdir(tmp_path)
    pd.DataFrame(X * 1e-4, columns=["a", "b", "c"]).to_csv("t.csv", index=False)
    size = [] if "normal" in options else ["--components", "1"]
    assert main(["fit", "t.csv", *size, "-q", *options]) == 0
    assert load("t.dkm").density_.reg_covar == expected


def test_cli_reg_covar_must_be_a_number_or_auto(capsys):
    from densitykit.cli import main

    assert main(["fit", "t.csv", "--reg-covar", "big"]) == 2
    assert "expected a number >= 0 or 'auto', got 'big'" in capsys.readouterr().err
