r"""The paper's experiment protocol for one group of cells: λ selection on one draw, then trials, resumable.

For a cell (setting, method, activation, preset, N) and a base seed :math:`s`:

1. **Selection.** On the data draw of seed :math:`s`, fit the method once per
   :math:`\lambda` of the grid (estimator seeded with :math:`s`) and keep the
   :math:`\lambda` of least validation MSE (the method's own: the generator's for GFT, the
   refinement's for GFT-r). The record (validation and test MSE per :math:`\lambda`, the
   choice) is written before any trial, so a resumed run never redoes it. Where the fits of
   a selection run one after the other (every method but GFT), each finished fit is kept in
   ``<cell>.partial-selection.json`` as it ends, and a resumed run fits only the λ it lacks
   (each entry records the commit that fitted it); the file is removed once the record is
   written. A run in progress (GFT's batched run, or one fit of another method) keeps its
   state in ``<cell>.partial-run.pt`` about every ten minutes and at the end of each phase,
   and a resumed run goes on from there (:func:`gft.fit_batched`,
   :meth:`gft.estimators.FeatureRegressorBase.fit`); the rows' ``fitted`` column then names the step
   each phase resumed at, and ``train_seconds`` counts the stopped run's time up to its save.
2. **Trials** :math:`t = 0..T-1`: the data draw of seed :math:`s + t` (synthetic: new
   samples; UCI: new shuffle and noise columns, except ``galaxy``, whose one fixed split
   every trial shares), the estimator seeded with :math:`s + t`,
   fitted at the selected :math:`\lambda`; the test MSE goes into one CSV row. Trial 0 has
   the data and seed of the selection fit at that :math:`\lambda`, so that fit's scores are
   the row (``selection_fit=True``) and nothing is refitted.

Methods without a TV weight (``rff``, ``sparse-rf``) have nothing to select: their
selection is one "grid point" with ``lambda`` = NaN, which becomes trial 0. Methods that fit
the same estimator (``gft`` and ``gft-r``) share their fits when run together: every fit of
the selection, and a trial's fit where both selected the same λ (each selects on its own
validation MSE, so they can differ); ``gft`` alone is
fitted with ``refine_steps=0``. The generator phase does not depend on the refinement, so
the ``gft`` numbers are the same either way.

The fits of a selection (one per λ) are one batched run for GFT
(:func:`gft.estimators.fit_batched`), and so are a cell's trials at its selected λ (each
with its own data draw and seed); every member ends as its fit alone would.

Times in a row: ``train_seconds`` is the estimator's ``fit`` (for ``gft`` less the
refinement phase of a shared fit; for a member of a batched run, its share: the run's time
divided by the number of members), ``wall_seconds`` the fit plus scoring.
"""

from __future__ import annotations

import functools
import math
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import torch
from filelock import Timeout

from ..estimators import GFTRegressor, resolve_device
from . import store
from .cells import Cell, load_cell_data
from .fitting import FitJob, fit_and_score
from .methods import Method, estimator_class, fit_overrides

__all__ = ["LAMBDA_GRID", "DEFAULT_TRIALS", "CellResult", "RunConfig", "run_group"]

#: The TV weights of the model selection (the grid of the paper; :math:`\lambda` in ``book/notation.md``).
LAMBDA_GRID: tuple[float, ...] = (0.0, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)
#: Trials per cell (five, as in the paper's tables).
DEFAULT_TRIALS = 5


@dataclass
class CellResult:
    """What :func:`run_cells` did for one cell.

    ``status`` is ``"done"`` (all trials in the file), ``"failed"`` (``error`` says why; the
    rows written so far are kept) or ``"busy"`` (another process holds the cell's run lock).
    """

    cell: Cell
    status: str
    new_trials: int = 0
    selected_lambda: float | None = None
    error: str = ""


@dataclass(frozen=True)
class RunConfig:
    """The settings of one :func:`gft.experiments.run_cells` call, shipped to every job."""

    out: Path
    n_trials: int
    seed: int
    lambdas: tuple[float, ...]
    device: str
    data_dir: str | None
    estimator_kwargs: Mapping[str, Any]
    command: str
    commit: str
    dirty: bool | None
    verbose: bool
    fit_progress: bool
    errors: str


def _log(cfg: RunConfig, msg: str) -> None:
    if cfg.verbose:
        print(f"[gft] {msg}", file=sys.stderr, flush=True)


def _fmt_lambda(lam: float | None) -> str:
    return "-" if lam is None or lam != lam else f"{lam:g}"


def _log_start(cfg: RunConfig, members: Sequence[tuple[Cell, Method]], what: str, n_fits: int,
               batched: bool) -> None:
    """A line before a run of fits, which at the paper preset lasts up to hours: the next
    line for these cells comes only when it ends."""
    labels = ", ".join(dict.fromkeys(c.label for c, _ in members))
    how = "" if n_fits == 1 else (", one batched run" if batched else ", one after the other")
    _log(cfg, f"{labels}: {what}: {n_fits} fit{'s' * (n_fits != 1)}{how}, started {store.utc_now()}")


