// Streams and events owned by one API call (host C++).
#pragma once

#include <utility>
#include <vector>

#include "cuda/check.hpp"

namespace simpor::cuda {

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
