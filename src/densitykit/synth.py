"""Synthetic tables: one estimator that reads a table, chooses a model, samples and judges it.

:class:`Synthesizer` owns the whole synthetic-data workflow, from Python and from the
command line alike (``densitykit synth`` only parses its arguments and calls it):

1. **Reading.** A path or a frame is read and cleaned by :func:`densitykit.data.read_table`;
   the cleaning report is kept with the model.
2. **Three disjoint sets of rows.** A share ``test_size`` of the rows is set aside first and
   plays no part in fitting or choosing the model; the figures of :meth:`Synthesizer.evaluate`
   and of the report come from these rows only. Of the rest, ``validation_size`` judges the
   candidates, which are fitted on the remainder. The chosen candidate is then refitted on
   every row but the test rows.
3. **Normal scores.** Each column is mapped through its own empirical distribution to a
   standard normal (:mod:`densitykit._columns`); repeated values are spread over their share
   of the levels, so mapping a draw back gives the repeated value again with its frequency.
   Discrete columns (few distinct values, or integer counts) only ever produce observed
   values; continuous ones are interpolated between observed values and written with the
   decimals the input had.
4. **The search** is :class:`densitykit.selection.ModelSelector` over a density of the
   scores: full-covariance Gaussian mixtures of growing size, then Gaussian kernel densities
   shaped like the scores (bandwidth matrix ``h**2`` times their covariance), whose draws
   are variance-corrected (``preserve_covariance``) and which put 5% of their mass on the
   best mixture (a defensive tail, :class:`densitykit.compose.DensityMixture`). Candidates
   are compared by the detection AUC of their draws against the validation rows, among
   those whose draws do not copy their rows (``criterion='detection'``), or by held-out
   log-likelihood (``criterion='loglik'``).

Log-likelihoods (``score_samples``, the held-out figure) are in nats per row **of the normal
scores**, the space the model lives in, and so is the one-Gaussian baseline they are compared
with: the numbers do not depend on the columns' units.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=400)
>>> df = pd.DataFrame({"a": x, "b": x ** 2 + rng.normal(0, 0.1, 400),
...                    "c": rng.integers(0, 3, 400)})
>>> synth = Synthesizer(n_components=[1, 2, 4], bandwidths=[0.3], random_state=0).fit(df)
>>> int(synth.results_["selected"].sum())
1
>>> rows = synth.sample(200, random_state=1)
>>> rows.columns.tolist(), set(rows["c"]) <= {0, 1, 2}
(['a', 'b', 'c'], True)
>>> bool(rows.equals(synth.sample(200, random_state=1)))
True
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import special

from . import _columns, _state
from ._adapters import is_dask
from ._estimator import BaseEstimator, DensityMixin
from ._validation import (
    check_data,
    check_in,
    check_int,
    check_is_fitted,
    check_nonneg_float,
    check_random_state,
)
from .density import draw_rows
from .density import n_parameters as count_parameters
from .exceptions import DataError, FitError, ParameterError, user_stacklevel

if TYPE_CHECKING:
    from pathlib import Path

    from .evaluate import Evaluation

    #: what a synthesizer reads: a table file's path, an open file, a frame or a 2-D array
    TableLike = str | os.PathLike[str] | IO[Any] | pd.DataFrame | ArrayLike

__all__ = ["FAMILIES", "SYNTH_CRITERIA", "Synthesizer"]

#: model families the search tries; ``model='auto'`` tries them all
FAMILIES = {
    "gmm": "Gaussian mixture with full covariances",
    "kde": "Gaussian kernel density shaped like the scores, with a 5% mixture tail",
}
#: how candidates are compared on the validation rows -> ModelSelector's criterion
SYNTH_CRITERIA = {"detection": "detection", "loglik": "cv"}

_DEFAULT_COMPONENTS = (1, 2, 4, 8, 12, 16, 24)
_DEFAULT_BANDWIDTHS = (0.2, 0.3, 0.45)
_KDE_TAIL = 0.05
_MIN_ROWS = 10


def _mixture(k: int, seed: Any) -> Any:
    from .gaussian import GaussianMixture

    return GaussianMixture(int(k), covariance_type="full", reg_covar=1e-4, random_state=seed)


def make_score_density(family: str, size: float, tail: int, seed: Any, Z: np.ndarray) -> Any:
    """The (unfitted) density of normal scores ``Z`` for one candidate."""
    if family == "gmm":
        return _mixture(int(size), seed)
    from .compose import DensityMixture
    from .kde import KernelDensity

    H = float(size) ** 2 * np.atleast_2d(np.cov(Z, rowvar=False, bias=True))
    H[np.diag_indices_from(H)] += 1e-6  # a constant column still gets a kernel
    kde = KernelDensity(bandwidth=H, preserve_covariance=True)
    return DensityMixture([kde, _mixture(tail, seed)], weights=[1 - _KDE_TAIL, _KDE_TAIL])


class ScoreDensity(DensityMixin, BaseEstimator):
    """One candidate of the search: a density of normal scores (see the module docstring)."""

    def __init__(self, family: str = "gmm", size: float = 1, tail: int = 1,
                 random_state: Any = None) -> None:
        self.family = family
        self.size = size
        self.tail = tail
        self.random_state = random_state

    def fit(self, Z: Any, y: Any = None) -> ScoreDensity:
        Z = np.asarray(Z, dtype=np.float64)
        self.density_ = make_score_density(self.family, self.size, self.tail,
                                           self.random_state, Z).fit(Z)
        return self

    def score_samples(self, Z: Any) -> np.ndarray:
        return self.density_.score_samples(Z)

    def sample(self, n_samples: int = 1, random_state: Any = None) -> np.ndarray:
        return draw_rows(self.density_, n_samples, random_state)

    def n_parameters(self) -> int:
        return count_parameters(self.density_, default=0)

    def bic(self, Z: Any) -> float:
        if self.family != "gmm":
            return np.nan
        return float(self.density_.bic(Z))


def _sizes(n_components: Any, n_fit: int, d: int) -> list[int]:
    ks = [n_components] if isinstance(n_components, (int, np.integer)) else (
        n_components or _DEFAULT_COMPONENTS)
    ks = sorted({check_int(k, "n_components", minimum=1) for k in ks})
    cap = max(1, n_fit // (2 * (d + 1)))  # a full covariance needs ~2 (d + 1) rows each
    return [k for k in ks if k <= cap] or [ks[0]]


def _check_width(n_train: int, d: int, validation_size: float) -> None:
    """Refuse a table too wide for the search's full-covariance models before any of them
    is fitted (a failed fit per candidate, and memory, otherwise)."""
    from .gaussian import hopeless

    n_fit = max(2, int(n_train * (1.0 - validation_size)))
    why = hopeless("full", 1, n_fit, d)
    if why is not None:
        raise DataError(
            f"The table is too wide for a synthesizer: its models have a full covariance over "
            f"the {d:,} columns, fitted on {n_fit:,} rows here, so {why}. Select fewer "
            "columns (columns=/exclude=; --columns/--exclude on the command line) or provide "
            "more rows.")


def _digest(df: pd.DataFrame) -> str:
    """A fingerprint of a table's values (any kinds), to recognise it again."""
    rows = pd.util.hash_pandas_object(df, index=False).to_numpy()
    return hashlib.sha256(rows.tobytes() + "\x00".join(map(str, df.columns)).encode()
                          ).hexdigest()


