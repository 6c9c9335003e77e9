// Fixed-width vectors for the CPU kernels (GCC/Clang vector extensions).
// One 256-bit type per precision: the compiler lowers it to AVX-512/AVX2 or SSE
// depending on the target_clones variant being compiled (x86-64 glibc), or to
// NEON / scalar code elsewhere, so one source serves every target without
// -march=native.
#pragma once

#include <cstdint>
#include <cstring>

#include "cpu/arch.hpp"

#ifdef SIMPOR_X86_MXCSR
#include <xmmintrin.h>
#endif

namespace simpor::cpu {

template <class T> struct Simd;

template <> struct Simd<float> {
  typedef float vec __attribute__((vector_size(32)));
  typedef std::int32_t lane;  // an integer as wide as a float lane (packed category codes)
  typedef std::int32_t ivec __attribute__((vector_size(32)));
  static constexpr int width = 8;
  static constexpr int mantissa_bits = 23;
  // Adding it rounds |t| < 2^22 to an integer n and leaves n + 127 (the
  // exponent bias) in the low mantissa bits: 1.5 * 2^23 + 127.
  static constexpr float round_shifter = 12583039.0f;
  // Clamp for exp2's argument: 2^-127 has exponent bits 0, so weights that
  // small come out exactly 0, and the ones below 2^-126 are flushed by
  // FlushDenormals (on x86). Each score is taken relative to a running max,
  // so the sum is >= 1 and n flushed terms change it by < n * 1.2e-38.
  static constexpr float exp2_floor = -127.0f;
  static constexpr float pad_score = -1e30f;
  // 2^r on [-1/2, 1/2]: degree-5 minimax fit of the relative error (7.5e-8;
  // < 4 ulp after float rounding), lowest degree first.
  static constexpr int poly_degree = 5;
  static constexpr float poly[] = {1.0000001192092896f, 0.6931469440460205f, 0.24022120237350464f,
                                   0.05550713464617729f, 0.009675541892647743f,
                                   0.0013276466634124517f};
};

template <> struct Simd<double> {
  typedef double vec __attribute__((vector_size(32)));
  typedef std::int64_t lane;
  typedef std::int64_t ivec __attribute__((vector_size(32)));
  static constexpr int width = 4;
  static constexpr int mantissa_bits = 52;
  static constexpr double round_shifter = 6755399441056767.0;  // 1.5 * 2^52 + 1023
  static constexpr double exp2_floor = -1023.0;  // as for float: 2^-1023 has exponent bits 0
  static constexpr double pad_score = -1e300;
  // 2^r on [-1/2, 1/2]: Taylor series (ln 2)^k / k! to degree 12, remainder
  // < 2e-16 relative.
  static constexpr int poly_degree = 12;
  static constexpr double poly[] = {1.0,
                                    6.931471805599453094e-1,
                                    2.402265069591007123e-1,
                                    5.550410866482157995e-2,
                                    9.618129107628477161e-3,
                                    1.333355814642844343e-3,
                                    1.540353039338160995e-4,
                                    1.525273380405984028e-5,
                                    1.321548679014430931e-6,
                                    1.017808600923969859e-7,
                                    7.054911620801123330e-9,
                                    4.445538271870811497e-10,
                                    2.567843599348820522e-11};
};

// Sets flush-to-zero and denormals-are-zero on the calling thread while it
// lives: tiny weights and their products then never take the slow subnormal
// path (tens of cycles each on many x86 cores) and read as 0.
#ifdef SIMPOR_X86_MXCSR
class FlushDenormals {
 public:
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFtz | kDaz); }
  ~FlushDenormals() { _mm_setcsr(saved_); }
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
  static constexpr unsigned kFtz = 0x8000, kDaz = 0x0040;
  unsigned saved_;
};
#else
// Elsewhere a no-op, as flushing is only a speed matter: the clamp in
// exp2_shifted already makes weights below 2^-126.5 (double: 2^-1022.5)
// exactly 0, so a flush would only zero subnormal weights and products, each
// < 2^-126 (2^-1022), added to sums whose weights total >= 1. Kept, they move
// the results by no more than the bound given at Simd<float>::exp2_floor for
// flushed ones. (AArch64's FPCR.FZ would flush too; never measured, so unused.)
class FlushDenormals {
 public:
  FlushDenormals() {}
};
#endif

template <class T> using vec_t = typename Simd<T>::vec;

#define SIMPOR_INLINE inline __attribute__((always_inline))

template <class To, class From>
SIMPOR_INLINE To bit_cast(From v) {
  static_assert(sizeof(To) == sizeof(From));
  To out;
  std::memcpy(&out, &v, sizeof(out));
  return out;
}

