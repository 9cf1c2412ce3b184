"""gft._fourier.mse against the definition: the retry of a failed factorisation, and production settings."""

import math

import numpy as np
import pytest
import torch

import gft
from gft._fourier.mse import coefficients_from_solution, fourier_data, mse_backward, mse_forward
from gft.features import design_matrix
from gft.generator import Generator
from gft.objective import mean_squared_error

EPS64 = torch.finfo(torch.float64).eps


def _duplicated_problem(M=200, n_unique=5, d=2):
    g = torch.Generator().manual_seed(0)
    X = torch.rand(M, d, generator=g, dtype=torch.float64)
    y = torch.sin(2 * math.pi * X[:, 0]) + X[:, 1] ** 2
    W0 = torch.randn(n_unique, d, generator=g, dtype=torch.float64)
    return X, y, W0, torch.cat([W0, W0])  # every feature twice: S is singular at ridge 0


def test_a_failed_factorisation_is_retried_with_jitter_and_gives_the_least_squares_fit():
    """Duplicated features, ridge 0: the retry's fit is the complex least-squares fit (NumPy
    lstsq) on the distinct features."""
    X, y, W0, W = _duplicated_problem()
    Xs, ys = fourier_data(X, y)
    Phi = torch.exp(2j * math.pi * (X @ W.T).to(torch.complex128))
    assert torch.linalg.cholesky_ex(Phi.mH @ Phi).info.item() != 0  # the plain factorisation fails
    with pytest.warns(gft.RidgeSolveWarning, match="diagonal jitter"):
        mse, w, _ = mse_forward(Xs, W, ys, 0.0, defer_check=False)
    b = coefficients_from_solution(w, W).numpy()
    A0 = np.exp(2j * np.pi * X.numpy() @ W0.numpy().T)
    b0 = np.linalg.lstsq(A0, y.numpy().astype(complex), rcond=None)[0]
    fit = (A0 @ b0).real
    # the jitter (at most 1e-6 mean(diag S)) moves a well-conditioned fit by about that much
    np.testing.assert_allclose(float(mse), np.mean((fit - y.numpy()) ** 2), rtol=1e-6)
    # a feature and its copy act through the sum of their weights (A b = A0 (b_l + b_l+5) / N);
    # how the sum is split is set by the jitter against rounding and is not checked
    np.testing.assert_allclose((b[:5] + b[5:]) / 10, b0, rtol=1e-6, atol=1e-8)


def test_a_system_that_no_jitter_repairs_raises_ridge_solve_error():
    """NaN features: every retry fails, and the documented error is raised (not a LinAlgError)."""
    X, y, _, W = _duplicated_problem()
    W[3, 0] = float("nan")
    Xs, ys = fourier_data(X, y)
    with pytest.raises(gft.RidgeSolveError, match="not positive definite even in float64"):
        mse_forward(Xs, W, ys, 0.0, defer_check=False)


def test_fused_equals_generic_at_production_settings():
    """ridge 1e-7, N = 100 float32 features of an untrained 3x512 generator, M = 500, d = 5:
    value, b and gradient (through the MSE and through b) against ridge_solve + autograd."""
    g = torch.Generator().manual_seed(0)
    M, d, N, ridge = 500, 5, 100, 1e-7
    X = torch.rand(M, d, generator=g, dtype=torch.float64)
    y = 10 * torch.sin(math.pi * X[:, 0] * X[:, 1]) + 20 * (X[:, 2] - 0.5) ** 2 + 10 * X[:, 3] + 5 * X[:, 4]
    y = y / y.square().mean().sqrt()
    torch.manual_seed(0)
    with torch.no_grad():
        W32 = Generator(d, (512, 512, 512)).sample(N, generator=g)  # nearly equal features
    c = torch.randn(2, N, generator=g, dtype=torch.float64)  # a linear penalty on (Re b, Im b)
    Xs, ys = fourier_data(X, y)
    mse, w, ws = mse_forward(Xs, W32, ys, ridge)
    grad = mse_backward(ws, 1.0, c)
    b = coefficients_from_solution(w, W32)
    # the definition, in float64 as ReducedObjective runs it
    W64 = W32.to(torch.float64).requires_grad_(True)
    A = design_matrix(X, W64, "fourier")
    b_ref = gft.ridge_solve(A, y, ridge)
    mse_ref = mean_squared_error(A, b_ref, y)
    grad_ref, = torch.autograd.grad(mse_ref + (c[0] * b_ref.real + c[1] * b_ref.imag).sum(), W64)
    # Both paths solve S b = A^H y in float64, S = A^H A + ridge I, by different backward-stable
    # algorithms (a complex Cholesky of S; the fused one of N^2 S assembled from two real
    # products), so they may differ by about cond(S) eps64 relatively, here ~1e-8, and no more
    cond = float(torch.linalg.cond(A.detach().mH @ A.detach() + ridge * torch.eye(N)))
    tol = 10 * cond * EPS64
    assert 1e6 < cond < 1e10  # the ill-conditioned regime of the first training steps

    def rel(a, b):
        return float((a - b).norm() / b.norm())

    assert rel(mse.to(torch.float64), mse_ref.detach()) < tol
    assert rel(grad, grad_ref) < tol
    assert b.dtype == torch.complex64  # b has W's precision: compared to float32 rounding
    assert rel(b.to(torch.complex128), b_ref.detach()) < tol + 2 * torch.finfo(torch.float32).eps
