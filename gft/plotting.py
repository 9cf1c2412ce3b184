r"""Figures that several chapters draw: fits, feature samples over the target's spectrum, training curves, test errors.

Every function draws into Matplotlib axes (created when none are given) and returns them, so
that a chapter can add titles or combine panels. Symbols: ``M`` points, ``N`` features,
``D`` feature dimension, ``n`` grid points per axis.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.patches import Rectangle

from .training import TrainingHistory

__all__ = [
    "grid_2d",
    "fourier_magnitude",
    "plot_fit_1d",
    "plot_fit_2d",
    "plot_feature_distribution",
    "plot_training_curves",
    "plot_test_mse",
    "plot_summary",
    "input_weight_profile",
]

Function2D = Callable[[np.ndarray], np.ndarray]


def _axes(ax: Axes | None) -> Axes:
    return plt.subplots()[1] if ax is None else ax


def grid_2d(n: int, low: float = 0.0, high: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    r"""The ``n x n`` grid :math:`x_j = \mathrm{low} + jh`, :math:`h = (\mathrm{high} - \mathrm{low})/n`.

    Parameters
    ----------
    n : int
        Points per axis (at least 2).
    low, high : float
        The square :math:`[\mathrm{low}, \mathrm{high})^2`; the right end is left out so that
        the grid is the one of the discrete Fourier transform.

    Returns
    -------
    ticks : ndarray of shape (n,)
        Coordinates along one axis.
    X : ndarray of shape (n * n, 2)
        All grid points, the second coordinate running fastest: ``X.reshape(n, n, 2)[i, j]``
        is ``(ticks[i], ticks[j])``.
    """
    if int(n) != n or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    if not high > low:
        raise ValueError(f"need low < high, got low={low!r}, high={high!r}")
    n = int(n)
    ticks = low + (high - low) * np.arange(n) / n
    X1, X2 = np.meshgrid(ticks, ticks, indexing="ij")
    return ticks, np.stack([X1.ravel(), X2.ravel()], axis=-1)


def fourier_magnitude(
    function: Function2D,
    n: int = 256,
    low: float = 0.0,
    high: float = 1.0,
    oversample: int = 1,
    window: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Magnitude of the Fourier transform of a function on :math:`[\mathrm{low}, \mathrm{high}]^2`, by the FFT.

    .. math:: |\hat f(\omega)| \approx \Bigl|h^2 \sum_{j_1, j_2} f(x_{j_1}, x_{j_2})\,
              e^{-2\pi i \langle \omega, x_j\rangle}\Bigr|, \qquad
              \omega \in \tfrac{1}{s\,n h}\mathbb Z^2,

    with the frequency convention of the features :math:`e^{2\pi i\langle w, x\rangle}`: a
    feature ``w`` is useful where :math:`|\hat f(w)|` is large. This is the transform of
    :math:`f` times the indicator of the square; zero-padding the grid to ``oversample``
    :math:`= s` times its size samples it on an ``s`` times finer frequency grid. The
    Riemann sum is exact for trigonometric polynomials whose frequencies lie on the grid.
    Unless :math:`f` vanishes on the boundary, the transform of the indicator adds slowly
    decaying streaks along the axes ("leakage"); ``window=True`` multiplies :math:`f` by the
    Hann taper :math:`\prod_i \sin^2(\pi (x_i - \mathrm{low})/(\mathrm{high} - \mathrm{low}))`
    first and divides by its mean (1/4), which removes them at the price of a resolution of
    about two frequency steps, and leaves the height of an isolated peak unchanged.

    Parameters
    ----------
    function : callable
        Maps points of shape (M, 2) to values of shape (M,).
    n : int
        Grid points per axis; the frequencies reach :math:`\pm n / (2 (\mathrm{high} - \mathrm{low}))`.
    low, high : float
        The square the function lives on.
    oversample : int
        Zero-padding factor ``s`` (finer frequency spacing, same frequency range).
    window : bool
        Apply the Hann taper before the transform.

    Returns
    -------
    omega : ndarray of shape (s n,)
        Frequencies along each axis, increasing (``fftshift`` order).
    magnitude : ndarray of shape (s n, s n)
        :math:`|\hat f|` with ``magnitude[i, j]`` at :math:`(\omega_i, \omega_j)`.
    """
    if int(oversample) != oversample or oversample < 1:
        raise ValueError(f"oversample must be a positive integer, got {oversample!r}")
    ticks, X = grid_2d(n, low, high)
    values = np.asarray(function(X), dtype=np.float64)
    if values.shape != (X.shape[0],):
        raise ValueError(
            f"function must map points of shape (M, 2) to values of shape (M,); for M = "
            f"{X.shape[0]} it returned shape {values.shape}"
        )
    h = ticks[1] - ticks[0]
    if window:
        taper = np.sin(np.pi * (ticks - low) / (high - low)) ** 2  # mean 1/2 on the grid
        values = values * np.outer(taper, taper).ravel() / taper.mean() ** 2
    size = int(oversample) * n
    spectrum = np.fft.fftshift(np.fft.fft2(values.reshape(n, n), s=(size, size))) * h**2
    omega = np.fft.fftshift(np.fft.fftfreq(size, d=h))
    return omega, np.abs(spectrum)


