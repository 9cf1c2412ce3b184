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
# the formulas against independent computations: finite differences, autograd through a
# plain `torch.linalg.solve`, `numpy.linalg.lstsq`. Each check is a claim with a measured
# value (mostly a relative error) and a threshold; the table at the end of the page collects
# them, and a claim that misses its threshold stops the chapter. Everything runs in float64,
# except where float32 is the point (the conditioning of the ridge solve) and in the
# end-to-end fits, which train with {py:class}`gft.GFTRegressor`'s default float32 (its ridge
# solve stays in float64).
#
# A bar marks a gradient on this page ($\bar b$, $\bar A$); the complex conjugate of $z$ is
# written $z^*$, and $X^H$ is the conjugate transpose.

# %% tags=["hide-input"]
import math
import os
import subprocess
import sys
import time

if "google.colab" in sys.modules:  # Colab: install gft from its repository first
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "git+https://github.com/gft-book/gft"], check=True)

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import Markdown, display

import gft
from gft import ReducedObjective, design_matrix, input_gradient, ridge_solve, tv_penalty
from gft.experiments import start_chapter
from gft.regularizers import sample_box
device = "cuda" if torch.cuda.is_available() else "cpu"

# %% tags=["parameters"]
preset = os.environ.get("GFT_PRESET", "book")  # "smoke": claims not asserted; sizes are the same at every preset
n_samples = 200  # M
n_features = 20  # N
sigma = 3.0  # scale of the random features w ~ N(0, sigma^2 I) used for the checks
ridge = 1e-7  # delta
tv_weight = 1e-2  # lambda
seed = 0  # seeds every random draw of the chapter
assert_claims = True  # False: compute and report the claims without asserting them
claims_file = None  # a CSV the claims table is appended to (benchmarks/claim_margins.py)

# %%
claims = start_chapter(preset, seed, assert_claims, claims_file)  # seeds random, NumPy, torch
print(f"gft {gft.__version__}, preset {preset!r}, device {device}")
f64 = dict(dtype=torch.float64, device=device)
rng = torch.Generator(device=device).manual_seed(seed)


def relative_error(approx: torch.Tensor, exact: torch.Tensor) -> float:
    """||approx - exact|| / ||exact||."""
    return float(torch.linalg.norm(approx - exact) / torch.linalg.norm(exact))


def check(claim: str, error: float, tolerance: float) -> None:
    """Print a relative error and check it as a claim: error < tolerance."""
    print(f"{claim}: relative error {error:.1e} (tolerance {tolerance:.3g})")
    claims.check(f"{claim} (relative error)", error, "<", tolerance)


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
# and on the data it is $\mathrm{Re}(Ab)$ with the design matrix $A \in \mathbb{C}^{M \times N}$,
# $A_{kl} = e^{2\pi i \langle w_l, x_k\rangle}/N$ (the $1/N$ is the
# paper's scaling {cite:p}`hertrich2025gft`). {py:func}`gft.design_matrix` builds it:

# %%
A = design_matrix(X, W, "fourier")
A_direct = torch.exp(2j * math.pi * (X @ W.T)) / n_features
check("design matrix = exp(2 pi i <w_l, x_k>) / N", relative_error(A, A_direct), 1e-14)

# %% [markdown]
# ## The ridge layer
#
# For fixed features GFT, following the paper, takes as output weights the solution of a
# complex linear least-squares problem (not the best fit of the real model $\mathrm{Re}(Ab)$:
# the section "Complex coefficients or cos/sin pairs?" below compares the two); with a small ridge $\delta > 0$
# that keeps it well posed,
#
# $$
# \hat b = \operatorname*{arg\,min}_{b \in \mathbb{C}^N} \lVert Ab - y\rVert^2 + \delta\lVert b\rVert^2
# = (A^H A + \delta I)^{-1} A^H y =: S^{-1} A^H y .
# $$
#
# (Setting the Wirtinger derivative $\partial/\partial b^*$ of the objective to zero gives
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
print(f"condition number of S: {torch.linalg.cond(S).item():.3g}")
check("ridge_solve = lstsq of the stacked system", relative_error(b_hat, b_lstsq), 1e-9)

# %% [markdown]
# ### Cholesky of the normal equations or QR?
#
# Forming $S = A^HA + \delta I$ squares the conditioning: the singular values of the stacked
# matrix $\tilde A = \bigl(\begin{smallmatrix} A \\ \sqrt\delta I \end{smallmatrix}\bigr)$ are
# the square roots of the eigenvalues of $S$, so $\kappa(S) = \kappa(\tilde A)^2$. A backward
# stable solve of the normal equations by Cholesky has a relative error of order
# $\epsilon\,\kappa(S)$, a QR factorisation of $\tilde A$ (Householder) one of order
# $\epsilon\,\kappa(\tilde A)$ plus a term in $\kappa(\tilde A)^2$ times the relative
# residual {cite:p}`higham2002accuracy` — bounds for the solution $\hat b$; the table below
# measures the fitted values $\mathrm{Re}(A\hat b)$, whose first-order error has no such residual term. The ridge
# bounds the damage: every entry of $A$
# has modulus $1/N$, so $\sigma_{\max}(A)^2 \le \lVert A\rVert_F^2 = M/N$ and
# $\kappa(S) \le 1 + \sigma_{\max}(A)^2/\delta \le 1 + M/(N\delta)$ ($\sigma_{\max}$ is a
# singular value here, not the feature scale $\sigma$ of the [notation](../book/notation.md)). Forming $S$ and
# factorising it costs about $MN^2 + N^3/3$ complex flops (a multiplication or an addition each; using the symmetry of $S$), and the factor serves the backward
# pass; Householder QR of $\tilde A$ costs about $2MN^2$ flops, twice as much when $M \gg N$. Trained features can crowd together (the samples of a trained generator in
# [chapter 03](03_feature_distributions.ipynb) do), and nearly equal features make $A$ nearly
# rank-deficient. Below, feature 2 of the page's feature set is moved to within a distance
# `gap` of feature 1, and both solves run in float32 and float64 against a float64 QR:
# the error of the fitted values $\mathrm{Re}(A\hat b)$, relative to the reference.

# %%
def solve_cholesky(A_: torch.Tensor, y_: torch.Tensor, delta: float) -> torch.Tensor | None:
    """b from the normal equations S b = A^H y by Cholesky; None when the factorisation fails."""
    S_ = A_.mH @ A_ + delta * torch.eye(A_.shape[-1], dtype=A_.dtype, device=A_.device)
    L_, info = torch.linalg.cholesky_ex(S_)
    if info.item() != 0:
        return None
    return torch.cholesky_solve((A_.mH @ y_.to(A_.dtype)).unsqueeze(-1), L_).squeeze(-1)


