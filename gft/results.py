r"""Results for the chapters: committed results folders as tables and charts, and the ablation sweeps.

Two kinds of results are read here. The protocol runner (:mod:`gft.experiments`) writes one
folder per preset, ``book/results/<preset>/<cell>.csv``; :func:`load_preset_results` reads
them all and :func:`summarise` turns the trial rows into one row per (setting, method,
activation, preset) on a *full* grid, so that a cell nobody computed is a row with
``trials = 0`` and NaN errors, shown as "—" by :func:`format_table` and as a grey "×"
by :func:`plot_summary`, never as zero. The ablation chapter's sweeps (:func:`sweep`,
:func:`sweep_n_features`, :func:`sweep_tv_weight`, :func:`sweep_generator`) fit estimators
on a grid of keyword values and return tidy DataFrames, one row per (grid point, seed,
method); :func:`write_sweep` stores one with provenance columns, :func:`read_sweep` and
:func:`cached_sweep` read it back.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from matplotlib.axes import Axes
from ._progress import progress_bar as tqdm

from .datasets import load_setting
from .estimators import resolve_device
from .experiments import COLUMNS, LAMBDA_GRID, get_method, load_cell_data, load_results
from .experiments.cells import canonical_setting
from .experiments.methods import estimator_class, fit_overrides
from .experiments.store import code_provenance, machine_provenance, utc_now
from .presets import PRESET_NAMES

__all__ = [
    "RESULTS_ENV", "results_dir", "load_preset_results", "available_presets", "summarise",
    "format_table", "style_table", "plot_summary", "compare_methods", "fit_and_score", "sweep",
    "sweep_n_features", "sweep_tv_weight", "sweep_generator", "sweep_summary",
    "write_sweep", "read_sweep", "cached_sweep", "input_weight_profile",
]

#: Environment variable that points the chapters at another results folder.
RESULTS_ENV = "GFT_RESULTS_DIR"
#: Columns of :func:`summarise`.
SUMMARY_COLUMNS = ["setting", "method", "activation", "preset", "trials", "test_mse_mean",
                   "test_mse_std", "test_mse_min", "test_mse_max", "lambda", "train_seconds_mean"]
MISSING = "—"


# -- committed protocol results ---------------------------------------------------------
def results_dir(start: str | os.PathLike | None = None) -> Path | None:
    """The ``book/results`` folder of the checkout, or ``None`` when there is none (e.g. in Colab).

    Looked for in this order: ``$GFT_RESULTS_DIR``; ``book/results`` in ``start`` (default:
    the working directory) or any parent of it; ``book/results`` beside the ``gft`` package.
    """
    env = os.environ.get(RESULTS_ENV)
    if env:
        return Path(env) if Path(env).is_dir() else None
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents, Path(__file__).resolve().parents[1]):
        if (folder / "book" / "results").is_dir():
            return folder / "book" / "results"
    return None


def load_preset_results(root: str | os.PathLike | None,
                        presets: Sequence[str] = PRESET_NAMES) -> pd.DataFrame:
    """Trial rows of the runner's folders ``root/<preset>/`` that exist (empty if none or ``root=None``)."""
    unknown = [p for p in presets if p not in PRESET_NAMES]
    if unknown:
        raise ValueError(f"Unknown presets {unknown}. Must be among {list(PRESET_NAMES)}")
    folders = [] if root is None else [Path(root) / p for p in presets]
    frames = [df for df in (load_results(f) for f in folders if f.is_dir()) if len(df)]
    if not frames:
        return pd.DataFrame(columns=list(COLUMNS))
    return pd.concat(frames, ignore_index=True)


def available_presets(rows: pd.DataFrame) -> list[str]:
    """Presets with at least one finite test MSE in ``rows``, in the order smoke, book, paper."""
    if rows.empty:
        return []
    have = set(rows.loc[np.isfinite(rows["test_mse"].astype(float)), "preset"])
    return [p for p in PRESET_NAMES if p in have]