# -- one fit serving one or more methods --------------------------------------------------
def _estimator(members: Sequence[tuple[Cell, Method]], lam: float | None, seed: int,
               device: torch.device, cfg: RunConfig) -> Any:
    """The (unfitted) estimator that serves ``members`` at ``lam``."""
    cell, methods = members[0][0], [m for _, m in members]
    kwargs: dict[str, Any] = dict(activation=cell.activation, random_state=seed,
                                  device=str(device), progress=cfg.fit_progress)
    if cell.n_features is not None:
        kwargs["n_features"] = cell.n_features
    if lam is not None:
        kwargs["tv_weight"] = lam
    kwargs.update(fit_overrides(methods))
    kwargs.update(cfg.estimator_kwargs)
    return estimator_class(methods[0].estimator).from_preset(cell.preset, **kwargs)


def _fit_and_score(jobs: Sequence[tuple[Sequence[tuple[Cell, Method]], float | None, Any, int]],
                   device: torch.device, cfg: RunConfig, batched: bool = False) -> list[dict[Cell, dict[str, Any]]]:
    """Fit one estimator per job ``(members, lam, data, seed)``; each member's cell gets its
    method's scores. A batched GFT run (``batched``), or a single fit, keeps its state in
    ``<cell>.partial-run.pt`` (of the first job's first cell) and resumes from it."""
    fit_jobs = [FitJob(_estimator(members, lam, seed, device, cfg), [m for _, m in members], data, seed)
                for members, lam, data, seed in jobs]
    checkpoint = cfg.out / f"{jobs[0][0][0][0].stem}.partial-run.pt" if batched or len(jobs) == 1 else None
    if checkpoint is not None and checkpoint.exists():
        _log(cfg, f"{checkpoint.name}: a stopped run's state; the run goes on from it if it is this run's")
    return [{c: score for (c, _), score in zip(members, scores)}
            for (members, _, _, _), scores in zip(jobs, fit_and_score(fit_jobs, checkpoint))]


# -- selection ----------------------------------------------------------------------------
def _partial_path(cfg: RunConfig, c: Cell) -> Path:
    return cfg.out / f"{c.stem}.partial-selection.json"


def _partial_key(cfg: RunConfig, c: Cell, grid: list) -> dict[str, Any]:
    """What a kept fit of an unfinished selection must share with this run to be reused."""
    return dict(setting=c.setting, method=c.method, activation=c.activation, preset=c.preset,
                n_features=c.n_features, seed=cfg.seed, lambdas=grid,
                estimator_kwargs=store.json_kwargs(cfg.estimator_kwargs))


_SCORES = ("val_mse", "test_mse", "train_seconds", "wall_seconds")
#: What a selection entry records of the run that fitted it, for the row of trial 0.
_FIT_PROVENANCE = ("commit", "dirty", "host", "torch", "device", "device_name", "threads")


def _numbers(entry: Mapping[str, Any]) -> dict[str, Any]:
    """An entry read back from JSON, its scores' ``null`` (NaN when written) NaN again."""
    return {k: math.nan if v is None and k in _SCORES else v for k, v in entry.items()}


