// Limited-memory BFGS on the sphere |x' - x| = r: the newton step rule's
// great circles, from the gradients its trials evaluate anyway. Host and
// device maths.
//
// Why: in angle units, minus the Hessian of log f on the sphere is
// r (g.u) P - r^2 P H P (P the tangent projector; simpor/sphere_newton.hpp):
// a multiple of the tangent identity plus a few stiff directions, one per
// data point that dominates a kernel sum. Steepest ascent zigzags across the
// stiff directions and creeps along the rest (us_crime, d = 100: 70 trials
// per row, 3.7% of the rows still moving after 300); a few gradient
// differences measure the stiff directions, as the hessian rule's Hessian
// does, without the d x d matrix (bench/RESULTS.md, "Newton steps on the
// sphere").
//
// The pairs (Riemannian L-BFGS; Absil, Mahony and Sepulchre, Optimization
// Algorithms on Matrix Manifolds, 2008, ch. 8), with parallel transport along
// the great circle of each step: the rotation that carries u to u' in the
// plane of u and the circle's direction c, and leaves the rest of R^d alone,
// so it keeps the lengths and the s.y of the pairs it carries. After an
// accepted trial that moved u to u' by `angle` along the circle towards c,
//   s = angle (c/|c| cos(angle) - u sin(angle))   the step, carried to u',
//   y = r (Rot t - t')                            the change of the gradient of -log f,
// in radians and nats per radian, with t, t' the tangent gradients at u and
// u'. A pair is kept only where s.y > 0 (log f curves down along the step:
// BFGS needs it to stay positive definite); the pairs held are carried along
// every accepted step, and the oldest is overwritten once kPairs are held.
// The next circle is v = H t' (the two-loop recursion, H0 = (s.y / y.y) I
// from the newest pair), and r |v| is the quasi-Newton angle along it.
// (Projecting t and the pairs onto the new tangent plane instead shortens
// them by cos(angle) along the step: 7.6 instead of 6.8 trials per row on
// abalone, 19.3 instead of 18.8 on us_crime.)
#pragma once

#include "simpor/sphere_geometry.hpp"

