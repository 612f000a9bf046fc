// The fitted requantization against TFLite's arithmetic: hand-computed codes, the compile-time
// steps against a bisection on requantize_split, and layers of random constants compared on every
// accumulator of their ranges.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <utility>

#include "qpipe/backends/m0/pointwise_pairs.hpp"
#include "qpipe/backends/m0/requantizer.hpp"

namespace {

using qpipe::AccumulatorRange;
using qpipe::m0::ChannelRequantizer;

// A requantizer of the given TFLite constants for Channels channels, fitted like a layer's.
template <bool TwoSided, std::size_t Channels>
consteval ChannelRequantizer<Channels, TwoSided> fitted(const std::array<std::int32_t, Channels>& multiplier,
                                                        const std::array<int, Channels>& shift,
                                                        qpipe::OutputClamp clamp,
                                                        const std::array<AccumulatorRange, Channels>& range) {
  ChannelRequantizer<Channels, TwoSided> r{{}, clamp, {}, {}};
  for (std::size_t c = 0; c < Channels; ++c)
    r.channel[c].tflite = qpipe::split(qpipe::QuantizedMultiplier{multiplier[c], shift[c]});
  return qpipe::m0::fitted_to(r, range);
}

template <std::size_t Channels, bool TwoSided>
std::int32_t mismatches(const ChannelRequantizer<Channels, TwoSided>& r,
                        const std::array<std::int32_t, Channels>& multiplier, const std::array<int, Channels>& shift,
                        const std::array<AccumulatorRange, Channels>& range) {
  std::int32_t bad = 0;
  for (std::size_t c = 0; c < Channels; ++c) {
    for (std::int64_t acc = range[c].lo; acc <= range[c].hi; ++acc) {
      const auto a = static_cast<std::int32_t>(acc);
      bad += r(a, c) != qpipe::requantize(a, multiplier[c], shift[c], r.clamp.zero_point, r.clamp.qmin, r.clamp.qmax);
    }
  }
  return bad;
}

}  // namespace

TEST_CASE("hand-computed: real multiplier 1/4 (M = 2^30, shift -1), double rounding kept") {
  // y1 = floor(acc / 2 + 1/2), then y1 / 2 rounded half away from zero, by hand for acc = -8..8:
  // 1 -> y1 = 1 -> 1 (0.25 comes out as 1), -1 -> y1 = 0 -> 0, 5 -> 3 -> 2, -5 -> -2 -> -1.
  constexpr std::array<std::int8_t, 17> expected{-2, -2, -2, -1, -1, -1, -1, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2};
  constexpr std::array<AccumulatorRange, 1> range{AccumulatorRange{-8, 8}};
  constexpr auto r = fitted<true, 1>({1 << 30}, {-1}, {0, -128, 127}, range);
  static_assert(r.form.pieces != 0, "the fit exists");
  static_assert(r(1, 0) == 1 && r(-1, 0) == 0 && r(5, 0) == 2 && r(-5, 0) == -1);
  for (int acc = -8; acc <= 8; ++acc) {
    CAPTURE(acc);
    CHECK(r(acc, 0) == expected[static_cast<std::size_t>(acc + 8)]);
    CHECK(qpipe::requantize(acc, 1 << 30, -1, 0, -128, 127) == expected[static_cast<std::size_t>(acc + 8)]);
  }
  // The same with a zero point and a ReLU-style clamp: the codes shift by zp and stop at it.
  constexpr auto relu = fitted<false, 1>({1 << 30}, {-1}, {-5, -5, 127}, range);
  static_assert(relu.form.pieces != 0 && !relu.form.negative_offsets);
  for (int acc = -8; acc <= 8; ++acc)
    CHECK(relu(acc, 0) ==
          (expected[static_cast<std::size_t>(acc + 8)] < 0 ? -5 : expected[static_cast<std::size_t>(acc + 8)] - 5));
}

TEST_CASE("the compile-time steps are TFLite's, found independently by bisection on requantize_split") {
  constexpr std::int32_t multiplier = 1518500250;  // 2^30.5
  constexpr int right = 9;
  constexpr AccumulatorRange range{-300000, 400000};
  constexpr auto steps = qpipe::detail::requantization_steps(multiplier, 0, right, 3, -128, 127, range);
  static_assert(steps.ok);
  for (std::int32_t k = steps.kmin + 1; k <= steps.kmax; ++k) {
    std::int64_t below = range.lo - 1, at = range.hi + 1;  // code(below) < k <= code(at), by bisection
    while (at - below > 1) {
      const std::int64_t mid = below + (at - below) / 2;
      if (qpipe::requantize_split(static_cast<std::int32_t>(mid), multiplier, 0, right, 3, -128, 127) - 3 >= k) {
        at = mid;
      } else {
        below = mid;
      }
    }
    if (at < range.lo) at = range.lo;
    CAPTURE(k);
    CHECK(steps.step(k) == at);
  }
}

