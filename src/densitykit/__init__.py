"""densitykit: fast, robust generative models for tables and images.

Fit a probability density, choose its complexity on principle, score rows under it, draw
synthetic rows from it and classify with class-conditional densities.

Heavy modules are imported on first use, so ``import densitykit`` is cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "Normal": "densitykit.gaussian",
    "GaussianMixture": "densitykit.gaussian",
    "BayesianGaussianMixture": "densitykit.gaussian",
    "KernelDensity": "densitykit.kde",
    "DensityMixture": "densitykit.compose",
    "ModelSelector": "densitykit.selection",
    "select_model": "densitykit.selection",
    "LatentDensity": "densitykit.latent",
    "GenerativeClassifier": "densitykit.classify",
    "read_table": "densitykit.data",
    "write_table": "densitykit.data",
    "CleaningReport": "densitykit.data",
    "TableModel": "densitykit.preprocess",
    "Synthesizer": "densitykit.synth",
    "save": "densitykit.persist",
    "load": "densitykit.persist",
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'densitykit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
