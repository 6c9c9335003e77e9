// CPU emulation of the CUDA features the simpor_ext kernels use, so that the
// kernels and the host code run -- and are tested -- on machines without a GPU
// (see ../README.md). Not a general CUDA emulator.
//
// Each thread block runs its threads as fibers (ucontext) on the calling
// thread; a fiber yields only at __syncthreads and warp shuffles and votes,
// which makes the emulation deterministic. It checks what it can:
// barriers reached by every live thread (none exited), full warps at shuffles
// and votes, the launch limits the real build relies on (48 KiB of dynamic
// shared memory, 1024 threads, grid.y <= 65535). Device memory and shared
// memory start filled with 0xFF bytes (NaN as floating point), so reading what
// nothing wrote shows up in the results. Build with -fsanitize=address to
// catch out-of-bounds access.
#pragma once

#include <math.h>
#include <ucontext.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIMPOR_EMU_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SIMPOR_EMU_ASAN 1
#endif
#ifdef SIMPOR_EMU_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

// ---- CUDA syntax ---------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) alignas(n)
#define SIMPOR_DYNAMIC_SHARED(name) unsigned char* name = ::simpor_emu::shared_memory()
#define SIMPOR_LAUNCH(kernel, grid, block, smem, stream, ...) \
  ::simpor_emu::launch(kernel, dim3(grid), dim3(block), smem, __VA_ARGS__)

struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
  dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct alignas(16) float4 {
  float x, y, z, w;
};
struct alignas(16) double2 {
  double x, y;
};
struct alignas(16) uint4 {
  unsigned x, y, z, w;
};

using std::max;
using std::min;

namespace simpor_emu {

[[noreturn]] inline void fail(const std::string& what) { throw std::runtime_error("CUDA emulator: " + what); }

struct Fiber {
  ucontext_t context;
  std::unique_ptr<char[]> stack;
  uint3 thread_idx{0, 0, 0};
  bool done = false;
};

constexpr std::size_t kStackBytes = 256 << 10;
constexpr unsigned kWarp = 32;

struct Block {
  uint3 block_idx{0, 0, 0};
  dim3 block_dim, grid_dim;
  std::vector<unsigned char> shared;
  std::vector<Fiber> fibers;
  ucontext_t scheduler;
  const std::function<void()>* body = nullptr;
  int current = -1;
  int live = 0;
  bool someone_exited = false;
  unsigned long long progress = 0;  // barriers completed + threads finished
  // block barrier
  int arrived = 0;
  unsigned generation = 0;
  // warp exchange: two slots per thread, alternating between shuffles, so one
  // barrier per shuffle suffices (no lane can write a slot before all have read it)
  std::vector<std::uint64_t> lanes;
  std::vector<int> warp_arrived;
  std::vector<unsigned> warp_generation;
  std::exception_ptr error;
#ifdef SIMPOR_EMU_ASAN
  const void* main_stack_bottom = nullptr;
  std::size_t main_stack_size = 0;
#endif
};

inline Block*& block_ptr() {
  static thread_local Block* b = nullptr;
  return b;
}
inline Block& block() {
  if (!block_ptr()) fail("device code called outside a kernel launch");
  return *block_ptr();
}
inline const uint3& thread_idx() { return block().fibers[block().current].thread_idx; }
inline unsigned char* shared_memory() { return block().shared.data(); }

inline void switch_to_scheduler() {
  Block& b = block();
  Fiber& f = b.fibers[b.current];
#ifdef SIMPOR_EMU_ASAN
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, b.main_stack_bottom, b.main_stack_size);
  swapcontext(&f.context, &b.scheduler);
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#else
  swapcontext(&f.context, &b.scheduler);
#endif
}

inline void yield() { switch_to_scheduler(); }

inline void fiber_entry() {
  Block& b = block();
#ifdef SIMPOR_EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &b.main_stack_bottom, &b.main_stack_size);
#endif
  try {
    (*b.body)();
  } catch (...) {
    if (!b.error) b.error = std::current_exception();
  }
  Fiber& f = b.fibers[b.current];
  f.done = true;
  --b.live;
  ++b.progress;
  b.someone_exited = true;
  if (b.arrived > 0 && !b.error)
    b.error = std::make_exception_ptr(std::runtime_error(
        "CUDA emulator: a thread exited while others wait at __syncthreads (non-uniform barrier)"));
#ifdef SIMPOR_EMU_ASAN
  __sanitizer_start_switch_fiber(nullptr, b.main_stack_bottom, b.main_stack_size);
#endif
  setcontext(&b.scheduler);
}

