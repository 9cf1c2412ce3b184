# ---
# jupyter:
#   accelerator: GPU
#   colab:
#     gpuType: T4
#     provenance: []
#   jupytext:
#     cell_metadata_filter: tags,-all
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
# # Random versus learned features
#
# GFT learns the first layer of a thin network; its baseline, random features, draws it once
# and fits only the output layer. What does learning the first layer buy? Recent theory
# answers precisely in a high-dimensional regime — samples $M$, width $N$ and dimension $d$
# growing together — and most of its phenomena show up at laptop size. This chapter
# reproduces them, each with a check:
#
# 1. **random features need a ridge, and many samples beyond the linear part.** Minimum-norm
#    random-features regression has a test-error peak when the width $N$ passes the number
#    of samples $M$ (double descent); a well-chosen ridge removes it
#    {cite:p}`mei2022doubledescent`. With $M \asymp d$ samples random
#    features learn the linear part of the target; its quadratic part needs $M$ of order $d^2$
#    (fully only for $M \gg d^2$; and, for random features, $N$ of order $d^2$ features);
# 2. **one large gradient step learns a direction.** A single step on the first layer adds
#    a rank-one *spike* to the random weight matrix; past a threshold it leaves the
#    Marchenko–Pastur bulk as an outlier singular value whose singular vector aligns with the
#    target direction, and the random-features fit on the updated layer improves sharply
#    {cite:p}`ba2022onestep`;
# 3. **the kernel is reshaped.** The updated features induce a kernel in which the target's
#    linear part, and then its quadratic part, align with top eigenvectors of the kernel
#    {cite:p}`featurelearningfunctionspace`;
# 4. **a second step adds outliers** in the proportional limit {cite:p}`linearwidth2steps`; at
#    laptop size we see only the second singular value set further apart from the third (an
#    exploratory box);
# 5. **GFT learns the same structure**: the features a trained generator draws are
#    concentrated on the target direction.
#
# **Notation.** The chapter keeps the symbols of [the notation page](../book/notation.md) —
# $M$ samples, $N$ features, $d$ inputs, $\delta$ the ridge, $\Phi$ the activation (here the
# ReLU), $b$ the output weights, $\sigma^2 = 1/d$ the variance of random features in sections
# 1–4 (section 5's $\sigma$ is the random features' scale, chosen on a validation split) — except
# that its feature matrix $F = \Phi(XW^\top)/\sqrt N$ is scaled by $1/\sqrt N$ and has no
# bias (the scaling of the theory; the book's $A$ uses $1/N$ and a bias column, as does
# section 5), and that its ridge problem weighs the *mean* squared error,
# $\frac1M\|y - Fb\|^2 + \delta\|b\|^2$, where the book's weighs the sum (so the $\delta$ of
# sections 1–4 is per sample; section 5 uses the book's), and it adds local symbols: $\beta$ the target direction, $h$ the link, $\eta$ a
# step size, $\Gamma$ the rescaled negative first-layer gradient, $\gamma$ the strength of its spike, $q = N/d$,
# $s$ singular values and $\kappa$ a kernel; $c_1, c_2$ are the shares of the target's linear
# and quadratic parts that a fit recovers (defined with the model below). In sections 1–4
# $N$ is comparable to $M$, the proportional regime of the theory (section 1 sweeps $N$
# through $M$); only section 5, with the book's GFT, has $N \ll M$. Symbols used in one section
# only — the number $J$ of first-layer draws, the label noise $\varepsilon$, the mean $\mu_1$
# of $\Phi'$, the exponents $\alpha_i$ of two steps — are defined where they appear.
#
# The code is in {py:mod}`gft.theory.feature_learning`.

# %% tags=["hide-input"]
import os
import subprocess
import sys

if "google.colab" in sys.modules:  # Colab: install gft from its repository first
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "git+https://github.com/gft-book/gft"], check=True)

import math

import matplotlib.pyplot as plt
from matplotlib import ticker
import numpy as np
import torch
from IPython.display import Markdown, display

import gft
from gft import theory
from gft.experiments import start_chapter

# %% tags=["parameters"]
preset = os.environ.get("GFT_PRESET", "book")  # "smoke" (seconds), "book" (these pages), "paper"
label_noise = 0.5  # standard deviation of the label noise in the double-descent experiment
step_sizes = [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]  # eta of the one-step sweep
kernel_steps = [0.0, 16.0, 64.0]  # eta of the kernels compared in section 3
two_step_exponents = [(0.32, 0.45), (0.34, 0.4)]  # (alpha_1, alpha_2) of the step sizes eta_i: N^alpha_i
seed = 0  # seeds every random draw of the chapter
assert_claims = True  # False: compute and report the claims without asserting them
claims_file = None  # a CSV the claims table is appended to (benchmarks/claim_margins.py)

# %%
claims = start_chapter(preset, seed, assert_claims, claims_file)  # seeds random, NumPy, torch
# the link h of every target h(<beta, x>) on this page, He1 + He2/2: not a parameter, because the
# shares c1, c2, the prose and the claims are all about its two parts
link = "he1+he2"

SIZES = {
    "smoke": dict(dd_dim=20, dd_samples=60, dd_max_width=600, dd_widths=8, dd_draws=2, split_draws=3,
                  sweep_dims=(8, 16), sweep_draws=1, sweep_test=500,
                  width=200, dim=50, batch=400, n_fit=400, n_test=400,
                  two_step_size=200, gft_dim=10, gft_samples=300, gft_steps=20),
    "book": dict(dd_dim=100, dd_samples=400, dd_max_width=8000, dd_widths=25, dd_draws=5, split_draws=30,
                 sweep_dims=(8, 16, 32), sweep_draws=3, sweep_test=3000,
                 width=1000, dim=200, batch=2000, n_fit=1000, n_test=2000,
                 two_step_size=1000, gft_dim=20, gft_samples=1000, gft_steps=1000),
    "paper": dict(dd_dim=200, dd_samples=800, dd_max_width=16000, dd_widths=40, dd_draws=20, split_draws=100,
                  sweep_dims=(8, 16, 32), sweep_draws=5, sweep_test=4000,
                  width=2000, dim=400, batch=4000, n_fit=2000, n_test=4000,
                  two_step_size=2000, gft_dim=20, gft_samples=2000, gft_steps=5000),
}
if preset not in SIZES:
    raise ValueError(f"Unknown preset {preset!r}. Must be one of {list(SIZES)}")
size = SIZES[preset]
device = "cuda" if torch.cuda.is_available() else "cpu"  # only the GFT fit uses torch
if device == "cpu":
    torch.set_num_threads(1)
rng = np.random.default_rng(seed)
print(f"gft {gft.__version__}, preset {preset!r}, device {device}")


def hermite_shares(f, t, y):
    r"""(c1, c2): the shares of the target's He1 and He2 parts that the predictions f carry.

    ``t`` = <beta, x> and ``y`` the noiseless target at the same test points; c_k is f's
    least-squares coefficient on He_k over the basis 1, He1, He2 at those points, divided by
    y's (1 and 1/2), so 1 when f has learned that part. A joint fit, because on a finite test
    set He1 and He2 are not orthogonal: a ratio of single inner products would mix the parts.
    """
    basis = np.stack([np.ones_like(t), t, t**2 - 1], axis=1)
    (_, f1, f2), (_, y1, y2) = (np.linalg.lstsq(basis, v, rcond=None)[0] for v in (f, y))
    return float(f1 / y1), float(f2 / y2)


# %% [markdown]
# ## The model and the target
#
# Inputs are Gaussian, $x\sim \mathcal{N}(0, I_d)$, and the target is a *single-index* function: it
# depends on $x$ only through one direction $\beta$ ($\|\beta\|=1$),
#
# $$
# y = h(\langle\beta, x\rangle),\qquad h(t) = \mathrm{He}_1(t) + \tfrac12\mathrm{He}_2(t) = t + \tfrac12(t^2-1),
# $$
#
# a linear and a quadratic part in Hermite polynomials, of variances $1$ and
# $\tfrac14\,\mathbb E\,\mathrm{He}_2^2 = \tfrac12$. How much of each part a predictor $f$
# has learned we measure by the shares $c_1, c_2$: fit $f$ over the test points by least
# squares in the basis $1, \mathrm{He}_1, \mathrm{He}_2$ of $t = \langle\beta, x\rangle$, and divide the
# coefficients of $\mathrm{He}_1$ and $\mathrm{He}_2$ by the target's ($1$ and $\tfrac12$):
# $c_k = 1$ when the part is learned, $c_k = 0$ when it is missed. (A joint fit rather than
# one inner product per part: on a finite test set $\mathrm{He}_1$ and $\mathrm{He}_2$ are
# not orthogonal, and separate ratios would credit one part with the other's fit.) The network has $N$ ReLU features,
#
# $$
# f(x) = \frac1{\sqrt N}\sum_{l=1}^N b_l\,\Phi(\langle w_l, x\rangle),\qquad
# w_l\sim \mathcal{N}(0, \sigma^2 I_d),\ \sigma^2 = 1/d,\quad b_l\sim \mathcal{N}(0, 1/N);
# $$
#
# *random features* keep the $w_l$ and fit $b$ by ridge regression,
# $\min_b \frac1M\|y - Fb\|^2 + \delta\|b\|^2$ with $F = \Phi(XW^\top)/\sqrt N$.

