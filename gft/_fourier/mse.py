r"""The Fourier reduced MSE as one autograd node, with a backward pass made of small matrix products.

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

:func:`mse_forward` / :func:`mse_backward` are the fused engine's MSE (the hand-written step
of :mod:`gft._fourier.step` calls them with an :class:`MSEWorkspace` it keeps); the tests
compare them with :func:`gft.ridge_solve` and :func:`gft.objective.mean_squared_error`, the
definition. :func:`fourier_reduced_mse` wraps them as one autograd node (for gradient
checks of the kernels and the NN baseline's experiments). The TV kernels are in
:mod:`gft._fourier.tv`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from ..ridge import RidgeSolveError, cholesky_with_retry
from .products import fixed_product, per_member_products

__all__ = [
    "fourier_reduced_mse",
    "fourier_reduced_mse_prepared",
    "fourier_data",
    "MSEWorkspace",
    "mse_forward",
    "mse_backward",
    "coefficients_from_solution",
]

TWO_PI = 2.0 * math.pi


def fourier_data(X: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """``(2πX, y)`` in float64, ``y`` as a column ``(*, M, 1)``: the inputs of :func:`mse_forward`
    (the training objective prepares them once)."""
    return TWO_PI * X.to(torch.float64), y.to(torch.float64).unsqueeze(-1)


def coefficients_from_solution(w: Tensor, W: Tensor) -> Tensor:
    r""":math:`\hat b = N\bar w` of shape ``(*, N)``, complex of ``W``'s precision."""
    b = torch.conj_physical(w.squeeze(-1)).mul_(W.shape[-2])
    return b.to(torch.complex64 if W.dtype == torch.float32 else torch.complex128)


