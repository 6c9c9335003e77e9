// Algorithm 1, one seed at a time: the step rules on the sphere |x' - x| = r
// (its geometry: simpor/sphere_geometry.hpp; newton's L-BFGS pairs:
// simpor/sphere_lbfgs.hpp), written once for the CPU and CUDA ascents (which
// differ only in how they batch the evaluations of log f between two steps).
#pragma once

#include "simpor/sphere_geometry.hpp"
#include "simpor/sphere_lbfgs.hpp"

namespace simpor {

// ---- Step rules ----------------------------------------------------------------
//
// Every rule keeps the ascent monotone: a trial is accepted only if it raises
// log f (strictly), and only an accepted trial moves the point.
// newton: quasi-Newton steps on the sphere from gradients only, each with a
//   safeguarded 1-D search on the angle along its great circle. The first
//   circle follows the tangent gradient; after each accepted trial the next
//   one follows the L-BFGS direction v = H t (simpor/sphere_lbfgs.hpp; the
//   tangent gradient again while no pair is held or where v does not
//   ascend), with the quasi-Newton angle r |v| (without pairs: the Newton
//   angle from the last circle's secant curvature), at most `grow` times the
//   last angle. Each trial gives log f and, from its gradient, the slope of
//   log f along its circle; a rejected trial shrinks the angle to the secant
//   root of the slope (or the maximum of the quadratic through log f and the
//   slope), within [0.1, 0.5] of the rejected angle. It stops, converged, at
//   first-order optimality on the sphere: r |t| <= tol, the slope of log f in
//   nats per radian along the steepest circle, or once the angle along the
//   tangent gradient falls below the type's resolution (min_angle: in
//   float32, log f cannot resolve gains that small, so no representable move
//   along the circle raises it); below it on an L-BFGS circle, the search
//   starts again along the tangent gradient with no pairs (restart_newton).
// adaptive: the angle grows by `grow` (capped at pi/2) after an accepted trial
//   and halves after a rejected one; it stops, converged, once the angle falls
//   below `tol` radians or the tangential gradient vanishes.
// fixed (the paper's rule): every trial rotates by `step`; it stops,
//   converged, at the first trial that does not raise f.
// hessian (CPU): newton's search and stopping test, but each accepted point
//   chooses its circle and first angle by Newton's method on the sphere, from
//   the Hessian of log f there (simpor/sphere_newton.hpp); the caller supplies
//   that direction. Fewer trials again where that Hessian is cheap.
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
  double angle;   // the next trial's rotation, radians
  PairRing pairs;  // newton: the L-BFGS pairs held in the seed's ring
};

constexpr double kHalfPi = 1.57079632679489661923;

// Relative size of the tangential gradient below which a point is stationary.
constexpr double kStationary = 1e-12;

