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
# # Feature distributions
#
# GFT learns a *distribution* of features, the push-forward of $\mathcal{N}(0, I)$ by the generator
# $G_\theta$ {cite:p}`hertrich2025gft`. For Fourier features
# $\Phi(\langle w, x\rangle) = e^{2\pi i \langle w, x \rangle}$ that distribution has a
# direct reading: a feature $w$ *is* a frequency, so a good distribution puts its mass where
# the Fourier transform of the target,
#
# $$
# \hat f(\omega) = \int_{[0,1]^2} f(x)\, e^{-2\pi i \langle \omega, x\rangle}\, dx ,
# $$
#
# is large. (Why: written as $f(x) = \int \hat f(\omega)\, e^{2\pi i\langle \omega, x\rangle} d\omega$
# on the square, $f$ has the Monte-Carlo estimate
# $\frac1N\sum_l \hat f(w_l)\, e^{2\pi i\langle w_l, x\rangle}/p(w_l)$ with $w_l \sim p$, whose
# variance, $\frac1N\bigl(\int |\hat f|^2/p\, d\omega - |f(x)|^2\bigr)$, is smallest for
# $p \propto |\hat f|$ (Cauchy–Schwarz), where $|\hat f|$ is integrable (for the
# targets below, cut off at the square's edges, it is not: the argument applies to a tapered
# version of them, and the plots below use one, a Hann taper, $C^1$, whose $|\hat f|$ decays at
# least as fast as $|\omega|^{-3}$, integrable in the plane). GFT solves for the
# output weights by least squares instead, so this is an intuition, not a theorem.) This
# chapter plots many samples of $G_\theta(z)$ over $|\hat f|$ for the three "kreuz" settings
# of the paper and checks that the learned distribution follows the
# spectrum: it forms the same cross, and the cross turns and stretches with the target, while
# random features $w \sim \mathcal{N}(0, \sigma^2 I)$ {cite:p}`rahimi2007random` are blind to its shape and orientation (their scale $\sigma$ is
# chosen on the data).
#
# ## The targets
#
# The base function on $[0, 1]^2$ is
#
# $$
# g(u) = \sin(4\pi u_1^2 + 1) + \cos\bigl(4\pi (u_2^4 + u_2)\bigr).
# $$
#
# Its first term oscillates along $u_1$ with local frequency
# $\frac{1}{2\pi}\partial_{u_1}(4\pi u_1^2) = 4u_1 \in [0, 4]$, its second along $u_2$ with
# $2(4u_2^3 + 1) \in [2, 10]$: the spectrum is a cross, an arm on the $\omega_1$-axis up to
# $|\omega_1| = 4$ and an arm on the $\omega_2$-axis from $2$ to $10$ (mirrored through the
# origin, as $|\hat f(-\omega)| = |\hat f(\omega)|$ for a real $f$). The other two settings
# are $f(x) = g(xT)$ ($x$ a row vector, as in the code's `x @ T`) with $T$ the rotation by $\pi/4$
# of column vectors ($x \mapsto xT$ turns points by $-\pi/4$, so the graph and the spectrum
# turn by $+\pi/4$; "kreuz-rotated") or
# $T = \bigl(\begin{smallmatrix}1 & 0.3\\ 0.3 & 1\end{smallmatrix}\bigr)$ ("kreuz-sheared", the
# paper's name: this $T$ is symmetric, a stretch by $1.3$ and $0.7$ along the diagonals,
# which tilts the two axes towards each other).
# Since $\nabla_x\, \varphi(xT) = T\, \nabla_u \varphi(u)$ for a phase $\varphi$ (gradients as
# column vectors), the
# arms of $f$ point along the columns $Te_1$ and $Te_2$: rotated by $45°$, or tilted towards
# each other by $\arctan 0.3 \approx 16.7°$ each. How far the arms reach depends on the range
# of $u = xT$ over the square; it is computed below.

