// The CNN's forward pass alone (as network(...) and as qpipe::run<network>), so its object can be checked for float helpers and heap calls.
#include "cnn_network.hpp"

namespace cnn_test {

void forward(const std::int8_t* input, std::int8_t* output) {
  network(std::span<const std::int8_t, Input::size>{input, Input::size}, std::span<std::int8_t, 4>{output, 4});
}

void forward_constant(const std::int8_t* input, std::int8_t* output) {
  qpipe::run<network>(std::span<const std::int8_t, Input::size>{input, Input::size},
                      std::span<std::int8_t, 4>{output, 4});
}

}  // namespace cnn_test
