"""simpor_ext: fast SIMPOR oversampling with a C++/OpenMP and CUDA core."""
from __future__ import annotations

from . import kernels
from ._backend import cuda_available, device_info
from .informative import ActiveLearning
from .sampler import SIMPOR, balance

__version__ = "0.1.0"

__all__ = ["SIMPOR", "balance", "ActiveLearning", "kernels", "cuda_available", "device_info", "__version__"]
