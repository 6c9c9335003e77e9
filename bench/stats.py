"""Tests for comparing several methods over many data sets (Demšar, JMLR 2006).

* :func:`friedman`: are the methods' ranks over the data sets all alike?
* :func:`nemenyi`: which pairs differ, all pairs at once, by the critical
  difference of mean ranks (CD) from the studentized range distribution.
* :func:`holm`: step-down correction of a family of p-values (here the
  Wilcoxon tests of SIMPOR against each other method).

Input tables are ``(n data sets, k methods)`` arrays of per-data-set means,
higher is better; rank 1 is the best, ties share the average rank.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy.stats import friedmanchisquare, rankdata, studentized_range

TIE = 1e-9  # scores closer than this count as a tie


def _rounded(values: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(values, dtype=float) / TIE) * TIE


def ranks(values: np.ndarray) -> np.ndarray:
    """Per-row ranks, 1 = highest value, ties share the average rank."""
    return np.vstack([rankdata(-row, method="average") for row in _rounded(values)])


def friedman(values: np.ndarray) -> dict:
    """Friedman's test that all k methods have the same expected rank.

    Returns
    -------
    dict
        ``statistic`` (chi-square with k - 1 degrees of freedom, corrected for
        ties), ``p``, ``n`` data sets, ``k`` methods.
    """
    v = _rounded(values)
    n, k = v.shape
    if k < 3 or n < 2:
        raise ValueError(f"Friedman's test needs >= 3 methods and >= 2 data sets, got {k} and {n}")
    res = friedmanchisquare(*v.T)
    return {"statistic": float(res.statistic), "p": float(res.pvalue), "n": int(n), "k": int(k)}


def critical_difference(k: int, n: int, alpha: float = 0.05) -> float:
    """Nemenyi's CD: mean ranks further apart than this differ at level ``alpha``.

    ``CD = q_alpha sqrt(k (k + 1) / (6 n))`` with ``q_alpha`` the upper
    ``alpha`` quantile of the studentized range of k means (infinite degrees
    of freedom) divided by sqrt(2) (2.850 for k = 6 at alpha = 0.05).
    """
    q = studentized_range.ppf(1.0 - alpha, k, np.inf) / np.sqrt(2.0)
    return float(q * np.sqrt(k * (k + 1) / (6.0 * n)))


def nemenyi(mean_ranks: dict, n: int, alpha: float = 0.05) -> list[dict]:
    """Every pair of methods (in the given order): rank difference, Nemenyi p-value, and
    whether the difference exceeds the critical difference at ``alpha``.

    Parameters
    ----------
    mean_ranks : dict
        Method name -> mean rank over ``n`` data sets.
    """
    names, r = list(mean_ranks), np.asarray(list(mean_ranks.values()), dtype=float)
    k = len(r)
    se = np.sqrt(k * (k + 1) / (6.0 * n))
    cd = critical_difference(k, n, alpha)
    out = []
    for i in range(k):
        for j in range(i + 1, k):
            diff = float(r[i] - r[j])
            p = float(studentized_range.sf(abs(diff) / se * np.sqrt(2.0), k, np.inf))
            out.append({"a": names[i], "b": names[j], "rank_diff": diff, "p": min(p, 1.0),
                        "significant": bool(abs(diff) > cd)})
    return out


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (same order as given; NaN stays NaN)."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    order = ok[np.argsort(p[ok], kind="stable")]
    m = len(order)
    running = 0.0
    for step, idx in enumerate(order):
        running = max(running, min(1.0, (m - step) * p[idx]))
        out[idx] = running
    return out


def cliques(mean_ranks: Sequence[float], cd: float) -> list[tuple[int, int]]:
    """Maximal runs of methods, in rank order, whose mean ranks lie within ``cd`` of each other.

    Returns
    -------
    list of (first, last)
        Positions in ``sorted(mean_ranks)``, each run of two or more methods,
        none contained in another: the bars of a critical-difference diagram.
    """
    r = np.sort(np.asarray(mean_ranks, dtype=float))
    runs: list[tuple[int, int]] = []
    for i in range(len(r)):
        j = int(np.searchsorted(r, r[i] + cd, side="right")) - 1
        if j > i and not (runs and runs[-1][1] >= j):
            runs.append((i, j))
    return runs
