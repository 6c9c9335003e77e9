// _core: the CPU backend (always built).
#include <pybind11/stl.h>

#include "bindings/arrays.hpp"
#include "cpu/arch.hpp"
#include "cpu/ascent_cpu.hpp"
#include "cpu/threads.hpp"

namespace simpor::bind {
namespace {

template <class T>
py::tuple log_ratio_grad(carray<T> points, carray<T> numer, carray<T> denom, double bandwidth, int n_threads) {
  return log_ratio_grad_call(points, numer, denom, no_extra_checks, [&](const CallShape& s, T* lr, T* grad) {
    const auto pb =
        cpu::make_problem(numer.data(), s.n_numer, denom.data(), s.n_denom, int(s.d), bandwidth, n_threads);
    cpu::evaluate(pb, points.data(), s.m, lr, grad, n_threads);
  });
}

template <class T>
py::tuple ascend(carray<T> seeds, carray<T> radii, carray<T> directions, carray<T> numer, carray<T> denom,
                 double bandwidth, int max_iter, double step, double tol, double grow, const std::string& rule,
                 int n_threads) {
  const StepParams params = step_params(max_iter, step, tol, grow, rule);
  return ascend_call(seeds, radii, directions, numer, denom, no_extra_checks,
                     [&](const CallShape& s, T* points, T* lr, std::int32_t* n_iter, std::uint8_t* converged) {
                       const auto pb = cpu::make_problem(numer.data(), s.n_numer, denom.data(), s.n_denom,
                                                         int(s.d), bandwidth, n_threads);
                       cpu::ascend(pb, seeds.data(), radii.data(), directions.data(), s.m, params, n_threads,
                                   points, lr, n_iter, converged);
                     });
}

py::dict build_info() {
  py::dict info;
#ifdef _OPENMP
  info["openmp"] = true;
#else
  info["openmp"] = false;
#endif
  info["max_threads"] = cpu::resolve_threads(0);
  info["simd"] = cpu::simd_level();
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
