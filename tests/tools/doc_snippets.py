#!/usr/bin/env python3
"""Compiles every ```cpp block of a Markdown file, each on its own after `#include <qpipe.hpp>` and
`using namespace qpipe;`, so that the declarations a page shows are ones the library accepts.

usage: doc_snippets.py PAGE.md -- COMPILER [FLAGS...]
Prints one line per block and exits 1 if any block fails to compile (its first error shown)."""
import os
import re
import subprocess
import sys
import tempfile


def main(argv):
    if "--" not in argv or argv.index("--") != 1:
        print("usage: doc_snippets.py PAGE.md -- COMPILER [FLAGS...]")
        return 1
    page, compiler = argv[0], argv[2:]
    text = open(page, encoding="utf-8").read()
    blocks = [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in re.finditer(r"```cpp\n(.*?)```", text, re.S)]
    if not blocks:
        print("%s: no ```cpp blocks" % page)
        return 1
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for line, code in blocks:
            source = os.path.join(tmp, "snippet_%d.cpp" % line)
            with open(source, "w", encoding="utf-8") as f:
                f.write(
                    '#include <type_traits>\n#include <qpipe.hpp>\nusing namespace qpipe;\n#line %d "%s"\n%s\n'
                    % (line, page, code)
                )
            r = subprocess.run(compiler + ["-fsyntax-only", source], capture_output=True, text=True)
            errors = [l for l in r.stderr.splitlines() if "error" in l]
            print(
                "%s:%d: %s"
                % (
                    page,
                    line,
                    "compiles" if r.returncode == 0 else "FAILS: " + (errors[0] if errors else r.stderr[:300]),
                )
            )
            failed += r.returncode != 0
    print("%d of %d blocks compile" % (len(blocks) - failed, len(blocks)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
