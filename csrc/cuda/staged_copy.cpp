// Pinned staging for copies between pageable host memory and the device.
#include "cuda/staged_copy.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "cuda/cuda_check.hpp"
#include "cuda/kde_cuda.hpp"

namespace simpor::cuda {
namespace {

constexpr std::size_t kDefaultSlotBytes = std::size_t(8) << 20;
constexpr int kCopyThreads = 8;                               // enough to outpace the bus
constexpr std::size_t kBytesPerThread = std::size_t(256) << 10;  // below this a thread costs more than it copies

std::atomic<std::size_t> g_slot_bytes{kDefaultSlotBytes};

// memcpy split over a few OpenMP threads when it is large enough to gain.
void host_copy(void* dst, const void* src, std::size_t bytes) {
#ifdef _OPENMP
  const int threads = int(std::min<std::size_t>(
      {std::size_t(kCopyThreads), std::size_t(omp_get_max_threads()), bytes / kBytesPerThread}));
  if (threads > 1) {
#pragma omp parallel num_threads(threads)
    {
      const std::size_t n = std::size_t(omp_get_num_threads()), part = (bytes + n - 1) / n;
      const std::size_t begin = std::min(bytes, part * std::size_t(omp_get_thread_num()));
      const std::size_t end = std::min(bytes, begin + part);
      std::memcpy(static_cast<char*>(dst) + begin, static_cast<const char*>(src) + begin, end - begin);
    }
    return;
  }
#endif
  std::memcpy(dst, src, bytes);
}

// Two pinned slots, allocated on first use and kept for the process.
struct Slots {
  std::mutex mutex;
  unsigned char* base = nullptr;  // null when pinned memory of this size could not be had
  std::size_t bytes = 0;          // per slot
};

Slots& slots() {
  static Slots s;
  return s;
}

// Exclusive use of the slots for one copy, with an event per slot that marks
// when the copy engine is done with it. Waits for both before letting go.
class Lease {
 public:
  explicit Lease(std::size_t slot_bytes) : lock_(slots().mutex) {
    Slots& s = slots();
    if (s.bytes != slot_bytes) resize(s, slot_bytes);
    base_ = s.base;
    bytes_ = s.bytes;
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() {
    for (int i = 0; i < 2; ++i) cudaEventSynchronize(done_[i]);  // no-op after success; else drain before reuse
  }

  bool staged() const { return base_ != nullptr; }
  std::size_t slot_bytes() const { return bytes_; }
  unsigned char* slot(std::size_t i) const { return base_ + (i % 2) * bytes_; }
  cudaEvent_t done(std::size_t i) const { return done_[int(i % 2)]; }

 private:
  // A failed pinned allocation is not an error: copies then go direct.
  static void resize(Slots& s, std::size_t slot_bytes) {
    if (s.base) cudaFreeHost(s.base);
    s.base = nullptr;
    s.bytes = slot_bytes;
    void* p = nullptr;
    if (cudaHostAlloc(&p, 2 * slot_bytes, cudaHostAllocPortable) == cudaSuccess) s.base = static_cast<unsigned char*>(p);
    else cudaGetLastError();
  }

  std::lock_guard<std::mutex> lock_;
  Events done_{2};
  unsigned char* base_ = nullptr;
  std::size_t bytes_ = 0;
};

// Copies under 1/32 of a slot (256 KiB by default) go direct: they are over
// before pipelining could overlap anything. So do all when staging is off.
bool go_direct(std::size_t bytes, std::size_t slot_bytes) { return slot_bytes == 0 || bytes < slot_bytes / 32 + 1; }

// Slice i goes through slot i % 2; the host fills slice i while the copy
// engine moves slice i - 1.
void upload_slices(const Lease& lease, unsigned char* dst, const unsigned char* src, std::size_t bytes,
                   cudaStream_t stream) {
  const std::size_t slot_bytes = lease.slot_bytes();
  std::size_t i = 0;
  for (std::size_t first = 0; first < bytes; first += slot_bytes, ++i) {
    const std::size_t len = std::min(slot_bytes, bytes - first);
    if (i >= 2) check(cudaEventSynchronize(lease.done(i)), "upload");  // slice i - 2 has left the slot
    host_copy(lease.slot(i), src + first, len);
    check(cudaMemcpyAsync(dst + first, lease.slot(i), len, cudaMemcpyHostToDevice, stream), "upload");
    check(cudaEventRecord(lease.done(i), stream), "upload");
  }
  check(cudaEventSynchronize(lease.done(i - 1)), "upload");
}

// Slice i lands in slot i % 2 while the host empties slice i - 1.
void download_slices(const Lease& lease, unsigned char* dst, const unsigned char* src, std::size_t bytes,
                     cudaStream_t stream) {
  const std::size_t slot_bytes = lease.slot_bytes();
  const auto drain = [&](std::size_t i) {
    const std::size_t first = i * slot_bytes;
    check(cudaEventSynchronize(lease.done(i)), "download");
    host_copy(dst + first, lease.slot(i), std::min(slot_bytes, bytes - first));
  };
  std::size_t i = 0;
  for (std::size_t first = 0; first < bytes; first += slot_bytes, ++i) {
    const std::size_t len = std::min(slot_bytes, bytes - first);
    check(cudaMemcpyAsync(lease.slot(i), src + first, len, cudaMemcpyDeviceToHost, stream), "download");
    check(cudaEventRecord(lease.done(i), stream), "download");
    if (i >= 1) drain(i - 1);
  }
  drain(i - 1);
}

// Through the slots when the copy is large enough and they can be had, else direct.
template <class Slices>
void copy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind, cudaStream_t stream, Slices slices) {
  if (bytes == 0) return;
  const std::size_t slot_bytes = g_slot_bytes.load();
  if (!go_direct(bytes, slot_bytes)) {
    Lease lease(slot_bytes);
    if (lease.staged())
      return slices(lease, static_cast<unsigned char*>(dst), static_cast<const unsigned char*>(src), bytes, stream);
  }
  check(cudaMemcpyAsync(dst, src, bytes, kind, stream), kind == cudaMemcpyHostToDevice ? "upload" : "download");
}

}  // namespace

void copy_to_device(void* device, const void* host, std::size_t bytes, cudaStream_t stream) {
  copy(device, host, bytes, cudaMemcpyHostToDevice, stream, upload_slices);
}

void copy_to_host(void* host, const void* device, std::size_t bytes, cudaStream_t stream) {
  copy(host, device, bytes, cudaMemcpyDeviceToHost, stream, download_slices);
}

std::size_t set_staging_bytes(std::size_t slot_bytes) { return g_slot_bytes.exchange(slot_bytes); }

}  // namespace simpor::cuda
