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
# Fourier features (RFF) {cite:p}`rahimi2007random` that have the same $N$: the features
# $w_l \sim \mathcal{N}(0, \sigma^2 I)$ are drawn once (with $\sigma$ chosen on validation data) and
# only $b$ is fitted. GFT fits $b$ the same way, by a ridge solve, but *learns* where to put
# the $w_l$: a generator network $G_\theta$ maps Gaussian noise to features,
# $w_l = G_\theta(z_l)$, and is trained on the fitting error; a refinement (GFT-r) then
# tunes one drawn set of features (the latent draw $z$, through the frozen generator). Both
# are scikit-learn estimators, so a fit is one line.
#
# The claim of this chapter: **at equal $N$, the refined features (GFT-r) fit better than
# random ones on both problems, and in 2-D so do fresh draws of the learned features (GFT).**
# On the 2-D problem the gap in test MSE is orders of magnitude for the refined set and, for
# fresh draws of features from the trained generator, about three orders at the median of 50
# draws, the worst of them more than tenfold on this page's run. On the
# 1-D problem, with only 20 features, the refined set wins on each of the five seeds we
# ran (`book/results/claims/margins.csv`), by
# factors that vary widely from seed to seed, while a single fresh draw is not reliably
# better than the random-features fit. The refined sets' ratios and, in 2-D, the share of
# fresh draws that beat random features and their median are checked in the table at the
# end of the page; the draws' spread, the worst against random features included, is printed
# below their histograms.
# The page ends with how to fit your own data: `GFTRegressorCV` to choose the TV weight, and
# inputs put on a scale of order one (on inputs ten times larger than the book's, a fit at the
# book's learning rates falls far behind one on standardised inputs).

# %% tags=["hide-input"]
import os
import subprocess
import sys

if "google.colab" in sys.modules:  # Colab: install gft from its repository first
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "git+https://github.com/gft-book/gft"], check=True)

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display
from scipy import stats
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import gft
from gft import GFTRegressor, RFFRegressor, plotting
from gft.datasets import load_setting
from gft.experiments import start_chapter
device = "cuda" if torch.cuda.is_available() else "cpu"

# %% tags=["parameters"]
preset = os.environ.get("GFT_PRESET", "book")  # "smoke" (seconds), "book" (these pages), "paper"
n_features_1d = 20  # N of the 1-D problem, the same for GFT and for random features
n_features_2d = 100  # N of the 2-D problem
n_train_1d = 500  # training points of the 1-D problem
n_train_2d = 1000  # training points of the 2-D problem
n_feature_draws = 50  # fresh feature sets from the generator: the histograms, and the spread of test MSE two claims read
progress = False  # progress bars of the fits (off: they would flood the stored outputs)
seed = 0  # seeds every random draw of the chapter
assert_claims = True  # False: compute and report the claims without asserting them
claims_file = None  # a CSV the claims table is appended to (benchmarks/claim_margins.py)

# %%
claims = start_chapter(preset, seed, assert_claims, claims_file)  # seeds random, NumPy, torch
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
# a chirp whose local frequency $\frac{1}{2\pi}\frac{d}{dx} 8\pi x^2 = 8x$ sweeps from 0 to 8
# periods per unit, plus a tone of frequency 3. We draw 500 training points uniformly;
# the estimator holds the last 10 % of them out for validation (the output weights are solved
# on the first $M = 450$ rows only; the held-out rows never enter $b$). In one dimension a few
# hundred random frequencies fit such a target well (the comparison at $N = 200$ is printed
# below); the interesting regime is a *thin* network, here $N = 20$.

# %%
def target_1d(x: np.ndarray) -> np.ndarray:
    """Chirp with local frequency 8x plus a tone of frequency 3."""
    return np.sin(8 * np.pi * x**2) + 0.5 * np.cos(6 * np.pi * x)


rng = np.random.default_rng(seed)
x_train = rng.random(n_train_1d)
y_train = target_1d(x_train)
x_test = np.linspace(0.0, 1.0, 2000)
y_test = target_1d(x_test)

