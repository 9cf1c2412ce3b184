"""gft: generative feature training of thin 2-layer networks."""

from .baselines import ESTIMATORS, NNRegressor, RFFRegressor, SparseRFRegressor, VarProRegressor
from .estimators import GFTRegressor
from .features import ACTIVATIONS, design_matrix, input_gradient
from .generator import Generator
from .objective import ReducedObjective
from .presets import PRESETS
from .regularizers import tv_penalty
from .ridge import RidgeSolveError, RidgeSolveWarning, ridge_solve
from .training import TrainingDivergedError, TrainingHistory, optimise

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "ESTIMATORS",
    "NNRegressor",
    "RFFRegressor",
    "SparseRFRegressor",
    "VarProRegressor",
    "GFTRegressor",
    "Generator",
    "PRESETS",
    "ReducedObjective",
    "RidgeSolveError",
    "RidgeSolveWarning",
    "TrainingDivergedError",
    "TrainingHistory",
    "design_matrix",
    "input_gradient",
    "optimise",
    "ridge_solve",
    "tv_penalty",
]
