"""Fidelity and privacy metrics on cases whose answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from densitykit import evaluate as ev
from densitykit.exceptions import DataError


@pytest.fixture
def correlated():
    rng = np.random.default_rng(0)
    cov = [[1.0, 0.8, 0.3], [0.8, 1.0, 0.5], [0.3, 0.5, 1.0]]
    X = rng.multivariate_normal([0.0, 5.0, -2.0], cov, size=2000)
    return pd.DataFrame(X, columns=["a", "b", "c"])


def test_identical_tables_score_perfectly(correlated):
    res = ev.evaluate(correlated, correlated.copy(), detection=False, privacy=False)
    assert res.column_similarity == 1.0
    assert res.wasserstein == 0.0
    assert res.correlation_similarity == 1.0
    assert res.trend_similarity == 1.0
    levels = {v.metric: v.level for v in res.verdicts()}
    assert set(levels.values()) == {"good"}


def test_ks_complement_matches_scipy():
    rng = np.random.default_rng(1)
    for n, m in [(50, 80), (300, 300), (17, 1000)]:
        a, b = rng.normal(size=n), rng.standard_t(3, size=m) * 1.3
        a[::7] = 0.5  # ties
        b[::5] = 0.5
        expected = 1.0 - stats.ks_2samp(a, b).statistic
        assert ev.ks_complement(a, b) == pytest.approx(expected, abs=1e-12)


def test_wasserstein_equal_size_is_mean_sorted_gap():
    rng = np.random.default_rng(2)
    a, b = rng.gamma(2.0, size=400), rng.normal(size=400)
    ref = np.mean(np.abs(np.sort(a) - np.sort(b))) / a.std()
    assert ev.scaled_wasserstein(a, b) == pytest.approx(ref, rel=1e-10)


def test_shifted_means_score_as_theory_says(correlated):
    shift = 0.5
    shifted = correlated + shift * correlated.std(ddof=0)
    cols = ev.column_similarity(correlated, shifted)
    # a pure shift moves every quantile by `shift` standard deviations
    np.testing.assert_allclose(cols["wasserstein"], shift, rtol=1e-10)
    # KS statistic of N(0,1) vs N(d,1) is 2*Phi(d/2) - 1
    expected = 1.0 - (2 * stats.norm.cdf(shift / 2) - 1)
    np.testing.assert_allclose(cols["ks_complement"], expected, atol=0.03)
    # correlations are untouched by a shift
    assert ev.correlation_similarity(correlated, shifted)[0] == pytest.approx(1.0)
    res = ev.evaluate(correlated, shifted, privacy=False)
    # the best possible classifier of two Gaussians with equal covariance: Phi(delta / 2)
    delta_vec = shift * correlated.std(ddof=0).to_numpy()
    delta = np.sqrt(delta_vec @ np.linalg.solve(correlated.cov().to_numpy(), delta_vec))
    assert stats.norm.cdf(delta / 2) - 0.06 < res.detection_auc < stats.norm.cdf(delta / 2) + 0.02
    assert {v.metric: v.level for v in res.verdicts()}[
        "Per-column similarity (KS complement)"] == "poor"


def test_shuffled_columns_keep_marginals_and_lose_correlation(correlated):
    rng = np.random.default_rng(3)
    shuffled = correlated.apply(lambda c: rng.permutation(c.to_numpy()))
    res = ev.evaluate(correlated, shuffled, privacy=False)
    assert res.column_similarity == 1.0
    assert res.wasserstein == pytest.approx(0.0, abs=1e-12)
    C = correlated.corr().to_numpy()
    expected = 1 - np.mean(np.abs(C[np.triu_indices(3, 1)])) / 2
    assert res.correlation_similarity == pytest.approx(expected, abs=0.03)
    assert res.trend_similarity < 0.85
    assert res.detection_auc > 0.7
    levels = {v.metric: v.level for v in res.verdicts()}
    assert levels["Correlation similarity"] == "poor"
    assert levels["Per-column similarity (KS complement)"] == "good"


def test_same_distribution_is_hard_to_detect(correlated):
    rng = np.random.default_rng(4)
    other = rng.multivariate_normal(
        correlated.mean(), np.cov(correlated.to_numpy(), rowvar=False), size=2000
    )
    auc = ev.detection_auc(correlated, other)
    assert 0.4 < auc < 0.6
    res = ev.evaluate(correlated, other, privacy=False)
    assert res.column_similarity > 0.95
    assert res.correlation_similarity > 0.98
    assert res.trend_similarity > 0.9


def test_trend_similarity_matches_histogram2d_reference():
    rng = np.random.default_rng(5)
    R, S = rng.normal(size=(500, 2)), rng.normal(size=(700, 2)) * [1.0, 2.0]
    score, table, sub = ev.trend_similarity(R, S, bins=4)
    qa = np.quantile(R[:, 0], [0.25, 0.5, 0.75])
    qb = np.quantile(R[:, 1], [0.25, 0.5, 0.75])
    edges_a = np.r_[-np.inf, qa, np.inf]
    edges_b = np.r_[-np.inf, qb, np.inf]
    hr = np.histogram2d(R[:, 0], R[:, 1], [edges_a, edges_b])[0] / len(R)
    hs = np.histogram2d(S[:, 0], S[:, 1], [edges_a, edges_b])[0] / len(S)
    assert score == pytest.approx(1 - 0.5 * np.abs(hr - hs).sum(), abs=1e-12)
    assert not sub and len(table) == 1


def test_copied_rows_are_caught(correlated):
    rng = np.random.default_rng(6)
    train, holdout = correlated.iloc[:1500], correlated.iloc[1500:]
    fresh = pd.DataFrame(
        rng.multivariate_normal(train.mean(), train.cov(), size=1000), columns=train.columns
    )
    clean = ev.privacy_check(train, fresh, holdout)
    assert clean.n_copies == 0
    assert clean.share_closer < 0.15
    assert clean.reference == "holdout"
    leaky = pd.concat([fresh.iloc[:900], train.iloc[:100]])
    res = ev.privacy_check(train, leaky, holdout)
    assert res.n_copies == 100
    assert res.share_closer >= 0.1
    full = ev.evaluate(train, leaky, holdout=holdout, detection=False)
    assert full.privacy.n_copies == 100
    assert {v.metric: v.level for v in full.verdicts()}["Privacy (closest real row)"] == "poor"
    # a table made of training rows only is all copies, even without held-out rows
    assert ev.privacy_check(train, train.iloc[:50]).n_copies == 50
    assert ev.privacy_check(train, train.iloc[:50]).reference == "leave-one-out"


def test_heldout_loglik_and_gaussian_baseline(correlated):
    from sklearn.mixture import GaussianMixture

    train, test = correlated.iloc[:1500], correlated.iloc[1500:]
    gm = GaussianMixture(1, covariance_type="full", random_state=0).fit(train.to_numpy())
    mvn = stats.multivariate_normal(gm.means_[0], gm.covariances_[0])
    assert ev.heldout_loglik(gm, test) == pytest.approx(mvn.logpdf(test).mean(), rel=1e-10)
    res = ev.evaluate(train, test, holdout=test, model=gm, detection=False, privacy=False)
    assert res.baseline_loglik == pytest.approx(res.heldout_loglik, abs=0.01)
    assert res.heldout_loglik_median == pytest.approx(np.median(mvn.logpdf(test)), rel=1e-10)
    assert res.summary()["heldout_loglik"] == res.heldout_loglik


def test_wide_and_long_tables_are_subsampled_and_say_so():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(3000, 30))
    res = ev.evaluate(X, X, max_rows=1000, max_pairs=100, detection=False, privacy=False)
    assert len(res.pairs) == 100
    assert any("1,000 rows" in n for n in res.notes)
    assert any("100 of the 435" in n for n in res.notes)
    small = ev.evaluate(X[:500, :5], X[:500, :5], detection=False, privacy=False)
    assert small.notes == []


def test_constant_column_is_handled():
    rng = np.random.default_rng(8)
    X = np.column_stack([rng.normal(size=300), np.full(300, 4.0)])
    res = ev.evaluate(X, X, detection=False)
    assert np.isfinite(res.wasserstein)
    assert res.correlation_similarity == 1.0


def test_bad_inputs_give_clear_errors(correlated):
    with pytest.raises(DataError, match="lacks column"):
        ev.column_similarity(correlated, correlated.rename(columns={"a": "z"}))
    bad = correlated.copy()
    bad.iloc[3, 1] = np.nan
    with pytest.raises(DataError, match="NaN"):
        ev.evaluate(correlated, bad)
    with pytest.raises(DataError, match="2-D"):
        ev.column_similarity(np.arange(5.0), np.arange(5.0))
    with pytest.raises(DataError, match="non-numeric"):
        ev.column_similarity(pd.DataFrame({"a": ["x", "y"]}), pd.DataFrame({"a": [1.0, 2.0]}))


def test_columns_are_matched_by_name(correlated):
    reordered = correlated[["c", "a", "b"]]
    assert ev.evaluate(correlated, reordered, detection=False, privacy=False)\
        .correlation_similarity == 1.0


def test_the_representation_is_the_verdicts(correlated):
    """In a notebook an evaluation shows its verdicts, one line each, not its tables."""
    result = ev.evaluate(correlated, correlated.iloc[::-1], detection=False, privacy=False)
    text = repr(result)
    lines = text.splitlines()
    assert lines[0].startswith(f"<Evaluation of {len(correlated):,} synthetic rows")
    assert [line.split(":")[0].split(maxsplit=1)[1] for line in lines[1:]] == [
        v.metric for v in result.verdicts()]
    assert len(lines) == 1 + len(result.verdicts()) >= 5 and text.endswith(">")


@pytest.mark.parametrize("n", [12, 25, 60])
def test_detection_tells_small_unlike_tables_apart(n):
    """With leaves of 20 rows the classifier never split folds of under 40 rows, and
    tables 50 standard deviations apart scored 0.5, 'hard to tell apart'."""
    rng = np.random.default_rng(0)
    real = rng.normal(size=(n, 2))
    assert ev.detection_auc(real, rng.normal(50.0, 1.0, size=(n, 2))) > 0.8
    assert ev.detection_auc(real, rng.normal(size=(n, 2))) < 0.8


def test_privacy_ratio_of_a_table_of_few_distinct_rows_is_one_not_infinite():
    """Categories only, two of them: every row repeats in the training rows, the held-out
    ones as much as the synthetic ones; the ratio of the two medians (0 and 0) is 1."""
    rng = np.random.default_rng(0)
    train, held, synthetic = (pd.DataFrame({"g": rng.choice(["a", "b"], n)})
                              for n in (200, 100, 200))
    p = ev.privacy_check(train, synthetic, held)
    assert np.median(p.dcr_reference) == np.median(p.dcr_synthetic) == 0
    assert p.median_ratio == 1.0
    shifted = ev.privacy_check(train, pd.DataFrame({"g": ["c"] * 10}), held)
    assert shifted.median_ratio == float("inf")
