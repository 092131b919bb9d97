"""KernelDensity: the estimator that stitches kernels, rules and evaluators together."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import _state
from .._estimator import BaseEstimator, DensityMixin
from .._validation import (
    check_in,
    check_int,
    check_is_fitted,
    check_nonneg_float,
    check_random_state,
    check_sample_weight,
)
from ..density import draw_categories
from ..exceptions import ParameterError
from . import _binned, _compiled
from ._bandwidth import RULES
from ._exact import log_kernel_sums
from ._kernels import KERNELS, Kernel, sample_unit_kernel
from ._missing import check_fit_data, check_queries, marginal_log_density
from ._neighbors import MAX_DIM, check_neighbors, expected_pair_fraction, neighbor_log_kernel_sums

__all__ = ["ALGORITHMS", "METRICS", "KernelDensity"]

#: evaluators a caller may ask for; 'auto' picks from (n, d, queries) and the kernel
ALGORITHMS = {
    "auto": "exact; binned for large 1-D problems (not tophat) and large 2-D gaussian ones; "
            "neighbors for large problems with a compact kernel and a small bandwidth",
    "exact": "blocked exact sums (BLAS distances, running log-sum-exp)",
    "binned": "linear binning + FFT convolution + interpolation (1-D and 2-D)",
    "neighbors": "exact sums over the rows within a compact kernel's support (k-d tree, d <= 3)",
    "kd_tree": "scikit-learn's name, an alias of 'auto'",
    "ball_tree": "scikit-learn's name, an alias of 'auto'",
}
_ALIASES = {"kd_tree": "auto", "ball_tree": "auto"}

#: metrics with a normalised density: the kernels are radial in the euclidean norm
METRICS = ("euclidean", "l2", "minkowski")
#: the binned evaluator's answers have a relative error below about this
_BINNED_RTOL = 1e-3

# 'auto' switches to the binned evaluator past this many (data x query) pairs
_BINNED_PAIRS = 2e7
# 'auto' uses the neighbour search for compact kernels past this many pairs and queries when
# the expected share of pairs within the support is below _NEIGHBOR_SHARE (measured with the
# compiled cell search: 4-100x faster than exact at shares 0.0025-0.28 in 1-3 D; with the
# k-d tree alone (no numba): 2-38x at shares up to 0.1, about even at 0.28 in 1-D; for a few
# dozen queries, sorting or building the tree costs more than the exact sums)
_NEIGHBOR_PAIRS = 1e7
_NEIGHBOR_QUERIES = 200
_NEIGHBOR_SHARE = {True: 0.25, False: 0.1}  # keyed by "numba installed"


def _parse_bandwidth(bandwidth: Any, d: int) -> tuple[str, np.ndarray]:
    """Return ('diag', per-feature scales) or ('full', lower Cholesky factor of H)."""
    if isinstance(bandwidth, numbers.Real) and not isinstance(bandwidth, bool):
        value = float(bandwidth)
        if not (np.isfinite(value) and value > 0):
            raise ParameterError(
                f"bandwidth must be a finite number > 0; got {bandwidth!r}. Pass a positive "
                f"number, or a rule: {', '.join(map(repr, RULES))}."
            )
        return "diag", np.full(d, value)
    try:
        arr = np.asarray(bandwidth, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(
            f"bandwidth must be a number > 0, a per-feature array, a (d, d) matrix or one of "
            f"{', '.join(map(repr, RULES))}; got {bandwidth!r}."
        ) from None
    if arr.ndim == 1 and arr.shape[0] in (1, d):
        if not (np.all(np.isfinite(arr)) and np.all(arr > 0)):
            raise ParameterError(f"bandwidth entries must be finite and > 0; got {arr.tolist()}.")
        return "diag", np.broadcast_to(arr, (d,)).copy()
    if arr.ndim == 2 and arr.shape == (d, d):
        ok = np.all(np.isfinite(arr)) and np.allclose(arr, arr.T, rtol=1e-10, atol=0)
        try:
            chol = np.linalg.cholesky(0.5 * (arr + arr.T)) if ok else None
        except np.linalg.LinAlgError:
            chol = None
        if chol is None:
            raise ParameterError(
                "a bandwidth matrix must be finite, symmetric and positive definite (it "
                "plays the role of the kernel's covariance, h**2 * I for a number h)."
            )
        return "full", chol
    raise ParameterError(
        f"bandwidth array has shape {arr.shape}; expected ({d},) (one per feature) or "
        f"({d}, {d}) (a matrix) for X with {d} features."
    )


def _check_sklearn_options(est: Any) -> None:
    """Check scikit-learn's options: the metric, the tolerances, the tree settings."""
    params = est.metric_params
    if params is not None and not isinstance(params, dict):
        raise ParameterError(f"metric_params must be a dict or None; got {params!r}.")
    params = dict(params or {})
    metric = est.metric
    if metric == "minkowski" and params.pop("p", 2) == 2:
        metric = "euclidean"
    if metric not in METRICS or metric == "minkowski":
        shown = f"minkowski with p={est.metric_params['p']!r}" if metric == "minkowski" \
            else repr(metric)
        raise ParameterError(
            f"metric={shown}: no normalised density is implemented for it (the kernels "
            f"are radial in the euclidean norm). Use metric='euclidean' ('l2', or "
            f"'minkowski' with p=2), and shape the kernel with a per-feature or matrix "
            f"bandwidth instead."
        )
    if params:
        raise ParameterError(f"metric_params {sorted(params)} are not used by metric="
                             f"{est.metric!r}; pass None (or {{'p': 2}} with 'minkowski').")
    for name in ("atol", "rtol"):
        value = getattr(est, name)
        if value is not None:
            check_nonneg_float(value, name)
    if est.algorithm == "binned" and not est._binning_allowed():
        raise ParameterError(
            f"algorithm='binned' answers within a relative error of about {_BINNED_RTOL:g}; "
            f"rtol={est.rtol!r}, atol={est.atol!r} ask for less. Use algorithm='exact' or "
            "'auto' (exact for such tolerances), or rtol >= 1e-3."
        )
    if not isinstance(est.breadth_first, (bool, np.bool_)):
        raise ParameterError(f"breadth_first must be True or False; got {est.breadth_first!r}.")
    check_int(est.leaf_size, "leaf_size", 1)


