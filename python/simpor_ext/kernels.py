"""Posterior-ratio kernels: log f, its gradient, and Algorithm 1.

``f(x) = sum_B exp(-|x-b|^2/2h^2) / sum_A exp(-|x-a|^2/2h^2)`` is the ratio of
the posteriors of class B and contrast set A under Gaussian KDEs sharing the
bandwidth h (paper eq. 9-12): the priors and kernel normalisations cancel, so
``log f`` is exactly the log posterior ratio. (The ratio of the
class-conditional densities differs from it by the constant log(N_A/N_B).)
On mixed data (:class:`Categories`) each kernel term is also multiplied, per
categorical column, by Aitchison and Aitken's kernel: ``exp(log_weight_j)``
where the point's category differs from the candidate's, 1 where it is equal.
All work runs in the native backends; this module checks what they cannot
see (dtypes, finite points and seeds, unit directions) and dispatches; the
shapes of the sets, the bandwidth and the step controls are checked natively.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

import numpy as np

from ._backends import KDE_TOL, STEP_RULES, AscentResult, AscentSpec, DataSets, NativeBackend, get_backend, no_codes

# make_sets, run_ascent, AscentSpec and DataSets are the package's own path (one DataSets and one
# AscentSpec per fit); the public API is below.
__all__ = ["AscentResult", "Categories", "CONTRASTS", "KDE_TOL", "STEP_RULES", "log_ratio_grad", "ascend"]

# Which rows form the contrast set A of a class: every other class, or the largest one.
CONTRASTS = ("rest", "majority")

Device = Union[str, NativeBackend]


def _dtype_of(*arrays: np.ndarray) -> type:
    """float32 when every float input is float32, else float64."""
    return np.float32 if all(a.dtype == np.float32 for a in arrays) else np.float64


def _as_array(a, name: str, ndim: int) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise ValueError(f"{name} must be real, got dtype {arr.dtype}")
    if arr.ndim != ndim:
        want = "(n, d)" if ndim == 2 else "(n,)"
        raise ValueError(f"{name} must be {ndim}-D with shape {want}, got shape {arr.shape}")
    return arr


def _check_finite(arr: np.ndarray, name: str) -> None:
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity")


def _check_threads(n_threads: Optional[int]) -> int:
    if n_threads is None:
        return 0
    if isinstance(n_threads, bool) or not isinstance(n_threads, (int, np.integer)) or n_threads < 1:
        raise ValueError(f"n_threads must be None or an integer >= 1, got {n_threads!r}")
    return int(n_threads)


def _cast(dtype: type, *arrays: np.ndarray) -> list[np.ndarray]:
    # Contiguous copies in the kernel dtype; the caller's arrays are never written.
    return [np.ascontiguousarray(a, dtype=dtype) for a in arrays]


def _backend(device: Device, n_threads: Optional[int]) -> NativeBackend:
    """A backend already resolved by the caller (the sampler, once per fit), or one resolved now."""
    if isinstance(device, NativeBackend):
        return device
    return get_backend(device, _check_threads(n_threads))


@dataclass(frozen=True)
class Categories:
    """Categorical columns of a posterior-ratio problem.

    Attributes
    ----------
    numer, denom : array (n_B, k), (n_A, k) of int
        Category codes of class B and of the contrast set A, one column per
        categorical feature.
    log_weight : array (k,) of float
        Per column, the log kernel weight of a differing category relative to
        an equal one, <= 0: ``log(lambda / ((c - 1) (1 - lambda)))`` for
        Aitchison and Aitken's kernel over c categories with bandwidth lambda.
    """

    numer: Any
    denom: Any
    log_weight: Any


def _codes(a, name: str, rows: int, k: int) -> np.ndarray:
    arr = np.asarray(a)
    if arr.shape != (rows, k) or (arr.size and arr.dtype.kind not in "iu"):
        raise ValueError(f"{name} must be integer codes of shape ({rows}, {k}), got {arr.dtype} {arr.shape}")
    return np.ascontiguousarray(arr, dtype=np.int32)


def make_sets(numer, denom, bandwidth: float, categories: Optional[Categories] = None, *,
              dtype: Optional[type] = None) -> DataSets:
    """Class B and contrast set A, checked and cast once for every call on them.

    ``dtype``: the float dtype of the calls (default: float32 when both sets
    are float32, else float64). The native code checks the shapes, the
    bandwidth and that the data are finite.
    """
    numer, denom = _as_array(numer, "numer", 2), _as_array(denom, "denom", 2)
    numer, denom = _cast(dtype or _dtype_of(numer, denom), numer, denom)
    if categories is None:
        return DataSets.numeric(numer, denom, float(bandwidth))
    log_weight = np.ascontiguousarray(np.asarray(categories.log_weight, dtype=np.float64).ravel())
    k = log_weight.size
    return DataSets(numer, denom, float(bandwidth), _codes(categories.numer, "categories.numer", numer.shape[0], k),
                    _codes(categories.denom, "categories.denom", denom.shape[0], k), log_weight)


def _point_codes(codes, sets: DataSets, m: int, name: str) -> np.ndarray:
    if codes is None:
        if sets.n_categories:
            raise ValueError(f"{name} needs its category codes (the data have {sets.n_categories} categorical columns)")
        return no_codes(m)
    return _codes(codes, name, m, sets.n_categories)


def log_ratio_grad(
    points,
    numer,
    denom,
    bandwidth: float,
    *,
    codes=None,
    categories: Optional[Categories] = None,
    device: Device = "auto",
    n_threads: Optional[int] = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``log f`` and ``grad log f`` at each point, in one streaming pass.

    Parameters
    ----------
    points : array (m, d)
        Where to evaluate.
    numer : array (n_B, d)
        Class B, the numerator of the posterior ratio.
    denom : array (n_A, d)
        Contrast set A, the denominator.
    bandwidth : float
        Gaussian kernel bandwidth h > 0, in the units of the data.
    codes : array (m, k) of int, optional
        The points' categories, when the data have categorical columns.
    categories : Categories, optional
        The categorical columns of B and A and their kernel.
    device : {"auto", "cpu", "cuda"} or NativeBackend
        Backend; "auto" uses the GPU when one can be used.
    n_threads : int, optional
        CPU threads (default: all cores; ignored when ``device`` is a
        backend object, which carries its own). Results do not depend on it.

    Returns
    -------
    log_ratio : ndarray (m,)
        ``LSE_b(s_b) - LSE_a(s_a)``, ``s_c = -|x-c|^2/2h^2`` plus the
        categorical log weights of the columns where x and c differ.
    grad : ndarray (m, d)
        ``(mu_B(x) - mu_A(x)) / h^2``, mu_C the kernel-weighted mean of C
        (the gradient in the numeric coordinates).

    float32 inputs give float32 outputs (accumulated in float64); anything
    else is computed in float64.
    """
    points = _as_array(points, "points", 2)
    _check_finite(points, "points")
    backend = _backend(device, n_threads)
    sets = make_sets(numer, denom, bandwidth, categories, dtype=_dtype_of(points, _as_array(numer, "numer", 2),
                                                                          _as_array(denom, "denom", 2)))
    (points,) = _cast(sets.numer.dtype, points)
    return backend.log_ratio_grad(sets, points, _point_codes(codes, sets, points.shape[0], "codes"))


