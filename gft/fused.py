r"""The Fourier reduced MSE and TV as single autograd nodes, with backward passes made of small matrix products.

**Reduced MSE.** Write the features unscaled, :math:`\tilde B = [\tilde C, \tilde S] = [\cos s, \sin s]`
with :math:`s = 2\pi XW^\top` of shape ``(M, N)``, so that :math:`A = (\tilde C + i\tilde S)/N`.
The complex ridge system :math:`(A^HA + \delta I)\hat b = A^Hy`, multiplied by :math:`N^2`, is
assembled from blocks of the real Gram matrix :math:`H = \tilde B^\top\tilde B`,

.. math:: \tilde K = (H_{CC} + H_{SS}) + i(H_{CS} - H_{SC}) + N^2\delta I, \qquad
          \tilde K\,\tilde b = \tilde C^\top y - i\,\tilde S^\top y, \qquad \hat b = N\tilde b ,

computed with two ``(N, M) @ (M, N)`` products instead of four:
:math:`Q = \tilde C^\top\tilde S = H_{CS}`, and with :math:`D = \tilde C + \tilde S`,
:math:`H_{CC} + H_{SS} = D^\top D - Q - Q^\top`.

In real terms :math:`x = [\mathrm{Re}\,\tilde b; -\mathrm{Im}\,\tilde b]` solves
:math:`Rx = \tilde B^\top y` with :math:`R = H + J^\top HJ + N^2\delta I`,
:math:`J = \begin{pmatrix}0 & -I\\ I & 0\end{pmatrix}`, and the prediction is
:math:`\mathrm{Re}(A\hat b) = \tilde Bx`. Differentiating :math:`L = \frac1M\|\tilde Bx - y\|^2`
through :math:`R` gives, with :math:`e = \tilde Bx - y`, :math:`\bar e = 2e/M` and
:math:`g = R^{-1}\tilde B^\top\bar e`,

.. math:: \frac{\partial L}{\partial\tilde B} = UV^\top, \quad
          U = [\bar e - \tilde Bg,\; -e,\; -\tilde BJx,\; -\tilde BJg], \quad
          V = [x,\; g,\; Jg,\; Jx],

a rank-4 matrix. The chain through :math:`\cos` and :math:`\sin` then contracts to

.. math:: \frac{\partial L}{\partial W_{lm}} = 2\pi\sum_k \bigl(V_{S,lk}\,T_{C,lkm} - V_{C,lk}\,T_{S,lkm}\bigr),
          \qquad T = \tilde B^\top (U \otimes X) \in \mathbb R^{2N\times 4\times d},

one ``(2N, M) @ (M, 4d)`` product: the backward pass never forms an ``(M, N)`` tensor.
The Gram matrix, the solve and everything after it run in float64 whatever the input
dtype: in float32, :math:`A^HA` is exact only to about :math:`N\epsilon_{32}\,\mathrm{mean}(\mathrm{diag})`,
far above :math:`\delta = 10^{-7}`, and the refined fits lose an order of magnitude of accuracy.

**TV.** For :math:`f(x) = \mathrm{Re}\sum_l b_l\,e^{2\pi i\langle w_l, x\rangle}/N` the input gradient
at the points :math:`\Xi` is :math:`G = -\frac{2\pi}{N}(\sin(s)\,\mathrm{diag}(u) + \cos(s)\,\mathrm{diag}(v))W`,
:math:`s = 2\pi\,\Xi W^\top`, :math:`b = u + iv`; with :math:`\Sigma = [\sin s, \cos s]` it is the one
product :math:`\Sigma\,[\mathrm{diag}(u)W; \mathrm{diag}(v)W]`, and the backward pass is again a
contraction of :math:`\Sigma^\top` with :math:`[\bar G \otimes \Xi, \bar G]`.

:func:`gft.ridge_solve` and :func:`gft.tv_penalty` are the general-purpose versions; these
nodes are what training uses for ``fourier`` and are tested against them. The
``*_forward`` / ``*_backward`` pairs are also called directly by the hand-written training
step of :mod:`gft.step`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from .ridge import cholesky_with_retry

__all__ = [
    "fourier_reduced_mse",
    "fourier_reduced_mse_prepared",
    "fourier_data",
    "fourier_tv",
    "mse_forward",
    "mse_backward",
    "coefficients_from_solution",
    "b_grad_to_w",
    "tv_forward",
    "tv_backward",
]

TWO_PI = 2.0 * math.pi
#: Up to this input dimension the TV backward contracts ``[sin, cos]`` with ``G ⊗ Ξ`` in
#: one product (cost ∝ d²); above it, elementwise passes over ``(n, N)`` are cheaper.
_TV_CONTRACT_MAX_DIM = 8


def _stacked(f1, f2, s: Tensor) -> Tensor:
    """``[f1(s); f2(s)]`` of shape ``(*, 2, m, n)``: the two halves of ``[f1(s), f2(s)]``,
    each contiguous (a concatenation along the last dimension is several times slower)."""
    out = s.new_empty(*s.shape[:-2], 2, *s.shape[-2:])
    f1(s, out=out[..., 0, :, :])
    f2(s, out=out[..., 1, :, :])
    return out


def _t_matmul(BT: Tensor, Z: Tensor) -> Tensor:
    """:math:`[B_1, B_2]^\\top Z` of shape ``(*, 2n, k)`` for ``BT`` = :math:`[B_1^\\top; B_2^\\top]`
    of shape (*, 2, n, m) and ``Z`` of shape (*, m, k): one ``(2n, m) @ (m, k)`` product."""
    if BT.dim() == 3 and Z.dim() == 2:
        return torch.matmul(BT.flatten(0, 1), Z)
    return torch.matmul(BT, Z.unsqueeze(-3)).flatten(-3, -2)


def _matmul(BT: Tensor, Z: Tensor) -> Tensor:
    """:math:`[B_1, B_2]\\,Z` of shape ``(*, m, k)`` for ``BT`` of shape (*, 2, n, m), ``Z`` (*, 2n, k)."""
    return torch.matmul(BT.mT, Z.unflatten(-2, (2, -1))).sum(-3)


def _real_form(z: Tensor) -> Tensor:
    """``[Re z; Im z]`` of shape ``(*, 2n, k)`` for complex ``z`` of shape ``(*, n, k)``."""
    return torch.view_as_real(z).movedim(-1, -3).flatten(-3, -2)


def _solve(U: Tensor, q: Tensor, n: int) -> Tensor:
    r"""Complex ``w`` of shape ``(*, n, k)`` with :math:`x = [\mathrm{Re}\,w; \mathrm{Im}\,w] = R^{-1}q`.

    :math:`Rx = q` is :math:`\tilde K z = q_1 - iq_2` with :math:`x = [\mathrm{Re}\,z; -\mathrm{Im}\,z]`,
    that is :math:`\bar K w = q_1 + iq_2` with :math:`w = \bar z` — no sign flips. ``U`` is the
    upper Cholesky factor of :math:`\bar K = U^HU` (the upper factorisation is the faster one
    on the CPU; one ``cholesky_solve`` call beats two triangular solves in the training step)."""
    return torch.cholesky_solve(torch.complex(q[..., :n, :], q[..., n:, :]), U, upper=True)


def fourier_data(X: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """``(2πX, y)`` in float64, ``y`` as a column ``(*, M, 1)``: the inputs of :func:`mse_forward`
    (the training objective prepares them once)."""
    return TWO_PI * X.to(torch.float64), y.to(torch.float64).unsqueeze(-1)


def coefficients_from_solution(w: Tensor, W: Tensor) -> Tensor:
    r""":math:`\hat b = N\bar w` of shape ``(*, N)``, complex of ``W``'s precision."""
    b = torch.conj_physical(w.squeeze(-1)).mul_(W.shape[-2])
    return b.to(torch.complex64 if W.dtype == torch.float32 else torch.complex128)


