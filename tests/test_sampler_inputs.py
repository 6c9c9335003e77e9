"""Bad input gives clear errors (imbalanced-learn's where it has one); odd input loses nothing."""
import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from imblearn.over_sampling import SMOTE
from sklearn.neighbors import NearestNeighbors

from simpor_ext import SIMPOR
from simpor_ext.bandwidth import resolve_bandwidth
from problems import two_classes

FAST_AL = dict(initial_size=10, query_size=10, max_rounds=1, mlp_params=dict(hidden_layer_sizes=(8,), max_iter=20))
FAST = dict(informative=FAST_AL, max_iter=20, device="cpu", n_jobs=1, random_state=0)


def small(n0=40, n1=12, d=3, seed=0):
    return two_classes(n0, n1, d, seed)


def run(X, y, **params):
    kw = dict(FAST)
    kw.update(params)
    s = SIMPOR(**kw)
    return s, *s.fit_resample(X, y)


# ---------------------------------------------------------------- same errors as imbalanced-learn
def _bad_cases():
    X, y = small()
    three = np.r_[np.zeros(30, int), np.ones(12, int), np.full(10, 2)]
    return {
        "one class": (X, np.zeros(len(y)), {}),
        "continuous y": (X, np.linspace(0, 1, len(y)), {}),
        "multilabel y": (X, np.random.default_rng(0).integers(0, 2, size=(len(y), 3)), {}),
        "length mismatch": (X, y[:-1], {}),
        "no features": (X[:, :0], y, {}),
        "strategy out of range": (X, y, {"sampling_strategy": 1.5}),
        "strategy bad string": (X, y, {"sampling_strategy": "most"}),
        "strategy shrinks a class": (X, y, {"sampling_strategy": {0: 20, 1: 12}}),
        "strategy unknown class": (X, y, {"sampling_strategy": {7: 50}}),
        "float strategy multiclass": (X, three, {"sampling_strategy": 0.5}),
        "k_neighbors object too large": (X, y, {"k_neighbors": NearestNeighbors(n_neighbors=20)}),
        "complex X": (X + 1j, y, {}),
    }


@pytest.mark.parametrize("case", list(_bad_cases()))
def test_same_error_as_imbalanced_learn(case):
    X, y, params = _bad_cases()[case]
    with pytest.raises(Exception) as theirs:
        SMOTE(random_state=0, **params).fit_resample(X, y)
    with pytest.raises(type(theirs.value)) as ours:
        run(X, y, **params)
    assert str(ours.value).replace("SIMPOR", "SMOTE") == str(theirs.value)


# ---------------------------------------------------------------- located errors
def _with_cell(X, row, col, value, dtype=None):
    X = X.astype(dtype or X.dtype)
    X[row, col] = value
    return X


@pytest.mark.parametrize("X, match", [
    (_with_cell(small()[0], 5, 2, np.nan), r"Input X contains NaN at row 5, column 2 \(1 missing"),
    (_with_cell(small()[0], 7, 1, -np.inf), r"Input X contains infinity at row 7, column 1"),
    (_with_cell(small()[0], 9, 0, "x", object), r"column 0 of X mixes numbers and text \(row 9, column 0 holds 'x'\)"),
    (_with_cell(small()[0], 3, 1, None, object), r"Input X contains NaN at row 3, column 1"),
], ids=["nan", "inf", "text in an object array", "None in an object array"])
def test_bad_values_are_located(X, match):
    """scikit-learn's messages named neither row nor column ('could not convert string to float: 'x'')."""
    with pytest.raises(ValueError, match=match):
        run(X, small()[1])


