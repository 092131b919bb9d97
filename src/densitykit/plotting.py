"""Figures for densities: histograms, mixtures with ellipses, criteria, samples, confusion.

matplotlib is imported on first use (install it with ``pip install densitykit[plot]``).
Every function draws on ``ax``/``axes`` when given, otherwise on a new figure, and returns
the matplotlib objects it made so that callers can restyle or save them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._results import RESULT_COLUMNS
from ._validation import require
from .exceptions import DataError, ParameterError

__all__ = [
    "ellipse",
    "ellipse_geometry",
    "plot_confusion_matrix",
    "plot_criterion",
    "plot_data_vs_synthetic",
    "plot_density_1d",
    "plot_image_grid",
    "plot_mixture_2d",
]

#: colours of the chapter, one per component or class (cycled)
PALETTE = (
    "#003057",
    "#EAAA00",
    "#4B8B9B",
    "#B3A369",
    "#377117",
    "#1879DB",
    "#8E8B76",
    "#F5D580",
    "#002233",
    "#808080",
)


#: columns of a selection table that are results, not grid parameters
_RESULT_COLUMNS = frozenset({*RESULT_COLUMNS, "rank", "selected"})


def _plt() -> Any:
    require("matplotlib", "plot", "densitykit.plotting")
    import matplotlib.pyplot as plt

    return plt


def _fig_ax(ax: Any, **kwargs: Any) -> tuple[Any, Any]:
    if ax is not None:
        return ax.figure, ax
    return _plt().subplots(**kwargs)


def _colour(i: Any) -> Any:
    return np.asarray(PALETTE, dtype=object)[np.asarray(i) % len(PALETTE)]


def _principal_axes(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Variances (ascending, negative round-off clipped to 0) and directions of a 2x2
    covariance: the one eigendecomposition behind both ellipse forms."""
    cov = np.asarray(cov, dtype=np.float64)
    if cov.shape != (2, 2):
        raise ParameterError(f"cov must be a 2x2 covariance matrix; got shape {cov.shape}.")
    evals, evecs = np.linalg.eigh(cov)
    return np.maximum(evals, 0.0), evecs


def ellipse(mean: np.ndarray, cov: np.ndarray, n_std: float = 2.0, n: int = 65) -> np.ndarray:
    """Points ``(n, 2)`` on the ``n_std`` standard-deviation ellipse of a 2-D Gaussian.

    Examples
    --------
    >>> xy = ellipse(np.zeros(2), np.diag([4.0, 1.0]), n_std=1.0)
    >>> np.round(np.abs(xy).max(axis=0), 6)
    array([2., 1.])
    """
    evals, evecs = _principal_axes(cov)
    t = np.linspace(0, 2 * np.pi, n)
    circle = np.column_stack([np.cos(t), np.sin(t)])
    return mean + n_std * (circle * np.sqrt(evals)) @ evecs.T


def ellipse_geometry(cov: np.ndarray, n_sigma: float = 1.0) -> tuple[float, float, float]:
    """Return ``(width, height, angle_degrees)`` of the ``n_sigma`` ellipse of a 2x2 covariance.

    Examples
    --------
    >>> ellipse_geometry(np.diag([4.0, 1.0]), 2.0)
    (8.0, 4.0, 0.0)
    """
    evals, evecs = _principal_axes(cov)
    evals, evecs = evals[::-1], evecs[:, ::-1]
    angle = float(np.degrees(np.arctan2(evecs[1, 0], evecs[0, 0])))
    angle = (angle + 90.0) % 180.0 - 90.0
    width, height = 2.0 * n_sigma * np.sqrt(evals)
    return float(width), float(height), angle + 0.0


