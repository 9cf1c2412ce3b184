"""gft.baselines: known answers (interpolation, no-pruning = RFF, pruning by |b|, VarPro descent, NN = the GFT model form) and parameter errors."""

import warnings

import numpy as np
import pytest
import torch

from conftest import numpy_design
from gft.baselines import (
    DEFAULT_SIGMA_GRIDS,
    NetworkObjective,
    NNRegressor,
    PruningHistory,
    RFFRegressor,
    SparseRFRegressor,
    VarProRegressor,
)
from gft.ridge import ridge_coefficients
from gft.baselines.nn import network_output
from gft.features import ACTIVATIONS, design_matrix
from gft.objective import ReducedObjective
from gft.regularizers import sample_box
from gft.training import TrainingDivergedError, TrainingHistory

QUIET = dict(progress=False)


def _data(m=80, d=3, seed=0, noise=0.0):
    rng = np.random.default_rng(seed)
    X = rng.random((m, d))
    y = np.sin(2 * np.pi * X[:, 0]) + X[:, 1] ** 2 - X[:, 1] * X[:, 2]
    return X, y + noise * rng.standard_normal(m)


def _training_mse(est):
    """MSE on the training split, in units of y (the validation rows are held out)."""
    return float(np.mean((est.predict(est.X_train_) - est.y_train_ * est.y_scale_) ** 2))


# -- the shared ridge solve ----------------------------------------------------------------
@pytest.mark.parametrize("cplx", [False, True])
@pytest.mark.parametrize("M,P", [(30, 12), (12, 30)])  # primal and dual form
def test_ridge_coefficients_match_the_normal_equations(cplx, M, P):
    g = torch.Generator().manual_seed(0)
    A = torch.randn(M, P, generator=g, dtype=torch.float64)
    if cplx:
        A = torch.complex(A, torch.randn(M, P, generator=g, dtype=torch.float64))
    y = torch.randn(M, generator=g, dtype=torch.float64)
    b = ridge_coefficients(A, y, 0.3).numpy()
    An = A.numpy()
    ref = np.linalg.solve(An.conj().T @ An + 0.3 * np.eye(P), An.conj().T @ y.numpy())
    np.testing.assert_allclose(b, ref, rtol=1e-10, atol=1e-12)


# -- RFF -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "activation,sigma",
    [("fourier", 1.0), ("fourier-real", 1.0), ("cosine", 2.0), ("sigmoid", 5.0), ("relu", 1.0)],
)
def test_rff_with_more_features_than_samples_interpolates(activation, sigma):
    X, y = _data(m=42)
    est = RFFRegressor(n_features=100, activation=activation, sigma=sigma, ridge=1e-12,
                       validation_fraction=0.05, random_state=0, **QUIET).fit(X, y)
    assert est.X_train_.shape[0] == 39 < 100  # N >= M_train
    assert _training_mse(est) < 1e-8 * np.var(y)
    assert est.sigma_ == sigma and est.features_.shape == (100, ACTIVATIONS[activation].feature_dim(3))


def test_rff_picks_the_scale_with_the_lowest_validation_mse_on_its_grid():
    X, y = _data()
    grid = [0.05, 0.3, 1.0, 20.0]
    est = RFFRegressor(n_features=20, sigma_grid=grid, random_state=1, **QUIET).fit(X, y)
    np.testing.assert_array_equal(est.sigma_grid_, grid)
    assert est.sigma_ == grid[int(np.argmin(est.sigma_val_mse_))]
    assert est.val_mse_ == est.sigma_val_mse_.min()
    # each candidate's value is the validation MSE of RFF fitted at that fixed scale
    for s, val in zip(grid, est.sigma_val_mse_):
        fixed = RFFRegressor(n_features=20, sigma=s, random_state=1, **QUIET).fit(X, y)
        np.testing.assert_allclose(fixed.val_mse_, val, rtol=1e-9)
        X_val, y_val = X[-8:], y[-8:]
        np.testing.assert_allclose(np.mean((fixed.predict(X_val) - y_val) ** 2), val, rtol=1e-9)


