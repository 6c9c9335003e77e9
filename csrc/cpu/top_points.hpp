// Each candidate's heaviest data points of one class (simpor/sphere_newton.hpp:
// within kHessianCut nats of the largest weight, at most kHessianPoints),
// collected during the streaming pass, for the hessian step rule's Hessian.
#pragma once

#include <vector>

#include "simpor/sphere_newton.hpp"

namespace simpor::cpu {

template <class T>
class TopPoints {
 public:
  // Starts a pass over `rows` candidates; only those with wanted[row] record.
  void reset(int rows, const std::vector<char>& wanted);
  // Keeps, of rows [r0, r0 + kRows) of tile `tile` (scores in log2 units,
  // kRows x kTile, before the rows' running maxima cover the tile), the points
  // within kHessianCut of the larger of the running max and the tile's max.
  void record(int r0, index_t tile, const T* scores, const T* tile_max, const double* running_max);
  // Whether the row kept every point within the cut of the pass's final max
  // (natural units), none dropped for the kHessianPoints cap.
  bool complete(int row, double log_max);
  // Appends row's kept points to dev (count x dp: b_j - mu, zero past column
  // d) and, times sign * w_j, to wdev: w_j the normalised kernel weight, from
  // the pass's final max (natural units) and sum of weights; mu and b_j in
  // the packed coordinates.
  void gather(int row, double log_max, double sum, const double* mu, const T* coords, int dp, int d, double sign,
              std::vector<T>& wdev, std::vector<T>& dev);

 private:
  struct Entry {
    T score;  // log2 units, the pass's per-row shift included
    index_t point;
  };
  void push(int row, Entry e, T floor);
  void keep_top(int row, T floor);

  std::vector<Entry> entries_;  // rows x 4 kHessianPoints
  std::vector<int> count_;
  const char* wanted_ = nullptr;
  std::vector<T> floor_;  // per row: the lightest kept score once kHessianPoints are kept
};

// H (d x d) += sum_k wdev_k dev_k^T, rows of dp values (dp >= d rounded up to 4).
template <class T>
void weighted_gram(const std::vector<T>& wdev, const std::vector<T>& dev, int d, int dp, double* H);

}  // namespace simpor::cpu
