"""Feature columns: which ones SIMPOR can take, and synthetic rows cast back
into each column's dtype.

SIMPOR moves points in a continuous feature space, so every feature must be a
number. A pandas DataFrame is checked column by column before any work (its
categorical, text and date columns named in the error); other containers are
left to scikit-learn's own checks.

The ascent returns float64 rows. Each column gets back a value its dtype can
hold: booleans are ``x >= 0.5``; integers are rounded (not truncated) and
clipped to the range the column holds, which lies within its dtype's;
floats are clipped to their dtype's finite range. DataFrames are rebuilt
here rather than by imbalanced-learn, whose conversion sends every row
through float64 (inexact for integers beyond 2**53) and leaves one block per
column (pandas then warns that the frame is fragmented).
"""
from __future__ import annotations

import sys
from typing import Any, Optional

import numpy as np

__all__ = ["FrameColumns", "frame_columns", "is_number_column", "cast_rows", "frame_output", "with_synthetic_rows"]


class FrameColumns:
    """A DataFrame's columns and dtypes, kept to rebuild the output.

    ``value_dtypes`` holds the numpy dtype of each column's values: the one
    behind a pandas extension dtype (nullable Int64 -> int64), or, for an
    object column, the dtype its numbers take (Python ints -> int64).
    """

    def __init__(self, frame: Any) -> None:
        self.frame = frame
        self.dtypes = list(frame.dtypes)
        self.value_dtypes = [_value_dtype(frame.iloc[:, j]) for j in range(frame.shape[1])]
        self.result: Any = None  # the resampled DataFrame, once built


def _value_dtype(column: Any) -> np.dtype:
    try:
        dtype = np.dtype(getattr(column.dtype, "numpy_dtype", column.dtype))
    except TypeError:
        return np.dtype(object)
    if dtype == object:
        dtype = np.asarray(column.tolist()).dtype
        return dtype if dtype.kind in "biuf" else np.dtype(np.float64)
    return dtype


def is_number_column(column: Any) -> bool:
    """Whether a pandas column holds numbers SIMPOR can interpolate (not
    categorical, text or dates; numbers in an object column are fine)."""
    import pandas as pd

    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return False  # its numbers are codes or labels, not coordinates
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return True  # complex data: scikit-learn's own error follows
    if dtype == object:  # Python numbers in an object column are fine
        try:
            np.asarray(column, dtype=np.float64)
        except (TypeError, ValueError):
            return False
        return True
    return False


def frame_columns(X: Any) -> Optional[FrameColumns]:
    """:class:`FrameColumns` for a pandas DataFrame, None for anything else.

    Raises
    ------
    ValueError
        Naming every column that does not hold numbers, with its dtype.
    """
    pd = sys.modules.get("pandas")
    if pd is None or not isinstance(X, pd.DataFrame):
        return None
    bad = [f"{name!r} ({X.iloc[:, j].dtype})" for j, name in enumerate(X.columns)
           if not is_number_column(X.iloc[:, j])]
    if bad:
        s = "s" if len(bad) > 1 else ""
        raise ValueError(f"SIMPOR interpolates numeric features, but column{s} {', '.join(bad)} of X "
                         f"{'do' if s else 'does'} not hold numbers: encode categorical or text columns as "
                         "numbers first (e.g. one-hot with sklearn.preprocessing.OneHotEncoder), or drop them")
    return FrameColumns(X)


def _float_inside(bound: Any, toward: float) -> float:
    """The integer ``bound`` as a float64, rounded toward ``toward`` when
    float64 cannot hold it (beyond 2**53), so it never passes the bound."""
    value = float(bound)
    if (toward > value and value < bound) or (toward < value and value > bound):
        value = float(np.nextafter(value, toward))
    return value


def _integer_range(values: np.ndarray, dtype: np.dtype) -> tuple[float, float]:
    """The range a synthetic value of an integer column is clipped to: what
    the column holds, within what its dtype holds."""
    info = np.iinfo(dtype)
    low, high = max(int(values.min()), int(info.min)), min(int(values.max()), int(info.max))
    return _float_inside(low, np.inf), _float_inside(high, -np.inf)


