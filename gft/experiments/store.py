"""Results on disk: one CSV of trial rows and one JSON of λ selection per cell, atomic writes, provenance.

Layout of a results folder::

    <out>/<cell>.csv               one row per trial (columns: :data:`COLUMNS`)
    <out>/<cell>.selection.json    validation (and test) MSE per λ, the chosen λ, provenance
    <out>/<cell>.partial-selection.json   while a selection of fits one after the other runs:
                                   the fits finished so far (removed once the record is written)
    <out>/<cell>.partial-run.pt    while a run trains (GFT's batched selection or trials, or
                                   one fit of another method): its state at its last save
                                   (:func:`gft.fit_batched`, ``fit(checkpoint=)``), removed at its end
    <out>/<cell>.partial-run.pt.json   beside it: its phases, steps and seconds in plain JSON
    <out>/.locks/                  lock files (flock; released when a process dies)

with ``<cell> = <setting>__<method>__<activation>__<preset>[__N<n_features>]``. One file per
cell keeps parallel cells from ever touching the same file; within a file every write takes
the cell's lock, rewrites the whole file into a temporary file in the same folder, fsyncs it
and ``os.replace``-s it over the old one, so a reader (or a crash) sees the old file or the
new one, never half a row, and two writers cannot lose each other's rows.

Columns of a results CSV (:data:`COLUMNS`), one row per trial:

- ``setting, kind, method, activation, preset, n_features``: the cell (``kind`` is
  ``synthetic`` or ``uci``; ``n_features`` the N actually fitted);
- ``seed, trial, data_seed``: base seed, trial index, seed of the data draw and of the
  estimator (``seed + trial``; ``galaxy``'s data are one fixed split whatever the seed);
- ``lambda``: the selected TV weight (empty = NaN for methods without one);
- ``test_mse, val_mse``: test error (standardised units for UCI) and the method's
  validation error of this fit;
- ``train_seconds, wall_seconds``: ``fit`` time (``gft`` in a shared fit: less the
  refinement), fit plus scoring;
- ``selection_fit``: the row is the selection fit at the chosen λ (trial 0), not a refit;
- ``note``: e.g. ``diverged: ...`` when training stopped at a NaN (best iterate scored);
- ``engine``: the training engine(s) that ran (``fused``, ``autograd``; ``generator:
  fused, refine: fused`` when the phases differ; empty for closed-form fits such as RFF);
- ``fitted``: JSON of what the fit chose and how it trained
  (:func:`gft.experiments.fitting.fitted_summary`: the scale ``sigma`` and its grid's ends,
  per training phase the kept step and the training loss at the start and at that step);
- ``estimator_kwargs``: JSON of extra estimator keywords (empty: the preset's);
- provenance: ``command`` (CLI line or Python call), ``commit``, ``dirty`` (uncommitted
  changes under ``gft/``; empty outside a checkout), ``host``, ``torch``, ``device``,
  ``device_name`` (the GPU's or the processor's model, :func:`cpu_model`), ``threads``
  (torch intra-op threads), ``date`` (ISO 8601, UTC).
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import os
import platform
import socket
import subprocess
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd
import torch
from filelock import FileLock

from .._atomic import replace_atomically

__all__ = [
    "COLUMNS",
    "code_provenance",
    "json_kwargs",
    "cpu_model",
    "machine_provenance",
    "utc_now",
    "provenance",
    "read_rows",
    "append_rows",
    "read_selection",
    "write_selection",
    "cell_lock",
    "run_lock",
    "load_results",
    "load_selection",
]

#: Columns of a results CSV, in file order (rows may carry more; they are kept).
COLUMNS: tuple[str, ...] = (
    "setting", "kind", "method", "activation", "preset", "n_features", "seed", "trial",
    "data_seed", "lambda", "test_mse", "val_mse", "train_seconds", "wall_seconds",
    "selection_fit", "note", "engine", "fitted", "estimator_kwargs", "command", "commit", "dirty", "host", "torch",
    "device", "device_name", "threads", "date",
)
_LOCK_DIR = ".locks"
_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=_PACKAGE_DIR, capture_output=True, text=True,
                             timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def code_provenance() -> tuple[str, bool | None]:
    """``(commit, dirty)`` of the checkout holding the ``gft`` package.

    ``commit`` is ``git rev-parse HEAD`` or ``"unknown"`` outside a checkout; ``dirty`` is
    whether the package folder ``gft/`` has uncommitted changes (tracked or untracked, not
    ignored). Results written into the repository itself do not make it dirty. ``None``
    outside a checkout.
    """
    commit = _git("rev-parse", "HEAD")
    if not commit:
        return "unknown", None
    status = _git("status", "--porcelain", "--", str(_PACKAGE_DIR))
    return commit, (None if status is None else bool(status))


def cpu_model(cpuinfo: str | os.PathLike = "/proc/cpuinfo") -> str:
    """The processor's model name, e.g. ``"AMD EPYC 7B13"``.

    Read from the first ``model name`` line of ``cpuinfo`` (Linux); where there is none
    (another system, or an architecture that names no model there), ``platform.processor()``
    or, failing that, ``platform.machine()`` (e.g. ``"x86_64"``), which name only the
    architecture. Timings from two processors of one architecture differ (a paper cell's fits
    can span sittings on different machines), so results rows record the model.
    """
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, sep, value = line.partition(":")
                if sep and key.strip().lower() == "model name" and value.strip():
                    return " ".join(value.split())
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_provenance(device: torch.device) -> dict[str, Any]:
    """Host name, torch version, device, device model and intra-op thread count.

    The device model is the GPU's name on CUDA and :func:`cpu_model` on the CPU.
    """
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        name = cpu_model()
    return dict(host=socket.gethostname(), torch=torch.__version__, device=str(device),
                device_name=name, threads=torch.get_num_threads())


def utc_now() -> str:
    """The current time, ISO 8601 in UTC, to the second."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def provenance(command: str, device: str | torch.device = "cpu") -> dict[str, Any]:
    """The provenance columns of a results file: ``command``, :func:`code_provenance`'s
    ``commit`` and ``dirty``, :func:`machine_provenance` of ``device`` and ``date``
    (:func:`utc_now`), in that order, for ``DataFrame.assign(**provenance(command))``."""
    commit, dirty = code_provenance()
    return dict(command=command, commit=commit, dirty=dirty,
                **machine_provenance(torch.device(device)), date=utc_now())


