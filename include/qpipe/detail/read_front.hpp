// What a kernel promises about the order of its reads and writes, so that the arena planner may
// put its output over the front of an input no later step reads (detail/arena.hpp).
//
// The promise, for one input: the output is divided into out_units units (rows, pixels or
// elements) of out_unit_bytes each, the input into in_units of in_unit_bytes, both in memory
// order; and once the kernel has written any byte of output unit u, it reads no byte of the input
// units before first_read(u) = min(max(u * stride + skew, 0), in_units). (A window op's rows:
// stride its stride, skew minus its leading padding. An op that reads element i before writing
// element i and never looks back: elements, stride 1, skew 1.) Nothing is promised about the order
// inside a unit, nor about the order of the units: only that a unit written never sends the reads
// back below its first_read. A kernel also promises that it writes nothing but its output units
// (no scratch in the output buffer) and nothing at all into its input.
//
// Then the output may start `lead` bytes before the input: an output byte of unit u lies below
// the input's byte first_read(u) * in_unit_bytes, so it never lands on an input byte still to be
// read. A kernel that makes no such promise has the default ReadFront{} and no lead.
#pragma once

#include <array>
#include <cstddef>

namespace qpipe::detail {

inline constexpr std::size_t no_lead = static_cast<std::size_t>(-1);

struct ReadFront {
  std::size_t out_units = 0, out_unit_bytes = 0;
  std::size_t in_units = 0, in_unit_bytes = 0;
  std::size_t stride = 1;
  std::ptrdiff_t skew = 0;

  constexpr bool promised() const { return out_units > 0 && in_units > 0; }
  // The first input unit the kernel may still read once output unit u has a byte written.
  constexpr std::size_t first_read(std::size_t u) const {
    const std::ptrdiff_t f = static_cast<std::ptrdiff_t>(u * stride) + skew;
    if (f <= 0) return 0;
    return static_cast<std::size_t>(f) < in_units ? static_cast<std::size_t>(f) : in_units;
  }
};

// The least distance from the output's start to the input's start (input start minus output
// start) at which the promise keeps every input byte unwritten until its last read: the most, over
// the output units u after which reads remain (first_read(u) < in_units), of (u + 1) *
// out_unit_bytes - first_read(u) * in_unit_bytes, and at least 0. That expression is linear in u
// where u * stride + skew <= 0 and linear where it is above, so its largest value is at an end of
// one of the two stretches: four candidates, whatever the size.
constexpr std::size_t lead(const ReadFront& f) {
  if (!f.promised()) return no_lead;
  // The last output unit after which input remains to be read: u * stride + skew < in_units.
  const std::ptrdiff_t units_in = static_cast<std::ptrdiff_t>(f.in_units), s = static_cast<std::ptrdiff_t>(f.stride);
  if (f.skew >= units_in) return 0;  // the first unit written ends every read
  std::ptrdiff_t last = (units_in - 1 - f.skew) / s;
  if (last > static_cast<std::ptrdiff_t>(f.out_units) - 1) last = static_cast<std::ptrdiff_t>(f.out_units) - 1;
  // The last unit whose first_read is clamped to 0 (u * stride + skew <= 0), if any.
  const std::ptrdiff_t clamped = f.skew <= 0 ? (-f.skew) / s : -1;
  const std::array<std::ptrdiff_t, 4> candidates{0, clamped, clamped + 1, last};
  std::size_t best = 0;
  for (const std::ptrdiff_t u : candidates) {
    if (u < 0 || u > last) continue;
    const std::size_t written = (static_cast<std::size_t>(u) + 1) * f.out_unit_bytes;
    const std::size_t unread_from = f.first_read(static_cast<std::size_t>(u)) * f.in_unit_bytes;
    if (written > unread_from && written - unread_from > best) best = written - unread_from;
  }
  return best;
}

// The promises of common walks.
// A window op (convolution, depthwise, pool, pad) whose kernel runs output rows such that, once it
// has written into output row y, it reads only the input rows its window at y and later windows
// reach: from y * stride - pad_top on.
constexpr ReadFront window_rows(std::size_t out_rows, std::size_t out_row_bytes, std::size_t in_rows, std::size_t in_row_bytes,
                                std::size_t stride, std::size_t pad_top) {
  return {out_rows, out_row_bytes, in_rows, in_row_bytes, stride, -static_cast<std::ptrdiff_t>(pad_top)};
}
// A kernel that reads all of input unit p (a pixel or an element; in_unit_bytes each) before it
// writes output unit p, and after that only later units: a 1 x 1 stride-1 layer, an elementwise op.
constexpr ReadFront unit_by_unit(std::size_t units, std::size_t out_unit_bytes, std::size_t in_unit_bytes) {
  return {units, out_unit_bytes, units, in_unit_bytes, 1, 1};
}

// What a kernel type promises for each of its inputs (a one-input kernel: [1] unused):
// K::read_fronts where it declares them, none otherwise.
template <class K>
constexpr std::array<ReadFront, 2> read_fronts_of() {
  if constexpr (requires { K::read_fronts; }) {
    return K::read_fronts;
  } else {
    return {};
  }
}

}  // namespace qpipe::detail
