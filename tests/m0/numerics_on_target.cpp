// The numerics on the target: the hand-computed requantization vectors, then checksums of many
// pseudo-random requantizations and of lookup tables. Built for the host and the M0; the two must
// print the same bytes (tests/meson.build compares them) and exit 0.
#include <array>
#include <cstdint>
#include <cstdio>

#include "qpipe/backends/m0/requantizer.hpp"
#include "qpipe/numerics/fixed_point.hpp"
#include "qpipe/numerics/lut.hpp"
#include "qpipe/numerics/quantize_multiplier.hpp"
#include "qpipe/numerics/requantizer.hpp"
#include "../qpipe/numerics/requantize_vectors.hpp"

namespace {

std::uint32_t xorshift(std::uint32_t& s) {
  s ^= s << 13;
  s ^= s >> 17;
  s ^= s << 5;
  return s;
}

std::uint32_t fnv1a(std::uint32_t h, std::uint8_t byte) { return (h ^ byte) * 16777619u; }

constexpr qpipe::Lut sigmoid_table = qpipe::sigmoid_lut(qpipe::Grid{0.05, 7});
constexpr qpipe::Lut tanh_table = qpipe::tanh_lut(qpipe::Grid{0.02, -3});
constexpr qpipe::QuantizedMultiplier third = qpipe::quantize_multiplier(1.0 / 3.0);

// Fitted requantizers (fitted_requantization.hpp) of two layers: four channels of a ReLU layer and
// four of a layer whose codes go both ways (second offsets for negative accumulators), as the
// compiler builds them for a convolution.
constexpr std::array<double, 4> accumulator_scales{1.1e-4, 2.3e-4, 0.7e-4, 3.9e-4};
constexpr std::array<qpipe::AccumulatorRange, 4> ranges{
    qpipe::AccumulatorRange{-400000, 390000}, {-90000, 120000}, {-1500000, 1450000}, {-20000, 35000}};
constexpr auto relu_requantization =
    qpipe::requantization_for(accumulator_scales, qpipe::Grid{0.02, -128}, qpipe::ClampRange{-128, 127});
constexpr auto linear_requantization =
    qpipe::requantization_for(accumulator_scales, qpipe::Grid{0.05, 9}, qpipe::ClampRange{-128, 127});
constexpr auto relu_layer = qpipe::m0::fitted_requantizer(relu_requantization, ranges);
constexpr auto linear_layer = qpipe::m0::fitted_requantizer<true>(linear_requantization, ranges);
static_assert(relu_layer.form.pieces != 0 && linear_layer.form.pieces != 0);
constexpr auto relu_tflite = qpipe::m0::tflite_requantizer_for(relu_requantization);
constexpr auto linear_tflite = qpipe::m0::tflite_requantizer_for(linear_requantization);

}  // namespace

int main() {
  int failures = 0;
  for (const auto& c : qpipe_test::requantize_cases) {
    const int got = qpipe::requantize(c.acc, c.multiplier, c.shift, c.zero_point, c.qmin, c.qmax);
    if (got != c.expected) {
      std::printf("FAIL acc=%ld: got %d, want %ld\n", static_cast<long>(c.acc), got, static_cast<long>(c.expected));
      ++failures;
    }
  }
  std::printf("hand vectors: %d of %d wrong\n", failures, static_cast<int>(qpipe_test::requantize_cases.size()));

  std::uint32_t state = 2463534242u, hash = 2166136261u;
  for (int n = 0; n < 20000; ++n) {
    const auto acc = static_cast<std::int32_t>(xorshift(state)) >> (n % 24);
    const auto multiplier = static_cast<std::int32_t>((xorshift(state) >> 1) | 0x40000000u);
    const int shift = -static_cast<int>(xorshift(state) % 32) + (n % 8 == 0 ? 12 : 0);
    const auto zero_point = static_cast<std::int32_t>(xorshift(state) % 256) - 128;
    hash = fnv1a(hash, static_cast<std::uint8_t>(qpipe::requantize(acc, multiplier, shift, zero_point, -128, 127)));
    // The kernels' form, which the M0 compiles differently (out-of-line paths, no carry tracking),
    // and a layer's requantizer, which on the M0 is the assembly routine of requantize_m0.hpp.
    const auto left = static_cast<std::uint8_t>(shift > 0 ? shift : 0),
               right = static_cast<std::uint8_t>(shift > 0 ? 0 : -shift);
    hash = fnv1a(
        hash, static_cast<std::uint8_t>(qpipe::requantize_split(acc, multiplier, left, right, zero_point, -128, 127)));
    const qpipe::m0::ChannelRequantizer<1> layer{
        {qpipe::SplitMultiplier{multiplier, left, right}}, {zero_point, -100 + n % 7, 90}, {}, {}};
    hash = fnv1a(hash, static_cast<std::uint8_t>(layer(acc, 0)));
  }
  std::printf("requantize checksum: %08lx\n", static_cast<unsigned long>(hash));

  // The fitted form against TFLite's (requantize_split) on random accumulators of each range, the
  // range ends and both sides of zero.
  int fitted_wrong = 0;
  hash = 2166136261u;
  const auto check_fitted = [&](const auto& layer, const auto& tflite) {
    for (std::size_t c = 0; c < 4; ++c) {
      const qpipe::SplitMultiplier m = tflite.channel[c].tflite;
      for (int n = 0; n < 3000; ++n) {
        const std::int64_t width = std::int64_t{ranges[c].hi} - ranges[c].lo + 1;
        std::int32_t acc = static_cast<std::int32_t>(
            ranges[c].lo + static_cast<std::int64_t>(xorshift(state) % static_cast<std::uint32_t>(width)));
        if (n < 4) acc = n == 0 ? ranges[c].lo : n == 1 ? ranges[c].hi : n == 2 ? -1 : 0;
        const std::int8_t got = layer(acc, c);
        fitted_wrong += got != qpipe::requantize_split(acc, m.multiplier, m.left_shift, m.right_shift,
                                                       layer.clamp.zero_point, layer.clamp.qmin, layer.clamp.qmax);
        hash = fnv1a(hash, static_cast<std::uint8_t>(got));
      }
    }
  };
  check_fitted(relu_layer, relu_tflite);
  check_fitted(linear_layer, linear_tflite);
  std::printf("fitted requantization: %d of 24000 differ from TFLite, checksum %08lx\n", fitted_wrong,
              static_cast<unsigned long>(hash));
  failures += fitted_wrong;

  hash = 2166136261u;
  for (auto v : sigmoid_table) hash = fnv1a(hash, static_cast<std::uint8_t>(v));
  for (auto v : tanh_table) hash = fnv1a(hash, static_cast<std::uint8_t>(v));
  std::printf("lut checksum: %08lx\n", static_cast<unsigned long>(hash));
  std::printf("multiplier(1/3) = %ld, shift %ld\n", static_cast<long>(third.multiplier),
              static_cast<long>(third.shift));
  return failures == 0 ? 0 : 1;
}
