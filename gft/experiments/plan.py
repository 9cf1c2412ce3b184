"""Plans: a sweep's ``python -m gft run`` lines in one file, and how far a results folder has got.

A plan file (``book/results/plan.txt``) holds one ``run`` line per block of cells, without
``--out``; ``#`` starts a comment, and a comment on a line of its own names the run lines
below it. :func:`read_plan` parses a plan with the command line's own parser, so a plan that
reads here runs there. :func:`plan_progress` compares a plan with a results folder: per
cell the trials written, whether λ has been selected, and the wall time spent; per block
the cells done and an estimate of the time left.
"""

from __future__ import annotations

import datetime as _dt
import shlex
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._checkpoint import read_summary, summary_path
from . import store
from .cells import Cell
from .methods import get_method

__all__ = ["PlanLine", "read_plan", "plan_progress", "reference_progress", "progress_by_block", "progress_markdown",
           "cells_markdown", "status_markdown", "unfinished_runs"]


@dataclass(frozen=True)
class PlanLine:
    """One ``run`` line of a plan: its line number, the comment heading it, its cells."""

    number: int
    text: str
    heading: str
    cells: tuple[Cell, ...]
    trials: int
    args: Any  # the parsed ``run`` arguments


def read_plan(path: str | Path) -> list[PlanLine]:
    """The run lines of the plan file ``path``, parsed as ``python -m gft run`` would parse them.

    Raises
    ------
    ValueError
        When the file cannot be read, or a line has options ``run`` does not accept (the
        message names the line).
    """
    from ..cli import build_parser, cells_from_args  # the plan's grammar is the command line's

    try:
        lines = Path(path).read_text().splitlines()
    except OSError as err:
        raise ValueError(f"cannot read the plan file: {err}") from err
    parser = build_parser()
    heading, out = "", []
    for number, raw in enumerate(lines, 1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            if raw.strip().startswith("#"):
                heading = raw.strip().lstrip("#").strip()
            continue
        try:
            args = parser.parse_args(["run", *shlex.split(text), "--out", "."])
        except SystemExit as err:
            raise ValueError(f"{path}:{number}: bad options: {text!r}") from err
        out.append(PlanLine(number, text, heading, tuple(cells_from_args(args)), args.trials, args))
    return out


def _float_or_nan(value: Any) -> float:
    return np.nan if value is None else float(value)


def _cell_record(cell: Cell, folder: Path) -> dict[str, Any]:
    rows = store.read_rows(folder / f"{cell.stem}.csv")
    selection = store.read_selection(folder / f"{cell.stem}.selection.json")
    # a selection still running one fit after another keeps the fits it finished
    kept = None if selection is not None else store.read_selection(folder / f"{cell.stem}.partial-selection.json")
    entries = (selection or kept or {}).get("entries") or []
    trial_seconds = [float(r["wall_seconds"]) for r in rows
                     if r.get("wall_seconds") and r.get("selection_fit") != "True"]
    test_mse = [float(r["test_mse"]) for r in rows if r.get("test_mse") not in (None, "")]
    # a run still training keeps its state in <cell>.partial-run.pt, and says how far in its summary
    running = read_summary(folder / f"{cell.stem}.partial-run.pt") or {}
    phases = running.get("phases", {})
    return dict(trials_done=len(rows), selected=selection is not None or not get_method(cell.method).tunes_lambda,
                running=_phases_text(phases), running_seconds=float(sum(p["seconds"] for p in phases.values())),
                selected_lambda=_float_or_nan((selection or {}).get("selected_lambda")),
                test_mse=test_mse, n_selection_fits=len(entries),
                kept_lambdas=[float(e["lambda"]) for e in entries] if kept is not None else [],
                n_candidates=len((kept or {}).get("lambdas") or []),
                lambda0_seconds=next((float(e.get("wall_seconds") or np.nan) for e in entries
                                      if e.get("lambda") in (0, 0.0)), np.nan),
                selection_seconds=float(sum(e.get("wall_seconds") or 0.0 for e in entries)),
                trial_seconds=float(sum(trial_seconds)), n_trial_fits=len(trial_seconds))


def _phases_text(phases: dict) -> str:
    """``"GFT generator finished, GFT-r refinement at step 19000"`` (empty without phases)."""
    return ", ".join(f"{name} " + ("finished" if p["done"] else f"at step {p['step']}") for name, p in phases.items())


def plan_progress(plan: str | Path | list[PlanLine], folder: str | Path, preset: str | None = None) -> pd.DataFrame:
    """How far ``folder`` has got with ``plan``: one row per cell of the plan.

    ``preset`` reads the plan's cells at another preset (the ``book`` results of the same
    cells, to price the ``paper`` ones by; see :func:`progress_by_block`).

    Columns: ``line``, ``heading``, the cell (``setting, method, activation, preset``),
    ``trials`` (wanted), ``trials_done``, ``selected`` (λ chosen, or nothing to choose),
    ``status`` (``"done"``, ``"partial"`` or ``"not started"``), ``selected_lambda`` (NaN until
    chosen, and for methods without λ), ``kept_lambdas`` (the λ whose fits a selection still
    running has kept in ``<cell>.partial-selection.json``; their seconds count as the
    selection's; ``n_candidates``, the number of λ it compares, 0 if it does not say),
    ``test_mse`` (a list, one per trial written), ``running`` and ``running_seconds`` (the
    phases a run still training has saved in ``<cell>.partial-run.pt``, as its summary
    ``<cell>.partial-run.pt.json`` gives them, and their wall seconds, which count as spent),
    ``estimator``, ``fit`` (the cells that
    share their fits, as ``gft`` and ``gft-r`` do, carry one label) and ``seconds``: the
    wall time of the cell's fits as its rows and selection record give it (a selection run
    of ``B`` members records each member's share of the run). Cells that share fits show the
    same ``seconds``; :func:`progress_by_block` counts them once. What ``seconds`` sums, for
    :func:`progress_by_block` to price by: ``problem`` (the cell without its preset),
    ``n_selection_fits``, ``lambda0_seconds`` (the selection's λ = 0 fit),
    ``selection_seconds``, ``trial_seconds`` and ``n_trial_fits``.
    """
    lines = read_plan(plan) if not isinstance(plan, list) else plan
    folder = Path(folder)
    records = []
    for line in lines:
        for cell in line.cells:
            cell = cell if preset is None else replace(cell, preset=preset)
            rec = _cell_record(cell, folder)
            done, wanted = rec["trials_done"], line.trials
            started = done or rec["n_selection_fits"] or rec["running"]
            status = "done" if done >= wanted else "partial" if started else "not started"
            estimator = get_method(cell.method).estimator
            estimator = estimator if isinstance(estimator, str) else getattr(estimator, "__name__", "?")
            problem = "/".join([cell.setting, cell.activation, str(cell.n_features), estimator])
            fit = f"{problem}/{cell.preset}"
            records.append(dict(line=line.number, heading=line.heading, setting=cell.setting,
                                method=cell.method, activation=cell.activation, preset=cell.preset,
                                trials=wanted, trials_done=done, selected=rec["selected"], status=status,
                                selected_lambda=rec["selected_lambda"], kept_lambdas=rec["kept_lambdas"],
                                n_candidates=rec["n_candidates"],
                                test_mse=rec["test_mse"],
                                fit=fit, problem=problem, estimator=estimator,
                                running=rec["running"], running_seconds=rec["running_seconds"],
                                seconds=rec["selection_seconds"] + rec["trial_seconds"] + rec["running_seconds"],
                                n_selection_fits=rec["n_selection_fits"], lambda0_seconds=rec["lambda0_seconds"],
                                selection_seconds=rec["selection_seconds"],
                                trial_seconds=rec["trial_seconds"], n_trial_fits=rec["n_trial_fits"]))
    return pd.DataFrame.from_records(records)


def reference_progress(plan: str | Path | list[PlanLine], folder: str | Path) -> pd.DataFrame:
    """:func:`plan_progress` of ``plan``'s cells in ``folder`` at the one preset its results
    hold (the ``reference`` of :func:`progress_by_block`); ``ValueError`` if they hold none or several."""
    # <setting>__<method>__<activation>__<preset>[__N<n>].csv (Cell.stem)
    presets = sorted({parts[3] for f in Path(folder).glob("*.csv") if len(parts := f.stem.split("__")) >= 4})
    if len(presets) != 1:
        raise ValueError(f"{folder}: a reference folder holds the results of one preset; found {presets or 'none'}")
    return plan_progress(plan, folder, preset=presets[0])


def _per_fit_seconds(groups: pd.DataFrame) -> pd.Series:
    """Wall seconds per fit of each group (its selection's fits and its trials'), NaN without fits."""
    fits = groups["n_selection_fits"] + groups["n_trial_fits"]
    return (groups["selection_seconds"] + groups["trial_seconds"]) / fits.where(fits > 0)


def _own_trials(progress: pd.DataFrame) -> pd.Series:
    """Per group of cells that share their fits: whether its cells chose more than one λ, and
    so each ran its own trials."""
    return progress.groupby("fit", sort=False)["selected_lambda"].agg(lambda lam: lam.dropna().nunique() > 1)


def _groups(progress: pd.DataFrame) -> pd.DataFrame:
    """One row per group of cells that share their fits: the selection's always; the trials'
    where the cells chose one λ (``gft`` and ``gft-r``), else each cell ran its own trials,
    whose seconds, fits and missing trials add up."""
    grouped = progress.groupby("fit", sort=False)
    out = grouped.agg(
        line=("line", "first"), heading=("heading", "first"), estimator=("estimator", "first"),
        problem=("problem", "first"), activation=("activation", "first"),
        trials=("trials", "max"), trials_done=("trials_done", "min"),
        selected=("selected", "all"), n_selection_fits=("n_selection_fits", "max"),
        lambda0_seconds=("lambda0_seconds", "max"), selection_seconds=("selection_seconds", "max"),
        running_seconds=("running_seconds", "max"))
    own_trials = _own_trials(progress)
    missing = (progress["trials"] - progress["trials_done"]).clip(lower=0).groupby(progress["fit"], sort=False)
    for column, values in (("trial_seconds", grouped["trial_seconds"]), ("n_trial_fits", grouped["n_trial_fits"]),
                           ("trials_missing", missing)):
        out[column] = values.sum().where(own_trials, values.max())
    return out


def progress_by_block(progress: pd.DataFrame, reference: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per plan line: cells done of all, hours spent, and an estimate of the hours left.

    Hours are wall time of one process (one thread per process, as the sweeps run: about
    CPU time).

    A group of cells that share their fits counts once. The estimate prices each unfinished
    group by the fits it lacks: a selection's, if it has not ended (as many as finished groups
    of its estimator fitted, less those a running selection has kept; its fit at the chosen λ
    is trial 0), and one per other missing trial; a fit still running is priced whole, though
    the time it has run counts as spent. With ``reference``
    (:func:`plan_progress` of the same cells at a cheaper preset, ``plan_progress(plan,
    book_folder, preset="book")``) a fit costs what that group's fits cost there, times the
    ratio of the two presets' seconds for the selection's λ = 0 fit on the groups finished in
    both (median per estimator and activation, or per estimator): the estimate then follows
    each data set's size and how often its fits carry the TV term. Otherwise, and for groups
    the reference lacks, a fit costs the median of the finished groups of its estimator here
    (``NaN`` where none has finished). It is a rough guide: the machine's load changes what a
    fit costs by a factor of two or more.
    """
    groups = _groups(progress)
    complete = groups[groups["trials_done"] >= groups["trials"]]
    per_fit = _per_fit_seconds(complete)
    n_selection = complete.groupby("estimator")["n_selection_fits"].median()
    price = groups["estimator"].map(per_fit.groupby(complete["estimator"]).median())
    if reference is not None:
        ref = _groups(reference).drop_duplicates("problem").set_index("problem")
        ref_per_fit = _per_fit_seconds(ref)
        # the two presets compared on their fits without TV (those of the synthetic book
        # cells, whose λ is fixed at 0): the selection's λ = 0 fit in both
        ratios = complete["lambda0_seconds"] / complete["problem"].map(ref["lambda0_seconds"])
        # per estimator and activation where measured (the engines differ), else per estimator
        by_kind = ratios.groupby([complete["estimator"], complete["activation"]]).median()
        kind = pd.MultiIndex.from_frame(groups[["estimator", "activation"]])
        ratio = pd.Series(by_kind.reindex(kind).to_numpy(), index=groups.index).fillna(
            groups["estimator"].map(ratios.groupby(complete["estimator"]).median()))
        scaled = groups["problem"].map(ref_per_fit) * ratio
        price = scaled.where(scaled.notna(), price)
    missing = groups["trials_missing"]
    # trial 0 is the selection's fit at the chosen λ; a running selection's kept fits are done
    selection_left = (groups["estimator"].map(n_selection) - groups["n_selection_fits"]).clip(lower=0)
    fits_left = (selection_left + (missing - 1).clip(lower=0)).where(~groups["selected"], missing)
    groups["seconds_left"] = (fits_left * price).where(missing > 0, 0.0)
    cells = progress.groupby("line", sort=False).agg(
        heading=("heading", "first"), cells=("status", "size"),
        done=("status", lambda s: int((s == "done").sum())),
        partial=("status", lambda s: int((s == "partial").sum())))
    hours = groups.groupby("line", sort=False).agg(
        spent=("selection_seconds", "sum"), trials=("trial_seconds", "sum"), running=("running_seconds", "sum"),
        left=("seconds_left", lambda s: s.sum(min_count=len(s))))
    cells["hours_spent"] = (hours["spent"] + hours["trials"] + hours["running"]) / 3600
    cells["hours_left"] = hours["left"] / 3600
    return cells.reset_index()


def progress_markdown(blocks: pd.DataFrame) -> str:
    """:func:`progress_by_block` as a Markdown table, with its totals."""
    hours = lambda x: "?" if not np.isfinite(x) else f"{x:.1f}"  # noqa: E731
    out = ["| line | block | cells done | partial | hours spent | hours left (estimate) |",
           "|---|---|---|---|---|---|"]
    for r in blocks.itertuples():
        out.append(f"| {r.line} | {r.heading} | {r.done} of {r.cells} | {r.partial} | "
                   f"{hours(r.hours_spent)} | {hours(r.hours_left)} |")
    out.append(f"| | all | {blocks['done'].sum()} of {blocks['cells'].sum()} | {blocks['partial'].sum()} | "
               f"{hours(blocks['hours_spent'].sum())} | {hours(blocks['hours_left'].sum(min_count=len(blocks)))} |")
    return "\n".join(out) + "\n"


def cells_markdown(progress: pd.DataFrame) -> str:
    """The cells of :func:`plan_progress` that have any result, as a Markdown table.

    Columns: the plan line, the cell, its trials written of those wanted, the λ selected, the
    median test MSE of its trials and their range (over the finite ones; trials with a NaN or
    infinite test MSE are counted as failed), and the hours of its fits (one process's
    wall time, selection included). Cells that share their fits (``gft`` and ``gft-r``) show
    those hours once, on the first of them; a second cell that chose another λ, and so ran
    its own trials, shows their hours.
    """
    out = ["| line | setting | activation | method | trials | λ | test MSE, median (min to max) | hours |",
           "|---|---|---|---|---|---|---|---|"]
    first_of_fit: dict[str, str] = {}
    own_trials = _own_trials(progress)
    for r in progress.itertuples():
        if r.status == "not started":
            continue
        if r.kept_lambdas:  # a selection still running
            count = f", {len(r.kept_lambdas)} of {r.n_candidates}" if r.n_candidates else ""
            lam = f"selecting (λ = {', '.join(f'{x:g}' for x in r.kept_lambdas)} fitted{count})"
        elif r.selected:
            lam = "—" if not np.isfinite(r.selected_lambda) else f"{r.selected_lambda:g}"
        else:
            lam = "selecting"
        if r.running:
            lam += f"; running: {r.running}"
        finite = [x for x in r.test_mse if np.isfinite(x)]  # a failed trial is counted, not ranked
        mse = (f"{np.median(finite):.3g} ({min(finite):.3g} to {max(finite):.3g})"
               if len(finite) > 1 else f"{finite[0]:.3g}" if finite else "")
        if len(finite) < len(r.test_mse):
            mse += f"{'; ' if finite else ''}{len(r.test_mse) - len(finite)} failed"
        if r.fit in first_of_fit:  # the selection's hours are on the first cell; its own trials here
            hours = (f"{r.trial_seconds / 3600:.2f} (selection with {first_of_fit[r.fit]})" if own_trials[r.fit]
                     else f"with {first_of_fit[r.fit]}")
        else:
            first_of_fit[r.fit] = r.method
            hours = f"{r.seconds / 3600:.2f}" if r.seconds >= 36 else "< 0.01"
        out.append(f"| {r.line} | {r.setting} | {r.activation} | {r.method} | {r.trials_done} of {r.trials} "
                   f"| {lam} | {mse} | {hours} |")
    return "\n".join(out) + "\n"


def status_markdown(plan: str | Path | list[PlanLine], folder: str | Path,
                    reference: str | Path | None = None) -> str:
    """The tables ``python -m gft sweep --status`` prints: :func:`progress_by_block` (priced by
    the results in ``reference`` when given, see :func:`reference_progress`) and
    :func:`cells_markdown`."""
    progress = plan_progress(plan, folder)
    ref = None if reference is None else reference_progress(plan, reference)
    return (progress_markdown(progress_by_block(progress, ref)) + "\nCells with results:\n\n"
            + cells_markdown(progress))


def unfinished_runs(folder: str | Path) -> list[str]:
    """What stopped or running runs have kept in ``folder``, a line each: the phases and steps
    a run's (batched or single) ``<cell>.partial-run.pt`` holds, as its summary
    ``<cell>.partial-run.pt.json`` says (the file itself where it has none), and the λ a
    ``<cell>.partial-selection.json`` has fitted (a rerun goes on from there)."""
    folder, lines = Path(folder), []
    names = {p.name for p in folder.glob("*.partial-run.pt")}
    names |= {p.name.removesuffix(".json") for p in folder.glob("*.partial-run.pt.json")}
    for name in sorted(names):
        path = folder / name
        summary = read_summary(path)
        if summary is not None:
            saved = _dt.datetime.fromisoformat(summary["saved"]).strftime("%Y-%m-%d %H:%M UTC")
            phases = summary["phases"]
        else:
            import torch  # here: only for a checkpoint without a readable summary

            path = path if path.exists() else summary_path(path)  # an unreadable summary alone
            saved = _dt.datetime.fromtimestamp(path.stat().st_mtime, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
            try:
                phases = torch.load(path, map_location="cpu", weights_only=True)["phases"]
            except Exception as err:  # a file a rerun would not use either
                lines.append(f"{name} (saved {saved}): unreadable ({type(err).__name__})")
                continue
        minutes = sum(float(p["seconds"]) for p in phases.values()) / 60
        lines.append(f"{name} (saved {saved}): {_phases_text(phases)}; {minutes:.0f} min of wall time kept")
    for path in sorted(folder.glob("*.partial-selection.json")):
        kept = store.read_selection(path) or {}
        lambdas = ", ".join(f"{e['lambda']:g}" for e in kept.get("entries", []))
        lines.append(f"{path.name}: the selection's fits at λ = {lambdas} kept")
    return lines
