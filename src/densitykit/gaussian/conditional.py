"""Conditional and marginal distributions of a fitted Gaussian mixture.

For a mixture ``p(x) = sum_k w_k N(x; mu_k, S_k)`` split into given features ``a`` and
remaining features ``b``, the conditional ``p(x_b | x_a)`` is again a Gaussian mixture:

* weights ``w_k N(x_a; mu_ka, S_k,aa)``, renormalised (the evidence of each component),
* means ``mu_kb + S_k,ba S_k,aa^{-1} (x_a - mu_ka)``,
* covariances ``S_k,bb - S_k,ba S_k,aa^{-1} S_k,ab`` (the Schur complement).

The marginal ``p(x_b)`` keeps the weights and takes the sub-blocks of means and covariances.
Both keep the covariance type: a tied mixture stays tied (the Schur complement of a shared
matrix is shared), diagonal and spherical mixtures have independent features within a
component, so their conditional covariances are the marginal ones.

The functions take a fitted mixture (densitykit's or scikit-learn's ``GaussianMixture``) and
return a new fitted mixture of the same class; the batched forms return one conditional mean
or one conditional sample per row of given values, vectorised over rows (the only Python loop
is over components). Everything is computed in log space.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.linalg import cho_solve, solve_triangular
from scipy.special import logsumexp

from .._estimator import clone
from .._validation import check_is_fitted, check_random_state
from ..density import INIT_PARAMETERS, draw_categories
from ..exceptions import DataError, ParameterError

__all__ = [
    "condition",
    "condition_batch",
    "conditional_mean",
    "marginal",
    "resolve_columns",
    "sample_conditional",
]

_LOG_2PI = np.log(2.0 * np.pi)
_COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


# --------------------------------------------------------------------------- columns


def resolve_columns(gmm: Any, columns: Any, name: str = "given_columns") -> np.ndarray:
    """Turn column indices or names into a validated array of distinct integer indices.

    Negative indices count from the end, as in NumPy. Names need a mixture fitted on a
    data frame (``feature_names_in_``).
    """
    n_features = int(np.asarray(gmm.means_).shape[1])
    cols = [columns] if np.ndim(columns) == 0 else list(np.asarray(columns, dtype=object))
    if len(cols) == 0:
        raise ParameterError(f"{name} is empty; give at least one column (index or name).")
    names = getattr(gmm, "feature_names_in_", None)
    out = []
    for c in cols:
        if isinstance(c, str):
            if names is None or c not in list(names):
                valid = list(names)[:20] if names is not None else "none (fitted on an array)"
                raise ParameterError(
                    f"{name}: unknown column {c!r}; column names are {valid}. Use a name "
                    "from that list or an integer index."
                )
            out.append(list(names).index(c))
        elif isinstance(c, (int, np.integer)) and not isinstance(c, bool):
            if not -n_features <= int(c) < n_features:
                raise ParameterError(
                    f"{name}: column {int(c)} does not exist; the model has {n_features} "
                    f"features, so indices run from 0 to {n_features - 1}."
                )
            out.append(int(c) % n_features)
        else:
            raise ParameterError(f"{name} must hold integer indices or column names; got {c!r}.")
    idx = np.asarray(out, dtype=np.intp)
    if np.unique(idx).size != idx.size:
        raise ParameterError(f"{name} names a column more than once: {cols}. Give each once.")
    return idx


def _split(gmm: Any, given_columns: Any) -> tuple[np.ndarray, np.ndarray]:
    check_is_fitted(gmm, "means_")
    a = resolve_columns(gmm, given_columns)
    n_features = np.asarray(gmm.means_).shape[1]
    if a.size == n_features:
        raise ParameterError(
            f"given_columns covers all {n_features} features, so nothing is left to "
            "condition; leave at least one column out (score_samples gives the density of "
            "fully observed rows)."
        )
    b = np.setdiff1d(np.arange(n_features), a)
    return a, b


# ----------------------------------------------------------------- parameter helpers


def full_covariances(gmm: Any) -> np.ndarray:
    """Return the component covariances of ``gmm`` as a (K, D, D) array, whatever its type."""
    ctype = gmm.covariance_type
    cov = np.asarray(gmm.covariances_, dtype=np.float64)
    k, d = np.asarray(gmm.means_).shape
    if ctype == "full":
        return cov
    if ctype == "tied":
        return np.broadcast_to(cov, (k, d, d))
    if ctype == "diag":
        return cov[:, :, None] * np.eye(d)
    if ctype == "spherical":
        return cov[:, None, None] * np.eye(d)
    raise ParameterError(
        f"Unknown covariance_type {ctype!r}; valid options are "
        + ", ".join(repr(t) for t in _COVARIANCE_TYPES)
        + "."
    )


def _compress(cov: np.ndarray, ctype: str) -> np.ndarray:
    """Turn (K, d, d) covariances back into the storage of ``ctype``."""
    if ctype == "full":
        return cov
    if ctype == "tied":
        return cov[0]
    diag = np.diagonal(cov, axis1=1, axis2=2)
    if ctype == "diag":
        return diag.copy()
    return diag.mean(axis=1)


def precision_cholesky(cov: np.ndarray, ctype: str) -> np.ndarray:
    """Return the upper-triangular factors ``U`` with ``U U^T = cov^{-1}`` (sklearn layout)."""
    if ctype in ("diag", "spherical"):
        return 1.0 / np.sqrt(cov)
    mats = cov[None] if ctype == "tied" else cov
    out = np.empty_like(mats)
    eye = np.eye(mats.shape[-1])
    for k, c in enumerate(mats):
        try:
            low = np.linalg.cholesky(c)
        except np.linalg.LinAlgError:
            raise DataError(
                "A conditional covariance is not positive definite (the given columns "
                "determine the others almost exactly). Fit the mixture with a larger "
                "reg_covar or condition on fewer, less collinear columns."
            ) from None
        out[k] = solve_triangular(low, eye, lower=True).T
    return out[0] if ctype == "tied" else out


def _precisions(prec_chol: np.ndarray, ctype: str) -> np.ndarray:
    if ctype in ("diag", "spherical"):
        return prec_chol**2
    if ctype == "tied":
        return prec_chol @ prec_chol.T
    return np.einsum("kij,klj->kil", prec_chol, prec_chol)


def new_mixture(
    template: Any,
    weights: np.ndarray,
    means: np.ndarray,
    covariances: np.ndarray,
    covariance_type: str,
    columns: np.ndarray | None = None,
) -> Any:
    """Build a fitted mixture of the template's class from explicit parameters."""
    est = clone(template)
    params = est.get_params()
    update: dict[str, Any] = {"n_components": int(weights.shape[0])}
    if "covariance_type" in params:
        update["covariance_type"] = covariance_type
    for key in INIT_PARAMETERS:
        if key in params:
            update[key] = None
    est.set_params(**update)
    prec_chol = precision_cholesky(covariances, covariance_type)
    est.weights_ = weights
    est.means_ = means
    est.covariances_ = covariances
    est.precisions_cholesky_ = prec_chol
    est.precisions_ = _precisions(prec_chol, covariance_type)
    est.converged_ = True
    est.n_iter_ = 0
    est.lower_bound_ = -np.inf
    est.n_features_in_ = int(means.shape[1])
    names = getattr(template, "feature_names_in_", None)
    if names is not None and columns is not None:
        est.feature_names_in_ = np.asarray(names, dtype=object)[columns]
    return est


