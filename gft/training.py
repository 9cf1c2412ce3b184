r"""One training loop (Adam, validation every k steps, best iterate, history, progress bar, callback) over any parameterisation of the features, for one model or ``B`` at once.

The parameterisations here:

- :class:`GeneratorFeatures` — GFT: train :math:`\theta` on :math:`E_z L(G_\theta(z))`, a fresh
  draw of ``N`` latents per step;
- :class:`LatentFeatures` — GFT-r: :math:`G_\theta` frozen, optimise one latent set ``z``;
- :class:`DirectFeatures` — VarPro: optimise ``W`` itself.

:class:`GeneratorFeatures` and :class:`LatentFeatures` take a
:class:`~gft.generator.GeneratorStack` as well as a :class:`~gft.Generator` (``B`` independent
members, see :func:`optimise`); :class:`DirectFeatures` trains one model. The NN baseline brings a fourth
(:class:`gft.baselines.nn.NetworkParameters`, ``W`` and ``b`` trained jointly).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import Tensor
from ._progress import progress_bar as tqdm

from .generator import Generator, GeneratorStack
from .objective import ReducedObjective
from .ridge import RidgeSolveError
from ._checkpoint import RunCheckpoint, rng_states, set_rng_states
from ._fourier.step import HandWrittenFourierStep, mlp_layers

__all__ = [
    "GeneratorFeatures",
    "LatentFeatures",
    "DirectFeatures",
    "TrainingHistory",
    "TrainingDivergedError",
    "TrainingInterruptedWarning",
    "optimise",
    "optimise_keeping_best",
    "make_adam_step",
    "resolve_engine",
    "check_engine",
    "ENGINES",
]


#: Learning-rate schedules of :func:`make_adam_step`.
SCHEDULES = ("constant", "cosine")


class TrainingDivergedError(FloatingPointError):
    """The training loss became NaN or inf; the best iterate so far has been restored.

    Raised by :func:`optimise` with ``history``: the :class:`TrainingHistory` of the run up
    to the divergence (marked ``diverged``; its best step is the restored iterate).
    """

    history: "TrainingHistory | None" = None


class TrainingInterruptedWarning(RuntimeWarning):
    """Ctrl-C stopped :func:`optimise`; the best iterate so far is kept (``history.interrupted``).

    Filter it by category (``warnings.filterwarnings("ignore", category=...)``) where a caller
    reports the interruption itself.
    """


@dataclass
class TrainingHistory:
    """What one run of :func:`optimise` did, for plots and model selection.

    Attributes
    ----------
    name : str
        The run's label (``optimise``'s ``name``; a checkpoint's phase key).
    train_loss : ndarray of shape (steps,)
        Loss of every step (MSE + λ·TV on the draw of that step).
    val_steps, val_mse : ndarray of shape (n_val,)
        Steps at which the validation MSE was measured, and its value.
    best_step, best_val_mse : int, float
        The iterate that was kept.
    wall_seconds : float
    interrupted : bool
        True when the run was stopped by Ctrl-C and the best iterate so far was kept.
    engine, engine_reason : str
        The engine that ran ("autograd" or "fused") and why (see :func:`resolve_engine`).
    diverged : bool or ndarray of shape (B,)
        Members of a batched run that diverged (they keep their best iterate).
    resumed_step, resumed_seconds : int, float
        Where the run went on from a checkpoint (see :func:`optimise`): the step it resumed
        at (the number of steps for a phase that had finished) and the wall time of the earlier
        run up to that save, included in ``wall_seconds``; 0 for a run that started afresh.

    In a batched run (``B`` members) ``train_loss`` is ``(steps, B)``, ``val_mse``
    ``(n_val, B)``, and ``best_step``, ``best_val_mse`` are arrays of shape ``(B,)``.
    """

    name: str = ""
    train_loss: np.ndarray = field(default_factory=lambda: np.zeros(0))
    val_steps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    val_mse: np.ndarray = field(default_factory=lambda: np.zeros(0))
    best_step: int = 0
    best_val_mse: float = math.inf
    wall_seconds: float = 0.0
    interrupted: bool = False
    engine: str = ""
    engine_reason: str = ""
    diverged: Any = False
    resumed_step: int = 0
    resumed_seconds: float = 0.0

    def member(self, i: int) -> "TrainingHistory":
        """Member ``i``'s history of a batched run (see :func:`optimise`); its ``wall_seconds``
        is its share of the run, the run's time divided by the number of members."""
        return TrainingHistory(
            name=self.name, train_loss=self.train_loss[:, i], val_steps=self.val_steps,
            val_mse=self.val_mse[:, i], best_step=int(self.best_step[i]),
            best_val_mse=float(self.best_val_mse[i]), wall_seconds=self.wall_seconds / self.val_mse.shape[1],
            interrupted=self.interrupted, engine=self.engine, engine_reason=self.engine_reason,
            diverged=bool(self.diverged[i]), resumed_step=self.resumed_step,
            resumed_seconds=self.resumed_seconds / self.val_mse.shape[1],
        )


