#!/usr/bin/python3
"""What the four MLPerf Tiny replicas cost: the reader, the compilers, the M0's memory, the cycles.

usage: /usr/bin/python3 perf/mlperf_tiny.py [--names a,b] [--backend fast|byte-weights]
                                            [--profile [--profiler PY] [--trace T]]
                                            [--source-root DIR] [--workdir DIR] [--cxx c++] [--runs N]
                                            [--before FILE] [--note TEXT] [--markdown FILE]

For each replica of tests/frontends/tflite/mlperf_tiny.py (written into the work folder):
- --backend: the backend the reader's header compiles the network for (`network`): fast, the
  header as written (compile<spec>(): the default backend, qpipe::m0::Backend on the M0), or
  byte-weights (compile<spec, qpipe::m0::ByteWeightsBackend>(): the convolutions' weights kept as
  bytes in flash; on the host too, the M0 kernels' C++ paths);
- the model: operators, MACs and parameters (mlperf_tiny.py --summary's totals);
- the reader: wall time of python3 -m qpipe_tools.tflite turning the .tflite into a header (best of --runs);
- host: tests/frontends/tflite/run_model.cpp compiled as meson compiles it (c++ -std=c++20 -O3
  -Wall -Wextra, the flags the replica needs), its CPU time (user + system) and peak memory from
  /usr/bin/time -v; the program run: the planned arena, and every output code of every test input
  against tflite_eval.py's (compare.py);
- M0, the test program: run_model.cpp compiled with the cross file's flags (perf/m0_toolchain.py),
  CPU time and peak memory; linked for the larger part (meson.build's m0_large_link_args) and run
  under qemu: every output code against the evaluator's, and the bytes it prints against the
  host's;
- M0, the network alone: the profile program of perf/m0_profile.py --header (the network's
  translation unit with perf/profile_network.hpp, and perf/profile_main.cpp; no test inputs)
  linked for the micro:bit (16 KiB RAM, 256 KiB flash: "fits", or the linker's overflow figures)
  and for the larger part: the network's flash (the code of its object the image links + its
  constants), the planned arena beside what it is measured against (the planner's lower bound: the
  most bytes live during one step less what an output may share with its input; the largest live
  set with every buffer apart; one buffer per tensor), the stack one inference uses, and the
  image's RAM (.data + .bss, the arena included, + the reserved stack: what the micro:bit link
  compares with its 16 KiB);
- --profile: the profiler (--profiler, default perf/m0_profile.py; its ELF interface) on that
  program: executed instructions and estimated Cortex-M0 cycles per step, cycles per MAC. Slow:
  qemu logs every executed instruction (--trace block, where the profiler has it, logs blocks).

Prints a markdown document (progress on stderr), with --markdown also into a file
(perf/results/mlperf_tiny.md is such a run); asserts nothing: a step that fails is printed as such.
--before FILE: an earlier document of this script (it may be the --markdown file itself: it is read
first); its summary figures and per-step cycles are shown beside this run's ("before -> after"),
headed by its own command and commit. --note TEXT: a paragraph under the heading.
Needs /usr/bin/python3 with python3-flatbuffers and numpy, /usr/bin/time, the arm-none-eabi
toolchain and qemu-system-arm.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import m0_size  # noqa: E402
from m0_profile import build_header_program  # noqa: E402
from m0_toolchain import Toolchain  # noqa: E402

ROOT = os.path.dirname(HERE)
TFLITE = os.path.join(ROOT, "tests", "frontends", "tflite")
GENERATOR = os.path.join(TFLITE, "mlperf_tiny.py")
READER = ["-m", "qpipe_tools.tflite"]  # with python/ on PYTHONPATH
PYTHON = "/usr/bin/python3"
# --backend: the backend type the header's `network` is compiled for (None: the header's default).
BACKENDS = {"fast": None, "byte-weights": "qpipe::m0::ByteWeightsBackend"}
# meson's own flags around the project's (warning_level=2, buildtype=release, b_ndebug=if-release).
MESON_FLAGS = ["-DNDEBUG", "-D_FILE_OFFSET_BITS=64", "-Wall", "-Winvalid-pch", "-Wextra", "-std=c++20", "-O3"]


def timed(cmd):
    """Runs cmd under /usr/bin/time -v: (exit status, output, CPU seconds, peak MiB)."""
    done = subprocess.run(["/usr/bin/time", "-v"] + cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    field = lambda name: float(re.search(r"%s: ([0-9.]+)" % re.escape(name), done.stdout).group(1))
    cpu = field("User time (seconds)") + field("System time (seconds)")
    return done.returncode, done.stdout, cpu, field("Maximum resident set size (kbytes)") / 1024.0


def first_error(text):
    lines = [l for l in text.splitlines() if "error" in l]
    return lines[0].strip() if lines else (text.strip().splitlines() or ["?"])[-1]


def verdict(cmd):
    """compare.py's or same_output.py's one-line verdict of cmd's run."""
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = [l for l in done.stdout.splitlines() if l.startswith(("TFLite integer evaluator", "identical", "FAIL"))]
    text = lines[-1] if lines else "exit %d" % done.returncode
    return text.split(": ", 1)[1].split(",")[0] if text.startswith("TFLite") else text, done.stdout