def test_default_sigma_grids_cover_every_activation():
    assert set(DEFAULT_SIGMA_GRIDS) == set(ACTIVATIONS)
    assert all(len(g) >= 1 and min(g) > 0 for g in DEFAULT_SIGMA_GRIDS.values())
    est = RFFRegressor(n_features=10, activation="sigmoid", random_state=0, **QUIET).fit(*_data())
    np.testing.assert_array_equal(est.sigma_grid_, DEFAULT_SIGMA_GRIDS["sigmoid"])


# -- sparse random features ----------------------------------------------------------------
@pytest.mark.parametrize("sigma", [None, 0.7])
@pytest.mark.parametrize("activation", ["fourier", "relu"])
def test_sparse_rf_without_pruning_is_rff_with_the_same_draw(sigma, activation):
    X, y = _data()
    kw = dict(n_features=30, activation=activation, sigma=sigma, random_state=5, **QUIET)
    rff = RFFRegressor(**kw).fit(X, y)
    sparse = SparseRFRegressor(n_initial=30, **kw).fit(X, y)
    assert sparse.sigma_ == rff.sigma_
    np.testing.assert_array_equal(sparse.features_, rff.features_)
    np.testing.assert_array_equal(sparse.coef_, rff.coef_)
    np.testing.assert_array_equal(sparse.predict(X), rff.predict(X))
    np.testing.assert_array_equal(sparse.history_.n_features, [30])


@pytest.mark.parametrize("activation", ["fourier", "fourier-real", "sigmoid"])
def test_one_pruning_round_drops_the_smallest_coefficients_of_the_dense_fit(activation):
    X, y = _data()
    kw = dict(activation=activation, sigma=0.8, random_state=2, **QUIET)
    dense = RFFRegressor(n_features=50, **kw).fit(X, y)
    sparse = SparseRFRegressor(n_features=40, n_initial=50, prune_fraction=0.2, **kw).fit(X, y)
    b = dense.coef_[: 50 * ACTIVATIONS[activation].columns_per_feature]  # no constant column
    size = np.hypot(b[:50], b[50:]) if activation == "fourier-real" else np.abs(b)
    survivors = np.sort(np.argsort(-size, kind="stable")[:40])
    np.testing.assert_array_equal(sparse.features_, dense.features_[survivors])
    np.testing.assert_array_equal(sparse.history_.n_features, [50, 40])


def test_pruning_schedule_ends_at_n_features_with_rows_of_the_initial_draw():
    X, y = _data(m=100)
    kw = dict(sigma=0.5, random_state=4, **QUIET)
    sparse = SparseRFRegressor(n_features=10, n_initial=200, prune_fraction=0.3, **kw).fit(X, y)
    sizes = sparse.history_.n_features
    assert sizes[0] == sparse.n_initial_ == 200 and sizes[-1] == 10
    expected = [200]
    while expected[-1] > 10:
        expected.append(max(10, expected[-1] - max(1, int(0.3 * expected[-1]))))
    np.testing.assert_array_equal(sizes, expected)
    dense = RFFRegressor(n_features=200, **kw).fit(X, y)
    rows = [np.flatnonzero((dense.features_ == w).all(1)) for w in sparse.features_]
    assert all(len(r) == 1 for r in rows) and np.all(np.diff(np.concatenate(rows)) > 0)
    assert isinstance(sparse.history_, PruningHistory) and sparse.features_.shape == (10, 3)
    assert np.all(np.isfinite(sparse.history_.val_mse)) and sparse.history_.kept_round == len(sizes) - 1


