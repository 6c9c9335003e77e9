// Error handling and device memory for the CUDA backend (host C++, no kernels).
//
// Every runtime call goes through `check`, which turns a failure into an
// exception naming the call; allocations go through DeviceBuffer, whose
// failure names the array and its size. The bindings map OutOfDeviceMemory to
// Python's MemoryError and CudaError to RuntimeError.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cuda/kde_cuda.hpp"  // CudaError, OutOfDeviceMemory
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

// Events without timing, destroyed with the object.
class Events {
 public:
  explicit Events(int n) : e_(n, nullptr) {
    for (auto& e : e_) {
      const cudaError_t err = cudaEventCreateWithFlags(&e, cudaEventDisableTiming);
      if (err != cudaSuccess) destroy();  // the destructor will not run
      check(err, "cudaEventCreate");
    }
  }
  Events(const Events&) = delete;
  Events& operator=(const Events&) = delete;
  ~Events() { destroy(); }
  cudaEvent_t operator[](int i) const { return e_[i]; }

 private:
  void destroy() {
    for (auto& e : e_)
      if (e) cudaEventDestroy(std::exchange(e, nullptr));
  }
  std::vector<cudaEvent_t> e_;
};

// A stream owned by one API call, so concurrent calls from Python threads
// never wait on each other's work. Destroyed after the buffers that use it.
class Stream {
 public:
  Stream() { check(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking), "cudaStreamCreate"); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() {
    if (s_) {
      cudaStreamSynchronize(s_);
      cudaStreamDestroy(s_);
    }
  }
  cudaStream_t get() const { return s_; }
  void sync(const char* what) const { check(cudaStreamSynchronize(s_), what); }

 private:
  cudaStream_t s_ = nullptr;
};

}  // namespace simpor::cuda