def solve_qr(A_: torch.Tensor, y_: torch.Tensor, delta: float) -> torch.Tensor:
    """b from a QR factorisation of the stacked matrix [A; sqrt(delta) I], S never formed."""
    eye = torch.eye(A_.shape[-1], dtype=A_.dtype, device=A_.device)
    Q, R = torch.linalg.qr(torch.cat([A_, math.sqrt(delta) * eye]))
    rhs = torch.cat([y_.to(A_.dtype), torch.zeros(A_.shape[-1], dtype=A_.dtype, device=A_.device)])
    return torch.linalg.solve_triangular(R, (Q.mH @ rhs).unsqueeze(-1), upper=True).squeeze(-1)


direction = torch.randn(2, generator=rng, **f64)
direction /= direction.norm()
conditioning = []
for gap in (1.0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6):
    W_gap = W.clone()
    W_gap[1] = W[0] + gap * direction
    A_gap = design_matrix(X, W_gap, "fourier")
    eye = torch.eye(n_features, dtype=A_gap.dtype, device=device)
    kappa = torch.linalg.cond(torch.cat([A_gap, math.sqrt(ridge) * eye])).item()
    fit_reference = (A_gap @ solve_qr(A_gap, y, ridge)).real
    row = {"gap": gap, "κ(Ã)": kappa, "κ(S)": kappa**2}  # κ(S) = κ(Ã)² (exercise 1)
    for dtype_name, (complex_dtype, real_dtype) in {"float64": (torch.complex128, torch.float64),
                                                    "float32": (torch.complex64, torch.float32)}.items():
        for solver_name, solver in (("Cholesky", solve_cholesky), ("QR", solve_qr)):
            if (solver_name, dtype_name) == ("QR", "float64"):
                continue  # the reference
            A_low = A_gap.to(complex_dtype)
            b_low = solver(A_low, y.to(real_dtype), ridge)
            row[f"{solver_name} {dtype_name}"] = np.inf if b_low is None else relative_error(
                (A_low @ b_low).real.to(torch.float64), fit_reference)
    conditioning.append(row)
conditioning = pd.DataFrame(conditioning).set_index("gap")
display(conditioning.style.format("{:.3g}").format_index("{:.0e}"))

eps32 = torch.finfo(torch.float32).eps
worst = conditioning.max()
claims.check("float64 Cholesky = QR in fitted values at every gap (largest relative difference)",
             float(worst["Cholesky float64"]), "<", 1e-8)
claims.check("float32 QR: fitted values within a few eps32 κ(Ã) at every gap (largest error / (eps32 κ(Ã)))",
             float((conditioning["QR float32"] / (eps32 * conditioning["κ(Ã)"])).max()), "<", 3)
# a failed factorisation (inf in the table) measures no error: the ratio is then NaN and fails
cholesky_worst = worst["Cholesky float32"] if np.isfinite(worst["Cholesky float32"]) else np.nan
claims.check("float32: Cholesky's worst error over QR's worst (ratio)",
             float(cholesky_worst / worst["QR float32"]), ">", 20)
display(Markdown(
    f"Over these gaps $\\kappa(S)$ reaches at most {conditioning['κ(S)'].max():.3g}, as the two "
    f"features merge (the ridge's bound $1 + M/(N\\delta)$ is {1 + n_samples / (n_features * ridge):.3g}). In float32 the "
    f"fitted values of the normal equations have relative errors up to "
    f"{worst['Cholesky float32']:.2g}, those of QR at most {worst['QR float32']:.2g}; in float64 "
    f"Cholesky agrees with QR to {worst['Cholesky float64']:.2g}."))

# %% [markdown]
# The error peaks at an intermediate gap and falls again as the two features merge: the
# nearly null direction of $A$ then carries almost none of the fit, and the ridge damps it.
# This is why {py:class}`gft.ReducedObjective` forms $S$ and solves by Cholesky in float64
# whatever the training dtype: with the bound above, $\epsilon_{64}\,\kappa(S) \le
# 2.2\cdot 10^{-16}\,(1 + M/(N\delta))$, below $10^{-6}$ for $M \le 10^4$, $N \ge 100$ and
# $\delta = 10^{-7}$, and the one factorisation serves the forward and the backward pass. A
# float32 Cholesky loses far more accuracy than QR at the intermediate gaps of the table, as
# the bound $\epsilon_{32}\,\kappa(S)$ on the relative error of the solution $\hat b$ allows
# (the table measures the fitted values $\mathrm{Re}(A\hat b)$, not $\hat b$). QR in float32 would be accurate
# enough, and the $R$ of $A$ stacked on $\sqrt\delta\, I$ is a Cholesky factor of $S$
# ($R^HR = A^HA + \delta I$) that the backward pass could reuse; at equal precision it
# costs about twice the operations of forming $S$ and factorising it.

# %% [markdown]
# ## The reduced objective and its implicit gradient
#
# Eliminating $b$ leaves a problem in the features alone, the *reduced* objective, in the
# spirit of variable projection {cite:p}`golub1973differentiation` (where $b$ is eliminated by
# minimising the very objective that is then reduced; here $\hat b$ minimises another one, the
# complex ridge objective, see below)
#
# $$
# L_{\mathrm{data}}(w) = \frac1M \bigl\lVert \mathrm{Re}\bigl(A(w)\, \hat b(w)\bigr) - y \bigr\rVert^2
# $$
#
# (the data term; the reduced objective of the notation is
# $L = L_{\mathrm{data}} + \lambda\,\mathrm{TV}$, whose TV term comes further down).
# Its gradient needs $d\hat b/dw$. Differentiating the normal equations $S\hat b = A^H y$,
#
# $$
# ((dA)^H A + A^H dA)\,\hat b + S\, d\hat b = (dA)^H y
# \quad\Longrightarrow\quad
# d\hat b = S^{-1}\bigl((dA)^H r - A^H dA\, \hat b\bigr), \qquad r = y - A\hat b,
# $$
#
# by the implicit function theorem.
#
# **Convention for complex gradients.** In this paragraph $L$ is any real loss (below,
# $L_{\mathrm{data}}$), while $A$ and $\hat b$ are complex. As in
# PyTorch, the gradient of a real $L$ with respect to a complex array $Z$ is
#
# $$
# \bar Z = \frac{\partial L}{\partial \mathrm{Re}\, Z} + i\,\frac{\partial L}{\partial \mathrm{Im}\, Z}
# = 2\,\frac{\partial L}{\partial Z^*},
# \qquad dL = \mathrm{Re}\,\operatorname{tr}\bigl(\bar Z^H dZ\bigr),
# $$
#
# twice the conjugate Wirtinger derivative; $-\bar Z$ is the direction of steepest descent.
# For the backward pass only products with $S^{-1}$ are needed: with
# $\bar b$ the gradient of $L$ with respect to $\hat b$ and $g = S^{-1}\bar b$ ($S$ is
# Hermitian), the tangent formula gives
#
# $$
# dL = \mathrm{Re}\bigl(\bar b^H d\hat b\bigr)
# = \mathrm{Re}\bigl(g^H (dA)^H r - g^H A^H dA\, \hat b\bigr)
# = \mathrm{Re}\,\operatorname{tr}\bigl((r g^H - (Ag)\hat b^H)^H dA\bigr),
# \qquad\text{so}\qquad \bar A = r g^H - (Ag)\,\hat b^H
# $$
#
# (the last step uses $\mathrm{Re}\,z = \mathrm{Re}\,z^*$ on the first term,
# $g^H (dA)^H r = (r^H dA\, g)^*$) is the part of the gradient that flows to $A$ through
# $\hat b$ (not the whole gradient of $L$ with respect to $A$: the direct term, where $A$
# enters $L$ itself, is added below), and the Cholesky factor of
# the forward pass is reused. The tangent formula first, against central differences of $\hat b$ along
# a random direction $V$ of the features ($dA_{kl} = 2\pi i \langle v_l, x_k\rangle A_{kl}$):

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
# Then the convention and $\bar A$. For $L_{\mathrm{data}} = \frac1M\lVert \mathrm{Re}(A\hat b) - y\rVert^2$
# with the residual of the real part $e = \mathrm{Re}(A\hat b) - y$ (of the opposite sign to
# $r = y - A\hat b$: $e = -\mathrm{Re}\, r$), the convention gives
# $\bar b = \frac2M A^H e$; the gradient of $L_{\mathrm{data}}$ with respect to $A$ is the direct term
# $\frac2M e\, \hat b^H$ (with $\hat b$ held) plus $\bar A$ from above. Both against
# autograd, the second through a plain `torch.linalg.solve`:

# %%
M = n_samples
e = (A @ b_hat).real - y
b_leaf = b_hat.clone().requires_grad_(True)
b_bar_autograd = torch.autograd.grad(((A @ b_leaf).real - y).square().mean(), b_leaf)[0]
b_bar = (2 / M) * A.mH @ e.to(A.dtype)
check("gradient convention: b_bar = (2/M) A^H e", relative_error(b_bar_autograd, b_bar), 1e-12)

g = torch.linalg.solve(S, b_bar)
A_bar = torch.outer(r, g.conj()) - torch.outer(A @ g, b_hat.conj())
A_leaf = A.clone().requires_grad_(True)
S_leaf = A_leaf.mH @ A_leaf + ridge * torch.eye(n_features, **f64)
b_plain = torch.linalg.solve(S_leaf, A_leaf.mH @ y.to(A.dtype))
A_grad_autograd = torch.autograd.grad(((A_leaf @ b_plain).real - y).square().mean(), A_leaf)[0]
check("grad_A L_data = (2/M) e b^H + r g^H - (A g) b^H", relative_error(
    (2 / M) * torch.outer(e.to(A.dtype), b_hat.conj()) + A_bar, A_grad_autograd), 1e-8)

# %% [markdown]
# Now the gradient of $L_{\mathrm{data}}$ with respect to the features, by two paths through
# `gft` — {py:class}`gft.ReducedObjective` (the definition that every training engine
# implements: design matrix, ridge layer and MSE in float64) and the general layer
# {py:func}`gft.ridge_solve` with its implicit backward pass on the design matrix of `W`'s
# dtype (float64 here, so the two share the layer's arithmetic and differ in what wraps it) —
# each against plain autograd through `torch.linalg.solve` on a design matrix built with
# `torch.exp`, code that shares nothing with `gft`. Last, torch's own finite-difference check of the layer,
# `torch.autograd.gradcheck`, with complex $A$ (a $40 \times 6$ block of it, at
# $\delta = 10^{-3}$, where finite differences are reliable).

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
check("L_data: training path = plain solve", abs(L_train - L_plain).item() / L_plain.item(), 1e-10)
check("grad L_data: ridge_solve (implicit) = autograd through plain solve", relative_error(g_ridge, g_plain), 1e-8)
check("grad L_data: training path = autograd through plain solve", relative_error(g_train, g_plain), 1e-8)
passed_gradcheck = torch.autograd.gradcheck(
    lambda A_, y_: ridge_solve(A_, y_, 1e-3),
    (A[:40, :6].clone().requires_grad_(True), y[:40].clone().requires_grad_(True)),
    raise_exception=False,
)
print(f"torch.autograd.gradcheck(ridge_solve): {passed_gradcheck}")
claims.check("torch.autograd.gradcheck passes on ridge_solve (1 = passed)", float(passed_gradcheck), ">=", 1)

# %% [markdown]
# Central differences $\frac{L_{\mathrm{data}}(w + hV) - L_{\mathrm{data}}(w - hV)}{2h}$ against the directional derivative
# $\langle \nabla L_{\mathrm{data}}, V\rangle$ over step sizes $h$: the error first falls like $h^2$
# (truncation) and then grows like $\varepsilon_{\text{mach}}/h$ (rounding), the usual V.

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
best = int(np.argmin(fd_errors))
check("grad L_data: central differences (best step)", float(fd_errors[best]), 1e-6)
display(Markdown(f"At its bottom, $h = {steps[best]:.1e}$, the implicit gradient agrees with the "
                 f"central differences to a relative error of {fd_errors[best]:.1e}."))

# %% [markdown]
# ### Why not freeze $b$?
#
# Variable projection's envelope argument {cite:p}`golub1973differentiation` concerns the
# objective that $\hat b$ minimises, the complex ridge objective
# $F(w, b) = \lVert A(w) b - y\rVert^2 + \delta \lVert b\rVert^2$. Its gradient in $b$
# vanishes at $b = \hat b(w)$, so in the chain rule for the reduced function
# $F(w, \hat b(w))$ the term through $d\hat b/dw$ drops out:
#
# $$
# \frac{d}{dw} F\bigl(w, \hat b(w)\bigr) = \partial_w F(w, b)\big|_{b = \hat b(w)}
# $$
#
# (Danskin's theorem, or the envelope theorem): for $F$ one may differentiate with $b$ held
# fixed. GFT's loss $L_{\mathrm{data}}$ is not $F$: it measures only the real part,
# $\lVert \mathrm{Re}(Ab) - y\rVert^2$, while $\hat b$ minimises the complex residual, and it
# leaves out $\delta \lVert b \rVert^2$. Its gradient in $b$ does not vanish at $\hat b$, and
# the frozen-$b$ gradient of $L_{\mathrm{data}}$ is wrong, which is why {py:func}`gft.ridge_solve` carries the
# implicit term. Both, checked:

# %%
def loss_frozen_b(W_: torch.Tensor) -> torch.Tensor:
    A_ = design_matrix(X, W_, "fourier")
    return ((A_ @ b_hat.detach()).real - y).square().mean()


