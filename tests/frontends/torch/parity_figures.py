#!/usr/bin/env python3
"""The torch conv nets' parity figures in docs/frontends.md, from the parity programs' own output.

usage: parity_figures.py PAGE [--write] -- NAME=PROGRAM:BOUND...

Runs each parity program (convnet_parity.cpp & co.: the int8 network and qpipe's float reference
against torch's float64 outputs) with its bound, reads the figures it prints, renders them as a
table, and compares the table with the page's region between `<!-- parity: torch ... -->` and
`<!-- end parity -->`: exit 1 with a diff when they differ (--write rewrites the region), or when a
program fails its bound. Deterministic: the models are seeded and the programs compute no time.
"""
import difflib
import re
import subprocess
import sys

REGION = re.compile(r"(<!-- parity: torch \(.*?\) -->\n)(.*?)(<!-- end parity -->)", re.S)
INT8 = re.compile(
    r"^(\w+): max \|int8 - torch\| = ([\d.]+) \(([\d.]+) output steps\), ([\d.]+) % of the output " r"range ([\d.]+);",
    re.M,
)
REFERENCE = re.compile(r"^(\w+): max \|qpipe float reference - torch\| = (\S+) ", re.M)


def main(argv):
    if "--" not in argv:
        print("parity_figures.py: usage: PAGE [--write] -- NAME=PROGRAM:BOUND...")
        return 1
    split = argv.index("--")
    options, programs = argv[:split], argv[split + 1 :]
    if not options or not programs or any("=" not in p or ":" not in p for p in programs):
        print("parity_figures.py: usage: PAGE [--write] -- NAME=PROGRAM:BOUND...")
        return 1
    page, write = options[0], "--write" in options[1:]
    rows = [
        "| model | max \\|int8 - torch\\| | in output steps | of the output range | "
        "max \\|qpipe float reference - torch\\| |",
        "|---|---:|---:|---:|---:|",
    ]
    for spec in programs:
        name, rest = spec.split("=", 1)
        program, bound = rest.rsplit(":", 1)
        r = subprocess.run([program, bound], capture_output=True, text=True)
        int8, reference = INT8.search(r.stdout), REFERENCE.search(r.stdout)
        if r.returncode != 0 or not int8 or not reference:
            last = ((r.stdout + r.stderr).strip().splitlines() or ["no output"])[-1]
            print("parity_figures.py: %s failed (exit %d): %s" % (program, r.returncode, last))
            return 1
        rows.append(
            "| torch %s | %.4f | %.2f | %.2f %% of %.2f | %s |"
            % (
                name,
                float(int8.group(2)),
                float(int8.group(3)),
                float(int8.group(4)),
                float(int8.group(5)),
                reference.group(2),
            )
        )
    table = "\n".join(rows) + "\n"
    old = open(page, encoding="utf-8").read()
    if len(REGION.findall(old)) != 1:
        print("parity_figures.py: %s has no <!-- parity: torch (...) --> ... <!-- end parity --> region" % page)
        return 1
    new = REGION.sub(lambda m: m.group(1) + table + m.group(3), old)
    if new == old:
        print("parity_figures.py: %s shows the %d parity programs' figures" % (page, len(programs)))
        return 0
    if write:
        with open(page, "w", encoding="utf-8") as f:
            f.write(new)
        print("parity_figures.py: rewrote the parity figures of %s" % page)
        return 0
    sys.stdout.writelines(
        difflib.unified_diff(
            old.splitlines(True),
            new.splitlines(True),
            page + " (committed)",
            page + " (what the parity programs print)",
        )
    )
    print("parity_figures.py: %s shows figures the parity programs no longer print: rerun with --write" % page)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
