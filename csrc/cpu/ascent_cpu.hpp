// Algorithm 1 (sphere-constrained posterior-ratio ascent) on the CPU.
#pragma once

#include <cstdint>

#include "cpu/local_set.hpp"
#include "simpor/ascent_step.hpp"

namespace simpor::cpu {

// For each seed i: start at seeds[i] + radii[i] * directions[i] and rotate on
// that sphere while log f rises (simpor/ascent_step.hpp). Worker threads
// pull seeds from a queue and advance a few at a time, one data pass per trial;
// a seed's arithmetic never depends on its batch-mates, so the output bytes do
// not depend on the thread count.
//
// kde_tol > 0: the seeds are cut into pieces (pieces.hpp); each piece runs
// on its certified local set (local_set.hpp), checked at every trial; the
// seeds whose check fails run again on a set cut for the worst case, and
// those of a piece whose set would not save work, or whose checks fail
// again, run on all the data. The pieces depend only on the seeds, never on
// the thread count.
// kde_tol == 0: every seed runs on all the data.
//
// seeds: the sphere centres with their category codes (fixed during the
// ascent: only the numeric coordinates move). out.finished, when set, counts
// the seeds done so far (read by the caller's progress bar while this runs).
template <class T>
void ascend(const DataSets<T>& sets, const PointSet<T>& seeds, const T* radii, const T* directions,
            const StepParams& params, double kde_tol, int n_threads, const AscentOut<T>& out);

}  // namespace simpor::cpu
