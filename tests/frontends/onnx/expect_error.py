#!/usr/bin/env python3
"""Runs CMD and requires exit status 1 and exactly one stderr line starting `qpipe_tools.onnx: error:`
(no traceback).

usage: expect_error.py [--contains TEXT] -- CMD...
"""
import subprocess
import sys


def main(argv):
    split = argv.index("--")
    opts, cmd = argv[:split], argv[split + 1 :]
    contains = opts[opts.index("--contains") + 1] if "--contains" in opts else None
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    err = done.stderr.decode(errors="replace")
    lines = err.splitlines()
    print("exit %d, stderr:\n%s" % (done.returncode, err))
    if done.returncode != 1:
        print("FAIL: exit status %d, expected 1" % done.returncode)
        return 1
    if len(lines) != 1 or not lines[0].startswith("qpipe_tools.onnx: error:"):
        print("FAIL: expected exactly one stderr line starting 'qpipe_tools.onnx: error:'")
        return 1
    if contains is not None and contains not in lines[0]:
        print("FAIL: the message does not mention %r" % contains)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
