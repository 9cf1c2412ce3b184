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
# answers precisely in a high-dimensional, proportional regime — samples $n$, width $N$
# and dimension $d$ growing together — and most of its phenomena show up at laptop size.
# This chapter reproduces them, each with a check:
#
# 1. **random features need a ridge.** Minimum-norm random-features regression has a
#    test-error peak when the width $N$ passes the number of samples $n$ (double descent);
#    a well-chosen ridge removes it {cite:p}`mei2022doubledescent,rfdoubledescentsgd`;
# 2. **one large gradient step learns a direction.** A single step on the first layer adds
#    a rank-one *spike* to the random weight matrix; past a threshold it leaves the
#    Marchenko–Pastur bulk as an outlier singular value whose singular vector aligns with the
#    target direction, and the random-features fit on the updated layer improves sharply
#    {cite:p}`ba2022onestep`;
# 3. **the kernel is reshaped.** The updated features induce a kernel with an amplified
#    eigenvalue whose eigenfunction is the target's linear part, and then its quadratic
#    part {cite:p}`featurelearningfunctionspace`;
# 4. **a second step adds outliers** {cite:p}`linearwidth2steps` (an exploratory box);
# 5. **GFT learns the same structure**: the features a trained generator draws are
#    concentrated on the target direction.
#
# The code is in {py:mod}`gft.theory.feature_learning`.

# %%
import os
import random
import subprocess
import sys

if "google.colab" in sys.modules:  # Colab: install gft from its repository first
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "git+https://github.com/gft-book/gft"],
        check=True,
    )

import math
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

import gft
from gft import theory

SEED = 0
random.seed(SEED)
np.random.seed(SEED)
_ = torch.manual_seed(SEED)

# %% tags=["parameters"]
preset = os.environ.get("GFT_PRESET", "book")  # "smoke" (seconds), "book" (these pages), "paper"
label_noise = 0.5  # standard deviation of the label noise in the double-descent experiment
link = "he1+he2"  # target y = sigma*(<beta, x>), sigma*(t) = t + (t^2 - 1)/2
step_sizes = [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]  # eta of the one-step sweep
two_step_exponents = (0.3, 0.4)  # (alpha_1, alpha_2): eta_i = 2 N^alpha_i

# %%
SIZES = {
    "smoke": dict(dd_dim=20, dd_samples=60, dd_max_width=600, dd_widths=8, dd_draws=2,
                  width=200, dim=50, batch=400, n_fit=400, n_test=400,
                  two_step_size=200, gft_dim=10, gft_samples=300, gft_steps=20),
    "book": dict(dd_dim=100, dd_samples=400, dd_max_width=8000, dd_widths=25, dd_draws=5,
                 width=1000, dim=200, batch=2000, n_fit=1000, n_test=2000,
                 two_step_size=1000, gft_dim=20, gft_samples=1000, gft_steps=1000),
    "paper": dict(dd_dim=200, dd_samples=800, dd_max_width=16000, dd_widths=40, dd_draws=20,
                  width=2000, dim=400, batch=4000, n_fit=2000, n_test=4000,
                  two_step_size=2000, gft_dim=20, gft_samples=2000, gft_steps=5000),
}
if preset not in SIZES:
    raise ValueError(f"Unknown preset {preset!r}. Must be one of {list(SIZES)}")
size = SIZES[preset]
device = "cuda" if torch.cuda.is_available() else "cpu"  # only the GFT fit uses torch
if device == "cpu":
    torch.set_num_threads(1)
rng = np.random.default_rng(SEED)
print(f"gft {gft.__version__}, preset {preset!r}, device {device}")

# %% [markdown]
# ## The model and the target
#
# Inputs are Gaussian, $x\sim N(0, I_d)$, and the target is a *single-index* function: it
# depends on $x$ only through one direction $\beta$ ($\|\beta\|=1$),
#
# $$
# y = \sigma^*(\langle\beta, x\rangle),\qquad \sigma^*(t) = \mathrm{He}_1(t) + \tfrac12\mathrm{He}_2(t) = t + \tfrac12(t^2-1),
# $$
#
# a linear and a quadratic part in Hermite polynomials. The network has $N$ ReLU features,
#
# $$
# f(x) = \frac1{\sqrt N}\sum_{j=1}^N a_j\,\sigma(\langle w_j, x\rangle),\qquad
# w_j\sim N(0, I_d/d),\ a_j\sim N(0, 1/N);
# $$
#
# *random features* keep the $w_j$ and fit $a$ by ridge regression,
# $\min_a \frac1n\|y - Fa\|^2 + \lambda\|a\|^2$ with $F = \sigma(XW^\top)/\sqrt N$.