# %% [markdown]
# Fitting GFT is one line. `from_preset` picks the training budget: the `book` preset runs
# 3000 Adam steps on the generator and 3000 refinement steps; `paper` runs the paper's
# 40 000 + 40 000. The `book` budget is also `GFTRegressor`'s default.

# %%
gft_1d = GFTRegressor.from_preset(
    preset, n_features=n_features_1d, device=device, random_state=seed, progress=progress
).fit(x_train[:, None], y_train)
rff_1d = RFFRegressor(
    n_features=n_features_1d, device=device, random_state=seed, progress=progress
).fit(x_train[:, None], y_train)
rff_wide = RFFRegressor(  # random features of the same kind (σ validated anew), ten times wider
    n_features=10 * n_features_1d, device=device, random_state=seed, progress=progress
).fit(x_train[:, None], y_train)


def test_mse(predictions: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean((predictions - truth) ** 2))


predictions_1d = {
    "GFT-r": gft_1d.predict(x_test[:, None]),
    "GFT": gft_1d.predict_generator(x_test[:, None], random_state=seed),
    "RFF": rff_1d.predict(x_test[:, None]),
}
mse_1d = {name: test_mse(p, y_test) for name, p in predictions_1d.items()}
for name, value in mse_1d.items():
    print(f"{name:>6} (N = {n_features_1d}): test MSE {value:.3g}")
print(f"   RFF (N = {10 * n_features_1d}): test MSE {test_mse(rff_wide.predict(x_test[:, None]), y_test):.3g}")
print(f"RFF's validated scale: σ = {rff_1d.sigma_:.3g}")

# %% [markdown]
# `predict` uses the refined features (GFT-r); `predict_generator` draws a fresh feature set
# from the trained generator and solves for $b$ (GFT). Where does the generator put its
# features? For Fourier features the answer has a direct reading: a feature $w$ contributes
# the frequency $w$, so useful features sit where the Fourier transform
# $\hat f(\omega) = \int_0^1 f(x) e^{-2\pi i \omega x}\,dx$ of the target is large. The
# middle panel shows a histogram of many draws of $G_\theta(z)$ over $|\hat f|$ (computed by
# the FFT of $f$ on a fine grid of $[0, 1]$, zero-padded for a fine frequency grid; the ends
# of the interval add a slowly decaying tail); the right panel the training curves of the
# two phases (running mean of the training loss, validation MSE as dots, the kept iterate
# as a star), in the units the estimator trains in: $y$ divided by its root mean square.

