"""Synthetic tables: choose a generative model automatically, then draw rows from it.

:func:`choose_model` fits candidate models of a table, each a
:class:`densitykit.preprocess.TableModel` (every column mapped to a standard normal through
its empirical quantiles) around a density of the mapped rows: a full-covariance
:class:`densitykit.gaussian.GaussianMixture` over a range of sizes, and a Gaussian
:class:`densitykit.kde.KernelDensity` over a range of bandwidths. Each candidate is fitted on
part of the rows and judged on the rest: by its held-out log-likelihood (in the table's
units) and, by default, by how well a classifier tells its draws from the validation rows
(detection AUC), with a privacy guard that rules out candidates whose draws sit closer to
the fitted rows than new rows do. The chosen family and size are refitted on all the rows
given.

The kernel density candidates are built to keep the table's dependence and to score new rows
sensibly:

* the kernel is shaped like the data: its covariance is ``h**2`` times the covariance of the
  normal scores, so it spreads along the directions the rows vary in, not across them;
* draws are variance-corrected (``preserve_covariance``): each is pulled towards the mean by
  ``1 / sqrt(1 + h**2)``, so the draws have the scores' covariance and correlations, not
  ones diluted by the kernel's noise;
* 5% of the mass sits on the best Gaussian mixture found by the same search (a defensive
  mixture, :class:`densitykit.compose.DensityMixture`): a held-out row far from every
  fitted row, such as a rare plant upset, gets the mixture's density rather than almost
  none, so the held-out log-likelihood does not hinge on where such rows fall.

Sampling maps the density's draws back through each column's empirical quantile function
(linear between order statistics, kept at up to 2,001 levels). Values that repeat in the
data (a valve at a set point, a sensor stuck on a value) come back as the same repeated
value with the same frequency, which a smoothed quantile map cannot do; every other value
is interpolated between neighbouring observed values, so no continuous column is a
resampling of the data. Discrete columns (integer-valued, or at most 50 distinct values)
only take their observed values.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=400)
>>> df = pd.DataFrame({"a": x, "b": x ** 2 + rng.normal(0, 0.1, 400), "c": rng.integers(0, 3, 400)})
>>> model = choose_model(df, n_components=[1, 2, 4], bandwidths=[0.3], random_state=0)
>>> model.candidates_["chosen"].sum()
np.int64(1)
>>> synthetic = model.sample(5, random_state=1)
>>> synthetic.columns.tolist()
['a', 'b', 'c']
>>> set(model.sample(200, random_state=2)["c"]) <= {0, 1, 2}
True
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special
from sklearn.base import clone

from ._validation import check_int, check_random_state
from .exceptions import DataError, FitError

__all__ = [
    "CRITERIA",
    "FAMILIES",
    "SynthModel",
    "choose_model",
    "empirical_quantile",
    "spread_ties",
    "step_quantile",
]

#: model families the automatic choice tries; ``model='auto'`` tries them all
FAMILIES = {
    "gmm": "Gaussian mixture with full covariances, sized by held-out likelihood",
    "kde": "Gaussian kernel density, bandwidth chosen by held-out likelihood",
}

_DEFAULT_COMPONENTS = (1, 2, 4, 8, 12, 16, 24)
_DEFAULT_BANDWIDTHS = (0.2, 0.3, 0.45)
# weight of the Gaussian mixture inside a KDE candidate (see the module docstring)
_KDE_TAIL = 0.05


def empirical_quantile(sorted_values: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Quantile function of a sample, linear between its order statistics.

    ``sorted_values`` is the sorted sample; ``u`` levels in [0, 1]. Repeated values form
    flat stretches, so they come back with their observed frequency.

    Examples
    --------
    >>> empirical_quantile(np.array([0.0, 1.0, 1.0, 1.0, 2.0]), np.array([0.0, 0.5, 1.0]))
    array([0., 1., 2.])
    """
    n = sorted_values.size
    pos = np.clip(u, 0.0, 1.0) * (n - 1)
    return np.interp(pos, np.arange(n, dtype=np.float64), sorted_values)


