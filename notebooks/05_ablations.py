# ---
# jupyter:
#   accelerator: GPU
#   colab:
#     gpuType: T4
#     provenance: []
#   jupytext:
#     notebook_metadata_filter: kernelspec,jupytext,mystnb,colab,accelerator,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Ablations
#
# The [benchmark tables](04_synthetic_benchmarks.ipynb) fix $N = 100$ features, a
# generator of three hidden layers of width 512 and a training budget. This chapter varies
# one thing at a time on one setting (Friedman 1 in $d = 5$ unless a knob says otherwise):
#
# 1. the number of features $N$, for GFT-r, the network trained end to end (NN) and random
#    Fourier features (RFF) {cite:p}`rahimi2007random`;
# 2. the weight $\lambda$ of the total-variation regulariser
#    {cite:p}`rudin1992tv`
#
#    $$
#    L(w) = \frac1M \sum_{k=1}^M \bigl(f_{w,\hat b(w)}(x_k) - y_k\bigr)^2
#         + \lambda\, \frac1n \sum_{j=1}^n \lVert \nabla_x f_{w,\hat b(w)}(\xi_j) \rVert_1 ,
#    $$
#
#    with $n$ points $\xi_j$ drawn uniformly in the box of the training inputs, afresh at
#    every step (the [notation page](../book/notation.md) lists the symbols), on a noisy
#    variant of the setting, where fitting the labels exactly is wrong;
# 3. the generator's width and its number of training steps;
#
# and it adds a noisy curve of one variable, to show what the TV penalty does to a single
# fit, and a comparison of GFT with GFT-r on every committed benchmark cell, to measure what
# the refinement phase adds.
#
# **Claims.** GFT-r reaches the best error of random features with a small fraction of their
# features; random features improve at every step of the $N$ grid, but from $N = 10$ to $50$
# far more slowly than GFT-r. With strong label noise and a reduced
# budget, the $\lambda$ sweep shows no robust benefit of the TV term: which $\lambda$ validation
# picks, and how much it lowers the test error, change between two versions of the code, and at the
# largest $\lambda$ no training step is kept; a noisy curve of one variable shows what the
# penalty does to a fit. After the longest training, the narrowest generator fits clearly
# worse than the wider ones; the widest takes about four times as long as the narrowest (the
# claim checks more than 2.5 times). On the committed benchmark results, the
# refinement phase lowers the mean error on every synthetic cell, lowers it by more than 10 %
# on four of the six real data sets (CCPP, galaxy, propulsion, telemonitoring; on CCPP only by
# partly repairing the draws whose generator did not train, as chapter 06 shows), and changes it
# by less than 10 % on the other two (airfoil, SkillCraft). The claims that the page measures
# are checked where they are computed and listed in the table at the end of the page; the
# other comparisons in words (the timings other than the widest generator's, for one) are
# read off the printed tables and the figures.
#
# Together the sweeps would take longer at the `book` preset's full budget than a chapter
# should spend (even at the reduced budgets below the three take about nine minutes, each
# one's time printed where it is read), so the $N$ and $\lambda$ sweeps use reduced budgets (a
# fraction of the preset's Adam steps, below), the generator sweep its own list of steps, and
# all three are stored: `python benchmarks/ablations.py` runs this chapter with
# `write_ablations = True`, which writes each sweep to `book/results/ablations/` with its
# configuration (arguments and the preset's values) and provenance. A run reads a stored
# sweep when its configuration is the one asked for, and recomputes it otherwise (in Colab,
# where the folder is absent, it always computes).

# %% tags=["hide-input"]
import json
import os
import subprocess
import sys

if "google.colab" in sys.modules:  # Colab: install gft from its repository first
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "git+https://github.com/gft-book/gft"], check=True)

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import Markdown, display

import gft
from gft import GFTRegressor, NNRegressor
from gft.datasets import load_setting
from gft.experiments import method_labels, report, start_chapter, sweeps
from gft.presets import get_preset

pd.set_option("display.width", 200)
device = "cuda" if torch.cuda.is_available() else "cpu"

# %% tags=["parameters"]
preset = os.environ.get("GFT_PRESET", "book")  # "smoke" (seconds), "book" (these pages), "paper"
setting = "friedman1-d5"  # the setting of all sweeps
budget_fraction = 1 / 3  # share of the preset's Adam steps the N sweep uses
tv_budget_fraction = 1 / 6  # ... and the λ sweep
n_values = [10, 25, 50, 100, 200, 400]
n_methods = ["gft-r", "nn", "rff"]
n_seeds = [0, 1]
label_noise = 3.0  # σ_ε of the Gaussian noise on the training labels of the λ sweep
lambdas = [0.0, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]  # the protocol's grid
tv_seeds = [0, 1, 2]
widths = [32, 128, 512]  # generator hidden width (three hidden layers)
gen_seeds = [0, 1, 2]  # data draws and initialisations of the width and steps sweep
step_fractions = [1 / 12, 1 / 3, 1]  # generator steps, as fractions of the preset's
demo_noise = 0.3  # σ_ε of the label noise of the 1-D example
demo_lambda = 1e-2  # its TV weight
n_demo_seeds = 5  # its data draws and initialisations
demo_steps = 500  # Adam steps of each phase in the 1-D example, at every preset (about 4 s a fit)
write_ablations = False  # True: sweeps not stored for this configuration are run and written
seed = 0  # seeds the draws this page makes itself (the 1-D example); the sweeps use the seed lists above
assert_claims = True  # False: compute and report the claims without asserting them
claims_file = None  # a CSV the claims table is appended to (benchmarks/claim_margins.py)

# %%
claims = start_chapter(preset, seed, assert_claims, claims_file)  # seeds random, NumPy, torch
demo_seeds = [n_demo_seeds * seed + k for k in range(n_demo_seeds)]  # disjoint sets per seed
LABELS = {m: method_labels()[m] for m in ("gft", "gft-r", "nn", "rff")}
gft_steps = get_preset(preset)
nn_steps = NNRegressor.presets[preset]["steps"]


def scaled(fraction: float) -> dict:
    """Estimator keywords for a share ``fraction`` of the preset's Adam steps (at least 2)."""
    return {"gft": dict(generator_steps=max(2, round(fraction * gft_steps["generator_steps"])),
                        refine_steps=max(2, round(fraction * gft_steps["refine_steps"]))),
            "nn": dict(steps=max(2, round(fraction * nn_steps)))}


