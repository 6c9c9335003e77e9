"""The CPU backend: the ``_core`` extension (C++17, OpenMP), always built."""
from __future__ import annotations

from typing import Any, Optional

from .. import _core
from .native import NativeBackend

# What the rest of the package reads from the native core, exported here: only _backends imports it.
__version__: str = _core.__version__  # pyproject.toml's version, compiled in
# The step rules a user chooses from; the native code (csrc/simpor/ascent_step.hpp, where every rule
# is named once) also runs two baselines, "adaptive" and "fixed", which only bench/baselines.py uses.
BASELINE_STEP_RULES: tuple = ("adaptive", "fixed")
STEP_RULES: tuple = tuple(r for r in _core.STEP_RULES if r not in BASELINE_STEP_RULES)
PIECE_WINDOW: int = _core.PIECE_WINDOW  # seeds whose local pieces form together (csrc/cpu/pieces.hpp)

# Seeds per ascent call: progress and Ctrl-C granularity; the output does not depend on it.
_BATCH = 1024


def build_info() -> dict[str, Any]:
    return dict(_core.build_info())


def description(n_threads: Optional[int]) -> str:
    """The device in words, for logs and the CLI: ``cpu (N threads)``."""
    threads = n_threads or build_info()["max_threads"]
    return f"cpu ({threads} thread{'s' if threads != 1 else ''})"


def backend(n_threads: Optional[int]) -> NativeBackend:
    return NativeBackend("cpu", _core, _BATCH, n_threads, description(n_threads))
