r"""Variable projection (VarPro) for a mean-field ReLU network on the circle: teacher, particles, the :math:`\lambda\to0` PDE and distances.

Symbols (Barboni et al.'s, not the book's notation page): ``n`` samples
:math:`x_k\in\mathbb R^2`, ``M`` student particles (features)
:math:`w_j\in S^1`, output weights :math:`u\in\mathbb R^M`, ridge :math:`\lambda`, ``G`` cells
of the angle grid. The student is

.. math::  f(x) = \frac1M \sum_{j=1}^M u_j\, \mathrm{ReLU}(\langle w_j, x\rangle),

and the (unbiased) regularised objective, after eliminating ``u`` by its ridge solution, is

.. math::  J(W) = \min_u \frac{1}{2\lambda}\,\frac1n\sum_k (f(x_k) - y_k)^2
                  + \frac12\,\frac1M\sum_j (u_j - 1)^2

(Barboni et al., arXiv 2504.18208). Gradient descent on :math:`J` with step ``M h`` is a
time-``h`` Euler step of the particles' Wasserstein gradient flow; as :math:`\lambda\to0` the
particle density :math:`\nu_t` over the angle solves, formally, the weighted ultra-fast diffusion

.. math::  \partial_t \nu = -\tfrac12\,\partial_\theta\big(\nu\,\partial_\theta (\mu^*/\nu)^2\big),

provided the features determine the distribution (every Fourier coefficient of the activation
on the circle nonzero). Bias-free ReLU on the circle fails that (its odd harmonics of order 3
and up vanish): chapter 07 shows what the flow does then.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from torch import Tensor
from .._progress import progress_bar as tqdm

__all__ = [
    "teacher_density", "sample_teacher_angles", "angles_to_points", "points_to_angles",
    "angle_grid", "make_teacher_student", "output_weights", "reduced_objective",
    "varpro_gradient", "ParticleTrajectory", "run_varpro", "run_joint_gd",
    "sample_circle_generator", "train_circle_generator",
]

#: Centres and relative masses of the two bumps of the default teacher density.
TEACHER_CENTRES = (0.0, 0.4 * math.pi)
TEACHER_WEIGHTS = (1.0, 0.5)


def _wrap(theta: np.ndarray) -> np.ndarray:
    """Angles wrapped to [-π, π)."""
    return (np.asarray(theta) + np.pi) % (2 * np.pi) - np.pi


def teacher_density(
    theta: np.ndarray,
    gamma: float = 100.0,
    centres: Sequence[float] = TEACHER_CENTRES,
    weights: Sequence[float] = TEACHER_WEIGHTS,
) -> np.ndarray:
    r"""Normalised teacher density :math:`\mu^*(\theta)\propto\sum_i c_i/(1+\gamma\sin^2((\theta-\theta_i)/2))`.

    Each bump integrates to :math:`2\pi/\sqrt{1+\gamma}`, so the bumps' masses are in the
    ratio of ``weights``; :math:`\gamma\to\infty` gives a mixture of Diracs.

    Parameters
    ----------
    theta : array_like of shape (*,)
        Angles in radians.
    gamma : float
        :math:`\gamma`, the sharpness of the bumps.
    centres : sequence of float
        :math:`\theta_i`, the bumps' centres.
    weights : sequence of float
        :math:`c_i`, one per centre.

    Returns
    -------
    ndarray of shape (*,)
        The density in :math:`d\theta`.
    """
    theta = np.asarray(theta, dtype=float)
    norm = 2 * np.pi / math.sqrt(1.0 + gamma) * float(np.sum(weights))
    bumps = [c / (1.0 + gamma * np.sin((theta - t0) / 2) ** 2) for c, t0 in zip(weights, centres)]
    return np.sum(bumps, axis=0) / norm


def sample_teacher_angles(
    n: int,
    gamma: float = 100.0,
    rng: np.random.Generator | None = None,
    centres: Sequence[float] = TEACHER_CENTRES,
    weights: Sequence[float] = TEACHER_WEIGHTS,
) -> np.ndarray:
    r"""Exact i.i.d. draws from :func:`teacher_density`, shape (n,).

    A bump at 0 is the law of :math:`2\arctan(\tan\varphi/\sqrt{1+\gamma})` with
    :math:`\varphi\sim U(-\pi/2,\pi/2)` (change of variables); the bump is picked with
    probability proportional to its weight.

    Parameters
    ----------
    n : int
    gamma, centres, weights
        As in :func:`teacher_density`.
    rng : numpy.random.Generator, optional

    Returns
    -------
    ndarray of shape (n,)
        Angles in :math:`[-\pi, \pi)`.
    """
    rng = np.random.default_rng() if rng is None else rng
    probs = np.asarray(weights, dtype=float) / np.sum(weights)
    which = rng.choice(len(probs), size=n, p=probs)
    phi = rng.uniform(-np.pi / 2, np.pi / 2, size=n)
    psi = 2 * np.arctan(np.tan(phi) / math.sqrt(1.0 + gamma))
    return _wrap(psi + np.asarray(centres, dtype=float)[which])


def angles_to_points(theta: np.ndarray) -> np.ndarray:
    r"""Points :math:`(\cos\theta, \sin\theta)` on the unit circle, shape ``(*, 2)``."""
    theta = np.asarray(theta, dtype=float)
    return np.stack([np.cos(theta), np.sin(theta)], axis=-1)


def points_to_angles(W: np.ndarray | Tensor) -> np.ndarray:
    r"""Angles :math:`\mathrm{atan2}(w_2, w_1)\in(-\pi,\pi]` of points ``W`` of shape ``(*, 2)``, shape ``(*,)``."""
    W = W.detach().cpu().numpy() if isinstance(W, Tensor) else np.asarray(W)
    return np.arctan2(W[..., 1], W[..., 0])


def angle_grid(n_cells: int) -> np.ndarray:
    r"""Cell centres :math:`\theta_i = -\pi + (i+\frac12)\,2\pi/G` of the periodic grid, shape (G,)."""
    return -np.pi + (np.arange(n_cells) + 0.5) * (2 * np.pi / n_cells)


def make_teacher_student(
    n_samples: int = 4096,
    n_teacher: int = 4096,
    gamma: float = 100.0,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Data of the teacher–student problem: :math:`x\sim N(0,I_2)`, :math:`y = \frac1{M^*}\sum_j \mathrm{ReLU}(\langle w^*_j,x\rangle)`.

    Parameters
    ----------
    n_samples : int
        ``n``.
    n_teacher : int
        :math:`M^*`.
    gamma : float
        As in :func:`teacher_density`.
    rng : numpy.random.Generator, optional

    Returns
    -------
    X : ndarray of shape (n, 2)
    y : ndarray of shape (n,)
    W_teacher : ndarray of shape (M*, 2)
        The teacher neurons on the circle (output weights :math:`u^*\equiv1`), with angles
        drawn from :func:`teacher_density`.
    """
    rng = np.random.default_rng() if rng is None else rng
    W_teacher = angles_to_points(sample_teacher_angles(n_teacher, gamma, rng))
    X = rng.standard_normal((n_samples, 2))
    y = np.maximum(X @ W_teacher.T, 0.0).mean(axis=1)
    return X, y, W_teacher


