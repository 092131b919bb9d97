"""Compiled scalar maths shared by the numba loops (:mod:`densitykit.kde._loops`,
:mod:`densitykit._impute_loops`). Importing it imports numba, so only those modules do."""

from __future__ import annotations

import numba

__all__ = ["exp_nonpositive"]


@numba.njit(inline="always")
def exp_nonpositive(t):  # pragma: no cover - compiled
    """``exp(t)`` for ``-40 <= t <= 0`` as ``p(t / 128)^128``, ``p`` the degree-12 Taylor
    polynomial (its error is under 1e-16 on ``[-0.32, 0]``): branch-free, so a loop of it
    vectorises; relative error about 3e-14 (the seven squarings). Inlined, so it compiles
    with its caller's flags."""
    x = t * (1.0 / 128.0)
    p = 1.0 / 479001600.0
    p = p * x + 1.0 / 39916800.0
    p = p * x + 1.0 / 3628800.0
    p = p * x + 1.0 / 362880.0
    p = p * x + 1.0 / 40320.0
    p = p * x + 1.0 / 5040.0
    p = p * x + 1.0 / 720.0
    p = p * x + 1.0 / 120.0
    p = p * x + 1.0 / 24.0
    p = p * x + 1.0 / 6.0
    p = p * x + 0.5
    p = p * x + 1.0
    p = p * x + 1.0
    for _ in range(7):
        p = p * p
    return p
