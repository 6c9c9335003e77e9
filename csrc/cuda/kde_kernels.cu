// Fused streaming kernels for log f and grad log f (paper eq. 9-12) on the GPU.
//
// For every candidate x and each class C the kernels keep an online
// log-sum-exp: a running reference score, the sum of 2^(score - ref) and the
// weighted sum of the (scaled) points, while the class streams past in
// shared-memory tiles. No candidate x data matrix is ever formed. Each thread
// block handles a group of candidates and one segment of one class; a second,
// tiny kernel merges the segments (split-K) so that small candidate sets still
// fill the GPU. On mixed data (CATS) each score also gets its categorical
// term, sum_c [x_c != b_c] penalty_c (simpor/data_sets.hpp, in log2 units),
// before the online LSE. Design notes: csrc/cuda/README.md.
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "cuda/check.hpp"
#include "cuda/kde_device.cuh"
#include "cuda/kernels.hpp"
#include "cuda/runtime.hpp"

namespace simpor::cuda {
namespace {

constexpr double kLn2 = 0.69314718055994530942;

// Bytes of data points staged per block in the warp path.
constexpr int kWarpTileBytes = 16384;
constexpr int kWarps = 4;  // warps (= candidates) per block in the warp path

// One packed row (W values) from shared memory into registers, 16 bytes at a time.
template <int W>
__device__ __forceinline__ void load_row(const float* src, float (&c)[W]) {
#pragma unroll
  for (int q = 0; q < W / 4; ++q) {
    const float4 v = reinterpret_cast<const float4*>(src)[q];
    c[4 * q] = v.x, c[4 * q + 1] = v.y, c[4 * q + 2] = v.z, c[4 * q + 3] = v.w;
  }
}
template <int W>
__device__ __forceinline__ void load_row(const double* src, double (&c)[W]) {
#pragma unroll
  for (int q = 0; q < W / 2; ++q) {
    const double2 v = reinterpret_cast<const double2*>(src)[q];
    c[2 * q] = v.x, c[2 * q + 1] = v.y;
  }
}

// ---- shared memory ------------------------------------------------------------

// Thread family: the data tile [kChunk][W] and the float64 sums [W][BLOCK];
// on mixed data (n_codes > 0) the sums' unused bias row is left out, and the
// penalties [n_codes], the tile's codes [kChunk][n_codes] and the candidates'
// codes [n_codes / 4][BLOCK] (int4: 16 bytes per thread and load, no bank
// conflicts) follow.
template <class T>
constexpr std::size_t thread_shared_bytes(int w, int block, int n_codes) {
  const std::size_t tile = std::size_t(kChunk) * w * sizeof(T);
  if (n_codes == 0) return tile + std::size_t(block) * w * sizeof(double);
  return tile + std::size_t(block) * (w - 1) * sizeof(double) +
         std::size_t(n_codes) * (sizeof(T) + kChunk * sizeof(int) + block * sizeof(int));
}

// Warp family: the data tile [TW][W], the float64 sums [kWarps][W] and on
// mixed data the tile's codes [TW][n_codes] (the candidate's codes and
// penalties live in the lanes' registers).
template <class T>
__host__ __device__ constexpr int warp_tile_points(int w) {
  return kWarpTileBytes / (w * int(sizeof(T))) < kChunk ? kWarpTileBytes / (w * int(sizeof(T))) : kChunk;
}

template <class T>
constexpr std::size_t warp_shared_bytes(int w, int n_codes) {
  const std::size_t points = warp_tile_points<T>(w);
  return points * w * sizeof(T) + std::size_t(kWarps) * w * sizeof(double) + points * n_codes * sizeof(int);
}

template <class T>
constexpr bool mixed_layouts_fit() {
  for (int w = 4; w <= 32; w *= 2)
    if (thread_shared_bytes<T>(w, kMixedThreadBlock, kMaxCategories) > kMaxSharedBytes) return false;
  for (int w = 64; w <= kMaxWidth; w *= 2)
    if (warp_shared_bytes<T>(w, kMaxCategories) > kMaxSharedBytes) return false;
  return true;
}
static_assert(mixed_layouts_fit<float>() && mixed_layouts_fit<double>(),
              "kMaxCategories: a mixed-data block exceeds kMaxSharedBytes");

// ---- thread path: one thread per candidate, W <= 64 ---------------------------

// x.c - bias + offset for a packed row c, neg_bias = -bias (plus the
// categorical term on mixed data). Two FMA chains halve the latency; they
// start from the offset (minus the reference score) and neg_bias, so neither
// costs an instruction. The columns where x is zero by layout (ones, bias) are skipped.
template <class T, int W, bool ONES>
__device__ __forceinline__ T relative_score(const T (&x)[W], const T (&c)[W], T offset, T neg_bias) {
  constexpr int kFeatureColumns = ONES ? W - 2 : W - 1;
  T s[2] = {offset, neg_bias};
#pragma unroll
  for (int k = 0; k < kFeatureColumns; ++k) s[k % 2] = fma(x[k], c[k], s[k % 2]);
  return s[0] + s[1];
}

// sum_c [x_c != b_c] penalty_c over `quads` quads of columns: the candidate's
// codes at mine[q * BLOCK] (its own shared-memory column), the point's at
// point[q] (the same address for every thread: a broadcast).
template <class T, int BLOCK>
__device__ __forceinline__ T category_term(const int4* mine, const int4* point, const T* penalty, int quads) {
  T sum = T(0);
  for (int q = 0; q < quads; ++q) {
    const int4 x = mine[q * BLOCK], b = point[q];
    T p[kCodeQuad];
    load_row<kCodeQuad>(penalty + q * kCodeQuad, p);
    if (x.x != b.x) sum += p[0];
    if (x.y != b.y) sum += p[1];
    if (x.z != b.z) sum += p[2];
    if (x.w != b.w) sum += p[3];
  }
  return sum;
}

// All threads of a block read the same data point at the same time, so the
// shared-memory loads are broadcasts; x and the running sums stay in
// registers. Running sums are float over kFlushChunks chunks and then flushed
// into float64 sums in shared memory, as KeOps' dtype_acc does. With the ones
// column (ONES) the sum of the weights is acc[W - 2]; the bias column's
// weighted sum is never formed.
//
// CATS (mixed data): each point's -bias becomes -bias + its categorical term,
// a runtime loop over the quads of columns (thread_shared_bytes has the layout).
template <class T, int W, int BLOCK, bool ONES, bool CATS>
__global__ void __launch_bounds__(BLOCK) partials_thread(const EvalArgs<T> a) {
  SIMPOR_DYNAMIC_SHARED(smem);
  T* tile = reinterpret_cast<T*>(smem);                                        // kChunk x W
  double* flushed = reinterpret_cast<double*>(smem + kChunk * W * sizeof(T));  // [W][BLOCK] ([W - 1] if CATS)
  constexpr int kSums = W - 1;  // weighted sums kept: every column but the bias
  // mixed data only
  T* penalty = reinterpret_cast<T*>(flushed + kSums * BLOCK);                 // [n_codes]
  int* tile_codes = reinterpret_cast<int*>(penalty + a.n_codes);              // [kChunk][n_codes]
  int4* my_codes = reinterpret_cast<int4*>(tile_codes + kChunk * a.n_codes);  // [n_codes / 4][BLOCK]
  const int quads = a.n_codes / kCodeQuad;

  const int count = candidate_count(a);
  const int base = blockIdx.x * BLOCK;
  if (base >= count) return;  // whole block idle: uniform exit before any barrier
  const Segment<T> seg = segment_of(a, blockIdx.y);
  const int tid = threadIdx.x, i = base + tid;

  T x[W], acc[kSums], tile_sum = T(0), neg_ref = T(INFINITY);  // neg_ref: minus the reference score
  double sum = 0.0;
#pragma unroll
  for (int k = 0; k < W; ++k) x[k] = i < count ? candidate_value(a, i, k, W) : T(0);
#pragma unroll
  for (int k = 0; k < kSums; ++k) {
    acc[k] = T(0);
    flushed[k * BLOCK + tid] = 0.0;
  }
  if constexpr (CATS) {  // read by all threads after the first barrier below
    for (int q = 0; q < quads; ++q) {
      int4 v;
      const int c = q * kCodeQuad;
      v.x = i < count ? candidate_code(a, i, c) : 0;
      v.y = i < count ? candidate_code(a, i, c + 1) : 0;
      v.z = i < count ? candidate_code(a, i, c + 2) : 0;
      v.w = i < count ? candidate_code(a, i, c + 3) : 0;
      my_codes[q * BLOCK + tid] = v;
    }
    for (int c = tid; c < a.n_codes; c += BLOCK) penalty[c] = a.penalty[c];
  }

  for (int chunk = seg.first; chunk < seg.last; ++chunk) {
    __syncthreads();  // the previous tile is consumed
    stage<kChunk * W * sizeof(T), BLOCK>(tile, seg.data + static_cast<long long>(chunk) * kChunk * W);
    if constexpr (CATS)
      stage_bytes<BLOCK>(tile_codes, seg.codes + static_cast<long long>(chunk) * kChunk * a.n_codes,
                         kChunk * a.n_codes * int(sizeof(int)));
    __syncthreads();
#pragma unroll 2
    for (int j = 0; j < kChunk; ++j) {
      T c[W];
      load_row<W>(tile + j * W, c);
      T neg_bias = -c[W - 1];
      if constexpr (CATS)
        neg_bias += category_term<T, BLOCK>(my_codes + tid, reinterpret_cast<const int4*>(tile_codes + j * a.n_codes),
                                            penalty, quads);
      T s = relative_score<T, W, ONES>(x, c, neg_ref, neg_bias);
      const bool up = s > T(kSlack);  // also the first point: neg_ref = inf gives s = inf
      // The warp rescales together (lanes not concerned scale by 1): a
      // uniform branch needs no reconvergence, and rescales are rare.
      if (__any_sync(0xffffffffu, up)) {
        // The reference becomes this point's own score, recomputed without
        // the old reference (which may be -inf or far below).
        const T score = relative_score<T, W, ONES>(x, c, T(0), neg_bias);
        const T f = up ? exp2_fast(-(neg_ref + score)) : T(1);  // 0 for the first point
        tile_sum *= f;
        sum *= double(f);
#pragma unroll
        for (int k = 0; k < kSums; ++k) {
          acc[k] *= f;
          flushed[k * BLOCK + tid] *= double(f);
        }
        if (up) neg_ref = -score, s = T(0);
      }
      const T w = exp2_fast(s);
      if (!ONES) tile_sum += w;
#pragma unroll
      for (int k = 0; k < kSums; ++k) acc[k] = fma(w, c[k], acc[k]);
    }
    if (!seg.flush_after(chunk)) continue;
    sum += double(tile_sum);
    tile_sum = T(0);
#pragma unroll
    for (int k = 0; k < kSums; ++k) {
      flushed[k * BLOCK + tid] += double(acc[k]);
      acc[k] = T(0);
    }
  }

  if (i >= count) return;
  double* out = partial_row(a, blockIdx.y, i);
  out[0] = -double(neg_ref);
  out[1] = ONES ? flushed[(W - 2) * BLOCK + tid] : sum;
  for (int k = 0; k < a.d; ++k) out[2 + k] = flushed[k * BLOCK + tid];
}

// ---- warp path: one warp per candidate, W = 32 K up to kMaxWidth -------------
//
// Lane l holds features l, l + 32, ...; a point's score is the warp sum of the
// lanes' partial dot products (butterfly, then lane 0's value broadcast so
// every lane takes the same branch with the same bits). On mixed data (CATS)
// lane l also holds the candidate's codes and penalties of categorical columns
// l and l + 32 in registers and adds their terms to its partial score before
// the reduction.
constexpr int kCodeSlots = (kMaxCategories + 31) / 32;  // categorical columns per lane

// Points whose scores are reduced together: more shuffles in flight where
// the per-lane work is small, fewer registers where it is large.
__host__ __device__ constexpr int warp_points_in_flight(int k, int tile_points) {
  const int want = k <= 2 ? 4 : k <= 4 ? 2 : 1;
  return want < tile_points ? want : tile_points;
}

template <class T, int K, bool CATS>
__global__ void __launch_bounds__(kWarps * 32) partials_warp(const EvalArgs<T> a) {
  constexpr int W = 32 * K;
  constexpr int TW = warp_tile_points<T>(W);  // points per staged tile
  constexpr int P = warp_points_in_flight(K, TW);
  static_assert(TW >= 1 && kChunk % TW == 0 && TW % P == 0, "tile shape");
  SIMPOR_DYNAMIC_SHARED(smem);
  T* tile = reinterpret_cast<T*>(smem);                                    // TW x W
  double* flushed = reinterpret_cast<double*>(smem + TW * W * sizeof(T));  // [kWarps][K][32]
  int* tile_codes = reinterpret_cast<int*>(flushed + kWarps * W);          // mixed data: [TW][n_codes]

  const int count = candidate_count(a);
  if (int(blockIdx.x) * kWarps >= count) return;
  const Segment<T> seg = segment_of(a, blockIdx.y);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int i = int(blockIdx.x) * kWarps + warp;
  const bool valid = i < count;
  double* my_flushed = flushed + warp * K * 32 + lane;

  T x[K], acc[K], tile_sum = T(0), ref = T(-INFINITY);
  double sum = 0.0;
#pragma unroll
  for (int q = 0; q < K; ++q) {
    x[q] = valid ? candidate_value(a, i, q * 32 + lane, W) : T(0);
    acc[q] = T(0);
    my_flushed[q * 32] = 0.0;
  }
  int my_code[kCodeSlots];
  T my_penalty[kCodeSlots];
  if constexpr (CATS) {
#pragma unroll
    for (int slot = 0; slot < kCodeSlots; ++slot) {
      const int col = slot * 32 + lane;
      my_code[slot] = valid && col < a.n_codes ? candidate_code(a, i, col) : 0;
      my_penalty[slot] = col < a.n_codes ? a.penalty[col] : T(0);
    }
  }

  for (int chunk = seg.first; chunk < seg.last; ++chunk) {
    for (int sub = 0; sub < kChunk / TW; ++sub) {
      __syncthreads();
      stage<TW * W * sizeof(T), kWarps * 32>(tile, seg.data + (static_cast<long long>(chunk) * kChunk + sub * TW) * W);
      if constexpr (CATS)
        stage_bytes<kWarps * 32>(tile_codes, seg.codes + (static_cast<long long>(chunk) * kChunk + sub * TW) * a.n_codes,
                                 TW * a.n_codes * int(sizeof(int)));
      __syncthreads();
      for (int j = 0; j < TW; j += P) {
        T c[P][K], s[P];
#pragma unroll
        for (int p = 0; p < P; ++p) {
          s[p] = T(0);
#pragma unroll
          for (int q = 0; q < K; ++q) {
            c[p][q] = tile[(j + p) * W + q * 32 + lane];
            s[p] = fma(x[q], c[p][q], s[p]);
          }
          if constexpr (CATS) {
#pragma unroll
            for (int slot = 0; slot < kCodeSlots; ++slot) {
              const int col = slot * 32 + lane;
              if (col < a.n_codes && tile_codes[(j + p) * a.n_codes + col] != my_code[slot]) s[p] += my_penalty[slot];
            }
          }
        }
#pragma unroll
        for (int off = 16; off > 0; off /= 2)
#pragma unroll
          for (int p = 0; p < P; ++p) s[p] += __shfl_xor_sync(0xffffffffu, s[p], off);
#pragma unroll
        for (int p = 0; p < P; ++p) {
          const T sp = __shfl_sync(0xffffffffu, s[p], 0);
          if (sp > ref + T(kSlack)) {
            const T f = exp2_fast(ref - sp);
            tile_sum *= f;
            sum *= double(f);
#pragma unroll
            for (int q = 0; q < K; ++q) {
              acc[q] *= f;
              my_flushed[q * 32] *= double(f);
            }
            ref = sp;
          }
          const T w = exp2_fast(sp - ref);
          tile_sum += w;
#pragma unroll
          for (int q = 0; q < K; ++q) acc[q] = fma(w, c[p][q], acc[q]);
        }
      }
    }
    sum += double(tile_sum);
    tile_sum = T(0);
#pragma unroll
    for (int q = 0; q < K; ++q) {
      my_flushed[q * 32] += double(acc[q]);
      acc[q] = T(0);
    }
  }

  if (!valid) return;
  double* out = partial_row(a, blockIdx.y, i);
  if (lane == 0) out[0] = double(ref), out[1] = sum;
#pragma unroll
  for (int q = 0; q < K; ++q)
    if (q * 32 + lane < a.d) out[2 + q * 32 + lane] = my_flushed[q * 32];
}

// ---- merge: segments -> log f, grad log f ------------------------------------
template <class T>
__global__ void merge_segments(const EvalArgs<T> a) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= candidate_count(a)) return;
  const int first[2] = {0, a.seg_numer}, last[2] = {a.seg_numer, a.seg_numer + a.seg_denom};
  double top[2], total[2];
  for (int c = 0; c < 2; ++c) {
    top[c] = -INFINITY;
    for (int g = first[c]; g < last[c]; ++g) top[c] = fmax(top[c], partial_row(a, g, i)[0]);
    total[c] = 0.0;
    for (int g = first[c]; g < last[c]; ++g) {
      double* row = partial_row(a, g, i);
      row[0] = exp2(row[0] - top[c]);  // the segment's scale, reused for its weighted sums
      total[c] += row[1] * row[0];
    }
  }
  // log f = LSE_B - LSE_A (eq. 12); the log2 units and the candidate's
  // |x - centre|^2 shift, common to both classes, cancel.
  a.log_ratio[i] = T(((top[0] - top[1]) + (log2(total[0]) - log2(total[1]))) * kLn2);
  // grad log f = (mu_B - mu_A) / h^2; the packed points carry 1/h^2 and log2(e).
  for (int k = 0; k < a.d; ++k) {
    double mean[2];
    for (int c = 0; c < 2; ++c) {
      double s = 0.0;
      for (int g = first[c]; g < last[c]; ++g) {
        const double* row = partial_row(a, g, i);
        s += row[2 + k] * row[0];
      }
      mean[c] = s / total[c];
    }
    a.grad[static_cast<long long>(i) * a.d + k] = T((mean[0] - mean[1]) * kLn2);
  }
}

