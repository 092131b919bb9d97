"""Variational Bayesian Gaussian mixtures on the block-statistics engine.

The posterior over the mixture (Bishop 2006, section 10.2; Blei and Jordan 2006 for the
Dirichlet process) is approximated by a Dirichlet distribution, or the Beta distributions of
a truncated stick-breaking process, over the weights and a Gaussian-Wishart distribution over
each component's mean and precision. One iteration is one pass of the engine over blocks of
rows:

- the E-step's expected log-densities ``E[log pi_k] + E[log N(x | mu_k, Lambda_k)]`` are the
  engine's Gaussian log-densities under the scaled precisions ``nu_k W_k`` plus one constant
  per component (the digamma terms, :func:`log_weight_terms`), so the engine's
  :func:`~densitykit.gaussian._engine.block_stats` sums the statistics, blocks, weights and
  threads included;
- :func:`variational_update` turns the summed statistics into new posterior parameters;
- the lower bound needs ``sum_n w_n sum_k r_nk log r_nk``, which is linear in the same
  statistics (:func:`entropy`), so no pass keeps the responsibilities.

The numbers follow scikit-learn's ``BayesianGaussianMixture`` (the same updates and the same
lower bound with its constant terms left out), in the engine's work space.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaln, digamma, gammaln

from .. import _state
from .._parallel import blas_single_threaded
from .._validation import (
    check_data,
    check_in,
    check_int,
    check_is_fitted,
    check_nonneg_float,
    check_random_state,
)
from ..exceptions import DataError, FitError, ParameterError
from ._base import GaussianModel, check_given_array, check_mixture_state, warn_not_converged
from ._covariance import CovarianceType
from ._engine import (
    InMemoryData,
    Params,
    Stats,
    Workspace,
    better_start,
    block_rows,
    has_nan,
    in_memory_stats,
    iter_blocks,
    log_prob_blocks,
    run_em,
)
from ._init import INIT_METHODS, init_stats

__all__ = ["WEIGHT_PRIORS", "BayesianGaussianMixture", "Posterior", "Priors", "WeightPrior"]

_LOG_2PI = math.log(2.0 * math.pi)
_LOG_2 = math.log(2.0)
_EPS10 = 10.0 * np.finfo(np.float64).eps


# --- the prior on the weights: a registry ------------------------------------------------------
@dataclass(frozen=True)
class WeightPrior:
    """One kind of prior on the mixture weights.

    ``concentration(nk, prior)`` is the posterior's concentration from the summed
    responsibilities, ``expected_log(c)`` the expected log weights ``E[log pi_k]``,
    ``log_norm(c)`` the log normaliser of the posterior (as the lower bound uses it) and
    ``weights(c)`` the posterior mean weights.
    """

    concentration: Callable[[np.ndarray, float], Any]
    expected_log: Callable[[Any], np.ndarray]
    log_norm: Callable[[Any], float]
    weights: Callable[[Any], np.ndarray]


def _stick_concentration(nk: np.ndarray, prior: float) -> tuple[np.ndarray, np.ndarray]:
    """Beta parameters of each stick: ``1 + N_k`` and ``prior + sum_{j>k} N_j``."""
    after = np.cumsum(nk[::-1])[::-1]  # sum_{j>=k}, summed from the last component
    return 1.0 + nk, prior + np.append(after[1:], 0.0)


def _stick_expected_log(c: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """``E[log v_k] + sum_{j<k} E[log(1 - v_j)]`` for sticks ``v ~ Beta(a, b)``."""
    a, b = c
    total = digamma(a + b)
    rest = np.cumsum(digamma(b) - total)
    return digamma(a) - total + np.concatenate(([0.0], rest[:-1]))


def _stick_weights(c: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    a, b = c
    left = np.cumprod(b / (a + b))
    w = a / (a + b) * np.concatenate(([1.0], left[:-1]))
    return w / w.sum()


def _dirichlet_log_norm(c: np.ndarray) -> float:
    return float(gammaln(c.sum()) - gammaln(c).sum())


WEIGHT_PRIORS: dict[str, WeightPrior] = {
    "dirichlet_process": WeightPrior(
        _stick_concentration, _stick_expected_log,
        lambda c: -float(betaln(c[0], c[1]).sum()), _stick_weights),
    "dirichlet_distribution": WeightPrior(
        lambda nk, prior: prior + nk, lambda c: digamma(c) - digamma(c.sum()),
        _dirichlet_log_norm, lambda c: c / c.sum()),
}


# --- priors and posteriors -------------------------------------------------------------------
@dataclass(frozen=True)
class Priors:
    """The prior, in the units of the rows it is used with: weight concentration, mean
    precision ``beta_0``, mean ``m_0``, degrees of freedom ``nu_0`` and covariance prior
    ``W_0^{-1}`` (in the covariance type's shape)."""

    weight_concentration: float
    mean_precision: float
    mean: np.ndarray
    dof: float
    covariance: Any

    def to_work(self, ws: Workspace) -> Priors:
        return Priors(self.weight_concentration, self.mean_precision,
                      (self.mean - ws.shift) / ws.scale, self.dof,
                      self.covariance / ws.scale**2)


@dataclass
class Posterior:
    """Variational posterior: weight concentration, ``beta_k``, ``m_k``, ``nu_k`` (one shared
    value for 'tied'), and the covariances ``(nu_k W_k)^{-1}`` with the upper Cholesky
    factors of their inverses, in scikit-learn's shapes."""

    weight_concentration: Any
    mean_precision: np.ndarray
    means: np.ndarray
    dof: Any
    covariances: np.ndarray
    precisions_cholesky: np.ndarray

    def params(self, ws: Workspace | None = None) -> Params:
        """The Gaussian parameters (mapped by ``ws.to_user`` when given)."""
        p = Params(np.empty(0), self.means, self.covariances, self.precisions_cholesky)
        return p if ws is None else ws.to_user(p)

    def mapped(self, p: Params) -> Posterior:
        """This posterior with the Gaussian parameters of ``p`` (another unit system)."""
        return Posterior(self.weight_concentration, self.mean_precision, p.means, self.dof,
                         p.covariances, p.precisions_cholesky)


# --- the Wishart updates, one per covariance type ----------------------------------------------
def _wishart_full(nk, xk, sk, pr: Priors, beta):
    diff = xk - pr.mean
    shrink = nk * pr.mean_precision / beta
    scale = (pr.covariance + nk[:, None, None] * sk
             + shrink[:, None, None] * diff[:, :, None] * diff[:, None, :])
    dof = pr.dof + nk
    return dof, scale / dof[:, None, None]


def _wishart_tied(nk, xk, sk, pr: Priors, beta):
    k = nk.shape[0]
    diff = xk - pr.mean
    share = nk.sum() / k
    scale = (pr.covariance + sk * share
             + pr.mean_precision / k * ((nk / beta) * diff.T) @ diff)
    dof = pr.dof + share
    return dof, scale / dof


def _wishart_diag(nk, xk, sk, pr: Priors, beta):
    diff = xk - pr.mean
    scale = pr.covariance + nk[:, None] * (sk + (pr.mean_precision / beta)[:, None] * diff**2)
    dof = pr.dof + nk
    return dof, scale / dof[:, None]


def _wishart_spherical(nk, xk, sk, pr: Priors, beta):
    diff = xk - pr.mean
    scale = pr.covariance + nk * (sk + pr.mean_precision / beta * np.mean(diff**2, 1))
    dof = pr.dof + nk
    return dof, scale / dof


_WISHART = {"full": _wishart_full, "tied": _wishart_tied, "diag": _wishart_diag,
            "spherical": _wishart_spherical}

_ILL_DEFINED = (
    "Fitting the Bayesian mixture failed: a component's covariance is not positive definite "
    "(a constant column, or a singular covariance_prior, leaves an unused component without "
    "spread). Drop constant columns, increase reg_covar, give a positive-definite "
    "covariance_prior, or scale the input data.")


def variational_update(stats: Stats, ctype: CovarianceType, reg: float, priors: Priors,
                       prior: WeightPrior) -> Posterior:
    """The posterior from summed statistics (Bishop 2006, eqs. 10.58-10.63), with ``reg``
    added to each component's sample covariance, everything in the units of ``stats``."""
    nk = stats.nk + _EPS10
    xk = stats.s1 / nk[:, None]
    sk = ctype.covariances(stats.s2, nk, xk, reg)
    beta = priors.mean_precision + nk
    means = (priors.mean_precision * priors.mean + nk[:, None] * xk) / beta[:, None]
    dof, cov = _WISHART[ctype.name](nk, xk, sk, priors, beta)
    pc = ctype.prec_chol(cov) if np.all(np.isfinite(cov)) else None
    if pc is None or not np.all(np.isfinite(pc)):
        raise FitError(_ILL_DEFINED)
    return Posterior(prior.concentration(nk, priors.weight_concentration), beta, means, dof,
                     cov, pc)


def log_weight_terms(post: Posterior, prior: WeightPrior, d: int) -> np.ndarray:
    """What the E-step adds to ``log N(x | m_k, (nu_k W_k)^{-1})`` for each component:
    ``E[log pi_k] + (E[log |Lambda_k|] - log |nu_k W_k|) / 2 - d / (2 beta_k)``."""
    dof = np.asarray(post.dof, dtype=np.float64)
    e_log_det = d * _LOG_2 + digamma(0.5 * (dof[..., None] - np.arange(d))).sum(-1)
    return (prior.expected_log(post.weight_concentration)
            + 0.5 * (e_log_det - d * np.log(dof)) - 0.5 * d / post.mean_precision)


def e_step_params(post: Posterior, prior: WeightPrior, d: int) -> Params:
    """Engine parameters whose E-step gives the variational responsibilities."""
    return Params(prior.weights(post.weight_concentration), post.means, post.covariances,
                  post.precisions_cholesky, log_weight_terms(post, prior, d))


# --- the lower bound -------------------------------------------------------------------------
def _maha_full(stats: Stats, prep) -> float:
    d = stats.s1.shape[1]  # sum_{i<=j} quad_ij S2_ij = tr(P_k S2_k)
    f = d * (d + 1) // 2
    quad, lin2, const = prep[0][:, :f], prep[0][:, f : f + d], prep[0][:, -1]
    return float(np.einsum("kf,fk->", quad, stats.s2) + np.einsum("kd,kd->", lin2, stats.s1)
                 + const @ stats.nk)


def _maha_tied(stats: Stats, prep) -> float:
    u, m2, const = prep  # the second moment is summed over components: tr(P S2) once
    return float(np.einsum("ij,ij->", u, stats.s2 @ u) + np.einsum("kd,kd->", m2, stats.s1 @ u)
                 + const @ stats.nk)


def _maha_diag(stats: Stats, prep) -> float:
    p, pm2, const = prep
    return float(np.einsum("kd,kd->", p, stats.s2) + np.einsum("kd,kd->", pm2, stats.s1)
                 + const @ stats.nk)


def _maha_spherical(stats: Stats, prep) -> float:
    p, means, mm = prep
    return float(p @ (stats.s2 - 2.0 * np.einsum("kd,kd->k", means, stats.s1) + mm * stats.nk))


#: ``sum_n sum_k R_nk (z_n - mu_k)' P_k (z_n - mu_k)`` from the statistics and the E-step's
#: coefficients (the Mahalanobis term is a quadratic form in z)
_MAHA_SUMS = {"full": _maha_full, "tied": _maha_tied, "diag": _maha_diag,
              "spherical": _maha_spherical}


def entropy(stats: Stats, params: Params, ctype: CovarianceType) -> float:
    """``-sum_n w_n sum_k r_nk log r_nk`` of the E-step under ``params`` that gave ``stats``.

    ``log r_nk = lp_nk - lse_n``, so the sum is ``sum_k sum_n R_nk lp_nk - sum_n w_n lse_n``;
    the first term is linear in the block statistics and the second is their log-likelihood.
    """
    d = stats.s1.shape[1]
    pc = params.precisions_cholesky
    maha = _MAHA_SUMS[ctype.name](stats, ctype.prepare(params.means, pc))
    offset = ctype.log_det(pc, d) - 0.5 * d * _LOG_2PI + params.log_weights
    return stats.loglik - (float(offset @ stats.nk) - 0.5 * maha)


def lower_bound(post: Posterior, ent: float, prior: WeightPrior, ctype: CovarianceType,
                log_scale: float = 0.0) -> float:
    """scikit-learn's variational lower bound (constant terms left out) of a posterior in
    work space (``log_scale``: the log of the work space's scale) and the entropy of the
    responsibilities that produced it."""
    k, d = post.means.shape
    dof = np.asarray(post.dof, dtype=np.float64)
    log_det = ctype.log_det(post.precisions_cholesky, d) - d * log_scale - 0.5 * d * np.log(dof)
    log_wishart = -(dof * log_det + dof * d * 0.5 * _LOG_2
                    + gammaln(0.5 * (dof[..., None] - np.arange(d))).sum(-1))
    total_wishart = k * float(log_wishart) if ctype.name == "tied" else float(log_wishart.sum())
    return (ent - total_wishart - prior.log_norm(post.weight_concentration)
            - 0.5 * d * float(np.log(post.mean_precision).sum()))


# --- priors from the data ----------------------------------------------------------------------
def _data_moments(data: InMemoryData, full: bool) -> tuple[np.ndarray, np.ndarray, float]:
    """Weighted mean, sum of squared deviations (a matrix when ``full``, else per column)
    and total weight of the rows, in work space, block by block (two passes)."""
    rows = block_rows(data.d * (data.d if full else 1))
    total, s1 = 0.0, np.zeros(data.d)
    for sl in iter_blocks(data.n, rows):
        w = data.weights(sl)
        zt = data.zt(sl)
        s1 += zt.sum(1) if w is None else zt @ w
        total += (sl.stop - sl.start) if w is None else float(w.sum())
    mean = s1 / total
    ss = np.zeros((data.d, data.d) if full else data.d)
    for sl in iter_blocks(data.n, rows):
        w = data.weights(sl)
        dev = data.zt(sl) - mean[:, None]
        wdev = dev if w is None else dev * w
        ss += wdev @ dev.T if full else np.einsum("db,db->d", wdev, dev)
    return mean, ss, total


def _positive(value, name: str, default: float, what: str) -> float:
    if value is None:
        return default
    ok = (isinstance(value, numbers.Real) and not isinstance(value, bool)
          and math.isfinite(value) and value > 0)
    if not ok:
        raise ParameterError(f"{name} must be None or a finite number > 0 ({what}); got {value!r}.")
    return float(value)


def _check_covariance_prior(value, ctype: str, d: int):
    """A user's covariance prior: symmetric positive-definite (full, tied), positive."""
    if ctype == "spherical":
        return _positive(value, "covariance_prior", 1.0, "the prior variance for "
                         "'spherical' covariances")
    shape = (d, d) if ctype in ("full", "tied") else (d,)
    what = ("an n_features x n_features covariance matrix" if len(shape) == 2
            else "one prior variance per feature")
    cov = check_given_array(value, shape, "covariance_prior", what)
    if ctype == "diag":
        if np.any(cov <= 0):
            raise ParameterError(f"covariance_prior ('diag') should be positive; got min value "
                                 f"{cov.min():.5g}. Give variances.")
        return cov
    if not np.allclose(cov, cov.T, rtol=1e-5, atol=1e-8):
        raise ParameterError(f"covariance_prior ('{ctype}') should be symmetric, "
                             "positive-definite; it is not symmetric.")
    low = float(np.linalg.eigvalsh(cov)[0])
    if not low > 0:
        raise ParameterError(f"covariance_prior ('{ctype}') should be symmetric, "
                             f"positive-definite; its smallest eigenvalue is {low:.5g}.")
    return cov


# --- the estimator ---------------------------------------------------------------------------
class BayesianGaussianMixture(GaussianModel):
    """Variational Bayesian Gaussian mixture, a drop-in for scikit-learn's, on the fast EM
    engine of :class:`GaussianMixture`, with sample weights.

    The weights get a Dirichlet-process (stick-breaking) or Dirichlet prior, each
    component's mean and precision a Gaussian-Wishart prior; the posterior is fitted by
    variational inference (mean field), so with a small ``weight_concentration_prior`` the
    components the data do not need keep almost no weight: ``n_components`` is an upper
    bound, not a choice.

    Parameters
    ----------
    n_components : int, default=1
        Number of components (an upper bound: unused ones keep little weight).
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'
    tol : float, default=1e-3
        Iteration stops when the lower bound changes by less than this.
    reg_covar : float, default=1e-6
        Added to the diagonal of each component's sample covariance (the data's units squared).
    max_iter : int, default=100
        Maximum iterations per initialisation; ``0`` keeps the initial posterior.
    n_init : int, default=1
        Number of initialisations; the one with the highest lower bound is kept.
    init_params : {'kmeans', 'k-means++', 'random', 'random_from_data'}, default='kmeans'
        How the first responsibilities are chosen (as for :class:`GaussianMixture`).
    weight_concentration_prior_type : {'dirichlet_process', 'dirichlet_distribution'}, \
default='dirichlet_process'
    weight_concentration_prior : float, optional
        The Dirichlet (process) concentration ``gamma_0``; ``None`` means ``1 / n_components``.
        Smaller values put the weight on fewer components.
    mean_precision_prior : float, optional
        ``beta_0``, how strongly the means are pulled to ``mean_prior``; ``None`` means 1.
    mean_prior : array-like of shape (n_features,), optional
        ``m_0``; ``None`` means the (weighted) mean of the rows.
    degrees_of_freedom_prior : float, optional
        ``nu_0`` of the Wishart prior, above ``n_features - 1``; ``None`` means ``n_features``.
    covariance_prior : float or array-like, optional
        ``W_0^{-1}``: an ``(n_features, n_features)`` matrix for 'full' and 'tied', one
        variance per feature for 'diag', one number for 'spherical'. ``None`` means the
        (weighted) covariance of the rows with ``n - 1`` in the denominator (its diagonal, or
        the mean of its diagonal, for 'diag' and 'spherical').
    random_state : int, Generator or None
        Seed of the initialisation.
    warm_start : bool, default=False
        Start the next ``fit`` from the current posterior (one initialisation; its first
        change of the lower bound is measured from the previous ``lower_bound_``). Data of
        another width, or another ``n_components`` or ``covariance_type``, are refused.
    verbose : int, default=0
        Print the lower bound every ``verbose_interval`` iterations when positive.
    verbose_interval : int, default=10

    Attributes
    ----------
    weights_, means_, covariances_, precisions_, precisions_cholesky_ : ndarray
        Posterior means of the weights and of the component means, and the covariances
        ``(nu_k W_k)^{-1}`` (with their precisions and upper Cholesky factors), in
        scikit-learn's shapes.
    converged_ : bool
    n_iter_ : int
    lower_bound_ : float
        The lower bound of the best initialisation (scikit-learn's, with its constant terms
        left out; a total over the rows, not a mean); -inf after ``max_iter=0``.
    lower_bounds_ : list of float
        The lower bound at every iteration of the best initialisation.
    weight_concentration_prior_, mean_precision_prior_, mean_prior_,
    degrees_of_freedom_prior_, covariance_prior_
        The priors used, defaults filled in from the data.
    weight_concentration_ : tuple of two ndarrays or ndarray
        The Beta parameters of the sticks ('dirichlet_process') or the Dirichlet
        concentration ('dirichlet_distribution').
    mean_precision_ : ndarray of shape (n_components,)
    degrees_of_freedom_ : ndarray of shape (n_components,), or float for 'tied'
    n_features_in_ : int

    Notes
    -----
    The iterations are those of scikit-learn's ``BayesianGaussianMixture``: from the same
    initial responsibilities both reach the same posterior and lower bounds (to round-off).
    Each iteration is one pass of the block-statistics engine, so the E-step costs one matrix
    product for all the components and no responsibilities are kept.

    As in scikit-learn, :meth:`score_samples`, :meth:`predict_proba` and :meth:`predict` use
    the variational expected log-probabilities
    ``log sum_k exp(E[log pi_k] + E[log N(x | mu_k, Lambda_k)])``, which are not the
    log-density of the mixture of ``weights_``, ``means_`` and ``covariances_`` that
    :meth:`sample` draws from.

    ``sample_weight`` counts rows: an integer weight is that many copies of the row (the
    weights are set against the priors, so scaling all of them changes the fit).
    Empty cells (NaN) are not handled: :class:`GaussianMixture` fits and scores them.

    Examples
    --------
    >>> import numpy as np
    >>> from densitykit import BayesianGaussianMixture
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(-3, 1, (300, 2)), rng.normal(3, 1, (300, 2))])
    >>> bgm = BayesianGaussianMixture(n_components=6, weight_concentration_prior=1e-3,
    ...                               random_state=0).fit(X)
    >>> int((bgm.weights_ > 0.01).sum())
    2
    >>> np.round(np.sort(bgm.means_[bgm.weights_ > 0.01, 0]))
    array([-3.,  3.])
    >>> labels = bgm.predict(np.array([[-3.0, -3.0], [3.0, 3.0]]))
    >>> bool(labels[0] != labels[1])
    True
    >>> Xs, comp = bgm.sample(5, random_state=1)
    >>> Xs.shape
    (5, 2)
    """

    def __init__(self, *, n_components=1, covariance_type="full", tol=1e-3, reg_covar=1e-6,
                 max_iter=100, n_init=1, init_params="kmeans",
                 weight_concentration_prior_type="dirichlet_process",
                 weight_concentration_prior=None, mean_precision_prior=None, mean_prior=None,
                 degrees_of_freedom_prior=None, covariance_prior=None, random_state=None,
                 warm_start=False, verbose=0, verbose_interval=10):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weight_concentration_prior_type = weight_concentration_prior_type
        self.weight_concentration_prior = weight_concentration_prior
        self.mean_precision_prior = mean_precision_prior
        self.mean_prior = mean_prior
        self.degrees_of_freedom_prior = degrees_of_freedom_prior
        self.covariance_prior = covariance_prior
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False  # GaussianMixture handles empty cells
        return tags

    # --- fitting ---------------------------------------------------------------------------
    def fit(self, X: ArrayLike, y: Any = None,
            sample_weight: ArrayLike | None = None) -> BayesianGaussianMixture:
        """Fit the variational posterior.

        Iterates from ``n_init`` initialisations (from the current posterior with
        ``warm_start``) and keeps the one with the highest lower bound; the priors not given
        are set from the rows (the ``*_prior_`` attributes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Complete rows: an empty (NaN) cell raises a
            :class:`~densitykit.exceptions.DataError` (:class:`GaussianMixture` fits rows
            with empty cells); infinite values are refused.
        y : None
            Ignored; there for scikit-learn's pipelines.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights; an integer weight counts as that many copies of the row.

        Returns
        -------
        self : BayesianGaussianMixture
            The fitted estimator (``weights_``, ``means_``, ``covariances_``, the posterior's
            parameters, ``converged_``, ``lower_bound_``).

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import BayesianGaussianMixture
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(-3, 1, (200, 2)), rng.normal(3, 1, (200, 2))])
        >>> bgm = BayesianGaussianMixture(n_components=5, weight_concentration_prior=1e-3,
        ...                               random_state=0).fit(X)
        >>> bgm.converged_, int((bgm.weights_ > 0.01).sum())  # two components in use
        (True, 2)
        """
        self._check_options()
        X, w = self._check_fit_input(X, sample_weight)
        _refuse_empty_cells(X)
        ws = Workspace.from_data(X, w)
        with blas_single_threaded():
            data = InMemoryData(X, w, ws)
            priors = self._set_priors(data, ws)
            return self._fit_from(in_memory_stats(data, self._ctype()), data, ws, priors)

    def fit_predict(self, X: ArrayLike, y: Any = None,
                    sample_weight: ArrayLike | None = None) -> np.ndarray:
        """Fit the posterior to ``X`` and return the most likely component of each row.

        The same as ``fit(X, sample_weight=sample_weight).predict(X)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Complete rows (an empty (NaN) cell raises a
            :class:`~densitykit.exceptions.DataError`).
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
        >>> from densitykit import BayesianGaussianMixture
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(-3, 1, (200, 2)), rng.normal(3, 1, (200, 2))])
        >>> labels = BayesianGaussianMixture(n_components=5, weight_concentration_prior=1e-3,
        ...                                  random_state=0).fit_predict(X)
        >>> len(np.unique(labels)), bool(labels[0] != labels[-1])
        (2, True)
        """
        return self.fit(X, sample_weight=sample_weight).predict(X)

    def _check_options(self) -> int:
        k = check_int(self.n_components, "n_components", 1)
        check_int(self.max_iter, "max_iter", 0)
        check_int(self.n_init, "n_init", 1)
        check_int(int(self.verbose) if isinstance(self.verbose, bool) else self.verbose,
                  "verbose", 0)
        check_int(self.verbose_interval, "verbose_interval", 1)
        check_nonneg_float(self.tol, "tol")
        check_in(self.init_params, "init_params", INIT_METHODS)
        check_in(self.weight_concentration_prior_type, "weight_concentration_prior_type",
                 WEIGHT_PRIORS)
        return k

    def _set_priors(self, data: InMemoryData, ws: Workspace) -> Priors:
        """Check the priors, fill in the defaults from the rows, set the ``*_prior_``
        attributes (in the data's units) and return the priors in work space."""
        d, ctype = data.d, self.covariance_type
        gamma = _positive(self.weight_concentration_prior, "weight_concentration_prior",
                          1.0 / self.n_components, "the concentration of the weights' prior")
        beta = _positive(self.mean_precision_prior, "mean_precision_prior", 1.0,
                         "the precision of the means' prior")
        dof = self.degrees_of_freedom_prior
        if dof is None:
            dof = d
        elif (not isinstance(dof, numbers.Real) or isinstance(dof, bool)
              or not math.isfinite(dof) or not dof > d - 1):
            raise ParameterError(f"degrees_of_freedom_prior must be greater than n_features - 1 = "
                            f"{d - 1}; got {dof!r}. Use None (n_features) or a larger value.")
        full = ctype in ("full", "tied")
        need = self.mean_prior is None or self.covariance_prior is None
        mean_z, ss, total = _data_moments(data, full) if need else (None, None, None)
        if self.mean_prior is None:
            mean = ws.shift + ws.scale * mean_z
        else:
            mean = check_given_array(self.mean_prior, (d,), "mean_prior",
                                     "one prior mean per feature")
        if self.covariance_prior is None:
            if not total > 1:
                raise DataError(
                    f"sample_weight sums to {total:.4g}; the default covariance_prior divides "
                    "by the total weight minus one, and the weights count rows against the "
                    "priors. Give weights that sum to more than 1 (e.g. divide them by their "
                    "mean), or give covariance_prior.")
            cov = ss * (ws.scale**2 / (total - 1.0))
            cov = {"full": cov, "tied": cov, "diag": cov, "spherical": float(np.mean(cov))}[ctype]
        else:
            cov = _check_covariance_prior(self.covariance_prior, ctype, d)
        self.weight_concentration_prior_ = gamma
        self.mean_precision_prior_ = beta
        self.mean_prior_ = mean
        self.degrees_of_freedom_prior_ = dof
        self.covariance_prior_ = cov
        return Priors(gamma, beta, mean, float(dof), np.asarray(cov, np.float64)).to_work(ws)

    def _fit_from(self, stats_fn, data: InMemoryData, ws: Workspace,
                  priors: Priors) -> BayesianGaussianMixture:
        """Iterate from ``n_init`` starts (or the current posterior with ``warm_start``);
        keep the best and set the fitted attributes."""
        ctype = self._ctype()
        prior = WEIGHT_PRIORS[self.weight_concentration_prior_type]
        d = data.d
        reg = self.reg_covar / ws.scale**2
        log_scale = math.log(ws.scale)

        def e_stats(post: Posterior) -> Stats:
            return stats_fn(e_step_params(post, prior, d))

        def update(stats: Stats, post: Posterior) -> tuple[Posterior, float]:
            ent = entropy(stats, e_step_params(post, prior, d), ctype)
            new = variational_update(stats, ctype, reg, priors, prior)
            return new, lower_bound(new, ent, prior, ctype, log_scale)

        rng = check_random_state(self.random_state)
        warm = self._warm(d)
        start = self.lower_bound_ if warm else -np.inf
        best = None
        for init in range(1 if warm else self.n_init):
            if warm:
                post = self._posterior().mapped(ws.from_user(self._posterior().params()))
            else:
                post = variational_update(init_stats(self.init_params, data,
                                                     self.n_components, rng, ctype),
                                          ctype, reg, priors, prior)
            res = run_em(e_stats, post, ctype, reg=reg, tol=self.tol, max_iter=self.max_iter,
                         lower_bound=start, callback=self._progress(init), update=update)
            # with max_iter=0 every start has a lower bound of -inf: the last one is kept
            if better_start(res, best) or self.max_iter == 0:
                best = res
        warn_not_converged(self, best.converged)
        self._set_posterior(best.params.mapped(best.params.params(ws)))
        self.converged_ = best.converged
        self.n_iter_ = best.n_iter
        self.lower_bound_ = best.lower_bound
        self.lower_bounds_ = list(best.lower_bounds)
        return self

    def _progress(self, init: int):
        if not self.verbose:
            return None
        every = max(1, self.verbose_interval)

        def report(it: int, lb: float) -> None:
            if it % every == 0 or it == 1:
                print(f"Initialization {init}: iteration {it}, lower bound {lb:.6f}")

        return report

    def _set_posterior(self, post: Posterior) -> None:
        prior = WEIGHT_PRIORS[self.weight_concentration_prior_type]
        self.weight_concentration_ = post.weight_concentration
        self.mean_precision_ = post.mean_precision
        self.means_ = post.means
        self.degrees_of_freedom_ = post.dof
        self.covariances_ = post.covariances
        self.precisions_cholesky_ = post.precisions_cholesky
        self.weights_ = prior.weights(post.weight_concentration)
        pc = post.precisions_cholesky
        if self.covariance_type in ("full", "tied"):
            self.precisions_ = pc @ np.swapaxes(pc, -1, -2)
        else:
            self.precisions_ = pc**2

    def _posterior(self) -> Posterior:
        return Posterior(self.weight_concentration_, self.mean_precision_, self.means_,
                         self.degrees_of_freedom_, self.covariances_, self.precisions_cholesky_)

    def _user_params(self) -> Params:
        return Params(self.weights_, self.means_, self.covariances_, self.precisions_cholesky_)

    def _check_fitted_state(self) -> None:
        """Check a fitted state read from a model file (see :mod:`densitykit._state`): the
        mixture's (as for :class:`GaussianMixture`), the posterior's parameters, the weights
        they give, and the priors."""
        check_mixture_state(self, self.covariance_type)
        k, d = self.means_.shape
        kind = _state.need_choice(self, "weight_concentration_prior_type", WEIGHT_PRIORS)
        wc = _state.fitted(self, "weight_concentration_")
        if kind == "dirichlet_process":
            if not isinstance(wc, tuple) or len(wc) != 2:
                raise _state.StateError("weight_concentration_", "should be a pair of arrays "
                                        "(the Beta parameters of the sticks)")
            for part in wc:
                _state.need_array(self, "weight_concentration_", shape=(k,), positive=True,
                                  value=part)
        else:
            _state.need_array(self, "weight_concentration_", shape=(k,), positive=True)
        _state.check_consistent("weights_", self.weights_, WEIGHT_PRIORS[kind].weights(wc),
                                "weight_concentration_")
        _state.need_array(self, "mean_precision_", shape=(k,), positive=True)
        if self.covariance_type == "tied":
            dof = _state.need_float(self, "degrees_of_freedom_")
        else:
            dof = _state.need_array(self, "degrees_of_freedom_", shape=(k,)).min()
        if not dof > d - 1:
            raise _state.StateError("degrees_of_freedom_", f"should be above n_features - 1 = "
                                    f"{d - 1}; its smallest value is {dof:.6g}")
        self._check_prior_state(d)
        if _state.optional(self, "lower_bounds_"):
            bounds = _state.need_list(self, "lower_bounds_")
            if not all(isinstance(b, (int, float, np.floating)) for b in bounds):
                raise _state.StateError("lower_bounds_", "should be a list of numbers")

    def _check_prior_state(self, d: int) -> None:
        _state.need_float(self, "weight_concentration_prior_", positive=True)
        _state.need_float(self, "mean_precision_prior_", positive=True)
        _state.need_array(self, "mean_prior_", shape=(d,))
        if not _state.need_float(self, "degrees_of_freedom_prior_") > d - 1:
            raise _state.StateError("degrees_of_freedom_prior_",
                                    f"should be above n_features - 1 = {d - 1}")
        if self.covariance_type == "spherical":
            _state.need_float(self, "covariance_prior_", positive=True)
        elif self.covariance_type == "diag":
            _state.need_array(self, "covariance_prior_", shape=(d,), positive=True)
        else:
            _state.check_spd("covariance_prior_",
                             _state.need_array(self, "covariance_prior_", shape=(d, d)))

    # --- using the fitted posterior -------------------------------------------------------------
    def _log_prob(self, X, *, resp: bool = False):
        """The variational expected log-probabilities (scikit-learn's), per row."""
        check_is_fitted(self)
        X = check_data(self, X, reset=False, allow_nan=True)
        _refuse_empty_cells(X)
        p = self._user_params()
        ws = self._scoring_space(p)
        prior = WEIGHT_PRIORS[self.weight_concentration_prior_type]
        work = ws.from_user(p)
        work.log_weights = log_weight_terms(self._posterior(), prior, X.shape[1])
        with blas_single_threaded():
            return log_prob_blocks(X, ws, work, self._ctype(), resp=resp)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Most likely component of each row under the variational posterior.

        The argmax of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Complete rows (an empty (NaN) cell raises a
            :class:`~densitykit.exceptions.DataError`).

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            The component index of each row, from 0 to ``n_components - 1``.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import BayesianGaussianMixture
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(-3, 1, (200, 2)), rng.normal(3, 1, (200, 2))])
        >>> bgm = BayesianGaussianMixture(n_components=5, weight_concentration_prior=1e-3,
        ...                               random_state=0).fit(X)
        >>> left, right = bgm.predict([[-3.0, -3.0], [3.0, 3.0]])
        >>> bool(left != right)
        True
        """
        return self.predict_proba(X).argmax(1)

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Variational responsibilities of each row: the posterior probability of each
        component.

        As scikit-learn's, they come from the expected log-probabilities
        ``E[log pi_k] + E[log N(x | mu_k, Lambda_k)]`` (see Notes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Complete rows (an empty (NaN) cell raises a
            :class:`~densitykit.exceptions.DataError`).

        Returns
        -------
        resp : ndarray of shape (n_samples, n_components)
            The responsibilities; each row sums to 1.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import BayesianGaussianMixture
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(-3, 1, (200, 2)), rng.normal(3, 1, (200, 2))])
        >>> bgm = BayesianGaussianMixture(n_components=5, weight_concentration_prior=1e-3,
        ...                               random_state=0).fit(X)
        >>> P = bgm.predict_proba([[-3.0, -3.0], [3.0, 3.0]])
        >>> P.shape, P.sum(1).round(6).tolist(), P.max(1).round(3).tolist()
        ((2, 5), [1.0, 1.0], [1.0, 1.0])
        """
        return self._log_prob(X, resp=True)[1]

    def sample(self, n_samples: int = 1,
               random_state: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n_samples`` rows and their component labels, in random order, from the
        mixture of ``weights_``, ``means_`` and ``covariances_``.

        Each row's component is drawn from ``weights_``, then the row from that component's
        Gaussian; this mixture is not the variational density :meth:`score_samples` gives
        (see Notes).

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
            The drawn rows.
        labels : ndarray of shape (n_samples,)
            The component that drew each row.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import BayesianGaussianMixture
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(-3, 1, (200, 2)), rng.normal(3, 1, (200, 2))])
        >>> bgm = BayesianGaussianMixture(n_components=5, weight_concentration_prior=1e-3,
        ...                               random_state=0).fit(X)
        >>> Xs, labels = bgm.sample(1000, random_state=0)
        >>> Xs.shape, labels.shape
        ((1000, 2), (1000,))
        """
        return self._draw(n_samples, random_state)


def _refuse_empty_cells(X: np.ndarray) -> None:
    if has_nan(X):
        raise DataError(
            "X contains NaN (empty cells), which BayesianGaussianMixture does not handle. "
            "Use GaussianMixture, which fits and scores rows with empty cells, or impute "
            "them first.")
