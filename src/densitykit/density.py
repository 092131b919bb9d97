"""The density protocol: what every density offers, in one place.

A density here is anything with ``fit``, ``score_samples`` and ``sample``. Its ``sample``
may return the rows alone or ``(rows, labels)``, and may or may not take ``random_state``
(scikit-learn's mixtures read the seed from the estimator); :func:`draw_rows` hides those
differences, so every caller that draws rows from a density goes through it.

Examples
--------
>>> import numpy as np
>>> from densitykit.gaussian import GaussianMixture
>>> gm = GaussianMixture(2, random_state=0).fit(np.random.default_rng(0).normal(size=(200, 2)))
>>> draw_rows(gm, 3, random_state=1).shape
(3, 2)
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from ._validation import check_random_state

__all__ = ["allows_nan", "draw_rows"]


def draw_rows(density: Any, n: int, random_state: Any = None) -> np.ndarray:
    """Draw ``n`` rows ``(n, d)`` as float64 from any density (see the module docstring)."""
    if type(density).__module__.startswith("densitykit"):
        out = density.sample(n, random_state=random_state)
    else:  # scikit-learn takes int seeds; its mixtures take the seed from the estimator
        seed = random_state
        if seed is not None and not isinstance(seed, (int, np.integer)):
            seed = int(check_random_state(seed).integers(2**31 - 1))
        if "random_state" in inspect.signature(density.sample).parameters:
            out = density.sample(n, random_state=seed)
        else:
            saved = getattr(density, "random_state", None)
            density.random_state = seed
            try:
                out = density.sample(n)
            finally:
                density.random_state = saved
    X = out[0] if isinstance(out, tuple) else out
    return np.asarray(X, dtype=np.float64).reshape(n, -1)


def allows_nan(density: Any) -> bool:
    """Whether ``density`` fits rows with empty (NaN) cells, by its scikit-learn tags;
    ``None`` stands for densitykit's ``GaussianMixture``, which does."""
    if density is None:
        return True
    try:
        from sklearn.utils import get_tags

        return bool(get_tags(density).input_tags.allow_nan)
    except (AttributeError, TypeError):  # not a scikit-learn estimator
        return False
