r"""Random versus learned first-layer features: random-features ridge regression, large gradient steps, Marchenko–Pastur, feature kernels.

Symbols (those of the random-features literature this module follows, not the book's
notation page): ``n`` samples :math:`x\sim N(0, I_d)` in ``d`` dimensions, ``N`` hidden
features, ``R`` ridges; in :func:`double_descent` ``n_widths`` widths and ``T`` draws. The two-layer network and its random-features model are

.. math::  f(x) = \frac{1}{\sqrt N}\sum_{j=1}^N a_j\,\sigma(\langle w_j, x\rangle),\qquad
           F = \sigma(XW^\top)/\sqrt N \in \mathbb R^{n\times N},

with :math:`w_j\sim N(0, I_d/d)` and :math:`a_j\sim N(0, 1/N)` at initialisation. A (full-batch)
gradient step of size :math:`\eta` on the first layer of the loss
:math:`\frac1{2n}\|y - f(X)\|^2`, scaled by :math:`\sqrt N` (the scaling under which
:math:`\eta\asymp1` already moves the spectrum), is :math:`W \leftarrow W + \eta\,G` with

.. math::  G = \frac1n \big[(y - f(X))\,a^\top \odot \sigma'(XW^\top)\big]^\top X \in\mathbb R^{N\times d}.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from .._progress import progress_bar as tqdm

__all__ = [
    "FEATURE_ACTIVATIONS",
    "TARGET_LINKS",
    "single_index_target",
    "init_two_layer",
    "network_output",
    "first_layer_gradient",
    "gradient_steps",
    "marchenko_pastur_edges",
    "marchenko_pastur_singular_density",
    "singular_alignment",
    "random_features",
    "ridge_fit",
    "ridge_path_predictions",
    "DoubleDescentResult",
    "double_descent",
    "feature_kernel",
    "kernel_eigen_alignment",
]

Array = np.ndarray

#: Activations :math:`(\sigma, \sigma')` by name.
FEATURE_ACTIVATIONS: dict[str, tuple[Callable[[Array], Array], Callable[[Array], Array]]] = {
    "relu": (lambda t: np.maximum(t, 0.0), lambda t: (t > 0).astype(t.dtype)),
    "tanh": (np.tanh, lambda t: 1.0 - np.tanh(t) ** 2),
}

#: Links :math:`\sigma^*` of single-index targets, in Hermite polynomials :math:`He_k`.
TARGET_LINKS: dict[str, Callable[[Array], Array]] = {
    "he1": lambda t: t,
    "he2": lambda t: (t**2 - 1.0) / math.sqrt(2.0),
    "he1+he2": lambda t: t + (t**2 - 1.0) / 2.0,
}


def _lookup(table: dict, name: str, what: str):
    try:
        return table[name]
    except (KeyError, TypeError):
        raise ValueError(f"Invalid {what} {name!r}. Must be one of {sorted(table)}") from None


def single_index_target(X: Array, beta: Array, link: str = "he1+he2") -> Array:
    r"""Single-index target :math:`y = \sigma^*(\langle\beta, x\rangle)`.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    beta : ndarray of shape (d,)
        The index direction, of unit norm.
    link : {"he1", "he2", "he1+he2"}
        :math:`\sigma^*`, a key of :data:`TARGET_LINKS`.

    Returns
    -------
    ndarray of shape (n,)
    """
    return _lookup(TARGET_LINKS, link, "link")(X @ beta)


def init_two_layer(n_features: int, dim: int, rng: np.random.Generator) -> tuple[Array, Array]:
    r"""Initial weights of the two-layer network, i.i.d. Gaussian.

    Parameters
    ----------
    n_features : int
        ``N``.
    dim : int
        ``d``.
    rng : numpy.random.Generator

    Returns
    -------
    W0 : ndarray of shape (N, d)
        Entries :math:`N(0, 1/d)`.
    a : ndarray of shape (N,)
        Entries :math:`N(0, 1/N)`.
    """
    W = rng.standard_normal((n_features, dim)) / math.sqrt(dim)
    a = rng.standard_normal(n_features) / math.sqrt(n_features)
    return W, a


def network_output(X: Array, W: Array, a: Array, activation: str = "relu") -> Array:
    r"""The network's output :math:`f(X) = \sigma(XW^\top)a/\sqrt N`.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    W : ndarray of shape (N, d)
    a : ndarray of shape (N,)
    activation : {"relu", "tanh"}
        :math:`\sigma`, a key of :data:`FEATURE_ACTIVATIONS`.

    Returns
    -------
    ndarray of shape (n,)
    """
    sigma, _ = _lookup(FEATURE_ACTIVATIONS, activation, "activation")
    return sigma(X @ W.T) @ a / math.sqrt(W.shape[0])


def first_layer_gradient(X: Array, y: Array, W: Array, a: Array, activation: str = "relu") -> Array:
    r"""Descent direction :math:`G = -\sqrt N\,\nabla_W \frac1{2n}\|y-f(X)\|^2 = \frac1n[(y-f)a^\top\odot\sigma'(XW^\top)]^\top X`.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    W : ndarray of shape (N, d)
    a : ndarray of shape (N,)
    activation : {"relu", "tanh"}

    Returns
    -------
    ndarray of shape (N, d)
    """
    _, dsigma = _lookup(FEATURE_ACTIVATIONS, activation, "activation")
    pre = X @ W.T  # (n, N)
    residual = y - network_output(X, W, a, activation)  # (n,)
    return (dsigma(pre) * residual[:, None] * a[None, :]).T @ X / X.shape[0]


def gradient_steps(
    W0: Array,
    a: Array,
    batches: Sequence[tuple[Array, Array]],
    step_sizes: Sequence[float],
    activation: str = "relu",
) -> list[Array]:
    r"""Successive first-layer steps :math:`W_{t+1} = W_t + \eta_t G(X_t, y_t, W_t)` (``a`` fixed).

    Parameters
    ----------
    W0 : ndarray of shape (N, d)
    a : ndarray of shape (N,)
    batches : sequence of (X (n, d), y (n,))
        The batch of each step; pass the same batch twice to reuse it.
    step_sizes : sequence of float
        :math:`\eta_t`, one per batch.

    Returns
    -------
    list of ndarray of shape (N, d)
        :math:`[W_1, \dots, W_T]`.
    """
    if len(batches) != len(step_sizes):
        raise ValueError(f"need one step size per batch, got {len(step_sizes)} for {len(batches)}")
    W, out = W0, []
    for (X, y), eta in zip(batches, step_sizes):
        W = W + eta * first_layer_gradient(X, y, W, a, activation)
        out.append(W)
    return out


def marchenko_pastur_edges(n_rows: int, n_cols: int, variance: float = 1.0) -> tuple[float, float]:
    r"""Edges of the limiting singular-value support of a ``p × q`` matrix with i.i.d. entries of variance :math:`\sigma^2`.

    Parameters
    ----------
    n_rows, n_cols : int
        ``p`` and ``q``.
    variance : float
        :math:`\sigma^2`.

    Returns
    -------
    (float, float)
        :math:`\sigma\,|\sqrt p - \sqrt q|` and :math:`\sigma(\sqrt p + \sqrt q)`.
    """
    s = math.sqrt(variance)
    return s * abs(math.sqrt(n_rows) - math.sqrt(n_cols)), s * (math.sqrt(n_rows) + math.sqrt(n_cols))


def marchenko_pastur_singular_density(
    s: Array, n_rows: int, n_cols: int, variance: float = 1.0
) -> Array:
    r"""Limiting density of the :math:`\min(p, q)` singular values of a ``p × q`` matrix with i.i.d. entries of variance :math:`\sigma^2`.

    With :math:`q\ge p`, :math:`c = p/q` and :math:`\lambda = s^2/q`, the eigenvalues of
    :math:`XX^\top/q` have the Marchenko–Pastur density
    :math:`\rho(\lambda) = \sqrt{(\lambda_+-\lambda)(\lambda-\lambda_-)}/(2\pi\sigma^2 c\lambda)`,
    :math:`\lambda_\pm=\sigma^2(1\pm\sqrt c)^2`; the singular values then have density
    :math:`\rho(s^2/q)\,2s/q`.

    Parameters
    ----------
    s : array_like
        Where to evaluate the density.
    n_rows, n_cols, variance
        As in :func:`marchenko_pastur_edges`.

    Returns
    -------
    ndarray of the shape of ``s``
        Zero outside the support.
    """
    p, q = sorted((n_rows, n_cols))
    c = p / q
    s = np.asarray(s, dtype=float)
    lam = s**2 / q
    lo, hi = variance * (1 - math.sqrt(c)) ** 2, variance * (1 + math.sqrt(c)) ** 2
    inside = (lam > lo) & (lam < hi)
    rho = np.zeros_like(lam)
    rho[inside] = np.sqrt((hi - lam[inside]) * (lam[inside] - lo)) / (2 * np.pi * variance * c * lam[inside])
    return rho * 2 * s / q


def singular_alignment(W: Array, direction: Array, k: int = 1) -> tuple[Array, Array]:
    r"""Top-``k`` singular values of ``W`` and the alignment of their right singular vectors with a direction.

    Parameters
    ----------
    W : ndarray of shape (N, d)
    direction : ndarray of shape (d,)
        :math:`\beta`, of unit norm.
    k : int

    Returns
    -------
    singular_values : ndarray of shape (k,)
        Decreasing.
    alignment : ndarray of shape (k,)
        :math:`|\langle v_i, \beta\rangle|` for the right singular vectors :math:`v_i`.
    """
    _, s, Vt = np.linalg.svd(W, full_matrices=False)
    return s[:k], np.abs(Vt[:k] @ direction)


def random_features(X: Array, W: Array, activation: str = "relu") -> Array:
    r"""Feature matrix :math:`F = \sigma(XW^\top)/\sqrt N`.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    W : ndarray of shape (N, d)
    activation : {"relu", "tanh"}

    Returns
    -------
    ndarray of shape (n, N)
    """
    sigma, _ = _lookup(FEATURE_ACTIVATIONS, activation, "activation")
    return sigma(X @ W.T) / math.sqrt(W.shape[0])


def ridge_fit(F: Array, y: Array, ridge: float) -> Array:
    r"""Second-layer ridge solution :math:`\arg\min_a \frac1n\|y - Fa\|^2 + \lambda\|a\|^2`, shape (N,).

    :math:`a = (F^\top F + n\lambda I)^{-1}F^\top y = F^\top(FF^\top + n\lambda I)^{-1}y` (the smaller
    system is solved); ``ridge = 0`` gives the minimum-norm least-squares solution.

    Parameters
    ----------
    F : ndarray of shape (n, N)
    y : ndarray of shape (n,)
    ridge : float >= 0
        :math:`\lambda`.

    Returns
    -------
    ndarray of shape (N,)
    """
    if ridge < 0:
        raise ValueError(f"ridge must be >= 0, got {ridge!r}")
    n, N = F.shape
    if ridge == 0:
        return np.linalg.lstsq(F, y, rcond=None)[0]
    if N <= n:
        return np.linalg.solve(F.T @ F + n * ridge * np.eye(N), F.T @ y)
    return F.T @ np.linalg.solve(F @ F.T + n * ridge * np.eye(n), y)


def ridge_path_predictions(F: Array, y: Array, F_test: Array, ridges: Sequence[float]) -> Array:
    r"""Test predictions of :func:`ridge_fit` for every ridge from one thin SVD :math:`F = USV^\top`.

    :math:`a_\lambda = V\,\mathrm{diag}(s/(s^2+n\lambda))\,U^\top y`; for :math:`\lambda = 0` the
    singular values below :math:`10^{-12} s_1\max(n, N)` are dropped (pseudo-inverse).

    Parameters
    ----------
    F : ndarray of shape (n, N)
    y : ndarray of shape (n,)
    F_test : ndarray of shape (n_test, N)
    ridges : sequence of float >= 0, length R

    Returns
    -------
    ndarray of shape (R, n_test)
    """
    n = F.shape[0]
    U, s, Vt = np.linalg.svd(F, full_matrices=False)
    Uy = U.T @ y  # (r,)
    test_V = F_test @ Vt.T  # (n_test, r)
    cutoff = s[0] * 1e-12 * max(F.shape)
    out = []
    for lam in ridges:
        if lam < 0:
            raise ValueError(f"ridges must be >= 0, got {lam!r}")
        if lam == 0:
            gain = np.where(s > cutoff, 1.0 / np.where(s > cutoff, s, 1.0), 0.0)
        else:
            gain = s / (s**2 + n * lam)
        out.append(test_V @ (gain * Uy))
    return np.stack(out)


@dataclass
class DoubleDescentResult:
    r"""Test errors of random-features ridge regression over widths, ridges and feature draws.

    Attributes
    ----------
    n_features : ndarray of shape (n_widths,)
    ridges : ndarray of shape (R,)
    test_mse : ndarray of shape (n_widths, R, T)
        Test MSE against the test targets, per draw of the first layer.
    bias_sq : ndarray of shape (n_widths, R)
        MSE of the draw-averaged predictor.
    variance : ndarray of shape (n_widths, R)
        Mean over the test points of the variance over draws; ``test_mse.mean(-1) = bias_sq + variance``.
    """

    n_features: np.ndarray
    ridges: np.ndarray
    test_mse: np.ndarray
    bias_sq: np.ndarray
    variance: np.ndarray


def double_descent(
    X: Array,
    y: Array,
    X_test: Array,
    y_test: Array,
    n_features: Sequence[int],
    ridges: Sequence[float],
    n_draws: int,
    rng: np.random.Generator,
    activation: str = "relu",
    progress: bool = False,
) -> DoubleDescentResult:
    r"""Random-features ridge regression for every width in ``n_features`` and ridge in ``ridges``.

    For each width ``N`` and draw, :math:`W` has i.i.d. :math:`N(0, 1/d)` entries, the features
    are :func:`random_features`, and the second layer is :func:`ridge_fit` on ``(X, y)``.

    Parameters
    ----------
    X, y : ndarray of shape (n, d), (n,)
    X_test, y_test : ndarray of shape (n_test, d), (n_test,)
    n_features : sequence of int, length n_widths
    ridges : sequence of float >= 0, length R
    n_draws : int
        Independent first layers per width (``T``).
    """
    d = X.shape[1]
    n_widths, R = len(n_features), len(ridges)
    test_mse, bias_sq, variance = (np.zeros((n_widths, R, n_draws)), np.zeros((n_widths, R)),
                                   np.zeros((n_widths, R)))
    for i, N in enumerate(tqdm(n_features, desc="widths", disable=not progress, leave=False)):
        preds = np.zeros((R, n_draws, X_test.shape[0]))
        for r in range(n_draws):
            W = rng.standard_normal((int(N), d)) / math.sqrt(d)
            F, F_test = random_features(X, W, activation), random_features(X_test, W, activation)
            preds[:, r] = ridge_path_predictions(F, y, F_test, ridges)
        test_mse[i] = ((preds - y_test) ** 2).mean(-1)
        bias_sq[i] = ((preds.mean(1) - y_test) ** 2).mean(-1)
        variance[i] = preds.var(1).mean(-1)
    return DoubleDescentResult(
        np.asarray(n_features), np.asarray(ridges, dtype=float), test_mse, bias_sq, variance
    )


def feature_kernel(X1: Array, X2: Array, W: Array, activation: str = "relu") -> Array:
    r"""Kernel of the features, :math:`k(x, x') = \frac1N\sum_j\sigma(\langle w_j,x\rangle)\sigma(\langle w_j,x'\rangle)`.

    Parameters
    ----------
    X1 : ndarray of shape (n1, d)
    X2 : ndarray of shape (n2, d)
    W : ndarray of shape (N, d)
    activation : {"relu", "tanh"}

    Returns
    -------
    ndarray of shape (n1, n2)
    """
    return random_features(X1, W, activation) @ random_features(X2, W, activation).T


def kernel_eigen_alignment(K: Array, probes: dict[str, Array], k: int = 10) -> tuple[Array, dict[str, Array]]:
    r"""Top-``k`` eigenpairs of a Gram matrix and the alignment of the eigenvectors with probe functions.

    Parameters
    ----------
    K : ndarray of shape (n, n)
        Symmetric Gram matrix :math:`k(x_a, x_b)` on sample points.
    probes : dict of name -> ndarray of shape (n,)
        Functions evaluated at the same points (e.g. :math:`\langle\beta,x\rangle`); each is
        centred and normalised before the cosine is taken.

    Returns
    -------
    eigenvalues : ndarray of shape (k,)
        Decreasing.
    alignment : dict of name -> ndarray of shape (k,)
        :math:`|\cos(v_i, p)|` for the top-``k`` eigenvectors :math:`v_i`.
    """
    ev, V = np.linalg.eigh(K)
    order = np.argsort(ev)[::-1][:k]
    ev, V = ev[order], V[:, order]
    alignment = {}
    for name, p in probes.items():
        p = np.asarray(p, dtype=float) - np.mean(p)
        alignment[name] = np.abs(V.T @ p) / np.linalg.norm(p)
    return ev, alignment
