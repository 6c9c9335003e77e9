"""Properties of the public API over random inputs (hypothesis).

Shapes from 2 rows and 1 to 300 features, every numeric dtype (numpy and
pandas' nullable ones), label types, magnitudes from 1e-300 to 1e300 mixed in
one column, duplicated rows and constant columns. Whatever the input, balance
either returns or raises a ValueError/TypeError with a message before any
work, and what it returns holds:

* exactly the target count of every class;
* the original rows and labels first, unchanged, in their container and dtypes;
* finite synthetic values, integer ones within the range their column holds;
* the same bytes for the same random_state.

The examples found by hypothesis that once failed are kept as plain tests at
the end. ``SIMPOR_PROPERTY_SCALE=10`` runs ten times the examples.
"""
from __future__ import annotations

import os
from collections import Counter

import numpy as np
import pandas as pd
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import simpor_ext  # noqa: E402

FAST = dict(informative=None, max_iter=5, device="cpu", n_jobs=1)
TINY_AL = dict(initial_size=4, query_size=4, max_rounds=1, mlp_params=dict(hidden_layer_sizes=(4,), max_iter=5))
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SCALE = int(os.environ.get("SIMPOR_PROPERTY_SCALE", "1"))  # more examples for a longer search


def examples(n: int) -> int:
    return n * SCALE

NUMPY_DTYPES = ["float64", "float32", "float16", "int64", "int32", "int8", "uint8", "uint64", "bool"]
FRAME_DTYPES = NUMPY_DTYPES + ["Int64", "Int8", "UInt16", "Float64", "Float32", "boolean"]
LABELS = {
    "int": lambda k: np.arange(k) * 7 - 3,
    "str": lambda k: np.array(["minority", "majority", "other"][:k]),
    "bool": lambda k: np.array([True, False][:k]),
    "whole float": lambda k: np.arange(k, dtype=np.float64) + 0.0,
    "int8": lambda k: np.arange(k, dtype=np.int8),
}


# ------------------------------------------------------------------ inputs
def _float_column(rng: np.random.Generator, n: int, dtype: np.dtype, low: int, high: int) -> np.ndarray:
    """Signed values of magnitude 10**low .. 10**high (within the dtype)."""
    top = int(np.log10(np.finfo(dtype).max)) - 1
    bottom = int(np.log10(np.finfo(dtype).smallest_subnormal))  # subnormals included
    low, high = sorted((max(bottom, min(low, top)), max(bottom, min(high, top))))
    exponents = rng.uniform(low, high, n)
    return (rng.choice([-1.0, 1.0], n) * 10.0 ** exponents).astype(dtype)


def _int_column(rng: np.random.Generator, n: int, dtype: np.dtype, wide: bool) -> np.ndarray:
    info = np.iinfo(dtype)
    if wide:  # the dtype's whole range, its ends included
        values = rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
        values[rng.integers(0, n)] = info.max
        return values
    return rng.integers(max(info.min, -50), min(info.max, 50), n, endpoint=True).astype(dtype)


def _column(rng: np.random.Generator, n: int, dtype: str, low: int, high: int, wide: bool):
    base = np.dtype(dtype.lower()) if dtype != "boolean" else np.dtype(bool)
    if base.kind == "b":
        values = rng.random(n) < 0.5
    elif base.kind == "f":
        values = _float_column(rng, n, base, low, high)
    else:
        values = _int_column(rng, n, base, wide)
    return values if dtype == base.name else pd.array(values, dtype=dtype)


