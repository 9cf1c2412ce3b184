"""The paper's experiment protocol (chapters 04 and 06): cells, λ selection, trials, resumable CSV results with provenance, tables.

Typical use::

    from gft.experiments import make_cells, run_cells, load_results, markdown_table, sweep_backend

    cells = make_cells(["friedman1-d5", "airfoil"], ["gft", "gft-r"], presets=["smoke"])
    run_cells(cells, "results", n_trials=5, jobs=2)   # rerun to resume
    print(markdown_table(load_results("results")))

    with sweep_backend("dask"):                         # a local Dask cluster, or scheduler=...
        run_cells(cells, "results", jobs=-1)

The command line ``python -m gft run ... / python -m gft table ...`` wraps the same calls.
"""

from .backends import BACKENDS, sweep_backend
from .claims import ClaimFailed, Claims, start_chapter
from .cells import Cell, canonical_setting, load_cell_data, make_cells, validate_cell
from .methods import METHODS, Method, estimator_class, get_method, method_labels, method_names
from .plan import plan_progress, progress_by_block, progress_markdown, read_plan, reference_progress
from .protocol import DEFAULT_TRIALS, LAMBDA_GRID, CellResult
from .runner import run_cell, run_cells
from .store import COLUMNS, load_results, load_selection
from .tables import markdown_table, selection_markdown, summary_table

__all__ = [
    "BACKENDS",
    "COLUMNS",
    "Cell",
    "ClaimFailed",
    "Claims",
    "CellResult",
    "DEFAULT_TRIALS",
    "LAMBDA_GRID",
    "METHODS",
    "Method",
    "canonical_setting",
    "estimator_class",
    "get_method",
    "load_cell_data",
    "load_results",
    "load_selection",
    "make_cells",
    "markdown_table",
    "method_labels",
    "method_names",
    "plan_progress",
    "progress_by_block",
    "progress_markdown",
    "reference_progress",
    "read_plan",
    "run_cell",
    "run_cells",
    "selection_markdown",
    "start_chapter",
    "summary_table",
    "sweep_backend",
    "validate_cell",
]
