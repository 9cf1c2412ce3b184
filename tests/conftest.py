"""Shared fixtures: deterministic torch, float64 helpers, the folder of the real data files."""

import contextlib
import os
from pathlib import Path

import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    np.random.seed(0)


@contextlib.contextmanager
def intra_op_threads(n):
    """Run with ``n`` torch intra-op threads, then restore the previous count."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def central_difference_jacobian_check(f, inputs, n_directions=4, eps=1e-6, seed=0):
    """Largest relative error between autograd and central differences of ``f`` along random directions.

    ``f`` maps the tensors ``inputs`` to a real scalar. For complex inputs the direction has
    random real and imaginary parts, matching PyTorch's convention that the gradient of a real
    loss is dL/dRe + i dL/dIm (so dL = Re <grad, dz>).
    """
    gen = torch.Generator().manual_seed(seed)
    inputs = [x.detach().clone().requires_grad_(True) for x in inputs]
    grads = torch.autograd.grad(f(*inputs), inputs)
    worst = 0.0
    for _ in range(n_directions):
        dirs = []
        for x in inputs:
            dr = torch.randn(x.shape, generator=gen, dtype=x.real.dtype)
            if x.is_complex():
                dr = torch.complex(dr, torch.randn(x.shape, generator=gen, dtype=x.real.dtype))
            dirs.append(dr)
        with torch.no_grad():
            plus = f(*[x + eps * d for x, d in zip(inputs, dirs)])
            minus = f(*[x - eps * d for x, d in zip(inputs, dirs)])
        fd = float((plus - minus) / (2 * eps))
        ad = float(sum((torch.conj(g) * d).real.sum() for g, d in zip(grads, dirs)))
        worst = max(worst, abs(fd - ad) / max(abs(ad), 1e-12))
    return worst


#: The files of the real data sets (``gft.datasets.UCI_DATASETS``; listed here so that this
#: module does not import gft).
UCI_FILES = ("airfoil.txt", "ccpp.mat", "lrgReg.mat", "propulsion.txt", "skillcraft.txt",
             "telemonitoring.txt")


def uci_data_dir() -> tuple[Path | None, str]:
    """``($GFT_DATA_DIR, "")`` when that folder holds every file of :data:`UCI_FILES`, else
    ``(None, why)``: the tests that read real data skip with that reason."""
    value = os.environ.get("GFT_DATA_DIR", "")
    if not value:
        return None, ("GFT_DATA_DIR is not set: point it at a folder with the UCI files "
                      "(make test sets it to ../shared/datasets where that folder exists)")
    folder = Path(value).expanduser()
    missing = [name for name in UCI_FILES if not (folder / name).is_file()]
    if missing:
        return None, f"GFT_DATA_DIR={folder} lacks the UCI files {missing}"
    return folder, ""


def numpy_design(X, W, activation="fourier"):
    """The design matrix in NumPy, independent of gft: Φ(<w_l, x_k>) / N, with the constant
    column 1/N of the activations with an input bias (the last coordinate of w_l)."""
    N = W.shape[0]
    if activation == "fourier":
        return np.exp(2j * np.pi * X @ W.T) / N
    if activation == "fourier-real":
        s = 2 * np.pi * X @ W.T
        return np.hstack([np.cos(s), np.sin(s)]) / N
    t = X @ W[:, :-1].T + W[:, -1]
    phi = {"sigmoid": lambda t: 1 / (1 + np.exp(-t)), "relu": lambda t: np.maximum(t, 0),
           "cosine": lambda t: np.cos(np.pi * t)}[activation]
    return np.hstack([phi(t), np.ones((len(X), 1))]) / N


def smoke(**kw):
    """A ``GFTRegressor`` at the ``smoke`` preset, quiet and seeded (overrides in ``kw``)."""
    from gft import GFTRegressor

    return GFTRegressor.from_preset("smoke", **{"progress": False, "random_state": 0, **kw})


@pytest.fixture(scope="module")
def data():
    """80 points of ``sin(2 pi x_1) + x_2`` on the unit square."""
    rng = np.random.default_rng(0)
    X = rng.random((80, 2))
    return X, np.sin(2 * np.pi * X[:, 0]) + X[:, 1]
