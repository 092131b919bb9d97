"""Filling empty cells: impute_table and 'densitykit impute'."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from densitykit.cli import main
from densitykit.exceptions import DataError
from densitykit.impute import (
    choose_components_by_cells,
    impute_table,
    kde_conditional_mean,
    kde_conditional_sample,
)


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
    with pytest.raises(DataError, match="no numeric or category column"):
        impute_table(pd.DataFrame({"t": ["a", "b"]}))  # every row its own label
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


def _labelled_frame(n=600, seed=0):
    """Numbers and label columns of every dtype, the labels set by x, 10% of cells emptied."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    g = np.where(x > 0.5, "hi", np.where(x < -0.5, "lo", "mid")).astype(object)
    full = pd.DataFrame({"x": x, "y": 2 * x + rng.normal(0, 0.3, n), "g": g,
                         "c": pd.Categorical(g), "s": pd.array(g, dtype="string"),
                         "b": pd.array(x > 0, dtype="boolean"),
                         "id": [f"R{i}" for i in range(n)],
                         "t": pd.date_range("2024-01-01", periods=n, freq="h")})
    df = full.copy()
    for c in ["y", "g", "c", "s", "b", "id", "t"]:
        df.loc[rng.random(n) < 0.1, c] = None
    return full, df


def test_label_columns_are_filled_with_the_likeliest_label_in_their_dtype():
    full, df = _labelled_frame()
    out = impute_table(df, random_state=0)[0]
    assert out.dtypes.to_dict() == df.dtypes.to_dict()
    for c in ["g", "c", "s", "b"]:
        empty = df[c].isna()
        assert out[c].notna().all(), c
        right = (out[c][empty].astype(object) == full[c][empty].astype(object)).mean()
        assert right > 0.9, (c, right)  # the label is set by x, which the row shows
    for c in ["id", "t"]:  # identifiers and dates pass through, empty cells and all
        assert out[c].isna().sum() == df[c].isna().sum()
    seen = df.notna()
    for c in df:
        assert out[c][seen[c]].equals(df[c][seen[c]]), c


def test_label_draws_come_from_the_columns_labels():
    _, df = _labelled_frame(n=300, seed=1)
    draws = impute_table(df, n_imputations=3, random_state=0)
    for out in draws:
        assert set(out["g"].dropna()) <= {"hi", "lo", "mid"} and out["g"].notna().all()
    a = impute_table(df, n_imputations=2, random_state=4)
    b = impute_table(df, n_imputations=2, random_state=4)
    assert all(x.equals(y) for x, y in zip(a, b))


def test_a_table_of_labels_alone_is_filled():
    rng = np.random.default_rng(2)
    n = 200
    a = rng.choice(["p", "q"], n).astype(object)
    df = pd.DataFrame({"a": a, "b": np.where(a == "p", "yes", "no").astype(object)})
    truth = df["b"].copy()
    df.loc[:19, "b"] = None
    out = impute_table(df, random_state=0)[0]
    assert (out["b"] == truth).all()


def _reference_kde_mean(Z, M, C, S, h):
    """The kernel density's conditional mean, straight from the formula, row by row."""
    from scipy.stats import multivariate_normal

    out = Z.copy()
    for i in np.flatnonzero(M.any(axis=1)):
        m, o = np.flatnonzero(M[i]), np.flatnonzero(~M[i])
        others = [j for j in range(len(C)) if j != i]
        B = S[np.ix_(m, o)] @ np.linalg.inv(S[np.ix_(o, o)]) if o.size else np.zeros((m.size, 0))
        logw = np.array([multivariate_normal(C[j, o], h * h * S[np.ix_(o, o)]).logpdf(Z[i, o])
                         if o.size else 0.0 for j in others])
        w = np.exp(logw - logw.max())
        w /= w.sum()
        out[i, m] = sum(wj * (C[j, m] + B @ (Z[i, o] - C[j, o])) for wj, j in zip(w, others))
    return out