def summarise(rows: pd.DataFrame, settings: Sequence[str], methods: Sequence[str],
              presets: Sequence[str] = ("book", "paper"), activation: str | Sequence[str] = "fourier",
              n_features: int | None = 100) -> pd.DataFrame:
    r"""Mean, spread and trial count of the test MSE for every (setting, method, activation, preset).

    The result has one row for *every* combination asked for, in the order given: a
    combination without finite results has ``trials = 0`` and NaN statistics.

    Parameters
    ----------
    rows : DataFrame
        Trial rows (:func:`load_preset_results`).
    settings, methods, presets : sequence of str
    activation : str or sequence of str
    n_features : int or None
        Keep rows with this ``N`` only (``None``: all rows; cells must then not mix ``N``).

    Returns
    -------
    DataFrame with the columns ``setting, method, activation, preset, trials,
    test_mse_mean, test_mse_std`` (sample std, ddof 1; NaN for one trial), ``test_mse_min,
    test_mse_max, lambda`` (selected TV weight, NaN without one) and ``train_seconds_mean``.
    """
    activations = [activation] if isinstance(activation, str) else list(activation)
    keys = ["setting", "method", "activation", "preset"]
    grid = pd.DataFrame(list(itertools.product(settings, methods, activations, presets)),
                        columns=keys)
    if not rows.empty:
        rows = rows.assign(test_mse=rows["test_mse"].astype(float))
        rows = rows[np.isfinite(rows["test_mse"])]
        if n_features is not None:
            rows = rows[rows["n_features"].astype(float) == n_features]
    if rows.empty:
        stats = pd.DataFrame(columns=SUMMARY_COLUMNS)
    else:
        stats = rows.groupby(keys, sort=False).agg(
            trials=("test_mse", "size"), test_mse_mean=("test_mse", "mean"),
            test_mse_std=("test_mse", "std"), test_mse_min=("test_mse", "min"),
            test_mse_max=("test_mse", "max"), **{"lambda": ("lambda", "first")},
            train_seconds_mean=("train_seconds", "mean"),
        ).reset_index()
    out = grid.merge(stats, on=keys, how="left")
    out["trials"] = out["trials"].fillna(0).astype(int)
    for col in SUMMARY_COLUMNS[5:]:
        out[col] = out[col].astype(float)
    return out[SUMMARY_COLUMNS]


def _cell_text(row: pd.Series, digits: int) -> str:
    if row["trials"] == 0:
        return MISSING
    text = f"{row['test_mse_mean']:.{digits}e}"
    if np.isfinite(row["test_mse_std"]):
        text += f" ± {row['test_mse_std']:.1e}"
    return f"{text} (n={int(row['trials'])})"


def format_table(summary: pd.DataFrame, digits: int = 2) -> pd.DataFrame:
    """The :func:`summarise` frame as a display table: rows (setting, preset), columns methods.

    Entries read ``mean ± std (n=trials)``; a cell without results reads "—". With more
    than one activation the columns are (activation, method).
    """
    table = summary.assign(text=summary.apply(_cell_text, axis=1, digits=digits))
    columns = ["activation", "method"] if summary["activation"].nunique() > 1 else ["method"]
    wide = table.pivot_table(index=["setting", "preset"], columns=columns, values="text",
                             aggfunc="first", sort=False)
    order = list(dict.fromkeys(zip(summary["setting"], summary["preset"])))
    wide = wide.reindex(pd.MultiIndex.from_tuples(order, names=["setting", "preset"]))
    wide.columns.name = None if len(columns) == 1 else wide.columns.names[0]
    return wide.fillna(MISSING)