# %% [markdown]
# ## 1. Random features: double descent and the ridge
#
# With $n$ noisy samples ($y + 0.5\,\varepsilon$) and $d$ inputs, we fit random features of
# widths $N$ from $n/20$ to $20n$ with a vanishing ridge (the minimum-norm interpolator once
# $N\ge n$), with a few fixed ridges, and with the best ridge on a fine grid (chosen on the
# test error, as in the theory of the optimally tuned ridge). Each width is averaged over
# independent draws of the first layer; the error against the noiseless target splits into
# the error of the draw-averaged predictor ("bias") and the variance over draws.

# %%
dd_dim, dd_samples = size["dd_dim"], size["dd_samples"]
beta_dd = rng.standard_normal(dd_dim)
beta_dd /= np.linalg.norm(beta_dd)
X_dd = rng.standard_normal((dd_samples, dd_dim))
y_dd = theory.single_index_target(X_dd, beta_dd, link) + label_noise * rng.standard_normal(dd_samples)
X_dd_test = rng.standard_normal((2000, dd_dim))
y_dd_test = theory.single_index_target(X_dd_test, beta_dd, link)

widths = np.unique(np.concatenate([
    np.round(np.geomspace(dd_samples / 20, size["dd_max_width"], size["dd_widths"])).astype(int),
    [dd_samples],
]))
fixed_ridges = [1e-4, 1e-3, 1e-2]
fine_ridges = list(np.geomspace(1e-6, 1.0, 25))
ridges = [0.0, *fixed_ridges, *fine_ridges]
start = time.perf_counter()
dd = theory.double_descent(X_dd, y_dd, X_dd_test, y_dd_test, widths, ridges, size["dd_draws"], rng,
                           progress=True)
print(f"{len(widths)} widths x {size['dd_draws']} draws in {time.perf_counter() - start:.1f} s")

mse = dd.test_mse.mean(-1)  # (widths, ridges)
fine = slice(1 + len(fixed_ridges), None)
best = mse[:, fine].min(1)  # best ridge on the fine grid, per width
best_ridge = np.asarray(fine_ridges)[mse[:, fine].argmin(1)]

fig, axes = plt.subplots(1, 2, figsize=(12, 4))
ratio = widths / dd_samples
axes[0].loglog(ratio, mse[:, 0], "o-", ms=3, label=r"$\lambda\to0$ (min-norm)")
for j, lam in enumerate(fixed_ridges, start=1):
    axes[0].loglog(ratio, mse[:, j], lw=1, label=rf"$\lambda = 10^{{{np.log10(lam):.0f}}}$")
axes[0].loglog(ratio, best, "k--", lw=2, label="best ridge")
axes[0].axvline(1.0, color="gray", lw=0.8)
top = 30 * best.max()  # the interpolation peak is cut off the picture; its height is printed below
axes[0].set(xlabel="width / samples  $N/n$", ylabel="test MSE", title="random-features regression",
            ylim=(0.5 * min(best.min(), mse[:, 0].min()), top))
if mse[:, 0].max() > top:
    axes[0].annotate(f"peak {mse[:, 0].max():.1e}", (1.0, top), xytext=(1.3, 0.4 * top), fontsize=8)
axes[0].legend(fontsize=8)
axes[1].loglog(ratio, dd.bias_sq[:, 0], label="bias$^2$ (draw-averaged predictor)")
axes[1].loglog(ratio, dd.variance[:, 0], label="variance over first-layer draws")
axes[1].axvline(1.0, color="gray", lw=0.8)
axes[1].set(xlabel="$N/n$", title=r"min-norm: bias and variance", ylabel="MSE",
            ylim=(0.5 * dd.variance[:, 0].min(), top))
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()
i_peak = int(np.argmin(np.abs(widths - dd_samples)))
print(f"min-norm test MSE: N = {widths[0]}: {mse[0, 0]:.3g}, N = n = {widths[i_peak]}: {mse[i_peak, 0]:.3g}, "
      f"N = {widths[-1]}: {mse[-1, 0]:.3g}; best ridge at N = n: {best[i_peak]:.3g} (lambda = {best_ridge[i_peak]:.1e})")

