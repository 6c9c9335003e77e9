"""Which feature columns are numeric and which categorical.

SIMPOR moves the numeric columns continuously (standardised, on a sphere
around the seed) and chooses the categorical ones among values the class
holds. ``categorical_features="auto"`` reads the kind from the values:

* numeric: numbers (integers, floats; Python numbers in an object column);
* categorical: pandas ``category``, polars ``Categorical``/``Enum``, pyarrow
  dictionaries, strings (``str``, ``object`` columns of text) and booleans
  (two categories: interpolating them means nothing);
* refused: dates, times, durations and anything else, and an object column
  that mixes numbers with text (the first text cell is named: it is usually a
  stray value in a numeric column).

A NumPy array has one dtype for every column, so under ``"auto"`` a numeric
array is all numeric, a boolean array all categorical and an object array is
read column by column as above. Integer-coded categories look like numbers:
name them with ``categorical_features`` (indices, a boolean mask, or column
names). ``None`` declares every column numeric (the behaviour of versions
without categorical support).
"""
from __future__ import annotations

from numbers import Integral, Number
from typing import Any, Optional, Sequence

import numpy as np

__all__ = ["NUMERIC", "CATEGORICAL", "column_kind", "object_kind", "categorical_mask"]

NUMERIC, CATEGORICAL = "numeric", "categorical"


def _is_number(value: Any) -> bool:
    return isinstance(value, (Number, np.number)) and not isinstance(value, (bool, np.bool_, complex, np.complexfloating))


def _is_text(value: Any) -> bool:
    return isinstance(value, (str, bytes, bool, np.str_, np.bytes_, np.bool_))


def object_kind(values: np.ndarray, missing: np.ndarray) -> tuple[str, Optional[int]]:
    """The kind of an object column from its non-missing cells: (kind, None),
    or ("mixed", row) naming the first cell whose kind differs from the first
    cell's, or ("other", row) for a cell that is neither a number nor text."""
    kind = None
    for row in np.flatnonzero(~missing):
        value = values[row]
        here = NUMERIC if _is_number(value) else CATEGORICAL if _is_text(value) else None
        if here is None:
            return "other", int(row)
        if kind is None:
            kind = here
        elif here != kind:
            return "mixed", int(row)
    return kind or NUMERIC, None


def column_kind(dtype_kind: str) -> str:
    """Kind of a typed column from its generic dtype kind: "number", "bool",
    "text", "category", "object" (decided from the values) or "other"."""
    return {"number": NUMERIC, "bool": CATEGORICAL, "text": CATEGORICAL, "category": CATEGORICAL}.get(
        dtype_kind, dtype_kind)


def categorical_mask(spec: Any, names: Sequence[Any], auto: np.ndarray, has_names: bool) -> np.ndarray:
    """The categorical columns (a boolean mask over ``names``) that
    ``categorical_features`` names.

    Parameters
    ----------
    spec : "auto", None, array-like of int, bool or str
        ``SIMPOR(categorical_features=...)``.
    names : sequence
        The column names (positions for arrays).
    auto : ndarray of bool
        What ``"auto"`` decides.
    has_names : bool
        Whether the container has column names (str entries of ``spec`` need them).

    Raises
    ------
    ValueError
        For indices out of range, a mask of the wrong length, unknown names,
        or names given for an array without column names.
    """
    d = len(names)
    if isinstance(spec, str) and spec == "auto":
        return np.asarray(auto, dtype=bool)
    if spec is None:
        return np.zeros(d, dtype=bool)
    items = list(np.asarray(spec, dtype=object).ravel()) if not isinstance(spec, str) else [spec]
    if not items:
        return np.zeros(d, dtype=bool)
    if all(isinstance(v, (bool, np.bool_)) for v in items):
        if len(items) != d:
            raise ValueError(f"categorical_features as a boolean mask must have one entry per feature ({d}), "
                             f"got {len(items)}")
        return np.array(items, dtype=bool)
    mask = np.zeros(d, dtype=bool)
    if all(isinstance(v, Integral) and not isinstance(v, (bool, np.bool_)) for v in items):
        for v in items:
            if not -d <= int(v) < d:
                raise ValueError(f"categorical_features index {int(v)} is out of range for {d} features")
            mask[int(v)] = True
        return mask
    if not all(isinstance(v, str) for v in items):
        raise ValueError("categorical_features must be 'auto', None, or an array of column indices, a boolean "
                         f"mask or column names, got {spec!r}")
    if not has_names:
        raise ValueError("categorical_features names columns, but X has no column names: pass column indices "
                         "or a boolean mask")
    position = {str(name): j for j, name in enumerate(names)}
    unknown = [v for v in items if v not in position]
    if unknown:
        raise ValueError(f"categorical_features names unknown column(s) {unknown}; X has {list(map(str, names))}")
    mask[[position[v] for v in items]] = True
    return mask

