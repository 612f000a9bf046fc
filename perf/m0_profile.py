#!/usr/bin/env python3
"""Per-step instruction and cycle counts of one inference on the emulated Cortex-M0.

Two ways in:

  m0_profile.py --qemu tools/run-m0 --objdump OBJDUMP --addr2line ADDR2LINE --nm NM
                [--trace insn|block] [--csv FILE] [--markdown FILE] [--json FILE] [--png FILE]
                [--name NAME] ELF [STACK_USAGE.su]
      profiles a program that follows the protocol of dsl_examples/common/profile.hpp (the
      examples' profile programs): it prints `stage K KIND MACS` for each step (and, optionally,
      `kernel K TYPE` and `arena N`), calls profile_begin() just before one inference and
      profile_end() just after it, and prints `stack used by the inference: N bytes`.

  m0_profile.py --header NET.hpp --namespace NS [--opt O3|O2|Os|...] [--large] [--flag F]...
                [--workdir DIR] [--trace insn|block] [--csv/--markdown/--json/--png FILE] [--name NAME]
      builds that program around a network header (a namespace with `spec` and `network`, as
      the front ends in python/qpipe_tools/ write it, and as the examples'
      headers are): the network's translation unit (qpipe::run<NS::network> in an out-of-line
      function) and perf/profile_main.cpp, compiled and linked with the flags of
      cross/cortex-m0.ini (perf/m0_toolchain.py), for the micro:bit or with --large for the larger
      part of meson.build (m0_large_*); then profiles it, and also prints the network's flash
      (the code of its object that the image links + its constants), arena and stack.

How an instruction is attributed (no function name is assumed: forward may be inlined into main,
a step may be kept out of line, a kernel may be a function of its own):
  1. the window: from the first instruction after profile_begin() returns to the call of
     profile_end(), less the instructions of the caller around the inference (those at the
     caller's call depth that belong to no step: loading the arguments, the call itself);
  2. an instruction whose debug line table names an inlined or out-of-line Model::run_stage<K>
     or run_stage_constant<K, Self> frame belongs to step K (-g does not change GCC's code);
  3. any other instruction executed inside a call made from step K's code (a kernel routine,
     the requantization routine, __aeabi_lmul, ...) belongs to step K, through the call stack
     the trace reconstructs (BL/BLX push, BX and POP {..., pc} return; a BL to a place inside
     its own function, not its entry, is one of GCC's far jumps in a large Thumb-1 function, no
     call: flow_at);
  4. the rest is "dispatch": the inference's own code between steps (prologue, epilogue, the
     calls of out-of-line steps).
The call depth must come back to where it started at the end of the window, and every step must
have instructions; otherwise the profiler stops with an error rather than print a wrong table.

Tracing (qemu -M microbit, perf/README.md): --trace insn (the default) runs qemu with
-singlestep -d exec,nochain, one log line per executed instruction; --trace block runs it with
-d exec,nochain,in_asm, one line per executed translation block, each block's instructions taken
from its translation (in_asm): the same instruction stream, about ten times less log and time
(--trace both runs the two and fails unless they agree; a test does). Cycles: the Cortex-M0 timing below (no
flash wait states, no bus contention): an estimate; instruction counts are exact.
"""
import argparse
import array
import bisect
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack_usage import forward_and_callee_frames  # noqa: E402

# Cortex-M0 instruction timing (ARM DDI 0432C, Cortex-M0 TRM, table 3-1), with the single-cycle
# multiplier. N is the number of registers transferred (for POP with PC, excluding PC).
#   data processing, MOVS/ADDS/..., MULS, extend, reverse, ADR, NOP    1
#   LDR*/STR* (any addressing mode, including literal loads)            2
#   LDM/STM, PUSH, POP                                                  1 + N
#   POP {..., pc}                                                       4 + N
#   B<cond> taken / not taken                                           3 / 1
#   B (unconditional), BX, BLX, MOV/ADD with PC as destination          3
#   BL                                                                  4
#   MSR, MRS, DMB, DSB, ISB                                             4
#   CPSID/CPSIE 1, WFI/WFE/SEV 2 (not used by the kernels)
LOADS_STORES = {"ldr", "ldrb", "ldrh", "ldrsb", "ldrsh", "str", "strb", "strh"}
CONDITIONS = {"eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le"}