namespace simpor {

// Pairs a seed keeps; each costs 2 d values of seed state (the GPU's
// AscentBuffers::bytes_per_seed). Trials per row, full balances
// (bench/trials.py): us_crime (d = 100) 19.9 with 6 pairs, 18.8 with 8,
// 18.0 with 10; optical_digits (d = 64) 16.0, 15.4, 14.9; satimage (d = 36)
// 9.7, 9.6, 9.6.
constexpr int kPairs = 8;

// Least cosine between s and y of a pair that is kept (positive curvature,
// not lost in rounding).
constexpr double kPairCurvature = 1e-8;

// Where a seed's pairs sit in its ring of kPairs rows of s and of y.
struct PairRing {
  int count;   // pairs held, 0..kPairs
  int newest;  // row of the newest
};

SIMPOR_HD PairRing empty_ring() { return {0, kPairs - 1}; }

// Row of the k-th pair, oldest first.
SIMPOR_HD int ring_row(const PairRing& ring, int k) { return (ring.newest - ring.count + 1 + k + kPairs) % kPairs; }

// The rotation of R^d that carries the point along its circle: by `angle` in
// the plane of u and the unit circle direction c, fixed on the rest; it maps
// u to u' and u's tangent plane onto u''s, preserving lengths and angles
// (parallel transport along the great circle). v <- v + (v.c)((cos - 1) c -
// sin u) + (v.u)((cos - 1) u + sin c), with c = circle / circle_norm.
template <class T>
SIMPOR_HD void carry_along(T* v, const T* u, const T* circle, double circle_norm, double cos_a, double sin_a, int d) {
  const double vc = dot_of(v, circle, d) / circle_norm, vu = dot_of(v, u, d);
  for (int k = 0; k < d; ++k) {
    const double c = double(circle[k]) / circle_norm, uk = double(u[k]);
    v[k] = T(double(v[k]) + vc * ((cos_a - 1.0) * c - sin_a * uk) + vu * ((cos_a - 1.0) * uk + sin_a * c));
  }
}

// After a trial moved the point from u (gradient g) by `angle` along the
// circle towards `circle` to u_new (gradient g_new): carries the pairs held
// to u_new's tangent plane and adds this step's pair where its curvature
// allows. pair_s, pair_y: kPairs x d values each.
template <class T>
SIMPOR_HD void remember_step(PairRing& ring, T* pair_s, T* pair_y, const T* u, const T* grad, const T* circle,
                             double circle_norm, double angle, const T* u_new, const T* grad_new, double radius,
                             int d) {
  const double cos_a = cos(angle), sin_a = sin(angle);
  for (int k = 0; k < ring.count; ++k) {
    const int row = ring_row(ring, k);
    carry_along(pair_s + row * d, u, circle, circle_norm, cos_a, sin_a, d);
    carry_along(pair_y + row * d, u, circle, circle_norm, cos_a, sin_a, d);
  }
  // t carried along: t + (t.c)((cos - 1) c - sin u), t = g - (g.u) u being tangent at u
  const double gu = dot_of(grad, u, d), gu_new = dot_of(grad_new, u_new, d);
  const double tc = (dot_of(grad, circle, d) - gu * dot_of(u, circle, d)) / circle_norm;
  const int row = (ring.newest + 1) % kPairs;
  T* ps = pair_s + row * d;
  T* py = pair_y + row * d;
  double sy = 0.0, ss = 0.0, yy = 0.0;
  for (int k = 0; k < d; ++k) {
    const double c = double(circle[k]) / circle_norm, uk = double(u[k]);
    const double t_carried = double(grad[k]) - gu * uk + tc * ((cos_a - 1.0) * c - sin_a * uk);
    const double t_new = double(grad_new[k]) - gu_new * double(u_new[k]);
    ps[k] = T(angle * (cos_a * c - sin_a * uk));
    py[k] = T(radius * (t_carried - t_new));
    sy += double(ps[k]) * double(py[k]);
    ss += double(ps[k]) * double(ps[k]);
    yy += double(py[k]) * double(py[k]);
  }
  if (sy > kPairCurvature * sqrt(ss * yy)) {
    ring.newest = row;
    ring.count = ring.count < kPairs ? ring.count + 1 : kPairs;
  }
}

// s.y / y.y of the newest pair: the scale of L-BFGS's initial inverse Hessian.
template <class T>
SIMPOR_HD double initial_scale(const PairRing& ring, const T* pair_s, const T* pair_y, int d) {
  const T* s = pair_s + ring.newest * d;
  const T* y = pair_y + ring.newest * d;
  return dot_of(s, y, d) / dot_of(y, y, d);
}

// v = H v in place: the L-BFGS inverse of minus the Hessian of log f on the
// sphere (radians per nat per radian) applied to a tangent vector, from the
// pairs held (at least one).
template <class T>
SIMPOR_HD void apply_inverse_hessian(const PairRing& ring, const T* pair_s, const T* pair_y, T* v, int d) {
  double alpha[kPairs], rho[kPairs];
  for (int k = ring.count - 1; k >= 0; --k) {
    const T* s = pair_s + ring_row(ring, k) * d;
    const T* y = pair_y + ring_row(ring, k) * d;
    rho[k] = 1.0 / dot_of(s, y, d);
    alpha[k] = rho[k] * dot_of(s, v, d);
    for (int j = 0; j < d; ++j) v[j] = T(double(v[j]) - alpha[k] * double(y[j]));
  }
  const double gamma = initial_scale(ring, pair_s, pair_y, d);
  for (int j = 0; j < d; ++j) v[j] = T(gamma * double(v[j]));
  for (int k = 0; k < ring.count; ++k) {
    const T* s = pair_s + ring_row(ring, k) * d;
    const T* y = pair_y + ring_row(ring, k) * d;
    const double beta = rho[k] * dot_of(y, v, d);
    for (int j = 0; j < d; ++j) v[j] = T(double(v[j]) + (alpha[k] - beta) * double(s[j]));
  }
}

}  // namespace simpor
