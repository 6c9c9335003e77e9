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

import logging
import re
import threading
import warnings
from types import SimpleNamespace

import numpy as np
import pytest

import baselines  # bench/baselines.py
import reference as ref
from problems import ascent_problem, make_problem, mixed_ascent_problem, mixed_problem
import simpor_ext
from simpor_ext import _backends, _core, kernels
from simpor_ext._backends import cuda as cuda_backend
from simpor_ext._backends import self_check
from simpor_ext._backends.native import AscentSpec, DataSets, no_codes

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


def ascend_by_rule(*args, step_rule, **kw):
    """kernels.ascend, or bench/baselines.py's for the baseline rules (the native code runs both)."""
    return (kernels.ascend if step_rule in kernels.STEP_RULES else baselines.ascend)(*args, step_rule=step_rule, **kw)


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
        assert re.search(r"\(sets: object, points: .*, codes: .*, n_threads: [^,]* = 0\) -> tuple$|"
                         r"\(sets: object, seeds: .*, codes: .*, spec: object, n_threads: [^,]* = 0, finished: .*\) -> tuple$",
                         signature), signature


def raw_sets(numer, denom, h=1.0, numer_codes=None, denom_codes=None, log_weight=None):
    """DataSets as the modules receive them, unchecked by Python (kernels.make_sets checks and casts)."""
    n_cat = 0 if log_weight is None else len(log_weight)
    return DataSets(numer, denom, h, no_codes(len(numer)) if numer_codes is None else numer_codes,
                    np.zeros((len(denom), n_cat), np.int32) if denom_codes is None else denom_codes,
                    np.empty(0) if log_weight is None else np.asarray(log_weight, np.float64))


def bad_spec(step_rule):
    """An AscentSpec's fields, unchecked (AscentSpec itself checks them when made)."""
    return SimpleNamespace(max_iter=10, step=0.1, tol=1e-5, grow=2.0, step_rule=step_rule, kde_tol=0.0)


ONES3 = raw_sets(np.ones((4, 3)), np.ones((5, 3)))
MIXED3 = raw_sets(np.ones((4, 3)), np.ones((5, 3)), 1.0, np.zeros((4, 2), np.int32), np.zeros((5, 2), np.int32),
                  [-1.0, -0.5])


