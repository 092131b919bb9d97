"""Radial kernels: log-profile, normaliser in any dimension, radial sampler.

Every kernel is ``K(u) = k(|u|) / Z_d`` on ``R^d`` where ``u`` is the offset in bandwidth
units, ``k`` the profile (``k(0) = 1``) and ``Z_d = ∫ k(|u|) du`` its normaliser. The
definitions follow scikit-learn's ``KernelDensity`` (compact kernels have support radius 1).
Profiles are written as functions of the squared radius ``u2 = |u|^2``, the quantity the
evaluators get from one matrix product.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..exceptions import DataError

__all__ = ["KERNELS", "MARGINAL_KERNELS", "Kernel", "marginal_kernel", "sample_unit_kernel"]

_HALF_PI = 0.5 * np.pi


def _log_sphere_area(d: int) -> float:
    """Log surface area of the unit sphere in ``R^d``: ``2 π^{d/2} / Γ(d/2)``."""
    return float(np.log(2.0) + 0.5 * d * np.log(np.pi) - math.lgamma(0.5 * d))


def _log_beta(a: float, b: float) -> float:
    """``log B(a, b)`` (the standard library's ``lgamma``: no SciPy import for it)."""
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def _cosine_radial_moment(n: int) -> float:
    """``∫_0^1 r^n cos(π r / 2) dr`` by its alternating series (stable: terms shrink fast)."""
    k = np.arange(40)
    log_factorial = np.array([math.lgamma(2 * j + 1) for j in range(40)])  # log (2k)!
    terms = (-1.0) ** k * np.exp(2 * k * np.log(_HALF_PI) - log_factorial) / (n + 1 + 2 * k)
    return float(np.sum(terms[::-1]))


# ---- log-profiles of the squared radius ---------------------------------------------------
def _lp_gaussian(u2: np.ndarray) -> np.ndarray:
    return -0.5 * u2


def _lp_tophat(u2: np.ndarray) -> np.ndarray:
    return np.where(u2 < 1.0, 0.0, -np.inf)


def _power_profile(p: float) -> Callable[[np.ndarray], np.ndarray]:
    def lp(u2: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(u2 < 1.0, p * np.log1p(-np.minimum(u2, 1.0)), -np.inf)

    return lp


def _lp_exponential(u2: np.ndarray) -> np.ndarray:
    return -np.sqrt(u2)


def _lp_linear(u2: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(u2 < 1.0, np.log1p(-np.sqrt(np.minimum(u2, 1.0))), -np.inf)


def _lp_cosine(u2: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.cos(_HALF_PI * np.sqrt(np.minimum(u2, 1.0)))
        return np.where(u2 < 1.0, np.log(c), -np.inf)


# ---- radial laws: the radius |u| of a draw, in bandwidth units ---------------------------
def _r_power(p: float) -> Callable[[np.random.Generator, int, int], np.ndarray]:
    # density of s = r^2 is proportional to s^{d/2-1} (1-s)^p: Beta(d/2, p+1)
    def draw(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
        return np.sqrt(rng.beta(0.5 * d, p + 1.0, size=n))

    return draw


def _r_exponential(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    return rng.gamma(float(d), 1.0, size=n)  # r^{d-1} e^{-r}


def _r_linear(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    return rng.beta(float(d), 2.0, size=n)  # r^{d-1} (1 - r)


def _r_cosine(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    # propose r ~ Beta(d, 2) ∝ r^{d-1}(1-r); accept with cos(πr/2) / ((π/2)(1-r)) >= 2/π
    out = np.empty(0)
    while out.size < n:
        m = int(1.6 * (n - out.size)) + 16
        r = rng.beta(float(d), 2.0, size=m)
        t = _HALF_PI * (1.0 - r)
        ratio = np.where(t > 0, np.sin(t) / np.where(t > 0, t, 1.0), 1.0)
        out = np.concatenate([out, r[rng.random(m) < ratio]])
    return out[:n]


@dataclass(frozen=True)
class Kernel:
    """A radial kernel: what the evaluators, the rules and the sampler need to know.

    Attributes
    ----------
    name : registry key.
    code : small integer naming the profile for the compiled evaluator.
    log_profile : ``log k`` as a function of the squared radius (``-inf`` outside support).
    log_norm : ``d -> log Z_d``.
    radius : ``d, rng, n -> radii`` of draws, or ``None`` for the gaussian (drawn directly).
    second_moment : ``d -> E|u|^2`` of the unit kernel (its variance is that over ``d``).
    support : radius of the support (``inf`` when unbounded).
    slope : ``sup |k'(r)|``, the Lipschitz constant of the profile (``inf`` if none).
    """

    name: str
    code: int
    log_profile: Callable[[np.ndarray], np.ndarray]
    log_norm: Callable[[int], float]
    radius: Callable[[np.random.Generator, int, int], np.ndarray] | None
    second_moment: Callable[[int], float]
    support: float
    slope: float

    @property
    def compiled(self) -> bool:
        """Whether the compiled loops know this profile (registry kernels; not marginals)."""
        return self.code >= 0

    def variance(self, d: int) -> float:
        """Per-coordinate variance of a draw from the unit kernel in ``R^d``."""
        return self.second_moment(d) / d


def _power_kernel(name: str, code: int, p: float, slope: float) -> Kernel:
    return Kernel(
        name=name,
        code=code,
        log_profile=_lp_tophat if p == 0 else _power_profile(p),
        log_norm=lambda d: _log_sphere_area(d) - np.log(2.0) + _log_beta(0.5 * d, p + 1.0),
        radius=_r_power(p),
        second_moment=lambda d: (0.5 * d) / (0.5 * d + p + 1.0),
        support=1.0,
        slope=slope,
    )


def _cosine_second_moment(d: int) -> float:
    return _cosine_radial_moment(d + 1) / _cosine_radial_moment(d - 1)


KERNELS: dict[str, Kernel] = {
    "gaussian": Kernel(
        "gaussian", 0, _lp_gaussian, lambda d: 0.5 * d * np.log(2.0 * np.pi), None,
        lambda d: float(d), np.inf, float(np.exp(-0.5)),
    ),
    "tophat": _power_kernel("tophat", 1, 0, np.inf),
    "epanechnikov": _power_kernel("epanechnikov", 2, 1, 2.0),
    "exponential": Kernel(
        "exponential", 3, _lp_exponential,
        lambda d: _log_sphere_area(d) + math.lgamma(d), _r_exponential,
        lambda d: float(d * (d + 1)), np.inf, 1.0,
    ),
    "linear": Kernel(
        "linear", 4, _lp_linear,
        lambda d: _log_sphere_area(d) - float(np.log(d) + np.log(d + 1.0)), _r_linear,
        lambda d: d * (d + 1.0) / ((d + 2.0) * (d + 3.0)), 1.0, 1.0,
    ),
    "cosine": Kernel(
        "cosine", 5, _lp_cosine,
        lambda d: _log_sphere_area(d) + float(np.log(_cosine_radial_moment(d - 1))), _r_cosine,
        _cosine_second_moment, 1.0, _HALF_PI,
    ),
    "biweight": _power_kernel("biweight", 6, 2, 8.0 / (3.0 * np.sqrt(3.0))),
    "triweight": _power_kernel("triweight", 7, 3, 96.0 / (25.0 * np.sqrt(5.0))),
}


def sample_unit_kernel(kernel: Kernel, rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """Draw ``n`` offsets from the unit kernel in ``R^d`` (a uniform direction times a radius).

    Examples
    --------
    >>> import numpy as np
    >>> u = sample_unit_kernel(KERNELS["epanechnikov"], np.random.default_rng(0), 1000, 3)
    >>> u.shape, bool(np.all(np.linalg.norm(u, axis=1) < 1))
    ((1000, 3), True)
    """
    z = rng.standard_normal((n, d))
    if kernel.radius is None:
        return z
    norms = np.linalg.norm(z, axis=1)
    norms[norms == 0] = 1.0
    return z * (kernel.radius(rng, n, d) / norms)[:, None]


# ---- marginals: the density of a few coordinates of a draw from the unit kernel ----------
#: power-family kernels, ``k(r) = (1 - r^2)^p``: their marginals are power kernels again
_POWERS = {"tophat": 0, "epanechnikov": 1, "biweight": 2, "triweight": 3}
_BY_POWER = {1: "epanechnikov", 2: "biweight", 3: "triweight"}
#: kernels whose marginals are implemented (exactly); 'linear' and 'cosine' have none
MARGINAL_KERNELS = ("gaussian", *_POWERS, "exponential")


def _power_slope(a: float) -> float:
    """``sup_r |d/dr (1 - r^2)^a|`` on ``[0, 1)``: infinite below ``a = 1``."""
    if a < 1.0:
        return np.inf
    if a == 1.0:
        return 2.0
    r = 1.0 / np.sqrt(2.0 * a - 1.0)
    return float(2.0 * a * r * (1.0 - r * r) ** (a - 1.0))


def _lp_matern(nu: float) -> Callable[[np.ndarray], np.ndarray]:
    """``log(r^nu K_nu(r) / (2^(nu-1) Γ(nu)))`` of ``u2 = r^2`` (1 at ``r = 0``)."""
    log_peak = (nu - 1.0) * np.log(2.0) + math.lgamma(nu)

    def lp(u2: np.ndarray) -> np.ndarray:
        from scipy.special import kve  # here: scipy.special takes 0.2-0.4 s to import

        r = np.sqrt(np.asarray(u2, dtype=np.float64))
        safe = np.where(r > 0, r, 1.0)
        with np.errstate(divide="ignore", over="ignore"):
            v = nu * np.log(safe) + np.log(kve(nu, safe)) - safe - log_peak
        return np.where(r > 0, v, 0.0)

    return lp


def marginal_kernel(kernel: Kernel, d: int, q: int) -> Kernel:
    """The kernel of ``q`` coordinates of a draw from ``kernel`` in ``R^d`` (``1 <= q <= d``).

    A radial kernel's marginal is radial again, ``k_q(r) = ∫_{R^m} k(sqrt(r^2 + |w|^2)) dw
    / Z_m`` (``m = d - q`` coordinates integrated out), with normaliser ``Z_d / Z_m``. In
    closed form: the gaussian is itself; the power kernel ``(1 - r^2)^p`` (tophat ``p = 0``,
    epanechnikov, biweight, triweight) gives ``(1 - r^2)^(p + m/2)``; the exponential
    kernel ``e^(-r)`` gives the Matérn profile ``r^ν K_ν(r)`` with ``ν = (m + 1) / 2``.
    Registry kernels are returned where the marginal is one (so the compiled loops apply);
    other marginals have ``code = -1`` and are evaluated by the NumPy loops.

    Examples
    --------
    >>> marginal_kernel(KERNELS["tophat"], 3, 1).name  # (1 - r^2)^1
    'epanechnikov'
    >>> k = marginal_kernel(KERNELS["epanechnikov"], 2, 1)
    >>> k.name, k.compiled
    ('epanechnikov^1.5', False)
    >>> marginal_kernel(KERNELS["linear"], 2, 1)
    Traceback (most recent call last):
    ...
    densitykit.exceptions.DataError: kernel='linear' has no closed-form marginal ...
    """
    m = d - q
    if m == 0 or kernel.name == "gaussian":
        return kernel
    if kernel.name not in MARGINAL_KERNELS:
        raise DataError(
            f"kernel={kernel.name!r} has no closed-form marginal density, so rows with empty "
            f"(NaN) cells cannot be scored under it. Use one of "
            f"{', '.join(map(repr, MARGINAL_KERNELS))}, or fill the empty cells first."
        )
    if kernel.name == "exponential":
        nu = 0.5 * (m + 1)
        log_norm = float(kernel.log_norm(d) - kernel.log_norm(m))  # valid in q dimensions
        return Kernel(f"exponential~matern{nu:g}", -1, _lp_matern(nu), lambda _q: log_norm,
                      None, lambda _q: np.nan, np.inf, 1.0)
    a = _POWERS[kernel.name] + 0.5 * m
    if a in _BY_POWER:
        return KERNELS[_BY_POWER[int(a)]]
    return _power_kernel(f"epanechnikov^{a:g}", -1, a, _power_slope(a))