def link(tc, objects, elf):
    """The linker's verdict: 'fits', or its overflow figures (Toolchain.link stops on failure)."""
    try:
        tc.link(objects, elf)
        return "fits"
    except SystemExit as e:
        over = re.findall(r"region `(\w+)' overflowed by (\d+) bytes", str(e))
        return ", ".join("%s +%s B" % o for o in over) or first_error(str(e))


def measure(name, flags, args, work):
    """One replica's figures (a dict; a key is missing where its step failed or was not run)."""
    r = {"name": name}
    tflite, header = os.path.join(work, name + ".tflite"), os.path.join(work, name + "_net.hpp")
    best = None
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run(
            [PYTHON] + READER + [tflite, "--out", header, "--namespace", name],
            check=True,
            stdout=subprocess.DEVNULL,
            env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python")),
        )
        best = min(best or 1e9, time.perf_counter() - start)
    r["reader_s"] = best
    if args.backend != "fast":
        with open(header) as f:
            text = f.read()
        default = "qpipe::compile<spec>();"
        if default not in text:
            raise SystemExit("mlperf_tiny.py: --backend: %s has no %s" % (header, default))
        with open(header, "w") as f:
            f.write(text.replace(default, "qpipe::compile<spec, %s>();" % BACKENDS[args.backend]))
    defines = [
        '-DNET_HEADER="%s_net.hpp"' % name,
        '-DINPUTS_HEADER="%s_inputs.hpp"' % name,
        "-DMODEL=" + name,
        "-DDATA=%s_data" % name,
    ]
    expected = os.path.join(work, name + "_expected.txt")
    include = os.path.join(args.source_root, "include")
    compare = [PYTHON, os.path.join(TFLITE, "compare.py"), expected, "--"]

    # Host: run_model.cpp as meson builds it.
    obj, host = os.path.join(work, name + "_host.o"), os.path.join(work, name + "_host")
    status, out, r["host_cpu_s"], r["host_peak_mib"] = timed(
        [args.cxx, "-I" + include, "-I" + work, "-I/usr/include"]
        + MESON_FLAGS
        + ["-DBOOST_ALL_NO_LIB"]
        + defines
        + flags
        + ["-c", os.path.join(TFLITE, "run_model.cpp"), "-o", obj]
    )
    if status != 0:
        r["host_error"] = first_error(out)
        return r
    subprocess.run([args.cxx, obj, "-o", host], check=True)
    r["host_check"], out = verdict(compare + [host])
    # The host program prints no arena (each backend plans its own); the M0 arena is the profile program's.

    # M0, the test program, on the larger part.
    micro, large = Toolchain(args.source_root), Toolchain(args.source_root, large=True)
    obj, elf = os.path.join(work, name + "_m0.o"), os.path.join(work, name + "_m0.elf")
    status, out, r["m0_cpu_s"], r["m0_peak_mib"] = timed(
        [large.cpp]
        + MESON_FLAGS
        + large.cpp_args
        + ["-isystem", args.boost, "-I" + include, "-I" + work]
        + defines
        + flags
        + ["-c", os.path.join(TFLITE, "run_model.cpp"), "-o", obj]
    )
    if status != 0:
        r["m0_error"] = first_error(out)
        return r
    large.link([obj], elf)
    r["m0_check"], _ = verdict(compare + large.run + [elf])
    r["m0_same"], _ = verdict(
        [PYTHON, os.path.join(ROOT, "tests", "tools", "same_output.py"), host, "--"] + large.run + [elf]
    )

    # M0, the network alone: perf/m0_profile.py's profile program.
    pwork = os.path.join(work, name + "_profile")
    os.makedirs(pwork, exist_ok=True)
    options = types.SimpleNamespace(
        source_root=args.source_root,
        large=True,
        boost_include_dir="/usr/include",
        header=header,
        namespace=name,
        inline=False,
        opt="O3",
        flag=flags,
    )
    elf, network_obj, su, tc = build_header_program(options, pwork)
    r["microbit"] = link(
        micro, [network_obj, os.path.join(pwork, "profile_main.cpp.o")], os.path.join(pwork, "microbit.elf")
    )
    r["code"] = m0_size.linked_code(tc.nm, network_obj, elf)
    r["constants"] = m0_size.network_constants(tc.size, network_obj)
    run = subprocess.run(large.run + [elf], stdout=subprocess.PIPE, text=True, timeout=600).stdout
    r["m0_arena"] = int(re.search(r"^arena (\d+)", run, re.M).group(1))
    bounds = re.search(r"^arena bounds (\d+) (\d+) (\d+)", run, re.M)
    if bounds:
        r["arena_bounds"] = tuple(int(v) for v in bounds.groups())
    r["m0_stack"] = int(re.search(r"stack used by the inference: (\d+)", run).group(1))
    r["ram_static"] = sum(
        size for sec, size in m0_size.sections(tc.size, elf) if sec.startswith((".data", ".bss", ".tdata", ".tbss"))
    )
    nm = subprocess.run([tc.nm, elf], stdout=subprocess.PIPE, text=True, check=True).stdout
    r["stack_reserved"] = int(re.search(r"^([0-9a-f]+) \w __stack_size$", nm, re.M).group(1), 16)
    if args.profile:
        cmd = (
            [
                PYTHON,
                args.profiler,
                "--qemu",
                " ".join(large.run),
                "--objdump",
                tc.objdump,
                "--addr2line",
                tc.addr2line,
                "--nm",
                tc.nm,
                "--name",
                name,
            ]
            + (["--trace", args.trace] if args.trace else [])
            + [elf, su]
        )
        prof = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        r["profile"] = prof.stdout
        total = re.search(r"\| all \| total \|(?: [^|]* \|)? (\d+) \| (\d+) \| (\d+) \| ([0-9.]+) \|", prof.stdout)
        if total:
            r["instructions"], r["cycles"], r["cycles_per_mac"] = (
                int(total.group(2)),
                int(total.group(3)),
                total.group(4),
            )
    return r


