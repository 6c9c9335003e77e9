#!/usr/bin/env bash
# CI: the whole test suite against the portable CPU core (SIMPOR_PORTABLE=ON: no
# x86 target_clones, no intrinsics), i.e. the generic path that aarch64, macOS,
# musl and Windows builds compile.
source "$(dirname "$0")/variant.sh" portable -C cmake.define.SIMPOR_PORTABLE=ON
"$py" -c 'import simpor_ext._core as c; i = c.build_info(); print(i); assert i["simd"] == "portable", i'
"$py" -m pytest -q -p no:cacheprovider "$@"