class Synthesizer(DensityMixin, BaseEstimator):
    """Synthetic rows that look like a table's: the whole workflow in one estimator.

    Parameters
    ----------
    model : {'auto', 'gmm', 'kde'}, default='auto'
        Family to choose from: Gaussian mixtures, kernel densities, or both. The mixtures
        are searched for ``'kde'`` too (the best is the KDE's 5% tail) but not chosen.
    n_components : int or list of int, optional
        Mixture sizes to try, in increasing order (default 1, 2, 4, 8, 12, 16, 24; sizes
        needing more rows than there are are skipped). The search stops at the first size
        that does not improve the median held-out log-likelihood.
    bandwidths : list of float, optional
        KDE bandwidths to try, in normal-score units (default 0.2, 0.3, 0.45).
    criterion : {'detection', 'loglik'}, default='detection'
        ``'detection'``: the lowest detection AUC of a candidate's draws against the
        validation rows, among candidates that do not copy their rows; ``'loglik'``: the
        highest held-out log-likelihood.
    test_size : float, default=0.2
        Share of the rows set aside before anything is fitted; every figure of
        :meth:`evaluate` and :meth:`report` is measured on them.
    validation_size : float, default=0.2
        Share of the remaining rows that judges the candidates.
    target : str, optional
        A column to predict: :meth:`evaluate` then adds machine-learning efficacy (a
        gradient-boosting model trained on synthetic rows vs on real rows, both scored on
        the test rows).
    random_state : int or None, default=0
        Seed of the splits, the fits and the default draws.

    Attributes
    ----------
    columns_ : list of str
    codecs_ : list of dict
        Each column's map to normal scores (see :mod:`densitykit._columns`).
    density_ : estimator
        The chosen density of the normal scores, fitted on every non-test row.
    family_, size_ : str, float
        The chosen family and its number of components or bandwidth.
    results_ : DataFrame
        Every candidate tried, with its held-out log-likelihood, detection AUC, share of
        draws close to fitted rows and timings (``selected`` marks the choice).
    n_features_in_ : int
        Columns the model draws (those of ``columns_``).
    n_rows_in_, n_train_, n_test_ : int
        Rows of the cleaned table, rows the final model was fitted on, test rows.
    test_positions_ : ndarray of int
        Positions (in the cleaned table) of the test rows.
    cleaning_ : dict or None
        The cleaning report of the table read.
    dtypes_ : dict
        Column name -> the dtype a frame or a Parquet file gave it (its name, or a
        category's categories and order), which :meth:`sample` restores; empty for text
        and Excel tables, whose columns come back in the kinds they were read as.
    column_labels_ : list or None
        A frame's own column labels where some are not text (``0, 1, 2`` of
        ``pd.DataFrame(X)``), which drawn rows carry; ``columns_`` holds their text, and a
        frame's columns are found by it (``score_samples``, ``given=``).
    """

    #: fitted attributes kept in memory only: model files never hold rows of the table
    _unsaved_attributes = ("_train_rows", "_test_rows")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # an empty cell is modelled (and drawn) as such
        return tags

    def __init__(self, model: str = "auto", *, n_components: int | Sequence[int] | None = None,
                 bandwidths: Sequence[float] | None = None, criterion: str = "detection",
                 test_size: float = 0.2, validation_size: float = 0.2,
                 target: str | None = None, random_state: Any = 0) -> None:
        self.model = model
        self.n_components = n_components
        self.bandwidths = bandwidths
        self.criterion = criterion
        self.test_size = test_size
        self.validation_size = validation_size
        self.target = target
        self.random_state = random_state

    # -- fitting ------------------------------------------------------------------------
    def _check_params(self) -> None:
        check_in(self.model, "model", ("auto", *FAMILIES))
        check_in(self.criterion, "criterion", SYNTH_CRITERIA)
        for name in ("test_size", "validation_size"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0.05 <= float(value) <= 0.5:
                raise ParameterError(
                    f"{name} must be a share of rows in [0.05, 0.5]; got {value!r}.")
        if self.bandwidths is not None:
            for h in np.atleast_1d(np.asarray(self.bandwidths, dtype=object)):
                check_nonneg_float(h, "each of bandwidths", positive=True)

    def fit(self, data: TableLike, y: Any = None, *, progress: Callable[[str], None] | None = None,
            **read_options: Any) -> Synthesizer:
        """Read ``data``, split it, choose the model on the validation rows and refit it.

        Parameters
        ----------
        data : path, DataFrame or 2-D array
            A table file (CSV, TSV, Excel, Parquet) or rows in memory. A frame (a Dask one
            is computed first) may hold columns of any kind; an array holds numbers (columns
            ``x0``, ``x1``, ...) and is checked as scikit-learn checks input: NaN is an empty
            cell, infinities, text and sparse matrices are refused. At least 10 rows: 2 are
            set aside for testing and 2 judge the candidates, so a table this small gives
            rough figures.
        y : None
            Ignored; there for scikit-learn's pipelines.
        progress : callable, optional
            Called with one line per candidate tried.
        **read_options : dict
            Passed to :func:`densitykit.data.read_table` (``columns``, ``exclude``,
            ``policy``, ``check``, ``sheet``, ``format``); kept, so :meth:`evaluate` can
            read the same table again. By default every row and every column is used
            (``policy='keep'``, ``kinds='mixed'``): empty cells, categories, integers and
            dates are modelled, each column coming back in its kind and dtype (``dtypes_``).

        Returns
        -------
        self : Synthesizer
            The synthesizer itself, fitted.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from densitykit import Synthesizer
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"temp": rng.normal(20, 2, 200).round(1),
        ...                    "shift": rng.integers(0, 3, 200)})
        >>> synth = Synthesizer(model="gmm", n_components=[1, 2], criterion="loglik").fit(df)
        >>> synth.family_, synth.n_train_, synth.n_test_
        ('gmm', 160, 40)
        >>> synth.results_["candidate"].tolist()
        ['gmm-1', 'gmm-2']
        """
        self._check_params()
        data = _computed(data)
        df, cleaning, source = _read(data, read_options, self, reset=True)
        self._check_table(data, df, cleaning)
        rng = check_random_state(self.random_state)
        seed = int(rng.integers(2**31 - 1))
        test, train = _observed_in_training(df, *_split(len(df), self.test_size, rng))
        self.columns_ = [str(c) for c in df.columns]
        self.n_rows_in_, self.n_train_, self.n_test_ = len(df), len(train), len(test)
        self.test_positions_ = test
        self.data_digest_ = _digest(df)
        self.read_options_ = dict(read_options)
        self.source_, self.cleaning_ = source, cleaning
        df = self._record_dtypes(data, df)
        self._train_rows, self._test_rows = df.iloc[train], df.iloc[test]
        chosen, tail = self._search(self._train_rows, rng, seed, progress)
        self._fit_chosen(chosen, tail, seed)
        return self

    def _record_dtypes(self, data: Any, df: pd.DataFrame) -> pd.DataFrame:
        """Keep the dtype ``data`` gives each column (``dtypes_``) and a frame's own labels
        (``column_labels_``), for :meth:`sample` to restore; the rows to model, their
        float32 columns as float32 (their precision)."""
        self.column_labels_ = _columns.own_labels(data, self.columns_)
        given = _given_dtypes(data, self.read_options_)
        self.dtypes_ = {c: r for c in self.columns_ if c in given
                        and (r := _columns.dtype_record(given[c])) is not None}
        narrow = {c: t for c, t in given.items() if c in df and str(t) in _columns.NARROW_FLOATS}
        return _columns.as_dtypes(df, narrow)

    def _check_whole(self, name: str, codec: dict[str, Any], value: Any, number: float) -> None:
        """Refuse a given value that column ``name``'s integer dtype cannot hold."""
        if codec["kind"] == "categorical":
            return
        record = (getattr(self, "dtypes_", None) or {}).get(name)
        try:
            dtype = (_columns.dtype_of(record) if record is not None
                     else pd.api.types.pandas_dtype(codec["dtype"]))
        except TypeError:
            return
        if not pd.api.types.is_integer_dtype(dtype):
            return
        if number != np.round(number):
            raise ParameterError(f"column {name!r} holds whole numbers; give a whole number, "
                                 f"not {value!r}.")
        if record is not None:
            info = np.iinfo(getattr(dtype, "numpy_dtype", dtype))
            if not info.min <= number <= info.max:
                raise ParameterError(f"{value!r} does not fit column {name!r}, whose dtype "
                                     f"{dtype} holds {info.min} to {info.max}.")

    def _given(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Drawn rows in the dtypes the table was given in (``dtypes_``), where known; dates
        given as text in the form the table wrote them in ('05.01.2024 08:30'), and
        numbers given as text in their forms ('6.3%', '08:30')."""
        records = getattr(self, "dtypes_", None) or {}
        dtypes = {c: _columns.dtype_of(r) for c, r in records.items()}
        for c, r in records.items():  # dates, not text, where the frame held datetime.date
            if r == _columns.PYTHON_DATES and pd.api.types.is_datetime64_any_dtype(rows.get(c)):
                rows[c] = rows[c].dt.date.astype(object).where(rows[c].notna(), None)
        for c, form in _columns.date_formats_of(self).items():
            if c in dtypes and not pd.api.types.is_datetime64_any_dtype(dtypes[c]) \
                    and pd.api.types.is_datetime64_any_dtype(rows.get(c)):
                rows[c] = _columns.format_dates(rows[c], form)
        for c, form in _columns.number_forms_of(self).items():
            if c in dtypes and not pd.api.types.is_numeric_dtype(dtypes[c]) and c in rows:
                rows[c] = _columns.write_numbers(rows[c], form)
        rows = _columns.as_dtypes(rows, dtypes)
        labels = getattr(self, "column_labels_", None)
        if labels is not None:  # the frame's own labels (0, 1, 2), not their text
            rows.columns = _columns.label_index(labels)
        return rows

    def _check_table(self, data: Any, df: pd.DataFrame, cleaning: Any) -> None:
        """Refuse a table the workflow cannot use (the fit's first step after reading it)."""
        if _is_table(data):
            self.n_features_in_ = df.shape[1]
        elif df.shape[1] != self.n_features_in_:
            empty = [c for c in (cleaning or {}).get("dropped_columns", {}) if c not in df]
            raise DataError(f"column(s) {empty[:5]} of the array have no observed value; "
                            "leave them out.")
        if len(df) < _MIN_ROWS:
            raise DataError(f"A synthesizer needs at least {_MIN_ROWS} rows to set some aside "
                            f"for testing; the table has {len(df)} clean rows "
                            f"(n_samples={len(df)}).")
        if self.target is not None and str(self.target) not in df.columns:
            raise ParameterError(
                f"target {self.target!r} is not a column of the table; its columns are "
                f"{list(df.columns[:6])}{' ...' if df.shape[1] > 6 else ''}.")

    def _fit_chosen(self, chosen: tuple[str, Any], tail: Any, seed: int) -> None:
        """Refit the chosen model on the training rows' normal scores, with the one-Gaussian
        baseline the report compares it with (the fit's last step)."""
        from .gaussian import Normal

        self.space_ = _columns.fit_space(self._train_rows)
        Z = _complete_scores(self.space_, self._train_rows, seed)
        self.family_, self.size_ = chosen
        self.density_ = make_score_density(self.family_, self.size_, tail, seed, Z).fit(Z)
        self.baseline_density_ = Normal("full", reg_covar=1e-4).fit(Z)
        self.seed_ = seed
        self._legacy_shrink = None

    def _check_fitted_state(self) -> None:
        """Check a fitted state read from a model file (see :mod:`densitykit._state`): the
        table's shape, the column maps and the densities of the normal scores."""
        columns = _state.need_str_list(self, "columns_")
        n = _state.need_int(self, "n_rows_in_", minimum=0)
        n_train = _state.need_int(self, "n_train_", minimum=0, maximum=n)
        n_test = _state.need_int(self, "n_test_", minimum=0)
        if n_train + n_test != n:
            raise _state.StateError("n_test_", f"is {n_test}, but {n} rows less {n_train} "
                                    f"fitted on leave {n - n_train}")
        pos = _state.need_array(self, "test_positions_", kinds="iu", shape=(n_test,))
        if pos.size and (pos.min() < 0 or pos.max() >= n):
            raise _state.StateError("test_positions_", f"should be row positions in "
                                    f"[0, {n}); they reach {int(pos.max())}")
        space = _state.fitted(self, "space_")
        if not isinstance(space, dict) or space.get("columns") != columns:
            raise _state.StateError("space_", "should map exactly the columns in columns_")
        codecs = space.get("codecs")
        extra = space.get("empty_codecs", [])
        if not isinstance(codecs, list) or len(codecs) != len(columns) or not isinstance(
                extra, list) or not all(isinstance(c, dict) and isinstance(c.get("kind"), str)
                                        for c in codecs + extra):
            raise _state.StateError("space_['codecs']", "should hold one column map (a dict "
                                    "with a 'kind') per column")
        dims = len(codecs) + len(extra)
        _state.need_choice(self, "family_", tuple(FAMILIES))
        _state.need_float(self, "size_", positive=True)
        _state.need_density(self, "density_", n_features=dims,
                            methods=("score_samples", "sample"))
        if _state.fitted(self, "baseline_density_") is not None:
            _state.need_density(self, "baseline_density_", n_features=dims)
        if not isinstance(_state.fitted(self, "results_"), pd.DataFrame):
            raise _state.StateError("results_", "should be a table of the candidates tried")
        records = getattr(self, "dtypes_", None)  # absent from files written before it
        if records is not None and (not isinstance(records, dict)
                                    or not set(records) <= set(columns)):
            raise _state.StateError("dtypes_", "should map columns of columns_ to dtypes")
        for name, record in (records or {}).items():
            try:
                _columns.dtype_of(record)
            except (TypeError, ValueError, KeyError) as exc:
                raise _state.StateError(f"dtypes_[{name!r}]", f"is no dtype ({exc})") from None
        _columns.check_labels(self)

    @property
    def codecs_(self) -> list[dict[str, Any]]:
        """Each column's map to normal scores (see :mod:`densitykit._columns`)."""
        return self.space_["codecs"]

    def _search(self, rows: pd.DataFrame, rng: np.random.Generator, seed: int,
                progress: Callable[[str], None] | None) -> tuple[tuple[str, float], int]:
        """Choose (family, size) on a validation split of ``rows``; also the best mixture."""
        from .selection import ModelSelector, choose_index, detection_scorer

        _check_width(len(rows), rows.shape[1], float(self.validation_size))
        val, fit = _split(len(rows), self.validation_size, rng)
        space = _columns.fit_space(rows.iloc[fit])
        Z_fit = _complete_scores(space, rows.iloc[fit], seed)
        Z_val = _columns.encode_table(space, rows.iloc[val])
        Z = np.vstack([Z_fit, Z_val])
        split = [(np.arange(len(fit)), np.arange(len(fit), len(Z)))]
        real = (rows.iloc[fit].reset_index(drop=True), rows.iloc[val].reset_index(drop=True))

        def scorer(model: Any, X_fit: Any, X_test: Any, random_state: Any = 0) -> dict:
            return detection_scorer(
                model, X_fit, X_test, random_state=random_state, rows=real,
                decode=lambda Zs: _columns.decode_table(space, Zs, np.random.default_rng(seed)))

        def report(params: dict, row: dict) -> None:
            if progress is not None:
                progress(_progress_line(params, row))

        criterion = SYNTH_CRITERIA[self.criterion]
        families = list(FAMILIES) if self.model == "auto" else [self.model]
        stages = [("gmm", _sizes(self.n_components, len(fit), Z.shape[1]))]
        if "kde" in families:
            stages.append(("kde", [float(b) for b in np.atleast_1d(
                self.bandwidths or _DEFAULT_BANDWIDTHS)]))
        tables, tail = [], 1
        for family, sizes in stages:
            scoring = {"detection": scorer} if (criterion == "detection"
                                                and family in families) else None
            sel = ModelSelector(ScoreDensity(family, tail=tail, random_state=seed),
                                {"family": [family], "size": sizes},
                                criterion="cv", cv=split, rule="best", refit=False,
                                scoring=scoring, stop_after=1, random_state=seed)
            try:
                sel.fit(Z, callback=report)
            except FitError as exc:
                last = not tables and family == stages[-1][0]  # no candidate left
                if family in families and (len(families) == 1 or last):
                    raise FitError(f"No {' or '.join(families)} candidate could be fitted to "
                                   f"the data: {exc}") from None
                continue
            if family == "gmm":  # the tail: the mixture that fits the bulk of the rows best
                ok = sel.results_.dropna(subset=["heldout_loglik_median"])
                tail = int(ok.loc[ok["heldout_loglik_median"].idxmax(), "size"])
            table = sel.results_.drop(columns=["rank", "selected"])
            table["tail"] = tail if family == "kde" else np.nan
            tables.append(table)
        results = pd.concat(tables, ignore_index=True)
        eligible = results[results["family"].isin(families)].copy()
        best, _ = choose_index(eligible.reset_index(drop=True), criterion, "best")
        best_label = eligible.index[best]
        results["selected"] = results.index == best_label
        self.results_ = _tidy_results(results)
        chosen = results.loc[best_label]
        self.n_fit_rows_, self.n_validation_rows_ = len(fit), len(val)
        return (str(chosen["family"]), float(chosen["size"])), tail

    # -- the density ----------------------------------------------------------------------
    def _log_likelihoods(self, X: Any, density: Any, warn: bool = True) -> np.ndarray:
        """``density``'s log-likelihood of the rows ``X`` (their normal scores); -inf for a
        row holding a category the model never saw (it gives it no probability), which a
        warning says when ``warn``."""
        frame = _frame(X, self.columns_, self)
        scores = np.asarray(density.score_samples(_columns.encode_table(self.space_, frame)),
                            dtype=np.float64)
        for name, codec in zip(self.columns_, self.codecs_):
            if codec["kind"] == "categorical":
                new = np.isnan(_columns.to_numbers(codec, frame[name])) & ~frame[name].isna()
                if new.any() and warn:
                    _warn_unseen(name, frame[name][new], int(new.sum()))
                scores[np.asarray(new, dtype=bool)] = -np.inf
        return scores

    def score_samples(self, X: pd.DataFrame | ArrayLike) -> np.ndarray:
        """Log-likelihood of each row, in nats of its normal scores (see the module notes).

        The log-density of the row's normal scores under ``density_``: the space the model
        lives in, so the value does not depend on the columns' units (and is no density in
        them).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Rows of the table: a frame's columns are found by name, an array's by position.
            An empty cell (NaN) is integrated out of the density; where the table had empty
            cells, whether a cell is empty is modelled too and counts in the row's value.

        Returns
        -------
        ndarray of shape (n_samples,)
            Log-likelihood of each row, in nats per row of the normal scores; ``-inf`` for
            a row holding a category the model was not fitted on (it has no probability;
            an :class:`~densitykit.exceptions.OutsideRangeWarning` names it).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from densitykit import Synthesizer
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"temp": rng.normal(20, 2, 200).round(1),
        ...                    "shift": rng.integers(0, 3, 200)})
        >>> synth = Synthesizer(model="gmm", n_components=[1, 2], criterion="loglik").fit(df)
        >>> rows = pd.DataFrame({"temp": [20.0, df["temp"].max()], "shift": [1, 1]})
        >>> s = synth.score_samples(rows)
        >>> s.shape, bool(s[0] > s[1])  # the table's warmest temperature is rarer than 20
        ((2,), True)
        """
        check_is_fitted(self, "density_")
        return self._log_likelihoods(X, self.density_)

    def score(self, X: pd.DataFrame | ArrayLike, y: Any = None) -> float:
        """Mean log-likelihood per row (normal-score nats).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Rows of the table: a frame's columns are found by name, an array's by position.
            An empty cell (NaN) is integrated out of the density; where the table had empty
            cells, whether a cell is empty is modelled too and counts in the row's value.
        y : None
            Ignored; there for scikit-learn's pipelines.

        Returns
        -------
        float
            Mean of :meth:`score_samples`, in nats per row of the normal scores.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from densitykit import Synthesizer
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"temp": rng.normal(20, 2, 200).round(1),
        ...                    "shift": rng.integers(0, 3, 200)})
        >>> synth = Synthesizer(model="gmm", n_components=[1, 2], criterion="loglik").fit(df)
        >>> bool(np.isclose(synth.score(df), synth.score_samples(df).mean()))
        True
        """
        return float(np.mean(self.score_samples(X)))

    def baseline_score_samples(self, X: pd.DataFrame | ArrayLike) -> np.ndarray:
        """Log-likelihood of each row under one full Gaussian of the same normal scores.

        The baseline the report compares :meth:`score_samples` with: a single
        full-covariance Gaussian fitted to the same scores. A model file written before
        the baseline was kept has none, and gives NaN.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Rows of the table: a frame's columns are found by name, an array's by position.
            An empty cell (NaN) is integrated out of the density; where the table had empty
            cells, whether a cell is empty is modelled too and counts in the row's value.

        Returns
        -------
        ndarray of shape (n_samples,)
            Log-likelihood of each row, in nats per row of the normal scores.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from densitykit import Synthesizer
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"temp": rng.normal(20, 2, 200).round(1),
        ...                    "shift": rng.integers(0, 3, 200)})
        >>> synth = Synthesizer(model="gmm", n_components=[1, 2], criterion="loglik").fit(df)
        >>> synth.baseline_score_samples(df.head(3)).shape
        (3,)
        """
        check_is_fitted(self, "density_")
        if getattr(self, "baseline_density_", None) is None:
            return np.full(len(_frame(X, self.columns_, self)), np.nan)
        return self._log_likelihoods(X, self.baseline_density_, warn=False)  # score_samples warns

    #: how the log-likelihoods of this model are measured (the report names it)
    loglik_units = "nats per row of the normal scores"

    def sample(self, n_samples: int = 1, random_state: Any = None,
               given: dict[str, float] | None = None) -> pd.DataFrame:
        """Draw ``n_samples`` synthetic rows: a frame with the table's columns and dtypes.

        ``given`` fixes some columns (table units) and draws the others from the mixture's
        conditional distribution (Gaussian mixtures only). The same ``random_state`` gives
        the same rows, from Python and from ``densitykit sample``.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw.
        random_state : None, int, Generator or RandomState, default=None
            Seed of the draws; ``None`` gives fresh rows on every call.
        given : dict of str to value, optional
            Column name -> value (in the table's units, or one of a category column's
            values) for the columns to fix; at least one column stays free. A KDE model
            raises a :class:`~densitykit.exceptions.DataError`.

        Returns
        -------
        DataFrame of shape (n_samples, n_features)
            The drawn rows, with the table's columns in their dtypes; where the table had
            empty cells, some drawn cells are empty (with their observed share).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from densitykit import Synthesizer
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"temp": rng.normal(20, 2, 200).round(1),
        ...                    "shift": rng.integers(0, 3, 200)})
        >>> synth = Synthesizer(model="gmm", n_components=[1, 2], criterion="loglik").fit(df)
        >>> rows = synth.sample(5, random_state=0)
        >>> rows.shape, rows.dtypes.astype(str).to_dict()
        ((5, 2), {'temp': 'float64', 'shift': 'int64'})
        >>> synth.sample(3, random_state=0, given={"shift": 2})["shift"].tolist()
        [2, 2, 2]
        """
        check_is_fitted(self, "density_")
        n_samples = check_int(n_samples, "n_samples", minimum=1)
        rng = check_random_state(random_state)
        if given:
            return self._sample_given(n_samples, rng, given)
        Z = draw_rows(self.density_, n_samples, rng)
        if getattr(self, "_legacy_shrink", None) is not None:
            mean, shrink = self._legacy_shrink
            Z = mean + (Z - mean) * shrink
        return self._given(_columns.decode_table(self.space_, Z, rng))

    def _sample_given(self, n: int, rng: np.random.Generator,
                      given: dict[str, float]) -> pd.DataFrame:
        if self.family_ != "gmm":
            raise DataError("Sampling given column values needs a Gaussian mixture; this "
                            "model is a KDE. Fit with model='gmm' (--model gmm).")
        if not isinstance(given, Mapping):
            raise ParameterError(f"given must map column names to values, as {{'grade': 'A'}}; "
                                 f"got {type(given).__name__}.")
        given = {str(c): v for c, v in given.items()}  # a frame's label (0) or its text
        unknown = [c for c in given if c not in self.columns_]
        if unknown:
            raise ParameterError(
                f"unknown column(s) {unknown} in the given values; the columns are "
                f"{self.columns_[:6]}{' ...' if len(self.columns_) > 6 else ''}")
        if len(given) >= len(self.columns_):
            raise ParameterError("the given values fix every column; leave at least one to draw.")
        from .exceptions import warn_outside_range

        idx = [self.columns_.index(c) for c in given]
        z, fixed, forms = [], dict(given), _columns.date_formats_of(self)
        text_forms = _columns.number_forms_of(self)
        for j, c in zip(idx, given):
            if self.codecs_[j].get("time_unit"):  # a date as the table wrote it ('05.01.2024')
                fixed[c] = _columns.parse_dates(pd.Series([given[c]], dtype=object),
                                                forms.get(c)).iloc[0]
            elif c in text_forms and isinstance(given[c], str):  # '85.5%', '08:30'
                fixed[c] = _columns.read_numbers(pd.Series([given[c]]), text_forms[c]).iloc[0]
            try:
                number = _columns.to_numbers(self.codecs_[j],
                                             pd.Series([fixed[c]], dtype=object))
            except DataError:
                number = np.array([np.nan])
            codec = self.codecs_[j]
            if np.isnan(number[0]):
                raise ParameterError(_not_a_value(c, codec, given[c], forms.get(c)))
            self._check_whole(c, codec, given[c], number[0])
            if codec["kind"] == "categorical":  # the column's own label ('True' -> True)
                fixed[c] = codec["categories"][int(number[0])]
            if codec.get("kind") in ("discrete", "continuous"):
                seen = np.asarray(codec["values"], dtype=np.float64)
                warn_outside_range(c, number[0], seen.min(), seen.max(), codec.get("scale"),
                                   dates=bool(codec.get("time_unit")))
            z.append(float(_columns.encode(codec, number)[0]))
        cond = self.density_.condition(idx, z)
        Z = np.empty((n, self.density_.n_features_in_))
        Z[:, idx] = z
        Z[:, [j for j in range(Z.shape[1]) if j not in idx]] = draw_rows(cond, n, rng)
        out = _columns.decode_table(self.space_, Z, rng)
        for name, value in fixed.items():
            out[name] = pd.Series([value] * n, dtype=out[name].dtype)
        return self._given(out)

    # -- judging ----------------------------------------------------------------------------
    def split_rows(self, real: TableLike | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The training rows and the test rows of the table the model was fitted on.

        ``real`` is that table again (a path or frame, read with the same options) when the
        model was loaded from a file, which never holds rows of the table.

        Parameters
        ----------
        real : path, DataFrame or 2-D array, optional
            The table the model was fitted on; needed only after loading from a file. A
            different table raises a :class:`~densitykit.exceptions.DataError`.

        Returns
        -------
        train : DataFrame
            The rows the model was fitted on (every row but the test rows).
        test : DataFrame
            The test rows, set aside before anything was fitted.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from densitykit import Synthesizer
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"temp": rng.normal(20, 2, 200).round(1),
        ...                    "shift": rng.integers(0, 3, 200)})
        >>> synth = Synthesizer(model="gmm", n_components=[1, 2], criterion="loglik").fit(df)
        >>> train, test = synth.split_rows()
        >>> train.shape, test.shape
        ((160, 2), (40, 2))
        """
        check_is_fitted(self, "density_")
        if real is None:
            if getattr(self, "_train_rows", None) is None:
                raise ParameterError(
                    "This synthesizer was loaded from a model file, which holds no rows of the "
                    "table; pass real= the table it was fitted on (the same file).")
            return self._train_rows, self._test_rows
        df = _read(real, getattr(self, "read_options_", {}) or {}, self, reset=False)[0]
        missing = [c for c in self.columns_ if c not in df.columns]
        if missing:
            raise DataError(f"the real table lacks the model's column(s) {missing[:5]}; pass "
                            "the table the model was fitted on.")
        df = df[self.columns_]
        digest = getattr(self, "data_digest_", None)
        if len(df) != self.n_rows_in_ or (digest is not None and _digest(df) != digest):
            raise DataError(
                f"the real table ({len(df):,} clean rows) is not the one the model was fitted "
                f"on ({self.n_rows_in_:,} rows): its test rows cannot be found. Pass that table.")
        test = np.asarray(self.test_positions_, dtype=np.intp)
        train = np.setdiff1d(np.arange(len(df)), test)
        return df.iloc[train], df.iloc[test]

    def evaluate(self, real: TableLike | None = None,
                 synthetic: pd.DataFrame | ArrayLike | None = None, *,
                 n_samples: int | None = None, random_state: Any = None) -> Evaluation:
        """Judge synthetic rows against the test rows (see :func:`densitykit.evaluate.evaluate`).

        Parameters
        ----------
        real : path or DataFrame, optional
            The table the model was fitted on; needed only after loading from a file.
        synthetic : DataFrame, optional
            Rows to judge (default: ``n_samples`` fresh draws, as many as the training rows).
        n_samples : int, optional
            Number of rows to draw when ``synthetic`` is not given (default: as many as the
            training rows).
        random_state : int, optional
            Seed of the draws and of the metrics (default: the model's seed).

        Returns
        -------
        Evaluation
            The fidelity and privacy figures of :func:`densitykit.evaluate.evaluate`, with
            the test rows as the reference (its log-likelihoods in nats per row of the
            normal scores).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from densitykit import Synthesizer
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"temp": rng.normal(20, 2, 200).round(1),
        ...                    "shift": rng.integers(0, 3, 200)})
        >>> synth = Synthesizer(model="gmm", n_components=[1, 2], criterion="loglik").fit(df)
        >>> ev = synth.evaluate(n_samples=100)
        >>> ev.n_synthetic, ev.n_reference, ev.reference
        (100, 40, 'holdout')
        """
        train, test, synthetic, seed = self._judged(real, synthetic, n_samples, random_state)
        return self._evaluation(train, test, synthetic, seed)

    def report(self, path: str | os.PathLike[str], real: TableLike | None = None,
               synthetic: pd.DataFrame | ArrayLike | None = None, *,
               evaluation: Evaluation | None = None, title: str | None = None,
               random_state: Any = None) -> Path:
        """Write the HTML report of synthetic rows (see :mod:`densitykit.report`).

        Parameters
        ----------
        path : str or path-like
            The HTML file to write (replaced if it exists).
        real : path, DataFrame or 2-D array, optional
            The table the model was fitted on; needed only after loading from a file.
        synthetic : DataFrame, optional
            Rows to show (default: as many fresh draws as the training rows).
        evaluation : Evaluation, optional
            The figures of :meth:`evaluate`, when already computed for these rows.
        title : str, optional
            Title of the page (default: "Synthetic" and the name of the table's file, or
            "Synthetic table" for rows in memory).
        random_state : int, optional
            Seed of the draws and of the metrics (default: the model's seed).

        Returns
        -------
        Path
            The path of the written report.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> import numpy as np, pandas as pd
        >>> from densitykit import Synthesizer
        >>> df = pd.DataFrame({"temp": np.random.default_rng(0).normal(20, 2, 200).round(1)})
        >>> synth = Synthesizer(model="gmm", n_components=1, criterion="loglik").fit(df)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     written = synth.report(Path(folder) / "report.html")
        ...     written.name, written.stat().st_size > 0
        ('report.html', True)
        """
        from .data import CleaningReport
        from .report import write_report

        train, test, synthetic, seed = self._judged(real, synthetic, None, random_state)
        if evaluation is None:
            evaluation = self._evaluation(train, test, synthetic, seed)
        cleaning = (CleaningReport.from_dict(self.cleaning_)
                    if isinstance(self.cleaning_, dict) else None)
        return write_report(path, train, synthetic, evaluation=evaluation, holdout=test,
                            model=self, candidates=self.results_, cleaning=cleaning,
                            title=title or f"Synthetic {self.source_ or 'table'}",
                            random_state=seed)

    def _judged(self, real: Any, synthetic: Any, n_samples: int | None, random_state: Any
                ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, Any]:
        """The training and test rows, the synthetic rows to judge (drawn if not given) and
        the seed, for :meth:`evaluate` and :meth:`report`."""
        train, test = self.split_rows(real)
        seed = self.seed_ if random_state is None else random_state
        if synthetic is None:
            synthetic = self.sample(n_samples or self.n_train_, random_state=seed)
        synthetic = _frame(synthetic, self.columns_, self)
        if getattr(self, "dtypes_", None):  # judged in the dtypes of the rows modelled
            synthetic = _columns.as_dtypes(synthetic, dict(train.dtypes.items()))
        return train, test, synthetic, seed

    def _evaluation(self, train: pd.DataFrame, test: pd.DataFrame, synthetic: pd.DataFrame,
                    seed: Any) -> Any:
        from .evaluate import evaluate

        return evaluate(train, synthetic, holdout=test, model=self, target=self.target,
                        random_state=seed)

    # -- what the report and `info` show ----------------------------------------------------
    def describe(self) -> str:
        """One line naming the chosen model.

        Returns
        -------
        str
            The family and size of the model, the space it lives in and the rows and
            columns it was fitted on.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from densitykit import Synthesizer
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"temp": rng.normal(20, 2, 200).round(1),
        ...                    "shift": rng.integers(0, 3, 200)})
        >>> synth = Synthesizer(model="gmm", n_components=[1, 2], criterion="loglik").fit(df)
        >>> synth.describe().split(", ")[:2]
        ['Gaussian mixture', '1 full-covariance component']
        """
        check_is_fitted(self, "density_")
        if self.family_ == "gmm":
            k = int(self.size_)
            what = f"Gaussian mixture, {k} full-covariance component{'' if k == 1 else 's'}"
        else:
            what = f"Gaussian KDE, bandwidth {self.size_:g} x the scores' covariance"
            if hasattr(self.density_, "densities_"):
                what += (f", with {self.density_.weights_[1]:.0%} of the mass on a "
                         f"{self.density_.densities_[1].n_components}-component Gaussian "
                         "mixture")
        return (f"{what}, on per-column normal scores, fitted on {self.n_train_:,} rows x "
                f"{len(self.columns_)} columns")

    def marginal_pdf(self, column: str, grid: ArrayLike) -> np.ndarray | None:
        """The model's density of one continuous column on ``grid`` (table units).

        Exact for a mixture (its marginal, through the column's map); None for a KDE or a
        discrete column (the report then draws no density line).

        Parameters
        ----------
        column : str
            One of ``columns_``.
        grid : array-like of shape (n_points,)
            Values of the column, in its units.

        Returns
        -------
        ndarray of shape (n_points,) or None
            The density at each grid value, per unit of the column (not a log), or None.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from densitykit import Synthesizer
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"temp": rng.normal(20, 2, 200).round(1),
        ...                    "shift": rng.integers(0, 3, 200)})
        >>> synth = Synthesizer(model="gmm", n_components=[1, 2], criterion="loglik").fit(df)
        >>> synth.marginal_pdf("temp", np.linspace(15, 25, 5)).shape
        (5,)
        >>> synth.marginal_pdf("shift", np.arange(3.0)) is None
        True
        """
        j = self.columns_.index(column)
        codec = self.codecs_[j]
        if self.family_ != "gmm" or codec["kind"] != "continuous" or codec.get("time_unit"):
            return None
        grid = np.asarray(grid, dtype=np.float64)
        z = _columns.encode(codec, grid)
        dz = np.gradient(z, grid)
        d = self.density_
        mu, var = d.means_[:, j], d.covariances_[:, j, j]
        comp = (np.log(d.weights_)[None, :] - 0.5 * np.log(2 * np.pi * var)[None, :]
                - 0.5 * (z[:, None] - mu[None, :]) ** 2 / var[None, :])
        return np.exp(special.logsumexp(comp, axis=1)) * np.abs(dz)

    def component_outlines(self, a: str, b: str, n_std: float = 2.0
                           ) -> list[tuple[np.ndarray, float]] | None:
        """Each mixture component's ``n_std`` ellipse in columns ``a``, ``b``, in table units.

        The outline is drawn in the normal scores and mapped back through each column's
        map, so it bends with the columns' distributions.

        Parameters
        ----------
        a, b : str
            Two numeric columns of ``columns_`` (not categories or dates).
        n_std : float, default=2.0
            Size of the ellipse, in standard deviations of the component.

        Returns
        -------
        list of (ndarray of shape (n_points, 2), float) or None
            For each component, the points of its outline in columns ``a`` and ``b`` and
            its weight; None for a KDE or a column that is not numeric.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from densitykit import Synthesizer
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"temp": rng.normal(20, 2, 200).round(1),
        ...                    "shift": rng.integers(0, 3, 200)})
        >>> synth = Synthesizer(model="gmm", n_components=[1, 2], criterion="loglik").fit(df)
        >>> outlines = synth.component_outlines("temp", "shift")
        >>> len(outlines), outlines[0][0].shape[1], outlines[0][1]
        (1, 2, 1.0)
        """
        numeric = [c["kind"] != "categorical" and not c.get("time_unit") for c in self.codecs_]
        if self.family_ != "gmm" or not (numeric[self.columns_.index(a)]
                                         and numeric[self.columns_.index(b)]):
            return None
        from .plotting import ellipse

        d = self.density_
        ia, ib = self.columns_.index(a), self.columns_.index(b)
        out = []
        for k in range(len(d.weights_)):
            zz = ellipse(d.means_[k, [ia, ib]], d.covariances_[k][np.ix_([ia, ib], [ia, ib])],
                         n_std)
            xy = np.column_stack([_columns.decode(self.codecs_[ia], zz[:, 0]),
                                  _columns.decode(self.codecs_[ib], zz[:, 1])])
            out.append((xy.astype(np.float64), float(d.weights_[k])))
        return out

    # -- model files written before this class ------------------------------------------------
    @classmethod
    def _from_legacy(cls, table_model: Any, meta: dict[str, Any]) -> Synthesizer:
        """Rebuild from an older ``synth`` model file: a TableModel with ``meta['synth']``."""
        s = meta["synth"]
        self = cls(model=str(s["family"]), random_state=meta.get("seed", 0))
        self.columns_ = [str(c) for c in s["columns"]]
        self.n_features_in_ = len(self.columns_)
        codecs: list[dict[str, Any]] = []
        for q, disc in zip(s["quantiles"], np.asarray(s["discrete"], dtype=bool)):
            q = np.asarray(q, dtype=np.float64)  # sorted quantiles, drawn from as they were
            values, levels = q, np.linspace(0, 1, q.size)
            if disc:
                values, counts = np.unique(q, return_counts=True)
                levels = np.cumsum(counts) / q.size
            codecs.append({"kind": "discrete" if disc else "continuous", "values": values,
                           "levels": levels, "n": int(q.size), "decimals": -1,
                           "significant": -1, "dtype": "float64"})
        self.space_ = {"columns": self.columns_, "codecs": codecs, "empty_groups": [],
                       "empty_codecs": [], "empty_shares": []}
        self.density_ = table_model.density_
        self.baseline_density_ = None
        self.family_, self.size_ = str(s["family"]), float(s["size"])
        self.results_ = pd.DataFrame(s.get("candidates", {}))
        self.n_train_ = int(s["n_rows"])
        share = float(meta.get("holdout", 0.2))
        self.n_rows_in_ = next(n for n in range(self.n_train_, 2 * self.n_train_ + 3)
                               if n - max(2, round(share * n)) == self.n_train_)
        self.n_test_ = self.n_rows_in_ - self.n_train_
        perm = np.random.default_rng(int(meta.get("seed", 0))).permutation(self.n_rows_in_)
        self.test_positions_ = np.sort(perm[: self.n_test_])
        self.data_digest_ = None
        self.read_options_ = {}
        self.source_ = meta.get("source")
        self.cleaning_ = meta.get("cleaning")
        self.seed_ = int(meta.get("seed", 0))
        self._legacy_shrink = ((np.asarray(s["z_mean"]), np.asarray(s["z_shrink"]))
                               if "z_shrink" in s else None)
        self._train_rows = self._test_rows = None
        return self


# ---------------------------------------------------------------------------- helpers
def _progress_line(params: dict, row: dict) -> str:
    """One line on a candidate just evaluated."""
    name = f"{params.get('family', 'gmm')} {params['size']:g}"
    if row.get("error"):
        return f"{name}: skipped ({row['error']})"
    msg = f"{name}: held-out log-likelihood {row['heldout_loglik']:.2f} per row"
    if "detection_auc" in row:
        msg += (f", detection AUC {row['detection_auc']:.3f}, "
                f"{row['share_closer']:.1%} of draws close to fitted rows")
    return msg


def _split(n: int, share: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Sorted positions of a random ``share`` of ``n`` rows, and of the others."""
    perm = rng.permutation(n)
    k = max(2, round(float(share) * n))
    return np.sort(perm[:k]), np.sort(perm[k:])


