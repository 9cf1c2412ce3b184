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
# # Synthetic benchmarks
#
# This chapter compares generative feature training {cite:p}`hertrich2025gft` with the
# usual ways of training a thin 2-layer network
#
# $$
# f_{w,b}(x) = \mathrm{Re} \sum_{l=1}^{N} b_l\, \Phi(\langle w_l, \tilde x\rangle) / N,
# \qquad N = 100,
# $$
#
# ($\tilde x$ is $x$, or $(x, 1)$ for the sigmoid's bias, and the sigmoid model also has a
# constant output column; the symbols are those of the [notation page](../book/notation.md))
# on the synthetic regression problems of the paper: the first table (settings 0–5:
# polynomials, the Ishigami function and Friedman 1 in $d = 5$ and $d = 10$) and the
# second (settings 9–11: a sine of the sum of the inputs with a radial quartic, a square
# root of an $\ell^1$ distance in $d = 20$, and the square root of Friedman 1). Every method fits the same model class with the same $N$; they differ
# in how the inner weights $w_l$ are found.
#
# **Claim.** At equal $N$, features learned and refined by GFT (GFT-r) fit far better than
# features drawn at random from one Gaussian (random features, RFF): with Fourier features GFT-r beats RFF on every
# setting of the tables, on more than half of them by two orders of magnitude or more in
# test MSE. With sigmoid features GFT-r's mean is below RFF's on every setting too, but on
# shifted-norm-d20 at the book preset that rests on one trial: there the generator's training
# never validated better than its start, so the untrained generator was kept, yet refining its
# draw gave the cell's best test MSE; without that trial
# GFT-r's mean would be above RFF's, and trial by trial GFT-r has the higher test MSE on three
# of that cell's five (the list of such trials, among the fits whose rows record the kept
# step, and the trial-by-trial counts are below).
# Learning features by end-to-end training is not enough at this budget: at the book preset the network trained end to
# end (NN) is often worse than RFF; its 6000 steps at a constant rate are a small share of
# the paper's 100 000, a cut the GFT presets largely make up for in GFT-r with larger,
# annealed rates (less so in the generator's own draw, GFT: compare the two presets' tables), and
# at the paper preset, with those 100 000 steps and a TV weight selected on validation (a
# small $\lambda > 0$ for most of its cells, listed below), NN beats RFF on most pairs. Which of the learning methods is best depends on the setting. The chapter checks the claim live on one setting at its own preset, and
# on the committed results of the tables (both presets complete); the table at the end of the page lists
# every check.

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
from gft import plotting
from gft.baselines import DEFAULT_SIGMA_GRIDS, NNRegressor, SparseRFRegressor, VarProRegressor
from gft.datasets import SETTINGS, load_setting
from gft.experiments import (DEFAULT_TRIALS, method_labels, plan_progress, progress_by_block, progress_markdown, reference_progress,
                             report, start_chapter, sweeps)
from gft.presets import PRESETS

pd.set_option("display.max_columns", 20)
pd.set_option("display.width", 200)
device = "cuda" if torch.cuda.is_available() else "cpu"
LABELS = method_labels()  # e.g. "gft-r" -> "GFT-r"
METHODS = list(LABELS)

# %% tags=["parameters"]
preset = os.environ.get("GFT_PRESET", "book")  # "smoke" (seconds), "book" (these pages), "paper"
live_settings = ["friedman1-d5"]  # settings fitted live in this chapter
live_methods = ["gft", "gft-r", "nn", "rff", "sparse-rf", "varpro"]
live_activation = "fourier"
results_presets = ["book", "paper"]  # presets whose committed results the tables show
table_activations = ["fourier", "sigmoid"]
seed = 0  # seeds every random draw of the chapter (the live data draw too)
assert_claims = True  # False: compute and report the claims without asserting them
claims_file = None  # a CSV the claims table is appended to (benchmarks/claim_margins.py)

# %%
claims = start_chapter(preset, seed, assert_claims, claims_file)  # seeds random, NumPy, torch
TABLE_1 = [s.name for s in SETTINGS.values() if s.id in (0, 1, 2, 3, 4, 5)]
TABLE_2 = [s.name for s in SETTINGS.values() if s.id in (9, 10, 11)]
print(f"gft {gft.__version__}, preset {preset!r}, device {device}")

# %% [markdown]
# ## The settings
#
# Inputs are uniform on $[0, 1]^d$ (Ishigami's function {cite:p}`ishigami1990importance` too,
# as in the paper, not on its usual $[-\pi, \pi]^3$), the labels are the target function
# without noise (Friedman 1 {cite:p}`friedman1991mars` comes with additive $\mathcal{N}(0, 1)$
# noise in its source; here, as in the paper, the test MSE measures the approximation error
# alone), and the test set is a fresh draw of the same size as the training set, as in the
# paper. The inputs beyond those a formula names are irrelevant: in $d = 10$ five of Friedman
# 1's ten, six of the polynomial's, seven of Ishigami's (in $d = 5$ none, one and two). The variance of the
# test labels puts the MSEs below in scale: an MSE of $10^{-3}\,\mathrm{Var}(y)$ explains
# 99.9 % of the variance.

# %%
settings_table = pd.DataFrame(
    [dict(id=s.id, setting=s.name, d=s.d, M=s.n_train,
          **{"Var(y)": float(np.var(load_setting(s.name, seed=0)[3]))}, function=s.description)
     for s in SETTINGS.values() if s.name in TABLE_1 + TABLE_2]
).set_index("id")
settings_table.style.format({"Var(y)": "{:.3g}"})