# %% tags=["hide-input"]
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
from gft import GFTRegressor, RFFRegressor, plotting
from gft.datasets import ROTATION_PI_4, SHEAR_MATRIX, get_setting, load_setting
from gft.experiments import start_chapter
device = "cuda" if torch.cuda.is_available() else "cpu"

# %% tags=["parameters"]
preset = os.environ.get("GFT_PRESET", "book")  # "smoke" (seconds), "book" (these pages), "paper"
settings = ["kreuz", "kreuz-rotated", "kreuz-sheared"]
n_features = 100  # N
n_feature_draws = 50  # feature sets drawn from each trained generator (50 x 100 samples)
progress = False  # progress bars of the fits (off: they would flood the stored outputs)
n_grid = 256  # FFT grid per axis: frequencies up to 128 in each coordinate
oversample = 4  # zero-padding: frequencies spaced 1/4
seed = 0  # seeds every random draw of the chapter
assert_claims = True  # False: compute and report the claims without asserting them
claims_file = None  # a CSV the claims table is appended to (benchmarks/claim_margins.py)

# %%
claims = start_chapter(preset, seed, assert_claims, claims_file)  # seeds random, NumPy, torch
print(f"gft {gft.__version__}, preset {preset!r}, device {device}")
TRANSFORMS = {"kreuz": np.eye(2), "kreuz-rotated": ROTATION_PI_4, "kreuz-sheared": SHEAR_MATRIX}


def local_frequencies(X: np.ndarray, T: np.ndarray) -> np.ndarray:
    """|local frequency| of the two terms of g(xT) at the points X, shape (M, 2).

    Term 1 has the frequency vector 4 u_1 T e_1, term 2 the vector 2 (4 u_2^3 + 1) T e_2,
    with u = xT (the gradient of the phase divided by 2 pi).
    """
    U = X @ T
    return np.stack([np.abs(4 * U[:, 0]) * np.linalg.norm(T[:, 0]),
                     np.abs(2 * (4 * U[:, 1] ** 3 + 1)) * np.linalg.norm(T[:, 1])], axis=1)


ticks = np.linspace(0.0, 1.0, 401)  # a fine grid of the closed unit square
square = np.stack(np.meshgrid(ticks, ticks, indexing="ij"), axis=-1).reshape(-1, 2)
arms = []
for name in settings:
    T = TRANSFORMS[name]
    frequency = local_frequencies(square, T)
    U = square @ T
    arms.append({
        "setting": name,
        "arm T e1: largest |frequency|": frequency[:, 0].max(),
        "arm T e2: largest |frequency|": frequency[:, 1].max(),
        "periods of term 2": np.ptp(2 * (U[:, 1] ** 4 + U[:, 1])),
        "share of the square where term 2 exceeds 10": np.mean(frequency[:, 1] > 10.0),
    })
arms = pd.DataFrame(arms).set_index("setting")
arms.style.format("{:.3g}")

# %% [markdown]
# Along $Te_1$ the arms reach $4\max u_1\,\lVert Te_1\rVert$; along $Te_2$ the local frequency
# $2(4u_2^3 + 1)\lVert Te_2\rVert$ grows with the cube of $u_2$. The rotation turns the square
# so that $u_1 = (x_1 + x_2)/\sqrt 2$ reaches $\sqrt 2$, and the arm along $Te_1$ becomes the
# longer one, while $u_2 \in [-1/\sqrt 2, 1/\sqrt 2]$ makes $4u_2^3 + 1$ change sign: the
# size of the local frequency along $Te_2$ then takes every value from $0$ to its largest, so
# the second arm reaches into the origin, where that of "kreuz" leaves a gap
# $|\omega_2| < 2$. The map $T$ of "kreuz-sheared" stretches the square to
# a parallelogram whose coordinates $u_1, u_2$ range over $[0, 1.3]$: the second term's
# frequency grows to about twice that of "kreuz", over about twice as many periods, and on about 17 % of the square it exceeds the largest
# frequency of "kreuz" (the table).
#
# ## Training
#
# One GFT fit per setting (2000 training points: the first $M = 1800$ fitted, the last 200
# held out for validation; $N = 100$; no TV penalty, $\lambda = 0$, the estimator's default). The pictures are about
# the generator, so the refinement phase is switched off (`refine_steps=0`); every sample
# below is a draw $G_\theta(z)$ of fresh latents (the first of the 50 draws is the feature set
# scored in the first table). For comparison, {py:class}`gft.RFFRegressor` fits
# random features with the same $N$, choosing $\sigma$ on the validation split.

