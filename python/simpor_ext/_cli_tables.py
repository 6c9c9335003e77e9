"""Tables for ``simpor-ext balance``: reading CSV/TSV/Parquet, checking the
features and labels, and writing the output atomically. Every user-facing
failure is a :class:`CLIError` with a one-line message."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Optional


EXIT_INPUT, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 1, 2, 130, 143  # 128 + SIGINT, 128 + SIGTERM

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
COMPRESSION_SUFFIXES = (".gz", ".bz2", ".zip", ".xz", ".zst")
PARQUET_SUFFIXES = (".parquet", ".pq")


class CLIError(Exception):
    """A user-facing failure: printed as one line, exits with ``code``."""

    def __init__(self, message: str, code: int = EXIT_INPUT) -> None:
        super().__init__(message)
        self.code = code


def one_line(exc: BaseException) -> str:
    """An exception's message on one line."""
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())


# ---------------------------------------------------------------- table I/O
def table_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in PARQUET_SUFFIXES:
        return "parquet"
    if suffixes and suffixes[-1] in COMPRESSION_SUFFIXES:
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in CSV_SUFFIXES:
        return "tsv" if suffixes[-1] == ".tsv" else "csv"
    raise CLIError(f"{path}: unknown table format {''.join(path.suffixes) or '(no extension)'}; "
                   "use .csv, .tsv or .parquet", EXIT_USAGE)


def _require_pyarrow(path: Path) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise CLIError(f"{path}: Parquet needs pyarrow: pip install 'simpor_ext[parquet]'", EXIT_USAGE) from None


# Field delimiters a one-column header is checked for; the name a message gives each.
DELIMITERS = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}


def delimiter_in(header: str) -> Optional[str]:
    """The delimiter a lone header cell holds most of (the file's, split by
    another one), or None."""
    counts = {sep: header.count(sep) for sep in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else None


def read_table(path: Path, sep: Optional[str] = None):
    """Read a CSV/TSV/Parquet file into a DataFrame, failing in one line.

    ``sep``: the CSV delimiter; None takes ',' (tab for .tsv), or the one the
    header shows where it reads as a single column holding another delimiter
    (e.g. ';', common where ',' is the decimal mark).
    """
    import pandas as pd

    fmt = table_format(path)
    if not path.exists():
        raise CLIError(f"input file not found: {path}")
    if path.is_dir():
        raise CLIError(f"input is a directory, not a file: {path}")
    if fmt == "parquet":
        _require_pyarrow(path)
    try:
        if fmt == "parquet":
            return pd.read_parquet(path)
        if sep is None:
            sep = "\t" if fmt == "tsv" else ","
            header = pd.read_csv(path, sep=sep, nrows=0).columns
            if len(header) == 1:
                sep = delimiter_in(str(header[0])) or sep
        return pd.read_csv(path, sep=sep)
    except pd.errors.EmptyDataError:
        raise CLIError(f"{path}: the file is empty") from None
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise CLIError(f"{path}: cannot read as {fmt}: {one_line(exc)}") from None


def _write_table(df, path: Path, fmt: str) -> None:
    if fmt == "parquet":
        df.to_parquet(path, index=False)
    else:
        df.to_csv(path, index=False, sep="\t" if fmt == "tsv" else ",")


class AtomicOutput:
    """Reserve a temporary file beside ``path`` now (proving the folder is
    writable before any work is done); :meth:`write` fills it, :meth:`commit`
    renames it over ``path``, :meth:`discard` removes it. A failure never
    leaves a partial ``path``."""

    def __init__(self, path: Path, *, overwrite: bool) -> None:
        self.path, self.fmt = path, table_format(path)
        if self.fmt == "parquet":
            _require_pyarrow(path)
        self._check_target(overwrite)
        suffix = "".join(path.suffixes[-2:]) if path.suffixes else ""
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent)
        except OSError as exc:
            raise CLIError(f"output folder not writable: {path.parent}: {exc.strerror}") from None
        os.close(fd)
        self.tmp = Path(tmp)
        self._written: Optional[os.stat_result] = None

    def _check_target(self, overwrite: bool) -> None:
        parent = self.path.parent
        if not parent.exists():
            raise CLIError(f"output folder does not exist: {parent}")
        if not parent.is_dir():
            raise CLIError(f"output folder is not a directory: {parent}")
        if self.path.is_dir():
            raise CLIError(f"output path is a directory: {self.path}")
        if self.path.exists() and not overwrite:
            raise CLIError(f"output file exists: {self.path} (pass --overwrite to replace it)")

    def write(self, df) -> None:
        """The whole table into the temporary file."""
        try:
            _write_table(df, self.tmp, self.fmt)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.tmp, 0o666 & ~umask)  # mkstemp's 0600 is for the temp file only
            self._written = os.stat(self.tmp)
        except OSError as exc:
            self.discard()
            raise CLIError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        except BaseException:
            self.discard()
            raise

    def commit(self) -> None:
        """Rename the written file over ``path``."""
        try:
            os.replace(self.tmp, self.path)
        except OSError as exc:
            self.discard()
            raise CLIError(f"cannot write {self.path}: {exc.strerror or exc}") from None

    @property
    def committed(self) -> bool:
        """Whether ``path`` is now the file :meth:`write` wrote: true from the
        rename on, whatever interrupted the program after it."""
        if self._written is None:
            return False
        try:
            now = os.stat(self.path)
        except OSError:
            return False
        return (now.st_dev, now.st_ino) == (self._written.st_dev, self._written.st_ino)

    def discard(self) -> None:
        try:
            self.tmp.unlink()
        except FileNotFoundError:
            pass


