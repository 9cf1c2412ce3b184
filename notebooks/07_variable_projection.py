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
# # Variable projection: learning features as sampling a distribution
#
# GFT never trains the output layer by gradient descent: for given features it solves for
# the output weights by ridge regression and differentiates through that solve. Eliminating
# the linear variables of a separable least-squares problem this way is *variable
# projection* (VarPro) {cite:p}`golub1973differentiation`. For two-layer networks in the
# mean-field scaling it has a striking consequence, worked out in
# {cite:p}`twotimescale2025ultrafast`: in a teacher–student problem, gradient descent on the
# features alone moves them towards the teacher's feature distribution, and as the ridge
# vanishes the density of the features follows an explicit PDE, a weighted *ultra-fast
# diffusion*. That picture needs the data to determine the teacher's feature distribution,
# and on the circle with bias-free ReLU features they do not, entirely.
#
# **Notation.** The chapter keeps the book's symbols ([notation](../book/notation.md)):
# $N$ features $w_l$ (here called particles), $M$ samples $(x_k, y_k)$, the ridge $\delta$,
# output weights $b$, the residual $r = y - f$; it writes $\mathcal K$ for the $N\times N$
# kernel matrix (in the book, $K$ counts targets), $\kappa_i$ for its eigenvalues, $F$ for the
# $M\times N$ feature matrix, $J_\delta(W, b)$ for the objective on the circle defined below
# and $J(W) = \min_b J_\delta(W, b)$ for its reduced form (which plays the role of
# the book's $L$, though it is not $L$: see below), $\hat\nu(m) = \int e^{-im\theta}d\nu(\theta)$ for the Fourier
# coefficients of a distribution $\nu$ of angles $\theta$ (the hat of a measure carries no
# $1/(2\pi)$; that of a function on the circle, below, does). The paper
# {cite:p}`twotimescale2025ultrafast` and {py:mod}`gft.theory.varpro` write $M$, $n$,
# $\lambda$, $u$ and $K$ for $N$, $M$, $\delta$, $b$ and $\mathcal K$.
#
# This chapter checks the picture on the circle, where everything can be drawn:
#
# 1. what the data determine: bias-free ReLU features on the circle cannot see the
#    harmonics of odd order $\ge 3$ of a feature distribution, so the teacher's distribution
#    is not the only minimiser; we construct another one, a density that fits the same
#    function to round-off;
# 2. from a uniform start, the student's features nevertheless move towards the teacher's
#    distribution: their energy distance to it falls by about an order of magnitude (and is still
#    falling when the run stops), and each of
#    their first eight harmonics, seen or unseen, ends within a small multiple of the
#    sampling noise of an i.i.d. sample; started on the other minimiser, they stay there;
# 3. their energy distance to the solution of the ultra-fast diffusion — the $\delta\to0$
#    limit for features that *do* determine the distribution — stays at about the level of
#    an i.i.d. sample's;
# 4. at every recorded time $t > 0$, VarPro's features have a lower reduced objective than those of
#    plain joint gradient descent on both layers, and VarPro still descends at steps at which
#    joint gradient descent diverges;
# 5. a GFT-style generator trained on the same objective draws fresh particles that are
#    about as close to the teacher as the particles VarPro moved there.
#
# The simulation code is in {py:mod}`gft.theory.varpro` (the particles) and
# {py:mod}`gft.theory.densities` (the teacher, the PDE and the distances).

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
from scipy.optimize import linprog

import gft
from gft import theory
from gft.experiments import start_chapter

# %% tags=["parameters"]
# "smoke" (seconds), "book" (these pages), "paper" (for a GPU: on one CPU thread one of its
# cells ran for more than an hour; VarPro alone takes 32 000 steps with N = 1024 particles)
preset = os.environ.get("GFT_PRESET", "book")
gamma = 100.0  # concentration of the teacher's two bumps
ridge = 1e-3  # delta, the ridge of the output layer
snapshot_times = [0.0, 0.125, 1.0, 5.0, 8.0]  # times of the density pictures (those at most t_max)
progress = False  # progress bars of the long runs (off: they would flood the stored outputs)
seed = 0  # seeds every random draw of the chapter
assert_claims = True  # False: compute and report the claims without asserting them
claims_file = None  # a CSV the claims table is appended to (benchmarks/claim_margins.py)

# %%
claims = start_chapter(preset, seed, assert_claims, claims_file)  # seeds random, NumPy, torch

SIZES = {  # M samples, N* teacher neurons, N student particles, steps h, final time
    "smoke": dict(n_samples=512, n_teacher=512, n_particles=32, step=2**-5, joint_step=2**-9,
                  t_max=1.0, n_cells=128, generator_steps=40, generator_particles=32),
    "book": dict(n_samples=4096, n_teacher=4096, n_particles=256, step=2**-6, joint_step=2**-9,
                 t_max=8.0, n_cells=256, generator_steps=1000, generator_particles=128),
    "paper": dict(n_samples=4096, n_teacher=4096, n_particles=1024, step=2**-10, joint_step=2**-10,
                  t_max=31.25, n_cells=512, generator_steps=10_000, generator_particles=256),
}
if preset not in SIZES:
    raise ValueError(f"Unknown preset {preset!r}. Must be one of {list(SIZES)}")
size = SIZES[preset]
n_samples, n_teacher, n_particles = size["n_samples"], size["n_teacher"], size["n_particles"]
step, joint_step, t_max = size["step"], size["joint_step"], size["t_max"]
n_cells = size["n_cells"]
record_dt = 2**-4  # time between records, a multiple of every step above: the runs share their record times
control_t = min(0.5, t_max)  # how long VarPro is rerun at joint gradient descent's step
bandwidth = n_particles**-0.5  # of the von Mises density estimate: concentration c = 1/bandwidth^2 = N

device = "cuda" if torch.cuda.is_available() else "cpu"
if device == "cpu":
    torch.set_num_threads(1)  # these small dense solves run fastest on one thread
dtype = torch.float64
print(f"gft {gft.__version__}, preset {preset!r}, device {device}, N = {n_particles}, M = {n_samples}")

# %% [markdown]
# ## The teacher and the student
#
# Inputs are Gaussian, $x\sim \mathcal{N}(0, I_2)$, and the teacher is a wide network of $N^*$ ReLU
# neurons on the unit circle with unit output weights,
#
# $$
# y = f^*(x) = \frac{1}{N^*}\sum_{i=1}^{N^*}\mathrm{ReLU}(\langle w^*_i, x\rangle)
#   \approx \int_{S^1} \mathrm{ReLU}(\langle w, x\rangle)\, d\mu^*(w),
# $$
#
# whose neurons have the angle density
# $\mu^*(\theta) \propto (1+\gamma\sin^2\frac{\theta}{2})^{-1} + \frac12(1+\gamma\sin^2\frac{\theta-0.4\pi}{2})^{-1}$:
# two bumps, at $0$ and at $0.4\pi$, with masses $2:1$ (the teacher of the paper's experiments
# on the circle {cite:p}`twotimescale2025ultrafast`). The student has $N$ particles
# $w_l\in S^1$ and output weights $b_l$ in the mean-field scaling,
#
# $$
# f_{W,b}(x) = \frac1N \sum_{l=1}^N b_l\,\mathrm{ReLU}(\langle w_l, x\rangle),
# \qquad
# J_\delta(W,b) = \frac{1}{2\delta}\,\frac1M\sum_{k=1}^M \big(f_{W,b}(x_k)-y_k\big)^2
#   + \frac12\,\frac1N\sum_{l=1}^N (b_l-1)^2 .
# $$
#
# Multiplied by $\delta$, this is $\frac12\,\mathrm{MSE} + \frac\delta2\,\frac1N\sum_l (b_l-1)^2$: $\delta$ is
# a ridge on $b - 1$ (the $1/\delta$ in front only sets the time scale of the flow below). The
# normalisation differs from the book's, whose ridge problem $\lVert Ab-y\rVert^2+\delta\lVert b\rVert^2$
# (with $A = F/N$, $F$ the $M\times N$ feature matrix) has no $1/M$ and no $1/N$ on the
# penalty: up to the centre $b = 1$, the $\delta$ here is the book's ridge divided by $M/N$ (16 at
# the `book` preset). The regulariser pulls towards $b = 1$ ("unbiased"), not towards $b=0$: at a zero of
# $J_\delta$ every $b_l = 1$, and the particles themselves, unweighted, must represent $f^*$.
# That turns fitting a function into matching a distribution — but only as far as the
# function determines the distribution, which is the next question. (The labels come from
# the $N^*$ sampled teacher neurons, so the exact minimisers sit around their empirical
# measure rather than $\mu^*$ itself; with $N^* = 16N$ at the `book` preset that difference
# is below the sampling noise of $N$ particles, as printed below.)

