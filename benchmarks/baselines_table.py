"""Test MSE and wall time of GFT, GFT-r and the four baselines on synthetic settings 0-5, as a Markdown table.

Every method is fitted at one preset with ``activation`` (default ``fourier``), ``N = 100``
features and no TV (``tv_weight = 0``: no λ selection here), on the training data of
:func:`gft.datasets.load_setting` (its seed is the trial's seed, and so is ``random_state``),
and scored on the fresh test draw. GFT predicts with a fresh generator draw
(``predict_generator``), GFT-r with the refined features (``predict``); both come from one
fit, whose time is shown in both columns. Cells are the mean over ``--seeds``.

Run from the repository root (the ``book`` preset takes minutes per setting on a 2-core CPU)::

    PYTHONPATH=. python benchmarks/baselines_table.py --preset smoke
    PYTHONPATH=. python benchmarks/baselines_table.py --preset book --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from gft.baselines import ESTIMATORS
from gft.datasets import ID_TO_SETTING, load_setting
from gft.features import ACTIVATIONS
from gft.presets import PRESET_NAMES

#: Table columns: (header, method in ESTIMATORS, prediction method).
COLUMNS = [
    ("GFT", "gft", "predict_generator"),
    ("GFT-r", "gft", "predict"),
    ("NN", "nn", "predict"),
    ("RFF", "rff", "predict"),
    ("Sparse RF", "sparse-rf", "predict"),
    ("VarPro", "varpro", "predict"),
]
DEFAULT_SETTINGS = (0, 1, 2, 3, 4, 5)


def run_cell(setting: str, method: str, preset: str, activation: str, n_features: int,
             seed: int) -> dict[str, tuple[float, float]]:
    """Fit one method on one data draw: {prediction method: (test MSE, fit seconds)}."""
    X_train, y_train, X_test, y_test = load_setting(setting, seed=seed)
    est = ESTIMATORS[method].from_preset(
        preset, activation=activation, n_features=n_features, random_state=seed, progress=False
    )
    start = time.perf_counter()
    est.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    out = {"predict": (float(np.mean((est.predict(X_test) - y_test) ** 2)), seconds)}
    if hasattr(est, "predict_generator"):
        pred = est.predict_generator(X_test, random_state=seed)
        out["predict_generator"] = (float(np.mean((pred - y_test) ** 2)), seconds)
    return out


def markdown_table(rows: dict[str, dict[str, list[tuple[float, float]]]]) -> str:
    """Rows ``setting -> header -> [(mse, seconds) per seed]`` as a Markdown table of means."""
    headers = [h for h, _, _ in COLUMNS]
    lines = ["| setting | " + " | ".join(headers) + " |", "|---|" + "---|" * len(headers)]
    for setting, cells in rows.items():
        out = []
        for h in headers:
            mse, sec = np.mean(np.asarray(cells[h]), axis=0)
            out.append(f"{mse:.2e} ({sec:.1f} s)")
        lines.append(f"| {setting} | " + " | ".join(out) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=PRESET_NAMES, default="book")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--settings", type=int, nargs="+", default=list(DEFAULT_SETTINGS),
                        help="setting ids of gft.datasets.SETTINGS (default: 0-5)")
    parser.add_argument("--activation", choices=sorted(ACTIVATIONS), default="fourier")
    parser.add_argument("--n-features", type=int, default=100)
    args = parser.parse_args(argv)

    rows: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for sid in args.settings:
        setting = ID_TO_SETTING[sid].name
        cells: dict[str, list[tuple[float, float]]] = {h: [] for h, _, _ in COLUMNS}
        for seed in args.seeds:
            for method in dict.fromkeys(m for _, m, _ in COLUMNS):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    result = run_cell(setting, method, args.preset, args.activation,
                                      args.n_features, seed)
                for header, m, how in COLUMNS:
                    if m == method:
                        cells[header].append(result[how])
        rows[setting] = cells
    print(f"Test MSE (mean over seeds {args.seeds}) and fit wall time; preset={args.preset!r}, "
          f"activation={args.activation!r}, N={args.n_features}, tv_weight=0.\n")
    print(markdown_table(rows))


if __name__ == "__main__":
    main()
