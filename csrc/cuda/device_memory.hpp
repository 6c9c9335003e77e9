// Device memory (host C++): this library's stream-ordered pool and
// DeviceBuffer, whose allocation failure names the array and its size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "cuda/check.hpp"

namespace simpor::cuda {

// This library's memory pool on the current device, or null where the device
// has no stream-ordered allocator. Freed blocks stay cached (up to
// kPoolRetainBytes), so repeated calls do not pay cudaMalloc/cudaFree, and the
// pool is ours alone: other libraries' pools are left as they are.
constexpr std::uint64_t kPoolRetainBytes = std::uint64_t(1) << 30;

inline cudaMemPool_t memory_pool() {
  static std::mutex mutex;
  static std::map<int, cudaMemPool_t> pools;
  int device = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  std::lock_guard<std::mutex> lock(mutex);
  const auto found = pools.find(device);
  if (found != pools.end()) return found->second;
  int supported = 0;
  check(cudaDeviceGetAttribute(&supported, cudaDevAttrMemoryPoolsSupported, device), "cudaDeviceGetAttribute");
  cudaMemPool_t pool = nullptr;
  if (supported) {
    cudaMemPoolProps props = {};
    props.allocType = cudaMemAllocationTypePinned;
    props.location.type = cudaMemLocationTypeDevice;
    props.location.id = device;
    check(cudaMemPoolCreate(&pool, &props), "cudaMemPoolCreate");
    std::uint64_t retain = kPoolRetainBytes;
    check(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &retain), "cudaMemPoolSetAttribute");
  }
  pools[device] = pool;
  return pool;
}

// Bytes held by the pool but not in use (free for our next allocations).
inline std::size_t pool_cached_bytes() {
  const cudaMemPool_t pool = memory_pool();
  if (!pool) return 0;
  std::uint64_t reserved = 0, used = 0;
  check(cudaMemPoolGetAttribute(pool, cudaMemPoolAttrReservedMemCurrent, &reserved), "cudaMemPoolGetAttribute");
  check(cudaMemPoolGetAttribute(pool, cudaMemPoolAttrUsedMemCurrent, &used), "cudaMemPoolGetAttribute");
  return reserved > used ? std::size_t(reserved - used) : 0;
}

// Owning pointer to `count` elements of device memory, allocated and freed in
// the order of `stream` (from memory_pool() where the device has one).
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(std::size_t count, const char* name, cudaStream_t stream) : count_(count), stream_(stream) {
    if (count == 0) return;
    const cudaMemPool_t pool = memory_pool();
    void* p = nullptr;
    const cudaError_t e = pool ? cudaMallocFromPoolAsync(&p, count * sizeof(T), pool, stream)
                               : cudaMalloc(&p, count * sizeof(T));
    if (e == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      std::size_t free_b = 0, total_b = 0;
      cudaMemGetInfo(&free_b, &total_b);
      throw OutOfDeviceMemory("CUDA out of memory: cannot allocate " + mib(count * sizeof(T)) + " for " + name +
                              " (" + std::to_string(count) + " x " + std::to_string(sizeof(T)) + " bytes; " +
                              mib(free_b) + " free of " + mib(total_b) + ")");
    }
    check(e, name);
    ptr_ = static_cast<T*>(p);
    pooled_ = pool != nullptr;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept { swap(o); }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    DeviceBuffer tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  ~DeviceBuffer() { release(); }

  // Frees now (in stream order) rather than at the end of the scope.
  void release() {
    if (!ptr_) return;
    if (pooled_) cudaFreeAsync(ptr_, stream_);
    else cudaFree(ptr_);
    ptr_ = nullptr;
    count_ = 0;
  }

  T* get() const { return ptr_; }
  std::size_t size() const { return count_; }

  // Copies from and to pageable memory (NumPy arrays), in stream order; the
  // driver stages them itself, and a download returns when it is done.
  void upload(const T* host, std::size_t count, std::size_t offset = 0) {
    if (count) check(cudaMemcpyAsync(ptr_ + offset, host, count * sizeof(T), cudaMemcpyHostToDevice, stream_), "upload");
  }
  void download(T* host, std::size_t count, std::size_t offset = 0) const {
    if (count) check(cudaMemcpyAsync(host, ptr_ + offset, count * sizeof(T), cudaMemcpyDeviceToHost, stream_), "download");
  }

 private:
  void swap(DeviceBuffer& o) noexcept {
    std::swap(ptr_, o.ptr_);
    std::swap(count_, o.count_);
    std::swap(stream_, o.stream_);
    std::swap(pooled_, o.pooled_);
  }
  T* ptr_ = nullptr;
  std::size_t count_ = 0;
  cudaStream_t stream_ = nullptr;
  bool pooled_ = false;
};

}  // namespace simpor::cuda
