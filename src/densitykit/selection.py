"""Choosing a model's complexity: a grid of candidates, scored by BIC, AIC or held-out data.

:class:`ModelSelector` fits every candidate of a parameter grid (in parallel with
``n_jobs``), records a tidy table of criteria in ``results_`` and keeps the best model,
already fitted on all the data, in ``best_estimator_``. :func:`select_model` is the same as a
function call.

Why the default is held-out likelihood on contiguous folds
----------------------------------------------------------
BIC assumes independent rows. Process data are hourly readings of a plant: neighbouring rows
are strongly correlated, so the effective number of independent rows is far below ``n`` and
BIC's ``log(n)`` penalty is far too weak. On the Dow table (5,668 hours x 40 standardised
inputs, full covariances, 1 to 24 components) BIC picks 16 components, whose log-likelihood
on held-out blocks of time is -592 per row against -182 for a single Gaussian: the extra
components memorise runs of neighbouring hours and the plant drifts. A shuffled k-fold split
leaks in the same way (test hours have near-copies in the training rows) and picks 12.
The default therefore is ``criterion='cv'`` with ``cv=5`` **contiguous** folds
(``KFold(shuffle=False)``: whole blocks of time are held out), and the
**one-standard-error rule**: among the candidates whose mean held-out log-likelihood is
within one standard error of the best, the one with the fewest parameters is chosen. The
table always reports held-out log-likelihood beside BIC and AIC, whatever the criterion, so a
BIC choice that generalises badly is visible (with ``criterion='bic'`` or ``'aic'`` the
held-out column comes from the last fold only, which costs one extra fit per candidate;
``cv=None`` skips it, as the textbook BIC loop does, and leaves the held-out columns empty).

Every candidate's full-data fit starts from the parameters of its last held-out fit when the
estimator accepts initial parameters (``weights_init``, ``means_init``, ``precisions_init``),
which needs far fewer EM iterations than a cold start.

Sweeps over the number of components
------------------------------------
A grid of densitykit ``GaussianMixture`` candidates that differ only in ``n_components``
(for each setting of the other parameters, at least two sizes; no initial parameters, no
warm start, no extra scorers, no ``stop_after``, no empty cells) is fitted as a sweep
(:func:`densitykit.gaussian.sweep_n_components`): the rows and their features are prepared
once per split, the k-means++ seeds of every size are the first ones of one seeding, and
every size after the first is also started from the previous size's solution with the
components that gain most split in two; after a few EM passes from each start, the one
with the higher likelihood on the training rows runs on to convergence. Once the BIC on the
training rows has clearly turned up (two sizes in a row above the lowest by more than twice
the penalty of a step), larger sizes start from the split alone. Each candidate is then
an ordinary fitted model with its own figures; only its starting point differs from a
separate ``fit``. Other grids take the general path, one ``fit`` per candidate.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.model_selection import KFold, ParameterGrid

from . import _state
from ._estimator import BaseEstimator, clone
from ._results import RESULT_COLUMNS
from ._validation import check_data, check_in, check_int, check_is_fitted
from .density import INIT_PARAMETERS, allows_nan, information_criterion, n_parameters
from .exceptions import DataError, FitError, ParameterError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["CRITERIA", "RULES", "SCORERS", "ModelSelector", "choose_index", "select_model"]


#: criterion -> (column of results_, True when larger is better)
CRITERIA: dict[str, tuple[str, bool]] = {
    "bic": ("bic", False),
    "aic": ("aic", False),
    "cv": ("heldout_loglik", True),
    "detection": ("detection_auc", False),
}

#: a candidate whose draws sit closer to its fitted rows than the held-out rows' 5th
#: percentile more often than this copies its rows, and criterion='detection' skips it
MAX_SHARE_CLOSER = 0.10


def detection_scorer(model: Any, X_fit: Any, X_test: Any, *, random_state: Any = 0,
                     decode: Any = None, rows: tuple[Any, Any] | None = None
                     ) -> dict[str, float]:
    """Detection AUC of the model's draws against ``X_test``, and the privacy share.

    ``decode`` maps the draws into the space the classifier should see (the table's units
    when the model lives in a transformed space), and ``rows`` are then the real fitted and
    test rows in that space, in place of ``X_fit`` and ``X_test``. The share is the fraction
    of draws closer to a fitted row than 95% of the test rows are (see
    :func:`densitykit.evaluate.privacy_check`).
    """
    from .density import draw_rows
    from .evaluate import detection_auc, privacy_check

    draws = draw_rows(model, len(X_test), random_state)
    if decode is not None:
        draws = decode(draws)
    if rows is not None:
        X_fit, X_test = rows
    auc = detection_auc(X_test, draws, n_splits=3, random_state=random_state)
    closer = privacy_check(X_fit, draws, X_test, random_state=random_state).share_closer
    return {"detection_auc": auc, "share_closer": closer}


#: scorer name -> ``f(model, X_fit, X_test, random_state=...) -> {column: value}``, computed
#: on each fold beside the held-out log-likelihood (averaged over folds)
SCORERS: dict[str, Any] = {"detection": detection_scorer}
#: how the winner is picked from the criterion column
RULES = ("one-se", "best")


# ----------------------------------------------------------------------- grid helpers


def expand_grid(estimator: Any, param_grid: Any) -> list[dict[str, Any]]:
    """Return the list of candidate parameter dicts, checking names and emptiness."""
    if isinstance(param_grid, Mapping):
        grids = [param_grid]
    elif isinstance(param_grid, Sequence) and not isinstance(param_grid, str):
        grids = list(param_grid)
    else:
        raise ParameterError(
            "param_grid must be a dict of parameter name -> list of values (or a list of "
            f"such dicts); got {type(param_grid).__name__}."
        )
    valid = set(estimator.get_params())
    for g in grids:
        if not isinstance(g, Mapping):
            raise ParameterError(f"param_grid entries must be dicts; got {type(g).__name__}.")
        unknown = sorted(set(g) - valid)
        if unknown:
            raise ParameterError(
                f"param_grid names unknown parameter(s) {unknown} of "
                f"{type(estimator).__name__}; valid ones are {sorted(valid)}."
            )
        for key, values in g.items():
            if isinstance(values, str) or not hasattr(values, "__len__"):
                raise ParameterError(
                    f"param_grid[{key!r}] must be a list of values to try; got {values!r}. "
                    f"Write [{values!r}] for a single value."
                )
            if len(values) == 0:
                raise ParameterError(
                    f"param_grid[{key!r}] is empty: there is no candidate to compare. Give "
                    "it at least one value."
                )
    candidates = [dict(c) for c in ParameterGrid(grids)] if grids else []
    if not candidates or all(not g for g in grids):
        raise ParameterError(
            "param_grid is empty: there is no candidate to compare. Give at least one "
            "parameter with one or more values, e.g. {'n_components': range(1, 11)}."
        )
    return candidates


def _warm_init(model: Any, template: Any) -> dict[str, Any]:
    """Initial parameters for a full-data fit, taken from a fitted mixture, if supported."""
    params = template.get_params()
    if not all(k in params for k in INIT_PARAMETERS) or params.get("warm_start"):
        return {}
    if any(params[k] is not None for k in INIT_PARAMETERS):
        return {}
    attrs = ("weights_", "means_", "precisions_")
    if not all(hasattr(model, a) for a in attrs):
        return {}
    return {
        "weights_init": np.asarray(model.weights_),
        "means_init": np.asarray(model.means_),
        "precisions_init": np.asarray(model.precisions_),
    }


def _per_row(model: Any, X: np.ndarray) -> np.ndarray:
    if hasattr(model, "score_samples"):
        return np.asarray(model.score_samples(X), dtype=np.float64)
    raise DataError(
        f"{type(model).__name__} has no score_samples; model selection needs per-row "
        "log-likelihoods."
    )


def _criterion_or_nan(model: Any, name: str, X: np.ndarray) -> float:
    fn = getattr(model, name, None)
    return float(fn(X)) if callable(fn) else np.nan


def _fit_quiet(model: Any, X: np.ndarray, caught: list[str]) -> Any:
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        model.fit(X)
    caught.extend(str(m.message) for m in w)
    return model


def _resolve_scorers(scoring: Any) -> dict[str, Any]:
    if scoring is None:
        return {}
    if isinstance(scoring, Mapping):
        return dict(scoring)
    items = [scoring] if isinstance(scoring, str) or callable(scoring) else list(scoring)
    out = {}
    for i, item in enumerate(items):
        if callable(item):
            out[getattr(item, "__name__", f"scorer{i}")] = item
        else:
            check_in(item, "scoring", SCORERS)
            out[item] = SCORERS[item]
    return out


def _fit_folds(estimator: Any, params: dict[str, Any], X: np.ndarray, splits: list,
               scorers: dict[str, Any] | None, random_state: Any, caught: list[str]
               ) -> tuple[list[np.ndarray], list[int], dict[str, list[float]], Any]:
    """Each fold's held-out log-likelihoods (per row) and size, the scorers' values, and the
    last fit."""
    lls, sizes, extra, last = [], [], {}, None
    for train, test in splits:
        last = _fit_quiet(clone(estimator).set_params(**params), X[train], caught)
        lls.append(_per_row(last, X[test]))
        sizes.append(len(test))
        for scorer in (scorers or {}).values():
            for k, v in scorer(last, X[train], X[test], random_state=random_state).items():
                extra.setdefault(k, []).append(float(v))
    return lls, sizes, extra, last


def evaluate_candidate(
    estimator: Any,
    params: dict[str, Any],
    X: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    *,
    scorers: dict[str, Any] | None = None,
    refit: bool = True,
    random_state: Any = 0,
) -> dict[str, Any]:
    """Fit one candidate on each training split (and, with ``refit``, on all of ``X``).

    Returns its table row: held-out and training log-likelihood per row, BIC, AIC, the
    parameter count, each scorer's columns (averaged over folds), timings, convergence and,
    when a fit fails, the error (``model`` is then None). Without ``refit`` the training
    figures and ``model`` come from the last fold's fit.
    """
    row: dict[str, Any] = {"model": None, "error": None}
    caught: list[str] = []
    t0 = time.perf_counter()
    try:
        fold_lls, fold_sizes, extra, last = _fit_folds(estimator, params, X, splits, scorers,
                                                       random_state, caught)
        fold_means = [float(ll.mean()) for ll in fold_lls]
        t1 = time.perf_counter()
        if refit:
            full = clone(estimator).set_params(**params)
            if last is not None:
                full.set_params(**_warm_init(last, full))
            _fit_quiet(full, X, caught)
            X_train = X
        else:
            full, X_train = last, X[splits[-1][0]]
        t2 = time.perf_counter()
        train_ll = _per_row(full, X_train)
        if not np.all(np.isfinite(train_ll)) or not np.all(np.isfinite(fold_means)):
            raise FitError("the fitted model gives non-finite log-likelihoods")
    except Exception as exc:
        row["error"] = f"{type(exc).__name__}: {exc}"
        row["fit_time"] = time.perf_counter() - t0
        row["warning"] = caught[0] if caught else None
        return row
    row.update(_row_figures(full, X_train, train_ll, fold_lls, fold_sizes, extra, caught,
                            fit_time=t2 - t1, cv_time=t1 - t0 if splits else 0.0))
    return row


def _row_figures(full: Any, X_train: np.ndarray, train_ll: np.ndarray,
                 fold_lls: list[np.ndarray], fold_sizes: list[int],
                 extra: dict[str, list[float]], caught: list[str], *, fit_time: float,
                 cv_time: float, from_train_ll: bool = False) -> dict[str, Any]:
    """A fitted candidate's table row (see :func:`evaluate_candidate`). With
    ``from_train_ll`` the BIC and AIC come from ``train_ll`` (for a model whose criteria
    are the sum of its ``score_samples``, as GaussianMixture's: the same numbers, without
    scoring the rows twice more)."""
    means = np.asarray([float(ll.mean()) for ll in fold_lls])
    held = dict(heldout_loglik=np.nan, heldout_loglik_se=np.nan, heldout_loglik_median=np.nan)
    if fold_lls:
        held = dict(
            heldout_loglik=float(np.average(means, weights=fold_sizes)),
            heldout_loglik_se=float(means.std(ddof=1) / np.sqrt(len(means)))
            if len(means) > 1 else np.nan,
            heldout_loglik_median=float(np.median(np.concatenate(fold_lls))))
    if from_train_ll:
        criteria = {kind: information_criterion(train_ll.sum(), n_parameters(full),
                                                train_ll.shape[0], kind)
                    for kind in ("bic", "aic")}
    else:
        criteria = {kind: _criterion_or_nan(full, kind, X_train) for kind in ("bic", "aic")}
    return dict(
        **criteria,
        train_loglik=float(train_ll.mean()),
        **held,
        **{k: float(np.average(v, weights=fold_sizes)) for k, v in extra.items()},
        n_parameters=float(n_parameters(full, default=np.nan)),
        fit_time=fit_time,
        cv_time=cv_time,
        converged=bool(getattr(full, "converged_", True)),
        n_iter=getattr(full, "n_iter_", np.nan),
        warning=caught[0] if caught else None,
        model=full,
    )


def _local_joblib() -> bool:
    """Whether joblib runs tasks in this machine's processes or threads (not on a cluster,
    where each candidate is one task of the general path)."""
    from joblib.parallel import get_active_backend

    backend = type(get_active_backend()[0]).__name__
    return backend in ("LokyBackend", "ThreadingBackend", "SequentialBackend",
                       "MultiprocessingBackend")


def _sweep_groups(base: Any, candidates: list[dict[str, Any]], X: np.ndarray
                  ) -> list[list[int]] | None:
    """Candidates that differ only in ``n_components`` (indices, one list per setting of the
    other parameters), when :func:`_sweep_rows` applies: candidates that
    :func:`densitykit.gaussian.can_sweep` accepts, joblib on this machine, and a grid of at
    least two distinct sizes per setting. None otherwise."""
    from .gaussian import can_sweep

    if not can_sweep(base, candidates, X) or not _local_joblib():
        return None
    groups: dict[tuple, list[int]] = {}
    for i, params in enumerate(candidates):
        other = tuple(sorted((k, repr(v)) for k, v in params.items() if k != "n_components"))
        groups.setdefault(other, []).append(i)
    for idx in groups.values():
        sizes = [int(candidates[i]["n_components"]) for i in idx]
        if len(idx) < 2 or len(set(sizes)) != len(sizes):
            return None
    return list(groups.values())


def _sweep_rows(base: Any, candidates: list[dict[str, Any]], X: np.ndarray, splits: list, *,
                refit: bool, n_jobs: Any) -> list[dict[str, Any]] | None:
    """The table rows of a grid over ``n_components``, fitted as sweeps (see
    :func:`densitykit.gaussian.sweep_n_components`), or None where the grid is not such a
    grid. Each figure is computed from the candidate's own model."""
    from ._parallel import blas_single_threaded
    from .gaussian import sweep_n_components

    groups = _sweep_groups(base, candidates, X)
    if groups is None:
        return None
    X = np.asarray(X, dtype=np.float64)  # the rows the sweep fits and its models are scored on
    # without held-out rows (cv=None) the one "split" is every row, and its fit is the model
    trains = [train for train, _ in splits] if splits else [np.arange(X.shape[0])]
    swept = sweep_n_components(base, [[candidates[i] for i in idx] for idx in groups], X,
                               trains, refit=refit and bool(splits), n_jobs=n_jobs)
    by_index = {i: c for idx, group in zip(groups, swept) for i, c in zip(idx, group)}
    # scoring's warnings are not the candidates' (their fits' are in the outcomes)
    with warnings.catch_warnings(), blas_single_threaded():
        warnings.simplefilter("ignore")
        return [_swept_row(by_index[i], X, splits, refit) for i in range(len(candidates))]


