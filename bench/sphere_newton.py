"""What second-order steps could save: trials per row of a Riemannian Newton ascent (NumPy prototype).

For each data set, ascends the same seeds (r ~ U(0, R), R the mean distance
to 10 same-class neighbours, random start directions) with

* the package's ``"newton"`` rule (a 1-D search on great circles along the
  tangent gradient; ``kde_tol=0``),
* a float64 NumPy prototype of Newton's method on the sphere: the direction
  solves the Riemannian Newton system, with the exact Hessian of log f,
  ``(Cov_B - Cov_A) / h^4`` (kernel-weighted covariances), recomputed at
  every accepted point, or the seed's Hessian kept for the whole ascent;
  the angle starts at the Newton step's length and backtracks (secant or
  quadratic) until log f rises; same stopping test (r |t| <= 1e-4),

and prints the mean, median and largest trial counts and the largest drop in
the maximum reached against the package (negative: the prototype stopped lower).
With ``--cut NATS`` the Hessians use only each class's points whose score lies
within NATS of the class's largest (with ``--keep K``, at most the K highest),
and the share of points used is printed.
A Hessian costs about d^2 / 2 multiply-adds per (point, data point) pair where a
trial costs about 2d, so the counts say what a cheap (truncated or low-rank)
Hessian could buy, not what this prototype costs.

    python bench/sphere_newton.py --datasets mammography us_crime --seeds 20
"""
from __future__ import annotations

import argparse

import numpy as np

from data_sets import load_imblearn
from scale import make_data

TOL = 1e-4


class Hessians:
    """Which points the Hessians use (all, or those within `cut` nats of the top score, at most the `keep`
    highest-scoring of them), and what share."""

    def __init__(self, cut=None, keep=None):
        self.cut, self.keep_at_most, self.shares = cut, keep, []

    def keep(self, scores):
        mask = np.ones(scores.size, bool) if self.cut is None else scores >= scores.max() - self.cut
        if self.keep_at_most is not None and mask.sum() > self.keep_at_most:
            mask = scores >= np.partition(scores, -self.keep_at_most)[-self.keep_at_most]
        self.shares.append(mask.mean())
        return mask


def log_ratio_grad_hessian(p, numer, denom, h, hessians):
    """log f, grad log f and the Hessian (Cov_B - Cov_A) / h^4 at one point, in float64."""
    out = []
    for cls in (numer, denom):
        s = -((p - cls) ** 2).sum(1) / (2 * h * h)
        top = s.max()
        w = np.exp(s - top)
        total = w.sum()
        w /= total
        mu = w @ cls
        keep = hessians.keep(s)
        dev = cls[keep] - mu
        out.append((top + np.log(total), mu, (dev * w[keep, None]).T @ dev))
    (lb, mb, cb), (la, ma, ca) = out
    return lb - la, (mb - ma) / h**2, (cb - ca) / h**4


def newton_direction(u, g, H, r):
    """Tangent direction solving the Riemannian Newton system; the tangent gradient where it is not an ascent."""
    t = g - (g @ u) * u
    P = np.eye(u.size) - np.outer(u, u)
    M = -(r * r) * P @ H @ P + (r * (g @ u)) * P + np.outer(u, u)  # minus the Riemannian Hessian, u-block = 1
    if np.linalg.eigvalsh(M).min() <= 1e-12:
        return t
    d = np.linalg.solve(M, r * t)
    d -= (d @ u) * u
    return d if d @ t > 0 else t


