"""KEEL ``.dat`` files: the parser, and the 5-fold splits of the KEEL
imbalanced collection under ``<data>/keel/NAME/``.

Nominal inputs
--------------
KEEL headers declare the category list of every nominal input (abalone's
``@attribute Sex {M, F, I}``). Encodings are built from that declared list,
not from the values seen in one file, so a training fold and its test fold
always get the same columns in the same order:

* ``nominal="onehot"`` (default): one 0/1 column per declared category, named
  ``Sex=M``, ``Sex=F``, ... in declaration order. No ordering is implied, which
  suits the Euclidean geometry SMOTE-like samplers and KDEs work in.
* ``nominal="ordinal"``: one column holding the category's index in the
  declaration (0, 1, 2, ...).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Literal, Optional

import numpy as np

from data_sets import PathLike, require_dir
from simpor_ext.moon import Split

NominalEncoding = Literal["onehot", "ordinal"]


@dataclass(frozen=True)
class KeelAttribute:
    """One ``@attribute`` line of a KEEL header.

    Attributes
    ----------
    name : str
        The attribute's name.
    kind : {"real", "integer", "nominal"}
        Its declared type.
    categories : tuple of str
        Declared categories (nominal attributes only).
    """

    name: str
    kind: str
    categories: tuple = ()


@dataclass(frozen=True)
class KeelTable:
    """A parsed KEEL file.

    Attributes
    ----------
    X : ndarray (n, d)
        Encoded inputs, float64.
    y : ndarray (n,)
        1 where the output equals ``positive_label``, else 0.
    feature_names : list of str
        One name per column of ``X`` (``Sex=M`` for one-hot columns).
    relation : str
        The ``@relation`` name.
    attributes : list of KeelAttribute
        All declared attributes, in file order.
    inputs, output : list of str, str
        Input attribute names (in ``@inputs`` order) and the output attribute.
    labels : ndarray of str
        The raw output values.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: list
    relation: str
    attributes: list
    inputs: list
    output: str
    labels: np.ndarray


_ATTR_RE = re.compile(
    r"^@attribute\s+(?P<name>'[^']*'|\"[^\"]*\"|\S+?)(?:\s+|(?=\{))"
    r"(?P<rest>\{.*|(?:real|integer|numeric)\b.*)$",
    re.I,
)