def _tiny(seed=0, n=14, d=4):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d))
    S = A @ A.T / d + 0.3 * np.eye(d)
    C = rng.normal(size=(n, d)) @ np.linalg.cholesky(S).T
    M = rng.random((n, d)) < 0.3
    M[0] = [True] + [False] * (d - 1)
    M[1] = True  # a row with nothing observed: the plain mean of the other centres
    return rng, S, C, M


@pytest.mark.parametrize("h", [0.3, 1.0, 3.0])
def test_kde_conditional_mean_matches_the_formula(h):
    rng, S, C, M = _tiny()
    Z = np.where(M, rng.normal(size=C.shape), C)  # any completion of the empty cells
    got = kde_conditional_mean(Z, M, C, S, [h, 2 * h], np.arange(len(C)))
    np.testing.assert_allclose(got[0], _reference_kde_mean(Z, M, C, S, h), atol=1e-9)
    np.testing.assert_allclose(got[1], _reference_kde_mean(Z, M, C, S, 2 * h), atol=1e-9)
    np.testing.assert_array_equal(got[0][~M], Z[~M])  # observed cells untouched
    np.testing.assert_allclose(got[0][1], C[np.arange(len(C)) != 1].mean(axis=0), atol=1e-9)
    # the completion of a row's empty cells does not change its conditional
    Z2 = np.where(M, 100.0, C)
    again = kde_conditional_mean(Z2, M, C, S, [h], np.arange(len(C)))
    np.testing.assert_allclose(again[0], got[0], atol=1e-7)


def test_kde_draws_have_the_conditional_spread():
    _, S, C, M = _tiny(1, n=30, d=3)
    M[:] = False
    M[0] = [False, True, False]
    h, rows = 0.6, np.zeros(20000, dtype=int)  # the same row, drawn many times
    draws = kde_conditional_sample(C, M, C, S, h, rows, np.random.default_rng(0))[:, 1]
    # reference: a mixture over the other centres of the kernels' conditional Gaussians
    o, m = [0, 2], [1]
    B = S[np.ix_(m, o)] @ np.linalg.inv(S[np.ix_(o, o)])
    cond_var = h * h * (S[1, 1] - (B @ S[np.ix_(o, m)])[0, 0])
    d = C[1:, o] - C[0, o]
    logw = -0.5 * np.einsum("ij,jk,ik->i", d, np.linalg.inv(S[np.ix_(o, o)]), d) / h**2
    w = np.exp(logw - logw.max())
    w /= w.sum()
    means = C[1:, 1] + (C[0, o] - C[1:, o]) @ B[0]
    mean = w @ means
    var = w @ (means - mean) ** 2 + cond_var
    assert abs(draws.mean() - mean) < 4 * np.sqrt(var / draws.size)
    assert 0.93 < draws.var() / var < 1.07


def test_kde_fills_a_time_series_better_than_a_gaussian():
    rng = np.random.default_rng(3)
    t = np.cumsum(rng.normal(0, 0.05, 600))
    X = np.column_stack([np.sin(t * k) + rng.normal(0, 0.02, 600) for k in (1, 2, 3, 5)])
    df = pd.DataFrame(X, columns=list("abcd"))
    holes = rng.random(X.shape) < 0.2
    df = df.mask(holes)
    kde = impute_table(df, method="kde", random_state=0)[0].to_numpy()
    mix = impute_table(df, method="mixture", n_components=1, random_state=0)[0].to_numpy()
    err = lambda F: np.sqrt(np.mean((F[holes] - X[holes]) ** 2))  # noqa: E731
    assert err(kde) < 0.5 * err(mix)
    np.testing.assert_array_equal(kde[~holes], df.to_numpy()[~holes])
    auto = impute_table(df, random_state=0)[0].to_numpy()
    assert err(auto) < 0.5 * err(mix)


