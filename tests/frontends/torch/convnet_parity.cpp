// The exported conv net (make_convnets.py): int8 vs torch, qpipe's float reference vs torch.
#include "torch_convnet.hpp"
#include "parity.hpp"

int main(int argc, char** argv) {
  using namespace torch_convnet;
  return torch_frontend_test::parity_main<spec, network, check_inputs, check_outputs>("convnet", argc, argv);
}