// Runs one block to completion.
inline void run_block(Block& b) {
  const unsigned n = b.block_dim.x * b.block_dim.y * b.block_dim.z;
  b.fibers.resize(n);
  b.lanes.assign(2 * n, 0);
  b.warp_arrived.assign((n + kWarp - 1) / kWarp, 0);
  b.warp_generation.assign((n + kWarp - 1) / kWarp, 0);
  b.live = int(n);
  b.someone_exited = false;
  b.arrived = 0;
  for (unsigned t = 0; t < n; ++t) {
    Fiber& f = b.fibers[t];
    if (!f.stack) f.stack.reset(new char[kStackBytes]);
    f.done = false;
    f.thread_idx = {t % b.block_dim.x, t / b.block_dim.x % b.block_dim.y, t / (b.block_dim.x * b.block_dim.y)};
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = f.stack.get();
    f.context.uc_stack.ss_size = kStackBytes;
    f.context.uc_link = nullptr;
    makecontext(&f.context, fiber_entry, 0);
  }
  for (;;) {
    const unsigned long long before = b.progress;
    bool any = false;
    for (unsigned t = 0; t < n && !b.error; ++t) {
      if (b.fibers[t].done) continue;
      any = true;
      b.current = int(t);
#ifdef SIMPOR_EMU_ASAN
      void* fake = nullptr;
      __sanitizer_start_switch_fiber(&fake, b.fibers[t].stack.get(), kStackBytes);
      swapcontext(&b.scheduler, &b.fibers[t].context);
      __sanitizer_finish_switch_fiber(fake, &b.main_stack_bottom, &b.main_stack_size);
#else
      swapcontext(&b.scheduler, &b.fibers[t].context);
#endif
    }
    if (b.error) std::rethrow_exception(b.error);  // fibers are abandoned; their stacks are reused
    if (!any) break;
    if (b.progress == before) fail("deadlock: every live thread waits at a barrier that cannot complete");
  }
}

inline void syncthreads() {
  Block& b = block();
  if (b.someone_exited) fail("__syncthreads after some threads of the block exited (non-uniform barrier)");
  const unsigned gen = b.generation;
  if (++b.arrived == b.live) {
    b.arrived = 0;
    ++b.generation;
    ++b.progress;
  }
  while (b.generation == gen) yield();
}

inline void warp_barrier() {
  Block& b = block();
  const unsigned t = unsigned(b.current), w = t / kWarp;
  const unsigned n = unsigned(b.fibers.size());
  const int lanes = int(std::min(kWarp, n - w * kWarp));
  for (unsigned l = w * kWarp; l < w * kWarp + unsigned(lanes); ++l)
    if (b.fibers[l].done) fail("warp shuffle with exited lanes");
  const unsigned gen = b.warp_generation[w];
  if (++b.warp_arrived[w] == lanes) {
    b.warp_arrived[w] = 0;
    ++b.warp_generation[w];
    ++b.progress;
  }
  while (b.warp_generation[w] == gen) yield();
}

// The calling thread, its warp's first thread and the parity of the exchange
// slots the warp writes now (shuffles, votes).
struct Lane {
  unsigned t, base, parity;
};
inline Lane lane() {
  const Block& b = block();
  const unsigned t = unsigned(b.current);
  return {t, t / kWarp * kWarp, b.warp_generation[t / kWarp] % 2};
}

template <class T>
T shuffle(unsigned mask, T v, unsigned src_lane) {
  static_assert(sizeof(T) <= 8, "shuffle of at most 8 bytes");
  if (mask != 0xffffffffu) fail("only full-warp shuffles are emulated");
  Block& b = block();
  const auto [t, base, parity] = lane();
  std::uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  b.lanes[2 * t + parity] = bits;
  warp_barrier();
  const unsigned src = base + (src_lane % kWarp);
  if (src >= b.fibers.size()) fail("shuffle from a lane past the block");
  T out;
  std::memcpy(&out, &b.lanes[2 * src + parity], sizeof(T));
  return out;
}

