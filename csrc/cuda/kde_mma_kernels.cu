// Tensor-core kernel for log f and grad log f (float32, opt-in): the thread
// path's streaming log-sum-exp, with both products of every block of 16
// candidates x 8 points -- the scores X P^T and the weighted sums W P -- done
// by mma.sync on TF32 operands. Each float is split into TF32 high and low
// parts and a product is hi*hi + hi*lo + lo*hi ("3xTF32"): the dropped lo*lo
// term is ~2^-22 of the product, so the result keeps float32 accuracy where
// one TF32 product (10-bit mantissa) would not. Design notes: csrc/cuda/README.md.
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "cuda/cuda_check.hpp"
#include "cuda/kde_device.cuh"
#include "cuda/kernels.hpp"
#include "cuda/runtime.hpp"

namespace simpor::cuda {
namespace {

using u32 = std::uint32_t;

__device__ __forceinline__ float as_float(u32 bits) {
#ifdef __CUDA_ARCH__
  return __uint_as_float(bits);
#else
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
#endif
}

// v rounded to TF32 (10 mantissa bits), to nearest with ties away from zero.
__device__ __forceinline__ u32 to_tf32(float v) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  u32 r;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(v));
  return r;
#else
#ifdef __CUDA_ARCH__
  const u32 bits = __float_as_uint(v);
#else
  u32 bits;
  std::memcpy(&bits, &v, sizeof bits);
#endif
  if ((bits & 0x7f800000u) == 0x7f800000u) return bits;  // inf and NaN stay
  return (bits + 0x1000u) & 0xffffe000u;
#endif
}

// v = hi + lo to ~2^-22 |v|, both TF32.
__device__ __forceinline__ void split(float v, u32& hi, u32& lo) {
  hi = to_tf32(v);
  lo = to_tf32(v - as_float(hi));
}

// d += a b for one 16x8x8 tile (PTX fragment layouts; g = lane / 4, t = lane % 4):
// a = A[g][t], A[g+8][t], A[g][t+4], A[g+8][t+4]; b = B[t][g], B[t+4][g];
// d = D[g][2t], D[g][2t+1], D[g+8][2t], D[g+8][2t+1].
__device__ __forceinline__ void mma(float (&d)[4], const u32 (&a)[4], const u32 (&b)[2]) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#elif defined(SIMPOR_CUDA_EMULATION)
  simpor_emu::mma_tf32(d, a, b, d);
#elif defined(__CUDA_ARCH__)
  __trap();  // before sm_80: never launched (the host requires compute capability 8.0)
#endif
}

// d += (ah + al)(bh + bl), the small products first.
__device__ __forceinline__ void mma3(float (&d)[4], const u32 (&ah)[4], const u32 (&al)[4], const u32 (&bh)[2],
                                     const u32 (&bl)[2]) {
  mma(d, al, bh);
  mma(d, ah, bl);
  mma(d, ah, bh);
}

// Row stride of a staged tile: with 4 floats of padding, the fragment loads
// below touch 32 distinct banks at widths 8, 16 and 32.
template <int W>
constexpr int kStride = W + 4;

template <int W>
constexpr std::size_t tile_bytes() {
  return 2 * std::size_t(kChunk) * kStride<W> * sizeof(u32);
}

// One chunk of packed rows from global memory into the hi and lo tiles.
template <int W>
__device__ __forceinline__ void stage_split(u32* hi, u32* lo, const float* src) {
  constexpr int kVecs = kChunk * W / 4;
  for (int v = threadIdx.x; v < kVecs; v += kMmaWarps * 32) {
    const float4 q = reinterpret_cast<const float4*>(src)[v];
    const int at = v / (W / 4) * kStride<W> + v % (W / 4) * 4;
    const float vals[4] = {q.x, q.y, q.z, q.w};
#pragma unroll
    for (int e = 0; e < 4; ++e) split(vals[e], hi[at + e], lo[at + e]);
  }
}

template <int W>
using Frags = u32[W / 8][4];

