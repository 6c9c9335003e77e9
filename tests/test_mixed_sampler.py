"""SIMPOR on mixed numeric and categorical columns: containers, the
categorical_features parameter, the rules for a synthetic row's categories,
errors, and that numeric data give the bytes they gave before."""
import hashlib
import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference as ref
from simpor_ext import SIMPOR, balance, device_info

FAST_AL = dict(initial_size=20, query_size=15, max_rounds=2, mlp_params=dict(hidden_layer_sizes=(16,), max_iter=40))
FAST = dict(informative=FAST_AL, max_iter=40, device="cpu", n_jobs=1, random_state=0)


def mixed_frame(n0=160, n1=40, seed=0):
    """Two numeric columns, an int, a category (with an unused level, ordered
    levels), a str column, an object column of text and a bool; class 1 leans
    to some categories."""
    rng = np.random.default_rng(seed)
    y = np.r_[np.zeros(n0, int), np.ones(n1, int)]
    lean = y == 1
    df = pd.DataFrame({
        "x": rng.normal(size=y.size) + lean,
        "z": rng.normal(size=y.size) * 3 - lean,
        "count": rng.integers(0, 9, y.size) + 2 * lean,
        "colour": pd.Categorical(np.where(lean & (rng.random(y.size) < 0.7), "red",
                                          rng.choice(["blue", "green", "red"], y.size)),
                                 categories=["red", "green", "blue", "violet"]),
        "city": pd.array(np.where(lean, rng.choice(["Oslo", "Rome"], y.size), rng.choice(["Oslo", "Rome", "Lima"],
                                                                                         y.size)), dtype="str"),
        "kind": pd.Series(rng.choice(["a", "b"], y.size), dtype=object),
        "flag": (rng.random(y.size) < 0.3) | lean,
    })
    return df, pd.Series(y, name="label")


def run(X, y, **params):
    s = SIMPOR(**{**FAST, **params})
    return s, *s.fit_resample(X, y)


# ---------------------------------------------------------------- numeric data: the bytes of before
# balance() outputs of numeric data recorded with the code before categorical
# support (14fa44f, and with the newton rule's L-BFGS circles, which left the
# default path's bytes as they were; AVX2 build): the mixed-data path must not
# move them.
PINNED = {
    ("newton", None): "802b587da42ef3f4198849940ae9ff8241aca8b8148d63c398e1fcb8cf2df845",
    ("float64", None): "a00c3135493b56dc1b2106df61ce2777cbee4c358a9237302cbf11554dfd9aba",
    ("float64", "auto"): "2294705305fc0ae7369901c7b3ed3ef80e7c530d0619cbf47a176159e3a99a2b",
    ("float32", None): "3b6068c72e44ed04ffd114c812d1734c484bd4e9c5940995be244af6ff09e88e",
    ("float32", "auto"): "1ad16da4886fa5426778612701e164d01605d3651f75fc5fa27ffe8e66871486",
    ("frame", None): "afeb9b6d5e384ed5cdba01f5360b968ca48633be071d1f55081b11f8850da493",
}


@pytest.mark.skipif(device_info()["cpu"].get("simd") not in ("avx2", "avx512"),
                    reason="bytes recorded on the AVX2 build")
@pytest.mark.parametrize("kind, informative", list(PINNED), ids=[f"{k}-{i}" for k, i in PINNED])
def test_numeric_data_give_the_bytes_of_before(kind, informative):
    rng = np.random.default_rng(11)
    X = np.concatenate([rng.normal(size=(240, 4)), rng.normal(0.9, 0.8, size=(50, 4)),
                        rng.normal(-1, 0.7, size=(25, 4))])
    y = np.r_[np.zeros(240, int), np.ones(50, int), np.full(25, 2)]
    rule = "newton" if kind == "newton" else "auto"
    if kind == "frame":
        X = pd.DataFrame(X, columns=list("abcd")).assign(n=np.rint(X[:, 0] * 7).astype(np.int64))
    elif kind != "newton":
        X = X.astype(kind)
    Xr, yr = balance(X, y, random_state=5, informative=informative, n_jobs=1, device="cpu", step_rule=rule)
    data = Xr.to_numpy() if kind == "frame" else Xr
    assert hashlib.sha256(data.tobytes() + yr.tobytes()).hexdigest() == PINNED[kind, informative]


