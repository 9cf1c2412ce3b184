"""scikit-learn estimators: the shared base (validation, presets, devices, seeding) and :class:`GFTRegressor`."""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import warnings
from numbers import Integral, Real
from typing import Any, NoReturn, Sequence

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._checkpoint import RunCheckpoint
from .features import ACTIVATIONS, Activation, design_matrix, get_activation
from .generator import Generator, GeneratorStack
from .objective import ReducedObjective
from .presets import PRESETS, get_preset
from .ridge import RidgeSolveError, ridge_coefficients
from .training import (
    ENGINES,
    SCHEDULES,
    GeneratorFeatures,
    LatentFeatures,
    TrainingDivergedError,
    TrainingHistory,
    optimise_keeping_best,
)

__all__ = ["FeatureRegressorBase", "GFTRegressor", "fit_batched", "resolve_device"]

_DTYPES = {"float32": torch.float32, "float64": torch.float64}
#: Smallest and largest nonzero max |y| accepted by ``fit``: the squared errors of such targets
#: and the spread of a search's MSEs (y to the fourth power) are normal float64 numbers, even
#: for errors far larger than y (a poor candidate of a search).
_Y_PEAK_RANGE = (1e-60, 1e60)
#: Rows per chunk in ``predict``: bounds memory (a chunk's design matrix) for large inputs.
_PREDICT_CHUNK = 8192


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; anything else is passed to ``torch.device``."""
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}") from err
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for but CUDA is not available here")
    return dev


@contextlib.contextmanager
def _seeded(device: torch.device, seed: int):
    """A ``torch.Generator`` seeded with ``seed``, with torch's global generator forked and
    seeded alike: module initialisation draws from the global one, so two fits with the same
    ``random_state`` agree and the caller's random state is untouched."""
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        yield torch.Generator(device=device).manual_seed(seed)


