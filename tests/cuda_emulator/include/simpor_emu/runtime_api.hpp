// CPU emulation of kernel launches and of the CUDA runtime API subset the
// host code uses (see blocks.hpp). Launches check the limits the real build
// relies on: 48 KiB of dynamic shared memory unless the kernel opted in to
// more (cudaFuncSetAttribute, up to 64 KiB: sm_75's limit, the smallest of
// the architectures built for), 1024 threads, grid.y <= 65535.
#pragma once

#include <math.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "simpor_emu/blocks.hpp"
#include "simpor_emu/memory.hpp"

namespace simpor_emu {

// ---- launch -----------------------------------------------------------------------
inline int& sm_count() {
  static int sms = [] {
    const char* env = std::getenv("SIMPOR_EMU_SMS");
    return env ? std::max(1, std::atoi(env)) : 3;
  }();
  return sms;
}

constexpr std::size_t kDefaultShared = 48 * 1024, kOptInShared = 64 * 1024;

// Per kernel: the dynamic shared memory it may take (cudaFuncSetAttribute).
inline std::map<const void*, std::size_t>& shared_limits() {
  static std::map<const void*, std::size_t> limits;
  return limits;
}

inline std::mutex& shared_limits_mutex() {
  static std::mutex mutex;
  return mutex;
}

inline std::size_t shared_limit(const void* kernel) {
  std::lock_guard<std::mutex> lock(shared_limits_mutex());
  const auto found = shared_limits().find(kernel);
  return found == shared_limits().end() ? kDefaultShared : found->second;
}

template <class... P, class... A>
void launch(void (*kernel)(P...), dim3 grid, dim3 block_dim, std::size_t smem, A&&... args) {
  drain_copies();  // stream order: earlier copies finish before a kernel starts
  const unsigned threads = block_dim.x * block_dim.y * block_dim.z;
  if (threads == 0 || threads > 1024) fail("block of " + std::to_string(threads) + " threads");
  const std::size_t limit = shared_limit(reinterpret_cast<const void*>(kernel));
  if (smem > limit)
    fail("dynamic shared memory of " + std::to_string(smem) + " bytes exceeds the kernel's " +
         std::to_string(limit / 1024) + " KiB");
  if (grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.y > 65535 || grid.z > 65535) fail("bad grid");
  std::tuple<P...> params(std::forward<A>(args)...);
  const std::function<void()> body = [&] { std::apply(kernel, params); };
  Block b;
  b.block_dim = block_dim;
  b.grid_dim = grid;
  b.body = &body;
  Block* outer = block_ptr();
  block_ptr() = &b;
  try {
    for (unsigned z = 0; z < grid.z; ++z)
      for (unsigned y = 0; y < grid.y; ++y)
        for (unsigned x = 0; x < grid.x; ++x) {
          b.block_idx = {x, y, z};
          b.shared.assign(smem, kPoison);
          run_block(b);
        }
  } catch (...) {
    block_ptr() = outer;
    throw;
  }
  block_ptr() = outer;
}

}  // namespace simpor_emu

// ---- runtime API (the subset the host code uses) ------------------------------
enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInsufficientDriver = 35,
  cudaErrorNoDevice = 100,
};
enum cudaMemcpyKind { cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2, cudaMemcpyDeviceToDevice = 3 };
enum cudaDeviceAttr {
  cudaDevAttrMultiProcessorCount = 16,
  cudaDevAttrComputeCapabilityMajor = 75,
  cudaDevAttrComputeCapabilityMinor = 76,
  cudaDevAttrMemoryPoolsSupported = 115,
};
struct CUstream_st {};
struct CUevent_st {
  double seconds = 0.0;      // wall clock at the last record (kernels run synchronously)
  std::uint64_t copies = 0;  // deferred copies issued before the last record
};
using cudaStream_t = CUstream_st*;
using cudaEvent_t = CUevent_st*;
constexpr unsigned cudaStreamNonBlocking = 1;
constexpr unsigned cudaEventDisableTiming = 2;
struct cudaDeviceProp {
  char name[256];
};
struct cudaFuncAttributes {
  int maxThreadsPerBlock;
};