# %% [markdown]
# ## The methods
#
# All six share the design matrix $A_{kl} = \Phi(\langle w_l, \tilde x_k\rangle)/N$ and,
# except the network, the ridge solve $\hat b(w) = (A^H A + \delta I)^{-1} A^H y$ for the
# outer weights. With Fourier features $\Phi(t) = e^{2\pi i t}$ a feature $w_l$ is a
# frequency.
#
# - **RFF** — random features {cite:p}`rahimi2007random`: $w_l = \sigma z_l$,
#   $z_l \sim \mathcal{N}(0, I)$, with the scale $\sigma$ chosen on the validation split; no feature
#   learning at all, the control.
# - **sparse RF** — SHRIMP-style iterative magnitude pruning {cite:p}`xie2022shrimp`:
#   draw many random features, fit, drop those with the smallest $|b_l|$, refit, down to
#   $N$. It selects features from a random pool (in the spirit of HARFE
#   {cite:p}`saha2023harfe`) but never moves them.
# - **NN** — the network itself trained end to end, $(w, b)$ by Adam
#   {cite:p}`kingma2015adam` on the mean squared error plus $\lambda$ times the TV term,
#   as in the paper from PyTorch's default initialisation of both layers (weights uniform
#   on $[-1/\sqrt{\text{fan-in}}, 1/\sqrt{\text{fan-in}}]$), with Adam on the weights of the
#   layers as PyTorch stores them (the output layer's are $b_l/N$, since $A$ carries $1/N$).
# - **VarPro** — variable projection {cite:p}`golub1973differentiation`: $b$ is eliminated
#   by the ridge solve and Adam runs on the reduced objective
#   $L(w) = \frac1M \lVert \mathrm{Re}\,A(w)\hat b(w) - y\rVert^2 + \lambda\,\mathrm{TV}(w)$ (here $M$ counts the rows
#   fitted, the training rows less the last 10 % held out for validation) in $w$ directly, as in
#   two-timescale training {cite:p}`twotimescale2025ultrafast`, from the random features of
#   the validated scale $\sigma$, with Adam's step in units of $\sigma$ (Adam on $w/\sigma$).
# - **GFT** — the features are samples $w_l = G_\theta(z_l)$, $z_l \sim \mathcal{N}(0, I)$, of a
#   generator network trained on $\mathbb{E}_z L(G_\theta(z))$; the prediction uses a
#   *fresh* draw of features and its ridge solve.
# - **GFT-r** — GFT followed by a refinement of one drawn latent set $z$ on
#   $L(G_\theta(z))$, keeping the iterate with the best validation error.
#
# What a table cell means. At the paper preset (the paper's protocol) the TV weight
# $\lambda$ is selected from $\{0, 10^{-4}, \dots, 1\}$ on data draw 0 by the method's
# validation error; that fit is trial 0, and trials 1–4 draw new data and fit at that
# $\lambda$. The synthetic labels carry no noise at any preset; at the book preset every
# synthetic cell runs at $\lambda = 0$, with no selection (`book/results/plan-book.txt`). RFF and sparse RF have no
# TV term. A cell reports the mean and the sample standard deviation of the test MSE over
# its trials (five when complete; the tables show n). The budgets of the presets (GFT's keyword arguments; `refine_lr` None means the
# refinement runs at `lr`):

# %%
pd.DataFrame({name: dict(p) for name, p in PRESETS.items()}).T[
    ["generator_steps", "refine_steps", "lr", "refine_lr", "lr_schedule", "hidden", "val_every", "n_val_draws"]
]

# %% [markdown]
# How the phases are validated and what the refinement optimises: every `val_every` steps
# the generator is scored by the validation MSE averaged over `n_val_draws` feature draws,
# whose latents are drawn once before training, each with its own ridge solve on the training rows, and the generator with the
# best score is kept. The refinement then freezes the generator, draws one latent set
# $z \in \mathbb{R}^{N \times D}$ and runs Adam (learning rate `refine_lr`) on $z$ for the
# same reduced objective, MSE $+\, \lambda\,$TV with $\hat b$ solved at every step, keeping
# the iterate of lowest validation MSE. At the book preset both phases anneal the learning
# rate on a cosine schedule; the paper preset keeps the paper's constant rate (and the
# network and VarPro always run at a constant rate). Every fit validates on the last 10 % of
# its training rows and fits the other 90 %.
# The baselines' tuning grids and budgets, read from the code:

# %%
def grid_text(values) -> str:
    return f"{len(values)} values, geometric, {min(values):g} … {max(values):g}"


NOT_RUN = {"paper": " (not in the paper's plan: not run at this preset)"}
budgets = pd.DataFrame({
    "RFF": {p: f"σ from {grid_text(DEFAULT_SIGMA_GRIDS['fourier'])} (fourier), "
               f"{grid_text(DEFAULT_SIGMA_GRIDS['sigmoid'])} (sigmoid), on the validation split"
            for p in PRESETS},
    "sparse RF": {p: f"pool {SparseRFRegressor.presets[p]['n_initial'] or 'min(10 000, max(2N, 20M))'} "
                     "random features, 20 % pruned per round down to N, σ from RFF's grid, "
                     "chosen for the pool" + NOT_RUN.get(p, "") for p in PRESETS},
    "NN": {p: f"{NNRegressor.presets[p]['steps']} Adam steps, lr {NNRegressor.presets[p]['lr']:g}, full batch"
           for p in PRESETS},
    "VarPro": {p: f"{VarProRegressor.presets[p]['steps']} Adam steps on w / σ, lr {VarProRegressor.presets[p]['lr']:g}, "
                  "from RFF's draw at its σ" + NOT_RUN.get(p, "") for p in PRESETS},
}).T
budgets.style.set_caption("baselines: what is tuned and how long they train, per preset")

