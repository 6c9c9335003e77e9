// CPU evaluation of log f and grad log f for a batch of candidates.
#pragma once

#include <vector>

#include "simpor/kde_math.hpp"

namespace simpor::cpu {

// Points of one class laid out for the streaming kernel: tiles of `kTile`
// points, stored both feature-major (for the score GEMM, pre-divided by h^2)
// and point-major (for the weighted-sum GEMM). Coordinates are relative to a
// common centre so float32 scores keep their precision.
constexpr int kTile = 128;

template <class T>
struct PackedClass {
  index_t n = 0;
  int d = 0;
  int d_padded = 0;  // d rounded up to the vector width
  index_t n_tiles = 0;
  std::vector<T> scaled_t;  // [tile][d][kTile]    (b - centre) / h^2
  std::vector<T> coords;    // [tile][kTile][d_padded]  b - centre
  std::vector<T> bias;      // [tile][kTile]       |b - centre|^2 / (2 h^2); padding scores -inf
};

template <class T>
struct KdeProblem {
  PackedClass<T> numer;  // class B
  PackedClass<T> denom;  // contrast set A
  std::vector<T> centre;
  double bandwidth = 1.0;
  int d = 0;
};

template <class T>
KdeProblem<T> make_problem(const T* numer, index_t n_numer, const T* denom, index_t n_denom, int d,
                           double bandwidth);

// log_ratio[m] and grad[m, d] at `points` (m x d, caller's coordinates).
template <class T>
void evaluate(const KdeProblem<T>& problem, const T* points, index_t m, T* log_ratio, T* grad,
              int n_threads);

}  // namespace simpor::cpu
