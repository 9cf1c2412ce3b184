"""Tests of the command line ``python -m gft``: help, run, table, name errors, the bench hook."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import intra_op_threads
from gft import cli
from gft.experiments import METHODS, Method, load_results
from gft.experiments.plan import plan_progress, progress_by_block, reference_progress
from gft.experiments.store import code_provenance

REPO = Path(__file__).resolve().parents[1]


def _env():
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    return env


@pytest.mark.parametrize("argv, expected", [
    ([], ["run", "table", "python -m gft run --setting friedman1-d5"]),
    (["run"], ["--setting", "--dataset", "--method", "--trials", "--seed", "--lambdas", "--device",
               "--jobs", "--data-dir", "--out", "friedman1-d5", "airfoil", "sparse-rf", "resumes",
               "--dataset airfoil --method gft gft-r"]),
    (["table"], ["--long", "--selection", "python -m gft table results/ --long"]),
])
def test_help_documents_every_option_with_examples(argv, expected, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*argv, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for word in expected:
        assert word in text, word


@pytest.mark.parametrize("argv, message", [
    (["run", "--setting", "nope", "--out", "x"], r"Unknown setting or dataset 'nope'. Must be one of the settings \['polynomial-d5'"),
    (["run", "--dataset", "iris", "--out", "x"], r"datasets \['airfoil', 'ccpp', 'galaxy'"),
    (["run", "--setting", "kreuz", "--method", "svm", "--out", "x"], r"Unknown method 'svm'. Must be one of \['gft', 'gft-r', 'nn', 'rff', 'sparse-rf', 'varpro'\]"),
    (["run", "--setting", "kreuz", "--activation", "tanh", "--out", "x"], r"Unknown activation 'tanh'"),
    (["run", "--setting", "kreuz", "--preset", "huge", "--out", "x"], r"Must be one of \['smoke', 'book', 'paper'\]"),
    (["run", "--out", "x"], r"give at least one --setting or --dataset"),
])
def test_unknown_names_exit_2_with_the_valid_list(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert not (tmp_path / "x").exists()


def _results(folder: Path) -> None:
    rows = []
    for setting, method, mses in [("friedman1-d5", "gft", [0.1, 0.3]), ("friedman1-d5", "gft-r", [0.01, 0.03]),
                                  ("kreuz", "gft-r", [2.0])]:
        for trial, mse in enumerate(mses):
            rows.append(dict(setting=setting, kind="synthetic", method=method, activation="fourier",
                             preset="book", n_features=100, seed=0, trial=trial, data_seed=trial,
                             **{"lambda": 1e-3}, test_mse=mse, val_mse=mse, train_seconds=2.0))
    folder.mkdir()
    pd.DataFrame(rows[:4]).to_csv(folder / "a.csv", index=False)
    pd.DataFrame(rows[4:]).to_csv(folder / "b.csv", index=False)


def test_table_prints_markdown(tmp_path, capsys):
    _results(tmp_path / "res")
    assert cli.main(["table", str(tmp_path / "res")]) == 0
    assert capsys.readouterr().out == (
        "| setting | gft | gft-r |\n"
        "|:---|---:|---:|\n"
        "| friedman1-d5 | 2.00e-01 ± 1.4e-01 | 2.00e-02 ± 1.4e-02 |\n"
        "| kreuz | — | 2.00e+00 (n=1) |\n"
    )
    assert cli.main(["table", str(tmp_path / "res"), "--long", "--digits", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "| friedman1-d5 | gft | fourier | book | 100 | 0.001 | 2 | 2.0e-01 ± 1.4e-01 | 2 |"
    assert len(lines) == 5
    assert cli.main(["table", str(tmp_path / "missing")]) == 2
    # with --traceback the same error propagates instead of the one-line message (exit 2)
    with pytest.raises(ValueError, match="does not exist"):
        cli.main(["--traceback", "table", str(tmp_path / "missing")])


class Mean:
    """A stand-in method for the runner: predicts the training mean; its validation MSE is λ."""

    def __init__(self, **kw):
        self.kw = kw

    @classmethod
    def from_preset(cls, preset, **kw):
        return cls(**kw)

    def fit(self, X, y):
        self.mean_, self.val_mse_ = y.mean(), float(self.kw.get("tv_weight", 0.0))
        return self

    def predict(self, X):
        return X[:, 0] * 0 + self.mean_


def test_run_and_resume_in_process(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(METHODS, "mean", Method("mean", Mean))
    argv = ["run", "--setting", "kreuz", "polynomial-d5", "--method", "mean", "--preset", "smoke",
            "--trials", "3", "--lambdas", "0.1", "0.01", "--seed", "4", "--out", str(tmp_path)]
    assert cli.main(argv) == 0
    err = capsys.readouterr().err
    assert "kreuz mean fourier smoke: selected lambda=0.01" in err and "6 new trials" in err
    # a line before each run of fits, which can last hours at the paper preset
    assert "kreuz mean fourier smoke: selecting lambda among 0.1, 0.01: 2 fits, one after the other, started" in err
    assert "kreuz mean fourier smoke: trial 2 at lambda=0.01: 1 fit, started" in err
    df = load_results(tmp_path)
    assert len(df) == 6 and (df["lambda"] == 0.01).all() and (df["seed"] == 4).all()
    assert (df["command"] == "python -m gft " + " ".join(argv)).all()
    assert cli.main([*argv, "--quiet"]) == 0 and capsys.readouterr().err == ""
    assert len(load_results(tmp_path)) == 6  # nothing redone
    assert cli.main([*argv[:-2], "--seed", "5", "--out", str(tmp_path)]) == 2
    assert "seed 4, this run asks for seed 5" in capsys.readouterr().err


def test_bench_prints_fit_timings_floor_and_ceiling_against_their_targets_and_its_provenance(capsys):
    # a short run: the per-step differences are noisy here (the real bench uses 40 and 240
    # steps, five repeats), so only the relations between the printed numbers are checked
    result = cli_bench_main(["--skip-accuracy", "--repeats", "1", "--short", "2", "--long", "12"])
    out = capsys.readouterr().out
    floor = result["floor"]
    assert floor["n_mm"] == 6 and floor["floor"] == pytest.approx(6 * floor["mm"] + floor["adam"])
    for tv in (0.0, 1e-3):
        r = result[tv]
        assert np.isfinite([r["reference"], r["gft"]]).all()
        assert r["ratio"] == pytest.approx(r["reference"] / r["gft"])
        assert r["ceiling"] == pytest.approx(r["reference"] / r["floor"])  # the floor timed in that repeat
    assert "| 0 |" in out and "| 0.001 |" in out and "2.5x" in out and "4x" in out
    assert "GFLOP/s" in out and "ceiling" in out
    # the output is a results file: options (defaults too), commit, date and load, wall time
    lines = out.splitlines()
    assert lines[1].startswith("# options: ")
    for option in ("repeats=1", "short=2", "long=12", "skip_accuracy=True", "preset=book", "device=cpu"):
        assert option in lines[1].split(": ", 1)[1].split(", ")
    assert lines[2].startswith(f"# commit {code_provenance()[0]}") and "; started 20" in lines[2]
    assert "load average" in lines[2]
    assert re.fullmatch(r"# wall time \d+ s; at the end, load average \d+\.\d\d over 1 min on \d+ CPUs", lines[-1])


def test_bench_speedup_and_ceiling_are_medians_of_each_repeats_own_ratios(monkeypatch):
    """Scripted seconds per step over three repeats: gft 1, 2, 2; reference 2, 1, 8; floor 1, 4, 2.
    The repeats' ratios are 2, 0.5, 4 and their ceilings 2, 0.25, 4: medians 2 and 2, where a
    ratio of medians would give 2 / 2 = 1 for both."""
    from gft.experiments import bench

    def scripted(per_step):
        calls = iter([per_step[0]] + [s for s in per_step for _ in range(2)])  # warm-up, then (short, long)

        def seconds(*args):
            n = args[2]
            return 5.0 + n * next(calls)  # a fixed set-up cost, which the difference removes
        return seconds

    monkeypatch.setattr(bench, "fit_seconds", scripted([1.0, 2.0, 2.0]))
    monkeypatch.setattr(bench, "reference_seconds", scripted([2.0, 1.0, 8.0]))
    floors = iter([1.0, 4.0, 2.0])
    out = bench.per_step_through_fit(tv_weights=(0.0,), repeats=3, short=2, long=12,
                                     floor=lambda: {"floor": next(floors)})[0.0]
    assert out["gft"] == 2.0 and out["reference"] == 2.0 and out["floor"] == 2.0
    assert out["ratio"] == 2.0 and out["ceiling"] == 2.0


def test_bench_verdict_uses_the_ceiling_only_where_it_is_below_the_target():
    from gft.experiments.bench import _verdict

    assert _verdict(2.6, 2.5, 5.0) == "met"
    assert _verdict(2.0, 2.5, 5.0) == "missed"  # the ceiling is above the target: no discount
    assert _verdict(1.7, 2.5, 2.0).startswith("met (85%")  # 1.7 >= 0.8 * 2.0
    assert _verdict(1.5, 2.5, 2.0) == "missed"


def cli_bench_main(argv):
    from gft.experiments import bench

    assert "bench" in cli.build_parser()._subparsers._group_actions[0].choices
    return bench.main(argv)


def test_smoke_run_end_to_end(tmp_path):
    """The real thing: ``python -m gft run ... --preset smoke --trials 2`` then ``table``."""
    out = tmp_path / "tmp"
    cmd = [sys.executable, "-m", "gft", "run", "--setting", "friedman1-d5", "--method", "gft", "gft-r",
           "--preset", "smoke", "--trials", "2", "--out", str(out), "--device", "cpu"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "friedman1-d5 gft-r fourier smoke: trial 2/2" in proc.stderr
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "friedman1-d5__gft-r__fourier__smoke.csv", "friedman1-d5__gft-r__fourier__smoke.selection.json",
        "friedman1-d5__gft__fourier__smoke.csv", "friedman1-d5__gft__fourier__smoke.selection.json"]
    df = load_results(out)
    assert sorted(zip(df["method"], df["trial"])) == [("gft", 0), ("gft", 1), ("gft-r", 0), ("gft-r", 1)]
    assert df["command"].str.startswith("python -m gft run --setting friedman1-d5").all()
    table = subprocess.run([sys.executable, "-m", "gft", "table", str(out)], cwd=tmp_path, env=_env(),
                           capture_output=True, text=True, timeout=120)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0] == "| setting | gft | gft-r |" and lines[2].startswith("| friedman1-d5 | ")
    assert lines[2].count("±") == 2


def test_a_failing_cell_exits_1_and_keeps_the_others(tmp_path, capsys, monkeypatch):
    class Broken(Mean):
        def fit(self, X, y):
            raise RuntimeError("broken estimator")

    monkeypatch.setitem(METHODS, "broken", Method("broken", Broken, tunes_lambda=False))
    argv = ["run", "--setting", "kreuz", "--method", "broken", "--preset", "smoke", "--out", str(tmp_path)]
    assert cli.main(argv) == 1
    assert "cell kreuz broken fourier smoke failed: RuntimeError: broken estimator" in capsys.readouterr().err


def test_sweep_runs_every_plan_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(METHODS, "zero", Method("zero", Mean, tunes_lambda=False))
    plan = tmp_path / "plan.txt"
    plan.write_text("# two lines\n--setting kreuz --method zero --preset smoke --trials 2\n\n"
                    "--setting polynomial-d5 --method zero --preset smoke --trials 1  # one trial\n")
    assert cli.main(["sweep", "--plan", str(plan), "--out", str(tmp_path / "r"), "--quiet"]) == 0
    df = load_results(tmp_path / "r")
    assert sorted(zip(df["setting"], df["trial"])) == [("kreuz", 0), ("kreuz", 1), ("polynomial-d5", 0)]
    plan.write_text("--setting kreuz --method zero --bogus\n")
    assert cli.main(["sweep", "--plan", str(plan), "--out", str(tmp_path / "r")]) == 2
    assert "plan.txt:1: bad options" in capsys.readouterr().err


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message where CUDA is missing")
def test_run_and_sweep_on_a_device_this_machine_lacks_stop_before_any_cell(tmp_path, capsys, monkeypatch):
    """With the cells run here, ``--device cuda`` without CUDA is one line and exit 2 before any
    cell runs (it was a traceback per cell and exit 1); a sweep checks every line first, and its
    ``--status`` still reads a plan that names cuda."""
    monkeypatch.setitem(METHODS, "zero", Method("zero", Mean, tunes_lambda=False))
    out = tmp_path / "r"
    assert cli.main(["run", "--setting", "kreuz", "kreuz-rotated", "--method", "zero", "--preset", "smoke",
                     "--trials", "1", "--device", "cuda", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("python -m gft run: error: --device: device='cuda' was asked for but CUDA "
                           "is not available here")
    assert not out.exists()
    plan = tmp_path / "plan.txt"
    plan.write_text("--setting kreuz --method zero --preset smoke --trials 1\n"
                    "--setting polynomial-d5 --method zero --preset smoke --trials 1 --device cuda\n")
    assert cli.main(["sweep", "--plan", str(plan), "--out", str(out), "--quiet"]) == 2
    assert "plan.txt:2: --device: device='cuda' was asked for" in capsys.readouterr().err
    assert not out.exists()  # line 1 did not run either
    assert cli.main(["sweep", "--plan", str(plan), "--out", str(out), "--status"]) == 0
    assert "0 of 2" in capsys.readouterr().out
    # a cluster's workers resolve the device themselves: not checked here
    args = cli.build_parser().parse_args(["run", "--setting", "kreuz", "--method", "zero", "--device", "cuda",
                                          "--backend", "dask"])
    cli._check_local_device(args)

def test_bench_batched_prints_the_cv_fit_against_the_sequential_fits(capsys):
    result = cli_bench_main(["--batched", "--preset", "smoke", "--cv", "0", "--rounds", "2"])
    (row,) = result["batched"]
    assert row["n_fits"] == 6 and row["ratio"] == pytest.approx(row["batched"] / row["sequential"])
    # two rounds, each batched run between two sequential ones: the ratio is that of the mean
    # times, between the rounds' own
    assert row["rounds"] == 2 and len(row["round_ratios"]) == 2 and len(row["sequential_runs"]) == 3
    assert min(row["round_ratios"]) <= row["search_ratio"] <= max(row["round_ratios"])
    assert len(row["val_mse"]["cv_refine"]) == 6
    out = capsys.readouterr().out
    assert "| None | 6 |" in out and "GFT-r, sequential" in out
    # what the page says of the members and the sequential fits is what their numbers show
    v = row["val_mse"]
    same = v["cv_generator"] == v["sequential_generator"] and np.allclose(
        v["cv_refine"], v["sequential_refine"], rtol=1e-10, atol=0)
    assert ("the batched members were the sequential fits" in out) == same
    assert ("were not the sequential fits bit for bit" in out) == (not same)
    # the target is judged on the (λ, fold) fits alone: the search, a part of the whole fit
    assert row["search"] <= row["batched"] and row["refit"] < 0.01 * row["search"]  # cv=None: no refit
    assert row["search_ratio"] == pytest.approx(row["search"] / row["sequential"])
    assert "search / sequential" in out and f"{row['search_ratio']:.3f}" in out
    # the floor: no sequential fit does the unavoidable work of its steps in less time
    assert 0 < row["floor_ratio"] < 1
    assert row["floor_ratio"] == pytest.approx(6 * row["member_floor"] / row["sequential"])
    assert f"{row['floor_ratio']:.3f}" in out
    assert ", ".join(f"{x:.3f}" for x in row["round_ratios"]) in out
    assert f"sequential runs {', '.join(f'{t:.1f}' for t in row['sequential_runs'])} s" in out


def test_each_batched_run_is_compared_with_the_sequential_runs_on_either_side_of_it():
    """A machine that slows steadily: sequential runs of 10, 20, 30 s around batched runs of
    15 and 25 s are the same speed, ratio 1 in both rounds (comparing each batched run with
    the sequential run just before or after it would give 1.5 or 0.75, 1.25 or 0.83)."""
    from gft.experiments.bench import paired_rounds

    order = []

    def side(name):
        def run():
            order.append(name)
            return name, float(next(clock))
        return run

    clock = iter([10.0, 15.0, 20.0, 25.0, 30.0])
    batched, sequential, paired = paired_rounds(side("B"), side("S"), 2)
    assert order == ["S", "B", "S", "B", "S"]
    assert [s for _, s in batched] == [15.0, 25.0] and [s for _, s in sequential] == [10.0, 20.0, 30.0]
    assert [b / p for (_, b), p in zip(batched, paired)] == [1.0, 1.0]


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message where CUDA is missing")
def test_bench_on_a_device_this_machine_lacks_exits_with_the_reason(capsys):
    """``--device cuda`` without CUDA is a usage error naming the reason, before anything runs
    (it was a traceback from inside the floor's first GEMM)."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["bench", "--device", "cuda", "--skip-accuracy"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --device: device='cuda' was asked for but CUDA is not available here" in err
    assert "Traceback" not in err


def test_bench_batched_rejects_fewer_than_one_round(capsys):
    with pytest.raises(SystemExit):
        cli_bench_main(["--batched", "--rounds", "0"])
    assert "--rounds: must be at least 1, got 0" in capsys.readouterr().err
    from gft.experiments.bench import batched_against_sequential

    with pytest.raises(ValueError, match="rounds must be at least 1, got 0"):
        batched_against_sequential(rounds=0)


def test_cost_model_recovers_the_coefficients_of_exact_times():
    from gft.experiments.bench import cost_model

    M, N = np.meshgrid([500.0, 5e3, 5e4], [50.0, 100.0, 200.0, 400.0])
    M, N = M.ravel(), N.ravel()
    truth = np.array([8e-3, 2e-8, 1e-10, 4e-10])
    t = truth[0] + truth[1] * M * N + truth[2] * M * N**2 + truth[3] * N**3
    coef, model = cost_model(M, N, t)
    np.testing.assert_allclose(coef, truth, rtol=1e-6)
    np.testing.assert_allclose(model, t, rtol=1e-9)


def _write_cell(folder, stem, selection_seconds, trial_rows, selected_lambda=None, test_mse=None):
    """A results cell by hand: a selection record of fits of ``selection_seconds`` and
    ``trial_rows`` = [(selection_fit, wall_seconds), ...] with test MSEs ``test_mse``."""
    folder.mkdir(exist_ok=True)
    if selection_seconds is not None:
        (folder / f"{stem}.selection.json").write_text(
            json.dumps({"selected_lambda": selected_lambda,
                        "entries": [{"lambda": lam, "wall_seconds": s} for lam, s in selection_seconds]}))
    test_mse = test_mse or [0.5] * len(trial_rows)
    lines = ["seed,trial,selection_fit,wall_seconds,test_mse"]
    lines += [f"0,{t},{fit},{s},{e}" for t, ((fit, s), e) in enumerate(zip(trial_rows, test_mse))]
    (folder / f"{stem}.csv").write_text("\n".join(lines) + "\n")


def test_sweep_status_counts_shared_fits_once_and_prices_what_is_left(tmp_path, capsys):
    plan = tmp_path / "plan.txt"
    plan.write_text("# GFT block\n--setting kreuz polynomial-d5 --method gft gft-r --preset smoke --trials 2\n"
                    "# the network\n--setting kreuz --method nn --preset smoke --trials 2\n")
    out = tmp_path / "r"
    for method, mse in (("gft", [2e-3, 4e-3]), ("gft-r", [1e-3, 3e-3])):
        # one shared fit: 2 selection fits of 100 s, trial 1 of 50 s
        _write_cell(out, f"kreuz__{method}__fourier__smoke", [(0.0, 100.0), (0.1, 100.0)],
                    [(True, 100.0), (False, 50.0)], selected_lambda=0.1, test_mse=mse)
    _write_cell(out, "kreuz__nn__fourier__smoke", [(0.0, 30.0)], [], selected_lambda=0.0)  # no trials yet
    progress = plan_progress(plan, out)
    assert list(progress["status"]) == ["done", "done", "not started", "not started", "partial"]
    blocks = progress_by_block(progress)
    assert list(blocks["heading"]) == ["GFT block", "the network"]
    assert list(blocks["done"]) == [2, 0] and list(blocks["cells"]) == [4, 1]
    # spent: the shared fit once (200 + 50 s); left: polynomial-d5 needs a selection of two
    # fits and one more trial (its trial 0 is the selection's fit), each at the finished
    # group's 250 / 3 s per fit; nn has no finished cell to price it by
    assert blocks["hours_spent"][0] * 3600 == pytest.approx(250.0)
    assert blocks["hours_left"][0] * 3600 == pytest.approx(250.0)
    assert blocks["hours_spent"][1] * 3600 == pytest.approx(30.0) and np.isnan(blocks["hours_left"][1])
    before = sorted(p.name for p in out.iterdir())
    assert cli.main(["sweep", "--plan", str(plan), "--out", str(out), "--status"]) == 0
    table = capsys.readouterr().out
    assert "| 2 | GFT block | 2 of 4 | 0 | 0.1 | 0.1 |" in table
    assert "| 4 | the network | 0 of 1 | 1 | 0.0 | ? |" in table
    assert "| | all | 2 of 5 | 1 | 0.1 | ? |" in table
    # the cells with results: the shared fit's hours once, the median of the trials' test MSE
    assert "| 2 | kreuz | fourier | gft | 2 of 2 | 0.1 | 0.003 (0.002 to 0.004) | 0.07 |" in table
    assert "| 2 | kreuz | fourier | gft-r | 2 of 2 | 0.1 | 0.002 (0.001 to 0.003) | with gft |" in table
    assert "| 4 | kreuz | fourier | nn | 0 of 2 | 0 |  | < 0.01 |" in table
    assert "polynomial-d5" not in table.split("Cells with results")[1]  # not started: not listed
    assert sorted(p.name for p in out.iterdir()) == before  # --status runs nothing


def test_sweep_status_adds_the_trials_of_gft_and_gft_r_where_they_chose_two_lambdas(tmp_path, capsys):
    """GFT and GFT-r share their selection's fits always, their trials only at one λ: at two,
    each ran its own trials, and their hours and missing trials add up."""
    from gft.experiments.plan import _groups

    plan = tmp_path / "plan.txt"
    plan.write_text("--setting kreuz --method gft gft-r --preset smoke --trials 3\n")
    out = tmp_path / "r"
    selection = [(0.0, 100.0), (0.1, 100.0)]
    _write_cell(out, "kreuz__gft__fourier__smoke", selection, [(True, 100.0), (False, 50.0)], selected_lambda=0.0)
    _write_cell(out, "kreuz__gft-r__fourier__smoke", selection, [(True, 100.0), (False, 70.0)], selected_lambda=0.1)
    progress = plan_progress(plan, out)
    assert progress_by_block(progress)["hours_spent"][0] * 3600 == pytest.approx(200.0 + 50.0 + 70.0)
    assert _groups(progress)["trials_missing"].tolist() == [2]  # trial 2 of each
    assert cli.main(["sweep", "--plan", str(plan), "--out", str(out), "--status"]) == 0
    table = capsys.readouterr().out
    assert "| 1 | kreuz | fourier | gft | 2 of 3 | 0 | 0.5 (0.5 to 0.5) | 0.07 |" in table
    assert "| 1 | kreuz | fourier | gft-r | 2 of 3 | 0.1 | 0.5 (0.5 to 0.5) | 0.02 (selection with gft) |" in table


def test_sweep_status_counts_failed_trials_and_ranks_the_finite_ones(tmp_path, capsys):
    """A trial whose test MSE is NaN or infinite (a fit that diverged) is counted as failed;
    the median and range are over the others (Python's min and max with a NaN depend on
    where it stands, and NumPy's median of a list with one is NaN)."""
    plan = tmp_path / "plan.txt"
    plan.write_text("--setting kreuz polynomial-d5 --method nn --preset smoke --trials 4\n")
    out = tmp_path / "r"
    trials = [(True, 10.0), (False, 10.0), (False, 10.0), (False, 10.0)]
    _write_cell(out, "kreuz__nn__fourier__smoke", [(0.0, 10.0)], trials, selected_lambda=0.0,
                test_mse=["nan", 3e-3, "inf", 1e-3])
    _write_cell(out, "polynomial-d5__nn__fourier__smoke", [(0.0, 10.0)], trials[:1], selected_lambda=0.0,
                test_mse=["nan"])
    assert cli.main(["sweep", "--plan", str(plan), "--out", str(out), "--status"]) == 0
    table = capsys.readouterr().out
    assert "| 1 | kreuz | fourier | nn | 4 of 4 | 0 | 0.002 (0.001 to 0.003); 2 failed | 0.01 |" in table
    assert "| 1 | polynomial-d5 | fourier | nn | 1 of 4 | 0 | 1 failed | < 0.01 |" in table


@pytest.mark.parametrize("kept, content, spent, fits_left, cell_line, run_line", [
    # a selection of fits one after the other keeps each finished fit (committed as it grows):
    # only the fits it lacks are left
    ("partial-selection.json", {"lambdas": [0.0, 0.1], "entries": [{"lambda": 0.0, "wall_seconds": 40.0}]},
     40.0, 2, "| 0 of 2 | selecting (λ = 0 fitted, 1 of 2) |  | 0.01 |",
     "- polynomial-d5__nn__fourier__smoke.partial-selection.json: the selection's fits at λ = 0 kept"),
    # a run still training is seen through its checkpoint's summary alone (committed; the
    # checkpoint is not): its time is spent, and the running fit is still priced whole
    ("partial-run.pt.json", {"saved": "2026-12-07T01:28:00+00:00",
                             "phases": {"NN": {"done": False, "step": 300, "seconds": 90.0}}},
     90.0, 3, "| 0 of 2 | selecting; running: NN at step 300 |  | 0.03 |",
     "- polynomial-d5__nn__fourier__smoke.partial-run.pt (saved 2026-12-07 01:28 UTC): NN at step 300; "
     "2 min of wall time kept"),
], ids=["kept fits", "running fit"])
def test_sweep_status_counts_what_an_unfinished_selection_has_run(tmp_path, capsys, kept, content, spent,
                                                                   fits_left, cell_line, run_line):
    """A selection that has not ended: the cell is partial, what it has run is spent, the
    estimate prices the fits it lacks, and the status lists it under the unfinished runs."""
    plan = tmp_path / "plan.txt"
    plan.write_text("--setting kreuz polynomial-d5 --method nn --preset smoke --trials 2\n")
    out = tmp_path / "r"
    _write_cell(out, "kreuz__nn__fourier__smoke", [(0.0, 100.0), (0.1, 100.0)], [(True, 100.0), (False, 50.0)],
                selected_lambda=0.1)
    (out / f"polynomial-d5__nn__fourier__smoke.{kept}").write_text(json.dumps(content))
    progress = plan_progress(plan, out)
    assert list(progress["status"]) == ["done", "partial"]
    blocks = progress_by_block(progress)
    assert blocks["hours_spent"][0] * 3600 == pytest.approx(250.0 + spent)
    # the selection's missing fits and trial 1, at kreuz's 250 / 3 s per fit
    assert blocks["hours_left"][0] * 3600 == pytest.approx(fits_left * 250.0 / 3)
    assert cli.main(["sweep", "--plan", str(plan), "--out", str(out), "--status"]) == 0
    table = capsys.readouterr().out
    assert "| 1 | polynomial-d5 | fourier | nn " + cell_line in table
    assert run_line in table.split("Unfinished runs")[1]


def test_sweep_status_prices_what_is_left_by_a_cheaper_presets_fits(tmp_path, capsys):
    """With --reference, an unfinished cell costs its own fits at the reference preset times
    the ratio of the two presets' λ = 0 fits on a cell finished in both."""
    plan = tmp_path / "plan.txt"
    plan.write_text("--setting kreuz polynomial-d5 --method nn --preset smoke --trials 2\n")
    out, ref = tmp_path / "r", tmp_path / "ref"
    _write_cell(out, "kreuz__nn__fourier__smoke", [(0.0, 100.0), (0.1, 300.0)], [(True, 100.0), (False, 200.0)])
    # the reference: kreuz's λ = 0 fit took 10 s (ratio 10), polynomial-d5's fits 3 s each
    _write_cell(ref, "kreuz__nn__fourier__book", [(0.0, 10.0)], [(True, 10.0), (False, 30.0)])
    _write_cell(ref, "polynomial-d5__nn__fourier__book", [(0.0, 3.0), (0.1, 3.0)], [(True, 3.0), (False, 3.0)])
    progress = plan_progress(plan, out)
    # polynomial-d5 lacks its selection (two fits, as kreuz's) and trial 1: 3 fits of 3 s x 10
    blocks = progress_by_block(progress, reference_progress(plan, ref))
    assert blocks["hours_left"][0] * 3600 == pytest.approx(90.0)
    # without the reference: kreuz's (100 + 300 + 200) / 3 s per fit
    assert progress_by_block(progress)["hours_left"][0] * 3600 == pytest.approx(600.0)
    assert cli.main(["sweep", "--plan", str(plan), "--out", str(out), "--status", "--reference", str(ref)]) == 0
    assert "| 1 |  | 1 of 2 | 0 | 0.2 | 0.0 |" in capsys.readouterr().out  # 90 s left
    with pytest.raises(SystemExit, match="holds the results of one preset; found none"):
        cli.main(["sweep", "--plan", str(plan), "--out", str(out), "--status", "--reference", str(tmp_path / "none")])


def test_bench_time_to_accuracy_prints_the_preset_floor_and_cannot_beat_it(capsys):
    # the smoke preset (a 2x32 generator, 40 + 20 steps): its floor is measured for its own
    # generator; a fit does all of that work and more, so its speed-up is below the ceiling
    result = cli_bench_main(["--repeats", "1", "--short", "2", "--long", "12", "--preset", "smoke",
                             "--seeds", "0"])
    out = capsys.readouterr().out
    acc = result["accuracy"]
    assert 0 < acc["floor"] < acc["median_seconds"]
    assert acc["speedup"] < acc["ceiling"]
    assert acc["verdict"] == "missed (accuracy)"  # 60 smoke steps do not reach 1.5e-5
    assert "floor of preset 'smoke': its generator steps at the floor of its generator" in out
    assert f"ceiling {acc['ceiling']:.1f}x" in out


def test_straightforward_refinement_step_trains_the_latents_not_the_generator():
    import torch

    from gft.experiments.bench import straightforward_step

    torch.manual_seed(0)
    X, y = torch.rand(40, 3), torch.rand(40)
    step = straightforward_step(X, y, 8, 0.0, hidden=(16, 16), lr=1e-2, phase="refine")
    cells = {id(c.cell_contents): c.cell_contents for c in step.__closure__
             if isinstance(c.cell_contents, (torch.nn.Module, torch.Tensor))}
    G = next(v for v in cells.values() if isinstance(v, torch.nn.Module))
    z = next(v for v in cells.values() if isinstance(v, torch.Tensor) and v.requires_grad)
    weights, latents = [p.clone() for p in G.parameters()], z.detach().clone()
    step()
    assert all(torch.equal(a, b) for a, b in zip(weights, G.parameters()))  # frozen
    assert not torch.equal(latents, z.detach())  # the latents moved
    with pytest.raises(ValueError, match="Unknown phase 'latent'"):
        straightforward_step(X, y, 8, 0.0, phase="latent")


def test_machine_floor_is_timed_with_the_threads_the_fits_use(monkeypatch):
    # torch.utils.benchmark.Timer runs one thread unless told: a floor timed so is a
    # one-thread floor under fits that run with several, and the ceiling it implies is too low
    from torch.utils import benchmark

    from gft.experiments import bench

    seen = []

    class RecordingTimer(benchmark.Timer):
        def __init__(self, *args, **kwargs):
            seen.append(kwargs.get("num_threads", 1))
            super().__init__(*args, **kwargs)

        def blocked_autorange(self, min_run_time=0.2):
            return super().blocked_autorange(min_run_time=0.01)

    monkeypatch.setattr(bench.benchmark, "Timer", RecordingTimer)
    with intra_op_threads(2):
        floor = bench.machine_floor(n_features=8, hidden=(16, 16))
    assert seen == [2, 2] and floor["threads"] == 2


def test_preset_floor_counts_each_generator_and_refinement_step_of_the_preset():
    # a generator step: the measured floor; a refinement step: per h x h layer a forward and
    # an input gradient, 2 products for the smoke preset's two hidden layers, 4 for 3 x 512
    from gft.experiments import bench
    from gft.presets import get_preset

    for preset, products in (("smoke", 2), ("book", 4)):
        kw = get_preset(preset)
        floor = dict(mm=1e-3, adam=5e-4, floor=7e-3, hidden=tuple(kw["hidden"]))
        expected = kw["generator_steps"] * 7e-3 + kw["refine_steps"] * products * 1e-3
        assert bench.preset_floor_seconds(preset, floor) == pytest.approx(expected, rel=1e-12)


def test_time_to_accuracy_prices_the_reference_around_each_fit(monkeypatch):
    # the reference's price drifts (each call dearer than the last): each fit must be
    # compared with the mean of the two prices taken just before and just after it
    from gft.experiments import bench

    calls, fits = [], []
    monkeypatch.setattr(bench.GFTRegressor, "fit", lambda self, X, y: fits.append(len(calls)) or self)
    monkeypatch.setattr(bench, "score_fit", lambda *a, **k: {"test_mse": 1.0})

    def reference():
        calls.append(100.0 * (len(calls) + 1))
        return {"generator": 1e-3, "refine": 1e-3, "paper": calls[-1]}

    rows = bench.time_to_accuracy("smoke", seeds=(0, 1), reference=reference)
    assert fits == [1, 3]  # one price before each fit, one after
    assert [r["reference_seconds"] for r in rows] == [150.0, 350.0]
    assert [r["speedup"] for r in rows] == pytest.approx([150.0 / rows[0]["seconds"], 350.0 / rows[1]["seconds"]])


def test_run_with_a_backend_that_is_not_installed_is_a_usage_error(tmp_path, capsys, monkeypatch):
    # exit code 1 means "some cells failed"; a missing optional package is the user's set-up,
    # reported like a bad option (2) with the extra to install, not as a traceback
    import builtins

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ModuleNotFoundError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    argv = ["run", "--setting", "kreuz", "--method", "rff", "--preset", "smoke", "--trials", "1",
            "--backend", "ray", "--out", str(tmp_path)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "gft[ray]" in err and "Traceback" not in err


def test_sweep_status_lists_what_unfinished_runs_kept(tmp_path, capsys):
    """A batched run's checkpoint (its phases and steps), a selection's kept fits, and a
    checkpoint that cannot be read, under the table."""
    import torch

    plan = tmp_path / "plan.txt"
    plan.write_text("# GFT block\n--setting kreuz --method gft --preset smoke --trials 2\n")
    out = tmp_path / "r"
    out.mkdir()
    torch.save(dict(key={}, phases={"GFT generator": dict(done=True, step=60, seconds=1500.0),
                                    "GFT-r refinement": dict(done=False, step=30, seconds=300.0)}),
               out / "kreuz__gft__fourier__smoke.partial-run.pt")
    (out / "kreuz__nn__fourier__smoke.partial-selection.json").write_text(
        json.dumps({"entries": [{"lambda": 0.0}, {"lambda": 1e-4}]}))
    (out / "x__gft__fourier__smoke.partial-run.pt").write_bytes(b"cut short")
    assert cli.main(["sweep", "--plan", str(plan), "--out", str(out), "--status"]) == 0
    text = capsys.readouterr().out
    lines = text.split("Unfinished runs (a rerun goes on from what they kept):\n")[1].splitlines()
    assert lines[0].startswith("- kreuz__gft__fourier__smoke.partial-run.pt (saved ")
    assert lines[0].endswith("GFT generator finished, GFT-r refinement at step 30; 30 min of wall time kept")
    assert lines[1].startswith("- x__gft__fourier__smoke.partial-run.pt (saved ") and "unreadable" in lines[1]
    assert lines[2] == "- kreuz__nn__fourier__smoke.partial-selection.json: the selection's fits at λ = 0, 0.0001 kept"


def test_bench_profile_groups_every_kernel_of_a_step_once():
    """The groups of a profiled fit add up to all its kernels' own time, which cannot exceed
    the fit's wall time; each part of a step (the generator's products, Adam, the ridge
    system, sin/cos) is found where it belongs, for one model and for batched members."""
    from gft.experiments.step_profile import GROUPS, _group, step_profile

    assert _group("aten::mm", [[100, 32], [32, 32], [100, 32]], 32) == GROUPS[0]
    assert _group("aten::bmm", [[6, 32, 100], [6, 100, 5], [6, 32, 5]], 32) == GROUPS[1]
    assert _group("aten::mm", [[100, 450], [450, 100], [100, 100]], 32) == GROUPS[3]
    for members in (1, 2):
        p = step_profile(steps=20, members=members, tv_weight=1e-3, preset="smoke")
        assert set(p["groups"]) == set(GROUPS)
        assert sum(p["groups"].values()) == pytest.approx(p["kernel_ms"])
        assert 0 < p["kernel_ms"] <= 1.05 * p["wall_ms"]
        for g in (GROUPS[0], GROUPS[2], GROUPS[3], GROUPS[4], GROUPS[5]):
            assert p["groups"][g] > 0, g


def test_bench_profile_reports_each_groups_median_over_the_rounds():
    from gft.experiments.bench import _median_profile

    rounds = [dict(members=1, tv_weight=0.0, groups={"a": a, "b": b}, kernel_ms=a + b, wall_ms=w)
              for a, b, w in ((1.0, 9.0, 11.0), (3.0, 2.0, 6.0), (2.0, 4.0, 7.0))]
    med = _median_profile(rounds)
    assert med["groups"] == {"a": 2.0, "b": 4.0} and med["kernel_ms"] == 6.0 and med["wall_ms"] == 7.0
    assert rounds[0]["groups"] == {"a": 1.0, "b": 9.0}  # the rounds are left as they were