class FeatureRegressorBase(RegressorMixin, BaseEstimator):
    """Shared machinery of the thin-network regressors.

    Subclasses implement ``_fit_scaled(X_tr, y_tr, X_val, y_val, device, dtype, rng, checkpoint)`` on
    tensors with ``y`` already divided by ``y_scale_``, and set ``features_`` (N, D) and
    ``coef_`` (P,) as NumPy arrays. The base validates input, splits off the validation
    rows (the last ones, as in the paper), scales ``y`` by its root mean square (so a ``y``
    of scale 1e6 or 1e-6 trains like one of scale 1; ``max |y|`` beyond 1e±60, where squared
    errors leave float64, is refused with a ``ValueError``; the TV weight is divided by the same
    factor so that the objective is the one in the data's units, up to a constant), seeds
    torch from ``random_state``, and moves the fitted model to the CPU so that it pickles
    and predicts anywhere.

    Parameters are checked at ``fit``, never in ``__init__``: first against
    ``_parameter_constraints`` (scikit-learn's declarative constraints; a subclass extends
    the dict with its own parameters), then by ``_check_params`` for what a constraint
    cannot express. Both raise scikit-learn's ``InvalidParameterError``, a ``ValueError``
    that names the estimator, the parameter and the value.
    """

    #: Keyword dicts by preset name; see :meth:`from_preset`.
    presets: dict[str, dict[str, Any]] = {}

    #: The parameters every subclass has; a subclass adds its own (scikit-learn's format).
    _parameter_constraints: dict[str, list[Any]] = {
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS)), Activation],
        "ridge": [Interval(Real, 0, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "dtype": [StrOptions(set(_DTYPES))],
        "device": [str, torch.device],  # which strings: resolve_device
        "random_state": ["random_state"],
        "progress": ["boolean"],
    }

    @classmethod
    def from_preset(cls, preset: str, **overrides: Any) -> "FeatureRegressorBase":
        """An estimator with the keyword arguments of ``preset``, updated by ``overrides``."""
        return cls(**{**get_preset(preset, cls.presets), **overrides})

    # -- validation -------------------------------------------------------------------
    def _check_params(self) -> None:
        """The checks ``_parameter_constraints`` cannot express, run at ``fit`` after those;
        a subclass extends this. Here: a bool is not a number (an ``Interval`` takes ``True``
        for 1)."""
        for name, constraints in self._parameter_constraints.items():
            if isinstance(getattr(self, name), bool) and any(isinstance(c, Interval) for c in constraints):
                self._invalid(name, "a number, not a bool")

    def _invalid(self, name: str, requirement: str) -> NoReturn:
        """Raise ``InvalidParameterError`` for parameter ``name``, in scikit-learn's wording."""
        raise InvalidParameterError(
            f"The {name!r} parameter of {type(self).__name__} must be {requirement}. "
            f"Got {getattr(self, name)!r} instead."
        )

    def _split(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        n = X.shape[0]
        n_val = int(math.ceil(self.validation_fraction * n))
        if n - n_val < 2 or n_val < 1:
            raise ValueError(
                f"Found {n} sample(s), but validation_fraction={self.validation_fraction} needs at "
                "least 2 training and 1 validation sample; pass more data or change "
                "validation_fraction."
            )
        return X[: n - n_val], y[: n - n_val], X[n - n_val :], y[n - n_val :]

    def fit(self, X: Any, y: Any, checkpoint: str | os.PathLike | None = None,
            checkpoint_every: float = 600.0) -> "FeatureRegressorBase":
        """Fit on ``X`` of shape (M, d) and ``y`` of shape (M,); returns ``self``.

        Parameters
        ----------
        X, y : array-like of shapes (M, d) and (M,)
        checkpoint : path-like, optional
            For long fits (the paper's budgets last an hour or more): a file in which the
            training keeps its state, at a validation step at most every ``checkpoint_every``
            seconds and when a phase ends. A fit given a file that a stopped fit of the same
            estimator and data wrote goes on from its last save (on the same machine and code
            it ends bit for bit as an uninterrupted fit; ``history_`` records ``resumed_step``
            and ``resumed_seconds``); a file written for another fit is ignored with a
            warning and overwritten. Resuming needs an int ``random_state``: with ``None``
            each fit draws another seed (a warning says so). The file is removed when the
            fit ends, by divergence too (a rerun would diverge again), unless Ctrl-C stopped
            it. Beside it, ``<file>.json`` says in plain JSON how far each phase got (step,
            seconds), for progress reports; it goes with the file. Estimators that do not
            train iteratively (random and sparse random features) never write it, but like
            every fit they remove a file at that path when they end.
        checkpoint_every : float
            Least seconds between two saves of an unfinished phase.
        """
        tensors, device, dtype, seed = self._prepare_fit(X, y)
        saved = None
        if checkpoint is not None:
            _warn_if_unseeded([self.random_state])
            saved = RunCheckpoint(checkpoint, _checkpoint_key([self], [(tensors, seed)], device, dtype),
                                  checkpoint_every)
        try:
            with _seeded(device, seed) as rng:
                self._fit_scaled(*tensors, device=device, dtype=dtype, rng=rng, checkpoint=saved)
        except TrainingDivergedError:
            if saved is not None:  # a rerun would diverge again: nothing to go on from
                saved.remove()
            raise
        if saved is not None and not _interrupted(self):
            saved.remove()  # a Ctrl-C keeps the file: its last save is where a rerun goes on
        return self

    def _scaled_tv_weight(self) -> float:
        r"""The TV weight on the scaled targets: :math:`\lambda / s` with :math:`s` = ``y_scale_``.

        TV is linear in the output weights, so on ``y / s`` it is :math:`1/s` of TV in the
        data's units while the MSE is :math:`1/s^2` of it; dividing :math:`\lambda` by
        :math:`s` keeps the objective the one in the data's units, up to the factor :math:`s^2`.
        """
        return self.tv_weight / self.y_scale_

    def _prepare_fit(self, X: Any, y: Any) -> tuple[list[torch.Tensor], torch.device, torch.dtype, int]:
        """Validate, scale ``y``, split; set ``y_scale_``, ``X_train_``, ``y_train_``; return the
        tensors ``(X_tr, y_tr, X_val, y_val)``, the device, the dtype and the torch seed."""
        self._validate_params()  # scikit-learn, against _parameter_constraints
        self._check_params()
        X, y = validate_data(self, X, y, y_numeric=True, dtype=[np.float64, np.float32])
        # contiguous: torch takes no arrays with negative strides (a reversed view, X[::-1])
        X = np.ascontiguousarray(X, dtype=np.float64)
        y = np.ascontiguousarray(y, dtype=np.float64)
        peak = float(np.max(np.abs(y), initial=0.0))
        if not (peak == 0.0 or _Y_PEAK_RANGE[0] <= peak <= _Y_PEAK_RANGE[1]):
            # squared errors of such targets overflow or underflow in float64 (the root mean
            # square that scales y, validation and held-out MSEs): silently wrong fits otherwise
            raise ValueError(
                f"max |y| is {peak:.3g}; targets must lie within {_Y_PEAK_RANGE[0]:g} to {_Y_PEAK_RANGE[1]:g} "
                "in magnitude (their squared errors must be float64 numbers): rescale y (e.g. divide it by "
                "its largest value) and scale the predictions back."
            )
        rms = float(np.sqrt(np.mean(y**2)))
        self.y_scale_ = rms if rms > 0 else 1.0
        X_tr, y_tr, X_val, y_val = self._split(X, y / self.y_scale_)
        device = resolve_device(self.device)
        dtype = _DTYPES[self.dtype]
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        # np.array copies: torch warns on read-only (memory-mapped) inputs otherwise.
        tensors = [torch.as_tensor(np.array(a), dtype=dtype, device=device) for a in (X_tr, y_tr, X_val, y_val)]
        self.X_train_, self.y_train_ = X_tr, y_tr  # kept for predict_generator / re-solves
        return tensors, device, dtype, seed

    def _fit_scaled(self, X_tr, y_tr, X_val, y_val, *, device, dtype, rng, checkpoint=None) -> None:
        """Fit on the scaled, split data; ``checkpoint``: a :class:`~gft._checkpoint.RunCheckpoint`
        that iterative training saves to and resumes from (others ignore it)."""
        raise NotImplementedError

    # -- prediction -------------------------------------------------------------------
    def _predict_with(self, X: np.ndarray, W: np.ndarray, coef: np.ndarray) -> np.ndarray:
        # contiguous: torch takes no arrays with negative strides (a reversed view, X[::-1])
        X = np.ascontiguousarray(X, dtype=np.float64)
        Wt, bt = torch.as_tensor(W), torch.as_tensor(coef)
        out = []
        for start in range(0, X.shape[0], _PREDICT_CHUNK):
            A = design_matrix(torch.as_tensor(X[start : start + _PREDICT_CHUNK]), Wt, self.activation)
            pred = A @ bt
            out.append((pred.real if pred.is_complex() else pred).numpy())
        return np.concatenate(out) * self.y_scale_ if out else np.zeros(0)

    def predict(self, X: Any) -> np.ndarray:
        """Predictions of shape (M,) for ``X`` of shape (M, d), as a NumPy float64 array."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return self._predict_with(X, self.features_, self.coef_)

    def _coef_on_training_split(self, W: torch.Tensor | np.ndarray) -> np.ndarray:
        """``b`` (P,) for features ``W`` (N, D) solved on the stored training split.

        The final coefficients of every estimator come from this one float64 CPU solve
        (:func:`gft.ridge.ridge_coefficients`), so predictions do not depend on the training
        dtype or device.
        """
        W = torch.as_tensor(W).detach().to(torch.float64).cpu()
        A = design_matrix(torch.tensor(self.X_train_), W, self.activation)
        return ridge_coefficients(A, torch.tensor(self.y_train_), self.ridge).numpy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.single_output = True
        tags.non_deterministic = False
        return tags


class GFTRegressor(FeatureRegressorBase):
    r"""Generative feature training of a thin 2-layer network (Hertrich & Neumayer).

    .. math:: f(x) = \mathrm{Re}\,(A(x)\, b) = \mathrm{Re}\sum_{l=1}^N b_l \Phi(\langle w_l, \tilde x\rangle)/N,
              \qquad w_l = G_\theta(z_l),\ z_l\sim \mathcal{N}(0, I),

    (the sum as written is ``fourier``'s; ``fourier-real`` has a cos and a sin column per
    feature, bias activations a constant column: :math:`P` columns in all), with
    :math:`b = \hat b(w)` the ridge solution on the training data. ``fit`` trains
    :math:`\theta` for ``generator_steps`` Adam steps on the reduced objective (MSE +
    ``tv_weight`` · TV), then refines one drawn latent set for ``refine_steps`` steps
    (GFT-r), keeping the iterate with the best validation MSE.

    Parameters
    ----------
    n_features : int
        ``N``.
    activation : {"fourier", "fourier-real", "sigmoid", "relu", "cosine"}
    tv_weight : float
        :math:`\lambda` of the TV penalty, in the units of ``y``.
    ridge : float
        :math:`\delta` of the ridge solve.
    generator_steps, refine_steps : int
        Adam steps of the two phases; ``refine_steps=0`` gives plain GFT.
    lr, refine_lr : float
        Adam learning rates (``refine_lr=None``: same as ``lr``).
    hidden : tuple of int
        Hidden widths of the generator MLP.
    n_tv_points : int
        Monte-Carlo points of the TV estimate, redrawn every step.
    validation_fraction : float
        The last rows of the training data held out for validation.
    val_every, n_val_draws : int
        Validation period (steps) and feature draws averaged per generator validation.
    lr_schedule : {"constant", "cosine"}
        Learning rate of each phase: constant (the paper) or cosine-annealed to 1/100 of the
        phase's own (``lr`` or ``refine_lr``).
    dtype : {"float32", "float64"}
        Precision of the generator and the features (the fitted model is stored in
        float64). float32 is about twice as fast; the design matrix, the Gram matrix, the
        ridge solve and the MSE run in float64 either way, the TV term in ``dtype`` (see
        :class:`gft.ReducedObjective`).
    device : str
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``...
    random_state : int, RandomState or None
    progress : bool
        Show tqdm progress bars.
    engine : {"auto", "autograd", "fused"}
        How a training step is computed (see :func:`gft.training.resolve_engine`): ``"auto"``
        runs the fused Fourier engine where it applies and autograd otherwise; the engine
        that ran is in ``history_[phase].engine``.
    callback : callable, optional
        ``callback(step, loss)`` after every training step of both phases (see
        :func:`gft.optimise`), e.g. to log the loss or stop a fit by raising.

    Attributes
    ----------
    generator_ : Generator
        The trained generator (on the CPU).
    features_ : ndarray of shape (N, D)
        The features used by :meth:`predict` (refined when ``refine_steps > 0``).
    coef_ : ndarray of shape (P,)
        Output weights (complex for ``fourier``), in units of ``y / y_scale_``.
    y_scale_ : float
        The root mean square of the training targets (1 where it is 0): training runs on
        ``y / y_scale_``.
    X_train_, y_train_ : ndarray
        The rows trained on (the validation rows excluded), ``y_train_`` scaled by
        ``y_scale_``; :meth:`predict_generator` solves for the output weights on them.
    history_ : dict of TrainingHistory
        The ``"generator"`` run and, where the refinement ran, the ``"refine"`` run, for
        plots. Their losses and validation MSEs are on the scaled targets: multiply by
        ``y_scale_**2`` for units of ``y²``.
    generator_val_mse_, refine_val_mse_ : float
        Best validation MSEs of the two phases (unscaled: in units of ``y²``), for model
        selection; ``refine_val_mse_`` is ``inf`` when ``refine_steps=0``.

    Raises
    ------
    TrainingDivergedError
        From :meth:`fit`, when the training loss becomes NaN or inf or a ridge system cannot
        be factorised; the fitted attributes are set first, from the best iterate before the
        divergence.

    Notes
    -----
    The fit is not invariant to the units of ``X``: the generator's initial features and
    Adam's steps are fixed in units of :math:`w` whatever the inputs' scale, so the phases
    :math:`\langle w, x\rangle` start, and move by steps, proportional to :math:`|x|`. The
    default (``book``) learning rates suit inputs of order one (the book's synthetic inputs
    lie in :math:`[0, 1]^d`, its real data sets are standardised); put other inputs on that
    scale, e.g. ``make_pipeline(StandardScaler(), GFTRegressor())``. Chapter 01 shows a fit
    on inputs ten times larger falling far behind.

    Nor is it invariant to a constant added to ``y``: the targets are divided by their root
    mean square, not centred. Centre them, e.g.
    ``TransformedTargetRegressor(GFTRegressor(), transformer=StandardScaler())``
    (``tv_weight`` is then in units of the standardised targets);
    ``benchmarks/target_offset.py`` measures the difference on Friedman 1.
    """

    presets = {name: dict(p) for name, p in PRESETS.items()}

    _parameter_constraints: dict[str, list[Any]] = {
        **FeatureRegressorBase._parameter_constraints,
        "tv_weight": [Interval(Real, 0, None, closed="left")],
        "generator_steps": [Interval(Integral, 0, None, closed="left")],
        "refine_steps": [Interval(Integral, 0, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "refine_lr": [Interval(Real, 0, None, closed="neither"), None],
        "hidden": ["array-like"],  # of positive ints: _check_params
        "n_tv_points": [Interval(Integral, 1, None, closed="left")],
        "val_every": [Interval(Integral, 1, None, closed="left")],
        "n_val_draws": [Interval(Integral, 1, None, closed="left")],
        "lr_schedule": [StrOptions(set(SCHEDULES))],
        "engine": [StrOptions(set(ENGINES))],
        "callback": [callable, None],
    }

    def __init__(
        self,
        n_features: int = 100,
        activation: str = "fourier",
        tv_weight: float = 0.0,
        ridge: float = 1e-7,
        generator_steps: int = 3000,
        refine_steps: int = 3000,
        lr: float = 2e-3,
        refine_lr: float | None = 1e-2,
        hidden: Sequence[int] = (512, 512, 512),
        n_tv_points: int = 1000,
        validation_fraction: float = 0.1,
        val_every: int = 100,
        n_val_draws: int = 10,
        lr_schedule: str = "cosine",
        dtype: str = "float32",
        device: str = "auto",
        random_state: Any = None,
        progress: bool = True,
        engine: str = "auto",
        callback: Any = None,
    ):
        self.n_features = n_features
        self.activation = activation
        self.tv_weight = tv_weight
        self.ridge = ridge
        self.generator_steps = generator_steps
        self.refine_steps = refine_steps
        self.lr = lr
        self.refine_lr = refine_lr
        self.hidden = hidden
        self.n_tv_points = n_tv_points
        self.validation_fraction = validation_fraction
        self.val_every = val_every
        self.n_val_draws = n_val_draws
        self.lr_schedule = lr_schedule
        self.dtype = dtype
        self.device = device
        self.random_state = random_state
        self.progress = progress
        self.engine = engine
        self.callback = callback

    def _check_params(self) -> None:
        super()._check_params()
        if len(self.hidden) == 0 or any(isinstance(h, bool) or not isinstance(h, Integral) or h < 1
                                        for h in self.hidden):
            self._invalid("hidden", "a non-empty sequence of positive ints")

    def _fit_scaled(self, X_tr, y_tr, X_val, y_val, *, device, dtype, rng, checkpoint=None) -> None:
        act = get_activation(self.activation)
        objective = ReducedObjective(
            X_tr, y_tr, act, self.ridge, self._scaled_tv_weight(), self.n_tv_points,
            X_val, y_val,
        )
        generator = Generator(act.feature_dim(X_tr.shape[1]), self.hidden).to(device, dtype)
        self.history_, W, error = self._train(generator, objective, rng, checkpoint)
        self._set_model(generator, W, error)
        if error is not None:
            raise error

    def _train(self, generator, objective, rng, checkpoint=None):
        """Both phases on ``generator`` (a :class:`Generator`, or a :class:`GeneratorStack` with
        a batched objective and one ``rng`` per member): ``(history, W, error)`` with ``W`` the
        final features ``(*members, N, D)`` and ``error`` a :class:`TrainingDivergedError` that
        stopped the run (the best iterates are kept) or None. ``checkpoint``: a
        :class:`~gft._checkpoint.RunCheckpoint` both phases save to and resume from."""
        stacked = isinstance(generator, GeneratorStack)
        common = dict(val_every=self.val_every, rng=rng, progress=self.progress,
                      schedule=self.lr_schedule, engine=self.engine, callback=self.callback,
                      checkpoint=checkpoint)

        def draw_latents():
            if stacked:
                return generator.sample_latents(self.n_features, generators=rng)
            return generator.sample_latents(self.n_features, generator=rng)

        # a divergence keeps the best iterate of the phase it stopped (the generator, or the
        # refined latents) and is re-raised once the fitted attributes are set; its history,
        # marked diverged, records that iterate
        history: dict[str, TrainingHistory] = {}
        history["generator"], error = optimise_keeping_best(
            GeneratorFeatures(generator, self.n_features, self.n_val_draws, rng), objective,
            self.generator_steps, self.lr, name="GFT generator", **common,
        )
        z = draw_latents()
        if error is None and self.refine_steps > 0 and not history["generator"].interrupted:
            latent = LatentFeatures(generator, z)
            history["refine"], error = optimise_keeping_best(
                latent, objective, self.refine_steps, self.refine_lr or self.lr,
                name="GFT-r refinement", **common,
            )
            z = latent.z.detach()
        generator.requires_grad_(False)
        with torch.no_grad():
            W = generator(z)
        return history, W, error

    def _set_model(self, generator: Generator, W: torch.Tensor, error: Exception | None) -> None:
        """The fitted attributes from the trained ``generator``, the features ``W`` (N, D) and
        ``self.history_``."""
        self.generator_ = generator.cpu().to(torch.float64).eval()
        try:
            coef = self._coef_on_training_split(W)
        except RidgeSolveError:
            if error is None:
                raise
            raise error from None  # no usable model: the estimator stays unfitted
        self.features_ = W.detach().to(torch.float64).cpu().numpy()
        self.coef_ = coef
        scale2 = self.y_scale_**2
        self.generator_val_mse_ = self.history_.get("generator", TrainingHistory()).best_val_mse * scale2
        self.refine_val_mse_ = self.history_.get("refine", TrainingHistory()).best_val_mse * scale2

    def sample_features(self, random_state: Any = None) -> np.ndarray:
        """A fresh feature set ``G(z)`` from the trained generator.

        Parameters
        ----------
        random_state : int, RandomState or None
            Seeds the latent draw ``z`` (``None``: a fresh one each call).

        Returns
        -------
        ndarray of shape (N, D)
        """
        check_is_fitted(self)
        seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
        rng = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            return self.generator_.sample(self.n_features, generator=rng).numpy()

    def predict_generator(self, X: Any, random_state: Any = None) -> np.ndarray:
        """Predict with a fresh generator draw, ``b`` re-solved on the training data (the paper's GFT column).

        Parameters
        ----------
        X : array-like of shape (M, d)
        random_state : int, RandomState or None
            Seeds the feature draw, as in :meth:`sample_features`.

        Returns
        -------
        ndarray of shape (M,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        W = self.sample_features(random_state)
        return self._predict_with(X, W, self._coef_on_training_split(torch.as_tensor(W)))


#: Parameters in which the members of :func:`fit_batched` may differ.
_MEMBER_PARAMS = ("tv_weight", "ridge", "random_state")


def fit_batched(estimators: Sequence[GFTRegressor], X: Any, y: Any, checkpoint: str | os.PathLike | None = None,
                checkpoint_every: float = 600.0) -> list[GFTRegressor]:
    r"""Fit several :class:`GFTRegressor` in one vectorised run; returns them, fitted.

    Member ``i`` is trained as ``estimators[i].fit(X_i, y_i)`` would be: with the fused engine
    on the CPU bit for bit (features, training losses, kept steps; the refined validation MSE,
    a batched ridge solve, to rounding: tested to 1e-10 relative), so a batched λ path chooses
    what separate fits choose. With several threads the products whose sums run over the data
    rows or the TV's points are computed member by member, as the separate fits compute them
    (a BLAS may split such a sum between threads in a one-problem product and not in a
    batched one: MKL on an Intel Xeon does); the tests check one and two threads. That
    holds from ``n_features = 5`` on (checked for 5 to 100 on the development CPU); with 1 to
    4 features MKL computes a batched product of so few rows otherwise than the single one,
    and the two runs differ from the first step, by about 1e-12 in float64. Elsewhere (the
    autograd engine, a GPU) to floating-point rounding, which thousands of float32 Adam steps
    amplify. One difference: a member whose generator phase diverges on its own is marked
    diverged and still refined, where a fit alone would raise. But the ``B`` members train
    together: one :class:`~gft.generator.GeneratorStack`, one batched ridge solve and one Adam
    update per step. This amortises everything around the matrix products, and is how
    :class:`GFTRegressorCV` trains a λ path and its folds.

    Parameters
    ----------
    estimators : sequence of GFTRegressor
        Unfitted or fitted (they are refitted), with equal parameters except ``tv_weight``,
        ``ridge`` and ``random_state``.
    X, y : array-like of shapes (M, d) and (M,), or lists (or tuples) of B such arrays
        One data set for every member, or one per member; all members' data must have
        the same shape (the protocol's trials are fresh draws of one size).
    checkpoint : path-like, optional
        A file in which the run keeps its state, at a validation step at most every
        ``checkpoint_every`` seconds and when a phase ends. A run given a
        file that a stopped run of the same estimators and data wrote goes on from its last
        save instead of starting afresh (on the same machine and code it ends bit for bit as
        an uninterrupted run; each phase's history records ``resumed_step`` and
        ``resumed_seconds``); a file written for other estimators or data is ignored with a
        warning and overwritten. Resuming needs int ``random_state``: with ``None`` each run
        draws other seeds (a warning says so). The file is removed when the run ends, by
        divergence too, unless Ctrl-C stopped it. Beside it, ``<file>.json`` says in plain
        JSON how far each phase got (step, seconds); it goes with the file.
    checkpoint_every : float
        Least seconds between two saves of an unfinished phase.

    Returns
    -------
    list of GFTRegressor
        ``estimators``, fitted. A member whose training diverged keeps its best iterate and
        has ``history_[phase].diverged`` set; only when every member diverges is
        :class:`~gft.TrainingDivergedError` raised.
    """
    return _fit_batched(estimators, X, y, checkpoint, checkpoint_every)


def _fit_batched(estimators: Sequence[GFTRegressor], X: Any, y: Any, checkpoint: str | os.PathLike | None = None,
                 checkpoint_every: float = 600.0, keep_checkpoint: bool = False) -> list[GFTRegressor]:
    """:func:`fit_batched`; ``keep_checkpoint``: leave the file of a finished run in place (a rerun
    given it restores the fitted members without training: :class:`GFTRegressorCV` keeps its
    search so until its refit has ended)."""
    estimators = list(estimators)
    if not estimators or not all(isinstance(e, GFTRegressor) for e in estimators):
        raise ValueError("fit_batched needs a non-empty sequence of GFTRegressor")
    first = {k: v for k, v in estimators[0].get_params().items() if k not in _MEMBER_PARAMS}
    for e in estimators[1:]:
        other = {k: v for k, v in e.get_params().items() if k not in _MEMBER_PARAMS}
        differ = sorted(k for k in first if not _same_param(first[k], other[k]))
        if differ:
            raise ValueError(f"fit_batched: the estimators differ in {differ}; only {list(_MEMBER_PARAMS)} may differ")
    per_member = isinstance(X, (list, tuple))
    if per_member != isinstance(y, (list, tuple)) or (per_member and not len(X) == len(y) == len(estimators)):
        raise ValueError("X and y must both be arrays (shared data) or both sequences of one array per estimator")
    data = list(zip(X, y)) if per_member else [(X, y)] * len(estimators)
    prepared = [e._prepare_fit(Xi, yi) for e, (Xi, yi) in zip(estimators, data)]
    shapes = {tuple(tuple(t.shape) for t in p[0]) for p in prepared}
    if len(shapes) != 1:
        raise ValueError(f"fit_batched: the members' data must have one shape; got (X_tr, y_tr, X_val, y_val) shapes {sorted(shapes)}")
    device, dtype = prepared[0][1], prepared[0][2]
    splits = [torch.stack(parts) for parts in zip(*(p[0] for p in prepared))]  # (B, ...)
    if not per_member:  # one data set: the inputs are shared, not copied per member
        splits[0], splits[2] = splits[0][0], splits[2][0]
    template = estimators[0]
    act = get_activation(template.activation)
    D = act.feature_dim(splits[0].shape[-1])
    generators, rngs = [], []
    for _, _, _, seed in prepared:
        with _seeded(device, seed):
            generators.append(Generator(D, template.hidden).to(device, dtype))
        rngs.append(torch.Generator(device=device).manual_seed(seed))
    stack = GeneratorStack(generators)
    tv = [e._scaled_tv_weight() for e in estimators]
    ridges = [float(e.ridge) for e in estimators]
    ridge = ridges if len(set(ridges)) > 1 else ridges[0]
    objective = ReducedObjective(splits[0], splits[1], act, ridge, tv, template.n_tv_points,
                                 splits[2], splits[3])
    saved = None
    if checkpoint is not None:
        _warn_if_unseeded([e.random_state for e in estimators])
        key = _checkpoint_key(estimators, [(p[0], p[3]) for p in prepared], device, dtype, batched=True)
        saved = RunCheckpoint(checkpoint, key, checkpoint_every)
    history, W, error = template._train(stack, objective, rngs, saved)
    if saved is not None and not keep_checkpoint and not any(h.interrupted for h in history.values()):
        saved.remove()  # a Ctrl-C keeps the file: its last save is where a rerun goes on
    for i, est in enumerate(estimators):
        est.history_ = {phase: h.member(i) for phase, h in history.items()}
        est._set_model(stack.member(i), W[i], error)
    if error is not None:
        raise error
    return estimators


def _checkpoint_key(estimators: Sequence[FeatureRegressorBase], data_and_seeds, device, dtype,
                    batched: bool = False) -> dict[str, Any]:
    """What identifies a run for its checkpoint: torch, device, dtype, and per estimator its
    parameters, torch seed, a fingerprint of its data (``data_and_seeds``: per estimator
    the tensors ``(X_tr, y_tr, X_val, y_val)`` and the seed) and the scale ``y_scale_`` of
    its targets (the tensors hold ``y / y_scale_``, the same for ``c y``, while the TV weight
    the run uses is ``tv_weight / y_scale_``); for a single fit also the estimator's class.
    A batched run's phases are saved per member, a single fit's as one model: the class
    entry keeps the two apart."""
    key = dict(torch=str(torch.__version__), device=str(device), dtype=str(dtype),
               members=[dict(params=_plain_params(e), seed=seed, data=_fingerprint(tensors),
                             y_scale=float(e.y_scale_))
                        for e, (tensors, seed) in zip(estimators, data_and_seeds)])
    if not batched:
        key.update(single=type(estimators[0]).__name__)
    return key


def _warn_if_unseeded(random_states: Sequence[Any]) -> None:
    """Warn that a checkpoint cannot be resumed when a fit draws a fresh seed (``random_state=None``)."""
    if any(r is None for r in random_states):
        warnings.warn("checkpoint= with random_state=None: each fit draws a new seed, so a rerun cannot "
                      "go on from this file; pass an int random_state to make the fit resumable.",
                      UserWarning, stacklevel=3)


def _histories(est: Any) -> dict[str, Any]:
    """``est``'s training histories by phase: GFT's dict as it is, a one-phase fit's under
    ``"fit"``, none for an estimator that does not train iteratively."""
    hist = getattr(est, "history_", None)
    if isinstance(hist, dict):
        return hist
    return {} if hist is None else {"fit": hist}


def _interrupted(est: Any) -> bool:
    """Whether Ctrl-C stopped a phase of ``est``'s last fit."""
    return any(getattr(h, "interrupted", False) for h in _histories(est).values())


def _resumed_seconds(est: Any) -> float:
    """The wall time that ``est``'s last fit, resumed from a checkpoint, had spent before its
    saves (summed over its phases; a batched member's is its share of the run's)."""
    return sum(getattr(h, "resumed_seconds", 0.0) for h in _histories(est).values())


def _plain_params(est: FeatureRegressorBase) -> dict[str, Any]:
    """The parameters that shape a fit, as plain values (the key of a checkpoint): an array
    (``init_features``) by a fingerprint of all its values (its ``repr`` elides the middle of
    a large one), a NumPy random state by its type (its ``repr`` holds an address that changes
    every process; the seed drawn from it is in the key on its own)."""
    plain = {}
    for k, v in est.get_params().items():
        if k in ("progress", "callback"):
            continue
        if isinstance(v, (list, tuple)):
            v = list(v)
        elif isinstance(v, (np.ndarray, torch.Tensor)):
            v = "array " + _fingerprint([torch.as_tensor(v)])
        elif isinstance(v, (np.random.RandomState, np.random.Generator)):
            v = type(v).__name__
        elif not (v is None or isinstance(v, (bool, int, float, str))):
            v = repr(v)
        plain[k] = v
    return plain


def _fingerprint(tensors: Sequence[torch.Tensor]) -> str:
    """SHA-256 of the tensors' values, dtypes and shapes."""
    h = hashlib.sha256()
    for t in tensors:
        h.update(f"{t.dtype}{tuple(t.shape)}".encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def _same_param(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return list(a) == list(b)
    return a is b or a == b