def style_table(summary: pd.DataFrame, digits: int = 2, labels: Mapping[str, str] | None = None):
    """:func:`format_table` as a styled table with the best method of each row in bold.

    "Best" is the lowest mean test MSE among the computed cells of the row (and, with
    several activations, of the same activation). ``labels`` renames the method columns.
    Returns a pandas ``Styler``.
    """
    table = format_table(summary, digits)
    means = summary.pivot_table(index=["setting", "preset"], columns=list(table.columns.names)
                                if table.columns.nlevels > 1 else "method",
                                values="test_mse_mean", aggfunc="first", sort=False)
    means = means.reindex(index=table.index, columns=table.columns)
    if table.columns.nlevels > 1:
        best = pd.concat([means[a].eq(means[a].min(axis=1), axis=0) for a in means.columns.levels[0]
                          if a in means.columns.get_level_values(0)], axis=1, keys=None)
        best.columns = pd.MultiIndex.from_tuples(
            [(a, m) for a in means.columns.levels[0] if a in means.columns.get_level_values(0)
             for m in means[a].columns])
        best = best.reindex(columns=table.columns)
    else:
        best = means.eq(means.min(axis=1), axis=0)
    css = best.fillna(False).replace({True: "font-weight: bold", False: ""})
    if labels:
        table, css = table.rename(columns=labels), css.rename(columns=labels)
    return table.style.apply(lambda _: css.to_numpy(), axis=None)


