#include "cpu/ascent_cpu.hpp"

#include <algorithm>
#include <vector>

#include "cpu/threads.hpp"

namespace simpor::cpu {
namespace {

template <class T>
struct SeedBuffers {
  std::vector<T> u, grad;
  std::vector<double> angle;
  std::vector<int> status;
};

// Prepares the trial point of each active seed; seeds whose tangential
// gradient vanished are marked converged and left out of `trials`.
template <class T>
void prepare_trials(const T* seeds, const T* radii, int d, SeedBuffers<T>& s, std::vector<index_t>& active,
                    std::vector<T>& trial_u, std::vector<T>& trial_p, int threads) {
  std::vector<T> tangent(active.size() * d);
  std::vector<char> stationary(active.size(), 0);
  parallel_dynamic(
      index_t(active.size()), threads, [] { return 0; },
      [&](index_t a, int&) {
        const index_t i = active[a];
        T* t = tangent.data() + a * d;
        const double tnorm = tangent_of(s.grad.data() + i * d, s.u.data() + i * d, t, d);
        double gnorm2 = 0.0;
        for (int k = 0; k < d; ++k) gnorm2 += double(s.grad[i * d + k]) * double(s.grad[i * d + k]);
        stationary[a] = is_stationary(tnorm, std::sqrt(gnorm2));
        if (!stationary[a]) {
          rotate_towards(s.u.data() + i * d, t, tnorm, s.angle[i], trial_u.data() + a * d, d);
          point_on_sphere(seeds + i * d, double(radii[i]), trial_u.data() + a * d, trial_p.data() + a * d, d);
        }
      });
  index_t kept = 0;
  for (index_t a = 0; a < index_t(active.size()); ++a) {
    if (stationary[a]) {
      s.status[active[a]] = seed_converged;
      continue;
    }
    if (kept != a) {
      std::copy_n(trial_u.data() + a * d, d, trial_u.data() + kept * d);
      std::copy_n(trial_p.data() + a * d, d, trial_p.data() + kept * d);
    }
    active[kept++] = active[a];
  }
  active.resize(kept);
}

}  // namespace

template <class T>
void ascend(const KdeProblem<T>& pb, const T* seeds, const T* radii, const T* directions, index_t m,
            const StepParams& params, int n_threads, T* points, T* log_ratio, std::int32_t* n_iter,
            std::uint8_t* converged) {
  const int d = pb.d, threads = resolve_threads(n_threads);
  SeedBuffers<T> s{std::vector<T>(directions, directions + m * d), std::vector<T>(m * d),
                   std::vector<double>(m, params.step), std::vector<int>(m, seed_active)};
  for (index_t i = 0; i < m; ++i) point_on_sphere(seeds + i * d, double(radii[i]), s.u.data() + i * d, points + i * d, d);
  evaluate(pb, points, m, log_ratio, s.grad.data(), n_threads);

  std::vector<index_t> active;
  for (index_t i = 0; i < m; ++i) {
    n_iter[i] = 0;
    if (radii[i] == T(0)) s.status[i] = seed_converged;  // the sphere is a point
    else if (params.max_iter <= 0) s.status[i] = seed_exhausted;
    else active.push_back(i);
  }
  std::vector<T> trial_u(m * d), trial_p(m * d), trial_grad(m * d), trial_f(m);
  while (!active.empty()) {
    prepare_trials(seeds, radii, d, s, active, trial_u, trial_p, threads);
    evaluate(pb, trial_p.data(), index_t(active.size()), trial_f.data(), trial_grad.data(), n_threads);
    std::vector<index_t> still;
    for (index_t a = 0; a < index_t(active.size()); ++a) {
      const index_t i = active[a];
      const bool improved = trial_f[a] > log_ratio[i];
      if (improved) {
        std::copy_n(trial_u.data() + a * d, d, s.u.data() + i * d);
        std::copy_n(trial_p.data() + a * d, d, points + i * d);
        std::copy_n(trial_grad.data() + a * d, d, s.grad.data() + i * d);
        log_ratio[i] = trial_f[a];
      }
      s.status[i] = after_trial(params, improved, ++n_iter[i], s.angle[i]);
      if (s.status[i] == seed_active) still.push_back(i);
    }
    active.swap(still);
  }
  for (index_t i = 0; i < m; ++i) converged[i] = s.status[i] == seed_converged;
}

template void ascend(const KdeProblem<float>&, const float*, const float*, const float*, index_t,
                     const StepParams&, int, float*, float*, std::int32_t*, std::uint8_t*);
template void ascend(const KdeProblem<double>&, const double*, const double*, const double*, index_t,
                     const StepParams&, int, double*, double*, std::int32_t*, std::uint8_t*);

}  // namespace simpor::cpu
