"""The thread budget: one number of cores, from the affinity mask, the cgroup quota and
OMP_NUM_THREADS, and every parallel region held to it."""

import os

import numpy as np
import pytest

from densitykit import _parallel


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(_parallel, "_STATE", {})
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    monkeypatch.setattr(_parallel, "_cgroup_cores", lambda: None)
    return monkeypatch


def test_cores_follow_the_affinity_mask(fresh):
    fresh.setattr(os, "sched_getaffinity", lambda pid: {0, 3, 5}, raising=False)
    assert _parallel.available_cores() == 3


def test_a_cgroup_quota_caps_the_cores(fresh):
    fresh.setattr(_parallel, "_cgroup_cores", lambda: 1.5)
    assert _parallel.available_cores() == 1  # 1.5 CPUs of time: two threads would queue


def test_omp_num_threads_caps_the_cores(fresh):
    fresh.setenv("OMP_NUM_THREADS", "2")
    assert _parallel.available_cores() == 2
    fresh.setattr(_parallel, "_STATE", {})
    fresh.setenv("OMP_NUM_THREADS", "junk")  # ignored, as OpenMP ignores it
    assert _parallel.available_cores() == 8


def test_cgroup_v2_quota_is_read(tmp_path, monkeypatch):
    real_open = open

    def fake_open(path, *a, **k):
        if path == "/sys/fs/cgroup/cpu.max":
            return real_open(tmp_path / "cpu.max", *a, **k)
        if str(path).startswith("/sys/fs/cgroup"):
            raise FileNotFoundError(path)
        return real_open(path, *a, **k)

    (tmp_path / "cpu.max").write_text("150000 100000\n")
    monkeypatch.setattr("builtins.open", fake_open)
    assert _parallel._cgroup_cores() == pytest.approx(1.5)
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert _parallel._cgroup_cores() is None  # no quota


def test_limited_caps_blas_and_restores_it(fresh):
    from threadpoolctl import threadpool_info

    fresh.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    # BLAS and the OpenMP that scikit-learn's estimators run on (a libgomp that numba's
    # threading layer loads is held by numba's own setting, tested below)
    def ours(info):
        return [p for p in info if p["user_api"] == "blas" or "scikit_learn" in p["filepath"]]

    before = [p["num_threads"] for p in ours(threadpool_info())]
    with _parallel.limited() as cores:
        assert cores == 1
        held = ours(threadpool_info())
        assert held and all(p["num_threads"] == 1 for p in held)
    assert [p["num_threads"] for p in ours(threadpool_info())] == before


def test_limited_caps_numba_threads(fresh):
    numba = pytest.importorskip("numba")
    fresh.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    before = numba.get_num_threads()
    with _parallel.limited():
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before


def test_kde_scores_are_the_same_under_the_cap(fresh):
    from densitykit import KernelDensity

    X = np.random.default_rng(0).normal(size=(3000, 3))
    kde = KernelDensity(bandwidth=0.3).fit(X)
    a = kde.score_samples(X[:2000])
    fresh.setattr(_parallel, "_STATE", {})
    fresh.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    np.testing.assert_allclose(kde.score_samples(X[:2000]), a, rtol=1e-12)


def test_first_use_from_many_threads_at_once():
    # the pool, the thread controller, the compiled KDE loops and the exception classes
    # derived from scikit-learn's are made on first use; when many threads (Dask's workers)
    # get there together, each must wait for the one making them, never see them half-made
    # nor make its own
    import json
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import json, threading
        from densitykit import _parallel
        from densitykit import exceptions
        from densitykit.kde import _compiled
        n = 16
        start, errors, classes = threading.Barrier(n), [], []
        def work():
            start.wait()
            try:
                with _parallel.blas_single_threaded():
                    pass
                if _compiled.AVAILABLE:
                    _compiled.load()
                    _compiled.gaussian_block_fused
                classes.append(exceptions.NotFittedError)
            except Exception as exc:
                errors.append(repr(exc))
        threads = [threading.Thread(target=work) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        same = all(c is exceptions.NotFittedError for c in classes)
        print(json.dumps(errors + ([] if same else ["NotFittedError made twice"])))
    """)
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=300)
        assert out.returncode == 0, out.stderr[-3000:]
        assert json.loads(out.stdout.splitlines()[-1]) == []