class MSEWorkspace:
    r"""The buffers of :func:`mse_forward` and :func:`mse_backward` for one problem size, and
    the views of them that the two passes read and write.

    Every intermediate has a fixed place, so a pass is a short list of kernels writing
    with ``out=``: no allocations and no views made per call (the training step keeps one
    workspace for all its steps; the autograd node makes one per call). The layout makes
    the conversions between complex and real forms views or single copies:

    - ``B`` ``(*, 2n, M)``: :math:`[\tilde C^\top; \tilde S^\top]`, and ``D``
      ``(*, n, M)``: :math:`D^\top = \tilde C^\top + \tilde S^\top` (the Gram products read
      transposed views of them);
    - ``K``, ``U`` ``(*, n, n)`` complex: :math:`\bar K` and its upper Cholesky factor,
      ``K`` assembled through its real view;
    - ``Zt`` ``(*, 4, 2n)``: the rows :math:`x, g, Jx, Jg` in planar real form (real parts
      first), and ``Pt = Zt B`` ``(*, 4, M)``: products as rows run several times faster
      than :math:`\tilde B^\top Z` on the CPU.
    """

    def __init__(self, Xs: Tensor, y: Tensor, n: int, batch: tuple[int, ...] = ()):
        M, d = Xs.shape[-2:]
        batch = tuple(torch.broadcast_shapes(batch, Xs.shape[:-2]))
        f = dict(dtype=torch.float64, device=Xs.device)
        c = dict(dtype=torch.complex128, device=Xs.device)
        self.XsT = Xs.mT.contiguous()  # (*, d, M): the products read rows
        self.W64 = torch.empty(*batch, n, d, **f)
        self.s = torch.empty(*batch, n, M, **f)
        CS = torch.empty(*batch, 2, n, M, **f)
        self.C, self.S = CS.unbind(-3)
        self.B = CS.flatten(-3, -2)
        self.B_T = self.B.mT
        self.D = torch.empty(*batch, n, M, **f)
        self.S_T, self.D_T = self.S.mT, self.D.mT
        self.Q, self.DD = torch.empty(*batch, 2, n, n, **f).unbind(-3)
        self.QT = self.Q.mT
        # K column-major like U (the factorisation copies it straight); its real and
        # imaginary parts are written through their transposes, row by row: Re K is
        # symmetric, Im K antisymmetric
        self.K = torch.empty(*batch, n, n, **c).mT
        K_ri = torch.view_as_real(self.K)
        self.K_re_T, self.K_im_T = K_ri[..., 0].mT, K_ri[..., 1].mT
        self.K_diag = self.K_re_T.diagonal(dim1=-2, dim2=-1)
        self.U = torch.empty(*batch, n, n, **c).mT  # column-major, as LAPACK writes and reads it
        self.q = torch.empty(*batch, 2 * n, 1, **f)
        self.q_re, self.q_im = self.q[..., :n, :], self.q[..., n:, :]
        self.q_planar = self.q.view(*batch, 2, n)
        self.q_row = self.q.view(*batch, 1, 2 * n)
        self.b_to_x = torch.tensor([[float(n)], [-float(n)]], **f)
        self.qc = torch.empty(*batch, n, 1, **c)
        self.qc_H = self.qc.mH  # (*, 1, n)
        self.t_row = torch.empty(*batch, 1, n, **c)
        self.t_col = self.t_row.mH
        # matrix products: mm where there are no batch dimensions (less overhead per call)
        self.mm = torch.matmul if batch else torch.mm
        self.info = torch.empty(batch, dtype=torch.int32, device=Xs.device)
        self.failed = torch.zeros(batch, dtype=torch.int32, device=Xs.device)
        self.w = torch.empty(*batch, n, 1, **c)
        self.gamma = torch.empty(*batch, n, 1, **c)
        self.Zt = torch.empty(*batch, 4, 2 * n, **f)  # rows x, g, Jx, Jg in planar real form
        Z3 = self.Zt.unflatten(-1, (2, n))  # (*, 4, 2, n)
        self.x_row = self.Zt[..., 0:1, :]
        self.x_planar, self.g_planar = Z3[..., 0, :, :], Z3[..., 1, :, :]
        self.w_planar = torch.view_as_real(self.w).squeeze(-2).mT  # (*, 2, n)
        self.gamma_planar = torch.view_as_real(self.gamma).squeeze(-2).mT
        self.re_wg, self.im_wg = Z3[..., 0:2, 0, :], Z3[..., 0:2, 1, :]
        self.re_iwg, self.im_iwg = Z3[..., 2:4, 0, :], Z3[..., 2:4, 1, :]
        self.Z_flat = self.Zt.flatten(-2)
        self.y_row = y.mT
        self.e = torch.empty(*batch, 1, M, **f)  # residuals as a row
        self.e_bar = torch.empty(*batch, 1, M, **f)
        self.Pt = torch.empty(*batch, 4, M, **f)  # (B^T [x, g, Jx, Jg])^T, then U^T in place
        self.P_0, self.P_1 = self.Pt[..., 0:1, :], self.Pt[..., 1:2, :]
        self.UXt = torch.empty(*batch, 4, d, M, **f)  # (U ⊗ X)^T
        self.UX = self.UXt.flatten(-3, -2).mT  # (*, M, 4d)
        self.P_row, self.XsT_row = self.Pt.unsqueeze(-2), self.XsT.unsqueeze(-3)
        self.T = torch.empty(*batch, 2 * n, 4 * d, **f)
        self.T_rows = self.T.view(*batch, 2 * n, 4, d)
        self.V = torch.empty(*batch, 8 * n, **f)
        self.V_rows = self.V.view(*batch, 2 * n, 1, 4)
        self.VT = torch.empty(*batch, 2 * n, 1, d, **f)
        self.VT_sin, self.VT_cos = self.VT[..., :n, 0, :], self.VT[..., n:, 0, :]
        self.grad = torch.empty(*batch, n, d, **f)
        # the row products, each a sum over the M data rows (see .products)
        per_member = per_member_products(batch, Xs.device)
        self.q_from_y = fixed_product(self.y_row, self.B_T, self.q_row, per_member)
        self.residual = fixed_product(self.x_row, self.B, self.e, per_member)
        self.q_from_e_bar = fixed_product(self.e_bar, self.B_T, self.q_row, per_member)
        # [V_S; -V_C] of V = [x, g, -Jg, -Jx], a signed gather of Z: see mse_backward
        p, l, k = torch.meshgrid(torch.arange(2), torch.arange(n), torch.arange(4), indexing="ij")
        perm = torch.tensor([0, 1, 3, 2])
        self.v_index = (perm[k] * 2 * n + (1 - p) * n + l).flatten().to(Xs.device)
        sign = torch.tensor([[1.0, 1.0, -1.0, -1.0], [-1.0, -1.0, 1.0, 1.0]], **f)
        self.v_sign = sign[:, None, :].expand(2, n, 4).flatten()

    def check_factorisations(self) -> None:
        """Raise :class:`~gft.RidgeSolveError` when a deferred factorisation failed since the
        last call (one host read), and reset the record."""
        failed = bool(self.failed.any())
        self.failed.zero_()
        if failed:
            raise RidgeSolveError(
                "the Fourier ridge system N^2 (A^H A + ridge*I) was not positive definite in "
                "float64: the features or the inputs probably hold NaN or inf."
            )


