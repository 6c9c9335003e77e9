"""No silent wrong output (issue #18): finite in, finite out; every column in
its dtype and range; units never matter; what cannot be done is refused
before any work, naming the column."""
import warnings

import numpy as np
import pandas as pd
import pytest

from simpor_ext import SIMPOR, balance
from problems import two_classes

FAST = dict(informative=None, max_iter=20, device="cpu", n_jobs=1, random_state=0)


def data(n0=120, n1=30, d=4, seed=0):
    return two_classes(n0, n1, d, seed)


def run(X, y, **params):
    s = SIMPOR(**{**FAST, **params})
    return s, *s.fit_resample(X, y)


# ------------------------------------------------------------ magnitudes
def test_one_huge_value_keeps_every_synthetic_value_finite():
    """Squaring 1e300 for the standard deviation overflowed: every synthetic
    value of the column was +-inf."""
    X, y = data(250, 50)
    X[0, 0] = 1e300
    s, Xr, yr = run(X, y)
    assert Xr.shape == (500, 4)
    assert np.isfinite(Xr).all()
    assert np.isfinite(s.center_).all() and np.isfinite(s.scale_).all()
    np.testing.assert_array_equal(Xr[:300], X)


@pytest.mark.parametrize("power", [-1000, -60, 60, 1000])
def test_units_never_matter(power):
    """A column in other units (by a power of two, so exactly) gives the same
    rows in those units, bit for bit, from 2**-1000 to 2**1000."""
    X, y = data(d=3)
    base = run(X, y)[1]
    scaled = X.copy()
    scaled[:, 1] = np.ldexp(X[:, 1], power)
    out = run(scaled, y)[1]
    np.testing.assert_array_equal(out[:, 1], np.ldexp(base[:, 1], power))
    np.testing.assert_array_equal(out[:, [0, 2]], base[:, [0, 2]])


def test_tiny_variance_column_still_varies():
    """An absolute threshold took a column times 1e-15 for constant: its
    synthetic values were copies of the seeds'."""
    X, y = data()
    base_s, base, _ = run(X, y)
    X[:, 0] *= 1e-15
    s, Xr, _ = run(X, y)
    assert not np.array_equal(Xr[150:, 0], X[s.sample_origin_, 0])
    np.testing.assert_allclose(Xr[150:, 0], base[150:, 0] * 1e-15, rtol=1e-6)
    np.testing.assert_allclose(s.radii_, base_s.radii_, rtol=1e-6)


def test_rounding_noise_is_still_constant():
    X, y = data()
    X[:, 2] = 1e6
    X[::2, 2] = np.nextafter(1e6, 2e6)  # one ulp apart: noise, not a feature
    s, Xr, _ = run(X, y)
    assert s.scale_[2] == 1.0
    np.testing.assert_array_equal(Xr[150:, 2], X[s.sample_origin_, 2])


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_narrow_floats_near_their_limit_stay_finite(dtype):
    X, y = data()
    big = np.finfo(dtype).max
    X = (np.clip(X / 3, -1, 1) * float(big)).astype(dtype)
    Xr = run(X, y)[1]
    assert Xr.dtype == dtype and np.isfinite(Xr).all()
    np.testing.assert_array_equal(Xr[:150], X)


def test_a_non_finite_result_is_an_error_not_output(monkeypatch):
    """The last check: whatever goes wrong upstream, no inf or NaN comes back."""
    from simpor_ext.bandwidth import Standardizer

    inverse = Standardizer.inverse
    monkeypatch.setattr(Standardizer, "inverse", lambda self, Z, template: inverse(self, Z * np.nan, template))
    X, y = data()
    with pytest.raises(RuntimeError, match="non-finite synthetic values"):
        run(X, y)


# ------------------------------------------------------------ integer columns
def test_narrow_integer_frame_columns_come_back_in_range():
    """uint8 failed at the very end ('Cannot losslessly cast from float64 to
    uint8'); integer columns are clipped to what they hold."""
    X, y = data()
    df = pd.DataFrame({"u8": np.clip(X[:, 0] * 100 + 128, 0, 255).astype(np.uint8),
                       "i8": np.clip(X[:, 1] * 60, -128, 127).astype(np.int8),
                       "nullable": pd.array(np.rint(X[:, 2] * 5).astype(np.int64) + 3, dtype="Int16"),
                       "flag": X[:, 3] > 0.5,
                       "x": X[:, 0]})
    Xr = run(df, y)[1]
    assert list(Xr.dtypes) == list(df.dtypes)
    pd.testing.assert_frame_equal(Xr.iloc[:150], df)
    for name in ("u8", "i8", "nullable"):
        synthetic = Xr[name].iloc[150:].astype(np.int64)
        assert synthetic.between(df[name].min(), df[name].max()).all(), name


