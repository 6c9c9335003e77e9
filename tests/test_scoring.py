"""Entropy (eq. 4) and the onnxruntime / estimator scorers."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from scipy.stats import entropy as scipy_entropy
from skl2onnx import to_onnx
from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neural_network import MLPClassifier

from simpor_ext.scoring import TABLE1_MLP, EstimatorScorer, OnnxScorer, default_mlp, entropy, mlp_scorer


def data(n=120, d=3, k=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    X = rng.normal(size=(n, d)) + y[:, None] * 0.8
    return X, y


# ---------------------------------------------------------------- entropy
@pytest.mark.parametrize("k", [2, 3, 5])
def test_entropy_matches_scipy_with_log_base_k(k):
    p = np.random.default_rng(k).dirichlet(np.ones(k), size=50)
    np.testing.assert_allclose(entropy(p), scipy_entropy(p, base=k, axis=1), rtol=1e-12)


def test_entropy_bounds():
    assert entropy(np.full((1, 4), 0.25))[0] == pytest.approx(1.0)
    np.testing.assert_array_equal(entropy(np.eye(3)), 0.0)  # zeros contribute nothing, no NaN
    assert entropy(np.array([[0.5, 0.5]]))[0] == pytest.approx(1.0)


def test_entropy_needs_two_classes():
    with pytest.raises(ValueError, match=">= 2 classes"):
        entropy(np.ones((3, 1)))


# ---------------------------------------------------------------- the default MLP through onnxruntime
def test_default_mlp_is_table_1():
    mlp = default_mlp(None, seed=3)
    assert mlp.hidden_layer_sizes == (100, 100, 100) and mlp.activation == "relu"
    assert mlp.learning_rate_init == 0.01 and mlp.batch_size == 32 and mlp.solver == "adam"
    assert mlp.random_state == 3
    small = default_mlp({"hidden_layer_sizes": (8,), "random_state": 99}, seed=4)
    assert small.hidden_layer_sizes == (8,) and small.random_state == 4  # the seed always wins
    assert TABLE1_MLP["max_iter"] == 200


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("k", [2, 3])
def test_mlp_onnx_scores_match_predict_proba(k):
    X, y = data(k=k)
    mlp = MLPClassifier((16, 16), max_iter=50, random_state=0).fit(X, y)
    scorer = mlp_scorer(mlp, X.shape[1], batch_size=17, n_threads=1)
    np.testing.assert_allclose(scorer.predict_proba(X), mlp.predict_proba(X), atol=1e-5)


# ---------------------------------------------------------------- user ONNX models
@pytest.fixture(scope="module")
def logistic():
    X, y = data()
    return X, LogisticRegression().fit(X, y)


@pytest.mark.parametrize("zipmap", [True, False])
@pytest.mark.parametrize("form", ["path", "bytes", "proto", "session"])
def test_onnx_sources_and_outputs(logistic, tmp_path, zipmap, form):
    X, lr = logistic
    model = to_onnx(lr, X[:1].astype(np.float32), options={id(lr): {"zipmap": zipmap}})
    path = tmp_path / "lr.onnx"
    path.write_bytes(model.SerializeToString())
    source = {"path": str(path), "bytes": model.SerializeToString(), "proto": model,
              "session": ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])}[form]
    scorer = OnnxScorer(source, X.shape[1], batch_size=50)
    np.testing.assert_allclose(scorer.predict_proba(X), lr.predict_proba(X), atol=1e-5)


def test_onnx_double_input(logistic):
    X, lr = logistic
    model = to_onnx(lr, initial_types=[("X", DoubleTensorType([None, X.shape[1]]))], options={id(lr): {"zipmap": False}})
    scorer = OnnxScorer(model, X.shape[1])
    assert scorer.input_dtype == np.float64
    np.testing.assert_allclose(scorer.predict_proba(X), lr.predict_proba(X), atol=1e-9)


def test_onnx_wrong_feature_count(logistic):
    X, lr = logistic
    model = to_onnx(lr, initial_types=[("X", FloatTensorType([None, 3]))])
    with pytest.raises(ValueError, match="expects 3 features .* but X has 5"):
        OnnxScorer(model, 5)


def test_onnx_missing_file():
    with pytest.raises(ValueError, match="no file at"):
        OnnxScorer("/nonexistent/model.onnx", 3)


def _graph_model(outputs, inputs=None, nodes=None, inits=None):
    inputs = inputs or [onnx.helper.make_tensor_value_info("X", onnx.TensorProto.FLOAT, [None, 2])]
    graph = onnx.helper.make_graph(nodes or [], "g", inputs, outputs, initializer=inits or [])
    return onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])


def test_onnx_logits_are_refused():
    w = onnx.numpy_helper.from_array(np.array([[3.0, -2.0], [1.0, 4.0]], np.float32), "W")
    model = _graph_model([onnx.helper.make_tensor_value_info("scores", onnx.TensorProto.FLOAT, [None, 2])],
                         nodes=[onnx.helper.make_node("MatMul", ["X", "W"], ["scores"])], inits=[w])
    scorer = OnnxScorer(model, 2)
    with pytest.raises(ValueError, match="does not return class probabilities"):
        scorer.predict_proba(np.random.default_rng(0).normal(size=(10, 2)))


def test_onnx_needs_one_float_input():
    two = [onnx.helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, [None, 2]) for n in ("A", "B")]
    out = [onnx.helper.make_tensor_value_info("P", onnx.TensorProto.FLOAT, [None, 2])]
    with pytest.raises(ValueError, match="exactly one input"):
        OnnxScorer(_graph_model(out, inputs=two, nodes=[onnx.helper.make_node("Add", ["A", "B"], ["P"])]), 2)
    ints = [onnx.helper.make_tensor_value_info("X", onnx.TensorProto.INT64, [None, 2])]
    with pytest.raises(ValueError, match="must be tensor\\(float\\) or tensor\\(double\\)"):
        OnnxScorer(_graph_model(out, inputs=ints, nodes=[onnx.helper.make_node("Cast", ["X"], ["P"], to=1)]), 2)


def test_onnx_regressor_output_is_not_probabilities():
    X, y = data()
    model = to_onnx(LinearRegression().fit(X, y), X[:1].astype(np.float32))
    with pytest.raises(ValueError, match="probabilities of shape \\(n, n_classes >= 2\\)"):
        OnnxScorer(model, X.shape[1]).predict_proba(X)


# ---------------------------------------------------------------- estimators
def test_estimator_scorer_batches(logistic):
    X, lr = logistic
    np.testing.assert_allclose(EstimatorScorer(lr, batch_size=7).predict_proba(X), lr.predict_proba(X))
