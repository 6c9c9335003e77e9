// Host side of the CUDA backend (plain C++): uploads the data once (packed on
// the device), plans memory (chunking candidates or seeds when they do not fit), and drives
// the ascent's rounds without a host round trip per round.
#include "cuda/kde_cuda.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "cuda/device_memory.hpp"
#include "cuda/kernels.hpp"
#include "cuda/stream.hpp"
#include "simpor/cancel.hpp"
#include "simpor/finite_inputs.hpp"

namespace simpor::cuda {
namespace {

std::atomic<std::size_t> g_memory_budget{0};

constexpr double kLog2e = 1.44269504088896340736;
constexpr int kMaxSegments = 4096;  // grid.y limit is 65535
constexpr int kSegmentsPerCandidate = 8;

// Score of a padding point: its weight underflows to exactly 0.
template <class T>
T pad_bias() {
  if constexpr (std::is_same<T, float>::value) return 1e30f;
  else return 1e300;
}

template <class T>
const char* type_name() {
  return std::is_same<T, float>::value ? "float32" : "float64";
}

void require_gpu() {
  const ProbeResult p = probe();
  if (!p.ok) throw CudaError("no GPU can be used: " + p.reason);
}

// Bytes this call may allocate: the test budget, or the device's free memory
// less a reserve for the runtime and other users.
std::size_t available_bytes() {
  if (const std::size_t budget = g_memory_budget.load()) return budget;
  std::size_t free_b = 0, total_b = 0;
  check(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo");
  free_b += pool_cached_bytes();
  const std::size_t reserve = std::max<std::size_t>(std::size_t(64) << 20, total_b / 20);
  return free_b > reserve ? free_b - reserve : 0;
}

template <class T>
struct Problem {
  int d = 0;
  int n_cat = 0;
  Layout layout;  // layout.codes: n_cat padded, the row length of the packed codes
  int chunks_numer = 0, chunks_denom = 0;
  DeviceBuffer<T> numer, denom, centre;
  DeviceBuffer<int> codes;                     // mixed data: B's then A's, packed like the rows, (chunks * kChunk, layout.codes)
  DeviceBuffer<T> penalty;                     // mixed data: (layout.codes) log2 weights, padding 0
  std::vector<T> penalty_host;
  std::size_t bytes = 0;   // device memory held
  int target_blocks = 0;   // partials blocks that fill the GPU a few times over
};

// One class's codes packed on the device into `packed` (chunks * kChunk rows
// of n_codes); the raw upload is freed on return, in stream order.
template <class T>
void upload_codes(const PointSet<T>& set, int chunks, int n_cat, int n_codes, int* packed, const char* name,
                  cudaStream_t stream) {
  DeviceBuffer<int> raw(std::size_t(set.n) * n_cat, name, stream);
  raw.upload(set.codes, raw.size());
  launch_pack_codes(raw.get(), set.n, std::int64_t(chunks) * kChunk, n_cat, n_codes, packed, stream);
}

template <class T>
Problem<T> upload_problem(const DataSets<T>& sets, std::size_t available, cudaStream_t stream) {
  const T *numer = sets.numer.points, *denom = sets.denom.points;
  const index_t n_numer = sets.numer.n, n_denom = sets.denom.n;
  const int d = sets.d, n_cat = sets.n_cat;
  Problem<T> pb;
  pb.d = d;
  pb.n_cat = n_cat;
  pb.layout = choose_layout(d, std::is_same<T, float>::value, n_cat);
  if (pb.layout.width == 0)
    throw std::invalid_argument("the CUDA backend takes at most " + std::to_string(kMaxFeatures) + " features and " +
                                std::to_string(kMaxCategories) + " categorical features, got d = " +
                                std::to_string(d) + " and " + std::to_string(n_cat) + "; use device='cpu'");
  const index_t chunks_numer = (n_numer + kChunk - 1) / kChunk, chunks_denom = (n_denom + kChunk - 1) / kChunk;
  if (chunks_numer > std::numeric_limits<int>::max() || chunks_denom > std::numeric_limits<int>::max())
    throw std::invalid_argument("too many data points for the CUDA backend");
  pb.chunks_numer = int(chunks_numer);
  pb.chunks_denom = int(chunks_denom);
  const std::size_t w = pb.layout.width, n_codes = pb.layout.codes;
  const std::size_t packed_rows = std::size_t(chunks_numer + chunks_denom) * kChunk;
  pb.bytes = (packed_rows * w + d + n_codes) * sizeof(T) + packed_rows * n_codes * sizeof(int);
  // The raw rows (and codes) are on the device while they are packed.
  const std::size_t raw_bytes = std::size_t(n_numer + n_denom) * (d * sizeof(T) + n_cat * sizeof(int));
  if (pb.bytes + raw_bytes > available)
    throw OutOfDeviceMemory("CUDA out of memory: the data (numer " + std::to_string(n_numer) + " x " +
                            std::to_string(d) + " and denom " + std::to_string(n_denom) + " x " + std::to_string(d) +
                            ", " + type_name<T>() + ", packed in rows of " + std::to_string(w) +
                            (n_cat ? ", with " + std::to_string(n_cat) + " categorical columns" : std::string()) +
                            ") need " + mib(pb.bytes + raw_bytes) + " of device memory but only " + mib(available) +
                            " are available; use device='cpu'");
  DeviceBuffer<T> raw_numer(std::size_t(n_numer) * d, "numer (class B)", stream);
  DeviceBuffer<T> raw_denom(std::size_t(n_denom) * d, "denom (contrast set A)", stream);
  raw_numer.upload(numer, raw_numer.size());
  raw_denom.upload(denom, raw_denom.size());
  const index_t sum_blocks =
      (n_numer + kCentreRowsPerBlock - 1) / kCentreRowsPerBlock + (n_denom + kCentreRowsPerBlock - 1) / kCentreRowsPerBlock;
  DeviceBuffer<double> partial(std::size_t(sum_blocks) * d, "the centre's partial sums", stream);
  pb.centre = DeviceBuffer<T>(d, "the data centre", stream);
  launch_centre(raw_numer.get(), n_numer, raw_denom.get(), n_denom, d, partial.get(), pb.centre.get(), stream);
  std::vector<T> centre(d);
  pb.centre.download(centre.data(), d);
  check(cudaStreamSynchronize(stream), "the data centre");
  require_finite_sets(centre.data(), d, numer, n_numer, denom, n_denom);
  const double scale = kLog2e / (sets.bandwidth * sets.bandwidth);
  pb.numer = DeviceBuffer<T>(std::size_t(chunks_numer) * kChunk * w, "the packed numer (class B)", stream);
  launch_pack(raw_numer.get(), n_numer, chunks_numer * kChunk, d, int(w), pb.centre.get(), scale, pad_bias<T>(),
              pb.numer.get(), stream);
  pb.denom = DeviceBuffer<T>(std::size_t(chunks_denom) * kChunk * w, "the packed denom (contrast set A)", stream);
  launch_pack(raw_denom.get(), n_denom, chunks_denom * kChunk, d, int(w), pb.centre.get(), scale, pad_bias<T>(),
              pb.denom.get(), stream);
  if (n_cat) {
    pb.codes = DeviceBuffer<int>(packed_rows * n_codes, "the packed codes", stream);
    upload_codes(sets.numer, pb.chunks_numer, n_cat, int(n_codes), pb.codes.get(), "the codes of numer (class B)",
                 stream);
    upload_codes(sets.denom, pb.chunks_denom, n_cat, int(n_codes),
                 pb.codes.get() + std::size_t(pb.chunks_numer) * kChunk * n_codes,
                 "the codes of denom (contrast set A)", stream);
    // The host copy lives with the problem, so the asynchronous upload never
    // reads freed memory.
    pb.penalty_host.assign(n_codes, T(0));
    for (int c = 0; c < n_cat; ++c) pb.penalty_host[c] = log2_penalty<T>(sets.log_weight[c]);
    pb.penalty = DeviceBuffer<T>(n_codes, "the categorical log weights", stream);
    pb.penalty.upload(pb.penalty_host.data(), n_codes);
  }
  int device = 0, sms = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device), "cudaDeviceGetAttribute");
  pb.target_blocks = 4 * std::max(sms, 1) * resident_blocks<T>(pb.layout);
  return pb;
}

// Evaluates log f and its gradient for up to `capacity` candidates at a time,
// splitting the data into segments so that even a few candidates fill the GPU.
template <class T>
class Evaluator {
 public:
  Evaluator(const Problem<T>& pb, std::size_t partial_rows, cudaStream_t stream)
      : pb_(pb), rows_(partial_rows), partials_(partial_rows * (pb.d + 2), "the per-segment partial sums", stream) {}

