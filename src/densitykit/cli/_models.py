"""Model options shared by ``fit``, ``select`` and ``classify``: kinds, grids, transforms.

Heavy imports happen inside the functions, never at module import.
"""

from __future__ import annotations

import argparse
from typing import Any

from ._common import CommandError, UsageError, info, n_jobs_value, number, parse_int_list

#: --model value -> what it is
MODEL_KINDS = {
    "gmm": "Gaussian mixture (densitykit.GaussianMixture)",
    "bayesian-gmm": "variational Bayesian Gaussian mixture: --components is an upper bound "
    "(default 10), the components the data do not need keep almost no weight "
    "(densitykit.BayesianGaussianMixture)",
    "normal": "one multivariate normal (densitykit.Normal)",
    "kde": "kernel density estimate (densitykit.KernelDensity)",
    "latent": "Gaussian mixture on principal components plus isotropic noise "
    "(densitykit.LatentDensity)",
}
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
TRANSFORM_CHOICES = ("standardize", "quantile", "yeo-johnson", "none")


def covariance_list(text: str) -> list[str]:
    """argparse type: 'full' or 'full,diag' -> a list of covariance types."""
    items = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in items if t not in COVARIANCE_TYPES]
    if bad or not items:
        raise argparse.ArgumentTypeError(
            f"unknown covariance type(s) {bad or text!r}; choose from {', '.join(COVARIANCE_TYPES)}"
        )
    return items


def add_model_options(parser: argparse.ArgumentParser, *, default_components: str = "1-10",
                      selection: bool = True, default_model: str = "gmm") -> None:
    group = parser.add_argument_group("the model")
    group.add_argument("--model", choices=list(MODEL_KINDS), default=default_model,
                       help="model kind: " + "; ".join(f"{k}: {v}" for k, v in
                                                      MODEL_KINDS.items())
                       + f" (default: {default_model})")
    by = "--criterion" if selection else "held-out log-likelihood on 5 contiguous folds"
    group.add_argument(
        "--components", type=parse_int_list, default=None, metavar="N|A-B|A,B,...",
        help=f"mixture components: a number, a range or a list; several values are compared "
        f"by {by} (default: {default_components})",
    )
    group.add_argument(
        "--covariance-type", type=covariance_list, default=None, metavar="TYPE[,TYPE...]",
        help=f"covariance type(s) among {', '.join(COVARIANCE_TYPES)}; several are compared "
        + ("" if selection else "the same way ") + "(default: full)",
    )
    if selection:
        group.add_argument(
            "--criterion", choices=["cv", "bic", "aic"], default="cv",
            help="how candidates are compared: cv (held-out log-likelihood on contiguous "
            "folds, robust for time-ordered data), bic or aic (default: cv)",
        )
        group.add_argument("--n-jobs", type=n_jobs_value, default=None,
                           help="candidates fitted in parallel (-1: every core)")
    group.add_argument("--transform", choices=TRANSFORM_CHOICES, default="standardize",
                       help="per-column transform before fitting; samples and scores stay in "
                       "the table's units (default: standardize)")
    group.add_argument("--clip", action="store_true",
                       help="clip sampled values to each column's observed range")
    group.add_argument("--no-round", action="store_true",
                       help="do not round samples to the table's precision (integer-valued "
                       "columns to whole numbers, the others to the decimals they were "
                       "given with)")
    group.add_argument("--bandwidth", default=None,
                       help="kde bandwidth: a number (in transformed units) or a rule name")
    group.add_argument("--latent-dims", type=_latent_dims, default=0.95, metavar="K|FRACTION",
                       help="latent model: principal directions kept, or the fraction of "
                       "variance to keep (default: 0.95)")
    group.add_argument("--reg-covar", type=_reg_covar, default=None, metavar="VALUE|auto",
                       help="covariance regularisation added to the diagonal (gmm, bayesian-gmm, "
                       "normal): a number in the transformed units, or 'auto' (1e-6 of each "
                       "column's variance; gmm, normal; the default with --transform none)")
    parser.set_defaults(_default_components=default_components)


#: argparse type for --reg-covar: a number >= 0, or 'auto'
_reg_covar = number(float, low=0.0, words={"auto"}, what="a number >= 0 or 'auto'",
                    refuse="expected {what}, got {text!r}")
_LATENT_DIMS = "expected a whole count >= 1 or a fraction in (0, 1); got {text!r}"
_above_zero = number(float, low=0.0, exclusive=True, what="a count or a fraction",
                     refuse=_LATENT_DIMS)


def _latent_dims(text: str) -> int | float:
    """argparse type for --latent-dims: a fraction in (0, 1), or a whole count >= 1."""
    value = _above_zero(text)
    if value < 1:
        return value
    if value.is_integer():
        return int(value)
    raise argparse.ArgumentTypeError(_LATENT_DIMS.format(text=text))


def _bandwidth(text: str | None) -> Any:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return text
    if not value > 0:
        raise UsageError(f"--bandwidth must be positive, got {text}")
    return value


