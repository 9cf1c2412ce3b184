"""gft: generative feature training of thin 2-layer networks.

The package, one layer per line; a module imports only from its own line and the lines above
(two exceptions: the private ``_fourier/`` nodes serve the line above them, and
``experiments/plan.py`` parses a plan file with the command line's parser, imported from
``cli`` when called, so that a plan line means what the same ``run`` line means):

- ``features``, ``ridge``, ``regularizers``: the feature maps Φ and design matrices, the ridge
  layer (its backward pass by the implicit function theorem), the TV penalty;
- ``generator``, ``objective``, ``training``: the feature generator, the reduced objective
  (the one definition of the loss) and the training loop with its engines (``_checkpoint``:
  the state a training run saves and resumes from); ``_fourier/``
  the fused Fourier engine, private (its TV and MSE nodes serve the line above, its
  training step this one);
- ``estimators``, ``model_selection``, ``presets``: ``GFTRegressor``, ``fit_batched``,
  ``GFTRegressorCV`` and the named budgets; ``baselines/`` the estimators GFT is compared
  with (random and sparse random features, the trained network, variable projection);
- ``datasets/`` (synthetic settings, the UCI files, data with gaps) and ``theory/`` (the
  theory chapters' companions);
- ``experiments/``: the paper's protocol (cells, methods, the one fit-and-score loop, runner,
  results store, tables, report, sweeps, cluster backends, ``bench``, chapter claims);
- ``plotting`` (the chapters' figures) and ``cli`` (``python -m gft``).
"""

from .baselines import ESTIMATORS, NNRegressor, RFFRegressor, SparseRFRegressor, VarProRegressor
from .estimators import GFTRegressor, fit_batched
from .features import ACTIVATIONS, design_matrix, input_gradient
from .generator import Generator, GeneratorStack
from .model_selection import GFTRegressorCV
from .objective import ReducedObjective
from .presets import PRESETS
from .regularizers import tv_penalty
from .ridge import RidgeSolveError, RidgeSolveWarning, ridge_solve
from .training import TrainingDivergedError, TrainingHistory, TrainingInterruptedWarning, optimise

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
    "TrainingInterruptedWarning",
    "design_matrix",
    "fit_batched",
    "input_gradient",
    "optimise",
    "ridge_solve",
    "tv_penalty",
]