# %%
rng = np.random.default_rng(seed)
X_np, y_np, W_teacher = theory.make_teacher_student(n_samples, n_teacher, gamma, rng)
X = torch.as_tensor(X_np, dtype=dtype, device=device)
y = torch.as_tensor(y_np, dtype=dtype, device=device)

grid = theory.angle_grid(n_cells)  # cell centres of the angle grid
dx = 2 * np.pi / n_cells
mu_star = theory.teacher_density(grid, gamma)  # density in dtheta
grid_points = theory.angles_to_points(grid)
teacher_weights = mu_star * dx  # the teacher as a weighted point cloud on the grid

fig, ax = plt.subplots(figsize=(7, 3))
ax.hist(theory.points_to_angles(W_teacher), bins=120, density=True, alpha=0.4, label="teacher neurons")
ax.plot(grid, mu_star, "k", lw=1.5, label=r"$\mu^*(\theta)$")
ax.set(xlabel=r"angle $\theta$", ylabel="density", xlim=(-np.pi, np.pi), title="teacher feature density")
ax.legend()
plt.show()

# %% [markdown]
# ## What the data determine
#
# Write an input as $x = \rho\,(\cos\alpha, \sin\alpha)$ and a feature as
# $w = (\cos\theta, \sin\theta)$. Then $\mathrm{ReLU}(\langle w, x\rangle) = \rho\, g(\theta-\alpha)$
# with $g(\psi) = \max(\cos\psi, 0)$, and a network whose features have the distribution
# $\nu$ and output weights $b(\theta)$ computes a circular convolution:
#
# $$
# f(x) = \rho \int g(\alpha-\theta)\, b(\theta)\, d\nu(\theta)
#      = \rho \sum_{m\in\mathbb Z} \hat g(m)\, \widehat{b\nu}(m)\, e^{im\alpha},
# \qquad
# \hat g(m) = \frac{1}{2\pi}\int_{-\pi}^{\pi} g(\psi)e^{-im\psi}d\psi,\quad
# \widehat{b\nu}(m) = \int e^{-im\theta}\,b(\theta)\,d\nu(\theta).
# $$
#
# A direct integration gives $\hat g(0) = 1/\pi$, $\hat g(\pm1) = 1/4$ and
# $\hat g(m) = -\cos(m\pi/2)/(\pi(m^2-1))$ for $|m|\ge2$: **every harmonic of odd order
# $|m|\ge3$ vanishes.** So $f$ determines the harmonics of $b\nu$ of the orders
# $\mathcal V = \{0,\pm1\}\cup 2\mathbb Z$ ("seen") and nothing of those of odd order
# $|m|\ge3$ ("unseen"). Write $\mathcal Z$ for the signed densities whose seen harmonics all
# vanish: adding one to $b\nu$ changes $f$ nowhere — not in the mean over $x$, but at every
# input, so no number of samples $M$ helps.
#
# The picture of the introduction rests on an **identifiability assumption**, which we state
# as:
#
# > (A) the map $\nu\mapsto f_\nu = \rho\,(g * \nu)$ is injective on (signed) measures on the
# > circle, i.e. $\hat g(m)\ne0$ for every $m$.
#
# (A) fails here. What holds instead:
#
# - $f^*$ is determined, of course, and with it every seen harmonic of $\mu^*$. Since all
#   even harmonics are seen, so is the *antipodal sum* $\mu^*(\theta)+\mu^*(\theta+\pi)$ at
#   every $\theta$.
# - The zeros of the population objective (infinitely many samples, a density $\nu$ of
#   particles) are exactly $b\equiv1$ with $\nu-\mu^*\in\mathcal Z$. Every such density is a
#   global minimiser: the minimiser is unique only modulo $\mathcal Z$. (For instance,
#   $\nu = \mu^* + \varepsilon\cos3\theta$ fits exactly, and is a density when
#   $|\varepsilon| \le \min\mu^*$.)
# - Positivity limits the ambiguity: with the antipodal sums fixed, $\nu\ge0$ confines
#   $\nu(\theta)$ to $[0, \mu^*(\theta)+\mu^*(\theta+\pi)]$. What is free is how the mass of
#   each antipodal pair $\{\theta, \theta+\pi\}$ is split between its two points, subject to
#   one complex constraint, keeping $\hat\nu(\pm1)$.
#
# Two numerical checks follow: the harmonics of $g$, by FFT; and a second minimiser
# $\nu^\sharp$, found by a linear program over the splits that maximises the mass $\nu$ puts
# on the lighter point (under $\mu^*$) of each antipodal pair — the net mass moved towards the
# lighter points — while keeping $\hat\nu(\pm1)$. At an optimal vertex all but at most two pairs put
# their whole mass on one point (the program has two equality constraints), which is why
# $\nu^\sharp$ vanishes on about half the circle.

# %%
fine = theory.angle_grid(4096)  # an even grid: sampling g aliases odd orders onto odd orders only
g_hat_fft = np.fft.fft(np.maximum(np.cos(fine), 0.0)) / fine.size * np.exp(-1j * np.arange(fine.size) * fine[0])
orders = np.arange(16)
g_hat = np.where(orders == 1, 0.25, -np.cos(orders * np.pi / 2) / (np.pi * (orders**2 - 1.0 + (orders == 1))))
unseen_g = np.abs(g_hat_fft[3:16:2]).max() / abs(g_hat_fft[2])
display(pd.DataFrame({"m": orders, "ĝ(m), closed form": g_hat, "ĝ(m), FFT": g_hat_fft[:16].real})
        .set_index("m").T.style.format("{:.3g}"))
claims.check("ReLU∘cos has no harmonic of odd order 3..15 (largest |ĝ(m)| / |ĝ(2)|, FFT)", unseen_g, "<", 1e-10)
claims.check("the closed form of ĝ(m) matches the FFT (largest difference, m < 16)",
             np.abs(g_hat_fft[:16] - g_hat).max(), "<", 1e-6)


# %%
def harmonics(angles: np.ndarray, weights: np.ndarray | None = None, orders=np.arange(1, 9)) -> np.ndarray:
    r"""$\hat\nu(m) = \sum_l \mathrm{weight}_l\, e^{-im\theta_l}$ of a weighted point cloud, shape (len(orders),)."""
    weights = np.full(len(angles), 1 / len(angles)) if weights is None else weights
    return np.exp(-1j * np.outer(orders, angles)) @ weights


