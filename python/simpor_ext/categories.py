"""Categorical columns: their kernel, and the categories of a synthetic row.

**Kernel.** On mixed data each class density is a product kernel: the
Gaussian kernel of width h on the standardised numeric columns times, per
categorical column j with c_j categories, Aitchison and Aitken's kernel,
weight ``1 - lambda_j`` for the same category and ``lambda_j / (c_j - 1)``
for another. Its factors common to every pair cancel in the posterior
ratio, so a pair whose categories differ in column j has its kernel term
multiplied by ``exp(log_weight_j)``, ``log_weight_j = log(lambda_j / ((c_j -
1)(1 - lambda_j)))`` (:func:`log_weights`).

**Bandwidth.** ``lambda_j = s (c_j - 1) / c_j`` with s in (0, 1]: s = 1
spreads a column's weight evenly over its categories (the column is
ignored), s -> 0 keeps only equal categories. ``"scott"`` takes s = h^2,
h the numeric bandwidth in standard deviations: both then shrink at the
rate the theory of mixed product kernels gives (Li and Racine: h ~
n^(-1/(p+4)), lambda ~ n^(-2/(p+4)), p numeric columns), so one rule of
thumb sets both. ``bench/mixed_quality.py`` compares it with fixed s and with
s chosen by likelihood cross-validation.

**Categories of a synthetic row** (``categorical_rule``). The candidates of
column j are the values the seed and its k nearest neighbours of its class
hold (SMOTENC's candidate set), the neighbours found in the kernel's own
metric, ``|z - z'|^2 + 2 h^2 sum_j [c_j != c'_j] (-log_weight_j)``:

* ``"ratio"``: the values that maximise the posterior ratio at the row's
  starting point on its sphere, by coordinate ascent from the seed's values
  (each column in turn takes its best candidate; sweeps repeat until none
  changes). The ascent then moves the numeric part with these categories.
* ``"frequent"``: SMOTENC's rule, the most frequent value among the k
  neighbours (ties: the seed's value if tied, else the first category).
* ``"seed"``: the seed's own values.
"""
from __future__ import annotations

from typing import Any, Callable, Union

import numpy as np

__all__ = ["CATEGORICAL_RULES", "SMOOTHING_RULES", "resolve_smoothing", "log_weights", "one_hot",
           "neighbour_candidates", "most_frequent", "choose_by_ratio"]

CATEGORICAL_RULES = ("ratio", "frequent", "seed")
SMOOTHING_RULES = ("scott",)

# Coordinate-ascent sweeps over the columns: each raises log f or stops the search.
_MAX_SWEEPS = 8


def resolve_smoothing(rule: Union[str, float], bandwidth: float) -> float:
    """s of ``lambda_j = s (c_j - 1) / c_j``: h^2 (at most 1) for "scott", else the float given."""
    if isinstance(rule, str):
        return float(min(1.0, bandwidth * bandwidth))
    return float(rule)


def log_weights(n_levels: np.ndarray, smoothing: float) -> np.ndarray:
    """Per column, the log kernel weight of a differing category (<= 0; 0
    for a column of one category, which never differs)."""
    c = np.asarray(n_levels, dtype=np.float64)
    many = c > 1
    lam = smoothing * (c[many] - 1.0) / c[many]
    out = np.zeros(c.size)
    with np.errstate(divide="ignore"):
        out[many] = np.log(lam) - np.log(c[many] - 1.0) - np.log1p(-lam)
    return np.minimum(out, 0.0)  # s = 1 gives 0 up to rounding


def one_hot(codes: np.ndarray, n_levels: np.ndarray, scale: np.ndarray, dtype: type = np.float64) -> np.ndarray:
    """The codes one-hot encoded, column j's block holding ``scale[j]`` at its category."""
    offsets = np.concatenate([[0], np.cumsum(n_levels)[:-1]]).astype(np.int64)
    out = np.zeros((codes.shape[0], int(np.sum(n_levels))), dtype=dtype)
    rows = np.arange(codes.shape[0])
    for j in range(codes.shape[1]):
        out[rows, offsets[j] + codes[:, j]] = scale[j]
    return out


