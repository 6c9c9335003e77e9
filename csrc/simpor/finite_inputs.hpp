// The check that the data sets are finite, folded into the pass every backend
// makes anyway to centre them: one NaN or infinity makes its column's sum, and
// so the centre, non-finite. Only then are the sets scanned, to name the
// offending argument; a finite centre costs nothing more.
#pragma once

#include <cmath>
#include <stdexcept>
#include <string>

#include "simpor/data_sets.hpp"
#include "simpor/kde_math.hpp"

namespace simpor {

template <class T>
void require_finite(const T* values, index_t count, const char* name) {
  for (index_t i = 0; i < count; ++i)
    if (!std::isfinite(values[i])) throw std::invalid_argument(std::string(name) + " contains NaN or infinity");
}

// Every value of both sets, named as below: for calls that build no centre.
template <class T>
void require_finite(const DataSets<T>& sets) {
  require_finite(sets.numer.points, sets.numer.n * sets.d, "numer");
  require_finite(sets.denom.points, sets.denom.n * sets.d, "denom");
}

// Throws std::invalid_argument (ValueError in Python) naming numer or denom
// when the centre (d values, the mean of both sets) shows a non-finite value.
template <class T>
void require_finite_sets(const T* centre, int d, const T* numer, index_t n_numer, const T* denom,
                         index_t n_denom) {
  for (int k = 0; k < d; ++k) {
    if (std::isfinite(centre[k])) continue;
    require_finite(numer, n_numer * d, "numer");
    require_finite(denom, n_denom * d, "denom");
    return;  // finite float64 values whose sum overflowed: nothing to report
  }
}

}  // namespace simpor
