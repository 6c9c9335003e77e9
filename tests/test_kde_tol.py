"""Certified local evaluation (kde_tol > 0): the returned log f is within
kde_tol of the exact float64 value, at the returned points and at the points
accepted along the way, on benign and adversarial layouts; kde_tol = 0 and
a failed certificate both give the exact path's bytes."""
import numpy as np
import pytest

import reference as ref
from problems import unit_rows
from simpor_ext import SIMPOR, _core, kernels


def _clusters(rng, d, n_a=3000, per_source=16, sources=12):
    """A compact class B inside a wide contrast set A: most of A is far from every seed."""
    numer = rng.normal(scale=0.5, size=(200, d))
    denom = rng.uniform(-8, 8, size=(n_a, d))
    return numer, denom, 0.4, np.repeat(rng.choice(200, sources, replace=False), per_source)


def _mixture(rng, d=30):
    numer, denom = rng.normal(size=(100, d)) + 0.5, rng.normal(size=(1900, d))
    return numer, denom, 2000 ** (-1 / (d + 4)), np.repeat(np.arange(8), 8)


def _seeds(numer, source, rng, scale=1.0):
    m, d = source.size, numer.shape[1]
    return numer[source], scale * rng.uniform(0.05, 1.0, m), unit_rows(rng, m, d)


def _worst_error(res, numer, denom, h):
    return float(np.abs(res.log_ratio - ref.log_ratio(res.points, numer, denom, h)).max())


def _pair_fraction(res, n):
    return res.pairs.sum() / ((res.n_iter.astype(np.int64) + 1).sum() * n)


LAYOUTS = {"clusters-2d": lambda rng: _clusters(rng, 2), "clusters-8d": lambda rng: _clusters(rng, 8),
           "mixture-30d": _mixture}


@pytest.mark.parametrize("kde_tol", [1e-6, 1e-3, 1e-1])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_returned_log_ratio_is_within_kde_tol(layout, kde_tol):
    rng = np.random.default_rng(0)
    numer, denom, h, source = LAYOUTS[layout](rng)
    seeds, radii, dirs = _seeds(numer, source, rng)
    res = kernels.ascend(seeds, radii, dirs, numer, denom, h, kde_tol=kde_tol, device="cpu")
    assert _worst_error(res, numer, denom, h) <= kde_tol
    assert np.allclose(np.linalg.norm(res.points - seeds, axis=1), radii)
    if layout.startswith("clusters"):  # the local path ran and saved most pairs
        assert _pair_fraction(res, len(numer) + len(denom)) < 0.5


RULES = ["newton", "hessian"]


@pytest.mark.parametrize("rule", RULES)
def test_bound_holds_at_every_accepted_point(rule):
    rng = np.random.default_rng(1)
    numer, denom, h, source = _clusters(rng, 4)
    seeds, radii, dirs = _seeds(numer, source, rng)
    for max_iter in (0, 1, 2, 4, 8, 16, 300):
        res = kernels.ascend(seeds, radii, dirs, numer, denom, h, max_iter=max_iter, kde_tol=1e-4, step_rule=rule,
                             device="cpu")
        assert _worst_error(res, numer, denom, h) <= 1e-4, max_iter


def _shells(rng):
    """A's mass in thin shells of duplicated points around one seed, at
    distances r + k h/2: whole shells sit on the edges of the selection's bins."""
    d, h, r = 3, 0.5, 0.4
    numer = np.concatenate([np.zeros((40, d)), rng.normal(scale=0.3, size=(60, d))])  # the seed, duplicated
    dirs = unit_rows(rng, 30, d)
    denom = np.concatenate([np.repeat((r + k * h / 2) * dirs, 400, axis=0) for k in range(1, 13)])
    return numer, denom, h, np.zeros(64, dtype=int), r


@pytest.mark.parametrize("case", ["shells", "tiny-h", "huge-h"])
def test_bound_holds_on_adversarial_layouts(case):
    rng = np.random.default_rng(2)
    if case == "shells":
        numer, denom, h, source, r = _shells(rng)
        seeds, radii, dirs = numer[source], np.full(source.size, r), unit_rows(rng, source.size, 3)
    else:
        numer, denom, _, source = _clusters(rng, 3)
        h = 1e-3 if case == "tiny-h" else 1e3
        seeds, radii, dirs = _seeds(numer, source, rng)
    for tol in (1e-8, 1e-3):
        res = kernels.ascend(seeds, radii, dirs, numer, denom, h, kde_tol=tol, device="cpu")
        assert np.isfinite(res.log_ratio).all()
        assert _worst_error(res, numer, denom, h) <= tol


def test_kde_tol_zero_is_the_dense_path():
    rng = np.random.default_rng(3)
    numer, denom, h, source = _clusters(rng, 4)
    seeds, radii, dirs = _seeds(numer, source, rng)
    res = kernels.ascend(seeds, radii, dirs, numer, denom, h, kde_tol=0.0, device="cpu")
    np.testing.assert_array_equal(res.pairs, (res.n_iter.astype(np.int64) + 1) * (len(numer) + len(denom)))


