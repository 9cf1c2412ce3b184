"""Try each bad input a user can give gft and write what the user sees to book/troubleshooting.md.

Run: ``python benchmarks/troubleshooting_table.py`` (needs $GFT_DATA_DIR for the data-file rows).
Each row is produced by actually calling gft, so the table cannot drift from the code.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

if os.environ.get("PYTHONHASHSEED") != "0":  # messages that list a set of options print it in hash order
    os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})

import numpy as np

import gft
from gft import GFTRegressor
from gft.datasets import load_setting, load_uci

ROOT = Path(__file__).resolve().parents[1]

HEADER = """\
# Troubleshooting: bad input and what you see

Every row below was produced by running `python benchmarks/troubleshooting_table.py`,
which feeds the input to `gft` and records the first line of the message (or the result).
Errors are raised at the boundary (estimator `fit`/`predict`, the data loaders, the runner),
before any tensor reaches the numerical core. Long sweeps are resumable: rerunning
`python -m gft run ...` skips finished trials, and Ctrl-C during `fit` keeps the best
iterate so far with a `TrainingInterruptedWarning` (in `GFTRegressorCV`'s cross-validated search it stops the
fit rather than refit from unfinished candidates, with a `KeyboardInterrupt` that names the phase
and step; a `checkpoint=` file keeps the search).

Two kinds of input raise nothing and still fit badly, because the estimators neither scale `X`
nor centre `y`: inputs far from a scale of order one, and targets whose mean is large beside
their spread. The [first chapter](../notebooks/01_quickstart.ipynb)'s section "Put the inputs on
a scale of order one" measures the first and shows both remedies, a `StandardScaler` in a
pipeline and a `TransformedTargetRegressor`; `benchmarks/target_offset.py` measures the second
(`book/results/robustness/target_offset.csv`).

| input | what you see |
|---|---|
"""  # the page above its table (a test compares the page with it)


def outcome(fn) -> str:
    """The first line of the error or warning ``fn`` produces, or what it returns."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn()
        except BaseException as err:  # noqa: BLE001 - we report whatever the user would see
            return f"`{type(err).__name__}`: {str(err).splitlines()[0]}"
    shown = [w for w in caught if not issubclass(w.category, (DeprecationWarning, FutureWarning))]
    if shown:
        return f"`{shown[0].category.__name__}` (warning): {str(shown[0].message).splitlines()[0]}; {result}"
    return str(result)


def smoke(**kw):
    return GFTRegressor.from_preset("smoke", **{"progress": False, "random_state": 0, **kw})


