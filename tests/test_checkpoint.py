"""A training run that stops part-way (a batched GFT run, or one fit of any estimator) goes on from its checkpoint file and ends as if it had not stopped."""

import json
import os
import time
import warnings

import numpy as np
import pytest
import torch

import gft.baselines.nn
import gft.baselines.varpro
from gft import GFTRegressor, GFTRegressorCV, fit_batched
from gft._checkpoint import RunCheckpoint, read_summary
from gft.baselines import NNRegressor, VarProRegressor
from gft.experiments import Cell, load_results, run_cells

#: 60 generator and 40 refinement steps, validated every 10: saves at steps 10, 20, ... of each phase.
BUDGET = dict(n_features=12, hidden=(16, 16), generator_steps=60, refine_steps=40, lr=3e-3, refine_lr=1e-2,
              lr_schedule="cosine", n_tv_points=32, val_every=10, n_val_draws=2, progress=False)


class Stop(Exception):
    """Stands for the process being killed."""


def _data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(120, 3))
    return X, np.sin(2 * np.pi * X[:, 0]) + X[:, 1] ** 2 + 0.05 * rng.standard_normal(120)


def _members(activation, callback=None, seeds=(3, 4)):
    return [GFTRegressor(tv_weight=w, random_state=s, activation=activation, callback=callback, **BUDGET)
            for w, s in zip((0.0, 1e-2), seeds)]


def _stop_after(n_steps):
    """A callback that raises at the ``n_steps``-th training step of the run (both phases counted)."""
    calls = [0]

    def callback(step, loss):
        calls[0] += 1
        if calls[0] == n_steps:
            raise Stop

    return callback


def _ctrl_c_at(step):
    """A callback that raises ``KeyboardInterrupt`` (Ctrl-C) at training step ``step`` of a phase."""
    def callback(at, loss):
        if at == step:
            raise KeyboardInterrupt

    return callback


def _assert_same_fits(expected, got):
    for a, b in zip(expected, got):
        np.testing.assert_array_equal(a.features_, b.features_)
        np.testing.assert_array_equal(a.coef_, b.coef_)
        assert a.history_.keys() == b.history_.keys()
        for phase in a.history_:
            np.testing.assert_array_equal(a.history_[phase].train_loss, b.history_[phase].train_loss)
            np.testing.assert_array_equal(a.history_[phase].val_mse, b.history_[phase].val_mse)
            assert a.history_[phase].best_step == b.history_[phase].best_step


@pytest.mark.parametrize("activation", ["fourier", "sigmoid"])  # the fused engine and autograd
def test_a_stopped_batched_run_goes_on_from_its_last_save_bit_for_bit(tmp_path, activation):
    """Stopped in the generator phase (step 25: last save at 20), in the refinement (step 15:
    the generator phase restored whole, the refinement from step 10), before either phase's
    first interval (step 5: the save at step 0, whose validation is not repeated), and twice
    in a row, a run given the checkpoint ends with the features, output weights and
    histories of a run that never stopped, records where each phase resumed, and removes
    the file."""
    X, y = _data()
    path = tmp_path / "run.pt"
    expected = fit_batched(_members(activation), X, y)
    for stops, resumed in (([25], {"generator": 20, "refine": 0}),
                           ([60 + 15], {"generator": 60, "refine": 10}),
                           ([5], {"generator": 0, "refine": 0}),
                           ([60 + 5], {"generator": 60, "refine": 0}),
                           ([35, 60 + 35 - 30], {"generator": 60, "refine": 30})):
        for stop in stops:  # the second stop counts the steps of the resumed run
            with pytest.raises(Stop):
                fit_batched(_members(activation, _stop_after(stop)), X, y, checkpoint=path, checkpoint_every=0)
            assert path.exists()
        got = fit_batched(_members(activation), X, y, checkpoint=path, checkpoint_every=0)
        _assert_same_fits(expected, got)
        assert {p: h.resumed_step for p, h in got[0].history_.items()} == resumed
        assert got[0].history_["generator"].resumed_seconds > 0  # every case resumed it
        assert not path.exists()


