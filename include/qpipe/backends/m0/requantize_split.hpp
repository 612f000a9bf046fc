// requantize_split for the Cortex-M0 as one shared routine in Thumb-1 assembly. Inlined, the
// C++ form is about 190 bytes at every place a layer requantizes (a dozen in a small network,
// most of its code); this routine is 134 bytes once, and its register-only calling convention
// (r0 accumulator in and code out, r1 the channel's SplitMultiplier, r2 the layer's zero point
// and clamp; r3, ip and lr clobbered) keeps the call to a few cycles, where an ordinary call with
// six arguments cost the caller far more in spilled registers. The arithmetic is exactly that of
// requantize_split (fixed_point.hpp): the same steps, checked against it on the target by
// tests/m0/numerics_on_target.cpp and by every golden.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qpipe/numerics/requantizer.hpp"

namespace qpipe::m0 {

// The byte offsets the routine reads its arguments at.
static_assert(offsetof(SplitMultiplier, multiplier) == 0 && offsetof(SplitMultiplier, left_shift) == 4 &&
              offsetof(SplitMultiplier, right_shift) == 5);
static_assert(offsetof(OutputClamp, zero_point) == 0 && offsetof(OutputClamp, qmin) == 4 &&
              offsetof(OutputClamp, qmax) == 8);

#if defined(__ARM_ARCH_6M__)
// r0 = acc, r1 -> {int32 multiplier in [0, 2^31); uint8 left_shift; uint8 right_shift},
// r2 -> {int32 zero_point, qmin, qmax}. Returns the int8 code in r0.
// Syntax: GCC hands a Thumb-1 asm statement to the assembler in divided syntax and switches back
// to unified after it, so a statement that opens with ".syntax unified" needs nothing at its end;
// clang's integrated assembler has unified syntax only (".syntax divided" is an error there).
[[gnu::naked, gnu::noinline]] inline void requantize_split_routine() {
  // clang-format off
  asm(".syntax unified\n\t"
      "push {r4, r5, r6, r7, lr}\n\t"
      "ldr r4, [r1, #0]\n\t"    // multiplier
      "ldrb r5, [r1, #5]\n\t"   // right shift
      "ldrb r3, [r1, #4]\n\t"   // left shift
      "cmp r3, #0\n\t"
      "bne 5f\n"
      "1:\n\t"                  // rounding doubling high multiply, multiplier >= 0 (fixed_point.hpp)
      "uxth r1, r0\n\t"         // al
      "asrs r0, r0, #16\n\t"    // ah
      "uxth r3, r4\n\t"         // bl
      "lsrs r4, r4, #16\n\t"    // bh
      "movs r6, r1\n\t"
      "muls r6, r3\n\t"         // al bl (unsigned)
      "lsrs r6, r6, #16\n\t"
      "movs r7, r0\n\t"
      "muls r7, r3\n\t"         // X = ah bl
      "muls r1, r4\n\t"         // Y = al bh
      "muls r0, r4\n\t"         // P = ah bh
      "movs r3, #1\n\t"
      "lsls r3, r3, #14\n\t"
      "adds r6, r6, r3\n\t"     // v = (al bl >> 16) + 2^14
      "lsls r3, r7, #17\n\t"
      "lsrs r3, r3, #17\n\t"    // X mod 2^15
      "adds r3, r3, r1\n\t"
      "adds r3, r3, r6\n\t"
      "lsrs r3, r3, #15\n\t"    // (X mod 2^15 + Y + v) >> 15, unsigned
      "lsls r0, r0, #1\n\t"
      "asrs r7, r7, #15\n\t"
      "adds r0, r0, r7\n\t"
      "adds r0, r0, r3\n\t"     // 2P + (X >> 15) + that
      "movs r3, #1\n\t"         // rounding divide by 2^right, ties away from zero
      "lsls r3, r5\n\t"
      "subs r3, #1\n\t"         // mask
      "movs r6, r0\n\t"
      "ands r6, r3\n\t"         // remainder
      "lsrs r3, r3, #1\n\t"
      "lsrs r7, r0, #31\n\t"
      "adds r3, r3, r7\n\t"     // threshold = mask / 2 + (x < 0)
      "asrs r0, r5\n\t"
      "cmp r3, r6\n\t"
      "bcs 2f\n\t"
      "adds r0, #1\n"           // remainder > threshold
      "2:\n\t"
      "ldr r3, [r2, #0]\n\t"    // zero point
      "ldr r1, [r2, #4]\n\t"
      "subs r1, r1, r3\n\t"     // qmin - zero point
      "cmp r0, r1\n\t"
      "bge 3f\n\t"
      "movs r0, r1\n"
      "3:\n\t"
      "ldr r1, [r2, #8]\n\t"
      "subs r1, r1, r3\n\t"     // qmax - zero point
      "cmp r0, r1\n\t"
      "ble 4f\n\t"
      "movs r0, r1\n"
      "4:\n\t"
      "adds r0, r0, r3\n\t"
      "pop {r4, r5, r6, r7, pc}\n"
      "5:\n\t"                  // saturating left shift by r3 in [1, 30]
      "movs r6, r0\n\t"
      "lsls r6, r3\n\t"
      "movs r7, r6\n\t"
      "asrs r7, r3\n\t"
      "cmp r7, r0\n\t"
      "beq 6f\n\t"
      "asrs r6, r0, #31\n\t"    // overflowed: -1 if negative, else 0
      "movs r7, #1\n\t"
      "lsls r7, r7, #31\n\t"
      "subs r7, #1\n\t"
      "eors r6, r7\n"           // INT32_MIN if negative, else INT32_MAX
      "6:\n\t"
      "movs r0, r6\n\t"
      "b 1b");
  // clang-format on
}

// Calls the routine.
[[gnu::always_inline]] inline std::int8_t requantize_split_m0(std::int32_t acc, const SplitMultiplier& m,
                                                              const OutputClamp& clamp) {
  register std::int32_t r0 asm("r0") = acc;
  register const SplitMultiplier* r1 asm("r1") = &m;
  register const OutputClamp* r2 asm("r2") = &clamp;
  // clang-format off
  asm("bl %c[routine]"
      : "+r"(r0), "+r"(r1), "+r"(r2)
      : [routine] "i"(requantize_split_routine), "m"(m), "m"(clamp)
      : "r3", "ip", "lr", "cc");
  // clang-format on
  return static_cast<std::int8_t>(r0);
}
#endif

}  // namespace qpipe::m0