# %%
n_grid, padding = 4096, 8  # grid on [0, 1); zero-padding for frequencies spaced 1/8
x_grid = np.arange(n_grid) / n_grid
spectrum_1d = np.abs(np.fft.fftshift(np.fft.fft(target_1d(x_grid), n=padding * n_grid))) / n_grid
omega_1d = np.fft.fftshift(np.fft.fftfreq(padding * n_grid, d=1.0 / n_grid))
samples_1d = np.concatenate(
    [gft_1d.sample_features(random_state=seed + i)[:, 0] for i in range(n_feature_draws)]
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
axes[1].set_ylim(bottom=0)  # both axes from zero, so that their baselines coincide
twin.set_ylim(bottom=0)
axes[1].set_title("learned feature distribution")
axes[1].legend(loc="upper left", fontsize="small")
twin.legend(loc="upper right", fontsize="small")
plotting.plot_training_curves(gft_1d.history_, ax=axes[2])
axes[2].set_title("training")
plt.show()

# %%
band_1d = 8.0  # the chirp's local frequencies fill |ω| <= 8
in_band = float(np.mean(np.abs(samples_1d) <= band_1d))
low = float(np.mean(np.abs(samples_1d) <= 2.0))
rff_low = float(2 * stats.norm.cdf(2.0 / rff_1d.sigma_) - 1)
scale2 = gft_1d.y_scale_**2
val_refine = gft_1d.history_["refine"].best_val_mse
display(Markdown(
    f"{100 * in_band:.0f} % of the generator's samples lie in the band $|\\omega| \\le 8$, "
    f"and {100 * low:.0f} % at $|\\omega| \\le 2$, where random features of the validated "
    f"scale σ = {rff_1d.sigma_:.3g} put {100 * rff_low:.0f} % of theirs in expectation. In the units of the "
    f"training curves, the kept refined iterate has validation MSE {val_refine:.2g} and test MSE "
    f"{mse_1d['GFT-r'] / scale2:.2g} (test MSE divided by RMS(y)² = {scale2:.3g})."))

# %% [markdown]
# The samples fill the band that the chirp and the tone occupy, with a dip at $\omega = 0$,
# and few or none lie beyond $|\omega| = 8$ (the share inside the band is printed above).
# A feature $w$ and its mirror $-w$ give the same function class (exercise 1 below), but not
# the same fit: the output weights are the complex ridge solution, which also pays for the
# imaginary part $\mathrm{Im}(A\hat b)$, and with few features a real target keeps that small
# essentially only when they come in (near-)mirror pairs ([chapter 02](02_derivations.ipynb)),
# so a good thin sample set is close to symmetric. $|\hat f|$ is largest in the
# same band, the tone's peaks at $\pm 3$ standing on the chirp's plateau; its slowly decaying
# tail beyond the band comes from the jumps of $f \mathbf 1_{[0, 1]}$ at the ends of the
# interval and needs no features, since the fit only has to match $f$ on $[0, 1]$.
# Gaussian random features of the validated width put a larger share of their draws at
# $|\omega| \le 2$ than the generator does (the shares above; theirs is the expected share
# of the normal distribution), more than the quarter of the interval where the chirp's local
# frequency is that low (a heuristic comparison: a share of frequencies against a share of
# the interval, with the tone at 3 present everywhere).
# The validation error of the training curves and the test error agree in order of
# magnitude; they are not equal because the 50 validation points are a small sample of the
# interval, the test grid a different one, and the kept iterate is the one of least validation
# error on those same 50 points.

# %%
assert np.all(np.isfinite(list(mse_1d.values())))
assert set(gft_1d.history_) == {"generator", "refine"}  # both phases ran
claims.check("1-D: GFT-r beats RFF (RFF / GFT-r test MSE)", mse_1d["RFF"] / mse_1d["GFT-r"], ">", 2)
claims.check("1-D: the generator puts fewer samples at |ω| <= 2 than random features do "
             "(their expected share over the generator's)", rff_low / max(low, 1e-12), ">", 1)

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
# whose spectrum is close to a Gaussian around $0$ (of standard deviation $2/\pi \approx 0.64$
# for the bump on the whole plane; cut off at the edges of the square, it is that Gaussian
# smoothed by the square's sinc). The same two lines fit it, now with $N = 100$ features and
# 1000 training points (the output weights are solved on the first $M = 900$).

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
    preset, n_features=n_features_2d, device=device, random_state=seed, progress=progress
).fit(X_train, Y_train)
rff_2d = RFFRegressor(
    n_features=n_features_2d, device=device, random_state=seed, progress=progress
).fit(X_train, Y_train)

mse_2d = {
    "GFT-r": test_mse(gft_2d.predict(X_test), Y_test),
    "GFT": test_mse(gft_2d.predict_generator(X_test, random_state=seed), Y_test),
    "RFF": test_mse(rff_2d.predict(X_test), Y_test),
}
for name, value in mse_2d.items():
    print(f"{name:>6}: test MSE {value:.3g}")

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
    [gft_2d.sample_features(random_state=seed + i) for i in range(n_feature_draws)]
)
random_2d = rff_2d.sigma_ * np.random.default_rng(seed).standard_normal(samples_2d.shape)
limit_2d = 8.0

