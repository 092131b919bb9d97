"""Fidelity and privacy metrics for synthetic tables.

Tables may mix numeric, date, boolean and categorical columns, with empty cells (NaN, NaT,
None); :func:`metric_matrix` turns one into the floats the numeric metrics use (dates as
seconds, booleans 0/1, categories as codes in the real table's order). Numbers and dates
are compared as values on a line; categories and booleans by their shares.

Each metric compares real rows with synthetic rows drawn from a fitted model. All scores
are plain numbers with a documented range and a reading of what "good" looks like; the
function :func:`evaluate` computes them all and returns an :class:`Evaluation` that also
holds plain-language verdicts (what the HTML report and the command line print).

Metrics
-------
column similarity (KS or TV complement), per column and averaged
    Numbers and dates: ``1 - D`` where ``D`` is the two-sample Kolmogorov-Smirnov
    statistic (largest gap between the two empirical CDFs) of the observed cells.
    Categories and booleans: ``1 -`` the total variation distance of the category shares
    of the observed cells (SDMetrics' TVComplement). Range [0, 1]; 1 means identical
    distributions. Two samples of the same distribution of a few thousand rows score about
    0.97-0.99, so 0.95 or more is good.
empty cells
    Per column, the share of empty cells in each table; the headline is the largest gap
    in percentage points (2 or less is good). Where chance alone moves the difference
    between two such shares by a point or more at these table sizes
    (:meth:`Evaluation.empty_noise`: ±3.8 points for a 5 % share on 160 rows against 800),
    the verdict says so.
scaled Wasserstein distance, per column and averaged
    The 1-Wasserstein (earth mover's) distance between the two columns divided by the real
    column's standard deviation (numbers and dates only). Range [0, inf); 0 is identical;
    0.1 means the mass must move a tenth of a standard deviation on average. Below 0.1 is
    good (two samples of the same distribution of a few hundred rows already differ by about
    0.05).
correlation similarity
    ``1 - mean |r_real - r_synth| / 2`` over all column pairs of the Pearson correlation
    matrices of the numeric, date and boolean columns (pairwise-complete with empty cells).
    Range [0, 1]; 1 means identical correlation matrices. 0.98 or more is good; undefined
    with fewer than two such columns.
pairwise trend similarity
    For each column pair, ``1 - total variation distance`` between the real and synthetic
    joint histograms on a grid of real-quantile bins (5 x 5 by default; a category is a bin,
    and empty cells have a bin of their own); averaged over pairs. It sees non-linear and
    clustered dependence that a correlation misses. Range [0, 1]; 1 means identical joint
    histograms; 0.9 or more is good.
contingency similarity
    For each pair of categorical (or boolean) columns, ``1 - TVD`` of their joint category
    shares (SDMetrics' ContingencySimilarity; an empty cell is a category of its own);
    averaged over pairs. Range [0, 1]; 0.9 or more is good.
detection AUC
    Cross-validated ROC AUC of a gradient-boosting classifier trained to tell real rows from
    synthetic rows. Range [0, 1]; 0.5 means it cannot tell them apart (ideal), 1.0 means it
    always can. Below 0.6 is good, below 0.8 fair. With ``n`` rows of each table, two
    samples of one distribution give AUCs within about ``1 / sqrt(n)`` of 0.5 (0.13 for 60
    rows); below 400 rows the verdict and the report say so
    (:attr:`Evaluation.detection_noise`).
held-out log-likelihood
    Mean log-density per row that the model gives to real rows it was not fitted on (nats
    per row, in the table's units). Higher is better; compared with one full Gaussian fitted
    to the same training rows, row by row: a gain within two of its standard errors
    (:attr:`Evaluation.baseline_gain_se`) is no gain or loss that the held-out rows can show.
    The median is reported beside it: a mean far below the median says a few rare held-out
    rows (an upset, a sensor fault) get almost no density.
privacy (distance to closest record)
    For each synthetic row, the distance (in training standard deviations; a differing
    category counts as one) to its closest real training row, against the same distance for
    held-out real rows. Rows closer than ``copy_tol`` count as copies. A private generator
    makes no copies and its synthetic rows are no closer to the training rows than genuinely
    new real rows are: the share of synthetic rows closer than the held-out 5th percentile
    should be near 5%.

Wide or long tables stay fast: above ``max_rows`` rows the row-based metrics use a random
subsample and above ``max_pairs`` column pairs the pairwise trend and the contingency
similarity use a random subset of pairs; each time the result records it in
:attr:`Evaluation.notes`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_random_state
from ..exceptions import DataError
from ._metrics import (
    DISCRETE,
    ModelScores,
    PrivacyResult,
    _gaussian_loglik,
    column_similarity,
    contingency_similarity,
    correlation_columns,
    correlation_similarity,
    detection_auc,
    efficacy,
    heldout_loglik,
    ks_complement,
    privacy_check,
    scaled_wasserstein,
    trend_similarity,
    tv_complement,
)
from ._result import Evaluation, Verdict
from ._table import (
    KINDS,
    aligned,
    as_table,
    column_kind,
    column_kinds,
    empty_shares,
    metric_matrix,
    subsample_frame,
)

__all__ = [
    "KINDS",
    "Evaluation",
    "PrivacyResult",
    "Verdict",
    "aligned",
    "as_table",
    "column_kind",
    "column_kinds",
    "column_similarity",
    "contingency_similarity",
    "correlation_columns",
    "correlation_similarity",
    "detection_auc",
    "efficacy",
    "empty_shares",
    "evaluate",
    "heldout_loglik",
    "ks_complement",
    "metric_matrix",
    "privacy_check",
    "scaled_wasserstein",
    "subsample_frame",
    "trend_similarity",
    "tv_complement",
]

def _check_failed_draws(real: pd.DataFrame, held: pd.DataFrame | None,
                        synthetic: pd.DataFrame) -> None:
    """Refuse empty synthetic cells in a column no real row leaves empty (failed draws)."""
    seen = real.isna().any()
    if held is not None:
        seen |= held.isna().any()
    bad = [c for c in real.columns if not seen[c] and synthetic[c].isna().any()]
    if bad:
        raise DataError(
            f"synthetic column(s) {bad[:5]} hold empty cells (NaN) where no real row has one: "
            "a model fitted on complete columns does not draw empty cells, so these are "
            "failed draws (an overflow, a broken inverse map). Drop or redraw those rows; "
            "column_similarity and the other metric functions compare such tables as they are."
        )


def evaluate(real: Any, synthetic: Any, *, holdout: Any = None, model: Any = None,
             detection: bool = True, privacy: bool = True, max_rows: int = 5000,
             max_pairs: int = 1000, target: str | None = None, random_state: Any = 0
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
    real, synthetic, held = _tables(real, synthetic, holdout)
    ref = real if held is None else held
    ref_s = subsample_frame(ref, max_rows, rng)
    syn_s = subsample_frame(synthetic, max_rows, rng)
    ev = _fidelity(ref_s, syn_s, max_pairs, rng, _row_notes(ref, synthetic, max_rows))
    ev.reference = "holdout" if held is not None else "real"
    ev.n_real, ev.n_reference, ev.n_synthetic = len(real), len(ref), len(synthetic)
    ev.n_compared = len(ref_s), len(syn_s)
    if detection:
        ev.detection_auc = detection_auc(ref_s, syn_s, max_rows=max_rows, random_state=rng)
    if model is not None and held is not None:
        _loglik(ev, ModelScores.of(model, held), real, held)
    if target is not None:
        ev.efficacy = efficacy(real, synthetic, ref, target, random_state=rng)
    if privacy:
        ev.privacy = privacy_check(real, synthetic, held, max_rows=max_rows, random_state=rng)
    return ev


def _tables(real: Any, synthetic: Any, holdout: Any
            ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """The real, synthetic and held-out tables as frames with the real table's columns."""
    real = as_table(real, "real")
    synthetic = aligned(real, as_table(synthetic, "synthetic"), "synthetic")
    held = None if holdout is None else aligned(real, as_table(holdout, "holdout"), "holdout")
    _check_failed_draws(real, held, synthetic)
    return real, synthetic, held


