"""The static worst-case stack of a network's forward(): its own frame (the kernels are inlined
into it) plus the deepest chain of out-of-line functions below it (steps GCC kept out of line,
row loops, pad loops, packing loops, the requantization routine).

With the call graph GCC writes next to the -fstack-usage file (-fcallgraph-info=su: FILE.ci, the
frames as node labels, the calls as edges) the chain is the heaviest path from forward() through
the object's functions; calls out of the object (the C library's helpers, none on the inference
path) count 0. Without it, the largest out-of-line step frame plus the largest other frame: an
estimate that misses deeper chains. Shared by perf/m0_profile.py and tests/tools/ram_fit.py.
"""
import os
import re

# The M0 requantization routine (include/qpipe/numerics/requantize_m0.hpp) is a naked function:
# -fstack-usage reports 0 for it, but its PUSH {r4-r7, lr} takes 20 bytes.
NAKED_REQUANTIZE_ROUTINE_BYTES = 20


def _frame(function, frame):
    return max(frame, NAKED_REQUANTIZE_ROUTINE_BYTES) if "requantize_split_routine" in function else frame


def _call_graph(ci_path):
    """(frames by symbol, callees by symbol, the symbol of forward() or None)"""
    node_re = re.compile(r'node: \{ title: "([^"]+)" label: "([^"]*)"')
    edge_re = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
    frames, calls, forward = {}, {}, None
    with open(ci_path) as f:
        for line in f:
            m = node_re.search(line)
            if m:
                label = m.group(2).replace("\\n", "\n").split("\n")
                sizes = [l for l in label if l.endswith("(static)") or l.endswith("(dynamic)") or "bytes" in l]
                frame = int(sizes[-1].split()[0]) if sizes else 0
                frames[m.group(1)] = _frame(label[0], frame)
                if "forward" in label[0] and forward is None and "bytes" in m.group(2):
                    forward = m.group(1)
                continue
            m = edge_re.search(line)
            if m:
                calls.setdefault(m.group(1), []).append(m.group(2))
    return frames, calls, forward


def _deepest(symbol, frames, calls, seen, asm_leaf):
    """The heaviest chain from symbol down. asm_leaf: the frame of a routine that inline assembly
    calls (BL), which GCC's call graph does not record: any chain may end in it."""
    if symbol in seen:  # a recursion: not expected in a network's code
        raise SystemExit("stack_usage.py: recursive call through %s" % symbol)
    below = [_deepest(c, frames, calls, seen | {symbol}, asm_leaf) for c in calls.get(symbol, []) if c in frames]
    return frames[symbol] + max(below + [asm_leaf], default=0)


def forward_and_callee_frames(su_path):
    """(forward()'s frame or None if absent, the deepest chain of frames below it) in bytes."""
    ci_path = os.path.splitext(su_path)[0] + ".ci"
    if os.path.exists(ci_path):
        frames, calls, forward = _call_graph(ci_path)
        if forward is None:
            return None, 0
        # The requantization routine is reached only from inline assembly (an upper bound: every
        # chain is taken to end in it where the object holds it).
        asm_leaf = max((f for symbol, f in frames.items() if "requantize_split_routine" in symbol), default=0)
        below = [_deepest(c, frames, calls, {forward}, asm_leaf) for c in calls.get(forward, []) if c in frames]
        return frames[forward], max(below + [asm_leaf], default=0)
    forward, step, leaf = None, 0, 0
    with open(su_path) as f:
        for line in f:
            function, frame = line.split("\t")[0], int(line.split("\t")[1])
            frame = _frame(function, frame)
            if "forward" in function:
                forward = frame
            elif "run_stage" in function:
                step = max(step, frame)
            else:
                leaf = max(leaf, frame)
    return forward, (step + leaf if step else leaf)
