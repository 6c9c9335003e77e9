"""One interface over the native modules (``_core``, ``_cuda``).

Both modules expose the same functions with the same arguments
(``log_ratio_grad_{f32,f64}``, ``ascend_{f32,f64}``; bindings in
``csrc/bindings``), so one class serves every backend: it picks the
function for the dtype and passes the thread count (unused on the GPU).
The arrays reaching it are already checked and cast by
:mod:`simpor_ext.kernels`; the native code checks the rest (bandwidth,
finiteness of the data, device limits).
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
class AscentControls:
    """Step rule and evaluation tolerance of Algorithm 1 (see :func:`simpor_ext.kernels.ascend`)."""

    max_iter: int = 300
    step: float = 0.1
    tol: Optional[float] = None  # the rule's default
    grow: float = 2.0
    step_rule: str = "auto"
    kde_tol: float = KDE_TOL


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


def _interruptible(module: ModuleType, fn: Callable, *args: Any) -> Any:
    """``fn(*args)`` on a helper thread, so that Ctrl-C reaches Python at once
    (a native call holds the main thread for as long as it runs); on Ctrl-C
    the call is cancelled (it ends within one pass over the data) and
    KeyboardInterrupt propagates."""
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

    def log_ratio_grad(self, points: np.ndarray, numer: np.ndarray, denom: np.ndarray,
                       bandwidth: float) -> tuple[np.ndarray, np.ndarray]:
        """``log f`` and its gradient at ``points`` (arrays of one float dtype, C-contiguous)."""
        fn = getattr(self._module, "log_ratio_grad_" + _suffix(points.dtype))
        return _interruptible(self._module, fn, points, numer, denom, bandwidth, self._threads)

    def ascend(self, seeds: np.ndarray, radii: np.ndarray, directions: np.ndarray, numer: np.ndarray,
               denom: np.ndarray, bandwidth: float, controls: AscentControls) -> AscentResult:
        """Algorithm 1 for every seed (arrays of one float dtype, C-contiguous)."""
        fn = getattr(self._module, "ascend_" + _suffix(seeds.dtype))
        c = controls
        out = _interruptible(self._module, fn, seeds, radii, directions, numer, denom, bandwidth, int(c.max_iter),
                             float(c.step), c.tol, float(c.grow), c.step_rule, float(c.kde_tol), self._threads)
        return AscentResult(*out)
