"""Certified local evaluation on real data: cost and error against kde_tol, in one run.

For each data set (the benchmark collection in ../shared/data, or
SIMPOR_DATA_DIR), balances the whole set with ``informative=None`` (so the
ascent alone is timed), float64, for each ``kde_tol``, and prints seconds,
the time ratio to ``kde_tol=0`` (every trial on all the data), the fraction
of (trial point, data point) pairs evaluated (``pair_fraction_``), trials
per row, the mean log posterior ratio reached and the largest difference
between the returned ``log_ratio_`` and log f recomputed exactly at the
returned rows (float64, all the data) -- never above ``kde_tol``.

    python bench/kde_tol.py                               # the default sets
    python bench/kde_tol.py --datasets abalone --tols 0 1e-3 --json out.json
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from data_sets import data_set_parser, load_imblearn  # bench/data_sets.py

DEFAULT = ("abalone", "satimage", "pen_digits", "mammography", "letter_img", "us_crime")
TOLS = (0.0, 1e-4, 1e-3, 1e-2)


def exact_error(sampler, X: np.ndarray, y: np.ndarray, X_res: np.ndarray) -> float:
    """Largest |log_ratio_ - exact log f| over the synthetic rows (binary sets: class B = the grown class)."""
    from simpor_ext import kernels
    from simpor_ext.bandwidth import Standardizer

    std = Standardizer.fit(X)
    Z = std.transform(X, np.float64)
    grown = np.asarray(y[sampler.sample_origin_])
    worst = 0.0
    for label in np.unique(grown):
        rows = np.flatnonzero(grown == label)
        points = std.transform(X_res[X.shape[0] + rows], np.float64)
        exact, _ = kernels.log_ratio_grad(points, Z[y == label], Z[y != label], sampler.bandwidth_, device="cpu")
        worst = max(worst, float(np.abs(exact - sampler.log_ratio_[rows]).max()))
    return worst


def run_tol(X, y, kde_tol: float) -> dict:
    from simpor_ext import SIMPOR

    sampler = SIMPOR(kde_tol=kde_tol, informative=None, device="cpu", random_state=0)
    start = time.perf_counter()
    X_res, _ = sampler.fit_resample(X, y)
    return {"kde_tol": kde_tol, "seconds": time.perf_counter() - start, "pair_fraction": sampler.pair_fraction_,
            "trials_per_row": float(sampler.n_iter_.mean()), "log_ratio": float(sampler.log_ratio_.mean()),
            "max_error": exact_error(sampler, X, y, X_res)}


def main(argv=None) -> int:
    p = data_set_parser(__doc__, DEFAULT)
    p.add_argument("--tols", nargs="+", type=float, default=list(TOLS))
    args = p.parse_args(argv)
    print(f"{'data set':<14} {'n':>6} {'d':>4} {'kde_tol':>8} {'seconds':>8} {'speed-up':>8} {'pairs':>6} "
          f"{'trials':>6} {'mean log f':>11} {'max error':>10}")
    rows = []
    for name in args.datasets:
        X, y = load_imblearn(name)
        X = X.astype(np.float64)
        runs = [run_tol(X, y, tol) for tol in args.tols]
        for r in runs:
            print(f"{name:<14} {X.shape[0]:>6} {X.shape[1]:>4} {r['kde_tol']:>8.0e} {r['seconds']:>8.2f} "
                  f"{runs[0]['seconds'] / r['seconds']:>7.2f}x {r['pair_fraction']:>6.3f} {r['trials_per_row']:>6.1f} "
                  f"{r['log_ratio']:>11.4f} {r['max_error']:>10.2e}", flush=True)
        rows.append({"dataset": name, "n": X.shape[0], "d": X.shape[1], "runs": runs})
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