def envelope_objective(W_: torch.Tensor, frozen: bool) -> torch.Tensor:
    """F = ||Ab - y||^2 + delta ||b||^2 of the complex problem, with b = b_hat(W) or frozen."""
    A_ = design_matrix(X, W_, "fourier")
    b_ = b_hat.detach() if frozen else ridge_solve(A_, y, ridge)
    return ((A_ @ b_) - y).abs().square().sum() + ridge * b_.abs().square().sum()


_, g_frozen = gradient(loss_frozen_b, W)
_, g_env_full = gradient(lambda W_: envelope_objective(W_, frozen=False), W)
_, g_env_frozen = gradient(lambda W_: envelope_objective(W_, frozen=True), W)
frozen_error = relative_error(g_frozen, g_train)
print(f"GFT loss L_data, b frozen vs implicit gradient: relative difference {frozen_error:.3g}")
claims.check("GFT loss: the frozen-b gradient is wrong (relative difference to the implicit one)",
             frozen_error, ">", 0.1)
check("envelope theorem: complex ridge objective F, b frozen = full",
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
# This is the anisotropic ($\ell^1$) form of the total variation; the mean over uniform points
# estimates $\frac1{|B|}\int_B \lVert\nabla_x f\rVert_1\,dx$, the total variation over the
# training box $B$ divided by its volume, a constant that $\lambda$ absorbs.
#
# The output weights stay the ridge solution $\hat b(w)$ of the data term alone: the TV term
# does not enter the problem that $\hat b$ solves, so it acts on the model only through the
# features $w$. And since $\hat b$ does not minimise the TV term, the envelope argument above
# does not apply to it: the gradient of $\mathrm{TV}(w)$ runs through $d\hat b/dw$ as well.
#
# The input gradient is in closed form ({py:func}`gft.input_gradient`), so the penalty needs
# one ordinary backward pass instead of a double backward through autograd. Checks: the
# closed form against autograd in $x$ and against central differences in each coordinate;
# two sanity checks of the penalty's reduction, which any mean of $\ell^1$ norms of a
# gradient linear in $b$ passes (it is that mean, and it scales by $|c|$ when $b \to cb$ for
# real $c$); and the gradient of the full objective $L = L_{\mathrm{data}} + \lambda\,\mathrm{TV}$ —
# where $\hat b(w)$ enters the TV term too — against autograd through a plain solve with a
# double backward pass.

# %%
xi = torch.rand(1000, 2, generator=rng, **f64)
grad_closed = input_gradient(xi, W, b_hat, "fourier")

xi_ = xi.clone().requires_grad_(True)
f_xi = (torch.exp(2j * math.pi * (xi_ @ W.T)) / n_features @ b_hat).real
grad_autograd = torch.autograd.grad(f_xi.sum(), xi_)[0]
check("input gradient: closed form = autograd in x", relative_error(grad_closed, grad_autograd), 1e-12)

def f_at(points: torch.Tensor) -> torch.Tensor:
    return (design_matrix(points, W, "fourier") @ b_hat).real


step = 1e-6 * torch.eye(2, **f64)  # one row per input coordinate
fd = torch.stack([(f_at(xi + e) - f_at(xi - e)) / 2e-6 for e in step], dim=-1)
check("input gradient: closed form = central differences", relative_error(grad_closed, fd), 1e-7)

tv = tv_penalty(W, b_hat, xi, "fourier")
check("TV = mean_j ||grad f(xi_j)||_1", abs(tv - grad_autograd.abs().sum(-1).mean()).item() / tv.item(), 1e-12)
tv_scaled = tv_penalty(W, -2.5 * b_hat, xi, "fourier")
check("TV(c b) = |c| TV(b), c = -2.5", abs(tv_scaled / tv - 2.5).item() / 2.5, 1e-12)


objective_tv = ReducedObjective(X, y, "fourier", ridge, tv_weight=tv_weight, n_tv_points=1000)
tv_seed = seed + 123  # the objective draws its TV points from the generator it is given


def tv_generator() -> torch.Generator:
    return torch.Generator(device=device).manual_seed(tv_seed)


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
check("L = L_data + lambda TV: training path = plain solve + double backward",
      abs(J_train - J_plain).item() / J_plain.item(), 1e-10)
check("grad L: training path = double backward", relative_error(gJ_train, gJ_plain), 1e-8)

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
# `"fourier-real"`) describe the same functions, and $\lVert b\rVert^2 = \lVert \alpha\rVert^2
# + \lVert \beta\rVert^2$. The fits differ, though. With $A = A_{\cos} + i A_{\sin}$ (the
# cosine and sine columns; $S$ stays the Gram matrix $A^H A + \delta I$),
#
# $$
# \lVert Ab - y\rVert^2 = \underbrace{\lVert A_{\cos}\alpha + A_{\sin}\beta - y\rVert^2}_{\lVert \mathrm{Re}(Ab) - y \rVert^2}
# + \underbrace{\lVert A_{\sin}\alpha - A_{\cos}\beta\rVert^2}_{\lVert \mathrm{Im}(Ab)\rVert^2} :
# $$
#
# the complex ridge problem — the paper's choice, and the default `"fourier"` here — also
# penalises the imaginary part of the fit, which the model never uses. The real ridge
# problem minimises $F_{\mathrm{re}}(b) = \lVert \mathrm{Re}(Ab) - y\rVert^2 + \delta\lVert b\rVert^2$.
# With $b_{\mathrm{re}}$ and $b_{\mathrm{c}}$ the two minimisers, $F_{\mathrm{re}}(b_{\mathrm{re}})
# \le F_{\mathrm{re}}(b_{\mathrm{c}})$ reads
#
# $$
# \lVert \mathrm{Re}(A b_{\mathrm{re}}) - y\rVert^2 \le \lVert \mathrm{Re}(A b_{\mathrm{c}}) - y\rVert^2
# + \delta\bigl(\lVert b_{\mathrm{c}}\rVert^2 - \lVert b_{\mathrm{re}}\rVert^2\bigr):
# $$
#
# with the same features, the real solve fits the training data at least as well as the
# complex one up to the ridge term $\delta(\lVert b_{\mathrm{c}}\rVert^2 - \lVert b_{\mathrm{re}}\rVert^2)$
# — not unconditionally, since it also pays $\delta\lVert b\rVert^2$.

# %%
A_real = design_matrix(X, W, "fourier-real")  # [A_cos, A_sin], shape (M, 2N)
alpha, beta = torch.randn(n_features, generator=rng, **f64), torch.randn(n_features, generator=rng, **f64)
check("Re(A (alpha - i beta)) = A_cos alpha + A_sin beta",
      relative_error((A @ torch.complex(alpha, -beta)).real, A_real @ torch.cat([alpha, beta])), 1e-14)

b_c = ridge_solve(A, y, ridge)
A_cos, A_sin = A_real[:, :n_features], A_real[:, n_features:]
alpha_c, beta_c = b_c.real, -b_c.imag  # b_c = alpha - i beta
check("Im(A b) = A_sin alpha - A_cos beta (the term the complex ridge problem also penalises)",
      relative_error((A @ b_c).imag, A_sin @ alpha_c - A_cos @ beta_c), 1e-12)

# %% [markdown]
# How many features does each solve need to interpolate *arbitrary* labels? As a real-linear
# map of $(\alpha, \beta) \in \mathbb{R}^{2N}$, $b \mapsto \mathrm{Re}(Ab) = A_{\cos}\alpha + A_{\sin}\beta$
# has rank $\min(2N, M)$ for generic features: $2N$ real unknowns for $M$ equations, and the
# real solve interpolates as soon as $2N \ge M$. The complex least-squares solve (at
# $\delta \to 0$) returns $A b_{\mathrm{c}} = \Pi y$, with $\Pi$ the orthogonal projector onto
# the complex column space of $A$, so $\mathrm{Re}(A b_{\mathrm{c}}) = \mathrm{Re}(\Pi)\, y$.
# $\mathrm{Re}(\Pi)$ is real symmetric with eigenvalues in $[0, 1]$ and trace
# $\operatorname{tr} \mathrm{Re}(\Pi) = \operatorname{tr} \Pi = \operatorname{rank} A = \min(N, M)$: for $N < M$ it is not the identity,
# and labels outside the complex column space are not interpolated. Counted in real numbers,
# the complex solve has $2N$ unknowns for $2M$ equations (real and imaginary parts of
# $Ab = y$) and interpolates only for $N \ge M$; for $M/2 \le N < M$ only the real solve
# does. A check with random labels $y \sim \mathcal{N}(0, I_M)$ and least squares without ridge
# (`numpy.linalg.lstsq`), at $N = 3M/4$ and $N = 3M/2$, with $\Pi$ built from the singular
# vectors of $A$ (the column $|\mathrm{Re}(A b_{\mathrm{c}}) - \mathrm{Re}(\Pi)\,y| / |y|$
# compares the complex solve's fit with $\mathrm{Re}(\Pi)\,y$):

# %%
y_random = torch.randn(n_samples, generator=rng, **f64).cpu().numpy()
interpolation = []
for n in (3 * n_samples // 4, 3 * n_samples // 2):
    W_n = sigma * torch.randn(n, 2, generator=rng, **f64)
    A_n = design_matrix(X, W_n, "fourier").cpu().numpy()
    A_n_real = design_matrix(X, W_n, "fourier-real").cpu().numpy()
    b_complex = np.linalg.lstsq(A_n, y_random.astype(complex), rcond=None)[0]
    b_real = np.linalg.lstsq(A_n_real, y_random, rcond=None)[0]
    # Π from the SVD: the left singular vectors of the nonzero singular values span the
    # column space whatever the rank (a reduced QR would always give N columns)
    U, s, _ = np.linalg.svd(A_n, full_matrices=False)
    rank = int((s > s[0] * 1e-10).sum())
    projector = U[:, :rank] @ U[:, :rank].conj().T
    interpolation.append({
        "N": n, "2N / M": 2 * n / n_samples,
        "rank of A (complex)": rank,
        "rank of [A_cos, A_sin] (real)": np.linalg.matrix_rank(A_n_real),
        "tr Re(Π)": np.trace(projector.real),
        "|Re(A b_c) - Re(Π) y| / |y|": np.linalg.norm((A_n @ b_complex).real - projector.real @ y_random)
        / np.linalg.norm(y_random),
        "complex solve: |Re(Ab) - y| / |y|": np.linalg.norm((A_n @ b_complex).real - y_random)
        / np.linalg.norm(y_random),
        "real solve: |Re(Ab) - y| / |y|": np.linalg.norm(A_n_real @ b_real - y_random)
        / np.linalg.norm(y_random),
    })
interpolation = pd.DataFrame(interpolation).set_index("N")
display(interpolation.style.format({"2N / M": "{:.3g}", "tr Re(Π)": "{:.4g}",
                                    "|Re(A b_c) - Re(Π) y| / |y|": "{:.2g}",
                                    "complex solve: |Re(Ab) - y| / |y|": "{:.3g}",
                                    "real solve: |Re(Ab) - y| / |y|": "{:.3g}"}))
between, above = interpolation.index
claims.check("M/2 < N = 3M/4 < M: the real solve interpolates random labels (relative residual)",
             interpolation.loc[between, "real solve: |Re(Ab) - y| / |y|"], "<", 1e-6)
claims.check("M/2 < N = 3M/4 < M: the complex solve does not (relative residual)",
             interpolation.loc[between, "complex solve: |Re(Ab) - y| / |y|"], ">", 0.1)
claims.check("N = 3M/2 >= M: the complex solve interpolates random labels (relative residual)",
             interpolation.loc[above, "complex solve: |Re(Ab) - y| / |y|"], "<", 1e-6)
claims.check("N = 3M/4 < M: generic features give A full column rank (rank A / N)",
             interpolation.loc[between, "rank of A (complex)"] / between, ">=", 1)
claims.check("the complex least-squares fit is Re(Π) y (largest relative difference)",
             float(interpolation["|Re(A b_c) - Re(Π) y| / |y|"].max()), "<", 1e-8)

# %% [markdown]
# With a ridge and the smooth labels of this page, training and test error of the two
# solves over the number of features, with one fixed draw of random features per $N$ shared
# by both, and grid points on both sides of the two thresholds $2N = M$ and $N = M$ (dotted
# lines):

# %%
n_grid = [5, 10, 20, 50, 80, 100, 120, 150, 180, 200, 220, 250, 300, 400]
rows = []
for n in n_grid:
    W_n = sigma * torch.randn(n, 2, generator=rng, **f64)
    row = {"N": n}
    for activation in ("fourier", "fourier-real"):
        A_n = design_matrix(X, W_n, activation)
        b_n = ridge_solve(A_n, y, ridge)
        row[f"{activation} |b|^2"] = float(b_n.abs().square().sum())
        for split, (X_, y_) in {"train": (X, y), "test": (X_test, y_test)}.items():
            prediction = design_matrix(X_, W_n, activation) @ b_n
            prediction = prediction.real if prediction.is_complex() else prediction
            row[f"{activation} {split}"] = float((prediction - y_).square().mean())
    rows.append(row)
sweep = pd.DataFrame(rows).set_index("N")

fig, ax = plt.subplots(figsize=(8.5, 3.8), constrained_layout=True)
solve_names = {"fourier": "complex solve (fourier)", "fourier-real": "real solve (fourier-real)"}
for column, style in zip(["fourier train", "fourier test", "fourier-real train", "fourier-real test"],
                         ["C0-o", "C0--o", "C1-s", "C1--s"]):
    activation, split = column.rsplit(" ", 1)
    ax.semilogy(sweep.index, sweep[column], style, label=f"{solve_names[activation]}, {split}", ms=4)
ax.axvline(n_samples / 2, color="C1", lw=0.8, ls=":", label="$2N = M$: the real solve\ncan interpolate")
ax.axvline(n_samples, color="C0", lw=0.8, ls=":", label="$N = M$: the complex solve\ncan interpolate")
ax.set_xlabel("number of features $N$")
ax.set_ylabel("MSE")
ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0))
plt.show()
sweep[["fourier train", "fourier-real train", "fourier test", "fourier-real test"]].style.format("{:.3g}")

