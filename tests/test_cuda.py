"""CUDA backend: behaviour without a GPU, and agreement with the CPU backend and
the float64 reference on one.

The GPU tests skip with the reason when ``simpor_ext.cuda_available()`` is
false. They also run, slowly, against the CPU emulation of the CUDA build
(tests/cuda_emulator/run_tests.sh, .ci/emulator.sh), which executes the same
kernels on the CPU.

Tolerances (relative L2 error, ``reference.rel_err``): 1e-10 in float64 and
1e-4 in float32 for log f and grad log f, against the CPU backend and against
the float64 reference. Ascent end points: in float64 the GPU takes the CPU's
decisions, so at least 95% of the seeds end with the same trial count and
their end points agree to 1e-8 of the radius; in float32 a near-tie between
log f values can change the path near convergence, so at least 80% of the end
points lie within 1e-2 of the radius of the CPU's and all are local maxima
on their spheres.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

import reference as ref
from problems import ascent_problem, make_problem
import simpor_ext
from simpor_ext import _core, kernels
from simpor_ext._backends import cuda as cuda_backend

TOL = {np.float64: 1e-10, np.float32: 1e-4}
CUDA = cuda_backend.module()  # the extension module, or None when built without CUDA
GPU = simpor_ext.cuda_available()
INFO = simpor_ext.device_info()
EMULATED = GPU and any("emulator" in name for name in INFO["cuda_devices"])
needs_gpu = pytest.mark.skipif(not GPU, reason=f"no usable GPU: {INFO['cuda_reason']}")
needs_no_gpu = pytest.mark.skipif(GPU, reason="a GPU is available")
needs_module = pytest.mark.skipif(CUDA is None, reason="simpor_ext was built without the _cuda extension")


def both(fn, *args, **kw):
    return fn(*args, device="cuda", **kw), fn(*args, device="cpu", **kw)


# ---- without a GPU (these run on CI) ------------------------------------------


@needs_no_gpu
def test_device_cuda_without_gpu_raises():
    rng = np.random.default_rng(0)
    points, numer, denom = make_problem(rng, 3, 5, 6, 2)
    with pytest.raises(RuntimeError, match="no GPU can be used"):
        kernels.log_ratio_grad(points, numer, denom, 1.0, device="cuda")
    seeds, radii, dirs, numer, denom, h = ascent_problem(m=3, d=2)
    with pytest.raises(RuntimeError, match="no GPU can be used"):
        kernels.ascend(seeds, radii, dirs, numer, denom, h, device="cuda")


@needs_no_gpu
def test_device_auto_falls_back_to_the_cpu():
    rng = np.random.default_rng(1)
    points, numer, denom = make_problem(rng, 7, 20, 30, 3)
    auto = kernels.log_ratio_grad(points, numer, denom, 0.8, device="auto")
    cpu = kernels.log_ratio_grad(points, numer, denom, 0.8, device="cpu")
    assert all(a.tobytes() == c.tobytes() for a, c in zip(auto, cpu))


@needs_no_gpu
def test_device_info_says_why_there_is_no_gpu():
    info = simpor_ext.device_info()
    assert info["cuda_available"] is False and info["cuda_devices"] == []
    assert isinstance(info["cuda_reason"], str) and info["cuda_reason"]
    if CUDA is None:
        assert "without CUDA" in info["cuda_reason"] or "failed to import" in info["cuda_reason"]
        return
    ok, reason, names = CUDA.probe()
    assert ok is False and names == [] and reason == info["cuda_reason"]
    # which of: no driver, no device, no kernel image for the device
    known = (r"no usable NVIDIA driver: .*cudaErrorInsufficientDriver \(35\)|no CUDA device: .*cudaErrorNoDevice "
             r"\(100\)|no CUDA device: the driver reports 0 devices|no kernel in this build runs on device|"
             r"CUDA initialisation failed: cudaGetDeviceCount returned \w+ \(\d+\)")
    assert re.search(known, reason), reason


@needs_module
def test_module_surface_and_build_info():
    for name in ("log_ratio_grad_f32", "log_ratio_grad_f64", "ascend_f32", "ascend_f64", "probe", "build_info"):
        assert callable(getattr(CUDA, name))
    info = CUDA.build_info()
    assert info["max_features"] >= 1000
    assert info["architectures"]
    assert CUDA.probe() == CUDA.probe()


def _modules():
    """Both native modules, the CUDA one where it is built."""
    return [pytest.param(_core, id="core"), pytest.param(CUDA, id="cuda", marks=needs_module)]


@pytest.mark.parametrize("module", _modules())
def test_modules_share_the_kernel_signatures(module):
    # One templated definition (csrc/bindings/bind_backend.hpp) serves both.
    for name in ("log_ratio_grad_f32", "log_ratio_grad_f64", "ascend_f32", "ascend_f64"):
        signature = getattr(module, name).__doc__.splitlines()[0]
        assert signature == getattr(_core, name).__doc__.splitlines()[0]
        assert re.search(r"\(points: .*, n_threads: [^,]* = 0\) -> tuple$|\(seeds: .*, n_threads: [^,]* = 0\) -> tuple$",
                         signature), signature


@pytest.mark.parametrize("module", _modules())
@pytest.mark.parametrize(
    "call,message",
    [
        (lambda c: c.log_ratio_grad_f64(np.ones((2, 3)), np.ones((4, 2)), np.ones((5, 3)), 1.0, 1), r"numer must have shape \(n, 3\)"),
        (lambda c: c.log_ratio_grad_f64(np.ones(3), np.ones((4, 3)), np.ones((5, 3)), 1.0, 1), r"points must have shape"),
        (lambda c: c.log_ratio_grad_f64(np.ones((2, 3)), np.ones((0, 3)), np.ones((5, 3)), 1.0, 1), "numer .* is empty"),
        (lambda c: c.log_ratio_grad_f32(np.ones((2, 3)), np.ones((4, 3)), np.ones((5, 3)), 0.0, 1), "bandwidth must be"),
        (lambda c: c.log_ratio_grad_f64(np.ones((2, 0)), np.ones((4, 0)), np.ones((5, 0)), 1.0, 1), "at least one feature"),
        (lambda c: c.ascend_f64(np.ones((2, 3)), np.ones(3), np.ones((2, 3)), np.ones((4, 3)), np.ones((5, 3)), 1.0,
                                10, 0.1, 1e-5, 2.0, "adaptive", 0.0, 1), r"radii must have shape \(2,\)"),
        (lambda c: c.ascend_f64(np.ones((2, 3)), np.ones(2), np.ones((2, 3)), np.ones((4, 3)), np.ones((5, 3)), 1.0,
                                10, 0.1, 1e-5, 2.0, "steepest", 0.0, 1), "step_rule must be"),
        (lambda c: c.ascend_f32(np.ones((2, 3)), np.ones(2), np.ones((2, 3)), np.ones((4, 3)), np.ones((5, 3)),
                                np.inf, 10, 0.1, 1e-5, 2.0, "fixed", 0.0, 1), "bandwidth must be"),
    ],
)
def test_modules_check_inputs_before_any_work(module, call, message):
    with pytest.raises(ValueError, match=message):
        call(module)


@needs_module
def test_cuda_module_checks_its_feature_limit():
    with pytest.raises(ValueError, match="at most 1023 features, got d = 1024"):
        CUDA.log_ratio_grad_f32(np.ones((1, 1024)), np.ones((1, 1024)), np.ones((1, 1024)), 1.0, 1)


@needs_module
@needs_no_gpu
def test_module_raises_runtime_error_without_gpu():
    with pytest.raises(RuntimeError, match="no GPU can be used"):
        CUDA.log_ratio_grad_f64(np.ones((2, 3)), np.ones((4, 3)), np.zeros((5, 3)), 1.0)


# ---- log f and grad log f on the GPU --------------------------------------------

# (m, n_B, n_A, d): tiles hold 64 points; thread kernels take d + 1 <= 32 (float64)
# or 64 (float32), the warp kernel the rest up to 1023.
SHAPES = [
    (1, 1, 1, 1), (1, 1, 300, 2), (65, 63, 129, 3), (129, 200, 64, 15),
    (257, 127, 1000, 30), (33, 100, 150, 31), (40, 300, 500, 32), (17, 100, 150, 63),
    (9, 120, 77, 64), (5, 80, 90, 100), (3, 50, 70, 300), (2, 20, 30, 1000),
]


@needs_gpu
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "m%d-nb%d-na%d-d%d" % s)
def test_matches_cpu_and_reference(dtype, shape):
    m, n_b, n_a, d = shape
    rng = np.random.default_rng(sum(shape))
    points, numer, denom = make_problem(rng, m, n_b, n_a, d, dtype)
    h = 0.3 * np.sqrt(d)
    (lr, g), (lr_cpu, g_cpu) = both(kernels.log_ratio_grad, points, numer, denom, h)
    assert lr.dtype == dtype and g.dtype == dtype and lr.shape == (m,) and g.shape == (m, d)
    assert np.all(np.isfinite(lr)) and np.all(np.isfinite(g))
    want_lr, want_g = ref.log_ratio_grad(points, numer, denom, h)
    assert ref.rel_err(lr, want_lr) <= TOL[dtype]
    assert ref.rel_err(g, want_g) <= TOL[dtype]
    assert ref.rel_err(lr, lr_cpu) <= TOL[dtype]
    assert ref.rel_err(g, g_cpu) <= TOL[dtype]


@needs_gpu
@pytest.mark.parametrize("m,n", [(3, 20000), (3000, 700)], ids=["many-segments", "many-candidate-blocks"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_split_across_segments_and_blocks(m, n, dtype):
    if EMULATED:
        m, n = min(m, 600), min(n, 4000)
    rng = np.random.default_rng(m + n)
    points, numer, denom = make_problem(rng, m, n // 7, n, 12, dtype)
    lr, g = kernels.log_ratio_grad(points, numer, denom, 1.1, device="cuda")
    want_lr, want_g = ref.log_ratio_grad(points, numer, denom, 1.1)
    assert ref.rel_err(lr, want_lr) <= TOL[dtype] and ref.rel_err(g, want_g) <= TOL[dtype]


@needs_gpu
def test_float32_agrees_with_float64():
    rng = np.random.default_rng(2)
    points, numer, denom = make_problem(rng, 100, 300, 400, 30)
    lr64, g64 = kernels.log_ratio_grad(points, numer, denom, 1.5, device="cuda")
    args32 = [a.astype(np.float32) for a in (points, numer, denom)]
    lr32, g32 = kernels.log_ratio_grad(*args32, 1.5, device="cuda")
    want_lr, want_g = ref.log_ratio_grad(*args32, 1.5)  # same (rounded) inputs
    assert ref.rel_err(lr32, want_lr) <= 1e-4 and ref.rel_err(g32, want_g) <= 1e-4
    assert ref.rel_err(lr32, lr64) <= 1e-4 * 10 and ref.rel_err(g32, g64) <= 1e-4 * 10  # input rounding too


@needs_gpu
@pytest.mark.parametrize("h", [1e-3, 1e-2, 1e3, 1e5])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extreme_bandwidths(h, dtype):
    rng = np.random.default_rng(3)
    points, numer, denom = make_problem(rng, 20, 150, 200, 5, dtype)
    (lr, g), (lr_cpu, g_cpu) = both(kernels.log_ratio_grad, points, numer, denom, h)
    assert np.all(np.isfinite(lr)) and np.all(np.isfinite(g))
    want_lr, want_g = ref.log_ratio_grad(points, numer, denom, h)
    assert ref.rel_err(lr, want_lr) <= TOL[dtype] and ref.rel_err(g, want_g) <= TOL[dtype]
    assert ref.rel_err(lr, lr_cpu) <= TOL[dtype] and ref.rel_err(g, g_cpu) <= TOL[dtype]


@needs_gpu
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_far_data_keeps_precision(dtype):
    rng = np.random.default_rng(5)
    points, numer, denom = make_problem(rng, 30, 200, 200, 8)
    offset = 1e4
    far = [(a + offset).astype(dtype) for a in (points, numer, denom)]
    lr, g = kernels.log_ratio_grad(*far, 1.0, device="cuda")
    want_lr, want_g = ref.log_ratio_grad(points, numer, denom, 1.0)
    tol = 1e-8 if dtype == np.float64 else 1e-2  # float32 rounds the inputs at 1e4 to ~1e-3
    assert ref.rel_err(lr, want_lr) < tol and ref.rel_err(g, want_g) < tol


@needs_gpu
@pytest.mark.parametrize("d", [4, 7], ids=["ones-column", "no-ones-column"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rescales_at_every_point(d, dtype):
    # Data streamed nearest-last: each point outscores the previous one by far
    # more than the lazy-rescale slack, so the running sums are rescaled at
    # almost every point, and the lanes of a warp disagree about when.
    rng = np.random.default_rng(8)
    points = rng.normal(size=(70, d)) * 0.01
    numer = np.outer(np.linspace(3.0, 0.05, 150), np.ones(d)) + rng.normal(size=(150, d)) * 0.01
    denom = np.outer(np.linspace(-3.0, -0.05, 200), np.ones(d))
    points, numer, denom = (a.astype(dtype) for a in (points, numer, denom))
    lr, g = kernels.log_ratio_grad(points, numer, denom, 0.05, device="cuda")
    want_lr, want_g = ref.log_ratio_grad(points, numer, denom, 0.05)
    assert ref.rel_err(lr, want_lr) <= TOL[dtype] and ref.rel_err(g, want_g) <= TOL[dtype]


@needs_gpu
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_same_inputs_same_bytes(dtype):
    rng = np.random.default_rng(6)
    points, numer, denom = make_problem(rng, 203, 517, 1030, 13, dtype)
    one = kernels.log_ratio_grad(points, numer, denom, 0.7, device="cuda")
    two = kernels.log_ratio_grad(points, numer, denom, 0.7, device="cuda")
    assert all(a.tobytes() == b.tobytes() for a, b in zip(one, two))


@needs_gpu
@pytest.mark.skipif(EMULATED, reason="the emulator runs one thread's device work at a time")
def test_concurrent_calls_give_the_same_bytes():
    # Calls release the GIL and each owns a stream and its buffers.
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(15)
    problems = [make_problem(rng, 300, 400, 3000, 9, dtype) for dtype in (np.float32, np.float64) * 3]
    alone = [kernels.log_ratio_grad(*p, 0.9, device="cuda") for p in problems]
    with ThreadPoolExecutor(len(problems)) as pool:
        together = list(pool.map(lambda p: kernels.log_ratio_grad(*p, 0.9, device="cuda"), problems * 3))
    for i, result in enumerate(together):
        assert all(a.tobytes() == b.tobytes() for a, b in zip(alone[i % len(problems)], result))


def data_bytes(n_b, n_a, d, dtype):
    """Device bytes the data take while they are packed: the packed rows
    (csrc/cuda/kernels.hpp: choose_layout) plus the centre and the raw rows,
    which are freed before the candidates' buffers are allocated."""
    need, single = d + 1, dtype == np.float32
    if need <= (64 if single else 32):
        width = max(4, 1 << (need - 1).bit_length())
    else:
        width = 32 * (1 << ((need + 31) // 32 - 1).bit_length())
    chunks = -(-n_b // 64) + -(-n_a // 64)
    return (chunks * 64 * width + d + (n_b + n_a) * d) * np.dtype(dtype).itemsize


def _with_budget(nbytes, fn):
    CUDA._set_memory_budget(int(nbytes))
    try:
        return fn()
    finally:
        CUDA._set_memory_budget(0)


@needs_gpu
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_candidates_are_chunked_when_memory_is_short(dtype):
    rng = np.random.default_rng(10)
    points, numer, denom = make_problem(rng, 100, 300, 300, 8, dtype)
    # 20 to 40 candidates and 8 to 11 seeds per chunk (kde_cuda.cpp: plan_capacity)
    budget = data_bytes(300, 300, 8, dtype) + 1000
    lr, g = _with_budget(budget, lambda: kernels.log_ratio_grad(points, numer, denom, 0.9, device="cuda"))
    want_lr, want_g = ref.log_ratio_grad(points, numer, denom, 0.9)
    assert ref.rel_err(lr, want_lr) <= TOL[dtype] and ref.rel_err(g, want_g) <= TOL[dtype]
    seeds, radii, dirs, numer, denom, h = ascent_problem(11, m=30, d=8, dtype=dtype)
    whole = kernels.ascend(seeds, radii, dirs, numer, denom, h, device="cuda")
    budget = data_bytes(60, 240, 8, dtype) + 1000
    parts = _with_budget(budget, lambda: kernels.ascend(seeds, radii, dirs, numer, denom, h, device="cuda"))
    close = np.linalg.norm(parts.points - whole.points, axis=1) <= 1e-6 * radii
    assert close.mean() >= 0.9


@needs_gpu
def test_out_of_memory_names_the_size():
    rng = np.random.default_rng(12)
    points, numer, denom = make_problem(rng, 10, 300, 300, 8)
    with pytest.raises(MemoryError, match=r"CUDA out of memory: the data .* need \d+ MiB"):
        _with_budget(1000, lambda: kernels.log_ratio_grad(points, numer, denom, 1.0, device="cuda"))
    with pytest.raises(MemoryError, match=r"CUDA out of memory: one candidate needs \d+ bytes"):
        _with_budget(data_bytes(1, 1, 8, np.float64) + 100,
                     lambda: kernels.log_ratio_grad(points, numer[:1], denom[:1], 1.0, device="cuda"))
    # the device works normally afterwards
    lr, _ = kernels.log_ratio_grad(points, numer, denom, 1.0, device="cuda")
    assert ref.rel_err(lr, ref.log_ratio(points, numer, denom, 1.0)) < 1e-10


# ---- Algorithm 1 on the GPU --------------------------------------------------------


@needs_gpu
@pytest.mark.parametrize("rule", ["adaptive", "fixed", "newton"])
def test_ascent_follows_the_cpu_in_float64(rule):
    seeds, radii, dirs, numer, denom, h = ascent_problem(1, m=60, d=5)
    radii[:3] = 0.0
    kw = dict(step_rule=rule, step=0.05, tol=0.05) if rule == "fixed" else dict(step_rule=rule)
    gpu, cpu = both(kernels.ascend, seeds, radii, dirs, numer, denom, h, **kw)
    same_path = (gpu.n_iter == cpu.n_iter) & (gpu.converged == cpu.converged)
    assert same_path.mean() >= 0.95
    dist = np.linalg.norm(gpu.points - cpu.points, axis=1)
    assert np.all(dist[same_path] <= 1e-8 * np.maximum(radii[same_path], 1e-300) + 1e-12)
    assert np.array_equal(gpu.points[:3], seeds[:3]) and (gpu.n_iter[:3] == 0).all() and gpu.converged[:3].all()
    assert ref.rel_err(gpu.log_ratio, ref.log_ratio(gpu.points, numer, denom, h)) < 1e-10


@needs_gpu
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_newton_lbfgs_circles_follow_the_cpu_in_high_dimension(dtype):
    """d = 30, where newton's circles come from up to kPairs L-BFGS pairs
    (the ring wraps on most rows): the GPU takes the CPU's decisions on the
    same numbers (float64: the same trials and end points; float32: near
    ties may part the paths, so the same maxima), every row converges, and in
    fewer trials than steepest-ascent circles needed (40.8 per row in float64,
    27.4 in float32; L-BFGS: 18.5 and 21.3)."""
    rng = np.random.default_rng(13)
    d, m = 30, 16
    numer = (rng.normal(size=(60, d)) + 0.4).astype(dtype)
    denom = rng.normal(size=(200, d)).astype(dtype)
    seeds = numer[rng.integers(0, 60, m)]
    radii = (rng.uniform(2.0, 6.0, m) * np.sqrt(0.3)).astype(dtype)
    dirs = rng.normal(size=(m, d))
    dirs = (dirs / np.linalg.norm(dirs, axis=1, keepdims=True)).astype(dtype)
    gpu, cpu = both(kernels.ascend, seeds, radii, dirs, numer, denom, 1.2 * np.sqrt(0.3), step_rule="newton",
                    kde_tol=0.0)
    assert gpu.converged.all() and cpu.converged.all()
    assert gpu.n_iter.mean() <= 24
    if dtype == np.float64:
        assert np.array_equal(gpu.n_iter, cpu.n_iter)
        assert np.all(np.linalg.norm(gpu.points - cpu.points, axis=1) <= 1e-8 * radii)
    else:
        assert np.allclose(gpu.log_ratio, cpu.log_ratio, rtol=0, atol=1e-3)


@needs_gpu
def test_ascent_float32_end_points_near_the_cpus():
    seeds, radii, dirs, numer, denom, h = ascent_problem(8, m=60, d=5, dtype=np.float32)
    gpu, cpu = both(kernels.ascend, seeds, radii, dirs, numer, denom, h, step_rule="newton")
    near = np.linalg.norm(gpu.points - cpu.points, axis=1) <= 1e-2 * radii
    assert near.mean() >= 0.8
    assert np.allclose(gpu.log_ratio[near], cpu.log_ratio[near], rtol=1e-4, atol=1e-4)
    assert gpu.converged.mean() >= 0.9 * cpu.converged.mean()


@needs_gpu
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-9), (np.float32, 1e-5)])
def test_ascent_stays_on_spheres_and_never_loses(dtype, tol):
    seeds, radii, dirs, numer, denom, h = ascent_problem(2, m=50, d=6, dtype=dtype)
    start = kernels.ascend(seeds, radii, dirs, numer, denom, h, max_iter=0, device="cuda")
    res = kernels.ascend(seeds, radii, dirs, numer, denom, h, device="cuda")
    dist = np.linalg.norm(res.points.astype(np.float64) - seeds, axis=1)
    assert np.all(np.abs(dist - radii) <= tol * radii)
    assert res.points.dtype == dtype and res.log_ratio.dtype == dtype and res.n_iter.dtype == np.int32
    assert np.all(res.log_ratio >= start.log_ratio)
    assert not start.converged.any() and (start.n_iter == 0).all()
    assert np.allclose(start.points, seeds + radii[:, None] * dirs, rtol=0, atol=10 * tol)
    want = ref.log_ratio(res.points, numer, denom, h)
    assert ref.rel_err(res.log_ratio, want) <= TOL[dtype]


