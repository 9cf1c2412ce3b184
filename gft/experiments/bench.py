"""``python -m gft bench``: what a user meets — ``GFTRegressor.fit`` per step and time to accuracy — against a straightforward implementation, beside this machine's floor.

The straightforward implementation below has the cost profile of the paper's public code:
inner products by broadcasting and summing, complex ``exp`` features, ``torch.linalg.solve``
differentiated by autograd, the TV term by a double backward pass, ``torch.optim.Adam``
with its defaults. Both train the same model (Friedman1 d = 5, 450 training points, N = 100,
generator 3x512, float32). gft is timed through :meth:`gft.GFTRegressor.fit` at the ``book``
preset (validation, schedule, best iterate and all): the time per step is the difference of
two fit lengths divided by the difference of their steps, so that the set-up cancels. The
reference is timed the same way (two loop lengths), interleaved with gft in one process;
the speed-up is the median over the repeats of each repeat's own ratio.

The floor is what no implementation of this step can avoid on this machine: the generator's
six ``(N, h) @ (h, h)`` products (two forward, four backward) and one fused Adam update of its
parameters, each timed with ``torch.utils.benchmark`` (again in every repeat).
``reference / floor`` is the ceiling of any speed-up here; a CPU whose ceiling is below a target is judged at 80 % of it.

Time to accuracy compares each fit at a preset with the straightforward code's paper protocol
priced just before and just after it (its two steps timed as above), seed by seed: the
machine's speed drifts over minutes, and a reference timed once at the start would compare
fits with a machine that no longer runs at that speed.

The output opens with the machine, the options, the commit, the start time and the one-minute
load average at the start (about 0 when nothing else runs: the timings mean little otherwise)
and closes with the wall time, so that it can be committed as a results file as it is.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from typing import Callable

import numpy as np
import torch
import torch.utils.benchmark as benchmark
from sklearn.model_selection import check_cv
from torch import nn

from ..datasets import load_setting
from ..estimators import GFTRegressor, resolve_device
from ..model_selection import DEFAULT_TV_WEIGHTS, GFTRegressorCV
from ..presets import PRESET_NAMES, get_preset
from .methods import get_method, score_fit
from .store import code_provenance, cpu_model, utc_now

__all__ = ["straightforward_step", "fit_seconds", "machine_floor", "per_step_through_fit", "paper_reference_seconds",
           "time_to_accuracy", "preset_floor_seconds", "refine_products", "batched_against_sequential",
           "scaling_point", "scaling", "main"]

PAPER_STEPS = {"generator": 40_000, "refine": 40_000}  # the paper protocol's Adam steps per phase
TARGET_MSE = 1.5e-5  # GFT-r test MSE of the paper protocol on Friedman1 d=5 (authors' code)
#: Speed-ups per step through ``fit`` that the project aims at, by TV weight.
STEP_TARGETS = {0.0: 2.5, 1e-3: 4.0}
#: Batched runs: the share of the sequential fits' time that a GFTRegressorCV fit may take.
BATCHED_TARGET = 0.75
#: On a CPU whose ceiling (reference / floor) is below a target: the share of it that counts.
CEILING_SHARE = 0.8
#: Time to accuracy: how much less time than the straightforward code's paper protocol.
ACCURACY_SPEEDUP = 20.0


def refine_products(hidden) -> int:
    """Products of the generator's size per refinement step: per h x h layer a forward and an
    input gradient (the frozen generator's weights get no gradient); 4 for 3 x 512."""
    return 2 * (len(hidden) - 1)


def straightforward_step(
    X: torch.Tensor, y: torch.Tensor, n_features: int, tv_weight: float, hidden=(512, 512, 512),
    lr: float = 1e-4, ridge: float = 1e-7, n_tv_points: int = 1000, phase: str = "generator",
) -> Callable[[], None]:
    """One GFT training step written the obvious way (the reference of the benchmark).

    ``phase="generator"`` trains the generator on fresh latents every step;
    ``phase="refine"`` trains one fixed latent set through the frozen generator (no weight
    gradients: the refinement's step is the cheaper one).
    """
    if phase not in PAPER_STEPS:
        raise ValueError(f"Unknown phase {phase!r}. Must be one of {list(PAPER_STEPS)}")
    d = X.shape[1]
    widths = [d, *hidden, d]
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers += [nn.Linear(a, b)] + ([nn.ReLU()] if i < len(widths) - 2 else [])
    G = nn.Sequential(*layers).to(X)
    if phase == "refine":
        G.requires_grad_(False)
        z = torch.randn(n_features, d, device=X.device, requires_grad=True)
    opt = torch.optim.Adam(G.parameters() if phase == "generator" else [z], lr=lr)
    low, high = X.min(0).values, X.max(0).values
    eye = torch.eye(n_features, dtype=torch.complex64, device=X.device)

    def features(x, w):  # (M, N) complex, inner products by broadcasting
        return torch.exp(2j * math.pi * (x[:, None, :] * w[None, :, :]).sum(-1)) / n_features

    def step() -> None:
        w = G(torch.randn(n_features, d, device=X.device) if phase == "generator" else z)
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


def fit_seconds(X: np.ndarray, y: np.ndarray, steps: int, tv_weight: float, device: str,
                preset: str = "book") -> float:
    """Wall seconds of one ``GFTRegressor.fit`` with ``steps`` generator steps (no refinement)."""
    model = GFTRegressor.from_preset(preset, generator_steps=steps, refine_steps=0,
                                     tv_weight=tv_weight, progress=False, random_state=0,
                                     device=device)
    start = time.perf_counter()
    model.fit(X, y)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - start


def reference_seconds(X: torch.Tensor, y: torch.Tensor, steps: int, tv_weight: float,
                      phase: str = "generator") -> float:
    """Wall seconds of building the straightforward step of ``phase`` and running it ``steps`` times."""
    start = time.perf_counter()
    step = straightforward_step(X, y, 100, tv_weight, phase=phase)
    for _ in range(steps):
        step()
    if X.is_cuda:
        torch.cuda.synchronize()
    return time.perf_counter() - start


def _bench_data(device: str) -> tuple[np.ndarray, np.ndarray, torch.Tensor, torch.Tensor]:
    """Friedman1 d = 5 (500 rows) for ``fit``, and the 450 rows ``fit`` trains on as tensors
    for the reference."""
    X, y, _, _ = load_setting("friedman1-d5", seed=0)
    Xt = torch.as_tensor(X[:450], dtype=torch.float32, device=device)
    yt = torch.as_tensor(y[:450], dtype=torch.float32, device=device)
    return X, y, Xt, yt


def _seconds_per_step(seconds: Callable[[int], float], short: int, long: int) -> float:
    """``(t(long) - t(short)) / (long - short)`` for a run of ``n`` steps taking ``seconds(n)``."""
    t = {n: seconds(n) for n in (short, long)}
    return (t[long] - t[short]) / (long - short)


def per_step_through_fit(
    tv_weights=(0.0, 1e-3), repeats: int = 5, short: int = 40, long: int = 240, device: str = "cpu",
    floor: Callable[[], dict] | None = None,
) -> dict[float, dict[str, float]]:
    """Median seconds per step of ``GFTRegressor.fit`` and of the reference, by TV weight.

    Each repeat times both at ``short`` and ``long`` steps, interleaved; a step costs
    ``(t(long) - t(short)) / (long - short)``. ``ratio`` is the median of the repeats' own
    ratios (reference / gft, two runs seconds apart). With ``floor`` (:func:`machine_floor`,
    say) each repeat also times the floor, and ``floor`` and ``ceiling`` (reference / floor)
    are medians over the repeats as well.
    """
    X, y, Xt, yt = _bench_data(device)
    out = {}
    for tv in tv_weights:
        fit_seconds(X, y, short, tv, device)  # warm-up: first calls allocate and load kernels
        reference_seconds(Xt, yt, short, tv)
        samples: dict[str, list[float]] = {"reference": [], "gft": [], "ratio": []}
        for _ in range(repeats):
            samples["gft"].append(_seconds_per_step(lambda n: fit_seconds(X, y, n, tv, device), short, long))
            samples["reference"].append(_seconds_per_step(lambda n: reference_seconds(Xt, yt, n, tv), short, long))
            samples["ratio"].append(samples["reference"][-1] / samples["gft"][-1])
            if floor is not None:
                samples.setdefault("floor", []).append(floor()["floor"])
                samples.setdefault("ceiling", []).append(samples["reference"][-1] / samples["floor"][-1])
        out[tv] = {k: statistics.median(v) for k, v in samples.items()}
    return out


def paper_reference_seconds(short: int = 40, long: int = 240, device: str = "cpu") -> dict[str, float]:
    """Seconds per step of the straightforward generator and refinement steps (λ = 0), each by
    one difference of two lengths as in :func:`per_step_through_fit`, and the seconds the paper
    protocol's steps take at those rates (``"paper"``)."""
    _, _, Xt, yt = _bench_data(device)
    per_step = {phase: _seconds_per_step(lambda n: reference_seconds(Xt, yt, n, 0.0, phase=phase), short, long)
                for phase in PAPER_STEPS}
    return dict(per_step, paper=sum(PAPER_STEPS[phase] * s for phase, s in per_step.items()))


def machine_floor(n_features: int = 100, hidden=(512, 512, 512), device: str = "cpu",
                  dtype: torch.dtype = torch.float32) -> dict[str, float]:
    """Seconds of the generator's unavoidable work per step on this machine.

    ``mm``: one ``(N, h) @ (h, h)`` product; a step has three products of that size (forward,
    weight gradient, input gradient) for each of the ``L - 1`` layers from width ``h`` to
    ``h`` (six for 3x512: the small first and last layers are left out). ``adam``: one fused
    Adam update of the generator's parameters. Both are timed with the process's torch thread
    count, the one the fits run with (``torch.utils.benchmark.Timer`` uses one thread unless
    told otherwise), and ``threads`` records it.
    """
    threads = torch.get_num_threads()
    h = hidden[0]
    a = torch.randn(n_features, h, device=device, dtype=dtype)
    b = torch.randn(h, h, device=device, dtype=dtype)
    mm = benchmark.Timer("torch.mm(a, b)", globals=dict(torch=torch, a=a, b=b),
                         num_threads=threads).blocked_autorange(min_run_time=0.5)
    widths = [5, *hidden, 5]
    params = [torch.randn(o, i, device=device, dtype=dtype) for i, o in zip(widths[:-1], widths[1:])]
    params += [torch.randn(o, device=device, dtype=dtype) for o in widths[1:]]
    for p in params:
        p.grad = torch.randn_like(p)
    opt = torch.optim.Adam(params, lr=1e-4, fused=True)
    opt.step()
    adam = benchmark.Timer("opt.step()", globals=dict(opt=opt), num_threads=threads).blocked_autorange(min_run_time=0.5)
    n_mm = 3 * (len(hidden) - 1)  # per h x h layer: forward, weight gradient, input gradient
    floor = n_mm * mm.median + adam.median
    flops = 2 * n_features * h * h
    return dict(mm=mm.median, adam=adam.median, n_mm=n_mm, floor=floor, gflops=flops / mm.median / 1e9,
                hidden=tuple(hidden), threads=threads)


def preset_floor_seconds(preset: str, floor: dict[str, float] | None = None, device: str = "cpu",
                         steps: int | None = None) -> float:
    """Seconds of unavoidable work of one fit at ``preset`` (its generator, N = 100), with
    ``steps`` generator and refinement steps each where given (else the preset's).

    Every generator step costs ``floor["floor"]`` (:func:`machine_floor` for the preset's
    hidden widths: ``floor`` when it was measured for them, else measured here), every
    refinement step :func:`refine_products` (4 for the 3 x 512 generator)
    products of ``floor["mm"]`` seconds (its Adam update of the ``(N, D)`` latents is
    negligible); validation, ridge solves and features are left out, so a fit at ``preset``
    cannot take less.
    """
    kw = get_preset(preset)
    if floor is None or floor["hidden"] != tuple(kw["hidden"]):
        floor = machine_floor(hidden=kw["hidden"], device=device)
    generator_steps, refine_steps = (kw["generator_steps"], kw["refine_steps"]) if steps is None else (steps, steps)
    return generator_steps * floor["floor"] + refine_steps * refine_products(kw["hidden"]) * floor["mm"]


def time_to_accuracy(preset: str = "book", seeds=(0, 1, 2), reference: Callable[[], dict] | None = None,
                     **overrides) -> list[dict]:
    """Fit GFT-r with ``preset`` on Friedman1 d=5 (500 points, 90/10 split, λ = 0) per seed.

    The test set is a fresh draw of 500 points (``load_setting(..., seed=1000 + seed)``).
    With ``reference`` (:func:`paper_reference_seconds`, say) the straightforward code is
    priced just before and just after each fit and the row's ``reference_seconds`` is the mean
    of the two ``"paper"`` prices: the speed-up of a fit then compares two runs minutes apart,
    not a fit with a reference timed while the machine ran at another speed.
    """
    rows = []
    for seed in seeds:
        X, y, _, _ = load_setting("friedman1-d5", seed=seed)
        _, _, X_test, y_test = load_setting("friedman1-d5", seed=1000 + seed)
        model = GFTRegressor.from_preset(preset, random_state=seed, progress=False, **overrides)
        before = reference() if reference is not None else None
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
        after = reference() if reference is not None else None
        gft_r, gft = (score_fit(model, get_method(m), X, y, X_test, y_test, seed, seconds)
                      for m in ("gft-r", "gft"))
        row = dict(seed=seed, seconds=seconds, test_mse=gft_r["test_mse"], test_mse_generator=gft["test_mse"])
        if reference is not None:
            row.update(reference_before=before, reference_after=after,
                       reference_seconds=(before["paper"] + after["paper"]) / 2)
            row["speedup"] = row["reference_seconds"] / seconds
        rows.append(row)
    return rows


def paired_rounds(batched_side, sequential_side, rounds: int) -> tuple[list, list, list[float]]:
    """Run ``sequential, batched, sequential, ..., batched, sequential`` and pair each batched
    run with the mean time of the sequential runs on either side of it.

    Each side is a callable returning ``(result, seconds)``. Returns the batched runs, the
    ``rounds + 1`` sequential runs (both as those pairs) and, per round, the mean seconds of
    its two neighbouring sequential runs: a speed that drifts linearly over the three runs
    cancels from each round's ratio.
    """
    sequential_runs = [sequential_side()]
    batched_runs = []
    for _ in range(rounds):
        batched_runs.append(batched_side())
        sequential_runs.append(sequential_side())
    paired = [(before[1] + after[1]) / 2 for before, after in zip(sequential_runs, sequential_runs[1:])]
    return batched_runs, sequential_runs, paired


def batched_against_sequential(cv: int | None = None, noise: float = 0.1, preset: str = "book",
                               tv_weights=DEFAULT_TV_WEIGHTS, seed: int = 0, device: str = "cpu",
                               rounds: int = 1, **overrides) -> dict:
    """Wall time of one :class:`GFTRegressorCV` fit against the sequential ``GFTRegressor`` fits it replaces.

    Friedman1 d = 5 (500 rows) with label noise ``noise``. ``cv=None``: the six candidates
    on all rows, and the λ each way selects (GFT by the generator's validation MSE, GFT-r
    by the refined one). ``cv=k``: the ``len(tv_weights) * k`` (λ, fold) fits on the fold
    training sets; the sequential side is the same fits one after the other (without the
    refit, which the CV fit's time includes).

    The machine's speed drifts over minutes, so each batched run is compared with the
    sequential fits run just before and just after it (``paired_rounds``: ``rounds``
    batched runs between ``rounds + 1`` sequential ones). ``sequential`` is the mean of those
    pairs, ``round_ratios`` each round's search / (its pair's mean), and the ratios those of
    the means over the rounds.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    X, y, _, _ = load_setting("friedman1-d5", seed=seed, noise=noise)
    params = dict(get_preset(preset), progress=False, random_state=seed, device=device, **overrides)

    def fit_batched_side():
        start = time.perf_counter()
        model = GFTRegressorCV(tv_weights=tv_weights, cv=cv, **params).fit(X, y)
        return model, time.perf_counter() - start

    def fit_sequential_side():
        start = time.perf_counter()
        if cv is None:
            fits = [GFTRegressor(tv_weight=w, **params).fit(X, y) for w in tv_weights]
        else:
            folds = [(np.asarray(tr), np.asarray(te)) for tr, te in check_cv(cv).split(X, y)]  # GFTRegressorCV's folds
            size = min(len(train) for train, _ in folds)
            fits = [GFTRegressor(tv_weight=w, **params).fit(X[train[:size]], y[train[:size]])
                    for w in tv_weights for train, _ in folds]
        return fits, time.perf_counter() - start

    runs, sequential_runs, sequential = paired_rounds(fit_batched_side, fit_sequential_side, rounds)
    model, fits = runs[-1][0], sequential_runs[-1][0]
    batched = [seconds for _, seconds in runs]
    search = [m.fit_seconds_["search"] for m, _ in runs]
    refit = [m.fit_seconds_["refit"] for m, _ in runs]
    mean = statistics.fmean
    out = dict(cv=cv, n_fits=len(fits), rounds=rounds, batched=mean(batched), sequential=mean(sequential),
               sequential_runs=[seconds for _, seconds in sequential_runs], searches=search,
               ratio=mean(batched) / mean(sequential), search=mean(search), refit=mean(refit),
               search_ratio=mean(search) / mean(sequential),
               round_ratios=[s / q for s, q in zip(search, sequential)],
               selected=(model.generator_tv_weight_, model.tv_weight_))
    if cv is None:
        out["selected_sequential"] = (tv_weights[int(np.argmin([f.generator_val_mse_ for f in fits]))],
                                      tv_weights[int(np.argmin([f.refine_val_mse_ for f in fits]))])
        out["val_mse"] = dict(
            tv_weight=list(tv_weights),
            cv_generator=model.cv_results_["mean_val_mse_generator"].tolist(),
            cv_refine=model.cv_results_["mean_val_mse_refine"].tolist(),
            sequential_generator=[f.generator_val_mse_ for f in fits],
            sequential_refine=[f.refine_val_mse_ for f in fits],
        )
    return out


def scaling_point(M: int, N: int, steps: tuple[int, int] = (5, 15), device: str = "cpu") -> dict:
    """Seconds per step of ``GFTRegressor.fit`` (book generator, λ = 1e-3, float32) on ``M``
    rows and ``N`` features, and this process's peak resident memory (run it in a fresh
    process: the peak is the process's)."""
    import resource

    rng = np.random.default_rng(0)
    X = rng.random((M, 5))
    y = np.sin(2 * np.pi * X[:, 0]) + X[:, 1] * X[:, 2]
    seconds = []
    for n_steps in (1, *steps):  # the first fit pays one-off costs (imports, first kernels)
        model = GFTRegressor.from_preset("book", n_features=N, generator_steps=n_steps, refine_steps=0,
                                         tv_weight=1e-3, n_val_draws=1, val_every=10**6,
                                         progress=False, random_state=0, device=device)
        start = time.perf_counter()
        model.fit(X, y)
        seconds.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kB
    return dict(M=M, N=N, step=(seconds[2] - seconds[1]) / (steps[1] - steps[0]), peak_bytes=peak)


def scaling(Ms=(500, 5_000, 50_000), Ns=(50, 100, 200, 400), device: str = "cpu") -> list[dict]:
    """:func:`scaling_point` for every (M, N), each in its own process (its own peak memory)."""
    import json
    import subprocess
    import sys

    rows = []
    for M in Ms:
        for N in Ns:
            code = (f"import json; from gft.experiments.bench import scaling_point; "
                    f"print(json.dumps(scaling_point({M}, {N}, device={device!r})))")
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            r = rows[-1]
            print(f"| {M} | {N} | {r['step'] * 1e3:.1f} | {r['peak_bytes'] / 2**20:.0f} |", flush=True)
    return rows


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m gft bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return run(parser.parse_args(argv))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repeats per method (default 5)")
    parser.add_argument("--short", type=int, default=40, help="steps of the short fit (default 40)")
    parser.add_argument("--long", type=int, default=240, help="steps of the long fit (default 240)")
    parser.add_argument("--preset", default="book", choices=PRESET_NAMES,
                        help="budget of the time-to-accuracy fits and of --batched (default book)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="seeds of the time-to-accuracy fits (default 0 1 2)")
    parser.add_argument("--skip-accuracy", action="store_true", help="only the per-step timings")
    parser.add_argument("--device", type=_available_device, default="cpu",
                        help="torch device of every fit: cpu, cuda, cuda:N or auto (default cpu)")
    parser.add_argument("--scaling", action="store_true",
                        help="instead: time per step and peak memory of fit for M in 500..50 000, N in 50..400")
    parser.add_argument("--profile", action="store_true",
                        help="instead: where a fit's step goes (torch.profiler, kernels in groups), one "
                             "model and six batched, lambda 0 and 1e-3, beside the floor")
    parser.add_argument("--batched", action="store_true",
                        help="instead: time a GFTRegressorCV fit against the sequential fits it replaces")
    parser.add_argument("--cv", type=int, nargs="+", default=[0],
                        help="with --batched: folds to time, 0 for cv=None (default: 0)")
    parser.add_argument("--steps", type=int, default=None,
                        help="with --batched: generator and refinement steps each (default: the preset's); "
                             "with --profile: generator steps (default 300)")
    parser.add_argument("--rounds", type=_at_least_one, default=2,
                        help="with --batched: batched runs per comparison, each between two sequential "
                             "ones and compared with their mean (default 2: sequential, batched, "
                             "sequential, batched, sequential)")


def run_profile(args: argparse.Namespace, device: str, floor: dict) -> dict:
    from .step_profile import profile_markdown, step_profile

    steps = args.steps or 300
    print(f"Where a step of GFTRegressor.fit goes: {steps} generator steps at preset {args.preset!r}, "
          "Friedman1 d=5, under torch.profiler (each kernel's own time, validation included), "
          f"after one unprofiled fit of the same size; medians of {args.repeats} rounds, each "
          "profiling the four cases one after the other.\n")
    cases = [(members, tv) for members in (1, 6) for tv in (0.0, 1e-3)]
    rounds = [[step_profile(steps, members, tv, args.preset, device) for members, tv in cases]
              for _ in range(args.repeats)]
    profiles = [_median_profile([r[i] for r in rounds]) for i in range(len(cases))]
    print(profile_markdown(profiles, floor))
    return {"floor": floor, "profiles": profiles, "rounds": rounds}


def _median_profile(profiles: list[dict]) -> dict:
    """The median over ``profiles`` (one case's rounds) of every group and total."""
    med = dict(profiles[0])
    med["groups"] = {g: statistics.median(p["groups"][g] for p in profiles) for g in profiles[0]["groups"]}
    for key in ("kernel_ms", "wall_ms"):
        med[key] = statistics.median(p[key] for p in profiles)
    return med


def _available_device(text: str) -> str:
    """``text`` as a device this machine has (``"auto"`` resolved), for ``--device``."""
    try:
        return str(resolve_device(text))
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _verdict(ratio: float, target: float, ceiling: float) -> str:
    if ratio >= target:
        return "met"
    if ceiling < target and ratio >= CEILING_SHARE * ceiling:
        return f"met ({ratio / ceiling:.0%} of the ceiling)"
    return "missed"


def run(args: argparse.Namespace) -> dict:
    """Run the bench ``args`` ask for, between a header and a footer that make its output a
    results file: the machine, the options, the commit, the date and the load average before
    it started (what else was running), and its wall time."""
    device = str(torch.device(args.device))
    if args.long <= args.short:
        raise SystemExit("--long must be larger than --short")
    start = time.perf_counter()
    commit, dirty = code_provenance()
    print(f"# gft bench — torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{cpu_model()}, device {device}")
    print(f"# options: {_options(args)}")
    print(f"# commit {commit}{' (gft/ has uncommitted changes)' if dirty else ''}; started {utc_now()}; "
          f"{_load_average()}")
    result = _run(args, device)
    print(f"\n# wall time {time.perf_counter() - start:.0f} s; at the end, {_load_average()}")
    return result


def _options(args: argparse.Namespace) -> str:
    """The bench's own options of ``args`` (defaults included), as ``name=value``."""
    parser = argparse.ArgumentParser(add_help=False)
    add_arguments(parser)
    names = vars(parser.parse_args([]))
    return ", ".join(f"{name}={getattr(args, name)}" for name in names)


def _load_average() -> str:
    """The 1-minute load average beside the CPU count: about 0 on a quiet machine before a run."""
    try:
        one, _, _ = os.getloadavg()
    except (AttributeError, OSError):  # not on every system
        return "load average not available"
    return f"load average {one:.2f} over 1 min on {os.cpu_count()} CPUs"


def _run(args: argparse.Namespace, device: str) -> dict:
    if args.scaling:
        return run_scaling(device)
    floor = machine_floor(device=device)
    if args.profile:
        return run_profile(args, device, floor)
    if args.batched:
        return run_batched(args, device, floor)
    book = get_preset("book")
    print(f"Friedman1 d=5, M=450, N=100, generator 3x512, float32. gft: GFTRegressor.fit at the "
          f"book preset (validation every {book['val_every']} steps, {book['lr_schedule']} schedule); "
          f"a step is (t({args.long}) - t({args.short})) / {args.long - args.short}, median of "
          f"{args.repeats} interleaved repeats.\n")
    print(f"floor: {floor['n_mm']} x {floor['mm'] * 1e3:.3f} ms (100x{floor['hidden'][0]}x{floor['hidden'][0]} mm, {floor['gflops']:.0f} GFLOP/s) "
          f"+ Adam {floor['adam'] * 1e3:.3f} ms = {floor['floor'] * 1e3:.2f} ms per step, "
          f"{floor['threads']} thread(s)\n")
    times = per_step_through_fit(repeats=args.repeats, short=args.short, long=args.long, device=device,
                                 floor=lambda: machine_floor(device=device))
    result: dict = {"floor": floor}
    print("Each repeat times the floor again; every column is a median over the repeats, the speed-up "
          "and the ceiling of the repeats' own ratios.\n")
    print("| tv_weight | straightforward ms/step | gft fit ms/step | floor ms | speed-up | ceiling | target |")
    print("|---|---|---|---|---|---|---|")
    for tv, t in times.items():
        target = STEP_TARGETS[tv]
        verdict = _verdict(t["ratio"], target, t["ceiling"])
        result[tv] = dict(t, verdict=verdict)
        print(f"| {tv:g} | {t['reference'] * 1e3:.2f} | {t['gft'] * 1e3:.2f} | {t['floor'] * 1e3:.2f} "
              f"| {t['ratio']:.2f}x | {t['ceiling']:.2f}x | {target:g}x {verdict} |")
    if args.skip_accuracy:
        return result
    def reference() -> dict:
        return paper_reference_seconds(args.short, args.long, device)

    reference()  # warm-up of the refinement step (the generator step's ran above)
    rows = time_to_accuracy(args.preset, tuple(args.seeds), reference=reference)
    preset_floor = preset_floor_seconds(args.preset, floor, device)
    print(f"\nTime to accuracy, preset {args.preset!r} (GFT-r test MSE on 500 fresh points), each fit "
          f"against the straightforward code's paper protocol ({PAPER_STEPS['generator']} generator + "
          f"{PAPER_STEPS['refine']} refinement steps at λ = 0) priced just before and just after it:")
    print("| seed | fit seconds | straightforward ms/step (generator, refinement; before / after) "
          "| paper protocol s | speed-up | ceiling | GFT-r test MSE | GFT test MSE |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        b, a = r["reference_before"], r["reference_after"]
        print(f"| {r['seed']} | {r['seconds']:.1f} | {b['generator'] * 1e3:.2f}, {b['refine'] * 1e3:.2f} / "
              f"{a['generator'] * 1e3:.2f}, {a['refine'] * 1e3:.2f} | {r['reference_seconds']:.0f} "
              f"| {r['speedup']:.1f}x | {r['reference_seconds'] / preset_floor:.1f}x | {r['test_mse']:.3e} "
              f"| {r['test_mse_generator']:.3e} |")
    med_mse = statistics.median(r["test_mse"] for r in rows)
    med_sec = statistics.median(r["seconds"] for r in rows)
    paper_seconds = statistics.median(r["reference_seconds"] for r in rows)
    same_generator = floor["hidden"] == tuple(get_preset(args.preset)["hidden"])
    ceiling = statistics.median(r["reference_seconds"] / preset_floor for r in rows)
    speedup = statistics.median(r["speedup"] for r in rows)
    verdict = _verdict(speedup, ACCURACY_SPEEDUP, ceiling) if med_mse <= TARGET_MSE else "missed (accuracy)"
    print(f"\nfloor of preset {args.preset!r}: its generator steps at the floor"
          f"{' above' if same_generator else ' of its generator'}, its refinement steps at "
          f"{refine_products(get_preset(args.preset)['hidden'])} products each = {preset_floor:.1f} s; "
          f"median ceiling {ceiling:.1f}x")
    print(f"gft preset {args.preset!r}: median fit {med_sec:.1f} s against a median {paper_seconds:.0f} s; "
          f"median speed-up {speedup:.1f}x ({speedup / ceiling:.0%} of the ceiling), median test MSE "
          f"{med_mse:.2e} ({'<=' if med_mse <= TARGET_MSE else '>'} {TARGET_MSE:.1e}): "
          f"target {ACCURACY_SPEEDUP:g}x {verdict}")
    result["accuracy"] = dict(rows=rows, median_mse=med_mse, median_seconds=med_sec,
                              paper_seconds=paper_seconds, floor=preset_floor, ceiling=ceiling,
                              speedup=speedup, verdict=verdict)
    return result


def run_batched(args: argparse.Namespace, device: str, floor: dict) -> dict:
    """``--batched``: GFTRegressorCV against the sequential fits, one table row per ``--cv``."""
    overrides = {} if args.steps is None else dict(generator_steps=args.steps, refine_steps=args.steps)
    budget = get_preset(args.preset)
    steps = args.steps or budget["generator_steps"]
    print(f"GFTRegressorCV with tv_weights {DEFAULT_TV_WEIGHTS} against the GFTRegressor fits it "
          f"replaces, run one after the other in this process. Friedman1 d=5, 500 rows, noise 0.1, "
          f"preset {args.preset!r} with {steps} + {args.steps or budget['refine_steps']} steps, "
          f"{budget.get('dtype', 'float32')}, {torch.get_num_threads()} threads; {args.rounds} round(s) per "
          f"row: each batched run between two sequential ones (sequential, batched, sequential, ...), "
          f"compared with their mean; times averaged over the rounds.")
    print(f"floor of one member: {floor['n_mm']} x {floor['mm'] * 1e3:.3f} ms (100x{floor['hidden'][0]}x{floor['hidden'][0]} mm, "
          f"{floor['gflops']:.0f} GFLOP/s) + Adam {floor['adam'] * 1e3:.3f} ms = "
          f"{floor['floor'] * 1e3:.2f} ms per step, {floor['threads']} thread(s)\n")
    member_floor = preset_floor_seconds(args.preset, floor, device, args.steps)
    print(f"floor of one fit: its generator steps at that floor, its refinement steps at "
          f"{refine_products(get_preset(args.preset)['hidden'])} "
          f"products each = {member_floor:.1f} s\n")
    print("The target compares the batched fits with the sequential fits they replace: the search "
          "(every (λ, fold) pair; with cv=None the whole fit); with cv > 0 GFTRegressorCV then "
          "refits at the chosen λ on all rows, which the sequential fits do not include. "
          "'floor / sequential' is the fits' floors over the sequential time: the ratio a batched "
          "search reaches when every member's step costs no more than its floor (batched products "
          "can go a little below it).\n")
    print("| cv | fits | sequential s | GFTRegressorCV s (search + refit) | search / sequential | each round "
          "| target | floor / sequential | whole fit / sequential | λ GFT, GFT-r (CV) | λ GFT, GFT-r (sequential) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for k in args.cv:
        r = batched_against_sequential(cv=k or None, preset=args.preset, device=device, rounds=args.rounds,
                                       **overrides)
        verdict = "met" if r["search_ratio"] <= BATCHED_TARGET else "missed"
        floor_ratio = r["n_fits"] * member_floor / r["sequential"]
        seq = r.get("selected_sequential")
        print(f"| {k or 'None'} | {r['n_fits']} | {r['sequential']:.1f} | {r['batched']:.1f} "
              f"({r['search']:.1f} + {r['refit']:.1f}) | {r['search_ratio']:.3f} | "
              f"{', '.join(f'{x:.3f}' for x in r['round_ratios'])} | <= {BATCHED_TARGET} {verdict} "
              f"| {floor_ratio:.3f} | {r['ratio']:.3f} | {r['selected'][0]:g}, {r['selected'][1]:g} | "
              f"{'—' if seq is None else f'{seq[0]:g}, {seq[1]:g}'} |", flush=True)
        rows.append(dict(r, verdict=verdict, member_floor=member_floor, floor_ratio=floor_ratio))
    for r in rows:
        print(f"\ncv={r['cv']}: sequential runs {', '.join(f'{t:.1f}' for t in r['sequential_runs'])} s, "
              f"batched searches between them {', '.join(f'{t:.1f}' for t in r['searches'])} s")
        if "val_mse" in r:
            v = r["val_mse"]
            print(f"\nValidation MSE per λ (cv=None): {_members_against_fits(v)}")
            print("| λ | GFT, batched | GFT, sequential | GFT-r, batched | GFT-r, sequential |\n|---|---|---|---|---|")
            for row in zip(v["tv_weight"], v["cv_generator"], v["sequential_generator"], v["cv_refine"],
                           v["sequential_refine"]):
                print("| {:g} | {:.4g} | {:.4g} | {:.4g} | {:.4g} |".format(*row))
    return {"floor": floor, "batched": rows}


def _members_against_fits(v: dict) -> str:
    """Whether the batched members of a cv=None run were the sequential fits, in words."""
    cv = np.array([v["cv_generator"], v["cv_refine"]])
    seq = np.array([v["sequential_generator"], v["sequential_refine"]])
    gen_equal = np.array_equal(cv[0], seq[0])
    refine_rel = float(np.max(np.abs(cv[1] - seq[1]) / np.abs(seq[1])))
    if gen_equal and refine_rel <= 1e-10:
        return ("the batched members were the sequential fits (the generator's validation MSEs "
                f"equal, the refined ones, a batched ridge solve, to {refine_rel:.0e} relative).")
    rel = float(np.max(np.abs(cv - seq) / np.abs(seq)))
    return ("the batched members were not the sequential fits bit for bit: their validation MSEs "
            f"differ by up to {rel:.1%}. On the CPU with the fused engine they are the same fits, at "
            "any thread count (the products whose sums a BLAS may split between threads run member "
            "by member); elsewhere (a GPU, the autograd engine) they agree to rounding, which "
            "thousands of float32 Adam steps amplify.")


def cost_model(M: np.ndarray, N: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fit ``t = a + b M N + c M N^2 + e N^3`` (non-negative, on relative errors): the
    generator's fixed cost, the elementwise passes over the ``(M, N)`` features (cos, sin,
    the rank-4 contraction), the Gram products and the factorisation. Returns the
    coefficients and the model's times."""
    from scipy.optimize import nnls

    design = np.stack([np.ones_like(M), M * N, M * N**2, N**3], 1)
    coef, _ = nnls(design / t[:, None], np.ones_like(t))
    return coef, design @ coef


def run_scaling(device: str) -> dict:
    """``--scaling``: the table, the log-log slopes and the fitted cost model."""
    print("Time per step of GFTRegressor.fit (book generator 3x512, λ = 1e-3, float32; d = 5) and the "
          "peak resident memory of a process that ran three fits (1, 5 and 15 steps), by training rows M and features N.\n")
    print("| M | N | ms per step | peak MiB |\n|---|---|---|---|")
    rows = scaling(device=device)
    M = np.array([r["M"] for r in rows], dtype=float)
    N = np.array([r["N"] for r in rows], dtype=float)
    t = np.array([r["step"] for r in rows])
    coef, model = cost_model(M, N, t)
    print(f"\nmodel t = {coef[0] * 1e3:.2f} ms + {coef[1] * 1e9:.3g} ns x M N + {coef[2] * 1e12:.3g} ps x M N^2 "
          f"+ {coef[3] * 1e9:.3g} ns x N^3 (least squares on relative errors)")
    print("| M | N | measured ms | model ms |\n|---|---|---|---|")
    for r, m in zip(rows, model):
        print(f"| {r['M']} | {r['N']} | {r['step'] * 1e3:.1f} | {m * 1e3:.1f} |")
    slopes = {}
    for n in sorted(set(N)):
        sel = N == n
        slopes[f"M at N={n:g}"] = float(np.polyfit(np.log(M[sel]), np.log(t[sel]), 1)[0])
    for m in sorted(set(M)):
        sel = M == m
        slopes[f"N at M={m:g}"] = float(np.polyfit(np.log(N[sel]), np.log(t[sel]), 1)[0])
    print("\nlog-log slopes of the time per step (O(M N^2 + N^3) alone: 1 in M, 2 to 3 in N, "
          "less where the generator's fixed cost dominates):")
    for k, v in slopes.items():
        print(f"- {k}: {v:.2f}")
    return {"rows": rows, "model": coef.tolist(), "slopes": slopes}