def cast_rows(rows: np.ndarray, X: np.ndarray, dtypes: list[np.dtype], originals: Any = None) -> np.ndarray:
    """Float64 synthetic rows made representable column by column (see the
    module docstring); still float64, bools as 0.0/1.0.

    ``X`` is the validated input (the observed ranges), ``dtypes`` the numpy
    dtype of each column, ``originals`` the columns as given (a DataFrame,
    whose integers may be exact where ``X`` holds float64) or None.
    """
    rows = np.array(rows, dtype=np.float64, copy=True)
    for j, dtype in enumerate(dtypes):
        if dtype.kind == "b":
            rows[:, j] = rows[:, j] >= 0.5
        elif dtype.kind in "iu":
            held = X[:, j] if originals is None else np.asarray(originals.iloc[:, j])
            low, high = _integer_range(held, dtype)
            rows[:, j] = np.clip(np.rint(rows[:, j]), low, high)
        elif dtype.kind == "f":
            big = float(np.finfo(dtype).max) if dtype.itemsize <= 8 else float(np.finfo(np.float64).max)
            rows[:, j] = np.clip(rows[:, j], -big, big)
    return rows


def frame_output(columns: FrameColumns, synthetic: np.ndarray, seeds: np.ndarray, copied: np.ndarray) -> Any:
    """The input DataFrame's rows unchanged (index reset), then the synthetic
    rows (from :func:`cast_rows`) in each column's dtype, the cells where
    ``copied`` is True taken from the input rows ``seeds``: one block per
    numpy dtype, as pandas builds a frame at once."""
    import pandas as pd

    frame = columns.frame.reset_index(drop=True)
    groups: dict[Any, list[int]] = {}
    for j, dtype in enumerate(columns.dtypes):
        groups.setdefault(dtype, []).append(j)
    parts = []
    for dtype, positions in groups.items():
        if isinstance(dtype, np.dtype):
            held = frame.iloc[:, positions].to_numpy(dtype=dtype)
            if dtype == object:  # Python ints stay ints, floats floats
                new = np.stack([synthetic[:, j].astype(columns.value_dtypes[j]).astype(object) for j in positions],
                               axis=1)
            else:
                new = synthetic[:, positions].astype(dtype)
            new = np.where(copied[:, positions], held[seeds], new)
            parts.append(pd.DataFrame(np.concatenate([held, new]), columns=positions))
        else:  # extension dtypes (nullable Int64, boolean, Float64): one array per column anyway
            for j in positions:
                held = frame.iloc[:, j].array
                new = pd.Series(synthetic[:, j]).astype(dtype).array
                new[copied[:, j]] = held[seeds[copied[:, j]]]
                parts.append(pd.concat([pd.Series(held), pd.Series(new)], ignore_index=True).rename(j).to_frame())
    out = pd.concat(parts, axis=1)[list(range(frame.shape[1]))]
    out.columns = frame.columns
    return out


def with_synthetic_rows(X: np.ndarray, rows: np.ndarray, seeds: np.ndarray, copied: np.ndarray,
                        frame: Optional[FrameColumns]) -> Any:
    """``X``'s rows, then the float64 synthetic ``rows`` in the caller's
    dtypes (cells where ``copied`` is True taken from row ``seeds`` of X):
    an array, or for DataFrame input the frame rebuilt."""
    dtypes = frame.value_dtypes if frame is not None else [X.dtype] * X.shape[1]
    rows = cast_rows(rows, X, dtypes, frame.frame if frame is not None else None)
    if not np.isfinite(rows).all():  # never hand back inf or NaN, whatever went wrong upstream
        bad = np.flatnonzero(~np.isfinite(rows).all(axis=0))
        raise RuntimeError(f"SIMPOR computed non-finite synthetic values in feature column(s) {bad.tolist()}; "
                           "this is a bug: please report it with the data's shape and value ranges")
    if frame is not None:
        frame.result = frame_output(frame, rows, seeds, copied)
        return frame.result
    synthetic = rows.astype(X.dtype)
    synthetic[copied] = X[seeds][copied]
    return np.concatenate([X, synthetic])