# ------------------------------------------------------------------------- marginal


def marginal(gmm: Any, columns: Any) -> Any:
    """Return the marginal mixture of ``columns`` (in the order given).

    Parameters
    ----------
    gmm : fitted GaussianMixture
    columns : int, str or sequence of them
        The features to keep.

    Returns
    -------
    GaussianMixture
        A fitted mixture over ``len(columns)`` features with the same weights and
        covariance type.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.mixture import GaussianMixture
    >>> from densitykit.gaussian.conditional import marginal
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> gmm = GaussianMixture(2, random_state=0).fit(X)
    >>> m = marginal(gmm, [2, 0])
    >>> m.means_.shape, bool(np.allclose(m.means_[:, 1], gmm.means_[:, 0]))
    ((2, 2), True)
    """
    check_is_fitted(gmm, "means_")
    cols = resolve_columns(gmm, columns, name="columns")
    ctype = gmm.covariance_type
    cov = full_covariances(gmm)[:, cols][:, :, cols]
    means = np.asarray(gmm.means_, dtype=np.float64)[:, cols]
    weights = np.asarray(gmm.weights_, dtype=np.float64).copy()
    return new_mixture(gmm, weights, means, _compress(cov, ctype), ctype, cols)


# ---------------------------------------------------------------------- conditioning


