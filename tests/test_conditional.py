"""Conditional and marginal Gaussian mixtures against closed forms and brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import logsumexp

from densitykit.exceptions import ParameterError
from densitykit.gaussian.conditional import (
    condition,
    condition_batch,
    conditional_mean,
    full_covariances,
    marginal,
    new_mixture,
    sample_conditional,
)

COV_TYPES = ["full", "tied", "diag", "spherical"]


def _mixture_class():
    try:
        from densitykit.gaussian import GaussianMixture
    except ImportError:  # the engine is optional for these pure functions
        from sklearn.mixture import GaussianMixture
    return GaussianMixture


def _data(n=600, d=2, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.multivariate_normal(np.zeros(d), 0.5 * np.eye(d) + 0.4, n // 2)
    b = rng.multivariate_normal(
        np.full(d, 3.0), np.eye(d) - 0.3 * (d == 2) * np.eye(d)[::-1], n // 2
    )
    return np.vstack([a, b])


def _fit(ctype, d=2, k=3, seed=0):
    gm = _mixture_class()(n_components=k, covariance_type=ctype, random_state=seed)
    return gm.fit(_data(d=d, seed=seed))


@pytest.mark.parametrize("ctype", COV_TYPES)
def test_one_component_closed_form(ctype):
    gm = _fit(ctype, d=4, k=1)
    cov = full_covariances(gm)[0]
    mu = gm.means_[0]
    a, b = [0, 2], [1, 3]
    x_a = np.array([0.7, -1.2])
    s_aa_inv = np.linalg.inv(cov[np.ix_(a, a)])
    exp_mean = mu[b] + cov[np.ix_(b, a)] @ s_aa_inv @ (x_a - mu[a])
    exp_cov = cov[np.ix_(b, b)] - cov[np.ix_(b, a)] @ s_aa_inv @ cov[np.ix_(a, b)]
    cond = condition(gm, a, x_a)
    assert cond.covariance_type == ctype
    np.testing.assert_allclose(cond.weights_, [1.0])
    np.testing.assert_allclose(cond.means_[0], exp_mean, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(full_covariances(cond)[0], exp_cov, rtol=1e-10, atol=1e-12)
    # the conditional density is the normal of the closed form
    pts = np.random.default_rng(1).normal(size=(20, 2)) + exp_mean
    ref = stats.multivariate_normal(exp_mean, exp_cov).logpdf(pts)
    np.testing.assert_allclose(cond.score_samples(pts), ref, rtol=1e-9)


@pytest.mark.parametrize("ctype", COV_TYPES)
@pytest.mark.parametrize("given", [0, 1])
def test_condition_matches_brute_force_grid_2d(ctype, given):
    gm = _fit(ctype)
    rest = 1 - given
    grid = np.linspace(-12, 15, 40001)
    for value in (-0.5, 1.4, 3.3):
        pts = np.empty((grid.size, 2))
        pts[:, given] = value
        pts[:, rest] = grid
        log_joint = gm.score_samples(pts)
        dx = grid[1] - grid[0]
        log_cond_ref = log_joint - (logsumexp(log_joint) + np.log(dx))
        cond = condition(gm, [given], [value])
        got = cond.score_samples(grid[:, None])
        keep = log_cond_ref > -20
        np.testing.assert_allclose(got[keep], log_cond_ref[keep], atol=1e-6)


@pytest.mark.parametrize("ctype", ["full", "tied"])
def test_condition_matches_brute_force_grid_3d(ctype):
    gm = _fit(ctype, d=3, k=2)
    g0 = np.linspace(-8, 11, 500)
    g2 = np.linspace(-8, 11, 500)
    a0, a2 = np.meshgrid(g0, g2, indexing="ij")
    pts = np.column_stack([a0.ravel(), np.full(a0.size, 1.1), a2.ravel()])
    log_joint = gm.score_samples(pts)
    cell = (g0[1] - g0[0]) * (g2[1] - g2[0])
    ref = log_joint - (logsumexp(log_joint) + np.log(cell))
    got = condition(gm, 1, [1.1]).score_samples(pts[:, [0, 2]])
    keep = ref > -15
    np.testing.assert_allclose(got[keep], ref[keep], atol=1e-4)


@pytest.mark.parametrize("ctype", COV_TYPES)
def test_marginal_matches_integration(ctype):
    gm = _fit(ctype)
    grid = np.linspace(-12, 15, 20001)
    dx = grid[1] - grid[0]
    m = marginal(gm, [0])
    assert m.covariance_type == ctype
    for x0 in (-1.0, 0.5, 3.0):
        pts = np.column_stack([np.full(grid.size, x0), grid])
        ref = logsumexp(gm.score_samples(pts)) + np.log(dx)
        np.testing.assert_allclose(m.score_samples([[x0]])[0], ref, atol=1e-6)


def test_marginal_reorders_and_keeps_weights():
    gm = _fit("full", d=3, k=2)
    m = marginal(gm, [2, 0])
    np.testing.assert_allclose(m.weights_, gm.weights_)
    np.testing.assert_allclose(m.means_, gm.means_[:, [2, 0]])
    np.testing.assert_allclose(m.covariances_, gm.covariances_[:, [2, 0]][:, :, [2, 0]])


@pytest.mark.parametrize("ctype", COV_TYPES)
def test_condition_weights_are_evidence(ctype):
    gm = _fit(ctype)
    cond = condition(gm, [0], [2.0])
    marg = marginal(gm, [0])
    # w_k N(x_a; component k) / p(x_a)
    per_comp = [
        np.log(gm.weights_[k])
        + stats.norm(marg.means_[k, 0], np.sqrt(full_covariances(marg)[k, 0, 0])).logpdf(2.0)
        for k in range(gm.n_components)
    ]
    np.testing.assert_allclose(
        np.log(cond.weights_), np.array(per_comp) - logsumexp(per_comp), atol=1e-10
    )


@pytest.mark.parametrize("ctype", COV_TYPES)
def test_batch_mean_equals_rowwise_condition(ctype):
    gm = _fit(ctype, d=3, k=3)
    values = np.random.default_rng(3).normal(1.5, 2.0, size=(25, 2))
    got = conditional_mean(gm, [0, 2], values)
    ref = np.array(
        [condition(gm, [0, 2], v).weights_ @ condition(gm, [0, 2], v).means_ for v in values]
    )
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)
    assert got.shape == (25, 1)


@pytest.mark.parametrize("ctype", COV_TYPES)
def test_batch_sample_follows_conditional(ctype):
    gm = _fit(ctype)
    n = 4000
    values = np.repeat([[0.8], [3.5]], n, axis=0)
    draws = sample_conditional(gm, [0], values, random_state=0)
    for value, part in ((0.8, draws[:n, 0]), (3.5, draws[n:, 0])):
        cond = condition(gm, [0], [value])
        sd = np.sqrt(full_covariances(cond)[:, 0, 0])

        def cdf(x, cond=cond, sd=sd):
            return stats.norm.cdf((np.asarray(x)[:, None] - cond.means_[:, 0]) / sd) @ cond.weights_

        assert stats.kstest(part, cdf).pvalue > 1e-3


def test_batch_sample_is_reproducible_and_vectorised():
    gm = _fit("full", d=3, k=2)
    values = np.random.default_rng(0).normal(size=(1000, 1))
    a = condition_batch(gm, [1], values, random_state=5)
    b = condition_batch(gm, [1], values, random_state=5)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (1000, 2)


def test_condition_by_name():
    X = _data(d=3)
    df = pd.DataFrame(X, columns=["flow", "temp", "level"])
    gm = _mixture_class()(2, random_state=0).fit(df)
    by_name = condition(gm, ["temp"], [1.0])
    by_idx = condition(gm, [1], [1.0])
    np.testing.assert_allclose(by_name.means_, by_idx.means_)
    assert list(by_name.feature_names_in_) == ["flow", "level"]
    assert list(marginal(gm, ["level"]).feature_names_in_) == ["level"]


def test_conditional_sample_and_fitted_api():
    cond = condition(_fit("diag", d=3), [0], [1.0])
    X, _labels = cond.sample(50)
    assert X.shape == (50, 2)
    assert np.isfinite(cond.score(X))


@pytest.mark.parametrize(
    ("columns", "values", "match"),
    [
        ([5], [1.0], "does not exist"),
        (["nope"], [1.0], "unknown column"),
        ([0, 1], [1.0, 2.0], "all 2 features"),
        ([], [], "empty"),
        ([0, 0], [1.0, 1.0], "more than once"),
        ([0], [1.0, 2.0], "one per given column"),
        ([0], [np.nan], "NaN"),
        ([1.5], [1.0], "integer indices or column names"),
    ],
)
def test_bad_conditioning(columns, values, match):
    gm = _fit("full")
    with pytest.raises(ParameterError, match=match):
        condition(gm, columns, values)


def test_bad_batch_input():
    gm = _fit("full", d=3)
    with pytest.raises(ParameterError, match=r"shape \(n_rows, 2\)"):
        condition_batch(gm, [0, 1], np.ones((4, 3)))
    with pytest.raises(ParameterError, match="valid options"):
        condition_batch(gm, [0], np.ones((4, 1)), mode="median")
    with pytest.raises(ParameterError, match="does not exist"):
        marginal(gm, [3])


def test_unfitted_model_is_refused():
    from densitykit.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        condition(_mixture_class()(2), [0], [1.0])


# --- property test: the precision-matrix form of the conditional, random mixtures -------------


def _random_full_mixture(seed, d, k):
    rng = np.random.default_rng(seed)
    gm = _mixture_class()(n_components=k, covariance_type="full")
    a = rng.normal(size=(k, d, d))
    cov = a @ np.swapaxes(a, 1, 2) + 0.5 * np.eye(d)
    w = rng.dirichlet(np.ones(k))
    return new_mixture(gm, w, rng.normal(0, 2, (k, d)), cov, "full")


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    d=st.integers(2, 6),
    k=st.integers(1, 4),
    data=st.data(),
)
def test_condition_equals_precision_form(seed, d, k, data):
    gm = _random_full_mixture(seed, d, k)
    n_given = data.draw(st.integers(1, d - 1))
    given = data.draw(st.permutations(range(d)))[:n_given]
    rest = sorted(set(range(d)) - set(given))
    x_a = np.random.default_rng(seed + 1).normal(size=n_given)
    cond = condition(gm, given, x_a)
    log_w = []
    for j in range(k):
        prec = np.linalg.inv(gm.covariances_[j])
        p_bb = prec[np.ix_(rest, rest)]
        p_ba = prec[np.ix_(rest, given)]
        cov_b = np.linalg.inv(p_bb)
        mean_b = gm.means_[j, rest] - cov_b @ p_ba @ (x_a - gm.means_[j, given])
        np.testing.assert_allclose(cond.means_[j], mean_b, rtol=1e-7, atol=1e-8)
        np.testing.assert_allclose(cond.covariances_[j], cov_b, rtol=1e-7, atol=1e-9)
        s_aa = gm.covariances_[j][np.ix_(given, given)]
        log_w.append(
            np.log(gm.weights_[j])
            + stats.multivariate_normal(gm.means_[j, given], s_aa).logpdf(x_a)
        )
    np.testing.assert_allclose(np.log(cond.weights_), np.array(log_w) - logsumexp(log_w), atol=1e-8)
    # the conditional density times the marginal density is the joint density
    x_b = np.random.default_rng(seed + 2).normal(size=len(rest))
    x = np.empty(d)
    x[given], x[rest] = x_a, x_b
    joint = gm.score_samples(x[None])[0]
    parts = cond.score_samples(x_b[None])[0] + marginal(gm, given).score_samples(x_a[None])[0]
    np.testing.assert_allclose(parts, joint, rtol=1e-9, atol=1e-9)
