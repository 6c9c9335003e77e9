"""SIMPOR: the imbalanced-learn over-sampler and :func:`balance` (paper Algorithm 2)."""
from __future__ import annotations

import logging
import math
from numbers import Integral, Real
from typing import Any

import numpy as np
from imblearn.over_sampling.base import BaseOverSampler
from sklearn.utils._param_validation import HasMethods, Interval, InvalidParameterError, StrOptions
from tqdm.auto import tqdm

from ._backends import DEVICES, KDE_TOL, get_backend, n_threads_for
from ._columns import frame_columns, with_synthetic_rows
from .bandwidth import BANDWIDTH_RULES, Standardizer, resolve_bandwidth
from .informative import ActiveLearning, find_informative, resolve_settings
from .kernels import CONTRASTS, STEP_RULES
from .scoring import OnnxPath
from .distributed import CHUNK_ROWS, ClusterAscent, materialise, resolve_client
from .synthesis import ascend_locally, grow_class, neighbour_radii

__all__ = ["SIMPOR", "balance"]

logger = logging.getLogger(__name__)

def _generator(random_state: Any) -> np.random.Generator:
    """The single Generator every random draw of a fit comes from."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    return np.random.default_rng(random_state)


def _label(value: Any) -> str:
    """A class label as the user wrote it (``0``, not ``np.int64(0)``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


class SIMPOR(BaseOverSampler):
    """Synthetic Information towards Maximum Posterior Ratio (Nguyen & Chang).

    Finds the informative samples S with entropy-based active learning, then
    grows every class the sampling strategy asks for: each synthetic row lies
    on a sphere around a real sample of the class (radius ``r ~ U(0, R)``,
    eq. 13-15) at a local maximum of the KDE posterior ratio between the class
    and its contrast set (eq. 12), found by the native Algorithm 1
    (:func:`simpor_ext.kernels.ascend`). S is balanced first, then the rest of
    the class (Algorithm 2). Original rows come first, synthetic rows after.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
        As in imbalanced-learn: which classes to grow and to what counts.
        Each class reaches its target count exactly.
    k_neighbors : int or NearestNeighbors-like object, default=10
        Neighbours for the sphere radius bound R (eq. 14): R = mean distance
        of a sample to its k nearest neighbours of the same class. An int is
        reduced to ``n_class - 1`` for small classes; an object (with
        ``kneighbors``) is cloned and used as given, its ``n_neighbors``
        counting the sample itself as in imbalanced-learn. A class of one
        sample falls back to its nearest neighbours of any class.
    bandwidth : {"scott", "silverman"} or float, default="scott"
        Gaussian KDE width h, shared by the class and its contrast set. The
        KDE, R and the ascent work on features standardised to zero mean and
        unit variance (constant columns are left out and copied unchanged),
        so h is in standard deviations: Scott ``n ** (-1/(d+4))``, Silverman
        ``(n (d+2) / 4) ** (-1/(d+4))`` with n rows and d non-constant
        features, or the float given. Synthetic rows are returned in the
        caller's units.
    max_iter : int, default=300
        Maximum ascent trials per synthetic row (Algorithm 1).
    step : float, default=0.1
        Rotation angle in radians: the first trial angle (``"newton"``,
        ``"adaptive"``; ``"hessian"`` where its model has no maximum) or
        every rotation (``"fixed"``, the paper's rule).
    tol : float or None, default=None
        Convergence tolerance in the step rule's units (None: the rule's
        default). ``"newton"``, ``"hessian"`` (so ``"auto"``): the slope of
        log f along the steepest great circle on the sphere, ``r |tangential
        gradient|``, in nats per radian, whatever circle the rule searches
        (default 1e-4: a row is then a local maximum to within about 1e-6
        nats for any rotation of 1e-2 rad). ``"adaptive"``: the
        smallest angle tried, in radians, <= ``step`` (default 1e-3).
    step_rule : {"auto", "hessian", "newton", "adaptive", "fixed"}, default="auto"
        Search along the sphere of :func:`simpor_ext.kernels.ascend`:
        ``"newton"``, quasi-Newton (L-BFGS) steps on the sphere from the
        gradients the trials evaluate, each great circle searched by a
        safeguarded 1-D search (the GPU's rule); ``"hessian"`` (CPU), the
        same search on the circle of Newton's step on the sphere, from the
        Hessian of log f (fewer trials again where it is cheap: about half
        of newton's on 64 and 100 features);
        ``"auto"``, per row, hessian where the Hessian at its start point is
        exact (every point within 8 nats of the top weight, at most 256 per
        class) or cheap (n >= 2048 d), else newton (always newton on the GPU);
        ``"adaptive"``, the rule of earlier versions (grow the angle after
        an accepted trial, halve it after a rejected one); ``"fixed"``, the
        paper's constant rotation.
    kde_tol : float, default=1e-3
        Most the returned ``log_ratio_`` may differ from the exact log f at
        the returned rows, in nats. Above 0 the CPU ascent evaluates each
        trial only on the data points near its seed and certifies, at every
        trial, that the points it left out cannot move log f by more (a seed
        whose check fails runs again on a wider set, then on all the data);
        0 evaluates every trial on all the data. The GPU always evaluates on
        all the data. See ``pair_fraction_``.
    informative : "auto", dict, ActiveLearning or None, default="auto"
        Active-learning settings (:class:`simpor_ext.informative.ActiveLearning`;
        a dict of its fields also works): initial batch (100), query batch
        (100), entropy threshold (0.7), maximum rounds (5), warm-start epochs
        of the default MLP (10), MLP overrides, scoring batch. ``"auto"``
        uses the defaults; ``None`` skips active learning: S is empty and
        every sample of a class is a seed.
    scorer : "mlp", path, bytes, onnx.ModelProto, InferenceSession or estimator, default="mlp"
        The active-learning classifier. ``"mlp"``: scikit-learn's
        MLPClassifier with the paper's Table 1 settings, trained on the
        standardised features, exported with skl2onnx and scored with
        onnxruntime. An ONNX model (``.onnx`` path, serialised bytes,
        ``onnx.ModelProto`` or ``InferenceSession``) is a pre-trained, fixed
        scorer of the features in the caller's units: S is the
        highest-entropy rows at or above the threshold. Pass a path rather
        than a session where the sampler must be cloned (GridSearchCV): a
        session cannot be copied. Any estimator with ``fit`` and
        ``predict_proba`` is cloned and trained in the loop on the
        caller's units (wrap a fitted one in
        ``sklearn.frozen.FrozenEstimator`` to keep it fixed).
    contrast : {"rest", "majority"}, default="rest"
        Denominator of the posterior ratio: every other class, or only the
        most frequent other class (the paper's binary setting).
    device : {"auto", "cpu", "cuda"}, default="auto"
        Where the ascent runs. ``"cuda"`` without a usable GPU raises
        RuntimeError; ``"auto"`` falls back to the CPU with a UserWarning.
    n_jobs : int or None, default=None
        CPU threads for the ascent, neighbour search and onnxruntime
        (None or -1: all cores). The output does not depend on it.
    random_state : int, RandomState, Generator or None, default=None
        Seeds the one ``numpy.random.Generator`` every random draw comes
        from (initial batch, MLP seed, seeds, radii, directions): the same
        int gives the same bytes for any ``n_jobs``.
    verbose : bool, default=False
        Show a tqdm progress bar over the synthetic rows.
    client : None, "auto" or distributed.Client, default=None
        Where the ascent runs. None: this process. A ``distributed.Client``
        (or ``"auto"``: ``distributed.get_client()``): the ascent of each
        class is cut into chunks of a size fixed by ``device`` and run as
        tasks on the cluster's workers, each on its own backend
        (``device="cuda"`` raises on a worker without a GPU); everything
        else, and every random draw, stays here, so the output has the same
        bytes as ``client=None`` for any number of workers. Needs
        ``pip install "simpor_ext[dask]"``. ``clone`` shares the client;
        pickling stores ``client=None`` in its place (a live Client cannot
        be pickled, and the result does not depend on it).

    Attributes
    ----------
    sampling_strategy_ : dict
        Class -> number of synthetic rows.
    bandwidth_ : float
        The KDE bandwidth used, in standardised units.
    informative_indices_ : ndarray of int
        Sorted row indices of S (empty when ``informative=None``).
    n_rounds_ : int
        Active-learning rounds that ran.
    sample_origin_ : ndarray of int, shape (n_synthetic,)
        For each synthetic row (in output order), the index of the input row
        it was grown from.
    radii_ : ndarray of float, shape (n_synthetic,)
        Sphere radius r of each synthetic row, in standardised units.
    log_ratio_ : ndarray of float, shape (n_synthetic,)
        log of the posterior ratio (eq. 12) at each synthetic row.
    n_iter_ : ndarray of int, shape (n_synthetic,)
        Ascent trials per synthetic row.
    converged_ : ndarray of bool, shape (n_synthetic,)
        Whether the ascent met its stopping test before ``max_iter``.
    converged_fraction_ : float
        Mean of ``converged_`` (1.0 when nothing was generated).
    pair_fraction_ : float
        (trial point, data point) pairs the ascent evaluated, local
        selections included, over the pairs the same trials cost on all the
        data (1.0 with ``kde_tol=0`` or on the GPU, when nothing was generated).
    center_, scale_ : ndarray of float, shape (n_features,)
        The standardisation ``(x - center_) / scale_`` of the KDE space
        (``scale_`` is 1 for constant features).
    device_ : str
        The backend that ran the ascent ("cpu" or "cuda"; on a cluster, the
        workers' backends joined by commas, e.g. "cpu,cuda").
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X has string column names.

    Notes
    -----
    Algorithm 2 for any sampling strategy: with M the majority class and T_c
    the target count of class c, seeds from S ∩ c first grow c inside S to
    ``ceil(|S ∩ M| T_c / N_M)`` (for "auto", ``|S ∩ M|``: S balanced); seeds
    from c \\ S (or S ∩ c when c lies wholly in S) then bring c to T_c. Each
    group of seeds is used evenly (every seed ``m // n`` or ``m // n + 1``
    times). Synthetic rows come class by class in ``sampling_strategy_``
    order, S-seeded rows first. The KDEs use the original rows only, so no
    synthetic row depends on another.

    Integer and boolean inputs keep their dtype: synthetic values are
    rounded to the nearest integer (imbalanced-learn truncates). Sparse input
    is not supported: the KDE streams dense rows.

    References
    ----------
    H. Nguyen and M. Chang, "Synthetic Information towards Maximum Posterior
    Ratio for deep learning on Imbalanced Data (SIMPOR)".
    """

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "k_neighbors": [Interval(Integral, 1, None, closed="left"),
                        HasMethods(["kneighbors", "kneighbors_graph"])],
        "bandwidth": [StrOptions(set(BANDWIDTH_RULES)), Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "step": [Interval(Real, 0, math.pi / 2, closed="right")],
        "tol": [None, Interval(Real, 0, None, closed="neither")],
        "step_rule": [StrOptions(set(STEP_RULES))],
        "kde_tol": [Interval(Real, 0, None, closed="left")],
        "informative": [StrOptions({"auto"}), dict, ActiveLearning, None],
        "scorer": [StrOptions({"mlp"}), OnnxPath(), bytes, HasMethods(["SerializeToString"]),
                   HasMethods(["run", "get_inputs"]), HasMethods(["fit", "predict_proba"])],
        "contrast": [StrOptions(set(CONTRASTS))],
        "device": [StrOptions(set(DEVICES))],
        "n_jobs": [None, Interval(Integral, None, -1, closed="right"), Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state", np.random.Generator],
        "verbose": ["verbose"],
        "client": [None, StrOptions({"auto"}), HasMethods(["submit", "scatter", "gather"])],
    }

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        k_neighbors=10,
        bandwidth="scott",
        max_iter=300,
        step=0.1,
        tol=None,
        step_rule="auto",
        kde_tol=KDE_TOL,
        informative="auto",
        scorer="mlp",
        contrast="rest",
        device="auto",
        n_jobs=None,
        random_state=None,
        verbose=False,
        client=None,
    ):
        super().__init__(sampling_strategy=sampling_strategy)
        self.k_neighbors = k_neighbors
        self.bandwidth = bandwidth
        self.max_iter = max_iter
        self.step = step
        self.tol = tol
        self.step_rule = step_rule
        self.kde_tol = kde_tol
        self.informative = informative
        self.scorer = scorer
        self.contrast = contrast
        self.device = device
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.client = client

    def __sklearn_clone__(self):
        # A Client is a handle to a cluster, not data: a clone shares it (it cannot be deep-copied).
        client, self.client = self.client, None
        try:
            new = super().__sklearn_clone__()
        finally:
            self.client = client
        new.client = client
        return new

    def __getstate__(self):
        state = super().__getstate__()
        if not (state.get("client") is None or isinstance(state["client"], str)):
            state = {**state, "client": None}  # see the client parameter: same bytes without it
        return state

    def _more_tags(self):  # scikit-learn < 1.6
        return {"X_types": ["2darray", "dataframe"]}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags

    def _check_X_y(self, X, y, accept_sparse=None):
        # scikit-learn's finiteness check sums X first: finite float32 near its limit
        # overflows that sum (a RuntimeWarning) before the exact check passes it.
        with np.errstate(over="ignore", invalid="ignore"):
            return super()._check_X_y(X, y, accept_sparse=False)

    def fit_resample(self, X, y, **params):
        """Resample the dataset.

        Parameters
        ----------
        X : {array-like, dataframe} of shape (n_samples, n_features)
            Numeric data; pandas DataFrames come back as DataFrames with the
            same columns and dtypes.
        y : array-like of shape (n_samples,)
            Class labels: integers, strings, booleans, or floats that are
            whole numbers (scikit-learn's classification targets).

        Returns
        -------
        X_resampled : {ndarray, dataframe} of shape (n_samples_new, n_features)
            The input rows, then the synthetic rows.
        y_resampled : {ndarray, series} of shape (n_samples_new,)

        Raises
        ------
        ValueError
            Before any work, for non-numeric DataFrame columns (named),
            NaN or infinite values, labels that are not classes, or bad
            parameters.
        """
        X, y = materialise(X, "X"), materialise(y, "y")
        self._frame = frame_columns(X)
        try:
            X_res, y_res = super().fit_resample(X, y, **params)
            # imbalanced-learn re-wraps the frame built in _fit_resample; return that one.
            return (X_res if self._frame is None else self._frame.result), y_res
        finally:
            del self._frame

    def _validate_params(self):
        """scikit-learn's checks of ``_parameter_constraints``, then the rules
        that tie two parameters together or look inside ``informative``."""
        super()._validate_params()
        if self.step_rule == "adaptive" and self.tol is not None and self.tol > self.step:
            raise InvalidParameterError(f"The 'tol' parameter of SIMPOR must be <= step ({self.step!r}). "
                                        f"Got {self.tol!r} instead.")
        if not math.isfinite(self.kde_tol):
            raise InvalidParameterError(f"The 'kde_tol' parameter of SIMPOR must be finite. "
                                        f"Got {self.kde_tol!r} instead.")
        resolve_settings(self.informative)

    # ------------------------------------------------------------------
    def _fit_resample(self, X, y):
        settings = resolve_settings(self.informative)
        n_threads = n_threads_for(self.n_jobs)
        client = resolve_client(self.client)
        # On a cluster each worker resolves the requested device itself.
        backend = get_backend(self.device, n_threads, warn_fallback=True) if client is None else None
        if backend is not None and backend.name == "cuda" and self.step_rule == "hessian":
            raise ValueError("step_rule='hessian' runs on the CPU only; with device='cuda' use 'newton' or 'auto'")
        run_chunks = ascend_locally if client is None else ClusterAscent(client, n_threads)
        rng = _generator(self.random_state)

        # One memory layout, so column sums (and so every later bit) do not depend on it.
        X = np.ascontiguousarray(X)
        n = X.shape[0]
        labels, codes = np.unique(y, return_inverse=True)
        counts = np.bincount(codes, minlength=labels.size)
        std = Standardizer.fit(X)
        Z = std.transform(X, np.float32 if X.dtype == np.float32 else np.float64)
        self.center_, self.scale_ = std.center, std.scale
        self.bandwidth_ = resolve_bandwidth(self.bandwidth, n, Z.shape[1])
        logger.info("SIMPOR: %d rows, %d of %d features vary, bandwidth %.4g (standardised units)",
                    n, Z.shape[1], X.shape[1], self.bandwidth_)

        plan = [(int(np.searchsorted(labels, c)), int(m)) for c, m in self.sampling_strategy_.items() if m > 0]
        # R (eq. 14) first: a k_neighbors error surfaces before the active learning runs.
        radius = {code: self._radii(Z, codes, code) for code, _ in plan}
        for code, n_new in plan:
            if counts[code] > 1 and Z.shape[1] and not np.ptp(Z[codes == code], axis=0).any():
                logger.warning("class %s: its %d rows are identical, so its %d synthetic rows are exact "
                               "copies of them", _label(labels[code]), counts[code], n_new)
        if settings is None or Z.shape[1] == 0:
            S, self.n_rounds_ = np.empty(0, dtype=np.int64), 0
        else:
            found = find_informative(Z, X, codes, labels.size, settings, self.scorer, rng, n_threads)
            S, self.n_rounds_ = found.indices, found.n_rounds
        self.informative_indices_ = S
        in_S = np.zeros(n, dtype=bool)
        in_S[S] = True

        total = sum(m for _, m in plan)
        ascent = dict(max_iter=self.max_iter, step=float(self.step), tol=self.tol, step_rule=self.step_rule,
                      kde_tol=float(self.kde_tol),
                      device=backend or self.device)
        chunk = backend.batch_size if backend is not None else CHUNK_ROWS[self.device]
        parts = []
        with tqdm(total=total, disable=not self.verbose, desc="SIMPOR", unit="sample") as bar:
            for code, n_new in plan:
                parts.append(grow_class(Z, codes, counts, code, n_new, radius[code], in_S, rng, self.contrast,
                                        self.bandwidth_, dict(ascent=ascent, chunk=chunk, progress=bar.update,
                                                              run_chunks=run_chunks)))
        self.device_ = backend.name if backend is not None else ",".join(sorted(run_chunks.backends)) or self.device

        self._store(parts)
        seeds = self.sample_origin_
        rows = std.inverse(np.concatenate([p["points"] for p in parts]), X[seeds]) if parts \
            else np.empty((0, X.shape[1]))
        # Constant columns, and whole rows grown on a sphere of radius 0, are their
        # seed's values: copied in the caller's dtype, not round-tripped through float64.
        copied = np.logical_or.outer(self.radii_ == 0, ~std.varying)
        y_new = np.concatenate([np.full(p["seeds"].size, labels[p["code"]], dtype=y.dtype) for p in parts]) \
            if parts else y[:0]
        return with_synthetic_rows(X, rows, seeds, copied, getattr(self, "_frame", None)), np.concatenate([y, y_new])

    def _radii(self, Z, codes, code) -> np.ndarray:
        members = codes == code
        if Z.shape[1] == 0:  # no feature varies: every sphere is a point
            return np.zeros(np.count_nonzero(members))
        return neighbour_radii(Z[members], Z, self.k_neighbors, self.n_jobs)

    def _store(self, parts: list) -> None:
        def cat(key, dtype):
            return np.concatenate([p[key] for p in parts]).astype(dtype) if parts else np.empty(0, dtype)

        self.sample_origin_ = cat("seeds", np.int64)
        self.radii_ = cat("radii", np.float64)
        self.log_ratio_ = cat("log_ratio", np.float64)
        self.n_iter_ = cat("n_iter", np.int32)
        self.converged_ = cat("converged", bool)
        self.converged_fraction_ = float(self.converged_.mean()) if self.converged_.size else 1.0
        dense = sum(int(p["dense_pairs"].sum()) for p in parts)
        self.pair_fraction_ = sum(int(p["pairs"].sum()) for p in parts) / dense if dense else 1.0


def balance(X, y, **params):
    """Balance ``(X, y)`` with SIMPOR in one call.

    ``balance(X, y, **params)`` is ``SIMPOR(**params).fit_resample(X, y)``.

    Parameters
    ----------
    X : {array-like, dataframe} of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    **params
        Any :class:`SIMPOR` parameter.

    Returns
    -------
    X_resampled, y_resampled
        Original rows first, synthetic rows appended; same container types
        as the inputs.
    """
    return SIMPOR(**params).fit_resample(X, y)
