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
# # Quickstart
#
# This chapter fits a thin 2-layer network with $N$ Fourier features,
#
# $$
# f(x) = \mathrm{Re} \sum_{l=1}^{N} b_l\, e^{2\pi i \langle w_l, x\rangle} / N ,
# $$
#
# to a function of one variable and to a function of two, with
# {py:class}`gft.GFTRegressor` {cite:p}`hertrich2025gft`, and compares it with random
# Fourier features {cite:p}`rahimi2007random` that have the same $N$: the features
# $w_l \sim N(0, \sigma^2 I)$ are drawn once (with $\sigma$ chosen on validation data) and
# only $b$ is fitted. GFT fits $b$ the same way, by a ridge solve, but *learns* where to put
# the $w_l$: a generator network $G_\theta$ maps Gaussian noise to features,
# $w_l = G_\theta(z_l)$, and is trained on the fitting error; a refinement (GFT-r) then
# tunes one drawn set of features. Both are scikit-learn estimators, so a fit is one line.
#
# The claim of this chapter: **at equal $N$, the learned features fit far better than
# random ones** — on both problems, by orders of magnitude in test MSE.

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

import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch

warnings.filterwarnings("ignore", message="IProgress not found")  # text progress bars are fine
import gft  # noqa: E402
from gft import GFTRegressor, RFFRegressor, plotting

SEED = 0
random.seed(SEED)
np.random.seed(SEED)
_ = torch.manual_seed(SEED)

# %% tags=["parameters"]
preset = os.environ.get("GFT_PRESET", "book")  # "smoke" (seconds), "book" (these pages), "paper"
n_features_1d = 20  # N of the 1-D problem, the same for GFT and for random features
n_features_2d = 100  # N of the 2-D problem
n_train_1d = 500  # training points of the 1-D problem
n_train_2d = 1000  # training points of the 2-D problem
n_feature_draws = 50  # feature sets drawn from the generator for the pictures
progress = False  # progress bars of the fits (off: they would flood the stored outputs)

# %%
device = "cuda" if torch.cuda.is_available() else "cpu"
print(f"gft {gft.__version__}, preset {preset!r}, device {device}")

# %% [markdown]
# ## A function of one variable
#
# The target is a chirp plus a tone on $[0, 1]$,
#
# $$
# f(x) = \sin(8\pi x^2) + \tfrac12 \cos(6\pi x),
# $$
#
# whose local frequency $\frac{1}{2\pi}\frac{d}{dx} 8\pi x^2 = 8x$ sweeps from 0 to 8
# periods per unit, plus a constant 3. We draw $M = 500$ training points uniformly; the
# estimator holds the last 10 % of them out for validation. In one dimension, 100 random
# frequencies are plenty for such a target (random features then fit it to below $10^{-8}$);
# the interesting regime is a *thin* network, here $N = 20$.

# %%
def target_1d(x: np.ndarray) -> np.ndarray:
    """Chirp with local frequency 8x plus a tone of frequency 3."""
    return np.sin(8 * np.pi * x**2) + 0.5 * np.cos(6 * np.pi * x)


rng = np.random.default_rng(SEED)
x_train = rng.random(n_train_1d)
y_train = target_1d(x_train)
x_test = np.linspace(0.0, 1.0, 2000)
y_test = target_1d(x_test)

# %% [markdown]
# Fitting GFT is one line. `from_preset` picks the training budget: the `book` preset runs
# 3000 Adam steps on the generator and 3000 refinement steps; `paper` runs the paper's
# 40 000 + 40 000.

# %%
gft_1d = GFTRegressor.from_preset(
    preset, n_features=n_features_1d, device=device, random_state=SEED, progress=progress
).fit(x_train[:, None], y_train)
rff_1d = RFFRegressor(
    n_features=n_features_1d, device=device, random_state=SEED, progress=progress
).fit(x_train[:, None], y_train)


def test_mse(predictions: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean((predictions - truth) ** 2))


predictions_1d = {
    "GFT-r": gft_1d.predict(x_test[:, None]),
    "GFT": gft_1d.predict_generator(x_test[:, None], random_state=SEED),
    f"RFF (σ = {rff_1d.sigma_:.3g})": rff_1d.predict(x_test[:, None]),
}
mse_1d = {name: test_mse(p, y_test) for name, p in predictions_1d.items()}
for name, value in mse_1d.items():
    print(f"{name:>18}: test MSE {value:.2e}")

# %% [markdown]
# `predict` uses the refined features (GFT-r); `predict_generator` draws a fresh feature set
# from the trained generator and solves for $b$ (GFT). Where does the generator put its
# features? For Fourier features the answer has a direct reading: a feature $w$ contributes
# the frequency $w$, so useful features sit where the Fourier transform
# $\hat f(\omega) = \int f(x) e^{-2\pi i \omega x}\,dx$ of the target is large. The middle
# panel shows a histogram of many draws of $G_\theta(z)$ over $|\hat f|$ (computed by the
# FFT on a fine grid, with a Hann taper); the right panel the training curves of the two phases (running mean
# of the training loss, validation MSE as dots, the kept iterate as a star).