fig, axes = plt.subplots(1, 3, figsize=(16, 4.6), constrained_layout=True)
tapered = r"tapered $|\hat f(\omega)|$"  # the spectrum was computed with window=True
plotting.plot_feature_distribution(samples_2d, spectrum_2d, ax=axes[0], limit=limit_2d, spectrum_label=tapered)
axes[0].set_title("GFT: samples of the learned distribution")
plotting.plot_feature_distribution(
    random_2d, spectrum_2d, ax=axes[1], limit=limit_2d, color="tab:blue",
    label=rf"$\mathcal{{N}}(0, \sigma^2 I)$, $\sigma = {rff_2d.sigma_:.3g}$", spectrum_label=tapered,
)
axes[1].set_title("random features")
plotting.plot_training_curves(gft_2d.history_, ax=axes[2])
axes[2].set_title("training")
plt.show()

# %%
peaks = np.array([[3, 1], [-3, -1], [1, -4], [-1, 4]], dtype=float)
directions = peaks[[0, 2]] / np.linalg.norm(peaks[[0, 2]], axis=1, keepdims=True)


def near_peak(W: np.ndarray, radius: float = 0.75) -> float:
    """Share of the rows of W within ``radius`` of one of the four plane-wave frequencies."""
    distance = np.linalg.norm(W[:, None, :] - peaks[None], axis=-1).min(axis=1)
    return float(np.mean(distance < radius))


def near_lines(W: np.ndarray, width: float = 0.5, hole: float = 1.0) -> float:
    """Share of the rows of W within ``width`` of a line through 0 along (3, 1) or (1, -4),
    among those farther than ``hole`` from the origin (near it, the two bands cover most of the disc)."""
    W = W[np.linalg.norm(W, axis=1) > hole]
    normal = np.stack([-directions[:, 1], directions[:, 0]], axis=1)
    return float(np.mean(np.abs(W @ normal.T).min(axis=1) < width)) if len(W) else 0.0


display(Markdown(
    f"Within 0.5 of the two lines through the origin along $(3, 1)$ and $(1, -4)$, among the samples "
    f"farther than 1 from the origin: "
    f"{100 * near_lines(samples_2d):.0f} % of the generator's samples, "
    f"{100 * near_lines(random_2d):.0f} % of the random ones. Within 0.75 of one of the four "
    f"peaks: {100 * near_peak(samples_2d):.0f} % against {100 * near_peak(random_2d):.0f} %."))

# %% [markdown]
# The generator's samples gather along the directions of the two plane waves: thin curves
# run through the origin, where the bump's low frequencies are, towards the peaks, and the
# other samples fill the region between the four peaks. The exact shape of these curves (how
# far they reach past a peak, which of them is drawn thin) changes with the rounding of a run,
# from one processor to another; the printed shares are the measure. The share "within 0.5
# of the lines" leaves out the disc of radius 1 around the origin, where the bands of
# half-width 0.5 around the two lines cover most of the disc, and beyond it also counts samples of the filled region that happen to lie near
# a line; so it says that the samples stay near the peaks' directions, not that they lie on
# two segments, and the share near the peaks is the sharper measure. Samples between
# the peaks match none of them, and their least-squares output weights decide how much they
# contribute. Random
# features fill a disc instead, and only a small share of them lands near a peak. Summary
# of both problems, as dots on a log axis (GFT's dot is one fresh draw of features, which may
# be a lucky or an unlucky one: the next section ranks it among 50 other draws):

# %%
def one_draw_labelled(mse: dict) -> dict:
    return {("GFT, one draw" if name == "GFT" else name): value for name, value in mse.items()}


fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), constrained_layout=True)
plotting.plot_test_mse(one_draw_labelled(mse_1d), ax=axes[0])
axes[0].set_title("1-D: test MSE")
plotting.plot_test_mse(one_draw_labelled(mse_2d), ax=axes[1])
axes[1].set_title("2-D: test MSE")
plt.show()

# %%
assert np.all(np.isfinite(list(mse_2d.values())))
assert samples_2d.shape == (n_feature_draws * n_features_2d, 2)
claims.check("2-D: GFT-r beats RFF by orders of magnitude (RFF / GFT-r test MSE)",
             mse_2d["RFF"] / mse_2d["GFT-r"], ">", 1e4)
claims.check("2-D: generator samples near a peak, as a multiple of random ones' share",
             near_peak(samples_2d) / max(near_peak(random_2d), 1e-12), ">", 2)
