#include "cpu/ascent_cpu.hpp"

#include <algorithm>
#include <atomic>
#include <numeric>
#include <vector>

#include "cpu/pieces.hpp"
#include "cpu/threads.hpp"
#include "simpor/cancel.hpp"
#include "simpor/finite_inputs.hpp"
#include "simpor/sphere_newton.hpp"

namespace simpor::cpu {
namespace {

// Most seeds a worker advances together: up to 16 register blocks, refilled
// from the shared queue as seeds finish, so blocks stay full until the queue
// runs dry. Each round streams the data once for all of them.
constexpr int kMaxSlots = 16 * kRows;
// A piece runs locally only if its local passes (padded to register blocks)
// cost at most kWorthIt * size / (size + kRows) of its seeds' passes over all
// the data: a piece's blocks empty as its seeds converge and cannot be
// refilled, which costs small pieces most. Pieces under kRows seeds skip the
// selection and run on all the data.
constexpr double kWorthIt = 0.8;
static_assert(kPiece <= kMaxSlots, "a piece runs in one worker's slots");

template <class T>
struct AscentJob {
  const T* seeds;
  const code_t* codes;  // each seed's categories, n_cat per seed
  const T* radii;
  const T* directions;
  const StepParams& params;
  int d, n_cat;
  AscentOut<T> out;
  std::vector<T> u, grad;  // per seed; each seed is owned by one worker at a time

  // hessian or auto: the passes record each candidate's heaviest points
  bool hessian() const { return params.rule == StepRule::hessian || params.rule == StepRule::automatic; }

  // Seed i is done: it counts for the caller's progress.
  void finish(index_t i, int status) {
    out.converged[i] = status == seed_converged;
    if (out.finished) __atomic_fetch_add(out.finished, std::int64_t(1), __ATOMIC_RELAXED);
  }
  // newton or auto: some seeds step by L-BFGS
  bool lbfgs() const { return params.rule == StepRule::newton || params.rule == StepRule::automatic; }
};

// A local run's certificate: the bounds on what its set dropped.
struct Certificate {
  const double* log_dropped;
  double kde_tol;
};

struct Slot {
  index_t seed;
  int store;           // row of the runner's circle and pair storage this seed holds while in flight
  bool fresh;          // start point not evaluated yet
  bool newton_dirs;    // hessian or auto: circles from Newton's direction (else as newton)
  SearchState search;  // the step rule's state
};

// Keeps up to `slots` seeds in flight; each round evaluates the trial point of
// every slot in one pass over the evaluator's data.
template <class T>
class SlotRunner {
 public:
  SlotRunner(AscentJob<T>& job, int slots)
      : job_(job), d_(job.d), slots_max_(slots), trial_u_(slots * d_), trial_p_(slots * d_),
        trial_c_(slots * job.n_cat), trial_g_(slots * d_), trial_f_(slots), log_sums_(2 * slots),
        circle_(slots * d_), pair_s_(job.lbfgs() ? slots * kPairs * d_ : 0), pair_y_(pair_s_.size()),
        hess_(job.hessian() ? d_ * d_ : 0), work_(2 * d_) {
    for (int k = slots - 1; k >= 0; --k) free_.push_back(k);
  }

  // Runs every seed next() hands out (-1: none left) to the end of its ascent,
  // each evaluation counting n_points pairs. With a certificate, a seed whose
  // trial it does not cover stops there and is appended to `failed`.
  template <class Next>
  void run(Evaluator<T>& eval, index_t n_points, Next next, const Certificate* cert, std::vector<index_t>* failed) {
    cheap_ = hessian_is_cheap(n_points, d_);
    while (refill(next)) {
      throw_if_cancelled();
      const int count = prepare(eval);
      eval(trial_p_.data(), trial_c_.data(), count, trial_f_.data(), trial_g_.data(),
           cert ? log_sums_.data() : nullptr);
      apply(eval, count, n_points, cert, failed);
    }
  }

 private:
  template <class Next>
  bool refill(Next& next) {
    while (int(slots_.size()) < slots_max_) {
      const index_t i = next();
      if (i < 0) break;
      job_.out.n_iter[i] = 0;
      std::copy_n(job_.directions + i * d_, d_, job_.u.data() + i * d_);
      slots_.push_back({i, free_.back(), true, false, SearchState{}});  // the search starts at the start point
      free_.pop_back();
    }
    return !slots_.empty();
  }

  SeedRef<T> seed_ref(const Slot& s) {
    const index_t row = s.seed * d_;
    const std::size_t pairs = std::size_t(s.store) * kPairs * d_;
    return {job_.seeds + row, double(job_.radii[s.seed]), job_.u.data() + row, job_.out.points + row,
            job_.grad.data() + row, job_.out.log_ratio + s.seed, circle_.data() + std::size_t(s.store) * d_,
            pair_s_.empty() ? nullptr : pair_s_.data() + pairs, pair_y_.empty() ? nullptr : pair_y_.data() + pairs};
  }

  void retire(const Slot& s) { free_.push_back(s.store); }