# %% [markdown]
# ## 1. Random features: double descent and the ridge
#
# With $M$ noisy samples ($y + 0.5\,\varepsilon$, $\varepsilon \sim \mathcal{N}(0, 1)$ independent of $x$) and
# $d$ inputs, we fit random features of widths $N$ from $M/20$ to $20M$ (at the `book` preset) with a vanishing ridge (the minimum-norm interpolator once
# $N\ge M$), with a few fixed ridges, and with the best ridge on a fine grid (chosen on the
# test error, as in the theory of the optimally tuned ridge). Each width is averaged over a
# few independent draws of the first layer.
#
# Where does the error at the peak come from? Holding the training data fixed, the error of
# the minimum-norm fit against the noiseless target splits, over draws of the first layer,
# into the squared bias of the predictor averaged over infinitely many first layers and the
# variance over first layers. With $J$ draws, the error of their average is not that bias$^2$:
# it still carries $1/J$ of the variance. We therefore use the unbiased estimates (variance with
# $J - 1$ in the denominator, bias$^2$ = error $-$ variance), with $J$ draws (30 at the `book`
# preset; the number is printed below) at widths
# around $N = M$ — but not at $N = M$ itself, where the feature matrix is square and nearly
# singular and the variance over draws so heavy-tailed that a few tens of draws do not
# estimate it.

# %%
d_dd, M_dd = size["dd_dim"], size["dd_samples"]
beta_dd = rng.standard_normal(d_dd)
beta_dd /= np.linalg.norm(beta_dd)
X_dd = rng.standard_normal((M_dd, d_dd))
y_dd = theory.single_index_target(X_dd, beta_dd, link) + label_noise * rng.standard_normal(M_dd)
X_dd_test = rng.standard_normal((2000, d_dd))
y_dd_test = theory.single_index_target(X_dd_test, beta_dd, link)

widths = np.unique(np.concatenate([
    np.round(np.geomspace(M_dd / 20, size["dd_max_width"], size["dd_widths"])).astype(int),
    [M_dd],
]))
fixed_ridges = [1e-4, 1e-3, 1e-2]
fine_ridges = list(np.geomspace(1e-6, 1.0, 25))
ridges = [0.0, *fixed_ridges, *fine_ridges]
dd = theory.double_descent(X_dd, y_dd, X_dd_test, y_dd_test, widths, ridges, size["dd_draws"], rng)
print(f"{len(widths)} widths x {size['dd_draws']} draws")

# the decomposition: a few draws at widths around N = M (N = M itself left out), minimum norm only
split_ratios = np.array([0.5, 0.75, 0.9, 0.97, 1.03, 1.1, 1.33, 2.0])
split_widths = np.round(split_ratios * M_dd).astype(int)
n_split = size["split_draws"]
split = theory.double_descent(X_dd, y_dd, X_dd_test, y_dd_test, split_widths, [0.0], n_split, rng)
print(f"{len(split_widths)} widths x {n_split} draws")
split_mse = split.test_mse.mean(-1)[:, 0]
split_variance = split.variance[:, 0] * n_split / (n_split - 1)  # unbiased over the draws
split_bias_sq = split_mse - split_variance  # unbiased: the bias^2 of the infinite-draw average
average_of_5 = split_bias_sq + split_variance / 5  # expected error of the average of 5 draws

mse = dd.test_mse.mean(-1)  # (widths, ridges)
fine = slice(1 + len(fixed_ridges), None)
best = mse[:, fine].min(1)  # best ridge on the fine grid, per width
best_ridge = np.asarray(fine_ridges)[mse[:, fine].argmin(1)]
i_peak = int(np.argmin(np.abs(widths - M_dd)))
he2_variance = 0.5  # the error of a predictor that learns the linear part exactly and misses He2

fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
ratio = widths / M_dd
axes[0].loglog(ratio, mse[:, 0], "o-", ms=3, label=r"$\delta\to0$ (min-norm)")
for j, ridge in enumerate(fixed_ridges, start=1):
    axes[0].loglog(ratio, mse[:, j], lw=1, label=rf"$\delta = 10^{{{np.log10(ridge):.0f}}}$")
axes[0].loglog(ratio, best, "k--", lw=2, label="best ridge")
axes[0].axhline(he2_variance, color="C4", ls=":", lw=1.5, label=r"variance of $\frac{1}{2}\mathrm{He}_2$")
axes[0].axvline(1.0, color="gray", lw=0.8)
axes[0].set(xlabel="width / samples  $N/M$", ylabel="test MSE", title="random-features regression",
            ylim=(0.5 * min(best.min(), he2_variance), 3 * mse[:, 0].max()))
axes[0].legend(fontsize=9)
positive = split_bias_sq > 0  # an unbiased estimate can come out negative; a log axis cannot show it
axes[1].loglog(split_ratios, split_variance, "s-", ms=4, label="variance over first layers")
axes[1].loglog(split_ratios[positive], split_bias_sq[positive], "o-", ms=4,
               label="bias$^2$ (average of infinitely many)")
axes[1].loglog(split_ratios[positive], average_of_5[positive], "k:", lw=1.5,
               label="error of an average of 5 draws")
axes[1].axvline(1.0, color="gray", lw=0.8)
axes[1].set(xlabel="$N/M$", ylabel="MSE", title=rf"min-norm, {n_split} first layers per width ($N = M$ left out)",
            ylim=(0.5 * min(split_bias_sq[positive].min(), split_variance.min()),
                  3 * max(split_variance.max(), average_of_5.max())))
axes[1].set_xticks([0.5, 1, 2], ["0.5", "1", "2"])
axes[1].set_xticks([], minor=True)
axes[1].legend(fontsize=9)
plt.tight_layout()
plt.show()
print(f"min-norm test MSE: N = {widths[0]}: {mse[0, 0]:.3g}, N = M = {widths[i_peak]}: {mse[i_peak, 0]:.3g}, "
      f"N = {widths[-1]}: {mse[-1, 0]:.3g}; best ridge at N = M: {best[i_peak]:.3g} "
      f"(delta = {best_ridge[i_peak]:.1e})")
print("fixed ridges at N = M: " + ", ".join(f"delta = {ridge:g}: {mse[i_peak, j]:.3g}"
                                          for j, ridge in enumerate(fixed_ridges, start=1)))
for N, e, b2, v in zip(split_widths, split_mse, split_bias_sq, split_variance):
    print(f"N = {N:4d}: error {e:7.3g} = bias^2 {b2:6.3g} + variance {v:7.3g}")

# %%
W_wide = rng.standard_normal((widths[-1], d_dd)) / math.sqrt(d_dd)
f_wide = theory.ridge_path_predictions(theory.random_features(X_dd, W_wide), y_dd,
                                       theory.random_features(X_dd_test, W_wide), [best_ridge[-1]])[0]
c1_dd, c2_dd = hermite_shares(f_wide, X_dd_test @ beta_dd, y_dd_test)

