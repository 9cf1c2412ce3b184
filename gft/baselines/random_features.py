r"""Random-feature baselines without feature learning: :class:`RFFRegressor` and SHRIMP-style :class:`SparseRFRegressor`."""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any, Sequence

import numpy as np
import torch
from sklearn.utils._param_validation import Interval
from torch import Tensor
from .._progress import progress_bar as tqdm

from ..estimators import FeatureRegressorBase
from ..features import Activation, design_matrix, get_activation
from ..ridge import RidgeSolveWarning
from ..ridge import ridge_coefficients
from ._common import (
    design_bytes,
    fit_mse,
    standard_normal_features,
    to_numpy64,
)

__all__ = [
    "DEFAULT_SIGMA_GRIDS",
    "PruningHistory",
    "RFFRegressor",
    "SparseRFRegressor",
    "initial_scale",
    "scale_validation_curve",
]

#: Candidate scales :math:`\sigma` of ``w ~ N(0, σ² I)`` per activation, tried on the
#: validation split when ``sigma=None`` (about a factor 1.8 apart; ``relu``: 9 values a factor
#: 3 apart). Each grid reaches past the optimum on both sides on every data set of the book, so
#: that a choice at an end of the grid means the grid must grow (the results tests check it):
#: ``fourier``/``fourier-real`` (:math:`e^{2\pi it}`) from 1e-5 (with the ridge
#: :math:`\delta = 10^{-7}` the model is then a constant: the UCI sets, whose standardised
#: inputs have up to 59 columns, pick 1e-4 to 1e-3, nearly linear features) to 100 periods
#: per unit of ``x`` (smooth targets on :math:`[0, 1]^d` pick 0.03–0.15 on settings 0–5);
#: ``cosine`` (:math:`\cos\pi t`, half the frequency) twice that; ``sigmoid`` from nearly
#: linear to nearly step-like features. ``relu`` is positively homogeneous,
#: :math:`\mathrm{relu}(\sigma t) = \sigma\,\mathrm{relu}(t)`: ``σ`` leaves the hyperplanes
#: :math:`\langle w, \tilde x\rangle = 0` unchanged and only rescales the columns against
#: the constant one and the ridge, i.e. it tunes the regularisation.
DEFAULT_SIGMA_GRIDS: dict[str, tuple[float, ...]] = {
    "fourier": tuple(np.geomspace(1e-5, 100.0, 29)),
    "fourier-real": tuple(np.geomspace(1e-5, 100.0, 29)),
    "cosine": tuple(np.geomspace(2e-5, 200.0, 29)),
    "sigmoid": tuple(np.geomspace(0.01, 1000.0, 21)),
    "relu": tuple(np.geomspace(0.01, 100.0, 9)),
}

#: Largest design matrix (bytes) the automatic ``n_initial`` of :class:`SparseRFRegressor` allows.
MAX_DESIGN_BYTES = 2**28
#: The automatic ``n_initial``: ``min(10 000, max(2 N, 20 M_train))``, then the memory cap.
MAX_INITIAL, INITIAL_PER_SAMPLE = 10_000, 20


def scale_validation_curve(
    Z: Tensor, sigmas: Sequence[float], X_tr: Tensor, y_tr: Tensor, X_val: Tensor,
    y_val: Tensor, act: Activation, ridge: float, progress: bool = False,
) -> np.ndarray:
    r"""Validation MSE of the random-feature model ``W = σ Z`` (``b`` solved on the training data) per ``σ``.

    Parameters
    ----------
    Z : Tensor of shape (N, D)
        Standard-normal draw (float64), shared by all candidates.
    sigmas : sequence of float, length S

    Returns
    -------
    ndarray of shape (S,)
        In the units of ``y_val²``; ``inf`` where not finite.
    """
    val = np.empty(len(sigmas))
    for i, s in enumerate(tqdm(sigmas, desc="RF scale", disable=not progress, leave=False)):
        W = (s * Z).to(X_tr.dtype)
        with warnings.catch_warnings():
            # The smallest scales give nearly collinear columns: in float32 the solve is then
            # redone in float64, as it should be; no need to warn for a candidate.
            warnings.simplefilter("ignore", RidgeSolveWarning)
            b = ridge_coefficients(design_matrix(X_tr, W, act), y_tr, ridge)
        val[i] = fit_mse(X_val, y_val, W, b, act)
    return np.where(np.isfinite(val), val, np.inf)


def initial_scale(
    init_scale: float | None, Z: Tensor, X_tr: Tensor, y_tr: Tensor, X_val: Tensor,
    y_val: Tensor, act: Activation, ridge: float, progress: bool = False,
) -> float:
    """``init_scale``; for ``None`` the scale in ``DEFAULT_SIGMA_GRIDS`` whose RFF model on ``Z`` validates best."""
    if init_scale is not None:
        return float(init_scale)
    sigmas = DEFAULT_SIGMA_GRIDS[act.name]
    val = scale_validation_curve(Z, sigmas, X_tr, y_tr, X_val, y_val, act, ridge, progress)
    return float(sigmas[int(np.argmin(val))])


