#!/usr/bin/env python3
"""The examples on the M0 at several optimisation levels: each example's network object and
profile program built as meson builds them (the cross file's flags, perf/m0_toolchain.py) but at
-O3, -O2 and -Os, then profiled (perf/m0_profile.py) and measured (perf/m0_size.py): estimated
cycles of one inference, the network's code (what the image links, and its object's .text),
constants and stack. --results writes the measurement as JSON (perf/results/opt_levels.json,
which perf/figures.py renders into perf/README.md).

usage: opt_levels.py [--levels O3,O2,Os] [--jobs N] [--results FILE] [--source-root DIR] [--workdir DIR]
"""
import argparse
import concurrent.futures
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import figures  # noqa: E402
import m0_profile  # noqa: E402
import m0_size  # noqa: E402
from m0_toolchain import Toolchain  # noqa: E402
from profile_all import object_sizes  # noqa: E402
from stack_usage import forward_and_callee_frames  # noqa: E402

CNN_FLAGS = ["-fconstexpr-ops-limit=268435456"]  # dsl_examples/meson.build's example_cpp_args
EXAMPLES = [  # name, the network's translation unit, the profile program, flags of the network's unit
    ("xor", "dsl_examples/xor/xor_forward.cpp", "dsl_examples/xor/profile.cpp", []),
    ("resnet18_block", "dsl_examples/resnet18_block/forward.cpp", "dsl_examples/resnet18_block/profile.cpp", CNN_FLAGS),
    ("mobilenetv2", "dsl_examples/mobilenetv2/forward.cpp", "dsl_examples/mobilenetv2/profile.cpp", CNN_FLAGS),
]


def measure(tc, root, workdir, name, network_src, profile_src, flags, level):
    folder = os.path.join(workdir, "%s-%s" % (name, level))
    os.makedirs(folder, exist_ok=True)
    try:
        network = tc.compile(
            os.path.join(root, network_src), os.path.join(folder, "network.cpp.o"), opt=level, flags=flags, network=True
        )
    except SystemExit as failed:  # the level the library refuses (-Os): its first error is the figure
        first = next((l for l in str(failed).splitlines() if "error:" in l), str(failed).splitlines()[0])
        return {"example": name, "level": level, "error": first.split("error:", 1)[-1].strip()}
    main = tc.compile(os.path.join(root, profile_src), os.path.join(folder, "profile.cpp.o"), opt=level)
    elf = tc.link([network, main], os.path.join(folder, "profile.elf"))
    tools = {"objdump": tc.objdump, "addr2line": tc.addr2line, "nm": tc.nm}
    stages, kernels, facts, counts = m0_profile.profile(tc.run, tools, elf, "block")
    rows = m0_profile.table_rows(stages, kernels, counts)
    frame, callees = forward_and_callee_frames(os.path.join(folder, "network.cpp.su"))
    sizes = object_sizes(network)
    return {
        "example": name,
        "level": level,
        "macs": rows[-1]["macs"],
        "instructions": rows[-1]["instructions"],
        "cycles": rows[-1]["cycles"],
        "code": m0_size.linked_code(tc.nm, network, elf),
        "object_text": sizes["text"],
        "constants": sizes["constants"],
        "stack_measured": facts["stack"],
        "stack_static": frame + callees,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--levels", default="O3,O2,Os")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--results")
    ap.add_argument("--source-root", default=os.path.join(HERE, ".."))
    ap.add_argument("--workdir")
    args = ap.parse_args()
    root = os.path.abspath(args.source_root)
    tc = Toolchain(root)
    workdir = args.workdir or tempfile.mkdtemp(prefix="qpipe-opt-levels-")
    levels = args.levels.split(",")
    jobs = [(e, level) for e in EXAMPLES for level in levels]
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(measure, tc, root, workdir, *e, level) for e, level in jobs]
        rows = [f.result() for f in futures]
    print("| example | level | est. cycles | code (linked) | object .text | constants | stack (measured / static) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        if "error" in r:
            print("| %s | -%s | does not compile: %s |" % (r["example"], r["level"], r["error"]))
            continue
        print(
            "| %s | -%s | %d | %d | %d | %d | %d / %d |"
            % (
                r["example"],
                r["level"],
                r["cycles"],
                r["code"],
                r["object_text"],
                r["constants"],
                r["stack_measured"],
                r["stack_static"],
            )
        )
    if args.results:
        with open(args.results, "w") as f:
            json.dump(
                {"command": "perf/opt_levels.py", "examples": [e[0] for e in EXAMPLES], "rows": rows}, f, indent=1
            )
            f.write("\n")
        return figures.render_after_measurement(args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
