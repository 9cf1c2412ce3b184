r"""One training loop (Adam, validation every k steps, best iterate, history, progress bar) for three parameterisations of the features.

- :class:`GeneratorFeatures` — GFT: train :math:`\theta` on :math:`E_z L(G_\theta(z))`, a fresh
  draw of ``N`` latents per step;
- :class:`LatentFeatures` — GFT-r: :math:`G_\theta` frozen, optimise one latent set ``z``;
- :class:`DirectFeatures` — VarPro: optimise ``W`` itself.
"""

from __future__ import annotations

import copy
import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch
from torch import Tensor
from tqdm.auto import tqdm

from .generator import Generator
from .objective import ReducedObjective
from .ridge import RidgeSolveError
from .step import HandWrittenFourierStep, mlp_layers

__all__ = [
    "GeneratorFeatures",
    "LatentFeatures",
    "DirectFeatures",
    "TrainingHistory",
    "TrainingDivergedError",
    "optimise",
    "make_adam_step",
]


#: Learning-rate schedules of :func:`make_adam_step`.
SCHEDULES = ("constant", "cosine")


class TrainingDivergedError(FloatingPointError):
    """The training loss became NaN or inf; the best iterate so far has been restored."""


@dataclass
class TrainingHistory:
    """What one run of :func:`optimise` did, for plots and model selection.

    Attributes
    ----------
    train_loss : ndarray of shape (steps,)
        Loss of every step (MSE + λ·TV on the draw of that step).
    val_steps, val_mse : ndarray of shape (n_val,)
        Steps at which the validation MSE was measured, and its value.
    best_step, best_val_mse : int, float
        The iterate that was kept.
    wall_seconds : float
    interrupted : bool
        True when the run was stopped by Ctrl-C and the best iterate so far was kept.
    """

    name: str = ""
    train_loss: np.ndarray = field(default_factory=lambda: np.zeros(0))
    val_steps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    val_mse: np.ndarray = field(default_factory=lambda: np.zeros(0))
    best_step: int = 0
    best_val_mse: float = math.inf
    wall_seconds: float = 0.0
    interrupted: bool = False


class GeneratorFeatures:
    r"""GFT: features :math:`G_\theta(z)` with :math:`z` redrawn every step; trains :math:`\theta`.

    Validation averages over ``n_val_draws`` feature sets whose latents are drawn once, so
    that successive validations compare the generator and not the luck of the draw.
    """

    def __init__(
        self, generator: Generator, n_features: int, n_val_draws: int, rng: torch.Generator
    ):
        self.generator = generator
        self.n_features = n_features
        self.rng = rng
        self.z_val = generator.sample_latents(n_features, n_val_draws, generator=rng)

    def parameters(self) -> list[Tensor]:
        return list(self.generator.parameters())

    def train_features(self) -> Tensor:
        return self.generator.sample(self.n_features, generator=self.rng)  # (N, D)

    def val_features(self) -> Tensor:
        return self.generator(self.z_val)  # (B, N, D)

    def snapshot(self) -> Any:
        return copy.deepcopy(self.generator.state_dict())

    def restore(self, state: Any) -> None:
        self.generator.load_state_dict(state)


class LatentFeatures:
    r"""GFT-r: one latent set ``z`` of shape (N, D) optimised through a frozen :math:`G_\theta`."""

    def __init__(self, generator: Generator, z: Tensor):
        self.generator = generator.requires_grad_(False)
        self.z = z.detach().clone().requires_grad_(True)

    def parameters(self) -> list[Tensor]:
        return [self.z]

    def train_features(self) -> Tensor:
        return self.generator(self.z)

    def val_features(self) -> Tensor:
        return self.generator(self.z)

    def snapshot(self) -> Tensor:
        return self.z.detach().clone()

    def restore(self, state: Tensor) -> None:
        with torch.no_grad():
            self.z.copy_(state)


class DirectFeatures:
    """VarPro: the features ``W`` of shape (N, D) themselves are the parameters."""

    def __init__(self, W: Tensor):
        self.W = W.detach().clone().requires_grad_(True)

    def parameters(self) -> list[Tensor]:
        return [self.W]

    def train_features(self) -> Tensor:
        return self.W

    def val_features(self) -> Tensor:
        return self.W

    def snapshot(self) -> Tensor:
        return self.W.detach().clone()

    def restore(self, state: Tensor) -> None:
        with torch.no_grad():
            self.W.copy_(state)


def make_adam_step(
    params: GeneratorFeatures | LatentFeatures | DirectFeatures,
    objective: ReducedObjective,
    lr: float,
    rng: torch.Generator | None = None,
    total_steps: int | None = None,
    schedule: str = "constant",
    hand_written: bool = True,
) -> Callable[[], Tensor]:
    """One Adam step on the reduced objective: draw features, loss, backward, update.

    ``schedule="cosine"`` decays the learning rate from ``lr`` to ``lr / 100`` over
    ``total_steps`` steps (cosine annealing); ``"constant"`` keeps it (the paper's choice).
    With Fourier features the step is the hand-written one of :mod:`gft.step` (same
    computation, no autograd graph) unless ``hand_written=False``.
    Returns a function that performs a step and returns the detached loss (no device sync).
    """
    plist = params.parameters()
    # The fused kernel updates all parameters in one pass (several times faster than the
    # default on the 3x512 generator); it needs floating-point tensors on CPU or CUDA.
    fused = all(p.dtype.is_floating_point and p.device.type in ("cpu", "cuda") for p in plist)
    opt = torch.optim.Adam(plist, lr=lr, fused=fused)
    if schedule not in SCHEDULES:
        raise ValueError(f"Unknown schedule {schedule!r}. Must be one of {list(SCHEDULES)}")
    sched = None
    if schedule == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(
            opt, T_max=max(int(total_steps or 1), 1), eta_min=lr / 100
        )

    if hand_written:
        step_by_hand = _hand_written_step(params, objective, opt, rng, sched)
        if step_by_hand is not None:
            return step_by_hand

    def step() -> Tensor:
        loss, _, _ = objective(params.train_features(), rng)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        return loss.detach()

    return step


