// The steps of folded_halves_code (requantizer.hpp) that read the layer's word, as Thumb-1 assembly
// text for the M0 routines' requantization, in two spellings: _WORD takes each field from the word
// in a high register (%[word]: b | shift << 8 | qmin << 16 | span << 24), two or three cycles a
// field; _IMMEDIATE takes b, span and qmin as immediates (%[piece_bits], %[span], %[qmin_byte]:
// WordImmediates) and %[word] holds the shift alone, one cycle a field. X is the value's register
// operand, T a temporary's. They are macros because an asm statement's text must be a string
// literal. A header that writes such a routine includes this file after its other includes and
// asm/folded_code_end.hpp at its end, which takes them away again: no macro outlives the header
// that uses it. (No include guard, on purpose.)
#if defined(__ARM_ARCH_6M__)
// X >>= b: the low piece's product.
// clang-format off
#define QPIPE_FOLDED_PIECE_SHIFT_WORD(X, T) "mov %[" T "], %[word]\n\t" "asrs %[" X "], %[" T "]\n\t"
#define QPIPE_FOLDED_PIECE_SHIFT_IMMEDIATE(X, T) "asrs %[" X "], %[" X "], %[piece_bits]\n\t"
// X >>= shift: the final shift.
#define QPIPE_FOLDED_SHIFT_WORD(X, T) "mov %[" T "], %[word]\n\t" "lsrs %[" T "], %[" T "], #8\n\t" "asrs %[" X "], %[" T "]\n\t"
#define QPIPE_FOLDED_SHIFT_IMMEDIATE(X, T) "mov %[" T "], %[word]\n\t" "asrs %[" X "], %[" T "]\n\t"
// Compare X with the span (an unsigned compare then branches above it); _WORD leaves the span in T.
#define QPIPE_FOLDED_SPAN_COMPARE_WORD(X, T) "mov %[" T "], %[word]\n\t" "lsrs %[" T "], %[" T "], #24\n\t" "cmp %[" X "], %[" T "]\n\t"
#define QPIPE_FOLDED_SPAN_COMPARE_IMMEDIATE(X, T) "cmp %[" X "], %[span]\n\t"
// X = span: the value above the range.
#define QPIPE_FOLDED_TO_SPAN_WORD(X, T) "movs %[" X "], %[" T "]\n\t"
#define QPIPE_FOLDED_TO_SPAN_IMMEDIATE(X, T) "movs %[" X "], %[span]\n\t"
// X += qmin (mod 256: only the low byte is stored). _WORD adds word >> 16, whose low byte is qmin's.
#define QPIPE_FOLDED_ADD_QMIN_WORD(X, T) "mov %[" T "], %[word]\n\t" "lsrs %[" T "], %[" T "], #16\n\t" "adds %[" X "], %[" T "]\n\t"
#define QPIPE_FOLDED_ADD_QMIN_IMMEDIATE(X, T) "adds %[" X "], %[qmin_byte]\n\t"

// The whole code but its offset, from the pieces above. X = acc high + ((acc low) >> b): acc in
// register A, the channel's halves at the addresses LOW and HIGH ("[%[q], #4]").
#define QPIPE_FOLDED_SCALED(MODE, X, T, A, LOW, HIGH)                           \
  "ldrh %[" X "], " LOW "\n\t"                                                 \
  "muls %[" X "], %[" A "]\n\t" QPIPE_FOLDED_PIECE_SHIFT_##MODE(X, T)          \
  "ldrh %[" T "], " HIGH "\n\t"                                                \
  "muls %[" T "], %[" A "]\n\t"                                                \
  "adds %[" X "], %[" T "]\n\t"
// Then, the offset added: X >> shift clamped to [0, span], + qmin. Above the span it branches to
// label 2N (QPIPE_FOLDED_ABOVE, placed off the straight path), which comes back at 3N.
#define QPIPE_FOLDED_CLAMP(MODE, X, T, N) QPIPE_FOLDED_SHIFT_##MODE(X, T) QPIPE_FOLDED_RANGE(MODE, X, T, N)
// X = (X + offset) >> shift from a record's word at OFFSET that holds both, offset * 256 + shift
// (folded_shifted_code): T the word, A (free by then: the accumulator) its offset; a shift by
// register reads T's low byte. What the common shift's read of the layer's word cost, or less.
#define QPIPE_FOLDED_SHIFTED_OFFSET(X, T, A, OFFSET)                             \
  "ldr %[" T "], " OFFSET "\n\t"                                                \
  "asrs %[" A "], %[" T "], #8\n\t"                                             \
  "adds %[" X "], %[" A "]\n\t"                                                 \
  "asrs %[" X "], %[" T "]\n\t"
// The clamp alone, X already shifted (a routine that holds the shift in a low register, or read it
// with the offset).
#define QPIPE_FOLDED_RANGE(MODE, X, T, N)                                       \
  "asrs %[" T "], %[" X "], #31\n\t"                                           \
  "bics %[" X "], %[" T "]\n\t" QPIPE_FOLDED_SPAN_COMPARE_##MODE(X, T)         \
  "bhi 2" N "f\n"                                                              \
  "3" N ":\n\t" QPIPE_FOLDED_ADD_QMIN_##MODE(X, T)
#define QPIPE_FOLDED_ABOVE(MODE, X, T, N) "2" N ":\n\t" QPIPE_FOLDED_TO_SPAN_##MODE(X, T) "b 3" N "b\n"
// clang-format on
#endif  // __ARM_ARCH_6M__
