r"""The committed results as the chapters show them: tables with every asked-for cell, the best in bold.

The protocol runner (:mod:`gft.experiments.runner`) writes one folder per preset,
``book/results/<preset>/<cell>.csv``; :func:`load_preset_results` reads them all and
:func:`summarise` turns the trial rows into one row per (setting, method, activation,
preset) on a *full* grid, so that a cell nobody computed is a row with ``trials = 0`` and
NaN errors, shown as "—" by :func:`format_table` and as a grey "×" by
:func:`gft.plotting.plot_summary`, never as zero.
"""

from __future__ import annotations

import html
import itertools
import json
import os
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ..presets import PRESET_NAMES
from .cells import load_cell_data
from .store import COLUMNS, load_results
from .tables import MISSING, _mean_std, trial_stats, trials_text

__all__ = [
    "RESULTS_ENV", "SUMMARY_COLUMNS", "results_dir", "load_preset_results", "available_presets",
    "summarise", "format_table", "style_table", "compare_methods", "relative_errors", "kept_start",
    "kept_start_flags", "distinct_fits",
]

#: Environment variable that points the chapters at another results folder.
RESULTS_ENV = "GFT_RESULTS_DIR"
#: Columns of :func:`summarise`.
SUMMARY_COLUMNS = ["setting", "method", "activation", "preset", "trials", "failed", "test_mse_mean",
                   "test_mse_std", "test_mse_min", "test_mse_max", "lambda", "train_seconds_mean"]


def results_dir(start: str | os.PathLike | None = None) -> Path | None:
    """The ``book/results`` folder of the checkout, or ``None`` when there is none (e.g. in Colab).

    Looked for in this order: ``$GFT_RESULTS_DIR``; ``book/results`` in ``start`` (default:
    the working directory) or any parent of it; ``book/results`` beside the ``gft`` package.
    A ``$GFT_RESULTS_DIR`` that is set decides alone: a folder that does not exist gives
    ``None`` (no fallback), so that a chapter can be run as it runs without results.
    """
    env = os.environ.get(RESULTS_ENV)
    if env:
        return Path(env) if Path(env).is_dir() else None
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents, Path(__file__).resolve().parents[2]):
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
    combination without finite results has ``trials = 0`` and NaN statistics. Trials whose
    test MSE is NaN or infinite are counted in ``failed``, never averaged
    (:func:`gft.experiments.tables.trial_stats`).

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
    DataFrame
        Columns ``setting, method, activation, preset, trials, failed, test_mse_mean,
        test_mse_std`` (sample std, ddof 1; NaN for one trial), ``test_mse_min,
        test_mse_max, lambda`` (selected TV weight, NaN without one) and
        ``train_seconds_mean``.
    """
    activations = [activation] if isinstance(activation, str) else list(activation)
    keys = ["setting", "method", "activation", "preset"]
    grid = pd.DataFrame(list(itertools.product(settings, methods, activations, presets)),
                        columns=keys)
    if not rows.empty:
        if n_features is not None:
            rows = rows[rows["n_features"].astype(float) == n_features]
    if rows.empty:
        stats = pd.DataFrame(columns=SUMMARY_COLUMNS)
    else:
        stats = trial_stats(rows, keys)
    out = grid.merge(stats, on=keys, how="left")
    for col in ("trials", "failed"):
        out[col] = out[col].fillna(0).astype(int)
    for col in SUMMARY_COLUMNS[6:]:
        out[col] = out[col].astype(float)
    return out[SUMMARY_COLUMNS]


def _cell_text(row: pd.Series, digits: int) -> str:
    if row["trials"] == 0 and row["failed"] == 0:
        return MISSING
    mean = MISSING if row["trials"] == 0 else _mean_std(row["test_mse_mean"], row["test_mse_std"], digits)
    return f"{mean} ({trials_text(row['trials'], row['failed'])})"


def format_table(summary: pd.DataFrame, digits: int = 2) -> pd.DataFrame:
    """The :func:`summarise` frame as a display table: rows (setting, preset), columns methods.

    Entries read ``mean ± std (n=trials)``, ``(n=trials, k failed)`` where trials failed; a
    cell without results reads "—". With more than one activation the columns are
    (activation, method).
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


def _styler_text(styler) -> str:
    """A pandas ``Styler`` as aligned plain text: its caption, then the table as displayed
    (formats, hidden index or columns and ``na_rep`` applied, HTML escapes undone, index
    labels repeated on every row), the first column left-aligned and the others
    right-aligned.

    The notebooks' ``text/plain`` form of a styled table; IPython's default is the object's
    repr, which holds a memory address and changes at every execution.
    """
    rows = [[html.unescape(cell) for cell in line.split("\t")]
            for line in styler.to_string(delimiter="\t", sparse_index=False, sparse_columns=False).splitlines()]
    widths = [max(len(row[j]) for row in rows if j < len(row)) for j in range(max(map(len, rows), default=0))]
    lines = ["  ".join(cell.ljust(width) if j == 0 else cell.rjust(width)
                       for j, (cell, width) in enumerate(zip(row, widths))).rstrip() for row in rows]
    caption = styler.caption
    return "\n".join(([str(caption)] if caption else []) + lines)


