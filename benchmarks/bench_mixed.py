"""A real table: the Dow inputs with a category, a shift, an integer column and empty cells,
through densitykit's Synthesizer and SDV's GaussianCopulaSynthesizer, side by side.

The table: the bundled Dow data as read with every row (policy 'keep'), plus
- ``grade``: high/mid/low by the tertiles of x1 (with noise, so it depends on x1 but not
  exactly), and empty where x1 is;
- ``shift``: day (06:00-18:00) or night, from the date;
- ``make_flow_int``: x6 rounded to an integer;
- 5% of the numeric cells emptied at random (on top of the table's own empty cells).
Both models are fitted on the same random 80% of the rows and judged on the other 20%, which
neither saw: detection AUC (densitykit's: gradient boosting, categories as codes, empty
cells as they are), column shapes (KS complement / TV complement), contingency similarity of
the category pairs, the largest difference in a column's share of empty cells and the largest
category-share TVD (both against the test rows, and against the training rows the model saw:
the test rows' own shares differ from the training rows' by chance), and SDMetrics' quality
score when sdmetrics is installed. A third row judges the training rows themselves as if
they were synthetic: real rows against real rows, the floor that chance alone sets for every
figure measured on the test rows.

Run: .venv/bin/python benchmarks/bench_mixed.py            (densitykit only)
     <venv with the 'sdv' extra>/bin/python benchmarks/bench_mixed.py   (both)
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from densitykit import Synthesizer
from densitykit.data import read_table
from densitykit.datasets import dow_path
from densitykit.evaluate import evaluate


def mixed_dow(seed: int = 0) -> pd.DataFrame:
    df = read_table(dow_path(), exclude="-5:", policy="keep", kinds="mixed").data
    rng = np.random.default_rng(seed)
    x1 = df["x1:Primary Column Reflux Flow"]
    noisy = x1 + rng.normal(0, 0.3 * x1.std(), len(df))
    grade = pd.cut(noisy, noisy.quantile([0, 1 / 3, 2 / 3, 1]).to_numpy(),
                   labels=["low", "mid", "high"], include_lowest=True).astype(object)
    df["grade"] = grade.where(x1.notna(), None)
    hour = df["Date"].dt.hour
    df["shift"] = np.where((hour >= 6) & (hour < 18), "day", "night").astype(object)
    df["make_flow_int"] = df["x6:Primary Column Make Flow"].round().astype("Int64")
    numeric = [c for c in df.columns if c.startswith("x")]
    for c in numeric:
        df.loc[rng.random(len(df)) < 0.05, c] = np.nan
    return df


def max_tvd(real: pd.DataFrame, synth: pd.DataFrame, cats=("grade", "shift")) -> float:
    """The largest total variation distance between a category column's shares in the two
    tables, an empty cell counting as a level of its own (None and NaN alike)."""
    def shares(col):
        return col.astype(object).where(col.notna(), "<empty>").value_counts(normalize=True)

    return max(0.5 * shares(real[c]).sub(shares(synth[c]), fill_value=0).abs().sum()
               for c in cats)


def judge(name: str, train: pd.DataFrame, synth: pd.DataFrame, hold: pd.DataFrame,
          seconds: float, quality: float | None) -> dict:
    ev = evaluate(train, synth[train.columns], holdout=hold, random_state=0)
    return {"model": name, "detection AUC": ev.detection_auc,
            "column shapes": ev.column_similarity,
            "contingency": ev.contingency_similarity,
            "max category TVD (test rows)": max_tvd(hold, synth),
            "max category TVD (training rows)": max_tvd(train, synth),
            "max empty-share diff (points, test rows)": ev.empty_share_difference,
            "max empty-share diff (points, training rows)": 100 * float(
                (train.isna().mean() - synth[train.columns].isna().mean()).abs().max()),
            "SDMetrics quality": quality, "columns kept": synth.shape[1],
            "fit + sample s": seconds}


def sdmetrics_quality(real: pd.DataFrame, synth: pd.DataFrame) -> float | None:
    try:
        from sdmetrics.reports.single_table import QualityReport
    except ImportError:
        return None
    meta = {"columns": {}}
    for c in real.columns:
        if c in ("grade", "shift"):
            meta["columns"][c] = {"sdtype": "categorical"}
        elif pd.api.types.is_datetime64_any_dtype(real[c]):
            meta["columns"][c] = {"sdtype": "datetime"}
        else:
            meta["columns"][c] = {"sdtype": "numerical"}
    report = QualityReport()
    report.generate(real, synth[real.columns], meta, verbose=False)
    return float(report.get_score())


def run_sdv(train: pd.DataFrame, n: int) -> pd.DataFrame | None:
    try:
        from sdv.metadata import Metadata
        from sdv.single_table import GaussianCopulaSynthesizer
    except ImportError:
        return None
    meta = Metadata.detect_from_dataframes({"dow": train}, infer_keys=None)
    for c in ("grade", "shift"):
        meta.update_column(c, sdtype="categorical", table_name="dow")
    model = GaussianCopulaSynthesizer(meta)  # SDV's defaults
    model.fit({"dow": train})
    out = model.sample(n)
    return out["dow"] if isinstance(out, dict) else out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    df = mixed_dow(args.seed)
    perm = np.random.default_rng(args.seed).permutation(len(df))
    n_train = int(0.8 * len(df))
    train = df.iloc[np.sort(perm[:n_train])].reset_index(drop=True)
    hold = df.iloc[np.sort(perm[n_train:])].reset_index(drop=True)
    print(f"mixed Dow table {df.shape[0]} x {df.shape[1]} ({df.isna().mean().mean():.1%} of "
          f"cells empty); fit on {len(train)}, judge on {len(hold)}", flush=True)
    rows = []
    t = time.perf_counter()
    ours = Synthesizer(random_state=args.seed).fit(train)
    synth = ours.sample(len(train), random_state=args.seed)
    seconds = time.perf_counter() - t
    print(f"densitykit: {ours.describe()}", flush=True)
    rows.append(judge("densitykit Synthesizer", train, synth, hold, seconds,
                      sdmetrics_quality(hold, synth)))
    rows.append(judge("real training rows (chance floor)", train, train, hold, 0.0,
                      sdmetrics_quality(hold, train)))
    t = time.perf_counter()
    sdv = run_sdv(train, len(train))
    if sdv is not None:
        rows.append(judge("SDV GaussianCopula (defaults)", train, sdv, hold,
                          time.perf_counter() - t, sdmetrics_quality(hold, sdv)))
    else:
        print("(sdv is not installed here: pip install 'densitykit[sdv]' in another venv)")
    table = pd.DataFrame(rows).set_index("model")
    with pd.option_context("display.width", 200, "display.float_format", "{:.3f}".format):
        print(table.T.to_string())


if __name__ == "__main__":
    main()