# %%
models, baselines, rows, test_data, train_rows = {}, {}, [], {}, {}
for name in settings:
    X_train, y_train, X_test, y_test = load_setting(name, seed=seed)
    model = GFTRegressor.from_preset(
        preset, n_features=n_features, refine_steps=0, device=device, random_state=seed,
        progress=progress,
    ).fit(X_train, y_train)
    baseline = RFFRegressor(
        n_features=n_features, device=device, random_state=seed, progress=progress
    ).fit(X_train, y_train)
    models[name], baselines[name] = model, baseline
    gft_prediction = model.predict_generator(X_test, random_state=seed)
    test_data[name], train_rows[name] = (X_test, y_test, gft_prediction), len(X_train)
    rows.append({
        "setting": name,
        "GFT test MSE": np.mean((gft_prediction - y_test) ** 2),
        "RFF test MSE": np.mean((baseline.predict(X_test) - y_test) ** 2),
        "RFF sigma": baseline.sigma_,
    })
fits = pd.DataFrame(rows).set_index("setting")
fits["RFF / GFT"] = fits["RFF test MSE"] / fits["GFT test MSE"]
fits.style.format("{:.3g}")

# %%
for name in settings:
    assert np.isfinite(fits.loc[name, ["GFT test MSE", "RFF test MSE"]]).all()
    claims.check(f"{name}: the learned features fit better (RFF / GFT test MSE)",
                 fits.loc[name, "RFF / GFT"], ">", 5)

# %% [markdown]
# ## Samples over the spectrum
#
# {py:func}`gft.plotting.fourier_magnitude` computes $|\hat f|$ by the FFT of $f$ on a
# $256 \times 256$ grid of $[0, 1)^2$, zero-padded four times (frequency spacing $1/4$),
# with the frequency axes of $e^{2\pi i\langle w, x\rangle}$. Since $f$ does not vanish
# on the boundary of the square, the plain transform of $f \cdot 1_{[0,1]^2}$ carries
# slowly decaying streaks along both axes (the $\mathrm{sinc}$ tails of the square) that
# hide the cross; a Hann taper $\sin^2(\pi x_1)\sin^2(\pi x_2)$ suppresses them (its side lobes
# decay like $|\omega|^{-3}$ instead of $|\omega|^{-1}$), at the price
# of blurring the spectrum. How much: the taper turns every frequency into a shifted copy
# of the taper's own transform, computed here by the same function applied to $f = 1$.

# %%
def main_lobe(window: bool) -> tuple[float, float]:
    """First zero and full width at half maximum of the transform of 1 (the blur kernel)."""
    omega, magnitude = plotting.fourier_magnitude(lambda X: np.ones(len(X)), n=n_grid,
                                                  oversample=oversample, window=window)
    centre = int(np.argmin(np.abs(omega)))
    profile = magnitude[centre, centre:] / magnitude[centre, centre]
    first_zero = omega[centre + int(np.argmax(np.diff(profile) > 0))]  # the first local minimum
    below = int(np.argmax(profile < 0.5))  # half maximum, linearly interpolated
    half = np.interp(0.5, [profile[below], profile[below - 1]], [omega[centre + below], omega[centre + below - 1]])
    return float(first_zero), float(2 * half)


