"""Where the cells of a sweep run: joblib's own processes, a Dask cluster or a Ray cluster.

:func:`gft.experiments.run_cells` hands its jobs (one per group of cells that share their
fits) to ``joblib.Parallel``; :func:`sweep_backend` chooses the joblib backend around it, so
a sweep moves from one machine to a cluster without a change to the protocol code::

    with sweep_backend("dask", scheduler="tcp://10.0.0.5:8786"):
        run_cells(cells, "results", jobs=-1)

Every job takes its cells' run locks in the results folder, and every row is written under
the cell's file lock, so the folder must be one that every worker sees (a shared file
system); an interrupted sweep resumes from the rows already there.
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

import joblib

__all__ = ["BACKENDS", "sweep_backend"]

#: Names accepted by :func:`sweep_backend` (and ``python -m gft run/sweep --backend``).
BACKENDS = ("loky", "dask", "ray")

_INSTALL = "pip install 'gft[distributed]'"


def _dask_client(scheduler: str | None, n_workers: int | None):
    try:
        from distributed import Client, LocalCluster
    except ImportError as err:
        raise ImportError(f"the dask backend needs dask.distributed: {_INSTALL}") from err
    if scheduler is not None:
        return Client(scheduler), None
    # one OpenMP thread per worker process: several torch processes with several threads
    # each on the same cores spin against each other
    cluster = LocalCluster(n_workers=n_workers or os.cpu_count(), threads_per_worker=1,
                           processes=True, dashboard_address=None,
                           env={"OMP_NUM_THREADS": "1"})
    return Client(cluster), cluster


@contextlib.contextmanager
def sweep_backend(backend: str = "loky", scheduler: str | None = None,
                  n_workers: int | None = None) -> Iterator[None]:
    """Run the ``joblib.Parallel`` calls inside the block on ``backend``.

    Parameters
    ----------
    backend : {"loky", "dask", "ray"}
        ``"loky"``: joblib's worker processes on this machine (``jobs`` of them).
        ``"dask"``: a ``dask.distributed`` cluster, the one at ``scheduler`` or, without
        one, a local cluster of ``n_workers`` single-threaded worker processes.
        ``"ray"``: a Ray cluster, ``ray.init(address=scheduler)`` unless Ray is already
        initialised in this process (then that connection is used and ``scheduler`` is
        ignored); without an address Ray joins the cluster ``$RAY_ADDRESS`` names or the
        latest ``ray start`` on this machine, else starts a local one.
    scheduler : str, optional
        Address of an existing cluster (``tcp://host:8786`` for Dask, ``ray://host:10001``
        or ``auto`` for Ray). Not for ``"loky"``.
    n_workers : int, optional
        Workers of a local Dask cluster (default: the number of CPUs); ignored otherwise.

    Raises
    ------
    ValueError
        An unknown backend, or a scheduler for ``"loky"``.
    ImportError
        The backend's package is missing (it names the extra to install).
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {list(BACKENDS)}, got {backend!r}")
    if backend == "loky":
        if scheduler is not None:
            raise ValueError("a scheduler address needs backend 'dask' or 'ray', not 'loky'")
        yield
        return
    if backend == "dask":
        client, cluster = _dask_client(scheduler, n_workers)
        try:
            with joblib.parallel_config(backend="dask"):
                yield
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    try:
        import ray
        from ray.util.joblib import register_ray
    except ImportError as err:
        raise ImportError("the ray backend needs Ray: pip install 'gft[ray]'") from err
    started = not ray.is_initialized()
    if started:
        ray.init(address=scheduler)
    register_ray()
    try:
        with joblib.parallel_config(backend="ray"):
            yield
    finally:
        if started:
            ray.shutdown()