// ---- dispatch ----------------------------------------------------------------

// Calls thread(kernel, width, block) with the thread-path kernel for `l`.
template <class T, bool ONES, bool CATS, class F>
void thread_widths(const Layout& l, F&& thread) {
  constexpr bool single = std::is_same<T, float>::value;
  constexpr int B = CATS ? kMixedThreadBlock : 128;
  switch (l.width) {
    case 4: return thread(partials_thread<T, 4, B, ONES, CATS>, 4, B);
    case 8: return thread(partials_thread<T, 8, B, ONES, CATS>, 8, B);
    case 16: return thread(partials_thread<T, 16, B, ONES, CATS>, 16, B);
    case 32: return thread(partials_thread<T, 32, B, ONES, CATS>, 32, B);
    case 64:
      if constexpr (single && !CATS) return thread(partials_thread<T, 64, 64, ONES, false>, 64, 64);
      break;
  }
  throw std::logic_error("simpor_ext: no CUDA thread kernel for packed width " + std::to_string(l.width));
}

// Calls warp(kernel, width) with the warp-path kernel for `l`.
template <class T, bool CATS, class F>
void warp_widths(const Layout& l, F&& warp) {
  constexpr bool single = std::is_same<T, float>::value;
  switch (l.width) {
    case 64:
      if constexpr (!single || CATS) return warp(partials_warp<T, 2, CATS>, 64);
      break;
    case 128: return warp(partials_warp<T, 4, CATS>, 128);
    case 256: return warp(partials_warp<T, 8, CATS>, 256);
    case 512: return warp(partials_warp<T, 16, CATS>, 512);
    case 1024: return warp(partials_warp<T, 32, CATS>, 1024);
  }
  throw std::logic_error("simpor_ext: no CUDA warp kernel for packed width " + std::to_string(l.width));
}

