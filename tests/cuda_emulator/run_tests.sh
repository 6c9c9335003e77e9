#!/usr/bin/env bash
# Runs tests/test_cuda.py against the CPU emulation of the CUDA build: the real
# kernels and host code, compiled as C++ (include/simpor_emu), on a machine
# without a GPU. Needs the package installed in the current python (its _core
# is reused; the Python files are taken from this checkout).
#   tests/cuda_emulator/run_tests.sh [--asan] [pytest args...]   (env: PYTHON, default python3)
set -euo pipefail
py=${PYTHON:-python3}
root=$(cd "$(dirname "$0")/../.." && pwd)
asan=OFF
if [[ ${1:-} == --asan ]]; then asan=ON; shift; fi
build=$root/build/emu-$asan
cmake -S "$root/tests/cuda_emulator" -B "$build" -DSIMPOR_EMU_ASAN=$asan \
  -Dpybind11_DIR="$("$py" -c 'import pybind11; print(pybind11.get_cmake_dir())')" \
  -DPython_EXECUTABLE="$(command -v "$py")" >/dev/null
cmake --build "$build" --parallel "${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
installed=$(cd / && "$py" -c 'import simpor_ext, os; print(os.path.dirname(simpor_ext.__file__))')
pkg=$build/pkg/simpor_ext
rm -rf "$build/pkg" && mkdir -p "$pkg"
cp "$installed"/_core*.so "$pkg"/
cp -r "$root"/python/simpor_ext/. "$pkg"/
cp "$build"/_cuda*.so "$pkg"/
env=(PYTHONPATH="$build/pkg")
deselect=()
if [[ $asan == ON ]]; then
  env+=(LD_PRELOAD="$(gcc -print-file-name=libasan.so)" ASAN_OPTIONS=detect_leaks=0)
  # A C++ exception thrown through a preloaded libasan into an uninstrumented
  # Python kills the process, so the tests of error paths run without ASan.
  deselect=(-k "not check_inputs and not feature_limit and not out_of_memory and not raises and not non_finite and not bad_inputs")
fi
cd "$root"
env "${env[@]}" "$py" -c 'import simpor_ext; i = simpor_ext.device_info(); print(i); assert i["cuda_available"], i'
env "${env[@]}" "$py" -m pytest tests/test_cuda.py -p no:cacheprovider "${deselect[@]}" "$@"
