// Certified local evaluation (kde_tol > 0): the data points that can matter to
// the ascent of a piece of seeds, whose spheres have centres x_s and radii at
// most r_s.
//
// Every trial point x' lies on one of those spheres, so
// |x' - p| >= g_p = min_s max(0, |x_s - p| - r_s) and point p adds at most
// exp(-g_p^2 / 2h^2) to its class's kernel sum S_C(x'), at every trial. The
// farthest points are dropped while the sum of their bounds, D_C, stays within
// a small fraction of the class's typical sum on the sphere; then at every
// trial the local sum S_loc_C <= S_C <= S_loc_C + D_C, so
//   |log f_local - log f| <= max_C log1p(D_C / S_loc_C),
// which the ascent checks at every trial (certified()). A piece whose check
// fails runs again on all the data.
#pragma once

#include <cmath>
#include <vector>

#include "cpu/kde_cpu.hpp"

namespace simpor::cpu {

template <class T>
struct LocalSet {
  KdeProblem<T> problem;     // the kept points of both classes, packed
  double log_dropped[2];     // log D_C (numer, denom): -inf when nothing was dropped
  index_t n_kept = 0;
};

// A sphere centre of a piece with its seeds' category codes, and the largest
// radius of its seeds there.
template <class T>
struct Ball {
  const T* centre;
  const code_t* codes;
  double radius;
};

// What a selection may drop, per class: expm1(kde_tol) times
//   typical:    a margin (1e-3) of the typical kernel sum on the spheres,
//               sum_p exp(-(|x_s - p|^2 + r_s^2) / 2h^2) (a random direction
//               is nearly orthogonal to x_s - p): small sets, and checks that
//               rarely fail;
//   worst_case: the least kernel sum any point of the spheres can have,
//               sum_p exp(-(|x_s - p| + r_s)^2 / 2h^2): larger sets, and
//               checks that fail only through the points' own bounds.
// (the least over the balls; each term times the categorical factor
// between the ball's codes and the point's).
enum class Budget { typical, worst_case };

// The kept points for a piece's balls, dropping what kde_tol (nats, > 0) and
// the budget allow; packed only if there are at most max_kept (else only
// n_kept is set: the caller runs the piece on all the data).
template <class T>
LocalSet<T> select_local(const DataSets<T>& sets, const std::vector<Ball<T>>& balls, double kde_tol, Budget budget,
                         index_t max_kept);

// Test hook: the fraction of expm1(kde_tol) times a class's typical sum that
// a selection may drop (default 1e-3). A huge margin drops nearly everything,
// so the checks fail and the seeds run on all the data.
void set_local_margin(double margin);

// Whether the local sums (true log sums, natural units) certify log f to kde_tol.
inline bool certified(const double log_dropped[2], double log_sum_numer, double log_sum_denom, double kde_tol) {
  const double gap = std::fmax(log_dropped[0] - log_sum_numer, log_dropped[1] - log_sum_denom);
  return std::log1p(std::exp(gap)) <= kde_tol;
}

}  // namespace simpor::cpu
