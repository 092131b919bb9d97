"""Bad input to the Gaussian models gets a clear error (or a warning), never NaN parameters.
scikit-learn's estimator checks are in test_check_estimator.py."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from densitykit import GaussianMixture, Normal
from densitykit.exceptions import (
    DataError,
    DataTypeError,
    DensityKitError,
    NotFittedError,
    ParameterError,
)

ESTIMATORS = [GaussianMixture(2, random_state=0), Normal()]
X_OK = np.random.default_rng(0).normal(size=(50, 3))


def _bad(X, match, est=None, exc=DensityKitError):
    for e in ([est] if est is not None else ESTIMATORS):
        with pytest.raises(exc, match=match):
            e.fit(X)


def test_nan_is_an_empty_cell_and_inf_is_refused():
    X = X_OK.copy()
    X[3, 1] = np.nan
    for est in ESTIMATORS:  # an empty cell is integrated out, not an error
        assert np.isfinite(est.fit(X).score_samples(X)).all()
    X[3, 1] = np.inf
    _bad(X, "infinity")


def test_empty_and_one_row():
    _bad(np.empty((0, 3)), "0 sample")
    _bad(X_OK[:1], "1 sample")


def test_fewer_rows_than_components():
    with pytest.raises(DataError, match="at least 5 samples"):
        GaussianMixture(5).fit(X_OK[:4])


def test_1d_array_explains_reshape():
    _bad(X_OK[:, 0], r"reshape\(-1, 1\)")


def test_non_numeric():
    X = X_OK.astype(object)
    X[2, 2] = "abc"
    _bad(X, "non-numeric.*'abc' at row 2, column 2")
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"]})
    _bad(df, r"non-numeric column\(s\) \['b'\]")
    _bad("data.csv", "2-D array-like", exc=DataTypeError)
    _bad(object(), "non-numeric data .*object object", exc=DataTypeError)  # no ValueError


def test_huge_values_rejected_clearly():
    X = X_OK * 1e300
    _bad(X, "overflow")


def test_constant_column_fits_with_a_warning():
    X = X_OK.copy()
    X[:, 1] = 7.0
    for est in ESTIMATORS:
        with pytest.warns(UserWarning, match=r"Column\(s\) \[1\].*constant"):
            est.fit(X)
        assert np.all(np.isfinite(est.score_samples(X)))


def test_duplicated_columns_fit():
    X = np.c_[X_OK, X_OK[:, :1]]
    for est in ESTIMATORS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X)
        assert np.all(np.isfinite(est.score_samples(X)))


def test_wrong_feature_count_at_predict():
    for est in ESTIMATORS:
        est.fit(X_OK)
        with pytest.raises(DataError, match=r"X has 2 features, but .* is expecting 3"):
            est.score_samples(X_OK[:, :2])


def test_not_fitted():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        GaussianMixture().score_samples(X_OK)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"covariance_type": "banana"}, "'full', 'tied', 'diag', 'spherical'"),
        ({"init_params": "best"}, "valid options are 'kmeans'"),
        ({"n_components": 0}, "n_components must be an integer >= 1"),
        ({"reg_covar": -1.0}, "reg_covar must be a finite number >= 0"),
        ({"means_init": np.zeros((3, 3))}, r"means_init must have shape \(2, 3\)"),
        ({"means_init": np.full((2, 3), np.nan)}, "means_init contains NaN or inf"),
        ({"weights_init": [0.2, 0.2]}, "weights_init should be normalized"),
        ({"precisions_init": -np.ones((2, 3)), "covariance_type": "diag"},
         "precisions_init .* should be positive"),
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises(ParameterError, match=match):
        GaussianMixture(**{"n_components": 2, **params}).fit(X_OK)


def test_bad_sample_weight_and_sample_size():
    gm = GaussianMixture(2, random_state=0)
    with pytest.raises(DataError, match="negative"):
        gm.fit(X_OK, sample_weight=-np.ones(50))
    with pytest.raises(DataError, match=r"shape \(50,\)"):
        gm.fit(X_OK, sample_weight=np.ones(3))
    gm.fit(X_OK)
    with pytest.raises(DataError, match="n_samples must be an integer >= 1"):
        gm.sample(0)
    with pytest.raises(DataError, match="n_samples must be an integer >= 1"):
        Normal().fit(X_OK).sample(-2)


def test_spherical_only_types_for_normal():
    with pytest.raises(DataError, match="'full', 'diag', 'spherical'"):
        Normal("tied").fit(X_OK)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(2, 40),
    d=st.integers(1, 4),
    k=st.integers(1, 3),
    ctype=st.sampled_from(["full", "tied", "diag", "spherical"]),
    scale=st.sampled_from([1e-6, 1.0, 1e6]),
    seed=st.integers(0, 2**16),
)
def test_any_shape_and_scale_fits_to_finite_parameters(n, d, k, ctype, scale, seed):
    X = np.random.default_rng(seed).normal(size=(n, d)) * scale + scale
    gm = GaussianMixture(k, covariance_type=ctype, random_state=seed, reg_covar=1e-6 * scale**2)
    if n < k:
        with pytest.raises(DataError, match=f"at least {k} samples"):
            gm.fit(X)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm.fit(X)
    for attr in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        assert np.all(np.isfinite(getattr(gm, attr))), attr
    ll = gm.score_samples(X)
    assert ll.shape == (n,) and np.all(np.isfinite(ll))
    assert gm.predict_proba(X).shape == (n, k)
    np.testing.assert_allclose(gm.predict_proba(X).sum(1), 1.0)
