"""The CUDA backend: the ``_cuda`` extension, built only when CMake found nvcc.

Importing it needs no driver (the CUDA runtime is linked statically);
whether a GPU can run its kernels is asked at run time, and on the first use
in a process the kernels must also pass :mod:`.self_check`.
"""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import Optional

from . import self_check
from .native import NativeBackend

# Seeds per ascent call: enough to fill a GPU; the output does not depend on it.
_BATCH = 16384

_module: Optional[ModuleType]
_import_error: Optional[str] = None
try:
    _module = importlib.import_module("simpor_ext._cuda")
except ModuleNotFoundError as exc:
    _module = None
    if exc.name != "simpor_ext._cuda":  # present, but something it needs is missing
        _import_error = str(exc)
except ImportError as exc:  # e.g. an undefined symbol
    _module, _import_error = None, str(exc)


def built() -> bool:
    return _module is not None


def module() -> Optional[ModuleType]:
    """The extension module, or None when it was not built (tests and benchmarks use its hooks)."""
    return _module


def unavailable_reason() -> Optional[str]:
    """Why no GPU can run the kernels, or None when one can."""
    return availability()[0]


def availability() -> tuple[Optional[str], bool]:
    """``(reason, failed_self_check)``: why no GPU can run the kernels (None
    when one can), and whether that is because a visible GPU failed the
    self-check (it runs here, once per process, when a GPU is visible)."""
    if _module is None:
        if _import_error:
            return f"the _cuda extension failed to import: {_import_error}", False
        return "simpor_ext was built without CUDA (no CUDA compiler at build time)", False
    ok, reason, _ = _module.probe()
    if not ok:
        return reason, False
    failure = self_check.failure(_module)
    return failure, failure is not None


def device_names() -> list[str]:
    return list(_module.probe()[2]) if _module is not None else []


def backend(n_threads: Optional[int]) -> NativeBackend:
    return NativeBackend("cuda", _module, _BATCH, n_threads, f"cuda ({', '.join(device_names())})")