def mse_forward(Xs: Tensor, W: Tensor, y: Tensor, ridge: float):
    """Reduced MSE, the solution of the ridge system and what :func:`mse_backward` needs.

    Parameters
    ----------
    Xs, y : Tensor of shapes (*, M, d) and (*, M, 1)
        :math:`2\\pi X` and the targets, float64, from :func:`fourier_data`.
    W : Tensor of shape (*, N, d)
    ridge : float

    Returns
    -------
    mse : Tensor of shape (*), float64
    w : complex128 Tensor of shape (*, N, 1)
        :math:`\\bar{\\hat b}/N`; :math:`\\hat b` is :func:`coefficients_from_solution` of it.
    saved : tuple
        For :func:`mse_backward`.
    """
    n = W.shape[-2]
    s = torch.matmul(W.to(torch.float64), Xs.mT)  # (*, n, M): s^T
    # [C; S; D]^T in one buffer, D = C + S, each (n, M): B^T = [C^T; S^T] and the Gram
    # products are views of it.
    CSD = s.new_empty(*s.shape[:-2], 3, *s.shape[-2:])
    torch.cos(s, out=CSD[..., 0, :, :])
    torch.sin(s, out=CSD[..., 1, :, :])
    torch.add(CSD[..., 0, :, :], CSD[..., 1, :, :], out=CSD[..., 2, :, :])
    B = CSD[..., :2, :, :]  # (*, 2, n, M): C^T, S^T
    # Two (n, M) @ (M, n) products (one batched call) instead of H's four: Q = C^T S gives
    # Im K = Q - Q^T, and Re K = C^T C + S^T S = D^T D - Q - Q^T (float64: no harmful
    # cancellation).
    QG = torch.matmul(CSD[..., 0::2, :, :], CSD[..., 1:, :, :].mT)  # (*, 2, n, n): Q, D^T D
    Q = QG[..., 0, :, :]
    Kr = QG[..., 1, :, :].sub_(Q).sub_(Q.mT)
    Kr.diagonal(dim1=-2, dim2=-1).add_(ridge * n * n)
    chol = cholesky_with_retry(torch.complex(Kr, Q.mT - Q), upper=True)  # conj(K~): see _solve
    w = _solve(chol, _t_matmul(B, y), n)  # (*, n, 1)
    x = _real_form(w)  # (*, 2n, 1)
    e = _matmul(B, x).sub_(y)  # (*, M, 1) residual
    return e.square().mean(dim=(-2, -1)), w, (Xs, B, chol, w, e, y)


