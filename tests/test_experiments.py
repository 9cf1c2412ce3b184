"""Tests of gft.experiments: λ selection, trials, resume after interruption, concurrent writers, provenance, tables."""

from __future__ import annotations

import datetime as dt
import json
import math
import multiprocessing
import os
import re
import subprocess
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import torch

from gft.datasets import load_setting, load_uci, setting_names, uci_names
from gft.experiments import (
    COLUMNS,
    LAMBDA_GRID,
    METHODS,
    Cell,
    Method,
    load_results,
    load_selection,
    make_cells,
    markdown_table,
    run_cell,
    run_cells,
    selection_markdown,
    summary_table,
)
from conftest import uci_data_dir
from gft.experiments import store
from gft.training import TrainingHistory

DATA, NO_DATA_REASON = uci_data_dir()  # $GFT_DATA_DIR

#: Validation MSE of the stub per λ: the argmin is 1e-3.
STUB_VAL = {0.0: 3.0, 1e-4: 2.0, 1e-3: 0.5, 1e-2: 1.0, 1e-1: 4.0, 1.0: 5.0}


def make_stub():
    """A fresh stub estimator class: predicts the training mean, records every fit."""

    class Stub:
        fits: list[dict] = []
        fail_on: int | None = None  # random_state whose fit raises RuntimeError
        fail_on_lambda: float | None = None  # tv_weight whose fit raises RuntimeError
        interrupt_on: int | None = None  # ... raises KeyboardInterrupt
        caught_interrupt_on: int | None = None  # ... returns with history_ marked interrupted
        sleep = 0.0

        def __init__(self, **kwargs):
            self.kwargs = kwargs
            self.n_features = kwargs.get("n_features", 7)

        @classmethod
        def from_preset(cls, preset, **overrides):
            return cls(preset=preset, **overrides)

        def fit(self, X, y):
            seed = self.kwargs["random_state"]
            type(self).fits.append(dict(self.kwargs, n_rows=len(X)))
            time.sleep(self.sleep)
            if seed == self.fail_on:
                raise RuntimeError(f"stub failure at seed {seed}")
            if self.fail_on_lambda is not None and self.kwargs.get("tv_weight") == self.fail_on_lambda:
                raise RuntimeError(f"stub failure at lambda {self.fail_on_lambda}")
            if seed == self.interrupt_on:
                raise KeyboardInterrupt
            self.history_ = {"g": TrainingHistory(interrupted=seed == self.caught_interrupt_on)}
            self.mean_ = float(np.mean(y))
            lam = self.kwargs.get("tv_weight")
            self.val_mse_ = (STUB_VAL[lam] if lam is not None else 1.0) + 1e-3 * seed
            return self

        def predict(self, X):
            return np.full(len(X), self.mean_)

    return Stub


@pytest.fixture
def stub(monkeypatch):
    cls = make_stub()
    monkeypatch.setitem(METHODS, "stub", Method("stub", cls))
    return cls


def read_csv(out, stem):
    return pd.read_csv(Path(out) / f"{stem}.csv")


def stub_mse(setting, seed):
    """Independent test MSE of the stub: predicting the training mean."""
    X, y, Xt, yt = load_setting(setting, seed=seed)
    return float(np.mean((yt - y.mean()) ** 2))


