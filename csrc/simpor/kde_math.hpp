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

// ---- Algorithm 1: one projected rotation on the sphere |x' - x| = r --------
//
// The candidate is x' = x + r u with |u| = 1. The tangent of the gradient is
// t = g - (g.u) u (paper line 5); moving along the great circle towards t by
// angle phi gives u' = u cos(phi) + t/|t| sin(phi) (lines 6-7), which keeps x'
// exactly on the sphere. u' is renormalised so rounding never drifts off it.

// Writes t = g - (g.u)u into `tangent` and returns |t|.
template <class T>
SIMPOR_HD double tangent_of(const T* grad, const T* u, T* tangent, int d) {
  double gu = 0.0;
  for (int k = 0; k < d; ++k) gu += double(grad[k]) * double(u[k]);
  double norm2 = 0.0;
  for (int k = 0; k < d; ++k) {
    const double t = double(grad[k]) - gu * double(u[k]);
    tangent[k] = T(t);
    norm2 += t * t;
  }
  return sqrt(norm2);
}

// u_out = normalise(u cos(phi) + tangent/|tangent| sin(phi)).
template <class T>
SIMPOR_HD void rotate_towards(const T* u, const T* tangent, double tangent_norm, double phi,
                              T* u_out, int d) {
  const double c = cos(phi), s = sin(phi) / tangent_norm;
  double norm2 = 0.0;
  for (int k = 0; k < d; ++k) {
    const double v = c * double(u[k]) + s * double(tangent[k]);
    norm2 += v * v;
  }
  const double inv = 1.0 / sqrt(norm2);
  for (int k = 0; k < d; ++k) u_out[k] = T((c * double(u[k]) + s * double(tangent[k])) * inv);
}

template <class T>
SIMPOR_HD void point_on_sphere(const T* center, double radius, const T* u, T* out, int d) {
  for (int k = 0; k < d; ++k) out[k] = T(double(center[k]) + radius * double(u[k]));
}

// ---- Step rule ---------------------------------------------------------------
//
// adaptive (default): a trial that raises log f is accepted and the angle grows
//   by `grow` (capped at pi/2); a trial that does not is rejected and the angle
//   is halved. The ascent stops, converged, once the angle falls below `tol`
//   (no rotation larger than tol raises f: a local maximum to within tol) or
//   the tangential gradient vanishes.
// fixed (the paper's rule): every trial rotates by `step`; the ascent stops,
//   converged, at the first trial that does not raise f.
enum class StepRule : int { adaptive = 0, fixed = 1 };

struct StepParams {
  StepRule rule;
  double step;      // initial (adaptive) or constant (fixed) angle, radians
  double tol;       // smallest angle tried before declaring convergence
  double grow;      // angle multiplier after an accepted trial (adaptive)
  int max_iter;     // maximum number of trials (each costs one kernel pass)
};

enum SeedStatus : int { seed_active = 0, seed_converged = 1, seed_exhausted = 2 };

constexpr double kHalfPi = 1.57079632679489661923;

// Relative size of the tangential gradient below which a point is stationary.
constexpr double kStationary = 1e-12;

// Updates the angle after a trial; returns the seed's new status.
SIMPOR_HD int after_trial(const StepParams& p, bool improved, int n_iter, double& angle) {
  if (p.rule == StepRule::fixed) {
    if (!improved) return seed_converged;
  } else if (improved) {
    angle = angle * p.grow < kHalfPi ? angle * p.grow : kHalfPi;
  } else {
    angle *= 0.5;
    if (angle < p.tol) return seed_converged;
  }
  return n_iter >= p.max_iter ? seed_exhausted : seed_active;
}

SIMPOR_HD bool is_stationary(double tangent_norm, double grad_norm) {
  return !(tangent_norm > kStationary * grad_norm);
}

}  // namespace simpor
