"""bench/seed_directions.py: the per-seed mean pairwise cosine, on made-up
displacements and on a small SIMPOR run."""
from __future__ import annotations

import numpy as np
import pytest

import seed_directions as S


def test_seed_cosines_by_hand():
    d = np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0],   # seed 0: one ray -> 1
                  [0.0, 1.0], [0.0, -2.0],              # seed 1: opposite -> -1
                  [1.0, 1.0]])                           # seed 2: one row, left out
    origin = np.array([0, 0, 0, 1, 1, 2])
    np.testing.assert_allclose(S.seed_cosines(d, origin), [1.0, -1.0])
    u = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # pairs: 0, 1/sqrt2, 1/sqrt2
    assert S.seed_cosines(u, np.zeros(3, int))[0] == pytest.approx(np.sqrt(2) / 3)


def test_measure_on_a_small_problem():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (120, 2)), rng.normal(1.5, 1, (20, 2))])
    y = np.r_[np.zeros(120, int), np.ones(20, int)]
    grown = S.measure(X, y, 0, informative=None)
    assert grown["n_synthetic"] == 100 and grown["n_seeds"] <= 20
    assert grown["mean_cos"] > 0.8  # newton 0.87 on this toy, adaptive 0.96; about 0 without the ascent
    drawn = S.measure(X, y, 0, informative=None, max_iter=0)
    assert abs(drawn["mean_cos"]) < 0.3
