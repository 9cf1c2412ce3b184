"""Tests of gft.theory: VarPro on the circle, the ultra-fast diffusion, distances, random features, Marchenko–Pastur."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.stats import vonmises
from sklearn.linear_model import Ridge

from gft import theory
from gft.theory import feature_learning as fl
from gft.theory import densities as circle
from gft.theory import varpro as vp


@pytest.fixture
def circle_problem():
    """A small teacher–student problem in float64: X (256, 2), y (256,), W (12, 2) on the circle."""
    rng = np.random.default_rng(0)
    X, y, _ = vp.make_teacher_student(n_samples=256, n_teacher=64, gamma=10.0, rng=rng)
    W = vp.angles_to_points(rng.uniform(-np.pi, np.pi, 12))
    return torch.as_tensor(X), torch.as_tensor(y), torch.as_tensor(W)


def test_star_import_exports_every_name():
    namespace: dict = {}
    exec("from gft.theory import *", namespace)
    assert set(theory.__all__) <= set(namespace)
    assert all(isinstance(name, str) for name in theory.__all__)


# -- VarPro -------------------------------------------------------------------------------


def test_teacher_density_integrates_to_one_and_has_two_bumps_of_mass_2_to_1():
    grid = vp.angle_grid(4096)
    dens = vp.teacher_density(grid, gamma=1e4)
    assert np.sum(dens) * 2 * np.pi / 4096 == pytest.approx(1.0, rel=1e-6)
    near_first = np.abs(grid) < 0.2 * np.pi
    near_second = np.abs(grid - 0.4 * np.pi) < 0.2 * np.pi
    mass = lambda mask: np.sum(dens[mask]) * 2 * np.pi / 4096
    assert mass(near_first) / mass(near_second) == pytest.approx(2.0, rel=0.1)


def test_teacher_samples_follow_the_density():
    rng = np.random.default_rng(1)
    theta = vp.sample_teacher_angles(200_000, gamma=30.0, rng=rng)
    edges = np.linspace(-np.pi, np.pi, 41)
    hist, _ = np.histogram(theta, bins=edges, density=True)
    fine = np.linspace(-np.pi, np.pi, 40 * 200 + 1)
    dens = vp.teacher_density(0.5 * (fine[1:] + fine[:-1]), gamma=30.0).reshape(40, 200).mean(1)
    np.testing.assert_allclose(hist, dens, atol=0.02, rtol=0.05)


def test_points_and_angles_round_trip():
    theta = np.linspace(-3.0, 3.0, 7)
    np.testing.assert_allclose(vp.points_to_angles(vp.angles_to_points(theta)), theta, atol=1e-12)


@pytest.mark.parametrize("unbiased", [True, False])
def test_output_weights_primal_equals_dual(circle_problem, unbiased):
    X, y, W = circle_problem
    F = torch.relu(X @ W.T)  # n = 256 > M = 12: primal system
    u = vp.output_weights(F, y, 1e-2, unbiased)
    # a problem with n < M takes the dual path: compare with an explicit primal solve
    Fs, ys = F[:8], y[:8]
    u_dual = vp.output_weights(Fs, ys, 1e-2, unbiased)
    n, M = Fs.shape
    c = 1.0 if unbiased else 0.0
    u_primal = torch.linalg.solve(Fs.T @ Fs / (n * M) + 1e-2 * torch.eye(M, dtype=F.dtype), Fs.T @ ys / n + 1e-2 * c)
    torch.testing.assert_close(u_dual, u_primal, rtol=1e-8, atol=1e-10)
    # first-order optimality of the objective in u
    f = F @ u / 12
    grad_u = F.T @ (f - y) / (1e-2 * 256 * 12) + (u - c) / 12
    assert float(grad_u.abs().max()) < 1e-10


@pytest.mark.parametrize("unbiased", [True, False])
def test_varpro_gradient_matches_finite_differences_of_reduced_objective(circle_problem, unbiased):
    X, y, W = circle_problem
    ridge = 1e-2
    grad, J = vp.varpro_gradient(W, X, y, ridge, unbiased)
    J_ref = vp.reduced_objective(W, X, y, ridge, unbiased)[0]
    assert float(J) == pytest.approx(float(J_ref))
    eps = 1e-6
    fd = torch.zeros_like(W)
    for j in range(W.shape[0]):
        for i in range(2):
            E = torch.zeros_like(W)
            E[j, i] = eps
            plus = vp.reduced_objective(W + E, X, y, ridge, unbiased)[0]
            minus = vp.reduced_objective(W - E, X, y, ridge, unbiased)[0]
            fd[j, i] = (plus - minus) / (2 * eps)
    torch.testing.assert_close(grad, fd, rtol=1e-5, atol=1e-7)


def test_varpro_gradient_matches_autograd_with_frozen_output_weights(circle_problem):
    X, y, W = circle_problem
    grad, _ = vp.varpro_gradient(W, X, y, 1e-2)
    Wr = W.clone().requires_grad_(True)
    F = torch.relu(X @ Wr.T)
    u = vp.output_weights(F.detach(), y, 1e-2)
    J = 0.5 * (F @ u / 12 - y).square().mean() / 1e-2 + 0.5 * (u - 1).square().mean()
    (auto,) = torch.autograd.grad(J, Wr)
    torch.testing.assert_close(grad, auto)


def test_varpro_decreases_the_objective_and_keeps_particles_on_the_circle(circle_problem):
    X, y, W = circle_problem
    traj = vp.run_varpro(W, X, y, ridge=1e-2, step=2**-6, t_max=0.5, record_every=8)
    assert traj.angles.shape == (len(traj.times), 12)
    assert traj.times[-1] == pytest.approx(0.5)
    assert np.all(np.diff(traj.objective) <= 1e-12)
    assert traj.objective[-1] < 0.9 * traj.objective[0]


def test_joint_gd_from_ridge_optimum_starts_at_the_varpro_objective(circle_problem):
    X, y, W = circle_problem
    J, u, _ = vp.reduced_objective(W, X, y, 1e-2)
    traj = vp.run_joint_gd(W, u, X, y, ridge=1e-2, step=2**-9, t_max=0.25, record_every=16)
    assert traj.objective[0] == pytest.approx(float(J))
    assert traj.objective[-1] < traj.objective[0]


@pytest.mark.parametrize("factor", [0.95, 1.05])
def test_joint_gd_is_stable_below_the_linearised_step_bound_and_diverges_above(circle_problem, factor):
    """The docstring's bound h < 2 lambda / (|K| + lambda), K = F^T F / (n M), from the
    eigenvalues of the frozen-feature iteration on u: 5 % on either side decides."""
    X, y, W = circle_problem
    ridge = 1e-2
    F = torch.relu(X @ W.T)
    K = F.T @ F / F.numel()
    bound = 2 * ridge / (float(torch.linalg.eigvalsh(K).max()) + ridge)
    _, u, _ = vp.reduced_objective(W, X, y, ridge)
    traj = vp.run_joint_gd(W, u + 0.01, X, y, ridge, step=factor * bound, t_max=200 * bound, record_every=50)
    if factor < 1:
        assert traj.objective[-1] < 1e-2 * traj.objective[0]
    else:
        assert not traj.objective[-1] < 1e3 * traj.objective[0]  # grown, or overflowed to inf/NaN


def test_run_varpro_rejects_a_nonpositive_step(circle_problem):
    X, y, W = circle_problem
    with pytest.raises(ValueError, match="step > 0"):
        vp.run_varpro(W, X, y, ridge=1e-2, step=0.0, t_max=1.0)


def test_ultrafast_diffusion_conserves_mass_and_converges_to_the_target():
    grid = vp.angle_grid(128)
    target = vp.teacher_density(grid, gamma=10.0)
    times = np.array([0.0, 0.5, 2.0, 10.0])
    nu = circle.solve_ultrafast_diffusion(target, times)
    dx = 2 * np.pi / 128
    np.testing.assert_allclose(nu.sum(1) * dx, 1.0, rtol=1e-9)
    l1 = np.abs(nu - target).sum(1) * dx
    assert np.all(np.diff(l1) < 0)
    assert l1[-1] < 1e-2 * l1[0]


@pytest.mark.parametrize("k", [1, 2, 3])
def test_ultrafast_diffusion_damps_a_small_mode_at_the_discrete_laplacian_rate(k):
    """Linearised at a uniform target c, ν = c(1 + ε) gives ε_t = ε_θθ (the ½ and the square
    cancel): the mode cos kθ decays at the scheme's Laplacian eigenvalue (2 sin(kΔ/2)/Δ)²,
    which differs from k² by 0.08 % (k = 1) to 0.7 % (k = 3) on this grid."""
    G = 64
    grid, dx, c = vp.angle_grid(G), 2 * np.pi / G, 1 / (2 * np.pi)
    rate = (2 * np.sin(k * dx / 2) / dx) ** 2
    t = 2 / rate
    nu = circle.solve_ultrafast_diffusion(np.full(G, c), np.array([0.0, t]),
                                          initial=c * (1 + 1e-3 * np.cos(k * grid)), rtol=1e-10, atol=1e-14)
    amplitude = (nu / c - 1) @ np.cos(k * grid) * dx / np.pi
    assert amplitude[0] == pytest.approx(1e-3, rel=1e-10)
    assert -np.log(amplitude[1] / amplitude[0]) / t == pytest.approx(rate, rel=1e-5)


def test_ultrafast_diffusion_keeps_the_target_stationary():
    grid = vp.angle_grid(64)
    target = vp.teacher_density(grid, gamma=10.0)
    nu = circle.solve_ultrafast_diffusion(target, np.array([0.0, 1.0]), initial=target)
    np.testing.assert_allclose(nu[-1], target, rtol=1e-8)


def test_ultrafast_diffusion_rejects_a_vanishing_density():
    target = np.ones(16) / (2 * np.pi)
    with pytest.raises(ValueError, match="positive"):
        circle.solve_ultrafast_diffusion(target, np.array([0.0, 1.0]), initial=np.zeros(16))


def test_energy_distance_of_identical_samples_is_zero_and_it_is_symmetric():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((50, 2)), rng.standard_normal((70, 2)) + 1.0
    assert circle.energy_distance(x, x) == pytest.approx(0.0, abs=1e-7)
    assert circle.energy_distance(x, y) == pytest.approx(circle.energy_distance(y, x))
    assert circle.energy_distance(x, y) > 0.5
    # weights: a point cloud equals its own duplicate-with-half-weights
    doubled = np.concatenate([x, x])
    assert circle.energy_distance(x, doubled, y_weights=np.full(100, 0.01)) == pytest.approx(0.0, abs=1e-7)


def test_energy_distance_between_two_diracs_is_known():
    # E^2 = 2|a-b| for two single points
    assert circle.energy_distance(np.zeros((1, 2)), np.array([[3.0, 4.0]])) == pytest.approx(math.sqrt(10.0))


def test_circular_kde_integrates_to_one_and_is_periodic():
    grid = vp.angle_grid(512)
    dens = circle.circular_kde(np.array([np.pi - 0.01, -2.0]), grid, bandwidth=0.2)
    assert np.sum(dens) * 2 * np.pi / 512 == pytest.approx(1.0, rel=1e-6)
    # mass near +π wraps around to -π
    assert dens[0] > 0.5 * dens[-1]
    # the mean of von Mises densities with κ = 1 / bandwidth², as SciPy writes them
    expected = np.mean([vonmises.pdf(grid, 1 / 0.2**2, loc=t) for t in (np.pi - 0.01, -2.0)], axis=0)
    np.testing.assert_allclose(dens, expected, rtol=1e-10, atol=1e-14)


# -- random features and feature learning ------------------------------------------------


def test_marchenko_pastur_edge_matches_a_large_random_matrix():
    rng = np.random.default_rng(3)
    p, q, var = 600, 1500, 0.25
    s = np.linalg.svd(rng.standard_normal((p, q)) * math.sqrt(var), compute_uv=False)
    lo, hi = fl.marchenko_pastur_edges(p, q, var)
    assert s.max() == pytest.approx(hi, rel=0.02)
    assert s.min() == pytest.approx(lo, rel=0.05)


def test_marchenko_pastur_density_matches_histogram_and_integrates_to_one():
    rng = np.random.default_rng(4)
    p, q = 800, 1600
    s = np.linalg.svd(rng.standard_normal((p, q)), compute_uv=False)
    grid = np.linspace(0, 80, 40001)
    dens = fl.marchenko_pastur_singular_density(grid, p, q)
    assert np.trapezoid(dens, grid) == pytest.approx(1.0, rel=1e-3)
    edges = np.linspace(s.min(), s.max(), 11)
    hist, _ = np.histogram(s, bins=edges, density=True)
    mids = 0.5 * (edges[1:] + edges[:-1])
    np.testing.assert_allclose(hist[1:-1], fl.marchenko_pastur_singular_density(mids, p, q)[1:-1], rtol=0.1)


@pytest.mark.parametrize("shape", [(80, 30), (30, 80)])
@pytest.mark.parametrize("ridge", [1e-3, 0.1])
def test_ridge_fit_matches_sklearn(shape, ridge):
    rng = np.random.default_rng(5)
    F, y = rng.standard_normal(shape), rng.standard_normal(shape[0])
    ref = Ridge(alpha=shape[0] * ridge, fit_intercept=False, solver="svd").fit(F, y).coef_
    np.testing.assert_allclose(fl.ridge_fit(F, y, ridge), ref, rtol=1e-8, atol=1e-10)


def test_ridge_fit_without_ridge_is_the_minimum_norm_solution():
    rng = np.random.default_rng(6)
    F, y = rng.standard_normal((20, 50)), rng.standard_normal(20)
    a = fl.ridge_fit(F, y, 0.0)
    np.testing.assert_allclose(F @ a, y, atol=1e-10)
    np.testing.assert_allclose(a, np.linalg.pinv(F) @ y, atol=1e-10)
    with pytest.raises(ValueError, match="ridge must be >= 0"):
        fl.ridge_fit(F, y, -1.0)


def test_ridge_path_predictions_match_ridge_fit():
    rng = np.random.default_rng(7)
    F, y, Ft = rng.standard_normal((40, 60)), rng.standard_normal(40), rng.standard_normal((9, 60))
    ridges = [0.0, 1e-4, 1e-1]
    path = fl.ridge_path_predictions(F, y, Ft, ridges)
    for lam, pred in zip(ridges, path):
        np.testing.assert_allclose(pred, Ft @ fl.ridge_fit(F, y, lam), rtol=1e-7, atol=1e-9)


def test_double_descent_peaks_at_interpolation_and_bias_variance_add_up():
    rng = np.random.default_rng(8)
    d, n = 20, 60
    beta = np.ones(d) / math.sqrt(d)
    X, Xt = rng.standard_normal((n, d)), rng.standard_normal((300, d))
    y = fl.single_index_target(X, beta) + 0.5 * rng.standard_normal(n)
    yt = fl.single_index_target(Xt, beta)
    res = fl.double_descent(X, y, Xt, yt, [10, 60, 600], [0.0, 1e-1], n_draws=3, rng=rng)
    assert res.test_mse.shape == (3, 2, 3)
    mse = res.test_mse.mean(-1)
    assert mse[1, 0] > 3 * max(mse[0, 0], mse[2, 0])  # min-norm peak at N = n
    assert mse[1, 1] < mse[1, 0] / 3  # a ridge removes it
    np.testing.assert_allclose(res.bias_sq + res.variance, mse, rtol=1e-10)


def test_first_layer_gradient_matches_finite_differences():
    rng = np.random.default_rng(9)
    N, d, n = 7, 5, 40
    W, a = fl.init_two_layer(N, d, rng)
    X = rng.standard_normal((n, d))
    y = fl.single_index_target(X, np.eye(d)[0])
    loss = lambda W_: 0.5 * np.mean((y - fl.network_output(X, W_, a, "tanh")) ** 2)
    G = fl.first_layer_gradient(X, y, W, a, "tanh")
    eps, fd = 1e-6, np.zeros_like(W)
    for idx in np.ndindex(*W.shape):
        E = np.zeros_like(W)
        E[idx] = eps
        fd[idx] = (loss(W + E) - loss(W - E)) / (2 * eps)
    np.testing.assert_allclose(G, -math.sqrt(N) * fd, rtol=1e-6, atol=1e-9)


def test_one_large_step_creates_an_outlier_aligned_with_the_target():
    rng = np.random.default_rng(10)
    N, d, n = 300, 150, 600
    beta = rng.standard_normal(d)
    beta /= np.linalg.norm(beta)
    W0, a = fl.init_two_layer(N, d, rng)
    X = rng.standard_normal((n, d))
    (W1,) = fl.gradient_steps(W0, a, [(X, fl.single_index_target(X, beta))], [10.0])
    edge = fl.marchenko_pastur_edges(N, d, 1 / d)[1]
    s0, _ = fl.singular_alignment(W0, beta, 2)
    s1, cos1 = fl.singular_alignment(W1, beta, 2)
    assert s0[0] < 1.05 * edge
    assert s1[0] > 1.5 * edge and s1[1] < 1.1 * edge
    assert cos1[0] > 0.7


def test_gradient_steps_needs_one_step_size_per_batch():
    with pytest.raises(ValueError, match="one step size per batch"):
        fl.gradient_steps(np.zeros((2, 2)), np.zeros(2), [(np.zeros((1, 2)), np.zeros(1))], [1.0, 2.0])


def test_unknown_activation_and_link_list_the_valid_names():
    with pytest.raises(ValueError, match=r"Must be one of \['relu', 'tanh'\]"):
        fl.random_features(np.zeros((2, 2)), np.zeros((3, 2)), "gelu")
    with pytest.raises(ValueError, match="Invalid link"):
        fl.single_index_target(np.zeros((2, 2)), np.zeros(2), "cubic")


def test_kernel_alignment_finds_a_planted_eigenvector():
    rng = np.random.default_rng(11)
    n = 50
    v = rng.standard_normal(n)
    v -= v.mean()
    v /= np.linalg.norm(v)
    K = 0.01 * np.eye(n) + 5.0 * np.outer(v, v)
    ev, align = fl.kernel_eigen_alignment(K, {"planted": v, "noise": rng.standard_normal(n)}, k=3)
    assert ev[0] == pytest.approx(5.01)
    assert align["planted"][0] == pytest.approx(1.0)
    assert align["noise"][0] < 0.5


def test_relu_feature_kernel_tends_to_the_arc_cosine_kernel():
    """Cho & Saul (2009): E relu(<w,x>) relu(<w,x'>) = |x||x'| (sin t + (pi - t) cos t) / (2 pi), w ~ N(0, I)."""
    rng = np.random.default_rng(12)
    X, W = rng.standard_normal((5, 3)), rng.standard_normal((400_000, 3))
    norms = np.linalg.norm(X, axis=1)
    t = np.arccos(np.clip(X @ X.T / np.outer(norms, norms), -1.0, 1.0))
    exact = np.outer(norms, norms) * (np.sin(t) + (np.pi - t) * np.cos(t)) / (2 * np.pi)
    # a mean over N = 4e5 draws: Monte-Carlo error of order 1/sqrt(N) ~ 2e-3 of the largest entry
    np.testing.assert_allclose(fl.feature_kernel(X, X, W), exact, rtol=0, atol=2e-2 * exact.max())


def test_circle_generator_trains_towards_the_teacher(circle_problem):
    from gft import Generator

    X, y, _ = circle_problem
    torch.manual_seed(0)
    gen = Generator(2, (16, 16)).double()
    rng = torch.Generator().manual_seed(0)
    W = vp.sample_circle_generator(gen, 50, rng)
    torch.testing.assert_close(W.norm(dim=1), torch.ones(50, dtype=W.dtype))
    losses = vp.train_circle_generator(gen, X, y, ridge=1e-2, n_particles=12, steps=150, lr=3e-3, rng=rng)
    assert losses.shape == (150,)
    assert np.all(np.isfinite(losses))
    assert losses[-20:].mean() < 0.5 * losses[:5].mean()


@pytest.mark.parametrize("ridge", [0.0, -1.0])
def test_a_nonpositive_ridge_is_rejected(circle_problem, ridge):
    X, y, W = circle_problem
    with pytest.raises(ValueError, match="ridge must be > 0"):
        vp.reduced_objective(W, X, y, ridge)
    with pytest.raises(ValueError, match="ridge must be > 0"):
        vp.run_joint_gd(W, torch.ones(12, dtype=W.dtype), X, y, ridge, step=0.1, t_max=0.1)
