// Fixed-width vectors for the CPU kernels (GCC/Clang vector extensions).
// One 256-bit type per precision: the compiler lowers it to AVX-512/AVX2 or SSE
// depending on the target_clones variant being compiled, so one source serves
// every x86-64 without -march=native.
#pragma once

#include <cstdint>
#include <cstring>

namespace simpor::cpu {

template <class T> struct Simd;

template <> struct Simd<float> {
  typedef float vec __attribute__((vector_size(32)));
  typedef std::int32_t ivec __attribute__((vector_size(32)));
  static constexpr int width = 8;
  // Weights below exp(exp_floor) are flushed to 0: each score is taken
  // relative to a running max, so the sum is >= 1 and n such terms change it
  // by < n * 1.3e-14, below float precision for any n < 1e6. The floor also
  // keeps weight * coordinate products out of the (slow) subnormal range.
  static constexpr float exp_floor = -32.0f;
  static constexpr float pad_score = -1e30f;
};

template <> struct Simd<double> {
  typedef double vec __attribute__((vector_size(32)));
  typedef std::int64_t ivec __attribute__((vector_size(32)));
  static constexpr int width = 4;
  static constexpr double exp_floor = -64.0;  // n * 1.6e-28: below double precision
  static constexpr double pad_score = -1e300;
};

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
SIMPOR_INLINE vec_t<T> splat(T x) {
  return vec_t<T>{} + x;
}

template <class T>
SIMPOR_INLINE T hsum(vec_t<T> v) {
  T s = 0;
  for (int i = 0; i < Simd<T>::width; ++i) s += v[i];
  return s;
}

template <class T>
SIMPOR_INLINE T hmax(vec_t<T> v) {
  T m = v[0];
  for (int i = 1; i < Simd<T>::width; ++i) m = v[i] > m ? v[i] : m;
  return m;
}

template <class T>
SIMPOR_INLINE vec_t<T> vmax(vec_t<T> a, vec_t<T> b) {
  return a > b ? a : b;
}

// exp(x) for x <= 0, flushing to exactly 0 below exp_floor. Cody-Waite range
// reduction x = n ln2 + r, |r| <= ln2/2, then a polynomial in r: Cephes' minimax
// expf coefficients (< 2 ulp) for float, a degree-13 Taylor series (< 1e-16
// relative) for double. 2^n is built in the exponent bits.
SIMPOR_INLINE Simd<float>::vec vexp(Simd<float>::vec x) {
  using V = Simd<float>::vec;
  using I = Simd<float>::ivec;
  const V xc = vmax<float>(x, splat(Simd<float>::exp_floor));
  const V shifter = splat(12582912.0f);  // 1.5 * 2^23: adding it rounds to an integer
  const V shifted = xc * 1.44269504088896341f + shifter;
  const V n = shifted - shifter;
  V r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  V p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  // The low mantissa bits of `shifted` hold n + 0x400000; move n into the exponent.
  const I bits = (bit_cast<I>(shifted) - 0x4B400000 + 127) << 23;
  const V scale = bit_cast<V>(bits);
  return x < Simd<float>::exp_floor ? splat(0.0f) : p * scale;
}

SIMPOR_INLINE Simd<double>::vec vexp(Simd<double>::vec x) {
  using V = Simd<double>::vec;
  using I = Simd<double>::ivec;
  const V xc = vmax<double>(x, splat(Simd<double>::exp_floor));
  const V shifter = splat(6755399441055744.0);  // 1.5 * 2^52
  const V shifted = xc * 1.4426950408889634074 + shifter;
  const V n = shifted - shifter;
  V r = xc - n * 6.93145751953125e-1;
  r = r - n * 1.42860682030941723212e-6;
  V p = splat(1.0 / 6227020800.0);  // 1/13!
  const double inv_fact[13] = {1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0,
                               1.0 / 362880.0,    1.0 / 40320.0,    1.0 / 5040.0,
                               1.0 / 720.0,       1.0 / 120.0,      1.0 / 24.0,
                               1.0 / 6.0,         0.5,              1.0,
                               1.0};
  for (double c : inv_fact) p = p * r + c;
  const I bits = (bit_cast<I>(shifted) - 0x4338000000000000LL + 1023) << 52;
  const V scale = bit_cast<V>(bits);
  return x < Simd<double>::exp_floor ? splat(0.0) : p * scale;
}

}  // namespace simpor::cpu