def _solve(ws, out):
    # U^H t = q as t^H U = q^H (U itself, not a conjugate view that would be copied), then U w = t
    torch.linalg.solve_triangular(ws.U, ws.qc_H, upper=True, left=False, out=ws.t_row)
    torch.linalg.solve_triangular(ws.U, ws.t_col, upper=True, out=out)


def mse_forward(Xs: Tensor, W: Tensor, y: Tensor, ridge: float, workspace: MSEWorkspace | None = None,
                defer_check: bool = False):
    r"""Reduced MSE, the solution of the ridge system and what :func:`mse_backward` needs.

    Parameters
    ----------
    Xs, y : Tensor of shapes (*, M, d) and (*, M, 1)
        :math:`2\pi X` and the targets, float64, from :func:`fourier_data`.
    W : Tensor of shape (*, N, d)
    ridge : float or Tensor of shape (*, 1)
    workspace : MSEWorkspace, optional
        Buffers to reuse (they are overwritten); a new one when omitted.
    defer_check : bool
        False: a failed Cholesky factorisation is retried at once (float64 jitter, see
        :func:`gft.ridge.cholesky_with_retry`), which reads its status on the host. True: the
        status is accumulated on the device and :meth:`MSEWorkspace.check_factorisations`
        raises later (a failed step's outputs are then meaningless).

    Returns
    -------
    mse : Tensor of shape (*), float64
    w : complex128 Tensor of shape (*, N, 1)
        :math:`\bar{\hat b}/N`; :math:`\hat b` is :func:`coefficients_from_solution` of it.
        A buffer of the workspace.
    workspace : MSEWorkspace
        For :func:`mse_backward`.
    """
    n = W.shape[-2]
    ws = workspace if workspace is not None else MSEWorkspace(Xs, y, n, W.shape[:-2])
    ws.W64.copy_(W)
    ws.mm(ws.W64, ws.XsT, out=ws.s)  # s^T, (*, n, M)
    torch.cos(ws.s, out=ws.C)
    torch.sin(ws.s, out=ws.S)
    torch.add(ws.C, ws.S, out=ws.D)
    # Two (n, M) @ (M, n) products instead of H's four: Q = C^T S gives Im K = Q - Q^T, and
    # Re K = C^T C + S^T S = D^T D - Q - Q^T (float64: no harmful cancellation). K is conj(K~),
    # see the module notes. Two calls, not one over the stacked [C, D] and [S, D]: with
    # members, that call copies both strided stacks first (3.5x the time of the two calls at
    # 6 members), and each call here reaches BLAS as the one-problem call does, member by member.
    ws.mm(ws.C, ws.S_T, out=ws.Q)
    ws.mm(ws.D, ws.D_T, out=ws.DD)
    torch.sub(ws.DD, ws.Q, out=ws.K_re_T).sub_(ws.QT)
    ws.K_diag.add_(ridge * n * n)
    torch.sub(ws.Q, ws.QT, out=ws.K_im_T)  # (Im K)^T = -(Q^T - Q)
    torch.linalg.cholesky_ex(ws.K, upper=True, out=(ws.U, ws.info))
    if defer_check:  # no device sync: failures accumulate until ws.check_factorisations()
        ws.failed.bitwise_or_(ws.info)  # nonzero once any status was nonzero; one kernel
    elif bool(ws.info.any()):
        ws.U.copy_(cholesky_with_retry(ws.K, upper=True))  # float64 jitter retries, or an error
    # R x = B^T y is conj(K~) w = q_re + i q_im with x = [Re w; Im w]: no sign flips.
    ws.q_from_y()  # y^T B^T as a row (1, 2n)
    torch.complex(ws.q_re, ws.q_im, out=ws.qc)
    _solve(ws, ws.w)
    ws.x_planar.copy_(ws.w_planar)
    ws.residual().sub_(ws.y_row)  # residual B x - y, as a row
    mse = ws.e.square().mean(dim=(-2, -1))  # one expression with members or without: the same sums
    return mse, ws.w, ws