def _members_of(generator: Generator | GeneratorStack) -> tuple[int, ...]:
    return (generator.n_members,) if isinstance(generator, GeneratorStack) else ()


class _Snapshots:
    """``snapshot()``: copies of the parameters (a list); ``restore(state)`` writes them back."""

    def snapshot(self) -> list[Tensor]:
        return [p.detach().clone() for p in self.parameters()]

    def restore(self, state: list[Tensor]) -> None:
        with torch.no_grad():
            for p, s in zip(self.parameters(), state):
                p.copy_(s)


class GeneratorFeatures(_Snapshots):
    r"""GFT: features :math:`G_\theta(z)` with :math:`z` redrawn every step; trains :math:`\theta`.

    Validation averages over ``n_val_draws`` feature sets whose latents are drawn once, so
    that successive validations compare the generator and not the luck of the draw. With a
    :class:`~gft.generator.GeneratorStack` of ``B`` members, ``rng`` is a sequence of ``B``
    generators, member ``i`` drawing from ``rng[i]``; features are then ``(B, N, D)``.
    """

    def __init__(
        self, generator: Generator | GeneratorStack, n_features: int, n_val_draws: int,
        rng: torch.Generator | Sequence[torch.Generator],
    ):
        self.generator = generator
        self.n_features = n_features
        self.rng = rng
        self.members = _members_of(generator)
        self.z_val = self._latents(n_val_draws)  # (*members, n_val, N, D)

    def _latents(self, *batch: int) -> Tensor:
        if self.members:
            return self.generator.sample_latents(self.n_features, *batch, generators=self.rng)
        return self.generator.sample_latents(self.n_features, *batch, generator=self.rng)

    def parameters(self) -> list[Tensor]:
        return list(self.generator.parameters())

    def train_features(self) -> Tensor:
        return self.generator(self._latents())  # (*members, N, D)

    def val_features(self) -> Tensor:
        return self.generator(self.z_val)  # (*members, n_val, N, D)



class LatentFeatures(_Snapshots):
    r"""GFT-r: one latent set ``z`` of shape ``(*members, N, D)`` optimised through a frozen :math:`G_\theta`."""

    def __init__(self, generator: Generator | GeneratorStack, z: Tensor):
        self.generator = generator.requires_grad_(False)
        self.members = _members_of(generator)
        self.z = z.detach().clone().requires_grad_(True)

    def parameters(self) -> list[Tensor]:
        return [self.z]

    def train_features(self) -> Tensor:
        return self.generator(self.z)

    def val_features(self) -> Tensor:
        return self.generator(self.z)



class DirectFeatures(_Snapshots):
    """VarPro: the features ``W`` of shape (N, D) themselves are the parameters."""

    members: tuple[int, ...] = ()

    def __init__(self, W: Tensor):
        self.W = W.detach().clone().requires_grad_(True)

    def parameters(self) -> list[Tensor]:
        return [self.W]

    def train_features(self) -> Tensor:
        return self.W

    def val_features(self) -> Tensor:
        return self.W


#: Engines of :func:`optimise` (and of the estimators' ``engine`` parameter).
ENGINES = ("auto", "autograd", "fused")


