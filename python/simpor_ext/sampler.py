"""SIMPOR: the imbalanced-learn over-sampler and :func:`balance` (paper Algorithm 2)."""
from __future__ import annotations

import logging
import math
import threading
from numbers import Integral, Real
from typing import Any

import numpy as np
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.utils import check_sampling_strategy, check_target_type
from sklearn.preprocessing import label_binarize
from sklearn.utils._param_validation import HasMethods, Interval, InvalidParameterError, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_consistent_length
from sklearn_compat.base import _fit_context
from tqdm.auto import tqdm

from ._backends import DEVICES, KDE_TOL, AscentSpec, get_backend, n_threads_for
from ._containers import _missing_cells, labels_like, labels_of
from ._features import read_features
from .bandwidth import BANDWIDTH_RULES, Standardizer, resolve_bandwidth
from .informative import ActiveLearning, find_informative, resolve_settings
from .kernels import CONTRASTS, STEP_RULES
from .scoring import OnnxPath
from .distributed import CHUNK_ROWS, ClusterAscent, materialise, resolve_client
from .categories import CATEGORICAL_RULES, SMOOTHING_RULES, log_weights, one_hot, resolve_smoothing
from .synthesis import Categorical, ascend_locally, grow_class, neighbour_radii

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

    On mixed data the class densities are product kernels (a Gaussian kernel
    on the numeric columns times Aitchison and Aitken's kernel per
    categorical column; the user guide's page on numeric and categorical
    columns has the details): a synthetic row's
    categories are chosen among the values its seed's class holds near it
    (``categorical_rule``), and the ascent then moves its numeric columns only.

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
        The first trial angle of the ascent, in radians (``"hessian"``: where
        its model has no maximum).
    tol : float or None, default=None
        Convergence tolerance in the step rule's units (None: the rule's
        default). ``"newton"``, ``"hessian"`` (so ``"auto"``): the slope of
        log f along the steepest great circle on the sphere, ``r |tangential
        gradient|``, in nats per radian, whatever circle the rule searches
        (default 1e-4: a row is then a local maximum to within about 1e-6
        nats for any rotation of 1e-2 rad).
    step_rule : {"auto", "hessian", "newton"}, default="auto"
        Search along the sphere of :func:`simpor_ext.kernels.ascend`:
        ``"newton"``, quasi-Newton (L-BFGS) steps on the sphere from the
        gradients the trials evaluate, each great circle searched by a
        safeguarded 1-D search (the GPU's rule); ``"hessian"`` (CPU), the
        same search on the circle of Newton's step on the sphere, from the
        Hessian of log f (fewer trials again where it is cheap: about half
        of newton's on 64 and 100 features);
        ``"auto"``, per row, hessian where the Hessian at its start point is
        exact (every point within 8 nats of the top weight, at most 256 per
        class) or cheap (n >= 2048 d), else newton (always newton on the GPU).
        Every rule accepts only trials that raise log f. (The paper's
        constant rotation and the rule of earlier versions are kept as
        benchmark baselines in ``bench/baselines.py``.)
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
        Where the ascent runs. ``"cuda"`` without a usable GPU (or with one
        that failed the backend's self-check) raises RuntimeError; ``"auto"``
        falls back to the CPU, logged once per process (a WARNING record on
        the ``simpor_ext`` logger).
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
    categorical_features : "auto", None, array-like of int, bool or str, default="auto"
        Which columns are categorical. ``"auto"``: category (pandas, polars,
        pyarrow dictionaries), text and boolean columns; numbers are numeric,
        so a NumPy numeric array is all numeric and an object array is read
        column by column; a column mixing numbers and text is an error naming
        its first text cell. Column indices, a boolean mask or column names
        (integer-coded categories must be named). None: every column numeric.
    categorical_bandwidth : "scott" or float in (0, 1], default="scott"
        Smoothing s of the categorical kernel: Aitchison and Aitken's
        ``lambda_j = s (c_j - 1) / c_j`` for a column of c_j categories (1:
        the column is ignored by the density; towards 0: only equal
        categories count). ``"scott"``: s = h^2 (at most 1), with h
        ``bandwidth_``, the rate the theory of mixed product kernels gives
        (bench/mixed_quality.py compares it with fixed s and with s chosen by
        likelihood cross-validation).
    categorical_rule : {"ratio", "frequent", "seed"}, default="ratio"
        The categories of a synthetic row. ``"ratio"``: among the values its
        seed and the seed's k nearest neighbours of its class hold (neighbours
        in the kernel's metric), those that maximise the posterior ratio at
        the row's start point on its sphere, by coordinate ascent from the
        seed's values; on data without numeric columns each row draws one of
        the k neighbours and chooses between its values and the seed's.
        ``"frequent"``: SMOTENC's rule, the most frequent value among the k
        neighbours (ties: the seed's, else the first category). ``"seed"``:
        the seed's values. Every rule only gives a row values its class holds.

    Attributes
    ----------
    sampling_strategy_ : dict
        Class -> number of synthetic rows.
    bandwidth_ : float
        The KDE bandwidth used, in standardised units.
    categorical_features_ : ndarray of int
        Positions of the categorical columns in X.
    category_log_weight_ : ndarray of float, shape (n_categorical,)
        Per categorical column, the log kernel weight of a differing category
        relative to an equal one (<= 0; 0 where the column has one category).
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
        log of the posterior ratio (eq. 12) at each synthetic row (of the
        mixed product-kernel densities where X has categorical columns),
        before integer columns are rounded.
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
    center_, scale_ : ndarray of float, shape (n_numeric,)
        The standardisation ``(x - center_) / scale_`` of the numeric columns
        in the KDE space (``scale_`` is 1 for constant features).
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

    Every column keeps its dtype: integer columns are rounded to the nearest
    integer (imbalanced-learn truncates) within the range they hold, and
    integers beyond 2**53 are standardised relative to their least value so
    that float64 keeps their spread; boolean columns declared numeric are
    ``x >= 0.5``; categorical columns keep their categories and their order.
    Sparse input is not supported: the KDE streams dense rows.

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
        "categorical_features": [StrOptions({"auto"}), None, "array-like"],
        "categorical_bandwidth": [StrOptions(set(SMOOTHING_RULES)), Interval(Real, 0, 1, closed="right")],
        "categorical_rule": [StrOptions(set(CATEGORICAL_RULES))],
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
        categorical_features="auto",
        categorical_bandwidth="scott",
        categorical_rule="ratio",
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
        self.categorical_features = categorical_features
        self.categorical_bandwidth = categorical_bandwidth
        self.categorical_rule = categorical_rule

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

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, **params):
        """Check the inputs and the sampling strategy; use :meth:`fit_resample` to resample.

        Returns
        -------
        self : SIMPOR
        """
        features, labels = _read_inputs(materialise(X, "X"), materialise(y, "y"), self.categorical_features)
        strategy = check_sampling_strategy(self.sampling_strategy, labels.values, self._sampling_type)
        self._publish(dict(sampling_strategy_=strategy, **_feature_attributes(features)))
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_resample(self, X, y, **params):
        """Resample the dataset.

        Parameters
        ----------
        X : {array-like, dataframe} of shape (n_samples, n_features)
            Numeric and categorical columns (``categorical_features``): a
            NumPy array (or list), or a pandas, polars or pyarrow
            DataFrame/Table, which comes back as the same kind of object
            with the same columns and dtypes.
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
            Before any work, naming the column and first row of a missing,
            infinite or non-numeric value, for labels that are not classes,
            or bad parameters.
        TypeError
            Before any work, for sparse input and containers that cannot be
            returned as the same kind.
        """
        X_res, y_res, fitted = self._fit_resample(materialise(X, "X"), materialise(y, "y"))
        self._publish(fitted)
        return X_res, y_res

    def _publish(self, fitted: dict) -> None:
        # A fit works on locals only and sets its attributes here, all at
        # once: concurrent fits of one instance never see each other's data.
        with _PUBLISH:
            for name, value in fitted.items():
                setattr(self, name, value)

    def _validate_params(self):
        """scikit-learn's checks of ``_parameter_constraints``, then the rules
        that look inside a value (``kde_tol``, ``informative``)."""
        super()._validate_params()
        if not math.isfinite(self.kde_tol):
            raise InvalidParameterError(f"The 'kde_tol' parameter of SIMPOR must be finite. "
                                        f"Got {self.kde_tol!r} instead.")
        resolve_settings(self.informative)

    # ------------------------------------------------------------------
    def _fit_resample(self, X, y):
        """The whole fit on locals: ``(X_resampled, y_resampled, fitted attributes)``."""
        features, labels = _read_inputs(X, y, self.categorical_features)
        strategy = check_sampling_strategy(self.sampling_strategy, labels.values, self._sampling_type)
        settings = resolve_settings(self.informative)
        n_threads = n_threads_for(self.n_jobs)
        client = resolve_client(self.client)
        # On a cluster each worker resolves the requested device itself.
        backend = get_backend(self.device, n_threads, warn_fallback=True) if client is None else None
        if backend is not None and backend.name == "cuda" and self.step_rule == "hessian":
            raise ValueError("step_rule='hessian' runs on the CPU only; with device='cuda' use 'newton' or 'auto'")
        run_chunks = ascend_locally if client is None else ClusterAscent(client, n_threads)
        rng = _generator(self.random_state)

        n, codes, counts = features.n_rows, labels.codes, labels.counts
        X64, offsets = features.float64_relative()
        std = Standardizer.fit(X64)
        Z = std.transform(X64, np.float32 if features.numeric.dtype == np.float32 else np.float64)
        bandwidth = resolve_bandwidth(self.bandwidth, n, Z.shape[1])
        categorical = self._categorical(features, bandwidth)
        logger.info("SIMPOR: %d rows, %d of %d numeric features vary, %d categorical, bandwidth %.4g "
                    "(standardised units)", n, Z.shape[1], features.numeric.shape[1], features.codes.shape[1],
                    bandwidth)

        plan = [(labels.code_of(c), int(m)) for c, m in strategy.items() if m > 0]
        # R (eq. 14) first: a k_neighbors error surfaces before the active learning runs.
        radius = {code: self._radii(Z, codes, code, labels.name(code)) for code, _ in plan}
        for code, n_new in plan:
            rows = np.hstack([Z[codes == code], features.codes[codes == code]])
            if counts[code] > 1 and rows.shape[1] and not np.ptp(rows, axis=0).any():
                logger.warning("class %s: its %d rows are identical, so its %d synthetic rows are exact "
                               "copies of them", labels.name(code), counts[code], n_new)
        total = sum(m for _, m in plan)
        with tqdm(total=0, disable=not self.verbose, desc="SIMPOR", unit="sample") as bar:
            S, n_rounds = self._informative(Z, features, categorical, codes, labels, settings, rng, n_threads, bar)
            in_S = np.zeros(n, dtype=bool)
            in_S[S] = True
            spec = AscentSpec(int(self.max_iter), float(self.step), None if self.tol is None else float(self.tol),
                              step_rule=self.step_rule, kde_tol=float(self.kde_tol))
            chunk = backend.batch_size if backend is not None else CHUNK_ROWS[self.device]
            bar.reset(total=total)
            bar.set_description("SIMPOR ascent")
            how = dict(spec=spec, backend=backend or self.device, chunk=chunk, progress=bar.update,
                       run_chunks=run_chunks)
            parts = [grow_class(Z, codes, counts, code, n_new, radius[code], in_S, rng, self.contrast, bandwidth,
                                how, label=labels.name(code), categorical=categorical, n_jobs=self.n_jobs)
                     for code, n_new in plan]
        device = backend.name if backend is not None else ",".join(sorted(run_chunks.backends)) or self.device

        fitted = _ascent_attributes(parts)
        seeds = fitted["sample_origin_"]
        rows = std.inverse(np.concatenate([p["points"] for p in parts]), X64[seeds]) if parts \
            else np.empty((0, X64.shape[1]))
        # Constant columns, and whole rows grown on a sphere of radius 0, are their
        # seed's values: copied in the caller's dtype, not round-tripped through float64.
        copied = np.logical_or.outer(fitted["radii_"] == 0, ~std.varying)
        if not np.isfinite(rows[~copied]).all():  # never hand back inf or NaN, whatever went wrong upstream
            bad = np.flatnonzero(~(np.isfinite(rows) | copied).all(axis=0))
            raise RuntimeError(f"SIMPOR computed non-finite synthetic values in feature column(s) {bad.tolist()}; "
                               "this is a bug: please report it with the data's shape and value ranges")
        new_codes = np.concatenate([p["codes"] for p in parts]) if parts else features.codes[:0]
        X_res = features.with_rows(rows, offsets, copied, seeds, new_codes)
        y_res = labels.resampled(np.concatenate([np.full(p["seeds"].size, p["code"]) for p in parts])
                                 if parts else np.empty(0, dtype=np.int64))
        fitted.update(sampling_strategy_=strategy, bandwidth_=bandwidth, categorical_features_=features.categorical_columns,
                      category_log_weight_=categorical.log_weight, informative_indices_=S,
                      n_rounds_=n_rounds, center_=std.center, scale_=std.scale, device_=device,
                      **_feature_attributes(features))
        return X_res, y_res, fitted

    def _informative(self, Z, features, categorical, codes, labels, settings, rng, n_threads,
                     bar) -> tuple[np.ndarray, int]:
        """S and the active-learning rounds that ran (paper Alg. 2 l. 1-2), advancing ``bar`` per round.

        The default MLP sees the standardised numeric columns and the
        categorical ones one-hot encoded; a user scorer sees the numeric
        columns in the caller's units, then the categorical ones as codes.
        """
        if settings is None:
            return np.empty(0, dtype=np.int64), 0
        X_model = np.hstack([Z, one_hot(categorical.codes, categorical.n_levels, np.ones(categorical.n_levels.size),
                                        Z.dtype.type)])
        if X_model.shape[1] == 0:
            return np.empty(0, dtype=np.int64), 0
        X_user = np.hstack([features.numeric, features.codes]) if features.codes.shape[1] else features.numeric
        bar.reset(total=settings.max_rounds)
        bar.set_description("SIMPOR active learning")
        found = find_informative(X_model, X_user, codes, labels.n_classes, settings, self.scorer, rng, n_threads,
                                 progress=bar.update)
        return found.indices, found.n_rounds

    def _categorical(self, features, bandwidth: float) -> Categorical:
        n_levels = np.array([lv.size for lv in features.levels], dtype=np.int64)
        smoothing = resolve_smoothing(self.categorical_bandwidth, bandwidth)
        k = self.k_neighbors if isinstance(self.k_neighbors, Integral) else self.k_neighbors.n_neighbors - 1
        return Categorical(features.codes, n_levels, log_weights(n_levels, smoothing), self.categorical_rule, int(k))

    def _radii(self, Z, codes, code, label: str) -> np.ndarray:
        members = codes == code
        if Z.shape[1] == 0:  # no feature varies: every sphere is a point
            return np.zeros(np.count_nonzero(members))
        return neighbour_radii(Z[members], Z, self.k_neighbors, self.n_jobs, label=label)


# Fitted attributes are set under this lock, all of one fit at once (SIMPOR._publish).
_PUBLISH = threading.Lock()


class _Labels:
    """The labels of one fit: classes, codes, counts, and the container to return them in."""

    def __init__(self, y, values: np.ndarray, binarized: bool):
        self.original, self.values, self.binarized = y, values, binarized
        self.classes, self.codes = np.unique(values, return_inverse=True)
        self.counts = np.bincount(self.codes, minlength=self.classes.size)

    @property
    def n_classes(self) -> int:
        return self.classes.size

    def code_of(self, label) -> int:
        return int(np.searchsorted(self.classes, label))

    def name(self, code: int) -> str:
        return _label(self.classes[code])

    def resampled(self, new_codes: np.ndarray):
        values = np.concatenate([self.values, self.classes[new_codes].astype(self.values.dtype)])
        if self.binarized:
            return label_binarize(values, classes=self.classes)
        return labels_like(self.original, values)


def _read_inputs(X, y, categorical_features) -> tuple:
    if y is None:
        raise ValueError("SIMPOR requires y to be passed, but the target y is None")
    features = read_features(X, categorical_features)
    values = labels_of(y)
    _refuse_missing_labels(values)
    check_classification_targets(values)
    values, binarized = check_target_type(values, indicate_one_vs_all=True)
    check_consistent_length(np.empty(features.n_rows), values)
    return features, _Labels(y, values, binarized)


def _refuse_missing_labels(values: np.ndarray) -> None:
    if values.dtype.kind in "OfU" and values.ndim == 1:
        missing = _missing_cells(values)
        if missing.any():
            raise ValueError(f"y has a missing label at row {int(np.argmax(missing))} ({int(missing.sum())} in "
                             "all): drop those rows or give them a class")


def _feature_attributes(features) -> dict:
    attributes = dict(n_features_in_=features.n_features)
    if features.feature_names is not None:
        attributes["feature_names_in_"] = features.feature_names
    return attributes


def _ascent_attributes(parts: list) -> dict:
    def cat(key, dtype):
        return np.concatenate([p[key] for p in parts]).astype(dtype) if parts else np.empty(0, dtype)

    converged = cat("converged", bool)
    dense = sum(int(p["dense_pairs"].sum()) for p in parts)
    return dict(sample_origin_=cat("seeds", np.int64), radii_=cat("radii", np.float64),
                log_ratio_=cat("log_ratio", np.float64), n_iter_=cat("n_iter", np.int32), converged_=converged,
                converged_fraction_=float(converged.mean()) if converged.size else 1.0,
                pair_fraction_=sum(int(p["pairs"].sum()) for p in parts) / dense if dense else 1.0)


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
