"""Slow, obvious kernel density estimates: one loop over data rows, closed-form kernels.

Normalisers are found by numerical integration of the radial profile, independently of the
closed forms in ``densitykit.kde``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate

PROFILES = {
    "gaussian": (lambda r: math.exp(-0.5 * r * r), math.inf),
    "tophat": (lambda r: 1.0 if r < 1 else 0.0, 1.0),
    "epanechnikov": (lambda r: 1.0 - r * r if r < 1 else 0.0, 1.0),
    "exponential": (lambda r: math.exp(-r), math.inf),
    "linear": (lambda r: 1.0 - r if r < 1 else 0.0, 1.0),
    "cosine": (lambda r: math.cos(0.5 * math.pi * r) if r < 1 else 0.0, 1.0),
    "biweight": (lambda r: (1.0 - r * r) ** 2 if r < 1 else 0.0, 1.0),
    "triweight": (lambda r: (1.0 - r * r) ** 3 if r < 1 else 0.0, 1.0),
}


def normaliser(kernel: str, d: int) -> float:
    """``∫_{R^d} k(|u|) du`` = sphere area x ``∫ r^{d-1} k(r) dr`` by quadrature."""
    k, support = PROFILES[kernel]
    top = support if math.isfinite(support) else 80.0 + 3.0 * d
    radial, _ = integrate.quad(lambda r: r ** (d - 1) * k(r), 0.0, top, limit=400,
                               epsabs=0, epsrel=1e-13)
    area = 2.0 * math.pi ** (d / 2) / math.gamma(d / 2)
    return area * radial


def radial_cdf(kernel: str, d: int, r: float) -> float:
    """CDF of the radius ``|u|`` of a draw from the unit kernel in ``R^d``."""
    k, support = PROFILES[kernel]
    top = support if math.isfinite(support) else 80.0
    f = lambda s: s ** (d - 1) * k(s)  # noqa: E731
    num, _ = integrate.quad(f, 0.0, min(r, top), limit=400)
    den, _ = integrate.quad(f, 0.0, top, limit=400)
    return num / den


def log_density(X, queries, kernel, bandwidth, weights=None):
    """Log-density at each query; ``bandwidth`` is a number, per-feature array or matrix."""
    X = np.asarray(X, float)
    Q = np.asarray(queries, float)
    n, d = X.shape
    w = np.ones(n) if weights is None else np.asarray(weights, float)
    w = w / w.sum()
    bw = np.asarray(bandwidth, float)
    if bw.ndim == 2:
        L = np.linalg.cholesky(bw)
    else:
        L = np.diag(np.broadcast_to(bw, (d,)))
    Linv = np.linalg.inv(L)
    det = abs(np.linalg.det(L))
    k, _ = PROFILES[kernel]
    z = normaliser(kernel, d) * det
    out = np.empty(len(Q))
    for i, q in enumerate(Q):
        total = 0.0
        for j in range(n):
            u = Linv @ (q - X[j])
            total += w[j] * k(float(np.sqrt(u @ u)))
        out[i] = math.log(total / z) if total > 0 else -math.inf
    return out
