"""Gaussian models: the normal distribution and Gaussian mixtures on one EM engine.

Besides the estimators and the sweeps of ``n_components``, the package exports what other
packages build on: the chunked fit that the scale-out adapters feed (``fit_chunked`` over a
``ChunkSource``, with ``Moments``, ``chunk_moments``, ``sum_parts`` and ``INIT_SAMPLE``) and
``hopeless``, which tells the fits refused as too wide before any is tried.
"""

from __future__ import annotations

from ._base import hopeless
from ._driver import INIT_SAMPLE, ChunkSource, Moments, chunk_moments, fit_chunked, sum_parts
from ._sweep import SweptCandidate, can_sweep, sweep_n_components
from .bayesian import BayesianGaussianMixture
from .mixture import GaussianMixture
from .normal import Normal

__all__ = ["INIT_SAMPLE", "BayesianGaussianMixture", "ChunkSource", "GaussianMixture",
           "Moments", "Normal", "SweptCandidate", "can_sweep", "chunk_moments", "fit_chunked",
           "hopeless", "sum_parts", "sweep_n_components"]
