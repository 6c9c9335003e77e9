"""Instructions per (candidate, point) pair in the hot loop of the thread-path
kernels, read from their SASS: a static count that needs no GPU.

    nvcc -std=c++17 -O3 -arch=sm_90 -cubin -Icsrc -o /tmp/kde.cubin csrc/cuda/kde_kernels.cu
    python bench/sass_mix.py /tmp/kde.cubin      # or the built _cuda*.so

Needs ``cuobjdump`` (and the ``nvdisasm`` it calls) on PATH. The hot loop is
the backward branch whose body holds the most MUFU.EX2 (one per pair in
float32); the rare rescaling blocks (skipped by a forward branch) are not
counted. Double kernels use a libdevice exp2 and are not reported.
"""
from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess

LINE = re.compile(r"\s*/\*([0-9a-f]{4,})\*/\s+(.*?)\s*;")
BRANCH = re.compile(r"BRA\s+(?:`\(\.L_x_\d+\)\s*)?(0x[0-9a-f]+)")


def instructions(body: str) -> list[tuple[int, str]]:
    return [(int(m.group(1), 16), m.group(2)) for m in map(LINE.match, body.splitlines()) if m]


def hot_loop(ins):
    """(start, end) addresses of the back edge whose body holds the most MUFU.EX2."""
    best, most = None, 0
    for addr, text in ins:
        m = BRANCH.search(text)
        if m and int(m.group(1), 16) < addr:
            start = int(m.group(1), 16)
            n = sum("MUFU.EX2" in t for a, t in ins if start <= a <= addr)
            if n > most:
                best, most = (start, addr), n
    return best


def common_path_mix(ins, start, end) -> collections.Counter:
    """Opcodes on the loop's fall-through path: forward predicated branches skip their block."""
    mix, skip_to = collections.Counter(), -1
    for addr, text in ins:
        if not start <= addr <= end or addr < skip_to:
            continue
        op = re.sub(r"^@!?U?P\w+\s+", "", text).split()[0].split(".")[0]
        mix[op] += 1
        m = BRANCH.search(text)
        if text.startswith("@") and m and addr < int(m.group(1), 16) <= end:
            skip_to = int(m.group(1), 16)
    return mix


def demangle(name: str) -> str:
    if not shutil.which("c++filt"):
        return name
    return subprocess.run(["c++filt"], input=name, capture_output=True, text=True).stdout.strip() or name


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary", help="a cubin, or the _cuda extension module")
    ap.add_argument("--kernel", default="partials_thread", help="substring of the kernel names to report")
    args = ap.parse_args(argv)
    sass = subprocess.run(["cuobjdump", "-sass", args.binary], capture_output=True, text=True, check=True).stdout
    seen = set()
    for chunk in sass.split("Function : ")[1:]:
        name, body = chunk.split("\n", 1)
        if args.kernel not in name or name in seen:
            continue
        seen.add(name)  # a fat binary repeats each kernel per architecture; the first is reported
        ins = instructions(body)
        loop = hot_loop(ins)
        if loop is None:
            continue
        mix = common_path_mix(ins, *loop)
        pairs = mix["MUFU"]
        if not pairs:
            continue
        per_pair = {op: round(n / pairs, 2) for op, n in mix.most_common()}
        print(f"{demangle(name.strip())}\n  {sum(mix.values()) / pairs:.1f} instructions per pair: {per_pair}")


if __name__ == "__main__":
    main()
