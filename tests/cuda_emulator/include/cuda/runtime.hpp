// The emulator's stand-in for csrc/cuda/runtime.hpp: the emulator build puts
// this directory first on the include path, so the kernels and the host code
// include the CPU emulation instead of the CUDA runtime, through the same
// two macros.
#pragma once

#include "simpor_emu/runtime_api.hpp"

#define SIMPOR_DYNAMIC_SHARED(name) unsigned char* name = ::simpor_emu::shared_memory()
#define SIMPOR_LAUNCH(kernel, grid, block, smem, stream, ...) \
  ::simpor_emu::launch(kernel, dim3(grid), dim3(block), smem, __VA_ARGS__)