template <class T>
SIMPOR_INLINE vec_t<T> load(const T* p) {
  vec_t<T> v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

template <class T>
SIMPOR_INLINE void store(T* p, vec_t<T> v) {
  std::memcpy(p, &v, sizeof(v));
}

template <class T>
SIMPOR_INLINE typename Simd<T>::ivec load_lanes(const typename Simd<T>::lane* p) {
  typename Simd<T>::ivec v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// v + (a != b ? penalty : 0), lane by lane: the compare's all-ones mask selects
// the penalty's bits (one compare, one and, one add per vector).
template <class T>
SIMPOR_INLINE vec_t<T> add_where_differ(vec_t<T> v, typename Simd<T>::ivec a, typename Simd<T>::ivec b,
                                        typename Simd<T>::ivec penalty_bits) {
  using I = typename Simd<T>::ivec;
  return v + bit_cast<vec_t<T>>(static_cast<I>(a != b) & penalty_bits);
}

template <class T>
SIMPOR_INLINE vec_t<T> splat(T x) {
  return vec_t<T>{} + x;
}

template <class T>
SIMPOR_INLINE vec_t<T> vmax(vec_t<T> a, vec_t<T> b) {
  return a > b ? a : b;
}

// Largest lane, lane by lane: max is exact, so any order gives the same
// value, and Clang has no __builtin_shuffle (nor GCC < 12
// __builtin_shufflevector). Once per row and tile, so its speed does not matter.
template <class T>
SIMPOR_INLINE T hmax(vec_t<T> v) {
  T m = v[0];
  for (int l = 1; l < Simd<T>::width; ++l) m = v[l] > m ? v[l] : m;
  return m;
}

// acc[0..W) = acc * old_scale + v * new_scale, in double (merges one tile's
// float sums into the float64 running sums).
SIMPOR_INLINE void merge_into(double* acc, Simd<float>::vec v, double old_scale, double new_scale) {
  typedef float half_vec __attribute__((vector_size(16)));
  typedef double wide_vec __attribute__((vector_size(32)));
  half_vec halves[2];
  std::memcpy(halves, &v, sizeof(v));
  for (int h = 0; h < 2; ++h)
    store(acc + 4 * h, load(acc + 4 * h) * old_scale + __builtin_convertvector(halves[h], wide_vec) * new_scale);
}

SIMPOR_INLINE void merge_into(double* acc, Simd<double>::vec v, double old_scale, double new_scale) {
  store(acc, load(acc) * old_scale + v * new_scale);
}

// max(t, exp2_floor) for t <= 0. Float: the bit patterns of non-positive
// floats order by magnitude as unsigned integers, so it is one integer min
// (GCC emits compare + blend for a float max inside target_clones).
SIMPOR_INLINE Simd<float>::vec clamp_floor(Simd<float>::vec t) {
  typedef std::uint32_t U __attribute__((vector_size(32)));
  const U bits = bit_cast<U>(t), floor = bit_cast<U>(splat(Simd<float>::exp2_floor));
  return bit_cast<Simd<float>::vec>(bits < floor ? bits : floor);
}

SIMPOR_INLINE Simd<double>::vec clamp_floor(Simd<double>::vec t) {
  return vmax<double>(t, splat(Simd<double>::exp2_floor));
}

// w[i] = 2^(s[i] - shift[i]) (0 below 2^-126 under FlushDenormals). Scores
// are in log2 units, so the range reduction t = n + r, |r| <= 1/2, is one
// rounding add (no Cody-Waite multiplies); 2^n is shifted into the exponent
// bits and 2^r is a polynomial. N independent vectors go step by step side by
// side: one alone is a ~40-cycle dependency chain, too long for the
// out-of-order window to hide.
template <class T, int N>
SIMPOR_INLINE void exp2_shifted(vec_t<T> (&w)[N], const T (&shift)[N]) {
  using S = Simd<T>;
  using V = vec_t<T>;
  using I = typename S::ivec;
  V r[N], shifted[N], p[N];
#pragma GCC unroll 8
  for (int i = 0; i < N; ++i) {
    const V tc = clamp_floor(w[i] - shift[i]);  // keeps n + bias a valid exponent
    shifted[i] = tc + S::round_shifter;
    r[i] = tc - (shifted[i] - S::round_shifter);
    p[i] = splat(S::poly[S::poly_degree]);
  }
#pragma GCC unroll 16
  for (int k = S::poly_degree - 1; k >= 0; --k)
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i) p[i] = p[i] * r[i] + S::poly[k];
#pragma GCC unroll 8
  for (int i = 0; i < N; ++i) {
    // n + bias sits in the low mantissa bits; the shift drops everything above them.
    const V scale = bit_cast<V>(bit_cast<I>(shifted[i]) << S::mantissa_bits);
    w[i] = p[i] * scale;
  }
}

}  // namespace simpor::cpu
