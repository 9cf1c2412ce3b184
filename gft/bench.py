"""``python -m gft bench``: gft's training step and time to accuracy against a straightforward implementation.

The straightforward implementation below has the cost profile of the paper's public code:
inner products by broadcasting and summing, complex ``exp`` features, ``torch.linalg.solve``
differentiated by autograd, the TV term by a double backward pass, ``torch.optim.Adam``
with its defaults. Both run the same model (Friedman1 d = 5, 450 training points, N = 100,
generator 3x512, float32) in one process, interleaved, and the medians are compared.
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import time
from typing import Callable

import numpy as np
import torch
from torch import nn

from .datasets import load_setting
from .estimators import GFTRegressor
from .generator import Generator
from .objective import ReducedObjective
from .training import GeneratorFeatures, make_adam_step

__all__ = ["straightforward_step", "gft_step", "time_per_step", "time_to_accuracy", "main"]

PAPER_STEPS = 80_000  # 40 000 generator + 40 000 refinement steps
TARGET_MSE = 1.5e-5  # GFT-r test MSE of the paper protocol on Friedman1 d=5 (authors' code)
STEP_TARGETS = {0.0: 2.5, 1e-3: 4.0}  # per-step speed-ups the project aims at (issue 2)


def straightforward_step(
    X: torch.Tensor, y: torch.Tensor, n_features: int, tv_weight: float, hidden=(512, 512, 512),
    lr: float = 1e-4, ridge: float = 1e-7, n_tv_points: int = 1000,
) -> Callable[[], None]:
    """One GFT training step written the obvious way (the reference of the benchmark)."""
    d = X.shape[1]
    widths = [d, *hidden, d]
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers += [nn.Linear(a, b)] + ([nn.ReLU()] if i < len(widths) - 2 else [])
    G = nn.Sequential(*layers).to(X)
    opt = torch.optim.Adam(G.parameters(), lr=lr)
    low, high = X.min(0).values, X.max(0).values
    eye = torch.eye(n_features, dtype=torch.complex64, device=X.device)

    def features(x, w):  # (M, N) complex, inner products by broadcasting
        return torch.exp(2j * math.pi * (x[:, None, :] * w[None, :, :]).sum(-1)) / n_features

    def step() -> None:
        w = G(torch.randn(n_features, d, device=X.device))
        A = features(X, w)
        b = torch.linalg.solve(A.mH @ A + ridge * eye, A.mH @ y.to(A.dtype))
        loss = ((A @ b).real - y).square().mean()
        if tv_weight:
            xi = (low + torch.rand(n_tv_points, d, device=X.device) * (high - low)).requires_grad_(True)
            f = (features(xi, w) @ b).real
            (grad,) = torch.autograd.grad(f.sum(), xi, create_graph=True)
            loss = loss + tv_weight * grad.abs().sum(-1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def gft_step(
    X: torch.Tensor, y: torch.Tensor, n_features: int, tv_weight: float, hidden=(512, 512, 512),
    lr: float = 1e-4, ridge: float = 1e-7, n_tv_points: int = 1000,
) -> Callable[[], None]:
    """One step of gft's own training loop (the body of :func:`gft.optimise`)."""
    objective = ReducedObjective(X, y, "fourier", ridge, tv_weight, n_tv_points)
    rng = torch.Generator(device=X.device).manual_seed(0)
    G = Generator(X.shape[1], hidden).to(X)
    return make_adam_step(GeneratorFeatures(G, n_features, 1, rng), objective, lr, rng)


def time_per_step(
    steps: dict[str, Callable[[], None]], repeats: int = 15, block: int = 20, warmup: int = 20
) -> dict[str, float]:
    """Median seconds per step of each function, timed in interleaved blocks of ``block`` steps."""
    for fn in steps.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {k: [] for k in steps}
    for _ in range(repeats):
        for name, fn in steps.items():
            start = time.perf_counter()
            for _ in range(block):
                fn()
            samples[name].append((time.perf_counter() - start) / block)
    return {k: statistics.median(v) for k, v in samples.items()}


