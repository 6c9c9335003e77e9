// The CUDA kernels compiled as C++ against the CPU emulator.
#include "cuda/kde_kernels.cu"