def test_bad_values_in_frames_are_located():
    X, y = small()
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"Input X contains NaN at row 4, column 'b' \(2 missing"):
        run(df.assign(b=df["b"].where(~df.index.isin([4, 8]))), y)
    with_text = df.astype({"c": object}).assign(c=lambda f: f["c"].where(f.index != 6, "n/a"))
    with pytest.raises(ValueError, match=r"column 'c' of X mixes numbers and text \(row 6, column 'c' holds 'n/a'\)"):
        run(with_text, y)
    with pytest.raises(ValueError, match=r"column 'c' \(object, row 6, column 'c' holds 'n/a'\) of X does not hold "
                                         r"numbers"):
        run(with_text, y, categorical_features=None)


@pytest.mark.parametrize("missing", [pd.NA, None, np.nan])
def test_missing_label_is_located_without_a_warning(missing):
    X, y = small()
    labels = pd.Series(y, dtype=object)
    labels[11] = missing
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"y has a missing label at row 11 \(1 in all\)"):
            run(X, labels)


def test_sparse_input_is_refused_clearly():
    X, y = small()
    with pytest.raises(TypeError, match="dense data is required"):
        run(sp.csr_matrix(X), y)


@pytest.mark.parametrize("params, match", [
    ({"informative": {"threshold": 0.7, "rounds": 3}}, r"unknown informative setting\(s\) \['rounds'\]"),
    ({"informative": {"threshold": 1.5}}, "The 'threshold' parameter of ActiveLearning must be"),
    ({"informative": {"initial_size": 0}}, "The 'initial_size' parameter of ActiveLearning must be"),
    ({"informative": {"query_size": 1.5}}, "The 'query_size' parameter of ActiveLearning must be"),
    ({"informative": {"refit_epochs": 0}}, "The 'refit_epochs' parameter of ActiveLearning must be"),
    ({"scorer": "missing.onnx"}, "no file at 'missing.onnx'"),
    ({"scorer": "model.txt"}, "The 'scorer' parameter of SIMPOR must be"),
    ({"bandwidth": -1.0}, "The 'bandwidth' parameter of SIMPOR must be"),
    ({"bandwidth": "wide"}, "The 'bandwidth' parameter of SIMPOR must be"),
    ({"contrast": "all"}, "The 'contrast' parameter of SIMPOR must be"),
    ({"device": "gpu"}, "The 'device' parameter of SIMPOR must be"),
    ({"n_jobs": 0}, "The 'n_jobs' parameter of SIMPOR must be"),
])
def test_bad_parameters(params, match):
    X, y = small()
    with pytest.raises(ValueError, match=match):
        run(X, y, **params)


# ---------------------------------------------------------------- small classes
def test_int_k_neighbors_larger_than_class_uses_fewer():
    X, y = small(n0=30, n1=4)
    s, Xr, yr = run(X, y, k_neighbors=10)
    assert Counter(yr) == {0: 30, 1: 30}
    Z = (X - s.center_) / s.scale_
    members = np.flatnonzero(y == 1)
    d = np.linalg.norm(Z[members][:, None] - Z[members][None], axis=-1)
    R = d.sum(axis=1) / 3  # all 3 other members
    assert np.all(s.radii_ <= R[np.searchsorted(members, s.sample_origin_)] + 1e-12)


def test_single_sample_class_falls_back_to_any_class_neighbours(caplog):
    X, y = small(n0=30, n1=1)
    k = 4
    with caplog.at_level("WARNING", logger="simpor_ext"):
        s, Xr, yr = run(X, y, k_neighbors=k)
    assert Counter(yr) == {0: 30, 1: 30}
    assert "single sample" in caplog.text
    assert np.all(s.sample_origin_ == 30)
    Z = (X - s.center_) / s.scale_
    dist = np.sort(np.linalg.norm(Z - Z[30], axis=1))[1:k + 1]
    assert 0 < s.radii_.max() <= dist.mean() + 1e-12
    assert np.all(np.isfinite(Xr))


def test_duplicate_rows_class_gives_copies():
    X, y = small(n0=30, n1=5)
    X[30:] = X[30]
    s, Xr, _ = run(X, y)
    np.testing.assert_allclose(Xr[35:], np.repeat(X[30:31], 25, axis=0), atol=1e-12)
    assert np.all(s.radii_ == 0)