@pytest.mark.parametrize("module", _modules())
@pytest.mark.parametrize(
    "call,message",
    [
        (lambda c: c.log_ratio_grad_f64(raw_sets(np.ones((4, 2)), np.ones((5, 3))), np.ones((2, 2)), no_codes(2), 1),
         r"denom must have shape \(n, 2\)"),
        (lambda c: c.log_ratio_grad_f64(ONES3, np.ones((2, 2)), no_codes(2), 1), r"points must have shape \(n, 3\)"),
        (lambda c: c.log_ratio_grad_f64(ONES3, np.ones(3), no_codes(3), 1), r"points must have shape"),
        (lambda c: c.log_ratio_grad_f64(raw_sets(np.ones((0, 3)), np.ones((5, 3))), np.ones((2, 3)), no_codes(2), 1),
         "numer .* is empty"),
        (lambda c: c.log_ratio_grad_f32(raw_sets(np.ones((4, 3)), np.ones((5, 3)), 0.0), np.ones((2, 3)), no_codes(2),
                                        1), "bandwidth must be"),
        (lambda c: c.log_ratio_grad_f64(raw_sets(np.ones((4, 0)), np.ones((5, 0))), np.ones((2, 0)), no_codes(2), 1),
         "at least one feature"),
        (lambda c: c.log_ratio_grad_f64(MIXED3, np.ones((2, 3)), np.zeros((2, 1), np.int32), 1),
         r"points codes must have shape \(2, 2\)"),
        (lambda c: c.log_ratio_grad_f64(raw_sets(np.ones((4, 3)), np.ones((5, 3)), 1.0, np.zeros((3, 2), np.int32),
                                                 np.zeros((5, 2), np.int32), [-1.0, -0.5]),
                                        np.ones((2, 3)), np.zeros((2, 2), np.int32), 1),
         r"numer_codes must have shape \(4, 2\)"),
        (lambda c: c.log_ratio_grad_f64(raw_sets(np.ones((4, 3)), np.ones((5, 3)), 1.0, np.zeros((4, 2), np.int32),
                                                 np.zeros((5, 2), np.int32), [-1.0, 0.5]),
                                        np.ones((2, 3)), np.zeros((2, 2), np.int32), 1),
         "log_weight must be finite and <= 0"),
        (lambda c: c.ascend_f64(ONES3, np.ones((2, 3)), no_codes(2), np.ones(3), np.ones((2, 3)), AscentSpec(), 1),
         r"radii must have shape \(2,\)"),
        (lambda c: c.ascend_f64(MIXED3, np.ones((2, 3)), no_codes(2), np.ones(2), np.ones((2, 3)), AscentSpec(), 1),
         r"seeds codes must have shape \(2, 2\)"),
        (lambda c: c.ascend_f64(ONES3, np.ones((2, 3)), no_codes(2), np.ones(2), np.ones((2, 3)), bad_spec("steepest"),
                                1), "step_rule must be"),
        (lambda c: c.ascend_f32(raw_sets(np.ones((4, 3)), np.ones((5, 3)), np.inf), np.ones((2, 3)), no_codes(2),
                                np.ones(2), np.ones((2, 3)), AscentSpec(), 1), "bandwidth must be"),
    ],
)
def test_modules_check_inputs_before_any_work(module, call, message):
    with pytest.raises(ValueError, match=message):
        call(module)


@needs_module
def test_cuda_module_checks_its_feature_limit():
    assert CUDA.build_info()["max_categories"] == 64
    with pytest.raises(ValueError, match="at most 1023 features, got d = 1024; use device='cpu'"):
        CUDA.log_ratio_grad_f32(raw_sets(np.ones((1, 1024)), np.ones((1, 1024))), np.ones((1, 1024)), no_codes(1), 1)
    many = raw_sets(np.ones((2, 3)), np.ones((2, 3)), 1.0, np.zeros((2, 65), np.int32), np.zeros((2, 65), np.int32),
                    -np.ones(65))
    with pytest.raises(ValueError, match="at most 64 categorical features, got 65; use device='cpu'"):
        CUDA.log_ratio_grad_f64(many, np.ones((1, 3)), np.zeros((1, 65), np.int32), 1)
    with pytest.raises(ValueError, match="at most 64 categorical features, got 65; use device='cpu'"):
        CUDA.ascend_f64(many, np.ones((1, 3)), np.zeros((1, 65), np.int32), np.ones(1), np.eye(1, 3), AscentSpec(), 1)


@needs_module
@needs_no_gpu
def test_module_raises_runtime_error_without_gpu():
    with pytest.raises(RuntimeError, match="no GPU can be used"):
        CUDA.log_ratio_grad_f64(raw_sets(np.ones((4, 3)), np.zeros((5, 3))), np.ones((2, 3)), no_codes(2), 0)
    with pytest.raises(RuntimeError, match="no GPU can be used"):
        CUDA.log_ratio_grad_f64(MIXED3, np.ones((2, 3)), np.zeros((2, 2), np.int32), 0)


# ---- the self-check (issue 5) ------------------------------------------------------
# Until a GPU run verifies the kernels, a GPU is used only after its log f and
# gradient on a built-in problem match the CPU core's (_backends/self_check.py).
# FakeGpu runs that logic without a GPU; the emulator runs it on the real kernels.


