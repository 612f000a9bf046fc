// Host only: int8 against the float reference of the same declaration on the 4 test images.
// The bound is close to what is measured (0.0020, 2.6 output steps); the seed reports "about 0.007".
#include "../common/parity.hpp"
#include "mobilenetv2.hpp"

int main(int argc, char** argv) {
  return examples::parity_report("mobilenetv2", mobilenetv2::spec, mobilenetv2::network,
                                 mobilenetv2::test_images, mobilenetv2::test_inputs,
                                 qpipe::output_grid(mobilenetv2::spec), 0.0028, argc, argv);
}
