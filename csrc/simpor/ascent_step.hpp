// Algorithm 1, one seed at a time: the rotation on the sphere |x' - x| = r and
// the step rules, written once for the CPU and CUDA ascents (which differ only
// in how they batch the evaluations of log f between two steps).
#pragma once

#include "simpor/kde_math.hpp"

namespace simpor {

// ---- One projected rotation --------------------------------------------------
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
SIMPOR_HD void rotate_towards(const T* u, const T* tangent, double tangent_norm, double phi, T* u_out, int d) {
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

// ---- Step rules ----------------------------------------------------------------
//
// Every rule keeps the ascent monotone: a trial is accepted only if it raises
// log f (strictly), and only an accepted trial moves the point.
// newton (default): a safeguarded 1-D search on the angle along the great
//   circle through the point and its tangent gradient. Each trial gives log f
//   and, from its gradient, the slope of log f along that circle; an accepted
//   trial moves the point and the next circle follows its tangent gradient,
//   with a Newton angle from the secant curvature of the last circle; a
//   rejected trial shrinks the angle to the secant root of the slope (or the
//   maximum of the quadratic through log f and the slope), within [0.1, 0.5]
//   of the rejected angle. It stops, converged, at first-order optimality on
//   the sphere: r |t| <= tol, the slope of log f in nats per radian along the
//   steepest circle, or once the angle falls below the type's resolution
//   (min_angle: in float32, log f cannot resolve gains that small, so no
//   representable move along the circle raises it).
// adaptive: the angle grows by `grow` (capped at pi/2) after an accepted trial
//   and halves after a rejected one; it stops, converged, once the angle falls
//   below `tol` radians or the tangential gradient vanishes.
// fixed (the paper's rule): every trial rotates by `step`; it stops,
//   converged, at the first trial that does not raise f.
// hessian (CPU): newton's search and stopping test, but each accepted point
//   chooses its circle and first angle by Newton's method on the sphere, from
//   the Hessian of log f there (simpor/sphere_newton.hpp); the caller supplies
//   that direction. Same maxima, several times fewer trials in high dimension.
// auto (default): per seed, hessian where its Hessian is exact or cheap,
//   newton elsewhere (simpor/sphere_newton.hpp); newton on the GPU.
enum class StepRule : int { adaptive = 0, fixed = 1, newton = 2, hessian = 3, automatic = 4 };

// The rules' names, indexed by StepRule (the Python layer reads them from here).
constexpr const char* kStepRuleNames[] = {"adaptive", "fixed", "newton", "hessian", "auto"};

struct StepParams {
  StepRule rule;
  double step;      // first (adaptive, newton) or every (fixed) angle, radians
  double tol;       // adaptive: smallest angle (radians); newton: slope (nats per radian)
  double grow;      // largest growth of the angle after an accepted trial
  int max_iter;     // maximum number of trials (each costs one kernel pass)
};

enum SeedStatus : int { seed_active = 0, seed_converged = 1, seed_exhausted = 2 };

// What a rule carries from one trial to the next.
struct SearchState {
  double angle;      // the next trial's rotation, radians
  double curvature;  // newton: d2 log f / d phi2 along the last circle (< 0 when known)
};

constexpr double kHalfPi = 1.57079632679489661923;

// Relative size of the tangential gradient below which a point is stationary.
constexpr double kStationary = 1e-12;

// A seed's state: its sphere, its current direction, point and gradient (d
// values each) and log f there.
template <class T>
struct SeedRef {
  const T* centre;
  double radius;
  T* u;
  T* point;
  T* grad;
  T* log_ratio;
};

// What an ascent writes, one entry per seed.
template <class T>
struct AscentOut {
  T* points;                // (m, d)
  T* log_ratio;             // (m)
  std::int32_t* n_iter;     // (m) trials of the run that produced the point
  std::uint8_t* converged;  // (m)
  std::int64_t* pairs;      // (m) (trial point, data point) pairs evaluated
  std::int64_t* finished;   // seeds done so far, counted while the call runs (a progress counter), or null
};

// Status after the start point was evaluated.
SIMPOR_HD int start_status(const StepParams& p, double radius) {
  if (radius == 0.0) return seed_converged;  // the sphere is a point
  return p.max_iter <= 0 ? seed_exhausted : seed_active;
}

SIMPOR_HD SearchState start_search(const StepParams& p) { return {p.step, 0.0}; }

template <class T>
SIMPOR_HD double norm_of(const T* v, int d) {
  double s = 0.0;
  for (int k = 0; k < d; ++k) s += double(v[k]) * double(v[k]);
  return sqrt(s);
}

// The seed's tangent gradient t (into `tangent`) and |t|, or -1 when the
// point is stationary: the ascent has converged (newton: r |t| <= tol).
template <class T>
SIMPOR_HD double moving_tangent(const StepParams& p, const SeedRef<T>& s, T* tangent, int d) {
  const double tnorm = tangent_of(s.grad, s.u, tangent, d);
  if (!(tnorm > kStationary * norm_of(s.grad, d))) return -1.0;
  if (p.rule != StepRule::adaptive && p.rule != StepRule::fixed && s.radius * tnorm <= p.tol) return -1.0;
  return tnorm;
}

// The trial that rotates the seed's point by `angle` towards its tangent
// gradient (paper Algorithm 1, lines 4-7).
template <class T>
SIMPOR_HD void propose_trial(const SeedRef<T>& s, const T* tangent, double tnorm, double angle, T* trial_u, T* trial_p,
                             int d) {
  rotate_towards(s.u, tangent, tnorm, angle, trial_u, d);
  point_on_sphere(s.centre, s.radius, trial_u, trial_p, d);
}

// Smallest angle newton tries: below it the point no longer moves in T.
template <class T>
SIMPOR_HD double min_angle() {
  return 64.0 * (sizeof(T) == 4 ? 1.1920928955078125e-07 : 2.220446049250313e-16);
}

// newton's next angle after a trial at `angle` on the circle of slope0 (> 0)
// whose own slope along the circle is slope_t; returns false when the angle
// has fallen below min_angle (the search is over).
template <class T>
SIMPOR_HD bool newton_angle(const StepParams& p, bool improved, double f0, double ft, double slope0, double slope_t,
                            double slope_next, SearchState& st) {
  const double angle = st.angle;
  const double curvature = (slope_t - slope0) / angle;  // secant along this circle
  if (improved) {
    st.curvature = curvature;
    double next = angle * p.grow;
    if (curvature < 0.0 && slope_next / -curvature < next) next = slope_next / -curvature;
    st.angle = next < kHalfPi ? next : kHalfPi;
    return true;
  }
  // The maximum on (0, angle): the root of the slope if it turned negative,
  // else the vertex of the quadratic through f0, slope0 and ft (ft <= f0).
  const double quad = (ft - f0 - slope0 * angle) / (angle * angle);
  double next = slope_t < 0.0 ? angle * slope0 / (slope0 - slope_t) : quad < 0.0 ? -slope0 / (2.0 * quad) : 0.5 * angle;
  next = next < 0.1 * angle ? 0.1 * angle : next > 0.5 * angle ? 0.5 * angle : next;
  st.angle = next;
  return next >= min_angle<T>();
}

// Slope of log f along the circle from u towards the unit tangent t_hat, at
// the trial `angle` on it, from the trial's gradient: r g_t . (-u sin + t_hat cos).
template <class T>
SIMPOR_HD double circle_slope(const T* trial_grad, const T* u, const T* tangent, double tnorm, double angle,
                              double radius, int d) {
  const double s = sin(angle), c = cos(angle) / tnorm;
  double slope = 0.0;
  for (int k = 0; k < d; ++k) slope += double(trial_grad[k]) * (c * double(tangent[k]) - s * double(u[k]));
  return radius * slope;
}

// Takes the evaluated trial of a seed: accepts it if it raises log f, updates
// the rule's state and returns the seed's status. `scratch`: d values.
// `circle`: the hessian rule's direction the trial rotated towards (else
// unused); after an accepted trial that rule's caller sets the next circle
// and angle.
template <class T>
SIMPOR_HD int take_trial(const StepParams& p, const SeedRef<T>& s, SearchState& st, const T* trial_u,
                         const T* trial_p, const T* trial_g, T trial_f, int n_iter, T* scratch, int d,
                         const T* circle = nullptr) {
  const bool improved = trial_f > *s.log_ratio;  // strict: equal values never move the point
  bool searching = true;
  if (p.rule == StepRule::hessian && !improved) {
    const double cnorm = norm_of(circle, d);
    double g0 = 0.0;
    for (int k = 0; k < d; ++k) g0 += double(s.grad[k]) * double(circle[k]);
    const double slope0 = s.radius * g0 / cnorm;
    const double slope_t = circle_slope(trial_g, s.u, circle, cnorm, st.angle, s.radius, d);
    searching = newton_angle<T>(p, false, double(*s.log_ratio), double(trial_f), slope0, slope_t, 0.0, st);
  } else if (p.rule == StepRule::newton) {
    const double tnorm = tangent_of(s.grad, s.u, scratch, d);
    const double slope0 = s.radius * tnorm;
    const double slope_t = circle_slope(trial_g, s.u, scratch, tnorm, st.angle, s.radius, d);
    const double slope_next = improved ? s.radius * tangent_of(trial_g, trial_u, scratch, d) : 0.0;
    searching = newton_angle<T>(p, improved, double(*s.log_ratio), double(trial_f), slope0, slope_t, slope_next, st);
  }
  if (improved) {
    for (int k = 0; k < d; ++k) {
      s.u[k] = trial_u[k];
      s.point[k] = trial_p[k];
      s.grad[k] = trial_g[k];
    }
    *s.log_ratio = trial_f;
  }
  if (p.rule == StepRule::fixed) {
    if (!improved) return seed_converged;
  } else if (p.rule == StepRule::adaptive) {
    if (improved) {
      st.angle = st.angle * p.grow < kHalfPi ? st.angle * p.grow : kHalfPi;
    } else {
      st.angle *= 0.5;
      if (st.angle < p.tol) return seed_converged;
    }
  } else if (!searching) {
    return seed_converged;  // a maximum to the type's resolution
  }
  return n_iter >= p.max_iter ? seed_exhausted : seed_active;
}

}  // namespace simpor
