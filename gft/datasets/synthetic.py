"""The twelve synthetic regression settings of the paper (Hertrich & Neumayer) and their target functions.

Every target function maps inputs ``X`` of shape (n, d) (row ``k`` is the point :math:`x_k`) to
the values of shape (n,).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = [
    "Setting",
    "SETTINGS",
    "ID_TO_SETTING",
    "setting_names",
    "get_setting",
    "load_setting",
    "polynomial",
    "ishigami",
    "friedman1",
    "kreuz",
    "kreuz_rotated",
    "kreuz_sheared",
    "sin_sum",
    "shifted_norm",
    "sqrt_friedman1",
    "ROTATION_PI_4",
    "SHEAR_MATRIX",
]

TargetFunction = Callable[[np.ndarray], np.ndarray]

#: The rotation by +pi/4 of column vectors (``R @ x``). Applied to row vectors,
#: ``x @ ROTATION_PI_4`` rotates points by -pi/4, so ``kreuz(x @ ROTATION_PI_4)`` is the graph
#: of ``kreuz`` rotated by +pi/4.
ROTATION_PI_4 = np.array(
    [[np.cos(np.pi / 4), -np.sin(np.pi / 4)], [np.sin(np.pi / 4), np.cos(np.pi / 4)]]
)
#: The matrix of the "sheared" setting, applied to row vectors as ``x @ SHEAR_MATRIX``:
#: symmetric, strictly a stretch by 1.3 along (1, 1) and by 0.7 along (1, -1), not a shear.
SHEAR_MATRIX = np.array([[1.0, 0.3], [0.3, 1.0]])


def _as_inputs(X: np.ndarray, min_dim: int) -> np.ndarray:
    """Return ``X`` as a float64 array of shape (n, d) with ``d >= min_dim``."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] < min_dim:
        raise ValueError(
            f"expected inputs of shape (n, d) with d >= {min_dim}, got shape {X.shape}"
        )
    return X


def polynomial(X: np.ndarray) -> np.ndarray:
    """Polynomial x4^2 + x2 x3 + x1 x2 + x4 (1-based indices).

    Maps ``X`` of shape (n, d), d >= 4, to shape (n,).
    """
    X = _as_inputs(X, 4)
    x1, x2, x3, x4 = X[:, 0], X[:, 1], X[:, 2], X[:, 3]
    return x4**2 + x2 * x3 + x1 * x2 + x4


def ishigami(X: np.ndarray) -> np.ndarray:
    """Ishigami function sin x1 + 7 sin^2 x2 + 0.1 x3^4 sin x1 (1-based indices).

    The settings draw x on [0, 1]^d (the paper's domain), not the usual [-pi, pi]^3.

    Maps ``X`` of shape (n, d), d >= 3, to shape (n,).
    """
    X = _as_inputs(X, 3)
    x1, x2, x3 = X[:, 0], X[:, 1], X[:, 2]
    return np.sin(x1) + 7.0 * np.sin(x2) ** 2 + 0.1 * x3**4 * np.sin(x1)


def friedman1(X: np.ndarray) -> np.ndarray:
    """Friedman 1 function 10 sin(pi x1 x2) + 20 (x3 - 0.5)^2 + 10 x4 + 5 x5 (1-based indices).

    Maps ``X`` of shape (n, d), d >= 5, to shape (n,).
    """
    X = _as_inputs(X, 5)
    x1, x2, x3, x4, x5 = (X[:, i] for i in range(5))
    return 10.0 * np.sin(np.pi * x1 * x2) + 20.0 * (x3 - 0.5) ** 2 + 10.0 * x4 + 5.0 * x5


def kreuz(X: np.ndarray) -> np.ndarray:
    """The "kreuz" function sin(4 pi x1^2 + 1) + cos(4 pi (x2^4 + x2)).

    Maps ``X`` of shape (n, d), d >= 2, to shape (n,).
    """
    X = _as_inputs(X, 2)
    x1, x2 = X[:, 0], X[:, 1]
    return np.sin(4.0 * np.pi * x1**2 + 1.0) + np.cos(4.0 * np.pi * (x2**4 + x2))


def kreuz_rotated(X: np.ndarray) -> np.ndarray:
    """``kreuz(x @ A)`` with ``A = ROTATION_PI_4`` the rotation matrix by pi/4.

    Maps ``X`` of shape (n, d), d >= 2 (columns beyond the second are ignored), to shape (n,).
    """
    X = _as_inputs(X, 2)
    return kreuz(X[:, :2] @ ROTATION_PI_4)


def kreuz_sheared(X: np.ndarray) -> np.ndarray:
    """``kreuz(x @ A)`` with ``A = SHEAR_MATRIX = [[1, 0.3], [0.3, 1]]``.

    Maps ``X`` of shape (n, d), d >= 2 (columns beyond the second are ignored), to shape (n,).
    """
    X = _as_inputs(X, 2)
    return kreuz(X[:, :2] @ SHEAR_MATRIX)


def sin_sum(X: np.ndarray) -> np.ndarray:
    """sin(sum_i x_i) + (sum_i x_i^2)^2 over all d inputs.

    Maps ``X`` of shape (n, d) to shape (n,).
    """
    X = _as_inputs(X, 1)
    return np.sin(X.sum(axis=1)) + (X**2).sum(axis=1) ** 2


def shifted_norm(X: np.ndarray) -> np.ndarray:
    """``sqrt(sum_i |x_i - 0.5|)`` over all d inputs.

    Maps ``X`` of shape (n, d) to shape (n,).
    """
    X = _as_inputs(X, 1)
    return np.sqrt(np.abs(X - 0.5).sum(axis=1))


