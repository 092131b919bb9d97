"""Fitting a Gaussian mixture for every number of components of a grid, sharing the work.

:func:`sweep` fits :class:`~densitykit.gaussian.GaussianMixture` candidates that differ only
in ``n_components``, on one set of rows, faster than one ``fit`` each:

- one :class:`~densitykit.gaussian._engine.InMemoryData` (work-space rows and their
  features, computed once) serves every candidate;
- the k-means++ seeds of every size come from one :class:`~densitykit.gaussian._init.Seeding`
  per start (the seeds of ``K`` are the first ``K`` seeds of ``K + 1``);
- every size after the first also starts from the previous size's solution with the
  components that gain most split in two (:func:`split_start`); EM runs a few passes from
  every start (:data:`PROBE_PASSES`) and only the one with the higher likelihood then runs
  on to convergence;
- once the BIC on the chain's rows has clearly turned up (:meth:`Chain.wants_fresh`), the
  larger sizes start from the split start alone;
- the fits run as tasks on ``workers`` threads (BLAS on one thread each), the chain of
  split starts first.

Every candidate is an ordinary fitted model: its figures (BIC, likelihoods) are computed from
its own parameters. Only the starting points differ from separate ``fit`` calls.

:func:`sweep_n_components` is what :class:`~densitykit.selection.ModelSelector` calls for a
grid over ``n_components`` (:func:`can_sweep` says when): it fits every candidate on each
training split and on all the rows and hands back fitted estimators, their warnings and
their seconds (:class:`SweptCandidate`); the selector scores them for its table.
"""

from __future__ import annotations

import heapq
import math
import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._estimator import clone
from .._parallel import available_cores, blas_single_threaded
from .._validation import check_random_state
from ..density import INIT_PARAMETERS, information_criterion
from ..exceptions import FitError
from ._base import column_variances, warn_not_converged
from ._covariance import CovarianceType
from ._engine import (
    EMResult,
    InMemoryData,
    Params,
    Workspace,
    block_rows,
    block_stats,
    has_nan,
    in_memory_stats,
    iter_blocks,
    log_prob_t,
    m_step,
    run_em,
    sum_stats,
)
from ._init import (
    _KMEANS_SUBSAMPLE,
    Seeding,
    _from_centers,
    _measure_data,
    init_stats,
    lloyd,
    measure,
)
from .mixture import GaussianMixture

__all__ = ["SweepFit", "SweptCandidate", "can_sweep", "split_start", "sweep",
           "sweep_n_components", "sweep_workers"]

#: passes of EM from each start of a size before the starts are compared; only the start
#: with the highest likelihood then runs on to convergence
PROBE_PASSES = 5
#: see :meth:`Chain.wants_fresh`
TURNED_UP = 2.0


def sweep_workers(n_jobs: int | None) -> tuple[int, bool]:
    """Threads for a sweep's fits and whether each fit runs on its own thread alone.

    ``None``: one fit at a time, each over the engine's block threads; an integer: that many
    fits side by side (as joblib reads ``n_jobs``: ``-1`` every core), never more than the
    cores, each on one thread (``1``: the whole sweep on the calling thread)."""
    if n_jobs is None:
        return 1, False
    cores = available_cores()
    n = int(n_jobs)
    if n < 0:
        n = cores + 1 + n
    return max(1, min(n, cores)), True


def serial_stats(data: InMemoryData, ctype: CovarianceType) -> Callable[[Params], Stats]:
    """``stats_fn`` over ``data`` block after block on the calling thread (for fits that
    already run side by side)."""

    def stats_fn(params: Params):
        prep = ctype.prepare(params.means, params.precisions_cholesky)
        rows = block_rows(ctype.width(data.d, params.weights.shape[0]))
        return sum_stats([block_stats(*data.block(sl, ctype), data.weights(sl), params, ctype,
                                      prep, data.fixed_moment(sl, ctype))
                          for sl in iter_blocks(data.n, rows)])

    return stats_fn


Stats = Any  # the engine's Stats (annotation only)


