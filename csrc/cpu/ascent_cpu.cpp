#include "cpu/ascent_cpu.hpp"

#include <algorithm>
#include <atomic>
#include <vector>

#include "cpu/threads.hpp"
#include "simpor/cancel.hpp"

namespace simpor::cpu {
namespace {

// Most seeds a worker advances together: up to 16 register blocks, refilled
// from the shared queue as seeds finish, so blocks stay full until the queue
// runs dry. Each round streams the data once for all of them.
constexpr int kMaxSlots = 16 * kRows;

template <class T>
struct AscentJob {
  const KdeProblem<T>& pb;
  const T* seeds;
  const T* radii;
  const StepParams& params;
  index_t m;
  T* points;
  T* log_ratio;
  std::int32_t* n_iter;
  std::uint8_t* converged;
  std::vector<T> u, grad;  // per seed; each seed is owned by one worker at a time
  std::atomic<index_t> next{0};
};

struct Slot {
  index_t seed;
  bool fresh;          // start point not evaluated yet
  SearchState search;  // the step rule's state
};

// One worker: keeps up to slots_max_ seeds in flight; each round evaluates the
// trial point of every slot in one pass over the data.
template <class T>
class AscentWorker {
 public:
  AscentWorker(AscentJob<T>& job, int slots)
      : job_(job), d_(job.pb.d), slots_max_(slots), eval_(job.pb, slots), trial_u_(slots * d_),
        trial_p_(slots * d_), trial_g_(slots * d_), trial_f_(slots), tangent_(d_) {}

  void run() {
    while (refill()) {
      throw_if_cancelled();
      const int count = prepare();
      eval_(trial_p_.data(), count, trial_f_.data(), trial_g_.data());
      apply(count);
    }
  }

 private:
  bool refill() {
    while (int(slots_.size()) < slots_max_) {
      const index_t i = job_.next.fetch_add(1);
      if (i >= job_.m) break;
      job_.n_iter[i] = 0;
      slots_.push_back({i, true, start_search(job_.params)});
    }
    return !slots_.empty();
  }

  SeedRef<T> seed_ref(index_t i) {
    const index_t row = i * d_;
    return {job_.seeds + row, double(job_.radii[i]), job_.u.data() + row, job_.points + row, job_.grad.data() + row,
            job_.log_ratio + i};
  }

  // Fills trial_u_/trial_p_ for the slots still moving; retires stationary ones.
  int prepare() {
    int count = 0;
    std::vector<Slot> kept;
    for (const Slot& s : slots_) {
      const index_t i = s.seed;
      T* tu = trial_u_.data() + count * d_;
      T* tp = trial_p_.data() + count * d_;
      if (s.fresh) {
        std::copy_n(job_.u.data() + i * d_, d_, tu);
        point_on_sphere(job_.seeds + i * d_, double(job_.radii[i]), tu, tp, d_);
      } else {
        const SeedRef<T> seed = seed_ref(i);
        const double tnorm = moving_tangent(job_.params, seed, tangent_.data(), d_);
        if (tnorm < 0.0) {
          job_.converged[i] = 1;
          continue;
        }
        propose_trial(seed, tangent_.data(), tnorm, s.search.angle, tu, tp, d_);
      }
      kept.push_back(s);
      ++count;
    }
    slots_.swap(kept);
    return count;
  }

  void apply(int count) {
    std::vector<Slot> kept;
    for (int b = 0; b < count; ++b) {
      Slot s = slots_[b];
      const index_t i = s.seed;
      int status;
      if (s.fresh) {
        accept(b, i);
        s.fresh = false;
        status = start_status(job_.params, double(job_.radii[i]));
      } else {
        const index_t at = b * d_;
        status = take_trial(job_.params, seed_ref(i), s.search, trial_u_.data() + at, trial_p_.data() + at,
                            trial_g_.data() + at, trial_f_[b], ++job_.n_iter[i], tangent_.data(), d_);
      }
      if (status == seed_active) kept.push_back(s);
      else job_.converged[i] = status == seed_converged;
    }
    slots_.swap(kept);
  }

  void accept(int b, index_t i) {
    std::copy_n(trial_u_.data() + b * d_, d_, job_.u.data() + i * d_);
    std::copy_n(trial_p_.data() + b * d_, d_, job_.points + i * d_);
    std::copy_n(trial_g_.data() + b * d_, d_, job_.grad.data() + i * d_);
    job_.log_ratio[i] = trial_f_[b];
  }

  AscentJob<T>& job_;
  int d_;
  int slots_max_;
  Evaluator<T> eval_;
  std::vector<T> trial_u_, trial_p_, trial_g_, trial_f_, tangent_;
  std::vector<Slot> slots_;
};

}  // namespace

template <class T>
void ascend(const KdeProblem<T>& pb, const T* seeds, const T* radii, const T* directions, index_t m,
            const StepParams& params, int n_threads, T* points, T* log_ratio, std::int32_t* n_iter,
            std::uint8_t* converged) {
  AscentJob<T> job{pb, seeds, radii, params, m, points, log_ratio, n_iter, converged,
                   std::vector<T>(directions, directions + m * pb.d), std::vector<T>(m * pb.d)};
  // One parallel region for the whole ascent: no join per trial, which costs
  // dearly when the machine is oversubscribed. Slot count only changes
  // scheduling, never a seed's arithmetic.
  const int threads = resolve_threads(n_threads);
  const index_t per_thread = (m + threads - 1) / threads;
  const int slots = int(std::clamp<index_t>((per_thread + kRows - 1) / kRows * kRows, kRows, kMaxSlots));
  const int workers = int(std::clamp<index_t>((m + slots - 1) / slots, 1, threads));
  parallel_dynamic(
      workers, workers, [&] { return AscentWorker<T>(job, slots); },
      [](index_t, AscentWorker<T>& worker) { worker.run(); });
}

template void ascend(const KdeProblem<float>&, const float*, const float*, const float*, index_t,
                     const StepParams&, int, float*, float*, std::int32_t*, std::uint8_t*);
template void ascend(const KdeProblem<double>&, const double*, const double*, const double*, index_t,
                     const StepParams&, int, double*, double*, std::int32_t*, std::uint8_t*);

}  // namespace simpor::cpu
