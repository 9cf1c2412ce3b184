"""Each chapter's claims over several seeds: the evidence behind the thresholds the chapters assert.

Runs the chapters through papermill at one preset with ``seed`` = each of ``--seeds``, the
claims not asserted (``assert_claims=False``) so that every run completes, and appends each
run's claims table to ``--out``. It then prints, per claim, the smallest margin over the seeds
(the factor by which the measured value is inside its threshold; below 1 means the claim
failed on that seed). One process at a time: run it with nothing else on the machine.
Usage::

    python benchmarks/claim_margins.py --chapters 01 05 --seeds 0 1 2 3 4 \\
        --out book/results/claims/margins.csv
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
# the chapters and the provenance both use this checkout's gft, not an editable install of another
sys.path.insert(0, str(REPO))


def chapter_scripts(prefixes: list[str]) -> list[Path]:
    scripts = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.py"))
    chosen = [s for s in scripts if not prefixes or s.name[:2] in prefixes]
    if not chosen:
        raise SystemExit(f"no chapter matches {prefixes}; chapters: {[s.name for s in scripts]}")
    return chosen


def run(script: Path, seed: int, preset: str, out: Path, command: str) -> float:
    """Execute ``script`` with ``seed`` at ``preset`` and append its claims, with provenance, to ``out``.

    Returns the seconds the run took.
    """
    import jupytext
    import papermill

    from gft.experiments import store

    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        claims_file = Path(tmp) / "claims.csv"
        papermill.execute_notebook(
            jupytext.read(script), str(Path(tmp) / script.with_suffix(".ipynb").name),
            parameters=dict(preset=preset, seed=seed, assert_claims=False,
                            claims_file=str(claims_file)),
            kernel_name="python3", cwd=str(script.parent), progress_bar=False,
            execution_timeout=3600)
        seconds = time.perf_counter() - start
        rows = pd.read_csv(claims_file).assign(
            chapter=script.stem, seed=seed, **store.provenance(command), wall_seconds=round(seconds, 1))
    rows.to_csv(out, mode="a", header=not out.exists(), index=False)
    return seconds


def smallest_margins(df: pd.DataFrame) -> pd.DataFrame:
    """Per chapter and claim: runs, runs held, the smallest margin and the seed it came from."""
    grouped = df.groupby(["chapter", "claim"], sort=False)
    summary = grouped.agg(runs=("held", "size"), held=("held", "sum"), smallest_margin=("margin", "min"))
    return summary.reset_index()


def main(argv: list[str] | None = None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chapters", nargs="*", default=[], help="two-digit prefixes (default: all)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--preset", default="book")
    parser.add_argument("--out", type=Path, default=REPO / "book/results/claims/margins.csv")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    command = "python benchmarks/claim_margins.py " + " ".join(argv if argv is not None else sys.argv[1:])
    failed = []
    for script in chapter_scripts(args.chapters):
        for seed in args.seeds:
            try:
                seconds = run(script, seed, args.preset, args.out, command)
            except Exception as error:  # a broken chapter: report it, go on with the others
                failed.append(f"{script.stem} seed {seed}")
                print(f"{script.stem} seed {seed}: FAILED ({type(error).__name__}: "
                      f"{str(error).strip().splitlines()[-1][:300]})", flush=True)
                continue
            print(f"{script.stem} seed {seed}: {seconds:.0f} s", flush=True)
    summary = smallest_margins(pd.read_csv(args.out))
    with pd.option_context("display.width", 200, "display.max_colwidth", 80, "display.max_rows", 500):
        print(summary.to_string(index=False))
    if failed:
        raise SystemExit(f"runs that raised: {', '.join(failed)}")
    return summary


if __name__ == "__main__":
    main()
