// _core: the CPU backend (always built).
#include "bindings/bind_backend.hpp"
#include "cpu/arch.hpp"
#include "cpu/ascent_cpu.hpp"
#include "cpu/pieces.hpp"
#include "cpu/threads.hpp"

namespace simpor::bind {
namespace {

struct CpuBackend {
  static constexpr const char* threads_doc = "CPU threads (<= 0: OpenMP's default); results do not depend on it";

  static void check_features(index_t) {}

  template <class T>
  static void log_ratio_grad(const Data<T>& c, const T* points, index_t m, T* log_ratio, T* grad) {
    const auto pb = cpu::make_problem(c.numer, c.n_numer, c.denom, c.n_denom, c.d, c.bandwidth, c.n_threads);
    cpu::evaluate(pb, points, m, log_ratio, grad, c.n_threads);
  }

  template <class T>
  static void ascend(const Data<T>& c, const T* seeds, const T* radii, const T* directions, index_t m,
                     const StepParams& params, double kde_tol, const AscentOut<T>& out) {
    const cpu::RawSets<T> sets{c.numer, c.n_numer, c.denom, c.n_denom, c.d, c.bandwidth};
    cpu::ascend(sets, seeds, radii, directions, m, params, kde_tol, c.n_threads, out);
  }
};

#ifdef _OPENMP
constexpr bool kOpenMP = true;
#else
constexpr bool kOpenMP = false;
#endif

}  // namespace
}  // namespace simpor::bind

PYBIND11_MODULE(_core, m) {
  using namespace simpor::bind;
  using namespace pybind11::literals;
  m.doc() = "simpor_ext CPU kernels (C++17, OpenMP)";
  def_kernels<CpuBackend>(m);
  m.def("build_info", [] {
    return py::dict("openmp"_a = kOpenMP, "max_threads"_a = simpor::cpu::resolve_threads(0),
                    "simd"_a = simpor::cpu::simd_level());
  });
  m.attr("PIECE_WINDOW") = simpor::cpu::kPieceWindow;
  m.def("_set_local_margin", &simpor::cpu::set_local_margin,
        "Test hook: the share of kde_tol a local selection may drop (<= 0 restores the default)");
  m.attr("__version__") = SIMPOR_VERSION;  // pyproject.toml's, through CMake
}
