#!/usr/bin/env python3
"""Compile each source once and print the compiler's wall time and peak memory.

usage: compile_cost.py -- COMPILER [FLAGS...] -- SOURCE...
The numbers are for watching trends (one run, this machine), not for asserting.
"""
import os
import subprocess
import sys
import tempfile
import time


def measure(compiler, source):
    with tempfile.TemporaryDirectory() as tmp:
        start = time.monotonic()
        proc = subprocess.Popen(compiler + ["-c", source, "-o", os.path.join(tmp, "out.o")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.monotonic() - start
        err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("compile_cost.py: %s did not compile:\n%s" % (source, err[:3000]))
    return elapsed, usage.ru_maxrss / 1024.0  # ru_maxrss is in KiB on Linux


def main(argv):
    if argv.count("--") != 2 or argv[0] != "--":
        print("compile_cost.py: usage: -- COMPILER [FLAGS...] -- SOURCE...", file=sys.stderr)
        return 2
    second = argv.index("--", 1)
    compiler, sources = argv[1:second], argv[second + 1:]
    print("%-48s %9s %12s" % ("source", "seconds", "peak MiB"))
    for source in sources:
        seconds, mib = measure(compiler, source)
        print("%-48s %9.2f %12.0f" % (os.path.relpath(source), seconds, mib))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
