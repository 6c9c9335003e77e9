#!/usr/bin/env bash
# CI: tests/test_cuda.py against the CPU emulation of the CUDA build (the real
# kernels and host code compiled as C++), so the CUDA code is tested on
# machines without a GPU. Run after .ci/run has installed the package in the
# current python3 (its _core is reused).
set -euo pipefail
cd "$(dirname "$0")/.."
tests/cuda_emulator/run_tests.sh -q --durations=5 "$@"