def register_count(operands):
    inside = operands[operands.find("{") + 1 : operands.find("}")]
    count = 0
    for part in inside.split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = part.split("-")
            count += int(hi.strip()[1:]) - int(lo.strip()[1:]) + 1
        elif part:
            count += 1
    return count


def is_conditional_branch(mnemonic):
    m = mnemonic.split(".")[0]
    return m.startswith("b") and m[1:] in CONDITIONS


def cycles(mnemonic, operands, taken):
    m = mnemonic.split(".")[0]
    if m in LOADS_STORES:
        return 2
    if m in ("ldm", "ldmia", "stm", "stmia", "push"):
        return 1 + register_count(operands)
    if m == "pop":
        n = register_count(operands)
        return 4 + n - 1 if "pc" in operands else 1 + n
    if m == "bl":
        return 4
    if m in ("bx", "blx", "b"):
        return 3
    if is_conditional_branch(m):
        return 3 if taken else 1
    if m in ("mov", "add") and operands.split(",")[0].strip() == "pc":
        return 3
    if m in ("msr", "mrs", "dmb", "dsb", "isb"):
        return 4
    return 1


def control_flow(mnemonic, operands):
    """'call', 'return', 'jump' or None: what the instruction does to the flow (a BL as a call;
    flow_at() tells GCC's far jumps from calls)."""
    m = mnemonic.split(".")[0]
    if m in ("bl", "blx"):
        return "call"
    if m == "bx" or (m == "pop" and "pc" in operands):
        return "return"
    if m == "b" or is_conditional_branch(m) or (m in ("mov", "add") and operands.split(",")[0].strip() == "pc"):
        return "jump"
    return None


def branch_target(operands):
    """The address a direct branch goes to (objdump prints it first, in hex), or None (BLX rN)."""
    m = re.match(r"([0-9a-f]+)\b", operands)
    return int(m.group(1), 16) if m else None


def function_at(address, starts, spans):
    """The (start, end, name) of the function holding address, or None."""
    k = bisect.bisect_right(starts, address) - 1
    return spans[k] if k >= 0 and address < spans[k][1] else None


def flow_at(address, code, starts, spans):
    """control_flow() of the instruction at address, where a BL is a call only if it enters a
    function. Thumb-1's B reaches 2 KiB; in a larger function GCC jumps farther with a BL to a
    label of the same function (LR saved in the prologue): no return comes back from it, and taken
    as a call it left the call depth one too deep per jump. A BL to a place inside the function that
    holds it, not to that function's entry (a recursive call), is such a jump. A BL to an address
    of no known function (a library routine without a size, __clzdi2) stays a call."""
    size, mnemonic, operands = code[address]
    flow = control_flow(mnemonic, operands)
    if flow == "call" and mnemonic.split(".")[0] == "bl":
        target = branch_target(operands)
        here = function_at(address, starts, spans)
        if target is not None and here is not None and here[0] < target < here[1]:
            return "jump"
    return flow


def call_stack(blocks):
    """The call stack through a window of the trace. blocks: per executed block (any iterable), what
    its last instruction does (flow_at) and that instruction's step (or None). Returns two lists,
    per block: the call depth before it runs, and the step whose call it runs in ("dispatch" at the
    window's own depth, or in a call made outside every step). A call pushes the calling step (or,
    outside every step, its caller's); a return pops. The window ends with the call of
    profile_end(), not counted; the depth must then be back to 0, else SystemExit (the table would
    be wrong)."""
    depth_at, caller_at, stack, flow = [], [], [], None
    for flow, last_step in blocks:
        depth_at.append(len(stack))
        caller = stack[-1] if stack else "dispatch"
        caller_at.append(caller)
        if flow == "call":
            stack.append(last_step if last_step is not None else caller)
        elif flow == "return":
            if not stack:
                raise SystemExit("m0_profile.py: a return out of the function that called profile_begin()")
            stack.pop()
    if flow == "call":
        stack.pop()  # the call of profile_end()
    if stack:
        raise SystemExit("m0_profile.py: the call depth at profile_end() is %d, not 0" % len(stack))
    return depth_at, caller_at