class RFFRegressor(FeatureRegressorBase):
    r"""Random features with the ridge solve: the "no feature learning" control.

    .. math:: f(x) = \mathrm{Re}\,(A(x)\, b) = \mathrm{Re}\sum_{l=1}^N b_l\,\Phi(\langle w_l, \tilde x\rangle)/N,
              \qquad w_l = \sigma z_l,\ z_l \sim N(0, I_D),\qquad b = \hat b(w),

    with :math:`D = d + 1` for activations with an input bias, whose bias coordinate is
    drawn with the same :math:`N(0, \sigma^2)` as the others (so the hyperplanes' offsets
    :math:`c/\|w\|` do not depend on :math:`\sigma`). With ``sigma=None`` the scale is chosen
    from ``sigma_grid`` by the validation MSE, all candidates sharing one draw ``z`` (common
    random numbers: the choice compares scales, not draws). ``b`` solves the ridge system
    of the training split (the sum as written is ``fourier``'s: :math:`P` columns in all,
    see :func:`gft.design_matrix`); with more columns than rows (``P > M``) in the dual form,
    so that there a tiny ``ridge`` interpolates the training data.

    Parameters
    ----------
    n_features : int
        ``N``.
    activation : {"fourier", "fourier-real", "sigmoid", "relu", "cosine"}
    sigma : float or None
        Feature scale :math:`\sigma`; ``None`` chooses it on the validation split.
    sigma_grid : sequence of float or None
        Candidates for ``sigma=None``; ``None`` uses ``DEFAULT_SIGMA_GRIDS[activation]``.
    ridge : float
        :math:`\delta` of the ridge solve.
    validation_fraction : float
        The last rows of the training data held out for validation.
    dtype : {"float64", "float32"}
        Precision of the scale search (the final ``b`` is solved in float64).
    device : str
    random_state : int, RandomState or None
    progress : bool
        Progress bar over the scale candidates.

    Attributes
    ----------
    features_ : ndarray of shape (N, D)
    coef_ : ndarray of shape (P,)
        Complex for ``fourier``; in units of ``y / y_scale_``.
    sigma_ : float
        The scale used.
    sigma_grid_, sigma_val_mse_ : ndarray of shape (n_candidates,)
        The candidates tried and their validation MSEs (units of ``y²``).
    val_mse_ : float
        Validation MSE of the fitted model (units of ``y²``).

    Notes
    -----
    Like :class:`gft.GFTRegressor`, it divides ``y`` by its root mean square without centring
    it, and a large constant in ``y`` costs accuracy (on Friedman 1 with 1e4 added to the
    labels, two to three times the test MSE: ``benchmarks/target_offset.py``): centre the
    targets, e.g. ``TransformedTargetRegressor(RFFRegressor(), transformer=StandardScaler())``.
    The validated :math:`\sigma` adapts the features to the units of ``X`` within the range
    of ``sigma_grid``.
    """

    presets: dict[str, dict[str, Any]] = {"smoke": {}, "book": {}, "paper": {}}  # no budget knob

    _parameter_constraints: dict[str, list[Any]] = {
        **FeatureRegressorBase._parameter_constraints,
        "sigma": [Interval(Real, 0, None, closed="neither"), None],
        "sigma_grid": ["array-like", None],  # 1-D, positive, finite: _check_params
    }

    def __init__(
        self,
        n_features: int = 100,
        activation: str = "fourier",
        sigma: float | None = None,
        sigma_grid: Sequence[float] | None = None,
        ridge: float = 1e-7,
        validation_fraction: float = 0.1,
        dtype: str = "float64",
        device: str = "auto",
        random_state: Any = None,
        progress: bool = True,
    ):
        self.n_features = n_features
        self.activation = activation
        self.sigma = sigma
        self.sigma_grid = sigma_grid
        self.ridge = ridge
        self.validation_fraction = validation_fraction
        self.dtype = dtype
        self.device = device
        self.random_state = random_state
        self.progress = progress

    def _check_params(self) -> None:
        super()._check_params()
        grid = self.sigma_grid
        if grid is not None and (np.ndim(grid) != 1 or len(grid) == 0 or any(
                isinstance(s, bool) or not isinstance(s, Real) or not math.isfinite(s) or s <= 0
                for s in np.asarray(grid, dtype=object))):
            self._invalid("sigma_grid", "None or a non-empty 1-D sequence of positive finite numbers")

    def _sigma_candidates(self) -> np.ndarray:
        if self.sigma is not None:
            return np.array([float(self.sigma)])
        grid = DEFAULT_SIGMA_GRIDS[self.activation] if self.sigma_grid is None else self.sigma_grid
        return np.asarray(grid, dtype=np.float64).ravel()

    def _select_sigma(self, Z: Tensor, X_tr: Tensor, y_tr: Tensor, X_val: Tensor, y_val: Tensor,
                      act: Activation) -> None:
        """Set ``sigma_``, ``sigma_grid_``, ``sigma_val_mse_`` for the standard draw ``Z`` (P, D)."""
        sigmas = self._sigma_candidates()
        val = scale_validation_curve(Z, sigmas, X_tr, y_tr, X_val, y_val, act, self.ridge,
                                     self.progress)
        self.sigma_ = float(sigmas[int(np.argmin(val))])
        self.sigma_grid_ = sigmas
        self.sigma_val_mse_ = val * self.y_scale_**2

    def _fit_scaled(self, X_tr, y_tr, X_val, y_val, *, device, dtype, rng, checkpoint=None) -> None:
        act = get_activation(self.activation)
        Z = standard_normal_features(self.n_features, act.feature_dim(X_tr.shape[1]), rng, device)
        self._select_sigma(Z, X_tr, y_tr, X_val, y_val, act)
        self.features_ = to_numpy64(self.sigma_ * Z)
        self.coef_ = self._coef_on_training_split(self.features_)
        self.val_mse_ = float(self.sigma_val_mse_[self.sigma_grid_ == self.sigma_][0])


