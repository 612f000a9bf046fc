#!/usr/bin/env python3
"""Compile each source and print the compiler's CPU time, wall time and peak memory.

usage: compile_cost.py [--runs N] -- COMPILER [FLAGS...] -- SOURCE...
With N runs (default 1) each figure is the best of the N. That removes the noise between runs
close together; it does not remove the drift of a shared machine over hours or days (the best
CPU time of the same compile has differed by a factor of two between days). Peak memory hardly
varies, so it is the figure to compare across reports. The numbers are for watching trends, not
for asserting.
"""
import os
import subprocess
import sys
import tempfile
import time


def measure(compiler, source):
    with tempfile.TemporaryDirectory() as tmp:
        start = time.monotonic()
        proc = subprocess.Popen(
            compiler + ["-c", source, "-o", os.path.join(tmp, "out.o")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        _, status, usage = os.wait4(proc.pid, 0)  # usage includes the driver's cc1plus
        elapsed = time.monotonic() - start
        err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("compile_cost.py: %s did not compile:\n%s" % (source, err[:3000]))
    # ru_maxrss is in KiB on Linux
    return usage.ru_utime + usage.ru_stime, elapsed, usage.ru_maxrss / 1024.0


def main(argv):
    runs = 1
    if len(argv) >= 2 and argv[0] == "--runs":
        if not argv[1].isdigit() or int(argv[1]) < 1:
            print("compile_cost.py: --runs takes a positive count, not %r" % argv[1], file=sys.stderr)
            return 2
        runs, argv = int(argv[1]), argv[2:]
    if argv.count("--") != 2 or argv[0] != "--":
        print("compile_cost.py: usage: [--runs N] -- COMPILER [FLAGS...] -- SOURCE...", file=sys.stderr)
        return 2
    second = argv.index("--", 1)
    compiler, sources = argv[1:second], argv[second + 1 :]
    print("best of %d run%s" % (runs, "" if runs == 1 else "s"))
    print("%-48s %9s %9s %12s" % ("source", "cpu s", "wall s", "peak MiB"))
    for source in sources:
        cpu, wall, mib = map(min, zip(*(measure(compiler, source) for _ in range(runs))))
        print("%-48s %9.2f %9.2f %12.0f" % (os.path.relpath(source), cpu, wall, mib))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