# ---------------------------------------------------------------- dtypes and containers
def test_float32_kept():
    X, y = small()
    s, Xr, yr = run(X.astype(np.float32), y.astype(np.int32))
    assert Xr.dtype == np.float32 and yr.dtype == np.int32
    np.testing.assert_array_equal(Xr[: len(X)], X.astype(np.float32))
    Xr2 = run(X.astype(np.float32), y.astype(np.int32))[1]
    assert Xr.tobytes() == Xr2.tobytes()


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8])
def test_integer_input_keeps_dtype_and_rounds(dtype):
    X, y = small()
    Xi = np.abs(X * 20).astype(dtype)
    s, Xr, _ = run(Xi, y)
    assert Xr.dtype == dtype
    np.testing.assert_array_equal(Xr[: len(X)], Xi)
    # rounded, not truncated, and clipped to the range each column holds: the
    # float rows, so treated, are what comes back
    float_rows = run(Xi.astype(np.float64), y)[1][len(X):]
    expected = np.clip(np.rint(float_rows), Xi.min(axis=0), Xi.max(axis=0)).astype(dtype)
    np.testing.assert_array_equal(Xr[len(X):], expected)


def test_bool_input_kept():
    X, y = small()
    Xb = X > 0.3
    _, Xr, _ = run(Xb, y)
    assert Xr.dtype == bool and Xr.shape == (80, 3)


def test_string_labels():
    X, y = small()
    labels = np.array(["common", "rare"])[y]
    s, Xr, yr = run(X, labels)
    assert Counter(yr) == {"common": 40, "rare": 40}
    assert set(s.sampling_strategy_) == {"rare"}
    assert np.all(labels[s.sample_origin_] == "rare")


def test_pandas_round_trip_with_names_and_dtypes():
    X, y = small()
    df = pd.DataFrame(X, columns=["height", "weight", "score"], index=np.arange(100, 152))
    df["count"] = np.abs(X[:, 0] * 10).round().astype(np.int64)
    ys = pd.Series(np.array(["a", "b"])[y], name="label")
    df_before, ys_before = df.copy(), ys.copy()
    s, Xr, yr = run(df, ys)
    assert isinstance(Xr, pd.DataFrame) and isinstance(yr, pd.Series)
    assert list(Xr.columns) == ["height", "weight", "score", "count"] and yr.name == "label"
    assert list(Xr.dtypes) == list(df.dtypes)
    assert list(s.feature_names_in_) == list(df.columns)
    np.testing.assert_array_equal(Xr.to_numpy()[:52], df.to_numpy())
    # the integer column holds the rounded synthetic values, within the range it holds
    float_rows = run(df.astype(float), ys)[1].to_numpy()[52:]
    expected = np.clip(np.rint(float_rows[:, 3]), df["count"].min(), df["count"].max())
    np.testing.assert_array_equal(Xr["count"].to_numpy()[52:], expected)
    pd.testing.assert_frame_equal(df, df_before)
    pd.testing.assert_series_equal(ys, ys_before)


@pytest.mark.parametrize("library", ["polars", "pyarrow"])
def test_polars_and_pyarrow_frames_come_back_as_such(library):
    """polars failed after the whole fit (imbalanced-learn re-wrapped the output)."""
    lib = pytest.importorskip(library)
    X, y = small()
    data = {"height": X[:, 0], "weight": X[:, 1].astype(np.float32), "count": np.rint(np.abs(X[:, 2]) * 9).astype(np.int16)}
    frame = lib.DataFrame(data) if library == "polars" else lib.table(data)
    labels = lib.Series("label", y) if library == "polars" else lib.chunked_array([y])
    s, Xr, yr = run(frame, labels)
    assert type(Xr) is type(frame) and type(yr) is type(labels)
    assert Xr.schema == frame.schema and len(Xr) == 80 and len(yr) == 80
    assert list(s.feature_names_in_) == ["height", "weight", "count"]
    as_numpy = np.column_stack([np.asarray(Xr[c]) for c in data])
    np.testing.assert_array_equal(as_numpy[:52], np.column_stack(list(data.values())))
    # the same rows as the pandas frame of the same columns gives
    via_pandas = run(pd.DataFrame(data), y)[1].to_numpy()
    np.testing.assert_array_equal(as_numpy, via_pandas)


