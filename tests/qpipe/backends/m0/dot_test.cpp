// The lane pairs of backends/m0/dot.hpp: one 32-bit product of a packed input pair and a packed weight
// pair gives x0 w0 + x1 w1. Checked against the two products for every input x0 and weight w1
// (the low lane, whose sign the borrow follows) with a spread of x1 and w0 that includes the
// extremes, and at compile time for hand-picked cases.
#include <doctest/doctest.h>

#include <cstdint>

#include "qpipe/backends/m0/dot.hpp"

using qpipe::m0::lane_input;
using qpipe::m0::lane_mac;
using qpipe::m0::lane_weight;

// -128 * 127 + -128 * 127: the most negative sum; 127 * -127 twice with a negative low lane.
static_assert(lane_mac(0, lane_input(-128, -128), lane_weight(127, 127)) == -32512);
static_assert(lane_mac(0, lane_input(127, 127), lane_weight(-127, -127)) == -32258);
static_assert(lane_mac(0, lane_input(-128, -128), lane_weight(-127, -127)) == 32512);
static_assert(lane_mac(0, lane_input(-1, 0), lane_weight(0, 1)) == 0);      // a low lane of -1 alone
static_assert(lane_mac(5, lane_input(3, -2), lane_weight(7, 11)) == 5 + 21 - 22);
static_assert(lane_mac(0, lane_input(1, 0), lane_weight(-127, 0)) == -127);  // an odd input count's last lane

TEST_CASE("a lane pair's product is x0 w0 + x1 w1 for every low lane") {
  const int others[] = {-128, -127, -64, -1, 0, 1, 63, 126, 127};
  long wrong = 0, cases = 0;
  for (int x0 = -128; x0 <= 127; ++x0)
    for (int w1 = -127; w1 <= 127; ++w1)
      for (int x1 : others)
        for (int w0 : others) {
          if (w0 == -128) continue;  // weights are symmetric: [-127, 127]
          const std::int32_t acc = (x0 * 131 + w1) % 1000;
          wrong += lane_mac(acc, lane_input(x0, x1), lane_weight(w0, w1)) != acc + x0 * w0 + x1 * w1;
          ++cases;
        }
  CHECK(cases == 256L * 255 * 9 * 8);
  CHECK(wrong == 0);
}

TEST_CASE("lane_dot sums its pairs") {
  const std::int32_t x[3] = {lane_input(-128, 127), lane_input(5, -6), lane_input(100, 0)};
  const std::int32_t w[3] = {lane_weight(-127, 127), lane_weight(-3, 9), lane_weight(-1, 0)};
  CHECK(qpipe::m0::lane_dot<3>(-7, w, x) == -7 + 128 * 127 + 127 * 127 - 15 - 54 - 100);
}