#: the most mixture sizes one search tries; a longer --components list is thinned
MAX_CANDIDATES = 50


def _span(ks: list[int]) -> str:
    return str(ks[0]) if len(ks) == 1 else (
        f"{ks[0]}-{ks[-1]}" if ks == list(range(ks[0], ks[-1] + 1)) else
        ",".join(map(str, ks)) if len(ks) <= 6 else f"{len(ks)} sizes from {ks[0]} to {ks[-1]}")


def cap_components(args: argparse.Namespace, ks: list[int], n_rows: int | None) -> list[int]:
    """Mixture sizes worth trying on ``n_rows`` rows: at most half the rows each, and at
    most :data:`MAX_CANDIDATES` of them (spread evenly on a log scale); one line says so."""
    if len(ks) == 1:
        return ks
    most = max(1, n_rows // 2) if n_rows else ks[-1]
    kept = [k for k in ks if k <= most]
    if not kept:
        raise UsageError(f"--components {_span(ks)}: every size is above {most}, half of the "
                         f"{n_rows} rows; give sizes up to {most}")
    if len(kept) > MAX_CANDIDATES:
        import numpy as np

        pos = np.unique(np.round(np.geomspace(1, len(kept), MAX_CANDIDATES)).astype(int) - 1)
        kept = [kept[i] for i in pos]
    if kept != ks:
        why = [f"at most {most} components (half of the {n_rows} rows)"] if most < ks[-1] else []
        if len(kept) < len([k for k in ks if k <= most]):
            why.append(f"at most {MAX_CANDIDATES} candidates")
        info(args, f"--components {_span(ks)}: trying {_span(kept)} ({len(kept)} "
                   f"candidates): {' and '.join(why)}")
    return kept


def build_density(args: argparse.Namespace, seed: int, *, force_selection: bool = False,
                  n_rows: int | None = None, n_cols: int | None = None) -> tuple[Any, bool]:
    """Return (density, is_selection) from the model options; a grid of mixture sizes is
    capped by the ``n_rows`` the model will be fitted on, and a table too wide for every
    covariance type asked for is refused before anything is fitted."""
    kind = args.model
    comps = args.components or parse_int_list(args._default_components)
    if kind == "bayesian-gmm" and args.components is None:  # one fit up to the largest size
        comps = [min(comps[-1], max(1, n_rows // 2)) if n_rows else comps[-1]]
    if kind in ("gmm", "latent", "bayesian-gmm"):
        comps = cap_components(args, comps, n_rows)
    covs = args.covariance_type or ["full"]
    if kind not in ("gmm", "latent", "bayesian-gmm") and args.components is not None:
        raise UsageError(f"--components applies to --model gmm, bayesian-gmm or latent, "
                         f"not {kind}")
    if kind == "kde" and args.covariance_type is not None:
        raise UsageError("--covariance-type does not apply to --model kde")
    if kind != "kde" and args.bandwidth is not None:
        raise UsageError(f"--bandwidth applies to --model kde, not {kind}")
    if kind == "kde":
        from ..kde import KernelDensity

        if force_selection:
            raise UsageError("model selection compares gmm or normal candidates, not kde")
        bw = _bandwidth(args.bandwidth)
        return (KernelDensity() if bw is None else KernelDensity(bandwidth=bw)), False
    reg = {} if args.reg_covar is None else {"reg_covar": args.reg_covar}
    if not reg and args.transform == "none" and kind != "bayesian-gmm":
        reg = {"reg_covar": "auto"}  # columns in their own units: relative regularisation
    if kind in ("gmm", "normal") and n_rows and n_cols:
        refuse_wide(kind, covs, min(comps) if kind == "gmm" else 1, n_rows, n_cols)
    if kind == "normal":
        from ..gaussian import Normal

        if len(covs) > 1 or force_selection:
            return _selector(args, Normal(**reg), {"covariance_type": covs}, seed,
                             n_rows), True
        return Normal(covariance_type=covs[0], **reg), False
    from ..gaussian import BayesianGaussianMixture, GaussianMixture

    cls = BayesianGaussianMixture if kind == "bayesian-gmm" else GaussianMixture
    base = cls(n_components=comps[0], covariance_type=covs[0], random_state=seed, **reg)
    grid = {"n_components": comps, "covariance_type": covs}
    if kind == "latent":
        from ..latent import LatentDensity

        base = LatentDensity(density=base, n_components=args.latent_dims)
        grid = {f"density__{k}": v for k, v in grid.items()}
    if len(comps) == 1 and len(covs) == 1 and not force_selection:
        return base, False
    return _selector(args, base, grid, seed, n_rows), True


def refuse_empty_cells(args: argparse.Namespace, data: Any) -> None:
    """Stop before fitting a kind that needs complete rows to a table whose empty cells
    --policy keep kept (gmm and normal fit and score rows with empty cells)."""
    if args.model in ("gmm", "normal"):
        return
    n_empty = int(data.isna().to_numpy().sum())
    if n_empty:
        raise CommandError(
            f"--model {args.model} is fitted to complete rows, and --policy {args.policy} kept "
            f"{n_empty} empty cell(s); use --model gmm or normal (they fit rows with empty "
            "cells), or --policy drop-rows")


def refuse_wide(kind: str, covs: list[str], k: int, n_rows: int, n_cols: int) -> None:
    """Stop at once when no covariance type in ``covs`` can be fitted to the table (see
    :func:`densitykit.gaussian.hopeless`): one clear line instead of a failed fit
    per candidate."""
    from ..gaussian import hopeless

    reasons = [hopeless(c, k, n_rows, n_cols) for c in covs]
    if all(reasons):
        what = f"{k} component{'s' if k > 1 else ''}" if kind == "gmm" else "a normal"
        raise CommandError(
            f"{n_rows:,} rows x {n_cols:,} columns is too wide for {what} with a "
            f"{covs[0]} covariance: {reasons[0]}. Use --covariance-type diag or spherical, "
            "--model latent (a mixture on principal components) or kde, or fewer columns "
            "(--columns, --exclude)")


def _selector(args: argparse.Namespace, base: Any, grid: dict[str, list], seed: int,
              n_rows: int | None) -> Any:
    """The selector of the candidates; a table of ``n_rows`` too short for its folds is
    refused (:func:`_refuse_too_few_rows`)."""
    try:
        from ..selection import ModelSelector
    except ImportError:
        raise UsageError(
            "comparing several candidates needs densitykit.selection, which this installation "
            "lacks; give a single --components and --covariance-type"
        ) from None
    selector = ModelSelector(base, grid, criterion=getattr(args, "criterion", "cv"),
                             n_jobs=getattr(args, "n_jobs", None), random_state=seed)
    _refuse_too_few_rows(args, selector.cv, n_rows)
    return selector


def _refuse_too_few_rows(args: argparse.Namespace, folds: int, n_rows: int | None) -> None:
    """Stop before comparing candidates on a table too short for the selector's folds (held
    out for every criterion), naming the options of this command that fit one model; the
    selector's own message names its ``cv=``, which the commands do not have."""
    if n_rows is None or n_rows >= 2 * folds:
        return
    one = ("--covariance-type" if args.model == "normal"
           else "--components (and --covariance-type)")
    fix = (f"use 'densitykit fit' with a single {one}" if getattr(args, "_command", "") ==
           "select" else f"give a single {one} to fit one model")
    raise CommandError(
        f"comparing candidates holds out rows in {folds} folds (with every --criterion) and "
        f"needs at least {2 * folds} rows; the table has {n_rows}. To fit anyway, {fix}")


def transform_arg(args: argparse.Namespace) -> str | None:
    return None if args.transform == "none" else args.transform


def _count(n: int, noun: str) -> str:
    """``'1 component'``, ``'3 components'``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def describe(model: Any) -> str:
    """One line naming a fitted model: kind and size."""
    inner = getattr(model, "density_", model)
    name = type(inner).__name__
    if hasattr(inner, "n_latent_"):
        return (f"{name} ({inner.n_latent_} latent dimensions + isotropic noise; "
                f"{describe(inner.density_)})")
    if hasattr(inner, "weight_concentration_"):  # a variational mixture: how many it uses
        used = int((inner.weights_ > 0.01).sum())
        return (f"{name} ({_count(inner.n_components, 'component')}, {used} above 1% weight, "
                f"{inner.covariance_type} covariance)")
    if hasattr(inner, "n_components") and hasattr(inner, "weights_"):
        return (f"{name} ({_count(inner.n_components, 'component')}, "
                f"{inner.covariance_type} covariance)")
    if hasattr(inner, "covariance_type"):
        return f"{name} ({inner.covariance_type} covariance)"
    bw = getattr(inner, "bandwidth_", None)
    if bw is not None:
        import numpy as np

        return f"{name} (bandwidth {np.round(np.ravel(bw)[:1], 4)[0]:g})"
    return name


def selection_table(model: Any) -> Any:
    """If the model's density is a fitted selector, replace it by the chosen candidate.

    Returns the candidates table (or None). The model then samples, scores and conditions
    like a plain fitted model; the table goes into the file's metadata.
    """
    from .._estimator import clone

    inner = getattr(model, "density_", None)
    if inner is None or not hasattr(inner, "best_estimator_"):
        return None
    table = inner.results_.copy()
    table = table.drop(columns=[c for c in ("model",) if c in table.columns])
    best = inner.best_estimator_
    params = best.get_params(deep=True)
    model.density = clone(best).set_params(
        **{k: None for k in params
           if k.rsplit("__", 1)[-1] in ("weights_init", "means_init", "precisions_init")}
    )
    model.density_ = best
    return table


def candidate_columns(table: Any, extra: tuple[str, ...] = ()) -> list[str]:
    """Columns of a candidates table worth printing: the grid, then the criteria."""
    grid = [c for c in table.columns
            if c.rsplit("__", 1)[-1] in ("n_components", "covariance_type")]
    wanted = ("n_parameters", "bic", *extra, "heldout_loglik", "selected")
    return grid + [c for c in wanted if c in table.columns]