def parse_disassembly(text):
    """address -> (size, mnemonic, operands), from objdump -d's text"""
    table = {}
    line_re = re.compile(r"^\s*([0-9a-f]+):\s+((?:[0-9a-f]{4}\s?)+)\s+(\S+)\s*(.*)$")
    for line in text.splitlines():
        m = line_re.match(line)
        if not m:
            continue
        words = m.group(2).split()
        table[int(m.group(1), 16)] = (2 * len(words), m.group(3), m.group(4).split(";")[0].strip())
    return table


def disassemble(objdump, elf):
    """address -> (size, mnemonic, operands)"""
    return parse_disassembly(subprocess.run([objdump, "-d", elf], check=True, stdout=subprocess.PIPE, text=True).stdout)


def symbols(nm, elf):
    """mangled name -> (address, size), for symbols with a size"""
    out = subprocess.run([nm, "-S", elf], check=True, stdout=subprocess.PIPE, text=True).stdout
    table = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4:
            table[parts[3]] = (int(parts[0], 16), int(parts[1], 16))
    return table


def parse_functions(text):
    """(sorted start addresses, [(start, end, short name)]) of the functions in nm -S -C's text"""
    table = []
    for line in text.splitlines():
        parts = line.split(" ", 3)
        if len(parts) == 4 and parts[2] in "TtWw":
            start, size = int(parts[0], 16) & ~1, int(parts[1], 16)
            table.append((start, start + size, short_function(parts[3])))
    table.sort()
    return [t[0] for t in table], table


def functions(nm, elf):
    """(sorted start addresses, [(start, end, short name)]) of the ELF's functions: for the far-jump
    rule (flow_at) and for naming the routines a step ran."""
    return parse_functions(
        subprocess.run([nm, "-S", "-C", "--defined-only", elf], check=True, stdout=subprocess.PIPE, text=True).stdout
    )


def short_function(demangled):
    """A function's name with its innermost enclosing scope, without template arguments and
    parameters (m0::depthwise_row_pixels_m0, reference_ops::run, qpipe::run, PointwisePairKernel::portable)."""
    depth, cut = 0, len(demangled)
    for i, ch in enumerate(demangled):
        if ch in "<(":
            if depth == 0 and ch == "(":
                cut = i
                break
            depth += 1
        elif ch in ">)":
            depth -= 1
    name = demangled[:cut]
    plain, depth = [], 0
    for ch in name:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif depth == 0:
            plain.append(ch)
    return "::".join("".join(plain).split(" ")[-1].split("::")[-2:])


def marker(syms, name):
    """The address of the protocol's marker function (profile_begin / profile_end, any namespace)."""
    found = [s for s in syms if re.search(r"\d%sEv$" % name, s) or s == name]
    if len(found) != 1:
        raise SystemExit(
            "m0_profile.py: %s marker function %s in the program" % ("no" if not found else "more than one", name)
        )
    return syms[found[0]]


