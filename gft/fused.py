r"""The Fourier reduced MSE in one autograd node: features, complex ridge solve and loss, with a real closed-form backward pass.

For :math:`A = C + iS`, :math:`C = \cos(2\pi t)/N`, :math:`S = \sin(2\pi t)/N`,
:math:`t = XW^\top`, the complex system :math:`(A^HA + \delta I)\hat b = A^Hy` is assembled from
the one real Gram matrix of :math:`B = [C, S]`,

.. math:: A^HA = (C^\top C + S^\top S) + i(C^\top S - S^\top C), \qquad A^H y = C^\top y - i S^\top y,

and the loss is :math:`\frac1M\|\mathrm{Re}(A\hat b) - y\|^2` with
:math:`\mathrm{Re}(A\hat b) = Cu - Sv`, :math:`\hat b = u + iv`. The backward pass combines the
direct term and the implicit-function-theorem term
:math:`\bar A = r g^H - (Ag)\hat b^H` (:mod:`gft.ridge`) into one ``(M, 4) @ (4, 2N)`` product and
never forms a complex ``(M, N)`` tensor; autograd through the same computation spends most
of its time in complex elementwise kernels. The Cholesky factorisation runs in float64
whatever the input dtype, and so do the Gram matrix and ``A^H y`` they come from: with
float32 features (a float32 generator is twice as fast) the solve is as accurate as in
float64, which the refined fits need to reach test errors of 1e-5 and below. :func:`gft.ridge_solve` is the general-purpose layer; this node is what the
training loop uses for ``fourier`` and is tested against it.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from .ridge import cholesky_with_retry

__all__ = ["fourier_reduced_mse", "fourier_tv"]

TWO_PI = 2.0 * math.pi


def _to_complex128(P: Tensor, Q: Tensor) -> Tensor:
    return torch.complex(P.to(torch.float64), Q.to(torch.float64))


class _FourierReducedMSE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, X: Tensor, W: Tensor, y: Tensor, ridge: float):
        n = W.shape[-2]
        s = TWO_PI * torch.matmul(X, W.mT)  # (*, M, N)
        B = torch.cat([torch.cos(s), torch.sin(s)], dim=-1).div_(n)  # (*, M, 2N) = [C, S]
        # The Gram matrix and the right-hand side in float64 whatever B's dtype: in float32,
        # A^H A is exact only to about N * eps32 * mean(diag), far above ridge = 1e-7, and
        # the refined fits lose an order of magnitude of accuracy.
        B64 = B.to(torch.float64)
        H = torch.matmul(B64.mT, B64)  # (*, 2N, 2N)
        K = torch.complex(H[..., :n, :n] + H[..., n:, n:], H[..., :n, n:] - H[..., n:, :n])
        K.diagonal(dim1=-2, dim2=-1).add_(ridge)
        L = cholesky_with_retry(K)
        Bty = torch.matmul(B64.mT, y.to(torch.float64).unsqueeze(-1)).squeeze(-1)  # (*, 2N)
        rhs = torch.complex(Bty[..., :n], -Bty[..., n:]).unsqueeze(-1)
        b = torch.cholesky_solve(rhs, L).squeeze(-1)  # (*, N) complex128
        u, v = b.real.to(B.dtype), b.imag.to(B.dtype)
        ub = torch.cat([u, v], dim=-1)  # (*, 2N)
        pred = torch.matmul(B, torch.cat([u, -v], dim=-1).unsqueeze(-1)).squeeze(-1)  # Re(Ab)
        e = pred - y
        mse = e.square().mean(-1)
        ctx.save_for_backward(X, B, y, L, ub, e)
        ctx.n, ctx.w_shape = n, W.shape
        return mse, torch.complex(u, v)

    @staticmethod
    @once_differentiable  # the backward uses saved factors: no exact double backward
    def backward(ctx, grad_mse: Tensor, grad_b: Tensor):
        X, B, y, L, ub, e = ctx.saved_tensors
        n = ctx.n
        u, v = ub[..., :n], ub[..., n:]
        e_bar = e * (2.0 / e.shape[-1]) * grad_mse.unsqueeze(-1)  # dL/dpred, (*, M)
        q = torch.matmul(B.mT, e_bar.unsqueeze(-1)).squeeze(-1)  # d/d[u; -v]
        gb_re, gb_im = q[..., :n], -q[..., n:]
        if grad_b is not None:
            gb_re = gb_re + grad_b.real
            gb_im = gb_im + grad_b.imag
        g = torch.cholesky_solve(_to_complex128(gb_re, gb_im).unsqueeze(-1), L).squeeze(-1)
        gr, gi = g.real.to(B.dtype), g.imag.to(B.dtype)
        # A g and Im(A b) as one product with B: columns [Re Ag, Im Ag, Im Ab]
        rhs = torch.stack(
            [torch.cat([gr, -gi], -1), torch.cat([gi, gr], -1), torch.cat([v, u], -1)], dim=-1
        )  # (*, 2N, 3)
        ag = torch.matmul(B, rhs)  # (*, M, 3)
        ag_re, ag_im, ab_im = ag[..., 0], ag[..., 1], ag[..., 2]
        r_re, r_im = -e, -ab_im  # r = y - A b
        # [dL/dC, dL/dS] = U @ V^T: direct term e_bar (u, -v) plus r g^H - (A g) b^H.
        U = torch.stack([e_bar - ag_re, r_re, r_im, -ag_im], dim=-1)  # (*, M, 4)
        Vc = torch.stack([u, gr, gi, v], dim=-1)  # (*, N, 4)
        Vs = torch.stack([-v, -gi, gr, u], dim=-1)
        G = torch.matmul(U, torch.cat([Vc, Vs], dim=-2).mT)  # (*, M, 2N)
        C, S = B[..., :n], B[..., n:]
        grad_t = (C * G[..., n:] - S * G[..., :n]).mul_(TWO_PI)  # chain through cos, sin
        grad_W = torch.matmul(grad_t.mT, X).sum_to_size(ctx.w_shape)
        return None, grad_W, None, None


def fourier_reduced_mse(X: Tensor, W: Tensor, y: Tensor, ridge: float) -> tuple[Tensor, Tensor]:
    r"""Reduced MSE of the Fourier model and its complex output weights, in one autograd node.

    Parameters
    ----------
    X : Tensor of shape (M, d) or (*, M, d)
        Inputs (no gradient).
    W : Tensor of shape (*, N, d)
        Features (differentiable).
    y : Tensor of shape (M,) or (*, M)
        Real targets (no gradient).
    ridge : float
        :math:`\delta`.

    Returns
    -------
    mse : Tensor of shape (*)
        :math:`\frac1M\|\mathrm{Re}(A\hat b)-y\|^2`.
    b : complex Tensor of shape (*, N)
        :math:`\hat b(W)`, differentiable too (a penalty on it, such as TV, back-propagates
        through the implicit-function-theorem term).
    """
    return _FourierReducedMSE.apply(X, W, y, float(ridge))


class _FourierTV(torch.autograd.Function):
    r"""TV of the Fourier model, :math:`\frac1n\sum_j\|g_j\|_1` with
    :math:`g = -\frac{2\pi}{N}\,(\sin(s)\,\mathrm{diag}(u) + \cos(s)\,\mathrm{diag}(v))\,W`,
    :math:`s = 2\pi\,\Xi W^\top`, :math:`b = u + iv`; real arithmetic throughout."""

    @staticmethod
    def forward(ctx, W: Tensor, b: Tensor, points: Tensor):
        n = W.shape[-2]
        u, v = b.real.unsqueeze(-2).contiguous(), b.imag.unsqueeze(-2).contiguous()  # (*, 1, N)
        s = TWO_PI * torch.matmul(points, W.mT)  # (*, n, N)
        sin, cos = torch.sin(s), torch.cos(s)
        H = sin * u + cos * v
        g = torch.matmul(H, W).mul_(-TWO_PI / n)  # (*, n, d)
        ctx.save_for_backward(W, points, sin, cos, H, g, u, v)
        ctx.b_shape = b.shape
        return g.abs().sum(-1).mean(-1)

    @staticmethod
    @once_differentiable  # the backward uses saved factors: no exact double backward
    def backward(ctx, grad_out: Tensor):
        W, points, sin, cos, H, g, u, v = ctx.saved_tensors
        n = W.shape[-2]
        g_bar = torch.sign(g) * (grad_out[..., None, None] / g.shape[-2])  # (*, n, d)
        H_bar = torch.matmul(g_bar, W.mT).mul_(-TWO_PI / n)  # (*, n, N)
        grad_u = (H_bar * sin).sum(-2)
        grad_v = (H_bar * cos).sum(-2)
        s_bar = H_bar * (cos * u - sin * v)  # dH/ds
        grad_W = torch.matmul(s_bar.mT, points).mul_(TWO_PI) + torch.matmul(H.mT, g_bar).mul_(-TWO_PI / n)
        grad_b = torch.complex(grad_u, grad_v).sum_to_size(ctx.b_shape)
        return grad_W.sum_to_size(W.shape), grad_b, None


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
