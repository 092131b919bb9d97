"""One self-contained HTML report on a synthetic table: numbers, verdicts and pictures.

The report is a single file: images are embedded as base64 PNG, the style sheet and a tiny
script are inline, and nothing is fetched from the network. It reads on a laptop and on a
phone (the layout is a responsive grid). Its sections have stable ids (see
:data:`SECTION_IDS`):

``summary``
    the headline verdict and the few numbers that matter, with the rows they come from;
``cleaning``
    what reading the table dropped and why (folded);
``model``
    the chosen model and the criterion curve, with held-out log-likelihood;
``metrics``
    every fidelity metric with a plain-language verdict;
``columns``
    real-vs-synthetic histograms with the fitted density, one per column;
``correlations``
    correlation heatmaps (real, synthetic, difference);
``pairs``
    scatter plots of the most correlated pairs, with the mixture's component outlines;
``privacy``
    distance of synthetic rows to their closest real row, and copied rows.

A model passed to :func:`build_report` may offer ``marginal_pdf(column, grid)``,
``component_outlines(column_a, column_b)`` and ``describe()``; without them the report
estimates the fitted density from the model's own samples and draws ellipses from
``means_``/``covariances_`` when the model has them.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import evaluate as _ev
from .._columns import percent_and_time_columns
from ..data import WRITTEN_ENCODINGS
from ..plotting import ellipse

__all__ = ["SECTION_IDS", "build_report", "write_report"]

SECTION_IDS = ("summary", "cleaning", "model", "metrics", "columns", "correlations", "pairs",
               "privacy")

_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;
background:#fafafa;line-height:1.45}
header,section{max-width:1200px;margin:0 auto;padding:12px 16px}
header{border-bottom:1px solid #ddd}
h1{font-size:1.5rem;margin:.4em 0}h2{font-size:1.2rem;border-bottom:1px solid #eee}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:10px}
.grid figure{margin:0;background:#fff;border:1px solid #eee;border-radius:6px;padding:4px}
figcaption{font-size:.75rem;color:#555;text-align:center}
img{max-width:100%;height:auto;display:block;margin:0 auto}
.wide img{width:100%}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:.85rem;background:#fff}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
.good{color:#176b1b}.fair{color:#8a5a00}.poor{color:#b00020}.info{color:#444}
.badge{display:inline-block;min-width:3.2em;font-weight:600}
.note{font-size:.85rem;color:#555}
pre{white-space:pre-wrap;font-size:.8rem;background:#fff;border:1px solid #eee;padding:8px}
.headline{font-size:1.25rem;margin:.3em 0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:10px}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 12px}
.card b{display:block;font-size:1.5rem}
details summary{cursor:pointer;color:#333}
@media (max-width:600px){h1{font-size:1.2rem}td,th{padding:2px 4px;font-size:.75rem}
.grid{grid-template-columns:1fr}}
"""

# Marks <body> once the page has loaded: how many images decoded, which sections have a
# height, and whether the page is wider than the window (a headless browser can check).
_SCRIPT = """
<script>
function dkCheck(){var imgs=document.images,ok=0,b=document.body,shown=[];
for(var i=0;i<imgs.length;i++){if(imgs[i].complete&&imgs[i].naturalWidth>0){ok++;}}
b.setAttribute('data-images-ok',ok);
b.setAttribute('data-images-total',imgs.length);
b.setAttribute('data-images-loaded',ok===imgs.length?'true':'false');
var secs=document.querySelectorAll('section[id]');
for(var j=0;j<secs.length;j++){if(secs[j].offsetHeight>0){shown.push(secs[j].id);}}
b.setAttribute('data-sections-rendered',shown.join(' '));
b.setAttribute('data-scroll-width',document.documentElement.scrollWidth);
b.setAttribute('data-viewport-width',window.innerWidth);}
window.addEventListener('load',dkCheck);
</script>
"""


def _esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_esc(alt)}">'


def _section(sid: str, title: str, body: str) -> str:
    return f'<section id="{sid}"><h2>{_esc(title)}</h2>\n{body}\n</section>'


def _cell(v: Any, fmt: str) -> str:
    """One table cell: a dash for a missing number, never 'nan' or 'inf'."""
    if v is None or (isinstance(v, (float, np.floating)) and not np.isfinite(v)):
        return "&ndash;"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else ""
    if isinstance(v, (float, np.floating, int, np.integer)):
        return _esc(fmt.format(v))
    return _esc(v)


