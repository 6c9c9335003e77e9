"""Entropy active learning (paper 2.3): settings, the loop, and every kind of scorer."""
import numpy as np
import onnxruntime as ort
import pytest
from skl2onnx import to_onnx
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from simpor_ext import SIMPOR, ActiveLearning
from simpor_ext.informative import _stratified_initial, find_informative, resolve_settings
from simpor_ext.scoring import entropy

SMALL_MLP = dict(hidden_layer_sizes=(16,), max_iter=40)


def overlap(n0=200, n1=60, seed=0):
    """Two classes along x0 that overlap around x0 = 1; x1 is noise."""
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(size=(n0, 2)), rng.normal(size=(n1, 2)) + [2.0, 0.0]])
    y = np.r_[np.zeros(n0, int), np.ones(n1, int)]
    return X, y


def run_al(X, y, seed=0, scorer="mlp", **settings):
    kw = dict(initial_size=30, query_size=20, max_rounds=3, mlp_params=SMALL_MLP)
    kw.update(settings)
    Z = ((X - X.mean(0)) / X.std(0)).astype(np.float32)
    return find_informative(Z, X, y, 2, ActiveLearning(**kw), scorer, np.random.default_rng(seed), n_threads=1)


# ---------------------------------------------------------------- settings
def test_resolve_settings():
    assert resolve_settings("auto") == ActiveLearning()
    assert resolve_settings(None) is None
    assert resolve_settings({"threshold": 0.5}) == ActiveLearning(threshold=0.5)
    al = ActiveLearning(max_rounds=2)
    assert resolve_settings(al) == al
    d = ActiveLearning()
    assert (d.initial_size, d.query_size, d.threshold, d.max_rounds, d.refit_epochs) == (100, 100, 0.7, 5, 10)


@pytest.mark.parametrize("bad, match", [
    ({"rounds": 1}, "unknown informative setting"),
    ({"threshold": -0.1}, "threshold"),
    ({"max_rounds": -1}, "max_rounds"),
    ({"batch_size": 0}, "batch_size"),
    ({"initial_size": 1.0}, "initial_size"),
    ({"query_size": 0}, "query_size"),
    ({"refit_epochs": 2.5}, "refit_epochs"),
    ({"mlp_params": [1]}, "mlp_params"),
])
def test_bad_settings(bad, match):
    with pytest.raises(ValueError, match=match):
        resolve_settings(bad)


def test_bad_settings_type():
    with pytest.raises(ValueError, match="informative must be"):
        resolve_settings("fast")


def test_stratified_initial_batch_has_every_class():
    codes = np.r_[np.zeros(500, int), np.ones(30, int), np.full(3, 2)]
    picked = _stratified_initial(codes, 50, 3, np.random.default_rng(0))
    counts = np.bincount(codes[picked], minlength=3)
    assert np.all(counts >= 1) and abs(picked.size - 50) <= 3
    assert counts[0] == pytest.approx(50 * 500 / 533, abs=1)
    assert np.unique(picked).size == picked.size


# ---------------------------------------------------------------- the loop with the default MLP
def test_queries_concentrate_on_the_boundary():
    X, y = overlap()
    found = run_al(X, y)
    S = found.indices
    assert 0 < S.size <= 3 * 20 and 1 <= found.n_rounds <= 3
    assert np.all(np.diff(S) > 0)
    # the Bayes boundary is x0 = 1: S sits much closer to it than the data do
    assert np.median(np.abs(X[S, 0] - 1.0)) < 0.6 * np.median(np.abs(X[:, 0] - 1.0))


def test_reproducible():
    X, y = overlap()
    a, b = run_al(X, y, seed=4), run_al(X, y, seed=4)
    np.testing.assert_array_equal(a.indices, b.indices)


def test_threshold_one_queries_nothing():
    X, y = overlap()
    found = run_al(X, y, threshold=1.0)
    assert found.indices.size == 0 and found.n_rounds == 1


def test_zero_rounds_queries_nothing():
    X, y = overlap()
    found = run_al(X, y, max_rounds=0)
    assert found.indices.size == 0 and found.n_rounds == 0


def test_fractions_and_cold_refit():
    X, y = overlap()
    found = run_al(X, y, initial_size=0.1, query_size=0.05, refit_epochs=None)
    assert found.indices.size <= 3 * 13


def test_tiny_data_initial_batch_covers_everything():
    X, y = overlap(n0=6, n1=3)
    found = run_al(X, y, initial_size=100)
    assert found.indices.size == 0 and found.n_rounds == 0


def test_sampler_exposes_s_and_rounds():
    X, y = overlap()
    s = SIMPOR(informative=dict(initial_size=30, query_size=20, max_rounds=3, mlp_params=SMALL_MLP),
               max_iter=10, device="cpu", random_state=0, n_jobs=1)
    s.fit_resample(X, y)
    np.testing.assert_array_equal(s.informative_indices_, run_al(X, y).indices)
    assert s.n_rounds_ >= 1


# ---------------------------------------------------------------- user scorers
def _fixed_model_s(proba, threshold, k):
    ent = entropy(proba)
    order = np.argsort(-ent, kind="stable")
    return np.sort(order[ent[order] >= threshold][:k])