class FakeGpu:
    """The CPU core posing as a visible GPU; ``fault(suffix, log_ratio, grad)``
    changes what its ``log_ratio_grad_*`` return. ``calls`` lists the dtypes asked."""

    def __init__(self, fault=None):
        self.fault, self.calls = fault, []

    def probe(self):
        return True, "", ["fake GPU"]

    def __getattr__(self, name):  # ascend_*, _cancel, build_info
        return getattr(_core, name)

    def log_ratio_grad_f64(self, *args):
        return self._call("f64", *args)

    def log_ratio_grad_f32(self, *args):
        return self._call("f32", *args)

    def _call(self, suffix, *args):
        self.calls.append(suffix)
        lr, g = getattr(_core, "log_ratio_grad_" + suffix)(*args)
        return self.fault(suffix, lr, g) if self.fault else (lr, g)


@pytest.fixture
def fresh_check(monkeypatch):
    """This process as if nothing had used the GPU yet: the self-check not run,
    no notice logged (both restored afterwards, so later tests see the real outcome)."""
    monkeypatch.setattr(self_check, "_outcome", None)
    monkeypatch.setattr(_backends, "_noted", set(), raising=False)


def scaled(which, suffix, factor):
    """A fault: ``which`` ("log f" or "grad") of the ``suffix`` kernel multiplied by ``factor``."""
    def fault(s, lr, g):
        if s == suffix:
            lr, g = (lr * lr.dtype.type(factor), g) if which == "log f" else (lr, g * g.dtype.type(factor))
        return lr, g
    return fault


def notices(caplog):
    return [r for r in caplog.records if "running on the CPU" in r.getMessage()]


def test_self_check_problem_spans_chunks_and_both_kernel_families():
    # csrc/cuda/kernels.hpp: choose_layout and kChunk; 128 candidates per thread block (64 on mixed data), 4 per
    # warp block; float32 takes the thread kernels up to d + 1 = 64 without categories, 32 with.
    for mixed in (False, True):
        for dtype in (np.float64, np.float32):
            thread_max = 64 if dtype == np.float32 and not mixed else 32
            block = 64 if mixed else 128
            cases = [(m, d) for m, _, _, d, n_cat in self_check.PROBLEMS if (n_cat > 0) == mixed]
            thread = [m for m, d in cases if d + 1 <= thread_max]
            warp = [m for m, d in cases if d + 1 > thread_max]
            assert thread and warp and max(thread) > block and max(warp) > 4
    for _, n_numer, n_denom, _, n_cat in self_check.PROBLEMS:
        assert all(n > 64 and n % 64 for n in (n_numer, n_denom))  # several chunks, the last one partial
        assert n_cat == 0 or n_cat % 4  # mixed: the last quad of codes partly padding
    assert self_check.TOLERANCES == {np.float64: 1e-9, np.float32: 1e-3}


def test_self_check_runs_once_and_passes_correct_kernels(monkeypatch, fresh_check, caplog):
    gpu = FakeGpu()
    monkeypatch.setattr(cuda_backend, "_module", gpu)
    with caplog.at_level(logging.WARNING, logger="simpor_ext"):
        assert simpor_ext.cuda_available()
        assert _backends.get_backend("auto").name == "cuda" and _backends.get_backend("cuda").name == "cuda"
        info = simpor_ext.device_info()
    assert info["cuda_available"] and info["cuda_reason"] is None
    assert gpu.calls == ["f64", "f32"] * len(self_check.PROBLEMS)  # once, for every use above
    assert not caplog.records


