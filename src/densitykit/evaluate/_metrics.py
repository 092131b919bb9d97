"""The metrics themselves: per column, per pair, detection, efficacy, privacy.

Each function takes a real and a synthetic table (DataFrames or 2-D arrays, the same
columns) of any mix of numeric, date, boolean and categorical columns with empty cells;
see :mod:`densitykit.evaluate._table` for how each kind becomes numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._parallel import openmp_single_threaded
from .._validation import check_random_state
from ..exceptions import ParameterError
from ._table import (
    ORDERED,
    _subsample,
    aligned,
    as_table,
    column_kinds,
    empty_shares,
    metric_matrix,
)

#: kinds compared by their category shares rather than as numbers on a line
DISCRETE = ("categorical", "boolean")
#: the histogram-based classifiers take a column as categorical up to this many levels
_MAX_CATEGORICAL_LEVELS = 254


def _pair(real: Any, synthetic: Any) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    real = as_table(real, "real")
    synthetic = aligned(real, as_table(synthetic, "synthetic"), "synthetic")
    return real, synthetic, column_kinds(real)


def _observed(x: np.ndarray) -> np.ndarray:
    return x[~np.isnan(x)]


# ----------------------------------------------------------------------- per column
def ks_complement(a: np.ndarray, b: np.ndarray) -> float:
    """Return ``1 - D``, with ``D`` the two-sample Kolmogorov-Smirnov statistic.

    Range [0, 1]; 1 for identical empirical distributions.

    Examples
    --------
    >>> ks_complement(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))
    1.0
    >>> ks_complement(np.array([0.0, 1.0]), np.array([5.0, 6.0]))
    0.0
    """
    a = np.sort(np.asarray(a, dtype=np.float64))
    b = np.sort(np.asarray(b, dtype=np.float64))
    grid = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, grid, side="right") / a.size
    cdf_b = np.searchsorted(b, grid, side="right") / b.size
    return float(1.0 - np.max(np.abs(cdf_a - cdf_b)))


def _column_scale(a: np.ndarray) -> float:
    """Standard deviation of ``a``, or 1 for a constant column (so distances stay finite)."""
    s = float(np.std(a)) if a.size else 0.0
    return s if s > 0 else 1.0


def scaled_wasserstein(a: np.ndarray, b: np.ndarray, scale: float | None = None) -> float:
    """Return the 1-Wasserstein distance between samples ``a`` and ``b`` over ``scale``.

    ``scale`` defaults to the standard deviation of ``a`` (the real column). Range
    [0, inf); 0 for identical samples; a shift of the mean by ``s`` standard deviations
    gives ``s``.

    Examples
    --------
    >>> a = np.array([0.0, 1.0, 2.0, 3.0])
    >>> round(scaled_wasserstein(a, a + a.std()), 6)
    1.0
    """
    from scipy.stats import wasserstein_distance

    a = np.asarray(a, dtype=np.float64)
    scale = _column_scale(a) if scale is None else float(scale)
    return float(wasserstein_distance(a, np.asarray(b, dtype=np.float64)) / scale)


def tv_complement(a: np.ndarray, b: np.ndarray) -> float:
    """``1 - TVD`` of the category shares of two code arrays (SDMetrics' TVComplement).

    ``TVD = ½ Σ |p_k - q_k|`` over the categories ``k`` of either array; empty cells (NaN)
    are left out, so the shares are those of the observed cells. Range [0, 1]; 1 for equal
    shares; NaN when either array has no observed cell.

    Examples
    --------
    >>> tv_complement(np.array([0, 0, 1, 1.0]), np.array([0, 1, 1, 1.0]))
    0.75
    >>> tv_complement(np.array([0, np.nan]), np.array([0.0, 0.0]))
    1.0
    """
    a, b = _observed(np.asarray(a, np.float64)), _observed(np.asarray(b, np.float64))
    if a.size == 0 or b.size == 0:
        return float("nan")
    m = int(max(a.max(), b.max())) + 1
    p = np.bincount(a.astype(np.intp), minlength=m) / a.size
    q = np.bincount(b.astype(np.intp), minlength=m) / b.size
    return float(1.0 - 0.5 * np.abs(p - q).sum())


def _numeric_row(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    nan = float("nan")
    if a.size == 0 or b.size == 0:
        return {"similarity": nan, "ks_complement": nan, "tv_complement": nan,
                "wasserstein": nan}
    ks = ks_complement(a, b)
    return {"similarity": ks, "ks_complement": ks, "tv_complement": nan,
            "wasserstein": scaled_wasserstein(a, b)}


def _moments(x: np.ndarray) -> tuple[float, float]:
    return (float(x.mean()), float(x.std())) if x.size else (float("nan"), float("nan"))


def column_similarity(real: Any, synthetic: Any) -> pd.DataFrame:
    """Per-column comparison of two tables: one row per column.

    Columns of the result:

    ``kind``
        ``numeric``, ``datetime``, ``boolean`` or ``categorical``;
    ``similarity``
        the column's score, range [0, 1], 1 best: the KS complement for numbers and dates,
        the TV complement (``1 -`` total variation distance of the category shares) for
        categories and booleans; both on the observed (non-empty) cells;
    ``ks_complement``, ``tv_complement``
        the two scores, each NaN where it does not apply;
    ``wasserstein``
        scaled by the real standard deviation, [0, inf), 0 best; NaN for categories and
        booleans (their values lie on no line);
    ``mean_real``, ``mean_synthetic``, ``std_real``, ``std_synthetic``
        of the observed cells (dates in seconds, booleans as 0/1; NaN for categories);
    ``empty_real``, ``empty_synthetic``
        the share of empty cells, in [0, 1].

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> column_similarity(X, X)["ks_complement"].tolist()
    [1.0, 1.0]
    >>> mixed = pd.DataFrame({"c": ["a", "a", "b", None]})
    >>> cols = column_similarity(mixed, pd.DataFrame({"c": ["a", "b", "b", "b"]}))
    >>> round(float(cols.loc["c", "similarity"]), 4), float(cols.loc["c", "empty_real"])
    (0.5833, 0.25)
    """
    real, synthetic, kinds = _pair(real, synthetic)
    R, S = metric_matrix(real), metric_matrix(synthetic, real)
    er, es = empty_shares(real), empty_shares(synthetic)
    rows = []
    for j, c in enumerate(real.columns):
        a, b = _observed(R[:, j]), _observed(S[:, j])
        if kinds[c] in DISCRETE:
            tv = tv_complement(a, b)
            row = {"similarity": tv, "ks_complement": float("nan"), "tv_complement": tv,
                   "wasserstein": float("nan")}
        else:
            row = _numeric_row(a, b)
        (mr, sr), (ms, ss) = _moments(a), _moments(b)
        if kinds[c] == "categorical":
            mr = sr = ms = ss = float("nan")
        rows.append({"column": c, "kind": kinds[c], **row, "mean_real": mr,
                     "mean_synthetic": ms, "std_real": sr, "std_synthetic": ss,
                     "empty_real": float(er[j]), "empty_synthetic": float(es[j])})
    return pd.DataFrame(rows).set_index("column")


# ------------------------------------------------------------------------ pairwise
def _corr(X: np.ndarray) -> np.ndarray:
    """Pearson correlation matrix; constant columns get 0 correlation (and 1 on the diagonal)."""
    if np.isnan(X).any():
        C = pd.DataFrame(X).corr().to_numpy()  # pairwise-complete, as pandas does
        C = np.where(np.isfinite(C), C, 0.0)
        np.fill_diagonal(C, 1.0)
        return np.clip(C, -1.0, 1.0)
    Xc = X - X.mean(axis=0)
    sd = np.sqrt((Xc**2).sum(axis=0))
    ok = sd > 0
    Z = np.zeros_like(Xc)
    Z[:, ok] = Xc[:, ok] / sd[ok]
    C = Z.T @ Z
    np.fill_diagonal(C, 1.0)
    return np.clip(C, -1.0, 1.0)


def correlation_columns(real: Any) -> list[str]:
    """The columns correlations are computed on: numbers, dates and booleans.

    Examples
    --------
    >>> correlation_columns(pd.DataFrame({"x": [1.0, 2], "c": ["a", "b"], "b": [True, False]}))
    ['x', 'b']
    """
    kinds = column_kinds(as_table(real, "real"))
    return [c for c, k in kinds.items() if k in ORDERED]


def correlation_similarity(real: Any, synthetic: Any) -> tuple[float, np.ndarray, np.ndarray]:
    """Return ``(score, corr_real, corr_synthetic)`` for two tables.

    ``score = 1 - mean |r_real - r_synth| / 2`` over the pairs above the diagonal of the
    Pearson correlation matrices. Range [0, 1]; 1 for identical matrices. Only numeric,
    date and boolean columns take part (see :func:`correlation_columns`; the matrices are
    over those, in table order); with empty cells each pair uses the rows where both are
    observed (pandas' ``DataFrame.corr``), and a pair with no spread counts as 0. With fewer
    than two such columns there is no pair and the score is NaN.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.multivariate_normal([0, 0], [[1, 0.9], [0.9, 1]], size=500)
    >>> correlation_similarity(X, X)[0]
    1.0
    >>> shuffled = np.column_stack([X[:, 0], rng.permutation(X[:, 1])])
    >>> correlation_similarity(X, shuffled)[0] < 0.6
    True
    """
    real, synthetic, kinds = _pair(real, synthetic)
    keep = [j for j, c in enumerate(real.columns) if kinds[c] in ORDERED]
    R, S = metric_matrix(real), metric_matrix(synthetic, real)
    Cr, Cs = _corr(R[:, keep]), _corr(S[:, keep])
    d = len(keep)
    if d < 2:
        return float("nan"), Cr, Cs
    iu = np.triu_indices(d, k=1)
    return float(1.0 - np.mean(np.abs(Cr[iu] - Cs[iu])) / 2.0), Cr, Cs


def _bin_codes(kind: str, r: np.ndarray, s: np.ndarray, bins: int
               ) -> tuple[np.ndarray, np.ndarray, int]:
    """Integer bins of a column in both tables, and their number; empty cells get the last.

    Numbers and dates are binned on the real column's quantile edges (ties merge bins);
    categories and booleans use their codes as bins.
    """
    if kind in DISCRETE:
        seen = np.r_[_observed(r), _observed(s)]
        n = int(seen.max()) + 1 if seen.size else 0
        cr, cs = np.nan_to_num(r, nan=n), np.nan_to_num(s, nan=n)
        return cr.astype(np.intp), cs.astype(np.intp), n + 1
    obs = _observed(r)
    edges = (np.unique(np.quantile(obs, np.linspace(0, 1, bins + 1)[1:-1])) if obs.size
             else np.empty(0))
    n = bins + 1  # at most this many quantile bins (ties merge some)
    out = []
    for x in (r, s):
        c = np.searchsorted(edges, x, side="right")
        c[np.isnan(x)] = n
        out.append(c)
    return out[0], out[1], n + bool(np.isnan(r).any() or np.isnan(s).any())


def _pair_list(d: int, max_pairs: int, random_state: Any) -> tuple[np.ndarray, bool]:
    pairs = np.array([(i, j) for i in range(d) for j in range(i + 1, d)], dtype=int)
    pairs = pairs.reshape(-1, 2)
    subsampled = len(pairs) > max_pairs
    if subsampled:
        rng = check_random_state(random_state)
        pairs = pairs[np.sort(rng.choice(len(pairs), max_pairs, replace=False))]
    return pairs, subsampled


def _joint_tvd_scores(codes: list[tuple[np.ndarray, np.ndarray, int]], pairs: np.ndarray
                      ) -> np.ndarray:
    """``1 - TVD`` of the joint histograms of each pair of binned columns."""
    scores = np.empty(len(pairs))
    for p, (i, j) in enumerate(pairs):
        (ri, si, _), (rj, sj, mj) = codes[i], codes[j]
        m = codes[i][2] * mj
        hr = np.bincount(ri * mj + rj, minlength=m) / ri.size
        hs = np.bincount(si * mj + sj, minlength=m) / si.size
        scores[p] = 1.0 - 0.5 * np.abs(hr - hs).sum()
    return scores


def _pair_table(names: list[str], pairs: np.ndarray, scores: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"a": [names[i] for i in pairs[:, 0]],
                         "b": [names[j] for j in pairs[:, 1]], "similarity": scores})


def trend_similarity(
    real: Any,
    synthetic: Any,
    *,
    bins: int = 5,
    max_pairs: int = 1000,
    random_state: Any = 0,
) -> tuple[float, pd.DataFrame, bool]:
    """Return ``(score, per_pair_table, subsampled)`` of the pairwise trend similarity.

    For each pair of columns, both tables are binned on the real columns' quantiles
    (``bins`` per column; a category or boolean is binned by its code, and empty cells
    fall in a bin of their own); the pair scores ``1 - TVD`` where TVD is the total
    variation distance between the two joint histograms. Range [0, 1]; 1 best. Above
    ``max_pairs`` pairs a random subset is scored and ``subsampled`` is True.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 3))
    >>> trend_similarity(X, X)[0]
    1.0
    """
    real, synthetic, kinds = _pair(real, synthetic)
    R, S = metric_matrix(real), metric_matrix(synthetic, real)
    pairs, subsampled = _pair_list(R.shape[1], max_pairs, random_state)
    if len(pairs) == 0:
        return 1.0, pd.DataFrame(columns=["a", "b", "similarity"]), False
    names = list(real.columns)
    codes = [_bin_codes(kinds[c], R[:, j], S[:, j], bins) for j, c in enumerate(names)]
    scores = _joint_tvd_scores(codes, pairs)
    return float(scores.mean()), _pair_table(names, pairs, scores), subsampled


def contingency_similarity(
    real: Any,
    synthetic: Any,
    *,
    max_pairs: int = 1000,
    random_state: Any = 0,
) -> tuple[float, pd.DataFrame, bool]:
    """Return ``(score, per_pair_table, subsampled)`` over the pairs of categorical columns.

    For each pair of categorical (or boolean) columns, ``1 - TVD`` of the two tables'
    joint category shares (SDMetrics' ContingencySimilarity), an empty cell counting as a
    level of its own; the score is the mean over pairs. Range [0, 1]; 1 means the same
    cross-tabulation. Above ``max_pairs`` pairs a random subset is scored. With fewer
    than two such columns the score is NaN and the table empty.

    Examples
    --------
    >>> real = pd.DataFrame({"a": ["x", "x", "y", "y"], "b": ["u", "v", "u", "v"]})
    >>> same_shares = pd.DataFrame({"a": ["x", "x", "y", "y"], "b": ["u", "u", "v", "v"]})
    >>> contingency_similarity(real, same_shares)[0]
    0.5
    """
    real, synthetic, kinds = _pair(real, synthetic)
    keep = [j for j, c in enumerate(real.columns) if kinds[c] in DISCRETE]
    if len(keep) < 2:
        return float("nan"), pd.DataFrame(columns=["a", "b", "similarity"]), False
    R, S = metric_matrix(real)[:, keep], metric_matrix(synthetic, real)[:, keep]
    pairs, subsampled = _pair_list(len(keep), max_pairs, random_state)
    codes = [_bin_codes("categorical", R[:, j], S[:, j], 0) for j in range(len(keep))]
    scores = _joint_tvd_scores(codes, pairs)
    names = [real.columns[j] for j in keep]
    return float(scores.mean()), _pair_table(names, pairs, scores), subsampled


# ----------------------------------------------------------------------- detection
def _categorical_mask(kinds: dict[str, str], *matrices: np.ndarray) -> np.ndarray | None:
    """Which columns a histogram-gradient-boosting model should split as categories."""
    mask = np.zeros(len(kinds), dtype=bool)
    for j, kind in enumerate(kinds.values()):
        if kind == "categorical":
            top = max((np.nanmax(M[:, j]) if np.isfinite(M[:, j]).any() else 0.0)
                      for M in matrices)
            mask[j] = top < _MAX_CATEGORICAL_LEVELS
    return mask if mask.any() else None


def _seen(X: np.ndarray, cats: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """The columns of ``X`` with an observed cell, and their categorical mask: a column with
    none tells a model nothing (and scikit-learn's binning fails on it)."""
    seen = ~np.isnan(X).all(axis=0)
    return seen, (cats[seen] if cats is not None and cats[seen].any() else None)


def detection_auc(
    real: Any,
    synthetic: Any,
    *,
    n_splits: int = 3,
    max_rows: int = 5000,
    random_state: Any = 0,
) -> float:
    """Cross-validated ROC AUC of a classifier telling real rows from synthetic rows.

    A :class:`sklearn.ensemble.HistGradientBoostingClassifier` is trained on equal numbers
    of real and synthetic rows (at most ``max_rows`` of each) with stratified ``n_splits``-
    fold cross-validation; the mean held-out AUC is returned. Range [0, 1]; 0.5 means the
    two cannot be told apart (ideal), 1 that they always can. The rows are those of
    :func:`metric_matrix`: categories become codes, split as categories (up to 254
    levels), and empty cells stay empty (the classifier learns where they go).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=(300, 2)), rng.normal(size=(300, 2))
    >>> detection_auc(a, b) < 0.65
    True
    >>> detection_auc(a, b + 3.0) > 0.95
    True
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    real, synthetic, kinds = _pair(real, synthetic)
    rng = check_random_state(random_state)
    n = min(len(real), len(synthetic), max_rows)
    R = _subsample(metric_matrix(real), n, rng)
    S = _subsample(metric_matrix(synthetic, real), n, rng)
    X = np.vstack([R, S])
    y = np.r_[np.ones(len(R)), np.zeros(len(S))]
    cats = _categorical_mask(kinds, X)
    n_splits = max(2, min(n_splits, n))
    seed = int(rng.integers(2**31 - 1))
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    aucs = []
    with openmp_single_threaded():
        for train, test in folds.split(X, y):
            seen, fold_cats = _seen(X[train], cats)
            # leaves of 20 rows (the default) leave a fold of under 40 rows unsplit: an
            # AUC of 0.5 however unlike the rows; small folds take leaves of a tenth
            leaf = min(20, max(2, len(train) // 10))
            clf = HistGradientBoostingClassifier(max_iter=100, random_state=seed,
                                                 min_samples_leaf=leaf,
                                                 categorical_features=fold_cats)
            clf.fit(X[train][:, seen], y[train])
            aucs.append(roc_auc_score(y[test], clf.predict_proba(X[test][:, seen])[:, 1]))
    return float(np.mean(aucs))


# ------------------------------------------------------------------- log-likelihood
def heldout_loglik(model: Any, X: Any) -> float:
    """Mean log-density per row (nats) that ``model.score_samples`` gives to rows ``X``.

    Higher is better. Rows the model gives zero density count as ``-inf``, so the mean
    is ``-inf`` then (a model that rules out real rows is a poor model). A model that
    knows its columns (``columns_`` or ``feature_names_in_``) receives the frame as it is,
    with whatever kinds and empty cells it holds; any other model receives its values.

    Examples
    --------
    >>> from sklearn.mixture import GaussianMixture
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 2))
    >>> gm = GaussianMixture(1, random_state=0).fit(X[:400])
    >>> -3.3 < heldout_loglik(gm, X[400:]) < -2.3
    True
    """
    return float(np.mean(_row_scores(model, X)))


@dataclass(frozen=True)
class ModelScores:
    """What the evaluation needs of a fitted model, read from it once (:meth:`of`): the
    log-density of each held-out row, the model's own baseline scores of them if it has a
    ``baseline_score_samples`` method, and its ``loglik_units`` if it names them."""

    scores: np.ndarray
    baseline: np.ndarray | None = None
    units: str | None = None

    @classmethod
    def of(cls, model: Any, X: Any) -> ModelScores:
        """Score rows ``X`` under ``model``: the scores :func:`heldout_loglik` averages,
        and the baseline and units beside them."""
        scores = _row_scores(model, X)
        baseline = None
        if getattr(model, "baseline_score_samples", None) is not None:
            baseline = _row_scores(model, X, "baseline_score_samples")
        return cls(scores, baseline, getattr(model, "loglik_units", None))


def _row_scores(model: Any, X: Any, method: str = "score_samples") -> np.ndarray:
    """``model.<method>`` of rows ``X`` as float64: a model that knows its columns
    (``columns_`` or ``feature_names_in_``) gets a frame as it is, any other its values."""
    if isinstance(X, pd.DataFrame) and not (hasattr(model, "columns_")
                                            or hasattr(model, "feature_names_in_")):
        X = X.to_numpy()
    return np.asarray(getattr(model, method)(X), dtype=np.float64)


def _gaussian_loglik(train: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Held-out log-likelihoods of the rows ``test`` under one full Gaussian fitted to
    ``train`` (the baseline)."""
    from scipy.stats import multivariate_normal

    mean = train.mean(axis=0)
    cov = np.atleast_2d(np.cov(train, rowvar=False))
    cov = cov + 1e-9 * np.trace(cov) / cov.shape[0] * np.eye(cov.shape[0])
    return np.atleast_1d(multivariate_normal(mean, cov, allow_singular=True).logpdf(test))