# --- split starts ------------------------------------------------------------------------
def _labels(data: InMemoryData, params: Params, ctype: CovarianceType) -> np.ndarray:
    """Most likely component of every row."""
    prep = ctype.prepare(params.means, params.precisions_cholesky)
    out = np.empty(data.n, dtype=np.intp)
    for sl in iter_blocks(data.n, block_rows(ctype.width(data.d, params.weights.shape[0]))):
        zt, q = data.block(sl, ctype)
        out[sl] = np.argmax(log_prob_t(zt, q, params, ctype, prep), axis=0)
    return out


def _two_means(Z: np.ndarray, iters: int = 10) -> tuple[float, np.ndarray] | None:
    """Split rows ``Z`` in two by 2-means from the ends of their principal axis: the gain
    ``n/2 * d * log(inertia before / after)`` and the labels (None: cannot split)."""
    n, d = Z.shape
    if n < 2:
        return None
    c = Z - Z.mean(0)
    norms = np.einsum("nd,nd->n", c, c)
    before = float(norms.sum())
    if not before > 0:
        return None
    v = c[np.argmax(norms)].copy()
    for _ in range(8):  # power iterations for the principal axis
        v = c.T @ (c @ v)
        norm = float(np.linalg.norm(v))
        if not norm > 0:
            return None
        v /= norm
    side = (c @ v) > 0
    if side.all() or not side.any():
        return None
    total = c.sum(0)
    for _ in range(iters):  # nearer a than b: c.(a - b) > (|a|^2 - |b|^2) / 2
        na = int(np.count_nonzero(side))
        sa = side @ c
        a, b = sa / na, (total - sa) / (n - na)
        new = c @ (a - b) > 0.5 * (a @ a - b @ b)
        if new.all() or not new.any() or np.array_equal(new, side):
            break
        side = new
    na = int(np.count_nonzero(side))
    sa = side @ c
    a, b = sa / na, (total - sa) / (n - na)
    after = before - na * float(a @ a) - (n - na) * float(b @ b)  # the within-group squares
    gain = 0.5 * n * d * math.log(before / max(after, before * 1e-12))
    return gain, side


def split_start(data: InMemoryData, params: Params, ctype: CovarianceType,
                m: int) -> Params | None:
    """Parameters of ``K + m`` components from a ``K``-component solution: ``m`` times, the
    group of rows whose 2-means split gains most (in squared distance, on the log scale) is
    split. Each new component takes its rows' mean, its share of the parent's weight and the
    parent's covariance; the components not split keep their parameters. None when no group
    of rows can be split."""
    if ctype.name == "tied":
        return None
    labels = _labels(data, params, ctype)
    Z = data.zt(slice(0, data.n)).T
    groups = []  # [gain, rows, parent, split labels]
    for k in range(params.weights.shape[0]):
        rows = np.flatnonzero(labels == k)
        groups.append([rows, k, _two_means(Z[rows])])
    for _ in range(m):
        best = max(range(len(groups)), key=lambda i: -np.inf if groups[i][2] is None
                   else groups[i][2][0])
        if groups[best][2] is None:
            return None
        rows, parent, (_, side) = groups[best]
        a, b = rows[side], rows[~side]
        groups[best] = [a, parent, _two_means(Z[a])]
        groups.append([b, parent, _two_means(Z[b])])
    counts = np.bincount(labels, minlength=params.weights.shape[0]).astype(np.float64)
    parents = np.array([g[1] for g in groups])
    share = np.array([g[0].size for g in groups]) / np.maximum(counts[parents], 1.0)
    weights = params.weights[parents] * share
    weights /= weights.sum()
    means = np.array([Z[g[0]].mean(0) if g[0].size else params.means[g[1]] for g in groups])
    return Params(weights, means, params.covariances[parents].copy(),
                  params.precisions_cholesky[parents].copy())


# --- the sweep -----------------------------------------------------------------------------
@dataclass
class SweepFit:
    """One candidate's fit: the result, the work space, the time, any error."""

    result: EMResult | None = None
    error: BaseException | None = None
    seconds: float = 0.0
    starts: list[str] = field(default_factory=list)


