r"""The implicit least-squares layer: a Cholesky ridge solve with an implicit-function-theorem gradient.

.. math::  \hat b = (A^H A + \delta I)^{-1} A^H y =: S^{-1} A^H y .

Differentiating :math:`S \hat b = A^H y` gives
:math:`d\hat b = S^{-1}(dA^H r - A^H dA\, \hat b)` with :math:`r = y - A\hat b`. For a real
loss with incoming gradient :math:`\bar b` and :math:`g = S^{-1}\bar b` the backward pass is

.. math::  \bar A = r g^H - (A g)\hat b^H, \qquad \bar y = A g, \qquad \bar\delta = -\mathrm{Re}\, g^H \hat b ,

which reuses the Cholesky factor of the forward pass: one extra triangular solve pair, no
new factorisation and no graph through the factorisation.
"""

from __future__ import annotations

import warnings
from typing import Callable

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

__all__ = ["ridge_solve", "ridge_coefficients", "cholesky_with_retry", "RidgeSolveWarning",
           "RidgeSolveError"]


class RidgeSolveWarning(RuntimeWarning):
    """The ridge system was not positive definite in its dtype and was retried."""


class RidgeSolveError(RuntimeError):
    """The ridge system could not be factorised even after the retries."""


#: Relative jitters tried (times the mean diagonal of S) when the Cholesky factorisation
#: fails in float64 as well.
_JITTERS = (1e-12, 1e-10, 1e-8, 1e-6)


def _gram(A: Tensor, ridge: Tensor) -> Tensor:
    r""":math:`S = A^H A + \delta I`, shape ``(*, P, P)``."""
    S = torch.matmul(A.mH, A)
    S.diagonal(dim1=-2, dim2=-1).add_(ridge.unsqueeze(-1))
    return S


def _float64(t: Tensor) -> Tensor:
    return t.to(torch.complex128 if t.is_complex() else torch.float64)


def cholesky_with_retry(
    S: Tensor, S64: Callable[[], Tensor] | None = None, upper: bool = False
) -> Tensor:
    r"""Lower (or with ``upper=True`` upper) Cholesky factor of Hermitian ``S`` of shape ``(*, P, P)``.

    When the factorisation fails in a lower precision it is redone in float64 (on
    ``S64()`` when given: ``S`` recomputed from float64 inputs, else on ``S`` cast up); when
    it fails in float64, with a growing diagonal jitter relative to the mean diagonal (see
    ``_JITTERS``). Either retry warns with :class:`RidgeSolveWarning`; the factor is then
    float64. :class:`RidgeSolveError` when all of that fails.

    Parameters
    ----------
    S : Tensor of shape (*, P, P)
        Hermitian, positive definite in exact arithmetic (e.g. :math:`A^HA + \delta I`).
    S64 : callable, optional
        Returns ``S`` computed from float64 inputs, for the retry.
    upper : bool
        Return the upper factor :math:`U` with :math:`S = U^H U`.

    Returns
    -------
    Tensor of shape (*, P, P)
        ``S``'s dtype, or float64 (complex128 for complex ``S``) after a retry.
    """
    try:  # the common case: one call, the check done inside (no extra kernels from Python)
        return torch.linalg.cholesky(S, upper=upper)
    except torch.linalg.LinAlgError:
        pass
    how, failed = "in float64", True
    if S.dtype not in (torch.float64, torch.complex128):
        S = S64() if S64 is not None else _float64(S)
        L, info = torch.linalg.cholesky_ex(S, upper=upper)
        failed = bool(info.any())
    if failed:
        scale = S.diagonal(dim1=-2, dim2=-1).real.mean(-1).clamp_min(1e-300)
        eye = torch.eye(S.shape[-1], dtype=S.dtype, device=S.device)
        for jitter in _JITTERS:
            L, info = torch.linalg.cholesky_ex(S + (jitter * scale)[..., None, None] * eye, upper=upper)
            if not bool(info.any()):
                how = f"in float64 with a diagonal jitter of {jitter:g} x mean(diag S)"
                break
        else:
            raise RidgeSolveError(
                "ridge_solve: A^H A + ridge*I is not positive definite even in float64 with a "
                f"jitter of {_JITTERS[-1]:g} x mean(diag). The design matrix probably holds NaN or "
                "inf (check the features and the inputs), or the ridge is negative."
            )
    warnings.warn(
        f"ridge_solve: the Cholesky factorisation of A^H A + ridge*I failed and was redone {how}. "
        "Increase `ridge` or use float64 to avoid this.",
        RidgeSolveWarning,
        stacklevel=5,
    )
    return L


def _solve_dtype(rhs: Tensor, L: Tensor) -> Tensor:
    return rhs.to(L.dtype) if L.dtype != rhs.dtype else rhs