def steps_of(addr2line, elf, addresses):
    """address -> step index (the Model::run_stage<K> or run_stage_constant<K, Self> frame it is
    inlined in, or the out-of-line function it is in), or None"""
    addresses = sorted(addresses)
    result, stage_re = {}, re.compile(r"run_stage(?:_constant)?ILj(\d+)E")
    for at in range(0, len(addresses), 20000):  # keep the command line short
        chunk = addresses[at : at + 20000]
        # -a prints each address before its inline chain (innermost function first).
        out = subprocess.run(
            [addr2line, "-a", "-i", "-f", "-e", elf],
            input="\n".join("0x%x" % a for a in chunk),
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout.splitlines()
        current = None
        for line in out:
            if line.startswith("0x"):
                current = int(line, 16)
                result[current] = None
            elif current is not None and result[current] is None:
                m = stage_re.search(line)
                if m:
                    result[current] = int(m.group(1))
    return result


def trace(qemu, elf, mode):
    """(the program's output, the executed blocks as ids, id -> the block's instruction addresses).
    mode insn: each block is one instruction (qemu -singlestep); block: qemu's translation blocks."""
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "exec.log")
        options = ["-singlestep", "-d", "exec,nochain"] if mode == "insn" else ["-d", "exec,nochain,in_asm"]
        done = subprocess.run(qemu + options + ["-D", log, elf], stdout=subprocess.PIPE, text=True, timeout=3600)
        if done.returncode != 0:
            raise SystemExit("m0_profile.py: %s exited %d" % (elf, done.returncode))
        sequence = array.array("I")
        blocks = {}
        trace_re = re.compile(r"^Trace \d+: \S+ \[[0-9a-f]+/([0-9a-f]+)/")
        insn_re = re.compile(r"^0x([0-9a-f]+):")
        if mode == "insn":
            with open(log) as f:
                for line in f:
                    m = trace_re.match(line)
                    if m:
                        pc = int(m.group(1), 16)
                        sequence.append(pc)
                        if pc not in blocks:
                            blocks[pc] = (pc,)
            return done.stdout, sequence, blocks
        # Block mode: each translation (IN: ...) lists its instructions; each Trace line is an
        # execution of the translation that starts there (the latest one: a retranslation replaces
        # it). Translations get their own ids.
        current, ids, pending = {}, {}, None
        with open(log) as f:
            for line in f:
                if line.startswith("Trace"):
                    m = trace_re.match(line)
                    pc = int(m.group(1), 16)
                    if pending:
                        if pending[0] != pc:
                            raise SystemExit("m0_profile.py: a translation at 0x%x executed as 0x%x" % (pending[0], pc))
                        key = tuple(pending)
                        if key not in ids:
                            ids[key] = len(ids)
                            blocks[ids[key]] = key
                        current[pc] = ids[key]
                        pending = None
                    sequence.append(current[pc])
                elif line.startswith("IN:"):
                    pending = []
                elif pending is not None:
                    m = insn_re.match(line)
                    if m:
                        pending.append(int(m.group(1), 16))
        return done.stdout, sequence, blocks


def parse_output(stdout):
    stages, kernels, facts = [], {}, {}
    for line in stdout.splitlines():
        if line.startswith("stage "):
            _, k, kind_and_macs = line.split(" ", 2)
            kind, macs = kind_and_macs.rsplit(" ", 1)
            stages.append((kind, int(macs)))
        elif line.startswith("kernel "):
            _, k, name = line.split(" ", 2)
            kernels[int(k)] = name
        elif line.startswith("arena bounds "):
            facts["arena_bounds"] = tuple(int(v) for v in line.split()[2:5])
        elif line.startswith("arena "):
            facts["arena"] = int(line.split()[1])
        elif line.startswith("stack used"):
            facts["stack"] = int(re.search(r"(\d+) bytes", line).group(1))
        else:  # the examples' line of compile-time figures (dsl_examples/common/example.hpp, print_facts)
            m = re.match(
                r"^\S+: (\d+) steps, (\d+) MACs, (\d+) parameter bytes, arena (\d+) bytes "
                r"\(one buffer per tensor: (\d+)\)$",
                line,
            )
            if m:
                facts["model"] = dict(
                    zip(("steps", "macs", "parameter_bytes", "arena", "unplanned_arena"), map(int, m.groups()))
                )
    return stages, kernels, facts


