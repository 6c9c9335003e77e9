// Building StepParams from the names and numbers a caller gives (host only):
// the one place the step-rule names and their controls are checked.
#pragma once

#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>

#include "simpor/ascent_step.hpp"

namespace simpor {

// tol when none is given: adaptive stops below a milliradian (each row within
// 1e-3 r of its maximum); newton and hessian at a slope of 1e-4 nats per
// radian (auto: either), where no rotation of 1e-2 rad changes log f by more
// than 1e-6 (fixed ignores it).
inline double default_tol(StepRule rule) {
  return rule == StepRule::adaptive || rule == StepRule::fixed ? 1e-3 : 1e-4;
}

inline StepRule step_rule_named(const std::string& name) {
  for (int r = 0; r < int(std::size(kStepRuleNames)); ++r)
    if (name == kStepRuleNames[r]) return StepRule(r);
  std::string known;
  for (const char* n : kStepRuleNames) known += std::string(known.empty() ? "'" : ", '") + n + "'";
  throw std::invalid_argument("step_rule must be one of " + known + ", got '" + name + "'");
}

inline StepParams make_step_params(const std::string& rule_name, long long max_iter, double step,
                                   std::optional<double> tol_given, double grow) {
  const StepRule rule = step_rule_named(rule_name);
  const double tol = tol_given.value_or(default_tol(rule));
  const auto fail = [](const std::string& what) { throw std::invalid_argument(what); };
  if (max_iter < 0 || max_iter > 1000000000) fail("max_iter must be an integer in [0, 1e9], got " + std::to_string(max_iter));
  if (!(std::isfinite(step) && step > 0 && step <= kHalfPi))
    fail("step must be an angle in (0, pi/2] radians, got " + std::to_string(step));
  if (!(std::isfinite(tol) && tol > 0)) fail("tol must be a finite number > 0, got " + std::to_string(tol));
  if (rule == StepRule::adaptive && tol > step)
    fail("tol must be <= step for the adaptive rule (both radians), got tol " + std::to_string(tol) + " > step " +
         std::to_string(step));
  if (!(std::isfinite(grow) && grow >= 1)) fail("grow must be >= 1, got " + std::to_string(grow));
  return {rule, step, tol, grow, int(max_iter)};
}

// Everything an ascent is told besides its data: the step rule's controls and
// how exactly log f is evaluated (kde_tol, nats).
struct AscentSpec {
  StepParams step;
  double kde_tol;
};

inline AscentSpec make_ascent_spec(const std::string& rule_name, long long max_iter, double step,
                                   std::optional<double> tol, double grow, double kde_tol) {
  if (!(std::isfinite(kde_tol) && kde_tol >= 0))
    throw std::invalid_argument("kde_tol must be a finite number >= 0, got " + std::to_string(kde_tol));
  return {make_step_params(rule_name, max_iter, step, tol, grow), kde_tol};
}

}  // namespace simpor
