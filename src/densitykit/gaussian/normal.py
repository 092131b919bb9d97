"""The multivariate (and 1-D) normal distribution, fitted in one pass."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import _state, exceptions
from .._adapters import adapter
from ._base import GaussianModel, check_covariance_state
from ._driver import Chunked, InMemory, fit_normal
from ._engine import (
    InMemoryData,
    Params,
    Workspace,
    hard_stats,
    in_memory_stats,
    m_step,
    run_em,
    sum_stats,
)

# EM for rows with empty cells (the estimate has no closed form then)
_EM_TOL = 1e-10
_EM_MAX_ITER = 1000

__all__ = ["Normal"]


class Normal(GaussianModel):
    """Multivariate normal distribution with maximum-likelihood (weighted) estimates.

    Parameters
    ----------
    covariance_type : {'full', 'diag', 'spherical'}, default='full'
        A full covariance matrix, independent features, or one variance for all features.
    reg_covar : float or 'auto', default=1e-6
        Added to the diagonal of the covariance (data units squared) to keep it positive
        definite; the same default as :class:`GaussianMixture`, so a one-component mixture
        and a ``Normal`` agree. ``'auto'`` adds ``1e-6`` times each column's (weighted)
        variance instead, so the fit follows the data's units (see
        :class:`GaussianMixture`). A fixed value above 1% of a column's variance warns
        (:class:`~densitykit.exceptions.RegularizationWarning`).

    Notes
    -----
    Empty cells (NaN) are taken as missing at random: the fit maximises the likelihood of
    the observed cells by EM (started from the column means and variances of the observed
    cells, run until the mean log-likelihood per row changes by less than 1e-10), and
    scores use the density of each row's observed cells. Without empty cells the estimate
    is the closed-form one, in one pass.

    With no more rows than columns a full covariance is singular but for ``reg_covar``: the
    fit warns (:class:`~densitykit.exceptions.UnderdeterminedWarning`), and refuses tables
    so wide that the covariance would have more than ten parameters per value of ``X``.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
    covariance_ : ndarray
        ``(n_features, n_features)`` for 'full', ``(n_features,)`` for 'diag', a float for
        'spherical'.
    precision_cholesky_ : ndarray
        Factor ``U`` with ``inv(covariance_) = U U^T`` (same convention as the mixture).

    Examples
    --------
    >>> import numpy as np
    >>> from densitykit import Normal
    >>> x = np.random.default_rng(0).normal(5.0, 2.0, size=(10_000, 1))
    >>> nd = Normal().fit(x)
    >>> round(float(nd.mean_[0]), 1), round(float(np.sqrt(nd.covariance_[0, 0])), 1)
    (5.0, 2.0)
    >>> nd.sample(3, random_state=0).shape
    (3, 1)
    """

    _covariance_types = ("full", "diag", "spherical")
    _maximum_likelihood = True
    _reg_auto = True

    def __init__(self, covariance_type="full", *, reg_covar=1e-6):
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar

    def fit(self, X: ArrayLike, y: Any = None,
            sample_weight: ArrayLike | None = None) -> Normal:
        """Estimate the mean and covariance (weighted if ``sample_weight`` is given).

        Without empty cells the estimate is the closed-form one, in one pass over the rows;
        with empty cells (NaN) it maximises the likelihood of the observed cells by EM (see
        the class's Notes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            At least 2 rows; NaN marks an empty cell, infinite values are refused. A Dask
            array or data frame is fitted chunk by chunk.
        y : None
            Ignored; there for scikit-learn's pipelines.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights; an integer weight counts as that many copies of the
            row.

        Returns
        -------
        self : Normal
            The fitted estimator (``mean_``, ``covariance_``, ``precision_cholesky_``).

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import Normal
        >>> X = np.random.default_rng(0).normal([1.0, -2.0], 0.5, size=(400, 2))
        >>> nd = Normal(covariance_type="diag").fit(X)
        >>> nd.mean_.round(1).tolist(), np.sqrt(nd.covariance_).round(1).tolist()
        ([1.0, -2.0], [0.5, 0.5])
        >>> X[::2, 1] = np.nan  # half the second column empty: fitted by EM
        >>> Normal().fit(X).mean_.round(1).tolist()
        [1.0, -2.0]
        >>> Normal().fit([[0.0], [1.0]], sample_weight=[3, 1]).mean_
        array([0.25])
        """
        dask = adapter(X, sample_weight)
        if dask is not None:
            return dask.fit_dask(self, X, sample_weight)
        return fit_normal(self, InMemory(self, X, sample_weight))

    def _fit_chunks(self, chunks, where: str, callback=None, init_sample=None) -> Normal:
        """:meth:`fit` on rows seen chunk by chunk (see ``gaussian._driver.fit_chunked``)."""
        return fit_normal(self, Chunked(self, chunks, where))

    def _fit_missing(self, X, w, ws: Workspace, reg: float) -> Params:
        """Maximum likelihood of the observed cells by EM, from the mean-filled rows."""
        ctype = self._ctype()
        data = InMemoryData(X, w, ws)
        zeros = np.zeros(data.n, dtype=np.intp)
        start = sum_stats([hard_stats(data.zt(sl), data.weights(sl), zeros[sl], 1, ctype)
                           for sl in [slice(0, data.n)]])
        params = m_step(start, ctype, reg, reseed=False)
        res = run_em(in_memory_stats(data, ctype), params, ctype, reg=reg, tol=_EM_TOL,
                     max_iter=_EM_MAX_ITER, accelerate=True)
        if not res.converged:
            warnings.warn(
                f"EM over the empty cells did not converge in {_EM_MAX_ITER} iterations; the "
                "estimate is the last one. Columns that are mostly empty slow it down: drop "
                "them, or fit GaussianMixture(1) with a larger max_iter.",
                exceptions.ConvergenceWarning, stacklevel=exceptions.user_stacklevel())
        return res.params

    def _user_params(self) -> Params:
        lead = lambda a: np.asarray(a)[None]  # noqa: E731
        return Params(np.ones(1), lead(self.mean_), lead(self.covariance_),
                      lead(self.precision_cholesky_))

    def _check_fitted_state(self) -> None:
        """Check a fitted state read from a model file (see :mod:`densitykit._state`)."""
        ctype = self.covariance_type
        if ctype not in self._covariance_types:
            raise _state.StateError("covariance_type", f"should be one of "
                                    f"{', '.join(map(repr, self._covariance_types))}; got "
                                    f"{ctype!r}")
        mean = _state.need_array(self, "mean_", ndim=1)
        d = mean.shape[0]
        n = _state.need_int(self, "n_features_in_", minimum=1)
        if n != d:
            raise _state.StateError("n_features_in_", f"is {n}, but mean_ has {d} features")
        shape = {"full": (d, d), "diag": (d,), "spherical": ()}[ctype]
        cov = _state.need_array(self, "covariance_", shape=shape, ndim=len(shape))
        pc = _state.need_array(self, "precision_cholesky_", shape=shape, ndim=len(shape))
        check_covariance_state(ctype, cov, pc, ("covariance_", "precision_cholesky_"))

    def sample(self, n_samples: int = 1, random_state: Any = None) -> np.ndarray:
        """Draw ``n_samples`` rows from the fitted normal distribution.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw (at least 1).
        random_state : int, Generator, RandomState or None, default=None
            Seed of the draws: with a seed each call gives the same rows, ``None`` fresh
            ones.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The drawn rows (the rows alone: a mixture's ``sample`` also returns labels).

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import Normal
        >>> nd = Normal().fit(np.random.default_rng(0).normal(5.0, 2.0, size=(500, 1)))
        >>> draws = nd.sample(1000, random_state=0)
        >>> draws.shape, round(float(draws.mean()))
        ((1000, 1), 5)
        >>> bool(np.array_equal(nd.sample(3, random_state=1), nd.sample(3, random_state=1)))
        True
        """
        return self._draw(n_samples, random_state)[0]
