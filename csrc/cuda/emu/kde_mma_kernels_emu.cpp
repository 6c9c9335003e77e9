// The tensor-core kernel compiled as C++ against the CPU emulator.
#include "cuda/kde_mma_kernels.cu"
