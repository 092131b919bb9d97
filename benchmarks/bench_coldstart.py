"""Cold start: the first kernel density call in a fresh interpreter against the second.

Run: ``.venv/bin/python benchmarks/bench_coldstart.py`` (``--runs 7``, ``--no-peer`` to skip
scikit-learn, ``--importtime`` for the ``python -X importtime`` breakdown of the import).

Each run is a fresh ``python -c`` process that imports NumPy, draws the data (20,000 x 64
rows, 1,000 queries, outside the timings), then times ``import densitykit`` with the
estimator's module, the first ``KernelDensity().fit(B).score_samples(Q)`` and the second
one. Medians over the runs are printed (the best run in brackets); ``cold`` is import plus
first call, what a command-line or notebook user waits for, and ``cold - warm`` is what the
first use costs above a warm call. One run before the timed ones is discarded: it fills
numba's on-disk cache after an edit of the compiled loops. scikit-learn's KernelDensity
(bandwidth 'scott', its rule of the same name) runs the same workload as the peer.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import textwrap

WORKLOAD = textwrap.dedent("""
    import json, sys, time
    t0 = time.perf_counter()
    import numpy as np
    t1 = time.perf_counter()
    rng = np.random.default_rng(0)
    B = rng.normal(size=({n}, {d}))
    Q = rng.normal(size=({m}, {d}))
    t2 = time.perf_counter()
    {import_line}
    t3 = time.perf_counter()
    a = KernelDensity({args}).fit(B).score_samples(Q)
    t4 = time.perf_counter()
    b = KernelDensity({args}).fit(B).score_samples(Q)
    t5 = time.perf_counter()
    assert a.shape == ({m},) and abs(a - b).max() <= 1e-9 * abs(a).max()
    heavy = ["numba", "llvmlite", "sklearn", "scipy.signal", "pandas"]
    print(json.dumps({{"numpy": t1 - t0, "import": t3 - t2, "first": t4 - t3,
                      "second": t5 - t4, "checksum": float(a.sum()),
                      "loaded": [k for k in heavy if k in sys.modules]}}))
""")

PEERS = {
    "densitykit": ("import densitykit; from densitykit import KernelDensity", ""),
    "scikit-learn": ("from sklearn.neighbors import KernelDensity", "bandwidth='scott'"),
}


def one_run(lib: str, n: int, d: int, m: int) -> dict:
    import_line, args = PEERS[lib]
    code = WORKLOAD.format(n=n, d=d, m=m, args=args, import_line=import_line)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def summarise(lib: str, runs: list[dict]) -> dict:
    keys = ("numpy", "import", "first", "second")
    res = {k: (statistics.median(r[k] for r in runs), min(r[k] for r in runs)) for k in keys}
    cold = [r["import"] + r["first"] for r in runs]
    extra = [r["import"] + r["first"] - r["second"] for r in runs]
    res["cold"] = (statistics.median(cold), min(cold))
    res["cold - warm"] = (statistics.median(extra), min(extra))
    print(f"\n{lib} ({len(runs)} fresh processes; loaded after both calls: "
          f"{', '.join(runs[-1]['loaded']) or 'none of the listed'})")
    for k, (med, best) in res.items():
        label = "python + numpy" if k == "numpy" else k
        print(f"  {label:<16} {med:7.3f} s  (best {best:.3f})")
    return res


def importtime(top: int) -> None:
    """The ``-X importtime`` breakdown of ``import densitykit`` plus the estimator's module:
    the largest cumulative entries, and each package's own time (its modules' self times,
    so the packages add up to the total)."""
    # an import statement (not densitykit's lazy attribute, which goes through importlib and
    # is not logged by -X importtime) so that the estimator's module is a logged entry
    code = "import numpy\nimport densitykit\nimport densitykit.kde"
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                         capture_output=True, text=True, check=True).stderr
    rows = []
    for line in err.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        own, cum, name = line[len("import time:"):].split("|")
        if not cum.strip().isdigit():
            continue
        name = name.rstrip()[1:]
        rows.append((int(own), int(cum), name))
    # numpy's own import is not ours: keep the entries after it
    start = max(i for i, r in enumerate(rows) if r[2] == "numpy") + 1
    rows = rows[start:]
    total = sum(c for _, c, name in rows if not name.startswith(" "))
    print(f"\n-X importtime of import densitykit, densitykit.kde (after numpy): "
          f"{total / 1e6:.3f} s; largest cumulative entries:")
    for _, cum, name in sorted(rows, key=lambda r: -r[1])[:top]:
        print(f"  {cum / 1e6:7.3f} s  {name}")
    own: dict[str, int] = {}
    for t, _, name in rows:
        pkg = name.strip().split(".")[0]
        own[pkg] = own.get(pkg, 0) + t
    print("  own time by package:")
    for pkg, t in sorted(own.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {t / 1e6:7.3f} s  {pkg}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5, help="fresh processes per library (>= 5)")
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--dims", type=int, default=64)
    ap.add_argument("--queries", type=int, default=1_000)
    ap.add_argument("--no-peer", action="store_true", help="skip scikit-learn")
    ap.add_argument("--importtime", action="store_true",
                    help="print the -X importtime breakdown of the import")
    ap.add_argument("--top", type=int, default=25, help="entries of the breakdown shown")
    args = ap.parse_args()
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"workload {args.rows} x {args.dims} rows, {args.queries} queries")
    libs = ["densitykit"] + ([] if args.no_peer else ["scikit-learn"])
    for lib in libs:
        one_run(lib, args.rows, args.dims, args.queries)  # discarded: fills caches
        runs = [one_run(lib, args.rows, args.dims, args.queries) for _ in range(args.runs)]
        summarise(lib, runs)
    if args.importtime:
        importtime(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