def second_minimiser(mu: np.ndarray, theta: np.ndarray) -> np.ndarray:
    r"""A density $\nu$ on the grid with $\nu - \mu\in\mathcal Z$ that puts the most mass on the lighter point of each antipodal pair.

    Variables: the share $s\in[0,1]$ of each antipodal pair's mass $p = \mu(\theta)+\mu(\theta+\pi)$
    put at $\theta$ (the even harmonics depend on $p$ only); constraint: $\hat\nu(\pm1)$ unchanged.
    """
    half = len(theta) // 2
    assert np.allclose(theta[half:], theta[:half] + np.pi)  # an even grid: the antipode of cell i is cell half + i
    p = mu[:half] + mu[half:]
    share = mu[:half] / p
    # nu_hat(1) = sum_half p (2 s - 1) e^{-i theta} dtheta: fix its real and imaginary parts
    A_eq = np.stack([p * np.cos(theta[:half]), p * np.sin(theta[:half])])
    heavier_here = mu[:half] > mu[half:]
    gain = np.where(heavier_here, -p, p)  # the mass on the lighter point of each pair (net move towards it)
    lp = linprog(-gain, A_eq=A_eq, b_eq=A_eq @ share, bounds=[(0, 1)] * half, method="highs")
    assert lp.status == 0, lp.message
    return np.concatenate([p * lp.x, p * (1 - lp.x)])


def quantile_angles(density: np.ndarray, n: int) -> np.ndarray:
    """The n angles at the quantiles (l + 1/2)/n of a grid density: a low-noise particle set."""
    cdf = np.concatenate([[0.0], np.cumsum(density * dx)])
    return np.interp((np.arange(n) + 0.5) / n, cdf / cdf[-1], np.concatenate([grid - dx / 2, [np.pi]]))


def zero_arcs(density: np.ndarray) -> np.ndarray:
    """Lengths (radians) of the maximal arcs of the circular grid on which `density` is exactly zero."""
    zero = density == 0.0
    if not zero.any():
        return np.zeros(0)
    run = np.roll(zero, -int(np.argmin(zero))).astype(int)  # starts at a cell where it is not zero
    edges = np.diff(np.concatenate([[0], run, [0]]))
    return (np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)) * dx


nu_sharp = second_minimiser(mu_star, grid)
sharp_gaps = zero_arcs(nu_sharp)
F_grid = torch.relu(X @ torch.as_tensor(grid_points, dtype=dtype, device=device).T)  # (M, cells)
f_mu = F_grid @ torch.as_tensor(mu_star * dx, dtype=dtype, device=device)
f_sharp = F_grid @ torch.as_tensor(nu_sharp * dx, dtype=dtype, device=device)
f_gap = float((f_sharp - f_mu).abs().max() / f_mu.abs().max())
moved = 0.5 * np.abs(nu_sharp - mu_star).sum() * dx
energy_sharp = theory.energy_distance(grid_points, grid_points, nu_sharp * dx, teacher_weights)
assert nu_sharp.min() >= -1e-12 and abs(nu_sharp.sum() * dx - 1) < 1e-9  # a probability density

mu_hat = harmonics(grid, teacher_weights)  # orders 1..8
iid_rms = np.sqrt((1 - np.abs(mu_hat) ** 2) / n_particles)  # rms of |nu_hat(m) - mu_hat(m)| for an i.i.d. sample
seen, unseen = np.array([0, 1, 3, 5, 7]), np.array([2, 4, 6])  # indices of the orders 1, 2, 4, 6, 8 and 3, 5, 7
sharp_unseen = np.abs(harmonics(grid, nu_sharp * dx) - mu_hat)[unseen] / iid_rms[unseen]
teacher_sample_error = np.abs(harmonics(theory.points_to_angles(W_teacher)) - mu_hat) / iid_rms
teacher_sample_rms = float(np.sqrt(np.mean(teacher_sample_error**2)))
print(f"the {n_teacher} sampled teacher neurons against μ*, harmonics m = 1..8 in i.i.d. rms of "
      f"N = {n_particles} particles: rms {teacher_sample_rms:.2f}, largest {teacher_sample_error.max():.2f}")

fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
axes[0].plot(grid, mu_star, "k", label=r"teacher $\mu^*$")
axes[0].plot(grid, nu_sharp, "C3--", label=r"second minimiser $\nu^\sharp$")
axes[0].set(xlabel=r"$\theta$", ylabel="density", xlim=(-np.pi, np.pi), title="two feature densities")
relu_cos = np.maximum(np.cos(grid[:, None] - grid[None, :]), 0.0)  # g(theta_j - alpha_i) on the grid
axes[1].plot(grid, relu_cos @ (mu_star * dx), "k", label=r"$f_{\mu^*}$")
axes[1].plot(grid, relu_cos @ (nu_sharp * dx), "C3--", label=r"$f_{\nu^\sharp}$")
axes[1].set(xlabel=r"input angle $\alpha$ ($\|x\| = 1$)", ylabel="f(x)", xlim=(-np.pi, np.pi),
            title="the functions they define")
for ax in axes:
    ax.legend(fontsize=8)
plt.tight_layout()
plt.show()
display(Markdown(
    f"$\\nu^\\sharp$ moves {moved:.1%} of the teacher's mass and is zero on {len(sharp_gaps)} arcs covering "
    f"{sharp_gaps.sum() / (2 * np.pi):.0%} of the circle (the longest {np.degrees(sharp_gaps.max()):.0f}°; "
    f"on them $\\mu^*$ is positive, at least {mu_star[nu_sharp == 0].min():.2g}); on the {n_samples} training inputs its "
    f"function differs from the teacher density's by {f_gap:.1e} of $\\max|f|$ (round-off). Its harmonics "
    f"of orders 3, 5, 7 differ from $\\mu^*$'s by {', '.join(f'{v:.2g}' for v in sharp_unseen)} times the "
    f"rms error of an i.i.d. sample of $N = {n_particles}$ points, yet its energy distance to $\\mu^*$ "
    f"(defined below) is only {energy_sharp:.3f}."))
claims.check("ν♯ fits the teacher density's function to round-off (max |f_ν♯ − f_μ*| / max |f_μ*|)",
             f_gap, "<", 1e-9)
claims.check("ν♯ is zero on whole intervals (the longest arc where it vanishes, in degrees)",
             float(np.degrees(sharp_gaps.max())), ">", 30)
claims.check("ν♯ differs from μ* in an unseen harmonic by > 2 i.i.d. rms (largest of m = 3, 5, 7)",
             sharp_unseen.max(), ">", 2.0)

