// M0 only: one inference under perf/m0_profile.py (see perf/README.md).
#include "../common/profile.hpp"

namespace examples {
extern const ExampleInfo resnet18_block;
}

int main() {
  examples::print_facts(examples::resnet18_block);
  return examples::profile_run(examples::resnet18_block);
}
