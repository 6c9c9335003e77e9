// The CUDA kernels compiled as C++ against the CPU emulator.
#include "cuda/pack_kernels.cu"
