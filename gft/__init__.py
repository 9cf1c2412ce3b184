"""gft: generative feature training of thin 2-layer networks."""

from .baselines import ESTIMATORS, NNRegressor, RFFRegressor, SparseRFRegressor, VarProRegressor
from .estimators import GFTRegressor, fit_batched
from .features import ACTIVATIONS, design_matrix, input_gradient
from .generator import Generator, GeneratorStack
from .model_selection import GFTRegressorCV
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
    "GFTRegressorCV",
    "Generator",
    "GeneratorStack",
    "PRESETS",
    "ReducedObjective",
    "RidgeSolveError",
    "RidgeSolveWarning",
    "TrainingDivergedError",
    "TrainingHistory",
    "design_matrix",
    "fit_batched",
    "input_gradient",
    "optimise",
    "ridge_solve",
    "tv_penalty",
]
