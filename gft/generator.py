r"""The generator :math:`G_\theta`: an MLP pushing :math:`N(0, I_D)` forward to a feature distribution."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor, nn

__all__ = ["Generator", "GeneratorStack"]


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
        self.hidden = tuple(int(h) for h in hidden)
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


class GeneratorStack(nn.Module):
    r"""``B`` independent generators of one architecture, their weights stacked: one batched pass.

    Member ``i`` computes what the :class:`Generator` it was built from computes, up to
    floating-point rounding (a batched product may sum in another order);
    layer ``k`` holds ``weights[k]`` of shape ``(B, out, in)`` and ``biases[k]`` of shape
    ``(B, out)``, so a forward pass is one ``baddbmm`` per layer for all members. An elementwise optimiser (Adam) updates every
    member as it would update it alone up to rounding: torch's fused Adam kernel vectorises a
    stacked tensor otherwise than a member's own, so that, updated whole, the members drift
    apart from lone fits by rounding (the fused engine therefore updates member by member).

    Parameters
    ----------
    generators : sequence of Generator
        The members, all with the same ``dim`` and ``hidden`` (copied, not shared).
    """

    def __init__(self, generators: Sequence[Generator]):
        super().__init__()
        generators = list(generators)
        if not generators:
            raise ValueError("GeneratorStack needs at least one generator")
        first = generators[0]
        if any((g.dim, g.hidden) != (first.dim, first.hidden) for g in generators):
            raise ValueError("the generators of a GeneratorStack must share dim and hidden widths")
        self.dim, self.hidden = first.dim, first.hidden
        per_member = [[m for m in g.net if isinstance(m, nn.Linear)] for g in generators]
        with torch.no_grad():
            self.weights = nn.ParameterList(
                nn.Parameter(torch.stack([layers[k].weight for layers in per_member]))
                for k in range(len(per_member[0]))
            )
            self.biases = nn.ParameterList(
                nn.Parameter(torch.stack([layers[k].bias for layers in per_member]))
                for k in range(len(per_member[0]))
            )

    @property
    def n_members(self) -> int:
        """``B``."""
        return self.weights[0].shape[0]

    def layers(self) -> list[tuple[Tensor, Tensor]]:
        """``(weight, bias)`` of every layer, shapes ``(B, out, in)`` and ``(B, out)``."""
        return list(zip(self.weights, self.biases))

    def forward(self, z: Tensor) -> Tensor:
        """Map latents ``z`` of shape ``(B, *, N, D)`` to features of the same shape, member by member."""
        shape = z.shape
        h = z.reshape(shape[0], -1, shape[-1])
        last = len(self.weights) - 1
        for k, (weight, bias) in enumerate(self.layers()):
            h = torch.baddbmm(bias.unsqueeze(-2), h, weight.mT)
            if k < last:
                h = h.relu()
        return h.reshape(shape)

    def member(self, i: int) -> Generator:
        """Member ``i`` as a :class:`Generator` (a copy, on the stack's device and dtype)."""
        w0 = self.weights[0]
        g = Generator(self.dim, self.hidden).to(device=w0.device, dtype=w0.dtype)
        with torch.no_grad():
            for lin, weight, bias in zip([m for m in g.net if isinstance(m, nn.Linear)],
                                         self.weights, self.biases):
                lin.weight.copy_(weight[i])
                lin.bias.copy_(bias[i])
        return g

    def sample_latents(
        self, n_features: int, *batch: int, generators: Sequence[torch.Generator | None]
    ) -> Tensor:
        """``z ~ N(0, I)`` of shape ``(B, *batch, N, D)``, member ``i``'s draws from ``generators[i]``
        (the draws :meth:`Generator.sample_latents` makes with that generator)."""
        if len(generators) != self.n_members:
            raise ValueError(f"need one torch.Generator per member ({self.n_members}), got {len(generators)}")
        w0 = self.weights[0]
        return torch.stack([
            torch.randn(*batch, n_features, self.dim, generator=g, dtype=w0.dtype, device=w0.device)
            for g in generators
        ])