// A seed's state: its sphere, its current direction, point and gradient (d
// values each), log f there, the direction of its next great circle (d
// values) and, for newton, its L-BFGS pairs (kPairs x d values each, else null).
template <class T>
struct SeedRef {
  const T* centre;
  double radius;
  T* u;
  T* point;
  T* grad;
  T* log_ratio;
  T* circle;
  T* pair_s;
  T* pair_y;
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

// The rule's state at the evaluated start point; the first circle follows
// the tangent gradient (the hessian rule's caller then sets its own).
template <class T>
SIMPOR_HD SearchState start_search(const StepParams& p, const SeedRef<T>& s, int d) {
  tangent_of(s.grad, s.u, s.circle, d);
  return {p.step, empty_ring()};
}

// Whether the seed's point is stationary: its tangent gradient vanishes or,
// except for adaptive and fixed, r |t| <= tol (the ascent has converged).
SIMPOR_HD bool stationary(const StepParams& p, double radius, double tnorm, double gnorm) {
  if (!(tnorm > kStationary * gnorm)) return true;
  return p.rule != StepRule::adaptive && p.rule != StepRule::fixed && radius * tnorm <= p.tol;
}

// The norm of the circle the seed's next trial rotates along (adaptive and
// fixed: the tangent gradient's, written to s.circle now), or -1 where the
// point is stationary.
template <class T>
SIMPOR_HD double moving_circle(const StepParams& p, const SeedRef<T>& s, int d) {
  const bool gradient_circle = p.rule == StepRule::adaptive || p.rule == StepRule::fixed;
  const double tnorm = tangent_of(s.grad, s.u, gradient_circle ? s.circle : nullptr, d);
  if (stationary(p, s.radius, tnorm, norm_of(s.grad, d))) return -1.0;
  return gradient_circle ? tnorm : norm_of(s.circle, d);
}

// The trial that rotates the seed's point by `angle` along its circle (paper
// Algorithm 1, lines 4-7).
template <class T>
SIMPOR_HD void propose_trial(const SeedRef<T>& s, double circle_norm, double angle, T* trial_u, T* trial_p, int d) {
  rotate_towards(s.u, s.circle, circle_norm, angle, trial_u, d);
  point_on_sphere(s.centre, s.radius, trial_u, trial_p, d);
}

// Smallest angle newton tries: below it the point no longer moves in T.
template <class T>
SIMPOR_HD double min_angle() {
  return 64.0 * (sizeof(T) == 4 ? 1.1920928955078125e-07 : 2.220446049250313e-16);
}

// The angle after a rejected trial at st.angle on a circle of slope0 (> 0)
// whose own slope there is slope_t: the maximum on (0, angle), the root of
// the slope if it turned negative, else the vertex of the quadratic through
// f0, slope0 and ft (ft <= f0), within [0.1, 0.5] of the angle. Returns false
// when it falls below min_angle (the search along this circle is over).
template <class T>
SIMPOR_HD bool backtrack_angle(double f0, double ft, double slope0, double slope_t, SearchState& st) {
  const double angle = st.angle;
  const double quad = (ft - f0 - slope0 * angle) / (angle * angle);
  double next = slope_t < 0.0 ? angle * slope0 / (slope0 - slope_t) : quad < 0.0 ? -slope0 / (2.0 * quad) : 0.5 * angle;
  next = next < 0.1 * angle ? 0.1 * angle : next > 0.5 * angle ? 0.5 * angle : next;
  st.angle = next;
  return next >= min_angle<T>();
}

// newton, at the point an accepted trial reached along a circle of secant
// curvature `curvature` (d2 log f / d phi2 between the two ends, nats per
// radian^2): the next circle into s.circle and its first angle.
template <class T>
SIMPOR_HD void next_newton_circle(const StepParams& p, const SeedRef<T>& s, SearchState& st, double curvature,
                                  int d) {
  const double last = st.angle;
  const double tnorm = tangent_of(s.grad, s.u, s.circle, d);
  double next = last * p.grow;
  if (st.pairs.count > 0) {
    apply_inverse_hessian(st.pairs, s.pair_s, s.pair_y, s.circle, d);
    project_to_tangent(s.circle, s.u, d);  // rounding only
    if (dot_of(s.grad, s.circle, d) > 0.0) {
      const double quasi_newton = s.radius * norm_of(s.circle, d);
      st.angle = quasi_newton < next ? quasi_newton : next;
      st.angle = st.angle < kHalfPi ? st.angle : kHalfPi;
      return;
    }
    st.pairs = empty_ring();  // not an ascent direction: start again from the gradient
    tangent_of(s.grad, s.u, s.circle, d);
  }
  const double slope = s.radius * tnorm;
  if (curvature < 0.0 && slope / -curvature < next) next = slope / -curvature;
  st.angle = next < kHalfPi ? next : kHalfPi;
}

// newton, where the angle along an L-BFGS circle fell below min_angle: the
// search starts again along the tangent gradient, with no pairs, at the
// angle of the newest pair's initial Hessian, (s.y / y.y) r |t|, at most
// `step` (`step` where transport has left that pair without curvature).
// Returns false where that angle is below min_angle too (no representable
// move gains: a maximum to the type's resolution).
template <class T>
SIMPOR_HD bool restart_newton(const StepParams& p, const SeedRef<T>& s, SearchState& st, int d) {
  const double gamma = initial_scale(st.pairs, s.pair_s, s.pair_y, d);
  const double angle = gamma * s.radius * tangent_of(s.grad, s.u, s.circle, d);
  st = {gamma > 0.0 && angle < p.step ? angle : p.step, empty_ring()};
  return st.angle >= min_angle<T>();
}

// Takes the evaluated trial of a seed: accepts it if it raises log f, updates
// the rule's state and returns the seed's status. After an accepted trial the
// hessian rule's caller sets the next circle and angle.
template <class T>
SIMPOR_HD int take_trial(const StepParams& p, const SeedRef<T>& s, SearchState& st, const T* trial_u,
                         const T* trial_p, const T* trial_g, T trial_f, int n_iter, int d) {
  const bool improved = trial_f > *s.log_ratio;  // strict: equal values never move the point
  bool searching = true;
  double curvature = 0.0;
  // hessian's caller sets the circle after an accepted trial: the slopes serve only a rejected one.
  if (p.rule == StepRule::newton || (p.rule == StepRule::hessian && !improved)) {
    const double cnorm = norm_of(s.circle, d);
    const double slope0 = s.radius * dot_of(s.grad, s.circle, d) / cnorm;
    const double slope_t = circle_slope(trial_g, s.u, s.circle, cnorm, st.angle, s.radius, d);
    if (!improved) {
      searching = backtrack_angle<T>(double(*s.log_ratio), double(trial_f), slope0, slope_t, st);
      if (!searching && p.rule == StepRule::newton && st.pairs.count > 0) searching = restart_newton<T>(p, s, st, d);
    } else if (p.rule == StepRule::newton) {
      curvature = (slope_t - slope0) / st.angle;
      remember_step(st.pairs, s.pair_s, s.pair_y, s.u, s.grad, s.circle, cnorm, st.angle, trial_u, trial_g,
                    s.radius, d);
    }
  }
  if (improved) {
    for (int k = 0; k < d; ++k) {
      s.u[k] = trial_u[k];
      s.point[k] = trial_p[k];
      s.grad[k] = trial_g[k];
    }
    *s.log_ratio = trial_f;
    if (p.rule == StepRule::newton) next_newton_circle(p, s, st, curvature, d);
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