def _table(df: pd.DataFrame, floatfmt: str = "{:.4g}",
           formats: dict[str, str] | None = None) -> str:
    """An HTML table; ``formats`` gives a column's format (e.g. ``'{:.0f}'``, ``'{:.1%}'``)."""
    formats = formats or {}
    fmts = [formats.get(str(c), floatfmt) for c in df.columns]
    head = "".join(f"<th>{_esc(c)}</th>" for c in [df.index.name or "", *df.columns])
    rows = "".join(
        "<tr>" + f"<td>{_esc(i)}</td>"
        + "".join(f"<td>{_cell(v, f)}</td>" for v, f in zip(row, fmts)) + "</tr>"
        for i, row in zip(df.index, df.itertuples(index=False))
    )
    return f'<div class="scroll"><table><tr>{head}</tr>{rows}</table></div>'


# ----------------------------------------------------------------------------- sections
def _kinds_table(kinds: dict[str, str]) -> str:
    """What each column was kept as, one row per kind (compact for wide tables)."""
    if not kinds:
        return ""
    by_kind: dict[str, list[str]] = {}
    for col, kind in kinds.items():
        by_kind.setdefault(str(kind), []).append(str(col))
    rows = "".join(
        f"<tr><td>{_esc(kind)}</td><td>{len(cols)}</td><td>{_esc(', '.join(cols[:12]))}"
        f"{_esc(f', and {len(cols) - 12} more') if len(cols) > 12 else ''}</td></tr>"
        for kind, cols in by_kind.items())
    return ('<p>Columns kept, by kind:</p><div class="scroll"><table><tr><th>kept as</th>'
            f"<th>columns</th><th>names</th></tr>{rows}</table></div>")


def _dropped_table(dropped: dict[str, str]) -> str:
    if not dropped:
        return ""
    rows = "".join(f"<tr><td>{_esc(c)}</td><td>{_esc(why)}</td></tr>"
                   for c, why in dropped.items())
    return ('<p>Columns dropped:</p><div class="scroll"><table><tr><th>column</th>'
            f"<th>why</th></tr>{rows}</table></div>")


def _written_note(d: dict[str, Any]) -> str:
    """What a text table's outputs keep of how it was written: its dates' forms, its
    marks and its numbers written as text (as :func:`densitykit.data.write_table` writes
    them)."""
    marks = d.get("text_marks") or {}
    names = {"\t": "tab", ";": "';'", "|": "'|'", ",": "','"}
    parts = [f"the dates of {_esc(c)} in the form {_esc(f)}"
             for c, f in (d.get("date_formats") or {}).items()][:3]
    if "sep" in marks:
        parts.append(f"fields separated by {names.get(marks['sep'], _esc(marks['sep']))}")
    if marks.get("decimal") == ",":
        parts.append("decimal commas")
    if "encoding" in marks:
        parts.append(f"in {WRITTEN_ENCODINGS.get(marks['encoding'], _esc(marks['encoding']))}")
    forms = d.get("number_forms") or {}
    percent, times = percent_and_time_columns(forms)
    for what, cols in (("percentages with their sign", percent),
                       ("times of day as written", times)):
        if cols:
            parts.append(f"{what} ({', '.join(_esc(c) for c in cols[:5])})")
    if not parts:
        return ""
    return f"<p>Text outputs are written as the table was: {'; '.join(parts)}.</p>"


def _cleaning_section(cleaning: Any) -> str:
    if cleaning is None:
        body = '<p class="note">No cleaning summary: the table was given as it is.</p>'
    elif hasattr(cleaning, "to_text"):
        d = cleaning.to_dict() if hasattr(cleaning, "to_dict") else {}
        facts = ""
        if d:
            facts = (
                f"<p>Rows: {d.get('n_rows_in')} in, {d.get('n_rows_out')} kept. Columns: "
                f"{d.get('n_columns_in')} in, {d.get('n_columns_out')} modelled. "
                f"Policy: <b>{_esc(d.get('policy'))}</b>.</p>"
            )
            kinds = d.get("column_kinds") or {}
            if kinds and set(kinds.values()) != {"numeric"}:
                facts += _kinds_table(kinds) + _dropped_table(d.get("dropped_columns") or {})
            facts += _written_note(d)
        body = (facts + "<details><summary>The reading log</summary>"
                f"<pre>{_esc(cleaning.to_text())}</pre></details>")
    elif isinstance(cleaning, dict):
        plain = {k: v for k, v in cleaning.items()
                 if k not in ("column_kinds", "dropped_columns")}
        rows = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>"
                       for k, v in plain.items())
        body = (f'<div class="scroll"><table>{rows}</table></div>' if rows else "")
        body += _kinds_table(cleaning.get("column_kinds") or {})
        body += _dropped_table(cleaning.get("dropped_columns") or {})
    else:
        body = f"<pre>{_esc(cleaning)}</pre>"
    return _section("cleaning", "Cleaning summary", body)


