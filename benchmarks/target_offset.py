"""Targets with a large mean: GFT-r on Friedman 1 with a constant added to the labels, with and without centring.

``GFTRegressor`` divides the targets by their root mean square but does not centre them, so a
constant added to the labels is part of what the features must fit. For each seed the script
draws Friedman 1 (d = 5, 500 rows, exact labels: :func:`gft.datasets.load_setting`), adds
``offset`` ∈ {0, 100, 1e4} to the training labels and fits, all with N = 50 at
``GFTRegressor``'s defaults (the book preset's budget):

- ``gft``: ``GFTRegressor`` on the shifted labels;
- ``gft_centred``: the same inside ``TransformedTargetRegressor(transformer=StandardScaler())``,
  which fits standardised labels and maps the predictions back;
- ``rff``: ``RFFRegressor`` (σ tuned on its validation split) on the shifted labels,

and reports each one's test MSE against the shifted noise-free test labels (the same for
every offset but for the fit). Usage::

    python benchmarks/target_offset.py --seeds 0 1 2 3 4 --out book/results/robustness/target_offset.csv
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd
from sklearn.compose import TransformedTargetRegressor
from sklearn.preprocessing import StandardScaler

from gft import GFTRegressor, RFFRegressor
from gft.datasets import load_setting
from gft.experiments import store

OFFSETS = (0.0, 100.0, 1e4)
N_FEATURES = 50


def one_seed(seed: int) -> list[dict]:
    X, y, X_test, y_test = load_setting("friedman1-d5", seed=seed)
    rows = []
    for offset in OFFSETS:
        fits = {
            "gft": GFTRegressor(n_features=N_FEATURES, random_state=seed, progress=False),
            "gft_centred": TransformedTargetRegressor(
                GFTRegressor(n_features=N_FEATURES, random_state=seed, progress=False),
                transformer=StandardScaler()),
            "rff": RFFRegressor(n_features=N_FEATURES, random_state=seed, progress=False),
        }
        row = dict(seed=seed, offset=offset, label_std=float(y.std()))
        for name, model in fits.items():
            start = time.perf_counter()
            model.fit(X, y + offset)
            row[f"{name}_seconds"] = time.perf_counter() - start
            row[name] = float(np.mean((model.predict(X_test) - (y_test + offset)) ** 2))
        row["engine"] = fits["gft"].history_["generator"].engine
        rows.append(row)
        print(f"seed {seed} offset {offset:g}: " + ", ".join(f"{k} {row[k]:.3g}" for k in fits), flush=True)
    return rows


def main(argv: list[str] | None = None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--out", default=None, help="CSV to write (with the command and the date)")
    args = parser.parse_args(argv)
    df = pd.DataFrame([row for seed in args.seeds for row in one_seed(seed)])
    if args.out:
        seconds = df[[c for c in df.columns if c.endswith("_seconds")]].sum(axis=1)
        df.assign(preset="GFTRegressor defaults", n_features=N_FEATURES, wall_seconds=seconds,
                  **store.provenance("python benchmarks/target_offset.py " + " ".join(argv or sys.argv[1:])),
                  ).to_csv(args.out, index=False)
    return df


if __name__ == "__main__":
    main()