spacing = 1.0 / oversample
(hann_zero, hann_fwhm), (box_zero, box_fwhm) = main_lobe(True), main_lobe(False)
display(Markdown(
    f"With the taper, a single frequency becomes a peak of $|\\hat f|$ whose main lobe reaches "
    f"$\\pm{hann_zero:.3g}$ (its first zero: {hann_zero / spacing:.3g} steps of the padded grid, "
    f"whose spacing is {spacing:.3g}), {hann_fwhm:.3g} wide at half its height "
    f"({hann_fwhm / spacing:.3g} padded steps). Without the taper the first zero lies at "
    f"$\\pm{box_zero:.3g}$ and the width at half height is {box_fwhm:.3g}, but its side lobes, "
    f"decaying only as $|\\omega|^{{-1}}$, hide the cross. The tapered lobe is small against the "
    f"arms that reach 10 and more and comparable to the short ones, 4 to 5.7 long (the table of "
    f"the targets)."))

# %% [markdown]
# Top row: $50 \times 100$ samples of the trained generator; bottom row: as many fresh draws
# from $\mathcal N(0, \sigma^2 I)$ with the $\sigma$ random features validated. Dashed lines: the predicted arm directions
# $\pm T e_1$, $\pm T e_2$. The axes reach $\pm 12$, and $\pm 22$ for the sheared target,
# whose second arm is longer (see the table of the targets).

# %%
rng = np.random.default_rng(seed)
spectra, samples, random_samples = {}, {}, {}
for name in settings:
    spectra[name] = plotting.fourier_magnitude(
        get_setting(name).function, n=n_grid, oversample=oversample, window=True
    )
    samples[name] = np.concatenate(
        [models[name].sample_features(random_state=seed + i) for i in range(n_feature_draws)]
    )
    random_samples[name] = baselines[name].sigma_ * rng.standard_normal(samples[name].shape)

limits = {name: 22.0 if name == "kreuz-sheared" else 12.0 for name in settings}
fig, axes = plt.subplots(2, len(settings), figsize=(5.2 * len(settings), 9.6),
                         constrained_layout=True, squeeze=False)
for j, name in enumerate(settings):
    for i, (W, label, color) in enumerate([
        (samples[name], r"samples of $G_\theta(z)$", "tab:red"),
        (random_samples[name], rf"$\mathcal{{N}}(0, \sigma^2 I)$, $\sigma = {baselines[name].sigma_:.3g}$", "tab:blue"),
    ]):
        ax = axes[i, j]
        plotting.plot_feature_distribution(W, spectra[name], ax=ax, limit=limits[name], label=label,
                                           color=color, spectrum_label=r"tapered $|\hat f(\omega)|$")
        for column in TRANSFORMS[name].T:
            direction = 2 * limits[name] * column / np.linalg.norm(column)
            ax.plot([-direction[0], direction[0]], [-direction[1], direction[1]], "k--", lw=0.8)
        if name == "kreuz-sheared":  # the long arm ends in the upper right, where the legend would go
            ax.legend(loc="lower right", fontsize="small", markerscale=3)
        ax.set_title(f"{name}: {'GFT' if i == 0 else 'random features'}")
plt.show()
reach = {name: arms.loc[name, ["arm T e1: largest |frequency|", "arm T e2: largest |frequency|"]].max() + hann_zero
         for name in settings}  # the longest arm's end plus the taper's main lobe
overshoot = pd.DataFrame({
    "longest arm + main lobe": pd.Series(reach),
    "GFT samples beyond it": {name: np.mean(np.linalg.norm(samples[name], axis=1) > reach[name]) for name in settings},
    "GFT samples outside the frame": {name: np.mean(np.abs(samples[name][:, :2]).max(axis=1) > limits[name])
                                      for name in settings},
})
overshoot.style.format({"longest arm + main lobe": "{:.3g}", "GFT samples beyond it": "{:.1%}",
                        "GFT samples outside the frame": "{:.1%}"})

