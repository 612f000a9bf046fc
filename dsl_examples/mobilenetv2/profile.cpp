// M0 only: one inference under perf/m0_profile.py (see perf/README.md).
#include "../common/profile.hpp"

namespace examples {
extern const ExampleInfo mobilenetv2;
}

int main() {
  examples::print_facts(examples::mobilenetv2);
  return examples::profile_run(examples::mobilenetv2);
}
