"""The CUDA backend's self-check: its kernels against the CPU core, once per process.

The CUDA kernels and the newton rule have run on the CPU emulator only
(tests/cuda_emulator) until a GPU run verifies them, and ``device="auto"``
picks the GPU where one is visible. So before the GPU is first used in a
process, the ``_cuda`` module computes log f and its gradient on a built-in
problem and the CPU core (``_core``) computes the same; a GPU whose results
differ by more than the tolerances below is not used: ``device="auto"`` runs
on the CPU (one log record per process), ``device="cuda"`` raises, and
``device_info()["cuda_reason"]`` says what differed and by how much.

The problem covers what a tiny call would not: each class spans several
chunks of 64 points (csrc/cuda/kernels.hpp: ``kChunk``), the last one partly
filled (70 and 130 points); d = 5 takes the thread kernels with two blocks
of candidates (128 + 2), and d = 64 the warp kernels in both dtypes
(d + 1 > 32 in float64, > 64 in float32), with two blocks of 4 candidates.
Two mixed problems (6 categorical columns, so two quads of codes, the last
one partly padding) take the mixed-data kernels: d = 3 the thread family
with three blocks of 64 candidates, d = 40 the warp family in both dtypes.

Tolerances (relative L2 error of log f and of grad log f against the CPU
core on the same inputs): 1e-9 in float64 and 1e-3 in float32, ten times the
tests' (tests/test_cuda.py: 1e-10 and 1e-4), so that only a wrong result,
never a rounding difference, fails it; on the emulator the errors are about
1e-15 and 1e-6.

Cost: eight calls of each module (130 points at d = 5 and d = 3 with
categories, 5 points at d = 64 and d = 40 with categories, in float64 and
float32). With the CPU core standing in for the GPU
the whole check takes about 3 ms on a 2-core machine (1.7 ms before the
mixed problems), so the CPU half costs under 2 ms. The GPU half is not timed
yet: each call is a handful of kernel launches and sub-kilobyte copies, a
few milliseconds in all, the CUDA context being created already by
``probe()``; ``bench/gpu_check.sh`` records it as its ``self-check`` case.
On the CPU emulator the check takes 3 to 4.5 s (a loaded 2-core machine;
the mixed warp case costs most there).

The ascent (the newton rule) is not run: it evaluates log f with these
kernels, and its decisions are the CPU's own code (simpor/ascent_step.hpp),
compared with the CPU's on the emulator by tests/test_cuda.py.
"""
from __future__ import annotations

import os
import threading
from types import ModuleType
from typing import Optional

import numpy as np

from .. import _core
from .native import DataSets, _suffix

# (candidates, class B points, contrast set points, d, categorical columns)
PROBLEMS = ((130, 70, 130, 5, 0), (5, 70, 130, 64, 0), (130, 70, 130, 3, 6), (5, 70, 130, 40, 6))
TOLERANCES = {np.float64: 1e-9, np.float32: 1e-3}

FAILED = "the GPU self-check failed"

_lock = threading.Lock()
_outcome: Optional[tuple[Optional[str]]] = None  # (failure or None,) once the check has run


def failure(module: ModuleType) -> Optional[str]:
    """Why ``module``'s kernels fail the self-check, or None when they pass.

    Runs the check on the first call in a process and returns its outcome
    from then on; concurrent first calls wait for the one that runs it. An
    exception from the GPU counts as a failure; KeyboardInterrupt leaves the
    check to be run again.
    """
    outcome = _outcome
    if outcome is None:
        outcome = _run_once(module)
    return outcome[0]


def _run_once(module: ModuleType) -> tuple[Optional[str]]:
    global _outcome
    with _lock:
        if _outcome is None:
            _outcome = (_check(module),)
        return _outcome


def _new_lock_in_child() -> None:
    # A fork while another thread runs the check must not leave the child's lock held forever.
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_lock_in_child)


def _reset() -> None:
    """Forget the outcome, so that the next use runs the check again (for tests)."""
    global _outcome
    with _lock:
        _outcome = None


def _rel_err(got: np.ndarray, want: np.ndarray) -> float:
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        return float("inf")
    return float(np.linalg.norm(got - want) / max(float(np.linalg.norm(want)), 1e-300))


def _codes(rng: np.random.Generator, n: int, n_cat: int) -> np.ndarray:
    """Codes of 2 to 5 levels per column: many pairs agree, many differ."""
    codes = np.empty((n, n_cat), dtype=np.int32)
    for j in range(n_cat):
        codes[:, j] = rng.integers(0, 2 + j % 4, n)
    return codes


def _check(module: ModuleType) -> Optional[str]:
    rng = np.random.default_rng(20_240_601)
    for m, n_numer, n_denom, d, n_cat in PROBLEMS:
        points, numer = rng.normal(size=(m, d)), rng.normal(size=(n_numer, d)) + 0.5
        denom = rng.normal(size=(n_denom, d))
        bandwidth = 0.3 * np.sqrt(d)
        codes, numer_codes, denom_codes = (_codes(rng, n, n_cat) for n in (m, n_numer, n_denom))
        log_weight = -rng.uniform(0.1, 3.0, n_cat)
        for dtype, tol in TOLERANCES.items():
            x, b, a = (np.ascontiguousarray(v, dtype=dtype) for v in (points, numer, denom))
            sets = DataSets(b, a, bandwidth, numer_codes, denom_codes, log_weight)
            name = "log_ratio_grad_" + _suffix(np.dtype(dtype))
            where = (f"{np.dtype(dtype).name}, {m} points, {n_numer} + {n_denom} data points, d = {d}"
                     + (f", {n_cat} categorical columns" if n_cat else ""))
            try:
                got_log_ratio, got_grad = getattr(module, name)(sets, x, codes, 0)
            except Exception as exc:  # the GPU cannot run it: as unusable as a wrong result
                return f"{FAILED} ({where}): {type(exc).__name__}: {exc}"
            log_ratio, grad = getattr(_core, name)(sets, x, codes, 1)
            for what, g, w in (("log f", got_log_ratio, log_ratio), ("grad log f", got_grad, grad)):
                err = _rel_err(g, w)
                if not err <= tol:  # NaN fails too
                    return (f"{FAILED}: its {what} differs from the CPU core's by a relative L2 error of {err:.2g} "
                            f"(tolerance {tol:g}; {where}); please report it with simpor_ext.device_info()")
    return None
