#!/usr/bin/env python3
"""Per-layer instruction and cycle counts of one inference on the emulated Cortex-M0.

Runs a profile program (dsl_examples/*/profile.cpp) under qemu with -singlestep -d exec,nochain,
which logs every executed instruction's address; counts the instructions executed between the
program's calls to profile_begin() and profile_end(); attributes each to a step of the network
through the debug line tables (the inlined Model::run_stage<K> or run_stage_constant<K, Self> frame), instructions of helper
functions (e.g. __aeabi_lmul) to the step that called them; and estimates cycles with the
Cortex-M0 timing below. Instruction counts are exact and repeatable; cycles are an estimate
(no flash wait states, no bus contention).

usage: m0_profile.py --qemu tools/run-m0 --objdump OBJDUMP --addr2line ADDR2LINE --nm NM
                     [--csv FILE] [--markdown FILE] [--png FILE] [--name NAME] ELF [STACK_USAGE.su]
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

from stack_usage import forward_and_callee_frames

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
    inside = operands[operands.find("{") + 1:operands.find("}")]
    count = 0
    for part in inside.split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = part.split("-")
            count += int(hi.strip()[1:]) - int(lo.strip()[1:]) + 1
        elif part:
            count += 1
    return count


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
    if m.startswith("b") and m[1:] in CONDITIONS:
        return 3 if taken else 1
    if m in ("mov", "add") and operands.split(",")[0].strip() == "pc":
        return 3
    if m in ("msr", "mrs", "dmb", "dsb", "isb"):
        return 4
    return 1


def disassemble(objdump, elf):
    """address -> (size, mnemonic, operands)"""
    out = subprocess.run([objdump, "-d", elf], check=True, stdout=subprocess.PIPE, text=True).stdout
    table = {}
    line_re = re.compile(r"^\s*([0-9a-f]+):\s+((?:[0-9a-f]{4}\s?)+)\s+(\S+)\s*(.*)$")
    for line in out.splitlines():
        m = line_re.match(line)
        if not m:
            continue
        words = m.group(2).split()
        table[int(m.group(1), 16)] = (2 * len(words), m.group(3), m.group(4).split(";")[0].strip())
    return table


def symbols(nm, elf):
    out = subprocess.run([nm, "-S", elf], check=True, stdout=subprocess.PIPE, text=True).stdout
    table = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4:
            table[parts[3]] = (int(parts[0], 16), int(parts[1], 16))
    return table


def steps_of(addr2line, elf, addresses):
    """address -> step index (the Model::run_stage<K> or run_stage_constant<K, Self> frame it is
    inlined in), or None"""
    addresses = sorted(addresses)
    # -a prints each address before its inline chain (innermost function first).
    out = subprocess.run([addr2line, "-a", "-i", "-f", "-e", elf] + ["0x%x" % a for a in addresses],
                         check=True, stdout=subprocess.PIPE, text=True).stdout.splitlines()
    result, current, stage_re = {}, None, re.compile(r"run_stage(?:_constant)?ILj(\d+)E")
    for line in out:
        if line.startswith("0x"):
            current = int(line, 16)
            result[current] = None
        elif current is not None and result[current] is None:
            m = stage_re.search(line)
            if m:
                result[current] = int(m.group(1))
    return result


def trace(qemu, elf):
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "exec.log")
        done = subprocess.run(qemu + ["-singlestep", "-d", "exec,nochain", "-D", log, elf],
                              stdout=subprocess.PIPE, text=True, timeout=1800)
        if done.returncode != 0:
            raise SystemExit("m0_profile.py: %s exited %d" % (elf, done.returncode))
        pcs = []
        pc_re = re.compile(r"\[[0-9a-f]+/([0-9a-f]+)/")
        with open(log) as f:
            for line in f:
                m = pc_re.search(line)
                if m:
                    pcs.append(int(m.group(1), 16))
        return done.stdout, pcs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", required=True, help="runs an ELF given qemu options first (tools/run-m0)")
    ap.add_argument("--objdump", required=True)
    ap.add_argument("--addr2line", required=True)
    ap.add_argument("--nm", required=True)
    ap.add_argument("--csv")
    ap.add_argument("--markdown")
    ap.add_argument("--png")
    ap.add_argument("--name")
    ap.add_argument("elf")
    ap.add_argument("stack_usage", nargs="?")
    args = ap.parse_args()
    name = args.name or os.path.basename(args.elf)

    stdout, pcs = trace(args.qemu.split(), args.elf)
    code = disassemble(args.objdump, args.elf)
    syms = symbols(args.nm, args.elf)
    begin = syms["_ZN8examples13profile_beginEv"][0]
    end = syms["_ZN8examples11profile_endEv"][0]
    stages = []
    for line in stdout.splitlines():
        if line.startswith("stage "):
            _, k, kind_and_macs = line.split(" ", 2)
            kind, macs = kind_and_macs.rsplit(" ", 1)
            stages.append((kind, int(macs)))
    stack_line = [l for l in stdout.splitlines() if l.startswith("stack used")]

    # The network's code: the example's forward function(s), with the kernels inlined into them,
    # and any step GCC kept out of line (Model::run_stage_constant<K, Self>, a clone of it).
    ranges = [syms[s] for s in syms if "forward" in s or "run_stage" in s]
    if not ranges:
        raise SystemExit("m0_profile.py: no forward function in %s" % args.elf)
    in_forward = lambda a: any(lo <= a < lo + size for lo, size in ranges)
    # The window: from the first instruction of forward after profile_begin() to its last before
    # profile_end() (the caller's few instructions around the call are not the network's).
    start = pcs.index(begin)
    stop = pcs.index(end, start)
    while start < stop and not in_forward(pcs[start]):
        start += 1
    while stop > start and not in_forward(pcs[stop - 1]):
        stop -= 1
    window = pcs[start:stop]
    step_at = steps_of(args.addr2line, args.elf, {a for a in window if in_forward(a)})

    instr = collections.Counter()
    cyc = collections.Counter()
    callers = []  # the attribution of each active call out of the network's code
    for i, pc in enumerate(window):
        if in_forward(pc):
            who = step_at.get(pc)
            who = "dispatch" if who is None else who
        elif callers:
            who = callers[-1]
        else:
            who = "outside"
        size, mnemonic, operands = code.get(pc, (2, "?", ""))
        nxt = window[i + 1] if i + 1 < len(window) else None
        taken = nxt is not None and nxt != pc + size
        instr[who] += 1
        cyc[who] += cycles(mnemonic, operands, taken)
        base = mnemonic.split(".")[0]
        if base in ("bl", "blx") and who != "outside":
            callers.append(who)
        elif callers and not in_forward(pc) and (
                (base == "bx" and operands == "lr") or (base == "pop" and "pc" in operands)):
            callers.pop()

    if instr["outside"]:
        raise SystemExit("m0_profile.py: %d instructions in the window are not the network's" % instr["outside"])
    missing = [k for k in range(len(stages)) if instr[k] == 0]
    if missing:
        raise SystemExit("m0_profile.py: no instruction attributed to step(s) %s" % missing)
    rows = []
    for k, (kind, macs) in enumerate(stages):
        rows.append((str(k), kind, macs, instr[k], cyc[k]))
    rows.append(("-", "dispatch (forward, between steps)", 0, instr["dispatch"], cyc["dispatch"]))
    total_macs = sum(s[1] for s in stages)
    total_i = sum(r[3] for r in rows)
    total_c = sum(r[4] for r in rows)
    rows.append(("all", "total", total_macs, total_i, total_c))

    static_stack, callee_stack = None, 0
    if args.stack_usage and os.path.exists(args.stack_usage):
        static_stack, callee_stack = forward_and_callee_frames(args.stack_usage)

    def per_mac(macs, c):
        return "%.2f" % (c / macs) if macs else "-"

    md = ["### %s" % name, "", "| step | layer | MACs | instructions | est. cycles | cycles/MAC |", "|---|---|---:|---:|---:|---:|"]
    for step, kind, macs, i, c in rows:
        md.append("| %s | %s | %d | %d | %d | %s |" % (step, kind, macs, i, c, per_mac(macs, c)))
    md.append("")
    if stack_line:
        md.append("Stack: %s (measured high-water mark)%s." % (
            stack_line[0].split(":")[1].strip(),
            "; -fstack-usage: forward() frame %d + deepest callee %d = %d bytes" % (
                static_stack, callee_stack, static_stack + callee_stack) if static_stack is not None else ""))
    text = "\n".join(md) + "\n"
    sys.stdout.write(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    if args.csv:
        with open(args.csv, "w") as f:
            f.write("example,step,layer,macs,instructions,cycles,cycles_per_mac\n")
            for step, kind, macs, i, c in rows:
                f.write("%s,%s,%s,%d,%d,%d,%s\n" % (name, step, kind, macs, i, c, per_mac(macs, c)))
    if args.png:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(8, 3.5))
        labels = ["%s %s" % (r[0], r[1]) for r in rows[:-1]]
        ax.bar(range(len(labels)), [r[4] for r in rows[:-1]])
        ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=7)
        ax.set_ylabel("estimated cycles")
        ax.set_title("%s: cycles per step on the Cortex-M0 (total %d)" % (name, total_c), fontsize=9)
        fig.tight_layout()
        fig.savefig(args.png, dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main())
