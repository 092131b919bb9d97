"""Speed on a busy machine: each workload idle, then beside one competing CPU-bound process.

Every workload runs in a fresh child process; its wall time and CPU seconds (user + system,
all its threads, from ``getrusage``) are recorded. The competitor is a pure-Python busy loop
(one thread at 100 %). A fair share of two cores beside it is half of one core less, so the
targets are: CPU seconds at most 1.3x idle (no time lost spinning), wall at most 2.2x.

    python benchmarks/bench_busy.py [--repeat 3] [--only synth,gmm,kde,impute,tests]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

GMM = """
import numpy as np
from densitykit import GaussianMixture
X = np.random.default_rng(0).normal(size=(200_000, 10))
GaussianMixture(8, random_state=0, max_iter=30, tol=0).fit(X)
"""
KDE = """
import numpy as np
from densitykit import KernelDensity
rng = np.random.default_rng(0)
KernelDensity(bandwidth=0.5).fit(rng.normal(size=(20_000, 64))).score_samples(
    rng.normal(size=(5_000, 64)))
"""
IMPUTE = """
import numpy as np
from densitykit.datasets import load_dow
from densitykit.impute import impute_table
X = load_dow().data.dropna()
impute_table(X.where(np.random.default_rng(0).random(X.shape) >= 0.4), random_state=0)
"""


def workloads(tmp: Path) -> dict[str, list[str]]:
    data = ROOT / "src" / "densitykit" / "datasets" / "data"
    table = next(iter(sorted(data.glob("dow*"))))
    return {
        "synth": [PY, "-m", "densitykit", "synth", str(table), "--exclude", "-5:",
                  "--seed", "0", "-q", "-f", "-o", str(tmp / "dow-synthetic.csv")],
        "gmm": [PY, "-c", GMM],
        "kde": [PY, "-c", KDE],
        "impute": [PY, "-c", IMPUTE],
        "tests": [PY, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-m",
                  "not slow", str(ROOT / "tests")],
    }


def run(cmd: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="synth,gmm,kde,impute,tests")
    args = ap.parse_args(argv)
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / "densitykit-bench-busy"
    tmp.mkdir(exist_ok=True)
    cmds = {k: v for k, v in workloads(tmp).items() if k in args.only.split(",")}
    print(f"# {platform.machine()} {os.cpu_count()} cores, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, medians of {args.repeat}")
    print("\n| workload | idle wall / CPU | busy wall / CPU | wall ratio (<= 2.2) | "
          "CPU ratio (<= 1.3) |")
    print("|---|---|---|---|---|")
    for name, cmd in cmds.items():
        run(cmd)  # warm the caches (compiled loops, files)
        idle = np.median([run(cmd) for _ in range(args.repeat)], axis=0)
        hog = subprocess.Popen([PY, "-c", "while True: pass"])
        try:
            time.sleep(0.5)
            busy = np.median([run(cmd) for _ in range(args.repeat)], axis=0)
        finally:
            hog.kill()
            hog.wait()
        print(f"| {name} | {idle[0]:.1f} s / {idle[1]:.1f} s | {busy[0]:.1f} s / "
              f"{busy[1]:.1f} s | {busy[0] / idle[0]:.2f}x | {busy[1] / idle[1]:.2f}x |",
              flush=True)


if __name__ == "__main__":
    main()
