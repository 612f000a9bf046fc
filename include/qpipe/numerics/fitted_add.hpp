// TFLite's int8 ADD fitted by the compiler as one linear form of the two codes. TFLite rescales
// each operand onto a common grid (a 32 x 32 -> 64 bit high multiply and a rounding shift each),
// adds, and requantizes the sum with a third high multiply: on the Cortex-M0 about 80 cycles an
// element. The result is a function of the two int8 codes alone, so where
//
//   code(a, b) - zp = clamp(floor((a ma + b mb + C) / 2^shift))
//
// gives the same code for all 65,536 pairs, the add is two multiplies, two adds and a shift.
//
// Why such a form exists and how it is proven: the sum's requantizer steps at accumulators t_k
// (requantization_steps, checked against TFLite's definition), so code(a, b) >= k exactly when
// A(a) + B(b) >= t_k, with A and B the rescaled operands (integers about 2^19 apart per code
// step, rounded to 1). The linear form's steps lie on lines of slope -ma / mb; it is exact when no
// pair's exact position falls between the two lines at any step. With 20-odd bits in ma and mb
// the room between them is a few units (the rounding of A and B moves a pair by at most one), and
// the fit checks every pair, not a sample: for each a it walks b upwards through the plateaus of
// equal code, and each plateau's two ends bound C from both sides (the form is increasing in b, so
// the ends suffice). No C in the bounds, or a form that could leave int32, and the layer keeps
// TFLite's arithmetic.
#pragma once

#include <array>
#include <cstdint>
#include <limits>

#include "qpipe/numerics/constexpr_math.hpp"
#include "qpipe/numerics/fitted_requantization.hpp"

namespace qpipe {

struct FittedAdd {
  std::int32_t skip_scale;    // ma: the first operand's code times this
  std::int32_t branch_scale;  // mb
  std::int32_t offset;        // C: both zero-point terms and the rounding folded in
  std::int32_t shift;
  bool ok;  // false: no form found ({} gives that)

  // The code before the zero point and the clamp (what clamped_code takes).
  constexpr std::int32_t operator()(std::int8_t a, std::int8_t b) const {
    return (std::int32_t{a} * skip_scale + std::int32_t{b} * branch_scale + offset) >> shift;
  }
};

// The most plateaus (pairs where the code steps along b) the fit walks: at about 230 constexpr
// operations each, one walk of this many costs about 11 million, a third of GCC's default budget
// of 2^25 (a second walk, after a rejection, only where there are half as many). An add whose
// smaller operand spans up to 187 of its output codes (0.73 of its output scale) stays within it:
// both examples' adds do (MobileNetV2's spans about 40, the ResNet block's 167).
inline constexpr double max_add_plateaus = 48000;

namespace detail {

// One pair's bound on C: the plateau of code k starting at (a, b) (C >= k 2^shift - form) or
// ending there (C < (k + 1) 2^shift - form); a and b as indices, code + 128.
struct AddBound {
  int a = 0, b = 0;
  std::int32_t k = 0;
  bool upper = false;