def test_a_checkpoint_of_another_run_is_ignored_with_a_warning(tmp_path):
    X, y = _data()
    path = tmp_path / "run.pt"
    with pytest.raises(Stop):
        fit_batched(_members("fourier", _stop_after(30)), X, y, checkpoint=path, checkpoint_every=0)
    expected = fit_batched(_members("fourier", seeds=(5, 6)), X, y)
    with pytest.warns(RuntimeWarning, match="written for another run"):
        got = fit_batched(_members("fourier", seeds=(5, 6)), X, y, checkpoint=path, checkpoint_every=0)
    _assert_same_fits(expected, got)
    assert all(h.resumed_step == 0 for h in got[0].history_.values())
    # other data, same estimators: ignored too
    with pytest.raises(Stop):
        fit_batched(_members("fourier", _stop_after(30)), X, y, checkpoint=path, checkpoint_every=0)
    with pytest.warns(RuntimeWarning, match="written for another run"):
        fit_batched(_members("fourier"), *_data(seed=1), checkpoint=path, checkpoint_every=0)
    # y times a constant: the same scaled data, but the member with λ > 0 trains with λ / 2
    with pytest.raises(Stop):
        fit_batched(_members("fourier", _stop_after(30)), X, y, checkpoint=path, checkpoint_every=0)
    with pytest.warns(RuntimeWarning, match="written for another run"):
        got = fit_batched(_members("fourier"), X, 2 * y, checkpoint=path, checkpoint_every=0)
    assert all(h.resumed_step == 0 for h in got[0].history_.values())
    path.write_bytes(b"not a checkpoint")
    with pytest.warns(RuntimeWarning, match="could not be read"):
        fit_batched(_members("fourier"), X, y, checkpoint=path, checkpoint_every=0)


def test_saves_wait_every_seconds_but_a_finished_phase_is_saved_at_once(tmp_path):
    X, y = _data()
    path = tmp_path / "run.pt"
    with pytest.raises(Stop):  # stopped in the refinement, with no periodic save in either phase
        fit_batched(_members("fourier", _stop_after(60 + 35)), X, y, checkpoint=path, checkpoint_every=3600)
    phases = torch.load(path, weights_only=True)["phases"]
    assert set(phases) == {"GFT generator"}
    assert phases["GFT generator"]["done"] and phases["GFT generator"]["step"] == 60


def test_ctrl_c_keeps_the_file_and_a_rerun_goes_on_from_its_last_save(tmp_path):
    """Ctrl-C ends the run with each member's best iterate (a warning) but keeps the
    checkpoint; the next run goes on from the save before the interrupt (step 30)."""
    X, y = _data()
    path = tmp_path / "run.pt"
    calls = [0]

    def ctrl_c(step, loss):
        calls[0] += 1
        if calls[0] == 35:
            raise KeyboardInterrupt

    with pytest.warns(RuntimeWarning, match="interrupted at step 34"):
        stopped = fit_batched(_members("fourier", ctrl_c), X, y, checkpoint=path, checkpoint_every=0)
    assert stopped[0].history_["generator"].interrupted and path.exists()
    got = fit_batched(_members("fourier"), X, y, checkpoint=path, checkpoint_every=0)
    _assert_same_fits(fit_batched(_members("fourier"), X, y), got)
    assert got[0].history_["generator"].resumed_step == 30 and not path.exists()


def _phases(est):
    return est.history_ if isinstance(est.history_, dict) else {"fit": est.history_}


#: One estimator of each kind that trains iteratively, for 60 steps (GFT: 60 + 40), validated
#: every 10; ``stop_at`` steps into its run, the ``callback`` stops it.
SINGLE = {
    "GFTRegressor": lambda callback: GFTRegressor(tv_weight=1e-2, random_state=3, callback=callback, **BUDGET),
    "NNRegressor": lambda callback: NNRegressor(steps=60, val_every=10, tv_weight=1e-2, n_features=12,
                                                n_tv_points=32, random_state=3, progress=False),
    "VarProRegressor": lambda callback: VarProRegressor(steps=60, val_every=10, n_features=12, random_state=3,
                                                        progress=False),
}


def _with_callback(monkeypatch, module, callback):
    """The baselines take no callback: hand one to their training loop (stands for the kill)."""
    optimise = module.optimise_keeping_best
    monkeypatch.setattr(module, "optimise_keeping_best",
                        lambda *a, **kw: optimise(*a, **{**kw, "callback": callback}))


