"""DensityMixture: a fixed-weight mixture of whole density models."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.base import clone

from densitykit import DensityMixture, GaussianMixture, KernelDensity, Normal
from densitykit.exceptions import NotFittedError, ParameterError

X = np.random.default_rng(0).normal(size=(500, 2)) @ np.array([[1.0, 0.5], [0.0, 0.7]]) + 3.0


def test_log_density_is_the_weighted_mixture_of_its_parts():
    model = DensityMixture([Normal(), Normal(covariance_type="diag")], weights=[3, 1]).fit(X)
    np.testing.assert_allclose(model.weights_, [0.75, 0.25])
    reg = 1e-6 * np.eye(2)  # Normal's default reg_covar
    full = stats.multivariate_normal(X.mean(0), np.cov(X.T, bias=True) + reg)
    diag = stats.multivariate_normal(X.mean(0), np.diag(X.var(0)) + reg)
    Q = np.random.default_rng(1).normal(3.0, 2.0, size=(50, 2))
    expected = np.log(0.75 * full.pdf(Q) + 0.25 * diag.pdf(Q))
    np.testing.assert_allclose(model.score_samples(Q), expected, rtol=1e-10)
    assert model.score(Q) == pytest.approx(expected.sum())
    post = model.predict_proba(Q)
    np.testing.assert_allclose(post.sum(1), 1.0)
    np.testing.assert_allclose(post[:, 0], 0.75 * full.pdf(Q) / np.exp(expected))


def test_integrates_to_one_in_1d():
    x = X[:, :1]
    model = DensityMixture([KernelDensity(bandwidth=0.3), GaussianMixture(2, random_state=0)],
                           weights=[0.9, 0.1]).fit(x)
    grid = np.linspace(-5, 12, 20001)
    assert np.trapezoid(np.exp(model.score_samples(grid[:, None])), grid) == pytest.approx(
        1.0, abs=1e-6)


def test_samples_follow_the_weights_and_the_parts():
    model = DensityMixture([Normal(), KernelDensity(bandwidth=0.2)], weights=[0.2, 0.8]).fit(X)
    draws, labels = model.sample(40_000, random_state=0)
    assert draws.shape == (40_000, 2)
    share = np.mean(labels == 0)
    assert abs(share - 0.2) < 4 * np.sqrt(0.2 * 0.8 / 40_000)
    # rows come shuffled, not grouped by part
    assert 0.1 < np.mean(labels[:1000] == 0) < 0.3
    # the normal's draws have the data's covariance; the KDE's add the kernel's
    np.testing.assert_allclose(np.cov(draws[labels == 0].T), np.cov(X.T, bias=True), atol=0.05)
    np.testing.assert_allclose(np.cov(draws[labels == 1].T),
                               np.cov(X.T, bias=True) + 0.04 * np.eye(2), atol=0.05)
    again, _ = model.sample(40_000, random_state=0)
    np.testing.assert_array_equal(draws, again)


def test_a_zero_weight_part_is_never_drawn():
    model = DensityMixture([Normal(), KernelDensity(bandwidth=0.2)], weights=[0.0, 1.0]).fit(X)
    _, labels = model.sample(500, random_state=0)
    assert (labels == 1).all()
    np.testing.assert_allclose(model.score_samples(X[:5]),
                               KernelDensity(bandwidth=0.2).fit(X).score_samples(X[:5]))


def test_sample_weight_reaches_every_part():
    w = np.random.default_rng(2).integers(1, 4, size=len(X)).astype(float)
    parts = [Normal(), KernelDensity(bandwidth=0.4)]
    weighted = DensityMixture(parts).fit(X, sample_weight=w)
    repeated = DensityMixture(parts).fit(np.repeat(X, w.astype(int), axis=0))
    np.testing.assert_allclose(weighted.score_samples(X[:20]), repeated.score_samples(X[:20]),
                               rtol=1e-10)


def test_clone_and_params():
    model = DensityMixture([Normal(), KernelDensity(bandwidth=0.2)], weights=[0.5, 0.5])
    copy = clone(model)
    assert copy.densities[1].bandwidth == 0.2 and copy.densities[1] is not model.densities[1]
    model.fit(X)
    assert not hasattr(model.densities[0], "means_")  # the given densities stay unfitted


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"densities": []}, "at least one density"),
     ({"densities": Normal()}, "a list of at least one density"),
     ({"densities": [Normal(), "kde"]}, "fit, score_samples and sample"),
     ({"densities": [Normal(), Normal()], "weights": "0.9,0.1"}, "weights must be 2"),
     ({"densities": [Normal()], "weights": [0.5, 0.5]}, "weights must be 1"),
     ({"densities": [Normal(), Normal()], "weights": [1.0, -1.0]}, "non-negative"),
     ({"densities": [Normal(), Normal()], "weights": [0.0, 0.0]}, "not all zero"),
     ({"densities": [Normal(), Normal()], "weights": [np.nan, 1.0]}, "finite")],
)
def test_bad_weights(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        DensityMixture(**kwargs).fit(X)


def test_posterior_of_a_row_no_part_can_produce():
    tophat = KernelDensity(kernel="tophat", bandwidth=0.5)
    model = DensityMixture([tophat, tophat], weights=[0.3, 0.7]).fit(X)
    assert model.score_samples([[50.0, 50.0]])[0] == -np.inf
    np.testing.assert_allclose(model.predict_proba([[50.0, 50.0], X[0]]),
                               [[0.3, 0.7], [0.3, 0.7]])


def test_not_fitted():
    with pytest.raises(NotFittedError):
        DensityMixture([Normal()]).score_samples(X)


def test_model_file_and_info(tmp_path, capsys):
    from densitykit.cli import main
    from densitykit.persist import load, save

    model = DensityMixture([KernelDensity(bandwidth=0.2), Normal()], weights=[0.9, 0.1]).fit(X)
    save(model, tmp_path / "blend.dkm")
    again = load(tmp_path / "blend.dkm")
    np.testing.assert_array_equal(again.score_samples(X[:10]), model.score_samples(X[:10]))
    assert main(["info", str(tmp_path / "blend.dkm")]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith(": densitykit.DensityMixture")
    lines = [line.strip() for line in out.splitlines()]
    i = lines.index("densities:")
    assert lines[i + 1] == "[0] densitykit.KernelDensity"
    assert "[1] densitykit.Normal" in lines[i + 2:]
    assert "weights: [0.9, 0.1]" in lines
