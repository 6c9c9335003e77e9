// CPU emulation of device memory and of the order of copies (see
// blocks.hpp). Device memory and each block's shared memory start filled with
// 0xFF bytes (NaN as floating point), so reading what nothing wrote shows up
// in the results.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>

namespace simpor_emu {

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

}  // namespace simpor_emu
