#!/usr/bin/env bash
# CI: runs tests/native/kernel_reference.cpp (the CPU kernel against a float64
# reference) built for aarch64 Linux by GCC's cross compiler, under qemu-user:
# the generic path that ARM builds take is executed, not only compiled.
# Installs g++-aarch64-linux-gnu and qemu-user with apt when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v aarch64-linux-gnu-g++ >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++-aarch64-linux-gnu qemu-user >/dev/null
fi
out=build/ci-qemu-aarch64
mkdir -p "$out"
# gnu++17 and these flags as CMakeLists.txt builds _core with GCC.
aarch64-linux-gnu-g++ -std=gnu++17 -O3 -fno-math-errno -fopenmp -Wall -Wextra -Werror -Icsrc \
  csrc/cpu/kde_cpu.cpp csrc/cpu/top_points.cpp tests/native/kernel_reference.cpp -o "$out/kernel_reference"
QEMU_LD_PREFIX=/usr/aarch64-linux-gnu qemu-aarch64 "$out/kernel_reference"