# -- protocol ---------------------------------------------------------------------------
def test_selection_picks_argmin_and_trials_use_it(tmp_path, stub):
    res = run_cell(Cell("friedman1-d5", "stub", preset="smoke"), tmp_path, n_trials=3, seed=10,
                   verbose=False)
    assert res.status == "done" and res.new_trials == 3 and res.selected_lambda == 1e-3
    stem = "friedman1-d5__stub__fourier__smoke"
    rec = json.loads((tmp_path / f"{stem}.selection.json").read_text())
    assert rec["selected_lambda"] == 1e-3 and rec["lambdas"] == list(LAMBDA_GRID)
    assert [e["val_mse"] for e in rec["entries"]] == pytest.approx(
        [STUB_VAL[lam] + 1e-3 * 10 for lam in LAMBDA_GRID])
    df = read_csv(tmp_path, stem)
    assert list(df["trial"]) == [0, 1, 2] and (df["lambda"] == 1e-3).all()
    assert list(df["data_seed"]) == [10, 11, 12]
    assert df["test_mse"].tolist() == pytest.approx([stub_mse("friedman1-d5", s) for s in (10, 11, 12)])
    assert df["selection_fit"].tolist() == [True, False, False]
    # 6 selection fits on draw 10 with seed 10; trial 0 is the selection fit at 1e-3
    seeds = [(f["tv_weight"], f["random_state"]) for f in stub.fits]
    assert seeds == [(lam, 10) for lam in LAMBDA_GRID] + [(1e-3, 11), (1e-3, 12)]
    sel = load_selection(tmp_path)
    assert sel.loc[sel.selected, "lambda"].tolist() == [1e-3]
    assert "**5.10e-01**" in selection_markdown(sel)


def test_restricted_grid_and_nan_validation(tmp_path, stub, monkeypatch):
    monkeypatch.setitem(STUB_VAL, 1e-3, math.nan)  # a diverged fit must not be chosen
    run_cell(("friedman1-d5", "stub", "fourier", "smoke"), tmp_path, n_trials=1,
             lambdas=[0, 1e-3, 1e-2], verbose=False)
    df = load_results(tmp_path)
    assert df["lambda"].tolist() == [1e-2]


def test_method_without_tv_skips_selection(tmp_path, monkeypatch):
    cls = make_stub()
    monkeypatch.setitem(METHODS, "stub-rf", Method("stub-rf", cls, tunes_lambda=False))
    run_cell(Cell("polynomial-d5", "stub-rf", preset="smoke"), tmp_path, n_trials=2, verbose=False)
    assert ["tv_weight" in f for f in cls.fits] == [False, False]  # trial 0 + trial 1 only
    df = load_results(tmp_path)
    assert df["lambda"].isna().all() and len(df) == 2
    assert "| — |" in markdown_table(df, long=True)


def test_methods_sharing_an_estimator_share_fits(tmp_path, monkeypatch):
    cls = make_stub()
    val_b = {0.0: 0.1, 1e-3: 0.9}  # method b prefers lambda 0, a prefers 1e-3
    monkeypatch.setitem(METHODS, "stub-a", Method("stub-a", cls, solo_overrides={"refine_steps": 0}))
    monkeypatch.setitem(METHODS, "stub-b", Method(
        "stub-b", cls, val_mse=lambda est, X, y: val_b[est.kwargs["tv_weight"]]))
    cells = make_cells(["polynomial-d5"], ["stub-a", "stub-b"], presets=["smoke"])
    run_cells(cells, tmp_path, n_trials=3, lambdas=[0, 1e-3], verbose=False)
    # selection: one fit per lambda for both; trials 1, 2: one fit per selected lambda,
    # grouped by lambda (a GFT estimator would train each group in one batched run)
    assert [(f["tv_weight"], f["random_state"]) for f in cls.fits] == [
        (0.0, 0), (1e-3, 0), (1e-3, 1), (1e-3, 2), (0.0, 1), (0.0, 2)]
    # a fit for both (selection) is the full one; a trial fit for a alone has a's overrides
    assert [f.get("refine_steps") for f in cls.fits] == [None, None, 0, 0, None, None]
    df = load_results(tmp_path)
    assert df.groupby("method")["lambda"].first().to_dict() == {"stub-a": 1e-3, "stub-b": 0.0}
    solo = make_stub()
    monkeypatch.setitem(METHODS, "stub-a", Method("stub-a", solo, solo_overrides={"refine_steps": 0}))
    run_cells(make_cells(["polynomial-d5"], ["stub-a"], presets=["smoke"]), tmp_path / "solo",
              n_trials=1, lambdas=[0], verbose=False)
    assert solo.fits[0]["refine_steps"] == 0