#: how the candidates table shows each column
_CANDIDATE_FORMATS = {"n_components": "{:.0f}", "bandwidth": "{:g}", "tail": "{:.0f}",
                      "heldout_loglik": "{:.2f}", "bic": "{:,.0f}", "detection_auc": "{:.3f}",
                      "share_closer": "{:.1%}", "seconds": "{:.1f}"}


def _model_section(model: Any, candidates: pd.DataFrame | None, units: str) -> str:
    parts = []
    if model is None:
        parts.append('<p class="note">No model given: only the two tables are compared.</p>')
    else:
        desc = model.describe() if hasattr(model, "describe") else type(model).__name__
        parts.append(f"<p>Chosen model: <b>{_esc(desc)}</b></p>")
    if candidates is not None and len(candidates):
        from . import _figures

        curve = _img(_figures.criterion_curve(candidates, units), "criterion curve")
        parts.append(f'<div class="wide">{curve}</div>')
        by_detection = ("detection_auc" in candidates
                        and candidates["detection_auc"].notna().any())
        rule = ("the lowest detection AUC of its draws against those rows, among the "
                "candidates whose draws do not sit on the fitted rows" if by_detection
                else "the highest held-out log-likelihood")
        parts.append(
            '<p class="note">Each candidate was fitted on part of the training rows and scored '
            f"on the other part (validation rows); the chosen one has {rule}. Held-out "
            f"log-likelihood in {_esc(units)}; share close: draws nearer to a fitted row than "
            "95% of the validation rows are. The test rows took no part in this.</p>"
        )
        shown = candidates.drop(columns=[c for c in ("error",) if c in candidates
                                         and candidates[c].isna().all()])
        parts.append(_table(shown.set_index(shown.columns[0]), "{:.3g}", _CANDIDATE_FORMATS))
    elif model is not None:
        parts.append('<p class="note">No candidate table: the model was given, not chosen.</p>')
    return _section("model", "Model", "\n".join(parts))


def _metrics_section(ev: _ev.Evaluation) -> str:
    rows = "".join(
        f'<tr><td>{_esc(v.metric)}</td><td>{_esc(v.value)}</td>'
        f'<td class="{v.level}"><span class="badge">{_esc(v.level)}</span></td>'
        f"<td>{_esc(v.text)}</td></tr>"
        for v in ev.verdicts()
    )
    ref = (f"{ev.n_reference:,} test rows (real rows kept out of fitting and choosing the "
           "model)" if ev.reference == "holdout" else f"all {ev.n_real:,} real rows")
    notes = "".join(f'<p class="note">{_esc(n)}</p>' for n in ev.notes)
    body = (
        f"<p>{ev.n_synthetic:,} synthetic rows compared with {ref}.</p>"
        '<div class="scroll"><table><tr><th>metric</th><th>value</th><th>verdict</th>'
        f"<th>what it means</th></tr>{rows}</table></div>{notes}"
    )
    return _section("metrics", "Fidelity metrics", body)


def _marginal(model: Any, column: str, j: int, grid: np.ndarray,
              sample: np.ndarray | None) -> np.ndarray | None:
    if model is not None and hasattr(model, "marginal_pdf"):
        pdf = model.marginal_pdf(column, grid)
        return None if pdf is None else np.asarray(pdf, dtype=np.float64)
    if sample is None:
        return None
    from scipy.stats import gaussian_kde

    col = sample[:, j]
    if np.ptp(col) == 0:
        return None
    return gaussian_kde(col)(grid)


def _model_sample(model: Any, n: int, seed: int) -> np.ndarray | None:
    if model is None or hasattr(model, "marginal_pdf") or not hasattr(model, "sample"):
        return None
    try:
        out = model.sample(n, random_state=seed)
    except TypeError:
        out = model.sample(n)
    out = out[0] if isinstance(out, tuple) else out
    if isinstance(out, pd.DataFrame):
        return _ev.metric_matrix(out)
    try:
        return np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        return None


