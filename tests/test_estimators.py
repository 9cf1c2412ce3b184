"""GFTRegressor and the shared estimator base: the sklearn contract, bad input, numerics, persistence, interruption."""

import io
import math
import pickle
import warnings

import joblib
import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError

import gft
from gft import PRESETS, GFTRegressor
from gft.presets import get_preset
from conftest import numpy_design, smoke


@pytest.fixture(scope="module")
def fitted(data):
    return smoke().fit(*data)


def test_public_api_star_import():
    ns = {}
    exec("from gft import *", ns)
    assert set(gft.__all__) <= set(ns)
    assert isinstance(gft.__all__, list) and all(isinstance(n, str) for n in gft.__all__)


def test_defaults_are_the_book_preset():
    defaults = GFTRegressor().get_params()
    for key, value in PRESETS["book"].items():
        assert defaults[key] == value, key
    assert PRESETS["paper"]["generator_steps"] == 40_000 and PRESETS["paper"]["lr"] == 1e-4


def test_fitted_attributes_shapes_and_history(fitted, data):
    X, _ = data
    N = fitted.n_features
    assert fitted.features_.shape == (N, 2) and fitted.coef_.shape == (N,)
    assert np.iscomplexobj(fitted.coef_)
    assert set(fitted.history_) == {"generator", "refine"}
    assert fitted.history_["generator"].train_loss.shape == (PRESETS["smoke"]["generator_steps"],)
    assert fitted.n_features_in_ == 2
    pred = fitted.predict(X)
    assert isinstance(pred, np.ndarray) and pred.shape == (80,) and pred.dtype == np.float64
    assert np.isfinite(fitted.generator_val_mse_) and np.isfinite(fitted.refine_val_mse_)


def test_same_random_state_same_predictions(data):
    X, y = data
    a, b = smoke().fit(X, y), smoke().fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    np.testing.assert_array_equal(a.predict_generator(X, random_state=3), b.predict_generator(X, random_state=3))
    c = smoke(random_state=1).fit(X, y)
    assert not np.array_equal(a.predict(X), c.predict(X))


def _assert_is_the_ridge_network(m, X, y, activation):
    """predict = rms(y) Re(A(X) coef_), with coef_ the ridge fit of y / rms(y) on the first 90 %
    of the rows (NumPy lstsq of [A; sqrt(δ) I] b = [y; 0]), and the fit explains the data."""
    n_train = len(X) - math.ceil(0.1 * len(X))
    assert m.y_scale_ == pytest.approx(np.sqrt(np.mean(y**2)), rel=1e-12)
    A = numpy_design(X[:n_train], m.features_, activation)
    P = A.shape[1]
    b = np.linalg.lstsq(np.vstack([A, np.sqrt(m.ridge) * np.eye(P)]),
                        np.concatenate([y[:n_train] / m.y_scale_, np.zeros(P)]), rcond=None)[0]
    A_all = numpy_design(X, m.features_, activation)
    pred = m.predict(X)
    np.testing.assert_allclose(pred, m.y_scale_ * (A_all @ m.coef_).real, rtol=0, atol=1e-12)
    # N = 100 features on 72 rows: the Cholesky of the dual system and a QR least-squares agree
    # to about cond * eps
    np.testing.assert_allclose(pred, m.y_scale_ * (A_all @ b).real, rtol=0, atol=1e-9)
    assert 1 - np.mean((pred - y) ** 2) / np.var(y) > 0.5  # far from the mean predictor


def test_refine_zero_predicts_with_a_generator_draw(data):
    m = smoke(refine_steps=0).fit(*data)
    assert "refine" not in m.history_
    assert np.isinf(m.refine_val_mse_)
    _assert_is_the_ridge_network(m, *data, "fourier")


@pytest.mark.parametrize("activation", ["sigmoid", "relu", "cosine", "fourier-real"])
def test_other_activations_fit(activation, data):
    m = smoke(activation=activation).fit(*data)
    D = 3 if activation != "fourier-real" else 2
    assert m.features_.shape == (m.n_features, D)
    _assert_is_the_ridge_network(m, *data, activation)


