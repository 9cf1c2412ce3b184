"""GFTRegressor and gft.optimise against independent computations: NumPy formulas, clean reruns, real invariants."""

import math
import pickle

import numpy as np
import pytest
import torch

import gft
from gft.estimators import _PREDICT_CHUNK
from gft.generator import Generator
from gft.objective import ReducedObjective
from gft.training import LatentFeatures, optimise
from conftest import numpy_design, smoke


@pytest.fixture(scope="module")
def fitted(data):
    return smoke().fit(*data)


def network(X, W, b, y_scale):
    """The Fourier network in float64 NumPy: y_scale * Re(sum_l b_l exp(2 pi i <w_l, x>)) / N."""
    return y_scale * (numpy_design(X, W, "fourier") @ b).real


def test_predict_is_the_network_formula_across_chunks(fitted):
    """20 000 rows (chunks of 8192 and a partial one) agree with slices and with the NumPy formula."""
    assert 2 * _PREDICT_CHUNK < 20_000 < 3 * _PREDICT_CHUNK
    X = np.random.default_rng(1).random((20_000, 2)) * 1.2 - 0.1  # beyond the training box too
    pred = fitted.predict(X)
    slices = np.concatenate([fitted.predict(X[i : i + 3000]) for i in range(0, 20_000, 3000)])
    np.testing.assert_allclose(pred, slices, rtol=1e-13, atol=1e-13)
    ref = network(X, fitted.features_, fitted.coef_, fitted.y_scale_)
    np.testing.assert_allclose(pred, ref, rtol=1e-10, atol=1e-10)  # float64 sums in another order


def test_predict_generator_is_a_ridge_fit_of_a_fresh_draw_on_the_training_rows(fitted, data):
    """NumPy: y / rms(y) on the first 90 % of the rows, b by lstsq of [A; sqrt(ridge) I] b = [y; 0]."""
    X, y = data
    W = fitted.sample_features(random_state=1)
    n_train = 80 - math.ceil(0.1 * 80)
    rms = np.sqrt(np.mean(y**2))
    N = W.shape[0]
    A = np.exp(2j * np.pi * X[:n_train] @ W.T) / N
    stacked = np.vstack([A, np.sqrt(fitted.ridge) * np.eye(N)])
    b = np.linalg.lstsq(stacked, np.concatenate([y[:n_train] / rms, np.zeros(N)]), rcond=None)[0]
    pred = fitted.predict_generator(X, random_state=1)
    # S = A^H A + ridge I has a condition number near 1e7 here (N = 100 > 72 rows): a Cholesky
    # solve and a QR least-squares agree to about cond(S) eps = 1e-9
    np.testing.assert_allclose(pred, network(X, W, b, rms), rtol=1e-9, atol=1e-9)
    assert not np.allclose(pred, fitted.predict_generator(X, random_state=2))  # a fresh draw