def tables(text):
    """The markdown tables of a document of this script: [(section, header cells, rows of cells)], the
    section being the replica of a "## name" heading (None above the first)."""
    found, section, current = [], None, None
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if current is None:
                current = (section, cells, [])
                found.append(current)
            elif not all(set(c) <= set("-:") for c in cells):
                current[2].append(cells)
        else:
            current = None
    return found


def latest(cell):
    """A cell's own figure: the part after the arrow of a "before -> after" cell."""
    return cell.split("\u2192")[-1].strip()


def number(cell):
    m = re.match(r"[0-9.]+", latest(cell).replace(",", ""))
    return m.group(0) if m else None


def read_before(path):
    """An earlier document's figures: (its 'Written by' sentence, {replica: {figure: text}},
    {replica: {(step, layer): (instructions, est. cycles, cycles/MAC)}})."""
    with open(path) as f:
        text = f.read()
    written = next((l for l in text.splitlines() if l.startswith("Written by")), "")
    when = re.search(r"` on (\S+), at commit (\w+)", written)
    library = re.search(r"as of commit (\w+)", written)
    written = (
        "the run of %s at commit %s%s"
        % (when.group(1), when.group(2), "; the library as of commit %s" % (library.group(1)) if library else "")
        if when
        else "an earlier run"
    )
    figures, steps = {}, {}
    for section, head, rows in tables(text):
        for row in rows:
            cell = dict(zip(head, row))
            if section is None and "replica" in cell:
                f = figures.setdefault(cell["replica"], {})
                for key, col in (
                    ("instructions", "instructions"),
                    ("cycles", "est. cycles"),
                    ("cycles_per_mac", "cycles/MAC"),
                    ("code", "flash: code"),
                    ("constants", "flash: constants"),
                    ("m0_arena", "M0 arena"),
                    ("m0_arena", "arena"),
                    ("m0_stack", "inference stack"),
                    ("m0_stack", "stack"),
                    ("ram", "RAM"),
                ):
                    if col in cell and number(cell[col]) is not None:
                        f[key] = number(cell[col])
                if "flash: code + constants" in cell:  # the older documents' one column
                    m = re.match(r"(\d+) \+ (\d+) B", latest(cell["flash: code + constants"]))
                    if m:
                        f["code"], f["constants"] = m.groups()
            elif section is not None and "step" in cell and "est. cycles" in cell:
                steps.setdefault(section, {})[(cell["step"], cell["layer"])] = (
                    cell["instructions"],
                    cell["est. cycles"],
                    cell["cycles/MAC"],
                )
    return written, figures, steps


