"""Where a fit's step goes: ``python -m gft bench --profile``.

The speed-up of :func:`gft.experiments.bench.per_step_through_fit` is bounded by the
machine's floor, the generator's matrix products and Adam. This module says what the rest
of a step is: it fits ``GFTRegressor`` (or ``B`` members in one batched run) under
``torch.profiler`` and sums the kernels' own time per step into a few groups, told apart by
name and by the shapes of their inputs:

- the generator's products with a ``hidden x hidden`` weight (what the floor counts), and
  those of its thin first and last layers;
- Adam's update;
- the objective's products (the float64 Gram matrix, the right-hand sides, the rank-4
  backward pass, the TV term's);
- the ridge system's factorisation and triangular solves;
- ``sin`` and ``cos`` of the features;
- every other kernel (elementwise updates, sums, copies, the TV points' draw ...).

Validation steps are included (one every ``val_every`` steps), as in a fit.
"""

from __future__ import annotations

import time
from collections import defaultdict

from torch.profiler import ProfilerActivity, profile

from ..datasets.synthetic import load_setting
from ..estimators import GFTRegressor, fit_batched

__all__ = ["GROUPS", "step_profile", "profile_markdown"]

#: The groups of :func:`step_profile`, in the order they are printed.
GROUPS = ("generator products (hidden x hidden)", "generator products (first and last layers)", "Adam update",
          "objective products (Gram, right-hand sides, backward, TV)", "factorisation and triangular solves",
          "sin and cos", "other kernels")

_PRODUCTS = {"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm"}


def _group(name: str, shapes: list, hidden: int) -> str:
    if "adam" in name:
        return GROUPS[2]
    if name in _PRODUCTS:
        dims = [tuple(s) for s in shapes if isinstance(s, (list, tuple)) and len(s) >= 2]
        if any(s[-2:] == (hidden, hidden) for s in dims):
            return GROUPS[0]
        if any(hidden in s[-2:] for s in dims):
            return GROUPS[1]
        return GROUPS[3]
    if "cholesky" in name or "solve_triangular" in name:
        return GROUPS[4]
    if name in ("aten::sin", "aten::cos"):
        return GROUPS[5]
    return GROUPS[6]


def step_profile(steps: int = 300, members: int = 1, tv_weight: float = 0.0, preset: str = "book",
                 device: str = "cpu") -> dict:
    """Profile ``steps`` generator steps of ``members`` fits at ``preset`` on Friedman1 d = 5.

    A first fit of the same size runs unprofiled (one-off costs: imports, allocations).

    Returns
    -------
    dict
        ``groups``: milliseconds per step of each of :data:`GROUPS` (the kernels' own time,
        summed over the members); ``kernel_ms`` their sum; ``wall_ms`` the fit's wall time per
        step under the profiler; ``members``, ``steps``, ``tv_weight``, ``engine``.
    """
    X, y, _, _ = load_setting("friedman1-d5", seed=0)

    def fit() -> GFTRegressor:
        ests = [GFTRegressor.from_preset(preset, generator_steps=steps, refine_steps=0, tv_weight=tv_weight,
                                         random_state=seed, progress=False, device=device)
                for seed in range(members)]
        return fit_batched(ests, X, y)[0] if members > 1 else ests[0].fit(X, y)

    fit()
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        start = time.perf_counter()
        est = fit()
        wall = time.perf_counter() - start
    hidden = max(est.hidden)
    groups: dict[str, float] = defaultdict(float)
    for event in prof.key_averages(group_by_input_shape=True):
        groups[_group(event.key, event.input_shapes, hidden)] += event.self_cpu_time_total / 1e3 / steps
    return dict(groups={g: groups.get(g, 0.0) for g in GROUPS}, kernel_ms=float(sum(groups.values())),
                wall_ms=wall * 1e3 / steps, members=members, steps=steps, tv_weight=tv_weight,
                engine=est.history_["generator"].engine)


def profile_markdown(profiles: list[dict], floor: dict | None = None) -> str:
    """Profiles of :func:`step_profile` side by side, milliseconds per step and per member."""
    head = [f"{p['members']} member{'s' * (p['members'] > 1)}, λ = {p['tv_weight']:g}" for p in profiles]
    out = ["| ms per step and member | " + " | ".join(head) + " |", "|---" * (len(profiles) + 1) + "|"]
    for g in GROUPS:
        out.append(f"| {g} | " + " | ".join(f"{p['groups'][g] / p['members']:.3f}" for p in profiles) + " |")
    out.append("| all kernels | " + " | ".join(f"{p['kernel_ms'] / p['members']:.3f}" for p in profiles) + " |")
    out.append("| the fit's wall time | " + " | ".join(f"{p['wall_ms'] / p['members']:.3f}" for p in profiles) + " |")
    if floor is not None:
        out.append(f"| floor ({floor['n_mm']} products + Adam, one model) | "
                   + " | ".join(f"{floor['floor'] * 1e3:.3f}" for _ in profiles) + " |")
    return "\n".join(out) + "\n"