  // `count` (device, may be null) holds the number of candidates; `bound` >= it.
  // Mixed data: candidate i's codes are row code_row[i] (code_row null: row i)
  // of `codes` (rows of n_cat).
  void run(const T* points, const int* codes, const int* code_row, const int* count, int bound, T* log_ratio,
           T* grad, cudaStream_t stream) const {
    if (bound <= 0) return;
    const auto [seg_numer, seg_denom] = segments(bound);
    const EvalArgs<T> args{points, count, bound, pb_.d, pb_.centre.get(), pb_.numer.get(), pb_.denom.get(),
                           pb_.chunks_numer, pb_.chunks_denom, seg_numer, seg_denom, partials_.get(), log_ratio,
                           grad, pb_.n_cat, pb_.layout.codes, codes, code_row, pb_.codes.get(),
                           pb_.penalty.get()};
    launch_evaluate(args, pb_.layout, stream);
  }

  // Partial-sum rows to reserve beside `capacity` candidates.
  static std::size_t extra_rows(const Problem<T>& pb, std::size_t available, std::size_t row_bytes) {
    return std::min<std::size_t>(std::size_t(pb.target_blocks) * pb.layout.cands_per_block,
                                 available / 4 / row_bytes);
  }

 private:
  std::pair<int, int> segments(int bound) const {
    const long long blocks = (bound + pb_.layout.cands_per_block - 1) / pb_.layout.cands_per_block;
    const long long cn = pb_.chunks_numer, cd = pb_.chunks_denom;
    const long long most = std::min<long long>({kMaxSegments, cn + cd, (long long)(rows_ / std::size_t(bound))});
    const long long total = std::clamp<long long>((pb_.target_blocks + blocks - 1) / blocks, 2, std::max(2LL, most));
    const long long sn = std::clamp<long long>(std::llround(double(total) * double(cn) / double(cn + cd)), 1,
                                               std::min(cn, total - 1));
    const long long sd = std::clamp<long long>(total - sn, 1, cd);
    return {int(sn), int(sd)};
  }

