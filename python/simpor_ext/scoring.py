"""Class-probability scorers for the active learning, and the entropy (eq. 4).

Three kinds of scorer produce ``P(y = c_i | x)`` for the pool:

* the default MLP (paper Table 1), exported with skl2onnx once and run through
  an ``onnxruntime.InferenceSession`` in batches; later rounds only put the
  retrained weights into the same graph (:class:`MlpExporter`);
* a user ONNX model (a path, serialised bytes, an ``onnx.ModelProto`` or an
  ``InferenceSession``), run the same way;
* any estimator with ``predict_proba``, called in batches.

Scoring always runs on the CPU execution provider: entropies decide which
samples are informative, and a GPU provider's different rounding could tip a
sample across the threshold, breaking "same seed, same output on CPU and CUDA".
"""
from __future__ import annotations

import os
import warnings
from typing import Any, Optional

import numpy as np
from sklearn.utils._param_validation import Options

__all__ = ["entropy", "OnnxScorer", "OnnxPath", "EstimatorScorer", "is_onnx_source", "default_mlp", "MlpExporter",
           "session_threads"]

#: Paper Table 1 ("Moon") and section 6.1: 3 hidden ReLU layers of 100, softmax
#: output, Adam with learning rate 0.01, batch 32, early stop on a flat loss.
TABLE1_MLP = dict(
    hidden_layer_sizes=(100, 100, 100),
    activation="relu",
    solver="adam",
    learning_rate_init=0.01,
    batch_size=32,
    max_iter=200,
)

_PROBA_NAMES = ("probabilities", "output_probability", "probability", "proba", "probs")
_ONNX_DTYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64}


def entropy(proba: np.ndarray) -> np.ndarray:
    """Prediction entropy with log base = number of classes (the paper's equation 4).

    Parameters
    ----------
    proba : array (n, k), k >= 2
        Class probabilities, one row per sample.

    Returns
    -------
    ndarray (n,) float64
        In [0, 1]: 0 for a certain prediction, 1 for a uniform one.
    """
    p = np.asarray(proba, dtype=np.float64)
    k = p.shape[1]
    if k < 2:
        raise ValueError(f"entropy needs probabilities for >= 2 classes, got shape {p.shape}")
    p = np.clip(p, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p), 0.0)
    return np.clip(-terms.sum(axis=1) / np.log(k), 0.0, 1.0)


def _check_proba(p: np.ndarray, source: str) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] < 2:
        raise ValueError(f"{source} must return probabilities of shape (n, n_classes >= 2), got shape {p.shape}")
    if not np.all(np.isfinite(p)) or p.min() < -1e-6 or p.max() > 1 + 1e-6 or (
        p.shape[0] and np.max(np.abs(p.sum(axis=1) - 1.0)) > 1e-3
    ):
        raise ValueError(
            f"{source} does not return class probabilities (each row must lie in [0, 1] and sum to 1); "
            "export the model with its probability output (e.g. softmax, not logits)"
        )
    return p


def is_onnx_source(scorer: Any) -> bool:
    """True for what :class:`OnnxScorer` accepts (the string "mlp" excluded)."""
    if isinstance(scorer, (bytes, os.PathLike)) or (isinstance(scorer, str) and scorer != "mlp"):
        return True
    if hasattr(scorer, "SerializeToString"):  # onnx.ModelProto
        return True
    return hasattr(scorer, "run") and hasattr(scorer, "get_inputs")


def session_threads(n_threads: Optional[int]) -> int:
    """onnxruntime intra-op threads: ``n_threads``, never more than the cores
    joblib sees (CPU affinity and cgroup quotas included). None: the physical
    cores, as onnxruntime's own default (0) does, but within that limit, which
    onnxruntime's default ignores in a container with a CPU quota."""
    from joblib import cpu_count

    cores = cpu_count()
    if n_threads is None:
        return max(1, min(cpu_count(only_physical_cores=True), cores))
    return max(1, min(int(n_threads), cores))