@dataclass
class Chain:
    """A sweep over sizes on one set of rows (one data, one covariance type, one reg)."""

    data: InMemoryData
    ctype: CovarianceType
    reg: Any
    sizes: list[int]
    est: Any  # a candidate estimator: tol, max_iter, n_init, init_params, acceleration
    rng: np.random.Generator
    serial: bool
    key: Any = None
    members: dict[int, int] = field(default_factory=dict)  # size -> the caller's candidate
    fold: int = 0
    fits: dict[int, SweepFit] = field(default_factory=dict)
    seeds: list[np.ndarray] = field(default_factory=list)
    sub: InMemoryData | None = None
    _fresh: dict[tuple[int, int], Any] = field(default_factory=dict)

    def prepare(self) -> None:
        """The data's features, the seedings (everything tasks on threads would share)."""
        est, data = self.est, self.data
        data.block(slice(0, 1), self.ctype)
        data.sqnorms(slice(0, 1))
        m = measure(data)
        if est.init_params in ("kmeans", "k-means++"):
            cap = _KMEANS_SUBSAMPLE if est.init_params == "kmeans" else None
            self.sub = _measure_data(data, m, cap, self.rng)
            self.sub.sqnorms(slice(0, 1))
            kmax = max(self.sizes)
            trials = 2 + int(math.log(kmax))
            for _ in range(est.n_init):
                rng = np.random.default_rng(int(self.rng.integers(2**63 - 1)))
                self.seeds.append(Seeding(self.sub, rng, trials).seeds(kmax))
        else:  # one seed per start, drawn here: the same whatever order the tasks run in
            self._fresh = {(k, i): int(self.rng.integers(2**63 - 1)) for k in self.sizes
                           for i in range(est.n_init)}

    def stats_fn(self):
        return (serial_stats if self.serial else in_memory_stats)(self.data, self.ctype)

    def em(self, params: Params) -> EMResult:
        """A short run from ``params``: at most :data:`PROBE_PASSES` passes (see
        :meth:`finish`)."""
        est = self.est
        return run_em(self.stats_fn(), params, self.ctype, reg=self.reg, tol=est.tol,
                      max_iter=min(PROBE_PASSES, est.max_iter),
                      accelerate=est.acceleration == "squarem")

    def finish(self, res: EMResult) -> EMResult:
        """EM continued from a short run ``res`` until it converges or has taken
        ``max_iter`` passes in all; the passes and lower bounds of both runs."""
        est = self.est
        left = est.max_iter - res.n_iter
        if res.converged or left <= 0:
            return res
        more = run_em(self.stats_fn(), res.params, self.ctype, reg=self.reg, tol=est.tol,
                      max_iter=left, lower_bound=res.lower_bound,
                      accelerate=est.acceleration == "squarem")
        return EMResult(more.params, more.lower_bound, res.n_iter + more.n_iter,
                        more.converged, res.lower_bounds + more.lower_bounds)

    def fresh(self, k: int, i: int) -> EMResult:
        """A short run (:meth:`em`) from the ``i``-th fresh start of ``k`` components."""
        est = self.est
        if self.seeds:
            centers = self.seeds[i][:k]
            if est.init_params == "kmeans":
                centers = lloyd(self.sub, centers)
            stats = _from_centers(self.data, centers, self.ctype)
        else:
            rng = np.random.default_rng(self._fresh[(k, i)])
            stats = init_stats(est.init_params, self.data, k, rng, self.ctype)
        return self.em(m_step(stats, self.ctype, self.reg))

    def training_bic(self, k: int) -> float:
        """BIC on the chain's rows (in work space) of size ``k``'s settled fit (inf: none)."""
        res = self.fits[k].result if k in self.fits else None
        if res is None:
            return np.inf
        n = self.data.n
        return information_criterion(n * res.lower_bound, self.ctype.n_params(k, self.data.d),
                                     n)

    def wants_fresh(self, k: int) -> bool:
        """Whether size ``k`` still needs fresh starts: not once the training BICs of the two
        sizes before it are both above the lowest so far by more than
        :data:`TURNED_UP` times the penalty of the last step between sizes (the curve has
        turned up; a better start of a larger size would not bring it back down)."""
        j = self.sizes.index(k)
        if j < 3:
            return True
        before = self.sizes[:j]
        bics = [self.training_bic(s) for s in before]
        d = self.data.d
        step = (self.ctype.n_params(before[-1], d) - self.ctype.n_params(before[-2], d)
                ) * math.log(self.data.n)
        lowest = min(bics)
        return not (np.isfinite(lowest) and min(bics[-2:]) - lowest > TURNED_UP * step)

    def split(self, k: int, prev: EMResult) -> EMResult | None:
        start = split_start(self.data, prev.params, self.ctype, k - prev.params.weights.shape[0])
        return None if start is None else self.em(start)


