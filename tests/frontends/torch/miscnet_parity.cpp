// The exported misc net (make_convnets.py): asymmetric padding, 'same' padding, nested residuals,
// a padded average pool, view(N, -1) of a non-square image, BatchNorm1d folded into a Linear.
#include "torch_miscnet.hpp"
#include "parity.hpp"

int main(int argc, char** argv) {
  using namespace torch_miscnet;
  return torch_frontend_test::parity_main<spec, network, check_inputs, check_outputs>("miscnet", argc, argv);
}
