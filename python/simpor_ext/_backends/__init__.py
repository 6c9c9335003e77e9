"""Backends: where the posterior-ratio kernels run.

The device is resolved once per fit by :func:`get_backend` into a
:class:`~.native.NativeBackend`; everything downstream calls its methods,
which have the same signatures on every backend (implicit's pattern: one
factory, sibling modules with one interface). ``import simpor_ext`` never
fails for lack of a GPU, a driver or the ``_cuda`` extension.
"""
from __future__ import annotations

import logging
import os
import threading
from typing import Any, Optional

from joblib import cpu_count, effective_n_jobs

from . import cpu, cuda
from .cpu import BASELINE_STEP_RULES, PIECE_WINDOW, STEP_RULES, __version__
from .native import KDE_TOL, AscentResult, AscentSpec, DataSets, NativeBackend, no_codes

__all__ = ["DEVICES", "FALLBACK_NOTICE", "n_threads_for", "get_backend", "device_info", "cuda_available",
           "KDE_TOL", "AscentSpec", "AscentResult", "DataSets", "NativeBackend", "no_codes", "STEP_RULES", "BASELINE_STEP_RULES",
           "PIECE_WINDOW", "__version__"]

DEVICES = ("auto", "cpu", "cuda")
# A log record, not a warning: nothing for the caller to fix, and in joblib or
# dask workers a warning has no caller's line to point at.
FALLBACK_NOTICE = "simpor_ext: no usable GPU, running on the CPU (simpor_ext.device_info() says why)"

logger = logging.getLogger(__name__)

_noted: set[str] = set()  # the notices logged in this process
_noted_lock = threading.Lock()


def cuda_available() -> bool:
    """True when the ``_cuda`` extension is built, a GPU is visible and its
    results passed the self-check (run here on the first call in a process)."""
    return cuda.unavailable_reason() is None


def device_info() -> dict[str, Any]:
    """Describe the compiled backends and the GPU, or why there is none.

    Returns
    -------
    dict
        ``cpu``: the CPU build (OpenMP, threads, SIMD level); ``cuda_built``:
        whether the ``_cuda`` extension exists; ``cuda_available``: whether it
        can run now; ``cuda_reason``: why not (None when it can), e.g. no
        driver, or a self-check whose results differed from the CPU's by
        more than its tolerance; ``cuda_devices``: names of the visible GPUs.
    """
    reason = cuda.unavailable_reason()
    return {"cpu": cpu.build_info(), "cuda_built": cuda.built(), "cuda_available": reason is None,
            "cuda_reason": reason, "cuda_devices": cuda.device_names()}


def n_threads_for(n_jobs: Optional[int]) -> Optional[int]:
    """CPU threads for ``n_jobs`` (joblib's convention: -1 all cores, -2 all
    but one...), never more than the cores that exist: more threads than
    cores only slow the kernels and onnxruntime down. None: all cores."""
    if n_jobs is None:
        return None
    return min(effective_n_jobs(n_jobs), cpu_count())


def get_backend(device: str = "auto", n_threads: Optional[int] = None, *,
                warn_fallback: bool = False) -> NativeBackend:
    """The backend that runs ``device`` (``"auto" | "cpu" | "cuda"``).

    ``"cuda"`` without a usable GPU raises ``RuntimeError`` naming the reason;
    ``"auto"`` falls back to the CPU, with one WARNING record per process on
    the ``simpor_ext`` logger when ``warn_fallback`` is set. A GPU that fails
    the self-check (:mod:`.self_check`, run on its first use in a process)
    is not usable; ``"auto"`` then always logs the mismatch, once per
    process. ``n_threads`` (None: all cores) sets the CPU threads; the results
    never depend on it.
    """
    if device not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}, got {device!r}")
    if device != "cpu":
        reason, failed_self_check = cuda.availability()
        if reason is None:
            return cuda.backend(n_threads)
        if device == "cuda":
            raise RuntimeError(f"device='cuda' requested but no GPU can be used: {reason}")
        if failed_self_check:  # a GPU is there and gives wrong results: say so even unasked
            _note_once(f"simpor_ext: running on the CPU: {reason}")
        elif warn_fallback:
            _note_once(FALLBACK_NOTICE)
    return cpu.backend(n_threads)


def _new_lock_in_child() -> None:
    global _noted_lock
    _noted_lock = threading.Lock()  # a fork must not leave it held by a thread the child lacks


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_lock_in_child)


def _note_once(message: str) -> None:
    """Log ``message`` as a WARNING, the first time in this process only."""
    with _noted_lock:
        if message in _noted:
            return
        _noted.add(message)
    logger.warning(message)