def test_choices_never_see_the_emptied_values(table):
    df, truth = table
    rng = np.random.default_rng(5)
    holes = df.isna()
    other = truth.copy()
    other["b"] = np.where(holes["b"], rng.normal(100, 50, len(df)).round(3), truth["b"])
    a = truth.mask(holes)
    b = other.mask(holes)
    a["count"], b["count"] = df["count"], df["count"]
    for method in ("auto", "kde"):
        pd.testing.assert_frame_equal(impute_table(a, method=method, random_state=1)[0],
                                      impute_table(b, method=method, random_state=1)[0])
    one, two = impute_table(a, method="kde", n_imputations=2, random_state=1)
    seen = a["b"].notna()
    assert (one.loc[seen, "b"] == a.loc[seen, "b"]).all()
    assert not np.allclose(one.loc[~seen, "b"], two.loc[~seen, "b"])
    assert one["count"].dtype == a["count"].dtype


def test_unknown_method():
    with pytest.raises(DataError, match="method"):
        impute_table(pd.DataFrame({"a": [1.0, np.nan, 3.0]}), method="knn")


def test_impute_command_method(tmp_path, table):
    df, _ = table
    src = tmp_path / "t.csv"
    df.to_csv(src, index=False)
    for method in ("kde", "mixture"):
        out = tmp_path / f"{method}.csv"
        assert main(["impute", str(src), "-o", str(out), "--method", method, "--seed", "0",
                     "-q"]) == 0
        done = pd.read_csv(out)
        assert not done[["b", "count"]].isna().any().any()
        assert (done.loc[df["b"].notna(), "b"] == df.loc[df["b"].notna(), "b"]).all()


@pytest.mark.parametrize("method", ["auto", "kde", "mixture"])
def test_tiny_tables_are_filled(method):
    for df in (pd.DataFrame({"a": [1.0, np.nan, 3.0, 4.0], "b": [2.0, 1.0, np.nan, 5.0]}),
               pd.DataFrame({"a": [1.0, np.nan], "b": [2.0, 1.0]})):
        for n in (1, 2):
            for filled in impute_table(df, method=method, n_imputations=n, random_state=0):
                assert not filled.isna().any().any()
                assert (filled.to_numpy()[df.notna().to_numpy()]
                        == df.to_numpy()[df.notna().to_numpy()]).all()


def test_a_table_with_nothing_to_fill_comes_back_as_it_is():
    """No empty cell: the table itself, however short (one row needs no model)."""
    for df in (pd.DataFrame({"a": [1.5], "b": [2]}),
               pd.DataFrame({"a": [1.5, 2.5, 0.5], "t": ["x", "y", "z"]})):
        out = impute_table(df, n_imputations=2)
        assert len(out) == 2 and all(o.equals(df) and o is not df for o in out)


def test_narrow_floats_keep_their_dtype_and_printed_decimals():
    """float32 and pandas' Float32 (and Float64) columns come back in their dtype, filled with the
    decimals their values print (not float64 with float32's binary noise)."""
    rng = np.random.default_rng(0)
    a = rng.normal(100, 2, 300).round(1)
    df = pd.DataFrame({"a": a.astype(np.float32),
                       "c": pd.array((0.5 * a + rng.normal(0, 1, 300)).round(2),
                                     dtype="Float32"),
                       "n": pd.array(rng.integers(0, 9, 300), dtype="Int16"),
                       "w": pd.array((a - 100).round(2), dtype="Float64")})
    for c in df:
        df.loc[rng.random(300) < 0.1, c] = np.nan
    out = impute_table(df, random_state=0)[0]
    assert out.dtypes.to_dict() == df.dtypes.to_dict()
    for c, places in (("a", 1), ("c", 2)):
        filled = out.loc[df[c].isna(), c].to_numpy(dtype=np.float64)
        printed = filled.astype(np.float32).astype(str).astype(np.float64)
        np.testing.assert_array_equal(printed, np.round(printed, places))
        assert not out[c].isna().any()


def test_impute_command_keeps_identifiers_and_empty_columns(tmp_path):
    rng = np.random.default_rng(0)
    n = 200
    x = rng.normal(size=n)
    df = pd.DataFrame({"id": [f"S{i:05d}" for i in range(n)], "a": x.round(2),
                       "unused": np.nan, "b": (2 * x + rng.normal(0, 0.1, n)).round(2)})
    df.loc[:19, "b"] = np.nan
    src = tmp_path / "t.csv"
    df.to_csv(src, index=False)
    assert main(["impute", str(src), "-o", str(tmp_path / "done.csv"), "--seed", "0",
                 "-q"]) == 0
    done = pd.read_csv(tmp_path / "done.csv")
    assert list(done.columns) == list(df.columns)
    assert (done["id"] == df["id"]).all() and done["unused"].isna().all()
    assert done["b"].notna().all() and (done["a"] == df["a"]).all()


