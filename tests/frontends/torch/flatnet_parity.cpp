// The exported flat-head net (make_convnets.py): a Linear after flattening an NCHW image, so
// the exporter's reordering of its weight columns is checked against torch.
#include "torch_flatnet.hpp"
#include "parity.hpp"

int main(int argc, char** argv) {
  using namespace torch_flatnet;
  return torch_frontend_test::parity_main<spec, network, check_inputs, check_outputs>("flatnet", argc, argv);
}