# the same data without label noise: the peak does not need it
y_dd_clean = theory.single_index_target(X_dd, beta_dd, link)
clean = theory.double_descent(X_dd, y_dd_clean, X_dd_test, y_dd_test, [M_dd // 2, M_dd], [0.0],
                              size["dd_draws"], rng).test_mse.mean(-1)[:, 0]
# nor the quadratic part: a linear target, noiseless (its own stream, so the draws below are unchanged)
linear_rng = rng.spawn(1)[0]
clean_linear = theory.double_descent(
    X_dd, theory.single_index_target(X_dd, beta_dd, "he1"), X_dd_test,
    theory.single_index_target(X_dd_test, beta_dd, "he1"), [M_dd // 2, M_dd], [0.0], size["dd_draws"],
    linear_rng).test_mse.mean(-1)[:, 0]

ends = [0, len(widths) - 1]
peak_factor = mse[i_peak, 0] / mse[ends, 0].max()
near = np.abs(split_ratios - 1) < 0.05  # N = 0.97 M and 1.03 M
variance_growth = split_variance[near].min() / split_variance[0]
bias_share = (split_bias_sq[near] / split_mse[near]).max()
bias_near = split_bias_sq[near].max() / split_bias_sq[-1]
average_growth = average_of_5[near].min() / average_of_5[0]
rise = float(np.max(best / np.minimum.accumulate(best)) - 1)
mantissa, exponent = f"{peak_factor:.2e}".split("e")
display(Markdown(
    f"The minimum-norm error at $N = M$ is ${float(mantissa):.3g} \\times 10^{{{int(exponent)}}}$ times the "
    f"larger of its values at the "
    f"two ends of the sweep, and without label noise still {clean[1] / clean[0]:.3g} times its value "
    f"at $N = M/2$; for the linear target $\\mathrm{{He}}_1(\\langle\\beta, x\\rangle)$ without noise "
    f"{clean_linear[1] / clean_linear[0]:.3g} times (test MSE {clean_linear[0]:.2g} at $N = M/2$, "
    f"{clean_linear[1]:.3g} at $N = M$). At $N = 0.97M$ and $1.03M$ the variance over first layers is at least "
    f"{variance_growth:.3g} times its value at $N = M/2$ and makes up all but at most "
    f"{100 * bias_share:.2g} % of the error, while the bias$^2$ there is at most {bias_near:.2g} times "
    f"its value at $N = 2M$; the error of an average of 5 draws is at least {average_growth:.3g} times "
    f"its value at $N = M/2$. The best-ridge curve never rises more than {100 * rise:.2g} % above its "
    f"running minimum. At the widest $N = {widths[-1]}$ the best-ridge fit carries $c_1 = {c1_dd:.2f}$ "
    f"of the linear part and $c_2 = {c2_dd:.2f}$ of the quadratic part ($M = {M_dd / d_dd:.0f}\\,d$)."))

# %% [markdown]
# The minimum-norm fit has its peak at $N = M$, where the square feature matrix is worst
# conditioned and the interpolator amplifies every part of the labels that the features
# cannot fit: the label noise, the quadratic part of the target, which random features treat
# as noise here, and, even for a linear target, the part of the ReLU features that is
# nonlinear in $x$, which acts as noise of its own (the $\mu_*$ term of the Gaussian
# equivalent model {cite:p}`mei2022doubledescent`): the peak stays when the label noise is
# removed, and again when the target is linear as well. Over draws
# of the first layer (right), the peak is one of variance, loosely as in the analysis of
# random features trained by SGD (a unimodal variance, a decreasing bias)
# {cite:p}`rfdoubledescentsgd`, which splits the error over data, noise and features rather
# than over first layers at fixed data: the variance over first layers grows more than tenfold from $N = M/2$ to within 3 % of $N = M$, while the bias$^2$ — the
# error of the predictor averaged over infinitely many first layers — stays on its plateau.
# An average of a *few* draws, by contrast, does blow up, since it keeps a fifth of the
# variance (dotted): plotted as "bias$^2$", it would suggest that both terms diverge. (Other
# splits answer other questions: split into the error that the target causes and the error
# that the label noise causes, the first also grows at $N = M$, as the noiseless run shows.)
# Beyond the peak the error descends a second time. Each of the fixed ridges flattens the
# peak (the test errors at $N = M$ are printed below the figure), and with the best ridge the test error decreases (up to rises of under half a per cent on this run, printed above) in the
# width: more random features do not hurt when the ridge is tuned.
#
# The plateau is not the end of learning but a statement about what random features learn
# from $M = 4d$ samples: the fit has learned most of the *linear* part
# $\langle\beta, x\rangle$ — a linear function with $d$ coefficients, which $M\asymp d$
# samples determine — and little of the quadratic part $\frac12\mathrm{He}_2(\langle\beta,
# x\rangle)$, whose variance $\frac12$ (dotted, left) is most of the plateau's error. The
# next experiment shows what the quadratic part needs.

# %%
assert np.all(np.isfinite(mse[:, 1:])) and np.all(np.isfinite(split_mse))
claims.check("1: min-norm peak at N = M, error over the larger of the two ends", peak_factor, ">", 50)
claims.check("1: the min-norm peak is at N = M, error over the largest at any other width",
             mse[i_peak, 0] / np.delete(mse[:, 0], i_peak).max(), ">", 10)
claims.check("1: the peak stays without label noise, error at N = M over N = M/2", clean[1] / clean[0], ">", 30)
claims.check("1: the peak stays for a linear target without noise, error at N = M over N = M/2",
             clean_linear[1] / clean_linear[0], ">", 30)
claims.check("1: variance over first layers at N = 0.97M, 1.03M over N = M/2 (smaller)", variance_growth, ">", 10)
claims.check("1: bias^2 share of the error at N = 0.97M, 1.03M (larger)", bias_share, "<", 0.1)
claims.check("1: bias^2 at N = 0.97M, 1.03M over N = 2M (larger): it stays on its plateau", bias_near, "<", 1.5)
claims.check("1: the error of a 5-draw average blows up, at N = 0.97M, 1.03M over N = M/2 (smaller)",
             average_growth, ">", 3)
claims.check("1: every fixed ridge flattens the peak (largest error at N = M over the min-norm one)",
             mse[i_peak, 1:1 + len(fixed_ridges)].max() / mse[i_peak, 0], "<", 0.01)
claims.check("1: the best-ridge error never rises more than 3 % above its running minimum", rise, "<", 0.03)
claims.check("1: at M = 4d random features learn most of the linear part (c1)", c1_dd, ">", 0.6)
claims.check("1: at M = 4d random features learn little of the He2 part (|c2|)", abs(c2_dd), "<", 0.25)

# %% [markdown]
# ### What random features learn: the linear part at $M\asymp d$, the quadratic at $M\asymp d^2$
#
# As the width grows, random-features ridge regression tends to kernel ridge regression with
# the kernel of infinitely many ReLU features, the arc-cosine kernel
#
# $$
# \kappa(x, x') = \mathbb E_{w\sim \mathcal{N}(0, I_d/d)}\,\Phi(\langle w,x\rangle)\Phi(\langle w,x'\rangle)
# = \frac{\|x\|\,\|x'\|}{2\pi d}\big(\sin\vartheta + (\pi-\vartheta)\cos\vartheta\big),
# $$
#
# $\vartheta$ the angle between $x$ and $x'$. The kernel is rotation invariant, so it cannot
# prefer $\beta$: its eigenfunctions are polynomials of each degree (exactly for inputs on a
# sphere, approximately for Gaussian inputs in high dimension), the $d$ linear ones
# sharing one eigenvalue of order $1/d$ and the $\approx d^2/2$ quadratic ones one of order
# $1/d^2$. In the proportional regime, $M, N\asymp d$, random features therefore learn the
# linear part of a target and nothing more, the rest acting as noise
# {cite:p}`mei2022doubledescent`; a part of degree $k$ is learned once the samples (and, for
# random features, the features) outnumber the eigenfunctions of that degree, provided the
# kernel's eigenvalue of that degree is not zero. For the ReLU without bias it is zero for
# every odd degree $k \ge 3$ — the kernel is $\frac{\|x\|\|x'\|}{d}\bigl(\frac u4 + $ an even
# function of $u = \cos\vartheta\bigr)$, the parity that also removes the ReLU's odd harmonics
# in [chapter 07](07_variable_projection.ipynb) — so such parts are never learned; the
# even degrees follow the rule:
# $N\gg d^k$ for $N$ random features with unlimited samples, or $M\gg d^k$ samples for the
# kernel itself {cite:p}`ghorbani2021linearized` (inputs on the sphere; both limits finite
# together in {cite:p}`mei2022hypercontractivity`). We check
# this scaling with the kernel itself: for
# $d\in\{8, 16, 32\}$ and $M = d, 2d, 4d, \dots, 2d^2$ (same label noise, best ridge
# on a grid, shares averaged over a few draws of the data), the share $c_1$ of the linear
# part against $M/d$, and the share $c_2$ of the quadratic part against $M/d^2$.

# %%
def relu_kernel(X1, X2):
    r"""Arc-cosine kernel: the N -> infinity limit of ``theory.feature_kernel`` for w ~ N(0, I_d/d)."""
    n1, n2 = np.linalg.norm(X1, axis=1), np.linalg.norm(X2, axis=1)
    cos = np.clip(X1 @ X2.T / np.outer(n1, n2), -1.0, 1.0)
    angle = np.arccos(cos)
    return np.outer(n1, n2) * (np.sin(angle) + (np.pi - angle) * cos) / (2 * np.pi * X1.shape[1])


X_check = rng.standard_normal((4, 6))
W_many = rng.standard_normal((200_000, 6)) / math.sqrt(6)
np.testing.assert_allclose(theory.feature_kernel(X_check, X_check, W_many), relu_kernel(X_check, X_check),
                           atol=0.03 * relu_kernel(X_check, X_check).max())

kernel_ridges = np.geomspace(1e-6, 1.0, 13)
sweep = []  # (d, M, c1, c2) averaged over draws
for d in size["sweep_dims"]:
    beta_s = rng.standard_normal(d)
    beta_s /= np.linalg.norm(beta_s)
    X_s_test = rng.standard_normal((size["sweep_test"], d))
    y_s_test = theory.single_index_target(X_s_test, beta_s, link)
    for m in [d * 2**k for k in range(20) if 2**k <= 2 * d]:  # M = d, 2d, 4d, ..., 2 d^2
        shares = []
        for _ in range(size["sweep_draws"]):
            X_s = rng.standard_normal((m, d))
            y_s = theory.single_index_target(X_s, beta_s, link) + label_noise * rng.standard_normal(m)
            ev_s, V_s = np.linalg.eigh(relu_kernel(X_s, X_s))
            test_V = relu_kernel(X_s_test, X_s) @ V_s
            preds = np.stack([test_V @ (V_s.T @ y_s / (ev_s + m * r)) for r in kernel_ridges])
            f_s = preds[((preds - y_s_test) ** 2).mean(1).argmin()]
            shares.append(hermite_shares(f_s, X_s_test @ beta_s, y_s_test))
        sweep.append((d, m, *np.mean(shares, 0), *np.std(shares, 0)))  # c1, c2, then their spreads
sweep = np.array(sweep)
print(f"{len(sweep)} kernel fits x {size['sweep_draws']} draws")

fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), sharey=True)
for d, marker in zip(size["sweep_dims"], "osd^"):
    rows = sweep[sweep[:, 0] == d]
    # the mean over the draws, bars one standard deviation of the draws
    axes[0].errorbar(rows[:, 1] / d, rows[:, 2], yerr=rows[:, 4], fmt=marker + "-", capsize=2, label=f"d = {d}")
    axes[1].errorbar(rows[:, 1] / d**2, rows[:, 3], yerr=rows[:, 5], fmt=marker + "-", capsize=2, label=f"d = {d}")