def test_interrupted_sweep_resumes_without_loss_or_duplicates(tmp_path, stub):
    cells = make_cells(["friedman1-d5", "polynomial-d5"], ["stub"], presets=["smoke"])
    stub.fail_on = 2  # the fit of trial 2 of every cell raises
    res = run_cells(cells, tmp_path, n_trials=5, verbose=False)
    assert [r.status for r in res] == ["failed", "failed"]
    assert "stub failure at seed 2" in res[0].error and res[0].new_trials == 2
    assert sorted(load_results(tmp_path)["trial"]) == [0, 0, 1, 1]
    stub.fail_on, stub.fits[:] = None, []
    res = run_cells(cells, tmp_path, n_trials=5, verbose=False)
    assert [r.status for r in res] == ["done", "done"] and [r.new_trials for r in res] == [3, 3]
    assert [f["random_state"] for f in stub.fits] == [2, 3, 4, 2, 3, 4]  # no selection redone
    df = load_results(tmp_path)
    assert df.groupby("setting")["trial"].apply(sorted).to_dict() == {
        "friedman1-d5": [0, 1, 2, 3, 4], "polynomial-d5": [0, 1, 2, 3, 4]}
    assert df.loc[df.setting == "friedman1-d5", "test_mse"].tolist() == pytest.approx(
        [stub_mse("friedman1-d5", s) for s in range(5)])
    res = run_cells(cells, tmp_path, n_trials=6, verbose=False)  # more trials later: only new ones
    assert [r.new_trials for r in res] == [1, 1] and len(load_results(tmp_path)) == 12


def test_a_selection_fitted_one_after_the_other_resumes_from_its_finished_fits(tmp_path, stub):
    """Fits of a selection that run one after the other are kept as each ends: a run that
    fails at the third λ leaves the first two, a resumed run fits only the other four, and
    the record holds all six in grid order; a kept file from another seed is not reused."""
    cell = Cell("friedman1-d5", "stub", preset="smoke")
    stem = "friedman1-d5__stub__fourier__smoke"
    partial = tmp_path / f"{stem}.partial-selection.json"
    stub.fail_on_lambda = LAMBDA_GRID[2]
    res = run_cells([cell], tmp_path, n_trials=2, seed=10, verbose=False)[0]
    assert res.status == "failed" and "stub failure at lambda" in res.error
    assert not (tmp_path / f"{stem}.selection.json").exists()
    kept = json.loads(partial.read_text())
    assert [e["lambda"] for e in kept["entries"]] == list(LAMBDA_GRID[:2]) and kept["seed"] == 10
    assert all(e["commit"] == kept["entries"][0]["commit"] for e in kept["entries"])
    stub.fail_on_lambda, stub.fits[:] = None, []
    res = run_cells([cell], tmp_path, n_trials=2, seed=10, verbose=False)[0]
    assert res.status == "done" and res.selected_lambda == 1e-3
    assert [f["tv_weight"] for f in stub.fits] == list(LAMBDA_GRID[2:]) + [1e-3]  # + trial 1
    rec = json.loads((tmp_path / f"{stem}.selection.json").read_text())
    assert [e["lambda"] for e in rec["entries"]] == list(LAMBDA_GRID)
    assert [e["val_mse"] for e in rec["entries"]] == pytest.approx([STUB_VAL[lam] + 1e-2 for lam in LAMBDA_GRID])
    assert not partial.exists()
    # kept fits left beside a finished record (a run that died between writing the record and
    # removing them) are removed by the next run of the cell
    partial.write_text(json.dumps(kept))
    run_cells([cell], tmp_path, n_trials=2, seed=10, verbose=False)
    assert not partial.exists()
    # a kept file of another configuration is ignored (and replaced as the new fits end)
    other = tmp_path / "other"
    stub.fail_on_lambda, stub.fits[:] = LAMBDA_GRID[2], []
    run_cells([cell], other, n_trials=1, seed=10, verbose=False)
    stub.fail_on_lambda, stub.fits[:] = None, []
    run_cells([cell], other, n_trials=1, seed=11, verbose=False)
    assert [f["tv_weight"] for f in stub.fits] == list(LAMBDA_GRID)


