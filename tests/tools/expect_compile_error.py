#!/usr/bin/env python3
"""A must-not-compile test: compile SOURCE and require it to fail with every message that the
source's `// EXPECT: <regex>` lines name (matched against the compiler's output).

usage: expect_compile_error.py SOURCE -- COMPILER [FLAGS...]
"""
import re
import subprocess
import sys


def main(argv):
    if len(argv) < 3 or argv[1] != "--":
        print("expect_compile_error.py: usage: SOURCE -- COMPILER [FLAGS...]", file=sys.stderr)
        return 2
    source, compiler = argv[0], argv[2:]
    with open(source) as f:
        expected = [m.group(1).strip() for m in re.finditer(r"//\s*EXPECT:\s*(.+)", f.read())]
    if not expected:
        print("%s has no // EXPECT: line" % source)
        return 2
    done = subprocess.run(compiler + ["-fsyntax-only", source], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if done.returncode == 0:
        print("FAIL: %s compiled, but must not" % source)
        return 1
    missing = [e for e in expected if not re.search(e, done.stdout)]
    for e in expected:
        print("%s: %s" % ("missing" if e in missing else "found  ", e))
    if missing:
        print("---- compiler output ----\n" + done.stdout[:6000])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
