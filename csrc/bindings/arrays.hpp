// Array conversion and shape checks shared by the _core and _cuda bindings.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>
#include <string>

#include "simpor/step_params.hpp"

namespace simpor::bind {

namespace py = pybind11;

template <class T>
using carray = py::array_t<T, py::array::c_style | py::array::forcecast>;

inline std::string shape_of(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

// Checks `a` is (rows, d); rows < 0 or d < 0 accept any size. Returns rows.
inline index_t check_matrix(const py::array& a, const char* name, index_t rows, index_t d) {
  if (a.ndim() != 2 || (rows >= 0 && a.shape(0) != rows) || (d >= 0 && a.shape(1) != d))
    throw py::value_error(std::string(name) + " must have shape (" + (rows >= 0 ? std::to_string(rows) : "n") +
                          ", " + (d >= 0 ? std::to_string(d) : "d") + "), got " + shape_of(a));
  return a.shape(0);
}

inline void check_vector(const py::array& a, const char* name, index_t n) {
  if (a.ndim() != 1 || a.shape(0) != n)
    throw py::value_error(std::string(name) + " must have shape (" + std::to_string(n) + ",), got " + shape_of(a));
}

inline void check_sets(const py::array& numer, const py::array& denom, index_t d) {
  if (check_matrix(numer, "numer", -1, d) == 0) throw py::value_error("numer (class B) is empty");
  if (check_matrix(denom, "denom", -1, d) == 0) throw py::value_error("denom (contrast set A) is empty");
}

inline StepParams step_params(long long max_iter, double step, std::optional<double> tol, double grow,
                              const std::string& rule) {
  try {
    return make_step_params(rule, max_iter, step, tol, grow);
  } catch (const std::invalid_argument& e) {
    throw py::value_error(e.what());
  }
}

// The validated sizes of a call: m candidates or seeds, d features, n points per class.
struct CallShape {
  index_t m, d, n_numer, n_denom;
};

// Checks the arrays of a log_ratio_grad call, runs `check(shape)` with the GIL
// held (backend-specific limits), then `run(shape, log_ratio, grad)` without it.
template <class T, class Check, class Run>
py::tuple log_ratio_grad_call(const carray<T>& points, const carray<T>& numer, const carray<T>& denom, Check check,
                              Run run) {
  const index_t d = points.ndim() == 2 ? points.shape(1) : -1;
  const index_t m = check_matrix(points, "points", -1, -1);
  check_sets(numer, denom, d);
  const CallShape shape{m, d, numer.shape(0), denom.shape(0)};
  check(shape);
  carray<T> log_ratio(m);
  carray<T> grad({m, d});
  {
    py::gil_scoped_release release;
    run(shape, log_ratio.mutable_data(), grad.mutable_data());
  }
  return py::make_tuple(log_ratio, grad);
}

// The same for an ascend call: run(shape, points, log_ratio, n_iter, converged).
template <class T, class Check, class Run>
py::tuple ascend_call(const carray<T>& seeds, const carray<T>& radii, const carray<T>& directions,
                      const carray<T>& numer, const carray<T>& denom, Check check, Run run) {
  const index_t d = seeds.ndim() == 2 ? seeds.shape(1) : -1;
  const index_t m = check_matrix(seeds, "seeds", -1, -1);
  check_vector(radii, "radii", m);
  check_matrix(directions, "directions", m, d);
  check_sets(numer, denom, d);
  const CallShape shape{m, d, numer.shape(0), denom.shape(0)};
  check(shape);
  carray<T> points({m, d});
  carray<T> log_ratio(m);
  py::array_t<std::int32_t> n_iter(m);
  py::array_t<bool> converged(m);
  {
    py::gil_scoped_release release;
    run(shape, points.mutable_data(), log_ratio.mutable_data(), n_iter.mutable_data(),
        reinterpret_cast<std::uint8_t*>(converged.mutable_data()));
  }
  return py::make_tuple(points, log_ratio, n_iter, converged);
}

inline void no_extra_checks(const CallShape&) {}

}  // namespace simpor::bind
