// libFuzzer target: every layer kind on inputs chosen by the fuzzer, against the naive TFLite
// reference of the tests. The first byte picks the layer; the rest fill its int8 input (repeated
// as needed). The layers themselves come from layer_models.cpp (see layer_models.hpp).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "layer_models.hpp"

using namespace fuzz_models;

namespace {

naive::Tensor tensor(const std::vector<std::int8_t>& v, int h, int w, int c) { return naive::Tensor{h, w, c, v}; }

std::vector<std::int8_t> expected(int which, const std::vector<std::int8_t>& x) {
  const naive::QGrid g = to_naive(in_grid);
  switch (which) {
    case 0:
      return naive::conv2d(naive::pad(tensor(x, 7, 7, 3), 1, 1, 1, 1, in_grid.zero_point), g, to_naive(conv_params),
                           true, 2, to_naive(conv_out), std::max(-128, conv_out.zero_point), 127)
          .v;
    case 1:
      return naive::depthwise_conv2d(tensor(x, 6, 6, 4), g, to_naive(dw_params), 1, to_naive(dw_out), -128, 127).v;
    case 2:
      return naive::max_pool(tensor(x, 7, 7, 2), 3, 2).v;
    case 3:
      return naive::avg_pool(tensor(x, 6, 6, 2), 2, 2).v;
    case 4:
      return naive::global_avg_pool(tensor(x, 3, 5, 4));
    case 5:
      return naive::add(x, g, x, g, to_naive(sum_grid), -128, 127);
    default:
      return naive::softmax(x, g);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const int which = data[0] % layer_count;
  std::vector<std::int8_t> x(input_size[which]);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<std::int8_t>(data[1 + i % (size - 1)]);
  std::vector<std::int8_t> got(output_size[which]);
  qpipe_fuzz_run_layer(which, x.data(), got.data());
  if (got != expected(which, x)) std::abort();
  return 0;
}