  // Fills trial_u_/trial_p_ for the slots still moving; retires stationary
  // ones. The pass records the heaviest points of the trials whose Hessian
  // may be needed: start points (for auto's choice) and Newton-direction seeds.
  int prepare(Evaluator<T>& eval) {
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
        const SeedRef<T> seed = seed_ref(s);
        const double cnorm = moving_circle(job_.params, seed, d_);
        if (cnorm < 0.0) {
          job_.finish(i, seed_converged);  // stationary
          retire(s);
          continue;
        }
        propose_trial(seed, cnorm, s.search.angle, tu, tp, d_);
      }
      if (job_.hessian()) eval.want_top(count, s.fresh || s.newton_dirs);
      std::copy_n(job_.codes + i * job_.n_cat, job_.n_cat, trial_c_.data() + count * job_.n_cat);
      kept.push_back(s);
      ++count;
    }
    slots_.swap(kept);
    return count;
  }

  void apply(Evaluator<T>& eval, int count, index_t n_points, const Certificate* cert,
             std::vector<index_t>* failed) {
    std::vector<Slot> kept;
    for (int b = 0; b < count; ++b) {
      Slot s = slots_[b];
      const index_t i = s.seed;
      job_.out.pairs[i] += n_points;
      if (cert && !certified(cert->log_dropped, log_sums_[2 * b], log_sums_[2 * b + 1], cert->kde_tol)) {
        failed->push_back(i);
        retire(s);
        continue;
      }
      int status;
      bool moved = true;
      if (s.fresh) {
        accept(b, i);
        s.fresh = false;
        s.search = start_search(job_.params, seed_ref(s), d_);
        s.newton_dirs = job_.params.rule == StepRule::hessian ||
                        (job_.params.rule == StepRule::automatic && (cheap_ || eval.hessian_complete(b)));
        status = start_status(job_.params, double(job_.radii[i]));
      } else {
        const index_t at = b * d_;
        const T before = job_.out.log_ratio[i];
        StepParams rule = job_.params;  // auto: each seed steps as hessian or newton
        if (job_.hessian()) rule.rule = s.newton_dirs ? StepRule::hessian : StepRule::newton;
        status = take_trial(rule, seed_ref(s), s.search, trial_u_.data() + at, trial_p_.data() + at,
                            trial_g_.data() + at, trial_f_[b], ++job_.out.n_iter[i], d_);
        moved = job_.out.log_ratio[i] != before;  // take_trial accepted it
      }
      if (status == seed_active && moved && s.newton_dirs) next_circle(eval, b, s);
      if (status == seed_active) {
        kept.push_back(s);
      } else {
        job_.finish(i, status);
        retire(s);
      }
    }
    slots_.swap(kept);
  }

  // The hessian rule's circle and first angle at slot s's new point (candidate
  // b of the last pass): Newton's direction on the sphere; failing that (no
  // shift of the system solved it: rounding), the tangent gradient at `grow`
  // times the last angle.
  void next_circle(Evaluator<T>& eval, int b, Slot& s) {
    const SeedRef<T> seed = seed_ref(s);
    SearchState& search = s.search;
    T* circle = seed.circle;
    eval.hessian(b, hess_.data());
    double angle = sphere_newton_direction(seed.u, seed.grad, seed.radius, hess_.data(), work_.data(), circle, d_);
    if (angle < 0.0) {
      tangent_of(seed.grad, seed.u, circle, d_);
      angle = search.angle * job_.params.grow;
    }
    search.angle = angle < kHalfPi ? angle : kHalfPi;
  }

  void accept(int b, index_t i) {
    std::copy_n(trial_u_.data() + b * d_, d_, job_.u.data() + i * d_);
    std::copy_n(trial_p_.data() + b * d_, d_, job_.out.points + i * d_);
    std::copy_n(trial_g_.data() + b * d_, d_, job_.grad.data() + i * d_);
    job_.out.log_ratio[i] = trial_f_[b];
  }

  AscentJob<T>& job_;
  int d_;
  int slots_max_;
  std::vector<T> trial_u_, trial_p_;
  std::vector<code_t> trial_c_;  // the trials' codes: their seeds'
  std::vector<T> trial_g_, trial_f_;
  std::vector<double> log_sums_;
  // Per slot: the direction of its seed's next great circle (d) and, newton
  // or auto, its L-BFGS pairs (kPairs x d each); rows handed out from free_.
  std::vector<T> circle_, pair_s_, pair_y_;
  std::vector<int> free_;
  std::vector<double> hess_, work_;  // hessian rule: d x d and 2d
  bool cheap_ = false;               // auto: every seed of this run takes Newton directions
  std::vector<Slot> slots_;
};