def _row_notes(ref: pd.DataFrame, synthetic: pd.DataFrame, max_rows: int) -> list[str]:
    """The evaluation's first notes: whether the row-based metrics use subsamples."""
    if len(ref) <= max_rows and len(synthetic) <= max_rows:
        return []
    return [f"Row-based metrics use a random subsample of at most {max_rows:,} rows per table "
            f"(real {len(ref):,}, synthetic {len(synthetic):,})."]


def _fidelity(ref: pd.DataFrame, syn: pd.DataFrame, max_pairs: int, rng: np.random.Generator,
              notes: list[str]) -> Evaluation:
    """The column, correlation, trend and contingency metrics of :func:`evaluate`."""
    cols = column_similarity(ref, syn)
    corr, Cr, Cs = correlation_similarity(ref, syn)
    if not np.isfinite(corr):
        notes.append("Correlation similarity is undefined: the table has fewer than two "
                     "numeric, date or boolean columns.")
    trend, pairs, sub = trend_similarity(ref, syn, max_pairs=max_pairs, random_state=rng)
    d = ref.shape[1]
    if sub:
        notes.append(
            f"Pairwise trend similarity uses a random {max_pairs:,} of the "
            f"{d * (d - 1) // 2:,} column pairs."
        )
    kinds = column_kinds(ref)
    ev = Evaluation(
        columns=cols,
        column_similarity=float(cols["similarity"].mean()),
        wasserstein=float(cols["wasserstein"].mean()),
        correlation_similarity=corr,
        corr_real=Cr,
        corr_synthetic=Cs,
        trend_similarity=trend,
        pairs=pairs,
        notes=notes,
        empty_share_difference=float(
            100 * (cols["empty_real"] - cols["empty_synthetic"]).abs().max()),
        corr_columns=correlation_columns(ref),
        kinds=kinds,
    )
    k = sum(kind in DISCRETE for kind in kinds.values())
    if k >= 2:
        score, table, csub = contingency_similarity(ref, syn, max_pairs=max_pairs,
                                                    random_state=rng)
        ev.contingency_similarity, ev.contingency_pairs = score, table
        if csub:
            notes.append(f"Contingency similarity uses a random {max_pairs:,} of the "
                         f"{k * (k - 1) // 2:,} pairs of categorical columns.")
    return ev


def _loglik(ev: Evaluation, scores: ModelScores, real: pd.DataFrame, held: pd.DataFrame
            ) -> None:
    """The held-out log-likelihood of the model that gave ``scores`` (the held-out rows'
    scores), and its baseline: the model's own, or one full Gaussian of the real rows."""
    ev.heldout_loglik = float(np.mean(scores.scores))
    ev.heldout_loglik_median = float(np.median(scores.scores))
    if scores.units is not None:
        ev.loglik_units = scores.units
    base = scores.baseline
    if base is None:
        numeric = all(k == "numeric" for k in column_kinds(real).values())
        T, H = metric_matrix(real), metric_matrix(held, real)
        if not numeric or np.isnan(T).any() or np.isnan(H).any():
            ev.notes.append("No Gaussian baseline for the held-out log-likelihood: one full "
                            "Gaussian needs complete numeric columns.")
            return
        base = _gaussian_loglik(T, H)
    ev.baseline_loglik = float(np.mean(base))
    gain = np.asarray(scores.scores, dtype=np.float64) - base
    if gain.size > 1 and np.all(np.isfinite(gain)):
        ev.baseline_gain_se = float(np.std(gain, ddof=1) / np.sqrt(gain.size))