def mse_backward(
    ws: MSEWorkspace, grad_mse: Tensor | float, grad_uv: Tensor | None = None, out: Tensor | None = None
) -> Tensor:
    r"""Gradient with respect to ``W`` of :func:`mse_forward`'s outputs.

    Parameters
    ----------
    ws : MSEWorkspace
        From :func:`mse_forward`.
    grad_mse : Tensor of shape (*) or float
        Incoming gradient of the MSE.
    grad_uv : Tensor of shape (*, 2, N), optional
        Incoming gradient of :math:`[\mathrm{Re}\,\hat b; \mathrm{Im}\,\hat b]` (a penalty
        on the output weights, such as TV).
    out : Tensor of shape (*, N, d), optional
        Where to write the result (cast to its dtype).

    Returns
    -------
    Tensor of shape (*, N, d)
        ``out``, or a float64 buffer of the workspace.

    Notes
    -----
    The rank-4 factors are ordered :math:`U = [\bar e - \tilde Bg, -e, \tilde BJx, \tilde BJg]`
    against :math:`V = [x, g, -Jg, -Jx]` (the pairing of the module notes), so that
    :math:`U` is computed in place from :math:`\tilde B^\top[x, g, Jx, Jg]`; the contraction
    then reads :math:`[V_S; -V_C]`, a signed gather of ``Zt``.
    """
    scale = 2.0 / ws.e.shape[-1]
    if isinstance(grad_mse, Tensor):
        scale = grad_mse.to(torch.float64)[..., None, None] * scale
    torch.mul(ws.e, scale, out=ws.e_bar)
    ws.q_from_e_bar()  # dL/dx
    if grad_uv is not None:  # b = N conj(w): dL/dx += [N dL/du; -N dL/dv]
        ws.q_planar.addcmul_(grad_uv, ws.b_to_x)
    torch.complex(ws.q_re, ws.q_im, out=ws.qc)
    _solve(ws, ws.gamma)  # g = R^{-1} q
    ws.g_planar.copy_(ws.gamma_planar)
    torch.neg(ws.im_wg, out=ws.re_iwg)  # J is multiplication by i: Re(iz) = -Im z,
    ws.im_iwg.copy_(ws.re_wg)  # Im(iz) = Re z
    ws.mm(ws.Zt, ws.B, out=ws.Pt)  # rows Bx, Bg, BJx, BJg (faster than B^T Z here)
    torch.sub(ws.e_bar, ws.P_1, out=ws.P_0)  # U in place of P
    torch.neg(ws.e, out=ws.P_1)
    torch.mul(ws.P_row, ws.XsT_row, out=ws.UXt)
    ws.mm(ws.B, ws.UX, out=ws.T)  # B^T (U ⊗ X): (*, 2n, 4d)
    torch.mul(ws.Z_flat.index_select(-1, ws.v_index), ws.v_sign, out=ws.V)
    # dL/dW = sum_k V_S T_C - V_C T_S over the rank-4 index k: 2n products (1, 4) @ (4, d)
    torch.matmul(ws.V_rows, ws.T_rows, out=ws.VT)
    return torch.add(ws.VT_sin, ws.VT_cos, out=ws.grad if out is None else out)


class _FourierReducedMSE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, Xs: Tensor, W: Tensor, y: Tensor, ridge: float):
        mse, w, ws = mse_forward(Xs, W, y, ridge)
        ctx.workspace = ws  # a fresh one per call, read once by backward
        ctx.w_shape, ctx.w_dtype = W.shape, W.dtype
        return mse.to(W.dtype), coefficients_from_solution(w, W)

    @staticmethod
    @once_differentiable  # the backward uses saved factors: no exact double backward
    def backward(ctx, grad_mse: Tensor, grad_b: Tensor):
        grad_uv = None if grad_b is None else torch.view_as_real(grad_b).movedim(-1, -2)
        grad_W = mse_backward(ctx.workspace, grad_mse, grad_uv)
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
