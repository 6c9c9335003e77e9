// Reading the Python layer's arguments (bind_backend.hpp): arrays with their
// shapes checked, and the two descriptions every call takes -- the data sets
// (simpor_ext._backends.native.DataSets) and the ascent's specification
// (AscentSpec) -- read from their attributes in one place each.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>  // std::optional (tol=None)

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "simpor/data_sets.hpp"
#include "simpor/step_params.hpp"

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

// Rows with their category codes (points to evaluate, or sphere centres) for
// data sets of d numeric and n_cat categorical columns, kept alive with the view.
template <class T>
struct RowsArg {
  carray<T> points;
  carray<code_t> codes;

  RowsArg(carray<T> p, carray<code_t> c, const char* name, index_t d, index_t n_cat)
      : points(std::move(p)), codes(std::move(c)) {
    check_matrix(points, name, -1, -1);
    check_matrix(codes, (std::string(name) + " codes").c_str(), points.shape(0), n_cat);
    check_matrix(points, name, -1, d);
  }
  index_t n() const { return points.shape(0); }
  PointSet<T> view() const { return {points.data(), codes.data(), n()}; }
};

// The data sets of a call, read from a DataSets object (its arrays already in
// T and int32, C-contiguous; forcecast copies only what is not).
template <class T>
struct SetsArg {
  carray<T> numer, denom;
  carray<code_t> numer_codes, denom_codes;
  carray<double> log_weight;
  DataSets<T> sets;

  explicit SetsArg(const py::object& o)
      : numer(o.attr("numer")), denom(o.attr("denom")), numer_codes(o.attr("numer_codes")),
        denom_codes(o.attr("denom_codes")), log_weight(o.attr("log_weight")) {
    const index_t n_cat = log_weight.ndim() == 1 ? log_weight.shape(0) : -1;
    check_vector(log_weight, "log_weight", n_cat);
    const index_t n_numer = check_matrix(numer, "numer", -1, -1), d = numer.shape(1);
    const index_t n_denom = check_matrix(denom, "denom", -1, d);
    check_matrix(numer_codes, "numer_codes", n_numer, n_cat);
    check_matrix(denom_codes, "denom_codes", n_denom, n_cat);
    if (n_numer == 0) throw py::value_error("numer (class B) is empty");
    if (n_denom == 0) throw py::value_error("denom (contrast set A) is empty");
    if (d + n_cat < 1) throw py::value_error("points need at least one feature, got d = 0 and no categories");
    if (d > std::numeric_limits<int>::max() || n_cat > std::numeric_limits<int>::max())
      throw py::value_error("too many features: d = " + std::to_string(d));
    for (index_t j = 0; j < n_cat; ++j)
      if (!(log_weight.data()[j] <= 0.0 && std::isfinite(log_weight.data()[j])))
        throw py::value_error("log_weight must be finite and <= 0, got " + std::to_string(log_weight.data()[j]) +
                              " for categorical column " + std::to_string(j));
    const double h = o.attr("bandwidth").cast<double>();
    if (!(std::isfinite(h) && h > 0)) throw py::value_error("bandwidth must be a finite number > 0, got " + std::to_string(h));
    sets = {{numer.data(), numer_codes.data(), n_numer}, {denom.data(), denom_codes.data(), n_denom},
            int(d), int(n_cat), log_weight.data(), h};
  }
};

// An AscentSpec object's fields, checked (step_params.hpp).
inline AscentSpec read_spec(const py::object& o) {
  return make_ascent_spec(o.attr("step_rule").cast<std::string>(), o.attr("max_iter").cast<long long>(),
                          o.attr("step").cast<double>(), o.attr("tol").cast<std::optional<double>>(),
                          o.attr("grow").cast<double>(), o.attr("kde_tol").cast<double>());
}

}  // namespace simpor::bind
