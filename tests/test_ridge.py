"""gft.ridge: values against lstsq, gradients against finite differences and a plain solve."""

import warnings

import numpy as np
import pytest
import torch

from conftest import central_difference_jacobian_check
from gft import RidgeSolveError, RidgeSolveWarning, ridge_solve

CASES = [  # (batch, M, N, K or None, complex)
    ((), 30, 8, None, False),
    ((), 30, 8, None, True),
    ((3,), 25, 6, 2, False),
    ((2, 3), 25, 6, 3, True),
    ((3,), 20, 7, None, True),
]


def _data(batch, M, N, K, cplx, dtype=torch.float64):
    g = torch.Generator().manual_seed(1)
    A = torch.randn(*batch, M, N, generator=g, dtype=dtype)
    if cplx:
        A = torch.complex(A, torch.randn(*batch, M, N, generator=g, dtype=dtype))
    y = torch.randn(*batch, M, *(() if K is None else (K,)), generator=g, dtype=dtype)
    return A, y


@pytest.mark.parametrize("batch,M,N,K,cplx", CASES)
@pytest.mark.parametrize("ridge", [1e-7, 0.3])
def test_values_match_lstsq_of_stacked_system(batch, M, N, K, cplx, ridge):
    A, y = _data(batch, M, N, K, cplx)
    b = ridge_solve(A, y, ridge)
    assert b.shape == (*batch, N, *(() if K is None else (K,)))
    An, yn, bn = A.numpy(), y.numpy(), b.numpy()
    for idx in np.ndindex(*batch):
        # min |A b - y|^2 + ridge |b|^2  <=>  lstsq of [A; sqrt(ridge) I] b = [y; 0]
        stacked = np.vstack([An[idx], np.sqrt(ridge) * np.eye(N)])
        rhs = yn[idx] if K is not None else yn[idx][:, None]
        rhs = np.vstack([rhs, np.zeros((N, rhs.shape[1]))])
        ref = np.linalg.lstsq(stacked, rhs, rcond=None)[0]
        np.testing.assert_allclose(bn[idx].reshape(ref.shape), ref, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("batch,M,N,K,cplx", CASES)
def test_gradient_matches_central_differences(batch, M, N, K, cplx):
    A, y = _data(batch, M, N, K, cplx)
    ridge = torch.tensor(0.05, dtype=torch.float64)
    weights = torch.randn(*batch, N, *(() if K is None else (K,)), dtype=torch.float64)

    def loss(A, y, ridge):  # a real scalar depending on real and imaginary parts of b
        b = ridge_solve(A, y, ridge)
        return (weights * b.real).sum() + (b.abs() ** 2).sum() if b.is_complex() else (weights * b).sum() + (b**2).sum()

    err = central_difference_jacobian_check(loss, [A, y, ridge])
    assert err <= 1e-6, err


@pytest.mark.parametrize("cplx", [False, True])
def test_reduced_loss_gradient_equals_autograd_through_plain_solve(cplx):
    A, y = _data((), 40, 10, None, cplx)
    A.requires_grad_(True)
    ridge = 1e-3

    def reduced(b):
        pred = A @ b
        return ((pred.real if cplx else pred) - y).square().mean()

    g_ours, = torch.autograd.grad(reduced(ridge_solve(A, y, ridge)), A)
    S = A.mH @ A + ridge * torch.eye(10, dtype=A.dtype)
    b_plain = torch.linalg.solve(S, A.mH @ y.to(A.dtype))
    g_plain, = torch.autograd.grad(reduced(b_plain), A)
    torch.testing.assert_close(g_ours, g_plain, rtol=1e-9, atol=1e-12)


def test_float32_works_and_matches_float64():
    A, y = _data((4,), 50, 10, None, True)
    b64 = ridge_solve(A, y, 1e-2)
    b32 = ridge_solve(A.to(torch.complex64), y.float(), 1e-2)
    assert b32.dtype == torch.complex64
    torch.testing.assert_close(b32.to(torch.complex128), b64, rtol=1e-4, atol=1e-5)


def test_broadcast_y_over_batched_A_gets_summed_gradient():
    A, _ = _data((3,), 20, 5, None, False)
    y = torch.randn(20, dtype=torch.float64, requires_grad=True)
    b = ridge_solve(A, y, 0.1)
    assert b.shape == (3, 5)
    g, = torch.autograd.grad(b.sum(), y)
    g_ref = sum(torch.autograd.grad(ridge_solve(A[i], y, 0.1).sum(), y)[0] for i in range(3))
    torch.testing.assert_close(g, g_ref)


def test_singular_float32_system_retries_with_warning_and_no_nan():
    # Identical columns: A^H A is rank one, and 1e-12 is far below float32 rounding.
    x = torch.linspace(0, 1, 50)
    A = torch.stack([torch.cos(x)] * 6, dim=-1)
    with pytest.warns(RidgeSolveWarning, match="redone in float64"):
        b = ridge_solve(A, torch.sin(x), 1e-12)
    assert torch.isfinite(b).all()
    assert b.dtype == torch.float32
    # the fit A b = c sum(b) is the projection of y on the column c (b itself is not determined):
    # sum(b) = <c, y> / |c|^2
    c, y = torch.cos(x).double(), torch.sin(x).double()
    assert float(b.sum()) == pytest.approx(float(c @ y / (c @ c)), rel=1e-5)


def test_nan_design_matrix_raises_clear_error():
    A, y = _data((), 20, 4, None, False)
    A[3, 1] = float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RidgeSolveWarning)
        with pytest.raises(RidgeSolveError, match="NaN or inf"):
            ridge_solve(A, y, 1e-7)