# %%
# F_re(b_re) <= F_re(b_c) on every grid point: the inequality above, with the ridge term
F_re = {activation: M * sweep[f"{activation} train"] + ridge * sweep[f"{activation} |b|^2"]
        for activation in ("fourier", "fourier-real")}
claims.check("F_re(b_re) <= F_re(b_c) on every N (largest ratio)",
             float((F_re["fourier-real"] / F_re["fourier"]).max()), "<=", 1 + 1e-9)
train_ratio = sweep["fourier train"] / sweep["fourier-real train"]
claims.check("the real solve's training error is never above the complex one's on this grid "
             "(smallest ratio complex / real)", float(train_ratio.min()), ">=", 1)
gap_n = [n for n in n_grid if n_samples / 4 <= n <= n_samples / 2]
gap_ratio = float(train_ratio.loc[gap_n].min())
claims.check("M/4 <= N <= M/2: the real solve fits the training data far better "
             "(smallest ratio complex / real)", gap_ratio, ">", 10)
display(Markdown(
    f"Training MSE of the complex solve over that of the real one, for $M/4 \\le N \\le M/2$ "
    f"(N = {', '.join(map(str, gap_n))}): between {gap_ratio:.3g} and "
    f"{float(train_ratio.loc[gap_n].max()):.3g}; over the whole grid, at least "
    f"{float(train_ratio.min()):.3g}."))