def _swept_row(swept: Any, X: np.ndarray, splits: list, refit: bool) -> dict[str, Any]:
    """The table row of a candidate fitted by a sweep (see :func:`evaluate_candidate`)."""
    caught = list(swept.warnings)
    try:
        if swept.error is not None:
            raise FitError(swept.error)
        fold_lls = [_per_row(m, X[test]) for m, (_, test) in zip(swept.folds, splits)]
        if not splits:  # cv=None: the one fit, on every row
            full, X_train, times = swept.folds[-1], X, (swept.cv_seconds, 0.0)
        else:
            full, X_train = (swept.full, X) if refit else (swept.folds[-1], X[splits[-1][0]])
            times = (swept.fit_seconds, swept.cv_seconds)
        caught += swept.full_warnings
        train_ll = _per_row(full, X_train)
        if not np.all(np.isfinite(train_ll)) or not all(
                np.all(np.isfinite(ll)) for ll in fold_lls):
            raise FitError("the fitted model gives non-finite log-likelihoods")
    except Exception as exc:
        msg = str(exc) if isinstance(exc, FitError) and swept.error is not None else \
            f"{type(exc).__name__}: {exc}"
        return {"model": None, "error": msg, "fit_time": swept.cv_seconds + swept.fit_seconds,
                "warning": caught[0] if caught else None}
    return {"model": None, "error": None,
            **_row_figures(full, X_train, train_ll, fold_lls, [len(test) for _, test in splits],
                           {}, caught, fit_time=times[0], cv_time=times[1],
                           from_train_ll=True)}


