#!/usr/bin/env python3
"""Every public header compiles on its own (it includes what it uses) and leaves no macro of its
own behind (the assembly text of the Cortex-M0 backend is built by macros, each taken away by
the header that defines it).

usage: headers_compile_alone.py INCLUDE_DIR -- COMPILER [FLAGS...]
Compiles `#include <header>` alone for each header under INCLUDE_DIR with -fsyntax-only, and
preprocesses it with -dM to list the QPIPE_ macros still defined after it.
"""
import os
import re
import subprocess
import sys
import tempfile


# The one header whose purpose is to define macros for the header that includes it, which then
# includes its counterpart (folded_code_end.hpp) to take them away.
OPENS_MACROS = {os.path.join("qpipe", "backends", "m0", "asm", "folded_code_begin.hpp")}


def main(argv):
    if len(argv) < 3 or argv[1] != "--":
        print("headers_compile_alone.py: usage: INCLUDE_DIR -- COMPILER [FLAGS...]", file=sys.stderr)
        return 2
    root, compiler = argv[0], argv[2:]
    headers = sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files if f.endswith(".hpp")
    )
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for h in headers:
            src = os.path.join(tmp, "one.cpp")
            with open(src, "w") as f:
                f.write("#include <%s>\n" % h)
            done = subprocess.run(
                compiler + ["-I", root, "-fsyntax-only", src],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            macros = subprocess.run(
                compiler + ["-I", root, "-E", "-dM", src], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            leaked = sorted(set(re.findall(r"^#define (QPIPE_\w+)", macros.stdout, re.M)))
            if h in OPENS_MACROS:
                leaked = []
            ok = done.returncode == 0 and not leaked
            print("%-4s %s" % ("ok" if ok else "FAIL", h))
            if done.returncode != 0:
                print(done.stdout[:3000])
            if leaked:
                print("  leaves macros defined: %s" % " ".join(leaked))
            failed += not ok
    print("%d headers, %d failed" % (len(headers), failed))
    return 1 if failed or not headers else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
