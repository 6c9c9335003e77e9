// The kernels' bindings, defined once for every backend module (_core, _cuda).
//
// Both modules expose the same four functions with the same arguments:
//   log_ratio_grad_f32/_f64(points, numer, denom, bandwidth, n_threads) -> (log_ratio, grad)
//   ascend_f32/_f64(seeds, radii, directions, numer, denom, bandwidth, max_iter,
//                   step, tol, grow, step_rule, kde_tol, n_threads)
//                   -> (points, log_ratio, n_iter, converged, pairs)
//   STEP_RULES: the step rules' names; _cancel(): ends the calls in flight
// Shapes and the bandwidth are checked here, once, with the GIL held; the
// backend policy adds its own limits (check_features) and runs the call
// without the GIL:
//   struct Backend {
//     static constexpr const char* threads_doc;  // what n_threads does there
//     static void check_features(index_t d);     // throws py::value_error
//     template <class T> static void log_ratio_grad(const Data<T>&, const T* points, index_t m,
//                                                   T* log_ratio, T* grad);
//     template <class T> static void ascend(const Data<T>&, const T* seeds, const T* radii,
//                                           const T* directions, index_t m, const StepParams&,
//                                           double kde_tol, const AscentOut<T>&);
//   };
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include <pybind11/stl.h>  // std::optional (tol=None)

#include "bindings/arrays.hpp"
#include "simpor/cancel.hpp"
#include "simpor/step_params.hpp"

namespace simpor::bind {

// The two classes of a call, checked, with the bandwidth and the host threads.
template <class T>
struct Data {
  const T* numer;  // class B, (n_numer, d)
  index_t n_numer;
  const T* denom;  // contrast set A, (n_denom, d)
  index_t n_denom;
  int d;
  double bandwidth;
  int n_threads;
};

// Checks the sets against d features and the bandwidth, then the backend's limits.
template <class Backend, class T>
Data<T> check_data(const carray<T>& numer, const carray<T>& denom, index_t d, double bandwidth, int n_threads) {
  check_sets(numer, denom, d);
  if (d < 1) throw py::value_error("points need at least one feature, got d = " + std::to_string(d));
  if (d > std::numeric_limits<int>::max()) throw py::value_error("too many features: d = " + std::to_string(d));
  Backend::check_features(d);
  if (!(std::isfinite(bandwidth) && bandwidth > 0))
    throw py::value_error("bandwidth must be a finite number > 0, got " + std::to_string(bandwidth));
  return {numer.data(), numer.shape(0), denom.data(), denom.shape(0), int(d), bandwidth, n_threads};
}

template <class Backend, class T>
py::tuple log_ratio_grad(carray<T> points, carray<T> numer, carray<T> denom, double bandwidth, int n_threads) {
  const index_t m = check_matrix(points, "points", -1, -1);
  const Data<T> data = check_data<Backend>(numer, denom, points.shape(1), bandwidth, n_threads);
  carray<T> log_ratio(m);
  carray<T> grad({m, index_t(data.d)});
  {
    cancel_flag() = false;
    py::gil_scoped_release release;
    Backend::log_ratio_grad(data, points.data(), m, log_ratio.mutable_data(), grad.mutable_data());
  }
  return py::make_tuple(log_ratio, grad);
}

template <class Backend, class T>
py::tuple ascend(carray<T> seeds, carray<T> radii, carray<T> directions, carray<T> numer, carray<T> denom,
                 double bandwidth, long long max_iter, double step, std::optional<double> tol, double grow,
                 const std::string& step_rule, double kde_tol, int n_threads) {
  const index_t m = check_matrix(seeds, "seeds", -1, -1), d = seeds.shape(1);
  check_vector(radii, "radii", m);
  check_matrix(directions, "directions", m, d);
  const Data<T> data = check_data<Backend>(numer, denom, d, bandwidth, n_threads);
  // std::invalid_argument reaches Python as ValueError (pybind11's own translation).
  const StepParams params = make_step_params(step_rule, max_iter, step, tol, grow);
  if (!(std::isfinite(kde_tol) && kde_tol >= 0))
    throw py::value_error("kde_tol must be a finite number >= 0, got " + std::to_string(kde_tol));
  carray<T> points({m, d});
  carray<T> log_ratio(m);
  py::array_t<std::int32_t> n_iter(m);
  py::array_t<bool> converged(m);
  py::array_t<std::int64_t> pairs(m);
  {
    cancel_flag() = false;
    py::gil_scoped_release release;
    const AscentOut<T> out{points.mutable_data(), log_ratio.mutable_data(), n_iter.mutable_data(),
                           reinterpret_cast<std::uint8_t*>(converged.mutable_data()), pairs.mutable_data()};
    Backend::ascend(data, seeds.data(), radii.data(), directions.data(), m, params, kde_tol, out);
  }
  return py::make_tuple(points, log_ratio, n_iter, converged, pairs);
}

template <class Backend, class T>
void def_dtype(py::module_& m, const std::string& suffix, const std::string& threads) {
  m.def(("log_ratio_grad_" + suffix).c_str(), &log_ratio_grad<Backend, T>, py::arg("points"), py::arg("numer"),
        py::arg("denom"), py::arg("bandwidth"), py::arg("n_threads") = 0,
        ("(log_ratio, grad): log f and grad log f at each point (paper eq. 9-12); n_threads: " + threads).c_str());
  m.def(("ascend_" + suffix).c_str(), &ascend<Backend, T>, py::arg("seeds"), py::arg("radii"), py::arg("directions"),
        py::arg("numer"), py::arg("denom"), py::arg("bandwidth"), py::arg("max_iter"), py::arg("step"),
        py::arg("tol").none(true), py::arg("grow"), py::arg("step_rule"), py::arg("kde_tol"),
        py::arg("n_threads") = 0,
        ("(points, log_ratio, n_iter, converged, pairs): Algorithm 1 for every seed, log f within kde_tol "
         "nats of exact at the returned points; n_threads: " + threads).c_str());
}

// Defines the four kernel functions of `Backend` in module `m`, and the
// step rules' names (tol=None takes the rule's default).
template <class Backend>
void def_kernels(py::module_& m) {
  def_dtype<Backend, float>(m, "f32", Backend::threads_doc);
  def_dtype<Backend, double>(m, "f64", Backend::threads_doc);
  py::list names;
  for (const char* name : kStepRuleNames) names.append(name);
  m.attr("STEP_RULES") = py::tuple(names);
  m.def("_cancel", [] { cancel_flag() = true; },
        "Ends the calls in flight within a round (they raise RuntimeError); the Python layer calls it on Ctrl-C");
}

}  // namespace simpor::bind
