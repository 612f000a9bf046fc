// What a kernel promises about the order of its reads and writes, so that the arena planner may
// put its output over an input no later step reads (detail/arena.hpp).
//
// The promise, for one input: the output is divided into out_units units (rows, pixels or
// elements) of out_unit_bytes each, the input into in_units of in_unit_bytes, both in memory
// order; and, ascending (the kernel walks its output from the front): once the kernel has written
// any byte of output unit u, it reads no byte of the input units before u * stride + skew
// (clamped to the input). (A window op's rows: stride its stride, skew minus its leading padding.
// An op that reads element i before writing element i and never looks back: elements, stride 1,
// skew 1.) Descending (it walks its output from the back): once it has written any byte of
// output unit u, it reads no byte of the input units after u * stride + skew. Nothing is promised
// about the order inside a unit, nor about the order of the units: only that a unit written never
// sends the reads back past that bound. A kernel also promises that it writes nothing but its
// output units (no scratch in the output buffer) and nothing at all into its input.
//
// Then, ascending, the output may start `lead` bytes or more before the input: an output byte of
// unit u lies below the input byte first read after it, so it never lands on an input byte still
// to be read; descending, the output may start `lead` bytes or more after the input's start. A
// kernel that makes no such promise has the default ReadFront{} and no lead.
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
  bool descending = false;

  constexpr bool promised() const { return out_units > 0 && in_units > 0; }
  // Ascending: the first input unit the kernel may still read once output unit u has a byte
  // written. Descending: one past the last.
  constexpr std::size_t read_bound(std::size_t u) const {
    const std::ptrdiff_t f = static_cast<std::ptrdiff_t>(u * stride) + skew + (descending ? 1 : 0);
    if (f <= 0) return 0;
    return static_cast<std::size_t>(f) < in_units ? static_cast<std::size_t>(f) : in_units;
  }
  // Input remains to be read once output unit u has a byte written.
  constexpr bool reads_after(std::size_t u) const { return descending ? read_bound(u) > 0 : read_bound(u) < in_units; }
  // The distance the output must keep once unit u has a byte written (see lead).
  constexpr std::size_t need(std::size_t u) const {
    const std::size_t out = (descending ? u : u + 1) * out_unit_bytes, in = read_bound(u) * in_unit_bytes;
    if (descending) return in > out ? in - out : 0;
    return out > in ? out - in : 0;
  }
};

// Ascending: the least distance from the output's start to the input's (input start minus output
// start) at which the promise keeps every input byte unwritten until its last read: the most,
// over the output units u after which reads remain, of (u + 1) * out_unit_bytes - read_bound(u) *
// in_unit_bytes. Descending: the least distance from the input's start to the output's, the most
// of read_bound(u) * in_unit_bytes - u * out_unit_bytes. Both are linear in u between the places
// where u * stride + skew crosses the input's ends, so the most is at one of those places or an
// end: a dozen candidates, whatever the size.
constexpr std::size_t lead(const ReadFront& f) {
  if (!f.promised()) return no_lead;
  const std::ptrdiff_t s = static_cast<std::ptrdiff_t>(f.stride), last = static_cast<std::ptrdiff_t>(f.out_units) - 1;
  const std::ptrdiff_t low = f.skew < 0 ? -f.skew / s : 0;
  const std::ptrdiff_t high =
      static_cast<std::ptrdiff_t>(f.in_units) - f.skew > 0 ? (static_cast<std::ptrdiff_t>(f.in_units) - f.skew) / s : 0;
  const std::array<std::ptrdiff_t, 8> candidates{0, last, low - 1, low, low + 1, high - 1, high, high + 1};
  std::size_t best = 0;
  for (const std::ptrdiff_t u : candidates) {
    if (u < 0 || u > last || !f.reads_after(static_cast<std::size_t>(u))) continue;
    const std::size_t need = f.need(static_cast<std::size_t>(u));
    best = need > best ? need : best;
  }
  return best;
}

// Where a step's output may lie over one of its inputs: its start `lead` bytes or more before
// the input's (after == false), or `lead` bytes or more after the input's start (after == true).
struct Overlap {
  std::size_t lead = no_lead;
  bool after = false;
};
constexpr Overlap overlap_of(const ReadFront& f) { return {lead(f), f.descending}; }

// The promises of common walks.
// A window op (convolution, depthwise, pool, pad) whose kernel runs output rows such that, once it
// has written into output row y, it reads only the input rows its window at y and later windows
// reach: from y * stride - pad_top on.
constexpr ReadFront window_rows(std::size_t out_rows, std::size_t out_row_bytes, std::size_t in_rows,
                                std::size_t in_row_bytes, std::size_t stride, std::size_t pad_top) {
  return {out_rows, out_row_bytes, in_rows, in_row_bytes, stride, -static_cast<std::ptrdiff_t>(pad_top)};
}
// A kernel that reads all of input unit p (a pixel or an element; in_unit_bytes each) before it
// writes output unit p, and after that only later units: a 1 x 1 stride-1 layer, an elementwise op.
constexpr ReadFront unit_by_unit(std::size_t units, std::size_t out_unit_bytes, std::size_t in_unit_bytes) {
  return {units, out_unit_bytes, units, in_unit_bytes, 1, 1};
}
// The same walked from the last unit to the first: after writing output unit p it reads only
// earlier units. The output may then lie exactly over the input, or after its start.
constexpr ReadFront unit_by_unit_descending(std::size_t units, std::size_t out_unit_bytes, std::size_t in_unit_bytes) {
  return {units, out_unit_bytes, units, in_unit_bytes, 1, -1, true};
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
