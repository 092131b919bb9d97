"""Fidelity and privacy metrics for synthetic tables.

Each metric compares real rows with synthetic rows drawn from a fitted model. All scores
are plain numbers with a documented range and a reading of what "good" looks like; the
function :func:`evaluate` computes them all and returns an :class:`Evaluation` that also
holds plain-language verdicts (what the HTML report and the command line print).

Metrics
-------
column similarity (KS complement), per column and averaged
    ``1 - D`` where ``D`` is the two-sample Kolmogorov-Smirnov statistic (largest gap
    between the two empirical CDFs). Range [0, 1]; 1 means identical empirical
    distributions. Two samples of the same distribution of a few thousand rows score about
    0.97-0.99, so 0.95 or more is good.
scaled Wasserstein distance, per column and averaged
    The 1-Wasserstein (earth mover's) distance between the two columns divided by the real
    column's standard deviation. Range [0, inf); 0 is identical; 0.1 means the mass must
    move a tenth of a standard deviation on average. Below 0.1 is good (two samples of
    the same distribution of a few hundred rows already differ by about 0.05).
correlation similarity
    ``1 - mean |r_real - r_synth| / 2`` over all column pairs of the Pearson correlation
    matrices. Range [0, 1]; 1 means identical correlation matrices. 0.98 or more is good.
pairwise trend similarity
    For each column pair, ``1 - total variation distance`` between the real and synthetic
    joint histograms on a grid of real-quantile bins (5 x 5 by default); averaged over
    pairs. It sees non-linear and clustered dependence that a correlation misses. Range
    [0, 1]; 1 means identical joint histograms; 0.9 or more is good.
detection AUC
    Cross-validated ROC AUC of a gradient-boosting classifier trained to tell real rows from
    synthetic rows. Range [0, 1]; 0.5 means it cannot tell them apart (ideal), 1.0 means it
    always can. Below 0.6 is good, below 0.8 fair.
held-out log-likelihood
    Mean log-density per row that the model gives to real rows it was not fitted on (nats
    per row, in the table's units). Higher is better; compared with one full Gaussian fitted
    to the same training rows. The median is reported beside it: a mean far below the
    median says a few rare held-out rows (an upset, a sensor fault) get almost no density.
privacy (distance to closest record)
    For each synthetic row, the distance (in training standard deviations) to its closest
    real training row, against the same distance for held-out real rows. Rows closer than
    ``copy_tol`` count as copies. A private generator makes no copies and its synthetic rows
    are no closer to the training rows than genuinely new real rows are: the share of
    synthetic rows closer than the held-out 5th percentile should be near 5%.

Wide or long tables stay fast: above ``max_rows`` rows the row-based metrics use a random
subsample and above ``max_pairs`` column pairs the pairwise trend uses a random subset of
pairs; each time the result records it in :attr:`Evaluation.notes`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._parallel import openmp_single_threaded
from ._validation import check_random_state
from .exceptions import DataError

__all__ = [
    "Evaluation",
    "PrivacyResult",
    "Verdict",
    "column_similarity",
    "correlation_similarity",
    "detection_auc",
    "evaluate",
    "heldout_loglik",
    "ks_complement",
    "privacy_check",
    "scaled_wasserstein",
    "trend_similarity",
]

# Thresholds of the plain-language verdicts: (good if at least, fair if at least).
_THRESHOLDS = {
    "column_similarity": (0.95, 0.85),
    "correlation_similarity": (0.98, 0.90),
    "trend_similarity": (0.90, 0.80),
}


# ----------------------------------------------------------------------------- inputs
def _as_table(X: Any, name: str) -> pd.DataFrame:
    """Return ``X`` as a float DataFrame with string column names, or raise a clear error."""
    if isinstance(X, pd.DataFrame):
        df = X
    else:
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise DataError(
                f"{name} must be a 2-D table (rows x columns); got an array of shape "
                f"{arr.shape}. Pass a pandas DataFrame or a 2-D NumPy array."
            )
        df = pd.DataFrame(arr, columns=[f"x{j}" for j in range(arr.shape[1])])
    try:
        df = df.astype(np.float64)
    except (TypeError, ValueError):
        raise DataError(
            f"{name} has non-numeric columns; the metrics compare numbers only. Drop or "
            "encode them first (densitykit.data.read_table cleans tables)."
        ) from None
    df.columns = [str(c) for c in df.columns]
    if not np.isfinite(df.to_numpy()).all():
        raise DataError(f"{name} contains NaN or inf; drop or impute those rows first.")
    if len(df) < 2:
        raise DataError(f"{name} needs at least 2 rows to compare distributions; got {len(df)}.")
    return df


def _aligned(real: pd.DataFrame, other: pd.DataFrame, name: str) -> pd.DataFrame:
    """Return ``other`` with ``real``'s columns in ``real``'s order."""
    if list(other.columns) == list(real.columns):
        return other
    missing = [c for c in real.columns if c not in other.columns]
    if missing:
        if other.shape[1] == real.shape[1] and all(c.startswith("x") for c in other.columns):
            return other.set_axis(real.columns, axis=1)
        raise DataError(
            f"{name} lacks column(s) {missing[:5]} of the real table; both tables must hold "
            f"the same columns. Got {list(other.columns)[:5]}..."
        )
    return other[list(real.columns)]


def _subsample(X: np.ndarray, max_rows: int, rng: np.random.Generator) -> np.ndarray:
    if X.shape[0] <= max_rows:
        return X
    return X[np.sort(rng.choice(X.shape[0], max_rows, replace=False))]


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
    s = float(np.std(a))
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


def column_similarity(real: Any, synthetic: Any) -> pd.DataFrame:
    """Per-column comparison of two tables: one row per column.

    Columns of the result: ``ks_complement`` (range [0, 1], 1 best), ``wasserstein``
    (scaled by the real standard deviation, [0, inf), 0 best), and the real and synthetic
    means and standard deviations.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> column_similarity(X, X)["ks_complement"].tolist()
    [1.0, 1.0]
    """
    real = _as_table(real, "real")
    synthetic = _aligned(real, _as_table(synthetic, "synthetic"), "synthetic")
    rows = []
    for c in real.columns:
        a, b = real[c].to_numpy(), synthetic[c].to_numpy()
        rows.append(
            {
                "column": c,
                "ks_complement": ks_complement(a, b),
                "wasserstein": scaled_wasserstein(a, b),
                "mean_real": float(a.mean()),
                "mean_synthetic": float(b.mean()),
                "std_real": float(a.std()),
                "std_synthetic": float(b.std()),
            }
        )
    return pd.DataFrame(rows).set_index("column")


# ------------------------------------------------------------------------ pairwise
def _corr(X: np.ndarray) -> np.ndarray:
    """Pearson correlation matrix; constant columns get 0 correlation (and 1 on the diagonal)."""
    Xc = X - X.mean(axis=0)
    sd = np.sqrt((Xc**2).sum(axis=0))
    ok = sd > 0
    Z = np.zeros_like(Xc)
    Z[:, ok] = Xc[:, ok] / sd[ok]
    C = Z.T @ Z
    np.fill_diagonal(C, 1.0)
    return np.clip(C, -1.0, 1.0)


def correlation_similarity(real: Any, synthetic: Any) -> tuple[float, np.ndarray, np.ndarray]:
    """Return ``(score, corr_real, corr_synthetic)`` for two tables.

    ``score = 1 - mean |r_real - r_synth| / 2`` over the pairs above the diagonal of the
    Pearson correlation matrices. Range [0, 1]; 1 for identical matrices.

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
    real = _as_table(real, "real")
    synthetic = _aligned(real, _as_table(synthetic, "synthetic"), "synthetic")
    Cr, Cs = _corr(real.to_numpy()), _corr(synthetic.to_numpy())
    d = Cr.shape[0]
    if d < 2:
        return 1.0, Cr, Cs
    iu = np.triu_indices(d, k=1)
    return float(1.0 - np.mean(np.abs(Cr[iu] - Cs[iu])) / 2.0), Cr, Cs