# ------------------------------------------------------------------------ efficacy
def _fit_score(classify: bool, cats: np.ndarray | None, seed: int, X: np.ndarray,
               y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray) -> float:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    if classify and np.unique(y).size < 2:  # one class: the best model predicts it always
        return float(np.mean(y_test == y[0])) if y.size else float("nan")
    seen, cats = _seen(X, cats)
    model = (HistGradientBoostingClassifier if classify
             else HistGradientBoostingRegressor)(max_iter=100, random_state=seed,
                                                 categorical_features=cats)
    model.fit(X[:, seen], y)
    return float(model.score(X_test[:, seen], y_test))


def efficacy(train: Any, synthetic: Any, test: Any, target: str, *,
             random_state: Any = 0) -> dict[str, Any]:
    """Train on synthetic, test on real: how well ``target`` is predicted from the rest.

    A gradient-boosting model (a classifier when the target is categorical or boolean, or
    numeric with at most 20 distinct values; a regressor otherwise) is trained once on the
    real training rows and once on the synthetic rows, and both are scored on the real
    ``test`` rows (accuracy, or R²). Rows whose target is empty take no part; the features
    are those of :func:`metric_matrix` (categories as codes, empty cells as they are).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(600, 3))
    >>> df = pd.DataFrame(X, columns=["a", "b", "y"]).assign(y=lambda d: d.a + 0.1 * d.y)
    >>> out = efficacy(df[:300], df[300:500], df[500:], "y")
    >>> out["metric"], out["real"] > 0.8, out["synthetic"] > 0.8
    ('R²', True, True)
    """
    train = as_table(train, "real")
    if target not in train.columns:
        raise ParameterError(f"target {target!r} is not a column; columns are "
                             f"{list(train.columns[:6])}.")
    test = aligned(train, as_table(test, "test"), "test")
    synthetic = aligned(train, as_table(synthetic, "synthetic"), "synthetic")
    kinds = column_kinds(train)
    t = list(train.columns).index(target)
    classify = kinds[target] in DISCRETE or train[target].nunique() <= 20
    seed = int(check_random_state(random_state).integers(2**31 - 1))
    features = [j for j in range(train.shape[1]) if j != t]
    fkinds = {c: kinds[c] for c in train.columns if c != target}
    mats = {name: metric_matrix(rows, train) for name, rows in
            (("real", train), ("synthetic", synthetic), ("test", test))}
    mats = {k: M[~np.isnan(M[:, t])] for k, M in mats.items()}
    cats = _categorical_mask(fkinds, *(M[:, features] for M in mats.values()))
    E = mats["test"]
    scores = {}
    with openmp_single_threaded():
        for name in ("real", "synthetic"):
            M = mats[name]
            scores[name] = _fit_score(classify, cats, seed, M[:, features], M[:, t],
                                      E[:, features], E[:, t])
    return {"target": target, "metric": "accuracy" if classify else "R²",
            "n_test": len(E), **scores}


