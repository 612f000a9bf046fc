// The XOR network of the seed: 2 inputs -> 4 ReLU units -> 1 sigmoid output, declared as a type.
// The weights are a hand-solved XOR: with inputs in [0, 1],
//   h0 = relu(x0 + x1), h1 = relu(x0 + x1 - 1), h2 = relu(x0 - x1), h3 = relu(x1 - x0)
//   logit = 4 h0 - 8 h1 + 4 h2 + 4 h3 - 4, which is -4 at (0,0) and (1,1) and +4 at (0,1) and (1,0).
// Everything below is float data or consteval: the compiler derives every integer constant.
#pragma once

#include <array>
#include <cstdint>

#include <qpipe.hpp>

namespace xor_example {

using Net = qpipe::Pipe<qpipe::QDense<4>, qpipe::QRelu, qpipe::QDense<1>, qpipe::QSigmoid>;

// Inputs span [0, 1]; hidden units [0, 2]; the logit [-4, 4].
inline constexpr qpipe::Grid input_grid{1.0 / 255.0, -128};

inline constexpr qpipe::DenseParams<2, 4> hidden{
    .weights = {{1, 1}, {1, 1}, {1, -1}, {-1, 1}},
    .bias = {0, -1, 0, 0},
    .output = {2.0 / 255.0, -128},
};

inline constexpr qpipe::DenseParams<4, 1> logit{
    .weights = {{4, -8, 4, 4}},
    .bias = {-4},
    .output = {8.0 / 255.0, 0},
};

inline constexpr auto spec = qpipe::make_spec<Net, qpipe::Shape<2>>(input_grid, hidden, logit);
inline constexpr auto network = qpipe::compile(spec);

// The four corners on the input grid, quantized by the compiler.
inline constexpr std::array<std::array<std::int8_t, 2>, 4> corners = [] {
  std::array<std::array<std::int8_t, 2>, 4> c{};
  for (int i = 0; i < 4; ++i) c[i] = {qpipe::quantize(i >> 1, input_grid), qpipe::quantize(i & 1, input_grid)};
  return c;
}();

}  // namespace xor_example
