r"""Matrix products between fixed buffers that give a batched member its separate run's bits.

With several intra-op threads a CPU BLAS may split a product's long sum (over the ``M``
data rows of a ``(1, M) @ (M, 2N)`` row product, or over the ``P`` points of the TV's
products) between the threads when it runs as one problem, while inside a batched call
each member's product runs whole on one thread. The sums then differ in their last bits,
and thousands of Adam steps make that a different model: with two threads on an Intel Xeon
(MKL) a batched member and its separate fit chose different λ. Which products a BLAS runs
differently at two threads depends on the processor and the shape: on an AMD EPYC a
``(d, 2N) @ (2N, P)`` product with ``d >= 9`` rows did, though its sum is short. Those few products are
therefore run member by member through :func:`torch.mm` — the call a separate run makes —
when the batch runs on the CPU with more than one thread; otherwise as one batched call,
which with one thread is already each member's product bit for bit.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import Tensor

__all__ = ["per_member_products", "fixed_product"]


def per_member_products(batch: tuple[int, ...], device: torch.device | str) -> bool:
    """Whether the long-sum products of a ``batch``-shaped workspace run member by member:
    batched, on the CPU, with more than one intra-op thread (read now)."""
    return bool(batch) and torch.device(device).type == "cpu" and torch.get_num_threads() > 1


def fixed_product(a: Tensor, b: Tensor, out: Tensor, per_member: bool) -> Callable[[], Tensor]:
    """A function of no arguments that writes ``a @ b`` into ``out`` and returns it.

    Parameters
    ----------
    a, b : Tensor
        ``(*, m, k)`` and ``(*, k, n)``, their batch dimensions broadcasting to ``out``'s; read
        at every call (buffers whose values change between calls).
    out : Tensor
        ``(*, m, n)``.
    per_member : bool
        One :func:`torch.mm` per member (:func:`per_member_products`) instead of one
        :func:`torch.matmul` over the batch.
    """
    if not per_member or out.dim() == 2:
        mm = torch.mm if out.dim() == 2 else torch.matmul
        return lambda: mm(a, b, out=out)
    batch = out.shape[:-2]
    a, b = a.expand(*batch, *a.shape[-2:]), b.expand(*batch, *b.shape[-2:])
    members = [(a[i], b[i], out[i]) for i in np.ndindex(*batch)]

    def product() -> Tensor:
        for a_i, b_i, out_i in members:
            torch.mm(a_i, b_i, out=out_i)
        return out

    return product