def _observed_in_training(df: pd.DataFrame, test: np.ndarray, train: np.ndarray
                          ) -> tuple[np.ndarray, np.ndarray]:
    """``test`` and ``train`` positions with a filled cell of every column among the
    training rows: a test row that holds all a column's filled cells (one lab check in a
    hundred rows) trades places with a training row whose columns keep a filled cell."""
    filled = df.notna().to_numpy()
    test, train = test.copy(), train.copy()
    for j in np.flatnonzero(~filled[train].any(axis=0) & filled[test].any(axis=0)):
        i = int(np.flatnonzero(filled[test, j])[0])
        counts = filled[train].sum(axis=0)
        spare = next((k for k, row in enumerate(filled[train])
                      if np.all(counts[row] > 1)), None)
        if spare is None:
            break
        test[i], train[spare] = train[spare], test[i]
    return np.sort(test), np.sort(train)


def _is_table(data: Any) -> bool:
    """A path, an open file or a frame (read as a table of any kinds), not an array."""
    return isinstance(data, (str, os.PathLike, pd.DataFrame)) or hasattr(data, "read")


def _computed(data: Any) -> Any:
    """A Dask data frame as the pandas frame it computes to (a synthesizer works on rows in
    memory; the columns keep their names and kinds); any other data as it is."""
    return data.compute() if is_dask(data) and hasattr(data, "columns") else data


