"""Entropy-based active learning: find the informative set S (paper 2.3, Alg. 2 l. 1-2).

A classifier is trained on a random stratified initial batch; the rest of the
data (the pool) is scored and the ``query_size`` pool samples with the highest
entropy (eq. 4) *at or above the threshold* are queried: their labels join the
training set, the classifier is retrained, and the loop repeats until no pool
sample reaches the threshold or ``max_rounds`` rounds have run. The queried
samples are S; the initial random batch is not part of it.
"""
from __future__ import annotations

import contextlib
import logging
import math
import signal
import threading
import warnings
from dataclasses import dataclass, fields
from numbers import Integral, Real
from typing import Any, Callable, Mapping, Optional, Union

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, RealNotInt, validate_parameter_constraints
from threadpoolctl import threadpool_limits

from .scoring import EstimatorScorer, MlpExporter, OnnxScorer, default_mlp, entropy, is_onnx_source

__all__ = ["ActiveLearning", "resolve_settings", "find_informative", "InformativeSet"]

logger = logging.getLogger(__name__)

Size = Union[int, float]


@dataclass(frozen=True)
class ActiveLearning:
    """Settings of the entropy active learning (``SIMPOR(informative=...)``).

    A plain dict with any subset of these keys works too.

    The default MLP's stage costs about 0.3-0.7 s on data of 500-5000 rows
    (two shared cores): five rounds of a few hundred 32-row Adam steps
    dominate; skl2onnx converts the network once and later rounds only swap
    its weights into the same graph, BLAS runs single-threaded for those
    steps, and onnxruntime uses at most the cores that exist. None of this
    changes S: the same ``random_state`` gives the same S bytes for any
    ``n_jobs``. ``bench/informative_cost.py`` compares the stage with the ascent.

    Parameters
    ----------
    initial_size : int or float, default=100
        Random stratified initial batch: a count, or a fraction of the rows
        when a float in (0, 1). At least one sample per class is taken.
    query_size : int or float, default=100
        Samples queried per round (count, or fraction of the rows): the
        highest-entropy pool samples at or above ``threshold``.
    threshold : float, default=0.7
        Entropy threshold in [0, 1] (entropy normalised by log of the number of
        classes, paper eq. 4); the loop stops when no pool sample reaches it.
    max_rounds : int, default=5
        Maximum query rounds.
    refit_epochs : int or None, default=10
        Default MLP only. Rounds after the first continue training the
        previous network (warm start) for this many epochs on the grown
        labelled set instead of training a new one from scratch; ``None``
        retrains from scratch every round, as the paper does (slower).
        These epochs are most of the stage's time (mini-batches of 32 rows
        cost Python overhead, not arithmetic), yet fewer is not a free
        default: on six imbalanced-learn benchmark sets and a synthetic
        1000 x 30 set (3 seeds each, one run, a loaded 2-core machine),
        ``refit_epochs=5`` cut the stage by about 20 % and ``3`` by about
        30 %, while S overlapped the S of 10 epochs by a Jaccard index of
        only 0.31-0.90 (per-set means; two seeds: 0.03-0.16). Minority F1 of an
        MLPClassifier on a held-out half moved by at most 0.035 either way,
        about as much as it moves without S at all (``informative=None``).
    mlp_params : dict or None, default=None
        ``MLPClassifier`` keyword arguments overriding the paper's Table 1
        settings of the default scorer (``hidden_layer_sizes=(100, 100, 100)``,
        ``activation="relu"``, ``solver="adam"``, ``learning_rate_init=0.01``,
        ``batch_size=32``, ``max_iter=200``). ``random_state`` is always drawn
        from the sampler's generator.
    batch_size : int, default=65536
        Rows per scoring call (onnxruntime ``run`` or ``predict_proba``).
    """

    initial_size: Size = 100
    query_size: Size = 100
    threshold: float = 0.7
    max_rounds: int = 5
    refit_epochs: Optional[int] = 10
    mlp_params: Optional[dict] = None
    batch_size: int = 65536

    def __post_init__(self) -> None:
        validate_parameter_constraints(_CONSTRAINTS, {f.name: getattr(self, f.name) for f in fields(self)},
                                       caller_name="ActiveLearning")


