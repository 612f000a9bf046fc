#!/usr/bin/env python3
"""Run two commands and require byte-identical stdout and both exiting 0.

usage: same_output.py CMD_A... -- CMD_B...
"""
import subprocess
import sys


def run(cmd):
    done = subprocess.run(cmd, stdout=subprocess.PIPE, timeout=120)
    return done.returncode, done.stdout


def main(argv):
    if "--" not in argv:
        print("same_output.py: usage: same_output.py CMD_A... -- CMD_B...", file=sys.stderr)
        return 2
    split = argv.index("--")
    a, b = argv[:split], argv[split + 1 :]
    rc_a, out_a = run(a)
    rc_b, out_b = run(b)
    sys.stdout.write("--- %s (exit %d)\n%s" % (" ".join(a), rc_a, out_a.decode(errors="replace")))
    sys.stdout.write("--- %s (exit %d)\n%s" % (" ".join(b), rc_b, out_b.decode(errors="replace")))
    if rc_a != 0 or rc_b != 0:
        print("FAIL: a command exited non-zero")
        return 1
    if out_a != out_b:
        print("FAIL: outputs differ")
        return 1
    print("identical: %d bytes" % len(out_a))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
