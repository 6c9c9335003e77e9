"""The features of one fit: read, checked and split by kind, then written
back with the synthetic rows.

:func:`read_features` turns ``X`` (any container of :mod:`._containers`)
into a :class:`Features`: the numeric columns as one array (in the dtype
scikit-learn's ``check_array`` gives them, so numeric data are read exactly
as before categorical support), the categorical columns as integer codes
into their levels. Every problem is found before any work and named by
column and first row: a missing or infinite value, a text cell in a numeric
column, a date column. :meth:`Features.with_rows` casts the synthetic values
back into each column's dtype: booleans declared numeric are ``x >= 0.5``;
integers are rounded (not truncated) and clipped to the range the column
holds; floats are clipped to their dtype's finite range; categorical columns
only ever hold values of their levels.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._columns import CATEGORICAL, categorical_mask, column_kind, object_kind
from ._containers import RawColumn, container_of

__all__ = ["Features", "read_features"]

# Integers beyond this lose their spread in float64: they are read relative to the column's least value.
_EXACT_FLOAT = 2 ** 53


def _where(name: Any, row: int) -> str:
    return f"row {row}, column {name!r}"


def _refuse_other(col: RawColumn) -> None:
    raise ValueError(f"column {col.name!r} ({col.dtype}) of X is neither numeric nor categorical: SIMPOR "
                     "moves numbers and chooses categories; convert it (e.g. dates to numbers) or drop it")


def _auto_kind(col: RawColumn) -> str:
    kind = column_kind(col.kind)
    if kind == "object":
        kind, row = object_kind(col.values, col.missing)
        if kind == "mixed":
            raise ValueError(f"column {col.name!r} of X mixes numbers and text ({_where(col.name, row)} holds "
                             f"{col.values[row]!r}): fix the cell, or name the column in categorical_features "
                             "to treat every value as a category")
        if kind == "other":
            _refuse_cell(col, row)
    return kind


def _refuse_cell(col: RawColumn, row: int) -> None:
    # scikit-learn's estimator checks expect a TypeError saying "argument must be a string or a number".
    raise TypeError(f"X holds a {type(col.values[row]).__name__} at {_where(col.name, row)}: each value's "
                    "argument must be a string (a category) or a number")


def _not_numbers(col: RawColumn) -> str:
    """Why a column declared numeric does not hold numbers ("" when it does): its dtype and first non-number."""
    if col.kind == "object" and object_kind(col.values, col.missing)[0] == "other":
        _refuse_cell(col, object_kind(col.values, col.missing)[1])
    bad = _first_non_number(col) if col.kind == "object" else None
    if col.kind not in ("other", "text", "category") and bad is None:
        return ""
    cell = f", {_where(col.name, bad)} holds {col.values[bad]!r}" if bad is not None else ""
    return f"{col.name!r} ({col.dtype}{cell})"


def _refuse_non_numbers(columns: list) -> None:
    """Every column declared numeric that does not hold numbers, named in one error."""
    bad = [text for text in map(_not_numbers, columns) if text]
    if bad:
        many = len(bad) > 1
        raise ValueError(f"column{'s' if many else ''} {', '.join(bad)} of X {'do' if many else 'does'} not hold "
                         "numbers: name them in categorical_features, or encode or drop them")


def _check_numeric(col: RawColumn) -> None:
    """Missing and infinite cells of a numeric column, located."""
    if col.missing.any():
        row = int(np.argmax(col.missing))
        raise ValueError(f"Input X contains NaN at {_where(col.name, row)} ({int(col.missing.sum())} missing in "
                         "this column): impute or drop the missing values first")
    values = np.asarray(col.values, dtype=np.float64) if col.values.dtype == object else col.values
    if values.dtype.kind in "fc":
        inf = ~np.isfinite(values)
        if inf.any():
            row = int(np.argmax(inf))
            raise ValueError(f"Input X contains infinity at {_where(col.name, row)} ({int(inf.sum())} in this "
                             "column)")


def _first_non_number(col: RawColumn):
    """The first cell float() refuses (None when all convert: numbers, booleans, numeric text)."""
    for row in np.flatnonzero(~col.missing):
        value = col.values[row]
        try:
            float(value)
        except (TypeError, ValueError):
            return int(row)
    return None


def _codes(col: RawColumn) -> tuple[np.ndarray, np.ndarray]:
    """(codes, levels) of a categorical column; a missing value is refused, located."""
    import pandas as pd

    if col.missing.any():
        row = int(np.argmax(col.missing))
        raise ValueError(f"categorical column {col.name!r} of X has a missing value at {_where(col.name, row)} "
                         f"({int(col.missing.sum())} in this column): fill it, e.g. with a category of its own "
                         "such as 'missing'")
    values = np.asarray(col.values, dtype=object)
    if col.levels is not None:
        levels = col.levels
        codes = pd.Categorical(values, categories=levels).codes
    else:
        try:
            codes, levels = pd.factorize(values, sort=True)
        except TypeError:  # values of types that do not compare: first-appearance order
            codes, levels = pd.factorize(values, sort=False)
        levels = np.asarray(levels, dtype=object)
    return np.asarray(codes, dtype=np.int32), levels


def _value_dtype(col: RawColumn) -> np.dtype:
    """The numpy dtype of a numeric column's values (nullable Int64 -> int64; an
    object column of Python ints -> int64)."""
    dtype = getattr(col.dtype, "numpy_dtype", None) or getattr(col.values, "dtype", None)
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        dtype = np.dtype(object)
    if dtype == object:
        dtype = np.asarray(col.values.tolist()).dtype
        return dtype if dtype.kind in "biuf" else np.dtype(np.float64)
    return dtype


@dataclass
class Features:
    """What one fit reads of X.

    Attributes
    ----------
    numeric : ndarray (n, d_num)
        The numeric columns, C-contiguous, in the dtype ``check_array`` gives them.
    numeric_columns, categorical_columns : ndarray of int
        Their positions in X.
    value_dtypes : list of numpy dtype
        Each numeric column's own value dtype (what its synthetic values are cast to).
    exact : dict
        Numeric column (index into ``numeric``) -> its values as integers,
        for integer columns beyond 2**53, which float64 would round.
    codes : ndarray (n, d_cat) int32
        The categorical columns as codes into ``levels``.
    levels : list of ndarray
        Each categorical column's values.
    feature_names : ndarray of str or None
        X's column names when they are all strings (scikit-learn's ``feature_names_in_``).
    """

    container: Any
    numeric: np.ndarray
    numeric_columns: np.ndarray
    categorical_columns: np.ndarray
    value_dtypes: list
    exact: dict
    codes: np.ndarray
    levels: list
    feature_names: Any

    @property
    def n_rows(self) -> int:
        return self.numeric.shape[0]

    @property
    def n_features(self) -> int:
        return self.numeric_columns.size + self.categorical_columns.size

    def float64_relative(self) -> tuple[np.ndarray, np.ndarray]:
        """The numeric columns in float64 (n, d_num, C-contiguous) and each
        column's integer offset (0 but for ``exact`` columns, read relative to
        their least value so that float64 keeps their spread)."""
        # A copy only where exact columns are written; nothing else writes X64.
        X64 = (np.array(self.numeric, dtype=np.float64, order="C", copy=True) if self.exact
               else np.ascontiguousarray(self.numeric, dtype=np.float64))
        offsets = np.zeros(X64.shape[1], dtype=object)
        for j, ints in self.exact.items():
            low = ints.min()
            X64[:, j] = (ints.astype(np.uint64) - np.uint64(int(low) % 2 ** 64)).astype(np.float64)
            offsets[j] = int(low)
        return X64, offsets

    def with_rows(self, numeric_rows: np.ndarray, offsets: np.ndarray, copied: np.ndarray, seeds: np.ndarray,
                  codes: np.ndarray) -> Any:
        """X's rows, then the synthetic ones in X's container and dtypes.

        ``numeric_rows`` (m, d_num) are float64 values relative to
        ``offsets``; cells where ``copied`` is True are taken from input row
        ``seeds``; ``codes`` (m, d_cat) are codes into the levels.
        """
        columns: list = [None] * self.n_features
        for k, j in enumerate(self.numeric_columns):
            columns[j] = self._numeric_column(k, numeric_rows[:, k], offsets[k], copied[:, k], seeds)
        for k, j in enumerate(self.categorical_columns):
            columns[j] = self.levels[k][codes[:, k]]
        return self.container.build(columns, seeds.size)

    def _numeric_column(self, k: int, rows: np.ndarray, offset: int, copied: np.ndarray,
                        seeds: np.ndarray) -> np.ndarray:
        dtype = self.value_dtypes[k]
        held = self.exact[k] if k in self.exact else self._held(k, dtype)
        if dtype.kind == "b":
            new = rows >= 0.5
        elif dtype.kind in "iu":
            info = np.iinfo(dtype)
            low, high = max(int(held.min()), int(info.min)) - offset, min(int(held.max()), int(info.max)) - offset
            clipped = np.clip(np.rint(rows), _float_inside(low, np.inf), _float_inside(high, -np.inf))
            if offset:  # exact integers: the offset added back in integer arithmetic (uint64 wraps exactly)
                new = (clipped.astype(np.uint64) + np.uint64(offset % 2 ** 64)).astype(dtype)
            else:
                new = clipped.astype(dtype)
        else:
            big = float(np.finfo(dtype).max) if dtype.itemsize <= 8 else float(np.finfo(np.float64).max)
            new = np.clip(rows, -big, big).astype(dtype)
        return np.where(copied, held[seeds], new)

    def _held(self, k: int, dtype: np.dtype) -> np.ndarray:
        """Column k's input values in its own dtype (exact integers even where ``numeric`` is float64)."""
        j = int(self.numeric_columns[k])
        if hasattr(self.container, "exact_values") and dtype.kind in "iub":
            return self.container.exact_values(j, dtype)
        return self.numeric[:, k].astype(dtype)