def test_trial_0_from_a_kept_selection_fit_names_the_run_that_fitted_it(tmp_path, stub):
    """The selected λ's fit, kept from an interrupted run, becomes trial 0: its row names
    that run's commit and machine, as its selection entry records them; trial 1 names the
    run that fitted it."""
    cell = Cell("friedman1-d5", "stub", preset="smoke")
    partial = tmp_path / "friedman1-d5__stub__fourier__smoke.partial-selection.json"
    stub.fail_on_lambda = LAMBDA_GRID[3]  # 0, 1e-4 and 1e-3 (the one selected) are kept
    run_cells([cell], tmp_path, n_trials=2, seed=10, verbose=False)
    kept = json.loads(partial.read_text())
    assert all({"commit", "dirty", "host", "torch", "threads"} <= set(e) for e in kept["entries"])
    for e in kept["entries"]:
        e.update(host="the-other-machine", torch="0.0.0", threads=64)
    partial.write_text(json.dumps(kept))
    stub.fail_on_lambda = None
    run_cells([cell], tmp_path, n_trials=2, seed=10, verbose=False)
    rows = load_results(tmp_path).set_index("trial")
    assert rows.loc[0, "lambda"] == 1e-3 and bool(rows.loc[0, "selection_fit"])
    assert (rows.loc[0, "host"], rows.loc[0, "torch"], int(rows.loc[0, "threads"])) == ("the-other-machine", "0.0.0", 64)
    assert rows.loc[1, "host"] != "the-other-machine" and rows.loc[1, "torch"] == torch.__version__


@pytest.mark.parametrize("mode", ["raised", "caught"])
def test_ctrl_c_stops_the_run_and_records_no_partial_trial(tmp_path, stub, mode):
    setattr(stub, "interrupt_on" if mode == "raised" else "caught_interrupt_on", 3)
    with pytest.raises(KeyboardInterrupt):
        run_cell(Cell("polynomial-d5", "stub", preset="smoke"), tmp_path, n_trials=5,
                 lambdas=[0], verbose=False)
    assert sorted(load_results(tmp_path)["trial"]) == [0, 1, 2]
    stub.interrupt_on = stub.caught_interrupt_on = None
    run_cell(Cell("polynomial-d5", "stub", preset="smoke"), tmp_path, n_trials=5, lambdas=[0],
             verbose=False)
    assert sorted(load_results(tmp_path)["trial"]) == [0, 1, 2, 3, 4]


def test_a_folder_refuses_other_settings(tmp_path, stub):
    cell = Cell("polynomial-d5", "stub", preset="smoke")
    run_cell(cell, tmp_path, n_trials=1, verbose=False)
    with pytest.raises(ValueError, match="seed 0, this run asks for seed 1"):
        run_cell(cell, tmp_path, n_trials=1, seed=1, verbose=False)
    with pytest.raises(ValueError, match="grid"):
        run_cell(cell, tmp_path, n_trials=1, lambdas=[0], verbose=False)
    with pytest.raises(ValueError, match="estimator_kwargs"):
        run_cell(cell, tmp_path, n_trials=1, estimator_kwargs={"lr": 1.0}, verbose=False)


@pytest.mark.skipif(DATA is None, reason=NO_DATA_REASON)
def test_uci_cells_draw_new_shuffles(tmp_path, stub):
    run_cell(Cell("airfoil", "stub", preset="smoke"), tmp_path, n_trials=2, lambdas=[0],
             data_dir=str(DATA), verbose=False)
    df = load_results(tmp_path)
    expected = []
    for seed in (0, 1):
        X, y, Xt, yt = load_uci("airfoil", data_dir=DATA, seed=seed)
        expected.append(float(np.mean((yt - y.mean()) ** 2)))
    assert df["kind"].tolist() == ["uci", "uci"] and df["test_mse"].tolist() == pytest.approx(expected)


