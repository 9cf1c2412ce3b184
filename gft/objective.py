r"""The reduced objective :math:`L(w) = \frac1M\|\mathrm{Re}(A\hat b(w)) - y\|^2 + \lambda\,\mathrm{TV}(w)`: where features, solve and penalty meet."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .features import Activation, design_matrix, get_activation
from .fused import fourier_data, fourier_reduced_mse_prepared
from .regularizers import monte_carlo_tv
from .ridge import ridge_solve

__all__ = ["ReducedObjective", "mean_squared_error"]


def mean_squared_error(A: Tensor, b: Tensor, y: Tensor) -> Tensor:
    r""":math:`\frac1M\|\mathrm{Re}(A b) - y\|^2`, shape ``(*)``, for ``A`` (*, M, P), ``b`` (*, P), ``y`` (M,)."""
    pred = torch.matmul(A, b.unsqueeze(-1)).squeeze(-1)
    if pred.is_complex():
        pred = pred.real
    return (pred - y).square().mean(-1)


@dataclass
class ReducedObjective:
    r"""Training data and settings of the reduced problem in the features ``W`` alone.

    Parameters
    ----------
    X : Tensor of shape (M, d)
        Training inputs.
    y : Tensor of shape (M,)
        Training targets.
    activation : str or Activation
    ridge : float
        :math:`\delta` of the ridge solve.
    tv_weight : float
        :math:`\lambda`; 0 switches the TV term (and its sampling) off.
    n_tv_points : int
        Monte-Carlo points per evaluation, redrawn each call, uniform over the box of ``X``.
    X_val, y_val : Tensor, optional
        Validation data for :meth:`validation_mse`.
    """

    X: Tensor
    y: Tensor
    activation: str | Activation = "fourier"
    ridge: float = 1e-7
    tv_weight: float = 0.0
    n_tv_points: int = 1000
    X_val: Tensor | None = None
    y_val: Tensor | None = None

    def __post_init__(self) -> None:
        self.activation = get_activation(self.activation)
        self.low = self.X.min(0).values
        self.high = self.X.max(0).values
        # The fused Fourier node's inputs (float64, X scaled by 2 pi), prepared once.
        self.fourier_data = fourier_data(self.X, self.y)

    def __call__(
        self, W: Tensor, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor, Tensor]:
        r"""Loss, MSE and TV (each of shape ``(*)``) at features ``W`` of shape (*, N, D).

        ``b`` is the ridge solution on the training data, differentiated implicitly.
        """
        if self.activation.name == "fourier":
            # Same value and gradient as the generic path below, in one fused node.
            mse, b = fourier_reduced_mse_prepared(self.fourier_data, W, self.ridge)
        else:
            A = design_matrix(self.X, W, self.activation)  # (*, M, P)
            b = ridge_solve(A, self.y, self.ridge)  # (*, P)
            mse = mean_squared_error(A, b, self.y)
        if self.tv_weight == 0:
            return mse, mse, torch.zeros_like(mse)
        tv = monte_carlo_tv(W, b, self.low, self.high, self.n_tv_points, self.activation, generator)
        return mse + self.tv_weight * tv, mse, tv

    @torch.no_grad()
    def coefficients(self, W: Tensor) -> Tensor:
        """Output weights ``b`` of shape ``(*, P)`` solved on the training data (as in training)."""
        if self.activation.name == "fourier":
            return fourier_reduced_mse_prepared(self.fourier_data, W, self.ridge)[1]
        return ridge_solve(design_matrix(self.X, W, self.activation), self.y, self.ridge)

    @torch.no_grad()
    def validation_mse(self, W: Tensor) -> Tensor:
        """MSE on the validation data, shape (*), with ``b`` solved on the training data."""
        if self.X_val is None or self.y_val is None:
            raise ValueError("ReducedObjective has no validation data")
        b = self.coefficients(W)
        return mean_squared_error(design_matrix(self.X_val, W, self.activation), b, self.y_val)
