"""On inputs with empty regions: GFTRegressorCV against a TV-free fit, a ridge-tuned RFF and the mean.

The data are :func:`gft.datasets.clustered_with_gaps`: training inputs in six tight
clusters of [0, 1]^2 with label noise 0.1, test inputs uniform over the bounding box of the
training inputs (where the TV term is sampled) but at least 0.1 from every training input: the
gaps between the clusters, not the square beyond them. For each seed the script fits

- ``mean``: predict the training mean;
- ``gft λ=0``: ``GFTRegressor(tv_weight=0)``;
- ``gft-cv``: ``GFTRegressorCV`` (the protocol's λ grid, 5 folds), GFT-r predictions;
- ``gft-cv-1se``: the same with ``selection="1se"``, the largest λ within one standard
  error of the best mean held-out MSE;
- ``gft-cv-blocked``: the same with whole regions held out: ``GroupKFold`` over five
  ``KMeans`` clusters of the training inputs;
- ``gft-cv-ridge``: ``GFTRegressorCV`` over λ and the ridge δ ∈ {1e-7, 1e-4, 1e-2}
  (``ridges=``, 5 folds, 18 candidates);
- ``rff``: ``RFFRegressor`` (σ tuned on its validation split) with its ridge chosen by
  5-fold ``GridSearchCV`` over 1e-7 … 10,

all with N features, and prints the test MSE in the gaps. It also fits
``GFTRegressor(tv_weight=λ, ridge=δ)`` on all rows for every pair (λ, δ) of ``gft-cv-ridge``'s
grid (one batched run of 18 fits), the test MSE each pair would have given
(``gft_ridge_at_<λ>_<δ>``): what no selection rule can beat; ``gft_at_<λ>`` are those at the
default δ = 1e-7. Usage::

    python benchmarks/gaps_robustness.py --seeds 0 1 2 3 4 --out book/results/robustness/gaps.csv

With ``--defaults`` it runs instead, at GFTRegressor's defaults (N = 100, a 3x512 generator,
3000 + 3000 steps: about 20 minutes a seed on one core), ``GFTRegressor(tv_weight=0)``,
``GFTRegressorCV`` (5 folds) and the tuned RFF with N = 100::

    python benchmarks/gaps_robustness.py --defaults --seeds 0 1 2 3 4 --out book/results/robustness/gaps_defaults.csv

With ``--fixed-ridges δ ...`` it runs instead, for each seed and each δ, ``GFTRegressorCV`` over
λ alone at ``ridge=δ`` (5 folds; ``gft_cv``, and ``gft_cv_1se``) and every λ of the grid at
that δ on all rows (``gft_at_<λ>``), beside ``mean`` and the tuned ``rff``: one row per
(seed, δ)::

    python benchmarks/gaps_robustness.py --fixed-ridges 1e-2 1e-1 --out book/results/robustness/gaps_fixed_ridge.csv
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.model_selection import GridSearchCV, GroupKFold

from gft import GFTRegressor, GFTRegressorCV, RFFRegressor, fit_batched
from gft.datasets import clustered_with_gaps
from gft.experiments import store
from gft.model_selection import DEFAULT_TV_WEIGHTS

#: The budget of this comparison: a smaller generator and fewer steps than the ``book``
#: preset, so that the about 200 fits of a seed (four five-fold selections and their refits,
#: the (λ, δ) grid, one TV-free fit) run in about five minutes on one CPU core.
BUDGET = dict(n_features=40, hidden=(128, 128), generator_steps=1000, refine_steps=1000,
              lr=2e-3, refine_lr=1e-2, lr_schedule="cosine", n_tv_points=500, val_every=50,
              n_val_draws=5, progress=False)
RIDGES = (1e-7, 1e-5, 1e-3, 1e-1, 1.0, 10.0)
#: The ridges δ that ``gft-cv-ridge`` tunes together with λ (1e-7 is GFTRegressor's default).
GFT_RIDGES = (1e-7, 1e-4, 1e-2)


def compare(seed: int, budget: dict = BUDGET, cv: int = 5) -> dict:
    """Test MSE in the gaps of the four methods for one seed, with fit times and the chosen λ."""
    X, y, X_test, y_test = clustered_with_gaps(seed)
    mse = lambda pred: float(np.mean((pred - y_test) ** 2))  # noqa: E731
    row: dict = dict(seed=seed, var_test=float(np.var(y_test)), mean=mse(np.full_like(y_test, y.mean())))
    start = time.perf_counter()
    plain = GFTRegressor(tv_weight=0.0, random_state=seed, **budget).fit(X, y)
    row.update(gft_lambda0=mse(plain.predict(X_test)), gft_lambda0_seconds=time.perf_counter() - start)
    start = time.perf_counter()
    tuned = GFTRegressorCV(cv=cv, random_state=seed, **budget).fit(X, y)
    row.update(gft_cv=mse(tuned.predict(X_test)), gft_cv_seconds=time.perf_counter() - start,
               gft_cv_lambda=tuned.tv_weight_)
    start = time.perf_counter()
    one_se = GFTRegressorCV(cv=cv, selection="1se", random_state=seed, **budget).fit(X, y)
    row.update(gft_cv_1se=mse(one_se.predict(X_test)), gft_cv_1se_seconds=time.perf_counter() - start,
               gft_cv_1se_lambda=one_se.tv_weight_)
    start = time.perf_counter()
    both = GFTRegressorCV(cv=cv, ridges=GFT_RIDGES, random_state=seed, **budget).fit(X, y)
    row.update(gft_cv_ridge=mse(both.predict(X_test)), gft_cv_ridge_seconds=time.perf_counter() - start,
               gft_cv_ridge_lambda=both.tv_weight_, gft_cv_ridge_ridge=both.ridge_)
    start = time.perf_counter()
    pairs = [(w, r) for w in DEFAULT_TV_WEIGHTS for r in GFT_RIDGES]
    every = fit_batched([GFTRegressor(tv_weight=w, ridge=r, random_state=seed, **budget) for w, r in pairs], X, y)
    row.update({f"gft_ridge_at_{w:g}_{r:g}": mse(f.predict(X_test)) for (w, r), f in zip(pairs, every)})
    row.update(gft_ridge_at_seconds=time.perf_counter() - start)
    # GFTRegressor's default ridge is one column of that grid: the λ grid alone needs no run of its own
    default = GFTRegressor().ridge
    row.update({f"gft_at_{w:g}": row[f"gft_ridge_at_{w:g}_{default:g}"] for w in DEFAULT_TV_WEIGHTS})
    start = time.perf_counter()
    groups = KMeans(n_clusters=cv, n_init=10, random_state=seed).fit_predict(X)
    blocked = GFTRegressorCV(cv=list(GroupKFold(cv).split(X, y, groups)), random_state=seed, **budget).fit(X, y)
    row.update(gft_cv_blocked=mse(blocked.predict(X_test)), gft_cv_blocked_seconds=time.perf_counter() - start,
               gft_cv_blocked_lambda=blocked.tv_weight_)
    start = time.perf_counter()
    rff = _rff(X, y, seed, budget, cv)
    row.update(rff=mse(rff.predict(X_test)), rff_seconds=time.perf_counter() - start,
               rff_ridge=rff.best_params_["ridge"])
    return row


def _rff(X, y, seed: int, budget: dict, cv: int) -> GridSearchCV:
    return GridSearchCV(RFFRegressor(n_features=budget["n_features"], random_state=seed, progress=False),
                        {"ridge": list(RIDGES)}, cv=cv, scoring="neg_mean_squared_error").fit(X, y)


def compare_fixed_ridge(seed: int, ridge: float, budget: dict = BUDGET, cv: int = 5) -> dict:
    """At one ridge δ: λ by 5-fold CV (best and 1se) and every λ in hindsight, test MSE in the gaps."""
    X, y, X_test, y_test = clustered_with_gaps(seed)
    mse = lambda pred: float(np.mean((pred - y_test) ** 2))  # noqa: E731
    row: dict = dict(seed=seed, ridge=ridge, var_test=float(np.var(y_test)),
                     mean=mse(np.full_like(y_test, y.mean())))
    for name, rule in (("gft_cv", "min"), ("gft_cv_1se", "1se")):
        start = time.perf_counter()
        tuned = GFTRegressorCV(cv=cv, selection=rule, ridge=ridge, random_state=seed, **budget).fit(X, y)
        row.update({name: mse(tuned.predict(X_test)), f"{name}_seconds": time.perf_counter() - start,
                    f"{name}_lambda": tuned.tv_weight_})
    start = time.perf_counter()
    every = fit_batched([GFTRegressor(tv_weight=w, ridge=ridge, random_state=seed, **budget)
                         for w in DEFAULT_TV_WEIGHTS], X, y)
    row.update({f"gft_at_{w:g}": mse(f.predict(X_test)) for w, f in zip(DEFAULT_TV_WEIGHTS, every)})
    row.update(gft_at_seconds=time.perf_counter() - start)
    start = time.perf_counter()
    rff = _rff(X, y, seed, budget, cv)
    row.update(rff=mse(rff.predict(X_test)), rff_seconds=time.perf_counter() - start,
               rff_ridge=rff.best_params_["ridge"])
    return row


def compare_at_defaults(seed: int, cv: int = 5) -> dict:
    """At GFTRegressor's defaults (N = 100, a 3x512 generator, 3000 + 3000 steps): λ = 0,
    GFTRegressorCV (the protocol's λ grid, 5 folds) and the tuned RFF with N = 100, test MSE in the gaps."""
    X, y, X_test, y_test = clustered_with_gaps(seed)
    mse = lambda pred: float(np.mean((pred - y_test) ** 2))  # noqa: E731
    row: dict = dict(seed=seed, var_test=float(np.var(y_test)), mean=mse(np.full_like(y_test, y.mean())))
    start = time.perf_counter()
    plain = GFTRegressor(tv_weight=0.0, random_state=seed, progress=False).fit(X, y)
    row.update(gft_lambda0=mse(plain.predict(X_test)), gft_lambda0_seconds=time.perf_counter() - start)
    start = time.perf_counter()
    tuned = GFTRegressorCV(cv=cv, random_state=seed, progress=False).fit(X, y)
    row.update(gft_cv=mse(tuned.predict(X_test)), gft_cv_seconds=time.perf_counter() - start,
               gft_cv_lambda=tuned.tv_weight_)
    start = time.perf_counter()
    rff = _rff(X, y, seed, dict(n_features=GFTRegressor().n_features), cv)
    row.update(rff=mse(rff.predict(X_test)), rff_seconds=time.perf_counter() - start,
               rff_ridge=rff.best_params_["ridge"])
    return row


def main(argv: list[str] | None = None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--fixed-ridges", type=float, nargs="+", default=None,
                        help="instead: GFTRegressorCV over λ at each of these ridges δ")
    parser.add_argument("--defaults", action="store_true",
                        help="instead: λ = 0, GFTRegressorCV and RFF at GFTRegressor's defaults (N = 100)")
    parser.add_argument("--out", default=None, help="CSV to write (with the command and the date)")
    args = parser.parse_args(argv)
    rows = []
    for seed in args.seeds:
        if args.defaults:
            rows.append(r := compare_at_defaults(seed))
            print(f"seed {seed}: mean {r['mean']:.4f} | gft λ=0 {r['gft_lambda0']:.4f} | gft-cv {r['gft_cv']:.4f} "
                  f"(λ={r['gft_cv_lambda']:g}) | rff {r['rff']:.4f} (ridge {r['rff_ridge']:g})", flush=True)
            continue
        if args.fixed_ridges:
            for ridge in args.fixed_ridges:
                rows.append(r := compare_fixed_ridge(seed, ridge))
                print(f"seed {seed}, δ={ridge:g}: mean {r['mean']:.4f} | gft-cv {r['gft_cv']:.4f} "
                      f"(λ={r['gft_cv_lambda']:g}) | 1se {r['gft_cv_1se']:.4f} (λ={r['gft_cv_1se_lambda']:g}) | "
                      f"rff {r['rff']:.4f}", flush=True)
            continue
        rows.append(r := compare(seed))
        print(f"seed {seed}: mean {r['mean']:.4f} | gft λ=0 {r['gft_lambda0']:.4f} | gft-cv "
              f"{r['gft_cv']:.4f} (λ={r['gft_cv_lambda']:g}) | 1se {r['gft_cv_1se']:.4f} "
              f"(λ={r['gft_cv_1se_lambda']:g}) | blocked {r['gft_cv_blocked']:.4f} "
              f"(λ={r['gft_cv_blocked_lambda']:g}) | λ and δ {r['gft_cv_ridge']:.4f} "
              f"(λ={r['gft_cv_ridge_lambda']:g}, δ={r['gft_cv_ridge_ridge']:g}) | rff {r['rff']:.4f} "
              f"(ridge {r['rff_ridge']:g})", flush=True)
    df = pd.DataFrame(rows)
    if args.out:
        seconds = df[[c for c in df.columns if c.endswith("_seconds")]].sum(axis=1)
        budget = ({k: v for k, v in GFTRegressor().get_params().items() if k in BUDGET and k != "progress"} if args.defaults
                  else {k: v for k, v in BUDGET.items() if k != "progress"})
        df.assign(preset="GFTRegressor defaults" if args.defaults else "gaps_robustness.BUDGET",
                  wall_seconds=seconds, engine="fused", test_region="box", budget=json.dumps(budget),
                  **store.provenance("python benchmarks/gaps_robustness.py " + " ".join(argv or sys.argv[1:])),
                  ).to_csv(args.out, index=False)
    return df


if __name__ == "__main__":
    main()