// __any_sync: every lane publishes its predicate in the shuffle slots.
inline bool vote_any(unsigned mask, bool pred) {
  if (mask != 0xffffffffu) fail("only full-warp votes are emulated");
  Block& b = block();
  const auto [t, base, parity] = lane();
  b.lanes[2 * t + parity] = pred;
  warp_barrier();
  const unsigned end = std::min<unsigned>(base + kWarp, unsigned(b.fibers.size()));
  for (unsigned l = base; l < end; ++l)
    if (b.lanes[2 * l + parity]) return true;
  return false;
}

// ---- memory ---------------------------------------------------------------------
constexpr unsigned char kPoison = 0xFF;

inline std::size_t& free_bytes() {
  static std::size_t free = std::size_t(8) << 30;
  return free;
}

// ---- stream order -------------------------------------------------------------------
// On a GPU a copy to or from pinned host memory runs whenever the copy engine
// gets to it, so the host must wait (on an event or the stream) before it
// touches that memory again. The emulator defers such copies, in stream
// order, until something waits for them or a later stream operation (a
// kernel, a memset, another copy) needs them done: host code that reuses a
// pinned buffer too early moves the wrong bytes here as it would on a GPU.
// Copies from or to pageable memory run at once, as they do on a GPU.
struct PendingCopy {
  void* dst;
  const void* src;
  std::size_t bytes;
};
struct CopyQueue {
  std::deque<PendingCopy> pending;
  std::uint64_t issued = 0, done = 0;            // deferred copies queued and run, ever
  std::map<const unsigned char*, std::size_t> pinned;  // pinned allocations: start, bytes
};
inline CopyQueue& copy_queue() {
  static CopyQueue q;
  return q;
}
inline bool is_pinned(const void* p) {
  const auto& pinned = copy_queue().pinned;
  const auto* b = static_cast<const unsigned char*>(p);
  auto it = pinned.upper_bound(b);
  return it != pinned.begin() && b < (--it)->first + it->second;
}
// Runs the deferred copies up to number `upto` (in issue order).
inline void run_copies(std::uint64_t upto) {
  CopyQueue& q = copy_queue();
  while (q.done < upto && !q.pending.empty()) {
    const PendingCopy c = q.pending.front();
    q.pending.pop_front();
    std::memcpy(c.dst, c.src, c.bytes);
    ++q.done;
  }
}
inline void drain_copies() { run_copies(copy_queue().issued); }

// ---- launch -----------------------------------------------------------------------
inline int& sm_count() {
  static int sms = [] {
    const char* env = std::getenv("SIMPOR_EMU_SMS");
    return env ? std::max(1, std::atoi(env)) : 3;
  }();
  return sms;
}

template <class... P, class... A>
void launch(void (*kernel)(P...), dim3 grid, dim3 block_dim, std::size_t smem, A&&... args) {
  drain_copies();  // stream order: earlier copies finish before a kernel starts
  const unsigned threads = block_dim.x * block_dim.y * block_dim.z;
  if (threads == 0 || threads > 1024) fail("block of " + std::to_string(threads) + " threads");
  if (smem > 48 * 1024) fail("dynamic shared memory of " + std::to_string(smem) + " bytes exceeds 48 KiB");
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

#define threadIdx (::simpor_emu::thread_idx())
#define blockIdx (::simpor_emu::block().block_idx)
#define blockDim (::simpor_emu::block().block_dim)
#define gridDim (::simpor_emu::block().grid_dim)

inline void __syncthreads() { simpor_emu::syncthreads(); }
template <class T>
T __shfl_xor_sync(unsigned mask, T v, int lane_mask) {
  return simpor_emu::shuffle(mask, v, (simpor_emu::thread_idx().x % 32) ^ unsigned(lane_mask));
}
template <class T>
T __shfl_sync(unsigned mask, T v, int src_lane) {
  return simpor_emu::shuffle(mask, v, unsigned(src_lane));
}
inline bool __any_sync(unsigned mask, bool pred) { return simpor_emu::vote_any(mask, pred); }
// Fibers switch only at barriers and shuffles, so a plain add is atomic here.
inline int atomicAdd(int* address, int v) {
  const int old = *address;
  *address = old + v;
  return old;
}

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
template <class F>
cudaError_t cudaFuncGetAttributes(cudaFuncAttributes* a, F) {
  a->maxThreadsPerBlock = 1024;
  return cudaSuccess;
}