def test_unknown_names_list_the_valid_ones(tmp_path):
    with pytest.raises(ValueError, match=r"Unknown setting or dataset 'nope'.*friedman1-d5.*airfoil"):
        make_cells(["nope"], ["gft"])
    with pytest.raises(ValueError, match=r"Unknown method 'svm'. Must be one of \['gft', 'gft-r'"):
        make_cells(["kreuz"], ["svm"])
    with pytest.raises(ValueError, match=r"Unknown activation 'tanh'. Must be one of \['fourier'"):
        make_cells(["kreuz"], ["gft"], ["tanh"])
    with pytest.raises(ValueError, match=r"Unknown preset 'huge'. Must be one of \['smoke', 'book', 'paper'\]"):
        run_cells([("kreuz", "gft")], tmp_path, preset="huge")
    with pytest.raises(ValueError, match="lambdas must be"):
        run_cells([("kreuz", "gft")], tmp_path, lambdas=[-1])
    with pytest.raises(ValueError, match="n_trials must be an integer >= 1"):
        run_cells([("kreuz", "gft")], tmp_path, n_trials=0)
    assert make_cells([4, "telemonitoring-total"], ["gft"])[1].setting == "telemonitoring"
    assert len(make_cells(["all", "all-uci"], ["gft"])) == len(setting_names()) + len(uci_names())


# -- files: atomic writes and concurrent writers --------------------------------------------
def _append_many(path, start, stop):
    lock = store.cell_lock(path.parent, path.stem)
    for t in range(start, stop):
        store.append_rows(path, [dict(setting="s", seed=0, trial=t, test_mse=t / 7, note="a,b\n\"c\"")], lock)


def test_two_processes_appending_concurrently_keep_every_row_once(tmp_path):
    path = tmp_path / "cell.csv"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_append_many, args=(path, a, b)) for a, b in ((0, 40), (20, 60))]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    df = pd.read_csv(path)
    assert sorted(df["trial"]) == list(range(60))  # overlapping keys 20..39 written once
    assert df["test_mse"].tolist() == pytest.approx(df["trial"] / 7)
    assert (df["note"] == "a,b\n\"c\"").all()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_threads_appending_concurrently(tmp_path):
    path = tmp_path / "cell.csv"
    joblib.Parallel(n_jobs=4, backend="threading")(
        joblib.delayed(_append_many)(path, 10 * k, 10 * k + 15) for k in range(4))
    assert sorted(pd.read_csv(path)["trial"]) == list(range(45))


