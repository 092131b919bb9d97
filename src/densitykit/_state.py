"""Checks of a fitted state read from a model file: names, kinds, shapes and invariants.

Every estimator a model file can hold declares the state it needs in a
``_check_fitted_state()`` method next to its ``fit`` (scikit-learn's classes, which
densitykit nests, are declared in :data:`EXTERNAL_CHECKS`). :func:`densitykit.persist.load`
calls it on every estimator it rebuilds, innermost first, so a composite model only checks
its own attributes and that its parts fit together. The helpers here read the instance's
own attributes (never the class's) and raise :class:`StateError` naming the first attribute
that is missing, of the wrong kind or shape, or breaks an invariant.

Examples
--------
>>> import numpy as np
>>> from densitykit import Normal
>>> nd = Normal().fit(np.random.default_rng(0).normal(size=(50, 2)))
>>> nd._check_fitted_state()
>>> nd.mean_ = "abc"
>>> try:
...     nd._check_fitted_state()
... except StateError as exc:
...     print(exc)
mean_ should be an array of numbers; got str 'abc'
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._linalg import inverse_upper_transpose
from .exceptions import ModelFileError

__all__ = [
    "EXTERNAL_CHECKS",
    "StateError",
    "check_consistent",
    "check_covariance_state",
    "check_mixture_state",
    "check_weights",
    "fitted",
    "is_fitted_state",
    "need_array",
    "need_bool",
    "need_choice",
    "need_density",
    "need_float",
    "need_int",
    "need_list",
    "need_str_list",
    "optional",
]

#: tolerance of a sum of probabilities (mixture weights, priors)
WEIGHT_ATOL = 1e-8
#: relative tolerance of a derived attribute recomputed from the one it derives from
DERIVED_RTOL = 1e-6


class StateError(ModelFileError):
    """A fitted attribute read from a model file is missing, malformed or inconsistent."""

    def __init__(self, attribute: str, problem: str) -> None:
        super().__init__(f"{attribute} {problem}")
        self.attribute = attribute
        self.problem = problem


def _show(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:40]}{'...' if len(text) > 40 else ''}"


def is_fitted_state(state: dict[str, Any]) -> bool:
    """Whether a decoded state holds fitted attributes (names ending in ``_``)."""
    return any(k.endswith("_") and not k.startswith("__") for k in state)


def fitted(est: Any, name: str) -> Any:
    """The instance attribute ``name`` (never a class attribute), or a StateError."""
    own = vars(est)
    if name not in own:
        raise StateError(name, "is missing")
    return own[name]


def optional(est: Any, name: str) -> bool:
    """Whether the instance has ``name`` (attributes added by later versions)."""
    return name in vars(est)


def need_array(est: Any, name: str, *, kinds: str = "f", shape: Sequence[int | None] | None
               = None, ndim: int | Sequence[int] | None = None, finite: bool = True,
               positive: bool = False, nonneg: bool = False,
               value: Any = None) -> np.ndarray:
    """An array attribute of the given dtype kinds (``'f'`` floats, ``'i'`` integers, ...),
    shape (``None`` entries are free) or number of dimensions, and sign."""
    a = fitted(est, name) if value is None else value
    if isinstance(a, np.generic) and a.ndim == 0 and ndim is not None and 0 in np.atleast_1d(
            ndim):
        a = np.asarray(a)
    if not isinstance(a, np.ndarray):
        raise StateError(name, f"should be an array of numbers; got {_show(a)}")
    allowed = set(kinds) | ({"i", "u"} if "f" in kinds else set())
    if a.dtype.kind not in allowed:
        raise StateError(name, f"should hold {_kind_words(kinds)}; it holds dtype {a.dtype}")
    if ndim is not None and a.ndim not in np.atleast_1d(ndim):
        raise StateError(name, f"should have {_ndim_words(ndim)}; it has shape {a.shape}")
    if shape is not None:
        want = tuple(shape)
        if a.ndim != len(want) or any(w is not None and w != g for w, g in zip(want, a.shape)):
            shown = "(" + ", ".join("any" if w is None else str(w) for w in want) + \
                ("," if len(want) == 1 else "") + ")"
            raise StateError(name, f"should have shape {shown}; it has shape {a.shape}")
    if a.dtype.kind in "fc" and finite and not np.all(np.isfinite(a)):
        bad = "NaN" if np.isnan(a).any() else "an infinite value"
        raise StateError(name, f"should be finite; it holds {bad}")
    if positive and a.size and not np.all(a > 0):
        raise StateError(name, f"should be positive; its smallest value is {np.min(a):.6g}")
    if nonneg and a.size and not np.all(a >= 0):
        raise StateError(name, f"should be non-negative; its smallest value is "
                               f"{np.min(a):.6g}")
    return a


def _kind_words(kinds: str) -> str:
    words = {"f": "floats", "i": "integers", "u": "integers", "b": "booleans",
             "U": "strings", "O": "objects", "S": "bytes"}
    return " or ".join(dict.fromkeys(words.get(k, k) for k in kinds))


def _ndim_words(ndim: int | Sequence[int]) -> str:
    return " or ".join(f"{n} dimension{'s' if n != 1 else ''}" for n in np.atleast_1d(ndim))


def need_float(est: Any, name: str, *, finite: bool = True, positive: bool = False,
               nonneg: bool = False, allow_neg_inf: bool = False) -> float:
    """A real number attribute (a Python or NumPy float or integer, not a bool)."""
    v = fitted(est, name)
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v[()]
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Real, np.number)):
        raise StateError(name, f"should be a number; got {_show(v)}")
    x = float(v)
    if np.isnan(x) or (finite and np.isinf(x) and not (allow_neg_inf and x == -np.inf)):
        raise StateError(name, f"should be a finite number; got {x!r}")
    if positive and not x > 0:
        raise StateError(name, f"should be positive; got {x!r}")
    if nonneg and not x >= 0:
        raise StateError(name, f"should be non-negative; got {x!r}")
    return x


def need_int(est: Any, name: str, *, minimum: int | None = 0,
             maximum: int | None = None) -> int:
    """A whole-number attribute within ``[minimum, maximum]``."""
    v = fitted(est, name)
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Integral, np.integer)):
        raise StateError(name, f"should be a whole number; got {_show(v)}")
    if minimum is not None and v < minimum:
        raise StateError(name, f"should be at least {minimum}; got {int(v)}")
    if maximum is not None and v > maximum:
        raise StateError(name, f"should be at most {maximum}; got {int(v)}")
    return int(v)


def need_bool(est: Any, name: str) -> bool:
    v = fitted(est, name)
    if not isinstance(v, (bool, np.bool_)):
        raise StateError(name, f"should be True or False; got {_show(v)}")
    return bool(v)


def need_choice(est: Any, name: str, choices: Sequence[Any]) -> Any:
    v = fitted(est, name)
    if not isinstance(v, str) or v not in choices:
        raise StateError(name, f"should be one of {', '.join(map(repr, choices))}; got "
                               f"{_show(v)}")
    return v


def need_list(est: Any, name: str, *, length: int | None = None,
              minimum: int = 0) -> list:
    v = fitted(est, name)
    if not isinstance(v, (list, tuple)):
        raise StateError(name, f"should be a list; got {_show(v)}")
    if length is not None and len(v) != length:
        raise StateError(name, f"should have {length} entries; it has {len(v)}")
    if len(v) < minimum:
        raise StateError(name, f"should have at least {minimum} entries; it has {len(v)}")
    return list(v)


def need_str_list(est: Any, name: str, *, length: int | None = None) -> list[str]:
    v = need_list(est, name, length=length)
    for i, s in enumerate(v):
        if not isinstance(s, str):
            raise StateError(f"{name}[{i}]", f"should be a string; got {_show(s)}")
    return v


def need_density(est: Any, name: str, *, value: Any = None, n_features: int | None = None,
                 methods: Sequence[str] = ("score_samples",)) -> Any:
    """A nested fitted estimator with ``methods``, of ``n_features`` features when given
    and when it records them. Its own state was checked when it was rebuilt."""
    d = fitted(est, name) if value is None else value
    if d is None or isinstance(d, (str, bytes, numbers.Number, np.ndarray, list, tuple, dict)):
        raise StateError(name, f"should be a fitted model; got {_show(d)}")
    missing = [m for m in methods if not callable(getattr(d, m, None))]
    if missing:
        raise StateError(name, f"should be a model with {', '.join(missing)}; got a "
                               f"{type(d).__name__}")
    seen = vars(d).get("n_features_in_") if hasattr(d, "__dict__") else None
    if n_features is not None and seen is not None and seen != n_features:
        raise StateError(name, f"was fitted on {seen} features, but the model around it "
                               f"passes it {n_features}")
    return d


def check_weights(name: str, w: np.ndarray, atol: float = WEIGHT_ATOL) -> None:
    """Probabilities: finite (checked by :func:`need_array`), >= 0, summing to 1."""
    if w.size and np.min(w) < 0:
        raise StateError(name, f"should be non-negative; its smallest value is "
                               f"{np.min(w):.6g}")
    total = float(np.sum(w))
    if not abs(total - 1.0) <= atol:
        raise StateError(name, f"should sum to 1 (within {atol:g}); it sums to {total:.10g}")


def check_consistent(name: str, got: np.ndarray, expected: np.ndarray, source: str,
                     rtol: float = DERIVED_RTOL) -> None:
    """``got`` equals ``expected`` (recomputed from ``source``) within ``rtol`` of its
    largest entry, matrix by matrix along the first axis when there are several."""
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        raise StateError(name, f"has shape {got.shape}, not the {expected.shape} that "
                               f"{source} gives")
    lead = got.reshape(got.shape[0], -1) if got.ndim >= 3 else got.reshape(1, -1)
    ref = expected.reshape(lead.shape)
    scale = np.max(np.abs(ref), axis=1, initial=0.0)
    err = np.max(np.abs(lead - ref), axis=1, initial=0.0)
    bad = np.flatnonzero(~(err <= rtol * scale + np.finfo(float).tiny))
    if bad.size:
        where = f" (entry {int(bad[0])})" if lead.shape[0] > 1 else ""
        raise StateError(name, f"is inconsistent with {source}{where}: they differ by "
                               f"{err[bad[0]]:.3g} relative to {scale[bad[0]]:.3g}")


def check_spd(name: str, mats: np.ndarray, rtol: float = 1e-8) -> np.ndarray:
    """Symmetric positive-definite matrices (a stack ``(k, d, d)``); their lower Cholesky
    factors."""
    stack = mats if mats.ndim == 3 else mats[None]
    for i, m in enumerate(stack):
        where = f"{name}[{i}]" if mats.ndim == 3 else name
        scale = float(np.max(np.abs(m), initial=0.0))
        if not np.max(np.abs(m - m.T), initial=0.0) <= rtol * scale:
            raise StateError(where, "should be symmetric; it is not")
    try:
        chol = np.linalg.cholesky(stack)
    except np.linalg.LinAlgError:
        chol = None
    if chol is None or not np.all(np.isfinite(chol)) or not np.all(
            np.diagonal(chol, axis1=-2, axis2=-1) > 0):
        for i, m in enumerate(stack):
            low = float(np.linalg.eigvalsh(m)[0])
            if not low > 0:
                where = f"{name}[{i}]" if mats.ndim == 3 else name
                raise StateError(where, f"should be positive definite; its smallest "
                                        f"eigenvalue is {low:.6g}")
        raise StateError(name, "should be positive definite; its Cholesky factorisation "
                               "failed")
    return chol if mats.ndim == 3 else chol[0]


_COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


# --- Gaussian mixtures (densitykit's and scikit-learn's) ------------------------------------
def _stored_shapes(ctype: str, k: int, d: int) -> tuple[int, ...]:
    """Shape of ``covariances_`` (and of the precisions) for ``ctype``, as scikit-learn's."""
    return {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[ctype]


def check_covariance_state(ctype: str, cov: np.ndarray, pc: np.ndarray,
                           names: tuple[str, str]) -> None:
    """Covariances symmetric positive definite (positive for 'diag', 'spherical') and the
    precision factors ``U`` (``inv(cov) = U U^T``) the ones they give."""
    cname, pname = names
    if ctype in ("diag", "spherical"):
        need_array(None, cname, value=cov, positive=True)
        need_array(None, pname, value=pc, positive=True)
        check_consistent(pname, pc, 1.0 / np.sqrt(cov), cname)
        return
    chol = check_spd(cname, cov)
    check_consistent(pname, pc, inverse_upper_transpose(chol), cname)


def check_mixture_state(est, ctype: str) -> None:
    """The fitted state of a Gaussian mixture (densitykit's or scikit-learn's)."""
    if ctype not in _COVARIANCE_TYPES:
        raise StateError("covariance_type", f"should be one of "
                                f"{', '.join(map(repr, _COVARIANCE_TYPES))}; got {ctype!r}")
    weights = need_array(est, "weights_", ndim=1)
    k = weights.shape[0]
    if k < 1:
        raise StateError("weights_", "should hold at least one weight; it is empty")
    check_weights("weights_", weights)
    means = need_array(est, "means_", shape=(k, None))
    d = means.shape[1]
    if d < 1:
        raise StateError("means_", f"should have shape ({k}, n_features); it has "
                                f"shape {means.shape}")
    n = need_int(est, "n_features_in_", minimum=1)
    if n != d:
        raise StateError("n_features_in_", f"is {n}, but means_ has {d} features")
    shape = _stored_shapes(ctype, k, d)
    cov = need_array(est, "covariances_", shape=shape)
    pc = need_array(est, "precisions_cholesky_", shape=shape)
    check_covariance_state(ctype, cov, pc, ("covariances_", "precisions_cholesky_"))
    if optional(est, "precisions_"):
        prec = need_array(est, "precisions_", shape=shape)
        if ctype in ("diag", "spherical"):
            expected = pc**2
        else:
            expected = pc @ np.swapaxes(pc, -1, -2)
        check_consistent("precisions_", prec, expected, "precisions_cholesky_")
    if optional(est, "converged_"):
        need_bool(est, "converged_")
    if optional(est, "n_iter_"):
        need_int(est, "n_iter_", minimum=0)
    if optional(est, "lower_bound_"):
        need_float(est, "lower_bound_", allow_neg_inf=True)


# --- scikit-learn's classes that model files may nest ------------------------------------
def _n_features(est: Any, d: int | None = None) -> int:
    n = need_int(est, "n_features_in_", minimum=1)
    if d is not None and n != d:
        raise StateError("n_features_in_", f"is {n}, but the fitted arrays have {d} features")
    return n


def _check_pca(est: Any) -> None:
    comps = need_array(est, "components_", ndim=2)
    d = _n_features(est, comps.shape[1])
    need_array(est, "mean_", shape=(d,))
    q = comps.shape[0]
    for name in ("explained_variance_", "singular_values_"):
        if optional(est, name):
            need_array(est, name, shape=(q,), nonneg=True)


def _check_scaler(est: Any) -> None:
    d = _n_features(est)
    for name, positive in (("mean_", False), ("scale_", True), ("var_", False)):
        if optional(est, name) and fitted(est, name) is not None:
            need_array(est, name, shape=(d,), positive=positive, nonneg=name == "var_")


def _check_quantile(est: Any) -> None:
    q = need_array(est, "quantiles_", ndim=2)
    d = _n_features(est, q.shape[1])
    refs = need_array(est, "references_", shape=(q.shape[0],))
    if np.any(np.diff(q, axis=0) < 0) or np.any(np.diff(refs) < 0):
        raise StateError("quantiles_", "should be sorted along each column; it is not")
    del d


def _check_power(est: Any) -> None:
    lam = need_array(est, "lambdas_", ndim=1)
    _n_features(est, lam.shape[0])


def _check_sk_mixture(est: Any) -> None:
    check_mixture_state(est, est.covariance_type)


#: allow-listed class name -> check of its fitted state
EXTERNAL_CHECKS: dict[str, Callable[[Any], None]] = {
    "sklearn.PCA": _check_pca,
    "sklearn.StandardScaler": _check_scaler,
    "sklearn.QuantileTransformer": _check_quantile,
    "sklearn.PowerTransformer": _check_power,
    "sklearn.GaussianMixture": _check_sk_mixture,
}
