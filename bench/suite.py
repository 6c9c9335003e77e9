"""The data sets of the quality benchmark and how each one is split per trial.

* ``moon`` and ``breast_cancer_ir3`` / ``breast_cancer_ir7``: the paper's
  set-ups (§6.2, §6.3); trial t draws a fresh data set and 80/20 split with
  seed t.
* ``moon_noise0.2`` and ``moon_noise0.25``: Moon with less noise than the
  0.3 of ``moon`` (source ``variant``: reported beside Moon, left out of the
  statistics across data sets, which count each problem once).
* the KEEL sets: trial t is the provided fold ``t mod n_folds`` (5 folds,
  4 for abalone9-18).
* the imbalanced-learn benchmark sets: trial t is fold ``t mod 5`` of a
  stratified, shuffled 5-fold CV (shuffle seed ``t // 5``).

So ``--trials 5`` is exactly one 5-fold cross-validation on the real data and
five random 80/20 splits on the paper's sets: five train/test evaluations per
data set, as in the paper's §6.1.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import data_sets as D
import keel
from evaluation import TABLE1, MLPConfig
from simpor_ext.moon import MOON_NOISE, Split, make_moon

PAPER_SETS = ("moon", "breast_cancer_ir3", "breast_cancer_ir7")
#: The ``make_moons`` noise of each Moon data set.
MOON_NOISES: dict[str, float] = {"moon": MOON_NOISE, "moon_noise0.2": 0.2, "moon_noise0.25": 0.25}
SOURCES = ("paper", "variant", "keel", "imblearn")
GROUPS = (*SOURCES, "all")


@dataclass(frozen=True)
class DatasetSpec:
    """A data set of the benchmark.

    Attributes
    ----------
    name : str
    source : {"paper", "variant", "keel", "imblearn"}
    config : MLPConfig
        The Table 1 column its classifier uses.
    n_folds : int
        Distinct splits before trials repeat a fold (0: every trial is new).
    load : callable
        ``load(trial) -> simpor_ext.moon.Split``.
    """

    name: str
    source: str
    config: MLPConfig
    n_folds: int
    load: Callable[[int], Split]

    def split(self, trial: int) -> Split:
        return self.load(trial)

    def fold_of(self, trial: int) -> int:
        return trial % self.n_folds if self.n_folds else trial


def _keel_loader(name: str, data_dir: Path) -> tuple[int, Callable[[int], Split]]:
    pairs = keel.keel_fold_paths(name, data_dir)

    def load(trial: int) -> Split:
        k = trial % len(pairs)
        tra, tst = (keel.read_keel(p) for p in pairs[k])
        return Split(tra.X, tra.y, tst.X, tst.y, name, k, list(tra.feature_names))

    return len(pairs), load


def _imblearn_loader(name: str, data_dir: Path) -> Callable[[int], Split]:
    def load(trial: int) -> Split:
        folds = list(D.imblearn_folds(name, data_dir, n_splits=5, random_state=trial // 5))
        return folds[trial % 5]

    return load


def _moon_spec(name: str) -> DatasetSpec:
    noise = MOON_NOISES[name]
    return DatasetSpec(name, "paper" if name == "moon" else "variant", TABLE1["moon"], 0,
                       lambda t: make_moon(random_state=t, noise=noise))


def catalogue(data_dir: Optional[Path]) -> dict[str, DatasetSpec]:
    """Every data set available: the paper's three and the Moon variants always, KEEL and
    imblearn when found under :func:`data_sets.find_data_dir`.

    KEEL and imblearn sets use Table 1's Breast Cancer column (3 x 50 ReLU,
    150 epochs, batch 32): Table 1 only covers Moon, Breast Cancer and Credit
    Card, and these sets (100 to 20,000 rows) are all far smaller than Credit
    Card's 284,807.
    """
    specs: dict[str, DatasetSpec] = {
        "moon": _moon_spec("moon"),
        "breast_cancer_ir3": DatasetSpec("breast_cancer_ir3", "paper", TABLE1["breast_cancer"], 0,
                                         lambda t: D.make_breast_cancer(3, random_state=t)),
        "breast_cancer_ir7": DatasetSpec("breast_cancer_ir7", "paper", TABLE1["breast_cancer"], 0,
                                         lambda t: D.make_breast_cancer(7, random_state=t)),
    }
    specs.update((name, _moon_spec(name)) for name in MOON_NOISES if name != "moon")
    root = D.find_data_dir(data_dir)
    tabular = TABLE1["breast_cancer"]
    if (root / "keel").is_dir():
        for name in keel.keel_names(root):
            n_folds, load = _keel_loader(name, root)
            specs[name] = DatasetSpec(name, "keel", tabular, n_folds, load)
    if (root / "imblearn-benchmark").is_dir():
        for name in D.imblearn_names(root):
            key = name if name not in specs else f"imblearn:{name}"
            specs[key] = DatasetSpec(key, "imblearn", tabular, 5, _imblearn_loader(name, root))
    return specs


def select(requested: list[str], specs: dict[str, DatasetSpec]) -> list[DatasetSpec]:
    """Resolve names and group names (paper, variant, keel, imblearn, all) to specs, in order."""
    chosen: list[DatasetSpec] = []
    for item in requested:
        if item == "all":
            names = list(specs)
        elif item in SOURCES:
            names = [n for n, s in specs.items() if s.source == item]
            if not names:
                raise SystemExit(f"no {item} data sets found (is the data folder there? see --data-dir)")
        elif item in specs:
            names = [item]
        else:
            raise SystemExit(f"unknown data set {item!r}; known: {', '.join(specs)} or {', '.join(GROUPS)}")
        chosen.extend(specs[n] for n in names if specs[n] not in chosen)
    return chosen
