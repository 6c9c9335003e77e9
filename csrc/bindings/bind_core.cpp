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

  static void check_features(int, int) {}

  template <class T>
  static void log_ratio_grad(const DataSets<T>& sets, const PointSet<T>& points, int n_threads, T* log_ratio,
                             T* grad) {
    const auto pb = cpu::make_problem(sets, n_threads);
    cpu::evaluate(pb, points, log_ratio, grad, n_threads);
  }

  template <class T>
  static void ascend(const DataSets<T>& sets, const PointSet<T>& seeds, const T* radii, const T* directions,
                     const AscentSpec& spec, int n_threads, const AscentOut<T>& out) {
    cpu::ascend(sets, seeds, radii, directions, spec.step, spec.kde_tol, n_threads, out);
  }
};

// Test hook: the hessian rule's Hessian of log f at each point (m, d, d).
py::array_t<double> hessian_at(const py::object& sets_obj, carray<double> points, carray<code_t> codes) {
  const SetsArg<double> sets(sets_obj);
  const RowsArg<double> rows(std::move(points), std::move(codes), "points", sets.sets.n_cat);
  const index_t m = rows.n(), d = sets.sets.d;
  check_matrix(rows.points, "points", -1, d);
  const auto pb = cpu::make_problem(sets.sets, 1);
  py::array_t<double> H({m, d, d});
  std::vector<double> log_ratio(m), grad(m * d);
  cpu::Evaluator<double> eval(pb, int(m), true);
  eval(rows.points.data(), rows.codes.data(), int(m), log_ratio.data(), grad.data());
  for (index_t i = 0; i < m; ++i) eval.hessian(int(i), H.mutable_data() + i * d * d);
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
