// _cuda: the CUDA backend (built when CMake finds a CUDA compiler). The same
// kernel functions as _core (bind_backend.hpp), plus probe() and the
// benchmark and test hooks; no CUDA headers here.
#include <pybind11/stl.h>

#include <exception>

#include "bindings/bind_backend.hpp"
#include "cuda/kde_cuda.hpp"
#include "simpor/sphere_newton.hpp"

namespace simpor::bind {
namespace {

struct CudaBackend {
  static constexpr const char* threads_doc = "accepted for the CPU module's signature and unused (no host threads "
                                             "take part on the GPU)";

  static void check_features(int d, int n_cat) {
    if (d > cuda::max_features())
      throw py::value_error("the CUDA backend takes at most " + std::to_string(cuda::max_features()) +
                            " features, got d = " + std::to_string(d) + "; use device='cpu'");
    if (n_cat > cuda::max_categories())
      throw py::value_error("the CUDA backend takes at most " + std::to_string(cuda::max_categories()) +
                            " categorical features, got " + std::to_string(n_cat) + "; use device='cpu'");
  }

  template <class T>
  static void log_ratio_grad(const DataSets<T>& sets, const PointSet<T>& points, int, T* log_ratio, T* grad) {
    cuda::log_ratio_grad(sets, points, log_ratio, grad);
  }

  // Always exact (all the data at every trial), which satisfies any kde_tol:
  // local evaluation is CPU-only until it is measured faster on a GPU.
  template <class T>
  static void ascend(const DataSets<T>& sets, const PointSet<T>& seeds, const T* radii, const T* directions,
                     const AscentSpec& spec, int, const AscentOut<T>& out) {
    StepParams rule = spec.step;
    rule.rule = rule_to_run(spec.step.rule, sets.d, false);
    cuda::ascend(sets, seeds, radii, directions, rule, out);
    for (index_t i = 0; i < seeds.n; ++i) out.pairs[i] = (std::int64_t(out.n_iter[i]) + 1) * sets.size();
  }
};

template <class T>
double time_kernels(const py::object& sets_obj, carray<T> points, carray<code_t> codes, int repeats) {
  const SetsArg<T> sets(sets_obj);
  const RowsArg<T> rows(std::move(points), std::move(codes), "points", sets.sets.d, sets.sets.n_cat);
  CudaBackend::check_features(sets.sets.d, sets.sets.n_cat);
  py::gil_scoped_release release;
  return cuda::time_kernels(sets.sets, rows.view(), repeats);
}

void translate_errors(std::exception_ptr p) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const cuda::OutOfDeviceMemory& e) {
    PyErr_SetString(PyExc_MemoryError, e.what());
  } catch (const cuda::CudaError& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
}

}  // namespace
}  // namespace simpor::bind

PYBIND11_MODULE(_cuda, m) {
  using namespace simpor::bind;
  using namespace pybind11::literals;
  namespace cuda = simpor::cuda;
  m.doc() = "simpor_ext CUDA kernels (fused streaming log-sum-exp, Algorithm 1 on the device)";
  py::register_exception_translator(translate_errors);
  def_kernels<CudaBackend>(m);
  m.def("probe", [] {
    const cuda::ProbeResult r = cuda::probe();
    return py::make_tuple(r.ok, r.reason, r.devices);
  }, "(ok, reason, device names): whether a GPU can run these kernels, and why not");
  m.def("build_info", [] {
    return py::dict("runtime_version"_a = cuda::runtime_version(), "architectures"_a = cuda::build_architectures(),
                    "max_features"_a = cuda::max_features(), "max_categories"_a = cuda::max_categories());
  });
  m.def("_time_kernels_f32", &time_kernels<float>,
        "Benchmark hook: seconds per evaluation on the device, data and candidates uploaded once");
  m.def("_time_kernels_f64", &time_kernels<double>,
        "Benchmark hook: seconds per evaluation on the device, data and candidates uploaded once");
  m.def("_set_memory_budget", &cuda::set_memory_budget,
        "Test hook: plan chunks as if only this many bytes were free (0 restores the device's figure)");
}
