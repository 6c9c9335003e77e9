"""bench/stats.py: Friedman, Nemenyi, Holm and the critical-difference groups,
against scipy, the textbook formulas and Demšar's (2006) table."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import friedmanchisquare

import stats


def _table(n: int = 30, k: int = 5, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, k)) + np.linspace(0.0, 1.0, k)  # later columns better


def test_ranks_are_1_for_the_best_and_share_ties():
    r = stats.ranks(np.array([[0.9, 0.8, 0.8, 0.1], [0.5, 0.6, 0.7, 0.8]]))
    np.testing.assert_array_equal(r, [[1, 2.5, 2.5, 4], [4, 3, 2, 1]])


def test_friedman_matches_scipy_and_the_formula_without_ties():
    values = _table()
    res = stats.friedman(values)
    ref = friedmanchisquare(*values.T)
    assert res["statistic"] == pytest.approx(ref.statistic) and res["p"] == pytest.approx(ref.pvalue)
    n, k = values.shape
    rank_sums = stats.ranks(values).sum(0)
    chi2 = 12.0 / (n * k * (k + 1)) * np.sum(rank_sums**2) - 3.0 * n * (k + 1)
    assert res["statistic"] == pytest.approx(chi2)
    assert (res["n"], res["k"]) == (30, 5)
    with pytest.raises(ValueError, match=">= 3 methods"):
        stats.friedman(values[:, :2])


# Demšar (2006), Table 5(a): q_0.05 for k = 2..10 classifiers.
DEMSAR_Q05 = [1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164]


@pytest.mark.parametrize("k, q", list(zip(range(2, 11), DEMSAR_Q05)))
def test_critical_difference_matches_demsar(k, q):
    n = 69
    assert stats.critical_difference(k, n) == pytest.approx(q * np.sqrt(k * (k + 1) / (6 * n)), abs=2e-3)


def test_nemenyi_significant_exactly_beyond_the_cd():
    values = _table(n=60, k=6, seed=1)
    mean = dict(zip("abcdef", stats.ranks(values).mean(0)))
    cd = stats.critical_difference(6, 60)
    pairs = stats.nemenyi(mean, 60)
    assert len(pairs) == 15
    for p in pairs:
        assert p["significant"] == (abs(mean[p["a"]] - mean[p["b"]]) > cd)
        assert p["significant"] == (p["p"] < 0.05)
    assert any(p["significant"] for p in pairs) and not all(p["significant"] for p in pairs)


def test_holm_by_hand_and_against_bonferroni():
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1, then running maximum
    np.testing.assert_allclose(stats.holm(p), [0.03, 0.06, 0.06, 0.02])
    rng = np.random.default_rng(3)
    q = rng.uniform(0, 0.2, 7)
    adjusted = stats.holm(q)
    assert np.all(adjusted >= q) and np.all(adjusted <= np.minimum(1.0, 7 * q) + 1e-15)
    assert np.all(np.diff(adjusted[np.argsort(q)]) >= 0)  # order of the raw p-values kept
    np.testing.assert_array_equal(stats.holm([0.5, float("nan")])[1:], [np.nan])
    np.testing.assert_array_equal(stats.holm([0.9, 0.8]), [1.0, 1.0])  # capped at 1


def test_cliques_are_maximal_runs_within_the_cd():
    assert stats.cliques([1.0, 1.5, 3.0, 3.2, 5.0], 1.0) == [(0, 1), (2, 3)]
    assert stats.cliques([3.0, 1.0, 2.0], 5.0) == [(0, 2)]
    assert stats.cliques([1.0, 3.0, 5.0], 1.0) == []
    assert stats.cliques([1.0, 1.8, 2.6, 3.4], 1.0) == [(0, 1), (1, 2), (2, 3)]
