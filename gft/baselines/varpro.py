r"""Variable projection: Adam on the features ``W`` themselves with ``b`` eliminated by the ridge solve."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from ..estimators import FeatureRegressorBase
from ..features import get_activation
from ..objective import ReducedObjective
from ..training import DirectFeatures, optimise_keeping_best
from ._common import (
    TRAINED_FEATURE_CONSTRAINTS,
    TRAINED_FEATURE_PRESETS,
    standard_normal_features,
    to_numpy64,
)
from .random_features import initial_scale

__all__ = ["VarProRegressor"]


class VarProRegressor(FeatureRegressorBase):
    r"""Variable projection (VarPro): gradient descent on :math:`w` with :math:`b = \hat b(w)` eliminated.

    .. math:: \min_w\ L(w) = \frac1M\|\mathrm{Re}(A(w)\hat b(w)) - y\|^2 + \lambda\,\mathrm{TV}(w),

    the reduced objective of GFT (:class:`gft.ReducedObjective`, TV included) minimised over
    ``W`` directly with Adam (:class:`gft.training.DirectFeatures` in :func:`gft.optimise`),
    without a generator: GFT-r's refinement started from plain random features instead of
    generator samples. The iterate with the best validation MSE is kept.

    Initialisation: ``init_features`` when given, else :math:`w_l = s z_l`,
    :math:`z_l \sim \mathcal{N}(0, I_D)`, the draw of :class:`RFFRegressor` with ``sigma=s`` (so
    ``steps=0`` gives that model); ``init_scale=None`` (the default) takes the scale of
    ``DEFAULT_SIGMA_GRIDS[activation]`` whose random-feature model validates best, as
    :class:`NNRegressor` does (see there why the scale matters).

    Adam moves the features in units of that initial scale: its step is ``lr`` times ``s``
    (for given ``init_features``, ``s`` is the root mean square of their entries), which
    is Adam on :math:`z = w / s`. The validated scale spans orders of magnitude, from about
    ``1e-4`` on real data whose best random-feature model is nearly linear to ``0.1`` on the
    synthetic settings; a step fixed in the units of ``w`` would be many times ``s`` on the
    first and leave the model no better than its start.

    Parameters
    ----------
    n_features : int
    activation : {"fourier", "fourier-real", "sigmoid", "relu", "cosine"}
    tv_weight : float
        :math:`\lambda`, in the units of ``y``.
    ridge : float
    steps : int
        Adam steps.
    lr : float
        Adam's learning rate in units of the initial scale ``s``: each coordinate of ``w``
        moves by about ``lr * s`` per step.
    init_scale : float or None
        ``s`` above; ``None`` chooses it on the validation split.
    init_features : array-like of shape (n_features, D) or None
        Features to start from (e.g. another model's ``features_``); ``D = d`` or ``d + 1``.
    n_tv_points, validation_fraction, val_every, device, random_state, progress
        As in :class:`gft.GFTRegressor`.
    dtype : {"float32", "float64"}
        Precision of the features (default ``"float64"``); the ridge solve as in
        :class:`gft.GFTRegressor`.

    Attributes
    ----------
    features_ : ndarray of shape (N, D)
    coef_ : ndarray of shape (P,)
        Solved on the training split for ``features_``.
    history_ : TrainingHistory
    init_scale_ : float
        The initial scale used (NaN when ``init_features`` was given).
    step_unit_ : float
        ``s``, the unit of ``lr``: ``init_scale_``, or the root mean square of
        ``init_features``.
    val_mse_ : float
        Best validation MSE (units of ``y²``).
    """

    #: ``lr`` is relative (see above): 0.03 trains on the synthetic settings and on the real
    #: data sets alike. ``paper``: the 40 000 steps of the GFT-r refinement, at a tenth of the
    #: book's rate as there; ``smoke``: ``baselines._common.TRAINED_FEATURE_PRESETS``.
    presets: dict[str, dict[str, Any]] = {
        "smoke": {**TRAINED_FEATURE_PRESETS["smoke"], "lr": 0.03},
        "book": {**TRAINED_FEATURE_PRESETS["book"], "lr": 0.03},
        "paper": dict(steps=40_000, lr=3e-3, n_tv_points=1000, val_every=200),
    }

    _parameter_constraints: dict[str, list[Any]] = {
        **FeatureRegressorBase._parameter_constraints,
        **TRAINED_FEATURE_CONSTRAINTS,
        "init_features": ["array-like", None],  # its shape depends on X: _initial_features
    }

    def __init__(
        self,
        n_features: int = 100,
        activation: str = "fourier",
        tv_weight: float = 0.0,
        ridge: float = 1e-7,
        steps: int = 6000,
        lr: float = 0.03,
        init_scale: float | None = None,
        init_features: Any = None,
        n_tv_points: int = 1000,
        validation_fraction: float = 0.1,
        val_every: int = 100,
        dtype: str = "float64",
        device: str = "auto",
        random_state: Any = None,
        progress: bool = True,
    ):
        self.n_features = n_features
        self.activation = activation
        self.tv_weight = tv_weight
        self.ridge = ridge
        self.steps = steps
        self.lr = lr
        self.init_scale = init_scale
        self.init_features = init_features
        self.n_tv_points = n_tv_points
        self.validation_fraction = validation_fraction
        self.val_every = val_every
        self.dtype = dtype
        self.device = device
        self.random_state = random_state
        self.progress = progress

    def _initial_features(self, d: int) -> np.ndarray | None:
        if self.init_features is None:
            return None
        D = get_activation(self.activation).feature_dim(d)
        try:
            W = np.asarray(self.init_features, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise ValueError(f"init_features must be a real array of shape (n_features, D): {err}") from None
        if W.shape != (self.n_features, D):
            raise ValueError(
                f"init_features must have shape (n_features, D) = ({self.n_features}, {D}) for "
                f"{d} inputs and activation={self.activation!r}, got {W.shape}"
            )
        if not np.isfinite(W).all():
            raise ValueError("init_features must be finite (it holds NaN or inf)")
        if not np.any(W):
            raise ValueError("init_features must not be all zero: their scale is the unit of lr")
        return W

    def _fit_scaled(self, X_tr, y_tr, X_val, y_val, *, device, dtype, rng, checkpoint=None) -> None:
        act = get_activation(self.activation)
        given = self._initial_features(X_tr.shape[1])
        # Drawn even when features are given, so the rest of rng's stream does not depend on it.
        Z = standard_normal_features(self.n_features, act.feature_dim(X_tr.shape[1]), rng, device)
        if given is None:
            self.init_scale_ = initial_scale(self.init_scale, Z, X_tr, y_tr, X_val, y_val, act,
                                             self.ridge, self.progress)
            W0 = self.init_scale_ * Z
        else:
            self.init_scale_ = math.nan
            W0 = torch.as_tensor(given, device=device)
        self.step_unit_ = self.init_scale_ if given is None else float(np.sqrt(np.mean(given**2)))
        params = DirectFeatures(W0.to(dtype))
        objective = ReducedObjective(
            X_tr, y_tr, act, self.ridge, self._scaled_tv_weight(), self.n_tv_points,
            X_val, y_val,
        )
        self.history_, error = optimise_keeping_best(
            params, objective, self.steps, self.lr * self.step_unit_, val_every=self.val_every, rng=rng,
            progress=self.progress, name="VarPro", checkpoint=checkpoint,
        )
        self.features_ = to_numpy64(params.W)
        self.coef_ = self._coef_on_training_split(self.features_)
        self.val_mse_ = float(objective.validation_mse(params.W.detach())) * self.y_scale_**2
        if error is not None:
            raise error