def short_kernel(name):
    """The kernel's template, without namespaces and arguments; an op the backend runs through its
    reference loop nest as "reference loop (Op)"."""
    m = re.match(r"qpipe::reference_ops::Kernel<qpipe::ops::(\w+)", name)
    if m:
        return "reference loop (%s)" % m.group(1)
    return re.sub(r"<.*", "", name).split("::")[-1]


def profile(qemu, tools, elf, mode):
    """The per-step counts of the program's inference: (stages, kernels, facts, counts), counts
    mapping a step index or "dispatch" to [instructions, cycles]."""
    stdout, sequence, blocks = trace(qemu, elf, mode)
    stages, kernels, facts = parse_output(stdout)
    code = disassemble(tools["objdump"], elf)
    syms = symbols(tools["nm"], elf)
    begin, begin_size = marker(syms, "profile_begin")
    end, _ = marker(syms, "profile_end")
    first = lambda i: blocks[sequence[i]][0]
    try:
        start = next(i for i in range(len(sequence)) if first(i) == begin)
    except StopIteration:
        raise SystemExit("m0_profile.py: profile_begin() never ran")
    while start < len(sequence) and begin <= first(start) < begin + max(begin_size, 2):
        start += 1
    try:
        stop = next(i for i in range(start, len(sequence)) if first(i) == end)
    except StopIteration:
        raise SystemExit("m0_profile.py: profile_end() never ran after profile_begin()")

    used = {i: blocks[i] for i in set(sequence[start:stop])}
    addresses = {a for b in used.values() for a in b}
    missing = [a for a in addresses if a not in code]
    if missing:
        raise SystemExit("m0_profile.py: executed addresses not in the disassembly: %s" % missing[:5])
    step_at = steps_of(tools["addr2line"], elf, addresses)
    starts, spans = functions(tools["nm"], elf)

    # Per block: its instructions' static steps and cycles (a conditional branch not taken), what
    # its last instruction does, the cycles it adds when taken, the address after it.
    info = {}
    for i, b in used.items():
        for a in b[:-1]:
            if control_flow(code[a][1], code[a][2]) is not None:
                raise SystemExit("m0_profile.py: block 0x%x goes on past a branch at 0x%x" % (b[0], a))
        last = code[b[-1]]
        groups = collections.OrderedDict()
        for a in b:
            size, mnemonic, operands = code[a]
            g = groups.setdefault(step_at.get(a), [0, 0])
            g[0] += 1
            g[1] += cycles(mnemonic, operands, False)
        taken_extra = 2 if is_conditional_branch(last[1]) else 0
        info[i] = (
            list(groups.items()),
            flow_at(b[-1], code, starts, spans),
            taken_extra,
            b[-1] + last[0],
            step_at.get(b[-1]),
            [step_at.get(a) is not None for a in b],
        )

    # The call depth and the caller's step at each block; then the window less the caller's own
    # instructions around the inference (depth 0, no step).
    depth_at, caller_at = call_stack((info[sequence[n]][1], info[sequence[n]][4]) for n in range(start, stop))

    def network_insn(n, j):
        return depth_at[n - start] > 0 or info[sequence[n]][5][j]

    lo = next(((n, j) for n in range(start, stop) for j in range(len(blocks[sequence[n]])) if network_insn(n, j)), None)
    if lo is None:
        raise SystemExit("m0_profile.py: no instruction of a step between the markers")
    hi = next(
        (n, j)
        for n in range(stop - 1, start - 1, -1)
        for j in range(len(blocks[sequence[n]]) - 1, -1, -1)
        if network_insn(n, j)
    )

    block_function = {i: (function_at(b[0], starts, spans) or (0, 0, "?"))[2] for i, b in used.items()}

    counts = collections.defaultdict(lambda: [0, 0])
    routines = collections.defaultdict(collections.Counter)  # step -> function -> instructions
    for n in range(lo[0], hi[0] + 1):
        i = sequence[n]
        groups, flow, taken_extra, after, _, _ = info[i]
        caller = caller_at[n - start]
        dynamic = caller if isinstance(caller, int) else "dispatch"
        if lo[0] < n < hi[0]:
            for step, (ins, cyc) in groups:
                who = dynamic if step is None else step
                c = counts[who]
                c[0] += ins
                c[1] += cyc
                routines[who][block_function[i]] += ins
            if taken_extra and first(n + 1) != after:
                counts[dynamic if info[i][4] is None else info[i][4]][1] += taken_extra
            continue
        # The two edge blocks, instruction by instruction.
        b = blocks[i]
        for j, a in enumerate(b):
            if (n, j) < lo or (n, j) > hi:
                continue
            size, mnemonic, operands = code[a]
            taken = j == len(b) - 1 and first(n + 1) != a + size
            step = step_at.get(a)
            who = dynamic if step is None else step
            c = counts[who]
            c[0] += 1
            c[1] += cycles(mnemonic, operands, taken)
            routines[who][block_function[i]] += 1
    missing = [k for k in range(len(stages)) if counts[k][0] == 0]
    if missing:
        raise SystemExit("m0_profile.py: no instruction attributed to step(s) %s" % missing)
    extra = [k for k in counts if isinstance(k, int) and k >= len(stages)]
    if extra:
        raise SystemExit("m0_profile.py: instructions attributed to step(s) %s the program did not print" % extra)
    facts["routines"] = {k: dict(v.most_common()) for k, v in routines.items()}
    return stages, kernels, facts, counts