def _show_styled_tables_as_text() -> None:
    """Inside IPython, give pandas ``Styler`` outputs :func:`_styler_text` as their
    ``text/plain`` form (the HTML form is unchanged); nothing elsewhere."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    from pandas.io.formats.style import Styler

    shell.display_formatter.formatters["text/plain"].for_type(
        Styler, lambda styler, printer, cycle: printer.text(_styler_text(styler)))


def compare_methods(summary: pd.DataFrame, better: str, worse: str, preset: str,
                    min_trials: int = 1) -> pd.DataFrame:
    """Settings (and activations) where both ``better`` and ``worse`` have at least
    ``min_trials`` trials at ``preset`` (``DEFAULT_TRIALS``: complete cells only).

    Returns a frame with columns ``setting, activation, <better>, <worse>, ratio`` (mean test
    MSE of ``worse`` over that of ``better``: > 1 where ``better`` wins).
    """
    part = summary[(summary["preset"] == preset) & (summary["trials"] >= max(min_trials, 1))]
    keys = ["setting", "activation"]
    a = part[part["method"] == better].set_index(keys)["test_mse_mean"].rename(better)
    b = part[part["method"] == worse].set_index(keys)["test_mse_mean"].rename(worse)
    both = pd.concat([a, b], axis=1, join="inner").reset_index()
    return both.assign(ratio=both[worse] / both[better])


def kept_start_flags(rows: pd.DataFrame) -> pd.Series:
    """Per row: True where the trial kept its starting point, False where it trained, NA where
    its ``fitted`` record says neither (random features, older rows).

    A trial kept its start when the first phase it trained reports its initialisation (best
    validation at step 0): the generator for GFT and GFT-r (whose refinement then starts from
    an untrained generator), the whole fit for the network and VarPro. Same index as ``rows``.
    """
    flags = []
    for fitted in (rows["fitted"] if "fitted" in rows else [None] * len(rows)):
        record = json.loads(fitted) if isinstance(fitted, str) and fitted else {}
        step = record.get("generator_best_step", record.get("fit_best_step"))
        flags.append(pd.NA if step is None else int(step) == 0)
    return pd.Series(flags, index=rows.index, dtype="boolean")


def kept_start(rows: pd.DataFrame) -> pd.DataFrame:
    """Per cell of a trained method: its ``trials`` and how many ``kept`` their starting point
    (:func:`kept_start_flags`; rows without that record are left out).
    Columns: ``setting``, ``method``, ``activation``, ``preset``, ``trials``, ``kept``.
    """
    keys = ["setting", "method", "activation", "preset"]
    flags = kept_start_flags(rows)
    known = flags.notna().to_numpy()
    if not known.any():
        return pd.DataFrame(columns=[*keys, "trials", "kept"])
    cells = rows.loc[known, keys].assign(kept=flags[known].astype(bool).to_numpy())
    return cells.groupby(keys, sort=False)["kept"].agg(trials="size", kept="sum").reset_index()


def distinct_fits(rows: pd.DataFrame) -> pd.DataFrame:
    r"""``rows`` without the GFT-r rows whose fit is also a GFT row's, so that each fit counts once.

    Where GFT and GFT-r selected the same :math:`\lambda`, the protocol trains one model per
    trial and writes a row for each method: both rows carry the same ``fitted`` record
    (the generator's and the refinement's best steps and losses). Counting trained phases,
    e.g. with :func:`kept_start`, should see that generator once. A GFT-r row counts as
    shared when a GFT row has the same setting, activation, preset, trial, data draw,
    :math:`\lambda` and ``fitted`` record; rows without a ``fitted`` record are kept.
    """
    keys = ["setting", "activation", "preset", "trial", "data_seed", "lambda", "fitted"]
    recorded = rows["method"].isin(["gft", "gft-r"]) & rows["fitted"].map(lambda f: isinstance(f, str) and bool(f))
    # a trial has one row per method, so a recorded row with a twin is half of a GFT/GFT-r pair
    twin = rows[recorded].duplicated(subset=keys, keep=False).reindex(rows.index, fill_value=False)
    return rows[~(twin & (rows["method"] == "gft-r"))]


def relative_errors(rows: pd.DataFrame, data_dir: str | None = None) -> pd.DataFrame:
    r"""``rows`` with ``test_mse`` replaced by the relative error :math:`\mathrm{MSE}/\mathrm{Var}(y)`.

    Each trial's test MSE is divided by the variance of its own test labels (the data draw
    ``data_seed`` of its setting), so that 1 is the error of predicting their mean and the
    settings become comparable. Feed the result to :func:`summarise` for a table of
    relative errors. UCI sets read their files from ``data_dir`` (default: as
    :func:`gft.datasets.load_uci`, ``$GFT_DATA_DIR``, else ``~/.cache/gft/datasets``).
    """
    if rows.empty:
        return rows
    draws = set(zip(rows["setting"], rows["data_seed"].astype(int)))
    variance = {(s, d): float(np.var(load_cell_data(s, d, data_dir)[3])) for s, d in draws}
    scale = [variance[s, int(d)] for s, d in zip(rows["setting"], rows["data_seed"])]
    return rows.assign(test_mse=rows["test_mse"].astype(float) / np.asarray(scale))
