"""gft.regularizers and the fused kernels: TV from the closed form equals the double-backward value."""

import pytest
import torch

from conftest import central_difference_jacobian_check
from gft.features import ACTIVATIONS, design_matrix, predict_from_features
from gft._fourier.mse import fourier_reduced_mse
from gft._fourier.tv import fourier_tv
from gft.objective import mean_squared_error
from gft.regularizers import sample_box, tv_penalty
from gft.ridge import ridge_solve

NAMES = sorted(ACTIVATIONS)


def _model(name, d=3, N=6, batch=()):
    act = ACTIVATIONS[name]
    W = torch.randn(*batch, N, act.feature_dim(d), dtype=torch.float64)
    P = act.n_columns(N)
    b = torch.randn(*batch, P, dtype=torch.complex128 if act.complex else torch.float64)
    return W, b


def _tv_double_backward(W, b, points, name):
    """Reference: the input gradient by autograd with create_graph (what the paper's code does)."""
    x = points.clone().requires_grad_(True)
    f = predict_from_features(x, W, b, name)
    g, = torch.autograd.grad(f.sum(), x, create_graph=True)
    return g.abs().sum(-1).mean(-1)


@pytest.mark.parametrize("name", NAMES)
def test_tv_equals_double_backward_value_and_gradient(name):
    W, b = _model(name)
    W.requires_grad_(True)
    b.requires_grad_(True)
    points = torch.rand(50, 3, dtype=torch.float64)
    ours = tv_penalty(W, b, points, name)
    ref = _tv_double_backward(W, b, points, name)
    torch.testing.assert_close(ours, ref)
    g_ours = torch.autograd.grad(ours, (W, b))
    g_ref = torch.autograd.grad(ref, (W, b))
    for a, r in zip(g_ours, g_ref):
        torch.testing.assert_close(a, r)


@pytest.mark.parametrize("name", NAMES)
def test_tv_of_a_function_constant_in_x_is_exactly_zero(name):
    """Zero input weights (any bias, any b) make f constant in x, so its TV is exactly 0."""
    W, b = _model(name)
    W[:, :3] = 0.0
    points = torch.rand(40, 3, dtype=torch.float64)
    f = predict_from_features(points, W, b, name)
    assert torch.equal(f, f[:1].expand_as(f))  # constant indeed
    assert tv_penalty(W, b, points, name).item() == 0.0


@pytest.mark.parametrize("name", NAMES)
def test_tv_in_one_dimension_is_the_variation_of_f_on_a_grid(name):
    """d = 1, points on the midpoint grid of [0, 1]: TV = int |f'| = sum |f(x_i+1) - f(x_i)|, from f alone."""
    W, b = _model(name, d=1, N=4)
    n = 20_000
    grid = torch.linspace(0.0, 1.0, n + 1, dtype=torch.float64)[:, None]
    f = predict_from_features(grid, W, b, name)
    variation = (f[1:] - f[:-1]).abs().sum()
    tv = tv_penalty(W, b, (grid[:-1] + grid[1:]) / 2, name)
    # the midpoint rule errs by O(1/n) where f' changes sign or jumps (ReLU), O(1/n^2) elsewhere
    torch.testing.assert_close(tv, variation, rtol=1e-3, atol=0)


def test_sample_box_stays_in_box_and_is_seeded():
    low = torch.tensor([0.0, -1.0], dtype=torch.float64)
    high = torch.tensor([1.0, 2.0], dtype=torch.float64)
    p1 = sample_box(low, high, 500, torch.Generator().manual_seed(3))
    p2 = sample_box(low, high, 500, torch.Generator().manual_seed(3))
    assert torch.equal(p1, p2)
    assert (p1 >= low).all() and (p1 <= high).all()
    assert p1.shape == (500, 2)
    out = torch.empty(500, 3, dtype=torch.float64)[:, :2]  # a strided view, as the TV workspace has
    p3 = sample_box(low, high, 500, torch.Generator().manual_seed(3), out=out)
    assert p3 is out and torch.equal(out, p1)  # the same draws written in place


@pytest.mark.parametrize("batch", [(), (3,)])
@pytest.mark.parametrize("d", [3, 10])  # the contracted backward (d <= 8) and the elementwise one
def test_fused_fourier_tv_matches_generic(batch, d):
    W, b = _model("fourier", batch=batch, d=d)
    points = torch.rand(30, d, dtype=torch.float64)
    torch.testing.assert_close(fourier_tv(W, b, points), tv_penalty(W, b, points, "fourier"))
    err = central_difference_jacobian_check(lambda W, b: fourier_tv(W, b, points).sum(), [W, b])
    assert err <= 1e-6


@pytest.mark.parametrize("batch", [(), (2,)])
@pytest.mark.parametrize("tv", [0.0, 0.1])
def test_fused_fourier_reduced_loss_matches_generic_path(batch, tv):
    X = torch.rand(40, 3, dtype=torch.float64)
    y = torch.randn(40, dtype=torch.float64)
    W = torch.randn(*batch, 6, 3, dtype=torch.float64)
    points = torch.rand(25, 3, dtype=torch.float64)

    def fused(W):
        mse, b = fourier_reduced_mse(X, W, y, 1e-3)
        return (mse + tv * fourier_tv(W, b, points)).sum()

    def generic(W):
        A = design_matrix(X, W, "fourier")
        b = ridge_solve(A, y, 1e-3)
        return (mean_squared_error(A, b, y) + tv * tv_penalty(W, b, points, "fourier")).sum()

    W1 = W.clone().requires_grad_(True)
    W2 = W.clone().requires_grad_(True)
    v1, v2 = fused(W1), generic(W2)
    torch.testing.assert_close(v1, v2)
    torch.testing.assert_close(torch.autograd.grad(v1, W1)[0], torch.autograd.grad(v2, W2)[0])
    assert central_difference_jacobian_check(fused, [W]) <= 1e-6


def test_fused_float32_is_stable_for_nearly_identical_features():
    X = torch.rand(450, 5)
    y = torch.randn(450)
    W = (0.5 + 1e-4 * torch.randn(100, 5)).requires_grad_(True)  # an untrained generator's output
    mse, b = fourier_reduced_mse(X, W, y, 1e-7)
    mse.backward()
    assert torch.isfinite(mse) and torch.isfinite(b).all() and torch.isfinite(W.grad).all()
    # the fit (not b, which such features leave undetermined) is the float64 ridge fit's
    A = design_matrix(X.double(), W.detach().double())
    reference = mean_squared_error(A, ridge_solve(A, y.double(), 1e-7), y.double())
    assert float(mse.detach()) == pytest.approx(float(reference), rel=1e-6)
