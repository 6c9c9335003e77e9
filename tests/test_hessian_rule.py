"""The hessian step rule: its Hessian of log f against a float64 reference
and finite differences of the gradient, its Newton direction against a
dense solve, fewer trials than newton at the same local maxima, and what
step_rule="auto" runs per row."""
import numpy as np
import pytest

import reference as ref
from problems import shifted_classes, sphere_seeds, unit_rows
from simpor_ext import _core, kernels

CUT, KEEP = 8.0, 256  # simpor/sphere_newton.hpp: kHessianCut, kHessianPoints


def hessian_at(points, numer, denom, h):
    """The hessian rule's Hessian of log f at each point (a test hook of _core)."""
    return _core._hessian_f64(kernels.make_sets(numer, denom, h), points, np.empty((len(points), 0), np.int32))


def test_hessian_is_the_derivative_of_the_gradient():
    """With a wide kernel every point lies within the cut: the full Hessian,
    which central differences of the float64 gradient reproduce."""
    rng = np.random.default_rng(0)
    numer, denom = rng.normal(size=(40, 4)) + 0.3, rng.normal(size=(150, 4))
    h, points = 2.0, rng.normal(size=(5, 4))
    H = hessian_at(points, numer, denom, h)
    eps = 1e-5
    for p, Hp in zip(points, H):
        assert np.allclose(Hp, ref.hessian(p, numer, denom, h), rtol=1e-10, atol=1e-12)
        fd = np.array([(ref.log_ratio_grad(p[None] + eps * e, numer, denom, h)[1][0]
                        - ref.log_ratio_grad(p[None] - eps * e, numer, denom, h)[1][0]) / (2 * eps)
                       for e in np.eye(4)])
        assert ref.rel_err(Hp, fd) < 1e-7
        assert np.array_equal(Hp, Hp.T)


@pytest.mark.parametrize("case", ["cut", "keep", "ties"])
def test_hessian_keeps_the_heaviest_points(case):
    """A narrow kernel (points beyond the cut dropped), a dense class (only the
    256 heaviest kept) and duplicated points (ties broken by index)."""
    rng = np.random.default_rng(1)
    if case == "cut":
        numer, denom, h = rng.normal(size=(300, 3)), rng.normal(size=(3000, 3)) * 3, 0.15
    elif case == "keep":
        numer, denom, h = rng.normal(size=(600, 2)), rng.normal(size=(5000, 2)), 0.5
    else:
        numer = np.repeat(rng.normal(size=(30, 2)), 20, axis=0)
        denom, h = np.repeat(rng.normal(size=(50, 2)), 40, axis=0), 1.0
    points = rng.normal(size=(6, numer.shape[1]))
    H = hessian_at(points, numer, denom, h)
    for p, Hp in zip(points, H):
        want = ref.hessian(p, numer, denom, h, CUT, KEEP)
        assert np.allclose(Hp, want, rtol=1e-8, atol=1e-10 * np.abs(want).max())


def test_newton_direction_solves_the_sphere_system():
    """Newton's step where the model has a maximum; where it has none
    (log f convex along the sphere), the least Levenberg-Marquardt shift,
    still an ascent direction."""
    rng = np.random.default_rng(2)
    d, r = 6, 0.7
    for concave in [True] * 10 + [False] * 10:
        u = unit_rows(rng, 1, d)[0]
        g = rng.normal(size=d) + 3 * u  # pointing outwards, as near a maximum on the sphere
        A = rng.normal(size=(d, d))
        H = -(A @ A.T) - 0.1 * np.eye(d) if concave else A @ A.T + 5 * np.eye(d)
        want, shift = ref.sphere_newton_direction(u, g, H, r)
        assert (shift == 0) == concave
        got, length = _core._newton_direction_f64(u, g, H, r)
        assert length == pytest.approx(np.linalg.norm(want), rel=1e-9)
        assert np.allclose(got, want, rtol=1e-8, atol=1e-12 * np.abs(want).max())
        assert abs(got @ u) < 1e-12 and got @ (g - (g @ u) * u) > 0


def test_hessian_rows_need_few_trials_and_reach_the_same_maxima():
    """On 30-D classes (the scale benchmark's shape) newton's L-BFGS circles
    need 2-3x the trials of hessian, which reaches the same or higher maxima,
    each a local maximum, in <= 10 trials."""
    rng = np.random.default_rng(3)
    numer, denom, h = shifted_classes(rng)
    seeds, radii, dirs = sphere_seeds(numer, rng, 60)
    newton = kernels.ascend(seeds, radii, dirs, numer, denom, h, step_rule="newton", kde_tol=0.0, device="cpu")
    hess = kernels.ascend(seeds, radii, dirs, numer, denom, h, step_rule="hessian", kde_tol=0.0, device="cpu")
    assert hess.converged.all()
    assert hess.n_iter.mean() <= 10 and hess.n_iter.mean() < 0.5 * newton.n_iter.mean()
    assert np.abs(hess.log_ratio - newton.log_ratio).max() <= 1e-6  # here every row has one maximum in reach


def _dense_2d(rng, n_b, n_a):
    """Low-dimensional, dense: hundreds of points within the cut of every start point."""
    return rng.normal(size=(n_b, 2)), rng.normal(size=(n_a, 2)), 0.5


@pytest.mark.parametrize("case, want", [("mixture-30d", "hessian"), ("dense-2d", "newton"),
                                        ("dense-2d-large", "hessian")])
def test_auto_takes_newton_directions_where_the_hessian_is_exact_or_cheap(case, want):
    """auto, per seed: Newton directions where the start point's Hessian held
    every point within the cut (30-D) or costs little against a pass
    (n >= 2048 d); newton steps where it is truncated and costly (dense 2-D)."""
    rng = np.random.default_rng(4)
    numer, denom, h = {"mixture-30d": lambda: shifted_classes(rng), "dense-2d": lambda: _dense_2d(rng, 600, 3000),
                       "dense-2d-large": lambda: _dense_2d(rng, 600, 3600)}[case]()
    seeds, radii, dirs = sphere_seeds(numer[:200], rng, 12)
    runs = {rule: kernels.ascend(seeds, radii, dirs, numer, denom, h, step_rule=rule, max_iter=6, kde_tol=0.0,
                                 device="cpu")
            for rule in ("auto", "newton", "hessian")}
    assert runs["auto"].points.tobytes() == runs[want].points.tobytes()
    assert runs["newton"].points.tobytes() != runs["hessian"].points.tobytes()


def test_hessian_above_its_largest_d_steps_like_newton():
    rng = np.random.default_rng(5)
    numer, denom, h = shifted_classes(rng, 257, 20, 60)
    seeds, radii, dirs = sphere_seeds(numer, rng, 4)
    runs = [kernels.ascend(seeds, radii, dirs, numer, denom, h, step_rule=rule, max_iter=5, device="cpu")
            for rule in ("hessian", "newton")]
    assert runs[0].points.tobytes() == runs[1].points.tobytes()