def _session_options(n_threads: Optional[int]):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = session_threads(n_threads)
    opts.inter_op_num_threads = 1
    # Spinning workers keep a core busy after each run(); between rounds the
    # MLP trains on the calling thread, and other processes share the cores.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
    opts.log_severity_level = 3
    return opts


class OnnxScorer:
    """``predict_proba`` over an onnxruntime session, in batches.

    Parameters
    ----------
    source : str, os.PathLike, bytes, onnx.ModelProto or onnxruntime.InferenceSession
        The model: one input of shape (n, n_features), float or double, and a
        probability output (a (n, k) tensor or skl2onnx's ZipMap sequence).
    n_features : int
        Columns the model must accept.
    batch_size : int
        Rows per ``session.run``.
    n_threads : int, optional
        onnxruntime intra-op threads when this class builds the session.
    """

    def __init__(self, source: Any, n_features: int, *, batch_size: int = 65536, n_threads: Optional[int] = None):
        self.session = self._load(source, n_threads)
        self.batch_size = int(batch_size)
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            names = [i.name for i in inputs]
            raise ValueError(f"the ONNX scorer must have exactly one input (the feature matrix); it has {names}")
        self.input_name = inputs[0].name
        if inputs[0].type not in _ONNX_DTYPES:
            raise ValueError(
                f"the ONNX scorer's input {self.input_name!r} must be tensor(float) or tensor(double), "
                f"got {inputs[0].type}"
            )
        self.input_dtype = _ONNX_DTYPES[inputs[0].type]
        shape = list(inputs[0].shape or [])
        if len(shape) == 2 and isinstance(shape[1], int) and shape[1] != n_features:
            raise ValueError(
                f"the ONNX scorer expects {shape[1]} features (input shape {shape}) but X has {n_features}"
            )
        self.output_name = self._probability_output()

    @staticmethod
    def _load(source: Any, n_threads: Optional[int]):
        if hasattr(source, "run") and hasattr(source, "get_inputs"):
            return source  # a ready InferenceSession, used as it is
        import onnxruntime as ort

        if hasattr(source, "SerializeToString"):  # onnx.ModelProto
            source = source.SerializeToString()
        elif isinstance(source, (str, os.PathLike)):
            path = os.fspath(source)
            if not os.path.isfile(path):
                raise ValueError(f"scorer must be 'mlp', an .onnx file, an InferenceSession or an estimator "
                                 f"with predict_proba; no file at {path!r}")
            source = path
        return ort.InferenceSession(source, sess_options=_session_options(n_threads),
                                    providers=["CPUExecutionProvider"])

    def _probability_output(self) -> str:
        outputs = self.session.get_outputs()
        for out in outputs:
            if out.name.lower() in _PROBA_NAMES:
                return out.name
        for out in outputs:
            if out.type.startswith("seq(map(") or (out.type in _ONNX_DTYPES and len(out.shape or []) == 2):
                return out.name
        raise ValueError(
            "the ONNX scorer has no probability output (a float tensor of shape (n, n_classes)); outputs: "
            + ", ".join(f"{o.name}: {o.type} {o.shape}" for o in outputs)
        )

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        parts = []
        for start in range(0, X.shape[0], self.batch_size):
            batch = np.ascontiguousarray(X[start:start + self.batch_size], dtype=self.input_dtype)
            (out,) = self.session.run([self.output_name], {self.input_name: batch})
            if isinstance(out, list):  # ZipMap: one {class: probability} dict per row
                keys = list(out[0].keys()) if out else []
                out = np.array([[row[k] for k in keys] for row in out], dtype=np.float64).reshape(len(out), -1)
            parts.append(np.asarray(out, dtype=np.float64))
        if not parts:
            return np.empty((0, 2))
        return _check_proba(np.concatenate(parts), f"the ONNX scorer's output {self.output_name!r}")


class EstimatorScorer:
    """``predict_proba`` of a fitted estimator, in batches."""

    def __init__(self, estimator: Any, *, batch_size: int = 65536):
        self.estimator = estimator
        self.batch_size = int(batch_size)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        parts = [self.estimator.predict_proba(X[s:s + self.batch_size]) for s in range(0, X.shape[0], self.batch_size)]
        name = type(self.estimator).__name__
        if not parts:
            return np.empty((0, 2))
        return _check_proba(np.concatenate([np.asarray(p) for p in parts]), f"{name}.predict_proba")


