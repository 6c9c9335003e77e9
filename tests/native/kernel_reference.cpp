// The CPU kernel against a naive float64 reference, without Python: built for
// a target this machine cannot run (aarch64) and run under an emulator by
// .ci/qemu_aarch64.sh, so the generic path other architectures compile is
// executed, not only compiled. Exit status 1 when any error is out of bounds.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "cpu/arch.hpp"
#include "cpu/kde_cpu.hpp"

namespace {

using Points = std::vector<double>;  // n x d, row-major

struct Problem {
  int d;
  Points x, numer, denom;
  double bandwidth;
};

Points normal_points(std::mt19937_64& rng, int n, int d, double shift) {
  std::normal_distribution<double> normal;
  Points p(std::size_t(n) * d);
  for (double& v : p) v = normal(rng) + shift;
  return p;
}

// log sum_c exp(-|x - c|^2 / 2h^2) and the softmax-weighted mean of c, written
// the obvious way (two passes, float64).
double lse_and_mean(const double* x, const Points& c, int d, double h, std::vector<double>& mean) {
  const std::size_t n = c.size() / d;
  std::vector<double> score(n);
  double top = -INFINITY;
  for (std::size_t j = 0; j < n; ++j) {
    double sq = 0;
    for (int k = 0; k < d; ++k) sq += (x[k] - c[j * d + k]) * (x[k] - c[j * d + k]);
    score[j] = -sq / (2 * h * h);
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
  const int d = pb.d, m = int(x.size() / d);
  std::vector<T> log_ratio(m), grad(std::size_t(m) * d);
  const auto problem = simpor::cpu::make_problem(numer.data(), numer.size() / d, denom.data(), denom.size() / d, d,
                                                 pb.bandwidth, 2);
  simpor::cpu::evaluate(problem, x.data(), m, log_ratio.data(), grad.data(), 2);

  const auto widen = [](const std::vector<T>& v) { return Points(v.begin(), v.end()); };
  const Points xr = widen(x), numer_r = widen(numer), denom_r = widen(denom);
  std::vector<double> want_lr(m), want_grad(std::size_t(m) * d), mu_b, mu_a;
  for (int i = 0; i < m; ++i) {
    const double* xi = &xr[std::size_t(i) * d];
    want_lr[i] = lse_and_mean(xi, numer_r, d, pb.bandwidth, mu_b) - lse_and_mean(xi, denom_r, d, pb.bandwidth, mu_a);
    for (int k = 0; k < d; ++k) want_grad[i * d + k] = (mu_b[k] - mu_a[k]) / (pb.bandwidth * pb.bandwidth);
  }
  const double e_lr = rel_l2(widen(log_ratio), want_lr), e_grad = rel_l2(widen(grad), want_grad);
  std::printf("  %s: rel L2 log f %.1e, grad %.1e\n", sizeof(T) == 4 ? "float32" : "float64", e_lr, e_grad);
  return e_lr < tol && e_grad < tol;
}

}  // namespace

int main() {
  std::printf("simd: %s\n", simpor::cpu::simd_level());
  // (m, d, |B|, |A|): one partial tile, several tiles, d past the vector width;
  // at bandwidth 0.03 most float32 weights underflow to 0.
  const int shapes[][4] = {{40, 4, 60, 240}, {200, 7, 1000, 3000}, {64, 33, 300, 700}, {500, 2, 2000, 500}};
  std::mt19937_64 rng(7);
  bool ok = true;
  for (const auto& s : shapes) {
    for (const double h : {0.6, 0.03}) {
      const Problem pb{s[1], normal_points(rng, s[0], s[1], 0.4), normal_points(rng, s[2], s[1], 0.8),
                       normal_points(rng, s[3], s[1], 0.0), h};
      std::printf("m=%d d=%d |B|=%d |A|=%d h=%.2f\n", s[0], s[1], s[2], s[3], h);
      ok &= check<double>(pb, 1e-9);
      ok &= check<float>(pb, 1e-3);
    }
  }
  std::puts(ok ? "all within tolerance" : "FAILED");
  return ok ? 0 : 1;
}
