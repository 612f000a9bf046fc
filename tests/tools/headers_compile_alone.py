#!/usr/bin/env python3
"""Every public header compiles on its own (it includes what it uses).

usage: headers_compile_alone.py INCLUDE_DIR -- COMPILER [FLAGS...]
Compiles `#include <header>` alone for each header under INCLUDE_DIR with -fsyntax-only.
"""
import os
import subprocess
import sys
import tempfile


def main(argv):
    if len(argv) < 3 or argv[1] != "--":
        print("headers_compile_alone.py: usage: INCLUDE_DIR -- COMPILER [FLAGS...]", file=sys.stderr)
        return 2
    root, compiler = argv[0], argv[2:]
    headers = sorted(os.path.relpath(os.path.join(d, f), root)
                     for d, _, files in os.walk(root) for f in files if f.endswith(".hpp"))
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for h in headers:
            src = os.path.join(tmp, "one.cpp")
            with open(src, "w") as f:
                f.write("#include <%s>\n" % h)
            done = subprocess.run(compiler + ["-I", root, "-fsyntax-only", src],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            print("%-4s %s" % ("ok" if done.returncode == 0 else "FAIL", h))
            if done.returncode != 0:
                failed += 1
                print(done.stdout[:3000])
    print("%d headers, %d failed" % (len(headers), failed))
    return 1 if failed or not headers else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
