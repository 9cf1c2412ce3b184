"""Many fits in one run: GeneratorStack, batched optimise, fit_batched, GFTRegressorCV."""

import math

import numpy as np
import pytest
import torch
from sklearn.model_selection import GroupKFold, KFold
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

from conftest import intra_op_threads
from gft import ACTIVATIONS, GFTRegressor, GFTRegressorCV, Generator, GeneratorStack, TrainingDivergedError, fit_batched
from gft._checkpoint import RunCheckpoint
from gft.objective import ReducedObjective
from gft.training import GeneratorFeatures, LatentFeatures, optimise


def _data(m=80, d=3, seed=0, noise=0.05):
    rng = np.random.default_rng(seed)
    X = rng.random((m, d))
    y = np.sin(2 * np.pi * X[:, 0]) + X[:, 1] ** 2 + noise * rng.standard_normal(m)
    return X, y


def _smoke(cls=GFTRegressor, **kw):
    return cls.from_preset("smoke", **{"progress": False, **kw})


@pytest.fixture(autouse=True)
def _one_thread():
    """One intra-op thread unless a test says otherwise (``make test``'s setting); members are
    their separate fits bit for bit with two threads as well
    (``test_fit_batched_with_two_threads_gives_the_separate_fits_bit_for_bit``)."""
    with intra_op_threads(1):
        yield


def test_generator_stack_members_compute_what_their_generators_compute():
    """Member i of the stack maps latents exactly as the i-th Generator does alone."""
    gens = [Generator(3, (8, 5)).double() for _ in range(3)]
    stack = GeneratorStack(gens)
    z = torch.randn(3, 4, 7, 3, dtype=torch.float64)
    out = stack(z)
    for i, g in enumerate(gens):
        torch.testing.assert_close(out[i], g(z[i]), rtol=1e-13, atol=1e-13)
        torch.testing.assert_close(stack.member(i)(z[i]), g(z[i]), rtol=0, atol=0)
    with pytest.raises(ValueError, match="must share dim and hidden"):
        GeneratorStack([Generator(3, (8, 5)), Generator(3, (8, 6))])
    with pytest.raises(ValueError, match="one torch.Generator per member"):
        stack.sample_latents(4, generators=[None])


