"""Plain-language verdicts and the :class:`Evaluation` that :func:`evaluate` returns."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._metrics import PrivacyResult

#: the verdicts' thresholds: metric -> (good, fair, higher_is_better). A value is "good" when
#: it is at least ``good`` (at most, when lower is better), "fair" when at least (at most)
#: ``fair``, else "poor"; :func:`_grade` applies them
_THRESHOLDS = {
    "column_similarity": (0.95, 0.85, True),
    "correlation_similarity": (0.98, 0.90, True),
    "trend_similarity": (0.90, 0.80, True),
    "contingency_similarity": (0.90, 0.80, True),
    "wasserstein": (0.10, 0.25, False),
    "empty_share_difference": (2.0, 5.0, False),  # percentage points
    "detection_auc": (0.1, 0.3, False),  # the AUC's distance from 0.5
    "efficacy": (0.05, 0.15, False),  # the score lost by training on synthetic rows
    "share_closer": (0.10, math.inf, False),  # any copied row makes privacy "poor"
}


#: below this many rows of each table the detection AUC's chance spread (1 / sqrt(n), 0.05
#: at 400 rows) is said beside it
_ROUGH_BELOW = 400


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


def _grade(metric: str, value: float) -> str:
    """``"good"``, ``"fair"`` or ``"poor"`` for ``value`` of ``metric`` (see _THRESHOLDS)."""
    return _level(value, *_THRESHOLDS[metric])


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
    #: the standard error of the model's mean gain over the baseline, row by row (paired)
    baseline_gain_se: float | None = None
    privacy: PrivacyResult | None = None
    reference: str = "real"
    loglik_units: str = "nats per row, in the table's units"
    efficacy: dict[str, Any] | None = None
    n_real: int = 0
    n_reference: int = 0
    n_synthetic: int = 0
    #: the rows of each table the per-column metrics compared (a subsample of long ones)
    n_compared: tuple[int, int] | None = None
    notes: list[str] = field(default_factory=list)
    #: mean contingency similarity over pairs of categorical columns (None: fewer than two)
    contingency_similarity: float | None = None
    contingency_pairs: pd.DataFrame | None = None
    #: largest gap between a column's real and synthetic empty-cell shares, in percentage points
    empty_share_difference: float = 0.0
    #: the columns of ``corr_real``/``corr_synthetic`` (None: every column)
    corr_columns: list[str] | None = None
    #: column -> kind ('numeric', 'datetime', 'boolean', 'categorical')
    kinds: dict[str, str] = field(default_factory=dict)

    @property
    def has_empty_cells(self) -> bool:
        """Whether either table has an empty cell in a compared column."""
        cols = self.columns
        return bool("empty_real" in cols and (cols[["empty_real", "empty_synthetic"]] > 0)
                    .to_numpy().any())

    @property
    def detection_noise(self) -> float | None:
        """How far chance alone moves the detection AUC (two standard deviations) when
        the tables are short, else None: about ``1 / sqrt(n)`` for ``n`` rows of each table,
        as two samples of one distribution give (0.13 for 60 rows)."""
        n = min(self.n_reference, self.n_synthetic)
        return 1.0 / math.sqrt(n) if 0 < n < _ROUGH_BELOW else None

    def empty_noise(self, share: float) -> float | None:
        """How far chance alone moves the difference between two tables' empty-cell shares
        of a column whose share is ``share`` (two standard deviations of that difference,
        in percentage points, for the rows compared), when that is at least 1 point, else
        None (2.2 points for a 5 % share on 800 rows against 800)."""
        n, m = self.n_compared or (self.n_reference, self.n_synthetic)
        if n <= 0 or m <= 0:
            return None
        spread = 200 * math.sqrt(share * (1 - share) * (1 / n + 1 / m))
        return spread if spread >= 1.0 else None

    @property
    def discrete_columns(self) -> list[str]:
        """Columns compared by their category shares (categorical and boolean ones)."""
        return [c for c, k in self.kinds.items() if k in ("categorical", "boolean")]

    def __repr__(self) -> str:
        """The verdicts, one line each (the fields hold whole tables: print them by name)."""
        lines = [f"  {v.level:>4}  {v.metric}: {v.value}" for v in self.verdicts()]
        return (f"<Evaluation of {self.n_synthetic:,} synthetic rows against "
                f"{self.n_reference:,} {self.reference} rows\n" + "\n".join(lines) + ">")

    def _repr_html_(self) -> str:
        """The verdicts as a table, for a notebook: the report's fidelity table, with the
        notes under it."""
        from html import escape

        colour = {"good": "#176b1b", "fair": "#8a5a00", "poor": "#b00020", "info": "#444"}
        cell = 'style="border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top"'
        rows = "".join(
            f"<tr><td {cell}>{escape(v.metric)}</td><td {cell}>{escape(v.value)}</td>"
            f'<td {cell}><b style="color:{colour[v.level]}">{v.level}</b></td>'
            f"<td {cell}>{escape(v.text)}</td></tr>"
            for v in self.verdicts())
        head = "".join(f"<th {cell}>{h}</th>" for h in ("metric", "value", "verdict",
                                                         "what it means"))
        notes = "".join(f"<p><small>{escape(n)}</small></p>" for n in self.notes)
        return (f"<p>Evaluation of {self.n_synthetic:,} synthetic rows against "
                f"{self.n_reference:,} {escape(self.reference)} rows</p>"
                f'<table style="border-collapse:collapse"><tr>{head}</tr>{rows}</table>'
                f"{notes}")

    def verdicts(self) -> list[Verdict]:
        """Plain-language verdicts, one per metric, in the order the report shows them."""
        return [v for verdict in _VERDICTS if (v := verdict(self)) is not None]

    def summary(self) -> dict[str, Any]:
        """The headline numbers as a JSON-ready dict."""
        out: dict[str, Any] = {
            "column_similarity": self.column_similarity,
            "wasserstein": self.wasserstein,
            "correlation_similarity": self.correlation_similarity,
            "trend_similarity": self.trend_similarity,
            "contingency_similarity": self.contingency_similarity,
            "empty_share_difference": self.empty_share_difference,
            "detection_auc": self.detection_auc,
            "heldout_loglik": self.heldout_loglik,
            "heldout_loglik_median": self.heldout_loglik_median,
            "baseline_loglik": self.baseline_loglik,
            "baseline_gain_se": self.baseline_gain_se,
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


# ------------------------------------------------------------------------ the verdicts
# One function per metric, in the report's order: the metric's Verdict, or None when the
# evaluation did not measure it.
def _column_verdict(ev: Evaluation) -> Verdict:
    cols = ev.columns
    score = cols["similarity"] if "similarity" in cols else cols["ks_complement"]
    mixed = bool(ev.discrete_columns)
    name = ("Per-column similarity (KS and TV complements)" if mixed
            else "Per-column similarity (KS complement)")
    if not score.notna().any():
        return Verdict(name, "undefined", "info",
                       "No column has an observed cell in both tables, so no column's "
                       "distribution can be compared.")
    worst = score.idxmin()
    how = ("; numbers and dates by the KS complement, categories and booleans by the TV "
           "complement of their shares" if mixed else "")
    return Verdict(
        name, f"{ev.column_similarity:.3f}", _grade("column_similarity", ev.column_similarity),
        f"Each column's distribution is matched to {ev.column_similarity:.1%} on "
        f"average (1 = identical{how}); weakest column: {worst} "
        f"({score[worst]:.3f}). Good is 0.95 or more.",
    )


def _wasserstein_verdict(ev: Evaluation) -> Verdict:
    w = ev.wasserstein
    if not np.isfinite(w):
        return Verdict("Scaled Wasserstein distance", "none", "info",
                       "No numeric or date column with observed cells in both tables: "
                       "the distance applies to values on a line only.")
    which = "numeric and date columns" if ev.discrete_columns else "columns"
    return Verdict(
        "Scaled Wasserstein distance", f"{w:.3f}", _grade("wasserstein", w),
        f"On average the synthetic {which} are {w:.3f} standard deviations "
        "of mass-moving away from the real ones (0 = identical). Good is below 0.1.",
    )


def _correlation_verdict(ev: Evaluation) -> Verdict:
    c = ev.correlation_similarity
    if not np.isfinite(c):
        return Verdict("Correlation similarity", "undefined", "info",
                       "Fewer than two numeric, date or boolean columns: there is no "
                       "pair of columns to correlate.")
    return Verdict(
        "Correlation similarity", f"{c:.3f}", _grade("correlation_similarity", c),
        f"Pairwise linear correlations differ by {2 * (1 - c):.3f} on average (1 = "
        "identical matrices). Good is 0.98 or more.",
    )


def _trend_verdict(ev: Evaluation) -> Verdict:
    t = ev.trend_similarity
    return Verdict(
        "Pairwise trend similarity", f"{t:.3f}", _grade("trend_similarity", t),
        f"Joint histograms of column pairs overlap to {t:.1%} on average. Good is 0.90 or "
        "more.",
    )


def _contingency_verdict(ev: Evaluation) -> Verdict | None:
    c = ev.contingency_similarity
    if c is None or not np.isfinite(c):
        return None
    return Verdict(
        "Contingency similarity", f"{c:.3f}", _grade("contingency_similarity", c),
        "Cross-tabulations of pairs of categorical columns (empty cells as a category of "
        f"their own) overlap to {c:.1%} on average (1 = identical). Good is 0.90 or more.",
    )


def _empty_verdict(ev: Evaluation) -> Verdict | None:
    if not ev.has_empty_cells:
        return None
    cols = ev.columns
    worst = (cols["empty_synthetic"] - cols["empty_real"]).abs().idxmax()
    d = ev.empty_share_difference
    real, syn = cols.loc[worst, "empty_real"], cols.loc[worst, "empty_synthetic"]
    n, m = ev.n_compared or (ev.n_reference, ev.n_synthetic)
    noise = ev.empty_noise((real * n + syn * m) / max(n + m, 1))
    return Verdict(
        "Empty cells", f"{d:.1f} points", _grade("empty_share_difference", d),
        f"A column's share of empty cells differs by at most {d:.1f} percentage points "
        f"between real and synthetic rows (largest in {worst}: {real:.1%} real, "
        f"{syn:.1%} synthetic). Good is 2 points or less."
        + ("" if noise is None else
           f" With {n:,} {ev.reference} rows and {m:,} synthetic ones compared, chance "
           f"alone moves the difference between two such shares by about ±{noise:.1f} points"
           + (", so this one is within chance." if round(d, 1) <= round(noise, 1) else
              ": this one is beyond it.")),
    )


def _detection_verdict(ev: Evaluation) -> Verdict | None:
    auc = ev.detection_auc
    if auc is None:
        return None
    level = _grade("detection_auc", abs(auc - 0.5))
    return Verdict(
        "Detection AUC", f"{auc:.3f}", level,
        "A gradient-boosting classifier tells real from synthetic rows with AUC "
        f"{auc:.3f} (0.5 = cannot tell them apart, 1 = always can). "
        + ("They are hard to tell apart." if level == "good" else
           "They can be told apart some of the time." if level == "fair" else
           "They are easy to tell apart: some structure of the data is missing.")
        + ("" if ev.detection_noise is None else
           f" With {min(ev.n_reference, ev.n_synthetic):,} rows of each table, chance alone "
           f"moves the AUC by about ±{ev.detection_noise:.2f}, so this grade is rough."),
    )


def _loglik_verdict(ev: Evaluation) -> Verdict | None:
    ll, units = ev.heldout_loglik, ev.loglik_units
    if ll is None:
        return None
    if not np.isfinite(ll):
        return Verdict("Held-out log-likelihood", "undefined", "poor",
                       "Some held-out rows get zero density under the model, so their "
                       "log-likelihood is minus infinity: the model rules out values the "
                       "data has.")
    text = f"The model gives held-out real rows {ll:.2f} {units}"
    if ev.heldout_loglik_median is not None and np.isfinite(ev.heldout_loglik_median):
        text += (f" (median {ev.heldout_loglik_median:.2f}; a mean far below the "
                 "median means a few rare rows get almost no density)")
    text += "."
    level = "info"
    base = ev.baseline_loglik
    if base is not None and np.isfinite(base):
        gain = ll - base
        chance = None if ev.baseline_gain_se is None else 2 * ev.baseline_gain_se
        text += f" One full Gaussian of the same rows gives {base:.2f}; the model is "
        if abs(gain) < 0.005:  # no gain or loss that the figures show (that Gaussian itself)
            text += "as good, to 0.01 nats per row: it finds no structure beyond that Gaussian."
            level = "fair"
        elif chance is not None and abs(gain) <= chance:
            text += (f"{'better' if gain > 0 else 'worse'} by {abs(gain):.2f} nats per row, "
                     f"within the ±{chance:.2f} that chance alone moves the difference on "
                     f"{ev.n_reference:,} rows (two standard errors, row by row): no gain "
                     "over that Gaussian that these rows can show.")
            level = "fair"
        else:
            text += f"{'better' if gain > 0 else 'worse'} by {abs(gain):.2f} nats per row"
            text += ("." if chance is None else
                     f", beyond the ±{chance:.2f} that chance alone moves the difference on "
                     f"{ev.n_reference:,} rows (two standard errors, row by row).")
            level = "good" if gain > 0 else "poor"
    elif base is not None:
        text += (" A single full Gaussian is no baseline here: its covariance is singular "
                 "(a constant or duplicated column), so its likelihood is undefined.")
    return Verdict("Held-out log-likelihood", f"{ll:.2f}", level, text)


def _efficacy_verdict(ev: Evaluation) -> Verdict | None:
    e = ev.efficacy
    if e is None:
        return None
    return Verdict(
        f"Efficacy ({e['target']})", f"{e['synthetic']:.3f} vs {e['real']:.3f}",
        _grade("efficacy", e["real"] - e["synthetic"]),
        f"A gradient-boosting model predicting {e['target']} scores {e['metric']} "
        f"{e['synthetic']:.3f} on {e['n_test']:,} test rows when trained on synthetic "
        f"rows, against {e['real']:.3f} when trained on the real training rows.",
    )


def _privacy_verdict(ev: Evaluation) -> Verdict | None:
    p = ev.privacy
    if p is None:
        return None
    level = "poor" if p.n_copies else _grade("share_closer", p.share_closer)
    return Verdict(
        "Privacy (closest real row)", f"{p.n_copies} copies, {p.share_closer:.1%} close", level,
        f"{p.n_copies} synthetic rows copy a training row. {p.share_closer:.1%} of "
        "synthetic rows lie closer to a training row than 95% of "
        f"{'held-out real rows' if p.reference == 'holdout' else 'real rows'} do "
        "(about 5% is expected of new data). "
        + ("No sign of leaked rows." if level == "good" else
           "Some synthetic rows sit very close to real rows." if level == "fair"
           else "Real rows leak into the synthetic table."),
    )


_VERDICTS = (_column_verdict, _wasserstein_verdict, _correlation_verdict, _trend_verdict,
             _contingency_verdict, _empty_verdict, _detection_verdict, _loglik_verdict,
             _efficacy_verdict, _privacy_verdict)
