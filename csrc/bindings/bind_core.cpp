// _core: the CPU backend (always built).
#include <pybind11/stl.h>

#include "bindings/arrays.hpp"
#include "cpu/ascent_cpu.hpp"
#include "cpu/threads.hpp"

namespace simpor::bind {
namespace {

template <class T>
py::tuple log_ratio_grad(carray<T> points, carray<T> numer, carray<T> denom, double bandwidth, int n_threads) {
  const index_t d = points.ndim() == 2 ? points.shape(1) : -1;
  const index_t m = check_matrix(points, "points", -1, -1);
  check_sets(numer, denom, d);
  carray<T> log_ratio(m);
  carray<T> grad({m, d});
  {
    py::gil_scoped_release release;
    const auto pb = cpu::make_problem(numer.data(), numer.shape(0), denom.data(), denom.shape(0), int(d), bandwidth);
    cpu::evaluate(pb, points.data(), m, log_ratio.mutable_data(), grad.mutable_data(), n_threads);
  }
  return py::make_tuple(log_ratio, grad);
}

template <class T>
py::tuple ascend(carray<T> seeds, carray<T> radii, carray<T> directions, carray<T> numer, carray<T> denom,
                 double bandwidth, int max_iter, double step, double tol, double grow, const std::string& rule,
                 int n_threads) {
  const index_t d = seeds.ndim() == 2 ? seeds.shape(1) : -1;
  const index_t m = check_matrix(seeds, "seeds", -1, -1);
  check_vector(radii, "radii", m);
  check_matrix(directions, "directions", m, d);
  check_sets(numer, denom, d);
  const StepParams params = step_params(max_iter, step, tol, grow, rule);
  carray<T> points({m, d});
  carray<T> log_ratio(m);
  py::array_t<std::int32_t> n_iter(m);
  py::array_t<bool> converged(m);
  {
    py::gil_scoped_release release;
    const auto pb = cpu::make_problem(numer.data(), numer.shape(0), denom.data(), denom.shape(0), int(d), bandwidth);
    cpu::ascend(pb, seeds.data(), radii.data(), directions.data(), m, params, n_threads, points.mutable_data(),
                log_ratio.mutable_data(), n_iter.mutable_data(), reinterpret_cast<std::uint8_t*>(converged.mutable_data()));
  }
  return py::make_tuple(points, log_ratio, n_iter, converged);
}

py::dict build_info() {
  py::dict info;
#ifdef _OPENMP
  info["openmp"] = true;
#else
  info["openmp"] = false;
#endif
  info["max_threads"] = cpu::resolve_threads(0);
  __builtin_cpu_init();
  info["simd"] = __builtin_cpu_supports("avx512f") ? "avx512" : __builtin_cpu_supports("avx2") ? "avx2" : "generic";
  return info;
}

}  // namespace
}  // namespace simpor::bind

PYBIND11_MODULE(_core, m) {
  using namespace simpor::bind;
  m.doc() = "simpor_ext CPU kernels (C++17, OpenMP)";
  m.def("log_ratio_grad_f32", &log_ratio_grad<float>);
  m.def("log_ratio_grad_f64", &log_ratio_grad<double>);
  m.def("ascend_f32", &ascend<float>);
  m.def("ascend_f64", &ascend<double>);
  m.def("build_info", &build_info);
}
