r"""The training step for the Fourier reduced objective written out by hand: no autograd graph, buffers reused, one fused Adam update.

A GFT step is small — an MLP on ``N`` latents, one ridge solve, a rank-4 backward pass —
so autograd's bookkeeping (graph nodes, fresh gradient tensors, ``zero_grad``) and the
Python around it are a large part of its cost. This step runs the same computation as
:func:`gft.training.make_adam_step` on the autograd path, in the same order and with the
same random draws:

1. features ``W`` — the generator's forward pass kept layer by layer (``GeneratorFeatures``
   on fresh latents, ``LatentFeatures`` on the latent set), or ``W`` itself
   (``DirectFeatures``);
2. :func:`gft.fused.mse_forward` (in an :class:`~gft.fused.MSEWorkspace` the step keeps, so
   that no step allocates), and with ``tv_weight > 0`` the TV term on fresh points of
   the training box, :func:`gft.fused_tv.tv_forward` / :func:`~gft.fused_tv.tv_backward`;
3. :func:`gft.fused.mse_backward` (the TV gradient in ``b`` enters its implicit term);
4. the MLP's backward pass by hand into preallocated ``.grad`` tensors
   (:math:`\bar W_i = \bar h_i^\top h_{i-1}`, :math:`\bar b_i = \mathbf 1^\top\bar h_i`,
   :math:`\bar h_{i-1} = (\bar h_i W_i)\odot[h_{i-1} > 0]`);
5. the optimizer's Adam update — from the second step on, the fused Adam kernel called
   on the optimizer's own state, which skips ``Optimizer.step``'s bookkeeping (about
   0.1 ms of a 3 ms step; the parameters' step counts are then views of one tensor, so one
   kernel advances them all); any other optimizer or setting goes through ``optimizer.step()``.

The tests check that both paths give the same parameters after several steps.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .fused import MSEWorkspace, mse_backward, mse_forward
from .fused_tv import TVWorkspace, tv_backward, tv_forward
from .regularizers import sample_box

__all__ = ["HandWrittenFourierStep", "mlp_layers"]


def mlp_layers(module: nn.Module) -> list[nn.Linear] | None:
    """The ``Linear`` layers of a ``Linear, ReLU, ..., Linear`` stack, or None for anything else."""
    mods = list(module.net) if isinstance(getattr(module, "net", None), nn.Sequential) else []
    if not mods or len(mods) % 2 == 0:
        return None
    for i, m in enumerate(mods):
        if i % 2 == 0 and not (isinstance(m, nn.Linear) and m.bias is not None):
            return None
        if i % 2 == 1 and not isinstance(m, nn.ReLU):
            return None
    return mods[0::2]


class HandWrittenFourierStep:
    """One Adam step on a Fourier :class:`~gft.ReducedObjective`; call it, get the detached loss.

    Parameters
    ----------
    mode : {"generator", "latent", "direct"}
        What the optimizer updates: the generator's weights (features of fresh latents), a
        latent set through a frozen generator, or the features themselves.
    objective : ReducedObjective
        With ``activation == "fourier"``.
    optimizer : torch.optim.Optimizer
        Over ``params``; stepped after the gradients are written.
    params : list of Tensor
        The optimised tensors; their ``.grad`` is allocated once and overwritten every step.
    layers : list of nn.Linear, optional
        The generator's layers (modes ``generator`` and ``latent``).
    latents : callable, optional
        Draws the latents of one step (mode ``generator``).
    rng : torch.Generator, optional
        For the TV points.
    scheduler : optional
        Stepped after the optimizer.
    """

    def __init__(self, mode, objective, optimizer, params, layers=None, latents=None, rng=None,
                 scheduler=None):
        if mode not in ("generator", "latent", "direct"):
            raise ValueError(f"Unknown mode {mode!r}")
        self.mode, self.objective, self.optimizer, self.scheduler = mode, objective, optimizer, scheduler
        self.params, self.layers, self.latents, self.rng = params, layers or [], latents, rng
        for p in params:
            p.grad = torch.zeros_like(p)
        self._acts: list[Tensor] = []
        self._grad_in: list[Tensor] = []
        self._mse_ws: MSEWorkspace | None = None
        self._tv_ws: TVWorkspace | None = None
        self._grad_W_buffer: Tensor | None = None
        self._adam: tuple | bool | None = None  # fused-kernel arguments, False, or not yet known

    def _buffers(self, z: Tensor) -> None:
        n = z.shape[-2]
        if self._acts and self._acts[0].shape[-2] == n:
            return
        kw = dict(dtype=z.dtype, device=z.device)
        self._acts = [torch.empty(n, lin.out_features, **kw) for lin in self.layers]
        self._grad_in = [torch.empty(n, lin.in_features, **kw) for lin in self.layers]

    def _tv_workspace(self, W: Tensor) -> TVWorkspace:
        ws, n_points = self._tv_ws, self.objective.n_tv_points
        if ws is None or ws.W2.shape != W.shape or ws.W2.dtype != W.dtype or ws.n_points != n_points:
            ws = self._tv_ws = TVWorkspace(W.shape, n_points, W.dtype, W.device)
        return ws

    def _grad_W(self, W: Tensor) -> Tensor:
        if self._grad_W_buffer is None or self._grad_W_buffer.shape != W.shape:
            self._grad_W_buffer = torch.empty_like(W)
        return self._grad_W_buffer

    def _mlp_forward(self, z: Tensor) -> Tensor:
        self._buffers(z)
        h, last = z, len(self.layers) - 1
        for i, lin in enumerate(self.layers):
            out = torch.addmm(lin.bias, h, lin.weight.mT, out=self._acts[i])
            if i < last:
                out.clamp_min_(0)
            h = out
        return h

    def _mlp_backward(self, z: Tensor, grad: Tensor) -> None:
        weights = self.mode == "generator"
        for i in range(len(self.layers) - 1, -1, -1):
            lin, x = self.layers[i], (self._acts[i - 1] if i > 0 else z)
            if weights:
                torch.mm(grad.mT, x, out=lin.weight.grad)
                torch.sum(grad, 0, out=lin.bias.grad)
            if i > 0:
                g_in = torch.mm(grad, lin.weight, out=self._grad_in[i])
                grad = torch.ops.aten.threshold_backward.grad_input(g_in, x, 0, grad_input=g_in)
            elif not weights:
                torch.mm(grad, lin.weight, out=z.grad)

    def __call__(self) -> Tensor:
        obj = self.objective
        with torch.no_grad():
            if self.mode == "generator":
                z = self.latents()
                W = self._mlp_forward(z)
            elif self.mode == "latent":
                z = self.params[0]
                W = self._mlp_forward(z)
            else:
                W = self.params[0]
            Xs, y = obj.fourier_data
            if self._mse_ws is None or not self._mse_ws.matches(Xs, y, W):
                self._mse_ws = MSEWorkspace(Xs, y, W.shape[-2], W.shape[:-2])
            loss, w, saved = mse_forward(Xs, W, y, obj.ridge, self._mse_ws)
            grad_uv = None
            if obj.tv_weight != 0:
                tws = self._tv_workspace(W)
                sample_box(obj.low, obj.high, obj.n_tv_points, self.rng, out=tws.points)
                tws.set_coefficients_from_solution(w)
                tv = tv_forward(W, tws)
                grad_W_tv, grad_uv = tv_backward(tws, obj.tv_weight)
                loss = loss + obj.tv_weight * tv
            grad_W = self._grad_W(W)
            grad_W.copy_(mse_backward(saved, 1.0, grad_uv))
            if grad_uv is not None:
                grad_W += grad_W_tv
            if self.mode == "direct":
                self.params[0].grad.copy_(grad_W)
            else:
                self._mlp_backward(z, grad_W)
        self._optimizer_step()
        if self.scheduler is not None:
            self.scheduler.step()
        return loss

    def _optimizer_step(self) -> None:
        if not self._adam:
            self.optimizer.step()  # the first call also creates the optimizer's state
            if self._adam is None:
                self._adam = _fused_adam_arguments(self.optimizer) or False
            return
        group = self.optimizer.param_groups[0]
        params, grads, exp_avgs, exp_avg_sqs, steps, all_steps = self._adam
        all_steps.add_(1)  # the step counts of all parameters, one kernel
        torch._fused_adam_(
            params, grads, exp_avgs, exp_avg_sqs, [], steps, amsgrad=False, lr=group["lr"],
            beta1=group["betas"][0], beta2=group["betas"][1], weight_decay=group["weight_decay"],
            eps=group["eps"], maximize=False, grad_scale=None, found_inf=None,
        )


def _fused_adam_arguments(opt: torch.optim.Optimizer) -> tuple | None:
    """The tensor lists ``torch._fused_adam_`` needs to repeat ``opt.step()``, or None where
    that call would not be the same update (another optimizer, options, or torch version)."""
    if type(opt) is not torch.optim.Adam or len(opt.param_groups) != 1:
        return None
    group = opt.param_groups[0]
    plain = not any(group.get(k) for k in ("amsgrad", "maximize", "capturable", "differentiable",
                                           "decoupled_weight_decay"))
    params = group["params"]
    if not (hasattr(torch, "_fused_adam_") and group.get("fused") and plain
            and not isinstance(group["lr"], Tensor)
            and len({(p.device, p.dtype) for p in params}) == 1
            and all(p.grad is not None and opt.state.get(p) for p in params)):
        return None
    state = [opt.state[p] for p in params]
    # The per-parameter step counts become views of one tensor (equal values, the same
    # tensors to Optimizer.step) so that a single kernel advances them all.
    all_steps = torch.stack([s["step"] for s in state])
    for i, s in enumerate(state):
        s["step"] = all_steps[i]
    return (list(params), [p.grad for p in params], [s["exp_avg"] for s in state],
            [s["exp_avg_sq"] for s in state], [s["step"] for s in state], all_steps)
