#include "xor_forward.hpp"

#include "xor_network.hpp"

std::int8_t xor_forward(std::int8_t x0, std::int8_t x1) {
  return xor_example::network(std::array<std::int8_t, 2>{x0, x1})[0];
}