claims.check("2-D: generator samples near the two lines, as a multiple of random ones' share",
             near_lines(samples_2d) / max(near_lines(random_2d), 1e-12), ">", 1.5)

# %% [markdown]
# ## How much a fresh draw varies
#
# The GFT numbers above come from *one* fresh draw of features from the trained generator.
# Another draw gives another feature set and another ridge solve, so GFT's test error is a
# random variable. Its distribution over many draws, against the random-feature model
# (whose own draw was validated over its scale $\sigma$):

# %%
draw_mse = {
    "1-D": np.array([test_mse(gft_1d.predict_generator(x_test[:, None], random_state=seed + 1000 + i), y_test)
                     for i in range(n_feature_draws)]),
    "2-D": np.array([test_mse(gft_2d.predict_generator(X_test, random_state=seed + 1000 + i), Y_test)
                     for i in range(n_feature_draws)]),
}
reference = {"1-D": (mse_1d["RFF"], mse_1d["GFT-r"], mse_1d["GFT"]),
             "2-D": (mse_2d["RFF"], mse_2d["GFT-r"], mse_2d["GFT"])}
fig, axes = plt.subplots(1, 2, figsize=(11, 3.2), constrained_layout=True)
for ax, (problem, values) in zip(axes, draw_mse.items()):
    rff_value, refined, summary_draw = reference[problem]
    # not `low`: that name holds the 1-D share |ω| <= 2, which the claims cell reads
    lo_mse, hi_mse = min(values.min(), refined, summary_draw), max(values.max(), rff_value, summary_draw)
    bins = np.logspace(np.log10(lo_mse) - 0.2, np.log10(hi_mse) + 0.2, 40)
    ax.hist(values, bins=bins, color="C1", alpha=0.7, label=f"GFT, {len(values)} fresh draws")
    ax.axvline(summary_draw, color="C1", lw=1.5, ls=":", label="GFT, the summary's draw")
    ax.axvline(rff_value, color="C0", lw=2, label="RFF")
    ax.axvline(refined, color="C3", lw=2, ls="--", label="GFT-r")
    ax.set_xscale("log")
    ax.set_xlabel("test MSE")
    ax.set_ylabel("draws")
    ax.set_title(f"{problem}: test MSE of fresh generator draws")
    ax.legend(fontsize="small")
plt.show()
beats = {problem: float(np.mean(values < reference[problem][0])) for problem, values in draw_mse.items()}
display(Markdown("; ".join(
    f"{problem}: median {np.median(values):.3g}, from {values.min():.3g} to {values.max():.3g}; "
    f"{100 * beats[problem]:.0f} % of the draws beat RFF, whose test MSE is "
    f"{reference[problem][0] / values.max():.3g} times the worst draw's" for problem, values in draw_mse.items())
    + ". The one draw of the summary above: "
    + ", ".join(f"{value:.3g} in {problem}, better than {100 * np.mean(draw_mse[problem] > value):.0f} % "
                "of the fresh draws" for problem, value in (("1-D", mse_1d["GFT"]), ("2-D", mse_2d["GFT"])))
    + "."))

# %% [markdown]
# The spread over draws is wide, which is why the estimator averages the generator's
# validation error over several draws (`n_val_draws`, 10 at the `book` preset), and why the refinement (GFT-r), which tunes one
# drawn set on the data, is the model `predict` uses. The single draw of the summary is one
# sample of this spread, not its typical value: its rank among the fresh draws is printed
# above, and in the summary figure it can look better or worse than a typical draw. In 2-D every
# draw on this page beats the random-features fit, most by far; in 1-D with 20 features they
# straddle them (the share printed above), so only the 2-D share is a claim.

# %%
claims.check("2-D: share of fresh GFT draws that beat RFF", beats["2-D"], ">", 0.9)
claims.check(f"2-D: the median of {n_feature_draws} fresh GFT draws beats RFF a hundredfold "
             "(RFF / median GFT test MSE)", mse_2d["RFF"] / np.median(draw_mse["2-D"]), ">", 100)