# %% [markdown]
# The learned samples draw the cross, and the cross turns with the target: along the axes
# for "kreuz", along the diagonals for "kreuz-rotated", and with arms tilted towards each
# other for "kreuz-sheared". The Gaussian samples ignore it. A few learned samples (the
# table under the figure) lie beyond the end of the longest arm plus the taper's blur (a
# reference of the plot: the fitted, untapered $f$ has spectrum beyond every arm), and on
# "kreuz" and "kreuz-sheared" some of those leave the frame.
#
# ## How the samples turn with the target
#
# The angles of the samples make this quantitative. A frequency $w$ and $-w$ describe the
# same real oscillation, so angles are taken modulo $180°$, and samples near the origin
# ($|w| \le 2$), where every direction is a low frequency, are left out. For each setting we
# measure the fraction of samples within $\pm 10°$ of the two predicted arm directions: an
# isotropic distribution puts $40/180 \approx 22\,\%$ there. The histograms show the angles
# over a window of $180°$ centred between the two predicted arms, so that the window's two
# ends, which are the same direction modulo $180°$, lie at least $43°$ from either arm; the
# usual window $[0°, 180°)$ would cut the arm of "kreuz" at $0°$ in two.

# %%
def sample_angles(W: np.ndarray, min_radius: float = 2.0) -> np.ndarray:
    """Directions of the samples with |w| > min_radius, in degrees modulo 180."""
    W = W[np.linalg.norm(W[:, :2], axis=1) > min_radius]
    return np.degrees(np.arctan2(W[:, 1], W[:, 0])) % 180.0


def arm_directions(T: np.ndarray) -> np.ndarray:
    """Directions of T e1 and T e2 in degrees modulo 180."""
    return np.degrees(np.arctan2(T[1], T[0])) % 180.0


def nearest_modulo(angle: float | np.ndarray, reference: float, period: float) -> float | np.ndarray:
    """The representative of `angle` modulo `period` nearest `reference`."""
    return reference + (angle - reference + period / 2) % period - period / 2


