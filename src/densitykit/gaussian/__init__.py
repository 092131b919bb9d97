"""Gaussian models: the normal distribution and Gaussian mixtures on one EM engine."""

from __future__ import annotations

from .mixture import GaussianMixture
from .normal import Normal

__all__ = ["GaussianMixture", "Normal"]
