r"""The ablation chapter's sweeps: fit estimators on a grid of keyword values, tidy results with provenance.

:func:`sweep` (and :func:`sweep_n_features`, :func:`sweep_tv_weight`,
:func:`sweep_generator`) fit the methods of :mod:`gft.experiments.methods` on a grid of
keyword values and return tidy DataFrames, one row per (grid point, seed, method), scored
by the same :func:`gft.experiments.methods.score_fit` as the protocol runner's rows;
:func:`write_sweep` stores one with provenance columns, :func:`read_sweep` and
:func:`cached_sweep` read it back.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from .._progress import progress_bar as tqdm
from ..datasets import load_setting
from ..estimators import resolve_device
from .cells import canonical_setting, load_cell_data
from .fitting import FitJob
from .fitting import fit_and_score as _fit_jobs
from .methods import estimator_class, fit_overrides, get_method
from .protocol import LAMBDA_GRID
from .store import provenance
from .tables import trial_stats

__all__ = [
    "fit_and_score", "sweep", "sweep_n_features", "sweep_tv_weight", "sweep_generator",
    "sweep_summary", "write_sweep", "read_sweep", "cached_sweep",
]


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
    list of dict
        One per method: ``setting, method, preset, seed, noise, test_mse, val_mse,
        train_seconds`` (``fit``; for ``gft`` less a shared refinement), ``wall_seconds``
        (fit and scoring so far) and ``note`` (empty, or why the fit stopped early: a
        diverged fit is scored at its best iterate), as in the runner's rows
        (:func:`gft.experiments.fitting.fit_and_score` fits and scores both).
    """
    name, data = _data(setting, seed, noise, data_dir)
    groups: dict[str, list] = {}
    for m in methods:
        method = get_method(m)
        groups.setdefault(str(method.estimator), []).append(method)
    jobs = []
    for key, group in groups.items():
        kwargs = dict(random_state=seed, device=device, progress=False, **estimator_kwargs)
        if not group[0].tunes_lambda:
            kwargs.pop("tv_weight", None)
        kwargs.update(fit_overrides(group))
        kwargs.update((budget or {}).get(key, {}))
        est = estimator_class(group[0].estimator).from_preset(preset, **kwargs)
        jobs.append(FitJob(est, group, data, seed))
    rows = []
    for job in jobs:  # one job at a time: a sweep's rows time each fit alone
        for method, score in zip(job.methods, _fit_jobs([job])[0]):
            rows.append(dict(setting=name, method=method.name, preset=preset, seed=seed, noise=noise,
                             **{k: score[k] for k in ("test_mse", "val_mse", "train_seconds",
                                                      "wall_seconds", "note")}))
    return rows