def test_select_size_keeps_the_round_with_the_best_validation_mse():
    X, y = _data(m=100, noise=0.3)
    sparse = SparseRFRegressor(n_features=5, n_initial=120, select_size=True, sigma=0.5,
                               random_state=0, **QUIET).fit(X, y)
    h = sparse.history_
    assert h.kept_round == int(np.flatnonzero(h.val_mse == h.val_mse.min())[-1])
    assert sparse.features_.shape[0] == h.n_features[h.kept_round] >= 5
    np.testing.assert_allclose(sparse.val_mse_, h.val_mse.min())


def test_automatic_initial_size_grows_with_the_samples_and_stays_under_the_cap():
    X, y = _data(m=40)
    sparse = SparseRFRegressor(n_features=30, sigma=0.5, random_state=0, **QUIET).fit(X, y)
    assert sparse.n_initial_ == max(2 * 30, 20 * 36)  # 36 training rows
    big = SparseRFRegressor(n_features=30)
    assert big._initial_size(100_000, ACTIVATIONS["fourier"], torch.float64) * 100_000 * 16 <= 2**28


# -- VarPro --------------------------------------------------------------------------------
def test_varpro_from_given_features_never_ends_above_its_initial_training_loss():
    X, y = _data(m=100)
    start = RFFRegressor(n_features=12, sigma=0.5, random_state=0, **QUIET).fit(X, y)
    est = VarProRegressor(n_features=12, init_features=start.features_, steps=60, lr=1e-2,
                          val_every=10, random_state=0, **QUIET).fit(X, y)
    obj = ReducedObjective(torch.as_tensor(est.X_train_), torch.as_tensor(est.y_train_), "fourier", est.ridge)
    initial = float(obj(torch.as_tensor(start.features_))[0])
    final = float(obj(torch.as_tensor(est.features_))[0])
    assert final <= initial
    np.testing.assert_allclose(est.history_.train_loss[0], initial, rtol=1e-6)  # stored in float32
    assert _training_mse(est) <= _training_mse(start) * (1 + 1e-9)
    assert np.isnan(est.init_scale_)


@pytest.mark.parametrize("cls,kwargs", [(VarProRegressor, {}), (NNRegressor, dict(init="rff"))])
def test_zero_steps_give_the_rff_model_of_the_initial_scale(cls, kwargs):
    X, y = _data()
    est = cls(n_features=15, steps=0, random_state=9, **kwargs, **QUIET).fit(X, y)
    rff = RFFRegressor(n_features=15, random_state=9, **QUIET).fit(X, y)  # same grid, same draw
    assert est.init_scale_ == rff.sigma_
    np.testing.assert_array_equal(est.features_, rff.features_)
    np.testing.assert_allclose(est.predict(X), rff.predict(X), rtol=1e-9, atol=1e-12)


def test_varpro_init_scale_is_the_scale_of_the_initial_draw():
    X, y = _data()
    est = VarProRegressor(n_features=8, steps=0, init_scale=2.5, random_state=9, **QUIET).fit(X, y)
    rff = RFFRegressor(n_features=8, sigma=1.0, random_state=9, **QUIET).fit(X, y)
    np.testing.assert_allclose(est.features_, 2.5 * rff.features_, rtol=1e-15)