axes[0].set(xlabel="samples / dimension  $M/d$", ylabel="share learned",
            title=r"linear part: $c_1$ against $M/d$")
axes[1].set(xlabel=r"samples / dimension$^2$  $M/d^2$", title=r"quadratic part: $c_2$ against $M/d^2$")
for ax in axes:
    ax.set_xscale("log")
    ax.axhline(1.0, color="gray", lw=0.8)
    ax.set_ylim(-0.1, 1.2)
    ax.legend(fontsize=9)
plt.tight_layout()
plt.show()


def share_at(d, m, column):
    """The averaged share (column 2: c1, 3: c2) of the sweep at dimension d and M = m samples."""
    row = sweep[(sweep[:, 0] == d) & (sweep[:, 1] == m)]
    return float(row[0, column])


dims = size["sweep_dims"]
c1_at_16d = min(share_at(d, 16 * d, 2) for d in dims)
c1_at_8d = {d: share_at(d, 8 * d, 2) for d in dims}
c2_at_8d = {d: share_at(d, 8 * d, 3) for d in dims}
c2_at_2d2 = min(share_at(d, 2 * d * d, 3) for d in dims)
display(Markdown(
    "At $M = 8d$ the linear share is "
    + ", ".join(f"$c_1 = {c1_at_8d[d]:.2f}$" for d in dims)
    + " and the quadratic share "
    + ", ".join(f"$c_2 = {c2_at_8d[d]:.2f}$" for d in dims)
    + f" for $d = {', '.join(str(d) for d in dims)}$: at a fixed $M/d$ the quadratic share at the "
    f"largest $d$ is {c2_at_8d[dims[-1]] / c2_at_8d[dims[0]]:.2g} times that at the smallest. At $M = 16d$, "
    f"$c_1 \\geq {c1_at_16d:.2f}$ in every dimension, and at $M = 2d^2$, $c_2 \\geq {c2_at_2d2:.2f}$ in "
    f"every dimension."))

# %%
assert np.all(np.isfinite(sweep))
claims.check("1: the linear part is learned at M = 16d, every d (smallest c1)", c1_at_16d, ">", 0.7)
claims.check("1: at M = 8d the largest d has learned little of the He2 part (c2)",
             c2_at_8d[dims[-1]], "<", 0.4)
claims.check("1: at M = 8d the He2 share is smaller at the largest d than at the smallest (ratio)",
             c2_at_8d[dims[-1]] / c2_at_8d[dims[0]], "<", 0.95)
claims.check("1: much of the He2 part is learned at M = 2d^2, every d (smallest c2)", c2_at_2d2, ">", 0.4)

# %% [markdown]
# Random features therefore do learn: the linear part of a target from $M\asymp d$ samples,
# like linear regression. What they cannot do is *find* $\beta$ — their kernel treats every
# direction alike — so the quadratic part along $\beta$ costs as many samples as all
# $\approx d^2/2$ quadratic functions together. Learning the first layer is what removes
# that cost.

# %% [markdown]
# ## 2. One large gradient step on the first layer
#
# Now take one full-batch gradient step on $W$ (with $b$ fixed) of the loss
# $\frac1{2M_1}\|y - f(X)\|^2$ on a batch of $M_1 = 10d$ samples (at the `book` preset), with step size
# $\eta\sqrt N$ as in {cite:p}`ba2022onestep`; the ridge regression after the step is fitted
# on $M = 5d$ other samples:
#
# $$
# W_1 = W_0 + \eta\,\Gamma,\qquad \Gamma = \frac1{M_1}\big[(y-f(X))\,b^\top\odot\Phi'(XW_0^\top)\big]^\top X ,
# $$
#
# $\Gamma$ being $\sqrt N$ times the negative gradient (a descent direction).
#
# At initialisation $f\approx0$, and replacing $\Phi'$ by its mean $\mu_1 = \mathbb
# E\,\Phi'(z) = \frac12$ shows the leading part of the step: a **rank-one** matrix,
#
# $$
# \Gamma \approx \mu_1\, b\,\hat g^\top,\qquad \hat g = \frac1{M_1} X^\top y \approx \mathbb E[y\,x] = \beta ,
# $$
#
# of strength $\gamma = \eta\,\mu_1\|b\|\,\|\hat g\|$. The random $W_0$ ($N\times d$, entries of
# variance $1/d$) has its singular values in the Marchenko–Pastur bulk
# {cite:p}`marchenko1967distribution`, with upper edge $1+\sqrt{q}$, $q = N/d$. A rank-one
# perturbation leaves the bulk only when it is strong enough — the BBP transition
# {cite:p}`baik2005phase`, here in its form for rectangular matrices
# {cite:p}`benaych2012singular` (stated there for an aspect ratio at most 1; for $q > 1$ the
# transpose of $W_0$, rescaled, gives the same formulas): for $\gamma > q^{1/4}$ an outlier
# appears at $s = \sqrt{(1+\gamma^2)(q+\gamma^2)}/\gamma$, and its right singular vector
# $v_1\in\mathbb R^d$ turns towards $\hat g$,
#
# $$
# \langle v_1, \hat g/\|\hat g\|\rangle^2 \to 1 - \frac{q+\gamma^2}{\gamma^2(\gamma^2+1)},
# $$
#
# which is 0 at the threshold and tends to 1 as $\gamma$ grows. The cosine of $\hat g$ with
# $\beta$, about $(1 + d\,\mathbb E[y^2]/M_1)^{-1/2}$ (for a link with
# $\mathbb E[y\langle\beta, x\rangle] = 1$), caps the alignment of $v_1$ with $\beta$; the
# product of the two is the BBP prediction of $|\langle v_1, \beta\rangle|$. These are asymptotic
# statements ($N, d\to\infty$ with $N/d\to q$, a fixed-rank spike independent of $W_0$, as $b$
# and the batch are here), and {cite:p}`ba2022onestep` proves them for a smooth, centred
# activation, which the ReLU is not: the checks below show how far they carry over. And $\Gamma$ is rank one only up to a remainder
# $R = \Gamma - \mu_1 b\hat g^\top$ small in operator norm {cite:p}`ba2022onestep`; in $W_1$
# that remainder is multiplied by $\eta$, so the rank-one picture holds while $\eta\|R\|$
# stays small against the bulk edge (both are printed below). Steps of the order of
# $\sqrt N$ (about 32 at the `book` preset) are the large-step regime of the same paper:
# the $b_l$ being of order $1/\sqrt N$, each feature $w_l$ then moves by an order-one multiple
# of $\hat g$, the features $\Phi(\langle w_l, x\rangle)$ become nonlinear functions of
# $\langle\beta, x\rangle$, and ridge regression on them can learn more than the linear part
# of the link.
#
# We sweep $\eta$; for each updated $W_1$ we record the spectrum, the alignment of the top
# right singular vector with $\beta$, and the test error of random-features ridge regression
# *with the updated first layer* (fitted on fresh data, best ridge on a grid, chosen on the
# test error as in section 1), with the
# shares $c_1$, $c_2$ of its fit.

# %%
width, dim, batch = size["width"], size["dim"], size["batch"]
beta = rng.standard_normal(dim)
beta /= np.linalg.norm(beta)
W0, b0 = theory.init_two_layer(width, dim, rng)
X_step = rng.standard_normal((batch, dim))
y_step = theory.single_index_target(X_step, beta, link)
X_fit = rng.standard_normal((size["n_fit"], dim))
y_fit = theory.single_index_target(X_fit, beta, link)
X_test = rng.standard_normal((size["n_test"], dim))
y_test = theory.single_index_target(X_test, beta, link)

