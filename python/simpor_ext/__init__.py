"""simpor_ext: fast SIMPOR oversampling with a C++/OpenMP and CUDA core."""
from __future__ import annotations

from typing import Any

from . import kernels
from ._backends import __version__, cuda_available, device_info

__all__ = ["SIMPOR", "balance", "ActiveLearning", "kernels", "cuda_available", "device_info", "__version__"]

# The sampler pulls in scikit-learn, imbalanced-learn and onnxruntime (seconds
# of imports): load it on first use so `import simpor_ext` stays light.
_LAZY = {"SIMPOR": "sampler", "balance": "sampler", "ActiveLearning": "informative"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
