"""The entry points of the experiment protocol: :func:`run_cells` and :func:`run_cell` (checks, grouping, joblib)."""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import torch
from joblib import Parallel, delayed

from ..datasets import load_uci
from . import store
from .cells import Cell, validate_cell
from .methods import Method, estimator_class, get_method
from .protocol import DEFAULT_TRIALS, LAMBDA_GRID, CellResult, RunConfig, _log, run_group

__all__ = ["run_cells", "run_cell"]


def _check_existing(cell: Cell, method: Method, cfg: RunConfig) -> None:
    """Refuse to mix a run with a folder's results made under other settings."""
    hint = "Pass the same settings to continue those results, or choose another output folder."
    rec = store.read_selection(cfg.out / f"{cell.stem}.selection.json")
    kwargs = store.json_kwargs(cfg.estimator_kwargs)
    if rec is not None:
        if rec["seed"] != cfg.seed:
            raise ValueError(f"{cell.stem}: the results in {cfg.out} were made with seed "
                             f"{rec['seed']}, this run asks for seed {cfg.seed}. {hint}")
        if method.tunes_lambda and rec["lambdas"] != list(cfg.lambdas):
            raise ValueError(f"{cell.stem}: the results in {cfg.out} selected lambda on the grid "
                             f"{rec['lambdas']}, this run asks for {list(cfg.lambdas)}. {hint}")
        if rec.get("estimator_kwargs", "") != kwargs:
            raise ValueError(f"{cell.stem}: the results in {cfg.out} used estimator_kwargs "
                             f"{rec.get('estimator_kwargs')!r}, this run {kwargs!r}. {hint}")
    for row in store.read_rows(cfg.out / f"{cell.stem}.csv"):
        if int(row["seed"]) != cfg.seed or row.get("estimator_kwargs", "") != kwargs:
            raise ValueError(f"{cell.stem}.csv in {cfg.out} holds rows made with seed {row['seed']} "
                             f"and estimator_kwargs {row.get('estimator_kwargs', '')!r}; this run "
                             f"asks for seed {cfg.seed} and {kwargs!r}. {hint}")


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def run_cells(
    cells: Iterable[Cell | Sequence],
    out: str | Path,
    preset: str | None = None,
    jobs: int = 1,
    *,
    n_trials: int = DEFAULT_TRIALS,
    seed: int = 0,
    lambdas: Sequence[float] = LAMBDA_GRID,
    device: str = "auto",
    data_dir: str | None = None,
    estimator_kwargs: Mapping[str, Any] | None = None,
    command: str | None = None,
    verbose: bool = True,
    fit_progress: bool = False,
    errors: str = "continue",
) -> list[CellResult]:
    r"""Run the protocol of :mod:`gft.experiments.protocol` for ``cells``, appending rows to ``out``; resumable.

    Rows already in ``out`` are skipped, and a cell's λ selection is read back when its
    record exists, so an interrupted sweep continues where it stopped with no row lost or
    written twice. Cells that share an estimator and a problem (``gft`` and ``gft-r``) run
    as one job sharing their fits; jobs run through ``joblib.Parallel(n_jobs=jobs)``, so a
    Dask or Ray cluster takes them without code changes
    (:func:`~gft.experiments.backends.sweep_backend` connects to one, or starts a local one)::

        with sweep_backend("dask"):   # or sweep_backend("ray"), or ("dask", "tcp://host:8786")
            run_cells(cells, "results", jobs=-1)

    Each job holds its cells' run locks, so two processes started on the same sweep
    share the cells between them instead of computing them twice.

    Parameters
    ----------
    cells : iterable of Cell or tuple
        What to run (see :func:`gft.experiments.make_cells`); tuples are ``Cell(*t)``.
    out : path
        Results folder (created); layout in :mod:`gft.experiments.store`.
    preset : str, optional
        If given, replaces every cell's preset.
    jobs : int
        ``n_jobs`` of joblib (1: in this process; -1: all cores).
    n_trials : int
        Trials :math:`T` per cell (raising it later adds trials to a finished folder).
    seed : int
        Base seed :math:`s`: the selection uses the draw and estimator seed :math:`s`,
        trial :math:`t` uses :math:`s + t`.
    lambdas : sequence of float
        TV weights of the selection, default :data:`LAMBDA_GRID` (e.g. ``[0]``: no TV).
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"``, ... (resolved in each worker).
    data_dir : str, optional
        Folder of the UCI files (default: as :func:`gft.datasets.load_uci`,
        ``$GFT_DATA_DIR``, else ``~/.cache/gft/datasets``).
    estimator_kwargs : mapping, optional
        Extra estimator keywords for every fit (recorded; a folder must not mix them).
    command : str, optional
        Provenance text for the rows (the CLI passes its command line).
    verbose : bool
        Lines on stderr: one as each selection or run of trials starts (at the paper preset
        they last up to hours), one per selection, trial and cell as it ends.
    fit_progress : bool
        The estimators' tqdm bars (off by default).
    errors : {"continue", "raise"}
        On a failing cell: record it and go on (``CellResult.status == "failed"``), or raise.

    Returns
    -------
    list of CellResult, in the order of ``cells``.
    """
    if errors not in ("continue", "raise"):
        raise ValueError(f"errors must be one of ['continue', 'raise'], got {errors!r}")
    cells = [validate_cell(c) for c in cells]
    if preset is not None:
        cells = [validate_cell(replace(c, preset=preset)) for c in cells]
    cells = list(dict.fromkeys(cells))
    if not cells:
        raise ValueError("no cells to run")
    n_trials = _check_int("n_trials", n_trials, 1)
    seed = _check_int("seed", seed, 0)
    lambdas = tuple(float(lam) for lam in lambdas)
    if not lambdas or any(not (math.isfinite(lam) and lam >= 0) for lam in lambdas) \
            or len(set(lambdas)) != len(lambdas):
        raise ValueError(f"lambdas must be distinct finite numbers >= 0, got {list(lambdas)}")
    if not (isinstance(jobs, numbers.Integral) and jobs != 0):
        raise ValueError(f"jobs must be a non-zero integer (joblib's n_jobs), got {jobs!r}")
    if device != "auto":
        try:
            torch.device(device)
        except (RuntimeError, TypeError) as err:
            raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}") from err
    methods = {c: get_method(c.method) for c in cells}
    for m in {m.name: m for m in methods.values()}.values():
        estimator_class(m.estimator)  # fail now if, e.g., gft.baselines is missing
    for name in dict.fromkeys(c.setting for c in cells if c.kind == "uci"):
        load_uci(name, data_dir=data_dir, seed=seed)  # fail now if a data file is missing
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    commit, dirty = store.code_provenance()
    if command is None:
        command = (f"gft.experiments.run_cells({len(cells)} cells, n_trials={n_trials}, "
                   f"seed={seed}, lambdas={list(lambdas)})")
    cfg = RunConfig(out, n_trials, seed, lambdas, device, data_dir, dict(estimator_kwargs or {}),
                    command, commit, dirty, verbose, fit_progress, errors)
    for c in cells:
        _check_existing(c, methods[c], cfg)
    groups: dict[tuple, list[tuple[Cell, Method]]] = {}
    for c in cells:
        est = methods[c].estimator
        key = (c.setting, c.activation, c.preset, c.n_features, est if isinstance(est, str) else id(est))
        groups.setdefault(key, []).append((c, methods[c]))
    start = time.perf_counter()
    done = Parallel(n_jobs=jobs)(delayed(run_group)(g, cfg) for g in groups.values())
    by_cell = {r.cell: r for rs in done for r in rs}
    results = [by_cell[c] for c in cells]
    status = [r.status for r in results]
    _log(cfg, f"{len(cells)} cells: {status.count('done')} done, {status.count('failed')} failed, "
              f"{status.count('busy')} busy; {sum(r.new_trials for r in results)} new trials in "
              f"{time.perf_counter() - start:.1f} s -> {out}")
    return results


def run_cell(cell: Cell | Sequence, out: str | Path, **kwargs: Any) -> CellResult:
    """Run one cell (see :func:`run_cells`, same keywords); errors are raised."""
    kwargs.setdefault("errors", "raise")
    if "command" not in kwargs:
        kwargs["command"] = f"gft.experiments.run_cell({validate_cell(cell)!r})"
    return run_cells([cell], out, **kwargs)[0]
