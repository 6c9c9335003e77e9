#include "cpu/top_points.hpp"

#include <algorithm>
#include <cmath>

#include "cpu/arch.hpp"
#include "cpu/kde_cpu.hpp"
#include "cpu/simd.hpp"

namespace simpor::cpu {
namespace {
constexpr int kCapacity = 4 * kHessianPoints;  // a row's points between two selections

// H (d x d) += sum_k wdev_k dev_k^T (count x dp each, zero past column d;
// dp >= d rounded up to 4): the weighted-sum GEMM's register blocking, four
// rows of H by two vectors.
template <class T>
SIMPOR_INLINE void gram_impl(const T* wdev, const T* dev, int count, int d, int dp, double* H) {
  using V = vec_t<T>;
  constexpr int W = Simd<T>::width;
  for (int i0 = 0; i0 < d; i0 += 4) {
    for (int j0 = 0; j0 < dp; j0 += 2 * W) {
      const bool two = j0 + W < dp;
      V acc[4][2] = {};
      for (int k = 0; k < count; ++k) {
        const T* a = wdev + std::size_t(k) * dp + i0;
        const T* row = dev + std::size_t(k) * dp + j0;
        const V b0 = load(row), b1 = two ? load(row + W) : V{};
#pragma GCC unroll 4
        for (int r = 0; r < 4; ++r) {
          acc[r][0] += a[r] * b0;
          acc[r][1] += a[r] * b1;
        }
      }
      for (int r = 0; r < 4 && i0 + r < d; ++r)
        for (int l = 0; l < 2 * W && j0 + l < d; ++l) H[(i0 + r) * d + j0 + l] += double(acc[r][l / W][l % W]);
    }
  }
}

SIMPOR_CLONES void gram(const float* wdev, const float* dev, int count, int d, int dp, double* H) {
  gram_impl(wdev, dev, count, d, dp, H);
}
SIMPOR_CLONES void gram(const double* wdev, const double* dev, int count, int d, int dp, double* H) {
  gram_impl(wdev, dev, count, d, dp, H);
}

// The cut below the pass's final max (natural units), in the entries' log2 units.
template <class T>
T final_cut(double log_max) {
  return T((log_max - kHessianCut) * kLog2e);
}

}  // namespace

template <class T>
void TopPoints<T>::reset(int rows, const std::vector<char>& wanted) {
  wanted_ = wanted.data();
  entries_.resize(std::size_t(rows) * kCapacity);
  count_.assign(rows, 0);
  floor_.assign(rows, T(-INFINITY));
}

template <class T>
void TopPoints<T>::record(int r0, index_t tile, const T* scores, const T* tile_max, const double* running_max) {
  for (int i = 0; i < kRows; ++i) {
    if (!wanted_[r0 + i]) continue;
    const T cut = T(tile_shift(running_max[i], double(tile_max[i])) - kHessianCut * kLog2e);
    const T floor = std::max(cut, floor_[r0 + i]);
    if (tile_max[i] < floor) continue;  // the common case once the max has settled
    const T* row = scores + i * kTile;
    for (int j0 = 0; j0 < kTile; j0 += Simd<T>::width) {
      if (hmax<T>(load(row + j0)) < floor) continue;
      for (int j = j0; j < j0 + Simd<T>::width; ++j)
        if (row[j] >= floor) push(r0 + i, {row[j], tile * kTile + j}, cut);
    }
  }
}

template <class T>
void TopPoints<T>::push(int row, Entry e, T floor) {
  if (count_[row] == kCapacity) keep_top(row, floor);
  entries_[std::size_t(row) * kCapacity + count_[row]++] = e;
}

// Drops the row's points under `floor`, then all but the kHessianPoints heaviest
// (ties by point index, so the set never depends on the order of arrival).
template <class T>
void TopPoints<T>::keep_top(int row, T floor) {
  Entry* e = entries_.data() + std::size_t(row) * kCapacity;
  Entry* end = std::remove_if(e, e + count_[row], [&](const Entry& x) { return x.score < floor; });
  if (end - e > kHessianPoints) {
    std::nth_element(e, e + kHessianPoints - 1, end, [](const Entry& a, const Entry& b) {
      return a.score != b.score ? a.score > b.score : a.point < b.point;
    });
    end = e + kHessianPoints;
    floor_[row] = e[kHessianPoints - 1].score;  // from now on only heavier points can enter
  }
  count_[row] = int(end - e);
}

template <class T>
bool TopPoints<T>::complete(int row, double log_max) {
  const T cut = final_cut<T>(log_max);
  keep_top(row, cut);
  return floor_[row] < cut;  // the cap's floor: no dropped point reached the cut
}

template <class T>
void TopPoints<T>::gather(int row, double log_max, double sum, const double* mu, const T* coords, int dp, int d,
                          double sign, std::vector<T>& wdev, std::vector<T>& dev) {
  keep_top(row, final_cut<T>(log_max));
  const Entry* e = entries_.data() + std::size_t(row) * kCapacity;
  const std::size_t at = dev.size(), count = std::size_t(count_[row]);
  dev.resize(at + count * dp);
  wdev.resize(at + count * dp);
  for (std::size_t k = 0; k < count; ++k) {
    const double w = sign * std::exp(double(e[k].score) * kLn2 - log_max) / sum;
    const T* b = coords + e[k].point * dp;
    T* x = dev.data() + at + k * dp;
    T* wx = wdev.data() + at + k * dp;
    for (int i = 0; i < dp; ++i) {
      const double v = i < d ? double(b[i]) - mu[i] : 0.0;
      x[i] = T(v);
      wx[i] = T(w * v);
    }
  }
}

template <class T>
void weighted_gram(const std::vector<T>& wdev, const std::vector<T>& dev, int d, int dp, double* H) {
  gram(wdev.data(), dev.data(), int(dev.size() / dp), d, dp, H);
}

template class TopPoints<float>;
template class TopPoints<double>;
template void weighted_gram(const std::vector<float>&, const std::vector<float>&, int, int, double*);
template void weighted_gram(const std::vector<double>&, const std::vector<double>&, int, int, double*);

}  // namespace simpor::cpu
