r"""The end-to-end trained network: the same thin 2-layer model, ``W`` and ``b`` trained jointly with Adam."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from sklearn.utils._param_validation import StrOptions
from torch import Tensor

from ..estimators import FeatureRegressorBase
from ..features import TWO_PI, Activation, design_matrix, get_activation, predict_from_features
from ..regularizers import monte_carlo_tv
from ..ridge import ridge_coefficients
from ..training import optimise_keeping_best
from ._common import (
    TRAINED_FEATURE_CONSTRAINTS,
    TRAINED_FEATURE_PRESETS,
    pytorch_uniform,
    standard_normal_features,
    to_numpy64,
)
from .random_features import initial_scale

__all__ = ["NNRegressor", "NetworkObjective", "NetworkParameters", "network_output"]

INITS = ("pytorch", "rff")
INIT_COEFS = ("ridge", "zeros")


class NetworkParameters:
    r"""The parameterisation of :func:`gft.optimise` for end-to-end training: ``W`` and ``b / s``.

    ``W`` of shape (N, D); the output weights are trained as :math:`v = b/s` of shape (P,),
    stored as a real (P, 2) tensor when complex (so that Adam's fused kernel applies; Adam on
    the real view treats real and imaginary parts as two real parameters, as it does for
    complex tensors). Adam's step is about ``lr`` per coordinate of what it trains, so ``s``
    sets the units of the output layer's steps: ``s = N`` trains the weights of PyTorch's
    ``nn.Linear(N, 1)`` (:math:`f = \sum_l v_l \Phi_l`, since :math:`A` carries ``1/N``),
    ``s = 1`` the ``b`` of the book's ``1/N``-scaled model. The "features" handed to the
    objective are the pair ``(W, b)``.
    """

    def __init__(self, W: Tensor, b: Tensor, coef_scale: float = 1.0):
        self.W = W.detach().clone().requires_grad_(True)
        self.is_complex = b.is_complex()
        self.coef_scale = float(coef_scale)
        v = b.detach() / self.coef_scale
        v = torch.view_as_real(v) if self.is_complex else v
        self.b = v.clone(memory_format=torch.contiguous_format).requires_grad_(True)

    def coefficients(self) -> Tensor:
        v = torch.view_as_complex(self.b) if self.is_complex else self.b
        return v * self.coef_scale if self.coef_scale != 1.0 else v

    def parameters(self) -> list[Tensor]:
        return [self.W, self.b]

    def train_features(self) -> tuple[Tensor, Tensor]:
        return self.W, self.coefficients()

    val_features = train_features

    def snapshot(self) -> tuple[Tensor, Tensor]:
        return self.W.detach().clone(), self.b.detach().clone()

    def restore(self, state: tuple[Tensor, Tensor]) -> None:
        with torch.no_grad():
            self.W.copy_(state[0])
            self.b.copy_(state[1])


def network_output(X: Tensor, W: Tensor, b: Tensor, activation: str | Activation) -> Tensor:
    r""":math:`f(x) = \mathrm{Re}(A(x)\,b)` of shape (M,), as :func:`gft.features.predict_from_features`.

    For ``fourier`` in real arithmetic, :math:`f = (\cos(2\pi t)\,u - \sin(2\pi t)\,v)/N`
    with :math:`t = XW^\top`, :math:`b = u + iv`: the same value, and a backward pass without
    complex kernels (about twice as fast as autograd through the complex design matrix).
    """
    act = get_activation(activation)
    if act.name != "fourier":
        return predict_from_features(X, W, b, act)
    s = TWO_PI * (X @ W.mT)  # (M, N)
    uv = torch.view_as_real(b)  # (N, 2)
    return (torch.cos(s) @ uv[:, 0] - torch.sin(s) @ uv[:, 1]) / W.shape[-2]


@dataclass
class NetworkObjective:
    r""":math:`L(w, b) = \frac1M\|\mathrm{Re}(A(w)b) - y\|^2 + \lambda\,\mathrm{TV}(w, b)`, ``b`` free.

    The interface of :class:`gft.ReducedObjective` (called on the "features" ``(W, b)`` it
    returns loss, MSE and TV; :meth:`validation_mse`), so that :func:`gft.optimise` drives
    it. TV by :func:`gft.regularizers.monte_carlo_tv` at ``n_tv_points`` points redrawn each call, uniform over the box of ``X``.
    """

    X: Tensor
    y: Tensor
    activation: str | Activation = "fourier"
    tv_weight: float = 0.0
    n_tv_points: int = 1000
    X_val: Tensor | None = None
    y_val: Tensor | None = None

    def __post_init__(self) -> None:
        self.activation = get_activation(self.activation)
        self.low = self.X.min(0).values
        self.high = self.X.max(0).values

    def __call__(
        self, params: tuple[Tensor, Tensor], generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor, Tensor]:
        W, b = params
        mse = (network_output(self.X, W, b, self.activation) - self.y).square().mean()
        if self.tv_weight == 0:
            return mse, mse, torch.zeros_like(mse)
        tv = monte_carlo_tv(W, b, self.low, self.high, self.n_tv_points, self.activation, generator)
        return mse + self.tv_weight * tv, mse, tv

    @torch.no_grad()
    def validation_mse(self, params: tuple[Tensor, Tensor]) -> Tensor:
        """MSE of the network on the validation data, a 0-dim tensor."""
        if self.X_val is None or self.y_val is None:
            raise ValueError("NetworkObjective has no validation data")
        W, b = params
        return (network_output(self.X_val, W, b, self.activation) - self.y_val).square().mean()


class NNRegressor(FeatureRegressorBase):
    r"""The thin 2-layer network trained end to end: Adam on ``W`` and ``b`` jointly.

    .. math:: \min_{w, b}\ \frac1M\sum_k\big(\mathrm{Re}\,(A(w)b)_k - y_k\big)^2 + \lambda\,\mathrm{TV}(w, b),
              \qquad A_{kl} = \Phi(\langle w_l, \tilde x_k\rangle)/N,

    the model of :class:`gft.GFTRegressor` (same :math:`\Phi`, input bias, ``1/N`` scaling,
    complex ``b`` for ``fourier``, constant column for bias activations), full batch, the
    iterate with the best validation MSE kept (:func:`gft.optimise`: NaN loss raises
    :class:`gft.TrainingDivergedError` after restoring it; Ctrl-C keeps it and warns).

    Initialisation (``init``):

    - ``"pytorch"`` (the default, the paper's baseline): PyTorch's default initialisation of
      the two layers ``nn.Linear(d, N)`` and ``nn.Linear(N', 1)`` (``N'`` hidden outputs:
      ``N``, or ``2N`` for ``fourier-real``): input weights and input bias
      :math:`\sim U(-1/\sqrt d, 1/\sqrt d)`, output weights and output bias
      :math:`v \sim U(-1/\sqrt{N'}, 1/\sqrt{N'})` (real and imaginary parts alike for
      complex ``b``), and Adam trains :math:`v = b/N`, the weights of that network, so that
      ``lr`` means what it means for a PyTorch model.
    - ``"rff"``: start from the best random-feature model of this draw: :math:`w_l = s z_l`,
      :math:`z_l \sim N(0, I_D)` (the draw of :class:`RFFRegressor` with ``sigma=s``;
      ``init_scale=None`` takes the scale of ``DEFAULT_SIGMA_GRIDS[activation]`` that
      validates best), ``b`` the ridge solution for that ``W`` (``init_coef="ridge"``) or
      zero, and Adam trains ``b`` itself. Such a network often cannot improve on its start at
      lr 1e-3: its best validation is then step 0 and it reports the RFF model.

    Parameters
    ----------
    n_features : int
        ``N`` hidden units.
    activation : {"fourier", "fourier-real", "sigmoid", "relu", "cosine"}
    tv_weight : float
        :math:`\lambda`, in the units of ``y``.
    ridge : float
        :math:`\delta` of the initial ridge solve (not part of the trained loss).
    steps : int
        Adam steps.
    lr : float
    init : {"pytorch", "rff"}
        The initialisation above.
    init_scale : float or None
        ``s`` of ``init="rff"``; ``None`` chooses it on the validation split.
    init_coef : {"ridge", "zeros"}
        ``b`` of ``init="rff"``.
    n_tv_points : int
    validation_fraction : float
    val_every : int
    dtype : {"float32", "float64"}
        Precision of the whole training, the output weights included (default ``"float64"``).
    device, random_state, progress
        As in :class:`gft.GFTRegressor`.

    Attributes
    ----------
    features_ : ndarray of shape (N, D)
    coef_ : ndarray of shape (P,)
        The trained output weights (not re-solved), in units of ``y / y_scale_``.
    history_ : TrainingHistory
    init_scale_ : float
        The initial scale ``s`` of ``init="rff"`` (NaN for ``"pytorch"``).
    val_mse_ : float
        Best validation MSE (units of ``y²``).
    """

    #: ``paper``: lr 1e-3 and 100 000 full-batch steps (the paper's NN baseline); ``book``
    #: (``baselines._common.TRAINED_FEATURE_PRESETS``): some 10-30 s at M = 500.
    presets: dict[str, dict[str, Any]] = {
        **TRAINED_FEATURE_PRESETS,
        "paper": dict(steps=100_000, lr=1e-3, n_tv_points=1000, val_every=200),
    }

    _parameter_constraints: dict[str, list[Any]] = {
        **FeatureRegressorBase._parameter_constraints,
        **TRAINED_FEATURE_CONSTRAINTS,
        "init": [StrOptions(set(INITS))],
        "init_coef": [StrOptions(set(INIT_COEFS))],
    }

    def __init__(
        self,
        n_features: int = 100,
        activation: str = "fourier",
        tv_weight: float = 0.0,
        ridge: float = 1e-7,
        steps: int = 6000,
        lr: float = 1e-3,
        init: str = "pytorch",
        init_scale: float | None = None,
        init_coef: str = "ridge",
        n_tv_points: int = 1000,
        validation_fraction: float = 0.1,
        val_every: int = 100,
        dtype: str = "float64",
        device: str = "auto",
        random_state: Any = None,
        progress: bool = True,
    ):
        self.n_features = n_features
        self.activation = activation
        self.tv_weight = tv_weight
        self.ridge = ridge
        self.steps = steps
        self.lr = lr
        self.init = init
        self.init_scale = init_scale
        self.init_coef = init_coef
        self.n_tv_points = n_tv_points
        self.validation_fraction = validation_fraction
        self.val_every = val_every
        self.dtype = dtype
        self.device = device
        self.random_state = random_state
        self.progress = progress

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # From PyTorch's initialisation a Fourier feature turns about once per unit of a
        # standardised input: on scikit-learn's 10-d linear check data (180 rows) the network
        # fits its training rows and its validation error never drops below the start's.
        tags.regressor_tags.poor_score = self.init == "pytorch"
        return tags

    def _check_params(self) -> None:
        super()._check_params()
        if self.init == "pytorch" and self.init_scale is not None:
            self._invalid("init_scale", 'None with init="pytorch" (the scale belongs to init="rff")')

    def _initial_coefficients(self, X_tr: Tensor, y_tr: Tensor, W: Tensor, act: Activation) -> Tensor:
        if self.init_coef == "ridge":
            return ridge_coefficients(design_matrix(X_tr, W, act), y_tr, self.ridge)
        dtype = W.dtype.to_complex() if act.complex else W.dtype
        return torch.zeros(act.n_columns(W.shape[0]), dtype=dtype, device=W.device)

    def _initial_network(self, X_tr, y_tr, X_val, y_val, act: Activation, dtype, rng) -> NetworkParameters:
        d, N = X_tr.shape[1], self.n_features
        if self.init == "rff":
            Z = standard_normal_features(N, act.feature_dim(d), rng, X_tr.device)
            self.init_scale_ = initial_scale(self.init_scale, Z, X_tr, y_tr, X_val, y_val, act,
                                             self.ridge, self.progress)
            W0 = (self.init_scale_ * Z).to(dtype)
            return NetworkParameters(W0, self._initial_coefficients(X_tr, y_tr, W0, act))
        self.init_scale_ = math.nan
        W0 = pytorch_uniform((N, act.feature_dim(d)), d, rng, X_tr.device).to(dtype)
        fan_in = act.n_columns(N) - int(act.bias)  # the output layer's inputs, its bias aside
        shape = (act.n_columns(N), 2) if act.complex else (act.n_columns(N),)
        v = pytorch_uniform(shape, fan_in, rng, X_tr.device).to(dtype)
        v = torch.view_as_complex(v) if act.complex else v
        return NetworkParameters(W0, N * v, coef_scale=N)

    def _fit_scaled(self, X_tr, y_tr, X_val, y_val, *, device, dtype, rng, checkpoint=None) -> None:
        act = get_activation(self.activation)
        params = self._initial_network(X_tr, y_tr, X_val, y_val, act, dtype, rng)
        objective = NetworkObjective(
            X_tr, y_tr, act, self._scaled_tv_weight(), self.n_tv_points, X_val, y_val
        )
        self.history_, error = optimise_keeping_best(
            params, objective, self.steps, self.lr, val_every=self.val_every, rng=rng,
            progress=self.progress, name="NN", checkpoint=checkpoint,
        )
        W, b = params.train_features()
        self.features_ = to_numpy64(W)
        self.coef_ = to_numpy64(b)
        self.val_mse_ = float(objective.validation_mse((W, b))) * self.y_scale_**2
        if error is not None:
            raise error
