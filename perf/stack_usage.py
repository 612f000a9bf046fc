"""The static worst-case stack of a network's forward() from GCC's -fstack-usage file of its object:
forward()'s own frame (the kernels are inlined into it) and the deepest chain of the object's
other functions below it: a step GCC kept out of line (Model::run_stage_constant<K, Self>) and
the leaf routines (the out-of-line row loops, the requantization routine; they call nothing),
which forward() or such a step calls. Every step is assumed to call the largest leaf, an upper
bound. Shared by perf/m0_profile.py and tests/tools/ram_fit.py.
"""

# The M0 requantization routine (include/qpipe/numerics/requantize_m0.hpp) is a naked function:
# -fstack-usage reports 0 for it, but its PUSH {r4-r7, lr} takes 20 bytes.
NAKED_REQUANTIZE_ROUTINE_BYTES = 20


def forward_and_callee_frames(su_path):
    """(forward()'s frame or None if absent, the deepest chain of other frames) in bytes."""
    forward, step, leaf = None, 0, 0
    with open(su_path) as f:
        for line in f:
            function, frame = line.split("\t")[0], int(line.split("\t")[1])
            if "requantize_split_routine" in function:
                frame = max(frame, NAKED_REQUANTIZE_ROUTINE_BYTES)
            if "forward" in function:
                forward = frame
            elif "run_stage" in function:
                step = max(step, frame)
            else:
                leaf = max(leaf, frame)
    return forward, (step + leaf if step else leaf)
