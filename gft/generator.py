r"""The generator :math:`G_\theta`: an MLP pushing :math:`N(0, I_D)` forward to a feature distribution."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor, nn

__all__ = ["Generator"]


class Generator(nn.Module):
    r"""MLP :math:`G_\theta: \mathbb R^D \to \mathbb R^D`, ``D -> hidden[0] -> ... -> D`` with ReLU.

    Features are :math:`w_l = G_\theta(z_l)`, :math:`z_l \sim N(0, I_D)`.

    Parameters
    ----------
    dim : int
        ``D``, the feature dimension (``d``, or ``d + 1`` with an input bias).
    hidden : sequence of int
        Hidden widths (the paper: ``(512, 512, 512)``).
    """

    def __init__(self, dim: int, hidden: Sequence[int] = (512, 512, 512)):
        super().__init__()
        self.dim = int(dim)
        widths = [self.dim, *[int(h) for h in hidden], self.dim]
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
            layers.append(nn.Linear(a, b))
            if i < len(widths) - 2:
                layers.append(nn.ReLU())
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        """Map latents ``z`` of shape ``(*, N, D)`` to features of shape ``(*, N, D)``."""
        return self.net(z)

    def sample_latents(
        self, n_features: int, *batch: int, generator: torch.Generator | None = None
    ) -> Tensor:
        """Draw ``z ~ N(0, I)`` of shape ``(*batch, N, D)`` on the module's device and dtype."""
        p = next(self.parameters())
        return torch.randn(
            *batch, n_features, self.dim, generator=generator, dtype=p.dtype, device=p.device
        )

    def sample(
        self, n_features: int, *batch: int, generator: torch.Generator | None = None
    ) -> Tensor:
        """Draw features ``G(z)`` of shape ``(*batch, N, D)``."""
        return self(self.sample_latents(n_features, *batch, generator=generator))
