// Vectors on the sphere |x' - x| = r, x' = x + r u with |u| = 1: tangents,
// rotations along great circles, projections. Host and device maths, d values
// each, accumulated in double whatever T is.
#pragma once

#include "simpor/kde_math.hpp"

namespace simpor {

template <class T>
SIMPOR_HD double dot_of(const T* a, const T* b, int d) {
  double s = 0.0;
  for (int k = 0; k < d; ++k) s += double(a[k]) * double(b[k]);
  return s;
}

template <class T>
SIMPOR_HD double norm_of(const T* v, int d) {
  return sqrt(dot_of(v, v, d));
}

// ---- One projected rotation --------------------------------------------------
//
// The tangent of the gradient is t = g - (g.u) u (paper Algorithm 1, line 5);
// moving along the great circle towards a tangent direction c by angle phi
// gives u' = u cos(phi) + c/|c| sin(phi) (lines 6-7), which keeps x' exactly
// on the sphere. u' is renormalised so rounding never drifts off it.

// Returns |t|, t = g - (g.u)u, and writes t into `tangent` unless it is null.
template <class T>
SIMPOR_HD double tangent_of(const T* grad, const T* u, T* tangent, int d) {
  const double gu = dot_of(grad, u, d);
  double norm2 = 0.0;
  for (int k = 0; k < d; ++k) {
    const double t = double(grad[k]) - gu * double(u[k]);
    if (tangent) tangent[k] = T(t);
    norm2 += t * t;
  }
  return sqrt(norm2);
}

// v -= (v.u) u: v onto the tangent plane at u.
template <class T>
SIMPOR_HD void project_to_tangent(T* v, const T* u, int d) {
  const double vu = dot_of(v, u, d);
  for (int k = 0; k < d; ++k) v[k] = T(double(v[k]) - vu * double(u[k]));
}

// u_out = normalise(u cos(phi) + direction/|direction| sin(phi)).
template <class T>
SIMPOR_HD void rotate_towards(const T* u, const T* direction, double direction_norm, double phi, T* u_out, int d) {
  const double c = cos(phi), s = sin(phi) / direction_norm;
  double norm2 = 0.0;
  for (int k = 0; k < d; ++k) {
    const double v = c * double(u[k]) + s * double(direction[k]);
    norm2 += v * v;
  }
  const double inv = 1.0 / sqrt(norm2);
  for (int k = 0; k < d; ++k) u_out[k] = T((c * double(u[k]) + s * double(direction[k])) * inv);
}

template <class T>
SIMPOR_HD void point_on_sphere(const T* center, double radius, const T* u, T* out, int d) {
  for (int k = 0; k < d; ++k) out[k] = T(double(center[k]) + radius * double(u[k]));
}

// Slope of log f along the circle from u towards the tangent direction c, at
// the trial `angle` on it, from the trial's gradient: r g_t . (-u sin + c/|c| cos).
template <class T>
SIMPOR_HD double circle_slope(const T* trial_grad, const T* u, const T* direction, double direction_norm,
                              double angle, double radius, int d) {
  const double s = sin(angle), c = cos(angle) / direction_norm;
  double slope = 0.0;
  for (int k = 0; k < d; ++k) slope += double(trial_grad[k]) * (c * double(direction[k]) - s * double(u[k]));
  return radius * slope;
}

}  // namespace simpor