# ---------------------------------------------------------------- pandas
def _held_by_class(X, y, Xr, yr, column):
    n = len(X)
    for label in np.unique(y):
        new = set(np.asarray(Xr[column])[n:][np.asarray(yr)[n:] == label])
        assert new <= set(np.asarray(X[column])[np.asarray(y) == label]), (column, label)


def test_pandas_mixed_frame_round_trip():
    df, y = mixed_frame()
    before = df.copy()
    s, Xr, yr = run(df, y)
    assert list(Xr.columns) == list(df.columns) and list(Xr.dtypes) == list(df.dtypes)
    assert list(Xr["colour"].cat.categories) == ["red", "green", "blue", "violet"]
    assert Counter(yr) == {0: 160, 1: 160}
    pd.testing.assert_frame_equal(Xr.iloc[:200], df)
    pd.testing.assert_frame_equal(df, before)
    for column in ("colour", "city", "kind", "flag"):
        _held_by_class(df, y, Xr, yr, column)
    np.testing.assert_array_equal(s.categorical_features_, [3, 4, 5, 6])
    assert s.category_log_weight_.shape == (4,) and np.all(s.category_log_weight_ < 0)
    assert list(s.feature_names_in_) == list(df.columns)


def test_synthetic_numeric_part_lies_on_its_sphere_and_log_ratio_is_the_mixed_density():
    df, y = mixed_frame(seed=3)
    df = df.drop(columns=["count"])  # an integer column is rounded after the ascent
    s, Xr, yr = run(df, y, informative=None, kde_tol=0.0)
    num, cat = ["x", "z"], ["colour", "city", "kind", "flag"]
    Z = (df[num].to_numpy(float) - s.center_) / s.scale_
    Zr = (Xr[num].to_numpy(float)[200:] - s.center_) / s.scale_
    np.testing.assert_allclose(np.linalg.norm(Zr - Z[s.sample_origin_], axis=1), s.radii_, rtol=1e-9, atol=1e-12)
    levels = [pd.Categorical(df[c]).categories if c != "colour" else df[c].cat.categories for c in cat]
    codes = np.stack([pd.Categorical(df[c], categories=lv).codes for c, lv in zip(cat, levels)], axis=1)
    new = np.stack([pd.Categorical(Xr[c], categories=lv).codes for c, lv in zip(cat, levels)], axis=1)[200:]
    f = ref.log_ratio_grad(Zr, Z[y == 1], Z[y == 0], s.bandwidth_, new, codes[y == 1], codes[y == 0],
                           s.category_log_weight_)[0]
    np.testing.assert_allclose(s.log_ratio_, f, rtol=1e-9, atol=1e-9)


def test_same_seed_same_bytes_for_any_n_jobs():
    df, y = mixed_frame(seed=4)
    one = run(df, y, n_jobs=1)[1]
    two = run(df, y, n_jobs=2)[1]
    pd.testing.assert_frame_equal(one, two)


# ---------------------------------------------------------------- other containers
@pytest.mark.parametrize("library", ["polars", "pyarrow"])
def test_polars_and_pyarrow_mixed_frames_keep_their_schema(library):
    lib = pytest.importorskip(library)
    df, y = mixed_frame(seed=5)
    data = df.drop(columns=["colour"]).assign(city=df["city"].astype(object))
    frame = lib.from_pandas(data) if library == "polars" else lib.Table.from_pandas(data, preserve_index=False)
    if library == "polars":
        frame = frame.with_columns(lib.Series("tone", df["colour"].astype(str), dtype=lib.Enum(["red", "green",
                                                                                                  "blue", "violet"])))
    s, Xr, yr = run(frame, y.to_numpy())
    assert type(Xr) is type(frame) and Xr.schema == frame.schema and len(Xr) == 320
    assert Counter(yr) == {0: 160, 1: 160}
    names = list(frame.schema.names) if library == "pyarrow" else list(frame.columns)
    back = pd.DataFrame({c: np.asarray(Xr[c].to_numpy() if library == "polars" else Xr[c].to_pylist(),
                                       dtype=object) for c in names})
    original = pd.DataFrame({c: np.asarray(frame[c].to_numpy() if library == "polars" else frame[c].to_pylist(),
                                           dtype=object) for c in names})
    pd.testing.assert_frame_equal(back.iloc[:200], original)
    for column in ("city", "kind", "flag"):
        _held_by_class(original, y.to_numpy(), back, yr, column)