def choose_index(table: Any, criterion: str, rule: str = "best") -> tuple[int, np.ndarray]:
    """Row of a results table that ``criterion`` picks, and every row's rank (NaN: unranked).

    ``rule='one-se'`` (with ``'cv'``) takes the fewest parameters within one standard error
    of the best. With ``'detection'`` a candidate that copies its rows (``share_closer`` above
    ``MAX_SHARE_CLOSER``) is not ranked; when none is left the held-out likelihood decides.
    """
    column, larger = CRITERIA[criterion]
    ok = table["error"].isna().to_numpy() & table["train_loglik"].notna().to_numpy()
    if not ok.any():
        errors = "; ".join(f"{i}: {e}" for i, e in table["error"].dropna().items())
        raise FitError(
            f"Every candidate failed to fit ({errors[:800]}). Check the data and the grid "
            "(fewer components, a larger reg_covar, or scaled columns)."
        )
    if criterion == "detection":
        ok &= table["share_closer"].to_numpy(dtype=np.float64) <= MAX_SHARE_CLOSER
        if not ok.any():
            return choose_index(table, "cv", "best")
    values = table[column].to_numpy(dtype=np.float64)
    score = np.where(ok & np.isfinite(values), values if larger else -values, -np.inf)
    if not np.isfinite(score).any():
        raise ParameterError(
            f"criterion={criterion!r} needs {column} but no candidate reports it; use "
            "criterion='cv'."
        )
    rank = (-score).argsort(kind="stable").argsort() + 1.0
    rank[~np.isfinite(score)] = np.nan
    best = int(np.argmax(score))
    if criterion == "cv" and rule == "one-se":
        se = table["heldout_loglik_se"].to_numpy(dtype=np.float64)[best]
        if np.isfinite(se):
            close = np.flatnonzero(score >= score[best] - se)
            n_par = table["n_parameters"].to_numpy(dtype=np.float64)[close]
            if np.isfinite(n_par).all():
                best = int(close[np.lexsort((-score[close], n_par))[0]])
    return best, rank


