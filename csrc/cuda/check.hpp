// Runtime errors as exceptions (host C++): every runtime call goes through
// `check`, which names the call that failed.
#pragma once

#include <cstddef>
#include <string>

#include "cuda/errors.hpp"
#include "cuda/runtime.hpp"

namespace simpor::cuda {

inline std::string error_text(cudaError_t e) {
  return std::string(cudaGetErrorName(e)) + " (" + std::to_string(int(e)) + "): " + cudaGetErrorString(e);
}

inline std::string mib(std::size_t bytes) {
  return std::to_string((bytes + (std::size_t(1) << 20) - 1) >> 20) + " MiB";
}

inline void check(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return;
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // clear the (non-sticky) error so later calls work
    throw OutOfDeviceMemory(std::string("CUDA out of memory in ") + what);
  }
  throw CudaError(std::string("CUDA error in ") + what + ": " + error_text(e));
}

// Checks a kernel launch (configuration errors) without synchronising.
inline void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

}  // namespace simpor::cuda