// Calls f(kernel, threads, shared_bytes, opt_in) with the partials kernel for
// `l`; opt_in: the most shared memory that kernel takes at any n_cat, which it
// must be allowed before a launch when above kDefaultSharedBytes.
template <class T, class F>
void with_partials_kernel(const Layout& l, F&& f) {
  using Args = EvalArgs<T>;
  const int most = l.codes ? kMaxCategories : 0;
  auto thread = [&](auto kernel, int w, int block) {
    f(static_cast<void (*)(Args)>(kernel), block, thread_shared_bytes<T>(w, block, l.codes),
      thread_shared_bytes<T>(w, block, most));
  };
  auto warp = [&](auto kernel, int w) {
    f(static_cast<void (*)(Args)>(kernel), kWarps * 32, warp_shared_bytes<T>(w, l.codes),
      warp_shared_bytes<T>(w, most));
  };
  if (!l.warp) {
    if (l.codes) return l.ones ? thread_widths<T, true, true>(l, thread) : thread_widths<T, false, true>(l, thread);
    return l.ones ? thread_widths<T, true, false>(l, thread) : thread_widths<T, false, false>(l, thread);
  }
  if (l.codes) return warp_widths<T, true>(l, warp);
  return warp_widths<T, false>(l, warp);
}

// Lets `kernel` take up to `opt_in` bytes of dynamic shared memory when that
// is above the default limit. The value depends only on the kernel, so
// concurrent calls set the same one.
template <class K>
void allow_shared(K kernel, std::size_t opt_in) {
  if (opt_in <= std::size_t(kDefaultSharedBytes)) return;
  check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(opt_in)),
        "cudaFuncSetAttribute (shared memory of the mixed-data kernel)");
}

}  // namespace