def sqrt_friedman1(X: np.ndarray) -> np.ndarray:
    """sqrt of the Friedman 1 function (which is non-negative on [0, 1]^d).

    Maps ``X`` of shape (n, d), d >= 5, to shape (n,).
    """
    return np.sqrt(friedman1(X))


@dataclass(frozen=True)
class Setting:
    """One synthetic setting: inputs x ~ U[0, 1]^d, labels y = function(x).

    Attributes
    ----------
    name : str
        Registry name, e.g. ``"friedman1-d5"``.
    id : int
        Setting id 0..11: 0-5 the first table of chapter 04, 6-8 the pictures
        of chapter 03, 9-11 the second table of chapter 04.
    d : int
        Input dimension.
    n_train : int
        Number M of training points; the test set has the same size.
    function : callable
        Target, maps an array of shape (n, d) to shape (n,).
    description : str
        Formula in words.
    """

    name: str
    id: int
    d: int
    n_train: int
    function: TargetFunction
    description: str

    @property
    def n_test(self) -> int:
        """Number of test points (equal to ``n_train``)."""
        return self.n_train


_SETTING_LIST = [
    Setting("polynomial-d5", 0, 5, 300, polynomial, "x4^2 + x2 x3 + x1 x2 + x4"),
    Setting("polynomial-d10", 1, 10, 500, polynomial, "x4^2 + x2 x3 + x1 x2 + x4"),
    Setting("ishigami-d5", 2, 5, 500, ishigami, "sin x1 + 7 sin^2 x2 + 0.1 x3^4 sin x1"),
    Setting("ishigami-d10", 3, 10, 1000, ishigami, "sin x1 + 7 sin^2 x2 + 0.1 x3^4 sin x1"),
    Setting(
        "friedman1-d5", 4, 5, 500, friedman1,
        "10 sin(pi x1 x2) + 20 (x3 - 0.5)^2 + 10 x4 + 5 x5",
    ),
    Setting(
        "friedman1-d10", 5, 10, 200, friedman1,
        "10 sin(pi x1 x2) + 20 (x3 - 0.5)^2 + 10 x4 + 5 x5",
    ),
    Setting("kreuz", 6, 2, 2000, kreuz, "sin(4 pi x1^2 + 1) + cos(4 pi (x2^4 + x2))"),
    Setting("kreuz-rotated", 7, 2, 2000, kreuz_rotated, "kreuz(x A), A = rotation by pi/4"),
    Setting(
        "kreuz-sheared", 8, 2, 2000, kreuz_sheared, "kreuz(x A), A = [[1, 0.3], [0.3, 1]]"
    ),
    Setting("sin-sum-d10", 9, 10, 1000, sin_sum, "sin(sum x_i) + (sum x_i^2)^2"),
    Setting("shifted-norm-d20", 10, 20, 1000, shifted_norm, "sqrt(sum |x_i - 0.5|)"),
    Setting("sqrt-friedman1-d5", 11, 5, 500, sqrt_friedman1, "sqrt(Friedman 1)"),
]

#: Setting name -> :class:`Setting`, in id order.
SETTINGS: dict[str, Setting] = {setting.name: setting for setting in _SETTING_LIST}
#: Setting id (0..11) -> :class:`Setting`.
ID_TO_SETTING: dict[int, Setting] = {setting.id: setting for setting in _SETTING_LIST}


def setting_names() -> list[str]:
    """Names of the synthetic settings, ordered by id.

    Returns
    -------
    list of str
    """
    return list(SETTINGS)


def get_setting(name: str | int) -> Setting:
    """Look up a setting by name or id.

    Parameters
    ----------
    name : str or int
        A key of :data:`SETTINGS` or an id 0..11.

    Returns
    -------
    Setting

    Raises
    ------
    ValueError
        If no setting has that name or id; the message lists the valid names.
    """
    if isinstance(name, (int, np.integer)) and not isinstance(name, bool):
        if int(name) in ID_TO_SETTING:
            return ID_TO_SETTING[int(name)]
    elif isinstance(name, str) and name in SETTINGS:
        return SETTINGS[name]
    raise ValueError(
        f"Unknown setting {name!r}. Must be one of {setting_names()} "
        f"or an id in 0..{len(SETTINGS) - 1}"
    )


def load_setting(
    name: str | int, seed: int = 0, noise: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Draw training and test data of a synthetic setting.

    With ``rng = np.random.default_rng(seed)``, the draws are, in this order:
    ``X_train`` (M x d uniform on [0, 1]), ``X_test`` (M x d, a fresh draw of
    the same size) and, only if ``noise > 0``, the label noise. The inputs
    therefore do not depend on ``noise``.

    Parameters
    ----------
    name : str or int
        Setting name (see :func:`setting_names`) or id 0..11.
    seed : int, default 0
        Seed of the NumPy generator.
    noise : float, default 0.0
        Standard deviation sigma of Gaussian N(0, sigma^2) noise added to the
        **training** labels only; the test labels stay noise-free so that the
        test MSE measures the distance to the target function.

    Returns
    -------
    X_train : ndarray, shape (M, d), float64
    y_train : ndarray, shape (M,), float64
    X_test : ndarray, shape (M, d), float64
    y_test : ndarray, shape (M,), float64

    Raises
    ------
    ValueError
        For an unknown setting or a negative ``noise``.
    """
    setting = get_setting(name)
    if not noise >= 0.0:
        raise ValueError(f"noise must be a non-negative standard deviation, got {noise!r}")
    rng = np.random.default_rng(seed)
    X_train = rng.random((setting.n_train, setting.d))
    X_test = rng.random((setting.n_test, setting.d))
    y_train = setting.function(X_train)
    y_test = setting.function(X_test)
    if noise > 0.0:
        y_train = y_train + noise * rng.standard_normal(setting.n_train)
    return X_train, y_train, X_test, y_test
