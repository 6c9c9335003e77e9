"""Data sets for evaluating SIMPOR: KEEL files, the imbalanced-learn benchmark,
and the paper's Moon and Breast Cancer set-ups.

Every loader returns the minority ("positive") class as label ``1`` and the
majority class as label ``0``, with float64 features.

The real data live outside the repository (``../shared/data`` relative to the
project root, or wherever ``SIMPOR_DATA_DIR`` points); see
:func:`find_data_dir`. Nothing here downloads anything.

KEEL nominal inputs
-------------------
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

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Literal, Optional, Sequence, Union

import numpy as np

__all__ = [
    "Split",
    "KeelAttribute",
    "KeelTable",
    "find_data_dir",
    "parse_keel",
    "read_keel",
    "keel_names",
    "keel_fold_paths",
    "keel_folds",
    "imblearn_names",
    "load_imblearn",
    "imblearn_folds",
    "make_moon",
    "make_breast_cancer",
    "MOON_NOISE",
]

PathLike = Union[str, "os.PathLike[str]"]
NominalEncoding = Literal["onehot", "ordinal"]

#: ``noise`` passed to :func:`sklearn.datasets.make_moons` by :func:`make_moon`.
#: The paper does not state it; 0.3 makes the two moons overlap near the
#: decision boundary, so F1 scores land in the paper's 0.85-0.92 range.
MOON_NOISE = 0.3

_ENV_VAR = "SIMPOR_DATA_DIR"


# --------------------------------------------------------------------------
# Containers
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Split:
    """One train/test split of a binary data set (minority label 1).

    Attributes
    ----------
    X_train, y_train, X_test, y_test : ndarray
        Features (float64, n x d) and labels (int64, 0 = majority,
        1 = minority).
    dataset : str
        Name of the data set.
    fold : int
        Index of this split among the data set's splits (0-based).
    feature_names : list of str
        One name per column of ``X_*``.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    dataset: str = ""
    fold: int = 0
    feature_names: list = field(default_factory=list)

    @property
    def imbalance_ratio(self) -> float:
        """Majority count / minority count in the training part."""
        n_min = int(np.sum(self.y_train == 1))
        return float(np.sum(self.y_train == 0)) / max(n_min, 1)


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


# --------------------------------------------------------------------------
# Locating the data
# --------------------------------------------------------------------------
def find_data_dir(data_dir: Optional[PathLike] = None) -> Optional[Path]:
    """Locate the shared data folder (holding ``keel/`` and ``imblearn-benchmark/``).

    Parameters
    ----------
    data_dir : path, optional
        Used as is when given (returned even if it does not exist, so the
        caller's error names it).

    Returns
    -------
    Path or None
        In order: ``data_dir``; ``$SIMPOR_DATA_DIR``; ``../shared/data``
        relative to the source checkout this module lives in; ``../shared/data``
        relative to the working directory. None when none of them exists.
    """
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get(_ENV_VAR)
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    candidates = [here.parents[3] / "shared" / "data"] if len(here.parents) > 3 else []
    candidates.append(Path.cwd().resolve().parent / "shared" / "data")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return None


def _require_dir(data_dir: Optional[PathLike], sub: str) -> Path:
    root = find_data_dir(data_dir)
    if root is None:
        raise FileNotFoundError(
            f"no data folder found: pass data_dir or set ${_ENV_VAR} "
            "(expected ../shared/data next to the project)"
        )
    path = root / sub
    if not path.is_dir():
        raise FileNotFoundError(f"{path} does not exist")
    return path


# --------------------------------------------------------------------------
# KEEL parser
# --------------------------------------------------------------------------
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
    root = _require_dir(data_dir, "keel")
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
    folder = _require_dir(data_dir, "keel") / name
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
        The shared data folder; see :func:`find_data_dir`.
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


# --------------------------------------------------------------------------
# imbalanced-learn benchmark (.npz)
# --------------------------------------------------------------------------
def imblearn_names(data_dir: Optional[PathLike] = None) -> list[str]:
    """Names of the ``.npz`` sets under ``<data>/imblearn-benchmark``, sorted."""
    root = _require_dir(data_dir, "imblearn-benchmark")
    return sorted(p.stem for p in root.glob("*.npz"))


def load_imblearn(name: str, data_dir: Optional[PathLike] = None) -> tuple[np.ndarray, np.ndarray]:
    """Load one imbalanced-learn benchmark set.

    Parameters
    ----------
    name : str
        File stem, e.g. ``"ecoli"``.
    data_dir : path, optional
        The shared data folder; see :func:`find_data_dir`.

    Returns
    -------
    X : ndarray (n, d) float64
    y : ndarray (n,) int64
        1 for the minority (stored as +1), 0 for the majority (stored as -1).
    """
    path = _require_dir(data_dir, "imblearn-benchmark") / f"{name}.npz"
    if not path.is_file():
        raise FileNotFoundError(f"no imblearn benchmark set {name!r} ({path})")
    with np.load(path) as z:
        X = np.asarray(z["data"], dtype=np.float64)
        y = (np.asarray(z["label"]) == 1).astype(np.int64)
    return X, y


