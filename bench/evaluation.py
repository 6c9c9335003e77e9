"""Resample one train/test split with every method, train the paper's MLP, score it.

The protocol (paper §6.1, issue 5):

* features are standardised with statistics of the training fold only; the
  test fold is transformed with them and never reaches a sampler;
* each method resamples the standardised training fold (``none`` leaves it
  as is); k-NN samplers get ``k = min(default, n_minority - 1)`` so tiny
  minority classes do not crash them;
* the classifier is the paper's Table 1 MLP (three ReLU hidden layers, Adam,
  learning rate 0.01) as scikit-learn's MLPClassifier, with early stopping on
  a 10 % validation split of the (resampled) training data;
* every method on a split shares the split, the scaler and the MLP seed, so
  differences between methods are paired.

A sampler that raises (ADASYN when no minority sample has a majority
neighbour, for instance) is recorded with its error and scored on the
unresampled data (``fallback: true``), so every method has a score on every
split and the report can count the fallbacks.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import asdict, dataclass
from typing import Any, Callable, Optional, Sequence

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import confusion_matrix, f1_score, precision_score, recall_score, roc_auc_score
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

METHODS: tuple[str, ...] = ("simpor", "smote", "borderline_smote", "adasyn", "ros", "none",
                            "simpor_no_al", "simpor_no_ascent")
#: SIMPOR with one stage switched off: what each stage contributes.
ABLATIONS: dict[str, dict] = {
    "simpor_no_al": {"informative": None},  # every minority row a seed, no active learning
    "simpor_no_ascent": {"max_iter": 0},    # rows stay where they were drawn on the sphere
}
LABELS: dict[str, str] = {
    "simpor": "SIMPOR",
    "smote": "SMOTE",
    "borderline_smote": "BorderlineSMOTE",
    "adasyn": "ADASYN",
    "ros": "ROS",
    "none": "None",
    "simpor_no_al": "SIMPOR w/o AL",
    "simpor_no_ascent": "SIMPOR w/o ascent",
}
METRICS: tuple[str, ...] = ("f1", "auc", "precision", "recall")


@dataclass(frozen=True)
class MLPConfig:
    """One column of the paper's Table 1 (three hidden layers, ReLU, Adam, lr 0.01)."""

    name: str
    neurons: int
    epochs: int
    batch_size: int


TABLE1: dict[str, MLPConfig] = {
    "moon": MLPConfig("moon", 100, 200, 32),
    "breast_cancer": MLPConfig("breast_cancer", 50, 150, 32),
    "credit_card": MLPConfig("credit_card", 200, 200, 64),
}


# --------------------------------------------------------------------------
# Samplers and classifier
# --------------------------------------------------------------------------
def make_sampler(method: str, n_minority: int, random_state: int, simpor_params: Optional[dict] = None) -> Any:
    """The sampler of ``method`` for a training fold with ``n_minority`` minority rows.

    Returns None for ``"none"``. SIMPOR is imported lazily so the imbalanced-
    learn baselines run without the compiled package.
    """
    k = max(1, min(5, n_minority - 1))  # imbalanced-learn's default is 5
    if method == "none":
        return None
    if method == "ros":
        from imblearn.over_sampling import RandomOverSampler

        return RandomOverSampler(random_state=random_state)
    if method == "smote":
        from imblearn.over_sampling import SMOTE

        return SMOTE(k_neighbors=k, random_state=random_state)
    if method == "borderline_smote":
        from imblearn.over_sampling import BorderlineSMOTE

        return BorderlineSMOTE(k_neighbors=k, random_state=random_state)
    if method == "adasyn":
        from imblearn.over_sampling import ADASYN

        return ADASYN(n_neighbors=k, random_state=random_state)
    if method == "simpor" or method in ABLATIONS:
        from simpor_ext import SIMPOR

        params = {**(simpor_params or {}), **ABLATIONS.get(method, {})}
        return SIMPOR(random_state=random_state, **params)
    raise ValueError(f"unknown method {method!r}; choose from {METHODS}")


def make_classifier(config: MLPConfig, random_state: int, max_epochs: Optional[int] = None) -> MLPClassifier:
    """The Table 1 MLP; ``max_epochs`` caps the column's epoch count (uniformly)."""
    epochs = config.epochs if max_epochs is None else min(config.epochs, max_epochs)
    return MLPClassifier(
        hidden_layer_sizes=(config.neurons,) * 3,
        activation="relu",
        solver="adam",
        learning_rate_init=0.01,
        batch_size=config.batch_size,
        max_iter=epochs,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        random_state=random_state,
    )


