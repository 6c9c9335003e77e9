"""Algorithm 1: sphere constraint, monotone ascent, real local maxima, determinism."""
import numpy as np
import pytest

import reference as ref
from problems import ascent_problem
from simpor_ext import kernels


def problem(seed=0, m=40, d=4, dtype=np.float64):
    return ascent_problem(seed, m, d, dtype=dtype)


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-9), (np.float32, 1e-5)])
def test_points_stay_on_their_spheres(dtype, tol):
    seeds, radii, dirs, numer, denom, h = problem(dtype=dtype)
    res = kernels.ascend(seeds, radii, dirs, numer, denom, h, device="cpu")
    dist = np.linalg.norm(res.points.astype(np.float64) - seeds, axis=1)
    assert np.all(np.abs(dist - radii) <= tol * radii)
    assert res.points.dtype == dtype and res.log_ratio.dtype == dtype


def test_log_ratio_never_decreases_along_the_path():
    seeds, radii, dirs, numer, denom, h = problem(1)
    history = [kernels.ascend(seeds, radii, dirs, numer, denom, h, max_iter=k, device="cpu").log_ratio for k in range(0, 40, 3)]
    steps = np.diff(np.array(history), axis=0)
    assert np.all(steps >= 0)
    assert np.any(steps > 0)
    # the reported value is log f at the reported point
    res = kernels.ascend(seeds, radii, dirs, numer, denom, h, device="cpu")
    assert ref.rel_err(res.log_ratio, ref.log_ratio(res.points, numer, denom, h)) < 1e-10


def test_converged_points_are_local_maxima_on_the_sphere():
    seeds, radii, dirs, numer, denom, h = problem(3, m=15)
    res = kernels.ascend(seeds, radii, dirs, numer, denom, h, tol=1e-8, device="cpu")
    rng = np.random.default_rng(0)
    u = (res.points - seeds) / radii[:, None]
    for _ in range(20):  # small rotations in random tangent directions never help
        t = rng.normal(size=u.shape)
        t -= (t * u).sum(1, keepdims=True) * u
        t /= np.linalg.norm(t, axis=1, keepdims=True)
        moved = seeds + radii[:, None] * (u * np.cos(1e-3) + t * np.sin(1e-3))
        assert np.all(ref.log_ratio(moved, numer, denom, h) <= res.log_ratio + 1e-9)


def test_zero_radius_and_zero_iterations():
    seeds, radii, dirs, numer, denom, h = problem(5, m=6)
    radii[:3] = 0.0
    res = kernels.ascend(seeds, radii, dirs, numer, denom, h, device="cpu")
    assert np.array_equal(res.points[:3], seeds[:3])
    assert res.converged[:3].all() and (res.n_iter[:3] == 0).all()
    none = kernels.ascend(seeds, radii, dirs, numer, denom, h, max_iter=0, device="cpu")
    assert np.allclose(none.points[3:], seeds[3:] + radii[3:, None] * dirs[3:])
    assert not none.converged[3:].any()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_thread_count_does_not_change_bytes(dtype):
    seeds, radii, dirs, numer, denom, h = problem(6, m=67, d=9, dtype=dtype)
    one = kernels.ascend(seeds, radii, dirs, numer, denom, h, device="cpu", n_threads=1)
    two = kernels.ascend(seeds, radii, dirs, numer, denom, h, device="cpu", n_threads=2)
    for field in ("points", "log_ratio", "n_iter", "converged"):
        assert getattr(one, field).tobytes() == getattr(two, field).tobytes()


def test_seeds_are_independent_of_batching():
    seeds, radii, dirs, numer, denom, h = problem(7, m=20)
    whole = kernels.ascend(seeds, radii, dirs, numer, denom, h, device="cpu")
    part = kernels.ascend(seeds[5:9], radii[5:9], dirs[5:9], numer, denom, h, device="cpu")
    assert whole.points[5:9].tobytes() == part.points.tobytes()


def test_float32_path_agrees_with_float64():
    args = problem(8)
    r64 = kernels.ascend(*args, device="cpu")
    r32 = kernels.ascend(*[a.astype(np.float32) for a in args[:5]], args[5], device="cpu")
    same_path = np.linalg.norm(r32.points - r64.points, axis=1) <= 1e-3 * args[1]
    assert same_path.mean() > 0.8  # a near-tie can send a float32 seed to a neighbouring maximum
    assert np.allclose(r32.log_ratio[same_path], r64.log_ratio[same_path], rtol=1e-4, atol=1e-4)


def test_inputs_untouched():
    args = problem(9)
    before = [a.copy() for a in args[:5]]
    kernels.ascend(*args, device="cpu")
    for a, b in zip(args[:5], before):
        assert a.tobytes() == b.tobytes()


def _good():
    seeds, radii, dirs, numer, denom, h = problem(10, m=3, d=2)
    return dict(seeds=seeds, radii=radii, directions=dirs, numer=numer, denom=denom, bandwidth=h)


BAD = [
    (dict(radii=np.array([0.1, -0.2, 0.3])), "radii must be >= 0"),
    (dict(radii=np.ones(2)), r"radii must have shape \(3,\)"),
    (dict(directions=np.ones((3, 2))), "directions must be unit vectors; row 0"),
    (dict(directions=np.ones((3, 3)) / np.sqrt(3)), r"directions must have shape \(3, 2\)"),
    (dict(seeds=np.full((3, 2), np.nan)), "seeds contains NaN"),
    (dict(numer=np.ones((4, 3))), r"denom must have shape \(n, 3\), got \(240, 2\)"),
    (dict(denom=np.empty((0, 2))), "is empty"),
    (dict(bandwidth=0), "bandwidth must be"),
    (dict(max_iter=-1), "max_iter must be"),
    (dict(max_iter=2.5), "max_iter must be"),
    (dict(step=0.0), "step must be"),
    (dict(step=4.0), "step must be"),
    (dict(tol=0.0), "tol must be"),
    (dict(grow=0.5), "grow must be"),
    (dict(step_rule="steepest"), "step_rule must be one of 'newton', 'hessian', 'auto'"),
    (dict(step_rule="adaptive"), "step_rule must be one of 'newton', 'hessian', 'auto'"),  # a baseline: bench/
    (dict(tol=np.inf), "tol must be a finite number"),
]


@pytest.mark.parametrize("change,message", BAD)
def test_bad_inputs_raise(change, message):
    args = _good()
    args.update(change)
    pos = [args.pop(k) for k in ("seeds", "radii", "directions", "numer", "denom", "bandwidth")]
    with pytest.raises(ValueError, match=message):
        kernels.ascend(*pos, device="cpu", **args)