def _select(active, records, cfg: RunConfig, device, machine) -> None:
    """Run λ selection for the cells in ``active`` without a record; write their records."""
    for c, _ in active:  # a run that died between writing a record and removing its kept fits
        if records[c] is not None and _partial_path(cfg, c).exists():
            with store.cell_lock(cfg.out, c.stem):
                _partial_path(cfg, c).unlink(missing_ok=True)
    todo = [(c, m) for c, m in active if records[c] is None]
    if not todo:
        return
    data = load_cell_data(todo[0][0].setting, cfg.seed, cfg.data_dir)
    grids = {c: (list(cfg.lambdas) if m.tunes_lambda else [None]) for c, m in todo}
    entries: dict[Cell, list[dict]] = {c: [] for c, _ in todo}
    union = list(dict.fromkeys(lam for c, _ in todo for lam in grids[c]))
    batched = _batchable(todo)

    def fitted(c: Cell, lam) -> bool:
        return any(e["lambda"] == lam for e in entries[c])

    # fits one after the other: keep each as it ends, and reuse those an interrupted run kept
    keep = not batched and len(union) > 1
    if keep:
        for c, _ in todo:
            kept = store.read_selection(_partial_path(cfg, c))
            if kept and all(kept.get(k) == v for k, v in _partial_key(cfg, c, grids[c]).items()):
                entries[c] = [_numbers(e) for e in kept["entries"] if e["lambda"] in grids[c]]
    jobs = [([(c, m) for c, m in todo if lam in grids[c]], lam, data, cfg.seed) for lam in union]
    jobs = [job for job in jobs if not all(fitted(c, job[1]) for c, _ in job[0])]
    what = (f"selecting lambda among {', '.join(map(_fmt_lambda, union))}" if union != [None]
            else "trial 1 (no lambda to select)")
    reused = sorted({e["lambda"] for c, _ in todo for e in entries[c]})
    if reused:
        what += f" (kept from an interrupted run: lambda {', '.join(map(_fmt_lambda, reused))})"
    _log_start(cfg, todo, what, len(jobs), batched)
    for group in ([jobs] if batched else [[job] for job in jobs]):  # batched: one run
        for (members, lam, _, _), scores in zip(group, _fit_and_score(group, device, cfg, batched)):
            for c, score in scores.items():
                if not fitted(c, lam):
                    entries[c].append({"lambda": lam, **score, "commit": cfg.commit, "dirty": cfg.dirty,
                                       **machine, "date": store.utc_now()})
            if keep:
                for c, _ in members:
                    store.write_selection(_partial_path(cfg, c),
                                          dict(_partial_key(cfg, c, grids[c]), entries=entries[c]),
                                          store.cell_lock(cfg.out, c.stem))
    for c, m in todo:
        entries[c].sort(key=lambda e: grids[c].index(e["lambda"]))
        vals = np.array([e["val_mse"] for e in entries[c]], dtype=float)
        if not np.isfinite(vals).any():
            raise RuntimeError(f"{c.label}: no finite validation MSE on the grid {grids[c]}")
        best = entries[c][int(np.nanargmin(np.where(np.isfinite(vals), vals, np.nan)))]
        records[c] = dict(
            setting=c.setting, kind=c.kind, method=c.method, activation=c.activation,
            preset=c.preset, n_features=c.n_features, seed=cfg.seed, data_seed=cfg.seed,
            lambdas=list(cfg.lambdas) if m.tunes_lambda else None,
            estimator_kwargs=store.json_kwargs(cfg.estimator_kwargs),
            selected_lambda=best["lambda"], selected_val_mse=best["val_mse"],
            entries=entries[c], command=cfg.command, commit=cfg.commit, dirty=cfg.dirty,
            **machine, date=store.utc_now(),
        )
        store.write_selection(cfg.out / f"{c.stem}.selection.json", records[c],
                              store.cell_lock(cfg.out, c.stem))
        if keep:
            with store.cell_lock(cfg.out, c.stem):
                _partial_path(cfg, c).unlink(missing_ok=True)
        grid = ", ".join(f"{_fmt_lambda(e['lambda'])}: {e['val_mse']:.3g}" for e in entries[c])
        _log(cfg, f"{c.label}: selected lambda={_fmt_lambda(best['lambda'])} (val MSE {grid})")


# -- trials -------------------------------------------------------------------------------
def _row(cell: Cell, cfg: RunConfig, trial: int, lam: float | None, score: Mapping[str, Any],
         provenance: Mapping[str, Any], selection_fit: bool, date: str) -> dict[str, Any]:
    return dict(
        setting=cell.setting, kind=cell.kind, method=cell.method, activation=cell.activation,
        preset=cell.preset, n_features=score["n_features"], seed=cfg.seed, trial=trial,
        data_seed=cfg.seed + trial, **{"lambda": math.nan if lam is None else lam},
        test_mse=score["test_mse"], val_mse=score["val_mse"],
        train_seconds=score["train_seconds"], wall_seconds=score["wall_seconds"],
        selection_fit=selection_fit, note=score["note"], engine=score["engine"],
        fitted=score.get("fitted", ""),
        estimator_kwargs=store.json_kwargs(cfg.estimator_kwargs),
        **{k: provenance[k] for k in ("command", *_FIT_PROVENANCE)},
        date=date,
    )


def _done_trials(cell: Cell, cfg: RunConfig) -> set[int]:
    rows = store.read_rows(cfg.out / f"{cell.stem}.csv")
    return {int(r["trial"]) for r in rows if int(r["seed"]) == cfg.seed}