@pytest.fixture(scope="module")
def prefit():
    X, y = overlap()
    lr = LogisticRegression().fit(X, y)
    return X, y, lr, to_onnx(lr, X[:1].astype(np.float32), options={id(lr): {"zipmap": False}})


@pytest.mark.parametrize("form", ["path", "bytes", "proto", "session"])
def test_user_onnx_scorer_is_fixed_and_sees_caller_units(prefit, tmp_path, form):
    X, y, lr, model = prefit
    path = tmp_path / "scorer.onnx"
    path.write_bytes(model.SerializeToString())
    scorer = {"path": path, "bytes": model.SerializeToString(), "proto": model,
              "session": ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])}[form]
    s = SIMPOR(scorer=scorer, informative=dict(query_size=10, max_rounds=2, threshold=0.5),
               max_iter=10, device="cpu", random_state=0, n_jobs=1)
    _, yr = s.fit_resample(X, y)
    want = _fixed_model_s(lr.predict_proba(X), 0.5, 20)
    assert want.size == 20
    np.testing.assert_array_equal(s.informative_indices_, want)
    assert np.bincount(yr).tolist() == [200, 200]


def test_onnx_path_sampler_clones(prefit, tmp_path):
    X, y, _, model = prefit
    path = tmp_path / "scorer.onnx"
    path.write_bytes(model.SerializeToString())
    s = SIMPOR(scorer=str(path), random_state=0)
    assert clone(s).scorer == str(path)


def test_user_estimator_is_cloned_and_trained_in_the_loop():
    X, y = overlap()
    lr = LogisticRegression()
    s = SIMPOR(scorer=lr, informative=dict(initial_size=30, query_size=20, max_rounds=3),
               max_iter=10, device="cpu", random_state=0, n_jobs=1)
    s.fit_resample(X, y)
    assert not hasattr(lr, "coef_")  # the caller's object is untouched
    S = s.informative_indices_
    assert 0 < S.size <= 60
    assert np.median(np.abs(X[S, 0] - 1.0)) < 0.6 * np.median(np.abs(X[:, 0] - 1.0))
    again = clone(s).fit_resample(X, y)[0]
    assert again.tobytes() == s.fit_resample(X, y)[0].tobytes()


def test_frozen_prefit_estimator_stays_fixed(prefit):
    FrozenEstimator = pytest.importorskip("sklearn.frozen").FrozenEstimator  # scikit-learn >= 1.6
    X, y, lr, _ = prefit
    s = SIMPOR(scorer=FrozenEstimator(lr), informative=dict(initial_size=30, query_size=10, max_rounds=2),
               max_iter=10, device="cpu", random_state=0, n_jobs=1)
    s.fit_resample(X, y)
    ent = entropy(lr.predict_proba(X))
    assert s.informative_indices_.size == 20
    assert np.all(ent[s.informative_indices_] >= 0.7)


def test_estimator_returning_non_probabilities_is_refused():
    class Logits(LogisticRegression):
        def predict_proba(self, X):
            return self.decision_function(X)[:, None] * np.array([[1.0, -1.0]])

    X, y = overlap()
    with pytest.raises(ValueError, match="Logits.predict_proba does not return class probabilities"):
        SIMPOR(scorer=Logits(), max_iter=5, device="cpu", random_state=0).fit_resample(X, y)


# ---------------------------------------------------------------- cost cuts that must not change S
def test_weight_swap_gives_the_s_of_a_fresh_conversion_every_round(monkeypatch):
    import simpor_ext.informative as informative
    from simpor_ext.scoring import MlpExporter

    X, y = overlap()
    swapped = run_al(X, y, seed=2)

    class FreshEveryRound:
        def __init__(self, n_features, *, batch_size, n_threads):
            self.args = dict(n_features=n_features, batch_size=batch_size, n_threads=n_threads)

        def __call__(self, mlp):  # a new exporter converts the network afresh
            return MlpExporter(**self.args)(mlp)

    monkeypatch.setattr(informative, "MlpExporter", FreshEveryRound)
    fresh = run_al(X, y, seed=2)
    assert swapped.n_rounds >= 2  # the swap path ran
    np.testing.assert_array_equal(swapped.indices, fresh.indices)
    assert swapped.n_rounds == fresh.n_rounds


@pytest.mark.parametrize("mlp_params", [SMALL_MLP, None])  # None: the Table 1 network
def test_same_s_for_any_n_jobs(mlp_params):
    from threadpoolctl import threadpool_limits

    X, y = overlap(n0=300, n1=40, seed=1)
    informative = dict(initial_size=40, query_size=20, max_rounds=3, mlp_params=mlp_params)
    runs = []
    for n_jobs, blas in ((1, 1), (2, None), (-1, None), (64, 1), (None, None)):
        with threadpool_limits(blas):  # the caller's BLAS threads must not matter either
            s = SIMPOR(informative=informative, max_iter=0, device="cpu", random_state=5, n_jobs=n_jobs)
            s.fit_resample(X, y)
        runs.append(s.informative_indices_)
    assert runs[0].size > 0
    for S in runs[1:]:
        assert S.tobytes() == runs[0].tobytes()
