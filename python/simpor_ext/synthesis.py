"""Growing one class: neighbour radii (eq. 14), seed allocation (Alg. 2) and the ascent.

Everything here works on standardised features (see :mod:`.bandwidth`). All
random draws come from the caller's Generator in a fixed order: radii first,
then directions, both for every row of the class before any ascent runs.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from numbers import Integral
from typing import Any, Callable, Iterable, Iterator, Optional

import numpy as np
from sklearn.base import clone
from sklearn.neighbors import NearestNeighbors

from . import kernels
from ._core import PIECE_WINDOW

__all__ = ["neighbour_radii", "spread", "allocate_seeds", "GrownRows", "ascend_locally", "grow", "grow_class"]

logger = logging.getLogger(__name__)


def _mean_neighbour_distance(nn: Any, Z_fit: np.ndarray, Z_query: np.ndarray) -> np.ndarray:
    nn.fit(Z_fit)
    dist, _ = nn.kneighbors(Z_query)
    # Column 0 is the sample itself (or an exact duplicate, at the same distance 0).
    return dist[:, 1:].mean(axis=1) if dist.shape[1] > 1 else np.zeros(dist.shape[0])


def neighbour_radii(Z_class: np.ndarray, Z_all: np.ndarray, k_neighbors: Any, n_jobs: Optional[int]) -> np.ndarray:
    """R for every sample of a class (paper eq. 14), in standardised units.

    ``R = mean distance to the k nearest same-class neighbours``. With an int
    ``k_neighbors`` a small class uses ``min(k, n_class - 1)`` neighbours. A
    NearestNeighbors-like object is cloned and used as given: its
    ``n_neighbors`` counts the sample itself (imbalanced-learn's convention),
    and it raises scikit-learn's error when the class is too small for it.

    A class of a single sample has no same-class neighbour; its R falls back
    to the mean distance to its k nearest neighbours of *any* class.
    """
    n_class = Z_class.shape[0]
    singleton = n_class == 1
    fit_on = Z_all if singleton else Z_class
    if isinstance(k_neighbors, Integral):
        k = int(min(k_neighbors, fit_on.shape[0] - 1))
        if k < k_neighbors and not singleton:
            logger.info("class of %d samples: R uses %d neighbours instead of k_neighbors=%d",
                        n_class, k, k_neighbors)
        nn = NearestNeighbors(n_neighbors=k + 1, n_jobs=n_jobs)
    else:
        nn = clone(k_neighbors)
    if singleton:
        logger.warning("a class to grow has a single sample: R falls back to the mean distance to its "
                       "nearest neighbours of any class")
    return _mean_neighbour_distance(nn, fit_on, Z_class)


def spread(pool: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
    """``m`` seeds drawn from ``pool`` as evenly as possible.

    Every sample of the pool seeds ``m // len(pool)`` rows, and a random
    subset (without replacement) one more, so no seed is favoured by chance.
    """
    if m <= 0:
        return np.empty(0, dtype=np.int64)
    q, rem = divmod(m, pool.size)
    extra = np.sort(rng.choice(pool, size=rem, replace=False)) if rem else np.empty(0, dtype=pool.dtype)
    return np.concatenate([np.tile(pool, q), extra]).astype(np.int64)


def allocate_seeds(members: np.ndarray, in_S: np.ndarray, codes: np.ndarray, counts: np.ndarray, n_new: int,
                   rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Seeds of one class's ``n_new`` rows (Algorithm 2), and how many come from S.

    Lines 3-11: grow S ∩ c until, inside S, class c stands to the majority as
    the strategy asks for the whole set; lines 12-20: the rest of the class
    (or S ∩ c again when c lies wholly in S). ``members`` are the class's row
    indices, sorted.
    """
    majority = int(np.argmax(counts))
    code = codes[members[0]]
    s_members, rest = members[in_S[members]], members[~in_S[members]]
    n_s = 0
    if s_members.size:
        target = counts[code] + n_new
        goal = math.ceil(np.count_nonzero(in_S & (codes == majority)) * target / counts[majority])
        n_s = int(np.clip(goal - s_members.size, 0, n_new))
    seeds = np.concatenate([spread(s_members, n_s, rng), spread(rest if rest.size else s_members, n_new - n_s, rng)])
    return seeds, n_s


@dataclass
class GrownRows:
    """Synthetic rows of one class, in standardised units, and their ascent statistics."""

    points: np.ndarray
    radii: np.ndarray
    log_ratio: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray
    pairs: np.ndarray


def _unit_directions(rng: np.random.Generator, m: int, d: int) -> np.ndarray:
    v = rng.standard_normal((m, d))
    norm = np.linalg.norm(v, axis=1, keepdims=True)
    bad = norm[:, 0] == 0.0  # probability zero, but never divide by it
    v[bad] = 0.0
    v[bad, 0] = 1.0
    norm[bad] = 1.0
    return v / norm


# One chunk of a class's ascent: (its rows in the class's output, sphere centres, radii, unit start directions).
Chunk = tuple[slice, np.ndarray, np.ndarray, np.ndarray]


def ascend_locally(chunks: Iterable[Chunk], numer: np.ndarray, denom: np.ndarray, bandwidth: float, ascent: dict,
                   progress: Callable[[int], Any]) -> Iterator[tuple[slice, kernels.AscentResult]]:
    """:func:`kernels.ascend` on each chunk in turn, on the fit's resolved backend."""
    for sl, centres, radii, directions in chunks:
        yield sl, kernels.ascend(centres, radii, directions, numer, denom, bandwidth, **ascent)
        progress(centres.shape[0])


def grow(
    Z: np.ndarray,
    seeds: np.ndarray,
    seed_radius: np.ndarray,
    numer: np.ndarray,
    denom: np.ndarray,
    bandwidth: float,
    rng: np.random.Generator,
    *,
    ascent: dict,
    chunk: int,
    progress: Callable[[int], Any],
    run_chunks: Callable = ascend_locally,
) -> GrownRows:
    """One synthetic row per seed: r ~ U(0, R), a uniform start direction, Algorithm 1.

    Parameters
    ----------
    Z : ndarray (n, d)
        Standardised training rows; ``seeds`` index it.
    seeds : ndarray (m,) int
    seed_radius : ndarray (m,)
        R of each seed (eq. 14).
    numer, denom : ndarray
        The class being grown and its contrast set (eq. 12).
    bandwidth : float
    rng : numpy Generator
    ascent : dict
        Keyword arguments for :func:`kernels.ascend` (max_iter, step, tol,
        step_rule, and ``device``: the fit's resolved backend), passed to
        ``run_chunks``.
    chunk : int
        Seeds per :func:`kernels.ascend` call (progress and Ctrl-C
        granularity), rounded up to whole windows of ``PIECE_WINDOW`` seeds:
        the native ascent forms its local pieces (kde_tol > 0) within such
        windows, so the bytes do not depend on the chunk size.
    progress : callable
        Called with the number of rows finished after each chunk.
    run_chunks : callable
        ``run_chunks(chunks, numer, denom, bandwidth, ascent, progress)``
        yields ``(slice, AscentResult)`` for every chunk (the slice indexes
        the chunks' order, not the rows'), in any order: :func:`ascend_locally`,
        or a cluster's (:mod:`simpor_ext.distributed`). Every draw happens
        here, before the chunk is handed over, so where a chunk runs never
        changes a bit of the output.
    """
    m, d = seeds.size, Z.shape[1]
    chunk = -(-chunk // PIECE_WINDOW) * PIECE_WINDOW
    radii = seed_radius * rng.uniform(0.0, 1.0, size=m)  # r ~ U(0, R), eq. 13-15
    directions = _unit_directions(rng, m, d)
    out = GrownRows(points=np.empty((m, d), dtype=Z.dtype), radii=radii,
                    log_ratio=np.empty(m, dtype=np.float64), n_iter=np.zeros(m, dtype=np.int32),
                    converged=np.ones(m, dtype=bool), pairs=np.zeros(m, dtype=np.int64))
    # The rows of one seed, in order of radius, go to the ascent together: they
    # share its local data sets (kde_tol > 0). A row's arithmetic never depends
    # on its batch-mates, so on all the data (kde_tol = 0) the order changes no byte.
    order = np.lexsort((radii, seeds))

    def chunks() -> Iterator[Chunk]:
        for start in range(0, m, chunk):
            sl = slice(start, min(m, start + chunk))
            rows = order[sl]
            yield sl, Z[seeds[rows]], radii[rows], directions[rows]

    for sl, res in run_chunks(chunks(), numer, denom, bandwidth, ascent, progress):
        rows = order[sl]
        out.points[rows] = res.points
        out.log_ratio[rows] = res.log_ratio
        out.n_iter[rows] = res.n_iter
        out.converged[rows] = res.converged
        out.pairs[rows] = res.pairs
    return out


def grow_class(Z, codes, counts, code, n_new, R, in_S, rng, contrast: str, bandwidth: float, how: dict) -> dict:
    """One class's synthetic rows (Algorithm 2 for class ``code``), against
    the contrast set ``contrast`` names; ``how``: :func:`grow`'s keyword arguments."""
    members = np.flatnonzero(codes == code)
    if contrast == "rest":
        denom = Z[codes != code]
    else:  # the most frequent other class (ties: the first label)
        others = np.where(np.arange(counts.size) == code, -1, counts)
        denom = Z[codes == int(np.argmax(others))]

    seeds, n_s = allocate_seeds(members, in_S, codes, counts, n_new, rng)
    logger.info("class code %d: %d synthetic rows, %d from informative seeds", code, n_new, n_s)

    seed_R = R[np.searchsorted(members, seeds)]
    if Z.shape[1] == 0:  # every feature constant: the rows are copies of their seeds
        m = seeds.size
        logger.warning("every feature is constant: the synthetic rows are copies of their seeds")
        how["progress"](m)
        return dict(code=code, seeds=seeds, points=np.empty((m, 0), Z.dtype), radii=np.zeros(m),
                    log_ratio=np.zeros(m), n_iter=np.zeros(m, np.int32), converged=np.ones(m, bool),
                    pairs=np.zeros(m, np.int64), dense_pairs=np.zeros(m, np.int64))
    grown = grow(Z, seeds, seed_R, Z[members], denom, bandwidth, rng, **how)
    dense_pairs = (grown.n_iter.astype(np.int64) + 1) * (members.size + denom.shape[0])
    return dict(code=code, seeds=seeds, points=grown.points, radii=grown.radii, log_ratio=grown.log_ratio,
                n_iter=grown.n_iter, converged=grown.converged, pairs=grown.pairs, dense_pairs=dense_pairs)
