#!/usr/bin/env bash
# Runs tests/test_cuda.py against the CPU emulation of the CUDA build: the real
# kernels and host code, compiled as C++ (emulator.hpp), on a machine without a
# GPU. Needs the package installed (its _core and Python files are reused).
#   csrc/cuda/emu/run_tests.sh [--asan] [pytest args...]
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
asan=OFF
if [[ ${1:-} == --asan ]]; then asan=ON; shift; fi
build=$root/build/emu-$asan
cmake -S "$root/csrc/cuda/emu" -B "$build" -DSIMPOR_EMU_ASAN=$asan \
  -Dpybind11_DIR="$(python -c 'import pybind11; print(pybind11.get_cmake_dir())')" \
  -DPython_EXECUTABLE="$(command -v python)" >/dev/null
cmake --build "$build" -j "$(nproc)"
installed=$(cd / && python -c 'import simpor_ext, os; print(os.path.dirname(simpor_ext.__file__))')
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
  deselect=(-k "not checks_inputs and not out_of_memory and not raises and not non_finite and not bad_inputs")
fi
cd "$root"
env "${env[@]}" python -c 'import simpor_ext; i = simpor_ext.device_info(); print(i); assert i["cuda_available"], i'
env "${env[@]}" python -m pytest tests/test_cuda.py -p no:cacheprovider "${deselect[@]}" "$@"