def step_quantile(sorted_values: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Quantile function of a sample as a step function: only observed values come out.

    Examples
    --------
    >>> step_quantile(np.array([0.0, 1.0, 1.0, 2.0]), np.array([0.1, 0.3, 0.6, 0.99]))
    array([0., 1., 1., 2.])
    """
    n = sorted_values.size
    return sorted_values[np.clip((np.asarray(u) * n).astype(np.intp), 0, n - 1)]


def _is_discrete(x: np.ndarray, max_values: int = 50) -> bool:
    """Integer-valued, or few distinct values: sampled from the observed values only."""
    return bool(np.all(x == np.round(x)) or np.unique(x).size <= max_values)


def _marginal_quantiles(x: np.ndarray, max_levels: int = 2001) -> np.ndarray:
    """The column's quantiles at evenly spaced levels (every order statistic for small n)."""
    x = np.sort(x)
    if x.size <= max_levels:
        return x
    return np.quantile(x, np.linspace(0.0, 1.0, max_levels))


def _draw(density: Any, n: int, rng: np.random.Generator) -> np.ndarray:
    """Rows from a densitykit density whose ``sample`` returns X or (X, labels)."""
    out = density.sample(n, random_state=rng)
    X = out[0] if isinstance(out, tuple) else out
    return np.asarray(X, dtype=np.float64).reshape(n, -1)


def _mixture(k: int, seed: int) -> Any:
    from .gaussian import GaussianMixture

    return GaussianMixture(int(k), covariance_type="full", reg_covar=1e-4, random_state=seed)


def _make_density(family: str, size: float, seed: int, Z: np.ndarray, tail: int) -> Any:
    """The density of the normal scores ``Z``; a KDE gets a ``tail``-component mixture."""
    if family == "gmm":
        return _mixture(int(size), seed)
    from .compose import DensityMixture
    from .kde import KernelDensity

    H = float(size) ** 2 * np.atleast_2d(np.cov(Z, rowvar=False, bias=True))
    H[np.diag_indices_from(H)] += 1e-6  # a constant column still gets a kernel
    kde = KernelDensity(bandwidth=H, preserve_covariance=True)
    return DensityMixture([kde, _mixture(tail, seed)], weights=[1 - _KDE_TAIL, _KDE_TAIL])


def _has_atoms(x: np.ndarray, share: float = 0.01) -> bool:
    """Whether some value repeats in at least ``share`` of the rows (and at least 3 times)."""
    counts = np.unique(x, return_counts=True)[1]
    return bool(counts.max() >= max(3, share * x.size))


def spread_ties(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Normal scores of ``x`` with tied values spread over their share of the levels.

    A value seen ``c`` times after ``lo`` smaller ones gets a level drawn uniformly in
    ``[lo, lo + c] / n`` (the randomised probability integral transform), so the scores are
    exactly standard normal even for a column with repeated values, and mapping them back
    through the column's quantile function gives the repeated value again.

    Examples
    --------
    >>> z = spread_ties(np.repeat([1.0, 2.0], [3000, 1000]), np.random.default_rng(0))
    >>> bool(abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05)
    True
    """
    s = np.sort(x)
    lo = np.searchsorted(s, x, side="left")
    count = np.searchsorted(s, x, side="right") - lo
    u = (lo + rng.random(x.size) * count) / x.size
    return special.ndtri(np.clip(u, 0.5 / x.size, 1 - 0.5 / x.size))


def _fit_table_model(X: pd.DataFrame, family: str, size: float, seed: int,
                     tail: int) -> Any:
    from .gaussian import GaussianMixture
    from .preprocess import TableModel

    # the per-column maps first (with a cheap density), then the chosen density on scores
    # where repeated values are spread over their levels: a spike at one score would be
    # over-weighted by every wide component when sampling
    tm = TableModel(GaussianMixture(1, covariance_type="diag"), transform="quantile").fit(X)
    Z = tm.transform_rows(X)
    rng = np.random.default_rng(seed)
    for j, c in enumerate(X.columns):
        x = X[c].to_numpy(dtype=np.float64)
        if _has_atoms(x):
            Z[:, j] = spread_ties(x, rng)
    density = _make_density(family, size, seed, Z, tail)
    tm.set_params(density=density)
    tm.density_ = clone(density).fit(Z)
    return tm


@dataclass
class _Trial:
    family: str
    size: float
    heldout_loglik: float
    bic: float
    seconds: float
    detection_auc: float = np.nan
    share_closer: float = np.nan


#: how candidates are compared on the validation rows
CRITERIA = {
    "detection": "lowest detection AUC of draws against the validation rows, among "
    "candidates whose draws are no closer to the fitted rows than new rows are",
    "loglik": "highest held-out log-likelihood per row",
}

# a candidate whose draws lie closer to the fitted rows than the validation rows' 5th
# percentile more often than this is treated as copying and not chosen by 'detection'
_MAX_SHARE_CLOSER = 0.10


def _fidelity(tm: Any, family: str, size: float, fit_part: pd.DataFrame,
              val_part: pd.DataFrame, seed: int) -> tuple[float, float]:
    """Detection AUC of draws against the validation rows, and the privacy share."""
    from .evaluate import detection_auc, privacy_check

    probe = SynthModel(tm, family, size, pd.DataFrame(), fit_part)
    draws = probe.sample(len(val_part), random_state=seed)
    auc = detection_auc(val_part, draws, n_splits=3, random_state=seed)
    closer = privacy_check(fit_part, draws, val_part, random_state=seed).share_closer
    return auc, closer


class SynthModel:
    """A fitted synthetic-data model of a table (made by :func:`choose_model`).

    Attributes
    ----------
    table_model_ : TableModel
        The density in the table's units (quantile map + mixture or KDE).
    family_ : str
        ``'gmm'`` or ``'kde'``.
    size_ : float
        Number of components (mixture) or bandwidth in the normal-score space (KDE).
    candidates_ : DataFrame
        Every candidate tried: family, size, held-out log-likelihood, BIC, seconds.
    columns_ : list of str
    n_rows_ : int
        Rows the final model was fitted on.
    """

    def __init__(self, table_model: Any, family: str, size: float, candidates: pd.DataFrame,
                 data: pd.DataFrame) -> None:
        self.table_model_ = table_model
        self.family_ = family
        self.size_ = float(size)
        self.candidates_ = candidates
        self.columns_ = [str(c) for c in data.columns]
        self.n_rows_ = len(data)
        self.quantiles_ = [_marginal_quantiles(data[c].to_numpy(dtype=np.float64))
                           for c in data.columns]
        self.discrete_ = np.array([_is_discrete(data[c].to_numpy(dtype=np.float64))
                                   for c in data.columns])
        self._legacy_shrink = None

    def to_metadata(self) -> dict[str, Any]:
        """What a model file needs besides the TableModel to rebuild this model."""
        return {
            "family": self.family_,
            "size": self.size_,
            "n_rows": self.n_rows_,
            "columns": list(self.columns_),
            "quantiles": list(self.quantiles_),
            "discrete": self.discrete_,
            "candidates": {c: self.candidates_[c].tolist() for c in self.candidates_.columns},
        }

    @classmethod
    def from_metadata(cls, table_model: Any, meta: dict[str, Any]) -> SynthModel:
        """Rebuild from a TableModel and :meth:`to_metadata` output (see densitykit.persist)."""
        self = cls.__new__(cls)
        self.table_model_ = table_model
        self.family_ = str(meta["family"])
        self.size_ = float(meta["size"])
        self.n_rows_ = int(meta["n_rows"])
        self.columns_ = [str(c) for c in meta["columns"]]
        self.quantiles_ = [np.asarray(q, dtype=np.float64) for q in meta["quantiles"]]
        self.discrete_ = np.asarray(meta["discrete"], dtype=bool)
        self.candidates_ = pd.DataFrame(meta.get("candidates", {}))
        # files written before the KDE kept its own variance correction stored it here
        self._legacy_shrink = ((np.asarray(meta["z_mean"]), np.asarray(meta["z_shrink"]))
                               if self.family_ == "kde" and "z_shrink" in meta else None)
        return self

    # -- the density ----------------------------------------------------------------------
    def score_samples(self, X: Any) -> np.ndarray:
        """Log-density of each row in the table's units (nats)."""
        return self.table_model_.score_samples(X)

    def sample(self, n_samples: int, random_state: Any = None,
               given: dict[str, float] | None = None) -> pd.DataFrame:
        """Draw ``n_samples`` synthetic rows (a DataFrame with the table's columns).

        ``given`` fixes some columns (table units) and draws the others from the mixture's
        conditional distribution (mixtures only).
        """
        n_samples = check_int(n_samples, "n_samples", minimum=1)
        rng = check_random_state(random_state)
        if given:
            return self._sample_given(n_samples, rng, given)
        Z = _draw(self.table_model_.density_, n_samples, rng)
        if self._legacy_shrink is not None:
            mean, shrink = self._legacy_shrink
            Z = mean + (Z - mean) * shrink
        return self._to_table(Z, range(len(self.columns_)))

    def _to_table(self, Z: np.ndarray, idx: Any) -> pd.DataFrame:
        U = special.ndtr(Z)
        idx = list(idx)
        cols = {}
        for i, j in enumerate(idx):
            inverse = step_quantile if self.discrete_[j] else empirical_quantile
            cols[self.columns_[j]] = inverse(self.quantiles_[j], U[:, i])
        return pd.DataFrame(cols, columns=[self.columns_[j] for j in idx])

    def _sample_given(self, n: int, rng: np.random.Generator,
                      given: dict[str, float]) -> pd.DataFrame:
        if self.family_ != "gmm":
            raise DataError("Sampling given column values needs a Gaussian mixture; this "
                            "model is a KDE. Choose the model with model='gmm' (--model gmm).")
        cond = self.table_model_.condition(given)
        rest = [self.columns_.index(c) for c in cond.columns_]
        out = self._to_table(_draw(cond.density_, n, rng), rest)
        for name, value in given.items():
            out[name] = float(value)
        return out[self.columns_]

    def describe(self) -> str:
        """One line naming the chosen model."""
        if self.family_ == "gmm":
            what = f"Gaussian mixture, {int(self.size_)} full-covariance components"
        else:
            density = self.table_model_.density_
            what = f"Gaussian KDE, bandwidth {self.size_:g}"
            if hasattr(density, "densities_"):
                what += (f" x the scores' covariance, with {density.weights_[1]:.0%} of the "
                         f"mass on a {density.densities_[1].n_components}-component Gaussian "
                         "mixture")
        return (f"{what}, on per-column normal scores (quantile map), fitted on "
                f"{self.n_rows_:,} rows x {len(self.columns_)} columns")

    # -- what the report draws ---------------------------------------------------------------
    def _z_marginal(self, j: int, z: np.ndarray) -> np.ndarray | None:
        d = self.table_model_.density_
        if self.family_ != "gmm":
            return None
        mu, var = d.means_[:, j], d.covariances_[:, j, j]
        comp = (np.log(d.weights_)[None, :] - 0.5 * np.log(2 * np.pi * var)[None, :]
                - 0.5 * (z[:, None] - mu[None, :]) ** 2 / var[None, :])
        return special.logsumexp(comp, axis=1)

    def marginal_pdf(self, column: str, grid: np.ndarray) -> np.ndarray:
        """The model's density of one column on ``grid`` (table units).

        For a mixture it is exact (the mixture's marginal, mapped through the column's
        quantile map); for a KDE it is estimated from the model's draws.
        """
        from .preprocess import TRANSFORMS

        j = self.columns_.index(column)
        tm = self.table_model_
        z, logd = TRANSFORMS[tm.transform].forward(np.asarray(grid, dtype=np.float64),
                                                     tm.transform_params_[j])
        logp = self._z_marginal(j, z)
        if logp is None:
            from scipy.stats import gaussian_kde

            col = self.sample(4000, random_state=0)[column].to_numpy()
            return gaussian_kde(col)(grid) if np.ptp(col) > 0 else np.zeros_like(grid)
        return np.exp(logp + logd)

    def component_outlines(self, a: str, b: str, n_std: float = 2.0
                           ) -> list[tuple[np.ndarray, float]] | None:
        """Each mixture component's ``n_std`` ellipse in columns ``a``, ``b``, in table units.

        The ellipse lives in the normal-score space; mapped back it is a closed curve.
        """
        if self.family_ != "gmm":
            return None
        from .preprocess import TRANSFORMS

        d = self.table_model_.density_
        ia, ib = self.columns_.index(a), self.columns_.index(b)
        inv = TRANSFORMS[self.table_model_.transform].inverse
        pa, pb = self.table_model_.transform_params_[ia], self.table_model_.transform_params_[ib]
        out = []
        t = np.linspace(0, 2 * np.pi, 65)
        circle = np.column_stack([np.cos(t), np.sin(t)])
        for k in range(len(d.weights_)):
            cov = d.covariances_[k][np.ix_([ia, ib], [ia, ib])]
            vals, vecs = np.linalg.eigh(cov)
            zz = d.means_[k, [ia, ib]] + n_std * (circle * np.sqrt(np.maximum(vals, 0))) @ vecs.T
            xy = np.column_stack([inv(zz[:, 0], pa), inv(zz[:, 1], pb)])
            out.append((xy, float(d.weights_[k])))
        return out


def _as_frame(data: Any) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        df = data
    else:
        arr = np.asarray(data, dtype=np.float64)
        if arr.ndim != 2:
            raise DataError(f"data must be a 2-D table; got an array of shape {arr.shape}.")
        df = pd.DataFrame(arr, columns=[f"x{j}" for j in range(arr.shape[1])])
    try:
        df = df.astype(np.float64)
    except (TypeError, ValueError):
        raise DataError("data has non-numeric columns; read it with densitykit.data."
                        "read_table, which drops or reports them.") from None
    if not np.isfinite(df.to_numpy()).all():
        raise DataError("data contains NaN or inf; read it with densitykit.data.read_table "
                        "(policy='drop-rows') to drop those rows.")
    if len(df) < 10:
        raise DataError(f"Need at least 10 rows to choose a model on held-out rows; got "
                        f"{len(df)}.")
    return df


def _sizes(family: str, n_components: Any, bandwidths: Any, n_fit: int, d: int) -> list[float]:
    if family == "gmm":
        ks = [n_components] if isinstance(n_components, (int, np.integer)) else (
            n_components or _DEFAULT_COMPONENTS)
        ks = [check_int(k, "n_components", minimum=1) for k in ks]
        # a full covariance needs rows: keep at least ~2 (d + 1) rows per component
        cap = max(1, n_fit // (2 * (d + 1)))
        return [k for k in ks if k <= cap] or [min(ks)]
    bws = bandwidths or _DEFAULT_BANDWIDTHS
    return [float(b) for b in np.atleast_1d(bws)]


def _pick(table: pd.DataFrame, criterion: str, families: list[str]) -> int:
    """Index of the chosen candidate (see ``criterion`` in :func:`choose_model`)."""
    ll = table["heldout_loglik"].replace(-np.inf, np.nan).where(table["family"].isin(families))
    if criterion == "detection":
        ok = table["share_closer"] <= _MAX_SHARE_CLOSER
        auc = table["detection_auc"].where(ok & ll.notna())
        if auc.notna().any():
            return int(auc.idxmin())
    if ll.notna().any():
        return int(ll.idxmax())
    return int(np.flatnonzero(table["family"].isin(families))[0])


def choose_model(
    data: Any,
    *,
    model: str = "auto",
    n_components: int | Sequence[int] | None = None,
    bandwidths: Sequence[float] | None = None,
    criterion: str = "detection",
    validation: float = 0.2,
    random_state: Any = 0,
    progress: Callable[[str], None] | None = None,
) -> SynthModel:
    """Choose and fit a synthetic-data model of ``data`` by held-out log-likelihood.

    Parameters
    ----------
    data : DataFrame or 2-D array
        Clean numeric rows (see :func:`densitykit.data.read_table`).
    model : {'auto', 'gmm', 'kde'}, default='auto'
        Family to choose from; ``'auto'`` tries both. The mixtures are searched for
        ``'kde'`` too (the best one is the KDE's 5% tail); they are listed in
        ``candidates_`` but not chosen.
    n_components : int or list of int, optional
        Mixture sizes to try (default 1, 2, 4, 8, 12, 16, 24; sizes needing more rows than
        there are are skipped). Sizes are tried in increasing order and the search stops at
        the first one that does not improve the held-out likelihood.
    bandwidths : list of float, optional
        KDE bandwidths to try, in normal-score units (default 0.2, 0.3, 0.45).
    criterion : {'detection', 'loglik'}, default='detection'
        How the candidates are compared on the validation rows. ``'loglik'``: highest
        held-out log-likelihood. ``'detection'``: draws of each candidate are compared with
        the validation rows by the detection test of :mod:`densitykit.evaluate` and the
        lowest AUC wins, among candidates whose draws are not closer to the fitted rows
        than new real rows are (at most 10% of draws closer than the validation rows' 5th
        percentile), so a model that copies its rows is never chosen. Within each family
        the sizes are still searched in order of held-out log-likelihood.
    validation : float, default=0.2
        Share of rows held out to score the candidates.
    random_state : int, Generator or None
        Seed of the split and of the fits.
    progress : callable, optional
        Called with a short message after each candidate.

    Returns
    -------
    SynthModel
        Refitted on all of ``data`` with the chosen family and size; ``candidates_`` holds
        the comparison.
    """
    from .evaluate import heldout_loglik

    if model not in ("auto", *FAMILIES):
        raise DataError(f"model must be one of 'auto', {', '.join(map(repr, FAMILIES))}; "
                        f"got {model!r}.")
    if criterion not in CRITERIA:
        raise DataError(f"criterion must be one of {', '.join(map(repr, CRITERIA))}; got "
                        f"{criterion!r}.")
    if not 0.05 <= float(validation) <= 0.5:
        raise DataError(f"validation must be a share of rows in [0.05, 0.5]; got {validation}.")
    df = _as_frame(data)
    rng = check_random_state(random_state)
    seed = int(rng.integers(2**31 - 1))
    perm = rng.permutation(len(df))
    n_val = max(2, round(validation * len(df)))
    fit_part, val_part = df.iloc[perm[n_val:]], df.iloc[perm[:n_val]]
    families = list(FAMILIES) if model == "auto" else [model]
    trials: list[_Trial] = []
    tail = 1  # size of the best mixture so far: the KDE candidates' tail
    for family in ["gmm", "kde"] if "kde" in families else ["gmm"]:
        best, worse = -np.inf, 0
        for size in _sizes(family, n_components, bandwidths, len(fit_part), df.shape[1]):
            t0 = time.perf_counter()
            try:
                tm = _fit_table_model(fit_part, family, size, seed, tail)
            except (FitError, np.linalg.LinAlgError, ValueError) as exc:
                if progress:
                    progress(f"{family} {size:g}: skipped ({exc})")
                continue
            ll = heldout_loglik(tm, val_part)
            bic = tm.bic(fit_part) if family == "gmm" else np.nan
            trial = _Trial(family, size, ll, bic, time.perf_counter() - t0)
            msg = f"{family} {size:g}: held-out log-likelihood {ll:.2f} per row"
            if criterion == "detection" and family in families:
                trial.detection_auc, trial.share_closer = _fidelity(
                    tm, family, size, fit_part, val_part, seed)
                msg += (f", detection AUC {trial.detection_auc:.3f}, "
                        f"{trial.share_closer:.1%} of draws close to fitted rows")
            trials.append(trial)
            if progress:
                progress(msg)
            if ll > best:
                best, worse = ll, 0
                if family == "gmm":
                    tail = int(size)
            else:
                worse += 1
                if worse >= 1:
                    break
    if not any(t.family in families for t in trials):
        raise FitError(f"No {' or '.join(families)} candidate could be fitted to the data; "
                       "check that the columns vary and that there are more rows than "
                       "columns.")
    table = pd.DataFrame(
        {
            "candidate": [f"{t.family}-{t.size:g}" for t in trials],
            "family": [t.family for t in trials],
            "n_components": [t.size if t.family == "gmm" else np.nan for t in trials],
            "bandwidth": [t.size if t.family == "kde" else np.nan for t in trials],
            "heldout_loglik": [t.heldout_loglik for t in trials],
            "bic": [t.bic for t in trials],
            "detection_auc": [t.detection_auc for t in trials],
            "share_closer": [t.share_closer for t in trials],
            "seconds": [t.seconds for t in trials],
        }
    )
    best_i = _pick(table, criterion, families)
    table["chosen"] = False
    table.loc[best_i, "chosen"] = True
    chosen = trials[best_i]
    final = _fit_table_model(df, chosen.family, chosen.size, seed, tail)
    return SynthModel(final, chosen.family, chosen.size, table, df)
