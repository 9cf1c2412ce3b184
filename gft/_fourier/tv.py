r"""The Monte-Carlo TV of the Fourier model as one autograd node, with a backward pass made of small matrix products.

For :math:`f(x) = \mathrm{Re}\sum_l b_l\,e^{2\pi i\langle w_l, x\rangle}/N` the input gradient at
the points :math:`\Xi` (shape ``(P, d)``) is

.. math:: G = c\,\bigl(\sin(s)\,\mathrm{diag}(u) + \cos(s)\,\mathrm{diag}(v)\bigr)W
            = c\,\Sigma^\top\,[\mathrm{diag}(u)W; \mathrm{diag}(v)W], \qquad
          s = 2\pi\,W\Xi^\top, \quad b = u + iv, \quad c = -2\pi/N,

one ``(P, 2N) @ (2N, d)`` product with :math:`\Sigma = [\sin s; \cos s]` stored ``(2, N, P)``,
and :math:`\mathrm{TV} = \|G\|_1/P`. The constant :math:`c` is kept out of the products: with
:math:`G = cG''` the backward pass works with :math:`\mathrm{sign}(G'')` and scales once by
:math:`\kappa = 2\pi\bar\tau/(NP)` (:math:`\bar\tau` the incoming gradient). With
:math:`M = \Sigma\,\mathrm{sign}(G'')` (``(2, N, d)``), the gradients are

.. math:: \frac{\partial L}{\partial u_l} = \kappa\sum_m W_{lm}M^{\sin}_{lm}, \qquad
          \frac{\partial L}{\partial v_l} = \kappa\sum_m W_{lm}M^{\cos}_{lm},

.. math:: \frac{\partial L}{\partial W_{lm}} = \kappa\Bigl(u_lM^{\sin}_{lm} + v_lM^{\cos}_{lm}
          + 2\pi\sum_j W_{lj}\sum_p \bigl(u_l\cos s_{lp} - v_l\sin s_{lp}\bigr)
            \mathrm{sign}(G'')_{pj}\,\Xi_{pm}\Bigr).

For :math:`d \le 8` the last sum is read off one ``(2N, P) @ (P, d(d+1))`` product of
:math:`\Sigma` with :math:`\mathrm{sign}(G'') \otimes [\Xi, \mathbf 1]` (which also holds
:math:`M`), so no ``(N, P)`` elementwise pass remains; above that, elementwise passes over
``(N, P)`` are cheaper. :func:`gft.tv_penalty` is the general-purpose version, tested
against this one.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

__all__ = ["TVWorkspace", "tv_forward", "tv_backward", "fourier_tv"]

TWO_PI = 2.0 * math.pi
#: Up to this input dimension the TV backward contracts ``[sin, cos]`` with ``G ⊗ Ξ`` in
#: one product (cost ∝ d²); above it, elementwise passes over ``(N, P)`` are cheaper.
_TV_CONTRACT_MAX_DIM = 8


class TVWorkspace:
    """The buffers of :func:`tv_forward` / :func:`tv_backward` for one problem size and the
    views the two passes read and write (the training step reuses one for all its steps).

    Before :func:`tv_forward`, write the points into ``points`` (a ``(*, P, d)`` view of
    ``[Ξ, 1]``) and the output weights into ``b``; :meth:`set_coefficients` does the latter.
    """

    def __init__(self, W_shape, n_points: int, dtype: torch.dtype, device, points_batch=()):
        *w_batch, n, d = W_shape
        batch = tuple(torch.broadcast_shapes(tuple(w_batch), tuple(points_batch)))
        r = dict(dtype=dtype, device=device)
        self.n, self.n_points = n, n_points
        self.contract = d <= _TV_CONTRACT_MAX_DIM
        self.paug = torch.ones(*points_batch, n_points, d + 1, **r)  # [Ξ, 1]
        self.points = self.paug[..., :d]
        self.points_T = self.points.mT
        self.b = torch.empty(*w_batch, n, dtype=dtype.to_complex(), device=device)
        self.ib = torch.empty_like(self.b)
        self.uv_col = torch.view_as_real(self.b).movedim(-1, -2).unsqueeze(-1)  # (*, 2, n, 1): u; v
        self.coef_col = torch.view_as_real(self.ib).movedim(-1, -2).unsqueeze(-1)  # -v; u
        self.W2 = torch.empty(*w_batch, n, d, **r)
        self.W2_row = self.W2.unsqueeze(-3)
        self.s = torch.empty(*batch, n, n_points, **r)
        self.SC = torch.empty(*batch, 2, n, n_points, **r)
        self.sin, self.cos = self.SC.unbind(-3)
        self.SC_flat = self.SC.flatten(-3, -2)  # (*, 2n, P)
        self.SC_flat_T = self.SC_flat.mT
        self.uvW = torch.empty(*w_batch, 2, n, d, **r)
        self.uvW_flat = self.uvW.flatten(-3, -2)
        self.G = torch.empty(*batch, n_points, d, **r)  # G'' = G / c
        self.Gs = torch.empty_like(self.G)  # sign(G'')
        if self.contract:
            self.GP = torch.empty(*batch, n_points, d, d + 1, **r)
            self.GP_flat = self.GP.flatten(-2)
            self.Gs_col, self.paug_row = self.Gs.unsqueeze(-1), self.paug.unsqueeze(-2)
            self.T = torch.empty(*batch, 2 * n, d * (d + 1), **r)
            T5 = self.T.view(*batch, 2, n, d, d + 1)
            self.T_s, self.M = T5[..., :d], T5[..., d]  # (*, 2, n, d, d), (*, 2, n, d)
            self.coefW2 = torch.empty(*w_batch, 2, n, d, **r)
            self.coefW2_col = self.coefW2.unsqueeze(-1)
            self.KT = torch.empty(*batch, 2, n, d, d, **r)
        else:
            self.M_flat = torch.empty(*batch, 2 * n, d, **r)
            self.M = self.M_flat.unflatten(-2, (2, n))
            self.GW = torch.empty(*batch, n, n_points, **r)
            self.coefSC = torch.empty(*batch, 2, n, n_points, **r)
            self.coef_sum = torch.empty(*batch, n, n_points, **r)
        self.uvM = torch.empty(*batch, 2, n, d, **r)
        self.WM = torch.empty(*batch, 2, n, d, **r)
        self.grad_W = torch.empty(*batch, n, d, **r)
        self.grad_uv = torch.empty(*batch, 2, n, **r)  # gradient in [Re b; Im b]
        self.W = None

    def set_coefficients(self, b: Tensor) -> None:
        """Write the complex output weights ``b`` of shape ``(*, n)`` (cast to the workspace's precision)."""
        self.b.copy_(b)
        torch.mul(self.b, 1j, out=self.ib)

    def set_coefficients_from_solution(self, w: Tensor) -> None:
        r"""Write :math:`b = N\bar w` from the solution ``w`` (``(*, n, 1)``) of
        :func:`gft._fourier.mse.mse_forward` (:func:`gft._fourier.mse.coefficients_from_solution` without
        allocations)."""
        torch.mul(w.squeeze(-1).conj(), self.n, out=self.b)
        torch.mul(self.b, 1j, out=self.ib)


def tv_forward(W: Tensor, ws: TVWorkspace) -> Tensor:
    """TV of the Fourier model with features ``W`` (``(*, n, d)``) and the output weights and
    points held by ``ws``; shape ``(*)``. Keeps what :func:`tv_backward` needs in ``ws``."""
    ws.W = W
    torch.mul(W, TWO_PI, out=ws.W2)
    torch.matmul(ws.W2, ws.points_T, out=ws.s)
    torch.sin(ws.s, out=ws.sin)
    torch.cos(ws.s, out=ws.cos)
    torch.mul(ws.uv_col, W.unsqueeze(-3), out=ws.uvW)  # [diag(u) W; diag(v) W]
    torch.matmul(ws.SC_flat_T, ws.uvW_flat, out=ws.G)
    scale = TWO_PI / (ws.n * ws.n_points)
    return torch.linalg.vector_norm(ws.G, ord=1, dim=(-2, -1)).mul_(scale)


def tv_backward(ws: TVWorkspace, grad_tv: Tensor | float) -> tuple[Tensor, Tensor]:
    """Gradients of :func:`tv_forward`'s value: with respect to ``W`` (``(*, n, d)``) and to
    ``[Re b; Im b]`` (``(*, 2, n)``), both buffers of ``ws``."""
    kappa = TWO_PI / (ws.n * ws.n_points)
    if isinstance(grad_tv, Tensor):  # rounded once from float64, as a number times kappa is
        kappa = (grad_tv.to(torch.float64)[..., None, None] * kappa).to(ws.G.dtype)
    else:
        kappa = grad_tv * kappa
    torch.sign(ws.G, out=ws.Gs)
    if ws.contract:
        torch.mul(ws.Gs_col, ws.paug_row, out=ws.GP)
        torch.matmul(ws.SC_flat, ws.GP_flat, out=ws.T)  # also M = [sin; cos] sign(G'')
        # the path through s: sum_{p, j} [-v; u]_p W2_lj T_{p, l, j, m}
        torch.mul(ws.coef_col, ws.W2_row, out=ws.coefW2)
        torch.mul(ws.coefW2_col, ws.T_s, out=ws.KT)
        torch.sum(ws.KT, dim=(-4, -2), out=ws.grad_W)
    else:
        torch.matmul(ws.SC_flat, ws.Gs, out=ws.M_flat)
        torch.matmul(ws.W2, ws.Gs.mT, out=ws.GW)
        torch.mul(ws.coef_col, ws.SC, out=ws.coefSC)
        torch.sum(ws.coefSC, dim=-3, out=ws.coef_sum)
        ws.GW.mul_(ws.coef_sum)
        torch.matmul(ws.GW, ws.points, out=ws.grad_W)
    torch.mul(ws.uv_col, ws.M, out=ws.uvM)  # the direct path: u M_sin + v M_cos
    ws.grad_W.add_(ws.uvM[..., 0, :, :]).add_(ws.uvM[..., 1, :, :]).mul_(kappa)
    torch.mul(ws.W.unsqueeze(-3), ws.M, out=ws.WM)
    torch.sum(ws.WM, dim=-1, out=ws.grad_uv).mul_(kappa)
    return ws.grad_W, ws.grad_uv


class _FourierTV(torch.autograd.Function):
    @staticmethod
    def forward(ctx, W: Tensor, b: Tensor, points: Tensor):
        ws = TVWorkspace(W.shape, points.shape[-2], W.dtype, W.device, points.shape[:-2])
        ws.points.copy_(points)
        ws.set_coefficients(b)
        ctx.workspace, ctx.w_shape, ctx.b_shape, ctx.b_dtype = ws, W.shape, b.shape, b.dtype
        return tv_forward(W, ws)

    @staticmethod
    @once_differentiable  # the backward uses saved factors: no exact double backward
    def backward(ctx, grad_tv: Tensor):
        grad_W, grad_uv = tv_backward(ctx.workspace, grad_tv)
        grad_b = torch.complex(grad_uv[..., 0, :], grad_uv[..., 1, :]).to(ctx.b_dtype)
        return grad_W.sum_to_size(ctx.w_shape), grad_b.sum_to_size(ctx.b_shape), None


def fourier_tv(W: Tensor, b: Tensor, points: Tensor) -> Tensor:
    r"""Monte-Carlo TV of the Fourier model, equal to :func:`gft.tv_penalty` for ``fourier``.

    Parameters
    ----------
    W : Tensor of shape (*, N, d)
    b : complex Tensor of shape (*, N)
    points : Tensor of shape (n, d) or (*, n, d)

    Returns
    -------
    Tensor of shape (*)
    """
    return _FourierTV.apply(W, b, points)
