"""The ``gft`` command line: ``run`` the experiment protocol, ``sweep`` a plan, print a results ``table``, ``bench``."""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Sequence

from .experiments.backends import BACKENDS

__all__ = ["main", "build_parser", "cells_from_args"]

_MAIN_EPILOG = """\
examples:
  python -m gft run --setting friedman1-d5 --method gft-r --activation fourier --preset book --out results/
  python -m gft run --setting all --dataset all --method gft gft-r --preset smoke --out /tmp/smoke
  python -m gft sweep --plan book/results/plan.txt --out book/results/paper
  python -m gft table results/

Each subcommand has its own --help. Exit status: 0 done; 1 some cells failed (the others are
written); 2 an error reported in one line (bad names or arguments, a missing data file or
package; --traceback shows where an error came from); 130 interrupted (rerun to resume).
"""

_RUN_DESCRIPTION = """\
Run the experiment protocol of the paper (Hertrich & Neumayer; chapters 04 and 06) for
every cell = (setting or data set, method, activation, preset[, N]): select the TV
weight lambda on one data draw (seed --seed) by the method's validation MSE, then run
--trials trials at that lambda, trial t on the data draw of seed --seed + t (trial 0 is
the selection's fit at the chosen lambda; galaxy has one fixed split, so its trials
differ only in the estimator's seed). Every trial becomes one CSV row in
OUT/<setting>__<method>__<activation>__<preset>[__N<n>].csv, with provenance (command,
commit, dirty, host, torch, device, date); the selection (validation MSE per lambda) goes
to OUT/<cell>.selection.json before the trials. Rerunning the same command resumes:
cells, selections and trials already in OUT are skipped, nothing is lost or written
twice; a selection whose fits run one after the other (every method but gft and gft-r, whose
selection is one batched run) keeps each finished fit in OUT/<cell>.partial-selection.json and
resumes at the next lambda; a run in progress (the batched run of gft and gft-r: a selection, or a
cell's trials; one fit of another method) keeps its state in OUT/<cell>.partial-run.pt about every
ten minutes (and its phases and steps in plain JSON beside it, OUT/<cell>.partial-run.pt.json)
and goes on from its last save. gft and gft-r run together share the selection's fits, and the trials' fits where
both select the same lambda. Methods without a TV weight (rff, sparse-rf) have nothing to
select: their one fit on the selection's draw is recorded as the selection and becomes
trial 0; their lambda is empty (NaN).
"""

_RUN_EPILOG = """\
examples:
  # one cell, the book budget
  python -m gft run --setting friedman1-d5 --method gft-r --activation fourier --preset book --out results/
  # a real data set (files in $GFT_DATA_DIR or --data-dir)
  python -m gft run --dataset airfoil --method gft gft-r --preset book --out results/
  # everything at the smoke budget, two worker processes
  python -m gft run --setting all --dataset all --method gft-r --preset smoke --jobs 2 --out /tmp/smoke
  # no TV regularisation, three trials, on the GPU
  python -m gft run --setting kreuz --method gft --lambdas 0 --trials 3 --device cuda --out results/
"""

_SWEEP_EPILOG = """\
a plan file holds one run's arguments per line, '#' starts a comment (book/results/plan.txt
is the paper protocol's plan), e.g.:
  # the synthetic table, GFT and GFT-r, the paper budget
  --setting polynomial-d5 polynomial-d10 ishigami-d5 --method gft gft-r --preset paper
  --dataset all --method gft gft-r --preset paper --trials 5

  python -m gft sweep --plan book/results/plan.txt --out book/results/paper --jobs 2
  # how far it has got, and roughly what is left
  python -m gft sweep --plan book/results/plan.txt --out book/results/paper --status
  # on a Dask cluster (pip install 'gft[distributed]'); the results folder on a shared disk
  python -m gft sweep --plan book/results/plan.txt --out /shared/results --backend dask --scheduler tcp://10.0.0.5:8786
"""

