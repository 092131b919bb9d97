"""A density fitted in a reduced space that is still a true density in the original space.

:class:`LatentDensity` fits a linear reducer (PCA by default), models the reduced
coordinates ``z`` with any density (a Gaussian mixture by default) and models the discarded
directions as isotropic Gaussian noise, exactly as probabilistic PCA does. For a row ``x``
with centred value ``u = x - mean``, ``z = V u + z0`` and residual ``r = u - P u`` (``P`` the
projection onto the row space of ``V``)::

    log p(x) = log p_z(z) + log |det V|_+ + log N(r; 0, sigma^2 I_{D-q})

where ``|det V|_+`` is the product of the singular values of ``V`` (the Jacobian of the map
onto the retained directions) and ``sigma^2`` is the mean squared residual per discarded
direction (the probabilistic-PCA maximum-likelihood estimate, the mean of the discarded PCA
eigenvalues). ``score_samples``, ``bic`` and ``aic`` are therefore comparable with those of a
mixture fitted directly to ``X``, and ``sample`` draws ``z``, maps it back with the inverse
transform and adds the noise in the discarded directions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _state
from ._estimator import BaseEstimator, DensityMixin, TransformerMixin, clone
from ._validation import (
    check_data,
    check_int,
    check_is_fitted,
    check_nonneg_float,
    check_random_state,
)
from .density import aic as density_aic
from .density import bic as density_bic
from .density import draw_rows
from .density import n_parameters as count_parameters  # the protocol's count, under its old name
from .exceptions import DataError, FitError, ParameterError

__all__ = ["LatentDensity", "count_parameters"]

_LOG_2PI = np.log(2.0 * np.pi)


def _default_density() -> Any:
    try:
        from .gaussian import GaussianMixture
    except ImportError:  # pragma: no cover - the engine ships with densitykit
        from sklearn.mixture import GaussianMixture

        return GaussianMixture()
    return GaussianMixture(reg_covar="auto")  # the latent coordinates keep X's units


def linear_map(reducer: Any, X: np.ndarray, centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Recover ``V`` and ``z0`` with ``reducer.transform(x) = (x - centre) @ V.T + z0``.

    Checks on rows of ``X`` that the reducer really is linear (affine).
    """
    d = X.shape[1]
    z0 = np.asarray(reducer.transform(centre[None]), dtype=np.float64)[0]
    basis = np.asarray(reducer.transform(centre + np.eye(d)), dtype=np.float64) - z0
    probe = X[: min(len(X), 32)]
    pred = (probe - centre) @ basis + z0
    got = np.asarray(reducer.transform(probe), dtype=np.float64)
    scale = np.abs(got).max() + np.abs(z0).max() + 1.0
    if got.shape != pred.shape or np.abs(got - pred).max() > 1e-7 * scale:
        raise ParameterError(
            f"reducer {type(reducer).__name__} is not a linear map, so the density of the "
            "original space cannot be recovered from the reduced one. Use a linear reducer "
            "(PCA, TruncatedSVD, FactorAnalysis-free projections)."
        )
    return basis.T, z0


