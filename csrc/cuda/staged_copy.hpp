// Copies between pageable host memory (NumPy arrays) and the device through
// pinned staging buffers (host C++).
//
// A copy from pageable memory goes through the driver's own staging with one
// host thread. Here several host threads fill (or empty) one pinned slot
// while the copy engine moves the other, so a large copy runs at the speed of
// the slower of the two instead of their sum.
#pragma once

#include <cstddef>

#include "cuda/runtime.hpp"

namespace simpor::cuda {

// Both return when the bytes are at their destination, as copies from and to
// pageable memory do; the copy waits for the work queued before it on `stream`.
void copy_to_device(void* device, const void* host, std::size_t bytes, cudaStream_t stream);
void copy_to_host(void* host, const void* device, std::size_t bytes, cudaStream_t stream);

}  // namespace simpor::cuda