# ---- the compiled loops and their NumPy twin against brute force ---------------------------

@pytest.fixture(params=["compiled", "numpy"])
def path(request, monkeypatch):
    """Run the kernel density's conditional through the compiled loops or the NumPy twin."""
    import densitykit.impute as imp

    if request.param == "compiled":
        pytest.importorskip("numba")
        assert imp._loops() is not None
    else:
        monkeypatch.setattr(imp, "_loops", lambda: None)
    return request.param


def _patterns(seed, n=60, d=6):
    """Centres, a bandwidth shape and empty cells of every kind: one observed cell, none,
    one empty, none empty, and random ones; the rows' empty cells completed at random."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d))
    S = A @ A.T / d + 0.2 * np.eye(d)
    t = np.cumsum(rng.normal(0, 0.3, n))  # a path, so that centres have near neighbours
    C = np.column_stack([np.sin(t * k) for k in range(1, d + 1)]) @ np.linalg.cholesky(S).T
    M = rng.random((n, d)) < 0.4
    M[0], M[1], M[2], M[3] = True, True, False, False
    M[0, 2] = False  # one observed cell
    M[3, 4] = True  # one empty cell
    Xt = np.where(M, rng.normal(size=C.shape), C)
    return rng, S, C, M, Xt


def _brute_weights(Xt, M, C, S, h, i):
    """Row ``i``'s kernel weights over every other centre (no pruning), its empty and
    observed columns, the other centres and ``S_mo S_oo^-1``."""
    m, o = np.flatnonzero(M[i]), np.flatnonzero(~M[i])
    others = np.flatnonzero(np.arange(len(C)) != i)
    diff = Xt[i, o] - C[np.ix_(others, o)]
    Soo = S[np.ix_(o, o)]
    logw = -0.5 * np.einsum("ij,ji->i", diff, np.linalg.solve(Soo, diff.T)) / h**2
    w = np.exp(logw - logw.max())
    return w / w.sum(), m, o, others, np.linalg.solve(Soo, S[np.ix_(o, m)]).T


def _brute_means(Xt, M, C, S, h, rows):
    out = Xt[rows].copy()
    for a, i in enumerate(rows):
        if M[i].any():
            w, m, o, others, B = _brute_weights(Xt, M, C, S, h, i)
            out[a, m] = w @ (C[np.ix_(others, m)] + (Xt[i, o] - C[np.ix_(others, o)]) @ B.T)
    return out


def test_bound_weights_bound_the_quadratic_form():
    """``diag(w) - P_mm^-1`` is positive semi-definite, so that ``q - sum_j w_j u_j^2`` is a
    lower bound of every centre's distance, however unequal the conditional variances."""
    from densitykit.impute import _bound_weights

    rng = np.random.default_rng(0)
    A = rng.normal(size=(200, 7, 7)) * rng.lognormal(0, 1.5, size=(200, 1, 7))
    Pmm = A @ A.transpose(0, 2, 1) + 1e-3 * np.eye(7)
    inv = np.linalg.inv(Pmm)
    w = _bound_weights(Pmm, np.diagonal(inv, axis1=1, axis2=2))
    gap = np.linalg.eigvalsh(w[:, :, None] * np.eye(7) - inv)[:, 0]
    assert (gap >= -1e-9 * w.max(axis=1)).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_conditional_means_equal_brute_force(path, seed):
    from densitykit.impute import _conditional_means

    rng, S, C, M, Xt = _patterns(seed)
    rows = np.arange(len(C))
    hs = [0.05, 0.2, 0.6, 2.0]  # from a few centres within reach to all of them
    got = kde_conditional_mean(Xt, M, C, S, hs, rows)
    for g, h in zip(got, hs):
        np.testing.assert_allclose(g, _brute_means(Xt, M, C, S, h, rows), rtol=0, atol=1e-10)
        np.testing.assert_array_equal(g[~M], Xt[~M])
    # only some cells wanted (the choice's hidden ones): those are the same
    want = M & (rng.random(M.shape) < 0.5)
    part = _conditional_means(Xt, M, C, S, hs, rows[5:], want[5:])
    np.testing.assert_allclose(part[:, want[5:]], got[:, 5:][:, want[5:]], rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_fills_leave_out_centres_within_their_stated_share(path, seed):
    """The imputation's fills leave out centres weighing under ``_LEFT_OUT / n`` of the
    nearest: each fill is within ``_LEFT_OUT`` of the centres' spread of the exact mean."""
    import densitykit.impute as imp

    _, S, C, M, Xt = _patterns(seed, n=300)
    rows = np.arange(len(C))
    cut = imp._fill_cutoff(len(C))
    assert cut < imp._CUTOFF  # fewer centres than the public conditional's
    hs = [0.05, 0.2, 0.6]
    got = imp._conditional_means(Xt, M, C, S, hs, rows, cut=cut)
    spread = np.ptp(C, axis=0)
    for g, h in zip(got, hs):
        exact = _brute_means(Xt, M, C, S, h, rows)
        assert np.all(np.abs(g - exact) <= imp._LEFT_OUT * spread)


def test_the_fills_gaussian_starts_from_the_choices():
    """The Gaussian of the fills starts its EM from the one the choice fitted to fewer cells,
    and reaches the same fixed point in fewer passes."""
    import densitykit.impute as imp

    rng = np.random.default_rng(3)
    X = rng.normal(size=(800, 5)) @ rng.normal(size=(5, 5))
    Z = np.where(rng.random(X.shape) < 0.4, np.nan, X)
    shown = imp._hide(Z, np.random.default_rng(0))[1]
    start = imp._fit(1, shown, 0)
    cold, warm = imp._fit(1, Z, 0), imp._fit(1, Z, 0, start)
    assert warm.n_iter_ < cold.n_iter_
    assert abs(warm.lower_bound_ - cold.lower_bound_) < 1e-2
    np.testing.assert_allclose(warm.covariances_, cold.covariances_, atol=0.05 * np.abs(
        cold.covariances_).max())


def _brute_draws(Xt, M, C, S, h, rows, rng):
    """The twin's random numbers (one uniform per row, then each row's normals in turn),
    drawn from the formula over every centre."""
    from scipy.linalg import solve_triangular

    unif = rng.random(rows.size)
    z = rng.standard_normal(int(M[rows].sum()))
    out, pos, P = Xt[rows].copy(), 0, np.linalg.inv(S)
    for a, i in enumerate(rows):
        if not M[i].any():
            continue
        w, m, o, others, B = _brute_weights(Xt, M, C, S, h, i)
        cum = np.cumsum(w)
        j = others[min(int((cum <= unif[a] * cum[-1]).sum()), others.size - 1)]
        mean = C[j, m] + B @ (Xt[i, o] - C[j, o])
        low = np.linalg.cholesky(P[np.ix_(m, m)])
        out[a, m] = mean + h * solve_triangular(low.T, z[pos:pos + m.size], lower=False)
        pos += m.size
    return out


@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize("h", [0.1, 0.5])
def test_conditional_draws_equal_brute_force(path, seed, h):
    _, S, C, M, Xt = _patterns(seed)
    rows = np.arange(len(C))
    for draw_seed in range(3):
        got = kde_conditional_sample(Xt, M, C, S, h, rows, np.random.default_rng(draw_seed))
        want = _brute_draws(Xt, M, C, S, h, rows, np.random.default_rng(draw_seed))
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)