def output_weights(F: Tensor, y: Tensor, ridge: float, unbiased: bool = True) -> Tensor:
    r"""Ridge-optimal output weights :math:`u_\lambda(W)`, shape (M,).

    Solves :math:`(K + \lambda I)u = F^\top y/n + \lambda c\,\mathbf 1` with
    :math:`K = F^\top F/(nM)` and :math:`c = 1` (unbiased, penalty :math:`\frac12\overline{(u-1)^2}`)
    or :math:`c = 0` (penalty :math:`\frac12\overline{u^2}`). When ``n < M`` the equivalent dual
    system :math:`u = c\mathbf 1 + F^\top (FF^\top/(nM) + \lambda I)^{-1}(y - cF\mathbf 1/M)/n`
    of size ``n`` is solved instead.

    Parameters
    ----------
    F : Tensor of shape (n, M)
        The features :math:`F_{kj} = \mathrm{ReLU}(\langle w_j, x_k\rangle)`.
    y : Tensor of shape (n,)
    ridge : float > 0
        :math:`\lambda`.
    unbiased : bool
        Penalise :math:`u - 1` (``True``) or :math:`u`.

    Returns
    -------
    Tensor of shape (M,)
    """
    n, M = F.shape
    c = 1.0 if unbiased else 0.0
    if n >= M:
        K = F.T @ F / (n * M)  # (M, M)
        K.diagonal().add_(ridge)
        return torch.linalg.solve(K, F.T @ y / n + ridge * c)
    K = F @ F.T / (n * M)  # (n, n)
    K.diagonal().add_(ridge)
    alpha = torch.linalg.solve(K, y - c * F.sum(1) / M)
    return c + F.T @ alpha / n