# %% [markdown]
# The minimum-norm fit has its peak exactly at $N = n$, where the square feature matrix is
# worst conditioned and the interpolator amplifies the label noise; the peak is a variance
# peak (right). Beyond it the error descends a second time. Any ridge of moderate size
# flattens the peak, and with the best ridge the test error decreases monotonically in the
# width: more random features never hurt when the ridge is tuned. Random features, however,
# plateau far above the noise-free error of zero — they have no way to find $\beta$.

# %%
assert np.all(np.isfinite(mse[:, 1:]))
np.testing.assert_allclose(dd.bias_sq + dd.variance, mse, rtol=1e-8)
if preset != "smoke":
    # 1a. a peak at N = n: 5x the error at both ends of the sweep, and a variance peak
    assert mse[i_peak, 0] > 5 * max(mse[0, 0], mse[-1, 0]), mse[:, 0]
    assert int(np.argmax(mse[:, 0])) == i_peak
    assert dd.variance[i_peak, 0] > dd.bias_sq[i_peak, 0]
    # 1b. the best ridge removes it: the curve never rises more than 3 % above its running minimum
    assert np.all(best <= 1.03 * np.minimum.accumulate(best)), best
    assert best[-1] <= mse[-1, 0]

# %% [markdown]
# ## 2. One large gradient step on the first layer
#
# Now take one full-batch gradient step on $W$ (with $a$ fixed) of the loss
# $\frac1{2n}\|y - f(X)\|^2$, with step size $\eta\sqrt N$ as in {cite:p}`ba2022onestep`:
#
# $$
# W_1 = W_0 + \eta\,G,\qquad G = \frac1n\big[(y-f(X))\,a^\top\odot\sigma'(XW_0^\top)\big]^\top X .
# $$
#
# At initialisation $f\approx0$, and replacing $\sigma'$ by its mean $\mu_1 = \mathbb
# E\,\sigma'(z) = \frac12$ shows the leading part of the step: a **rank-one** matrix,
#
# $$
# G \approx \mu_1\, a\,\hat g^\top,\qquad \hat g = \frac1n X^\top y \approx \mathbb E[y\,x] = \beta ,
# $$
#
# of strength $\theta = \eta\,\mu_1\|a\|\,\|\hat g\|$. The random $W_0$ ($N\times d$, entries of
# variance $1/d$) has its singular values in the Marchenko–Pastur bulk
# {cite:p}`marchenko1967distribution`, with upper edge $1+\sqrt{c}$, $c = N/d$. A rank-one
# perturbation leaves the bulk only when it is strong enough — the BBP transition
# {cite:p}`baik2005phase`: for $\theta > c^{1/4}$ an outlier appears at
# $s = \sqrt{(1+\theta^2)(c+\theta^2)}/\theta$, and its right singular vector turns towards
# $\hat g$, whose cosine with $\beta$ is about $(1 + d\,\mathbb E[y^2]/n)^{-1/2}$.
#
# We sweep $\eta$; for each updated $W_1$ we record the spectrum, the alignment of the top
# right singular vector with $\beta$, and the test error of random-features ridge regression
# *with the updated first layer* (fitted on fresh data, best ridge on a grid).

# %%
width, dim, batch = size["width"], size["dim"], size["batch"]
beta = rng.standard_normal(dim)
beta /= np.linalg.norm(beta)
W0, a = theory.init_two_layer(width, dim, rng)
X_step = rng.standard_normal((batch, dim))
y_step = theory.single_index_target(X_step, beta, link)
X_fit = rng.standard_normal((size["n_fit"], dim))
y_fit = theory.single_index_target(X_fit, beta, link)
X_test = rng.standard_normal((size["n_test"], dim))
y_test = theory.single_index_target(X_test, beta, link)

G = theory.first_layer_gradient(X_step, y_step, W0, a)
g_hat = X_step.T @ y_step / batch
mu1 = 0.5  # E[relu'(z)]
c = width / dim
edge = theory.marchenko_pastur_edges(width, dim, 1 / dim)[1]
fit_ridges = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1]