def neighbour_candidates(Z_class: np.ndarray, codes_class: np.ndarray, seeds: np.ndarray, n_levels: np.ndarray,
                         log_weight: np.ndarray, bandwidth: float, k: int, n_jobs: Any) -> np.ndarray:
    """(m, 1 + k', n_cat) codes: each seed's own (first), then its k' = min(k,
    n_class - 1) nearest neighbours' of its class, nearest first, in the
    kernel's metric (module docstring). ``seeds`` index the class's rows."""
    from sklearn.neighbors import NearestNeighbors

    n_class = Z_class.shape[0]
    k = int(min(k, n_class - 1))
    own = codes_class[seeds][:, None, :]
    if k < 1:
        return own
    scale = bandwidth * np.sqrt(-log_weight)  # two differing one-hot entries add 2 scale^2
    space = np.hstack([Z_class.astype(np.float64), one_hot(codes_class, n_levels, scale)])
    nn = NearestNeighbors(n_neighbors=k + 1, n_jobs=n_jobs).fit(space)
    queries, rows = np.unique(seeds, return_inverse=True)
    _, idx = nn.kneighbors(space[queries])
    neighbours = _drop_self(idx, queries)
    return np.concatenate([own, codes_class[neighbours[rows.ravel()]]], axis=1)


def _drop_self(idx: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """The k neighbours of each query without the query itself (first where
    exact duplicates tie with it)."""
    keep = idx != queries[:, None]
    keep[keep.sum(axis=1) > idx.shape[1] - 1, -1] = False  # the query was not among them: drop the farthest
    return idx[keep].reshape(idx.shape[0], idx.shape[1] - 1)


def most_frequent(candidates: np.ndarray) -> np.ndarray:
    """SMOTENC's rule: per seed and column, the most frequent value among the
    neighbours (candidates[:, 1:]); ties go to the seed's value, else the lowest code."""
    own, neighbours = candidates[:, 0], candidates[:, 1:]
    if neighbours.shape[1] == 0:
        return own.copy()
    out = own.copy()
    for j in range(own.shape[1]):
        values = neighbours[:, :, j]
        levels = int(values.max()) + 1
        counts = np.zeros((values.shape[0], max(levels, int(own[:, j].max()) + 1)), dtype=np.int64)
        np.add.at(counts, (np.repeat(np.arange(values.shape[0]), values.shape[1]), values.ravel()), 1)
        best = counts.argmax(axis=1)
        seed_ties = counts[np.arange(own.shape[0]), own[:, j]] == counts.max(axis=1)
        out[:, j] = np.where(seed_ties, own[:, j], best)
    return out


def choose_by_ratio(points: np.ndarray, candidates: np.ndarray,
                    log_ratio: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The ``"ratio"`` rule: codes maximising log f at ``points`` by
    coordinate ascent over the candidate values, and log f there.

    ``log_ratio(points, codes)`` evaluates log f. Only values that differ
    from a row's current one are evaluated; a change must raise log f
    strictly, so ties keep the current value and the search always ends.
    """
    codes = np.ascontiguousarray(candidates[:, 0], dtype=np.int32)
    best = np.asarray(log_ratio(points, codes), dtype=np.float64)
    m, k = codes.shape
    for _ in range(_MAX_SWEEPS):
        changed = False
        for j in range(k):
            rows, values = _options(candidates[:, :, j], codes[:, j])
            if rows.size == 0:
                continue
            trial = codes[rows].copy()
            trial[:, j] = values
            f = np.asarray(log_ratio(points[rows], trial), dtype=np.float64)
            order = np.lexsort((-f, rows))  # per row, its best option first
            first = order[np.r_[True, rows[order][1:] != rows[order][:-1]]]
            better = f[first] > best[rows[first]]
            won = rows[first][better]
            codes[won, j] = values[first][better]
            best[won] = f[first][better]
            changed |= bool(better.any())
        if not changed:
            break
    return codes, best


def _options(values: np.ndarray, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's distinct candidate values other than its current one, as (row, value) pairs."""
    m, width = values.shape
    rows = np.repeat(np.arange(m), width)
    flat = values.ravel()
    keep = flat != current[rows]
    pairs = np.unique(np.stack([rows[keep], flat[keep]], axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1].astype(np.int32)
