// Device-side preparation of the data: the centre of numer and denom, and the
// packed rows the streaming kernels read (see pack layout in kernels.hpp).
// Done on the GPU so a call costs the host one plain copy of each class.
#include "cuda/check.hpp"
#include "cuda/kernels.hpp"
#include "cuda/runtime.hpp"

namespace simpor::cuda {
namespace {

constexpr int kSumThreads = 128;
constexpr int kPackWarps = 8;

// partial[block][k] = sum of column k over the block's rows (a fixed order, so
// the centre -- and every result -- is the same on every run).
template <class T>
__global__ void column_sums(const T* rows, long long n, int d, double* partial) {
  const long long first = static_cast<long long>(blockIdx.x) * kCentreRowsPerBlock;
  const long long last = first + kCentreRowsPerBlock < n ? first + kCentreRowsPerBlock : n;
  for (int k = threadIdx.x; k < d; k += blockDim.x) {
    double s = 0.0;
    for (long long r = first; r < last; ++r) s += double(rows[r * d + k]);
    partial[static_cast<long long>(blockIdx.x) * d + k] = s;
  }
}

template <class T>
__global__ void finish_centre(const double* partial, int blocks, int d, long long n, T* centre) {
  for (int k = blockIdx.x * blockDim.x + threadIdx.x; k < d; k += gridDim.x * blockDim.x) {
    double s = 0.0;
    for (int b = 0; b < blocks; ++b) s += partial[static_cast<long long>(b) * d + k];
    centre[k] = T(s / double(n));
  }
}

// Value of column k >= d of a packed row: the ones column or zero (the bias
// column is written separately).
template <class T>
__device__ __forceinline__ T filler(int k, int d, int width) {
  return k == width - 2 && has_ones_column(d, width) ? T(1) : T(0);
}

// One warp per packed row: (b - centre) * scale, zeros, the ones column, then
// the bias |b - centre|^2 * scale / 2 at width - 1; padding rows score -pad.
template <class T>
__global__ void pack_rows(const T* rows, long long n, long long padded_rows, int d, int width, const T* centre,
                          double scale, T pad, T* packed) {
  const int lane = threadIdx.x % 32;
  const long long j = static_cast<long long>(blockIdx.x) * kPackWarps + threadIdx.x / 32;
  if (j >= padded_rows) return;  // whole warp
  T* out = packed + j * width;
  double sq = 0.0;
  for (int k = lane; k < width - 1; k += 32) {
    if (k < d && j < n) {
      const double v = double(rows[j * d + k]) - double(centre[k]);
      sq += v * v;
      out[k] = T(v * scale);
    } else {
      out[k] = filler<T>(k, d, width);
    }
  }
  for (int off = 16; off > 0; off /= 2) sq += __shfl_xor_sync(0xffffffffu, sq, off);
  if (lane == 0) {
    const double bias = 0.5 * sq * scale;
    out[width - 1] = j < n && bias < double(pad) ? T(bias) : pad;
  }
}

// One thread per packed code: row j's code c, 0 in the padding columns and rows.
__global__ void pack_code_rows(const int* codes, long long n, long long padded_rows, int n_cat, int n_codes,
                               int* packed) {
  const long long e = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= padded_rows * n_codes) return;
  const long long j = e / n_codes;
  const int c = int(e % n_codes);
  packed[e] = j < n && c < n_cat ? codes[j * n_cat + c] : 0;
}

inline unsigned ceil_div(long long a, long long b) { return unsigned((a + b - 1) / b); }

}  // namespace

template <class T>
void launch_centre(const T* numer, long long n_numer, const T* denom, long long n_denom, int d, double* partial,
                   T* centre, cudaStream_t stream) {
  if (d == 0) return;  // only categorical columns: no centre
  const unsigned blocks_numer = ceil_div(n_numer, kCentreRowsPerBlock);
  const unsigned blocks_denom = ceil_div(n_denom, kCentreRowsPerBlock);
  SIMPOR_LAUNCH(column_sums<T>, blocks_numer, kSumThreads, 0, stream, numer, n_numer, d, partial);
  check_launch("the column-sum kernel");
  SIMPOR_LAUNCH(column_sums<T>, blocks_denom, kSumThreads, 0, stream, denom, n_denom, d,
                partial + static_cast<long long>(blocks_numer) * d);
  check_launch("the column-sum kernel");
  SIMPOR_LAUNCH(finish_centre<T>, ceil_div(d, kSumThreads), kSumThreads, 0, stream, partial,
                int(blocks_numer + blocks_denom), d, n_numer + n_denom, centre);
  check_launch("the centre kernel");
}

template <class T>
void launch_pack(const T* rows, long long n, long long padded_rows, int d, int width, const T* centre, double scale,
                 double pad, T* packed, cudaStream_t stream) {
  SIMPOR_LAUNCH(pack_rows<T>, ceil_div(padded_rows, kPackWarps), kPackWarps * 32, 0, stream, rows, n, padded_rows, d,
                width, centre, scale, T(pad), packed);
  check_launch("the pack kernel");
}

void launch_pack_codes(const int* codes, long long n, long long padded_rows, int n_cat, int n_codes, int* packed,
                       cudaStream_t stream) {
  if (padded_rows * n_codes == 0) return;
  SIMPOR_LAUNCH(pack_code_rows, ceil_div(padded_rows * n_codes, kSumThreads), kSumThreads, 0, stream, codes, n,
                padded_rows, n_cat, n_codes, packed);
  check_launch("the code-packing kernel");
}

template void launch_centre(const float*, long long, const float*, long long, int, double*, float*, cudaStream_t);
template void launch_centre(const double*, long long, const double*, long long, int, double*, double*, cudaStream_t);
template void launch_pack(const float*, long long, long long, int, int, const float*, double, double, float*,
                          cudaStream_t);
template void launch_pack(const double*, long long, long long, int, int, const double*, double, double, double*,
                          cudaStream_t);

}  // namespace simpor::cuda
