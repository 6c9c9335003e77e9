// The one description of a posterior-ratio problem that the CPU core, the
// CUDA host code and the bindings share: the two classes with their numeric
// coordinates and categorical codes, and the kernel that compares them.
//
// On mixed data the class densities are product kernels: the Gaussian kernel
// of width h on the numeric coordinates times, per categorical column j,
// Aitchison and Aitken's kernel (weight 1 - lambda_j for an equal category,
// lambda_j / (c_j - 1) for another). Constant factors cancel in the ratio, so
// a (candidate, data point) pair adds to its log weight
//   sum_j [candidate_j != point_j] log_weight_j,
//   log_weight_j = log(lambda_j / ((c_j - 1)(1 - lambda_j))) <= 0,
// which depends only on which categories differ.
#pragma once

#include <cstdint>

#include "simpor/kde_math.hpp"

namespace simpor {

using code_t = std::int32_t;

// Rows of one set, row-major: n x d numeric values and n x n_cat codes (null when n_cat == 0).
template <class T>
struct PointSet {
  const T* points;
  const code_t* codes;
  index_t n;
};

template <class T>
struct DataSets {
  PointSet<T> numer;  // class B, the numerator
  PointSet<T> denom;  // contrast set A, the denominator
  int d;              // numeric features
  int n_cat;          // categorical features
  const double* log_weight;  // (n_cat) log kernel weight of a differing category, <= 0
  double bandwidth;          // h of the numeric kernel

  index_t size() const { return numer.n + denom.n; }
};

// A differing category's log weight in the kernels' log2 score units, rounded
// to T: the one conversion the CPU and GPU cores share.
template <class T>
SIMPOR_HD T log2_penalty(double log_weight) {
  return T(log_weight * kLog2e);
}

// The categorical part of a pair's log weight (natural log units).
SIMPOR_HD double category_term(const code_t* a, const code_t* b, const double* log_weight, int n_cat) {
  double s = 0.0;
  for (int j = 0; j < n_cat; ++j) s += a[j] != b[j] ? log_weight[j] : 0.0;
  return s;
}

}  // namespace simpor
