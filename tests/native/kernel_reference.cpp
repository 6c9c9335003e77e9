// The CPU kernel against a naive float64 reference, without Python: built for
// a target this machine cannot run (aarch64) and run under an emulator by
// .ci/qemu_aarch64.sh, so the generic path other architectures compile is
// executed, not only compiled, on numeric and on mixed data (categorical
// codes). Exit status 1 when any error is out of bounds.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "cpu/arch.hpp"
#include "cpu/kde_cpu.hpp"

namespace {

using Points = std::vector<double>;  // n x d, row-major
using Codes = std::vector<simpor::code_t>;  // n x n_cat, row-major

struct Problem {
  int d, n_cat;
  Points x, numer, denom;
  Codes x_codes, numer_codes, denom_codes;
  std::vector<double> log_weight;  // (n_cat) natural log weight of a differing category
  double bandwidth;
};

Points normal_points(std::mt19937_64& rng, int n, int d, double shift) {
  std::normal_distribution<double> normal;
  Points p(std::size_t(n) * d);
  for (double& v : p) v = normal(rng) + shift;
  return p;
}

Codes random_codes(std::mt19937_64& rng, int n, int n_cat) {
  std::uniform_int_distribution<simpor::code_t> category(0, 3);
  Codes c(std::size_t(n) * n_cat);
  for (simpor::code_t& v : c) v = category(rng);
  return c;
}

// log sum_c exp(-|x - c|^2 / 2h^2 + sum_j [x_j != c_j] log_weight_j) and the
// softmax-weighted mean of c, written the obvious way (two passes, float64).
double lse_and_mean(const double* x, const simpor::code_t* x_codes, const Points& c, const Codes& c_codes,
                    const Problem& pb, std::vector<double>& mean) {
  const int d = pb.d, n_cat = pb.n_cat;
  const double h = pb.bandwidth;
  const std::size_t n = c.size() / d;
  std::vector<double> score(n);
  double top = -INFINITY;
  for (std::size_t j = 0; j < n; ++j) {
    double sq = 0;
    for (int k = 0; k < d; ++k) sq += (x[k] - c[j * d + k]) * (x[k] - c[j * d + k]);
    score[j] = -sq / (2 * h * h);
    for (int k = 0; k < n_cat; ++k) score[j] += x_codes[k] != c_codes[j * n_cat + k] ? pb.log_weight[k] : 0.0;
    top = std::max(top, score[j]);
  }
  double sum = 0;
  mean.assign(d, 0.0);
  for (std::size_t j = 0; j < n; ++j) {
    const double w = std::exp(score[j] - top);
    sum += w;
    for (int k = 0; k < d; ++k) mean[k] += w * c[j * d + k];
  }
  for (double& v : mean) v /= sum;
  return top + std::log(sum);
}

double rel_l2(const std::vector<double>& got, const std::vector<double>& want) {
  double err = 0, norm = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    err += (got[i] - want[i]) * (got[i] - want[i]);
    norm += want[i] * want[i];
  }
  return std::sqrt(err / norm);
}

// Runs the kernel in precision T on the problem's points rounded to T; returns
// whether log f and grad log f match the reference within `tol`.
template <class T>
bool check(const Problem& pb, double tol) {
  const auto round = [](const Points& p) { return std::vector<T>(p.begin(), p.end()); };
  const std::vector<T> x = round(pb.x), numer = round(pb.numer), denom = round(pb.denom);
  const int d = pb.d, n_cat = pb.n_cat, m = int(x.size() / d);
  const auto codes = [n_cat](const Codes& c) { return n_cat ? c.data() : nullptr; };
  std::vector<T> log_ratio(m), grad(std::size_t(m) * d);
  const simpor::DataSets<T> sets{{numer.data(), codes(pb.numer_codes), simpor::index_t(numer.size() / d)},
                                 {denom.data(), codes(pb.denom_codes), simpor::index_t(denom.size() / d)},
                                 d, n_cat, pb.log_weight.data(), pb.bandwidth};
  const auto problem = simpor::cpu::make_problem(sets, 2);
  simpor::cpu::evaluate(problem, simpor::PointSet<T>{x.data(), codes(pb.x_codes), m}, log_ratio.data(), grad.data(), 2);

  const auto widen = [](const std::vector<T>& v) { return Points(v.begin(), v.end()); };
  const Points xr = widen(x), numer_r = widen(numer), denom_r = widen(denom);
  std::vector<double> want_lr(m), want_grad(std::size_t(m) * d), mu_b, mu_a;
  for (int i = 0; i < m; ++i) {
    const double* xi = &xr[std::size_t(i) * d];
    const simpor::code_t* ci = n_cat ? &pb.x_codes[std::size_t(i) * n_cat] : nullptr;
    want_lr[i] = lse_and_mean(xi, ci, numer_r, pb.numer_codes, pb, mu_b) -
                 lse_and_mean(xi, ci, denom_r, pb.denom_codes, pb, mu_a);
    for (int k = 0; k < d; ++k) want_grad[i * d + k] = (mu_b[k] - mu_a[k]) / (pb.bandwidth * pb.bandwidth);
  }
  const double e_lr = rel_l2(widen(log_ratio), want_lr), e_grad = rel_l2(widen(grad), want_grad);
  std::printf("  %s, %d categorical: rel L2 log f %.1e, grad %.1e\n", sizeof(T) == 4 ? "float32" : "float64", n_cat, e_lr, e_grad);
  return e_lr < tol && e_grad < tol;
}

}  // namespace

int main() {
  std::printf("simd: %s\n", simpor::cpu::simd_level());
  // (m, d, |B|, |A|): one partial tile, several tiles, d past the vector width;
  // at bandwidth 0.03 most float32 weights underflow to 0. Each with 0 and 3
  // categorical columns (4 categories, log weights -0.2, -1.5, -4).
  const int shapes[][4] = {{40, 4, 60, 240}, {200, 7, 1000, 3000}, {64, 33, 300, 700}, {500, 2, 2000, 500}};
  std::mt19937_64 rng(7);
  bool ok = true;
  for (const auto& s : shapes) {
    for (const double h : {0.6, 0.03}) {
      for (const int n_cat : {0, 3}) {
        const Problem pb{s[1], n_cat,
                         normal_points(rng, s[0], s[1], 0.4), normal_points(rng, s[2], s[1], 0.8),
                         normal_points(rng, s[3], s[1], 0.0),
                         random_codes(rng, s[0], n_cat), random_codes(rng, s[2], n_cat), random_codes(rng, s[3], n_cat),
                         std::vector<double>{-0.2, -1.5, -4.0}, h};
        std::printf("m=%d d=%d |B|=%d |A|=%d h=%.2f\n", s[0], s[1], s[2], s[3], h);
        ok &= check<double>(pb, 1e-9);
        ok &= check<float>(pb, 1e-3);
      }
    }
  }
  std::puts(ok ? "all within tolerance" : "FAILED");
  return ok ? 0 : 1;
}
