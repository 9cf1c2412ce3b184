r"""Pieces the baselines share: the parameter constraints of the Adam-trained ones, the standard-normal feature draw, PyTorch's uniform initialisation, and errors/MSEs of a feature set."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval
from torch import Tensor

from ..features import Activation, predict_from_features

__all__ = [
    "TRAINED_FEATURE_CONSTRAINTS",
    "TRAINED_FEATURE_PRESETS",
    "design_bytes",
    "fit_mse",
    "pytorch_uniform",
    "standard_normal_features",
    "to_numpy64",
]

#: ``_parameter_constraints`` of the parameters that the baselines trained by Adam from a
#: scaled random draw (:class:`NNRegressor`, :class:`VarProRegressor`) add to the base's.
TRAINED_FEATURE_CONSTRAINTS: dict[str, list] = {
    "tv_weight": [Interval(Real, 0, None, closed="left")],
    "steps": [Interval(Integral, 0, None, closed="left")],
    "lr": [Interval(Real, 0, None, closed="neither")],
    "init_scale": [Interval(Real, 0, None, closed="neither"), None],
    "n_tv_points": [Interval(Integral, 1, None, closed="left")],
    "val_every": [Interval(Integral, 1, None, closed="left")],
}

#: The ``smoke`` and ``book`` budgets of those baselines: the ``book`` one is the 6000 Adam
#: steps of GFT's book preset (3000 generator + 3000 refinement). Each adds its ``paper`` one
#: (and VarPro its own ``lr``, which is relative to the initial scale).
TRAINED_FEATURE_PRESETS: dict[str, dict] = {
    "smoke": dict(steps=20, lr=1e-3, n_tv_points=64, val_every=5),
    "book": dict(steps=6000, lr=1e-3, n_tv_points=1000, val_every=100),
}


def standard_normal_features(
    n_features: int, dim: int, rng: torch.Generator, device: torch.device
) -> Tensor:
    r"""``Z`` of shape (N, D), i.i.d. :math:`N(0, 1)`, drawn in float64 from ``rng``.

    Every baseline that starts from random features draws them with this one call, so
    that the same ``random_state`` gives the same ``Z`` for every method and dtype:
    ``RFFRegressor(sigma=s)``, ``SparseRFRegressor(n_initial=N, sigma=s)``,
    ``VarProRegressor(init_scale=s)`` and ``NNRegressor(init_scale=s)`` all start from
    ``s * Z``.
    """
    return torch.randn(n_features, dim, generator=rng, device=device, dtype=torch.float64)


def pytorch_uniform(
    shape: tuple[int, ...], fan_in: int, rng: torch.Generator, device: torch.device
) -> Tensor:
    r""":math:`U(-1/\sqrt{\mathrm{fan\_in}}, 1/\sqrt{\mathrm{fan\_in}})` of ``shape``, float64, from ``rng``.

    PyTorch's default initialisation of ``nn.Linear(fan_in, out)``: Kaiming-uniform with
    :math:`a = \sqrt 5` for the weight and the same bound for the bias.
    """
    bound = 1.0 / math.sqrt(fan_in)
    u = torch.rand(shape, generator=rng, device=device, dtype=torch.float64)
    return (2.0 * u - 1.0) * bound


def fit_mse(
    X: Tensor, y: Tensor, W: Tensor, b: Tensor, activation: str | Activation
) -> float:
    r""":math:`\frac1M\|\mathrm{Re}(A(X)b) - y\|^2` of the network ``(W, b)`` on ``(X, y)``."""
    with torch.no_grad():
        return float((predict_from_features(X, W, b, activation) - y).square().mean())


def design_bytes(n_rows: int, n_features: int, activation: Activation, dtype: torch.dtype) -> int:
    """Bytes of one design matrix (n_rows, P) for ``n_features`` features."""
    itemsize = torch.empty(0, dtype=dtype).element_size() * (2 if activation.complex else 1)
    return n_rows * activation.n_columns(n_features) * itemsize


def to_numpy64(t: Tensor) -> np.ndarray:
    """A CPU float64 (complex128 for complex) NumPy copy of ``t``."""
    t = t.detach().cpu()
    return t.to(torch.complex128 if t.is_complex() else torch.float64).numpy().copy()