records = []
start = time.perf_counter()
for eta in step_sizes:
    W1 = W0 + eta * G
    s, cos = theory.singular_alignment(W1, beta, k=3)
    preds = theory.ridge_path_predictions(theory.random_features(X_fit, W1), y_fit,
                                          theory.random_features(X_test, W1), fit_ridges)
    records.append(dict(eta=eta, s=s, cos=cos[0], test_mse=((preds - y_test) ** 2).mean(1).min()))
print(f"{len(step_sizes)} step sizes in {time.perf_counter() - start:.1f} s")

theta = np.array([r["eta"] for r in records]) * mu1 * np.linalg.norm(a) * np.linalg.norm(g_hat)
bbp_location = np.where(theta > c**0.25, np.sqrt((1 + theta**2) * (c + theta**2)) / np.maximum(theta, 1e-12), edge)
saturation = abs(g_hat @ beta) / np.linalg.norm(g_hat)
s_top = np.array([r["s"][0] for r in records])
s_second = np.array([r["s"][1] for r in records])
alignment = np.array([r["cos"] for r in records])
step_mse = np.array([r["test_mse"] for r in records])
for r, th in zip(records, theta):
    print(f"eta = {r['eta']:5.1f}  theta = {th:6.2f}  s1 = {r['s'][0]:6.2f}  s2 = {r['s'][1]:5.2f}  "
          f"(edge {edge:.2f})  |<v1, beta>| = {r['cos']:.2f}  test MSE = {r['test_mse']:.3f}")

# %%
show = [0.0, 16.0] if 16.0 in step_sizes else step_sizes[:: max(1, len(step_sizes) - 1)]
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
s_grid = np.linspace(0, edge * 1.05, 400)
for ax, eta in zip(axes, show):
    sv = np.linalg.svd(W0 + eta * G, compute_uv=False)
    ax.hist(sv, bins=80, range=(0, 1.05 * max(sv.max(), edge)), density=True, alpha=0.5, label="singular values")
    ax.plot(s_grid, theory.marchenko_pastur_singular_density(s_grid, width, dim, 1 / dim), "k",
            label="Marchenko–Pastur")
    outliers = sv[sv > 1.02 * edge]
    for s_out in outliers:
        ax.axvline(s_out, color="C3", lw=2, label="outlier" if s_out == outliers[0] else None)
    title = rf"$\eta = {eta:g}$: " + (f"outlier at s = {outliers[0]:.1f}" if len(outliers) else "no outlier")
    ax.set(xlabel="singular value of $W_1$", title=title)
    ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
etas = np.array(step_sizes)
axes[0].plot(etas, s_top, "o-", label="top singular value")
axes[0].plot(etas, bbp_location, "k--", label="BBP prediction")
axes[0].axhline(edge, color="gray", lw=0.8, label="bulk edge")
axes[0].set(xlabel=r"step size $\eta$", title="the spike leaves the bulk")
axes[1].plot(etas, alignment, "o-", label=r"$|\langle v_1, \beta\rangle|$")
axes[1].axhline(saturation, color="k", ls="--", lw=1, label=r"$|\cos(\hat g, \beta)|$")
axes[1].set(xlabel=r"$\eta$", ylim=(0, 1), title="alignment with the target direction")
axes[2].plot(etas, step_mse, "o-")
axes[2].set(xlabel=r"$\eta$", ylabel="test MSE", title="random-features fit on $W_1$")
for ax in axes:
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlim(-0.1, 1.3 * etas.max())
for ax in axes[:2]:
    ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# Below the threshold the spectrum of $W_1$ is indistinguishable from the bulk and the top
# singular vector is a random direction. Past it, one singular value leaves the bulk where
# the BBP formula puts it, and its singular vector aligns with $\beta$ up to the finite-sample
# limit set by $\hat g$. The features $\sigma(\langle w_j, x\rangle)$ now all carry a
# component along $\langle\beta, x\rangle$, and ridge regression on them — still only $N$
# features and $n$ samples — reaches a far smaller test error: the large step learned the
# index, and with the ReLU's curvature the quadratic part of the link follows.

