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
from ._backends import PIECE_WINDOW
from .categories import choose_by_ratio, most_frequent, neighbour_candidates

__all__ = ["neighbour_radii", "spread", "allocate_seeds", "GrownRows", "Categorical", "grow_chunk", "ascend_locally",
           "grow", "grow_class"]

logger = logging.getLogger(__name__)


def _mean_neighbour_distance(nn: Any, Z_fit: np.ndarray, Z_query: np.ndarray) -> np.ndarray:
    nn.fit(Z_fit)
    dist, _ = nn.kneighbors(Z_query)
    # Column 0 is the sample itself (or an exact duplicate, at the same distance 0).
    return dist[:, 1:].mean(axis=1) if dist.shape[1] > 1 else np.zeros(dist.shape[0])


def neighbour_radii(Z_class: np.ndarray, Z_all: np.ndarray, k_neighbors: Any, n_jobs: Optional[int],
                    label: str = "") -> np.ndarray:
    """R for every sample of a class (paper eq. 14), in standardised units.

    ``R = mean distance to the k nearest same-class neighbours``. With an int
    ``k_neighbors`` a small class uses ``min(k, n_class - 1)`` neighbours. A
    NearestNeighbors-like object is cloned and used as given: its
    ``n_neighbors`` counts the sample itself (imbalanced-learn's convention),
    and it raises scikit-learn's error when the class is too small for it.

    A class of a single sample has no same-class neighbour; its R falls back
    to the mean distance to its k nearest neighbours of *any* class.
    ``label`` names the class in log messages.
    """
    n_class = Z_class.shape[0]
    singleton = n_class == 1
    fit_on = Z_all if singleton else Z_class
    if isinstance(k_neighbors, Integral):
        k = int(min(k_neighbors, fit_on.shape[0] - 1))
        if k < k_neighbors and not singleton:
            logger.info("class %s has %d samples: R uses %d neighbours instead of k_neighbors=%d",
                        label, n_class, k, k_neighbors)
        nn = NearestNeighbors(n_neighbors=k + 1, n_jobs=n_jobs)
    else:
        nn = clone(k_neighbors)
    if singleton:
        logger.warning("class %s has a single sample: R falls back to the mean distance to its "
                       "nearest neighbours of any class", label)
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
    """Synthetic rows of one class, in standardised units, their category
    codes, and their ascent statistics."""

    points: np.ndarray
    codes: np.ndarray
    radii: np.ndarray
    log_ratio: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray
    pairs: np.ndarray


def _unit_directions(rng: np.random.Generator, m: int, d: int) -> np.ndarray:
    if d == 0:  # categorical columns only: no sphere
        return np.empty((m, 0))
    v = rng.standard_normal((m, d))
    norm = np.linalg.norm(v, axis=1, keepdims=True)
    bad = norm[:, 0] == 0.0  # probability zero, but never divide by it
    v[bad] = 0.0
    v[bad, 0] = 1.0
    norm[bad] = 1.0
    return v / norm