@pytest.mark.parametrize("engine", ["fused", "autograd"])
def test_batched_optimise_equals_separate_runs(engine):
    """Three members (TV weights 0, 1e-3, 1e-2; ridges 1e-6, 1e-4, 1e-2; own data, own seeds) end
    where three separate runs end."""
    g = torch.Generator().manual_seed(0)
    X = torch.rand(3, 60, 2, generator=g, dtype=torch.float64)
    y = torch.sin(2 * math.pi * X[..., 0]) + X[..., 1] ** 2
    tvs, ridges, seeds = [0.0, 1e-3, 1e-2], [1e-6, 1e-4, 1e-2], [5, 6, 7]

    def two_phases(generator, objective, rng):
        h = optimise(GeneratorFeatures(generator, 10, 3, rng), objective, 30, 3e-3, val_every=10,
                     rng=rng, progress=False, engine=engine)
        z = (generator.sample_latents(10, generators=rng) if isinstance(generator, GeneratorStack)
             else generator.sample_latents(10, generator=rng))
        latent = LatentFeatures(generator, z)
        h2 = optimise(latent, objective, 20, 1e-2, val_every=5, rng=rng, progress=False, engine=engine)
        return h, h2, generator(latent.z).detach()

    alone = []
    for i in range(3):
        torch.manual_seed(seeds[i])
        G = Generator(2, (16, 16)).double()
        obj = ReducedObjective(X[i, :50], y[i, :50], "fourier", ridges[i], tvs[i], 64, X[i, 50:], y[i, 50:])
        alone.append(two_phases(G, obj, torch.Generator().manual_seed(seeds[i])))
    gens = []
    for s in seeds:
        torch.manual_seed(s)
        gens.append(Generator(2, (16, 16)).double())
    obj = ReducedObjective(X[:, :50], y[:, :50], "fourier", ridges, tvs, 64, X[:, 50:], y[:, 50:])
    h, h2, W = two_phases(GeneratorStack(gens), obj, [torch.Generator().manual_seed(s) for s in seeds])
    assert h.engine == engine and h.train_loss.shape == (30, 3) and h.val_mse.shape == (4, 3)
    for i, (hi, h2i, Wi) in enumerate(alone):
        np.testing.assert_allclose(h.train_loss[:, i], hi.train_loss, rtol=1e-7)
        np.testing.assert_allclose(h.val_mse[:, i], hi.val_mse, rtol=1e-7)
        assert h.best_step[i] == hi.best_step and h2.best_step[i] == h2i.best_step
        torch.testing.assert_close(W[i], Wi, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fit_batched_gives_the_models_of_separate_fits(dtype):
    """fit_batched over (tv_weight, ridge, random_state) = one GFTRegressor.fit each, shared and
    per-member data: on the CPU, the fused engine's features and training losses bit for bit
    (every product, reduction and Adam update of a member runs as in the one-member run), so
    a batched λ path chooses what the separate fits choose; the validation MSEs of the
    refinement (a batched ridge solve in the generic path) to rounding."""
    X, y = _data()
    lams, ridges, seeds = [0.0, 1e-3, 1e-2], [1e-7, 1e-2, 1e-7], [0, 1, 2]
    alone = [_smoke(tv_weight=l, ridge=r, random_state=s, dtype=dtype).fit(X, y)
             for l, r, s in zip(lams, ridges, seeds)]
    together = fit_batched([_smoke(tv_weight=l, ridge=r, random_state=s, dtype=dtype)
                            for l, r, s in zip(lams, ridges, seeds)], X, y)
    for a, b in zip(alone, together):
        np.testing.assert_array_equal(b.features_, a.features_)
        for phase in ("generator", "refine"):
            np.testing.assert_array_equal(b.history_[phase].train_loss, a.history_[phase].train_loss)
            assert b.history_[phase].best_step == a.history_[phase].best_step
        np.testing.assert_allclose(b.predict(X), a.predict(X), rtol=1e-12 if dtype == "float64" else 1e-6)
        assert b.refine_val_mse_ == pytest.approx(a.refine_val_mse_, rel=1e-10)
        assert b.history_["generator"].engine == "fused"
    draws = [_data(seed=k) for k in range(3)]
    alone = [_smoke(tv_weight=l, random_state=s, dtype=dtype).fit(Xk, yk) for l, s, (Xk, yk) in zip(lams, seeds, draws)]
    together = fit_batched([_smoke(tv_weight=l, random_state=s, dtype=dtype) for l, s in zip(lams, seeds)],
                           [d[0] for d in draws], [d[1] for d in draws])
    for a, b in zip(alone, together):
        np.testing.assert_array_equal(b.features_, a.features_)


@pytest.mark.parametrize("d, dtype, own_data", [
    (2, "float32", False), (2, "float64", False),  # the TV's two backward passes: d <= 8 and d > 8
    (10, "float32", False), (10, "float64", False),
    (3, "float64", True),  # each member on its own draw (the protocol's trials, GFTRegressorCV's folds)
])
def test_fit_batched_with_two_threads_gives_the_separate_fits_bit_for_bit(d, dtype, own_data):
    """With two threads a BLAS may split a one-problem product's long sum (over the data rows,
    or the TV's points) between the threads while a batched member's runs on one (MKL on an
    Intel Xeon does): the members' long-sum products then run one by one, as separate fits run
    them, and the members are still their separate fits bit for bit. TV weight 0 beside
    positive ones: the TV term runs on the members that have one. With own data the row
    products read each member's own labels."""
    draws = [_data(d=d, seed=k if own_data else 0) for k in range(3)]
    lams, seeds = [0.0, 1e-3, 1e-2], [0, 1, 2]
    with intra_op_threads(2):
        alone = [_smoke(tv_weight=l, random_state=s, dtype=dtype).fit(*draw)
                 for l, s, draw in zip(lams, seeds, draws)]
        members = [_smoke(tv_weight=l, random_state=s, dtype=dtype) for l, s in zip(lams, seeds)]
        together = (fit_batched(members, [X for X, _ in draws], [y for _, y in draws]) if own_data
                    else fit_batched(members, *draws[0]))
        for a, b, (X, _) in zip(alone, together, draws):
            for phase in ("generator", "refine"):
                np.testing.assert_array_equal(b.history_[phase].train_loss, a.history_[phase].train_loss)
            np.testing.assert_array_equal(b.features_, a.features_)
            np.testing.assert_array_equal(b.predict(X), a.predict(X))


def test_fit_batched_rejects_members_that_cannot_share_a_run():
    X, y = _data()
    with pytest.raises(ValueError, match=r"differ in \['n_features'\]"):
        fit_batched([_smoke(), _smoke(n_features=5)], X, y)
    with pytest.raises(ValueError, match="must have one shape"):
        fit_batched([_smoke(), _smoke()], [X, X[:60]], [y, y[:60]])
    with pytest.raises(ValueError, match="both be arrays"):
        fit_batched([_smoke(), _smoke()], [X, X], y)
    with pytest.raises(ValueError, match="non-empty sequence of GFTRegressor"):
        fit_batched([], X, y)


class _Stop(Exception):
    """Stands for the process being killed."""


def _three_members(activation="fourier", poison=True, steps=40, stop_at=None, checkpoint=None):
    """A batched generator run of three members (50 training and 10 validation rows in 2-D;
    TV weights 1e-3 except for ``fourier``). With ``poison`` the callback fills member 1's
    first weights with NaN after step 7; at step ``stop_at`` it raises ``_Stop``. Returns the
    history and the members' stack."""
    g = torch.Generator().manual_seed(0)
    X = torch.rand(60, 2, generator=g, dtype=torch.float64)
    y = torch.sin(2 * math.pi * X[:, 0])
    tv = 0.0 if activation == "fourier" else torch.full((3,), 1e-3, dtype=torch.float64)
    obj = ReducedObjective(X[:50], y[:50], activation, 1e-6, tv, 64, X[50:], y[50:])
    torch.manual_seed(0)
    stack = GeneratorStack([Generator(ACTIVATIONS[activation].feature_dim(2), (16, 16)).double() for _ in range(3)])
    params = GeneratorFeatures(stack, 10, 2, [torch.Generator().manual_seed(s) for s in range(3)])

    def callback(step, loss):
        assert loss.shape == (3,)
        if poison and step == 7:
            with torch.no_grad():
                stack.weights[0][1].fill_(math.nan)
        if step == stop_at:
            raise _Stop

    h = optimise(params, obj, steps, 3e-3, val_every=5, rng=params.rng, progress=False, name="generator",
                 callback=callback, checkpoint=checkpoint)
    return h, stack


@pytest.mark.parametrize("activation", ["fourier", "sigmoid", "fourier-real"])  # fused, autograd
def test_a_diverging_member_keeps_its_best_iterate_and_the_others_go_on(activation):
    """The callback poisons member 1's weights after step 7; members 0 and 2 end as in a clean run,
    member 1 as a clean run of 5 steps (its validations at steps 0 and 5 precede the poison).
    On the autograd engine too: the poisoned member's NaN features would otherwise break the
    batched ridge solve of every member, with TV weights (here 1e-3) as without."""
    clean, clean_stack = _three_members(activation, poison=False)
    h, stack = _three_members(activation)
    np.testing.assert_array_equal(h.diverged, [False, True, False])
    assert not clean.diverged.any()
    for i in (0, 2):
        assert h.best_step[i] == clean.best_step[i]
        for p, q in zip(stack.parameters(), clean_stack.parameters()):
            torch.testing.assert_close(p[i], q[i], rtol=0, atol=0)
    # constant learning rate: the same first 5 steps
    short, short_stack = _three_members(activation, poison=False, steps=5)
    assert h.best_step[1] == short.best_step[1]
    for p, q in zip(stack.parameters(), short_stack.parameters()):  # restored to its best
        torch.testing.assert_close(p[1], q[1], rtol=0, atol=0)
    assert np.isnan(h.val_mse[-1, 1]) and np.isfinite(h.val_mse[:, [0, 2]]).all()


def test_a_run_resumed_after_a_member_diverged_ends_as_the_run_that_never_stopped(tmp_path):
    """Member 1 poisoned after step 7 (marked diverged at the validation of step 10), the run
    stopped at step 23 and resumed from its save at step 20: the diverged member stays marked
    and restored, and the run ends with the parameters, losses, validations and kept steps of
    the run that never stopped."""
    expected, expected_stack = _three_members()
    path = tmp_path / "run.pt"
    with pytest.raises(_Stop):
        _three_members(stop_at=23, checkpoint=RunCheckpoint(path, {"run": 1}, every_seconds=0))
    # the poison at step 7 is in the save
    got, got_stack = _three_members(checkpoint=RunCheckpoint(path, {"run": 1}, every_seconds=0))
    assert got.resumed_step == 20
    np.testing.assert_array_equal(got.diverged, [False, True, False])
    np.testing.assert_array_equal(got.diverged, expected.diverged)
    np.testing.assert_array_equal(got.best_step, expected.best_step)
    np.testing.assert_array_equal(got.train_loss, expected.train_loss)
    np.testing.assert_array_equal(got.val_mse, expected.val_mse)
    for p, q in zip(got_stack.parameters(), expected_stack.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=0, equal_nan=True)


def test_every_member_diverging_raises_with_the_best_iterates_restored():
    """At lr = 1e35 no step validates better than step 0: each member keeps its initial
    generator, the one an untrained fit (no steps) of the same seed has."""
    X, y = _data()
    members = [_smoke(lr=1e35, dtype="float32", random_state=s) for s in range(2)]
    with pytest.raises(TrainingDivergedError, match="every member diverged"):
        fit_batched(members, X, y)
    for s, est in enumerate(members):
        untrained = _smoke(generator_steps=0, refine_steps=0, dtype="float32", random_state=s).fit(X, y)
        for p, q in zip(est.generator_.parameters(), untrained.generator_.parameters()):
            torch.testing.assert_close(p, q, rtol=0, atol=0)
        assert np.isfinite(est.predict(X)).all()


def test_cv_none_candidates_are_the_separate_fits_and_selection_is_their_argmin():
    """GFTRegressorCV(cv=None): each candidate = GFTRegressor(tv_weight=λ, random_state=3) on all rows; λ by validation MSE."""
    X, y = _data(noise=0.2)
    lams = (0.0, 1e-3, 1e-1)
    # float64: batched and separate products then agree to 1e-8, so the bookkeeping is exact
    cv = _smoke(GFTRegressorCV, tv_weights=lams, cv=None, random_state=3, dtype="float64").fit(X, y)
    alone = [_smoke(tv_weight=l, random_state=3, dtype="float64").fit(X, y) for l in lams]
    gen = [a.generator_val_mse_ for a in alone]
    ref = [a.refine_val_mse_ for a in alone]
    np.testing.assert_allclose(cv.cv_results_["mean_val_mse_generator"], gen, rtol=1e-8)
    np.testing.assert_allclose(cv.cv_results_["mean_val_mse_refine"], ref, rtol=1e-8)
    assert cv.tv_weight_ == lams[int(np.argmin(ref))]
    assert cv.generator_tv_weight_ == lams[int(np.argmin(gen))]
    best = alone[int(np.argmin(ref))]
    np.testing.assert_allclose(cv.predict(X), best.predict(X), rtol=1e-8, atol=1e-10)


def test_cv_over_tv_weights_and_ridges_keeps_the_best_pair_of_separate_fits():
    """ridges given, cv=None: every (λ, δ) pair is scored as its own GFTRegressor.fit scores it, and the best pair is kept."""
    X, y = _data(noise=0.2)
    lams, ridges = (0.0, 1e-2), (1e-7, 1e-1)
    cv = _smoke(GFTRegressorCV, tv_weights=lams, ridges=ridges, cv=None, random_state=2, dtype="float64").fit(X, y)
    pairs = [(l, r) for l in lams for r in ridges]
    alone = [_smoke(tv_weight=l, ridge=r, random_state=2, dtype="float64").fit(X, y) for l, r in pairs]
    ref = [a.refine_val_mse_ for a in alone]
    assert len(set(np.round(ref, 12))) == 4  # the ridge changes the fit
    np.testing.assert_allclose(cv.cv_results_["tv_weight"], [p[0] for p in pairs])
    np.testing.assert_allclose(cv.cv_results_["ridge"], [p[1] for p in pairs])
    np.testing.assert_allclose(cv.cv_results_["mean_val_mse_refine"], ref, rtol=1e-8)
    assert (cv.tv_weight_, cv.ridge_) == pairs[int(np.argmin(ref))]
    assert cv.best_estimator_.ridge == cv.ridge_
    np.testing.assert_allclose(cv.predict(X), alone[int(np.argmin(ref))].predict(X), rtol=1e-8, atol=1e-10)
    plain = _smoke(GFTRegressorCV, tv_weights=lams, cv=None, random_state=2, dtype="float64").fit(X, y)
    assert plain.ridge_ == plain.generator_ridge_ == plain.ridge == 1e-7


def test_cv_folds_score_what_separate_fold_fits_score():
    """cv=2: held-out MSEs equal KFold + GFTRegressor.fit + predict done by hand; the refit is the fit on all rows."""
    X, y = _data(m=81, noise=0.2)  # odd: the larger fold's training set is cut by one row
    lams = (0.0, 1e-2)
    cv = _smoke(GFTRegressorCV, tv_weights=lams, cv=2, random_state=1, dtype="float64").fit(X, y)
    folds = list(KFold(2).split(X))
    size = min(len(tr) for tr, _ in folds)
    for j, lam in enumerate(lams):
        for k, (train, test) in enumerate(folds):
            fit = _smoke(tv_weight=lam, random_state=1, dtype="float64").fit(X[train[:size]], y[train[:size]])
            mse = np.mean((fit.predict(X[test]) - y[test]) ** 2)
            assert cv.cv_results_[f"split{k}_val_mse_refine"][j] == pytest.approx(mse, rel=1e-8)
            gen = np.mean([np.mean((fit.predict_generator(X[test], random_state=r) - y[test]) ** 2)
                           for r in range(fit.n_val_draws)])
            assert cv.cv_results_[f"split{k}_val_mse_generator"][j] == pytest.approx(gen, rel=1e-8)
    means = cv.cv_results_["mean_val_mse_refine"]
    assert cv.tv_weight_ == lams[int(np.argmin(means))]
    refit = _smoke(tv_weight=cv.tv_weight_, random_state=1, dtype="float64").fit(X, y)
    np.testing.assert_allclose(cv.predict(X), refit.predict(X), rtol=1e-8, atol=1e-10)
    assert set(cv.fit_seconds_) == {"search", "refit"}


def test_cv_groups_reach_the_splitter():
    """cv=GroupKFold with groups= scores exactly what the same folds passed as index arrays score;
    without groups the splitter's own error is raised, and groups of another length are named."""
    X, y = _data(m=60, noise=0.2)
    groups = np.repeat(np.arange(6), 10)  # six blocks of consecutive rows
    kw = dict(tv_weights=(0.0, 1e-2), random_state=1, dtype="float64")
    by_groups = _smoke(GFTRegressorCV, cv=GroupKFold(3), **kw).fit(X, y, groups=groups)
    by_indices = _smoke(GFTRegressorCV, cv=list(GroupKFold(3).split(X, y, groups)), **kw).fit(X, y)
    for key in ("split0_val_mse_refine", "split2_val_mse_generator", "mean_val_mse_refine"):
        np.testing.assert_array_equal(by_groups.cv_results_[key], by_indices.cv_results_[key])
    # the folds hold out whole blocks: not KFold's, which differ here
    kfold = _smoke(GFTRegressorCV, cv=KFold(3), **kw).fit(X, y)
    assert not np.array_equal(kfold.cv_results_["split0_val_mse_refine"], by_groups.cv_results_["split0_val_mse_refine"])
    with pytest.raises(ValueError, match="groups"):
        _smoke(GFTRegressorCV, cv=GroupKFold(3), **kw).fit(X, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        _smoke(GFTRegressorCV, cv=GroupKFold(3), **kw).fit(X, y, groups=groups[:-1])


def test_cv_and_fit_batched_take_reversed_views():
    """Negative strides (X[::-1]): torch refuses them, and GFTRegressorCV and fit_batched with
    per-member data raised its ValueError; now they fit as the arrays' copies do."""
    X, y = _data(m=60, noise=0.2)
    kw = dict(tv_weights=(0.0, 1e-2), cv=2, random_state=1)
    view = _smoke(GFTRegressorCV, **kw).fit(X[::-1], y[::-1])
    copy = _smoke(GFTRegressorCV, **kw).fit(X[::-1].copy(), y[::-1].copy())
    np.testing.assert_array_equal(view.cv_results_["mean_val_mse_refine"], copy.cv_results_["mean_val_mse_refine"])
    np.testing.assert_array_equal(view.predict(X[::-1]), copy.predict(X[::-1].copy()))
    members = [_smoke(random_state=r) for r in (0, 1)]
    fits = fit_batched(members, [X[::-1], X], [y[::-1], y])
    np.testing.assert_array_equal(fits[0].predict(X), _smoke(random_state=0).fit(X[::-1].copy(), y[::-1].copy()).predict(X))


def test_one_standard_error_rule_on_hand_computed_scores():
    """Three folds: λ = 0 has mean 2.0 and standard error 1/√3 ≈ 0.577; 0.1 (mean 2.5) lies within it, 1 (2.6) not."""
    from gft.model_selection import _select

    scores = np.array([[1.0, 2.0, 3.0], [2.4, 2.5, 2.6], [2.6, 2.6, 2.6]])
    weights = [(0.0, 1e-7), (0.1, 1e-7), (1.0, 1e-7)]
    assert _select(scores, weights, "min") == 0
    assert _select(scores, weights, "1se") == 1
    # the largest λ within reach, not the last index: the grid need not be sorted
    assert _select(scores[[1, 0, 2]], [(0.1, 1e-7), (0.0, 1e-7), (1.0, 1e-7)], "1se") == 0
    # at equal λ the larger ridge is the more regularised
    pairs = [(0.0, 1e-7), (0.1, 1e-7), (0.1, 1e-2), (1.0, 1e-7)]
    assert _select(scores[[0, 1, 1, 2]], pairs, "1se") == 2
    # a diverged candidate (NaN fold) is never chosen, and one fold has no standard error
    assert _select(np.array([[2.0, 2.0], [np.nan, 1.0]]), [(0.0, 1e-7), (1.0, 1e-7)], "1se") == 0
    assert _select(scores[:, :1], weights, "1se") == 0


def test_cv_1se_chooses_by_the_rule_on_its_own_cv_results():
    """selection="1se" on a fitted GFTRegressorCV: the choice follows from cv_results_ by the rule, computed here in NumPy."""
    X, y = _data(m=81, noise=0.2)
    lams = (0.0, 1e-3, 1e-2, 1e-1)
    cv = _smoke(GFTRegressorCV, tv_weights=lams, cv=3, selection="1se", random_state=1, dtype="float64").fit(X, y)
    differs = 0
    for phase, attr in (("refine", "tv_weight_"), ("generator", "generator_tv_weight_")):
        folds = np.array([cv.cv_results_[f"split{k}_val_mse_{phase}"] for k in range(3)]).T
        means = folds.mean(1)
        best = int(np.argmin(means))
        bound = means[best] + np.sqrt(np.sum((folds[best] - means[best]) ** 2) / 2) / np.sqrt(3)
        assert getattr(cv, attr) == max(l for l, m in zip(lams, means) if m <= bound)
        differs += getattr(cv, attr) != lams[best]
    assert differs >= 1  # on this draw the rule departs from the minimum (GFT: 1e-3 over 0)
    refit = _smoke(tv_weight=cv.tv_weight_, random_state=1, dtype="float64").fit(X, y)
    np.testing.assert_allclose(cv.predict(X), refit.predict(X), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("bad, match", [
    (dict(tv_weights=()),
     r"'tv_weights' parameter of GFTRegressorCV must be a non-empty sequence of finite numbers >= 0\. Got \(\) instead"),
    (dict(tv_weights=(0.0, -1.0)), r"'tv_weights' parameter of GFTRegressorCV must be .*\. Got \(0\.0, -1\.0\) instead"),
    (dict(tv_weights=(0.0, np.inf)), r"'tv_weights' parameter of GFTRegressorCV must be .*\. Got \(0\.0, inf\) instead"),
    (dict(tv_weights="0.1"), r"'tv_weights' parameter of GFTRegressorCV must be an array-like\. Got '0\.1' instead"),
    (dict(ridges=(1e-7, 0.0)), r"'ridges' parameter of GFTRegressorCV must be None or a non-empty sequence of finite numbers > 0\. Got \(1e-07, 0\.0\) instead"),
    (dict(ridges=()), r"'ridges' parameter of GFTRegressorCV must be None or .*\. Got \(\) instead"),
    (dict(selection="max"), r"'selection' parameter of GFTRegressorCV must be a str among \{.*\}\. Got 'max' instead"),
    (dict(cv=1), r"'cv' parameter of GFTRegressorCV must be an int in the range \[2, inf\), .*\. Got 1 instead"),
    (dict(n_features=0), r"'n_features' parameter of GFTRegressorCV must be an int in the range \[1, inf\)\. Got 0 instead"),
    (dict(cv=50), "Found 80 sample"),
])
def test_cv_bad_parameters_are_named(bad, match):
    X, y = _data()
    with pytest.raises(ValueError, match=match):
        _smoke(GFTRegressorCV, **bad).fit(X, y)


def test_cv_parameter_constraints_cover_every_parameter():
    """scikit-learn's own check (see tests/test_sklearn_conformance.py), for GFTRegressorCV."""
    check_param_validation("GFTRegressorCV", _smoke(GFTRegressorCV, tv_weights=(0.0, 1e-2), cv=2))


@parametrize_with_checks([
    _smoke(GFTRegressorCV, tv_weights=(0.0, 1e-2), cv=2),
    _smoke(GFTRegressorCV, tv_weights=(0.0, 1e-2), cv=None),
    # δ = 1e-2 wins the folds on the check's data but fits its training rows with R² < 0.5, below
    # check_regressors_train's bar: the ridge path is exercised with 1e-4, which wins too
    _smoke(GFTRegressorCV, tv_weights=(0.0,), ridges=(1e-7, 1e-4), cv=2),
])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


#: A small budget for the data with gaps (clustered training inputs, test points between them).
GAPS_BUDGET = dict(n_features=20, hidden=(32, 32), generator_steps=300, refine_steps=300, lr=3e-3,
                   refine_lr=1e-2, lr_schedule="cosine", n_tv_points=200, val_every=25, n_val_draws=3,
                   progress=False, dtype="float64")


def test_tv_calms_a_fit_in_the_empty_regions_of_the_input_box():
    """Clustered inputs, test points in the gaps between the clusters: λ = 1e-2 beats λ = 0 on
    most draws.

    Measured (this budget, seeds 0–9, test error of λ = 0 over that of λ = 1e-2): 23.2 1.82
    3.12 0.51 1.66 0.45 26.1 3.82 0.11 2.07 (better on 7 of 10, median 1.94).
    """
    from gft.datasets import clustered_with_gaps

    ratios = []
    for seed in range(10):
        X, y, X_test, y_test = clustered_with_gaps(seed)
        plain, tv = fit_batched([GFTRegressor(tv_weight=lam, random_state=seed, **GAPS_BUDGET) for lam in (0.0, 1e-2)], X, y)
        ratios.append(np.mean((plain.predict(X_test) - y_test) ** 2) / np.mean((tv.predict(X_test) - y_test) ** 2))
    assert sum(r > 1 for r in ratios) >= 6 and np.median(ratios) > 1.3, np.round(ratios, 2)


@pytest.mark.slow
def test_the_cross_validated_fit_stays_below_the_mean_in_the_gaps_and_keeps_up_with_tuned_rff():
    """GFTRegressorCV (defaults but the budget) on clustered inputs, test points in the gaps
    between the clusters, seeds 0–9: against predicting the training mean, and against random
    features with the same N whose ridge five-fold search tunes (the random features' own
    scale search on their validation split).

    Measured (this budget), test MSE over the mean's: GFTRegressorCV 0.06 0.23 0.06 0.04 1.44
    0.02 0.48 0.17 0.04 0.07 (below it on 9 of 10); RFF 3.57 0.06 0.49 0.20 0.09 0.27 0.68 1.82
    0.37 0.66 (8 of 10). GFTRegressorCV is within 10 % of RFF or better on 8 of 10 draws; the
    medians over the draws are 0.025 and 0.167.
    """
    from sklearn.model_selection import GridSearchCV

    from gft import RFFRegressor
    from gft.datasets import clustered_with_gaps

    cv_mse, rff_mse, mean_mse = [], [], []
    for seed in range(10):
        X, y, X_test, y_test = clustered_with_gaps(seed)
        fit = GFTRegressorCV(cv=5, random_state=seed, **GAPS_BUDGET).fit(X, y)
        rff = GridSearchCV(RFFRegressor(n_features=GAPS_BUDGET["n_features"], random_state=seed, progress=False),
                           {"ridge": [1e-7, 1e-5, 1e-3, 1e-1, 1.0, 10.0]}, cv=5,
                           scoring="neg_mean_squared_error").fit(X, y)
        cv_mse.append(np.mean((fit.predict(X_test) - y_test) ** 2))
        rff_mse.append(np.mean((rff.predict(X_test) - y_test) ** 2))
        mean_mse.append(np.mean((y.mean() - y_test) ** 2))
    cv_mse, rff_mse, mean_mse = map(np.asarray, (cv_mse, rff_mse, mean_mse))
    report = np.round(np.stack([cv_mse / mean_mse, rff_mse / mean_mse]), 2)
    assert (cv_mse < mean_mse).sum() >= 8 and (cv_mse / mean_mse).max() < 3, report
    assert (cv_mse <= 1.1 * rff_mse).sum() >= 6, report
    assert np.median(cv_mse) < np.median(rff_mse), report