def document(args, rows, load, before=None):
    def commit(*paths):
        return (
            subprocess.run(
                ["git", "-C", args.source_root, "log", "-1", "--format=%h", "--"] + list(paths),
                stdout=subprocess.PIPE,
                text=True,
            ).stdout.strip()
            or "?"
        )

    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE, text=True).stdout
    dirty = subprocess.run(
        [
            "git",
            "-C",
            ROOT,
            "status",
            "--porcelain",
            "--untracked-files=no",
            "include",
            "perf",
            "python",
            "tests/frontends/tflite",
        ],
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    g = lambda r, k, fmt="%s": fmt % r[k] if k in r else "-"
    out = [
        "# MLPerf Tiny replicas: reader, compile cost, M0 memory%s" % (" and cycles" if args.profile else ""),
        "",
        "Written by `perf/mlperf_tiny.py %s` on %s, at commit %s%s; qpipe's headers from %s (include/, python/, "
        "cross/, meson.build and the TFLite tests as of commit %s)."
        % (
            shlex.join(sys.argv[1:]),
            time.strftime("%Y-%m-%d"),
            head.strip(),
            " with uncommitted changes in include/, perf/, python/ or the TFLite tests" if dirty else "",
            os.path.join(args.source_root, "include"),
            commit("include", "python", "cross", "meson.build", "tests/frontends/tflite"),
        ),
        "The replicas, and how their weights and grids are made: tests/frontends/tflite/mlperf_tiny.py. CPU",
        "times are user + system of the compiler (/usr/bin/time -v) and move with the machine's load (%d cores,"
        % os.cpu_count(),
        "load average %.1f at the start, %.1f at the end); peak memory, sizes and instruction counts do not."
        % (load, os.getloadavg()[0]),
        "",
    ]
    if args.note:
        out += [args.note, ""]
    if before:
        out += [
            'Before \u2192 after: the figures before the arrow, and the per-step "before" columns, are those '
            "of %s (read from %s before this run)." % (before[0], args.before),
            "",
        ]
    out += [
        "| replica | TFLite ops | MACs | parameters | .tflite parameter bytes | reader | host compile (CPU, peak) "
        "| host arena | host vs evaluator |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        out.append(
            "| %s | %d | %d | %d | %d | %s | %s | %s | %s |"
            % (
                r["name"],
                r["ops"],
                r["model_macs"],
                r["params"],
                r["param_bytes"],
                g(r, "reader_s", "%.2f s"),
                "%.1f s, %.0f MiB" % (r["host_cpu_s"], r["host_peak_mib"]),
                g(r, "host_arena", "%d B"),
                r.get("host_error", r.get("host_check", "-")),
            )
        )
    out += [
        "",
        "| replica | M0 compile (CPU, peak) | M0 vs evaluator (larger part) | host and M0 bytes "
        "| micro:bit link (16 KiB RAM, 256 KiB flash) | flash: code + constants | M0 arena "
        "| arena: lower bound / largest live set / one buffer per tensor | inference stack "
        "| RAM: static + reserved stack |",
        "|---|---:|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "ram_static" in r:
            r["ram"] = r["ram_static"] + r["stack_reserved"]
        if "m0_cpu_s" in r:
            out.append(
                "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |"
                % (
                    r["name"],
                    "%.1f s, %.0f MiB" % (r["m0_cpu_s"], r["m0_peak_mib"]),
                    r.get("m0_error", r.get("m0_check", "-")),
                    g(r, "m0_same"),
                    g(r, "microbit"),
                    "%d + %d B" % (r["code"], r["constants"]) if "code" in r else "-",
                    g(r, "m0_arena", "%d B"),
                    "%d / %d / %d B" % r["arena_bounds"] if "arena_bounds" in r else "-",
                    g(r, "m0_stack", "%d B"),
                    "%d + %d = %d B" % (r["ram_static"], r["stack_reserved"], r["ram"]) if "ram" in r else "-",
                )
            )
    if args.profile:
        figures = [
            ("instructions", "instructions"),
            ("cycles", "est. cycles"),
            ("cycles_per_mac", "cycles/MAC"),
            ("code", "flash: code"),
            ("constants", "flash: constants"),
            ("m0_arena", "arena"),
            ("m0_stack", "stack"),
            ("ram", "RAM"),
        ]
        out += [
            "",
            "Per replica on the larger part: the inference's instructions and est. cycles (the profiler), the "
            "flash of the network (the code of its object that the image links, and its constants), the planned "
            "arena, the stack one inference uses (measured), and the RAM of the profile image (.data + .bss, the "
            "arena included, + the reserved stack; bytes).",
            "",
            "| replica | MACs | %s |" % " | ".join(f[1] for f in figures),
            "|---|---:|%s" % ("---:|" * len(figures)),
        ]
        for r in rows:
            old = before[1].get(r["name"], {}) if before else {}
            cell = lambda k: ("%s \u2192 %s" % (old[k], r[k]) if k in old else "%s" % r[k]) if k in r else "-"
            out.append("| %s | %d | %s |" % (r["name"], r["model_macs"], " | ".join(cell(f[0]) for f in figures)))
        for r in rows:
            out += [""] + per_step(r, before[2].get(r["name"], {}) if before else None)
    return "\n".join(out) + "\n"


def per_step(r, old):
    """A replica's section: the profiler's per-step table (its columns, and with old the earlier run's
    est. cycles and cycles/MAC of the same step and layer) and its other lines."""
    if "profile" not in r:
        return ["## %s" % r["name"], "", "(not profiled)"]
    found = tables(r["profile"])
    if not found:
        return ["## %s" % r["name"], "", "The profiler's output:", "", "```", r["profile"].strip(), "```"]
    _, head, rows = found[0]
    extra = ["est. cycles before", "cycles/MAC before"] if old is not None else []
    md = [
        "## %s" % r["name"],
        "",
        "| %s |" % " | ".join(head + extra),
        "|%s" % "".join("---|" if h in ("step", "layer", "kernel") else "---:|" for h in head + extra),
    ]
    for cells in rows:
        cell = dict(zip(head, cells))
        if old is not None:
            then = old.get(
                (cell["step"], cell["layer"].replace("dispatch (between steps)", "dispatch (forward, between steps)")),
                old.get((cell["step"], cell["layer"])),
            )
            cells = cells + ([then[1], then[2]] if then else ["-", "-"])
        md.append("| %s |" % " | ".join(cells))
    rest = "\n".join(l for l in r["profile"].splitlines() if not l.startswith(("|", "###"))).strip()
    return md + (["", rest] if rest else [])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--names", help="comma-separated replicas (default: all)")
    ap.add_argument(
        "--backend",
        choices=sorted(BACKENDS),
        default="fast",
        help="fast: the header's compile<spec>() (qpipe::m0::Backend on the M0); byte-weights: "
        "qpipe::m0::ByteWeightsBackend (weights as bytes in flash)",
    )
    ap.add_argument(
        "--source-root",
        default=ROOT,
        help="the qpipe checkout whose include/, cross file and " "meson.build to build with (default: this one)",
    )
    ap.add_argument("--cxx", default="c++", help="the host compiler")
    ap.add_argument("--runs", type=int, default=3, help="reader runs (the best is printed)")
    ap.add_argument("--profile", action="store_true", help="per-step instructions and cycles on the M0 (slow)")
    ap.add_argument(
        "--profiler",
        default=os.path.join(HERE, "m0_profile.py"),
        help="the profiler (its ELF interface: --qemu, --objdump, --addr2line, --nm, --name, ELF, .su)",
    )
    ap.add_argument("--trace", help="the profiler's --trace (insn or block), where it has one")
    ap.add_argument("--workdir", help="keep the models, headers and programs here")
    ap.add_argument("--markdown", help="also write the document (stdout) into this file")
    ap.add_argument("--before", help="an earlier document of this script: its figures beside this run's")
    ap.add_argument("--note", help="a paragraph under the document's heading")
    args = ap.parse_args()
    args.source_root = os.path.abspath(args.source_root)
    try:
        before = read_before(args.before) if args.before else None
    except OSError as e:
        raise SystemExit("mlperf_tiny.py: --before: %s" % e)
    if before and not before[1]:
        raise SystemExit("mlperf_tiny.py: --before: %s holds no replica's figures" % args.before)
    work = args.workdir or tempfile.mkdtemp(prefix="mlperf_tiny_")
    os.makedirs(work, exist_ok=True)
    # As meson.build does for the cross compiler: a folder that holds only a link to Boost.
    args.boost = os.path.join(work, "target-boost")
    os.makedirs(args.boost, exist_ok=True)
    if not os.path.lexists(os.path.join(args.boost, "boost")):
        os.symlink("/usr/include/boost", os.path.join(args.boost, "boost"))
    listing = subprocess.run([PYTHON, GENERATOR, "--list"], stdout=subprocess.PIPE, text=True, check=True).stdout
    models = {line.split()[0]: line.split()[2:] for line in listing.splitlines()}
    names = args.names.split(",") if args.names else list(models)
    start = time.perf_counter()
    subprocess.run([PYTHON, GENERATOR, work] + names, check=True)
    print("replicas written to %s in %.1f s" % (work, time.perf_counter() - start), file=sys.stderr)
    summary = subprocess.run(
        [PYTHON, GENERATOR, "--summary"] + names, stdout=subprocess.PIPE, text=True, check=True
    ).stdout
    totals = {
        m.group(1): m.groups()[1:]
        for m in re.finditer(
            r"^(\w+): (\d+) operators, (\d+) MACs, (\d+) parameters \((\d+) weight bytes \+ (\d+) int32 biases\)",
            summary,
            re.M,
        )
    }
    load = os.getloadavg()[0]
    rows = []
    for name in names:
        r = measure(name, models[name], args, work)
        ops, macs, params, weights, biases = (int(x) for x in totals[name])
        r.update(ops=ops, model_macs=macs, params=params, param_bytes=weights + 4 * biases)
        rows.append(r)
        print(
            "%s: %s" % (name, ", ".join("%s=%s" % (k, v) for k, v in r.items() if k not in ("name", "profile"))),
            file=sys.stderr,
            flush=True,
        )
    text = document(args, rows, load, before)
    sys.stdout.write(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