def sweep(setting: str, methods: Sequence[str], grid: Mapping[str, Sequence[Any]],
          seeds: Iterable[int] = (0,), preset: str = "book", *, progress: bool = True,
          **kwargs: Any) -> pd.DataFrame:
    """Test MSE and training time of ``methods`` at every point of ``grid`` and every seed.

    Parameters
    ----------
    setting : str
        A synthetic setting or UCI set (:func:`gft.experiments.cells.canonical_setting`).
    methods : sequence of str
        Method names of :func:`gft.experiments.methods.get_method` (``"gft"``, ``"gft-r"``,
        ``"nn"``, ``"rff"``...).
    grid : mapping of str to sequence
        Estimator keywords and their values; every combination is run.
    seeds : iterable of int
        Data draws (and estimator seeds).
    preset : str
        The estimators' preset, before ``grid`` and ``kwargs`` override it.
    progress : bool
        A progress bar over the (grid point, seed) pairs.
    **kwargs
        Passed to :func:`fit_and_score` (``noise``, ``budget``, ``device``, estimator
        keywords...).

    Returns
    -------
    pandas.DataFrame
        Tidy: one row per (grid point, seed, method), the grid's keywords as columns next to
        those of :func:`fit_and_score`.

    Raises
    ------
    ValueError
        If ``grid`` is empty.
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
    """Test MSE against the number of features ``N`` (column ``n_features``).

    Parameters
    ----------
    setting, methods, seeds, preset, **kwargs
        As :func:`sweep`.
    n_values : sequence of int
        The numbers of features :math:`N`.

    Returns
    -------
    pandas.DataFrame
        :func:`sweep`'s frame.
    """
    return sweep(setting, methods, {"n_features": n_values}, seeds, preset, **kwargs)


def sweep_tv_weight(setting: str, methods: Sequence[str] = ("gft-r",),
                    lambdas: Sequence[float] = LAMBDA_GRID, seeds: Iterable[int] = (0, 1),
                    preset: str = "book", **kwargs: Any) -> pd.DataFrame:
    """Test MSE against the TV weight λ (column ``tv_weight``).

    Parameters
    ----------
    setting, methods, seeds, preset, **kwargs
        As :func:`sweep`; ``noise=σ`` adds Gaussian label noise to a synthetic setting.
    lambdas : sequence of float
        The TV weights :math:`\\lambda \\geq 0`.

    Returns
    -------
    pandas.DataFrame
        :func:`sweep`'s frame.
    """
    return sweep(setting, methods, {"tv_weight": lambdas}, seeds, preset, **kwargs)


def sweep_generator(setting: str, widths: Sequence[int] = (32, 128, 512),
                    steps: Sequence[int] = (250, 1000, 3000), depth: int = 3,
                    methods: Sequence[str] = ("gft",), seeds: Iterable[int] = (0,),
                    preset: str = "book", **kwargs: Any) -> pd.DataFrame:
    """Test MSE and time against the generator's width (``depth`` hidden layers) and its steps.

    Parameters
    ----------
    setting, methods, seeds, preset, **kwargs
        As :func:`sweep`. With only ``"gft"`` in ``methods`` no refinement is run.
    widths : sequence of int
        Width of every hidden layer of the generator.
    steps : sequence of int
        Generator training steps.
    depth : int
        Hidden layers of the generator.

    Returns
    -------
    pandas.DataFrame
        :func:`sweep`'s frame with columns ``width`` and ``generator_steps`` naming the grid
        point.
    """
    frames = []
    for width in widths:
        df = sweep(setting, methods, {"generator_steps": steps}, seeds, preset,
                   hidden=(int(width),) * depth, **kwargs)
        frames.append(df.assign(width=int(width)))
    return pd.concat(frames, ignore_index=True)


def sweep_summary(df: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Per ``by`` + method: ``seeds``, the mean, std, min and max of test MSE, the mean training
    time and, when the sweep recorded ``val_mse``, the mean validation MSE (:func:`trial_stats`)."""
    return trial_stats(df, [*by, "method"], count="seeds")


def write_sweep(df: pd.DataFrame, path: str | os.PathLike, command: str,
                wall_seconds: float | None = None, device: str = "cpu") -> Path:
    """Write a sweep to CSV with the runner's provenance columns (``command, commit, dirty, host,
    torch, device, device_name, threads, date``) and ``sweep_wall_seconds`` (the whole sweep)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df.assign(**provenance(command, device), sweep_wall_seconds=wall_seconds).to_csv(path, index=False)
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

    Parameters
    ----------
    path : path-like or None
        The sweep's CSV (None: always compute, never write).
    function : callable
        The sweep, e.g. :func:`sweep_tv_weight`; its name is part of the key.
    config : mapping
        Its keyword arguments. The file's ``config`` column must equal the canonical JSON of
        ``function``'s name, ``config`` and ``fingerprint`` for the file to be used.
    fingerprint : object
        What else the results depend on, e.g. the preset's keyword values.
    write : bool
        Write a sweep that had to be run to ``path``, with :func:`write_sweep`'s provenance.
    command : str
        The provenance's ``command``.
    **run_kwargs
        Passed to ``function`` but not compared (``device``, ``progress``).

    Returns
    -------
    frame : pandas.DataFrame
    source : str
        ``"read <path>"``, ``"computed"`` or ``"computed and written to <path>"``, the path
        shown from ``book/`` on when it lies in a checkout's book folder.
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
