"""The method registry of the experiment runner: which estimator a method fits, how it is scored and selected."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..baselines import ESTIMATORS
from ..estimators import GFTRegressor

__all__ = ["Method", "METHODS", "method_names", "method_labels", "get_method", "estimator_class", "fit_overrides",
           "score_fit"]


def _mse(pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((np.asarray(pred, dtype=np.float64) - y) ** 2))


def validation_mse(est: Any, X_fit: np.ndarray, y_fit: np.ndarray) -> float:
    r"""Validation MSE of a fitted baseline: its ``val_mse_`` if it has one, else measured here.

    Measured: :math:`\frac{1}{M_v}\sum (f(x_k) - y_k)^2` over the last
    :math:`M_v = \lceil \texttt{validation\_fraction}\cdot M\rceil` rows of the data passed to
    ``fit`` (the rows the estimators of :mod:`gft.estimators` hold out).
    """
    value = getattr(est, "val_mse_", None)
    if value is not None:
        return float(value)
    n_val = int(math.ceil(float(getattr(est, "validation_fraction", 0.1)) * X_fit.shape[0]))
    return _mse(est.predict(X_fit[-n_val:]), y_fit[-n_val:])


def _predict(est: Any, X: np.ndarray, seed: int) -> np.ndarray:
    return est.predict(X)


def _fit_seconds(est: Any, seconds: float) -> float:
    return seconds


def _gft_val(est: Any, X_fit: np.ndarray, y_fit: np.ndarray) -> float:
    return float(est.generator_val_mse_)


def _gft_predict(est: Any, X: np.ndarray, seed: int) -> np.ndarray:
    return est.predict_generator(X, random_state=seed)


def _gft_seconds(est: Any, seconds: float) -> float:
    """The fit's time less its refinement phase: what a fit with ``refine_steps=0`` costs."""
    refine = getattr(est, "history_", {}).get("refine")
    return seconds - (refine.wall_seconds if refine is not None else 0.0)


def _gft_r_val(est: Any, X_fit: np.ndarray, y_fit: np.ndarray) -> float:
    return float(est.refine_val_mse_)


@dataclass(frozen=True, eq=False)
class Method:
    r"""One column of a results table.

    Parameters
    ----------
    name : str
        Registry key, e.g. ``"gft-r"``.
    estimator : str or type
        A key of :func:`estimator_class` (``"gft"``, ``"nn"``, ...) or an estimator class with
        ``from_preset(preset, **kwargs)``. Methods with the same estimator share the
        selection's fits when a run asks for several of them, and the trials' fits where
        they select the same λ (``gft`` and ``gft-r``: one fit, two columns).
    description : str
    tunes_lambda : bool
        Whether the estimator has a TV weight; if not, model selection is skipped (one fit
        with the estimator's own settings, ``lambda`` recorded as NaN).
    val_mse : callable ``(est, X_fit, y_fit) -> float``
        The validation MSE that selects :math:`\lambda`.
    predict : callable ``(est, X, seed) -> ndarray of shape (M,)``
        Test predictions; ``seed`` is the trial's seed (GFT draws its feature set with it).
    solo_overrides : mapping
        Estimator keywords used when this method's fit serves no other method (``gft``:
        ``refine_steps=0``, the refinement is only needed by ``gft-r``).
    train_seconds : callable ``(est, fit_seconds) -> float``
        The training time charged to this method (``gft`` does not pay for the refinement
        of a shared fit).
    label : str
        The column's name in the book's tables and legends, e.g. ``"GFT-r"`` (empty: ``method_labels``
        uses ``name``).
    """

    name: str
    estimator: Any
    description: str = ""
    tunes_lambda: bool = True
    val_mse: Callable[[Any, np.ndarray, np.ndarray], float] = validation_mse
    predict: Callable[[Any, np.ndarray, int], np.ndarray] = _predict
    solo_overrides: Mapping[str, Any] = field(default_factory=dict)
    train_seconds: Callable[[Any, float], float] = _fit_seconds
    label: str = ""


#: Methods by name, in table column order. Tests may add stub methods with ``monkeypatch.setitem``.
METHODS: dict[str, Method] = {
    "gft": Method(
        "gft", "gft", "GFT: a fresh draw G(z) of the trained generator, b re-solved",
        val_mse=_gft_val, predict=_gft_predict, solo_overrides={"refine_steps": 0},
        train_seconds=_gft_seconds, label="GFT",
    ),
    "gft-r": Method("gft-r", "gft", "GFT-r: the refined latent set z (the paper's GFT-r / GFT-p)",
                    val_mse=_gft_r_val, label="GFT-r"),
    "nn": Method("nn", "nn", "2-layer network trained end to end (Adam)", label="NN"),
    "rff": Method("rff", "rff", "random Fourier/activation features, no feature learning",
                  tunes_lambda=False, label="RFF"),
    "sparse-rf": Method("sparse-rf", "sparse-rf", "SHRIMP-style pruned random features",
                        tunes_lambda=False, label="sparse RF"),
    "varpro": Method("varpro", "varpro", "variable projection: gradient descent on w", label="VarPro"),
}


def method_names() -> list[str]:
    """Names of the registered methods, in table column order."""
    return list(METHODS)


def method_labels() -> dict[str, str]:
    """Registry key -> the method's label in tables and legends, in table column order."""
    return {name: method.label or name for name, method in METHODS.items()}


def get_method(name: str) -> Method:
    """The :class:`Method` called ``name``; ``ValueError`` listing the valid names."""
    try:
        return METHODS[name]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown method {name!r}. Must be one of {method_names()}") from None


def estimator_class(key: Any) -> type:
    """The estimator class of a ``Method.estimator`` key.

    ``"gft"`` is :class:`gft.estimators.GFTRegressor`; the baselines come from
    ``gft.baselines.ESTIMATORS``. A class is returned as it is; an unknown key raises
    ``ValueError`` naming the valid ones.
    """
    if isinstance(key, type):
        return key
    if key == "gft":
        return GFTRegressor
    if key not in ESTIMATORS:
        raise ValueError(f"Unknown estimator {key!r}. Must be one of {['gft', *ESTIMATORS]}")
    return ESTIMATORS[key]


def fit_overrides(methods: Sequence[Method]) -> dict[str, Any]:
    """Estimator keywords of a fit shared by ``methods``: the solo overrides all of them agree on.

    ``[gft]`` -> ``{"refine_steps": 0}``; ``[gft, gft-r]`` -> ``{}`` (gft-r needs the refinement).
    """
    common = dict(methods[0].solo_overrides)
    for method in methods[1:]:
        common = {k: v for k, v in common.items()
                  if k in method.solo_overrides and method.solo_overrides[k] == v}
    return common


def score_fit(est: Any, method: Method, X: np.ndarray, y: np.ndarray, X_test: np.ndarray,
              y_test: np.ndarray, seed: int, fit_seconds: float) -> dict[str, float]:
    r"""Score a fitted estimator as ``method``: the one place a fit becomes a results row's numbers.

    Returns ``val_mse`` (the method's validation MSE, the one that selects :math:`\lambda`),
    ``test_mse`` (:math:`\frac1{M_t}\sum_k (f(x_k) - y_k)^2` with the method's prediction,
    e.g. a fresh generator draw seeded with ``seed`` for ``gft``) and ``train_seconds`` (the
    part of ``fit_seconds`` charged to the method).
    """
    pred = np.asarray(method.predict(est, X_test, seed), dtype=np.float64)
    return dict(val_mse=float(method.val_mse(est, X, y)), test_mse=_mse(pred, y_test),
                train_seconds=float(method.train_seconds(est, fit_seconds)))
