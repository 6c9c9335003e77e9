#include "cpu/pieces.hpp"

#include <algorithm>
#include <numeric>
#include <utility>

namespace simpor::cpu {
namespace {

// Small groups merge with groups whose centres lie within this many times the
// leading group's largest radius (measured on pen_digits: 2 and 3 both beat 1).
constexpr double kMergeReach = 3.0;

// Seeds with one centre (equal rows), in order of radius: positions
// [first, last) of a window's sorted seeds.
struct Group {
  index_t first, last;
  double radius;  // the largest
  index_t size() const { return last - first; }
};

// One window's seeds sorted by centre (row, then codes), then radius, then index.
template <class T>
struct Window {
  const PointSet<T>& seeds;
  int d, n_cat;
  std::vector<index_t> sorted;

  const T* centre(index_t i) const { return seeds.points + i * d; }
  const code_t* codes(index_t i) const { return seeds.codes + i * n_cat; }
  bool centre_less(index_t a, index_t b) const {
    if (std::lexicographical_compare(centre(a), centre(a) + d, centre(b), centre(b) + d)) return true;
    if (std::lexicographical_compare(centre(b), centre(b) + d, centre(a), centre(a) + d)) return false;
    return std::lexicographical_compare(codes(a), codes(a) + n_cat, codes(b), codes(b) + n_cat);
  }
};

template <class T>
Window<T> sort_window(const PointSet<T>& seeds, const T* radii, index_t begin, index_t end, int d, int n_cat) {
  Window<T> w{seeds, d, n_cat, std::vector<index_t>(end - begin)};
  std::iota(w.sorted.begin(), w.sorted.end(), begin);
  std::sort(w.sorted.begin(), w.sorted.end(), [&](index_t a, index_t b) {
    if (w.centre_less(a, b)) return true;
    if (w.centre_less(b, a)) return false;
    return radii[a] != radii[b] ? radii[a] < radii[b] : a < b;
  });
  return w;
}

// Appends one piece made of `groups` of the window.
template <class T>
void close_piece(const Window<T>& w, const std::vector<Group>& groups, Pieces<T>& out) {
  std::vector<Ball<T>> balls;
  for (const Group& g : groups) {
    out.order.insert(out.order.end(), w.sorted.begin() + g.first, w.sorted.begin() + g.last);
    balls.push_back({w.centre(w.sorted[g.first]), w.codes(w.sorted[g.first]), g.radius});
  }
  out.bounds.push_back(index_t(out.order.size()));
  out.balls.push_back(std::move(balls));
}

// Cuts groups of at least kPiece seeds into near-equal pieces; returns the smaller groups.
template <class T>
std::vector<Group> cut_large_groups(const Window<T>& w, const T* radii, Pieces<T>& out) {
  std::vector<Group> small;
  const index_t m = index_t(w.sorted.size());
  const auto radius_at = [&](index_t k) { return double(radii[w.sorted[k - 1]]); };
  for (index_t first = 0, k = 1; k <= m; ++k) {
    if (k < m && !w.centre_less(w.sorted[k - 1], w.sorted[k])) continue;
    const index_t size = k - first, parts = (size + kPiece - 1) / kPiece;
    if (size < kPiece) small.push_back({first, k, radius_at(k)});
    for (index_t p = 0; size >= kPiece && p < parts; ++p) {
      const index_t a = first + size * p / parts, b = first + size * (p + 1) / parts;
      close_piece(w, {{a, b, radius_at(b)}}, out);
    }
    first = k;
  }
  return small;
}

double squared_distance(const double* a, const double* b, int d) {
  double s = 0.0;
  for (int k = 0; k < d; ++k) s += (a[k] - b[k]) * (a[k] - b[k]);
  return s;
}

// Merges the small groups, greedily and in sorted order (plan_pieces).
template <class T>
void merge_small_groups(const Window<T>& w, const std::vector<Group>& small, Pieces<T>& out) {
  const int d = w.d;
  std::vector<double> centres(small.size() * d);
  for (std::size_t g = 0; g < small.size(); ++g)
    std::copy_n(w.centre(w.sorted[small[g].first]), d, centres.begin() + g * d);
  std::vector<char> taken(small.size(), 0);
  for (std::size_t lead = 0; lead < small.size(); ++lead) {
    if (taken[lead]) continue;
    const double reach2 = kMergeReach * kMergeReach * small[lead].radius * small[lead].radius;
    std::vector<std::pair<double, std::size_t>> near;
    for (std::size_t g = lead + 1; g < small.size(); ++g) {
      const double d2 = taken[g] ? INFINITY : squared_distance(&centres[lead * d], &centres[g * d], d);
      if (d2 <= reach2) near.push_back({d2, g});
    }
    std::sort(near.begin(), near.end());
    std::vector<Group> members{small[lead]};
    index_t size = small[lead].size();
    for (const auto& [d2, g] : near) {
      if (size + small[g].size() > kPiece) continue;
      taken[g] = 1;
      members.push_back(small[g]);
      size += small[g].size();
    }
    close_piece(w, members, out);
  }
}

}  // namespace

template <class T>
Pieces<T> plan_pieces(const PointSet<T>& seeds, const T* radii, int d, int n_cat) {
  Pieces<T> pieces;
  pieces.bounds.push_back(0);
  for (index_t begin = 0; begin < seeds.n; begin += kPieceWindow) {
    const Window<T> w = sort_window(seeds, radii, begin, std::min(seeds.n, begin + kPieceWindow), d, n_cat);
    merge_small_groups(w, cut_large_groups(w, radii, pieces), pieces);
  }
  return pieces;
}

template Pieces<float> plan_pieces(const PointSet<float>&, const float*, int, int);
template Pieces<double> plan_pieces(const PointSet<double>&, const double*, int, int);

}  // namespace simpor::cpu