@pytest.mark.parametrize("rule", RULES)
def test_failed_certificates_fall_back_to_the_exact_bytes(rule):
    """With a huge margin every selection keeps almost nothing, every check
    fails and every seed runs again on all the data: the exact path's bytes,
    and the wasted local trials counted in `pairs`."""
    rng = np.random.default_rng(4)
    numer, denom, h, source = _clusters(rng, 4)
    denom = denom / 4  # A close enough that dropping it cannot be certified
    seeds, radii, dirs = _seeds(numer, source, rng)
    exact = kernels.ascend(seeds, radii, dirs, numer, denom, h, kde_tol=0.0, step_rule=rule, device="cpu")
    _core._set_local_margin(1e300)
    try:
        fell_back = kernels.ascend(seeds, radii, dirs, numer, denom, h, kde_tol=1e-3, step_rule=rule, device="cpu")
    finally:
        _core._set_local_margin(0.0)
    for field in ("points", "log_ratio", "n_iter", "converged"):
        assert getattr(fell_back, field).tobytes() == getattr(exact, field).tobytes()
    assert np.all(fell_back.pairs > exact.pairs)


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_local_bytes_do_not_depend_on_threads(dtype, rule):
    rng = np.random.default_rng(5)
    numer, denom, h, source = _clusters(rng, 5)
    seeds, radii, dirs = (a.astype(dtype) for a in _seeds(numer, source, rng))
    args = (seeds, radii, dirs, numer.astype(dtype), denom.astype(dtype), h)
    one = kernels.ascend(*args, kde_tol=1e-3, step_rule=rule, device="cpu", n_threads=1)
    two = kernels.ascend(*args, kde_tol=1e-3, step_rule=rule, device="cpu", n_threads=2)
    for field in ("points", "log_ratio", "n_iter", "converged", "pairs"):
        assert getattr(one, field).tobytes() == getattr(two, field).tobytes()


@pytest.mark.parametrize("bad", [-1e-3, float("inf"), float("nan")])
def test_kernels_refuse_bad_kde_tol(bad):
    rng = np.random.default_rng(6)
    numer, denom, h, source = _clusters(rng, 2)
    seeds, radii, dirs = _seeds(numer, source[:4], rng)
    with pytest.raises(ValueError, match="kde_tol"):
        kernels.ascend(seeds, radii, dirs, numer, denom, h, kde_tol=bad, device="cpu")
    with pytest.raises(ValueError, match="kde_tol"):
        kernels.ascend(seeds, radii, dirs, numer, denom, h, kde_tol="0.1", device="cpu")


def _blobs(seed=0):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.uniform(-6, 6, size=(3000, 2)), rng.normal(scale=0.4, size=(60, 2))])
    return X, np.r_[np.zeros(3000, int), np.ones(60, int)]


def test_sampler_reports_the_pairs_it_saved():
    X, y = _blobs()
    exact = SIMPOR(kde_tol=0.0, informative=None, device="cpu", random_state=0)
    X_exact, _ = exact.fit_resample(X, y)
    local = SIMPOR(informative=None, device="cpu", random_state=0)
    X_local, _ = local.fit_resample(X, y)
    assert exact.pair_fraction_ == 1.0
    assert local.kde_tol == 1e-3 and local.pair_fraction_ < 0.7
    assert np.abs(local.log_ratio_ - exact.log_ratio_).max() < 0.1  # different rows, nearby maxima
    assert X_local.shape == X_exact.shape


@pytest.mark.parametrize("bad", [-1.0, float("inf"), "small"])
def test_sampler_refuses_bad_kde_tol(bad):
    X, y = _blobs()
    with pytest.raises(ValueError, match="kde_tol"):
        SIMPOR(kde_tol=bad, informative=None, device="cpu").fit_resample(X, y)


@pytest.mark.parametrize("batch", [100, 256])
def test_sampler_bytes_do_not_depend_on_the_chunk_size(monkeypatch, batch):
    """Local pieces form within windows of PIECE_WINDOW seeds and chunks are whole windows."""
    import simpor_ext._backends.cpu as cpu_backend

    X, y = _blobs()
    params = dict(informative=None, device="cpu", random_state=0)
    default, _ = SIMPOR(**params).fit_resample(X, y)
    monkeypatch.setattr(cpu_backend, "_BATCH", batch)
    small, _ = SIMPOR(**params).fit_resample(X, y)
    assert small.tobytes() == default.tobytes()


@pytest.mark.parametrize("case", ["one-seed", "zero-radii", "one-centre-600", "one-feature"])
def test_local_path_edge_cases(case):
    """Shapes the pieces must handle: a lone seed, spheres that are points, one
    centre over several windows, d = 1; always within kde_tol of exact."""
    rng = np.random.default_rng(7)
    d = 1 if case == "one-feature" else 3
    numer, denom = rng.normal(scale=0.3, size=(50, d)), rng.uniform(-6, 6, size=(2000, d))
    m = {"one-seed": 1, "zero-radii": 40, "one-centre-600": 600, "one-feature": 64}[case]
    source = np.zeros(m, int) if case == "one-centre-600" else rng.integers(0, 50, m)
    seeds, radii, dirs = _seeds(numer, source, rng)
    if case == "zero-radii":
        radii[::2] = 0.0
    res = kernels.ascend(seeds, radii, dirs, numer, denom, 0.3, kde_tol=1e-3, device="cpu")
    assert _worst_error(res, numer, denom, 0.3) <= 1e-3
    assert np.allclose(np.linalg.norm(res.points - seeds, axis=1), radii)
    if case == "zero-radii":
        assert np.array_equal(res.points[::2], seeds[::2]) and res.converged[::2].all()