def ascend(x, r, u, numer, denom, h, refresh: bool, hessians, max_iter=300):
    """Trials and the final log f of one seed."""
    f, g, H = log_ratio_grad_hessian(x + r * u, numer, denom, h, hessians)
    n = 0
    while n < max_iter:
        t = g - (g @ u) * u
        if r * np.linalg.norm(t) <= TOL:
            break
        d = newton_direction(u, g, H, r)
        step = np.linalg.norm(d)
        dh = d / step
        slope0, angle = r * (g @ dh), min(step, np.pi / 2)
        while True:
            un = u * np.cos(angle) + dh * np.sin(angle)
            un /= np.linalg.norm(un)
            fn, gn, Hn = log_ratio_grad_hessian(x + r * un, numer, denom, h, hessians)
            n += 1
            if fn > f:
                u, f, g = un, fn, gn
                H = Hn if refresh else H
                break
            slope_t = r * (gn @ (-u * np.sin(angle) + dh * np.cos(angle)))
            quad = (fn - f - slope0 * angle) / angle**2
            nxt = angle * slope0 / (slope0 - slope_t) if slope_t < 0 else (-slope0 / (2 * quad) if quad < 0 else 0.5 * angle)
            angle = min(max(nxt, 0.1 * angle), 0.5 * angle)
            if angle < 1e-12 or n >= max_iter:
                return n, f
    return n, f


def standardised(name):
    from simpor_ext.bandwidth import Standardizer, resolve_bandwidth

    X, y = make_data(5000, 250) if name == "gauss30" else load_imblearn(name)
    Z = Standardizer.fit(X).transform(X, np.float64)
    return Z[y == 1], Z[y != 1], resolve_bandwidth("scott", *Z.shape)


def run(name, n_seeds, cut=None, keep=None, seed=0) -> dict:
    from simpor_ext import kernels

    numer, denom, h = standardised(name)
    rng = np.random.default_rng(seed)
    dist = np.linalg.norm(numer[:, None] - numer[None], axis=-1)
    R = np.sort(dist, axis=1)[:, 1:11].mean(1)
    idx = rng.integers(0, numer.shape[0], n_seeds)
    radii = R[idx] * rng.uniform(size=n_seeds)
    dirs = rng.normal(size=(n_seeds, numer.shape[1]))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    package = kernels.ascend(numer[idx], radii, dirs, numer, denom, h, kde_tol=0.0, step_rule="newton", device="cpu")
    row = {"dataset": name, "d": numer.shape[1], "package": package.n_iter.astype(float)}
    for label, refresh in (("newton_exact", True), ("newton_seed", False)):
        hessians = Hessians(cut, keep)
        runs = [ascend(numer[i], r, u, numer, denom, h, refresh, hessians) for i, r, u in zip(idx, radii, dirs)]
        row[label] = np.array([n for n, _ in runs], float)
        row[label + "_gap"] = float(min(f - p for (_, f), p in zip(runs, package.log_ratio)))
        row[label + "_share"] = float(np.mean(hessians.shares))
    return row


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", default=["gauss30", "mammography", "satimage", "us_crime"],
                   help="gauss30 (bench/scale.py's classes, n = 5,000) or imbalanced-learn benchmark sets")
    p.add_argument("--seeds", type=int, default=20)
    p.add_argument("--cut", type=float, nargs="+", default=[None],
                   help="Hessians from the points within this many nats of the top score (default: all)")
    p.add_argument("--keep", type=int, help="and of those at most this many, the highest-scoring")
    args = p.parse_args(argv)
    print(f"{'data set':<12} {'d':>4} {'cut':>5} {'package mean':>12} {'Newton, H each step: mean/median/max':>37} "
          f"{'drop':>9} {'points':>7} {'Newton, seed H: mean/median/max':>32} {'drop':>9}")
    for cut in args.cut:
        for name in args.datasets:
            r = run(name, args.seeds, cut, args.keep)
            cells = [f"{r[k].mean():.1f} / {np.median(r[k]):.0f} / {r[k].max():.0f}"
                     for k in ("newton_exact", "newton_seed")]
            print(f"{name:<12} {r['d']:>4} {cut if cut is not None else 'all':>5} {r['package'].mean():>12.1f} "
                  f"{cells[0]:>37} {r['newton_exact_gap']:>9.1e} {r['newton_exact_share']:>7.4f} {cells[1]:>32} "
                  f"{r['newton_seed_gap']:>9.1e}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
