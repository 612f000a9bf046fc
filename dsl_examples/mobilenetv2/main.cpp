// Prints the int8 logits of the test inputs; built for the host and the M0 (byte-identical output,
// checked against golden.txt). Sees only the light interface: no calibration in this file.
#include "../common/example.hpp"

namespace examples {
extern const ExampleInfo mobilenetv2;
}

int main() { return examples::print_logits(examples::mobilenetv2); }