# %% [markdown]
# ## On your own data: choose λ with `GFTRegressorCV`
#
# Every fit above had $\lambda = 0$: $\lambda$ (`tv_weight`) weighs a total-variation
# penalty, the mean $\ell^1$ norm of the fit's input gradient at random points of the box of
# the inputs, added to the loss; $\delta$ (`ridge`, $10^{-7}$ by default) is the ridge of the
# output weights, $\hat b = (A^{\mathsf H}A + \delta I)^{-1}A^{\mathsf H}y$, with
# $A_{kl} = e^{2\pi i\langle w_l, x_k\rangle}/N$ the design matrix on the training rows and
# $^{\mathsf H}$ the conjugate transpose.
# [Chapter 02](02_derivations.ipynb) derives both.
#
# Both examples above are noise-free and their inputs fill the box. Real data are noisy,
# and their inputs cluster, so a test point can fall where no training point lies. There a
# fit with λ = 0 is free to oscillate, and the 10 % validation split, drawn from the same
# clusters, cannot see it. For your own data, let cross-validation choose λ from the
# paper's grid; every (λ, fold) pair trains in one batched run, and the chosen λ is refitted
# on all rows (the refit again holds out its last 10 % to choose the iterate it keeps):
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
# `cv=None` is the paper's protocol instead: one fit per λ on the usual split (the last 10 % of
# the rows validate), the λ of least validation MSE kept, no refit. `ridges=(1e-7, 1e-4, 1e-2)` also chooses the ridge
# $\delta$ of the output weights, every pair (λ, δ) in the same batched run.
# With five folds the search is 30 fits (90 with three ridges); on large data or a larger budget that takes hours.
# `model.fit(X, y, checkpoint="cv.pt")` keeps the search's state in that file (and the
# refit's in `cv.pt.refit`), saved at a validation step at least ten minutes after the
# last save; the same call after a Ctrl-C or a crash goes on from the last save, provided
# `random_state` is an int. Every estimator validates on the *last* rows and `cv=5` folds
# without shuffling: shuffle data sorted by time or by an input first (unless you mean to
# validate on the latest rows, as in forecasting).
#
# Cross-validation does not see empty regions of the input box: folds drawn from the
# same clusters contain no gap. The TV term does, since it is sampled over the whole box of
# the inputs: the folds choose λ for its effect near the data (mostly on the noise), and the
# term then acts in the gaps as well. [Chapter 06](06_uci_benchmarks.ipynb) measures this on a constructed data set
# with clustered inputs and test points in the gaps between the clusters. At a reduced
# budget (40 features, a small generator): without TV the fit is worse than predicting the
# mean on some of the five draws, while `GFTRegressorCV` beats the mean and the λ = 0 fit on
# all five; tuned random features do better still between the clusters on two draws and
# worse than the mean on two others. At `GFTRegressor`'s defaults, `GFTRegressorCV` beats
# the mean on all five draws and is within 10 % of the tuned random features, or better, on
# every one. Beyond the box of
# the training inputs nothing constrains a fit: measure how far your test inputs lie from
# the training inputs, and compare with predicting the mean there.

