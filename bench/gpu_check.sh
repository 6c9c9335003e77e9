#!/usr/bin/env bash
# GPU check of the CUDA backend (issue 4), sized for < 10 minutes on one H100.
#
#   bench/gpu_check.sh OUTDIR      (env: PYTHON, GPU_CHECK_BUDGET_S, GPU_CHECK_SKIP_BUILD=1)
#
# Builds for sm_90 (offline: pip --no-build-isolation --no-deps; wheels that
# the image lacks, e.g. imbalanced-learn and skl2onnx, must already be on
# PYTHONPATH), runs tests/test_cuda.py, tests/test_kernels.py and
# tests/test_mixed_kernels.py, runs bench/kernels.py --device cuda (the
# issue's targets, numeric and with 8 categorical columns), times the kernels
# (the thread kernel at every width, float64, the warp kernel, both with 8
# categorical columns too, an ascent, whole calls at m = 1 to 131,072, the
# backend's self-check), then runs
# compute-sanitizer memcheck and racecheck on small cases. A failing step is
# recorded and the next one runs. Every step stops by a shared deadline
# (GPU_CHECK_BUDGET_S, default 570 s), so the script ends in time and always
# writes its summary.
#
# OUTDIR gets few files (a device machine returns at most 8):
#   gpu_check.log     every step's output, in order
#   summary.json      rc and seconds per step, device, test counts, timings
#   kernels_cuda.json bench/kernels.py --device cuda --json
#   microbench.json   kernel timings of this script's own cases
#   logs.tar.gz       per-step logs, pytest junit XML, ptxas and SASS of the kernels
set -u -o pipefail

out=${1:?usage: bench/gpu_check.sh OUTDIR}
mkdir -p "$out" && out=$(cd "$out" && pwd)
cd "$(dirname "$0")/.."
root=$(pwd)
PY=${PYTHON:-python3}
budget=${GPU_CHECK_BUDGET_S:-570}
logs=$(mktemp -d)
export PYTHONUNBUFFERED=1
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}

# nvcc and compute-sanitizer may not be on PATH in a bare image.
for dir in /usr/local/cuda/bin /usr/local/cuda/compute-sanitizer /usr/local/cuda-*/bin /usr/local/cuda-*/compute-sanitizer; do
  [[ -d $dir ]] && PATH=$PATH:$dir
done
export PATH

