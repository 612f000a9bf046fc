// The exported conv net's int8 outputs for its check inputs, integer formatting only: the host
// and the Cortex-M0 must print the same bytes. The inputs are quantized by the compiler.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <type_traits>

#include "torch_convnet.hpp"

namespace {

using Model = std::remove_cvref_t<decltype(torch_convnet::network)>;

constexpr auto quantized = [] {
  std::array<std::array<std::int8_t, Model::input_shape::size>, torch_convnet::check_inputs.size()> q{};
  for (std::size_t n = 0; n < q.size(); ++n)
    for (std::size_t i = 0; i < q[n].size(); ++i)
      q[n][i] = qpipe::quantize(torch_convnet::check_inputs[n][i], torch_convnet::spec.input);
  return q;
}();

}  // namespace

int main() {
  for (std::size_t n = 0; n < quantized.size(); ++n) {
    const auto out = torch_convnet::network(quantized[n]);
    std::printf("convnet input %d:", int(n));
    for (const std::int8_t q : out) std::printf(" %4d", int(q));
    std::printf("\n");
  }
  std::printf("%d MACs\n", int(Model::macs));  // no arena: each backend plans its own
  return 0;
}
