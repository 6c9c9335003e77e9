// Device helpers of the streaming kernels (kde_kernels.cu): weights, segments
// of the data, staging, candidates and their partial-sum rows. Included by .cu
// files only.
#pragma once

#include <cmath>
#include <cstdint>

#include "cuda/kernels.hpp"
#include "cuda/runtime.hpp"

namespace simpor::cuda {

// Packed scores are in log2 units, so weights are powers of two: ex2.approx is
// one MUFU instruction with ~2 ulp error in float; double uses the libdevice exp2.
__device__ __forceinline__ float exp2_fast(float v) {
#ifdef __CUDA_ARCH__
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(v));
  return y;
#else
  return exp2f(v);  // the CPU emulation
#endif
}
__device__ __forceinline__ double exp2_fast(double v) { return exp2(v); }

// A candidate's reference score moves only when a score exceeds it by more than
// kSlack (log2 units), so weights stay <= 2^8 and the rescaling of the running
// sums -- a branch -- is rare (flash-attention's lazy rescaling).
constexpr float kSlack = 8.0f;

// The float running sums of the thread path span this many
// chunks (256 points, each weight <= 2^kSlack) before they are added to the
// float64 sums.
constexpr int kFlushChunks = 4;

// Chunks [first, last) of one class, handled by the blocks with this blockIdx.y.
template <class T>
struct Segment {
  const T* data;
  const int* codes;  // the class's packed codes (mixed data)
  int first, last;

  // Whether the float sums are added to the float64 ones after `chunk`.
  __device__ __forceinline__ bool flush_after(int chunk) const {
    return (chunk - first + 1) % kFlushChunks == 0 || chunk + 1 == last;
  }
};

template <class T>
__device__ __forceinline__ Segment<T> segment_of(const EvalArgs<T>& a, int g) {
  const bool numer = g < a.seg_numer;
  const long long s = numer ? g : g - a.seg_numer;
  const long long segs = numer ? a.seg_numer : a.seg_denom;
  const long long chunks = numer ? a.chunks_numer : a.chunks_denom;
  const long long code_rows = numer ? 0 : static_cast<long long>(a.chunks_numer) * kChunk;
  return {numer ? a.numer : a.denom, a.class_codes + code_rows * a.n_codes, int(s * chunks / segs),
          int((s + 1) * chunks / segs)};
}

template <class T>
__device__ __forceinline__ int candidate_count(const EvalArgs<T>& a) {
  return a.count ? min(*a.count, a.m) : a.m;
}

// Copies `bytes` (a multiple of 16) from global to shared memory, 16 bytes per thread and step.
template <int BYTES, int THREADS>
__device__ __forceinline__ void stage(void* dst, const void* src) {
  static_assert(BYTES % 16 == 0, "tiles are whole 16-byte vectors");
  const uint4* s = static_cast<const uint4*>(src);
  uint4* d = static_cast<uint4*>(dst);
#pragma unroll 4
  for (int v = threadIdx.x; v < BYTES / 16; v += THREADS) d[v] = s[v];
}

// Copies `bytes` (a runtime multiple of 16) from global to shared memory.
template <int THREADS>
__device__ __forceinline__ void stage_bytes(void* dst, const void* src, int bytes) {
  const uint4* s = static_cast<const uint4*>(src);
  uint4* d = static_cast<uint4*>(dst);
  for (int v = threadIdx.x; v < bytes / 16; v += THREADS) d[v] = s[v];
}

// Code c of candidate i (c < n_codes): its own, 0 in the padding columns.
template <class T>
__device__ __forceinline__ int candidate_code(const EvalArgs<T>& a, int i, int c) {
  if (c >= a.n_cat) return 0;
  const long long row = a.code_row ? a.code_row[i] : i;
  return a.codes[row * a.n_cat + c];
}

// Centred candidate padded to a packed row of width w: x - centre, zeros, and
// -1 against the bias column (score = x.c - bias). Invalid candidates are all zeros.
template <class T>
__device__ __forceinline__ T candidate_value(const EvalArgs<T>& a, long long i, int k, int w) {
  if (k < a.d) return T(double(a.points[i * a.d + k]) - double(a.centre[k]));
  return k == w - 1 ? T(-1) : T(0);
}

template <class T>
__device__ __forceinline__ double* partial_row(const EvalArgs<T>& a, int g, int i) {
  return a.partials + (static_cast<long long>(g) * a.m + i) * (a.d + 2);
}

}  // namespace simpor::cuda
