// Streaming kernel for log f and grad log f on the CPU (KeOps/flash-attention
// pattern): candidates in register blocks of kRows, data streamed in tiles of
// kTile points; per tile a small score GEMM, one exp per pair and a small
// weighted-sum GEMM, merged into float64 running sums with an online LSE.
#include "cpu/kde_cpu.hpp"

#include <algorithm>

#include "cpu/simd.hpp"
#include "cpu/threads.hpp"

#define SIMPOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

namespace simpor::cpu {
namespace {

constexpr index_t kMaxBlocks = 16;  // register blocks per group: bounds per-thread scratch

// S[i][j] = x_i . b_j / h^2 - |b_j|^2 / 2h^2  (= score + |x_i|^2/2h^2, a per-row shift
// that cancels in log f and in the softmax weights).
template <class T>
SIMPOR_INLINE void score_tile(const T* xs, const T* bt, const T* bias, int d, T* scores) {
  using V = vec_t<T>;
  constexpr int W = Simd<T>::width;
  for (int j = 0; j < kTile; j += 2 * W) {
    V acc[kRows][2];
    const V c0 = -load(bias + j), c1 = -load(bias + j + W);
#pragma GCC unroll 4
    for (int i = 0; i < kRows; ++i) acc[i][0] = c0, acc[i][1] = c1;
    for (int k = 0; k < d; ++k) {
      const V b0 = load(bt + k * kTile + j), b1 = load(bt + k * kTile + j + W);
#pragma GCC unroll 4
      for (int i = 0; i < kRows; ++i) {
        const T x = xs[i * d + k];
        acc[i][0] += x * b0;
        acc[i][1] += x * b1;
      }
    }
#pragma GCC unroll 4
    for (int i = 0; i < kRows; ++i) store(scores + i * kTile + j, acc[i][0]), store(scores + i * kTile + j + W, acc[i][1]);
  }
}

// Turns one row of scores into weights exp(s - new_max) in place; merges the
// row into `state` and returns the factor that rescales the old weighted sums.
template <class T>
SIMPOR_INLINE double weights_row(T* row, LseState& state) {
  using V = vec_t<T>;
  constexpr int W = Simd<T>::width;
  V m = load(row);
  for (int j = W; j < kTile; j += W) m = vmax<T>(m, load(row + j));
  const double tile_max = double(hmax<T>(m));
  const double new_max = std::max(state.max, tile_max);
  const V shift = splat(T(new_max));
  V sum = splat(T(0));
  for (int j = 0; j < kTile; j += W) {
    const V w = vexp(load(row + j) - shift);
    store(row + j, w);
    sum += w;
  }
  return lse_merge(state, new_max, double(hsum<T>(sum))).old_scale;
}

// out[i][kv..kv+NV*W) = sum_j w[i][j] coords[j][kv..]   (NV vectors per pass)
template <class T, int NV>
SIMPOR_INLINE void weighted_sum_cols(const T* weights, const T* coords, int d_padded, int kv, T* out) {
  using V = vec_t<T>;
  constexpr int W = Simd<T>::width;
  V acc[kRows][NV] = {};
  for (int j = 0; j < kTile; ++j) {
    V b[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) b[v] = load(coords + j * d_padded + kv + v * W);
#pragma GCC unroll 4
    for (int i = 0; i < kRows; ++i) {
      const T w = weights[i * kTile + j];
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[i][v] += w * b[v];
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < kRows; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) store(out + i * d_padded + kv + v * W, acc[i][v]);
}

template <class T>
SIMPOR_INLINE void weighted_sum_tile(const T* weights, const T* coords, int d_padded, T* out) {
  constexpr int W = Simd<T>::width;
  int kv = 0;
  for (; kv + 2 * W <= d_padded; kv += 2 * W) weighted_sum_cols<T, 2>(weights, coords, d_padded, kv, out);
  if (kv < d_padded) weighted_sum_cols<T, 1>(weights, coords, d_padded, kv, out);
}

// Streams one class past `rows` centred candidates (a multiple of kRows),
// updating their LSE states and float64 weighted sums (rows x d).
template <class T>
SIMPOR_INLINE void stream_class_impl(const PackedClass<T>& cls, const T* xs, int rows, LseState* states,
                                     double* weighted, T* scratch) {
  const int d = cls.d, dp = cls.d_padded;
  T* scores = scratch;                     // kRows x kTile
  T* tile_sums = scratch + kRows * kTile;  // kRows x d_padded
  for (index_t t = 0; t < cls.n_tiles; ++t) {
    const T* bt = cls.scaled_t.data() + t * d * kTile;
    const T* coords = cls.coords.data() + t * kTile * dp;
    const T* bias = cls.bias.data() + t * kTile;
    for (int r0 = 0; r0 < rows; r0 += kRows) {
      score_tile(xs + r0 * d, bt, bias, d, scores);
      double old_scale[kRows];
      for (int i = 0; i < kRows; ++i) old_scale[i] = weights_row(scores + i * kTile, states[r0 + i]);
      weighted_sum_tile(scores, coords, dp, tile_sums);
      for (int i = 0; i < kRows; ++i) {
        double* acc = weighted + (r0 + i) * d;
        for (int k = 0; k < d; ++k) acc[k] = acc[k] * old_scale[i] + double(tile_sums[i * dp + k]);
      }
    }
  }
}

SIMPOR_CLONES void stream_class(const PackedClass<float>& cls, const float* xs, int rows, LseState* states,
                                double* weighted, float* scratch) {
  stream_class_impl(cls, xs, rows, states, weighted, scratch);
}

SIMPOR_CLONES void stream_class(const PackedClass<double>& cls, const double* xs, int rows,
                                LseState* states, double* weighted, double* scratch) {
  stream_class_impl(cls, xs, rows, states, weighted, scratch);
}

template <class T>
PackedClass<T> pack_class(const T* pts, index_t n, int d, const std::vector<T>& centre, double bandwidth) {
  constexpr int W = Simd<T>::width;
  PackedClass<T> c;
  c.n = n;
  c.d = d;
  c.d_padded = (d + W - 1) / W * W;
  c.n_tiles = (n + kTile - 1) / kTile;
  c.scaled_t.assign(c.n_tiles * d * kTile, T(0));
  c.coords.assign(c.n_tiles * kTile * c.d_padded, T(0));
  c.bias.assign(c.n_tiles * kTile, -Simd<T>::pad_score);
  const double inv_h2 = 1.0 / (bandwidth * bandwidth);
  for (index_t j = 0; j < n; ++j) {
    const index_t t = j / kTile, jj = j % kTile;
    double sq = 0.0;
    for (int k = 0; k < d; ++k) {
      const double v = double(pts[j * d + k]) - double(centre[k]);
      sq += v * v;
      c.scaled_t[(t * d + k) * kTile + jj] = T(v * inv_h2);
      c.coords[(t * kTile + jj) * c.d_padded + k] = T(v);
    }
    c.bias[t * kTile + jj] = T(0.5 * sq * inv_h2);
  }
  return c;
}

}  // namespace

template <class T>
KdeProblem<T> make_problem(const T* numer, index_t n_numer, const T* denom, index_t n_denom, int d,
                           double bandwidth) {
  KdeProblem<T> pb;
  pb.d = d;
  pb.bandwidth = bandwidth;
  std::vector<double> mean(d, 0.0);
  for (index_t j = 0; j < n_numer; ++j)
    for (int k = 0; k < d; ++k) mean[k] += double(numer[j * d + k]);
  for (index_t j = 0; j < n_denom; ++j)
    for (int k = 0; k < d; ++k) mean[k] += double(denom[j * d + k]);
  pb.centre.resize(d);
  for (int k = 0; k < d; ++k) pb.centre[k] = T(mean[k] / double(n_numer + n_denom));
  pb.numer = pack_class(numer, n_numer, d, pb.centre, bandwidth);
  pb.denom = pack_class(denom, n_denom, d, pb.centre, bandwidth);
  return pb;
}

template <class T>
Evaluator<T>::Evaluator(const KdeProblem<T>& problem, int capacity)
    : pb_(problem),
      capacity_((capacity + kRows - 1) / kRows * kRows),
      xs_(capacity_ * problem.d),
      tile_(kRows * kTile + kRows * std::max(problem.numer.d_padded, problem.denom.d_padded)),
      weighted_(2 * capacity_ * problem.d),
      states_(2 * capacity_) {}

template <class T>
void Evaluator<T>::operator()(const T* points, int count, T* log_ratio, T* grad) {
  const int d = pb_.d, rows = (count + kRows - 1) / kRows * kRows;
  for (int i = 0; i < rows; ++i) {  // padding rows repeat the last candidate
    const T* x = points + std::min(i, count - 1) * d;
    for (int k = 0; k < d; ++k) xs_[i * d + k] = T(double(x[k]) - double(pb_.centre[k]));
  }
  LseState* st_numer = states_.data();
  LseState* st_denom = states_.data() + rows;
  std::fill(states_.begin(), states_.begin() + 2 * rows, lse_empty());
  double* w_numer = weighted_.data();
  double* w_denom = weighted_.data() + rows * d;
  std::fill(weighted_.begin(), weighted_.begin() + 2 * rows * d, 0.0);
  stream_class(pb_.numer, xs_.data(), rows, st_numer, w_numer, tile_.data());
  stream_class(pb_.denom, xs_.data(), rows, st_denom, w_denom, tile_.data());
  const double inv_h2 = 1.0 / (pb_.bandwidth * pb_.bandwidth);
  for (int i = 0; i < count; ++i) {
    log_ratio[i] = T(lse_value(st_numer[i]) - lse_value(st_denom[i]));
    for (int k = 0; k < d; ++k) {
      const double mu_b = w_numer[i * d + k] / st_numer[i].sum, mu_a = w_denom[i * d + k] / st_denom[i].sum;
      grad[i * d + k] = T((mu_b - mu_a) * inv_h2);
    }
  }
}

template <class T>
void evaluate(const KdeProblem<T>& pb, const T* points, index_t m, T* log_ratio, T* grad, int n_threads) {
  if (m == 0) return;
  const int threads = resolve_threads(n_threads);
  // Group size only changes scheduling, never a candidate's arithmetic.
  const index_t per_thread = (m + threads - 1) / threads;
  const int group = int(std::clamp<index_t>((per_thread + kRows - 1) / kRows, 1, kMaxBlocks) * kRows);
  const index_t n_groups = (m + group - 1) / group;
  parallel_dynamic(
      n_groups, threads, [&] { return Evaluator<T>(pb, group); },
      [&](index_t g, Evaluator<T>& eval) {
        const index_t first = g * group;
        const int count = int(std::min<index_t>(group, m - first));
        eval(points + first * pb.d, count, log_ratio + first, grad + first * pb.d);
      });
}

template KdeProblem<float> make_problem(const float*, index_t, const float*, index_t, int, double);
template KdeProblem<double> make_problem(const double*, index_t, const double*, index_t, int, double);
template class Evaluator<float>;
template class Evaluator<double>;
template void evaluate(const KdeProblem<float>&, const float*, index_t, float*, float*, int);
template void evaluate(const KdeProblem<double>&, const double*, index_t, double*, double*, int);

}  // namespace simpor::cpu