@dataclass
class PruningHistory:
    """Sizes and errors of the pruning rounds of :class:`SparseRFRegressor`.

    Attributes
    ----------
    n_features : ndarray of shape (R,)
        Number of features in each round (the first is ``n_initial_``, the last ``N``).
    train_mse, val_mse : ndarray of shape (R,)
        Training and validation MSE of each round's ridge fit, in units of ``y²``.
    kept_round : int
        The round whose features the estimator kept.
    wall_seconds : float
    """

    n_features: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    train_mse: np.ndarray = field(default_factory=lambda: np.zeros(0))
    val_mse: np.ndarray = field(default_factory=lambda: np.zeros(0))
    kept_round: int = 0
    wall_seconds: float = 0.0


def _feature_magnitudes(b: Tensor, act: Activation, n: int) -> Tensor:
    """Per-feature size of ``b`` (no constant column): ``|b_l|``; ``fourier-real``: ``hypot(b_cos, b_sin)``."""
    b = b[: act.columns_per_feature * n]
    if act.columns_per_feature == 2:
        return torch.hypot(b[:n], b[n:])
    return b.abs()


class SparseRFRegressor(RFFRegressor):
    r"""Sparse random features by iterative magnitude pruning (SHRIMP, Xie et al. 2022).

    Draw ``n_initial`` features :math:`w_l = \sigma z_l` as in :class:`RFFRegressor`, solve the
    ridge system, drop the fraction ``prune_fraction`` of the features with the smallest
    :math:`|b_l|` (``fourier-real``: the norm of the cos/sin pair; never the constant column),
    re-solve, and repeat until ``n_features`` remain (the last round drops only down to
    ``N``; with the default 0.2, 21 prunings from 10 000 to 100, so 22 solves). The surviving features
    keep their order in the draw, so ``n_initial == n_features`` (no pruning) gives exactly
    :class:`RFFRegressor` with the same ``random_state`` and ``sigma`` (grid).

    ``sigma=None`` chooses the scale on the validation split with the *initial* model (one
    solve per candidate; pruning then runs once), so the choice is RFF's when nothing is
    pruned. ``n_initial=None`` takes ``min(10 000, max(2 N, 20 M_train))`` features: past a
    few tens of features per sample the dense model is in its kernel limit and more only
    costs time; it is lowered further so that one design matrix stays under 256 MiB.

    Parameters
    ----------
    n_initial : int or None
        Features before pruning, ``>= n_features``.
    prune_fraction : float in (0, 1)
        Fraction of the features dropped per round.
    select_size : bool
        ``False``: keep exactly ``n_features`` (the paper compares at equal ``N``). ``True``:
        keep the round (``>= n_features`` features) with the lowest validation MSE.
    (the others as in :class:`RFFRegressor`)

    Attributes
    ----------
    n_initial_ : int
        Features before pruning.
    history_ : PruningHistory
        Size, training and validation MSE of every round.
    features_ : ndarray of shape (n_kept, D)
        The kept round's features: ``n_kept = history_.n_features[history_.kept_round]``,
        which is ``n_features`` or, with ``select_size=True``, possibly more.
    coef_, sigma_, sigma_grid_, sigma_val_mse_, val_mse_
        As in :class:`RFFRegressor` (``coef_`` of shape ``(P,)`` for the ``n_kept`` kept
        features: ``n_kept`` for ``fourier``, ``2 n_kept`` for ``fourier-real``, ``n_kept + 1``
        for the activations with a bias column; ``sigma_val_mse_`` for the initial model).
    """

    presets: dict[str, dict[str, Any]] = {
        "smoke": {"n_initial": 400},
        "book": {"n_initial": 2000},
        "paper": {"n_initial": None},
    }

    _parameter_constraints: dict[str, list[Any]] = {
        **RFFRegressor._parameter_constraints,
        "n_initial": [Interval(Integral, 1, None, closed="left"), None],  # >= n_features: _check_params
        "prune_fraction": [Interval(Real, 0, 1, closed="neither")],
        "select_size": ["boolean"],
    }

    def __init__(
        self,
        n_features: int = 100,
        activation: str = "fourier",
        n_initial: int | None = None,
        prune_fraction: float = 0.2,
        select_size: bool = False,
        sigma: float | None = None,
        sigma_grid: Sequence[float] | None = None,
        ridge: float = 1e-7,
        validation_fraction: float = 0.1,
        dtype: str = "float64",
        device: str = "auto",
        random_state: Any = None,
        progress: bool = True,
    ):
        super().__init__(
            n_features=n_features, activation=activation, sigma=sigma, sigma_grid=sigma_grid,
            ridge=ridge, validation_fraction=validation_fraction, dtype=dtype, device=device,
            random_state=random_state, progress=progress,
        )
        self.n_initial = n_initial
        self.prune_fraction = prune_fraction
        self.select_size = select_size

    def _check_params(self) -> None:
        super()._check_params()
        if self.n_initial is not None and self.n_initial < self.n_features:
            self._invalid("n_initial", f"None (the automatic size) or >= n_features={self.n_features}, "
                                       "since pruning only removes features")

    def _initial_size(self, n_train: int, act: Activation, dtype: torch.dtype) -> int:
        if self.n_initial is not None:
            return int(self.n_initial)
        n = min(MAX_INITIAL, max(2 * self.n_features, INITIAL_PER_SAMPLE * n_train))
        while n > self.n_features and design_bytes(n_train, n, act, dtype) > MAX_DESIGN_BYTES:
            n = max(self.n_features, int(n * 0.9))
        return n

    def _fit_scaled(self, X_tr, y_tr, X_val, y_val, *, device, dtype, rng, checkpoint=None) -> None:
        start = time.perf_counter()
        act = get_activation(self.activation)
        self.n_initial_ = self._initial_size(X_tr.shape[0], act, dtype)
        Z = standard_normal_features(self.n_initial_, act.feature_dim(X_tr.shape[1]), rng, device)
        self._select_sigma(Z, X_tr, y_tr, X_val, y_val, act)
        Zs = self.sigma_ * Z  # (n_initial, D), float64
        keep = torch.arange(self.n_initial_, device=device)
        rounds: list[tuple[Tensor, float, float]] = []  # (kept indices, train MSE, val MSE)
        n_rounds = max(1, math.ceil(math.log(self.n_initial_ / self.n_features)
                                    / -math.log1p(-self.prune_fraction)) + 1)
        bar = tqdm(total=n_rounds, desc="RF pruning", disable=not self.progress, leave=False)
        while True:
            W = Zs[keep].to(dtype)
            b = ridge_coefficients(design_matrix(X_tr, W, act), y_tr, self.ridge)
            rounds.append((keep, fit_mse(X_tr, y_tr, W, b, act), fit_mse(X_val, y_val, W, b, act)))
            bar.update()
            n = len(keep)
            if n <= self.n_features:
                break
            n_drop = min(max(1, int(self.prune_fraction * n)), n - self.n_features)
            order = torch.argsort(_feature_magnitudes(b, act, n), descending=True, stable=True)
            keep = keep[torch.sort(order[: n - n_drop]).values]  # survivors in draw order
        bar.close()
        val = np.array([r[2] for r in rounds])
        val = np.where(np.isfinite(val), val, np.inf)
        # select_size: the lowest validation MSE, the smaller model on ties.
        kept = len(rounds) - 1 - int(np.argmin(val[::-1])) if self.select_size else len(rounds) - 1
        scale2 = self.y_scale_**2
        self.features_ = to_numpy64(Zs[rounds[kept][0]])
        self.coef_ = self._coef_on_training_split(self.features_)
        self.val_mse_ = float(val[kept] * scale2)
        self.history_ = PruningHistory(
            n_features=np.array([len(r[0]) for r in rounds]),
            train_mse=np.array([r[1] for r in rounds]) * scale2,
            val_mse=val * scale2,
            kept_round=kept,
            wall_seconds=time.perf_counter() - start,
        )