def _trials(active, records, cfg: RunConfig, device, machine, counts) -> None:
    here = dict(command=cfg.command, commit=cfg.commit, dirty=cfg.dirty, **machine)
    done = {c: _done_trials(c, cfg) for c, _ in active}
    for c, _ in active:  # trial 0 is the selection fit at the chosen lambda
        if 0 not in done[c]:
            rec = records[c]
            entry = next(e for e in rec["entries"] if e["lambda"] == rec["selected_lambda"])
            score = {k: (math.nan if entry.get(k) is None else entry[k]) for k in _SCORES}
            score.update(note=entry.get("note", ""), engine=entry.get("engine", ""),
                         fitted=entry.get("fitted", ""),
                         n_features=entry["n_features"])
            # a fit kept from an interrupted run: its own commit and machine (older entries
            # hold the commit only)
            fitted_by = dict(rec, **{k: entry[k] for k in _FIT_PROVENANCE if k in entry})
            _write(c, cfg, _row(c, cfg, 0, rec["selected_lambda"], score, fitted_by, True,
                                entry.get("date", rec["date"])), counts, done)
    # the other trials (each its own data draw and seed), grouped by the selected lambda:
    # a GFT group trains in one batched run, anything else one trial after the other, each
    # row written as soon as its fit is scored
    by_trial_lambda: dict[tuple[int, Any], list[tuple[Cell, Method]]] = {}
    for t in range(1, cfg.n_trials):
        for c, m in active:
            if t not in done[c]:
                by_trial_lambda.setdefault((t, records[c]["selected_lambda"]), []).append((c, m))
    by_lambda: dict[Any, list] = {}
    for (t, lam), members in by_trial_lambda.items():
        by_lambda.setdefault(lam, []).append((members, t))
    for lam, groups in by_lambda.items():
        batched = _batchable(groups[0][0])
        for batch in ([groups] if batched else [[g] for g in groups]):
            jobs = [(members, lam, load_cell_data(members[0][0].setting, cfg.seed + t, cfg.data_dir),
                     cfg.seed + t) for members, t in batch]
            _log_start(cfg, [cm for members, _ in batch for cm in members],
                       f"trial{'s' * (len(batch) > 1)} {', '.join(str(t + 1) for _, t in batch)} at "
                       f"lambda={_fmt_lambda(lam)}", len(jobs), batched)
            for (_, t), scores in zip(batch, _fit_and_score(jobs, device, cfg, batched)):
                for c, score in scores.items():
                    _write(c, cfg, _row(c, cfg, t, lam, score, here, False, store.utc_now()), counts, done)


def _batchable(members: Sequence[tuple[Cell, Method]]) -> bool:
    """Whether the fits serving ``members`` train in batched runs (GFT estimators do)."""
    return estimator_class(members[0][1].estimator) is GFTRegressor


def _write(c: Cell, cfg: RunConfig, row: dict, counts, done) -> None:
    counts[c] += store.append_rows(cfg.out / f"{c.stem}.csv", [row], store.cell_lock(cfg.out, c.stem))
    done[c].add(row["trial"])
    _log(cfg, f"{c.label}: trial {row['trial'] + 1}/{cfg.n_trials} lambda={_fmt_lambda(row['lambda'])} "
              f"test MSE {row['test_mse']:.4g} ({row['train_seconds']:.2f} s)")


@functools.cache
def _warm_up() -> None:
    """Pay one-off lazy imports before the first fit is timed (the first ``torch.optim.Adam``
    imports ``torch._dynamo``: seconds that would be charged to the first trial); once per
    process."""
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


def run_group(group: Sequence[tuple[Cell, Method]], cfg: RunConfig) -> list[CellResult]:
    """Selection and trials for cells that share an estimator (and so their fits)."""
    results: dict[Cell, CellResult] = {}
    counts = {c: 0 for c, _ in group}
    records: dict[Cell, dict | None] = {}
    locks, active = [], []
    try:
        for c, m in group:
            lock = store.run_lock(cfg.out, c.stem)
            try:
                lock.acquire(timeout=0)
            except Timeout:
                results[c] = CellResult(c, "busy", error="another process is running this cell")
                _log(cfg, f"{c.label}: skipped, another process is running it")
                continue
            locks.append(lock)
            active.append((c, m))
            records[c] = store.read_selection(cfg.out / f"{c.stem}.selection.json")
        if active:
            try:
                _warm_up()
                device = resolve_device(cfg.device)
                machine = store.machine_provenance(device)
                _select(active, records, cfg, device, machine)
                _trials(active, records, cfg, device, machine, counts)
            except KeyboardInterrupt:
                raise
            except Exception as err:
                if cfg.errors == "raise":
                    raise
                msg = "".join(traceback.format_exception_only(type(err), err)).strip()
                for c, _ in active:
                    results[c] = CellResult(c, "failed", counts[c], _selected(records[c]), msg)
                    _log(cfg, f"{c.label}: FAILED: {msg}")
                if cfg.verbose:
                    traceback.print_exc(file=sys.stderr)
        for c, _ in active:
            if c not in results:
                results[c] = CellResult(c, "done", counts[c], _selected(records[c]))
                _log(cfg, f"{c.label}: done ({cfg.n_trials} trials, {counts[c]} new)")
    finally:
        for lock in locks:
            lock.release()
    return [results[c] for c, _ in group]


def _selected(record: Mapping[str, Any] | None) -> float | None:
    if record is None:
        return None
    lam = record.get("selected_lambda")
    return math.nan if lam is None else float(lam)