def test_numpy_object_array_reads_text_columns_as_categories():
    df, y = mixed_frame(seed=6)
    X = df[["x", "city", "z", "kind"]].to_numpy(dtype=object)
    s, Xr, yr = run(X, y.to_numpy())
    assert Xr.dtype == object and Xr.shape == (320, 4)
    np.testing.assert_array_equal(s.categorical_features_, [1, 3])
    assert set(Xr[200:, 1]) <= {"Oslo", "Rome"}  # what class 1 holds
    assert all(isinstance(v, float) for v in Xr[200:, 0])


def test_numeric_array_with_categorical_indices():
    """Integer-coded categories in a float array: named by index, they only take values the class holds."""
    df, y = mixed_frame(seed=7)
    X = np.column_stack([df["x"], df["colour"].cat.codes * 10.0, df["z"]])
    s, Xr, yr = run(X, y.to_numpy(), categorical_features=[1])
    assert Xr.dtype == np.float64
    assert set(Xr[200:, 1]) <= set(X[y.to_numpy() == 1, 1])
    s2, Xm, _ = run(X, y.to_numpy(), categorical_features=[False, True, False])
    np.testing.assert_array_equal(Xm, Xr)
    s3, Xn, _ = run(X, y.to_numpy(), categorical_features=[-2])
    np.testing.assert_array_equal(Xn, Xr)


def test_categorical_features_by_name_and_none():
    df, y = mixed_frame(seed=8)
    num = df[["x", "z", "count"]]
    s, Xr, _ = run(num, y, categorical_features=["count"])
    np.testing.assert_array_equal(s.categorical_features_, [2])
    assert set(Xr["count"].iloc[200:]) <= set(num["count"][y == 1])
    s, Xr, _ = run(num, y, categorical_features=None)
    assert s.categorical_features_.size == 0


@pytest.mark.parametrize("spec, match", [
    ([7], "index 7 is out of range for 7 features"),
    (["nope"], r"unknown column\(s\) \['nope'\]"),
    ([True, False], "one entry per feature"),
    ([1.5], "categorical_features must be"),
])
def test_bad_categorical_features(spec, match):
    df, y = mixed_frame()
    with pytest.raises(ValueError, match=match):
        run(df, y, categorical_features=spec)


def test_names_need_column_names():
    df, y = mixed_frame()
    with pytest.raises(ValueError, match="X has no column names"):
        run(df[["x", "z"]].to_numpy(), y, categorical_features=["x"])


@pytest.mark.parametrize("bad", [dict(categorical_bandwidth=0.0), dict(categorical_bandwidth=1.5),
                                 dict(categorical_bandwidth="silverman"), dict(categorical_rule="mode"),
                                 dict(categorical_features="all")])
def test_bad_categorical_parameters(bad):
    from sklearn.utils._param_validation import InvalidParameterError

    df, y = mixed_frame()
    with pytest.raises(InvalidParameterError):
        run(df, y, **bad)


# ---------------------------------------------------------------- errors, located
def test_missing_category_is_named():
    df, y = mixed_frame()
    df.loc[17, "city"] = None
    with pytest.raises(ValueError, match=r"categorical column 'city' of X has a missing value at row 17, "
                                         r"column 'city' \(1 in this column\)"):
        run(df, y)


def test_mixed_object_column_is_named_and_can_be_declared_categorical():
    df, y = mixed_frame()
    df["code"] = pd.Series([1.5] * 200, dtype=object)
    df.loc[9, "code"] = "n/a"
    with pytest.raises(ValueError, match=r"column 'code' of X mixes numbers and text \(row 9, column 'code' "
                                         r"holds 'n/a'\)"):
        run(df, y)
    s, Xr, _ = run(df, y, categorical_features=[3, 4, 5, 6, 7])
    assert set(Xr["code"].iloc[200:]) <= {1.5, "n/a"}


