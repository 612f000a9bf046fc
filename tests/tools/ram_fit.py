#!/usr/bin/env python3
"""Show that an M0 program fits the micro:bit's 16 KiB of RAM: static data (.data + .bss of the
whole image, the activation arena included) plus the reserved stack (__stack_size) must not exceed
the RAM, and the stack an inference really uses (measured by the profile program, which paints
the stack first) must fit the reserved stack with the program's own frames.

With --stack-usage, GCC's -fstack-usage figures for the network's object give the worst case:
forward()'s frame (the kernels are inlined into it) plus the largest frame of the object's other
functions (the out-of-line row loops and the requantization routine forward() calls, which call
nothing). It must agree with the
measured figure within 64 bytes.

usage: ram_fit.py --size SIZE --nm NM --run RUN_M0 --ram BYTES [--stack-usage FILE.su] IMAGE_ELF PROFILE_ELF
"""
import argparse
import os
import re
import subprocess
import sys

# perf/stack_usage.py: the static stack figure, computed as the profiler computes it.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "perf"))
from stack_usage import forward_and_callee_frames  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", required=True)
    ap.add_argument("--nm", required=True)
    ap.add_argument("--run", required=True)
    ap.add_argument("--ram", type=int, required=True)
    ap.add_argument("--stack-usage")
    ap.add_argument("image")
    ap.add_argument("profile")
    a = ap.parse_args()
    static = 0
    for line in subprocess.run(
        [a.size, "-A", a.image], check=True, stdout=subprocess.PIPE, text=True
    ).stdout.splitlines():
        parts = line.split()
        if (
            len(parts) >= 2
            and parts[1].isdigit()
            and (
                parts[0].startswith(".data")
                or parts[0].startswith(".bss")
                or parts[0].startswith(".tdata")
                or parts[0].startswith(".tbss")
            )
        ):
            static += int(parts[1])
    stack_size = None
    for line in subprocess.run([a.nm, a.image], check=True, stdout=subprocess.PIPE, text=True).stdout.splitlines():
        if line.endswith(" __stack_size"):
            stack_size = int(line.split()[0], 16)
    out = subprocess.run([a.run, a.profile], stdout=subprocess.PIPE, text=True, timeout=300).stdout
    m = re.search(r"stack used by the inference: (\d+) bytes", out)
    if stack_size is None or not m:
        print("ram_fit.py: could not find __stack_size or the measured stack")
        return 1
    used = int(m.group(1))
    total = static + stack_size
    print("static data (.data + .bss, arena included): %d B" % static)
    print("reserved stack: %d B, of which one inference uses %d B (measured) plus main's frames" % (stack_size, used))
    print("RAM: %d of %d B (%.0f%%)" % (total, a.ram, 100.0 * total / a.ram))
    ok = total <= a.ram and used + 256 <= stack_size  # 256 B: main, printf's frame is not live then
    if a.stack_usage:
        static, callee = forward_and_callee_frames(a.stack_usage)
        print("-fstack-usage: forward() frame %s B + deepest callee %d B; measured %d B" % (static, callee, used))
        static = None if static is None else static + callee
        if static is None or abs(static - used) > 64:
            print("FAIL: the static and the measured stack figures disagree")
            ok = False
    print("ok" if ok else "FAIL: does not fit")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