Gamma = theory.first_layer_gradient(X_step, y_step, W0, b0)
g_hat = X_step.T @ y_step / batch
mu1 = 0.5  # E[relu'(z)]
q = width / dim
edge = theory.marchenko_pastur_edges(width, dim, 1 / dim)[1]
fit_ridges = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1]

records = []
for eta in step_sizes:
    W1 = W0 + eta * Gamma
    s, cos = theory.singular_alignment(W1, beta, k=3)
    preds = theory.ridge_path_predictions(theory.random_features(X_fit, W1), y_fit,
                                          theory.random_features(X_test, W1), fit_ridges)
    errors = ((preds - y_test) ** 2).mean(1)
    c1, c2 = hermite_shares(preds[errors.argmin()], X_test @ beta, y_test)
    records.append(dict(eta=eta, s=s, cos=cos[0], test_mse=errors.min(), c1=c1, c2=c2))
print(f"{len(step_sizes)} step sizes")
# the remainder of Gamma beyond its rank-one part, and the spectrum after the largest step
remainder_norm = np.linalg.norm(Gamma - mu1 * np.outer(b0, g_hat), 2)
s_largest = np.linalg.svd(W0 + step_sizes[-1] * Gamma, compute_uv=False)

gamma = np.array([r["eta"] for r in records]) * mu1 * np.linalg.norm(b0) * np.linalg.norm(g_hat)
bbp_location = np.where(gamma > q**0.25, np.sqrt((1 + gamma**2) * (q + gamma**2)) / np.maximum(gamma, 1e-12), edge)
saturation = abs(g_hat @ beta) / np.linalg.norm(g_hat)


def bbp_alignment(gamma):
    """The BBP prediction of |<v1, beta>|: the limit cosine of v1 with g_hat (0 up to the
    threshold) times that of g_hat with beta."""
    gamma = np.maximum(np.asarray(gamma, dtype=float), 1e-12)
    return np.sqrt(np.clip(1 - (q + gamma**2) / (gamma**2 * (gamma**2 + 1)), 0, None)) * saturation


alignment_bbp = bbp_alignment(gamma)
s_top = np.array([r["s"][0] for r in records])
s_second = np.array([r["s"][1] for r in records])
alignment = np.array([r["cos"] for r in records])
step_mse = np.array([r["test_mse"] for r in records])
step_c1 = np.array([r["c1"] for r in records])
step_c2 = np.array([r["c2"] for r in records])
for r, g, a in zip(records, gamma, alignment_bbp):
    print(f"eta = {r['eta']:5.1f}  gamma = {g:6.2f}  s1 = {r['s'][0]:6.2f}  s2 = {r['s'][1]:5.2f}  "
          f"(edge {edge:.2f})  |<v1, beta>| = {r['cos']:.2f} (BBP {a:.2f})  test MSE = {r['test_mse']:.3f}  "
          f"c1 = {r['c1']:.2f}  c2 = {r['c2']:.2f}")
print(f"remainder |R| = |Gamma - mu1 b g_hat^T| = {remainder_norm:.3f}; at eta = {step_sizes[-1]:g}: "
      f"eta |R| = {step_sizes[-1] * remainder_norm:.2f}, {np.sum(s_largest > edge)} singular values above the "
      f"edge {edge:.2f}, s2 = {s_largest[1]:.2f} and s3 = {s_largest[2]:.2f} "
      f"({100 * (s_largest[1] / edge - 1):.0f} % and {100 * (s_largest[2] / edge - 1):.0f} % above it)")

# %%
show = [0.0, 16.0] if 16.0 in step_sizes else step_sizes[:: max(1, len(step_sizes) - 1)]
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
s_grid = np.linspace(0, edge * 1.05, 400)
for ax, eta in zip(axes, show):
    sv = np.linalg.svd(W0 + eta * Gamma, compute_uv=False)
    ax.hist(sv, bins=80, range=(0, 1.05 * max(sv.max(), edge)), density=True, alpha=0.5, label="singular values")
    ax.plot(s_grid, theory.marchenko_pastur_singular_density(s_grid, width, dim, 1 / dim), "k",
            label="Marchenko–Pastur")
    outliers = sv[sv > 1.02 * edge]
    for s_out in outliers:
        ax.axvline(s_out, color="C3", lw=2, label="outlier" if s_out == outliers[0] else None)
    title = rf"$\eta = {eta:g}$: " + (f"outlier at s = {outliers[0]:.1f}" if len(outliers) else "no outlier")
    ax.set(xlabel="singular value of $W_1$", ylabel="density", title=title)
    ax.legend(fontsize=9)
plt.tight_layout()
plt.show()

fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
etas = np.array(step_sizes)
axes[0].plot(etas, s_top, "o-", label="top singular value")
axes[0].plot(etas, bbp_location, "k--", label="BBP prediction")
axes[0].axhline(edge, color="gray", lw=0.8, label="bulk edge")
# the step at which gamma = eta mu1 |b| |g_hat| reaches q^(1/4)
eta_threshold = q**0.25 / (mu1 * np.linalg.norm(b0) * np.linalg.norm(g_hat))
for ax in axes[:2]:
    ax.axvline(eta_threshold, color="k", ls=":", lw=1, label=rf"BBP threshold $\eta = {eta_threshold:.2g}$")
axes[0].set(xlabel=r"step size $\eta$", ylabel="singular value $s_1$ of $W_1$", title="the spike leaves the bulk")
axes[1].plot(etas, alignment, "o-", label=r"$|\langle v_1, \beta\rangle|$")
eta_fine = np.linspace(0, etas.max(), 4000)
axes[1].plot(eta_fine, bbp_alignment(eta_fine * mu1 * np.linalg.norm(b0) * np.linalg.norm(g_hat)), "k--", lw=1,
             label="BBP prediction")
axes[1].axhline(saturation, color="gray", lw=0.8, label=r"$|\cos(\hat g, \beta)|$")
axes[1].set(xlabel=r"$\eta$", ylabel="cosine", ylim=(0, 1), title="alignment with the target direction")
axes[2].plot(etas, step_mse, "o-")
axes[2].set(xlabel=r"$\eta$", ylabel="test MSE", title="random-features fit on $W_1$")
for ax in axes:
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlim(-0.1, 1.3 * etas.max())
    ax.set_xticks(etas, [f"{e:g}" for e in etas], fontsize=8)
    ax.xaxis.set_minor_locator(plt.NullLocator())
for ax in axes[:2]:
    ax.legend(fontsize=9)
plt.tight_layout()
plt.show()

# %% [markdown]
# Below the threshold (the dotted line) the spectrum of $W_1$ is indistinguishable from the bulk and the top
# singular vector is a random direction. Past it, one singular value leaves the bulk where
# the BBP formula puts it, and its singular vector aligns with $\beta$ as the formula for
# $\langle v_1, \hat g\rangle$ predicts, up to the finite-sample limit set by $\hat g$. For steps
# up to $\eta = 32$ there is one outlier only (the second value within 3 % of the edge); at the
# largest step, $\eta = 64$ (about $2\sqrt N$ at the `book` preset), the bulk itself spreads
# past the edge — 14 singular values lie above it, the second and third 17 % and 12 % above
# (3.77 and 3.62 against 3.24). That is no second learned direction: it is the remainder
# $R$, whose norm times $\eta$ (3.4) is now as large as the edge. The features $\Phi(\langle w_l, x\rangle)$ now all carry a
# component along $\langle\beta, x\rangle$, and ridge regression on them — still only $N$
# features and $M$ samples — reaches a far smaller test error. The printed shares say why:
# random features on $W_0$ learn most of the linear part ($c_1$ at $\eta = 0$, as in
# section 1) but not the quadratic one; after a large step the features vary along
# $\beta$, and the quadratic part of the link, out of reach for $M = 5d$ random features,
# is learned too.

# %%
above = gamma > 1.5 * q**0.25
moderate = above & (etas <= 16)
claims.check("2: no step: the top singular value stays in the bulk (s1 / edge)", s_top[0] / edge, "<", 1.05)
claims.check("2: no step: the top singular vector is a random direction (|<v1, beta>|)",
             alignment[0], "<", 0.3)
claims.check("2: below 0.7 x the BBP threshold no outlier (largest s1 / edge)",
             (s_top[gamma < 0.7 * q**0.25] / edge).max(), "<", 1.05)
gamma_low = 1.5 * q**0.25  # where "past 1.5 x the threshold" starts, BBP puts the outlier at
bbp_low = np.sqrt((1 + gamma_low**2) * (q + gamma_low**2)) / gamma_low / edge
claims.check(f"2: past 1.5 x the BBP threshold an outlier (smallest s1 / edge; BBP: at least {bbp_low:.3g})",
             (s_top[above] / edge).min(), ">", 1 + (bbp_low - 1) / 2)
claims.check("2: the outlier sits where BBP puts it (largest relative deviation)",
             np.abs(s_top[above] / bbp_location[above] - 1).max(), "<", 0.1)