def bar_chart(name, rows, path):
    """The estimated cycles of each step (rows of table_rows, the total left out) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.5))
    labels = ["%s %s" % (r["step"], r["layer"]) for r in rows[:-1]]
    ax.bar(range(len(labels)), [r["cycles"] for r in rows[:-1]])
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("estimated cycles")
    ax.set_title("%s: cycles per step on the Cortex-M0 (total %d)" % (name, rows[-1]["cycles"]), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def per_mac(macs, c):
    return "%.2f" % (c / macs) if macs else "-"


def table_rows(stages, kernels, counts):
    rows = []
    for k, (kind, macs) in enumerate(stages):
        rows.append(
            {
                "step": str(k),
                "layer": kind,
                "kernel": short_kernel(kernels[k]) if k in kernels else None,
                "macs": macs,
                "instructions": counts[k][0],
                "cycles": counts[k][1],
            }
        )
    rows.append(
        {
            "step": "-",
            "layer": "dispatch (between steps)",
            "kernel": None,
            "macs": 0,
            "instructions": counts["dispatch"][0],
            "cycles": counts["dispatch"][1],
        }
    )
    rows.append(
        {
            "step": "all",
            "layer": "total",
            "kernel": None,
            "macs": sum(s[1] for s in stages),
            "instructions": sum(r["instructions"] for r in rows),
            "cycles": sum(r["cycles"] for r in rows),
        }
    )
    return rows


def markdown(name, rows, stack_note):
    with_kernels = any(r["kernel"] for r in rows)
    head = "| step | layer |%s MACs | instructions | est. cycles | cycles/MAC |" % (" kernel |" if with_kernels else "")
    rule = "|---|---|%s---:|---:|---:|---:|" % ("---|" if with_kernels else "")
    md = ["### %s" % name, "", head, rule]
    for r in rows:
        md.append(
            "| %s | %s |%s %d | %d | %d | %s |"
            % (
                r["step"],
                r["layer"],
                " %s |" % (r["kernel"] or "") if with_kernels else "",
                r["macs"],
                r["instructions"],
                r["cycles"],
                per_mac(r["macs"], r["cycles"]),
            )
        )
    md.append("")
    if stack_note:
        md.append(stack_note)
    return "\n".join(md) + "\n"


def stack_note(facts, stack_usage):
    if "stack" not in facts:
        return None
    static = None
    if stack_usage and os.path.exists(stack_usage):
        frame, callee = forward_and_callee_frames(stack_usage)
        if frame is not None:
            static = (frame, callee)
    return (
        "Stack: %d bytes (measured high-water mark)%s."
        % (
            facts["stack"],
            "; -fstack-usage: forward() frame %d + deepest callee %d = %d bytes"
            % (static[0], static[1], static[0] + static[1])
            if static
            else "",
        ),
        static,
    )


NETWORK_UNIT = """// Written by perf/m0_profile.py --header: the network's translation unit of the profile program.
#include "{header}"
#include "{harness}"

