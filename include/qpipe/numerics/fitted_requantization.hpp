// Requantization fitted by the compiler: for the accumulators a channel can actually produce, the
// TFLite result clamp(zp + RDBP(SRDHM(acc << left, M), right)) equals
//
//   clamp(zp + ((floor(acc * m / 2^L) + C) >> shift))
//
// for a scale m of 20-odd bits, found per channel at compile time. floor(acc * m / 2^L) takes two
// or three 32-bit multiplies (a cascade over b-bit pieces of m, b chosen from the layer's largest
// accumulator so that no product leaves int32), where the TFLite form needs a 32 x 32 -> 64 bit
// high multiply (four 16-bit products on the Cortex-M0) and a rounding shift.
//
// Why it is exact: both functions are non-decreasing step functions of acc with 256 possible
// values, so they are equal on [lo, hi] exactly when they step at the same accumulators. The
// compiler computes TFLite's steps t_k (the least acc whose code is >= k) in closed form, checks
// every one of them on both sides against TFLite's definition evaluated in 64 bits (and
// requantize_split itself at the range's ends and at zero), and searches the (m, C) pairs whose
// steps are the same t_k; the result is checked once more, through the runtime function, on both
// sides of every 16th step (the tests run it over whole ranges). TFLite's rounding of a negative SRDHM result (ties away from zero in the
// rounding shift) moves its negative steps by up to two accumulator units against a linear form;
// layers whose output can go below the zero point (no ReLU folded in) therefore take a second
// offset for acc < 0. A channel that fits no such form (a huge accumulator range, a left shift
// that can saturate, shifts above 23) leaves its whole layer on the TFLite form.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "qpipe/numerics/accumulator_range.hpp"
#include "qpipe/numerics/fixed_point.hpp"

namespace qpipe {

// The layer-wide shape of the fitted form. pieces == 0: not fitted, the channels hold TFLite's
// multipliers.
struct FittedForm {
  static constexpr std::uint8_t per_channel_shift = 0xff;
  std::uint8_t piece_bits = 0;  // b
  std::uint8_t pieces = 0;  // 2 or 3
  bool negative_offsets = false;  // acc < 0 takes the channel's second offset
  bool halves = false;  // two pieces, each a channel's 16-bit half (below)
  std::uint8_t shift = per_channel_shift;  // the final shift, if one serves every channel
};

// One channel of the fitted form, 8 bytes. The scale m is high 2^b + low (form.halves: the two
// pieces themselves, loaded as they are) or high 2^16 + low. offset is C, or C * 256 + the
// channel's shift when the layer has no common one (C then in [-2^23, 2^23), shift <= 23).
struct FittedChannel {
  std::uint16_t low;
  std::uint16_t high;
  std::int32_t offset;
};

// floor(acc * m / 2^((pieces - 1) b)) as pieces products of acc with b-bit pieces of m (the top
// piece takes the remaining bits), each partial sum inside int32 for the accumulators the
// compiler allowed: floor((x 2^b + y) / 2^b) = x + floor(y / 2^b) applied piece by piece. Int:
// std::int32_t where the kernels run it, std::int64_t for the compile-time checks that no sum
// leaves int32.
template <class Int>
constexpr Int scaled_accumulator(Int acc, std::uint32_t m, unsigned b, unsigned pieces) {
  const std::uint32_t mask = (std::uint32_t{1} << b) - 1;
  Int partial = acc * static_cast<Int>(m & mask);
  if (pieces == 3) {
    m >>= b;
    partial = acc * static_cast<Int>(m & mask) + (partial >> b);
  }
  return acc * static_cast<Int>(m >> b) + (partial >> b);
}

// The fitted form's value before the zero point and the clamp. negative_offset is read only for
// acc < 0 in a layer that has them. The layer's form is a constant where the kernels run, so the
// compiler keeps one path of each choice.
constexpr std::int32_t fitted_requantize(std::int32_t acc, FittedChannel c, const std::int32_t* negative_offset,
                                         FittedForm form) {
  std::int32_t scaled;
  if (form.halves) {  // scaled_accumulator with two pieces, without taking m apart
    scaled = acc * std::int32_t{c.high} + ((acc * std::int32_t{c.low}) >> form.piece_bits);
  } else {
    scaled = scaled_accumulator(acc, c.low | (std::uint32_t{c.high} << 16), form.piece_bits, form.pieces);
  }
  std::int32_t offset = c.offset;
  int shift = form.shift;
  if (form.shift == FittedForm::per_channel_shift) {
    shift = static_cast<std::uint8_t>(c.offset);
    offset = c.offset >> 8;
  }
  if (form.negative_offsets && acc < 0) offset = *negative_offset;
  return (scaled + offset) >> shift;
}

// y + zero_point clamped to [qmin, qmax], with one unsigned comparison on the common path (where
// y is inside the range): to_output_code's result.
constexpr std::int8_t clamped_code(std::int32_t y, std::int32_t zero_point, std::int32_t qmin, std::int32_t qmax) {
  const std::int32_t lowest = qmin - zero_point;
  const std::uint32_t span = static_cast<std::uint32_t>(qmax - qmin);
  std::uint32_t u = static_cast<std::uint32_t>(y) - static_cast<std::uint32_t>(lowest);  // modulo 2^32: no overflow
  if (u > span) u = y < lowest ? 0 : span;
  return static_cast<std::int8_t>(static_cast<std::int32_t>(u) + qmin);
}

namespace detail {

constexpr std::int64_t floor_div(std::int64_t a, std::int64_t d) {  // d > 0
  const std::int64_t q = a / d;
  return (a % d != 0 && a < 0) ? q - 1 : q;
}
constexpr std::int64_t ceil_div(std::int64_t a, std::int64_t d) { return -floor_div(-a, d); }

// What the fit works from: one channel's accumulator range [lo, hi], its codes (kmin, kmax] (kmin
// = qmin - zp, kmax = qmax - zp), and step(k), the least accumulator whose code is k or more,
// clipped to [lo, hi + 1] (closed form, see requantization_steps). Computed when asked rather than
// stored: the compiler reads an element of a large constant array slower than it divides.
struct RequantizationSteps {
  bool ok = false;
  std::int32_t kmin = 0, kmax = 0;
  std::int64_t lo = 0, hi = 0;
  std::int64_t m = 1, r_pos = 0, r_neg = 0, a0 = 0;  // M 2^left, the two sides' offsets, the side boundary
  int right = 0;