namespace {
// Random layers: multipliers over [2^30, 2^31), right shifts 1..20 (and a few left shifts),
// zero points and clamps, accumulator ranges from 2^10 to 2^21 wide around a random centre.
constexpr std::uint32_t next(std::uint32_t& s) {
  s ^= s << 13;
  s ^= s >> 17;
  s ^= s << 5;
  return s;
}
template <std::size_t Channels>
struct RandomLayer {
  std::array<std::int32_t, Channels> multiplier{};
  std::array<int, Channels> shift{};
  std::array<AccumulatorRange, Channels> range{};
  qpipe::OutputClamp clamp{};
};
template <std::size_t Channels>
consteval RandomLayer<Channels> random_layer(std::uint32_t seed, bool relu) {
  RandomLayer<Channels> l{};
  std::uint32_t s = seed;
  const std::int32_t zp = static_cast<std::int32_t>(next(s) % 256) - 128;
  l.clamp = {relu ? -128 : zp, -128, 127};  // ReLU: zero point -128, codes from 0 up
  const int width_bits = 10 + static_cast<int>(next(s) % 12);
  const int base_shift = -1 - static_cast<int>(next(s) % 20);
  for (std::size_t c = 0; c < Channels; ++c) {
    l.multiplier[c] = static_cast<std::int32_t>((next(s) >> 1) | 0x40000000u);
    l.shift[c] = base_shift + static_cast<int>(next(s) % 3) - 1;
    if (l.shift[c] > 0) l.shift[c] = 0;
    if (seed % 7 == 0 && c == 0) l.shift[c] = 2;  // a multiplier above one: a left shift
    const std::int32_t half = 1 << (width_bits - 1);
    const std::int32_t centre = static_cast<std::int32_t>(next(s) % static_cast<std::uint32_t>(half)) - half / 2;
    l.range[c] = {centre - half, centre + half};
  }
  return l;
}
}  // namespace

// Fits one random two-sided layer and one ReLU layer from Seed at compile time, and counts how
// many fitted and how many accumulators differ from TFLite over the whole ranges.
// How many fitted layers took each encoding (fitted_requantization.hpp's FittedForm).
struct Encodings {
  int halves = 0, packed = 0, common_shift = 0, own_shifts = 0, three_pieces = 0, negative_offsets = 0;
  template <class R>
  void count(const R& r) {
    if (r.form.pieces == 0) return;
    (r.form.halves ? halves : packed) += 1;
    (r.form.shift == qpipe::FittedForm::per_channel_shift ? own_shifts : common_shift) += 1;
    three_pieces += r.form.pieces == 3;
    negative_offsets += r.form.negative_offsets;
  }
};

template <std::uint32_t Seed>
void check_random_layers(int& fitted_layers, int& bad, Encodings& encodings) {
  constexpr std::size_t C = 4;
  static constexpr auto two = random_layer<C>(Seed, false);
  static constexpr auto two_fit = fitted<true>(two.multiplier, two.shift, two.clamp, two.range);
  static constexpr auto relu = random_layer<C>(Seed + 1000, true);
  static constexpr auto relu_fit = fitted<false>(relu.multiplier, relu.shift, relu.clamp, relu.range);
  fitted_layers += (two_fit.form.pieces != 0) + (relu_fit.form.pieces != 0);
  encodings.count(two_fit);
  encodings.count(relu_fit);
  bad += mismatches(two_fit, two.multiplier, two.shift, two.range) +
         mismatches(relu_fit, relu.multiplier, relu.shift, relu.range);
}

TEST_CASE("random layers: the fitted form equals TFLite on every accumulator of the range") {
  int fitted_layers = 0, bad = 0;
  Encodings e;
  [&]<std::uint32_t... Seed>(std::integer_sequence<std::uint32_t, Seed...>) {
    (check_random_layers<Seed + 1>(fitted_layers, bad, e), ...);
  }(std::make_integer_sequence<std::uint32_t, 20>{});
  MESSAGE(fitted_layers, " of 40 random layers fitted (the rest run TFLite's form, also checked); scale as halves ",
          e.halves, ", packed ", e.packed, "; one shift ", e.common_shift, ", a shift per channel ", e.own_shifts,
          "; three pieces ", e.three_pieces, "; negative offsets ", e.negative_offsets);
  CHECK(bad == 0);
  CHECK(fitted_layers >= 30);
  CHECK(e.halves > 0);
  CHECK(e.packed > 0);
  CHECK(e.negative_offsets > 0);
}