claims.check("2: exactly one outlier for moderate steps (largest s2 / edge, eta <= 16)",
             (s_second[moderate] / edge).max(), "<", 1.05)
claims.check("2: the outlier aligns with beta up to the sample limit (smallest |<v1, beta>| / saturation)",
             (alignment[above] / saturation).min(), ">", 0.75)
claims.check("2: the largest step aligns v1 with beta (|<v1, beta>|)", alignment[-1], ">", 0.75)
claims.check("2: past 1.5 x the BBP threshold the alignment follows the BBP formula (largest |difference|)",
             np.abs(alignment[above] - alignment_bbp[above]).max(), "<", 0.05)
claims.check("2: the updated features fit far better (best test MSE / at eta = 0)",
             step_mse.min() / step_mse[0], "<", 0.5)
claims.check("2: random features on W0 learn most of the linear part (c1 at eta = 0)", step_c1[0], ">", 0.6)
claims.check("2: random features on W0 miss the He2 part (|c2| at eta = 0)", abs(step_c2[0]), "<", 0.15)
claims.check("2: after the largest step the He2 part is learned too (c2)", step_c2[-1], ">", 0.5)

# %% [markdown]
# ## 3. The kernel of the updated features
#
# Ridge regression on features $F$ is kernel ridge regression with the kernel
# $\kappa_W(x, x') = \frac1N\sum_l\Phi(\langle w_l,x\rangle)\Phi(\langle w_l,x'\rangle)$. For random
# $w_l$ it is rotation invariant in expectation over the $w_l$: all linear functions $\langle v, x\rangle$ share one
# eigenvalue, so $\langle\beta, x\rangle$ is no easier to learn than any other direction out of
# $d$. After the step, the kernel is approximately that of a spiked Gaussian feature distribution
# {cite:p}`featurelearningfunctionspace`: the eigenfunction aligned with the target carries a
# larger share of the spectrum and, for larger steps, the quadratic harmonic
# $\mathrm{He}_2(\langle\beta,x\rangle)$ comes up. We check on the Gram matrix of $1000$ test
# points: its top eigenvalues as shares of its trace, and the cosine of each top eigenvector
# with the two probe functions.
#
# Shares, because the step also *rescales* the kernel: for Gaussian $x$,
# $\mathbb E\,\Phi(\langle w, x\rangle)^2 = \|w\|^2/2$, so the trace of the Gram matrix of these
# 1000 points is about $1000\,\|W\|_F^2/(2N)$, and the step lengthens the weights,
# $\|W_1\|_F^2 \approx \|W_0\|_F^2 + \eta^2\|\Gamma\|_F^2$. A rescaled kernel alone would change
# nothing in ridge regression but the meaning of $\delta$; what matters is how the spectrum is
# shared out.

# %%
X_kernel = X_test[:1000]
t_kernel = X_kernel @ beta
probes = {"linear  <beta, x>": t_kernel, "quadratic He2(<beta, x>)": t_kernel**2 - 1}
spectra, traces, norms = {}, {}, {}
for eta in kernel_steps:
    W_eta = W0 + eta * Gamma
    gram = theory.feature_kernel(X_kernel, X_kernel, W_eta)
    spectra[eta] = theory.kernel_eigen_alignment(gram, probes, k=10)
    traces[eta], norms[eta] = np.trace(gram), np.sum(W_eta**2)

fig, axes = plt.subplots(1, len(kernel_steps), figsize=(4.6 * len(kernel_steps), 3.8), sharey=True)
for ax, eta in zip(np.atleast_1d(axes), kernel_steps):
    ev, align = spectra[eta]
    idx = np.arange(1, len(ev) + 1)
    ax.bar(idx - 0.2, align["linear  <beta, x>"], width=0.4, label=r"$|\cos|$ with $\langle\beta,x\rangle$")
    ax.bar(idx + 0.2, align["quadratic He2(<beta, x>)"], width=0.4, label=r"$|\cos|$ with He$_2$")
    ax.set(xlabel="eigenvector (by eigenvalue)", title=rf"$\eta = {eta:g}$, trace {traces[eta]:.0f}",
           ylim=(0, 1.18), xticks=idx, yticks=np.linspace(0, 1, 6))
    for i, e in enumerate(ev[:3]):
        ax.annotate(f"{100 * e / traces[eta]:.2g}", (i + 1, 1.05), ha="center", fontsize=9)
np.atleast_1d(axes)[0].set_ylabel("alignment")
np.atleast_1d(axes)[0].legend(fontsize=9, loc="center right")
fig.suptitle("numbers above the first bars: the eigenvalue, in % of the trace", fontsize=10, y=0.99)
plt.tight_layout()
plt.show()
for eta in kernel_steps:
    ev, align = spectra[eta]
    lin = align["linear  <beta, x>"]
    print(f"eta = {eta:4g}: trace {traces[eta]:.1f} (|W|_F^2 = {norms[eta]:.0f}); top eigenvalues "
          f"{np.round(ev[:4], 1)} = {np.round(100 * ev[:4] / traces[eta], 2)} % of the trace; best linear "
          f"alignment {lin.max():.2f} (eigenvector {lin.argmax() + 1}), best He2 alignment "
          f"{align['quadratic He2(<beta, x>)'].max():.2f}")

# %%
eta_0, eta_mid, eta_big = kernel_steps
ev0, align0 = spectra[eta_0]
ev_mid, align_mid = spectra[eta_mid]
ev_big, align_big = spectra[eta_big]
lin_mid = align_mid["linear  <beta, x>"]
i_lin = int(lin_mid.argmax())
share_gain = (ev_mid[i_lin] / traces[eta_mid]) / (ev0[1] / traces[eta_0])
trace_vs_norm = max(abs((traces[eta] / traces[eta_0]) / (norms[eta] / norms[eta_0]) - 1) for eta in kernel_steps)
display(Markdown(
    f"From $\\eta = {eta_0:g}$ to ${eta_big:g}$ the trace grows by a factor "
    f"{traces[eta_big] / traces[eta_0]:.2f} and $\\|W\\|_F^2$ by {norms[eta_big] / norms[eta_0]:.2f}. "
    f"At $\\eta = {eta_mid:g}$ eigenvector {i_lin + 1} has cosine {lin_mid[i_lin]:.2f} with "
    f"$\\langle\\beta, x\\rangle$ and {share_gain:.2g} times the share of the trace that the second "
    f"eigenvalue had at $\\eta = {eta_0:g}$; at $\\eta = {eta_big:g}$ an eigenvector among the top four "
    f"has cosine {align_big['quadratic He2(<beta, x>)'][:4].max():.2f} with $\\mathrm{{He}}_2$, and the "
    f"top eigenvector {align_big['quadratic He2(<beta, x>)'][0]:.2f}."))

# %% [markdown]
# The first eigenvalue is large in every case because the ReLU features are not centred:
# their mean, a slowly varying function of $x$, dominates the kernel (the numbers on top are
# eigenvalues in per cent of the trace). Feature learning did rescale the kernel: for Gaussian
# inputs a ReLU feature has $\mathbb E\,\Phi(\langle w, x\rangle)^2 = \|w\|^2/2$, so the trace grows
# in proportion to $\|W\|_F^2$ (the claims table checks this identity on the sample), and the
# step lengthened the weights along $\beta$. That is not the interesting part. For random features no eigenvector stands out along $\beta$.
# After a step of size 16 the second eigenvalue's share of the trace has grown several-fold
# and its eigenvector is close to $\langle\beta,x\rangle$; after a step of size 64 a further
# eigenvector points largely along the quadratic harmonic $\mathrm{He}_2(\langle\beta,x\rangle)$
# (the cosines are printed above); the top eigenvector itself mixes in some of
# $\mathrm{He}_2$ as well (its cosine is printed with the figure), the coupling of the top
# radial mode with a target-aligned quadratic harmonic that
# {cite:p}`featurelearningfunctionspace` describes. Beyond the rescaling, the step deformed
# the kernel towards the target.

# %%
claims.check("3: random kernel, no eigenvector along beta (largest |cos| with <beta, x>)",
             align0["linear  <beta, x>"].max(), "<", 0.35)
claims.check("3: the trace grows as |W|_F^2 (largest relative deviation of the two ratios)",
             trace_vs_norm, "<", 0.05)
claims.check("3: after eta = 16 a top-3 eigenvector is <beta, x> (|cos|)",
             lin_mid[:3].max(), ">", 0.8)
claims.check("3: the target's share of the trace is amplified (over the 2nd share at eta = 0)",
             share_gain, ">", 3)
claims.check("3: after eta = 64 a top-4 eigenvector is He2(<beta, x>) (|cos|)",
             align_big["quadratic He2(<beta, x>)"][:4].max(), ">", 0.55)

