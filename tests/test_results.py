"""Tests of gft.experiments.report and .sweeps (and gft.plotting.plot_summary): reading preset folders, summaries with missing cells, tables, charts, sweeps."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from gft import plotting  # noqa: E402
from gft.experiments import report, sweeps  # noqa: E402
from gft.experiments import COLUMNS  # noqa: E402

SETTINGS = ["polynomial-d5", "friedman1-d5"]
METHODS = ["gft-r", "rff", "nn"]


def _rows(setting, method, preset, mses, activation="fourier", n_features=100, lam=0.0):
    return [dict(setting=setting, kind="synthetic", method=method, activation=activation,
                 preset=preset, n_features=n_features, seed=0, trial=t, data_seed=t,
                 **{"lambda": lam}, test_mse=m, val_mse=m, train_seconds=1.0 + t,
                 wall_seconds=2.0, selection_fit=t == 0, note="", estimator_kwargs="")
            for t, m in enumerate(mses)]


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    """book/: gft-r (3 trials, one NaN extra), rff (2 trials) on polynomial; a sigmoid and an N=50 cell.
    paper/: gft-r on polynomial, one trial. Nothing for nn, nothing for friedman1."""
    book = (_rows("polynomial-d5", "gft-r", "book", [1e-3, 2e-3, 3e-3])
            + _rows("polynomial-d5", "rff", "book", [4e-2, 6e-2], lam=math.nan)
            + _rows("polynomial-d5", "gft-r", "book", [7.0], activation="sigmoid")
            + _rows("polynomial-d5", "nn", "book", [9.0], n_features=50))
    nan_row = _rows("friedman1-d5", "gft-r", "book", [math.nan])
    paper = _rows("polynomial-d5", "gft-r", "paper", [5e-4])
    for name, rows in (("book", book + nan_row), ("paper", paper)):
        (tmp_path / name).mkdir()
        df = pd.DataFrame(rows)
        for (s, m, a, n), part in df.groupby(["setting", "method", "activation", "n_features"]):
            part.reindex(columns=list(COLUMNS)).to_csv(tmp_path / name / f"{s}__{m}__{a}__{n}.csv",
                                                      index=False)
    (tmp_path / "ablations").mkdir()  # other folders are not read
    pd.DataFrame({"x": [1]}).to_csv(tmp_path / "ablations" / "other.csv", index=False)
    return tmp_path


def test_load_and_summarise_counts_spread_and_missing(folder):
    rows = report.load_preset_results(folder)
    assert set(rows["preset"]) == {"book", "paper"}
    assert report.available_presets(rows) == ["book", "paper"]
    summary = report.summarise(rows, SETTINGS, METHODS, ["book", "paper"])
    assert len(summary) == len(SETTINGS) * len(METHODS) * 2  # the full grid
    cell = summary.set_index(["setting", "method", "preset"])
    gr = cell.loc[("polynomial-d5", "gft-r", "book")]
    assert gr.trials == 3
    assert gr.test_mse_mean == pytest.approx(2e-3)
    assert gr.test_mse_std == pytest.approx(1e-3)  # sample std, ddof 1
    assert (gr.test_mse_min, gr.test_mse_max) == pytest.approx((1e-3, 3e-3))
    assert cell.loc[("polynomial-d5", "gft-r", "paper")].trials == 1
    assert math.isnan(cell.loc[("polynomial-d5", "gft-r", "paper")].test_mse_std)
    assert math.isnan(cell.loc[("polynomial-d5", "rff", "book")]["lambda"])
    assert cell.loc[("friedman1-d5", "gft-r", "book")].failed == 1  # its one trial's MSE is NaN
    assert cell["failed"].sum() == 1
    # missing: no rows, a NaN-only cell, and a cell whose only rows have another N
    for key in [("friedman1-d5", "rff", "book"), ("friedman1-d5", "gft-r", "book"),
                ("polynomial-d5", "nn", "book"), ("friedman1-d5", "gft-r", "paper")]:
        assert cell.loc[key].trials == 0, key
        assert math.isnan(cell.loc[key].test_mse_mean), key  # missing is NaN, not zero
    n50 = report.summarise(rows, ["polynomial-d5"], ["nn"], ["book"], n_features=50)
    assert n50.trials.tolist() == [1] and n50.test_mse_mean.tolist() == [9.0]


def test_format_table_labels_and_dashes(folder):
    rows = report.load_preset_results(folder)
    table = report.format_table(report.summarise(rows, SETTINGS, METHODS, ["book", "paper"]))
    assert list(table.columns) == METHODS
    assert list(table.index) == [(s, p) for s in SETTINGS for p in ("book", "paper")]
    assert table.loc[("polynomial-d5", "book"), "gft-r"] == "2.00e-03 ± 1.0e-03 (n=3)"
    assert table.loc[("polynomial-d5", "paper"), "gft-r"] == "5.00e-04 (n=1)"
    assert table.loc[("friedman1-d5", "book"), "rff"] == "—"
    assert table.loc[("friedman1-d5", "book"), "gft-r"] == "— (n=0, 1 failed)"
    assert not table.isin(["0", "0.00e+00"]).any().any()
    both = report.format_table(report.summarise(rows, ["polynomial-d5"], ["gft-r"], ["book"],
                                                  activation=["fourier", "sigmoid"]))
    assert both.loc[("polynomial-d5", "book"), ("sigmoid", "gft-r")] == "7.00e+00 (n=1)"


def test_missing_folders_and_bad_presets(tmp_path):
    assert report.load_preset_results(None).empty
    assert report.load_preset_results(tmp_path).empty
    assert report.summarise(report.load_preset_results(None), ["kreuz"], ["gft"]).trials.tolist() == [0, 0]
    with pytest.raises(ValueError, match="Unknown presets"):
        report.load_preset_results(tmp_path, ["fast"])


def test_results_dir_env_and_upward_search(tmp_path, monkeypatch):
    (tmp_path / "book" / "results").mkdir(parents=True)
    deep = tmp_path / "notebooks" / "sub"
    deep.mkdir(parents=True)
    monkeypatch.delenv(report.RESULTS_ENV, raising=False)
    assert report.results_dir(deep) == tmp_path / "book" / "results"
    monkeypatch.setenv(report.RESULTS_ENV, str(tmp_path))
    assert report.results_dir(deep) == tmp_path
    monkeypatch.setenv(report.RESULTS_ENV, str(tmp_path / "nowhere"))
    assert report.results_dir(deep) is None


def test_plot_marks_missing_cells_and_never_plots_zero(folder):
    rows = report.load_preset_results(folder)
    summary = report.summarise(rows, SETTINGS, METHODS, ["book", "smoke"])
    ax = plotting.plot_summary(summary)
    n_missing = int(((summary.trials == 0) & (summary.preset == "book")).sum())
    marks = [line for line in ax.lines if line.get_label() == "not computed"]
    assert n_missing == 4 and len(marks) == 1 and len(marks[0].get_xdata()) == n_missing
    values = [line for line in ax.lines if line.get_label() != "not computed"]
    ys = np.concatenate([line.get_ydata() for line in values if len(line.get_ydata())])
    assert set(np.round(ys, 6)) == {1e-3, 2e-3, 3e-3, 4e-2, 5e-2, 6e-2}  # means and ranges only
    assert [t.get_text() for t in ax.texts] == ["not computed:\nsmoke"]  # no slot for it
    # the crosses sit in a strip below every value drawn, so that none reads as a value
    strip_top = ax.transAxes.inverted().transform(ax.transData.transform((0, ys.min())))[1]
    assert np.all(marks[0].get_ydata() < strip_top) and strip_top > plotting._NOT_COMPUTED_STRIP
    # the shaded strip is that bottom share of the axes, and covers no value drawn
    ax.figure.canvas.draw()
    shaded = [p for p in ax.patches if np.allclose(p.get_facecolor()[:3], 0.92)]
    axes_box = ax.get_window_extent()
    assert len(shaded) == 1
    box = shaded[0].get_window_extent()
    assert np.isclose(box.y0, axes_box.y0) and np.isclose(box.width, axes_box.width)
    assert np.isclose(box.height / axes_box.height, plotting._NOT_COMPUTED_STRIP)
    plt.close("all")


def test_plot_draws_untrained_trials_as_rings_and_the_others_as_dots():
    """A trial flagged ``kept_start`` (its generator never left its start) is a ring at its own
    test MSE, apart from the trained trials' dots, and each kind is named in the legend once."""
    summary = pd.DataFrame({"setting": "ccpp", "method": ["gft-r", "rff"], "preset": "book",
                            "trials": 3, "test_mse_mean": [2.0, 3.0], "test_mse_std": 0.0,
                            "test_mse_min": [1.0, 3.0], "test_mse_max": [4.0, 3.0], "lambda": 0.0})
    fitted = ['{"generator_best_step": 0}', '{"generator_best_step": 300}', '{"generator_best_step": 200}',
              None, None, None]
    trials = pd.DataFrame({"setting": "ccpp", "method": ["gft-r"] * 3 + ["rff"] * 3, "preset": "book",
                           "test_mse": [4.0, 1.0, 1.0, 3.0, 3.0, 3.0], "fitted": fitted})
    flags = report.kept_start_flags(trials)
    assert flags.tolist()[:3] == [True, False, False] and flags.iloc[3:].isna().all()
    ax = plotting.plot_summary(summary, trials=trials.assign(kept_start=flags))
    rings = [line for line in ax.lines if line.get_marker() == "o" and line.get_markerfacecolor() == "none"]
    assert len(rings) == 1 and rings[0].get_ydata().tolist() == [4.0]
    dots = [line for line in ax.lines if line.get_marker() == "."]
    assert sorted(np.concatenate([d.get_ydata() for d in dots]).tolist()) == [1.0, 1.0, 3.0, 3.0, 3.0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend.count("one trial") == 1 and legend.count("one trial, kept its start (untrained)") == 1
    plt.close("all")


def test_compare_methods_only_where_both_exist(folder):
    summary = report.summarise(report.load_preset_results(folder), SETTINGS, METHODS, ["book"])
    cmp = report.compare_methods(summary, "gft-r", "rff", "book")
    assert cmp.setting.tolist() == ["polynomial-d5"]
    assert cmp.ratio.iloc[0] == pytest.approx(5e-2 / 2e-3)
    assert report.compare_methods(summary, "gft-r", "nn", "book").empty
    # a partial cell counts only below its trial count
    trials = summary.set_index(["setting", "method", "preset"])["trials"]
    n = int(min(trials["polynomial-d5", "gft-r", "book"], trials["polynomial-d5", "rff", "book"]))
    assert len(report.compare_methods(summary, "gft-r", "rff", "book", min_trials=n)) == 1
    assert report.compare_methods(summary, "gft-r", "rff", "book", min_trials=n + 1).empty


TINY = {"gft": dict(generator_steps=4, refine_steps=3, hidden=(8,)), "nn": dict(steps=3)}


def test_sweep_n_features_tidy_and_reproducible(tmp_path):
    df = sweeps.sweep_n_features("polynomial-d5", ("gft", "gft-r", "rff"), n_values=(5, 10),
                                  seeds=(0, 1), preset="smoke", budget=TINY, device="cpu",
                                  progress=False)
    assert len(df) == 2 * 2 * 3
    assert {"n_features", "method", "seed", "test_mse", "train_seconds", "wall_seconds", "preset"} <= set(df)
    assert np.all(df.wall_seconds >= df.train_seconds) and np.all(df.wall_seconds > 0)
    assert np.all(np.isfinite(df.test_mse)) and np.all(df.test_mse > 0)
    # gft and gft-r share a fit; gft is charged without the refinement
    pair = df[df.method.isin(["gft", "gft-r"])].pivot_table(
        index=["n_features", "seed"], columns="method", values="train_seconds")
    assert np.all(pair["gft"] <= pair["gft-r"])
    again = sweeps.fit_and_score("polynomial-d5", ["rff"], 1, "smoke", n_features=10, device="cpu")
    first = df[(df.method == "rff") & (df.n_features == 10) & (df.seed == 1)].test_mse.item()
    assert again[0]["test_mse"] == pytest.approx(first, rel=1e-12)
    summary = sweeps.sweep_summary(df, ["n_features"])
    assert len(summary) == 6 and summary.seeds.tolist() == [2] * 6
    path = sweeps.write_sweep(df, tmp_path / "a" / "n.csv", command="test", wall_seconds=1.5)
    back = sweeps.read_sweep(path)
    # the provenance that tests/test_results_provenance.py asks of every committed results file
    assert {"command", "preset", "seed", "commit", "dirty", "host", "torch", "device",
            "wall_seconds", "date", "sweep_wall_seconds"} <= set(back)
    assert back[["command", "commit", "host", "date"]].notna().all().all()
    assert back.test_mse.tolist() == pytest.approx(df.test_mse.tolist())
    assert sweeps.read_sweep(tmp_path / "missing.csv") is None


def test_sweep_tv_weight_noise_and_generator_grid():
    df = sweeps.sweep_tv_weight("friedman1-d5", ("gft-r", "rff"), lambdas=(0.0, 0.1),
                                 seeds=(0,), preset="smoke", noise=0.5, budget=TINY,
                                 device="cpu", progress=False)
    assert sorted(df.tv_weight.unique()) == [0.0, 0.1] and set(df.noise) == {0.5}
    rff = df[df.method == "rff"].test_mse.to_numpy()
    assert rff[0] == rff[1]  # RFF has no TV weight: λ does not change it
    gen = sweeps.sweep_generator("polynomial-d5", widths=(4, 8), steps=(2, 4), depth=2,
                                  preset="smoke", budget={"gft": dict(refine_steps=0)},
                                  device="cpu", progress=False)
    assert sorted(zip(gen.width, gen.generator_steps)) == [(4, 2), (4, 4), (8, 2), (8, 4)]
    with pytest.raises(ValueError, match="only for synthetic"):
        sweeps.fit_and_score("airfoil", ["rff"], 0, "smoke", noise=0.1)
    with pytest.raises(ValueError, match="Unknown method"):
        sweeps.fit_and_score("polynomial-d5", ["svm"], 0, "smoke")
    with pytest.raises(ValueError, match="grid is empty"):
        sweeps.sweep("polynomial-d5", ["rff"], {})


def test_a_diverged_fit_in_a_sweep_is_scored_at_its_best_iterate_with_a_note():
    """lr = 1e35: the generator diverges at step 1 and keeps step 0, as in the runner's rows."""
    rows = sweeps.fit_and_score("polynomial-d5", ["gft", "rff"], 0, "smoke", n_features=10, device="cpu",
                                budget={"gft": dict(lr=1e35, dtype="float32", refine_steps=0)})
    gft_row, rff_row = rows
    assert gft_row["note"].startswith("diverged: GFT generator: the loss became nan at step 1")
    untrained = sweeps.fit_and_score("polynomial-d5", ["gft"], 0, "smoke", n_features=10, device="cpu",
                                     budget={"gft": dict(generator_steps=0, dtype="float32", refine_steps=0)})[0]
    assert gft_row["val_mse"] == untrained["val_mse"] and gft_row["test_mse"] == untrained["test_mse"]
    assert rff_row["note"] == "" and np.isfinite(rff_row["test_mse"])


def test_input_weight_profile_matches_hand_computation():
    W = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
    assert plotting.input_weight_profile(W) == pytest.approx([2.0, 1.0, 0.75])
    coef = np.array([1.0, 3.0j, 7.0])  # |b| = 1, 3; the constant column is ignored
    assert plotting.input_weight_profile(W, coef, n_inputs=2) == pytest.approx([2.5, 0.5])


def _tiny_sweep(n: int, progress: bool = False) -> pd.DataFrame:
    _tiny_sweep.calls += 1
    return pd.DataFrame({"n": [n], "preset": ["smoke"], "seed": [0], "test_mse": [1.0 / n],
                         "wall_seconds": [0.1]})


def test_cached_sweep_reads_only_a_matching_configuration(tmp_path):
    _tiny_sweep.calls = 0
    path = tmp_path / "ablations" / "tiny__smoke.csv"
    df, origin = sweeps.cached_sweep(path, _tiny_sweep, {"n": 2}, fingerprint={"steps": 5})
    assert origin == "computed" and not path.exists() and _tiny_sweep.calls == 1
    df, origin = sweeps.cached_sweep(path, _tiny_sweep, {"n": 2}, fingerprint={"steps": 5},
                                      write=True, command="make it")
    assert origin.startswith("computed and written") and path.exists()
    assert df.command.tolist() == ["make it"] and df.test_mse.tolist() == [0.5]
    again, origin = sweeps.cached_sweep(path, _tiny_sweep, {"n": 2}, fingerprint={"steps": 5},
                                         write=True)
    assert origin == "read tiny__smoke.csv" and _tiny_sweep.calls == 2  # not run again; no machine path
    book = tmp_path / "repo" / "book" / "results" / "ablations"
    book.mkdir(parents=True)
    (book / "tiny__smoke.csv").write_bytes(path.read_bytes())
    _, origin = sweeps.cached_sweep(book / "tiny__smoke.csv", _tiny_sweep, {"n": 2}, fingerprint={"steps": 5})
    assert origin == "read book/results/ablations/tiny__smoke.csv"
    for config, fingerprint in (({"n": 4}, {"steps": 5}), ({"n": 2}, {"steps": 6})):
        other, origin = sweeps.cached_sweep(path, _tiny_sweep, config, fingerprint=fingerprint)
        assert origin == "computed", (config, fingerprint)
    assert _tiny_sweep.calls == 4
    assert sweeps.read_sweep(path).test_mse.tolist() == [0.5]  # not overwritten without write


def test_style_table_bolds_the_lowest_mean_of_each_row():
    import pandas as pd

    rows = pd.DataFrame(
        [dict(setting=s, method=m, activation="fourier", preset="book", n_features=100, trial=t,
              test_mse=v * (1 + 0.1 * t), train_seconds=1.0, **{"lambda": 0.0})
         for s, values in {"polynomial-d5": {"gft-r": 1e-4, "rff": 1e-2}, "ishigami-d5": {"gft-r": 3.0, "rff": 2.0}}.items()
         for m, v in values.items() for t in range(2)])
    summary = report.summarise(rows, ["polynomial-d5", "ishigami-d5"], ["gft-r", "rff", "nn"], ["book"])
    html = report.style_table(summary, labels={"gft-r": "GFT-r"}).to_html()
    assert "GFT-r" in html and "font-weight: bold" in html
    styler = report.style_table(summary)
    ctx = styler._compute().ctx  # (row, col) -> css of the rendered cells
    winners = sorted((r, c) for (r, c), props in ctx.items() if ("font-weight", "bold") in props)
    assert winners == [(0, 0), (1, 1)]  # GFT-r on the polynomial, RFF on Ishigami; never the empty NN


def test_relative_errors_divide_by_the_variance_of_each_trials_own_test_labels():
    from gft.datasets import load_setting

    var = {s: float(np.var(load_setting("polynomial-d5", seed=s)[3])) for s in (0, 3)}
    rows = pd.DataFrame(dict(setting="polynomial-d5", data_seed=[0, 3, 3],
                             test_mse=[var[0], 2 * var[3], 0.0]))
    out = report.relative_errors(rows)
    np.testing.assert_allclose(out["test_mse"], [1.0, 2.0, 0.0], rtol=1e-12)
    assert var[0] != var[3]  # the draw matters
    assert report.relative_errors(rows.iloc[:0]).empty


def test_kept_start_counts_the_trials_whose_first_trained_phase_reports_step_0():
    """GFT is judged by its generator (not its refinement), NN and VarPro by their fit; rows without a record are left out."""
    fitted = [
        '{"generator_best_step": 0, "refine_best_step": 2900}',  # untrained generator, refined
        '{"generator_best_step": 100, "refine_best_step": 0}',   # trained generator, refinement kept its start
        '{"fit_best_step": 0}',
        '{"fit_best_step": 300}',
        '{"sigma": 0.1, "sigma_grid": [1e-05, 100.0]}',          # random features: nothing trained
        None,                                                    # an older row
    ]
    rows = pd.DataFrame({"setting": "ccpp", "method": ["gft-r", "gft-r", "varpro", "varpro", "rff", "nn"],
                         "activation": "fourier", "preset": "book", "fitted": fitted})
    out = report.kept_start(rows).set_index("method")
    assert out.loc["gft-r", "trials"] == 2 and out.loc["gft-r", "kept"] == 1
    assert out.loc["varpro", "trials"] == 2 and out.loc["varpro", "kept"] == 1
    assert set(out.index) == {"gft-r", "varpro"}
    assert report.kept_start(rows.iloc[4:]).empty


def test_distinct_fits_counts_a_generator_shared_by_gft_and_gft_r_once():
    """One fit serving both methods (same λ, same record) is one row; different λ or records are two fits."""
    shared = '{"generator_best_step": 0, "refine_best_step": 3000}'
    other = '{"generator_best_step": 0, "refine_best_step": 2000}'
    rows = pd.DataFrame({
        "setting": "ccpp", "activation": "fourier", "preset": "book",
        "method": ["gft", "gft-r", "gft", "gft-r", "gft", "gft-r", "gft-r", "nn"],
        "trial": [0, 0, 1, 1, 2, 2, 3, 0],
        "data_seed": [0, 0, 1, 1, 2, 2, 3, 0],
        "lambda": [0.0, 0.0, 0.0, 1e-3, 0.0, 0.0, 0.0, 0.0],
        "fitted": [shared, shared, shared, shared, shared, other, None, '{"fit_best_step": 0}'],
    })
    out = report.distinct_fits(rows)
    assert list(out.index) == [0, 2, 3, 4, 5, 6, 7]  # only trial 0's GFT-r row shares its fit
    kept = report.kept_start(out).set_index("method")
    assert kept.loc["gft", "kept"] == 3 and kept.loc["gft-r", "kept"] == 2


def test_styled_table_as_text_shows_the_displayed_values():
    idx = pd.MultiIndex.from_product([["polynomial-d5", "ishigami-d10"], ["book", "paper"]],
                                     names=["setting", "preset"])
    values = np.array([[1.23456e-6, np.nan], [0.5, 2.0], [3e-5, 1e7], [0.1, 0.25]])
    frame = pd.DataFrame(values, index=idx, columns=["GFT-r", "RFF < GFT"])
    text = report._styler_text(frame.style.format("{:.3g}", na_rep="—", escape="html").set_caption("test MSE"))
    lines = text.splitlines()
    assert lines[0] == "test MSE" and "0x" not in text
    assert lines[1].split()[-3:] == ["RFF", "<", "GFT"]  # the HTML escape undone
    body = [line.split() for line in lines[3:]]
    # every row names its setting (no sparse index) and shows the values as formatted
    expected = [[s, p] + [("—" if np.isnan(v) else f"{v:.3g}") for v in row]
                for (s, p), row in zip(idx, values)]
    assert body == expected
    widths = {len(line) for line in lines[3:]}
    assert len(widths) == 1  # right-aligned columns end together
    hidden = report._styler_text(frame.reset_index().style.hide(axis="index").format("{:.1f}", subset=["GFT-r"]))
    assert hidden.splitlines()[1].split()[:3] == ["polynomial-d5", "book", "0.0"]