def test_dates_are_refused():
    df, y = mixed_frame()
    df["when"] = pd.date_range("2020-01-01", periods=200)
    with pytest.raises(ValueError, match=r"column 'when' \(datetime64.*\) of X is neither numeric nor categorical"):
        run(df, y)


# ---------------------------------------------------------------- the rules for the categories
def categorical_only(seed=0, n0=150, n1=30):
    rng = np.random.default_rng(seed)
    y = np.r_[np.zeros(n0, int), np.ones(n1, int)]
    cols = {f"c{j}": np.where((y == 1) & (rng.random(y.size) < 0.6), f"v{j % 3}",
                              rng.choice([f"v{k}" for k in range(4)], y.size)) for j in range(5)}
    return pd.DataFrame(cols), y


def test_categorical_only_data():
    X, y = categorical_only()
    s, Xr, yr = run(X, y)
    assert Counter(yr) == {0: 150, 1: 150} and np.all(s.radii_ == 0) and s.converged_.all()
    for column in X.columns:
        _held_by_class(X, y, Xr, yr, column)
    # rows of one seed may differ: each draws its own neighbour (module simpor_ext.categories)
    rows = Xr.iloc[180:].assign(seed=s.sample_origin_)
    assert (rows.drop_duplicates().groupby("seed").size() > 1).any()


def test_ratio_rule_never_lowers_log_f_below_the_seeds_values():
    """Coordinate ascent from the seed's values: each row's log f is at least the seed rule's."""
    X, y = categorical_only(seed=1)
    ratio = run(X, y, categorical_rule="ratio", informative=None)[0]
    seed = run(X, y, categorical_rule="seed", informative=None)[0]
    np.testing.assert_array_equal(ratio.sample_origin_, seed.sample_origin_)
    assert np.all(ratio.log_ratio_ >= seed.log_ratio_ - 1e-12)
    assert np.mean(ratio.log_ratio_ > seed.log_ratio_ + 1e-9) > 0.2


def test_seed_rule_copies_the_seeds_categories():
    df, y = mixed_frame(seed=9)
    s, Xr, _ = run(df, y, categorical_rule="seed")
    for column in ("colour", "city", "kind", "flag"):
        np.testing.assert_array_equal(np.asarray(Xr[column])[200:], np.asarray(df[column])[s.sample_origin_])


def test_frequent_rule_takes_the_neighbours_mode():
    from simpor_ext.categories import most_frequent

    candidates = np.array([[[0, 2], [1, 2], [1, 0], [0, 0]],   # seed 0|2, neighbours 1,1,0 | 2,0,0
                           [[2, 1], [0, 1], [2, 0], [1, 0]]])  # neighbours 0,2,1 (a tie: the seed's 2) | 1,0,0
    np.testing.assert_array_equal(most_frequent(candidates), [[1, 0], [2, 0]])


# ---------------------------------------------------------------- properties
@st.composite
def mixed_problems(draw):
    n0 = draw(st.integers(12, 40))
    n1 = draw(st.integers(3, 10))
    n_num = draw(st.integers(0, 2))
    n_cat = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    y = np.r_[np.zeros(n0, int), np.ones(n1, int)]
    cols = {f"n{j}": rng.normal(size=y.size) + (y == 1) for j in range(n_num)}
    for j in range(n_cat):
        levels = draw(st.integers(1, 4))
        cols[f"c{j}"] = pd.Categorical(rng.integers(0, levels, y.size).astype(str))
    return pd.DataFrame(cols), y


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=mixed_problems(), rule=st.sampled_from(["ratio", "frequent", "seed"]))
def test_any_mixed_frame_balances_with_held_categories(problem, rule):
    X, y = problem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s, Xr, yr = run(X, y, categorical_rule=rule, informative=None, k_neighbors=3, max_iter=10)
        again = run(X, y, categorical_rule=rule, informative=None, k_neighbors=3, max_iter=10)[1]
    assert Counter(yr) == {0: len(y) - y.sum(), 1: len(y) - y.sum()}
    pd.testing.assert_frame_equal(Xr.iloc[: len(X)], X)
    pd.testing.assert_frame_equal(Xr, again)
    assert list(Xr.dtypes) == list(X.dtypes)
    for column in X.columns:
        if column.startswith("c"):
            _held_by_class(X, y, Xr, yr, column)