def default_mlp(params: Optional[dict], seed: int):
    """A fresh MLPClassifier with the Table 1 settings, ``params`` overriding them."""
    from sklearn.neural_network import MLPClassifier

    kwargs = dict(TABLE1_MLP)
    kwargs.update(params or {})
    kwargs["random_state"] = seed
    return MLPClassifier(**kwargs)


def _mlp_to_onnx(mlp, n_features: int):
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skl2onnx's opset/version chatter
        return to_onnx(mlp, initial_types=[("X", FloatTensorType([None, n_features]))],
                       options={id(mlp): {"zipmap": False}})


def _weight_slots(model, mlp) -> Optional[list]:
    """Which initializer of skl2onnx's graph holds which weight array of ``mlp``:
    ``[(initializer index, its shape), ...]`` in ``coefs_ + intercepts_``
    order, or None when an array matches no initializer or several. Found by
    value, not by name, so that a change in skl2onnx's naming or layout makes
    the exporter convert every round instead of putting a weight in the wrong place."""
    from onnx import numpy_helper

    stored = [numpy_helper.to_array(t) for t in model.graph.initializer]
    slots = []
    for w in list(mlp.coefs_) + list(mlp.intercepts_):
        w32 = np.asarray(w, dtype=np.float32)
        hits = [i for i, a in enumerate(stored)
                if a.dtype == np.float32 and np.squeeze(a).shape == np.squeeze(w32).shape  # intercepts: (1, n)
                and np.array_equal(a.ravel(), w32.ravel())]
        if len(hits) != 1:
            return None
        slots.append((hits[0], stored[hits[0]].shape))
    return slots if len({i for i, _ in slots}) == len(slots) else None


class MlpExporter:
    """Scorers for successive fits of one MLP architecture (the rounds of the
    active learning).

    skl2onnx converts the first network (tens of ms each time, and the same
    graph every round); later calls copy the new ``coefs_``/``intercepts_``
    (cast to float32, as skl2onnx does) into that graph's initializers and
    open a new session. A network whose layer shapes or classes differ is
    converted afresh.
    """

    def __init__(self, n_features: int, *, batch_size: int, n_threads: Optional[int]):
        self.n_features, self.batch_size, self.n_threads = n_features, batch_size, n_threads
        self._model = self._slots = self._layout = None

    @staticmethod
    def _layout_of(mlp) -> tuple:
        return (tuple(w.shape for w in mlp.coefs_), tuple(np.asarray(mlp.classes_).tolist()))

    def __call__(self, mlp) -> OnnxScorer:
        from onnx import numpy_helper

        if self._slots is None or self._layout_of(mlp) != self._layout:
            self._model = _mlp_to_onnx(mlp, self.n_features)
            self._slots, self._layout = _weight_slots(self._model, mlp), self._layout_of(mlp)
        else:
            inits = self._model.graph.initializer
            for (i, shape), w in zip(self._slots, list(mlp.coefs_) + list(mlp.intercepts_)):
                inits[i].CopyFrom(numpy_helper.from_array(np.asarray(w, np.float32).reshape(shape), inits[i].name))
        return OnnxScorer(self._model, self.n_features, batch_size=self.batch_size, n_threads=self.n_threads)


class OnnxPath(Options):
    """A str or os.PathLike naming an ``.onnx`` file (a constraint of ``SIMPOR(scorer=...)``).

    scikit-learn's validation only takes its own constraint classes, hence a
    subclass of ``Options`` (an open set of values, not a finite one).
    """

    def __init__(self) -> None:
        super().__init__(str, set())

    def is_satisfied_by(self, val: Any) -> bool:
        return isinstance(val, (str, os.PathLike)) and os.fspath(val).lower().endswith(".onnx")

    def __str__(self) -> str:
        return "a path to an .onnx file"