def _quantile_codes(real_col: np.ndarray, cols: list[np.ndarray], bins: int) -> list[np.ndarray]:
    """Bin each array of ``cols`` on the real column's quantile edges (ties merge bins)."""
    edges = np.unique(np.quantile(real_col, np.linspace(0, 1, bins + 1)[1:-1]))
    return [np.searchsorted(edges, c, side="right") for c in cols]


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
    (``bins`` per column); the pair scores ``1 - TVD`` where TVD is the total variation
    distance between the two joint histograms. Range [0, 1]; 1 best. Above ``max_pairs``
    pairs a random subset is scored and ``subsampled`` is True.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 3))
    >>> trend_similarity(X, X)[0]
    1.0
    """
    real = _as_table(real, "real")
    synthetic = _aligned(real, _as_table(synthetic, "synthetic"), "synthetic")
    R, S = real.to_numpy(), synthetic.to_numpy()
    d = R.shape[1]
    pairs = np.array([(i, j) for i in range(d) for j in range(i + 1, d)], dtype=int)
    pairs = pairs.reshape(-1, 2)
    subsampled = len(pairs) > max_pairs
    if subsampled:
        rng = check_random_state(random_state)
        pairs = pairs[np.sort(rng.choice(len(pairs), max_pairs, replace=False))]
    if len(pairs) == 0:
        return 1.0, pd.DataFrame(columns=["a", "b", "similarity"]), False
    codes = [_quantile_codes(R[:, j], [R[:, j], S[:, j]], bins) for j in range(d)]
    scores = np.empty(len(pairs))
    for p, (i, j) in enumerate(pairs):
        m = bins + 1
        hr = np.bincount(codes[i][0] * m + codes[j][0], minlength=m * m) / R.shape[0]
        hs = np.bincount(codes[i][1] * m + codes[j][1], minlength=m * m) / S.shape[0]
        scores[p] = 1.0 - 0.5 * np.abs(hr - hs).sum()
    cols = list(real.columns)
    table = pd.DataFrame(
        {"a": [cols[i] for i in pairs[:, 0]], "b": [cols[j] for j in pairs[:, 1]],
         "similarity": scores}
    )
    return float(scores.mean()), table, subsampled


# ----------------------------------------------------------------------- detection
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
    two cannot be told apart (ideal), 1 that they always can.

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

    real = _as_table(real, "real")
    synthetic = _aligned(real, _as_table(synthetic, "synthetic"), "synthetic")
    rng = check_random_state(random_state)
    n = min(len(real), len(synthetic), max_rows)
    R = _subsample(real.to_numpy(), n, rng)
    S = _subsample(synthetic.to_numpy(), n, rng)
    X = np.vstack([R, S])
    y = np.r_[np.ones(len(R)), np.zeros(len(S))]
    n_splits = max(2, min(n_splits, n))
    seed = int(rng.integers(2**31 - 1))
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    aucs = []
    with openmp_single_threaded():
        for train, test in folds.split(X, y):
            clf = HistGradientBoostingClassifier(max_iter=100, random_state=seed)
            clf.fit(X[train], y[train])
            aucs.append(roc_auc_score(y[test], clf.predict_proba(X[test])[:, 1]))
    return float(np.mean(aucs))


# ------------------------------------------------------------------- log-likelihood
def heldout_loglik(model: Any, X: Any) -> float:
    """Mean log-density per row (nats) that ``model.score_samples`` gives to rows ``X``.

    Higher is better. Rows the model gives zero density count as ``-inf``, so the mean
    is ``-inf`` then (a model that rules out real rows is a poor model).

    Examples
    --------
    >>> from sklearn.mixture import GaussianMixture
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 2))
    >>> gm = GaussianMixture(1, random_state=0).fit(X[:400])
    >>> -3.3 < heldout_loglik(gm, X[400:]) < -2.3
    True
    """
    if isinstance(X, pd.DataFrame) and not hasattr(model, "feature_names_in_"):
        if not hasattr(model, "columns_"):
            X = X.to_numpy()
    scores = np.asarray(model.score_samples(X), dtype=np.float64)
    return float(np.mean(scores))


def _gaussian_loglik(train: np.ndarray, test: np.ndarray) -> float:
    """Held-out mean log-likelihood of one full Gaussian fitted to ``train`` (baseline)."""
    from scipy.stats import multivariate_normal

    mean = train.mean(axis=0)
    cov = np.atleast_2d(np.cov(train, rowvar=False))
    cov = cov + 1e-9 * np.trace(cov) / cov.shape[0] * np.eye(cov.shape[0])
    return float(np.mean(multivariate_normal(mean, cov, allow_singular=True).logpdf(test)))


# ------------------------------------------------------------------------ efficacy
def efficacy(train: Any, synthetic: Any, test: Any, target: str, *,
             random_state: Any = 0) -> dict[str, Any]:
    """Train on synthetic, test on real: how well ``target`` is predicted from the rest.

    A gradient-boosting model (a classifier when the target has at most 20 distinct values,
    a regressor otherwise) is trained once on the real training rows and once on the
    synthetic rows, and both are scored on the real ``test`` rows (accuracy, or R²).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(600, 3))
    >>> df = pd.DataFrame(X, columns=["a", "b", "y"]).assign(y=lambda d: d.a + 0.1 * d.y)
    >>> out = efficacy(df[:300], df[300:500], df[500:], "y")
    >>> out["metric"], out["real"] > 0.8, out["synthetic"] > 0.8
    ('R²', True, True)
    """
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    train, test = _as_table(train, "real"), _as_table(test, "test")
    synthetic = _aligned(train, _as_table(synthetic, "synthetic"), "synthetic")
    if target not in train.columns:
        raise DataError(f"target {target!r} is not a column; columns are "
                        f"{list(train.columns[:6])}.")
    seed = int(check_random_state(random_state).integers(2**31 - 1))
    features = [c for c in train.columns if c != target]
    classify = train[target].nunique() <= 20
    scores = {}
    with openmp_single_threaded():
        for name, rows in (("real", train), ("synthetic", synthetic)):
            model = (HistGradientBoostingClassifier if classify
                     else HistGradientBoostingRegressor)(max_iter=100, random_state=seed)
            model.fit(rows[features].to_numpy(), rows[target].to_numpy())
            scores[name] = float(model.score(test[features].to_numpy(),
                                             test[target].to_numpy()))
    return {"target": target, "metric": "accuracy" if classify else "R²",
            "n_test": len(test), **scores}


# ------------------------------------------------------------------------- privacy
@dataclass
class PrivacyResult:
    """Distance-to-closest-record check of synthetic rows against the training rows.

    Distances are Euclidean in units of the training columns' standard deviations.

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
        """Median synthetic distance over median reference distance (about 1 or more is good)."""
        ref = float(np.median(self.dcr_reference))
        return float(np.median(self.dcr_synthetic)) / ref if ref > 0 else float("inf")


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

    Columns are scaled by the training standard deviations. A synthetic row closer than
    ``copy_tol`` (in those units) to a training row counts as a copy.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> train = rng.normal(size=(300, 3))
    >>> leaky = np.vstack([train[:10], rng.normal(size=(290, 3))])
    >>> privacy_check(train, leaky, rng.normal(size=(300, 3))).n_copies
    10
    """
    from sklearn.neighbors import NearestNeighbors

    train = _as_table(train, "train")
    synthetic = _aligned(train, _as_table(synthetic, "synthetic"), "synthetic")
    rng = check_random_state(random_state)
    T = train.to_numpy()
    scale = np.array([_column_scale(T[:, j]) for j in range(T.shape[1])])
    T = T / scale
    S = _subsample(synthetic.to_numpy() / scale, max_rows, rng)
    nn = NearestNeighbors(n_neighbors=2).fit(T)
    dcr_s = nn.kneighbors(S, n_neighbors=1)[0][:, 0]
    if holdout is not None:
        H = _aligned(train, _as_table(holdout, "holdout"), "holdout").to_numpy() / scale
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


# ------------------------------------------------------------------------ verdicts
@dataclass
class Verdict:
    """One metric's value and its plain-language reading.

    ``level`` is ``"good"``, ``"fair"``, ``"poor"`` or ``"info"``.
    """

    metric: str
    value: str
    level: str
    text: str


def _level(value: float, good: float, fair: float, higher_is_better: bool = True) -> str:
    if not higher_is_better:
        value, good, fair = -value, -good, -fair
    return "good" if value >= good else "fair" if value >= fair else "poor"


@dataclass
class Evaluation:
    """Everything :func:`evaluate` measured; see the module docstring for each metric."""

    columns: pd.DataFrame
    column_similarity: float
    wasserstein: float
    correlation_similarity: float
    corr_real: np.ndarray
    corr_synthetic: np.ndarray
    trend_similarity: float
    pairs: pd.DataFrame
    detection_auc: float | None = None
    heldout_loglik: float | None = None
    heldout_loglik_median: float | None = None
    baseline_loglik: float | None = None
    privacy: PrivacyResult | None = None
    reference: str = "real"
    loglik_units: str = "nats per row, in the table's units"
    efficacy: dict[str, Any] | None = None
    n_real: int = 0
    n_reference: int = 0
    n_synthetic: int = 0
    notes: list[str] = field(default_factory=list)

    def verdicts(self) -> list[Verdict]:
        """Plain-language verdicts, one per metric, in the order the report shows them."""
        out = []
        good, fair = _THRESHOLDS["column_similarity"]
        worst = self.columns["ks_complement"].idxmin()
        out.append(Verdict(
            "Per-column similarity (KS complement)", f"{self.column_similarity:.3f}",
            _level(self.column_similarity, good, fair),
            f"Each column's distribution is matched to {self.column_similarity:.1%} on "
            f"average (1 = identical); weakest column: {worst} "
            f"({self.columns.loc[worst, 'ks_complement']:.3f}). Good is 0.95 or more.",
        ))
        out.append(Verdict(
            "Scaled Wasserstein distance", f"{self.wasserstein:.3f}",
            _level(self.wasserstein, 0.10, 0.25, higher_is_better=False),
            f"On average the synthetic columns are {self.wasserstein:.3f} standard deviations "
            "of mass-moving away from the real ones (0 = identical). Good is below 0.1.",
        ))
        good, fair = _THRESHOLDS["correlation_similarity"]
        out.append(Verdict(
            "Correlation similarity", f"{self.correlation_similarity:.3f}",
            _level(self.correlation_similarity, good, fair),
            "Pairwise linear correlations differ by "
            f"{2 * (1 - self.correlation_similarity):.3f} on average (1 = identical "
            "matrices). Good is 0.98 or more.",
        ))
        good, fair = _THRESHOLDS["trend_similarity"]
        out.append(Verdict(
            "Pairwise trend similarity", f"{self.trend_similarity:.3f}",
            _level(self.trend_similarity, good, fair),
            "Joint histograms of column pairs overlap to "
            f"{self.trend_similarity:.1%} on average. Good is 0.90 or more.",
        ))
        if self.detection_auc is not None:
            auc = self.detection_auc
            level = _level(abs(auc - 0.5), 0.1, 0.3, higher_is_better=False)
            out.append(Verdict(
                "Detection AUC", f"{auc:.3f}", level,
                "A gradient-boosting classifier tells real from synthetic rows with AUC "
                f"{auc:.3f} (0.5 = cannot tell them apart, 1 = always can). "
                + ("They are hard to tell apart." if level == "good" else
                   "They can be told apart some of the time." if level == "fair" else
                   "They are easy to tell apart: some structure of the data is missing."),
            ))
        if self.heldout_loglik is not None:
            out.append(self._loglik_verdict())
        if self.efficacy is not None:
            e = self.efficacy
            gap = e["real"] - e["synthetic"]
            level = "good" if gap <= 0.05 else "fair" if gap <= 0.15 else "poor"
            out.append(Verdict(
                f"Efficacy ({e['target']})", f"{e['synthetic']:.3f} vs {e['real']:.3f}", level,
                f"A gradient-boosting model predicting {e['target']} scores {e['metric']} "
                f"{e['synthetic']:.3f} on {e['n_test']:,} test rows when trained on synthetic "
                f"rows, against {e['real']:.3f} when trained on the real training rows.",
            ))
        if self.privacy is not None:
            p = self.privacy
            level = "poor" if p.n_copies else "good" if p.share_closer <= 0.10 else "fair"
            out.append(Verdict(
                "Privacy (closest real row)",
                f"{p.n_copies} copies, {p.share_closer:.1%} close", level,
                f"{p.n_copies} synthetic rows copy a training row. {p.share_closer:.1%} of "
                "synthetic rows lie closer to a training row than 95% of "
                f"{'held-out real rows' if p.reference == 'holdout' else 'real rows'} do "
                "(about 5% is expected of new data). "
                + ("No sign of leaked rows." if level == "good" else
                   "Some synthetic rows sit very close to real rows." if level == "fair"
                   else "Real rows leak into the synthetic table."),
            ))
        return out

    def _loglik_verdict(self) -> Verdict:
        ll, units = self.heldout_loglik, self.loglik_units
        if not np.isfinite(ll):
            return Verdict("Held-out log-likelihood", "undefined", "poor",
                           "Some held-out rows get zero density under the model, so their "
                           "log-likelihood is minus infinity: the model rules out values the "
                           "data has.")
        text = f"The model gives held-out real rows {ll:.2f} {units}"
        if self.heldout_loglik_median is not None and np.isfinite(self.heldout_loglik_median):
            text += (f" (median {self.heldout_loglik_median:.2f}; a mean far below the "
                     "median means a few rare rows get almost no density)")
        text += "."
        level = "info"
        base = self.baseline_loglik
        if base is not None and np.isfinite(base):
            gain = ll - base
            text += (f" One full Gaussian of the same rows gives {base:.2f}; the model is "
                     f"{'better' if gain > 0 else 'worse'} by {abs(gain):.2f} nats per row.")
            level = "good" if gain > 0 else "poor"
        elif base is not None:
            text += (" A single full Gaussian is no baseline here: its covariance is singular "
                     "(a constant or duplicated column), so its likelihood is undefined.")
        return Verdict("Held-out log-likelihood", f"{ll:.2f}", level, text)

    def summary(self) -> dict[str, Any]:
        """The headline numbers as a JSON-ready dict."""
        out: dict[str, Any] = {
            "column_similarity": self.column_similarity,
            "wasserstein": self.wasserstein,
            "correlation_similarity": self.correlation_similarity,
            "trend_similarity": self.trend_similarity,
            "detection_auc": self.detection_auc,
            "heldout_loglik": self.heldout_loglik,
            "heldout_loglik_median": self.heldout_loglik_median,
            "baseline_loglik": self.baseline_loglik,
            "reference": self.reference,
            "loglik_units": self.loglik_units,
            "efficacy": self.efficacy,
            "n_real": self.n_real,
            "n_synthetic": self.n_synthetic,
            "notes": list(self.notes),
        }
        if self.privacy is not None:
            out["privacy"] = {
                "n_copies": self.privacy.n_copies,
                "share_closer": self.privacy.share_closer,
                "median_ratio": self.privacy.median_ratio,
                "reference": self.privacy.reference,
            }
        return out


def evaluate(
    real: Any,
    synthetic: Any,
    *,
    holdout: Any = None,
    model: Any = None,
    detection: bool = True,
    privacy: bool = True,
    max_rows: int = 5000,
    max_pairs: int = 1000,
    target: str | None = None,
    random_state: Any = 0,
) -> Evaluation:
    """Compare a synthetic table with the real one on every metric of this module.

    Parameters
    ----------
    real : DataFrame or array (n, d)
        The real rows the model was fitted on.
    synthetic : DataFrame or array (m, d)
        Synthetic rows, same columns.
    holdout : DataFrame or array, optional
        Real rows not used in fitting. When given, the fidelity metrics compare the
        synthetic rows with these (so memorising the training rows earns nothing), the
        held-out log-likelihood is computed on them, and the privacy check uses them as its
        reference.
    model : object with ``score_samples``, optional
        The fitted model, for the held-out log-likelihood (needs ``holdout``).
    detection, privacy : bool
        Compute the detection AUC and the privacy check (both on by default).
    target : str, optional
        A column to predict: adds machine-learning efficacy (see :func:`efficacy`), scored on
        ``holdout`` (or ``real``).
    max_rows, max_pairs : int
        Above these sizes the row-based metrics and the pairwise trend use a random
        subsample; :attr:`Evaluation.notes` says so.
    random_state : int, Generator or None
        Seed of the subsampling and of the detection classifier.

    Returns
    -------
    Evaluation

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> real = rng.normal(size=(400, 3))
    >>> ev = evaluate(real, real, detection=False, privacy=False)
    >>> ev.column_similarity, ev.correlation_similarity
    (1.0, 1.0)
    """
    rng = check_random_state(random_state)
    real = _as_table(real, "real")
    synthetic = _aligned(real, _as_table(synthetic, "synthetic"), "synthetic")
    held = None if holdout is None else _aligned(real, _as_table(holdout, "holdout"), "holdout")
    ref = real if held is None else held
    notes = []
    ref_rows, syn_rows = ref.to_numpy(), synthetic.to_numpy()
    if len(ref_rows) > max_rows or len(syn_rows) > max_rows:
        notes.append(
            f"Row-based metrics use a random subsample of at most {max_rows:,} rows per table "
            f"(real {len(ref_rows):,}, synthetic {len(syn_rows):,})."
        )
    ref_s = pd.DataFrame(_subsample(ref_rows, max_rows, rng), columns=real.columns)
    syn_s = pd.DataFrame(_subsample(syn_rows, max_rows, rng), columns=real.columns)
    cols = column_similarity(ref_s, syn_s)
    corr, Cr, Cs = correlation_similarity(ref_s, syn_s)
    trend, pairs, sub = trend_similarity(ref_s, syn_s, max_pairs=max_pairs, random_state=rng)
    if sub:
        d = real.shape[1]
        notes.append(
            f"Pairwise trend similarity uses a random {max_pairs:,} of the "
            f"{d * (d - 1) // 2:,} column pairs."
        )
    ev = Evaluation(
        columns=cols,
        column_similarity=float(cols["ks_complement"].mean()),
        wasserstein=float(cols["wasserstein"].mean()),
        correlation_similarity=corr,
        corr_real=Cr,
        corr_synthetic=Cs,
        trend_similarity=trend,
        pairs=pairs,
        reference="holdout" if held is not None else "real",
        n_real=len(real),
        n_reference=len(ref),
        n_synthetic=len(synthetic),
        notes=notes,
    )
    if detection:
        ev.detection_auc = detection_auc(ref_s, syn_s, max_rows=max_rows, random_state=rng)
    if model is not None and held is not None:
        X = held if hasattr(model, "columns_") or hasattr(model, "feature_names_in_") else (
            held.to_numpy())
        scores = np.asarray(model.score_samples(X), dtype=np.float64)
        ev.heldout_loglik = float(np.mean(scores))
        ev.heldout_loglik_median = float(np.median(scores))
        ev.loglik_units = getattr(model, "loglik_units", ev.loglik_units)
        if hasattr(model, "baseline_score_samples"):
            ev.baseline_loglik = float(np.mean(model.baseline_score_samples(X)))
        else:
            ev.baseline_loglik = _gaussian_loglik(real.to_numpy(), held.to_numpy())
    if target is not None:
        ev.efficacy = efficacy(real, synthetic, ref, target, random_state=rng)
    if privacy:
        ev.privacy = privacy_check(real, synthetic, held, max_rows=max_rows, random_state=rng)
    return ev
