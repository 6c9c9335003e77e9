// Which seeds share a local set (kde_tol > 0): seeds of one centre, in order
// of radius, and small groups of seeds whose centres lie close together.
#pragma once

#include <cstdint>
#include <vector>

#include "cpu/local_set.hpp"

namespace simpor::cpu {

// Most seeds in a piece: one worker's slots.
constexpr int kPiece = 64;
// Pieces form within windows of kPieceWindow seeds of a call, so a caller
// that cuts its seeds into calls of whole windows (_core.PIECE_WINDOW) gets
// the same pieces, and so the same bytes, for any call size.
constexpr std::int64_t kPieceWindow = 256;

template <class T>
struct Pieces {
  std::vector<index_t> order;   // seed indices, piece after piece
  std::vector<index_t> bounds;  // piece p: order[bounds[p], bounds[p + 1])
  std::vector<std::vector<Ball<T>>> balls;
};

// The pieces of the seeds (rows of d values and n_cat codes) with their
// sphere radii. A centre is a seed's row and codes together. Groups of
// seeds with equal centres of at least kPiece seeds are cut into near-equal
// pieces; smaller groups are merged, greedily and in sorted order, with the
// nearest ones whose centres lie within kMergeReach times the leading group's
// largest radius, while the piece fits in kPiece (a nearby centre widens the
// local set less than a run of its own costs).
template <class T>
Pieces<T> plan_pieces(const PointSet<T>& seeds, const T* radii, int d, int n_cat);

}  // namespace simpor::cpu
