#!/usr/bin/env python
"""The best macro F1 any classifier can reach on the imbalanced Moon data.

``sklearn.datasets.make_moons`` puts each class uniformly on a half circle
(class 0: ``(cos t, sin t)``, class 1: ``(1 - cos t, 0.5 - sin t)``,
``t`` in [0, pi]) and adds isotropic Gaussian noise of standard deviation
``noise``. The class-conditional density is the arc convolved with that
Gaussian, ``p_c(x) = (1/pi) ∫ N(x; m_c(t), noise² I) dt``, computed here by
the midpoint rule over ``t``. With the priors of the set-up (majority:minority
= ``ir``) this gives the exact posterior; the classifier that thresholds it
is the best one for any threshold-based score, and the threshold that
maximises macro F1 is tuned on one large sample and scored on another.

So the result is the ceiling of the test macro F1 of bench/quality.py's
``moon*`` data sets (up to the sampling noise of their 400-row test sets).

Example
-------
    python bench/bayes_moon.py                 # noise 0.2, 0.25, 0.3, 0.33
    python bench/bayes_moon.py --noise 0.3 --json out.json
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Optional, Sequence

import numpy as np

NOISES = (0.2, 0.25, 0.3, 0.33)
AUTHORS_NOISE = 0.33  # make_moons(noise=.33) in the authors' main.py


def arc_means(label: int, t: np.ndarray) -> np.ndarray:
    """Points of make_moons' half circle of class ``label`` at angles ``t`` (len(t) x 2)."""
    if label == 0:
        return np.column_stack([np.cos(t), np.sin(t)])
    return np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)])


def log_density(X: np.ndarray, label: int, noise: float, n_nodes: int = 256, chunk: int = 4096) -> np.ndarray:
    """log p(x | class ``label``) for each row of X (midpoint rule with ``n_nodes`` angles;
    256 puts nodes 0.012 apart on an arc the noise blurs over >= 0.2)."""
    t = (np.arange(n_nodes) + 0.5) * np.pi / n_nodes
    means = arc_means(label, t)
    out = np.empty(len(X))
    norm = -np.log(2.0 * np.pi * noise**2) - np.log(n_nodes)
    for start in range(0, len(X), chunk):
        block = X[start:start + chunk]
        a = (block @ means.T - 0.5 * (means**2).sum(1)) / noise**2 - 0.5 / noise**2 * (block**2).sum(1)[:, None]
        top = a.max(1)
        out[start:start + chunk] = np.log(np.exp(a - top[:, None]).sum(1)) + top + norm
    return out


def log_odds(X: np.ndarray, noise: float, ir: float = 3.0, n_nodes: int = 256) -> np.ndarray:
    """log P(class 1 | x) - log P(class 0 | x), with priors majority (0) : minority (1) = ir : 1."""
    return log_density(X, 1, noise, n_nodes) - log_density(X, 0, noise, n_nodes) - np.log(ir)


