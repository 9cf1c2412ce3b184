"""The fused engine (gft._fourier.step) equals the autograd engine on the definition, ReducedObjective.__call__; engines are chosen in one place."""

import math

import pytest
import torch
from torch import nn

from gft.generator import Generator
from gft.objective import ReducedObjective
from gft.ridge import RidgeSolveError, cholesky_with_retry
from gft._fourier import step as fourier_step
from gft._fourier.step import HandWrittenFourierStep, _fused_adam_arguments, mlp_layers
from gft.training import (
    DirectFeatures, GeneratorFeatures, LatentFeatures, TrainingDivergedError, make_adam_step, optimise,
    resolve_engine,
)


def _objective(dtype, tv, activation="fourier"):
    g = torch.Generator().manual_seed(0)
    X = torch.rand(60, 3, generator=g, dtype=dtype)
    y = torch.sin(2 * math.pi * X[:, 0]) + X[:, 1] ** 2
    return ReducedObjective(X, y, activation, 1e-6, tv, 40)


def _params(mode, dtype, rng):
    torch.manual_seed(1)
    G = Generator(3, (16, 16)).to(dtype)
    if mode == "generator":
        return GeneratorFeatures(G, 8, 2, rng)
    if mode == "latent":
        return LatentFeatures(G, torch.randn(8, 3, dtype=dtype))
    return DirectFeatures(torch.randn(8, 3, dtype=dtype))


def _run(mode, dtype, tv, engine, steps=12, schedule="cosine"):
    obj = _objective(dtype, tv)
    rng = torch.Generator().manual_seed(5)
    params = _params(mode, dtype, rng)
    step = make_adam_step(params, obj, 1e-2, rng, steps, schedule, engine=engine)
    losses = torch.stack([step() for _ in range(steps)])
    return step, losses, [p.detach().clone() for p in params.parameters()]


@pytest.mark.parametrize("mode", ["generator", "latent", "direct"])
@pytest.mark.parametrize("tv", [0.0, 1e-2])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_fused_engine_equals_autograd_engine(mode, tv, dtype):
    fast, loss_fast, p_fast = _run(mode, dtype, tv, "fused")
    slow, loss_slow, p_slow = _run(mode, dtype, tv, "autograd")
    assert isinstance(fast, HandWrittenFourierStep) and not isinstance(slow, HandWrittenFourierStep)
    assert (fast.engine, slow.engine) == ("fused", "autograd")
    # two algorithms for one definition (a real block system by hand against a complex
    # Cholesky solve): they agree to rounding, which Adam's normalised steps carry along
    tol = dict(rtol=1e-8, atol=1e-10) if dtype == torch.float64 else dict(rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(loss_fast, loss_slow, **tol)
    for a, b in zip(p_fast, p_slow):
        torch.testing.assert_close(a, b, **tol)
    assert fast._adam  # from the second step on, the fused kernel is called directly
    # the optimizer's own step counts advanced once per step (they share one tensor)
    assert [float(st["step"]) for st in fast.optimizer.state.values()] == [12.0] * len(p_fast)


@pytest.mark.parametrize("hidden", [(16, 8), (12,)])
def test_hand_written_step_with_other_generator_shapes(hidden):
    """Unequal hidden widths (bias gradients summed layer by layer) and a single hidden layer."""
    results = []
    for engine in ("fused", "autograd"):
        obj = _objective(torch.float64, 1e-2)
        rng = torch.Generator().manual_seed(5)
        torch.manual_seed(1)
        params = GeneratorFeatures(Generator(3, hidden).double(), 8, 2, rng)
        step = make_adam_step(params, obj, 1e-2, rng, engine=engine)
        losses = torch.stack([step() for _ in range(6)])
        results.append((step, losses, [p.detach().clone() for p in params.parameters()]))
    (fast, l1, p1), (slow, l2, p2) = results
    assert isinstance(fast, HandWrittenFourierStep) and not isinstance(slow, HandWrittenFourierStep)
    torch.testing.assert_close(l1, l2, rtol=1e-8, atol=1e-10)
    for a, b in zip(p1, p2):
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-10)