// Runs the seeds in `which` on all the data.
template <class T>
void ascend_exact(AscentJob<T>& job, const DataSets<T>& sets, const std::vector<index_t>& which, int threads) {
  if (which.empty()) return;
  const index_t m = index_t(which.size());
  const KdeProblem<T> pb = make_problem(sets, threads);
  // One parallel region for the whole ascent: no join per trial, which costs
  // dearly when the machine is oversubscribed. Slot count only changes
  // scheduling, never a seed's arithmetic.
  const index_t per_thread = (m + threads - 1) / threads;
  const int slots = int(std::clamp<index_t>((per_thread + kRows - 1) / kRows * kRows, kRows, kMaxSlots));
  const int workers = int(std::clamp<index_t>((m + slots - 1) / slots, 1, threads));
  std::atomic<index_t> next{0};
  const auto take = [&] {
    const index_t k = next.fetch_add(1);
    return k < m ? which[k] : index_t(-1);
  };
  parallel_dynamic(
      workers, workers,
      [&] { return std::make_pair(SlotRunner<T>(job, slots), Evaluator<T>(pb, slots, job.hessian())); },
      [&](index_t, auto& scratch) { scratch.first.run(scratch.second, sets.size(), take, nullptr, nullptr); });
}

// Runs `seeds` (of one piece, with its balls) on a local set cut for `budget`;
// appends to `failed` the seeds that must run again.
template <class T>
void run_piece(AscentJob<T>& job, SlotRunner<T>& runner, const DataSets<T>& sets, const std::vector<index_t>& seeds,
               const std::vector<Ball<T>>& balls, Budget budget, double kde_tol, std::vector<index_t>& failed) {
  const index_t size = index_t(seeds.size());
  if (size < kRows) {
    failed.insert(failed.end(), seeds.begin(), seeds.end());
    return;
  }
  const index_t padded = (size + kRows - 1) / kRows * kRows;
  const double allowed = kWorthIt * double(size) / double(size + kRows);
  const auto max_kept = index_t(allowed * double(sets.size()) * double(size) / double(padded));
  const LocalSet<T> local = select_local(sets, balls, kde_tol, budget, max_kept);
  job.out.pairs[seeds[0]] += sets.size() * index_t(balls.size());  // the selection's distance passes
  if (local.n_kept > max_kept) {
    failed.insert(failed.end(), seeds.begin(), seeds.end());
    return;
  }
  Evaluator<T> eval(local.problem, int(size), job.hessian());
  std::size_t k = 0;
  const auto take = [&] { return k < seeds.size() ? seeds[k++] : index_t(-1); };
  const Certificate cert{local.log_dropped, kde_tol};
  runner.run(eval, local.n_kept, take, &cert, &failed);
}

// Runs every piece on its local set; returns the seeds that must run on all the data.
template <class T>
std::vector<index_t> ascend_local(AscentJob<T>& job, const DataSets<T>& sets, index_t m, double kde_tol,
                                  int threads) {
  const Pieces<T> pieces = plan_pieces(PointSet<T>{job.seeds, job.codes, m}, job.radii, job.d, job.n_cat);
  const index_t n_pieces = index_t(pieces.balls.size());
  std::vector<std::vector<index_t>> failed(n_pieces);
  parallel_dynamic(
      n_pieces, threads, [&] { return SlotRunner<T>(job, kPiece); },
      [&](index_t p, SlotRunner<T>& runner) {
        throw_if_cancelled();
        const std::vector<index_t> seeds(pieces.order.begin() + pieces.bounds[p],
                                         pieces.order.begin() + pieces.bounds[p + 1]);
        // A seed whose check fails on the first set runs again on a set cut
        // for the least kernel sums the spheres allow, then on all the data.
        std::vector<index_t> retry;
        run_piece(job, runner, sets, seeds, pieces.balls[p], Budget::typical, kde_tol, retry);
        run_piece(job, runner, sets, retry, pieces.balls[p], Budget::worst_case, kde_tol, failed[p]);
      });
  std::vector<index_t> exact;
  for (const auto& f : failed) exact.insert(exact.end(), f.begin(), f.end());
  std::sort(exact.begin(), exact.end());
  return exact;
}

}  // namespace

template <class T>
void ascend(const DataSets<T>& sets, const PointSet<T>& seeds, const T* radii, const T* directions,
            const StepParams& params, double kde_tol, int n_threads, const AscentOut<T>& out) {
  require_finite(sets);
  const index_t m = seeds.n;
  if (m == 0) return;
  const int threads = resolve_threads(n_threads);
  StepParams rule = params;
  rule.rule = rule_to_run(params.rule, sets.d, true);
  AscentJob<T> job{seeds.points, seeds.codes, radii, directions, rule, sets.d, sets.n_cat, out,
                   std::vector<T>(m * sets.d), std::vector<T>(m * sets.d)};
  std::fill(out.pairs, out.pairs + m, std::int64_t(0));
  std::vector<index_t> exact;
  if (kde_tol > 0.0) {
    exact = ascend_local(job, sets, m, kde_tol, threads);
  } else {
    exact.resize(m);
    std::iota(exact.begin(), exact.end(), index_t(0));
  }
  ascend_exact(job, sets, exact, threads);
}

template void ascend(const DataSets<float>&, const PointSet<float>&, const float*, const float*, const StepParams&,
                     double, int, const AscentOut<float>&);
template void ascend(const DataSets<double>&, const PointSet<double>&, const double*, const double*,
                     const StepParams&, double, int, const AscentOut<double>&);

}  // namespace simpor::cpu