@pytest.mark.parametrize("kind", list(SINGLE))
def test_a_stopped_single_fit_goes_on_from_its_last_save_bit_for_bit(tmp_path, monkeypatch, kind):
    """``fit(checkpoint=)`` of one estimator: stopped at step 25 (its last save at 20), a fit
    given the file ends with the features, output weights and history of a fit that never
    stopped (the file then removed); likewise stopped at step 5, before the first interval
    (the save at step 0: its validation is not repeated); the GFT fit also stopped in its
    refinement."""
    X, y = _data()
    path = tmp_path / "fit.pt"
    expected = SINGLE[kind](None).fit(X, y)
    cases = [(25, {"fit": 20} if kind != "GFTRegressor" else {"generator": 20, "refine": 0})]
    cases.append((5, {"fit": 0} if kind != "GFTRegressor" else {"generator": 0, "refine": 0}))
    if kind == "GFTRegressor":
        cases += [(60 + 15, {"generator": 60, "refine": 10}), (60 + 5, {"generator": 60, "refine": 0})]
    for stop, resumed in cases:
        est = SINGLE[kind](_stop_after(stop))
        if kind != "GFTRegressor":
            _with_callback(monkeypatch, {"NNRegressor": gft.baselines.nn, "VarProRegressor": gft.baselines.varpro}[kind],
                           _stop_after(stop))
        with pytest.raises(Stop):
            est.fit(X, y, checkpoint=path, checkpoint_every=0)
        assert path.exists()
        monkeypatch.undo()
        got = SINGLE[kind](None).fit(X, y, checkpoint=path, checkpoint_every=0)
        np.testing.assert_array_equal(expected.features_, got.features_)
        np.testing.assert_array_equal(expected.coef_, got.coef_)
        for phase, h in _phases(expected).items():
            g = _phases(got)[phase]
            np.testing.assert_array_equal(h.train_loss, g.train_loss)
            np.testing.assert_array_equal(h.val_mse, g.val_mse)
            assert h.best_step == g.best_step
        assert {p: h.resumed_step for p, h in _phases(got).items()} == resumed
        assert not path.exists()


def test_a_fit_from_other_initial_features_does_not_resume_and_a_fresh_random_state_does(tmp_path, monkeypatch):
    """The key holds every value of an array parameter: VarPro stopped from 600 initial
    features is not resumed by a fit whose features differ in row 300 only (NumPy's repr,
    which the key once held, elides the middle of an array this large). A
    ``np.random.RandomState(0)`` made afresh for the rerun resumes as the int 0 does (its
    repr holds an address)."""
    X, y = _data()
    path = tmp_path / "fit.pt"
    W0 = np.random.default_rng(1).standard_normal((600, 3))
    W1 = W0.copy()
    W1[300] += 1.0

    def varpro(W, random_state=3):
        return VarProRegressor(steps=40, val_every=10, n_features=600, init_features=W,
                               random_state=random_state, progress=False)

    _with_callback(monkeypatch, gft.baselines.varpro, _stop_after(25))
    with pytest.raises(Stop):
        varpro(W0).fit(X, y, checkpoint=path, checkpoint_every=0)
    monkeypatch.undo()
    with pytest.warns(RuntimeWarning, match="written for another run"):
        got = varpro(W1).fit(X, y, checkpoint=path, checkpoint_every=0)
    assert got.history_.resumed_step == 0
    np.testing.assert_array_equal(got.features_, varpro(W1).fit(X, y).features_)

    _with_callback(monkeypatch, gft.baselines.varpro, _stop_after(25))
    with pytest.raises(Stop):
        varpro(W0, np.random.RandomState(0)).fit(X, y, checkpoint=path, checkpoint_every=0)
    monkeypatch.undo()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = varpro(W0, np.random.RandomState(0)).fit(X, y, checkpoint=path, checkpoint_every=0)
    assert got.history_.resumed_step == 20
    np.testing.assert_array_equal(got.features_, varpro(W0, np.random.RandomState(0)).fit(X, y).features_)