# %%
n_grid, padding = 4096, 8  # grid on [0, 1); zero-padding for frequencies spaced 1/8
x_grid = np.arange(n_grid) / n_grid
hann = 2 * np.sin(np.pi * x_grid) ** 2  # taper with mean 1 against leakage from the ends
spectrum_1d = np.abs(np.fft.fftshift(np.fft.fft(hann * target_1d(x_grid), n=padding * n_grid))) / n_grid
omega_1d = np.fft.fftshift(np.fft.fftfreq(padding * n_grid, d=1.0 / n_grid))
samples_1d = np.concatenate(
    [gft_1d.sample_features(random_state=i)[:, 0] for i in range(n_feature_draws)]
)

fig, axes = plt.subplots(1, 3, figsize=(15, 3.8), constrained_layout=True)
plotting.plot_fit_1d(
    x_test, y_test, {"GFT-r": predictions_1d["GFT-r"]}, data=(x_train, y_train), ax=axes[0]
)
axes[0].set_title("target and GFT-r fit")
limit = max(12.0, float(np.quantile(np.abs(samples_1d), 0.99)))
band = np.abs(omega_1d) <= limit
axes[1].fill_between(omega_1d[band], spectrum_1d[band], color="0.6", step="mid",
                     label=r"$|\hat f(\omega)|$")
axes[1].set_xlabel(r"$w$ (frequency $\omega$)")
axes[1].set_ylabel(r"$|\hat f|$")
twin = axes[1].twinx()
twin.hist(samples_1d, bins=np.linspace(-limit, limit, 121), density=True, color="tab:red",
          alpha=0.5, label=r"samples of $G_\theta(z)$")
twin.set_ylabel("density of samples")
axes[1].set_title("learned feature distribution")
axes[1].legend(loc="upper left", fontsize="small")
twin.legend(loc="upper right", fontsize="small")
plotting.plot_training_curves(gft_1d.history_, ax=axes[2])
axes[2].set_title("training")
plt.show()

# %% [markdown]
# The samples spread over the band $|\omega| \lesssim 7$ that the chirp sweeps, nearly
# uniformly, like $|\hat f|$ itself, and put no mass beyond it. Gaussian random features
# of the validated width put most of their 20 draws at low frequencies, where the chirp
# spends little of its energy, and some beyond the band.

# %%
assert np.all(np.isfinite(list(mse_1d.values())))
assert set(gft_1d.history_) >= {"generator"}
if preset != "smoke":  # the claim needs a trained generator
    rff_mse = mse_1d[next(k for k in mse_1d if k.startswith("RFF"))]
    assert mse_1d["GFT-r"] < rff_mse / 10, mse_1d
    assert mse_1d["GFT"] < rff_mse, mse_1d
    # most samples of the generator lie in the band where the target has its energy
    assert np.mean(np.abs(samples_1d) <= 9.0) > 0.8

# %% [markdown]
# ## A function of two variables
#
# In two dimensions a feature is a frequency vector $w \in \mathbb{R}^2$. The target
#
# $$
# f(x) = \sin\bigl(2\pi (3x_1 + x_2)\bigr) + \tfrac12 \cos\bigl(2\pi (x_1 - 4x_2)\bigr)
#        + e^{-8 \lVert x - (\frac12, \frac12) \rVert^2}
# $$
#
# has two plane waves, with frequencies $\pm(3, 1)$ and $\pm(1, -4)$, and a smooth bump
# whose spectrum is a Gaussian around $0$. The same two lines fit it, now with $N = 100$
# features and $M = 1000$ points.

# %%
def target_2d(X: np.ndarray) -> np.ndarray:
    """Two plane waves, frequencies ±(3, 1) and ±(1, -4), plus a Gaussian bump."""
    x1, x2 = X[:, 0], X[:, 1]
    bump = np.exp(-8.0 * ((x1 - 0.5) ** 2 + (x2 - 0.5) ** 2))
    return np.sin(2 * np.pi * (3 * x1 + x2)) + 0.5 * np.cos(2 * np.pi * (x1 - 4 * x2)) + bump


X_train = rng.random((n_train_2d, 2))
Y_train = target_2d(X_train)
X_test = rng.random((4000, 2))
Y_test = target_2d(X_test)

gft_2d = GFTRegressor.from_preset(
    preset, n_features=n_features_2d, device=device, random_state=SEED, progress=progress
).fit(X_train, Y_train)
rff_2d = RFFRegressor(
    n_features=n_features_2d, device=device, random_state=SEED, progress=progress
).fit(X_train, Y_train)

mse_2d = {
    "GFT-r": test_mse(gft_2d.predict(X_test), Y_test),
    "GFT": test_mse(gft_2d.predict_generator(X_test, random_state=SEED), Y_test),
    "RFF": test_mse(rff_2d.predict(X_test), Y_test),
}
for name, value in mse_2d.items():
    print(f"{name:>6}: test MSE {value:.2e}")

