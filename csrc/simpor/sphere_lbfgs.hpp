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
// The pairs (Riemannian L-BFGS with vector transport by projection; Absil,
// Mahony and Sepulchre, Optimization Algorithms on Matrix Manifolds, 2008,
// ch. 8): after an accepted trial that moved
// u to u' by `angle` along the circle towards c,
//   s = angle (c/|c| cos(angle) - u sin(angle))   the step, carried along its circle to u',
//   y = r (P' t - t')                             the change of the gradient of -log f,
// in radians and nats per radian, with t, t' the tangent gradients at u and
// u' and P' the projector at u'. A pair is kept only where s.y > 0 (log f
// curves down along the step: BFGS needs it to stay positive definite); the
// stored pairs are projected onto each new tangent plane, and the oldest is
// overwritten once kPairs are held. The next circle is v = H t (the two-loop
// recursion, H0 = (s.y / y.y) I from the newest pair), and r |v| is the
// quasi-Newton angle along it.
#pragma once

#include "simpor/sphere_geometry.hpp"

namespace simpor {

// Pairs a seed keeps; each costs 2 d values of seed state (the GPU's
// AscentBuffers::bytes_per_seed). Trials per row on us_crime (d = 100, 400
// rows): 20.1 with 6 pairs, 19.1 with 8, 18.3 with 10; on satimage (d = 36)
// 10.2, 10.2, 10.1 (bench/RESULTS.md, "newton: L-BFGS circles").
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

// After a trial moved the point from u (gradient g) by `angle` along the
// circle towards `circle` to u_new (gradient g_new): moves the pairs held to
// u_new's tangent plane and adds this step's pair where its curvature allows.
// pair_s, pair_y: kPairs x d values each.
template <class T>
SIMPOR_HD void remember_step(PairRing& ring, T* pair_s, T* pair_y, const T* u, const T* grad, const T* circle,
                             double circle_norm, double angle, const T* u_new, const T* grad_new, double radius,
                             int d) {
  for (int k = 0; k < ring.count; ++k) {
    const int row = ring_row(ring, k);
    project_to_tangent(pair_s + row * d, u_new, d);
    project_to_tangent(pair_y + row * d, u_new, d);
  }
  const double gu = dot_of(grad, u, d), gu_new = dot_of(grad_new, u_new, d);
  const double tu_new = dot_of(grad, u_new, d) - gu * dot_of(u, u_new, d);  // t . u_new
  const double c = cos(angle) / circle_norm, s = sin(angle);
  const int row = (ring.newest + 1) % kPairs;
  T* ps = pair_s + row * d;
  T* py = pair_y + row * d;
  double sy = 0.0, ss = 0.0, yy = 0.0;
  for (int k = 0; k < d; ++k) {
    const double t = double(grad[k]) - gu * double(u[k]);
    const double t_new = double(grad_new[k]) - gu_new * double(u_new[k]);
    ps[k] = T(angle * (c * double(circle[k]) - s * double(u[k])));
    py[k] = T(radius * (t - tu_new * double(u_new[k]) - t_new));
    sy += double(ps[k]) * double(py[k]);
    ss += double(ps[k]) * double(ps[k]);
    yy += double(py[k]) * double(py[k]);
  }
  if (sy > kPairCurvature * sqrt(ss * yy)) {
    ring.newest = row;
    ring.count = ring.count < kPairs ? ring.count + 1 : kPairs;
  }
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
  const T* s_new = pair_s + ring.newest * d;
  const T* y_new = pair_y + ring.newest * d;
  const double gamma = dot_of(s_new, y_new, d) / dot_of(y_new, y_new, d);
  for (int j = 0; j < d; ++j) v[j] = T(gamma * double(v[j]));
  for (int k = 0; k < ring.count; ++k) {
    const T* s = pair_s + ring_row(ring, k) * d;
    const T* y = pair_y + ring_row(ring, k) * d;
    const double beta = rho[k] * dot_of(y, v, d);
    for (int j = 0; j < d; ++j) v[j] = T(double(v[j]) + (alpha[k] - beta) * double(s[j]));
  }
}

}  // namespace simpor
