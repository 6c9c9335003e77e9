// The CUDA backend's exceptions (plain C++, no CUDA headers): the bindings
// translate OutOfDeviceMemory to Python's MemoryError and CudaError to
// RuntimeError.
#pragma once

#include <stdexcept>

namespace simpor::cuda {

// A CUDA runtime failure (no driver, no device, a failed kernel).
struct CudaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Device memory exhausted; the message names the array and its size.
struct OutOfDeviceMemory : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace simpor::cuda
