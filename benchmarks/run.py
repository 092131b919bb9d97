"""Run every side-by-side benchmark, one script after the other (``make bench``).

Each script prints its own table; copy the figures into ``benchmarks/RESULTS.md`` with the
machine and the date. ``--quick`` passes ``--quick`` to the scripts that have it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

SCRIPTS = ["bench_gmm.py", "bench_bayesian.py", "bench_squarem.py", "bench_kde.py",
           "bench_coldstart.py", "bench_selection.py", "bench_classify.py", "bench_io.py",
           "bench_synth.py", "bench_impute.py", "bench_scale.py", "bench_busy.py"]
QUICK = {"bench_gmm.py", "bench_bayesian.py", "bench_kde.py", "bench_synth.py", "bench_scale.py"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="smaller sizes where a script has them")
    ap.add_argument("only", nargs="*", help="scripts to run (default: all)")
    args = ap.parse_args()
    here = Path(__file__).parent
    failed = 0
    for name in args.only or SCRIPTS:
        cmd = [sys.executable, str(here / name)]
        if args.quick and name in QUICK:
            cmd.append("--quick")
        print(f"\n## {name}", flush=True)
        failed += subprocess.call(cmd) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
