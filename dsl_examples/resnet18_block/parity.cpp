// Host only: int8 against the float reference of the same declaration on the 4 test images.
// The bound is close to what is measured (0.0026, 3.3 output steps: the test images reach a little
// beyond the calibration range); the seed reports "under 0.01".
#include "../common/parity.hpp"
#include "resnet18_block.hpp"

int main(int argc, char** argv) {
  return examples::parity_report("resnet18_block", resnet18_block::spec, resnet18_block::network,
                                 resnet18_block::test_images, resnet18_block::test_inputs,
                                 qpipe::output_grid(resnet18_block::spec), 0.0035, argc, argv);
}