template <class T>
void launch_evaluate(const EvalArgs<T>& a, const Layout& l, cudaStream_t stream) {
  if (a.m <= 0) return;
  const int cands = l.warp ? l.block / 32 : l.block;
  if (cands != l.cands_per_block) throw std::logic_error("simpor_ext: inconsistent CUDA layout");
  const dim3 grid((a.m + l.cands_per_block - 1) / l.cands_per_block, a.seg_numer + a.seg_denom);
  with_partials_kernel<T>(l, [&](auto kernel, int threads, std::size_t smem, std::size_t opt_in) {
    if (threads != l.block) throw std::logic_error("simpor_ext: CUDA block size mismatch");
    if (a.n_codes != l.codes) throw std::logic_error("simpor_ext: CUDA layout and codes disagree");
    allow_shared(kernel, opt_in);
    SIMPOR_LAUNCH(kernel, grid, threads, smem, stream, a);
  });
  check_launch("the partials kernel");
  constexpr int kMergeThreads = 128;
  SIMPOR_LAUNCH(merge_segments<T>, (a.m + kMergeThreads - 1) / kMergeThreads, kMergeThreads, 0, stream, a);
  check_launch("the merge kernel");
}

template <class T>
int resident_blocks(const Layout& l) {
  int blocks = 0;
  with_partials_kernel<T>(l, [&](auto kernel, int threads, std::size_t smem, std::size_t opt_in) {
    allow_shared(kernel, opt_in);
    check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, kernel, threads, smem), "occupancy query");
  });
  return blocks > 0 ? blocks : 1;
}

bool kernels_loadable(cudaError_t* error) {
  cudaFuncAttributes attr;
  const cudaError_t e = cudaFuncGetAttributes(&attr, merge_segments<float>);
  if (error) *error = e;
  if (e != cudaSuccess) cudaGetLastError();
  return e == cudaSuccess;
}

template void launch_evaluate(const EvalArgs<float>&, const Layout&, cudaStream_t);
template void launch_evaluate(const EvalArgs<double>&, const Layout&, cudaStream_t);
template int resident_blocks<float>(const Layout&);
template int resident_blocks<double>(const Layout&);

}  // namespace simpor::cuda
