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
# # Derivations
#
# This chapter derives the pieces GFT is built from — the model, the ridge layer, the
# reduced objective and its implicit gradient, the total-variation (TV) term — and checks
# every formula against an independent computation: finite differences, autograd through a
# plain `torch.linalg.solve`, `numpy.linalg.lstsq`. Each check records its relative error;
# the table at the end collects them, and an `assert` fails the chapter when one exceeds its
# tolerance. Everything runs in float64.

# %%
import math
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
import pandas as pd
import torch

warnings.filterwarnings("ignore", message="IProgress not found")  # text progress bars are fine
import gft  # noqa: E402
from gft import ReducedObjective, design_matrix, input_gradient, ridge_solve, tv_penalty
from gft.regularizers import sample_box

SEED = 0
random.seed(SEED)
np.random.seed(SEED)
_ = torch.manual_seed(SEED)

# %% tags=["parameters"]
preset = os.environ.get("GFT_PRESET", "book")  # "smoke" (seconds), "book" (these pages), "paper"
n_samples = 200  # M
n_features = 20  # N
sigma = 3.0  # scale of the random features w ~ N(0, sigma^2 I) used for the checks
ridge = 1e-7  # delta
tv_weight = 1e-2  # lambda

# %%
device = "cuda" if torch.cuda.is_available() else "cpu"
print(f"gft {gft.__version__}, preset {preset!r}, device {device}")
f64 = dict(dtype=torch.float64, device=device)
rng = torch.Generator(device=device).manual_seed(SEED)

checks = []  # (claim, relative error, tolerance)


def relative_error(approx: torch.Tensor, exact: torch.Tensor) -> float:
    """||approx - exact|| / ||exact||."""
    return float(torch.linalg.norm(approx - exact) / torch.linalg.norm(exact))


def check(claim: str, error: float, tolerance: float) -> None:
    checks.append({"claim": claim, "relative error": error, "tolerance": tolerance})
    print(f"{claim}: relative error {error:.1e} (tolerance {tolerance:.0e})")


def target(X: torch.Tensor) -> torch.Tensor:
    return torch.sin(2 * math.pi * X[:, 0]) * torch.cos(2 * math.pi * X[:, 1]) + X[:, 0] ** 2


X = torch.rand(n_samples, 2, generator=rng, **f64)
y = target(X)
X_test = torch.rand(2000, 2, generator=rng, **f64)
y_test = target(X_test)
W = sigma * torch.randn(n_features, 2, generator=rng, **f64)  # a fixed feature set

# %% [markdown]
# ## The model
#
# For data $(x_k, y_k)_{k=1}^M$ with $x_k \in \mathbb{R}^d$, the thin network with Fourier
# features is
#
# $$
# f_{w,b}(x) = \mathrm{Re} \sum_{l=1}^N b_l\, \frac{e^{2\pi i\langle w_l, x\rangle}}{N},
# \qquad b \in \mathbb{C}^N,
# $$
#
# and on the data it is $\mathrm{Re}(Ab)$ with the design matrix
# $A_{kl} = e^{2\pi i \langle w_l, x_k\rangle}/N \in \mathbb{C}^{M \times N}$ (the $1/N$ is the
# paper's scaling {cite:p}`hertrich2025gft`). {py:func}`gft.design_matrix` builds it:

# %%
A = design_matrix(X, W, "fourier")
A_direct = torch.exp(2j * math.pi * (X @ W.T)) / n_features
check("design matrix = exp(2 pi i <w_l, x_k>) / N", relative_error(A, A_direct), 1e-14)

# %% [markdown]
# ## The ridge layer
#
# For fixed features the best output weights solve a linear least-squares problem; with a
# small ridge $\delta > 0$ that keeps it well posed,
#
# $$
# \hat b = \operatorname*{arg\,min}_{b \in \mathbb{C}^N} \lVert Ab - y\rVert^2 + \delta\lVert b\rVert^2
# = (A^H A + \delta I)^{-1} A^H y =: S^{-1} A^H y .
# $$
#
# (Setting the Wirtinger derivative $\partial/\partial \bar b$ of the objective to zero gives
# the normal equations $S b = A^H y$.) $S$ is Hermitian positive definite, so
# {py:func}`gft.ridge_solve` factorises it by Cholesky. The same $\hat b$ is the ordinary
# least-squares solution of the stacked system
# $\bigl(\begin{smallmatrix} A \\ \sqrt\delta I \end{smallmatrix}\bigr) b
# \approx \bigl(\begin{smallmatrix} y \\ 0 \end{smallmatrix}\bigr)$, which `numpy.linalg.lstsq`
# solves by an SVD without ever forming $S$ — an independent reference.

