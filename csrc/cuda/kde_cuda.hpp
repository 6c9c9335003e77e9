// The CUDA backend's entry points (host C++): same arguments and results as
// the CPU backend's, minus the thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cuda/errors.hpp"  // what these throw, besides std::invalid_argument
#include "simpor/ascent_step.hpp"
#include "simpor/data_sets.hpp"

namespace simpor::cuda {

// log_ratio[m] and grad[m, d] at `points` (caller's coordinates).
template <class T>
void log_ratio_grad(const DataSets<T>& sets, const PointSet<T>& points, T* log_ratio, T* grad);

// Algorithm 1 for every seed; see cpu::ascend for the semantics (out.pairs is the caller's).
template <class T>
void ascend(const DataSets<T>& sets, const PointSet<T>& seeds, const T* radii, const T* directions,
            const StepParams& params, const AscentOut<T>& out);

// Seconds per evaluation of `points` (all in one pass, the data uploaded once),
// timed with CUDA events over `repeats` passes after a warm-up: the kernels'
// cost without the per-call upload and packing (a benchmark hook).
template <class T>
double time_kernels(const DataSets<T>& sets, const PointSet<T>& points, int repeats);

// Largest d the kernels take.
int max_features();

// Most categorical features the kernels take.
int max_categories();

struct ProbeResult {
  bool ok = false;
  std::string reason;  // empty when ok
  std::vector<std::string> devices;
};

// Whether a GPU can run this build's kernels, and why not.
ProbeResult probe();

std::string build_architectures();
int runtime_version();

// Test hook: a nonzero budget replaces the device's free memory in the
// chunking decisions (to exercise them on small inputs).
void set_memory_budget(std::size_t bytes);

}  // namespace simpor::cuda