@st.composite
def problems(draw, max_rows: int = 40, max_features: int = 300, frames: bool = True):
    """(X, y, random_state): a random classification problem."""
    n_classes = draw(st.integers(2, 3))
    counts = draw(st.lists(st.integers(1, max_rows // n_classes), min_size=n_classes, max_size=n_classes))
    n = sum(counts)
    d = draw(st.integers(1, max(1, min(max_features, 3000 // n))))
    frame = frames and draw(st.booleans())
    dtypes = draw(st.lists(st.sampled_from(FRAME_DTYPES if frame else NUMPY_DTYPES), min_size=1,
                           max_size=1 if not frame else 3))
    low = draw(st.integers(-330, 300))
    high = draw(st.integers(-330, 300))
    wide = draw(st.booleans())
    duplicates = draw(st.integers(0, n - 1))
    constant = draw(st.integers(0, d))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    labels = draw(st.sampled_from(sorted(LABELS) if n_classes == 2 else sorted(set(LABELS) - {"bool"})))
    random_state = draw(st.integers(0, 2 ** 31 - 1))

    rng = np.random.default_rng(seed)
    columns = [_column(rng, n, dtypes[j % len(dtypes)], low, high, wide) for j in range(d)]
    for j in rng.choice(d, size=constant, replace=False):
        columns[j][:] = columns[j][0]
    rows = rng.choice(n, size=duplicates)  # rows copied from others
    for values in columns:
        values[rows] = values[rng.choice(n, size=duplicates)]
    if frame:
        names = [f"f{j}" for j in range(d)] if draw(st.booleans()) else list(range(d))
        X = pd.DataFrame(dict(zip(names, columns)), index=np.arange(n) * 3 + 10)
        if draw(st.booleans()):  # Python numbers in an object column
            X[names[-1]] = X[names[-1]].astype(object)
    else:
        X = np.stack(columns, axis=1)
    y = np.repeat(LABELS[labels](n_classes), counts)[rng.permutation(n)]
    return X, y, random_state


# ------------------------------------------------------------------ checks
def _column_values(X, j: int) -> np.ndarray:
    return X.iloc[:, j].to_numpy() if isinstance(X, pd.DataFrame) else X[:, j]


def check_result(X, y, params: dict, Xr, yr, sampler) -> None:
    n = len(y)
    before, after = Counter(y.tolist()), Counter(np.asarray(yr).tolist())
    assert after == {c: before[c] + sampler.sampling_strategy_.get(c, 0) for c in before}
    assert len(Xr) == len(yr)
    assert type(Xr) is type(X)
    if isinstance(X, pd.DataFrame):
        assert list(Xr.dtypes) == list(X.dtypes) and list(Xr.columns) == list(X.columns)
        pd.testing.assert_frame_equal(Xr.iloc[:n], X.reset_index(drop=True), check_exact=True)
    else:
        assert Xr.dtype == X.dtype and Xr.shape[1] == X.shape[1]
        assert Xr[:n].tobytes() == X.tobytes()
    assert np.asarray(yr).dtype == y.dtype and np.array_equal(np.asarray(yr)[:n], y)
    for j in range(X.shape[1]):
        held, new = _column_values(X, j), _column_values(Xr, j)[n:]
        kind = held.dtype.kind if held.dtype != object else np.asarray(held.tolist()).dtype.kind
        if kind in "iu":  # integers: within the range the column holds
            assert all(held.min() <= v <= held.max() for v in new.tolist()), j
        elif kind == "f":
            assert np.isfinite(new.astype(np.float64)).all(), j


def balance_checked(X, y, random_state, **params):
    params = {**FAST, "random_state": random_state, **params}
    sampler = simpor_ext.SIMPOR(**params)
    try:
        Xr, yr = sampler.fit_resample(X, y)
    except (ValueError, TypeError) as exc:  # a clear refusal, never a crash
        assert str(exc).strip(), repr(exc)
        raise
    check_result(X, y, params, Xr, yr, sampler)
    return Xr, yr


def same_bytes(a, b) -> bool:
    if isinstance(a, pd.DataFrame):
        return all(a.iloc[:, j].to_numpy().tobytes() == b.iloc[:, j].to_numpy().tobytes()
                   if a.iloc[:, j].dtype != object else a.iloc[:, j].equals(b.iloc[:, j]) for j in range(a.shape[1]))
    return np.asarray(a).tobytes() == np.asarray(b).tobytes()


# ------------------------------------------------------------------ properties
@settings(max_examples=examples(60), **SETTINGS)
@given(problems())
def test_balance_holds_its_guarantees(problem):
    X, y, random_state = problem
    Xr, yr = balance_checked(X, y, random_state)
    Xr2, yr2 = balance_checked(X, y, random_state)
    assert same_bytes(Xr, Xr2) and same_bytes(yr, yr2)


@settings(max_examples=examples(15), **SETTINGS)
@given(problems(max_features=20, frames=False), st.integers(-1000, 1000))
def test_units_never_matter(problem, power):
    """Every float64 column times 2**power (exact): the output is the same
    rows times 2**power, bit for bit, while nothing overflows."""
    X, y, random_state = problem
    X = X.astype(np.float64)
    peak = np.abs(X).max()
    with np.errstate(over="ignore"):
        hypothesis.assume(np.isfinite(np.ldexp(peak, power + 4)))  # room for the synthetic rows
    scaled = np.ldexp(X, power)
    hypothesis.assume(np.array_equal(np.ldexp(scaled, -power), X))  # no subnormal lost a bit
    base = balance_checked(X, y, random_state)[0]
    out = balance_checked(scaled, y, random_state)[0]
    hypothesis.assume(np.array_equal(np.ldexp(np.ldexp(base, power), -power), base))
    assert out.tobytes() == np.ldexp(base, power).tobytes()


@settings(max_examples=examples(25), **SETTINGS)
@given(problems(max_features=20), st.sampled_from(["not majority", "all", "minority"]),
       st.sampled_from(["rest", "majority"]))
def test_other_strategies_and_contrasts(problem, strategy, contrast):
    X, y, random_state = problem
    balance_checked(X, y, random_state, sampling_strategy=strategy, contrast=contrast)


@settings(max_examples=examples(6), **SETTINGS)
@given(problems(max_rows=30, max_features=6, frames=False))
def test_with_active_learning(problem):
    X, y, random_state = problem
    balance_checked(X, y, random_state, informative=TINY_AL)


@settings(max_examples=examples(20), **SETTINGS)
@given(problems(max_features=10), st.sampled_from(["nan", "inf", "one class", "fraction"]))
def test_bad_input_is_refused_with_a_message(problem, defect):
    X, y, random_state = problem
    if defect in ("nan", "inf"):
        X = X.astype(np.float64)
        if isinstance(X, pd.DataFrame):
            X.iloc[0, -1] = np.nan if defect == "nan" else np.inf
        else:
            X[0, -1] = np.nan if defect == "nan" else np.inf
    elif defect == "one class":
        y = np.full_like(y, y[0])
    else:
        y = np.linspace(0.25, 0.75, len(y))
    with pytest.raises(ValueError, match=r"\w"):
        balance_checked(X, y, random_state)


# ------------------------------------------------------------------ found by hypothesis
def test_constant_int64_column_at_its_limit_copied_exactly():
    """A constant column went through float64: 2**63 - 1 became 2**63, then
    was clipped to 2**63 - 1024, below everything the column holds."""
    top = np.iinfo(np.int64).max
    y = np.array([True, False, False])
    for X in (pd.DataFrame({"f0": np.full(3, top)}), np.full((3, 2), top)):
        Xr = balance_checked(X, y, 0)[0]
        assert (np.asarray(Xr) == top).all()


def test_integers_in_an_object_column_stay_integers_in_range():
    """An object column of Python ints got unrounded floats, outside its range."""
    X = pd.DataFrame({0: pd.Series([35, 14, 1, -23], dtype=object)})
    y = np.array([False, True, True, True])
    Xr = balance_checked(X, y, 0)[0]
    assert Xr[0].dtype == object
    assert all(isinstance(v, int) and -23 <= v <= 35 for v in Xr[0].iloc[4:])
