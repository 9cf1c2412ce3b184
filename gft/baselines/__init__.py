"""Baselines the book compares GFT with (chapter 04, "The methods"), as scikit-learn estimators.

- :class:`NNRegressor` — the same thin network trained end to end (``W`` and ``b`` with Adam);
- :class:`RFFRegressor` — random features ``w ~ N(0, σ² I)`` and the ridge solve (no feature learning);
- :class:`SparseRFRegressor` — SHRIMP-style iterative magnitude pruning of many random features;
- :class:`VarProRegressor` — Adam on ``W`` itself with ``b`` eliminated (variable projection).

:data:`ESTIMATORS` maps the method names of the experiment runner to the classes.
"""

from __future__ import annotations

from ..estimators import FeatureRegressorBase, GFTRegressor
from .nn import NetworkObjective, NetworkParameters, NNRegressor
from .random_features import DEFAULT_SIGMA_GRIDS, PruningHistory, RFFRegressor, SparseRFRegressor
from .varpro import VarProRegressor

__all__ = [
    "DEFAULT_SIGMA_GRIDS",
    "ESTIMATORS",
    "NNRegressor",
    "NetworkObjective",
    "NetworkParameters",
    "PruningHistory",
    "RFFRegressor",
    "SparseRFRegressor",
    "VarProRegressor",
]

#: Method name -> estimator class, for the experiment runner.
ESTIMATORS: dict[str, type[FeatureRegressorBase]] = {
    "gft": GFTRegressor,
    "nn": NNRegressor,
    "rff": RFFRegressor,
    "sparse-rf": SparseRFRegressor,
    "varpro": VarProRegressor,
}
