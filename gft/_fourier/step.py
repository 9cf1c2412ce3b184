r"""The training step for the Fourier reduced objective written out by hand: no autograd graph, buffers reused, one fused Adam update.

A GFT step is small — an MLP on ``N`` latents, one ridge solve, a rank-4 backward pass —
so autograd's bookkeeping (graph nodes, fresh gradient tensors, ``zero_grad``) and the
Python around it are a large part of its cost. This step runs the same computation as
the ``autograd`` engine of :func:`gft.training.make_adam_step` (which differentiates
:meth:`gft.ReducedObjective.__call__`, the definition), in the same order and with the same
random draws:

1. features ``W`` — the generator's forward pass kept layer by layer (``GeneratorFeatures``
   on fresh latents, ``LatentFeatures`` on the latent set), or ``W`` itself
   (``DirectFeatures``);
2. :func:`gft._fourier.mse.mse_forward` (in an :class:`~gft._fourier.mse.MSEWorkspace` the step keeps, so
   that no step allocates), and with ``tv_weight > 0`` the TV term on fresh points of
   the training box, :func:`gft._fourier.tv.tv_forward` / :func:`~gft._fourier.tv.tv_backward`;
3. :func:`gft._fourier.mse.mse_backward` (the TV gradient in ``b`` enters its implicit term);
4. the MLP's backward pass by hand into preallocated ``.grad`` tensors
   (:math:`\bar W_i = \bar h_i^\top h_{i-1}`, :math:`\bar b_i = \mathbf 1^\top\bar h_i`,
   :math:`\bar h_{i-1} = (\bar h_i W_i)\odot[h_{i-1} > 0]`);
5. the optimizer's Adam update — from the first step on, the fused Adam kernel called
   on the optimizer's state (created here where there is none, as ``opt.step()`` would
   create it), which skips ``Optimizer.step``'s bookkeeping (about
   0.1 ms of a 2.3 ms step; the parameters' step counts are then views of one tensor, so one
   kernel advances them all); any other optimizer or setting goes through ``optimizer.step()``.

Every buffer is allocated when the step is built, and the kernels run in inference mode
(no autograd view or version tracking), so a step is a fixed list of kernel launches.
The step never reads device memory on the host: a failed ridge factorisation is recorded
on the device and raised by :meth:`HandWrittenFourierStep.check`, which the training loop
calls at each validation. Two private torch kernels are used where they exist
(``torch._fused_adam_`` and ``aten.threshold_backward.grad_input``), each with a public
fallback. The tests check that both engines give the same parameters after several steps.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor, nn

from ..generator import GeneratorStack
from ..objective import per_member_generators
from .mse import MSEWorkspace, fourier_data, mse_backward, mse_forward
from .tv import TVWorkspace, tv_backward, tv_forward

__all__ = ["HandWrittenFourierStep", "mlp_layers"]


def mlp_layers(module: nn.Module) -> list[tuple[Tensor, Tensor]] | None:
    """``(weight, bias)`` of every layer of a ``Linear, ReLU, ..., Linear`` stack (shapes
    ``(out, in)`` and ``(out,)``) or of a :class:`~gft.generator.GeneratorStack` (shapes
    ``(B, out, in)`` and ``(B, out)``); None for anything else."""
    if isinstance(module, GeneratorStack):
        return module.layers()
    mods = list(module.net) if isinstance(getattr(module, "net", None), nn.Sequential) else []
    if not mods or len(mods) % 2 == 0:
        return None
    for i, m in enumerate(mods):
        if i % 2 == 0 and not (isinstance(m, nn.Linear) and m.bias is not None):
            return None
        if i % 2 == 1 and not isinstance(m, nn.ReLU):
            return None
    return [(lin.weight, lin.bias) for lin in mods[0::2]]


def _threshold_backward_available() -> bool:
    try:
        g = torch.ones(2)
        torch.ops.aten.threshold_backward.grad_input(g, torch.tensor([-1.0, 1.0]), 0, grad_input=g)
        return bool(g[0] == 0 and g[1] == 1)
    except (AttributeError, RuntimeError):
        return False


_THRESHOLD_BACKWARD: bool | None = None  # probed on first use


def _relu_backward_(grad: Tensor, x: Tensor) -> Tensor:
    """``grad *= [x > 0]`` in place: one kernel where torch's ``threshold_backward`` out
    variant exists, ``masked_fill_`` (one temporary mask) otherwise."""
    global _THRESHOLD_BACKWARD
    if _THRESHOLD_BACKWARD is None:
        _THRESHOLD_BACKWARD = _threshold_backward_available()
    if _THRESHOLD_BACKWARD:
        return torch.ops.aten.threshold_backward.grad_input(grad, x, 0, grad_input=grad)
    return grad.masked_fill_(x <= 0, 0)


class HandWrittenFourierStep:
    """One Adam step on a Fourier :class:`~gft.ReducedObjective`; call it, get the detached loss.

    Every buffer — activations, gradients, the workspaces of the fused nodes — is allocated
    here, once, for the fixed shapes of the run; a step only launches kernels. With a
    batched objective (``objective.members == (B,)``) the step trains ``B`` independent
    members at once: the generator's layers are stacked ``(B, out, in)``, the products are
    batched, and member ``i`` draws its latents and TV points from ``latent_rng[i]`` and
    ``rng[i]``; the loss is then of shape ``(B,)``.

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
    layers : list of (Tensor, Tensor), optional
        The generator's ``(weight, bias)`` per layer, from :func:`mlp_layers` (modes
        ``generator`` and ``latent``).
    n_features : int, optional
        Latents drawn per step (mode ``generator``).
    latent_rng : torch.Generator or sequence of them, optional
        For the latents (mode ``generator``), one per member when batched.
    rng : torch.Generator or sequence of them, optional
        For the TV points, one per member when batched.
    scheduler : optional
        Stepped after the optimizer.
    members : tuple, optional
        ``(B,)`` for ``B`` members (default: ``objective.members``; an objective without
        members is then shared by all of them).
    """

    def __init__(self, mode, objective, optimizer, params, layers=None, n_features=None,
                 latent_rng=None, rng=None, scheduler=None, members=None):
        if mode not in ("generator", "latent", "direct"):
            raise ValueError(f"Unknown mode {mode!r}")
        if mode == "generator" and n_features is None:
            raise ValueError("mode 'generator' needs n_features")
        self.mode, self.objective, self.optimizer, self.scheduler = mode, objective, optimizer, scheduler
        self.layers = layers or []
        self.members = tuple(objective.members if members is None else members)
        batched = bool(self.members)
        n_members = self.members[0] if batched else 1
        self.rngs = per_member_generators(rng, n_members)
        self.latent_rngs = per_member_generators(latent_rng, n_members)
        for p in params:
            p.grad = torch.zeros_like(p)
        p0 = params[0]
        kw = dict(dtype=p0.dtype, device=p0.device)
        if mode == "generator":
            self._z = torch.empty(*self.members, n_features, self.layers[0][0].shape[-1], **kw)
        else:
            self._z = p0  # the latents (mode latent) or the features (mode direct)
        # each member's latents as a view, for its own generator's draws
        self._z_members = list(self._z.unbind(0)) if batched else [self._z]
        n = self._z.shape[-2]
        W_shape = (*self.members, n, self.layers[-1][0].shape[-2]) if self.layers else tuple(p0.shape)
        self._grad_W = torch.empty(W_shape, **kw)
        self._data = fourier_data(objective.X, objective.y)
        self._mse_ws = MSEWorkspace(*self._data, n, self.members)
        # the TV weight: a number (one problem) or the members' weights, in float64 for the TV
        # gradient (its scale λκ is then rounded once, as with a number) and in W's dtype for
        # the loss
        self._tv_weight = objective.tv_weights.expand(self.members) if batched else float(objective.tv_weights)
        self._tv_weight_loss = self._tv_weight.to(p0.dtype) if batched else self._tv_weight
        # Where some members have TV weight 0, the TV passes run on the others alone: their
        # features are gathered into a buffer of their own and the gradients added back.
        self._tv_rows = None
        if objective.members and objective.uses_tv and not all(objective.tv_members.tolist()):
            self._tv_rows = objective.tv_members.nonzero().flatten().tolist()
            self._tv_index = torch.tensor(self._tv_rows, device=p0.device)
            self._tv_weight = self._tv_weight[self._tv_index]
            self._tv_weight_loss = self._tv_weight_loss[self._tv_index]
            self._tv_W = torch.empty(len(self._tv_rows), *W_shape[1:], **kw)
            w = self._mse_ws.w  # the ridge solutions, (B, n, 1): the TV's are gathered here
            self._tv_w = w.new_empty(len(self._tv_rows), *w.shape[1:])
            self._tv_grad_uv = torch.zeros(*self.members, 2, n, **kw)  # rows of weight 0 stay 0
        self._tv_ws: TVWorkspace | None = None
        if objective.uses_tv:
            self._tv_workspace()
        # batched products where the layers are stacked, plain ones (less overhead) otherwise
        self._mm = torch.bmm if batched else torch.mm
        self._affine = _baddbmm if batched else torch.addmm
        # the MLP's passes as lists of fixed tensors: (bias, weight^T, activation) forward;
        # (incoming grad, layer input^T, layer input, weight, weight.grad^T, bias.grad, grad_in)
        # backward, grad_in None for the first layer
        acts = [torch.empty(*self.members, n, w.shape[-2], **kw) for w, _ in self.layers]
        forward_plan = [(bias.unsqueeze(-2) if batched else bias, weight.mT, a)
                        for (weight, bias), a in zip(self.layers, acts)]
        self._hidden_plan, self._last_plan = forward_plan[:-1], forward_plan[-1] if forward_plan else None
        # With equal hidden widths the gradients at the hidden layers' outputs share one
        # (L - 1, *, n, h) buffer and their biases' .grad one (L - 1, *, h) buffer: one sum
        # gives all those bias gradients.
        hidden = [w.shape[-2] for w, _ in self.layers[:-1]]
        self._bias_sum = None
        if mode == "generator" and len(set(hidden)) == 1:
            stack = torch.empty(len(hidden), *self.members, n, hidden[0], **kw)
            bias_grads = torch.zeros(len(hidden), *self.members, hidden[0], **kw)
            for j, (_, bias) in enumerate(self.layers[:-1]):
                bias.grad = bias_grads[j]
            self._bias_sum = (stack, bias_grads)
        self._backward_plan = []
        grad = self._grad_W
        for i in range(len(self.layers) - 1, -1, -1):
            (weight, bias), x = self.layers[i], (acts[i - 1] if i > 0 else self._z)
            grad_in = None
            if i > 0:
                grad_in = (self._bias_sum[0][i - 1] if self._bias_sum
                           else torch.empty(*self.members, n, weight.shape[-1], **kw))
            bias_grad = bias.grad if (self._bias_sum is None or i == len(self.layers) - 1) else None
            weight_grad_T = None if weight.grad is None else weight.grad.mT  # None: a frozen generator
            self._backward_plan.append((grad, x.mT, x, weight, weight_grad_T, bias_grad, grad_in))
            grad = grad_in
        self._adam: tuple | bool | None = None  # fused-kernel arguments, False, or not yet known

    def _tv_workspace(self) -> TVWorkspace:
        ws, n_points = self._tv_ws, self.objective.n_tv_points
        W, members = (self._grad_W, self.members) if self._tv_rows is None else (self._tv_W, self._tv_W.shape[:1])
        if ws is None or ws.n_points != n_points:  # W: the shape and dtype of the TV's features
            ws = self._tv_ws = TVWorkspace(W.shape, n_points, W.dtype, W.device, members)
        return ws

    def _mlp_forward(self, z: Tensor) -> Tensor:
        h = z
        for bias, weight_T, out in self._hidden_plan:
            h = self._affine(bias, h, weight_T, out=out).clamp_min_(0)
        bias, weight_T, out = self._last_plan  # no ReLU after the last layer
        return self._affine(bias, h, weight_T, out=out)

    def _mlp_backward(self) -> None:
        weights = self.mode == "generator"
        mm = self._mm
        for grad, x_T, x, weight, weight_grad_T, bias_grad, grad_in in self._backward_plan:
            if weights:
                # (x^T grad)^T, not grad^T x: with two threads the one-problem product of a
                # thin layer (few outputs) then runs as each member's product in the batched call
                mm(x_T, grad, out=weight_grad_T)
                if bias_grad is not None:
                    torch.sum(grad, -2, out=bias_grad)
            if grad_in is not None:
                mm(grad, weight, out=grad_in)
                _relu_backward_(grad_in, x)
            elif not weights:
                mm(grad, weight, out=self._z.grad)
        if weights and self._bias_sum is not None:
            torch.sum(self._bias_sum[0], -2, out=self._bias_sum[1])

    def __call__(self) -> Tensor:
        obj = self.objective
        # inference mode: the kernels skip autograd's bookkeeping (view and version tracking)
        with torch.inference_mode():
            if self.mode == "direct":
                W = self._z
            else:
                if self.mode == "generator":
                    for z, g in zip(self._z_members, self.latent_rngs):
                        torch.randn(z.shape, generator=g, out=z)
                W = self._mlp_forward(self._z)
            Xs, y = self._data
            loss, w, saved = mse_forward(Xs, W, y, obj.ridge_for(W, 1), self._mse_ws, defer_check=True)
            grad_uv = None
            if obj.uses_tv:
                tws = self._tv_workspace()
                obj.draw_tv_points(tws.points, self.rngs if self.members else self.rngs[0], self._tv_rows)
                if self._tv_rows is None:
                    tws.set_coefficients_from_solution(w)
                    tv = tv_forward(W, tws)
                    grad_W_tv, grad_uv = tv_backward(tws, self._tv_weight)
                    loss = loss + self._tv_weight_loss * tv
                else:
                    index = self._tv_index
                    tws.set_coefficients_from_solution(torch.index_select(w, 0, index, out=self._tv_w))
                    tv = tv_forward(torch.index_select(W, 0, index, out=self._tv_W), tws)
                    grad_W_tv, grad_uv_rows = tv_backward(tws, self._tv_weight)
                    grad_uv = self._tv_grad_uv.index_copy_(0, index, grad_uv_rows)
                    loss = loss.index_add(0, index, (self._tv_weight_loss * tv).to(loss.dtype))
            mse_backward(saved, 1.0, grad_uv, out=self._grad_W)
            if grad_uv is not None:
                if self._tv_rows is None:
                    self._grad_W += grad_W_tv
                else:
                    self._grad_W.index_add_(0, self._tv_index, grad_W_tv)
            if self.mode == "direct":
                self._z.grad.copy_(self._grad_W)
            else:
                self._mlp_backward()
        self._optimizer_step()
        if self.scheduler is not None:
            if self.scheduler.last_epoch == 0:
                with warnings.catch_warnings():  # its first call checks that opt.step() ran before
                    warnings.filterwarnings("ignore", r"Detected call of `lr_scheduler\.step\(\)` before",
                                            UserWarning)  # it did not: the update ran in the fused kernel
                    self.scheduler.step()
            else:
                self.scheduler.step()
        return loss

    def check(self) -> None:
        """Raise :class:`~gft.RidgeSolveError` when a ridge factorisation failed since the
        last check (the step itself never reads device memory on the host)."""
        self._mse_ws.check_factorisations()

    def failed_members(self) -> Tensor:
        """Which members' ridge factorisations failed since the last call, shape ``members``
        (bool, on the device), and reset the record."""
        failed = self._mse_ws.failed != 0
        self._mse_ws.failed.zero_()
        return failed

    def _optimizer_step(self) -> None:
        if self._adam is None:
            self._adam = _fused_adam_arguments(self.optimizer, self.members) or False
        if not self._adam:
            self.optimizer.step()
            return
        group = self.optimizer.param_groups[0]
        params, grads, exp_avgs, exp_avg_sqs, steps, all_steps = self._adam
        with torch.inference_mode():  # in-place updates of ordinary tensors: allowed
            all_steps.add_(1)  # the step counts of all parameters, one kernel
            torch._fused_adam_(
                params, grads, exp_avgs, exp_avg_sqs, [], steps, amsgrad=False, lr=group["lr"],
                beta1=group["betas"][0], beta2=group["betas"][1], weight_decay=group["weight_decay"],
                eps=group["eps"], maximize=False, grad_scale=None, found_inf=None,
            )


def _baddbmm(bias: Tensor, h: Tensor, weight_T: Tensor, out: Tensor) -> Tensor:
    return torch.baddbmm(bias, h, weight_T, out=out)


def _fused_adam_arguments(opt: torch.optim.Optimizer, members: tuple = ()) -> tuple | None:
    """The tensor lists ``torch._fused_adam_`` needs to repeat ``opt.step()``, or None where
    that call would not be the same update (another optimizer, options, or torch version).

    Creates the state ``opt.step()`` would create where there is none (zero moments, step 0),
    so that the first update runs here too. With ``members`` (``(B,)``: every parameter
    stacks ``B`` members along its first axis) the lists hold each member's slice: the kernel
    splits every tensor into vector blocks and a scalar tail, so a member's update is bit for
    bit that of a run with the member alone (in the stacked tensor a member's last values can
    fall in a vector block, and the two code paths round differently).
    """
    if type(opt) is not torch.optim.Adam or len(opt.param_groups) != 1:
        return None
    group = opt.param_groups[0]
    plain = not any(group.get(k) for k in ("amsgrad", "maximize", "capturable", "differentiable",
                                           "decoupled_weight_decay"))
    params = group["params"]
    if not (hasattr(torch, "_fused_adam_") and group.get("fused") and plain
            and not isinstance(group["lr"], Tensor)
            and len({(p.device, p.dtype) for p in params}) == 1
            and all(p.grad is not None for p in params)):
        return None
    for p in params:
        if not opt.state.get(p):  # the layout of torch.optim.Adam's state with fused=True
            opt.state[p] = dict(step=torch.zeros((), dtype=torch.float32, device=p.device),
                                exp_avg=torch.zeros_like(p, memory_format=torch.preserve_format),
                                exp_avg_sq=torch.zeros_like(p, memory_format=torch.preserve_format))
    state = [opt.state[p] for p in params]
    # The per-parameter step counts become views of one tensor (equal values, the same
    # tensors to Optimizer.step) so that a single kernel advances them all.
    all_steps = torch.stack([s["step"] for s in state])
    for i, s in enumerate(state):
        s["step"] = all_steps[i]
    # Last parameters first: the update then ends on the generator's first layers, which
    # the next forward pass reads first (they are still in cache).
    order = list(range(len(params)))[::-1]
    if members and any(p.dim() == 0 or p.shape[0] != members[0] for p in params):
        members = ()  # not every parameter is stacked by member: update whole tensors
    n = members[0] if members else 1

    def per_member(tensors: list[Tensor]) -> list[Tensor]:
        return [m for t in tensors for m in (t.unbind(0) if members else (t,))]

    return (per_member([params[i] for i in order]), per_member([params[i].grad for i in order]),
            per_member([state[i]["exp_avg"] for i in order]),
            per_member([state[i]["exp_avg_sq"] for i in order]),
            [state[i]["step"] for i in order for _ in range(n)], all_steps)