budget, tv_budget = scaled(budget_fraction), scaled(tv_budget_fraction)
# what the stored sweeps must have been made with, besides their own arguments
PRESET_VALUES = {"gft": gft_steps, "nn": NNRegressor.presets[preset]}
results_root = report.results_dir()
ablations_dir = None if results_root is None else results_root / "ablations"
COMMAND = f"python benchmarks/ablations.py --preset {preset}"


def stored_sweep(name: str, function, config: dict) -> pd.DataFrame:
    """The sweep ``name`` at this preset: read from book/results/ablations if it matches, else run."""
    path = None if ablations_dir is None else ablations_dir / f"{name}__{preset}.csv"
    fingerprint = dict(PRESET_VALUES)
    if "nn" in config.get("methods", ()):  # the network's initialisation is part of what it is
        fingerprint["nn_init"] = NNRegressor().init
    df, origin = sweeps.cached_sweep(path, function, config, fingerprint=fingerprint,
                                      write=write_ablations, command=COMMAND, device=device,
                                      progress=False)
    print(f"{name}: {origin} ({len(df)} rows; whole sweep {df['sweep_wall_seconds'].iloc[0]:.0f} s"
          + (f", {df['date'].iloc[0][:10]}" if "date" in df else "")
          + (f", commit {df['commit'].iloc[0][:7]}" if "commit" in df else "") + ")")
    return df


print(f"gft {gft.__version__}, preset {preset!r}, device {device}")
print("budget of the N sweep:", budget)
print("budget of the λ sweep:", tv_budget, "| the 1-D example: book generator,", demo_steps, "steps per phase")

# %% [markdown]
# ## The number of features
#
# Test MSE against $N$ on a log–log scale, mean over the two seeds with their range as error bar;
# the training time beside it. Each seed is a new data draw and a new initialisation; no TV
# ($\lambda = 0$, the labels are exact).

# %%
n_sweep = stored_sweep("n_features", sweeps.sweep_n_features, dict(
    setting=setting, methods=n_methods, n_values=n_values, seeds=n_seeds, preset=preset,
    budget=budget, tv_weight=0.0))
n_summary = sweeps.sweep_summary(n_sweep, ["n_features"])


def plot_sweep(summary: pd.DataFrame, x: str, ax_mse, ax_time, methods, xlabel: str) -> None:
    """Mean test MSE (range as error bar) and mean training time against ``x``, one line per method."""
    for method in methods:
        part = summary[summary["method"] == method].sort_values(x)
        mean = part["test_mse_mean"].to_numpy()
        err = np.stack([mean - part["test_mse_min"], part["test_mse_max"] - mean])
        colour = f"C{list(LABELS).index(method)}"
        ax_mse.errorbar(part[x], mean, yerr=err, marker="o", capsize=3, color=colour,
                        label=LABELS[method])
        ax_time.plot(part[x], part["train_seconds_mean"], marker="o", color=colour,
                     label=LABELS[method])
    ax_mse.set_yscale("log")
    ax_mse.set_ylabel("test MSE")
    ax_time.set_yscale("log")
    ax_time.set_ylabel("training time (s)")
    for ax in (ax_mse, ax_time):
        ax.set_xlabel(xlabel)
        ax.legend(fontsize="small")
        ax.grid(alpha=0.3, which="both")


fig, (ax_mse, ax_time) = plt.subplots(1, 2, figsize=(11, 3.8), constrained_layout=True)
plot_sweep(n_summary, "n_features", ax_mse, ax_time, n_methods, "number of features $N$")
ax_mse.set_xscale("log")
ax_time.set_xscale("log")
ax_mse.set_title(f"{setting}: test MSE against N")
ax_time.set_title("training time")
plt.show()

# %%
n_table = n_summary.pivot(index="n_features", columns="method", values="test_mse_mean")[n_methods]
display(n_table.rename(columns=LABELS).style.format("{:.3g}").set_caption("mean test MSE"))


def smallest_n_reaching(method: str, target: float) -> float:
    """The smallest N of the sweep whose mean test MSE is at most ``target`` (NaN if none)."""
    reached = n_table.index[n_table[method] <= target]
    return float(reached.min()) if len(reached) else float("nan")


