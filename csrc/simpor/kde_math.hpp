// The posterior-ratio maths of SIMPOR, written once for the CPU and CUDA backends.
//
// For a candidate x, a numerator class B, a contrast set A and bandwidth h
// (paper eq. 9-12, Gaussian kernels, priors cancel):
//   log f(x)   = LSE_b(s_b) - LSE_a(s_a),       s_c = -|x - c|^2 / (2 h^2)
//   grad log f = (mu_B(x) - mu_A(x)) / h^2,     mu_C = sum_c softmax(s_c) c
// Both come from one streaming pass per class with an online log-sum-exp: a
// running maximum, a running sum of exp(s - max) and a running weighted sum of
// points, rescaled whenever the maximum grows (the flash-attention recurrence).
// No m x n matrix is ever formed, and the result is finite for any h > 0.
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define SIMPOR_HD __host__ __device__ __forceinline__
#else
#define SIMPOR_HD inline
#endif

namespace simpor {

using index_t = std::int64_t;

constexpr double kLog2e = 1.4426950408889634074, kLn2 = 0.69314718055994530942;

// Factor that rescales sums taken relative to `old_max` to a new maximum (no
// exp call in the common case of an unchanged maximum).
SIMPOR_HD double lse_rescale(double old_max, double new_max) {
  return old_max == -INFINITY ? 0.0 : old_max == new_max ? 1.0 : exp(old_max - new_max);
}

// Factors that bring the running sums (taken relative to `running_max`) and a
// new block's sums (relative to `block_max`) to their common maximum, which
// becomes the new `running_max` (-inf before the first block).
struct MergeFactors {
  double old_scale;
  double block_scale;
};

SIMPOR_HD MergeFactors lse_rebase(double& running_max, double block_max) {
  const double new_max = running_max > block_max ? running_max : block_max;
  const MergeFactors f{lse_rescale(running_max, new_max), lse_rescale(block_max, new_max)};
  running_max = new_max;
  return f;
}

// log sum_c exp(s_c), given the sum of exp(s_c - max).
SIMPOR_HD double lse_value(double max, double sum) { return max + log(sum); }

}  // namespace simpor