# %% [markdown]
# Target, GFT-r fit and its error on a grid:

# %%
plotting.plot_fit_2d(target_2d, gft_2d.predict, n=120)
plt.show()

# %% [markdown]
# The learned features over $|\hat f|$ (log colour scale; FFT of the target on a
# $256 \times 256$ grid, tapered by a Hann window against leakage from the boundary of the
# square and zero-padded four times for a finer frequency grid, see
# {py:func}`gft.plotting.fourier_magnitude`), next to random
# features with the validated $\sigma$, and the training curves:

# %%
spectrum_2d = plotting.fourier_magnitude(target_2d, n=256, oversample=4, window=True)
samples_2d = np.concatenate(
    [gft_2d.sample_features(random_state=i) for i in range(n_feature_draws)]
)
random_2d = rff_2d.sigma_ * np.random.default_rng(SEED).standard_normal(samples_2d.shape)
limit_2d = 8.0

fig, axes = plt.subplots(1, 3, figsize=(16, 4.6), constrained_layout=True)
plotting.plot_feature_distribution(samples_2d, spectrum_2d, ax=axes[0], limit=limit_2d)
axes[0].set_title("GFT: samples of the learned distribution")
plotting.plot_feature_distribution(
    random_2d, spectrum_2d, ax=axes[1], limit=limit_2d, color="tab:blue",
    label=rf"$N(0, \sigma^2 I)$, $\sigma = {rff_2d.sigma_:.3g}$",
)
axes[1].set_title("random features")
plotting.plot_training_curves(gft_2d.history_, ax=axes[2])
axes[2].set_title("training")
plt.show()

# %% [markdown]
# The generator concentrates its samples near the four peaks $\pm(3, 1)$, $\pm(1, -4)$ and
# on the low frequencies of the bump. Summary of both problems:

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), constrained_layout=True)
plotting.plot_test_mse(
    {name.split(" ")[0]: value for name, value in mse_1d.items()}, ax=axes[0]
)
axes[0].set_title("1-D: test MSE")
plotting.plot_test_mse(mse_2d, ax=axes[1])
axes[1].set_title("2-D: test MSE")
plt.show()

# %%
assert np.all(np.isfinite(list(mse_2d.values())))
assert samples_2d.shape == (n_feature_draws * n_features_2d, 2)
if preset != "smoke":
    assert mse_2d["GFT-r"] < mse_2d["RFF"] / 10, mse_2d
    assert mse_2d["GFT"] < mse_2d["RFF"], mse_2d
    # the learned samples sit closer to the four plane-wave frequencies than random ones
    peaks = np.array([[3, 1], [-3, -1], [1, -4], [-1, 4]], dtype=float)

    def near_peak(W: np.ndarray, radius: float = 0.75) -> float:
        distance = np.linalg.norm(W[:, None, :] - peaks[None], axis=-1).min(axis=1)
        return float(np.mean(distance < radius))

    assert near_peak(samples_2d) > 2 * near_peak(random_2d), (near_peak(samples_2d), near_peak(random_2d))

# %% [markdown]
# ## On your own data: choose λ with `GFTRegressorCV`
#
# Both examples above are noise-free and their inputs fill the box. Real data are noisy,
# and their inputs cluster, so a test point can fall where no training point lies. There a
# fit with λ = 0 is free to oscillate, and the 10 % validation split, drawn from the same
# clusters, cannot see it. For your own data, let cross-validation choose λ from the
# paper's grid; every (λ, fold) pair trains in one batched run, and the chosen λ is refitted
# on all rows:
#
# ```python
# from gft import GFTRegressorCV
#
# model = GFTRegressorCV(tv_weights=(0, 1e-4, 1e-3, 1e-2, 1e-1, 1), cv=5, random_state=0)
# model.fit(X, y)
# model.tv_weight_, model.cv_results_["mean_val_mse_refine"]   # the choice and its evidence
# model.predict(X_new)                                          # GFT-r at the chosen λ
# ```
#
# `cv=None` is the paper's protocol instead: one fit per λ on all rows, the λ of least
# validation MSE kept, no refit.
#
# Cross-validation is no cure for empty regions, though: folds drawn from the same
# clusters cannot see the gaps either, and folds that hold out whole clusters ask the
# model to extrapolate further than the gaps do. On a constructed data set with clustered
# inputs and test points in the gaps (`benchmarks/gaps_robustness.py`, results in
# `book/results/robustness/gaps.csv`), cross-validated GFT cut the gap error of the λ = 0 fit on three
# of five draws but beat predicting the mean on only two, and holding out clusters chose
# λ = 0.1 or 1, too smooth. A thin network, like any model fitted to clusters, says little
# about the space between them: measure how far your test inputs lie from the training
# inputs, and compare with predicting the mean there.

# %% [markdown]
# ## Next
#
# - [Derivations](02_derivations.ipynb): the ridge layer, the implicit gradient and the TV
#   term, each formula checked numerically.
# - [Feature distributions](03_feature_distributions.ipynb): where the generator puts its
#   features for the "kreuz" functions, and how they turn with the target.
