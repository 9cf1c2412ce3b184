"""scikit-learn conformance of GFTRegressor and the four baselines, each at its ``smoke`` preset."""

import numpy as np
import pytest
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

from gft.baselines import ESTIMATORS

#: Checks declared as expected to fail, by class name: {check name: one-line reason}. None
#: at present; an entry must say why (e.g. "pending base-class fix: ...").
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {}


def _smoke(cls, **overrides):
    return cls.from_preset("smoke", progress=False, **overrides)


def _expected_failed_checks(estimator) -> dict[str, str]:
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(
    [_smoke(cls) for cls in ESTIMATORS.values()], expected_failed_checks=_expected_failed_checks
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_parameter_constraints_cover_every_parameter(name):
    """scikit-learn's own check: ``_parameter_constraints`` names exactly the parameters, and
    ``fit`` raises ``InvalidParameterError`` naming the parameter for a value of no valid type
    and for one just outside each interval or set of options."""
    est = _smoke(ESTIMATORS[name])
    check_param_validation(type(est).__name__, est)


def _data(m=60, d=3, seed=0):
    rng = np.random.default_rng(seed)
    # float32-representable, so that float32 and float64 inputs hold the same numbers
    X = rng.random((m, d)).astype(np.float32).astype(np.float64)
    y = np.sin(2 * np.pi * X[:, 0]) + X[:, 1] ** 2 - X[:, 1] * X[:, 2]
    return X, y.astype(np.float32).astype(np.float64)


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_float32_and_float64_inputs_give_the_same_float64_predictions(name):
    X, y = _data()
    est64 = _smoke(ESTIMATORS[name], random_state=0).fit(X, y)
    est32 = _smoke(ESTIMATORS[name], random_state=0).fit(X.astype(np.float32), y.astype(np.float32))
    for est in (est64, est32):
        pred = est.predict(X.astype(np.float32))
        assert type(pred) is np.ndarray and pred.dtype == np.float64 and pred.shape == (len(X),)
        assert np.isfinite(pred).all()
    np.testing.assert_allclose(est32.predict(X), est64.predict(X), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_strided_and_reversed_views_fit_and_predict_as_their_copies(name):
    """NumPy views that are not C-contiguous: a reversed one (negative strides, which torch
    refuses: fit raised a ValueError from torch), Fortran order and every other row."""
    X, y = _data()
    views = (X[::-1], y[::-1]), (np.asfortranarray(X), y), (X[::2], y[::2])
    for Xv, yv in views:
        est = _smoke(ESTIMATORS[name], random_state=0).fit(Xv, yv)
        ref = _smoke(ESTIMATORS[name], random_state=0).fit(np.ascontiguousarray(Xv), np.ascontiguousarray(yv))
        np.testing.assert_array_equal(est.features_, ref.features_)
        np.testing.assert_array_equal(est.predict(X[::-1]), ref.predict(np.ascontiguousarray(X[::-1])))


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_fitted_attributes_end_in_underscore(name):
    X, y = _data()
    est = _smoke(ESTIMATORS[name], random_state=0)
    params = set(est.get_params())
    assert set(vars(est)) == params  # __init__ stores its arguments and nothing else
    est.fit(X, y)
    learned = set(vars(est)) - params
    assert {"features_", "coef_", "y_scale_", "n_features_in_"} <= learned
    assert [a for a in learned if not a.endswith("_")] == []
    assert est.features_.dtype == np.float64 and est.features_.ndim == 2
    assert est.coef_.dtype == (np.complex128 if est.activation == "fourier" else np.float64)


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_same_random_state_same_model_other_state_other_model(name):
    X, y = _data()
    first = _smoke(ESTIMATORS[name], random_state=3).fit(X, y)
    second = _smoke(ESTIMATORS[name], random_state=3).fit(X, y)
    other = _smoke(ESTIMATORS[name], random_state=4).fit(X, y)
    np.testing.assert_array_equal(first.features_, second.features_)
    np.testing.assert_array_equal(first.predict(X), second.predict(X))
    assert not np.array_equal(first.features_, other.features_)


def test_estimators_registry_names_the_five_methods():
    assert list(ESTIMATORS) == ["gft", "nn", "rff", "sparse-rf", "varpro"]
    for cls in ESTIMATORS.values():
        assert set(cls.presets) == {"smoke", "book", "paper"}
        with pytest.raises(ValueError, match=r"Unknown preset 'fast'. Must be one of \['smoke', 'book', 'paper'\]"):
            cls.from_preset("fast")