def reduced_objective(
    W: Tensor, X: Tensor, y: Tensor, ridge: float, unbiased: bool = True
) -> tuple[Tensor, Tensor, Tensor]:
    r"""Reduced objective :math:`J(W)` with its output weights and residual.

    Parameters
    ----------
    W : Tensor of shape (M, 2)
        The particles.
    X : Tensor of shape (n, 2)
    y : Tensor of shape (n,)
    ridge : float > 0
        :math:`\lambda`.
    unbiased : bool
        As in :func:`output_weights` (:math:`c = 1` or :math:`0`).

    Returns
    -------
    J : Tensor of shape ()
        :math:`\frac1{2\lambda}\overline{(f-y)^2} + \frac12\overline{(u-c)^2}` at :math:`u=u_\lambda(W)`.
    u : Tensor of shape (M,)
    residual : Tensor of shape (n,)
        :math:`f(x_k) - y_k`.
    """
    return _reduced(W, X, y, ridge, unbiased)[:3]


def _reduced(W: Tensor, X: Tensor, y: Tensor, ridge: float, unbiased: bool):
    """(J, u, residual, F) of :func:`reduced_objective`, with the features ``F`` (n, M)."""
    _check_ridge(ridge)
    F = torch.relu(X @ W.T)  # (n, M)
    u = output_weights(F, y, ridge, unbiased)
    residual = F @ u / W.shape[0] - y
    c = 1.0 if unbiased else 0.0
    J = 0.5 * residual.square().mean() / ridge + 0.5 * (u - c).square().mean()
    return J, u, residual, F


def _check_ridge(ridge: float) -> None:
    if not ridge > 0:
        raise ValueError(f"ridge must be > 0, got {ridge!r}")


def _partial_gradient_W(F: Tensor, X: Tensor, u: Tensor, residual: Tensor, ridge: float) -> Tensor:
    r""":math:`\partial_{w_j} J(W,u) = \frac{u_j}{\lambda nM}\sum_k r_k\,\mathbb 1[\langle w_j,x_k\rangle>0]\,x_k`, shape (M, 2), from ``F`` (n, M)."""
    n, M = F.shape
    weighted = torch.where(F > 0, residual[:, None], 0.0)  # (n, M): r_k 1[<w_j, x_k> > 0]
    return (X.T @ weighted).T * (u / (ridge * n * M))[:, None]


def varpro_gradient(
    W: Tensor, X: Tensor, y: Tensor, ridge: float, unbiased: bool = True
) -> tuple[Tensor, Tensor]:
    r"""Gradient of the reduced objective, :math:`\nabla J(W) = \partial_W J(W, u)|_{u=u_\lambda(W)}`.

    By the envelope (Danskin) theorem the output weights may be frozen at their optimum; the
    ReLU derivative is taken as :math:`\mathbb 1[t>0]`.

    Parameters
    ----------
    W, X, y, ridge, unbiased
        As in :func:`reduced_objective`.

    Returns
    -------
    grad : Tensor of shape (M, 2)
    J : Tensor of shape ()
    """
    J, u, residual, F = _reduced(W, X, y, ridge, unbiased)
    return _partial_gradient_W(F, X, u, residual, ridge), J


