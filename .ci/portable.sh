#!/usr/bin/env bash
# CI: the whole test suite against the portable CPU core (SIMPOR_PORTABLE=ON: no
# x86 target_clones, no intrinsics), i.e. the generic path that aarch64, macOS,
# musl and Windows builds compile. Builds in its own CMake folder and installs
# into its own venv under build/, so the main install and its build are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 SIMPOR_CUDA=OFF
out=build/ci-portable
python3 -m venv --clear --system-site-packages "$out/venv"
py=$out/venv/bin/python
"$py" -m pip install -q ".[test]" -C build-dir="$out/cmake" -C cmake.define.SIMPOR_PORTABLE=ON
"$py" -c 'import simpor_ext._core as c; i = c.build_info(); print(i); assert i["simd"] == "portable", i'
"$py" -m pytest -q -p no:cacheprovider "$@"