  constexpr std::int64_t step(std::int32_t k) const {
    const std::int64_t target = std::int64_t{k} * (std::int64_t{1} << (31 + right)) - (std::int64_t{1} << 30);
    // ceil(n / m) for m > 0, written out: / truncates towards zero, which is the ceiling for n <= 0.
    const std::int64_t n_neg = target - r_neg, n_pos = target - r_pos;
    const std::int64_t t_neg = n_neg > 0 ? (n_neg + m - 1) / m : n_neg / m;
    const std::int64_t t_pos = n_pos > 0 ? (n_pos + m - 1) / m : n_pos / m;
    const std::int64_t t = t_neg < a0 ? t_neg : (t_pos > a0 ? t_pos : a0);
    return t < lo ? lo : (t > hi + 1 ? hi + 1 : t);
  }
};

// TFLite's code, before the zero point: what every fitted channel must reproduce.
constexpr std::int32_t tflite_code(std::int32_t acc, std::int32_t multiplier, int left, int right,
                                   std::int32_t zero_point, std::int32_t qmin, std::int32_t qmax) {
  return requantize_split(acc, multiplier, left, right, zero_point, qmin, qmax) - zero_point;
}

// The steps in closed form. Without saturation, y1 = SRDHM(acc 2^left, M) = floor((acc M' +
// 2^30) / 2^31) with M' = M 2^left, and the rounding shift by s is floor((y1 + 2^(s-1)) / 2^s)
// for y1 >= 0 and floor((y1 + 2^(s-1) - 1) / 2^s) for y1 < 0 (ties away from zero). Nested
// floors of integer divisions fold, so on each side the code is floor((acc M' + 2^30 + R) /
// 2^(31+s)) with R = 2^(s+30) or (2^(s-1) - 1) 2^31 (both 0 for s = 0), and y >= k from
// acc >= ceil((k 2^(31+s) - 2^30 - R) / M'). y1 >= 0 from acc >= a0 = ceil(-2^30 / M').
consteval RequantizationSteps requantization_steps(std::int32_t multiplier, int left, int right,
                                                   std::int32_t zero_point, std::int32_t qmin, std::int32_t qmax,
                                                   AccumulatorRange range, bool checked = true) {
  RequantizationSteps r{};
  r.kmin = qmin - zero_point;
  r.kmax = qmax - zero_point;
  r.lo = range.lo;
  r.hi = range.hi;
  if (multiplier < (1 << 30) || right > 23 || left > 30 || r.kmax <= r.kmin) return r;
  if (left > 0 && (range.hi > (std::numeric_limits<std::int32_t>::max() >> left) ||
                   range.lo < (std::numeric_limits<std::int32_t>::min() >> left)))
    return r;  // the left shift could saturate
  const std::int64_t m = std::int64_t{multiplier} << left;
  const std::int64_t one = std::int64_t{1};
  r.m = m;
  r.right = right;
  r.r_pos = right > 0 ? one << (right + 30) : 0;
  r.r_neg = right > 0 ? ((one << (right - 1)) - 1) << 31 : 0;
  r.a0 = ceil_div(-(one << 30), m);
  // TFLite's code straight from its definition in 64 bits (no saturation can occur here) on both
  // sides of every step: the check of the closed form. Written out, not called: the compiler
  // evaluates it 500 times a channel, and a call costs it more than the arithmetic.
  // (requantize_split itself is compared at the ends and at zero below.)
  if (!checked) {  // the same constants, checked once already
    r.ok = true;
    return r;
  }
  const std::int64_t mask = (one << right) - 1, half = mask >> 1;
  for (std::int32_t k = r.kmin + 1; k <= r.kmax; ++k) {
    const std::int64_t t = r.step(k);
    const std::int64_t y1 = (t * m + (one << 30)) >> 31, y0 = ((t - 1) * m + (one << 30)) >> 31;
    const std::int64_t y = (y1 >> right) + ((y1 & mask) > half + (y1 < 0 ? 1 : 0) ? 1 : 0);
    const std::int64_t y_before = (y0 >> right) + ((y0 & mask) > half + (y0 < 0 ? 1 : 0) ? 1 : 0);
    if ((t <= r.hi && y < k) || (t > r.lo && y_before >= k)) return r;
  }
  for (const std::int64_t acc : {r.lo, r.hi, std::int64_t{0}}) {
    if (acc < r.lo || acc > r.hi) continue;
    const std::int64_t y1 = (acc * m + (one << 30)) >> 31;
    std::int64_t y = (y1 >> right) + ((y1 & mask) > half + (y1 < 0 ? 1 : 0) ? 1 : 0);
    y = y < r.kmin ? r.kmin : (y > r.kmax ? r.kmax : y);
    if (y != tflite_code(static_cast<std::int32_t>(acc), multiplier, left, right, zero_point, qmin, qmax)) return r;
  }
  r.ok = true;
  return r;
}

// The offsets C that make floor((S(x) + C) / 2^shift) step at the same places as TFLite on the
// accumulators [a, z] (S(x) = floor(x m / 2^L)): C >= lower and C < upper. When there is none,
// `grow` says whether a larger m would move towards one: the binding constraints are a lower one
// at x1 and an upper one at x2, and S(x1) - S(x2) grows with m when x1 > x2.
struct OffsetInterval {
  std::int64_t lower = std::numeric_limits<std::int64_t>::min();
  std::int64_t upper = std::numeric_limits<std::int64_t>::max();
  std::int64_t lower_at = 0, upper_at = 0;
  constexpr bool empty() const { return lower >= upper; }
  constexpr std::int64_t pick() const {  // an offset inside (the interval is not empty)
    if (lower != std::numeric_limits<std::int64_t>::min()) return lower;
    return upper != std::numeric_limits<std::int64_t>::max() ? upper - 1 : 0;
  }
  constexpr bool grow() const { return lower_at > upper_at; }
};

// Evaluated for every trial m of the bisection, straight from the steps (building condition lists
// first costs the compiler more than it saves).
consteval OffsetInterval offsets_for(const RequantizationSteps& st, std::int64_t a, std::int64_t z, std::uint32_t m,
                                     int L, int shift) {
  OffsetInterval r{};
  const std::int64_t scale = m;
  for (std::int32_t k = st.kmin + 1; k <= st.kmax; ++k) {
    const std::int64_t t = st.step(k);
    const std::int64_t level = std::int64_t{k} << shift;
    // code(x) >= k needs C >= level - S(x); code(x) < k needs C < level - S(x). (>> floors.)
    if (t <= z) {
      const std::int64_t x = t <= a ? a : t, v = level - ((x * scale) >> L);
      if (v > r.lower) r.lower = v, r.lower_at = x;
    }
    if (t > a) {
      const std::int64_t x = t > z ? z : t - 1, v = level - ((x * scale) >> L);
      if (v < r.upper) r.upper = v, r.upper_at = x;
    }
  }
  return r;
}

struct ChannelFit {
  bool ok = false;
  std::uint32_t scale = 0;
  int shift = 0;
  std::int32_t offset = 0, negative_offset = 0;
};

// The scale m close to the exact slope M' / 2^(31 + right) per accumulator unit at final shift
// `shift`: M' 2^(L + shift - 31 - right), or 0 where that leaves [256, max_scale].
consteval std::uint64_t exact_scale(std::int32_t multiplier, int left, int right, int L, int shift,
                                    std::uint64_t max_scale) {
  const std::int64_t m_exact = std::int64_t{multiplier} << left;
  const int e = L + shift - 31 - right;
  if (e > 2 || e < -62) return 0;
  const std::uint64_t ideal =
      e >= 0 ? static_cast<std::uint64_t>(m_exact) << e : static_cast<std::uint64_t>(m_exact) >> -e;
  return ideal > max_scale || ideal < 256 ? 0 : ideal;
}

// The largest final shift (at most 23) whose exact scale fits; -1 if none.
consteval int largest_shift(std::int32_t multiplier, int left, int right, int L, std::uint64_t max_scale) {
  for (int shift = 23; shift >= 0; --shift)
    if (exact_scale(multiplier, left, right, L, shift, max_scale) != 0) return shift;
  return -1;
}

// At each final shift from `first` down to `last`: a bisection on m guided by
// OffsetInterval::grow (the feasible scales form an interval around the exact slope, narrow: of
// relative width about 1 / 2^16 for 255 steps), on the whole range or, with two offsets, on each
// sign of acc. offset_limit: the largest |C| the encoding holds.
consteval ChannelFit fit_channel(const RequantizationSteps& st, std::int32_t multiplier, int left, int right, int b,
                                 int pieces, std::uint64_t max_scale, bool two_offsets, int first, int last,
                                 std::int64_t offset_limit) {
  ChannelFit fit{};
  const int L = (pieces - 1) * b;
  const bool split = two_offsets && st.lo < 0 && st.hi >= 0;
  for (int shift = first; shift >= last; --shift) {
    const std::uint64_t ideal = exact_scale(multiplier, left, right, L, shift, max_scale);
    if (ideal == 0) continue;
    std::int64_t low = static_cast<std::int64_t>(ideal - (ideal >> 12) - 1),
                 high = static_cast<std::int64_t>(ideal + (ideal >> 12) + 1);
    if (high > static_cast<std::int64_t>(max_scale)) high = static_cast<std::int64_t>(max_scale);
    while (low <= high) {
      const std::int64_t mid = low + (high - low) / 2;
      const std::uint32_t m = static_cast<std::uint32_t>(mid);
      const OffsetInterval pos = offsets_for(st, split ? 0 : st.lo, st.hi, m, L, shift);
      const OffsetInterval neg = split ? offsets_for(st, st.lo, -1, m, L, shift) : OffsetInterval{};
      if (!pos.empty() && !neg.empty()) {
        const std::int64_t c = pos.pick();
        std::int64_t c_neg = neg.pick();
        if (!split || (c >= neg.lower && c < neg.upper)) c_neg = c;  // one offset serves both signs
        // The offset must fit its encoding, and S(x) + C int32 over the whole range.
        const std::int64_t int32_limit = std::int64_t{1} << 31;
        const std::int64_t s_lo = (st.lo * std::int64_t{m}) >> L, s_hi = (st.hi * std::int64_t{m}) >> L;
        const std::int64_t c_min = c < c_neg ? c : c_neg, c_max = c < c_neg ? c_neg : c;
        if (c_min < -offset_limit || c_max >= offset_limit || s_lo + c_min < -int32_limit ||
            s_hi + c_max >= int32_limit)
          break;
        return {true, m, shift, static_cast<std::int32_t>(c), static_cast<std::int32_t>(c_neg)};
      }
      if (pos.empty() && neg.empty() && pos.grow() != neg.grow()) break;  // the two signs pull apart
      if (pos.empty() ? pos.grow() : neg.grow()) {
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
  }
  return fit;
}

}  // namespace detail

// The fitted constants of a layer's Channels channels, or none (form.pieces == 0).
template <std::size_t Channels>
struct LayerFit {
  FittedForm form{};
  std::array<FittedChannel, Channels> channel{};
  std::array<std::int32_t, Channels> negative_offset{};
};

namespace detail {
// Fits every channel of a layer with piece width b, for accumulators up to `largest` in magnitude
// (largest 2^b inside int32); two pieces if every channel fits them, else three.
template <std::size_t Channels>
consteval LayerFit<Channels> fit_layer_at(int b, std::int64_t largest,
                                          const std::array<std::int32_t, Channels>& multiplier,
                                          const std::array<std::uint8_t, Channels>& left,
                                          const std::array<std::uint8_t, Channels>& right, std::int32_t zero_point,
                                          std::int32_t qmin, std::int32_t qmax,
                                          const std::array<AccumulatorRange, Channels>& range, bool two_offsets) {
  LayerFit<Channels> fit{};
  // The top piece: |acc| * top + |carried partial| (at most largest + 1) must stay inside int32.
  const std::uint64_t top = static_cast<std::uint64_t>(((std::int64_t{1} << 31) - largest - 2) / largest);
  // One channel's steps at a time (the compiler pays for every element of a live array). Two
  // pieces if every channel fits them, else three; at each, first one final shift for all the
  // channels (the smallest of their largest: an immediate in the kernels, and a whole word for
  // the offset), else each channel's own.
  for (int pieces = 2; pieces <= 3; ++pieces) {
    const int L = (pieces - 1) * b;
    if (L >= 32) break;
    std::uint64_t max_scale = (top << L) + ((std::uint64_t{1} << L) - 1);
    if (max_scale > 0xffffffffu) max_scale = 0xffffffffu;
    int common = 23;
    for (std::size_t c = 0; c < Channels; ++c) {
      const int s = detail::largest_shift(multiplier[c], left[c], right[c], L, max_scale);
      if (s < common) common = s;
    }
    for (const bool one_shift : {true, false}) {
      if (one_shift && common < 0) continue;
      std::array<detail::ChannelFit, Channels> f{};
      bool all = true;
      for (std::size_t c = 0; c < Channels && all; ++c) {
        const detail::RequantizationSteps st =
            detail::requantization_steps(multiplier[c], left[c], right[c], zero_point, qmin, qmax, range[c]);
        if (!st.ok) return LayerFit<Channels>{};
        f[c] = one_shift ? detail::fit_channel(st, multiplier[c], left[c], right[c], b, pieces, max_scale, two_offsets,
                                               common, common, std::int64_t{1} << 31)
                         : detail::fit_channel(st, multiplier[c], left[c], right[c], b, pieces, max_scale, two_offsets,
                                               23, 0, std::int64_t{1} << 23);
        all = f[c].ok;
      }
      if (!all) continue;
      // The encoding: the pieces as halves where both fit 16 bits.
      bool halves = pieces == 2 && b <= 16, negative = false;
      for (const detail::ChannelFit& g : f) {
        halves = halves && (g.scale >> b) < (1u << 16);
        negative = negative || g.negative_offset != g.offset;
      }
      fit.form = {static_cast<std::uint8_t>(b), static_cast<std::uint8_t>(pieces), negative, halves,
                  one_shift ? static_cast<std::uint8_t>(common) : FittedForm::per_channel_shift};
      for (std::size_t c = 0; c < Channels; ++c) {
        const std::uint32_t m = f[c].scale;
        const unsigned split_at = halves ? b : 16;
        fit.channel[c] = {static_cast<std::uint16_t>(m & ((1u << split_at) - 1)),
                          static_cast<std::uint16_t>(m >> split_at),
                          one_shift ? f[c].offset : f[c].offset * 256 + f[c].shift};
        fit.negative_offset[c] = f[c].negative_offset;
      }
      // Once more through the runtime function itself, on both sides of every 16th step (which
      // are TFLite's) and of the last: the int32 cascade and the encoding against the 64-bit
      // model the search used. (Every step through it would cost the compiler more than the
      // search; the tests run it over whole accumulator ranges.)
      for (std::size_t c = 0; c < Channels; ++c) {
        const detail::RequantizationSteps st =
            detail::requantization_steps(multiplier[c], left[c], right[c], zero_point, qmin, qmax, range[c], false);
        for (std::int32_t k = st.kmin + 1; k <= st.kmax; k = k + 16 <= st.kmax || k == st.kmax ? k + 16 : st.kmax) {
          const std::int64_t t = st.step(k);
          if ((t <= st.hi && fitted_requantize(static_cast<std::int32_t>(t), fit.channel[c], &fit.negative_offset[c],
                                               fit.form) < k) ||
              (t > st.lo && fitted_requantize(static_cast<std::int32_t>(t - 1), fit.channel[c], &fit.negative_offset[c],
                                              fit.form) >= k))
            return LayerFit<Channels>{};
        }
      }
      return fit;
    }
  }
  return LayerFit<Channels>{};
}
}  // namespace detail

// The piece width a layer takes where a wider one would also serve: the M0's routines take b as an
// immediate, one copy of a routine per b, and the widest b of layers of like ranges differs by one
// or two (the keyword-spotting network's four depthwise layers, one routine: 13, 13, 13, 14). A
// narrower b leaves the scales the same range (the top piece bounds m / 2^b) with a bit less below
// the point per step down; the search and its check run as ever, and where they find no halves
// form with one shift there, the widest b fits.
inline constexpr int shared_piece_bits = 13;

// Fits every channel of a layer with one piece width: shared_piece_bits, or the largest b for
// which the largest accumulator times a b-bit piece fits int32 where that is less or where
// shared_piece_bits gives no halves form with one shift (and the widest b then fits as it can).
// two_offsets: the layer may use a second offset for negative accumulators.
template <std::size_t Channels>
consteval LayerFit<Channels> fit_layer(const std::array<std::int32_t, Channels>& multiplier,
                                       const std::array<std::uint8_t, Channels>& left,
                                       const std::array<std::uint8_t, Channels>& right, std::int32_t zero_point,
                                       std::int32_t qmin, std::int32_t qmax,
                                       const std::array<AccumulatorRange, Channels>& range, bool two_offsets) {
  std::int64_t largest = 1;
  for (const AccumulatorRange& r : range) {
    if (-std::int64_t{r.lo} > largest) largest = -std::int64_t{r.lo};
    if (r.hi > largest) largest = r.hi;
  }
  int b = 0;
  while (b < 24 && (largest << (b + 1)) < (std::int64_t{1} << 31)) ++b;
  if (b < 4) return LayerFit<Channels>{};
  if (b > shared_piece_bits) {
    const LayerFit<Channels> shared = detail::fit_layer_at(shared_piece_bits, largest, multiplier, left, right,
                                                           zero_point, qmin, qmax, range, two_offsets);
    if (shared.form.pieces == 2 && shared.form.halves && shared.form.shift != FittedForm::per_channel_shift)
      return shared;
  }
  return detail::fit_layer_at(b, largest, multiplier, left, right, zero_point, qmin, qmax, range, two_offsets);
}

}  // namespace qpipe
