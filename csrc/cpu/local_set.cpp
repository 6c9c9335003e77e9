#include "cpu/local_set.hpp"

#include <algorithm>
#include <atomic>
#include <vector>

namespace simpor::cpu {
namespace {

// Dropped mass allowed, as a fraction of expm1(kde_tol) times the class's
// typical kernel sum on the spheres: trial points can sit where a class's sum
// is far below typical (the ascent moves away from A), and the check at every
// trial must rarely fail.
constexpr double kMargin = 1e-3;
std::atomic<double> margin{kMargin};
// Gap bins for choosing the cut in two linear passes.
constexpr int kBins = 512;

double log_add(double a, double b) {
  if (a < b) std::swap(a, b);
  return b == -INFINITY ? a : a + std::log1p(std::exp(b - a));
}

// One class seen from a piece's balls: each point's gap g_p (distance to the
// nearest ball's surface, 0 inside one) and the log of the budget's reference
// kernel sum (local_set.hpp), the least over the balls.
struct ClassView {
  std::vector<double> gap;
  double log_reference = INFINITY;
};

// log sum_j exp(-e_j * inv_2h2), e_j >= 0 given.
double log_sum_gauss(const std::vector<double>& e, double inv_2h2) {
  const double least = *std::min_element(e.begin(), e.end());
  double sum = 0.0;  // relative to the largest term
  for (double x : e) sum += std::exp((least - x) * inv_2h2);
  return std::log(sum) - least * inv_2h2;
}

template <class T>
ClassView view_class(const PointSet<T>& set, const DataSets<T>& sets, const std::vector<Ball<T>>& balls,
                     Budget budget) {
  const index_t n = set.n;
  const int d = sets.d, n_cat = sets.n_cat;
  const double two_h2 = 2.0 * sets.bandwidth * sets.bandwidth, inv_2h2 = 1.0 / two_h2;
  ClassView v{std::vector<double>(n, INFINITY)};
  std::vector<double> e(n);  // each point's exponent (times 2h^2) in the reference sum
  for (const Ball<T>& b : balls) {
    for (index_t j = 0; j < n; ++j) {
      double s = 0.0;
      for (int k = 0; k < d; ++k) {
        const double x = double(set.points[j * d + k]) - double(b.centre[k]);
        s += x * x;
      }
      const double dist = std::sqrt(s);
      v.gap[j] = std::min(v.gap[j], std::max(0.0, dist - b.radius));
      e[j] = (budget == Budget::typical ? s + b.radius * b.radius : (dist + b.radius) * (dist + b.radius)) -
             two_h2 * category_term(b.codes, set.codes + j * n_cat, sets.log_weight, n_cat);
    }
    if (n) v.log_reference = std::min(v.log_reference, log_sum_gauss(e, inv_2h2));
  }
  return v;
}

struct Cut {
  std::vector<char> keep;
  double log_dropped = -INFINITY;  // log of the sum of the dropped points' bounds
};

// Keeps the points of one class whose bound may matter: the farthest gap bins
// are dropped while their bounds (count x exp(-edge^2 / 2h^2) each) fit the
// budget. The nearest bin is always kept. log_dropped then sums the dropped
// points' own bounds, tighter than the bins', relative to the largest
// (so no term overflows) and rounded up, so that terms lost to underflow
// (each below 1e-300 of the largest) and rounding still count.
Cut cut_class(const ClassView& v, double inv_2h2, double log_allowed) {
  const index_t n = index_t(v.gap.size());
  Cut cut;
  cut.keep.assign(n, 1);
  const double g_max = n ? *std::max_element(v.gap.begin(), v.gap.end()) : 0.0;
  if (!(g_max > 0.0)) return cut;
  const auto bin_of = [&](double g) { return std::min(kBins - 1, int(g / g_max * kBins)); };
  std::vector<index_t> count(kBins, 0);
  for (double g : v.gap) ++count[bin_of(g)];
  int lowest = 0;
  while (count[lowest] == 0) ++lowest;
  const double log_budget = log_allowed + v.log_reference;
  double log_bins = -INFINITY;
  int first_dropped = kBins;
  for (int b = kBins - 1; b > lowest; --b) {
    if (count[b] == 0) continue;
    const double edge = g_max * b / kBins;  // every point of bin b has g >= edge
    const double next = log_add(log_bins, std::log(double(count[b])) - edge * edge * inv_2h2);
    if (next > log_budget) break;
    log_bins = next;
    first_dropped = b;
  }
  if (first_dropped == kBins) return cut;
  const double edge = g_max * first_dropped / kBins, log_ref = -edge * edge * inv_2h2;
  double sum = 0.0;
  index_t dropped = 0;
  for (index_t j = 0; j < n; ++j) {
    if (bin_of(v.gap[j]) < first_dropped) continue;
    cut.keep[j] = 0;
    ++dropped;
    sum += std::exp(-v.gap[j] * v.gap[j] * inv_2h2 - log_ref);  // <= 1
  }
  cut.log_dropped = log_ref + std::log((sum + double(dropped) * 1e-300) * (1.0 + 1e-12));
  return cut;
}

template <class V>
std::vector<V> gather(const V* rows, int width, const std::vector<char>& keep) {
  std::vector<V> out;
  for (std::size_t j = 0; j < keep.size(); ++j)
    if (keep[j]) out.insert(out.end(), rows + j * width, rows + (j + 1) * width);
  return out;
}

// The kept rows of one set, and a view of them.
template <class T>
struct KeptSet {
  std::vector<T> points;
  std::vector<code_t> codes;
  index_t n;

  KeptSet(const PointSet<T>& set, int d, int n_cat, const std::vector<char>& keep)
      : points(gather(set.points, d, keep)), codes(gather(set.codes, n_cat, keep)),
        n(index_t(std::count(keep.begin(), keep.end(), 1))) {}
  PointSet<T> view() const { return {points.data(), codes.data(), n}; }
};

}  // namespace

void set_local_margin(double value) { margin = value > 0.0 ? value : kMargin; }

template <class T>
LocalSet<T> select_local(const DataSets<T>& s, const std::vector<Ball<T>>& balls, double kde_tol, Budget budget,
                         index_t max_kept) {
  const double inv_2h2 = 0.5 / (s.bandwidth * s.bandwidth);
  const double log_margin = budget == Budget::typical ? std::log(margin.load()) : 0.0;
  const double log_allowed = std::log(std::expm1(kde_tol)) + log_margin;
  const Cut numer = cut_class(view_class(s.numer, s, balls, budget), inv_2h2, log_allowed);
  const Cut denom = cut_class(view_class(s.denom, s, balls, budget), inv_2h2, log_allowed);
  const auto count = [](const std::vector<char>& keep) { return index_t(std::count(keep.begin(), keep.end(), 1)); };
  LocalSet<T> local{{}, {numer.log_dropped, denom.log_dropped}, count(numer.keep) + count(denom.keep)};
  if (local.n_kept > max_kept) return local;
  const KeptSet<T> kept_numer(s.numer, s.d, s.n_cat, numer.keep), kept_denom(s.denom, s.d, s.n_cat, denom.keep);
  DataSets<T> kept = s;
  kept.numer = kept_numer.view();
  kept.denom = kept_denom.view();
  local.problem = make_problem(kept, 1);
  return local;
}

template LocalSet<float> select_local(const DataSets<float>&, const std::vector<Ball<float>>&, double, Budget,
                                      index_t);
template LocalSet<double> select_local(const DataSets<double>&, const std::vector<Ball<double>>&, double, Budget,
                                       index_t);

}  // namespace simpor::cpu
