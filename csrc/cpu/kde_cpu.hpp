// CPU evaluation of log f and grad log f for a batch of candidates.
#pragma once

#include <algorithm>
#include <memory>
#include <vector>

#include "cpu/simd.hpp"
#include "cpu/top_points.hpp"
#include "simpor/data_sets.hpp"
#include "simpor/kde_math.hpp"

namespace simpor::cpu {

// Points of one class laid out for the streaming kernel: tiles of `kTile`
// points, stored both feature-major (for the score GEMM, scaled by log2(e)/h^2)
// and point-major (for the weighted-sum GEMM). Coordinates are relative to a
// common centre so float32 scores keep their precision.
constexpr int kTile = 128;

// Candidates sharing each loaded data vector: 4 rows x 2 vectors = 8 independent
// FMA chains in 16 AVX2 registers (6 and 8 rows measured slower).
constexpr int kRows = 4;

// What a candidate's weights in a tile are taken relative to, in log2 units:
// the larger of its running max (natural units) and its max score in the tile.
inline double tile_shift(double running_max, double tile_max) { return std::max(running_max * kLog2e, tile_max); }

template <class T>
struct PackedClass {
  int d = 0;
  int d_padded = 0;  // d + 1 (a column of ones) rounded up to the vector width
  int n_cat = 0;
  index_t n_tiles = 0;
  std::unique_ptr<T[]> scaled_t;  // [tile][d][kTile]    (b - centre) log2(e) / h^2
  std::unique_ptr<T[]> coords;    // [tile][kTile][d_padded]  b - centre, then 1 (0 for padding points)
  std::unique_ptr<T[]> bias;      // [tile][kTile]       |b - centre|^2 log2(e) / (2 h^2); padding -inf
  // [tile][n_cat][kTile] category codes, widened to T's lanes so that a tile's
  // codes compare in one vector instruction (padding: 0)
  std::unique_ptr<typename Simd<T>::lane[]> codes;
};

template <class T>
struct KdeProblem {
  PackedClass<T> numer;  // class B
  PackedClass<T> denom;  // contrast set A
  std::vector<T> centre;
  std::vector<T> penalty;  // (n_cat) log2 weight of a differing category (data_sets.hpp), <= 0
  double bandwidth = 1.0;
  int d = 0;
  int n_cat = 0;
};

// Centres and packs both classes, on n_threads threads (<= 0: OpenMP's default);
// throws std::invalid_argument naming numer or denom if either holds NaN or inf.
template <class T>
KdeProblem<T> make_problem(const DataSets<T>& sets, int n_threads);

// Evaluates up to `capacity` candidates at a time on the calling thread; owns
// the scratch memory, so each worker thread holds one.
template <class T>
class Evaluator {
 public:
  // record_top: keep each candidate's heaviest points, for hessian(), in the
  // calls ahead for the candidates want_top() names (by default all).
  Evaluator(const KdeProblem<T>& problem, int capacity, bool record_top = false);
  void want_top(int i, bool wanted) { wanted_[i] = wanted; }
  // log_ratio[count] and grad[count, d] at points (count x d, with codes
  // count x n_cat), count <= capacity; with log_sums, also log S_B and log S_A
  // (the classes' kernel sums) per point.
  void operator()(const T* points, const code_t* codes, int count, T* log_ratio, T* grad,
                  double* log_sums = nullptr);
  // The Hessian of log f (d x d) at candidate i of the last call, from its
  // heaviest points (cpu/top_points.hpp); needs record_top.
  void hessian(int i, double* H);
  // Whether that Hessian held every point within the cut (none dropped for
  // the kHessianPoints cap); needs record_top.
  bool hessian_complete(int i);

 private:
  const KdeProblem<T>& pb_;
  bool record_top_;
  int capacity_;
  int rows_ = 0;
  TopPoints<T> top_[2];        // numer, denom
  std::vector<char> wanted_;   // per candidate row: record its heaviest points
  std::vector<double> mu_;     // hessian(): a class's weighted mean
  std::vector<T> wdev_, dev_;  // hessian(): the kept points, centred, with and without their signed weights
  std::vector<T> xs_, tile_;
  std::vector<typename Simd<T>::lane> xcodes_;  // candidates' codes, capacity x n_cat, each broadcast to W lanes
  std::vector<double> weighted_;
  std::vector<double> max_;  // running max per candidate and class
};

// log_ratio[m] and grad[m, d] at `points` (m rows, caller's coordinates), in parallel.
template <class T>
void evaluate(const KdeProblem<T>& problem, const PointSet<T>& points, T* log_ratio, T* grad, int n_threads);

}  // namespace simpor::cpu