# %% [markdown]
# ## A live comparison
#
# First the claim on a small scale, computed here at this chapter's preset: every method
# on the live settings, one trial (data draw `seed`), no TV regularisation ($\lambda = 0$, as
# in the book preset's tables: the labels carry no noise, although the paper protocol's
# selection picks a small $\lambda > 0$ for most of the network's cells, listed below). `gft.experiments.sweeps.fit_and_score` fits each estimator once (GFT and
# GFT-r share one fit) and scores it on the test draw.

# %%
live_rows = []
for setting in live_settings:
    live_rows += sweeps.fit_and_score(setting, live_methods, seed, preset,
                                       activation=live_activation, tv_weight=0.0, device=device)
live = pd.DataFrame(live_rows)
live_mse = live.pivot(index="setting", columns="method", values="test_mse")[live_methods]
live_seconds = live.pivot(index="setting", columns="method", values="train_seconds")[live_methods]
display(live_mse.rename(columns=LABELS).style.format("{:.3g}").set_caption("test MSE"))
display(live_seconds.rename(columns=LABELS).style.format("{:.1f}").set_caption("training time (s)"))

# %%
fig, axes = plt.subplots(1, len(live_settings), figsize=(5 * len(live_settings), 3.6),
                         constrained_layout=True, squeeze=False)
for ax, setting in zip(axes[0], live_settings):
    plotting.plot_test_mse({LABELS[m]: v for m, v in live_mse.loc[setting].items()}, ax=ax)
    ax.set_title(f"{setting}, {live_activation}, preset {preset}")
    ax.tick_params(axis="x", rotation=30)
plt.show()

# %% [markdown]
# The errors span orders of magnitude, hence the log scale. The claims for this run:
# the refined features explain nearly all of the variance; GFT-r beats random features
# with the validated $\sigma$ by a factor of more than 100 and is the best of the six
# methods, and RFF is the weakest in this run (in the committed tables below
# the network is often weaker still at this preset).

# %%
for setting in live_settings:
    _, _, _, y_test = load_setting(setting, seed=seed)
    assert np.all(np.isfinite(live_mse.loc[setting])), live_mse.loc[setting]
    if "gft-r" in live_methods:
        claims.check(f"{setting}: GFT-r's relative test MSE (MSE / Var y)",
                     live_mse.loc[setting, "gft-r"] / np.var(y_test), "<", 0.01)
if {"gft-r", "rff"} <= set(live_methods) and "friedman1-d5" in live_settings:
    row = live_mse.loc["friedman1-d5"]
    claims.check("friedman1-d5: GFT-r beats RFF a hundredfold (RFF / GFT-r)",
                 row["rff"] / row["gft-r"], ">", 100)
    if set(live_methods) == set(METHODS):
        claims.check("friedman1-d5: GFT-r is the best of the six (next best / GFT-r)",
                     row.drop("gft-r").min() / row["gft-r"], ">", 1)
        claims.check("friedman1-d5: RFF is the weakest of the six (RFF / next weakest)",
                     row["rff"] / row.drop("rff").max(), ">", 1)

# %% [markdown]
# ## The full tables, from the committed results
#
# The full tables take hours, so they are not recomputed here: the experiment runner
# (`python -m gft run`, see `book/results/plan-book.txt` and `book/results/plan.txt`)
# writes one CSV per cell with its provenance (command, commit, host, torch version,
# date), and this chapter reads them back. The `book` folder holds the book-preset runs,
# the `paper` folder the full protocol (every synthetic cell of it is complete; the progress
# table below also counts the UCI cells of the [UCI chapter](06_uci_benchmarks.ipynb)).
# Sparse RF and VarPro are not in the paper's plan, and RFF does not depend on the preset
# (its paper cells equal its book cells). A cell nobody has computed yet is shown as "—" in
# the tables and as a grey "×" marked "not computed" in the charts (a preset with no cell in
# a chart is named in a note beside it), never as a number. The
# paper's plan runs table 2 with Fourier features only, so its sigmoid rows stay "—" at the
# paper preset.

# %%
results_root = report.results_dir()
rows = report.load_preset_results(results_root, results_presets)
synthetic = rows[rows["kind"] == "synthetic"] if len(rows) else rows  # the paper folder holds UCI cells too
have = report.available_presets(rows)
if results_root is None:
    print("No results folder (book/results) here: clone the repository to see the committed "
          "tables. The live comparison above stands on its own.")
else:  # the folder's name, not the machine's path to it
    print(f"results folder: {results_root.parent.name}/{results_root.name}")
for p in results_presets:
    if p in have:
        part = synthetic[synthetic["preset"] == p]
        print(f"preset {p!r}: {len(part)} synthetic trials in "
              f"{part.groupby(['setting', 'method', 'activation']).ngroups} cells")
    else:
        print(f"preset {p!r}: not computed")

# %% [markdown]
# How far the paper protocol has got: its plan (`book/results/plan.txt`, one line per block
# of cells) against the `paper` folder. A cell is done when all five trials are written;
# the hours are those of one process (one thread) on the machine that ran the cells, a
# generator shared by GFT and GFT-r counted once. What is left, if any, is priced by the same
# cells' fits at the `book` preset, scaled by the ratio of the two presets' times on the
# cells finished in both (per method and activation), so that it follows each data set's
# size; the machine's load moves a fit's time by a factor of two or more, so it is a rough
# guide.

# %%
plan_file = None if results_root is None else results_root / "plan.txt"
if plan_file is not None and plan_file.exists():
    reference = reference_progress(plan_file, results_root / "book")
    display(Markdown(progress_markdown(progress_by_block(plan_progress(plan_file, results_root / "paper"), reference))))
else:
    print("no committed plan here")


# %%
def show_table(settings: list[str], activation: str, title: str) -> pd.DataFrame:
    """Display the mean ± std (n=trials) table of ``settings`` and return its summary."""
    summary = report.summarise(rows, settings, METHODS, have, activation)  # computed presets only
    display(Markdown(f"**{title}, {activation} features** (test MSE, mean ± std over the "
                     "trials; the chart below shows the range)"))
    display(report.style_table(summary, labels=LABELS))
    return summary