# %% [markdown]
# ## 4. A second step
#
# ```{admonition} Exploration: a second step, with a fresh or a reused batch
# :class: note
# The step above is approximately rank one: it learns one direction, the one the link's first
# Hermite coefficient reveals (a link of information exponent above one gives no spike). A
# *second* step, with step sizes $\eta_i\asymp N^{\alpha_i}$ (in the scaling of section 2,
# $W \leftarrow W + \eta_i\Gamma$; $\alpha = \frac12$ is the large-step regime there) with $\alpha_1, \alpha_2 \in [0, \frac12)$, is analysed in
# {cite:p}`linearwidth2steps`: in the proportional limit the updated weights are a spiked
# random matrix with several outliers, each a learned direction, whose number is determined by
# $\alpha_1, \alpha_2$ through $\lfloor\alpha_2/(\frac12-\alpha_1)\rfloor$ (we take the count as the
# paper's summary states it; nothing below depends on whether it includes the first step's
# spike); and reusing the first batch (instead of a fresh one) lets the second step pick up
# directions that a fresh batch cannot, those of information exponent above one, provided
# $\alpha_1, \alpha_2$ are chosen properly. These are asymptotic statements, and a floor is fragile at a finite size: at a
# single $N$, a constant factor in $\eta_i = C N^{\alpha_i}$ is the same as shifting
# $\alpha_i$ by $\log C/\log N$ ($0.1$ for $C = 2$ at $N = 1000$), so exponents that put
# $\alpha_2/(\frac12-\alpha_1)$ on an integer, where the floor jumps, say nothing about the
# count. We take $\eta_i = N^{\alpha_i}$ at two points in the middle of a plateau of the
# floor (where it is 2), $(\alpha_1, \alpha_2) = (0.32, 0.45)$ and $(0.34, 0.4)$, both with
# $\alpha_2/(\frac12-\alpha_1) = 2.5$, and look at $N = d = M$ (1000 at the `book` preset). Even
# there the plateau is narrow at this size: at $(0.32, 0.45)$ the floor stays 2 while $\alpha_1$
# moves by at most $0.03$ upwards, a factor $1000^{0.03} \approx 1.23$ in $\eta_1$.
# What is visible at this size: one step leaves one clear outlier, and at most a second
# singular value a little above the edge of $W_0$ (about a quarter above it at most, in the
# printout below). After the second step, whichever batch it uses, the rest of the bulk
# spreads past that edge too (these steps are no longer small against $W_0$), so a value
# above the edge is not yet an outlier; what the second step does is to set the second
# value further apart from the third ($s_2/s_3$, printed below, larger after two steps than
# after one at both points: the factor is in the claims table at the end of the page), and
# the top direction is still the target's. How far the second value stands out changes
# with the point and the batch, although the formula counts the same for both points: the
# asymptotic count is a statement about $N\to\infty$, not a finite-size prediction. Nor is
# a gap between fresh and reused batches expected here, even asymptotically: the link
# $\mathrm{He}_1 + \frac12\mathrm{He}_2$ has information exponent one, and the paper's gap
# concerns directions of exponent above one. (The fresh batch's top direction is the better
# aligned with $\beta$ here, 0.73 and 0.75 against 0.62, about as far as the sample limit of
# section 2 allows: the cosine of the batch gradient $\hat g$ with $\beta$,
# $(1 + d\,\mathbb E[y^2]/M)^{-1/2}$, is 0.63 for one batch of $M = d$ samples and 0.76 for two,
# and the fresh scheme's second step sees a second batch.)
# ```

# %%
n2 = size["two_step_size"]
W0b, b0b = theory.init_two_layer(n2, n2, rng)
beta2 = rng.standard_normal(n2)
beta2 /= np.linalg.norm(beta2)
X1, X2 = rng.standard_normal((n2, n2)), rng.standard_normal((n2, n2))
batch1 = (X1, theory.single_index_target(X1, beta2, link))
batch2 = (X2, theory.single_index_target(X2, beta2, link))
edge2 = theory.marchenko_pastur_edges(n2, n2, 1 / n2)[1]
two_step = {}  # (alpha_1, alpha_2) -> scheme -> (singular values, |<v_i, beta>|)
for alphas in two_step_exponents:
    eta1, eta2 = (n2**alpha for alpha in alphas)
    (W_one,) = theory.gradient_steps(W0b, b0b, [batch1], [eta1])
    schemes = {
        "one step": W_one,
        "two steps, fresh batch": theory.gradient_steps(W0b, b0b, [batch1, batch2], [eta1, eta2])[-1],
        "two steps, reused batch": theory.gradient_steps(W0b, b0b, [batch1, batch1], [eta1, eta2])[-1],
    }
    two_step[alphas] = {name: theory.singular_alignment(W, beta2, k=8) for name, W in schemes.items()}

fig, axes = plt.subplots(1, len(two_step_exponents), figsize=(6 * len(two_step_exponents), 3.6), sharey=True)
for ax, alphas in zip(np.atleast_1d(axes), two_step_exponents):
    eta1, eta2 = (n2**alpha for alpha in alphas)
    for (name, (s, cos)), marker in zip(two_step[alphas].items(), "osd"):
        ax.semilogy(np.arange(1, 9), s / edge2, marker + "-", label=name)
    ax.axhline(1.0, color="gray", lw=0.8, label="bulk edge of $W_0$")
    ax.set(xlabel="rank", title=rf"$\alpha = {alphas}$: $\eta_1 = {eta1:.1f}$, $\eta_2 = {eta2:.1f}$",
           xticks=np.arange(1, 9))
for ax in np.atleast_1d(axes):  # the values the text cites lie between 1 and 10: label them
    ax.yaxis.set_major_locator(ticker.FixedLocator([0.5, 1, 1.5, 2, 3, 5, 10, 20]))
    ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_locator(plt.NullLocator())
np.atleast_1d(axes)[0].set_ylabel("singular value / bulk edge")
np.atleast_1d(axes)[0].legend(fontsize=9)
fig.suptitle(f"N = d = M = {n2}", y=1.0)
plt.tight_layout()
plt.show()
for alphas, results in two_step.items():
    for name, (s, cos) in results.items():
        print(f"alpha = {alphas}  {name:24s} s/edge = {np.round(s[:4] / edge2, 2)}  "
              f"s2/s3 = {s[1] / s[2]:.2f}  |<v_i, beta>| = {np.round(cos[:3], 2)}")
target_power = 1 + 0.5  # E[y^2] of He1 + He2/2
print("the sample limit of |cos(g_hat, beta)|, (1 + d E[y^2] / M)^(-1/2): "
      + ", ".join(f"{k} batch{'es' if k > 1 else ''} of M = d: {(1 + target_power / k) ** -0.5:.2f}" for k in (1, 2)))

# %%
two_schemes = ("two steps, fresh batch", "two steps, reused batch")
for results in two_step.values():
    assert all(np.all(np.isfinite(s)) for s, _ in results.values())
claims.check("4: one step, one clear outlier (smallest s1 / edge of W0)",
             min(results["one step"][0][0] / edge2 for results in two_step.values()), ">", 2)
claims.check("4: the second step sets s2 further apart from s3 (smallest s2/s3 after two steps / after one)",
             min((results[name][0][1] / results[name][0][2])
                 / (results["one step"][0][1] / results["one step"][0][2])
                 for results in two_step.values() for name in two_schemes), ">", 1.0)
claims.check("4: two steps, the top direction is still the target's (smallest |<v1, beta>|)",
             min(results[name][1][0] for results in two_step.values() for name in two_schemes), ">", 0.45)

# %% [markdown]
# ## 5. What GFT learns
#
# The theory above follows the first steps of gradient descent from random weights. GFT
# trains a generator of features to convergence — what distribution does it end up
# sampling? We fit {py:class}`gft.GFTRegressor` with ReLU features to the same kind of
# single-index target in $d = 20$ dimensions (at the `book` preset) and look at the singular values of a fresh draw
# of its $N = 100$ features (input part, without the bias coordinate), against random ReLU
# features of the same width, {py:class}`gft.RFFRegressor`. Both use the book's design —
# inputs $\tilde x = (x, 1)$, so each feature has a bias, and a constant column — and the same
# ridge $\delta$; the random features' scale $\sigma$ is chosen on the validation split.

# %%
gft_dim, gft_samples = size["gft_dim"], size["gft_samples"]
beta_g = rng.standard_normal(gft_dim)
beta_g /= np.linalg.norm(beta_g)
X_g = rng.standard_normal((gft_samples, gft_dim))
y_g = theory.single_index_target(X_g, beta_g, link)
X_g_test = rng.standard_normal((2000, gft_dim))
y_g_test = theory.single_index_target(X_g_test, beta_g, link)
t_g_test = X_g_test @ beta_g

model = gft.GFTRegressor(n_features=100, activation="relu", ridge=1e-6, generator_steps=size["gft_steps"],
                         refine_steps=0, hidden=(64, 64), lr=1e-3, val_every=50, n_val_draws=2,
                         device=device, random_state=seed, progress=False).fit(X_g, y_g)