def test_compiled_and_numpy_choose_and_fill_alike(monkeypatch):
    """The whole default fill: the same choice and the same cells either way."""
    pytest.importorskip("numba")
    import densitykit.impute as imp

    rng = np.random.default_rng(4)
    t = np.cumsum(rng.normal(0, 0.05, 400))
    X = np.column_stack([np.sin(t * k) + rng.normal(0, 0.02, 400) for k in (1, 2, 3, 5)])
    Z = np.where(rng.random(X.shape) < 0.3, np.nan, X)
    compiled = imp.choose_kernel_by_cells(Z, 0), imp.kde_impute(Z, 0.5, 0.2, random_state=0)
    monkeypatch.setattr(imp, "_loops", lambda: None)
    twin = imp.choose_kernel_by_cells(Z, 0), imp.kde_impute(Z, 0.5, 0.2, random_state=0)
    assert compiled[0] == twin[0]
    # each is within the cut-off's share of the centres' spread of the exact fill
    np.testing.assert_allclose(compiled[1][0], twin[1][0], rtol=0,
                               atol=2 * imp._LEFT_OUT * np.nanmax(np.ptp(X, axis=0)))


@pytest.mark.parametrize("loops", ["compiled", "numpy"])
def test_fills_are_the_same_on_one_core_and_on_several(monkeypatch, loops):
    """The blocks of rows run side by side on the cores; each row's fill and draw depends on
    its own block only, so every number is the same, bit for bit, on one core."""
    import densitykit._parallel as par
    import densitykit.impute as imp

    if loops == "numpy":
        monkeypatch.setattr(imp, "_loops", lambda: None)
    rng = np.random.default_rng(8)
    n = 1500  # six blocks of rows
    X = rng.normal(size=(n, 6)) @ rng.normal(size=(6, 6))
    Z = np.where(rng.random(X.shape) < 0.3, np.nan, X)

    def fills(cores: int) -> list[np.ndarray]:
        monkeypatch.setitem(par._STATE, "cores", cores)
        return imp.kde_impute(Z, 0.5, 0.3, n_imputations=2, random_state=1)

    several = fills(2)
    assert par.available_cores() == 2 and len(imp._blocks(np.arange(n), n)) >= 4
    for one, many in zip(fills(1), several):
        np.testing.assert_array_equal(one, many)