declare -a step_names=() step_rcs=() step_secs=()
summary() {
  "$PY" - "$out" "$logs" "${#step_names[@]}" "${step_names[@]}" "${step_rcs[@]}" "${step_secs[@]}" <<'EOF'
import json, os, sys, time, xml.etree.ElementTree as ET
out, logs, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
names, rcs, secs = sys.argv[4:4 + k], sys.argv[4 + k:4 + 2 * k], sys.argv[4 + 2 * k:4 + 3 * k]
s = {"date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
     "steps": [{"name": n, "rc": int(r), "seconds": int(t)} for n, r, t in zip(names, rcs, secs)]}
s["all_ok"] = all(st["rc"] == 0 for st in s["steps"])
def load(path):
    try:
        with open(path) as fh:
            return json.load(fh)
    except Exception:
        return None
s["device_info"] = load(os.path.join(logs, "device_info.json"))
try:
    root = ET.parse(os.path.join(logs, "pytest.xml")).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    s["pytest"] = {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
    s["pytest"]["failed"] = [f"{c.get('classname')}::{c.get('name')}" for c in suite.iter("testcase")
                             if c.find("failure") is not None or c.find("error") is not None]
except Exception as exc:
    s["pytest"] = f"no junit report ({exc.__class__.__name__})"
mb = load(os.path.join(out, "microbench.json"))
if mb:
    keys = ("name", "kernel_pairs_per_s", "call_pairs_per_s", "call_s", "rel_err_log_ratio", "rel_err_grad", "seconds",
            "trial_pairs_per_s", "mean_n_iter", "converged", "error")
    s["microbench"] = [{k: c[k] for k in keys if k in c} for c in mb.get("cases", [])]
kc = load(os.path.join(out, "kernels_cuda.json"))
if kc:
    s["kernels_cuda"] = kc.get("rows")
    s["end_to_end"] = kc.get("end_to_end")
with open(os.path.join(out, "summary.json"), "w") as fh:
    json.dump(s, fh, indent=2)
EOF
}

# run_step NAME LIMIT_S CMD...: output to gpu_check.log and logs/NAME.log; never exits the script.
run_step() {
  local name=$1 limit=$2 rc t0
  shift 2
  local left=$((budget - SECONDS - 15))
  ((limit > left)) && limit=$left
  t0=$SECONDS
  if ((limit < 20)); then
    echo "=== $name: skipped, the time budget is spent" | tee -a "$out/gpu_check.log"
    rc=124
  else
    echo "=== $name (limit ${limit}s): $*" | tee -a "$out/gpu_check.log"
    timeout --kill-after=10 "$limit" "$@" 2>&1 | tee "$logs/$name.log" >>"$out/gpu_check.log"
    rc=$?
  fi
  echo "=== $name: rc=$rc in $((SECONDS - t0))s" | tee -a "$out/gpu_check.log"
  step_names+=("$name") step_rcs+=("$rc") step_secs+=("$((SECONDS - t0))")
  summary
  return 0
}

: >"$out/gpu_check.log"

run_step env 60 bash -c "nvidia-smi; nvcc --version; command -v compute-sanitizer; $PY -c 'import sys, numpy, sklearn; print(sys.version, numpy.__version__, sklearn.__version__)'; $PY -c 'import torch; print(\"torch\", torch.__version__, torch.cuda.is_available())'; git -C '$root' log --oneline -3 || true"

# Build for the H100 only; SIMPOR_CUDA=ON makes a missing nvcc an error; ptxas prints registers and spills.
# GPU_CHECK_SKIP_BUILD=1 reuses what is installed (a second run on a warm machine).
[[ ${GPU_CHECK_SKIP_BUILD:-0} == 1 ]] || run_step build 360 env SIMPOR_CUDA=ON "$PY" -m pip install --no-build-isolation --no-deps -v \
  -Ccmake.define.CMAKE_CUDA_ARCHITECTURES=90 -Ccmake.define.SIMPOR_CUDA_VERBOSE=ON -Cbuild-dir=build/gpu-check .

run_step device_info 60 bash -c "set -o pipefail; cd /tmp && $PY -c 'import json, simpor_ext; i = simpor_ext.device_info(); print(json.dumps(i)); assert i[\"cuda_available\"], i' | tee '$logs/device_info.json'"

run_step pytest 240 "$PY" -m pytest tests/test_cuda.py tests/test_kernels.py tests/test_mixed_kernels.py -q -rs -p no:cacheprovider \
  --durations=10 --junitxml="$logs/pytest.xml"

run_step kernels_bench 240 "$PY" bench/kernels.py --device cuda --e2e --json "$out/kernels_cuda.json"

cat >"$logs/microbench.py" <<'EOF'
"""Kernel timings: device-only (CUDA events, data uploaded once) and per call."""
import json, os, sys, time
import numpy as np
import simpor_ext
from simpor_ext import kernels
from simpor_ext._backends import cuda, no_codes

root = os.environ["SIMPOR_ROOT"]
sys.path[:0] = [os.path.join(root, "bench"), os.path.join(root, "tests")]
from kernels import best_time, make_codes  # bench/kernels.py
from reference import rel_err as rel  # tests/reference.py

cu = cuda.module()
out = {"device_info": simpor_ext.device_info(), "cases": []}
rng = np.random.default_rng(0)


def data(n, d, m, dtype, n_b=492):
    x = rng.normal(size=(n, d))
    numer, denom = x[:n_b] + 0.5, x[n_b:]
    pts = numer[rng.integers(0, n_b, m)] + 0.3 * rng.normal(size=(m, d))
    return [a.astype(dtype) for a in (pts, numer, denom)]


def case(name, n, d, m, dtype, repeat=5, n_cat=0):
    """n_cat > 0: mixed data (bench/kernels.py's categorical columns)."""
    row = dict(name=name, n=n, d=d, m=m, n_cat=n_cat, dtype=np.dtype(dtype).name)
    try:
        pts, numer, denom = data(n, d, m, dtype)
        codes, cats = make_codes(rng, len(numer), len(denom), m, n_cat) if n_cat else (no_codes(m), None)
        mixed = dict(codes=codes, categories=cats) if n_cat else {}
        h = 0.5 * np.sqrt(d / 2)
        timer = cu._time_kernels_f32 if dtype == np.float32 else cu._time_kernels_f64
        row["kernel_s"] = timer(kernels.make_sets(numer, denom, h, cats), pts, codes, repeat)
        row["call_s"] = best_time(lambda: kernels.log_ratio_grad(pts, numer, denom, h, device="cuda", **mixed), 3)
        row["kernel_pairs_per_s"] = m * n / row["kernel_s"]
        row["call_pairs_per_s"] = m * n / row["call_s"]
        k = min(m, 256)
        few = dict(codes=codes[:k], categories=cats) if n_cat else {}
        lr, g = kernels.log_ratio_grad(pts[:k], numer, denom, h, device="cuda", **few)
        lr64, g64 = kernels.log_ratio_grad(*(a.astype(np.float64) for a in (pts[:k], numer, denom)), h, device="cpu",
                                           **few)
        row["rel_err_log_ratio"], row["rel_err_grad"] = rel(lr, lr64), rel(g, g64)
    except Exception as exc:  # record and go on
        row["error"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(row), flush=True)
    out["cases"].append(row)


def ascent_case(name, n, d, m, dtype, max_iter, n_cat=0):
    row = dict(name=name, n=n, d=d, m=m, n_cat=n_cat, dtype=np.dtype(dtype).name, max_iter=max_iter)
    try:
        _, numer, denom = data(n, d, 1, dtype)
        idx = rng.integers(0, len(numer), m)
        seeds = numer[idx]
        mixed = {}
        if n_cat:
            _, cats = make_codes(rng, len(numer), len(denom), 1, n_cat)
            mixed = dict(codes=cats.numer[idx], categories=cats)
        radii = rng.uniform(0.1, 0.6, m).astype(dtype)
        u = rng.normal(size=(m, d))
        u = (u / np.linalg.norm(u, axis=1, keepdims=True)).astype(dtype)
        h = 0.5 * np.sqrt(d / 2)
        t = time.perf_counter()
        res = kernels.ascend(seeds, radii, u, numer, denom, h, max_iter=max_iter, device="cuda", **mixed)
        row["seconds"] = time.perf_counter() - t
        row["trials"] = int(res.n_iter.sum())
        row["mean_n_iter"] = float(res.n_iter.mean())
        row["converged"] = float(res.converged.mean())
        row["trial_pairs_per_s"] = (row["trials"] + m) * n / row["seconds"]
    except Exception as exc:
        row["error"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(row), flush=True)
    out["cases"].append(row)


def self_check_case(repeat=3):
    """The CUDA backend's self-check (_backends/self_check.py), run again on a warm context."""
    from simpor_ext._backends import self_check

    row = dict(name="self-check")
    try:
        times = []
        for _ in range(repeat):
            self_check._reset()
            t = time.perf_counter()
            failure = self_check.failure(cu)
            times.append(time.perf_counter() - t)
        row["seconds"] = min(times)
        if failure:
            row["error"] = failure
    except Exception as exc:
        row["error"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(row), flush=True)
    out["cases"].append(row)


self_check_case()
N = 284_807
case("f32 d30 thread w32", N, 30, 32_768, np.float32)
case("f32 d30 m=1", N, 30, 1, np.float32)
case("f32 d14 thread w16", N, 14, 32_768, np.float32)
case("f32 d30 m=131072", N, 30, 131_072, np.float32)
case("f64 d30", N, 30, 8_192, np.float64)
case("f32 d2 thread w4", N, 2, 32_768, np.float32)
case("f32 d60 thread w64", 100_000, 60, 16_384, np.float32)
case("f32 d100 warp k4", 100_000, 100, 8_192, np.float32)
case("f64 d40 warp k2", 100_000, 40, 8_192, np.float64)
case("f32 d300 warp k16", 50_000, 300, 2_048, np.float32)
# mixed data, 8 categorical columns: against the numeric case of the same shape
case("f32 d30 cat8 thread w32", N, 30, 32_768, np.float32, n_cat=8)
case("f32 d6 cat8 thread w8", N, 6, 32_768, np.float32, n_cat=8)
case("f64 d30 cat8", N, 30, 8_192, np.float64, n_cat=8)
case("f32 d100 cat8 warp k4", 100_000, 100, 8_192, np.float32, n_cat=8)
case("f32 d60 cat8 warp k2", 100_000, 60, 8_192, np.float32, n_cat=8)
ascent_case("ascent f32 d30", N, 30, 32_768, np.float32, 100)
ascent_case("ascent f32 d30 cat8", N, 30, 32_768, np.float32, 100, n_cat=8)
with open(sys.argv[1], "w") as fh:
    json.dump(out, fh, indent=2)
sys.exit(1 if any("error" in c for c in out["cases"]) else 0)
EOF

# Before the sanitizers: its figures are what the summary compares.
run_step microbench 150 bash -c "cd /tmp && SIMPOR_ROOT='$root' $PY '$logs/microbench.py' '$out/microbench.json'"

cat >"$logs/small_case.py" <<'EOF'
"""Small runs of every kernel family and code path, for compute-sanitizer."""
import numpy as np
from simpor_ext import kernels
from simpor_ext._backends import cuda

cu = cuda.module()
rng = np.random.default_rng(0)
for dtype in (np.float32, np.float64):
    for d in (1, 3, 30, 31, 40, 100):
        p, b, a = rng.normal(size=(37, d)), rng.normal(size=(70, d)) + 0.5, rng.normal(size=(130, d))
        kernels.log_ratio_grad(*(x.astype(dtype) for x in (p, b, a)), 0.3 * np.sqrt(d), device="cuda")
    m, d = 20, 5
    numer, denom = rng.normal(size=(60, d)) + 0.8, rng.normal(size=(100, d))
    u = rng.normal(size=(m, d))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    args = [x.astype(dtype) for x in (numer[:m], rng.uniform(0, 0.8, m), u, numer, denom)]
    kernels.ascend(*args, 0.6, max_iter=30, device="cuda")
    size = np.dtype(dtype).itemsize  # packed rows + centre + raw rows, then ~10 candidates or seeds per chunk
    cu._set_memory_budget((3 * 64 * 8 + 5 + 160 * 5) * size + 3000)
    try:
        kernels.log_ratio_grad(args[0], numer.astype(dtype), denom.astype(dtype), 0.6, device="cuda")
        kernels.ascend(*args, 0.6, max_iter=30, device="cuda")
    finally:
        cu._set_memory_budget(0)
    # mixed data: the thread kernels (64 columns: the largest shared memory), the warp kernels, the ascent
    for d, n_cat in ((0, 3), (5, 8), (31, 64), (40, 6), (100, 33)):
        p, b, a = rng.normal(size=(37, d)), rng.normal(size=(70, d)) + 0.5, rng.normal(size=(130, d))
        levels = 2 + np.arange(n_cat) % 5
        codes = [np.stack([rng.integers(0, c, n) for c in levels], 1).astype(np.int32) for n in (37, 70, 130)]
        cats = kernels.Categories(codes[1], codes[2], -rng.uniform(0.1, 3, n_cat))
        kernels.log_ratio_grad(*(x.astype(dtype) for x in (p, b, a)), 0.5 + 0.1 * d, codes=codes[0],
                               categories=cats, device="cuda")
    levels = np.array([2, 3, 4, 5, 2])
    cats = kernels.Categories(*(np.stack([rng.integers(0, c, n) for c in levels], 1).astype(np.int32)
                                for n in (60, 100)), -np.ones(5))
    kernels.ascend(*args, 0.6, codes=cats.numer[:m], categories=cats, max_iter=30, device="cuda")
print("small cases done")
EOF
sanitize() {
  local tool=$1
  shift
  if ! command -v compute-sanitizer >/dev/null; then
    echo "compute-sanitizer not found"
    return 127
  fi
  compute-sanitizer --tool "$tool" --target-processes all --error-exitcode 1 --print-limit 20 "$@" \
    "$PY" "$logs/small_case.py"
}
run_step memcheck 150 bash -c "$(declare -f sanitize); logs='$logs' PY='$PY'; cd /tmp && sanitize memcheck --leak-check no"
run_step racecheck 120 bash -c "$(declare -f sanitize); logs='$logs' PY='$PY'; cd /tmp && sanitize racecheck"

# Registers, spills and SASS of the kernels, for reading offline.
run_step sass 60 bash -c "set -e; so=\$(cd /tmp && $PY -c 'import simpor_ext._cuda as c; print(c.__file__)'); \
  cuobjdump -res-usage \"\$so\" > '$logs/res_usage.txt'; cuobjdump -sass \"\$so\" > '$logs/kernels.sass'; \
  echo FFMA: \$(grep -c FFMA '$logs/kernels.sass'); grep -A1 'partials_' '$logs/res_usage.txt' | head -60; \
  $PY '$root/bench/sass_mix.py' \"\$so\""

tar -czf "$out/logs.tar.gz" -C "$logs" . && rm -rf "$logs"
echo "=== summary ($out/summary.json)" | tee -a "$out/gpu_check.log"
"$PY" - "$out/summary.json" <<'EOF' | tee -a "$out/gpu_check.log"
import json, sys
s = json.load(open(sys.argv[1]))
for st in s["steps"]:
    print(f"{st['name']:14} rc={st['rc']:<4} {st['seconds']:>4}s")
p = s.get("pytest")
print("pytest:", p if isinstance(p, str) else {k: p[k] for k in ("tests", "failures", "errors", "skipped")})
for name in (p.get("failed", [])[:20] if isinstance(p, dict) else []):
    print("  FAILED", name)
for c in s.get("microbench", []):
    if c.get("error"):
        print(f"{c['name']:30} ERROR {c['error'][:150]}")
    elif c.get("kernel_pairs_per_s"):
        print(f"{c['name']:30} kernel {c['kernel_pairs_per_s']:.3e} pairs/s  call {c['call_pairs_per_s']:.3e} "
              f"({1e3 * c['call_s']:.1f} ms)  err lr {c['rel_err_log_ratio']:.1e} grad {c['rel_err_grad']:.1e}")
    else:
        print(f"{c['name']:30} {c['seconds']:.2f}s  trials {c['trial_pairs_per_s']:.3e} pairs/s  "
              f"mean n_iter {c['mean_n_iter']:.1f}  converged {c['converged']:.2f}")
for r in s.get("kernels_cuda") or []:
    print("kernels.py:", {k: (f"{v:.3e}" if isinstance(v, float) else v) for k, v in r.items()})
print("end-to-end balance:", s.get("end_to_end"))
# Against the 2026-11-27 H100 run (bench/RESULTS.md; meaningful on an H100):
# the thread kernel's current form has not been timed on a GPU yet. A removed
# variant (RESULTS.md names the commit that holds it, with its cases in this
# script) is compared with "f32 d30 thread w32" of the same run.
mb = {c["name"]: c for c in s.get("microbench", []) if c.get("call_s")}
H100 = {"f32 d30 thread w32": (2.88e11, 2.10e11), "f32 d30 m=131072": (2.90e11, 2.50e11), "f64 d30": (1.04e11, 8.39e10)}
for name, (kernel, call) in H100.items():
    if name in mb:
        print(f"{name:20} / H100 2026-11-27: kernel {mb[name]['kernel_pairs_per_s'] / kernel:.2f}  "
              f"call {mb[name]['call_pairs_per_s'] / call:.2f}")
print("all steps ok:", s["all_ok"])
EOF
