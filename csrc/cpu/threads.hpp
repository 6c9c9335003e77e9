// OpenMP helpers: thread-count resolution and a dynamic parallel loop whose
// exceptions are caught on the workers and re-thrown on the calling thread.
#pragma once

#include <atomic>
#include <exception>
#include <mutex>

#include "simpor/kde_math.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace simpor::cpu {

inline int resolve_threads(int requested) {
#ifdef _OPENMP
  return requested > 0 ? requested : omp_get_max_threads();
#else
  (void)requested;
  return 1;
#endif
}

class ErrorSlot {
 public:
  void capture(std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_) error_ = e;
    failed_.store(true);
  }
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::mutex mutex_;
  std::exception_ptr error_;
  std::atomic<bool> failed_{false};
};

// Runs body(item, scratch) for item in [0, n) on `threads` threads, handing out
// items one at a time; each thread builds its scratch once with make_scratch().
// No barrier inside, so a thread that throws cannot deadlock the others.
template <class MakeScratch, class Body>
void parallel_dynamic(index_t n, int threads, MakeScratch make_scratch, Body body) {
  std::atomic<index_t> next{0};
  ErrorSlot errors;
#pragma omp parallel num_threads(threads)
  {
    try {
      auto scratch = make_scratch();
      for (index_t i = next.fetch_add(1); i < n && !errors.failed(); i = next.fetch_add(1)) body(i, scratch);
    } catch (...) {
      errors.capture(std::current_exception());
    }
  }
  errors.rethrow();
}

}  // namespace simpor::cpu