const qpipe_profile::Network qpipe_profile::profiled = qpipe_profile::describe<{ns}::network, {ns}::spec>();
"""
# --inline: the whole program in one translation unit, main running the network itself, every
# call GCC can inline flattened into it (the inference has no function of its own; the kernels'
# noinline routines stay calls).
INLINE_UNIT = """// Written by perf/m0_profile.py --header --inline: the whole profile program in one unit.
#include "{header}"
#include "{harness}"

[[gnu::flatten]] int main() {{
  static constexpr qpipe_profile::Network n = qpipe_profile::describe<{ns}::network, {ns}::spec>();
  return qpipe_profile::profile_program(n, [] {{ qpipe_profile::Buffers<{ns}::network>::run(); }});
}}
"""


def build_header_program(args, workdir):
    """Builds the profile program around --header; returns (ELF, network object or None, .su file
    or None, toolchain)."""
    from m0_toolchain import Toolchain

    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.abspath(args.source_root or os.path.join(here, ".."))
    tc = Toolchain(root, large=args.large, boost_include_dir=args.boost_include_dir)
    unit = os.path.join(workdir, "network.cpp")
    with open(unit, "w") as f:
        f.write(
            (INLINE_UNIT if args.inline else NETWORK_UNIT).format(
                header=os.path.abspath(args.header),
                harness=os.path.join(here, "profile_network.hpp"),
                ns=args.namespace,
            )
        )
    includes = [os.path.dirname(os.path.abspath(args.header))]
    network_obj = tc.compile(
        unit, os.path.join(workdir, "network.cpp.o"), opt=args.opt, includes=includes, flags=args.flag, network=True
    )
    if args.inline:
        return tc.link([network_obj], os.path.join(workdir, "profile.elf")), None, None, tc
    main_obj = tc.compile(
        os.path.join(here, "profile_main.cpp"),
        os.path.join(workdir, "profile_main.cpp.o"),
        opt=args.opt,
        flags=args.flag,
    )
    elf = tc.link([network_obj, main_obj], os.path.join(workdir, "profile.elf"))
    return elf, network_obj, os.path.join(workdir, "network.cpp.su"), tc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--qemu", help="runs an ELF given qemu options first (tools/run-m0); ELF mode")
    ap.add_argument("--objdump", default="arm-none-eabi-objdump")
    ap.add_argument("--addr2line", default="arm-none-eabi-addr2line")
    ap.add_argument("--nm", default="arm-none-eabi-nm")
    ap.add_argument(
        "--trace",
        choices=["insn", "block", "both"],
        default="insn",
        help="qemu -singlestep (insn), translation blocks (block), or both, failing unless they agree",
    )
    ap.add_argument("--header", help="a network header: build the profile program around it")
    ap.add_argument("--namespace", help="the header's namespace (holding spec and network)")
    ap.add_argument("--opt", default="O3", help="optimisation level for --header (O3, O2, Os, ...)")
    ap.add_argument("--large", action="store_true", help="--header: link and run for the larger M0 part")
    ap.add_argument(
        "--inline",
        action="store_true",
        help="--header: one translation unit, main running the network (no flash figure)",
    )
    ap.add_argument("--flag", action="append", default=[], help="--header: one more compiler flag (repeat)")
    ap.add_argument("--source-root", help="--header: the qpipe checkout (default: this script's)")
    ap.add_argument("--boost-include-dir", default="/usr/include", help="--header: the folder holding boost/")
    ap.add_argument("--workdir", help="--header: keep the program here (default: a temporary folder)")
    ap.add_argument("--csv")
    ap.add_argument("--markdown")
    ap.add_argument("--json")
    ap.add_argument("--png")
    ap.add_argument("--name")
    ap.add_argument("elf", nargs="?")
    ap.add_argument("stack_usage", nargs="?")
    args = ap.parse_args()

    tools = {"objdump": args.objdump, "addr2line": args.addr2line, "nm": args.nm}
    workdir = None
    if args.header:
        if not args.namespace or args.elf:
            ap.error("--header takes --namespace and no ELF")
        workdir = args.workdir or tempfile.mkdtemp(prefix="qpipe-profile-")
        os.makedirs(workdir, exist_ok=True)
        elf, network_obj, su, tc = build_header_program(args, workdir)
        tools = {"objdump": tc.objdump, "addr2line": tc.addr2line, "nm": tc.nm}
        qemu = tc.run
        name = args.name or args.namespace
        stack_usage = su
    else:
        if not args.elf or not args.qemu:
            ap.error("give an ELF and --qemu, or --header and --namespace")
        elf, stack_usage, network_obj = args.elf, args.stack_usage, None
        qemu = args.qemu.split()
        name = args.name or os.path.basename(args.elf)

    if args.trace == "both":  # the two traces must give the same table (a test of the block trace)
        insn, block = (profile(qemu, tools, elf, mode) for mode in ("insn", "block"))
        if insn[0] != block[0] or dict(insn[3]) != dict(block[3]):
            raise SystemExit(
                "m0_profile.py: the instruction and block traces differ:\n%s\n%s"
                % (sorted(insn[3].items(), key=str), sorted(block[3].items(), key=str))
            )
        print("The instruction trace and the block trace give the same counts.")
        stages, kernels, facts, counts = block
    else:
        stages, kernels, facts, counts = profile(qemu, tools, elf, args.trace)
    rows = table_rows(stages, kernels, counts)
    note = stack_note(facts, stack_usage)
    text = markdown(name, rows, note[0] if note else None)
    result = {
        "name": name,
        "rows": rows,
        "stack_measured": facts.get("stack"),
        "stack_static": sum(note[1]) if note and note[1] else None,
        "arena": facts.get("arena"),
        "kernels": {str(k): v for k, v in sorted(kernels.items())},
        "routines": {str(k): v for k, v in facts["routines"].items()},
    }
    if args.header and network_obj:
        import m0_size

        linked = m0_size.linked_code(tc.nm, network_obj, elf)
        constants = m0_size.network_constants(tc.size, network_obj)
        result.update({"code": linked, "constants": constants})
        text += (
            "\nFlash: %d B of code (the network object's functions the image links) + %d B of constants; arena %s B.\n"
            % (linked, constants, facts.get("arena"))
        )
        if "arena_bounds" in facts:
            live, apart, unplanned = facts["arena_bounds"]
            result["arena_bounds"] = {
                "lower_bound": live,
                "largest_live_set": apart,
                "one_buffer_per_tensor": unplanned,
            }
            text += (
                "Arena bounds: the planner's lower bound %d B, the largest live set of buffers apart %d B, one "
                "buffer per tensor %d B.\n" % (live, apart, unplanned)
            )
    if workdir and not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    sys.stdout.write(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
    if args.csv:
        with open(args.csv, "w") as f:
            f.write("example,step,layer,macs,instructions,cycles,cycles_per_mac\n")
            for r in rows:
                f.write(
                    "%s,%s,%s,%d,%d,%d,%s\n"
                    % (
                        name,
                        r["step"],
                        r["layer"],
                        r["macs"],
                        r["instructions"],
                        r["cycles"],
                        per_mac(r["macs"], r["cycles"]),
                    )
                )
    if args.png:
        bar_chart(name, rows, args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