TEST_CASE("channels too far apart for one final shift keep their own, and stay exact") {
  // Real multipliers 2^-4 and 2^-14 in one layer: at the shift that fits the first channel's
  // scale, the second's would have 10 bits fewer than it needs.
  constexpr std::array<std::int32_t, 2> multiplier{1518500250, 1518500250};
  constexpr std::array<int, 2> shift{-3, -13};
  constexpr std::array<AccumulatorRange, 2> range{AccumulatorRange{-3000, 3000}, AccumulatorRange{-2000000, 2000000}};
  static constexpr auto r = fitted<true>(multiplier, shift, {5, -128, 127}, range);
  static_assert(r.form.pieces != 0);
  MESSAGE("shift ", int(r.form.shift), ", pieces ", int(r.form.pieces), ", halves ", r.form.halves);
  CHECK(r.form.shift == qpipe::FittedForm::per_channel_shift);
  CHECK(mismatches(r, multiplier, shift, range) == 0);
}

TEST_CASE("no fit where the TFLite form must stay: a left shift that can saturate, a shift above 23") {
  constexpr std::array<AccumulatorRange, 1> wide{AccumulatorRange{-(1 << 29), 1 << 29}};
  constexpr auto saturating = fitted<true, 1>({1 << 30}, {3}, {0, -128, 127}, wide);
  static_assert(saturating.form.pieces == 0);
  constexpr std::array<AccumulatorRange, 1> range{AccumulatorRange{-1000, 1000}};
  constexpr auto tiny = fitted<true, 1>({1 << 30}, {-25}, {0, -128, 127}, range);
  static_assert(tiny.form.pieces == 0);
  // Still TFLite's codes (its own path).
  for (std::int32_t acc : {-(1 << 29), -(1 << 26) - 1, -1000, 0, 999, 1 << 26, 1 << 29}) {
    CHECK(saturating(acc, 0) == qpipe::requantize(acc, 1 << 30, 3, 0, -128, 127));
  }
}

// The word of a folded layer and what qpipe::run hands its M0 routine: b, qmin's byte and the
// span as immediates, the shift alone as the value (hand-computed: b 14, shift 21, clamp [-128,
// 127] is 0xff80150e; a ReLU above zero point -20 with b 7, shift 9 is 0x93ec0907).
static_assert(qpipe::m0::folded_halves_word(14, 21, -128, 127) == 0xff80150eu);
static_assert(qpipe::m0::folded_halves_word(7, 9, -20, 127) == 0x93ec0907u);
TEST_CASE("immediates_of: the fields of a folded layer's word, nothing for an unfolded one") {
  constexpr auto full = qpipe::m0::immediates_of(true, 0xff80150eu);
  static_assert(full.known && full.piece_bits == 14 && full.qmin_byte == 0x80 && full.span == 255);
  static_assert(full.handed_word(0xff80150eu) == 21);
  constexpr auto relu = qpipe::m0::immediates_of(true, 0x93ec0907u);
  static_assert(relu.known && relu.piece_bits == 7 && relu.qmin_byte == 0xec && relu.span == 147);
  static_assert(relu.handed_word(0x93ec0907u) == 9);
  constexpr auto unfolded = qpipe::m0::immediates_of(false, 0x93ec0907u);
  static_assert(!unfolded.known && unfolded.handed_word(0x93ec0907u) == 0x93ec0907u);
  CHECK(full.span - relu.span == 108);  // 255 - (127 - (-20))
}

TEST_CASE("a layer whose widest piece width is above shared_piece_bits fits at it, one of at most it keeps its own") {
  static_assert(qpipe::shared_piece_bits == 13);
  // The widest b has largest |acc| * 2^b < 2^31: |acc| <= 30000, 30000 * 2^16 < 2^31 <= 30000 *
  // 2^17, so 16; |acc| <= 500000, 500000 * 2^12 < 2^31 <= 500000 * 2^13, so 12.
  constexpr std::array<std::int32_t, 2> multiplier{1518500250, 1286310906};
  constexpr std::array<int, 2> shift{-8, -9};
  constexpr std::array<AccumulatorRange, 2> narrow{AccumulatorRange{-30000, 30000}, AccumulatorRange{-20000, 29000}};
  constexpr std::array<AccumulatorRange, 2> wide{AccumulatorRange{-500000, 500000}, AccumulatorRange{-400000, 3000}};
  static constexpr auto shared = fitted<true>(multiplier, shift, {-3, -128, 127}, narrow);
  static constexpr auto own = fitted<true>(multiplier, shift, {-3, -128, 127}, wide);
  static_assert(shared.form.pieces == 2 && shared.form.halves);
  CHECK(int(shared.form.piece_bits) == 13);
  CHECK(int(own.form.piece_bits) == 12);
  CHECK(mismatches(shared, multiplier, shift, narrow) == 0);
  CHECK(mismatches(own, multiplier, shift, wide) == 0);
}

