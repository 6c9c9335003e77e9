"""The kernels on mixed data: the categorical kernel's log weights per pair,
against the float64 reference, through the gradient, the Hessian, the ascent
and kde_tol's certificate."""
import numpy as np
import pytest

import reference as ref
from problems import DEVICES, mixed_problem, unit_rows
from simpor_ext import _core, kernels


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 1e-4)])
@pytest.mark.parametrize("d", [0, 1, 5, 40])
def test_matches_the_float64_reference(device, dtype, tol, d):
    rng = np.random.default_rng(d)
    (points, numer, denom), codes, cats = mixed_problem(rng, d=d, dtype=dtype)
    h = 0.5 + 0.1 * d
    lr, g = kernels.log_ratio_grad(points, numer, denom, h, codes=codes, categories=cats, device=device)
    want_lr, want_g = ref.log_ratio_grad(points, numer, denom, h, codes, cats.numer, cats.denom, cats.log_weight)
    assert lr.dtype == dtype and g.shape == (points.shape[0], d)
    assert ref.rel_err(lr, want_lr) < tol
    if d:
        assert ref.rel_err(g, want_g) < tol


def test_categories_move_log_f_as_the_product_kernel_says():
    """Without categorical columns (or with log weights of 0) the numeric
    kernel alone; a candidate whose category is rare in B scores lower."""
    rng = np.random.default_rng(1)
    (points, numer, denom), codes, cats = mixed_problem(rng)
    h = 0.6
    numeric = kernels.log_ratio_grad(points, numer, denom, h, device="cpu")[0]
    flat = kernels.Categories(cats.numer, cats.denom, np.zeros_like(cats.log_weight))
    np.testing.assert_allclose(kernels.log_ratio_grad(points, numer, denom, h, codes=codes, categories=flat,
                                                      device="cpu")[0], numeric, rtol=1e-12, atol=1e-12)
    high = np.full_like(codes, 0) + (np.asarray([2, 3, 5, 4, 2, 7, 3, 2]) - 1)  # B leans to low codes
    low = np.zeros_like(codes)
    f_low = kernels.log_ratio_grad(points, numer, denom, h, codes=low, categories=cats, device="cpu")[0]
    f_high = kernels.log_ratio_grad(points, numer, denom, h, codes=high, categories=cats, device="cpu")[0]
    assert np.all(f_low > f_high)


def test_gradient_against_central_differences():
    rng = np.random.default_rng(2)
    (points, numer, denom), codes, cats = mixed_problem(rng, m=6, d=4)
    h, eps = 0.7, 1e-6
    _, g = kernels.log_ratio_grad(points, numer, denom, h, codes=codes, categories=cats, device="cpu")
    for k in range(4):
        step = np.zeros(4)
        step[k] = eps
        up = kernels.log_ratio_grad(points + step, numer, denom, h, codes=codes, categories=cats, device="cpu")[0]
        down = kernels.log_ratio_grad(points - step, numer, denom, h, codes=codes, categories=cats, device="cpu")[0]
        np.testing.assert_allclose(g[:, k], (up - down) / (2 * eps), rtol=1e-6, atol=1e-7)


def test_hessian_with_categories_matches_the_reference():
    rng = np.random.default_rng(3)
    (points, numer, denom), codes, cats = mixed_problem(rng, m=4, n_b=40, n_a=120, d=3)
    h = 2.0  # wide: the categorical weights decide which points fall within the cut
    sets = kernels.make_sets(numer, denom, h, cats)
    H = _core._hessian_f64(sets, points, codes)
    for p, c, Hp in zip(points, codes, H):
        want = ref.hessian(p, numer, denom, h, 8.0, 256, code=c, numer_codes=cats.numer, denom_codes=cats.denom,
                           log_weight=cats.log_weight)  # simpor/sphere_newton.hpp: kHessianCut, kHessianPoints
        assert np.allclose(Hp, want, rtol=1e-9, atol=1e-12 * np.abs(want).max())


def _ascent(rng, rule, kde_tol, n_threads=None, m=48):
    """Seeds of class B's first cluster of three, 8 apart: kde_tol > 0 leaves the others out."""
    (_, numer, denom), _, cats = mixed_problem(rng, m=m, n_b=300, n_a=900, d=6)
    numer[:, 0] += 8.0 * (np.arange(300) % 3)
    denom[:, 0] += 8.0 * (np.arange(900) % 3)
    idx = 3 * rng.integers(0, 100, m)
    seeds, codes = numer[idx], cats.numer[idx]
    radii, dirs = rng.uniform(0.1, 0.8, m), unit_rows(rng, m, 6)
    res = kernels.ascend(seeds, radii, dirs, numer, denom, 0.55, codes=codes, categories=cats, step_rule=rule,
                         kde_tol=kde_tol, device="cpu", n_threads=n_threads)
    return res, seeds, codes, radii, numer, denom, cats