# -- locks ------------------------------------------------------------------------------
def _lock_path(out: Path, stem: str, kind: str) -> Path:
    folder = out / _LOCK_DIR
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ".gitignore").write_text("*\n")
    return folder / f"{stem}.{kind}.lock"


def cell_lock(out: Path, stem: str) -> FileLock:
    """The short-held lock around every read-modify-write of a cell's files."""
    return FileLock(_lock_path(out, stem, "write"), thread_local=False)


def run_lock(out: Path, stem: str) -> FileLock:
    """The lock a process holds while it runs a cell; another process finding it held skips the cell."""
    return FileLock(_lock_path(out, stem, "run"), thread_local=False)


# -- atomic files -------------------------------------------------------------------------
def _replace_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, fsync it, and rename it over ``path``."""
    replace_atomically(path, lambda fh: fh.write(text))


def _format(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if value != value else repr(value)  # NaN -> empty field
    return str(value)


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a results CSV as dicts of strings (empty list if the file does not exist)."""
    if not path.exists():
        return []
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def append_rows(path: Path, rows: Sequence[Mapping[str, Any]], lock: FileLock,
                key: Sequence[str] = ("seed", "trial")) -> int:
    """Append ``rows`` to the CSV ``path`` atomically, skipping rows whose ``key`` is already there.

    Under ``lock`` the file is read, the new rows are added, and the whole file is replaced
    atomically (see the module docstring).

    Parameters
    ----------
    path : Path
        The cell's CSV (created if missing).
    rows : sequence of mapping
        The rows; a key missing from a row is written as an empty field, NaN likewise.
    lock : filelock.FileLock
        The cell's write lock (:func:`cell_lock`).
    key : sequence of str
        The columns that identify a row: a row whose values there are already in the file
        (or earlier in ``rows``) is skipped.

    Returns
    -------
    int
        The number of rows written.
    """
    with lock:
        old = read_rows(path)
        seen = {tuple(r.get(k, "") for k in key) for r in old}
        new = []
        for row in rows:
            formatted = {k: _format(v) for k, v in row.items()}
            ident = tuple(formatted.get(k, "") for k in key)
            if ident not in seen:
                seen.add(ident)
                new.append(formatted)
        if not new:
            return 0
        header = list(COLUMNS)
        for r in (*old, *new):
            header += [k for k in r if k not in header]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=header, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(old)
        writer.writerows(new)
        _replace_atomically(path, buf.getvalue())
        return len(new)


