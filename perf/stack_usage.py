"""The static worst-case stack of a network's forward() from GCC's -fstack-usage file of its object:
forward()'s own frame (the kernels are inlined into it) and the largest frame of the object's
other functions (the out-of-line row loops and the requantization routine that forward() calls;
they call nothing). Shared by perf/m0_profile.py and tests/tools/ram_fit.py.
"""

# The M0 requantization routine (include/qpipe/numerics/requantize_m0.hpp) is a naked function:
# -fstack-usage reports 0 for it, but its PUSH {r4-r7, lr} takes 20 bytes.
NAKED_REQUANTIZE_ROUTINE_BYTES = 20


def forward_and_callee_frames(su_path):
    """(forward()'s frame or None if absent, the deepest other frame) in bytes."""
    forward, callee = None, 0
    with open(su_path) as f:
        for line in f:
            function, frame = line.split("\t")[0], int(line.split("\t")[1])
            if "requantize_split_routine" in function:
                frame = max(frame, NAKED_REQUANTIZE_ROUTINE_BYTES)
            if "forward" in function:
                forward = frame
            else:
                callee = max(callee, frame)
    return forward, callee
