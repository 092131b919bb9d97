"""Threads, decided in one place: how many cores this process may use, one pool for our
own block-parallel work, and caps for BLAS, OpenMP and numba.

:func:`available_cores` is the smallest of the CPU affinity mask, the cgroup CPU quota (a
container given 1.5 CPUs gets 1) and ``OMP_NUM_THREADS`` when it is set. Every parallel
region sizes itself from it: the pool, BLAS and OpenMP inside :func:`limited` (BLAS on one
thread inside our blocks, :func:`blas_single_threaded`, since the blocks are the
parallelism), and numba's threaded loops. Threads never outnumber the cores, so a busy
machine costs us our share of the time and no more.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from typing import Any

__all__ = ["available_cores", "blas_single_threaded", "each", "limited",
           "openmp_single_threaded", "thread_pool"]

_STATE: dict[str, object] = {}


def _cgroup_cores() -> float | None:
    """The CPU quota of this process's cgroup (v2 ``cpu.max`` or v1 CFS), if there is one."""
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()[:2]
        if quota != "max":
            return int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") as f:
            quota = int(f.read())
        with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as f:
            period = int(f.read())
        if quota > 0 and period > 0:
            return quota / period
    except (OSError, ValueError):
        pass
    return None


def _env_threads() -> int | None:
    try:
        value = int(os.environ.get("OMP_NUM_THREADS", "").split(",")[0])
    except ValueError:
        return None
    return value if value > 0 else None


def available_cores() -> int:
    """Cores this process may use (at least 1); see the module's docstring."""
    if "cores" not in _STATE:
        try:
            cores = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):  # not Linux
            cores = os.cpu_count() or 1
        quota = _cgroup_cores()
        if quota is not None:
            cores = min(cores, max(1, math.floor(quota)))
        env = _env_threads()
        if env is not None:
            cores = min(cores, env)
        _STATE["cores"] = max(1, cores)
    return int(_STATE["cores"])


_INIT_LOCK = threading.Lock()


def _init() -> None:
    """Make the pool and the thread controller once, even when threads ask at once (the
    pool is published last, so a thread that sees it sees the controller too)."""
    if "executor" in _STATE:
        return
    with _INIT_LOCK:
        if "executor" not in _STATE:
            from threadpoolctl import ThreadpoolController

            _STATE["controller"] = ThreadpoolController()
            _STATE["executor"] = ThreadPoolExecutor(min(available_cores(), 8))


def thread_pool() -> ThreadPoolExecutor:
    """The process-wide pool for block-parallel work (one thread per core, at most 8)."""
    _init()
    return _STATE["executor"]


def each(fn: Callable[[Any], Any], parts: Sequence[Any]) -> list[Any]:
    """``[fn(p) for p in parts]``, the parts on the pool's threads when there are several
    and more than one core: for independent parts of work whose heavy steps release the
    interpreter (BLAS, compiled loops). Call it inside :func:`blas_single_threaded`: the
    parts are the parallelism."""
    if len(parts) < 2 or available_cores() < 2:
        return [fn(p) for p in parts]
    return list(thread_pool().map(fn, parts))


def blas_single_threaded() -> AbstractContextManager:
    """Context in which BLAS runs on one thread.

    Small matrix products gain nothing from BLAS threads, and on a busy machine their
    spinning makes them several times slower; our own blocks supply the parallelism.
    """
    _init()
    return _STATE["controller"].limit(limits=1, user_api="blas")


def openmp_single_threaded() -> AbstractContextManager:
    """Context in which OpenMP (scikit-learn's gradient boosting) runs on one thread.

    The classifiers of the fidelity metrics train on a few thousand rows: one thread is
    within a third of two on an idle machine, and several times faster on a busy one,
    where OpenMP threads spin waiting for a core.
    """
    _init()
    return _STATE["controller"].limit(limits=1, user_api="openmp")


@contextmanager
def limited() -> Iterator[int]:
    """Context in which BLAS, OpenMP and numba's threaded loops use at most
    :func:`available_cores` threads (their own defaults count every core of the machine,
    whatever the affinity mask or the container's quota); yields that number."""
    _init()
    cores = available_cores()
    numba = sys.modules.get("numba")  # only if something has loaded it already
    before = None
    if numba is not None:
        before = numba.get_num_threads()
        numba.set_num_threads(min(cores, numba.config.NUMBA_NUM_THREADS))
    try:
        with _STATE["controller"].limit(limits=cores):
            yield cores
    finally:
        if before is not None:
            numba.set_num_threads(before)