def _row_space(v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SVD ``V = U diag(s) Q`` restricted to the numerical rank."""
    u, s, q = np.linalg.svd(v, full_matrices=False)
    keep = s > s.max(initial=0.0) * max(v.shape) * np.finfo(float).eps
    if not np.all(keep):
        raise DataError(
            "The reducer maps onto fewer independent directions than it has outputs "
            f"({int(keep.sum())} of {len(s)}); lower its number of components."
        )
    return u, s, q


def _residual_sq(u: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Squared norm of the part of each centred row ``u`` orthogonal to the rows of ``q``."""
    r = u - (u @ q.T) @ q
    return np.einsum("ij,ij->i", r, r)


class LatentDensity(TransformerMixin, DensityMixin, BaseEstimator):
    """Density in a linear latent space plus isotropic noise in the discarded directions.

    Parameters
    ----------
    reducer : estimator, default=None
        A linear reducer with ``fit`` and ``transform`` (PCA, TruncatedSVD, ...). ``None``
        uses ``PCA(n_components)``.
    density : estimator, default=None
        Density for the reduced coordinates. ``None`` uses densitykit's ``GaussianMixture``
        with ``reg_covar='auto'`` (the coordinates are in the units of ``X``).
    n_components : int or float, default=0.95
        For the default PCA only: the number of retained directions, or the fraction of
        variance to keep when in (0, 1).
    noise_floor : float, default=1e-6
        Lower bound on the noise variance, relative to the mean variance of the features
        (keeps the density finite when the data lie exactly in the retained subspace).

    Attributes
    ----------
    reducer_, density_ : fitted estimators
    mean_ : ndarray of shape (n_features,)
    noise_variance_ : float
        Variance of the isotropic noise in each of the ``n_noise_dims_`` discarded directions.
    n_latent_ : int
        Number of retained directions.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.mixture import GaussianMixture
    >>> from densitykit.latent import LatentDensity
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2)) @ rng.normal(size=(2, 6)) + 0.05 * rng.normal(size=(300, 6))
    >>> model = LatentDensity(density=GaussianMixture(2, random_state=0), n_components=2).fit(X)
    >>> model.n_latent_, model.sample(5, random_state=0).shape
    (2, (5, 6))
    >>> bool(model.bic(X) < GaussianMixture(2, random_state=0).fit(X).bic(X))
    True
    """

    def __init__(
        self,
        reducer: Any = None,
        density: Any = None,
        *,
        n_components: int | float = 0.95,
        noise_floor: float = 1e-6,
    ) -> None:
        self.reducer = reducer
        self.density = density
        self.n_components = n_components
        self.noise_floor = noise_floor

    def _make_reducer(self) -> Any:
        if self.reducer is not None:
            if not hasattr(self.reducer, "fit") or not hasattr(self.reducer, "transform"):
                raise ParameterError(
                    "reducer must be an estimator with fit and transform (for example PCA); "
                    f"got {type(self.reducer).__name__}."
                )
            return clone(self.reducer)
        from sklearn.decomposition import PCA

        nc = self.n_components
        if isinstance(nc, float) and not isinstance(nc, bool):
            if not 0.0 < nc < 1.0:
                raise ParameterError(
                    f"n_components as a float is a variance fraction in (0, 1); got {nc}. "
                    "Give an integer for a number of directions."
                )
            return PCA(n_components=nc, svd_solver="full")
        return PCA(n_components=check_int(nc, "n_components", minimum=1))

    def fit(self, X: ArrayLike, y: Any = None) -> LatentDensity:
        """Fit the reducer, the noise level and the latent density.

        The reducer is fitted to ``X`` and checked to be linear; the noise variance is the
        mean squared residual per discarded direction (at least ``noise_floor`` times the
        mean variance of the features); the density is fitted to the latent coordinates.
        ``X`` is used in float64 whatever its precision.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows, at least 2. They must be complete: an empty (NaN) cell is
            refused with a :class:`~densitykit.exceptions.DataError`.
        y : None
            Ignored; there for scikit-learn's pipelines.

        Returns
        -------
        self : LatentDensity
            The estimator itself, fitted.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import LatentDensity
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 5))
        >>> X += 0.1 * rng.normal(size=X.shape)
        >>> model = LatentDensity(n_components=2).fit(X)
        >>> model.n_latent_, model.n_noise_dims_, type(model.density_).__name__
        (2, 3, 'GaussianMixture')
        """
        X = check_data(self, X, reset=True, min_samples=2, dtype=np.float64)
        floor = check_nonneg_float(self.noise_floor, "noise_floor")
        reducer = self._make_reducer()
        try:
            reducer.fit(X)
        except (ValueError, np.linalg.LinAlgError) as exc:
            raise FitError(f"The reducer could not be fitted: {exc}") from exc
        self.reducer_ = reducer
        self.mean_ = X.mean(axis=0)
        v, self._z0 = linear_map(reducer, X, self.mean_)
        self._u, self._s, self._q = _row_space(v)
        self.n_latent_ = int(self._s.size)
        self.n_noise_dims_ = X.shape[1] - self.n_latent_
        if self.n_noise_dims_ > 0:
            resid = _residual_sq(X - self.mean_, self._q).sum()
            sigma2 = resid / (X.shape[0] * self.n_noise_dims_)
            self.noise_variance_ = max(sigma2, floor * max(X.var(axis=0).mean(), 1e-300))
        else:
            self.noise_variance_ = 0.0
        density = _default_density() if self.density is None else clone(self.density)
        try:
            self.density_ = density.fit(self._to_latent(X))
        except (ValueError, np.linalg.LinAlgError) as exc:
            raise FitError(
                f"The latent density could not be fitted in {self.n_latent_} dimensions: {exc}"
            ) from exc
        return self

    def _check_fitted_state(self) -> None:
        """Check a fitted state read from a model file (see :mod:`densitykit._state`): the
        latent map ``(mean_, _q, _s, _u, _z0)``, the noise and the latent density."""
        D = _state.need_int(self, "n_features_in_", minimum=1)
        _state.need_array(self, "mean_", shape=(D,))
        q = _state.need_int(self, "n_latent_", minimum=1, maximum=D)
        _state.need_array(self, "_s", shape=(q,), positive=True)
        _state.need_array(self, "_q", shape=(q, D))
        _state.need_array(self, "_u", shape=(q, q))
        _state.need_array(self, "_z0", shape=(q,))
        e = _state.need_int(self, "n_noise_dims_", minimum=0)
        if e != D - q:
            raise _state.StateError("n_noise_dims_", f"is {e}, but {D} features less "
                                    f"{q} latent directions leave {D - q}")
        _state.need_float(self, "noise_variance_", positive=e > 0, nonneg=True)
        _state.need_density(self, "density_", n_features=q,
                            methods=("score_samples", "sample"))
        _state.need_density(self, "reducer_", methods=("transform",))

    def _to_latent(self, X: np.ndarray) -> np.ndarray:
        u = X - self.mean_
        return (u @ self._q.T) * self._s @ self._u.T + self._z0

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Return the latent coordinates of ``X`` (the reducer's ``transform``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with the features seen in ``fit``. They must be complete: an empty (NaN)
            cell is refused with a :class:`~densitykit.exceptions.DataError`.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_latent_)
            The coordinates the latent density models (for the default PCA, in the
            units of ``X``).

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import LatentDensity
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 5))
        >>> X += 0.1 * rng.normal(size=X.shape)
        >>> model = LatentDensity(n_components=2).fit(X)
        >>> model.transform(X[:3]).shape
        (3, 2)
        """
        check_is_fitted(self, "density_")
        return self._to_latent(check_data(self, X, reset=False, dtype=np.float64))

    def inverse_transform(self, Z: ArrayLike) -> np.ndarray:
        """Map latent coordinates back to the original space (no noise added).

        The result lies in the retained subspace: ``transform(inverse_transform(Z))`` is
        ``Z``, while ``inverse_transform(transform(X))`` is the projection of ``X`` onto the
        subspace, without its residual.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_latent_)
            Latent coordinates (a flat array is read as rows of ``n_latent_`` values).

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            Points of the original space.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import LatentDensity
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 5))
        >>> X += 0.1 * rng.normal(size=X.shape)
        >>> model = LatentDensity(n_components=2).fit(X)
        >>> Z = model.transform(X[:3])
        >>> model.inverse_transform(Z).shape
        (3, 5)
        >>> bool(np.allclose(model.transform(model.inverse_transform(Z)), Z))
        True
        """
        check_is_fitted(self, "density_")
        Z = np.asarray(Z, dtype=np.float64).reshape(-1, self.n_latent_)
        return self.mean_ + ((Z - self._z0) @ self._u / self._s) @ self._q

    def score_samples(self, X: ArrayLike) -> np.ndarray:
        """Return the log-density of each row in the original space.

        The latent density's log-density of the row's coordinates, plus the log-Jacobian
        of the map onto them, plus the log-density of its residual under the isotropic
        noise (see the module documentation): a true log-density of ``X``, comparable with
        that of a density fitted to ``X`` directly.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with the features seen in ``fit``. They must be complete: an empty (NaN)
            cell is refused with a :class:`~densitykit.exceptions.DataError`.

        Returns
        -------
        ndarray of shape (n_samples,)
            Log-density of each row, in nats (per row, in the units of ``X``).

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import LatentDensity
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 5))
        >>> X += 0.1 * rng.normal(size=X.shape)
        >>> model = LatentDensity(n_components=2).fit(X)
        >>> on = model.score_samples(X[:3])
        >>> off = X[:3] + rng.normal(size=(3, 5))  # the same rows pushed off their plane
        >>> on.shape, bool(np.all(on > model.score_samples(off)))
        ((3,), True)
        """
        check_is_fitted(self, "density_")
        X = check_data(self, X, reset=False, dtype=np.float64)
        u = X - self.mean_
        out = self.density_.score_samples(self._to_latent(X)) + np.log(self._s).sum()
        if self.n_noise_dims_ > 0:
            var = self.noise_variance_
            out += -0.5 * self.n_noise_dims_ * (_LOG_2PI + np.log(var))
            out -= 0.5 * _residual_sq(u, self._q) / var
        return out

    def score(self, X: ArrayLike, y: Any = None) -> float:
        """Return the mean log-density of the rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with the features seen in ``fit``. They must be complete: an empty (NaN)
            cell is refused with a :class:`~densitykit.exceptions.DataError`.
        y : None
            Ignored; there for scikit-learn's pipelines.

        Returns
        -------
        float
            Mean of :meth:`score_samples`: the log-likelihood per row, in nats.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import LatentDensity
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 5))
        >>> X += 0.1 * rng.normal(size=X.shape)
        >>> model = LatentDensity(n_components=2).fit(X)
        >>> bool(model.score(X) > model.score(X + rng.normal(size=X.shape)))  # off the plane
        True
        """
        return float(np.mean(self.score_samples(X)))

    def n_parameters(self) -> int:
        """Free parameters: the latent density, the subspace, the noise mean and level.

        The subspace is a point of the Grassmannian (``q (D - q)`` parameters); the latent
        density already owns location and scale inside it, the noise adds a mean in the
        ``D - q`` discarded directions and one variance.

        Returns
        -------
        int
            The number of free parameters, as :meth:`bic` and :meth:`aic` count them.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import LatentDensity
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 5))
        >>> X += 0.1 * rng.normal(size=X.shape)
        >>> model = LatentDensity(n_components=2).fit(X)
        >>> model.n_parameters()  # 5 of the latent Gaussian, 2 * 3 + 3 + 1 of the rest
        15
        """
        check_is_fitted(self, "density_")
        q, e = self.n_latent_, self.n_noise_dims_
        extra = q * e + e + 1 if e > 0 else 0
        return count_parameters(self.density_) + extra

    def bic(self, X: ArrayLike) -> float:
        """Bayesian information criterion on ``X`` (lower is better).

        ``-2 log L + p log n``, with ``log L`` the total log-likelihood of the ``n`` rows
        (:meth:`score_samples`) and ``p`` :meth:`n_parameters`; comparable with the BIC of
        a density fitted to ``X`` directly.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with the features seen in ``fit``. They must be complete: an empty (NaN)
            cell is refused with a :class:`~densitykit.exceptions.DataError`.

        Returns
        -------
        float
            The criterion, in units of ``-2`` nats.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import LatentDensity
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 5))
        >>> X += 0.1 * rng.normal(size=X.shape)
        >>> model = LatentDensity(n_components=2).fit(X)
        >>> from densitykit import GaussianMixture
        >>> bool(model.bic(X) < GaussianMixture(1).fit(X).bic(X))
        True
        """
        return density_bic(self, X)

    def aic(self, X: ArrayLike) -> float:
        """Akaike information criterion on ``X`` (lower is better).

        ``-2 log L + 2 p``, with ``log L`` the total log-likelihood of the rows
        (:meth:`score_samples`) and ``p`` :meth:`n_parameters`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with the features seen in ``fit``. They must be complete: an empty (NaN)
            cell is refused with a :class:`~densitykit.exceptions.DataError`.

        Returns
        -------
        float
            The criterion, in units of ``-2`` nats.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import LatentDensity
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 5))
        >>> X += 0.1 * rng.normal(size=X.shape)
        >>> model = LatentDensity(n_components=2).fit(X)
        >>> bool(np.isclose(model.aic(X),
        ...                 -2 * model.score_samples(X).sum() + 2 * model.n_parameters()))
        True
        """
        return density_aic(self, X)

    def sample(self, n_samples: int = 1, random_state: Any = None) -> np.ndarray:
        """Draw rows: latent draws mapped back, plus noise in the discarded directions.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw.
        random_state : None, int, Generator or RandomState, default=None
            Seed of the draws: the same seed gives the same rows; ``None`` fresh ones.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            The drawn rows, in the units of ``X``.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import LatentDensity
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 5))
        >>> X += 0.1 * rng.normal(size=X.shape)
        >>> model = LatentDensity(n_components=2).fit(X)
        >>> model.sample(4, random_state=0).shape
        (4, 5)
        >>> bool(np.array_equal(model.sample(4, random_state=0), model.sample(4, random_state=0)))
        True
        """
        check_is_fitted(self, "density_")
        n = check_int(n_samples, "n_samples", minimum=1)
        rng = check_random_state(random_state)
        Z = draw_rows(self.density_, n, int(rng.integers(np.iinfo(np.int32).max)))
        X = self.inverse_transform(Z)
        if self.n_noise_dims_ > 0:
            eps = rng.standard_normal(X.shape) * np.sqrt(self.noise_variance_)
            X += eps - (eps @ self._q.T) @ self._q
        return X