namespace {
// A layer's records as the pair kernels keep them, folded (or not: folded false) with their word.
template <class Record, std::size_t Channels>
struct FoldedRecords {
  std::array<Record, Channels> records{};
  std::uint32_t word = 0;
  bool folded = false;
};
// A one-sided layer's: each channel's shift in its offset word (fold_clamp_and_shift_into_offsets;
// three_pieces: the fit of three pieces), read back by folded_shifted_code.
template <std::size_t Channels>
using ShiftedRecords = FoldedRecords<qpipe::m0::BiasedChannel, Channels>;
template <std::size_t Channels>
consteval ShiftedRecords<Channels> shifted_records(const ChannelRequantizer<Channels, false>& r,
                                                   const std::array<AccumulatorRange, Channels>& range,
                                                   bool three_pieces = false) {
  ShiftedRecords<Channels> s{};
  for (std::size_t c = 0; c < Channels; ++c) s.records[c].requantization = r.channel[c];
  s.folded = qpipe::m0::fold_clamp_and_shift_into_offsets(s.records, range, r.form, r.clamp, s.word, three_pieces);
  return s;
}
template <std::size_t Channels>
std::int32_t shifted_mismatches(const ShiftedRecords<Channels>& s, const ChannelRequantizer<Channels, false>& r,
                                const std::array<std::int32_t, Channels>& multiplier,
                                const std::array<int, Channels>& shift,
                                const std::array<AccumulatorRange, Channels>& range) {
  std::int32_t bad = 0;
  for (std::size_t c = 0; c < Channels; ++c) {
    for (std::int64_t acc = range[c].lo; acc <= range[c].hi; ++acc) {
      const auto a = static_cast<std::int32_t>(acc);
      bad += qpipe::m0::folded_shifted_code(a, s.records[c].requantization.fitted, s.word) !=
             qpipe::requantize(a, multiplier[c], shift[c], r.clamp.zero_point, r.clamp.qmin, r.clamp.qmax);
    }
  }
  return bad;
}
}  // namespace

TEST_CASE("one-sided records with each channel's shift in its offset word equal TFLite, a shift per channel or one") {
  // Two channels of the keyword-spotting network's pointwise stage 8 (ReLU): the first allows
  // final shifts up to 19, at which the second (real multiplier 1/3 of the first's, a wider range)
  // fits no scale; each keeps its own.
  constexpr std::array<std::int32_t, 2> multiplier{1204152901, 1542065517};
  constexpr std::array<int, 2> shift{-7, -9};
  constexpr std::array<AccumulatorRange, 2> range{AccumulatorRange{-249158, 346012}, AccumulatorRange{-280446, 501384}};
  static constexpr auto own = fitted<false>(multiplier, shift, {-128, -128, 127}, range);
  static_assert(own.form.pieces == 2 && own.form.halves && own.form.shift == qpipe::FittedForm::per_channel_shift);
  static constexpr auto own_records = shifted_records(own, range);
  static_assert(own_records.folded && (own_records.word >> 8 & 0xffu) == 0);
  // Each word: the folded offset (the clamp's low end is the zero point: C itself) times 256 and
  // the fit's own shift.
  for (std::size_t c = 0; c < 2; ++c) {
    CHECK(own_records.records[c].requantization.fitted.offset == own.channel[c].fitted.offset);
  }
  CHECK(shifted_mismatches(own_records, own, multiplier, shift, range) == 0);
  // One shift for both channels, one of them below every step (its codes all 0): the fit leaves it
  // an offset beyond 24 bits (bounded on one side only), the folding one nearer zero.
  constexpr std::array<std::int32_t, 2> near{1518500250, 1286310906};
  constexpr std::array<int, 2> near_shift{-9, -9};
  constexpr std::array<AccumulatorRange, 2> low{AccumulatorRange{-170865, 121365}, AccumulatorRange{-325715, -50825}};
  static constexpr auto one = fitted<false>(near, near_shift, {-128, -128, 127}, low);
  static_assert(one.form.pieces == 2 && one.form.halves && one.form.shift != qpipe::FittedForm::per_channel_shift);
  static_assert(one.channel[1].fitted.offset >= (1 << 23));
  static constexpr auto one_records = shifted_records(one, low);
  static_assert(one_records.folded);
  CHECK((one_records.records[0].requantization.fitted.offset & 0xff) == one.form.shift);
  CHECK((one_records.records[1].requantization.fitted.offset >> 8) < (1 << 23));
  CHECK(shifted_mismatches(one_records, one, near, near_shift, low) == 0);
}