# ------------------------------------------------------------------------- privacy
@dataclass
class PrivacyResult:
    """Distance-to-closest-record check of synthetic rows against the training rows.

    Distances are Euclidean in units of the training columns' standard deviations (see
    :func:`privacy_check` for categories and empty cells).

    Attributes
    ----------
    dcr_synthetic : ndarray
        Distance of each (evaluated) synthetic row to its closest training row.
    dcr_reference : ndarray
        The same for held-out real rows (or, without them, each training row's distance to
        its closest other training row).
    reference : str
        ``"holdout"`` or ``"leave-one-out"``.
    n_copies : int
        Synthetic rows within ``copy_tol`` of a training row (copied rows).
    share_closer : float
        Share of synthetic rows closer to the training rows than the reference's 5th
        percentile distance; near 0.05 for a private generator, near 1 for a copier.
    """

    dcr_synthetic: np.ndarray
    dcr_reference: np.ndarray
    reference: str
    n_copies: int
    share_closer: float
    copy_tol: float

    @property
    def median_ratio(self) -> float:
        """Median synthetic distance over median reference distance (about 1 or more is good);
        1 when both are 0 (a table of few distinct rows, which repeat in the real rows too),
        infinite when only the reference's is."""
        ref, syn = float(np.median(self.dcr_reference)), float(np.median(self.dcr_synthetic))
        if ref > 0:
            return syn / ref
        return 1.0 if syn == 0 else float("inf")


