// Deterministic synthetic data for the examples, usable in constant expressions: sinusoidal weights
// (no training, no files) and images made of a few plane waves per channel.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include <qpipe/numerics/constexpr_math.hpp>
#include <qpipe/numerics/grid.hpp>
#include <qpipe/shape.hpp>

namespace examples {

// sin(x) for any real x, from the constexpr exp-based math: reduce to [-pi, pi], then a Taylor
// series (15 terms is far below double precision there).
constexpr double sin(double x) {
  constexpr double pi = 3.14159265358979323846;
  const double turns = qpipe::math::floor(x / (2 * pi) + 0.5);
  x -= turns * 2 * pi;
  double term = x, sum = x;
  for (int n = 1; n < 15; ++n) {
    term *= -x * x / ((2 * n) * (2 * n + 1));
    sum += term;
  }
  return sum;
}

// The k-th weight of a layer: a sinusoid in k with a layer-specific frequency and phase, scaled by
// 1/sqrt(fan_in) so that activations keep their size from layer to layer.
constexpr double sinusoid_weight(std::size_t k, double frequency, double phase, std::size_t fan_in) {
  return sin(frequency * double(k) + phase) * 1.5 / qpipe::math::sqrt(double(fan_in));
}

// An H x W x C image in [0, 1]: per channel, a brightness and two plane waves whose direction and
// frequency depend on the sample index (so that samples differ in their channel means too, which
// is what survives global average pooling).
template <std::size_t H, std::size_t W, std::size_t C>
constexpr std::array<double, H * W * C> wave_image(std::size_t sample) {
  std::array<double, H * W * C> img{};
  for (std::size_t y = 0; y < H; ++y)
    for (std::size_t x = 0; x < W; ++x)
      for (std::size_t c = 0; c < C; ++c) {
        const double s = double(sample), ch = double(c);
        const double a = sin(0.37 * (1 + s) * double(x) + 0.21 * (2 + ch) * double(y) + 0.9 * s);
        const double b = sin(0.15 * (3 + ch) * double(x + y) - 0.53 * s * ch);
        const double brightness = 0.5 + 0.25 * sin(1.9 * s + 2.3 * ch);
        const double v = brightness + 0.25 * a + 0.15 * b;
        img[(y * W + x) * C + c] = v < 0 ? 0 : (v > 1 ? 1 : v);
      }
  return img;
}

// Count images of Shape<H, W, C>, sample indices first, first + 1, ...
template <class Shape, std::size_t Count>
constexpr std::array<std::array<double, Shape::size>, Count> wave_images(std::size_t first) {
  std::array<std::array<double, Shape::size>, Count> images{};
  for (std::size_t n = 0; n < Count; ++n)
    images[n] = wave_image<Shape::dims[0], Shape::dims[1], Shape::dims[2]>(first + n);
  return images;
}

// Images on an input grid: what the target is fed (quantized by the compiler, no float there).
template <std::size_t Size, std::size_t Count>
constexpr std::array<std::array<std::int8_t, Size>, Count> quantized(
    const std::array<std::array<double, Size>, Count>& images, qpipe::Grid grid) {
  std::array<std::array<std::int8_t, Size>, Count> q{};
  for (std::size_t n = 0; n < Count; ++n)
    for (std::size_t i = 0; i < Size; ++i) q[n][i] = qpipe::quantize(images[n][i], grid);
  return q;
}

}  // namespace examples