class _RidgeSolve(torch.autograd.Function):
    @staticmethod
    def forward(ctx, A: Tensor, y: Tensor, ridge: Tensor) -> Tensor:  # y: (*, M, K)
        # L may come back in float64 when A's precision did not suffice (then so does the
        # solve, and the result is cast back).
        L = cholesky_with_retry(_gram(A, ridge), lambda: _gram(_float64(A), ridge.double()))
        b = torch.cholesky_solve(_solve_dtype(torch.matmul(A.mH, y), L), L).to(A.dtype)
        ctx.save_for_backward(A, y, L, b)
        return b

    @staticmethod
    @once_differentiable  # the backward uses saved factors: no exact double backward
    def backward(ctx, grad_b: Tensor):
        A, y, L, b = ctx.saved_tensors
        g = torch.cholesky_solve(_solve_dtype(grad_b, L), L).to(A.dtype)  # (*, N, K)
        Ag = torch.matmul(A, g)  # (*, M, K)
        grad_A = grad_y = grad_ridge = None
        if ctx.needs_input_grad[0]:
            r = y - torch.matmul(A, b)  # (*, M, K)
            grad_A = torch.matmul(r, g.mH) - torch.matmul(Ag, b.mH)
        if ctx.needs_input_grad[1]:
            grad_y = Ag
        if ctx.needs_input_grad[2]:
            grad_ridge = -(g.conj() * b).sum((-2, -1)).real
        return grad_A, grad_y, grad_ridge


def ridge_solve(A: Tensor, y: Tensor, ridge: float | Tensor = 1e-7) -> Tensor:
    r"""Ridge-regularised least squares :math:`\hat b = (A^H A + \delta I)^{-1} A^H y`.

    Differentiable in ``A``, ``y`` and ``ridge`` through the implicit function theorem, with
    the Cholesky factor of the forward pass reused in the backward pass (see module notes).

    Parameters
    ----------
    A : Tensor of shape (*, M, P)
        Design matrix (``P`` columns), real or complex, float32 or float64, on any device.
    y : Tensor of shape (*, M) or (*, M, K)
        Targets (real or of ``A``'s dtype). ``K`` columns cost one factorisation. As in
        :func:`torch.linalg.solve`, ``y`` is read as one column per batch entry when it is
        1-D or of shape ``A.shape[:-1]``, else as ``(*, M, K)`` when ``y.shape[-2] == M``
        (so an ``(M, M)`` ``y`` is ``M`` columns); batch dimensions broadcast.
    ridge : float or Tensor of shape (*)
        :math:`\delta \geq 0`.

    Returns
    -------
    b : Tensor of shape (*, P) or (*, P, K)
        Of ``A``'s dtype.

    Warns
    -----
    RidgeSolveWarning
        When :math:`S` is not numerically positive definite in ``A``'s dtype; the
        factorisation is then redone in float64, with a small diagonal jitter if needed.

    Raises
    ------
    ValueError
        When ``A`` or ``y`` has the wrong shape, their batch dimensions do not broadcast, or
        ``ridge`` is a negative (or NaN) number. A tensor ``ridge`` is not checked here (that
        would read device memory on the host).
    RidgeSolveError
        When :math:`S` cannot be factorised even in float64 with the largest diagonal jitter
        (NaN or inf in ``A``, or a tensor ``ridge`` negative enough to make :math:`S`
        indefinite; a slightly negative tensor ``ridge`` goes undetected).
    """
    if A.dim() < 2:
        raise ValueError(f"A must have shape (*, M, P), got {tuple(A.shape)}")
    if not isinstance(ridge, Tensor) and not ridge >= 0:
        raise ValueError(f"ridge must be >= 0, got {ridge!r}")
    M = A.shape[-2]
    # As torch.linalg.solve: y is one column per batch entry when it is 1-D or has A's
    # batch shape; otherwise columns (*, M, K) where its second-to-last size is M.
    if y.dim() == 1 or y.shape == A.shape[:-1]:
        vector = True
    elif y.dim() >= 2 and y.shape[-2] == M:
        vector = False
    else:
        vector = y.shape[-1] == M  # a batch of columns that broadcasts against A's batch
    Y = y.unsqueeze(-1) if vector else y
    if Y.shape[-2] != M:
        raise ValueError(
            f"y must have shape (*, M) or (*, M, K) with M = {M} rows like A; "
            f"got A: {tuple(A.shape)}, y: {tuple(y.shape)}"
        )
    try:
        batch = torch.broadcast_shapes(A.shape[:-2], Y.shape[:-2])
    except RuntimeError:
        raise ValueError(
            f"the batch dimensions of A {tuple(A.shape[:-2])} and y {tuple(Y.shape[:-2])} do not "
            f"broadcast (A: {tuple(A.shape)}, y: {tuple(y.shape)}, read as "
            f"{'(*, M)' if vector else '(*, M, K)'})"
        ) from None
    A = A.expand(*batch, *A.shape[-2:])
    Y = Y.to(A.dtype).expand(*batch, *Y.shape[-2:])
    real_dtype = A.real.dtype if A.is_complex() else A.dtype
    delta = torch.as_tensor(ridge, dtype=real_dtype, device=A.device)
    delta = delta.expand(A.shape[:-2]) if delta.dim() == 0 else delta
    # Autograd of the cast and the expand maps the gradient back onto y: the real part for a
    # real y, summed over broadcast batch dimensions.
    b = _RidgeSolve.apply(A, Y, delta)
    return b.squeeze(-1) if vector else b


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
