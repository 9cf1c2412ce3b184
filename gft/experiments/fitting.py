r"""Fit the estimators of an experiment and score the methods each one serves.

:func:`fit_and_score` is the one loop under the protocol runner (λ selection and trials,
:mod:`gft.experiments.protocol`) and the ablation sweeps (:mod:`gft.experiments.sweeps`):
a job is an unfitted estimator, the methods it serves (``gft`` and ``gft-r`` share one
fit), its data and its seed. GFT jobs train together in one batched run
(:func:`gft.estimators.fit_batched`); a fit that diverges keeps its best iterate and is
scored there, with a note; a Ctrl-C inside a fit is raised, never scored.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..estimators import FeatureRegressorBase, GFTRegressor, _histories, _interrupted, _resumed_seconds, fit_batched
from ..training import TrainingDivergedError
from .methods import Method, score_fit
from .store import json_kwargs

__all__ = ["FitJob", "fit_and_score", "fitted_summary"]


@dataclass(frozen=True, eq=False)
class FitJob:
    """One fit: an unfitted ``estimator``, the ``methods`` it is scored as, its data and seed.

    ``data`` is ``(X, y, X_test, y_test)``; ``seed`` seeds the methods' predictions (GFT
    draws its test feature set with it).
    """

    estimator: Any
    methods: Sequence[Method]
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    seed: int


def _engine(est: Any) -> str:
    """The engine(s) that trained ``est``, for the results row (empty: no iterative training)."""
    engines = {phase: getattr(h, "engine", "") for phase, h in _histories(est).items()}
    if len(set(engines.values())) <= 1:
        return next(iter(engines.values()), "")
    return ", ".join(f"{phase}: {e}" for phase, e in engines.items())


def fitted_summary(est: Any) -> dict[str, Any]:
    """What a fit chose and how its training went, for the ``fitted`` column of a results row.

    ``sigma`` and ``sigma_grid`` (the grid's two ends) for estimators that choose a scale on
    validation; per training phase (``fit`` for one-phase estimators) the iterate kept
    (``<phase>_best_step``) and the training loss at the start and at that iterate, so that
    a fit that kept its starting point, or barely trained, shows in the results; where a
    phase went on from a checkpoint of a stopped run, the step it resumed at
    (``<phase>_resumed_step``).
    """
    out: dict[str, Any] = {}
    sigma = getattr(est, "sigma_", None)
    if sigma is not None:
        grid = np.asarray(getattr(est, "sigma_grid_", [sigma]), dtype=float)
        out.update(sigma=float(sigma), sigma_grid=[float(grid.min()), float(grid.max())])
    for phase, hist in _histories(est).items():
        loss = np.asarray(getattr(hist, "train_loss", ()), dtype=float)
        if loss.ndim != 1 or loss.size == 0:
            continue
        best = int(hist.best_step)
        out[f"{phase}_best_step"] = best
        out[f"{phase}_train_loss_start"] = float(loss[0])
        out[f"{phase}_train_loss_best"] = float(loss[min(best, loss.size - 1)])
        if getattr(hist, "resumed_step", 0):
            out[f"{phase}_resumed_step"] = int(hist.resumed_step)
    return out


def _raise_if_interrupted(est: Any) -> None:
    """A Ctrl-C caught inside the training loop must not turn into a finished trial."""
    if _interrupted(est):
        raise KeyboardInterrupt("a fit was interrupted; its trial was not recorded")


def _divergence_note(err: TrainingDivergedError) -> str:
    return "diverged: " + str(err).splitlines()[0]


def _fit_batched(jobs: Sequence[FitJob], checkpoint=None) -> tuple[list[Any], list[str], list[float]] | None:
    """Fit GFT ``jobs`` in one run; ``None`` when they cannot share one (different settings or shapes).

    A run resumed from ``checkpoint`` counts the earlier run's time up to its save in each
    job's seconds (the history's ``resumed_seconds``), not the time it lost after it."""
    ests = [job.estimator for job in jobs]
    data = [job.data for job in jobs]
    shared = all(d is data[0] for d in data)
    notes = [""] * len(jobs)
    start = time.perf_counter()
    try:
        fit_batched(ests, data[0][0] if shared else [d[0] for d in data],
                    data[0][1] if shared else [d[1] for d in data], checkpoint=checkpoint)
    except TrainingDivergedError as err:  # every member keeps its best iterate
        notes = [_divergence_note(err)] * len(jobs)
    except ValueError:  # refitted one by one: fit starts afresh
        return None
    for i, est in enumerate(ests):
        if not notes[i] and any(bool(h.diverged) for h in est.history_.values()):
            notes[i] = "diverged: this member of a batched run (it keeps its best iterate)"
    share = (time.perf_counter() - start) / len(jobs)
    return ests, notes, [share + _resumed_seconds(est) for est in ests]


def _fit_each(jobs: Sequence[FitJob], checkpoint=None) -> tuple[list[Any], list[str], list[float]]:
    """Fit ``jobs`` one after the other; a single job with a ``checkpoint`` file (an estimator
    of :class:`~gft.estimators.FeatureRegressorBase`: others are fitted plainly) keeps its training's
    state there and resumes from it, and its seconds count the stopped fit's time up to its save."""
    if checkpoint is not None and len(jobs) != 1:
        raise ValueError(f"a checkpoint file serves one fit, not {len(jobs)}")
    ests, notes, seconds = [], [], []
    for job in jobs:
        est, note = job.estimator, ""
        start = time.perf_counter()
        try:
            resumable = checkpoint is not None and isinstance(est, FeatureRegressorBase)
            est.fit(job.data[0], job.data[1], **(dict(checkpoint=checkpoint) if resumable else {}))
        except TrainingDivergedError as err:  # the estimator keeps its best iterate; score that
            note = _divergence_note(err)
        seconds.append(time.perf_counter() - start + _resumed_seconds(est))
        ests.append(est)
        notes.append(note)
    return ests, notes, seconds


