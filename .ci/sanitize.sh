#!/usr/bin/env bash
# CI: the CPU kernel tests against a _core built with ASan + UBSan
# (SIMPOR_SANITIZE=ON). Any sanitizer report ends the run with an error.
# Unstripped, with line numbers, for readable reports.
source "$(dirname "$0")/variant.sh" sanitize -C cmake.define.SIMPOR_SANITIZE=ON \
  -C cmake.build-type=RelWithDebInfo -C install.strip=false
so=$(ls "$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')"/simpor_ext/_core*.so)
runtime() { ldd "$so" | awk -v lib="$1" 'index($1, lib) == 1 {print $3}'; }
# Python is not instrumented, so the ASan runtime is preloaded. libstdc++ too:
# ASan looks up the real __cxa_throw when it starts, and without libstdc++
# loaded by then the first C++ exception (the error-path tests) aborts with
# "CHECK failed ... real___cxa_throw".
[[ -n $(runtime libasan) ]] || { echo "$so does not link libasan" >&2; exit 1; }
export LD_PRELOAD="$(runtime libasan) $(runtime libstdc++)"
export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
echo "LD_PRELOAD=$LD_PRELOAD"
# --capture=sys: a report written to fd 2 just before the process exits would
# otherwise vanish with pytest's captured output.
"$py" -m pytest -q -p no:cacheprovider --capture=sys tests/test_kernels.py tests/test_ascent.py tests/test_hessian_rule.py "$@"