# %% [markdown]
# ## Variable projection and its mean-field limit
#
# For fixed particles $W$, $J_\delta$ is quadratic in $b$; its minimiser solves
#
# $$
# (\mathcal K + \delta I)\,\hat b(W) = \frac1M F^\top y + \delta\mathbf 1,
# \qquad F_{kl} = \mathrm{ReLU}(\langle w_l, x_k\rangle),\quad \mathcal K = \frac{F^\top F}{MN} .
# $$
#
# VarPro minimises the *reduced* objective $J(W) = J_\delta(W, \hat b(W)) = \min_b J_\delta(W, b)$.
# By the envelope theorem its gradient is the partial gradient at the optimal $b$,
# $\nabla J(W) = \partial_W J_\delta(W, b)\big|_{b=\hat b(W)}$, so a step costs one
# $N\times N$ solve. (GFT's objective $L$ has no such shortcut: it is the training MSE at the
# ridge solution, plus the TV term, not the minimum over $b$ of the objective that $\hat b$
# minimises, so GFT differentiates through the solve, as in the chapter on derivations. Nor is
# this the book's VarPro baseline, {py:class}`gft.baselines.VarProRegressor`, which runs Adam
# on $L$.) A step of size $Nh$ followed by the projection onto the circle,
#
# $$
# w_l \leftarrow \frac{w_l - Nh\,\partial_{w_l}J}{\|w_l - Nh\,\partial_{w_l}J\|},
# $$
#
# advances the mean-field time $t$ by $h$. The velocity of the particles has an exact form.
# With the residual $r_k = y_k - f(x_k)$, let
#
# $$
# B(\theta) = 1 + \frac{1}{\delta M}\sum_{k=1}^M r_k\,\mathrm{ReLU}(\langle w(\theta), x_k\rangle) .
# $$
#
# The optimality condition of $b$ reads $\hat b_l = B(\theta_l)$, and a step turns particle $l$
# by the angle $h\,\hat b_l\,B'(\theta_l) + O(h^2) = \frac h2 (B^2)'(\theta_l) + O(h^2)$. So
# the particles' empirical measure $\nu_t$ follows, in the mean-field limit and as $h \to 0$, the
# Wasserstein gradient flow of the reduced objective
#
# $$
# \partial_t \nu = -\tfrac12\,\partial_\theta\big(\nu\,\partial_\theta B_t^2\big),
# $$
#
# at every $\delta$. $B_t - 1$ is a combination of the functions
# $\theta\mapsto\rho_k\,g(\theta-\alpha_k)$: **$B_t$ has no unseen harmonics**, at any time,
# for any $\delta$, $N$ and $M$.
#
# *Under (A)*, $B_t \to \mu^*/\nu_t$ as $\delta\to0$ (formally: the limit of the optimal $b$
# is the one with $b\nu = \mu^*$), and the flow becomes the weighted ultra-fast diffusion
# {cite:p}`twotimescale2025ultrafast`
#
# $$
# \partial_t \nu = -\tfrac12\,\partial_\theta\Big(\nu\,\partial_\theta\big(\mu^*/\nu\big)^2\Big),
# $$
#
# which for constant $\mu^*$ reads $\partial_t\nu = \partial_\theta(\mu^{*2}\nu^{-2}\partial_\theta\nu)$:
# a diffusion whose coefficient blows up where the particles are scarce. Its only positive
# stationary state is $\nu=\mu^*$: a stationary $\nu$ has a constant flux
# $\nu\,\partial_\theta(\mu^*/\nu)^2 = C$; dividing by $\nu$ and integrating around the circle
# gives $C\int\nu^{-1} = 0$, so $\mu^*/\nu$ is constant.
#
# *Here (A) fails*, and $B_t$, which has no unseen harmonics, equals $\mu^*/\nu_t$ only when
# $\mu^*/\nu_t$ has none. As $\delta\to0$ the optimal $b$ tends (formally) to the minimiser
# of $\int(b-1)^2d\nu$ subject to $b\nu-\mu^*\in\mathcal Z$, where such $b$ exist (the
# antipodal sums of $b\nu$ must be $\mu^*$'s, so every antipodal pair of points where $\mu^*$'s
# sum is positive must meet the support of $\nu$, as it does for $\nu > 0$; otherwise $\hat b$
# grows without bound as $\delta\to0$): the unique (on the support of $\nu$) $B_0$ without unseen
# harmonics and with $B_0\nu-\mu^*\in\mathcal Z$. Every density $\nu \ge 0$ with
# $\nu-\mu^*\in\mathcal Z$ is a stationary state of that flow ($B_0\equiv1$), and among
# everywhere-positive densities these are the only ones (the argument through $\int\nu^{-1}$
# above). Among densities with gaps ($\nu^\sharp$ is one, zero on whole intervals, printed above)
# there are further stationary states, which need not be minimisers: the flux $\nu\,\partial_\theta B_0^2$ vanishes as soon as $B_0^2$ is
# constant on each interval of its support, with constants that may differ. The ultra-fast
# diffusion is therefore not the limit of our particle system; we use it as a reference —
# the dynamics the features would follow if they determined the distribution — and measure
# how close the particles come to it. Whether the particles approach $\mu^*$ rather than
# another stationary state such as $\nu^\sharp$ is a property of the run, not a theorem,
# and is measured too.
#
# We start the $N$ particles evenly spread on the circle, run VarPro to time $t_{\max}$ and
# solve the PDE from the uniform density at the same times (a conservative finite-volume
# scheme on the angle grid, integrated by BDF).

# %%
W0 = torch.as_tensor(theory.angles_to_points(theory.angle_grid(n_particles)), dtype=dtype, device=device)

varpro = theory.run_varpro(W0, X, y, ridge, step, t_max, record_every=round(record_dt / step), progress=progress)

nu = theory.solve_ultrafast_diffusion(mu_star, varpro.times)  # (T, n_cells)
print(f"VarPro: {len(varpro.times)} records, {round(t_max / step)} steps")

