"""The compiled inner loops (numba, optional), loaded on first use. Each has a NumPy twin in
the callers.

Importing numba and loading a first cached loop costs a few tenths of a second, more than
the NumPy twins lose on most single problems, and more than a whole small problem takes. So
nothing here imports numba: the loops live in :mod:`densitykit.kde._loops`, which is
imported the first time a loop is looked up here (``_compiled.gaussian_block_fused``).
Callers with a choice ask :func:`worth_loading` first: once the loops are in, it always
says yes; before, it says yes only when the extra time the NumPy twins have cost this
process, this call included, would exceed :data:`LOAD_SECONDS` (so a process never pays
more than about twice the better of the two choices: the NumPy twins until they would have
paid for the loading, then the loops).

``AVAILABLE`` says whether numba is installed (found, not imported); it turns false if
importing it fails.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from typing import Any

from .._validation import missing_dependency

# and, looked up lazily: accumulate_block, cell_kernel_sums, gaussian_block_fused,
# linear_bin_1d, linear_bin_2d, prefix_log_sums_1d (see densitykit.kde._loops)
__all__ = ["AVAILABLE", "CUTOFF", "LOAD_SECONDS", "THREADED_MIN", "load", "loaded",
           "worth_loading"]

#: terms below exp(CUTOFF) times a block's largest term are dropped: with fewer than 1e9
#: data rows they change a log-density by less than 1e-12
CUTOFF = -50.0
#: blocks with fewer entries run on one thread
THREADED_MIN = 2**21
#: seconds to import numba and load a first cached loop (0.3-0.5 s measured on a 2-core
#: EPYC VM: numba's import ~0.2 s, its typing and lowering registries on the first cached
#: load ~0.2 s); what the NumPy twins' extra time is weighed against
LOAD_SECONDS = 0.4

AVAILABLE = importlib.util.find_spec("numba") is not None

_MODULE = __name__.rpartition(".")[0] + "._loops"
_LOOPS = frozenset({"accumulate_block", "cell_kernel_sums", "gaussian_block_fused",
                    "linear_bin_1d", "linear_bin_2d", "prefix_log_sums_1d",
                    "_accumulate_any", "_gaussian_serial", "_gaussian_threads"})
#: estimated seconds the NumPy twins have cost this process over the loops so far
_deferred = 0.0
#: set once the loops' module is imported completely (while one thread imports it, it is
#: already in ``sys.modules``, half-made: other threads must wait, not use it)
_ready = False
_LOAD_LOCK = threading.Lock()


def loaded() -> bool:
    """Whether the compiled loops are imported (no cost to use them any more)."""
    return _ready


def load() -> bool:
    """Import the compiled loops now; ``False`` (and ``AVAILABLE`` false) without numba.
    Safe to call from several threads at once: one imports, the others wait for it."""
    global AVAILABLE, _ready
    if _ready:
        return True
    if not AVAILABLE:
        return False
    with _LOAD_LOCK:
        if not AVAILABLE:  # another thread's import failed while this one waited
            return False
        if not _ready:
            try:
                importlib.import_module(_MODULE)
            except ImportError:  # pragma: no cover - numba found but unusable
                AVAILABLE = False
                return False
            _ready = True
    return True


def worth_loading(extra_seconds: float) -> bool:
    """Whether a call should use the compiled loops, given ``extra_seconds``, the time the
    NumPy twins would take over them for this call; loads them when the answer is yes.

    Yes when they are loaded, or numba already is (another part of the library imported
    it); no without numba; else yes once the NumPy twins' extra time in this process, this
    call's included, reaches :data:`LOAD_SECONDS`.
    """
    global _deferred
    if not AVAILABLE:
        return False
    if _ready or "numba" in sys.modules:
        return load()
    _deferred += extra_seconds
    return _deferred >= LOAD_SECONDS and load()


def __getattr__(name: str) -> Any:
    if name in _LOOPS:
        if not load():
            raise missing_dependency("numba", "fast", "The compiled kernel loops")
        value = getattr(sys.modules[_MODULE], name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