# -- bad input: a clear message at the boundary ------------------------------------------
BAD_PARAMS = [  # scikit-learn's wording: the parameter, the requirement, the value
    (dict(n_features=0), r"'n_features' parameter of GFTRegressor must be an int in the range \[1, inf\)\. Got 0 instead"),
    (dict(n_features=2.5), r"'n_features' parameter of GFTRegressor must be an int .*Got 2\.5 instead"),
    (dict(n_features=True), r"'n_features' parameter of GFTRegressor must be a number, not a bool\. Got True instead"),
    (dict(ridge=-1.0), r"'ridge' parameter of GFTRegressor must be a float in the range \[0\.0, inf\)\. Got -1\.0 instead"),
    (dict(ridge=np.inf), r"'ridge' parameter of GFTRegressor must be a float .*Got inf instead"),
    (dict(tv_weight=-1e-3), r"'tv_weight' parameter of GFTRegressor must be a float in the range \[0\.0, inf\)\. Got -0\.001 instead"),
    (dict(lr=-0.1), r"'lr' parameter of GFTRegressor must be a float in the range \(0\.0, inf\)\. Got -0\.1 instead"),
    (dict(lr=0.0), r"'lr' parameter of GFTRegressor must be a float in the range \(0\.0, inf\)\. Got 0\.0 instead"),
    (dict(refine_lr=np.nan), r"'refine_lr' parameter of GFTRegressor must be a float in the range \(0\.0, inf\) or None\. Got nan instead"),
    (dict(activation="tanh"), r"'activation' parameter of GFTRegressor must be a str among \{.*'fourier-real'.*\} or an instance of 'gft\.features\.Activation'\. Got 'tanh' instead"),
    (dict(validation_fraction=1.5), r"'validation_fraction' parameter of GFTRegressor must be a float in the range \(0\.0, 1\.0\)\. Got 1\.5 instead"),
    (dict(hidden=()), r"'hidden' parameter of GFTRegressor must be a non-empty sequence of positive ints\. Got \(\) instead"),
    (dict(hidden=(8, 0)), r"'hidden' parameter of GFTRegressor must be a non-empty sequence of positive ints\. Got \(8, 0\) instead"),
    (dict(lr_schedule="linear"), r"'lr_schedule' parameter of GFTRegressor must be a str among \{.*'cosine'.*\}\. Got 'linear' instead"),
    (dict(dtype="float16"), r"'dtype' parameter of GFTRegressor must be a str among \{'float(32|64)', 'float(32|64)'\}\. Got 'float16' instead"),
    (dict(callback=3), r"'callback' parameter of GFTRegressor must be a callable or None\. Got 3 instead"),
    (dict(device="tpu"), "device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got 'tpu'"),
]


@pytest.mark.parametrize("params,match", BAD_PARAMS)
def test_bad_parameters_raise_clear_errors(params, match, data):
    with pytest.raises(ValueError, match=match):
        smoke(**params).fit(*data)


def test_cuda_requested_without_cuda_is_a_clear_error(data):
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(ValueError, match="CUDA is not available"):
        smoke(device="cuda").fit(*data)


def test_unknown_preset_lists_valid_names():
    with pytest.raises(ValueError, match=r"Unknown preset 'fast'. Must be one of \['smoke', 'book', 'paper'\]"):
        GFTRegressor.from_preset("fast")
    with pytest.raises(ValueError, match="Unknown preset"):
        get_preset("fast")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_in_X_or_y(bad, data):
    X, y = data[0].copy(), data[1].copy()
    X[3, 1] = bad
    with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
        smoke().fit(X, data[1])
    y[5] = bad
    with pytest.raises(ValueError, match="Input y contains (NaN|infinity)"):
        smoke().fit(data[0], y)


