"""SIMPOR end to end: counts, Algorithm 2's order, the geometry of the rows, reproducibility, usage."""
import logging
import os
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from imblearn.pipeline import Pipeline
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import NearestNeighbors

import reference as ref
import simpor_ext
from simpor_ext import SIMPOR, ActiveLearning, balance

# Small, fast settings: a tiny MLP and a short ascent keep each fit well under a second.
FAST_AL = dict(initial_size=20, query_size=15, max_rounds=2, mlp_params=dict(hidden_layer_sizes=(16,), max_iter=40))
FAST = dict(informative=FAST_AL, max_iter=30, device="cpu", n_jobs=1)


def blobs(n=(150, 40), d=3, seed=0, gap=1.5):
    """Overlapping Gaussian classes 0..len(n)-1, class c centred at c * gap on every axis."""
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(size=(m, d)) + c * gap for c, m in enumerate(n)])
    y = np.repeat(np.arange(len(n)), n)
    perm = rng.permutation(y.size)
    return X[perm], y[perm]


def fit(X, y, **params):
    kw = dict(FAST, random_state=0)
    kw.update(params)
    s = SIMPOR(**kw)
    return s, *s.fit_resample(X, y)


# ---------------------------------------------------------------- counts and order
def test_binary_balanced_and_originals_first():
    X, y = blobs()
    s, Xr, yr = fit(X, y)
    assert Counter(yr) == {0: 150, 1: 150}
    np.testing.assert_array_equal(Xr[: len(X)], X)
    np.testing.assert_array_equal(yr[: len(y)], y)
    assert np.all(yr[len(y):] == 1)
    assert s.sampling_strategy_ == {1: 110}
    assert s.sample_origin_.shape == (110,) and np.all(y[s.sample_origin_] == 1)
    for name in ("radii_", "log_ratio_", "n_iter_", "converged_"):
        assert getattr(s, name).shape == (110,)
    assert 0.0 <= s.converged_fraction_ <= 1.0
    assert s.device_ == "cpu" and s.bandwidth_ > 0


def test_three_classes_every_class_reaches_target():
    X, y = blobs(n=(120, 50, 17), seed=1)
    s, Xr, yr = fit(X, y)
    assert Counter(yr) == {0: 120, 1: 120, 2: 120}
    new = yr[len(y):]
    assert Counter(new) == {1: 70, 2: 103}
    assert np.all(y[s.sample_origin_] == new)


@pytest.mark.parametrize("strategy, want", [
    (0.5, {0: 150, 1: 75}),
    ({1: 97}, {0: 150, 1: 97}),
    ("all", {0: 150, 1: 150}),
    ("minority", {0: 150, 1: 150}),
])
def test_sampling_strategies_exact(strategy, want):
    X, y = blobs()
    _, _, yr = fit(X, y, sampling_strategy=strategy)
    assert Counter(yr) == want


def test_multiclass_strategy_dict_grows_only_listed_classes():
    X, y = blobs(n=(100, 30, 20), seed=2)
    _, _, yr = fit(X, y, sampling_strategy={2: 61})
    assert Counter(yr) == {0: 100, 1: 30, 2: 61}


def test_informative_region_balanced_first():
    """Algorithm 2: S ∩ c seeds exactly the rows that balance S, the rest come from c \\ S."""
    X, y = blobs(n=(200, 50), seed=3, gap=1.0)
    s, _, _ = fit(X, y, informative=dict(FAST_AL, max_rounds=3))
    S = s.informative_indices_
    assert S.size > 0 and np.all(np.diff(S) > 0)
    in_S = np.isin(s.sample_origin_, S)
    s_min, s_maj = np.count_nonzero(y[S] == 1), np.count_nonzero(y[S] == 0)
    want = int(np.clip(s_maj - s_min, 0, 150)) if s_min else 0
    assert np.count_nonzero(in_S) == want
    # the S-seeded rows come first, then the rest, seeded from c \ S only
    assert np.all(in_S[:want]) and not np.any(in_S[want:])


def test_informative_none_seeds_every_sample_evenly():
    X, y = blobs()
    s, _, _ = fit(X, y, informative=None)
    assert s.informative_indices_.size == 0 and s.n_rounds_ == 0
    uses = Counter(s.sample_origin_)
    assert set(uses) == set(np.flatnonzero(y == 1))  # 110 rows from 40 seeds: each used 2 or 3 times
    assert set(uses.values()) <= {2, 3}


def test_balance_is_fit_resample():
    X, y = blobs()
    Xb, yb = balance(X, y, random_state=3, **FAST)
    Xs, ys = SIMPOR(random_state=3, **FAST).fit_resample(X, y)
    assert Xb.tobytes() == Xs.tobytes() and np.array_equal(yb, ys)