# %% [markdown]
# The training error is the quantity GFT's features are trained on, and there the real
# formulation is never worse on this grid; for $M/4 \le N \le M/2$ it is better by the
# factors printed above. Below its threshold the real solve spends all of its $2N$ real
# parameters on the real part of the fit, while the complex one, with the same $2N$, must
# also keep the imaginary part small; between the two thresholds only the real solve can
# interpolate arbitrary labels (the check with random labels above). The sweep is not a
# study of generalisation: its labels carry no noise and each $N$ has a single draw of
# features, so the test errors are shown for reference only, and the sweep cannot show
# effects such as the double descent of random-features regression near the interpolation
# threshold {cite:p}`mei2022doubledescent`. GFT works with $N \ll M$. The real formulation
# is offered as `activation="fourier-real"`; `"fourier"` reproduces the paper.

# %% [markdown]
# ### End to end
#
# The same comparison for the whole method: GFT with refinement on this page's target, once
# with each solve, with $N = 20$ features, a small generator ($2 \to 64 \to 64 \to 2$) and
# 1000 + 1000 Adam steps, without the TV term, $\hat b$ solved on the 90 % of the rows that are
# not held out for validation, on three draws of the data. Test MSE of a fresh generator draw
# (GFT) and of the refined features (GFT-r):

# %%
end_to_end = []
for trial in range(3):
    data_rng = np.random.default_rng(seed + trial)
    X_e, X_e_test = data_rng.random((n_samples, 2)), data_rng.random((2000, 2))
    y_e = target(torch.as_tensor(X_e)).numpy()
    y_e_test = target(torch.as_tensor(X_e_test)).numpy()
    for activation in ("fourier", "fourier-real"):
        started = time.perf_counter()
        model = gft.GFTRegressor(
            n_features=n_features, activation=activation, generator_steps=1000, refine_steps=1000,
            lr=2e-3, refine_lr=1e-2, lr_schedule="cosine", hidden=(64, 64), val_every=50,
            n_val_draws=5, device=device, random_state=seed + trial, progress=False).fit(X_e, y_e)
        end_to_end.append({
            "trial": trial, "activation": activation, "seconds": time.perf_counter() - started,
            "GFT": np.mean((model.predict_generator(X_e_test, random_state=seed + trial) - y_e_test) ** 2),
            "GFT-r": np.mean((model.predict(X_e_test) - y_e_test) ** 2)})
end_to_end = pd.DataFrame(end_to_end)
test_mse = end_to_end.pivot(index="trial", columns="activation", values=["GFT", "GFT-r"])
display(test_mse.style.format("{:.3g}"))
refined_ratio = test_mse["GFT-r"]["fourier"] / test_mse["GFT-r"]["fourier-real"]
drawn_ratio = test_mse["GFT"]["fourier"] / test_mse["GFT"]["fourier-real"]
claims.check("end to end, N = 20: fourier-real's GFT-r beats fourier's on every draw (smallest ratio)",
             float(refined_ratio.min()), ">", 1)
claims.check("end to end, N = 20: fourier-real's GFT draw beats fourier's on every draw (smallest ratio)",
             float(drawn_ratio.min()), ">", 1)
seconds = end_to_end.groupby("activation")["seconds"].median()
display(Markdown(
    f"With the real solve the test MSE is {refined_ratio.min():.3g} to {refined_ratio.max():.3g} times "
    f"lower after refinement and {drawn_ratio.min():.3g} to {drawn_ratio.max():.3g} times lower for a "
    f"fresh generator draw. A fit took {seconds['fourier-real'] / seconds['fourier']:.2g} times as long "
    f"with the real solve (one timing on this page's device, not among the claims): `\"fourier\"` runs "
    f"on the fused engine of the next section, `\"fourier-real\"` on the autograd engine. The next "
    f"section times the two engines on the complex objective (with the TV term, in float64) and finds "
    f"a factor of the same size, so the engines, not the formulation, plausibly account for most of it: "
    f"the 2N × 2N real Gram matrix takes as many operations as the N × N complex one, and it dominates "
    f"the solve."))

# %% [markdown]
# At $N = 20 \ll M$ the real solve, which need not keep the imaginary part small, paid off end
# to end on this smooth target, on each of the three draws, for learned features; for random
# features at $N = 5$, $10$ and $20$ the two solves' test errors are close (the sweep above: the
# real solve's is lower at $N = 10$ and higher at $N = 5$ and $20$). One target and one
# $N$ do not make a rule; where few learned features must carry the fit, the real solve is
# worth trying (it runs on the slower autograd engine). The benchmark chapters keep `"fourier"`, the paper's formulation, so
# that their numbers compare with the paper's.

