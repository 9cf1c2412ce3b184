r"""The reduced objective :math:`L(w) = \frac1M\|\mathrm{Re}(A\hat b(w)) - y\|^2 + \lambda\,\mathrm{TV}(w)`, defined once.

Every engine of :func:`gft.optimise` minimises this function: the ``autograd`` engine calls
``ReducedObjective.__call__``; the ``fused`` engine for Fourier features computes the
same value and gradient by hand and is tested against it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .features import Activation, design_matrix, get_activation
from .regularizers import sample_box, tv_penalty
from .ridge import ridge_solve

__all__ = ["ReducedObjective", "mean_squared_error"]


def mean_squared_error(A: Tensor, b: Tensor, y: Tensor) -> Tensor:
    r""":math:`\frac1M\|\mathrm{Re}(A b) - y\|^2`, shape ``(*)``, for ``A`` (*, M, P), ``b`` (*, P), ``y`` (M,)."""
    pred = torch.matmul(A, b.unsqueeze(-1)).squeeze(-1)
    if pred.is_complex():
        pred = pred.real
    return (pred - y).square().mean(-1)


def _complex_of(dtype: torch.dtype) -> torch.dtype:
    return torch.complex64 if dtype == torch.float32 else torch.complex128


@dataclass
class ReducedObjective:
    r"""Training data and settings of the reduced problem in the features ``W`` alone.

    For features ``W`` of shape ``(*, N, D)`` the value is

    .. math:: L(W) = \frac1M\|\mathrm{Re}(A\hat b) - y\|^2 + \lambda\,\frac1n\sum_{j=1}^n
              \|\nabla_x f_{W,\hat b}(\xi_j)\|_1, \qquad
              \hat b = (A^HA + \delta I)^{-1}A^Hy, \quad A = A(X, W),

    with :math:`\xi_j` drawn uniformly from the bounding box of ``X`` at every call.
    :math:`\hat b` ignores the TV term: TV acts on the model through ``W`` (and through
    :math:`\hat b(W)` in the gradient). The design matrix, the ridge solve and the MSE run
    in float64 whatever ``W``'s dtype (in float32, :math:`A^HA` is exact only to about
    :math:`N\epsilon_{32}\,\mathrm{mean}(\mathrm{diag})`, far above :math:`\delta = 10^{-7}`);
    the TV term runs in ``W``'s dtype.

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
        Monte-Carlo points ``n`` per evaluation, uniform over the box of ``X``.
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
        self._X64, self._y64 = self.X.to(torch.float64), self.y.to(torch.float64)

    def tv_points(self, generator: torch.Generator | None = None) -> Tensor:
        """``n_tv_points`` fresh points of the training box, shape (n, d), in ``X``'s dtype."""
        return sample_box(self.low, self.high, self.n_tv_points, generator)

    def __call__(
        self, W: Tensor, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor, Tensor]:
        r"""Loss, MSE and TV (each of shape ``(*)``, float64) at features ``W`` of shape (*, N, D).

        ``b`` is the ridge solution on the training data, differentiated implicitly; the TV
        points are drawn from ``generator``.
        """
        W64 = W.to(torch.float64)
        A = design_matrix(self._X64, W64, self.activation)  # (*, M, P)
        b = ridge_solve(A, self._y64, self.ridge)  # (*, P)
        mse = mean_squared_error(A, b, self._y64)
        if self.tv_weight == 0:
            return mse, mse, torch.zeros_like(mse)
        b_tv = b.to(_complex_of(W.dtype) if b.is_complex() else W.dtype)
        tv = tv_penalty(W, b_tv, self.tv_points(generator), self.activation).to(torch.float64)
        return mse + self.tv_weight * tv, mse, tv

    @torch.no_grad()
    def coefficients(self, W: Tensor) -> Tensor:
        """Output weights ``b`` of shape ``(*, P)`` solved on the training data, in float64."""
        return ridge_solve(design_matrix(self._X64, W.to(torch.float64), self.activation),
                           self._y64, self.ridge)

    @torch.no_grad()
    def validation_mse(self, W: Tensor) -> Tensor:
        """MSE on the validation data, shape (*), with ``b`` solved on the training data."""
        if self.X_val is None or self.y_val is None:
            raise ValueError("ReducedObjective has no validation data")
        b = self.coefficients(W)
        A_val = design_matrix(self.X_val.to(torch.float64), W.to(torch.float64), self.activation)
        return mean_squared_error(A_val, b, self.y_val.to(torch.float64))