# ---------------------------------------------------------------- geometry
def _standardise(s, X):
    return (X - s.center_) / s.scale_


def test_rows_on_their_seed_spheres_within_R():
    X, y = blobs(n=(150, 40), d=4, seed=4)
    k = 5
    s, Xr, _ = fit(X, y, k_neighbors=k)
    Z, Znew = _standardise(s, X), _standardise(s, Xr[len(X):])
    dist = np.linalg.norm(Znew - Z[s.sample_origin_], axis=1)
    np.testing.assert_allclose(dist, s.radii_, rtol=1e-6, atol=1e-9)
    # r <= R, R the mean distance to the k nearest same-class neighbours (eq. 14)
    members = np.flatnonzero(y == 1)
    d, _ = NearestNeighbors(n_neighbors=k + 1).fit(Z[members]).kneighbors(Z[members])
    R = dict(zip(members, d[:, 1:].mean(axis=1)))
    assert np.all(s.radii_ <= np.array([R[i] for i in s.sample_origin_]) + 1e-12)


@pytest.mark.parametrize("contrast", ["rest", "majority"])
def test_posterior_ratio_beats_a_random_point_of_the_same_sphere(contrast):
    X, y = blobs(n=(150, 30, 60), d=3, seed=5, gap=1.2)
    s, Xr, yr = fit(X, y, contrast=contrast, max_iter=100)
    Z, Znew = _standardise(s, X), _standardise(s, Xr[len(X):])
    rng = np.random.default_rng(0)
    u = rng.normal(size=Znew.shape)
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    Zrand = Z[s.sample_origin_] + s.radii_[:, None] * u
    for c in np.unique(yr[len(y):]):
        rows = yr[len(y):] == c
        if contrast == "rest":
            denom = Z[y != c]
        else:
            counts = Counter(y)
            denom = Z[y == max((k for k in counts if k != c), key=lambda k: counts[k])]
        got = ref.log_ratio(Znew[rows], Z[y == c], denom, s.bandwidth_)
        np.testing.assert_allclose(got, s.log_ratio_[rows], rtol=1e-8, atol=1e-8)
        rand = ref.log_ratio(Zrand[rows], Z[y == c], denom, s.bandwidth_)
        assert got.mean() > rand.mean()
        assert np.mean(got >= rand - 1e-9) > 0.9


def test_synthetic_rows_fall_in_their_class_more_often_than_smote():
    """log f is the log posterior ratio (priors cancel, eq. 9-12): f > 1 means the KDE
    Bayes rule assigns the row to its class. SIMPOR's rows beat random points of the
    same spheres and SMOTE's rows on that count."""
    from imblearn.over_sampling import SMOTE

    X, y = blobs(n=(200, 50), d=2, seed=3, gap=2.0)
    s, Xr, _ = fit(X, y, max_iter=100)
    Z = _standardise(s, X)
    B, A = Z[y == 1], Z[y == 0]

    def in_class(rows):
        return np.mean(ref.log_ratio(rows, B, A, s.bandwidth_) > 0.0)

    u = np.random.default_rng(0).normal(size=(s.radii_.size, Z.shape[1]))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    Xs, _ = SMOTE(random_state=0).fit_resample(X, y)
    ours = in_class(_standardise(s, Xr[len(X):]))
    assert ours > 0.9
    assert ours > in_class(Z[s.sample_origin_] + s.radii_[:, None] * u)
    assert ours > in_class(_standardise(s, Xs[len(X):]))


def test_max_iter_zero_keeps_start_points():
    X, y = blobs()
    s, _, _ = fit(X, y, max_iter=0)
    assert np.all(s.n_iter_ == 0) and not s.converged_.any()


# ---------------------------------------------------------------- reproducibility
def test_same_seed_same_bytes_for_any_n_jobs():
    X, y = blobs(n=(120, 30, 20), seed=7)
    outs = [fit(X, y, n_jobs=n_jobs)[1:] for n_jobs in (1, 2, None, -1)]
    for Xr, yr in outs[1:]:
        assert Xr.tobytes() == outs[0][0].tobytes()
        assert np.array_equal(yr, outs[0][1])
    other = fit(X, y, random_state=1)[1]
    assert other.tobytes() != outs[0][0].tobytes()


def test_generator_and_randomstate_accepted():
    X, y = blobs()
    a = fit(X, y, random_state=np.random.default_rng(5))[1]
    b = fit(X, y, random_state=np.random.default_rng(5))[1]
    assert a.tobytes() == b.tobytes()
    c = fit(X, y, random_state=np.random.RandomState(5))[1]
    assert c.shape == a.shape


