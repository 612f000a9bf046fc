// Checks of the naive layer reference (naive_layers.hpp) itself: tiny cases worked out by hand
// (the arithmetic is in the comments), published int8 softmax vectors, and softmax against the
// float function. qpipe is not involved here.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "reference/naive_layers.hpp"

namespace nv = qpipe_test::naive;
using I8 = std::vector<std::int8_t>;

namespace {

// Tensor from a list of values (row-major NHWC).
nv::Tensor make(int h, int w, int c, std::initializer_list<int> values) {
  I8 v;
  for (int x : values) v.push_back(static_cast<std::int8_t>(x));
  return nv::Tensor{h, w, c, v};
}

I8 bytes(std::initializer_list<int> values) {
  I8 v;
  for (int x : values) v.push_back(static_cast<std::int8_t>(x));
  return v;
}

std::vector<int> ints(const I8& v) { return std::vector<int>(v.begin(), v.end()); }

}  // namespace

TEST_CASE("quantize_multiplier: hand-computed") {
  // 0.5 = 0.5 * 2^0: q = 0.5 * 2^31 = 2^30, shift 0.
  CHECK(nv::quantize_multiplier(0.5).multiplier == 1073741824);
  CHECK(nv::quantize_multiplier(0.5).shift == 0);
  // 0.25 = 0.5 * 2^-1.
  CHECK(nv::quantize_multiplier(0.25).multiplier == 1073741824);
  CHECK(nv::quantize_multiplier(0.25).shift == -1);
  // 1/3 = (2/3) * 2^-1: q = round(2^32 / 3) = round(1431655765.33) = 1431655765.
  CHECK(nv::quantize_multiplier(1.0 / 3.0).multiplier == 1431655765);
  CHECK(nv::quantize_multiplier(1.0 / 3.0).shift == -1);
  // 0.75 = 0.75 * 2^0: q = 3 * 2^29 = 1610612736.
  CHECK(nv::quantize_multiplier(0.75).multiplier == 1610612736);
  CHECK(nv::quantize_multiplier(0.75).shift == 0);
  // 1.0 = 0.5 * 2^1.
  CHECK(nv::quantize_multiplier(1.0).multiplier == 1073741824);
  CHECK(nv::quantize_multiplier(1.0).shift == 1);
  // 1 - 2^-33: fraction rounds to 2^31 exactly (2^31 - 1/4 -> 2^31), renormalised to 2^30 with shift + 1.
  CHECK(nv::quantize_multiplier(1.0 - std::ldexp(1.0, -33)).multiplier == 1073741824);
  CHECK(nv::quantize_multiplier(1.0 - std::ldexp(1.0, -33)).shift == 1);
  // 2^-40 = 0.5 * 2^-39: shift -39 < -31 -> flushed to {0, 0}; so is 0.
  CHECK(nv::quantize_multiplier(std::ldexp(1.0, -40)).multiplier == 0);
  CHECK(nv::quantize_multiplier(std::ldexp(1.0, -40)).shift == 0);
  CHECK(nv::quantize_multiplier(0.0).multiplier == 0);
  // 2^-32 = 0.5 * 2^-31 is still representable.
  CHECK(nv::quantize_multiplier(std::ldexp(1.0, -32)).multiplier == 1073741824);
  CHECK(nv::quantize_multiplier(std::ldexp(1.0, -32)).shift == -31);
}

TEST_CASE("quantize_weight / quantize_bias: half away from zero, weight clamp") {
  CHECK(nv::quantize_weight(0.5, 1.0) == 1);
  CHECK(nv::quantize_weight(-0.5, 1.0) == -1);
  CHECK(nv::quantize_weight(2.5, 1.0) == 3);
  CHECK(nv::quantize_weight(0.49, 1.0) == 0);
  CHECK(nv::quantize_weight(3.0, 0.25) == 12);
  CHECK(nv::quantize_weight(200.0, 1.0) == 127);
  CHECK(nv::quantize_weight(-200.0, 1.0) == -127);  // symmetric: never -128
  CHECK(nv::quantize_bias(-2.5, 1.0) == -3);
  CHECK(nv::quantize_bias(1000000.5, 1.0) == 1000001);
  CHECK(nv::quantize_bias(0.25, 1.0 / 128) == 32);
}

TEST_CASE("pad: fill value around a 2x2 input") {
  // [1 2; 3 4], top 1, bottom 0, left 0, right 2, fill -5:
  //  -5 -5 -5 -5
  //   1  2 -5 -5
  //   3  4 -5 -5
  const nv::Tensor out = nv::pad(make(2, 2, 1, {1, 2, 3, 4}), 1, 0, 0, 2, -5);
  CHECK(out.h == 3);
  CHECK(out.w == 4);
  CHECK(out.c == 1);
  CHECK(ints(out.v) == std::vector<int>{-5, -5, -5, -5, 1, 2, -5, -5, 3, 4, -5, -5});
  // Two channels, all four sides.
  const nv::Tensor o2 = nv::pad(make(1, 1, 2, {7, -7}), 1, 1, 1, 1, 0);
  CHECK(o2.h == 3);
  CHECK(o2.w == 3);
  CHECK(o2.at(1, 1, 0) == 7);
  CHECK(o2.at(1, 1, 1) == -7);
  CHECK(o2.at(0, 0, 0) == 0);
  CHECK(o2.at(2, 2, 1) == 0);
}

