"""Matplotlib figures of the report, each returned as PNG bytes (no pyplot, no global state)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np

#: pixels per inch of every figure: at the sizes the report shows them, at least two image
#: pixels per screen pixel (crisp on high-density screens up to 1,400 px wide)
DPI = 220
REAL = "#1f77b4"
SYNTH = "#ff7f0e"
MODEL = "#2ca02c"


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Any) -> bytes:
    import warnings

    buf = io.BytesIO()
    with warnings.catch_warnings():  # a span of days in half hours: its fallback ticks do
        warnings.filterwarnings("ignore", "AutoDateLocator was unable", UserWarning)
        fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _short(name: str, n: int = 38) -> str:
    return name if len(name) <= n else name[: n - 1] + "…"


def _date_axis(axis: Any) -> None:
    from matplotlib import dates

    locator = dates.AutoDateLocator(maxticks=5)
    axis.set_major_locator(locator)
    axis.set_major_formatter(dates.ConciseDateFormatter(locator))


def histogram(
    name: str,
    real: np.ndarray,
    synthetic: np.ndarray,
    density: tuple[np.ndarray, np.ndarray] | None,
    *,
    dates: bool = False,
) -> bytes:
    """Real and synthetic histograms of one column with the model's density on top.

    With ``dates`` the values are seconds since 1970-01-01 UTC, drawn on a date axis.
    """
    fig = _figure(3.4, 2.4)
    ax = fig.add_subplot()
    if dates:  # matplotlib's date numbers are days since 1970-01-01
        real, synthetic, density = real / 86400.0, synthetic / 86400.0, None
        _date_axis(ax.xaxis)
    # the range holds the middle 99% of each table, so a few real values among many
    # synthetic ones (a sparse column's test rows) are never all cut off
    ranges = [np.percentile(x, [0.5, 99.5]) for x in (real, synthetic) if x.size]
    lo, hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    bins = np.linspace(lo, hi, 41)
    ax.hist(real, bins=bins, density=True, alpha=0.5, color=REAL, label="real")
    ax.hist(synthetic, bins=bins, density=True, alpha=0.5, color=SYNTH, label="synthetic")
    if density is not None:
        grid, pdf = density
        keep = (grid >= lo) & (grid <= hi)
        ax.plot(grid[keep], pdf[keep], color=MODEL, lw=1.0, alpha=0.85, label="model")
    ax.set_title(_short(name), fontsize=10)
    ax.tick_params(labelsize=8)
    ax.set_yticks([])
    ax.legend(fontsize=8, frameon=False)
    return _png(fig)


def bars(name: str, labels: Sequence[str], real: np.ndarray, synthetic: np.ndarray) -> bytes:
    """Category shares of one column, real against synthetic, as paired horizontal bars."""
    k = len(labels)
    fig = _figure(3.4, max(2.4, 0.8 + 0.17 * k))
    ax = fig.add_subplot()
    y = np.arange(k)
    ax.barh(y - 0.2, real, height=0.4, color=REAL, alpha=0.8, label="real")
    ax.barh(y + 0.2, synthetic, height=0.4, color=SYNTH, alpha=0.8, label="synthetic")
    ax.set_yticks(y, [_short(str(v), 18) for v in labels], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("share of the observed cells", fontsize=8)
    ax.set_title(_short(name), fontsize=10)
    ax.tick_params(labelsize=8)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    return _png(fig)


def heatmaps(names: Sequence[str], C_real: np.ndarray, C_synth: np.ndarray) -> bytes:
    """Correlation matrices of real and synthetic rows and their difference, side by side."""
    d = len(names)
    fig = _figure(11, 4.0)
    axes = fig.subplots(1, 3)
    panels = [(C_real, "real"), (C_synth, "synthetic"), (C_synth - C_real, "synthetic - real")]
    for ax, (C, title) in zip(axes, panels):
        im = ax.imshow(C, vmin=-1, vmax=1, cmap="RdBu_r", interpolation="nearest")
        ax.set_title(title, fontsize=10)
        step = max(1, d // 20)
        ticks = np.arange(0, d, step)
        labels = [_short(names[i], 8) for i in ticks]
        ax.set_xticks(ticks, labels, rotation=90, fontsize=8)
        ax.set_yticks(ticks, labels, fontsize=8)
    fig.colorbar(im, ax=axes, shrink=0.8)
    return _png(fig)


def scatter(
    names: tuple[str, str],
    real: np.ndarray,
    synthetic: np.ndarray,
    outlines: list[tuple[np.ndarray, float]] | None,
    dates: tuple[bool, bool] = (False, False),
) -> bytes:
    """Real and synthetic points of one column pair, with the model's component outlines.

    A column flagged in ``dates`` holds seconds since 1970-01-01 UTC and gets a date axis.
    """
    fig = _figure(3.6, 3.2)
    ax = fig.add_subplot()
    for j, axis in enumerate((ax.xaxis, ax.yaxis)):
        if dates[j]:  # seconds since 1970 -> matplotlib's days
            real, synthetic = real.astype(float).copy(), synthetic.astype(float).copy()
            real[:, j] /= 86400.0
            synthetic[:, j] /= 86400.0
            _date_axis(axis)
    ax.scatter(real[:, 0], real[:, 1], s=3, alpha=0.35, color=REAL, label="real", lw=0)
    ax.scatter(synthetic[:, 0], synthetic[:, 1], s=3, alpha=0.35, color=SYNTH,
               label="synthetic", lw=0)
    lims = ax.get_xlim(), ax.get_ylim()
    if outlines:
        wmax = max(w for _, w in outlines)
        for xy, w in outlines:
            ax.plot(xy[:, 0], xy[:, 1], color="k", lw=0.4 + 1.2 * w / wmax, alpha=0.7)
    ax.set_xlim(*lims[0])
    ax.set_ylim(*lims[1])
    ax.set_xlabel(_short(names[0], 30), fontsize=9)
    ax.set_ylabel(_short(names[1], 30), fontsize=9)
    ax.tick_params(labelsize=8)
    ax.legend(fontsize=8, markerscale=3, frameon=False)
    return _png(fig)


def criterion_curve(candidates: Any, units: str = "nats per row") -> bytes:
    """PNG of :func:`criterion_figure`."""
    return _png(criterion_figure(candidates, units))


def criterion_figure(candidates: Any, units: str = "nats per row") -> Any:
    """Every candidate's held-out log-likelihood: mixtures against their number of components,
    KDEs against their bandwidth (one panel each), with the detection AUC (or else BIC) on a
    second axis, and the chosen one starred."""
    kde = np.zeros(len(candidates), bool)
    if "family" in candidates and "bandwidth" in candidates:
        kde = (candidates["family"] == "kde").to_numpy()
    panels = [(part, x, label) for part, x, label in (
        (candidates[~kde], "n_components", "number of components"),
        (candidates[kde], "bandwidth", "KDE bandwidth (normal-score units)")) if len(part)]
    fig = _figure(7.5, 3.2)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (part, x, label) in zip(axes, panels, strict=True):
        part = part.sort_values(x)
        ax.plot(part[x], part["heldout_loglik"], marker="o", ms=3, color=MODEL,
                label="held-out log-likelihood")
        mark = next((c for c in ("selected", "chosen") if c in part), None)
        if mark is not None and part[mark].astype(bool).any():
            best = part[part[mark].astype(bool)]
            ax.plot(best[x], best["heldout_loglik"], marker="*", ms=14, color="k", ls="none",
                    label="chosen")
        ax.set_xlabel(label, fontsize=9)
        ax.set_ylabel(f"held-out log-likelihood\n({units})", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.legend(fontsize=8, frameon=False, loc="lower right")
        second = next((c for c in ("detection_auc", "bic")
                       if c in part and part[c].notna().any()), None)
        if second is not None:
            ax2 = ax.twinx()
            ax2.plot(part[x], part[second], ls=":", marker=".", color=SYNTH)
            ax2.set_ylabel("detection AUC (dotted, 0.5 ideal)" if second == "detection_auc"
                           else "BIC (dotted, lower is better)", fontsize=9, color=SYNTH)
            ax2.tick_params(labelsize=8)
    return fig


def privacy(dcr_synth: np.ndarray, dcr_ref: np.ndarray, reference: str) -> bytes:
    """Distances to the closest training row: synthetic rows against real reference rows."""
    fig = _figure(6.0, 2.8)
    ax = fig.add_subplot()
    hi = np.percentile(np.r_[dcr_synth, dcr_ref], 99.5)
    bins = np.linspace(0, hi if hi > 0 else 1.0, 50)
    ref = "held-out real rows" if reference == "holdout" else "real rows (leave one out)"
    ax.hist(dcr_ref, bins=bins, density=True, alpha=0.5, color=REAL, label=ref)
    ax.hist(dcr_synth, bins=bins, density=True, alpha=0.5, color=SYNTH, label="synthetic rows")
    ax.axvline(np.quantile(dcr_ref, 0.05), color="k", ls="--", lw=1, label="5th percentile")
    ax.set_xlabel("distance to the closest training row (in standard deviations)", fontsize=9)
    ax.set_yticks([])
    ax.tick_params(labelsize=8)
    ax.legend(fontsize=8, frameon=False)
    return _png(fig)
