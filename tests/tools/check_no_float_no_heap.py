#!/usr/bin/env python3
"""Check that Cortex-M0 objects neither define nor need a soft-float helper or a heap function.

Reads every symbol (defined and undefined) with arm-none-eabi-nm, prints what the objects need
from outside, and exits 1 on a forbidden symbol (sizes are perf/m0_size.py's report). With
--expect-violation the meaning flips (the negative control: a check that cannot fail is no check).

usage: check_no_float_no_heap.py --nm NM [--expect-violation] OBJECT_OR_ARCHIVE...
"""
import argparse
import re
import subprocess
import sys

FORBIDDEN = [
    (re.compile(r"^__aeabi_[fd]"), "soft-float helper"),  # __aeabi_fmul, __aeabi_dadd, ...
    (re.compile(r"^__aeabi_u?[il]2[fd]$"), "integer-to-float conversion"),  # __aeabi_i2f, __aeabi_ul2d, ...
    (re.compile(r"^__\w*[sd]f\w*$"), "libgcc float routine"),  # __addsf3, __floatsidf, __fixdfsi, ...
    (re.compile(r"^(malloc|calloc|realloc|free|aligned_alloc|posix_memalign|_?sbrk|_malloc_r|_free_r)$"), "heap"),
    (re.compile(r"^_Zn[wa]"), "operator new"),
    (re.compile(r"^_Zd[la]"), "operator delete"),
]


def symbols(nm, path):
    out = subprocess.run([nm, "--format=posix", path], check=True, stdout=subprocess.PIPE, text=True).stdout
    result = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 2 and not line.endswith(":"):
            result.append((fields[0], fields[1]))
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nm", required=True)
    parser.add_argument("--expect-violation", action="store_true")
    parser.add_argument("objects", nargs="+")
    args = parser.parse_args()

    violations = []
    needed = set()
    for path in args.objects:
        for name, kind in symbols(args.nm, path):
            if kind == "U":
                needed.add(name)
            for pattern, what in FORBIDDEN:
                if pattern.search(name):
                    violations.append("%s: %s %s (%s)" % (path, "needs" if kind == "U" else "defines", name, what))
    print("symbols needed from outside: %s" % (" ".join(sorted(needed)) or "(none)"))
    for v in violations:
        print(v)
    if args.expect_violation:
        print("negative control: %s" % ("flagged as it should be" if violations else "NOT flagged"))
        return 0 if violations else 1
    print("no float helper, no heap" if not violations else "FAIL: %d forbidden symbols" % len(violations))
    return 0 if not violations else 1


if __name__ == "__main__":
    sys.exit(main())
