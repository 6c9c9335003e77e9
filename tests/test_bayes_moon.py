"""bench/bayes_moon.py: the model is make_moons', the density integrates to 1,
the F1 curve agrees with scikit-learn, and the ceiling falls with the noise
(about 0.906 at the noise of the benchmark's Moon)."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_moons
from sklearn.metrics import f1_score

import bayes_moon as B


def test_arcs_are_make_moons_without_noise():
    X, y = make_moons(n_samples=400, noise=0.0, random_state=0)
    t = np.linspace(0, np.pi, 20001)
    for label in (0, 1):
        arc = B.arc_means(label, t)
        d = np.sqrt(((X[y == label][:, None, :] - arc[None]) ** 2).sum(-1)).min(1)
        assert d.max() < 1e-3


def test_density_integrates_to_one():
    g = np.linspace(-3.0, 4.0, 351)
    h = np.linspace(-3.0, 3.5, 326)
    xx, yy = np.meshgrid(g, h)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    cell = (g[1] - g[0]) * (h[1] - h[0])
    for label in (0, 1):
        assert np.exp(B.log_density(grid, label, 0.3)).sum() * cell == pytest.approx(1.0, abs=2e-3)


def test_f1_curve_matches_sklearn():
    rng = np.random.default_rng(0)
    X, y = B.sample(2000, 0.3, 3.0, rng)
    assert np.bincount(y).tolist() == [1500, 500]
    scores = B.log_odds(X, 0.3)
    thresholds, f1 = B.macro_f1_curve(scores, y)
    for i in (0, 1, len(f1) // 3, len(f1) // 2, len(f1) - 1):
        pred = (scores >= thresholds[i]).astype(int)
        assert f1[i] == pytest.approx(f1_score(y, pred, average="macro", zero_division=0))
        assert B.macro_f1(scores, y, thresholds[i]) == pytest.approx(f1[i])


def test_ceiling_falls_with_noise_and_is_about_0906_at_0_3():
    res = B.ceilings((0.2, 0.25, 0.3, 0.33), n_points=20_000, seed=1)
    f1 = [res[k]["f1"] for k in ("0.2", "0.25", "0.3", "0.33")]
    assert all(a > b for a, b in zip(f1, f1[1:]))
    assert res["0.3"]["f1"] == pytest.approx(0.906, abs=0.01)
    assert res["0.2"]["f1"] == pytest.approx(0.968, abs=0.01)