class _Scheduler:
    """Tasks run by priority on ``workers`` threads (inline with one)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.ready: list = []
        self.count = 0

    def add(self, priority: tuple, fn: Callable[[], Any], done: Callable[[Any, Any, float], None]
            ) -> None:
        heapq.heappush(self.ready, (priority, self.count, fn, done))
        self.count += 1

    @staticmethod
    def _timed(fn):
        t0 = time.perf_counter()
        try:
            return fn(), None, time.perf_counter() - t0
        except Exception as exc:  # recorded as the candidate's error
            return None, exc, time.perf_counter() - t0

    def run(self) -> None:
        if self.workers <= 1:
            while self.ready:
                _, _, fn, done = heapq.heappop(self.ready)
                done(*self._timed(fn))
            return
        with ThreadPoolExecutor(self.workers) as pool:
            running: dict = {}
            while self.ready or running:
                while self.ready and len(running) < self.workers:
                    _, _, fn, done = heapq.heappop(self.ready)
                    running[pool.submit(self._timed, fn)] = done
                finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for fut in finished:
                    done = running.pop(fut)
                    done(*fut.result())


class _WarningLog:
    """Warnings raised by the tasks, kept by the key of the thread's current task."""

    def __init__(self) -> None:
        self.local = threading.local()
        self.by_key: dict[Any, list[str]] = {}

    def show(self, message, category, filename, lineno, file=None, line=None) -> None:
        key = getattr(self.local, "key", None)
        self.by_key.setdefault(key, []).append(str(message))

    def tagged(self, key, fn):
        def run():
            self.local.key = key
            try:
                return fn()
            finally:
                self.local.key = None
        return run


def sweep(chains: list[Chain], workers: int, log: _WarningLog,
          after: Callable[[Chain, int, SweepFit], list] | None = None) -> None:
    """Fit every size of every chain: short runs from the fresh starts and the split start,
    the better run on to convergence and kept in ``chain.fits[k]`` (see :class:`_ChainRun`).
    ``after(chain, k, fit)`` is called once a size is settled and returns more tasks
    ``(priority, key, fn, done)`` (the full-data fits that start from it)."""
    sched = _Scheduler(workers)
    for c, chain in enumerate(chains):
        _add_chain(sched, c, chain, log, after)
    sched.run()


def _add_chain(sched: _Scheduler, c: int, chain: Chain, log: _WarningLog, after) -> None:
    """Queue the fresh starts of every size of ``chain``; each settled size queues the next
    size's split start and ``after``'s tasks (see :class:`_ChainRun`)."""
    chain.prepare()
    run = _ChainRun(sched, c, chain, log, after)
    for j, k in enumerate(chain.sizes):
        for i in range(run.n_fresh):
            sched.add((0, j, c, 1 + i), log.tagged((chain.key, k), lambda k=k, i=i:
                                                    run.fresh(k, i)),
                      lambda r, e, s, k=k: run.offer(k, r, e, s, "fresh"))