// s += X P^T for the 8 points from p0: B[k][n] = P[p0 + n][8 ks + k].
template <int W>
__device__ __forceinline__ void scores(float (&s)[4], const Frags<W>& xh, const Frags<W>& xl, const u32* hi,
                                       const u32* lo, int p0, int g, int t) {
  const int at = (p0 + g) * kStride<W> + t;
#pragma unroll
  for (int ks = 0; ks < W / 8; ++ks) {
    const u32 bh[2] = {hi[at + 8 * ks], hi[at + 8 * ks + 4]};
    const u32 bl[2] = {lo[at + 8 * ks], lo[at + 8 * ks + 4]};
    mma3(s, xh[ks], xl[ks], bh, bl);
  }
}

// o += 2^s P over the 8 points from p0. The points are taken in the order
// k = t -> point 2t, k = t + 4 -> point 2t + 1, so the weights a lane computes
// (its score fragment) are exactly its A operand: no shuffles.
template <int W>
__device__ __forceinline__ void accumulate(float (&o)[W / 8][4], const float (&s)[4], const u32* hi, const u32* lo,
                                           int p0, int g, int t) {
  u32 wh[4], wl[4];
  split(exp2_fast(s[0]), wh[0], wl[0]);  // row g, point 2t
  split(exp2_fast(s[2]), wh[1], wl[1]);  // row g + 8, point 2t
  split(exp2_fast(s[1]), wh[2], wl[2]);  // row g, point 2t + 1
  split(exp2_fast(s[3]), wh[3], wl[3]);  // row g + 8, point 2t + 1
  const int at = (p0 + 2 * t) * kStride<W> + g;
#pragma unroll
  for (int n = 0; n < W / 8; ++n) {
    const u32 bh[2] = {hi[at + 8 * n], hi[at + kStride<W> + 8 * n]};
    const u32 bl[2] = {lo[at + 8 * n], lo[at + kStride<W> + 8 * n]};
    mma3(o[n], wh, wl, bh, bl);
  }
}

// Lazy rescaling, called by the whole warp when some score exceeds its row's
// reference by more than kSlack: each row's reference moves to the row's best
// score among these 8 points (a quad shuffle), the sums are scaled to match,
// and s becomes relative to the new reference. Scores are recomputed without
// the old reference, which is -inf for the first points.
template <int W>
__device__ __forceinline__ void rebase(float (&s)[4], float (&neg_ref)[2], float (&o)[W / 8][4], double (&o64)[W / 8][4],
                       const Frags<W>& xh, const Frags<W>& xl, const u32* hi, const u32* lo, int p0, int g, int t) {
  float score[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  scores<W>(score, xh, xl, hi, lo, p0, g, t);
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    float best = fmaxf(score[2 * r], score[2 * r + 1]);
    best = fmaxf(best, __shfl_xor_sync(0xffffffffu, best, 1));
    best = fmaxf(best, __shfl_xor_sync(0xffffffffu, best, 2));
    if (best + neg_ref[r] > kSlack) {
      const float f = exp2_fast(-(neg_ref[r] + best));
#pragma unroll
      for (int n = 0; n < W / 8; ++n)
#pragma unroll
        for (int e = 0; e < 2; ++e) o[n][2 * r + e] *= f, o64[n][2 * r + e] *= double(f);
      neg_ref[r] = -best;
    }
    s[2 * r] = score[2 * r] + neg_ref[r];
    s[2 * r + 1] = score[2 * r + 1] + neg_ref[r];
  }
}

