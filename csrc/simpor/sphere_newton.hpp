// Newton's method on the sphere |x' - x| = r (the hessian step rule): the
// direction of the next great circle and its first angle, from log f's
// gradient g and Hessian H at x' = x + r u. Host and device maths.
#pragma once

#include <stdexcept>

#include "simpor/ascent_step.hpp"  // StepRule

namespace simpor {

// Largest d the hessian rule builds a d x d system for (O(d^2) memory and
// O(d^3) per accepted point); above it the rule steps like newton.
constexpr int kHessianMaxFeatures = 256;

// The Hessian of log f, (Cov_B - Cov_A) / h^4, is taken over each class's
// heaviest points only: those within kHessianCut nats of its largest weight,
// at most kHessianPoints of them. That changes the direction of a circle,
// never log f, its gradient or whether a trial is accepted. In
// bench/sphere_newton.py (--cut 8 --keep 256) it cost no extra trials on 30-D
// and 100-D data, 0.8 more per row on satimage and 4.4 on mammography (dense
// data, where the cap binds: hence auto's choice below).
constexpr double kHessianCut = 8.0;
constexpr int kHessianPoints = 256;

// The rule a backend runs: auto is newton where the hessian rule is not
// available, and hessian there is an error (std::invalid_argument, before any
// work); hessian and auto step like newton above kHessianMaxFeatures.
inline StepRule rule_to_run(StepRule rule, int d, bool hessian_available) {
  if (rule == StepRule::hessian && !hessian_available)
    throw std::invalid_argument("step_rule='hessian' runs on the CPU only; on the GPU use 'newton' (step_rule='auto' "
                                "picks it)");
  if (rule == StepRule::automatic && !hessian_available) return StepRule::newton;
  const bool hessian = rule == StepRule::hessian || rule == StepRule::automatic;
  return hessian && d > kHessianMaxFeatures ? StepRule::newton : rule;
}

// auto, per seed, from the pass that evaluated its start point: hessian steps
// where that point's Hessian was exact to the cut (fewer than kHessianPoints
// points per class within kHessianCut nats) or is cheap whatever it holds
// (2 kHessianPoints d^2 multiply-adds, at most an eighth of a pass over the n
// data points at 2d each); newton steps elsewhere, where dense low-dimensional
// data would make the Hessian costly and truncated (bench/trials.py).
inline bool hessian_is_cheap(index_t n_points, int d) { return n_points >= 8 * index_t(kHessianPoints) * d; }

// Cholesky of M + shift I in place: M's lower triangle is read from the upper
// triangle and `diag`, L is written to the lower triangle. False where a pivot
// falls below 1e-12 of `scale` (not numerically positive definite).
SIMPOR_HD bool shifted_cholesky(double* M, const double* diag, double shift, double scale, int d) {
  for (int j = 0; j < d; ++j) {
    double p = diag[j] + shift;
    for (int k = 0; k < j; ++k) p -= M[j * d + k] * M[j * d + k];
    if (!(p > 1e-12 * scale)) return false;
    const double l = sqrt(p);
    M[j * d + j] = l;
    for (int i = j + 1; i < d; ++i) {
      double s = M[j * d + i];  // M_ij from the upper triangle
      for (int k = 0; k < j; ++k) s -= M[i * d + k] * M[j * d + k];
      M[i * d + j] = s / l;
    }
  }
  return true;
}

// In angle units (the tangent plane scaled by r), Newton's system on the
// sphere is M v = r t with t = P g the tangent gradient, P = I - u u^T and
//   M = -r^2 P H P + r (g.u) P + u u^T,
// minus the Riemannian Hessian of log f on the tangent plane, plus u u^T so M
// is invertible (its u-block is 1 and r t has no u-part). Near a maximum M is
// positive definite and the solution v is the rotation, in radians, to its
// quadratic model's top. Elsewhere the model has no top, and v solves
// (M + lambda I) v = r t with the least lambda of 1e-6, 3e-6, 9e-6, ... times
// M's largest |diagonal entry| that makes it positive definite (Levenberg-
// Marquardt: between Newton's step and a short step along t, always an
// ascent direction; steps bounded by a trust radius took more trials).
// Returns |v| with v in `dir`, or -1 where no shift works (the caller then
// steps along t). H (d x d, row-major) is overwritten; `work`: 2d values.
template <class T>
SIMPOR_HD double sphere_newton_direction(const T* u, const T* g, double radius, double* H, double* work, T* dir,
                                         int d) {
  double gu = 0.0, uhu = 0.0;
  for (int i = 0; i < d; ++i) gu += double(g[i]) * double(u[i]);
  for (int i = 0; i < d; ++i) {  // work = H u
    double s = 0.0;
    for (int j = 0; j < d; ++j) s += H[i * d + j] * double(u[j]);
    work[i] = s;
    uhu += s * double(u[i]);
  }
  const double r2 = radius * radius, rgu = radius * gu;
  double* diag = work + d;
  for (int i = 0; i < d; ++i)
    for (int j = i; j < d; ++j) {  // M into the upper triangle; P H P = H - u w^T - w u^T + (u.w) u u^T
      const double ui = double(u[i]), uj = double(u[j]);
      const double php = H[i * d + j] - ui * work[j] - work[i] * uj + uhu * ui * uj;
      H[i * d + j] = -r2 * php + rgu * ((i == j ? 1.0 : 0.0) - ui * uj) + ui * uj;
    }
  double scale = 0.0;
  for (int i = 0; i < d; ++i) {
    diag[i] = H[i * d + i];
    scale = fabs(diag[i]) > scale ? fabs(diag[i]) : scale;
  }
  bool solved = shifted_cholesky(H, diag, 0.0, scale, d);
  for (double shift = 1e-6 * scale; !solved && shift <= 1e6 * scale; shift *= 3.0)
    solved = shifted_cholesky(H, diag, shift, scale, d);
  if (!solved) return -1.0;
  for (int i = 0; i < d; ++i) {  // L y = r t, t = g - (g.u) u
    double s = radius * (double(g[i]) - gu * double(u[i]));
    for (int k = 0; k < i; ++k) s -= H[i * d + k] * work[k];
    work[i] = s / H[i * d + i];
  }
  for (int i = d - 1; i >= 0; --i) {  // L^T v = y
    double s = work[i];
    for (int k = i + 1; k < d; ++k) s -= H[k * d + i] * work[k];
    work[i] = s / H[i * d + i];
  }
  double vu = 0.0;
  for (int i = 0; i < d; ++i) vu += work[i] * double(u[i]);
  double norm2 = 0.0, vt = 0.0;
  for (int i = 0; i < d; ++i) {  // back onto the tangent plane (rounding only)
    const double v = work[i] - vu * double(u[i]);
    dir[i] = T(v);
    norm2 += v * v;
    vt += v * (double(g[i]) - gu * double(u[i]));
  }
  return vt > 0.0 && norm2 > 0.0 ? sqrt(norm2) : -1.0;
}

}  // namespace simpor