def plot_fit_1d(
    x: np.ndarray,
    target: np.ndarray,
    fits: Mapping[str, np.ndarray],
    data: tuple[np.ndarray, np.ndarray] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Target and fitted curves of a function of one variable.

    Parameters
    ----------
    x : ndarray of shape (M,)
        Evaluation points (sorted).
    target : ndarray of shape (M,)
        The target function at ``x``.
    fits : mapping of str to ndarray of shape (M,)
        Label -> predictions at ``x``.
    data : tuple of two ndarrays of shape (m,), optional
        Training points drawn as dots.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = _axes(ax)
    x = np.asarray(x).ravel()
    for label, values in {"target": target, **fits}.items():
        values = np.asarray(values).ravel()
        if values.shape != x.shape:
            raise ValueError(f"{label!r} has shape {values.shape}, expected {x.shape} like x")
        style = dict(color="black", lw=2.5, alpha=0.35) if label == "target" else dict(lw=1.2)
        ax.plot(x, values, label=label, **style)
    if data is not None:
        ax.plot(np.ravel(data[0]), np.ravel(data[1]), ".", ms=2, color="0.5", label="training data")
    ax.set_xlabel("$x$")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_fit_2d(
    target: Function2D,
    predict: Function2D,
    n: int = 100,
    low: float = 0.0,
    high: float = 1.0,
    axes: Sequence[Axes] | None = None,
) -> np.ndarray:
    r"""Three panels over :math:`[\mathrm{low}, \mathrm{high}]^2`: target, fit and :math:`|\text{fit} - \text{target}|` (log colour scale, three decades).

    Parameters
    ----------
    target, predict : callable
        Map points of shape (M, 2) to values of shape (M,) (``predict`` is e.g. a fitted
        estimator's ``predict``).
    n : int
        Grid points per axis.
    low, high : float
    axes : sequence of three Axes, optional

    Returns
    -------
    ndarray of three Axes
    """
    if axes is None:
        axes = plt.subplots(1, 3, figsize=(11, 3.2), constrained_layout=True)[1]
    axes = np.asarray(axes, dtype=object).ravel()
    if axes.size != 3:
        raise ValueError(f"axes must hold three Axes (target, fit, error), got {axes.size}")
    ticks, X = grid_2d(n, low, high)
    true = np.asarray(target(X), dtype=np.float64).reshape(n, n)
    fit = np.asarray(predict(X), dtype=np.float64).reshape(n, n)
    extent = (low, high, low, high)
    vmin, vmax = true.min(), true.max()
    # the error on a log scale: it is small almost everywhere and large in a few places,
    # which a linear scale would show as one bright spot on black
    error = np.abs(fit - true)
    error_top = max(float(error.max()), np.finfo(float).tiny * 1e3)
    error_floor = error_top * 1e-3
    panels = [("target", true, dict(vmin=vmin, vmax=vmax, cmap="viridis")),
              ("fit", fit, dict(vmin=vmin, vmax=vmax, cmap="viridis")),
              ("|fit - target| (log scale)", np.maximum(error, error_floor),
               dict(cmap="magma", norm=LogNorm(vmin=error_floor, vmax=error_top)))]
    for ax, (title, values, style) in zip(axes, panels):
        # values[i, j] sits at (x1 = ticks[i], x2 = ticks[j]): x1 horizontal, x2 vertical.
        image = ax.imshow(values.T, origin="lower", extent=extent, aspect="equal", **style)
        ax.figure.colorbar(image, ax=ax, shrink=0.85)
        ax.set_title(title)
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
    return axes


def plot_feature_distribution(
    W: np.ndarray,
    spectrum: tuple[np.ndarray, np.ndarray] | None = None,
    ax: Axes | None = None,
    limit: float | None = None,
    label: str = r"samples of $G_\theta(z)$",
    color: str = "tab:red",
    spectrum_label: str = r"$|\hat f(\omega)|$",
) -> Axes:
    r"""Scatter of features :math:`w \in \mathbb R^2` over the magnitude of the target's Fourier transform.

    Parameters
    ----------
    W : ndarray of shape (N, D)
        Features; the first two coordinates are drawn (``D = 3`` carries a bias coordinate).
    spectrum : tuple (omega, magnitude), optional
        As returned by :func:`fourier_magnitude`, drawn below the samples on a log colour
        scale of three decades (below a thousandth of the peak, the taper's leakage).
    ax : Axes, optional
    limit : float, optional
        Axis range :math:`[-\mathrm{limit}, \mathrm{limit}]^2`; default: the extent of the samples.
    label, color : str
        Legend entry and colour of the samples.
    spectrum_label : str
        The colour bar's label (say so where the spectrum is tapered: ``window=True``).

    Returns
    -------
    Axes
    """
    W = np.asarray(W)
    if W.ndim != 2 or W.shape[1] < 2:
        raise ValueError(f"W must have shape (N, D) with D >= 2, got {W.shape}")
    ax = _axes(ax)
    if spectrum is not None:
        omega, magnitude = spectrum
        peak = float(magnitude.max())
        # below a thousandth of the peak the taper's leakage, not the target, sets the values
        floor = max(peak * 1e-3, np.finfo(float).tiny)
        mesh = ax.pcolormesh(omega, omega, np.maximum(magnitude.T, floor), shading="nearest",
                             cmap="Greys", norm=LogNorm(vmin=floor, vmax=peak), rasterized=True)
        ax.figure.colorbar(mesh, ax=ax, shrink=0.85, label=spectrum_label)
    ax.scatter(W[:, 0], W[:, 1], s=3, alpha=0.5, color=color, label=label, linewidths=0, zorder=3)
    if limit is None:
        limit = 1.05 * float(np.abs(W[:, :2]).max()) if W.size else 1.0
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.set_xlabel(r"$w_1$ ($\omega_1$)")
    ax.set_ylabel(r"$w_2$ ($\omega_2$)")
    ax.legend(loc="upper right", fontsize="small", markerscale=3)
    return ax


def _running_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Mean over the last ``window`` values (fewer at the start), same length as ``values``."""
    csum = np.concatenate([[0.0], np.cumsum(values)])
    idx = np.arange(1, values.size + 1)
    start = np.maximum(idx - window, 0)
    return (csum[idx] - csum[start]) / (idx - start)


def plot_training_curves(
    history: TrainingHistory | Mapping[str, TrainingHistory],
    ax: Axes | None = None,
    window: int = 50,
) -> Axes:
    """Training loss (running mean over ``window`` steps) and validation MSE of one or more runs.

    Runs given as a mapping (e.g. ``GFTRegressor.history_`` with ``"generator"`` and
    ``"refine"``) are drawn one after the other on a common step axis, separated by a
    dashed line; the kept (best-validation) iterate of each run is marked.

    Parameters
    ----------
    history : TrainingHistory or mapping of str to TrainingHistory
    ax : Axes, optional
    window : int
        Steps averaged in the running mean of the training loss.

    Returns
    -------
    Axes
    """
    runs = {history.name or "training": history} if isinstance(history, TrainingHistory) else dict(history)
    if not runs:
        raise ValueError("history is empty: pass a TrainingHistory or a non-empty mapping of them")
    if int(window) != window or window < 1:
        raise ValueError(f"window must be a positive integer, got {window!r}")
    ax = _axes(ax)
    offset = 0
    for i, (label, run) in enumerate(runs.items()):
        color = f"C{i}"
        loss = np.asarray(run.train_loss, dtype=np.float64)
        steps = offset + np.arange(loss.size)
        if loss.size:
            ax.plot(steps, _running_mean(loss, int(window)), color=color, lw=1,
                    label=f"{label}: training loss")
        if len(run.val_steps):
            ax.plot(offset + np.asarray(run.val_steps), run.val_mse, "o", ms=3, color=color,
                    alpha=0.6, label=f"{label}: validation MSE")
            ax.plot(offset + run.best_step, run.best_val_mse, "*", ms=12, color=color,
                    markeredgecolor="black", label="kept iterate (best validation)" if i == 0 else None)
        if i > 0:
            ax.axvline(offset, color="0.5", ls="--", lw=1, label=f"{label} starts" if i == 1 else None)
        offset += loss.size
    ax.set_yscale("log")
    ax.set_xlabel("Adam step")
    ax.set_ylabel(r"MSE of $y/\mathrm{RMS}(y)$")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_test_mse(
    results: Mapping[str, float | Sequence[float]],
    ax: Axes | None = None,
    log: bool = True,
) -> Axes:
    """Dot chart of test MSE per method: the mean over trials, with their min-max range as error bar.

    Dots, not bars: on a logarithmic axis a bar's length depends on where the axis starts,
    so only its end carries information.

    Parameters
    ----------
    results : mapping of str to float or sequence of float
        Method -> test MSE of one trial or of several.
    ax : Axes, optional
    log : bool
        Logarithmic MSE axis (the values must then be positive).

    Returns
    -------
    Axes
    """
    if not results:
        raise ValueError("results is empty: pass a mapping method -> test MSE")
    values = {name: np.atleast_1d(np.asarray(v, dtype=np.float64)) for name, v in results.items()}
    for name, v in values.items():
        if v.size == 0 or not np.all(np.isfinite(v)):
            raise ValueError(f"results[{name!r}] must be finite numbers, got {v.tolist()}")
        if log and np.any(v <= 0):
            raise ValueError(f"results[{name!r}] must be > 0 on a log axis (log=True), got {v.tolist()}")
    ax = _axes(ax)
    names = list(values)
    means = np.array([v.mean() for v in values.values()])
    lower = means - np.array([v.min() for v in values.values()])
    upper = np.array([v.max() for v in values.values()]) - means
    positions = np.arange(len(names))
    several = any(v.size > 1 for v in values.values())
    for i, (x, m) in enumerate(zip(positions, means)):
        ax.errorbar([x], [m], yerr=np.array([[lower[i]], [upper[i]]]) if several else None,
                    fmt="o", ms=8, capsize=4, color=f"C{i}")
    ax.set_xlim(-0.5, len(names) - 0.5)
    ax.grid(alpha=0.3, axis="y", which="both")
    for x, m in zip(positions, means):
        ax.annotate(f"{m:.2e}", (x, m), ha="center", va="bottom", fontsize="small",
                    xytext=(0, 3), textcoords="offset points")
    ax.set_xticks(positions, names)
    if log:
        ax.set_yscale("log")
    ax.margins(y=0.15)  # room for the value printed above the highest point
    ax.set_ylabel("test MSE")
    return ax


def plot_summary(summary: pd.DataFrame, ax: Axes | None = None, preset_markers: Mapping[str, str]
                 | None = None, method_labels: Mapping[str, str] | None = None,
                 trials: pd.DataFrame | None = None) -> Axes:
    """Test MSE per setting (x) and method (colour) on a log axis, one marker per preset.

    Points are the mean over trials, bars the min–max range over trials; with ``trials``
    (rows with ``setting``, ``method``, ``preset`` and ``test_mse``, one per trial) each
    trial is also drawn, as a small dot beside its cell's mean, so that a mean decided by
    one trial shows as such; a trial whose ``kept_start`` column is True (an untrained fit, see
    :func:`gft.experiments.report.kept_start_flags`) is drawn as a ring instead. A cell without
    results is a grey "×" in a shaded strip along the bottom of the axes, below every value
    drawn (legend: "not computed"), never a value; a preset without any result gets no slot
    and is named beside the axes.

    Parameters
    ----------
    summary : DataFrame
        :func:`gft.experiments.report.summarise`'s frame.
    ax : Axes, optional
    preset_markers, method_labels : mapping, optional
        Marker per preset (added to square, circle and star for smoke, book and paper) and
        label per method.
    trials : DataFrame, optional
        One row per trial, as above.

    Returns
    -------
    Axes
    """
    ax = plt.subplots(figsize=(10, 4))[1] if ax is None else ax
    markers = dict(smoke="s", book="o", paper="*", **(preset_markers or {}))
    labels = method_labels or {}
    settings = list(dict.fromkeys(summary["setting"]))
    methods = list(dict.fromkeys(summary["method"]))
    presets = [p for p in dict.fromkeys(summary["preset"])
               if summary.loc[summary["preset"] == p, "trials"].sum() > 0]
    absent = [p for p in dict.fromkeys(summary["preset"]) if p not in presets]
    slots = [(m, p) for m in methods for p in presets]
    width = 0.8 / max(len(slots), 1)
    missing_x = []
    labelled = set()  # each kind of trial in the legend once
    for k, (method, preset) in enumerate(slots):
        part = summary[(summary["method"] == method) & (summary["preset"] == preset)]
        x = np.array([settings.index(s) for s in part["setting"]]) - 0.4 + (k + 0.5) * width
        have = part["trials"].to_numpy() > 0
        mean = part["test_mse_mean"].to_numpy()
        err = np.stack([mean - part["test_mse_min"].to_numpy(), part["test_mse_max"].to_numpy() - mean])
        name = labels.get(method, method)
        label = f"{name} ({preset})" if len(presets) > 1 else name
        ax.errorbar(x[have], mean[have], yerr=err[:, have], fmt=markers.get(preset, "o"),
                    color=f"C{methods.index(method)}", ms=6, capsize=2,
                    label=label if have.any() else None)  # no legend entry without a point
        if trials is not None:
            own = trials[(trials["method"] == method) & (trials["preset"] == preset)
                         & trials["setting"].isin(settings)]
            tx = np.array([settings.index(s) for s in own["setting"]]) - 0.4 + (k + 0.75) * width
            kept = (own["kept_start"].fillna(False).to_numpy(dtype=bool) if "kept_start" in own
                    else np.zeros(len(own), dtype=bool))
            for shown, label, style in ((~kept, "one trial", dict(marker=".", ms=3, alpha=0.6)),
                                        (kept, "one trial, kept its start (untrained)",
                                         dict(marker="o", ms=5, mfc="none", mew=1.0))):
                if shown.any():
                    ax.plot(tx[shown], own["test_mse"].to_numpy()[shown], ls="none",
                            color=f"C{methods.index(method)}",
                            label=None if label in labelled else label, **style)
                    labelled.add(label)
        missing_x += list(x[~have])
    ax.set_yscale("log")
    if missing_x:
        _below_the_data(ax, _NOT_COMPUTED_STRIP)
        # in axes coordinates (axhspan would take the height in data units, whatever transform)
        ax.add_patch(Rectangle((0, 0), 1, _NOT_COMPUTED_STRIP, transform=ax.transAxes, color="0.92",
                               lw=0, zorder=0))
        ax.plot(missing_x, np.full(len(missing_x), _NOT_COMPUTED_STRIP / 2), "x", color="0.45", ms=5,
                transform=ax.get_xaxis_transform(), label="not computed")
    if absent:
        ax.text(1.01, 0.0, "not computed:\n" + ", ".join(absent), transform=ax.transAxes,
                ha="left", va="bottom", fontsize="small", color="0.4")
    ax.set_xticks(range(len(settings)), settings, rotation=20, ha="right")
    ax.set_xlim(-0.5, len(settings) - 0.5)
    ax.set_ylabel("test MSE")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(axis="y", which="major", alpha=0.3)
    return ax


#: Height of the strip (a fraction of the axes) where plot_summary marks cells without results.
_NOT_COMPUTED_STRIP = 0.07


def _below_the_data(ax: Axes, share: float) -> None:
    """Lower a log y-axis so that its bottom ``share`` of the height lies below every value
    drawn (the data limits, error bars included)."""
    data_low, high = ax.dataLim.y0, ax.get_ylim()[1]
    if not (data_low > 0 and high > data_low):
        return
    top, low = np.log10(high), np.log10(data_low) - 0.02 * (np.log10(high) - np.log10(data_low))
    # the strip's top, low + share * (top - bottom), must be at or below `low`
    ax.set_ylim(bottom=10 ** ((low - share * top) / (1 - share)))


def input_weight_profile(W: np.ndarray, coef: np.ndarray | None = None,
                         n_inputs: int | None = None) -> np.ndarray:
    r"""How much the features look at each input coordinate: :math:`\frac{\sum_l c_l |w_{lj}|}{\sum_l c_l}`.

    Parameters
    ----------
    W : ndarray of shape (N, D)
        Features (for activations with a bias, its coordinate is the last and is dropped
        when ``n_inputs = D - 1``).
    coef : ndarray of shape (P,), optional
        Output weights; their first ``N`` magnitudes :math:`c_l = |b_l|` weight the features
        (``None``: :math:`c_l = 1`). For ``fourier-real`` pass the per-feature norms
        ``np.hypot(b[:N], b[N:2 * N])``: the first ``N`` entries alone are the cos weights.
    n_inputs : int, optional
        Number of input coordinates ``d`` (default: ``D``).

    Returns
    -------
    ndarray of shape (d,)
    """
    W = np.abs(np.asarray(W))
    d = W.shape[1] if n_inputs is None else int(n_inputs)
    c = np.ones(W.shape[0]) if coef is None else np.abs(np.asarray(coef))[: W.shape[0]]
    return (c[:, None] * W[:, :d]).sum(axis=0) / c.sum()