def test_a_checkpoint_in_a_missing_folder_fails_before_training_and_a_failed_save_only_warns(tmp_path, monkeypatch):
    """The folder is checked when the fit starts (its first save would come after the
    training); a save that fails (a full disk) warns, and the fit ends as one without a file."""
    X, y = _data()
    calls = []
    missing = tmp_path / "no such folder" / "fit.pt"
    with pytest.raises(FileNotFoundError, match="its folder .*no such folder' does not exist"):
        GFTRegressor(random_state=3, callback=_counting(calls), **BUDGET).fit(X, y, checkpoint=missing)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        fit_batched(_members("fourier"), X, y, checkpoint=missing)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        _cv(cv=None).fit(X, y, checkpoint=missing)
    assert calls == []

    def disk_full(path, write, binary=False):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(gft._checkpoint, "replace_atomically", disk_full)
    path = tmp_path / "fit.pt"
    with pytest.warns(RuntimeWarning, match="could not be written .*No space left on device"):
        got = GFTRegressor(random_state=3, **BUDGET).fit(X, y, checkpoint=path, checkpoint_every=0)
    _assert_same_fits([GFTRegressor(random_state=3, **BUDGET).fit(X, y)], [got])
    assert not path.exists()


def test_a_single_fits_checkpoint_is_not_a_batched_runs(tmp_path):
    """The two save their phases differently: a file of a one-member batched run is ignored
    by a single fit of the same estimator (a warning), and the other way round."""
    X, y = _data()
    path = tmp_path / "run.pt"
    with pytest.raises(Stop):
        fit_batched([SINGLE["GFTRegressor"](_stop_after(25))], X, y, checkpoint=path, checkpoint_every=0)
    with pytest.warns(RuntimeWarning, match="written for another run"):
        SINGLE["GFTRegressor"](None).fit(X, y, checkpoint=path, checkpoint_every=0)
    with pytest.raises(Stop):
        SINGLE["GFTRegressor"](_stop_after(25)).fit(X, y, checkpoint=path, checkpoint_every=0)
    with pytest.warns(RuntimeWarning, match="written for another run"):
        fit_batched([SINGLE["GFTRegressor"](None)], X, y, checkpoint=path, checkpoint_every=0)


@pytest.mark.parametrize("method, kill_after, resumed_at", [("gft-r", 3, 20), ("nn", 2, 5)])
def test_the_protocol_resumes_a_stopped_selection_fit(tmp_path, monkeypatch, method, kill_after, resumed_at):
    """A selection (smoke preset, λ in {0, 1e-3}) killed after its ``kill_after``-th save, in
    its first run (GFT's one batched run of both λ; the network's λ = 0 fit), goes on from
    ``<cell>.partial-run.pt``: the selection and the trial rows equal those of a run never
    stopped, up to the times, and the ``fitted`` record names the step the run resumed at."""
    cell, grid = Cell("polynomial-d5", method, preset="smoke"), [0.0, 1e-3]
    assert run_cells([cell], tmp_path / "clean", n_trials=2, verbose=False, lambdas=grid)[0].status == "done"
    save, saves = RunCheckpoint.save, [0]

    def save_then_die(self, name, state):
        save(self, name, state)
        saves[0] += 1
        if saves[0] == kill_after:
            raise Stop

    monkeypatch.setattr(RunCheckpoint, "due", lambda self: True)
    monkeypatch.setattr(RunCheckpoint, "save", save_then_die)
    out = tmp_path / "stopped"
    with pytest.raises(Stop):
        run_cells([cell], out, n_trials=2, verbose=False, errors="raise", lambdas=grid)
    stem = f"polynomial-d5__{method}__fourier__smoke"
    assert (out / f"{stem}.partial-run.pt").exists() and not (out / f"{stem}.selection.json").exists()
    # the plain summary beside the checkpoint says what the checkpoint holds
    kept = torch.load(out / f"{stem}.partial-run.pt", map_location="cpu", weights_only=True)["phases"]
    summary = read_summary(out / f"{stem}.partial-run.pt.json")["phases"]
    assert list(summary) == list(kept) and kept
    for name, phase in kept.items():
        assert summary[name] == dict(done=bool(phase["done"]), step=int(phase["step"]), seconds=float(phase["seconds"]))
    monkeypatch.setattr(RunCheckpoint, "save", save)
    assert run_cells([cell], out, n_trials=2, verbose=False, lambdas=grid)[0].status == "done"
    assert not (out / f"{stem}.partial-run.pt").exists()
    assert not (out / f"{stem}.partial-run.pt.json").exists()
    a, b = (json.loads((folder / f"{stem}.selection.json").read_text()) for folder in (tmp_path / "clean", out))
    assert [e["val_mse"] for e in a["entries"]] == [e["val_mse"] for e in b["entries"]]
    rows_a, rows_b = load_results(tmp_path / "clean"), load_results(out)
    assert rows_a["test_mse"].tolist() == rows_b["test_mse"].tolist()
    phase = "generator" if method == "gft-r" else "fit"
    resumed = [json.loads(e["fitted"]).get(f"{phase}_resumed_step") for e in b["entries"]]
    assert resumed[0] == resumed_at  # the last save: validations every 10 (GFT) and 5 (NN) steps
    assert all(f"{phase}_resumed_step" not in json.loads(e["fitted"]) for e in a["entries"])


