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

from simpor_ext.scoring import (TABLE1_MLP, EstimatorScorer, MlpExporter, OnnxScorer, default_mlp, entropy,
                                session_threads)


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
    scorer = MlpExporter(X.shape[1], batch_size=17, n_threads=1)(mlp)
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


# ---------------------------------------------------------------- the default MLP across rounds
def _initializers(model):
    return [(t.name, onnx.numpy_helper.to_array(t)) for t in model.graph.initializer]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("k, dtype", [(2, np.float64), (2, np.float32), (3, np.float64)])
def test_weight_swap_equals_a_fresh_conversion(k, dtype, monkeypatch):
    import simpor_ext.scoring as scoring

    conversions = []
    convert = scoring._mlp_to_onnx
    monkeypatch.setattr(scoring, "_mlp_to_onnx", lambda *a: conversions.append(1) or convert(*a))
    X, y = data(n=200, d=4, k=k)
    X = X.astype(dtype)
    mlp = MLPClassifier((16, 16), max_iter=30, random_state=0).fit(X[:60], y[:60])
    export = MlpExporter(X.shape[1], batch_size=64, n_threads=1)
    export(mlp)
    for rows in (120, 200):  # two warm-started rounds on grown sets
        for _ in range(3):
            mlp.partial_fit(X[:rows], y[:rows])
        swapped = export(mlp)
        fresh = convert(mlp, X.shape[1])
        # the same graph with the same weights: nodes equal, initializers equal by name and value
        assert export._model.graph.node == fresh.graph.node
        for (name_a, a), (name_b, b) in zip(_initializers(export._model), _initializers(fresh)):
            assert name_a == name_b and a.dtype == b.dtype and np.array_equal(a, b)
        got = swapped.predict_proba(X)
        want = OnnxScorer(fresh, X.shape[1], batch_size=64, n_threads=1).predict_proba(X)
        assert got.tobytes() == want.tobytes()
        np.testing.assert_allclose(got, mlp.predict_proba(X), atol=1e-5)
    assert len(conversions) == 1  # the exporter converted the first network only


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_exporter_converts_again_for_another_network():
    X, y = data(n=150, d=4, k=3)
    export = MlpExporter(X.shape[1], batch_size=64, n_threads=1)
    for hidden, rows in (((8,), 150), ((8, 8), 150), ((8, 8), 100)):
        labels = y[:rows] % 2 if rows == 100 else y[:rows]  # the last one has other classes
        mlp = MLPClassifier(hidden, max_iter=20, random_state=0).fit(X[:rows], labels)
        np.testing.assert_allclose(export(mlp).predict_proba(X), mlp.predict_proba(X), atol=1e-5)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_exporter_converts_every_round_when_weights_cannot_be_placed(monkeypatch):
    import simpor_ext.scoring as scoring

    conversions = []
    convert = scoring._mlp_to_onnx
    monkeypatch.setattr(scoring, "_mlp_to_onnx", lambda *a: conversions.append(1) or convert(*a))
    monkeypatch.setattr(scoring, "_weight_slots", lambda model, mlp: None)  # e.g. a new skl2onnx layout
    X, y = data(n=120, d=4, k=2)
    mlp = MLPClassifier((8,), max_iter=20, random_state=0).fit(X, y)
    export = MlpExporter(X.shape[1], batch_size=64, n_threads=1)
    for _ in range(3):
        mlp.partial_fit(X, y)
        np.testing.assert_allclose(export(mlp).predict_proba(X), mlp.predict_proba(X), atol=1e-5)
    assert len(conversions) == 3


# ---------------------------------------------------------------- threads
def test_session_threads_never_exceed_the_cores():
    from joblib import cpu_count

    cores = cpu_count()
    assert session_threads(None) == min(cpu_count(only_physical_cores=True), cores)
    assert session_threads(10 * cores + 3) == cores
    assert session_threads(1) == 1


def test_sessions_use_the_capped_thread_count_without_spinning(logistic):
    from joblib import cpu_count

    X, lr = logistic
    model = to_onnx(lr, X[:1].astype(np.float32), options={id(lr): {"zipmap": False}})
    for asked, want in ((64, cpu_count()), (1, 1), (None, session_threads(None))):
        opts = OnnxScorer(model, X.shape[1], n_threads=asked).session.get_session_options()
        assert opts.intra_op_num_threads == want and opts.inter_op_num_threads == 1
        assert opts.get_session_config_entry("session.intra_op.allow_spinning") == "0"
