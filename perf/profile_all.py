#!/usr/bin/env python3
"""The examples on the M0, measured: for every example, per-step instructions and estimated cycles
of one inference (perf/m0_profile.py), flash (perf/m0_size.py's split: the network's code the
image links, and its constants), arena, stack (measured and GCC's static figure), the RAM of the
example's image, the model's compile-time figures, and the host compile time; and the sizes of the
test CNN's network object. Writes perf/results/examples.json (the measurement), profile.csv and a
bar chart per example, then renders the documents' figures from it (perf/figures.py --write).

usage: profile_all.py BUILD_DIR SOURCE_DIR RUN_M0           (ninja -C build perf-report)
       profile_all.py --check BUILD_DIR SOURCE_DIR RUN_M0   (the test suite)
--check measures everything but the compile time (which varies from run to run; it is not
checked) and fails, naming each difference, where the committed perf/results/examples.json says
otherwise: a change of the kernels that moves a cycle, a byte of code or of the arena must come
with its regenerated figures.
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import m0_profile  # noqa: E402
import m0_size  # noqa: E402
from stack_usage import forward_and_callee_frames  # noqa: E402

EXAMPLES = [  # name, profile ELF, network object, stack-usage file, the example's image, forward source
    (
        "xor",
        "dsl_examples/xor/xor_profile_m0.elf",
        "dsl_examples/xor/libxor_network_m0.a",
        "dsl_examples/xor/libxor_network_m0.a.p/xor_forward.cpp.su",
        "dsl_examples/xor/xor_m0.elf",
        "dsl_examples/xor/xor_forward.cpp",
    ),
    (
        "resnet18_block",
        "dsl_examples/resnet18_block_profile_m0.elf",
        "dsl_examples/libresnet18_block_forward_m0.a",
        "dsl_examples/libresnet18_block_forward_m0.a.p/resnet18_block_forward.cpp.su",
        "dsl_examples/resnet18_block_m0.elf",
        "dsl_examples/resnet18_block/forward.cpp",
    ),
    (
        "mobilenetv2",
        "dsl_examples/mobilenetv2_profile_m0.elf",
        "dsl_examples/libmobilenetv2_forward_m0.a",
        "dsl_examples/libmobilenetv2_forward_m0.a.p/mobilenetv2_forward.cpp.su",
        "dsl_examples/mobilenetv2_m0.elf",
        "dsl_examples/mobilenetv2/forward.cpp",
    ),
]
CNN = ("tests/libcnn_network_m0.a", "tests/cnn_on_m0.elf")
COMPILE_RUNS = 3  # compile time is the best of this many runs (see compile_cost.py)
TOOLS = {"objdump": "arm-none-eabi-objdump", "addr2line": "arm-none-eabi-addr2line", "nm": "arm-none-eabi-nm"}
SIZE = "arm-none-eabi-size"
# Figures that vary from run to run: measured by the report, not compared by --check.
UNCHECKED = {"compile_cpu", "compile_mib"}


def run(cmd):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout


def object_sizes(obj):
    totals = {"text": 0, "constants": 0, "bss": 0}
    for name, size in m0_size.sections(SIZE, obj):
        if name == ".text" or name.startswith(".text."):
            totals["text"] += size
        if m0_size.is_constants_section(name):
            totals["constants"] += size
        if name == ".bss" or name.startswith(".bss."):
            totals["bss"] += size
    return totals


def image_ram(image):
    """(.text, static data: .data + .bss of the whole image, the reserved stack __stack_size)"""
    text, static = 0, 0
    for name, size in m0_size.sections(SIZE, image):
        if name == ".text":
            text += size
        if name.startswith((".data", ".bss", ".tdata", ".tbss")):
            static += size
    stack = [int(l.split()[0], 16) for l in run([TOOLS["nm"], image]).splitlines() if l.endswith(" __stack_size")]
    return text, static, stack[0]


def measure_example(build, source, qemu, trace, entry, compile_time):
    name, elf, network, su, image, forward = entry
    elf, network, su, image = (os.path.join(build, p) for p in (elf, network, su, image))
    stages, kernels, facts, counts = m0_profile.profile(qemu, TOOLS, elf, trace)
    rows = m0_profile.table_rows(stages, kernels, counts)
    for r in rows:
        del r["kernel"]
    frame, callees = forward_and_callee_frames(su)
    sizes = object_sizes(network)
    text, static, stack_reserved = image_ram(image)
    model = facts["model"]
    e = {
        "name": name,
        "macs": model["macs"],
        "parameter_bytes": model["parameter_bytes"],
        "arena": model["arena"],
        "unplanned_arena": model["unplanned_arena"],
        "rows": rows,
        "code": m0_size.linked_code(TOOLS["nm"], network, elf),
        "object_text": sizes["text"],
        "constants": sizes["constants"],
        "bss": sizes["bss"],
        "stack_measured": facts["stack"],
        "stack_frame": frame,
        "stack_callees": callees,
        "stack_static": frame + callees,
        "image_text": text,
        "ram_static": static,
        "stack_reserved": stack_reserved,
    }
    if model["macs"] != rows[-1]["macs"] or model["arena"] != sizes["bss"]:
        raise SystemExit(
            "profile_all.py: %s: the model's MACs / arena (%d / %d) differ from the steps' / the object's .bss "
            "(%d / %d)" % (name, model["macs"], model["arena"], rows[-1]["macs"], sizes["bss"])
        )
    if compile_time:
        cost = (
            run(
                [
                    sys.executable,
                    os.path.join(HERE, "compile_cost.py"),
                    "--runs",
                    str(COMPILE_RUNS),
                    "--",
                    "c++",
                    "-std=c++20",
                    "-O3",
                    "-fconstexpr-ops-limit=268435456",
                    "-I" + os.path.join(source, "include"),
                    "--",
                    os.path.join(source, forward),
                ]
            )
            .splitlines()[-1]
            .split()
        )
        e.update({"compile_cpu": float(cost[1]), "compile_mib": int(cost[3])})
    return e, stages, kernels, counts


def measure_cnn(build, qemu):
    obj, image = (os.path.join(build, p) for p in CNN)
    sizes = object_sizes(obj)
    out = run(qemu + [image])
    m = re.search(r"steps (\d+), arena (\d+) bytes \(one buffer per tensor: (\d+)\), (\d+) MACs", out)
    if not m or int(m.group(2)) != sizes["bss"]:
        raise SystemExit("profile_all.py: the test CNN's figures line is missing or its arena is not its object's .bss")
    return {
        "macs": int(m.group(4)),
        "object_text": sizes["text"],
        "constants": sizes["constants"],
        "arena": sizes["bss"],
    }


def differences(old, new, where=""):
    """Paths at which two measurements differ, the unchecked figures left out."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in sorted(set(old) | set(new)):
            if k in UNCHECKED:
                continue
            out += differences(old.get(k), new.get(k), "%s.%s" % (where, k) if where else k)
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [d for i, (a, b) in enumerate(zip(old, new)) for d in differences(a, b, "%s[%d]" % (where, i))]
    return [] if old == new else ["%s: committed %s, measured %s" % (where, json.dumps(old), json.dumps(new))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--trace", choices=["insn", "block"], default="block")
    ap.add_argument("build")
    ap.add_argument("source")
    ap.add_argument("qemu")
    args = ap.parse_args()
    results = os.path.join(args.source, "perf", "results")
    qemu = args.qemu.split()
    measured = {
        "command": "ninja -C build perf-report (perf/profile_all.py)",
        "compile_runs": COMPILE_RUNS,
        "examples": [],
    }
    csv_rows, charts = ["example,step,layer,macs,instructions,cycles,cycles_per_mac"], []
    for entry in EXAMPLES:
        e, stages, kernels, counts = measure_example(args.build, args.source, qemu, args.trace, entry, not args.check)
        measured["examples"].append(e)
        csv_rows += [
            "%s,%s,%s,%d,%d,%d,%s"
            % (
                e["name"],
                r["step"],
                r["layer"],
                r["macs"],
                r["instructions"],
                r["cycles"],
                m0_profile.per_mac(r["macs"], r["cycles"]),
            )
            for r in e["rows"]
        ]
        charts.append((e["name"], e["rows"]))
    measured["cnn"] = measure_cnn(args.build, qemu)
    path = os.path.join(results, "examples.json")
    if args.check:
        committed = json.load(open(path))
        diff = differences(committed, measured)
        if diff:
            print(
                "profile_all.py: the examples measure differently from perf/results/examples.json (regenerate with "
                "`ninja -C build perf-report` and commit the figures with the change):"
            )
            print("\n".join("  " + d for d in diff))
            return 1
        print(
            "profile_all.py: the examples' cycles, code, constants, arena, RAM and stack equal perf/results/examples.json"
        )
        return 0
    os.makedirs(results, exist_ok=True)
    with open(path, "w") as f:
        json.dump(measured, f, indent=1)
        f.write("\n")
    with open(os.path.join(results, "profile.csv"), "w") as f:
        f.write("\n".join(csv_rows) + "\n")
    for name, rows in charts:
        m0_profile.bar_chart(name, rows, os.path.join(results, name + "_cycles.png"))
    return subprocess.run(
        [sys.executable, os.path.join(HERE, "figures.py"), "--write", "--source-root", args.source]
    ).returncode


if __name__ == "__main__":
    sys.exit(main())
