// Interface between the host orchestration (C++) and the CUDA kernels (.cu).
// Plain C++: no CUDA syntax, so host translation units include it freely.
#pragma once

#include "cuda/runtime.hpp"

#include "simpor/ascent_step.hpp"

namespace simpor::cuda {

// Data are packed in chunks of kChunk points: the padding unit (the last
// chunk is filled with points whose score is -1e30) and the unit in which a
// class is split into segments across thread blocks.
constexpr int kChunk = 64;

// Widest packed row (d features + 1 bias slot, rounded up) the kernels handle.
// A packed row of width w holds the d scaled features, zeros, a column of ones
// at w - 2 when there is room (d + 2 <= w: its weighted sum is the sum of the
// weights, so no separate running sum) and the bias at w - 1. Fixed positions
// let the thread kernels skip both columns where they do not contribute.
constexpr int kMaxWidth = 1024;
constexpr int kMaxFeatures = kMaxWidth - 1;

// Rows per block of the first pass of the (deterministic) centre reduction.
constexpr int kCentreRowsPerBlock = 1024;

// Categorical columns (simpor/data_sets.hpp). Codes are int32, stored per
// point in rows of n_cat rounded up to kCodeQuad (padding columns hold code 0
// with penalty 0, so they never add anything), which the kernels compare a
// quad (one 16-byte load) at a time. kMaxCategories bounds what the kernels'
// shared memory holds: every layout's block fits the smallest opt-in limit of
// the architectures we build for (kMaxSharedBytes, sm_75), checked at
// compile time in kde_kernels.cu.
constexpr int kCodeQuad = 4;
constexpr int kMaxCategories = 64;
constexpr int kMaxSharedBytes = 64 * 1024;
constexpr int kDefaultSharedBytes = 48 * 1024;  // above it a kernel must opt in

SIMPOR_HD constexpr int padded_categories(int n_cat) { return (n_cat + kCodeQuad - 1) / kCodeQuad * kCodeQuad; }

// Candidates per block of the thread family on mixed data: its shared memory
// also holds each candidate's codes (4 bytes per column), so blocks are half
// the numeric ones' to keep the largest (float64, width 32, 64 columns) within
// kMaxSharedBytes.
constexpr int kMixedThreadBlock = 64;

// Which kernel family evaluates a problem of d features and n_cat categorical ones.
//   thread path: width = pow2 >= d + 1 in {4..32} (float without categories:
//     up to 64); one thread holds one candidate, all threads stream the same
//     data points (shared-memory broadcast), x and the running sums live in
//     registers, the candidate's codes in shared memory.
//   warp path: width = 32 * pow2 up to kMaxWidth; one warp per candidate, each
//     lane holds width / 32 features (and categorical columns l, l + 32),
//     scores reduced with shuffles.
struct Layout {
  int width = 0;            // packed row length (features + bias, padded)
  bool warp = false;        // warp path
  int block = 128;          // threads per block
  int cands_per_block = 0;  // candidates per block
  bool ones = false;        // packed rows carry the ones column
  int codes = 0;            // categorical columns padded to kCodeQuad (0: the numeric kernels)
};

SIMPOR_HD constexpr bool has_ones_column(int d, int width) { return d + 2 <= width; }

inline int next_pow2(int v) {
  int p = 1;
  while (p < v) p *= 2;
  return p;
}

// Returns a Layout with width 0 when d or n_cat is too large. d = 0 (only
// categorical columns) takes the narrowest thread kernel: its packed rows hold
// the ones column and a zero bias, so scores are the categorical terms alone.
inline Layout choose_layout(int d, bool single, int n_cat = 0) {
  Layout l;
  const int need = d + 1;
  if (need > kMaxWidth || n_cat < 0 || n_cat > kMaxCategories) return l;
  l.codes = padded_categories(n_cat);
  // float32 width 64 with categories would need more shared memory than
  // kMaxSharedBytes: it takes the warp path.
  const int thread_max = single && n_cat == 0 ? 64 : 32;
  if (need <= thread_max) {
    l.width = next_pow2(need < 4 ? 4 : need);
    l.block = n_cat ? kMixedThreadBlock : l.width <= 32 ? 128 : 64;
    l.cands_per_block = l.block;
  } else {
    l.width = 32 * next_pow2((need + 31) / 32);
    l.warp = true;
    l.block = 128;
    l.cands_per_block = l.block / 32;
  }
  l.ones = has_ones_column(d, l.width);
  return l;
}

template <class T>
struct EvalArgs {
  const T* points;        // candidates in the caller's coordinates, (m, d)
  const int* count;       // device-side number of candidates, or nullptr for m
  int m;                  // host-side upper bound of the count; row stride of `partials`
  int d;
  const T* centre;        // (d) the data centre subtracted from candidates
  const T* numer;         // packed class B, (chunks_numer * kChunk, width)
  const T* denom;         // packed contrast set A, (chunks_denom * kChunk, width)
  int chunks_numer, chunks_denom;
  int seg_numer, seg_denom;  // segments per class (grid.y = their sum)
  double* partials;       // (seg_numer + seg_denom, m, d + 2): ref, sum, weighted[d]
  T* log_ratio;           // (m)
  T* grad;                // (m, d)
  // Categorical columns (n_cat = 0: none, and the pointers are unused).
  int n_cat;
  int n_codes;             // n_cat padded to kCodeQuad: the row length of the packed codes
  const int* codes;        // the candidates' codes, (rows, n_cat)
  const int* code_row;     // (m) the row of `codes` of each candidate, or nullptr for row i
  // packed codes of class B, then of contrast set A: ((chunks_numer + chunks_denom) * kChunk, n_codes); padding 0
  const int* class_codes;
  const T* penalty;        // (n_codes) log2 weight of a differing category, <= 0; padding 0
};
// nvcc 13 reads a kernel parameter larger than 128 bytes through a generic
// pointer to the parameter space, which costs the numeric kernels registers
// (and spills); hence one pointer for both classes' codes.
static_assert(sizeof(EvalArgs<double>) <= 128, "EvalArgs: keep kernel parameters within 128 bytes");

// Streams both classes past the candidates (partials) and merges the
// segments into log f and grad log f. Asynchronous on `stream`.
template <class T>
void launch_evaluate(const EvalArgs<T>& args, const Layout& layout, cudaStream_t stream);

// Resident blocks per multiprocessor of the partials kernel for `layout`.
template <class T>
int resident_blocks(const Layout& layout);

// Whether this build holds a kernel image the current device can run;
// `error` receives the runtime's answer when not.
bool kernels_loadable(cudaError_t* error);

// ---- data preparation -----------------------------------------------------------

// centre = T(mean of the rows of numer and denom), summed in float64 in a fixed
// order; `partial` holds (ceil(n_numer / kCentreRowsPerBlock) +
// ceil(n_denom / kCentreRowsPerBlock)) x d doubles.
template <class T>
void launch_centre(const T* numer, long long n_numer, const T* denom, long long n_denom, int d, double* partial,
                   T* centre, cudaStream_t stream);

// Packs n rows of d values into `padded_rows` rows of `width` (a whole number
// of kChunk): (b - centre) * scale, zeros, the ones column if there is room,
// and the bias |b - centre|^2 * scale / 2 at width - 1; rows past n carry the
// bias `pad` (weight 0).
template <class T>
void launch_pack(const T* rows, long long n, long long padded_rows, int d, int width, const T* centre, double scale,
                 double pad, T* packed, cudaStream_t stream);

// Packs n rows of n_cat codes into `padded_rows` rows of n_codes (a whole
// number of kChunk rows): the codes, then zeros (padding columns and rows).
void launch_pack_codes(const int* codes, long long n, long long padded_rows, int n_cat, int n_codes, int* packed,
                       cudaStream_t stream);

// ---- Algorithm 1 --------------------------------------------------------------

template <class T>
struct SeedState {
  const T* seeds;    // (m, d) sphere centres
  const T* radii;    // (m)
  T* u;              // (m, d) current unit direction
  T* points;         // (m, d) current point seed + r u
  T* grad;           // (m, d) grad log f at the current point
  T* circle;         // (m, d) direction of the next great circle
  T* pair_s;         // (m, kPairs, d) newton: L-BFGS steps (else null)
  T* pair_y;         // (m, kPairs, d) newton: L-BFGS gradient changes (else null)
  T* log_ratio;      // (m) log f at the current point
  SearchState* search;  // (m) the step rule's state
  int* status;       // (m) SeedStatus
  int* n_iter;       // (m) trials so far
  int m;
  int d;
};

// Trials of one round, compacted: entry a belongs to seed `seed[a]`.
template <class T>
struct TrialList {
  int* seed;   // (capacity)
  int* count;  // device counter
  T* u;        // (capacity, d) trial direction
  T* p;        // (capacity, d) trial point
};

// points = seeds + radii * u for every seed.
template <class T>
void launch_place(const SeedState<T>& s, cudaStream_t stream);

// Initial status of each seed (evaluated at its start point) and the first
// round of trials appended to `out` (whose count must be zero).
template <class T>
void launch_start(const SeedState<T>& s, const StepParams& params, const TrialList<T>& out, cudaStream_t stream);

// Accepts or rejects the trials of `in` (log f and gradient evaluated into
// trial_f / trial_grad at the same positions), updates each seed's angle and
// status, and appends the next trial of every still-active seed to `out`.
// `bound` is a host-side upper bound of in.count.
template <class T>
void launch_step(const SeedState<T>& s, const StepParams& params, const TrialList<T>& in, const T* trial_f,
                 const T* trial_grad, int bound, const TrialList<T>& out, cudaStream_t stream);

}  // namespace simpor::cuda