if {"gft-r", "rff"} <= set(n_methods):
    rff_best = float(n_table["rff"].min())
    n_gft = smallest_n_reaching("gft-r", rff_best)
    n_mid = n_values[len(n_values) // 2]
    middle_ns = [n for n in n_table.index[:-1] if n >= 50]  # from 50 to the one before the largest
    middle = n_table.loc[middle_ns, "gft-r"]
    middle_spread = float(middle.max() / middle.min()) if len(middle_ns) > 1 else float("nan")
    largest_n_jump = float(n_table["gft-r"].iloc[-1] / n_table["gft-r"].min())
    display(Markdown(
        f"The best random-feature model of the sweep (N = {int(n_table['rff'].idxmin())}) has "
        f"mean test MSE {rff_best:.3g}; GFT-r gets there with N = {n_gft:.0f}. At N = {n_mid} "
        f"the ratio RFF / GFT-r of mean test MSE is "
        f"{n_table.loc[n_mid, 'rff'] / n_table.loc[n_mid, 'gft-r']:.3g}. GFT-r's error is "
        f"smallest at N = {int(n_table['gft-r'].idxmin())} in this sweep "
        f"({n_table['gft-r'].min():.3g}) and grows beyond: {n_table['gft-r'].iloc[-1]:.3g} at "
        f"N = {n_table.index[-1]}, {largest_n_jump:.3g} times its best"
        + (f", while from N = {middle_ns[0]} to {middle_ns[-1]} its mean stays within a factor of "
           f"{middle_spread:.2g}." if len(middle_ns) > 1 else ".")
        + (f" The NN's mean test MSE is {n_table['nn'].iloc[0]:.3g} at N = {n_table.index[0]} and "
           f"{n_table['nn'].iloc[-1]:.3g} at N = {n_table.index[-1]}; its best is "
           f"{n_table['nn'].min():.3g}, at N = {int(n_table['nn'].idxmin())}." if "nn" in n_table else "")))

# %% [markdown]
# Random features improve at every step of the $N$ grid, but from $N = 10$ to $50$ far more
# slowly than GFT-r (a factor of about 10 against $10^4$, the table). The learned features improve much faster at first, and then
# hardly with more features: at this reduced budget (a third of the book preset's steps)
# GFT-r's error moves by a small factor from $N = 50$ to $200$ (printed above; with two seeds,
# which $N$ is smallest is not a finding) and is far worse at $N = 400$. Three causes are
# plausible and not separated here: the same number of Adam steps has to place more
# features; the ridge system of many nearly redundant features is worse conditioned; and
# $N = 400$ is close to the 450 rows the fit uses (500 training rows less the validation
# tenth), where the complex least-squares solve reaches its interpolation threshold $N = M$
# (here $M = 450$; [chapter 02](02_derivations.ipynb)) and, with $\delta = 10^{-7}$, the solution can
# oscillate between the data points. Random features, with the same solve, $\delta$ and $M$,
# still improve from $N = 200$ to $400$ (the table above), which weakens the last two. So
# "more features" helps random features, and helps GFT-r only up to a point at a fixed
# budget. The NN is trained from PyTorch's default initialisation, as in the paper; its
# errors are stated above. The training times show the trend (RFF costs a ridge solve per scale
# $\sigma$ of its validation grid, the trained
# methods thousands of steps whose cost grows with $N$); each point is the mean of two runs.
# The claims:

# %%
assert np.all(np.isfinite(n_sweep["test_mse"])), n_sweep
assert np.all(n_sweep["train_seconds"] >= 0)
if {"gft-r", "rff"} <= set(n_methods):
    claims.check("RFF improves at every step of the N grid (steps where it does)",
                 int((np.diff(n_table["rff"].to_numpy()) < 0).sum()), ">=", len(n_table) - 1)
    claims.check("GFT-r beats RFF at equal N for every N (smallest ratio RFF / GFT-r)",
                 float((n_table["rff"] / n_table["gft-r"]).min()), ">", 1)
    claims.check("GFT-r reaches RFF's best error with at most a quarter of RFF's largest N",
                 n_gft, "<=", max(n_values) / 4)
    small = [n for n in n_table.index if n <= 50]
    if len(small) > 1:
        gain = n_table.loc[small[0]] / n_table.loc[small[-1]]  # each method's factor over that range
        claims.check(f"from N = {small[0]} to {small[-1]} GFT-r improves far faster than RFF "
                     "(GFT-r's factor over RFF's)", float(gain["gft-r"] / gain["rff"]), ">", 100)
    claims.check("GFT-r is worse at the largest N than at its best N (ratio of mean test MSE)",
                 largest_n_jump, ">", 3)
    if len(middle_ns) > 1:
        claims.check(f"that step is larger than GFT-r's variation from N = {middle_ns[0]} to {middle_ns[-1]} "
                     "(ratio of the two factors)", largest_n_jump / middle_spread, ">", 1)

# %% [markdown]
# ## The TV weight on noisy labels
#
# Now the training labels carry Gaussian noise, $y_k = f(x_k) + \varepsilon_k$ with
# $\varepsilon_k \sim \mathcal{N}(0, \sigma_\varepsilon^2)$ (`load_setting(..., noise=σ_ε)`), while the test labels
# stay exact, so the test MSE measures the distance to $f$. Without a regulariser the
# features are free to fit the noise (the validation split, itself noisy, only chooses which
# iterate is kept). The TV term penalises the mean $\ell^1$ norm of the gradient of the fit:
# a small $\lambda$ removes wiggles, a large one flattens the function itself (in principle:
# here, at the largest weight, no step validates better than the initial features, below).
# Random features (no TV term) are drawn as a $\lambda$-independent reference.

# %%
tv_sweep = stored_sweep("tv_weight", sweeps.sweep_tv_weight, dict(
    setting=setting, methods=["gft", "gft-r", "rff"], lambdas=lambdas, seeds=tv_seeds,
    preset=preset, budget=tv_budget, noise=label_noise))
tv_summary = sweeps.sweep_summary(tv_sweep, ["tv_weight"])
tv_table = tv_summary.pivot(index="tv_weight", columns="method", values="test_mse_mean")

# The largest weight, fitted once more per seed at the sweep's budget to read the training histories
top_lambda = float(tv_table.index[-1])
top_steps = {}  # seed -> phase -> the step whose iterate the fit kept
top_refit_mse = {}  # seed -> GFT-r's test MSE of the refit, to set beside the stored row
for tv_seed in tv_seeds:
    X_noisy, y_noisy, X_exact_test, y_exact_test = load_setting(setting, seed=tv_seed, noise=label_noise)
    top_fit = GFTRegressor.from_preset(preset, tv_weight=top_lambda, random_state=tv_seed, device=device,
                                       progress=False, **tv_budget["gft"]).fit(X_noisy, y_noisy)
    top_steps[tv_seed] = {phase: int(h.best_step) for phase, h in top_fit.history_.items()}
    top_refit_mse[tv_seed] = float(np.mean((top_fit.predict(X_exact_test) - y_exact_test) ** 2))
stored_top = tv_sweep[(tv_sweep["tv_weight"] == top_lambda) & (tv_sweep["method"] == "gft-r")].set_index("seed")["test_mse"]
refit_vs_stored = max(abs(top_refit_mse[s] / stored_top[s] - 1) for s in tv_seeds if s in stored_top.index)
top_untrained = all(step <= 0 for kept in top_steps.values() for step in kept.values())

fig, ax = plt.subplots(figsize=(6.5, 3.8), constrained_layout=True)
positions = {lam: i for i, lam in enumerate(sorted(tv_summary["tv_weight"].unique()))}
largest = max(positions) if top_untrained else None  # fits that never left their start: drawn apart, hollow
for method in ["gft", "gft-r", "rff"]:
    part = tv_summary[tv_summary["method"] == method].sort_values("tv_weight")
    mean = part["test_mse_mean"].to_numpy()
    err = np.stack([mean - part["test_mse_min"], part["test_mse_max"] - mean])
    x = np.array([positions[v] + 0.06 * (list(LABELS).index(method) - 1) for v in part["tv_weight"]])
    color, apart = f"C{list(LABELS).index(method)}", (part["tv_weight"] == largest).to_numpy() & (method != "rff")
    ax.errorbar(x[~apart], mean[~apart], yerr=err[:, ~apart], marker="o", capsize=3, color=color,
                label=LABELS[method], ls="--" if method == "rff" else "-")
    ax.errorbar(x[apart], mean[apart], yerr=err[:, apart], marker="o", mfc="none", capsize=3,
                color=color, ls="none")
ax.set_xticks(list(positions.values()), [f"{v:g}" + ("\n(untrained)" if v == largest else "") for v in positions])
ax.set_xlabel(r"TV weight $\lambda$")
ax.set_ylabel("test MSE (to the noise-free target)")
ax.set_yscale("log")
ax.set_title(f"{setting}, label noise σ_ε = {label_noise:g}, {len(tv_seeds)} seeds")
ax.legend(fontsize="small")
ax.grid(alpha=0.3, which="both")
plt.show()



def validated_lambda(sweep: pd.DataFrame) -> tuple[float, pd.DataFrame, int]:
    """GFT-r's λ chosen by validation, on the mean validation MSE over the seeds (the protocol
    selects on one draw; noisy labels, as in training; never the test MSE, which a user does not
    have); its test MSE per λ and seed; and on how many seeds that λ lowers it against λ = 0
    (the same data draw)."""
    val = sweep[sweep["method"] == "gft-r"].groupby("tv_weight")["val_mse"].mean()
    lam = float(val.idxmin())
    per_seed = sweep[sweep["method"] == "gft-r"].pivot(index="tv_weight", columns="seed", values="test_mse")
    return lam, per_seed, int((per_seed.loc[lam] < per_seed.iloc[0]).sum())


val_table = tv_summary.pivot(index="tv_weight", columns="method", values="val_mse_mean")
best_lambda, paired, helped = validated_lambda(tv_sweep)
display(pd.concat({"validation MSE (noisy labels)": val_table[["gft", "gft-r"]],
                   "test MSE (to the noise-free target)": tv_table[["gft", "gft-r"]]}, axis=1)
        .rename(columns=LABELS).style.format("{:.3g}").format_index("{:g}").set_caption("means over the seeds"))
rff_noisy = float(tv_table["rff"].mean())
rff_by_seed = tv_sweep[tv_sweep["method"] == "rff"].groupby("seed")["test_mse"].first()
selected = float(tv_table.loc[best_lambda, "gft-r"])
difference = rff_by_seed - paired.loc[best_lambda]  # the same data draw for both
display(Markdown(
    f"The mean validation MSE over the {paired.shape[1]} seeds picks λ = {best_lambda:g}. GFT-r's mean test MSE is "
    f"{tv_table['gft-r'].iloc[0]:.3g} without TV and {selected:.3g} at λ = {best_lambda:g}; seed "
    f"by seed (the same data draw with and without TV), λ = {best_lambda:g} lowers it on {helped} "
    f"of {paired.shape[1]} seeds. Random features reach {rff_noisy:.3g} on average; per seed, "
    f"RFF's test MSE minus GFT-r's at λ = {best_lambda:g} is "
    + ", ".join(f"{v:+.2g}" for v in difference)
    + f" (RFF is better on {int((difference < 0).sum())} of {len(difference)} seeds)."))

# Same seed, same initial generator and the same evaluation draws: a fit that ends exactly
# where the largest weight's fit ends kept the same untrained start.
gft_by_lambda = tv_sweep[tv_sweep["method"] == "gft"].pivot(index="tv_weight", columns="seed", values="test_mse")
at_start = (gft_by_lambda - gft_by_lambda.loc[top_lambda]).abs().le(1e-12 * gft_by_lambda.loc[top_lambda])
at_start = at_start.drop(index=top_lambda)
display(Markdown(
    "Generator fits that end exactly where the same seed's fit at the largest weight ends "
    f"(the same untrained start): {int(at_start.to_numpy().sum())} of the {at_start.size} fits below "
    f"λ = {top_lambda:g}: "
    + ("; ".join(f"seed {seed} at λ = " + ", ".join(f"{lam:g}" for lam in at_start.index[at_start[seed]])
                 + f" (test MSE {gft_by_lambda.loc[top_lambda, seed]:.4g})"
                 for seed in at_start.columns if at_start[seed].any()) or "none")
    + "."))


def sweep_setup(df: pd.DataFrame) -> dict:
    """A stored sweep's arguments, without the preset fingerprint (which records more than the sweep uses)."""
    return {k: v for k, v in json.loads(df["config"].iloc[0]).items() if k != "fingerprint"}


earlier_path = None if ablations_dir is None else ablations_dir / f"tv_weight_earlier__{preset}.csv"
earlier = pd.read_csv(earlier_path) if earlier_path is not None and earlier_path.is_file() else None
if earlier is not None and "commit" in tv_sweep and sweep_setup(earlier) == sweep_setup(tv_sweep):
    earlier_lambda, earlier_paired, earlier_helped = validated_lambda(earlier)
    earlier_test = earlier_paired.mean(axis=1)
    both = pd.concat({"now": tv_sweep, "earlier": earlier}).reset_index(level=0, names="run")
    at_top = both[(both["tv_weight"] == top_lambda) & both["method"].isin(["gft", "gft-r"])]
    at_top = at_top.pivot_table(index=["method", "seed"], columns="run", values="test_mse")
    top_change = float(((at_top["now"] - at_top["earlier"]).abs() / at_top["earlier"]).max())
    earlier_rff = earlier[earlier["method"] == "rff"].groupby("seed")["test_mse"].first()
    earlier_difference = earlier_rff - earlier_paired.loc[earlier_lambda]
    kept = sorted({step for kept in top_steps.values() for step in kept.values()})
    display(Markdown(
        f"The same sweep with an earlier version of the code (commit "
        f"{earlier['commit'].iloc[0][:7]}"
        + (" with uncommitted changes" if str(earlier["dirty"].iloc[0]) == "True" else "")
        + f" of {earlier['date'].iloc[0][:10]}; the stored sweep read above: commit "
        f"{tv_sweep['commit'].iloc[0][:7]} of {tv_sweep['date'].iloc[0][:10]}), on the same seeds, "
        f"data and budget, picked λ = {earlier_lambda:g}, and there it lowered GFT-r's test MSE on "
        f"{earlier_helped} of {earlier_paired.shape[1]} seeds (mean {earlier_test.iloc[0]:.3g} "
        f"without TV, {earlier_test.loc[earlier_lambda]:.3g} with); there RFF's test MSE minus GFT-r's "
        f"at that λ is " + ", ".join(f"{v:+.2g}" for v in earlier_difference)
        + f" (RFF better on {int((earlier_difference < 0).sum())} of {len(earlier_difference)} seeds). "
        "Random features' own test MSE per seed, this run against the earlier one: "
        + ", ".join(f"{now:.3g} against {then:.3g}" for now, then in zip(rff_by_seed, earlier_rff.reindex(rff_by_seed.index)))
        + ". "
        f"At the largest weight, λ = {top_lambda:g}, the two runs agree on every seed and for both "
        f"phases (largest relative difference {top_change:.1g}), and refits of seeds "
        f"{', '.join(map(str, tv_seeds))} at that weight (run by this page) keep step "
        f"{', '.join(map(str, kept))} of both phases (their GFT-r test MSE within a relative "
        f"{refit_vs_stored:.1g} of the stored λ = {top_lambda:g} rows')"
        + (": no step improved the validation MSE of the initial features, so the λ = 1 column "
           "shows untrained fits, not over-smoothing." if top_untrained else ".")))
    claims.check("the two runs of the λ sweep validate different weights (1 if they do)",
                 int(earlier_lambda != best_lambda), ">=", 1)

# %% [markdown]
# With labels this noisy and a sixth of the book budget, the sweep does not show that TV
# helps: each seed is a new data draw with its own noise, the spread over seeds is as large
# as any effect, and the validation split — a tenth of the noisy training rows, 50 of them
# — ranks candidates whose mean validation errors differ by a few tenths. On one split the
# noise terms $\varepsilon_k^2$ common to two candidates $g_1, g_2$ cancel in the difference
# of their validation errors, but the cross terms $2\varepsilon_k\,(g_2(x_k) - g_1(x_k))$ do not: their
# mean has standard deviation $2\sigma_\varepsilon \lVert g_1 - g_2 \rVert / \sqrt{50}$, with
# $\lVert\cdot\rVert$ the root mean square over the 50 points, about $0.85$ for two fits one unit
# apart ($\sigma_\varepsilon = 3$), more than those tenths (and about $0.85/\sqrt3 \approx 0.49$ for
# the mean over the three seeds that the selection above compares, still more). Which weight validation picks, on how
# many seeds that weight lowers the test error, and by how much all changed with the version
# of the code (the two runs above). At the largest weight no fit left its start, and neither
# did several generator fits at smaller weights (counted above; for seed 1 at every weight,
# $\lambda = 0$ included, so that failure is not the TV term's doing): the GFT curve mixes trained
# fits with untrained ones (the figure marks only $\lambda = 1$), and GFT-r refines most of them,
# not all: at $\lambda = 0.1$ seed 1's refinement kept its start too, its row identical to the
# $\lambda = 1$ one (`book/results/ablations/tv_weight__book.csv`).
# Which $\lambda$ is best depends on the noise level and on the target's own variation, which
# is why the protocol selects it on validation data; the claims here are only those both
# runs support. Nor do the two runs agree on random features against GFT-r: they compare at
# different weights, random features' own errors changed with the code, and on one seed the
# difference changes sign (in this run random features' mean test error is level with
# GFT-r's best, both 1.66 at $\lambda = 10^{-3}$, and below GFT-r's at every other $\lambda$). On data this noisy, the learned features have no clear advantage
# over random features with a validated scale $\sigma$ (chapter 06
# shows the same on CCPP and, draw by draw, on SkillCraft, and shows TV at work where it
# matters more, on inputs with noise columns). The 1-D example below shows what the penalty does to a single fit.

# %%
assert np.all(np.isfinite(tv_sweep["test_mse"])), tv_sweep
rff_values = tv_sweep[tv_sweep["method"] == "rff"].groupby("seed")["test_mse"].nunique()
assert (rff_values == 1).all()  # the reference does not depend on λ
claims.check("at the largest λ no fit leaves its start (largest kept step, over the seeds and both phases)",
             max(step for kept in top_steps.values() for step in kept.values()), "<=", 0)

# %% [markdown]
# ### A noisy curve, with and without TV
#
# What the penalty does, on a function of one variable that can be drawn: a step plus a wave,
#
# $$
# f(x) = \mathbf 1_{x > 1/2} + \tfrac12 \sin(4\pi x),
# $$
#
# with 200 samples carrying Gaussian label noise, $\sigma_\varepsilon = 0.3$. We fit GFT-r without TV and with TV ($\lambda = 10^{-2}$, set by hand
# for this example, not validated) and measure both the test
# error and the total variation $\int_0^1 |g'(x)|\,dx$ of each fit $g$ (by finite
# differences on a fine grid), next to the target's, which is 5: 1 for the step and 4 for
# the wave. One fit says little, so each of five seeds draws new data and a new
# initialisation. This example is cheap, so it runs with the `book` generator and
# `demo_steps` steps per phase at every preset, and its claims are computed wherever the
# chapter runs (and asserted at every preset but `smoke`, as all claims are).

# %%
def target_1d(x: np.ndarray) -> np.ndarray:
    """A unit step at 1/2 plus a sine of amplitude 1/2 with two periods on [0, 1]."""
    return (x > 0.5).astype(float) + 0.5 * np.sin(4 * np.pi * x)


x_grid = np.linspace(0.0, 1.0, 2001)
target_tv = float(np.abs(np.diff(target_1d(x_grid))).sum())
demo_fits, demo_rows, demo_data = {}, [], {}
for demo_seed in demo_seeds:
    rng = np.random.default_rng(demo_seed)
    x_demo = rng.random(200)
    y_demo = target_1d(x_demo) + demo_noise * rng.standard_normal(x_demo.shape)
    for lam in (0.0, demo_lambda):
        model = GFTRegressor.from_preset("book", tv_weight=lam, device=device, random_state=demo_seed,
                                         progress=False, generator_steps=demo_steps,
                                         refine_steps=demo_steps).fit(x_demo[:, None], y_demo)
        fit = model.predict(x_grid[:, None])
        demo_fits[demo_seed, lam] = fit
        demo_rows.append(dict(seed=demo_seed, tv_weight=lam,
                              test_mse=float(np.mean((fit - target_1d(x_grid)) ** 2)),
                              total_variation=float(np.abs(np.diff(fit)).sum()),
                              kept_steps=tuple(model.history_[phase].best_step for phase in ("generator", "refine"))))
    demo_data[demo_seed] = x_demo, y_demo
demo = pd.DataFrame(demo_rows)
demo_wide = demo.pivot(index="seed", columns="tv_weight", values=["total_variation", "test_mse"])
demo_median = demo.groupby("tv_weight")[["total_variation", "test_mse"]].median()
demo_wide.columns = [f"{'TV' if q == 'total_variation' else 'test MSE'}, λ = {lam:g}" for q, lam in demo_wide.columns]
display(demo_wide.style.format("{:.3g}").set_caption(
    f"GFT-r on the noisy curve, by seed (the target's total variation is {target_tv:.3g})"))

# the seed whose fit without TV has the median total variation: a typical one, not the best
tv_free_by_seed = demo[demo["tv_weight"] == 0.0].set_index("seed")["total_variation"]
kept_without_tv = demo[demo["tv_weight"] == 0.0].set_index("seed")["kept_steps"]  # (generator, refinement)
shown = int((tv_free_by_seed - tv_free_by_seed.median()).abs().idxmin())
x_shown, y_shown = demo_data[shown]
fig, ax = plt.subplots(figsize=(9, 3.6), constrained_layout=True)
ax.plot(x_shown, y_shown, ".", color="0.6", ms=3, label="noisy training data")
ax.plot(x_grid, target_1d(x_grid), color="k", lw=2.5, alpha=0.35, label="target")
ax.plot(x_grid, demo_fits[shown, 0.0], color="C3", lw=1.2, label=r"GFT-r, $\lambda = 0$")
ax.plot(x_grid, demo_fits[shown, demo_lambda], color="C1", lw=1.5,
        label=rf"GFT-r, $\lambda = {demo_lambda:g}$")
ax.set_xlabel("$x$")
ax.set_ylabel("$y$")
ax.set_title(f"seed {shown}: the median total variation without TV")
ax.legend(fontsize="small", ncol=2)
plt.show()

tv_free, tv_on = demo_median.loc[0.0], demo_median.loc[demo_lambda]
helped_demo = int((demo_wide[f"test MSE, λ = {demo_lambda:g}"] < demo_wide["test MSE, λ = 0"]).sum())
display(Markdown(
    f"Medians over the {len(demo_seeds)} seeds, each taken on its own (they need not come from "
    f"the same seed): without TV the total variation is "
    f"{tv_free['total_variation']:.3g} ({tv_free['total_variation'] / target_tv:.1f} times the "
    f"target's) and the test MSE {tv_free['test_mse']:.3g}; with λ = {demo_lambda:g} they are "
    f"{tv_on['total_variation']:.3g} ({tv_on['total_variation'] / target_tv:.2f} times) and "
    f"{tv_on['test_mse']:.3g}. TV lowers the test error on {helped_demo} of {len(demo_seeds)} seeds."
    + (f" Without TV, the fit of {len(stuck)} seed(s) ({', '.join(map(str, stuck))}) has less total "
       "variation than the target, an underfit; the steps it kept (generator, refinement) are "
       + ", ".join(f"{kept_without_tv[s]} (seed {s})" for s in stuck)
       + (": both phases kept their start, where validation was lowest."
          if all(kept_without_tv[s] == (0, 0) for s in stuck) else ".")
       if (stuck := list(tv_free_by_seed.index[tv_free_by_seed < target_tv])) else "")))

# %% [markdown]
# Without TV the typical fit follows the noise, with several times the target's total
# variation (a fit can also underfit, with less total variation than the target; the output
# above says when one does, and which steps it kept); with TV its total
# variation is close to the target's. The $\ell^1$ norm of the gradient charges
# a monotone rise its height, however steep or gentle, so it removes the wiggles the noise
# causes without charging the step more than any other rise of the same height; it does not
# favour a sharp step over a steep ramp of the same height. The claims are on the medians
# over the seeds, because a single seed's fit can fail on its own (as the sentence above
# reports when one does), but for one, that TV lowers the test MSE on every seed:

# %%
assert np.isfinite(demo[["test_mse", "total_variation"]].to_numpy()).all(), demo
claims.check("noisy curve: without TV, the median total variation over the seeds / the target's",
             tv_free["total_variation"] / target_tv, ">", 1.5)
claims.check(f"noisy curve: with λ = {demo_lambda:g}, the median total variation over the seeds / the target's "
             "(close to it: below 1.5)", tv_on["total_variation"] / target_tv, "<", 1.5)
claims.check(f"noisy curve: with λ = {demo_lambda:g}, the median total variation over the seeds / the target's "
             "(close to it: above 0.8)", tv_on["total_variation"] / target_tv, ">", 0.8)
claims.check(f"noisy curve: λ = {demo_lambda:g} lowers the median test MSE (ratio without / with)",
             tv_free["test_mse"] / tv_on["test_mse"], ">", 1)
claims.check("noisy curve: seeds on which TV lowers the test MSE (every seed)", helped_demo, ">=", len(demo_seeds))

# %% [markdown]
# ## The generator: width and training length
#
# GFT alone (a fresh feature draw, no refinement), exact labels, generators with three
# hidden layers of the given width, trained for the given number of Adam steps; the mean
# over the seeds `gen_seeds`, each a new data draw and initialisation (bars: the smallest to the largest seed).

# %%
steps = sorted({max(2, round(f * gft_steps["generator_steps"])) for f in step_fractions})
gen_sweep = stored_sweep("generator", sweeps.sweep_generator, dict(
    setting=setting, widths=widths, steps=steps, depth=3, methods=["gft"], seeds=gen_seeds,
    preset=preset, tv_weight=0.0))
gen_mse = gen_sweep.pivot_table(index="generator_steps", columns="width", values="test_mse")
gen_time = gen_sweep.pivot_table(index="generator_steps", columns="width", values="train_seconds")

fig, (ax_mse, ax_time) = plt.subplots(1, 2, figsize=(11, 3.8), constrained_layout=True)
gen_range = gen_sweep.groupby(["generator_steps", "width"])["test_mse"].agg(["min", "max"]).unstack("width")
for i, width in enumerate(gen_mse.columns):
    # the mean over the seeds, bars from the smallest to the largest seed
    spread = np.stack([gen_mse[width] - gen_range["min"][width], gen_range["max"][width] - gen_mse[width]])
    ax_mse.errorbar(gen_mse.index * (1 + 0.03 * (i - 1)), gen_mse[width], yerr=spread, marker="o",
                    capsize=3, color=f"C{i}", label=f"width {width}")
    ax_time.plot(gen_time.index, gen_time[width], marker="o", color=f"C{i}", label=f"width {width}")
for ax, ylabel in ((ax_mse, "test MSE (GFT)"), (ax_time, "training time (s)")):
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(steps, [str(s) for s in steps])
    ax.xaxis.set_minor_locator(plt.NullLocator())
    ax.set_xlabel("generator steps")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3, which="both")