@needs_gpu
def test_ascent_reaches_local_maxima():
    seeds, radii, dirs, numer, denom, h = ascent_problem(3, m=15)
    res = kernels.ascend(seeds, radii, dirs, numer, denom, h, tol=1e-7, device="cuda")
    assert res.converged.all()
    t, g = ref.tangential_gradient(res.points, seeds, numer, denom, h)
    assert np.all(np.linalg.norm(t, axis=1) / np.linalg.norm(g, axis=1) < 1e-3)


@needs_gpu
def test_ascent_same_inputs_same_bytes_and_independent_seeds():
    seeds, radii, dirs, numer, denom, h = ascent_problem(7, m=40)
    one = kernels.ascend(seeds, radii, dirs, numer, denom, h, device="cuda")
    two = kernels.ascend(seeds, radii, dirs, numer, denom, h, device="cuda")
    for field in ("points", "log_ratio", "n_iter", "converged"):
        assert getattr(one, field).tobytes() == getattr(two, field).tobytes()
    part = kernels.ascend(seeds[5:9], radii[5:9], dirs[5:9], numer, denom, h, device="cuda")
    assert np.allclose(part.points, one.points[5:9], rtol=0, atol=1e-8)


@needs_gpu
@pytest.mark.parametrize("d", [1, 40, 300])
def test_ascent_other_dimensions(d):
    seeds, radii, dirs, numer, denom, h = ascent_problem(4, m=12, d=d, n_b=50, n_a=90)
    h = 0.4 * np.sqrt(d)
    gpu, cpu = both(kernels.ascend, seeds, radii, dirs, numer, denom, h, max_iter=60, step_rule="newton")
    same_path = gpu.n_iter == cpu.n_iter
    assert same_path.mean() >= 0.9
    assert np.allclose(gpu.points[same_path], cpu.points[same_path], rtol=0, atol=1e-8)