def _cv(callback=None, cv=2, random_state=3):
    return GFTRegressorCV(tv_weights=(0.0, 1e-2), cv=cv, random_state=random_state, callback=callback, **BUDGET)


def _counting(calls):
    def callback(step, loss):
        calls.append(step)
    return callback


def _kept_seconds(path):
    """The wall time a stopped run had spent up to its saves, read from its file (0: no file)."""
    if not path.exists():
        return 0.0
    return sum(float(state["seconds"]) for state in torch.load(path, weights_only=True)["phases"].values())


def _assert_same_cv(expected, got):
    assert (got.tv_weight_, got.generator_tv_weight_) == (expected.tv_weight_, expected.generator_tv_weight_)
    for k, v in expected.cv_results_.items():
        if k != "mean_fit_seconds":
            np.testing.assert_array_equal(v, got.cv_results_[k], err_msg=k)
    _assert_same_fits([expected.best_estimator_, expected.generator_estimator_],
                      [got.best_estimator_, got.generator_estimator_])


def test_a_stopped_cv_fit_goes_on_from_its_last_save_and_keeps_a_finished_search(tmp_path):
    """``GFTRegressorCV(cv=2).fit(checkpoint=)``: stopped in its search (step 25 of the batched
    run, last save 20), the rerun goes on from step 20; stopped in its refit (15 steps after
    the search's 100), the rerun restores the finished search without training a step of it
    and goes on with the refit from its step 10. Both end as a fit that never stopped, count
    the stopped run's time up to its saves in ``fit_seconds_``, and remove both files."""
    X, y = _data()
    path = tmp_path / "cv.pt"
    refit_path = tmp_path / "cv.pt.refit"
    expected = _cv().fit(X, y)
    for stop, stopped_files, steps_left in ((25, [path], 100 - 20 + 100), (100 + 15, [path, refit_path], 100 - 10)):
        with pytest.raises(Stop):
            _cv(_stop_after(stop)).fit(X, y, checkpoint=path, checkpoint_every=0)
        assert [p for p in (path, refit_path) if p.exists()] == stopped_files
        kept = {"search": _kept_seconds(path), "refit": _kept_seconds(refit_path)}
        calls = []
        start = time.perf_counter()
        got = _cv(_counting(calls)).fit(X, y, checkpoint=path, checkpoint_every=0)
        wall = time.perf_counter() - start
        assert len(calls) == steps_left  # a whole search again would be 100 more
        _assert_same_cv(expected, got)
        for part, seconds in kept.items():  # the earlier time, plus some of this call's
            assert seconds <= got.fit_seconds_[part] <= seconds + wall, (part, seconds, got.fit_seconds_)
        assert kept["search"] > 0 and not path.exists() and not refit_path.exists()


def test_ctrl_c_in_a_cv_search_stops_the_fit_and_keeps_its_file(tmp_path):
    """Ctrl-C in the search of a CV with folds does not go on to refit from unfinished
    candidates: it stops the fit (KeyboardInterrupt) and keeps the file, from which a rerun
    goes on (step 30) and ends as a fit that never stopped. Before the first save there is no
    file, and the message does not promise one. With ``cv=None`` the candidates are the final
    models: they are kept, marked interrupted, as GFTRegressor keeps its fit."""
    X, y = _data()
    path = tmp_path / "cv.pt"
    ctrl_c = _ctrl_c_at(34)
    with warnings.catch_warnings():
        # the loop's "keeping each member's best iterate" would mislead: the fit ends here
        warnings.simplefilter("error")
        with pytest.raises(KeyboardInterrupt, match=r"search was interrupted in its generator phase at step 34$"):
            _cv(ctrl_c).fit(X, y, checkpoint=path, checkpoint_every=3600)
        assert not path.exists()
        with pytest.raises(KeyboardInterrupt, match=f"interrupted in its generator phase at step 34; "
                                                    f"a rerun goes on from {path}$"):
            _cv(ctrl_c).fit(X, y, checkpoint=path, checkpoint_every=0)
    assert path.exists()
    calls = []
    _assert_same_cv(_cv().fit(X, y), _cv(_counting(calls)).fit(X, y, checkpoint=path, checkpoint_every=0))
    assert len(calls) == 100 - 30 + 100 and not path.exists()
    with pytest.warns(gft.TrainingInterruptedWarning, match="interrupted at step 34"):
        stopped = _cv(ctrl_c, cv=None).fit(X, y, checkpoint=path, checkpoint_every=0)
    assert stopped.best_estimator_.history_["generator"].interrupted and path.exists()
    calls = []
    _assert_same_cv(_cv(cv=None).fit(X, y), _cv(_counting(calls), cv=None).fit(X, y, checkpoint=path, checkpoint_every=0))
    assert len(calls) == 100 - 30 and not path.exists()