#: a categorical column enters distances with at most this many indicator columns (its most
#: frequent training categories; the rest share one "other" indicator)
MAX_INDICATORS = 64


def _distance_space(T: np.ndarray, kinds: list[str]) -> Any:
    """The map from :func:`metric_matrix` rows to the space privacy distances are taken in.

    Numbers, dates and booleans: divided by the training standard deviation, an empty cell
    put at the training median. Categories: one indicator per category scaled by 1/√2, so
    two different categories are one unit apart (like values one standard deviation
    apart); an empty cell is a category of its own.
    """
    parts = []
    for j, kind in enumerate(kinds):
        col = _observed(T[:, j])
        if kind != "categorical":
            fill = float(np.median(col)) if col.size else 0.0
            parts.append((j, None, fill, _column_scale(col)))
            continue
        values, counts = np.unique(col, return_counts=True)
        top = values[np.argsort(-counts, kind="stable")[: MAX_INDICATORS - 2]]
        parts.append((j, np.sort(top), 0.0, 1.0))

    def to_space(M: np.ndarray) -> np.ndarray:
        cols = []
        for j, top, fill, scale in parts:
            x = M[:, j]
            if top is None:
                cols.append((np.where(np.isnan(x), fill, x) / scale)[:, None])
                continue
            pos = np.searchsorted(top, x)
            hit = (pos < top.size) & (top[np.minimum(pos, top.size - 1)] == x)
            code = np.where(np.isnan(x), top.size + 1, np.where(hit, pos, top.size))
            cols.append(np.eye(top.size + 2)[code] / np.sqrt(2.0))
        return np.hstack(cols)

    return to_space