# ---------------------------------------------------------------- scikit-learn integration
def test_clone_and_params_unchanged():
    al = ActiveLearning(initial_size=20, query_size=10, max_rounds=1, mlp_params={"hidden_layer_sizes": (8,)})
    s = SIMPOR(informative=al, bandwidth=0.4, k_neighbors=NearestNeighbors(n_neighbors=4), random_state=0,
               max_iter=10, device="cpu")
    before = s.get_params()
    X, y = blobs()
    s.fit_resample(X, y)
    assert s.get_params()["informative"] is al and s.get_params() == before
    c = clone(s)
    assert c.get_params()["informative"] == al and c.bandwidth == 0.4


def test_fitted_sampler_pickles():
    import pickle

    X, y = blobs()
    s, _, _ = fit(X, y)
    back = pickle.loads(pickle.dumps(s))
    np.testing.assert_array_equal(back.sample_origin_, s.sample_origin_)
    assert back.bandwidth_ == s.bandwidth_ and back.get_params() == s.get_params()


def test_pipeline_and_grid_search_over_bandwidth():
    X, y = blobs(n=(120, 30), seed=8)
    pipe = Pipeline([("simpor", SIMPOR(random_state=0, **FAST)), ("clf", LogisticRegression())])
    pipe.fit(X, y)
    assert pipe.predict(X).shape == y.shape
    grid = GridSearchCV(pipe, {"simpor__bandwidth": ["scott", 0.3]}, cv=2, scoring="f1")
    grid.fit(X, y)
    assert grid.best_params_["simpor__bandwidth"] in ("scott", 0.3)
    assert len(grid.cv_results_["mean_test_score"]) == 2


# ---------------------------------------------------------------- concurrency
def test_one_instance_fitted_from_two_threads_keeps_each_fit_apart():
    """The input frame was parked on the instance: one thread raised
    AttributeError, the other returned the other thread's columns and rows."""
    import threading

    import pandas as pd

    frames = [pd.DataFrame(blobs(seed=s)[0], columns=[f"{tag}{j}" for j in range(3)]) for s, tag in ((1, "a"), (2, "b"))]
    labels = [pd.Series(blobs(seed=s)[1], name=tag) for s, tag in ((1, "ya"), (2, "yb"))]
    alone = [SIMPOR(**FAST, random_state=0).fit_resample(X, y) for X, y in zip(frames, labels)]
    shared = SIMPOR(**FAST, random_state=0)
    for _ in range(3):
        start, results, errors = threading.Barrier(2), [None, None], []

        def work(k):
            start.wait()
            try:
                results[k] = shared.fit_resample(frames[k], labels[k])
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        for (X_res, y_res), (X_alone, y_alone) in zip(results, alone):
            pd.testing.assert_frame_equal(X_res, X_alone)
            pd.testing.assert_series_equal(y_res, y_alone)
    # the attributes are those of one whole fit, not a mix of both
    last = [k for k in range(2) if list(shared.feature_names_in_) == list(frames[k].columns)][0]
    solo = SIMPOR(**FAST, random_state=0).fit(frames[last], labels[last])
    assert shared.sampling_strategy_ == solo.sampling_strategy_


