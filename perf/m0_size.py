#!/usr/bin/env python3
"""Print the M0 sizes of network objects and whole images: code (.text), read-only data (.rodata,
and of that the network's constants: the `network` object, i.e. the model's integer constants, and
the kernels' static data, is_constants_section), data and bss (the arena),
from `arm-none-eabi-size -A`. Objects must be built with separate sections per symbol (the cross
file's -ffunction-sections -fdata-sections) for the split to be exact.

With --image ELF --nm NM (one network object): also the code of that object that the linked
image keeps ("linked"): the sizes in ELF of the object's code symbols that survive the linker's
--gc-sections. An object can hold code no caller reached after optimisation (an out-of-line
routine referenced only from a path GCC removed); the image does not.

usage: m0_size.py --size SIZE [--nm NM --image ELF] FILE...
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


def is_constants_section(name):
    """A read-only data section of the network's constants: the `network` object itself, or static
    data of the kernels (qpipe::m0's and qpipe::reference_ops' static constexpr members, e.g. a
    layer's shape record that an out-of-line routine reads): flash the network needs, where the
    profile programs' own tables (qpipe_profile, examples) are not."""
    return name.startswith(".rodata.") and (
        name.endswith("7networkE") or name.startswith((".rodata._ZN5qpipe2m0", ".rodata._ZN5qpipe13reference_ops"))
    )


def network_constants(size_tool, path):
    """Bytes of the network's constants in an object (is_constants_section)."""
    return sum(size for name, size in sections(size_tool, path) if is_constants_section(name))


def symbol_sizes(nm, path, kinds):
    out = subprocess.run([nm, "-S", "--defined-only", path], check=True, stdout=subprocess.PIPE, text=True).stdout
    sizes = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in kinds:
            sizes[parts[3]] = int(parts[1], 16)
    return sizes


def linked_code(nm, obj, image):
    """Bytes of the object's functions (with their literal pools) present in the linked image."""
    mine = symbol_sizes(nm, obj, "TtWw")
    kept = symbol_sizes(nm, image, "TtWw")
    return sum(kept[name] for name in mine if name in kept)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", required=True)
    parser.add_argument("--nm")
    parser.add_argument("--image")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    linked = bool(args.image and args.nm)
    print(
        "%-36s %7s %7s %9s %6s %6s%s"
        % ("file", ".text", ".rodata", "(network)", ".data", ".bss", " %7s" % "linked" if linked else "")
    )
    for path in args.files:
        totals = {"text": 0, "rodata": 0, "network": 0, "data": 0, "bss": 0}
        for name, size in sections(args.size, path):
            for kind in ("text", "rodata", "data", "bss"):
                if name == "." + kind or name.startswith("." + kind + "."):
                    totals[kind] += size
            if is_constants_section(name):
                totals["network"] += size
        print(
            "%-36s %7d %7d %9d %6d %6d%s"
            % (
                path.split("/")[-1],
                totals["text"],
                totals["rodata"],
                totals["network"],
                totals["data"],
                totals["bss"],
                " %7d" % linked_code(args.nm, path, args.image) if linked else "",
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
