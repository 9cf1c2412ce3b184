r"""The Monte-Carlo total-variation penalty :math:`\mathrm{TV} = \frac1n\sum_j \|\nabla_x f(\xi_j)\|_1`."""

from __future__ import annotations

import torch
from torch import Tensor

from .features import Activation, input_gradient
from ._fourier.tv import fourier_tv

__all__ = ["tv_penalty", "sample_box", "monte_carlo_tv"]


def sample_box(
    low: Tensor, high: Tensor, n: int, generator: torch.Generator | None = None,
    out: Tensor | None = None,
) -> Tensor:
    r"""``n`` points :math:`\xi_j \sim U([low, high])`, shape ``(n, d)``, on ``low``'s device
    (written into ``out`` when given: the same draws)."""
    u = torch.rand(n, low.shape[-1], generator=generator, dtype=low.dtype, device=low.device)
    return torch.addcmul(low, u, high - low, out=out)


def tv_penalty(
    W: Tensor,
    b: Tensor,
    points: Tensor,
    activation: str | Activation = "fourier",
) -> Tensor:
    r"""Total-variation estimate :math:`\frac1n\sum_{j=1}^n \|\nabla_x f_{w,b}(\xi_j)\|_1`.

    The input gradient is the closed form of :func:`gft.features.input_gradient`, so the
    penalty is differentiable in ``W`` and ``b`` by one ordinary backward pass (no double
    backward through autograd).

    Parameters
    ----------
    W : Tensor of shape (*, N, D)
    b : Tensor of shape (*, P)
    points : Tensor of shape (n, d) or (*, n, d)
        Monte-Carlo points, e.g. from :func:`sample_box` over the training box.
    activation : str or Activation
        As in :func:`gft.design_matrix`.

    Returns
    -------
    Tensor of shape (*)
    """
    grad = input_gradient(points, W, b, activation)  # (*, n, d)
    return grad.abs().sum(-1).mean(-1)


def monte_carlo_tv(
    W: Tensor,
    b: Tensor,
    low: Tensor,
    high: Tensor,
    n_points: int,
    activation: Activation,
    generator: torch.Generator | None = None,
) -> Tensor:
    """TV at ``n_points`` fresh uniform points of the box ``[low, high]``, shape (*).

    For objectives trained by autograd (the NN baseline): the fused real-arithmetic node for
    ``fourier`` (same value and gradient as :func:`tv_penalty`, several times faster, tested
    against it), :func:`tv_penalty` otherwise.

    Parameters
    ----------
    W : Tensor of shape (*, N, D)
    b : Tensor of shape (*, P)
    low, high : Tensor of shape (d,)
        Corners of the box (the training inputs' bounding box).
    n_points : int
    activation : Activation
    generator : torch.Generator, optional
        For the points.

    Returns
    -------
    Tensor of shape (*)
    """
    points = sample_box(low, high, n_points, generator)
    if activation.name == "fourier":
        return fourier_tv(W, b, points)
    return tv_penalty(W, b, points, activation)