def _blocks(gmm: Any, a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """Per-component pieces used by every conditioning routine.

    ``chol_aa``: lower Cholesky of S_aa, ``gain``: S_aa^{-1} S_ab (so that the conditional
    mean is ``mu_b + (x_a - mu_a) @ gain``), ``cov_b``: the Schur complement.
    """
    cov = full_covariances(gmm)
    s_aa = cov[:, a][:, :, a]
    s_ab = cov[:, a][:, :, b]
    s_bb = cov[:, b][:, :, b]
    k = s_aa.shape[0]
    chol_aa = np.empty_like(s_aa)
    gain = np.empty_like(s_ab)
    for i in range(k):
        try:
            chol_aa[i] = np.linalg.cholesky(s_aa[i])
        except np.linalg.LinAlgError:
            raise DataError(
                f"The covariance of the given columns in component {i} is not positive "
                "definite. Fit the mixture with a larger reg_covar."
            ) from None
        gain[i] = cho_solve((chol_aa[i], True), s_ab[i])
    cov_b = s_bb - np.einsum("kab,kac->kbc", s_ab, gain)
    cov_b = 0.5 * (cov_b + np.swapaxes(cov_b, 1, 2))
    means = np.asarray(gmm.means_, dtype=np.float64)
    return {
        "chol_aa": chol_aa,
        "gain": gain,
        "cov_b": cov_b,
        "mu_a": means[:, a],
        "mu_b": means[:, b],
        "log_w": np.log(np.asarray(gmm.weights_, dtype=np.float64)),
    }


def _check_values(values: Any, n_given: int, batch: bool) -> np.ndarray:
    try:
        v = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"values must be numbers; got {values!r}.") from None
    if batch:
        if v.ndim == 1 and n_given == 1:
            v = v[:, None]
        if v.ndim != 2 or v.shape[1] != n_given:
            raise ParameterError(
                f"values must have shape (n_rows, {n_given}), one column per given column; "
                f"got shape {v.shape}."
            )
    else:
        v = v.ravel()
        if v.shape[0] != n_given:
            raise ParameterError(
                f"values must hold {n_given} number(s), one per given column; got {v.shape[0]}."
            )
    if not np.all(np.isfinite(v)):
        raise ParameterError("values contain NaN or inf; give finite values for the given columns.")
    return v


def _log_evidence(blocks: dict[str, np.ndarray], v: np.ndarray) -> np.ndarray:
    """Return ``log w_k + log N(v; mu_ka, S_k,aa)`` of shape (n_rows, K)."""
    k, n_given = blocks["mu_a"].shape
    out = np.empty((v.shape[0], k))
    for i in range(k):
        low = blocks["chol_aa"][i]
        sol = solve_triangular(low, (v - blocks["mu_a"][i]).T, lower=True)
        log_det = np.log(np.diagonal(low)).sum()
        out[:, i] = -0.5 * np.einsum("ij,ij->j", sol, sol) - log_det - 0.5 * n_given * _LOG_2PI
    return out + blocks["log_w"]


def condition(gmm: Any, given_columns: Any, values: Any) -> Any:
    """Return the mixture of the remaining features given ``values`` of ``given_columns``.

    Parameters
    ----------
    gmm : fitted GaussianMixture (any covariance type)
    given_columns : int, str or sequence of them
        Columns whose values are known (indices, or names for a model fitted on a table).
    values : array-like of shape (len(given_columns),)

    Returns
    -------
    GaussianMixture
        Fitted mixture over the remaining columns (in their original order), with weights
        re-weighted by the evidence of each component and the same covariance type.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.mixture import GaussianMixture
    >>> from densitykit.gaussian.conditional import condition
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=500)
    >>> X = np.column_stack([x, 2 * x + 0.1 * rng.normal(size=500)])
    >>> cond = condition(GaussianMixture(1).fit(X), [0], [1.0])
    >>> round(float(cond.means_[0, 0]), 1), round(float(np.sqrt(cond.covariances_[0, 0, 0])), 1)
    (2.0, 0.1)
    """
    a, b = _split(gmm, given_columns)
    v = _check_values(values, a.size, batch=False)
    blocks = _blocks(gmm, a, b)
    log_r = _log_evidence(blocks, v[None])[0]
    weights = np.exp(log_r - logsumexp(log_r))
    means = blocks["mu_b"] + np.einsum("ka,kab->kb", v - blocks["mu_a"], blocks["gain"])
    ctype = gmm.covariance_type
    return new_mixture(gmm, weights, means, _compress(blocks["cov_b"], ctype), ctype, b)