_REDUCED_OBJECTIVE_CALL = ReducedObjective.__call__


def _hand_written_step(params, objective, opt, rng, sched) -> HandWrittenFourierStep | None:
    """The hand-written step of :mod:`gft.step` where it applies (Fourier features, a
    Linear/ReLU generator), else None."""
    if not (isinstance(objective, ReducedObjective) and objective.activation.name == "fourier"):
        return None
    if type(objective).__call__ is not _REDUCED_OBJECTIVE_CALL:  # a subclass's (or a patched) objective
        return None
    kw = dict(objective=objective, optimizer=opt, params=params.parameters(), rng=rng, scheduler=sched)
    if isinstance(params, DirectFeatures):
        return HandWrittenFourierStep("direct", **kw)
    if not isinstance(params, (GeneratorFeatures, LatentFeatures)):
        return None
    layers = mlp_layers(params.generator)
    if layers is None:
        return None
    if isinstance(params, LatentFeatures):
        return HandWrittenFourierStep("latent", layers=layers, **kw)
    return HandWrittenFourierStep(
        "generator", layers=layers, n_features=params.n_features, latent_rng=params.rng, **kw
    )


def optimise(
    params: GeneratorFeatures | LatentFeatures | DirectFeatures,
    objective: ReducedObjective,
    steps: int,
    lr: float,
    val_every: int = 200,
    rng: torch.Generator | None = None,
    progress: bool = True,
    name: str = "",
    schedule: str = "constant",
) -> TrainingHistory:
    r"""Minimise the reduced objective over ``params`` with Adam and keep the best iterate.

    The validation MSE (``b`` solved on the training data) is measured at step 0, every
    ``val_every`` steps and after the last step; the parameters with the lowest value are
    restored at the end. A NaN or inf loss restores the best iterate and raises
    :class:`TrainingDivergedError` naming the step; Ctrl-C restores it, warns and returns
    with ``history.interrupted = True``.
    """
    step_fn = make_adam_step(params, objective, lr, rng, steps, schedule)
    history = TrainingHistory(name=name)
    losses = torch.full((steps,), math.nan, dtype=objective.X.dtype, device=objective.X.device)  # no per-step sync
    val_steps: list[int] = []
    val_mses: list[float] = []
    best_state, best_val, best_step = None, math.inf, 0
    start = time.perf_counter()

    def validate(step: int) -> None:
        nonlocal best_state, best_val, best_step
        val = float(objective.validation_mse(params.val_features()).mean())
        val_steps.append(step)
        val_mses.append(val)
        if val < best_val or best_state is None:
            best_state, best_val, best_step = params.snapshot(), val, step

    def check_finite(upto: int) -> None:
        bad = ~torch.isfinite(losses[:upto])
        if bool(bad.any()):
            first = int(bad.nonzero()[0])
            raise TrainingDivergedError(
                f"{name or 'training'}: the loss became {losses[first].item()} at step {first} "
                f"(lr={lr:g}). Try a smaller learning rate (e.g. lr={lr / 10:g}) or a larger "
                f"ridge. The best iterate so far (step {best_step}, validation MSE "
                f"{best_val:.3e}) has been restored."
            )

    bar = tqdm(total=steps, desc=name or "training", disable=not progress, leave=False)
    step = 0
    try:
        for step in range(steps):
            if step % val_every == 0:
                check_finite(step)
                validate(step)
                bar.set_postfix(val_mse=f"{val_mses[-1]:.3e}", refresh=False)
            losses[step] = step_fn()
            bar.update()
        step = steps
        check_finite(steps)
        validate(steps)
    except KeyboardInterrupt:
        history.interrupted = True
        warnings.warn(
            f"{name or 'training'} interrupted at step {step}: keeping the best iterate so far "
            f"(step {best_step}, validation MSE {best_val:.3e}).",
            RuntimeWarning,
            stacklevel=2,
        )
    except (TrainingDivergedError, RidgeSolveError) as err:
        if best_state is not None:
            params.restore(best_state)
        if isinstance(err, TrainingDivergedError):
            raise
        check_finite(step)  # a NaN loss before the breakdown is the better diagnosis
        raise TrainingDivergedError(
            f"{name or 'training'}: the ridge system broke down at step {step} (lr={lr:g}): {err} "
            f"Try a smaller learning rate (e.g. lr={lr / 10:g}). The best iterate so far "
            f"(step {best_step}) has been restored."
        ) from err
    finally:
        bar.close()
    if best_state is not None:
        params.restore(best_state)
    history.train_loss = losses[:step].cpu().numpy()
    history.val_steps = np.asarray(val_steps, dtype=int)
    history.val_mse = np.asarray(val_mses)
    history.best_step, history.best_val_mse = best_step, best_val
    history.wall_seconds = time.perf_counter() - start
    return history
