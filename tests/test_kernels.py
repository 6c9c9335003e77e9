"""log f and grad log f against the float64 reference and finite differences."""
import numpy as np
import pytest

import reference as ref
from problems import DEVICES, make_problem, unit_rows
from simpor_ext import kernels

TOL = {np.float64: 1e-10, np.float32: 1e-4}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("d", [1, 2, 3, 4, 7, 8, 30, 300])  # d + 1 filling a vector exactly, or not
def test_matches_reference(dtype, d):
    rng = np.random.default_rng(d)
    m, n_b, n_a = rng.integers(1, 70), rng.integers(1, 300), rng.integers(1, 400)
    points, numer, denom = make_problem(rng, m, n_b, n_a, d, dtype)
    h = 0.3 * np.sqrt(d)  # kernel width comparable to the spacing at this d
    lr, g = kernels.log_ratio_grad(points, numer, denom, h, device="cpu")
    assert lr.dtype == dtype and g.dtype == dtype
    assert lr.shape == (m,) and g.shape == (m, d)
    want_lr, want_g = ref.log_ratio_grad(points, numer, denom, h)
    assert ref.rel_err(lr, want_lr) <= TOL[dtype]
    assert ref.rel_err(g, want_g) <= TOL[dtype]


def test_float32_error_is_rounding_level():
    # Far inside the 1e-4 tolerance: float32 inputs (exactly representable, so
    # only the kernel's own error counts) agree with float64 maths to ~1e-7,
    # which guards the accuracy of the exponential's polynomial.
    rng = np.random.default_rng(12)
    points, numer, denom = make_problem(rng, 40, 1500, 3000, 30, np.float32)
    h = 0.3 * np.sqrt(30)
    lr, g = kernels.log_ratio_grad(points, numer, denom, h, device="cpu")
    want_lr, want_g = ref.log_ratio_grad(*(a.astype(np.float64) for a in (points, numer, denom)), h)
    assert ref.rel_err(lr, want_lr) < 1e-6
    assert ref.rel_err(g, want_g) < 1e-5


@pytest.mark.parametrize("device", DEVICES)
def test_gradient_matches_central_differences(device):
    rng = np.random.default_rng(7)
    points, numer, denom = make_problem(rng, 5, 40, 60, 6)
    h, eps = 0.8, 1e-5
    _, g = kernels.log_ratio_grad(points, numer, denom, h, device=device)
    fd = np.empty_like(g)
    for k in range(points.shape[1]):
        e = np.zeros(points.shape[1])
        e[k] = eps
        hi, _ = kernels.log_ratio_grad(points + e, numer, denom, h, device=device)
        lo, _ = kernels.log_ratio_grad(points - e, numer, denom, h, device=device)
        fd[:, k] = (hi - lo) / (2 * eps)
    assert ref.rel_err(g, fd) < 1e-7


