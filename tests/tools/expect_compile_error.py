#!/usr/bin/env python3
"""A must-not-compile test: compile SOURCE and require it to fail with every message that the
source's `// EXPECT: <regex>` lines name (matched against the compiler's output), with exactly one
error and at most 30 lines of output: one mistake, one diagnostic.

A source with a line `// USER-PATH: NAME` (NAME a spec variable) is compiled as a user would go on:
the runner appends `compile<NAME>()` and a call of the network on an input of its size, which must
add nothing to the one error.

usage: expect_compile_error.py SOURCE -- COMPILER [FLAGS...]
"""
import os
import re
import subprocess
import sys
import tempfile

MAX_LINES = 30

USER_PATH = """
// Appended by expect_compile_error.py: the rest of the user's path.
inline constexpr auto user_path_network = qpipe::compile<{spec}>();
inline int user_path_call() {{
  std::array<std::int8_t, std::remove_cvref_t<decltype(user_path_network)>::input_shape::size> input{{}};
  return user_path_network(input)[0];
}}
"""


def main(argv):
    if len(argv) < 3 or argv[1] != "--":
        print("expect_compile_error.py: usage: SOURCE -- COMPILER [FLAGS...]", file=sys.stderr)
        return 2
    source, compiler = argv[0], argv[2:]
    with open(source) as f:
        text = f.read()
    expected = [m.group(1).strip() for m in re.finditer(r"//\s*EXPECT:\s*(.+)", text)]
    if not expected:
        print("%s has no // EXPECT: line" % source)
        return 2
    user_path = re.search(r"//\s*USER-PATH:\s*(\w+)", text)
    with tempfile.TemporaryDirectory() as tmp:
        compiled = source
        if user_path:
            compiled = os.path.join(tmp, os.path.basename(source))
            with open(compiled, "w") as f:
                f.write(
                    '#line 1 "%s"\n%s\n#include <array>\n#include <cstdint>\n#include <type_traits>\n%s'
                    % (source, text, USER_PATH.format(spec=user_path.group(1)))
                )
        done = subprocess.run(
            compiler + ["-fsyntax-only", compiled], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
    if done.returncode == 0:
        print("FAIL: %s compiled, but must not" % source)
        return 1
    missing = [e for e in expected if not re.search(e, done.stdout)]
    for e in expected:
        print("%s: %s" % ("missing" if e in missing else "found  ", e))
    errors = len(re.findall(r": error: ", done.stdout))
    lines = done.stdout.count("\n")
    print("%d error(s), %d lines of output%s" % (errors, lines, " (with the user path)" if user_path else ""))
    if missing or errors != 1 or lines > MAX_LINES:
        if errors != 1:
            print("FAIL: one mistake must give one error")
        if lines > MAX_LINES:
            print("FAIL: more than %d lines" % MAX_LINES)
        print("---- compiler output ----\n" + done.stdout[:6000])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