def test_negative_or_nan_ridge_raises():
    # a small negative ridge can leave A^H A + ridge*I positive definite: without the check
    # the solve returned finite, meaningless coefficients and said nothing
    A, y = _data((), 20, 4, None, False)
    for bad in (-1e-3, float("nan")):
        with pytest.raises(ValueError, match="ridge must be >= 0"):
            ridge_solve(A, y, bad)
    assert torch.isfinite(ridge_solve(A, y, 0.0)).all()  # zero is allowed


def test_shape_errors():
    A, y = _data((), 20, 4, None, False)
    with pytest.raises(ValueError, match="rows like A"):
        ridge_solve(A, y[:-1], 0.1)
    with pytest.raises(ValueError, match=r"shape \(\*, M, P\)"):
        ridge_solve(y, y, 0.1)


def _lstsq_ridge(A: np.ndarray, Y: np.ndarray, ridge: float) -> np.ndarray:
    """min |A b - Y|^2 + ridge |b|^2 by lstsq of the stacked system [A; sqrt(ridge) I]."""
    N = A.shape[-1]
    stacked = np.vstack([A, np.sqrt(ridge) * np.eye(N)])
    return np.linalg.lstsq(stacked, np.vstack([Y, np.zeros((N, Y.shape[1]))]), rcond=None)[0]


@pytest.mark.parametrize("K", [4, 5])  # K == M: a square y is M columns, not M batch entries
def test_columns_broadcast_over_batched_A(K):
    A, _ = _data((3,), 5, 2, None, False)
    Y = torch.randn(5, K, dtype=torch.float64)
    b = ridge_solve(A, Y, 0.1)
    assert b.shape == (3, 2, K)
    for i in range(3):
        np.testing.assert_allclose(b[i].numpy(), _lstsq_ridge(A[i].numpy(), Y.numpy(), 0.1), rtol=1e-10)


def test_a_batch_of_columns_broadcasts_against_A():
    A, _ = _data((3, 1), 6, 2, None, False)  # batch (3, 1)
    y = torch.randn(4, 6, dtype=torch.float64)  # four vectors: batch (4,)
    b = ridge_solve(A, y, 0.1)
    assert b.shape == (3, 4, 2)
    for i in range(3):
        for j in range(4):
            ref = _lstsq_ridge(A[i, 0].numpy(), y[j].numpy()[:, None], 0.1)[:, 0]
            np.testing.assert_allclose(b[i, j].numpy(), ref, rtol=1e-10)


def test_batch_shapes_that_do_not_broadcast_are_named():
    A, _ = _data((3,), 6, 2, None, False)
    with pytest.raises(ValueError, match=r"batch dimensions of A \(3,\) and y \(4,\) do not broadcast"):
        ridge_solve(A, torch.randn(4, 6, dtype=torch.float64), 0.1)