def _check_max_iter(max_iter: int) -> None:
    # The native code checks the other controls; a float here would fail its conversion obscurely.
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)):
        raise ValueError(f"max_iter must be an integer >= 0, got {max_iter!r}")


def _check_kde_tol(kde_tol) -> float:
    # The native code checks the value; a non-number would fail its conversion obscurely.
    if isinstance(kde_tol, bool) or not isinstance(kde_tol, (int, float, np.integer, np.floating)):
        raise ValueError(f"kde_tol must be a number >= 0, got {kde_tol!r}")
    return float(kde_tol)


def _check_seeds(seeds: np.ndarray, radii: np.ndarray, directions: np.ndarray) -> None:
    m, d = seeds.shape
    if radii.shape != (m,):
        raise ValueError(f"radii must have shape ({m},), got {radii.shape}")
    if directions.shape != (m, d):
        raise ValueError(f"directions must have shape ({m}, {d}), got {directions.shape}")
    for arr, name in ((seeds, "seeds"), (radii, "radii"), (directions, "directions")):
        _check_finite(arr, name)
    if np.any(radii < 0):
        raise ValueError(f"radii must be >= 0; radius[{int(np.argmin(radii))}] = {radii.min()}")
    norms = np.linalg.norm(np.asarray(directions, dtype=np.float64), axis=1)
    tol = 1e-4 if directions.dtype == np.float32 else 1e-6
    bad = np.flatnonzero(np.abs(norms - 1.0) > tol)
    if bad.size:
        raise ValueError(f"directions must be unit vectors; row {bad[0]} has norm {norms[bad[0]]:.6g}")