def with_kept_start(trials: pd.DataFrame) -> pd.DataFrame:
    """``trials`` with the ``kept_start`` flag the charts draw as rings."""
    return trials.assign(kept_start=report.kept_start_flags(trials))


summaries = {}
if have:
    for activation in table_activations:
        summaries["table 1", activation] = show_table(TABLE_1, activation, "Table 1 (settings 0–5)")

# %% [markdown]
# The same data as a chart: one colour per method, one marker per preset, the point is the
# mean and the bar the range over trials; the small dots beside it are the trials, and a ring
# is a trial whose first trained phase kept its start (an untrained fit, listed further down).

# %%
if have:
    for activation in table_activations:
        summary = summaries["table 1", activation]
        if summary["trials"].sum() == 0:
            print(f"table 1, {activation}: not computed")
            continue
        ax = plotting.plot_summary(summary, method_labels=LABELS, trials=with_kept_start(rows[rows["activation"] == activation]))
        ax.set_title(f"Table 1, {activation} features")
        plt.show()

# %% [markdown]
# ### The second table
#
# Settings 9–11: a sine of the sum of all inputs plus the radial quartic $(\sum_i x_i^2)^2$,
# which carries most of the variance; $\sqrt{\sum_i |x_i - 1/2|}$ in $d = 20$, with kinks on
# the hyperplanes $x_i = 1/2$ and a cusp at the centre; and the square root of Friedman 1,
# whose gradient blows up only near the boundary set where Friedman 1 vanishes.

# %%
if have:
    for activation in table_activations:
        summaries["table 2", activation] = show_table(TABLE_2, activation, "Table 2 (settings 9–11)")
        if summaries["table 2", activation]["trials"].sum() > 0:
            ax = plotting.plot_summary(summaries["table 2", activation], method_labels=LABELS,
                                       trials=with_kept_start(rows[rows["activation"] == activation]))
            ax.set_title(f"Table 2, {activation} features")
            plt.show()

# %% [markdown]
# ### Relative errors
#
# A test MSE carries the scale of its target. Divided by the variance of the trial's own
# test labels it becomes the relative error $\mathrm{MSE}/\mathrm{Var}(y)$: 1 is the error
# of predicting the mean of those test labels, and settings can be compared with each other.

# %%
if have:
    relative = report.relative_errors(synthetic)
    for (table, activation), summary in summaries.items():
        settings = list(dict.fromkeys(summary["setting"]))
        display(Markdown(f"**{table}, {activation} features**: relative test error MSE / Var y"))
        display(report.style_table(report.summarise(relative, settings, METHODS, have, activation),
                                   labels=LABELS))

# %% [markdown]
# ### The TV weights the paper protocol selected
#
# At the paper preset each method's $\lambda$ is selected on data draw 0 by its validation
# error, from $\{0, 10^{-4}, \dots, 1\}$, and its five trials use it. The labels carry no
# noise, yet the network mostly selects a small positive weight; GFT and GFT-r mostly select 0:

# %%
if "paper" in have:
    paper_rows = synthetic[(synthetic["preset"] == "paper") & synthetic["method"].isin(["gft", "gft-r", "nn"])]
    selected = paper_rows.groupby(["activation", "setting", "method"])["lambda"].first().unstack("method")
    display(selected.rename(columns=LABELS).style.format("{:g}", na_rep="—")
            .set_caption("λ selected at the paper preset (one per cell; its trials share it)"))
    display(Markdown("$\\lambda > 0$ selected in " + ", ".join(
        f"{int((selected[m] > 0).sum())} of {int(selected[m].notna().sum())} {LABELS[m]} cells"
        for m in selected) + "."))
else:
    print("paper preset: not computed")

# %% [markdown]
# ## What the tables say
#
# The claim, checked on the committed results: for each preset, the settings where both
# GFT-r and RFF have complete cells (all five trials), and the ratio of their mean test errors (RFF over GFT-r; above 1 where the learned
# features win).

# %%
book_summary = pd.concat(list(summaries.values()), ignore_index=True) if summaries else None
comparisons = {}
if book_summary is not None:
    for p in have:
        for other in ("rff", "sparse-rf", "nn", "varpro"):
            comparisons[p, other] = report.compare_methods(book_summary, "gft-r", other, p,
                                                           min_trials=DEFAULT_TRIALS)
    for (p, other), cmp in comparisons.items():
        if other == "rff" and len(cmp):
            display(cmp.rename(columns=LABELS).style.format("{:.3g}", subset=["GFT-r", "RFF", "ratio"])
                    .hide(axis="index").set_caption(f"preset {p}: mean test MSE and the ratio RFF / GFT-r"))


def win_sentence(p: str, other: str) -> str:
    cmp = comparisons.get((p, other))
    if cmp is None or cmp.empty:
        return f"- {LABELS[other]}, preset {p}: not computed."
    wins = int((cmp["ratio"] > 1).sum())
    medians = cmp.groupby("activation")["ratio"].median()
    hundredfold = (cmp[cmp["ratio"] >= 100].groupby("activation").size()
                   .reindex(medians.index, fill_value=0))
    # trial by trial, on the same pairs: trial k of both methods is the same data draw
    trials = (synthetic[(synthetic["preset"] == p) & synthetic["method"].isin(["gft-r", other])]
              .pivot_table(index=["setting", "activation", "trial"], columns="method", values="test_mse"))
    pairs = set(zip(cmp["setting"], cmp["activation"]))
    trials = trials[[key[:2] in pairs for key in trials.index]].dropna()
    return (f"- GFT-r against {LABELS[other]}, preset {p}: GFT-r has the lower mean test MSE on "
            f"{wins} of {len(cmp)} (setting, activation) pairs; median ratio "
            f"{cmp['ratio'].median():.3g} ("
            + ", ".join(f"{a} {medians[a]:.3g}" for a in medians.index)
            + f"), smallest {cmp['ratio'].min():.3g}; a ratio of 100 or more on "
            + ", ".join(f"{int(hundredfold[a])} of {int((cmp['activation'] == a).sum())} {a} settings"
                        for a in medians.index)
            + f"; trial by trial, the lower test MSE on {int((trials['gft-r'] < trials[other]).sum())} "
            f"of {len(trials)} trials.")


