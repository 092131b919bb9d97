"""Kernel density estimation: every kernel, scale-aware bandwidths, sampling, fast evaluators.

Examples
--------
>>> import numpy as np
>>> from densitykit.kde import KernelDensity
>>> x = np.random.default_rng(0).normal(size=(500, 1))
>>> kde = KernelDensity(bandwidth="isj").fit(x)
>>> grid, density = kde.grid()
>>> bool(abs(np.trapezoid(density, grid) - 1) < 1e-3)
True
"""

from __future__ import annotations

from ._bandwidth import RULES, improved_sheather_jones
from ._binned import binned_error_bound
from ._estimator import ALGORITHMS, KernelDensity
from ._kernels import KERNELS

__all__ = [
    "ALGORITHMS",
    "KERNELS",
    "RULES",
    "KernelDensity",
    "binned_error_bound",
    "improved_sheather_jones",
]
