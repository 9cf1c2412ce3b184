r"""Pieces the baselines share: the parameter constraints of the Adam-trained ones, the standard-normal feature draw, PyTorch's uniform initialisation, a primal-or-dual ridge solve, and errors/MSEs of a feature set."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval
from torch import Tensor

from ..features import Activation, design_matrix, predict_from_features
from ..ridge import cholesky_with_retry, ridge_solve

__all__ = [
    "TRAINED_FEATURE_CONSTRAINTS",
    "coef_on_training_split",
    "design_bytes",
    "fit_mse",
    "pytorch_uniform",
    "ridge_coefficients",
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


def ridge_coefficients(A: Tensor, y: Tensor, ridge: float) -> Tensor:
    r"""Ridge solution :math:`\hat b = (A^HA + \delta I)^{-1}A^Hy`, without gradient.

    For ``P <= M`` this is :func:`gft.ridge_solve` (the primal ``P x P`` system); for
    ``P > M`` the equal dual form :math:`A^H(AA^H + \delta I)^{-1}y` with an ``M x M``
    system, which is cheaper and, with a tiny ridge, far better conditioned (it is what
    lets a random-feature model with ``N >= M`` interpolate).

    Parameters
    ----------
    A : Tensor of shape (M, P)
    y : Tensor of shape (M,)
    ridge : float

    Returns
    -------
    b : Tensor of shape (P,), of ``A``'s dtype
    """
    with torch.no_grad():
        M, P = A.shape
        if P <= M:
            return ridge_solve(A, y, ridge)
        K = A @ A.mH  # (M, M)
        K.diagonal().add_(ridge)
        L = cholesky_with_retry(K)  # float64 when A's precision did not suffice
        alpha = torch.cholesky_solve(y.to(L.dtype).unsqueeze(-1), L).squeeze(-1)
        return A.mH @ alpha.to(A.dtype)


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


def coef_on_training_split(estimator, W: np.ndarray) -> np.ndarray:
    """``b`` (P,) for features ``W`` (N, D) solved in float64 on ``estimator.X_train_``.

    The final coefficients of every ridge-based baseline come from this one float64 CPU
    solve, so that predictions do not depend on the training dtype or device.
    """
    X = torch.as_tensor(estimator.X_train_)
    y = torch.as_tensor(estimator.y_train_)
    A = design_matrix(X, torch.as_tensor(W), estimator.activation)
    return to_numpy64(ridge_coefficients(A, y, estimator.ridge))