W_gft = model.sample_features(random_state=seed)[:, :gft_dim]  # drop the bias coordinate
s_gft, cos_gft = theory.singular_alignment(W_gft, beta_g, k=gft_dim)
f_gft = model.predict_generator(X_g_test, random_state=seed)
gft_mse = float(np.mean((f_gft - y_g_test) ** 2))

rff = gft.RFFRegressor(n_features=100, activation="relu", ridge=1e-6, device=device,
                       random_state=seed, progress=False).fit(X_g, y_g)
W_rand = rff.features_[:, :gft_dim]  # the same design: drop the bias coordinate
f_rand = rff.predict(X_g_test)
rf_mse = float(np.mean((f_rand - y_g_test) ** 2))
s_rand, cos_rand = theory.singular_alignment(W_rand, beta_g, k=gft_dim)
shares_gft, shares_rand = hermite_shares(f_gft, t_g_test, y_g_test), hermite_shares(f_rand, t_g_test, y_g_test)
print(f"test MSE: GFT (fresh draw) {gft_mse:.3g} "
      f"(c1 = {shares_gft[0]:.2f}, c2 = {shares_gft[1]:.2f}), random ReLU features {rf_mse:.3g} "
      f"(c1 = {shares_rand[0]:.2f}, c2 = {shares_rand[1]:.2f}, sigma = {rff.sigma_:.3g}); "
      f"target variance {y_g_test.var():.2f}")

fig, ax = plt.subplots(figsize=(7, 3.6))
rank = np.arange(1, gft_dim + 1)
ax.semilogy(rank, s_gft / s_gft[0], "o-", label=rf"GFT draw, $|\langle v_1, \beta\rangle| = {cos_gft[0]:.2f}$")
ax.semilogy(rank, s_rand / s_rand[0], "s-", label=rf"random, $|\langle v_1, \beta\rangle| = {cos_rand[0]:.2f}$")
ax.set(xlabel="rank", ylabel="singular value / largest",
       title=f"all {gft_dim} singular values of N = 100 ReLU features (input part)",
       xticks=rank[::2] if gft_dim > 10 else rank)
ax.legend(fontsize=9)
plt.show()
display(Markdown(
    f"A fresh GFT draw reaches a test MSE of {gft_mse:.2g}, random features of the same design "
    f"{rf_mse:.2g}: {rf_mse / gft_mse:.3g} times more. Random features learn the linear part "
    f"($c_1 = {shares_rand[0]:.2f}$) and only part of the quadratic one ($c_2 = {shares_rand[1]:.2f}$) "
    f"— plausibly because $N = 100$ random features cover too little of the space of the "
    f"$d(d+1)/2 = {gft_dim * (gft_dim + 1) // 2}$ quadratic functions; GFT "
    f"learns both ($c_1 = {shares_gft[0]:.2f}$, $c_2 = {shares_gft[1]:.2f}$). The top right singular "
    f"vector of the GFT draw has cosine {cos_gft[0]:.3f} with $\\beta$, and the second singular value is "
    f"{s_gft[1] / s_gft[0]:.2f} of the first: the first carries {s_gft[0] ** 2 / np.sum(s_gft ** 2):.0%} of "
    f"the features' squared norm (random features' first: {s_rand[0] ** 2 / np.sum(s_rand ** 2):.0%}). For ReLU features the scale $\\sigma$ only rescales the "
    f"feature columns of the design matrix (the ReLU is positively homogeneous; the constant "
    f"column keeps its scale), so the baseline's choice, $\\sigma = {rff.sigma_:.3g}$, acts as a "
    f"choice of the feature columns' effective ridge $\\delta/\\sigma^2$"
    + (" — the largest σ of its grid, which makes the fit on these columns nearly unregularised "
       "least squares, not an interior optimum" if rff.sigma_ >= rff.sigma_grid_.max() else "") + "."))

# %% [markdown]
# The generator has learned the extreme version of the spike: one dominant singular value
# of its features, with a singular vector that is $\beta$ to the cosine printed above. One large
# step of gradient descent shifts every feature along $\hat g \approx \beta$, by an amount proportional to its
# output weight $b_l$, on top of a random bulk; trained (1000 generator steps at the `book` preset), GFT concentrates its $N$ features along $\beta$, with
# little on the other $d-1$ directions (the other singular values, the printed fraction of
# the first and below, are the spread of the features around $\beta$) — consistent with the thin
# network beating random features of the same width and design many times over here.

# %%
assert np.isfinite(gft_mse) and W_gft.shape == (100, gft_dim)
claims.check("5: the GFT draw is aligned with beta (|<v1, beta>|)", cos_gft[0], ">", 0.9)
claims.check("5: the GFT draw has one dominant singular value (s1 / s2)", s_gft[0] / s_gft[1], ">", 3)
claims.check("5: GFT beats random features of the same design tenfold (RF / GFT test MSE)",
             rf_mse / gft_mse, ">", 10)
claims.check("5: random features learn most of the linear part (c1)", shares_rand[0], ">", 0.65)
claims.check("5: random features learn only part of the He2 part (c2)", shares_rand[1], "<", 0.6)
claims.check("5: GFT learns the He2 part (c2)", shares_gft[1], ">", 0.9)

# %% [markdown]
# ## Summary
#
# Random features are a kernel method: with a tuned ridge they improve with width, and
# without a ridge they fail dramatically at $N = M$, through the variance over first layers. They
# learn the linear part of a target from $M\asymp d$ samples but cannot find its direction,
# so its quadratic part needs $M\asymp d^2$ (and $N\asymp d^2$ features). One large gradient step already changes the
# picture: a spike leaves the Marchenko–Pastur bulk past the BBP threshold, aligned with the
# target's index, the induced kernel is deformed towards the target (beyond a rescaling),
# and the same ridge regression on the updated features learns the quadratic part too; a
# second step sets the second singular value further apart from the third. GFT pushes this to its end point
# — a learned distribution of features concentrated where the target lives.

# %% [markdown]
# ## Exercises
#
# 1. Show that the outlier location $s = \sqrt{(1+\gamma^2)(q+\gamma^2)}/\gamma$ of the BBP
#    transition is at least the bulk edge $1 + \sqrt q$, with equality only at the threshold
#    $\gamma = q^{1/4}$, and that it grows with $\gamma$ above the threshold (the formula holds
#    for $\gamma > q^{1/4}$ only: the outlier detaches continuously from the edge).
# 2. How many linearly independent homogeneous quadratic functions of $x \in \mathbb R^d$ are
#    there, and how many for $d = 20$?
# 3. Show that for ReLU features (and a design without a constant column) a common scale
#    $\sigma > 0$ of all $w_l$ changes nothing but the effective ridge: ridge regression with $\delta$ on the features of $\sigma W$ predicts
#    as ridge regression with $\delta/\sigma^2$ on those of $W$.
#
# ```{admonition} Solutions
# :class: dropdown
#
# 1. $s^2 - (1+\sqrt q)^2 = \frac{q + \gamma^2(1+q) + \gamma^4}{\gamma^2} - 1 - 2\sqrt q - q
#    = \frac{q}{\gamma^2} + \gamma^2 - 2\sqrt q = \Bigl(\gamma - \frac{\sqrt q}{\gamma}\Bigr)^2 \ge 0$,
#    with equality iff $\gamma^2 = \sqrt q$; and $s^2 = q/\gamma^2 + 1 + q + \gamma^2$ has
#    $d s^2 / d(\gamma^2) = 1 - q/\gamma^4 > 0$ for $\gamma > q^{1/4}$, so the outlier moves
#    away from the edge as the spike grows. Below the threshold the formula does not apply:
#    there is no outlier, and the top singular value sticks to the edge.
# 2. The monomials $x_i x_j$, $i \le j$: $d(d+1)/2$, which is $210$ for $d = 20$ (the count
#    quoted in section 5).
# 3. The ReLU is positively homogeneous, $\Phi(\sigma t) = \sigma\Phi(t)$, so the feature
#    matrix becomes $\sigma F$. Then
#    with the ridge of the model section, $\min_b \frac1M\|y - Fb\|^2 + \delta\|b\|^2$,
#    $\hat b_\sigma = (\sigma^2F^{\mathsf T}F + M\delta I)^{-1}\sigma F^{\mathsf T}y
#    = \sigma^{-1}(F^{\mathsf T}F + \tfrac{M\delta}{\sigma^2} I)^{-1}F^{\mathsf T}y$, and the
#    predictions $\sigma F\hat b_\sigma = F(F^{\mathsf T}F + \tfrac{M\delta}{\sigma^2}I)^{-1}F^{\mathsf T}y$
#    are those of ridge $\delta/\sigma^2$ on $F$.
# ```

# %% [markdown]
# ## The claims of this chapter
#
# Each claim above, with the value this run measured, its threshold and the factor by which
# it held (at the `smoke` preset, whose sizes are too small for the asymptotics and whose
# generator is barely trained, they are computed but not asserted):

# %%
claims.table()

# %% [markdown]
# ## Next
#
# This is the last chapter. Back to the [introduction](../book/intro.md).
