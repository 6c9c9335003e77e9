// CPU emulation of the CUDA device features the simpor_ext kernels use: the
// threads of a block, their barriers, warp shuffles and votes, and the syntax
// (see csrc/cuda/README.md, "Testing without a GPU"). Not a general CUDA
// emulator.
//
// Each thread block runs its threads as fibers (ucontext) on the calling
// thread; a fiber yields only at __syncthreads and warp shuffles and votes,
// which makes the emulation deterministic. It checks what it can: barriers
// reached by every live thread (none exited), full warps at shuffles and
// votes. Build with -fsanitize=address to catch out-of-bounds access.
#pragma once

#include <ucontext.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
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
struct alignas(16) int4 {
  int x, y, z, w;
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

