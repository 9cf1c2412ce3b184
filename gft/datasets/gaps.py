r"""A constructed data set with empty regions in the input box: where a TV-free fit may oscillate.

Real tabular inputs are rarely uniform: they cluster and skew, and a test point can fall
where no training point lies. A 10 % validation split drawn from the same clusters cannot
see those regions, so a fit with :math:`\lambda = 0` is free to oscillate there. This
generator makes the situation on purpose: training inputs in a few tight clusters of
:math:`[0, 1]^d`, noisy labels, and test points drawn uniformly over the box of the training
inputs but kept only where the nearest training input is at least ``gap`` away.

The box is the training inputs' bounding box, the region where GFT's TV term is sampled
(:class:`gft.objective.ReducedObjective`): a test point there lies *between* the clusters.
Points of :math:`[0, 1]^d` outside that box (``test_region="unit"``) ask for extrapolation
beyond the data, which no method here regularises; on draws whose clusters span little of the
square most such test points are of that kind.
"""

from __future__ import annotations

import numpy as np

__all__ = ["clustered_with_gaps", "smooth_target"]

#: Rounds of ``4 * n_test`` candidate test inputs before :func:`clustered_with_gaps` gives up.
_MAX_ROUNDS = 1000


def smooth_target(X: np.ndarray) -> np.ndarray:
    r""":math:`f(x) = \sin(2\pi x_1)\cos(\pi x_2) + x_2^2`, the target of :func:`clustered_with_gaps`."""
    return np.sin(2 * np.pi * X[:, 0]) * np.cos(np.pi * X[:, 1]) + X[:, 1] ** 2


def clustered_with_gaps(
    seed: int = 0, n_train: int = 300, n_test: int = 300, d: int = 2, n_clusters: int = 6,
    spread: float = 0.04, noise: float = 0.1, gap: float = 0.1, test_region: str = "box",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Clustered training inputs with noisy labels, and test inputs in the gaps between them.

    With ``rng = np.random.default_rng(seed)``: ``n_clusters`` centres uniform on
    ``[0.1, 0.9]^d``; ``n_train`` inputs, each a centre plus ``N(0, spread² I)`` (clipped to
    the box); labels :func:`smooth_target` plus ``N(0, noise²)``; test inputs uniform on the
    training inputs' bounding box (``test_region="box"``) or on :math:`[0, 1]^d`
    (``"unit"``), kept where the nearest training input is at least ``gap`` away, noise-free
    labels.

    Parameters
    ----------
    seed : int
    n_train, n_test : int
        Rows of the two sets.
    d : int
        Input dimension.
    n_clusters : int
    spread : float
        Standard deviation of the inputs around their centre.
    noise : float
        Standard deviation of the training labels' noise.
    gap : float
        Smallest distance from a test input to the training inputs.
    test_region : {"box", "unit"}
        Where test inputs are drawn: ``"box"``, the bounding box of the training inputs (the
        gaps between clusters); ``"unit"``, the unit cube, which adds points beyond the data.

    Returns
    -------
    X_train (n_train, d), y_train (n_train,), X_test (n_test, d), y_test (n_test,)

    Raises
    ------
    ValueError
        If ``test_region`` is neither ``"box"`` nor ``"unit"``, or if 1000 rounds of
        ``4 n_test`` candidates hold fewer than ``n_test`` points ``gap`` away from the
        training inputs (a smaller ``gap`` or ``spread`` helps).
    """
    if test_region not in ("box", "unit"):
        raise ValueError(f"test_region must be 'box' or 'unit', got {test_region!r}")
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0.1, 0.9, (n_clusters, d))
    X = np.clip(centres[rng.integers(n_clusters, size=n_train)]
                + spread * rng.standard_normal((n_train, d)), 0.0, 1.0)
    y = smooth_target(X) + noise * rng.standard_normal(n_train)
    low, high = (X.min(0), X.max(0)) if test_region == "box" else (np.zeros(d), np.ones(d))
    kept: list[np.ndarray] = []
    found = 0
    for _ in range(_MAX_ROUNDS):
        cand = rng.uniform(low, high, (4 * n_test, d))
        dist = np.sqrt(((cand[:, None, :] - X[None, :, :]) ** 2).sum(-1)).min(1)
        kept.append(cand[dist >= gap])
        found += len(kept[-1])
        if found >= n_test:
            break
    else:
        raise ValueError(f"found {found} of {n_test} test inputs at least gap={gap} from the training "
                         f"inputs in {_MAX_ROUNDS * 4 * n_test} draws; lower gap or spread")
    X_test = np.concatenate(kept)[:n_test]
    return X, y, X_test, smooth_target(X_test)
