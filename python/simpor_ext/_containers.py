"""The caller's containers: NumPy arrays (and lists), pandas DataFrames, and
the eager frames narwhals reads (polars, pyarrow, ...), column by column.

Each adapter lists the columns with their values, missing cells and kind
(:mod:`._columns`), and rebuilds a container of its own kind from the
original rows and the synthetic columns, every column in its own dtype.
pandas frames are rebuilt here rather than by imbalanced-learn, whose
conversion sends every row through float64 (inexact for integers beyond
2**53) and leaves one block per column (pandas then warns that the frame is
fragmented).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

__all__ = ["RawColumn", "container_of", "labels_of", "labels_like"]


@dataclass
class RawColumn:
    """One feature column as read from its container.

    ``values`` are NumPy values (object for text and categories), ``missing``
    marks the empty cells, ``kind`` is "number", "bool", "text", "category",
    "object" (decided from the values) or "other"; ``levels`` are the
    categories a categorical dtype declares, in their order (None when the
    values define them); ``dtype`` is the container's own dtype.
    """

    name: Any
    values: np.ndarray
    missing: np.ndarray
    kind: str
    levels: Optional[np.ndarray]
    dtype: Any


def _number_kind(dtype: np.dtype) -> str:
    if dtype.kind in "iufc":
        return "number"
    return {"b": "bool", "U": "text", "S": "text", "O": "object"}.get(dtype.kind, "other")


# ------------------------------------------------------------------ NumPy
class ArrayContainer:
    """A NumPy array, or anything ``np.asarray`` reads (lists come back as lists)."""

    has_names = False

    def __init__(self, X: Any):
        from sklearn.utils.validation import check_array

        self.was_list = isinstance(X, list)
        # scikit-learn's shape and type errors (1-D, 3-D, complex, empty), no value checks yet.
        self.array = check_array(X, dtype=None, ensure_all_finite=False, ensure_min_features=0)
        self.names = list(range(self.array.shape[1]))

    @property
    def n_rows(self) -> int:
        return self.array.shape[0]

    def column(self, j: int) -> RawColumn:
        values = self.array[:, j]
        missing = _missing_cells(values)
        return RawColumn(j, values, missing, _number_kind(self.array.dtype), None, self.array.dtype)

    def numeric_block(self, positions: np.ndarray) -> Any:
        return self.array[:, positions]

    def build(self, columns: list[np.ndarray], n_new: int) -> Any:
        out = np.empty((self.n_rows + n_new, len(columns)), dtype=self.array.dtype)
        out[: self.n_rows] = self.array
        for j, values in enumerate(columns):
            out[self.n_rows:, j] = values
        return out.tolist() if self.was_list else out


def _missing_cells(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind in "fc":
        return np.isnan(values)
    if values.dtype == object:
        import pandas as pd

        return np.asarray(pd.isna(values), dtype=bool)
    return np.zeros(values.shape, dtype=bool)


# ------------------------------------------------------------------ pandas
def _pandas_kind(column: Any) -> tuple[str, Optional[np.ndarray]]:
    import pandas as pd

    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "category", np.asarray(dtype.categories, dtype=object)
    if pd.api.types.is_bool_dtype(dtype):
        return "bool", None
    if pd.api.types.is_numeric_dtype(dtype):
        return "number", None
    if dtype == object:
        return "object", None
    if pd.api.types.is_string_dtype(dtype):
        return "text", None
    return "other", None


class PandasContainer:
    """A pandas DataFrame; the output has a fresh 0..n-1 index."""

    has_names = True

    def __init__(self, frame: Any):
        self.frame = frame
        self.names = list(frame.columns)

    @property
    def n_rows(self) -> int:
        return self.frame.shape[0]

    def column(self, j: int) -> RawColumn:
        col = self.frame.iloc[:, j]
        kind, levels = _pandas_kind(col)
        values = col.to_numpy(dtype=object) if kind in ("category", "text", "object") else col.to_numpy()
        return RawColumn(self.names[j], values, col.isna().to_numpy(), kind, levels, col.dtype)

    def numeric_block(self, positions: np.ndarray) -> Any:
        return self.frame.iloc[:, positions]

    def exact_values(self, j: int, dtype: np.dtype) -> np.ndarray:
        return self.frame.iloc[:, j].to_numpy(dtype=dtype)

    def build(self, columns: list[np.ndarray], n_new: int) -> Any:
        """The input rows unchanged (index reset), then the synthetic ones;
        one block per numpy dtype, as pandas builds a frame at once."""
        import pandas as pd

        frame = self.frame.reset_index(drop=True)
        groups: dict[Any, list[int]] = {}
        for j, dtype in enumerate(frame.dtypes):
            groups.setdefault(dtype, []).append(j)
        parts = []
        for dtype, positions in groups.items():
            if isinstance(dtype, np.dtype):
                held = frame.iloc[:, positions].to_numpy(dtype=dtype)
                new = np.empty((n_new, len(positions)), dtype=dtype)
                for k, j in enumerate(positions):
                    new[:, k] = columns[j]
                parts.append(pd.DataFrame(np.concatenate([held, new]), columns=positions, dtype=dtype))
            else:  # extension dtypes (category, str, nullable Int64, boolean): one array per column anyway
                for j in positions:
                    new = pd.Series(pd.array(columns[j], dtype=dtype) if not isinstance(dtype, pd.CategoricalDtype)
                                    else pd.Categorical(columns[j], dtype=dtype))
                    parts.append(pd.concat([frame.iloc[:, j].reset_index(drop=True).rename(None), new],
                                           ignore_index=True).rename(j).to_frame())
        out = pd.concat(parts, axis=1)[list(range(frame.shape[1]))]
        out.columns = frame.columns
        return out


# ------------------------------------------------------------------ narwhals (polars, pyarrow, ...)
def _narwhals_kind(nw: Any, series: Any) -> tuple[str, Optional[np.ndarray]]:
    dtype = series.dtype
    if isinstance(dtype, nw.Enum):
        return "category", np.asarray(list(dtype.categories), dtype=object)
    if dtype == nw.Categorical:
        return "category", None
    if dtype == nw.Boolean:
        return "bool", None
    if dtype.is_numeric():
        return "number", None
    if dtype == nw.String:
        return "text", None
    if dtype == nw.Object:
        return "object", None
    return "other", None


class NarwhalsContainer:
    """An eager frame that narwhals reads (polars, pyarrow, ...), rebuilt as the same kind."""

    has_names = True

    def __init__(self, frame: Any):
        import narwhals as nw

        self.nw, self.native = nw, frame
        self.frame = nw.from_native(frame, eager_only=True)
        self.names = list(self.frame.columns)

    @property
    def n_rows(self) -> int:
        return self.frame.shape[0]

    def column(self, j: int) -> RawColumn:
        series = self.frame.get_column(self.names[j])
        kind, levels = _narwhals_kind(self.nw, series)
        values = series.to_numpy()
        if kind in ("category", "text", "object"):
            values = values.astype(object)
        missing = series.is_null().to_numpy()
        if values.dtype.kind == "f":
            missing = missing | np.isnan(values)
        return RawColumn(self.names[j], values, np.asarray(missing, dtype=bool), kind, levels, series.dtype)

    def numeric_block(self, positions: np.ndarray) -> Any:
        cols = [self.frame.get_column(self.names[j]).to_numpy() for j in positions]
        if not cols:
            return np.empty((self.n_rows, 0))
        dtype = np.result_type(*[c.dtype for c in cols])
        return np.ascontiguousarray(np.column_stack(cols), dtype=dtype)

    def exact_values(self, j: int, dtype: np.dtype) -> np.ndarray:
        return self.frame.get_column(self.names[j]).to_numpy().astype(dtype)

    def build(self, columns: list[np.ndarray], n_new: int) -> Any:
        nw = self.nw
        schema = self.frame.schema
        # Object arrays go in as lists: a frame library infers their type from the values, and an
        # "object" column would not cast to the schema's.
        new = nw.from_dict({name: columns[j].tolist() if columns[j].dtype == object else columns[j]
                            for j, name in enumerate(self.names)}, backend=self.frame.implementation)
        new = new.select([nw.col(name).cast(dtype) for name, dtype in schema.items()])
        native_new = nw.to_native(new)
        if self.frame.implementation.is_pyarrow():  # dictionary index widths must match too
            native_new = native_new.cast(self.native.schema)
        return nw.concat([self.frame, nw.from_native(native_new, eager_only=True)], how="vertical").to_native()


# ------------------------------------------------------------------ choosing one
def _is_pandas_frame(X: Any) -> bool:
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(X, pd.DataFrame)


def _looks_like_frame(X: Any) -> bool:
    return any(hasattr(X, attr) for attr in ("__dataframe__", "__arrow_c_stream__", "collect", "columns"))


def container_of(X: Any):
    """The adapter for ``X``.

    Raises
    ------
    TypeError
        Before any work, for a frame-like object that cannot be returned as
        the same kind (a lazy frame, or a library narwhals does not read).
    """
    if _is_pandas_frame(X):
        return PandasContainer(X)
    if isinstance(X, np.ndarray) or not _looks_like_frame(X):
        return ArrayContainer(X)
    import narwhals as nw

    try:
        nw.from_native(X, eager_only=True)
    except TypeError:
        hint = " (collect() a lazy frame first)" if hasattr(X, "collect") else ""
        raise TypeError(f"X of type {type(X).__module__}.{type(X).__qualname__} is not supported{hint}: pass a "
                        "NumPy array, a pandas, polars or pyarrow DataFrame/Table") from None
    return NarwhalsContainer(X)


# ------------------------------------------------------------------ labels
def labels_of(y: Any) -> np.ndarray:
    """The labels as a NumPy array (series of any frame library included)."""
    if hasattr(y, "__array__") or isinstance(y, (list, tuple)):
        return np.asarray(y)
    import narwhals as nw

    try:
        return nw.from_native(y, series_only=True).to_numpy()
    except TypeError:
        return np.asarray(y)


def labels_like(y: Any, values: np.ndarray) -> Any:
    """``values`` in the container ``y`` came in: list, NumPy, or a series
    of the same library with the same name and dtype."""
    if isinstance(y, list):
        return values.tolist()
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(y, pd.Series):
        return pd.Series(values, dtype=y.dtype, name=y.name)
    if pd is not None and isinstance(y, pd.DataFrame):  # one column of labels, or one-hot columns
        return pd.DataFrame(values.reshape(len(values), -1), columns=y.columns).astype(y.dtypes)
    if isinstance(y, np.ndarray):
        return values
    import narwhals as nw

    try:
        series = nw.from_native(y, series_only=True)
    except TypeError:
        return values
    new = nw.new_series(series.name, values, dtype=series.dtype, backend=series.implementation)
    return new.to_native()