  const Problem<T>& pb_;
  std::size_t rows_;
  DeviceBuffer<double> partials_;
};

// Items (candidates or seeds) handled at once: each needs `per_item` bytes and
// kSegmentsPerCandidate partial rows; `extra_rows` more rows are shared.
int plan_capacity(index_t m, std::size_t available, std::size_t per_item, std::size_t row_bytes,
                  std::size_t extra_rows, const char* what) {
  const std::size_t item = per_item + kSegmentsPerCandidate * row_bytes;
  const std::size_t fixed = extra_rows * row_bytes;
  const std::size_t fit = available > fixed ? (available - fixed) / item : 0;
  if (fit == 0)
    throw OutOfDeviceMemory("CUDA out of memory: one " + std::string(what) + " needs " + std::to_string(item) +
                            " bytes of device memory besides the data, but only " + mib(available) +
                            " are available after the data; use device='cpu'");
  return int(std::min<std::size_t>({fit, std::size_t(m), std::size_t(std::numeric_limits<int>::max() / 2)}));
}

// Device bytes per candidate of an evaluation: the point, its codes, its gradient, its log f.
template <class T>
constexpr std::size_t candidate_bytes(int d, int n_cat) {
  return sizeof(T) * (2 * std::size_t(d) + 1) + sizeof(int) * std::size_t(n_cat);
}

// The packed data on the device and how many candidates (or seeds) of
// `per_item` bytes fit beside them in one chunk.
template <class T>
struct Plan {
  Problem<T> pb;
  std::size_t extra_rows = 0;  // partial rows shared by the evaluator
  int capacity = 0;
};

template <class T>
Plan<T> plan_call(const DataSets<T>& sets, index_t m, std::size_t per_item, const char* what, cudaStream_t stream) {
  Plan<T> plan;
  std::size_t available = available_bytes();
  plan.pb = upload_problem(sets, available, stream);
  available -= plan.pb.bytes;
  const std::size_t row_bytes = std::size_t(sets.d + 2) * sizeof(double);
  plan.extra_rows = Evaluator<T>::extra_rows(plan.pb, available, row_bytes);
  plan.capacity = plan_capacity(m, available, per_item, row_bytes, plan.extra_rows, what);
  return plan;
}

// Host memory the device writes the active count into, read a few rounds later.
class PinnedInts {
 public:
  explicit PinnedInts(int n) { check(cudaMallocHost(reinterpret_cast<void**>(&p_), n * sizeof(int)), "cudaMallocHost"); }
  PinnedInts(const PinnedInts&) = delete;
  PinnedInts& operator=(const PinnedInts&) = delete;
  ~PinnedInts() { cudaFreeHost(p_); }
  int& operator[](int i) { return p_[i]; }