def imblearn_folds(
    name: str,
    data_dir: Optional[PathLike] = None,
    *,
    n_splits: int = 5,
    random_state: int = 0,
) -> Iterator[Split]:
    """Stratified k-fold splits of an imbalanced-learn benchmark set.

    Parameters
    ----------
    name : str
        File stem, e.g. ``"ecoli"``.
    data_dir : path, optional
        The shared data folder.
    n_splits : int
        Number of folds.
    random_state : int
        Seed of the shuffle before splitting.

    Yields
    ------
    Split
    """
    from sklearn.model_selection import StratifiedKFold

    X, y = load_imblearn(name, data_dir)
    names = [f"x{j}" for j in range(X.shape[1])]
    cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    for i, (tr, te) in enumerate(cv.split(X, y)):
        yield Split(X[tr], y[tr], X[te], y[te], name, i, names)


# --------------------------------------------------------------------------
# The paper's synthetic and Breast Cancer set-ups
# --------------------------------------------------------------------------
def _subsample_minority_and_split(
    X: np.ndarray,
    y: np.ndarray,
    n_minority: int,
    test_size: float,
    rng: np.random.Generator,
    name: str,
    fold: int,
    feature_names: Sequence[str],
) -> Split:
    from sklearn.model_selection import train_test_split

    minority = np.flatnonzero(y == 1)
    if n_minority > minority.size:
        raise ValueError(f"asked for {n_minority} minority samples, only {minority.size} exist")
    keep = np.concatenate([np.flatnonzero(y == 0), rng.choice(minority, n_minority, replace=False)])
    X_tr, X_te, y_tr, y_te = train_test_split(
        X[keep], y[keep], test_size=test_size, stratify=y[keep],
        random_state=int(rng.integers(2**31 - 1)),
    )
    return Split(X_tr, y_tr.astype(np.int64), X_te, y_te.astype(np.int64), name, fold, list(feature_names))


def make_moon(
    random_state: int = 0,
    *,
    n_samples: int = 3000,
    noise: float = MOON_NOISE,
    ir: float = 3.0,
    test_size: float = 0.2,
) -> Split:
    """The paper's imbalanced Moon data (§6.2.1).

    ``make_moons`` draws ``n_samples`` points, half per moon; class B (the
    minority, label 1) is reduced at random until majority:minority = ``ir``,
    then a stratified ``test_size`` split is taken. With the defaults:
    1500:500 in all, train 1200:400, test 300:100, as in the paper.

    Parameters
    ----------
    random_state : int
        Seeds the moons, the removal and the split (one trial each).
    n_samples : int
        Points drawn before the minority is reduced.
    noise : float
        Standard deviation of the Gaussian noise added by ``make_moons``. The
        paper does not give it; the default :data:`MOON_NOISE` = 0.3 makes the
        moons overlap.
    ir : float
        Majority:minority ratio after the reduction.
    test_size : float
        Fraction of the (stratified) test part.

    Returns
    -------
    Split
    """
    from sklearn.datasets import make_moons

    rng = np.random.default_rng(random_state)
    X, y = make_moons(n_samples=n_samples, noise=noise, random_state=int(rng.integers(2**31 - 1)))
    n_min = int(round(np.sum(y == 0) / ir))
    return _subsample_minority_and_split(
        X.astype(np.float64), y.astype(np.int64), n_min, test_size, rng, "moon", random_state, ["x0", "x1"]
    )


def make_breast_cancer(
    ir: float = 3.0,
    random_state: int = 0,
    *,
    n_minority: Optional[int] = None,
    test_size: float = 0.2,
) -> Split:
    """The paper's imbalanced Breast Cancer data (§6.3, Table 2).

    scikit-learn's Wisconsin diagnostic set has 357 benign and 212 malignant
    tumours; malignant is the minority (label 1). Malignant records are
    removed at random to reach 357:``n_minority`` (``ir=3`` gives the paper's
    357:120, ``ir=7`` its 357:50), then a stratified ``test_size`` split is
    taken.

    Parameters
    ----------
    ir : float
        Majority:minority ratio; ``n_minority = round(357 / ir)`` unless given
        (3 -> 119 would differ from the paper, so 3 and 7 map to 120 and 50).
    random_state : int
        Seeds the removal and the split (one trial each).
    n_minority : int, optional
        Exact number of malignant records to keep.
    test_size : float
        Fraction of the (stratified) test part.

    Returns
    -------
    Split
    """
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer()
    X = np.asarray(bunch.data, dtype=np.float64)
    y = (bunch.target == 0).astype(np.int64)  # target 0 = malignant = minority
    if n_minority is None:
        n_minority = {3.0: 120, 7.0: 50}.get(float(ir), int(round(np.sum(y == 0) / ir)))
    name = f"breast_cancer_ir{ir:g}"
    return _subsample_minority_and_split(
        X, y, n_minority, test_size, np.random.default_rng(random_state), name, random_state,
        list(bunch.feature_names),
    )