display(Markdown("\n".join(win_sentence(p, o) for p in have
                           for o in ("rff", "sparse-rf", "nn", "varpro"))))
# the network against random features: the other learned method of the paper's tables
nn_vs_rff = {p: report.compare_methods(book_summary, "nn", "rff", p, min_trials=DEFAULT_TRIALS)
             for p in have} if book_summary is not None else {}
if nn_vs_rff:
    display(Markdown("NN against RFF: NN has the lower mean test MSE on " + "; ".join(
        f"{int((cmp['ratio'] > 1).sum())} of {len(cmp)} (setting, activation) pairs at preset {p}"
        for p, cmp in nn_vs_rff.items()) + "."))
    if "book" in nn_vs_rff and "paper" in nn_vs_rff:
        claims.check("book preset: pairs on which NN is worse than RFF, at least half (share)",
                     float((nn_vs_rff["book"]["ratio"] < 1).mean()), ">=", 0.5)
        claims.check("paper preset: pairs on which NN beats RFF, more than half (share)",
                     float((nn_vs_rff["paper"]["ratio"] > 1).mean()), ">", 0.5)

# %% [markdown]
# GFT-r is not the best method everywhere. For each other method, the setting where GFT-r's
# lead is largest and the one where it is smallest (or where the other method is ahead),
# at each computed preset:

# %%
def extremes(p: str, other: str) -> str:
    cmp = comparisons.get((p, other))
    if cmp is None or cmp.empty:
        return f"- {LABELS[other]}, preset {p}: not computed."
    hi, lo = cmp.loc[cmp["ratio"].idxmax()], cmp.loc[cmp["ratio"].idxmin()]
    low = (f"smallest lead {lo['ratio']:.3g}× on {lo['setting']} ({lo['activation']})" if lo["ratio"] > 1
           else f"{LABELS[other]} ahead by {1 / lo['ratio']:.3g}× on {lo['setting']} ({lo['activation']})")
    return (f"- {LABELS[other]}, preset {p}: GFT-r's largest lead {hi['ratio']:.3g}× on "
            f"{hi['setting']} ({hi['activation']}); {low}.")


display(Markdown("\n".join(extremes(p, o) for p in have for o in ("sparse-rf", "nn", "varpro"))))

# %% [markdown]
# NN and VarPro move one feature set by local steps, while GFT draws a fresh set at every
# step from a generator that is learning where good features lie. That is one difference
# between them, not an isolated cause of the gaps above; VarPro given the same time as
# GFT-r (below) is a fairer comparison of the two ways of training features.
#
# The claim checked on the committed book-preset results: GFT-r beats RFF at equal $N$ on
# every synthetic setting where both cells exist with Fourier features, and its mean is below
# RFF's on every one with sigmoid features; at the paper preset (both tables with Fourier
# features, table 1 with sigmoid features) it beats both RFF and NN on all 15 pairs. Where the committed results are absent, as in Colab, there is nothing to check.

# %%
if results_root is None:
    print("no committed results here: the claim on the full tables is not checked")
else:
    cmp = comparisons.get(("book", "rff"), pd.DataFrame(columns=["activation", "ratio"]))
    fourier = cmp[cmp["activation"] == "fourier"]
    claims.check("committed tables: Fourier settings where both GFT-r and RFF have results",
                 len(fourier), ">=", 9)
    claims.check("committed tables: GFT-r beats RFF on every Fourier setting (smallest ratio RFF / GFT-r)",
                 float(fourier["ratio"].min()) if len(fourier) else float("nan"), ">", 1)
    claims.check("committed tables: Fourier settings where GFT-r beats RFF a hundredfold, more than half",
                 int((fourier["ratio"] >= 100).sum()), ">", len(fourier) / 2)
    sigmoid = cmp[cmp["activation"] == "sigmoid"]
    claims.check("committed tables: sigmoid settings where both GFT-r and RFF have results", len(sigmoid), ">=", 9)
    claims.check("committed tables: GFT-r's mean below RFF's on every sigmoid setting (smallest ratio RFF / GFT-r)",
                 float(sigmoid["ratio"].min()) if len(sigmoid) else float("nan"), ">", 1)
    for other in ("rff", "nn"):  # the paper protocol: both tables, both activations where run
        cmp = comparisons.get(("paper", other), pd.DataFrame(columns=["activation", "ratio"]))
        claims.check(f"paper preset: (setting, activation) pairs where both GFT-r and {LABELS[other]} have results",
                     len(cmp), ">=", 15)
        claims.check(f"paper preset: GFT-r beats {LABELS[other]} on every pair (smallest ratio {LABELS[other]} / GFT-r)",
                     float(cmp["ratio"].min()) if len(cmp) else float("nan"), ">", 1)

# %% [markdown]
# Did every trained method train? The committed rows record, per training phase, the step
# whose iterate was kept. Trials whose first trained phase kept its initialisation (GFT's
# generator, the network's or VarPro's whole fit), in the cells where any did:

# %%
trained = report.kept_start(synthetic) if len(synthetic) else pd.DataFrame()
if len(trained):
    kept = trained[trained["kept"] > 0]
    display(kept.assign(method=kept["method"].map(LABELS)).rename(columns={"kept": "kept their start"})
            .style.hide(axis="index"))
    fits = report.kept_start(report.distinct_fits(synthetic))
    display(Markdown(f"Of the {int(fits['trials'].sum())} trained fits whose rows record it "
                     f"({len(trained)} cells; a generator that serves both GFT and GFT-r, "
                     f"where they selected the same λ, counted once), "
                     f"{int(fits['kept'].sum())} kept their start."))
    generators = report.distinct_fits(synthetic)
    generators = generators[generators["method"] == "gft"]
    unrecorded = report.kept_start_flags(generators).isna().groupby(generators["preset"]).agg(["sum", "size"])
    unrecorded = unrecorded[unrecorded["sum"] > 0]
    if len(unrecorded):
        display(Markdown("Not checked: the generators of " + ", ".join(
            f"{int(n)} of the {int(total)} {preset}-preset GFT trials" for preset, (n, total) in unrecorded.iterrows())
            + " (and of the GFT-r trials that share them), whose rows were written before the kept step was recorded."))
    # GFT-r's cells with such a trial: their mean with and without it, against RFF's
    gft_r = synthetic[synthetic["method"] == "gft-r"]
    gft_r = gft_r.assign(kept=report.kept_start_flags(gft_r).fillna(False).astype(bool))
    keys = ["setting", "activation", "preset"]
    rff_mean = synthetic[synthetic["method"] == "rff"].groupby(keys)["test_mse"].mean()
    lines = []
    for key, cell in gft_r.groupby(keys):
        if cell["kept"].any() and key in rff_mean.index:
            untrained = cell[cell["kept"]]
            lines.append(
                f"- {key[0]}, {key[1]}, preset {key[2]}: GFT-r's mean test MSE {cell['test_mse'].mean():.3g} over "
                f"{len(cell)} trials, {cell.loc[~cell['kept'], 'test_mse'].mean():.3g} without trial"
                f"{'s' * (len(untrained) > 1)} {', '.join(map(str, untrained['trial']))} (test MSE "
                f"{', '.join(f'{v:.3g}' for v in untrained['test_mse'])}; the other trials' smallest "
                f"{cell.loc[~cell['kept'], 'test_mse'].min():.3g}), against RFF's {rff_mean[key]:.3g}.")
    if lines:
        display(Markdown("GFT-r in the cells where a generator kept its start:\n" + "\n".join(lines)))
    key = ("shifted-norm-d20", "sigmoid", "book")
    cell = gft_r[(gft_r[keys] == pd.Series(key, index=keys)).all(axis=1)]
    # checked whatever the rows say: without an untrained trial the two ratios are NaN and fail
    claims.check("shifted-norm-d20, sigmoid, book: GFT-r trials whose generator kept its start",
                 int(cell["kept"].sum()), ">=", 1)
    claims.check("shifted-norm-d20, sigmoid, book: the untrained trial is GFT-r's best (next best / it)",
                 cell.loc[~cell["kept"], "test_mse"].min() / cell.loc[cell["kept"], "test_mse"].max(), ">", 1)
    claims.check("shifted-norm-d20, sigmoid, book: without it GFT-r's mean is above RFF's (ratio GFT-r / RFF)",
                 cell.loc[~cell["kept"], "test_mse"].mean() / rff_mean.get(key, np.nan), ">", 1)
else:
    print("no committed results here")

# %% [markdown]
# ## Training time
#
# Learning features costs time: mean training seconds per cell of the committed results.
# Each row's provenance columns name its machine; rows written before the processor's model
# was recorded, as the synthetic ones were, name only the architecture, `x86_64`. The times
# are not all taken alike: the runner fits a cell's GFT and GFT-r trials as one batched run
# and gives each row its share of that run's time (the run's time over its members, GFT's
# less the refinement phase; see `gft.experiments.protocol`), while the network and VarPro
# are fitted, and timed, one at a time; each row's commit names the code that wrote it.

# %%
if book_summary is not None and book_summary["trials"].sum() > 0:
    seconds = book_summary[book_summary["trials"] > 0].pivot_table(
        index=["preset", "activation"], columns="method", values="train_seconds_mean",
        aggfunc="median")
    display(seconds.reindex(columns=[m for m in METHODS if m in seconds]).rename(columns=LABELS)
            .style.format("{:.3g}", na_rep="—").set_caption("median over settings of the mean training time (s)"))
    machines = synthetic.groupby(["preset", "device", "device_name", "threads", "torch"]).size().rename("rows")
    display(machines.to_frame().style.set_caption("where the committed synthetic results ran (rows per machine)"))
    commits = synthetic.groupby(["setting", "method", "activation", "preset"])["commit"].nunique()
    dirty = int(synthetic["dirty"].astype(str).eq("True").sum())
    display(Markdown(
        f"The committed synthetic rows come from {synthetic['commit'].nunique()} commits "
        + ("(none from a working tree with uncommitted changes)" if dirty == 0 else
           f"({dirty} rows from a working tree with uncommitted changes)")
        + f"; {int((commits > 1).sum())} of the {len(commits)} cells mix trials run at two commits or "
        "more, because their trials ran in separate runs (each row names its commit)."))

# %% [markdown]
# ### VarPro given GFT-r's time
#
# At the book preset the tables give VarPro 6000 Adam steps, as many as GFT-r's two phases
# together; but a
# VarPro step has no generator to run and costs much less, so VarPro also got much less
# time. `benchmarks/varpro_equal_time.py` gives it the same time instead (Fourier features,
# the six settings of table 1): per setting and
# trial, in one process with one thread, it fits GFT-r at the book preset and times it, then
# fits VarPro with as many steps as fill that time (from VarPro's measured cost per step on
# the same data), on the same data draws and seeds as the committed trials 0–2. Mean test
# MSE over those three trials (GFT-r and equal-time VarPro from this comparison, 6000-step
# VarPro from the committed tables; its means here differ from the tables', which average
# five trials). GFT-r refitted here does not repeat the committed GFT-r trial for trial (the
# committed cells ran on earlier commits, and float32 training is sensitive to rounding; the
# spread is printed below the table). "Seconds" and "steps" are medians over the trials:

# %%
equal_time_file = None if results_root is None else results_root / "ablations" / "varpro_equal_time__book.csv"
if equal_time_file is None or not equal_time_file.exists():
    print("no committed equal-time results here: the comparison is not shown")
    equal_time = None
else:
    equal_time = pd.read_csv(equal_time_file)
    per_setting = equal_time.groupby("setting", sort=False).agg(
        trials=("trial", "size"), gft_r_seconds=("gft_r_seconds", "median"),
        varpro_steps=("varpro_steps", "median"), gft_r=("gft_r_test_mse", "mean"),
        varpro_book=("varpro_book_test_mse", "mean"), varpro_equal=("varpro_test_mse", "mean"))
    per_setting["GFT-r / VarPro, equal time"] = per_setting["gft_r"] / per_setting["varpro_equal"]
    display(per_setting.rename(columns={
        "gft_r_seconds": "GFT-r seconds (median)", "varpro_steps": "VarPro steps in that time (median)",
        "gft_r": "GFT-r", "varpro_book": "VarPro, 6000 steps", "varpro_equal": "VarPro, equal time"})
        .style.format("{:.3g}").format("{:.0f}", subset=["trials", "GFT-r seconds (median)",
                                                          "VarPro steps in that time (median)"]))
    refit_over_committed = equal_time["gft_r_test_mse"] / equal_time["gft_r_committed_test_mse"]
    time_share = equal_time["varpro_seconds"] / equal_time["gft_r_seconds"]
    display(Markdown(
        f"GFT-r refitted here against the committed trial on the same data draw and seed: test MSE "
        f"{refit_over_committed.min():.2g} to {refit_over_committed.max():.2g} times the committed one. "
        f"VarPro's measured time is {time_share.min():.2f} to {time_share.max():.2f} times GFT-r's "
        "(its steps are priced from two timing fits of 200 and 1200 steps before the fit)."))

# %%
if equal_time is not None:
    ratio = per_setting["GFT-r / VarPro, equal time"]
    varpro_ahead = ["ishigami-d5", "ishigami-d10"]
    gft_r_ahead = ["friedman1-d5", "friedman1-d10", "polynomial-d10"]
    # trial by trial (the same data draw and seed): a mean of three can rest on one trial
    paired_wins = (equal_time["varpro_test_mse"] < equal_time["gft_r_test_mse"]).groupby(
        equal_time["setting"], sort=False).sum()
    claims.check("equal time: VarPro beats GFT-r on ishigami-d5, ishigami-d10 on every trial "
                 "(smallest ratio GFT-r / VarPro over the trials)",
                 float((equal_time["gft_r_test_mse"] / equal_time["varpro_test_mse"])[
                     equal_time["setting"].isin(varpro_ahead)].min()), ">", 1)
    claims.check("equal time: VarPro beats GFT-r on ishigami-d5, ishigami-d10 (smallest ratio of means GFT-r / VarPro)",
                 float(ratio[varpro_ahead].min()), ">", 1.5)
    claims.check("equal time: GFT-r stays ahead on friedman1-d5, friedman1-d10, polynomial-d10 "
                 "(smallest ratio of means VarPro / GFT-r)", float((1 / ratio[gft_r_ahead]).min()), ">", 2)
    claims.check("equal time: VarPro gets several times GFT-r's step count (smallest ratio of steps to 6000)",
                 float(per_setting["varpro_steps"].min() / 6000), ">", 2)
    display(Markdown(
        f"In GFT-r's time VarPro runs a median of {per_setting['varpro_steps'].min():.0f} to "
        f"{per_setting['varpro_steps'].max():.0f} steps per setting, not 6000. With them its mean ends below "
        f"GFT-r's on {', '.join(varpro_ahead)}, by a factor {ratio[varpro_ahead].min():.2g} to "
        f"{ratio[varpro_ahead].max():.2g} in the mean; GFT-r stays ahead on {', '.join(gft_r_ahead)}, by "
        f"a factor {(1 / ratio[gft_r_ahead]).min():.2g} to {(1 / ratio[gft_r_ahead]).max():.0f}. Trial by "
        "trial, VarPro has the lower test MSE on "
        + ", ".join(f"{name} {int(wins)} of {int(per_setting.loc[name, 'trials'])}" for name, wins in paired_wins.items())
        + f" (polynomial-d5: mean ratio {ratio['polynomial-d5']:.2g}, a mean that one trial decides)."))
    def committed_varpro(setting: str) -> pd.DataFrame:
        """The committed book-preset VarPro rows of ``setting`` (Fourier features), by trial."""
        return rows[(rows["preset"] == "book") & (rows["setting"] == setting)
                    & (rows["method"] == "varpro") & (rows["activation"] == "fourier")].sort_values("trial")

    varpro_d10 = committed_varpro("friedman1-d10")
    records = varpro_d10["fitted"].map(json.loads)
    varpro_poly = committed_varpro("polynomial-d10")
    varpro_poly_kept = [json.loads(f)["fit_best_step"] for f in varpro_poly["fitted"]]
    # a fit's history is on the scaled labels y / rms(y): times mean(y^2) gives the test MSE's units
    label_mean_square = varpro_d10["data_seed"].map(
        lambda s: float(np.mean(load_setting("friedman1-d10", seed=int(s))[1] ** 2)))
    relative_loss = records.map(lambda r: r["fit_train_loss_best"])
    train_loss = relative_loss * label_mean_square
    start_loss = records.map(lambda r: r["fit_train_loss_start"]) * label_mean_square
    fitted_closely = relative_loss < 1e-5  # of the labels' mean square
    display(Markdown(
        f"The committed 6000-step VarPro fits of friedman1-d10 end at a training MSE of "
        f"{train_loss[fitted_closely].min():.2g} to {train_loss[fitted_closely].max():.2g} (in the test MSE's "
        f"units; under 1e-5 of the labels' mean square) on "
        f"{int(fitted_closely.sum())} of {len(varpro_d10)} trials (from {start_loss.median():.2g} "
        f"at the start, the median), with test MSE {varpro_d10['test_mse'][fitted_closely].min():.2g} to "
        f"{varpro_d10['test_mse'][fitted_closely].max():.2g} on them; "
        + "; ".join(f"trial {int(r['trial'])} kept the iterate of step {json.loads(r['fitted'])['fit_best_step']} "
                    f"(test MSE {r['test_mse']:.3g})" for _, r in varpro_d10[~fitted_closely].iterrows())
        + ". On polynomial-d10 they keep the iterate "
        f"of step {', '.join(map(str, varpro_poly_kept))} (trials {', '.join(map(str, varpro_poly['trial']))}) "
        "of their 6000."))

