#!/usr/bin/env bash
# CI: compile-checks the CPU core (-c, no linking) for targets this machine
# cannot run, with the Clang inside the ziglang package. Checks that arch.hpp
# picks the expected guards per target and that the kernels, with and without
# OpenMP, and bind_core.cpp compile there, warnings as errors.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1
# Own venv; pip takes ziglang and pybind11 from python3's site-packages when
# there (the `ci` extra), from PyPI otherwise.
python3 -m venv --system-site-packages build/ci-cross/venv
py=build/ci-cross/venv/bin/python
"$py" -m pip install -q "ziglang>=0.13" "pybind11>=2.12"
zig() { "$py" -m ziglang c++ "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# zig ships no omp.h; the sources call only omp_get_max_threads.
mkdir "$tmp/omp"
printf '#pragma once\nextern "C" int omp_get_max_threads(void);\n' >"$tmp/omp/omp.h"
flags=(-std=c++17 -O3 -fno-math-errno -Wall -Wextra -Wno-psabi -Werror -Icsrc)
one_thread=(-Wno-unknown-pragmas -Wno-unused-parameter)  # as CMakeLists.txt without OpenMP

guards() {
  echo '#include "cpu/arch.hpp"' | zig -target "$1" -std=c++17 -Icsrc -dM -E -x c++ - |
    { grep -o 'SIMPOR_X86_[A-Z]*' || true; } | sort | xargs
}

# check TARGET "EXPECTED GUARDS" omp|no-omp
check() {
  local target=$1 want=$2 got src
  got=$(guards "$target")
  if [[ $got != "$want" ]]; then
    echo "$target: arch.hpp sets '$got', expected '$want'" >&2
    exit 1
  fi
  for src in csrc/cpu/*.cpp; do
    zig -target "$target" "${flags[@]}" "${one_thread[@]}" -c "$src" -o "$tmp/out.o"
    if [[ $3 == omp ]]; then zig -target "$target" "${flags[@]}" -fopenmp -isystem "$tmp/omp" -c "$src" -o "$tmp/out.o"; fi
  done
  echo "ok $target ($3): guards '${got:-none, generic path}'"
}

check aarch64-linux-gnu "" omp
check aarch64-macos "" no-omp
check x86_64-linux-gnu "SIMPOR_X86_CLONES SIMPOR_X86_MXCSR" omp  # Clang's target_clones
check x86_64-linux-musl "SIMPOR_X86_MXCSR" omp                   # no ifunc: no clones
check x86_64-macos "SIMPOR_X86_MXCSR" no-omp
check x86_64-windows-gnu "SIMPOR_X86_MXCSR" omp                  # LLP64, as clang-cl

# The bindings with this machine's pybind11 and Python headers: its pyconfig.h
# is x86-64 Linux's, close enough for these LP64 targets (not for Windows).
inc=(-isystem "$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')")
inc+=(-isystem "$("$py" -c 'import pybind11; print(pybind11.get_include())')")
for target in aarch64-linux-gnu aarch64-macos; do
  zig -target "$target" "${flags[@]/-O3/-O0}" "${one_thread[@]}" "${inc[@]}" -DSIMPOR_VERSION=\"0\" \
    -c csrc/bindings/bind_core.cpp -o "$tmp/out.o"
  echo "ok $target: bind_core.cpp"
done
