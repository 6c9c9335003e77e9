// Algorithm 1 (sphere-constrained posterior-ratio ascent) on the CPU.
#pragma once

#include <cstdint>

#include "cpu/kde_cpu.hpp"
#include "simpor/ascent_step.hpp"

namespace simpor::cpu {

// For each seed i: start at seeds[i] + radii[i] * directions[i] and rotate on
// that sphere while log f rises (simpor/ascent_step.hpp). Worker threads
// pull seeds from a queue and advance a few at a time, one data pass per trial;
// a seed's arithmetic never depends on its batch-mates, so the output bytes do
// not depend on the thread count.
template <class T>
void ascend(const KdeProblem<T>& problem, const T* seeds, const T* radii, const T* directions, index_t m,
            const StepParams& params, int n_threads, T* points, T* log_ratio, std::int32_t* n_iter,
            std::uint8_t* converged);

}  // namespace simpor::cpu