 private:
  int* p_ = nullptr;
};

// L-BFGS pairs per seed: kPairs rows of s and of y for newton, none for the
// rules that keep no memory.
inline std::size_t pair_rows(StepRule rule) { return rule == StepRule::newton ? kPairs : 0; }

template <class T>
struct AscentBuffers {
  AscentBuffers(std::size_t cap, std::size_t d, StepRule rule, cudaStream_t s)
      : seeds(cap * d, "seeds", s), radii(cap, "radii", s), u(cap * d, "directions", s),
        points(cap * d, "points", s), grad(cap * d, "gradients", s), circle(cap * d, "circles", s),
        pair_s(cap * pair_rows(rule) * d, "L-BFGS steps", s),
        pair_y(cap * pair_rows(rule) * d, "L-BFGS gradient changes", s),
        log_ratio(cap, "log ratios", s), trial_f(cap, "trial log ratios", s),
        trial_grad(cap * d, "trial gradients", s), a_u(cap * d, "trial directions", s),
        a_p(cap * d, "trial points", s), b_u(cap * d, "trial directions", s), b_p(cap * d, "trial points", s),
        search(cap, "step-rule states", s), status(cap, "status", s), n_iter(cap, "iteration counts", s),
        a_seed(cap, "trial lists", s), b_seed(cap, "trial lists", s), counts(2, "trial counts", s) {}
  static std::size_t bytes_per_seed(std::size_t d, StepRule rule) {
    return sizeof(T) * ((10 + 2 * pair_rows(rule)) * d + 3) + sizeof(SearchState) + 4 * sizeof(int);
  }

  DeviceBuffer<T> seeds, radii, u, points, grad, circle, pair_s, pair_y, log_ratio, trial_f, trial_grad, a_u, a_p,
      b_u, b_p;
  DeviceBuffer<SearchState> search;
  DeviceBuffer<int> status, n_iter, a_seed, b_seed, counts;
};

// The host stays at most kLag rounds ahead of the device: it reads the active
// count of round r - kLag (long done) to size round r + 1 and to stop early.
constexpr int kLag = 2;

// Counts the seeds of a chunk done so far into a caller's progress counter (may be null).
class Progress {
 public:
  Progress(std::int64_t* counter, int n) : counter_(counter), n_(n) {}
  void active(int still_active) { add(n_ - still_active); }
  void finish() { add(n_); }