@dataclass
class ParticleTrajectory:
    r"""Recorded states of a particle simulation.

    Attributes
    ----------
    times : ndarray of shape (T,)
        Times :math:`t = k h` of the records.
    angles : ndarray of shape (T, M)
        Particle angles at those times.
    objective : ndarray of shape (T,)
        :math:`J` (VarPro: reduced; joint GD: at the current ``u``).
    mse : ndarray of shape (T,)
        Training mean squared error :math:`\overline{(f-y)^2}`.
    """

    times: np.ndarray
    angles: np.ndarray
    objective: np.ndarray
    mse: np.ndarray


def _normalise_rows(W: Tensor) -> Tensor:
    return W / W.norm(dim=1, keepdim=True)


def _n_steps(t_max: float, step: float) -> int:
    if not (step > 0 and t_max >= 0):
        raise ValueError(f"need step > 0 and t_max >= 0, got step={step!r}, t_max={t_max!r}")
    return int(round(t_max / step))


def run_varpro(
    W0: Tensor,
    X: Tensor,
    y: Tensor,
    ridge: float,
    step: float,
    t_max: float,
    record_every: int = 1,
    unbiased: bool = True,
    progress: bool = False,
) -> ParticleTrajectory:
    r"""VarPro gradient descent on the circle: :math:`W \leftarrow \Pi_{S^1}(W - Mh\,\nabla J(W))`.

    ``u`` is re-solved at every step (:func:`output_weights`); the step :math:`Mh` makes one
    iteration advance the mean-field time by ``h = step``.

    Parameters
    ----------
    W0 : Tensor of shape (M, 2)
        Initial particles (projected onto the circle).
    X, y : Tensor of shape (n, 2), (n,)
    ridge, step, t_max : float
        :math:`\lambda`, ``h`` and the final time (``round(t_max / h)`` steps).
    record_every : int
        Steps between records (the last state is always recorded).
    """
    W = _normalise_rows(W0.detach().clone())
    M = W.shape[0]
    records: list[tuple[float, np.ndarray, float, float]] = []
    steps = _n_steps(t_max, step)
    for k in tqdm(range(steps + 1), desc="VarPro", disable=not progress, leave=False):
        J, u, residual, F = _reduced(W, X, y, ridge, unbiased)
        if k % record_every == 0 or k == steps:
            records.append((k * step, points_to_angles(W), float(J), float(residual.square().mean())))
        if k < steps:
            grad = _partial_gradient_W(F, X, u, residual, ridge)
            W = _normalise_rows(W - M * step * grad)
    return _trajectory(records)


