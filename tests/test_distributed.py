"""Sweeps on a Dask cluster (``--backend dask``): the rows of a serial sweep, resumable."""

import numpy as np
import pandas as pd
import pytest

from gft import cli
from gft.experiments import METHODS, Method, load_results, make_cells, run_cells, sweep_backend

distributed = pytest.importorskip("distributed", reason="pip install 'gft[distributed]' for the Dask tests")
from test_experiments import make_stub  # noqa: E402  (after the skip: it imports gft's test helpers)

#: Columns that describe where and when a row was made, not what it is.
WHEN_AND_WHERE = ["train_seconds", "wall_seconds", "command", "host", "date", "threads", "device_name"]

PLAN = (
    "--setting polynomial-d5 friedman1-d5 --method rff gft gft-r nn --preset smoke --trials 2 --lambdas 0 1e-3\n"
    "--setting ishigami-d5 --method sparse-rf --preset smoke --trials 2\n"
)


def _rows(folder):
    df = load_results(folder).drop(columns=WHEN_AND_WHERE)
    return df.sort_values(["setting", "method", "trial"]).reset_index(drop=True)


def test_a_sweep_on_a_two_worker_dask_cluster_writes_the_rows_of_the_serial_sweep(tmp_path):
    plan = tmp_path / "plan.txt"
    plan.write_text(PLAN)
    serial, dask = tmp_path / "serial", tmp_path / "dask"
    assert cli.main(["sweep", "--plan", str(plan), "--out", str(serial), "--quiet"]) == 0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, env={"OMP_NUM_THREADS": "1"}) as cluster:
        assert cli.main(["sweep", "--plan", str(plan), "--out", str(dask), "--quiet",
                         "--backend", "dask", "--scheduler", cluster.scheduler_address]) == 0
    a, b = _rows(serial), _rows(dask)
    assert len(a) == 18 and list(a.columns) == list(b.columns)  # 9 cells x 2 trials
    pd.testing.assert_frame_equal(a.drop(columns=["test_mse", "val_mse"]),
                                  b.drop(columns=["test_mse", "val_mse"]))
    # separate processes, one thread each: the same numbers to rounding
    np.testing.assert_allclose(b["test_mse"], a["test_mse"], rtol=1e-9)
    np.testing.assert_allclose(b["val_mse"], a["val_mse"], rtol=1e-9)
    assert set(load_results(dask)["host"]) == set(load_results(serial)["host"])


def test_an_interrupted_dask_sweep_resumes_without_duplicates(tmp_path, monkeypatch):
    fits_log = tmp_path / "fits.log"

    class Stub(make_stub()):
        """Logs every fit to a file: dask may pickle a task's class by value, so a class-level
        list in this process need not see the fits its workers ran."""

        def fit(self, X, y):
            with open(fits_log, "a") as fh:
                fh.write(f"{self.kwargs['random_state']}\n")
            return super().fit(X, y)

    stub = Stub
    monkeypatch.setitem(METHODS, "stub", Method("stub", stub))
    cells = make_cells(["polynomial-d5", "friedman1-d5", "ishigami-d5"], ["stub"], presets=["smoke"])
    # in-process workers, so that they see the stub registered above
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        stub.fail_on = 2  # the fit of trial 2 fails in every cell: the sweep stops there
        with sweep_backend("dask", scheduler=cluster.scheduler_address):
            first = run_cells(cells, tmp_path, n_trials=4, lambdas=[0, 1e-3], jobs=-1, verbose=False)
        assert [r.status for r in first] == ["failed"] * 3
        assert sorted(load_results(tmp_path).groupby("setting").size()) == [2, 2, 2]
        stub.fail_on = None
        n_fits = len(fits_log.read_text().split())
        with sweep_backend("dask", scheduler=cluster.scheduler_address):
            again = run_cells(cells, tmp_path, n_trials=4, lambdas=[0, 1e-3], jobs=-1, verbose=False)
    assert [r.status for r in again] == ["done"] * 3 and [r.new_trials for r in again] == [2, 2, 2]
    df = load_results(tmp_path)
    assert len(df) == 12 and not df.duplicated(["setting", "seed", "trial"]).any()
    # the resumed sweep refitted trials 2 and 3 only: no selection, no finished trial again
    assert sorted(int(seed) for seed in fits_log.read_text().split()[n_fits:]) == [2, 2, 2, 3, 3, 3]


def test_sweep_backend_names_what_is_wrong():
    with pytest.raises(ValueError, match=r"backend must be one of \['loky', 'dask', 'ray'\], got 'spark'"):
        with sweep_backend("spark"):
            pass
    with pytest.raises(ValueError, match="a scheduler address needs backend 'dask' or 'ray'"):
        with sweep_backend("loky", scheduler="tcp://localhost:8786"):
            pass
