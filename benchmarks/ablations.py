"""Recompute the sweeps of the ablation chapter and store them in book/results/ablations/ with provenance.

The chapter ``notebooks/05_ablations.py`` is the one place where the sweeps are defined
(setting, grids, seeds, reduced budgets). This script executes it with
``write_ablations=True``: each sweep that is not stored for the chapter's configuration is
run and written to ``book/results/ablations/<sweep>__<preset>.csv``, one row per (grid
point, seed, method) with the sweep's configuration (``config``: JSON of its arguments and
of the preset's keyword values) and provenance columns (``command``, ``commit``, ``dirty``,
``host``, ``torch``, ``device``, ``device_name``, ``threads``, ``date``, ``wall_seconds``,
``sweep_wall_seconds``). Runs of the chapter read a stored sweep whenever its ``config`` is
the one they ask for. Delete a file to recompute it.

Run from the repository root, on a quiet machine, with one OpenMP thread (two threads on a
shared 2-core machine are several times slower, not faster); about ten minutes of CPU at
``book``::

    OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/ablations.py --preset book
    PYTHONPATH=. python benchmarks/ablations.py --preset smoke --results /tmp/results  # a dry run
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import jupytext
import papermill

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "notebooks" / "05_ablations.py"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="book", choices=["smoke", "book", "paper"])
    parser.add_argument("--results", type=Path, default=ROOT / "book" / "results",
                        help="results root; the sweeps go to RESULTS/ablations (default: book/results)")
    parser.add_argument("--executed", type=Path, default=None,
                        help="where to keep the executed notebook (default: a temporary file)")
    args = parser.parse_args(argv)
    args.results.mkdir(parents=True, exist_ok=True)
    os.environ["GFT_RESULTS_DIR"] = str(args.results.resolve())  # read by gft.experiments.report.results_dir
    # the kernel runs in notebooks/: make this checkout's gft importable there
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    out = args.executed or Path(tempfile.mkdtemp()) / "05_ablations.executed.ipynb"
    start = time.perf_counter()
    papermill.execute_notebook(
        jupytext.read(CHAPTER), str(out), kernel_name="python3", cwd=str(CHAPTER.parent),
        parameters=dict(preset=args.preset, write_ablations=True), progress_bar=True,
    )
    print(f"sweeps of {CHAPTER.name} at preset {args.preset!r} written to "
          f"{args.results / 'ablations'} in {time.perf_counter() - start:.0f} s "
          f"(executed notebook: {out})")


if __name__ == "__main__":
    main()