def test_unused_categories_do_not_count_as_labels():
    rng = np.random.default_rng(3)
    n = 120
    x = rng.normal(size=n)
    used = np.where(x > 0, "u", "v")
    df = pd.DataFrame({"x": x, "y": x + rng.normal(0, 0.1, n),
                       "c": pd.Categorical(used, categories=[*"uv", *map(str, range(30))]),
                       "gone": pd.Categorical([None] * n, categories=["u", "v"])})
    df.loc[:9, "c"] = None
    df.loc[10:19, "y"] = np.nan
    out = impute_table(df, random_state=0)[0]
    assert out["c"].notna().all() and (out["c"][:10] == used[:10]).mean() > 0.8
    assert out["gone"].isna().all() and out["y"].notna().all()


def test_fills_of_a_narrow_integer_column_stay_within_its_dtype():
    """An Int8 column whose empty cells are where its values are highest: the fills, whole
    numbers, are held to -128..127 (pandas refused 131)."""
    rng = np.random.default_rng(0)
    b = rng.normal(size=200)
    a = np.clip(np.round(110 + 15 * b), -128, 127).astype(int)
    frame = pd.DataFrame({"a": pd.array(a, dtype="Int8"), "b": b})
    frame.loc[frame["b"].nlargest(3).index, "a"] = pd.NA
    for method in ("auto", "mixture"):
        out = impute_table(frame, method=method, random_state=0)[0]
        assert str(out["a"].dtype) == "Int8" and out["a"].notna().all()
        filled = out.loc[frame["a"].isna(), "a"].to_numpy(dtype=np.int64)
        assert filled.min() >= 100 and filled.max() <= 127
        assert (out["a"][frame["a"].notna()] == frame["a"].dropna()).all()


def test_an_array_is_refused_with_the_fix():
    from densitykit.exceptions import DataTypeError

    with pytest.raises(DataTypeError, match=r"takes a pandas DataFrame; got ndarray.*pd.DataFrame"):
        impute_table(np.array([[1.0, np.nan], [2.0, 3.0]]))
