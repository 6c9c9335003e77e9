// The CUDA runtime. Kernels use the two macros below instead of the
// `extern __shared__` and `<<<...>>>` syntax, so that the test build can
// compile them as C++ (tests/cuda_emulator puts its own cuda/runtime.hpp
// first on the include path).
#pragma once

#include <cuda_runtime.h>

#define SIMPOR_DYNAMIC_SHARED(name) extern __shared__ __align__(16) unsigned char name[]
#define SIMPOR_LAUNCH(kernel, grid, block, smem, stream, ...) kernel<<<grid, block, smem, stream>>>(__VA_ARGS__)