@pytest.mark.parametrize("suffix,which,factor", [
    ("f32", "log f", 1 + 1e-2), ("f32", "grad", 1 + 1e-2), ("f64", "log f", 1 + 1e-7), ("f64", "grad", 1 - 1e-7),
])
def test_self_check_mismatch_auto_runs_on_the_cpu_and_cuda_raises(monkeypatch, fresh_check, caplog, suffix, which,
                                                                  factor):
    monkeypatch.setattr(cuda_backend, "_module", FakeGpu(scaled(which, suffix, factor)))
    dtype = "float32" if suffix == "f32" else "float64"
    tol = "0.001" if suffix == "f32" else "1e-09"
    what = "log f" if which == "log f" else "grad log f"
    mismatch = (rf"the GPU self-check failed: its {what} differs from the CPU core's by a relative L2 error of "
                rf"{abs(factor - 1):.2g} \(tolerance {tol}; {dtype}, \d+ points")
    rng = np.random.default_rng(16)
    points, numer, denom = make_problem(rng, 20, 50, 70, 3)
    with caplog.at_level(logging.WARNING, logger="simpor_ext"), warnings.catch_warnings():
        warnings.simplefilter("error")  # a log record, not a warning
        auto = [kernels.log_ratio_grad(points, numer, denom, 0.8, device="auto") for _ in range(2)]
        assert _backends.get_backend("auto", warn_fallback=True).name == "cpu"
    cpu = kernels.log_ratio_grad(points, numer, denom, 0.8, device="cpu")
    assert all(a.tobytes() == c.tobytes() for run in auto for a, c in zip(run, cpu))
    (record,) = notices(caplog)  # once per process, even where no fallback notice was asked for
    assert record.levelno == logging.WARNING and record.name.startswith("simpor_ext")
    assert re.search("running on the CPU: " + mismatch, record.getMessage()), record.getMessage()
    with pytest.raises(RuntimeError, match="device='cuda' requested but no GPU can be used: " + mismatch):
        kernels.log_ratio_grad(points, numer, denom, 0.8, device="cuda")
    info = simpor_ext.device_info()
    assert not simpor_ext.cuda_available() and not info["cuda_available"] and info["cuda_devices"] == ["fake GPU"]
    assert re.match(mismatch, info["cuda_reason"]), info["cuda_reason"]


@pytest.mark.parametrize("suffix,factor", [("f32", 1 + 1e-4), ("f64", 1 + 1e-10)])
def test_self_check_passes_within_its_tolerance(monkeypatch, fresh_check, suffix, factor):
    monkeypatch.setattr(cuda_backend, "_module", FakeGpu(scaled("grad", suffix, factor)))
    assert simpor_ext.cuda_available()


def test_self_check_counts_a_gpu_error_as_a_failure(monkeypatch, fresh_check):
    def fault(suffix, lr, g):
        raise RuntimeError("CUDA error: an illegal memory access was encountered (cudaErrorIllegalAddress)")

    monkeypatch.setattr(cuda_backend, "_module", FakeGpu(fault))
    with pytest.raises(RuntimeError, match=r"self-check failed \(float64, .*\): RuntimeError: CUDA error: an illegal"):
        _backends.get_backend("cuda")
    assert _backends.get_backend("auto").name == "cpu"


def test_self_check_is_run_again_after_ctrl_c(monkeypatch, fresh_check):
    def interrupted(suffix, lr, g):
        gpu.fault = None
        raise KeyboardInterrupt

    gpu = FakeGpu(interrupted)
    monkeypatch.setattr(cuda_backend, "_module", gpu)
    with pytest.raises(KeyboardInterrupt):
        simpor_ext.cuda_available()
    assert simpor_ext.cuda_available() and len(gpu.calls) == 1 + 2 * len(self_check.PROBLEMS)


