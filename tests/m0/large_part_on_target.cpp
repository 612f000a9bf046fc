// A network whose buffers need more RAM than the micro:bit has (a 64 x 64 x 16 activation is
// 64 KiB): it runs on the larger Cortex-M0 configuration (meson.build's m0_large_link_args and
// m0_large_run_args: 256 KiB of RAM, 2 MiB of flash under qemu), and prints the same bytes as the
// host (tests/meson.build compares them).
#include <array>
#include <cstdint>
#include <cstdio>

#include "qpipe.hpp"

namespace {

using namespace qpipe;

using Net = Pipe<QConv2DPerChannel<3, same>, QRelu, QDepthwiseConv2D<3, same>, QRelu6, QGlobalAvgPool2D>;

constexpr Conv2DParams<3, 4, 16> conv = [] {
  Conv2DParams<3, 4, 16> p{};
  std::uint32_t s = 5;
  for (auto& o : p.weights)
    for (auto& row : o)
      for (auto& col : row)
        for (auto& w : col) {
          s = s * 1664525u + 1013904223u;
          w = -1.0 + 2.0 * static_cast<double>(s >> 8) / 16777216.0;
        }
  p.output = {0.1, -128};
  return p;
}();
constexpr DepthwiseConv2DParams<3, 16> depthwise = [] {
  DepthwiseConv2DParams<3, 16> p{};
  std::uint32_t s = 9;
  for (auto& row : p.weights)
    for (auto& col : row)
      for (auto& w : col) {
        s = s * 1664525u + 1013904223u;
        w = -0.5 + static_cast<double>(s >> 8) / 16777216.0;
      }
  p.output = {0.05, -128};
  return p;
}();

constexpr auto large_spec = make_spec<Net, Shape<64, 64, 4>>(Grid{0.02, 0}, conv, depthwise);
constexpr auto large = compile<large_spec>();
using M = std::remove_const_t<decltype(large)>;
static_assert(M::arena_bytes > 16 * 1024, "this test is about a network that does not fit the micro:bit");

std::array<std::int8_t, 64 * 64 * 4> input{};
std::array<std::int8_t, 16> output{};

}  // namespace

int main() {
  std::uint32_t s = 3;
  for (auto& v : input) {
    s = s * 1103515245u + 12345u;
    v = static_cast<std::int8_t>(static_cast<int>((s >> 16) & 255u) - 128);
  }
  run<large>(input, output);
  std::printf("arena %zu bytes, %zu MACs\n", M::arena_bytes, M::macs);
  for (auto v : output) std::printf(" %d", int{v});
  std::printf("\n");
  return 0;
}
