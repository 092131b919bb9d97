"""Every warning densitykit raises names the user's line (the call into densitykit), however
deep in the library it is raised: a fit inside a TableModel, a classifier, a streamed or a
Dask fit, a synthesizer's draw."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from densitykit import (
    GaussianMixture,
    GenerativeClassifier,
    Normal,
    Synthesizer,
    TableModel,
)
from densitykit.exceptions import (
    ConvergenceWarning,
    OutsideRangeWarning,
    RegularizationWarning,
    UnderdeterminedWarning,
    user_stacklevel,
)

RNG = np.random.default_rng(0)
X = RNG.normal(size=(300, 3)) * [1.0, 1.0, 1e-4]  # a column too small for reg_covar=1e-6
FRAME = pd.DataFrame(X, columns=["a", "b", "c"])


def _mixture(_):
    GaussianMixture(2, random_state=0).fit(X)  # warns: mixture


def _too_few_rows(_):
    Normal(reg_covar="auto").fit(X[:3])  # warns: too few rows


def _not_converged(_):
    GaussianMixture(3, max_iter=2, reg_covar="auto").fit(X)  # warns: not converged


def _collapsed(_):
    rows = np.repeat(X[:4], 50, axis=0)  # four distinct rows: components collapse
    GaussianMixture(6, random_state=0, reg_covar=0.0).fit(rows)  # warns: collapsed


def _in_a_table_model(_):
    model = TableModel(GaussianMixture(2), column_transform=None)
    model.fit(FRAME)  # warns: inside a TableModel


def _in_a_classifier(_):
    GenerativeClassifier(Normal()).fit(X, X[:, 0] > 0)  # warns: inside a classifier


def _streamed(path):
    from densitykit.scale.stream import fit_stream

    fit_stream(GaussianMixture(2, random_state=0), path)  # warns: streamed


def _dask(_):
    da = pytest.importorskip("dask.array")
    GaussianMixture(2, random_state=0).fit(da.from_array(X, chunks=100))  # warns: dask


def _synthesizer_draw(_):
    synth = Synthesizer(model="gmm", n_components=[1]).fit(FRAME)
    synth.sample(3, given={"a": 50.0})  # warns: a synthesizer's draw


CASES = {
    "mixture": (_mixture, RegularizationWarning),
    "too few rows": (_too_few_rows, UnderdeterminedWarning),
    "not converged": (_not_converged, ConvergenceWarning),
    "collapsed": (_collapsed, ConvergenceWarning),
    "inside a TableModel": (_in_a_table_model, RegularizationWarning),
    "inside a classifier": (_in_a_classifier, RegularizationWarning),
    "streamed": (_streamed, RegularizationWarning),
    "dask": (_dask, RegularizationWarning),
    "a synthesizer's draw": (_synthesizer_draw, OutsideRangeWarning),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_warning_names_the_users_line(case, tmp_path):
    call, category = CASES[case]
    path = tmp_path / "rows.csv"
    FRAME.to_csv(path, index=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call(path)
    ours = [w for w in caught if issubclass(w.category, category)]
    assert ours, [str(w.message) for w in caught]
    assert {(w.filename, w.lineno) for w in ours} == {(__file__, _line_of(case))}


def _line_of(case: str) -> int:
    """The line of this file marked ``# warns: <case>``."""
    with open(__file__, encoding="utf-8") as fh:
        return next(i for i, line in enumerate(fh, 1) if line.rstrip().endswith(
            f"# warns: {case}"))


def test_user_stacklevel_counts_the_frames_inside_the_package():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("here", UserWarning, stacklevel=user_stacklevel())
    assert caught[0].filename == __file__
