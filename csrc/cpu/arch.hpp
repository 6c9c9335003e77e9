// Architecture guards for the CPU core, in one place (hnswlib style): an
// ISA- or OS-specific feature is compiled only where the compiler targets it,
// and every target keeps the generic path (GCC/Clang vector extensions, which
// the compiler lowers to SSE, AVX, NEON or scalar code). SIMPOR_PORTABLE (the
// CMake option of that name) turns every guard off on x86 too, so CI tests on
// x86 the code that other architectures run.
#pragma once

#include <cstdint>  // with glibc this defines __GLIBC__, tested below

#if !defined(__GNUC__) && !defined(__clang__)  // clang-cl defines only the latter
#error "simpor_ext's CPU core needs GCC/Clang vector extensions: build with GCC or Clang (clang-cl on Windows)"
#endif

// SSE's MXCSR register holds the flush-to-zero / denormals-are-zero bits.
#if defined(__SSE__) && !defined(SIMPOR_PORTABLE)
#define SIMPOR_X86_MXCSR 1
#endif

// target_clones compiles the hot loops for several x86-64 levels and picks one
// at load time through an ifunc resolver, which only glibc provides (macOS,
// musl and Windows have none).
#if defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__) && !defined(SIMPOR_PORTABLE) && \
    defined(__has_attribute)
#if __has_attribute(target_clones)
#define SIMPOR_X86_CLONES 1
#endif
#endif

#ifdef SIMPOR_X86_CLONES
#define SIMPOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SIMPOR_CLONES
#endif

namespace simpor::cpu {

// The instruction set the kernels run with, for build_info(): with clones the
// one the loader picked; otherwise the one compiled for.
inline const char* simd_level() {
#if defined(SIMPOR_X86_CLONES)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") ? "avx512" : __builtin_cpu_supports("avx2") ? "avx2" : "generic";
#elif defined(SIMPOR_PORTABLE)
  return "portable";
#elif defined(__AVX512F__)
  return "avx512";
#elif defined(__AVX2__)
  return "avx2";
#elif defined(__ARM_NEON)
  return "neon";
#else
  return "generic";
#endif
}

}  // namespace simpor::cpu
