"""gft.features: closed-form derivatives, the design matrix conventions, the Fourier equivalences."""

import math

import numpy as np
import pytest
import torch

from gft.features import (
    ACTIVATIONS,
    design_matrix,
    get_activation,
    input_gradient,
    predict_from_features,
)
from conftest import numpy_design

NAMES = sorted(ACTIVATIONS)


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_autograd(name):
    act = ACTIVATIONS[name]
    t = torch.linspace(-2.3, 2.1, 41, dtype=torch.float64).unsqueeze(-1).requires_grad_(True)
    phi = act.phi(t)
    dphi = act.dphi(t.detach())
    parts = [phi] if not phi.is_complex() else [phi.real, phi.imag]
    dparts = [dphi] if not dphi.is_complex() else [dphi.real, dphi.imag]
    for p, dp in zip(parts, dparts):
        for col in range(p.shape[-1]):
            g, = torch.autograd.grad(p[:, col].sum(), t, retain_graph=True)
            torch.testing.assert_close(g[:, 0], dp[:, col])


@pytest.mark.parametrize("name", NAMES)
def test_design_matrix_shape_scaling_and_bias(name):
    act = ACTIVATIONS[name]
    M, d, N = 7, 3, 5
    X = torch.rand(M, d, dtype=torch.float64)
    W = torch.randn(N, act.feature_dim(d), dtype=torch.float64)
    A = design_matrix(X, W, name)
    assert A.shape == (M, act.n_columns(N))
    # each Φ written out in NumPy (not the activation's own phi), the bias column 1/N included
    np.testing.assert_allclose(A.numpy(), numpy_design(X.numpy(), W.numpy(), name), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_batched_design_matrix_equals_loop(name):
    act = ACTIVATIONS[name]
    X = torch.rand(9, 2, dtype=torch.float64)
    W = torch.randn(3, 4, act.feature_dim(2), dtype=torch.float64)
    A = design_matrix(X, W, name)
    for i in range(3):
        torch.testing.assert_close(A[i], design_matrix(X, W[i], name))


@pytest.mark.parametrize("name", NAMES)
def test_input_gradient_matches_autograd(name):
    act = ACTIVATIONS[name]
    d, N = 3, 6
    X = torch.rand(11, d, dtype=torch.float64, requires_grad=True)
    W = torch.randn(N, act.feature_dim(d), dtype=torch.float64)
    P = act.n_columns(N)
    b = torch.randn(P, dtype=torch.complex128) if act.complex else torch.randn(P, dtype=torch.float64)
    f = predict_from_features(X, W, b, name)
    g, = torch.autograd.grad(f.sum(), X)
    torch.testing.assert_close(input_gradient(X.detach(), W, b, name), g)


def test_complex_fourier_and_real_cos_sin_models_are_the_same_function_class():
    """Re(sum b_l e^{2πi t_l}) / N = sum (α_l cos 2πt_l + β_l sin 2πt_l) / N with b = α - iβ."""
    X = torch.rand(20, 2, dtype=torch.float64)
    W = torch.randn(5, 2, dtype=torch.float64)
    b = torch.randn(5, dtype=torch.complex128)
    coef_real = torch.cat([b.real, -b.imag])  # complex -> real map
    torch.testing.assert_close(
        predict_from_features(X, W, b, "fourier"), predict_from_features(X, W, coef_real, "fourier-real")
    )
    alpha, beta = torch.randn(5, dtype=torch.float64), torch.randn(5, dtype=torch.float64)
    b_back = torch.complex(alpha, -beta)  # real -> complex map
    torch.testing.assert_close(
        predict_from_features(X, W, torch.cat([alpha, beta]), "fourier-real"),
        predict_from_features(X, W, b_back, "fourier"),
    )


def test_fourier_columns_are_exp_2_pi_i_t():
    X = torch.tensor([[0.25, 0.0]], dtype=torch.float64)
    W = torch.tensor([[1.0, 3.0]], dtype=torch.float64)
    A = design_matrix(X, W, "fourier")
    torch.testing.assert_close(A, torch.tensor([[complex(math.cos(math.pi / 2), 1.0)]], dtype=torch.complex128))


def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match=r"Invalid activation 'tanh'. Must be one of \['cosine', 'fourier'"):
        get_activation("tanh")
