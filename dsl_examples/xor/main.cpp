// Classifies the four XOR corners with the int8 network. The same source runs on the host and on
// the Cortex-M0; both print the same bytes, integer formatting only.
#include <cstdio>

#include "xor_forward.hpp"
#include "xor_network.hpp"

int main() {
  int correct = 0;
  for (int i = 0; i < 4; ++i) {
    const int a = i >> 1;
    const int b = i & 1;
    const auto& in = xor_example::corners[i];
    const int q = xor_forward(in[0], in[1]);
    const int permille = ((q + 128) * 1000 + 128) / 256;  // (q + 128) / 256, rounded, in 1/1000
    const int predicted = q > 0 ? 1 : 0;                   // probability above one half
    correct += predicted == (a ^ b) ? 1 : 0;
    std::printf("xor(%d,%d): int8 %4d  p=%d.%03d  -> %d\n", a, b, q, permille / 1000, permille % 1000, predicted);
  }
  std::printf("%d/4\n", correct);
  // Adversarial inputs: both extremes, alternating extremes, pseudo-random codes.
  const std::int8_t pairs[][2] = {{-128, -128}, {127, 127}, {-128, 127}, {127, -128}, {-37, 91}, {104, -5}};
  for (const auto& p : pairs) std::printf("xor codes (%4d,%4d): int8 %4d\n", p[0], p[1], xor_forward(p[0], p[1]));
  return correct == 4 ? 0 : 1;
}