def test_integer_arrays_clipped_to_the_range_they_hold():
    X, y = data()
    Xi = np.clip(np.abs(X) * 20, 0, 255).astype(np.uint8)
    Xi[:, 1] = np.clip(Xi[:, 1], 10, 40)
    Xr = run(Xi, y)[1]
    assert Xr.dtype == np.uint8
    assert (Xr.min(axis=0) == Xi.min(axis=0)).all() and (Xr.max(axis=0) == Xi.max(axis=0)).all()


def test_int64_frame_beyond_2_53_returns_its_rows_unchanged():
    """The frame went through float64 whole: 2**62 + 1 came back as 2**62."""
    X, y = data()
    df = pd.DataFrame({"x": X[:, 0], "id": np.arange(150, dtype=np.int64) + 2 ** 62 + 1})
    Xr = run(df, y)[1]
    pd.testing.assert_frame_equal(Xr.iloc[:150], df)
    assert Xr["id"].dtype == np.int64
    assert Xr["id"].iloc[150:].between(2 ** 62, 2 ** 62 + 150).all()


@pytest.mark.parametrize("container", ["array", "frame"])
def test_int64_columns_near_2_62_keep_their_spread(container):
    """Values 2**62 + (a few thousand) went through float64 whole: their
    spread fell below its rounding noise and the column was called constant."""
    X, y = data()
    Xi = np.round(X * 1000).astype(np.int64) + 2 ** 62
    s, Xr, _ = run(pd.DataFrame(Xi, columns=list("abcd")) if container == "frame" else Xi, y)
    Xr = np.asarray(Xr)
    assert np.all(s.scale_ > 100), s.scale_
    synthetic = Xr[150:] - 2 ** 62
    assert np.all(np.ptp(synthetic, axis=0) > 100)  # the columns moved
    low, high = (Xi - 2 ** 62).min(axis=0), (Xi - 2 ** 62).max(axis=0)
    assert np.all((synthetic >= low) & (synthetic <= high))
    # the same rows as the small integers give, shifted exactly
    small = run(Xi - 2 ** 62, y)[1]
    np.testing.assert_array_equal(Xr[150:] - 2 ** 62, small[150:])


def test_wide_mixed_frame_is_not_fragmented():
    X, y = data(d=240)
    df = pd.DataFrame({f"c{j}": (X[:, j] if j % 2 else np.rint(X[:, j] * 3).astype(np.int64)) for j in range(240)})
    Xr = run(df, y, max_iter=3)[1]
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.PerformanceWarning)
        Xr["extra"] = 0  # pandas warns 'highly fragmented' when a frame has > 100 blocks


# ------------------------------------------------------------ refused columns
@pytest.mark.parametrize("column", [
    pd.Categorical(np.arange(150) % 3),
    pd.Categorical(np.array(["u", "v", "w"])[np.arange(150) % 3]),
    np.array(["u", "v", "w"])[np.arange(150) % 3],
    pd.date_range("2020-01-01", periods=150),
], ids=["int categorical", "str categorical", "strings", "dates"])
def test_columns_declared_numeric_that_hold_no_numbers_are_refused_naming_them(column):
    """Numeric categoricals came back NaN in every synthetic row; string ones
    failed without naming the column. (By default, categoricals and strings
    are categorical columns: tests/test_mixed_sampler.py.)"""
    X, y = data()
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    df["kind"] = column
    with pytest.raises(ValueError, match=r"column 'kind' \(.+\) of X does not hold numbers: name them in "
                                         "categorical_features"):
        balance(df, y, **FAST, categorical_features=None)


def test_every_non_numeric_column_named():
    X, y = data()
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(city="Tampa", zone=pd.Categorical(["x"] * 150))
    with pytest.raises(ValueError, match=r"columns 'city' \(.+\), 'zone' \(category\) of X do not"):
        balance(df, y, **FAST, categorical_features=None)


def test_dates_are_neither_numeric_nor_categorical():
    X, y = data()
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(when=pd.date_range("2020-01-01", periods=150))
    with pytest.raises(ValueError, match=r"column 'when' \(datetime64.*\) of X is neither numeric nor categorical"):
        balance(df, y, **FAST)


def test_numbers_in_an_object_column_are_fine():
    X, y = data()
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"]).astype({"d": object})
    Xr = run(df, y)[1]
    assert Xr["d"].dtype == object and np.isfinite(Xr["d"].to_numpy(dtype=float)).all()


# ------------------------------------------------------------ degenerate classes
def test_identical_minority_rows_warn(caplog):
    X, y = data()
    X[120:] = X[120]
    with caplog.at_level("WARNING", logger="simpor_ext"):
        Xr = run(X, y)[1]
    assert "class 1: its 30 rows are identical, so its 90 synthetic rows are exact copies" in caplog.text
    np.testing.assert_array_equal(Xr[150:], np.repeat(X[120:121], 90, axis=0))