# ---------------------------------------------------------------- logging and progress
def test_verbose_progress_bar_on_stderr(capsys):
    X, y = blobs()
    fit(X, y, verbose=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert "SIMPOR" in err and "110/110" in err


def test_progress_counts_rows_as_they_finish():
    """The bar moved a whole chunk at a time (0 -> 2048 -> 4000): the native
    ascent counts seeds as they finish, and the caller hears of them while it runs."""
    from simpor_ext import kernels
    from simpor_ext._backends import get_backend

    rng = np.random.default_rng(0)
    numer, denom = rng.normal(size=(400, 20)) + 0.3, rng.normal(size=(8000, 20))
    m = 600
    seeds = numer[rng.integers(0, 400, m)]
    dirs = rng.normal(size=(m, 20))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    sets = kernels.make_sets(numer, denom, 0.6)
    steps = []
    spec = kernels.AscentSpec(step_rule="newton", kde_tol=0.0)
    kernels.run_ascent(sets, seeds, None, np.full(m, 0.5), dirs, spec, get_backend("cpu", 1), steps.append)
    assert sum(steps) == m and len(steps) > 1, steps


def test_progress_bar_covers_active_learning(capsys):
    """The bar appeared only once the ascent began, most of a small fit in."""
    X, y = blobs()
    s, _, _ = fit(X, y, verbose=True)
    err = capsys.readouterr().err
    assert "SIMPOR active learning" in err and f"/{FAST_AL['max_rounds']} " in err
    assert err.index("SIMPOR active learning") < err.index("SIMPOR ascent")


def test_quiet_by_default_and_logs(capsys, caplog):
    X, y = blobs()
    with caplog.at_level(logging.INFO, logger="simpor_ext"):
        fit(X, y)
    out, err = capsys.readouterr()
    assert out == "" and "SIMPOR" not in err
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "bandwidth" in messages and "active learning round" in messages
    assert "class 1: 110 synthetic rows" in messages  # the label, not "class code 1"


# ---------------------------------------------------------------- devices
def test_auto_device_logs_the_fallback_once(monkeypatch, caplog):
    """Without a GPU, "auto" says so in one WARNING record per process on the
    package's logger, not with ``warnings`` (whose line in a joblib worker of a
    grid search is joblib's, issue 12)."""
    if simpor_ext.cuda_available():
        pytest.skip("a GPU is available: 'auto' does not fall back")
    from simpor_ext import _backends

    monkeypatch.setattr(_backends, "_noted", set(), raising=False)  # other tests may have used it up
    X, y = blobs()
    with caplog.at_level(logging.WARNING, logger="simpor_ext"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s, _, _ = fit(X, y, device="auto")
        fit(X, y, device="auto")
    assert s.device_ == "cpu"
    ours = [r for r in caplog.records if "running on the CPU" in r.getMessage()]
    assert len(ours) == 1 and ours[0].levelno == logging.WARNING and ours[0].name.startswith("simpor_ext.")
    assert ours[0].getMessage() == "simpor_ext: no usable GPU, running on the CPU (simpor_ext.device_info() says why)"
    assert not [w for w in caught if "running on the CPU" in str(w.message)]


def test_fallback_notice_is_one_plain_line_per_process(tmp_path):
    """A fresh process with no logging set up and every warning shown: the
    notice reaches stderr once, as logging's plain line, with no file and line
    of anyone's code."""
    if simpor_ext.cuda_available():
        pytest.skip("a GPU is available: 'auto' does not fall back")
    script = ("import numpy as np; from simpor_ext import SIMPOR\n"
              "rng = np.random.default_rng(0)\n"
              "X, y = np.r_[rng.normal(size=(60, 3)), rng.normal(size=(20, 3)) + 1], np.r_[[0] * 60, [1] * 20]\n"
              "for _ in range(3):\n"
              "    SIMPOR(informative=None, max_iter=5, device='auto', n_jobs=1, random_state=0).fit_resample(X, y)\n")
    package_dir = str(Path(simpor_ext.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_dir, os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-W", "always", "-c", script], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("no usable GPU") == 1, result.stderr
    notice = "simpor_ext: no usable GPU, running on the CPU (simpor_ext.device_info() says why)"
    assert notice in result.stderr.splitlines() and "UserWarning" not in result.stderr, result.stderr


def test_cuda_without_gpu_is_a_clear_error():
    if simpor_ext.cuda_available():
        pytest.skip("a GPU is available")
    X, y = blobs()
    with pytest.raises(RuntimeError, match="device='cuda' requested but no GPU"):
        fit(X, y, device="cuda")


@pytest.mark.cuda
@pytest.mark.skipif(not simpor_ext.cuda_available(), reason="needs a usable NVIDIA GPU and the _cuda extension")
@pytest.mark.parametrize("dtype, tol, share", [(np.float64, 1e-6, 0.95), (np.float32, 1e-2, 0.8)])
def test_cuda_matches_cpu(dtype, tol, share):
    """Same seed on both devices: same S, seeds and radii; rows equal within float tolerance.

    An ascent is a sequence of accept/reject decisions: a near-tie between two
    log f values can change a path near convergence (float32 above all), so a
    share of the rows must agree to ``tol`` of their radius, and all must lie
    on their spheres (tests/test_cuda.py uses the same rule for the kernels).
    """
    X, y = blobs(n=(300, 60, 40), d=5, seed=9)
    X = X.astype(dtype)
    s_cpu, Xc, yc = fit(X, y, device="cpu", max_iter=100)
    s_gpu, Xg, yg = fit(X, y, device="cuda", max_iter=100)
    assert s_gpu.device_ == "cuda" and Xg.dtype == dtype
    np.testing.assert_array_equal(yc, yg)
    np.testing.assert_array_equal(s_cpu.informative_indices_, s_gpu.informative_indices_)
    np.testing.assert_array_equal(s_cpu.sample_origin_, s_gpu.sample_origin_)
    np.testing.assert_array_equal(s_gpu.radii_, s_cpu.radii_)
    Z = _standardise(s_gpu, X.astype(np.float64))
    Zc, Zg = (_standardise(s_gpu, A[len(X):].astype(np.float64)) for A in (Xc, Xg))
    r = s_gpu.radii_
    np.testing.assert_allclose(np.linalg.norm(Zg - Z[s_gpu.sample_origin_], axis=1), r, rtol=10 * tol, atol=1e-6)
    apart = np.linalg.norm(Zg - Zc, axis=1) / np.maximum(r, 1e-12)
    assert np.mean(apart < tol) >= share, np.sort(apart)[-5:]
