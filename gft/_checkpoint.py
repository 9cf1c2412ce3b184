"""A training run's state in one file, so that a run stopped part-way goes on from its last save.

:func:`gft.fit_batched` and the estimators' ``fit`` keep one (their ``checkpoint`` argument):
the protocol's runs last hours at the paper preset. The training loop writes, at a validation
step at most every ``every_seconds``, what the rest of a phase depends on: the trained
tensors, the optimizer's and the schedule's state, the random generators' states, and the
loop's record (losses, validations, best iterates). At the end of a phase it writes the
phase's outcome, which the next phase's resumption starts from. A run given the file
again restores all that and goes on: on the same machine and code the result is the one
an uninterrupted run gives, bit for bit (the tests check it).

Beside it, ``<file>.json`` says what the file holds — per phase whether it finished, its step
and the wall seconds it has run — in plain JSON, for progress reports that should not need
torch (:func:`read_summary`).

The file belongs to one run: it stores a key (the estimators' parameters, fingerprints of
their data, torch's version, device and dtype), and a file written for another key is
ignored with a warning.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import time
import warnings
from pathlib import Path
from typing import Any

import torch

from ._atomic import replace_atomically

__all__ = ["RunCheckpoint", "summary_path", "read_summary"]


def summary_path(path: str | os.PathLike) -> Path:
    """``<path>.json``: the plain summary of the checkpoint ``path`` (:meth:`RunCheckpoint.save`)."""
    path = Path(path)
    return path.with_name(path.name + ".json")


def read_summary(path: str | os.PathLike) -> dict[str, Any] | None:
    """The summary of a checkpoint, ``path`` being the summary or the checkpoint itself:
    ``{"saved": ISO date, "phases": {name: {"done": bool, "step": int, "seconds": float}}}``;
    None where there is none or it cannot be read."""
    path = Path(path)
    path = path if path.name.endswith(".json") else summary_path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("phases"), dict) else None


class RunCheckpoint:
    """The saved phases of one run, in the file ``path``.

    Parameters
    ----------
    path : path-like
        The file (written through a temporary file beside it, fsynced and renamed, so a kill
        or a crash while writing leaves the previous save).
    key : dict
        What identifies the run; plain Python values (compared after a round trip through
        the file).
    every_seconds : float
        Least time between two saves of an unfinished phase (a finished phase is saved at once).

    Raises
    ------
    FileNotFoundError
        When the folder of ``path`` does not exist (checked here, before any training: the
        first save comes minutes or hours later). A save that fails later (a full disk)
        warns and the run goes on without it.
    """

    def __init__(self, path: str | os.PathLike, key: dict, every_seconds: float = 600.0):
        self.path = Path(path)
        if not self.path.parent.is_dir():
            raise FileNotFoundError(f"checkpoint={str(path)!r}: its folder {str(self.path.parent)!r} does "
                                    "not exist; create it first (the first save comes after the training "
                                    "has run for a while)")
        self.key = key
        self.every_seconds = float(every_seconds)
        self._phases: dict[str, dict[str, Any]] = {}
        self._last_save = time.monotonic()
        if self.path.exists():
            self._phases = self._read()

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data = torch.load(self.path, map_location="cpu", weights_only=True)
        except Exception as err:  # a file torch cannot read is no checkpoint of this run
            warnings.warn(f"{self.path} could not be read ({type(err).__name__}); the run starts afresh.",
                          RuntimeWarning, stacklevel=3)
            return {}
        if not isinstance(data, dict) or data.get("key") != self.key:
            warnings.warn(f"{self.path} was written for another run (other parameters, data or "
                          "torch); the run starts afresh and will overwrite it.", RuntimeWarning, stacklevel=3)
            return {}
        return dict(data["phases"])

    def phase(self, name: str) -> dict[str, Any] | None:
        """The saved state of phase ``name`` (``state["done"]``: whether it finished), or None."""
        return self._phases.get(name)

    def due(self) -> bool:
        """Whether ``every_seconds`` have passed since the last save (or since the start)."""
        return time.monotonic() - self._last_save >= self.every_seconds

    def save(self, name: str, state: dict[str, Any]) -> None:
        """Keep ``state`` as phase ``name`` and write every phase to the file."""
        self._phases[name] = state
        try:
            replace_atomically(self.path, lambda fh: torch.save(dict(key=self.key, phases=self._phases), fh),
                               binary=True)
        except OSError as err:  # the checkpoint serves the run: losing a save must not lose the run
            warnings.warn(f"{self.path} could not be written ({err}); the run goes on, and a rerun "
                          "would go on from its last save, if any.", RuntimeWarning, stacklevel=3)
        else:
            self._write_summary()
        self._last_save = time.monotonic()

    def _write_summary(self) -> None:
        summary = dict(saved=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), phases={
            name: dict(done=bool(p.get("done")), step=int(p.get("step", 0)), seconds=float(p.get("seconds", 0.0)))
            for name, p in self._phases.items()})
        try:
            replace_atomically(summary_path(self.path), lambda fh: fh.write(json.dumps(summary, indent=1) + "\n"))
        except OSError:  # a report only; the checkpoint itself was written
            pass

    def remove(self) -> None:
        """Delete the file and its summary (the run has finished)."""
        self.path.unlink(missing_ok=True)
        summary_path(self.path).unlink(missing_ok=True)


def rng_states(generators: list[torch.Generator]) -> list[torch.Tensor]:
    """The states of ``generators``, in order."""
    return [g.get_state() for g in generators]


def set_rng_states(generators: list[torch.Generator], states: list[torch.Tensor]) -> None:
    for g, s in zip(generators, states):
        g.set_state(s)
