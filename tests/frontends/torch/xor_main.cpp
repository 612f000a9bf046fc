// The XOR MLP trained in torch (train_xor.py) and exported by python/qpipe_tools/torch.py, classifying
// the four corners with the int8 network. The same source runs on the host and on the Cortex-M0;
// both print the same bytes (integer formatting only). Exit status 0 only for 4/4.
#include <array>
#include <cstdint>
#include <cstdio>

#include "torch_xor.hpp"

namespace {

// The corners on the calibrated input grid, quantized by the compiler.
constexpr std::array<std::array<std::int8_t, 2>, 4> corners = [] {
  std::array<std::array<std::int8_t, 2>, 4> c{};
  for (int i = 0; i < 4; ++i)
    c[i] = {qpipe::quantize(i >> 1, torch_xor::spec.input), qpipe::quantize(i & 1, torch_xor::spec.input)};
  return c;
}();

}  // namespace

int main() {
  int correct = 0;
  for (int i = 0; i < 4; ++i) {
    const int a = i >> 1;
    const int b = i & 1;
    const int q = torch_xor::network(corners[i])[0];
    const int permille = ((q + 128) * 1000 + 128) / 256;  // sigmoid grid: p = (q + 128) / 256
    const int predicted = q > 0 ? 1 : 0;                   // p above one half
    correct += predicted == (a ^ b) ? 1 : 0;
    std::printf("xor(%d,%d): input (%4d,%4d)  int8 %4d  p=%d.%03d  -> %d\n", a, b, corners[i][0], corners[i][1], q,
                permille / 1000, permille % 1000, predicted);
  }
  std::printf("%d/4\n", correct);
  return correct == 4 ? 0 : 1;
}
