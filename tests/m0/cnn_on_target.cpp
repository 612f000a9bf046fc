// The CNN of cnn_network.hpp on the target: each input run on the static arena, printed, and
// checked against the outputs the compiler computed in a constant expression. Built for the host
// and the M0; the two must print the same bytes and exit 0.
#include <cstdio>
#include <utility>

#include "cnn_network.hpp"

int main() {
  using M = std::remove_const_t<decltype(cnn_test::network)>;
  std::printf("steps %u, arena %u bytes (one buffer per tensor: %u), %u MACs\n", unsigned(M::stage_count),
              unsigned(M::arena_bytes), unsigned(M::unplanned_arena_bytes), unsigned(M::macs));
  int mismatches = 0;
  using Forward = void (*)(const std::int8_t*, std::int8_t*);
  const std::pair<const char*, Forward> runs[] = {{"network(...)", cnn_test::forward},
                                                  {"run<network>", cnn_test::forward_constant}};
  for (const auto& [name, forward] : runs) {
    for (std::size_t n = 0; n < cnn_test::inputs.size(); ++n) {
      std::int8_t out[4];
      forward(cnn_test::inputs[n].data(), out);
      std::printf("%s sample %u:", name, unsigned(n));
      for (std::size_t i = 0; i < 4; ++i) {
        std::printf(" %4d", out[i]);
        mismatches += out[i] != cnn_test::expected_outputs[n][i];
      }
      std::printf("\n");
    }
  }
  std::printf("%s: %d outputs differ from the compile-time run\n", mismatches ? "FAIL" : "ok", mismatches);
  return mismatches ? 1 : 0;
}