def arm_gaps(angles: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Angle (degrees, modulo 180) between each direction in `angles` and each arm, shape (n, 2)."""
    return np.abs(nearest_modulo(angles[:, None] - directions[None, :], 0.0, 180.0))


def fraction_near(angles: np.ndarray, directions: np.ndarray, tolerance: float = 10.0) -> float:
    gap = arm_gaps(angles, directions)
    return float(np.mean(gap.min(axis=1) <= tolerance))


def cross_orientation(W: np.ndarray) -> float:
    r"""Orientation (degrees modulo 90) of a cross: arg sum_l |w_l|^2 e^{4 i phi_l} / 4."""
    phi = np.arctan2(W[:, 1], W[:, 0])
    moment = np.sum(np.sum(W[:, :2] ** 2, axis=1) * np.exp(4j * phi))
    return float(np.degrees(np.angle(moment) / 4.0) % 90.0)


def weight_share(W: np.ndarray, direction: float, directions: np.ndarray, tolerance: float = 10.0) -> float:
    """Share of sum |w|^2 over the samples near the arms that lies on the arm at `direction`."""
    gap = arm_gaps(np.degrees(np.arctan2(W[:, 1], W[:, 0])), directions)
    near = gap.min(axis=1) <= tolerance
    on_arm = near & (np.argmin(gap, axis=1) == list(directions).index(direction))
    weights = np.sum(W[:, :2] ** 2, axis=1)
    return float(weights[on_arm].sum() / weights[near].sum())


fig, axes = plt.subplots(1, len(settings), figsize=(5.2 * len(settings), 3.4),
                         constrained_layout=True, squeeze=False)
summary = []
for ax, name in zip(axes[0], settings):
    directions = arm_directions(TRANSFORMS[name])
    centre = float(np.mean(directions))  # midway between the arms: 45 or 90 here
    # 2.5-degree bins, shifted by half a bin so that arms at centre -+ 45 (kreuz, kreuz-rotated) sit mid-bin
    bins = np.linspace(centre - 90.0, centre + 90.0, 73) + 1.25
    ax.hist(nearest_modulo(sample_angles(samples[name]), bins[0] + 90.0, 180.0), bins=bins, density=True,
            color="tab:red", alpha=0.6, label="GFT")
    ax.hist(nearest_modulo(sample_angles(random_samples[name]), bins[0] + 90.0, 180.0), bins=bins, density=True,
            color="tab:blue", alpha=0.4, label="random")
    for angle in directions:
        ax.axvline(angle, color="black", ls="--", lw=1)
    ax.set_xlim(bins[0], bins[-1])
    ax.set_xlabel("direction of $w$ (degrees, modulo 180)")
    ax.set_ylabel("density (per degree)")
    ax.set_title(name)
    ax.legend(fontsize="small")
    omega, magnitude = spectra[name]

    def spectrum_at(W: np.ndarray) -> np.ndarray:
        step = omega[1] - omega[0]
        index = np.clip(np.rint((W[:, :2] - omega[0]) / step).astype(int), 0, len(omega) - 1)
        return magnitude[index[:, 0], index[:, 1]]

    summary.append({
        "setting": name,
        "predicted arms (deg)": ", ".join(f"{a:.3g}" for a in directions),
        "GFT near arms": fraction_near(sample_angles(samples[name]), directions),
        "random near arms": fraction_near(sample_angles(random_samples[name]), directions),
        "GFT mean |f^(w)|": spectrum_at(samples[name]).mean(),
        "random mean |f^(w)|": spectrum_at(random_samples[name]).mean(),
        # printed as the value modulo 90 nearest the arm T e2, the arm of the last column
        "cross orientation (deg)": nearest_modulo(cross_orientation(samples[name]), directions[1], 90.0),
        "|w|^2 share of arm T e2": weight_share(samples[name], directions[1], directions),
    })
plt.show()
summary = pd.DataFrame(summary).set_index("setting")
summary.style.format({column: "{:.3g}" for column in summary.columns if column != "predicted arms (deg)"})

# %% [markdown]
# The histograms peak at the predicted directions (dashed). The table also lists the mean of
# the tapered $|\hat f|$ of the figure at the samples — how much of the target's spectrum a
# sample hits — and the
# orientation of the cross, $\frac14 \arg \sum_l |w_l|^2 e^{4 i \alpha_l}$ with $\alpha_l$
# the angle of $w_l$. The statistic weights each sample by $|w_l|^2$, so the far ends of the
# arms count most. For a cross with perpendicular arms the weights do not move it: both arms
# have the same $e^{4i\alpha}$, and the statistic is their common direction modulo $90°$,
# which turns by $45°$ under the rotation. (The table prints it as the value modulo $90°$
# nearest the arm $Te_2$, the arm whose share is the table's last column: $90°$ for "kreuz",
# $135°$ for the rotated cross.) The arms of the sheared cross are not
# perpendicular: at $16.7°$ and $73.3°$, their terms $e^{4i\alpha}$ are $e^{\pm i\,66.8°}$, and
# with equal weights the statistic gives $0°$ (modulo $90°$), $16.7°$ from either arm. There
# the weights decide: the statistic lands near the arm $Te_2$, which is longer and carries
# most of the weight $|w_l|^2$ of the samples near the arms (last column) — within half the
# distance from the equal-weight value to that arm. The two checks are nearly one fact: were
# only the samples near the arms counted, a share $s$ of their weight on $Te_2$ would give the
# statistic $-\frac14\arctan\bigl((2s - 1)\tan 66.8°\bigr)$ (modulo $90°$), within half the
# way to the arm once $s$ exceeds about $0.64$.

# %%
for name in settings:
    assert samples[name].shape == (n_feature_draws * n_features, 2)
    assert np.isfinite(summary.loc[name, "GFT mean |f^(w)|"])
    claims.check(f"{name}: share of GFT samples within 10° of the predicted arms",
                 summary.loc[name, "GFT near arms"], ">", 0.65)
    claims.check(f"{name}: GFT's share near the arms over random features' share",
                 summary.loc[name, "GFT near arms"] / summary.loc[name, "random near arms"], ">", 2)
    claims.check(f"{name}: mean |f^| at GFT samples over that at random samples",
                 summary.loc[name, "GFT mean |f^(w)|"] / summary.loc[name, "random mean |f^(w)|"], ">", 1)
orientation = summary["cross orientation (deg)"]
turn = nearest_modulo(orientation["kreuz-rotated"] - orientation["kreuz"], 0.0, 90.0)  # in [-45, 45)
claims.check("the cross turns by 45° from kreuz to kreuz-rotated (| |turn| - 45 | in degrees)",
             abs(abs(turn) - 45.0), "<", 8.0)
sheared_arms = arm_directions(SHEAR_MATRIX)
equal_weights = 0.0  # the statistic for equal weights on the two sheared arms, modulo 90
to_arm = abs(nearest_modulo(orientation["kreuz-sheared"] - sheared_arms[1], 0.0, 90.0))
claims.check("kreuz-sheared: the |w|^2-weighted orientation lies within half the way from the "
             "equal-weight value to T e2 (degrees from T e2)", to_arm, "<",
             abs(nearest_modulo(equal_weights - sheared_arms[1], 0.0, 90.0)) / 2)
claims.check("kreuz-sheared: the arm T e2 carries most of sum |w|^2 (its share)",
             summary.loc["kreuz-sheared", "|w|^2 share of arm T e2"], ">", 0.5)

# %% [markdown]
# ## What makes the sheared cross harder
#
# All three fits beat random features by a wide margin, but the sheared target is fitted
# less well than the other two (first table, one fit and one feature draw per target; the
# ratios are printed below and checked). The
# targets differ in how far and how fast their chirps run (the table of the targets): the
# shear's second term reaches about twice the top frequency of "kreuz" and runs through about
# twice as many periods. That plausibly makes the fit harder on both of its sides (the
# page measures the reach and the sampling rate, not their effect on the error):
#
# - *The features must reach further.* The generator spreads the same $N = 100$ features over
#   an arm about twice as long, so fewer of them sit at any one frequency of the chirp, and a
#   good share of them must lie beyond the top frequency of "kreuz".
# - *The data sample it more thinly.* Counted as for a regular grid of the same density,
#   the training points are about two per period along the direction of oscillation at the
#   top frequency, against about four at the top frequency of "kreuz": fewer points
#   constrain each oscillation. This is a count, not a sampling theorem: i.i.d. points do
#   not alias as a grid does. How much of the error each side explains the page does not
#   measure.
#
# The numbers of this run:

# %%
X_test, y_test, prediction = test_data["kreuz-sheared"]
kreuz_top = arms.loc["kreuz", "arm T e2: largest |frequency|"]
sheared_top = arms.loc["kreuz-sheared", "arm T e2: largest |frequency|"]
fast = local_frequencies(X_test, SHEAR_MATRIX)[:, 1] > kreuz_top
squared_error = (prediction - y_test) ** 2
error_share = float(squared_error[fast].sum() / squared_error.sum())
mse_ratio = {other: fits.loc["kreuz-sheared", "GFT test MSE"] / fits.loc[other, "GFT test MSE"]
             for other in ("kreuz", "kreuz-rotated")}
far_samples = {name: float(np.mean(np.linalg.norm(samples[name], axis=1) > kreuz_top))
               for name in ("kreuz", "kreuz-sheared")}
n_rows = train_rows["kreuz-sheared"]  # the estimator holds out a validation share of them
n_fit = int(n_rows - np.ceil(models["kreuz-sheared"].validation_fraction * n_rows))
display(Markdown(
    f"The sheared fit's test MSE is {mse_ratio['kreuz']:.3g} times that of \"kreuz\" and "
    f"{mse_ratio['kreuz-rotated']:.3g} times that of \"kreuz-rotated\". Beyond "
    f"$|w| = {kreuz_top:.3g}$, the top frequency of \"kreuz\", lie "
    f"{100 * far_samples['kreuz-sheared']:.3g} % of the sheared generator's samples and "
    f"{100 * far_samples['kreuz']:.3g} % of those of \"kreuz\". The {n_fit} points each generator "
    f"is trained on have the density of a grid of spacing $1/\\sqrt{{{n_fit}}} \\approx {1 / np.sqrt(n_fit):.2g}$: "
    f"{np.sqrt(n_fit) / sheared_top:.2g} per period at the sheared target's top frequency "
    f"{sheared_top:.3g}, {np.sqrt(n_fit) / kreuz_top:.2g} at that of \"kreuz\". "
    f"On this draw, the {100 * fast.mean():.3g} % of the test points where the sheared target's "
    f"second term is faster than anything in \"kreuz\" carry {100 * error_share:.3g} % of the "
    f"squared test error."))

# %%
claims.check("the sheared cross is fitted worse than kreuz and kreuz-rotated (smaller ratio of GFT test MSE)",
             min(mse_ratio.values()), ">", 5)
claims.check("kreuz-sheared: share of generator samples beyond the top frequency of kreuz, "
             "over that share for kreuz", far_samples["kreuz-sheared"] / max(far_samples["kreuz"], 1e-12),
             ">", 2)

# %% [markdown]
# The split by local frequency is this run's and is not among the claims: the chapter does
# not claim that the error sits in the fast part of the square, only that the sheared target
# is the harder one. The learned distribution follows it all the same, its cross and its
# tilt, out along the long arm; a longer, faster chirp plausibly asks more of $N = 100$
# features and 1800 fitted points than the other two.
#
# The learned feature distribution is a picture of where the target's spectrum lives — its
# arms, their directions and reach — drawn with $N$ samples at a time. That is the intuition behind GFT's advantage at small $N$: the
# learned samples sit where $|\hat f|$ is, on average, two to two and a half times as large
# as at random samples (the means of $|\hat f|$ in the table above). The
# paper leaves open how to characterise the global minimisers of the generator objective and
# their relation to $\hat f$ {cite:p}`hertrich2025gft`; the pictures suggest that the
# relation is close.

# %% [markdown]
# ## Exercises
#
# 1. Find the directions of the two arms of "kreuz-sheared", $Te_1$ and $Te_2$ for
#    $T = \bigl(\begin{smallmatrix}1 & 0.3\\ 0.3 & 1\end{smallmatrix}\bigr)$, and the angle
#    between them.
# 2. Show that the orientation statistic $\frac14\arg\sum_l e^{4i\alpha_l}$, with equal weights
#    on samples at the two sheared arms' angles, gives $0°$ modulo $90°$.
# 3. An isotropic distribution of sample angles (uniform on $[0°, 180°)$) puts what share of
#    its samples within $\pm 10°$ of two directions that are at least $20°$ apart (modulo $180°$)?
#
# ```{admonition} Solutions
# :class: dropdown
#
# 1. $Te_1 = (1, 0.3)$ and $Te_2 = (0.3, 1)$, at $\arctan 0.3 \approx 16.7°$ and
#    $\arctan(1/0.3) \approx 73.3°$: each arm tilts by $16.7°$ towards the other, and the angle
#    between them is $56.6°$.
# 2. $4 \cdot 16.7° = 66.8°$ and $4 \cdot 73.3° = 293.2° \equiv -66.8°$, so the sum is
#    $e^{i\,66.8°} + e^{-i\,66.8°} = 2\cos 66.8° > 0$, a positive real number with argument $0$.
# 3. Two windows of $20°$ each that do not overlap cover $40°$ of $180°$: $40/180 \approx 22\,\%$,
#    the baseline quoted in the chapter.
# ```

# %% [markdown]
# ## The claims of this chapter
#
# Each claim above, with the value this run measured, its threshold and the factor by which
# it held (at the `smoke` preset, whose generators are barely trained, they are computed but not
# asserted):

# %%
claims.table()

# %% [markdown]
# ## Next
#
# - [Synthetic benchmarks](04_synthetic_benchmarks.ipynb): learned against random features at
#   equal $N$ on the paper's synthetic regression problems.