@needs_gpu
def test_ascent_many_seeds_float32():
    # Many rounds over a large, shrinking active set (the device-side trial lists).
    m, n = (400, 600) if EMULATED else (5000, 20000)
    seeds, radii, dirs, numer, denom, h = ascent_problem(5, m=m, d=10, n_b=n // 10, n_a=n, dtype=np.float32)
    gpu, cpu = both(kernels.ascend, seeds, radii, dirs, numer, denom, 1.0, max_iter=100, step_rule="newton")
    near = np.linalg.norm(gpu.points - cpu.points, axis=1) <= 1e-2 * radii
    assert near.mean() >= 0.8
    assert abs(int(gpu.n_iter.sum()) - int(cpu.n_iter.sum())) <= 0.05 * cpu.n_iter.sum()
    start = kernels.ascend(seeds, radii, dirs, numer, denom, 1.0, max_iter=0, device="cuda")
    assert np.all(gpu.log_ratio >= start.log_ratio)


@needs_gpu
def test_gpu_runs_newton_for_auto_and_refuses_hessian():
    """The hessian rule is CPU-only: auto runs newton on the GPU, and asking
    for hessian there is an error rather than a silent change of rule."""
    seeds, radii, dirs, numer, denom, h = ascent_problem(9, m=20, d=50, n_b=60, n_a=200)
    auto = kernels.ascend(seeds, radii, dirs, numer, denom, h, device="cuda")
    newton = kernels.ascend(seeds, radii, dirs, numer, denom, h, step_rule="newton", device="cuda")
    assert auto.points.tobytes() == newton.points.tobytes()
    with pytest.raises(ValueError, match="step_rule='hessian' runs on the CPU only"):
        kernels.ascend(seeds, radii, dirs, numer, denom, h, step_rule="hessian", device="cuda")
    X, y = np.r_[numer, denom], np.r_[np.ones(len(numer)), np.zeros(len(denom))]
    with pytest.raises(ValueError, match="step_rule='hessian' runs on the CPU only"):
        simpor_ext.SIMPOR(step_rule="hessian", device="cuda", informative=None).fit_resample(X, y)