def _float_inside(bound: int, toward: float) -> float:
    """The integer ``bound`` as a float64, rounded toward ``toward`` when
    float64 cannot hold it (beyond 2**53), so it never passes the bound."""
    value = float(bound)
    if (toward > value and value < bound) or (toward < value and value > bound):
        value = float(np.nextafter(value, toward))
    return value


def read_features(X: Any, categorical_features: Any, estimator: str = "SIMPOR") -> Features:
    """Read and check X (see the module docstring); ``estimator`` names the caller in scikit-learn's messages.

    Raises
    ------
    TypeError
        For sparse input and containers that cannot be returned as the same kind.
    ValueError
        Naming the column (and the first row) of any problem.
    """
    from sklearn.utils.validation import check_array

    _refuse_sparse(X)
    container = container_of(X)
    raw = [container.column(j) for j in range(len(container.names))]
    if not raw:
        check_array(np.empty((container.n_rows, 0)), estimator=estimator)  # scikit-learn's "0 feature(s)" error
    auto = np.array([_auto_kind(col) == CATEGORICAL for col in raw], dtype=bool) \
        if _needs_auto(categorical_features) else np.zeros(len(raw), dtype=bool)
    mask = categorical_mask(categorical_features, container.names, auto, container.has_names)
    numeric_raw = [col for col, categorical in zip(raw, mask) if not categorical]
    if categorical_features is not None:  # "auto" or named columns: dates and the like are neither kind
        for col in numeric_raw:
            if col.kind == "other":
                _refuse_other(col)
    _refuse_non_numbers(numeric_raw)
    for col in numeric_raw:
        _check_numeric(col)
    numeric_columns, categorical_columns = np.flatnonzero(~mask), np.flatnonzero(mask)
    numeric = np.empty((container.n_rows, 0)) if numeric_columns.size == 0 else np.ascontiguousarray(
        check_array(container.numeric_block(numeric_columns), dtype="numeric", ensure_all_finite=False, copy=False))
    value_dtypes = [_value_dtype(raw[j]) for j in numeric_columns]
    exact = {k: _exact(raw[j], value_dtypes[k]) for k, j in enumerate(numeric_columns)
             if value_dtypes[k].kind in "iu" and _beyond_float(raw[j])}
    coded = [_codes(raw[j]) for j in categorical_columns]
    codes = np.stack([c for c, _ in coded], axis=1) if coded else np.empty((container.n_rows, 0), np.int32)
    names = container.names
    feature_names = np.asarray(names, dtype=object) if container.has_names and names and \
        all(isinstance(n, str) for n in names) else None
    return Features(container, numeric, numeric_columns, categorical_columns, value_dtypes, exact,
                    np.ascontiguousarray(codes), [lv for _, lv in coded], feature_names)


def _needs_auto(spec: Any) -> bool:
    return isinstance(spec, str) and spec == "auto"


def _beyond_float(col: RawColumn) -> bool:
    values = col.values
    if values.dtype == object:
        return any(abs(int(v)) > _EXACT_FLOAT for v in values.tolist() if isinstance(v, (int, np.integer)))
    return values.dtype.kind in "iu" and values.size > 0 and \
        max(abs(int(values.min())), abs(int(values.max()))) > _EXACT_FLOAT


def _exact(col: RawColumn, dtype: np.dtype) -> np.ndarray:
    if col.values.dtype.kind in "iu":
        return np.asarray(col.values, dtype=dtype)
    return np.array(col.values.tolist(), dtype=dtype)


def _refuse_sparse(X: Any) -> None:
    import scipy.sparse as sp

    if sp.issparse(X):
        from sklearn.utils.validation import check_array

        check_array(X, accept_sparse=False)  # scikit-learn's TypeError