def test_hand_written_step_gradient_matches_finite_differences():
    """One step's parameter gradient (written into .grad by hand) against central differences."""
    obj = _objective(torch.float64, 1e-2)
    W = torch.randn(6, 3, dtype=torch.float64)
    params = DirectFeatures(W)
    rng = torch.Generator().manual_seed(3)
    step = make_adam_step(params, obj, 0.0, rng)  # lr 0: the step only writes the gradient
    step()
    grad = params.W.grad.clone()

    def loss(W_):  # the same TV points as the step: re-seed the generator
        return obj(W_, torch.Generator().manual_seed(3))[0]

    h, fd = 1e-6, torch.zeros_like(W)
    for i in range(W.numel()):
        E = torch.zeros_like(W).view(-1)
        E[i] = h
        fd.view(-1)[i] = (loss(W + E.view_as(W)) - loss(W - E.view_as(W))) / (2 * h)
    torch.testing.assert_close(grad, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("engine", ["fused", "autograd"])
def test_cosine_schedule_anneals_from_lr_to_a_hundredth_over_the_run(engine):
    """After k of T steps the rate is lr/100 + (lr - lr/100)(1 + cos(pi k / T)) / 2; the
    schedule needs T (torch's default period would make the rate alternate every step)."""
    obj = _objective(torch.float64, 0.0)
    rng = torch.Generator().manual_seed(5)
    params = _params("direct", torch.float64, rng)
    lr, T = 1e-2, 10
    step = make_adam_step(params, obj, lr, rng, T, "cosine", engine=engine)
    rates = []
    for _ in range(T):
        step()
        rates.append(step.optimizer.param_groups[0]["lr"])
    k = torch.arange(1, T + 1, dtype=torch.float64)
    expected = lr / 100 + (lr - lr / 100) * (1 + torch.cos(math.pi * k / T)) / 2
    torch.testing.assert_close(torch.tensor(rates, dtype=torch.float64), expected, rtol=1e-12, atol=0)
    with pytest.raises(ValueError, match="schedule='cosine' needs total_steps"):
        make_adam_step(params, obj, lr, rng, None, "cosine", engine=engine)


def test_engines_are_resolved_in_one_place_with_reasons():
    rng = torch.Generator().manual_seed(0)
    base = _objective(torch.float64, 0.0)
    direct = DirectFeatures(torch.randn(8, 3, dtype=torch.float64))
    assert resolve_engine("auto", direct, base) == ("fused", "auto: Fourier features")
    assert resolve_engine("autograd", direct, base) == ("autograd", "asked for")
    with pytest.raises(ValueError, match=r"engine must be one of \['auto', 'autograd', 'fused'\], got 'fast'"):
        resolve_engine("fast", direct, base)

    # another activation: auto falls back and says why; an explicit fused engine refuses
    obj = _objective(torch.float64, 0.0, "sigmoid")
    D = obj.activation.feature_dim(3)
    params = DirectFeatures(torch.randn(8, D, dtype=torch.float64))
    step = make_adam_step(params, obj, 1e-2, rng)
    assert step.engine == "autograd" and "'fourier' features only, not 'sigmoid'" in step.engine_reason
    with pytest.raises(ValueError, match="engine='fused' cannot run here: .*not 'sigmoid'"):
        make_adam_step(params, obj, 1e-2, rng, engine="fused")

    # a generator that is not a Linear/ReLU stack
    G = Generator(3, (16,)).double()
    G.net[1] = nn.Tanh()
    assert mlp_layers(G) is None and mlp_layers(Generator(3, (16, 16))) is not None
    step = make_adam_step(GeneratorFeatures(G, 8, 1, rng), base, 1e-2, rng)
    assert step.engine == "autograd" and "Linear/ReLU" in step.engine_reason
    with pytest.raises(ValueError, match="Linear/ReLU"):
        make_adam_step(GeneratorFeatures(G, 8, 1, rng), base, 1e-2, rng, engine="fused")

    # a subclass that changes the objective runs as written on the autograd engine
    class Shifted(ReducedObjective):
        def __call__(self, W, generator=None):
            loss, mse, tv = super().__call__(W, generator)
            return loss + 1.0, mse, tv

    shifted = Shifted(base.X, base.y, "fourier", 1e-6, 0.0, 10)
    step = make_adam_step(DirectFeatures(torch.randn(8, 3, dtype=torch.float64)), shifted, 1e-2, rng,
                          engine="autograd")
    assert float(step()) > 1.0


def test_relu_backward_fallback_equals_the_private_kernel(monkeypatch):
    """The public fallback of the private threshold_backward kernel gives the same step."""
    results = []
    for private in (True, False):
        monkeypatch.setattr(fourier_step, "_THRESHOLD_BACKWARD", private)
        _, losses, params = _run("generator", torch.float64, 1e-2, "fused", steps=4)
        results.append((losses, params))
    (l1, p1), (l2, p2) = results
    torch.testing.assert_close(l1, l2, rtol=0, atol=0)
    for a, b in zip(p1, p2):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_fused_step_defers_the_factorisation_check_to_validation():
    """A non-positive-definite system (negative ridge) is reported at the next check, not
    read on the host inside the step."""
    base = _objective(torch.float64, 0.0)
    bad = ReducedObjective(base.X, base.y, "fourier", -1e3, 0.0, 10, base.X[:10], base.y[:10])
    params = DirectFeatures(torch.randn(8, 3, dtype=torch.float64))
    step = make_adam_step(params, bad, 1e-2, engine="fused")
    step()
    step()
    with pytest.raises(RidgeSolveError, match="not positive definite"):
        step.check()
    step.check()  # the record was reset


def test_fused_adam_arguments_only_for_plain_fused_adam():
    p = torch.nn.Parameter(torch.randn(4))
    p.grad = torch.randn(4)
    for opt, ok in [
        (torch.optim.Adam([p], fused=True), True),
        (torch.optim.Adam([p], fused=True, amsgrad=True), False),
        (torch.optim.Adam([p], fused=True, maximize=True), False),
        (torch.optim.Adam([p]), False),  # not fused: another kernel
        (torch.optim.SGD([p], lr=0.1), False),
    ]:
        opt.step()
        assert (_fused_adam_arguments(opt) is not None) == ok, opt


def test_fused_adam_with_members_updates_each_member_as_an_optimizer_of_its_own():
    """Three members stacked in (3, 5) tensors, updated through the argument lists with
    members, end bit for bit where three torch.optim.Adam(fused=True) on (5,) tensors end,
    first step (the state the lists create) included. Updated as whole (3, 5) tensors, the
    first two members' values sit in the kernel's vector blocks while a (5,) tensor is all
    scalar tail, and they drift apart after about a thousand steps."""
    g = torch.Generator().manual_seed(0)
    w0 = torch.randn(3, 5, generator=g)
    stacked = torch.nn.Parameter(w0.clone())
    stacked.grad = torch.zeros(3, 5)
    opt = torch.optim.Adam([stacked], lr=1e-3, fused=True)
    params, grads, exp_avgs, exp_avg_sqs, steps, all_steps = _fused_adam_arguments(opt, members=(3,))
    assert len(params) == 3 and all(p.shape == (5,) for p in params)
    alone = [torch.nn.Parameter(w0[i].clone()) for i in range(3)]
    opts = [torch.optim.Adam([p], lr=1e-3, fused=True) for p in alone]
    for _ in range(2000):
        grad = torch.randn(5, generator=g) * 10 ** torch.randn((), generator=g)
        stacked.grad.copy_(grad.expand(3, 5))
        all_steps.add_(1)
        torch._fused_adam_(params, grads, exp_avgs, exp_avg_sqs, [], steps, amsgrad=False, lr=1e-3,
                           beta1=0.9, beta2=0.999, weight_decay=0.0, eps=1e-8, maximize=False,
                           grad_scale=None, found_inf=None)
        for p, o in zip(alone, opts):
            p.grad = grad.clone()
            o.step()
    for i in range(3):
        assert torch.equal(stacked.detach()[i], alone[i].detach()), i
    assert float(opt.state[stacked]["step"]) == 2000.0


@pytest.mark.parametrize("cplx", [False, True])
def test_upper_cholesky_factor_and_its_retry(cplx):
    dtype = torch.complex128 if cplx else torch.float64
    A = torch.randn(20, 6, dtype=dtype)
    S = A.mH @ A + 1e-3 * torch.eye(6, dtype=dtype)
    U = cholesky_with_retry(S, upper=True)
    torch.testing.assert_close(U.mH @ U, S)
    assert torch.equal(U, U.triu())
    S_bad = S.clone()
    S_bad.diagonal().sub_(S.diagonal().real.max() * 2)  # indefinite: jitter cannot fix it
    with pytest.raises(RidgeSolveError, match="not positive definite"):
        cholesky_with_retry(S_bad, upper=True)


def test_nan_loss_on_the_fused_engine_stops_with_the_step():
    base = _objective(torch.float64, 0.0)
    y = base.y.clone()
    y[3] = float("nan")
    obj = ReducedObjective(base.X, y, "fourier", 1e-6, 0.0, 10, base.X[:10], base.y[:10])
    params = DirectFeatures(torch.randn(8, 3, dtype=torch.float64))
    assert make_adam_step(params, obj, 1e-2).engine == "fused"
    with pytest.raises(TrainingDivergedError, match=r"at step 0 \(lr=0.01\)"):
        optimise(params, obj, steps=20, lr=1e-2, val_every=5, progress=False)
    assert torch.isfinite(params.W).all()