def _split_names(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _parse_attribute(line: str, lineno: int) -> KeelAttribute:
    m = _ATTR_RE.match(line)
    if m is None:
        raise ValueError(f"line {lineno}: cannot parse attribute declaration {line!r}")
    name = m.group("name").strip("'\"")
    rest = m.group("rest").strip()
    if rest.startswith("{"):
        close = rest.find("}")
        if close < 0:
            raise ValueError(f"line {lineno}: unterminated category list in {line!r}")
        cats = tuple(c.strip().strip("'\"") for c in rest[1:close].split(",") if c.strip())
        if not cats:
            raise ValueError(f"line {lineno}: empty category list in {line!r}")
        return KeelAttribute(name, "nominal", cats)
    kind = rest.split("[")[0].strip().lower()
    return KeelAttribute(name, "integer" if kind == "integer" else "real")


def parse_keel(
    text: str,
    *,
    nominal: NominalEncoding = "onehot",
    positive_label: str = "positive",
) -> KeelTable:
    """Parse the text of a KEEL ``.dat`` file.

    The header drives the parse: ``@attribute`` lines give names and types
    (``real``/``integer`` with an optional ``[lo, hi]`` range, written with or
    without a space, or a nominal ``{a, b, c}`` list); ``@inputs``/``@input``
    and ``@outputs``/``@output`` say which attributes are features and which is
    the class (when absent: every attribute but the last, and the last).
    Keywords are case-insensitive; spaces, tabs, CRLF line ends, blank lines
    and ``%`` comments are tolerated.

    Parameters
    ----------
    text : str
        The file's contents.
    nominal : {"onehot", "ordinal"}
        Encoding of nominal inputs (see the module docstring). Both use the
        categories in the order the header declares them.
    positive_label : str
        Output value mapped to label 1 (the minority class in KEEL's
        imbalanced collection); every other value maps to 0.

    Returns
    -------
    KeelTable

    Raises
    ------
    ValueError
        On a malformed header, a row with the wrong number of fields, a
        missing value (``?``), a non-numeric value in a numeric attribute or a
        nominal value the header does not declare. The message names the line.
    """
    if nominal not in ("onehot", "ordinal"):
        raise ValueError(f"nominal must be 'onehot' or 'ordinal', got {nominal!r}")
    relation, attributes = "", []
    inputs: Optional[list[str]] = None
    outputs: Optional[list[str]] = None
    rows: list[tuple[int, list[str]]] = []
    in_data = False
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("%"):
            continue
        if in_data:
            rows.append((lineno, [v.strip() for v in line.split(",")]))
            continue
        if not line.startswith("@"):
            raise ValueError(f"line {lineno}: expected a header line or @data, got {line!r}")
        keyword, _, rest = line.partition(" ")
        keyword = keyword.split("\t")[0].lower()
        rest = line[len(keyword):].strip()
        if keyword == "@relation":
            relation = rest
        elif keyword == "@attribute":
            attributes.append(_parse_attribute(line, lineno))
        elif keyword in ("@inputs", "@input"):
            inputs = _split_names(rest)
        elif keyword in ("@outputs", "@output"):
            outputs = _split_names(rest)
        elif keyword == "@data":
            in_data = True
        else:
            raise ValueError(f"line {lineno}: unknown header keyword {keyword!r}")
    if not attributes:
        raise ValueError("no @attribute declarations found")
    if not in_data:
        raise ValueError("no @data section found")
    by_name = {a.name: i for i, a in enumerate(attributes)}
    if outputs is None:
        outputs = [attributes[-1].name]
    if len(outputs) != 1:
        raise ValueError(f"expected exactly one output attribute, got {outputs}")
    if inputs is None:
        inputs = [a.name for a in attributes if a.name != outputs[0]]
    for name in [*inputs, *outputs]:
        if name not in by_name:
            raise ValueError(f"@inputs/@outputs name {name!r} is not a declared attribute")
    in_idx = [by_name[n] for n in inputs]
    out_idx = by_name[outputs[0]]

    feature_names: list[str] = []
    for i in in_idx:
        a = attributes[i]
        if a.kind == "nominal" and nominal == "onehot":
            feature_names.extend(f"{a.name}={c}" for c in a.categories)
        else:
            feature_names.append(a.name)

    n_attr = len(attributes)
    X = np.empty((len(rows), len(feature_names)), dtype=np.float64)
    labels = np.empty(len(rows), dtype=object)
    for r, (lineno, values) in enumerate(rows):
        if len(values) != n_attr:
            raise ValueError(f"line {lineno}: expected {n_attr} values, got {len(values)}")
        col = 0
        for i in in_idx:
            a, v = attributes[i], values[i]
            if v in ("?", ""):
                raise ValueError(f"line {lineno}: missing value for attribute {a.name!r}")
            if a.kind == "nominal":
                try:
                    k = a.categories.index(v)
                except ValueError:
                    raise ValueError(
                        f"line {lineno}: value {v!r} of {a.name!r} is not among the declared {a.categories}"
                    ) from None
                if nominal == "onehot":
                    X[r, col:col + len(a.categories)] = 0.0
                    X[r, col + k] = 1.0
                    col += len(a.categories)
                else:
                    X[r, col] = k
                    col += 1
            else:
                try:
                    X[r, col] = float(v)
                except ValueError:
                    raise ValueError(f"line {lineno}: {v!r} is not a number (attribute {a.name!r})") from None
                col += 1
        labels[r] = values[out_idx]
    labels = labels.astype(str)
    y = (labels == positive_label).astype(np.int64)
    return KeelTable(X, y, feature_names, relation, attributes, list(inputs), outputs[0], labels)


def read_keel(
    path: PathLike,
    *,
    nominal: NominalEncoding = "onehot",
    positive_label: str = "positive",
) -> KeelTable:
    """Read and parse one KEEL ``.dat`` file; see :func:`parse_keel`."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        return parse_keel(fh.read(), nominal=nominal, positive_label=positive_label)


def keel_names(data_dir: Optional[PathLike] = None) -> list[str]:
    """Names of the KEEL data sets found under ``<data>/keel``, sorted."""
    root = require_dir(data_dir, "keel")
    return sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*-5-*tra.dat")))


_FOLD_RE = re.compile(r"^(?P<prefix>.+)-5-(?P<k>\d+)(?P<part>tra|tst)\.dat$")


def keel_fold_paths(name: str, data_dir: Optional[PathLike] = None) -> list[tuple[Path, Path]]:
    """The ``(train, test)`` file pairs of a KEEL data set's 5-fold split.

    Files are found by pattern (``*-5-Ktra.dat`` / ``*-5-Ktst.dat``), so a
    file prefix that differs from the folder name (``pima/pimaImb-5-1tra.dat``)
    and a missing fold (``abalone9-18`` has folds 1-4) are handled.

    Returns
    -------
    list of (Path, Path)
        Sorted by fold number; only folds with both files present.
    """
    folder = require_dir(data_dir, "keel") / name
    if not folder.is_dir():
        raise FileNotFoundError(f"no KEEL data set {name!r} in {folder.parent}")
    parts: dict[int, dict[str, Path]] = {}
    for p in folder.iterdir():
        m = _FOLD_RE.match(p.name)
        if m:
            parts.setdefault(int(m.group("k")), {})[m.group("part")] = p
    pairs = [(v["tra"], v["tst"]) for k, v in sorted(parts.items()) if "tra" in v and "tst" in v]
    if not pairs:
        raise FileNotFoundError(f"no *-5-Ktra.dat / *-5-Ktst.dat pairs in {folder}")
    return pairs


def keel_folds(
    name: str,
    data_dir: Optional[PathLike] = None,
    *,
    nominal: NominalEncoding = "onehot",
) -> Iterator[Split]:
    """Iterate over a KEEL data set's provided cross-validation folds.

    Parameters
    ----------
    name : str
        Folder name under ``<data>/keel`` (e.g. ``"abalone9-18"``).
    data_dir : path, optional
        The shared data folder; see :func:`data_sets.find_data_dir`.
    nominal : {"onehot", "ordinal"}
        Encoding of nominal inputs.

    Yields
    ------
    Split
        One per fold present, ``fold`` numbered from 0.
    """
    for i, (tra, tst) in enumerate(keel_fold_paths(name, data_dir)):
        train, test = read_keel(tra, nominal=nominal), read_keel(tst, nominal=nominal)
        if train.feature_names != test.feature_names:
            raise ValueError(f"{tra.name} and {tst.name} declare different inputs")
        yield Split(train.X, train.y, test.X, test.y, name, i, list(train.feature_names))