def test_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "cell.csv"
    lock = store.cell_lock(tmp_path, "cell")
    store.append_rows(path, [dict(seed=0, trial=0, test_mse=1.0)], lock)
    before = path.read_text()

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(store.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        store.append_rows(path, [dict(seed=0, trial=1, test_mse=2.0)], lock)
    assert path.read_text() == before and sorted(os.listdir(tmp_path)) == [".locks", "cell.csv"]


def _run_same_cell(out, q, stub):
    (res,) = run_cells([Cell("polynomial-d5", "stub", preset="smoke")], out, n_trials=4, lambdas=[0, 1e-3],
                       verbose=False)
    q.put((res.status, res.new_trials, len(stub.fits)))  # this process's own fits


def test_two_processes_on_the_same_sweep_do_not_duplicate(tmp_path, stub):
    """The cell's lock lets one process fit; the other finds it busy or done. Without the lock
    both would fit everything (the store's de-duplication would hide it in the rows)."""
    stub.sleep = 0.2
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    procs = [ctx.Process(target=_run_same_cell, args=(tmp_path, q, stub)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    (status_a, new_a, fits_a), (status_b, new_b, fits_b) = q.get(), q.get()
    assert sorted([status_a, status_b]) in (["busy", "done"], ["done", "done"])
    assert new_a + new_b == 4
    assert fits_a + fits_b == 2 + 3  # two selection fits (trial 0 is one of them), three trials
    run_cells([Cell("polynomial-d5", "stub", preset="smoke")], tmp_path, n_trials=4,
              lambdas=[0, 1e-3], verbose=False)
    assert sorted(load_results(tmp_path)["trial"]) == [0, 1, 2, 3]


def test_parallel_cells_with_a_joblib_backend(tmp_path, stub):
    cells = make_cells(["polynomial-d5", "friedman1-d5", "kreuz"], ["stub"], presets=["smoke"])
    with joblib.parallel_config(backend="threading"):
        res = run_cells(cells, tmp_path, jobs=3, n_trials=2, lambdas=[0, 1e-3], verbose=False)
    assert [r.status for r in res] == ["done"] * 3 and len(load_results(tmp_path)) == 6


# -- the machine in the provenance: the processor's model, not only its architecture --------
_CPUINFO_X86 = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC  7B13 64-Core Processor
flags\t\t: fpu vme

processor\t: 1
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Processor
"""
# Linux on many ARM machines names no model in /proc/cpuinfo
_CPUINFO_ARM = """processor\t: 0
BogoMIPS\t: 50.00
CPU implementer\t: 0x41
"""


def test_cpu_model_reads_the_first_model_name_and_collapses_its_spaces(tmp_path):
    (tmp_path / "cpuinfo").write_text(_CPUINFO_X86)
    assert store.cpu_model(tmp_path / "cpuinfo") == "AMD EPYC 7B13 64-Core Processor"


@pytest.mark.parametrize("cpuinfo", ["arm", "missing"])
@pytest.mark.parametrize("processor", ["", "arm"])
def test_cpu_model_falls_back_to_the_architecture_without_a_model_name(tmp_path, monkeypatch,
                                                                        cpuinfo, processor):
    path = tmp_path / "cpuinfo"
    if cpuinfo == "arm":
        path.write_text(_CPUINFO_ARM)
    monkeypatch.setattr(store.platform, "processor", lambda: processor)
    monkeypatch.setattr(store.platform, "machine", lambda: "aarch64")
    assert store.cpu_model(path) == (processor or "aarch64")


def _lscpu_model_name() -> str | None:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10,
                             env={**os.environ, "LC_ALL": "C"}).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    names = [line.split(":", 1)[1].strip() for line in out.splitlines()
             if line.split(":", 1)[0].strip() == "Model name"]
    return " ".join(names[0].split()) if names else None


def test_machine_provenance_names_the_processor_lscpu_names():
    """Two CPUs of one architecture time differently; ``x86_64`` alone cannot tell them apart."""
    expected = _lscpu_model_name()
    if expected is None:
        pytest.skip("lscpu reports no model name here")
    assert store.machine_provenance(torch.device("cpu"))["device_name"] == expected


def test_provenance_columns_name_this_checkout_machine_and_time():
    """What every results file records, against git and the clock read here."""
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    prov = store.provenance("python benchmarks/x.py --seeds 0")
    after = dt.datetime.now(dt.timezone.utc)
    assert list(prov) == ["command", "commit", "dirty", "host", "torch", "device", "device_name",
                          "threads", "date"]
    assert prov["command"] == "python benchmarks/x.py --seeds 0"
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(store.__file__).parent,
                          capture_output=True, text=True)
    if head.returncode == 0:
        assert prov["commit"] == head.stdout.strip() and isinstance(prov["dirty"], bool)
    assert prov["torch"] == torch.__version__ and prov["device"] == "cpu"
    assert prov["threads"] == torch.get_num_threads()
    assert before <= dt.datetime.fromisoformat(prov["date"]) <= after

# -- a real GFT run: provenance, shared fits ----------------------------------------------
def test_real_smoke_run_has_complete_provenance_and_shared_fits_match_solo(tmp_path, capsys):
    kw = dict(n_trials=2, lambdas=[0, 1e-3], device="cpu", estimator_kwargs={"generator_steps": 20})
    both = run_cells(make_cells(["friedman1-d5"], ["gft", "gft-r"], presets=["smoke"]),
                     tmp_path / "both", **kw)
    assert [r.status for r in both] == ["done", "done"]
    assert "friedman1-d5 gft-r fourier smoke: trial 2/2" in capsys.readouterr().err
    df = load_results(tmp_path / "both")
    assert set(COLUMNS) <= set(df.columns) and len(df) == 4
    prov = df[["command", "commit", "host", "torch", "device", "device_name", "date"]]
    assert prov.notna().all().all() and (prov.astype(str) != "").all().all()
    assert df["commit"].map(lambda c: c == "unknown" or re.fullmatch("[0-9a-f]{40}", c) is not None).all()
    assert df["dirty"].isin([True, False]).all()
    assert (df["torch"] == torch.__version__).all() and (df["device"] == "cpu").all()
    if (cpu := _lscpu_model_name()) is not None:
        assert (df["device_name"] == cpu).all()
    dates = [dt.datetime.fromisoformat(d) for d in df["date"]]
    assert all(d.utcoffset() == dt.timedelta(0) for d in dates)
    assert (df["n_features"] == 100).all() and np.isfinite(df["test_mse"]).all()
    assert (df["engine"] == "fused").all()  # Fourier features, gft.Generator: the fused engine
    assert (df["train_seconds"] > 0).all() and (df["wall_seconds"] >= df["train_seconds"] - 1e-9).all()
    assert df["command"].str.startswith("gft.experiments.run_cells(").all()
    solo = run_cells(make_cells(["friedman1-d5"], ["gft"], presets=["smoke"]), tmp_path / "solo",
                     verbose=False, **kw)
    assert solo[0].status == "done"
    gft_both = df[df.method == "gft"].sort_values("trial")
    gft_solo = load_results(tmp_path / "solo").sort_values("trial")
    # gft alone is fitted with refine_steps=0; its generator phase is the shared fit's
    assert gft_solo["test_mse"].tolist() == pytest.approx(gft_both["test_mse"].tolist(), rel=1e-12)
    assert gft_solo["lambda"].tolist() == gft_both["lambda"].tolist()


# -- tables ------------------------------------------------------------------------------
def _rows(**cols):
    base = dict(activation="fourier", preset="smoke", n_features=100, train_seconds=1.0)
    n = len(cols["test_mse"])
    return pd.DataFrame({**{k: [v] * n for k, v in base.items()}, **cols})


def test_summary_table_means_and_sample_std():
    df = _rows(setting=["kreuz"] * 3 + ["polynomial-d5"] * 2,
               method=["gft-r", "gft-r", "gft-r", "gft", "gft"],
               **{"lambda": [1e-3] * 3 + [0.0] * 2}, test_mse=[1.0, 2.0, 4.0, 0.5, 0.5])
    table = summary_table(df)
    assert table["setting"].tolist() == ["polynomial-d5", "kreuz"]  # setting id order: 0, then 6
    assert table["trials"].tolist() == [2, 3]
    assert table["test_mse_mean"].tolist() == pytest.approx([0.5, 7 / 3])
    assert table["test_mse_std"].tolist() == pytest.approx([0.0, np.std([1.0, 2.0, 4.0], ddof=1)])


def test_summary_table_counts_failed_trials_and_averages_the_finite_ones():
    """NaN and infinite test MSEs (diverged fits) are counted in ``failed``, not in ``trials``
    nor in the statistics: an inf would make the mean inf, a NaN would vanish from it."""
    df = _rows(setting=["kreuz"] * 4 + ["airfoil"], method=["gft"] * 5,
               **{"lambda": [0.0] * 5}, test_mse=[1.0, np.inf, 3.0, np.nan, np.nan])
    table = summary_table(df).set_index("setting")
    assert table.loc["kreuz", ["trials", "failed"]].tolist() == [2, 2]
    assert table.loc["kreuz", "test_mse_mean"] == pytest.approx(2.0)
    assert table.loc["kreuz", "test_mse_std"] == pytest.approx(np.sqrt(2.0))
    assert table.loc["airfoil", ["trials", "failed"]].tolist() == [0, 1]
    assert np.isnan(table.loc["airfoil", "test_mse_mean"])
    assert markdown_table(df) == (
        "| setting | gft |\n"
        "|:---|---:|\n"
        "| kreuz | 2.00e+00 ± 1.4e+00 (n=2, 2 failed) |\n"
        "| airfoil | — (n=0, 1 failed) |\n"
    )
    long = markdown_table(df, long=True).splitlines()
    assert long[2] == "| kreuz | gft | fourier | smoke | 100 | 0 | 2 (2 failed) | 2.00e+00 ± 1.4e+00 | 1 |"


def test_markdown_table_wide_and_long():
    df = _rows(setting=["kreuz", "kreuz", "kreuz", "airfoil"], method=["gft", "gft", "gft-r", "gft"],
               **{"lambda": [0.0, 0.0, 1e-3, 0.1]}, test_mse=[1.0, 3.0, 0.25, 2.0])
    assert markdown_table(df) == (
        "| setting | gft | gft-r |\n"
        "|:---|---:|---:|\n"
        "| kreuz | 2.00e+00 ± 1.4e+00 | 2.50e-01 (n=1) |\n"
        "| airfoil | 2.00e+00 (n=1) | — |\n"
    )
    long = markdown_table(df, long=True).splitlines()
    assert long[0] == ("| setting | method | activation | preset | N | λ | trials | "
                       "test MSE (mean ± std) | train s |")
    assert long[2] == "| kreuz | gft | fourier | smoke | 100 | 0 | 2 | 2.00e+00 ± 1.4e+00 | 1 |"
    assert markdown_table(df.iloc[:0]) == "(no results)\n"


def test_load_results_of_an_empty_folder(tmp_path):
    assert list(load_results(tmp_path).columns) == list(COLUMNS)
    with pytest.raises(ValueError, match="does not exist"):
        load_results(tmp_path / "missing")


def test_gft_cells_train_in_batched_runs_that_equal_separate_fits(tmp_path):
    """Selection over two λ and the trials of gft-r run batched; each row is the separate fit's score."""
    from gft import GFTRegressor
    from gft.experiments.cells import load_cell_data

    run_cell(Cell("friedman1-d5", "gft-r", preset="smoke"), tmp_path, n_trials=3, lambdas=[0, 1e-2],
             verbose=False)
    df = load_results(tmp_path).sort_values("trial")
    lam = float(df["lambda"].iloc[0])
    for t, row in zip(df["trial"], df.itertuples()):
        X, y, X_test, y_test = load_cell_data("friedman1-d5", t)
        est = GFTRegressor.from_preset("smoke", tv_weight=lam, random_state=t, progress=False).fit(X, y)
        assert row.test_mse == pytest.approx(np.mean((est.predict(X_test) - y_test) ** 2), rel=1e-6)
        assert row.engine == "fused"
    # the selection: each λ's validation MSE is its own fit's (GFT-r's: the refinement's), on
    # trial 0's data with the cell's seed, and the chosen λ is their argmin
    selection = json.loads((tmp_path / "friedman1-d5__gft-r__fourier__smoke.selection.json").read_text())
    X, y, _, _ = load_cell_data("friedman1-d5", 0)
    scores = [GFTRegressor.from_preset("smoke", tv_weight=e["lambda"], random_state=selection["seed"],
                                       progress=False).fit(X, y).refine_val_mse_ for e in selection["entries"]]
    assert [e["lambda"] for e in selection["entries"]] == [0, 1e-2]
    np.testing.assert_allclose([e["val_mse"] for e in selection["entries"]], scores, rtol=1e-6)
    assert selection["selected_lambda"] == lam == selection["entries"][int(np.argmin(scores))]["lambda"]
