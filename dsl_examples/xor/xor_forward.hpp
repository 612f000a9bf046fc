// The XOR network's entry point. Its definition sits in its own object file so that the code the
// network needs can be inspected alone (no float helper, no heap).
#pragma once

#include <cstdint>

// Output on the sigmoid grid: probability = (q + 128) / 256.
std::int8_t xor_forward(std::int8_t x0, std::int8_t x1);
