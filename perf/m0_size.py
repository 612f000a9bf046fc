#!/usr/bin/env python3
"""Print the M0 sizes of network objects and whole images: code (.text), read-only data (.rodata,
and of that the `network` object, i.e. the model's integer constants), data and bss (the arena),
from `arm-none-eabi-size -A`. Objects must be built with separate sections per symbol (the cross
file's -ffunction-sections -fdata-sections) for the split to be exact.

usage: m0_size.py --size SIZE FILE...
"""
import argparse
import subprocess
import sys


def sections(size_tool, path):
    out = subprocess.run([size_tool, "-A", path], check=True, stdout=subprocess.PIPE, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            yield parts[0], int(parts[1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", required=True)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    print("%-36s %7s %7s %9s %6s %6s" % ("file", ".text", ".rodata", "(network)", ".data", ".bss"))
    for path in args.files:
        totals = {"text": 0, "rodata": 0, "network": 0, "data": 0, "bss": 0}
        for name, size in sections(args.size, path):
            for kind in ("text", "rodata", "data", "bss"):
                if name == "." + kind or name.startswith("." + kind + "."):
                    totals[kind] += size
            if name.startswith(".rodata.") and name.endswith("7networkE"):
                totals["network"] += size
        print("%-36s %7d %7d %9d %6d %6d" % (path.split("/")[-1], totals["text"], totals["rodata"],
                                            totals["network"], totals["data"], totals["bss"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