def test_varpro_steps_are_relative_to_the_initial_scale():
    """Inputs c·x with scale s/c give the same features as x with scale s; a step in units of s
    keeps the two runs the same model, where a step fixed in units of w would not (c = 1000)."""
    X, y = _data(m=120)
    c = 1000.0
    kw = dict(n_features=10, steps=40, lr=0.05, val_every=5, random_state=3, **QUIET)
    small = VarProRegressor(init_scale=0.5, **kw).fit(X, y)
    large = VarProRegressor(init_scale=0.5 / c, **kw).fit(c * X, y)
    assert small.step_unit_ == 0.5 and large.step_unit_ == 0.5 / c
    assert small.history_.best_step > 0  # the runs trained: the comparison is not of two starts
    # equal up to Adam's eps (1e-8, added to the root of v in the units of w in both runs)
    np.testing.assert_allclose(large.features_ * c, small.features_, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(large.predict(c * X), small.predict(X), rtol=1e-4, atol=1e-6)


# -- NN ------------------------------------------------------------------------------------
def _network_numpy(X, W, b, activation):
    """f(x) = Re sum_l b_l phi(<w_l, x~>) / N in float64 NumPy, written out per activation."""
    N = W.shape[0]
    if activation == "fourier":
        return (np.exp(2j * np.pi * X @ W.T) @ b).real / N
    if activation == "fourier-real":  # b = (cos weights, sin weights)
        t = 2 * np.pi * X @ W.T
        return (np.cos(t) @ b[:N] + np.sin(t) @ b[N:]) / N
    t = X @ W[:, :-1].T + W[:, -1]  # the last coordinate of w is the input bias
    phi = {"sigmoid": lambda t: 1 / (1 + np.exp(-t)), "relu": lambda t: np.maximum(t, 0),
           "cosine": lambda t: np.cos(np.pi * t)}[activation]
    return (phi(t) @ b[:N] + b[N]) / N  # and a constant output column 1/N


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_nn_output_is_the_network_formula_with_its_gradients(activation):
    """network_output against NumPy, and its gradients in W and b against central differences."""
    act = ACTIVATIONS[activation]
    g = torch.Generator().manual_seed(0)
    X = torch.rand(25, 3, generator=g, dtype=torch.float64)
    W = torch.randn(7, act.feature_dim(3), generator=g, dtype=torch.float64)
    b = torch.randn(act.n_columns(7), 2 if act.complex else 1, generator=g, dtype=torch.float64)
    b = torch.view_as_complex(b) if act.complex else b[:, 0]
    out = network_output(X, W, b, activation)
    np.testing.assert_allclose(out.numpy(), _network_numpy(X.numpy(), W.numpy(), b.numpy(), activation),
                               rtol=1e-12, atol=1e-14)
    # d/dθ sum f(x_k)^2 for one entry of W and one of b (real and imaginary parts)
    Wg, bg = W.clone().requires_grad_(True), b.clone().requires_grad_(True)
    gW, gb = torch.autograd.grad(network_output(X, Wg, bg, activation).square().sum(), [Wg, bg])

    def loss(W_, b_):
        return float(np.sum(_network_numpy(X.numpy(), W_, b_, activation) ** 2))

    h = 1e-6
    for (i, j) in [(0, 0), (6, act.feature_dim(3) - 1)]:
        E = np.zeros(W.shape)
        E[i, j] = h
        fd = (loss(W.numpy() + E, b.numpy()) - loss(W.numpy() - E, b.numpy())) / (2 * h)
        assert float(gW[i, j]) == pytest.approx(fd, rel=1e-6, abs=1e-8)
    for k in (0, act.n_columns(7) - 1):
        for unit in ((1, 1j) if act.complex else (1,)):
            e = np.zeros(b.shape, dtype=b.numpy().dtype)
            e[k] = h * unit
            fd = (loss(W.numpy(), b.numpy() + e) - loss(W.numpy(), b.numpy() - e)) / (2 * h)
            got = gb[k].real if unit == 1 else gb[k].imag  # torch: conj Wirtinger, d/du + i d/dv
            assert float(got) == pytest.approx(fd, rel=1e-6, abs=1e-8)


def test_fitted_nn_predicts_the_network_formula_and_reports_its_validation_mse():
    """predict = rms(y) Re(sum_l b_l exp(2 pi i <w_l, x>)) / N in NumPy; val_mse_ = MSE on the last 10 %."""
    X, y = _data()
    est = NNRegressor(n_features=10, steps=30, lr=1e-2, val_every=10, random_state=0, **QUIET).fit(X, y)
    W, b = est.features_, est.coef_
    ref = (np.exp(2j * np.pi * X @ W.T) @ b).real / 10 * np.sqrt(np.mean(y**2))
    np.testing.assert_allclose(est.predict(X), ref, rtol=1e-12, atol=1e-14)
    assert isinstance(est.history_, TrainingHistory) and len(est.history_.train_loss) == 30
    np.testing.assert_allclose(est.val_mse_, np.mean((ref[-8:] - y[-8:]) ** 2), rtol=1e-9)


@pytest.mark.parametrize("activation", ["fourier", "sigmoid"])
def test_nn_objective_adds_the_tv_penalty_of_the_network(activation):
    act = ACTIVATIONS[activation]
    g = torch.Generator().manual_seed(1)
    X = torch.rand(30, 2, generator=g, dtype=torch.float64)
    y = torch.randn(30, generator=g, dtype=torch.float64)
    W = torch.randn(6, act.feature_dim(2), generator=g, dtype=torch.float64)
    b = ridge_coefficients(design_matrix(X, W, act), y, 1e-3)
    objective = NetworkObjective(X, y, activation, tv_weight=0.5, n_tv_points=50)
    loss, mse, tv = objective((W, b), torch.Generator().manual_seed(7))
    # TV of the NumPy network at the same points, its input gradient by central differences
    xi = sample_box(X.min(0).values, X.max(0).values, 50, torch.Generator().manual_seed(7)).numpy()
    Wn, bn, h = W.numpy(), b.numpy(), 1e-6

    def f(points):
        return (numpy_design(points, Wn, activation) @ bn).real

    grad = np.stack([(f(xi + h * e) - f(xi - h * e)) / (2 * h) for e in np.eye(2)], axis=-1)
    np.testing.assert_allclose(float(tv), np.abs(grad).sum(-1).mean(), rtol=1e-7)
    np.testing.assert_allclose(float(mse), float(((design_matrix(X, W, act) @ b).real - y).square().mean()))
    np.testing.assert_allclose(float(loss), float(mse + 0.5 * tv))


def test_nn_with_zero_initial_coefficients_starts_from_the_zero_function():
    X, y = _data()
    est = NNRegressor(n_features=10, steps=0, init="rff", init_coef="zeros", random_state=0, **QUIET).fit(X, y)
    np.testing.assert_array_equal(est.coef_, np.zeros(10, dtype=complex))
    np.testing.assert_allclose(est.history_.train_loss.size, 0)
    np.testing.assert_allclose(est.val_mse_, np.mean(y[-8:] ** 2), rtol=1e-12)


def test_nn_training_moves_both_layers_and_lowers_the_loss():
    X, y = _data()
    kw = dict(n_features=10, init="rff", init_scale=1.0, val_every=10, random_state=0, **QUIET)
    start = NNRegressor(steps=0, **kw).fit(X, y)
    est = NNRegressor(steps=100, lr=1e-2, **kw).fit(X, y)
    loss = est.history_.train_loss
    assert loss[-1] < 0.5 * loss[0] and est.history_.best_step > 0
    assert not np.allclose(est.features_, start.features_) and not np.allclose(est.coef_, start.coef_)
    assert _training_mse(est) < 0.5 * _training_mse(start)


@pytest.mark.parametrize("activation", ["sigmoid", "fourier-real"])
def test_nn_default_is_a_pytorch_network_trained_by_adam(activation):
    """The default NN is nn.Linear(d, N) -> Φ -> nn.Linear(N', 1) with PyTorch's own default
    initialisation, trained by torch.optim.Adam on its own weights: the same losses step by
    step as a network built from torch.nn with the estimator's initial weights."""
    X, y = _data(m=60)
    kw = dict(n_features=12, activation=activation, lr=1e-2, val_every=1000, random_state=3, **QUIET)
    start = NNRegressor(steps=0, **kw).fit(X, y)
    est = NNRegressor(steps=25, **kw).fit(X, y)
    act, N, d = ACTIVATIONS[activation], 12, X.shape[1]
    W0, b0 = start.features_, start.coef_
    hidden = act.n_columns(N) - int(act.bias)
    # PyTorch's bounds: 1/sqrt(fan_in) for weight and bias of both layers
    assert np.abs(W0).max() <= 1 / np.sqrt(d) and np.abs(W0).max() > 0.8 / np.sqrt(d)
    v0 = b0 / N
    assert np.abs(v0).max() <= 1 / np.sqrt(hidden) and np.abs(v0).max() > 0.7 / np.sqrt(hidden)
    # the same network in torch.nn, trained on the estimator's scaled targets
    Xt = torch.as_tensor(X[:-6])
    yt = torch.as_tensor(y[:-6] / est.y_scale_)
    first = torch.nn.Linear(d, N, bias=act.bias, dtype=torch.float64)
    last = torch.nn.Linear(hidden, 1, bias=act.bias, dtype=torch.float64)
    with torch.no_grad():
        if act.bias:
            first.weight.copy_(torch.as_tensor(W0[:, :d]))
            first.bias.copy_(torch.as_tensor(W0[:, d]))
            last.weight.copy_(torch.as_tensor(v0[:hidden])[None])
            last.bias.copy_(torch.as_tensor(v0[hidden:]))
        else:
            first.weight.copy_(torch.as_tensor(W0))
            last.weight.copy_(torch.as_tensor(v0)[None])

    def net(x):
        t = first(x)
        if activation == "sigmoid":
            return last(torch.sigmoid(t))[:, 0]
        s = 2 * np.pi * t
        return last(torch.cat([torch.cos(s), torch.sin(s)], dim=1))[:, 0]

    params = [first.weight, last.weight] + ([first.bias, last.bias] if act.bias else [])
    opt = torch.optim.Adam(params, lr=1e-2)
    losses = []
    for _ in range(25):
        opt.zero_grad()
        loss = (net(Xt) - yt).square().mean()
        losses.append(float(loss.detach()))
        loss.backward()
        opt.step()
    np.testing.assert_allclose(est.history_.train_loss, losses, rtol=1e-9)
    assert losses[-1] < 0.9 * losses[0]  # it trains


def test_nn_init_scale_belongs_to_the_rff_initialisation():
    X, y = _data()
    with pytest.raises(ValueError, match=r"init_scale.*None with init=\"pytorch\""):
        NNRegressor(n_features=5, steps=0, init_scale=1.0, **QUIET).fit(X, y)


def test_nn_ctrl_c_keeps_the_best_iterate_and_warns(monkeypatch):
    calls = {"n": 0}
    original = NetworkObjective.__call__

    def interrupted_at_step_7(self, params, generator=None):
        calls["n"] += 1
        if calls["n"] == 8:
            raise KeyboardInterrupt
        return original(self, params, generator)

    monkeypatch.setattr(NetworkObjective, "__call__", interrupted_at_step_7)
    X, y = _data()
    est = NNRegressor(n_features=10, steps=50, lr=1e-2, val_every=5, random_state=0, **QUIET)
    with pytest.warns(RuntimeWarning, match="NN interrupted at step 7: keeping the best iterate"):
        est.fit(X, y)
    assert est.history_.interrupted and len(est.history_.train_loss) == 7
    # the kept iterate is the best of those validated (steps 0 and 5), as a clean 5-step run keeps
    monkeypatch.undo()
    clean = NNRegressor(n_features=10, steps=5, lr=1e-2, val_every=5, random_state=0, **QUIET).fit(X, y)
    np.testing.assert_array_equal(est.features_, clean.features_)
    np.testing.assert_array_equal(est.coef_, clean.coef_)


def test_nn_divergence_raises_and_keeps_the_best_iterate():
    X, y = _data()
    est = NNRegressor(n_features=10, activation="relu", steps=50, lr=1e300,
                      val_every=10, random_state=0, **QUIET)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(TrainingDivergedError, match="Try a smaller learning rate"):
            est.fit(X, y)
    # the only iterate validated before the divergence is step 0: the initial network
    start = NNRegressor(n_features=10, activation="relu", steps=0, random_state=0, **QUIET).fit(X, y)
    np.testing.assert_array_equal(est.features_, start.features_)
    np.testing.assert_array_equal(est.coef_, start.coef_)


# -- parameter validation ------------------------------------------------------------------
@pytest.mark.parametrize(
    "cls,kwargs,match",
    [
        (RFFRegressor, dict(sigma=-1.0),
         r"'sigma' parameter of RFFRegressor must be a float in the range \(0\.0, inf\) or None\. Got -1\.0 instead"),
        (RFFRegressor, dict(sigma_grid=[]),
         r"'sigma_grid' parameter of RFFRegressor must be None or a non-empty 1-D sequence .*\. Got \[\] instead"),
        (RFFRegressor, dict(sigma_grid=[1.0, -2.0]),
         r"'sigma_grid' parameter of RFFRegressor must be .* positive finite numbers\. Got \[1\.0, -2\.0\] instead"),
        (RFFRegressor, dict(activation="tanh"),
         r"'activation' parameter of RFFRegressor must be a str among \{.*'cosine'.*\}.*\. Got 'tanh' instead"),
        (SparseRFRegressor, dict(n_features=10, n_initial=5),
         r"'n_initial' parameter of SparseRFRegressor must be None \(the automatic size\) or >= n_features=10, "
         r"since pruning only removes features\. Got 5 instead"),
        (SparseRFRegressor, dict(prune_fraction=1.0),
         r"'prune_fraction' parameter of SparseRFRegressor must be a float in the range \(0\.0, 1\.0\)\. Got 1\.0 instead"),
        (SparseRFRegressor, dict(prune_fraction=0.0),
         r"'prune_fraction' parameter of SparseRFRegressor must be a float in the range \(0\.0, 1\.0\)\. Got 0\.0 instead"),
        (SparseRFRegressor, dict(select_size="yes"),
         r"'select_size' parameter of SparseRFRegressor must be an instance of 'bool' .*\. Got 'yes' instead"),
        (NNRegressor, dict(init_coef="ones"),
         r"'init_coef' parameter of NNRegressor must be a str among \{'(ridge|zeros)', '(ridge|zeros)'\}\. Got 'ones' instead"),
        (NNRegressor, dict(steps=-1), r"'steps' parameter of NNRegressor must be an int in the range \[0, inf\)\. Got -1 instead"),
        (NNRegressor, dict(init_scale=0.0),
         r"'init_scale' parameter of NNRegressor must be a float in the range \(0\.0, inf\) or None\. Got 0\.0 instead"),
        (NNRegressor, dict(val_every=0), r"'val_every' parameter of NNRegressor must be an int in the range \[1, inf\)\. Got 0 instead"),
        (VarProRegressor, dict(n_features=4, init_features=np.zeros((4, 2))),
         r"init_features must have shape \(n_features, D\) = \(4, 3\)"),
        (VarProRegressor, dict(n_features=2, init_features=np.zeros((2, 3))),
         r"init_features must not be all zero: their scale is the unit of lr"),
        (VarProRegressor, dict(n_features=2, init_features=[[0.0, np.nan, 1.0], [1, 2, 3]]),
         r"init_features must be finite"),
        (VarProRegressor, dict(n_tv_points=0),
         r"'n_tv_points' parameter of VarProRegressor must be an int in the range \[1, inf\)\. Got 0 instead"),
    ],
)
def test_invalid_parameters_raise_at_fit(cls, kwargs, match):
    est = cls(**kwargs, **QUIET)  # __init__ only stores
    assert all(est.get_params()[k] is v for k, v in kwargs.items())
    with pytest.raises(ValueError, match=match):
        est.fit(*_data(m=20))