ax_mse.set_title(f"{setting}: accuracy against generator size and steps")
ax_time.set_title("training time")
plt.show()
display(gen_mse.style.format("{:.3g}").set_caption(
    f"mean test MSE over {len(gen_seeds)} seeds (rows: steps, columns: width)"))
longest, narrow, wide = gen_mse.index[-1], gen_mse.columns[0], gen_mse.columns[-1]
display(Markdown(
    f"After {longest} steps the mean test MSE is {gen_mse.loc[longest, narrow]:.3g} with width "
    f"{narrow} and {gen_mse.loc[longest, wide]:.3g} with width {wide}; the best of the grid is "
    f"{gen_mse.to_numpy().min():.3g} (width {gen_mse.min().idxmin()}). Training for {longest} "
    f"steps took {gen_time.loc[longest, narrow]:.3g} s at width {narrow} and "
    f"{gen_time.loc[longest, wide]:.3g} s at width {wide}."))

# %% [markdown]
# Longer training lowers every width's mean error, and the narrow generator stays behind the wider
# ones even when trained longest, on every seed. Whether for lack of capacity or of steps, the grid does
# not tell: the narrowest still improves between the two longest trainings (separate runs, each
# annealed over its own length). Nor does a grid with
# three seeds settle which of the two wider generators is better: after the longest training width
# 128 has the lower mean in this run (the table; lower on each of the three seeds in
# `book/results/ablations/generator__book.csv`), at less cost than the book's 512 (right
# panel). Time grows with the steps; in this sweep width 128 costs little more than width 32,
# width 512 about four times as much (right panel). The assertions:

# %%
assert np.all(np.isfinite(gen_sweep["test_mse"])), gen_sweep
assert (gen_time.iloc[-1] > gen_time.iloc[0]).all(), gen_time  # more steps take longer
claims.check("longer training fits better at every width and every step of the grid "
             "(smallest ratio of the mean test MSE at one length over the next)",
             float((gen_mse.iloc[:-1].to_numpy() / gen_mse.iloc[1:].to_numpy()).min()), ">", 1)
claims.check(f"width helps: after {longest} steps, ratio width {narrow} / width {wide}",
             gen_mse.loc[longest, narrow] / gen_mse.loc[longest, wide], ">", 1.5)
at_longest = gen_sweep[gen_sweep["generator_steps"] == longest].pivot(index="seed", columns="width",
                                                                       values="test_mse")
wider = at_longest.drop(columns=narrow)
claims.check(f"after {longest} steps every wider generator beats width {narrow} on every seed "
             f"(smallest ratio width {narrow} / wider)",
             float(wider.rtruediv(at_longest[narrow], axis=0).min().min()), ">", 1)
claims.check(f"the widest generator costs more time, about four times: {longest} steps, ratio width {wide} / width {narrow}",
             float(gen_time.loc[longest, wide] / gen_time.loc[longest, narrow]), ">", 2.5)