def _cost_key(params: dict[str, Any]) -> float:
    """Rough cost of a candidate: bigger mixtures first helps parallel load balance."""
    k = params.get("n_components", 1)
    return -float(k) if isinstance(k, (int, float, np.number)) else 0.0


# ------------------------------------------------------------------------- estimator


class ModelSelector(BaseEstimator):
    """Fit a grid of candidate densities and keep the best, with a table of criteria.

    Parameters
    ----------
    estimator : estimator, default=None
        Any density with ``fit`` and ``score_samples`` (``bic``/``aic`` for those
        criteria). ``None`` uses densitykit's ``GaussianMixture`` (with
        ``reg_covar='auto'``: ``X`` comes in its own units); a
        ``BayesianGaussianMixture`` is searched the same way, e.g. over
        ``weight_concentration_prior`` and ``covariance_type`` with ``n_components`` as an
        upper bound.
    param_grid : dict or list of dicts, default=None
        Parameter name -> values to try (as in scikit-learn's ``GridSearchCV``).
        ``None`` tries ``n_components`` 1 to 10.
    criterion : {'cv', 'bic', 'aic', 'detection'}, default='cv'
        ``'cv'`` maximises the held-out log-likelihood per row over the ``cv`` folds;
        ``'bic'`` and ``'aic'`` minimise the information criterion on all the data;
        ``'detection'`` minimises the detection AUC of each candidate's draws against the
        held-out rows (a classifier telling them apart, see
        :func:`densitykit.evaluate.detection_auc`) among the candidates that do not copy
        their rows (at most 10% of draws closer to a fitted row than 95% of the held-out
        rows are). See the module documentation for why ``'cv'`` is the default.
    cv : int, splitter or list of (train, test) index pairs, default=5
        Folds for the held-out log-likelihood. An integer means that many **contiguous**
        folds (``KFold(shuffle=False)``), the honest choice for time-ordered process data;
        pass ``KFold(5, shuffle=True, random_state=0)`` for exchangeable rows, or the pairs
        of a split made elsewhere. With ``'bic'``/``'aic'`` only the last fold is used, and
        ``None`` holds out nothing: each candidate is fitted once, on all the rows (the
        held-out columns of ``results_`` are then NaN; not with ``scoring``, ``stop_after``
        or ``refit=False``).
    rule : {'one-se', 'best'}, default='one-se'
        With ``criterion='cv'``: ``'one-se'`` picks the candidate with the fewest parameters
        whose held-out log-likelihood is within one standard error of the best; ``'best'``
        picks the best. Information criteria always use ``'best'``.
    scoring : str, callable or list of them, optional
        Extra scores computed on every fold beside the held-out log-likelihood: names from
        :data:`SCORERS` (``'detection'``) or callables ``f(model, X_fit, X_test,
        random_state=) -> {column: value}``, or a dict of them by name.
        ``criterion='detection'`` adds ``'detection'`` unless a scorer of that name is given.
    refit : bool, default=True
        Fit every candidate on all the data as well (BIC, AIC and ``best_estimator_`` then
        use that fit). ``False`` keeps each candidate's last fold fit instead, which halves
        the cost of a single validation split.
    stop_after : int, optional
        Evaluate the candidates in the grid's order and stop once this many in a row fail
        to improve the best *median* held-out log-likelihood (the rest are not fitted; the
        median, so that one outlying row, such as a sensor fault, does not end the search).
        ``None`` fits every candidate, in parallel with ``n_jobs``.
    n_jobs : int or None, default=None
        Candidates fitted in parallel (joblib; ``-1`` uses every core). In a sweep over
        ``n_components`` (see the module documentation) an integer is the number of fits run
        side by side, each on one thread, never more than the cores (``1``: the whole
        search on one thread); ``None`` runs one fit at a time over the engine's threads.
    random_state : int or None, default=None
        When given, set as ``random_state`` of every candidate that has one; also seeds
        the scorers.

    Attributes
    ----------
    results_ : pandas.DataFrame
        One row per candidate: its parameters, ``bic``, ``aic``, ``train_loglik`` and
        ``heldout_loglik`` (mean log-likelihood per row), ``heldout_loglik_se``,
        ``heldout_loglik_median`` (median over the held-out rows),
        ``n_parameters``, ``fit_time`` (seconds, full-data fit), ``cv_time``, ``converged``,
        ``n_iter``, ``warning``, ``error`` (None unless the candidate failed), ``rank`` and
        ``selected``.
    best_params_ : dict
    best_index_ : int
        Row of ``results_`` selected.
    best_estimator_ : estimator
        The selected candidate fitted on all the data.

    Examples
    --------
    >>> import numpy as np
    >>> from densitykit.gaussian import GaussianMixture
    >>> from densitykit.selection import ModelSelector
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(-4, 1, (300, 2)), rng.normal(4, 1, (300, 2))])
    >>> X = X[rng.permutation(600)]
    >>> sel = ModelSelector(GaussianMixture(random_state=0), {"n_components": [1, 2, 3, 4]},
    ...                     criterion="bic").fit(X)
    >>> sel.best_params_
    {'n_components': 2}
    >>> sorted(c for c in sel.results_.columns if "loglik" in c)
    ['heldout_loglik', 'heldout_loglik_median', 'heldout_loglik_se', 'train_loglik']
    """

    def __init__(
        self,
        estimator: Any = None,
        param_grid: Any = None,
        *,
        criterion: str = "cv",
        cv: Any = 5,
        rule: str = "one-se",
        scoring: Any = None,
        refit: bool = True,
        stop_after: int | None = None,
        n_jobs: int | None = None,
        random_state: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.param_grid = param_grid
        self.criterion = criterion
        self.cv = cv
        self.rule = rule
        self.scoring = scoring
        self.refit = refit
        self.stop_after = stop_after
        self.n_jobs = n_jobs
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = allows_nan(self.estimator)  # the candidates see X as is
        return tags

    def _base_estimator(self) -> Any:
        if self.estimator is None:
            from .gaussian import GaussianMixture

            est = GaussianMixture(reg_covar="auto")  # X comes in its own units
        else:
            est = clone(self.estimator)
        if self.random_state is not None and "random_state" in est.get_params():
            est.set_params(random_state=self.random_state)
        return est

    def _splits(self, X: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        cv = self.cv
        if cv is None:
            if self.criterion not in ("bic", "aic") or self.scoring is not None or \
                    self.stop_after is not None or not self.refit:
                raise ParameterError(
                    "cv=None (no held-out rows) works with criterion='bic' or 'aic' alone: "
                    "not with criterion='cv' or 'detection', scoring, stop_after or "
                    "refit=False, which need held-out rows; give cv=5 (the default).")
            return []
        if isinstance(cv, (int, np.integer)) and not isinstance(cv, bool):
            n = check_int(cv, "cv", minimum=2)
            if n > X.shape[0] // 2:
                raise DataError(
                    f"cv={n} folds need at least {2 * n} rows; got {X.shape[0]}. Use fewer folds."
                )
            cv = KFold(n, shuffle=False)
        if hasattr(cv, "split"):
            pairs = list(cv.split(X))
        elif isinstance(cv, (list, tuple)) and cv and all(len(p) == 2 for p in cv):
            pairs = list(cv)
        else:
            raise ParameterError(f"cv must be an integer >= 2, a splitter with split() or a list "
                                 f"of (train, test) index pairs; got {cv!r}.")
        splits = [(np.asarray(a), np.asarray(b)) for a, b in pairs]
        if any(len(a) == 0 or len(b) == 0 for a, b in splits):
            raise ParameterError("every cv split needs training and test rows; one is empty.")
        if self.criterion != "cv":
            splits = splits[-1:]
        return splits

    def fit(self, X: ArrayLike, y: Any = None, *,
            callback: Callable[[dict[str, Any], dict[str, Any]], Any] | None = None
            ) -> ModelSelector:
        """Fit every candidate, fill ``results_`` and keep the best in ``best_estimator_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows: at least 4, and two per fold of ``cv``. Empty (NaN) cells go to the
            candidates as they are, accepted when the searched estimator fits them (the
            default ``GaussianMixture`` does).
        y : None
            Ignored; there for scikit-learn's pipelines.
        callback : callable, optional
            Called as ``callback(params, row)`` with each candidate's parameters and its
            results row (a dict) once it is evaluated.

        Returns
        -------
        self : ModelSelector
            The selector itself, fitted.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import ModelSelector
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(-4, 1, (150, 2)), rng.normal(4, 1, (150, 2))])
        >>> X = X[rng.permutation(300)]
        >>> sel = ModelSelector(param_grid={"n_components": [1, 2, 3]}, random_state=0).fit(X)
        >>> sel.best_params_, type(sel.best_estimator_).__name__
        ({'n_components': 2}, 'GaussianMixture')
        >>> sel.results_["selected"].tolist()
        [False, True, False]
        """
        import pandas as pd

        check_in(self.criterion, "criterion", CRITERIA)
        check_in(self.rule, "rule", RULES)
        X = check_data(self, X, reset=True, min_samples=4, allow_nan=True)
        base = self._base_estimator()
        grid = {"n_components": list(range(1, 11))} if self.param_grid is None else None
        candidates = expand_grid(base, grid if grid is not None else self.param_grid)
        splits = self._splits(X)
        rows = self._evaluate_all(base, candidates, X, splits, callback)
        models = [r.pop("model") for r in rows]
        table = pd.DataFrame([{**c, **r} for c, r in zip(candidates, rows)])
        table = self._finish_table(table, list(candidates[0]) if candidates else [])
        self.best_index_ = self._choose(table)
        table.loc[self.best_index_, "selected"] = True
        self.results_ = table
        self.best_params_ = dict(candidates[self.best_index_])
        self.best_estimator_ = models[self.best_index_]
        if hasattr(self, "feature_names_in_"):  # fitted on the frame's array: its names, so
            self.best_estimator_.feature_names_in_ = self.feature_names_in_  # rows are checked
        self.criterion_ = self.criterion
        return self

    def _evaluate_all(self, base: Any, candidates: list[dict[str, Any]], X: np.ndarray,
                      splits: list, callback: Any = None) -> list[dict[str, Any]]:
        """One row per candidate, in grid order (unfitted ones, after an early stop, last)."""
        from joblib import Parallel, delayed

        scorers = _resolve_scorers(self.scoring)
        if self.criterion == "detection" and "detection" not in scorers:
            scorers["detection"] = SCORERS["detection"]
        seed = 0 if self.random_state is None else self.random_state
        kw = {"scorers": scorers, "refit": bool(self.refit), "random_state": seed}
        if self.stop_after is not None:
            patience = check_int(self.stop_after, "stop_after", minimum=1)
            rows, best, worse = [], -np.inf, 0
            for params in candidates:
                rows.append(evaluate_candidate(base, params, X, splits, **kw))
                if callback is not None:
                    callback(params, rows[-1])
                ll = rows[-1].get("heldout_loglik_median", -np.inf)
                best, worse = (ll, 0) if ll > best else (best, worse + 1)
                if worse >= patience:
                    break
            skipped = {"model": None, "error": None, "warning": "not fitted: the search "
                       "stopped early"}
            return rows + [dict(skipped) for _ in candidates[len(rows):]]
        if not scorers:
            rows = _sweep_rows(base, candidates, X, splits, refit=bool(self.refit),
                              n_jobs=self.n_jobs)
            if rows is not None:
                for params, row in zip(candidates, rows):
                    if callback is not None:
                        callback(params, row)
                return rows
        order = sorted(range(len(candidates)), key=lambda i: _cost_key(candidates[i]))
        jobs = (delayed(evaluate_candidate)(base, candidates[i], X, splits, **kw)
                for i in order)
        # threads: the fits spend their time in NumPy and BLAS, which release the GIL, and
        # threads start in microseconds where worker processes take about a second
        by_index = dict(zip(order, Parallel(n_jobs=self.n_jobs, prefer="threads")(jobs)))
        rows = [by_index[i] for i in range(len(candidates))]
        for params, row in zip(candidates, rows):
            if callback is not None:
                callback(params, row)
        return rows

    @staticmethod
    def _finish_table(table: Any, param_cols: list[str]) -> Any:
        cols = list(RESULT_COLUMNS)
        for c in cols:
            if c not in table:
                table[c] = np.nan if c not in ("warning", "error", "converged") else None
        failed = table["error"].notna()
        table.loc[failed, "converged"] = False
        table["converged"] = table["converged"].astype(bool)
        table["selected"] = False
        params = [c for c in table.columns if c not in cols and c != "selected"]
        return table[[*params, *cols, "selected"]]

    def _choose(self, table: Any) -> int:
        best, rank = choose_index(table, self.criterion, self.rule)
        table["rank"] = rank
        return best

    def _check_fitted_state(self) -> None:
        """Check a fitted state read from a model file (see :mod:`densitykit._state`)."""
        import pandas as pd

        table = _state.fitted(self, "results_")
        if not isinstance(table, pd.DataFrame):
            raise _state.StateError("results_", "should be the table of the candidates")
        _state.need_int(self, "best_index_", minimum=0, maximum=max(len(table) - 1, 0))
        best = _state.fitted(self, "best_estimator_")
        if best is not None:
            d = _state.need_int(self, "n_features_in_", minimum=1)
            _state.need_density(self, "best_estimator_", n_features=d)

    # --- the selected model -------------------------------------------------------------
    def _best(self) -> Any:
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_

    def score_samples(self, X: ArrayLike) -> np.ndarray:
        """Log-density of each row under the selected model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with the features seen in ``fit``. Empty (NaN) cells are handled as the
            selected model handles them (the default ``GaussianMixture`` integrates them out).

        Returns
        -------
        ndarray of shape (n_samples,)
            ``best_estimator_.score_samples(X)``: for a density, the log-density of each
            row, in nats.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import ModelSelector
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(-4, 1, (150, 2)), rng.normal(4, 1, (150, 2))])
        >>> X = X[rng.permutation(300)]
        >>> sel = ModelSelector(param_grid={"n_components": [1, 2, 3]}, random_state=0).fit(X)
        >>> s = sel.score_samples([[4.0, 4.0], [0.0, 0.0]])  # a blob's centre, between them
        >>> s.shape, bool(s[0] > s[1])
        ((2,), True)
        >>> bool(np.isfinite(sel.score_samples([[4.0, np.nan]])[0]))
        True
        """
        return self._best().score_samples(X)

    def score(self, X: ArrayLike, y: Any = None) -> float:
        """Mean log-likelihood per row under the selected model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with the features seen in ``fit``. Empty (NaN) cells are handled as the
            selected model handles them (the default ``GaussianMixture`` integrates them out).
        y : None
            Ignored; there for scikit-learn's pipelines.

        Returns
        -------
        float
            Mean of :meth:`score_samples`: the log-likelihood per row, in nats.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import ModelSelector
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(-4, 1, (150, 2)), rng.normal(4, 1, (150, 2))])
        >>> X = X[rng.permutation(300)]
        >>> sel = ModelSelector(param_grid={"n_components": [1, 2, 3]}, random_state=0).fit(X)
        >>> bool(sel.score(X) > sel.score(X / 4))  # rows pulled in between the blobs
        True
        """
        return float(np.mean(self.score_samples(X)))

    def sample(self, n_samples: int = 1, random_state: Any = None) -> Any:
        """Draw rows from the selected model (its own ``sample`` result).

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw.
        random_state : None, int, Generator or RandomState, default=None
            Seed of the draws: the same seed gives the same rows; ``None`` fresh ones.

        Returns
        -------
        object
            What ``best_estimator_.sample`` returns: for a ``GaussianMixture`` the rows
            ``(n_samples, n_features)`` and the component of each, for a ``Normal`` the
            rows alone.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import ModelSelector
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(-4, 1, (150, 2)), rng.normal(4, 1, (150, 2))])
        >>> X = X[rng.permutation(300)]
        >>> sel = ModelSelector(param_grid={"n_components": [1, 2, 3]}, random_state=0).fit(X)
        >>> rows, components = sel.sample(5, random_state=0)
        >>> rows.shape, components.shape
        ((5, 2), (5,))
        """
        return self._best().sample(n_samples, random_state=random_state)

    def bic(self, X: ArrayLike) -> float:
        """BIC of the selected model on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with the features seen in ``fit``. Empty (NaN) cells are handled as the
            selected model handles them (the default ``GaussianMixture`` integrates them out).

        Returns
        -------
        float
            ``best_estimator_.bic(X)``: ``-2 log L + p log n``, lower is better.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import ModelSelector
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(-4, 1, (150, 2)), rng.normal(4, 1, (150, 2))])
        >>> X = X[rng.permutation(300)]
        >>> sel = ModelSelector(param_grid={"n_components": [1, 2, 3]}, random_state=0).fit(X)
        >>> bool(np.isclose(sel.bic(X), sel.best_estimator_.bic(X)))
        True
        """
        return float(self._best().bic(X))

    def aic(self, X: ArrayLike) -> float:
        """AIC of the selected model on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with the features seen in ``fit``. Empty (NaN) cells are handled as the
            selected model handles them (the default ``GaussianMixture`` integrates them out).

        Returns
        -------
        float
            ``best_estimator_.aic(X)``: ``-2 log L + 2 p``, lower is better.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import ModelSelector
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(-4, 1, (150, 2)), rng.normal(4, 1, (150, 2))])
        >>> X = X[rng.permutation(300)]
        >>> sel = ModelSelector(param_grid={"n_components": [1, 2, 3]}, random_state=0).fit(X)
        >>> bool(sel.aic(X) < sel.bic(X))
        True
        """
        return float(self._best().aic(X))

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Component (or class) predicted by the selected model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with the features seen in ``fit``. Empty (NaN) cells are handled as the
            selected model handles them (the default ``GaussianMixture`` integrates them out).

        Returns
        -------
        ndarray of shape (n_samples,)
            ``best_estimator_.predict(X)``: for a mixture, the most probable component of
            each row.

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import ModelSelector
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(-4, 1, (150, 2)), rng.normal(4, 1, (150, 2))])
        >>> X = X[rng.permutation(300)]
        >>> sel = ModelSelector(param_grid={"n_components": [1, 2, 3]}, random_state=0).fit(X)
        >>> len(set(sel.predict([[-4.0, -4.0], [4.0, 4.0]]).tolist()))
        2
        """
        return self._best().predict(X)

    def plot(self, criterion: str | None = None, *, ax: Axes | None = None,
             x: str = "n_components") -> tuple[Figure, Axes]:
        """Plot the criterion against ``x``, one line per other grid setting.

        See :func:`densitykit.plotting.plot_criterion`; needs matplotlib.

        Parameters
        ----------
        criterion : str, optional
            Column of ``results_`` to plot (``'bic'``, ``'aic'``, ``'heldout_loglik'``,
            ...); by default the one the selection used.
        ax : matplotlib Axes, optional
            Axes to draw on; by default a new figure.
        x : str, default='n_components'
            Grid parameter on the horizontal axis.

        Returns
        -------
        fig : matplotlib Figure
        ax : matplotlib Axes

        Examples
        --------
        >>> import numpy as np
        >>> from densitykit import ModelSelector
        >>> rng = np.random.default_rng(0)
        >>> X = np.vstack([rng.normal(-4, 1, (150, 2)), rng.normal(4, 1, (150, 2))])
        >>> X = X[rng.permutation(300)]
        >>> sel = ModelSelector(param_grid={"n_components": [1, 2, 3]}, random_state=0).fit(X)
        >>> fig, ax = sel.plot("bic")
        >>> ax.get_xlabel(), ax.get_ylabel()
        ('n_components', 'bic')
        >>> import matplotlib.pyplot as plt
        >>> plt.close(fig)
        """
        from .plotting import plot_criterion

        check_is_fitted(self, "results_")
        crit = criterion or CRITERIA[self.criterion][0]
        return plot_criterion(self.results_, y=crit, x=x, ax=ax)


def select_model(
    X: Any,
    param_grid: Any = None,
    estimator: Any = None,
    **kwargs: Any,
) -> ModelSelector:
    """Fit a :class:`ModelSelector` on ``X`` and return it.

    Examples
    --------
    >>> import numpy as np
    >>> from densitykit.selection import select_model
    >>> X = np.random.default_rng(0).normal(size=(400, 2))
    >>> sel = select_model(X, {"n_components": [1, 2, 3]}, random_state=0)
    >>> sel.best_params_["n_components"]
    1
    """
    return ModelSelector(estimator, param_grid, **kwargs).fit(X)