@pytest.mark.parametrize("h", [1e-3, 1e3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extreme_bandwidths_finite_and_correct(h, dtype):
    rng = np.random.default_rng(3)
    points, numer, denom = make_problem(rng, 20, 150, 200, 5, dtype)
    lr, g = kernels.log_ratio_grad(points, numer, denom, h, device="cpu")
    assert np.all(np.isfinite(lr)) and np.all(np.isfinite(g))
    want_lr, want_g = ref.log_ratio_grad(points, numer, denom, h)
    assert ref.rel_err(lr, want_lr) <= TOL[dtype]
    assert ref.rel_err(g, want_g) <= TOL[dtype]


@pytest.mark.parametrize("device", DEVICES)
def test_no_underflow_where_the_authors_kde_fails(device):
    # d = 30, h = 0.1: every kernel value is below 1e-300, a naive ratio is 0/0.
    rng = np.random.default_rng(11)
    points, numer, denom = make_problem(rng, 16, 100, 300, 30)
    naive = np.exp(-((points[:, None] - numer[None]) ** 2).sum(-1) / (2 * 0.01)).sum(1)
    assert np.all(naive == 0.0)
    lr, g = kernels.log_ratio_grad(points, numer, denom, 0.1, device=device)
    want_lr, want_g = ref.log_ratio_grad(points, numer, denom, 0.1)
    assert np.all(np.isfinite(lr)) and ref.rel_err(lr, want_lr) < 1e-10
    assert ref.rel_err(g, want_g) < 1e-10


def test_caller_keeps_subnormal_arithmetic():
    # The kernel flushes subnormals to zero while it runs, and must restore the
    # calling thread's floating-point mode afterwards.
    rng = np.random.default_rng(4)
    points, numer, denom = make_problem(rng, 8, 50, 50, 3, np.float32)
    kernels.log_ratio_grad(points, numer, denom, 1e-3, device="cpu")
    tiny = np.array([1e-38], dtype=np.float32)
    assert (tiny * np.float32(0.01))[0] > 0  # a subnormal, not flushed to zero
    assert np.float32(1e-40) + np.float32(0) > 0  # a subnormal operand is not read as zero


def test_translation_invariance_of_far_data():
    # Data far from the origin: centring keeps float32 scores accurate.
    rng = np.random.default_rng(5)
    points, numer, denom = make_problem(rng, 30, 200, 200, 8)
    offset = 1e4
    lr0, g0 = kernels.log_ratio_grad(points, numer, denom, 1.0, device="cpu")
    lr1, g1 = kernels.log_ratio_grad(points + offset, numer + offset, denom + offset, 1.0, device="cpu")
    assert ref.rel_err(lr1, lr0) < 1e-8 and ref.rel_err(g1, g0) < 1e-8


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_thread_count_does_not_change_bytes(dtype):
    rng = np.random.default_rng(2)
    points, numer, denom = make_problem(rng, 203, 517, 1030, 13, dtype)
    one = kernels.log_ratio_grad(points, numer, denom, 0.7, device="cpu", n_threads=1)
    two = kernels.log_ratio_grad(points, numer, denom, 0.7, device="cpu", n_threads=2)
    for a, b in zip(one, two):
        assert a.tobytes() == b.tobytes()


def test_inputs_untouched_and_views_accepted():
    rng = np.random.default_rng(4)
    base = rng.normal(size=(40, 12)).astype(np.float32)
    points = base[::2, ::2]  # non-contiguous view
    numer, denom = base[:10, :6].copy(), base[10:, 6:].copy()
    before = [a.copy() for a in (base, numer, denom)]
    lr, g = kernels.log_ratio_grad(points, numer, denom, 0.5, device="cpu")
    for a, b in zip((base, numer, denom), before):
        assert a.tobytes() == b.tobytes()
    want_lr, _ = ref.log_ratio_grad(points, numer, denom, 0.5)
    assert ref.rel_err(lr, want_lr) < 1e-4


def test_mixed_and_integer_dtypes_compute_in_float64():
    rng = np.random.default_rng(6)
    points, numer, denom = make_problem(rng, 4, 10, 10, 3)
    lr, _ = kernels.log_ratio_grad(points.astype(np.float32), numer, denom.astype(int), 1.0, device="cpu")
    assert lr.dtype == np.float64
    assert ref.rel_err(lr, ref.log_ratio(points.astype(np.float32), numer, denom.astype(int), 1.0)) < 1e-10


@pytest.mark.parametrize("device", DEVICES)
def test_empty_points(device):
    rng = np.random.default_rng(8)
    _, numer, denom = make_problem(rng, 1, 5, 5, 3)
    lr, g = kernels.log_ratio_grad(np.empty((0, 3)), numer, denom, 1.0, device=device)
    assert lr.shape == (0,) and g.shape == (0, 3)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("m", [0, 3])
@pytest.mark.parametrize("where,value", [("numer", np.nan), ("denom", np.inf), ("denom", -np.inf)])
def test_non_finite_sets_named_by_the_native_check(device, m, where, value):
    # The backends check the sets while centring them, for both entry points.
    rng = np.random.default_rng(13)
    points, numer, denom = make_problem(rng, m, 300, 200, 4, np.float32)
    seeds = points.astype(np.float64)
    bad = dict(numer=numer.copy(), denom=denom.copy())
    bad[where][-1, 2] = value
    with pytest.raises(ValueError, match=f"{where} contains NaN or infinity"):
        kernels.log_ratio_grad(points, bad["numer"], bad["denom"], 1.0, device=device)
    with pytest.raises(ValueError, match=f"{where} contains NaN or infinity"):
        kernels.ascend(seeds, np.full(m, 0.1), unit_rows(rng, m, 4), bad["numer"], bad["denom"], 1.0,
                       device=device)


BAD = [
    (dict(points=np.ones((3, 2))), r"points must have shape \(n, 3\), got \(3, 2\)"),
    (dict(numer=np.empty((0, 3))), r"numer \(class B\) is empty"),
    (dict(denom=np.empty((0, 3))), r"denom \(contrast set A\) is empty"),
    (dict(points=np.full((2, 3), np.nan)), "points contains NaN"),
    (dict(denom=np.full((2, 3), np.inf)), "denom contains NaN or infinity"),
    (dict(bandwidth=0.0), "bandwidth must be"),
    (dict(bandwidth=-1.0), "bandwidth must be"),
    (dict(bandwidth=np.nan), "bandwidth must be"),
    (dict(points=np.ones(3)), "points must be 2-D"),
    (dict(points=np.array([["a", "b", "c"]])), "points must be numeric"),
    (dict(n_threads=0), "n_threads must be"),
    (dict(device="tpu"), "device must be one of"),
]


@pytest.mark.parametrize("change,message", BAD)
def test_bad_inputs_raise(change, message):
    args = dict(points=np.ones((2, 3)), numer=np.zeros((4, 3)), denom=np.ones((5, 3)), bandwidth=1.0)
    args.update(change)
    kw = {k: args.pop(k) for k in ("n_threads", "device") if k in args}
    with pytest.raises(ValueError, match=message):
        kernels.log_ratio_grad(args["points"], args["numer"], args["denom"], args["bandwidth"], **kw)
