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

// Paper Algorithm 1, lines 4-7: tangent of the gradient, stationarity test,
// rotation by the seed's angle; appends the trial to `out` unless stationary.
template <class T>
__device__ void append_trial(const SeedState<T>& s, int i, const TrialList<T>& out) {
  const long long row = static_cast<long long>(i) * s.d;
  const T* g = s.grad + row;
  const T* u = s.u + row;
  T* t = s.tangent + row;
  const double tangent_norm = tangent_of(g, u, t, s.d);
  double grad_norm2 = 0.0;
  for (int k = 0; k < s.d; ++k) grad_norm2 += double(g[k]) * double(g[k]);
  if (is_stationary(tangent_norm, sqrt(grad_norm2))) {
    s.status[i] = seed_converged;
    return;
  }
  const int a = atomicAdd(out.count, 1);
  out.seed[a] = i;
  T* trial_u = out.u + static_cast<long long>(a) * s.d;
  rotate_towards(u, t, tangent_norm, s.angle[i], trial_u, s.d);
  point_on_sphere(s.seeds + row, double(s.radii[i]), trial_u, out.p + static_cast<long long>(a) * s.d, s.d);
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
  s.angle[i] = params.step;
  if (s.radii[i] == T(0)) {
    s.status[i] = seed_converged;  // the sphere is a point
  } else if (params.max_iter <= 0) {
    s.status[i] = seed_exhausted;
  } else {
    s.status[i] = seed_active;
    append_trial(s, i, out);
  }
}

template <class T>
__global__ void step_kernel(const SeedState<T> s, const StepParams params, const TrialList<T> in,
                            const T* trial_f, const T* trial_grad, int bound, const TrialList<T> out) {
  const int a = blockIdx.x * blockDim.x + threadIdx.x;
  if (a >= bound || a >= *in.count) return;
  const int i = in.seed[a];
  const long long row = static_cast<long long>(i) * s.d, trial = static_cast<long long>(a) * s.d;
  const bool improved = trial_f[a] > s.log_ratio[i];  // strict, as on the CPU
  if (improved) {
    for (int k = 0; k < s.d; ++k) {
      s.u[row + k] = in.u[trial + k];
      s.points[row + k] = in.p[trial + k];
      s.grad[row + k] = trial_grad[trial + k];
    }
    s.log_ratio[i] = trial_f[a];
  }
  const int n_iter = ++s.n_iter[i];
  double angle = s.angle[i];
  const int status = after_trial(params, improved, n_iter, angle);
  s.angle[i] = angle;
  s.status[i] = status;
  if (status == seed_active) append_trial(s, i, out);
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