def test_ctrl_c_in_the_generator_phase_of_a_cv_none_fit_chooses_by_the_generators_scores():
    """With ``cv=None`` the candidates stopped before their refinement are their generators'
    models (GFT, not GFT-r), and GFT-r's choice is made on those models' validation MSE: λ = 1,
    which stops training, listed first, is not chosen by order (its refine score was inf like
    every other's)."""
    X, y = _data()
    ctrl_c = _ctrl_c_at(34)
    with pytest.warns(gft.TrainingInterruptedWarning):
        stopped = GFTRegressorCV(tv_weights=(1.0, 0.0), cv=None, random_state=3, callback=ctrl_c,
                                 **BUDGET).fit(X, y)
    assert "refine" not in stopped.best_estimator_.history_
    results = stopped.cv_results_
    np.testing.assert_array_equal(results["mean_val_mse_refine"], results["mean_val_mse_generator"])
    assert results["mean_val_mse_generator"][1] < results["mean_val_mse_generator"][0]
    assert stopped.tv_weight_ == stopped.generator_tv_weight_ == 0.0
    np.testing.assert_array_equal(stopped.predict(X), stopped.generator_estimator_.predict(X))


def test_ctrl_c_before_the_first_save_promises_no_rerun_from_another_runs_file(tmp_path):
    """A file at the path from before the fit (not this run's: ignored with a warning) is
    still there when Ctrl-C stops the search before its first save: the message must not
    say that a rerun goes on from it."""
    X, y = _data()
    path = tmp_path / "cv.pt"
    path.write_bytes(b"not a checkpoint")
    old = time.time() - 60
    os.utime(path, (old, old))
    ctrl_c = _ctrl_c_at(34)
    with pytest.warns(RuntimeWarning, match="could not be read"):
        with pytest.raises(KeyboardInterrupt, match=r"search was interrupted in its generator phase at step 34$"):
            _cv(ctrl_c).fit(X, y, checkpoint=path, checkpoint_every=3600)
    assert path.read_bytes() == b"not a checkpoint"


def test_a_cv_fit_that_ends_removes_a_stale_refit_file(tmp_path):
    """``<checkpoint>.refit`` of an earlier fit with folds goes when a ``cv=None`` fit on the
    same path ends: no file outlives a fit that ended."""
    X, y = _data()
    stale = tmp_path / "cv.pt.refit"
    stale.write_bytes(b"an earlier fit's refit")
    _cv(cv=None).fit(X, y, checkpoint=tmp_path / "cv.pt")
    assert list(tmp_path.iterdir()) == []


def test_a_checkpoint_without_a_seed_warns_that_it_cannot_resume(tmp_path):
    """With ``random_state=None`` every fit draws another seed, so its file can never be gone on
    from: each way to fit with a checkpoint says so."""
    X, y = _data()
    match = "random_state=None: each fit draws a new seed"
    with pytest.warns(UserWarning, match=match):
        GFTRegressor(**{**BUDGET, "generator_steps": 10, "refine_steps": 0}).fit(X, y, checkpoint=tmp_path / "a.pt")
    with pytest.warns(UserWarning, match=match):
        fit_batched([GFTRegressor(**{**BUDGET, "generator_steps": 10, "refine_steps": 0})], X, y,
                    checkpoint=tmp_path / "b.pt")
    with pytest.warns(UserWarning, match=match):
        _cv(cv=None, random_state=None).set_params(generator_steps=10, refine_steps=0).fit(
            X, y, checkpoint=tmp_path / "c.pt")