# ------------------------------------------------------------ input checks
def split_features(df, target: str, source: Any = "the input"):
    """Return ``(X, y)``: the feature columns (a DataFrame, dtypes kept) and
    the label array, or fail naming the offending column, row or class.
    ``source`` names the table in messages (its file). The feature columns'
    kinds are SIMPOR's to check (``categorical_features``)."""
    import numpy as np

    if target not in df.columns:
        shown = ", ".join(repr(str(c)) for c in list(df.columns)[:10])
        more = ", ..." if len(df.columns) > 10 else ""
        raise CLIError(f"target column {target!r} not in {source}; columns: {shown}{more}"
                       f"{_delimiter_hint(df.columns)}")
    features = df.drop(columns=[target])
    if features.shape[1] == 0:
        raise CLIError(f"no feature columns: {source} has only the target column {target!r}")
    if len(df) == 0:
        raise CLIError(f"no rows: {source} holds only a header")
    _check_missing(df)
    numbers = features.select_dtypes("number")
    _check_finite(numbers.to_numpy(dtype=np.float64), list(numbers.columns))
    y = df[target].to_numpy()
    _check_labels(y, target)
    return features, y


def _delimiter_hint(columns) -> str:
    """Where the header is one cell holding a delimiter, say so: the file was split by another one."""
    sep = delimiter_in(str(columns[0])) if len(columns) == 1 else None
    return f"; the header looks {DELIMITERS[sep]}-separated: pass --sep {DELIMITERS[sep]}" if sep else ""


def _check_labels(y, target: str) -> None:
    import numpy as np
    import pandas as pd

    classes = pd.unique(y)
    if len(classes) < 2:
        raise CLIError(f"target column {target!r} has a single class ({_plain(classes[0])!r}); need at least two")
    if y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
        fraction = y[np.mod(y, 1) != 0][0]
        raise CLIError(f"target column {target!r} holds fractional numbers (e.g. {_plain(fraction)!r}): it must "
                       "hold class labels (integers or text), not a continuous quantity")


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (shown as ``0``, not ``np.int64(0)``)."""
    return value.item() if hasattr(value, "item") and not isinstance(value, (str, bytes)) else value


def _where(row: int, column: Any) -> str:
    return f"row {row} (0-based, header not counted), column {str(column)!r}"


def _check_missing(df) -> None:
    import numpy as np

    missing = df.isna().to_numpy()
    if missing.any():
        row, col = np.argwhere(missing)[0]
        raise CLIError(f"missing value (NaN) at {_where(int(row), df.columns[col])}; "
                       f"{int(missing.sum())} missing in all: impute or drop them first")


def _check_finite(X, columns: list) -> None:
    import numpy as np

    bad = ~np.isfinite(X)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise CLIError(f"infinite value at {_where(int(row), columns[col])}; {int(bad.sum())} in all")


def resolve_strategy(strategy: Any, y) -> Any:
    """Turn ``"a:100,b:200"`` into ``{label: count}`` with the labels' own type."""
    import pandas as pd

    if not isinstance(strategy, str) or ":" not in strategy:
        return strategy
    labels = {str(c): c for c in pd.unique(y)}
    result = {}
    for item in strategy.split(","):
        key, _, count = item.rpartition(":")
        key = key.strip()
        if key not in labels:
            raise CLIError(f"--sampling-strategy: unknown class {key!r}; classes: {', '.join(labels)}", EXIT_USAGE)
        try:
            result[labels[key]] = int(count)
        except ValueError:
            raise CLIError(f"--sampling-strategy: count for {key!r} must be an integer, got {count!r}",
                           EXIT_USAGE) from None
    return result
