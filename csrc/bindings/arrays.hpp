// Array conversion and shape checks of the bindings (bind_backend.hpp).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "simpor/kde_math.hpp"

namespace simpor::bind {

namespace py = pybind11;

template <class T>
using carray = py::array_t<T, py::array::c_style | py::array::forcecast>;

inline std::string shape_of(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

// Checks `a` is (rows, d); rows < 0 or d < 0 accept any size. Returns rows.
inline index_t check_matrix(const py::array& a, const char* name, index_t rows, index_t d) {
  if (a.ndim() != 2 || (rows >= 0 && a.shape(0) != rows) || (d >= 0 && a.shape(1) != d))
    throw py::value_error(std::string(name) + " must have shape (" + (rows >= 0 ? std::to_string(rows) : "n") +
                          ", " + (d >= 0 ? std::to_string(d) : "d") + "), got " + shape_of(a));
  return a.shape(0);
}

inline void check_vector(const py::array& a, const char* name, index_t n) {
  if (a.ndim() != 1 || a.shape(0) != n)
    throw py::value_error(std::string(name) + " must have shape (" + std::to_string(n) + ",), got " + shape_of(a));
}

inline void check_sets(const py::array& numer, const py::array& denom, index_t d) {
  if (check_matrix(numer, "numer", -1, d) == 0) throw py::value_error("numer (class B) is empty");
  if (check_matrix(denom, "denom", -1, d) == 0) throw py::value_error("denom (contrast set A) is empty");
}

}  // namespace simpor::bind
