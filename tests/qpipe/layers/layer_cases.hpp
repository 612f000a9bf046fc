// Shared by the layer tests: float parameters drawn by a constexpr generator (so the compiler can
// quantize them), their copy in the naive reference's structures, and the input batches every
// layer is run on (extremes, alternating extremes, random codes).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include <qpipe.hpp>

#include "reference/naive_layers.hpp"
#include "reference/random_params.hpp"

namespace layer_cases {

namespace naive = qpipe_test::naive;

inline naive::QGrid to_naive(qpipe::Grid g) { return {g.scale, g.zero_point}; }

// Output grid for a sum of `terms` products of weights uniform in [-1, 1) and inputs spread over
// the input grid's full int8 range: about two standard deviations of the sum fill the int8 range,
// so both ends saturate for a share of outputs.
constexpr qpipe::Grid saturating_output_grid(double input_scale, std::size_t terms, std::int32_t zero_point) {
  const double sum_std = 42.7 * qpipe::math::sqrt(static_cast<double>(terms)) * input_scale;
  return {sum_std / 64.0, zero_point};
}

template <auto K, std::size_t InC, std::size_t OutC>
constexpr qpipe::Conv2DParams<K, InC, OutC> random_conv(std::uint32_t seed, qpipe::Grid out, bool uneven_channels) {
  qpipe_test::Lcg rng{seed};
  qpipe::Conv2DParams<K, InC, OutC> p{};
  for (std::size_t o = 0; o < OutC; ++o) {
    // Per-channel layers are only interesting when channels have different ranges.
    const double range = uneven_channels ? 1.0 / double(1 + o % 5) : 1.0;
    for (auto& row : p.weights[o])
      for (auto& col : row)
        for (auto& w : col) w = rng.uniform(-range, range);
    p.bias[o] = rng.uniform(-2, 2) * out.scale * 10;
  }
  p.output = out;
  return p;
}

template <auto K, std::size_t C, std::size_t M = 1>
constexpr qpipe::DepthwiseConv2DParams<K, C, double, M> random_depthwise(std::uint32_t seed, qpipe::Grid out) {
  qpipe_test::Lcg rng{seed};
  qpipe::DepthwiseConv2DParams<K, C, double, M> p{};
  for (auto& row : p.weights)
    for (auto& col : row)
      for (std::size_t c = 0; c < C * M; ++c) col[c] = rng.uniform(-1, 1) / double(1 + c % 4);
  for (auto& b : p.bias) b = rng.uniform(-2, 2) * out.scale * 10;
  p.output = out;
  return p;
}

// Weights uniform in [-1, 1), biases uniform in [-bias_range, bias_range).
template <std::size_t InC, std::size_t OutC>
constexpr qpipe::PointwiseConv2DParams<InC, OutC> random_pointwise(std::uint32_t seed, qpipe::Grid out,
                                                                   double bias_range) {
  qpipe_test::Lcg rng{seed};
  qpipe::PointwiseConv2DParams<InC, OutC> p{};
  for (auto& row : p.weights)
    for (auto& w : row) w = rng.uniform(-1, 1);
  for (auto& b : p.bias) b = rng.uniform(-bias_range, bias_range);
  p.output = out;
  return p;
}

// Weights uniform in [-1, 1), zero biases.
template <std::size_t Inputs, std::size_t Units>
constexpr qpipe::DenseParams<Inputs, Units> random_dense(std::uint32_t seed, qpipe::Grid out) {
  qpipe_test::Lcg rng{seed};
  qpipe::DenseParams<Inputs, Units> p{};
  for (auto& row : p.weights)
    for (auto& w : row) w = rng.uniform(-1, 1);
  p.output = out;
  return p;
}

template <auto K, std::size_t InC, std::size_t OutC, class W>
naive::ConvWeights to_naive(const qpipe::Conv2DParams<K, InC, OutC, W>& p) {
  using P = qpipe::Conv2DParams<K, InC, OutC, W>;
  naive::ConvWeights cw{int(P::kernel_height), int(P::kernel_width), int(InC), int(OutC), {}, {}, {}, {}};
  for (std::size_t o = 0; o < OutC; ++o)
    for (std::size_t y = 0; y < P::kernel_height; ++y)
      for (std::size_t x = 0; x < P::kernel_width; ++x)
        for (std::size_t i = 0; i < InC; ++i) {
          if constexpr (std::is_same_v<W, std::int8_t>) {
            cw.int8_weights.push_back(p.weights[o][y][x][i]);
          } else {
            cw.w.push_back(p.weights[o][y][x][i]);
          }
        }
  for (std::size_t o = 0; o < OutC; ++o) cw.bias.push_back(p.bias[o]);
  if (p.weight_scale[0] != 0) cw.given_scales.assign(std::begin(p.weight_scale), std::end(p.weight_scale));
  return cw;
}

template <std::size_t InC, std::size_t OutC>
naive::ConvWeights to_naive(const qpipe::PointwiseConv2DParams<InC, OutC>& p) {
  naive::ConvWeights cw{1, 1, int(InC), int(OutC), {}, {}, {}, {}};
  for (std::size_t o = 0; o < OutC; ++o)
    for (std::size_t i = 0; i < InC; ++i) cw.w.push_back(p.weights[o][i]);
  for (std::size_t o = 0; o < OutC; ++o) cw.bias.push_back(p.bias[o]);
  return cw;
}

template <auto K, std::size_t C, class W, std::size_t M>
naive::ConvWeights to_naive(const qpipe::DepthwiseConv2DParams<K, C, W, M>& p) {
  using P = qpipe::DepthwiseConv2DParams<K, C, W, M>;
  naive::ConvWeights cw{int(P::kernel_height), int(P::kernel_width), int(C), int(C * M), {}, {}, {}, {}};
  for (std::size_t y = 0; y < P::kernel_height; ++y)
    for (std::size_t x = 0; x < P::kernel_width; ++x)
      for (std::size_t c = 0; c < C * M; ++c) {
        if constexpr (std::is_same_v<W, std::int8_t>) {
          cw.int8_weights.push_back(p.weights[y][x][c]);
        } else {
          cw.w.push_back(p.weights[y][x][c]);
        }
      }
  for (std::size_t c = 0; c < C * M; ++c) cw.bias.push_back(p.bias[c]);
  if (p.weight_scale[0] != 0) cw.given_scales.assign(std::begin(p.weight_scale), std::end(p.weight_scale));
  return cw;
}
// A random convolution geometry drawn by the compiler from a seed: kernel 1, 3 or 7, stride 1 or
// 2, padding 0 .. K/2, channels 1 .. 9, an input at least as large as the kernel, zero points
// anywhere in int8.
struct ConvGeometry {
  std::size_t h, w, in_c, out_c, k, stride, pad;
  int in_zp, out_zp;
};

constexpr ConvGeometry random_geometry(std::uint32_t seed) {
  // Neighbouring seeds give neighbouring first draws from an LCG: mix the seed first (murmur3's
  // finalizer).
  seed ^= seed >> 16;
  seed *= 0x85ebca6bu;
  seed ^= seed >> 13;
  seed *= 0xc2b2ae35u;
  seed ^= seed >> 16;
  qpipe_test::Lcg rng{seed};
  auto pick = [&](std::size_t lo, std::size_t hi) {  // in [lo, hi]
    return lo + static_cast<std::size_t>(rng.uniform(0, double(hi - lo + 1)));
  };
  constexpr std::size_t kernels[3] = {1, 3, 7};
  ConvGeometry g{};
  g.k = kernels[pick(0, 2)];
  g.stride = pick(1, 2);
  g.pad = pick(0, g.k / 2);
  g.h = pick(g.k > 2 * g.pad ? g.k - 2 * g.pad : 1, 11);
  g.w = pick(g.k > 2 * g.pad ? g.k - 2 * g.pad : 1, 11);
  g.in_c = pick(1, 9);
  g.out_c = pick(1, 9);
  g.in_zp = static_cast<int>(pick(0, 255)) - 128;
  g.out_zp = static_cast<int>(pick(0, 255)) - 128;
  return g;
}

// The inputs every layer sees: all -128, all 127, alternating extremes, then random codes.
template <std::size_t N>
std::vector<std::array<std::int8_t, N>> input_batch(std::uint32_t seed, int random_count = 6) {
  std::vector<std::array<std::int8_t, N>> batch(3);
  for (std::size_t i = 0; i < N; ++i) {
    batch[0][i] = -128;
    batch[1][i] = 127;
    batch[2][i] = static_cast<std::int8_t>(i % 2 ? 127 : -128);
  }
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> code(-128, 127);
  for (int r = 0; r < random_count; ++r) {
    std::array<std::int8_t, N> x{};
    for (auto& v : x) v = static_cast<std::int8_t>(code(rng));
    batch.push_back(x);
  }
  return batch;
}

template <class Shape, std::size_t N>
naive::Tensor to_tensor(const std::array<std::int8_t, N>& x) {
  static_assert(Shape::rank == 3);
  return naive::Tensor{int(Shape::dims[0]), int(Shape::dims[1]), int(Shape::dims[2]),
                       std::vector<std::int8_t>(x.begin(), x.end())};
}

// Counts of outputs at each end of the int8 range, to show a case really saturates.
struct Saturation {
  int low = 0, high = 0;
  template <class Range>
  void count(const Range& out, int qmin = -128) {
    for (auto v : out) {
      low += v == qmin;
      high += v == 127;
    }
  }
};

}  // namespace layer_cases