def plot_summary(summary: pd.DataFrame, ax: Axes | None = None, preset_markers: Mapping[str, str]
                 | None = None, method_labels: Mapping[str, str] | None = None) -> Axes:
    """Test MSE per setting (x) and method (colour) on a log axis, one marker per preset.

    Points are the mean over trials, bars the min–max range over trials. A cell without
    results is a grey "×" on the bottom edge of the axes (legend: "not computed"), never a
    value; a preset without any result gets no slot and is named beside the axes.
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
        missing_x += list(x[~have])
    ax.set_yscale("log")
    if missing_x:
        ax.plot(missing_x, np.full(len(missing_x), 0.015), "x", color="0.55", ms=4,
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


def compare_methods(summary: pd.DataFrame, better: str, worse: str, preset: str) -> pd.DataFrame:
    """Settings (and activations) where both ``better`` and ``worse`` have results at ``preset``.

    Returns a frame with columns ``setting, activation, <better>, <worse>, ratio`` (mean test
    MSE of ``worse`` over that of ``better``: > 1 where ``better`` wins).
    """
    part = summary[(summary["preset"] == preset) & (summary["trials"] > 0)]
    keys = ["setting", "activation"]
    a = part[part["method"] == better].set_index(keys)["test_mse_mean"].rename(better)
    b = part[part["method"] == worse].set_index(keys)["test_mse_mean"].rename(worse)
    both = pd.concat([a, b], axis=1, join="inner").reset_index()
    return both.assign(ratio=both[worse] / both[better])


# -- sweeps -------------------------------------------------------------------------------
def _data(setting: str, seed: int, noise: float, data_dir: str | None):
    name, kind = canonical_setting(setting)
    if noise and kind != "synthetic":
        raise ValueError(f"label noise is only for synthetic settings, got noise={noise} for {name!r}")
    if kind == "synthetic":
        return name, load_setting(name, seed=seed, noise=noise)
    return name, load_cell_data(name, seed, data_dir)


def fit_and_score(setting: str, methods: Sequence[str], seed: int, preset: str, *,
                  noise: float = 0.0, budget: Mapping[str, Mapping[str, Any]] | None = None,
                  device: str = "auto", data_dir: str | None = None,
                  **estimator_kwargs: Any) -> list[dict[str, Any]]:
    r"""Fit ``methods`` on the data draw ``seed`` (synthetic: with label noise ``noise``) and score them.

    Methods with the same estimator share one fit (``gft`` and ``gft-r``), as in the runner.
    ``budget`` maps an estimator name (``"gft"``, ``"nn"``...) to keywords that override its
    preset, e.g. ``{"gft": {"generator_steps": 500}}``; ``estimator_kwargs`` go to every
    estimator (``n_features``, ``tv_weight``, ``activation``...; ``tv_weight`` is dropped for
    methods without one). The estimators are seeded with ``seed``.

    Returns
    -------
    list of dict, one per method: ``setting, method, preset, seed, noise, test_mse, val_mse,
    train_seconds`` (``fit``; for ``gft`` less a shared refinement) and ``wall_seconds``
    (fit and scoring so far), as in the runner's rows.
    """
    name, (X, y, X_test, y_test) = _data(setting, seed, noise, data_dir)
    groups: dict[str, list] = {}
    for m in methods:
        method = get_method(m)
        groups.setdefault(str(method.estimator), []).append(method)
    rows = []
    for key, group in groups.items():
        kwargs = dict(random_state=seed, device=device, progress=False, **estimator_kwargs)
        if not group[0].tunes_lambda:
            kwargs.pop("tv_weight", None)
        kwargs.update(fit_overrides(group))
        kwargs.update((budget or {}).get(key, {}))
        est = estimator_class(group[0].estimator).from_preset(preset, **kwargs)
        start = time.perf_counter()
        est.fit(X, y)
        seconds = time.perf_counter() - start
        for method in group:
            pred = np.asarray(method.predict(est, X_test, seed), dtype=np.float64)
            rows.append(dict(setting=name, method=method.name, preset=preset, seed=seed,
                             noise=noise, test_mse=float(np.mean((pred - y_test) ** 2)),
                             val_mse=float(method.val_mse(est, X, y)),
                             train_seconds=float(method.train_seconds(est, seconds)),
                             wall_seconds=time.perf_counter() - start))
    return rows


def sweep(setting: str, methods: Sequence[str], grid: Mapping[str, Sequence[Any]],
          seeds: Iterable[int] = (0,), preset: str = "book", *, progress: bool = True,
          **kwargs: Any) -> pd.DataFrame:
    """Test MSE and training time of ``methods`` at every point of ``grid`` and every seed.

    ``grid`` maps estimator keywords to values (all combinations are run); ``kwargs`` go to
    :func:`fit_and_score`. Returns a tidy frame: one row per (grid point, seed, method) with
    the grid's keywords as columns next to those of :func:`fit_and_score`.
    """
    if not grid:
        raise ValueError("grid is empty: give at least one keyword and its values")
    names = list(grid)
    points = list(itertools.product(*(list(grid[k]) for k in names), list(seeds)))
    rows = []
    for *values, seed in tqdm(points, desc=f"sweep {setting}", disable=not progress):
        point = dict(zip(names, values))
        for row in fit_and_score(setting, methods, seed, preset, **kwargs, **point):
            rows.append({**{k: _plain(v) for k, v in point.items()}, **row})
    return pd.DataFrame(rows)


def _plain(value: Any) -> Any:
    return str(tuple(value)) if isinstance(value, (list, tuple)) else value


def sweep_n_features(setting: str, methods: Sequence[str] = ("gft-r", "nn", "rff"),
                     n_values: Sequence[int] = (10, 25, 50, 100, 200, 400),
                     seeds: Iterable[int] = (0, 1, 2), preset: str = "book",
                     **kwargs: Any) -> pd.DataFrame:
    """Test MSE against the number of features ``N`` (column ``n_features``); see :func:`sweep`."""
    return sweep(setting, methods, {"n_features": n_values}, seeds, preset, **kwargs)


def sweep_tv_weight(setting: str, methods: Sequence[str] = ("gft-r",),
                    lambdas: Sequence[float] = LAMBDA_GRID, seeds: Iterable[int] = (0, 1),
                    preset: str = "book", **kwargs: Any) -> pd.DataFrame:
    """Test MSE against the TV weight λ (column ``tv_weight``); pass ``noise=σ`` for noisy labels."""
    return sweep(setting, methods, {"tv_weight": lambdas}, seeds, preset, **kwargs)


def sweep_generator(setting: str, widths: Sequence[int] = (32, 128, 512),
                    steps: Sequence[int] = (250, 1000, 3000), depth: int = 3,
                    methods: Sequence[str] = ("gft",), seeds: Iterable[int] = (0,),
                    preset: str = "book", **kwargs: Any) -> pd.DataFrame:
    """Test MSE and time against the generator's width (``depth`` hidden layers) and its steps.

    Columns ``width`` and ``generator_steps`` name the grid point. With only ``"gft"`` in
    ``methods`` no refinement is run.
    """
    frames = []
    for width in widths:
        df = sweep(setting, methods, {"generator_steps": steps}, seeds, preset,
                   hidden=(int(width),) * depth, **kwargs)
        frames.append(df.assign(width=int(width)))
    return pd.concat(frames, ignore_index=True)


def sweep_summary(df: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Mean, std, min and max of test MSE, mean training time (and mean validation MSE) per ``by`` + method.

    ``val_mse_mean`` is present when the sweep recorded ``val_mse``.
    """
    keys = [*by, "method"]
    extra = {"val_mse_mean": ("val_mse", "mean")} if "val_mse" in df else {}
    return df.groupby(keys, sort=False).agg(
        seeds=("test_mse", "size"), test_mse_mean=("test_mse", "mean"),
        test_mse_std=("test_mse", "std"), test_mse_min=("test_mse", "min"),
        test_mse_max=("test_mse", "max"), train_seconds_mean=("train_seconds", "mean"), **extra,
    ).reset_index()