def ascend(
    seeds,
    radii,
    directions,
    numer,
    denom,
    bandwidth: float,
    *,
    codes=None,
    categories: Optional[Categories] = None,
    max_iter: int = 300,
    step: float = 0.1,
    tol: Optional[float] = None,
    grow: float = 2.0,
    step_rule: str = "auto",
    kde_tol: float = KDE_TOL,
    device: Device = "auto",
    n_threads: Optional[int] = None,
) -> AscentResult:
    """Algorithm 1: maximise log f on the sphere ``|x' - seed| = radius``.

    Each seed starts at ``seed + radius * direction`` and rotates on its
    sphere towards the projection of ``grad log f`` on the tangent plane
    (paper Algorithm 1, lines 4-7); maximising log f maximises f. No
    accepted trial lowers log f, whatever the rule. A seed's categories
    (``codes``) stay fixed: only its numeric coordinates move.

    Parameters
    ----------
    seeds : array (m, d)
        Sphere centres (the minority samples x).
    radii : array (m,)
        Sphere radii r >= 0.
    directions : array (m, d)
        Unit starting directions; draw them from your own RNG for
        reproducible results that do not depend on the backend.
    numer, denom, bandwidth, codes, categories, device, n_threads
        As in :func:`log_ratio_grad` (``codes``: the seeds' categories).
    max_iter : int
        Maximum trials per seed (each is one pass over the data).
    step : float
        Angle in radians, in (0, pi/2]: the first trial rotation ("newton";
        "hessian" where its model has no maximum).
    tol : float, optional
        Convergence tolerance: the slope of log f along the steepest great
        circle, ``r |tangential gradient|``, in nats per radian (default
        1e-4: no rotation of 1e-2 rad then gains more than about 1e-6
        nats), of the log f the ascent evaluates (with ``kde_tol > 0``, the
        local one).
    grow : float
        Largest growth of the first angle on a new circle over the last
        angle (capped at pi/2).
    step_rule : {"auto", "hessian", "newton"}
        "newton": quasi-Newton (L-BFGS) steps on the sphere, from the
        gradients the trials evaluate (the last 8 step and gradient-change
        pairs, parallel-transported along each step's circle); each great
        circle is searched by a safeguarded 1-D search (Newton angle after
        an accepted trial, secant or quadratic backtracking after a rejected
        one), stopped on first-order optimality or once the angle is below
        the dtype's resolution (float32 rows often stop there: log f cannot
        resolve smaller gains); "hessian" (CPU): the same search and
        stopping test, but each accepted point picks its circle and first
        angle by Newton's method on the sphere, with the Hessian of log f,
        (Cov_B - Cov_A) / h^4, taken over each class's heaviest points
        (within 8 nats of the largest weight, at most 256), where the model
        has no maximum a Levenberg-Marquardt shift of it; d above 256 steps
        like "newton"; "auto" (default): per seed, "hessian" if the Hessian
        at its start point held every point within the cut or n_B + n_A >=
        2048 d (then it is cheap), else "newton"; "newton" on the GPU.
    kde_tol : float >= 0
        Most the returned ``log_ratio`` may differ from the exact log f at
        the returned points, in nats (default 1e-3). With ``kde_tol > 0``
        the CPU evaluates each seed's trials only on the data points that
        can move log f by more than a tiny fraction of it: every trial point
        lies within r of the seed, so a point farther than r + rho from the
        seed adds at most exp(-rho^2 / 2h^2) to its class's kernel sum. The
        bound on what was left out is checked at every trial; a seed whose
        check fails runs again on a wider set, then on all the data. 0:
        every trial on all the data. The GPU always evaluates on all the data (exact, so any
        ``kde_tol`` holds there).

    Returns
    -------
    AscentResult
    """
    _check_max_iter(max_iter)
    if step_rule not in STEP_RULES:
        raise ValueError(f"step_rule must be one of {', '.join(map(repr, STEP_RULES))}, got {step_rule!r}")
    spec = AscentSpec(int(max_iter), float(step), None if tol is None else float(tol), float(grow), step_rule,
                      _check_kde_tol(kde_tol))
    seeds = _as_array(seeds, "seeds", 2)
    sets = make_sets(numer, denom, bandwidth, categories,
                     dtype=_dtype_of(seeds, _as_array(numer, "numer", 2), _as_array(denom, "denom", 2)))
    return run_ascent(sets, seeds, codes, radii, directions, spec, _backend(device, n_threads))


def run_ascent(sets: DataSets, seeds, codes, radii, directions, spec: AscentSpec, backend: NativeBackend,
               progress: Callable[[int], Any] = lambda rows: None) -> AscentResult:
    """:func:`ascend` on sets and a spec made once (:func:`make_sets`,
    :class:`AscentSpec`): the sampler's path, one call per chunk of seeds;
    ``progress`` is called with the seeds done as they finish."""
    seeds = _as_array(seeds, "seeds", 2)
    radii, directions = _as_array(radii, "radii", 1), _as_array(directions, "directions", 2)
    _check_seeds(seeds, radii, directions)
    seeds, radii, directions = _cast(sets.numer.dtype, seeds, radii, directions)
    return backend.ascend(sets, seeds, _point_codes(codes, sets, seeds.shape[0], "codes"), radii, directions, spec,
                          progress)