def rows(data_dir: Path | None) -> list[tuple[str, str]]:
    rng = np.random.default_rng(0)
    X, y = rng.random((60, 2)), rng.random(60)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    fitted = smoke().fit(X, y)

    def finite(m, Xp=X):
        return f"fits; predictions finite: {bool(np.isfinite(m.predict(Xp)).all())}"

    out = [
        ("NaN in X", outcome(lambda: smoke().fit(X_nan, y))),
        ("inf in y", outcome(lambda: smoke().fit(X, np.where(np.arange(60) == 3, np.inf, y)))),
        ("X is 1-D", outcome(lambda: smoke().fit(X[:, 0], y))),
        ("y of the wrong length", outcome(lambda: smoke().fit(X, y[:-1]))),
        ("2 samples (validation split needs more)", outcome(lambda: smoke().fit(X[:2], y[:2]))),
        ("n_features=0", outcome(lambda: smoke(n_features=0).fit(X, y))),
        ("ridge=-1", outcome(lambda: smoke(ridge=-1.0).fit(X, y))),
        ("tv_weight=-1e-3", outcome(lambda: smoke(tv_weight=-1e-3).fit(X, y))),
        ("lr=-0.1", outcome(lambda: smoke(lr=-0.1).fit(X, y))),
        ('activation="tanh"', outcome(lambda: smoke(activation="tanh").fit(X, y))),
        ('preset "fast"', outcome(lambda: GFTRegressor.from_preset("fast"))),
        ('setting "friedman2"', outcome(lambda: load_setting("friedman2"))),
        ('dataset "boston"', outcome(lambda: load_uci("boston", data_dir=data_dir))),
        ("predict before fit", outcome(lambda: smoke().predict(X))),
        ("predict with 3 columns after fitting on 2", outcome(lambda: fitted.predict(np.ones((2, 3))))),
        ("integer X and y", outcome(lambda: finite(smoke().fit((X * 10).astype(int), (y * 10).astype(int)), (X * 10).astype(int)))),
        ("X and y as reversed views (X[::-1]: negative strides)", outcome(lambda: finite(smoke().fit(X[::-1], y[::-1]), X[::-1]))),
        ("float32 X and y", outcome(lambda: finite(smoke().fit(X.astype(np.float32), y.astype(np.float32))))),
        ("N=200 features, 60 points, default ridge", outcome(lambda: finite(smoke(n_features=200).fit(X, y)))),
        ("duplicated rows, constant y", outcome(lambda: f"predicts {smoke().fit(np.repeat(X[:20], 3, 0), np.full(60, 4.2)).predict(X[:1])[0]:.4f} for y = 4.2")),
        ("y of scale 1e6 (and 1e-6)", outcome(lambda: "y is divided by its RMS internally; relative training RMSE at scales 1, 1e6, 1e-6: "
                                      + ", ".join(f"{_relative_rmse(smoke(), X, y, s):.4f}" for s in (1.0, 1e6, 1e-6)))),
        ("y of scale 1e70", outcome(lambda: smoke().fit(X, 1e70 * y))),
        ('device="cuda" on a CPU-only machine', outcome(lambda: smoke(device="cuda").fit(X, y))),
        ("ridge system singular in float32 (identical columns, ridge 1e-12)", outcome(lambda: _singular_float32())),
    ]
    if data_dir is not None and (data_dir / "airfoil.txt").exists():
        out += _data_file_rows(data_dir)
    return out


def _relative_rmse(model, X, y, scale):
    fitted = model.fit(X, scale * y)
    return float(np.sqrt(np.mean((fitted.predict(X) - scale * y) ** 2)) / scale)


def _singular_float32():
    import torch

    x = torch.linspace(0, 1, 50)
    A = torch.stack([torch.cos(x)] * 6, dim=-1)
    b = gft.ridge_solve(A, torch.sin(x), 1e-12)
    return f"coefficients finite: {bool(torch.isfinite(b).all())}"


def _data_file_rows(data_dir: Path) -> list[tuple[str, str]]:
    tmp = Path(tempfile.mkdtemp())
    try:
        def damaged(name, content: bytes | None):
            folder = tmp / name.replace(".", "_")
            folder.mkdir()
            if content is not None:
                (folder / "airfoil.txt").write_bytes(content)
            return folder

        good = (data_dir / "airfoil.txt").read_bytes()
        missing = damaged("missing", None)
        truncated = damaged("truncated", good[: len(good) // 2])
        commas = damaged("commas", good.replace(b"\t", b","))
        html = damaged("html", b"<!DOCTYPE html><html><body>404: Not Found</body></html>")
        return [
            ("airfoil.txt missing", outcome(lambda: load_uci("airfoil", data_dir=missing)).replace(str(missing), "<data_dir>")),
            ("airfoil.txt truncated", outcome(lambda: load_uci("airfoil", data_dir=truncated)).replace(str(truncated), "<data_dir>")),
            ("airfoil.txt with commas instead of tabs", outcome(lambda: load_uci("airfoil", data_dir=commas)).replace(str(commas), "<data_dir>")),
            ("airfoil.txt replaced by an HTML error page", outcome(lambda: load_uci("airfoil", data_dir=html)).replace(str(html), "<data_dir>")),
        ]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    env = os.environ.get("GFT_DATA_DIR")
    table = rows(Path(env) if env else None)
    lines = HEADER.splitlines()
    for what, seen in table:
        seen = seen.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {what} | {seen} |")
    path = ROOT / "book" / "troubleshooting.md"
    path.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
