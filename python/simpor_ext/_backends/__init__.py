"""Backends: where the posterior-ratio kernels run.

The device is resolved once per fit by :func:`get_backend` into a
:class:`~.native.NativeBackend`; everything downstream calls its methods,
which have the same signatures on every backend (implicit's pattern: one
factory, sibling modules with one interface). ``import simpor_ext`` never
fails for lack of a GPU, a driver or the ``_cuda`` extension.
"""
from __future__ import annotations

import sys
import warnings
from typing import Any, Optional

from joblib import cpu_count, effective_n_jobs

from . import cpu, cuda
from .cpu import PIECE_WINDOW, STEP_RULES, __version__
from .native import KDE_TOL, AscentResult, AscentSpec, DataSets, NativeBackend, no_codes

__all__ = ["DEVICES", "FALLBACK_WARNING", "n_threads_for", "get_backend", "device_info", "cuda_available",
           "KDE_TOL", "AscentSpec", "AscentResult", "DataSets", "NativeBackend", "no_codes", "STEP_RULES",
           "PIECE_WINDOW", "__version__"]

DEVICES = ("auto", "cpu", "cuda")
FALLBACK_WARNING = "simpor_ext: no usable GPU, running on the CPU (simpor_ext.device_info() says why)"

_warned_fallback = False


def cuda_available() -> bool:
    """True when the ``_cuda`` extension is built and a usable GPU is visible."""
    return cuda.unavailable_reason() is None


def device_info() -> dict[str, Any]:
    """Describe the compiled backends and the GPU, or why there is none.

    Returns
    -------
    dict
        ``cpu``: the CPU build (OpenMP, threads, SIMD level); ``cuda_built``:
        whether the ``_cuda`` extension exists; ``cuda_available``: whether it
        can run now; ``cuda_reason``: why not (None when it can);
        ``cuda_devices``: names of the visible GPUs.
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
    ``"auto"`` falls back to the CPU, with one short ``UserWarning`` per
    process when ``warn_fallback`` is set. ``n_threads`` (None: all cores)
    sets the CPU threads; the results never depend on it.
    """
    if device not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}, got {device!r}")
    if device != "cpu":
        reason = cuda.unavailable_reason()
        if reason is None:
            return cuda.backend(n_threads)
        if device == "cuda":
            raise RuntimeError(f"device='cuda' requested but no GPU can be used: {reason}")
        if warn_fallback:
            _warn_fallback_once()
    return cpu.backend(n_threads)


# Frames of these packages are skipped, so a warning names the user's line.
_LIBRARIES = ("simpor_ext", "imblearn", "sklearn", "sklearn_compat")


def _caller_stacklevel() -> int:
    """warnings.warn's stacklevel of the first frame outside this package and its hosts."""
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_globals.get("__name__", "").split(".")[0] in _LIBRARIES:
        frame, level = frame.f_back, level + 1
    return level


def _warn_fallback_once() -> None:
    global _warned_fallback
    if not _warned_fallback:
        _warned_fallback = True
        warnings.warn(FALLBACK_WARNING, UserWarning, stacklevel=_caller_stacklevel())