_SIZE = [Interval(Integral, 1, None, closed="left"), Interval(RealNotInt, 0, 1, closed="neither")]
_CONSTRAINTS = {
    "initial_size": _SIZE,
    "query_size": _SIZE,
    "threshold": [Interval(Real, 0, 1, closed="both")],
    "max_rounds": [Interval(Integral, 0, None, closed="left")],
    "refit_epochs": [None, Interval(Integral, 1, None, closed="left")],
    "mlp_params": [None, dict],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
}


def _count(size: Size, n: int) -> int:
    if isinstance(size, Integral):
        return int(min(size, n))
    return int(min(n, max(1, math.ceil(float(size) * n))))


def resolve_settings(informative: Any) -> Optional[ActiveLearning]:
    """``"auto"`` -> defaults, ``None`` -> None, a dict or ActiveLearning -> validated settings."""
    if informative is None:
        return None
    if isinstance(informative, str):
        if informative == "auto":
            return ActiveLearning()
        raise ValueError(f"informative must be 'auto', None, a dict or an ActiveLearning, got {informative!r}")
    if isinstance(informative, ActiveLearning):
        return ActiveLearning(**{f.name: getattr(informative, f.name) for f in fields(ActiveLearning)})
    if isinstance(informative, Mapping):
        known = {f.name for f in fields(ActiveLearning)}
        unknown = sorted(set(informative) - known)
        if unknown:
            raise ValueError(f"unknown informative setting(s) {unknown}; valid keys are {sorted(known)}")
        return ActiveLearning(**dict(informative))
    raise ValueError(f"informative must be 'auto', None, a dict or an ActiveLearning, got {informative!r}")


@dataclass(frozen=True)
class InformativeSet:
    """Result of :func:`find_informative`.

    Attributes
    ----------
    indices : ndarray int64, sorted
        Rows of S.
    n_rounds : int
        Query rounds that ran (scored the pool).
    """

    indices: np.ndarray
    n_rounds: int


def _stratified_initial(codes: np.ndarray, n_init: int, n_classes: int, rng: np.random.Generator) -> np.ndarray:
    """About ``n_init`` rows, per class in proportion, at least one of each class."""
    n = codes.size
    picks = []
    for c in range(n_classes):
        members = np.flatnonzero(codes == c)
        quota = min(members.size, max(1, int(round(n_init * members.size / n))))
        picks.append(members[rng.permutation(members.size)[:quota]])
    return np.sort(np.concatenate(picks))