def sample(n: int, noise: float, ir: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` rows of the model, classes in the exact proportion ir : 1 (as the test folds are)."""
    n1 = int(round(n / (ir + 1.0)))
    y = np.r_[np.zeros(n - n1, dtype=np.int64), np.ones(n1, dtype=np.int64)]
    t = rng.uniform(0.0, np.pi, n)
    X = np.where(y[:, None] == 0, arc_means(0, t), arc_means(1, t))
    return X + rng.normal(scale=noise, size=X.shape), y


def macro_f1_curve(scores: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Macro F1 of ``predict 1 where score >= s`` for every distinct score s (and for none).

    Returns
    -------
    thresholds, f1 : ndarray
        ``thresholds[0] = +inf`` (nothing predicted positive).
    """
    order = np.argsort(-scores, kind="stable")
    s, yy = scores[order], y[order]
    last = np.r_[s[1:] != s[:-1], True]  # cut only between distinct scores
    tp = np.cumsum(yy)[last]
    k = np.flatnonzero(last) + 1
    pos, neg = int(y.sum()), int(len(y) - y.sum())
    tp, fp = np.r_[0, tp], np.r_[0, k - tp]
    fn, tn = pos - tp, neg - fp
    f1_pos = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
    f1_neg = 2 * tn / np.maximum(2 * tn + fp + fn, 1)
    return np.r_[np.inf, s[last]], 0.5 * (f1_pos + f1_neg)


def macro_f1(scores: np.ndarray, y: np.ndarray, threshold: float) -> float:
    """Macro F1 of ``predict 1 where score >= threshold``."""
    pred = scores >= threshold
    tp, fp = int(np.sum(pred & (y == 1))), int(np.sum(pred & (y == 0)))
    fn, tn = int(np.sum(~pred & (y == 1))), int(np.sum(~pred & (y == 0)))
    return 0.5 * (2 * tp / max(2 * tp + fp + fn, 1) + 2 * tn / max(2 * tn + fp + fn, 1))


def test_set_sd(scores: np.ndarray, y: np.ndarray, threshold: float, n_test: int, ir: float) -> float:
    """Standard deviation of the macro F1 over disjoint test sets of ``n_test`` rows (ir : 1)."""
    n1 = int(round(n_test / (ir + 1.0)))
    n0 = n_test - n1
    s0, s1 = scores[y == 0], scores[y == 1]
    labels = np.r_[np.zeros(n0, dtype=np.int64), np.ones(n1, dtype=np.int64)]
    k = min(len(s0) // n0, len(s1) // n1)
    f1 = [macro_f1(np.r_[s0[i * n0:(i + 1) * n0], s1[i * n1:(i + 1) * n1]], labels, threshold) for i in range(k)]
    return float(np.std(f1, ddof=1))


def bayes_macro_f1(noise: float, *, ir: float = 3.0, n_points: int = 200_000, seed: int = 0,
                   n_nodes: int = 256, n_test: int = 400) -> dict:
    """The macro-F1 ceiling of Moon at ``noise``.

    The posterior threshold is tuned on one sample of ``n_points`` rows and
    the macro F1 is measured on a second, independent one. The second sample,
    cut into test sets of ``n_test`` rows (the Moon test folds' size), also
    gives how much the Bayes classifier's macro F1 varies from one test set
    to another.

    Returns
    -------
    dict
        ``noise``, ``ir``, ``n_points``, ``f1`` (second sample), ``f1_tuning``
        (first sample, at its best threshold), ``threshold`` (on the log-odds),
        ``n_test`` and ``sd_test`` (std of the macro F1 over test sets of
        ``n_test`` rows).
    """
    rng = np.random.default_rng(seed)
    X, y = sample(n_points, noise, ir, rng)
    thresholds, f1 = macro_f1_curve(log_odds(X, noise, ir, n_nodes), y)
    best = int(np.argmax(f1))
    X2, y2 = sample(n_points, noise, ir, rng)
    scores2 = log_odds(X2, noise, ir, n_nodes)
    return {"noise": float(noise), "ir": float(ir), "n_points": int(n_points),
            "f1": macro_f1(scores2, y2, thresholds[best]), "f1_tuning": float(f1[best]),
            "threshold": float(thresholds[best]), "n_test": int(n_test),
            "sd_test": test_set_sd(scores2, y2, thresholds[best], n_test, ir)}


def ceilings(noises: Sequence[float] = NOISES, **kwargs) -> dict:
    """``{noise as str: bayes_macro_f1(noise)}`` (string keys, as they appear in JSON)."""
    return {f"{n:g}": bayes_macro_f1(n, **kwargs) for n in noises}


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--noise", type=float, nargs="+", default=list(NOISES))
    p.add_argument("--ir", type=float, default=3.0)
    p.add_argument("--n-points", type=int, default=200_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = p.parse_args(argv)
    res = ceilings(args.noise, ir=args.ir, n_points=args.n_points, seed=args.seed)
    print(f"Moon, IR {args.ir:g}:1, {args.n_points} points to tune the threshold, {args.n_points} to score it")
    print(f"{'noise':>6} {'Bayes macro F1':>15} {'(tuning sample)':>16} {'std, 400-row test sets':>23}")
    for r in res.values():
        print(f"{r['noise']:>6g} {r['f1']:>15.4f} {r['f1_tuning']:>16.4f} {r['sd_test']:>23.4f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