// One warp per 16 candidates, kMmaWarps warps per block sharing the staged
// chunk. Lane (g, t) keeps rows g and g + 8: their references, and the
// weighted sums of columns 8 n + 2t, 8 n + 2t + 1 (the ones column among them
// gives the sum of the weights).
template <int W>
__global__ void __launch_bounds__(kMmaWarps * 32) partials_mma(const EvalArgs<float> a) {
  SIMPOR_DYNAMIC_SHARED(smem);
  u32* hi = reinterpret_cast<u32*>(smem);  // kChunk x kStride, TF32 high parts
  u32* lo = hi + kChunk * kStride<W>;       // and low parts
  const int count = candidate_count(a);
  const int base = blockIdx.x * (kMmaWarps * 16);
  if (base >= count) return;  // whole block idle: uniform exit before any barrier
  const Segment<float> seg = segment_of(a, blockIdx.y);
  const int lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
  const int first = base + int(threadIdx.x / 32) * 16;  // the warp's first candidate

  u32 xh[W / 8][4], xl[W / 8][4];  // X as the A operand: X[g][8 ks + t], X[g + 8][..], X[g][.. + 4], X[g + 8][.. + 4]
#pragma unroll
  for (int ks = 0; ks < W / 8; ++ks)
#pragma unroll
    for (int q = 0; q < 4; ++q) {
      const int i = first + g + (q % 2) * 8, k = 8 * ks + t + (q / 2) * 4;
      split(i < count ? candidate_value(a, i, k, W) : 0.0f, xh[ks][q], xl[ks][q]);
    }
  float o[W / 8][4], neg_ref[2] = {INFINITY, INFINITY};
  double o64[W / 8][4];
#pragma unroll
  for (int n = 0; n < W / 8; ++n)
#pragma unroll
    for (int q = 0; q < 4; ++q) o[n][q] = 0.0f, o64[n][q] = 0.0;

  for (int chunk = seg.first; chunk < seg.last; ++chunk) {
    __syncthreads();  // the previous tile is consumed
    stage_split<W>(hi, lo, seg.data + static_cast<long long>(chunk) * kChunk * W);
    __syncthreads();
#pragma unroll 2
    for (int p0 = 0; p0 < kChunk; p0 += 8) {
      float s[4] = {neg_ref[0], neg_ref[0], neg_ref[1], neg_ref[1]};  // scores relative to the references
      scores<W>(s, xh, xl, hi, lo, p0, g, t);
      const bool up = fmaxf(fmaxf(s[0], s[1]), fmaxf(s[2], s[3])) > kSlack;
      if (__any_sync(0xffffffffu, up)) rebase<W>(s, neg_ref, o, o64, xh, xl, hi, lo, p0, g, t);
      accumulate<W>(o, s, hi, lo, p0, g, t);
    }
    if (!seg.flush_after(chunk)) continue;
#pragma unroll
    for (int n = 0; n < W / 8; ++n)
#pragma unroll
      for (int q = 0; q < 4; ++q) o64[n][q] += double(o[n][q]), o[n][q] = 0.0f;
  }

#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int i = first + g + 8 * r;
    if (i >= count) continue;
    double* out = partial_row(a, blockIdx.y, i);
    if (t == 0) out[0] = -double(neg_ref[r]);
#pragma unroll
    for (int n = 0; n < W / 8; ++n)
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const int col = 8 * n + 2 * t + e;
        if (col < a.d) out[2 + col] = o64[n][2 * r + e];
        if (col == W - 2) out[1] = o64[n][2 * r + e];  // the ones column: the sum of the weights
      }
  }
}

// Calls f(kernel, shared_bytes) with the kernel for `l.width`.
template <class F>
void with_mma_kernel(const Layout& l, F&& f) {
  switch (l.width) {
    case 8: return f(partials_mma<8>, tile_bytes<8>());
    case 16: return f(partials_mma<16>, tile_bytes<16>());
    case 32: return f(partials_mma<32>, tile_bytes<32>());
  }
  throw std::logic_error("simpor_ext: no tensor-core kernel for packed width " + std::to_string(l.width));
}

}  // namespace

void launch_partials_mma(const EvalArgs<float>& a, const Layout& l, dim3 grid, cudaStream_t stream) {
  if (!l.mma || !l.ones || l.block != kMmaWarps * 32) throw std::logic_error("simpor_ext: not a tensor-core layout");
  with_mma_kernel(l, [&](auto kernel, std::size_t smem) {
    SIMPOR_LAUNCH(kernel, grid, kMmaWarps * 32, smem, stream, a);
  });
  check_launch("the tensor-core partials kernel");
}

int resident_blocks_mma(const Layout& l) {
  int blocks = 0;
  with_mma_kernel(l, [&](auto kernel, std::size_t smem) {
    check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, kernel, kMmaWarps * 32, smem), "occupancy query");
  });
  return blocks > 0 ? blocks : 1;
}

}  // namespace simpor::cuda