  constexpr std::int64_t value(std::int64_t ma, std::int64_t mb, int shift) const {
    return (std::int64_t{upper ? k + 1 : k} << shift) - std::int64_t{a - 128} * ma - std::int64_t{b - 128} * mb;
  }
};

struct AddBounds {
  std::int64_t lower = std::numeric_limits<std::int64_t>::min();
  std::int64_t upper = std::numeric_limits<std::int64_t>::max();
  AddBound lower_at{}, upper_at{};  // the binding pairs
  constexpr bool empty() const { return lower >= upper; }
};

// The bounds every pair puts on C for the form (ma, mb, shift): code(a, b) = kmin + index, where
// step[index + 1] is the least sum of code kmin + index + 1 (a sentinel above the last). For each
// a, from plateau to plateau along b: where the next code starts is found from the average step of
// the rescaled b (the rescale is linear but for its rounding, so the estimate is off by one at
// most) rather than by walking every b, which costs the compiler ten times as much.
consteval AddBounds add_offsets(const std::array<std::int32_t, 256>& a_rescaled,
                                const std::array<std::int32_t, 256>& b_rescaled,
                                const std::array<std::int64_t, 257>& step, std::int32_t kmin, std::int32_t kmax,
                                std::int64_t ma, std::int64_t mb, int shift) {
  // The loop is written for the compiler's operation count (it meets about 20,000 plateaus): the
  // code levels k 2^shift and the b terms of the form are tabulated, the binding pairs found again
  // only when a bound is new.
  std::array<std::int64_t, 258> level{};  // level[i] = (kmin + i) 2^shift
  for (int i = 0; i <= kmax - kmin + 1; ++i) level[static_cast<std::size_t>(i)] = std::int64_t{kmin + i} << shift;
  std::array<std::int64_t, 256> b_term{};
  for (int b = 0; b < 256; ++b) b_term[static_cast<std::size_t>(b)] = std::int64_t{b - 128} * mb;
  const std::int32_t* const b_of = b_rescaled.data();
  const std::int64_t* const step_of = step.data();
  const std::int64_t* const level_of = level.data();
  const std::int64_t* const b_term_of = b_term.data();
  const std::int64_t b_first = b_of[0], b_last = b_of[255], b_span = b_last - b_first;
  const int top = kmax - kmin;
  AddBounds r{};
  int first_index = 0;  // the code at b = 0, which grows with a
  for (int a = 0; a < 256; ++a) {
    const std::int64_t row = std::int64_t{a - 128} * ma;
    const std::int64_t a_part = a_rescaled[static_cast<std::size_t>(a)];
    while (a_part + b_first >= step_of[first_index + 1]) ++first_index;
    int index = first_index;
    if (index > 0 && level_of[index] - row - b_term_of[0] > r.lower) {  // the first plateau's start
      r.lower = level_of[index] - row - b_term_of[0];                  // (the code kmin clamps: no bound)
      r.lower_at = {a, 0, kmin + index, false};
    }
    std::int64_t target = step_of[index + 1] - a_part;  // the least b part of the next code
    while (target <= b_last) {
      int b = static_cast<int>((target - b_first) * 255 / b_span);
      if (b < 1) b = 1;
      while (b_of[b] < target) ++b;
      while (b_of[b - 1] >= target) --b;
      const std::int64_t end = level_of[index + 1] - row - b_term_of[b - 1];  // the plateau ending at b - 1
      if (end < r.upper) {
        r.upper = end;
        r.upper_at = {a, b - 1, kmin + index, true};
      }
      const std::int64_t sum = a_part + b_of[b];
      while (sum >= step_of[index + 1]) ++index;
      const std::int64_t start = level_of[index] - row - b_term_of[b];  // the new plateau's start
      if (start > r.lower) {
        r.lower = start;
        r.lower_at = {a, b, kmin + index, false};
      }
      target = step_of[index + 1] - a_part;
    }
    if (index < top &&
        level_of[index + 1] - row - b_term_of[255] < r.upper) {  // the last plateau, unless the top code's
      r.upper = level_of[index + 1] - row - b_term_of[255];
      r.upper_at = {a, 255, kmin + index, true};
    }
  }
  return r;
}

// Cutting planes: the bounds that bound so far, and the scales near the exact slopes that leave
// the most room between them.
struct AddCandidates {
  static constexpr int capacity = 48;
  std::array<AddBound, capacity> bound{};
  int count = 0;