class _ChainRun:
    """The starts of every size of one chain, as they come in: each start runs
    :data:`PROBE_PASSES` passes, the best of a size runs on to convergence
    (:meth:`Chain.finish`), and the settled size queues the next size's split start.

    Once the chain's training BIC has turned up clearly (:meth:`Chain.wants_fresh`), a
    size's fresh starts are not used: its split start alone runs on. The choice depends on
    the settled sizes only, so it is the same whatever order the tasks run in."""

    def __init__(self, sched: _Scheduler, c: int, chain: Chain, log: _WarningLog,
                 after) -> None:
        self.sched, self.c, self.chain, self.log, self.after = sched, c, chain, log, after
        self.n_fresh = max(1, chain.est.n_init)
        self.pending = {k: {"left": self.n_fresh + (1 if j else 0), "results": [],
                            "error": None, "seconds": 0.0}
                        for j, k in enumerate(chain.sizes)}

    def fresh(self, k: int, i: int) -> EMResult | None:
        """The ``i``-th fresh start's short run, unless it is known not to be used."""
        j = self.chain.sizes.index(k)
        split = [r for what, r in self.pending[k]["results"] if what == "split"]
        settled = all(s in self.chain.fits for s in self.chain.sizes[:j])
        if j and settled and any(r is not None for r in split) and \
                not self.chain.wants_fresh(k):
            return None
        return self.chain.fresh(k, i)

    def offer(self, k: int, res, exc, seconds: float, what: str) -> None:
        p = self.pending[k]
        p["seconds"] += seconds
        p["results"].append((what, res))
        if exc is not None and p["error"] is None:
            p["error"] = exc
        p["left"] -= 1
        if p["left"] > 0:
            return
        starts = [(what, r) for what, r in p["results"] if r is not None]
        if any(what == "split" for what, _ in starts) and not self.chain.wants_fresh(k):
            starts = [(what, r) for what, r in starts if what == "split"]
        if not starts:
            self.settle(k, None, p["error"] or FitError("no start gave a fit"), [])
            return
        what, best = max(starts, key=lambda s: s[1].lower_bound)  # the first of equals
        task = self.log.tagged((self.chain.key, k), lambda: self.chain.finish(best))
        self.sched.add((0, self.chain.sizes.index(k), self.c, 0), task,
                       lambda r, e, s: self.finished(k, r, e, s, what))

    def finished(self, k: int, res, exc, seconds: float, what: str) -> None:
        self.pending[k]["seconds"] += seconds
        self.settle(k, res, exc, [what])

    def settle(self, k: int, res, exc, starts: list[str]) -> None:
        chain, sizes = self.chain, self.chain.sizes
        fit = SweepFit(res, exc, self.pending[k]["seconds"], starts)
        chain.fits[k] = fit
        j = sizes.index(k)
        if j + 1 < len(sizes):
            nxt = sizes[j + 1]
            prev = next((chain.fits[s].result for s in reversed(sizes[: j + 1])
                         if chain.fits[s].result is not None), None)
            if prev is None or prev.params.weights.shape[0] >= nxt:
                self.offer(nxt, None, None, 0.0, "split")
            else:
                task = self.log.tagged((chain.key, nxt), lambda: chain.split(nxt, prev))
                self.sched.add((0, j + 1, self.c, 0), task,
                               lambda r, e, s: self.offer(nxt, r, e, s, "split"))
        for task in (self.after(chain, k, fit) if self.after is not None else []):
            priority, key, fn, done = task
            self.sched.add(priority, self.log.tagged(key, fn), done)


def start_in(ws_from: Workspace, ws_to: Workspace, params: Params) -> Params:
    """Work-space parameters of ``ws_from`` expressed in ``ws_to``."""
    return ws_to.from_user(ws_from.to_user(params))


def new_chain(est, data: InMemoryData, col_var: np.ndarray, sizes: list[int], serial: bool,
              key: Any = None) -> Chain:
    """A chain over ``sizes`` on ``data`` (rows without empty cells; ``col_var`` their
    columns' variances) with the options of the candidate ``est``."""
    reg = est._work_reg(data.ws, col_var)
    rng = check_random_state(est.random_state)
    return Chain(data, est._ctype(), reg, sorted(sizes), est, rng, serial, key)


# --- a grid over n_components, for ModelSelector --------------------------------------------
@dataclass
class SweptCandidate:
    """One candidate of :func:`sweep_n_components`: its model fitted on each training split
    (``folds``, in order) and, with ``refit``, on all the rows (``full``), or the ``error``
    (``"Type: message"``) that stopped it; the messages of the warnings its split fits and
    its full fit raised, and their seconds."""

    folds: list[Any] = field(default_factory=list)
    full: Any = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    full_warnings: list[str] = field(default_factory=list)
    cv_seconds: float = 0.0
    fit_seconds: float = 0.0