def score(y_true: np.ndarray, y_pred: np.ndarray, proba_pos: np.ndarray) -> dict:
    """Macro F1 / precision / recall, ROC AUC of P(y=1), and the confusion counts."""
    tn, fp, fn, tp = confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()
    try:
        auc = float(roc_auc_score(y_true, proba_pos))
    except ValueError:  # a test fold with one class only
        auc = float("nan")
    return {
        "f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "auc": auc,
        "precision": float(precision_score(y_true, y_pred, average="macro", zero_division=0)),
        "recall": float(recall_score(y_true, y_pred, average="macro", zero_division=0)),
        "f1_positive": float(f1_score(y_true, y_pred, pos_label=1, zero_division=0)),
        "tp": int(tp), "fp": int(fp), "fn": int(fn), "tn": int(tn),
    }


# --------------------------------------------------------------------------
# One split, every method
# --------------------------------------------------------------------------
@dataclass
class MethodRun:
    """What one method did on one split (kept only when asked, for figures)."""

    method: str
    X_train: np.ndarray  # resampled, standardised
    y_train: np.ndarray
    n_original: int      # the first n_original rows are the real training rows
    classifier: Optional[MLPClassifier]
    scaler: StandardScaler
    record: dict


def run_method(
    method: str,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    config: MLPConfig,
    seed: int,
    *,
    max_epochs: Optional[int] = None,
    simpor_params: Optional[dict] = None,
    scaler: Optional[StandardScaler] = None,
) -> MethodRun:
    """Standardise, resample with ``method``, train the MLP, score on the test fold."""
    scaler = scaler or StandardScaler().fit(X_train)
    Z_train, Z_test = scaler.transform(X_train), scaler.transform(X_test)
    n_min = int(np.bincount(y_train, minlength=2).min())
    record: dict = {"method": method, "error": None, "fallback": False}
    Z_res, y_res = Z_train, y_train
    t0 = time.perf_counter()
    try:
        sampler = make_sampler(method, n_min, seed, simpor_params)
        if sampler is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                Z_res, y_res = sampler.fit_resample(Z_train, y_train)
            Z_res, y_res = np.asarray(Z_res, dtype=np.float64), np.asarray(y_res, dtype=np.int64)
    except (ValueError, RuntimeError) as exc:  # scored on the raw data instead
        record.update(error=f"{type(exc).__name__}: {exc}", fallback=True)
        Z_res, y_res = Z_train, y_train
    record["resample_s"] = time.perf_counter() - t0
    counts = np.bincount(y_res, minlength=2)
    record.update(n_train=int(len(y_train)), n_resampled=int(len(y_res)),
                  n_synthetic=int(len(y_res) - len(y_train)),
                  n_class0=int(counts[0]), n_class1=int(counts[1]))

    clf = fit_and_score(record, Z_res, y_res, Z_test, y_test, config, seed, max_epochs)
    record["epochs"] = int(clf.n_iter_)
    return MethodRun(method, Z_res, y_res, len(y_train), clf, scaler, record)


def fit_and_score(record: dict, Z_res: np.ndarray, y_res: np.ndarray, Z_test: np.ndarray, y_test: np.ndarray,
                  config: MLPConfig, seed: int, max_epochs: Optional[int]) -> MLPClassifier:
    """Trains the MLP on a resampled fold; adds its fit time and test scores to ``record``."""
    clf = make_classifier(config, seed, max_epochs)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)  # batch_size clipped on tiny folds
        _fit_single_threaded(clf, Z_res, y_res)
    record["fit_s"] = time.perf_counter() - t0
    proba = clf.predict_proba(Z_test)[:, list(clf.classes_).index(1)] if 1 in clf.classes_ else np.zeros(len(y_test))
    record.update(score(y_test, clf.predict(Z_test), proba))
    return clf


def _fit_single_threaded(clf: MLPClassifier, X: np.ndarray, y: np.ndarray) -> None:
    # The MLP's matrices are small: BLAS threads only add overhead, and with
    # several workers they oversubscribe the cores.
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        clf.fit(X, y)
        return
    with threadpool_limits(limits=1, user_api="blas"):
        clf.fit(X, y)


def evaluate_split(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    methods: Sequence[str],
    config: MLPConfig,
    seed: int,
    *,
    max_epochs: Optional[int] = None,
    simpor_params: Optional[dict] = None,
    keep: bool = False,
    on_record: Optional[Callable[[dict], None]] = None,
) -> list:
    """Run every method on one split; returns records (or :class:`MethodRun` when ``keep``)."""
    scaler = StandardScaler().fit(X_train)  # training fold only
    out = []
    for method in methods:
        run = run_method(method, X_train, y_train, X_test, y_test, config, seed,
                         max_epochs=max_epochs, simpor_params=simpor_params, scaler=scaler)
        if on_record is not None:
            on_record(run.record)
        out.append(run if keep else run.record)
    return out


def config_dict(config: MLPConfig) -> dict:
    return asdict(config)