def mse_backward(saved, grad_mse: Tensor | float, grad_w: Tensor | None) -> Tensor:
    """Gradient with respect to ``W`` of :func:`mse_forward`'s outputs.

    Parameters
    ----------
    saved : tuple
        From :func:`mse_forward`.
    grad_mse : Tensor of shape (*) or float
        Incoming gradient of the MSE.
    grad_w : complex Tensor of shape (*, N, 1) or None
        Incoming gradient of ``w`` (:func:`b_grad_to_w` turns one of :math:`\\hat b` into it).

    Returns
    -------
    Tensor of shape (*, N, d), float64
    """
    Xs, B, chol, w, e, y = saved
    n, d = B.shape[-2], Xs.shape[-1]
    if isinstance(grad_mse, Tensor):
        grad_mse = grad_mse.to(torch.float64)[..., None, None]
    e_bar = e * (grad_mse * (2.0 / e.shape[-2]))
    q = _t_matmul(B, e_bar)  # dL/dx, (*, 2n, 1)
    if grad_w is not None:
        q = q + _real_form(grad_w)
    gamma = _solve(chol, q, n)  # g = R^{-1} q = [Re gamma; Im gamma]
    # J acts as multiplication by i on the complex form: Z = [x, g, Jx, Jg] in real form.
    wg = torch.cat([w, gamma], dim=-1)
    Z = _real_form(torch.cat([wg, wg * 1j], dim=-1))  # (*, 2n, 4)
    P = _matmul(B, Z)  # (*, M, 4): Bx, Bg, BJx, BJg
    # dL/dB = U V^T with U = [e_bar - Bg, y - Bx, BJg, BJx] against V = [x, g, -Jx, -Jg]
    U = torch.cat([e_bar - P[..., 1:2], y - P[..., :1], P[..., 3:4], P[..., 2:3]], dim=-1)
    T = _t_matmul(B, (U.unsqueeze(-1) * Xs.unsqueeze(-2)).flatten(-2)).unflatten(-1, (4, d))
    # dL/dW = sum_k V_S T_C - V_C T_S over the rank-4 index k: rows swapped against T
    V_swapped = torch.cat([Z[..., n:, :], -Z[..., :n, :]], dim=-2)  # [V_S; -V_C]
    V_swapped[..., 2:].neg_()
    return (V_swapped.unsqueeze(-1) * T).unflatten(-3, (2, n)).sum(dim=(-4, -2))


def b_grad_to_w(grad_b: Tensor, n: int) -> Tensor:
    r"""The incoming gradient of :math:`\hat b = N\bar w` as one of ``w`` (shape ``(*, n, 1)``)."""
    return torch.conj_physical(grad_b.to(torch.complex128)).mul_(n).unsqueeze(-1)


class _FourierReducedMSE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, Xs: Tensor, W: Tensor, y: Tensor, ridge: float):
        mse, w, saved = mse_forward(Xs, W, y, ridge)
        ctx.save_for_backward(*saved)
        ctx.w_shape, ctx.w_dtype = W.shape, W.dtype
        return mse.to(W.dtype), coefficients_from_solution(w, W)

    @staticmethod
    @once_differentiable  # the backward uses saved factors: no exact double backward
    def backward(ctx, grad_mse: Tensor, grad_b: Tensor):
        n = ctx.w_shape[-2]
        grad_w = None if grad_b is None else b_grad_to_w(grad_b, n)
        grad_W = mse_backward(ctx.saved_tensors, grad_mse, grad_w)
        return None, grad_W.to(ctx.w_dtype).sum_to_size(ctx.w_shape), None, None


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
    return fourier_reduced_mse_prepared(fourier_data(X, y), W, ridge)


