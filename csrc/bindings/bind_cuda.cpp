// _cuda: the CUDA backend (built when CMake finds a CUDA compiler). Same
// functions as _core minus the thread count; no CUDA headers here.
#include <pybind11/stl.h>

#include <cmath>
#include <exception>

#include "bindings/arrays.hpp"
#include "cuda/kde_cuda.hpp"

namespace simpor::bind {
namespace {

void check_features(index_t d) {
  if (d < 1) throw py::value_error("points need at least one feature, got d = " + std::to_string(d));
  if (d > cuda::max_features())
    throw py::value_error("the CUDA backend takes at most " + std::to_string(cuda::max_features()) +
                          " features, got d = " + std::to_string(d) + "; use device='cpu'");
}

void check_bandwidth(double h) {
  if (!(std::isfinite(h) && h > 0)) throw py::value_error("bandwidth must be a finite number > 0, got " + std::to_string(h));
}

void check_call(const CallShape& s) {
  check_features(s.d);
}

template <class T>
py::tuple log_ratio_grad(carray<T> points, carray<T> numer, carray<T> denom, double bandwidth) {
  check_bandwidth(bandwidth);
  return log_ratio_grad_call(points, numer, denom, check_call, [&](const CallShape& s, T* lr, T* grad) {
    cuda::log_ratio_grad(points.data(), s.m, numer.data(), s.n_numer, denom.data(), s.n_denom, int(s.d), bandwidth,
                         lr, grad);
  });
}

template <class T>
py::tuple ascend(carray<T> seeds, carray<T> radii, carray<T> directions, carray<T> numer, carray<T> denom,
                 double bandwidth, int max_iter, double step, double tol, double grow, const std::string& rule) {
  check_bandwidth(bandwidth);
  const StepParams params = step_params(max_iter, step, tol, grow, rule);
  return ascend_call(seeds, radii, directions, numer, denom, check_call,
                     [&](const CallShape& s, T* points, T* lr, std::int32_t* n_iter, std::uint8_t* converged) {
                       cuda::ascend(seeds.data(), radii.data(), directions.data(), s.m, numer.data(), s.n_numer,
                                    denom.data(), s.n_denom, int(s.d), bandwidth, params, points, lr, n_iter,
                                    converged);
                     });
}

template <class T>
double time_kernels(carray<T> points, carray<T> numer, carray<T> denom, double bandwidth, int repeats) {
  const index_t d = points.ndim() == 2 ? points.shape(1) : -1;
  const index_t m = check_matrix(points, "points", -1, -1);
  check_sets(numer, denom, d);
  check_features(d);
  check_bandwidth(bandwidth);
  py::gil_scoped_release release;
  return cuda::time_kernels(points.data(), m, numer.data(), numer.shape(0), denom.data(), denom.shape(0), int(d),
                            bandwidth, repeats);
}

py::tuple probe() {
  const cuda::ProbeResult r = cuda::probe();
  return py::make_tuple(r.ok, r.reason, r.devices);
}

py::dict build_info() {
  py::dict info;
  info["runtime_version"] = cuda::runtime_version();
  info["architectures"] = cuda::build_architectures();
  info["max_features"] = cuda::max_features();
  return info;
}

}  // namespace
}  // namespace simpor::bind

PYBIND11_MODULE(_cuda, m) {
  using namespace simpor::bind;
  m.doc() = "simpor_ext CUDA kernels (fused streaming log-sum-exp, Algorithm 1 on the device)";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const simpor::cuda::OutOfDeviceMemory& e) {
      PyErr_SetString(PyExc_MemoryError, e.what());
    } catch (const simpor::cuda::CudaError& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });
  m.def("log_ratio_grad_f32", &log_ratio_grad<float>);
  m.def("log_ratio_grad_f64", &log_ratio_grad<double>);
  m.def("ascend_f32", &ascend<float>);
  m.def("ascend_f64", &ascend<double>);
  m.def("probe", &probe, "(ok, reason, device names): whether a GPU can run these kernels, and why not");
  m.def("build_info", &build_info);
  m.def("_time_kernels_f32", &time_kernels<float>,
        "Benchmark hook: seconds per evaluation on the device, data and candidates uploaded once");
  m.def("_time_kernels_f64", &time_kernels<double>,
        "Benchmark hook: seconds per evaluation on the device, data and candidates uploaded once");
  m.def("_set_memory_budget", &simpor::cuda::set_memory_budget,
        "Test hook: plan chunks as if only this many bytes were free (0 restores the device's figure)");
}