def can_sweep(estimator: Any, candidates: list[dict[str, Any]], X: np.ndarray) -> bool:
    """Whether :func:`sweep_n_components` fits these candidates (parameters set on clones of
    ``estimator``): densitykit's GaussianMixture itself, every candidate naming
    ``n_components``, with no initial parameters or warm start and options that check, and
    ``X`` without empty cells."""
    if type(estimator) is not GaussianMixture or has_nan(X):
        return False
    for params in candidates:
        if "n_components" not in params:
            return False
        est = clone(estimator).set_params(**params)
        if est.warm_start or any(getattr(est, k) is not None for k in INIT_PARAMETERS):
            return False
        try:
            est._check_em_options()
            est._ctype()
        except Exception:
            return False  # a separate fit reports the error of each candidate
    return True


def sweep_n_components(estimator: Any, groups: list[list[dict[str, Any]]], X: np.ndarray,
                       trains: list[np.ndarray], *, refit: bool = True,
                       n_jobs: int | None = None) -> list[list[SweptCandidate]]:
    """Fit candidates that differ only in ``n_components`` on each training split of ``X``
    (``trains``: row indices) and, with ``refit``, on all of ``X``, as sweeps.

    ``groups`` holds the candidates' parameters (set on clones of ``estimator``), one list
    per setting of the other parameters, each of distinct sizes; :func:`can_sweep` must
    accept them. Per setting and split, every size is started from a fresh start (its
    k-means++ seeds the first of one seeding for all sizes) and, after the first size, from
    the previous size's solution with components split (:func:`split_start`); after a few
    passes from each, the better runs on to convergence. Once the training BIC has clearly
    turned up, the larger sizes take the split start alone. The full-data fit of each
    size starts from its last split's fit. ``n_jobs`` as in :func:`sweep_workers`.
    Returns one :class:`SweptCandidate` per candidate, as ``groups``.
    """
    run = _GridSweep(estimator, groups, trains, refit, n_jobs)
    with warnings.catch_warnings(), blas_single_threaded():
        warnings.simplefilter("always")
        warnings.showwarning = run.log.show
        run.prepare(X)
        sweep(run.chains, run.workers, run.log, run.after)
        out = run.outcomes()
    return [[out[i] for i in idx] for idx in run.groups]