def time_to_accuracy(preset: str = "book", seeds=(0, 1, 2), **overrides) -> list[dict]:
    """Fit GFT-r with ``preset`` on Friedman1 d=5 (500 points, 90/10 split, λ = 0) per seed.

    The test set is a fresh draw of 500 points (``load_setting(..., seed=1000 + seed)``).
    """
    rows = []
    for seed in seeds:
        X, y, _, _ = load_setting("friedman1-d5", seed=seed)
        _, _, X_test, y_test = load_setting("friedman1-d5", seed=1000 + seed)
        model = GFTRegressor.from_preset(preset, random_state=seed, progress=False, **overrides)
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
        rows.append(dict(seed=seed, seconds=seconds,
                         test_mse=float(np.mean((model.predict(X_test) - y_test) ** 2)),
                         test_mse_generator=float(np.mean((model.predict_generator(X_test, random_state=seed) - y_test) ** 2))))
    return rows


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m gft bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return run(parser.parse_args(argv))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repeats", type=int, default=15, help="timed blocks per method (default 15)")
    parser.add_argument("--block", type=int, default=20, help="steps per timed block (default 20)")
    parser.add_argument("--preset", default="book", help="preset for time to accuracy (default book)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--skip-accuracy", action="store_true", help="only the per-step timings")
    parser.add_argument("--device", default="cpu")


def run(args: argparse.Namespace) -> dict:
    device = torch.device(args.device)
    X, y, _, _ = load_setting("friedman1-d5", seed=0)
    Xt = torch.as_tensor(X[:450], dtype=torch.float32, device=device)
    yt = torch.as_tensor(y[:450], dtype=torch.float32, device=device)
    print(f"# gft bench — torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{platform.processor() or platform.machine()}, device {device}")
    print("Friedman1 d=5, M=450, N=100, generator 3x512, float32; medians of "
          f"{args.repeats} interleaved blocks of {args.block} steps\n")
    result: dict = {}
    print("| tv_weight | straightforward ms/step | gft ms/step | speed-up | target |")
    print("|---|---|---|---|---|")
    for tv in (0.0, 1e-3):
        times = time_per_step(
            {"reference": straightforward_step(Xt, yt, 100, tv), "gft": gft_step(Xt, yt, 100, tv)},
            repeats=args.repeats, block=args.block,
        )
        ratio = times["reference"] / times["gft"]
        result[tv] = dict(times, ratio=ratio)
        target = STEP_TARGETS[tv]
        print(f"| {tv:g} | {times['reference'] * 1e3:.2f} | {times['gft'] * 1e3:.2f} | {ratio:.2f}x "
              f"| {target:g}x {'met' if ratio >= target else 'missed'} |")
    if args.skip_accuracy:
        return result
    paper_seconds = PAPER_STEPS * result[0.0]["reference"]
    budget = paper_seconds / 20
    rows = time_to_accuracy(args.preset, tuple(args.seeds))
    print(f"\nTime to accuracy, preset {args.preset!r} (GFT-r test MSE on 500 fresh points):")
    print("| seed | fit seconds | GFT-r test MSE | GFT test MSE |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['seed']} | {r['seconds']:.1f} | {r['test_mse']:.3e} | {r['test_mse_generator']:.3e} |")
    med_mse = statistics.median(r["test_mse"] for r in rows)
    med_sec = statistics.median(r["seconds"] for r in rows)
    print(f"\nstraightforward, paper protocol: {PAPER_STEPS} steps x {result[0.0]['reference'] * 1e3:.2f} ms "
          f"= {paper_seconds:.0f} s; 1/20 of it = {budget:.1f} s")
    print(f"gft preset {args.preset!r}: median {med_sec:.1f} s "
          f"({paper_seconds / med_sec:.1f}x less), median test MSE {med_mse:.2e} "
          f"({'<=' if med_mse <= TARGET_MSE else '>'} {TARGET_MSE:.1e})")
    result["accuracy"] = dict(rows=rows, median_mse=med_mse, median_seconds=med_sec, budget=budget)
    return result