def _fused_unavailable(params, objective) -> str | None:
    """Why the fused engine cannot run ``params`` on ``objective``, or None when it can."""
    if not isinstance(objective, ReducedObjective):
        return f"the objective is a {type(objective).__name__}, not a ReducedObjective"
    if objective.activation.name != "fourier":
        return f"the fused engine implements 'fourier' features only, not {objective.activation.name!r}"
    if not isinstance(params, (GeneratorFeatures, LatentFeatures, DirectFeatures)):
        return f"the parameters are a {type(params).__name__}, not Generator/Latent/DirectFeatures"
    if not isinstance(params, DirectFeatures) and mlp_layers(params.generator) is None:
        return "the generator is not a Linear/ReLU stack with biases (gft.Generator)"
    if objective.members and tuple(params.members) != tuple(objective.members):
        return f"the parameters have members {tuple(params.members)} but the objective {tuple(objective.members)}"
    plist = params.parameters()
    if len({(p.device, p.dtype) for p in plist}) != 1 or not plist[0].dtype.is_floating_point:
        return "the parameters do not share one floating-point dtype and device"
    return None


def check_engine(engine: Any) -> None:
    """``ValueError`` naming the valid engines unless ``engine`` is one of :data:`ENGINES`."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {list(ENGINES)}, got {engine!r}")


def resolve_engine(
    engine: str, params: GeneratorFeatures | LatentFeatures | DirectFeatures, objective: ReducedObjective
) -> tuple[str, str]:
    """The engine that will run and why: ``(name, reason)`` with ``name`` "autograd" or "fused".

    ``"auto"`` picks ``"fused"`` where it applies (Fourier features, a Linear/ReLU generator
    or the features themselves) and otherwise ``"autograd"``, with the reason in
    ``reason``. An explicit ``"fused"`` that cannot run raises ``ValueError`` saying why.
    The fused engine computes the definition, ``ReducedObjective.__call__``, by hand: a
    subclass that changes ``__call__`` needs ``engine="autograd"``.

    Parameters
    ----------
    engine : {"auto", "autograd", "fused"}
        The requested engine; any other name raises ``ValueError`` listing the valid ones.
    params : GeneratorFeatures, LatentFeatures or DirectFeatures
        What is trained: a generator's weights, a latent set, or the features.
    objective : ReducedObjective

    Returns
    -------
    name, reason : str
    """
    check_engine(engine)
    if engine == "autograd":
        return "autograd", "asked for"
    why_not = _fused_unavailable(params, objective)
    if engine == "fused":
        if why_not is not None:
            raise ValueError(f"engine='fused' cannot run here: {why_not}. Use engine='autograd' or 'auto'.")
        return "fused", "asked for"
    if why_not is not None:
        return "autograd", why_not
    return "fused", "auto: Fourier features"


class _AutogradStep:
    """One Adam step through ``ReducedObjective.__call__`` and ``loss.backward()``."""

    def __init__(self, params, objective, optimizer, rng, scheduler):
        self.params, self.objective, self.optimizer = params, objective, optimizer
        self.rng, self.scheduler = rng, scheduler

    def __call__(self) -> Tensor:
        W = self.params.train_features()
        finite = None
        if getattr(self.params, "members", ()):
            # a member whose features are no longer finite (it diverged) steps on zero
            # features and reports a NaN loss: its NaN must not break the others' ridge solves
            finite = _finite_members(W)
            W = _on_zeros_unless(finite, W)
        loss, _, _ = self.objective(W, self.rng)
        self.optimizer.zero_grad(set_to_none=True)
        # members are independent: the gradient of the sum is each member's own gradient
        (loss.sum() if loss.dim() else loss).backward()
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        loss = loss.detach()
        return loss if finite is None else torch.where(finite, loss, torch.full_like(loss, math.nan))

    def check(self) -> None:
        """Nothing deferred: :func:`gft.ridge_solve` raises at the step that fails."""


def make_adam_step(
    params: GeneratorFeatures | LatentFeatures | DirectFeatures,
    objective: ReducedObjective,
    lr: float,
    rng: torch.Generator | None = None,
    total_steps: int | None = None,
    schedule: str = "constant",
    engine: str = "auto",
) -> Callable[[], Tensor]:
    """One Adam step on the reduced objective: draw features, loss, backward, update.

    ``schedule="cosine"`` decays the learning rate from ``lr`` to ``lr / 100`` over
    ``total_steps`` steps (cosine annealing); ``"constant"`` keeps it (the paper's choice).
    ``engine`` is resolved by :func:`resolve_engine`; the returned step has attributes
    ``engine`` and ``engine_reason``. Calling it performs a step and returns the detached
    loss (the fused engine without a device synchronisation; the autograd engine's
    :func:`gft.ridge_solve` reads the factorisation status on the host); its ``check()`` raises
    :class:`~gft.RidgeSolveError` when a ridge system failed since the last check.

    Parameters
    ----------
    params : GeneratorFeatures, LatentFeatures or DirectFeatures
        The trained tensors and how they give features ``W`` of shape ``(*, N, D)``.
    objective : ReducedObjective
    lr : float
        Adam's learning rate (the start of the schedule).
    rng : torch.Generator, optional
        For the TV points (a sequence of ``B`` in a batched run); the latents of
        :class:`GeneratorFeatures` come from its own ``rng``.
    total_steps : int, optional
        Length of the run, the period of ``schedule="cosine"`` (which raises ``ValueError``
        without it).
    schedule : {"constant", "cosine"}
    engine : {"auto", "autograd", "fused"}

    Returns
    -------
    callable
        ``step() -> Tensor``: the loss of the step, shape ``()`` or ``(B,)``.
    """
    name, reason = resolve_engine(engine, params, objective)
    plist = params.parameters()
    # The fused kernel updates all parameters in one pass (several times faster than the
    # default on the 3x512 generator); it needs floating-point tensors on CPU or CUDA.
    fused = all(p.dtype.is_floating_point and p.device.type in ("cpu", "cuda") for p in plist)
    opt = torch.optim.Adam(plist, lr=lr, fused=fused)
    if schedule not in SCHEDULES:
        raise ValueError(f"Unknown schedule {schedule!r}. Must be one of {list(SCHEDULES)}")
    sched = None
    if schedule == "cosine":
        if total_steps is None:  # without it CosineAnnealingLR's period would be 2 steps
            raise ValueError("schedule='cosine' needs total_steps, the length of the run it anneals over")
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(
            opt, T_max=max(int(total_steps), 1), eta_min=lr / 100
        )
    step = (_fused_step(params, objective, opt, rng, sched) if name == "fused"
            else _AutogradStep(params, objective, opt, rng, sched))
    step.engine, step.engine_reason = name, reason
    return step


def _fused_step(params, objective, opt, rng, sched) -> HandWrittenFourierStep:
    kw = dict(objective=objective, optimizer=opt, params=params.parameters(), rng=rng, scheduler=sched,
              members=tuple(params.members))
    if isinstance(params, DirectFeatures):
        return HandWrittenFourierStep("direct", **kw)
    layers = mlp_layers(params.generator)
    if isinstance(params, LatentFeatures):
        return HandWrittenFourierStep("latent", layers=layers, **kw)
    return HandWrittenFourierStep(
        "generator", layers=layers, n_features=params.n_features, latent_rng=params.rng, **kw
    )


def optimise_keeping_best(*args: Any, name: str = "", **kwargs: Any) -> tuple[TrainingHistory, TrainingDivergedError | None]:
    """:func:`optimise` for an estimator's ``fit``: a divergence is returned, not raised.

    ``optimise`` restores the best iterate before it raises :class:`TrainingDivergedError`,
    so the caller can still set its fitted attributes from the parameters and then re-raise
    the error it gets back; the history is then the run's up to the divergence, marked
    ``diverged`` (its ``best_step`` and ``best_val_mse`` are those of the restored iterate).

    Returns
    -------
    history : TrainingHistory
    error : TrainingDivergedError or None
    """
    try:
        return optimise(*args, name=name, **kwargs), None
    except TrainingDivergedError as err:
        return err.history or TrainingHistory(name=name, diverged=True), err


def optimise(
    params: GeneratorFeatures | LatentFeatures | DirectFeatures,
    objective: ReducedObjective,
    steps: int,
    lr: float,
    val_every: int = 200,
    rng: torch.Generator | Sequence[torch.Generator] | None = None,
    progress: bool = True,
    name: str = "",
    schedule: str = "constant",
    engine: str = "auto",
    callback: Callable[[int, Tensor], Any] | None = None,
    checkpoint: RunCheckpoint | None = None,
) -> TrainingHistory:
    r"""Minimise the reduced objective over ``params`` with Adam and keep the best iterate.

    The validation MSE (``b`` solved on the training data) is measured at step 0, every
    ``val_every`` steps and after the last step; the parameters with the lowest value are
    restored at the end. The loss and the ridge factorisations are checked at those
    validations (the fused engine reads nothing from the device in between): a NaN or inf loss restores the best
    iterate and raises :class:`TrainingDivergedError` naming the first bad step, as does a
    ridge system that could not be factorised; Ctrl-C restores it, warns
    (:class:`TrainingInterruptedWarning`) and returns with ``history.interrupted = True``.

    **Members.** Parameters over a :class:`~gft.generator.GeneratorStack` (``params.members
    == (B,)``) with a batched objective train ``B`` independent models in one run, each as
    it would train alone: ``rng`` is then a sequence of ``B`` generators, and validation,
    the best iterate and divergence are per member. A member whose loss becomes NaN or inf,
    or (fused engine) whose ridge system fails, is marked in ``history.diverged`` and keeps its
    best iterate while the others go on; only when every member has diverged does the run
    raise. (On the autograd engine a diverged member's non-finite features are replaced by
    zeros in its later steps, so the batched ridge solve goes on for the others; a ridge
    system that fails with finite features stops the run.) The
    history's arrays then have a trailing member axis (``best_step`` and ``best_val_mse`` of
    shape ``(B,)``); :meth:`TrainingHistory.member` gives one member's history.

    Parameters
    ----------
    params : GeneratorFeatures, LatentFeatures or DirectFeatures
        What is trained: a generator's weights (features drawn afresh each step), one
        latent draw of a frozen generator, or the features themselves.
    objective : ReducedObjective
        The reduced objective :math:`L(w)` (data, split, TV weight, ridge).
    steps : int
        Adam steps.
    lr : float
        Adam's learning rate (the start of the schedule).
    val_every : int
        Steps between validations.
    rng : torch.Generator or sequence of B of them, optional
        Draws of the TV points. The latents of :class:`GeneratorFeatures` come from that
        object's own ``rng``.
    progress : bool
        Show a tqdm progress bar.
    name : str
        Label of the bar, the history and the error messages.
    schedule : {"constant", "cosine"}
        Learning rate: constant, or cosine-annealed to ``lr / 100``.
    engine : {"auto", "autograd", "fused"}
        See :func:`resolve_engine`; the engine that ran is ``history.engine``.
    callback : callable, optional
        ``callback(step, loss)`` after every step, ``loss`` the step's loss (shape
        ``members``) as a tensor on the training device (reading its value synchronises).
        An exception raised by the callback stops the run like one raised by the step:
        ``KeyboardInterrupt`` keeps the best iterate and returns, anything else restores it
        and propagates.
    checkpoint : RunCheckpoint, optional
        (:func:`gft.fit_batched` and the estimators' ``fit`` make one.) At a validation step, at most
        every ``checkpoint.every_seconds``, the state of the run is saved under the phase
        ``name``, and once more when the phase ends (not after Ctrl-C or an error: the last
        save stays). Given a checkpoint with a save of this
        phase, the run restores it and goes on from that step (a finished phase is restored
        whole), as the run that wrote it would have gone on: bit for bit on the same machine
        and code. Everything else must be as in that run (the same objects, seeded alike);
        the history records ``resumed_step`` and ``resumed_seconds``.

    Returns
    -------
    TrainingHistory
        Training loss per step, validation MSE per validation, the kept step and its
        validation MSE, wall time, the engine that ran (and why), ``interrupted`` and
        ``diverged``.

    Raises
    ------
    TrainingDivergedError
        When the loss becomes NaN or inf or a ridge system breaks down (of a batched run:
        when every member has); ``err.history`` holds the history up to then.

    Warns
    -----
    TrainingInterruptedWarning
        When Ctrl-C stopped the run (the best iterate is kept, ``history.interrupted``).
    """
    step_fn = make_adam_step(params, objective, lr, rng, steps, schedule, engine)
    members = tuple(getattr(params, "members", ()))
    if members:
        return _optimise_members(params, objective, steps, val_every, progress, name, step_fn,
                                 lr, callback, members, rng, checkpoint)
    return _optimise_single(params, objective, steps, val_every, progress, name, step_fn, lr, callback,
                            rng, checkpoint)


def _saved_state(done: bool, step: int, params, generators, losses: Tensor, best_state, step_fn,
                 seconds: float, **record: Any) -> dict[str, Any]:
    """What the rest of a phase depends on, as copies (of a finished phase: its outcome):
    the trained tensors, the random generators' states, the losses so far, the loop's
    ``record`` (validations, best values and steps), and while it runs the best iterate and
    the optimizer's and the schedule's states."""
    kept = dict(done=done, step=step, params=[t.detach().clone() for t in params.parameters()],
                rngs=rng_states(generators), losses=losses[:step].clone(), seconds=seconds, **record)
    if not done:
        kept.update(best_state=[t.clone() for t in best_state], optimizer=step_fn.optimizer.state_dict(),
                    scheduler=None if step_fn.scheduler is None else step_fn.scheduler.state_dict())
    return kept


def _restore_saved(saved: dict[str, Any], params, generators, losses: Tensor, step_fn) -> tuple[int, float]:
    """Put a run back where :func:`_saved_state` left it; returns the step to go on from and
    the wall time spent up to the save. The loop's record and best iterate are the caller's
    to read from ``saved``."""
    params.restore(saved["params"])
    set_rng_states(generators, saved["rngs"])
    first = int(saved["step"])
    losses[:first] = saved["losses"]
    if not saved["done"]:
        step_fn.optimizer.load_state_dict(saved["optimizer"])
        if step_fn.scheduler is not None:
            step_fn.scheduler.load_state_dict(saved["scheduler"])
    return first, float(saved["seconds"])


def _optimise_single(params, objective, steps, val_every, progress, name, step_fn, lr, callback,
                     rng=None, ckpt: RunCheckpoint | None = None) -> TrainingHistory:
    """:func:`optimise` for one model."""
    history = TrainingHistory(name=name, engine=step_fn.engine, engine_reason=step_fn.engine_reason)
    device = objective.X.device
    losses = torch.full((steps,), math.nan, dtype=torch.float64, device=device)
    val_steps: list[int] = []
    val_mses: list[float] = []
    best_state, best_val, best_step = None, math.inf, 0
    generators = _rng_list(params, rng)
    first, earlier = 0, 0.0  # where a resumed run starts, and the wall time before that save
    saved = ckpt.phase(name) if ckpt is not None else None
    if saved is not None:
        first, earlier = _restore_saved(saved, params, generators, losses, step_fn)
        val_steps = [int(v) for v in saved["val_steps"]]
        val_mses = [float(v) for v in saved["val_mse"]]
        best_val, best_step = float(saved["best_val"]), int(saved["best_step"])
        if not saved["done"]:
            best_state = [t.to(device) for t in saved["best_state"]]
    history.resumed_step, history.resumed_seconds = first, earlier
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

    def state(step: int, done: bool) -> dict[str, Any]:
        return _saved_state(done, step, params, generators, losses, best_state, step_fn,
                            earlier + time.perf_counter() - start, val_steps=list(val_steps),
                            val_mse=torch.tensor(val_mses, dtype=torch.float64),
                            best_val=best_val, best_step=best_step)

    def at_validation(step: int) -> None:
        check_finite(step)
        step_fn.check()
        validate(step)
        if ckpt is not None and step < steps and ckpt.due():
            ckpt.save(name, state(step, done=False))

    def record(step: int) -> TrainingHistory:
        history.train_loss = losses[:step].cpu().numpy()
        history.val_steps = np.asarray(val_steps, dtype=int)
        history.val_mse = np.asarray(val_mses)
        history.best_step, history.best_val_mse = best_step, best_val
        history.wall_seconds = earlier + time.perf_counter() - start
        return history

    if saved is not None and saved["done"]:  # the phase had finished: its outcome, as it was
        out = record(first)
        out.wall_seconds = earlier
        return out
    bar = tqdm(total=steps, initial=first, desc=name or "training", disable=not progress, leave=False)
    at = [first]
    try:
        _run_steps(step_fn, losses, steps, val_every, at_validation, callback, bar,
                   lambda: dict(val_mse=f"{val_mses[-1]:.3e}"), at, start=first, resumed=saved is not None)
    except KeyboardInterrupt:
        step = at[0]
        history.interrupted = True
        warnings.warn(
            f"{name or 'training'} interrupted at step {step}: keeping the best iterate so far "
            f"(step {best_step}, validation MSE {best_val:.3e}).",
            TrainingInterruptedWarning,
            stacklevel=3,
        )
    except BaseException as err:
        step = at[0]
        if best_state is not None:
            params.restore(best_state)
        failure = err
        if isinstance(err, RidgeSolveError):
            try:
                check_finite(step)  # a NaN loss before the breakdown is the better diagnosis
                failure = TrainingDivergedError(
                    f"{name or 'training'}: the ridge system broke down at or before step {step} "
                    f"(lr={lr:g}): {err} Try a smaller learning rate (e.g. lr={lr / 10:g}). The "
                    f"best iterate so far (step {best_step}) has been restored."
                )
                failure.__cause__ = err
            except TrainingDivergedError as nan_loss:
                failure = nan_loss
        if isinstance(failure, TrainingDivergedError):
            failure.history = record(step)
            failure.history.diverged = True
        if failure is err:
            raise
        raise failure
    finally:
        bar.close()
    if best_state is not None:
        params.restore(best_state)
    if ckpt is not None and not history.interrupted:
        ckpt.save(name, state(at[0], done=True))
    return record(at[0])


def _run_steps(step_fn, losses, steps, val_every, checkpoint, callback, bar, postfix, at, start=0,
               resumed=False) -> None:
    """Steps ``start .. steps - 1`` with ``checkpoint(step)`` before every ``val_every``-th step
    and after the last; ``at[0]`` is the step reached, for the caller's error paths. A
    ``resumed`` run had its checkpoint at ``start`` (step 0 included) before it was saved."""
    for step in range(start, steps):
        at[0] = step
        if step % val_every == 0 and (step > start or not resumed):
            checkpoint(step)
            bar.set_postfix(**postfix(), refresh=False)
        losses[step] = step_fn()
        if callback is not None:
            callback(step, losses[step])
        bar.update()
    at[0] = steps
    checkpoint(steps)


def _keep_where(best: list[Tensor], current: list[Tensor], improved: Tensor) -> list[Tensor]:
    """Per member (leading axis): ``current`` where ``improved``, else ``best``."""
    return [torch.where(improved.view(-1, *([1] * (c.dim() - 1))), c, b) for b, c in zip(best, current)]


def _finite_members(W: Tensor) -> Tensor:
    """Whether each member's features (leading axis of ``W``) are all finite, shape (B,)."""
    return torch.isfinite(W.detach().flatten(1)).all(1)


def _on_zeros_unless(ok: Tensor, W: Tensor) -> Tensor:
    """``W`` with the members that are not ``ok`` on zero features: a well-posed ridge system,
    so that a diverged member cannot stop the others' batched solve."""
    return _keep_where([W.new_zeros(())], [W], ok)[0]


def _rng_list(params, rng) -> list[torch.Generator]:
    """Every random generator a run draws from (the TV points', the latents'), each once."""
    found: dict[int, torch.Generator] = {}
    for source in (rng, getattr(params, "rng", None)):
        for g in (source if isinstance(source, (list, tuple)) else [source]):
            if isinstance(g, torch.Generator):
                found.setdefault(id(g), g)
    return list(found.values())


def _optimise_members(params, objective, steps, val_every, progress, name, step_fn, lr, callback,
                      members, rng=None, ckpt: RunCheckpoint | None = None) -> TrainingHistory:
    """:func:`optimise` for ``B`` members: per-member validation, best iterate and divergence."""
    (B,) = members
    label = name or "training"
    history = TrainingHistory(name=name, engine=step_fn.engine, engine_reason=step_fn.engine_reason)
    device = objective.X.device
    losses = torch.full((steps, B), math.nan, dtype=torch.float64, device=device)
    val_steps: list[int] = []
    val_mses: list[np.ndarray] = []
    best_state = params.snapshot()
    best_val = np.full(B, math.inf)
    best_step = np.zeros(B, dtype=int)
    diverged = np.zeros(B, dtype=bool)
    checked = 0  # losses up to here have been checked
    generators = _rng_list(params, rng)
    first, earlier = 0, 0.0  # where a resumed run starts, and the wall time before that save
    saved = ckpt.phase(name) if ckpt is not None else None
    if saved is not None:
        first, earlier = _restore_saved(saved, params, generators, losses, step_fn)
        checked = int(saved["checked"])
        val_steps = [int(v) for v in saved["val_steps"]]
        val_mses = list(saved["val_mse"].numpy())
        best_val, best_step = saved["best_val"].numpy().copy(), saved["best_step"].numpy().copy()
        diverged = saved["diverged"].numpy().copy()
        if not saved["done"]:
            best_state = [t.to(device) for t in saved["best_state"]]
    history.resumed_step, history.resumed_seconds = first, earlier
    start = time.perf_counter()

    def mark_diverged(upto: int) -> None:
        nonlocal checked
        bad = ~torch.isfinite(losses[checked:upto]).all(0)
        failed = step_fn.failed_members() if hasattr(step_fn, "failed_members") else None
        if failed is not None:
            bad |= failed
        diverged[bad.cpu().numpy()] = True
        checked = upto
        if diverged.all():
            params.restore(best_state)
            raise TrainingDivergedError(
                f"{label}: every member diverged (the loss became NaN or inf, or a ridge system "
                f"broke down) by step {upto} (lr={lr:g}). Try a smaller learning rate (e.g. "
                f"lr={lr / 10:g}). The best iterates so far have been restored."
            )

    def validate(step: int) -> None:
        nonlocal best_state
        W = params.val_features()  # (B, *, N, D)
        ok = _finite_members(W) & torch.as_tensor(~diverged, device=W.device)
        # a member with non-finite features is validated on zeros and its value discarded
        W = _on_zeros_unless(ok, W)
        val = objective.validation_mse(W).reshape(B, -1).mean(1)
        val = torch.where(ok, val, torch.full_like(val, math.nan)).cpu().numpy()
        val_steps.append(step)
        val_mses.append(val)
        improved = val < best_val  # NaN never improves
        if improved.any():
            best_state = _keep_where(best_state, params.snapshot(), torch.as_tensor(improved, device=device))
            best_val[improved], best_step[improved] = val[improved], step

    def state(step: int, done: bool) -> dict[str, Any]:
        return _saved_state(done, step, params, generators, losses, best_state, step_fn,
                            earlier + time.perf_counter() - start, val_steps=list(val_steps),
                            val_mse=torch.from_numpy(np.stack(val_mses)), best_val=torch.from_numpy(best_val.copy()),
                            best_step=torch.from_numpy(best_step.copy()), diverged=torch.from_numpy(diverged.copy()),
                            checked=checked)

    def checkpoint(step: int) -> None:
        mark_diverged(step)
        validate(step)
        if ckpt is not None and step < steps and ckpt.due():
            ckpt.save(name, state(step, done=False))

    def record(step: int) -> TrainingHistory:
        history.train_loss = losses[:step].cpu().numpy()
        history.val_steps = np.asarray(val_steps, dtype=int)
        history.val_mse = np.stack(val_mses) if val_mses else np.zeros((0, B))
        history.best_step, history.best_val_mse = best_step, best_val
        history.diverged = diverged
        history.wall_seconds = earlier + time.perf_counter() - start
        return history

    if saved is not None and saved["done"]:  # the phase had finished: its outcome, as it was
        out = record(first)
        out.wall_seconds = earlier
        return out
    bar = tqdm(total=steps, initial=first, desc=label, disable=not progress, leave=False)
    at = [first]
    try:
        _run_steps(step_fn, losses, steps, val_every, checkpoint, callback, bar,
                   lambda: dict(best_val_mse=f"{np.nanmin(best_val):.3e}"), at, start=first,
                   resumed=saved is not None)
    except KeyboardInterrupt:
        history.interrupted = True
        warnings.warn(f"{label} interrupted at step {at[0]}: keeping each member's best iterate so far.",
                      TrainingInterruptedWarning, stacklevel=3)
    except BaseException as err:
        params.restore(best_state)
        if isinstance(err, TrainingDivergedError):
            err.history = record(at[0])
        raise
    finally:
        bar.close()
    params.restore(best_state)
    if ckpt is not None and not history.interrupted:
        ckpt.save(name, state(at[0], done=True))
    return record(at[0])