# %% [markdown]
# ### Put the inputs on a scale of order one
#
# GFT is not invariant to the units of $x$. Both the generator's initial features and Adam's
# steps (Adam normalises the gradient) are fixed in units of $w$, whatever the inputs, so with
# $|x|$ ten times larger the phases $\langle w, x\rangle$ start ten times larger and move by
# steps ten times larger. The `book` preset's learning rates ($2 \cdot 10^{-3}$ for the
# generator, $10^{-2}$ for the refinement, cosine-annealed) suit inputs of order one, as in
# every chapter of this book (the synthetic inputs lie in $[0, 1]^d$, the real data sets are
# standardised); the `paper` preset's ($10^{-4}$ for both, constant, over thirteen times the
# steps) are twenty and a hundred times smaller and more forgiving, but badly scaled inputs
# cost accuracy there too (on a run of this page at that preset, seed 0, the fit below on
# inputs ten times larger had 3.4 times the standardised fit's test MSE:
# `book/results/claims/paper-preset.csv`). Fourier random features choose their scale
# $\sigma$ by validation from a grid of 29 values spanning seven decades, so a factor of ten in
# the units moves the $\sigma$ they pick by four grid steps. Here is Friedman 1 ($d = 5$, 500
# rows, exact labels, the setting of [chapter 04](04_synthetic_benchmarks.ipynb)) fitted with
# $N = 50$ at this page's preset three ways: on its inputs in $[0, 1]^5$, on the same inputs in
# units ten times smaller (values in $[0, 10]^5$), and on those with scikit-learn's
# `StandardScaler` in front of the estimator (`make_pipeline(StandardScaler(), GFTRegressor(...))`,
# the same `GFTRegressor` at $\lambda = 0$ in all three). On your own data, put the
# cross-validated estimator in that pipeline:
#
# ```python
# from sklearn.pipeline import make_pipeline
# from sklearn.preprocessing import StandardScaler
#
# model = make_pipeline(StandardScaler(), GFTRegressorCV(cv=5, random_state=0)).fit(X, y)
# ```
#
# The estimators also divide $y$ by its root mean square without centring it, so centre the
# targets as well, e.g. with scikit-learn's
# `TransformedTargetRegressor(model, transformer=StandardScaler())`
# (`benchmarks/target_offset.py` measures what that changes on Friedman 1).

# %%
X_f, y_f, X_f_test, y_f_test = load_setting("friedman1-d5", seed=seed)
n_features_friedman, units = 50, 10.0


def friedman_fit() -> GFTRegressor:
    return GFTRegressor.from_preset(preset, n_features=n_features_friedman, device=device,
                                    random_state=seed, progress=progress)


unit_scale = friedman_fit().fit(X_f, y_f)
tenfold = friedman_fit().fit(units * X_f, y_f)
standardised = make_pipeline(StandardScaler(), friedman_fit()).fit(units * X_f, y_f)
scale_mse = {
    "inputs in [0, 1]^5": test_mse(unit_scale.predict(X_f_test), y_f_test),
    "inputs in [0, 10]^5": test_mse(tenfold.predict(units * X_f_test), y_f_test),
    "inputs in [0, 10]^5, standardised": test_mse(standardised.predict(units * X_f_test), y_f_test),
    "predicting the training mean": test_mse(np.full_like(y_f_test, y_f.mean()), y_f_test),
}
for name, value in scale_mse.items():
    print(f"{name:>34}: test MSE {value:.3g}")
tenfold_kept = tenfold.history_["generator"].best_step
worse_than_mean = scale_mse["inputs in [0, 10]^5"] > scale_mse["predicting the training mean"]
tenfold_over_standardised = scale_mse["inputs in [0, 10]^5"] / scale_mse["inputs in [0, 10]^5, standardised"]
unit_over_standardised = scale_mse["inputs in [0, 1]^5"] / scale_mse["inputs in [0, 10]^5, standardised"]
display(Markdown(
    "On inputs in $[0, 10]^5$ the generator's best validation came "
    + (f"at its start (step 0 of {tenfold.generator_steps}: no step improved on the untrained generator)"
       if tenfold_kept == 0 else f"at step {tenfold_kept} of {tenfold.generator_steps}")
    + f", and the fit's test MSE is {tenfold_over_standardised:.3g} times that of the "
    "standardised fit on the same data" + (", worse than predicting the mean" if worse_than_mean else "")
    + ". For comparison, the fit on the inputs as given, in $[0, 1]^5$, has "
    f"{unit_over_standardised:.2g} times the standardised fit's test MSE: standardising puts the inputs "
    "at the order the learning rates suit, not at the best scale for every problem."))
# tenfold at the book preset (46.7 to 1.5e6 over seeds 0-4); the paper preset's smaller rates
# leave less: its runs (seed 0) measured 3.4, and its threshold was set after the first
claims.check("inputs ten times larger than the book's: GFT-r's test MSE over that of the standardised fit",
             tenfold_over_standardised, ">", 2 if preset == "paper" else 10)