# %% [markdown]
# ## The training step without autograd
#
# The training loop ({py:func}`gft.optimise`) has two engines, chosen by name
# (`engine="auto" | "autograd" | "fused"`). The `autograd` engine differentiates
# {py:class}`gft.ReducedObjective` as written above. With Fourier features, `auto` picks the
# `fused` engine, which builds no autograd graph at all: it runs the generator's forward and
# backward passes by hand, assembles the complex ridge system from two real Gram products,
# writes the backward pass of the solve (rank 2 over $\mathbb{C}$, $\bar A$ plus the direct
# term, hence rank 4 in the real cos/sin form) and the TV gradient as small matrix
# products, and updates with Adam's fused kernel. Every intermediate has a buffer allocated
# once, when the step is built, so a step only launches kernels, and it is written never to read
# device memory on the host (a failed factorisation is reported at the next validation). It is another algorithm for the same function, so the two engines
# agree to rounding, not bit for bit, and here rounding is amplified. An untrained
# generator's features are short, so the columns $e^{2\pi i \langle w_l, x\rangle}$ of $A$ are
# slowly varying waves, nearly linearly dependent, and $\kappa(S)$ is close to its bound $1 + M/(N\delta)$ above (the derivative
# checks of this page used well-conditioned features, $w \sim \mathcal{N}(0, \sigma^2 I)$ with
# $\sigma = 3$). A backward-stable solve of $S$ is then accurate to about
# $\epsilon_{64}\,\kappa(S)$, and two such solves can differ by that much. We take
# $\epsilon_{64}\,\kappa(S)$ of the first step's features as the tolerance of both checks
# below, an order of magnitude rather than a bound (the gradient combines two solves, and
# Adam's normalisation can magnify small components' differences); over seeds 0–4 both held
# with a factor of at least 3.3 to spare (`book/results/claims/margins.csv`). The gradient of the
# first Adam step of each engine, and the update $\theta_5 - \theta_0$ after five steps (not
# $\theta_5$ itself, whose shared initial part would hide the difference), from the same
# generator and the same random draws, with the TV term on:

# %%
from gft.training import GeneratorFeatures, make_adam_step  # noqa: E402


def adam_step(engine: str):
    """A generator (the same initial one for every engine) and its Adam step, TV term on."""
    torch.manual_seed(seed)
    G = gft.Generator(2, (64, 64)).to(**f64)
    step_rng = torch.Generator(device=device).manual_seed(seed)
    objective_tv = ReducedObjective(X, y, "fourier", ridge, tv_weight, 500)
    step = make_adam_step(GeneratorFeatures(G, n_features, 1, step_rng), objective_tv, 1e-3,
                          step_rng, engine=engine)
    return G, step


def flat(tensors) -> torch.Tensor:
    return torch.cat([t.detach().flatten() for t in tensors])


def five_steps(engine: str) -> tuple[torch.Tensor, torch.Tensor, str]:
    """The first step's gradient and the update after five steps."""
    G, step = adam_step(engine)
    theta_0 = flat(G.parameters()).clone()
    step()
    gradient = flat(p.grad for p in G.parameters()).clone()  # the step leaves its gradient in .grad
    for _ in range(4):
        step()
    return gradient, flat(G.parameters()) - theta_0, step.engine


def first_features() -> torch.Tensor:
    """The features of the first step: the same generator and draws as adam_step's."""
    torch.manual_seed(seed)
    G = gft.Generator(2, (64, 64)).to(**f64)
    with torch.no_grad():
        return GeneratorFeatures(G, n_features, 1, torch.Generator(device=device).manual_seed(seed)).train_features()


(grad_fused, update_fused, ran_fused), (grad_autograd, update_autograd, ran_autograd) = (
    five_steps("fused"), five_steps("autograd"))
assert (ran_fused, ran_autograd) == ("fused", "autograd")
W_first = first_features()
A_first = design_matrix(X, W_first, "fourier")
kappa_first = torch.linalg.cond(A_first.mH @ A_first + ridge * torch.eye(n_features, **f64)).item()
accuracy = torch.finfo(torch.float64).eps * kappa_first
print(f"first step's features: |w| from {W_first.norm(dim=-1).min():.2g} to "
      f"{W_first.norm(dim=-1).max():.2g}, condition number of S {kappa_first:.3g} "
      f"(bound {1 + n_samples / (n_features * ridge):.3g}), eps_64 * kappa(S) = {accuracy:.1e}")
check("first step's gradient: fused engine = autograd engine", relative_error(grad_fused, grad_autograd), accuracy)
check("5 Adam steps' update: fused engine = autograd engine", relative_error(update_fused, update_autograd), accuracy)

# %% [markdown]
# What the fused engine buys depends on the device and the sizes (`python -m gft bench`
# measures it at the training sizes). One small timing on the machine that ran this page, at
# the sizes of this page:

# %%
def seconds_per_step(engine: str, n_steps: int = 30) -> float:
    _, step = adam_step(engine)
    for _ in range(3):  # warm-up
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(n_steps):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / n_steps


step_seconds = {engine: seconds_per_step(engine) for engine in ("fused", "autograd")}
display(Markdown(
    f"On this page's device ({device}), with $M = {n_samples}$, $N = {n_features}$, a "
    f"$2 \\to 64 \\to 64 \\to 2$ generator and 500 TV points, one step took "
    f"{1e3 * step_seconds['fused']:.3g} ms with the fused engine and "
    f"{1e3 * step_seconds['autograd']:.3g} ms with the autograd engine (ratio "
    f"{step_seconds['autograd'] / step_seconds['fused']:.3g}). One timing of one run, not a "
    f"benchmark; it is not among the claims."))

