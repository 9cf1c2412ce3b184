r"""Feature maps :math:`\Phi`, their derivatives, the design matrix and the input gradient.

Symbols used throughout the package: ``M`` samples, ``d`` input dimensions, ``D`` feature
dimensions (``d``, or ``d + 1`` with the input-bias coordinate), ``N`` features, ``P``
columns of the design matrix, ``K`` targets, ``n`` points at which the input gradient is
evaluated.

The network is

.. math::  f(x) = \mathrm{Re} \sum_{p} b_p A_p(x), \qquad
           A_l(x) = \Phi(\langle w_l, \tilde x\rangle) / N,

with :math:`\tilde x = (x, 1)` for activations that carry an input bias. Activations with a
bias also get one constant output column :math:`1/N`; ``fourier-real`` uses the two real
columns :math:`\cos(2\pi t)/N, \sin(2\pi t)/N` per feature.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "get_activation",
    "design_matrix",
    "input_gradient",
    "predict_from_features",
]

TWO_PI = 2.0 * math.pi


@dataclass(frozen=True)
class Activation:
    r"""A feature map :math:`\Phi` with the conventions of the model.

    Attributes
    ----------
    name : str
        Registry name.
    phi : callable
        :math:`t \mapsto \Phi(t)` (complex for ``fourier``).
    dphi : callable
        :math:`t \mapsto \Phi'(t)` in closed form.
    complex : bool
        Whether :math:`\Phi` and the output weights are complex.
    bias : bool
        Whether inputs are augmented by a constant 1 (``D = d + 1``) and the design
        matrix gets a constant output column.
    columns_per_feature : int
        2 for ``fourier-real`` (cos and sin), else 1.
    re_weighted_dphi : callable, optional
        :math:`(t, b) \mapsto \mathrm{Re}(b\,\Phi'(t))` in real arithmetic, for complex
        activations (complex elementwise autograd is several times slower).
    """

    name: str
    phi: Callable[[Tensor], Tensor]
    dphi: Callable[[Tensor], Tensor]
    complex: bool
    bias: bool
    columns_per_feature: int = 1
    re_weighted_dphi: Callable[[Tensor, Tensor], Tensor] | None = None

    def feature_dim(self, d: int) -> int:
        """Dimension ``D`` of one feature vector for ``d`` inputs."""
        return d + 1 if self.bias else d

    def n_columns(self, n_features: int) -> int:
        """Number ``P`` of design-matrix columns for ``N`` features."""
        return self.columns_per_feature * n_features + (1 if self.bias else 0)


class _FourierFeatures(torch.autograd.Function):
    r""":math:`t \mapsto e^{2\pi i t}` with a real backward pass.

    Autograd through ``torch.polar`` or ``torch.exp`` of a complex tensor spends most of a
    training step in complex elementwise products; here the backward pass is
    :math:`\bar t = 2\pi(\mathrm{Im}\bar A \cos 2\pi t - \mathrm{Re}\bar A \sin 2\pi t)` on the
    saved real parts.
    """

    @staticmethod
    def forward(ctx, t: Tensor) -> Tensor:
        ctx.save_for_backward(t)
        s = TWO_PI * t
        return torch.complex(torch.cos(s), torch.sin(s))

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        # cos and sin are recomputed from t (not saved from forward) so that this backward
        # is itself differentiable: a double backward (e.g. a TV term by autograd) is exact.
        (t,) = ctx.saved_tensors
        s = TWO_PI * t
        g = torch.view_as_real(grad.resolve_conj())  # (..., 2): d/dRe, d/dIm
        return TWO_PI * (g[..., 1] * torch.cos(s) - g[..., 0] * torch.sin(s))


def _fourier(t: Tensor) -> Tensor:
    return _FourierFeatures.apply(t)


def _fourier_prime(t: Tensor) -> Tensor:
    return torch.polar(torch.full_like(t, TWO_PI), TWO_PI * t + 0.5 * math.pi)


def _fourier_re_weighted_prime(t: Tensor, b: Tensor) -> Tensor:
    # Re((u + iv) * 2πi e^{2πit}) = -2π (u sin 2πt + v cos 2πt)
    s = TWO_PI * t
    return (torch.sin(s) * b.real + torch.cos(s) * b.imag).mul(-TWO_PI)


def _fourier_real(t: Tensor) -> Tensor:
    s = TWO_PI * t
    return torch.cat([torch.cos(s), torch.sin(s)], dim=-1)


def _fourier_real_prime(t: Tensor) -> Tensor:
    s = TWO_PI * t
    return torch.cat([-TWO_PI * torch.sin(s), TWO_PI * torch.cos(s)], dim=-1)


def _sigmoid_prime(t: Tensor) -> Tensor:
    s = torch.sigmoid(t)
    return s * (1.0 - s)


def _relu_prime(t: Tensor) -> Tensor:
    return (t > 0).to(t.dtype)


ACTIVATIONS: dict[str, Activation] = {
    "fourier": Activation(
        "fourier", _fourier, _fourier_prime, complex=True, bias=False,
        re_weighted_dphi=_fourier_re_weighted_prime,
    ),
    "fourier-real": Activation(
        "fourier-real", _fourier_real, _fourier_real_prime, complex=False, bias=False,
        columns_per_feature=2,
    ),
    "sigmoid": Activation("sigmoid", torch.sigmoid, _sigmoid_prime, complex=False, bias=True),
    "relu": Activation("relu", torch.relu, _relu_prime, complex=False, bias=True),
    "cosine": Activation(
        "cosine",
        lambda t: torch.cos(math.pi * t),
        lambda t: -math.pi * torch.sin(math.pi * t),
        complex=False,
        bias=True,
    ),
}


def get_activation(activation: str | Activation) -> Activation:
    """Look an activation up by name; raise a ``ValueError`` listing the valid names."""
    if isinstance(activation, Activation):
        return activation
    try:
        return ACTIVATIONS[activation]
    except (KeyError, TypeError):
        raise ValueError(
            f"Invalid activation {activation!r}. Must be one of {sorted(ACTIVATIONS)}"
        ) from None


def _inner_products(X: Tensor, W: Tensor, act: Activation) -> Tensor:
    r""":math:`t_{kl} = \langle w_l, \tilde x_k\rangle` as one matmul, shape ``(*, M, N)``."""
    if act.bias:
        return torch.matmul(X, W[..., :-1].mT) + W[..., -1].unsqueeze(-2)
    return torch.matmul(X, W.mT)


def design_matrix(X: Tensor, W: Tensor, activation: str | Activation = "fourier") -> Tensor:
    r"""Design matrix :math:`A_{kl} = \Phi(\langle w_l, \tilde x_k\rangle)/N`.

    Parameters
    ----------
    X : Tensor of shape (*, M, d)
        Inputs.
    W : Tensor of shape (*, N, D)
        Features; ``D = d + 1`` for activations with an input bias (last coordinate).
    activation : str or Activation
        Name in :data:`ACTIVATIONS`.

    Returns
    -------
    A : Tensor of shape (*, M, P)
        ``P = N`` (``fourier``: complex), ``2N`` (``fourier-real``: cos then sin columns) or
        ``N + 1`` (bias activations: a constant column ``1/N`` last).
    """
    act = get_activation(activation)
    n_features = W.shape[-2]
    A = act.phi(_inner_products(X, W, act)) / n_features  # (*, M, P)
    if act.bias:
        ones = torch.full((*A.shape[:-1], 1), 1.0 / n_features, dtype=A.dtype, device=A.device)
        A = torch.cat([A, ones], dim=-1)
    return A


def input_gradient(
    X: Tensor, W: Tensor, b: Tensor, activation: str | Activation = "fourier"
) -> Tensor:
    r"""Closed-form input gradient :math:`\nabla_x f(x) = \mathrm{Re}\,(\nabla_x A(x)\, b)`.

    For ``fourier`` this is :math:`\mathrm{Re}\sum_l b_l \Phi'(\langle w_l, x\rangle) w_l / N`;
    for ``fourier-real`` each feature's cos and sin columns both contribute along
    :math:`w_l`. Only the ``d`` input coordinates of :math:`w_l` enter (not the bias coordinate), and the
    constant output column has no gradient. Differentiable in ``W`` and ``b`` by ordinary
    autograd, so a penalty on it needs no double backward pass.

    Parameters
    ----------
    X : Tensor of shape (*, n, d)
    W : Tensor of shape (*, N, D)
    b : Tensor of shape (*, P)
        Output weights as returned by :func:`gft.ridge_solve` for ``design_matrix(., W)``.
    activation : str or Activation
        As in :func:`design_matrix`.

    Returns
    -------
    Tensor of shape (*, n, d)
    """
    act = get_activation(activation)
    n_features = W.shape[-2]
    t = _inner_products(X, W, act)  # (*, n, N)
    coef = b[..., : act.columns_per_feature * n_features].unsqueeze(-2)  # no constant column
    if act.re_weighted_dphi is not None:
        weighted = act.re_weighted_dphi(t, coef)  # Re(b Φ'(t)), (*, n, N)
    else:
        weighted = act.dphi(t) * coef  # (*, n, P')
        if act.columns_per_feature == 2:  # cos and sin halves share the same w_l
            weighted = weighted[..., :n_features] + weighted[..., n_features:]
        if weighted.is_complex():
            # Re(z @ w) = Re(z) @ w for real w: one real matmul instead of a complex one.
            weighted = weighted.real
    w_in = W[..., :-1] if act.bias else W  # (*, N, d)
    return torch.matmul(weighted, w_in) / n_features


def predict_from_features(
    X: Tensor, W: Tensor, b: Tensor, activation: str | Activation = "fourier"
) -> Tensor:
    r"""The network's output :math:`f(x) = \mathrm{Re}(A(x)\, b)` with ``A = design_matrix(X, W)``.

    Parameters
    ----------
    X : Tensor of shape (*, M, d)
    W : Tensor of shape (*, N, D)
    b : Tensor of shape (*, P) or (*, P, K)
        Read as ``K`` columns when it has as many dimensions as ``A`` (``(*, M, P)``), else
        as one vector per batch entry; its batch dimensions must be those of ``A`` (a ``b``
        with extra leading dimensions is not broadcast).
    activation : str or Activation
        As in :func:`design_matrix`.

    Returns
    -------
    Tensor of shape (*, M) or (*, M, K)
        Real.
    """
    A = design_matrix(X, W, activation)
    out = torch.matmul(A, b) if b.dim() == A.dim() else torch.matmul(A, b.unsqueeze(-1)).squeeze(-1)
    return out.real if out.is_complex() else out
