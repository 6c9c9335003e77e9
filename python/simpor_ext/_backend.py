"""Backend discovery: the CPU extension is always there, the CUDA one maybe.

``import simpor_ext`` never fails for lack of a GPU, a driver or the ``_cuda``
extension; :func:`device_info` says which of those is missing.
"""
from __future__ import annotations

import importlib
import warnings
from types import ModuleType
from typing import Any

from . import _core

_cuda: ModuleType | None
_CUDA_IMPORT_ERROR: str | None = None
try:  # built only when CMake found a CUDA compiler
    _cuda = importlib.import_module(f"{__package__}._cuda")
except ModuleNotFoundError as exc:
    _cuda = None
    if exc.name != f"{__package__}._cuda":  # present but a dependency is missing
        _CUDA_IMPORT_ERROR = str(exc)
except ImportError as exc:  # e.g. an undefined symbol or a missing libcudart
    _cuda = None
    _CUDA_IMPORT_ERROR = str(exc)

DEVICES = ("auto", "cpu", "cuda")


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
    info: dict[str, Any] = {"cpu": dict(_core.build_info()), "cuda_built": _cuda is not None}
    if _cuda is None:
        reason = "simpor_ext was built without CUDA (no CUDA compiler at build time)"
        if _CUDA_IMPORT_ERROR:
            reason = f"the _cuda extension failed to import: {_CUDA_IMPORT_ERROR}"
        info.update(cuda_available=False, cuda_reason=reason, cuda_devices=[])
        return info
    ok, reason, names = _cuda.probe()
    info.update(cuda_available=bool(ok), cuda_reason=None if ok else reason, cuda_devices=list(names))
    return info


def cuda_available() -> bool:
    """True when the ``_cuda`` extension is built and a usable GPU is visible."""
    return _cuda is not None and bool(_cuda.probe()[0])


def resolve_device(device: str, *, warn_fallback: bool = False) -> str:
    """Map ``"auto" | "cpu" | "cuda"`` to the backend that will run.

    ``"cuda"`` without a usable GPU raises ``RuntimeError`` naming the reason;
    ``"auto"`` falls back to the CPU (with a ``UserWarning`` if asked).
    """
    if device not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}, got {device!r}")
    if device == "cpu":
        return "cpu"
    if cuda_available():
        return "cuda"
    if device == "cuda":
        raise RuntimeError(f"device='cuda' requested but no GPU can be used: {device_info()['cuda_reason']}")
    if warn_fallback:
        warnings.warn(
            f"device='auto': no usable GPU ({device_info()['cuda_reason']}); running on the CPU",
            UserWarning,
            stacklevel=3,
        )
    return "cpu"


def module_for(device: str) -> ModuleType:
    """The extension module implementing ``device`` (already resolved)."""
    return _cuda if device == "cuda" else _core