# %%
b_hat = ridge_solve(A, y, ridge)
stacked = np.vstack([A.cpu().numpy(), math.sqrt(ridge) * np.eye(n_features)])
rhs = np.concatenate([y.cpu().numpy(), np.zeros(n_features)])
b_lstsq = torch.as_tensor(np.linalg.lstsq(stacked, rhs.astype(complex), rcond=None)[0], device=device)
S = A.mH @ A + ridge * torch.eye(n_features, **f64)
print(f"condition number of S: {torch.linalg.cond(S).item():.2e}")
check("ridge_solve = lstsq of the stacked system", relative_error(b_hat, b_lstsq), 1e-9)

# %% [markdown]
# ## The reduced objective and its implicit gradient
#
# Eliminating $b$ leaves a problem in the features alone, the *reduced* objective
# (variable projection {cite:p}`golub1973differentiation`)
#
# $$
# L(w) = \frac1M \bigl\lVert \mathrm{Re}\bigl(A(w)\, \hat b(w)\bigr) - y \bigr\rVert^2 .
# $$
#
# Its gradient needs $d\hat b/dw$. Differentiating the normal equations $S\hat b = A^H y$,
#
# $$
# (dA^H A + A^H dA)\,\hat b + S\, d\hat b = dA^H y
# \quad\Longrightarrow\quad
# d\hat b = S^{-1}\bigl(dA^H r - A^H dA\, \hat b\bigr), \qquad r = y - A\hat b,
# $$
#
# by the implicit function theorem. For the backward pass only products with $S^{-1}$ are
# needed: with $\bar b = \partial L / \partial \hat b$ and $g = S^{-1}\bar b$, the gradient
# with respect to $A$ is $\bar A = r g^H - (Ag)\hat b^H$, and the Cholesky factor of the
# forward pass is reused. The tangent formula first, against central differences of
# $\hat b$ along a random direction $V$ of the features
# ($dA_{kl} = 2\pi i \langle v_l, x_k\rangle A_{kl}$):

# %%
V = torch.randn(n_features, 2, generator=rng, **f64)
dA = 2j * math.pi * (X @ V.T) * A
r = y - A @ b_hat
db_ift = torch.linalg.solve(S, dA.mH @ r - A.mH @ (dA @ b_hat))


def b_of(W_: torch.Tensor) -> torch.Tensor:
    return ridge_solve(design_matrix(X, W_, "fourier"), y, ridge)


h = 1e-6
db_fd = (b_of(W + h * V) - b_of(W - h * V)) / (2 * h)
check("implicit tangent d b = S^-1 (dA^H r - A^H dA b)", relative_error(db_ift, db_fd), 1e-6)

# %% [markdown]
# Now the gradient of $L$ itself, three ways: {py:class}`gft.ReducedObjective` (the
# definition that every training engine implements: design matrix, ridge layer and MSE in
# float64), the general layer {py:func}`gft.ridge_solve` with its implicit backward pass on
# the design matrix of `W`'s dtype, and plain autograd through `torch.linalg.solve` on a
# design matrix built with `torch.exp` — code that shares nothing with `gft`.

# %%
def loss_plain(W_: torch.Tensor) -> torch.Tensor:
    A_ = torch.exp(2j * math.pi * (X @ W_.T)) / W_.shape[0]
    S_ = A_.mH @ A_ + ridge * torch.eye(W_.shape[0], dtype=A_.dtype, device=device)
    b_ = torch.linalg.solve(S_, A_.mH @ y.to(A_.dtype))
    return ((A_ @ b_).real - y).square().mean()


def loss_ridge_solve(W_: torch.Tensor) -> torch.Tensor:
    A_ = design_matrix(X, W_, "fourier")
    return ((A_ @ ridge_solve(A_, y, ridge)).real - y).square().mean()


