// The CUDA kernels compiled as C++ against the CPU emulator.
#include "cuda/ascent_kernels.cu"