def plot_density_1d(
    x: Any,
    density: Any,
    *,
    bins: int | str = 50,
    grid: Any = None,
    ax: Any = None,
    labels: Sequence[str] = ("Data", "Density"),
) -> tuple[Any, Any]:
    """Histogram of 1-D data against a fitted density's ``exp(score_samples)``.

    Parameters
    ----------
    x : array-like of shape (n,) or (n, 1)
    density : fitted estimator with ``score_samples`` on one feature
    bins : int or str, default=50
    grid : array-like, optional
        Where to evaluate the density (default: 1,000 points over the data's range).
    ax : matplotlib Axes, optional

    Returns
    -------
    fig, ax
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    if grid is None:
        lo, hi = x.min(), x.max()
        pad = 0.05 * (hi - lo if hi > lo else 1.0)
        grid = np.linspace(lo - pad, hi + pad, 1000)
    grid = np.asarray(grid, dtype=np.float64).reshape(-1)
    fig, ax = _fig_ax(ax)
    ax.hist(x, bins=bins, density=True, alpha=0.5, color=PALETTE[2], label=labels[0])
    ax.plot(grid, np.exp(density.score_samples(grid[:, None])), color=PALETTE[0], label=labels[1])
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    ax.legend()
    return fig, ax


def plot_mixture_2d(
    gmm: Any,
    X: Any,
    *,
    columns: Sequence[int] = (0, 1),
    sigmas: Sequence[float] = (1, 2, 3),
    label: bool = True,
    ax: Any = None,
    alpha: float = 0.2,
) -> tuple[Any, Any, list[Any]]:
    """Scatter coloured by component with covariance ellipses at 1, 2 and 3 sigma.

    Works for every covariance type; for more than two features the ellipses are those of
    the marginal mixture of ``columns``.

    Returns
    -------
    fig, ax, ellipses : the list of ``matplotlib.patches.Ellipse`` drawn (component-major).
    """
    from matplotlib.patches import Ellipse

    from .gaussian.conditional import full_covariances, marginal

    X = np.asarray(X, dtype=np.float64)
    cols = list(columns)
    if X.ndim != 2 or len(cols) != 2:
        raise DataError("X must be 2-D and columns must name exactly two features.")
    model = gmm if np.asarray(gmm.means_).shape[1] == 2 and cols == [0, 1] else marginal(gmm, cols)
    fig, ax = _fig_ax(ax)
    colour = _colour(gmm.predict(X)) if label else PALETTE[0]
    ax.scatter(X[:, cols[0]], X[:, cols[1]], c=list(np.atleast_1d(colour)), s=8, alpha=alpha)
    ellipses = []
    covs = full_covariances(model)
    for k, (mean, cov, w) in enumerate(zip(model.means_, covs, model.weights_)):
        for ns in sigmas:
            width, height, angle = ellipse_geometry(cov, ns)
            e = Ellipse(
                tuple(mean),
                width,
                height,
                angle=angle,
                facecolor=_colour(k),
                edgecolor="k",
                alpha=float(min(0.6, 0.15 + 0.5 * w)),
                lw=0.5,
            )
            ax.add_patch(e)
            ellipses.append(e)
    return fig, ax, ellipses


def plot_criterion(
    results: Any,
    y: str = "bic",
    x: str = "n_components",
    *,
    hue: str | None = None,
    ax: Any = None,
) -> tuple[Any, Any]:
    """Criterion curve from a :class:`~densitykit.selection.ModelSelector` table.

    One line per value of ``hue`` (default: the other grid column that varies, if any);
    held-out log-likelihood gets one-standard-error bars; the selected candidate is circled.

    Returns
    -------
    fig, ax
    """
    import pandas as pd

    table = pd.DataFrame(results)
    for col in (x, y):
        if col not in table:
            raise ParameterError(
                f"results has no column {col!r}; columns are {list(table.columns)}.")
    if hue is None:
        params = [c for c in table.columns if c not in _RESULT_COLUMNS and c != x]
        varying = [c for c in params if table[c].astype(str).nunique() > 1]
        hue = varying[0] if varying else None
    fig, ax = _fig_ax(ax)
    groups = [(None, table)] if hue is None else list(table.groupby(hue, sort=False))
    for i, (key, part) in enumerate(groups):
        part = part.sort_values(x)
        se = part.get(f"{y}_se")
        kwargs = {
            "color": _colour(i),
            "marker": "o",
            "ms": 3,
            "label": None if key is None else f"{hue}={key}",
        }
        if se is not None:
            ax.errorbar(part[x], part[y], yerr=se, capsize=2, **kwargs)
        else:
            ax.plot(part[x], part[y], **kwargs)
    if "selected" in table and table["selected"].any():
        best = table[table["selected"]]
        ax.plot(best[x], best[y], "o", ms=12, mfc="none", mec="red", label="selected")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if hue is not None or ("selected" in table and table["selected"].any()):
        ax.legend()
    return fig, ax


def plot_data_vs_synthetic(
    X: Any,
    X_synthetic: Any,
    *,
    columns: Sequence[int] = (0, 1),
    axes: Any = None,
    titles: Sequence[str] = ("Original data", "Synthetic data"),
    alpha: float = 0.2,
) -> tuple[Any, Any]:
    """Data and synthetic rows side by side (scatter of two columns, or histograms in 1-D).

    Returns
    -------
    fig, axes : the two Axes share their x and y limits.
    """
    X = np.asarray(X, dtype=np.float64)
    S = np.asarray(X_synthetic, dtype=np.float64)
    if X.ndim == 1:
        X, S = X[:, None], S.reshape(-1, 1)
    if axes is None:
        fig, axes = _plt().subplots(1, 2, figsize=(10, 4.5), sharex=True, sharey=True)
    else:
        fig = axes[0].figure
    cols = list(columns) if X.shape[1] > 1 else [0]
    for ax, data, title in zip(axes, (X, S), titles):
        if len(cols) == 1:
            ax.hist(data[:, cols[0]], bins=50, density=True, color=PALETTE[0], alpha=0.7)
        else:
            ax.scatter(data[:, cols[0]], data[:, cols[1]], s=6, alpha=alpha, color=PALETTE[0])
        ax.set_title(title)
    return fig, axes


def plot_image_grid(
    images: Any,
    *,
    shape: tuple[int, int] = (8, 8),
    n_cols: int = 10,
    cmap: str = "binary",
    axes: Any = None,
) -> tuple[Any, Any]:
    """Show rows of ``images`` (e.g. 64-pixel digits) as a grid of small pictures.

    Returns
    -------
    fig, axes : the 2-D array of Axes (unused cells are hidden).
    """
    imgs = np.asarray(images, dtype=np.float64)
    if imgs.ndim == 1:
        imgs = imgs[None]
    if imgs.shape[-1] != shape[0] * shape[1]:
        raise ParameterError(
            f"each image must have {shape[0] * shape[1]} values for shape {shape}; got "
            f"{imgs.shape[-1]}. Pass shape=(height, width)."
        )
    n = imgs.shape[0]
    n_cols = max(1, min(n_cols, n))
    n_rows = int(np.ceil(n / n_cols))
    if axes is None:
        fig, axes = _plt().subplots(
            n_rows, n_cols, figsize=(0.9 * n_cols, 0.9 * n_rows), squeeze=False
        )
    else:
        axes = np.atleast_2d(axes)
        fig = axes.flat[0].figure
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i < n:
            ax.imshow(imgs[i].reshape(shape), cmap=cmap)
        else:
            ax.set_visible(False)
    return fig, axes


def plot_confusion_matrix(
    y_true: Any,
    y_pred: Any,
    *,
    labels: Any = None,
    ax: Any = None,
    cmap: str = "Blues",
) -> tuple[Any, Any, np.ndarray]:
    """Annotated confusion matrix (rows: true class, columns: predicted class).

    Returns
    -------
    fig, ax, matrix : the counts as an integer array.
    """
    from sklearn.metrics import confusion_matrix

    labels = (
        np.unique(np.concatenate([np.asarray(y_true), np.asarray(y_pred)]))
        if labels is None
        else np.asarray(labels)
    )
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    fig, ax = _fig_ax(ax)
    ax.imshow(cm, cmap=cmap)
    thresh = cm.max() / 2.0 if cm.size else 0
    for (i, j), v in np.ndenumerate(cm):
        ax.text(
            j,
            i,
            str(v),
            ha="center",
            va="center",
            fontsize=8,
            color="white" if v > thresh else "black",
        )
    ax.set_xticks(range(len(labels)), [str(c) for c in labels])
    ax.set_yticks(range(len(labels)), [str(c) for c in labels])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    return fig, ax, cm