def fourier_reduced_mse_prepared(data: tuple[Tensor, Tensor], W: Tensor, ridge: float):
    """:func:`fourier_reduced_mse` on inputs already passed through :func:`fourier_data`."""
    return _FourierReducedMSE.apply(data[0], W, data[1], float(ridge))


def tv_forward(W: Tensor, b: Tensor, points: Tensor):
    """TV of the Fourier model at ``points`` and what :func:`tv_backward` needs."""
    n = W.shape[-2]
    b = b.to(W.dtype.to_complex())
    uv = torch.view_as_real(b).movedim(-1, -2)  # (*, 2, n): [u; v]
    W2 = TWO_PI * W
    # [sin; cos] of s^T = 2 pi W points^T, stored (*, 2, n, P): the backward's contraction
    # with it is then one (2n, P) @ (P, k) product.
    SC = _stacked(torch.sin, torch.cos, torch.matmul(W2, points.mT))
    # G = -(2 pi / n) [sin, cos] [diag(u) W; diag(v) W]: the input gradients, (*, P, d)
    G = torch.matmul(SC.mT, uv.unsqueeze(-1) * (W * (-TWO_PI / n)).unsqueeze(-3)).sum(-3)
    tv = torch.linalg.vector_norm(G, ord=1, dim=(-2, -1)) / G.shape[-2]
    return tv, (W, W2, points, SC, G, b, uv)


def tv_backward(saved, grad_tv: Tensor | float, b_shape) -> tuple[Tensor, Tensor]:
    """Gradients of ``tv_forward``'s value with respect to ``W`` and ``b``."""
    W, W2, points, SC, G, b, uv = saved
    n, d = W.shape[-2:]
    scale = -TWO_PI / (n * G.shape[-2])
    # Gb = dL/dG times -2 pi / n: dL/dH = Gb W^T for H = sin diag(u) + cos diag(v)
    scale = grad_tv[..., None, None] * scale if isinstance(grad_tv, Tensor) else grad_tv * scale
    Gb = torch.sign(G).mul_(scale)
    # dH/ds = cos diag(u) - sin diag(v) against [sin; cos]: coefficients [-v; u] = [Re ib; Im ib]
    coef = torch.view_as_real(b * 1j).movedim(-1, -2)  # (*, 2, n)
    if d <= _TV_CONTRACT_MAX_DIM:
        # one product [sin; cos] [Gb ⊗ (points, 1)]: the s-path (last index < d) and M
        paug = torch.nn.functional.pad(points, (0, 1), value=1.0)
        GP = (Gb.unsqueeze(-1) * paug.unsqueeze(-2)).flatten(-2)  # (*, P, d (d + 1))
        T = _t_matmul(SC, GP).unflatten(-2, (2, n)).unflatten(-1, (d, d + 1))  # (*, 2, n, d, d+1)
        M = T[..., d]  # [sin^T Gb; cos^T Gb], (*, 2, n, d)
        grad_W = ((coef.unsqueeze(-1) * W2.unsqueeze(-3)).unsqueeze(-1) * T[..., :d]).sum((-4, -2))
    else:
        M = _t_matmul(SC, Gb).unflatten(-2, (2, n))  # (*, 2, n, d)
        s_bar = torch.matmul(W, Gb.mT).mul_((SC * coef.unsqueeze(-1)).sum(-3))  # (*, n, P)
        grad_W = torch.matmul(s_bar, points).mul_(TWO_PI)
    grad_W = grad_W + (uv.unsqueeze(-1) * M).sum(-3)  # + H^T Gb
    grad_uv = (W.unsqueeze(-3) * M).sum(-1)  # (*, 2, n)
    grad_b = torch.complex(grad_uv[..., 0, :], grad_uv[..., 1, :])
    return grad_W.sum_to_size(W.shape), grad_b.sum_to_size(b_shape)


class _FourierTV(torch.autograd.Function):
    @staticmethod
    def forward(ctx, W: Tensor, b: Tensor, points: Tensor):
        tv, saved = tv_forward(W, b, points)
        ctx.save_for_backward(*saved)
        ctx.b_shape = b.shape
        return tv

    @staticmethod
    @once_differentiable  # the backward uses saved factors: no exact double backward
    def backward(ctx, grad_tv: Tensor):
        grad_W, grad_b = tv_backward(ctx.saved_tensors, grad_tv, ctx.b_shape)
        return grad_W, grad_b, None


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