class _ForeignFrame:
    """A frame of a library the package cannot hand back."""

    columns = ["a", "b", "c"]

    def __dataframe__(self, *args, **kwargs):
        raise AssertionError("read only after the type check")


@pytest.mark.parametrize("make", [lambda X: pytest.importorskip("polars").DataFrame(X).lazy(), lambda X: _ForeignFrame()],
                         ids=["polars lazy frame", "unknown frame library"])
def test_containers_that_cannot_come_back_are_refused_before_any_work(make, monkeypatch):
    from simpor_ext import sampler

    def no_work(*args, **kwargs):
        raise AssertionError("the fit started")

    monkeypatch.setattr(sampler, "find_informative", no_work)
    monkeypatch.setattr(sampler, "grow_class", no_work)
    X, y = small()
    with pytest.raises(TypeError, match="is not supported.*pass a NumPy array, a pandas, polars or pyarrow"):
        run(make(X), y)


def test_non_contiguous_arrays_give_the_same_result():
    X, y = small(d=6)
    base = run(np.ascontiguousarray(X[:, ::2]), y)[1]
    assert run(X[:, ::2], y)[1].tobytes() == base.tobytes()
    assert run(np.asfortranarray(X[:, ::2]), y)[1].tobytes() == base.tobytes()


def test_inputs_never_modified_even_read_only():
    X, y = small()
    X.setflags(write=False)
    y.setflags(write=False)
    Xc, yc = X.copy(), y.copy()
    _, Xr, yr = run(X, y)
    np.testing.assert_array_equal(X, Xc)
    np.testing.assert_array_equal(y, yc)
    assert not np.shares_memory(Xr, X)


# ---------------------------------------------------------------- shapes
def test_one_feature():
    X, y = small(d=1)
    s, Xr, yr = run(X, y)
    assert Xr.shape == (80, 1) and Counter(yr) == {0: 40, 1: 40}
    step = np.abs(Xr[52:, 0] - X[s.sample_origin_, 0]) / s.scale_[0]
    np.testing.assert_allclose(step, s.radii_, rtol=1e-6, atol=1e-12)


def test_thousand_features():
    X, y = small(n0=40, n1=15, d=1000)
    s, Xr, yr = run(X, y, max_iter=5)
    assert Xr.shape == (80, 1000) and Counter(yr) == {0: 40, 1: 40}
    assert np.all(np.isfinite(Xr))
    assert s.bandwidth_ == pytest.approx(resolve_bandwidth("scott", 55, 1000))


def test_constant_features_copied_and_left_out_of_the_kde():
    X, y = small(d=4)
    X[:, 1] = 7.25
    X[:, 3] = -1.0
    s, Xr, _ = run(X, y)
    assert np.all(Xr[:, 1] == 7.25) and np.all(Xr[:, 3] == -1.0)
    assert s.scale_[1] == 1.0 and s.scale_[3] == 1.0
    assert s.bandwidth_ == pytest.approx(resolve_bandwidth("scott", 52, 2))
    moved = np.linalg.norm((Xr[52:] - X[s.sample_origin_]) / s.scale_, axis=1)
    np.testing.assert_allclose(moved, s.radii_, rtol=1e-6, atol=1e-12)


def test_all_features_constant_gives_copies(caplog):
    X, y = small()
    X[:] = 3.0
    with caplog.at_level("WARNING", logger="simpor_ext"):
        s, Xr, yr = run(X, y)
    assert Counter(yr) == {0: 40, 1: 40} and np.all(Xr == 3.0)
    assert "constant" in caplog.text