_TABLE_EPILOG = """\
examples:
  python -m gft table results/              # rows = settings, columns = methods, mean ± std
  python -m gft table results/ --long       # one line per cell with lambda, trials, time
  python -m gft table results/ --selection  # validation MSE per lambda, the chosen one in bold
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m gft`` (``run``, ``table``, ``sweep``, ``bench``)."""
    from .datasets import setting_names, uci_names
    from .experiments import DEFAULT_TRIALS, LAMBDA_GRID, method_names
    from .features import ACTIVATIONS
    from .presets import PRESET_NAMES

    parser = argparse.ArgumentParser(
        prog="python -m gft",
        description="Generative feature training (GFT) of thin 2-layer networks: experiments.",
        epilog=_MAIN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--traceback", action="store_true",
                        help="on an error, show its traceback instead of a one-line message")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = subparsers.add_parser(
        "run", help="run the experiment protocol for a list of cells (resumable)",
        description=_RUN_DESCRIPTION, epilog=_RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    what = run.add_argument_group("what to run (cells = settings x methods x activations x presets x N)")
    what.add_argument("--setting", nargs="+", default=[], metavar="NAME",
                      help=f"synthetic settings, or 'all'. One of: {', '.join(setting_names())}")
    what.add_argument("--dataset", nargs="+", default=[], metavar="NAME",
                      help=f"real (UCI) data sets, or 'all'. One of: {', '.join(uci_names())}")
    what.add_argument("--method", nargs="+", default=["gft", "gft-r"], metavar="NAME",
                      help=f"methods (default: gft gft-r). One of: {', '.join(method_names())}")
    what.add_argument("--activation", nargs="+", default=["fourier"], metavar="NAME",
                      help=f"activations (default: fourier). One of: {', '.join(ACTIVATIONS)}")
    what.add_argument("--preset", nargs="+", default=["book"], metavar="NAME",
                      help=f"budgets (default: book). One of: {', '.join(PRESET_NAMES)}")
    what.add_argument("--n-features", nargs="+", type=int, default=None, metavar="N",
                      help="numbers of features N, one cell each (default: the estimator's, 100)")
    proto = run.add_argument_group("protocol")
    proto.add_argument("--trials", type=int, default=DEFAULT_TRIALS,
                       help=f"trials per cell (default: {DEFAULT_TRIALS})")
    proto.add_argument("--seed", type=int, default=0,
                       help="base seed: selection on draw SEED, trial t on draw SEED+t (default: 0)")
    proto.add_argument("--lambdas", nargs="+", type=float, default=list(LAMBDA_GRID), metavar="L",
                       help="TV weights of the selection (default: "
                            f"{' '.join(f'{x:g}' for x in LAMBDA_GRID)}); e.g. --lambdas 0")
    where = run.add_argument_group("where and how")
    where.add_argument("--out", default="results", help="results folder (default: results)")
    where.add_argument("--device", default="auto",
                       help="auto (CUDA if available), cpu, cuda, cuda:N (default: auto)")
    where.add_argument("--jobs", type=int, default=None,
                       help="cells run in parallel, joblib n_jobs (-1: all cores or workers; "
                            "default: 1 with loky, -1 with dask or ray)")
    where.add_argument("--backend", choices=BACKENDS, default="loky",
                       help="where the cells run: joblib's processes here (loky, default), a Dask "
                            "cluster (dask) or a Ray cluster (ray); pip install 'gft[distributed]' "
                            "for Dask, 'gft[ray]' for Ray")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="an existing cluster (dask: tcp://host:8786; ray: ray://host:10001 or "
                            "auto); without it, dask and ray start a local one")
    where.add_argument("--data-dir", default=None,
                       help="folder of the UCI files (default: $GFT_DATA_DIR, else "
                            "$XDG_CACHE_HOME/gft/datasets, by default ~/.cache/gft/datasets)")
    where.add_argument("--fit-progress", action="store_true",
                       help="show the estimators' progress bars (off by default)")
    where.add_argument("--quiet", action="store_true",
                       help="no progress lines on stderr (one as each selection or run of trials starts, one "
                            "per selection, trial and cell as it ends)")
    run.set_defaults(func=_run)

    table = subparsers.add_parser(
        "table", help="print a Markdown table of mean ± std test MSE per cell",
        description="Read every results CSV in FOLDER and print a Markdown table of the mean "
                    "± standard deviation (ddof 1) of the test MSE over the trials of each cell.",
        epilog=_TABLE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    table.add_argument("folder", help="a results folder written by 'python -m gft run'")
    table.add_argument("--long", action="store_true",
                       help="one line per cell (setting, method, activation, preset, N, lambda, "
                            "trials, test MSE, training seconds)")
    table.add_argument("--selection", action="store_true",
                       help="the validation MSE per lambda of each cell instead (chosen one in bold)")
    table.add_argument("--digits", type=int, default=2, help="digits of the mean (default: 2)")
    table.set_defaults(func=_table)

    sweep = subparsers.add_parser(
        "sweep", help="run every line of a plan file as a 'run' command into one folder",
        description="Run a sweep written down as a plan: each non-empty line of PLAN (text after "
                    "'#' is a comment) holds the options of one 'python -m gft run' command; "
                    "--out and the options given here are added to every line. Lines run in "
                    "order; rerunning the sweep resumes it.",
        epilog=_SWEEP_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sweep.add_argument("--plan", required=True, help="the plan file")
    sweep.add_argument("--out", required=True, help="results folder of every line")
    sweep.add_argument("--jobs", type=int, default=None, help="overrides --jobs of every line")
    sweep.add_argument("--backend", choices=BACKENDS, default="loky",
                       help="where the cells run (see 'run --help'); one cluster serves every line")
    sweep.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="an existing Dask or Ray cluster (see 'run --help')")
    sweep.add_argument("--device", default=None, help="overrides --device of every line")
    sweep.add_argument("--data-dir", default=None, help="overrides --data-dir of every line")
    sweep.add_argument("--quiet", action="store_true", help="no progress lines")
    sweep.add_argument("--status", action="store_true",
                       help="run nothing: print how far --out has got with the plan (cells done per "
                            "line, hours spent, an estimate of the hours left) and what unfinished "
                            "runs have kept")
    sweep.add_argument("--reference", default=None, metavar="DIR",
                       help="with --status: price what is left by the same cells' fits in DIR, the "
                            "results of a cheaper preset (e.g. book/results/book), scaled by the two "
                            "presets' ratio on cells finished in both")
    sweep.set_defaults(func=_sweep)

    _add_bench_parser(subparsers)
    return parser


def _add_bench_parser(subparsers: argparse._SubParsersAction) -> None:
    from .experiments import bench

    parser = subparsers.add_parser(
        "bench", help="time GFTRegressor.fit against a straightforward implementation, beside the machine's floor",
        description=bench.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bench.add_arguments(parser)

    def _bench(args: argparse.Namespace, argv: Sequence[str]) -> int:
        bench.run(args)
        return 0

    parser.set_defaults(func=_bench)


def _run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from .experiments import sweep_backend

    with sweep_backend(args.backend, args.scheduler):
        return _run_cells(args, argv)


def cells_from_args(args: argparse.Namespace) -> list:
    """The cells that parsed ``run`` arguments ask for (``all`` expanded), validated."""
    from .datasets import setting_names, uci_names
    from .experiments import make_cells

    if not args.setting and not args.dataset:
        raise ValueError("give at least one --setting or --dataset (or 'all')")
    settings = [n for s in args.setting for n in (setting_names() if s == "all" else [s])]
    settings += [n for s in args.dataset for n in (uci_names() if s == "all" else [s])]
    return make_cells(settings, args.method, args.activation, args.preset, args.n_features or [None])


def _check_local_device(args: argparse.Namespace) -> None:
    """With the cells run on this machine (``--backend loky``), a ``--device`` it lacks is a
    ValueError now, before any cell runs (each cell would fail alike, with a traceback each). A
    cluster's workers resolve the device themselves: they may have a GPU this machine lacks."""
    from .estimators import resolve_device

    if args.backend == "loky":
        try:
            resolve_device(args.device)
        except ValueError as err:
            raise ValueError(f"--device: {err}") from None


def _run_cells(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from .experiments import run_cells

    _check_local_device(args)
    cells = cells_from_args(args)
    results = run_cells(
        cells, args.out, jobs=_jobs(args), n_trials=args.trials, seed=args.seed,
        lambdas=args.lambdas, device=args.device, data_dir=args.data_dir,
        command="python -m gft " + shlex.join(argv), verbose=not args.quiet,
        fit_progress=args.fit_progress,
    )
    failed = [r for r in results if r.status == "failed"]
    for r in failed:
        print(f"gft: cell {r.cell.label} failed: {r.error}", file=sys.stderr)
    return 1 if failed else 0


def _jobs(args: argparse.Namespace) -> int:
    """``--jobs``, or its default: 1 here, every worker of a cluster."""
    if args.jobs is not None:
        return args.jobs
    return 1 if args.backend == "loky" else -1


def _sweep(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from .experiments import sweep_backend
    from .experiments.plan import read_plan, status_markdown, unfinished_runs

    plan = read_plan(args.plan)
    if args.status:
        try:
            sys.stdout.write(status_markdown(plan, args.out, args.reference))
        except ValueError as err:
            raise SystemExit(f"gft sweep: --reference {err}") from None
        kept = unfinished_runs(args.out)
        if kept:
            sys.stdout.write("\nUnfinished runs (a rerun goes on from what they kept):\n"
                             + "".join(f"- {line}\n" for line in kept))
        return 0
    extra = ["--out", args.out]
    for flag, value in (("--jobs", args.jobs), ("--device", args.device), ("--data-dir", args.data_dir)):
        if value is not None:
            extra += [flag, str(value)]
    extra += ["--quiet"] if args.quiet else []
    run_parser = build_parser()
    runs = []
    for line in plan:  # parsed once more, with this sweep's --out and overrides
        line_argv = ["run", *shlex.split(line.text), *extra]
        try:
            line_args = run_parser.parse_args(line_argv)
        except SystemExit as err:
            raise ValueError(f"{args.plan}:{line.number}: bad options: {line.text!r}") from err
        line_args.backend = args.backend
        try:
            _check_local_device(line_args)  # every line before the first runs
        except ValueError as err:
            raise ValueError(f"{args.plan}:{line.number}: {err}") from None
        runs.append((line.number, line.text, line_args, line_argv))
    status = 0
    with sweep_backend(args.backend, args.scheduler):
        for number, line, line_args, line_argv in runs:
            if not args.quiet:
                print(f"[gft] {args.plan}:{number}: {line}", file=sys.stderr, flush=True)
            status = max(status, _run_cells(line_args, line_argv))
    return status


def _table(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from .experiments import load_results, load_selection, markdown_table, selection_markdown

    if args.selection:
        sys.stdout.write(selection_markdown(load_selection(args.folder), args.digits))
    else:
        sys.stdout.write(markdown_table(load_results(args.folder), long=args.long,
                                        digits=args.digits))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m gft`` and of the ``gft`` script; returns the exit code.

    0: success; 1: some cells failed (the others are written); 2: an error reported in one
    line — bad arguments or names, a missing data file (the message lists the valid names), a
    missing optional package (the message names the extra to install), or any other
    ``ValueError`` a command raised (``--traceback`` shows where it came from); 130:
    interrupted (rerun to resume).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args, argv))
    # bad names or options, a missing data file, a cluster backend that is not installed
    except (ValueError, FileNotFoundError, ImportError) as err:
        if args.traceback:
            raise
        print(f"{parser.prog} {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