TEST_CASE("conv2d: 3x3x1 input, 2x2 kernel, stride 1 and 2") {
  // Input codes 1..9, grid scale 0.5 zero point 1: d = q - zp = 3y + x.
  const nv::Tensor in = make(3, 3, 1, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  // Weights (OHWI, one output channel) [w00 w01; w10 w11] = [1, 0.5; -0.25, 0.125], given scale 1/64:
  // int8 [64, 32; -16, 8]. Bias 0.25 at scale 0.5/64 = 1/128: 32.
  nv::ConvWeights w{2, 2, 1, 1, {1.0, 0.5, -0.25, 0.125}, {0.25}, {1.0 / 64}, {}};
  // acc = 32 + 64 d + 32 (d + 1) - 16 (d + 3) + 8 (d + 4) = 48 + 88 d:
  //   d = 0, 1, 3, 4 -> 48, 136, 312, 400.
  // Output scale 0.25 zp -3: multiplier 0.5 / 64 / 0.25 = 1/32 = {2^30, -4}:
  //   high multiply halves exactly (24, 68, 156, 200), then / 16 half away from zero:
  //   1.5 -> 2, 4.25 -> 4, 9.75 -> 10, 12.5 -> 13; + zp: -1, 1, 7, 10.
  const nv::QGrid gi{0.5, 1}, go{0.25, -3};
  const nv::Tensor s1 = nv::conv2d(in, gi, w, false, 1, go, -128, 127);
  CHECK(s1.h == 2);
  CHECK(s1.w == 2);
  CHECK(ints(s1.v) == std::vector<int>{-1, 1, 7, 10});
  // Stride 2: only the window at (0, 0) fits.
  const nv::Tensor s2 = nv::conv2d(in, gi, w, false, 2, go, -128, 127);
  CHECK(s2.h == 1);
  CHECK(s2.w == 1);
  CHECK(ints(s2.v) == std::vector<int>{-1});
  // Activation clamp [-128, 8]: 10 -> 8.
  CHECK(ints(nv::conv2d(in, gi, w, false, 1, go, -128, 8).v) == std::vector<int>{-1, 1, 7, 8});
  // Same int8 weights given directly.
  nv::ConvWeights wi{2, 2, 1, 1, {}, {0.25}, {1.0 / 64}, {64, 32, -16, 8}};
  CHECK(ints(nv::conv2d(in, gi, wi, true, 1, go, -128, 127).v) == std::vector<int>{-1, 1, 7, 10});
  // Stride 2 on a 5x5 input: windows at 0 and 2 in each direction.
  // Input codes q = 1 + 5y + x (zp 1 -> d = 5y + x); int8 kernel [1 1; 1 1], same scales and bias:
  //   acc = 32 + d + (d + 1) + (d + 5) + (d + 6) = 44 + 4 d; window corners d = 0, 2, 10, 12 -> 44, 52, 84, 92;
  //   high multiply 22, 26, 42, 46; / 16 half away: 1.375 -> 1, 1.625 -> 2, 2.625 -> 3, 2.875 -> 3; + zp -3: -2, -1, 0, 0.
  std::vector<int> codes;
  for (int k = 0; k < 25; ++k) codes.push_back(1 + k);
  nv::Tensor in5 = nv::make_tensor(5, 5, 1);
  for (int k = 0; k < 25; ++k)
    in5.v[static_cast<std::size_t>(k)] = static_cast<std::int8_t>(codes[static_cast<std::size_t>(k)]);
  nv::ConvWeights ones{2, 2, 1, 1, {}, {0.25}, {1.0 / 64}, {1, 1, 1, 1}};
  const nv::Tensor s5 = nv::conv2d(in5, gi, ones, false, 2, go, -128, 127);
  CHECK(s5.h == 2);
  CHECK(s5.w == 2);
  CHECK(ints(s5.v) == std::vector<int>{-2, -1, 0, 0});
}

TEST_CASE("conv2d: 1x1 kernel, per-channel scales, an all-zero channel") {
  // Input 1x2 pixels, 2 channels, grid scale 1 zp 0: p0 = (10, -4), p1 = (0, 6).
  const nv::Tensor in = make(1, 2, 2, {10, -4, 0, 6});
  // Three output channels (OHWI with kh = kw = 1): o0 = [127, -254], o1 = [0, 0], o2 = [-63.5, 31.75].
  // Per-channel scales: o0 254/127 = 2, o2 63.5/127 = 0.5, o1 all zero -> the largest, 2.
  // int8: o0 [63.5 -> 64, -127], o1 [0, 0], o2 [-127, 63.5 -> 64].
  // Bias: o0 3 / 2 = 1.5 -> 2; o1 -1 / 2 = -0.5 -> -1; o2 0.25 / 0.5 = 0.5 -> 1.
  nv::ConvWeights w{1, 1, 2, 3, {127, -254, 0, 0, -63.5, 31.75}, {3.0, -1.0, 0.25}, {}, {}};
  const auto scales = nv::weight_scales(w, true);
  CHECK(scales == std::vector<double>{2.0, 2.0, 0.5});
  // acc o0: p0 2 + 640 + 508 = 1150, p1 2 - 762 = -760; o1: -1, -1; o2: p0 1 - 1270 - 256 = -1525, p1 1 + 384 = 385.
  // Output scale 32 zp 0. o0, o1: multiplier 2/32 = 1/16 = {2^30, -3}; o2: 0.5/32 = 1/64 = {2^30, -5}.
  //   o0 p0: 1150 -> 575 -> 575/8 = 71.875 -> 72;   o0 p1: -760 -> -380 -> -47.5 -> -48 (away from zero)
  //   o1: -1 -> high multiply -0.5 rounds toward +inf -> 0 -> 0
  //   o2 p0: -1525 -> -762.5 -> -762 (tie toward +inf) -> -762/32 = -23.8 -> -24;  o2 p1: 385 -> 192.5 -> 193 -> 6.03 -> 6
  const nv::Tensor out = nv::conv2d(in, {1.0, 0}, w, true, 1, {32.0, 0}, -128, 127);
  CHECK(ints(out.v) == std::vector<int>{72, 0, -24, -48, 0, 6});
  // Per tensor: one scale max|w| / 127 = 2 for all. o2 int8 [-31.75 -> -32, 15.875 -> 16], bias 0.125 -> 0:
  // acc p0 -320 - 64 = -384 -> -192 -> /8 = -24; p1 96 -> 48 -> 6. o0 and o1 unchanged.
  CHECK(nv::weight_scales(w, false) == std::vector<double>{2.0, 2.0, 2.0});
  const nv::Tensor pt = nv::conv2d(in, {1.0, 0}, w, false, 1, {32.0, 0}, -128, 127);
  CHECK(ints(pt.v) == std::vector<int>{72, 0, -24, -48, 0, 6});
}

TEST_CASE("depthwise_conv2d: 3x3x2 input, 2x2 kernel, stride 1 and 2") {
  // ch0 = [1 2 3; 4 5 6; 7 8 9], ch1 = [-1 2 0; 3 -2 1; 0 4 -3], grid scale 1 zp 0 (interleaved below).
  const nv::Tensor in = make(3, 3, 2, {1, -1, 2, 2, 3, 0, 4, 3, 5, -2, 6, 1, 7, 0, 8, 4, 9, -3});
  // Kernel [y][x][c]: ch0 [1 1; 1 1], ch1 [1 -1; 0 2]; scales 0.5 and 0.25; bias 1.0 -> 1/0.5 = 2, -0.5 -> -0.5/0.25 = -2.
  nv::ConvWeights w{2, 2, 2, 2, {}, {1.0, -0.5}, {0.5, 0.25}, {1, 1, 1, -1, 1, 0, 1, 2}};
  // ch0 acc = 2 + window sum: 12, 16, 24, 28 -> 14, 18, 26, 30; multiplier 0.5 = {2^30, 0}: 7, 9, 13, 15.
  // ch1 acc = -2 + a - b + 2 d for window [a b; c d]: -7, 4, 13, -9 -> -9, 2, 11, -11;
  //   multiplier 0.25 = {2^30, -1}: high multiply halves (ties toward +inf): -4.5 -> -4, 1, 5.5 -> 6, -5.5 -> -5,
  //   then / 2 half away from zero: -2, 0.5 -> 1, 3, -2.5 -> -3.
  // Output zp 5: (0,0) [12, 3], (0,1) [14, 6], (1,0) [18, 8], (1,1) [20, 2].
  const nv::Tensor s1 = nv::depthwise_conv2d(in, {1.0, 0}, w, 1, {1.0, 5}, -128, 127);
  CHECK(ints(s1.v) == std::vector<int>{12, 3, 14, 6, 18, 8, 20, 2});
  const nv::Tensor s2 = nv::depthwise_conv2d(in, {1.0, 0}, w, 2, {1.0, 5}, -128, 127);
  CHECK(s2.h == 1);
  CHECK(ints(s2.v) == std::vector<int>{12, 3});
  // Derived per-channel scales from float weights [y][x][c]: ch0 max 1.27 -> 0.01, ch1 all zero -> 0.01.
  nv::ConvWeights wf{2, 2, 2, 2, {1.27, 0, -0.5, 0, 0.1, 0, 0, 0}, {}, {}, {}};
  const auto sc = nv::weight_scales(wf, true, true);
  CHECK(sc[0] == doctest::Approx(0.01));
  CHECK(sc[1] == sc[0]);
}

TEST_CASE("windows: SAME padding, dilation and a depth multiplier") {
  // Integer weights at scale 1, no bias, input and output scale 1: the multiplier is exactly 1, so
  // each output code is its accumulator (plus the output zero point).
  const nv::QGrid unit{1.0, 0};
  nv::ConvWeights ones3{3, 3, 1, 1, {}, {}, {1.0}, {1, 1, 1, 1, 1, 1, 1, 1, 1}};
  // SAME, stride 1, 3 x 3 input codes 1..9 with zero point 1: d = [0 1 2; 3 4 5; 6 7 8]. The border
  // is one cell all round and adds nothing (not -zp): each output sums the d of its neighbours.
  //   corners 0+1+3+4 = 8, 1+2+4+5 = 12, 3+4+6+7 = 20, 4+5+7+8 = 24; edges 15, 21, 27, 33; centre 36.
  const nv::Tensor in = make(3, 3, 1, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  const nv::Tensor same1 = nv::conv2d(in, {1.0, 1}, ones3, false, nv::Window{3, 3, 1, 1, 1, 1, true}, unit, -128, 127);
  CHECK(same1.h == 3);
  CHECK(same1.w == 3);
  CHECK(ints(same1.v) == std::vector<int>{8, 15, 12, 21, 36, 27, 20, 33, 24});
  // SAME, stride 2, on a 4 x 4 input q = 4y + x: ceil(4 / 2) = 2 outputs; the padding needed is
  // (2 - 1) 2 + 3 - 4 = 1 cell, all of it after (before = 1 / 2 = 0). Windows rows/cols {0,1,2}, {2,3}:
  //   (0,0) 3 (0+4+8) + 3 (0+1+2) = 45; (0,1) 2 (0+4+8) + 3 (2+3) = 39; (1,0) 3 (8+12) + 2 (0+1+2) = 66;
  //   (1,1) 2 (8+12) + 2 (2+3) = 50.
  nv::Tensor in4 = nv::make_tensor(4, 4, 1);
  for (int k = 0; k < 16; ++k) in4.v[static_cast<std::size_t>(k)] = static_cast<std::int8_t>(k);
  const nv::Tensor same2 = nv::conv2d(in4, unit, ones3, false, nv::Window{3, 3, 2, 2, 1, 1, true}, unit, -128, 127);
  CHECK(same2.h == 2);
  CHECK(ints(same2.v) == std::vector<int>{45, 39, 66, 50});
  // Dilation 2, VALID: a 2 x 2 kernel [1 2; 3 4] spans 3 x 3 and reads the corners 1, 3, 7, 9 of the
  // 3 x 3 input: 1 + 6 + 21 + 36 = 64.
  nv::ConvWeights corner{2, 2, 1, 1, {}, {}, {1.0}, {1, 2, 3, 4}};
  const nv::Tensor dilated = nv::conv2d(in, unit, corner, false, nv::Window{2, 2, 1, 1, 2, 2, false}, unit, -128, 127);
  CHECK(dilated.h == 1);
  CHECK(ints(dilated.v) == std::vector<int>{64});
  // Depthwise, multiplier 2: input 1 x 2 pixels (1, 3) and (2, 4); kernel 1 x 2, weights [x][c 2 + m]:
  // x0 [1 2 3 4], x1 [5 6 7 8]. Output channels 0, 1 read input channel 0, channels 2, 3 channel 1:
  //   1 + 10 = 11, 2 + 12 = 14, 9 + 28 = 37, 12 + 32 = 44; output zero point -4.
  nv::ConvWeights multiplied{1, 2, 2, 4, {}, {}, {1.0}, {1, 2, 3, 4, 5, 6, 7, 8}};
  const nv::Tensor dw =
      nv::depthwise_conv2d(make(1, 2, 2, {1, 3, 2, 4}), unit, multiplied, nv::Window{1, 2}, {1.0, -4}, -128, 127);
  CHECK(dw.c == 4);
  CHECK(ints(dw.v) == std::vector<int>{7, 10, 33, 40});
}

TEST_CASE("pools: SAME windows count only the cells inside the input") {
  // 2 x 2, stride 2, SAME on 3 x 3 codes 1..9: 2 outputs a side, the padding (1 cell) after.
  // Windows {1 2 4 5}, {3 6}, {7 8}, {9}: max 5, 6, 8, 9; mean 3, 4.5 -> 5, 7.5 -> 8, 9.
  const nv::Tensor in = make(3, 3, 1, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  const nv::Window same2{2, 2, 2, 2, 1, 1, true};
  CHECK(ints(nv::max_pool(in, same2).v) == std::vector<int>{5, 6, 8, 9});
  CHECK(ints(nv::avg_pool(in, same2).v) == std::vector<int>{3, 5, 8, 9});
  // Negated: ties away from zero (-4.5 -> -5), and the max of {-7, -8} is -7.
  const nv::Tensor neg = make(3, 3, 1, {-1, -2, -3, -4, -5, -6, -7, -8, -9});
  CHECK(ints(nv::avg_pool(neg, same2).v) == std::vector<int>{-3, -5, -8, -9});
  CHECK(ints(nv::max_pool(neg, same2).v) == std::vector<int>{-1, -3, -7, -9});
  // A 1 x 3 window with stride (1, 2), VALID, on 2 x 5 codes 1..10: means of {1 2 3}, {3 4 5},
  // {6 7 8}, {8 9 10}.
  const nv::Tensor row = make(2, 5, 1, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  CHECK(ints(nv::avg_pool(row, nv::Window{1, 3, 1, 2}).v) == std::vector<int>{2, 4, 7, 9});
}

TEST_CASE("mul, concat, requantize, leaky relu, hard swish: hand-computed") {
  // MUL: a on {0.5, 1}, b on {0.25, -2}, out {0.125, 3}: multiplier 0.5 * 0.25 / 0.125 = 1 exactly.
  // (4 - 1)(6 + 2) = 24 -> 27; (-1 - 1)(-2 + 2) = 0 -> 3; (127 - 1)(127 + 2) = 16254 -> 127 (clamp).
  CHECK(ints(nv::mul(bytes({4, -1, 127}), {0.5, 1}, bytes({6, -2, 127}), {0.25, -2}, {0.125, 3}, -128, 127)) ==
        std::vector<int>{27, 3, 127});
  // Concatenation: per pixel, a's channels then b's.
  const nv::Tensor cat = nv::concat_channels(make(1, 2, 1, {1, 2}), make(1, 2, 2, {10, 11, 20, 21}));
  CHECK(cat.c == 3);
  CHECK(ints(cat.v) == std::vector<int>{1, 10, 11, 2, 20, 21});
  // QUANTIZE {0.5, 3} -> {0.25, -1}: multiplier 2: (5 - 3) 2 - 1 = 3; (-128 - 3) 2 - 1 = -263 -> -128.
  CHECK(nv::requantize_code(5, {0.5, 3}, {0.25, -1}) == 3);
  CHECK(nv::requantize_code(-128, {0.5, 3}, {0.25, -1}) == -128);
  // LEAKY_RELU {0.5, 0} -> {0.25, 0}, alpha 0.25: identity multiplier 2, slope 0.5.
  //   10 -> 20; -10 -> -5; -11 -> -5.5, which the doubling high multiply rounds toward +infinity: -5.
  CHECK(nv::leaky_relu_code(10, {0.5, 0}, {0.25, 0}, 0.25) == 20);
  CHECK(nv::leaky_relu_code(-10, {0.5, 0}, {0.25, 0}, 0.25) == -5);
  CHECK(nv::leaky_relu_code(-11, {0.5, 0}, {0.25, 0}, 0.25) == -5);
  // HARD_SWISH with both scales 3/64 (float32 exact), zero points 0: the relu-ish multiplier is
  // (3/64/128) / (3/32768) = 4 (Q15 16384, exponent 3), the output multiplier 1/128 (16384, -6).
  //   q = -64 (x = -3): 16-bit x -8192, shifted left 2 -> -32768, high multiply -> -16384, doubled
  //     -> -32768, onto [0, 1] -> 0: the product is 0, code 0.
  //   q = 64 (x = 3): 8192 -> 32767 (saturated) -> 16384 -> 32767; (32767 + 32768) >> 1 = 32767;
  //     on the output scale 8192 * 16384 rounds to 4096; 32767 * 4096 / 2^15 truncates to 4095;
  //     4095 / 2^6 rounds to 64: 3 / (3/64) = 64.
  //   q = 0: 0.
  CHECK(nv::hard_swish_code(-64, {0.046875, 0}, {0.046875, 0}) == 0);
  CHECK(nv::hard_swish_code(64, {0.046875, 0}, {0.046875, 0}) == 64);
  CHECK(nv::hard_swish_code(0, {0.046875, 0}, {0.046875, 0}) == 0);
  CHECK(nv::hard_swish_code(-128, {0.046875, 0}, {0.046875, 0}) == 0);  // x = -6: below -3, the gate is 0
}

TEST_CASE("dense: 3 inputs, 2 units") {
  // Input [10, -20, 30], grid scale 0.5 zp 10: d = [0, -30, 20].
  // Weights u0 [1.984375, 0.5, -0.25], u1 [0.015625, -1, 0.75]: max 127/64 -> scale 1/64;
  // int8 u0 [127, 32, -16], u1 [1, -64, 48]. Bias [1, -0.5] at scale 0.5/64 = 1/128: [128, -64].
  // acc u0 = 128 - 960 - 320 = -1152; u1 = -64 + 1920 + 960 = 2816.
  // Output scale 0.5 zp -10: multiplier 1/128 / 0.5 = 1/64 = {2^30, -5}: -1152/64 = -18, 2816/64 = 44; + zp: -28, 34.
  const I8 out = nv::dense(bytes({10, -20, 30}), {0.5, 10}, {1.984375, 0.5, -0.25, 0.015625, -1.0, 0.75}, {1.0, -0.5},
                           2, {0.5, -10}, -128, 127);
  CHECK(ints(out) == std::vector<int>{-28, 34});
  // ReLU-style clamp [zp, 127]: -28 -> -10.
  CHECK(ints(nv::dense(bytes({10, -20, 30}), {0.5, 10}, {1.984375, 0.5, -0.25, 0.015625, -1.0, 0.75}, {1.0, -0.5}, 2,
                       {0.5, -10}, -10, 127)) == std::vector<int>{-10, 34});
  // No bias: acc u0 = -1280 -> -20 -> -30; u1 = 2880 -> 45 -> 35.
  CHECK(ints(nv::dense(bytes({10, -20, 30}), {0.5, 10}, {1.984375, 0.5, -0.25, 0.015625, -1.0, 0.75}, {}, 2, {0.5, -10},
                       -128, 127)) == std::vector<int>{-30, 35});
}

TEST_CASE("max_pool") {
  // [1 -5 3; 7 2 -8; 0 4 6], k 2: stride 1 -> [7 3; 7 6]; stride 2 -> [7].
  const nv::Tensor in = make(3, 3, 1, {1, -5, 3, 7, 2, -8, 0, 4, 6});
  CHECK(ints(nv::max_pool(in, 2, 1).v) == std::vector<int>{7, 3, 7, 6});
  CHECK(ints(nv::max_pool(in, 2, 2).v) == std::vector<int>{7});
  // All -128 stays -128; channels independent.
  CHECK(ints(nv::max_pool(make(2, 2, 2, {-128, 5, -128, -9, -128, 0, -128, -1}), 2, 2).v) == std::vector<int>{-128, 5});
}

TEST_CASE("mean: TFLite Micro's two integer forms, by hand") {
  // One grid: the code sum over H * W in C division. [1 2; 3 5] = 11 / 4 -> 2 (not 3); the
  // negatives -> -2 (towards zero).
  const nv::QGrid g{0.5, 0};
  CHECK(ints(nv::mean(make(2, 2, 1, {1, 2, 3, 5}), g, g)) == std::vector<int>{2});
  CHECK(ints(nv::mean(make(2, 2, 1, {-1, -2, -3, -5}), g, g)) == std::vector<int>{-2});
  // Scale 0.5 -> 0.25, zero point 3: real multiplier 2 is Q31 2^30 with shift 2; n = 4 folds
  // s = 2 in: multiplier 2^30 * 4 / 4, shift 0. 11 -> 2 * 11 * 2^30 / 2^32 =
  // 5.5 -> 6 (ties upwards), + 3 = 9. -11 -> -5.5 -> -5, + 3 = -2.
  CHECK(ints(nv::mean(make(2, 2, 1, {1, 2, 3, 5}), g, {0.25, 3})) == std::vector<int>{9});
  CHECK(ints(nv::mean(make(2, 2, 1, {-1, -2, -3, -5}), g, {0.25, 3})) == std::vector<int>{-2});
  // n = 3: s = 1, multiplier 2^31 / 3 = 715827882, shift 1. Sum 4: 8 * 715827882 / 2^31 = 2.67 -> 3.
  CHECK(ints(nv::mean(make(1, 3, 1, {1, 1, 2}), g, {0.25, 0})) == std::vector<int>{3});
  // The input zero point comes off the sum: codes 10 on zero point 10 are 0; 3 x 12 -> 6 ->
  // 12 * 715827882 / 2^31 = 3.99999 -> 4.
  CHECK(ints(nv::mean(make(1, 3, 2, {10, 12, 10, 12, 10, 12}), {0.5, 10}, {0.25, 0})) == std::vector<int>{0, 4});
}

TEST_CASE("avg_pool: rounding half away from zero") {
  // 2x2 sums / 4: [1 2; 3 4] = 10/4 = 2.5 -> 3; [-1 -2; -3 -4] = -2.5 -> -3; [1 1; 1 2] = 1.25 -> 1; [-1 -2; 0 -3] = -1.5 -> -2.
  CHECK(ints(nv::avg_pool(make(2, 2, 1, {1, 2, 3, 4}), 2, 2).v) == std::vector<int>{3});
  CHECK(ints(nv::avg_pool(make(2, 2, 1, {-1, -2, -3, -4}), 2, 2).v) == std::vector<int>{-3});
  CHECK(ints(nv::avg_pool(make(2, 2, 1, {1, 1, 1, 2}), 2, 2).v) == std::vector<int>{1});
  CHECK(ints(nv::avg_pool(make(2, 2, 1, {-1, -2, 0, -3}), 2, 2).v) == std::vector<int>{-2});
  // [1 2 3; 4 5 6; 7 8 10], k 2 stride 1: 12/4 = 3, 16/4 = 4, 24/4 = 6, 29/4 = 7.25 -> 7.
  CHECK(ints(nv::avg_pool(make(3, 3, 1, {1, 2, 3, 4, 5, 6, 7, 8, 10}), 2, 1).v) == std::vector<int>{3, 4, 6, 7});
  // k 3 (count 9): 13/9 = 1.44 -> 1; 14/9 = 1.56 -> 2; -14/9 -> -2.
  CHECK(ints(nv::avg_pool(make(3, 3, 1, {1, 1, 1, 1, 1, 1, 1, 1, 5}), 3, 1).v) == std::vector<int>{1});
  CHECK(ints(nv::avg_pool(make(3, 3, 1, {1, 1, 1, 1, 1, 1, 1, 1, 6}), 3, 1).v) == std::vector<int>{2});
  CHECK(ints(nv::avg_pool(make(3, 3, 1, {-1, -1, -1, -1, -1, -1, -1, -1, -6}), 3, 1).v) == std::vector<int>{-2});
  // Extremes stay in range: four 127 -> 127, four -128 -> -128.
  CHECK(ints(nv::avg_pool(make(2, 2, 1, {127, 127, 127, 127}), 2, 2).v) == std::vector<int>{127});
  CHECK(ints(nv::avg_pool(make(2, 2, 1, {-128, -128, -128, -128}), 2, 2).v) == std::vector<int>{-128});
}

TEST_CASE("global_avg_pool") {
  // 2x2x2: ch0 [1 2 3 4] -> 2.5 -> 3; ch1 [-1 -2 -3 -4] -> -2.5 -> -3.
  CHECK(ints(nv::global_avg_pool(make(2, 2, 2, {1, -1, 2, -2, 3, -3, 4, -4}))) == std::vector<int>{3, -3});
  // 3x1x1 [5 5 6] -> 16/3 = 5.33 -> 5; [5 6 6] -> 17/3 = 5.67 -> 6.
  CHECK(ints(nv::global_avg_pool(make(3, 1, 1, {5, 5, 6}))) == std::vector<int>{5});
  CHECK(ints(nv::global_avg_pool(make(3, 1, 1, {5, 6, 6}))) == std::vector<int>{6});
}

TEST_CASE("add: two different scales") {
  // a scale 0.5 zp 0, b scale 0.25 zp -4, out scale 1 zp 0.
  // twice_max = 1: multiplier a = 0.5 = {2^30, 0}, b = 0.25 = {2^30, -1}, out = 1 / 2^20 = {2^30, -19}.
  const nv::AddParams p = nv::add_params({0.5, 0}, {0.25, -4}, {1.0, 0});
  CHECK(p.left_shift == 20);
  CHECK(p.a.multiplier == 1073741824);
  CHECK(p.a.shift == 0);
  CHECK(p.b.multiplier == 1073741824);
  CHECK(p.b.shift == -1);
  CHECK(p.out.multiplier == 1073741824);
  CHECK(p.out.shift == -19);
  // e0: a 10 -> 5, b 4 -> (4+4)/4 = 2: 7 (in units of 2^20: 5*2^20 + 2*2^20, then out: * 2^30/2^31 / 2^19).
  // e1: a -20 -> -10, b 8 -> 3: -7.
  // e2: a 127 -> 63.5, b -128 -> -31: 32.5 -> 33 (exact tie, away from zero).
  // e3: a -127 -> -63.5, b 120 -> 31: -32.5 -> -33.
  // e4: a 0, b -4 -> 0: 0.
  const I8 a = bytes({10, -20, 127, -127, 0});
  const I8 b = bytes({4, 8, -128, 120, -4});
  CHECK(ints(nv::add(a, {0.5, 0}, b, {0.25, -4}, {1.0, 0}, -128, 127)) == std::vector<int>{7, -7, 33, -33, 0});
  // Output zp 100, clamp at 127: 107, 93, 133 -> 127, 67, 100.
  CHECK(ints(nv::add(a, {0.5, 0}, b, {0.25, -4}, {1.0, 100}, -128, 127)) == std::vector<int>{107, 93, 127, 67, 100});
  // Swapping the operands gives the same result.
  CHECK(ints(nv::add(b, {0.25, -4}, a, {0.5, 0}, {1.0, 0}, -128, 127)) == std::vector<int>{7, -7, 33, -33, 0});
}

TEST_CASE("add: within one unit of the float sum for arbitrary scales") {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> code(-128, 127);
  std::uniform_real_distribution<double> scale(0.01, 0.2);
  for (int trial = 0; trial < 200; ++trial) {
    const nv::QGrid ga{scale(rng), code(rng) / 4}, gb{scale(rng), code(rng) / 4}, go{scale(rng) * 2, code(rng) / 4};
    I8 a(64), b(64);
    for (auto& v : a) v = static_cast<std::int8_t>(code(rng));
    for (auto& v : b) v = static_cast<std::int8_t>(code(rng));
    const I8 r = nv::add(a, ga, b, gb, go, -128, 127);
    for (std::size_t k = 0; k < a.size(); ++k) {
      const double real = ga.scale * (a[k] - ga.zero_point) + gb.scale * (b[k] - gb.zero_point);
      const double want = std::clamp(std::round(real / go.scale) + go.zero_point, -128.0, 127.0);
      CHECK(std::fabs(r[k] - want) <= 1.0);
    }
  }
}

TEST_CASE("softmax: fixed-point constants are gemmlowp's") {
  namespace fx = nv::fx;
  // round(v * 2^31) for Q0.31 constants, round(v * 2^29) for Q2.29 ones; gemmlowp's literals.
  CHECK(fx::constant_raw(std::exp(-0.125), 0) == 1895147668);  // exp(-1/8)
  CHECK(fx::constant_raw(1.0 / 3.0, 0) == 715827883);  // 1/3
  CHECK(fx::constant_raw(48.0 / 17.0, 2) == 1515870810);  // 48/17
  CHECK(fx::constant_raw(-32.0 / 17.0, 2) == -1010580540);  // -32/17
  CHECK(fx::exp_of_minus_pot(-2) == 1672461947);  // exp(-1/4)
  CHECK(fx::exp_of_minus_pot(-1) == 1302514674);  // exp(-1/2)
  CHECK(fx::exp_of_minus_pot(0) == 790015084);  // exp(-1)
  CHECK(fx::exp_of_minus_pot(1) == 290630308);  // exp(-2)
  CHECK(fx::exp_of_minus_pot(2) == 39332535);  // exp(-4)
  CHECK(fx::exp_of_minus_pot(3) == 720401);  // exp(-8)
  CHECK(fx::exp_of_minus_pot(4) == 242);  // exp(-16)
}

TEST_CASE("softmax: fixed-point primitives against their real values") {
  namespace fx = nv::fx;
  // exp on Q5.26 inputs: exp(0) is the largest raw. Elsewhere the degree-4 polynomial on [-1/4, 0)
  // is off by up to about (1/8)^5 / 120 ~ 2.5e-7 relative, i.e. a few hundred units of 2^-31.
  CHECK(fx::exp_on_negative({0, 5}).raw == 2147483647);
  for (double a : {-0.001, -0.25, -0.3, -1.0, -2.5, -7.75, -15.9, -31.0}) {
    const double raw_in = std::round(a * 67108864.0);  // Q5.26
    const fx::Fx e = fx::exp_on_negative({static_cast<std::int32_t>(raw_in), 5});
    CAPTURE(a);
    CHECK(std::fabs(e.raw / 2147483648.0 - std::exp(raw_in / 67108864.0)) < 1e-6);
  }
  // 1 / (1 + a) for a in [0, 1).
  for (double a : {0.0, 0.1, 0.5, 0.75, 0.999}) {
    const fx::Fx r = fx::one_over_one_plus({static_cast<std::int32_t>(std::llround(a * 2147483648.0)), 0});
    CAPTURE(a);
    CHECK(std::fabs(r.raw / 2147483648.0 - 1.0 / (1.0 + a)) < 1e-8);
  }
}

TEST_CASE("softmax: parameters from the input scale (PreprocessSoftmaxScaling, CalculateInputRadius)") {
  // Scale float(1/255) (as a .tflite file stores it): scale * 2^26 = 263172.03 = 0.50196 * 2^19 ->
  // multiplier 1077952640, left shift 19; radius floor(31 * 2^26 / 2^19) = 3968.
  const nv::SoftmaxParams a = nv::softmax_params(static_cast<double>(1.0f / 255.0f));
  CHECK(a.input_multiplier == 1077952640);
  CHECK(a.input_left_shift == 19);
  CHECK(a.diff_min == -3968);
  // Scale 16/255 in double: 2^30 / 255 = 2^38/255 * 2^-31 * 2^23 -> round(2^38 / 255) = 1077952576, shift 23; radius 248.
  const nv::SoftmaxParams b = nv::softmax_params(16.0 / 255.0);
  CHECK(b.input_multiplier == 1077952576);
  CHECK(b.input_left_shift == 23);
  CHECK(b.diff_min == -248);
  // Scale 1/16: 2^22 = 0.5 * 2^23 -> {2^30, 23}, radius 248.
  const nv::SoftmaxParams c = nv::softmax_params(1.0 / 16);
  CHECK(c.input_multiplier == 1073741824);
  CHECK(c.input_left_shift == 23);
  CHECK(c.diff_min == -248);
}

TEST_CASE("softmax: all-equal rows") {
  // Every exp is exp(0) = 2^31 - 1 (Q0.31), rescaled to Q12.19: (2^31 - 1) / 2^12 rounds to 2^19.
  // n = 4: sum 2^21 has 10 leading zeros -> bits_over_unit 2, mantissa exactly 1.0 (f = 0). Newton-
  // Raphson gives 1/d = 2 for d = 1/2, i.e. 2^30 in Q2.29, and the final doubling into Q0.31
  // saturates: reciprocal 2^31 - 1. prob = (2^31 - 1)^2 / 2^31 -> 2^31 - 2; divided by
  // 2^(2 + 23): 63.99999994 -> 64 -> 64 - 128 = -64, the ideal 256/4 - 128. So the saturations
  // cost nothing here; the fixed-point result is the exact one.
  for (double s : {0.01, 0.1, 1.0}) {
    CHECK(ints(nv::softmax(I8(4, 17), {s, 0})) == std::vector<int>{-64, -64, -64, -64});
    CHECK(ints(nv::softmax(I8(4, -128), {s, 3})) == std::vector<int>{-64, -64, -64, -64});
  }
  // n = 1: 256 - 128 = 128 clamps to 127. n = 2: 128 -> 0. n = 3: sum 3 * 2^19, mantissa 1.5,
  // 1/1.5 = 0.6667, times 2^31 / 2^24 = 85.33 -> 85 -> -43. n = 8: 32 -> -96. n = 256: 1 -> -127.
  CHECK(ints(nv::softmax(I8(1, 5), {0.1, 0})) == std::vector<int>{127});
  CHECK(ints(nv::softmax(I8(2, 5), {0.1, 0})) == std::vector<int>(2, 0));
  CHECK(ints(nv::softmax(I8(3, 5), {0.1, 0})) == std::vector<int>(3, -43));
  CHECK(ints(nv::softmax(I8(8, 5), {0.1, 0})) == std::vector<int>(8, -96));
  CHECK(ints(nv::softmax(I8(256, 5), {0.1, 0})) == std::vector<int>(256, -127));
  // n = 5: 51.2 -> 51 -> -77; n = 7: 36.57 -> 37 -> -91.
  CHECK(ints(nv::softmax(I8(5, 5), {0.1, 0})) == std::vector<int>(5, -77));
  CHECK(ints(nv::softmax(I8(7, 5), {0.1, 0})) == std::vector<int>(7, -91));
}

TEST_CASE("softmax: a dominant element and the diff_min cut") {
  // Scale 1: real multiplier 2^26 = 0.5 * 2^27 -> {2^30, shift 27}; radius 31 * 2^26 / 2^27 = 15.5,
  // diff_min -15. Row [0, -100]: -100 is below diff_min, so that element is -128 without any
  // arithmetic, and the sum holds only exp(0): the large element is 1.0 -> 256 - 128 -> 127 (clamped).
  const nv::SoftmaxParams p = nv::softmax_params(1.0);
  CHECK(p.input_left_shift == 27);
  CHECK(p.diff_min == -15);
  CHECK(ints(nv::softmax(bytes({0, -100}), {1.0, 0})) == std::vector<int>{127, -128});
  // Difference -15 is still inside: exp(-15) * 256 ~ 0.00008 -> 0 -> -128 as well.
  CHECK(ints(nv::softmax(bytes({0, -15}), {1.0, 0})) == std::vector<int>{127, -128});
}

// Published vectors: CMSIS-NN unit-test data for arm_softmax_s8, whose reference outputs come from
// TFLite and which arm_softmax_s8 (written to be bit-exact with TFLite Micro's reference softmax)
// must reproduce exactly. Both appear in zephyrproject-rtos/zephyr tests/lib/cmsis_nn/src/main.c
// (test_softmax; the older file revision has the 1-row vector, the newer one the 2-row vector),
// copied from CMSIS-NN Tests/UnitTest/TestCases/TestData/softmax/test_data.h.
TEST_CASE("softmax: CMSIS-NN arm_softmax_s8 test vectors (bit-exact)") {
  SUBCASE("2 rows of 5, mult 1077952640, left shift 19, diff_min -3968") {
    const nv::SoftmaxParams p{1077952640, 19, -3968};
    const I8 in = bytes({101, 49, 6, -34, -75, -79, -38, 120, -55, 115});
    const std::vector<int> want{-57, -70, -79, -86, -92, -94, -88, -54, -91, -56};
    std::vector<int> got;
    for (int r = 0; r < 2; ++r) {
      const I8 row(in.begin() + 5 * r, in.begin() + 5 * r + 5);
      for (int v : ints(nv::softmax_with_params(row, p))) got.push_back(v);
    }
    CHECK(got == want);
    // The same through the input scale: float32(1/255) gives exactly these parameters.
    std::vector<int> via_scale;
    for (int r = 0; r < 2; ++r) {
      const I8 row(in.begin() + 5 * r, in.begin() + 5 * r + 5);
      for (int v : ints(nv::softmax(row, {static_cast<double>(1.0f / 255.0f), -128}))) via_scale.push_back(v);
    }
    CHECK(via_scale == want);
  }
  SUBCASE("1 row of 5, mult 1077952576, left shift 23, diff_min -248") {
    const nv::SoftmaxParams p{1077952576, 23, -248};
    CHECK(ints(nv::softmax_with_params(bytes({-80, -48, 16, 0, -96}), p)) ==
          std::vector<int>{-128, -125, 56, -60, -128});
    CHECK(ints(nv::softmax(bytes({-80, -48, 16, 0, -96}), {16.0 / 255.0, 0})) ==
          std::vector<int>{-128, -125, 56, -60, -128});
  }
}

TEST_CASE("softmax: within one unit of round(256 * float softmax) - 128 on random rows") {
  std::mt19937 rng(2024);
  std::uniform_int_distribution<int> code(-128, 127);
  std::uniform_int_distribution<int> length(1, 40);
  int exact = 0, total = 0;
  for (double s : {0.004, 0.02, 0.0625, 0.1, 0.25, 0.5, 1.0, 3.0}) {
    for (int trial = 0; trial < 300; ++trial) {
      I8 row(static_cast<std::size_t>(length(rng)));
      // Half the rows spread over the full range, half over a narrow band (many comparable terms).
      const int lo = trial % 2 ? -128 : code(rng) / 2, hi = trial % 2 ? 127 : lo + 10;
      std::uniform_int_distribution<int> pick(lo, hi);
      for (auto& v : row) v = static_cast<std::int8_t>(pick(rng));
      const I8 got = nv::softmax(row, {s, 7});
      int mx = -128;
      for (auto v : row) mx = std::max(mx, static_cast<int>(v));
      double denom = 0;
      for (auto v : row) denom += std::exp(s * (v - mx));
      for (std::size_t k = 0; k < row.size(); ++k) {
        const double want = std::clamp(std::round(256.0 * std::exp(s * (row[k] - mx)) / denom) - 128.0, -128.0, 127.0);
        CAPTURE(s);
        CAPTURE(k);
        CHECK(std::fabs(got[k] - want) <= 1.0);
        exact += got[k] == want;
        ++total;
      }
    }
  }
  MESSAGE("softmax equal to rounded float in " << exact << " of " << total);
  CHECK(exact > total * 9 / 10);
}

// TFLite Micro's softmax_test.cc (tensorflow/tflite-micro, tensorflow/lite/micro/kernels/softmax_test.cc):
// float inputs quantized with scale 0.1f zero point 0, float goldens quantized to the 1/256, -128
// output grid; the kernel must land within 1 unit (TFLM's own tolerance for int8). Not bit-exact
// vectors, but published data for the int8 path.
TEST_CASE("softmax: TFLite Micro softmax_test goldens, within 1") {
  const float in_scale = 0.1f;
  const std::vector<float> input_1d{1.0f, 2.0f, 3.0f, 4.0f, 5.0f};
  const std::vector<float> golden_1d{0.011656231f, 0.031684921f, 0.086128544f, 0.234121657f, 0.636408647f};
  // 3-d data: 12 rows of 5 (shape 3 x 4 x 5).
  const std::vector<float> input_3d{3, 6, -5,  4,  -9, -10, -10, -8, 2,  2,  8,  -5, -8, 5,  -6, -8,  6,  1, -10, -8,
                                    7, 6, -10, -4, -5, 2,   7,   9,  -9, 7,  -4, -2, 8,  2,  2,  3,   6,  6, 2,   4,
                                    9, 7, -7,  0,  4,  -3,  8,   8,  -3, -4, -9, -9, 4,  -8, -1, -10, -2, 6, -7,  0};
  const std::vector<float> golden_3d{
      0.042009463f, 0.843782625f, 0.000014093f, 0.114193561f, 0.000000258f, 0.000003072f, 0.000003072f, 0.000022699f,
      0.499985578f, 0.499985578f, 0.952571219f, 0.000002153f, 0.000000107f, 0.047425728f, 0.000000792f, 0.000000826f,
      0.993305397f, 0.006692839f, 0.000000112f, 0.000000826f, 0.731046347f, 0.268936922f, 0.000000030f, 0.000012210f,
      0.000004492f, 0.000717124f, 0.106430599f, 0.786421666f, 0.000000012f, 0.106430599f, 0.000006114f, 0.000045174f,
      0.995015917f, 0.002466398f, 0.002466398f, 0.022595176f, 0.453836234f, 0.453836234f, 0.008312301f, 0.061420055f,
      0.875505904f, 0.118486839f, 0.000000099f, 0.000108046f, 0.005899112f, 0.000008351f, 0.499990113f, 0.499990113f,
      0.000008351f, 0.000003072f, 0.000002245f, 0.000002245f, 0.993296627f, 0.000006103f, 0.006692780f, 0.000000112f,
      0.000334520f, 0.997191323f, 0.000002254f, 0.002471790f};
  auto run = [&](const std::vector<float>& input, const std::vector<float>& golden) {
    for (std::size_t r = 0; r + 5 <= input.size(); r += 5) {
      I8 row;
      for (std::size_t k = r; k < r + 5; ++k)
        row.push_back(static_cast<std::int8_t>(std::clamp(std::round(input[k] / in_scale), -128.0f, 127.0f)));
      const I8 got = nv::softmax(row, {static_cast<double>(in_scale), 0});
      for (std::size_t k = 0; k < 5; ++k) {
        const float want = std::clamp(std::round(golden[r + k] / (1.0f / 256.0f)) - 128.0f, -128.0f, 127.0f);
        CAPTURE(r + k);
        CHECK(std::fabs(got[k] - want) <= 1.0f);
      }
    }
  };
  run(input_1d, golden_1d);
  run(input_3d, golden_3d);
}