 private:
  void add(int done) {
    if (counter_ && done > reported_) __atomic_fetch_add(counter_, std::int64_t(done - reported_), __ATOMIC_RELAXED);
    reported_ = std::max(reported_, done);
  }
  std::int64_t* counter_;
  int n_, reported_ = 0;
};

// seed_codes: the chunk's seeds' codes (mixed data), which their trials keep;
// a trial list's seed indices select them.
template <class T>
void ascend_chunk(const Evaluator<T>& eval, AscentBuffers<T>& b, const int* seed_codes, int n, int d,
                  const StepParams& params, Progress& progress, cudaStream_t stream) {
  const SeedState<T> s{b.seeds.get(), b.radii.get(), b.u.get(), b.points.get(), b.grad.get(), b.circle.get(),
                       b.pair_s.get(), b.pair_y.get(),  // null without pairs
                       b.log_ratio.get(), b.search.get(), b.status.get(), b.n_iter.get(), n, d};
  TrialList<T> cur{b.a_seed.get(), b.counts.get(), b.a_u.get(), b.a_p.get()};
  TrialList<T> next{b.b_seed.get(), b.counts.get() + 1, b.b_u.get(), b.b_p.get()};
  check(cudaMemsetAsync(b.counts.get(), 0, 2 * sizeof(int), stream), "cudaMemsetAsync");
  launch_place(s, stream);
  eval.run(s.points, seed_codes, nullptr, nullptr, n, s.log_ratio, s.grad, stream);
  launch_start(s, params, cur, stream);

  constexpr int kSlots = kLag + 1;
  PinnedInts active(kSlots);
  Events done(kSlots);
  int bound = n;  // upper bound of the current trial count, known on the host
  for (int round = 0; round < params.max_iter; ++round) {
    throw_if_cancelled();
    eval.run(cur.p, seed_codes, cur.seed, cur.count, bound, b.trial_f.get(), b.trial_grad.get(), stream);
    check(cudaMemsetAsync(next.count, 0, sizeof(int), stream), "cudaMemsetAsync");
    launch_step(s, params, cur, b.trial_f.get(), b.trial_grad.get(), bound, next, stream);
    check(cudaMemcpyAsync(&active[round % kSlots], next.count, sizeof(int), cudaMemcpyDeviceToHost, stream),
          "reading the active count");
    check(cudaEventRecord(done[round % kSlots], stream), "cudaEventRecord");
    std::swap(cur, next);
    if (round >= kLag) {
      const int seen = (round - kLag) % kSlots;
      check(cudaEventSynchronize(done[seen]), "the ascent round");
      progress.active(active[seen]);
      if (active[seen] == 0) break;  // later rounds were issued with empty lists
      bound = std::min(bound, active[seen]);
    }
  }
}

}  // namespace

template <class T>
void log_ratio_grad(const DataSets<T>& sets, const PointSet<T>& cands, T* log_ratio, T* grad) {
  const T* points = cands.points;
  const index_t m = cands.n;
  const int d = sets.d, n_cat = sets.n_cat;
  if (m == 0) return require_finite(sets);  // what upload_problem checks on the way
  require_gpu();
  Stream stream;
  const cudaStream_t s = stream.get();
  const Plan<T> plan = plan_call(sets, m, candidate_bytes<T>(d, n_cat), "candidate", s);
  const int cap = plan.capacity;
  DeviceBuffer<T> p(std::size_t(cap) * d, "candidates", s), lr(cap, "log ratios", s),
      g(std::size_t(cap) * d, "gradients", s);
  DeviceBuffer<int> codes(std::size_t(cap) * n_cat, "the candidates' codes", s);
  const Evaluator<T> eval(plan.pb, std::size_t(kSegmentsPerCandidate) * cap + plan.extra_rows, s);
  for (index_t first = 0; first < m; first += cap) {
    const int n = int(std::min<index_t>(cap, m - first));
    p.upload(points + first * d, std::size_t(n) * d);
    codes.upload(cands.codes + first * n_cat, std::size_t(n) * n_cat);
    eval.run(p.get(), codes.get(), nullptr, nullptr, n, lr.get(), g.get(), s);
    lr.download(log_ratio + first, n);
    g.download(grad + first * d, std::size_t(n) * d);
    stream.sync("log_ratio_grad");
  }
}