# One chunk of a class's rows: (its rows in the class's output, sphere centres, category candidates
# (m, C, k: the seed's own first), radii, unit start directions).
Chunk = tuple[slice, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def grow_chunk(sets: kernels.DataSets, spec: kernels.AscentSpec, backend: kernels.NativeBackend,
               centres: np.ndarray, candidates: np.ndarray, radii: np.ndarray, directions: np.ndarray,
               progress: Callable[[int], Any] = lambda rows: None) -> tuple[np.ndarray, kernels.AscentResult]:
    """One chunk of synthetic rows: their categories, then Algorithm 1 on their numeric part.

    With more than one candidate per row the categories maximise log f at
    the row's start point (:func:`simpor_ext.categories.choose_by_ratio`);
    the ascent keeps them fixed. Without numeric columns the rows are their
    seeds' with those categories. Returns (codes, AscentResult).
    """
    m, d = centres.shape
    codes, best = np.ascontiguousarray(candidates[:, 0], dtype=np.int32), None
    if candidates.shape[1] > 1:
        dtype = sets.numer.dtype
        start = (centres.astype(np.float64)
                 + radii.astype(dtype).astype(np.float64)[:, None] * directions.astype(dtype)).astype(dtype)
        codes, best = choose_by_ratio(start, candidates,
                                      lambda p, c: backend.log_ratio_grad(sets, np.ascontiguousarray(p), c)[0])
    if d:
        return codes, kernels.run_ascent(sets, centres, codes, radii, directions, spec, backend, progress)
    if best is None:
        best = backend.log_ratio_grad(sets, np.empty((m, 0), sets.numer.dtype), codes)[0]
    progress(m)
    return codes, kernels.AscentResult(np.empty((m, 0), sets.numer.dtype), best, np.zeros(m, np.int32),
                                       np.ones(m, bool), np.full(m, sets.numer.shape[0] + sets.denom.shape[0]))


def ascend_locally(chunks: Iterable[Chunk], sets: kernels.DataSets, spec: kernels.AscentSpec,
                   backend: kernels.NativeBackend,
                   progress: Callable[[int], Any]) -> Iterator[tuple[slice, np.ndarray, kernels.AscentResult]]:
    """:func:`grow_chunk` on each chunk in turn, on the fit's resolved backend,
    the progress advancing as rows finish."""
    for sl, centres, candidates, radii, directions in chunks:
        yield (sl, *grow_chunk(sets, spec, backend, centres, candidates, radii, directions, progress))


def grow(
    Z: np.ndarray,
    seeds: np.ndarray,
    candidates: np.ndarray,
    seed_radius: np.ndarray,
    sets: kernels.DataSets,
    rng: np.random.Generator,
    *,
    spec: kernels.AscentSpec,
    backend: Any,
    chunk: int,
    progress: Callable[[int], Any],
    run_chunks: Callable = ascend_locally,
) -> GrownRows:
    """One synthetic row per seed: r ~ U(0, R), a uniform start direction,
    its categories, Algorithm 1.

    Parameters
    ----------
    Z : ndarray (n, d)
        Standardised training rows; ``seeds`` index it.
    seeds : ndarray (m,) int
    candidates : ndarray (m, C, k) int32
        Per row, the candidate codes of each categorical column, the seed's
        own first (C = 1: the row takes them).
    seed_radius : ndarray (m,)
        R of each seed (eq. 14).
    sets : DataSets
        The class being grown and its contrast set (eq. 12).
    rng : numpy Generator
    spec : AscentSpec
        The ascent's controls, checked once per fit.
    backend : NativeBackend or str
        The fit's resolved backend, or on a cluster the requested device name.
    chunk : int
        Seeds per ascent call (Ctrl-C granularity), rounded up to whole
        windows of ``PIECE_WINDOW`` seeds: the native ascent forms its local
        pieces (kde_tol > 0) within such windows, so the bytes do not depend
        on the chunk size.
    progress : callable
        Called with the number of rows finished, as they finish.
    run_chunks : callable
        ``run_chunks(chunks, sets, spec, backend, progress)`` yields
        ``(slice, codes, AscentResult)`` for every chunk (the slice indexes
        the chunks' order, not the rows'), in any order: :func:`ascend_locally`,
        or a cluster's (:mod:`simpor_ext.distributed`). Every draw happens
        here, before the chunk is handed over, so where a chunk runs never
        changes a bit of the output.
    """
    m, d = seeds.size, Z.shape[1]
    chunk = -(-chunk // PIECE_WINDOW) * PIECE_WINDOW
    radii = seed_radius * rng.uniform(0.0, 1.0, size=m)  # r ~ U(0, R), eq. 13-15
    directions = _unit_directions(rng, m, d)
    out = GrownRows(points=np.empty((m, d), dtype=Z.dtype), codes=np.empty((m, candidates.shape[2]), np.int32),
                    radii=radii, log_ratio=np.empty(m, dtype=np.float64), n_iter=np.zeros(m, dtype=np.int32),
                    converged=np.ones(m, dtype=bool), pairs=np.zeros(m, dtype=np.int64))
    # The rows of one seed, in order of radius, go to the ascent together: they
    # share its local data sets (kde_tol > 0). A row's arithmetic never depends
    # on its batch-mates, so on all the data (kde_tol = 0) the order changes no byte.
    order = np.lexsort((radii, seeds))

    def chunks() -> Iterator[Chunk]:
        for start in range(0, m, chunk):
            sl = slice(start, min(m, start + chunk))
            rows = order[sl]
            yield sl, Z[seeds[rows]], candidates[rows], radii[rows], directions[rows]

    for sl, codes, res in run_chunks(chunks(), sets, spec, backend, progress):
        rows = order[sl]
        out.points[rows] = res.points
        out.codes[rows] = codes
        out.log_ratio[rows] = res.log_ratio
        out.n_iter[rows] = res.n_iter
        out.converged[rows] = res.converged
        out.pairs[rows] = res.pairs
    return out


def contrast_rows(codes: np.ndarray, counts: np.ndarray, code: int, contrast: str) -> np.ndarray:
    """The rows of the contrast set A of class ``code``: every other class
    ("rest"), or the most frequent other class ("majority"; ties: the first label)."""
    if contrast == "rest":
        return np.flatnonzero(codes != code)
    others = np.where(np.arange(counts.size) == code, -1, counts)
    return np.flatnonzero(codes == int(np.argmax(others)))


@dataclass(frozen=True)
class Categorical:
    """A fit's categorical columns: the rows' codes, each column's number of
    levels and log kernel weight (:mod:`simpor_ext.categories`), the rule that
    gives a synthetic row its categories and k for its candidates."""

    codes: np.ndarray
    n_levels: np.ndarray
    log_weight: np.ndarray
    rule: str
    k_neighbors: int

    def candidates(self, Z_class: np.ndarray, codes_class: np.ndarray, local: np.ndarray, bandwidth: float,
                   rng: np.random.Generator, n_jobs: Any) -> np.ndarray:
        """(m, C, k) candidate codes of the rows grown from the class's rows
        ``local`` (of ``Z_class`` and ``codes_class``): C = 1 but for "ratio".

        Without numeric columns no sphere makes the rows of one seed differ:
        each "ratio" row then draws one of the seed's k neighbours, and its
        candidates are the seed's and that neighbour's values (as SMOTE draws
        a neighbour to interpolate towards).
        """
        if self.rule == "seed" or self.codes.shape[1] == 0:
            return codes_class[local][:, None, :]
        near = neighbour_candidates(Z_class, codes_class, local, self.n_levels, self.log_weight, bandwidth,
                                    self.k_neighbors, n_jobs)
        if self.rule == "frequent":
            return most_frequent(near)[:, None, :]
        if Z_class.shape[1] == 0 and near.shape[1] > 1:
            drawn = rng.integers(1, near.shape[1], size=near.shape[0])
            return np.stack([near[:, 0], near[np.arange(near.shape[0]), drawn]], axis=1)
        return near


def grow_class(Z, codes, counts, code, n_new, R, in_S, rng, contrast: str, bandwidth: float, how: dict,
               label: str, categorical: Categorical, n_jobs: Any = None) -> dict:
    """One class's synthetic rows (Algorithm 2 for class ``code``, named
    ``label`` in log messages), against the contrast set ``contrast`` names;
    ``how``: :func:`grow`'s keyword arguments."""
    members = np.flatnonzero(codes == code)
    seeds, n_s = allocate_seeds(members, in_S, codes, counts, n_new, rng)
    logger.info("class %s: %d synthetic rows, %d from informative seeds", label, n_new, n_s)

    local = np.searchsorted(members, seeds)  # the seeds among the class's rows
    seed_R = R[local]
    k = categorical.codes.shape[1]
    if Z.shape[1] == 0 and k == 0:  # every feature constant: the rows are copies of their seeds
        m = seeds.size
        logger.warning("every feature is constant: the synthetic rows are copies of their seeds")
        how["progress"](m)
        return dict(code=code, seeds=seeds, points=np.empty((m, 0), Z.dtype), codes=np.empty((m, 0), np.int32),
                    radii=np.zeros(m), log_ratio=np.zeros(m), n_iter=np.zeros(m, np.int32),
                    converged=np.ones(m, bool), pairs=np.zeros(m, np.int64), dense_pairs=np.zeros(m, np.int64))
    rest = contrast_rows(codes, counts, code, contrast)
    sets = kernels.make_sets(Z[members], Z[rest], bandwidth,
                             kernels.Categories(categorical.codes[members], categorical.codes[rest],
                                                categorical.log_weight) if k else None, dtype=Z.dtype.type)
    candidates = categorical.candidates(sets.numer, sets.numer_codes, local, bandwidth, rng, n_jobs)
    grown = grow(Z, seeds, candidates, seed_R, sets, rng, **how)
    dense_pairs = (grown.n_iter.astype(np.int64) + 1) * (members.size + rest.size)
    return dict(code=code, seeds=seeds, points=grown.points, codes=grown.codes, radii=grown.radii,
                log_ratio=grown.log_ratio, n_iter=grown.n_iter, converged=grown.converged, pairs=grown.pairs,
                dense_pairs=dense_pairs)