# B at the final particles: equal to the optimal output weights there, and without unseen harmonics
W_final = torch.as_tensor(theory.angles_to_points(varpro.angles[-1]), dtype=dtype, device=device)
_, b_final, fit_error = theory.reduced_objective(W_final, X, y, ridge)  # fit_error = f - y = -r
B_grid = 1 - F_grid.T @ fit_error / (ridge * n_samples)  # B on the (even) angle grid
B_particles = 1 - torch.relu(X @ W_final.T).T @ fit_error / (ridge * n_samples)
B_hat = np.abs(np.fft.fft(B_grid.cpu().numpy()))
B_unseen = B_hat[3:n_cells // 2:2].max() / B_hat[1:n_cells // 2].max()
claims.check("consistency check: the optimal output weights are B at the particles (largest |b̂_l − B(θ_l)|)",
             float((b_final - B_particles).abs().max()), "<", 1e-8)
claims.check("consistency check: B has no unseen harmonics (largest odd m >= 3 over largest m >= 1, FFT)", B_unseen, "<", 1e-10)

# %% [markdown]
# The densities of the particles against the PDE solution and the teacher density. The
# particle density is a von Mises kernel estimate,
# $\nu_{\mathrm{KDE}}(\theta) = \frac1N\sum_l e^{c\cos(\theta-\theta_l)}/(2\pi I_0(c))$ with
# concentration $c = N$ (the hat is kept for Fourier coefficients and for $\hat b$); for large $c$ this kernel
# is close to a Gaussian of standard deviation $c^{-1/2}$, so its bandwidth is $N^{-1/2}$ radians. The particles thin out on
# the part of the circle that $\mu^*$ leaves nearly empty, towards $\mu^*$'s low level there,
# and settle on the teacher's two bumps, near the PDE solution on the way.

# %%
shown = [t for t in snapshot_times if t <= t_max + 1e-9]
fig, axes = plt.subplots(1, len(shown), figsize=(3.2 * len(shown), 3), sharey=True)
for ax, t in zip(np.atleast_1d(axes), shown):
    i = int(np.argmin(np.abs(varpro.times - t)))
    ax.plot(grid, theory.circular_kde(varpro.angles[i], grid, bandwidth), label="particles (KDE)")
    ax.plot(grid, nu[i], "--", label=r"PDE ($\delta\to0$, under (A))")
    ax.plot(grid, mu_star, "k:", lw=1, label=r"teacher $\mu^*$")
    ax.set(title=f"t = {varpro.times[i]:g}", xlabel=r"$\theta$", xlim=(-np.pi, np.pi))
np.atleast_1d(axes)[0].set_ylabel("density")
np.atleast_1d(axes)[0].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# To measure "close" we use the energy distance {cite:p}`szekely2013energy` between measures
# on the circle (embedded in $\mathbb R^2$), or rather its square root: Székely and Rizzo's
# energy distance is $\mathcal E^2$ below. $\mathcal E$ is the maximum mean discrepancy of
# the kernel $\|w\| + \|w'\| - \|w-w'\|$, twice the usual distance-induced kernel ($-\|w-w'\|$ alone is only
# conditionally positive definite), so $\mathcal E^2 = \mathrm{MMD}^2$:
#
# $$
# \mathcal E(\nu,\mu) = \Big(2\,\mathbb E\|W-W'\| - \mathbb E\|W-\tilde W\| - \mathbb E\|W'-\tilde W'\|\Big)^{1/2},
# \qquad W,\tilde W\sim\nu,\ W',\tilde W'\sim\mu .
# $$
#
# The plots and tables show $\mathcal{E}$, not $\mathcal E^2$. It needs no density estimate and
# applies equally to particles, to the PDE's grid density and to the teacher. On the circle,
# $\|w-w'\| = 2|\sin\frac{\theta-\theta'}{2}|$ and the Fourier series of $|\sin\frac\psi2|$
# gives
#
# $$
# \mathcal E(\nu,\mu)^2 = \frac8\pi\sum_{m\ge1}\frac{|\hat\nu(m)-\hat\mu(m)|^2}{4m^2-1} :
# $$
#
# the weight of harmonic $m$ is $1/3$ for $m=1$ but $1/35$ for $m=3$, so $\mathcal{E}$ is
# dominated by the lowest harmonics and is nearly blind to the unseen ones ($\nu^\sharp$
# above). We therefore also compare the harmonics $m = 1,\dots,8$ one by one, against the
# rms error of an i.i.d. sample of $N$ points from $\mu^*$, $\sqrt{(1-|\hat\mu^*(m)|^2)/N}$.
# For scale, the energy distance of such a sample to the teacher is printed below.

# %%
def distance_to_teacher(angles: np.ndarray) -> float:
    return theory.energy_distance(theory.angles_to_points(angles), grid_points, y_weights=teacher_weights)


# the Fourier form of E^2, checked on nu_sharp vs mu_star (grid measures: |rho_hat(m)| has period n_cells)
rho_hat = np.abs(np.exp(-1j * np.outer(np.arange(1, n_cells + 1), grid)) @ ((nu_sharp - mu_star) * dx))
m_all = np.arange(1, 2000 * n_cells + 1)
energy_fourier = np.sqrt(8 / np.pi * np.sum(np.tile(rho_hat**2, 2000) / (4 * m_all**2 - 1)))
claims.check("the Fourier form of the energy distance matches the direct one (relative difference)",
             abs(energy_fourier / energy_sharp - 1), "<", 1e-4)

dist_teacher = np.array([distance_to_teacher(a) for a in varpro.angles])
dist_pde = np.array([
    theory.energy_distance(theory.angles_to_points(a), grid_points, y_weights=n_t * dx)
    for a, n_t in zip(varpro.angles, nu)
])
pde_to_teacher = np.array([
    theory.energy_distance(grid_points, grid_points, n_t * dx, teacher_weights) for n_t in nu
])
iid_reference = np.median([
    distance_to_teacher(theory.sample_teacher_angles(n_particles, gamma, rng)) for _ in range(50)
])
print(f"energy distance to the teacher: t=0 {dist_teacher[0]:.3f} -> t={t_max:g} {dist_teacher[-1]:.3f} "
      f"(a factor {dist_teacher[0] / dist_teacher[-1]:.1f}); an i.i.d. teacher sample of size N: "
      f"{iid_reference:.3f} (median of 50); ν♯: {energy_sharp:.3f}")
last_unit = int(np.argmin(np.abs(varpro.times - (t_max - 1))))  # one time unit before the end
print(f"over the last time unit, t = {varpro.times[last_unit]:g} -> {t_max:g}, the distance went from "
      f"{dist_teacher[last_unit]:.4f} to {dist_teacher[-1]:.4f}")
print(f"largest distance particles-PDE over the run: {dist_pde.max():.3f} "
      f"({dist_pde.max() / iid_reference:.2f} times the i.i.d. level)")
ahead = varpro.times[(dist_teacher < pde_to_teacher) & (varpro.times > 0)]
print("the particles are nearer the teacher than the PDE solution is "
      + (f"from t = {ahead.min():g} to t = {ahead.max():g} ({len(ahead)} of the {len(varpro.times) - 1} recorded "
         f"times t > 0)" if len(ahead) else "at no recorded time t > 0"))

harmonic_error = {  # |nu_hat(m) - mu_hat(m)| / iid_rms(m), m = 1..8
    "uniform start": np.abs(harmonics(varpro.angles[0]) - mu_hat) / iid_rms,
    f"VarPro, t = {t_max:g}": np.abs(harmonics(varpro.angles[-1]) - mu_hat) / iid_rms,
    r"$\nu^\sharp$ (its seen harmonics are $\mu^*$'s)": np.abs(harmonics(grid, nu_sharp * dx) - mu_hat) / iid_rms,
}

fig, axes = plt.subplots(1, 2, figsize=(12, 3.5))
axes[0].semilogy(varpro.times, dist_teacher, label="particles → teacher")
axes[0].semilogy(varpro.times, pde_to_teacher, "--", label="PDE → teacher")
axes[0].semilogy(varpro.times[1:], dist_pde[1:], ":", label="particles → PDE")
axes[0].axhline(iid_reference, color="gray", lw=0.8, label=f"i.i.d. sample of size {n_particles}")
axes[0].set(xlabel="time t", ylabel=r"energy distance $\mathcal{E}$", title="VarPro from the uniform start")
axes[0].legend(fontsize=8)
width = 0.27
for j, (name, err) in enumerate(harmonic_error.items()):
    axes[1].bar(np.arange(1, 9) + (j - 1) * width, err, width, label=name)
axes[1].axhline(1.0, color="gray", lw=0.8, label="i.i.d. rms")
for m in (3, 5, 7):
    axes[1].axvspan(m - 0.5, m + 0.5, color="0.9", zorder=0)
axes[1].set(yscale="log", ylim=(1e-2, 500), xlabel="harmonic m (shaded: unseen)", ylabel=r"$|\hat\nu(m)-\hat\mu^*(m)|$ / i.i.d. rms",
            title="harmonic by harmonic", xticks=np.arange(1, 9))
axes[1].legend(fontsize=8, ncol=2, loc="upper center")
plt.tight_layout()
plt.show()

# %% [markdown]
# From the uniform start the distance to the teacher falls by about an order of magnitude, to
# about the level of an i.i.d. sample of the same size, and the particles stay within about
# that level of the PDE solution throughout: for much of the run they are nearer the teacher
# than the PDE solution is, and at the end they trail it (both printed above).
# Harmonic by harmonic, the final particles are within a small multiple of the sampling
# noise of the teacher, both in the seen harmonics and in the unseen ones $m = 3, 5, 7$,
# which the objective does not constrain; we have no argument for the latter, it is what
# this run does. At this $N$ the unseen harmonics of $\nu^\sharp$ are themselves only a few
# i.i.d. rms from $\mu^*$'s, so "within sampling noise of $\mu^*$" alone could not tell the
# two minimisers apart; the final particles' unseen harmonics are also compared with
# $\nu^\sharp$'s, and they are the nearer $\mu^*$'s (the rms ratio is printed below). The
# factors are printed above and below, and checked here:

# %%
assert np.all(np.isfinite(dist_teacher)) and np.all(np.abs(np.diff(nu.sum(1) * dx)) < 1e-8)  # PDE keeps mass
final_error = harmonic_error[f"VarPro, t = {t_max:g}"]
# at this N, nu_sharp's unseen harmonics are only a few i.i.d. rms from mu*'s: which of the two
# minimisers do the final particles' unseen harmonics match? (rms over m = 3, 5, 7)
final_to_sharp = np.abs(harmonics(varpro.angles[-1]) - harmonics(grid, nu_sharp * dx)) / iid_rms
unseen_closer = np.sqrt(np.mean(final_error[unseen] ** 2) / np.mean(final_to_sharp[unseen] ** 2))
print(f"unseen harmonics m = 3, 5, 7 of the final particles, in i.i.d. rms: from μ*'s "
      f"{', '.join(f'{v:.2g}' for v in final_error[unseen])}; from ν♯'s "
      f"{', '.join(f'{v:.2g}' for v in final_to_sharp[unseen])} (rms ratio {unseen_closer:.2f})")
claims.check("about an order of magnitude closer to the teacher: ℰ falls more than 6.7-fold (ℰ at t_max / ℰ at t = 0)",
             dist_teacher[-1] / dist_teacher[0], "<", 0.15)
claims.check("ends near the level of an i.i.d. sample (ℰ at t_max / i.i.d. median)",
             dist_teacher[-1] / iid_reference, "<", 2.0)
claims.check("particles stay near the PDE (largest ℰ particles-PDE / i.i.d. median)",
             dist_pde.max() / iid_reference, "<", 1.75)
claims.check("the particles trail the PDE at the end (ℰ particles-teacher / ℰ PDE-teacher at t_max)",
             dist_teacher[-1] / pde_to_teacher[-1], ">", 1.0)
claims.check("the PDE converges to the teacher (ℰ PDE-teacher at t_max / at t = 0)",
             pde_to_teacher[-1] / pde_to_teacher[0], "<", 0.15)
claims.check("seen harmonics m = 1, 2, 4, 6, 8 end within sampling noise (largest error / i.i.d. rms)",
             final_error[seen].max(), "<", 2.5)
claims.check("unseen harmonics m = 3, 5, 7 end within sampling noise (largest error / i.i.d. rms)",
             final_error[unseen].max(), "<", 2.0)
claims.check("the unseen harmonics end nearer μ*'s than ν♯'s (rms over m = 3, 5, 7, μ* / ν♯)",
             unseen_closer, "<", 0.5)
claims.check("ℰ to the teacher still falls over the last time unit (ℰ at t_max / ℰ at t_max − 1)",
             dist_teacher[-1] / dist_teacher[last_unit], "<", 1.0)
claims.check("the teacher's sampled neurons are inside the sampling noise of N particles "
             "(rms over m = 1..8, in i.i.d. rms)", teacher_sample_rms, "<", 0.75)
claims.check("in energy distance ν♯ is about as close to μ* as an i.i.d. sample (ℰ(ν♯, μ*) / i.i.d. median)",
             energy_sharp / iid_reference, "<", 1.5)

# %% [markdown]
# ## Started on the other minimiser
#
# Convergence to $\mu^*$ from the uniform start is what this run does, not what the
# objective demands. Put the particles at the quantiles of $\nu^\sharp$ instead, and run
# VarPro for the same time.

# %%
W_sharp = torch.as_tensor(theory.angles_to_points(quantile_angles(nu_sharp, n_particles)), dtype=dtype, device=device)
W_mu = torch.as_tensor(theory.angles_to_points(quantile_angles(mu_star, n_particles)), dtype=dtype, device=device)
J_quantiles_mu = float(theory.reduced_objective(W_mu, X, y, ridge)[0])
from_sharp = theory.run_varpro(W_sharp, X, y, ridge, step, t_max, record_every=round(record_dt / step),
                               progress=progress)
sharp_error = np.abs(harmonics(from_sharp.angles[-1]) - mu_hat) / iid_rms
sharp_stay = np.abs(harmonics(from_sharp.angles[-1]) - harmonics(grid, nu_sharp * dx)) / iid_rms

fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
axes[0].plot(grid, theory.circular_kde(from_sharp.angles[-1], grid, bandwidth), label=f"particles, t = {t_max:g}")
axes[0].plot(grid, nu_sharp, "C3--", label=r"$\nu^\sharp$")
axes[0].plot(grid, mu_star, "k:", lw=1, label=r"teacher $\mu^*$")
axes[0].set(xlabel=r"$\theta$", ylabel="density", xlim=(-np.pi, np.pi), title=r"VarPro started on $\nu^\sharp$")
axes[0].legend(fontsize=8)
axes[1].semilogy(varpro.times, varpro.objective, label="from the uniform start")
axes[1].semilogy(from_sharp.times, from_sharp.objective, "C3", label=r"from $\nu^\sharp$")
axes[1].axhline(J_quantiles_mu, color="k", ls=":", lw=1, label=r"quantiles of $\mu^*$")
axes[1].set(xlabel="time t", ylabel=r"reduced objective $J(W_t)$", title="objective")
axes[1].legend(fontsize=8, loc="upper right")
plt.tight_layout()
plt.show()
display(Markdown(
    f"Started on $\\nu^\\sharp$, the particles begin at $J = {from_sharp.objective[0]:.2g}$ — "
    f"{varpro.objective[-1] / from_sharp.objective[0]:.0f} times lower than what VarPro reaches from the uniform "
    f"start by $t = {t_max:g}$ ({varpro.objective[-1]:.2g}), and within a factor three of particles at the "
    f"quantiles of $\\mu^*$ ({J_quantiles_mu:.2g}). At $t = {t_max:g}$ their unseen harmonics $m = 3, 5, 7$ are still "
    f"{', '.join(f'{v:.2g}' for v in sharp_error[unseen])} times the i.i.d. rms away from $\\mu^*$'s, while "
    f"each of their harmonics $m = 1, \\dots, 8$ is within {sharp_stay.max():.2g} times the i.i.d. rms of "
    f"$\\nu^\\sharp$'s: they stay near $\\nu^\\sharp$, a minimiser that is not the teacher's distribution."))

# %%
claims.check("particles on ν♯ have a lower J than the uniform start reaches (J_uniform(t_max) / J_ν♯(0))",
             varpro.objective[-1] / from_sharp.objective[0], ">", 1.0)
claims.check("particles on ν♯ have about the J of particles at the quantiles of μ* (J_ν♯(0) / J_μ*-quantiles)",
             from_sharp.objective[0] / J_quantiles_mu, "<", 3.0)
claims.check("started on ν♯, the particles stay near it (largest error of m = 1..8 against ν♯'s / i.i.d. rms)",
             sharp_stay.max(), "<", 1.5)
claims.check("started on ν♯, the particles keep an unseen harmonic > 1.5 i.i.d. rms from μ*'s (largest of m = 3, 5, 7)",
             sharp_error[unseen].max(), ">", 1.5)

# %% [markdown]
# ## VarPro against joint gradient descent
#
# The alternative is to descend on both layers at once, with the same mean-field step,
# $b\leftarrow b - Nh\,\partial_b J_\delta$. The Hessian of $J_\delta$ in $b$ is
# $(\mathcal K+\delta I)/(\delta N)$, so with the features frozen the error of $b$ along an
# eigenvector of $\mathcal K$ with eigenvalue $\kappa_i$ is multiplied by
# $1 - h(\kappa_i+\delta)/\delta$ per step: joint gradient descent is stable only for
# $h < 2\delta/(\|\mathcal K\|+\delta)$, and it relaxes $b$ at the rate
# $(\kappa_i+\delta)/\delta$ per unit time — fast along the top eigenvectors, but at a rate
# below 2, on the time scale on which the features themselves move, along every eigenvector
# with $\kappa_i < \delta$. VarPro is the limit in which $b$ is re-solved exactly at every step.
#
# A fair comparison evaluates the same function for both methods: the reduced objective
# $J(W_t) = \min_b J_\delta(W_t, b)$ at each method's features $W_t$. (Joint gradient
# descent's own value $J_\delta(W_t, b_t)$ is never smaller, and equal only at the optimal $b$.) We start joint
# gradient descent from the same particles *and* the optimal $\hat b(W_0)$, at the same
# objective value, with one step for both layers (the mean-field scaling ties them; a
# separate, larger step for $b$ would speed up its slow modes and is not tried here); and, as a control for the
# different steps, rerun VarPro at joint gradient descent's step over a short time (printed
# below).

# %%
_, b0, _ = theory.reduced_objective(W0, X, y, ridge)
F0 = torch.relu(X @ W0.T)
K0_eigs = torch.linalg.eigvalsh(F0.T @ F0 / (n_samples * n_particles)).cpu().numpy()
K_norm = float(K0_eigs[-1])
stability_bound = 2 * ridge / (K_norm + ridge)
share_slow = float(np.mean(K0_eigs < ridge))
W_end = torch.as_tensor(theory.angles_to_points(varpro.angles[-1]), dtype=dtype, device=device)
F_end = torch.relu(X @ W_end.T)
K_end_eigs = torch.linalg.eigvalsh(F_end.T @ F_end / (n_samples * n_particles)).cpu().numpy()
round_off = 1e-12 * K_norm  # eigenvalues of a float64 Gram matrix this small are zero to round-off
zero_eigs = {"start": int(np.sum(K0_eigs < round_off)), "end": int(np.sum(K_end_eigs < round_off))}
print(f"‖𝒦‖ = {K_norm:.3f} at the start: joint GD needs h < 2δ/(‖𝒦‖ + δ) = {stability_bound:.4f} "
      f"= 2^{np.log2(stability_bound):.2f}; {share_slow:.0%} of the eigenvalues of 𝒦 are below δ")
print(f"eigenvalues of 𝒦 zero to round-off (below 1e-12 ‖𝒦‖): {zero_eigs['start']} of {n_particles} at the start, "
      f"{zero_eigs['end']} at t = {t_max:g}; below δ at t = {t_max:g}: {np.mean(K_end_eigs < ridge):.0%}")
print(f"VarPro runs at h = 2^{np.log2(step):.0f} = {step / stability_bound:.2f} x that bound; "
      f"joint GD at h = 2^{np.log2(joint_step):.0f} = {joint_step / stability_bound:.2f} x the bound")

joint = theory.run_joint_gd(W0, b0, X, y, ridge, joint_step, t_max,
                            record_every=round(record_dt / joint_step), progress=progress)
assert np.allclose(joint.times, varpro.times)  # shared record times
J_joint = np.array([  # the reduced objective at joint GD's features
    float(theory.reduced_objective(torch.as_tensor(theory.angles_to_points(a), dtype=dtype, device=device),
                                   X, y, ridge)[0]) for a in joint.angles
])
dist_joint = np.array([distance_to_teacher(a) for a in joint.angles])
control = theory.run_varpro(W0, X, y, ridge, joint_step, control_t, record_every=round(record_dt / joint_step))
control_gap = np.abs(control.objective[1:] / varpro.objective[1:len(control.times)] - 1).max()

ratio = J_joint[1:] / varpro.objective[1:]  # t > 0
print(f"reduced objective, joint GD / VarPro, over t in (0, {t_max:g}]: from {ratio.min():.2f} to {ratio.max():.2f}; "
      f"at t = {t_max:g}: {ratio[-1]:.2f}")
print(f"VarPro at joint GD's step vs at its own, t <= {control_t:g}: largest relative difference {control_gap:.1e}")
print(f"joint GD's own J(W_t, b_t) exceeds its reduced objective by at most {np.max(joint.objective / J_joint - 1):.1%}")

# 32 steps at step sizes beyond joint GD's bound: the smallest power of two at least 1.5 times it, and 4 times that
large_step = 2.0 ** np.ceil(np.log2(1.5 * stability_bound))
rows = []
for h in (large_step, 4 * large_step):
    blown = theory.run_joint_gd(W0, b0, X, y, ridge, h, 32 * h, record_every=32)
    varpro_h = theory.run_varpro(W0, X, y, ridge, h, 32 * h, record_every=32)
    rows.append({"h": f"2^{np.log2(h):.0f}", "h / stability bound": h / stability_bound,
                 "joint GD: J_δ(W, b) after 32 steps / at start": blown.objective[-1] / blown.objective[0],
                 "VarPro: J(W) after 32 steps / at start": varpro_h.objective[-1] / varpro_h.objective[0]})
steps_table = pd.DataFrame(rows).set_index("h")
display(steps_table.style.format("{:.3g}"))

fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
axes[0].semilogy(varpro.times, varpro.objective, label=f"VarPro ($h = 2^{{{np.log2(step):.0f}}}$)")
axes[0].semilogy(joint.times, J_joint, "--", label=f"joint GD ($h = 2^{{{np.log2(joint_step):.0f}}}$)")
axes[0].set(xlabel="time t", ylabel=r"$J(W_t) = \min_b J_\delta(W_t, b)$", title="reduced objective at each method's features")
axes[1].semilogy(varpro.times, dist_teacher, label="VarPro")
axes[1].semilogy(joint.times, dist_joint, "--", label="joint GD")
axes[1].set(xlabel="time t", ylabel=r"energy distance $\mathcal{E}$ to the teacher", title="distance to the teacher")
for ax in axes:
    ax.legend()
plt.tight_layout()
plt.show()
print(f"steps: VarPro {round(t_max / step)}, joint GD {round(t_max / joint_step)}")

# %% [markdown]
# At every recorded time $t > 0$ VarPro's features have the lower reduced objective (at
# $t = 0$ the two coincide by construction), and the control run shows that, at least over
# its time span (the first 0.5 time units; the stability bound is evaluated at $t = 0$),
# this is not an effect of the larger step: VarPro at joint gradient descent's step gives
# the same curve there. VarPro also ends closer to the teacher. Just beyond joint gradient
# descent's stability bound (the table's first step, the smallest power of two at least 1.5
# times the bound; at the `book` preset it is VarPro's own step) joint gradient descent
# blows up within 32 steps, and VarPro still decreases the objective at four times that
# step. So VarPro can take fewer, if more expensive, steps: each solves an $N\times N$
# system, $O(MN^2 + N^3)$, where a step of joint gradient descent costs $O(MN)$. The bound
# is set by $\delta$ against $\lVert\mathcal K\rVert$. Separately, at $\delta = 10^{-3}$ most
# eigenvalues of $\mathcal K$ lie below $\delta$, at the start and at the end (the shares are
# printed above). At the evenly spaced start many of them vanish exactly: that start holds
# antipodal pairs, and a weighting of the particles that changes sign under
# $\theta\mapsto\theta+\pi$ has no seen harmonic, so $\mathcal K$ vanishes along it for any
# sample. Once the particles leave that symmetry only a few are (the count at the end is
# printed above), but most stay below $\delta$, where the ridge rules: the run is far from the
# $\delta \to 0$ regime of the PDE. That is one untested candidate for why the particles trail
# the PDE at the end (and lead it mid-run, printed above); the finite $N$ is another.

# %%
assert len(ratio) > 0 and np.all(np.isfinite(J_joint))
claims.check("VarPro's reduced objective is below joint GD's at every recorded t > 0 (smallest ratio joint / VarPro)",
             ratio.min(), ">", 1.0)
claims.check("VarPro at joint GD's step gives the same curve (largest relative difference, t <= control_t)",
             control_gap, "<", 0.02)
claims.check("VarPro ends closer to the teacher than joint GD (ℰ joint / ℰ VarPro at t_max)",
             dist_joint[-1] / dist_teacher[-1], ">", 1.0)
claims.check("joint GD blows up just beyond its stability bound (J_δ(W, b) after 32 steps / at start)",
             steps_table["joint GD: J_δ(W, b) after 32 steps / at start"].iloc[0], ">", 1e3)
claims.check("VarPro still descends at 4 times that step (J(W) after 32 steps / at start)",
             steps_table["VarPro: J(W) after 32 steps / at start"].iloc[1], "<", 1.0)
claims.check("most eigenvalues of 𝒦 lie below δ at the start (share)", share_slow, ">", 0.5)

# %% [markdown]
# ## GFT: a generator that proposes the particles
#
# VarPro moves one set of $N$ particles. GFT instead learns a *generator* $G_\phi$ (parameters
# $\phi$; $\theta$ stays the angle on the circle) that
# pushes Gaussian noise forward to features, trained on the average of the same reduced
# objective over fresh draws,
#
# $$
# \min_\phi\ \mathbb E_{z_1,\dots,z_{N_G}\sim \mathcal{N}(0,I_2)}\ J\big(G_\phi(z_1)/\|G_\phi(z_1)\|,\ \dots,\ G_\phi(z_{N_G})/\|G_\phi(z_{N_G})\|\big),
# $$
#
# here with {py:class}`gft.Generator` and the circle projection. The training draws have
# $N_G$ particles (`generator_particles`: 128 at the `book` preset, half of $N$); the draws
# evaluated below have $N$. A generator trained on $J$
# learns to draw particle sets with a low $J$, with no further descent. (The expectation over
# draws of $N_G$ particles includes their sampling noise, so its minimiser need not draw
# exact minimisers of $J$.) Which minimiser it samples is, as for VarPro, not fixed by $J$ alone.
# (With its default tiny ridge and no pull towards $b=1$, {py:class}`gft.GFTRegressor` has
# no reason to find a feature *distribution* at all — the output weights can compensate for
# any density that covers the circle; it is the $(b-1)^2$ term that makes a zero of $J$ a matching distribution, in
# every harmonic the features can see.)

# %%
torch.manual_seed(seed)
generator = gft.Generator(2, hidden=(64, 64)).to(device=device, dtype=dtype)
torch_rng = torch.Generator(device=device).manual_seed(seed)
generator_losses = theory.train_circle_generator(
    generator, X, y, ridge, n_particles=size["generator_particles"], steps=size["generator_steps"],
    lr=1e-3, rng=torch_rng, progress=progress,
)
with torch.no_grad():
    draws = [theory.points_to_angles(theory.sample_circle_generator(generator, n_particles, torch_rng))
             for _ in range(10)]
dist_draws = np.array([distance_to_teacher(a) for a in draws])
draw_error = np.median([np.abs(harmonics(a) - mu_hat) / iid_rms for a in draws], axis=0)
print(f"fresh draws of {n_particles} particles: "
      f"energy distance {np.median(dist_draws):.3f} (median of 10), "
      f"VarPro at t={t_max:g}: {dist_teacher[-1]:.3f}, i.i.d. sample: {iid_reference:.3f}, "
      f"uniform start: {dist_teacher[0]:.3f}")
print("harmonics m = 1..8 of the draws, error / i.i.d. rms (median of 10): "
      + ", ".join(f"{v:.2g}" for v in draw_error))

fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
axes[0].plot(grid, theory.circular_kde(draws[0], grid, bandwidth), label=f"one generator draw of {n_particles} (KDE)")
axes[0].plot(grid, theory.circular_kde(varpro.angles[-1], grid, bandwidth), "--", label=f"VarPro, t = {t_max:g} (KDE)")
axes[0].plot(grid, mu_star, "k:", lw=1, label=r"teacher $\mu^*$")
axes[0].set(xlabel=r"$\theta$", ylabel="density", xlim=(-np.pi, np.pi), title="learned proposal")
axes[0].legend(fontsize=8)
window = max(1, len(generator_losses) // 50)
axes[1].semilogy(np.convolve(generator_losses, np.ones(window) / window, mode="valid"))
axes[1].set(xlabel="Adam step", ylabel=r"$J$ of the draw (moving average)", title="generator training")
plt.tight_layout()
plt.show()

# %% [markdown]
# The generator, started from its random initialisation, has learned to draw particle sets
# close to the teacher's distribution: a fresh draw of $N$ particles is far closer to $\mu^*$
# than the uniform start, about as close as the particles VarPro transported there and an
# i.i.d. sample from $\mu^*$ itself (the distances are printed above), and, harmonic by
# harmonic, seen and unseen, within a small multiple of the sampling noise of such a sample.
# This is GFT's division of labour — the generator learns *where features should be*; a
# refinement, such as VarPro started from a generator draw, then starts from one such set
# (a remark: this page does not run it).

# %%
assert np.all(np.isfinite(generator_losses))
claims.check("fresh generator draws are far closer than the uniform start (median ℰ / ℰ at t = 0)",
             np.median(dist_draws) / dist_teacher[0], "<", 0.2)
claims.check("fresh draws within 2x of VarPro's final particles and of an i.i.d. sample (median ℰ / smaller)",
             np.median(dist_draws) / min(dist_teacher[-1], iid_reference), "<", 2.0)
claims.check("fresh draws match μ* harmonic by harmonic, m = 1..8 (largest median error / i.i.d. rms)",
             draw_error.max(), "<", 2.5)

# %% [markdown]
# ## Summary
#
# On the circle, bias-free ReLU features see only the harmonics of orders $0$, $\pm1$ and the
# even ones of a feature distribution; the objective's minimisers form a whole set of
# densities around the teacher's, and we constructed one that moves a sizeable share of the
# teacher's mass. Trained by variable projection from a uniform start, the features
# nevertheless flowed towards the teacher's distribution — in energy distance, and, at the
# end of the run, harmonic by harmonic including the unseen ones (a snapshot: the distance was
# still falling when the run stopped) — staying near the ultra-fast diffusion that the theory
# predicts when the features do determine the distribution; started on the other minimiser,
# they stayed there. At each recorded time $t > 0$, VarPro's features had a lower reduced objective than those
# of joint gradient descent on both layers, which is in addition limited to steps below
# $2\delta/(\|\mathcal K\|+\delta)$ (a linearised bound, with the features frozen at the start). A generator trained on a reduced objective learns
# to draw such particle sets directly — the mechanism GFT uses at scale, there with its own objective $L$.

# %% [markdown]
# ## Exercises
#
# 1. Show that the Fourier coefficients of $g(\theta) = \max(\cos\theta, 0)$ are
#    $\hat g(m) = -\cos(m\pi/2)/(\pi(m^2-1))$ for $|m| \ge 2$, and hence zero for every odd
#    $|m| \ge 3$.
# 2. Show that the energy distance is the maximum mean discrepancy of the kernel
#    $k(w, w') = \lVert w\rVert + \lVert w'\rVert - \lVert w - w'\rVert$ (twice the usual
#    distance-induced kernel):
#    $\mathcal E(\nu, \mu)^2 = \mathrm{MMD}_k(\nu, \mu)^2$.
# 3. Why is comparing joint gradient descent's own value $J_\delta(W_t, b_t)$ with VarPro's
#    $\min_b J_\delta(W_t', b)$ biased in VarPro's favour, whatever the two feature sets?
#
# ```{admonition} Solutions
# :class: dropdown
#
# 1. $\hat g(m) = \frac1{2\pi}\int_{-\pi/2}^{\pi/2}\cos\theta\cos m\theta\,d\theta
#    = \frac1{4\pi}\Bigl[\frac{\sin (m-1)\theta}{m-1} + \frac{\sin (m+1)\theta}{m+1}\Bigr]_{-\pi/2}^{\pi/2}
#    = \frac1{2\pi}\Bigl(\frac{-\cos(m\pi/2)}{m-1} + \frac{\cos(m\pi/2)}{m+1}\Bigr)
#    = -\frac{\cos(m\pi/2)}{\pi(m^2-1)}$, using $\sin((m \mp 1)\pi/2) = \mp\cos(m\pi/2)$. For
#    odd $m$, $\cos(m\pi/2) = 0$.
# 2. $\mathrm{MMD}_k^2 = \mathbb E\,k(W, \tilde W) + \mathbb E\,k(W', \tilde W') - 2\,\mathbb E\,k(W, W')$
#    with $W, \tilde W \sim \nu$ and $W', \tilde W' \sim \mu$ independent. For probability
#    measures the terms $\lVert w\rVert + \lVert w'\rVert$ of $k$ cancel in this combination
#    (each of $\mathbb E\lVert W\rVert$, $\mathbb E\lVert W'\rVert$ enters twice with $+$
#    and twice with $-$), so only $-\lVert w - w'\rVert$ counts, and this is $2\,\mathbb E\lVert W - W'\rVert - \mathbb E\lVert W - \tilde W\rVert
#    - \mathbb E\lVert W' - \tilde W'\rVert = \mathcal E^2$.
# 3. For the same features, $\min_b J_\delta(W, b) \le J_\delta(W, b_t)$ for any $b_t$, with
#    equality only at the optimal $b$: joint descent's own value carries the error of its
#    not-yet-optimal output weights. The chapter compares $\min_b J_\delta$ at both methods'
#    features instead.
# ```

# %% [markdown]
# ## The claims of this chapter
#
# Every claim the prose makes, with the value this run measured and the threshold it is
# checked against (at the `smoke` preset they are computed but not asserted).

# %%
claims.table()

# %% [markdown]
# ## Next
#
# - [Random versus learned features](08_feature_learning_theory.ipynb): what learning the
#   first layer buys over random features, in a high-dimensional proportional regime.
