r"""The Monte-Carlo TV of the Fourier model as one autograd node, with a backward pass made of small matrix products.

For :math:`f(x) = \mathrm{Re}\sum_l b_l\,e^{2\pi i\langle w_l, x\rangle}/N` the input gradient at
the points :math:`\Xi` (shape ``(P, d)``) is

.. math:: G = c\,\bigl(\sin(s)^\top\mathrm{diag}(u) + \cos(s)^\top\mathrm{diag}(v)\bigr)W
            = c\,\Sigma^\top\,[\mathrm{diag}(u)W; \mathrm{diag}(v)W], \qquad
          s = 2\pi\,W\Xi^\top, \quad b = u + iv, \quad c = -2\pi/N,

one product with :math:`\Sigma = [\sin s; \cos s]` stored ``(2, N, P)``, and
:math:`\mathrm{TV} = \|G\|_1/P`. The products are computed transposed, as
``(d, 2N) @ (2N, P)`` (likewise the backward pass's below), with ``P`` the long dimension of
their output: on the CPU a product with a few output columns runs several times slower than
the same product as rows. The constant :math:`c` is kept out of the products: with
:math:`G = cG''` the backward pass works with :math:`\mathrm{sign}(G'')` and scales once by
:math:`\kappa = 2\pi\bar\tau/(NP)` (:math:`\bar\tau` the incoming gradient). With
:math:`M = \Sigma\,\mathrm{sign}(G'')` (``(2, N, d)``), the gradients are

.. math:: \frac{\partial L}{\partial u_l} = \kappa\sum_m W_{lm}M^{\sin}_{lm}, \qquad
          \frac{\partial L}{\partial v_l} = \kappa\sum_m W_{lm}M^{\cos}_{lm},

.. math:: \frac{\partial L}{\partial W_{lm}} = \kappa\Bigl(u_lM^{\sin}_{lm} + v_lM^{\cos}_{lm}
          + 2\pi\sum_j W_{lj}\sum_p \bigl(u_l\cos s_{lp} - v_l\sin s_{lp}\bigr)
            \mathrm{sign}(G'')_{pj}\,\Xi_{pm}\Bigr).

For :math:`d \le 8` the last sum is read off one product of :math:`\Sigma` with
:math:`\mathrm{sign}(G'') \otimes [\Xi, \mathbf 1]` (which also holds :math:`M`), computed as
``(d(d+1), P) @ (P, 2N)``, so no ``(N, P)`` elementwise pass remains; above that, elementwise
passes over ``(N, P)`` are cheaper. :func:`gft.tv_penalty` is the general-purpose version, tested
against this one.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from .products import fixed_product, per_member_products

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
        self.s = torch.empty(*batch, n, n_points, **r)
        self.SC = torch.empty(*batch, 2, n, n_points, **r)
        self.sin, self.cos = self.SC.unbind(-3)
        self.SC_flat = self.SC.flatten(-3, -2)  # (*, 2n, P)
        self.SC_flat_T = self.SC_flat.mT
        self.uvW = torch.empty(*w_batch, 2, n, d, **r)
        self.uvW_flat = self.uvW.flatten(-3, -2)
        # G'' = G / c and its sign, (*, P, d), as transposed views of (*, d, P) buffers: the
        # products write and read them as rows
        self.GT = torch.empty(*batch, d, n_points, **r)
        self.GsT = torch.empty_like(self.GT)
        self.G, self.Gs = self.GT.mT, self.GsT.mT
        self.uvW_flat_T = self.uvW_flat.mT
        self.grad_W_T = torch.empty(*batch, d, n, **r)
        self.grad_W = self.grad_W_T.mT
        if self.contract:
            # [Ξ, 1]^T, its last row ones; the points are copied in at every call
            self.paug_T = torch.ones(*points_batch, d + 1, n_points, **r)
            self.points_T_rows = self.paug_T[..., :d, :]
            # sign(G'') ⊗ [Ξ, 1], transposed: (*, d, d + 1, P)
            self.GP_T = torch.empty(*batch, d, d + 1, n_points, **r)
            self.GP_T_flat = self.GP_T.flatten(-3, -2)
            self.GsT_col, self.paug_T_row = self.GsT.unsqueeze(-2), self.paug_T.unsqueeze(-3)
            # (sign(G'') ⊗ [Ξ, 1])^T Σ^T, (*, d(d+1), 2n); viewed as (*, d, d+1, 2, n), index
            # [j, m, s, l]: the entries with m < d and the column m = d (which is M^T)
            self.T_T = torch.empty(*batch, d * (d + 1), 2 * n, **r)
            T4 = self.T_T.view(*batch, d, d + 1, 2, n)
            self.T_s_T = T4[..., :d, :, :]  # (*, d, d, 2, n)
            self.M = T4[..., d, :, :].movedim(-3, -1)  # (*, 2, n, d)
            # [-v; u]_{s, l} W2_{l, j} as (*, d, 1, 2, n), against T_s_T
            self.coefW2_T = torch.empty(*w_batch, d, 2, n, **r)
            self.coefW2_T_col = self.coefW2_T.unsqueeze(-3)
            self.coef_row = torch.view_as_real(self.ib).movedim(-1, -2).unsqueeze(-3)  # (*, 1, 2, n)
            self.W2_T_col = self.W2.mT.unsqueeze(-2)  # (*, d, 1, n)
            self.KT = torch.empty(*batch, d, d, 2, n, **r)
        else:
            self.M_flat = torch.empty(*batch, 2 * n, d, **r)
            self.M = self.M_flat.unflatten(-2, (2, n))
            self.GW = torch.empty(*batch, n, n_points, **r)
            self.coefSC = torch.empty(*batch, 2, n, n_points, **r)
            self.coef_sum = torch.empty(*batch, n, n_points, **r)
        # the products, member by member where a batched run needs it (see .products): the
        # backward's sums over the P points, and the forward's too (at two threads a BLAS may
        # run a one-problem (d, 2n) @ (2n, P) product differently from its one-thread run)
        per_member = per_member_products(batch, device)
        self.s_product = fixed_product(self.W2, self.points_T, self.s, per_member)
        self.G_product = fixed_product(self.uvW_flat_T, self.SC_flat, self.GT, per_member)
        if self.contract:
            self.T_T_product = fixed_product(self.GP_T_flat, self.SC_flat_T, self.T_T, per_member)
        else:
            self.M_product = fixed_product(self.SC_flat, self.Gs, self.M_flat, per_member)
            self.grad_W_product = fixed_product(self.points_T, self.GW.mT, self.grad_W_T, per_member)
            self.GW_product = fixed_product(self.W2, self.Gs.mT, self.GW, per_member)
        self.uvM = torch.empty(*batch, 2, n, d, **r)
        self.WM = torch.empty(*batch, 2, n, d, **r)
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
    ws.s_product()  # 2 pi W Ξ^T
    torch.sin(ws.s, out=ws.sin)
    torch.cos(ws.s, out=ws.cos)
    torch.mul(ws.uv_col, W.unsqueeze(-3), out=ws.uvW)  # [diag(u) W; diag(v) W]
    ws.G_product()  # G''^T, (*, d, P)
    scale = TWO_PI / (ws.n * ws.n_points)
    return torch.linalg.vector_norm(ws.GT, ord=1, dim=(-2, -1)).mul_(scale)


def tv_backward(ws: TVWorkspace, grad_tv: Tensor | float) -> tuple[Tensor, Tensor]:
    """Gradients of :func:`tv_forward`'s value: with respect to ``W`` (``(*, n, d)``) and to
    ``[Re b; Im b]`` (``(*, 2, n)``), both buffers of ``ws``."""
    kappa = TWO_PI / (ws.n * ws.n_points)
    if isinstance(grad_tv, Tensor):  # rounded once from float64, as a number times kappa is
        kappa = (grad_tv.to(torch.float64)[..., None, None] * kappa).to(ws.G.dtype)
    else:
        kappa = grad_tv * kappa
    torch.sign(ws.GT, out=ws.GsT)
    if ws.contract:
        ws.points_T_rows.copy_(ws.points_T)
        torch.mul(ws.GsT_col, ws.paug_T_row, out=ws.GP_T)
        ws.T_T_product()  # GP^T Σ^T, which also holds M = [sin; cos] sign(G'')
        # the path through s: sum_{s, j} [-v; u]_{s, l} W2_{l, j} T_{s, l, j, m}
        torch.mul(ws.coef_row, ws.W2_T_col, out=ws.coefW2_T)
        torch.mul(ws.coefW2_T_col, ws.T_s_T, out=ws.KT)
        torch.sum(ws.KT, dim=(-4, -2), out=ws.grad_W_T)
    else:
        ws.M_product()  # Σ sign(G'')
        ws.GW_product()
        torch.mul(ws.coef_col, ws.SC, out=ws.coefSC)
        torch.sum(ws.coefSC, dim=-3, out=ws.coef_sum)
        ws.GW.mul_(ws.coef_sum)
        ws.grad_W_product()  # Ξ^T (GW)^T
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