inline const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInsufficientDriver: return "cudaErrorInsufficientDriver";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
  }
  return "cudaErrorUnknown";
}
inline const char* cudaGetErrorString(cudaError_t e) { return e == cudaSuccess ? "no error" : "emulated error"; }
inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline cudaError_t cudaMalloc(void** p, std::size_t bytes) {
  if (bytes > simpor_emu::free_bytes()) return cudaErrorMemoryAllocation;
  *p = std::malloc(bytes ? bytes : 1);  // 16-byte aligned, exact size (for AddressSanitizer)
  if (!*p) return cudaErrorMemoryAllocation;
  std::memset(*p, simpor_emu::kPoison, bytes);
  return cudaSuccess;
}
inline cudaError_t cudaFree(void* p) {
  simpor_emu::drain_copies();  // a deferred copy may still use it
  std::free(p);
  return cudaSuccess;
}
// Stream-ordered allocation: the emulated pool is plain malloc/free.
struct CUmemPoolHandle_st {};
using cudaMemPool_t = CUmemPoolHandle_st*;
enum cudaMemAllocationType { cudaMemAllocationTypePinned = 1 };
enum cudaMemLocationType { cudaMemLocationTypeDevice = 1 };
struct cudaMemLocation {
  cudaMemLocationType type;
  int id;
};
struct cudaMemPoolProps {
  cudaMemAllocationType allocType;
  cudaMemLocation location;
};
enum cudaMemPoolAttr {
  cudaMemPoolAttrReleaseThreshold = 4,
  cudaMemPoolAttrReservedMemCurrent = 5,
  cudaMemPoolAttrUsedMemCurrent = 7,
};
inline cudaError_t cudaMemPoolCreate(cudaMemPool_t* pool, const cudaMemPoolProps*) {
  static CUmemPoolHandle_st the_pool;
  *pool = &the_pool;
  return cudaSuccess;
}
inline cudaError_t cudaMemPoolSetAttribute(cudaMemPool_t, cudaMemPoolAttr, void*) { return cudaSuccess; }
inline cudaError_t cudaMemPoolGetAttribute(cudaMemPool_t, cudaMemPoolAttr, void* value) {
  *static_cast<std::uint64_t*>(value) = 0;
  return cudaSuccess;
}
inline cudaError_t cudaMallocFromPoolAsync(void** p, std::size_t bytes, cudaMemPool_t, cudaStream_t) {
  return cudaMalloc(p, bytes);
}
inline cudaError_t cudaFreeAsync(void* p, cudaStream_t) { return cudaFree(p); }
inline cudaError_t cudaMallocHost(void** p, std::size_t bytes) {
  const cudaError_t e = cudaMalloc(p, bytes);
  if (e == cudaSuccess) simpor_emu::copy_queue().pinned[static_cast<unsigned char*>(*p)] = bytes;
  return e;
}
inline cudaError_t cudaFreeHost(void* p) {
  simpor_emu::drain_copies();
  simpor_emu::copy_queue().pinned.erase(static_cast<unsigned char*>(p));
  return cudaFree(p);
}
inline cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind, cudaStream_t) {
  auto& q = simpor_emu::copy_queue();
  if (simpor_emu::is_pinned(dst) || simpor_emu::is_pinned(src)) {
    q.pending.push_back({dst, src, bytes});
    ++q.issued;
    return cudaSuccess;
  }
  simpor_emu::drain_copies();
  std::memcpy(dst, src, bytes);
  return cudaSuccess;
}
inline cudaError_t cudaMemsetAsync(void* dst, int value, std::size_t bytes, cudaStream_t) {
  simpor_emu::drain_copies();
  std::memset(dst, value, bytes);
  return cudaSuccess;
}
inline cudaError_t cudaMemGetInfo(std::size_t* free_b, std::size_t* total_b) {
  *free_b = simpor_emu::free_bytes();
  *total_b = std::size_t(16) << 30;
  return cudaSuccess;
}
inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned) {
  static CUstream_st stream;
  *s = &stream;
  return cudaSuccess;
}
inline cudaError_t cudaStreamSynchronize(cudaStream_t) {
  simpor_emu::drain_copies();
  return cudaSuccess;
}
inline cudaError_t cudaStreamDestroy(cudaStream_t) { return cudaSuccess; }
inline cudaError_t cudaEventCreateWithFlags(cudaEvent_t* e, unsigned) {
  *e = new CUevent_st;
  return cudaSuccess;
}
inline cudaError_t cudaEventCreate(cudaEvent_t* e) { return cudaEventCreateWithFlags(e, 0); }
inline cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t stop) {
  *ms = float((stop->seconds - start->seconds) * 1e3);
  return cudaSuccess;
}
inline cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t) {
  e->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  e->copies = simpor_emu::copy_queue().issued;
  return cudaSuccess;
}
inline cudaError_t cudaEventSynchronize(cudaEvent_t e) {
  simpor_emu::run_copies(e->copies);
  return cudaSuccess;
}
inline cudaError_t cudaEventDestroy(cudaEvent_t e) {
  delete e;
  return cudaSuccess;
}
inline cudaError_t cudaGetDeviceCount(int* n) {
  *n = 1;
  return cudaSuccess;
}
inline cudaError_t cudaGetDevice(int* d) {
  *d = 0;
  return cudaSuccess;
}
inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int) {
  std::snprintf(p->name, sizeof(p->name), "CPU emulator (%d SMs)", simpor_emu::sm_count());
  return cudaSuccess;
}
inline cudaError_t cudaDeviceGetAttribute(int* v, cudaDeviceAttr a, int) {
  *v = a == cudaDevAttrMultiProcessorCount     ? simpor_emu::sm_count()
       : a == cudaDevAttrComputeCapabilityMajor ? 9
       : a == cudaDevAttrMemoryPoolsSupported   ? 1
                                                : 0;
  return cudaSuccess;
}
inline cudaError_t cudaRuntimeGetVersion(int* v) {
  *v = 0;
  return cudaSuccess;
}
template <class F>
cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int* blocks, F, int, std::size_t) {
  *blocks = 2;
  return cudaSuccess;
}
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };
template <class... P>
cudaError_t cudaFuncSetAttribute(void (*kernel)(P...), cudaFuncAttribute attr, int value) {
  if (attr != cudaFuncAttributeMaxDynamicSharedMemorySize || value < 0 ||
      std::size_t(value) > simpor_emu::kOptInShared)
    return cudaErrorInvalidValue;
  std::lock_guard<std::mutex> lock(simpor_emu::shared_limits_mutex());
  simpor_emu::shared_limits()[reinterpret_cast<const void*>(kernel)] = std::size_t(value);
  return cudaSuccess;
}
template <class F>
cudaError_t cudaFuncGetAttributes(cudaFuncAttributes* a, F) {
  a->maxThreadsPerBlock = 1024;
  return cudaSuccess;
}