@contextlib.contextmanager
def _ctrl_c_kept():
    """scikit-learn's MLP catches KeyboardInterrupt and returns a half-trained
    model (with a warning); a Ctrl-C during a fit is remembered here and
    raised once the fit has returned, so the run stops as the user asked."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only
        return
    hits = []

    def handler(signum, frame):
        hits.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if hits:
        raise KeyboardInterrupt


class _Learner:
    """Trains the scoring model on the labelled rows and scores the pool."""

    def __init__(self, scorer: Any, settings: ActiveLearning, X_model: np.ndarray, X_user: np.ndarray,
                 codes: np.ndarray, rng: np.random.Generator, n_threads: Optional[int]):
        self.settings, self.codes, self.n_threads = settings, codes, n_threads
        self.fixed = is_onnx_source(scorer)
        self.kind = "mlp" if isinstance(scorer, str) and scorer == "mlp" else ("onnx" if self.fixed else "estimator")
        # The default MLP sees standardised features; user scorers see the caller's units.
        self.X = X_model if self.kind == "mlp" else X_user
        self.model = None
        self._cached: Optional[np.ndarray] = None
        if self.fixed:
            self.scorer = OnnxScorer(scorer, X_user.shape[1], batch_size=settings.batch_size, n_threads=n_threads)
        else:
            self.template, self.seed = scorer, int(rng.integers(2**31 - 1))
        if self.kind == "mlp":
            self.export = MlpExporter(X_model.shape[1], batch_size=settings.batch_size, n_threads=n_threads)

    def train(self, labelled: np.ndarray) -> None:
        if self.fixed:
            return
        X, y, s = self.X[labelled], self.codes[labelled], self.settings
        # Mini-batches of 32 rows: BLAS threads only add hand-offs (and contend
        # with anything else on the cores); one thread also makes the weights
        # independent of the machine's core count.
        blas = threadpool_limits(1, user_api="blas") if self.kind == "mlp" else contextlib.nullcontext()
        with warnings.catch_warnings(), blas, _ctrl_c_kept():
            warnings.filterwarnings("ignore", category=ConvergenceWarning)
            if self.kind == "mlp":
                if self.model is None or s.refit_epochs is None:
                    model = default_mlp(s.mlp_params, self.seed)
                    if isinstance(model.batch_size, Integral) and model.batch_size > X.shape[0]:
                        model.set_params(batch_size=X.shape[0])  # a tiny labelled set: one batch
                    self.model = model.fit(X, y)
                else:
                    for _ in range(s.refit_epochs):
                        self.model.partial_fit(X, y)
                self.scorer = self.export(self.model)
            else:
                model = clone(self.template)
                if "random_state" in model.get_params() and model.get_params()["random_state"] is None:
                    model.set_params(random_state=self.seed)
                self.model = model.fit(X, y)
                self.scorer = EstimatorScorer(self.model, batch_size=s.batch_size)

    def entropy(self, rows: np.ndarray) -> np.ndarray:
        if self.fixed:  # the model never changes: score every row once
            if self._cached is None:
                self._cached = entropy(self.scorer.predict_proba(self.X))
            return self._cached[rows]
        return entropy(self.scorer.predict_proba(self.X[rows]))


def find_informative(
    X_model: np.ndarray,
    X_user: np.ndarray,
    codes: np.ndarray,
    n_classes: int,
    settings: ActiveLearning,
    scorer: Any,
    rng: np.random.Generator,
    n_threads: Optional[int] = None,
    progress: Callable[[int], Any] = lambda rounds: None,
) -> InformativeSet:
    """Run the active-learning loop and return S.

    Parameters
    ----------
    X_model : ndarray (n, d')
        Standardised features (what the default MLP trains on).
    X_user : ndarray (n, d)
        Features in the caller's units (what a user scorer sees).
    codes : ndarray (n,) int
        Class codes 0..n_classes-1.
    n_classes : int
    settings : ActiveLearning
    scorer : "mlp", ONNX source or estimator with fit/predict_proba
        An ONNX model is pre-trained and fixed: it scores every row, no
        initial batch is drawn and nothing is retrained; each round takes the
        next ``query_size`` rows by entropy.
    rng : numpy Generator
        Draws the initial batch and the scorer's seed.
    n_threads : int, optional
        onnxruntime threads.
    progress : callable
        Called with 1 after each round that scored the pool.
    """
    n = codes.size
    learner = _Learner(scorer, settings, X_model, X_user, codes, rng, n_threads)
    if learner.fixed:
        labelled = np.empty(0, dtype=np.int64)
    else:
        labelled = _stratified_initial(codes, _count(settings.initial_size, n), n_classes, rng)
    in_pool = np.ones(n, dtype=bool)
    in_pool[labelled] = False
    q = _count(settings.query_size, n)
    queried: list[np.ndarray] = []
    n_rounds = 0
    for round_ in range(settings.max_rounds):
        pool = np.flatnonzero(in_pool)
        if pool.size == 0:
            break
        learner.train(labelled)
        ent = learner.entropy(pool)
        n_rounds += 1
        progress(1)
        order = np.argsort(-ent, kind="stable")
        order = order[ent[order] >= settings.threshold]
        logger.info("active learning round %d: %d labelled, %d of %d pool samples with entropy >= %.3g",
                    round_ + 1, labelled.size, order.size, pool.size, settings.threshold)
        if order.size == 0:
            break
        new = pool[order[:q]]
        queried.append(new)
        in_pool[new] = False
        labelled = np.concatenate([labelled, new])
    S = np.sort(np.concatenate(queried)) if queried else np.empty(0, dtype=np.int64)
    return InformativeSet(indices=S.astype(np.int64), n_rounds=n_rounds)
