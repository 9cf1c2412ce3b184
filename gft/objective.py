r"""The reduced objective :math:`L(w) = \frac1M\|\mathrm{Re}(A\hat b(w)) - y\|^2 + \lambda\,\mathrm{TV}(w)`, defined once.

Every engine of :func:`gft.optimise` minimises this function: the ``autograd`` engine calls
``ReducedObjective.__call__``; the ``fused`` engine for Fourier features computes the
same value and gradient by hand and is tested against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import Tensor

from .features import Activation, design_matrix, get_activation
from .regularizers import sample_box, tv_penalty
from .ridge import ridge_solve

__all__ = ["ReducedObjective", "mean_squared_error"]


def mean_squared_error(A: Tensor, b: Tensor, y: Tensor) -> Tensor:
    r""":math:`\frac1M\|\mathrm{Re}(A b) - y\|^2`, shape ``(*)``, for ``A`` of shape ``(*, M, P)``,
    ``b`` ``(*, P)`` and ``y`` ``(M,)`` or ``(*, M)``."""
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

    **Members.** With ``X`` of shape ``(B, M, d)`` (or ``tv_weight`` or ``ridge`` of shape ``(B,)``) the
    objective holds ``B`` independent problems, one per member of a batched run: features
    ``W`` of shape ``(B, N, D)`` give values of shape ``(B,)``, member ``i`` with the data
    ``X[i], y[i]``, the weight ``tv_weight[i]`` and its own box. Each member then draws its
    TV points from its own ``torch.Generator`` (a sequence of ``B`` is passed where one is
    passed otherwise), and a member with weight 0 draws none, so that its random stream is
    the one of the same problem solved alone.

    Parameters
    ----------
    X : Tensor of shape (M, d) or (B, M, d)
        Training inputs (shared by all members, or per member).
    y : Tensor of shape (M,) or (B, M)
        Training targets.
    activation : str or Activation
    ridge : float or sequence of float of length B
        :math:`\delta` of the ridge solve (per member, or shared).
    tv_weight : float or sequence of float of length B
        :math:`\lambda`; 0 switches the TV term (and its sampling) off.
    n_tv_points : int
        Monte-Carlo points ``n`` per evaluation, uniform over the box of ``X``.
    X_val, y_val : Tensor, optional
        Validation data for :meth:`validation_mse`, shapes ``(M_v, d)`` / ``(M_v,)`` or per
        member ``(B, M_v, d)`` / ``(B, M_v)``.
    """

    X: Tensor
    y: Tensor
    activation: str | Activation = "fourier"
    ridge: float | Sequence[float] = 1e-7
    tv_weight: float | Sequence[float] = 0.0
    n_tv_points: int = 1000
    X_val: Tensor | None = None
    y_val: Tensor | None = None

    def __post_init__(self) -> None:
        self.activation = get_activation(self.activation)
        self.low = self.X.amin(-2)  # (d,) or (B, d)
        self.high = self.X.amax(-2)
        self._X64, self._y64 = self.X.to(torch.float64), self.y.to(torch.float64)
        weights = torch.as_tensor(self.tv_weight, dtype=torch.float64)
        if weights.dim() > 1:
            raise ValueError(f"tv_weight must be a number or a 1-D sequence, got shape {tuple(weights.shape)}")
        ridges = torch.as_tensor(self.ridge, dtype=torch.float64)
        if ridges.dim() > 1:
            raise ValueError(f"ridge must be a number or a 1-D sequence, got shape {tuple(ridges.shape)}")
        batch = self.X.shape[:-2]
        for per_member in (weights, ridges):
            if per_member.dim() == 1:
                batch = torch.broadcast_shapes(batch, per_member.shape)
        if len(batch) > 1:
            raise ValueError(f"X must have shape (M, d) or (B, M, d), got {tuple(self.X.shape)}")
        #: ``()`` for one problem, ``(B,)`` for B members.
        self.members: tuple[int, ...] = tuple(batch)
        #: The TV weights as a float64 tensor on ``X``'s device, shape ``members``.
        self.tv_weights = weights.to(self.X.device).expand(self.members)
        #: Whether the members have their own ridge :math:`\delta`; if so, ``ridges`` (shape
        #: ``members``, float64, on ``X``'s device) holds them, else ``ridge`` is one number.
        self.per_member_ridge = ridges.dim() == 1
        self.ridges = ridges.to(self.X.device).expand(self.members)
        #: Whether the TV term is evaluated at all (some weight is nonzero), and for which members.
        self.tv_members = self.tv_weights != 0
        self.uses_tv = bool(self.tv_members.any())
        self._tv_active = self.tv_members.tolist() if self.members else None  # read once, on the host

    def tv_points(self, generator: torch.Generator | Sequence[torch.Generator] | None = None) -> Tensor:
        """``n_tv_points`` fresh points of the training box, shape (n, d) or (B, n, d), in ``X``'s dtype.

        With members, ``generator`` is a sequence of one ``torch.Generator`` per member;
        members with TV weight 0 draw nothing (their points are zeros).
        """
        if not self.members:
            return sample_box(self.low, self.high, self.n_tv_points, generator)
        out = self.X.new_zeros(self.members[0], self.n_tv_points, self.X.shape[-1])
        return self.draw_tv_points(out, generator)

    def draw_tv_points(self, out: Tensor, generator=None, rows: Sequence[int] | None = None) -> Tensor:
        """Fresh points of the training box written into ``out``: shape (n, d) for one draw
        from ``generator``, or (R, n, d) for members, row ``k`` for member ``rows[k]`` (default:
        row ``i`` for member ``i``), drawn from ``generator[rows[k]]`` and within that member's
        box; a member with TV weight 0 draws nothing (its row is left as it is). An objective
        without members serves every row of ``out``."""
        if out.dim() == 2:
            return sample_box(self.low, self.high, self.n_tv_points, generator, out=out)
        n_members = self.members[0] if self.members else out.shape[0]
        active = self._tv_active if self.members else [self.uses_tv] * n_members
        per_member_box = self.low.dim() > 1
        generators = per_member_generators(generator, n_members)
        for k, i in enumerate(range(out.shape[0]) if rows is None else rows):
            if active[i]:
                low, high = (self.low[i], self.high[i]) if per_member_box else (self.low, self.high)
                sample_box(low, high, self.n_tv_points, generators[i], out=out[k])
        return out

    def _aligned(self, data: Tensor, W: Tensor, trailing: int) -> Tensor:
        """Per-member ``data`` (``B`` leading) with singleton dimensions inserted after ``B``,
        so that it broadcasts against ``W`` of shape ``(B, *, N, D)``."""
        if data.dim() == trailing:  # shared by the members
            return data
        extra = W.dim() - 2 - (data.dim() - trailing)
        return data.reshape(data.shape[0], *([1] * extra), *data.shape[1:])

    def ridge_for(self, W: Tensor, trailing: int = 0) -> float | Tensor:
        r""":math:`\delta` for features ``W`` of shape ``(*, N, D)``: the number ``ridge``, or the
        members' ``ridges`` shaped ``(B,)`` followed by ``W.dim() - 3 + trailing`` singleton
        dimensions, to broadcast against ``W``'s batch dimensions and ``trailing`` more."""
        if not self.per_member_ridge:
            return self.ridge
        return self.ridges.reshape(-1, *([1] * (W.dim() - 3 + trailing)))

    def __call__(
        self, W: Tensor, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor, Tensor]:
        r"""Loss, MSE and TV (each of shape ``(*)``, float64) at features ``W`` of shape (*, N, D).

        ``b`` is the ridge solution on the training data, differentiated implicitly; the TV
        points are drawn from ``generator``.
        """
        W64 = W.to(torch.float64)
        X, y = self._aligned(self._X64, W, 2), self._aligned(self._y64, W, 1)
        A = design_matrix(X, W64, self.activation)  # (*, M, P)
        b = ridge_solve(A, y, self.ridge_for(W))  # (*, P)
        mse = mean_squared_error(A, b, y)
        if not self.uses_tv:
            return mse, mse, torch.zeros_like(mse)
        b_tv = b.to(_complex_of(W.dtype) if b.is_complex() else W.dtype)
        points = self.tv_points(generator)
        tv = tv_penalty(W, b_tv, self._aligned(points, W, 2), self.activation).to(torch.float64)
        return mse + self.tv_weights * tv, mse, tv

    @torch.no_grad()
    def coefficients(self, W: Tensor) -> Tensor:
        """Output weights ``b`` of shape ``(*, P)`` solved on the training data, in float64."""
        return ridge_solve(design_matrix(self._aligned(self._X64, W, 2), W.to(torch.float64), self.activation),
                           self._aligned(self._y64, W, 1), self.ridge_for(W))

    @torch.no_grad()
    def validation_mse(self, W: Tensor) -> Tensor:
        """MSE on the validation data, shape (*), with ``b`` solved on the training data."""
        if self.X_val is None or self.y_val is None:
            raise ValueError("ReducedObjective has no validation data")
        b = self.coefficients(W)
        X_val = self._aligned(self.X_val.to(torch.float64), W, 2)
        A_val = design_matrix(X_val, W.to(torch.float64), self.activation)
        return mean_squared_error(A_val, b, self._aligned(self.y_val.to(torch.float64), W, 1))


def per_member_generators(generator, n_members: int) -> list:
    """One ``torch.Generator`` (or None) per member, from one generator (shared: only where
    there is one member, or None) or a sequence of ``n_members``."""
    if generator is None or isinstance(generator, torch.Generator):
        if n_members > 1 and generator is not None:
            raise ValueError(f"a batched run needs one torch.Generator per member ({n_members}), got one")
        return [generator] * n_members
    generator = list(generator)
    if len(generator) != n_members:
        raise ValueError(f"need one torch.Generator per member ({n_members}), got {len(generator)}")
    return generator
