"""TableModel: transforms, true densities in original units, sampling back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.mixture import GaussianMixture as SkGMM
from sklearn.neighbors import KernelDensity as SkKDE

from densitykit.exceptions import DataError
from densitykit.preprocess import TRANSFORMS, TableModel, yeo_johnson, yeo_johnson_inverse

TRANSFORM_NAMES = ["standardize", "quantile", "yeo-johnson", None]


def _skewed(n=400, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "flow": rng.lognormal(7.5, 0.3, n),
            "dp": rng.normal(10, 0.5, n),
            "count": rng.poisson(4, n).astype(float),
        }
    )


@pytest.mark.parametrize("transform", TRANSFORM_NAMES)
def test_one_dimensional_density_integrates_to_one(transform):
    x = _skewed()[["flow"]]
    model = TableModel(SkGMM(2, random_state=0), column_transform=transform).fit(x)
    # midpoint rule between breakpoints: the quantile map has kinks at its knots, so they
    # are breakpoints; the far ends are found through the inverse map
    z_ends = np.array([[-12.0], [12.0]])
    if transform is None:
        ends = [x["flow"].min() - 2e3, x["flow"].max() + 2e3]
    else:
        ends = list(model.inverse_transform_rows(z_ends)[:, 0])
    inner = model.transform_params_[0].get("knots", np.array([]))
    edges = np.unique(np.concatenate([ends, inner, np.linspace(*ends, 2001)]))
    t = (np.arange(200) + 0.5) / 200
    width = np.diff(edges)
    mids = (edges[:-1, None] + width[:, None] * t[None, :]).ravel()
    dens = np.exp(model.score_samples(pd.DataFrame({"flow": mids}))).reshape(-1, 200)
    total = float(np.sum(dens.mean(axis=1) * width))
    assert total == pytest.approx(1.0, abs=2e-3)


def test_standardize_single_gaussian_matches_mle_normal():
    df = _skewed()[["flow", "dp"]]
    model = TableModel(SkGMM(1, reg_covar=0.0), column_transform="standardize").fit(df)
    X = df.to_numpy()
    ref = stats.multivariate_normal(X.mean(0), np.cov(X.T, bias=True)).logpdf(X)
    np.testing.assert_allclose(model.score_samples(df), ref, rtol=1e-9)


@pytest.mark.parametrize("lam", [-1.5, 0.0, 0.4, 1.0, 2.0, 3.2])
def test_yeo_johnson_matches_scipy_and_inverts(lam):
    u = np.linspace(-4, 6, 101)
    psi, logd = yeo_johnson(u, lam)
    np.testing.assert_allclose(psi, stats.yeojohnson(u, lmbda=lam), rtol=1e-12, atol=1e-12)
    h = 1e-6
    fd = (yeo_johnson(u + h, lam)[0] - yeo_johnson(u - h, lam)[0]) / (2 * h)
    np.testing.assert_allclose(np.exp(logd), fd, rtol=1e-6)
    np.testing.assert_allclose(yeo_johnson_inverse(psi, lam), u, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("transform", ["standardize", "quantile", "yeo-johnson"])
def test_forward_log_jacobian_matches_finite_differences(transform):
    x = _skewed()["flow"].to_numpy()
    spec = TRANSFORMS[transform]
    p = spec.fit(x)
    grid = np.concatenate([np.linspace(x.min() * 0.8, x.max() * 1.2, 97), x[:20] + 0.37])
    z, logd = spec.forward(grid, p)
    h = 1e-4
    fd = (spec.forward(grid + h, p)[0] - spec.forward(grid - h, p)[0]) / (2 * h)
    near_knot = np.zeros(grid.size, bool)
    if transform == "quantile":  # the map has kinks at the knots
        near_knot = np.min(np.abs(grid[:, None] - p["knots"][None, :]), axis=1) < 2 * h
    np.testing.assert_allclose(np.exp(logd)[~near_knot], fd[~near_knot], rtol=1e-4)
    assert np.all(np.diff(spec.forward(np.sort(grid), p)[0]) >= 0)  # monotone
    np.testing.assert_allclose(spec.inverse(z, p), grid, rtol=1e-8)


def test_quantile_makes_columns_normal():
    x = _skewed(2000)["flow"].to_numpy()
    spec = TRANSFORMS["quantile"]
    z, _ = spec.forward(x, spec.fit(x))
    assert abs(stats.skew(z)) < 0.05 and abs(np.std(z) - 1) < 0.05


def test_sample_uses_columns_rounds_and_clips():
    df = _skewed()
    model = TableModel(SkGMM(2, random_state=0), clip=True).fit(df)
    s = model.sample(500, random_state=3)
    assert list(s.columns) == ["flow", "dp", "count"]
    assert np.all(s["count"] == np.round(s["count"]))
    assert np.all(s["flow"] != np.round(s["flow"]))
    for c in df.columns:
        assert s[c].min() >= df[c].min() and s[c].max() <= df[c].max()
    np.testing.assert_array_equal(model.sample(5, random_state=3), model.sample(5, random_state=3))
    raw = TableModel(SkGMM(2, random_state=0), round_integers=False).fit(df)
    assert np.any(raw.sample(200, random_state=0)["count"] % 1 != 0)


def test_arrays_get_generated_names_and_any_density():
    X = _skewed().to_numpy()
    model = TableModel(SkKDE(bandwidth=0.3), column_transform="quantile").fit(X)
    assert model.columns_ == ["x0", "x1", "x2"]
    assert model.sample(4, random_state=np.random.default_rng(0)).shape == (4, 3)
    assert np.isfinite(model.score_samples(X)).all()


def test_criteria_and_parameters():
    df = _skewed()
    model = TableModel(SkGMM(1, covariance_type="diag"), column_transform="standardize").fit(df)
    ll = model.score_samples(df).sum()
    k = model.n_parameters()
    assert model.bic(df) == pytest.approx(-2 * ll + k * np.log(len(df)))
    assert model.aic(df) == pytest.approx(-2 * ll + 2 * k)


def test_errors():
    with pytest.raises(DataError, match="valid options are 'standardize'"):
        TableModel(SkGMM(1), column_transform="boxcox").fit(_skewed())
    model = TableModel(SkKDE()).fit(_skewed())
    with pytest.raises(DataError, match="mixture"):
        model.condition({"dp": 10.0})
    with pytest.raises(DataError, match="does not report"):
        model.n_parameters()
    with pytest.raises(DataError, match="2 features"):
        model.score_samples(np.ones((3, 2)))


def test_condition_with_densitykit_mixture():
    gaussian = pytest.importorskip("densitykit.gaussian")
    df = _skewed()[["flow", "dp"]]
    model = TableModel(gaussian.GaussianMixture(1, random_state=0)).fit(df)
    cond = model.condition({"dp": 11.0})
    assert cond.columns_ == ["flow"]
    s = cond.sample(2000, random_state=0)
    # a single Gaussian: the conditional mean is linear regression on the given column
    X = df.to_numpy()
    c = np.cov(X.T, bias=True)
    expected = X[:, 0].mean() + c[0, 1] / c[1, 1] * (11.0 - X[:, 1].mean())
    se = np.sqrt(c[0, 0] - c[0, 1] ** 2 / c[1, 1]) / np.sqrt(2000)
    assert abs(s["flow"].mean() - expected) < 5 * se
    with pytest.raises(DataError, match=r"Unknown column 'dpp'.*Did you mean 'dp'"):
        model.condition({"dpp": 1.0})
    with pytest.raises(DataError, match="every column"):
        model.condition({"dp": 1.0, "flow": 2.0})
    from densitykit.exceptions import ParameterError

    for bad in ("1,5", None, float("nan")):
        with pytest.raises(ParameterError, match=r"given values must be .*numbers"):
            model.condition({"dp": bad})


@pytest.mark.parametrize("transform", ["standardize", "quantile", "yeo-johnson"])
def test_empty_cells_are_integrated_out_in_table_units(transform):
    from densitykit import GaussianMixture

    rng = np.random.default_rng(5)
    X = rng.multivariate_normal([10.0, -3.0, 200.0], [[4, 1, 3], [1, 1, 0.5], [3, 0.5, 9]],
                                size=600)
    X[rng.random(X.shape) < 0.1] = np.nan
    tm = TableModel(GaussianMixture(2, random_state=0), column_transform=transform).fit(X)
    rows = X[:40].copy()
    rows[:, 1] = np.nan
    Z = tm.transform_rows(rows)
    assert np.isnan(Z[:, 1]).all()
    # the density of the observed cells: the inner marginal plus their Jacobians only
    own = tm.score_samples(rows)
    spec = TRANSFORMS[transform]
    jac = np.zeros(len(rows))
    for j in (0, 2):
        x = rows[:, j]
        seen = ~np.isnan(x)
        jac[seen] += spec.forward(x[seen], tm.transform_params_[j])[1]
    np.testing.assert_allclose(own, tm.density_.score_samples(Z) + jac, rtol=1e-10)
    assert np.isfinite(own).all()
    # the marginal of a 1-D normal agrees with scipy for one observed standardised cell
    one = TableModel(GaussianMixture(1), column_transform="standardize").fit(X[:, :1])
    mu, sd = np.nanmean(X[:, 0]), np.nanstd(X[:, 0])
    np.testing.assert_allclose(one.score_samples(np.array([[11.0]])),
                               stats.norm(mu, sd).logpdf(11.0), rtol=1e-4)
    with pytest.raises(DataError, match="no observed value"):
        TableModel().fit(np.column_stack([X[:, 0], np.full(len(X), np.nan)]))


def test_former_parameter_name_still_works(tmp_path):
    """``transform=`` was renamed ``column_transform`` (a parameter named ``transform`` made
    scikit-learn take the model for a transformer); the old keyword and model files that
    store it still give the same model."""
    from densitykit import GaussianMixture, load, save

    df = _skewed()
    with pytest.warns(FutureWarning, match="column_transform"):
        old = TableModel(SkGMM(1), transform="quantile")
    assert old.get_params()["column_transform"] == "quantile"
    assert not hasattr(old, "transform")
    with pytest.raises(TypeError, match="unexpected keyword"):
        TableModel(transfrom="quantile")
    model = TableModel(GaussianMixture(1, random_state=0), column_transform="quantile").fit(df)
    path = tmp_path / "m.dkm"
    save(model, path)
    # rewrite the file as an older densitykit wrote it: the parameter under its former name
    import zipfile

    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    manifest = [n for n in files if n.endswith(".json")]
    assert manifest
    for name in manifest:
        files[name] = files[name].replace(b'"column_transform"', b'"transform"')
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    again = load(path)
    assert again.column_transform == "quantile"
    np.testing.assert_array_equal(again.score_samples(df), model.score_samples(df))


def _readings(n=400, seed=0):
    """Two decimals, whole counts from 0 and one decimal with empty cells, as a CSV holds."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"temp": rng.normal(50, 5, n).round(2), "count": rng.poisson(5, n),
                       "flow": rng.normal(20, 4, n).round(1)})
    df.loc[::17, "flow"] = np.nan
    return df


