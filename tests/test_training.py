"""gft.generator, gft.objective, gft.training: gradients reach the generator, best iterate, failures."""

import math

import numpy as np
import pytest
import torch

import gft
from gft.generator import Generator
from gft.objective import ReducedObjective
from gft.training import (
    DirectFeatures,
    GeneratorFeatures,
    TrainingDivergedError,
    optimise,
)
from conftest import numpy_design


def _objective(activation="fourier", tv=1e-3, d=2, M=60):
    g = torch.Generator().manual_seed(0)
    X = torch.rand(M, d, generator=g, dtype=torch.float64)
    y = torch.sin(2 * math.pi * X[:, 0]) + X[:, 1] ** 2
    return ReducedObjective(X[:50], y[:50], activation, 1e-6, tv, 64, X[50:], y[50:])


@pytest.mark.parametrize("activation", ["fourier", "sigmoid", "fourier-real"])
@pytest.mark.parametrize("tv", [0.0, 1e-2])
def test_every_generator_parameter_receives_a_gradient(activation, tv):
    obj = _objective(activation, tv)
    D = obj.activation.feature_dim(2)
    G = Generator(D, (16, 16)).double()
    W = G.sample(10, generator=torch.Generator().manual_seed(1))
    loss, mse, tvv = obj(W, torch.Generator().manual_seed(2))
    loss.backward()
    for name, p in G.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name
    assert (tvv > 0) == (tv > 0)


def test_generator_shapes_and_widths():
    G = Generator(3, (8, 5, 4))
    widths = [m.out_features for m in G.net if isinstance(m, torch.nn.Linear)]
    assert widths == [8, 5, 4, 3]
    assert G.sample(7, 2).shape == (2, 7, 3)


def test_optimise_keeps_best_validation_iterate_and_records_history():
    obj = _objective(tv=0.0)
    G = Generator(2, (16, 16)).double()
    rng = torch.Generator().manual_seed(0)
    params = GeneratorFeatures(G, 10, 3, rng)
    hist = optimise(params, obj, steps=60, lr=3e-3, val_every=10, rng=rng, progress=False)
    assert hist.train_loss.shape == (60,)
    np.testing.assert_array_equal(hist.val_steps, [0, 10, 20, 30, 40, 50, 60])
    assert hist.best_val_mse == hist.val_mse.min()
    assert hist.best_step == hist.val_steps[hist.val_mse.argmin()]
    # the restored generator is the best one: re-validating gives the recorded best value
    again = float(obj.validation_mse(params.val_features()).mean())
    assert again == pytest.approx(hist.best_val_mse, rel=1e-12)


def test_nan_parameters_stop_the_default_engine_with_the_step_and_restore_best():
    """The callback poisons the features after step 7: step 8's loss is NaN."""
    obj = _objective(tv=0.0)
    W0 = torch.randn(8, 2, dtype=torch.float64)
    params = DirectFeatures(W0)

    def poison(step, loss):
        if step == 7:
            params.W.data.fill_(float("nan"))

    with pytest.raises(TrainingDivergedError, match=r"at step 8 \(lr=0.01\).*smaller learning rate"):
        optimise(params, obj, steps=30, lr=1e-2, val_every=5, progress=False, callback=poison)
    # restored: the better of the iterates validated at steps 0 and 5, as a clean 5-step run keeps
    clean = DirectFeatures(W0)
    optimise(clean, obj, steps=5, lr=1e-2, val_every=5, progress=False)
    torch.testing.assert_close(params.W, clean.W, rtol=0, atol=0)


def test_keyboard_interrupt_from_the_callback_keeps_best_iterate_and_warns():
    obj = _objective(tv=0.0)
    params = DirectFeatures(torch.randn(8, 2, dtype=torch.float64))
    seen = []

    def interrupt(step, loss):
        seen.append(step)
        if step == 11:
            raise KeyboardInterrupt

    with pytest.warns(gft.TrainingInterruptedWarning, match="interrupted at step 11"):
        hist = optimise(params, obj, steps=50, lr=1e-2, val_every=5, progress=False, callback=interrupt)
    assert hist.interrupted and hist.engine == "fused"
    assert seen == list(range(12)) and len(hist.train_loss) == 11
    # validations ran at steps 0, 5, 10; the kept features are the best of them
    assert list(hist.val_steps) == [0, 5, 10]
    assert float(obj.validation_mse(params.W)) == pytest.approx(hist.val_mse.min(), rel=1e-12)


@pytest.mark.parametrize("activation", ["fourier", "fourier-real", "sigmoid"])
def test_validation_mse_is_a_ridge_fit_on_the_training_rows_scored_on_the_validation_rows(activation):
    """NumPy: b by lstsq of [A; sqrt(δ) I] b = [y; 0] on the 50 training rows, then the MSE of
    Re(A_val b) on the 10 validation rows; for a batch of 4 feature sets at once."""
    obj = _objective(activation, tv=0.0)
    D = obj.activation.feature_dim(2)
    W = torch.randn(4, 8, D, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    batched = obj.validation_mse(W)
    assert batched.shape == (4,)
    X_tr, y_tr = obj.X.numpy(), obj.y.numpy()
    X_val, y_val = obj.X_val.numpy(), obj.y_val.numpy()
    for i in range(4):
        A = numpy_design(X_tr, W[i].numpy(), activation)
        P = A.shape[1]
        b = np.linalg.lstsq(np.vstack([A, np.sqrt(1e-6) * np.eye(P)]), np.concatenate([y_tr, np.zeros(P)]),
                            rcond=None)[0]
        expected = np.mean(((numpy_design(X_val, W[i].numpy(), activation) @ b).real - y_val) ** 2)
        assert float(batched[i]) == pytest.approx(expected, rel=1e-8)