# %%
above = theta > 1.5 * c**0.25
assert s_top[0] < 1.03 * edge and alignment[0] < 0.3, (s_top[0], alignment[0])
if preset != "smoke":
    # 2a. an outlier appears past the BBP threshold, where the formula puts it (within 10 %)
    assert np.all(s_top[above] > 1.1 * edge)
    np.testing.assert_allclose(s_top[above], bbp_location[above], rtol=0.1)
    assert np.all(s_top[theta < 0.7 * c**0.25] < 1.03 * edge)
    # 2b. exactly one outlier for moderate steps, aligned with beta up to the sample limit
    moderate = above & (etas <= 16)
    assert np.all(s_second[moderate] < 1.05 * edge)
    assert np.all(alignment[above] > 0.8 * saturation) and alignment[-1] > 0.8
    # 2c. the updated features fit far better than the random ones
    assert step_mse.min() < 0.5 * step_mse[0], step_mse

# %% [markdown]
# ## 3. The kernel of the updated features
#
# Ridge regression on features $F$ is kernel ridge regression with the kernel
# $k(x, x') = \frac1N\sum_j\sigma(\langle w_j,x\rangle)\sigma(\langle w_j,x'\rangle)$. For random
# $w_j$ it is rotation invariant: all linear functions $\langle v, x\rangle$ share one
# eigenvalue, so $\langle\beta, x\rangle$ is no easier to learn than any other direction out of
# $d$. After the step, the kernel is that of a spiked Gaussian feature distribution
# {cite:p}`featurelearningfunctionspace`: it amplifies the eigenvalue of the eigenfunction
# aligned with the target and, for larger steps, brings up the quadratic harmonic
# $\mathrm{He}_2(\langle\beta,x\rangle)$. We check on the Gram matrix of $1000$ test points: its top
# eigenvalues, and the cosine of each top eigenvector with the two probe functions.

# %%
X_kernel = X_test[:1000]
t_kernel = X_kernel @ beta
probes = {"linear  <beta, x>": t_kernel, "quadratic He2(<beta, x>)": (t_kernel**2 - 1) / math.sqrt(2)}
kernel_etas = [e for e in (0.0, 16.0, 64.0) if e in step_sizes] or [step_sizes[0], step_sizes[-1]]
spectra = {}
for eta in kernel_etas:
    K = theory.feature_kernel(X_kernel, X_kernel, W0 + eta * G)
    spectra[eta] = theory.kernel_eigen_alignment(K, probes, k=10)

fig, axes = plt.subplots(1, len(kernel_etas), figsize=(4.2 * len(kernel_etas), 3.5), sharey=True)
for ax, eta in zip(np.atleast_1d(axes), kernel_etas):
    ev, align = spectra[eta]
    idx = np.arange(1, len(ev) + 1)
    ax.bar(idx - 0.2, align["linear  <beta, x>"], width=0.4, label=r"$|\cos|$ with $\langle\beta,x\rangle$")
    ax.bar(idx + 0.2, align["quadratic He2(<beta, x>)"], width=0.4, label=r"$|\cos|$ with He$_2$")
    ax.set(xlabel="eigenvector (by eigenvalue)", title=rf"$\eta = {eta:g}$", ylim=(0, 1), xticks=idx)
    for i, e in enumerate(ev[:4]):
        ax.annotate(f"{e:.0f}", (i + 1, 0.95), ha="center", fontsize=7)
np.atleast_1d(axes)[0].set_ylabel("alignment")
np.atleast_1d(axes)[0].legend(fontsize=8, loc="center right")
plt.tight_layout()
plt.show()
for eta in kernel_etas:
    ev, align = spectra[eta]
    lin = align["linear  <beta, x>"]
    print(f"eta = {eta:4g}: top eigenvalues {np.round(ev[:4], 1)}; best linear alignment {lin.max():.2f} "
          f"(eigenvector {lin.argmax() + 1}), best He2 alignment {align['quadratic He2(<beta, x>)'].max():.2f}")

# %% [markdown]
# The first eigenvector is the constant mode of the non-centred ReLU features in every case
# (the numbers on top are eigenvalues). For random features no eigenvector stands out along
# $\beta$. After a step of size 16 the second eigenvalue has grown several-fold and its
# eigenvector *is* $\langle\beta,x\rangle$; after a step of size 64 a further eigenvector is the
# quadratic harmonic $\mathrm{He}_2(\langle\beta,x\rangle)$ and the constant mode mixes with it.
# Feature learning did not rescale the kernel, it deformed it towards the target.