def condition_batch(
    gmm: Any,
    given_columns: Any,
    values: Any,
    *,
    mode: str = "sample",
    random_state: Any = None,
) -> np.ndarray:
    """One conditional sample or conditional mean of the remaining features per row.

    Parameters
    ----------
    gmm : fitted GaussianMixture
    given_columns : int, str or sequence of them
    values : array-like of shape (n_rows, len(given_columns))
        The given values, one row per draw.
    mode : {'sample', 'mean'}, default='sample'
        ``'sample'`` draws one row from ``p(x_b | x_a)`` per row of ``values``; ``'mean'``
        returns ``E[x_b | x_a]``.
    random_state : None, int or Generator
        Seed for ``mode='sample'``.

    Returns
    -------
    ndarray of shape (n_rows, n_features - len(given_columns))
        Remaining columns in their original order.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.mixture import GaussianMixture
    >>> from densitykit.gaussian.conditional import condition_batch
    >>> X = np.random.default_rng(0).multivariate_normal([0, 0], [[1, .9], [.9, 1]], 2000)
    >>> gmm = GaussianMixture(1).fit(X)
    >>> condition_batch(gmm, [0], [[1.0], [-1.0]], mode="mean").round(1).ravel().tolist()
    [0.9, -0.9]
    """
    if mode not in ("sample", "mean"):
        raise ParameterError(f"Unknown mode {mode!r}; valid options are 'sample', 'mean'.")
    if mode == "mean":
        return conditional_mean(gmm, given_columns, values)
    return sample_conditional(gmm, given_columns, values, random_state=random_state)


def _posterior(gmm: Any, given_columns: Any, values: Any
               ) -> tuple[dict[str, Any], np.ndarray, np.ndarray, int]:
    """The per-component blocks, the checked given values ``(n, |a|)``, each row's
    component responsibilities ``(n, k)`` given them, and the number of other columns."""
    a, b = _split(gmm, given_columns)
    v = _check_values(values, a.size, batch=True)
    blocks = _blocks(gmm, a, b)
    log_r = _log_evidence(blocks, v)
    return blocks, v, np.exp(log_r - logsumexp(log_r, axis=1, keepdims=True)), b.size


def sample_conditional(
    gmm: Any, given_columns: Any, values: Any, random_state: Any = None
) -> np.ndarray:
    """Draw one row of the remaining features per row of ``values`` (see condition_batch):
    a component by its responsibility, then that component's conditional Gaussian."""
    blocks, v, resp, m = _posterior(gmm, given_columns, values)
    rng = check_random_state(random_state)
    z = draw_categories(rng, resp)  # one component per row
    noise = rng.standard_normal((v.shape[0], m))
    out = np.zeros((v.shape[0], m))
    for i in np.unique(z):
        rows = np.flatnonzero(z == i)
        low = np.linalg.cholesky(blocks["cov_b"][i])
        mean_i = blocks["mu_b"][i] + (v[rows] - blocks["mu_a"][i]) @ blocks["gain"][i]
        out[rows] = mean_i + noise[rows] @ low.T
    return out


def conditional_mean(gmm: Any, given_columns: Any, values: Any) -> np.ndarray:
    """Return ``E[x_b | x_a]`` per row of ``values`` (see condition_batch): the components'
    conditional means weighted by their responsibilities."""
    blocks, v, resp, m = _posterior(gmm, given_columns, values)
    out = np.zeros((v.shape[0], m))
    for i in range(resp.shape[1]):
        out += resp[:, [i]] * (blocks["mu_b"][i] + (v - blocks["mu_a"][i]) @ blocks["gain"][i])
    return out
