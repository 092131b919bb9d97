"""Gaussian models: the normal distribution and Gaussian mixtures on one EM engine."""

from __future__ import annotations

from ._sweep import SweptCandidate, can_sweep, sweep_n_components
from .bayesian import BayesianGaussianMixture
from .mixture import GaussianMixture
from .normal import Normal

__all__ = ["BayesianGaussianMixture", "GaussianMixture", "Normal", "SweptCandidate",
           "can_sweep", "sweep_n_components"]
