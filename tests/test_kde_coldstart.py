"""Cold start: what a fresh interpreter imports, when the compiled loops are loaded, and the
NumPy loop that runs until they are (same numbers to round-off, threads over its blocks)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from densitykit import _parallel
from densitykit.kde import KERNELS, _compiled, _exact
from densitykit.kde._exact import log_kernel_sums, numpy_extra_seconds

needs_numba = pytest.mark.skipif(not _compiled.AVAILABLE, reason="numba not installed")

#: modules the estimator's import and a first exact score must not load (scikit-learn and
#: pandas cost 0.7 s together, SciPy's fft and optimize 0.25 s, its special functions
#: 0.2-0.4 s and its linalg 0.1 s)
LAZY = ["numba", "llvmlite", "densitykit.kde._loops", "scipy.signal", "scipy.fft",
        "scipy.spatial", "scipy.special", "scipy.linalg", "sklearn", "pandas", "matplotlib",
        "dask"]


def _fresh(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON line, returned."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_densitykit_imports_no_numerical_package():
    got = _fresh("""
        import json, sys
        import densitykit
        print(json.dumps([m for m in ("numpy", "scipy", "sklearn", "pandas", "numba")
                          if m in sys.modules]))
    """)
    assert got == []


def test_first_exact_score_loads_neither_numba_nor_the_heavy_extras():
    got = _fresh(f"""
        import json, sys
        import numpy as np
        import densitykit
        from densitykit import KernelDensity
        after_import = [m for m in {LAZY!r} if m in sys.modules]
        rng = np.random.default_rng(0)
        X, Q = rng.normal(size=(3000, 8)), rng.normal(size=(400, 8))
        for kernel in ("gaussian", "epanechnikov"):
            KernelDensity(kernel=kernel).fit(X).score_samples(Q)
        KernelDensity(bandwidth="cv").fit(X[:300, :2]).score_samples(Q[:, :2])
        print(json.dumps({{"import": after_import,
                          "score": [m for m in {LAZY!r} if m in sys.modules]}}))
    """)
    assert got == {"import": [], "score": []}


@needs_numba
def test_a_problem_worth_it_loads_the_compiled_loops_with_the_same_numbers():
    """Loading decided by the estimated saving: a call whose NumPy extra time reaches
    LOAD_SECONDS loads numba; the calls before it (below) do not; the sums agree."""
    got = _fresh("""
        import json, sys
        import numpy as np
        from densitykit import KernelDensity
        from densitykit.kde import _compiled, _exact
        rng = np.random.default_rng(1)
        X, Q = rng.normal(size=(2000, 5)), rng.normal(size=(500, 5))
        kde = KernelDensity(bandwidth=0.8).fit(X)
        extra = _exact.numpy_extra_seconds(kde._kernel(), 2000 * 500)
        _compiled.LOAD_SECONDS = 2.5 * extra  # the third such call pays for the loading
        first = kde.score_samples(Q)
        states = []
        for _ in range(3):
            states.append("numba" in sys.modules)
            last = kde.score_samples(Q)
        states.append("densitykit.kde._loops" in sys.modules)
        print(json.dumps({"extra": extra, "states": states,
                          "diff": float(np.max(np.abs(first - last) / np.abs(last)))}))
    """)
    assert got["extra"] > 0
    assert got["states"] == [False, False, True, True]
    assert got["diff"] <= 1e-12


@needs_numba
def test_numba_imported_elsewhere_means_the_compiled_loops():
    got = _fresh("""
        import json, sys
        import numba
        import numpy as np
        from densitykit import KernelDensity
        rng = np.random.default_rng(2)
        KernelDensity().fit(rng.normal(size=(300, 3))).score_samples(rng.normal(size=(90, 3)))
        print(json.dumps("densitykit.kde._loops" in sys.modules))
    """)
    assert got is True


def test_without_numba_nothing_is_loaded_and_explicit_requests_fail(monkeypatch):
    monkeypatch.setattr(_compiled, "AVAILABLE", False)
    assert not _compiled.worth_loading(1e9)
    assert not _exact.use_compiled(None)
    with pytest.raises(ImportError, match="numba is not installed"):
        _exact.use_compiled(True)


def test_extra_time_estimate():
    g, e, x = KERNELS["gaussian"], KERNELS["epanechnikov"], KERNELS["exponential"]
    assert numpy_extra_seconds(g, 0) == 0.0
    for kernel in (g, e):
        assert numpy_extra_seconds(kernel, 2e7) > 0
        assert numpy_extra_seconds(kernel, 4e7) == pytest.approx(
            2 * numpy_extra_seconds(kernel, 2e7))
    assert numpy_extra_seconds(x, 2e7) == 0.0  # the NumPy loop is the faster there
    # a compiled loop summing far fewer terms (the 1-D tails) is worth more
    assert numpy_extra_seconds(x, 2e7, 1e5) > numpy_extra_seconds(e, 2e7)


@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov", "exponential"])
@pytest.mark.parametrize("loo", [False, True])
@pytest.mark.parametrize("scales", [[0.7], [0.3, 1.2]])  # gaussian: augmented product, Gram
def test_threaded_numpy_loop_matches_one_thread(monkeypatch, kernel, loo, scales):
    """Query blocks shared among threads: each query's sums are the same numbers."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(1500, 4))
    Q = X if loo else rng.normal(size=(700, 4))
    lw = np.log(rng.dirichlet(np.ones(1500)))
    monkeypatch.setattr(_exact, "available_cores", lambda: 3)
    monkeypatch.setattr(_exact, "_THREADS_MIN", 10**12)
    one = log_kernel_sums(Q, X, lw, KERNELS[kernel], inv_s2=scales, loo=loo, compiled=False,
                          budget=40_000)
    monkeypatch.setattr(_exact, "_THREADS_MIN", 1)
    calls = []
    real_blocked = _exact._blocked
    monkeypatch.setattr(_exact, "_blocked",
                        lambda *a, **k: calls.append(k.get("starts")) or real_blocked(*a, **k))
    threaded = log_kernel_sums(Q, X, lw, KERNELS[kernel], inv_s2=scales, loo=loo,
                               compiled=False, budget=40_000)
    assert len(calls) == 3 and all(c is not None for c in calls)
    np.testing.assert_array_equal(threaded, one)
    d2 = ((Q[:, None] - X[None]) ** 2).sum(-1)
    for k, s in enumerate(scales):
        terms = np.exp(KERNELS[kernel].log_profile(d2 * s)) * np.exp(lw)
        if loo:
            np.fill_diagonal(terms, 0.0)
        with np.errstate(divide="ignore"):
            ref = np.log(terms.sum(1))
        ok = np.isfinite(ref)
        assert np.array_equal(ok, np.isfinite(one[k]))
        np.testing.assert_allclose(one[k][ok], ref[ok], rtol=1e-12, atol=1e-12)


