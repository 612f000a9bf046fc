#!/usr/bin/python3
"""The summary a front end wrote into a header against what the compiler made of that header.

usage: summary_matches_compiler.py HEADER -- CMD...

HEADER's comment block `// Summary:` (qpipe_tools.summary) gives the steps and the MACs as the front
end computed them in Python; CMD (a build of run_model.cpp) prints the compiled model's
`steps N, N MACs` (Model::stage_count, Model::macs). Both must be equal. (The arena is not printed
there: each backend plans its own; the summary's bound is checked by test_summary.py.)
"""
import re
import subprocess
import sys


def header_figures(path):
    text = open(path).read()
    block = text[text.index("// Summary:") : text.index("#pragma once")]
    number = lambda pattern: int(re.search(pattern, block).group(1).replace(",", ""))
    return number(r"\(steps ([\d,]+)\)"), number(r"MACs ([\d,]+) per inference")


def main(argv):
    split = argv.index("--")
    header, cmd = argv[0], argv[split + 1 :]
    expected = header_figures(header)
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, timeout=600)
    found = re.search(r"^steps (\d+), (\d+) MACs$", done.stdout, re.M)
    if done.returncode != 0 or not found:
        print("FAIL: %s exited with %d without a `steps N, N MACs` line" % (cmd[0], done.returncode))
        return 1
    got = tuple(int(g) for g in found.groups())
    print("summary in the header: steps %d, %d MACs" % expected)
    print("compiled model:        steps %d, %d MACs" % got)
    if got != expected:
        print("FAIL: the summary differs from the compiled model")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
