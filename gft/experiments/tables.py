"""Tables of results: mean ± std test MSE per cell, as a DataFrame or as Markdown."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..datasets import setting_names, uci_names
from .methods import method_names

__all__ = ["CELL_KEYS", "summary_table", "trial_stats", "markdown_table", "selection_markdown", "markdown"]

#: The columns that name a cell.
CELL_KEYS = ("setting", "method", "activation", "preset", "n_features")
#: The text of a cell nobody computed.
MISSING = "—"


def _sort_cells(table: pd.DataFrame) -> pd.DataFrame:
    """Rows ordered by setting (id order, then the data sets), method (registry order), activation, preset, N."""
    settings = {s: i for i, s in enumerate(setting_names() + uci_names())}
    methods = {m: i for i, m in enumerate(method_names())}
    table = table.assign(_s=table["setting"].map(lambda s: settings.get(s, len(settings))),
                         _m=table["method"].map(lambda m: methods.get(m, len(methods))))
    table = table.sort_values(["_s", "setting", "_m", "method", "activation", "preset",
                               "n_features"], kind="stable")
    return table.drop(columns=["_s", "_m"]).reset_index(drop=True)


def summary_table(df: pd.DataFrame) -> pd.DataFrame:
    r"""Mean and standard deviation of the test MSE per cell.

    Parameters
    ----------
    df : DataFrame
        Trial rows (:func:`gft.experiments.load_results`).

    Returns
    -------
    DataFrame
        A table, one row per cell, with columns ``setting, method, activation, preset,
        n_features, lambda, trials, failed, test_mse_mean, test_mse_std,
        train_seconds_mean``. ``trials`` counts the trials with a finite test MSE, over which
        the statistics are taken, and ``failed`` those without one (NaN or infinite: a fit
        that diverged or failed). ``test_mse_std`` is the sample standard deviation (ddof 1;
        NaN for one trial);
        ``lambda`` is the selected TV weight (NaN for methods without one). Rows are ordered
        by setting (id order, then the data sets), method (registry order), activation,
        preset and N.

    Raises
    ------
    ValueError
        If ``df`` lacks a cell column, ``lambda``, ``test_mse`` or ``train_seconds``.
    """
    cols = [*CELL_KEYS, "lambda", "trials", "failed", "test_mse_mean", "test_mse_std", "train_seconds_mean"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    missing = [k for k in (*CELL_KEYS, "lambda", "test_mse", "train_seconds") if k not in df]
    if missing:
        raise ValueError(f"results lack the columns {missing}; pass load_results(folder)")
    return _sort_cells(trial_stats(df, CELL_KEYS))[cols]


def trial_stats(rows: pd.DataFrame, keys: Sequence[str], count: str = "trials") -> pd.DataFrame:
    """Per group of ``keys``, groups in order of appearance: the number of rows with a finite
    test MSE (column ``count``) and of rows without one (``failed``: NaN or infinite, a fit
    that diverged or failed), the finite test MSEs' mean, sample std (ddof 1), min and max,
    the mean ``train_seconds`` of all rows, and where the rows have them the group's
    ``lambda`` (its first) and mean ``val_mse``.

    A failed trial is counted, never averaged: one infinite test MSE would make the mean
    infinite and a NaN would be dropped from it without a trace."""
    test_mse = pd.to_numeric(rows["test_mse"], errors="coerce").astype(float)
    finite = np.isfinite(test_mse)
    rows = rows.assign(_test_mse=test_mse.where(finite), _failed=~finite)
    aggregations = {"lambda": ("lambda", "first")} if "lambda" in rows else {}
    aggregations.update({
        count: ("_test_mse", "count"),
        "failed": ("_failed", "sum"),
        "test_mse_mean": ("_test_mse", "mean"),
        "test_mse_std": ("_test_mse", "std"),
        "test_mse_min": ("_test_mse", "min"),
        "test_mse_max": ("_test_mse", "max"),
        "train_seconds_mean": ("train_seconds", "mean"),
    })
    if "val_mse" in rows:
        aggregations["val_mse_mean"] = ("val_mse", "mean")
    stats = rows.groupby(list(keys), dropna=False, sort=False).agg(**aggregations).reset_index()
    return stats.astype({count: int, "failed": int})


def trials_text(trials: int, failed: int) -> str:
    """``"n=4"``, or ``"n=4, 1 failed"`` where trials failed."""
    return f"n={int(trials)}" + (f", {int(failed)} failed" if failed else "")


def _sci(x: float, digits: int) -> str:
    return MISSING if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}e}"


def _mean_std(mean: float, std: float, digits: int = 2) -> str:
    if isinstance(std, float) and math.isnan(std):
        return _sci(mean, digits)
    return f"{_sci(mean, digits)} ± {_sci(std, 1)}"


def markdown(header: Sequence[str], rows: Sequence[Sequence[Any]], align: Sequence[str] = ()) -> str:
    """A GitHub-flavoured Markdown pipe table; ``align`` per column: ``"l"`` or ``"r"``."""
    align = list(align) or ["l"] * len(header)
    esc = [[str(v).replace("|", r"\|") for v in row] for row in [header, *rows]]
    lines = ["| " + " | ".join(esc[0]) + " |",
             "|" + "|".join(":---" if a == "l" else "---:" for a in align) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in esc[1:]]
    return "\n".join(lines) + "\n"


def _variant(row: pd.Series, varying: Sequence[str]) -> str:
    parts = []
    for k in varying:
        v = row[k]
        parts.append(f"N={int(v)}" if k == "n_features" and not pd.isna(v) else str(v))
    return row["method"] + (f" ({', '.join(parts)})" if parts else "")


def markdown_table(df: pd.DataFrame, long: bool = False, digits: int = 2) -> str:
    """Markdown table of mean ± std test MSE per cell.

    Parameters
    ----------
    df : DataFrame
        Trial rows (:func:`gft.experiments.load_results`) or a :func:`summary_table`.
    long : bool
        ``False``: rows = settings, columns = methods (with activation, preset and N in the
        header where they vary), entries ``mean ± std``, followed by ``(n=k)`` when a cell
        has fewer trials than the fullest one or ``(n=k, j failed)`` when trials failed
        (:func:`trial_stats`). ``True``: one line per cell with the selected λ, the number
        of trials (and of failed ones) and the mean training time.
    digits : int
        Digits after the point of the mean (scientific notation); the std always with 1
        digit, and a cell with one trial shows the mean alone.

    Returns
    -------
    str
    """
    table = df if "test_mse_mean" in df else summary_table(df)
    if table.empty:
        return "(no results)\n"
    if long:
        header = ["setting", "method", "activation", "preset", "N", "λ", "trials",
                  "test MSE (mean ± std)", "train s"]
        rows = [[r.setting, r.method, r.activation, r.preset,
                 "—" if pd.isna(r.n_features) else int(r.n_features),
                 "—" if pd.isna(r["lambda"]) else f"{r['lambda']:g}",
                 f"{int(r.trials)}" + (f" ({int(r.failed)} failed)" if r.failed else ""),
                 _mean_std(r.test_mse_mean, r.test_mse_std, digits), f"{r.train_seconds_mean:.3g}"]
                for _, r in table.iterrows()]
        return markdown(header, rows, "lllllrrrr")
    varying = [k for k in ("activation", "preset", "n_features") if table[k].nunique(dropna=False) > 1]
    table = table.assign(_col=table.apply(_variant, axis=1, varying=varying))
    columns = list(dict.fromkeys(_sort_cells(table.assign(setting=""))["_col"]))  # method order
    settings = list(dict.fromkeys(table["setting"]))
    full = int(table["trials"].max())
    cells = {}
    for _, r in table.iterrows():
        text = _mean_std(r.test_mse_mean, r.test_mse_std, digits)
        shown = r.trials < full or r.failed
        cells[r.setting, r._col] = text + (f" ({trials_text(r.trials, r.failed)})" if shown else "")
    rows = [[s, *(cells.get((s, c), "—") for c in columns)] for s in settings]
    return markdown(["setting", *columns], rows, "l" + "r" * len(columns))


def selection_markdown(selection: pd.DataFrame, digits: int = 2) -> str:
    """Markdown table of the validation MSE per λ of every cell, the selected λ in bold.

    ``selection`` is :func:`gft.experiments.load_selection`; one row per cell, one column
    per λ; methods without λ (rff, sparse-rf) fill a last column "no λ", and a λ a cell did
    not fit is left blank.
    """
    if selection.empty:
        return "(no selection records)\n"
    lams = sorted(selection["lambda"].dropna().unique())
    has_none = selection["lambda"].isna().any()
    header = ["setting", "method", "activation", "preset", "N",
              *(f"λ={lam:g}" for lam in lams), *(["no λ"] if has_none else [])]
    rows = []
    for key, g in _sort_cells(selection).groupby(list(CELL_KEYS), dropna=False, sort=False):
        vals = {}
        for _, e in g.iterrows():
            text = _sci(e.val_mse, digits)
            vals["none" if pd.isna(e["lambda"]) else e["lambda"]] = f"**{text}**" if e.selected else text
        row = [*key[:4], "—" if pd.isna(key[4]) else int(key[4])]
        row += [vals.get(lam, "") for lam in lams] + ([vals.get("none", "")] if has_none else [])
        rows.append(row)
    return markdown(header, rows, "lllll" + "r" * (len(header) - 5))