def test_numpy_loop_inside_a_pool_task_runs_on_its_own_thread(monkeypatch):
    """The pool's threads do not wait on the pool: with one worker, a task that scores
    would otherwise wait forever for its own blocks."""
    monkeypatch.setattr(_parallel, "_STATE", {})
    monkeypatch.setattr(_parallel, "available_cores", lambda: 1)
    monkeypatch.setattr(_exact, "available_cores", lambda: 4)
    monkeypatch.setattr(_exact, "_THREADS_MIN", 1)
    rng = np.random.default_rng(4)
    X, Q = rng.normal(size=(800, 3)), rng.normal(size=(600, 3))
    lw = np.full(800, -np.log(800))
    g = KERNELS["gaussian"]
    direct = log_kernel_sums(Q, X, lw, g, compiled=False)
    pool = _parallel.thread_pool()
    assert pool._max_workers == 1
    inside = pool.submit(log_kernel_sums, Q, X, lw, g, compiled=False).result(timeout=60)
    np.testing.assert_array_equal(inside, direct)
    pool.shutdown()


def test_gaussian_numpy_twin_is_the_compiled_formula_at_extreme_scales():
    """Terms far below the largest (exp of less than -700) and rows far from every query
    still give the exact log-sum-exp."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(400, 2))
    Q = np.vstack([rng.normal(size=(50, 2)), [[40.0, -35.0], [1e3, 0.0]]])
    lw = np.full(400, -np.log(400))
    g = KERNELS["gaussian"]
    for s in (0.01, 1.0, 400.0):
        got = log_kernel_sums(Q, X, lw, g, inv_s2=s, compiled=False)
        d2 = ((Q[:, None] - X[None]) ** 2).sum(-1) * s
        v = lw - 0.5 * d2
        mx = v.max(1)
        ref = mx + np.log(np.exp(v - mx[:, None]).sum(1))
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-10)
