"""VarPro given GFT-r's wall-clock time: the comparison behind chapter 04's equal-time table.

The book-preset tables give VarPro 6000 Adam steps, the step count of GFT-r's two phases; a
VarPro step has no generator and costs less, so VarPro also gets less time. Here, per
(setting, trial) and in one process: GFT-r is fitted at the book preset and timed (``T``);
VarPro's cost is measured on the same data (``fit`` with 200 and with 1200 steps: seconds
per step and the fixed cost of choosing its initial scale); VarPro is then fitted with the
number of steps that fills ``T``, and timed again. Same data draws, seeds and λ as the
committed book-preset trials (the first ``--trials``; trial ``t``: data seed and
``random_state`` ``t``; λ the committed one). One row per (setting, trial) goes to ``--out``
as soon as it is written, with provenance (``seed`` is the estimators' ``random_state``;
``wall_seconds`` the two timed fits, without the two short fits that measure VarPro's cost);
a rerun skips the rows already there (resumable).

Run from the repository root, one OpenMP thread, with nothing else on the machine (about
1.5 minutes per row)::

    OMP_NUM_THREADS=1 python benchmarks/varpro_equal_time.py \\
        --settings polynomial-d5 ishigami-d5 friedman1-d5
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gft import GFTRegressor, VarProRegressor  # noqa: E402
from gft.experiments import store  # noqa: E402
from gft.experiments.cells import load_cell_data  # noqa: E402

RESULTS = ROOT / "book" / "results" / "book"
BOOK_STEPS = 6000


def committed(setting: str, method: str) -> pd.DataFrame:
    path = RESULTS / f"{setting}__{method}__fourier__book.csv"
    if not path.exists():
        raise SystemExit(f"no committed results for {setting} / {method}: {path.name}")
    return pd.read_csv(path).sort_values("trial")


def mse(prediction: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((prediction - y) ** 2))


def timed(model, X: np.ndarray, y: np.ndarray) -> float:
    """Seconds ``model.fit(X, y)`` takes."""
    start = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", nargs="+", default=["polynomial-d5", "ishigami-d5", "friedman1-d5"])
    parser.add_argument("--trials", type=int, default=3, help="the first TRIALS committed trials per setting")
    parser.add_argument("--out", type=Path, default=ROOT / "book/results/ablations/varpro_equal_time__book.csv")
    args = parser.parse_args(argv)
    command = "python benchmarks/varpro_equal_time.py " + " ".join(sys.argv[1:] if argv is None else argv)
    done = set()
    if args.out.exists():
        previous = pd.read_csv(args.out)
        done = set(zip(previous["setting"], previous["trial"]))
    warm_up = np.random.default_rng(0).random((50, 2))  # the first fit of a process pays torch's start-up
    GFTRegressor.from_preset("smoke", progress=False).fit(warm_up, warm_up.sum(axis=1))
    for setting in args.settings:
        gft_r, varpro = committed(setting, "gft-r"), committed(setting, "varpro")
        for _, reference in gft_r[gft_r["trial"] < args.trials].iterrows():
            trial, data_seed = int(reference["trial"]), int(reference["data_seed"])
            if (setting, trial) in done:
                continue
            X, y, X_test, y_test = load_cell_data(setting, data_seed)
            varpro_reference = varpro.loc[varpro["trial"] == trial].iloc[0]
            varpro_lambda = float(varpro_reference["lambda"])
            common = dict(n_features=int(reference["n_features"]), activation="fourier",
                          random_state=data_seed, device="cpu", progress=False)

            def varpro_model(steps: int) -> VarProRegressor:
                return VarProRegressor.from_preset("book", steps=steps, tv_weight=varpro_lambda, **common)

            gft_model = GFTRegressor.from_preset("book", tv_weight=float(reference["lambda"]), **common)
            budget = timed(gft_model, X, y)
            short, long = timed(varpro_model(200), X, y), timed(varpro_model(1200), X, y)
            per_step = (long - short) / 1000
            steps = max(int(round((budget - (short - 200 * per_step)) / per_step, -2)), 100)
            model = varpro_model(steps)
            seconds = timed(model, X, y)
            row = dict(setting=setting, trial=trial, data_seed=data_seed, preset="book", seed=data_seed,
                       **{"lambda": float(reference["lambda"])},
                       gft_r_seconds=budget, gft_r_test_mse=mse(gft_model.predict(X_test), y_test),
                       gft_r_committed_test_mse=float(reference["test_mse"]),
                       varpro_steps=steps, varpro_seconds=seconds, varpro_test_mse=mse(model.predict(X_test), y_test),
                       varpro_lambda=varpro_lambda, varpro_book_steps=BOOK_STEPS,
                       varpro_book_test_mse=float(varpro_reference["test_mse"]),
                       seconds_per_varpro_step=per_step,
                       **store.provenance(command), wall_seconds=budget + seconds)
            pd.DataFrame([row]).to_csv(args.out, mode="a", header=not args.out.exists(), index=False)
            print(f"{setting} trial {trial}: GFT-r {budget:.0f} s, test MSE {row['gft_r_test_mse']:.3g} "
                  f"(committed {row['gft_r_committed_test_mse']:.3g}); VarPro {steps} steps in {seconds:.0f} s, "
                  f"test MSE {row['varpro_test_mse']:.3g} (6000 steps, committed: {row['varpro_book_test_mse']:.3g})",
                  flush=True)


if __name__ == "__main__":
    main()