def write_sweep(df: pd.DataFrame, path: str | os.PathLike, command: str,
                wall_seconds: float | None = None, device: str = "cpu") -> Path:
    """Write a sweep to CSV with the runner's provenance columns (``command, commit, dirty, host,
    torch, device, device_name, threads, date``) and ``sweep_wall_seconds`` (the whole sweep)."""
    commit, dirty = code_provenance()
    prov = dict(command=command, commit=commit, dirty=dirty,
                **machine_provenance(torch.device(device)), date=utc_now(),
                sweep_wall_seconds=wall_seconds)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df.assign(**prov).to_csv(path, index=False)
    return path


def read_sweep(path: str | os.PathLike) -> pd.DataFrame | None:
    """A sweep written by :func:`write_sweep`, or ``None`` if the file does not exist."""
    path = Path(path)
    return pd.read_csv(path) if path.is_file() else None


def _shown(path: str | os.PathLike) -> str:
    """``path`` from ``book/`` on when it lies in a checkout's book folder (no machine paths on a page)."""
    parts = Path(path).resolve().parts
    if "book" in parts:
        return "/".join(parts[len(parts) - 1 - parts[::-1].index("book"):])
    return Path(path).name


def cached_sweep(path: str | os.PathLike | None, function: Any, config: Mapping[str, Any], *,
                 fingerprint: Any = None, write: bool = False, command: str = "",
                 **run_kwargs: Any) -> tuple[pd.DataFrame, str]:
    """A stored sweep if it was made with ``config``, else ``function(**config, **run_kwargs)``.

    The file's ``config`` column must equal the canonical JSON of ``function``'s name,
    ``config`` and ``fingerprint`` (what else the results depend on, e.g. the preset's
    keyword values); ``run_kwargs`` (``device``, ``progress``) are not compared. A sweep that
    had to be run is written to ``path`` when ``write`` is true (provenance from
    :func:`write_sweep` with ``command``). Returns the frame and where it came from:
    ``"read <path>"``, ``"computed"`` or ``"computed and written to <path>"``, the path
    shown relative to the checkout (``book/results/...``) when it lies in one.
    """
    key = json.dumps({"function": function.__name__, **config, "fingerprint": fingerprint},
                     sort_keys=True, default=str)
    old = None if path is None else read_sweep(path)
    if old is not None and "config" in old and len(old) and (old["config"] == key).all():
        return old, f"read {_shown(path)}"
    start = time.perf_counter()
    df = function(**config, **run_kwargs).assign(config=key)
    wall = time.perf_counter() - start
    if write and path is not None:
        device = str(resolve_device(run_kwargs.get("device", "auto")))
        write_sweep(df, path, command, wall, device)
        return read_sweep(path), f"computed and written to {_shown(path)}"
    return df.assign(sweep_wall_seconds=wall), "computed"


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
        (``None``: :math:`c_l = 1`).
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