def _decimals(x):
    """The most decimals any value of ``x`` is written with."""
    return max(len(repr(float(v)).split(".")[1].rstrip("0")) for v in x)


def test_samples_come_back_with_the_decimals_of_the_table(tmp_path):
    from densitykit.persist import load, save

    model = TableModel().fit(_readings())
    assert model.decimals_.tolist() == [2, 0, 1]
    rows = model.sample(3000, random_state=0)
    assert rows.dtypes.astype(str).tolist() == ["float64"] * 3  # float64, rounded values
    assert _decimals(rows["temp"]) == 2 and _decimals(rows["flow"]) == 1
    count = rows["count"].to_numpy()
    assert np.all(count == np.round(count)) and not np.any(np.signbit(count) & (count == 0))
    assert np.any(count == 0)  # a zero drawn is +0.0
    save(model, tmp_path / "m.dkm")
    back = load(tmp_path / "m.dkm")
    assert back.decimals_.tolist() == [2, 0, 1]
    pd.testing.assert_frame_equal(back.sample(500, random_state=4),
                                  model.sample(500, random_state=4))
    # without rounding: the draws as they were, every digit kept
    raw = TableModel(round_decimals=False).fit(_readings()).sample(3000, random_state=0)
    np.testing.assert_allclose(raw.to_numpy(), rows.to_numpy(), atol=0.05 + 1e-12)
    assert _decimals(raw["temp"]) > 2
    np.testing.assert_array_equal(raw["temp"].round(2), rows["temp"])


