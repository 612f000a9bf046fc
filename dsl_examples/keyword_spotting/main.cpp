// Keyword spotting on a Cortex-M0 from a .tflite file: kws_net.hpp is what python/qpipe_tools/tflite.py
// writes for the DS-CNN (here the MLPerf Tiny replica; any int8 .tflite goes the same way). No
// float at run time: code_of quantizes features given in thousandths onto the model's input grid,
// value_of turns the softmax codes back into thousandths. README.md shows this file from its first
// #include (tests/meson.build checks that the two agree).
#include <array>
#include <cstdint>
#include <cstdio>

#include "kws_net.hpp"

int main() {
  std::array<std::int8_t, kws::Input::size> input{};
  for (std::size_t i = 0; i < input.size(); ++i) {
    const auto millis = static_cast<std::int32_t>((i * 7919) % 60000) - 40000;  // features, thousandths
    input[i] = qpipe::code_of<kws::input_grid, 1000>(millis);                    // quantize
  }
  std::array<std::int8_t, 12> scores{};
  qpipe::run<kws::network>(input, scores);                                       // run
  for (std::size_t k = 0; k < scores.size(); ++k)                                // dequantize
    std::printf("class %zu: %ld / 1000\n", k, static_cast<long>(qpipe::value_of<kws::output_grid, 1000>(scores[k])));
}