template <class T>
void ascend(const DataSets<T>& sets, const PointSet<T>& seed_set, const T* radii, const T* directions,
            const StepParams& params, const AscentOut<T>& out) {
  const T* seeds = seed_set.points;
  const index_t m = seed_set.n;
  const int d = sets.d, n_cat = sets.n_cat;
  T *points = out.points, *log_ratio = out.log_ratio;
  std::int32_t* n_iter = out.n_iter;
  std::uint8_t* converged = out.converged;
  if (m == 0) return require_finite(sets);  // what upload_problem checks on the way
  require_gpu();
  Stream stream;
  const Plan<T> plan = plan_call(sets, m, AscentBuffers<T>::bytes_per_seed(d, params.rule) + sizeof(int) *
                                 std::size_t(n_cat), "seed", stream.get());
  const int cap = plan.capacity;
  AscentBuffers<T> b(cap, d, params.rule, stream.get());
  DeviceBuffer<int> seed_codes(std::size_t(cap) * n_cat, "the seeds' codes", stream.get());
  const Evaluator<T> eval(plan.pb, std::size_t(kSegmentsPerCandidate) * cap + plan.extra_rows, stream.get());
  std::vector<int> status(cap);
  static_assert(sizeof(int) == sizeof(std::int32_t), "n_iter is written as int");
  for (index_t first = 0; first < m; first += cap) {
    const int n = int(std::min<index_t>(cap, m - first));
    const std::size_t rows = std::size_t(n) * d;
    b.seeds.upload(seeds + first * d, rows);
    b.radii.upload(radii + first, n);
    b.u.upload(directions + first * d, rows);
    seed_codes.upload(seed_set.codes + first * n_cat, std::size_t(n) * n_cat);
    Progress progress(out.finished, n);
    ascend_chunk(eval, b, seed_codes.get(), n, d, params, progress, stream.get());
    b.points.download(points + first * d, rows);
    b.log_ratio.download(log_ratio + first, n);
    b.n_iter.download(reinterpret_cast<int*>(n_iter + first), n);
    b.status.download(status.data(), n);
    stream.sync("ascend");
    for (int i = 0; i < n; ++i) converged[first + i] = status[i] == seed_converged;
    progress.finish();
  }
}

template <class T>
double time_kernels(const DataSets<T>& sets, const PointSet<T>& cands, int repeats) {
  const T* points = cands.points;
  const index_t m = cands.n;
  const int d = sets.d, n_cat = sets.n_cat;
  if (m == 0 || repeats < 1) throw std::invalid_argument("time_kernels needs candidates and repeats >= 1");
  require_gpu();
  Stream stream;
  const cudaStream_t s = stream.get();
  const Plan<T> plan = plan_call(sets, m, candidate_bytes<T>(d, n_cat), "candidate", s);
  if (plan.capacity < m) throw std::invalid_argument("time_kernels: the candidates do not fit on the device at once");
  DeviceBuffer<T> p(std::size_t(m) * d, "candidates", s), lr(m, "log ratios", s), g(std::size_t(m) * d, "gradients", s);
  DeviceBuffer<int> codes(std::size_t(m) * n_cat, "the candidates' codes", s);
  const Evaluator<T> eval(plan.pb, std::size_t(kSegmentsPerCandidate) * m + plan.extra_rows, s);
  p.upload(points, std::size_t(m) * d);
  codes.upload(cands.codes, std::size_t(m) * n_cat);
  eval.run(p.get(), codes.get(), nullptr, nullptr, int(m), lr.get(), g.get(), s);  // warm-up
  cudaEvent_t start = nullptr, stop = nullptr;
  check(cudaEventCreate(&start), "cudaEventCreate");
  check(cudaEventCreate(&stop), "cudaEventCreate");
  float ms = 0.0f;
  cudaError_t e = cudaEventRecord(start, s);
  for (int r = 0; r < repeats && e == cudaSuccess; ++r)
    eval.run(p.get(), codes.get(), nullptr, nullptr, int(m), lr.get(), g.get(), s);
  if (e == cudaSuccess) e = cudaEventRecord(stop, s);
  if (e == cudaSuccess) e = cudaEventSynchronize(stop);
  if (e == cudaSuccess) e = cudaEventElapsedTime(&ms, start, stop);
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  check(e, "timing the kernels");
  return double(ms) / 1000.0 / repeats;
}

int max_features() { return kMaxFeatures; }

int max_categories() { return kMaxCategories; }

void set_memory_budget(std::size_t bytes) { g_memory_budget = bytes; }

template void log_ratio_grad(const DataSets<float>&, const PointSet<float>&, float*, float*);
template void log_ratio_grad(const DataSets<double>&, const PointSet<double>&, double*, double*);
template double time_kernels(const DataSets<float>&, const PointSet<float>&, int);
template double time_kernels(const DataSets<double>&, const PointSet<double>&, int);
template void ascend(const DataSets<float>&, const PointSet<float>&, const float*, const float*, const StepParams&,
                     const AscentOut<float>&);
template void ascend(const DataSets<double>&, const PointSet<double>&, const double*, const double*,
                     const StepParams&, const AscentOut<double>&);

}  // namespace simpor::cuda