def fit_and_score(jobs: Sequence[FitJob], checkpoint: str | os.PathLike | None = None) -> list[list[dict[str, Any]]]:
    r"""Fit every job's estimator and score it as each of its methods.

    When every estimator is a :class:`~gft.GFTRegressor` and there are several, or a
    ``checkpoint`` file is given, they train in one batched run (that keeps its state in
    ``checkpoint`` and resumes from it, see :func:`gft.fit_batched`), and each job's
    ``train_seconds`` is the run's time divided by the number of jobs (plus, for a run
    resumed from ``checkpoint``, each job's share of the stopped run's time up to its save);
    otherwise (or when
    their parameters or data shapes cannot share a run) the jobs are fitted one after the
    other (each estimator is fitted in place; one other estimator given a ``checkpoint``
    keeps its training's state there, see :meth:`gft.estimators.FeatureRegressorBase.fit`).

    Parameters
    ----------
    jobs : sequence of FitJob
    checkpoint : path-like, optional
        A file for the run's state: the batched GFT run's (every job GFT), or one other
        estimator's single fit (``ValueError`` for several jobs that cannot share one batched run).

    Returns
    -------
    list of list of dict
        Per job, per method (in the job's order): ``val_mse``, ``test_mse`` and
        ``train_seconds`` (:func:`gft.experiments.methods.score_fit`), ``wall_seconds`` (the
        fit plus the scoring so far), ``note`` (empty, or why the fit stopped early),
        ``engine``, ``fitted`` (:func:`fitted_summary` as JSON) and ``n_features``.
        A method that cannot be scored after a divergence gets NaN MSEs.
    """
    fitted = None
    all_gft = all(type(job.estimator) is GFTRegressor for job in jobs)
    if (len(jobs) > 1 or checkpoint is not None) and all_gft:
        fitted = _fit_batched(jobs, checkpoint)
    if fitted is None:
        fitted = _fit_each(jobs, None if all_gft else checkpoint)  # GFT fitted apart: starts afresh
    ests, notes, fit_seconds = fitted
    out = []
    for est, job, note, seconds in zip(ests, jobs, notes, fit_seconds):
        _raise_if_interrupted(est)
        scored = time.perf_counter()
        engine, summary = _engine(est), json_kwargs(fitted_summary(est))
        X, y, X_test, y_test = job.data
        scores = []
        for method in job.methods:
            try:
                score = score_fit(est, method, X, y, X_test, y_test, job.seed, seconds)
            except Exception:
                if not note:
                    raise
                score = dict(val_mse=math.nan, test_mse=math.nan,
                             train_seconds=method.train_seconds(est, seconds))
            scores.append(dict(**score, wall_seconds=seconds + time.perf_counter() - scored,
                               note=note, engine=engine, fitted=summary,
                               n_features=int(getattr(est, "n_features", 0))))
        out.append(scores)
    return out
