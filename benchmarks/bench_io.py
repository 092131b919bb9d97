"""Tables in, models out: densitykit against the chapter's pandas code and pickle.

Side by side in one run, median seconds over ``--repeat`` runs:

1. Cleaning the Dow table (5,959 x 46, already read): the chapter's ``applymap`` rule against
   ``densitykit.read_table(..., exclude='-5:', check='all')`` on the same frame; both must
   keep the same 5,668 x 40 numbers.
2. Model files for a 10-component full GaussianMixture on the Dow inputs: ``pickle``
   dumps/loads (unsafe: runs code on load) against ``densitykit.save``/``load`` (safe,
   checksummed); file sizes, and that both round trips are exact.

    .venv/bin/python benchmarks/bench_io.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import pickle
import platform
import tempfile
import time
import warnings
from statistics import median

import numpy as np
import pandas as pd

from densitykit.data import read_table
from densitykit.datasets import dow_path
from densitykit.gaussian import GaussianMixture
from densitykit.persist import load, save


def chapter_clean(df: pd.DataFrame) -> np.ndarray:
    """The chapter's cleaning, as written there (map instead of the removed applymap)."""

    def is_real_and_finite(x):
        if not np.isreal(x):
            return False
        elif not np.isfinite(x):
            return False
        else:
            return True

    all_data = df[df.columns[1:]].values
    numeric_map = df[df.columns[1:]].map(is_real_and_finite)
    real_rows = numeric_map.all(axis=1).copy().values
    return np.array(all_data[real_rows, :-5], dtype="float")


def _excel_cell(v: object) -> object:
    try:
        return float(v)
    except (TypeError, ValueError):
        return v


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}")

    raw = pd.read_csv(dow_path())
    # the chapter reads Excel, whose cells are typed: numbers are floats, '!' stays text
    for col in raw.columns[1:]:
        if raw[col].dtype != np.float64:
            raw[col] = raw[col].astype(object).map(_excel_cell)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_ch, x_ch = timed(lambda: chapter_clean(raw), args.repeat)
    t_dk, table = timed(lambda: read_table(raw, exclude="-5:", check="all"), args.repeat)
    x_dk = table.to_numpy()
    assert x_ch.shape == x_dk.shape == (5668, 40) and np.array_equal(x_ch, x_dk)
    print("\n1. cleaning the Dow table (5,959 x 46 -> 5,668 x 40), median seconds")
    print(f"   chapter applymap rule  {t_ch:8.4f}")
    print(f"   densitykit read_table  {t_dk:8.4f}   speed-up x{t_ch / t_dk:.1f}")

    gmm = GaussianMixture(10, random_state=0, reg_covar=1e-4).fit(
        (x_dk - x_dk.mean(0)) / x_dk.std(0))
    folder = tempfile.mkdtemp()
    p_pkl, p_dkm = os.path.join(folder, "m.pkl"), os.path.join(folder, "m.dkm")

    def pickle_round():
        with open(p_pkl, "wb") as fh:
            pickle.dump(gmm, fh)
        with open(p_pkl, "rb") as fh:
            return pickle.load(fh)  # the unsafe baseline being measured

    def dk_round():
        save(gmm, p_dkm)
        return load(p_dkm)

    t_pk, m_pk = timed(pickle_round, args.repeat)
    t_dkm, m_dkm = timed(dk_round, args.repeat)
    z = (x_dk - x_dk.mean(0)) / x_dk.std(0)
    assert np.array_equal(m_pk.score_samples(z), gmm.score_samples(z))
    assert np.array_equal(m_dkm.score_samples(z), gmm.score_samples(z))
    print("\n2. model file round trip (save + load), GaussianMixture 10 x full on 40 columns")
    print(f"   pickle (unsafe)        {t_pk:8.4f}   {os.path.getsize(p_pkl) / 1024:7.1f} KiB")
    print(f"   densitykit .dkm        {t_dkm:8.4f}   {os.path.getsize(p_dkm) / 1024:7.1f} KiB"
          f"   ratio x{t_dkm / t_pk:.1f} slower, both exact")


if __name__ == "__main__":
    main()