def test_shape_errors(data, fitted):
    X, y = data
    with pytest.raises(ValueError, match="Expected 2D array"):
        smoke().fit(X[:, 0], y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        smoke().fit(X, y[:-1])
    with pytest.raises(ValueError, match="needs at least 2 training and 1 validation sample"):
        smoke().fit(X[:2], y[:2])
    with pytest.raises(ValueError, match="X has 3 features, but GFTRegressor is expecting 2"):
        fitted.predict(np.ones((4, 3)))


def test_predict_before_fit():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        smoke().predict(np.ones((3, 2)))


def test_integer_and_float32_input(data):
    """float32 and integer arrays are read as the float64 values they hold: the same fit as
    from float64 arrays of those values (a truncation or an integer tensor would differ)."""
    X, y = data
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    m32 = smoke().fit(X32, y32)
    assert m32.predict(X32).dtype == np.float64
    ref32 = smoke().fit(X32.astype(np.float64), y32.astype(np.float64))
    np.testing.assert_array_equal(m32.predict(X), ref32.predict(X))
    Xi, yi = (X * 10).astype(np.int64), np.round(y * 10).astype(np.int64)
    mi = smoke().fit(Xi, yi)
    refi = smoke().fit(Xi.astype(np.float64), yi.astype(np.float64))
    np.testing.assert_array_equal(mi.predict(Xi), refi.predict(Xi))
    assert mi.y_scale_ == pytest.approx(np.sqrt(np.mean(yi.astype(float) ** 2)), rel=1e-12)


# -- numerical robustness ------------------------------------------------------------------
def test_more_features_than_points_with_default_ridge():
    rng = np.random.default_rng(1)
    X, y = rng.random((30, 2)), rng.random(30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gft.RidgeSolveWarning)
        m = smoke(n_features=200).fit(X, y)
    assert np.isfinite(m.coef_).all() and np.isfinite(m.predict(X)).all()


def test_duplicated_rows_and_constant_y():
    rng = np.random.default_rng(2)
    X = np.repeat(rng.random((20, 2)), 3, axis=0)
    m = smoke().fit(X, np.full(60, 4.2))
    np.testing.assert_allclose(m.predict(X[:5]), 4.2, rtol=1e-3)
    assert smoke().fit(X, np.zeros(60)).y_scale_ == 1.0


# 1e±58: near the ends of the accepted range (max |y| here is below 4), where y**2 of the
# plain root mean square, or a search's spread of MSEs, would overflow or underflow without care
@pytest.mark.parametrize("scale", [1e-58, 1e-6, 1e6, 1e58])
def test_y_scale_is_handled_by_internal_scaling(scale, data):
    X, y = data
    base = smoke().fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or underflow warning on the way
        scaled = smoke().fit(X, y * scale)
    np.testing.assert_allclose(scaled.predict(X) / scale, base.predict(X), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("scale", [1e-70, 1e70])
@pytest.mark.parametrize("cls", [GFTRegressor, gft.GFTRegressorCV, gft.RFFRegressor])
def test_targets_beyond_float64_squares_are_refused_with_the_reason(scale, cls, data):
    """Squared errors of targets far outside 1e±60 leave float64 (e.g. a search's spread of
    MSEs, y**4, overflows at 1e70; at 1e-200, y**2 was 0 and the fit one of zeros, silently):
    an error names the bound and the remedy."""
    X, y = data
    with pytest.raises(ValueError, match=r"max \|y\| is .*e[+-]7.*rescale y"):
        cls(progress=False).fit(X, y * scale)


# (VarPro shares the code path, _scaled_tv_weight, but on this data it keeps its start at
# every λ: its validation MSE is least at step 0, so it cannot show the effect of λ)
@pytest.mark.parametrize("cls", [GFTRegressor, gft.NNRegressor])
def test_tv_weight_carries_the_units_of_y(cls, data):
    """TV is linear in f and the MSE quadratic: fitting (c·y, c·λ) gives c times the fit of (y, λ)."""
    X, y = data
    c = 1e3
    kw = dict(progress=False, random_state=0, dtype="float64")
    base = cls.from_preset("smoke", tv_weight=1e-2, **kw).fit(X, y)
    scaled = cls.from_preset("smoke", tv_weight=1e-2 * c, **kw).fit(X, c * y)
    np.testing.assert_allclose(scaled.predict(X) / c, base.predict(X), rtol=1e-6, atol=1e-9)
    # and the weight matters: the same λ on c·y is a different (relatively weaker) penalty
    weaker = cls.from_preset("smoke", tv_weight=1e-2, **kw).fit(X, c * y)
    assert np.abs(weaker.predict(X) / c - base.predict(X)).max() > 1e-6


def test_nan_loss_on_the_default_engine_keeps_best_model_and_names_the_step(data):
    """The callback poisons the recorded loss of step 24; the check at step 30 finds it."""
    X, y = data

    def poison(step, loss):
        if step == 24:
            loss.fill_(float("nan"))

    m = smoke(callback=poison)
    with pytest.raises(gft.TrainingDivergedError, match=r"at step 24 .*smaller learning rate"):
        m.fit(X, y)
    # the kept model is the generator validated best before the fault, not the last one
    assert np.isfinite(m.predict(X)).all()
    clean = smoke(generator_steps=20, refine_steps=0).fit(X, y)  # validated at 0, 10, 20
    for a, b in zip(m.generator_.parameters(), clean.generator_.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_singular_systems_on_the_default_engine_stop_at_the_first_check(data):
    """An input of 1e308 is finite (it passes validation) but 2 pi x is not (in float32 the
    input itself overflows): the fused engine's features are NaN and its ridge system cannot
    be factorised, on a real run; the first check stops the fit at step 0 and says why."""
    X, y = data
    X_bad = X.copy()
    X_bad[3, 0] = 1e308
    m = smoke()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gft.RidgeSolveWarning)
        with pytest.raises(gft.TrainingDivergedError,
                           match="the loss became nan at step 0|the ridge system broke down at or "
                                 "before step 0.*NaN or inf"):
            m.fit(X_bad, y)
    with pytest.raises(ValueError, match="infinity"):  # inf itself is refused at the boundary
        m.fit(np.where(X_bad > 1, np.inf, X_bad), y)


def test_engine_is_validated_and_recorded(data):
    X, y = data
    with pytest.raises(ValueError, match=r"'engine' parameter of GFTRegressor must be a str among \{.*'autograd'.*\}\. Got 'gpu' instead"):
        smoke(engine="gpu").fit(X, y)
    m = smoke(activation="sigmoid", generator_steps=5, refine_steps=0).fit(X, y)
    assert m.history_["generator"].engine == "autograd"
    assert "'fourier' features only" in m.history_["generator"].engine_reason
    with pytest.raises(ValueError, match="engine='fused' cannot run here"):
        smoke(activation="sigmoid", engine="fused").fit(X, y)
    a = smoke(engine="autograd").fit(X, y)
    f = smoke(engine="fused").fit(X, y)
    assert (a.history_["refine"].engine, f.history_["refine"].engine) == ("autograd", "fused")
    np.testing.assert_allclose(a.predict(X), f.predict(X), rtol=1e-6, atol=1e-8)


# -- persistence -----------------------------------------------------------------------------
def test_pickle_joblib_and_torch_save_round_trips(fitted, data, tmp_path):
    X, _ = data
    expected = fitted.predict(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(fitted)).predict(X), expected)
    joblib.dump(fitted, tmp_path / "m.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "m.joblib").predict(X), expected)
    buf = io.BytesIO()
    torch.save(fitted, buf)
    buf.seek(0)
    # map_location is how a model saved on a GPU machine is opened on a CPU-only one
    loaded = torch.load(buf, map_location="cpu", weights_only=False)
    np.testing.assert_array_equal(loaded.predict(X), expected)
    np.testing.assert_array_equal(
        loaded.predict_generator(X, random_state=0), fitted.predict_generator(X, random_state=0)
    )