def test_self_check_runs_once_across_threads(monkeypatch, fresh_check):
    """Threads resolving the device at once: one runs the check, the others
    wait for its outcome (a failure found on its last comparison)."""
    last = 2 * len(self_check.PROBLEMS)

    def slow_and_wrong_at_the_end(suffix, lr, g):
        threading.Event().wait(0.02)
        return (lr * lr.dtype.type(1.5), g) if len(gpu.calls) == last else (lr, g)

    gpu = FakeGpu(slow_and_wrong_at_the_end)
    monkeypatch.setattr(cuda_backend, "_module", gpu)
    start, reasons = threading.Barrier(6), []

    def resolve():
        start.wait()
        reasons.append(cuda_backend.unavailable_reason())

    threads = [threading.Thread(target=resolve) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(gpu.calls) == last
    assert len(reasons) == 6 and len(set(reasons)) == 1 and reasons[0].startswith(self_check.FAILED)


@needs_gpu
def test_self_check_catches_a_fault_in_the_real_module(monkeypatch, fresh_check, caplog):
    """The real kernels with an injected fault: the float32 log f off by 1%."""
    real = CUDA.log_ratio_grad_f32

    def off_by_one_percent(*args):
        lr, g = real(*args)
        return lr * np.float32(1.01), g

    monkeypatch.setattr(CUDA, "log_ratio_grad_f32", off_by_one_percent)
    mismatch = r"the GPU self-check failed: its log f differs from the CPU core's by a relative L2 error of 0.01"
    with pytest.raises(RuntimeError, match="no GPU can be used: " + mismatch):
        _backends.get_backend("cuda")
    with caplog.at_level(logging.WARNING, logger="simpor_ext"):
        assert _backends.get_backend("auto").name == "cpu"
        assert _backends.get_backend("auto").name == "cpu"
    (record,) = notices(caplog)
    assert re.search(mismatch, record.getMessage())
    assert re.match(mismatch, simpor_ext.device_info()["cuda_reason"])


@needs_gpu
def test_self_check_passes_on_these_kernels(fresh_check):
    assert simpor_ext.device_info()["cuda_reason"] is None
    assert _backends.get_backend("auto").name == "cuda"


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


def data_bytes(n_b, n_a, d, dtype, n_cat=0):
    """Device bytes the data take while they are packed: the packed rows
    (csrc/cuda/kernels.hpp: choose_layout) plus the centre and the raw rows,
    which are freed before the candidates' buffers are allocated; on mixed
    data also the packed codes (rows of n_cat rounded up to 4), the
    penalties and the raw codes."""
    need, single = d + 1, dtype == np.float32
    if need <= (64 if single and not n_cat else 32):
        width = max(4, 1 << (need - 1).bit_length())
    else:
        width = 32 * (1 << ((need + 31) // 32 - 1).bit_length())
    chunks = -(-n_b // 64) + -(-n_a // 64)
    n_codes = -(-n_cat // 4) * 4
    return ((chunks * 64 * width + d + n_codes + (n_b + n_a) * d) * np.dtype(dtype).itemsize
            + (chunks * 64 * n_codes + (n_b + n_a) * n_cat) * 4)


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
    gpu, cpu = both(ascend_by_rule, seeds, radii, dirs, numer, denom, h, **kw)
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


# ---- mixed data (categorical columns) on the GPU ----------------------------------
# csrc/cuda/kernels.hpp: on mixed data the thread kernels take d + 1 <= 32 in
# both dtypes, 64 candidates per block, and the warp kernels the rest; codes
# are compared a quad of 4 columns at a time, up to 64 columns. d = 0: only
# categorical columns.

# (m, n_B, n_A, d, n_cat)
MIXED_SHAPES = [
    (1, 1, 1, 1, 1), (70, 63, 129, 0, 3), (130, 200, 150, 3, 8), (65, 150, 300, 15, 5),
    (40, 100, 150, 31, 64), (9, 120, 77, 40, 6), (5, 80, 90, 100, 33), (2, 70, 80, 1000, 64),
]


def mixed_case(shape, dtype, seed=0):
    m, n_b, n_a, d, n_cat = shape
    rng = np.random.default_rng(seed + sum(shape))
    levels = 2 + np.arange(n_cat) % 5
    (points, numer, denom), codes, cats = mixed_problem(rng, m, n_b, n_a, d, levels, dtype)
    return points, numer, denom, 0.4 + 0.15 * np.sqrt(d), codes, cats


def reference_of(points, numer, denom, h, codes, cats):
    return ref.log_ratio_grad(points, numer, denom, h, codes, cats.numer, cats.denom, cats.log_weight)


@needs_gpu
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", MIXED_SHAPES, ids=lambda s: "m%d-nb%d-na%d-d%d-cat%d" % s)
def test_mixed_matches_cpu_and_reference(dtype, shape):
    points, numer, denom, h, codes, cats = mixed_case(shape, dtype)
    (lr, g), (lr_cpu, g_cpu) = both(kernels.log_ratio_grad, points, numer, denom, h, codes=codes, categories=cats)
    m, d = points.shape
    assert lr.dtype == dtype and g.dtype == dtype and lr.shape == (m,) and g.shape == (m, d)
    assert np.all(np.isfinite(lr)) and np.all(np.isfinite(g))
    want_lr, want_g = reference_of(points, numer, denom, h, codes, cats)
    assert ref.rel_err(lr, want_lr) <= TOL[dtype] and ref.rel_err(lr, lr_cpu) <= TOL[dtype]
    if d:
        assert ref.rel_err(g, want_g) <= TOL[dtype] and ref.rel_err(g, g_cpu) <= TOL[dtype]


@needs_gpu
@pytest.mark.parametrize("d", [0, 4, 40])
def test_categories_change_the_result_as_on_the_cpu(d):
    """The categorical term is not ignored: zero log weights give the numeric
    kernel's result, the real ones the CPU's mixed result, and codes that
    match class B's leaning categories score higher than its rarest ones."""
    points, numer, denom, h, codes, cats = mixed_case((20, 90, 200, d, 8), np.float64)
    flat = kernels.Categories(cats.numer, cats.denom, np.zeros_like(cats.log_weight))
    lr_flat = kernels.log_ratio_grad(points, numer, denom, h, codes=codes, categories=flat, device="cuda")[0]
    if d:
        assert ref.rel_err(lr_flat, kernels.log_ratio_grad(points, numer, denom, h, device="cuda")[0]) <= 1e-12
    else:  # nothing left but the classes' sizes
        np.testing.assert_allclose(lr_flat, np.log(len(numer) / len(denom)), rtol=1e-12)
    low = kernels.log_ratio_grad(points, numer, denom, h, codes=np.zeros_like(codes), categories=cats,
                                 device="cuda")[0]
    rarest = np.zeros_like(codes) + (2 + np.arange(8) % 5) - 1  # mixed_case's levels, less one
    high = kernels.log_ratio_grad(points, numer, denom, h, codes=rarest, categories=cats, device="cuda")[0]
    assert np.all(low > high)  # class B leans to low codes (problems.mixed_problem)


@needs_gpu
@pytest.mark.parametrize("m,n", [(3, 4000), (300, 700)], ids=["many-segments", "many-candidate-blocks"])
@pytest.mark.parametrize("d", [6, 40], ids=["thread", "warp"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mixed_split_across_segments_and_blocks(m, n, d, dtype):
    if d > 31:  # the warp kernels emulate slowly: fewer candidates
        m, n = min(m, 12), min(n, 1500)
    points, numer, denom, h, codes, cats = mixed_case((m, n // 7, n, d, 5), dtype)
    lr, g = kernels.log_ratio_grad(points, numer, denom, h, codes=codes, categories=cats, device="cuda")
    want_lr, want_g = reference_of(points, numer, denom, h, codes, cats)
    assert ref.rel_err(lr, want_lr) <= TOL[dtype] and ref.rel_err(g, want_g) <= TOL[dtype]


@needs_gpu
@pytest.mark.parametrize("d", [1, 40], ids=["thread", "warp"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mixed_rescales_as_categories_match(d, dtype):
    """Data streamed so that each block of points matches the candidates in one
    more categorical column (log weight -30 each): the categorical term alone
    lifts the scores far past the lazy-rescale slack, several times per class."""
    rng = np.random.default_rng(9)
    m, n, n_cat = 12, 320, 8
    points = rng.normal(size=(m, d)) * 0.1
    numer, denom = rng.normal(size=(n, d)) * 0.1 + 0.05, rng.normal(size=(n + 30, d)) * 0.1
    codes = np.zeros((m, n_cat), np.int32)
    matching = lambda k: (np.arange(n_cat)[None, :] >= (np.arange(k) * (n_cat + 1) // k)[:, None]).astype(np.int32)
    cats = kernels.Categories(matching(n), matching(n + 30)[::-1].copy(), np.full(n_cat, -30.0))
    points, numer, denom = (a.astype(dtype) for a in (points, numer, denom))
    lr, g = kernels.log_ratio_grad(points, numer, denom, 0.3, codes=codes, categories=cats, device="cuda")
    want_lr, want_g = reference_of(points, numer, denom, 0.3, codes, cats)
    assert ref.rel_err(lr, want_lr) <= TOL[dtype] and ref.rel_err(g, want_g) <= TOL[dtype]


@needs_gpu
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mixed_same_inputs_same_bytes(dtype):
    points, numer, denom, h, codes, cats = mixed_case((150, 300, 500, 9, 7), dtype)
    one = kernels.log_ratio_grad(points, numer, denom, h, codes=codes, categories=cats, device="cuda")
    two = kernels.log_ratio_grad(points, numer, denom, h, codes=codes, categories=cats, device="cuda")
    assert all(a.tobytes() == b.tobytes() for a, b in zip(one, two))


@needs_gpu
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mixed_chunks_when_memory_is_short(dtype):
    """Candidates and seeds in chunks: each chunk's codes go with its rows."""
    points, numer, denom, h, codes, cats = mixed_case((100, 300, 300, 8, 6), dtype)
    budget = data_bytes(300, 300, 8, dtype, 6) + 1000
    lr, g = _with_budget(budget, lambda: kernels.log_ratio_grad(points, numer, denom, h, codes=codes, categories=cats,
                                                                device="cuda"))
    want_lr, want_g = reference_of(points, numer, denom, h, codes, cats)
    assert ref.rel_err(lr, want_lr) <= TOL[dtype] and ref.rel_err(g, want_g) <= TOL[dtype]
    seeds, seed_codes, radii, dirs, numer, denom, h, cats = mixed_ascent_problem(11, m=30, d=8, dtype=dtype)
    run = lambda: kernels.ascend(seeds, radii, dirs, numer, denom, h, codes=seed_codes, categories=cats,
                                 device="cuda")
    whole = run()
    parts = _with_budget(data_bytes(60, 240, 8, dtype, 5) + 1000, run)
    close = np.linalg.norm(parts.points - whole.points, axis=1) <= 1e-6 * radii
    assert close.mean() >= 0.9


@needs_gpu
def test_time_kernels_hook_takes_the_sets_and_codes():
    """bench/kernels.py and bench/gpu_check.sh time the kernels through this hook."""
    for dtype, timer in ((np.float32, CUDA._time_kernels_f32), (np.float64, CUDA._time_kernels_f64)):
        points, numer, denom, h, codes, cats = mixed_case((20, 60, 90, 5, 8), dtype)
        assert timer(kernels.make_sets(numer, denom, h, cats), points, codes, 2) > 0
        assert timer(kernels.make_sets(numer, denom, h), points, no_codes(20), 1) > 0


# ---- Algorithm 1 on mixed data ----------------------------------------------------
# A trial keeps its seed's codes (the trial lists name the seed).


@needs_gpu
@pytest.mark.parametrize("rule", ["adaptive", "fixed", "newton"])
def test_mixed_ascent_follows_the_cpu_in_float64(rule):
    seeds, codes, radii, dirs, numer, denom, h, cats = mixed_ascent_problem(1, m=60, d=5)
    radii[:3] = 0.0
    kw = dict(step_rule=rule) if rule != "fixed" else dict(step_rule=rule, step=0.05, tol=0.05)
    gpu, cpu = both(ascend_by_rule, seeds, radii, dirs, numer, denom, h, codes=codes, categories=cats, kde_tol=0.0,
                    **kw)
    same_path = (gpu.n_iter == cpu.n_iter) & (gpu.converged == cpu.converged)
    assert same_path.mean() >= 0.95
    dist = np.linalg.norm(gpu.points - cpu.points, axis=1)
    assert np.all(dist[same_path] <= 1e-8 * np.maximum(radii[same_path], 1e-300) + 1e-12)
    assert np.array_equal(gpu.points[:3], seeds[:3]) and (gpu.n_iter[:3] == 0).all() and gpu.converged[:3].all()
    want = reference_of(gpu.points, numer, denom, h, codes, cats)[0]
    assert ref.rel_err(gpu.log_ratio, want) < 1e-10
    # the codes matter: the same seeds with other codes end elsewhere
    other = ascend_by_rule(seeds, radii, dirs, numer, denom, h, codes=(codes + 1) % 2, categories=cats,
                           device="cuda", **kw)
    assert not np.allclose(other.log_ratio, gpu.log_ratio)


@needs_gpu
def test_mixed_ascent_float32_end_points_near_the_cpus():
    seeds, codes, radii, dirs, numer, denom, h, cats = mixed_ascent_problem(8, m=60, d=5, dtype=np.float32)
    gpu, cpu = both(kernels.ascend, seeds, radii, dirs, numer, denom, h, codes=codes, categories=cats,
                    step_rule="newton", kde_tol=0.0)
    near = np.linalg.norm(gpu.points - cpu.points, axis=1) <= 1e-2 * radii
    assert near.mean() >= 0.8
    assert np.allclose(gpu.log_ratio[near], cpu.log_ratio[near], rtol=1e-4, atol=1e-4)
    assert gpu.converged.mean() >= 0.9 * cpu.converged.mean()


@needs_gpu
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mixed_ascent_warp_path_follows_the_cpu(dtype):
    seeds, codes, radii, dirs, numer, denom, h, cats = mixed_ascent_problem(4, m=8, d=40, n_b=50, n_a=90,
                                                                            dtype=dtype)
    h = 0.4 * np.sqrt(40)
    gpu, cpu = both(kernels.ascend, seeds, radii, dirs, numer, denom, h, codes=codes, categories=cats,
                    max_iter=40, step_rule="newton", kde_tol=0.0)
    start = kernels.ascend(seeds, radii, dirs, numer, denom, h, codes=codes, categories=cats, max_iter=0,
                           device="cuda")
    assert np.all(gpu.log_ratio >= start.log_ratio)
    if dtype == np.float64:
        same_path = gpu.n_iter == cpu.n_iter
        assert same_path.mean() >= 0.85
        assert np.allclose(gpu.points[same_path], cpu.points[same_path], rtol=0, atol=1e-8)
    else:
        assert (np.linalg.norm(gpu.points - cpu.points, axis=1) <= 1e-2 * radii).mean() >= 0.75


@needs_gpu
def test_mixed_ascent_with_only_categorical_columns():
    """d = 0 through the module (Python asks for unit directions, which d = 0
    has none of): every seed is its own point, stationary at once, with the
    CPU's log f."""
    rng = np.random.default_rng(13)
    cats = kernels.Categories(rng.integers(0, 3, (70, 4)), rng.integers(0, 3, (130, 4)), -rng.uniform(0.2, 2, 4))
    sets = kernels.make_sets(np.empty((70, 0)), np.empty((130, 0)), 1.0, cats)
    codes = rng.integers(0, 3, (9, 4)).astype(np.int32)
    args = (sets, np.empty((9, 0)), codes, np.ones(9), np.empty((9, 0)), AscentSpec(step_rule="newton", kde_tol=0.0), 1)
    gpu, cpu = CUDA.ascend_f64(*args), _core.ascend_f64(*args)
    assert ref.rel_err(gpu[1], cpu[1]) <= TOL[np.float64] and (gpu[2] == 0).all() and gpu[3].all()