# %%
if preset != "smoke":
    ev0, align0 = spectra[0.0]
    assert align0["linear  <beta, x>"].max() < 0.3
    ev16, align16 = spectra[16.0]
    lin16 = align16["linear  <beta, x>"]
    assert lin16.max() > 0.85 and lin16.argmax() < 3, lin16
    assert ev16[lin16.argmax()] > 3 * ev0[1]  # the target's eigenvalue is amplified
    ev64, align64 = spectra[64.0]
    assert align64["quadratic He2(<beta, x>)"][:4].max() > 0.6, align64

# %% [markdown]
# ## 4. A second step
#
# ```{admonition} Exploration: a second step, with a fresh or a reused batch
# :class: note
# The step above is approximately rank one: it learns one direction, and only the part
# of the target seen by the first Hermite coefficient. A *second* step, with step sizes
# $\eta_i\asymp N^{\alpha_i}$, is analysed in {cite:p}`linearwidth2steps`: in the proportional limit
# the updated weights are a spiked random matrix with $\lfloor\alpha_2/(\frac12-\alpha_1)\rfloor$
# outliers, each a learned direction, and reusing the first batch (instead of a fresh one)
# lets the second step pick up directions that a fresh batch cannot (information exponent
# above one). These are asymptotic statements; below we look at what a second step does at
# $N = d = n$ (1000 at the `book` preset), with $\eta_i = 2N^{\alpha_i}$ and
# $(\alpha_1, \alpha_2) = (0.3, 0.4)$, for which the formula counts two outliers. What is
# visible at this size: the second step adds a clearly separated second outlier whichever
# batch it uses, while the bulk itself spreads past the edge of $W_0$ (these steps are no
# longer small against $W_0$); fresh and reused batches differ only mildly. (In trials at
# this size with a purely quadratic link, $\sigma^* = \mathrm{He}_2$, the two schemes also
# behaved alike: the separation the theory predicts is an asymptotic one.)
# ```

# %%
n2 = size["two_step_size"]
W0b, ab = theory.init_two_layer(n2, n2, rng)
beta2 = rng.standard_normal(n2)
beta2 /= np.linalg.norm(beta2)
X1, X2 = rng.standard_normal((n2, n2)), rng.standard_normal((n2, n2))
batch1 = (X1, theory.single_index_target(X1, beta2, link))
batch2 = (X2, theory.single_index_target(X2, beta2, link))
eta1, eta2 = (2 * n2**alpha for alpha in two_step_exponents)
(W_one,) = theory.gradient_steps(W0b, ab, [batch1], [eta1])
W_fresh = theory.gradient_steps(W0b, ab, [batch1, batch2], [eta1, eta2])[-1]
W_reused = theory.gradient_steps(W0b, ab, [batch1, batch1], [eta1, eta2])[-1]
edge2 = theory.marchenko_pastur_edges(n2, n2, 1 / n2)[1]
schemes = {"one step": W_one, "two steps, fresh batch": W_fresh, "two steps, reused batch": W_reused}
two_step = {name: theory.singular_alignment(W, beta2, k=8) for name, W in schemes.items()}

fig, ax = plt.subplots(figsize=(7, 3.5))
for (name, (s, cos)), marker in zip(two_step.items(), "osd"):
    ax.semilogy(np.arange(1, 9), s / edge2, marker + "-", label=name)
ax.axhline(1.0, color="gray", lw=0.8, label="bulk edge of $W_0$")
ax.set(xlabel="rank", ylabel="singular value / bulk edge",
       title=rf"$\eta_1 = {eta1:.1f}$, $\eta_2 = {eta2:.1f}$, N = d = n = {n2}")
ax.legend(fontsize=8)
plt.show()
for name, (s, cos) in two_step.items():
    print(f"{name:24s} s/edge = {np.round(s[:4] / edge2, 2)}  |<v_i, beta>| = {np.round(cos[:3], 2)}")

# %%
s_one, cos_one = two_step["one step"]
for name in ("two steps, fresh batch", "two steps, reused batch"):
    s2, cos2 = two_step[name]
    assert np.all(np.isfinite(s2))
    if preset != "smoke":
        # after two steps the second singular value is a clear outlier (one step: at most marginal)
        assert s2[1] / s2[2] > 1.5 and s2[1] > 2 * edge2 > s_one[1], (name, s2[:3], s_one[:3])
        assert cos2[0] > 0.5  # the top direction is still the target's