# %% [markdown]
# ## Refinement: what the second phase adds
#
# GFT-r is GFT plus a refinement of one drawn feature set. Its worth can be read off the
# committed benchmark results of chapters [4](04_synthetic_benchmarks.ipynb) and
# [6](06_uci_benchmarks.ipynb), where every cell has both columns from the same data draws, and
# from the same generator fits wherever validation chose the same $\lambda$ for both (the cells
# where it did not are printed below): the ratio of GFT's mean test MSE to GFT-r's, above 1
# where refining helped.

# %%
bench_rows = (report.load_preset_results(results_root, ["book"]) if results_root is not None
              else pd.DataFrame())
if len(bench_rows):
    pair = (bench_rows[bench_rows["method"].isin(["gft", "gft-r"])]
            .groupby(["kind", "setting", "activation", "method"])["test_mse"].mean().unstack("method"))
    pair["ratio"] = pair["gft"] / pair["gft-r"]
    pair = pair.reset_index()
    pair["cell"] = pair["setting"] + np.where(pair["activation"] == "fourier", "", " (" + pair["activation"] + ")")
    fig, ax = plt.subplots(figsize=(10, 5), constrained_layout=True)
    for i, (kind, part) in enumerate(pair.groupby("kind", sort=False)):
        name = {"uci": "real data", "synthetic": "synthetic"}.get(kind, kind)
        ax.scatter(part["cell"], part["ratio"], color=f"C{i}", label=f"{name} ({len(part)} cells)", zorder=3)
    ax.axhline(1.0, color="k", lw=0.8, ls=":")
    ax.set_yscale("log")
    ax.set_ylabel("GFT / GFT-r mean test MSE")
    plt.setp(ax.get_xticklabels(), rotation=60, ha="right", rotation_mode="anchor")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3, axis="y", which="both")
    ax.set_title("what refinement gains, per committed cell (book preset)")
    plt.show()
    synthetic, real = pair[pair["kind"] == "synthetic"], pair[pair["kind"] == "uci"]
    real = real.set_index("setting")
    gained, noisy = ["ccpp", "galaxy", "propulsion", "telemonitoring"], ["airfoil", "skillcraft"]
    per_trial = (bench_rows[(bench_rows["kind"] == "uci") & bench_rows["method"].isin(["gft", "gft-r"])]
                 .pivot_table(index=["setting", "trial"], columns="method", values="test_mse"))
    validation = (bench_rows[(bench_rows["kind"] == "uci") & bench_rows["method"].isin(["gft", "gft-r"])]
                  .pivot_table(index=["setting", "trial"], columns="method", values="val_mse"))
    hurt = per_trial[per_trial["gft-r"] > per_trial["gft"]]
    synthetic_trials = (bench_rows[(bench_rows["kind"] == "synthetic") & bench_rows["method"].isin(["gft", "gft-r"])]
                        .pivot_table(index=["setting", "activation", "trial"], columns="method", values="test_mse")
                        .dropna())
    raised = synthetic_trials["gft-r"] / synthetic_trials["gft"]
    misled = int((validation.loc[hurt.index, "gft-r"] < validation.loc[hurt.index, "gft"]).sum())
    # GFT and GFT-r share a generator fit where their selections chose the same λ
    chosen = (bench_rows[bench_rows["method"].isin(["gft", "gft-r"])]
              .groupby(["setting", "activation", "method"])["lambda"]
              .agg(lambda v: ", ".join(f"{lam:g}" for lam in sorted(set(v)))).unstack("method"))
    apart = chosen[chosen["gft"] != chosen["gft-r"]]
    display(Markdown(
        f"On the synthetic cells refinement lowers the error on {int((synthetic['ratio'] > 1).sum())} "
        f"of {len(synthetic)}, by a factor from {synthetic['ratio'].min():.3g} to "
        f"{synthetic['ratio'].max():.3g} (median {synthetic['ratio'].median():.3g}); trial by trial it "
        f"raised the error on {int((raised > 1).sum())} of the {len(raised)} synthetic trials"
        + (f", by at most {100 * (raised.max() - 1):.2g} %" if (raised > 1).any() else "")
        + ". On the real data "
        "sets the ratio of the means is "
        + ", ".join(f"{name} {ratio:.3g}" for name, ratio in real["ratio"].items())
        + f". Trial by trial, refinement raised the test error on {len(hurt)} of the {len(per_trial)} "
        "real-data trials: " + ", ".join(f"{s} trial {t} ({r['gft']:.3g} → {r['gft-r']:.3g})"
                                         for (s, t), r in hurt.iterrows())
        + f". On {misled} of these {len(hurt)} the refined features had validated better than GFT's fresh draws. "
        "Cells whose GFT and GFT-r selected different λ (their columns come from different generator fits): "
        + (", ".join(f"{setting} ({activation}; GFT λ = {r['gft']}, GFT-r λ = {r['gft-r']})"
                     for (setting, activation), r in apart.iterrows()) or "none") + "."))