#: categories shown one by one in a column's bar chart; the rest are grouped as "other"
TOP_CATEGORIES = 20


def category_shares(real: pd.Series, synth: pd.Series, top: int = TOP_CATEGORIES
                    ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Labels and shares (of the observed cells) of a column's most frequent real categories.

    The ``top`` most frequent categories of the real column come first (then categories
    only the synthetic rows have, while there is room); the rest are summed as "other".

    Examples
    --------
    >>> labels, r, s = category_shares(pd.Series(list("aab")), pd.Series(list("abcc")), top=2)
    >>> labels, r.tolist(), s.tolist()
    (['a', 'b', 'other'], [0.6666666666666666, 0.3333333333333333, 0.0], [0.25, 0.25, 0.5])
    """
    pr = real.dropna().astype(str).value_counts(normalize=True)
    ps = synth.dropna().astype(str).value_counts(normalize=True)
    order = list(pr.index) + [v for v in ps.index if v not in pr.index]
    shown = order[:top]
    r = np.array([pr.get(v, 0.0) for v in shown])
    s_ = np.array([ps.get(v, 0.0) for v in shown])
    if len(order) > top:
        shown = [*shown, "other"]
        r, s_ = np.r_[r, max(0.0, 1.0 - r.sum()) if len(pr) else 0.0], np.r_[
            s_, max(0.0, 1.0 - s_.sum()) if len(ps) else 0.0]
    return shown, r, s_


def _empty_caption(ev: _ev.Evaluation, c: str) -> str:
    cols = ev.columns
    if "empty_real" not in cols:
        return ""
    er, es = cols.loc[c, "empty_real"], cols.loc[c, "empty_synthetic"]
    return f"; empty cells {er:.1%} real, {es:.1%} synthetic" if er or es else ""


def _column_figure(c: str, kind: str, r: pd.Series, s: pd.Series, rv: np.ndarray,
                   sv: np.ndarray, ev: _ev.Evaluation, dens: Any) -> str:
    from . import _figures

    score = ev.columns.loc[c, "similarity"] if "similarity" in ev.columns else (
        ev.columns.loc[c, "ks_complement"])
    if kind in ("categorical", "boolean"):
        labels, pr, ps = category_shares(r, s)
        png = _figures.bars(c, labels, pr, ps)
        what = "TV complement"
    elif rv.size and sv.size:
        png = _figures.histogram(c, rv, sv, dens, dates=kind == "datetime")
        what = "KS complement"
    else:
        return (f"<figure><figcaption>{_esc(c)}: no observed cell in "
                f"{'the real rows' if not rv.size else 'the synthetic rows'}, so nothing to "
                f"draw{_esc(_empty_caption(ev, c))}</figcaption></figure>")
    value = f"{score:.3f}" if np.isfinite(score) else "undefined"
    return (f"<figure>{_img(png, c)}<figcaption>{_esc(c)}: {what} {value}"
            f"{_esc(_empty_caption(ev, c))}</figcaption></figure>")


def _empty_table(ev: _ev.Evaluation) -> str:
    """Empty-cell shares of the columns that have any, largest gap first."""
    cols = ev.columns
    if not ev.has_empty_cells:
        return ""
    t = cols[["empty_real", "empty_synthetic"]].copy()
    t = t[(t > 0).any(axis=1)]
    t["gap (points)"] = 100 * (t["empty_synthetic"] - t["empty_real"])
    t = t.iloc[np.argsort(-t["gap (points)"].abs().to_numpy(), kind="stable")]
    t.columns = ["empty, real", "empty, synthetic", "gap (points)"]
    t.index.name = "column"
    return ('<p class="note">Share of empty cells of each column that has any (largest gap '
            "first):</p>" + _table(t, formats={"empty, real": "{:.1%}",
                                                "empty, synthetic": "{:.1%}",
                                                "gap (points)": "{:+.1f}"}))


def _columns_section(real: pd.DataFrame, synth: pd.DataFrame, ev: _ev.Evaluation,
                     model: Any, max_points: int, seed: int) -> str:
    rng = np.random.default_rng(seed)
    R_frame = _ev.subsample_frame(real, max_points, rng)
    S_frame = _ev.subsample_frame(synth, max_points, rng)
    R, S = _ev.metric_matrix(R_frame), _ev.metric_matrix(S_frame, R_frame)
    kinds = _ev.column_kinds(real)
    sample = _model_sample(model, 5000, seed)
    figs, drawn, n_lines = [], 0, 0
    for j, c in enumerate(real.columns):
        rv, sv = R[:, j][~np.isnan(R[:, j])], S[:, j][~np.isnan(S[:, j])]
        dens = None
        if kinds[c] == "numeric" and rv.size and sv.size:
            n_lines += 1
            lo, hi = np.percentile(np.r_[rv, sv], [0.5, 99.5])
            grid = np.linspace(lo, hi, 200) if hi > lo else np.array([lo])
            dens = _marginal(model, c, j, grid, sample) if grid.size > 1 else None
            dens = None if dens is None else (grid, dens)
            drawn += dens is not None
        figs.append(_column_figure(c, kinds[c], R_frame[c], S_frame[c], rv, sv, ev, dens))
    line = ("; green line: the model's density of the column" + (
        "" if drawn == n_lines == len(real.columns) else " (drawn where the model gives it in "
        "closed form: continuous columns of a mixture)")) if drawn else ""
    bars = ("; bars: each category's share of the observed cells (the "
            f"{TOP_CATEGORIES} most frequent, the rest as 'other')"
            if any(k in ("categorical", "boolean") for k in kinds.values()) else "")
    legend = (f'<p class="note">Blue: {_esc(_rows_label(ev))}; orange: synthetic rows{line}. '
              f"Histogram heights are densities (each histogram has area 1){_esc(bars)}."
              "</p>" if bars else
              f'<p class="note">Blue: {_esc(_rows_label(ev))}; orange: synthetic rows{line}. '
              "Heights are densities (each histogram has area 1).</p>")
    return _section("columns", "Columns: real vs synthetic",
                    legend + _empty_table(ev) + '<div class="grid">' + "".join(figs)
                    + "</div>")


def _correlations_section(names: Sequence[str], ev: _ev.Evaluation) -> str:
    from . import _figures

    names = list(names) if ev.corr_columns is None else ev.corr_columns
    if len(names) < 2:
        return _section("correlations", "Correlations",
                        '<p class="note">Fewer than two numeric, date or boolean columns: '
                        "there is no correlation to compare.</p>")
    png = _figures.heatmaps(list(names), ev.corr_real, ev.corr_synthetic)
    diff = np.abs(ev.corr_synthetic - ev.corr_real)
    body = (f'<div class="wide">{_img(png, "correlation heatmaps")}</div>'
            f'<p class="note">Largest absolute difference of a correlation: {diff.max():.3f}.'
            + (" Numeric, date and boolean columns only (booleans as 0/1); with empty cells "
               "each pair uses the rows where both are observed." if len(names) < len(
                   ev.columns) or ev.has_empty_cells else "") + "</p>")
    return _section("correlations", "Correlations", body)


def _outlines(model: Any, names: Sequence[str], a: int, b: int) -> list | None:
    if model is None:
        return None
    if hasattr(model, "component_outlines"):
        return model.component_outlines(names[a], names[b])
    means, covs = getattr(model, "means_", None), getattr(model, "covariances_", None)
    if means is None or covs is None or np.ndim(covs) != 3 or means.shape[1] != len(names):
        return None
    weights = getattr(model, "weights_", np.ones(len(means)))
    return [(ellipse(means[k, [a, b]], covs[k][np.ix_([a, b], [a, b])]), float(weights[k]))
            for k in range(len(means))]


def _pairs_section(real: pd.DataFrame, synth: pd.DataFrame, ev: _ev.Evaluation, model: Any,
                   n_pairs: int, max_points: int, seed: int) -> str:
    from . import _figures

    names = list(real.columns)
    if len(names) < 2:
        return _section("pairs", "Most correlated pairs",
                        '<p class="note">Only one column: no pairs to show.</p>')
    shown = names if ev.corr_columns is None else ev.corr_columns
    d = len(shown)
    if d < 2:
        return _section("pairs", "Most correlated pairs",
                        '<p class="note">Fewer than two numeric, date or boolean columns: no '
                        "correlated pairs to show.</p>")
    iu = np.triu_indices(d, k=1)
    strength = np.abs(ev.corr_real[iu])
    order = np.argsort(-strength, kind="stable")[:n_pairs]
    rng = np.random.default_rng(seed)
    R_frame = _ev.subsample_frame(real, max_points, rng)
    S_frame = _ev.subsample_frame(synth, max_points, rng)
    pos = [names.index(c) for c in shown]
    R = _ev.metric_matrix(R_frame)[:, pos]
    S = _ev.metric_matrix(S_frame, R_frame)[:, pos]
    kinds = _ev.column_kinds(real)
    figs, outlined = [], False
    for o in order:
        a, b = int(iu[0][o]), int(iu[1][o])
        dates = (kinds[shown[a]] == "datetime", kinds[shown[b]] == "datetime")
        lines = None if any(dates) else _outlines(model, names, pos[a], pos[b])
        outlined |= bool(lines)
        png = _figures.scatter((shown[a], shown[b]), R[:, [a, b]], S[:, [a, b]], lines, dates)
        figs.append(
            f"<figure>{_img(png, shown[a] + ' vs ' + shown[b])}<figcaption>r = "
            f"{ev.corr_real[a, b]:.2f} real, {ev.corr_synthetic[a, b]:.2f} synthetic"
            "</figcaption></figure>"
        )
    black = ("; black: the mixture components (two standard deviations, thicker for "
             "heavier ones)") if outlined else ""
    note = f'<p class="note">Blue: {_esc(_rows_label(ev))}; orange: synthetic rows{black}.</p>'

    return _section("pairs", "Most correlated pairs",
                    note + '<div class="grid">' + "".join(figs) + "</div>")


def _privacy_section(ev: _ev.Evaluation) -> str:
    from . import _figures

    p = ev.privacy
    if p is None:
        return _section("privacy", "Privacy check",
                        '<p class="note">The privacy check was not run.</p>')
    verdict = next(v for v in ev.verdicts() if v.metric.startswith("Privacy"))
    png = _figures.privacy(p.dcr_synthetic, p.dcr_reference, p.reference)
    body = (
        f'<p class="{verdict.level}"><b>{_esc(verdict.level)}</b>: {_esc(verdict.text)}</p>'
        f"<p>Copied rows: <b>{p.n_copies}</b>. Median distance to the closest training row: "
        f"synthetic {np.median(p.dcr_synthetic):.3f}, "
        f"{'held-out' if p.reference == 'holdout' else 'real'} "
        f"{np.median(p.dcr_reference):.3f} (ratio {p.median_ratio:.2f}; about 1 or more is "
        "good).</p>"
        f'<div class="wide">{_img(png, "distance to closest record")}</div>'
    )
    return _section("privacy", "Privacy check", body)


def _real_rows(real: pd.DataFrame, holdout: Any) -> str:
    if holdout is None:
        return f"{len(real):,} real rows"
    return f"{len(real):,} training rows, {len(holdout):,} test rows"


def _rows_label(ev: _ev.Evaluation) -> str:
    return ("test rows (real, kept out of fitting and choosing)" if ev.reference == "holdout"
            else "real rows")


_HEADLINE = {
    "good": "Good: the synthetic rows are hard to tell from real ones.",
    "fair": "Fair: a classifier tells the synthetic rows from real ones some of the time.",
    "poor": "Poor: the synthetic rows are easy to tell from real ones.",
}


def _summary_section(ev: _ev.Evaluation) -> str:
    by_name = {v.metric: v for v in ev.verdicts()}
    detection = by_name.get("Detection AUC")
    levels = [v.level for v in by_name.values() if v.level != "info"]
    overall = detection.level if detection is not None else (
        "poor" if "poor" in levels else "fair" if "fair" in levels else "good")
    keys = ["Detection AUC"]
    keys += [k for k in by_name if k.startswith("Per-column similarity")]
    keys += ["Correlation similarity", "Contingency similarity", "Privacy (closest real row)"]
    keys += [k for k in by_name if k.startswith("Efficacy")]
    poor = [k for k, v in by_name.items() if v.level == "poor"]
    keys += [k for k in poor if k not in keys]  # a poor figure is never left out of sight
    cards = "".join(
        f'<div class="card"><span class="{by_name[k].level}">{_esc(by_name[k].level)}</span>'
        f"<b>{_esc(by_name[k].value)}</b>{_esc(k)}</div>" for k in keys if k in by_name)
    if ev.reference == "holdout":
        rows = (f"Measured on {ev.n_reference:,} test rows that took no part in fitting or "
                f"choosing the model, against {ev.n_synthetic:,} synthetic rows.")
    else:
        rows = (f"Measured against all {ev.n_real:,} real rows: no rows were kept out of the "
                "fit, so these figures may be optimistic.")
    if ev.detection_noise is not None:
        rows += (f" So few rows make every figure rough: chance alone moves the detection AUC "
                 f"by about ±{ev.detection_noise:.2f}.")
    but = ""
    if poor and overall != "poor":  # the headline speaks of detection alone
        but = (f'<p class="poor">But {len(poor)} of the {len(levels)} graded figures '
               f"{'is' if len(poor) == 1 else 'are'} poor: {_esc(', '.join(poor))}.</p>")
    body = (f'<p class="headline {overall}"><b>{_esc(_HEADLINE[overall])}</b></p>{but}'
            f'<div class="cards">{cards}</div><p class="note">{_esc(rows)} Details and what '
            'each number means: <a href="#metrics">fidelity metrics</a>.</p>')
    return _section("summary", "Summary", body)


# --------------------------------------------------------------------------------- API
def build_report(real: Any, synthetic: Any, *, evaluation: _ev.Evaluation | None = None,
                 holdout: Any = None, model: Any = None, candidates: pd.DataFrame | None = None,
                 cleaning: Any = None, title: str = "Synthetic data report", n_pairs: int = 6,
                 max_points: int = 2000, random_state: int = 0) -> str:
    """Return the HTML report comparing ``synthetic`` rows with ``real`` rows.

    Parameters
    ----------
    real, synthetic : DataFrame or array
        Real rows the model was fitted on, and the synthetic rows.
    evaluation : Evaluation, optional
        Precomputed :func:`densitykit.evaluate.evaluate` result (computed when absent).
    holdout : DataFrame or array, optional
        Real rows held out from the fit (used for the metrics, see ``evaluate``).
    model : fitted model, optional
        Its fitted density is drawn over the histograms and its components on the scatters.
    candidates : DataFrame, optional
        The model choice: columns ``candidate``, ``family``, ``n_components``,
        ``heldout_loglik``, optionally ``bandwidth`` (KDE rows are then plotted against it),
        ``bic``, ``detection_auc`` and ``chosen``.
    cleaning : CleaningReport, dict or str, optional
        What reading the table did.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> page = build_report(X, rng.normal(size=(200, 2)))
    >>> all(f'id="{s}"' in page for s in SECTION_IDS)
    True
    """
    real = _ev.as_table(real, "real")
    synthetic = _ev.aligned(real, _ev.as_table(synthetic, "synthetic"), "synthetic")
    if evaluation is None:
        evaluation = _ev.evaluate(real, synthetic, holdout=holdout, model=model,
                                  random_state=random_state)
    if candidates is None and model is not None:
        candidates = getattr(model, "candidates_", None)
    shown_real = real if holdout is None else _ev.aligned(
        real, _ev.as_table(holdout, "holdout"), "holdout")
    sections = [
        _summary_section(evaluation),
        _cleaning_section(cleaning),
        _model_section(model, candidates, evaluation.loglik_units),
        _metrics_section(evaluation),
        _columns_section(shown_real, synthetic, evaluation, model, max_points, random_state),
        _correlations_section(list(real.columns), evaluation),
        _pairs_section(shown_real, synthetic, evaluation, model, n_pairs, max_points,
                       random_state),
        _privacy_section(evaluation),
    ]
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return _page(title, f"{real.shape[1]} columns, {_real_rows(real, holdout)}, "
                 f"{len(synthetic):,} synthetic rows. Made by densitykit on {stamp}.", sections)


def _page(title: str, note: str, sections: list[str]) -> str:
    """The HTML document: its head, a header with ``note`` and the links, the sections."""
    nav = " · ".join(f'<a href="#{s}">{s}</a>' for s in SECTION_IDS)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head>\n<body>\n"
        f"<header><h1>{_esc(title)}</h1><p class=\"note\">{note}</p><nav>{nav}</nav>"
        "</header>\n"
        + "\n".join(sections)
        + f"\n{_SCRIPT}</body></html>\n"
    )


def write_report(path: str | os.PathLike[str], real: Any, synthetic: Any, **kwargs: Any) -> Path:
    """Build the report (see :func:`build_report`) and write it to ``path`` atomically."""
    page = build_report(real, synthetic, **kwargs)
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
