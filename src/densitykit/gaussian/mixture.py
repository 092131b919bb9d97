"""Gaussian mixture models fitted by EM over additive block statistics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import _state
from .._adapters import adapter
from .._validation import (
    check_in,
    check_int,
    check_nonneg_float,
    check_random_state,
)
from ..exceptions import ParameterError
from ._base import (
    GaussianModel,
    check_given_array,
    check_mixture_state,
    column_variances,
    warn_not_converged,
)
from ._driver import Chunked, InMemory, fit_mixture
from ._engine import (
    EMResult,
    InMemoryData,
    Params,
    Workspace,
    better_start,
    m_step,
    run_em,
)
from ._init import INIT_METHODS, init_stats

__all__ = ["GaussianMixture"]


class GaussianMixture(GaussianModel):
    """Gaussian mixture model, a drop-in for scikit-learn's with weighted, faster EM.

    Parameters
    ----------
    n_components : int, default=1
        Number of mixture components.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'
        Each component's own full covariance, one shared full covariance, per-component
        diagonal covariances, or per-component single variances.
    tol : float, default=1e-3
        EM stops when the mean log-likelihood per row changes by less than this.
    reg_covar : float or 'auto', default=1e-6
        Added to the diagonal of every covariance (in the data's units squared) to keep it
        positive definite; the default is scikit-learn's. A fixed value is in the data's
        units, so it matters for columns of small variance: above 1% of a column's
        (weighted) variance it warns (:class:`~densitykit.exceptions.RegularizationWarning`).
        ``'auto'`` adds ``1e-6`` times each column's variance (their mean for 'spherical';
        a constant column takes the mean variance of the others), so the fitted model
        follows the data's units: ``score(c * X)`` is ``score(X) - n_features * log(c)``.
    max_iter : int, default=100
        Maximum EM iterations per initialisation. ``0`` keeps the initial parameters (of the
        last initialisation when ``n_init > 1``), as scikit-learn does, without a warning.
    n_init : int, default=1
        Number of initialisations; the one with the best log-likelihood is kept.
    acceleration : {'squarem', None}, default='squarem'
        ``'squarem'`` accelerates EM (SQUAREM, Varadhan and Roland 2008): every third pass
        over the data extrapolates along the last two EM steps, and the jump is kept only if
        it does not lower the likelihood. It converges to the same fixed point (the stopping
        rule is plain EM's) in fewer passes where EM is slow -- diag, tied and spherical
        mixtures typically need 0.45-0.7 times as many -- and changes little where it is
        fast. ``max_iter``, ``n_iter_`` and ``lower_bounds_`` count passes over the data;
        a rejected jump shows as a dip in ``lower_bounds_``. ``None`` runs plain EM, which
        gives scikit-learn's numbers step for step from the same start.
    init_params : {'kmeans', 'k-means++', 'random', 'random_from_data'}, default='kmeans'
        How the first responsibilities are chosen. 'k-means++' and 'random_from_data' assign
        every row to its nearest seed. Every method draws from the distinct rows in
        lexicographic order, each with its summed weight, so an integer ``sample_weight``
        gives the same start as repeating the rows, whatever their order.
    weights_init, means_init, precisions_init : array-like, optional
        User-provided initial parameters (scikit-learn's shapes); they override ``init_params``.
        They are checked on every ``fit``: ``weights_init`` in [0, 1] summing to 1 (within
        1e-8), ``precisions_init`` symmetric, positive-definite (positive for 'diag' and
        'spherical').
    random_state : int, Generator or None
        Seed of the initialisation.
    warm_start : bool, default=False
        Start the next ``fit`` from the current solution (one initialisation); its first
        change of the lower bound is measured from the previous fit's ``lower_bound_``, so
        repeated fits with a small ``max_iter`` end with ``converged_`` true. Data of
        another width, or another ``n_components`` or ``covariance_type``, are refused.
    verbose : int, default=0
        Print the log-likelihood every ``verbose_interval`` iterations when positive.
    verbose_interval : int, default=10

    Attributes
    ----------
    weights_, means_, covariances_, precisions_, precisions_cholesky_ : ndarray
        Fitted parameters, with scikit-learn's shapes and conventions.
    converged_ : bool
        Whether the best initialisation converged; a fit that did not (with ``max_iter > 0``)
        warns with a :class:`~densitykit.exceptions.ConvergenceWarning`.
    n_iter_ : int
    lower_bound_ : float
        Mean log-likelihood per row of the best initialisation (before its last M-step);
        -inf after ``max_iter=0``.
    lower_bounds_ : list of float
        The lower bound at every EM iteration of the best initialisation (empty after
        ``max_iter=0``).

    Notes
    -----
    **Empty cells.** NaN cells are taken as missing at random. EM then maximises the
    likelihood of the observed cells: rows with no empty cell take the usual fast path,
    rows with some are grouped by their pattern of empty cells, and for each pattern and
    component the E-step uses the density of the observed cells and fills the empty ones
    with their conditional mean, adding the conditional covariance to the second moment
    (only its diagonal or trace for 'diag' and 'spherical'). The initialisations
    (k-means, k-means++, random) run on the rows with every empty cell set to its column's
    observed mean; EM corrects the shrinkage this gives the first covariances. Scores,
    posteriors and predictions of a row use its observed cells alone; a row with none has
    log-density 0 and the mixture weights as posteriors. :meth:`impute` fills empty cells.
    A column with no observed value cannot be fitted and raises an error.

    **Too few rows.** A full covariance estimated from no more rows than columns is singular
    but for ``reg_covar`` (likewise 'tied' with fewer than ``n_features + n_components``
    rows, and 'diag' or 'spherical' with fewer than 2 rows per component). ``fit`` then warns
    (:class:`~densitykit.exceptions.UnderdeterminedWarning`) naming the fixes: 'diag' or
    'spherical', fewer components, or fewer dimensions through
    :class:`~densitykit.LatentDensity`. A full or tied fit with more than ten covariance
    parameters per value of ``X`` (50 rows x 2,000 columns), or one whose working memory
    would pass 2 GiB, is refused with a :class:`~densitykit.exceptions.FitError` before any
    work.

    Examples
    --------
    >>> import numpy as np
    >>> from densitykit import GaussianMixture
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(-3, 1, (200, 2)), rng.normal(3, 1, (200, 2))])
    >>> gm = GaussianMixture(2, random_state=0).fit(X)
    >>> np.round(np.sort(gm.means_[:, 0]))
    array([-3.,  3.])
    >>> Xs, labels = gm.sample(5, random_state=1)
    >>> Xs.shape, labels.shape
    ((5, 2), (5,))
    >>> gm.impute(np.array([[-3.0, np.nan], [np.nan, 3.0]])).round().tolist()
    [[-3.0, -3.0], [3.0, 3.0]]
    """

    _maximum_likelihood = True
    _reg_auto = True

    def __init__(self, n_components=1, *, covariance_type="full", tol=1e-3, reg_covar=1e-6,
                 max_iter=100, n_init=1, init_params="kmeans", weights_init=None,
                 means_init=None, precisions_init=None, random_state=None, warm_start=False,
                 verbose=0, verbose_interval=10, acceleration="squarem"):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.acceleration = acceleration

    # --- fitting ---------------------------------------------------------------------------
    def fit(self, X: ArrayLike, y: Any = None,
            sample_weight: ArrayLike | None = None) -> GaussianMixture:
        """Estimate the parameters by EM.

        Runs EM from ``n_init`` initialisations (from the current solution with
        ``warm_start``) and keeps the one with the highest log-likelihood. Rows with empty
        cells (NaN) are fitted under missing-at-random (see Notes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            NaN marks an empty cell (see Notes); infinite values are refused. For a float32
            array the E-step's matrix products run in float32 (statistics summed in float64;
            the fitted parameters are float64 either way). A Dask array or data frame is
            fitted chunk by chunk.
        y : None
            Ignored; there for scikit-learn's pipelines.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights; an integer weight counts as that many copies of the row.

        Returns
        -------
        self : GaussianMixture
            The fitted estimator (``weights_``, ``means_``, ``covariances_``, ``converged_``,
            ``lower_bound_`` and the rest of the Attributes).

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import GaussianMixture
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(-3, 1, (200, 1)), rng.normal(3, 1, (200, 1))])
        >>> gm = GaussianMixture(2, random_state=0).fit(X)
        >>> gm.converged_, np.round(np.sort(gm.means_[:, 0])), gm.weights_.round(1).tolist()
        (True, array([-3.,  3.]), [0.5, 0.5])
        >>> w = np.where(X[:, 0] > 0, 3, 1)  # the rows on the right count three times
        >>> np.sort(GaussianMixture(2, random_state=0).fit(X, sample_weight=w).weights_).round(2)
        array([0.25, 0.75])
        """
        dask = adapter(X, sample_weight)
        if dask is not None:
            return dask.fit_dask(self, X, sample_weight)
        self._check_em_options()
        return fit_mixture(self, InMemory(self, X, sample_weight))

    def _fit_chunks(self, chunks, where: str, callback, init_sample: int) -> GaussianMixture:
        """:meth:`fit` on rows seen chunk by chunk (see ``gaussian._driver.fit_chunked``)."""
        self._check_em_options()
        return fit_mixture(self, Chunked(self, chunks, where, init_sample), callback)

    def _check_em_options(self) -> int:
        """Validate the EM options (as ``fit`` does for any data source); ``n_components``."""
        k = check_int(self.n_components, "n_components", 1)
        check_int(self.max_iter, "max_iter", 0)
        check_int(self.n_init, "n_init", 1)
        check_nonneg_float(self.tol, "tol")
        check_in(self.init_params, "init_params", INIT_METHODS)
        if self.acceleration is not None:
            check_in(self.acceleration, "acceleration", ("squarem", None))
        return k

    def _fit_from(self, stats_fn, init_data: InMemoryData, ws: Workspace,
                  callback=None, *, col_var=None) -> GaussianMixture:
        """EM from ``n_init`` starts (or the current solution with ``warm_start``) over any
        ``stats_fn``; keeps the best and sets the fitted attributes.

        ``init_data`` holds the rows the starts are drawn from (all of them in memory, a
        sample of them for chunked data); ``col_var`` the columns' variances over all the
        rows (for ``reg_covar='auto'``; from ``init_data`` when not given).
        """
        ctype = self._ctype()
        jac = ws.log_jacobian(ws.shift.shape[0])
        if col_var is None and isinstance(self.reg_covar, str):
            col_var = column_variances(init_data.X, init_data.w)
        reg = self._work_reg(ws, col_var)
        given = self._check_given(self.n_components, ws.shift.shape[0])
        rng = check_random_state(self.random_state)
        warm = self._warm(ws.shift.shape[0])
        # a warm start's first change is measured from the previous fit's lower bound
        start = self.lower_bound_ - jac if warm else -np.inf
        best = None
        for init in range(1 if warm else self.n_init):
            params = (ws.from_user(self._user_params()) if warm
                      else self._initial_params(init_data, given, rng, reg))
            res = run_em(stats_fn, params, ctype, reg=reg, tol=self.tol,
                         max_iter=self.max_iter, lower_bound=start,
                         callback=self._progress(init, callback, jac),
                         accelerate=self.acceleration == "squarem")
            if self.verbose:
                state = "converged" if res.converged else "did not converge"
                print(f"Initialization {init}: {state} after {res.n_iter} iterations, "
                      f"lower bound {res.lower_bound + jac:.6f}")
            # with max_iter=0 every start has a lower bound of -inf: the last one is kept
            if better_start(res, best) or self.max_iter == 0:
                best = res
        warn_not_converged(self, best.converged)
        return self._set_result(ws, best)

    def _set_result(self, ws: Workspace, res: EMResult) -> GaussianMixture:
        """The fitted attributes of an EM result ``res`` obtained in work space ``ws``."""
        jac = ws.log_jacobian(ws.shift.shape[0])
        self._set_params(ws.to_user(res.params))
        self.converged_ = res.converged
        self.n_iter_ = res.n_iter
        self.lower_bound_ = res.lower_bound + jac
        self.lower_bounds_ = [lb + jac for lb in res.lower_bounds]
        return self

    def fit_predict(self, X: ArrayLike, y: Any = None,
                    sample_weight: ArrayLike | None = None) -> np.ndarray:
        """Fit the model to ``X`` and return the most likely component of each row.

        The same as ``fit(X, sample_weight=sample_weight).predict(X)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            NaN marks an empty cell; a row with empty cells is labelled by its observed
            cells (see :meth:`predict`).
        y : None
            Ignored; there for scikit-learn's pipelines.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights; an integer weight counts as that many copies of the row.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            The component index of each row, from 0 to ``n_components - 1``.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import GaussianMixture
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(-3, 1, (200, 1)), rng.normal(3, 1, (200, 1))])
        >>> labels = GaussianMixture(2, random_state=0).fit_predict(X)
        >>> labels.shape, bool(labels[0] != labels[-1])
        ((400,), True)
        """
        return self.fit(X, sample_weight=sample_weight).predict(X)

    def _progress(self, init: int, callback=None, jac: float = 0.0):
        """Per-iteration callback: the verbose print (in the data's units: ``jac`` is the
        work space's log-Jacobian) and/or a caller's ``callback``."""
        if not self.verbose:
            return callback

        def report(it: int, lb: float) -> None:
            if it % max(1, self.verbose_interval) == 0 or it == 1:
                print(f"Initialization {init}: iteration {it}, mean log-likelihood "
                      f"{lb + jac:.6f}")
            if callback is not None:
                callback(it, lb)

        return report

    def _check_given(self, k: int, d: int) -> tuple:
        """The checked ``weights_init``, ``means_init`` and ``precisions_init`` (None where
        not given); checked on every fit, as scikit-learn does, warm or not."""
        weights = None if self.weights_init is None else _check_weights(self.weights_init, k)
        means = (None if self.means_init is None
                 else check_given_array(self.means_init, (k, d), "means_init",
                                   "one row of n_features means per component"))
        prec = (None if self.precisions_init is None
                else _check_precisions(self.precisions_init, self.covariance_type, k, d))
        return weights, means, prec

    def _initial_params(self, data: InMemoryData, given: tuple, rng, reg: float) -> Params:
        ctype = self._ctype()
        ws = data.ws
        weights, means, prec = given
        p = None
        if any(g is None for g in given):
            p = m_step(init_stats(self.init_params, data, self.n_components, rng, ctype),
                       ctype, reg)
        weights = p.weights if weights is None else weights
        means = p.means if means is None else (means - ws.shift) / ws.scale
        if prec is None:
            return Params(weights, means, p.covariances, p.precisions_cholesky)
        user = _params_from_precisions(prec, self.covariance_type)
        user_ws = ws.from_user(Params(weights, means, user[0], user[1]))
        return Params(weights, means, user_ws.covariances, user_ws.precisions_cholesky)

    def _set_params(self, p: Params) -> None:
        self.weights_ = p.weights
        self.means_ = p.means
        self.covariances_ = p.covariances
        self.precisions_cholesky_ = p.precisions_cholesky
        pc = p.precisions_cholesky
        if self.covariance_type == "full":
            self.precisions_ = pc @ np.swapaxes(pc, -1, -2)
        elif self.covariance_type == "tied":
            self.precisions_ = pc @ pc.T
        else:
            self.precisions_ = pc**2

    def _user_params(self) -> Params:
        return Params(self.weights_, self.means_, self.covariances_, self.precisions_cholesky_)

    def _check_fitted_state(self) -> None:
        """Check a fitted state read from a model file (see :mod:`densitykit._state`):
        weights finite, >= 0 and summing to 1, means ``(k, d)``, covariances symmetric
        positive definite and the precisions the ones they give."""
        check_mixture_state(self, self.covariance_type)
        if _state.optional(self, "lower_bounds_"):
            bounds = _state.need_list(self, "lower_bounds_")
            if not all(isinstance(b, (int, float, np.floating)) for b in bounds):
                raise _state.StateError("lower_bounds_", "should be a list of numbers")

    # --- using the fitted model ---------------------------------------------------------------
    def predict(self, X: ArrayLike) -> np.ndarray:
        """Most likely component of each row: the argmax of :meth:`predict_proba`.

        A row with empty cells (NaN) is assigned by its observed cells alone; a row with no
        observed cell by the mixture weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to assign; NaN marks an empty cell. A Dask array or data frame gives a
            lazy Dask array.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            The component index of each row, from 0 to ``n_components - 1``.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import GaussianMixture
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(-3, 1, (200, 2)), rng.normal(3, 1, (200, 2))])
        >>> gm = GaussianMixture(2, random_state=0).fit(X)
        >>> left, right = gm.predict([[-3.0, -3.0], [3.0, 3.0]])
        >>> bool(left != right), bool(gm.predict([[-3.0, np.nan]])[0] == left)
        (True, True)
        """
        dask = adapter(X)
        if dask is not None:
            return dask.predict_dask(self, X)
        return self.predict_proba(X).argmax(1)

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Posterior probability of each component for each row, ``p(k | x)``.

        A row with empty cells (NaN) gets the posterior given its observed cells; a row with
        no observed cell gets the mixture weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to assign; NaN marks an empty cell. A Dask array or data frame gives a
            lazy Dask array.

        Returns
        -------
        resp : ndarray of shape (n_samples, n_components)
            The responsibilities; each row sums to 1.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import GaussianMixture
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(-3, 1, (200, 2)), rng.normal(3, 1, (200, 2))])
        >>> gm = GaussianMixture(2, random_state=0).fit(X)
        >>> P = gm.predict_proba([[-3.0, -3.0], [0.5, 0.0], [np.nan, np.nan]])
        >>> P.shape, P.sum(1).round(6).tolist(), float(P[0].max().round(3))
        ((3, 2), [1.0, 1.0, 1.0], 1.0)
        >>> bool(np.allclose(P[2], gm.weights_))  # no observed cell: the weights
        True
        """
        dask = adapter(X)
        if dask is not None:
            return dask.predict_proba_dask(self, X)
        return self._log_prob(X, resp=True)[1]

    def sample(self, n_samples: int = 1,
               random_state: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n_samples`` rows and their component labels, in random order.

        Each row's component is drawn from the weights, then the row from that component's
        Gaussian (scikit-learn's rows come grouped by component).

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw (at least 1).
        random_state : int, Generator, RandomState or None, default=None
            Seed of the draws: with a seed each call gives the same rows, ``None`` fresh
            ones (scikit-learn reads the estimator's ``random_state`` instead).

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The drawn rows.
        labels : ndarray of shape (n_samples,)
            The component that drew each row.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import GaussianMixture
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(-3, 1, (200, 1)), rng.normal(3, 1, (200, 1))])
        >>> gm = GaussianMixture(2, random_state=0).fit(X)
        >>> Xs, labels = gm.sample(1000, random_state=0)
        >>> Xs.shape, labels.shape, round(float(np.mean(labels == 0)), 1)
        ((1000, 1), (1000,), 0.5)
        """
        return self._draw(n_samples, random_state)

    def _n_parameters(self) -> int:
        """scikit-learn's name of :meth:`n_parameters`."""
        return self.n_parameters()

    # --- conditional and marginal mixtures ----------------------------------------------------
    def condition(self, given_columns: int | str | Sequence[int | str],
                  values: ArrayLike) -> GaussianMixture:
        """The mixture of the other columns given ``values`` of ``given_columns``.

        Each component's conditional is Gaussian (its mean moved by the regression on the
        given values, its covariance the Schur complement), and the weights are re-weighted
        by how well each component explains the given values. The covariance type is kept.

        Parameters
        ----------
        given_columns : int, str or sequence of them
            The known columns: indices (negative ones count from the end) or, for a model
            fitted on a DataFrame, names.
        values : array-like of shape (len(given_columns),)
            Their values: finite numbers (NaN is refused; :meth:`impute` fills empty cells
            row by row).

        Returns
        -------
        conditional : GaussianMixture
            A fitted mixture over the other columns, in their original order.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import GaussianMixture
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=500)
        >>> X = np.column_stack([x, 2 * x + 0.1 * rng.normal(size=500)])
        >>> cond = GaussianMixture(1).fit(X).condition([0], [1.0])
        >>> round(float(cond.means_[0, 0]), 1), round(float(np.sqrt(cond.covariances_[0, 0, 0])), 1)
        (2.0, 0.1)
        """
        from .conditional import condition

        return condition(self, given_columns, values)

    def marginal(self, columns: int | str | Sequence[int | str]) -> GaussianMixture:
        """The mixture of ``columns`` alone, the other columns integrated out.

        It keeps the weights and the covariance type and takes the sub-blocks of the means
        and covariances, so its log-density is the one this model gives a row whose other
        cells are empty (NaN).

        Parameters
        ----------
        columns : int, str or sequence of them
            The columns to keep, in the order given: indices (negative ones count from the
            end) or, for a model fitted on a DataFrame, names.

        Returns
        -------
        marginal : GaussianMixture
            A fitted mixture over ``columns``.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import GaussianMixture
        >>> X = np.random.default_rng(0).normal(size=(300, 3))
        >>> gm = GaussianMixture(2, random_state=0).fit(X)
        >>> m = gm.marginal([0, 2])
        >>> m.means_.shape
        (2, 2)
        >>> bool(np.isclose(m.score_samples([[0.5, -1.0]])[0],
        ...                 gm.score_samples([[0.5, np.nan, -1.0]])[0]))
        True
        """
        from .conditional import marginal

        return marginal(self, columns)

    def sample_conditional(self, given_columns: int | str | Sequence[int | str],
                           values: ArrayLike, random_state: Any = None) -> np.ndarray:
        """Draw the other columns given ``values`` of ``given_columns``, one row per row of
        ``values``.

        For each row a component is drawn from its posterior given the values, then the
        other columns from that component's conditional Gaussian; vectorised over the rows.

        Parameters
        ----------
        given_columns : int, str or sequence of them
            The known columns: indices (negative ones count from the end) or, for a model
            fitted on a DataFrame, names.
        values : array-like of shape (n_rows, len(given_columns))
            The given values, one row per draw (a 1-D array for one given column); finite
            numbers (NaN is refused).
        random_state : int, Generator, RandomState or None, default=None
            Seed of the draws.

        Returns
        -------
        draws : ndarray of shape (n_rows, n_features - len(given_columns))
            The other columns, in their original order.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import GaussianMixture
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=500)
        >>> X = np.column_stack([x, 2 * x + 0.1 * rng.normal(size=500)])
        >>> gm = GaussianMixture(1).fit(X)
        >>> draws = gm.sample_conditional([0], np.full((2000, 1), 1.0), random_state=0)
        >>> draws.shape, round(float(draws.mean()), 1)
        ((2000, 1), 2.0)
        """
        from .conditional import sample_conditional

        return sample_conditional(self, given_columns, values, random_state=random_state)

    def conditional_mean(self, given_columns: int | str | Sequence[int | str],
                         values: ArrayLike) -> np.ndarray:
        """``E[other columns | given columns = values]`` for each row of ``values``.

        The components' conditional means, weighted by each component's posterior given the
        values.

        Parameters
        ----------
        given_columns : int, str or sequence of them
            The known columns: indices (negative ones count from the end) or, for a model
            fitted on a DataFrame, names.
        values : array-like of shape (n_rows, len(given_columns))
            The given values, one row per mean (a 1-D array for one given column); finite
            numbers (NaN is refused: :meth:`impute` fills a row's empty cells with their
            conditional mean given its observed ones).

        Returns
        -------
        means : ndarray of shape (n_rows, n_features - len(given_columns))
            The other columns' conditional means, in their original order.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import GaussianMixture
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=500)
        >>> X = np.column_stack([x, 2 * x + 0.1 * rng.normal(size=500)])
        >>> gm = GaussianMixture(1).fit(X)
        >>> gm.conditional_mean([0], [[1.0], [-1.0]]).round(1).ravel().tolist()
        [2.0, -2.0]
        """
        from .conditional import conditional_mean

        return conditional_mean(self, given_columns, values)


# --- checks of user-given initial parameters -------------------------------------------------
def _check_weights(value, k: int) -> np.ndarray:
    """Mixing proportions in [0, 1] that sum to 1 (within 1e-8, 1e-6 for float32)."""
    w = check_given_array(value, (k,), "weights_init", "one mixing proportion per component")
    if np.any(w < 0) or np.any(w > 1):
        raise ParameterError(f"weights_init should be in the range [0, 1]; got min value "
                             f"{w.min():.5g}, max value {w.max():.5g}. Give mixing proportions.")
    atol = 1e-6 if getattr(value, "dtype", None) == np.float32 else 1e-8
    if abs(1.0 - w.sum()) > atol:
        raise ParameterError(f"weights_init should be normalized (sum to 1 within {atol:g}); got "
                             f"sum(weights_init) = {w.sum():.10g}. Divide it by its sum.")
    return w


_PREC_SHAPES = {
    "full": (lambda k, d: (k, d, d), "one n_features x n_features precision per component"),
    "tied": (lambda k, d: (d, d), "one shared n_features x n_features precision"),
    "diag": (lambda k, d: (k, d), "one precision per component and feature"),
    "spherical": (lambda k, d: (k,), "one precision per component"),
}
_PREC_FIX = ("Give inverse covariance matrices (e.g. np.linalg.inv of a covariance), or leave "
             "precisions_init=None to start from init_params.")


def _check_precisions(value, ctype: str, k: int, d: int) -> np.ndarray:
    shape, what = _PREC_SHAPES[ctype]
    prec = check_given_array(value, shape(k, d), "precisions_init", what)
    if ctype in ("diag", "spherical"):
        if np.any(prec <= 0):
            raise ParameterError(f"precisions_init ('{ctype}' precision) should be positive; got "
                                 f"min value {prec.min():.5g}. Give inverse variances.")
        return prec
    for i, m in enumerate(prec if ctype == "full" else prec[None]):
        where = f"precisions_init[{i}]" if ctype == "full" else "precisions_init"
        if not np.allclose(m, m.T, rtol=1e-5, atol=1e-8):
            raise ParameterError(f"{where} ('{ctype}' precision) should be symmetric, "
                                 f"positive-definite; it is not symmetric. {_PREC_FIX}")
        low = float(np.linalg.eigvalsh(m)[0])
        if not low > 0:
            raise ParameterError(f"{where} ('{ctype}' precision) should be symmetric, "
                                 f"positive-definite; its smallest eigenvalue is {low:.5g}. "
                                 f"{_PREC_FIX}")
    return prec


def _params_from_precisions(prec: np.ndarray, ctype: str) -> tuple[np.ndarray, np.ndarray]:
    """(covariances, precisions_cholesky) from checked user precisions."""
    if ctype in ("diag", "spherical"):
        return 1.0 / prec, np.sqrt(prec)
    try:
        pc = np.linalg.cholesky(prec)
    except np.linalg.LinAlgError:
        raise ParameterError("precisions_init should be symmetric, positive-definite; its "
                             f"Cholesky factorisation failed. {_PREC_FIX}") from None
    return np.linalg.inv(prec), pc
