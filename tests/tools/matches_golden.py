#!/usr/bin/env python3
"""Run a command and require that it exits 0 and that its stdout equals a golden file byte for byte.

usage: matches_golden.py [--update] GOLDEN -- CMD...
--update rewrites GOLDEN from the command's output instead (regenerate on purpose, then review
the diff before committing).
"""
import difflib
import subprocess
import sys


def main(argv):
    update = bool(argv) and argv[0] == "--update"
    if update:
        argv = argv[1:]
    if len(argv) < 3 or argv[1] != "--":
        print("matches_golden.py: usage: [--update] GOLDEN -- CMD...", file=sys.stderr)
        return 2
    golden, cmd = argv[0], argv[2:]
    done = subprocess.run(cmd, stdout=subprocess.PIPE, timeout=300)
    if done.returncode != 0:
        sys.stdout.write(done.stdout.decode(errors="replace"))
        print("FAIL: %s exited %d" % (" ".join(cmd), done.returncode))
        return 1
    if update:
        with open(golden, "wb") as f:
            f.write(done.stdout)
        print("wrote %s" % golden)
        return 0
    try:
        with open(golden, "rb") as f:
            expected = f.read()
    except OSError as e:
        print("matches_golden.py: cannot read %s: %s" % (golden, e.strerror))
        return 1
    sys.stdout.write(done.stdout.decode(errors="replace"))
    if done.stdout != expected:
        diff = difflib.unified_diff(
            expected.decode(errors="replace").splitlines(),
            done.stdout.decode(errors="replace").splitlines(),
            golden,
            "output",
            lineterm="",
        )
        print("\n".join(diff))
        print("FAIL: output differs from %s" % golden)
        return 1
    print("ok: identical to %s" % golden)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