else:
    pair = None
    print("no committed results here: the refinement comparison needs book/results")

# %% [markdown]
# On the synthetic targets, where the labels are exact, the refinement lowers the
# mean error of every cell (trial by trial it can still raise it a little: the count is
# printed above), consistent with a generator that has learned where good features lie and a
# refinement that tunes one drawn set to the data. On the real data sets the picture splits as in
# [chapter 06](06_uci_benchmarks.ipynb): on galaxy, propulsion and telemonitoring, which GFT-r
# fits to under 1 % of the label variance (chapter 06), refinement lowers the
# mean error; on CCPP it partly repairs the draws on which the generator did not train
# (chapter 06 shows them); on airfoil (with its 36 noise input columns) and SkillCraft (where no
# method of chapter 06 explains half of the variance) it changes the mean by 1 to 3 per cent
# (the ratios above). It does not help on every
# trial. The two validation numbers compared above are not alike: the refinement's is the
# best over its steps of one drawn set, on the split it was selected on (so optimistic),
# GFT's the best over its steps of a mean over ten fresh draws (selected on the same split too,
# but averaged over draws, so less optimistic); and the split, 10 % of the training rows (20 to 200 of them
# on these data sets), is small. Where the refined features validate worse as well, GFT-r is reported all the
# same, as the method is defined (choosing between the two phases by validation would be
# another method). The claims:

# %%
if pair is not None:
    claims.check("refinement lowers the error on every synthetic cell (smallest ratio GFT / GFT-r)",
                 float(synthetic["ratio"].min()), ">", 1)
    claims.check("refinement lowers the mean error by more than 10 % on CCPP, galaxy, propulsion, telemonitoring "
                 "(smallest ratio GFT / GFT-r)",
                 float(real.loc[gained, "ratio"].min()), ">", 1 / 0.9)
    claims.check("refinement changes the mean error on airfoil and SkillCraft by less than 10 % "
                 "(largest |GFT-r / GFT - 1|)",
                 float((1 / real.loc[noisy, "ratio"] - 1).abs().max()), "<", 0.1)

# %% [markdown]
# ## Exercises
#
# 1. Let $g$ be non-decreasing and continuously differentiable on $[0, 1]$ with $g(0) = 0$
#    and $g(1) = h$. Show that $\int_0^1 |g'(x)|\,dx = h$, whatever the shape of the rise. What
#    does this say about the TV term's preference between a sharp step and a steep ramp?
# 2. Rerun the $\lambda$ sweep with less label noise through papermill,
#    `papermill notebooks/05_ablations.ipynb out.ipynb -p label_noise 1.0 -p assert_claims False`
#    (the claims are this page's and may not hold at another noise level; the sweep is not
#    stored for this configuration, so it is computed). Does the selected $\lambda$ move?
# 3. In the sweep over $N$, GFT-r's error grows again for the largest $N$ at a fixed
#    budget. Design a run that separates two of the explanations given there (too few steps
#    to place more features, and conditioning of the ridge system).
#
# ```{admonition} Solutions
# :class: dropdown
#
# 1. $g' \ge 0$, so $\int_0^1 |g'| = \int_0^1 g' = g(1) - g(0) = h$ (the fundamental
#    theorem of calculus, which needs $g$ absolutely continuous: for a jump, $g' = 0$ almost
#    everywhere, and the total variation $\sup \sum_i |g(t_{i+1}) - g(t_i)|$, still $h$, is
#    the right measure). The networks here are smooth, so they only make ramps, however
#    steep, and the TV term charges every monotone rise its height alone: it does not
#    prefer a steep ramp to a gentle one, and what it removes are the extra ups and downs,
#    each of which costs twice its height. (The term is a Monte Carlo mean over points drawn
#    afresh at every step, so no ramp slips between fixed points.)
# 2. One expects less to smooth with less noise: a smaller selected $\lambda$, or the same
#    one with a smaller gain. With three seeds, the run-to-run changes this page shows may
#    be as large as that shift; more seeds (`tv_seeds`) tell them apart.
# 3. Give every $N$ the full budget (`budget_fraction = 1`) while keeping the ridge: if the
#    ratio of GFT-r's errors at $N = 400$ and $N = 100$ shrinks, the budget was short (compare
#    the ratio, not the levels: more steps lower the error at every $N$). Independently,
#    record the condition number of the Gram matrix of the kept features on a large
#    independent sample of inputs (the test inputs, say), which estimates the population
#    Gram matrix $\mathbb E_x[\Phi\Phi^H]$ of those features. That part separates the
#    conditioning from the third explanation, the threshold $N = M$: raising $\delta$ damps
#    both the ill-conditioning and the oscillation near $N = M$, so it does not separate them,
#    but refitting the ridge layer of the same, frozen features on fewer or more training
#    rows moves the threshold and leaves that condition number alone (retraining on other
#    rows would change the features and so their Gram matrix) (the conditioning of $A^HA + \delta I$ on the training rows
#    itself collapses near $N = M$: see the ridge layer section of
#    [the derivations](02_derivations.ipynb)).
# ```

# %% [markdown]
# ## The claims of this chapter
#
# Each claim above, with the value this run measured, its threshold and the factor by which
# it held (at the `smoke` preset, whose generators barely train, they are computed but not
# asserted). The sweeps' claims are decided by the stored results, except the one on the
# largest λ's training steps, which reads the refits this page runs; the noisy curve's by
# the fits this page ran; the refinement's by the committed benchmark results. The sweeps
# have their own seed lists (two seeds for $N$, three for $\lambda$ and the generator), so
# the chapter's `seed` parameter changes only the noisy curve's claims, and only those vary
# in the margins recorded over seeds:

# %%
claims.table()

# %% [markdown]
# ## Next
#
# - [UCI benchmarks](06_uci_benchmarks.ipynb): real data, with noise columns that the
#   learned features learn to ignore.