# %% [markdown]
# ## Exercises
#
# 1. A Fourier feature $w$ and its mirror $-w$ give the same function class once $b$ is
#    complex. Show that $\mathrm{Re}\bigl(b\,e^{2\pi i w x}\bigr) =
#    \mathrm{Re}\bigl(\bar b\,e^{-2\pi i w x}\bigr)$, and say what this means for reading the
#    histogram of the 1-D samples.
# 2. Refit the 1-D problem with $N = 10$ and $N = 40$ features and compare GFT-r with random
#    features at each $N$. Does the ratio grow or shrink with $N$?
# 3. Add label noise of standard deviation 0.3 to the 1-D training labels and let
#    `GFTRegressorCV` choose $\lambda$. Which $\lambda$ does it choose, and how does its test
#    MSE (against the noise-free target) compare with a fit at $\lambda = 0$?
#
# ```{admonition} Solutions
# :class: dropdown
#
# 1. $\mathrm{Re}\,z = \mathrm{Re}\,\bar z$ and $\overline{b\,e^{2\pi i w x}} = \bar b\,e^{-2\pi i w x}$.
#    A feature at $-w$ with weight $\bar b$ is the same term as one at $w$ with weight $b$,
#    so only $|w|$ matters for what a set of features can express. It does not follow that
#    the histogram's two halves are interchangeable: `GFTRegressor`'s default complex solve
#    also penalises $\mathrm{Im}(A\hat b)$, so it is not the best real-part fit over that
#    span, and a one-sided set fits a real target badly. With `activation="fourier-real"` (a
#    real $b$ on cosine and sine columns) mirroring a feature changes nothing.
# 2. A loop over `n_features` with the two estimators of this page:
#
#    ```python
#    for n in (10, 40):
#        g = GFTRegressor.from_preset(preset, n_features=n, random_state=seed).fit(x_train[:, None], y_train)
#        r = RFFRegressor(n_features=n, random_state=seed).fit(x_train[:, None], y_train)
#        print(n, test_mse(r.predict(x_test[:, None]), y_test) / test_mse(g.predict(x_test[:, None]), y_test))
#    ```
#
#    The book does not run this loop, so here is what to look for rather than a measured
#    answer. Random features gain from every added frequency; learned features can cover
#    the band with few of them, which would make the ratio largest at small $N$ and let it
#    shrink as both methods approach the accuracy the data allow. At $N = 10$ fewer
#    features than the band needs may also hold GFT-r back: the printed ratios decide.
# 3. With `y_noisy = y_train + 0.3 * rng.standard_normal(y_train.shape)`,
#    `GFTRegressorCV.from_preset(preset, n_features=n_features_1d, cv=5, random_state=seed, progress=False)`
#    fitted on `(x_train[:, None], y_noisy)` picks its $\lambda$ from the paper's grid
#    (`model.tv_weight_`); fit `GFTRegressor.from_preset(preset, n_features=n_features_1d,
#    random_state=seed)` on the same noisy labels for λ = 0, and score both against the
#    noise-free `y_test`. With five folds that is 30 fits and a refit on all rows (two
#    refits, in one batched run, when GFT's and GFT-r's choices of $\lambda$ differ): minutes on a CPU. The
#    book has not run this exercise, and its neighbours point both ways: on a noisy 1-D curve,
#    [chapter 05](05_ablations.ipynb) finds that a fixed $\lambda = 10^{-2}$ lowers the test
#    error on every seed and brings the fit's total variation close to the target's, while in
#    its $\lambda$ sweep on noisy Friedman 1, which $\lambda$ validation picks and how much it
#    helps change between versions of the code. Your two test errors decide it for this curve.
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
# - [Derivations](02_derivations.ipynb): the ridge layer, the implicit gradient and the TV
#   term, each formula checked numerically.
# - [Feature distributions](03_feature_distributions.ipynb): where the generator puts its
#   features for the "kreuz" functions, and how they turn with the target.