class KernelDensity(DensityMixin, BaseEstimator):
    """Kernel density estimate with every kernel, scale-aware bandwidths and sampling.

    Parameters
    ----------
    bandwidth : float, array of shape (d,), array of shape (d, d), or str, default='scott'
        A number ``h`` (the kernel is scaled by ``h`` on every axis); one ``h_j`` per
        feature; a symmetric positive-definite matrix ``H`` (the kernel's covariance-like
        scale, ``h**2 * I`` for a number); or a rule. Per-feature rules: ``'scott'``,
        ``'silverman'`` (both follow each feature's weighted spread), ``'isj'`` (Botev's
        improved Sheather-Jones, 1-D) or ``'cv'`` (maximum leave-one-out likelihood of
        ``c * sd_j``). Covariance rules, as ``scipy.stats.gaussian_kde``:
        ``'scott-covariance'`` and ``'silverman-covariance'`` set ``H = f**2 * S``, ``S`` the
        weighted covariance and ``f = n_eff**(-1/(d+4))`` or ``(n_eff (d+2)/4)**(-1/(d+4))``.
        A covariance rule tilts the kernel along correlated features, which suits one
        elongated cloud; a per-feature rule keeps the kernel on the axes, which suits
        data whose covariance mostly reflects clusters far apart (there ``S`` is much wider
        than any cluster) and needs no invertible covariance. In every rule weights are
        relative and the sample size is the effective one, ``(Σw)**2 / Σw**2``.
    kernel : str, default='gaussian'
        One of 'gaussian', 'tophat', 'epanechnikov', 'exponential', 'linear', 'cosine',
        'biweight', 'triweight' (scikit-learn's definitions; compact kernels have radius h).
    algorithm : str, default='auto'
        'exact' (blocked exact sums), 'binned' (FFT on a grid, 1-D and 2-D, within the bound
        of :func:`densitykit.kde.binned_error_bound`), 'neighbors' (exact sums over the rows
        within the support, found by a k-d tree: compact kernels, at most 3 features) or
        'auto' (picks from the data size, the dimension, the kernel and the bandwidth);
        scikit-learn's 'kd_tree' and 'ball_tree' are aliases of 'auto'.
    preserve_covariance : bool, default=False
        Only changes :meth:`sample`. A draw is a data row plus the kernel's noise, so the
        draws' covariance is the data's plus the kernel's. With ``True`` each draw is then
        pulled towards the data's mean by the linear map that makes the draws' covariance
        equal the data's (the variance-corrected smoothed bootstrap of Silverman, 1986,
        section 6.4.1): ``1 / sqrt(1 + h**2)`` on every axis for a Gaussian kernel whose
        bandwidth matrix is ``h**2`` times the data's covariance. The density itself is
        unchanged. Along a direction in which the data do not vary (a single row, a constant
        column) the draws do not vary either.
    metric : str, default='euclidean'
        'euclidean' (also 'l2', or 'minkowski' with ``p=2``). The kernels are radial in the
        euclidean norm; for other metrics no normalised density is implemented (scikit-learn
        accepts them but keeps the euclidean normaliser, so its values there are not a
        density), and ``fit`` says so. Shape the kernel with a per-feature or matrix
        bandwidth instead.
    metric_params : dict, optional
        Only ``{'p': 2}`` with 'minkowski'.
    atol, rtol : float, optional
        Tolerated absolute and relative error of the density, as scikit-learn's. The
        'exact' and 'neighbors' evaluators sum every term, which meets any tolerance. With
        both ``None`` (the default) 'auto' may use the binned evaluator (relative error
        below about 1e-3); with ``rtol`` given, only when ``rtol >= 1e-3``; with only
        ``atol`` given, never. Asking for ``algorithm='binned'`` with ``rtol < 1e-3`` (or
        ``atol`` alone) is an error.
    breadth_first : bool, default=True
        Accepted for scikit-learn compatibility; the evaluation does not depend on it.
    leaf_size : int, default=40
        Accepted for scikit-learn compatibility (a positive integer); the neighbour search
        sizes its own leaves.

    Notes
    -----
    Empty (NaN) cells: ``fit`` needs complete rows (it raises a
    :class:`~densitykit.exceptions.DataError` naming the fixes); ``score_samples`` and
    ``score`` integrate a query's empty cells out, giving the marginal density of its observed
    cells (exact for the gaussian, tophat, epanechnikov, biweight, triweight and exponential
    kernels with any bandwidth; see :meth:`score_samples`).

    ``fit`` keeps a reference to ``X`` when it is already a C-ordered float64 array (no copy
    of a large data set, as KDEpy does): do not modify ``X`` in place afterwards.

    Attributes
    ----------
    bandwidth_ : float or ndarray
        The bandwidth used: a float for a single value, else per-feature or a matrix.
    n_features_in_ : int
        Number of features seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from densitykit import KernelDensity
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> kde = KernelDensity(bandwidth=0.5).fit(X)
    >>> kde.score_samples(X[:2]).shape
    (2,)
    >>> kde.sample(3, random_state=0).shape
    (3, 2)
    """

    def __init__(
        self,
        *,
        bandwidth: float | str | np.ndarray = "scott",
        kernel: str = "gaussian",
        algorithm: str = "auto",
        preserve_covariance: bool = False,
        metric: str = "euclidean",
        metric_params: dict | None = None,
        atol: float | None = None,
        rtol: float | None = None,
        breadth_first: bool = True,
        leaf_size: int = 40,
    ) -> None:
        self.bandwidth = bandwidth
        self.kernel = kernel
        self.algorithm = algorithm
        self.preserve_covariance = preserve_covariance
        self.metric = metric
        self.metric_params = metric_params
        self.atol = atol
        self.rtol = rtol
        self.breadth_first = breadth_first
        self.leaf_size = leaf_size

    # ---- fitting --------------------------------------------------------------------------
    def fit(self, X: ArrayLike, y: Any = None,
            sample_weight: ArrayLike | None = None) -> KernelDensity:
        """Settle the bandwidth (``bandwidth_``) and keep the rows with positive weight.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), with no empty (NaN) cell (see Notes)
        y : ignored
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, read as repeat counts by the bandwidth rules.

        Returns
        -------
        self : KernelDensity

        Examples
        --------
        >>> from densitykit import KernelDensity
        >>> round(KernelDensity().fit([[0.0], [1.0], [2.0], [4.0]]).bandwidth_, 2)  # 'scott'
        1.29
        """
        check_in(self.kernel, "kernel", KERNELS)
        check_in(self.algorithm, "algorithm", ALGORITHMS)
        if not isinstance(self.preserve_covariance, (bool, np.bool_)):
            raise ParameterError(f"preserve_covariance must be True or False; got "
                            f"{self.preserve_covariance!r}.")
        _check_sklearn_options(self)
        X = check_fit_data(self, X)
        uniform = sample_weight is None
        w = check_sample_weight(sample_weight, X.shape[0])
        kernel = KERNELS[self.kernel]
        d = X.shape[1]
        if self.algorithm == "neighbors":
            check_neighbors(kernel, d)
        if isinstance(self.bandwidth, str):
            check_in(self.bandwidth, "bandwidth rule", RULES)
            value = np.asarray(RULES[self.bandwidth](X, w, kernel), dtype=np.float64)
            if value.ndim == 2:  # a covariance rule: a matrix, kept a matrix in 1-D too
                kind, scale = _parse_bandwidth(value, d)
                self.bandwidth_ = value
            else:
                kind, scale = "diag", value
                self.bandwidth_ = float(scale[0]) if d == 1 else scale
        else:
            kind, scale = _parse_bandwidth(self.bandwidth, d)
            bw = np.asarray(self.bandwidth, dtype=np.float64)
            single = bw.ndim == 0 or (bw.ndim == 1 and bw.size == 1)
            self.bandwidth_ = float(scale[0]) if single else bw.copy()
        keep = w > 0
        if not keep.all():
            X, w = X[keep], w[keep]
        self._kind, self._scale = kind, scale
        self._X = X
        self._p = None if uniform else w / w.sum()
        self._center = X.mean(axis=0) if uniform else (self._p @ X)
        log_det = np.sum(np.log(np.diag(scale) if kind == "full" else scale))
        self._log_const = -kernel.log_norm(d) - float(log_det)
        self._shrink = self._covariance_map(kernel.variance(d)) if self.preserve_covariance \
            else None
        return self

    def _covariance_map(self, kernel_variance: float) -> np.ndarray:
        """``A`` with ``A (S + K) A.T = S``: S the data's covariance, K the kernel's.

        ``A = S^(1/2) (S + K)^(-1/2)`` with symmetric square roots, which is a plain scaling
        when K is proportional to S (and per axis when both are diagonal)."""
        Xc = self._X - self._center
        S = (Xc.T @ Xc) / Xc.shape[0] if self._p is None else (Xc.T * self._p) @ Xc
        L = self._scale if self._kind == "full" else np.diag(self._scale)
        vals, vecs = np.linalg.eigh(S)
        root = (vecs * np.sqrt(np.maximum(vals, 0.0))) @ vecs.T
        vals, vecs = np.linalg.eigh(S + kernel_variance * (L @ L.T))
        return root @ ((vecs / np.sqrt(vals)) @ vecs.T)

    def _whiten(self, Y: np.ndarray) -> np.ndarray:
        Yc = Y - self._center
        if self._kind == "diag":
            Yc /= self._scale
            return Yc
        from scipy.linalg import solve_triangular  # on first use: 0.1 s to import

        return solve_triangular(self._scale, Yc.T, lower=True).T

    def _unwhiten(self, U: np.ndarray) -> np.ndarray:
        if self._kind == "diag":
            return U * self._scale
        return U @ self._scale.T

    def _kernel(self) -> Kernel:
        """The kernel in the model's dimension (a marginal kernel on a marginal model)."""
        kernel = getattr(self, "_marginal_kernel", None)
        return KERNELS[self.kernel] if kernel is None else kernel

    def _kernel_sums(self) -> _binned.KernelSums:
        """The fitted state the binned evaluator works from."""
        return _binned.KernelSums(self._X, self._p, self._kind, self._scale, self._center,
                                  self._log_const, self._kernel(), self._exact_log_density)

    def _binning_allowed(self) -> bool:
        atol, rtol = getattr(self, "atol", None), getattr(self, "rtol", None)
        if rtol is None:
            return atol is None
        return rtol >= _BINNED_RTOL

    def _pick_algorithm(self, n_queries: int) -> str:
        algorithm = _ALIASES.get(self.algorithm, self.algorithm)
        if algorithm != "auto":
            return algorithm
        n, d = self._X.shape
        kernel = self._kernel()
        big = n * n_queries > _BINNED_PAIRS
        smooth_enough = kernel.compiled and (
            (d == 1 and np.isfinite(kernel.slope)) or kernel.name == "gaussian")
        if d <= 2 and big and smooth_enough and n > 2000 and self._binning_allowed():
            return "binned"
        fast = _compiled.AVAILABLE and kernel.compiled
        if (np.isfinite(kernel.support) and d <= MAX_DIM and n * n_queries > _NEIGHBOR_PAIRS
                and n_queries >= _NEIGHBOR_QUERIES
                and self._pair_share() < _NEIGHBOR_SHARE[fast]):
            return "neighbors"
        return "exact"

    def _pair_share(self) -> float:
        """Expected share of (query, row) pairs within the support (from a data subsample)."""
        X = self._X[:: max(1, self._X.shape[0] // 2000)]
        return expected_pair_fraction(self._whiten(X))

    # ---- scoring --------------------------------------------------------------------------
    def score_samples(self, X: ArrayLike) -> np.ndarray:
        """Log-density of each row of ``X``; a row with empty cells gets the marginal one.

        An empty (NaN) cell is integrated out: the row's value is the log-density of its
        observed cells under the estimate's marginal for those features, and a row with no
        observed cell gets 0 (the log of the total probability, 1). Rows are grouped by
        their pattern of empty cells; each pattern is scored on the observed columns with
        the bandwidth's block for them (per-feature scales, or ``H_oo`` of a matrix) and
        the kernel's marginal, by the evaluator ``algorithm`` picks for that sub-problem
        ('binned' runs exactly for marginals that are not a registry kernel). The
        marginal is exact for every bandwidth kind with these kernels:

        * 'gaussian': the gaussian kernel in fewer dimensions;
        * 'tophat', 'epanechnikov', 'biweight', 'triweight' (``(1 - r^2)^p``): the power
          kernel ``(1 - r^2)^(p + m/2)`` for ``m`` empty cells, normalised in closed form;
        * 'exponential': the Matérn profile ``r^ν K_ν(r)``, ``ν = (m + 1) / 2``.

        'linear' and 'cosine' have no closed-form marginal: a row with some (not all)
        cells empty raises a :class:`~densitykit.exceptions.DataError` under them.
        Infinite cells are refused as before.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features)
            NaN marks an empty cell.

        Returns
        -------
        log_density : ndarray of shape (n_queries,)
            ``log p(x)`` of each row, in nats (-inf where a compact kernel reaches no row).

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import KernelDensity
        >>> X = np.random.default_rng(0).normal(size=(200, 2))
        >>> kde = KernelDensity(bandwidth=0.5).fit(X)
        >>> one = KernelDensity(bandwidth=0.5).fit(X[:, :1])
        >>> bool(np.isclose(kde.score_samples([[0.3, np.nan]])[0],
        ...                 one.score_samples([[0.3]])[0]))
        True
        >>> kde.score_samples([[np.nan, np.nan]])
        array([0.])
        """
        check_is_fitted(self)
        X, missing = check_queries(self, X)
        if missing is not None:
            return marginal_log_density(self, X, missing)
        return self._score_complete(X)

    def _score_complete(self, X: np.ndarray) -> np.ndarray:
        algorithm = self._pick_algorithm(X.shape[0])
        if algorithm == "binned":
            return _binned.binned_log_density(self._kernel_sums(), X)
        if algorithm == "neighbors":
            return self._neighbor_log_density(X)
        return self._exact_log_density(X)

    def _log_weights(self) -> np.ndarray:
        if self._p is None:
            return np.full(self._X.shape[0], -np.log(self._X.shape[0]))
        return np.log(self._p)

    def _neighbor_log_density(self, X: np.ndarray) -> np.ndarray:
        """Exact log-density summed over the rows within the kernel's support."""
        lse = neighbor_log_kernel_sums(self._whiten(X), self._whiten(self._X),
                                       self._log_weights(), self._kernel())
        return lse + self._log_const

    def _exact_log_density(self, X: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Exact log-density; ``rows`` (indices or a mask) limits the sum to those rows."""
        data = self._X if rows is None else self._X[rows]
        if self._p is None:
            logw = np.full(data.shape[0], -np.log(self._X.shape[0]))
        else:
            logw = np.log(self._p if rows is None else self._p[rows])
        lse = log_kernel_sums(self._whiten(X), data, logw, self._kernel(),
                              prep=self._whiten)
        return lse + self._log_const

    def score(self, X: ArrayLike, y: Any = None) -> float:
        """Total log-likelihood of ``X`` under the model, in nats.

        The sum of :meth:`score_samples` over the rows, as scikit-learn's
        ``KernelDensity.score`` (the Gaussian models' ``score`` is a mean per row). A row
        with empty cells (NaN) counts with the marginal log-density of its observed cells;
        a row that a compact kernel does not reach makes the total -inf.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features)
            Rows to score; NaN marks an empty cell.
        y : None
            Ignored; there for scikit-learn's pipelines.

        Returns
        -------
        score : float
            ``sum_n log p(x_n)``, in nats; higher is better.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import KernelDensity
        >>> X = np.random.default_rng(0).normal(size=(200, 2))
        >>> kde = KernelDensity(bandwidth=0.5).fit(X)
        >>> bool(np.isclose(kde.score(X[:50]), kde.score_samples(X[:50]).sum()))
        True
        >>> KernelDensity(kernel="tophat", bandwidth=0.5).fit(X).score([[9.0, 9.0]])
        -inf
        """
        return float(np.sum(self.score_samples(X)))

    # ---- sampling -------------------------------------------------------------------------
    def sample(self, n_samples: int = 1, random_state: Any = None) -> np.ndarray:
        """Draw rows from the estimate: a data row by weight plus the kernel's noise.

        Every kernel can sample. With ``preserve_covariance=True`` each draw is then pulled
        towards the data's mean, so that the draws' covariance is the data's (see the
        class's Parameters).

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

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import KernelDensity
        >>> X = np.random.default_rng(0).normal(size=(300, 1))
        >>> KernelDensity(kernel="epanechnikov", bandwidth=0.5).fit(X).sample(4).shape
        (4, 1)
        >>> wide = KernelDensity(bandwidth=1.0).fit(X).sample(20000, random_state=0)
        >>> kept = KernelDensity(bandwidth=1.0, preserve_covariance=True).fit(X)
        >>> round(float(wide.std()), 1), round(float(kept.sample(20000, random_state=0).std()), 1)
        (1.4, 1.0)
        """
        check_is_fitted(self)
        n_samples = check_int(n_samples, "n_samples", 1)
        rng = check_random_state(random_state)
        n, d = self._X.shape
        if self._p is None:
            idx = rng.integers(0, n, size=n_samples)
        else:
            idx = draw_categories(rng, self._p, n_samples)
        noise = sample_unit_kernel(KERNELS[self.kernel], rng, int(n_samples), d)
        draws = self._X[idx] + self._unwhiten(noise)
        if getattr(self, "_shrink", None) is not None:  # absent in older model files
            draws = self._center + (draws - self._center) @ self._shrink.T
        return draws

    # ---- plotting grid --------------------------------------------------------------------
    def grid(self, n_points: int | tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Density on a regular grid covering the data (1-D and 2-D), for plots.

        The grid reaches a few bandwidths past the data (3 for the gaussian kernel), and
        the density on it comes from the binned evaluator (FFT on a grid, within the bound
        of :func:`densitykit.kde.binned_error_bound`). A model with more than 2 features
        raises a :class:`~densitykit.exceptions.DataError`.

        Parameters
        ----------
        n_points : int or (int, int), default=None
            Grid points (per axis, at least 2); ``None`` means 1024 in 1-D and 128 x 128 in
            2-D.

        Returns
        -------
        grid : ndarray of shape (n,) in 1-D, (n0 * n1, 2) in 2-D (first axis slowest)
            The grid's points.
        density : ndarray of shape (n,) or (n0 * n1,)
            The density at each point (not its logarithm), never negative.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import KernelDensity
        >>> rng = np.random.default_rng(0)
        >>> x, dens = KernelDensity(bandwidth=0.3).fit(rng.normal(size=(300, 1))).grid(512)
        >>> x.shape, dens.shape, round(float(dens.sum() * (x[1] - x[0])), 2)  # integral 1
        ((512,), (512,), 1.0)
        >>> xy, dens = KernelDensity(bandwidth=0.3).fit(rng.normal(size=(300, 2))).grid((40, 30))
        >>> xy.shape, dens.shape
        ((1200, 2), (1200,))
        """
        check_is_fitted(self)
        return _binned.density_grid(self._kernel_sums(), n_points)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags

    # ---- model files ----------------------------------------------------------------------
    def _check_fitted_state(self) -> None:
        """Check a fitted state read from a model file (see :mod:`densitykit._state`): the
        rows, their weights, a positive bandwidth and the normaliser it gives."""
        if self.kernel not in KERNELS:
            raise _state.StateError("kernel", f"should be one of "
                                    f"{', '.join(map(repr, KERNELS))}; got {self.kernel!r}")
        X = _state.need_array(self, "_X", ndim=2)
        n, d = X.shape
        if n < 1 or d < 1:
            raise _state.StateError("_X", f"should hold at least one row and column; it has "
                                    f"shape {X.shape}")
        if _state.need_int(self, "n_features_in_", minimum=1) != d:
            raise _state.StateError("n_features_in_", f"is {self.n_features_in_}, but the "
                                    f"rows (_X) have {d} features")
        kind = _state.need_choice(self, "_kind", ("diag", "full"))
        if kind == "diag":
            scale = _state.need_array(self, "_scale", shape=(d,), positive=True)
            log_det = float(np.sum(np.log(scale)))
        else:
            scale = _state.need_array(self, "_scale", shape=(d, d))
            diag = np.diag(scale)
            if not np.all(diag > 0) or np.any(np.triu(scale, 1) != 0):
                raise _state.StateError("_scale", "should be a lower-triangular factor with a "
                                        "positive diagonal; it is not")
            log_det = float(np.sum(np.log(diag)))
        self._check_bandwidth_state(d)
        p = _state.fitted(self, "_p")
        if p is not None:
            p = _state.need_array(self, "_p", shape=(n,))
            _state.check_weights("_p", p)
        _state.need_array(self, "_center", shape=(d,))
        expected = -KERNELS[self.kernel].log_norm(d) - log_det
        got = _state.need_float(self, "_log_const")
        if not abs(got - expected) <= 1e-8 * max(1.0, abs(expected)):
            raise _state.StateError("_log_const", f"is {got:.10g}, but the kernel and the "
                                    f"bandwidth give {expected:.10g}")
        if _state.optional(self, "_shrink") and self._shrink is not None:
            _state.need_array(self, "_shrink", shape=(d, d))

    def _check_bandwidth_state(self, d: int) -> None:
        bw = _state.fitted(self, "bandwidth_")
        if isinstance(bw, np.ndarray) and bw.ndim == 2:
            bw = _state.need_array(self, "bandwidth_", shape=(d, d))
            if not np.all(np.diag(bw) > 0):
                raise _state.StateError("bandwidth_", "should have a positive diagonal; its "
                                        f"smallest diagonal entry is {np.diag(bw).min():.6g}")
        elif isinstance(bw, np.ndarray):
            b = _state.need_array(self, "bandwidth_", ndim=(0, 1), positive=True)
            if b.ndim == 1 and b.shape[0] not in (1, d):
                raise _state.StateError("bandwidth_", f"should have 1 or {d} entries; it has "
                                        f"{b.shape[0]}")
        else:
            _state.need_float(self, "bandwidth_", positive=True)
