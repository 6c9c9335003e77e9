// _core: the CPU backend (always built).
#include <algorithm>
#include <vector>

#include "bindings/bind_backend.hpp"
#include "cpu/arch.hpp"
#include "cpu/ascent_cpu.hpp"
#include "cpu/pieces.hpp"
#include "cpu/threads.hpp"
#include "simpor/sphere_lbfgs.hpp"
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
  const RowsArg<double> rows(std::move(points), std::move(codes), "points", sets.sets.d, sets.sets.n_cat);
  const index_t m = rows.n(), d = sets.sets.d;
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

// Test hook: the newton rule's pair for one accepted step, from u (gradient
// g) by `angle` along `circle` to u_new (g_new): (s, y, kept).
py::tuple lbfgs_pair(carray<double> u, carray<double> grad, carray<double> circle, double angle,
                     carray<double> u_new, carray<double> grad_new, double radius) {
  const index_t d = u.size();
  check_vector(grad, "grad", d);
  check_vector(circle, "circle", d);
  check_vector(u_new, "u_new", d);
  check_vector(grad_new, "grad_new", d);
  std::vector<double> s(kPairs * d), y(kPairs * d);
  PairRing ring = empty_ring();
  remember_step(ring, s.data(), y.data(), u.data(), grad.data(), circle.data(), norm_of(circle.data(), int(d)), angle,
                u_new.data(), grad_new.data(), radius, int(d));
  const double* row_s = s.data() + (ring.count ? ring.newest : 0) * d;
  const double* row_y = y.data() + (ring.count ? ring.newest : 0) * d;
  return py::make_tuple(carray<double>(d, row_s), carray<double>(d, row_y), ring.count == 1);
}

// Test hook: v -> H v, H the L-BFGS inverse Hessian of the pairs given (k <=
// kPairs rows of s and of y, oldest first).
carray<double> lbfgs_apply(carray<double> pair_s, carray<double> pair_y, carray<double> v) {
  const index_t k = check_matrix(pair_s, "pair_s", -1, -1), d = pair_s.shape(1);
  check_matrix(pair_y, "pair_y", k, d);
  check_vector(v, "v", d);
  if (k < 1 || k > kPairs)
    throw py::value_error("between 1 and " + std::to_string(kPairs) + " pairs, got " + std::to_string(k));
  std::vector<double> s(kPairs * d), y(kPairs * d);
  std::copy_n(pair_s.data(), k * d, s.data());  // rows 0..k-1: oldest first, the newest at k - 1
  std::copy_n(pair_y.data(), k * d, y.data());
  carray<double> out(d);
  std::copy_n(v.data(), d, out.mutable_data());
  apply_inverse_hessian(PairRing{int(k), int(k - 1)}, s.data(), y.data(), out.mutable_data(), int(d));
  return out;
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
  m.def("_lbfgs_pair_f64", &lbfgs_pair, "Test hook: the newton rule's L-BFGS pair for one accepted step");
  m.def("_lbfgs_apply_f64", &lbfgs_apply, "Test hook: the newton rule's L-BFGS inverse Hessian applied to a vector");
  m.attr("LBFGS_PAIRS") = simpor::kPairs;
  m.attr("__version__") = SIMPOR_VERSION;  // pyproject.toml's, through CMake
}
