"""Named budgets: ``smoke`` (seconds, for tests), ``book`` (minutes on a 2-core CPU), ``paper`` (the protocol)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping

__all__ = ["PRESETS", "PRESET_NAMES", "get_preset"]

PRESET_NAMES = ("smoke", "book", "paper")

#: Keyword arguments of :class:`gft.GFTRegressor` for each preset. ``book`` spends 1/13 of the
#: paper's steps: larger learning rates, cosine-annealed, reach the paper's accuracy on
#: Friedman1 (``python -m gft bench``). ``paper`` is the protocol
#: of Hertrich & Neumayer: 40 000 generator and 40 000 refinement steps of Adam at lr 1e-4,
#: a 3x512 generator, validation every 200 steps averaged over 10 feature draws.
PRESETS: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        "smoke": MappingProxyType(
            dict(generator_steps=40, refine_steps=20, lr=1e-3, refine_lr=None,
                 lr_schedule="constant", hidden=(32, 32),
                 n_tv_points=64, val_every=10, n_val_draws=2)
        ),
        "book": MappingProxyType(
            dict(generator_steps=3000, refine_steps=3000, lr=2e-3, refine_lr=1e-2,
                 lr_schedule="cosine", hidden=(512, 512, 512), n_tv_points=1000,
                 val_every=100, n_val_draws=10)
        ),
        "paper": MappingProxyType(
            dict(generator_steps=40_000, refine_steps=40_000, lr=1e-4, refine_lr=None,
                 lr_schedule="constant", hidden=(512, 512, 512),
                 n_tv_points=1000, val_every=200, n_val_draws=10)
        ),
    }
)


def get_preset(name: str, table: Mapping[str, Mapping[str, Any]] = PRESETS) -> dict[str, Any]:
    """A copy of the keyword dict of preset ``name``; ``ValueError`` listing the valid names."""
    try:
        return dict(table[name])
    except (KeyError, TypeError):
        raise ValueError(f"Unknown preset {name!r}. Must be one of {list(table)}") from None