def test_clip_keeps_counts_at_or_above_the_smallest_seen():
    df = _readings()
    rows = TableModel(clip=True).fit(df).sample(3000, random_state=0)
    assert rows["count"].min() >= df["count"].min()
    assert TableModel().fit(df).sample(3000, random_state=0)["count"].min() < 0  # clip=False


def test_a_conditional_model_keeps_the_decimals():
    model = TableModel().fit(_readings())
    rows = model.condition({"count": 4}).sample(500, random_state=0)
    assert rows.columns.tolist() == ["temp", "flow"]
    assert _decimals(rows["temp"]) == 2 and _decimals(rows["flow"]) == 1


def test_a_streamed_fit_records_the_same_decimals(tmp_path):
    from densitykit import GaussianMixture as DkGMM
    from densitykit.scale.stream import fit_table_stream

    df = _readings().dropna()
    df.to_csv(tmp_path / "t.csv", index=False)
    tm = fit_table_stream(DkGMM(1), tmp_path / "t.csv", chunksize=50)
    assert tm.decimals_.tolist() == TableModel().fit(df).decimals_.tolist() == [2, 0, 1]
    assert _decimals(tm.sample(1000, random_state=0)["temp"]) == 2


def test_condition_refuses_a_fraction_for_a_column_of_whole_numbers():
    from densitykit.exceptions import ParameterError

    model = TableModel().fit(_readings())
    with pytest.raises(ParameterError, match=r"'count' holds whole numbers.*3\.5"):
        model.condition({"count": 3.5})
    assert TableModel(round_integers=False).fit(_readings()).condition({"count": 3.5}).columns_ \
        == ["temp", "flow"]


def test_a_frame_with_number_labels_is_drawn_with_them(tmp_path):
    """pd.DataFrame(X) has columns 0, 1: drawn rows carry them (not '0', '1'), so they
    are scored back without a names warning, from a model file and given a value too."""
    import warnings

    from densitykit import load, save

    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(200, 2)))
    model = TableModel().fit(df)
    save(model, tmp_path / "m.dkm")
    for m in (model, load(tmp_path / "m.dkm")):
        rows = m.sample(5, random_state=0)
        assert rows.columns.tolist() == [0, 1]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert np.isfinite(m.score_samples(rows)).all()
        assert m.condition({0: 0.5}).sample(3, random_state=0).columns.tolist() == [1]
    assert TableModel().fit(df.to_numpy()).sample(2, random_state=0).columns.tolist() == \
        ["x0", "x1"]
