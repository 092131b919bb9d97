"""Threads shared by every evaluator: one pool, and BLAS held to one thread inside it."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager

__all__ = ["blas_single_threaded", "openmp_single_threaded", "thread_pool"]

_STATE: dict[str, object] = {}


def _init() -> None:
    if "executor" not in _STATE:
        from threadpoolctl import ThreadpoolController

        _STATE["executor"] = ThreadPoolExecutor(min(os.cpu_count() or 1, 8))
        _STATE["controller"] = ThreadpoolController()


def thread_pool() -> ThreadPoolExecutor:
    """The process-wide pool for block-parallel work (one thread per core, at most 8)."""
    _init()
    return _STATE["executor"]


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
