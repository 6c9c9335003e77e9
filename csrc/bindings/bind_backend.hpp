// The kernels' bindings, defined once for every backend module (_core, _cuda).
//
// Both modules expose the same functions with the same arguments:
//   log_ratio_grad_f32/_f64(sets, points, codes, n_threads) -> (log_ratio, grad)
//   ascend_f32/_f64(sets, seeds, codes, radii, directions, spec, n_threads, finished)
//                   -> (points, log_ratio, n_iter, converged, pairs)
//   check_ascent_spec(spec); STEP_RULES: the step rules' names; _cancel(): ends the calls in flight
// `sets` is a simpor_ext._backends.native.DataSets and `spec` an AscentSpec
// (arrays.hpp reads them); shapes and values are checked here, once, with
// the GIL held; the backend policy adds its own limits (check_features) and
// runs the call without the GIL:
//   struct Backend {
//     static constexpr const char* threads_doc;  // what n_threads does there
//     static void check_features(int d, int n_cat);  // throws py::value_error
//     template <class T> static void log_ratio_grad(const DataSets<T>&, const PointSet<T>& points,
//                                                   int n_threads, T* log_ratio, T* grad);
//     template <class T> static void ascend(const DataSets<T>&, const PointSet<T>& seeds, const T* radii,
//                                           const T* directions, const AscentSpec&, int n_threads,
//                                           const AscentOut<T>&);
//   };
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "bindings/arrays.hpp"
#include "simpor/cancel.hpp"

namespace simpor::bind {

template <class Backend, class T>
py::tuple log_ratio_grad(const py::object& sets_obj, carray<T> points, carray<code_t> codes, int n_threads) {
  const SetsArg<T> sets(sets_obj);
  const RowsArg<T> rows(std::move(points), std::move(codes), "points", sets.sets.d, sets.sets.n_cat);
  Backend::check_features(sets.sets.d, sets.sets.n_cat);
  const index_t m = rows.n();
  carray<T> log_ratio(m);
  carray<T> grad({m, index_t(sets.sets.d)});
  {
    cancel_flag() = false;
    py::gil_scoped_release release;
    Backend::log_ratio_grad(sets.sets, rows.view(), n_threads, log_ratio.mutable_data(), grad.mutable_data());
  }
  return py::make_tuple(log_ratio, grad);
}

template <class Backend, class T>
py::tuple ascend(const py::object& sets_obj, carray<T> seeds, carray<code_t> codes, carray<T> radii,
                 carray<T> directions, const py::object& spec_obj, int n_threads,
                 std::optional<py::array_t<std::int64_t>> finished) {
  const SetsArg<T> sets(sets_obj);
  const RowsArg<T> rows(std::move(seeds), std::move(codes), "seeds", sets.sets.d, sets.sets.n_cat);
  const index_t m = rows.n(), d = sets.sets.d;
  check_vector(radii, "radii", m);
  check_matrix(directions, "directions", m, d);
  if (finished) check_vector(*finished, "finished", 1);
  Backend::check_features(sets.sets.d, sets.sets.n_cat);
  // std::invalid_argument reaches Python as ValueError (pybind11's own translation).
  const AscentSpec spec = read_spec(spec_obj);
  carray<T> points({m, d});
  carray<T> log_ratio(m);
  py::array_t<std::int32_t> n_iter(m);
  py::array_t<bool> converged(m);
  py::array_t<std::int64_t> pairs(m);
  {
    cancel_flag() = false;
    py::gil_scoped_release release;
    const AscentOut<T> out{points.mutable_data(), log_ratio.mutable_data(), n_iter.mutable_data(),
                           reinterpret_cast<std::uint8_t*>(converged.mutable_data()), pairs.mutable_data(),
                           finished ? finished->mutable_data() : nullptr};
    Backend::ascend(sets.sets, rows.view(), radii.data(), directions.data(), spec, n_threads, out);
  }
  return py::make_tuple(points, log_ratio, n_iter, converged, pairs);
}

template <class Backend, class T>
void def_dtype(py::module_& m, const std::string& suffix, const std::string& threads) {
  m.def(("log_ratio_grad_" + suffix).c_str(), &log_ratio_grad<Backend, T>, py::arg("sets"), py::arg("points"),
        py::arg("codes"), py::arg("n_threads") = 0,
        ("(log_ratio, grad): log f and grad log f at each point (paper eq. 9-12); n_threads: " + threads).c_str());
  m.def(("ascend_" + suffix).c_str(), &ascend<Backend, T>, py::arg("sets"), py::arg("seeds"), py::arg("codes"),
        py::arg("radii"), py::arg("directions"), py::arg("spec"), py::arg("n_threads") = 0,
        py::arg("finished") = py::none(),
        ("(points, log_ratio, n_iter, converged, pairs): Algorithm 1 for every seed, log f within kde_tol "
         "nats of exact at the returned points; finished[0] counts the seeds done while it runs; n_threads: " +
         threads).c_str());
}

// Defines the kernel functions of `Backend` in module `m`, the spec check and
// the step rules' names (tol=None takes the rule's default).
template <class Backend>
void def_kernels(py::module_& m) {
  def_dtype<Backend, float>(m, "f32", Backend::threads_doc);
  def_dtype<Backend, double>(m, "f64", Backend::threads_doc);
  py::list names;
  for (const char* name : kStepRuleNames) names.append(name);
  m.attr("STEP_RULES") = py::tuple(names);
  m.def("check_ascent_spec", [](const py::object& spec) { read_spec(spec); },
        "Raises ValueError for an AscentSpec whose values no ascent takes (the checks every call makes)");
  m.def("_cancel", [] { cancel_flag() = true; },
        "Ends the calls in flight within a round (they raise RuntimeError); the Python layer calls it on Ctrl-C");
}

}  // namespace simpor::bind
