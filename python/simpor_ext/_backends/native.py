"""One interface over the native modules (``_core``, ``_cuda``).

Both modules expose the same functions with the same arguments
(``log_ratio_grad_{f32,f64}``, ``ascend_{f32,f64}``; bindings in
``csrc/bindings``), so one class serves every backend: it picks the
function for the dtype and passes the thread count (unused on the GPU).
Every call takes the problem as one :class:`DataSets` and an ascent as one
:class:`AscentSpec`, the structures the native code reads (and checks:
shapes, bandwidth, finiteness of the data, device limits). The arrays
reaching it are already checked and cast by :mod:`simpor_ext.kernels`.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, Optional

import numpy as np


# Default kde_tol, nats: measured in bench/kde_tol.py (docs there).
KDE_TOL = 1e-3


@dataclass(frozen=True)
class DataSets:
    """The two classes of a posterior ratio (``csrc/simpor/data_sets.hpp``).

    Attributes
    ----------
    numer, denom : ndarray (n_B, d), (n_A, d)
        Class B and contrast set A, numeric coordinates, one float dtype, C-contiguous.
    bandwidth : float
        h of the Gaussian kernel on the numeric coordinates.
    numer_codes, denom_codes : ndarray (n_B, k), (n_A, k) int32
        Their categorical columns as codes (k may be 0).
    log_weight : ndarray (k,) float64
        Per categorical column, the log kernel weight of a differing
        category relative to an equal one (<= 0).
    """

    numer: np.ndarray
    denom: np.ndarray
    bandwidth: float
    numer_codes: np.ndarray
    denom_codes: np.ndarray
    log_weight: np.ndarray

    @classmethod
    def numeric(cls, numer: np.ndarray, denom: np.ndarray, bandwidth: float) -> "DataSets":
        """Sets without categorical columns."""
        return cls(numer, denom, float(bandwidth), no_codes(numer.shape[0]), no_codes(denom.shape[0]),
                   np.empty(0, dtype=np.float64))

    @property
    def n_categories(self) -> int:
        return self.log_weight.size


def no_codes(n: int) -> np.ndarray:
    """The codes of n rows without categorical columns."""
    return np.empty((n, 0), dtype=np.int32)


@dataclass(frozen=True)
class AscentSpec:
    """Step rule and evaluation tolerance of Algorithm 1 (see
    :func:`simpor_ext.kernels.ascend`), checked when made, by the native
    code that runs it (``csrc/simpor/step_params.hpp``)."""

    max_iter: int = 300
    step: float = 0.1
    tol: Optional[float] = None  # the rule's default
    grow: float = 2.0
    step_rule: str = "auto"
    kde_tol: float = KDE_TOL

    def __post_init__(self) -> None:
        from .. import _core

        _core.check_ascent_spec(self)


@dataclass(frozen=True)
class AscentResult:
    """Outcome of an ascent, one entry per seed.

    Attributes
    ----------
    points : ndarray (m, d)
        The final points, on their spheres ``|p - seed| = radius``.
    log_ratio : ndarray (m,)
        ``log f`` at the final points.
    n_iter : ndarray (m,) int32
        Trials evaluated (each is one pass over the data).
    converged : ndarray (m,) bool
        The step rule's stopping test was met before ``max_iter``.
    pairs : ndarray (m,) int64
        (trial point, data point) pairs evaluated for the seed, its local
        selection included; a dense run costs ``(n_iter + 1) * (n_B + n_A)``.
    """

    points: np.ndarray
    log_ratio: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray
    pairs: np.ndarray


def _suffix(dtype: np.dtype) -> str:
    return "f32" if dtype == np.float32 else "f64"


def _interruptible(module: ModuleType, fn: Callable, *args: Any, poll: Callable[[], Any] = lambda: None) -> Any:
    """``fn(*args)`` on a helper thread, so that Ctrl-C reaches Python at once
    (a native call holds the main thread for as long as it runs); on Ctrl-C
    the call is cancelled (it ends within one pass over the data) and
    KeyboardInterrupt propagates. ``poll`` runs every 0.1 s meanwhile, and
    once at the end."""
    outcome: list = []

    def call() -> None:
        try:
            outcome.append((True, fn(*args)))
        except BaseException as exc:  # handed to the calling thread
            outcome.append((False, exc))

    worker = threading.Thread(target=call, name="simpor_ext native call", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
            poll()
    except KeyboardInterrupt:
        # A join cut short by Ctrl-C can leave the thread's lock in a state where
        # is_alive() stays True, so from here on only `outcome` is watched. The
        # call may reset the flag as it starts: raise it until the call ends.
        while not outcome:
            module._cancel()
            time.sleep(0.05)
        raise
    ok, value = outcome[0]
    if ok:
        poll()  # the call may have ended before the first poll
        return value
    raise value


class NativeBackend:
    """A resolved device: ``name`` ("cpu" or "cuda"), its extension module,
    the seeds per ascent call that suit it (``batch_size``) and a one-line
    ``description`` for logs and the CLI."""

    def __init__(self, name: str, module: ModuleType, batch_size: int, n_threads: Optional[int],
                 description: str):
        self.name, self.batch_size, self.description = name, batch_size, description
        self._module, self._threads = module, int(n_threads or 0)

    def __repr__(self) -> str:
        return f"NativeBackend({self.description})"

    def log_ratio_grad(self, sets: DataSets, points: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``log f`` and its gradient at ``points`` with category ``codes``
        (floats of the sets' dtype and int32, C-contiguous)."""
        fn = getattr(self._module, "log_ratio_grad_" + _suffix(points.dtype))
        return _interruptible(self._module, fn, sets, points, codes, self._threads)

    def ascend(self, sets: DataSets, seeds: np.ndarray, codes: np.ndarray, radii: np.ndarray,
               directions: np.ndarray, spec: AscentSpec,
               progress: Callable[[int], Any] = lambda rows: None) -> AscentResult:
        """Algorithm 1 for every seed (floats of the sets' dtype, int32 codes,
        C-contiguous); ``progress`` is called with the number of seeds done
        since its last call, while the ascent runs."""
        fn = getattr(self._module, "ascend_" + _suffix(seeds.dtype))
        finished, reported = np.zeros(1, dtype=np.int64), [0]

        def poll() -> None:
            done = int(finished[0])
            if done > reported[0]:
                progress(done - reported[0])
                reported[0] = done

        out = _interruptible(self._module, fn, sets, seeds, codes, radii, directions, spec, self._threads, finished,
                             poll=poll)
        return AscentResult(*out)
