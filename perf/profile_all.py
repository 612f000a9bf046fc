#!/usr/bin/env python3
"""The whole perf table: for every example, per-layer instructions and estimated cycles on the M0
(perf/m0_profile.py), flash (perf/m0_size.py's split: the network's code the image links, and its
constants), arena, stack, host compile time. Writes
perf/results/{profile.csv, EXAMPLE_cycles.png} and the tables in perf/README.md between its
markers, and prints the Markdown.

usage: profile_all.py BUILD_DIR SOURCE_DIR RUN_M0
Run through `ninja -C build perf-report` (regenerates the committed results on purpose).
"""
import os
import subprocess
import sys

EXAMPLES = [  # name, profile ELF, network object, stack-usage file, forward source (compile time)
    ("xor", "dsl_examples/xor/xor_profile_m0.elf", "dsl_examples/xor/libxor_network_m0.a",
     "dsl_examples/xor/libxor_network_m0.a.p/xor_forward.cpp.su", "dsl_examples/xor/xor_forward.cpp"),
    ("resnet18_block", "dsl_examples/resnet18_block_profile_m0.elf", "dsl_examples/libresnet18_block_forward_m0.a",
     "dsl_examples/libresnet18_block_forward_m0.a.p/resnet18_block_forward.cpp.su", "dsl_examples/resnet18_block/forward.cpp"),
    ("mobilenetv2", "dsl_examples/mobilenetv2_profile_m0.elf", "dsl_examples/libmobilenetv2_forward_m0.a",
     "dsl_examples/libmobilenetv2_forward_m0.a.p/mobilenetv2_forward.cpp.su", "dsl_examples/mobilenetv2/forward.cpp"),
]
BEGIN, END = "<!-- perf-report:begin -->", "<!-- perf-report:end -->"
COMPILE_RUNS = 3  # compile time is the best of this many runs (see compile_cost.py)


def run(cmd):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout


def main(argv):
    if len(argv) != 3:
        print("usage: profile_all.py BUILD_DIR SOURCE_DIR RUN_M0", file=sys.stderr)
        return 2
    build, source, qemu = argv
    here = os.path.join(source, "perf")
    results = os.path.join(here, "results")
    os.makedirs(results, exist_ok=True)
    tools = ["--objdump", "arm-none-eabi-objdump", "--addr2line", "arm-none-eabi-addr2line", "--nm", "arm-none-eabi-nm"]
    summary = ["| example | MACs | instructions | est. cycles | cycles/MAC | flash: code + constants | arena | stack (measured / static) | compile (CPU, best of %d; peak) |" % COMPILE_RUNS,
               "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    sections = []
    csv_rows = ["example,step,layer,macs,instructions,cycles,cycles_per_mac"]
    for name, elf, network, su, forward in EXAMPLES:
        csv_path = os.path.join(results, name + ".csv")
        md = run([sys.executable, os.path.join(here, "m0_profile.py"), "--qemu", qemu] + tools +
                 ["--name", name, "--csv", csv_path, "--png", os.path.join(results, name + "_cycles.png"),
                  os.path.join(build, elf), os.path.join(build, su)])
        sections.append(md)
        rows = open(csv_path).read().splitlines()[1:]
        csv_rows += rows
        os.remove(csv_path)
        total = rows[-1].split(",")
        # Code: what the linked image keeps of the network object (m0_size.py's "linked").
        size = run([sys.executable, os.path.join(here, "m0_size.py"), "--size", "arm-none-eabi-size",
                    "--nm", "arm-none-eabi-nm", "--image", os.path.join(build, elf),
                    os.path.join(build, network)]).splitlines()[-1].split()
        stack = [l for l in md.splitlines() if l.startswith("Stack:")][0]
        measured = stack.split()[1]
        static = stack.rsplit(" ", 2)[-2]
        cost = run([sys.executable, os.path.join(here, "compile_cost.py"), "--runs", str(COMPILE_RUNS), "--", "c++", "-std=c++20", "-O3",
                    "-fconstexpr-ops-limit=268435456", "-I" + os.path.join(source, "include"), "--",
                    os.path.join(source, forward)]).splitlines()[-1].split()
        summary.append("| %s | %s | %s | %s | %s | %s + %s B | %s B | %s / %s B | %s s, %s MiB |" % (
            name, total[3], total[4], total[5], total[6], size[6], size[3], size[5], measured, static, cost[1], cost[3]))
    with open(os.path.join(results, "profile.csv"), "w") as f:
        f.write("\n".join(csv_rows) + "\n")
    text = "\n".join(summary) + "\n\n" + "\n".join(sections)
    readme = os.path.join(here, "README.md")
    old = open(readme).read()
    if BEGIN in old and END in old:
        new = old[:old.index(BEGIN) + len(BEGIN)] + "\n" + text + old[old.index(END):]
        with open(readme, "w") as f:
            f.write(new)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