class _GridSweep:
    """The state of one :func:`sweep_n_components`: candidate ``i`` (in the order of the
    groups) keeps its warnings under ``("fold", f, i)`` and ``("full", i)``."""

    def __init__(self, estimator: Any, groups: list[list[dict[str, Any]]],
                 trains: list[np.ndarray], refit: bool, n_jobs: int | None) -> None:
        self.estimator = estimator
        self.params = [p for group in groups for p in group]
        self.ests = [clone(estimator).set_params(**p) for p in self.params]
        index = iter(range(len(self.params)))
        self.groups = [[next(index) for _ in group] for group in groups]
        self.trains, self.refit = trains, refit
        self.workers, self.serial = sweep_workers(n_jobs)
        self.log = _WarningLog()
        self.chains: list[Chain] = []
        self.folds: dict[tuple[int, int], Any] = {}  # (fold, candidate) -> fitted fold model
        self.errors: dict[int, str] = {}
        self.full_res: dict[int, EMResult] = {}
        self.seconds: dict[tuple[str, int], float] = {}

    def prepare(self, X: np.ndarray) -> None:
        """The full data and every split's chains (one per group of candidates that check)."""
        self.X = np.asarray(X, dtype=np.float64)
        self.ws_full = Workspace.from_data(self.X, None)
        self.full_data = InMemoryData(self.X, None, self.ws_full) if self.refit else None
        self.var_full = column_variances(self.X, None)
        for f, train in enumerate(self.trains):
            rows = self.X[train]
            data = InMemoryData(rows, None, Workspace.from_data(rows, None))
            var = column_variances(rows, None)
            for g, idx in enumerate(self.groups):
                ok = [i for i in idx if i not in self.errors and self._checked(f, i, rows)]
                if not ok:
                    continue
                sizes = [int(self.ests[i].n_components) for i in ok]
                chain = new_chain(self.ests[ok[0]], data, var, sizes, self.serial,
                                  key=("fold", f, g))
                chain.members = {int(self.ests[i].n_components): i for i in ok}
                chain.fold = f
                self.chains.append(chain)

    def _checked(self, f: int, i: int, rows: np.ndarray) -> bool:
        """Whether candidate ``i`` accepts the rows of split ``f`` (else its error)."""
        est = self.ests[i]
        self.log.local.key = ("fold", f, i)
        try:
            est._check_fit_data(rows, None)
            return True
        except Exception as exc:
            self.errors.setdefault(i, f"{type(exc).__name__}: {exc}")
            return False
        finally:
            self.log.local.key = None

    def _fitted(self, key: Any, i: int, X: np.ndarray, ws: Workspace, res: EMResult) -> Any:
        """Candidate ``i`` with the fitted attributes of ``res`` on rows ``X`` (work space
        ``ws``), its warnings kept under ``key``."""
        est = clone(self.estimator).set_params(**self.params[i])
        self.log.local.key = key
        try:
            est._check_fit_data(X, None)
            est._set_result(ws, res)
            warn_not_converged(est, res.converged)
        finally:
            self.log.local.key = None
        return est

    def after(self, chain: Chain, k: int, fit: SweepFit) -> list:
        """A settled size of a split: its fold model and, on the last split, the task of its
        full-data fit."""
        i = chain.members[k]
        self.seconds[("cv", i)] = self.seconds.get(("cv", i), 0.0) + fit.seconds
        if fit.result is None:
            self.errors.setdefault(i, f"{type(fit.error).__name__}: {fit.error}")
            return []
        self.folds[(chain.fold, i)] = self._fitted(("fold", chain.fold, i), i, chain.data.X,
                                                   chain.data.ws, fit.result)
        if chain.fold != len(self.trains) - 1 or not self.refit:
            return []
        return [self._full_task(chain, k, i, fit.result)]

    def _full_task(self, chain: Chain, k: int, i: int, res: EMResult) -> tuple:
        """The task ``(priority, key, fn, done)`` of candidate ``i``'s full-data fit, from
        its last split's result ``res``."""
        est = self.ests[i]
        reg = est._work_reg(self.ws_full, self.var_full)
        ctype = est._ctype()
        start = start_in(chain.data.ws, self.ws_full, res.params)
        stats = (serial_stats if self.serial else in_memory_stats)(self.full_data, ctype)

        def fn() -> EMResult:
            return run_em(stats, start, ctype, reg=reg, tol=est.tol, max_iter=est.max_iter,
                          accelerate=est.acceleration == "squarem")

        def done(res: EMResult | None, exc: BaseException | None, s: float) -> None:
            self.seconds[("fit", i)] = s
            if exc is not None:
                self.errors.setdefault(i, f"{type(exc).__name__}: {exc}")
            else:
                self.full_res[i] = res

        return (1, chain.sizes.index(k), 0, 0), ("full", i), fn, done

    def outcomes(self) -> list[SweptCandidate]:
        """Every candidate's outcome, once the sweep has run."""
        by_key = self.log.by_key
        for chain in self.chains:  # the fold fits' warnings, after those of the checks
            for k, i in chain.members.items():
                by_key.setdefault(("fold", chain.fold, i), []).extend(
                    by_key.pop((chain.key, k), []))
        return [self._outcome(i) for i in range(len(self.ests))]

    def _outcome(self, i: int) -> SweptCandidate:
        """Candidate ``i``'s fold models, full-data model (built here), warnings and time."""
        by_key = self.log.by_key
        out = SweptCandidate(
            warnings=[m for f in range(len(self.trains)) for m in by_key.get(("fold", f, i), [])],
            cv_seconds=self.seconds.get(("cv", i), 0.0),
            fit_seconds=self.seconds.get(("fit", i), 0.0))
        out.error = self.errors.get(i)
        if out.error is not None:
            return out
        out.folds = [self.folds[(f, i)] for f in range(len(self.trains))]
        if self.refit:
            try:
                out.full = self._fitted(("full", i), i, self.X, self.ws_full, self.full_res[i])
            except Exception as exc:
                out.error = f"{type(exc).__name__}: {exc}"
                return out
        out.full_warnings = by_key.get(("full", i), [])
        return out
