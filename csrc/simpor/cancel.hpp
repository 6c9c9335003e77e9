// Cancelling a long native call from Python (host only). The Python layer
// runs each call on a helper thread and, on Ctrl-C, raises the flag until the
// call returns; the loops check it once per round of trials (or group of
// candidates), so a call ends within one pass over the data.
#pragma once

#include <atomic>
#include <stdexcept>

namespace simpor {

struct Cancelled : std::runtime_error {
  Cancelled() : std::runtime_error("the call was cancelled") {}
};

// One flag per extension module: a cancel stops every call in flight.
inline std::atomic<bool>& cancel_flag() {
  static std::atomic<bool> flag{false};
  return flag;
}

inline void throw_if_cancelled() {
  if (cancel_flag().load(std::memory_order_relaxed)) throw Cancelled();
}

}  // namespace simpor