def privacy_check(
    train: Any,
    synthetic: Any,
    holdout: Any = None,
    *,
    copy_tol: float = 1e-8,
    max_rows: int = 5000,
    random_state: Any = 0,
) -> PrivacyResult:
    """Distance from each synthetic row to its closest training row, against held-out rows.

    Columns are scaled by the training standard deviations (dates in seconds, booleans as
    0/1), and an empty cell is put at the training column's median for the distance. A
    categorical column adds 1 to the squared distance when two rows differ in it (as a gap
    of one standard deviation would), an empty cell being a category of its own; its 62
    most frequent training categories are told apart, rarer ones count as one. A synthetic
    row closer than ``copy_tol`` (in those units) to a training row counts as a copy.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> train = rng.normal(size=(300, 3))
    >>> leaky = np.vstack([train[:10], rng.normal(size=(290, 3))])
    >>> privacy_check(train, leaky, rng.normal(size=(300, 3))).n_copies
    10
    """
    from sklearn.neighbors import NearestNeighbors

    train, synthetic, kinds = _pair(train, synthetic)
    rng = check_random_state(random_state)
    T = metric_matrix(train)
    space = _distance_space(T, list(kinds.values()))
    T = space(T)
    S = _subsample(space(metric_matrix(synthetic, train)), max_rows, rng)
    nn = NearestNeighbors(n_neighbors=2).fit(T)
    dcr_s = nn.kneighbors(S, n_neighbors=1)[0][:, 0]
    if holdout is not None:
        held = aligned(train, as_table(holdout, "holdout"), "holdout")
        H = space(metric_matrix(held, train))
        dcr_r = nn.kneighbors(_subsample(H, max_rows, rng), n_neighbors=1)[0][:, 0]
        reference = "holdout"
    else:
        idx = rng.choice(T.shape[0], min(max_rows, T.shape[0]), replace=False)
        dcr_r = nn.kneighbors(T[idx], n_neighbors=2)[0][:, 1]
        reference = "leave-one-out"
    q05 = float(np.quantile(dcr_r, 0.05))
    return PrivacyResult(
        dcr_synthetic=dcr_s,
        dcr_reference=dcr_r,
        reference=reference,
        n_copies=int(np.sum(dcr_s <= copy_tol)),
        share_closer=float(np.mean(dcr_s < q05)) if q05 > 0 else float(np.mean(dcr_s <= 0)),
        copy_tol=copy_tol,
    )
