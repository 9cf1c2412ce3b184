r""":class:`GFTRegressorCV`: the TV weight :math:`\lambda` (and optionally the ridge :math:`\delta`) chosen by held-out error, every candidate trained in one batched run."""

from __future__ import annotations

import math
import numbers
import os
import time
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.model_selection import check_cv
from sklearn.utils import check_consistent_length, check_random_state, column_or_1d
from sklearn.utils._param_validation import InvalidParameterError, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .estimators import GFTRegressor, _fit_batched, _interrupted, _resumed_seconds, _warn_if_unseeded, fit_batched
from .presets import PRESETS, get_preset
from .training import TrainingDivergedError, TrainingInterruptedWarning

__all__ = ["GFTRegressorCV"]

#: The protocol's grid of TV weights (Hertrich & Neumayer).
DEFAULT_TV_WEIGHTS = (0.0, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)


class GFTRegressorCV(RegressorMixin, BaseEstimator):
    r""":class:`GFTRegressor` with the TV weight :math:`\lambda` selected on held-out data.

    ``fit`` trains one :class:`GFTRegressor` per candidate :math:`\lambda` (or pair
    :math:`(\lambda, \delta)` when ``ridges`` is given) and fold, all in one
    vectorised run (:func:`gft.estimators.fit_batched`), and selects :math:`\lambda` by the
    mean held-out MSE over the folds — separately for GFT (the generator: a fresh feature
    draw, ``b`` re-solved; mean over ``n_val_draws`` draws) and GFT-r (the refined
    features) — then refits at the selected weights on all rows, again in one run. This is
    the estimator to use on your own data: a 10 % validation split cannot see the regions
    of the input box where no training point lies, and there a fit with :math:`\lambda = 0`
    can oscillate freely; cross-validation over :math:`\lambda` sees more of the data, and
    the TV term, sampled over the whole box of the inputs, smooths such regions when the
    folds choose :math:`\lambda > 0` (chapter 06 measures it on inputs with gaps). Folds
    cannot rank candidates by their behaviour in the gaps, though, so choosing the ridge by
    them too (``ridges=``) is no remedy there.

    Like :class:`GFTRegressor` it expects inputs of order one and centred targets (see its
    Notes): standardise both, e.g. ``TransformedTargetRegressor(make_pipeline(StandardScaler(),
    GFTRegressorCV()), transformer=StandardScaler())``.

    Parameters
    ----------
    tv_weights : sequence of float
        Candidate :math:`\lambda \geq 0` (the protocol's grid by default).
    ridges : sequence of float or None, default None
        Candidate ridges :math:`\delta > 0`, crossed with ``tv_weights`` (every pair is a
        candidate); None: ``ridge`` only.
    cv : int, cross-validation splitter, iterable or None, default 5
        ``int``: that many :class:`~sklearn.model_selection.KFold` folds (no shuffling);
        a splitter or an iterable of ``(train, test)`` index arrays as in scikit-learn;
        ``None``: the protocol's single split — each candidate is fitted once on all rows,
        selected by its own validation MSE (the last ``validation_fraction`` of the rows),
        and kept: no refit. With folds, training sets of unequal size are cut to the
        smallest (their last rows dropped: one row with :class:`~sklearn.model_selection.KFold`),
        since a batched run needs one shape.
    selection : {"min", "1se"}, default "min"
        How :math:`\lambda` is chosen from the mean held-out MSE over the folds. ``"min"``:
        the candidate with the smallest. ``"1se"``: the largest :math:`\lambda` (then the
        largest :math:`\delta`) whose mean
        lies within one standard error of that smallest one, the standard error being
        :math:`s/\sqrt{K}` with :math:`s` the sample standard deviation of the best
        candidate's :math:`K` fold MSEs (the "one-standard-error rule" of Hastie, Tibshirani
        and Friedman, *The Elements of Statistical Learning*, §7.10; ``lambda.1se`` in
        glmnet). It prefers the smoother model among those the folds cannot tell apart,
        which matters where the folds see no region the test data will (inputs with empty
        regions). With ``cv=None`` there is one split and no standard error: both rules
        choose the minimum.
    n_features, activation, ridge, generator_steps, refine_steps, lr, refine_lr, hidden, n_tv_points, validation_fraction, val_every, n_val_draws, lr_schedule, dtype, device, random_state, progress, engine, callback
        As :class:`GFTRegressor` (``tv_weight`` excepted, and ``ridge`` when ``ridges`` is
        given), shared by every candidate.
        Every candidate and fold uses the same seed (``random_state`` itself when it is an
        int, else one int drawn from it), so that the candidates differ only in
        :math:`\lambda` and :math:`\delta` (common random numbers), and a candidate fitted on
        all rows is ``GFTRegressor(tv_weight=λ, ridge=δ, random_state=random_state)`` trained
        in a batch (see :func:`gft.fit_batched` for how far the two agree).

    Attributes
    ----------
    tv_weight_ : float
        :math:`\lambda` selected for GFT-r (what :meth:`predict` uses).
    generator_tv_weight_ : float
        :math:`\lambda` selected for GFT (what :meth:`predict_generator` uses).
    ridge_, generator_ridge_ : float
        :math:`\delta` selected for GFT-r and for GFT (``ridge`` when ``ridges`` is None).
    best_estimator_ : GFTRegressor
        Fitted on all rows at ``tv_weight_``.
    generator_estimator_ : GFTRegressor
        Fitted on all rows at ``generator_tv_weight_`` (the same object when they agree).
    cv_results_ : dict of ndarray
        ``tv_weight`` and ``ridge`` (the candidates), ``split{k}_val_mse_generator`` and
        ``split{k}_val_mse_refine`` (held-out MSE of both phases in fold ``k``, in units of
        ``y²``), their ``mean_…`` and ``std_…`` over the folds (``std_…`` with ddof 0, as
        scikit-learn's ``std_test_score``; the ``"1se"`` rule uses the sample standard
        deviation, ddof 1), ``diverged`` (folds in which
        the candidate's training diverged) and ``mean_fit_seconds`` (the batched run's wall
        time divided by the number of fits in it).
    fit_seconds_ : dict
        Wall time of the selection run (``"search"``) and of the refit (``"refit"``); a run
        that went on from a checkpoint counts the earlier runs' time up to their last save.
    n_features_in_ : int
    """

    presets = {name: dict(p) for name, p in PRESETS.items()}

    #: GFTRegressor's, with ``tv_weights`` and ``cv`` for ``tv_weight``; what a constraint
    #: cannot express is checked by every candidate GFTRegressor and by :meth:`_check_params`.
    _parameter_constraints: dict[str, list[Any]] = {
        **{k: v for k, v in GFTRegressor._parameter_constraints.items() if k != "tv_weight"},
        "tv_weights": ["array-like"],  # finite and >= 0: _check_params
        "ridges": ["array-like", None],  # finite and > 0: _check_params
        "cv": ["cv_object"],  # None, an int >= 2, a splitter or an iterable of splits
        "selection": [StrOptions({"min", "1se"})],
    }

    def __init__(
        self,
        tv_weights: Sequence[float] = DEFAULT_TV_WEIGHTS,
        ridges: Sequence[float] | None = None,
        cv: Any = 5,
        selection: str = "min",
        n_features: int = 100,
        activation: str = "fourier",
        ridge: float = 1e-7,
        generator_steps: int = 3000,
        refine_steps: int = 3000,
        lr: float = 2e-3,
        refine_lr: float | None = 1e-2,
        hidden: Sequence[int] = (512, 512, 512),
        n_tv_points: int = 1000,
        validation_fraction: float = 0.1,
        val_every: int = 100,
        n_val_draws: int = 10,
        lr_schedule: str = "cosine",
        dtype: str = "float32",
        device: str = "auto",
        random_state: Any = None,
        progress: bool = True,
        engine: str = "auto",
        callback: Any = None,
    ):
        self.tv_weights = tv_weights
        self.ridges = ridges
        self.cv = cv
        self.selection = selection
        self.n_features = n_features
        self.activation = activation
        self.ridge = ridge
        self.generator_steps = generator_steps
        self.refine_steps = refine_steps
        self.lr = lr
        self.refine_lr = refine_lr
        self.hidden = hidden
        self.n_tv_points = n_tv_points
        self.validation_fraction = validation_fraction
        self.val_every = val_every
        self.n_val_draws = n_val_draws
        self.lr_schedule = lr_schedule
        self.dtype = dtype
        self.device = device
        self.random_state = random_state
        self.progress = progress
        self.engine = engine
        self.callback = callback

    @classmethod
    def from_preset(cls, preset: str, **overrides: Any) -> "GFTRegressorCV":
        """An estimator with the keyword arguments of ``preset``, updated by ``overrides``."""
        return cls(**{**get_preset(preset, cls.presets), **overrides})

    def _candidate(self, candidate: tuple[float, float], seed: int) -> GFTRegressor:
        """The GFTRegressor of one candidate ``(λ, δ)``."""
        params = {k: v for k, v in self.get_params().items() if k not in ("tv_weights", "ridges", "cv", "selection")}
        tv_weight, ridge = candidate
        return GFTRegressor(**params, tv_weight=tv_weight).set_params(ridge=ridge, random_state=seed)

    def _candidates(self) -> list[tuple[float, float]]:
        """Every ``(λ, δ)`` pair, λ varying slowest."""
        ridges = [self.ridge] if self.ridges is None else self.ridges
        return [(float(w), float(r)) for w in self.tv_weights for r in ridges]

    def _check_params(self) -> None:
        _check_grid(self, "tv_weights", "a non-empty sequence of finite numbers >= 0", strictly_positive=False)
        if self.ridges is not None:
            _check_grid(self, "ridges", "None or a non-empty sequence of finite numbers > 0", strictly_positive=True)

    def fit(self, X: Any, y: Any, checkpoint: str | os.PathLike | None = None,
            checkpoint_every: float = 600.0, groups: Any = None) -> "GFTRegressorCV":
        """Select :math:`\\lambda` (and :math:`\\delta` with ``ridges``), then refit on all rows.

        Parameters
        ----------
        X : array-like of shape (M, d)
        y : array-like of shape (M,)
        checkpoint : path-like, optional
            For long fits: a file in which the batched search keeps its state, as in
            :func:`gft.fit_batched`; a fit given the file that a stopped fit of the same
            estimator (with an int ``random_state``) and data wrote goes on from its last
            save. With folds, the finished search's file stays until the refit has ended (a
            rerun then restores the search without training it), and the refit keeps its own
            state in ``<checkpoint>.refit``. Both files are removed when the fit ends, by
            divergence too, unless Ctrl-C stopped it.
        checkpoint_every : float
            Least seconds between two saves of an unfinished phase.
        groups : array-like of shape (M,), optional
            Group labels of the rows, for a splitter that needs them (``cv=GroupKFold(5)``:
            whole groups held out, e.g. clusters of the inputs), as in scikit-learn's
            :class:`~sklearn.model_selection.GridSearchCV`; ignored with ``cv=None``.

        Returns
        -------
        self : GFTRegressorCV

        Raises
        ------
        KeyboardInterrupt
            With folds, when Ctrl-C stopped the search: the refit would start from
            candidates that did not finish (with ``cv=None``, as with :class:`GFTRegressor`,
            the candidates' best iterates so far are kept and their histories say
            ``interrupted``; a candidate stopped before its refinement is its generator's
            model, and GFT-r's λ is chosen on those models' validation MSE).
        TrainingDivergedError
            When every candidate (and fold) of a batched run diverged; the checkpoint files
            are removed.
        """
        self._validate_params()  # scikit-learn, against _parameter_constraints
        self._check_params()
        X, y = validate_data(self, X, y, y_numeric=True, dtype=[np.float64, np.float32])
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if groups is not None:
            groups = column_or_1d(groups)
            check_consistent_length(X, groups)
        # one seed for every candidate and fold; an int is passed on as it is, so that a
        # candidate is exactly GFTRegressor(tv_weight=..., random_state=random_state)
        seed = self.random_state
        if not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
            seed = int(check_random_state(seed).randint(np.iinfo(np.int32).max))
        files: tuple[Path, Path] | None = None  # the search's and the refit's checkpoints
        if checkpoint is not None:
            _warn_if_unseeded([self.random_state])
            search_file = Path(checkpoint)
            files = (search_file, search_file.with_name(search_file.name + ".refit"))
        try:
            self._search_and_refit(X, y, seed, files, checkpoint_every, groups)
        except TrainingDivergedError:  # every member diverged: a rerun would again
            _remove(files)
            raise
        if not (_interrupted(self.best_estimator_) or _interrupted(self.generator_estimator_)):
            _remove(files)  # the fit has ended (Ctrl-C keeps the files: a rerun goes on from them)
        return self

    def _search_and_refit(self, X: np.ndarray, y: np.ndarray, seed: int, files: tuple[Path, Path] | None,
                          checkpoint_every: float, groups: np.ndarray | None = None) -> None:
        """:meth:`fit` after validation: train the candidates, select, refit; set the fitted attributes."""
        search_file, refit_file = files or (None, None)
        started = time.time()  # the clock file times are read against
        candidates = self._candidates()
        start = time.perf_counter()
        if self.cv is None:
            fits = fit_batched([self._candidate(c, seed) for c in candidates], X, y, search_file, checkpoint_every)
            scores = {phase: np.array([[getattr(f, f"{phase}_val_mse_")] for f in fits])
                      for phase in ("generator", "refine")}
            # a candidate that never refined (Ctrl-C in its generator phase) is its generator's
            # model, and scored as that: its refine score, inf, would leave the choice to order
            unrefined = np.array([["refine" not in f.history_] for f in fits])
            scores["refine"] = np.where(unrefined, scores["generator"], scores["refine"])
            diverged = np.array([[_diverged(f)] for f in fits])
        else:
            folds = self._folds(X, y, groups)
            size = min(len(train) for train, _ in folds)
            with warnings.catch_warnings():
                # the loop's "keeping each member's best iterate" does not hold here: an
                # interrupted search ends the fit, with its own message below
                warnings.filterwarnings("ignore", category=TrainingInterruptedWarning)
                fits = _fit_batched(
                    [self._candidate(c, seed) for c in candidates for _ in folds],
                    [X[train[:size]] for _ in candidates for train, _ in folds],
                    [y[train[:size]] for _ in candidates for train, _ in folds],
                    search_file, checkpoint_every, keep_checkpoint=True,
                )
            if any(_interrupted(f) for f in fits):
                phase, hist = next((p, h) for p, h in fits[0].history_.items() if h.interrupted)
                # none before the first save; a file there from before this fit is another run's
                saved = (search_file is not None and search_file.exists()
                         and search_file.stat().st_mtime >= started)
                raise KeyboardInterrupt(f"GFTRegressorCV: the search was interrupted in its {phase} phase at "
                                        f"step {len(hist.train_loss)}"
                                        + (f"; a rerun goes on from {search_file}" if saved else ""))
            shape = (len(candidates), len(folds))
            tests = [test for _ in candidates for _, test in folds]
            scores = {
                "generator": np.array([self._generator_mse(f, X[t], y[t]) for f, t in zip(fits, tests)]).reshape(shape),
                "refine": np.array([np.mean((f.predict(X[t]) - y[t]) ** 2) for f, t in zip(fits, tests)]).reshape(shape),
            }
            diverged = np.array([_diverged(f) for f in fits]).reshape(shape)
        # a resumed run's earlier time: each member holds its share
        search = time.perf_counter() - start + sum(map(_resumed_seconds, fits))
        if self.refine_steps == 0:  # no refinement: GFT-r is GFT
            scores["refine"] = scores["generator"]
        chosen = {phase: candidates[_select(s, candidates, self.selection)] for phase, s in scores.items()}
        self.tv_weight_, self.ridge_ = chosen["refine"]
        self.generator_tv_weight_, self.generator_ridge_ = chosen["generator"]
        start = time.perf_counter()
        if self.cv is None:  # the candidates are the final models
            self.best_estimator_ = fits[candidates.index(chosen["refine"])]
            self.generator_estimator_ = fits[candidates.index(chosen["generator"])]
            refit = 0.0
        else:
            unique = sorted(set(chosen.values()))
            refits = fit_batched([self._candidate(c, seed) for c in unique], X, y, refit_file, checkpoint_every)
            self.best_estimator_ = refits[unique.index(chosen["refine"])]
            self.generator_estimator_ = refits[unique.index(chosen["generator"])]
            refit = time.perf_counter() - start + sum(map(_resumed_seconds, refits))
        self.fit_seconds_ = {"search": search, "refit": refit}
        results: dict[str, np.ndarray] = {"tv_weight": np.array([c[0] for c in candidates]),
                                          "ridge": np.array([c[1] for c in candidates])}
        for phase, s in scores.items():
            for k in range(s.shape[1]):
                results[f"split{k}_val_mse_{phase}"] = s[:, k]
            results[f"mean_val_mse_{phase}"] = s.mean(1)
            with np.errstate(invalid="ignore"):  # inf (a phase that never ran: Ctrl-C) gives nan
                results[f"std_val_mse_{phase}"] = s.std(1)
        results["diverged"] = diverged.sum(1)
        results["mean_fit_seconds"] = np.full(len(candidates), search / len(fits))
        self.cv_results_ = results

    def _folds(self, X: np.ndarray, y: np.ndarray, groups: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        if isinstance(self.cv, numbers.Integral) and X.shape[0] < 2 * self.cv:
            raise ValueError(
                f"Found {X.shape[0]} sample(s), but cv={self.cv} needs at least {2 * self.cv}; "
                "pass more data, fewer folds or cv=None."
            )
        splitter = check_cv(self.cv, y, classifier=False)
        return [(np.asarray(tr), np.asarray(te)) for tr, te in splitter.split(X, y, groups)]

    def _generator_mse(self, fit: GFTRegressor, X: np.ndarray, y: np.ndarray) -> float:
        """Held-out MSE of GFT: the mean over ``n_val_draws`` fresh feature draws (``b`` re-solved)."""
        return float(np.mean([np.mean((fit.predict_generator(X, random_state=j) - y) ** 2)
                              for j in range(self.n_val_draws)]))

    def predict(self, X: Any) -> np.ndarray:
        """GFT-r predictions at the selected ``tv_weight_``.

        Parameters
        ----------
        X : array-like of shape (M, d)

        Returns
        -------
        ndarray of shape (M,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return self.best_estimator_.predict(X)

    def predict_generator(self, X: Any, random_state: Any = None) -> np.ndarray:
        """GFT predictions (a fresh generator draw, ``b`` re-solved) at ``generator_tv_weight_``.

        Parameters
        ----------
        X : array-like of shape (M, d)
        random_state : int, RandomState or None
            Seeds the feature draw (see :meth:`GFTRegressor.sample_features`).

        Returns
        -------
        ndarray of shape (M,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return self.generator_estimator_.predict_generator(X, random_state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.single_output = True
        tags.non_deterministic = False
        return tags


def _check_grid(estimator: BaseEstimator, name: str, expected: str, strictly_positive: bool) -> None:
    """Raise scikit-learn's ``InvalidParameterError`` unless ``estimator.<name>`` is a non-empty
    sequence of finite real numbers that are >= 0 (> 0 when ``strictly_positive``)."""
    values = getattr(estimator, name)
    if (not isinstance(values, (Sequence, np.ndarray)) or len(values) == 0
            or any(isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v)
                   or v < 0 or (strictly_positive and v == 0) for v in values)):
        raise InvalidParameterError(
            f"The {name!r} parameter of {type(estimator).__name__} must be {expected}. Got {values!r} instead."
        )


def _select(scores: np.ndarray, candidates: list[tuple[float, float]], rule: str) -> int:
    """Index of the chosen candidate ``(λ, δ)``; ``scores`` (n_candidates, K) held-out MSEs,
    non-finite = diverged. ``"1se"`` takes the most regularised candidate within one standard
    error of the best: the largest λ, then the largest δ."""
    mean = scores.mean(1)
    mean = np.where(np.isfinite(mean), mean, np.inf)
    best = int(np.argmin(mean))
    if rule == "min" or scores.shape[1] < 2 or not np.isfinite(mean[best]):
        return best
    standard_error = scores[best].std(ddof=1) / math.sqrt(scores.shape[1])
    within = np.flatnonzero(mean <= mean[best] + standard_error)
    return int(max(within, key=lambda i: candidates[i]))


def _remove(files: tuple[Path, Path] | None) -> None:
    for path in files or ():
        path.unlink(missing_ok=True)


def _diverged(fit: GFTRegressor) -> bool:
    return any(bool(h.diverged) for h in fit.history_.values())