def _read(data: Any, options: dict[str, Any], estimator: Any, *, reset: bool
          ) -> tuple[pd.DataFrame, dict | None, str | None]:
    """The clean table, its cleaning report (as a dict) and the source's name."""
    from .data import read_table

    data = _computed(data)
    if not _is_table(data):
        data = _array_table(data, estimator, reset=reset)
    table = read_table(data, **{"policy": "keep", "kinds": "mixed", **options})
    source = None if isinstance(data, pd.DataFrame) else os.path.basename(str(data))
    return table.data.reset_index(drop=True), table.report.to_dict(), source


def _given_dtypes(data: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Column name -> the dtype ``data`` gives it: a frame's or a Parquet file's columns'
    (nothing for text and Excel tables, whose dtypes pandas guesses, or arrays);
    :data:`~densitykit._columns.PYTHON_DATES` for a column of ``datetime.date``."""
    from .data import infer_format, read_raw

    if isinstance(data, pd.DataFrame):
        raw = read_raw(data.head(0))  # the columns as read_table names them
        # a named index comes first, then the frame's columns
        cells = dict(zip(raw.columns[raw.shape[1] - data.shape[1]:],
                         (data.iloc[:, j] for j in range(data.shape[1]))))
    elif isinstance(data, (str, os.PathLike)) and infer_format(
            data, options.get("format")) == "parquet":
        raw = read_raw(data, format="parquet")
        cells = dict(raw.items())
    else:
        return {}
    return {c: _columns.PYTHON_DATES if c in cells and _columns.holds_python_dates(cells[c])
            else t for c, t in raw.dtypes.items()}


def _array_table(X: Any, estimator: Any, *, reset: bool) -> pd.DataFrame:
    """A 2-D array of numbers as a table with columns ``x0``, ``x1``, ...

    Checked as every densitykit estimator checks its input (``n_features_in_`` set or
    compared, NaN an empty cell, infinities, text, complex and sparse data refused); integer
    and boolean columns keep their kind. Text, categories and dates come in a frame or a file.
    """
    sparse = hasattr(X, "tocsr") or type(X).__module__.startswith("scipy.sparse")
    if not sparse:
        try:
            shape = np.shape(X)
        except ValueError:  # ragged rows: the check below words it
            shape = None
        if shape is not None and len(shape) != 2:
            raise DataError(f"data must be a 2-D table; got an array of shape {shape}.")
    kind = getattr(getattr(X, "dtype", None), "kind", None)
    if kind is None and not sparse:
        kind = np.asarray(X).dtype.kind
    # numbers stored as objects or text become floats; other numbers keep their dtype
    dtype = np.float64 if kind in ("O", "U", "S") else None
    try:
        arr = check_data(estimator, X, reset=reset, dtype=dtype, allow_nan=True)
    except DataError as exc:
        if "non-numeric" not in str(exc):
            raise
        raise DataError(f"{exc} A table with text, category or date columns goes in as a "
                        "pandas DataFrame or a file.") from None
    return pd.DataFrame(arr, columns=[f"x{j}" for j in range(arr.shape[1])])


def _frame(X: Any, columns: list[str], estimator: Any) -> pd.DataFrame:
    """Rows to score or judge as a frame of the model's columns: a frame's columns by name
    (their text: a frame's label 0 is column '0'; dates written as text read in the form
    the fitted table wrote them in, and numbers written as text ('6.3%', '08:30') as the
    numbers they write, as :meth:`Synthesizer.sample` gives them), an array's by position
    (checked against ``n_features_in_``)."""
    X = _computed(X)
    if isinstance(X, pd.DataFrame):
        names = {str(c): c for c in X.columns}
        missing = [c for c in columns if c not in names]
        if missing:
            raise DataError(f"the rows lack the model's column(s) {missing[:5]}.")
        frame = X[[names[c] for c in columns]]
        frame.columns = columns
        text = {c: _columns.parse_dates(frame[c], form)
                for c, form in _columns.date_formats_of(estimator).items()
                if c in columns and not pd.api.types.is_datetime64_any_dtype(frame[c])}
        text.update({c: _columns.read_numbers(frame[c], form)
                     for c, form in _columns.number_forms_of(estimator).items()
                     if c in columns and not pd.api.types.is_numeric_dtype(frame[c])})
        return frame.assign(**text) if text else frame
    frame = _array_table(X, estimator, reset=False)
    if frame.shape[1] != len(columns):  # a model file written before n_features_in_ was kept
        raise DataError(f"X has {frame.shape[1]} features, but {type(estimator).__name__} is "
                        f"expecting {len(columns)} features as input.")
    frame.columns = columns
    return frame


def _warn_unseen(name: str, values: pd.Series, n: int) -> None:
    """Warn that ``n`` rows hold categories of column ``name`` the model was not fitted on."""
    import warnings

    from .exceptions import OutsideRangeWarning

    shown = ", ".join(repr(v) for v in list(dict.fromkeys(map(str, values)))[:3])
    warnings.warn(f"{n} row(s) hold a value of column {name!r} the model was not fitted on "
                  f"({shown}): it gives them no probability, so their log-likelihood is -inf",
                  OutsideRangeWarning, stacklevel=user_stacklevel())


def _complete_scores(space: dict[str, Any], rows: pd.DataFrame, seed: int) -> np.ndarray:
    """Scores of the rows a space was fitted on, with repeated values and empty cells drawn
    given the rest of their row (:func:`densitykit._columns.copula_scores`).

    Observed cells keep their values (a score stays in its value's stretch of levels); the
    scores of empty cells are draws from their conditional, so the density is fitted on
    complete rows, and the cells come back empty when sampling (the indicators say which).
    """
    rng = np.random.default_rng(seed)
    Z = _columns.encode_table(space, rows, rng)
    return _columns.copula_scores(Z, _columns.table_bounds(space, rows), rng)


def _tidy_results(table: pd.DataFrame) -> pd.DataFrame:
    """One row per candidate, named like ``gmm-8``, with the columns the report shows."""
    out = pd.DataFrame({
        "candidate": [f"{f}-{s:g}" for f, s in zip(table["family"], table["size"])],
        "family": table["family"],
        "n_components": np.where(table["family"] == "gmm", table["size"], np.nan),
        "bandwidth": np.where(table["family"] == "kde", table["size"], np.nan),
    })
    for c in ("heldout_loglik", "heldout_loglik_median", "bic", "detection_auc", "share_closer",
              "fit_time", "cv_time", "error", "selected"):
        if c in table:
            out[c] = table[c].to_numpy()
    out["seconds"] = table[["fit_time", "cv_time"]].sum(axis=1, min_count=1).to_numpy()
    out = out.drop(columns=["fit_time", "cv_time"])
    fitted = out["heldout_loglik"].notna() | out["error"].notna()
    return out[fitted].reset_index(drop=True)


def _not_a_value(name: str, codec: dict[str, Any], value: Any, form: str | None) -> str:
    """Why ``value`` cannot be given for column ``name``, by the column's kind."""
    if codec["kind"] == "categorical":
        return (f"{value!r} is not a value column {name!r} had when the model was fitted; "
                "give one of its values.")
    if codec.get("time_unit"):
        return (f"{value!r} is not a date column {name!r} can hold; give a date"
                f"{f' written as {form!r}' if form else ''}.")
    return f"{value!r} is not a number; column {name!r} holds numbers."
