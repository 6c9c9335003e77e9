// The CUDA runtime, or its CPU emulation (SIMPOR_CUDA_EMULATION, tests only:
// see README.md). Kernels use the two macros below instead of the
// `extern __shared__` and `<<<...>>>` syntax so that both builds share them.
#pragma once

#ifdef SIMPOR_CUDA_EMULATION
#include "cuda/emu/emulator.hpp"
#else
#include <cuda_runtime.h>
#define SIMPOR_DYNAMIC_SHARED(name) extern __shared__ __align__(16) unsigned char name[]
#define SIMPOR_LAUNCH(kernel, grid, block, smem, stream, ...) kernel<<<grid, block, smem, stream>>>(__VA_ARGS__)
#endif
