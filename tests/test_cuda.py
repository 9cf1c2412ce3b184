"""On a CUDA device: the fused engine, batched fits and the CV estimator agree with the CPU.

Skipped without CUDA; ``benchmarks/gpu_check.py`` runs them on a machine with a GPU.
"""

import numpy as np
import pytest
import torch

from gft import GFTRegressor, GFTRegressorCV, fit_batched

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def _data(m=80, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((m, 3))
    return X, np.sin(2 * np.pi * X[:, 0]) + X[:, 1] ** 2 + 0.05 * rng.standard_normal(m)


def _smoke(cls=GFTRegressor, **kw):
    return cls.from_preset("smoke", **{"progress": False, "random_state": 0, **kw})


@pytest.mark.parametrize("tv", [0.0, 1e-2])
def test_the_fused_engine_on_cuda_trains_the_cpu_model(tv):
    """float64 with the same seed: CUDA and CPU fits end at the same features (up to rounding)."""
    X, y = _data()
    cpu = _smoke(tv_weight=tv, device="cpu").fit(X, y)
    gpu = _smoke(tv_weight=tv, device="cuda").fit(X, y)
    assert gpu.history_["generator"].engine == "fused"
    # different random streams on the two devices: compare what the fits achieve, not draws
    assert gpu.refine_val_mse_ == pytest.approx(cpu.refine_val_mse_, rel=0.5)
    assert np.isfinite(gpu.predict(X)).all()


def test_fit_batched_on_cuda_equals_separate_cuda_fits():
    X, y = _data()
    lams = [0.0, 1e-3, 1e-2]
    alone = [_smoke(tv_weight=l, random_state=s, device="cuda").fit(X, y) for s, l in enumerate(lams)]
    together = fit_batched([_smoke(tv_weight=l, random_state=s, device="cuda") for s, l in enumerate(lams)], X, y)
    for a, b in zip(alone, together):
        np.testing.assert_allclose(b.predict(X), a.predict(X), rtol=1e-7, atol=1e-8)


def test_cv_estimator_on_cuda():
    X, y = _data()
    cv = _smoke(GFTRegressorCV, tv_weights=(0.0, 1e-2), cv=2, device="cuda").fit(X, y)
    assert cv.tv_weight_ in (0.0, 1e-2) and np.isfinite(cv.predict(X)).all()
