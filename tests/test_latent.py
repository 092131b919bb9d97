"""LatentDensity: a density in a PCA space that is a true density in the original space."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp
from sklearn.decomposition import PCA, KernelPCA, TruncatedSVD

from densitykit.exceptions import DataError, NotFittedError, ParameterError
from densitykit.gaussian import GaussianMixture, Normal
from densitykit.latent import LatentDensity

pytestmark = pytest.mark.filterwarnings("ignore:Column")


def _low_rank(n=400, d=8, q=2, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    z = np.vstack([rng.normal(-2, 1, (n // 2, q)), rng.normal(2, 0.5, (n // 2, q))])
    return z @ rng.normal(size=(q, d)) + 3.0 + noise * rng.normal(size=(n, d))


def test_equals_probabilistic_pca_with_one_gaussian():
    X = _low_rank()
    d = X.shape[1]
    model = LatentDensity(PCA(3), Normal(covariance_type="full", reg_covar=0.0)).fit(X)
    # probabilistic PCA in closed form (maximum-likelihood variances, denominator n)
    evals, evecs = np.linalg.eigh(np.cov(X.T, bias=True))
    evals, evecs = evals[::-1], evecs[:, ::-1]
    sigma2 = evals[3:].mean()
    cov = (evecs[:, :3] * evals[:3]) @ evecs[:, :3].T + sigma2 * (
        np.eye(d) - evecs[:, :3] @ evecs[:, :3].T
    )
    ref = stats.multivariate_normal(X.mean(0), cov).logpdf(X)
    np.testing.assert_allclose(model.noise_variance_, sigma2, rtol=1e-10)
    np.testing.assert_allclose(model.score_samples(X), ref, rtol=1e-9)
    assert model.n_latent_ == 3 and model.n_noise_dims_ == d - 3


def test_integrates_to_one_in_the_original_space():
    rng = np.random.default_rng(1)
    t = rng.normal(size=(500, 1))
    X = np.hstack([t, 0.6 * t]) + 0.2 * rng.normal(size=(500, 2))
    model = LatentDensity(PCA(1), GaussianMixture(2, random_state=0)).fit(X)
    g = np.linspace(-6, 6, 601)
    a, b = np.meshgrid(g, g, indexing="ij")
    logp = model.score_samples(np.column_stack([a.ravel(), b.ravel()]))
    total = np.exp(logsumexp(logp) + 2 * np.log(g[1] - g[0]))
    assert abs(total - 1.0) < 1e-3


def test_whitening_and_scaling_reducers_give_the_same_density():
    X = _low_rank()
    plain = LatentDensity(PCA(2), Normal(reg_covar=0.0)).fit(X)
    white = LatentDensity(PCA(2, whiten=True), Normal(reg_covar=0.0)).fit(X)
    np.testing.assert_allclose(white.score_samples(X), plain.score_samples(X), rtol=1e-9)


def test_keeping_every_direction_equals_a_direct_mixture():
    X = _low_rank(d=4, noise=0.5)
    latent = LatentDensity(PCA(4), Normal(reg_covar=0.0)).fit(X)
    direct = Normal(reg_covar=0.0).fit(X)
    np.testing.assert_allclose(latent.score_samples(X), direct.score_samples(X), rtol=1e-9)
    assert latent.n_noise_dims_ == 0
    assert latent.n_parameters() == direct.n_parameters()


def test_variance_fraction_and_default_models():
    X = _low_rank(noise=0.05)
    model = LatentDensity(n_components=0.99).fit(X)
    assert isinstance(model.density_, GaussianMixture)
    cum = np.cumsum(PCA().fit(X).explained_variance_ratio_)
    assert model.n_latent_ == int(np.searchsorted(cum, 0.99) + 1)
    assert 1 < model.n_latent_ < X.shape[1]


def test_bic_compares_honestly_with_a_direct_mixture():
    X = _low_rank(n=600, d=10, noise=0.1)
    latent = LatentDensity(PCA(2), GaussianMixture(2, random_state=0)).fit(X)
    direct = GaussianMixture(2, random_state=0).fit(X)
    q, d = 2, 10
    assert latent.n_parameters() == latent.density_.n_parameters() + q * (d - q) + (d - q) + 1
    assert latent.bic(X) < direct.bic(X)
    n = len(X)
    np.testing.assert_allclose(
        latent.bic(X), -2 * latent.score_samples(X).sum() + latent.n_parameters() * np.log(n)
    )
    np.testing.assert_allclose(
        latent.aic(X), -2 * latent.score_samples(X).sum() + 2 * latent.n_parameters()
    )


def test_sample_matches_model_moments():
    X = _low_rank(n=2000, d=6, noise=0.3)
    model = LatentDensity(PCA(2), Normal(reg_covar=0.0)).fit(X)
    S = model.sample(40000, random_state=0)
    assert S.shape == (40000, 6)
    np.testing.assert_allclose(S.mean(0), X.mean(0), atol=0.05)
    np.testing.assert_allclose(np.cov(S.T), np.cov(X.T, bias=True), atol=0.1)
    np.testing.assert_array_equal(S[:5], model.sample(40000, random_state=0)[:5])
    # the samples score like the data they mimic
    assert abs(model.score(S) - model.score(X)) < 0.05


def test_inverse_transform_is_pca_inverse():
    X = _low_rank()
    model = LatentDensity(PCA(3), Normal()).fit(X)
    pca = model.reducer_
    Z = model.transform(X[:10])
    np.testing.assert_allclose(Z, pca.transform(X[:10]), atol=1e-10)
    np.testing.assert_allclose(model.inverse_transform(Z), pca.inverse_transform(Z), atol=1e-10)


def test_truncated_svd_without_centring_is_a_true_density():
    X = _low_rank(noise=0.3)
    a = LatentDensity(TruncatedSVD(3, random_state=0), Normal(reg_covar=0.0)).fit(X)
    assert np.all(np.isfinite(a.score_samples(X)))


def test_bad_input():
    X = _low_rank()
    with pytest.raises(ParameterError, match="not a linear map"):
        LatentDensity(KernelPCA(2, kernel="rbf"), Normal()).fit(X)
    with pytest.raises(ParameterError, match="fit and transform"):
        LatentDensity(object(), Normal()).fit(X)
    with pytest.raises(ParameterError, match="variance fraction"):
        LatentDensity(n_components=1.5).fit(X)
    with pytest.raises(NotFittedError):
        LatentDensity().score_samples(X)
    model = LatentDensity(PCA(2), Normal()).fit(X)
    with pytest.raises(DataError):
        model.score_samples(X[:, :3])