# %% [markdown]
# ## 5. What GFT learns
#
# The theory above follows the first steps of gradient descent from random weights. GFT
# trains a generator of features to convergence — what distribution does it end up
# sampling? We fit {py:class}`gft.GFTRegressor` with ReLU features to the same kind of
# single-index target in $d = 20$ dimensions and look at the singular values of a fresh draw
# of its $N = 100$ features (input part, without the bias coordinate), against random ReLU
# features of the same width fitted by ridge regression.

# %%
gft_dim, gft_samples = size["gft_dim"], size["gft_samples"]
beta_g = rng.standard_normal(gft_dim)
beta_g /= np.linalg.norm(beta_g)
X_g = rng.standard_normal((gft_samples, gft_dim))
y_g = theory.single_index_target(X_g, beta_g, link)
X_g_test = rng.standard_normal((2000, gft_dim))
y_g_test = theory.single_index_target(X_g_test, beta_g, link)

start = time.perf_counter()
model = gft.GFTRegressor(n_features=100, activation="relu", ridge=1e-6, generator_steps=size["gft_steps"],
                         refine_steps=0, hidden=(64, 64), lr=1e-3, val_every=50, n_val_draws=2,
                         device=device, random_state=SEED, progress=False).fit(X_g, y_g)
gft_seconds = time.perf_counter() - start
W_gft = model.sample_features(random_state=SEED)[:, :gft_dim]  # drop the bias coordinate
s_gft, cos_gft = theory.singular_alignment(W_gft, beta_g, k=5)
gft_mse = float(np.mean((model.predict_generator(X_g_test, random_state=SEED) - y_g_test) ** 2))

W_rand = rng.standard_normal((100, gft_dim)) / math.sqrt(gft_dim)
rf_preds = theory.ridge_path_predictions(theory.random_features(X_g, W_rand), y_g,
                                         theory.random_features(X_g_test, W_rand), fit_ridges)
rf_mse = float(((rf_preds - y_g_test) ** 2).mean(1).min())
s_rand, cos_rand = theory.singular_alignment(W_rand, beta_g, k=5)
print(f"GFT fitted in {gft_seconds:.1f} s; test MSE: GFT (fresh draw) {gft_mse:.4f}, "
      f"random ReLU features {rf_mse:.4f} (target variance {y_g_test.var():.2f})")

fig, ax = plt.subplots(figsize=(6.5, 3.3))
ax.semilogy(np.arange(1, 6), s_gft / s_gft[0], "o-", label=rf"GFT draw, $|\langle v_1, \beta\rangle| = {cos_gft[0]:.2f}$")
ax.semilogy(np.arange(1, 6), s_rand / s_rand[0], "s-", label=rf"random, $|\langle v_1, \beta\rangle| = {cos_rand[0]:.2f}$")
ax.set(xlabel="rank", ylabel="singular value / largest", title="feature matrices of N = 100 ReLU features",
       xticks=np.arange(1, 6))
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# The generator has learned the extreme version of the spike: its features are nearly all
# aligned with $\beta$ (one dominant singular value, singular vector equal to $\beta$), spread
# along it in scale and bias, so that the ReLUs tile the one relevant coordinate. One large
# step of gradient descent creates a spike of *some* features along $\beta$ on top of a random
# bulk; trained to convergence, GFT puts *all* $N$ features where the target varies and
# wastes none on the other $d-1$ directions — which is how a thin network beats random
# features of the same width by orders of magnitude here.

# %%
assert np.isfinite(gft_mse) and W_gft.shape == (100, gft_dim)
if preset != "smoke":
    assert cos_gft[0] > 0.9 and s_gft[0] > 3 * s_gft[1], (cos_gft, s_gft)
    assert gft_mse < 0.1 * rf_mse, (gft_mse, rf_mse)

# %% [markdown]
# ## Summary
#
# Random features are a kernel method: with a tuned ridge they improve monotonically with
# width but stay blind to the structure of the target (and without a ridge they fail
# dramatically at $N = n$). One large gradient step already changes the picture: a spike
# leaves the Marchenko–Pastur bulk past the BBP threshold, aligned with the target's index,
# the induced kernel is deformed towards the target, and the same ridge regression on the
# updated features fits far better; a second step adds further outliers. GFT pushes this to
# its end point — a learned distribution of features concentrated where the target lives.