@pytest.mark.parametrize("rule", ["auto", "newton", "hessian"])
def test_ascent_ends_at_local_maxima_of_the_mixed_ratio(rule):
    res, seeds, codes, radii, numer, denom, cats = _ascent(np.random.default_rng(4), rule, 0.0)
    assert res.converged.all()
    np.testing.assert_allclose(np.linalg.norm(res.points - seeds, axis=1), radii, rtol=1e-9)
    f = ref.log_ratio_grad(res.points, numer, denom, 0.55, codes, cats.numer, cats.denom, cats.log_weight)[0]
    np.testing.assert_allclose(res.log_ratio, f, rtol=1e-9, atol=1e-9)
    rng = np.random.default_rng(5)
    for _ in range(8):  # no small rotation on the sphere raises log f
        t = rng.normal(size=res.points.shape)
        u = (res.points - seeds) / radii[:, None]
        t -= (t * u).sum(1, keepdims=True) * u
        t /= np.linalg.norm(t, axis=1, keepdims=True)
        moved = seeds + radii[:, None] * (np.cos(1e-2) * u + np.sin(1e-2) * t)
        f_moved = ref.log_ratio_grad(moved, numer, denom, 0.55, codes, cats.numer, cats.denom, cats.log_weight)[0]
        assert np.all(f_moved <= f + 1e-6)


def test_kde_tol_certificate_holds_with_categories():
    """Each returned log f within kde_tol of the exact mixed log f; threads change no byte."""
    res, seeds, codes, radii, numer, denom, cats = _ascent(np.random.default_rng(6), "auto", 1e-3, m=200)
    exact = ref.log_ratio_grad(res.points, numer, denom, 0.55, codes, cats.numer, cats.denom, cats.log_weight)[0]
    assert np.abs(res.log_ratio - exact).max() <= 1e-3
    assert res.pairs.sum() < 0.7 * (res.n_iter.astype(np.int64) + 1).sum() * (numer.shape[0] + denom.shape[0])
    one = _ascent(np.random.default_rng(6), "auto", 1e-3, n_threads=1, m=200)[0]
    assert one.points.tobytes() == res.points.tobytes() and one.log_ratio.tobytes() == res.log_ratio.tobytes()


def test_seeds_with_one_centre_and_different_categories_are_apart():
    """Pieces group seeds by row and codes: the same row with other codes is another centre."""
    rng = np.random.default_rng(7)
    (_, numer, denom), _, cats = mixed_problem(rng, n_b=200, n_a=600, d=4)
    seeds = np.repeat(numer[:1], 64, axis=0)
    codes = np.repeat(cats.numer[:2], 32, axis=0)
    radii, dirs = rng.uniform(0.1, 0.5, 64), unit_rows(rng, 64, 4)
    args = (numer, denom, 0.5)
    local = kernels.ascend(seeds, radii, dirs, *args, codes=codes, categories=cats, device="cpu")
    exact = kernels.ascend(seeds, radii, dirs, *args, codes=codes, categories=cats, kde_tol=0.0, device="cpu")
    assert np.abs(local.log_ratio - ref.log_ratio_grad(local.points, *args, codes, cats.numer, cats.denom,
                                                       cats.log_weight)[0]).max() <= 1e-3
    np.testing.assert_allclose(local.log_ratio, exact.log_ratio, atol=2e-3)


@pytest.mark.parametrize("bad, match", [
    (dict(codes=None), "codes needs its category codes"),
    (dict(codes=np.zeros((37, 3), np.int32)), r"codes must be integer codes of shape \(37, 8\)"),
    (dict(log_weight=np.full(8, 0.5)), "log_weight must be finite and <= 0"),
    (dict(numer_codes=np.zeros((10, 8), np.int32)), r"categories.numer must be integer codes of shape \(150, 8\)"),
])
def test_bad_categorical_inputs(bad, match):
    rng = np.random.default_rng(8)
    (points, numer, denom), codes, cats = mixed_problem(rng)
    cats = kernels.Categories(bad.get("numer_codes", cats.numer), cats.denom, bad.get("log_weight", cats.log_weight))
    with pytest.raises(ValueError, match=match):
        kernels.log_ratio_grad(points, numer, denom, 0.5, codes=bad.get("codes", codes), categories=cats,
                               device="cpu")