# %% [markdown]
# ## GFT as an algorithm, and what a step costs
#
# With the pieces above, the whole method fits in a few lines. The generator $G_\theta$ maps
# a latent $z \in \mathbb{R}^D$ to a feature $w = G_\theta(z)$ ($D = d$, or $d + 1$ with a
# bias coordinate); the validation rows are the last ones of the training data.
#
# ```text
# GFT(X, y; N, λ, δ, T, T_r)
#   phase 1, the generator
#   for t = 1, …, T:
#       z_1, …, z_N ~ N(0, I_D);  w_l = G_θ(z_l)          N latents, one forward pass
#       A = exp(2πi X Wᵀ) / N                              O(MNd)
#       S = AᴴA + δI;  S = CCᴴ (Cholesky)                  O(MN²) + O(N³)
#       b̂ = S⁻¹Aᴴy                                         O(MN + N²)
#       ξ_1, …, ξ_n ~ U(box of X)
#       L = (1/M)‖Re(A b̂) − y‖² + λ (1/n) Σ_j ‖∇ₓf(ξ_j)‖₁   O(MN) + O(nNd)
#       θ ← Adam(θ, ∇_θ L)        backward: the implicit gradient reuses C, O(MNd + N²) + O(nNd)
#       every val_every steps (200 in the paper, 100 by default): validation MSE,
#           averaged over n_val_draws fresh draws; keep the best θ
#   phase 2, the refinement (GFT-r)
#   draw Z = (z_1, …, z_N) once; for t = 1, …, T_r:
#       the same L at W = G_θ(Z);  Z ← Adam(Z, ∇_Z L);  keep the best Z on validation
#   return W = G_θ(Z) and b̂(W) solved on the training rows in float64
# ```
#
# A step of either phase costs $O(MN^2 + N^3)$ in the ridge layer — forming $A^HA$ dominates
# while $M > N$ — plus $O(nNd)$ for the TV term and the generator's forward and backward
# passes over $N$ latents, $O(N H^2)$ for hidden width $H$: three $N\times H\times H$ matrix
# products per hidden-to-hidden layer, six for the benchmarks' generator with its two (four in
# the refinement, whose generator weights are fixed and need no gradients; this page's small
# generator has one such layer). At the sizes of the benchmarks ($N = 100$, $H = 512$)
# the generator's products and $A^HA$ are of the same order for $M$ in the low thousands;
# at $M = 500$ the generator's are several times larger (exercise 3 counts them), and the $N^3$ of the factorisation is the smallest
# term. The cost does not depend on $\lambda$ beyond the $n$ TV points,
# and it is linear in $M$: GFT is meant for small $N$, not small $M$.
#
# The same operation counts, timed on this page's device against $N$ at $M = 2000$ — the
# ridge solve alone: $A^HA$ and its factorisation, which dominate it, with $A^Hy$ and the two
# triangular solves:

# %%
def seconds_per_solve(m: int, n: int, repeats: int = 5) -> float:
    """Median seconds of one ridge solve (A^H A, Cholesky, two triangular solves), float64."""
    A_ = design_matrix(torch.rand(m, 2, generator=rng, **f64),
                       sigma * torch.randn(n, 2, generator=rng, **f64), "fourier")
    y_ = torch.randn(m, generator=rng, **f64)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        ridge_solve(A_, y_, ridge)
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


timed_rows = 2000  # M of the timings: above every N timed, as in the text
solve_times = pd.Series({n: seconds_per_solve(timed_rows, n) for n in (50, 100, 200, 400, 800)},
                        name="seconds")
slope = np.polyfit(np.log(solve_times.index[2:]), np.log(solve_times.values[2:]), 1)[0]
fig, ax = plt.subplots(figsize=(5, 3.2), constrained_layout=True)
ax.loglog(solve_times.index, 1e3 * solve_times.values, "o-", label=f"ridge solve, $M = {timed_rows}$")
ax.loglog(solve_times.index, 1e3 * solve_times.values[-1] * (solve_times.index / solve_times.index[-1]) ** 2,
          "k:", lw=0.8, label="$\\propto N^2$")
ax.minorticks_off()  # the log axis's minor labels (3×10², 4×10²) collide
ax.set_xticks(list(solve_times.index), [str(n) for n in solve_times.index])
ax.set_xlabel("number of features $N$")
ax.set_ylabel("milliseconds")
ax.legend(fontsize="small")
plt.show()
widths = solve_times.index.to_numpy(dtype=float)
slope_counted = np.polyfit(np.log(widths[2:]), np.log(timed_rows * widths[2:] ** 2 + widths[2:] ** 3 / 3), 1)[0]
display(Markdown(f"From $N = 200$ to $800$ the time grows like $N^{{{slope:.2g}}}$; the operation count "
                 f"$MN^2 + N^3/3$ (at $M = {timed_rows} > N$ forming $A^HA$ is the larger term) grows like "
                 f"$N^{{{slope_counted:.2g}}}$ over that range, and the two exponents differ by what the "
                 f"larger products gain or lose in speed. A median of five solves per $N$ in one run, not "
                 f"among the claims."))

# %% [markdown]
# ## Exercises
#
# 1. Show that $\kappa(S) = \kappa(\tilde A)^2$ for $S = A^HA + \delta I$ and the stacked
#    matrix $\tilde A = \bigl(\begin{smallmatrix} A \\ \sqrt\delta I \end{smallmatrix}\bigr)$,
#    and that $\kappa(S) \le 1 + M/(N\delta)$ for the Fourier design matrix.
# 2. With the convention for complex gradients of this page, show that the gradient of
#    $L_{\mathrm{data}}(b) = \frac1M\lVert \mathrm{Re}(Ab) - y\rVert^2$ with respect to $b$ is
#    $\bar b = \frac2M A^H e$, $e = \mathrm{Re}(Ab) - y$.
# 3. Count the real floating-point operations of one step's $A^HA$ and of the generator's six
#    $N\times H\times H$ products at $M = 2000$, $N = 100$, $H = 512$. Which dominates, and at
#    which $M$ do the two balance?
#
# ```{admonition} Solutions
# :class: dropdown
#
# 1. $\tilde A^H\tilde A = A^HA + \delta I = S$, so the eigenvalues of $S$ are the squared
#    singular values of $\tilde A$, and the ratio of the largest to the smallest squares too.
#    The eigenvalues of $S$ lie in $[\delta, \sigma_{\max}(A)^2 + \delta]$, and
#    $\sigma_{\max}(A)^2 \le \lVert A\rVert_F^2 = \sum_{k,l} |A_{kl}|^2 = MN/N^2 = M/N$.
# 2. With $b$ perturbed by $db$, $dL_{\mathrm{data}} = \frac2M e^{\mathsf T}\mathrm{Re}(A\,db)
#    = \mathrm{Re}\bigl(\frac2M e^{\mathsf T} A\, db\bigr) = \mathrm{Re}\bigl((\frac2M A^H e)^H db\bigr)$,
#    since $e$ is real; comparing with $dL_{\mathrm{data}} = \mathrm{Re}(\bar b^H db)$ gives the claim. The
#    chapter checks it against autograd above.
# 3. A complex multiply-add is 8 real operations, so $A^HA$ costs $8MN^2 = 1.6\cdot 10^8$
#    (half of it if the Hermitian symmetry is used), the generator $6\cdot 2NH^2 = 3.1\cdot 10^8$:
#    the generator dominates, by about 2 to 4. They balance where $8MN^2 = 12NH^2$, at
#    $M = 1.5\,H^2/N \approx 3900$ (about 7900 with the symmetry).
# ```

# %% [markdown]
# ## The claims of this chapter
#
# Every check above, with the value this run measured, its threshold and the factor by which
# it held (at the `smoke` preset they are computed but not asserted; this chapter's sizes are
# the same at every preset):

# %%
claims.table()

# %% [markdown]
# ## Next
#
# - [Feature distributions](03_feature_distributions.ipynb): where the generator puts its
#   features for the "kreuz" functions, and how they turn with the target.
