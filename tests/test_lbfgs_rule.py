"""The newton rule's L-BFGS circles (simpor/sphere_lbfgs.hpp): each pair is a
secant of the Hessian of log f on the sphere, the two-loop recursion is the
dense BFGS update of a float64 reference, and the rule's paths keep the
ascent's properties at a dimension where the pair ring wraps."""
import numpy as np
import pytest

import reference as ref
from problems import shifted_classes, sphere_seeds, unit_rows
from simpor_ext import _core, kernels

PAIRS = _core.LBFGS_PAIRS


def _tangent(rng, u):
    t = rng.normal(size=u.size)
    return t - (t @ u) * u


@pytest.mark.parametrize("near_maximum", [True, False])
def test_pair_is_a_secant_of_the_hessian_on_the_sphere(near_maximum):
    """For a short step, y = -R s to first order, R the Hessian of log f on
    the sphere (reference.sphere_hessian); both lie on the new tangent plane,
    |s| is the angle, and the pair is kept exactly where log f curves down
    along the step (s.y > 0)."""
    rng = np.random.default_rng(0)
    numer, denom, h = rng.normal(size=(40, 6)) + 0.5, rng.normal(size=(200, 6)), 0.9
    seed, r = numer[0], 0.8
    u = unit_rows(rng, 1, 6)[0]
    if near_maximum:  # a few steepest-ascent steps: log f curves down in every tangent direction
        res = kernels.ascend(seed[None], np.array([r]), u[None], numer, denom, h, step_rule="hessian", tol=1e-8,
                             kde_tol=0.0, device="cpu")
        u = (res.points[0] - seed) / r
    angle = 1e-4
    for _ in range(5):
        circle = _tangent(rng, u)
        c_hat = circle / np.linalg.norm(circle)
        u_new = np.cos(angle) * u + np.sin(angle) * c_hat
        g = ref.log_ratio_grad((seed + r * u)[None], numer, denom, h)[1][0]
        g_new = ref.log_ratio_grad((seed + r * u_new)[None], numer, denom, h)[1][0]
        s, y, kept = _core._lbfgs_pair_f64(u, g, circle, angle, u_new, g_new, r)
        assert np.linalg.norm(s) == pytest.approx(angle, rel=1e-12)
        assert abs(s @ u_new) < 1e-12 * angle and abs(y @ u_new) < 1e-10 * np.linalg.norm(y)
        R = ref.sphere_hessian(seed + r * u, seed, numer, denom, h)
        assert ref.rel_err(y, -R @ s) < 1e-3
        assert kept == (s @ y > 0)
        if near_maximum:
            assert kept


@pytest.mark.parametrize("k", range(1, PAIRS + 1))
def test_two_loop_is_the_dense_bfgs_update(k):
    rng = np.random.default_rng(k)
    d = 9
    A = rng.normal(size=(d, d))
    A = A @ A.T + 0.5 * np.eye(d)  # minus a Hessian near a maximum: positive definite
    S = rng.normal(size=(k, d))
    Y = S @ A.T
    v = rng.normal(size=d)
    H = ref.lbfgs_inverse(S, Y)
    assert ref.rel_err(_core._lbfgs_apply_f64(S, Y, v), H @ v) < 1e-12
    assert ref.rel_err(_core._lbfgs_apply_f64(S, Y, Y[-1]), S[-1]) < 1e-12  # the secant equation of the newest pair


def _d30(rng):
    return shifted_classes(rng, d=30, n_b=60, n_a=600)


def test_path_never_lowers_log_f_as_the_ring_wraps():
    """d = 30: rows take more than kPairs accepted steps, so the ring wraps."""
    rng = np.random.default_rng(2)
    numer, denom, h = _d30(rng)
    seeds, radii, dirs = sphere_seeds(numer, rng, 16)
    runs = [kernels.ascend(seeds, radii, dirs, numer, denom, h, max_iter=k, step_rule="newton", device="cpu")
            for k in range(0, 40, 3)]
    history = np.array([run.log_ratio for run in runs])
    assert np.all(np.diff(history, axis=0) >= 0) and np.any(np.diff(history, axis=0) > 0)
    assert runs[-1].n_iter.max() > 2 * PAIRS


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bytes_do_not_depend_on_threads_or_batching_as_the_ring_wraps(dtype):
    rng = np.random.default_rng(3)
    numer, denom, h = (a.astype(dtype) if isinstance(a, np.ndarray) else a for a in _d30(rng))
    seeds, radii, dirs = (a.astype(dtype) for a in sphere_seeds(numer.astype(np.float64), rng, 21))
    one = kernels.ascend(seeds, radii, dirs, numer, denom, h, step_rule="newton", device="cpu", n_threads=1)
    two = kernels.ascend(seeds, radii, dirs, numer, denom, h, step_rule="newton", device="cpu", n_threads=2)
    part = kernels.ascend(seeds[5:9], radii[5:9], dirs[5:9], numer, denom, h, step_rule="newton", device="cpu",
                          n_threads=2)
    for field in ("points", "log_ratio", "n_iter", "converged"):
        assert getattr(one, field).tobytes() == getattr(two, field).tobytes()
    assert one.points[5:9].tobytes() == part.points.tobytes()
    assert one.converged.all() and one.n_iter.max() > 2 * PAIRS


def test_float32_stops_at_its_resolution_as_the_ring_wraps():
    """Below min_angle on an L-BFGS circle the search starts again along the
    tangent gradient; there too it ends at the type's resolution, converged."""
    rng = np.random.default_rng(4)
    numer, denom, h = _d30(rng)
    seeds, radii, dirs = sphere_seeds(numer, rng, 16)
    args = [a.astype(np.float32) for a in (seeds, radii, dirs, numer, denom)]
    res = kernels.ascend(*args, h, tol=1e-9, step_rule="newton", device="cpu")
    assert res.n_iter.max() < 300 and res.converged.all()
    r64 = kernels.ascend(seeds, radii, dirs, numer, denom, h, step_rule="newton", device="cpu")
    assert np.median(np.abs(res.log_ratio - r64.log_ratio)) < 1e-3