def read_selection(path: Path) -> dict[str, Any] | None:
    """The selection record of a cell, or ``None`` if it has not been written."""
    if not path.exists():
        return None
    with open(path) as fh:
        return json.load(fh)


def write_selection(path: Path, record: Mapping[str, Any], lock: FileLock) -> None:
    """Write a cell's selection record atomically (NaN/inf as JSON ``null``)."""

    def clean(v: Any) -> Any:
        if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        return v

    with lock:
        _replace_atomically(path, json.dumps(clean(dict(record)), indent=1) + "\n")


# -- reading a folder ---------------------------------------------------------------------
def load_results(folder: str | os.PathLike) -> pd.DataFrame:
    """All trial rows of a results folder, as one tidy DataFrame (one row per trial).

    Parameters
    ----------
    folder : path
        A folder written by :func:`gft.experiments.run_cells` (``*.csv``, not recursive).

    Returns
    -------
    DataFrame with the columns :data:`COLUMNS` (empty if the folder holds no results);
    ``lambda`` is NaN for methods without a TV weight.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"results folder {str(folder)!r} does not exist")
    text = {c: str for c in ("note", "engine", "fitted", "estimator_kwargs", "command", "commit", "host", "torch",
                             "device", "device_name", "date")}
    frames = [pd.read_csv(p, dtype=text) for p in sorted(folder.glob("*.csv"))]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=list(COLUMNS))
    df = pd.concat(frames, ignore_index=True)
    for col in ("note", "engine", "estimator_kwargs"):
        if col in df:
            df[col] = df[col].fillna("")
    return df


def load_selection(folder: str | os.PathLike) -> pd.DataFrame:
    """The λ selection of every cell of a results folder, one row per (cell, λ).

    Parameters
    ----------
    folder : path
        A results folder (its ``*.selection.json`` files, not recursive).

    Returns
    -------
    DataFrame
        A table with columns ``setting, method, activation, preset, n_features, seed, lambda,
        val_mse, test_mse, train_seconds, selected, note``; ``selected`` marks the λ of the
        trials (argmin of ``val_mse``). ``test_mse`` is for reading only: the test error of
        the selection fit at that λ (the selected λ's is the first trial's: same data draw
        and seed) and played no part in the choice.
    """
    if not Path(folder).is_dir():
        raise ValueError(f"results folder {str(folder)!r} does not exist")
    rows = []
    for path in sorted(Path(folder).glob("*.selection.json")):
        rec = read_selection(path)
        for entry in rec.get("entries", []):
            lam = entry.get("lambda")
            rows.append(dict(
                setting=rec["setting"], method=rec["method"], activation=rec["activation"],
                preset=rec["preset"], n_features=entry.get("n_features", rec.get("n_features")),
                seed=rec["seed"],
                **{"lambda": float("nan") if lam is None else lam},
                val_mse=_num(entry.get("val_mse")), test_mse=_num(entry.get("test_mse")),
                train_seconds=_num(entry.get("train_seconds")),
                selected=lam == rec.get("selected_lambda"), note=entry.get("note", ""),
            ))
    cols = ["setting", "method", "activation", "preset", "n_features", "seed", "lambda",
            "val_mse", "test_mse", "train_seconds", "selected", "note"]
    return pd.DataFrame(rows, columns=cols)


def _num(v: Any) -> float:
    return float("nan") if v is None else float(v)


def json_kwargs(kwargs: Mapping[str, Any]) -> str:
    """Estimator keyword overrides as a canonical JSON string (sorted keys; tuples as lists)."""
    return json.dumps(dict(kwargs), sort_keys=True, default=str) if kwargs else ""

