"""The paper's imbalanced Moon data (§6.2.1), used by ``simpor-ext demo``.

The benchmark's other data sets (KEEL, the imbalanced-learn collection,
Breast Cancer) and their loaders live in the repository's ``bench/``, not in
the package.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

__all__ = ["MOON_NOISE", "Split", "imbalanced_split", "make_moon"]

#: ``noise`` passed to :func:`sklearn.datasets.make_moons` by :func:`make_moon`.
#: The paper does not state it; 0.3 makes the two moons overlap near the
#: decision boundary. (The authors' code uses 0.33.)
MOON_NOISE = 0.3


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


def imbalanced_split(
    X: np.ndarray,
    y: np.ndarray,
    n_minority: int,
    test_size: float,
    rng: np.random.Generator,
    name: str,
    fold: int,
    feature_names: Sequence[str],
) -> Split:
    """Keep every class-0 row and ``n_minority`` random class-1 rows, then take
    a stratified ``test_size`` split (the paper's way of imposing an IR).

    Parameters
    ----------
    X, y : ndarray
        Features and 0/1 labels.
    n_minority : int
        Class-1 rows to keep.
    test_size : float
        Fraction of the test part.
    rng : numpy.random.Generator
        Draws the kept rows and the split's seed.
    name, fold, feature_names
        Stored in the returned :class:`Split`.

    Returns
    -------
    Split
    """
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
    return imbalanced_split(X.astype(np.float64), y.astype(np.int64), n_min, test_size, rng, "moon",
                            random_state, ["x0", "x1"])
