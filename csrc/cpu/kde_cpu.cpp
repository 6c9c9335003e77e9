// Streaming kernel for log f and grad log f on the CPU (KeOps/flash-attention
// pattern): candidates in register blocks of kRows, data streamed in tiles of
// kTile points; per tile a small score GEMM (scores in log2 units, row maxima
// on the way out), one exp2 per pair and a small weighted-sum GEMM whose
// column of ones also sums the weights, merged into float64 running sums with
// an online LSE.
#include "cpu/kde_cpu.hpp"

#include <algorithm>
#include <cstddef>

#include "cpu/simd.hpp"
#include "cpu/threads.hpp"
#include "simpor/cancel.hpp"
#include "simpor/finite_inputs.hpp"

namespace simpor::cpu {
namespace {

// Register blocks per group. A group streams the data once, so larger groups
// read DRAM less (16 measured 3% slower); this bounds per-thread scratch.
constexpr index_t kMaxBlocks = 32;

// One class's tile as the score GEMM reads it.
template <class T>
struct TileView {
  const T* scaled_t;                     // [d][kTile]
  const T* bias;                         // [kTile]
  const typename Simd<T>::lane* codes;   // [n_cat][kTile]
};

// S[i][j] = (x_i . b_j / h^2 - |b_j|^2 / 2h^2 + sum_c [x_ic != b_jc] w_c) log2(e):
// the score + |x_i|^2/2h^2 (a per-row shift that cancels in log f and in the
// softmax weights), in log2 units, with the categorical term of data_sets.hpp.
// xcodes holds each row's codes already broadcast to a vector (W lanes per
// code), so the compare reads it from memory: no broadcast per tile.
// row_max[i] gets max_j S[i][j].
template <class T>
SIMPOR_INLINE void score_tile(const T* xs, const typename Simd<T>::lane* xcodes, const TileView<T>& tile,
                              const KdeProblem<T>& pb, T* scores, T* row_max) {
  using V = vec_t<T>;
  using I = typename Simd<T>::ivec;
  constexpr int W = Simd<T>::width;
  const int d = pb.d, n_cat = pb.n_cat;
  const T* bt = tile.scaled_t;
  V m[kRows];
  for (int j = 0; j < kTile; j += 2 * W) {
    V acc[kRows][2];
    const V c0 = -load(tile.bias + j), c1 = -load(tile.bias + j + W);
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
    for (int c = 0; c < n_cat; ++c) {
      const I p0 = load_lanes<T>(tile.codes + c * kTile + j), p1 = load_lanes<T>(tile.codes + c * kTile + j + W);
      const I penalty = bit_cast<I>(splat(pb.penalty[c]));
#pragma GCC unroll 4
      for (int i = 0; i < kRows; ++i) {
        const I x = load_lanes<T>(xcodes + (i * n_cat + c) * W);
        acc[i][0] = add_where_differ<T>(acc[i][0], p0, x, penalty);
        acc[i][1] = add_where_differ<T>(acc[i][1], p1, x, penalty);
      }
    }
#pragma GCC unroll 4
    for (int i = 0; i < kRows; ++i) {
      store(scores + i * kTile + j, acc[i][0]);
      store(scores + i * kTile + j + W, acc[i][1]);
      const V pair_max = vmax<T>(acc[i][0], acc[i][1]);
      m[i] = j == 0 ? pair_max : vmax<T>(m[i], pair_max);
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < kRows; ++i) row_max[i] = hmax<T>(m[i]);
}

// Turns kRows rows of scores (log2 units, row maxima tile_max) into weights
// 2^(s - shift) in place, shift >= every score of its row, and moves each row's
// running max (natural units) to cover the tile; f[i] gets the factors that
// rescale row i's old and new sums. The sums of the weights come out of the
// weighted-sum GEMM.
template <class T>
SIMPOR_INLINE void weights_block(T* scores, const T* tile_max, double* running_max, MergeFactors* f) {
  using V = vec_t<T>;
  constexpr int W = Simd<T>::width;
  T shift[kRows];
  for (int i = 0; i < kRows; ++i) {
    shift[i] = T(tile_shift(running_max[i], double(tile_max[i])));
    f[i] = lse_rebase(running_max[i], double(shift[i]) * kLn2);
  }
  for (int j = 0; j < kTile; j += W) {
    V w[kRows];
#pragma GCC unroll 4
    for (int i = 0; i < kRows; ++i) w[i] = load(scores + i * kTile + j);
    exp2_shifted(w, shift);
#pragma GCC unroll 4
    for (int i = 0; i < kRows; ++i) store(scores + i * kTile + j, w[i]);
  }
}

// acc[i][kv..kv+NV*W) = acc * old_scale + (sum_j w[i][j] coords[j][kv..]) * block_scale:
// the tile's weighted sums, merged into row i's float64 running sums.
template <class T, int NV>
SIMPOR_INLINE void weighted_sum_cols(const T* weights, const T* coords, int dp, int kv, const MergeFactors* f,
                                     double* acc) {
  using V = vec_t<T>;
  constexpr int W = Simd<T>::width;
  V sums[kRows][NV] = {};
  for (int j = 0; j < kTile; ++j) {
    V b[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) b[v] = load(coords + j * dp + kv + v * W);
#pragma GCC unroll 4
    for (int i = 0; i < kRows; ++i) {
      const T w = weights[i * kTile + j];
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) sums[i][v] += w * b[v];
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < kRows; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) merge_into(acc + i * dp + kv + v * W, sums[i][v], f[i].old_scale, f[i].block_scale);
}

template <class T>
SIMPOR_INLINE void weighted_sum_tile(const T* weights, const T* coords, int dp, const MergeFactors* f, double* acc) {
  constexpr int W = Simd<T>::width;
  int kv = 0;
  for (; kv + 2 * W <= dp; kv += 2 * W) weighted_sum_cols<T, 2>(weights, coords, dp, kv, f, acc);
  if (kv < dp) weighted_sum_cols<T, 1>(weights, coords, dp, kv, f, acc);
}

// Prefetches share `part` of `parts` of [p, p + bytes): the data streams from
// DRAM once per group of candidates, and the tile after the current one is
// fetched while this one is computed.
SIMPOR_INLINE void prefetch_part(const void* p, std::size_t bytes, int part, int parts) {
  constexpr std::size_t kLine = 64;
  const char* c = static_cast<const char*>(p);
  const std::size_t lines = (bytes + kLine - 1) / kLine;
  for (std::size_t l = lines * part / parts; l < lines * (part + 1) / parts; ++l) __builtin_prefetch(c + l * kLine);
}

// Streams one class past `rows` centred candidates (a multiple of kRows),
// updating their running max and float64 weighted sums (rows x d_padded;
// column d holds the sum of the weights).
// With `top`, also records each candidate's heaviest points (hessian rule).
template <class T>
SIMPOR_INLINE void stream_class_impl(const KdeProblem<T>& pb, const PackedClass<T>& cls, const T* xs,
                                     const typename Simd<T>::lane* xcodes, int rows, double* running_max,
                                     double* weighted, T* scratch, TopPoints<T>* top) {
  const int d = cls.d, dp = cls.d_padded, n_cat = cls.n_cat;
  T* scores = scratch;  // kRows x kTile
  const int blocks = rows / kRows;
  for (index_t t = 0; t < cls.n_tiles; ++t) {
    const TileView<T> tile{cls.scaled_t.get() + t * d * kTile, cls.bias.get() + t * kTile,
                           cls.codes.get() + t * n_cat * kTile};
    const T* coords = cls.coords.get() + t * kTile * dp;
    for (int r0 = 0; r0 < rows; r0 += kRows) {
      if (t + 1 < cls.n_tiles) {  // each block fetches its share of the next tile
        const int block = r0 / kRows;
        prefetch_part(tile.scaled_t + d * kTile, d * kTile * sizeof(T), block, blocks);
        prefetch_part(coords + kTile * dp, kTile * dp * sizeof(T), block, blocks);
        prefetch_part(tile.bias + kTile, kTile * sizeof(T), block, blocks);
        prefetch_part(tile.codes + n_cat * kTile, n_cat * kTile * sizeof(*tile.codes), block, blocks);
      }
      T tile_max[kRows];
      score_tile(xs + r0 * d, xcodes + r0 * n_cat * Simd<T>::width, tile, pb, scores, tile_max);
      if (top) top->record(r0, t, scores, tile_max, running_max + r0);
      MergeFactors f[kRows];
      weights_block(scores, tile_max, running_max + r0, f);
      weighted_sum_tile(scores, coords, dp, f, weighted + r0 * dp);
    }
  }
}

// The hot loop, compiled once per x86-64 level where the loader can choose
// (SIMPOR_CLONES, arch.hpp), once for the target elsewhere.
SIMPOR_CLONES void stream_class(const KdeProblem<float>& pb, const PackedClass<float>& cls, const float* xs,
                                const std::int32_t* xcodes, int rows, double* running_max, double* weighted,
                                float* scratch, TopPoints<float>* top) {
  stream_class_impl(pb, cls, xs, xcodes, rows, running_max, weighted, scratch, top);
}

SIMPOR_CLONES void stream_class(const KdeProblem<double>& pb, const PackedClass<double>& cls, const double* xs,
                                const std::int64_t* xcodes, int rows, double* running_max, double* weighted,
                                double* scratch, TopPoints<double>* top) {
  stream_class_impl(pb, cls, xs, xcodes, rows, running_max, weighted, scratch, top);
}

// Writes tile t of `c` (padding included), so the arrays need no zero-fill
// and each page is first touched by the thread that packs it. Both layouts
// and the bias derive from the same rounded coordinates.
template <class T>
void pack_tile(const PointSet<T>& set, const std::vector<T>& centre, double inv_h2, index_t t, PackedClass<T>& c) {
  const int d = c.d, dp = c.d_padded, n_cat = c.n_cat;
  const T* pts = set.points;
  const index_t n = set.n;
  T* coords = c.coords.get() + t * kTile * dp;
  T* scaled_t = c.scaled_t.get() + t * d * kTile;
  T* bias = c.bias.get() + t * kTile;
  auto* codes = c.codes.get() + t * n_cat * kTile;
  for (int k = 0; k < n_cat; ++k)
    for (int jj = 0; jj < kTile; ++jj)
      codes[k * kTile + jj] = t * kTile + jj < n ? set.codes[(t * kTile + jj) * n_cat + k] : 0;
  for (int jj = 0; jj < kTile; ++jj) {
    const index_t j = t * kTile + jj;
    T* row = coords + jj * dp;
    std::fill(row, row + dp, T(0));
    if (j >= n) {
      bias[jj] = -Simd<T>::pad_score;
      continue;
    }
    double sq = 0.0;
    for (int k = 0; k < d; ++k) {
      row[k] = T(double(pts[j * d + k]) - double(centre[k]));
      sq += double(row[k]) * double(row[k]);
    }
    row[d] = T(1);  // the weighted sums then carry the sum of the weights
    bias[jj] = T(0.5 * sq * inv_h2);
  }
  for (int k = 0; k < d; ++k)
    for (int jj = 0; jj < kTile; ++jj) scaled_t[k * kTile + jj] = T(double(coords[jj * dp + k]) * inv_h2);
}

template <class T>
PackedClass<T> pack_class(const PointSet<T>& set, int d, int n_cat, const std::vector<T>& centre, double bandwidth,
                          int threads) {
  constexpr int W = Simd<T>::width;
  PackedClass<T> c;
  c.d = d;
  c.d_padded = (d + 1 + W - 1) / W * W;  // room for the column of ones
  c.n_cat = n_cat;
  c.n_tiles = (set.n + kTile - 1) / kTile;
  c.scaled_t.reset(new T[c.n_tiles * d * kTile]);
  c.coords.reset(new T[c.n_tiles * kTile * c.d_padded]);
  c.bias.reset(new T[c.n_tiles * kTile]);
  c.codes.reset(new typename Simd<T>::lane[c.n_tiles * n_cat * kTile]);
  const double inv_h2 = kLog2e / (bandwidth * bandwidth);  // scores in log2 units
#pragma omp parallel for num_threads(threads) schedule(static)
  for (index_t t = 0; t < c.n_tiles; ++t) pack_tile(set, centre, inv_h2, t, c);
  return c;
}

// Mean of both classes. Partial sums over fixed chunks of kTile rows are added
// in chunk order, so the centre's bytes do not depend on the thread count.
template <class T>
std::vector<T> centre_of(const T* numer, index_t n_numer, const T* denom, index_t n_denom, int d, int threads) {
  const index_t c_numer = (n_numer + kTile - 1) / kTile, chunks = c_numer + (n_denom + kTile - 1) / kTile;
  std::vector<double> partial(chunks * d, 0.0);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (index_t c = 0; c < chunks; ++c) {
    const bool in_numer = c < c_numer;
    const T* pts = in_numer ? numer : denom;
    const index_t first = (in_numer ? c : c - c_numer) * kTile;
    const index_t last = std::min(first + kTile, in_numer ? n_numer : n_denom);
    for (index_t j = first; j < last; ++j)
      for (int k = 0; k < d; ++k) partial[c * d + k] += double(pts[j * d + k]);
  }
  std::vector<double> sum(d, 0.0);
  for (index_t c = 0; c < chunks; ++c)
    for (int k = 0; k < d; ++k) sum[k] += partial[c * d + k];
  std::vector<T> centre(d);
  for (int k = 0; k < d; ++k) centre[k] = T(sum[k] / double(n_numer + n_denom));
  return centre;
}

}  // namespace

template <class T>
KdeProblem<T> make_problem(const DataSets<T>& s, int n_threads) {
  const int threads = resolve_threads(n_threads);
  const int d = s.d;
  KdeProblem<T> pb;
  pb.d = d;
  pb.n_cat = s.n_cat;
  pb.bandwidth = s.bandwidth;
  for (int c = 0; c < s.n_cat; ++c) pb.penalty.push_back(log2_penalty<T>(s.log_weight[c]));
  pb.centre = centre_of(s.numer.points, s.numer.n, s.denom.points, s.denom.n, d, threads);
  require_finite_sets(pb.centre.data(), d, s.numer.points, s.numer.n, s.denom.points, s.denom.n);
  pb.numer = pack_class(s.numer, d, s.n_cat, pb.centre, s.bandwidth, threads);
  pb.denom = pack_class(s.denom, d, s.n_cat, pb.centre, s.bandwidth, threads);
  return pb;
}

template <class T>
Evaluator<T>::Evaluator(const KdeProblem<T>& problem, int capacity, bool record_top)
    : pb_(problem),
      record_top_(record_top),
      capacity_((capacity + kRows - 1) / kRows * kRows),
      wanted_(capacity_, char(1)),
      mu_(problem.d),
      xs_(capacity_ * problem.d),
      tile_(kRows * kTile),
      xcodes_(capacity_ * problem.n_cat * Simd<T>::width),
      weighted_(2 * capacity_ * problem.numer.d_padded),
      max_(2 * capacity_) {}

template <class T>
void Evaluator<T>::operator()(const T* points, const code_t* codes, int count, T* log_ratio, T* grad,
                              double* log_sums) {
  const FlushDenormals flush;
  const int d = pb_.d, dp = pb_.numer.d_padded, n_cat = pb_.n_cat, rows = (count + kRows - 1) / kRows * kRows;
  for (int i = 0; i < rows; ++i) {  // padding rows repeat the last candidate
    const int from = std::min(i, count - 1);
    for (int k = 0; k < d; ++k) xs_[i * d + k] = T(double(points[from * d + k]) - double(pb_.centre[k]));
    constexpr int W = Simd<T>::width;
    for (int k = 0; k < n_cat; ++k)
      std::fill_n(xcodes_.data() + (i * n_cat + k) * W, W, codes[from * n_cat + k]);
  }
  double* max_numer = max_.data();
  double* max_denom = max_.data() + rows;
  std::fill(max_.begin(), max_.begin() + 2 * rows, -INFINITY);
  double* w_numer = weighted_.data();
  double* w_denom = weighted_.data() + rows * dp;
  std::fill(weighted_.begin(), weighted_.begin() + 2 * rows * dp, 0.0);
  if (record_top_) {
    std::fill(wanted_.begin() + count, wanted_.begin() + rows, char(0));  // padding rows
    top_[0].reset(rows, wanted_), top_[1].reset(rows, wanted_);
  }
  stream_class(pb_, pb_.numer, xs_.data(), xcodes_.data(), rows, max_numer, w_numer, tile_.data(),
               record_top_ ? &top_[0] : nullptr);
  stream_class(pb_, pb_.denom, xs_.data(), xcodes_.data(), rows, max_denom, w_denom, tile_.data(),
               record_top_ ? &top_[1] : nullptr);
  rows_ = rows;
  const double inv_h2 = 1.0 / (pb_.bandwidth * pb_.bandwidth);
  for (int i = 0; i < count; ++i) {
    const double* wb = w_numer + i * dp;
    const double* wa = w_denom + i * dp;
    const double log_b = lse_value(max_numer[i], wb[d]), log_a = lse_value(max_denom[i], wa[d]);
    log_ratio[i] = T(log_b - log_a);
    if (log_sums) {  // undo the per-row shift |x - centre|^2 / 2h^2 the scores carry
      double sq = 0.0;
      for (int k = 0; k < d; ++k) sq += double(xs_[i * d + k]) * double(xs_[i * d + k]);
      const double shift = 0.5 * sq * inv_h2;
      log_sums[2 * i] = log_b - shift;
      log_sums[2 * i + 1] = log_a - shift;
    }
    for (int k = 0; k < d; ++k) {
      const double mu_b = wb[k] / wb[d], mu_a = wa[k] / wa[d];
      grad[i * d + k] = T((mu_b - mu_a) * inv_h2);
    }
  }
}

template <class T>
void Evaluator<T>::hessian(int i, double* H) {
  const int d = pb_.d, dp = pb_.numer.d_padded;
  std::fill(H, H + d * d, 0.0);
  wdev_.clear(), dev_.clear();
  const PackedClass<T>* classes[2] = {&pb_.numer, &pb_.denom};
  for (int c = 0; c < 2; ++c) {  // (Cov_B - Cov_A): class A's weights enter negated
    const double* w = weighted_.data() + (c * rows_ + i) * dp;
    for (int k = 0; k < d; ++k) mu_[k] = w[k] / w[d];
    top_[c].gather(i, max_[c * rows_ + i], w[d], mu_.data(), classes[c]->coords.get(), dp, d, c == 0 ? 1.0 : -1.0,
                   wdev_, dev_);
  }
  weighted_gram(wdev_, dev_, d, dp, H);
  const double h2 = pb_.bandwidth * pb_.bandwidth, half_inv_h4 = 0.5 / (h2 * h2);
  for (int a = 0; a < d; ++a)  // symmetric to the bit: the weights were rounded on one side only
    for (int b = 0; b <= a; ++b) H[a * d + b] = H[b * d + a] = (H[a * d + b] + H[b * d + a]) * half_inv_h4;
}

template <class T>
bool Evaluator<T>::hessian_complete(int i) {
  return top_[0].complete(i, max_[i]) && top_[1].complete(i, max_[rows_ + i]);
}

template <class T>
void evaluate(const KdeProblem<T>& pb, const PointSet<T>& points, T* log_ratio, T* grad, int n_threads) {
  const index_t m = points.n;
  if (m == 0) return;
  const int threads = resolve_threads(n_threads);
  // Groups of at most kMaxBlocks blocks, as many as a multiple of the thread
  // count and within one block of each other in size, so that no thread waits
  // on a short last group. Grouping only changes scheduling, never a
  // candidate's arithmetic.
  const index_t blocks = (m + kRows - 1) / kRows;
  const index_t rounds = (blocks + threads * kMaxBlocks - 1) / (threads * kMaxBlocks);
  const index_t n_groups = std::min<index_t>(blocks, rounds * threads);
  const auto first_row = [&](index_t g) { return std::min(m, g * blocks / n_groups * kRows); };
  const int capacity = int((blocks + n_groups - 1) / n_groups * kRows);
  parallel_dynamic(
      n_groups, threads, [&] { return Evaluator<T>(pb, capacity); },
      [&](index_t g, Evaluator<T>& eval) {
        throw_if_cancelled();
        const index_t first = first_row(g);
        eval(points.points + first * pb.d, points.codes + first * pb.n_cat, int(first_row(g + 1) - first),
             log_ratio + first, grad + first * pb.d);
      });
}

template KdeProblem<float> make_problem(const DataSets<float>&, int);
template KdeProblem<double> make_problem(const DataSets<double>&, int);
template class Evaluator<float>;
template class Evaluator<double>;
template void evaluate(const KdeProblem<float>&, const PointSet<float>&, float*, float*, int);
template void evaluate(const KdeProblem<double>&, const PointSet<double>&, double*, double*, int);

}  // namespace simpor::cpu