  constexpr void add(const AddBound& b) {
    for (int i = 0; i < count; ++i)
      if (bound[i].a == b.a && bound[i].b == b.b && bound[i].k == b.k && bound[i].upper == b.upper) return;
    if (count < capacity) bound[count++] = b;
  }
  constexpr std::int64_t room(std::int64_t ma, std::int64_t mb, int shift) const {
    std::int64_t lower = std::numeric_limits<std::int64_t>::min(), upper = std::numeric_limits<std::int64_t>::max();
    for (int i = 0; i < count; ++i) {
      const std::int64_t v = bound[i].value(ma, mb, shift);
      if (bound[i].upper) {
        if (v < upper) upper = v;
      } else if (v > lower) {
        lower = v;
      }
    }
    return lower == std::numeric_limits<std::int64_t>::min() || upper == std::numeric_limits<std::int64_t>::max()
               ? 0
               : upper - lower;
  }
};

// The finest final shift (24 down to 8) at which the form, spanning about the sums' codes with
// two codes' margin for the offset, stays inside int32; 0 if none does. Only that shift is tried:
// a coarser one leaves the offset less room, not more.
constexpr int finest_add_shift(double per_sum, AccumulatorRange sums) {
  constexpr double int32_low = -2147483648.0, int32_high = 2147483647.0;
  for (int shift = 24; shift >= 8; --shift) {
    const double unit = math::ldexp(1.0, shift);
    if (unit * (per_sum * sums.lo - 2) >= int32_low && unit * (per_sum * sums.hi + 2) <= int32_high) return shift;
  }
  return 0;
}

}  // namespace detail

// a_rescaled[x + 128], b_rescaled[x + 128]: TFLite's rescaled operands for every code x (both
// increasing); the sum's requantizer (multiplier, left, right) and the output's zero point and
// clamp. At the finest final shift whose form stays inside int32: the scales rounded from the
// exact slopes, checked over every pair; if a pair rejects them, the two binding pairs become
// cutting planes and the scales within `reach` of the rounded ones that leave the most room between
// them are checked once more (see max_add_plateaus for what a check costs the compiler). Over 300
// random grid triples the first check passed for 298; the tests keep one it rejects, which stays
// on TFLite's arithmetic.
consteval FittedAdd fit_add(const std::array<std::int32_t, 256>& a_rescaled,
                            const std::array<std::int32_t, 256>& b_rescaled, std::int32_t multiplier, int left,
                            int right, std::int32_t zero_point, std::int32_t qmin, std::int32_t qmax) {
  if (a_rescaled[255] <= a_rescaled[0] || b_rescaled[255] <= b_rescaled[0]) return {};
  // The walk goes along the operand that spans fewer codes: fewer plateaus.
  if (b_rescaled[255] - b_rescaled[0] > a_rescaled[255] - a_rescaled[0]) {
    FittedAdd f = fit_add(b_rescaled, a_rescaled, multiplier, left, right, zero_point, qmin, qmax);
    const std::int32_t s = f.skip_scale;
    f.skip_scale = f.branch_scale;
    f.branch_scale = s;
    return f;
  }
  const AccumulatorRange sums{a_rescaled[0] + b_rescaled[0], a_rescaled[255] + b_rescaled[255]};
  const detail::RequantizationSteps st =
      detail::requantization_steps(multiplier, left, right, zero_point, qmin, qmax, sums);
  if (!st.ok) return {};
  // The exact slope per unit of the sum, and per operand code.
  const double per_sum = double(std::int64_t{multiplier} << left) / math::ldexp(1.0, 31 + right);
  const double per_a = (a_rescaled[255] - a_rescaled[0]) / 255.0 * per_sum;
  const double per_b = (b_rescaled[255] - b_rescaled[0]) / 255.0 * per_sum;
  // The plateaus the walk meets: for each a, about as many as the codes b spans. Beyond the budget
  // (the add's output grid about as fine as its operands') the proof would cost the compiler more
  // than a layer should, and the add keeps TFLite's arithmetic.
  const double codes_along_b = per_b * 255 < st.kmax - st.kmin ? per_b * 255 : st.kmax - st.kmin;
  if (256 * codes_along_b > max_add_plateaus) return {};
  std::array<std::int64_t, 257> step{};
  for (std::int32_t k = st.kmin + 1; k <= st.kmax; ++k) step[static_cast<std::size_t>(k - st.kmin)] = st.step(k);
  step[static_cast<std::size_t>(st.kmax - st.kmin + 1)] = std::int64_t{1}
                                                          << 40;  // above every sum: they stay below 2^32
  const int shift = detail::finest_add_shift(per_sum, sums);
  if (shift == 0) return {};
  const double unit = math::ldexp(1.0, shift);
  const std::int64_t ma0 = static_cast<std::int64_t>(math::round_half_away(per_a * unit));
  const std::int64_t mb0 = static_cast<std::int64_t>(math::round_half_away(per_b * unit));
  std::int64_t ma = ma0, mb = mb0;
  detail::AddCandidates planes{};
  const int rounds = 256 * codes_along_b <= max_add_plateaus / 2 ? 2 : 1;
  constexpr int reach = 12;
  for (int round = 0; round < rounds; ++round) {
    const detail::AddBounds c = detail::add_offsets(a_rescaled, b_rescaled, step, st.kmin, st.kmax, ma, mb, shift);
    if (!c.empty()) {
      const std::int64_t offset = c.lower != std::numeric_limits<std::int64_t>::min() ? c.lower : c.upper - 1;
      const std::int64_t lowest = offset - 128 * (ma + mb), highest = offset + 127 * (ma + mb);
      if (lowest < std::numeric_limits<std::int32_t>::min() || highest > std::numeric_limits<std::int32_t>::max())
        return {};
      return {static_cast<std::int32_t>(ma), static_cast<std::int32_t>(mb), static_cast<std::int32_t>(offset), shift,
              true};
    }
    planes.add(c.lower_at);
    planes.add(c.upper_at);
    std::int64_t best = 0;
    for (std::int64_t da = -reach; da <= reach; ++da)
      for (std::int64_t db = -reach; db <= reach; ++db) {
        const std::int64_t room = planes.room(ma0 + da, mb0 + db, shift);
        if (room > best) best = room, ma = ma0 + da, mb = mb0 + db;
      }
    if (best == 0) return {};  // no scales near the slopes satisfy even these pairs
  }
  return {};
}

}  // namespace qpipe
