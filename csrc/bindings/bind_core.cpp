// _core: the CPU backend (always built).
#include "bindings/bind_backend.hpp"
#include "cpu/arch.hpp"
#include "cpu/ascent_cpu.hpp"
#include "cpu/pieces.hpp"
#include "cpu/threads.hpp"
#include "simpor/sphere_newton.hpp"

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

// Test hook: the hessian rule's Hessian of log f at each point (m, d, d).
py::array_t<double> hessian_at(carray<double> points, carray<double> numer, carray<double> denom, double bandwidth) {
  const index_t m = check_matrix(points, "points", -1, -1);
  const Data<double> c = check_data<CpuBackend>(numer, denom, points.shape(1), bandwidth, 1);
  const auto pb = cpu::make_problem(c.numer, c.n_numer, c.denom, c.n_denom, c.d, c.bandwidth, 1);
  py::array_t<double> H({m, index_t(c.d), index_t(c.d)});
  std::vector<double> log_ratio(m), grad(m * c.d);
  cpu::Evaluator<double> eval(pb, int(m), true);
  eval(points.data(), int(m), log_ratio.data(), grad.data());
  for (index_t i = 0; i < m; ++i) eval.hessian(int(i), H.mutable_data() + i * c.d * c.d);
  return H;
}

// Test hook: sphere_newton_direction for one point: (direction, |direction|
// or -1 where the rule falls back to the tangent gradient).
py::tuple newton_direction(carray<double> u, carray<double> grad, carray<double> hessian, double radius) {
  const index_t d = check_matrix(hessian, "hessian", -1, -1);
  check_matrix(hessian, "hessian", d, d);
  check_vector(u, "u", d);
  check_vector(grad, "grad", d);
  std::vector<double> H(hessian.data(), hessian.data() + d * d), work(2 * d);
  carray<double> dir(d);
  const double length = sphere_newton_direction(u.data(), grad.data(), radius, H.data(), work.data(),
                                                dir.mutable_data(), int(d));
  return py::make_tuple(dir, length);
}

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
  m.def("_hessian_f64", &hessian_at, "Test hook: the hessian step rule's Hessian of log f at each point");
  m.def("_newton_direction_f64", &newton_direction, "Test hook: the hessian rule's direction on the sphere");
  m.attr("__version__") = SIMPOR_VERSION;  // pyproject.toml's, through CMake
}