objective = ReducedObjective(X, y, "fourier", ridge)


def loss_training(W_: torch.Tensor) -> torch.Tensor:
    return objective(W_)[0]


def gradient(loss, W_: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    W_ = W_.clone().requires_grad_(True)
    value = loss(W_)
    return value.detach(), torch.autograd.grad(value, W_)[0]


(L_plain, g_plain), (L_ridge, g_ridge), (L_train, g_train) = (
    gradient(loss, W) for loss in (loss_plain, loss_ridge_solve, loss_training)
)
check("L: training path = plain solve", abs(L_train - L_plain).item() / L_plain.item(), 1e-10)
check("grad L: ridge_solve (implicit) = autograd through plain solve", relative_error(g_ridge, g_plain), 1e-8)
check("grad L: training path = autograd through plain solve", relative_error(g_train, g_plain), 1e-8)
# torch's own finite-difference check of the layer (complex A, Wirtinger derivatives)
passed_gradcheck = torch.autograd.gradcheck(
    lambda A_, y_: ridge_solve(A_, y_, 1e-3),
    (A[:40, :6].clone().requires_grad_(True), y[:40].clone().requires_grad_(True)),
)
print(f"torch.autograd.gradcheck(ridge_solve): {passed_gradcheck}")

# %% [markdown]
# Central differences $\frac{L(w + hV) - L(w - hV)}{2h}$ against the directional derivative
# $\langle \nabla L, V\rangle$ over step sizes $h$: the error first falls like $h^2$
# (truncation) and then grows like $\varepsilon_{\text{mach}}/h$ (rounding), the usual V.
# At its bottom the implicit gradient agrees with the differences to about $10^{-10}$.

# %%
steps = np.logspace(-1, -10, 19)
directional = float((g_train * V).sum())
fd_errors = []
for h in steps:
    with torch.no_grad():
        fd = (loss_training(W + h * V) - loss_training(W - h * V)).item() / (2 * h)
    fd_errors.append(abs(fd - directional) / abs(directional))
fd_errors = np.array(fd_errors)

fig, ax = plt.subplots(figsize=(6, 3.6))
ax.loglog(steps, fd_errors, "o-", label="central difference vs implicit gradient")
ax.loglog(steps, fd_errors[0] * (steps / steps[0]) ** 2, "k:", lw=1, label="$O(h^2)$")
ax.loglog(steps, 1e-16 / steps, "k--", lw=1, label=r"$O(\varepsilon / h)$")
ax.set_ylim(1e-13, 1)
ax.set_xlabel("step size $h$")
ax.set_ylabel("relative error")
ax.legend(fontsize="small")
plt.show()
check("grad L: central differences (best step)", float(fd_errors.min()), 1e-6)

# %% [markdown]
# ### Why not freeze $b$?
#
# For the *real* least-squares problem $F(w, b) = \lVert A b - y\rVert^2 + \delta \lVert b\rVert^2$
# the envelope argument of variable projection {cite:p}`golub1973differentiation` says that
# the implicit term drops out: $\partial_b F = 0$ at $\hat b$, so
# $\frac{d}{dw} F(w, \hat b(w)) = \partial_w F(w, b)|_{b = \hat b}$ — one may differentiate
# with $b$ held fixed. GFT's objective is different on two counts: it measures only the real
# part, $\lVert \mathrm{Re}(Ab) - y\rVert^2$, while $\hat b$ minimises the complex residual,
# and it leaves out $\delta \lVert b \rVert^2$. The frozen-$b$ gradient is then simply wrong,
# which is why {py:func}`gft.ridge_solve` carries the implicit term:

# %%
def loss_frozen_b(W_: torch.Tensor) -> torch.Tensor:
    A_ = design_matrix(X, W_, "fourier")
    return ((A_ @ b_hat.detach()).real - y).square().mean()


def envelope_objective(W_: torch.Tensor, frozen: bool) -> torch.Tensor:
    """||Ab - y||^2 + delta ||b||^2 of the complex problem, with b = b_hat(W) or frozen."""
    A_ = design_matrix(X, W_, "fourier")
    b_ = b_hat.detach() if frozen else ridge_solve(A_, y, ridge)
    return ((A_ @ b_) - y).abs().square().sum() + ridge * b_.abs().square().sum()


_, g_frozen = gradient(loss_frozen_b, W)
_, g_env_full = gradient(lambda W_: envelope_objective(W_, frozen=False), W)
_, g_env_frozen = gradient(lambda W_: envelope_objective(W_, frozen=True), W)
frozen_error = relative_error(g_frozen, g_train)
print(f"GFT loss, b frozen vs implicit gradient: relative difference {frozen_error:.2f}")
check("envelope theorem: complex ridge objective, b frozen = full",
      relative_error(g_env_frozen, g_env_full), 1e-6)

# %% [markdown]
# ## The TV term and its closed-form input gradient
#
# To keep fits to noisy data smooth, GFT adds a total-variation penalty
# {cite:p}`rudin1992tv` estimated by Monte Carlo at $n$ uniform points $\xi_j$ of the
# training box:
#
# $$
# \mathrm{TV}(w) = \frac1n \sum_{j=1}^n \lVert \nabla_x f_{w, \hat b(w)}(\xi_j)\rVert_1,
# \qquad
# \nabla_x f(x) = \mathrm{Re} \sum_{l=1}^N b_l\, \frac{2\pi i\, e^{2\pi i \langle w_l, x\rangle}}{N}\, w_l .
# $$
#
# The input gradient is in closed form ({py:func}`gft.input_gradient`), so the penalty needs
# one ordinary backward pass instead of a double backward through autograd. Checks: the
# closed form against autograd in $x$ and against central differences; the penalty's
# invariances (it scales with $|c|$ when $b \to cb$ for real $c$, and vanishes for a
# constant function);
# and the gradient of the full objective $L + \lambda\,\mathrm{TV}$ — where $\hat b(w)$ enters
# the TV term too — against autograd through a plain solve with a double backward pass.

# %%
xi = torch.rand(1000, 2, generator=rng, **f64)
grad_closed = input_gradient(xi, W, b_hat, "fourier")

xi_ = xi.clone().requires_grad_(True)
f_xi = (torch.exp(2j * math.pi * (xi_ @ W.T)) / n_features @ b_hat).real
grad_autograd = torch.autograd.grad(f_xi.sum(), xi_)[0]
check("input gradient: closed form = autograd in x", relative_error(grad_closed, grad_autograd), 1e-12)

e1 = torch.tensor([1e-6, 0.0], **f64)


def f_at(points: torch.Tensor) -> torch.Tensor:
    return (design_matrix(points, W, "fourier") @ b_hat).real


fd_x1 = (f_at(xi + e1) - f_at(xi - e1)) / 2e-6
check("input gradient: closed form = central differences", relative_error(grad_closed[:, 0], fd_x1), 1e-7)

tv = tv_penalty(W, b_hat, xi, "fourier")
check("TV = mean_j ||grad f(xi_j)||_1", abs(tv - grad_autograd.abs().sum(-1).mean()).item() / tv.item(), 1e-12)
tv_scaled = tv_penalty(W, -2.5 * b_hat, xi, "fourier")
check("TV(c b) = |c| TV(b), c = -2.5", abs(tv_scaled / tv - 2.5).item() / 2.5, 1e-12)
constant = tv_penalty(torch.zeros_like(W), b_hat, xi, "fourier").item()
print(f"TV of a constant function (all w_l = 0): {constant:.1e}")


objective_tv = ReducedObjective(X, y, "fourier", ridge, tv_weight=tv_weight, n_tv_points=1000)
TV_SEED = 123  # the objective draws its TV points from the generator it is given


def tv_generator() -> torch.Generator:
    return torch.Generator(device=device).manual_seed(TV_SEED)


xi_box = sample_box(objective_tv.low, objective_tv.high, 1000, tv_generator())  # the same points


def full_objective_plain(W_: torch.Tensor) -> torch.Tensor:
    """MSE + lambda TV with b by a plain solve and grad_x f by autograd (double backward)."""
    A_ = torch.exp(2j * math.pi * (X @ W_.T)) / n_features
    S_ = A_.mH @ A_ + ridge * torch.eye(n_features, dtype=A_.dtype, device=device)
    b_ = torch.linalg.solve(S_, A_.mH @ y.to(A_.dtype))
    points = xi_box.clone().requires_grad_(True)
    f_points = (torch.exp(2j * math.pi * (points @ W_.T)) / n_features @ b_).real
    grad_x = torch.autograd.grad(f_points.sum(), points, create_graph=True)[0]
    return ((A_ @ b_).real - y).square().mean() + tv_weight * grad_x.abs().sum(-1).mean()


def full_objective_training(W_: torch.Tensor) -> torch.Tensor:
    return objective_tv(W_, tv_generator())[0]


(J_plain, gJ_plain), (J_train, gJ_train) = (
    gradient(J, W) for J in (full_objective_plain, full_objective_training)
)
check("L + lambda TV: training path = plain solve + double backward",
      abs(J_train - J_plain).item() / J_plain.item(), 1e-10)
check("grad (L + lambda TV): training path = double backward", relative_error(gJ_train, gJ_plain), 1e-8)

# %% [markdown]
# ## Complex coefficients or cos/sin pairs?
#
# Writing $b_l = \alpha_l - i\beta_l$ with real $\alpha, \beta$,
#
# $$
# \mathrm{Re}\bigl(b_l e^{2\pi i t}\bigr) = \alpha_l \cos 2\pi t + \beta_l \sin 2\pi t ,
# $$
#
# so the complex model with $N$ coefficients and the real model with the $2N$ columns
# $[\cos 2\pi\langle w_l, x\rangle, \sin 2\pi\langle w_l, x\rangle]/N$ (activation
# `"fourier-real"`) describe the same functions. The fits differ, though. With $A = C + iS$,
#
# $$
# \lVert Ab - y\rVert^2 = \underbrace{\lVert C\alpha + S\beta - y\rVert^2}_{\lVert \mathrm{Re}(Ab) - y \rVert^2}
# + \underbrace{\lVert S\alpha - C\beta\rVert^2}_{\lVert \mathrm{Im}(Ab)\rVert^2} :
# $$
#
# the complex ridge problem — the paper's choice, and the default `"fourier"` here — also
# penalises the imaginary part of the fit, which the model never uses. The real problem
# minimises the training error alone, so with the *same* features it can only fit the
# training data better.

# %%
A_real = design_matrix(X, W, "fourier-real")  # [C, S], shape (M, 2N)
alpha, beta = torch.randn(n_features, generator=rng, **f64), torch.randn(n_features, generator=rng, **f64)
check("Re(A (alpha - i beta)) = C alpha + S beta",
      relative_error((A @ torch.complex(alpha, -beta)).real, A_real @ torch.cat([alpha, beta])), 1e-14)

b_c = ridge_solve(A, y, ridge)
complex_split = ((A @ b_c).real - y).square().sum() + (A @ b_c).imag.square().sum()
check("||Ab - y||^2 = ||Re(Ab) - y||^2 + ||Im(Ab)||^2",
      abs(complex_split - (A @ b_c - y).abs().square().sum()).item() / complex_split.item(), 1e-12)

# %% [markdown]
# Training and test error of the two solves over the number of features, with one fixed
# draw of random features per $N$ shared by both. The real solve has $2N$ real unknowns
# for $M$ equations and reaches the floor set by $\delta$ near $2N = M$ (dotted orange
# line); the complex one has the same $2N$ unknowns but $2M$ equations (real and imaginary
# parts), and gets there only later, towards $N = M$ (dotted blue line):

# %%
n_grid = [5, 10, 20, 50, 100, 150, 250, 400] if preset != "smoke" else [5, 50, 150]
rows = []
for n in n_grid:
    W_n = sigma * torch.randn(n, 2, generator=rng, **f64)
    row = {"N": n}
    for activation in ("fourier", "fourier-real"):
        A_n = design_matrix(X, W_n, activation)
        b_n = ridge_solve(A_n, y, ridge)
        for split, (X_, y_) in {"train": (X, y), "test": (X_test, y_test)}.items():
            prediction = design_matrix(X_, W_n, activation) @ b_n
            prediction = prediction.real if prediction.is_complex() else prediction
            row[f"{activation} {split}"] = float((prediction - y_).square().mean())
    rows.append(row)
sweep = pd.DataFrame(rows).set_index("N")

fig, ax = plt.subplots(figsize=(6.5, 3.8))
for column, style in zip(sweep.columns, ["C0-o", "C0--o", "C1-s", "C1--s"]):
    ax.semilogy(sweep.index, sweep[column], style, label=column, ms=4)
ax.axvline(n_samples / 2, color="C1", lw=0.8, ls=":")
ax.axvline(n_samples, color="C0", lw=0.8, ls=":")
ax.set_xlabel("number of features $N$")
ax.set_ylabel("MSE")
ax.legend(fontsize="small", ncol=2)
plt.show()
sweep.style.format("{:.2e}")

# %%
assert (sweep["fourier-real train"] <= sweep["fourier train"] * (1 + 1e-6) + 1e-12).all(), sweep
gap_n = [n for n in n_grid if n_samples / 4 <= n <= n_samples / 2]
if gap_n:  # up to 2N = M the real solve fits the training data far better
    assert (sweep.loc[gap_n, "fourier-real train"] < sweep.loc[gap_n, "fourier train"] / 10).all(), sweep

# %% [markdown]
# The training error is the quantity GFT's features are trained on, and there the real
# formulation is never worse and, for $M/4 \le N \le M/2$, better by one to four orders of
# magnitude; on this smooth target the test error follows once the features can resolve it
# ($N = 50, 100$). The test errors also show the other side of the coin: once both solves
# interpolate ($2N > M$), the penalty on $\mathrm{Im}(Ab)$ acts as an extra regulariser and
# the complex solve generalises better — the overparameterised regime in which
# random-features regression shows its double descent {cite:p}`mei2022doubledescent`. GFT
# works with $N \ll M$. The real formulation is offered as `activation="fourier-real"`;
# `"fourier"` reproduces the paper.
#
# ## The training step without autograd
#
# The training loop ({py:func}`gft.optimise`) has two engines, chosen by name
# (`engine="auto" | "autograd" | "fused"`). The `autograd` engine differentiates
# {py:class}`gft.ReducedObjective` as written above. With Fourier features, `auto` picks the
# `fused` engine, which builds no autograd graph at all: it runs the generator's forward and
# backward passes by hand, assembles the complex ridge system from two real Gram products,
# writes the rank-4 backward pass of the solve and the TV gradient as small matrix
# products, and updates with Adam's fused kernel. Every intermediate has a buffer allocated
# once, when the step is built, so a step only launches kernels and never reads device
# memory on the host. It is another algorithm for the same function, so the two engines
# agree to rounding, not bit for bit (`python -m gft bench` measures what it buys). Five
# Adam steps of each from the same generator and the same random draws, with the TV term on:

# %%
from gft.training import GeneratorFeatures, make_adam_step  # noqa: E402


def five_steps(engine: str) -> tuple[torch.Tensor, str]:
    torch.manual_seed(SEED)  # the same initial generator for both
    G = gft.Generator(2, (64, 64)).to(**f64)
    step_rng = torch.Generator(device=device).manual_seed(SEED)
    objective_tv = ReducedObjective(X, y, "fourier", ridge, tv_weight, 500)
    step = make_adam_step(GeneratorFeatures(G, n_features, 1, step_rng), objective_tv, 1e-3,
                          step_rng, engine=engine)
    for _ in range(5):
        step()
    return torch.cat([p.detach().flatten() for p in G.parameters()]), step.engine


(theta_fused, ran_fused), (theta_autograd, ran_autograd) = five_steps("fused"), five_steps("autograd")
assert (ran_fused, ran_autograd) == ("fused", "autograd")
check("5 Adam steps: fused engine = autograd engine", relative_error(theta_fused, theta_autograd), 1e-9)

# %% [markdown]
# ## Summary of the checks

# %%
table = pd.DataFrame(checks)
table["passed"] = table["relative error"] <= table["tolerance"]
display(table.style.format({"relative error": "{:.1e}", "tolerance": "{:.0e}"}))
assert table["passed"].all(), table[~table["passed"]]
assert frozen_error > 1e-2  # freezing b would give a wrong gradient for GFT's loss
assert constant == 0.0
assert passed_gradcheck
