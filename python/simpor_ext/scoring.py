"""Class-probability scorers for the active learning, and the entropy (eq. 4).

Three kinds of scorer produce ``P(y = c_i | x)`` for the pool:

* the default MLP (paper Table 1), exported with skl2onnx after each round and
  run through an ``onnxruntime.InferenceSession`` in batches;
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

__all__ = ["entropy", "OnnxScorer", "EstimatorScorer", "is_onnx_source", "default_mlp", "mlp_scorer"]

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
    """Prediction entropy with log base = number of classes (paper eq. 4).

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


def _session_options(n_threads: Optional[int]):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = int(n_threads or 0)
    opts.inter_op_num_threads = 1
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


def mlp_scorer(mlp, n_features: int, *, batch_size: int, n_threads: Optional[int]) -> OnnxScorer:
    """Export a fitted MLPClassifier with skl2onnx and wrap it in an :class:`OnnxScorer`."""
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skl2onnx's opset/version chatter
        model = to_onnx(mlp, initial_types=[("X", FloatTensorType([None, n_features]))],
                        options={id(mlp): {"zipmap": False}})
    return OnnxScorer(model, n_features, batch_size=batch_size, n_threads=n_threads)
