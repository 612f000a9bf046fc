// The fixed layers the layer fuzz target exercises: parameters and grids only (constexpr, no
// quantization here), shared by the models (layer_models.cpp) and the libFuzzer driver
// (layers_fuzz.cpp), both compiled by clang++-19 with the sanitizers (tests/tools/fuzz.py).
#pragma once

#include <cstddef>
#include <cstdint>

#include "qpipe/layers/layer_cases.hpp"

namespace fuzz_models {

using namespace qpipe;
using namespace layer_cases;

inline constexpr Grid in_grid{0.03, -7};
inline constexpr Grid conv_out = saturating_output_grid(0.01, 27, 5);
inline constexpr auto conv_params = random_conv<3, 3, 6>(501, conv_out, true);
inline constexpr Grid dw_out = saturating_output_grid(0.01, 9, -20);
inline constexpr auto dw_params = random_depthwise<3, 4>(502, dw_out);
inline constexpr Grid sum_grid{0.05, 12};

// Input and output sizes of each fuzzed layer, in the order of the selector byte.
inline constexpr std::size_t layer_count = 7;
inline constexpr std::size_t input_size[layer_count] = {7 * 7 * 3, 6 * 6 * 4, 7 * 7 * 2, 6 * 6 * 2,
                                                        3 * 5 * 4, 2 * 3 * 4, 10};
inline constexpr std::size_t output_size[layer_count] = {4 * 4 * 6, 4 * 4 * 4, 3 * 3 * 2, 3 * 3 * 2, 4, 2 * 3 * 4, 10};

}  // namespace fuzz_models

// Runs layer `which` of the list above (layer_models.cpp).
extern "C" void qpipe_fuzz_run_layer(int which, const std::int8_t* input, std::int8_t* output);
