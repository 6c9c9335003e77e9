"""The CPU backend: the ``_core`` extension (C++17, OpenMP), always built."""
from __future__ import annotations

from typing import Any, Optional

from .. import _core
from .native import NativeBackend

# Seeds per ascent call: progress and Ctrl-C granularity; the output does not depend on it.
_BATCH = 1024


def build_info() -> dict[str, Any]:
    return dict(_core.build_info())


def backend(n_threads: Optional[int]) -> NativeBackend:
    threads = n_threads or build_info()["max_threads"]
    return NativeBackend("cpu", _core, _BATCH, n_threads, f"cpu ({threads} thread{'s' if threads != 1 else ''})")
