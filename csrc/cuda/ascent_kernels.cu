// Algorithm 1 on the device: per-seed updates between the evaluation passes.
//
// One thread per seed; the maths (tangent, rotation, step rule) is the shared
// header's, so the CPU and GPU take the same decisions on the same numbers.
// Seeds that retire are simply not appended to the next round's trial list
// (an atomic append: the list order varies, but no seed's arithmetic depends
// on its position), so later rounds cost only what is still active.
#include "cuda/check.hpp"
#include "cuda/kernels.hpp"
#include "cuda/runtime.hpp"

namespace simpor::cuda {
namespace {

constexpr int kThreads = 128;

inline unsigned blocks_for(long long n) { return unsigned((n + kThreads - 1) / kThreads); }

template <class T>
__device__ SeedRef<T> seed_ref(const SeedState<T>& s, int i) {
  const long long row = static_cast<long long>(i) * s.d;
  const long long pairs = row * kPairs;
  return {s.seeds + row, double(s.radii[i]), s.u + row, s.points + row, s.grad + row, s.log_ratio + i,
          s.circle + row, s.pair_s ? s.pair_s + pairs : nullptr, s.pair_y ? s.pair_y + pairs : nullptr};
}

// Appends seed i's next trial to `out`, or marks it converged when its point
// is stationary (simpor/ascent_step.hpp).
template <class T>
__device__ void append_trial(const SeedState<T>& s, const StepParams& params, int i, const TrialList<T>& out) {
  const SeedRef<T> seed = seed_ref(s, i);
  const double cnorm = moving_circle(params, seed, s.d);
  if (cnorm < 0.0) {
    s.status[i] = seed_converged;
    return;
  }
  const int a = atomicAdd(out.count, 1);
  out.seed[a] = i;
  const long long at = static_cast<long long>(a) * s.d;
  propose_trial(seed, cnorm, s.search[i].angle, out.u + at, out.p + at, s.d);
}

template <class T>
__global__ void place_kernel(const SeedState<T> s) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= s.m) return;
  const long long row = static_cast<long long>(i) * s.d;
  point_on_sphere(s.seeds + row, double(s.radii[i]), s.u + row, s.points + row, s.d);
}

template <class T>
__global__ void start_kernel(const SeedState<T> s, const StepParams params, const TrialList<T> out) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= s.m) return;
  s.n_iter[i] = 0;
  s.search[i] = start_search(params, seed_ref(s, i), s.d);
  s.status[i] = start_status(params, double(s.radii[i]));
  if (s.status[i] == seed_active) append_trial(s, params, i, out);
}

template <class T>
__global__ void step_kernel(const SeedState<T> s, const StepParams params, const TrialList<T> in,
                            const T* trial_f, const T* trial_grad, int bound, const TrialList<T> out) {
  const int a = blockIdx.x * blockDim.x + threadIdx.x;
  if (a >= bound || a >= *in.count) return;
  const int i = in.seed[a];
  const long long trial = static_cast<long long>(a) * s.d;
  SearchState search = s.search[i];
  const int status = take_trial(params, seed_ref(s, i), search, in.u + trial, in.p + trial, trial_grad + trial,
                                trial_f[a], ++s.n_iter[i], s.d);
  s.search[i] = search;
  s.status[i] = status;
  if (status == seed_active) append_trial(s, params, i, out);
}

}  // namespace

template <class T>
void launch_place(const SeedState<T>& s, cudaStream_t stream) {
  if (s.m <= 0) return;
  SIMPOR_LAUNCH(place_kernel<T>, blocks_for(s.m), kThreads, 0, stream, s);
  check_launch("the place kernel");
}

template <class T>
void launch_start(const SeedState<T>& s, const StepParams& params, const TrialList<T>& out, cudaStream_t stream) {
  if (s.m <= 0) return;
  SIMPOR_LAUNCH(start_kernel<T>, blocks_for(s.m), kThreads, 0, stream, s, params, out);
  check_launch("the start kernel");
}

template <class T>
void launch_step(const SeedState<T>& s, const StepParams& params, const TrialList<T>& in, const T* trial_f,
                 const T* trial_grad, int bound, const TrialList<T>& out, cudaStream_t stream) {
  if (bound <= 0) return;
  SIMPOR_LAUNCH(step_kernel<T>, blocks_for(bound), kThreads, 0, stream, s, params, in, trial_f, trial_grad, bound, out);
  check_launch("the step kernel");
}

template void launch_place(const SeedState<float>&, cudaStream_t);
template void launch_place(const SeedState<double>&, cudaStream_t);
template void launch_start(const SeedState<float>&, const StepParams&, const TrialList<float>&, cudaStream_t);
template void launch_start(const SeedState<double>&, const StepParams&, const TrialList<double>&, cudaStream_t);
template void launch_step(const SeedState<float>&, const StepParams&, const TrialList<float>&, const float*,
                          const float*, int, const TrialList<float>&, cudaStream_t);
template void launch_step(const SeedState<double>&, const StepParams&, const TrialList<double>&, const double*,
                          const double*, int, const TrialList<double>&, cudaStream_t);

}  // namespace simpor::cuda
