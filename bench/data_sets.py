"""Where the benchmark's real data live, the imbalanced-learn benchmark (.npz)
loaders, and the paper's Breast Cancer set-up (§6.3).

Every loader returns the minority ("positive") class as label ``1`` and the
majority class as label ``0``, with float64 features. The KEEL loaders are in
``keel.py``; the paper's Moon set-up is ``simpor_ext.moon.make_moon`` (the
demo uses it too). Nothing here downloads anything.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Iterator, Optional, Union

import numpy as np

from simpor_ext.moon import Split, imbalanced_split

PathLike = Union[str, "os.PathLike[str]"]

ENV_VAR = "SIMPOR_DATA_DIR"

#: ``../shared/data`` beside the repository this bench/ folder belongs to.
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"


def data_set_parser(doc: str, default: tuple[str, ...]) -> argparse.ArgumentParser:
    """A bench script's parser (its docstring's first line) with ``--datasets`` and ``--json``."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--datasets", nargs="+", default=list(default), help="imbalanced-learn benchmark sets")
    p.add_argument("--json", help="write the rows as JSON")
    return p


def find_data_dir(data_dir: Optional[PathLike] = None) -> Path:
    """The folder holding ``keel/`` and ``imblearn-benchmark/``.

    Parameters
    ----------
    data_dir : path, optional
        Used as is when given.

    Returns
    -------
    Path
        ``data_dir``, else ``$SIMPOR_DATA_DIR``, else :data:`DEFAULT_DATA_DIR`;
        returned whether or not it exists, so that callers' errors name it.
    """
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else DEFAULT_DATA_DIR


def require_dir(data_dir: Optional[PathLike], sub: str) -> Path:
    """``find_data_dir(data_dir) / sub``, or FileNotFoundError naming it and how to point elsewhere."""
    path = find_data_dir(data_dir) / sub
    if not path.is_dir():
        raise FileNotFoundError(f"{path} does not exist (pass --data-dir or set ${ENV_VAR})")
    return path


# --------------------------------------------------------------------------
# imbalanced-learn benchmark (.npz)
# --------------------------------------------------------------------------
def imblearn_names(data_dir: Optional[PathLike] = None) -> list[str]:
    """Names of the ``.npz`` sets under ``<data>/imblearn-benchmark``, sorted."""
    root = require_dir(data_dir, "imblearn-benchmark")
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
    path = require_dir(data_dir, "imblearn-benchmark") / f"{name}.npz"
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
# The paper's Breast Cancer set-up
# --------------------------------------------------------------------------
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
    return imbalanced_split(X, y, n_minority, test_size, np.random.default_rng(random_state), name,
                            random_state, list(bunch.feature_names))