def test_ctrl_c_keeps_the_generator_a_clean_run_to_the_last_validation_keeps(data):
    """Interrupted at step 14 (validated at 0 and 10): the same generator as a clean 10-step fit."""
    X, y = data

    def interrupt(step, loss):
        if step == 14:
            raise KeyboardInterrupt

    with pytest.warns(RuntimeWarning, match="interrupted at step 14"):
        m = smoke(callback=interrupt).fit(X, y)
    assert m.history_["generator"].interrupted and "refine" not in m.history_
    clean = smoke(generator_steps=10, refine_steps=0).fit(X, y)  # constant lr: the same 10 steps
    for a, b in zip(m.generator_.parameters(), clean.generator_.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_a_divergence_at_step_one_keeps_the_initial_generator(data):
    """lr = 1e35 gives a NaN loss at step 1; only step 0 was validated, so the kept generator is
    the untrained one (a fit with no steps)."""
    X, y = data
    m = smoke(dtype="float32", lr=1e35)
    with pytest.raises(gft.TrainingDivergedError, match=r"at step 1 .*best iterate so far \(step 0,"):
        m.fit(X, y)
    untrained = smoke(dtype="float32", generator_steps=0, refine_steps=0).fit(X, y)
    for a, b in zip(m.generator_.parameters(), untrained.generator_.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    # the record is that of the kept generator: validated once, at step 0, as the untrained fit
    h = m.history_["generator"]
    assert h.diverged and h.best_step == 0 and list(h.val_steps) == [0]
    assert np.isnan(h.train_loss[-1]) and len(h.train_loss) <= 10  # stopped at the first check
    assert m.generator_val_mse_ == untrained.generator_val_mse_


def test_a_diverged_refinement_keeps_its_best_latents_and_records_their_validation_mse(data):
    """The callback poisons the loss of refinement step 3 (call 40 + 3); the check at step 10
    finds it, and the kept latents are those validated at step 0, the generator's first draw:
    the model of a fit without refinement. Its validation MSE, measured here from predict on
    the held-out rows, is the one recorded."""
    X, y = data
    calls = []

    def poison(step, loss):
        calls.append(step)
        if len(calls) == 40 + 4:
            loss.fill_(float("nan"))

    m = smoke(callback=poison)
    with pytest.raises(gft.TrainingDivergedError, match=r"GFT-r refinement: the loss became nan at step 3"):
        m.fit(X, y)
    unrefined = smoke(refine_steps=0).fit(X, y)
    np.testing.assert_array_equal(m.features_, unrefined.features_)
    np.testing.assert_allclose(m.predict(X), unrefined.predict(X), rtol=1e-12, atol=1e-12)
    h = m.history_["refine"]
    assert h.diverged and h.best_step == 0 and not m.history_["generator"].diverged
    n_val = math.ceil(0.1 * len(y))
    measured = np.mean((m.predict(X[-n_val:]) - y[-n_val:]) ** 2)
    assert m.refine_val_mse_ == pytest.approx(measured, rel=1e-4)  # float32 training, float64 predict


def _objective(M=60):
    g = torch.Generator().manual_seed(0)
    X = torch.rand(M, 2, generator=g, dtype=torch.float64)
    y = torch.sin(2 * math.pi * X[:, 0]) + X[:, 1] ** 2
    return ReducedObjective(X[:50], y[:50], "fourier", 1e-6, 0.0, 64, X[50:], y[50:])


def test_latent_refinement_lowers_the_validation_mse_and_leaves_the_generator_alone():
    """Step 0 validates the initial z (measured here first); 40 steps beat it; G stays bit-identical."""
    obj = _objective()
    G = Generator(2, (16, 16)).double()
    frozen = [p.detach().clone() for p in G.parameters()]
    params = LatentFeatures(G, G.sample_latents(10, generator=torch.Generator().manual_seed(4)))
    start = float(obj.validation_mse(params.val_features()))
    hist = optimise(params, obj, steps=40, lr=1e-2, val_every=5, progress=False)
    assert hist.val_mse[0] == pytest.approx(start, rel=1e-12)
    assert hist.best_val_mse < 0.9 * start  # 0.062 against 0.080 with these seeds
    assert float(obj.validation_mse(params.val_features())) == pytest.approx(hist.best_val_mse, rel=1e-12)
    for before, after in zip(frozen, G.parameters()):
        assert torch.equal(before, after)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA: on a CPU-only machine every "
                    "fit is on the CPU anyway")
def test_a_model_fitted_on_cuda_is_kept_on_the_cpu(data):
    """Fitted on the GPU, the state is on the CPU: it pickles and predicts the NumPy formula."""
    X, y = data
    m = smoke(device="cuda").fit(X, y)
    assert all(p.device.type == "cpu" for p in m.generator_.parameters())
    assert isinstance(m.features_, np.ndarray) and isinstance(m.coef_, np.ndarray)
    loaded = pickle.loads(pickle.dumps(m))
    np.testing.assert_allclose(loaded.predict(X), network(X, m.features_, m.coef_, m.y_scale_),
                               rtol=1e-10, atol=1e-10)