# %% [markdown]
# The VarPro column of the tables therefore understates VarPro at equal cost: at equal time
# VarPro is ahead on the two Ishigami settings, GFT-r on three settings, and polynomial-d5
# is undecided. What the generator buys is not speed on every problem:
# where descent from one random feature set reaches a minimum that generalises, more steps of
# it are the cheaper way there; where it does not, learning where to draw features from pays.
# On polynomial in $d = 10$ the committed 6000-step VarPro fits keep an iterate from the first
# half of their steps (printed above), and at equal time they keep the same iterate: the
# table's two VarPro columns agree there. On Friedman 1 in $d = 10$ only $M = 200$ points are given, 180 of them fitted. The
# ridge solve of $N = 100$ complex features fits real and imaginary parts, 360 real
# conditions on 200 real unknowns, so a fixed random feature set does not interpolate them
# (training MSE 0.97 at VarPro's start, printed above); by moving its 1000 inner weights
# VarPro fits its training rows almost exactly on 4 of 5 trials (printed above; the fifth kept
# its start, the random features, and is among the untrained trials listed earlier) and stays about three orders of magnitude above GFT-r on the test points. Three trials per setting are a small sample (means of three can rest on one
# trial). The seconds here are this comparison's own, one process on one thread; the
# training-time table above comes from the runner's earlier runs, on other commits and beside
# other work, so the two need not agree.

# %% [markdown]
# ## Exercises
#
# 1. The settings table lists $\mathrm{Var}(y)$. What fraction of the variance of
#    Friedman 1 in $d = 5$ does a test MSE of $10^{-4}$ leave unexplained, and what does the
#    live comparison's RFF error leave?
# 2. Run two cells of the protocol yourself (GFT-r and RFF on one setting) at the `smoke`
#    preset and print their table:
#    `python -m gft run --setting friedman1-d5 --method gft-r rff --preset smoke --trials 2 --out results`,
#    then `python -m gft table results`. Rerun the first command: what happens?
# 3. Random features choose their scale $\sigma$ on the validation split. Why can neither a
#    very small nor a very large $\sigma$ fit Friedman 1 in $d = 5$ with $N = 100$ features?
#
# ```{admonition} Solutions
# :class: dropdown
#
# 1. The unexplained fraction is $\mathrm{MSE}/\mathrm{Var}(y)$: $10^{-4}$ divided by the
#    table's variance (about 23) is about $4 \cdot 10^{-6}$. For RFF, divide its test MSE
#    in the live table by the same variance.
# 2. The run writes one CSV per cell with a row per trial and its provenance, and for the
#    GFT-r cell a `.selection.json` with the validation MSE of every $\lambda$ (RFF has no
#    TV weight: its selection record holds the one fit it has, which is trial 0). The second run finds
#    every trial already written and skips it: the runner resumes, it never computes or
#    writes a trial twice.
# 3. With a small $\sigma$ every frequency is near 0, and by Taylor expansion
#    $e^{2\pi i\langle w, x\rangle} = 1 + 2\pi i\langle w, x\rangle - 2\pi^2\langle w, x\rangle^2 + \dots$
#    the features span low-degree polynomials in $x$, but their higher-order parts are
#    smaller by powers of $\sigma$: the design matrix is nearly of low rank, and the ridge
#    cannot reach the curved parts of the target (the product $x_1x_2$ inside
#    $\sin(\pi x_1 x_2)$, the square $(x_3 - \frac12)^2$) without huge coefficients. With a
#    large $\sigma$ most frequencies are far above the target's spectrum: on the training
#    points such features behave like nearly unrelated vectors, and with $N = 100$ of them
#    for about 450 rows the fit is poor on the training points already, let alone between
#    them. The validated $\sigma$ balances the two, but 100 draws from one isotropic Gaussian
#    cannot place the frequencies where the target needs them.
# ```

# %% [markdown]
# ## The claims of this chapter
#
# Each claim above, with the value this run measured, its threshold and the factor by which
# it held (at the `smoke` preset, whose generators barely train, they are computed but not
# asserted):

# %%
claims.table()

# %% [markdown]
# ## Next
#
# - [Ablations](05_ablations.ipynb): how the error depends on $N$, on the TV weight
#   $\lambda$ and on the generator's size and training length.
# - [UCI benchmarks](06_uci_benchmarks.ipynb): the same comparison on six real data sets,
#   two of them with pure-noise input columns.
