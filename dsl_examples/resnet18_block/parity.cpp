// Host only: int8 against the float reference of the same declaration on the 4 test images.
// The bound is close to what is measured (0.0026, 3.3 output steps: the test images reach a little
// beyond the calibration range); the seed reports "under 0.01".
#include "../common/parity.hpp"
#include "resnet18_block.hpp"

// The integer forward pass of all 4 test images also runs inside the compiler, which rejects any
// undefined behaviour, overflow or out-of-bounds access on the way; the results must be the
// golden logits (golden.txt).
static_assert([] {
  constexpr std::array<std::array<std::int8_t, 4>, 4> golden{
      std::array<std::int8_t, 4>{-79, 41, 50, -62},
      std::array<std::int8_t, 4>{-76, 36, 41, -65},
      std::array<std::int8_t, 4>{-64, 51, 44, -77},
      std::array<std::int8_t, 4>{-82, 41, 53, -59},
  };
  for (std::size_t n = 0; n < 4; ++n)
    if (resnet18_block::network(resnet18_block::test_inputs[n]) != golden[n]) return false;
  return true;
}());

int main(int argc, char** argv) {
  return examples::parity_report("resnet18_block", resnet18_block::spec, resnet18_block::network,
                                 resnet18_block::test_images, resnet18_block::test_inputs,
                                 qpipe::output_grid(resnet18_block::spec), 0.0035, argc, argv);
}
