#!/usr/bin/env python3
"""The profiler's call-stack reconstruction (perf/m0_profile.py: flow_at, call_stack) on a small
hand-made program: its disassembly and symbol table as objdump -d and nm -S -C print them, and a
trace of the blocks qemu would execute.

The program is the shape GCC gives a large Thumb-1 function: forward() longer than B's 2 KiB reach,
so it jumps from one part of itself to another with BL (no return follows), and between those jumps
calls a kernel routine that calls a library helper without a size (__clzdi2). The expected depths
and callers are worked out by hand from the program below, not by the profiler.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import m0_profile  # noqa: E402

# objdump -d's layout (address, halfwords, mnemonic, operands); the parser reads only the number of
# halfwords of an encoding, so the encodings are placeholders of the right length.
DISASSEMBLY = """
00001000 <_ZN13qpipe_profile7BuffersIL_ZN2ns7networkEEE7forwardEv>:
    1000:\tb510      \tpush\t{r4, lr}
    1002:\t2000      \tmovs\tr0, #0
    1004:\tf001 f8fc \tbl\t2200 <_ZN13qpipe_profile7BuffersIL_ZN2ns7networkEEE7forwardEv+0x1200>
    1008:\t1c01      \tadds\tr1, r0, #0
    100a:\tf001 fff9 \tbl\t3000 <_ZN5qpipe2m010kernel_rowEPKaPa>
    100e:\tf003 fff7 \tbl\t5000 <_ZN8examples11profile_endEv>
    1012:\tbd10      \tpop\t{r4, pc}
    2200:\t3001      \tadds\tr0, #1
    2202:\tf000 fefd \tbl\t3000 <_ZN5qpipe2m010kernel_rowEPKaPa>
    2206:\tf7fe fefe \tbl\t1008 <_ZN13qpipe_profile7BuffersIL_ZN2ns7networkEEE7forwardEv+0x8>
    220a:\tf7fe fef9 \tbl\t1000 <_ZN13qpipe_profile7BuffersIL_ZN2ns7networkEEE7forwardEv>

00003000 <_ZN5qpipe2m010kernel_rowEPKaPa>:
    3000:\tb500      \tpush\t{lr}
    3002:\tf000 fffd \tbl\t4000 <__clzdi2>
    3006:\tbd00      \tpop\t{pc}
    3008:\t4798      \tblx\tr3

00004000 <__clzdi2>:
    4000:\t2001      \tmovs\tr0, #1
    4002:\t4770      \tbx\tlr

00005000 <_ZN8examples11profile_endEv>:
    5000:\t4770      \tbx\tlr
"""

# nm -S -C --defined-only: __clzdi2 has no size (libgcc's assembly), so it is no known function.
SYMBOLS = """00001000 00001400 T qpipe_profile::Buffers<ns::network>::forward()
00003000 0000000a t qpipe::m0::kernel_row(signed char const*, signed char*)
00004000 T __clzdi2
00005000 00000002 T examples::profile_end()
"""

# The window from profile_begin()'s return to the call of profile_end(): the executed blocks (each
# ends at a branch) and the step the debug line table gives the block's last instruction.
TRACE = [
    ((0x1000, 0x1002, 0x1004), 0),  # step 0's code in forward; BL far jump to forward+0x1200
    ((0x2200, 0x2202), 0),  # step 0 calls the kernel
    ((0x3000, 0x3002), None),  # the kernel calls __clzdi2
    ((0x4000, 0x4002), None),  # __clzdi2 returns
    ((0x3006,), None),  # the kernel returns (POP {pc})
    ((0x2206,), 0),  # BL far jump back to forward+0x8
    ((0x1008, 0x100A), 1),  # step 1 calls the kernel
    ((0x3000, 0x3002), None),
    ((0x4000, 0x4002), None),
    ((0x3006,), None),
    ((0x100E,), None),  # the call of profile_end()
]
# By hand: the depth before each block and whose call it runs in.
EXPECTED_DEPTH = [0, 0, 1, 2, 1, 0, 0, 1, 2, 1, 0]
EXPECTED_CALLER = ["dispatch", "dispatch", 0, 0, 0, "dispatch", "dispatch", 1, 1, 1, "dispatch"]


class FarJumps(unittest.TestCase):
    def setUp(self):
        self.code = m0_profile.parse_disassembly(DISASSEMBLY)
        self.starts, self.spans = m0_profile.parse_functions(SYMBOLS)

    def flow(self, address):
        return m0_profile.flow_at(address, self.code, self.starts, self.spans)

    def test_reads_the_listing(self):
        self.assertEqual(
            self.code[0x1004], (4, "bl", "2200 <_ZN13qpipe_profile7BuffersIL_ZN2ns7networkEEE7forwardEv+0x1200>")
        )
        self.assertEqual(self.code[0x4002], (2, "bx", "lr"))
        self.assertEqual(
            self.spans,
            [
                (0x1000, 0x2400, "Buffers::forward"),
                (0x3000, 0x300A, "m0::kernel_row"),
                (0x5000, 0x5002, "examples::profile_end"),
            ],
        )

    def test_what_each_branch_is(self):
        expected = {
            0x1004: "jump",  # BL to forward+0x1200: inside forward, not its entry
            0x2206: "jump",  # BL back to forward+0x8
            0x100A: "call",  # BL to another function's entry
            0x2202: "call",
            0x220A: "call",  # BL to forward's own entry: recursion, a call
            0x3002: "call",  # BL to a routine of no known extent (__clzdi2): a call
            0x100E: "call",
            0x3008: "call",  # BLX r3
            0x3006: "return",  # POP {pc}
            0x4002: "return",  # BX lr
            0x1002: None,
        }
        self.assertEqual({a: self.flow(a) for a in expected}, expected)

    def test_call_stack_through_far_jumps(self):
        for block, _ in TRACE:  # the trace holds only addresses of the listing
            self.assertTrue(all(a in self.code for a in block))
        depth, caller = m0_profile.call_stack((self.flow(block[-1]), step) for block, step in TRACE)
        self.assertEqual(depth, EXPECTED_DEPTH)
        self.assertEqual(caller, EXPECTED_CALLER)

    def test_every_bl_a_call_leaves_the_depth_unbalanced(self):
        # The trace does exercise the far jumps: read as calls (the profiler before this rule), the
        # two of them leave the call depth at 2 when profile_end() is called.
        flows = ((m0_profile.control_flow(*self.code[block[-1]][1:]), step) for block, step in TRACE)
        with self.assertRaisesRegex(SystemExit, "call depth at profile_end\\(\\) is 2, not 0"):
            m0_profile.call_stack(flows)

    def test_a_return_too_many_stops(self):
        with self.assertRaisesRegex(SystemExit, "a return out of the function"):
            m0_profile.call_stack([("return", None)])


if __name__ == "__main__":
    unittest.main()