def run_joint_gd(
    W0: Tensor,
    u0: Tensor,
    X: Tensor,
    y: Tensor,
    ridge: float,
    step: float,
    t_max: float,
    record_every: int = 1,
    unbiased: bool = True,
    progress: bool = False,
) -> ParticleTrajectory:
    r"""Plain joint gradient descent on :math:`(W, u)` for the same objective :math:`J(W,u)`.

    :math:`W \leftarrow \Pi_{S^1}(W - Mh\,\partial_W J)`, :math:`u \leftarrow u - Mh\,\partial_u J`
    with :math:`\partial_u J = \big(F^\top r/(\lambda n) + (u - c)\big)/M`. With the features
    frozen, a step multiplies the error of :math:`u` along an eigenvector of
    :math:`K = F^\top F/(nM)` (eigenvalue :math:`\kappa`) by :math:`1 - h(\kappa + \lambda)/\lambda`,
    so the iteration is stable only for :math:`h < 2\lambda/(\|K\| + \lambda)`: the output
    weights are the stiff, fast variables.

    Parameters
    ----------
    u0 : Tensor of shape (M,)
        Initial output weights.

    Other parameters as :func:`run_varpro`.
    """
    _check_ridge(ridge)
    W = _normalise_rows(W0.detach().clone())
    u = u0.detach().clone()
    n, M = X.shape[0], W.shape[0]
    c = 1.0 if unbiased else 0.0
    records: list[tuple[float, np.ndarray, float, float]] = []
    steps = _n_steps(t_max, step)
    for k in tqdm(range(steps + 1), desc="joint GD", disable=not progress, leave=False):
        F = torch.relu(X @ W.T)  # (n, M)
        residual = F @ u / M - y
        if k % record_every == 0 or k == steps:
            J = 0.5 * residual.square().mean() / ridge + 0.5 * (u - c).square().mean()
            records.append((k * step, points_to_angles(W), float(J), float(residual.square().mean())))
        if k < steps:
            grad_W = _partial_gradient_W(F, X, u, residual, ridge)
            grad_u = (F.T @ residual / (ridge * n) + (u - c)) / M
            W = _normalise_rows(W - M * step * grad_W)
            u = u - M * step * grad_u
    return _trajectory(records)


def sample_circle_generator(generator: torch.nn.Module, n: int, rng: torch.Generator | None = None) -> Tensor:
    r"""``n`` particles :math:`w = G(z)/\|G(z)\|`, :math:`z\sim N(0, I_2)`, on the unit circle.

    Parameters
    ----------
    generator : gft.Generator
        Of dimension 2.
    n : int
    rng : torch.Generator, optional
        For the latents.

    Returns
    -------
    Tensor of shape (n, 2)
    """
    w = generator.sample(n, generator=rng)
    return w / w.norm(dim=1, keepdim=True)


def train_circle_generator(
    generator: torch.nn.Module,
    X: Tensor,
    y: Tensor,
    ridge: float,
    n_particles: int,
    steps: int,
    lr: float = 1e-3,
    rng: torch.Generator | None = None,
    unbiased: bool = True,
    progress: bool = False,
) -> np.ndarray:
    r"""Generative VarPro: train :math:`G_\theta` with Adam on :math:`\mathbb E_z\, J(G_\theta(z_{1..M}))`.

    Every step draws ``n_particles`` fresh particles (:func:`sample_circle_generator`), solves
    their output weights and back-propagates the reduced objective :math:`J` to :math:`\theta`
    (through the ridge solve, which by the envelope theorem gives the same gradient as frozen
    ``u``). This is GFT's training of the generator, with VarPro's objective.

    Parameters
    ----------
    generator : gft.Generator
        Of dimension 2; trained in place.
    X : Tensor of shape (n, 2)
    y : Tensor of shape (n,)
    ridge : float > 0
        :math:`\lambda`.
    n_particles : int
        ``M``, drawn afresh every step.
    steps : int
    lr : float
        Adam's learning rate.
    rng : torch.Generator, optional
        For the latents.
    unbiased : bool
        As in :func:`output_weights`.
    progress : bool
        Show a progress bar.

    Returns
    -------
    ndarray of shape (steps,)
        :math:`J` of the draw of each step.
    """
    opt = torch.optim.Adam(generator.parameters(), lr=lr)
    losses = torch.zeros(steps, dtype=X.dtype, device=X.device)
    for k in tqdm(range(steps), desc="generator", disable=not progress, leave=False):
        J = reduced_objective(sample_circle_generator(generator, n_particles, rng), X, y, ridge, unbiased)[0]
        opt.zero_grad(set_to_none=True)
        J.backward()
        opt.step()
        losses[k] = J.detach()
    return losses.cpu().numpy()


def _trajectory(records: list[tuple[float, np.ndarray, float, float]]) -> ParticleTrajectory:
    times, angles, objective, mse = zip(*records)
    return ParticleTrajectory(np.array(times), np.stack(angles), np.array(objective), np.array(mse))