namespace {
// A two-sided layer's records (QuadChannel: the offset for acc < 0 beside the other), folded for
// three pieces (fold_clamp_into_offsets), read back by folded_two_sided_code.
template <std::size_t Channels>
consteval FoldedRecords<qpipe::m0::QuadChannel, Channels> three_piece_records(
    const ChannelRequantizer<Channels, true>& r, const std::array<AccumulatorRange, Channels>& range) {
  FoldedRecords<qpipe::m0::QuadChannel, Channels> s{};
  for (std::size_t c = 0; c < Channels; ++c) {
    s.records[c].requantization = r.channel[c];
    s.records[c].negative_offset = r.form.negative_offsets ? r.negative_offset[c] : r.channel[c].fitted.offset;
  }
  s.folded = qpipe::m0::fold_clamp_into_offsets(s.records, range, r.form, r.clamp, s.word, true);
  return s;
}
}  // namespace

TEST_CASE("records folded for three pieces equal TFLite on every accumulator, with one offset and with two") {
  // The two widest channels of ResNet-8's first 3 x 3 16 -> 16 layer (ReLU): ranges of about 1.5M
  // accumulators, whose steps ask for more bits of m than two pieces hold.
  constexpr std::array<std::int32_t, 2> relu_multiplier{1723631355, 1616206224};
  constexpr std::array<int, 2> relu_shift{-9, -8};
  constexpr std::array<AccumulatorRange, 2> relu_range{AccumulatorRange{-855953, 718162},
                                                       AccumulatorRange{-835405, 640790}};
  static constexpr auto relu = fitted<false>(relu_multiplier, relu_shift, {-128, -128, 127}, relu_range);
  static_assert(relu.form.pieces == 3 && relu.form.piece_bits <= 15);
  static constexpr auto relu_records = shifted_records(relu, relu_range, true);
  static_assert(relu_records.folded);
  // The halves are not folded from these fits: three pieces are what the word's b cuts m into.
  static_assert(!qpipe::m0::is_halves_form(relu.form));
  std::int32_t bad = 0;
  for (std::size_t c = 0; c < 2; ++c) {
    for (std::int64_t acc = relu_range[c].lo; acc <= relu_range[c].hi; ++acc) {
      const auto a = static_cast<std::int32_t>(acc);
      bad += qpipe::m0::folded_shifted_code(a, relu_records.records[c].requantization.fitted, relu_records.word, 3) !=
             qpipe::requantize(a, relu_multiplier[c], relu_shift[c], -128, -128, 127);
    }
  }
  CHECK(bad == 0);

  // The two widest channels of its 3 x 3 32 -> 32 layer before the residual add (no ReLU, zero
  // point 2): an offset for each sign of the accumulator.
  constexpr std::array<std::int32_t, 2> plain_multiplier{1648987378, 1714698214};
  constexpr std::array<int, 2> plain_shift{-10, -10};
  constexpr std::array<AccumulatorRange, 2> plain_range{AccumulatorRange{-1571424, 1374336},
                                                        AccumulatorRange{-1533345, 1298685}};
  static constexpr auto plain = fitted<true>(plain_multiplier, plain_shift, {2, -128, 127}, plain_range);
  static_assert(plain.form.pieces == 3 && plain.form.negative_offsets &&
                plain.form.shift != qpipe::FittedForm::per_channel_shift);
  static constexpr auto plain_records = three_piece_records(plain, plain_range);
  static_assert(plain_records.folded);
  bad = 0;
  for (std::size_t c = 0; c < 2; ++c) {
    for (std::int64_t acc = plain_range[c].lo; acc <= plain_range[c].hi; ++acc) {
      const auto a = static_cast<std::int32_t>(acc);
      bad += qpipe::m0::folded_two_sided_code(a, plain_records.records[c], plain_records.word, 3) !=
             qpipe::requantize(a, plain_multiplier[c], plain_shift[c], 2, -128, 127);
    }
  }
  CHECK(bad == 0);
}
